"""The per-chapter ledger sums the records the runs left: executed notebooks' work records (written
by tools/execute_notebook.py from the work meter) and the AdaMix runs' records in the cache."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

from optimlab.cost import ledger
from optimlab.training import work
from optimlab.training.flops import Count

ROOT = Path(__file__).resolve().parents[1]


def record(runs=(), cached=()) -> dict:
    """A chapter's record as work.summarize makes it, from (what, Count) and (what, Count, key, reused)."""
    return work.summarize([work.Entry(w, c) for w, c in runs] + [work.Entry(w, c, k, r) for w, c, k, r in cached])


def notebook(folder: Path, chapter: str, seconds: float | None, rec: dict | None) -> None:
    meta = {} if seconds is None else {"papermill": {"duration": seconds}}
    if rec is not None:
        meta["optimlab"] = {"work": rec}
    (folder / f"{chapter}.ipynb").write_text(json.dumps({"metadata": meta, "cells": []}))


@pytest.fixture
def build(tmp_path):
    """Chapter 12 makes a stack and a run; 13 reads both from the cache and makes one more; 14 is
    from before runs recorded their work; 19 is the chapter that reads the ledger."""
    T = 1e12
    notebook(tmp_path, "12_a", 40.0, record(
        runs=[("fit", Count(1 * T, 0.5 * T))],
        cached=[("AdaMix pretraining", Count(2 * T), "p", False), ("AdaMix fine-tuning", Count(4 * T, 1 * T), "r1", False)]))
    notebook(tmp_path, "13_b", 10.0, record(
        cached=[("AdaMix pretraining", Count(2 * T), "p", True), ("AdaMix fine-tuning", Count(4 * T, 1 * T), "r1", True),
                ("AdaMix fine-tuning", Count(3 * T), "r2", False), ("AdaMix fine-tuning", Count(3 * T), "r2", True)]))
    notebook(tmp_path, "14_c", 5.0, None)
    notebook(tmp_path, "19_environment", 1.0, record(runs=[("fit", Count(100 * T))]))
    return tmp_path


def test_chapters_are_summed_from_their_records(build):
    frame = ledger.table("smoke", executed=build, peak_gflops=1000.0).set_index("chapter")
    assert list(frame.index) == ["12_a", "13_b", "14_c", "total"]  # 19 reads the others: left out
    a, b = frame.loc["12_a"], frame.loc["13_b"]
    # 12 made everything it needed
    assert (a["done"], a["reused"], a["cold"], a["needed"]) == pytest.approx((8.5, 0.0, 8.5, 8.5))
    # 13 read 12's stack and run (reused), made r2 once although it read it back
    assert (b["done"], b["reused"], b["cold"], b["needed"]) == pytest.approx((3.0, 7.0, 3.0, 10.0))
    total = frame.loc["total"]
    assert total["done"] == pytest.approx(11.5) == total["cold"]  # each run once
    assert total["needed"] == pytest.approx(18.5)
    assert a["matmul share"] == pytest.approx((1 + 2 + 4) / 8.5)
    assert a["GFLOP/s"] == pytest.approx(8.5e3 / 40.0)
    assert a["× floor"] == pytest.approx(40.0 / (8.5e3 / 1000.0))
    # a chapter without a record: its time, no work, and a note saying why
    c = frame.loc["14_c"]
    assert c["seconds"] == 5.0 and math.isnan(c["done"]) and "before" in c["notes"]
    assert "2 of 3 chapters" in total["notes"]


def test_a_warm_build_shows_the_cold_work_in_book_order(tmp_path):
    # every run came from the cache: nothing done, the cold build's work in the first chapter that reads it
    T = 1e12
    notebook(tmp_path, "12_a", 1.0, record(cached=[("AdaMix fine-tuning", Count(4 * T), "r1", True)]))
    notebook(tmp_path, "13_b", 1.0, record(cached=[("AdaMix fine-tuning", Count(4 * T), "r1", True)]))
    frame = ledger.table("smoke", executed=tmp_path).set_index("chapter")
    assert frame.loc["total", "done"] == 0.0
    assert (frame.loc["12_a", "cold"], frame.loc["13_b", "cold"]) == (4.0, 0.0)
    assert frame.loc["13_b", "reused"] == 4.0 and frame.loc["total", "needed"] == 8.0


def test_kinds_sum_to_the_ledger(build):
    frame = ledger.kinds("smoke", executed=build).set_index("kind")
    assert frame["cold"].sum() == pytest.approx(ledger.table("smoke", executed=build).iloc[-1]["cold"])
    assert frame.loc["AdaMix fine-tuning", "cold"] == pytest.approx(5.0 + 3.0)
    assert frame.loc["AdaMix fine-tuning", "chapters"] == 2
    assert list(frame.index)[0] == "AdaMix fine-tuning"  # largest first


def test_seconds_come_from_papermill_metadata(build):
    assert ledger.notebook_seconds(build) == {"12_a": 40.0, "13_b": 10.0, "14_c": 5.0, "19_environment": 1.0}


def test_an_executed_notebook_carries_its_work(tmp_path):
    """tools/execute_notebook.py writes the chapter's work (its kernel's and its child processes')."""
    spec = importlib.util.spec_from_file_location("execute_notebook", ROOT / "tools" / "execute_notebook.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    source = tmp_path / "98_work.py"
    source.write_text(
        '# %% tags=["parameters"]\nscale = "smoke"\ndevice = "auto"\n\n'
        "# %%\nimport subprocess, sys\nfrom optimlab.training import work\nfrom optimlab.training.flops import Count\n"
        "work.add(Count(3.0, 1.0), 'fit')\n"
        "work.reuse(Count(5.0), 'AdaMix fine-tuning', key='runs/k.json')\n"
        "child = \"from optimlab.training import work; from optimlab.training.flops import Count; "
        "work.add(Count(7.0), 'AdaMix fine-tuning', key='runs/m.json')\"\n"
        "subprocess.run([sys.executable, '-c', child], check=True)\n")
    output = tmp_path / "out" / "98_work.ipynb"
    tool.execute(source, output, scale="smoke")
    meta = json.loads(output.read_text())["metadata"]
    assert "duration" in meta["papermill"]
    rec = meta["optimlab"]["work"]
    assert rec["runs"] == [{"what": "fit", "total": 4.0, "matmul": 3.0, "runs": 1}]
    assert {c["key"]: (c["total"], c["reused"]) for c in rec["cached"]} == {
        "runs/k.json": (5.0, True), "runs/m.json": (7.0, False)}
    assert not list(output.parent.glob(".*work*"))  # the log is gone
    frame = ledger.table("smoke", executed=output.parent).set_index("chapter")
    assert frame.loc["98_work", "done"] * 1e12 == pytest.approx(11.0)


def test_adamix_work_comes_from_the_run_records(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    from optimlab.experiments import adamix
    from optimlab.experiments.adamix import report, runner

    plan = adamix.plan("fig4", "smoke", (0,), "cpu")
    job = plan.finetune[0]
    closed, closed_pre, from_record = report.job_work(job)
    assert not from_record and closed.elementwise > 0  # the optimizer's updates are counted
    # a cached run's record (as the runner's _saved returns a whole entry): what it recorded wins
    saved = {"records": [], "replicas": 2, "wall_seconds": 8.0, "flop": {"total": 30.0, "matmul": 20.0},
             "pretraining": {"seconds": 1.0, "device": "cpu", "flop": {"total": 9.0, "matmul": 9.0}}}
    job.path.parent.mkdir(parents=True)
    job.path.write_text("{}")
    monkeypatch.setattr(runner, "_saved", lambda j: saved if j.path == job.path else None)
    assert report.job_work(job) == (Count(20.0, 10.0), Count(9.0), True)
    frame = report.compute(plan).set_index("experiment")
    others = sum((report.job_work(j)[0] for j in plan.finetune[1:]), Count())
    assert frame.loc["fig4", "TFLOP"] * 1e12 == pytest.approx(30.0 + 9.0 + others.total)
    assert frame.loc["fig4", "matmul TFLOP"] * 1e12 == pytest.approx(20.0 + 9.0 + others.matmul)
    assert frame.loc["fig4", "cached"] == 1 and frame.loc["fig4", "wall seconds"] == pytest.approx(8.0 / 2 + 1.0)
    # a record without its work: the closed forms for what it lacks
    del saved["flop"]
    assert report.job_work(job) == (closed, Count(9.0), False)
    del saved["pretraining"]["flop"]
    assert report.job_work(job) == (closed, closed_pre, False)


def test_the_ledger_in_sentences_holds_for_any_build(build, tmp_path_factory):
    book = ledger.table("smoke", executed=build, peak_gflops=1000.0)
    text = ledger.describe(book, ledger.kinds("smoke", executed=build))
    assert text.startswith("2 of the 3 chapters executed here recorded their work.")
    assert "did 11.5 TFLOP in this build and read 7 TFLOP" in text
    assert "they do 11.5 TFLOP" in text and "(18.5 TFLOP if" in text
    assert "AdaMix pretrainings and fine-tunings are 10 TFLOP" in text  # 2 + (4 + 1) + 3
    # 12 and 13 did 11.5 TFLOP in 50 s; at 1000 GFLOP/s the floor is 11.5 s
    assert f"took {50 / 11.5:.1f} times the floor" in text
    # a build whose chapters recorded nothing gives no totals at all
    old = tmp_path_factory.mktemp("old")
    notebook(old, "12_a", 4.0, None)
    text = ledger.describe(ledger.table("smoke", executed=old))
    assert text.startswith("None of the 1 chapters") and "TFLOP" not in text
    assert "empty" in ledger.describe(ledger.table("smoke", executed=tmp_path_factory.mktemp("none")))
