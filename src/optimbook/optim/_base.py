"""The base every ``optimbook`` optimizer shares with torch.optim's own classes.

An optimizer here is a :class:`torch.optim.Optimizer` whose ``step`` gathers, for each param group,
the parameters that have a gradient (a parameter whose ``grad`` is ``None`` is skipped and its state
does not advance) and hands them, bucketed by device, dtype and step count, to one update function
written with multi-tensor ``torch._foreach_*`` ops. The update functions live beside each class and
read like the equations they implement. Where a rule is exactly one of torch.optim's and torch has a
fused kernel for it (Adam, AMSGrad, AdamW, AdaGrad, momentum and Nesterov in torch's form), the
class runs that kernel instead, as torch.optim's ``fused=True`` does, on every device that has it
(CPU and CUDA); see ``fused_kernels``.

**Learning rates.** Every rate argument (``lr``, and AdaMix's ``bias_lr``) is a finite real number
≥ 0, a 0-dim tensor holding one, or a *schedule*: any ``step -> rate`` callable, such as
``optimbook.schedules.power_decay(0.1, 1000)``. A schedule is evaluated at the parameter's step
count t (the number of steps it has already taken, t = 0 on its first step), the way optax's
``scale_by_learning_rate(schedule)`` is, and its value is checked at every step: a negative, NaN or
infinite rate raises ``ValueError`` naming the argument, the param group and the step. A number or a
0-dim tensor is re-checked at every step too (a group's rate may be changed after construction, a
tensor in place). A constant rate takes the same code path, with the same floating-point
operations, as a schedule that returns it. Every rate of a step is computed and checked before
anything changes (see :class:`Optimizer`).

**Complex parameters** are optimized as torch.optim does: each complex tensor (parameter, gradient
and state) is viewed as a real tensor of (real, imaginary) pairs (:func:`torch.view_as_real`), so an
element-wise rule treats the two parts as two real coordinates. An optimizer whose rule is not
element-wise sets ``_supports_complex = False`` and refuses complex parameters by name.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from numbers import Real
from typing import Any

import torch
from torch.optim.optimizer import _get_fused_kernels_supported_devices

from optimbook._checks import _shown, check_flag, check_number
from optimbook.schedules.compose import schedule_value

_FUSED_DEVICES = frozenset(_get_fused_kernels_supported_devices())

__all__ = ["Optimizer", "check_number", "check_flag", "check_rate", "rate_at", "encode_rates",
           "decode_rates", "is_schedule", "kind_of", "check_saved_layout", "check_saved_state"]


def fused_kernels(params: list[torch.Tensor]) -> bool:
    """Whether torch's fused optimizer kernels (``torch._fused_adam_`` and kin, what torch.optim's
    ``fused=True`` runs) take this bucket: plain floating-point tensors on a device that has them,
    as CPU and CUDA do. Where they do not (a DTensor sharded by FSDP2, a device without them), an
    update runs its ``torch._foreach_*`` equations, the same rule."""
    p = params[0]
    return (type(p) in (torch.Tensor, torch.nn.Parameter) and p.is_floating_point()
            and p.device.type in _FUSED_DEVICES)


def step_tensors(params: list[torch.Tensor], step: int) -> list[torch.Tensor]:
    """The step count as the fused kernels read it: one float32 scalar on the bucket's device
    (the same tensor for every parameter of the bucket, which share their step count)."""
    return [torch.full((), float(step), dtype=torch.float32, device=params[0].device)] * len(params)


def is_schedule(value: object) -> bool:
    """Whether a rate argument is a schedule (a callable that is not a tensor or a class)."""
    return callable(value) and not isinstance(value, (torch.Tensor, type))


def check_rate(name: str, value: object) -> Any:
    """Validate a learning-rate argument: a finite real number ≥ 0, a 0-dim real tensor holding one,
    or a schedule (``step -> rate`` callable, checked when evaluated). Returns the rate as given
    (a number as a plain ``int``/``float``).

    >>> check_rate("lr", 0.1)
    0.1
    >>> check_rate("lr", -1.0)
    Traceback (most recent call last):
      ...
    ValueError: lr must be a finite real number >= 0.0, got -1.0
    """
    if is_schedule(value):
        return value
    if isinstance(value, torch.Tensor):
        if value.ndim != 0 or value.is_complex() or not value.is_floating_point():
            raise TypeError(
                f"{name} must be a finite real number >= 0.0, a 0-dim floating-point tensor or a"
                f" schedule (callable step -> rate), got a tensor of shape {tuple(value.shape)} and"
                f" dtype {value.dtype}"
            )
        check_number(name, value.item(), low=0.0)
        return value
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"{name} must be a finite real number >= 0.0, a 0-dim tensor or a schedule (callable"
            f" step -> rate), got {_shown(value)} (a {type(value).__name__})"
        )
    return check_number(name, value, low=0.0)


def rate_at(name: str, value: Any, step: int) -> float:
    """The rate ``value`` (a number, a 0-dim tensor or a schedule) at ``step``, as a checked float.

    Whatever its form, the rate must be a finite real number ≥ 0: a number or a tensor is checked
    each time (a group's rate can be changed after construction, a tensor in place), a schedule's
    output at each step. Otherwise ``ValueError`` (``TypeError`` for what is not a number) names
    ``name`` and, for a schedule, the step.
    """
    if type(value) is float and 0.0 <= value < math.inf:  # the common case, kept cheap
        return value
    if isinstance(value, torch.Tensor):
        if value.ndim != 0 or value.is_complex() or not value.is_floating_point():
            raise TypeError(f"{name} must be a finite real number >= 0.0 or a 0-dim floating-point"
                            f" tensor holding one, got a tensor of shape {tuple(value.shape)} and"
                            f" dtype {value.dtype}")
        return float(check_number(name, value.item(), low=0.0))
    if is_schedule(value):
        return schedule_value(name, value, step)
    return float(check_number(name, value, low=0.0))


#: How a schedule is written in a state_dict: ``{_SCHEDULE_KEY: schedule.to_dict()}``, or
#: ``{_SCHEDULE_KEY: None}`` for a callable that is not an optimbook schedule (``load_state_dict``
#: then keeps the callable given at construction).
_SCHEDULE_KEY = "optimbook_schedule"


def encode_rates(groups: list[dict[str, Any]], keys: tuple[str, ...]) -> None:
    """Replace schedules in saved param groups by plain data, in place (``weights_only`` loads it)."""
    from optimbook.schedules import Schedule

    for group in groups:
        for key in keys:
            value = group.get(key)
            if is_schedule(value):
                data = None
                if isinstance(value, Schedule):
                    try:
                        data = value.to_dict()
                    except TypeError:  # wraps a callable that is not a schedule
                        data = None
                group[key] = {_SCHEDULE_KEY: data}


def decode_rates(saved: list[dict[str, Any]], current: list[dict[str, Any]],
                 keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Saved param groups with encoded schedules turned back into schedules (copies)."""
    from optimbook.schedules import from_dict

    out = []
    for group, now in zip(saved, current, strict=True):
        group = dict(group)
        for key in keys:
            value = group.get(key)
            if isinstance(value, dict) and _SCHEDULE_KEY in value:
                data = value[_SCHEDULE_KEY]
                group[key] = from_dict(data) if data is not None else now.get(key)
        out.append(group)
    return out


class _StateView(MutableMapping):
    """A view of a parameter's state dict (``self.state``); subclasses change how values are seen."""

    __slots__ = ("state",)

    def __init__(self, state: MutableMapping[str, Any]) -> None:
        self.state = state

    def __delitem__(self, key: str) -> None:
        del self.state[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.state)

    def __len__(self) -> int:
        return len(self.state)


class _RealView(_StateView):
    """A parameter's state with every complex tensor seen through :func:`torch.view_as_real`
    (and real tensors stored back into a complex slot seen through :func:`torch.view_as_complex`)."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        value = self.state[key]
        if isinstance(value, torch.Tensor) and value.is_complex():
            return torch.view_as_real(value)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        old = self.state.get(key)
        if (isinstance(old, torch.Tensor) and old.is_complex() and isinstance(value, torch.Tensor)
                and not value.is_complex()):
            value = torch.view_as_complex(value.contiguous())
        self.state[key] = value


def evaluate_closure(closure: Callable[[], Any] | None) -> Any:
    """``closure()`` with gradients enabled (the loss a ``step`` returns), or ``None`` without one."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()



# -- state dicts: what a saved dict must hold before anything is loaded ---------------------------
#: Group keys a torch ``LRScheduler`` adds to the groups it drives; a saved group may have them or not.
_SCHEDULER_KEYS = frozenset({"initial_lr"})


def kind_of(optimizer: torch.optim.Optimizer) -> str:
    """How a state dict names the class that saved it: ``"optimbook.Adam"``, ``"torch.SGD"``."""
    cls = type(optimizer)
    return f"{cls.__module__.split('.')[0]}.{cls.__qualname__}"


def _names(keys: Iterable[Any]) -> str:
    return ", ".join(repr(k) for k in sorted(keys, key=str))


def check_saved_layout(state_dict: Any, groups: list[dict[str, Any]], kind: str) -> dict[Any, tuple[int, torch.Tensor]]:
    """Check the layout of a saved optimizer state against ``groups`` (the optimizer's own):
    a dict with ``state`` and ``param_groups``, saved by ``kind`` (when it says), as many groups
    with as many parameters each and the same keys, and state entries for those parameters only.

    Returns the saved parameter ids mapped to (group index, parameter). Raises ``ValueError``
    naming what does not fit; changes nothing.
    """
    if not isinstance(state_dict, Mapping):
        raise ValueError("state_dict must be a dict with 'state' and 'param_groups' (what an optimizer's"
                         f" state_dict() returns), got {_shown(state_dict)} (a {type(state_dict).__name__})")
    for key in ("state", "param_groups"):
        if key not in state_dict:
            raise ValueError(f"state_dict has no {key!r} entry: it must be what an optimizer's state_dict()"
                             f" returns, with 'state' and 'param_groups' (got keys {_names(state_dict)})")
    saved_kind = state_dict.get("optimizer")
    if saved_kind is not None and saved_kind != kind:
        raise ValueError(f"state_dict was saved by {_shown(saved_kind)}, and this optimizer is {kind}: only a"
                         " state_dict saved by the same class loads")
    state, saved = state_dict["state"], state_dict["param_groups"]
    if not isinstance(state, Mapping):
        raise ValueError(f"state_dict['state'] must be a dict (parameter id -> its state), got"
                         f" {_shown(state)} (a {type(state).__name__})")
    if not isinstance(saved, (list, tuple)) or not all(
            isinstance(g, Mapping) and isinstance(g.get("params"), (list, tuple)) for g in saved):
        raise ValueError("state_dict['param_groups'] must be a list of dicts, each with a list 'params',"
                         f" got {_shown(saved)}")
    if len(saved) != len(groups):
        raise ValueError(f"state_dict has {len(saved)} param groups, and this optimizer has {len(groups)}:"
                         " a state_dict loads only into an optimizer built with the same groups")
    where: dict[Any, tuple[int, torch.Tensor]] = {}
    for i, (g, now) in enumerate(zip(saved, groups)):
        if len(g["params"]) != len(now["params"]):
            raise ValueError(f"param group {i} of state_dict holds {len(g['params'])} parameters, and this"
                             f" optimizer's holds {len(now['params'])}")
        mine, theirs = set(now) - _SCHEDULER_KEYS, set(g) - _SCHEDULER_KEYS
        if mine != theirs:
            missing = f"; it lacks {_names(mine - theirs)}" if mine - theirs else ""
            unknown = f"; {kind} has no {_names(theirs - mine)}" if theirs - mine else ""
            raise ValueError(f"param group {i} of state_dict does not fit {kind}{missing}{unknown}"
                             " (was it saved by another optimizer?)")
        for pid, p in zip(g["params"], now["params"]):
            try:
                if pid in where:
                    raise ValueError(f"state_dict names parameter {pid!r} twice in its param groups")
            except TypeError:
                raise ValueError(f"param group {i} of state_dict names a parameter by {_shown(pid)},"
                                 " not by an id") from None
            where[pid] = (i, p)
    for pid, s in state.items():
        if pid not in where:
            raise ValueError(f"state_dict['state'] has an entry {pid!r} for no parameter of its param groups")
        if not isinstance(s, Mapping):
            raise ValueError(f"state of parameter {pid!r} of state_dict must be a dict, got {_shown(s)}")
    return where


def check_saved_value(what: str, value: Any, kind: str, p: torch.Tensor) -> None:
    """Check one saved state value: ``kind`` is ``"like"`` (a tensor of ``p``'s shape), ``"step"``
    (an integer >= 0), ``"number"`` (a finite real number) or ``"mask"`` (``None`` or a tensor that
    broadcasts to ``p``); ``ValueError`` naming ``what`` otherwise."""
    if kind == "step" or kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{what} must be an integer >= 0, got {_shown(value)}")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise ValueError(f"{what} must be a finite real number, got {_shown(value)}")
    elif kind == "matrix":  # checked by the optimizer that keeps it (its size is its own)
        if not isinstance(value, torch.Tensor) or value.ndim != 2:
            raise ValueError(f"{what} must be a matrix, got {_shown(value)}")
    elif kind == "like":
        if not isinstance(value, torch.Tensor) or value.shape != p.shape:
            got = f"a tensor of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else _shown(value)
            raise ValueError(f"{what} must be a tensor of the parameter's shape {tuple(p.shape)}, got {got}")
    elif kind == "mask":
        if value is not None:
            try:
                torch.broadcast_shapes(value.shape, p.shape)
            except (AttributeError, RuntimeError):
                raise ValueError(f"{what} must be None or a tensor that broadcasts to the parameter's"
                                 f" shape {tuple(p.shape)}, got {_shown(value)}") from None
    else:  # pragma: no cover - a spec of this package names one of the kinds above
        raise AssertionError(kind)


def check_saved_state(what: str, state: Mapping[str, Any], p: torch.Tensor, required: Mapping[str, str],
                      optional: Mapping[str, str]) -> None:
    """A parameter's saved state: every ``required`` key and no key but ``required`` and
    ``optional`` ones, each of its kind (see ``check_saved_value``); or, for a parameter that
    has not stepped, optional keys alone (e.g. RMSProp's mask; ``step`` is not one of them)."""
    alone = set(optional) - {"step"}
    if state and set(state) <= alone:  # not stepped yet, with what may precede a step
        for key, value in state.items():
            check_saved_value(f"{what}[{key!r}]", value, optional[key], p)
        return
    missing, unknown = set(required) - set(state), set(state) - set(required) - set(optional)
    if missing or unknown:
        lacks = f" lacks {_names(missing)}" if missing else ""
        extra = f"{' and' if missing else ''} has {_names(unknown)}, which this optimizer does not keep" \
            if unknown else ""
        raise ValueError(f"{what}{lacks}{extra} (was it saved by another optimizer?)")
    for key, value in state.items():
        check_saved_value(f"{what}[{key!r}]", value, {**optional, **required}[key], p)


class Optimizer(torch.optim.Optimizer):
    """Template for the package's optimizers.

    Subclasses set ``defaults`` through ``super().__init__`` and implement ``_init_state`` (fill
    ``self.state[p]`` on the first step of ``p``), ``_state_keys`` (what that state holds, checked
    by ``load_state_dict``) and ``_update`` (apply one step to a bucket of parameters that share a
    group, a device, a dtype and a step count ``t``, the number of steps those parameters have
    already taken, with the rates of that step, already computed and checked).

    **A step is all or nothing.** :meth:`step` first plans: it gathers the parameters with a
    gradient, and computes and checks every rate of every group at each step count it will use
    (a number or a 0-dim tensor is re-checked at every step, since a group's rate can be changed
    after construction, a tensor in place). Only then does it create state and update. A rate that
    is negative, NaN, infinite or not a number raises (``ValueError``/``TypeError``) naming the
    rate, the group and, for a schedule, the step, and leaves parameters, state and step counts as
    they were.

    **Checkpoints.** :meth:`state_dict` saves schedules as plain data and names the class that saved
    it (``"optimizer": "optimbook.Adam"``). :meth:`load_state_dict` checks the whole dict before it
    changes anything: a dict saved by the same class (or one that names no class, as
    ``torch.distributed.checkpoint`` rebuilds it) whose groups have the same number of parameters
    and the same keys, whose hyperparameters pass the constructor's checks, and whose state holds
    the keys this class keeps, of the right kinds and shapes. A dict from another class, optimbook's
    or torch.optim's (which keeps other keys), is refused: none is declared compatible.
    """

    #: Whether the update needs the per-parameter step count ``t`` (kept in ``state[p]["step"]``);
    #: a group whose rate is a schedule counts steps whatever this says.
    _counts_steps: bool = True
    #: The param-group keys that hold a learning rate (a number, a 0-dim tensor or a schedule).
    _rate_keys: tuple[str, ...] = ("lr",)
    #: Whether complex parameters are optimized (as real pairs, like torch.optim) or refused.
    _supports_complex: bool = True

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """torch's ``add_param_group``, and the group's rates and parameter dtypes checked."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        try:
            for key in self._rate_keys:
                if group.get(key) is not None:
                    group[key] = check_rate(key, group[key])
            if not self._supports_complex:
                for p in group["params"]:
                    if p.is_complex():
                        raise TypeError(
                            f"{type(self).__name__} does not support complex parameters (got one of"
                            f" dtype {p.dtype}); its rule is not element-wise, so torch.optim's"
                            " view_as_real treatment would change its meaning"
                        )
        except (TypeError, ValueError):
            self.param_groups.pop()
            raise

    # -- the rates of a step ---------------------------------------------------------------------
    def _scheduled(self, group: dict[str, Any]) -> bool:
        return any(is_schedule(group.get(k)) for k in self._rate_keys)

    def _rates(self, group: dict[str, Any], t: int, where: str) -> dict[str, float]:
        """Every rate of ``group`` at step ``t``, checked (``where`` names the group in errors)."""
        return {key: rate_at(f"{key} of {where}", group[key], t)
                for key in self._rate_keys if group.get(key) is not None}

    # -- a step: plan (nothing changes), then apply ----------------------------------------------
    def _plan(self, where: Callable[[int], str] = "param group {}".format) -> list[tuple]:
        """What one step does, with every rate computed and checked; changes nothing.

        Returns one ``(group, buckets, rates)`` per group: ``buckets`` maps (device, dtype, t) to
        the parameters with a gradient, ``rates`` maps each t to :meth:`_rates`."""
        plan = []
        for i, group in enumerate(self.param_groups):
            buckets: dict[tuple, list[torch.Tensor]] = {}
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                state = self.state.get(p)
                t = state.get("step", 0) if state else 0
                buckets.setdefault((p.device, p.dtype, t), []).append(p)
            steps = {t for (_, _, t) in buckets} or {0}  # a group without gradients: rates still checked
            rates = {t: self._rates(group, t, where(i)) for t in steps}
            plan.append((group, buckets, rates))
        return plan

    def _needs_state(self, state: dict[str, Any]) -> bool:
        """Whether ``_init_state`` must run for a parameter whose state is ``state``."""
        return not state

    def _apply(self, plan: list[tuple]) -> None:
        """Carry out :meth:`_plan`'s step: create state, update, advance the step counts."""
        for group, buckets, rates in plan:
            counts = self._counts_steps or self._scheduled(group)
            for (_, _, t), ps in buckets.items():
                params, grads, views, states = [], [], [], []
                for p in ps:
                    state = self.state[p]
                    if self._needs_state(state):
                        if counts and "step" not in state:
                            state["step"] = 0
                        self._init_state(group, p, state, rates[t])
                    grad, view = p.grad, state
                    if p.is_complex():  # as torch.optim: a complex tensor is a tensor of real pairs
                        p, grad, view = torch.view_as_real(p), torch.view_as_real(grad), _RealView(state)
                    params.append(p)
                    grads.append(grad)
                    views.append(view)
                    states.append(state)
                self._update(group, params, grads, views, t, rates[t])
                if counts:
                    for state in states:
                        state["step"] = t + 1

    def _init_state(self, group: dict[str, Any], p: torch.Tensor, state: dict[str, Any],
                    rates: dict[str, float]) -> None:
        """Create the state of ``p`` (called once, on its first step, with that step's rates)."""

    def _update(self, group: dict[str, Any], params: list[torch.Tensor], grads: list[torch.Tensor],
                states: list[dict[str, Any]], t: int, rates: dict[str, float]) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Take one optimization step; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = evaluate_closure(closure)
        self._apply(self._plan())
        return loss

    # -- checkpoints ------------------------------------------------------------------------------
    def _state_keys(self, group: dict[str, Any], p: torch.Tensor) -> dict[str, str]:
        """The state keys of a parameter that has stepped, and their kinds (``check_saved_value``)."""
        return {"step": "step"} if self._counts_steps or self._scheduled(group) else {}

    def _optional_state_keys(self, group: dict[str, Any], p: torch.Tensor) -> dict[str, str]:
        """State keys a parameter may have or not (``step``, unless it is required)."""
        return {"step": "step"}

    def _check_saved_group(self, group: dict[str, Any], where: str) -> None:
        """A saved group's rates and hyperparameters, through the constructor's own checks."""
        try:
            for key in self._rate_keys:
                if key in group and (key == "lr" or group[key] is not None):
                    check_rate(f"{key} of {where}", group[key])
            init = inspect.signature(type(self).__init__).parameters
            kwargs = {k: group[k] for k in self.defaults if k in init and k in group}
            needed = {n for n, a in init.items() if a.default is inspect.Parameter.empty
                      and a.kind in (a.POSITIONAL_OR_KEYWORD, a.KEYWORD_ONLY)} - {"self", "params"}
            if needed <= set(kwargs):
                extra = {k: v for k, v in group.items()
                         if k not in self.defaults and k != "params" and k not in _SCHEDULER_KEYS}
                probe = torch.zeros(1, 1, requires_grad=True)
                type(self)([{"params": [probe], **extra}], **kwargs)
        except (TypeError, ValueError, NotImplementedError) as err:
            text = str(err)
            raise ValueError(text if where in text else f"{where}: {text}") from None

    def _check_saved_state(self, group: dict[str, Any], p: torch.Tensor, state: Mapping[str, Any],
                           what: str) -> None:
        check_saved_state(what, state, p, self._state_keys(group, p), self._optional_state_keys(group, p))

    def _validated(self, state_dict: Any, where: Callable[[int], str] = "param group {} of state_dict".format,
                   first: int = 0) -> list[dict[str, Any]]:
        """The saved param groups, schedules decoded, after every check; ``ValueError`` otherwise."""
        ids = check_saved_layout(state_dict, self.param_groups, kind_of(self))
        return self._validated_groups(state_dict["param_groups"], state_dict["state"], ids, where, first)

    def _validated_groups(self, saved: list[dict[str, Any]], state: Mapping[Any, Any],
                          ids: Mapping[Any, tuple[int, torch.Tensor]], where: Callable[[int], str],
                          first: int = 0) -> list[dict[str, Any]]:
        """Decode and check ``saved`` (this optimizer's groups, numbered from ``first`` in ``ids``)."""
        try:
            groups = decode_rates(copy.deepcopy(list(saved)), self.param_groups, self._rate_keys)
        except (TypeError, ValueError) as err:
            raise ValueError(f"a schedule of state_dict cannot be rebuilt: {err}") from None
        for i, group in enumerate(groups):
            self._check_saved_group(group, where(first + i))
        for pid, s in state.items():
            i, p = ids[pid]
            if first <= i < first + len(groups):
                self._check_saved_state(groups[i - first], p, s,
                                        f"state[{pid!r}] (param group {i}) of state_dict")
        return groups

    def state_dict(self) -> dict[str, Any]:
        """torch's ``state_dict``, with schedules as plain data (``torch.load(weights_only=True)``
        reads it) and the saving class under ``"optimizer"``; a callable that is not an optimbook
        schedule is saved as ``None`` and kept from the optimizer it is loaded into."""
        out = super().state_dict()
        encode_rates(out["param_groups"], self._rate_keys)
        # an empty entry (a parameter that has not stepped, or a rule without state) stays: torch's
        # distributed checkpoints expect one per trained parameter; load_state_dict accepts it
        out["optimizer"] = kind_of(self)
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a :meth:`state_dict` after checking all of it (see the class docstring); a
        ``ValueError`` names what does not fit, and the optimizer is then unchanged."""
        groups = self._validated(state_dict)
        super().load_state_dict({"state": state_dict["state"], "param_groups": groups})
