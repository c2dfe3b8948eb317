"""A step is all or nothing: every rate of every group is computed and checked before anything changes.

Over every configuration of the registry, with a bad rate put into each position (each param group,
each rate key, PerRole's weight and bias rules) in each form (a number written into the group, a
0-dim tensor, a schedule, a tensor rate changed in place): the step raises ``ValueError`` naming the
rate and the group, and leaves the parameters, the state and the step counts bit-identical. With the
good rate put back, the next step equals the step of a twin that never failed (no part of the update
was applied twice, e.g. NaturalGradient's Fisher estimate fed once).
"""

from __future__ import annotations

import math

import pytest
import torch

from optimbook import optim as O
from optimbook.optim import Rule
from optimbook.testing import configs

CONFIGS = configs()
IDS = [c.name for _, c in CONFIGS]
BAD = [math.nan, -1.0, math.inf]
FORMS = ["number", "tensor", "schedule"]


def make_params(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=g, dtype=torch.float64).requires_grad_()
            for s in [(5, 4), (5,), (3, 5), (3,)]]


def backward(params):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(16, 4, generator=g, dtype=torch.float64)
    y = torch.randn(16, 3, generator=g, dtype=torch.float64)
    W1, b1, W2, b2 = params
    for p in params:
        p.grad = None
    ((torch.tanh(x @ W1.T + b1) @ W2.T + b2 - y) ** 2).mean().backward()


def build(info, config, params):
    """Two param groups (PerRole: its weight and bias rules' groups)."""
    if info.name == "PerRole":
        return info.make(params, config)
    if config.groups is not None:
        groups = config.groups(params)
        return info.cls([{**groups[0], "params": params[:2]}, {**groups[0], "params": params[2:]}],
                        **config.kwargs)
    return info.make([{"params": params[:2]}, {"params": params[2:]}], config)


def same(a, b) -> bool:
    """Bit-identical nested data (NaN equal to NaN)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
                and a.dtype == b.dtype and torch.equal(torch.nan_to_num(a), torch.nan_to_num(b))
                and torch.equal(a.isnan(), b.isnan()))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b or callable(a) and a is b


def snapshot(opt, params):
    sd = opt.state_dict()
    state = {k: {n: (v.clone() if isinstance(v, torch.Tensor) else v) for n, v in s.items()}
             for k, s in sd["state"].items()}
    rest = {k: v for k, v in sd.items() if k not in ("state", "param_groups")}
    return [p.detach().clone() for p in params], state, rest


def positions(opt):
    """(group index, rate key) of every rate the optimizer holds."""
    out = []
    for i, group in enumerate(opt.param_groups):
        if group.get("frozen"):
            continue
        for key in ("lr", "bias_lr"):
            if group.get(key) is not None:
                out.append((i, key))
    return out


def foreign(opt, i) -> bool:
    """Whether group i belongs to a torch.optim rule of a PerRole (which takes numbers only)."""
    if not isinstance(opt, O.PerRole):
        return False
    return not isinstance(opt.children[opt.param_groups[i]["per_role"]], O.Optimizer)


def put(group, key, form, bad):
    """Put the bad rate into ``group[key]``; returns a function that puts the good one back."""
    old = group[key]
    if form == "tensor" and isinstance(old, torch.Tensor):  # a tensor rate changed in place
        value = old.clone()
        old.fill_(bad)
        return lambda: old.copy_(value)
    if form == "tensor":
        group[key] = torch.tensor(bad, dtype=torch.float64)
    elif form == "schedule":
        group[key] = lambda t: bad
    else:
        group[key] = bad

    def restore():
        group[key] = old
    return restore


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("info,config", CONFIGS, ids=IDS)
def test_a_bad_rate_anywhere_fails_the_step_before_anything_changes(info, config, form):
    params, twin = make_params(), make_params()
    opt, ref = build(info, config, params), build(info, config, twin)
    for _ in range(3):
        for o, ps in ((opt, params), (ref, twin)):
            backward(ps)
            o.step()
    where = positions(opt)
    assert where, "every optimizer holds at least one rate"
    tried = 0
    for i, key in where:
        if form == "schedule" and foreign(opt, i):
            continue
        for bad in BAD:
            backward(params)
            before = snapshot(opt, params)
            restore = put(opt.param_groups[i], key, form, bad)
            with pytest.raises(ValueError, match=key) as caught:
                opt.step()
            assert "group" in str(caught.value), str(caught.value)
            after = snapshot(opt, params)
            restore()
            assert same(before[0], after[0]), f"parameters changed by a failed step ({key} of group {i})"
            assert same(before[1], after[1]), f"state changed by a failed step ({key} of group {i})"
            assert same(before[2], after[2]), f"scheduler state changed by a failed step ({key}, group {i})"
            tried += 1
    assert tried
    # the good rates back: the next step is the step of a twin that never failed
    backward(params)
    backward(twin)
    opt.step()
    ref.step()
    for a, b in zip(params, twin):
        assert same(a.detach(), b.detach())
    assert same(snapshot(opt, params)[1:], snapshot(ref, twin)[1:])


def test_adamix_with_a_bias_lr_schedule_does_not_move_the_weights_first():
    """The issue's case: AdaMix's weights (and their ``rate`` state) moved before the bias rate's
    schedule failed."""
    params = make_params()
    opt = O.AdaMix(params, lr=0.05, bias_lr=lambda t: 0.1 if t < 2 else math.nan)
    for _ in range(2):
        backward(params)
        opt.step()
    backward(params)
    before = snapshot(opt, params)
    with pytest.raises(ValueError, match=r"bias_lr.*group 0.*step 2"):
        opt.step()
    assert same(before, snapshot(opt, params))


def test_per_role_does_not_step_the_weights_when_the_bias_rule_fails():
    params = make_params()
    opt = O.PerRole(params, weight=Rule(O.AdaGrad, {"lr": 0.1}),
                    bias=Rule(O.SGD, {"lr": lambda t: 0.1 if t < 1 else -1.0}))
    backward(params)
    opt.step()
    backward(params)
    before = snapshot(opt, params)
    with pytest.raises(ValueError, match=r"lr.*group 1.*bias.*step 1"):
        opt.step()
    assert same(before, snapshot(opt, params))


def test_natural_gradient_feeds_no_fisher_estimate_before_the_checks():
    params = make_params()
    opt = O.NaturalGradient([{"params": params[:2]}, {"params": params[2:]}], lr=0.05)
    opt.param_groups[1]["lr"] = math.nan  # after construction, which checks it
    backward(params)
    with pytest.raises(ValueError, match=r"lr.*group 1"):
        opt.step()
    assert not opt.state, "the Fisher estimate was created or fed by a failed step"


def test_a_tensor_lr_changed_in_place_is_checked_at_every_step():
    """The issue's case: a 0-dim tensor lr set to NaN after construction made the parameters NaN."""
    for bad in BAD:
        params = make_params()
        lr = torch.tensor(0.05, dtype=torch.float64)
        opt = O.Adam(params, lr=lr)
        backward(params)
        opt.step()
        lr.fill_(bad)
        backward(params)
        with pytest.raises(ValueError, match=r"lr of param group 0 must be"):
            opt.step()
        assert all(p.isfinite().all() for p in params)
