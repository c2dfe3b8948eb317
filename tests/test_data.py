"""optimlab.training.data: sizes, value range, determinism, the subset rule, the clear error without files."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
import torch

from optimlab.training.data import (
    MNIST_FILES,
    MNIST_RAW_MD5,
    MNIST_RAW_SIZES,
    MNISTCorruptError,
    MNISTNotFoundError,
    check_mnist,
    data_root,
    load_mnist,
    subset_indices,
    synthetic_regression,
)


def reference_subset(n: int, fraction: float, seed: int) -> list[int]:
    """The documented rule, written out independently of the library."""
    ranked = sorted(
        range(n),
        key=lambda i: int.from_bytes(hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=8).digest(), "big"),
    )
    return sorted(ranked[: round(fraction * n)])


@pytest.mark.parametrize("split,fraction,expected", [
    ("train", 1.0, 60_000), ("test", 1.0, 10_000), ("train", 0.1, 6_000), ("test", 0.1, 1_000),
    ("train", 0.3, 18_000), ("train", 0.6, 36_000),
])
def test_sizes_shapes_and_range(mnist_root, split, fraction, expected):
    x, y = load_mnist(split, fraction=fraction, root=mnist_root)
    assert x.shape == (expected, 784) and y.shape == (expected,)
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min().item() == 0.0 and x.max().item() == 1.0
    assert set(y.unique().tolist()) == set(range(10))


def test_unflattened_and_float64(mnist_root):
    x, _ = load_mnist("test", fraction=0.01, flatten=False, dtype=torch.float64, root=mnist_root)
    assert x.shape == (100, 28, 28) and x.dtype == torch.float64


def test_pixels_are_bytes_over_255(mnist_root):
    x, _ = load_mnist("test", fraction=0.01, root=mnist_root)
    assert torch.equal((x * 255).round(), x * 255) or torch.allclose((x * 255).round(), x * 255, atol=1e-4)


def test_subset_rule_matches_documentation():
    for n, fraction, seed in [(1000, 0.1, 0), (1000, 0.37, 3), (60_000, 0.1, 0)]:
        assert subset_indices(n, fraction, seed).tolist() == reference_subset(n, fraction, seed)


def test_subsets_are_deterministic_nested_and_seeded(mnist_root):
    a, ya = load_mnist("train", fraction=0.1, seed=0, root=mnist_root)
    b, yb = load_mnist("train", fraction=0.1, seed=0, root=mnist_root)
    assert torch.equal(a, b) and torch.equal(ya, yb)
    small, large = subset_indices(60_000, 0.1, 0), subset_indices(60_000, 0.3, 0)
    assert set(small.tolist()) <= set(large.tolist())
    other = subset_indices(60_000, 0.1, 1)
    assert len(set(small.tolist()) & set(other.tolist())) < 1_000  # ~600 expected by chance


def test_subset_is_roughly_class_balanced(mnist_root):
    _, y = load_mnist("train", fraction=0.1, root=mnist_root)
    counts = torch.bincount(y, minlength=10).float() / len(y)
    _, yall = load_mnist("train", root=mnist_root)
    full = torch.bincount(yall, minlength=10).float() / len(yall)
    assert (counts - full).abs().max() < 0.015  # 4 binomial standard deviations


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5, float("nan"), float("inf"), "half", None])
def test_bad_fraction_names_the_argument(fraction):
    with pytest.raises((ValueError, TypeError), match=r"^fraction must be .* in \(0\.0, 1\.0\]"):
        subset_indices(100, fraction)


def test_bad_split():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        load_mnist("validation")


def test_missing_files_without_network_give_one_clear_error(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    from optimlab.training import data
    data._load_split.cache_clear()
    monkeypatch.setattr(MNIST, "mirrors", [f"file://{tmp_path}/no-such-mirror/"])
    with pytest.raises(MNISTNotFoundError) as info:
        load_mnist("train", root=tmp_path)
    message = str(info.value)
    for name in MNIST_FILES:
        assert name in message
    assert str(tmp_path / "MNIST" / "raw") in message
    assert "OPTIMBOOK_DATA" in message
    data._load_split.cache_clear()


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("OPTIMBOOK_DATA", str(tmp_path))
    assert data_root() == tmp_path
    assert data_root("elsewhere").name == "elsewhere"
    monkeypatch.delenv("OPTIMBOOK_DATA")
    assert data_root().name == "data"


def test_device_argument(mnist_root):
    x, y = load_mnist("test", fraction=0.01, device="cpu", root=mnist_root)
    assert x.device.type == "cpu" and y.device.type == "cpu"


def test_synthetic_regression_is_linear_with_known_optimum():
    x, y, theta = synthetic_regression(4000, 5, noise=0.0, seed=1, dtype=torch.float64)
    assert torch.allclose(x @ theta, y)
    x2, y2, _ = synthetic_regression(4000, 5, noise=0.0, seed=1, dtype=torch.float64)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    xc, _, _ = synthetic_regression(20000, 4, condition=100.0, seed=0, dtype=torch.float64)
    eig = torch.linalg.eigvalsh(xc.T @ xc / len(xc))
    assert 50 < (eig.max() / eig.min()).item() < 200


# --- damaged files are named, never mistaken for a failed download ----------------------------
def raw_folder(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    return raw


@pytest.fixture
def fresh_cache():
    from optimlab.training import data
    data._load_split.cache_clear()
    yield
    data._load_split.cache_clear()


def test_the_md5_sums_are_the_published_ones():
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "MNIST" / "MD5SUMS"
    if not shared.is_file():
        pytest.skip(f"{shared} is not on this machine")
    published = dict(line.split()[::-1] for line in shared.read_text().splitlines() if line.strip())
    assert published == MNIST_FILES


def test_the_real_files_pass_the_check(mnist_root):
    assert check_mnist(mnist_root) == mnist_root / "MNIST" / "raw"


@pytest.mark.parametrize("damage", ["truncated", "corrupted"])
def test_a_damaged_gz_is_named_as_corrupt(mnist_root, tmp_path, fresh_cache, damage):
    raw = raw_folder(tmp_path)
    good = (mnist_root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").read_bytes()
    bad = good[: len(good) // 2] if damage == "truncated" else good[:100] + bytes(len(good) - 100)
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(bad)
    (raw / "t10k-images-idx3-ubyte.gz").write_bytes(
        (mnist_root / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").read_bytes()
    )
    for call in (lambda: load_mnist("test", root=tmp_path), lambda: check_mnist(tmp_path, ("test",))):
        with pytest.raises(MNISTCorruptError) as info:
            call()
        message = str(info.value)
        assert str(raw / "t10k-labels-idx1-ubyte.gz") in message and "corrupt" in message
        assert "download" not in message.lower() and "\n" not in message
    assert not (raw / "t10k-labels-idx1-ubyte").exists()  # nothing extracted from a bad archive


def test_a_wrong_sized_raw_file_is_named(tmp_path, fresh_cache):
    raw = raw_folder(tmp_path)
    (raw / "t10k-images-idx3-ubyte").write_bytes(bytes(1000))
    (raw / "t10k-labels-idx1-ubyte").write_bytes(bytes(MNIST_RAW_SIZES["t10k-labels-idx1-ubyte"]))
    with pytest.raises(MNISTCorruptError, match=r"t10k-images-idx3-ubyte is corrupt: it has 1000 bytes, expected 7840016"):
        load_mnist("test", root=tmp_path)


def test_a_raw_file_with_a_bad_header_is_named(tmp_path, fresh_cache):
    raw = raw_folder(tmp_path)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(bytes(MNIST_RAW_SIZES["t10k-labels-idx1-ubyte"]))
    with pytest.raises(MNISTCorruptError, match=r"t10k-labels-idx1-ubyte is corrupt: its idx header"):
        check_mnist(tmp_path, ("test",))


def test_extracted_files_alone_are_read(mnist_root, tmp_path, fresh_cache):
    raw = raw_folder(tmp_path)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):  # extracted, no .gz beside them
        (raw / name).write_bytes(gzip.decompress((mnist_root / "MNIST" / "raw" / f"{name}.gz").read_bytes()))
    x, y = load_mnist("test", root=tmp_path)
    ref_x, ref_y = load_mnist("test", root=mnist_root)
    assert torch.equal(x, ref_x) and torch.equal(y, ref_y)


def test_the_extracted_digests_are_those_of_the_verified_archives(mnist_root):
    """The table the extracted files are checked against is the md5 of the .gz files' contents."""
    for name, md5 in MNIST_RAW_MD5.items():
        archive = mnist_root / "MNIST" / "raw" / f"{name}.gz"
        assert hashlib.md5(archive.read_bytes()).hexdigest() == MNIST_FILES[f"{name}.gz"]
        assert hashlib.md5(gzip.decompress(archive.read_bytes())).hexdigest() == md5, name


@pytest.mark.parametrize("where", ["pixel", "label"])
def test_a_flipped_byte_in_an_extracted_file_is_named(mnist_root, tmp_path, fresh_cache, where):
    """One byte changed in an extracted file (beside its good .gz, so size and header are right) is
    named by the up-front check and by the loader, never read as data."""
    raw = raw_folder(tmp_path)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (raw / f"{name}.gz").symlink_to(mnist_root / "MNIST" / "raw" / f"{name}.gz")
        (raw / name).write_bytes(gzip.decompress((mnist_root / "MNIST" / "raw" / f"{name}.gz").read_bytes()))
    name, offset = (("train-images-idx3-ubyte", 16 + 784 * 25510 + 400) if where == "pixel"
                    else ("train-labels-idx1-ubyte", 8 + 25510))
    data = bytearray((raw / name).read_bytes())
    data[offset] ^= 0x01
    (raw / name).write_bytes(bytes(data))
    for call in (lambda: check_mnist(tmp_path, ("train",)), lambda: load_mnist("train", root=tmp_path)):
        with pytest.raises(MNISTCorruptError) as info:
            call()
        message = str(info.value)
        assert message.startswith(f"MNIST file {raw / name} is corrupt") and "\n" not in message, message


def test_a_gz_alone_is_verified_and_extracted(mnist_root, tmp_path, fresh_cache):
    raw = raw_folder(tmp_path)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (raw / name).write_bytes((mnist_root / "MNIST" / "raw" / name).read_bytes())
    x, y = load_mnist("test", root=tmp_path)
    ref_x, ref_y = load_mnist("test", root=mnist_root)
    assert torch.equal(x, ref_x) and torch.equal(y, ref_y)
    assert (raw / "t10k-images-idx3-ubyte").stat().st_size == MNIST_RAW_SIZES["t10k-images-idx3-ubyte"]


def test_missing_files_are_named_by_the_up_front_check(tmp_path):
    raw_folder(tmp_path)
    with pytest.raises(MNISTNotFoundError, match=r"MNIST is missing from .*: t10k-images-idx3-ubyte.gz, "):
        check_mnist(tmp_path, ("test",))
