"""Behaviour specific to single optimizers: roles, PerRole composition, masks, momentum forms."""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

from optimbook import optim as O
from optimbook.optim import Rule


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
    from optimbook.optim.adamix import role_of

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


def test_schedule_sets_the_rule_lr_every_step_and_resumes():
    model = net()
    sched = lambda t: 0.1 / (1 + t)  # noqa: E731
    opt = O.PerRole(model, weight=Rule(O.SGD, {"lr": 0.1}, sched), bias=Rule(O.SGD, {"lr": 0.01}))
    step(model, opt, 4)
    weight_groups = [g for g in opt.param_groups if g["per_role"] == "weight"]
    assert weight_groups[0]["lr"] == pytest.approx(0.1 / 4) and weight_groups[0]["schedule_step"] == 4
    assert [g["lr"] for g in opt.param_groups if g["per_role"] == "bias"] == [0.01]
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    twin_model = net()
    twin_model.load_state_dict(model.state_dict())
    twin = O.PerRole(twin_model, weight=Rule(O.SGD, {"lr": 0.1}, sched), bias=Rule(O.SGD, {"lr": 0.01}))
    twin.load_state_dict(torch.load(buffer, weights_only=True))
    step(model, opt, 3, seed=1)
    step(twin_model, twin, 3, seed=1)
    for p, q in zip(model.parameters(), twin_model.parameters()):
        assert torch.equal(p, q)
    assert twin.children["weight"].param_groups[0] is twin.param_groups[0]


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
def test_forms_agree_for_constant_lr_and_differ_after_an_lr_change(cls):
    a, b = net(), net()
    oa = cls(a.parameters(), lr=0.05, momentum=0.9)
    ob = cls(b.parameters(), lr=0.05, momentum=0.9, form="sutskever")
    step(a, oa, 5)
    step(b, ob, 5)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-12)
    for o in (oa, ob):
        o.param_groups[0]["lr"] = 0.005
    step(a, oa, 1)
    step(b, ob, 1)
    diff = max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))
    assert diff > 1e-4  # torch rescales the whole buffer by the new lr; Sutskever's velocity does not
