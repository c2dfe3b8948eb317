"""The AdaMix reproduction: RBMs, unrolling, lockstep fine-tuning, the registry, cache and resume."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import torch

from optimlab.experiments import adamix
from optimlab.experiments.adamix import EXPERIMENTS, SETUPS, Setup, Strategy, strategy_rules
from optimlab.training.finetuning import FineTuning, finetune, reconstruction_errors
from optimlab.training.models.autoencoder import DeepAutoencoder
from optimlab.training.models.rbm import RBM, data_visible_bias
from optimbook.optim import SGD, AdaGrad, AdaMix, PerRole, Rule
from optimlab.training.pretraining import RBMTraining, pretrain_stack, train_rbm, upward
from optimlab.storage import atomic_write_bytes
from optimlab.training.loop import NonFiniteLossError

ROOT = Path(__file__).resolve().parents[1]


# --- the registry -------------------------------------------------------------------------------
def test_registry_has_the_papers_names_and_labels():
    labels = {name: [s.label for s in e.strategies] for name, e in EXPERIMENTS.items()}
    assert labels == {
        "fig4": ["Cons", "AdaGrad", "AdaDec", "AdaMix"],
        "fig5": ["Cons+Cons", "Cons+None", "None+Cons"],
        "fig6": ["Cons+Cons", "Exp+Cons", "Power+Cons", "AdaGrad+Cons", "AdaDec+Cons", "AdaMix+Cons"],
        "fig7": ["Cons+Cons", "Cons+Exp", "Cons+Power", "Cons+AdaGrad", "Cons+AdaDec", "Cons+AdaMix"],
        "fig8": ["AdaMix"],
    }
    assert EXPERIMENTS["fig8"].fractions == (0.1, 0.3, 0.6, 1.0)
    assert len(adamix.published()) == 23
    assert SETUPS["paper"].numbers(0.1) == (6000, 1000) and SETUPS["paper"].numbers(1.0) == (60000, 10000)


def test_strategy_labels_split_into_weight_and_bias_rules():
    s = EXPERIMENTS["fig6"].strategies[3]
    assert (s.label, s.weight_rule, s.bias_rule) == ("AdaGrad+Cons", "AdaGrad", "Cons")
    with pytest.raises(ValueError, match="weight_rule must be one of"):
        Strategy("x", "Adagrad", "Cons")


def test_rule_names_and_classes_come_from_the_optimizer_registry():
    from optimbook.testing import REGISTRY

    from optimlab.experiments.adamix.registry import RATE_RULES, RULES

    optimizers = [n for n, info in REGISTRY.items() if info.cls is not PerRole]
    assert RULES == RATE_RULES + tuple(optimizers)
    assert {"AdaGrad", "AdaDec", "AdaMix", "Adam", "AdamW", "Nadam", "RMSProp"} <= set(optimizers)
    setup = SETUPS["paper"]
    for name in optimizers:  # every one is a rule: the registry's class, its paper settings, the rate η(0)
        w, b = strategy_rules(Strategy(f"{name}+Cons", name, "Cons"), setup, 60)
        info = REGISTRY[name]
        assert w.optimizer is info.cls and b.optimizer is REGISTRY["SGD"].cls
        paper = next((c.kwargs for c in info.configs if "paper" in c.tags), {})
        assert {k: v for k, v in paper.items() if k not in ("lr", "total_steps")}.items() <= w.kwargs.items()
        lr = w.kwargs["lr"]
        assert (lr if not callable(lr) else lr(0)) == setup.lr
        w.optimizer([torch.zeros(3, 2, requires_grad=True)], **w.kwargs)  # the arguments are accepted
    with pytest.raises(ValueError, match="weight_rule must be one of"):
        Strategy("x", "PerRole", "Cons")


def test_rules_follow_the_paper():
    setup = SETUPS["paper"]
    w, b = strategy_rules(Strategy("AdaMix", "AdaMix", "AdaMix"), setup, 60)
    assert w.optimizer is AdaMix and w.group == {"role": "weight"}
    assert b.optimizer is AdaMix and b.group == {}  # biases: AdaMix's own β(t)
    assert w.kwargs["total_steps"] == 50 * 60 and w.kwargs["K"] == 1.0 and w.kwargs["q"] == 0.75
    assert w.kwargs["compile"] is True and b.kwargs["compile"] is True  # Setup.compile_updates
    w, _ = strategy_rules(Strategy("AdaMix", "AdaMix", "AdaMix"), Setup(compile_updates=False), 60)
    assert w.kwargs["compile"] is False
    w, b = strategy_rules(Strategy("Cons+AdaMix", "Cons", "AdaMix"), setup, 60)
    assert w.optimizer is SGD and b.group == {"role": "weight"}  # Exp. 4: the weight part
    w, b = strategy_rules(Strategy("None+Cons", "None", "Cons"), setup, 60)
    assert w is None and b.optimizer is SGD and b.kwargs == {"lr": 0.001}
    w, _ = strategy_rules(Strategy("AdaGrad+Cons", "AdaGrad", "Cons"), setup, 60)
    assert w.optimizer is AdaGrad and w.kwargs == {"lr": 0.001, "K": 1.0, "eps": 0.0}
    w, _ = strategy_rules(Strategy("Exp+Cons", "Exp", "Cons"), setup, 60)
    assert w.optimizer is SGD and w.kwargs["lr"](0) == pytest.approx(0.001)  # a schedule as lr
    assert w.kwargs["lr"](3000) == pytest.approx(0.0001)
    w, _ = strategy_rules(Strategy("Power+Cons", "Power", "Cons"), setup, 60)
    assert w.kwargs["lr"](3000) == pytest.approx(0.001 * 2 ** -0.75)
    w, _ = strategy_rules(Strategy("AdaDec", "AdaDec", "AdaDec"), setup, 60)  # p(t) is its lr
    assert "q" not in w.kwargs and "total_steps" not in w.kwargs
    assert w.kwargs["lr"](3000) == 0.001 * (1 + 3000 / 3000) ** -0.75


# --- RBMs -------------------------------------------------------------------------------------------
def test_visible_bias_from_the_data_is_the_clipped_log_odds():
    data = torch.tensor([[0.0, 1.0, 0.5], [0.0, 1.0, 0.3]])
    bias = data_visible_bias(data, clip=0.01)
    expected = torch.tensor([math.log(0.01 / 0.99), math.log(0.99 / 0.01), math.log(0.4 / 0.6)])
    torch.testing.assert_close(bias, expected)


def test_cd1_statistics_match_a_literal_computation():
    g = torch.Generator().manual_seed(0)
    rbm = RBM(6, 4, generator=g, init_std=0.5)
    v = torch.rand(5, 6, generator=g)
    dW, db, dc, err = rbm.cd1(v, torch.Generator().manual_seed(1))
    # literal: p(h|v) = σ(c + vW); h ~ Bernoulli; v' = σ(b + hWᵀ); p(h|v') = σ(c + v'W)
    u = torch.rand(5, 4, generator=torch.Generator().manual_seed(1))
    ph = torch.sigmoid(rbm.c + v @ rbm.W)
    h = (ph > u).float()
    v1 = torch.sigmoid(rbm.b + h @ rbm.W.T)
    ph1 = torch.sigmoid(rbm.c + v1 @ rbm.W)
    torch.testing.assert_close(dW, v.T @ ph - v1.T @ ph1)
    torch.testing.assert_close(db, (v - v1).sum(0))
    torch.testing.assert_close(dc, (ph - ph1).sum(0))
    torch.testing.assert_close(err, ((v - v1) ** 2).sum())


def test_gaussian_hidden_units_are_linear_with_unit_noise():
    rbm = RBM(3, 2, hidden="gaussian", generator=torch.Generator().manual_seed(0), init_std=1.0)
    v = torch.rand(4, 3)
    torch.testing.assert_close(rbm.hidden_mean(v), rbm.c + v @ rbm.W)
    h = rbm.sample_hidden(torch.zeros(20000, 2), torch.Generator().manual_seed(0))
    assert abs(h.std().item() - 1.0) < 0.02 and abs(h.mean().item()) < 0.02


def test_cd1_training_lowers_the_reconstruction_error_with_hintons_update():
    g = torch.Generator().manual_seed(0)
    protos = (torch.rand(4, 20, generator=g) > 0.5).float()
    data = protos[torch.randint(0, 4, (400,), generator=g)]
    rbm = RBM(20, 8, generator=g, visible_bias=data_visible_bias(data))
    errors = train_rbm(rbm, data, RBMTraining(lr=0.1, epochs=15, batch_size=20), seed=0)
    assert errors[-1] < 0.5 * errors[0]


def test_momentum_and_weight_cost_follow_hintons_increments():
    rbm = RBM(3, 2, generator=torch.Generator().manual_seed(0), init_std=0.3)
    data = torch.rand(4, 3)
    W0 = rbm.W.clone()
    twin = RBM(3, 2, generator=torch.Generator().manual_seed(0), init_std=0.3)
    cfg = RBMTraining(lr=0.1, weight_cost=0.01, epochs=1, batch_size=4, initial_momentum=0.5)
    train_rbm(rbm, data, cfg, seed=0)
    # one batch of 4 (the whole data; CD sampling seeded as in train_rbm):
    gen = torch.Generator().manual_seed(0)
    dW, _, _, _ = twin.cd1(data[torch.randperm(4, generator=torch.Generator().manual_seed(0))], gen)
    expected = W0 + 0.1 * (dW / 4 - 0.01 * W0)
    torch.testing.assert_close(rbm.W, expected)


def test_pretrain_stack_passes_probabilities_upward_and_unrolls():
    g = torch.Generator().manual_seed(0)
    data = torch.rand(50, 12, generator=g)
    sizes = (12, 8, 6, 3)
    cfgs = [RBMTraining(epochs=1, batch_size=10)] * 3
    rbms, logs = pretrain_stack(data, sizes, cfgs, seed=0)
    assert [r.hidden for r in rbms] == ["binary", "binary", "gaussian"]
    assert [log["layer"] for log in logs] == ["12-8", "8-6", "6-3"]
    initial, _ = pretrain_stack(data, sizes, [RBMTraining(epochs=0)] * 3, seed=0)
    torch.testing.assert_close(initial[0].b, data_visible_bias(data))  # first layer: from the data
    assert all(torch.equal(r.b, torch.zeros_like(r.b)) for r in initial[1:])  # the others: zero
    assert abs(initial[0].W.std().item() - math.sqrt(0.001)) < 0.005  # N(0, variance 0.001)
    model = DeepAutoencoder.unroll(rbms)
    assert model.sizes == [12, 8, 6, 3, 6, 8, 12]
    assert model.activations == ["sigmoid", "sigmoid", "linear", "sigmoid", "sigmoid", "sigmoid"]
    x = torch.rand(7, 12)
    h1 = upward(rbms[0], x)
    h2 = upward(rbms[1], h1)
    code = rbms[2].hidden_mean(h2)  # linear code
    d2 = torch.sigmoid(rbms[2].b + code @ rbms[2].W.T)
    d1 = torch.sigmoid(rbms[1].b + d2 @ rbms[1].W.T)
    out = torch.sigmoid(rbms[0].b + d1 @ rbms[0].W.T)
    torch.testing.assert_close(model(x)[0], out)


def test_first_layer_bias_can_start_at_zero():
    data = torch.rand(30, 5)
    rbms, _ = pretrain_stack(data, (5, 3), [RBMTraining(epochs=0)], first_visible_bias="zero")
    assert torch.equal(rbms[0].b, torch.zeros(5))


# --- replicas and lockstep fine-tuning ----------------------------------------------------------------
def small_autoencoder(replicas=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    rbms = [RBM(10, 6, generator=g, init_std=0.3), RBM(6, 3, hidden="gaussian", generator=g, init_std=0.3)]
    return DeepAutoencoder.unroll(rbms, replicas=replicas)


def test_replicas_are_independent_copies_sharing_memory_with_their_views():
    model = small_autoencoder(replicas=3)
    x = torch.rand(4, 10)
    out = model(x)
    assert out.shape == (3, 4, 10)
    torch.testing.assert_close(out[0], out[2])
    views = model.replica_parameters(1)
    assert all(v.is_leaf for v in views)
    with torch.no_grad():
        views[0].add_(1.0)
    assert torch.equal(model.weights[0][1], views[0]) and not torch.equal(model.weights[0][0], views[0])
    loss = (model(x) - x).pow(2).sum(dim=(1, 2))
    loss[1].backward()
    model.share_gradients()
    assert views[0].grad is not None and views[0].grad.abs().sum() > 0
    assert model.replica_parameters(0)[0].grad.abs().sum() == 0


def test_rer_is_the_per_image_sum_over_pixels():
    model = small_autoencoder()
    x = torch.rand(9, 10)
    expected = (model(x)[0] - x).pow(2).sum(1).mean().item()
    assert reconstruction_errors(model, x, chunk=4)[0] == pytest.approx(expected, rel=1e-6)


def run_group(rules, epochs=3, replicas=None):
    model = small_autoencoder(replicas=len(rules))
    opts = [PerRole(model.replica_parameters(k), weight=w, bias=b) for k, (w, b) in enumerate(rules)]
    x = torch.rand(40, 10, generator=torch.Generator().manual_seed(1))
    xt = torch.rand(10, 10, generator=torch.Generator().manual_seed(2))
    return finetune(model, opts, [f"s{k}" for k in range(len(rules))], x, xt,
                    FineTuning(epochs=epochs, batch_size=8, eval_every=1), seed=3)


def test_lockstep_strategies_equal_separate_runs():
    rules = [(Rule(SGD, {"lr": 0.01}), Rule(SGD, {"lr": 0.01})),
             (Rule(AdaGrad, {"lr": 0.05, "K": 1.0, "eps": 0.0}), None),
             (Rule(AdaMix, {"lr": 0.05, "total_steps": 15}), Rule(AdaMix, {"lr": 0.05, "total_steps": 15}))]
    together = run_group(rules)
    for k, rule in enumerate(rules):
        alone = run_group([rule])[0]
        for a, b in zip(together[k], alone):
            assert a["epoch"] == b["epoch"]
            assert a["test_rer"] == pytest.approx(b["test_rer"], rel=1e-5)
    assert together[0][-1]["test_rer"] < together[0][0]["test_rer"]


def test_nonfinite_loss_names_the_strategy_and_step():
    model = small_autoencoder(replicas=2)
    opts = [PerRole(model.replica_parameters(0), weight=Rule(SGD, {"lr": 0.01}), bias=None),
            PerRole(model.replica_parameters(1), weight=Rule(SGD, {"lr": 1e30}), bias=None)]
    x = torch.rand(16, 10, generator=torch.Generator().manual_seed(0))
    with pytest.raises(NonFiniteLossError, match=r"^exploding: loss became .* at step \d+ \(epoch \d+\)"):
        finetune(model, opts, ["calm", "exploding"], x, x, FineTuning(epochs=5, batch_size=4, eval_every=5))


def test_checkpoint_resume_in_process(tmp_path):
    rules = [(Rule(AdaMix, {"lr": 0.05, "total_steps": 25}), Rule(SGD, {"lr": 0.01}))]
    full = run_group(rules, epochs=5)[0]

    class Crash(Exception):
        pass

    model = small_autoencoder()
    opts = [PerRole(model.replica_parameters(0), weight=rules[0][0], bias=rules[0][1])]
    x = torch.rand(40, 10, generator=torch.Generator().manual_seed(1))
    xt = torch.rand(10, 10, generator=torch.Generator().manual_seed(2))
    ckpt = tmp_path / "ck.pt"

    def crash(epoch):
        if epoch == 2:
            raise Crash

    with pytest.raises(Crash):
        finetune(model, opts, ["s0"], x, xt, FineTuning(epochs=5, batch_size=8, eval_every=1), seed=3,
                 checkpoint=ckpt, key="k", progress=crash, checkpoint_seconds=0)
    assert ckpt.is_file()
    model = small_autoencoder()  # a fresh process would rebuild everything from scratch
    opts = [PerRole(model.replica_parameters(0), weight=rules[0][0], bias=rules[0][1])]
    resumed = finetune(model, opts, ["s0"], x, xt, FineTuning(epochs=5, batch_size=8, eval_every=1),
                       seed=3, checkpoint=ckpt, key="k")[0]
    assert [r["test_rer"] for r in resumed] == [r["test_rer"] for r in full]
    assert not ckpt.exists()


def test_checkpoints_are_written_at_most_every_checkpoint_seconds(tmp_path, monkeypatch):
    rules = [(Rule(AdaMix, {"lr": 0.05, "total_steps": 25}), Rule(SGD, {"lr": 0.01}))]
    x = torch.rand(40, 10, generator=torch.Generator().manual_seed(1))
    xt = torch.rand(10, 10, generator=torch.Generator().manual_seed(2))
    written = []
    monkeypatch.setattr("optimlab.training.finetuning.atomic_torch_save", lambda path, obj: written.append(obj["epoch"]))

    def train(**kwargs):
        model = small_autoencoder()
        opts = [PerRole(model.replica_parameters(0), weight=rules[0][0], bias=rules[0][1])]
        records = finetune(model, opts, ["s0"], x, xt, FineTuning(epochs=5, batch_size=8, eval_every=1),
                           seed=3, checkpoint=tmp_path / "ck.pt", key="k", **kwargs)[0]
        return [(r["test_rer"], r["train_rer"]) for r in records]

    every = train(checkpoint_seconds=0)
    assert written == [1, 2, 3, 4]  # the last epoch needs none: the run's results are written instead
    written.clear()
    assert train(checkpoint_seconds=3600) == every and written == []
    monkeypatch.setenv("OPTIMBOOK_CHECKPOINT_SECONDS", "0")
    assert train() == every and written == [1, 2, 3, 4]
    monkeypatch.setenv("OPTIMBOOK_CHECKPOINT_SECONDS", "-1")
    with pytest.raises(ValueError, match="OPTIMBOOK_CHECKPOINT_SECONDS"):
        train()
    with pytest.raises(ValueError, match="checkpoint_seconds"):
        train(checkpoint_seconds=float("nan"))


# --- the runner at smoke scale -----------------------------------------------------------------------
TINY = replace(SETUPS["smoke"], sizes=(784, 64, 32, 16, 8), fraction_scale=0.02, epochs=4, eval_every=2)


def test_run_returns_the_tidy_table_and_reuses_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    frame = adamix.run("fig5", scale="smoke", setup=TINY, device="cpu")
    assert list(frame.columns) == adamix.COLUMNS
    assert list(dict.fromkeys(frame["strategy"])) == ["Cons+Cons", "Cons+None", "None+Cons"]
    assert sorted(frame["epoch"].unique()) == [0, 2, 4]
    assert (frame["data_fraction"] == 0.1).all()
    assert (frame.groupby("strategy")["seconds"].max() > 0).all()
    # every strategy fine-tunes from the identical pretrained network
    start = frame[frame["epoch"] == 0]
    assert start["test_rer"].nunique() == 1
    assert len(list((tmp_path / "smoke" / "pretrained").glob("*.pt"))) == 1
    monkeypatch.setattr(adamix.runner, "finetune", lambda *a, **k: pytest.fail("a cached run was recomputed"))
    again = adamix.run("fig5", scale="smoke", setup=TINY, device="cpu")
    pd.testing.assert_frame_equal(frame, again)
    info = adamix.run_info("fig5", scale="smoke", setup=TINY, device="cpu")
    assert len(info) == 3 and set(info["torch"]) == {torch.__version__}
    # the fine-tuned network of a run is kept and reloads to the recorded RER
    from optimlab.training.data import load_mnist

    net = adamix.trained_model("fig5", "Cons+None", scale="smoke", setup=TINY, device="cpu")
    _, n_test = TINY.numbers(0.1)
    xt, _ = load_mnist("test", fraction=n_test / 10_000, seed=TINY.data_seed)
    final = frame[(frame["strategy"] == "Cons+None") & (frame["epoch"] == 4)]["test_rer"].item()
    assert reconstruction_errors(net, xt)[0] == pytest.approx(final, rel=1e-5)
    table = adamix.comparison(frame)
    assert table["published"].tolist() == [8.37, 9.09, 51.40]
    assert table["relative_difference"].tolist() == pytest.approx(
        (table["ours"] / table["published"] - 1).tolist())
    # Cons+Cons is shared with fig6 and fig7: one cached run serves all three
    sub = adamix.run("fig7", scale="smoke", setup=TINY, device="cpu",
                     strategies=[EXPERIMENTS["fig7"].strategies[0]])
    assert sub["test_rer"].tolist() == frame[frame["strategy"] == "Cons+Cons"]["test_rer"].tolist()


def test_run_without_lockstep_gives_the_same_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / "a"))
    a = adamix.run("fig4", scale="smoke", setup=TINY, device="cpu")
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / "b"))
    b = adamix.run("fig4", scale="smoke", setup=replace(TINY, lockstep=False), device="cpu")
    pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"), check_exact=True)


def test_parallel_workers_give_the_serial_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / "serial"))
    serial = adamix.run("fig8", scale="smoke", setup=TINY, device="cpu", workers=1)
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / "parallel"))
    parallel = adamix.run("fig8", scale="smoke", setup=TINY, device="cpu", workers=2)
    assert parallel[["strategy", "data_fraction", "epoch"]].equals(serial[["strategy", "data_fraction", "epoch"]])
    pd.testing.assert_frame_equal(parallel.drop(columns="seconds"), serial.drop(columns="seconds"),
                                  check_exact=True)
    assert len(list((tmp_path / "parallel" / "smoke" / "pretrained").glob("*.pt"))) == 4


def test_schedule_starts_the_longest_chain_and_ranks_jobs_by_their_work(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    the_plan = adamix.plan(["fig4", "fig8"], scale="paper", device="cpu")
    order = adamix.runner.schedule_order(the_plan.pretrain, the_plan.finetune)
    assert len(order) == len(the_plan.pretrain) + len(the_plan.finetune) == 4 + 7  # AdaMix on 1/10 is shared
    # first: the pretraining of all of MNIST, whose fine-tuning is the longest run
    assert order[0][1:] == ("pretrain", next(p for p in the_plan.pretrain if p.fraction == 1.0))
    priorities = [p for p, _, _ in order]
    assert priorities == sorted(priorities, reverse=True)
    # a job's length is its matrix-product work: proportional to the images at a fixed setup
    work = {j.fraction: adamix.runner.job_flop(j) for j in the_plan.finetune}
    assert work[1.0] == pytest.approx(10 * work[0.1], rel=0.01)
    pre = {p.fraction: adamix.runner.job_flop(p) for p in the_plan.pretrain}
    assert [p for p, kind, job in order if kind == "pretrain" and job.fraction == 0.3] == [
        pytest.approx(pre[0.3] + work[0.3])]


def test_merge_refuses_plans_of_another_scale(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    plans = [adamix.plan(name, "paper", (0,), "cpu") for name in ("fig4", "fig5", "fig8")]
    merged = adamix.runner.merge(plans)
    assert len(merged.finetune) == 4 + 2 + 3  # Cons+Cons is Cons; AdaMix on 1/10 is shared
    with pytest.raises(ValueError, match="scale/device"):
        adamix.runner.merge([plans[0], adamix.plan("fig4", "smoke", (0,), "cpu")])


def test_the_schedule_simulator_is_gone():
    for name in ("simulate", "schedule_summary", "_simulated"):
        assert not hasattr(adamix.runner, name), name


def test_killed_run_resumes_to_the_uninterrupted_numbers(tmp_path):
    """SIGKILL the CLI right after epoch 2's checkpoint; a rerun resumes and matches exactly."""
    env = {**os.environ, "OPTIMBOOK_RESULTS": str(tmp_path / "killed"), "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "optimlab", "run", "fig4", "--scale", "smoke", "--device", "cpu",
           "--workers", "1"]
    first = subprocess.run(cmd, env={**env, "OPTIMBOOK_KILL_AFTER_EPOCH": "2", "OPTIMBOOK_CHECKPOINT_SECONDS": "0"},
                           capture_output=True, text=True)
    assert first.returncode == -9, first.stderr[-2000:]
    checkpoints = list((tmp_path / "killed" / "smoke" / "checkpoints").glob("*.pt"))
    assert len(checkpoints) == 1
    assert not (tmp_path / "killed" / "smoke" / "fig4.csv").exists()
    second = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr[-2000:]
    assert not any((tmp_path / "killed" / "smoke" / "checkpoints").glob("*.pt"))
    resumed = pd.read_csv(tmp_path / "killed" / "smoke" / "fig4.csv")
    clean_env = {**env, "OPTIMBOOK_RESULTS": str(tmp_path / "clean")}
    third = subprocess.run(cmd, env=clean_env, capture_output=True, text=True)
    assert third.returncode == 0, third.stderr[-2000:]
    clean = pd.read_csv(tmp_path / "clean" / "smoke" / "fig4.csv")
    pd.testing.assert_frame_equal(resumed.drop(columns="seconds"), clean.drop(columns="seconds"))


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "entry.json"
    with pytest.raises(TypeError):
        atomic_write_bytes(target, object())  # type: ignore[arg-type]
    assert not target.exists() and not list(tmp_path.iterdir())
    atomic_write_bytes(target, b"ok")
    assert target.read_bytes() == b"ok"


def test_bad_arguments():
    with pytest.raises(ValueError, match="name must be one of"):
        adamix.run("fig9", scale="smoke")
    with pytest.raises(ValueError, match="scale must be one of"):
        adamix.run("fig4", scale="huge")
    with pytest.raises(ValueError, match="time_unit"):
        Setup(time_unit="hours")


def test_per_epoch_schedule_is_constant_within_an_epoch():
    from optimbook.schedules import power_decay
    from optimbook.schedules.epochwise import per_epoch

    s = per_epoch(power_decay(0.001, 50, 0.75), 60)
    assert [s(t) for t in (0, 59)] == [0.001, 0.001]
    assert s(60) == pytest.approx(0.001 * (1 + 1 / 50) ** -0.75)
    assert s(3000) == pytest.approx(0.001 * 2 ** -0.75)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        per_epoch(power_decay(0.1, 5), 0)


def test_epoch_reading_rules_change_once_per_epoch():
    setup = replace(SETUPS["paper"], time_unit="epoch")
    w, b = strategy_rules(Strategy("AdaMix", "AdaMix", "AdaMix"), setup, 60)
    assert w.kwargs["total_steps"] == 50  # α does not use R; β comes from the schedule below
    beta = b.kwargs["lr"]  # a schedule as the biases' lr
    assert beta(59) == beta(0) and beta(60) < beta(59)
    w, _ = strategy_rules(Strategy("AdaDec", "AdaDec", "AdaDec"), setup, 60)
    assert "q" not in w.kwargs and "total_steps" not in w.kwargs  # no q = 0, R = 1 workaround
    assert w.kwargs["lr"](120) == pytest.approx(0.001 * (1 + 2 / 50) ** -0.75)


def test_a_damaged_cache_entry_is_named_moved_aside_and_recomputed(tmp_path, monkeypatch):
    from optimlab.storage import CorruptFileWarning

    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    first = adamix.run("fig5", scale="smoke", setup=TINY, device="cpu")
    runs = sorted((tmp_path / "smoke" / "runs").glob("*.json"))
    stack = next((tmp_path / "smoke" / "pretrained").glob("*.pt"))
    runs[0].write_text(runs[0].read_text()[:40])  # a write cut short
    stack.write_bytes(stack.read_bytes()[:1000])
    with pytest.warns(CorruptFileWarning) as record:
        again = adamix.run("fig5", scale="smoke", setup=TINY, device="cpu")
    named = " ".join(str(w.message) for w in record)
    assert runs[0].name in named and stack.name in named  # each damaged file is named
    pd.testing.assert_frame_equal(first.drop(columns="seconds"), again.drop(columns="seconds"))
    assert (runs[0].parent / (runs[0].name + ".corrupt")).exists() or any(
        p.name.startswith(runs[0].name) and "corrupt" in p.name for p in runs[0].parent.iterdir())
    assert json_ok(runs[0])


def json_ok(path) -> bool:
    import json

    return "records" in json.loads(path.read_text())


def test_same_runs_finds_a_moved_number(tmp_path, capsys):
    """benchmarks/same_runs.py, which backs the claim that a speed change moved no run."""
    import importlib.util
    import json as _json

    spec = importlib.util.spec_from_file_location("same_runs", Path(__file__).resolve().parents[1]
                                                  / "benchmarks" / "same_runs.py")
    same_runs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(same_runs)

    def write(folder, code, rer):
        runs = folder / "paper" / "runs"
        runs.mkdir(parents=True)
        key = {"weight": "Rule(AdaMix)", "bias": "Rule(SGD)", "fraction": 0.1, "seed": 0, "code": code}
        (runs / "a.json").write_text(_json.dumps(
            {"key": key, "records": [{"epoch": 0, "test_rer": 9.0, "train_rer": 9.5},
                                     {"epoch": 5, "test_rer": rer, "train_rer": 4.5}]}))

    write(tmp_path / "before", "old", 4.0)
    write(tmp_path / "after", "new", 4.0)
    write(tmp_path / "moved", "new", 4.000001)
    assert same_runs.main([str(tmp_path / "before"), str(tmp_path / "after")]) == 0
    assert "identical (every recorded RER): 1; different: 0" in capsys.readouterr().out
    assert same_runs.main([str(tmp_path / "before"), str(tmp_path / "moved")]) == 1
    assert "differs: weight Rule(AdaMix)" in capsys.readouterr().out
