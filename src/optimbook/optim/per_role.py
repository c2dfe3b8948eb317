"""Per-role strategies: one rule for the weights, another for the biases (He & Li 2016, Exp. 2-4).

The AdaMix paper names a strategy "X + Y": rule X for the connection weights, rule Y for the biases,
e.g. ``AdaGrad + Cons`` (AdaGrad weights, constant-rate biases) or ``None + Cons`` (frozen weights).
:class:`PerRole` builds such a strategy by composing ordinary optimizers, one per role, each with
an optional learning-rate schedule. It is itself a :class:`torch.optim.Optimizer`: its
``param_groups`` are its children's groups (the same dicts), its ``state`` is their shared state, and
``state_dict``/``load_state_dict`` round-trip the whole strategy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

__all__ = ["PerRole", "Rule", "split_by_role"]

ROLES = ("weight", "bias")


@dataclass(frozen=True)
class Rule:
    """How one role is trained: an optimizer class, its keyword arguments and an optional schedule.

    Args:
        optimizer: a :class:`torch.optim.Optimizer` subclass, e.g. ``optimbook.optim.SGD``.
        kwargs: its keyword arguments (``lr`` included).
        schedule: ``schedule(t) -> lr`` for the t-th step (t = 0, 1, …); sets the rule's learning
            rate before every step (e.g. ``optimbook.schedules.exponential_decay(...)``).
        group: extra param-group keys, e.g. ``{"role": "weight"}`` to give biases AdaMix's weight
            rule (the paper's "Cons + AdaMix").
    """

    optimizer: type
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    schedule: Callable[[int], float] | None = None
    group: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (isinstance(self.optimizer, type) and issubclass(self.optimizer, torch.optim.Optimizer)):
            raise ValueError(f"optimizer must be a torch.optim.Optimizer subclass, got {self.optimizer!r}")
        if self.schedule is not None and not callable(self.schedule):
            raise ValueError(f"schedule must be callable step -> lr, got {self.schedule!r}")


def _as_rule(name: str, rule: Any) -> Rule | None:
    if rule is None or isinstance(rule, Rule):
        return rule
    if isinstance(rule, type):
        return Rule(rule)
    if isinstance(rule, tuple) and 1 <= len(rule) <= 3:
        return Rule(*rule)
    raise ValueError(
        f"{name} must be None, a Rule, an optimizer class or a tuple (class, kwargs[, schedule]),"
        f" got {rule!r}"
    )


def split_by_role(params_or_module: Any) -> dict[str, list[torch.Tensor]]:
    """Split parameters into ``{"weight": [...], "bias": [...]}``.

    A tensor with ``ndim >= 2`` is a weight and anything else a bias; param groups (dicts) may set
    ``"role"`` to override for all their parameters.
    """
    if isinstance(params_or_module, nn.Module):
        items: Iterable[Any] = list(params_or_module.parameters())
    elif isinstance(params_or_module, torch.Tensor):
        raise TypeError("params must be an iterable of tensors or dicts, or a Module, not a Tensor")
    else:
        items = list(params_or_module)
    out: dict[str, list[torch.Tensor]] = {"weight": [], "bias": []}
    for item in items:
        if isinstance(item, Mapping):
            role = item.get("role")
            if role is not None and role not in ROLES:
                raise ValueError(f"role must be one of {ROLES}, got {role!r}")
            params = item["params"]
            params = [params] if isinstance(params, torch.Tensor) else list(params)
            for p in params:
                out[role or ("weight" if p.ndim >= 2 else "bias")].append(p)
        else:
            out["weight" if item.ndim >= 2 else "bias"].append(item)
    if not out["weight"] and not out["bias"]:
        raise ValueError("PerRole got an empty parameter list")
    return out


class PerRole(torch.optim.Optimizer):
    """A strategy "weight rule + bias rule" made of two optimizers (He & Li 2016, Exp. 2-4).

    Args:
        params_or_module: a module, parameters, or param groups (a group may set ``"role"``).
        weight: the weights' :class:`Rule` (or an optimizer class, or ``(class, kwargs[, schedule])``),
            or ``None`` to freeze the weights.
        bias: the biases' rule, likewise.

    Example:
        ``PerRole(model, weight=Rule(AdaGrad, {"lr": 1e-3, "K": 1.0}), bias=Rule(SGD, {"lr": 1e-3}))``
        is the paper's "AdaGrad + Cons".
    """

    def __init__(self, params_or_module: Any, weight: Any = None, bias: Any = None) -> None:
        rules = {"weight": _as_rule("weight", weight), "bias": _as_rule("bias", bias)}
        split = split_by_role(params_or_module)
        everything = split["weight"] + split["bias"]
        super().__init__(everything, {})
        self.rules = rules
        self.children: dict[str, torch.optim.Optimizer] = {}
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
                child = rule.optimizer([{"params": params, **dict(rule.group)}], **dict(rule.kwargs))
                for g in child.param_groups:
                    g["per_role"] = role
                    if rule.schedule is not None:
                        g["schedule_step"] = 0
                        g["lr"] = float(rule.schedule(0))
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
        """One step of every role's optimizer (schedules set each rule's lr first)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for role, child in self.children.items():
            schedule = self.rules[role].schedule
            if schedule is not None:
                for g in child.param_groups:
                    g["lr"] = float(schedule(g["schedule_step"]))
            child.step()
            if schedule is not None:
                for g in child.param_groups:
                    g["schedule_step"] += 1
        return loss

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._link()

    def __repr__(self) -> str:
        def describe(role: str) -> str:
            rule = self.rules[role]
            if rule is None:
                return "None"
            sched = f", schedule={rule.schedule!r}" if rule.schedule is not None else ""
            return f"{rule.optimizer.__name__}({dict(rule.kwargs)}{sched})"

        return f"PerRole(weight={describe('weight')}, bias={describe('bias')})"
