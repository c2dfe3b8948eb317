"""ScheduleLR and ReduceOnPlateau driving real optimizers.

Oracles: the schedule's closed form (lr at the t-th optimizer step is schedule(t)), hand-computed
sequences for torch's SequentialLR and ChainedScheduler, an uninterrupted run for resumed ones, and
torch.optim.lr_scheduler.ReduceLROnPlateau for the validation-based rule.
"""

from __future__ import annotations

import io
import math
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.optim import lr_scheduler as L

import optimbook.schedules as S
from optimbook import optim as O
from optimbook.schedules import ReduceOnPlateau, ScheduleLR

COSINE = S.linear_warmup(S.cosine_decay(0.1, 30, alpha=0.1), 5, start=0.01)
RESTARTS = S.cosine_decay_restarts(0.05, 4, 2.0, 0.5, 0.1)


def model_and_data(seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(16, 4, generator=g, dtype=torch.float64)
    return model, x


def train(model, x, optimizer, scheduler, n, lrs, before=None):
    """n steps of optimizer.step() then scheduler.step(); lrs gets each group's lr at each step."""
    for t in range(n):
        if before is not None:
            before(t)
        lrs.append([g["lr"] for g in optimizer.param_groups])
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        optimizer.step()
        scheduler.step()


@pytest.mark.parametrize("make_opt", [lambda p: O.SGD(p, lr=1.0), lambda p: O.Adam(p, lr=1.0),
                                      lambda p: torch.optim.SGD(p, lr=1.0, momentum=0.9)],
                         ids=["optimbook.SGD", "optimbook.Adam", "torch.SGD"])
def test_lr_at_each_step_is_the_schedule_and_nothing_warns(make_opt):
    model, x = model_and_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = make_opt(model.parameters())
        sched = ScheduleLR(opt, COSINE)
        lrs = []
        train(model, x, opt, sched, 50, lrs)
    assert [lr[0] for lr in lrs] == [COSINE(t) for t in range(50)]
    assert sched.last_epoch == 50 and sched.get_last_lr() == [COSINE(50)]


def test_fit_calls_the_scheduler_after_each_step(recwarn):
    from optimlab.training.loop import fit

    model, x = model_and_data()
    opt = O.SGD(model.parameters(), lr=1.0)
    sched = ScheduleLR(opt, RESTARTS)
    seen = []
    real_step = opt.step

    def spy(*a, **k):
        seen.append(opt.param_groups[0]["lr"])
        return real_step(*a, **k)

    opt.step = spy
    opt.step._wrapped_by_lr_sched = True  # keep torch's order check satisfied
    fit(model, lambda out, _: out.pow(2).mean(), opt, x, torch.zeros(16), batch_size=4, epochs=5,
        scheduler=sched)
    assert seen == [RESTARTS(t) for t in range(20)]
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_resume_mid_way_gives_the_identical_sequence():
    n, k = 40, 17
    model, x = model_and_data()
    opt = O.Adam(model.parameters(), lr=1.0)
    sched = ScheduleLR(opt, RESTARTS)
    full = []
    train(model, x, opt, sched, n, full)
    final = [p.detach().clone() for p in model.parameters()]

    model, x = model_and_data()
    opt = O.Adam(model.parameters(), lr=1.0)
    sched = ScheduleLR(opt, RESTARTS)
    first = []
    train(model, x, opt, sched, k, first)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, buffer)

    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)  # plain data only
    model2, _ = model_and_data(seed=1)  # a different start, overwritten by the checkpoint
    model2.load_state_dict(saved["model"])
    opt2 = O.Adam(model2.parameters(), lr=1.0)
    sched2 = ScheduleLR(opt2, S.constant(9.0))  # the schedule comes back from the checkpoint
    opt2.load_state_dict(saved["opt"])
    sched2.load_state_dict(saved["sched"])
    rest = []
    train(model2, x, opt2, sched2, n - k, rest)
    assert first + rest == full
    assert all(torch.equal(p, q) for p, q in zip(model2.parameters(), final))


def test_one_schedule_per_group():
    model, x = model_and_data()
    groups = [{"params": model[0].parameters()}, {"params": model[2].parameters()}]
    opt = O.SGD(groups, lr=1.0)
    sched = ScheduleLR(opt, [COSINE, S.exponential_decay(0.2, 3, 0.5, staircase=True)])
    lrs = []
    train(model, x, opt, sched, 25, lrs)
    assert lrs == [[COSINE(t), 0.2 * 0.5 ** (t // 3)] for t in range(25)]
    with pytest.raises(ValueError, match="one schedule per param group"):
        ScheduleLR(opt, [COSINE])
    with pytest.raises(TypeError, match="schedule_or_one_per_group"):
        ScheduleLR(opt, 0.1)


def test_sequential_lr_runs_each_schedule_from_its_own_step_0():
    a, b = S.constant(0.3), S.exponential_decay(0.1, 1, 0.5)
    model, x = model_and_data()
    opt = O.SGD(model.parameters(), lr=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        seq = L.SequentialLR(opt, [ScheduleLR(opt, a), ScheduleLR(opt, b)], milestones=[4])
        lrs = []
        train(model, x, opt, seq, 9, lrs)
    assert [lr[0] for lr in lrs] == pytest.approx([0.3] * 4 + [0.1, 0.05, 0.025, 0.0125, 0.00625], rel=1e-15)


def test_sequential_lr_with_torch_warmup_then_schedule():
    model, x = model_and_data()
    opt = O.SGD(model.parameters(), lr=0.1)
    warm = L.LinearLR(opt, start_factor=0.5, total_iters=2)
    seq = L.SequentialLR(opt, [warm, ScheduleLR(opt, S.step_decay(0.1, 2, 0.1))], milestones=[2])
    lrs = []
    train(model, x, opt, seq, 6, lrs)
    assert [lr[0] for lr in lrs] == pytest.approx([0.05, 0.075, 0.1, 0.1, 0.01, 0.01], rel=1e-12)


@pytest.mark.parametrize("order", ["schedule first", "torch first"])
def test_chained_scheduler_multiplies_the_rules(order):
    model, x = model_and_data()
    opt = O.SGD(model.parameters(), lr=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = ScheduleLR(opt, COSINE) if order == "schedule first" else None
        other = L.ExponentialLR(opt, gamma=0.9)
        ours = ours or ScheduleLR(opt, COSINE)
        chain = L.ChainedScheduler([ours, other] if order == "schedule first" else [other, ours], opt)
        lrs = []
        train(model, x, opt, chain, 30, lrs)
    assert [lr[0] for lr in lrs] == pytest.approx([COSINE(t) * 0.9**t for t in range(30)], rel=1e-12)


def test_chained_with_step_and_constant_factors():
    model, x = model_and_data()
    opt = O.SGD(model.parameters(), lr=1.0)
    s = S.power_decay(0.1, 5)
    chain = L.ChainedScheduler([ScheduleLR(opt, s), L.StepLR(opt, 3, 0.5),
                                L.ConstantLR(opt, factor=0.25, total_iters=4)], opt)
    lrs = []
    train(model, x, opt, chain, 12, lrs)
    hand = [s(t) * 0.5 ** (t // 3) * (0.25 if t < 4 else 1.0) for t in range(12)]
    assert [lr[0] for lr in lrs] == pytest.approx(hand, rel=1e-12)


def test_chained_through_a_zero_rate():
    """At a rate of 0 the other scheduler's factor cannot be read; it is kept, not lost."""
    model, x = model_and_data()
    opt = O.SGD(model.parameters(), lr=1.0)
    s = S.linear_warmup(S.constant(0.1), 3, start=0.0)
    chain = L.ChainedScheduler([ScheduleLR(opt, s), L.ExponentialLR(opt, 0.5)], opt)
    lrs = []
    train(model, x, opt, chain, 8, lrs)
    assert [lr[0] for lr in lrs] == pytest.approx([s(t) * 0.5**t for t in range(8)], rel=1e-12)


def test_manual_scale_and_hand_assignment_keep_the_shape():
    model, x = model_and_data()
    opt = O.SGD(model.parameters(), lr=1.0)
    sched = ScheduleLR(opt, COSINE)

    def before(t):
        if t == 10:
            sched.scale(0.5)
        if t == 20:
            opt.param_groups[0]["lr"] *= 0.1  # by hand: carried forward from the next step

    lrs = []
    train(model, x, opt, sched, 30, lrs, before)
    hand = [COSINE(t) * (1 if t < 10 else 0.5 if t < 20 else 0.05) for t in range(30)]
    assert [lr[0] for lr in lrs] == pytest.approx(hand, rel=1e-12)


def test_switch_joins_a_new_schedule_at_the_current_step_and_survives_a_checkpoint():
    model, x = model_and_data()
    opt = O.SGD(model.parameters(), lr=1.0)
    sched = ScheduleLR(opt, COSINE)
    new = S.exponential_decay(0.02, 2, 0.5)
    lrs = []
    train(model, x, opt, sched, 12, lrs)
    sched.scale(3.0)  # reset by the switch
    sched.switch(new)
    assert opt.param_groups[0]["lr"] == new(0)
    state = sched.state_dict()
    sched2 = ScheduleLR(O.SGD(model.parameters(), lr=1.0), S.constant(1.0))
    sched2.optimizer.load_state_dict(opt.state_dict())
    sched2.load_state_dict(state)
    assert sched2.schedules[0] == S.join([COSINE, new], [12])
    train(model, x, sched2.optimizer, sched2, 8, lrs)
    assert [lr[0] for lr in lrs] == pytest.approx([COSINE(t) for t in range(12)] + [new(t) for t in range(8)],
                                                 rel=1e-15)


def test_manual_change_arguments_are_checked():
    opt = O.SGD([torch.zeros(2, requires_grad=True)], lr=1.0)
    sched = ScheduleLR(opt, COSINE)
    with pytest.raises(ValueError, match="factor"):
        sched.scale(-1.0)
    with pytest.raises(ValueError, match="groups"):
        sched.scale(0.5, groups=3)
    with pytest.raises(TypeError, match="schedule must be a schedule"):
        sched.switch(0.1)


def test_plateau_reduction_becomes_a_factor_on_the_schedule():
    model, x = model_and_data()
    opt = O.SGD(model.parameters(), lr=1.0)
    sched = ScheduleLR(opt, S.constant(0.1))
    plateau = ReduceOnPlateau(opt, factor=0.5, patience=0)
    lrs = []
    for epoch, metric in enumerate([1.0, 0.9, 0.95, 0.8, 0.85]):
        train(model, x, opt, sched, 2, lrs)
        plateau.step(metric)
    assert [lr[0] for lr in lrs] == pytest.approx([0.1] * 6 + [0.05] * 2 + [0.05] * 2, rel=1e-12)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)


def test_a_tensor_lr_is_not_mistaken_for_a_change():
    p = torch.zeros(3, requires_grad=True)
    opt = torch.optim.SGD([p], lr=torch.tensor(1.0), foreach=False)
    sched = ScheduleLR(opt, S.exponential_decay(0.1, 1, 0.9))
    for t in range(10):
        assert float(opt.param_groups[0]["lr"]) == pytest.approx(0.1 * 0.9**t, rel=1e-6)
        p.grad = torch.ones(3)
        opt.step()
        sched.step()
    assert sched._factors == [1.0]


def test_per_role_uses_schedule_t_before_step_t():
    model, x = model_and_data()
    s = S.step_decay(0.1, 2, 0.5)
    opt = O.PerRole(model, weight=O.Rule(O.SGD, {"lr": s}), bias=O.Rule(O.SGD, {"lr": 0.01}))
    weight = model[0].weight
    for t in range(6):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        before, grad = weight.detach().clone(), weight.grad.detach().clone()
        opt.step()
        torch.testing.assert_close(weight.detach(), before - s(t) * grad, rtol=0, atol=1e-7)


def test_the_classifier_experiment_trains_under_a_schedule():
    """compare()'s runner passes a rule's schedule to the optimizer as its lr."""
    from optimlab.experiments.classifier import ClassifierConfig, _run

    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(60, 784, generator=g), torch.randint(0, 10, (60,), generator=g)
    config = ClassifierConfig(train_fraction=1.0, test_fraction=1.0, hidden=8, epochs=2, batch_size=20)
    rule = O.Rule(O.SGD, {"lr": S.cosine_decay(0.1, 6)})
    rows = _run(rule, 0, config, (x, y, x, y), torch.device("cpu"))
    assert [r["step"] for r in rows] == [0, 3, 6] and all(math.isfinite(r["train_loss"]) for r in rows[1:])


# --- ReduceOnPlateau against torch's ReduceLROnPlateau ------------------------------------------
metrics = st.lists(st.floats(0.0, 2.0).map(lambda v: round(v, 2)), min_size=1, max_size=40)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(values=metrics, mode=st.sampled_from(["min", "max"]), factor=st.sampled_from([0.1, 0.5, 0.9]),
       patience=st.integers(0, 4), threshold=st.sampled_from([0.0, 1e-4, 0.05]),
       threshold_mode=st.sampled_from(["rel", "abs"]), cooldown=st.integers(0, 3),
       min_lr=st.sampled_from([0.0, 1e-3]))
def test_reduce_on_plateau_matches_torch(values, mode, factor, patience, threshold, threshold_mode,
                                         cooldown, min_lr):
    kw = dict(mode=mode, factor=factor, patience=patience, threshold=threshold,
              threshold_mode=threshold_mode, cooldown=cooldown, min_lr=min_lr)
    p, q = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    ours_opt, torch_opt = O.SGD([p], lr=0.1), torch.optim.SGD([q], lr=0.1)
    ours, oracle = ReduceOnPlateau(ours_opt, **kw), L.ReduceLROnPlateau(torch_opt, **kw)
    for v in values:
        ours.step(v)
        oracle.step(v)
        assert ours_opt.param_groups[0]["lr"] == torch_opt.param_groups[0]["lr"]
        assert (ours.best, ours.num_bad_epochs) == (oracle.best, oracle.num_bad_epochs)
        assert ours.state.cooldown_counter == oracle.cooldown_counter


def test_reduce_on_plateau_per_group_floors_and_state_dict():
    def groups():
        return [{"params": [torch.zeros(1, requires_grad=True)]}, {"params": [torch.zeros(1, requires_grad=True)]}]

    opt, torch_opt = O.SGD(groups(), lr=1.0), torch.optim.SGD(groups(), lr=1.0)
    kw = dict(factor=0.1, patience=1, min_lr=[0.05, 0.0])
    plateau, oracle = ReduceOnPlateau(opt, **kw), L.ReduceLROnPlateau(torch_opt, **kw)
    for _ in range(3):  # best, bad, bad > patience: reduce
        plateau.step(1.0), oracle.step(1.0)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.1, 0.1])
    again = ReduceOnPlateau(opt, **kw)
    again.load_state_dict(plateau.state_dict())
    for _ in range(4):
        again.step(1.0), oracle.step(1.0)
    # two more reductions; the first group stops at its floor 0.05
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.05, 0.001])
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in torch_opt.param_groups]


def test_increase_on_improvement_is_the_bold_driver():
    opt = O.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    plateau = ReduceOnPlateau(opt, factor=0.5, patience=0, increase=1.1, max_lr=0.125)
    actions = [plateau.step(v) for v in [1.0, 0.9, 0.8, 0.85, 0.7]]
    assert actions == ["improve", "improve", "improve", "reduce", "improve"]
    assert opt.param_groups[0]["lr"] == pytest.approx(min(0.1 * 1.1**3, 0.125) * 0.5 * 1.1)


@pytest.mark.parametrize("kw,name", [({"factor": 1.0}, "factor"), ({"patience": -1}, "patience"),
                                     ({"mode": "low"}, "mode"), ({"threshold_mode": "x"}, "threshold_mode"),
                                     ({"cooldown": 1.5}, "cooldown"), ({"min_lr": [0.1, 0.1]}, "min_lr"),
                                     ({"increase": 0.5}, "increase")])
def test_reduce_on_plateau_checks_its_arguments(kw, name):
    with pytest.raises(ValueError, match=name):
        ReduceOnPlateau(O.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), **kw)


@pytest.mark.parametrize("kw,name", [
    ({"factor": math.nan}, "factor"), ({"factor": "0.5"}, "factor"), ({"patience": math.inf}, "patience"),
    ({"patience": math.nan}, "patience"), ({"patience": 10**400}, "patience"), ({"threshold": math.inf}, "threshold"),
    ({"cooldown": math.nan}, "cooldown"), ({"min_lr": math.nan}, "min_lr"), ({"min_lr": ["x"]}, r"min_lr\[0\]"),
    ({"min_lr": None}, "min_lr"), ({"eps": math.inf}, "eps"), ({"increase": math.inf}, "increase"),
    ({"max_lr": math.nan}, "max_lr"), ({"max_lr": -1.0}, "max_lr"),
])
def test_reduce_on_plateau_refuses_nan_inf_and_wrong_types_naming_the_argument(kw, name):
    with pytest.raises((ValueError, TypeError), match=rf"^{name} must be "):
        ReduceOnPlateau(O.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), **kw)


def test_reduce_on_plateau_keeps_an_infinite_max_lr_as_no_ceiling():
    plateau = ReduceOnPlateau(O.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), max_lr=math.inf)
    assert plateau.max_lr == math.inf


@pytest.mark.parametrize("metric,error", [
    (math.nan, ValueError), (math.inf, ValueError), (-math.inf, ValueError), (torch.tensor(math.nan), ValueError),
    ("bad", TypeError), (None, TypeError), ([0.5], TypeError),
])
def test_plateau_step_refuses_a_metric_that_is_not_a_finite_number(metric, error):
    opt = O.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    plateau = ReduceOnPlateau(opt, patience=0)
    plateau.step(1.0)
    with pytest.raises(error, match=r"^metric must be a finite real number, got "):
        plateau.step(metric)
    assert plateau.last_epoch == 1 and plateau.best == 1.0 and opt.param_groups[0]["lr"] == 0.1
    assert plateau.step(torch.tensor(0.5)) == "improve"


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, -math.inf])
def test_schedule_lr_refuses_a_bad_rate_naming_the_step(bad):
    opt = O.SGD([torch.zeros(2, requires_grad=True)], lr=1.0)
    sched = ScheduleLR(opt, lambda t: 0.1 if t < 3 else bad)
    for _ in range(2):
        opt.step()
        sched.step()
    opt.step()
    with pytest.raises(ValueError, match=r"lr of param group 0 must be a finite real number >= 0,"
                                         r" got .* at step 3"):
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.1  # the bad value never reached the optimizer
    assert sched.last_epoch == 2  # nor the step count: a failed step changes nothing


def test_schedule_lr_refuses_a_growing_schedule_once_it_overflows():
    opt = O.SGD([torch.zeros(2, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="at step 0"):
        ScheduleLR(opt, lambda t: -0.5)
    sched = ScheduleLR(opt, S.exponential_decay(1e300, 1, 10.0))
    with pytest.raises(ValueError, match=r"got inf at step 9"):
        for _ in range(20):
            opt.step()
            sched.step()


def test_schedule_lr_refuses_a_non_numeric_rate_and_a_bad_last_epoch():
    opt = O.SGD([torch.zeros(2, requires_grad=True)], lr=1.0)
    with pytest.raises(TypeError, match=r"must return a real number, got 'fast' \(a str\) at step 0"):
        ScheduleLR(opt, lambda t: "fast")
    with pytest.raises((ValueError, TypeError), match="last_epoch must be an integer >= -1"):
        ScheduleLR(opt, COSINE, last_epoch=math.nan)
