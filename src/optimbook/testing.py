"""The optimizer registry: one table of every optimizer, after torch's ``OptimizerInfo``
(``torch/testing/_internal/common_optimizers.py``).

Each :class:`OptimizerInfo` holds the class, where it comes from, its independent oracle for each of
several valid configurations (the torch.optim counterpart where one exists, else a literal
transcription of the paper's equations written here with plain tensor arithmetic), invalid inputs
with the error each must raise, the documented range of every numeric argument, and capabilities
(complex, sparse, maximize, foreach, DDP, FSDP2). The conformance, fuzz and distributed tests, the
step-time benchmark, chapter 8's gallery and the AdaMix experiments' rules all read :data:`REGISTRY`;
there is no second table.

>>> REGISTRY["Adam"].cls.__name__, REGISTRY["Adam"].torch_counterpart
('Adam', 'Adam')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from optimbook.optim.adadec import AdaDec
from optimbook.optim.adagrad import AdaGrad
from optimbook.optim.adam import Adam, AdamW, AMSGrad, Nadam
from optimbook.optim.adamix import AdaMix
from optimbook.optim.natural import NaturalGradient
from optimbook.optim.per_role import PerRole, Rule
from optimbook.optim.rmsprop import Adadelta, RMSProp
from optimbook.optim.sgd import SGD, Momentum, Nesterov

__all__ = ["REGISTRY", "OptimizerInfo", "Config", "Range", "Invalid", "Capabilities", "optimizer_class",
           "configs", "lineup", "LiteralAdaDec", "LiteralAdaMix", "LiteralExactNaturalGradient",
           "LiteralSutskever", "TorchScheduled", "PairOfOptimizers", "with_role"]

R = 60  #: total_steps of AdaDec/AdaMix in the registry's configurations


# ---------------------------------------------------------------------------------------------
# Oracles: torch.optim driven by a schedule, and literal transcriptions of the papers' equations
# (plain tensors, no optimbook code).
# ---------------------------------------------------------------------------------------------
def exp_schedule(t: int) -> float:
    """A schedule written here, independent of :mod:`optimbook.schedules`: 0.05 · 0.9^(t/10)."""
    return 0.05 * 0.9 ** (t / 10)


def power_schedule(lr: float, total_steps: int, q: float = 0.75) -> Callable[[int], float]:
    """The schedule of :func:`optimbook.schedules.power_decay`, from optimbook (the shorthand's
    equivalent, compared with the literal formula by the oracles)."""
    from optimbook.schedules import power_decay

    return power_decay(lr, total_steps, q)


class TorchScheduled:
    """A torch.optim optimizer with ``lr = schedule(k)`` at its k-th step (``LambdaLR`` on lr = 1)."""

    def __init__(self, cls: type, params, schedule: Callable[[int], float], **kwargs: Any) -> None:
        self.opt = cls(params, lr=1.0, **kwargs)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, schedule)

    def zero_grad(self) -> None:
        self.opt.zero_grad()

    def step(self) -> None:
        self.opt.step()
        self.sched.step()


class PairOfOptimizers:
    """Oracle for PerRole: one optimizer on the weights (ndim ≥ 2), another on the biases, built
    separately (a factory may be ``None``: that role is frozen)."""

    def __init__(self, params, weight_factory, bias_factory) -> None:
        from optimbook.optim.per_role import split_by_role  # param groups may set "role", as PerRole's may

        split = split_by_role(params)
        self.parts = []
        w, b = split["weight"], split["bias"]
        if weight_factory is not None:
            self.parts.append(weight_factory(w))
        if bias_factory is not None:
            self.parts.append(bias_factory(b))

    def zero_grad(self) -> None:
        for part in self.parts:
            part.zero_grad()

    def step(self) -> None:
        for part in self.parts:
            part.step()


class _Literal:
    """Base of the literal transcriptions: holds the parameters (a list, or param groups) and
    clears their gradients; a subclass's ``step`` applies the paper's equations to them."""

    def __init__(self, params) -> None:
        self.params = [p for g in params for p in g["params"]] if params and isinstance(
            params[0], dict) else list(params)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None


class LiteralAdaDec(_Literal):
    """He & Li eq. (13)-(15): η(t) = p(t)/sqrt(K + G(t)); G(t) = ξ g(t−1)² + g(t)² (or ξ G(t−1) + g(t)²);
    p(t) = η0 (1+t/R)^−q."""

    def __init__(self, params, lr, K=1.0, xi=0.999, q=0.75, total_steps=R, recursive=False):
        super().__init__(params)
        self.lr, self.K, self.xi, self.q, self.R = lr, K, xi, q, total_steps
        self.recursive, self.t = recursive, 0
        self.prev = [torch.zeros_like(p) for p in self.params]  # g(t−1)² or G(t−1)

    @torch.no_grad()
    def step(self) -> None:
        p_t = self.lr * (1 + self.t / self.R) ** (-self.q)
        for i, theta in enumerate(self.params):
            g = theta.grad
            G = self.xi * self.prev[i] + g * g
            theta -= p_t / torch.sqrt(self.K + G) * g
            self.prev[i] = G if self.recursive else g * g
        self.t += 1


class LiteralAdaMix(_Literal):
    """He & Li eq. (16)-(18). Weights: α(t) = α(t−1)/sqrt(K + g(t)²), α(−1) = η0, θ −= α(t) g(t);
    biases: β(t) = β0 (1+t/R)^−q."""

    def __init__(self, params, lr, K=1.0, q=0.75, total_steps=R, bias_lr=None, all_weights=False):
        super().__init__(params)
        self.K, self.q, self.R = K, q, total_steps
        self.bias_lr = lr if bias_lr is None else bias_lr
        self.is_weight = [all_weights or p.ndim >= 2 for p in self.params]
        self.alpha = [torch.full_like(p, lr) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self) -> None:
        beta = self.bias_lr * (1 + self.t / self.R) ** (-self.q)
        for i, theta in enumerate(self.params):
            g = theta.grad
            if self.is_weight[i]:
                self.alpha[i] = self.alpha[i] / torch.sqrt(self.K + g * g)
                theta -= self.alpha[i] * g
            else:
                theta -= beta * g
        self.t += 1


class LiteralExactNaturalGradient(_Literal):
    """Amari (1998) with the running-average Fisher formed and solved explicitly:
    G ← (1 − ε) G + ε g gᵀ (G(0) = damping · I), θ ← θ − η G⁻¹ g."""

    def __init__(self, params, lr, eps=0.01, damping=1.0):
        super().__init__(params)
        n = sum(p.numel() for p in self.params)
        self.lr, self.eps = lr, eps
        self.G = damping * torch.eye(n, dtype=self.params[0].dtype)

    @torch.no_grad()
    def step(self) -> None:
        g = torch.cat([p.grad.reshape(-1) for p in self.params])
        self.G = (1 - self.eps) * self.G + self.eps * torch.outer(g, g)
        d = torch.linalg.solve(self.G, g)
        offset = 0
        for p in self.params:
            p -= self.lr * d[offset:offset + p.numel()].view_as(p)
            offset += p.numel()


class LiteralSutskever(_Literal):
    """Sutskever, Martens, Dahl & Hinton (2013), eq. (1)-(2) (momentum) and (3)-(4) (Nesterov),
    with the step's own rate ε_t = ``schedule(t)`` inside the velocity:

        v ← μ v − ε_t ∇f(θ),  θ ← θ + v                        (classical momentum)
        v ← μ v − ε_t ∇f(θ + μ v),  θ ← θ + v                  (Nesterov)

    Nesterov's look-ahead gradient needs the loss; this oracle keeps θ and is handed the gradient
    at θ + μv by tracking φ = θ + μv as the parameters the loss sees (Bengio et al. 2013): it
    stores θ separately and sets the parameters to φ after each step."""

    def __init__(self, params, schedule, momentum=0.9, nesterov=False):
        super().__init__(params)
        self.schedule, self.mu, self.nesterov, self.t = schedule, momentum, nesterov, 0
        self.v = [torch.zeros_like(p) for p in self.params]
        self.theta = [p.detach().clone() for p in self.params]  # θ (the parameters hold φ = θ + μv)

    @torch.no_grad()
    def step(self) -> None:
        eps = self.schedule(self.t)
        for i, p in enumerate(self.params):
            g = p.grad  # ∇f(θ) for momentum; ∇f(θ + μv) for Nesterov (p holds θ + μv)
            self.v[i] = self.mu * self.v[i] - eps * g
            self.theta[i] = self.theta[i] + self.v[i]
            p.copy_(self.theta[i] + self.mu * self.v[i] if self.nesterov else self.theta[i])
        self.t += 1


def with_role(params, role: str):
    """Param groups with ``role`` set, from parameters or from param groups."""
    params = list(params)
    if params and isinstance(params[0], dict):
        return [{**g, "role": role} for g in params]
    return [{"params": params, "role": role}]


# ---------------------------------------------------------------------------------------------
# The table's types.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Range:
    """The documented accepted values of one numeric argument, as
    :func:`optimbook._checks.check_number` takes them; ``rate`` marks a learning rate (which also
    accepts a schedule or a 0-dim tensor) and ``index`` an element of a tuple argument (``betas``)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    rate: bool = False
    index: int | None = None

    def accepts(self, value: float) -> bool:
        """Whether a finite real ``value`` lies in the range."""
        if self.integer and value != int(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return False
        return True


@dataclass(frozen=True)
class Config:
    """A valid configuration: ``make(params)`` builds ours, ``oracle(params)`` its reference (or
    ``None`` where the oracle lives in a dedicated test). ``numeric_lr``: the rate is a number, so
    param groups with their own ``lr`` can be compared with separate optimizers."""

    name: str
    kwargs: Mapping[str, Any]
    oracle: Callable[[list], Any] | None
    groups: Callable[[list], list] | None = None
    numeric_lr: bool = True
    tags: frozenset[str] = frozenset()
    #: (rtol, atol) of the float64 comparison with the oracle over 40 steps
    tolerance: tuple[float, float] = (1e-9, 1e-12)

    def make(self, cls: type, params, **override: Any) -> torch.optim.Optimizer:
        params = self.groups(params) if self.groups is not None else params
        return cls(params, **{**self.kwargs, **override})


@dataclass(frozen=True)
class Invalid:
    """An invalid input: keyword arguments over the first configuration's, the exception type and a
    regular expression its message must match (the argument's name)."""

    kwargs: Mapping[str, Any]
    error: type[Exception]
    match: str


@dataclass(frozen=True)
class Capabilities:
    """What the optimizer supports. ``complex``: complex parameters as torch.optim treats them
    (view_as_real), else refused by name; ``sparse``: sparse gradients (all refuse them by name);
    ``maximize``: a ``maximize`` flag (none has one); ``foreach``: multi-tensor ``_foreach`` updates;
    ``ddp``/``fsdp2``: tested under DDP and FSDP2 (``fully_shard``), else refused by name."""

    complex: bool = True
    sparse: bool = False
    maximize: bool = False
    foreach: bool = True
    ddp: bool = True
    fsdp2: bool = True


@dataclass(frozen=True)
class OptimizerInfo:
    """One row of the registry (see the module docstring)."""

    name: str
    cls: type
    source: str
    torch_counterpart: str | None
    family: str
    configs: tuple[Config, ...]
    arguments: Mapping[str, Range] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    choices: Mapping[str, tuple] = field(default_factory=dict)
    invalid: tuple[Invalid, ...] = ()
    capabilities: Capabilities = Capabilities()
    #: kwargs other than ``lr`` for a run of ``R`` steps, per label (chapter 8's line-up)
    gallery: Mapping[str, Callable[[int], dict]] = field(default_factory=dict)

    @property
    def default(self) -> Config:
        """The first configuration (the base of the invalid inputs and of the fuzz test)."""
        return self.configs[0]

    def make(self, params, config: Config | None = None, **override: Any) -> torch.optim.Optimizer:
        return (config or self.default).make(self.cls, params, **override)


LR = Range(low=0.0, rate=True)
NONNEG = Range(low=0.0)
POSITIVE = Range(low=0.0, low_open=True)
UNIT = Range(low=0.0, high=1.0)
UNIT_HALF_OPEN = Range(low=0.0, high=1.0, high_open=True)
STEPS = Range(low=1, integer=True)


def _torch(cls: type, **kwargs: Any) -> Callable[[list], Any]:
    return lambda p: cls(p, **kwargs)


def _scheduled(cls: type, schedule, **kwargs: Any) -> Callable[[list], Any]:
    return lambda p: TorchScheduled(cls, p, schedule, **kwargs)


def _adam_args() -> dict[str, Range]:
    return {"lr": LR, "betas[0]": dataclasses.replace(UNIT_HALF_OPEN, index=0),
            "betas[1]": dataclasses.replace(UNIT_HALF_OPEN, index=1), "eps": NONNEG}


def _plain(_: int) -> dict:
    return {}


def _run_length(total_steps: int) -> dict:
    return {"total_steps": total_steps}


_SCHEDULE = frozenset({"schedule"})
_BENCH = frozenset({"bench"})
_PAPER = frozenset({"paper"})

_INFOS = [
    OptimizerInfo(
        "SGD", SGD, "survey eq. (1)-(3); He & Li eq. (4)", "SGD", "gradient descent",
        (Config("SGD", {"lr": 0.05}, _torch(torch.optim.SGD, lr=0.05)),
         Config("SGD-schedule", {"lr": exp_schedule}, _scheduled(torch.optim.SGD, exp_schedule),
                numeric_lr=False, tags=_SCHEDULE),
         Config("SGD-tensor-lr", {"lr": torch.tensor(0.05, dtype=torch.float64)},
                _torch(torch.optim.SGD, lr=0.05), numeric_lr=False),
         Config("SGD-bench", {"lr": 1e-3}, _torch(torch.optim.SGD, lr=1e-3), tags=_BENCH)),
        arguments={"lr": LR},
        invalid=(Invalid({"lr": -0.1}, ValueError, "lr"), Invalid({"lr": float("inf")}, ValueError, "lr"),
                 Invalid({"lr": "0.1"}, TypeError, "lr"), Invalid({"lr": torch.ones(2)}, TypeError, "lr")),
        gallery={"SGD": _plain},
    ),
    OptimizerInfo(
        "Momentum", Momentum, "Polyak 1964; Sutskever et al. 2013", "SGD(momentum=)", "gradient descent",
        (Config("Momentum", {"lr": 0.05, "momentum": 0.9}, _torch(torch.optim.SGD, lr=0.05, momentum=0.9)),
         Config("Momentum-sutskever", {"lr": 0.05, "form": "sutskever"},
                _torch(torch.optim.SGD, lr=0.05, momentum=0.9)),
         Config("Momentum-schedule", {"lr": exp_schedule},
                _scheduled(torch.optim.SGD, exp_schedule, momentum=0.9), numeric_lr=False, tags=_SCHEDULE),
         Config("Momentum-sutskever-schedule", {"lr": exp_schedule, "form": "sutskever"},
                lambda p: LiteralSutskever(p, exp_schedule), numeric_lr=False),
         Config("Momentum-bench", {"lr": 1e-3}, _torch(torch.optim.SGD, lr=1e-3, momentum=0.9), tags=_BENCH)),
        arguments={"lr": LR, "momentum": UNIT_HALF_OPEN}, choices={"form": ("torch", "sutskever")},
        invalid=(Invalid({"momentum": 1.0}, ValueError, "momentum"),
                 Invalid({"momentum": -0.1}, ValueError, "momentum"),
                 Invalid({"form": "polyak"}, ValueError, "form")),
        gallery={"Momentum": _plain},
    ),
    OptimizerInfo(
        "Nesterov", Nesterov, "Nesterov 1983; Sutskever et al. 2013", "SGD(nesterov=True)",
        "gradient descent",
        (Config("Nesterov", {"lr": 0.05, "momentum": 0.9},
                _torch(torch.optim.SGD, lr=0.05, momentum=0.9, nesterov=True)),
         Config("Nesterov-sutskever", {"lr": 0.05, "form": "sutskever"},
                _torch(torch.optim.SGD, lr=0.05, momentum=0.9, nesterov=True)),
         Config("Nesterov-schedule", {"lr": exp_schedule},
                _scheduled(torch.optim.SGD, exp_schedule, momentum=0.9, nesterov=True),
                numeric_lr=False, tags=_SCHEDULE),
         Config("Nesterov-sutskever-schedule", {"lr": exp_schedule, "form": "sutskever"},
                lambda p: LiteralSutskever(p, exp_schedule, nesterov=True), numeric_lr=False),
         Config("Nesterov-bench", {"lr": 1e-3},
                _torch(torch.optim.SGD, lr=1e-3, momentum=0.9, nesterov=True), tags=_BENCH)),
        arguments={"lr": LR, "momentum": UNIT_HALF_OPEN}, choices={"form": ("torch", "sutskever")},
        invalid=(Invalid({"momentum": 1.5}, ValueError, "momentum"),),
        gallery={"Nesterov": _plain},
    ),
    OptimizerInfo(
        "AdaGrad", AdaGrad, "He & Li eq. (12); MindSpore alg. 4.1", "Adagrad", "AdaGrad family",
        (Config("AdaGrad", {"lr": 0.1}, _torch(torch.optim.Adagrad, lr=0.1)),
         Config("AdaGrad-K1", {"lr": 0.1, "K": 1.0, "eps": 0.0},
                _torch(torch.optim.Adagrad, lr=0.1, initial_accumulator_value=1.0, eps=0.0)),
         Config("AdaGrad-schedule", {"lr": exp_schedule}, _scheduled(torch.optim.Adagrad, exp_schedule),
                numeric_lr=False, tags=_SCHEDULE),
         Config("AdaGrad-bench", {}, _torch(torch.optim.Adagrad), tags=_BENCH),
         Config("AdaGrad (K=1)", {"lr": 1e-3, "K": 1.0, "eps": 0.0}, None, tags=_PAPER)),
        arguments={"lr": LR, "K": NONNEG, "eps": NONNEG, "grad_scale": POSITIVE},
        invalid=(Invalid({"K": -1.0}, ValueError, "K"), Invalid({"eps": -1e-8}, ValueError, "eps"),
                 Invalid({"grad_scale": 0.0}, ValueError, "grad_scale")),
        gallery={"AdaGrad": _plain},
    ),
    OptimizerInfo(
        "AdaDec", AdaDec, "He & Li eq. (13)-(15); Senior et al. 2013", None, "AdaGrad family",
        (Config("AdaDec", {"lr": 0.05, "total_steps": R}, lambda p: LiteralAdaDec(p, lr=0.05)),
         Config("AdaDec-recursive", {"lr": 0.05, "total_steps": R, "recursive": True},
                lambda p: LiteralAdaDec(p, lr=0.05, recursive=True)),
         Config("AdaDec-schedule", {"lr": power_schedule(0.05, R)}, lambda p: LiteralAdaDec(p, lr=0.05),
                numeric_lr=False, tags=_SCHEDULE),
         Config("AdaDec (R=10000)", {"lr": 1e-3, "total_steps": 10_000}, None, tags=_PAPER),
         Config("AdaDec recursive (R=10000)", {"lr": 1e-3, "total_steps": 10_000, "recursive": True}, None,
                tags=_PAPER)),
        arguments={"lr": LR, "K": POSITIVE, "xi": UNIT, "q": NONNEG, "total_steps": STEPS,
                   "grad_scale": POSITIVE},
        flags=("recursive",),
        invalid=(Invalid({"total_steps": None}, ValueError, "total_steps"),
                 Invalid({"total_steps": 0}, ValueError, "total_steps"),
                 Invalid({"total_steps": float("nan")}, ValueError, "total_steps"),
                 Invalid({"K": 0.0}, ValueError, "K"), Invalid({"xi": 1.5}, ValueError, "xi"),
                 Invalid({"q": -1.0}, ValueError, "q"), Invalid({"recursive": "no"}, TypeError, "recursive"),
                 Invalid({"lr": exp_schedule}, ValueError, "total_steps")),
        gallery={"AdaDec": _run_length},
    ),
    OptimizerInfo(
        "RMSProp", RMSProp, "MindSpore alg. 4.2; source 003 (masks)", "RMSprop", "RMSProp, Adadelta",
        (Config("RMSProp", {"lr": 0.01}, _torch(torch.optim.RMSprop, lr=0.01)),
         Config("RMSProp-mindspore", {"lr": 0.01, "alpha": 0.9, "eps": 1e-7},
                _torch(torch.optim.RMSprop, lr=0.01, alpha=0.9, eps=1e-7)),
         Config("RMSProp-schedule", {"lr": exp_schedule}, _scheduled(torch.optim.RMSprop, exp_schedule),
                numeric_lr=False, tags=_SCHEDULE),
         Config("RMSProp-bench", {}, _torch(torch.optim.RMSprop), tags=_BENCH)),
        arguments={"lr": LR, "alpha": UNIT_HALF_OPEN, "eps": NONNEG},
        invalid=(Invalid({"alpha": 1.0}, ValueError, "alpha"), Invalid({"eps": -1.0}, ValueError, "eps"),
                 Invalid({"lr": float("nan")}, ValueError, "lr")),
        gallery={"RMSProp": _plain},
    ),
    OptimizerInfo(
        "Adadelta", Adadelta, "Zeiler 2012", "Adadelta", "RMSProp, Adadelta",
        (Config("Adadelta", {}, _torch(torch.optim.Adadelta)),
         Config("Adadelta-rho", {"lr": 0.5, "rho": 0.95}, _torch(torch.optim.Adadelta, lr=0.5, rho=0.95)),
         Config("Adadelta-schedule", {"lr": exp_schedule}, _scheduled(torch.optim.Adadelta, exp_schedule),
                numeric_lr=False, tags=_SCHEDULE),
         Config("Adadelta-bench", {}, _torch(torch.optim.Adadelta), tags=_BENCH)),
        arguments={"lr": LR, "rho": UNIT, "eps": NONNEG},
        invalid=(Invalid({"rho": 1.5}, ValueError, "rho"), Invalid({"eps": -1.0}, ValueError, "eps")),
        gallery={"Adadelta": _plain},
    ),
    OptimizerInfo(
        "Adam", Adam, "MindSpore alg. 4.3; Kingma & Ba 2015", "Adam", "Adam family",
        (Config("Adam", {"lr": 0.01}, _torch(torch.optim.Adam, lr=0.01)),
         Config("Adam-betas", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-7},
                _torch(torch.optim.Adam, lr=0.01, betas=(0.8, 0.99), eps=1e-7)),
         Config("Adam-schedule", {"lr": exp_schedule}, _scheduled(torch.optim.Adam, exp_schedule),
                numeric_lr=False, tags=_SCHEDULE),
         Config("Adam-bench", {}, _torch(torch.optim.Adam), tags=_BENCH)),
        arguments=_adam_args(),
        invalid=(Invalid({"betas": (1.0, 0.999)}, ValueError, r"betas\[0\]"),
                 Invalid({"betas": (0.9, -0.1)}, ValueError, r"betas\[1\]"),
                 Invalid({"betas": (0.9,)}, ValueError, "betas"), Invalid({"betas": 0.9}, TypeError, "betas"),
                 Invalid({"eps": -1.0}, ValueError, "eps")),
        gallery={"Adam": _plain},
    ),
    OptimizerInfo(
        "AMSGrad", AMSGrad, "Reddi et al. 2018", "Adam(amsgrad=True)", "Adam family",
        (Config("AMSGrad", {"lr": 0.01}, _torch(torch.optim.Adam, lr=0.01, amsgrad=True)),
         Config("AMSGrad-schedule", {"lr": exp_schedule},
                _scheduled(torch.optim.Adam, exp_schedule, amsgrad=True), numeric_lr=False, tags=_SCHEDULE),
         Config("AMSGrad-bench", {}, _torch(torch.optim.Adam, amsgrad=True), tags=_BENCH)),
        arguments=_adam_args(),
        invalid=(Invalid({"lr": -0.01}, ValueError, "lr"),),
        gallery={"AMSGrad": _plain},
    ),
    OptimizerInfo(
        "AdamW", AdamW, "Loshchilov & Hutter 2019", "AdamW", "Adam family",
        (Config("AdamW", {"lr": 0.01}, _torch(torch.optim.AdamW, lr=0.01)),
         Config("AdamW-decay", {"lr": 0.01, "weight_decay": 0.1}, _torch(torch.optim.AdamW, lr=0.01,
                                                                         weight_decay=0.1)),
         Config("AdamW-schedule", {"lr": exp_schedule}, _scheduled(torch.optim.AdamW, exp_schedule),
                numeric_lr=False, tags=_SCHEDULE),
         Config("AdamW-bench", {}, _torch(torch.optim.AdamW), tags=_BENCH)),
        arguments={**_adam_args(), "weight_decay": NONNEG},
        invalid=(Invalid({"weight_decay": -0.1}, ValueError, "weight_decay"),),
        gallery={"AdamW": _plain},
    ),
    OptimizerInfo(
        "Nadam", Nadam, "Dozat 2016", "NAdam", "Adam family",
        (Config("Nadam", {}, _torch(torch.optim.NAdam)),
         Config("Nadam-decay", {"lr": 0.01, "momentum_decay": 0.01},
                _torch(torch.optim.NAdam, lr=0.01, momentum_decay=0.01)),
         Config("Nadam-schedule", {"lr": exp_schedule}, _scheduled(torch.optim.NAdam, exp_schedule),
                numeric_lr=False, tags=_SCHEDULE),
         Config("Nadam-bench", {}, _torch(torch.optim.NAdam), tags=_BENCH)),
        arguments={**_adam_args(), "momentum_decay": NONNEG},
        invalid=(Invalid({"momentum_decay": -1.0}, ValueError, "momentum_decay"),
                 Invalid({"betas": (0.9, 1.0)}, ValueError, r"betas\[1\]")),
        gallery={"Nadam": _plain},
    ),
    OptimizerInfo(
        "NaturalGradient", NaturalGradient, 'Amari, Park & Fukumizu 2000 ("ANGD")', None, "natural gradient",
        (Config("NaturalGradient", {"lr": 0.05}, None),
         Config("NaturalGradient-exact", {"lr": 0.05, "update": "exact", "eps": 0.1},
                lambda p: LiteralExactNaturalGradient(p, lr=0.05, eps=0.1),
                tolerance=(1e-5, 1e-7)),  # Ĝ is ill-conditioned after 40 rank-one updates
         Config("NaturalGradient-schedule", {"lr": exp_schedule}, None, numeric_lr=False, tags=_SCHEDULE)),
        arguments={"lr": LR, "eps": Range(low=0.0, high=1.0, low_open=True, high_open=True),
                   "damping": POSITIVE, "max_params": STEPS},
        flags=("fisher_from_grad",), choices={"update": ("amari", "exact")},
        invalid=(Invalid({"eps": 0.0}, ValueError, "eps"), Invalid({"eps": 1.0}, ValueError, "eps"),
                 Invalid({"damping": 0.0}, ValueError, "damping"),
                 Invalid({"update": "newton"}, ValueError, "update"),
                 Invalid({"max_params": 3}, ValueError, "max_params"),
                 Invalid({"max_params": float("inf")}, ValueError, "max_params"),
                 Invalid({"fisher_from_grad": "False"}, TypeError, "fisher_from_grad")),
        capabilities=Capabilities(complex=False, foreach=False, fsdp2=False),
        gallery={"NaturalGradient (amari)": lambda _: {"update": "amari"},
                 "NaturalGradient (exact)": lambda _: {"update": "exact"}},
    ),
    OptimizerInfo(
        "AdaMix", AdaMix, "He & Li eq. (16)-(18)", None, "AdaGrad family",
        (Config("AdaMix", {"lr": 0.05, "total_steps": R}, lambda p: LiteralAdaMix(p, lr=0.05)),
         Config("AdaMix-bias_lr", {"lr": 0.05, "total_steps": R, "bias_lr": 0.2},
                lambda p: LiteralAdaMix(p, lr=0.05, bias_lr=0.2)),
         Config("AdaMix-role-weight", {"lr": 0.05, "total_steps": R},
                lambda p: LiteralAdaMix(p, lr=0.05, all_weights=True), groups=lambda p: with_role(p, "weight")),
         Config("AdaMix-schedule", {"lr": 0.05, "bias_lr": power_schedule(0.2, R)},
                lambda p: LiteralAdaMix(p, lr=0.05, bias_lr=0.2), numeric_lr=False, tags=_SCHEDULE),
         Config("AdaMix (R=10000)", {"lr": 1e-3, "total_steps": 10_000}, None, tags=_PAPER)),
        arguments={"lr": LR, "K": POSITIVE, "q": NONNEG, "total_steps": STEPS,
                   "bias_lr": LR, "grad_scale": POSITIVE},
        flags=("compile",), choices={"rate": ("literal", "current", "per-round")},
        invalid=(Invalid({"total_steps": None}, ValueError, "total_steps"), Invalid({"K": 0.0}, ValueError, "K"),
                 Invalid({"compile": "yes"}, TypeError, "compile"),
                 Invalid({"bias_lr": -1.0}, ValueError, "bias_lr"), Invalid({"q": -0.5}, ValueError, "q"),
                 Invalid({"total_steps": 10**400}, ValueError, "total_steps"),
                 Invalid({"rate": "sometimes"}, ValueError, "rate")),
        capabilities=Capabilities(complex=False),
        gallery={"AdaMix": _run_length},
    ),
    OptimizerInfo(
        "PerRole", PerRole, 'He & Li Exp. 2-4 ("weights + biases")', None, "per role",
        (Config("PerRole-AdaGrad+Cons",
                {"weight": Rule(AdaGrad, {"lr": 0.1, "K": 1.0, "eps": 0.0}), "bias": Rule(SGD, {"lr": 0.05})},
                lambda p: PairOfOptimizers(
                    p, lambda w: torch.optim.Adagrad(w, lr=0.1, initial_accumulator_value=1.0, eps=0.0),
                    lambda b: torch.optim.SGD(b, lr=0.05))),
         Config("PerRole-Exp+None", {"weight": Rule(SGD, {"lr": exp_schedule}), "bias": None},
                lambda p: PairOfOptimizers(p, lambda w: TorchScheduled(torch.optim.SGD, w, exp_schedule), None),
                numeric_lr=False, tags=_SCHEDULE),
         Config("PerRole-torch-Exp+Adam",
                {"weight": Rule(torch.optim.SGD, {"lr": exp_schedule}), "bias": Rule(Adam, {"lr": 0.01})},
                lambda p: PairOfOptimizers(p, lambda w: TorchScheduled(torch.optim.SGD, w, exp_schedule),
                                           lambda b: torch.optim.Adam(b, lr=0.01)),
                numeric_lr=False, tags=_SCHEDULE)),
        invalid=(Invalid({"weight": "sgd"}, ValueError, "weight"),),
        capabilities=Capabilities(complex=True),  # as its rules do
    ),
]

#: name -> :class:`OptimizerInfo`, every public optimizer of :mod:`optimbook.optim`.
REGISTRY: dict[str, OptimizerInfo] = {info.name: info for info in _INFOS}


def optimizer_class(name: str) -> type:
    """The class registered as ``name`` (``ValueError`` naming the registered names otherwise)."""
    if name not in REGISTRY:
        raise ValueError(f"name must be one of {sorted(REGISTRY)}, got {name!r}")
    return REGISTRY[name].cls


def configs(tag: str | None = None) -> list[tuple[OptimizerInfo, Config]]:
    """Every (info, configuration) pair, or those tagged ``tag`` (``"bench"``, ``"paper"``,
    ``"schedule"``); untagged configurations are the test configurations."""
    return [(info, c) for info in REGISTRY.values() for c in info.configs
            if (tag is None and not c.tags & (_BENCH | _PAPER)) or (tag is not None and tag in c.tags)]


def lineup(total_steps: int) -> dict[str, tuple[type, dict]]:
    """Chapter 8's line-up: label -> (class, keyword arguments other than ``lr``) for a run of
    ``total_steps`` steps, in registry order (PerRole, a composition, is not in it)."""
    return {label: (info.cls, kwargs(total_steps))
            for info in REGISTRY.values() for label, kwargs in info.gallery.items()}


def families() -> dict[str, list[str]]:
    """Chapter 8's families: family -> the line-up labels in it."""
    out: dict[str, list[str]] = {}
    for info in REGISTRY.values():
        if info.gallery:
            out.setdefault(info.family, []).extend(info.gallery)
    return out


def table() -> list[dict[str, object]]:
    """The registry as rows (one dict per optimizer): name, source, torch counterpart and
    capabilities (``pandas.DataFrame(table())`` shows it)."""
    return [{"optimizer": i.name, "source": i.source,
             "torch.optim counterpart": i.torch_counterpart or "--",
             **dataclasses.asdict(i.capabilities)} for i in REGISTRY.values()]
