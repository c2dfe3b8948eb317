"""The AdaMix runner records its runs' work with the meter (optimlab.training.work): what it made as
done, what it read from the results cache as reused, each run once, whether it ran in this process
or in a worker."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from optimlab.experiments import adamix
from optimlab.experiments.adamix import SETUPS, runner, strategy_rules
from optimlab.training import flops, work
from optimlab.training.flops import Count

TINY = replace(SETUPS["smoke"], sizes=(784, 64, 32, 16, 8), fraction_scale=0.02, epochs=4, eval_every=2)


def closed_forms(name: str, setup=TINY) -> tuple[dict[str, Count], dict[str, Count]]:
    """The work of every distinct stack and fine-tuning of ``name`` by the closed forms, by cache path."""
    the_plan = adamix.plan(name, "smoke", (0,), "cpu", setup=setup)
    stacks, runs = {}, {}
    for job in the_plan.finetune:
        s = job.setup
        n_train, n_test = s.numbers(job.fraction)
        weight, bias = strategy_rules(job.strategy, s, job.steps_per_epoch)
        runs[str(job.path)] = flops.finetuning_run(
            s.sizes, n_train, n_test, s.epochs, s.batch_size, len(s.finetuning().eval_epochs()),
            flops.update_ops_per_element(weight, "weight") if weight else 0.0,
            flops.update_ops_per_element(bias, "bias") if bias else 0.0)
        stacks[str(job.pretrain.path)] = flops.pretraining_run(s.sizes, n_train, s.pretrain_epochs, s.batch_size)
    return stacks, runs


def by_key(entries, what: str) -> dict[str, Count]:
    found = [e for e in entries if e.what == what]
    keys = [e.key for e in found]
    assert len(keys) == len(set(keys)), f"a {what} was recorded twice: {keys}"
    return {e.key: e.count for e in found}


def assert_counts(got: dict[str, Count], expected: dict[str, Count]) -> None:
    assert set(got) == set(expected)
    for key, count in expected.items():
        assert got[key].matmul == pytest.approx(count.matmul, rel=1e-12)
        assert got[key].elementwise == pytest.approx(count.elementwise, rel=1e-9)


@pytest.fixture
def meter(tmp_path, monkeypatch):
    """A fresh meter with its log in ``tmp_path`` (as tools/execute_notebook.py sets it), results there too."""
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / "results"))
    log = tmp_path / "work.jsonl"
    monkeypatch.setenv(work.ENV, str(log))
    work.reset()
    yield log
    work.reset()


def test_a_run_records_its_pretraining_and_fine_tunings_as_done_then_as_reused(meter):
    stacks, runs = closed_forms("fig5")
    assert len(stacks) == 1 and len(runs) == 3
    adamix.run("fig5", scale="smoke", setup=TINY, device="cpu", workers=1)
    made = work.entries()
    assert not any(e.reused for e in made)
    assert_counts(by_key(made, "AdaMix pretraining"), stacks)
    assert_counts(by_key(made, "AdaMix fine-tuning"), runs)
    assert {e.what for e in made} == {"AdaMix pretraining", "AdaMix fine-tuning"}
    # the same records reach the log the chapter's metadata is made from
    assert work.read_log(meter) == made

    work.reset()
    adamix.run("fig5", scale="smoke", setup=TINY, device="cpu", workers=1)
    read = work.entries()
    assert work.total() == Count()  # nothing made again
    assert all(e.reused for e in read)
    assert_counts(by_key(read, "AdaMix pretraining"), stacks)
    assert_counts(by_key(read, "AdaMix fine-tuning"), runs)
    # a chapter's record: each run once, the first build's as done, the second's as reused
    cached = work.summarize(work.read_log(meter))["cached"]
    assert sorted(c["key"] for c in cached) == sorted([*stacks, *runs])
    assert not any(c["reused"] for c in cached)


def test_the_record_holds_the_work_the_meter_counted(meter):
    adamix.run("fig5", scale="smoke", setup=TINY, device="cpu", workers=1)
    counted = by_key(work.entries(), "AdaMix fine-tuning")
    (stack,) = by_key(work.entries(), "AdaMix pretraining").values()
    for key, count in counted.items():
        record = json.loads(Path(key).read_text())
        assert Count.from_record(record["flop"]) == count
        assert Count.from_record(record["pretraining"]["flop"]) == stack


def test_work_done_in_worker_processes_is_counted_once(meter):
    stacks, runs = closed_forms("fig8")
    assert len(stacks) == 4 and len(runs) == 4
    adamix.run("fig8", scale="smoke", setup=TINY, device="cpu", workers=2)
    made = work.entries()
    assert not any(e.reused for e in made)
    assert_counts(by_key(made, "AdaMix pretraining"), stacks)
    assert_counts(by_key(made, "AdaMix fine-tuning"), runs)
    assert work.total().total == pytest.approx(sum(c.total for c in [*stacks.values(), *runs.values()]))
    # the workers wrote nothing to the log: every entry is the parent's
    assert work.read_log(meter) == made

    work.reset()
    adamix.run("fig8", scale="smoke", setup=TINY, device="cpu", workers=2)
    assert work.total() == Count()
    assert_counts(by_key(work.entries(), "AdaMix fine-tuning"), runs)
    assert_counts(by_key(work.entries(), "AdaMix pretraining"), stacks)


def test_a_stack_read_from_the_cache_by_a_worker_is_recorded_as_reused(meter):
    """Exp. 2's stack is cached; Exp. 3's new strategies fine-tune from it in workers."""
    adamix.run("fig5", scale="smoke", setup=TINY, device="cpu", workers=1,
               strategies=[adamix.EXPERIMENTS["fig5"].strategies[0]])
    stacks, runs = closed_forms("fig6")
    work.reset()
    adamix.run("fig6", scale="smoke", setup=TINY, device="cpu", workers=2)
    entries = work.entries()
    pre = [e for e in entries if e.what == "AdaMix pretraining"]
    assert [(e.key, e.reused) for e in pre] == [(next(iter(stacks)), True)]
    fine = [e for e in entries if e.what == "AdaMix fine-tuning"]
    assert sum(e.reused for e in fine) == 1  # Cons+Cons, shared with Exp. 2
    assert_counts(by_key(entries, "AdaMix fine-tuning"), runs)


def test_runs_made_without_the_cache_are_done_work(meter):
    stacks, runs = closed_forms("fig5")
    adamix.run("fig5", scale="smoke", setup=TINY, device="cpu", workers=1)
    work.reset()
    adamix.run("fig5", scale="smoke", setup=TINY, device="cpu", workers=1, cache=False)
    assert not any(e.reused for e in work.entries())
    assert work.total().total == pytest.approx(sum(c.total for c in [*stacks.values(), *runs.values()]))


def test_reading_a_runs_results_is_reuse_reading_its_metadata_is_not(meter):
    """run_info and pretraining_log read a run's metadata, not its results: no work is recorded;
    trained_model reads the fine-tuned network: the run and its stack are reused."""
    stacks, runs = closed_forms("fig5")
    adamix.run("fig5", scale="smoke", setup=TINY, device="cpu", workers=1)
    work.reset()
    adamix.run_info("fig5", scale="smoke", setup=TINY, device="cpu")
    runner.pretraining_log(TINY, 0.1, 0, scale="smoke")
    assert work.entries() == []
    adamix.trained_model("fig5", "Cons+None", scale="smoke", setup=TINY, device="cpu")
    job = adamix.plan("fig5", "smoke", (0,), "cpu", setup=TINY).rows[("fig5", "default", "Cons+None", 0.1, 0)]
    assert [(e.what, e.key, e.reused) for e in work.entries()] == [
        ("AdaMix fine-tuning", str(job.path), True), ("AdaMix pretraining", str(job.pretrain.path), True)]
    assert_counts(by_key(work.entries(), "AdaMix fine-tuning"), {str(job.path): runs[str(job.path)]})
    assert_counts(by_key(work.entries(), "AdaMix pretraining"), stacks)
