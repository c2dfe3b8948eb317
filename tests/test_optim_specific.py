"""Behaviour specific to single optimizers: roles, PerRole composition, masks, momentum forms,
schedules as rates, complex parameters, flags."""

from __future__ import annotations

import io
import math

import pytest
import torch
from torch import nn

from optimbook import optim as O
from optimbook.optim import Rule
from optimbook.testing import LiteralSutskever
from optimbook.schedules import exponential_decay, per_epoch, power_decay


def net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.Sigmoid(), nn.Linear(3, 2)).double()


def step(model, opt, n=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(8, 4, generator=g, dtype=torch.float64)
    for _ in range(n):
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()


# --- AdaMix -------------------------------------------------------------------------------------
def test_adamix_roles_by_ndim_and_group_override():
    from optimbook.optim.roles import role_of

    w, b = torch.zeros(2, 2), torch.zeros(2)
    assert role_of(w, {}) == "weight" and role_of(b, {}) == "bias"
    assert role_of(b, {"role": "weight"}) == "weight" and role_of(w, {"role": "bias"}) == "bias"
    with pytest.raises(ValueError, match="role must be one of"):
        O.AdaMix([{"params": [w.requires_grad_()], "role": "kernel"}], total_steps=10)


def test_adamix_weight_rates_only_shrink_and_bias_rate_is_shared():
    model = net()
    opt = O.AdaMix(model.parameters(), lr=0.1, total_steps=20)
    step(model, opt, 1)
    rates = {id(p): opt.state[p]["rate"].clone() for p in model.parameters() if p.ndim == 2}
    step(model, opt, 5)
    for p in model.parameters():
        if p.ndim == 2:
            assert (opt.state[p]["rate"] <= rates[id(p)]).all()  # K = 1: α(t) ≤ α(t−1)
            assert (opt.state[p]["rate"] <= 0.1).all()
        else:
            assert "rate" not in opt.state[p]  # biases keep no per-element state


def test_adamix_bias_step_is_power_decay_times_gradient():
    b = torch.tensor([1.0, -1.0], dtype=torch.float64, requires_grad=True)
    opt = O.AdaMix([b], lr=0.1, q=0.75, total_steps=10)
    for t in range(3):
        before = b.detach().clone()
        opt.zero_grad()
        (3 * b.sum()).backward()  # g = 3
        opt.step()
        assert torch.allclose(b.detach(), before - 0.1 * (1 + t / 10) ** -0.75 * 3)


# --- PerRole ------------------------------------------------------------------------------------
def test_cons_plus_cons_is_plain_sgd():
    a, b = net(), net()
    step(a, O.PerRole(a, weight=Rule(O.SGD, {"lr": 0.1}), bias=Rule(O.SGD, {"lr": 0.1})), 5)
    step(b, O.SGD(b.parameters(), lr=0.1), 5)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_none_freezes_a_role_and_lists_it():
    model = net()
    before = [p.detach().clone() for p in model.parameters()]
    opt = O.PerRole(model, weight=None, bias=(O.SGD, {"lr": 0.1}))
    step(model, opt, 3)
    for p, p0 in zip(model.parameters(), before):
        assert torch.equal(p, p0) == (p.ndim == 2)
    assert {id(p) for p in opt.frozen_params} == {id(p) for p in model.parameters() if p.ndim == 2}
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_a_rules_schedule_is_its_lr_and_resumes_from_a_checkpoint():
    model = net()
    sched = exponential_decay(0.1, 1, 0.5)
    opt = O.PerRole(model, weight=Rule(O.SGD, {"lr": sched}), bias=Rule(O.SGD, {"lr": 0.01}))
    step(model, opt, 4)
    weight_groups = [g for g in opt.param_groups if g["per_role"] == "weight"]
    assert weight_groups[0]["lr"] is sched  # the optimizer evaluates it at each step count
    assert all(opt.state[p]["step"] == 4 for p in weight_groups[0]["params"])
    assert [g["lr"] for g in opt.param_groups if g["per_role"] == "bias"] == [0.01]
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    twin_model = net()
    twin_model.load_state_dict(model.state_dict())
    twin = O.PerRole(twin_model, weight=Rule(O.SGD, {"lr": 1.0}), bias=Rule(O.SGD, {"lr": 0.01}))
    twin.load_state_dict(torch.load(buffer, weights_only=True))  # the schedule comes back
    assert twin.param_groups[0]["lr"] == sched
    step(model, opt, 3, seed=1)
    step(twin_model, twin, 3, seed=1)
    for p, q in zip(model.parameters(), twin_model.parameters()):
        assert torch.equal(p, q)
    assert twin.children["weight"].param_groups[0] is twin.param_groups[0]


def test_the_schedule_field_is_a_deprecated_alias_of_lr():
    sched = exponential_decay(0.1, 1, 0.5)
    with pytest.warns(DeprecationWarning, match="lr"):
        old = Rule(O.SGD, {"lr": 0.1}, sched)
    assert old == Rule(O.SGD, {"lr": sched}) and old.schedule is sched
    with pytest.warns(DeprecationWarning):
        opt = O.PerRole(net(), weight=(O.SGD, {"lr": 0.1}, sched), bias=None)
    assert opt.param_groups[0]["lr"] is sched


def test_per_role_refuses_a_schedules_negative_or_nan_output():
    """The issue's example: PerRole(p, weight=(SGD, {"lr": 0.1}, lambda t: -1.0)) climbed the
    gradient. Both for optimbook's optimizers and for torch.optim classes, which PerRole drives."""
    for cls in (O.SGD, torch.optim.SGD):
        for bad in (-1.0, math.nan):
            model = net()
            with pytest.raises(ValueError, match="lr.*step 0"):  # at construction for torch.optim
                opt = O.PerRole(model, weight=Rule(cls, {"lr": lambda t, bad=bad: bad}), bias=None)
                step(model, opt, 1)
            before = [p.detach().clone() for p in model.parameters()]
            opt = O.PerRole(model, weight=Rule(cls, {"lr": lambda t, bad=bad: 0.1 if t < 1 else bad}),
                            bias=None)
            step(model, opt, 1)
            after = [p.detach().clone() for p in model.parameters()]
            with pytest.raises(ValueError, match="lr.*step 1"):
                step(model, opt, 1)
            assert any(not torch.equal(a, b) for a, b in zip(before, after))
            assert all(torch.equal(a, p) for a, p in zip(after, model.parameters()))  # not moved
    with pytest.raises(ValueError, match="lr"):
        Rule(O.SGD, {"lr": -1.0})


def test_power_decay_as_lr_equals_the_shorthand_bit_for_bit():
    """AdaDec(lr, q, R) is AdaDec(lr=power_decay(lr, R, q)); AdaMix's β(t) likewise."""
    for make_a, make_b in [
        (lambda p: O.AdaDec(p, lr=0.05, q=0.75, total_steps=30),
         lambda p: O.AdaDec(p, lr=power_decay(0.05, 30, 0.75))),
        (lambda p: O.AdaDec(p, lr=0.05, q=0.5, total_steps=7, recursive=True),
         lambda p: O.AdaDec(p, lr=power_decay(0.05, 7, 0.5), recursive=True)),
        (lambda p: O.AdaMix(p, lr=0.05, bias_lr=0.2, q=0.75, total_steps=30),
         lambda p: O.AdaMix(p, lr=0.05, bias_lr=power_decay(0.2, 30, 0.75))),
    ]:
        a, b = net(), net()
        step(a, make_a(a.parameters()), 12)
        step(b, make_b(b.parameters()), 12)
        for p, q in zip(a.parameters(), b.parameters()):
            assert torch.equal(p, q)


def test_epoch_schedule_as_lr_equals_the_old_q0_workaround_bit_for_bit():
    """The experiments' AdaDec at t in epochs used AdaDec(q=0, total_steps=1) with PerRole setting
    lr = schedule(step) before each step; a schedule as lr gives the same floats."""
    sched = per_epoch(power_decay(0.001, 50, 0.75), 3)
    a, b = net(), net()
    new = O.AdaDec(a.parameters(), lr=sched, K=1.0, xi=0.999)
    old = O.AdaDec(b.parameters(), lr=0.001, K=1.0, xi=0.999, q=0.0, total_steps=1)
    for t in range(10):
        step(a, new, 1, seed=t)
        old.param_groups[0]["lr"] = float(sched(t))
        step(b, old, 1, seed=t)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_adadec_and_adamix_take_total_steps_or_a_schedule_not_both():
    p = [nn.Parameter(torch.ones(2, 2))]
    with pytest.raises(ValueError, match="total_steps"):
        O.AdaDec(p, lr=power_decay(0.1, 10), total_steps=10)
    with pytest.raises(ValueError, match="total_steps"):
        O.AdaMix(p, lr=power_decay(0.1, 10), total_steps=10)
    O.AdaMix(p, lr=power_decay(0.1, 10), bias_lr=0.1, total_steps=10)  # β from the shorthand


def test_bias_can_take_the_adamix_weight_rule():
    model = net()
    opt = O.PerRole(model, weight=Rule(O.SGD, {"lr": 0.1}),
                    bias=Rule(O.AdaMix, {"lr": 0.1, "total_steps": 10}, group={"role": "weight"}))
    step(model, opt, 2)
    biases = [p for p in model.parameters() if p.ndim == 1]
    assert all("rate" in opt.state[b] for b in biases)  # per-element α for the biases


def test_rule_validation_and_repr():
    with pytest.raises(ValueError, match="torch.optim.Optimizer subclass"):
        Rule(int)
    with pytest.raises(ValueError, match="weight must be None, a Rule"):
        O.PerRole(net(), weight="sgd", bias=None)
    with pytest.raises(ValueError, match="empty parameter list"):
        O.PerRole([], weight=O.SGD)
    text = repr(O.PerRole(net(), weight=Rule(O.AdaGrad, {"lr": 0.1}), bias=None))
    assert "AdaGrad" in text and "bias=None" in text
    with pytest.raises(NotImplementedError):
        O.PerRole(net(), weight=O.SGD, bias=O.SGD).add_param_group({"params": [torch.zeros(1)]})


# --- RMSProp masks --------------------------------------------------------------------------------
def test_rmsprop_mask_moves_only_selected_elements_but_averages_all():
    p = torch.ones(4, dtype=torch.float64, requires_grad=True)
    q = torch.ones(4, dtype=torch.float64, requires_grad=True)
    masked, plain = O.RMSProp([p], lr=0.1), O.RMSProp([q], lr=0.1)
    mask = torch.tensor([1.0, 0.0, 1.0, 0.0])
    masked.set_mask(p, mask)
    for opt, t in [(masked, p), (plain, q)]:
        for _ in range(3):
            opt.zero_grad()
            (t * torch.arange(1.0, 5.0, dtype=torch.float64)).sum().backward()
            opt.step()
    assert torch.equal(p.detach()[1::2], torch.ones(2, dtype=torch.float64))
    assert torch.equal(p.detach()[0::2], q.detach()[0::2])
    assert torch.equal(masked.state[p]["square_avg"], plain.state[q]["square_avg"])
    assert torch.equal(masked.state_dict()["state"][0]["mask"], mask.double())
    with pytest.raises(ValueError, match="does not broadcast"):
        masked.set_mask(p, torch.ones(3))
    with pytest.raises(ValueError, match="one of this optimizer's parameters"):
        masked.set_mask(torch.zeros(4), mask)


# --- Momentum forms ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [O.Momentum, O.Nesterov])
def test_momentum_forms_follow_torch_and_sutskever_through_an_lr_change(cls):
    """Constant rate: the two forms agree. After the rate drops tenfold, ``form="torch"`` follows
    torch.optim.SGD (with LambdaLR) and ``form="sutskever"`` follows a literal transcription of
    Sutskever et al. (2013), eq. (1)-(4), and the two differ."""
    def rate(t):
        return 0.05 if t < 5 else 0.005

    nesterov = cls is O.Nesterov
    models = [net() for _ in range(4)]
    opts = [
        cls(models[0].parameters(), lr=rate, momentum=0.9),
        cls(models[1].parameters(), lr=rate, momentum=0.9, form="sutskever"),
        torch.optim.SGD(models[2].parameters(), lr=1.0, momentum=0.9, nesterov=nesterov),
        LiteralSutskever(list(models[3].parameters()), rate, momentum=0.9, nesterov=nesterov),
    ]
    lambda_lr = torch.optim.lr_scheduler.LambdaLR(opts[2], rate)
    for t in range(8):
        for model, opt in zip(models, opts):
            step(model, opt, 1, seed=t)
        lambda_lr.step()
        if t == 4:
            for p, q in zip(models[0].parameters(), models[1].parameters()):
                torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-12)
    for mine, ref in [(models[0], models[2]), (models[1], models[3])]:
        for p, q in zip(mine.parameters(), ref.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)
    diff = max((p - q).abs().max().item() for p, q in zip(models[0].parameters(), models[1].parameters()))
    assert diff > 1e-4  # torch rescales the whole buffer by the new lr; Sutskever's velocity does not


# --- complex parameters ------------------------------------------------------------------------------
def test_adam_moves_both_parts_of_a_complex_parameter_as_torch_does():
    """The issue's example: p = 1+1j, grad 1+2j, one Adam step of 0.1 gives 0.9+0.9j."""
    p = torch.tensor([1 + 1j], requires_grad=True)
    opt = O.Adam([p], lr=0.1)
    p.grad = torch.tensor([1 + 2j])
    opt.step()
    torch.testing.assert_close(p.detach(), torch.tensor([0.9 + 0.9j]))


def test_amsgrad_takes_the_maximum_of_complex_state_as_real_pairs():
    p = torch.tensor([1 + 1j, -2 + 0.5j], dtype=torch.complex128, requires_grad=True)
    q = torch.view_as_real(p.detach()).clone().requires_grad_()
    ours, ref = O.AMSGrad([p], lr=0.1), torch.optim.Adam([q], lr=0.1, amsgrad=True)
    for g in ([1 + 2j, 3 - 1j], [0.1 + 0.1j, -1j], [2 + 0j, 1 + 1j]):
        p.grad = torch.tensor(g, dtype=torch.complex128)
        q.grad = torch.view_as_real(p.grad).clone()
        ours.step()
        ref.step()
    torch.testing.assert_close(torch.view_as_real(p.detach()), q.detach(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make", [lambda p: O.AdaMix(p, total_steps=3), lambda p: O.NaturalGradient(p)])
def test_optimizers_that_are_not_element_wise_refuse_complex_parameters(make):
    with pytest.raises(TypeError, match="complex"):
        make([torch.zeros(2, 2, dtype=torch.complex64, requires_grad=True)])


# --- flags and integer arguments ----------------------------------------------------------------------
@pytest.mark.parametrize("make,name", [
    (lambda v: O.AdaDec([nn.Parameter(torch.ones(2))], total_steps=10, recursive=v), "recursive"),
    (lambda v: O.NaturalGradient([nn.Parameter(torch.ones(2))], fisher_from_grad=v), "fisher_from_grad"),
])
def test_string_flags_are_refused_by_name(make, name):
    for bad in ("no", "False", 1, None):
        with pytest.raises(TypeError, match=name):
            make(bad)
    make(False)


@pytest.mark.parametrize("make,name", [
    (lambda v: O.AdaDec([nn.Parameter(torch.ones(2))], total_steps=v), "total_steps"),
    (lambda v: O.AdaMix([nn.Parameter(torch.ones(2))], total_steps=v), "total_steps"),
    (lambda v: O.AdaMix([nn.Parameter(torch.ones(2, 2))], total_steps=5, rate="per-round", round_steps=v),
     "round_steps"),
    (lambda v: O.NaturalGradient([nn.Parameter(torch.ones(2))], max_params=v), "max_params"),
])
def test_integer_arguments_refuse_nan_inf_and_huge_by_name(make, name):
    for bad in (math.nan, math.inf, -math.inf, 10**400, 2.5):
        with pytest.raises(ValueError, match=name):
            make(bad)


# --- AdaMix through torch.compile --------------------------------------------------------------------
def _adamix_pair(lr, shapes, steps, **kwargs):
    """The parameters after ``steps`` steps of AdaMix eager and compiled, from the same start and
    the same gradients; the compiled step's number of new dynamo graphs."""
    from torch._dynamo.utils import counters

    generator = torch.Generator().manual_seed(0)
    start = [torch.randn(s, generator=generator) for s in shapes]
    grads = [[torch.randn(s, generator=generator) for s in shapes] for _ in range(steps)]
    out, graphs = [], 0
    for compile in (False, True):
        params = [p.clone().requires_grad_() for p in start]
        opt = O.AdaMix(params, lr=lr, total_steps=steps, compile=compile, **kwargs)
        before = counters["stats"]["unique_graphs"]
        for g in grads:
            for p, gi in zip(params, g):
                p.grad = gi.clone()
            opt.step()
        graphs = counters["stats"]["unique_graphs"] - before
        out.append([p.detach() for p in params] + [opt.state[p]["rate"] for p in params if p.ndim > 1])
    return out, graphs


def test_adamix_compiled_update_equals_eager():
    """compile=True runs the same update through torch.compile: equal to the eager one to
    rounding, the biases untouched by it, compiled once for the run."""
    (eager, compiled), graphs = _adamix_pair(0.05, [(7, 5), (5,), (5, 3)], 4, grad_scale=0.5)
    for a, b in zip(eager, compiled):
        torch.testing.assert_close(b, a, rtol=1e-6, atol=1e-7)
    assert graphs == 1


def test_adamix_compiled_update_takes_a_schedule_without_recompiling():
    """η(t) reaches the compiled update as a 0-dim tensor: a rate that changes at every step
    compiles once, and the result still equals the eager one."""
    from optimbook.schedules import power_decay

    (eager, compiled), graphs = _adamix_pair(power_decay(0.1, 6, 0.5), [(6, 4), (4, 2)], 6,
                                             bias_lr=0.2)
    for a, b in zip(eager, compiled):
        torch.testing.assert_close(b, a, rtol=1e-6, atol=1e-7)
    assert graphs == 1


def test_adamix_compile_must_be_a_flag():
    with pytest.raises(TypeError, match="compile"):
        O.AdaMix([torch.zeros(2, 2, requires_grad=True)], total_steps=3, compile="yes")
