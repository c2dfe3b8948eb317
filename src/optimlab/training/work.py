"""The work meter: a process-wide record of the floating-point work the book's runs do.

Every training run adds the work it did, counted by the closed forms of
:mod:`optimlab.training.flops`, once per run; a run read from the results cache instead adds the
work its maker did, marked *reused*, under the cache entry's key. :mod:`optimlab.cost.ledger` sums a
chapter's entries: a keyed entry counts once however often it is read.

    >>> from optimlab.training import work
    >>> from optimlab.training.flops import Count
    >>> work.reset()
    >>> work.add(Count(6.0, 1.0), "fit")
    >>> with work.run("classifier run", key="classifier/abc.json") as r:
    ...     work.add(Count(10.0, 2.0), "fit")       # gathered into the keyed entry
    >>> r.count, work.total()
    (Count(matmul=10.0, elementwise=2.0), Count(matmul=16.0, elementwise=3.0))
    >>> work.reuse(Count(5.0), "AdaMix fine-tuning", key="runs/def.json")
    >>> work.total(), work.total(reused=True)
    (Count(matmul=16.0, elementwise=3.0), Count(matmul=5.0, elementwise=0.0))

Runs in other processes (the runner's workers) reach the same record through a log: when
``$OPTIMLAB_WORK_LOG`` names a file, every entry is also appended to it as one JSON line, and child
processes inherit the variable. ``tools/execute_notebook.py`` sets it for each chapter and writes
:func:`summarize` of the log into the executed notebook's metadata (``metadata.optimlab.work``),
beside papermill's duration.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optimlab.training.flops import Count

__all__ = ["ENV", "Entry", "Run", "add", "entries", "read_log", "reset", "reuse", "run", "summarize", "total"]

#: The environment variable naming the log file every entry is appended to.
ENV = "OPTIMLAB_WORK_LOG"


@dataclass(frozen=True)
class Entry:
    """One run's work: ``what`` kind of run, its ``count``, the results-cache ``key`` of a run that
    chapters share (None: work no one else reads), and ``reused`` (read from the cache, done before)."""

    what: str
    count: Count
    key: str | None = None
    reused: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, **self.count.to_record(), "key": self.key, "reused": self.reused}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        return cls(str(data["what"]), Count.from_record(data), data.get("key"), bool(data.get("reused", False)))


@dataclass
class Run:
    """The work gathered by :func:`run` (``count``, complete when the block ends)."""

    what: str
    key: str | None
    count: Count = field(default_factory=Count)


_entries: list[Entry] = []
_open: list[Run] = []


def _checked(count: Any, what: Any) -> None:
    if not isinstance(count, Count):
        raise TypeError(f"count must be an optimlab.training.flops.Count, got {type(count).__name__}")
    if not isinstance(what, str):
        raise TypeError(f"what must be a str, got {type(what).__name__}")


def _record(entry: Entry) -> None:
    _entries.append(entry)
    path = os.environ.get(ENV)
    if path:
        line = json.dumps(entry.to_json()) + "\n"
        # one short append per entry: O_APPEND keeps the lines of concurrent processes whole
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


def add(count: Count, what: str = "", *, key: str | None = None) -> None:
    """Record work done in this process: ``count`` of a run of kind ``what``; ``key``: the results
    cache's key of the run, if it is cached for others to read. Inside :func:`run`, the work is
    gathered into that run's entry instead."""
    _checked(count, what)
    if _open:
        _open[-1].count = _open[-1].count + count
        return
    _record(Entry(what, count, key))


def reuse(count: Count, what: str = "", *, key: str) -> None:
    """Record that a run was read from the results cache under ``key`` instead of being made: its
    maker did ``count`` (from the run's record)."""
    _checked(count, what)
    if not isinstance(key, str) or not key:
        raise ValueError(f"key must be a non-empty str (the cache entry), got {key!r}")
    _record(Entry(what, count, key, reused=True))


@contextmanager
def run(what: str, *, key: str | None = None) -> Iterator[Run]:
    """Gather the work :func:`add`-ed inside the block into one entry (``what``, ``key``), recorded
    when the block ends (also when it raises: the work was done); the yielded :class:`Run`'s
    ``count`` is that work, for the run's own record."""
    _checked(Count(), what)
    gathered = Run(what, key)
    _open.append(gathered)
    try:
        yield gathered
    finally:
        _open.remove(gathered)
        add(gathered.count, what, key=key)


def entries() -> list[Entry]:
    """Every entry recorded in this process since it started (or :func:`reset`)."""
    return list(_entries)


def total(*, reused: bool = False) -> Count:
    """The work done in this process (``reused=True``: read from the cache instead)."""
    return sum((e.count for e in _entries if e.reused == reused), Count())


def reset() -> None:
    """Forget this process's entries (the log file, if any, is left as it is)."""
    _entries.clear()


def read_log(path: str | os.PathLike) -> list[Entry]:
    """The entries of a log file (none if it does not exist); a line that does not parse raises
    ``ValueError`` naming the file and the line."""
    path = Path(path)
    if not path.is_file():
        return []
    out = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(Entry.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path}:{number}: not a work entry ({err})") from err
    return out


def summarize(found: Iterable[Entry]) -> dict[str, Any]:
    """The entries as a chapter's record, small enough for a notebook's metadata: the runs without a
    key summed per kind (``{"what", "total", "matmul", "runs"}``), and each keyed run once
    (``{"what", "total", "matmul", "key", "reused"}``; reused only if this chapter never made it)."""
    unkeyed: dict[str, list] = {}
    keyed: dict[str, Entry] = {}
    for entry in found:
        if entry.key is None:
            count, runs = unkeyed.get(entry.what, (Count(), 0))
            unkeyed[entry.what] = (count + entry.count, runs + 1)
        elif entry.key not in keyed or (keyed[entry.key].reused and not entry.reused):
            keyed[entry.key] = entry
    return {"runs": [{"what": what, **count.to_record(), "runs": runs} for what, (count, runs) in unkeyed.items()],
            "cached": [e.to_json() for e in keyed.values()]}
