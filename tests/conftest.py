"""Shared fixtures: the MNIST data root (the project's data/ folder, provisioned by `make data`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    root = Path(os.environ.get("OPTIMBOOK_DATA", ROOT / "data"))
    raw = root / "MNIST" / "raw"
    if not (raw / "train-images-idx3-ubyte.gz").is_file() and not (raw / "train-images-idx3-ubyte").is_file():
        pytest.fail(f"MNIST is missing from {raw}: run `make data` (the Makefile copies it from ../shared)")
    return root
