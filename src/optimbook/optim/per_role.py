"""Per-role strategies: one rule for the weights, another for the biases (He & Li 2016, Exp. 2-4).

The AdaMix paper names a strategy "X + Y": rule X for the connection weights, rule Y for the biases,
e.g. ``AdaGrad + Cons`` (AdaGrad weights, constant-rate biases) or ``None + Cons`` (frozen weights).
:class:`PerRole` builds such a strategy by composing ordinary optimizers, one per role. A rule whose
rate varies takes a schedule as its ``lr``, like any optimizer of this package:
``Rule(SGD, {"lr": exponential_decay(0.1, 1000, 0.1)})``. :class:`PerRole` is itself a
:class:`torch.optim.Optimizer`: its ``param_groups`` are its children's groups (the same dicts), its
``state`` is their shared state, and ``state_dict``/``load_state_dict`` round-trip the whole strategy.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from optimbook.optim._base import (
    Optimizer, check_rate, decode_rates, encode_rates, evaluate_closure, held_subset, is_schedule,
    rate_at,
)
from optimbook.optim.roles import ROLES, check_role, role_of

__all__ = ["PerRole", "Rule", "split_by_role", "ROLES"]

#: The param-group keys that may hold a schedule in a rule's optimizer.
_RATE_KEYS = ("lr", "bias_lr")


@dataclass(frozen=True, init=False)
class Rule:
    """How one role is trained: an optimizer class and its keyword arguments.

    Args:
        optimizer: a :class:`torch.optim.Optimizer` subclass, e.g. ``optimbook.optim.SGD``.
        kwargs: its keyword arguments (``lr`` included; a varying rate is a schedule given as
            ``lr``, e.g. ``{"lr": optimbook.schedules.exponential_decay(...)}``).
        schedule: deprecated; ``Rule(cls, kwargs, schedule)`` is ``Rule(cls, {**kwargs, "lr":
            schedule})``.
        group: extra param-group keys, e.g. ``{"role": "weight"}`` to give biases AdaMix's weight
            rule (the paper's "Cons + AdaMix").
    """

    optimizer: type
    kwargs: Mapping[str, Any]
    group: Mapping[str, Any]

    def __init__(self, optimizer: type, kwargs: Mapping[str, Any] | None = None,
                 schedule: Callable[[int], float] | None = None,
                 group: Mapping[str, Any] | None = None) -> None:
        if not (isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer)):
            raise ValueError(f"optimizer must be a torch.optim.Optimizer subclass, got {optimizer!r}")
        kwargs = {} if kwargs is None else kwargs
        group = {} if group is None else group
        for name, value in (("kwargs", kwargs), ("group", group)):
            if not isinstance(value, Mapping):
                raise TypeError(f"{name} must be a mapping of keyword arguments, got {value!r}")
        kwargs = dict(kwargs)
        if schedule is not None:
            warnings.warn("Rule(optimizer, kwargs, schedule) is deprecated: give the schedule as the"
                          " rule's lr, Rule(optimizer, {**kwargs, 'lr': schedule})",
                          DeprecationWarning, stacklevel=2)
            kwargs["lr"] = _checked_schedule(schedule)
        if "lr" in kwargs:
            check_rate("lr", kwargs["lr"])
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(self, "kwargs", kwargs)
        object.__setattr__(self, "group", dict(group))

    @property
    def schedule(self) -> Callable[[int], float] | None:
        """The rule's ``lr`` if it is a schedule, else ``None`` (kept for code that read the
        deprecated ``schedule`` field)."""
        lr = self.kwargs.get("lr")
        return lr if is_schedule(lr) else None

    def __repr__(self) -> str:
        extra = f", group={dict(self.group)!r}" if self.group else ""
        return f"Rule({self.optimizer.__name__}, {dict(self.kwargs)!r}{extra})"


def _checked_schedule(schedule: Any) -> Callable[[int], float]:
    if not is_schedule(schedule):
        raise ValueError(f"schedule must be callable step -> lr, got {schedule!r}")
    return schedule


def _as_rule(name: str, rule: Any) -> Rule | None:
    if rule is None or isinstance(rule, Rule):
        return rule
    if isinstance(rule, type):
        return Rule(rule)
    if isinstance(rule, tuple) and 1 <= len(rule) <= 2:
        return Rule(*rule)
    if isinstance(rule, tuple) and len(rule) == 3:
        warnings.warn(f"{name}=(class, kwargs, schedule) is deprecated: give the schedule as lr,"
                      " (class, {**kwargs, 'lr': schedule})", DeprecationWarning, stacklevel=3)
        return Rule(rule[0], {**dict(rule[1] or {}), "lr": _checked_schedule(rule[2])})
    raise ValueError(
        f"{name} must be None, a Rule, an optimizer class or a tuple (class, kwargs), got {rule!r}"
    )


def split_by_role(params_or_module: Any) -> dict[str, list[torch.Tensor]]:
    """Split parameters into ``{"weight": [...], "bias": [...]}`` by
    :func:`~optimbook.optim.roles.role_of` (param groups, dicts, may set ``"role"``)."""
    if isinstance(params_or_module, nn.Module):
        items: Iterable[Any] = list(params_or_module.parameters())
    elif isinstance(params_or_module, torch.Tensor):
        raise TypeError("params must be an iterable of tensors or dicts, or a Module, not a Tensor")
    else:
        items = list(params_or_module)
    out: dict[str, list[torch.Tensor]] = {role: [] for role in ROLES}
    for item in items:
        group = item if isinstance(item, Mapping) else {"params": [item]}
        check_role(group.get("role"))
        params = group["params"]
        params = [params] if isinstance(params, torch.Tensor) else list(params)
        for p in params:
            out[role_of(p, group)].append(p)
    if not any(out.values()):
        raise ValueError("PerRole got an empty parameter list")
    return out


class PerRole(torch.optim.Optimizer):
    """A strategy "weight rule + bias rule" made of two optimizers (He & Li 2016, Exp. 2-4).

    Args:
        params_or_module: a module, parameters, or param groups (a group may set ``"role"``).
        weight: the weights' :class:`Rule` (or an optimizer class, or ``(class, kwargs)``), or
            ``None`` to freeze the weights.
        bias: the biases' rule, likewise.

    Example:
        ``PerRole(model, weight=Rule(AdaGrad, {"lr": 1e-3, "K": 1.0}), bias=Rule(SGD, {"lr": 1e-3}))``
        is the paper's "AdaGrad + Cons".

    A schedule given as a rule's ``lr`` is evaluated by the rule's optimizer at each parameter's
    step count; for a torch.optim class (which takes numbers only) PerRole sets the group's ``lr``
    from the schedule before each step instead, counting its own steps in ``schedule_step``. Either
    way a negative, NaN or infinite rate raises ``ValueError`` naming the step.
    """

    def __init__(self, params_or_module: Any, weight: Any = None, bias: Any = None) -> None:
        rules = {"weight": _as_rule("weight", weight), "bias": _as_rule("bias", bias)}
        split = split_by_role(params_or_module)
        everything = [p for role in ROLES for p in split[role]]
        super().__init__(everything, {})
        self.rules = rules
        self.children: dict[str, torch.optim.Optimizer] = {}
        #: the scheduled rates PerRole drives itself (foreign optimizers): role -> {key: schedule}
        self._driven: dict[str, dict[str, Callable[[int], float]]] = {}
        groups: list[dict[str, Any]] = []
        self._slices: dict[str, tuple[int, int]] = {}
        for role in ROLES:
            params, rule = split[role], rules[role]
            if not params:
                continue
            start = len(groups)
            if rule is None:  # frozen: kept as a group so zero_grad and state_dict see it
                groups.append({"params": params, "lr": 0.0, "per_role": role, "frozen": True})
            else:
                kwargs = dict(rule.kwargs)
                driven = {}
                if not issubclass(rule.optimizer, Optimizer):  # torch.optim takes numbers only
                    driven = {k: v for k, v in kwargs.items() if k in _RATE_KEYS and is_schedule(v)}
                    kwargs.update({k: rate_at(k, v, 0) for k, v in driven.items()})
                child = rule.optimizer([{"params": params, **dict(rule.group)}], **kwargs)
                for g in child.param_groups:
                    g["per_role"] = role
                    if driven:
                        g["schedule_step"] = 0
                if driven:
                    self._driven[role] = driven
                self.children[role] = child
                groups.extend(child.param_groups)
            self._slices[role] = (start, len(groups))
        self.param_groups = groups
        self._link()

    def _link(self) -> None:
        """Make the children use this optimizer's group dicts and one shared state."""
        if not isinstance(self.state, defaultdict):
            self.state = defaultdict(dict, self.state)
        for role, child in self.children.items():
            start, stop = self._slices[role]
            child.param_groups = self.param_groups[start:stop]
            child.state = self.state

    @property
    def frozen_params(self) -> list[torch.Tensor]:
        """Parameters no rule trains (their role was given ``None``)."""
        return [p for g in self.param_groups if g.get("frozen") for p in g["params"]]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if getattr(self, "children", None) is not None and hasattr(self, "rules"):
            raise NotImplementedError("PerRole fixes its groups at construction; build a new one")
        super().add_param_group(param_group)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One step of every role's optimizer."""
        loss = evaluate_closure(closure)
        for role, child in self.children.items():
            driven = self._driven.get(role)
            if driven:
                for g in child.param_groups:
                    for key, schedule in driven.items():
                        g[key] = rate_at(key, schedule, g["schedule_step"])
            child.step()
            if driven:
                for g in child.param_groups:
                    g["schedule_step"] += 1
        return loss

    @property
    def separable(self) -> bool:
        """Whether :meth:`partial_step` is allowed: every rule's optimizer is separable (see
        :meth:`optimbook.optim._base.Optimizer.partial_step`) and takes its schedules itself."""
        return all(getattr(child, "separable", False) and role not in self._driven
                   for role, child in self.children.items())

    @torch.no_grad()
    def partial_step(self, params: Iterable[torch.Tensor]) -> None:
        """One step of ``params`` alone: each rule's optimizer steps those of them it holds (frozen
        ones stay as they are). Stepping every parameter once this way equals one :meth:`step`.

        Raises:
            TypeError: a rule's optimizer cannot step some parameters alone (a torch.optim class,
                whose schedule PerRole counts per :meth:`step`, or a rule that couples parameters).
            ValueError: a tensor of ``params`` is not one of this optimizer's parameters.
        """
        if not self.separable:
            raise TypeError(f"{self!r} does not support partial_step: a rule's optimizer is not"
                            " separable or is a torch.optim class")
        params = list(params)
        held_subset(self, params)
        for child in self.children.values():
            mine = {id(p) for group in child.param_groups for p in group["params"]}
            subset = [p for p in params if id(p) in mine]
            if subset:
                child.partial_step(subset)

    def state_dict(self) -> dict[str, Any]:
        """torch's ``state_dict``, with schedules as plain data (see
        :meth:`optimbook.optim._base.Optimizer.state_dict`)."""
        out = super().state_dict()
        encode_rates(out["param_groups"], _RATE_KEYS)
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        state_dict["param_groups"] = decode_rates(
            copy.deepcopy(state_dict["param_groups"]), self.param_groups, _RATE_KEYS
        )
        super().load_state_dict(state_dict)
        self._link()

    def __repr__(self) -> str:
        def describe(role: str) -> str:
            rule = self.rules[role]
            if rule is None:
                return "None"
            return f"{rule.optimizer.__name__}({dict(rule.kwargs)})"

        return f"PerRole(weight={describe('weight')}, bias={describe('bias')})"
