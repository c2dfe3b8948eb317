"""A killed run leaves no process behind: ``kill -9`` of ``python -m optimlab run … --workers 2``
mid-run, then no child of it (workers, resource tracker) survives, and no cache entry is written
after its death. Processes are read from ``/proc`` (Linux)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a live process, or None when it is gone (a zombie counts as gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state, ppid = text.rsplit(")", 1)[1].split()[:2]
    return None if state in ("Z", "X") else (state, int(ppid))


def children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None and stat[1] == pid:
                found.add(int(entry))
    return found


def written(results: Path) -> set[str]:
    return {str(p.relative_to(results)) for p in results.rglob("*") if p.is_file()}


def test_workers_die_with_their_killed_parent_and_write_nothing_after(tmp_path):
    results = tmp_path / "results"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OPTIMBOOK_RESULTS": str(results),
           "OPTIMBOOK_CHECKPOINT_SECONDS": "3600"}
    cmd = [sys.executable, "-m", "optimlab", "run", "fig8", "--scale", "smoke", "--device", "cpu",
           "--workers", "2"]
    parent = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kids: set[int] = set()
    try:
        # mid-run: both workers started and the first pretrained stack is in the cache
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and parent.poll() is None:
            kids |= children(parent.pid)
            if len(kids) >= 3 and any((results / "smoke" / "pretrained").glob("*.pt")):
                break
            time.sleep(0.02)
        assert parent.poll() is None, "the run ended before it could be killed mid-run"
        assert len(kids) >= 3, f"expected two workers and a resource tracker, found {sorted(kids)}"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        before = written(results)
        deadline = time.monotonic() + 30  # a worker still starting exits once it is up
        alive = {pid for pid in kids if _stat(pid) is not None}
        while alive and time.monotonic() < deadline:
            time.sleep(0.05)
            alive = {pid for pid in alive if _stat(pid) is not None}
        assert not alive, f"processes of the killed run survive: {sorted(alive)}"
        time.sleep(3.0)  # longer than the smoke jobs left would take
        after = written(results)
        assert after == before, f"written after the parent died: {sorted(after - before)}"
    finally:
        for pid in kids:
            if _stat(pid) is not None:
                os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()
