"""The schedule of the AdaMix runs: the lower bound from counted work, and the measured schedule
from the runs' records."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from optimlab.experiments import adamix
from optimlab.experiments.adamix import SETUPS, runner
from optimlab.training import flops

TINY = replace(SETUPS["smoke"], sizes=(784, 64, 32, 16, 8), fraction_scale=0.02, epochs=4, eval_every=2)


def matmul_of(the_plan) -> tuple[dict, dict]:
    """Matrix-product work of every distinct stack and fine-tuning, by the closed forms."""
    stacks, runs = {}, {}
    for job in the_plan.finetune:
        s = job.setup
        n_train, n_test = s.numbers(job.fraction)
        runs[str(job.path)] = (str(job.pretrain.path), flops.finetuning_run(
            s.sizes, n_train, n_test, s.epochs, s.batch_size, len(s.finetuning().eval_epochs())).matmul)
        stacks[str(job.pretrain.path)] = flops.pretraining_run(s.sizes, n_train, s.pretrain_epochs,
                                                                s.batch_size).matmul
    return stacks, runs


def test_the_bound_is_the_larger_of_the_shared_work_and_the_longest_chain(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    plans = [adamix.plan(name, "paper", (0,), "cpu") for name in ("fig4", "fig8")]
    stacks, runs = matmul_of(runner.merge(plans))
    total = sum(stacks.values()) + sum(w for _, w in runs.values())
    chain = max(stacks[p] + w for p, w in runs.values())
    for workers in (1, 2, 3, 1000):
        got = runner.schedule_bound(plans, workers)
        assert (got["plans"], got["jobs"]) == (2, len(stacks) + len(runs)) == (2, 4 + 7)
        assert got["TFLOP"] == pytest.approx(total / 1e12)
        bound = max(total / workers, chain)
        assert got["bound TFLOP"] == pytest.approx(bound / 1e12)
        assert got["longest chain / bound"] == pytest.approx(chain / bound)
    assert runner.schedule_bound(plans, 1000)["longest chain / bound"] == pytest.approx(1.0)  # the chain decides
    assert runner.schedule_bound(plans, 1)["bound TFLOP"] == pytest.approx(total / 1e12)  # one worker does all
    for bad in (0, 1.5, -2):
        with pytest.raises(ValueError, match="workers"):
            runner.schedule_bound(plans, bad)
    with pytest.raises(ValueError, match="at least one plan"):
        runner.schedule_bound([], 2)


def test_nothing_is_measured_without_cached_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    got = runner.schedule_measured([adamix.plan("fig4", "smoke", (0,), "cpu", setup=TINY)], workers=2)
    assert (got["runs"], got["cached"]) == (4, 0)
    assert all(math.isnan(got[k]) for k in ("span", "idle", "jobs", "chain", "bound", "span / bound"))


@pytest.mark.parametrize("workers", [1, 2])
def test_the_measured_schedule_comes_from_the_records_and_respects_its_bound(tmp_path, monkeypatch, workers):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    adamix.run("fig8", scale="smoke", setup=TINY, device="cpu", workers=workers)
    plans = [adamix.plan("fig8", "smoke", (0,), "cpu", setup=TINY)]
    info = adamix.run_info("fig8", scale="smoke", setup=TINY, device="cpu")
    got = runner.schedule_measured(plans, workers=workers)
    assert (got["runs"], got["cached"]) == (4, 4)
    first = min(info["started"].min(), info["pretraining_started"].min())
    assert got["span"] == pytest.approx(info["finished"].max() - first)
    # four stacks, four runs: each its own job
    jobs = info["pretraining_seconds"].sum() + info["wall_seconds"].sum()
    assert got["jobs"] == pytest.approx(jobs)
    assert got["chain"] == pytest.approx((info["pretraining_seconds"] + info["wall_seconds"]).max())
    assert got["bound"] == pytest.approx(max(jobs / workers, got["chain"]))
    # made in one go: hardly idle, and no faster than any schedule over these workers could be
    assert 0 <= got["idle"] < 0.5 * got["span"]
    assert got["span / bound"] >= 1.0
    assert got["parallel"] <= workers + 1e-9
    # a run made later, apart from the others, shows as idle time in the span
    job = plans[0].finetune[-1]
    record = json.loads(job.path.read_text())
    for times in (record, record["pretraining"]):
        times["started"] += 1e6
        times["finished"] += 1e6
    job.path.write_text(json.dumps(record))
    later = runner.schedule_measured(plans, workers=workers)
    assert later["span"] > 1e6 and later["idle"] > 0.99 * later["span"]
    assert later["jobs"] == pytest.approx(got["jobs"])


def test_the_schedule_in_sentences_holds_for_none_some_or_all_runs_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    plans = [adamix.plan("fig5", "smoke", (0,), "cpu", setup=TINY)]
    text = runner.describe_schedule(runner.schedule_measured(plans, 2), 2, "Exp. 2")
    assert "None of the 3 fine-tunings of Exp. 2" in text and "no build" in text
    adamix.run("fig5", scale="smoke", setup=TINY, device="cpu", workers=1,
               strategies=[adamix.EXPERIMENTS["fig5"].strategies[0]])
    text = runner.describe_schedule(runner.schedule_measured(plans, 2), 2, "Exp. 2")
    assert text.startswith("Only 1 of the 3 fine-tunings") and "minutes" not in text
    adamix.run("fig5", scale="smoke", setup=TINY, device="cpu", workers=1)
    measured = runner.schedule_measured(plans, 1)
    text = runner.describe_schedule(measured, 1, "Exp. 2")
    assert f"within {measured['span'] / 60:.1f} minutes" in text
    assert "over 1 worker finishes" in text and f"{measured['span / bound']:.2f} times that bound" in text
    assert "nan" not in text
