"""The base every ``optimbook`` optimizer shares with torch.optim's own classes.

An optimizer here is a :class:`torch.optim.Optimizer` whose ``step`` gathers, for each param group,
the parameters that have a gradient (a parameter whose ``grad`` is ``None`` is skipped and its state
does not advance) and hands them, bucketed by device, dtype and step count, to one update function
written with multi-tensor ``torch._foreach_*`` ops. The update functions live beside each class and
read like the equations they implement.

**Learning rates.** Every rate argument (``lr``, and AdaMix's ``bias_lr``) is a finite real number
≥ 0, a 0-dim tensor holding one, or a *schedule*: any ``step -> rate`` callable, such as
``optimbook.schedules.power_decay(0.1, 1000)``. A schedule is evaluated at the parameter's step
count t (the number of steps it has already taken, t = 0 on its first step), the way optax's
``scale_by_learning_rate(schedule)`` is, and its value is checked at every step: a negative, NaN or
infinite rate raises ``ValueError`` naming the argument and the step. A constant rate takes the
same code path, with the same floating-point operations, as before schedules existed.

**Complex parameters** are optimized as torch.optim does: each complex tensor (parameter, gradient
and state) is viewed as a real tensor of (real, imaginary) pairs (:func:`torch.view_as_real`), so an
element-wise rule treats the two parts as two real coordinates. An optimizer whose rule is not
element-wise sets ``_supports_complex = False`` and refuses complex parameters by name.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from numbers import Real
from typing import Any

import torch

from optimbook._checks import _shown, check_flag, check_number
from optimbook.schedules.compose import schedule_value

__all__ = ["Optimizer", "check_number", "check_flag", "check_rate", "rate_at", "encode_rates",
           "decode_rates", "is_schedule", "held_subset"]


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
    """The rate ``value`` (a number, a 0-dim tensor or a schedule) at ``step``, as a float.

    A schedule's output must be a finite real number ≥ 0 (or a 0-dim tensor holding one); anything
    else raises ``ValueError``/``TypeError`` naming ``name`` and the step.
    """
    if type(value) is float:  # the common case, kept cheap
        return value
    if isinstance(value, torch.Tensor):
        return value.item()
    if not is_schedule(value):
        return value
    return schedule_value(name, value, step)


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
    for group, now in zip(saved, current):
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


class _RowBlock(_StateView):
    """Rows ``[start, stop)`` of a parameter's state: every tensor of the parameter's shape is seen
    through that slice (a tensor stored into such a slot is copied into the slice)."""

    __slots__ = ("start", "stop", "shape")

    def __init__(self, state: MutableMapping[str, Any], start: int, stop: int, shape: torch.Size) -> None:
        super().__init__(state)
        self.start, self.stop, self.shape = start, stop, shape

    def __getitem__(self, key: str) -> Any:
        value = self.state[key]
        if isinstance(value, torch.Tensor) and value.shape == self.shape:
            return value[self.start:self.stop]
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        old = self.state.get(key)
        if isinstance(old, torch.Tensor) and old.shape == self.shape and isinstance(value, torch.Tensor):
            old[self.start:self.stop].copy_(value)
        else:
            self.state[key] = value


def _row_blocks(p: torch.Tensor, grad: torch.Tensor, state: MutableMapping[str, Any],
                limit: int) -> list[tuple[torch.Tensor, torch.Tensor, MutableMapping[str, Any]]]:
    """``(p, grad, state)`` as blocks of whole rows of at most about ``limit`` elements, each block a
    multiple of 64 elements but the last (so the vectorised loops of an element-wise kernel treat
    the same elements as for the whole tensor); one block when ``p`` is small, has fewer than two
    dimensions, or is not laid out row-contiguously like its gradient."""
    if (p.numel() <= limit or p.ndim < 2 or not p.is_contiguous() or not grad.is_contiguous()
            or p.shape != grad.shape):
        return [(p, grad, state)]
    row = p.numel() // p.shape[0]
    step = 64 // math.gcd(row, 64)  # rows per block: a multiple of this
    rows = max(step, limit // row // step * step)
    if rows >= p.shape[0]:
        return [(p, grad, state)]
    return [(p[a:a + rows], grad[a:a + rows], _RowBlock(state, a, min(a + rows, p.shape[0]), p.shape))
            for a in range(0, p.shape[0], rows)]


def held_subset(optimizer: torch.optim.Optimizer, params: Iterable[torch.Tensor]) -> set[int]:
    """The ids of ``params``, checked to be parameters of ``optimizer`` (``ValueError`` naming
    ``params`` otherwise): the argument of a ``partial_step``."""
    only = {id(p) for p in params}
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if not only <= held:
        raise ValueError(f"params: {len(only - held)} tensor(s) are not parameters of this optimizer")
    return only


class Optimizer(torch.optim.Optimizer):
    """Template for the package's optimizers.

    Subclasses set ``defaults`` through ``super().__init__`` and implement
    ``_init_state`` (fill ``self.state[p]`` on the first step of ``p``) and
    ``_update`` (apply one step to a bucket of parameters that share a group, a device, a dtype
    and a step count ``t``, the number of steps those parameters have already taken). ``_update``
    reads a rate with ``self._rate(group, "lr", t)``, never ``group["lr"]``.
    """

    #: Whether the update needs the per-parameter step count ``t`` (kept in ``state[p]["step"]``);
    #: a group whose rate is a schedule counts steps whatever this says.
    _counts_steps: bool = True
    #: The param-group keys that hold a learning rate (a number, a 0-dim tensor or a schedule).
    _rate_keys: tuple[str, ...] = ("lr",)
    #: Whether complex parameters are optimized (as real pairs, like torch.optim) or refused.
    _supports_complex: bool = True
    #: Largest number of elements handed to one multi-tensor call. Bigger lists save dispatches but
    #: make each temporary larger than the caches (and, on CPU, fresh memory pages on every step);
    #: measured with ``benchmarks/optimizer_step.py``.
    _chunk_numel: int = 1 << 20
    #: Whether ``_update`` is element-wise: each element's new value depends on that element of the
    #: parameter, its gradient and its state alone (not on norms, sums or neighbours), and it
    #: advances no scalar state of its own (the step count is the base's). Then, on the
    #: CPU, a tensor larger than ``_block_numel`` is handed over in blocks of whole rows (the same
    #: operations on each element, so the same numbers) and buckets hold at most ``_block_numel``
    #: elements: an update of several passes reads each block from the core's cache, not memory.
    _elementwise: bool = False
    _block_numel: int = 1 << 18
    #: Whether the update of a parameter depends on that parameter alone (its gradient, its state
    #: and its step count), as in every rule here but the natural gradient's: then
    #: :meth:`partial_step` may step some parameters before the others have their gradients.
    #: The registry's ``Capabilities.separable`` says the same (``tests/test_optim_conformance.py``).
    _separable: bool = True

    @property
    def separable(self) -> bool:
        """Whether :meth:`partial_step` is allowed (the update of each parameter depends on it alone)."""
        return self._separable

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

    def _rate(self, group: dict[str, Any], key: str, t: int) -> float:
        """The rate ``group[key]`` at step ``t`` (a schedule evaluated and checked)."""
        value = group[key]
        if type(value) is float:
            return value
        return rate_at(key, value, t)

    def _scheduled(self, group: dict[str, Any]) -> bool:
        return any(is_schedule(group.get(k)) for k in self._rate_keys)

    def _init_state(self, group: dict[str, Any], p: torch.Tensor, state: dict[str, Any]) -> None:
        """Create the state of ``p`` (called once, on its first step)."""

    def _update(
        self,
        group: dict[str, Any],
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        states: list[dict[str, Any]],
        t: int,
    ) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Take one optimization step; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            self._step_group(group)
        return loss

    @torch.no_grad()
    def partial_step(self, params: Iterable[torch.Tensor]) -> None:
        """One step of ``params`` alone (some of this optimizer's parameters); the others are untouched.

        Stepping every parameter once this way, in any grouping and order, equals one :meth:`step`:
        the same operations on each element, and each parameter's step count advances once. A
        training loop can so update a layer as soon as its gradient is computed, while its weights
        and gradient are still in the cache ("optimizer in backward"). Allowed only where the update
        of a parameter depends on that parameter alone (:attr:`separable`).

        Raises:
            TypeError: the optimizer is not separable (its name is given).
            ValueError: a tensor of ``params`` is not one of this optimizer's parameters.
        """
        if not self.separable:
            raise TypeError(f"{type(self).__name__} does not support partial_step: its update of a"
                            " parameter depends on other parameters or on a state of its own")
        only = held_subset(self, params)
        for group in self.param_groups:
            self._step_group(group, only)

    def _step_group(self, group: dict[str, Any], only: set[int] | None = None) -> None:
        counts = self._counts_steps or self._scheduled(group)
        buckets: dict[tuple, tuple[list, list, list, list]] = {}
        sizes: dict[tuple, int] = {}
        for p in group["params"]:
            if only is not None and id(p) not in only:
                continue
            grad = p.grad
            if grad is None:
                continue
            if grad.is_sparse:
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            state = self.state[p]
            if not state:
                if counts:
                    state["step"] = 0
                self._init_state(group, p, state)
            t = state.get("step", 0)
            view = state
            if p.is_complex():  # as torch.optim: a complex tensor is a tensor of real pairs
                p, grad, view = torch.view_as_real(p), torch.view_as_real(grad), _RealView(state)
            blocked = self._elementwise and p.device.type == "cpu"
            limit = self._block_numel if blocked else self._chunk_numel
            pieces = _row_blocks(p, grad, view, limit) if blocked else [(p, grad, view)]
            for i, (p, grad, view) in enumerate(pieces):
                key = (p.device, p.dtype, t, 0)
                if sizes.get(key, 0) and sizes[key] + p.numel() > limit:
                    # start a new chunk of this bucket
                    n = 1
                    while sizes.get((p.device, p.dtype, t, n), 0) and (
                        sizes[(p.device, p.dtype, t, n)] + p.numel() > limit
                    ):
                        n += 1
                    key = (p.device, p.dtype, t, n)
                sizes[key] = sizes.get(key, 0) + p.numel()
                bucket = buckets.setdefault(key, ([], [], [], []))
                bucket[0].append(p)
                bucket[1].append(grad)
                bucket[2].append(view)
                if i == 0:  # the parameter's step count advances once, whatever its blocks
                    bucket[3].append(state)
        for (_, _, t, _), (params, grads, views, states) in buckets.items():
            self._update(group, params, grads, views, t)
            if counts:
                for state in states:
                    state["step"] = t + 1

    # -- checkpoints: schedules saved as plain data -----------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """torch's ``state_dict``, with schedules as plain data (``torch.load(weights_only=True)``
        reads it); a callable that is not an optimbook schedule is saved as ``None`` and kept from
        the optimizer it is loaded into."""
        out = super().state_dict()
        encode_rates(out["param_groups"], self._rate_keys)
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        state_dict["param_groups"] = decode_rates(
            copy.deepcopy(state_dict["param_groups"]), self.param_groups, self._rate_keys
        )
        super().load_state_dict(state_dict)
