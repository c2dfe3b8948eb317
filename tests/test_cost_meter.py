"""The work meter (optimlab.training.work) and the closed form of a fit run (flops.fit_run), against
FlopCounterMode on real runs and against counts made by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from optimbook.optim import SGD, Adam, AdaGrad, PerRole
from optimlab.training import flops, work
from optimlab.training.flops import Count
from optimlab.training.loop import fit
from optimlab.training.losses import cross_entropy
from optimlab.training.models import LinearRegression, mlp


@pytest.fixture(autouse=True)
def fresh_meter(monkeypatch):
    monkeypatch.delenv(work.ENV, raising=False)
    work.reset()
    yield
    work.reset()


def matmuls(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


# ---------------------------------------------------------------------------------------- meter
def test_done_and_reused_work_are_kept_apart():
    work.add(Count(6.0, 1.0), "fit")
    work.reuse(Count(5.0, 2.0), "AdaMix fine-tuning", key="runs/a.json")
    assert work.total() == Count(6.0, 1.0)
    assert work.total(reused=True) == Count(5.0, 2.0)
    assert [(e.what, e.key, e.reused) for e in work.entries()] == [
        ("fit", None, False), ("AdaMix fine-tuning", "runs/a.json", True)]


def test_a_run_gathers_the_work_inside_it_into_one_keyed_entry():
    with work.run("classifier run", key="classifier/k.json") as outer:
        work.add(Count(10.0, 2.0), "fit")
        work.add(Count(1.0), "evaluation")
    assert outer.count == Count(11.0, 2.0)
    [entry] = work.entries()
    assert (entry.what, entry.count, entry.key, entry.reused) == ("classifier run", Count(11.0, 2.0),
                                                                  "classifier/k.json", False)


def test_a_run_that_raises_still_records_the_work_done():
    with pytest.raises(RuntimeError, match="diverged"):
        with work.run("classifier run", key="k"):
            work.add(Count(3.0), "fit")
            raise RuntimeError("diverged")
    assert work.total() == Count(3.0)
    work.add(Count(1.0), "fit")  # the run is closed: later work is its own entry
    assert len(work.entries()) == 2


def test_bad_input_is_refused_with_the_argument_named():
    with pytest.raises(TypeError, match="count must be"):
        work.add(5.0, "fit")
    with pytest.raises(TypeError, match="what must be"):
        work.add(Count(1.0), 3)
    with pytest.raises(ValueError, match="key must be"):
        work.reuse(Count(1.0), "x", key="")
    with pytest.raises(ValueError, match="matmul <= total"):
        Count.from_record({"total": 1.0, "matmul": 2.0})
    with pytest.raises(ValueError, match="record must be"):
        Count.from_record({"total": 1.0})
    assert work.entries() == []


def test_count_records_round_trip():
    c = Count(12.0, 3.5)
    assert c.to_record() == {"total": 15.5, "matmul": 12.0}
    assert Count.from_record(json.loads(json.dumps(c.to_record()))) == c


def test_the_log_collects_the_entries_of_child_processes(tmp_path, monkeypatch):
    log = tmp_path / "work.jsonl"
    monkeypatch.setenv(work.ENV, str(log))
    work.add(Count(2.0, 1.0), "fit")
    child = ("from optimlab.training import work; from optimlab.training.flops import Count; "
             "work.add(Count(7.0), 'AdaMix fine-tuning', key='runs/x.json')")
    subprocess.run([sys.executable, "-c", child], check=True, env=os.environ.copy())
    found = work.read_log(log)
    assert [(e.what, e.count, e.key) for e in found] == [
        ("fit", Count(2.0, 1.0), None), ("AdaMix fine-tuning", Count(7.0), "runs/x.json")]
    assert work.entries() == found[:1]  # the child's entry is in the log, not in this process


def test_a_damaged_log_line_is_named(tmp_path):
    log = tmp_path / "work.jsonl"
    log.write_text(json.dumps(work.Entry("fit", Count(1.0)).to_json()) + "\n{not json\n")
    with pytest.raises(ValueError, match=r"work.jsonl:2"):
        work.read_log(log)
    assert work.read_log(tmp_path / "absent.jsonl") == []


def test_summary_counts_each_cached_run_once_and_made_wins_over_reused():
    found = [work.Entry("fit", Count(1.0)), work.Entry("fit", Count(2.0)),
             work.Entry("AdaMix fine-tuning", Count(5.0), "k", reused=True),
             work.Entry("AdaMix fine-tuning", Count(5.0), "k"),
             work.Entry("AdaMix fine-tuning", Count(5.0), "k", reused=True),
             work.Entry("AdaMix pretraining", Count(4.0), "p", reused=True)]
    summary = work.summarize(found)
    assert summary["runs"] == [{"what": "fit", "total": 3.0, "matmul": 3.0, "runs": 2}]
    assert {c["key"]: c["reused"] for c in summary["cached"]} == {"k": False, "p": True}


# ------------------------------------------------------------------------------- fit's closed form
@pytest.mark.parametrize("n, batch, epochs, max_steps, drop_last", [
    (13, 5, 2, None, False),  # partial last batches
    (13, 5, 2, None, True),   # dropped
    (13, 5, 3, 4, False),     # stopped inside the second epoch
    (10, 5, 1, None, False),
])
def test_fit_run_matches_flop_counter(n, batch, epochs, max_steps, drop_last):
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(n, 20, generator=g), torch.randint(0, 4, (n,), generator=g)
    model = mlp(20, 9, 7, 4, seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    hist = []
    measured = matmuls(lambda: hist.append(fit(model, cross_entropy, opt, x, y, batch_size=batch, epochs=epochs,
                                                max_steps=max_steps, drop_last=drop_last)))
    steps = hist[0].records[-1]["step"]
    assert steps == (max_steps or epochs * (n // batch if drop_last else -(-n // batch)))
    assert flops.fit_run(model, opt, n, batch, steps, drop_last=drop_last).matmul == measured


def test_fit_run_of_a_linear_regression_and_of_a_model_without_products():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(11, 6, generator=g), torch.rand(11, generator=g)
    model = LinearRegression(6)
    opt = SGD(model.parameters(), lr=0.01)
    measured = matmuls(lambda: fit(model, lambda p, t: ((p - t) ** 2).mean(), opt, x, y, batch_size=4, epochs=2))
    assert flops.fit_run(model, opt, 11, 4, 6).matmul == measured == 2 * 2 * 11 * 6 * 2
    point = torch.nn.Module()
    point.z = torch.nn.Parameter(torch.zeros(2))
    count = flops.fit_run(point, SGD(point.parameters(), lr=0.1), 1, 1, 100)
    assert count.matmul == 0 and count.elementwise == 100 * 2 * 1  # SGD: one operation per element


def test_optimizer_update_ops_follow_the_groups_and_roles():
    model = mlp(6, 4, 3, seed=0)
    n_w = 6 * 4 + 4 * 3
    n_b = 4 + 3
    # SGD: θ ← θ − η g, one operation per element; Adam measured per element by update_ops_per_element
    assert flops.optimizer_update_ops(SGD(model.parameters(), lr=0.1)) == n_w + n_b
    adam = flops.update_ops_per_element(Adam)
    assert flops.optimizer_update_ops(Adam(model.parameters())) == pytest.approx(adam * (n_w + n_b))
    # PerRole: each role by its rule, none for a frozen role
    frozen = PerRole(model, weight=(AdaGrad, {"K": 1.0, "eps": 0.0}), bias=None)
    assert flops.optimizer_update_ops(frozen) == 3.0 * n_w
    # a torch scheduler's extra group key (initial_lr) does not confuse the rule
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.optim.lr_scheduler.StepLR(opt, 1)
    assert flops.optimizer_update_ops(opt) == n_w + n_b


def test_fit_run_counts_the_update_steps():
    model = mlp(5, 3, seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    assert flops.fit_run(model, opt, 10, 3, 7).elementwise == 7 * (5 * 3 + 3)
    with pytest.raises(ValueError, match="batch_size"):
        flops.fit_run(model, opt, 10, 0, 7)
    with pytest.raises(ValueError, match="steps must be 0"):
        flops.fit_run(model, opt, 2, 3, 1, drop_last=True)


def test_a_classifier_run_is_fit_plus_its_evaluations():
    # what a classifier run records (fit's work, then its evaluations) is the closed form of the run
    model = mlp(784, 100, 10, seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    n, nt, epochs, batch = 1200, 500, 3, 50
    steps = epochs * (n // batch)
    recorded = flops.fit_run(model, opt, n, batch, steps) + Count(flops.mlp_forward((784, 100, 10), nt) * (epochs + 1))
    assert recorded == flops.classifier_run((784, 100, 10), n, epochs, batch, eval_examples=nt,
                                            evaluations=epochs + 1, ops_per_element=1.0)


def test_a_fused_kernel_counts_as_the_equations_it_fuses():
    # one fused operator does the arithmetic of the foreach equations: the same count either way
    for cls in (torch.optim.Adam, torch.optim.Adagrad):
        assert flops.update_ops_per_element((cls, {"fused": True})) == flops.update_ops_per_element((cls, {"foreach": True}))
    # optimbook's AdaGrad runs torch's fused kernel on plain CPU tensors; it still counts its
    # three equations s ← s + g², √s, θ ← θ − η g / √s
    assert flops.update_ops_per_element((AdaGrad, {"K": 1.0, "eps": 0.0})) == 3.0


def test_a_compiled_update_counts_as_its_eager_equations_and_is_not_compiled_for_the_probe():
    # the probe steps tiny tensors: compiling for them would add graphs (and, with two sizes,
    # dynamic-shape ones) to the process's compiled update that the real runs then inherit
    from optimbook.optim import AdaMix
    from optimbook.optim.adamix import compiled_weight_update

    compiled_weight_update.cache_clear()
    eager = flops.update_ops_per_element((AdaMix, {"lr": 0.1, "total_steps": 100}))
    assert eager > 0
    assert flops.update_ops_per_element((AdaMix, {"lr": 0.1, "total_steps": 100, "compile": True})) == eager
    assert compiled_weight_update.cache_info().currsize == 0
