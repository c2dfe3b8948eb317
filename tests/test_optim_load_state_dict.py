"""``load_state_dict`` validates before it changes anything.

Over every configuration of the registry: damaged dicts (a missing ``state`` or ``param_groups``, a
rate out of range or of the wrong type, a missing or wrong-shaped state tensor, more or fewer groups
or parameters) and foreign ones (another optimbook class, the torch.optim counterpart) raise
``ValueError`` naming what is wrong, and leave the optimizer bit-identical: its groups, its state,
its next step.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch

from optimbook import optim as O
from optimbook.optim import Rule
from optimbook.testing import REGISTRY, configs

CONFIGS = configs()
IDS = [c.name for _, c in CONFIGS]
INFOS = list(REGISTRY.values())


def make_params(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=g, dtype=torch.float64).requires_grad_()
            for s in [(5, 4), (5,), (3, 5), (3,)]]


def train(opt, params, steps=3):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(16, 4, generator=g, dtype=torch.float64)
    y = torch.randn(16, 3, generator=g, dtype=torch.float64)
    for _ in range(steps):
        opt.zero_grad()
        W1, b1, W2, b2 = params
        ((torch.tanh(x @ W1.T + b1) @ W2.T + b2 - y) ** 2).mean().backward()
        opt.step()


def trained(info, config=None, params=None, steps=3):
    params = make_params() if params is None else params
    opt = info.make(params, config)
    train(opt, params, steps)
    return opt, params


def same(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a is b or a == b


def frozen_copy(opt):
    sd = opt.state_dict()
    return copy.deepcopy(sd), [dict(g) for g in opt.param_groups]


def refused(opt, params, state_dict, match):
    """``opt.load_state_dict(state_dict)`` raises ValueError matching ``match``; ``opt`` unchanged
    (state, groups, and the next step equal a twin's that never saw the dict)."""
    before, groups = frozen_copy(opt)
    with pytest.raises(ValueError, match=match) as caught:
        opt.load_state_dict(state_dict)
    after, groups_after = frozen_copy(opt)
    assert same(before, after), "load_state_dict changed the optimizer before refusing"
    assert len(groups) == len(groups_after) and all(
        a.keys() == b.keys() and all(a[k] is b[k] for k in a) for a, b in zip(groups, groups_after))
    return str(caught.value)


def damaged_rate_positions(sd):
    return [(i, key) for i, g in enumerate(sd["param_groups"]) for key in ("lr", "bias_lr")
            if key in g and g[key] is not None and not g.get("frozen")]


@pytest.mark.parametrize("info,config", CONFIGS, ids=IDS)
def test_missing_keys_and_non_dicts_are_named(info, config):
    opt, params = trained(info, config)
    good = opt.state_dict()
    refused(opt, params, {}, "state")
    refused(opt, params, {"state": good["state"]}, "param_groups")
    refused(opt, params, {"param_groups": good["param_groups"]}, "'state'")
    refused(opt, params, [], "state_dict must be a dict")
    refused(opt, params, {**good, "param_groups": "groups"}, "param_groups")


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, "0.1", None, [0.1]])
@pytest.mark.parametrize("info,config", CONFIGS, ids=IDS)
def test_a_saved_rate_out_of_range_or_of_the_wrong_type_is_refused(info, config, bad):
    opt, params = trained(info, config)
    good = opt.state_dict()
    for i, key in damaged_rate_positions(good):
        if bad is None and key == "bias_lr":
            continue  # bias_lr=None means "the biases use lr"
        sd = copy.deepcopy(good)
        sd["param_groups"][i][key] = bad
        message = refused(opt, params, sd, key)
        assert f"group {i}" in message, message


@pytest.mark.parametrize("info,config", CONFIGS, ids=IDS)
def test_more_or_fewer_groups_or_parameters_are_refused(info, config):
    opt, params = trained(info, config)
    good = opt.state_dict()
    sd = copy.deepcopy(good)
    sd["param_groups"].append({**sd["param_groups"][-1], "params": [99]})
    refused(opt, params, sd, "param groups")
    if len(good["param_groups"]) > 1:
        sd = copy.deepcopy(good)
        sd["param_groups"].pop()
        refused(opt, params, sd, "param groups")
    sd = copy.deepcopy(good)
    sd["param_groups"][0]["params"] = sd["param_groups"][0]["params"][:-1]
    refused(opt, params, sd, "parameters")


@pytest.mark.parametrize("info,config", CONFIGS, ids=IDS)
def test_a_missing_or_misshapen_state_entry_is_refused(info, config):
    opt, params = trained(info, config)
    good = opt.state_dict()
    tensors = [(k, name) for k, s in good["state"].items() for name, v in s.items()
               if isinstance(v, torch.Tensor) and v.ndim >= 1]
    for k, name in tensors:
        sd = copy.deepcopy(good)
        sd["state"][k][name] = torch.zeros(7, 7, dtype=torch.float64)
        refused(opt, params, sd, name)
        sd = copy.deepcopy(good)
        sd["state"][k][name] = "zeros"
        refused(opt, params, sd, name)
        sd = copy.deepcopy(good)
        del sd["state"][k][name]
        refused(opt, params, sd, name)
    for k, s in good["state"].items():
        if "step" in s:
            sd = copy.deepcopy(good)
            sd["state"][k]["step"] = -1
            refused(opt, params, sd, "step")


@pytest.mark.parametrize("source", INFOS, ids=lambda i: i.name)
@pytest.mark.parametrize("target", INFOS, ids=lambda i: i.name)
def test_a_dict_from_another_optimizer_class_is_refused(source, target):
    """Adam into SGD, Nadam into Adam, AdamW into Adam, ...: every pair of the registry."""
    if source is target:
        return
    theirs, _ = trained(source)
    opt, params = trained(target)
    saved = theirs.state_dict()
    refused(opt, params, saved, f"saved by 'optimbook.{source.name}.*this optimizer is optimbook.{target.name}")
    # without the class's name (as torch.distributed.checkpoint rebuilds a dict) the structure
    # tells them apart: other group keys or other state keys. Momentum and Nesterov alone keep the
    # same hyperparameters and the same buffer, and cannot be told apart so.
    untagged = {k: v for k, v in saved.items() if k != "optimizer"}
    if {source.name, target.name} == {"Momentum", "Nesterov"}:
        opt.load_state_dict(untagged)
        return
    refused(opt, params, untagged, r"param group|state\[")


@pytest.mark.parametrize("info", [i for i in INFOS if i.torch_counterpart], ids=lambda i: i.name)
def test_a_torch_optim_dict_is_refused(info):
    """torch.optim's counterpart keeps other keys (foreach, maximize, ...) and a tensor step; its
    dict is not declared compatible and is refused by name."""
    ref_params = make_params()
    theirs = info.default.oracle(ref_params)
    train(theirs, ref_params)
    opt, params = trained(info)
    refused(opt, params, theirs.state_dict(), r"param group 0|state")


def test_per_role_weight_and_bias_into_weight_only_is_refused():
    """The issue's case: zip() truncated the groups silently."""
    both_params = make_params()
    both = O.PerRole(both_params, weight=Rule(O.SGD, {"lr": 0.1}), bias=Rule(O.SGD, {"lr": 0.1}))
    train(both, both_params)
    params = make_params()
    untagged = {k: v for k, v in both.state_dict().items() if k != "optimizer"}
    weights_only = O.PerRole([params[0], params[2]], weight=Rule(O.SGD, {"lr": 0.1}), bias=None)
    refused(weights_only, params, both.state_dict(), r"saved by .*bias=optimbook.SGD")
    refused(weights_only, params, untagged, "2 param groups, and this optimizer has 1")
    frozen_bias = O.PerRole(params, weight=Rule(O.SGD, {"lr": 0.1}), bias=None)
    refused(frozen_bias, params, both.state_dict(), r"saved by .*bias=optimbook.SGD")
    refused(frozen_bias, params, untagged, "param group 1")


def test_two_groups_into_one_are_refused():
    for cls in (O.SGD, O.Adam):
        params = make_params()
        two = cls([{"params": params[:2]}, {"params": params[2:]}], lr=0.01)
        train(two, params)
        one = cls(make_params(), lr=0.01)
        refused(one, params, two.state_dict(), "2 param groups.*1")


def test_a_dict_saved_by_the_same_class_still_loads():
    """The refusals above do not refuse what fits: a dict saved without the class tag (as
    torch.distributed.checkpoint rebuilds it) loads when its structure fits."""
    for info, config in CONFIGS:
        opt, params = trained(info, config)
        sd = opt.state_dict()
        sd.pop("optimizer", None)
        twin, _ = trained(info, config, params=[p.detach().clone().requires_grad_() for p in params])
        twin.load_state_dict(sd)
