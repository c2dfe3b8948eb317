"""The runner's cache entries as units: a run's record (``runs/<digest>.json``) and its tensors
(``runs/<digest>.pt``) are whole or recomputed; stale temporary files are swept wherever a run
reads; a run's numbers do not depend on whether it was computed batched with other strategies, alone,
or in a worker process; every record says the work it did."""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import replace

import pandas as pd
import pytest
import torch

from optimlab.experiments import adamix
from optimlab.experiments.adamix import SETUPS
from optimlab.storage import CorruptFileWarning
from optimlab.training import flops

TINY = replace(SETUPS["smoke"], sizes=(784, 64, 32, 16, 8), fraction_scale=0.02, epochs=4, eval_every=2)


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    return tmp_path / "smoke"


def fig5(**kwargs):
    return adamix.run("fig5", scale="smoke", setup=TINY, device="cpu", workers=1, **kwargs)


def entries(results):
    return sorted((results / "runs").glob("*.json"))


def no_recompute(monkeypatch):
    monkeypatch.setattr(adamix.runner, "finetune", lambda *a, **k: pytest.fail("a whole entry was recomputed"))


# --- a defect anywhere in an entry moves the whole entry aside and recomputes it ---------------------
def _empty_records(record):
    record["records"] = []


def _no_epoch(record):
    del record["records"][-1]["epoch"]


def _no_test_rer(record):
    del record["records"][1]["test_rer"]


def _text_rer(record):
    record["records"][-1]["test_rer"] = "7.5"


def _short_records(record):
    record["records"] = record["records"][:1]  # a run that stopped early: epochs are missing


def _foreign_key(record):
    record["key"]["seed"] = 99  # another run's record under this name


def _no_flop(record):
    del record["flop"]


RECORD_DEFECTS = [_empty_records, _no_epoch, _no_test_rer, _text_rer, _short_records, _foreign_key, _no_flop]


@pytest.mark.parametrize("defect", RECORD_DEFECTS, ids=lambda f: f.__name__.strip("_"))
def test_a_record_that_collect_cannot_read_is_moved_aside_with_its_tensors_and_recomputed(results, defect):
    first = fig5()
    path = entries(results)[0]
    record = json.loads(path.read_text())
    defect(record)
    path.write_text(json.dumps(record))
    with pytest.warns(CorruptFileWarning, match=rf"{path.stem}"):
        again = fig5()
    pd.testing.assert_frame_equal(first.drop(columns="seconds"), again.drop(columns="seconds"))
    aside = {p.name for p in path.parent.iterdir() if "corrupt" in p.name}
    assert aside == {path.name + ".corrupt", path.with_suffix(".pt").name + ".corrupt"}, aside
    assert path.is_file() and path.with_suffix(".pt").is_file()  # the entry is whole again


@pytest.mark.parametrize("damage", ["bit flip", "truncated", "missing", "wrong tensors"])
@pytest.mark.parametrize("cache", [True, False], ids=["run", "run --no-cache"])
def test_damaged_tensors_beside_a_good_record_are_rebuilt(results, damage, cache):
    fig5()
    path = entries(results)[0]
    pt = path.with_suffix(".pt")
    if damage == "missing":
        pt.unlink()
    elif damage == "wrong tensors":
        from optimlab.storage import atomic_torch_save

        atomic_torch_save(pt, {"state": {"weights.0": torch.zeros(2, 2)}, "activations": ["sigmoid"]})
    else:
        data = bytearray(pt.read_bytes())
        if damage == "bit flip":
            data[len(data) // 2] ^= 0x10
        else:
            data = data[: len(data) // 2]
        pt.write_bytes(bytes(data))
    if cache:
        with pytest.warns(CorruptFileWarning, match=rf"{path.stem}"):
            fig5()
    else:  # --no-cache reads no entry: it recomputes every run and replaces its entry
        fig5(cache=False)
    label = next(label for (_, _, label, _, _), job in adamix.plan("fig5", "smoke", device="cpu", setup=TINY).rows.items()
                 if job.path == path)
    net = adamix.trained_model("fig5", label, scale="smoke", setup=TINY, device="cpu")  # loads again
    assert net.sizes == [784, 64, 32, 16, 8, 16, 32, 64, 784]


def test_an_orphaned_tensor_file_is_moved_aside(results, monkeypatch):
    fig5()
    path = entries(results)[0]
    path.unlink()  # the record is gone, its tensors stay: the entry is not whole
    with pytest.warns(CorruptFileWarning, match=rf"{path.stem}"):
        fig5()
    assert path.is_file() and (path.parent / (path.with_suffix(".pt").name + ".corrupt")).is_file()


def test_a_whole_entry_is_reused_without_a_warning(results, monkeypatch):
    import warnings

    first = fig5()
    no_recompute(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = fig5()
    pd.testing.assert_frame_equal(first, again)


# --- stale temporary files are swept wherever a run reads ---------------------------------------------
def test_stale_partial_files_are_swept_by_a_run_that_writes_nothing(results, monkeypatch):
    fig5()
    (results / "checkpoints").mkdir(exist_ok=True)
    stale = []
    for folder in ("runs", "pretrained", "checkpoints", "."):
        dead = results / folder / ".x.json.999999999.abcd1234.part"  # above any pid_max: its writer is gone
        old = results / folder / ".y.pt.q8w2e4r6.part"  # no pid, ten minutes old
        for p in (dead, old):
            p.write_bytes(b"half")
        os.utime(old, (time.time() - 600, time.time() - 600))
        stale += [dead, old]
    no_recompute(monkeypatch)
    fig5()  # every entry is cached: nothing is written
    assert [p for p in stale if p.exists()] == []


# --- batched, alone or in a worker: the same numbers -------------------------------------------------
def test_batched_alone_and_in_workers_give_identical_numbers(tmp_path, monkeypatch):
    """A run's numbers do not depend on how its entry was made (each run's products on one thread:
    a batched product then computes each replica as the run alone does)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # as a 2-core machine: an intra-op split changes the last bits
    try:
        frames = {}
        for how, setup, workers in [("batched", TINY, 1), ("alone", replace(TINY, lockstep=False), 1),
                                    ("workers", TINY, 2)]:
            monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / how))
            frames[how] = adamix.run("fig4", scale="smoke", setup=setup, device="cpu", workers=workers)
        assert torch.get_num_threads() == 2  # the caller's setting is restored
    finally:
        torch.set_num_threads(threads)
    for how in ("alone", "workers"):
        pd.testing.assert_frame_equal(frames["batched"].drop(columns="seconds"),
                                      frames[how].drop(columns="seconds"), check_exact=True)


def test_lockstep_does_not_enter_the_key():
    a = adamix.plan("fig4", "smoke", device="cpu", setup=TINY)
    b = adamix.plan("fig4", "smoke", device="cpu", setup=replace(TINY, lockstep=False))
    assert [j.path.name for j in a.finetune] == [j.path.name for j in b.finetune]


# --- every record says the work it did ----------------------------------------------------------------
def test_every_record_holds_its_work_by_the_closed_forms(results):
    fig5()
    s = TINY
    n_train, n_test = s.numbers(0.1)
    stack = flops.pretraining_run(s.sizes, n_train, s.pretrain_epochs, s.batch_size)
    rules = {}
    for strategy in adamix.EXPERIMENTS["fig5"].strategies:
        w, b = adamix.strategy_rules(strategy, s, s.steps_per_epoch(0.1))
        rules[strategy.label] = flops.finetuning_run(
            s.sizes, n_train, n_test, s.epochs, s.batch_size, len(s.finetuning().eval_epochs()),
            flops.update_ops_per_element(w, "weight") if w else 0.0,
            flops.update_ops_per_element(b, "bias") if b else 0.0)
    plan = adamix.plan("fig5", "smoke", device="cpu", setup=TINY)
    for (_, _, label, _, _), job in plan.rows.items():
        record = json.loads(job.path.read_text())
        assert record["flop"] == {"total": rules[label].total, "matmul": rules[label].matmul}
        assert record["pretraining"]["flop"] == {"total": stack.total, "matmul": stack.matmul}
        assert record["flop"]["total"] > record["flop"]["matmul"] > 0
        assert record["started"] <= record["finished"] and math.isfinite(record["finished"])
    info = adamix.run_info("fig5", scale="smoke", setup=TINY, device="cpu")
    assert {"flop", "started", "finished"} <= set(info.columns)
