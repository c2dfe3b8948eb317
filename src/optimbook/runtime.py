"""Small runtime helpers shared by every module: devices, scales, seeding, argument checks."""

from __future__ import annotations

import math
import os
import random
from numbers import Real

import torch

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


def check_scale(scale: str) -> str:
    """Validate an execution scale name (one of :data:`SCALES`)."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    return scale


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's and torch's global generators and return a fresh CPU generator with ``seed``."""
    random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def check_number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> None:
    """Raise ``ValueError`` naming ``name`` and the accepted range unless ``value`` lies in it.

    ``low``/``high`` are the bounds (``None`` means unbounded); ``*_open`` makes a bound strict.
    """
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    accepted = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
    kind = "an integer" if integer else "a real number"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be {kind} in {accepted}, got {value!r}")
    if integer and int(value) != value:
        raise ValueError(f"{name} must be {kind} in {accepted}, got {value!r}")
    v = float(value)
    ok = not math.isnan(v)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        raise ValueError(f"{name} must be {kind} in {accepted}, got {value!r}")


def num_threads() -> int:
    """Threads torch uses for CPU kernels (reported beside timings)."""
    return torch.get_num_threads()


def cpu_count() -> int:
    """CPUs available to this process."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def matmul_gflops(
    size: int = 2048,
    *,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    repeats: int = 10,
) -> float:
    """Measured dense matmul rate in GFLOP/s (best of ``repeats`` products of two square matrices).

    The best run is the machine's attainable peak for this shape; benchmarks report achieved FLOP
    rates against it.
    """
    import time

    dev = resolve_device(device)
    a = torch.randn(size, size, dtype=dtype, device=dev)
    b = torch.randn(size, size, dtype=dtype, device=dev)
    best = float("inf")
    for _ in range(repeats + 2):
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        tic = time.perf_counter()
        a @ b
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        best = min(best, time.perf_counter() - tic)
    return 2.0 * size**3 / best / 1e9
