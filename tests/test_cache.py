"""optimlab.storage and the results cache: atomic writes with normal permissions, leftover partial
files removed, damaged entries detected, named, moved aside and reported as absent."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import warnings

import pytest
import torch

from optimlab.experiments import cache
from optimlab.storage import (
    CorruptFileWarning,
    atomic_torch_save,
    atomic_write_bytes,
    atomic_write_text,
    clean_partial,
    load_json,
    load_torch,
)


@pytest.fixture
def umask():
    def set_umask(mask):
        previous.append(os.umask(mask))

    previous: list[int] = []
    yield set_umask
    if previous:
        os.umask(previous[0])


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_mode_the_umask_gives(tmp_path, umask, mask, mode):
    umask(mask)
    atomic_write_text(tmp_path / "runs" / "a.json", "{}")
    atomic_torch_save(tmp_path / "b.pt", {"x": torch.zeros(2)})
    for path in (tmp_path / "runs" / "a.json", tmp_path / "b.pt"):
        assert stat.S_IMODE(path.stat().st_mode) == mode, oct(path.stat().st_mode)


def test_a_killed_write_leaves_no_entry_and_its_partial_file_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "runs" / "entry.json"
    code = (
        "import os, signal, sys\n"
        "from optimlab import storage\n"
        "os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)  # killed between write and rename\n"
        f"storage.atomic_write_text({str(target)!r}, '{{\"done\": true}}')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert result.returncode == -9
    leftovers = [p.name for p in target.parent.iterdir()]
    assert not target.exists() and len(leftovers) == 1 and leftovers[0].endswith(".part"), leftovers
    atomic_write_text(tmp_path / "runs" / "other.json", "{}")  # a later run writes into the folder
    assert sorted(p.name for p in target.parent.iterdir()) == ["other.json"]


def test_clean_partial_keeps_live_writers_and_removes_dead_or_old_ones(tmp_path):
    live = tmp_path / f".a.json.{os.getpid()}.abcd1234.part"
    dead = tmp_path / ".b.json.999999999.abcd1234.part"  # above any pid_max: no such process
    legacy_old = tmp_path / ".c.json.x7k2m9p1.part"  # mkstemp's name (no pid), two minutes old
    legacy_new = tmp_path / ".d.json.q8w2e4r6.part"
    other = tmp_path / "e.json"
    for p in (live, dead, legacy_old, legacy_new, other):
        p.write_bytes(b"x")
    old = time.time() - 120
    os.utime(legacy_old, (old, old))
    assert sorted(p.name for p in clean_partial(tmp_path)) == sorted([dead.name, legacy_old.name])
    assert live.exists() and legacy_new.exists() and other.exists()
    assert clean_partial(tmp_path / "absent") == []


def test_load_json_returns_the_data_or_none_when_missing(tmp_path):
    atomic_write_text(tmp_path / "ok.json", json.dumps({"records": [1, 2]}))
    assert load_json(tmp_path / "ok.json") == {"records": [1, 2]}
    assert load_json(tmp_path / "missing.json") is None


@pytest.mark.parametrize("damage", [b'{"records": [1, 2', b"", b"\xff\xfe{}", b'{"other": 1}'])
def test_a_damaged_json_entry_is_named_moved_aside_and_reported_absent(tmp_path, damage):
    path = tmp_path / "runs" / "0123abcd.json"
    path.parent.mkdir()
    path.write_bytes(damage)
    with pytest.warns(CorruptFileWarning, match=rf"^{path} is corrupt \(.*\); moved aside to 0123abcd\.json\.corrupt"):
        assert load_json(path, validate=lambda d: d["records"]) is None
    assert not path.exists() and (path.parent / "0123abcd.json.corrupt").read_bytes() == damage
    atomic_write_text(path, json.dumps({"records": []}))  # the caller recomputes
    assert load_json(path, validate=lambda d: d["records"]) == {"records": []}


def test_load_torch_returns_the_object_or_none_when_missing(tmp_path):
    atomic_torch_save(tmp_path / "ok.pt", {"w": torch.arange(4.0)})
    loaded = load_torch(tmp_path / "ok.pt", weights_only=True, map_location="cpu")
    assert torch.equal(loaded["w"], torch.arange(4.0))
    assert load_torch(tmp_path / "missing.pt") is None


@pytest.mark.parametrize("damage", ["truncated", "bit flip", "empty", "not torch"])
def test_a_damaged_torch_entry_is_named_moved_aside_and_reported_absent(tmp_path, damage):
    path = tmp_path / "pretrained" / "stack.pt"
    atomic_torch_save(path, {"w": torch.arange(10_000.0)})
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "bit flip":
        data[len(data) // 2] ^= 0x10  # inside the tensor's record: only the CRC-32 sees it
    elif damage == "empty":
        data = bytearray()
    else:
        data = bytearray(b"hello")
    path.write_bytes(bytes(data))
    with pytest.warns(CorruptFileWarning, match=rf"^{path} is corrupt"):
        assert load_torch(path, weights_only=True) is None
    assert not path.exists() and (path.parent / "stack.pt.corrupt").exists()


def test_load_torch_does_not_blame_the_file_for_the_callers_error(tmp_path):
    atomic_torch_save(tmp_path / "ok.pt", {"w": torch.zeros(1)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Exception):
            load_torch(tmp_path / "ok.pt", map_location="no-such-device")
    assert (tmp_path / "ok.pt").exists()


def test_check_writable_names_the_folder(tmp_path):
    assert cache.check_writable(tmp_path / "results") == tmp_path / "results"
    assert not any((tmp_path / "results").iterdir())
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(PermissionError, match=rf"^results folder {blocker / 'results'} is not writable"):
        cache.check_writable(blocker / "results")


def test_the_cache_module_offers_the_load_helpers():
    assert cache.load_json is load_json and cache.load_torch is load_torch
    assert not hasattr(cache, "frame_to_csv_bytes")


def test_atomic_write_bytes_replaces_an_existing_file(tmp_path):
    atomic_write_bytes(tmp_path / "x", b"1")
    atomic_write_bytes(tmp_path / "x", b"2")
    assert (tmp_path / "x").read_bytes() == b"2" and [p.name for p in tmp_path.iterdir()] == ["x"]
