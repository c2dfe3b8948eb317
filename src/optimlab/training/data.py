"""Data: MNIST as float tensors in [0, 1], deterministic subsets, and a synthetic regression.

MNIST is read through torchvision from a data root: ``$OPTIMBOOK_DATA`` when set, else ``data/`` in
the source checkout (``./data`` for an installed package). The four original ``.gz`` files in
``<root>/MNIST/raw/`` are enough; without them torchvision downloads them, and with neither files nor
network :class:`MNISTNotFoundError` says which files to put where. Every ``.gz`` is checked against
its published md5, and every extracted file against its size, its header and the md5 of the verified
``.gz``'s contents (:data:`MNIST_RAW_MD5`), before use (:func:`check_mnist`) and again on the bytes
the loader reads; a truncated or corrupted file, down to one changed byte, raises
:class:`MNISTCorruptError` naming it.

Subset rule (documented so anybody can redraw the same images): for a split of ``N`` images, a
``fraction`` and a ``seed``, rank every index ``i`` by the 64-bit BLAKE2b digest of the text
``"{seed}:{i}"`` and keep the ``round(fraction * N)`` lowest-ranked indices, returned in ascending
order. The rule depends on nothing but the hash, so it is the same on every platform and torch
version, and for one seed the subsets are nested: the 1/10 subset lies inside the 3/10 subset.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import io
import os
import zlib
from pathlib import Path

import torch

from optimlab.runtime import check_number, resolve_device

__all__ = [
    "MNIST_FILES",
    "MNIST_RAW_MD5",
    "MNIST_RAW_SIZES",
    "MNISTCorruptError",
    "MNISTNotFoundError",
    "check_mnist",
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

#: Sizes in bytes of the four extracted files (an idx header, then one byte per pixel or label).
MNIST_RAW_SIZES = {
    "train-images-idx3-ubyte": 16 + 60_000 * 784,
    "train-labels-idx1-ubyte": 8 + 60_000,
    "t10k-images-idx3-ubyte": 16 + 10_000 * 784,
    "t10k-labels-idx1-ubyte": 8 + 10_000,
}

#: The md5 digest of each extracted file, that is of the contents of the md5-verified ``.gz``
#: files of :data:`MNIST_FILES` (``gunzip -c <name>.gz | md5sum``), so an extracted file is
#: checked as strictly as its archive.
MNIST_RAW_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class MNISTNotFoundError(FileNotFoundError):
    """The MNIST files are neither on disk nor downloadable."""


class MNISTCorruptError(OSError):
    """An MNIST file on disk is truncated or corrupted (the message names it)."""


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_raw(path: Path, data: bytes | None = None) -> None:
    """Size, idx header and md5 of an extracted file (of ``data``, its bytes as read, if given), or
    :class:`MNISTCorruptError` naming it."""
    expected = MNIST_RAW_SIZES[path.name]
    size = path.stat().st_size if data is None else len(data)
    if size != expected:
        raise MNISTCorruptError(
            f"MNIST file {path} is corrupt: it has {size} bytes, expected {expected};"
            " delete it (it is re-extracted from its .gz) or copy it again (make data)"
        )
    if data is None:
        with open(path, "rb") as handle:
            header = handle.read(16)
    else:
        header = data[:16]
    images = "images" in path.name
    n = (expected - (16 if images else 8)) // (784 if images else 1)
    dims = [n, 28, 28] if images else [n]
    magic = 0x0800 + len(dims)
    found = [int.from_bytes(header[i : i + 4], "big") for i in range(0, 4 + 4 * len(dims), 4)]
    if found != [magic, *dims]:
        raise MNISTCorruptError(
            f"MNIST file {path} is corrupt: its idx header is {found}, expected {[magic, *dims]};"
            " delete it and copy it again (make data)"
        )
    if data is None:
        md5 = _md5(path)
    else:
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if md5 != MNIST_RAW_MD5[path.name]:
        raise MNISTCorruptError(
            f"MNIST file {path} is corrupt: md5 {md5}, expected {MNIST_RAW_MD5[path.name]} (the contents of"
            f" its verified {path.name}.gz); delete it (it is re-extracted from its .gz) or copy it again"
            " (make data)"
        )


def _check_archive(path: Path) -> None:
    """md5 of a ``.gz`` against the published one, or :class:`MNISTCorruptError` naming it."""
    md5, expected = _md5(path), MNIST_FILES[path.name]
    if md5 != expected:
        raise MNISTCorruptError(
            f"MNIST file {path} is corrupt or truncated: md5 {md5}, expected {expected};"
            " delete it and copy it again (make data)"
        )


def _extract(archive: Path, target: Path) -> None:
    """Decompress a verified ``.gz`` next to it, atomically."""
    from optimlab.storage import atomic_write_bytes

    try:
        data = gzip.decompress(archive.read_bytes())
    except (OSError, EOFError, zlib.error) as err:
        raise MNISTCorruptError(f"MNIST file {archive} is corrupt: {err}") from err
    atomic_write_bytes(target, data)


def check_mnist(root: str | os.PathLike | None = None, splits: tuple[str, ...] = ("train", "test")) -> Path:
    """Check the MNIST files of ``splits`` under ``root`` (default :func:`data_root`) before use.

    Each ``.gz`` present must have its published md5 (:data:`MNIST_FILES`) and each extracted file
    present its size (:data:`MNIST_RAW_SIZES`), idx header and md5 (:data:`MNIST_RAW_MD5`); a file
    of the pair must exist.
    No download is attempted. Returns the ``MNIST/raw`` folder.

    Raises:
        MNISTNotFoundError: neither the ``.gz`` nor the extracted file of some file is there.
        MNISTCorruptError: a file is truncated or corrupted (the message names it).
    """
    raw = data_root(root) / "MNIST" / "raw"
    missing = []
    for split in splits:
        for name in _SPLIT_FILES[split]:
            archive, extracted = raw / f"{name}.gz", raw / name
            if archive.is_file():
                _check_archive(archive)
            if extracted.is_file():
                _check_raw(extracted)
            elif not archive.is_file():
                missing.append(f"{name}.gz")
    if missing:
        raise MNISTNotFoundError(
            f"MNIST is missing from {raw}: {', '.join(missing)} (run `make data`, or set"
            " OPTIMBOOK_DATA to a folder whose MNIST/raw/ holds the four .gz files)"
        )
    return raw


def _read_idx(path: Path) -> torch.Tensor:
    """The idx file ``path`` as a tensor, its bytes checked as read (:func:`_check_raw`)."""
    raw = path.read_bytes()
    _check_raw(path, raw)
    data = bytearray(raw)
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return torch.frombuffer(data, dtype=torch.uint8, offset=4 + 4 * ndim).reshape(dims).clone()


def _checkout_root() -> Path | None:
    here = Path(__file__).resolve()
    candidate = here.parents[3]
    if (candidate / "pyproject.toml").is_file() and (candidate / "src" / "optimlab").is_dir():
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


def _download(root: str, raw: Path) -> None:
    """torchvision's download of the four files (only when none of a pair is on disk)."""
    from urllib.error import URLError

    try:
        from torchvision.datasets import MNIST
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "downloading MNIST needs torchvision: pip install 'optimbook[book]' or torchvision"
        ) from err
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # torchvision prints "Extracting ..."
            MNIST(root, train=True, download=True)
    except (RuntimeError, URLError, OSError) as err:
        raise MNISTNotFoundError(_not_found_message(raw, err)) from err


@functools.lru_cache(maxsize=4)
def _load_split(root: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole split as uint8 images [N, 28, 28] and int64 labels [N] (cached per process)."""
    split = "train" if train else "test"
    raw = Path(root) / "MNIST" / "raw"
    names = _SPLIT_FILES[split]
    if not all((raw / n).is_file() or (raw / f"{n}.gz").is_file() for n in names):
        _download(root, raw)
    for name in names:  # the archives (md5) first: a file is extracted only from a verified one
        if (raw / f"{name}.gz").is_file():
            _check_archive(raw / f"{name}.gz")
    for name in names:
        if not (raw / name).is_file():
            _extract(raw / f"{name}.gz", raw / name)
    images, labels = (_read_idx(raw / name) for name in names)  # size, header and md5 of the bytes read
    return images, labels.to(torch.int64)


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
