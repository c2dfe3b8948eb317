"""optimbook.runtime: argument checks, devices, scales."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from optimbook.runtime import check_number, check_scale, resolve_device


def test_check_number_accepts_values_in_range():
    check_number("lr", 0.0, low=0.0)
    check_number("beta", 0.5, low=0.0, high=1.0, high_open=True)
    check_number("steps", 3, low=1, integer=True)


@pytest.mark.parametrize("value,kw,message", [
    (-1.0, dict(low=0.0), r"lr must be a real number in \[0.0, inf\], got -1.0"),
    (1.0, dict(low=0.0, high=1.0, high_open=True), r"lr must be a real number in \[0.0, 1.0\), got 1.0"),
    (0.0, dict(low=0.0, low_open=True), r"lr must be a real number in \(0.0, inf\], got 0.0"),
    (float("nan"), dict(low=0.0), r"lr must be .* got nan"),
    ("0.1", dict(low=0.0), r"lr must be .* got '0.1'"),
    (True, dict(low=0.0), r"lr must be .* got True"),
    (2.5, dict(low=1, integer=True), r"lr must be an integer in \[1, inf\], got 2.5"),
])
def test_check_number_rejects_and_names_argument(value, kw, message):
    with pytest.raises(ValueError, match=message):
        check_number("lr", value, **kw)


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
        "import sys, optimbook, optimbook.optim, optimbook.train, optimbook.data, optimbook.losses, "
        "optimbook.models\n"
        "heavy = [m for m in ('matplotlib', 'seaborn', 'pandas', 'torchvision', 'myst_nb') if m in sys.modules]\n"
        "print(heavy)\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
