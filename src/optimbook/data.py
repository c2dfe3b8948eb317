"""Data: MNIST as float tensors in [0, 1], deterministic subsets, and a synthetic regression.

MNIST is read through torchvision from a data root: ``$OPTIMBOOK_DATA`` when set, else ``data/`` in
the source checkout (``./data`` for an installed package). The four original ``.gz`` files in
``<root>/MNIST/raw/`` are enough; without them torchvision downloads them, and with neither files nor
network :class:`MNISTNotFoundError` says which files to put where.

Subset rule (documented so anybody can redraw the same images): for a split of ``N`` images, a
``fraction`` and a ``seed``, rank every index ``i`` by the 64-bit BLAKE2b digest of the text
``"{seed}:{i}"`` and keep the ``round(fraction * N)`` lowest-ranked indices, returned in ascending
order. The rule depends on nothing but the hash, so it is the same on every platform and torch
version, and for one seed the subsets are nested: the 1/10 subset lies inside the 3/10 subset.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
from pathlib import Path

import torch

from .runtime import check_number, resolve_device

__all__ = [
    "MNIST_FILES",
    "MNISTNotFoundError",
    "data_root",
    "load_mnist",
    "subset_indices",
    "synthetic_regression",
]

#: The four original MNIST files (the md5 sums torchvision checks).
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

_SPLIT_SIZES = {"train": 60_000, "test": 10_000}


class MNISTNotFoundError(FileNotFoundError):
    """The MNIST files are neither on disk nor downloadable."""


def _checkout_root() -> Path | None:
    here = Path(__file__).resolve()
    candidate = here.parents[2]
    if (candidate / "pyproject.toml").is_file() and (candidate / "src" / "optimbook").is_dir():
        return candidate
    return None


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data folder: ``root`` if given, else ``$OPTIMBOOK_DATA``, else the checkout's ``data/``."""
    if root is not None:
        return Path(root)
    env = os.environ.get("OPTIMBOOK_DATA")
    if env:
        return Path(env)
    checkout = _checkout_root()
    return (checkout if checkout is not None else Path.cwd()) / "data"


def _not_found_message(raw: Path, cause: BaseException | None) -> str:
    files = "\n".join(f"  {name}  (md5 {md5})" for name, md5 in MNIST_FILES.items())
    reason = f"\nThe download failed with: {cause}" if cause is not None else ""
    return (
        f"MNIST was not found in {raw} and could not be downloaded.{reason}\n"
        f"Put these four files (from http://yann.lecun.com/exdb/mnist/) into {raw}:\n{files}\n"
        "or set OPTIMBOOK_DATA to a folder whose MNIST/raw/ holds them."
    )


@functools.lru_cache(maxsize=4)
def _load_split(root: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole split as uint8 images [N, 28, 28] and int64 labels [N] (cached per process)."""
    from urllib.error import URLError

    try:
        from torchvision.datasets import MNIST
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "optimbook.data needs torchvision: pip install 'optimbook[book]' or torchvision"
        ) from err

    raw = Path(root) / "MNIST" / "raw"
    have_archives = all((raw / name).is_file() for name in MNIST_FILES)
    have_extracted = all((raw / name.removesuffix(".gz")).is_file() for name in MNIST_FILES)
    try:
        # With the archives present this only verifies their md5 and extracts them: no network.
        with contextlib.redirect_stdout(io.StringIO()):  # torchvision prints "Extracting ..."
            ds = MNIST(root, train=train, download=True)
    except (RuntimeError, URLError, OSError) as err:
        if have_archives or have_extracted:
            raise  # the files are there but broken: the original error says how
        raise MNISTNotFoundError(_not_found_message(raw, err)) from err
    return ds.data, ds.targets


def subset_indices(n: int, fraction: float, seed: int = 0) -> torch.Tensor:
    """Indices of the deterministic ``fraction`` subset of ``range(n)`` (see the module docstring)."""
    check_number("n", n, low=1, integer=True)
    check_number("fraction", fraction, low=0.0, high=1.0, low_open=True)
    check_number("seed", seed, low=0, integer=True)
    k = max(1, round(fraction * n))
    if k == n:
        return torch.arange(n)
    return _ranked(int(n), int(seed))[:k].sort().values


@functools.lru_cache(maxsize=16)
def _ranked(n: int, seed: int) -> torch.Tensor:
    def rank(i: int) -> int:
        digest = hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big")

    return torch.tensor(sorted(range(n), key=rank), dtype=torch.int64)


def load_mnist(
    split: str = "train",
    *,
    fraction: float = 1.0,
    seed: int = 0,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    flatten: bool = True,
    root: str | os.PathLike | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load MNIST as ``(images, labels)`` on ``device``.

    Args:
        split: ``"train"`` (60 000 images) or ``"test"`` (10 000).
        fraction: keep this fraction of the split, drawn by the seeded rule of the module docstring
            (``0.1`` gives 6 000 train or 1 000 test images).
        seed: seed of the subset rule.
        device: where the tensors go (``"auto"`` picks CUDA when available).
        dtype: floating dtype of the images; pixel values are divided by 255, so they lie in [0, 1].
        flatten: return images as ``[N, 784]`` (default) rather than ``[N, 28, 28]``.
        root: data folder (default: :func:`data_root`).

    Returns:
        images ``[N, 784]`` (or ``[N, 28, 28]``) of ``dtype`` and int64 labels ``[N]``.
    """
    if split not in _SPLIT_SIZES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating dtype, got {dtype}")
    images, labels = _load_split(str(data_root(root)), split == "train")
    idx = subset_indices(images.shape[0], fraction, seed)
    x = images[idx].to(dtype).div_(255.0)
    if flatten:
        x = x.reshape(x.shape[0], -1)
    dev = resolve_device(device)
    return x.to(dev), labels[idx].to(dev)


def synthetic_regression(
    n: int = 1000,
    d: int = 10,
    *,
    noise: float = 0.1,
    condition: float = 1.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A linear-regression problem ``y = x θ* + noise`` (the survey's setting for gradient descent).

    Features are Gaussian with per-feature scales spread geometrically from 1 to ``sqrt(condition)``,
    so the Hessian of the squared loss has condition number about ``condition``.

    Returns:
        ``(x [n, d], y [n], theta_star [d])``.
    """
    check_number("n", n, low=1, integer=True)
    check_number("d", d, low=1, integer=True)
    check_number("noise", noise, low=0.0)
    check_number("condition", condition, low=1.0)
    g = torch.Generator().manual_seed(seed)
    scales = torch.logspace(0.0, 0.5 * torch.log10(torch.tensor(float(condition))).item(), d)
    x = torch.randn(n, d, generator=g, dtype=torch.float64) * scales.to(torch.float64)
    theta = torch.randn(d, generator=g, dtype=torch.float64)
    y = x @ theta + noise * torch.randn(n, generator=g, dtype=torch.float64)
    return x.to(dtype), y.to(dtype), theta.to(dtype)
