"""optimlab.runtime: argument checks, devices, scales."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from optimlab.runtime import check_device, check_flag, check_number, check_scale, resolve_device


def test_check_number_accepts_values_in_range_and_returns_plain_numbers():
    assert check_number("lr", 0.0, low=0.0) == 0.0
    assert check_number("beta", 0.5, low=0.0, high=1.0, high_open=True) == 0.5
    assert check_number("steps", 3, low=1, integer=True) == 3
    steps = check_number("steps", 3.0, low=1, integer=True)
    assert steps == 3 and type(steps) is int
    assert type(check_number("lr", np.float32(0.5), low=0.0)) is float
    assert type(check_number("n", np.int64(7), low=0)) is int
    assert check_number("max_lr", math.inf, low=0.0, allow_inf=True) == math.inf


@pytest.mark.parametrize("value,kw,message", [
    (-1.0, dict(low=0.0), r"^lr must be a finite real number >= 0\.0, got -1\.0$"),
    (1.0, dict(low=0.0, high=1.0, high_open=True), r"^lr must be a finite real number in \[0\.0, 1\.0\), got 1\.0$"),
    (0.0, dict(low=0.0, low_open=True), r"^lr must be a finite real number > 0\.0, got 0\.0$"),
    (float("nan"), dict(low=0.0), r"^lr must be a finite real number >= 0\.0, got nan$"),
    (math.inf, dict(low=0.0), r"^lr must be a finite real number >= 0\.0, got inf$"),
    (-math.inf, dict(), r"^lr must be a finite real number, got -inf$"),
    (math.inf, dict(low=1, integer=True), r"^lr must be an integer >= 1, got inf$"),
    (math.nan, dict(low=1, integer=True), r"^lr must be an integer >= 1, got nan$"),
    (2.5, dict(low=1, integer=True), r"^lr must be an integer >= 1, got 2\.5$"),
    (10**400, dict(low=0.0), r"^lr must be a finite real number >= 0\.0, got an integer of about 401 digits$"),
    (10**400, dict(low=0, integer=True), r"^lr must be an integer >= 0, got an integer of about 401 digits$"),
    (2**63, dict(low=0, high=2**63 - 1, integer=True), r"^lr must be an integer in \[0, 9223372036854775807\]"),
    (2.0, dict(high=1.0), r"^lr must be a finite real number <= 1\.0, got 2\.0$"),
    (np.float64("nan"), dict(low=0.0), r"^lr must be a finite real number >= 0\.0, got "),
])
def test_check_number_rejects_out_of_range_values_naming_argument_and_range(value, kw, message):
    with pytest.raises(ValueError, match=message) as info:
        check_number("lr", value, **kw)
    assert "inf]" not in str(info.value) and "inf)" not in str(info.value)


@pytest.mark.parametrize("value", ["0.1", None, [0.1], True, np.bool_(False), 1 + 0j, torch.tensor(0.1)])
def test_check_number_refuses_non_real_types_with_a_type_error(value):
    with pytest.raises(TypeError, match=r"^lr must be a finite real number >= 0\.0, got .* \(a \w+\)$"):
        check_number("lr", value, low=0.0)


def test_check_number_keeps_its_old_positional_signature():
    # low/high/low_open/high_open/integer as keywords, as every caller passes them
    check_number("x", 1, low=0, high=2, low_open=True, high_open=True, integer=True)


def test_check_flag_accepts_booleans_only():
    assert check_flag("cycle", True) is True and check_flag("cycle", np.bool_(False)) is False
    for bad in ("no", "False", 1, 0, None, 1.0):
        with pytest.raises(TypeError, match=r"^cycle must be True or False, got "):
            check_flag("cycle", bad)


def test_check_flag_has_one_implementation():
    import optimbook.schedules.base as base

    assert base.check_flag is check_flag


def test_scales_and_devices():
    assert check_scale("smoke") == "smoke"
    with pytest.raises(ValueError, match="scale must be one of"):
        check_scale("huge")
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("tpu-ish:x")


def test_core_import_needs_torch_only():
    code = (
        "import sys, optimbook, optimbook.optim, optimlab.training.loop, optimlab.training.data, optimlab.training.losses, "
        "optimlab.training.models\n"
        "heavy = [m for m in ('matplotlib', 'seaborn', 'pandas', 'torchvision', 'myst_nb') if m in sys.modules]\n"
        "print(heavy)\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("device", ["foo", "meta", "mps", "cuda:7", "cuda:99", "tpu"])
def test_check_device_refuses_devices_this_machine_cannot_use(device):
    with pytest.raises(ValueError, match=r"^device must be one of 'auto', 'cpu'.*got '"):
        check_device(device)


def test_check_device_accepts_cpu_auto_and_cuda_only_when_present():
    assert check_device("cpu") == torch.device("cpu")
    assert check_device("auto") == resolve_device("auto")
    if torch.cuda.is_available():
        assert check_device("cuda").type == "cuda"
    else:
        with pytest.raises(ValueError, match="no CUDA device here"):
            check_device("cuda")
