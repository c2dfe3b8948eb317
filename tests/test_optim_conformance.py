"""The optimizer conformance table: every optimizer through the same checks.

One row per optimizer (the way torch's own ``common_optimizers`` table works): how to build it, its
independent oracle, and the arguments it must reject. Every check below is parametrised over the
table, so adding an optimizer is adding a row and no optimizer can skip a check silently.

Oracles: the torch.optim counterpart where one exists (40 steps, float64, 1e-9 relative), else a
literal transcription of the paper's equations written here with plain tensor arithmetic.
"""

from __future__ import annotations

import copy
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch

from optimbook import optim as O
from optimbook.optim import Rule

R = 60  # total_steps of AdaDec/AdaMix in the oracle runs


# ---------------------------------------------------------------------------------------------
# Literal transcriptions of He & Li (2016), eq. (13)-(18): plain tensors, no optimbook code.
# ---------------------------------------------------------------------------------------------
class LiteralAdaDec:
    """η(t) = p(t)/sqrt(K + G(t)); G(t) = ξ g(t−1)² + g(t)² (or ξ G(t−1) + g(t)²); p(t) = η0 (1+t/R)^−q."""

    def __init__(self, params, lr, K=1.0, xi=0.999, q=0.75, total_steps=R, recursive=False):
        self.params, self.lr, self.K, self.xi, self.q, self.R = list(params), lr, K, xi, q, total_steps
        self.recursive = recursive
        self.t = 0
        self.prev = [torch.zeros_like(p) for p in self.params]  # g(t−1)² or G(t−1)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        p_t = self.lr * (1 + self.t / self.R) ** (-self.q)
        for i, theta in enumerate(self.params):
            g = theta.grad
            G = self.xi * self.prev[i] + g * g
            theta -= p_t / torch.sqrt(self.K + G) * g
            self.prev[i] = G if self.recursive else g * g
        self.t += 1


class LiteralAdaMix:
    """Weights: α(t) = α(t−1)/sqrt(K + g(t)²), α(−1) = η0, θ −= α(t) g(t); biases: β(t) = β0 (1+t/R)^−q."""

    def __init__(self, params, lr, K=1.0, q=0.75, total_steps=R, bias_lr=None, weight_ids=None):
        self.params, self.K, self.q, self.R = list(params), K, q, total_steps
        self.bias_lr = lr if bias_lr is None else bias_lr
        self.is_weight = [p.ndim >= 2 if weight_ids is None else i in weight_ids
                          for i, p in enumerate(self.params)]
        self.alpha = [torch.full_like(p, lr) for p in self.params]
        self.t = 0

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        beta = self.bias_lr * (1 + self.t / self.R) ** (-self.q)
        for i, theta in enumerate(self.params):
            g = theta.grad
            if self.is_weight[i]:
                self.alpha[i] = self.alpha[i] / torch.sqrt(self.K + g * g)
                theta -= self.alpha[i] * g
            else:
                theta -= beta * g
        self.t += 1


class PairOfTorchOptimizers:
    """Oracle for PerRole: torch.optim on the weights, another on the biases, built separately."""

    def __init__(self, params, weight_factory, bias_factory):
        params = list(params)
        self.parts = []
        w = [p for p in params if p.ndim >= 2]
        b = [p for p in params if p.ndim < 2]
        if weight_factory is not None:
            self.parts.append(weight_factory(w))
        if bias_factory is not None:
            self.parts.append(bias_factory(b))

    def zero_grad(self):
        for part in self.parts:
            part.zero_grad()

    def step(self):
        for part in self.parts:
            part.step()


def with_role(params, role):
    """Param groups with ``role`` set, from parameters or from param groups."""
    params = list(params)
    if params and isinstance(params[0], dict):
        return [{**g, "role": role} for g in params]
    return [{"params": params, "role": role}]


def exp_schedule(t: int) -> float:  # a schedule defined here, independent of optimbook.schedules
    return 0.05 * 0.9 ** (t / 10)


# ---------------------------------------------------------------------------------------------
# The table.
# ---------------------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    make: Callable[..., torch.optim.Optimizer]
    oracle: Callable[[list[torch.Tensor]], Any]
    invalid: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    separable: bool = True  # each parameter's update depends on its own gradient only
    group_lr: bool = True  # a param group's own "lr" scales its step


CASES = [
    Case("SGD", lambda p, **kw: O.SGD(p, **{"lr": 0.05, **kw}),
         lambda p: torch.optim.SGD(p, lr=0.05),
         [({"lr": -0.1}, "lr")]),
    Case("Momentum", lambda p, **kw: O.Momentum(p, **{"lr": 0.05, "momentum": 0.9, **kw}),
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
         [({"lr": -1.0}, "lr"), ({"momentum": 1.0}, "momentum"), ({"momentum": -0.1}, "momentum"),
          ({"form": "polyak"}, "form")]),
    Case("Nesterov", lambda p, **kw: O.Nesterov(p, **{"lr": 0.05, "momentum": 0.9, **kw}),
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
         [({"momentum": 1.5}, "momentum")]),
    Case("Momentum-sutskever", lambda p, **kw: O.Momentum(p, **{"lr": 0.05, "form": "sutskever", **kw}),
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    Case("Nesterov-sutskever", lambda p, **kw: O.Nesterov(p, **{"lr": 0.05, "form": "sutskever", **kw}),
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    Case("AdaGrad", lambda p, **kw: O.AdaGrad(p, **{"lr": 0.1, **kw}),
         lambda p: torch.optim.Adagrad(p, lr=0.1),
         [({"lr": -0.1}, "lr"), ({"K": -1.0}, "K"), ({"eps": -1e-8}, "eps")]),
    Case("AdaGrad-K1", lambda p, **kw: O.AdaGrad(p, **{"lr": 0.1, "K": 1.0, "eps": 0.0, **kw}),
         lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=1.0, eps=0.0)),
    Case("RMSProp", lambda p, **kw: O.RMSProp(p, **{"lr": 0.01, **kw}),
         lambda p: torch.optim.RMSprop(p, lr=0.01),
         [({"alpha": 1.0}, "alpha"), ({"eps": -1.0}, "eps"), ({"lr": float("nan")}, "lr")]),
    Case("Adadelta", lambda p, **kw: O.Adadelta(p, **kw),
         lambda p: torch.optim.Adadelta(p),
         [({"rho": 1.5}, "rho"), ({"eps": -1.0}, "eps")]),
    Case("Adam", lambda p, **kw: O.Adam(p, **{"lr": 0.01, **kw}),
         lambda p: torch.optim.Adam(p, lr=0.01),
         [({"betas": (1.0, 0.999)}, r"betas\[0\]"), ({"betas": (0.9, -0.1)}, r"betas\[1\]"),
          ({"betas": (0.9,)}, "betas"), ({"eps": -1.0}, "eps")]),
    Case("AMSGrad", lambda p, **kw: O.AMSGrad(p, **{"lr": 0.01, **kw}),
         lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True),
         [({"lr": -0.01}, "lr")]),
    Case("AdamW", lambda p, **kw: O.AdamW(p, **{"lr": 0.01, **kw}),
         lambda p: torch.optim.AdamW(p, lr=0.01),
         [({"weight_decay": -0.1}, "weight_decay")]),
    Case("Nadam", lambda p, **kw: O.Nadam(p, **kw),
         lambda p: torch.optim.NAdam(p),
         [({"momentum_decay": -1.0}, "momentum_decay"), ({"betas": (0.9, 1.0)}, r"betas\[1\]")]),
    Case("AdaDec", lambda p, **kw: O.AdaDec(p, **{"lr": 0.05, "total_steps": R, **kw}),
         lambda p: LiteralAdaDec(p, lr=0.05),
         [({"total_steps": None}, "total_steps"), ({"total_steps": 0}, "total_steps"),
          ({"K": 0.0}, "K"), ({"xi": 1.5}, "xi"), ({"q": -1.0}, "q")]),
    Case("AdaDec-recursive",
         lambda p, **kw: O.AdaDec(p, **{"lr": 0.05, "total_steps": R, "recursive": True, **kw}),
         lambda p: LiteralAdaDec(p, lr=0.05, recursive=True)),
    Case("AdaMix", lambda p, **kw: O.AdaMix(p, **{"lr": 0.05, "total_steps": R, **kw}),
         lambda p: LiteralAdaMix(p, lr=0.05),
         [({"total_steps": None}, "total_steps"), ({"K": 0.0}, "K"), ({"bias_lr": -1.0}, "bias_lr"),
          ({"q": -0.5}, "q")]),
    Case("AdaMix-bias_lr", lambda p, **kw: O.AdaMix(p, **{"lr": 0.05, "total_steps": R, "bias_lr": 0.2, **kw}),
         lambda p: LiteralAdaMix(p, lr=0.05, bias_lr=0.2)),
    Case("AdaMix-role-weight",
         lambda p, **kw: O.AdaMix(with_role(p, "weight"), **{"lr": 0.05, "total_steps": R, **kw}),
         lambda p: LiteralAdaMix(p, lr=0.05, weight_ids=set(range(len(p)))),
         [({"lr": -1.0}, "lr")]),
    Case("PerRole-AdaGrad+Cons",
         lambda p, **kw: O.PerRole(p, weight=Rule(O.AdaGrad, {"lr": 0.1, "K": 1.0, "eps": 0.0, **kw}),
                                   bias=Rule(O.SGD, {"lr": 0.05, **kw})),
         lambda p: PairOfTorchOptimizers(
             p, lambda w: torch.optim.Adagrad(w, lr=0.1, initial_accumulator_value=1.0, eps=0.0),
             lambda b: torch.optim.SGD(b, lr=0.05)),
         [({"lr": -1.0}, "lr")]),
    Case("PerRole-Exp+None",
         lambda p, **kw: O.PerRole(p, weight=Rule(O.SGD, {"lr": 0.05, **kw}, exp_schedule), bias=None),
         lambda p: PairOfTorchOptimizers(
             p, lambda w: _scheduled_torch_sgd(w, exp_schedule), None),
         group_lr=False),
    Case("NaturalGradient", lambda p, **kw: O.NaturalGradient(p, **{"lr": 0.05, **kw}),
         lambda p: None,  # its oracle is the exact natural gradient, tested in test_natural_gradient.py
         [({"eps": 0.0}, "eps"), ({"eps": 1.0}, "eps"), ({"damping": 0.0}, "damping"),
          ({"update": "newton"}, "update"), ({"max_params": 3}, "max_params")],
         separable=False),
]
IDS = [c.name for c in CASES]


class _scheduled_torch_sgd:
    """torch.optim.SGD driven by LambdaLR (an independent way to apply a schedule)."""

    def __init__(self, params, schedule):
        self.opt = torch.optim.SGD(params, lr=1.0)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, schedule)

    def zero_grad(self):
        self.opt.zero_grad()

    def step(self):
        self.opt.step()
        self.sched.step()


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


def train(opt, params, steps, dtype=torch.float64, device="cpu"):
    x, y = make_data(dtype, device)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(params, x, y).backward()
        opt.step()
    return [p.detach().clone() for p in params]


# ---------------------------------------------------------------------------------------------
# The checks.
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_trajectory_equals_oracle(case):
    params = make_params()
    ref = make_params()
    oracle = case.oracle(ref)
    if oracle is None:
        pytest.skip("oracle tested separately")
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch.optim's scalar state (e.g. NAdam's μ product)
    try:
        ours = train(case.make(params), params, 40)
        theirs = train(oracle, ref, 40)
    finally:
        torch.set_default_dtype(default)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
    moved = sum((a - b).abs().sum().item() for a, b in zip(ours, make_params()))
    assert moved > 1e-3, "the optimizer did not move the parameters"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_invalid_arguments_name_the_argument(case):
    for kwargs, name in case.invalid:
        with pytest.raises(ValueError, match=name) as info:
            case.make(make_params(), **kwargs)
        message = str(info.value)
        assert any(ch in message for ch in "[(") or "must be one of" in message or "required" in message \
            or "max_params" in message, f"no accepted range in: {message}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_state_dict_round_trip(case):
    params = make_params()
    opt = case.make(params)
    train(opt, params, 10)
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    twin_params = [p.detach().clone().requires_grad_() for p in params]
    twin = case.make(twin_params)
    twin.load_state_dict(saved)
    a = train(opt, params, 10)
    b = train(twin, twin_params, 10)
    for x, y in zip(a, b):
        assert torch.equal(x, y)


@pytest.mark.parametrize("case", [c for c in CASES if c.separable and c.group_lr], ids=lambda c: c.name)
def test_param_groups_match_separate_optimizers(case):
    params = make_params()
    if case.name.startswith("PerRole"):
        pytest.skip("PerRole builds its own groups by role")
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": 0.02}]
    opt = case.make(groups)
    separate_params = [p.detach().clone().requires_grad_() for p in params]
    first = case.make(separate_params[:2])
    second = case.make(separate_params[2:], lr=0.02)

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


@pytest.mark.parametrize("case", [c for c in CASES if c.group_lr], ids=lambda c: c.name)
def test_group_with_zero_lr_does_not_move(case):
    params = make_params()
    start = [p.detach().clone() for p in params]
    opt = case.make(params)
    if case.name.startswith("PerRole"):
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


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_parameter_without_grad_is_skipped(case):
    params = make_params()
    unused = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    if case.name.startswith("PerRole"):
        opt = case.make(params + [unused])
    else:
        opt = case.make([{"params": params}, {"params": [unused]}])
    before = unused.detach().clone()
    train(opt, params, 5)
    assert unused.grad is None
    assert torch.equal(unused.detach(), before)
    if case.separable:
        assert not opt.state.get(unused), "state was created for a parameter that never had a grad"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_closure_returns_loss_and_steps_like_plain_step(case):
    params = make_params()
    ref = [p.detach().clone().requires_grad_() for p in params]
    opt, ref_opt = case.make(params), case.make(ref)
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
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_dtypes_and_devices(case, dtype):
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    reference = train(case.make(p64 := make_params()), p64, 8)
    for device in devices:
        params = make_params(dtype=dtype, device=device)
        opt = case.make(params)
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


def test_table_covers_every_public_optimizer():
    covered = {type(c.make(make_params())).__name__ for c in CASES}
    public = {name for name in O.__all__
              if isinstance(getattr(O, name), type) and issubclass(getattr(O, name), torch.optim.Optimizer)
              and name != "Optimizer"}
    assert public <= covered, public - covered


def test_optimizers_are_torch_optimizers():
    for case in CASES:
        assert isinstance(case.make(make_params()), torch.optim.Optimizer)


def test_deepcopy_and_repr():
    for case in CASES:
        opt = case.make(make_params())
        copy.deepcopy(opt)
        assert type(opt).__name__ in repr(opt)
