"""What the book ran on: the processor, the accelerator, the software versions, the matmul peak."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import torch

from optimlab.runtime import cpu_count, resolve_device
from optimlab.training.clock import Clock

__all__ = ["cpu_model", "describe", "peak_gflops", "versions"]

PACKAGES = ("torchvision", "numpy", "pandas", "matplotlib", "seaborn", "papermill", "jupytext", "myst_nb")


def cpu_model() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions(packages=PACKAGES) -> dict[str, str]:
    """Python's, torch's and optimbook's versions, and those of ``packages`` ("not installed")."""
    import optimbook

    out = {"python": sys.version.split()[0], "torch": torch.__version__, "optimbook": optimbook.__version__}
    for name in packages:
        try:
            out[name] = __import__(name).__version__
        except ImportError:
            out[name] = "not installed"
    return out


def describe(device: str | torch.device = "auto") -> dict[str, object]:
    """The machine: device, GPU, CPU model, cores available, torch threads, platform."""
    dev = resolve_device(device)
    return {
        "device": str(dev),
        "GPU": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "none",
        "CPU": cpu_model(),
        "CPU cores available": cpu_count(),
        "torch threads": torch.get_num_threads(),
        "platform": platform.platform(),
    }


def peak_gflops(device: str | torch.device = "cpu", sizes=(1024, 2048, 4096), repeats: int = 5, *,
                dtype: torch.dtype = torch.float32) -> float:
    """The machine's attainable matmul rate (GFLOP/s): the best of ``repeats`` products of two square
    matrices of each of ``sizes`` (after two warm-up products each), timed by the
    :class:`~optimlab.training.clock.Clock`. Benchmarks and the ledger's floor measure against it;
    ``sizes=(n,)`` gives the rate of one size."""
    dev = resolve_device(device)
    best = 0.0
    for size in sizes:
        a = torch.randn(size, size, dtype=dtype, device=dev)
        b = torch.randn(size, size, dtype=dtype, device=dev)
        clock = Clock(dev)
        for i in range(repeats + 2):
            clock.start()
            a @ b
            clock.stop("warm-up" if i < 2 else "product")
        best = max(best, 2.0 * size**3 / min(clock.laps("product")) / 1e9)
    return best
