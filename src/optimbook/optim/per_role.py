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

from optimbook._checks import _shown
from optimbook.optim._base import (
    Optimizer, check_rate, check_saved_layout, decode_rates, encode_rates, evaluate_closure,
    is_schedule, rate_at,
)
from optimbook.optim.roles import ROLES, check_role, role_of
from optimbook.schedules.torch_adapter import ScheduleLR

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


def _role_kind(rule: Rule | None) -> str:
    if rule is None:
        return "None"
    cls = rule.optimizer
    return f"{cls.__module__.split('.')[0]}.{cls.__qualname__}"


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
    step count. A torch.optim class takes numbers only: PerRole drives it with a
    :class:`~optimbook.schedules.torch_adapter.ScheduleLR` (in :attr:`schedulers`), the one driver of a
    torch.optim optimizer by a schedule, whose step count is the number of steps taken. Either way
    a negative, NaN or infinite rate raises ``ValueError`` naming the group and the step.

    A step is all or nothing: every rule's rates (the schedulers' next rates included) are computed
    and checked before any rule steps. ``load_state_dict`` checks the whole dict first: the same
    rules (``state_dict()["optimizer"]`` names them), the same groups, and each rule's own checks.
    """

    def __init__(self, params_or_module: Any, weight: Any = None, bias: Any = None) -> None:
        rules = {"weight": _as_rule("weight", weight), "bias": _as_rule("bias", bias)}
        split = split_by_role(params_or_module)
        everything = [p for role in ROLES for p in split[role]]
        super().__init__(everything, {})
        self.rules = rules
        self.children: dict[str, torch.optim.Optimizer] = {}
        #: role -> the ScheduleLR that drives a torch.optim rule whose ``lr`` is a schedule
        self.schedulers: dict[str, ScheduleLR] = {}
        #: roles whose scheduler advances before their next step (their optimizer stepped since)
        self._due: set[str] = set()
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
                schedule = None
                if not issubclass(rule.optimizer, Optimizer) and is_schedule(kwargs.get("lr")):
                    schedule = kwargs.pop("lr")  # torch.optim takes numbers only
                child = rule.optimizer([{"params": params, **dict(rule.group)}], **kwargs)
                for g in child.param_groups:
                    g["per_role"] = role
                if schedule is not None:
                    self.schedulers[role] = ScheduleLR(child, schedule)  # sets lr = schedule(0)
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

    def _where(self, role: str) -> Callable[[int], str]:
        start = self._slices[role][0]
        return lambda i: f"param group {start + i} (the {role} rule)"

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
        """One step of every role's optimizer, after every rule's rates are computed and checked."""
        loss = evaluate_closure(closure)
        plans = {}
        for role, child in self.children.items():
            where = self._where(role)
            if isinstance(child, Optimizer):
                plans[role] = child._plan(where)
            elif role in self._due:
                self.schedulers[role].next_rates(lambda i, where=where: f"lr of {where(i)}")
            else:
                for i, g in enumerate(child.param_groups):
                    rate_at(f"lr of {where(i)}", g["lr"], 0)
        for role, child in self.children.items():
            if role in plans:
                child._apply(plans[role])
                continue
            if role in self._due:
                self.schedulers[role].step()
                self._due.discard(role)
            child.step()
            if role in self.schedulers:
                self._due.add(role)
        return loss

    # -- checkpoints ------------------------------------------------------------------------------
    def _kind(self) -> str:
        return (f"optimbook.PerRole(weight={_role_kind(self.rules['weight'])},"
                f" bias={_role_kind(self.rules['bias'])})")

    def state_dict(self) -> dict[str, Any]:
        """torch's ``state_dict``, with schedules as plain data (see
        :meth:`optimbook.optim._base.Optimizer.state_dict`), the rules under ``"optimizer"`` and the
        schedulers of torch.optim rules under ``"schedulers"``."""
        out = super().state_dict()
        encode_rates(out["param_groups"], _RATE_KEYS)
        # empty entries stay (a rule without state): as Optimizer.state_dict
        out["optimizer"] = self._kind()
        if self.schedulers:
            out["schedulers"] = {role: {"scheduler": s.state_dict(), "due": role in self._due}
                                 for role, s in self.schedulers.items()}
        return out

    def _validated(self, state_dict: Any) -> list[dict[str, Any]]:
        """The saved groups, schedules decoded, after every check (``ValueError`` otherwise)."""
        ids = check_saved_layout(state_dict, self.param_groups, self._kind())
        saved, state = state_dict["param_groups"], state_dict["state"]
        groups: list[dict[str, Any]] = []
        for role in ROLES:
            if role not in self._slices:
                continue
            start, stop = self._slices[role]
            child = self.children.get(role)
            if isinstance(child, Optimizer):
                groups += child._validated_groups(saved[start:stop], state, ids,
                                                  "param group {} of state_dict".format, start)
                continue
            part = decode_rates(copy.deepcopy(list(saved[start:stop])), self.param_groups[start:stop],
                                _RATE_KEYS)
            for i, g in enumerate(part, start):
                try:
                    rate_at(f"lr of param group {i} of state_dict", g["lr"], 0)
                except TypeError as err:
                    raise ValueError(str(err)) from None
                if child is None and (g.get("frozen") is not True or g["lr"] != 0.0):
                    raise ValueError(f"param group {i} of state_dict must be the frozen {role} group"
                                     f" (lr 0.0, frozen True), got lr {_shown(g['lr'])}")
            for pid, s in state.items():
                i, p = ids[pid]
                if start <= i < stop:
                    if child is None and s:
                        raise ValueError(f"state[{pid!r}] (param group {i}) of state_dict must be empty:"
                                         f" the {role} role is frozen")
                    for key, value in s.items():  # torch.optim's per-element state has p's shape
                        if isinstance(value, torch.Tensor) and value.ndim >= 1 and value.shape != p.shape:
                            raise ValueError(f"state[{pid!r}][{key!r}] (param group {i}) of state_dict must"
                                             f" have the parameter's shape {tuple(p.shape)}, got"
                                             f" {tuple(value.shape)}")
            groups += part
        saved_schedulers = state_dict.get("schedulers")
        if self.schedulers:
            if not isinstance(saved_schedulers, Mapping) or set(saved_schedulers) != set(self.schedulers):
                raise ValueError(f"state_dict['schedulers'] must hold the state of the schedulers of the"
                                 f" torch.optim rules {sorted(self.schedulers)} (their step counts),"
                                 f" got {_shown(saved_schedulers)}")
            for role, entry in saved_schedulers.items():
                ok = (isinstance(entry, Mapping) and isinstance(entry.get("due"), bool)
                      and isinstance(entry.get("scheduler"), Mapping)
                      and type(entry["scheduler"].get("last_epoch")) is int
                      and entry["scheduler"]["last_epoch"] >= 0
                      and len(entry["scheduler"].get("schedules") or self.schedulers[role].schedules)
                      == len(self.schedulers[role].schedules))
                if not ok:
                    raise ValueError(f"state_dict['schedulers'][{role!r}] must be {{'scheduler': a"
                                     " ScheduleLR state_dict, 'due': True or False}")
        elif saved_schedulers:
            raise ValueError("state_dict['schedulers'] holds schedulers, and this PerRole has no"
                             " torch.optim rule driven by a schedule")
        return groups

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a :meth:`state_dict` after checking all of it; ``ValueError`` naming what does not
        fit otherwise, and the optimizer unchanged."""
        groups = self._validated(state_dict)
        super().load_state_dict({"state": state_dict["state"], "param_groups": groups})
        self._link()
        for role, entry in (state_dict.get("schedulers") or {}).items():
            self.schedulers[role].load_state_dict(entry["scheduler"])
            self._due.discard(role)
            if entry["due"]:
                self._due.add(role)

    def __repr__(self) -> str:
        def describe(role: str) -> str:
            rule = self.rules[role]
            if rule is None:
                return "None"
            return f"{rule.optimizer.__name__}({dict(rule.kwargs)})"

        return f"PerRole(weight={describe('weight')}, bias={describe('bias')})"
