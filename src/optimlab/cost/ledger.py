"""The book's FLOP ledger: the floating-point work of every chapter, summed from the records its runs
left (never inferred from time, never described a second time), beside the time the chapter took.

Every run records its work, counted by the closed forms of :mod:`optimlab.training.flops`, with the
meter :mod:`optimlab.training.work`; a run read from the results cache records the work its maker
did, as *reused*, under the cache key. Executing a chapter (``tools/execute_notebook.py``) stores
its record in the executed notebook's metadata (``metadata.optimlab.work``), beside papermill's
``duration``. :func:`table` reads both from ``executed/<scale>``:

- **done**: the work the chapter did in that build; a cached run counts in the chapter that made it;
- **reused**: the work of the cached runs it read instead of making them;
- **cold**: its work in a build from an empty cache, chapters in book order: its own runs, and the
  cached runs no earlier chapter touched (whoever made them in this build);
- **needed**: its work alone, with nothing cached (done + reused).

Each cached run counts once in every column's total.

    >>> from optimlab.cost import ledger
    >>> ledger.pretraining_run((784, 1000), 6000, 1, 100).matmul  # CD-1: 10·784·1000 per example
    47040000000
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from optimlab.training.flops import (  # noqa: F401  (the closed forms, re-exported)
    Count, autoencoder_forward, autoencoder_train, cd1, classifier_run, dense_products,
    finetuning_run, fit_run, mlp_forward, mlp_train, pretraining_run, update_ops_per_element,
)
from optimlab.training.work import Entry

__all__ = [
    "Count",
    "adamix_items",
    "chapter_records",
    "describe",
    "kinds",
    "notebook_seconds",
    "plan_entries",
    "table",
    "total",
]

#: Where ``tools/execute_notebook.py`` puts a chapter's record in the executed notebook.
METADATA = ("optimlab", "work")

# the chapter 19 notebook reads the others; its own executed file is from its previous run
_SELF = "19_environment"


def _notebooks(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def _metadata(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text()).get("metadata", {})
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------------------------------- timing
def notebook_seconds(folder: str | Path) -> dict[str, float]:
    """papermill's execution time of every executed notebook ``NN_*.ipynb`` in ``folder``."""
    out = {}
    for path in _notebooks(folder):
        meta = (_metadata(path) or {}).get("papermill", {})
        if meta.get("duration") is not None:
            out[path.stem] = float(meta["duration"])
    return out


# ------------------------------------------------------------------------------------------ work
def chapter_records(folder: str | Path) -> dict[str, dict[str, Any] | None]:
    """Every executed notebook's work record in ``folder`` (:func:`optimlab.training.work.summarize`),
    by chapter in book order; ``None`` for a notebook executed without one."""
    out = {}
    for path in _notebooks(folder):
        meta = _metadata(path)
        if meta is None:
            continue
        record = meta
        for name in METADATA:
            record = record.get(name) if isinstance(record, dict) else None
        out[path.stem] = record if isinstance(record, dict) else None
    return out


def _chapter_counts(records: dict[str, dict[str, Any] | None]) -> dict[str, dict[str, Any]]:
    """Per chapter: done, reused, cold, needed (Counts), and work per kind of run (cold and done)."""
    seen: set[str] = set()
    out = {}
    for chapter, record in records.items():
        row = {"recorded": record is not None, "done": Count(), "reused": Count(), "cold": Count(),
               "kinds": {}}
        if record is None:
            out[chapter] = row
            continue

        def count(what: str, c: Count, column: str) -> None:
            row[column] = row[column] + c
            if column != "reused":
                kind = row["kinds"].setdefault(what, {"done": Count(), "cold": Count()})
                kind[column] = kind[column] + c

        for item in record.get("runs", []):
            c = Count.from_record(item)
            count(item["what"], c, "done")
            count(item["what"], c, "cold")
        for item in record.get("cached", []):
            entry = Entry.from_json(item)
            count(entry.what, entry.count, "reused" if entry.reused else "done")
            if entry.key not in seen:
                seen.add(entry.key)
                count(entry.what, entry.count, "cold")
        row["needed"] = row["done"] + row["reused"]
        out[chapter] = row
    return out


def _records(executed: str | Path | None, scale: str, records) -> dict[str, dict[str, Any] | None]:
    if records is not None:
        return dict(records)
    folder = Path(executed) if executed is not None else _checkout() / "executed" / scale
    return {k: v for k, v in chapter_records(folder).items() if k != _SELF}


def _checkout() -> Path:
    """The source checkout (where ``executed/`` lies), else the working directory."""
    here = Path(__file__).resolve().parents[3]
    return here if (here / "pyproject.toml").is_file() and (here / "src" / "optimlab").is_dir() else Path.cwd()


def table(scale: str = "paper", *, executed: str | Path | None = None, peak_gflops: float | None = None,
          records: dict[str, dict[str, Any] | None] | None = None):
    """The ledger of the build in ``executed`` (default ``executed/<scale>`` of the checkout): one row
    per executed chapter (chapter 19, which reads the others, left out) and a ``total`` row.

    Columns (work in TFLOP, see the module's documentation): ``done``, ``reused``, ``cold``,
    ``needed``, ``matmul share`` (of ``cold``), ``seconds`` (papermill's), ``GFLOP/s`` (``done`` /
    ``seconds``), with ``peak_gflops`` also ``floor s`` (``done`` at the peak) and ``× floor``, and
    ``notes``. A chapter executed before runs recorded their work has NaN work and a note.
    ``records`` replaces the executed notebooks' records (chapter -> record, as
    :func:`chapter_records` gives them).
    """
    import pandas as pd

    from optimlab.runtime import check_scale

    check_scale(scale)
    records = _records(executed, scale, records)
    folder = Path(executed) if executed is not None else _checkout() / "executed" / scale
    seconds = notebook_seconds(folder) if folder.is_dir() else {}
    counts = _chapter_counts(records)
    rows = []
    for chapter, c in counts.items():
        tera = (lambda x: x.total / 1e12) if c["recorded"] else (lambda x: math.nan)
        rows.append({"chapter": chapter, "done": tera(c["done"]), "reused": tera(c["reused"]),
                     "cold": tera(c["cold"]), "needed": tera(c.get("needed", Count())),
                     "matmul share": c["cold"].matmul / c["cold"].total if c["cold"].total else math.nan,
                     "seconds": seconds.get(chapter, math.nan),
                     "notes": "" if c["recorded"] else "executed before its runs recorded their work"})
    columns = ["chapter", "done", "reused", "cold", "needed", "matmul share", "seconds", "notes"]
    frame = pd.DataFrame(rows, columns=columns)
    recorded = [c for c in counts.values() if c["recorded"]]
    cold = sum((c["cold"] for c in recorded), Count())
    total = {"chapter": "total", **{k: frame[k].sum(min_count=1) for k in ("done", "reused", "cold", "needed")},
             "matmul share": cold.matmul / cold.total if cold.total else math.nan,
             "seconds": frame["seconds"].sum(min_count=1),
             "notes": f"{len(recorded)} of {len(counts)} chapters recorded their work"}
    frame = pd.concat([frame, pd.DataFrame([total], columns=columns)], ignore_index=True)
    frame["GFLOP/s"] = frame["done"] * 1e3 / frame["seconds"]
    if peak_gflops:
        frame["floor s"] = frame["done"] * 1e3 / peak_gflops
        frame["× floor"] = frame["seconds"] / frame["floor s"]
    cols = [c for c in frame.columns if c != "notes"] + ["notes"]
    return frame[cols]


def kinds(scale: str = "paper", *, executed: str | Path | None = None,
          records: dict[str, dict[str, Any] | None] | None = None):
    """The same records by kind of run (``fit``, ``classifier run``, ``AdaMix fine-tuning``, …):
    ``kind, chapters, cold, done`` (TFLOP), largest first. Its ``cold`` column sums to the ledger's."""
    import pandas as pd

    counts = _chapter_counts(_records(executed, scale, records))
    out: dict[str, dict[str, Any]] = {}
    for chapter, c in counts.items():
        for what, k in c["kinds"].items():
            row = out.setdefault(what or "unnamed", {"kind": what or "unnamed", "chapters": 0, "cold": 0.0, "done": 0.0})
            row["chapters"] += 1
            row["cold"] += k["cold"].total / 1e12
            row["done"] += k["done"].total / 1e12
    frame = pd.DataFrame(list(out.values()), columns=["kind", "chapters", "cold", "done"])
    return frame.sort_values("cold", ascending=False, kind="stable").reset_index(drop=True)


def describe(book, by_kind=None) -> str:
    """What the ledger ``book`` (:func:`table`) says, in sentences a chapter can glue: how many
    chapters recorded their work, the totals (done, reused, cold, needed), the AdaMix runs' part of
    the cold total (from ``by_kind``, :func:`kinds`), and the time against the floor. Every
    sentence holds for any build, recorded or not."""
    chapters = book[book["chapter"] != "total"]
    recorded = chapters.dropna(subset=["done"])
    if not len(chapters):
        return "No executed chapter was found, so the ledger is empty."
    if not len(recorded):
        return (f"None of the {len(chapters)} chapters executed here recorded its work (they ran before runs "
                "recorded it), so the table shows only their times, and this build gives no totals of work.")
    total = book.set_index("chapter").loc["total"]
    text = (f"{len(recorded)} of the {len(chapters)} chapters executed here recorded their work. Together they "
            f"did {total['done']:.3g} TFLOP in this build and read {total['reused']:.3g} TFLOP of earlier runs "
            f"from the results cache; built from an empty cache they do {total['cold']:.3g} TFLOP, each shared "
            f"run counted once ({total['needed']:.3g} TFLOP if no chapter could reuse another's runs).")
    if by_kind is not None and len(by_kind):
        adamix = by_kind[by_kind["kind"].str.startswith("AdaMix")]["cold"].sum()
        text += f" The AdaMix pretrainings and fine-tunings are {adamix:.3g} TFLOP of that cold total."
    if "floor s" in book:
        timed = recorded.dropna(subset=["seconds"])
        timed = timed[timed["done"] > 0]
        if len(timed):
            text += (f" The chapters that did work in this build took "
                     f"{timed['seconds'].sum() / timed['floor s'].sum():.1f} times the floor of it together.")
    return text


# -------------------------------------------------------------------------- the AdaMix experiments
def adamix_items(chapter: str, name: str, *, scale: str = "paper", seeds: Sequence[int] = (0,),
                 device: str = "cpu") -> list[Entry]:
    """The work of ``adamix.run(name, scale, seeds)``, one entry per pretrained stack and per
    fine-tuning, keyed by its cache entry: from the runs' records where the cache holds them, else
    the closed forms (:func:`optimlab.experiments.adamix.report.job_work`). ``chapter`` is ignored
    (kept for ``benchmarks/gpu_check.py``)."""
    from optimlab.experiments.adamix import report, runner

    return plan_entries(runner.plan(name, scale, seeds, device), report)


def plan_entries(the_plan, report=None) -> list[Entry]:
    """Entries of every job of ``the_plan`` (see :func:`adamix_items`)."""
    if report is None:
        from optimlab.experiments.adamix import report
    out, stacks = [], set()
    for job in the_plan.finetune:
        fine, pre, _ = report.job_work(job)
        if str(job.pretrain.path) not in stacks:
            stacks.add(str(job.pretrain.path))
            out.append(Entry("AdaMix pretraining", pre, str(job.pretrain.path)))
        out.append(Entry("AdaMix fine-tuning", fine, str(job.path)))
    return out


def total(found: Iterable[Entry]) -> Count:
    """The work of ``found``, each key once."""
    keys: set = set()
    out = Count()
    for entry in found:
        if entry.key is None or entry.key not in keys:
            keys.add(entry.key)
            out = out + entry.count
    return out
