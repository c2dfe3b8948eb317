"""Runtime helpers of the book's machinery: devices, scales, CPU counts (argument checks are the
library's, :mod:`optimbook._checks`, re-exported here)."""

from __future__ import annotations

import math
import os
from numbers import Integral, Real

import torch

from optimbook._checks import _shown, check_flag, check_number, describe_range  # noqa: F401

#: The two execution scales of the book, ``"smoke"`` (seconds, for CI) and ``"paper"`` (the
#: configuration of the source papers).
SCALES = ("smoke", "paper")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Return a :class:`torch.device`; ``"auto"`` picks CUDA when it is available, else CPU."""
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}") from err


def check_device(device: str | torch.device = "auto") -> torch.device:
    """:func:`resolve_device`, and also refuse a device this machine cannot compute on.

    Accepted: ``"auto"``, ``"cpu"``, and ``"cuda"``/``"cuda:N"`` when CUDA is available with more
    than ``N`` devices. Anything else (``"meta"``, ``"mps"``, an unknown name, a CUDA device that is
    absent) raises ``ValueError`` naming ``device`` and what this machine offers.

    >>> check_device("cpu")
    device(type='cpu')
    """
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    offered = "'auto', 'cpu'" + (
        f", 'cuda' or 'cuda:N' with N in [0, {count - 1}]" if count else " (no CUDA device here)"
    )
    try:
        dev = resolve_device(device)
    except ValueError:
        raise ValueError(f"device must be one of {offered}, got {device!r}") from None
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda" and count and (dev.index is None or dev.index < count):
        return dev
    raise ValueError(f"device must be one of {offered}, got {device!r}")


def check_scale(scale: str) -> str:
    """Validate an execution scale name (one of :data:`SCALES`)."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    return scale


def cpu_count() -> int:
    """CPUs available to this process."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1
