"""Every optimizer of the registry through the same checks.

The table is :data:`optimbook.testing.REGISTRY` (after torch's ``OptimizerInfo``): every check
below is parametrised over it, so adding an optimizer is adding a row and no optimizer can skip a
check silently.

Oracles: the torch.optim counterpart where one exists (40 steps, float64, 1e-9 relative), else a
literal transcription of the paper's equations (in the registry, plain tensor arithmetic).
"""

from __future__ import annotations

import copy
import io
import math

import pytest
import torch

from optimbook import optim as O
from optimbook.optim import Rule
from optimbook.testing import REGISTRY, configs

CONFIGS = configs()
IDS = [c.name for _, c in CONFIGS]
INFOS = list(REGISTRY.values())


# ---------------------------------------------------------------------------------------------
# The test problem: a one-hidden-layer net with weights (2-D) and biases (1-D).
# ---------------------------------------------------------------------------------------------
def make_params(dtype=torch.float64, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    shapes = [(5, 4), (5,), (3, 5), (3,)]
    return [torch.randn(s, generator=g, dtype=torch.float64).to(dtype=dtype, device=device)
            .requires_grad_() for s in shapes]


def make_data(dtype=torch.float64, device="cpu"):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(16, 4, generator=g, dtype=torch.float64).to(dtype=dtype, device=device)
    y = torch.randn(16, 3, generator=g, dtype=torch.float64).to(dtype=dtype, device=device)
    return x, y


def loss_fn(params, x, y):
    W1, b1, W2, b2 = params
    return ((torch.tanh(x @ W1.T + b1) @ W2.T + b2 - y) ** 2).mean()


def train(opt, params, steps, dtype=torch.float64, device="cpu", loss=loss_fn):
    x, y = make_data(dtype, device)
    for _ in range(steps):
        opt.zero_grad()
        loss(params, x, y).backward()
        opt.step()
    return [p.detach().clone() for p in params]


def float64_default(fn):
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch.optim's scalar state (e.g. NAdam's μ product)
    try:
        return fn()
    finally:
        torch.set_default_dtype(default)


# ---------------------------------------------------------------------------------------------
# The checks.
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("info,config", CONFIGS, ids=IDS)
def test_trajectory_equals_oracle(info, config):
    params, ref = make_params(), make_params()
    if config.oracle is None:
        pytest.skip("oracle tested separately (tests/test_natural_gradient.py)")
    oracle = config.oracle(ref)
    ours = float64_default(lambda: train(info.make(params, config), params, 40))
    theirs = float64_default(lambda: train(oracle, ref, 40))
    rtol, atol = config.tolerance
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol)
    moved = sum((a - b).abs().sum().item() for a, b in zip(ours, make_params()))
    assert moved > 1e-3, "the optimizer did not move the parameters"


@pytest.mark.parametrize("info", INFOS, ids=lambda i: i.name)
def test_invalid_arguments_name_the_argument(info):
    assert info.invalid, "every optimizer lists invalid inputs"
    for bad in info.invalid:
        with pytest.raises(bad.error, match=bad.match) as caught:
            info.make(make_params(), **bad.kwargs)
        message = str(caught.value)
        assert "must be" in message or "required" in message or "exceeds" in message, message


@pytest.mark.parametrize("info,config", CONFIGS, ids=IDS)
def test_state_dict_round_trip(info, config):
    params = make_params()
    opt = info.make(params, config)
    train(opt, params, 10)
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)  # schedules are saved as plain data
    twin_params = [p.detach().clone().requires_grad_() for p in params]
    twin = info.make(twin_params, config)
    twin.load_state_dict(saved)
    a = train(opt, params, 10)
    b = train(twin, twin_params, 10)
    for x, y in zip(a, b):
        assert torch.equal(x, y)


def _groupable(info, config):
    """Whether two param groups equal two optimizers: every rule but the natural gradient's (whose
    Fisher estimate couples the groups) and PerRole (whose groups are its rules')."""
    return (config.numeric_lr and config.groups is None
            and info.name not in ("PerRole", "NaturalGradient"))


@pytest.mark.parametrize("info,config", [ic for ic in CONFIGS if _groupable(*ic)],
                         ids=lambda v: getattr(v, "name", ""))
def test_param_groups_match_separate_optimizers(info, config):
    params = make_params()
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": 0.02}]
    opt = info.make(groups, config)
    separate_params = [p.detach().clone().requires_grad_() for p in params]
    first = info.make(separate_params[:2], config)
    second = info.make(separate_params[2:], config, lr=0.02)

    class Both:
        def zero_grad(self):
            first.zero_grad()
            second.zero_grad()

        def step(self):
            first.step()
            second.step()

    a = train(opt, params, 15)
    b = train(Both(), separate_params, 15)
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


@pytest.mark.parametrize("info,config", CONFIGS, ids=IDS)
def test_group_with_zero_lr_does_not_move(info, config):
    params = make_params()
    start = [p.detach().clone() for p in params]
    opt = info.make(params, config)
    if info.name == "PerRole":
        for g in opt.param_groups:
            if g["per_role"] == "bias":
                g["lr"] = 0.0
        frozen = [1, 3]
    else:
        opt.param_groups[0]["lr"] = 0.0
        if "bias_lr" in opt.param_groups[0]:
            opt.param_groups[0]["bias_lr"] = None
        frozen = [0, 1, 2, 3]
    after = train(opt, params, 5)
    for i in frozen:
        assert torch.equal(after[i], start[i]), f"parameter {i} moved with lr = 0"


@pytest.mark.parametrize("info,config", CONFIGS, ids=IDS)
def test_parameter_without_grad_is_skipped(info, config):
    params = make_params()
    unused = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    if info.name == "PerRole":
        opt = info.make(params + [unused], config)
    else:
        opt = info.make([{"params": params}, {"params": [unused]}], config)
    before = unused.detach().clone()
    train(opt, params, 5)
    assert unused.grad is None
    assert torch.equal(unused.detach(), before)
    assert not opt.state.get(unused), "state was created for a parameter that never had a grad"


@pytest.mark.parametrize("info,config", CONFIGS, ids=IDS)
def test_closure_returns_loss_and_steps_like_plain_step(info, config):
    params = make_params()
    ref = [p.detach().clone().requires_grad_() for p in params]
    opt, ref_opt = info.make(params, config), info.make(ref, config)
    x, y = make_data()

    def closure():
        opt.zero_grad()
        loss = loss_fn(params, x, y)
        loss.backward()
        return loss

    for _ in range(3):
        loss = opt.step(closure)
        ref_opt.zero_grad()
        expected = loss_fn(ref, x, y)
        expected.backward()
        ref_opt.step()
        assert math.isclose(loss.item(), expected.item(), rel_tol=1e-12)
    for a, b in zip(params, ref):
        assert torch.equal(a, b)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("info,config", CONFIGS, ids=IDS)
def test_dtypes_and_devices(info, config, dtype):
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    reference = train(info.make(p64 := make_params(), config), p64, 8)
    for device in devices:
        params = make_params(dtype=dtype, device=device)
        opt = info.make(params, config)
        out = train(opt, params, 8, dtype=dtype, device=device)
        for p in out:
            assert p.dtype == dtype and p.device.type == device
        for state in opt.state.values():
            for value in state.values():
                if isinstance(value, torch.Tensor) and value.is_floating_point():
                    assert value.dtype == dtype and value.device.type == device
        tol = 1e-4 if dtype == torch.float32 else 1e-12
        for a, b in zip(out, reference):
            torch.testing.assert_close(a.cpu().double(), b, rtol=tol, atol=tol)


# --- complex parameters -------------------------------------------------------------------------
def complex_problem():
    g = torch.Generator().manual_seed(2)
    A = torch.randn(6, 4, dtype=torch.complex128, generator=g)
    y = torch.randn(6, dtype=torch.complex128, generator=g)
    w = torch.randn(4, 3, dtype=torch.complex128, generator=g)
    b = torch.randn(3, dtype=torch.complex128, generator=g)
    return A, y, [w, b]


def complex_loss(params, A, y):
    W, b = params
    return ((A @ W).sum(1) + b.sum() - y).abs().pow(2).sum()


@pytest.mark.parametrize("info,config", [ic for ic in CONFIGS if ic[1].oracle is not None],
                         ids=lambda v: getattr(v, "name", ""))
def test_complex_parameters_behave_as_real_pairs_or_are_refused(info, config):
    """torch.optim's convention: a complex parameter is optimized as the real tensor of its
    (real, imaginary) pairs. The oracle runs on those real pairs; ours on the complex tensors."""
    A, y, start = complex_problem()
    params = [p.clone().requires_grad_() for p in start]
    if not info.capabilities.complex:
        with pytest.raises(TypeError, match="complex"):
            opt = info.make(params, config)
            complex_loss(params, A, y).backward()
            opt.step()
        return
    pairs = [torch.view_as_real(p).clone().requires_grad_() for p in start]
    # the roles of PerRole come from the complex tensors' shapes, not their real views'
    roles = [{"params": [r], "role": "weight" if p.ndim >= 2 else "bias"} for r, p in zip(pairs, start)]
    opt, oracle = info.make(params, config), config.oracle(roles if info.name == "PerRole" else pairs)
    for _ in range(10):
        opt.zero_grad()
        complex_loss(params, A, y).backward()
        opt.step()
        oracle.zero_grad()
        complex_loss([torch.view_as_complex(r) for r in pairs], A, y).backward()
        float64_default(oracle.step)
    for p, r in zip(params, pairs):
        torch.testing.assert_close(torch.view_as_real(p.detach()), r.detach(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("info", [i for i in INFOS if i.torch_counterpart], ids=lambda i: i.name)
def test_complex_parameters_match_torch_optim_on_complex_tensors(info):
    config = info.default
    A, y, start = complex_problem()
    ours = [p.clone().requires_grad_() for p in start]
    theirs = [p.clone().requires_grad_() for p in start]
    opt, ref = info.make(ours, config), config.oracle(theirs)
    train(opt, ours, 10, loss=lambda p, *_: complex_loss(p, A, y))
    train(ref, theirs, 10, loss=lambda p, *_: complex_loss(p, A, y))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a.detach(), b.detach(), rtol=1e-9, atol=1e-12)


# --- capabilities -------------------------------------------------------------------------------
@pytest.mark.parametrize("info", INFOS, ids=lambda i: i.name)
def test_sparse_gradients_are_refused_by_name(info):
    assert not info.capabilities.sparse
    params = make_params()
    opt = info.make(params)
    for p in params:
        p.grad = torch.zeros_like(p).to_sparse()
    with pytest.raises(RuntimeError, match="sparse"):
        opt.step()


@pytest.mark.parametrize("info", [i for i in INFOS if i.name != "PerRole"], ids=lambda i: i.name)
def test_no_maximize_flag(info):
    assert not info.capabilities.maximize
    with pytest.raises(TypeError, match="maximize"):
        info.make(make_params(), maximize=True)


# --- schedules as lr ----------------------------------------------------------------------------
def _with_rate(info, schedule):
    """(kwargs over the default config) that make ``schedule`` the optimizer's (weight) rate."""
    if info.name == "PerRole":
        return {"weight": Rule(O.SGD, {"lr": schedule}), "bias": Rule(O.Adam, {"lr": schedule})}
    return {"lr": schedule, "total_steps": None} if "total_steps" in info.default.kwargs else {
        "lr": schedule}


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), -1e-12])
@pytest.mark.parametrize("info", INFOS, ids=lambda i: i.name)
def test_a_schedules_bad_output_is_refused_naming_the_step(info, bad):
    params = make_params()
    opt = info.make(params, **_with_rate(info, lambda t: 0.01 if t < 2 else bad))
    train(opt, params, 2)
    with pytest.raises(ValueError, match=r"lr.*step 2"):
        train(opt, params, 1)
    params = make_params()
    with pytest.raises(TypeError, match=r"lr.*real number.*step 0"):
        train(info.make(params, **_with_rate(info, lambda t: "0.1")), params, 1)


@pytest.mark.parametrize("info", INFOS, ids=lambda i: i.name)
def test_a_constant_schedule_equals_the_constant_rate(info):
    """lr = (lambda t: η) and lr = η give bit-identical trajectories."""
    if info.name in ("AdaDec", "AdaMix"):
        pytest.skip("their numeric rate is decayed by p(t); covered by the *-schedule oracle configs")
    a, b = make_params(), make_params()
    lr = 0.01
    if info.name == "PerRole":
        oa = info.make(a, weight=Rule(O.AdaGrad, {"lr": lr}), bias=Rule(O.SGD, {"lr": lr}))
        ob = info.make(b, weight=Rule(O.AdaGrad, {"lr": lambda t: lr}), bias=Rule(O.SGD, {"lr": lambda t: lr}))
    else:
        oa, ob = info.make(a, lr=lr), info.make(b, lr=lambda t: lr)
    for x, y in zip(train(oa, a, 12), train(ob, b, 12)):
        assert torch.equal(x, y)


# --- the table ----------------------------------------------------------------------------------
def test_registry_covers_every_public_optimizer():
    public = {name for name in O.__all__
              if isinstance(getattr(O, name), type) and issubclass(getattr(O, name), torch.optim.Optimizer)
              and name != "Optimizer"}
    assert public == {i.cls.__name__ for i in INFOS}
    for info in INFOS:
        assert len([c for c in info.configs if not c.tags & {"bench", "paper"}]) >= 2, info.name


def test_optimizers_are_torch_optimizers():
    for info, config in CONFIGS:
        assert isinstance(info.make(make_params(), config), torch.optim.Optimizer)


def test_deepcopy_and_repr():
    for info, config in CONFIGS:
        opt = info.make(make_params(), config)
        copy.deepcopy(opt)
        assert type(opt).__name__ in repr(opt)
