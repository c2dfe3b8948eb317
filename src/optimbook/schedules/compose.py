"""Composition: :func:`join` schedules at boundaries, and :func:`linear_warmup` in front of one.

Warmup followed by decay is not a new formula but a join: a linear ramp for the first ``w`` steps,
then the decay restarted at its own step 0 (the style of optax's ``join_schedules``).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Callable, Sequence
from numbers import Real

from optimbook._checks import _shown
from optimbook.schedules.base import Arg, Schedule, sequence

__all__ = ["Join", "LinearWarmup", "check_schedule", "join", "linear_warmup", "schedule_value"]


def check_schedule(name: str, schedule: object) -> None:
    """``TypeError`` naming ``name`` unless ``schedule`` is callable (a ``step -> rate`` function)."""
    if not callable(schedule):
        raise TypeError(
            f"{name} must be a schedule (a callable step -> rate), got {_shown(schedule)}"
            f" (a {type(schedule).__name__})"
        )


def schedule_value(what: str, schedule: Callable, step: int, factor: float = 1.0) -> float:
    """``factor · schedule(step)`` as a float: the learning rate ``what`` (e.g. ``"lr"``) at ``step``.

    The one check of a schedule's output, used by the optimizers (a schedule as ``lr``) and by
    :class:`~optimbook.schedules.torch_adapter.ScheduleLR`: the schedule must return a real number
    (or a one-element real tensor), else ``TypeError``; the rate must be finite and ≥ 0, else
    ``ValueError``. Both name ``what`` and the step.
    """
    raw = schedule(step)
    if hasattr(raw, "numel") and raw.numel() == 1 and not raw.is_complex():
        raw = raw.item()
    if isinstance(raw, bool) or not isinstance(raw, Real):
        raise TypeError(
            f"{what}: the schedule {_shown(schedule)} must return a real number, got {_shown(raw)}"
            f" (a {type(raw).__name__}) at step {step}"
        )
    value = factor * float(raw)
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(
            f"{what} must be a finite real number >= 0, got {_shown(value)} at step {step}"
            f" (the schedule {_shown(schedule)} gave {_shown(raw)})"
        )
    return value


@dataclasses.dataclass(frozen=True, repr=False)
class Join(Schedule):
    """Schedules run one after another, each from its own step 0 (see :func:`join`)."""

    name = "join"
    schedules: tuple[Callable[[float], float], ...]
    boundaries: tuple[int, ...]

    elements = {"boundaries": Arg(low=0, integer=True)}

    def __post_init__(self) -> None:
        schedules = sequence("schedules", self.schedules, "a sequence of schedules")
        b_arg = self.elements["boundaries"]
        boundaries = sequence("boundaries", self.boundaries, f"a sequence, each element {b_arg}")
        if not schedules:
            raise ValueError("schedules must hold at least one schedule, got an empty sequence")
        for i, s in enumerate(schedules):
            check_schedule(f"schedules[{i}]", s)
        if len(boundaries) != len(schedules) - 1:
            raise ValueError(
                f"boundaries must have len(schedules) - 1 = {len(schedules) - 1} entries,"
                f" got {len(boundaries)}"
            )
        checked: list[int] = []
        for i, b in enumerate(boundaries):
            checked.append(int(b_arg.check(f"boundaries[{i}]", b)))
            if i and not checked[i] > checked[i - 1]:
                raise ValueError(
                    f"boundaries must be strictly increasing, got boundaries[{i - 1}]="
                    f"{checked[i - 1]!r} >= boundaries[{i}]={checked[i]!r}"
                )
        object.__setattr__(self, "schedules", schedules)
        object.__setattr__(self, "boundaries", tuple(checked))

    def value(self, step: float) -> float:
        i = bisect.bisect_right(self.boundaries, step)  # step == boundary: the next schedule
        start = self.boundaries[i - 1] if i else 0
        return float(self.schedules[i](step - start))


@dataclasses.dataclass(frozen=True, repr=False)
class LinearWarmup(Schedule):
    """A linear ramp from ``start`` to ``schedule(0)``, then ``schedule`` (:func:`linear_warmup`)."""

    name = "linear_warmup"
    schedule: Callable[[float], float]
    warmup_steps: int
    start: float = 0.0

    arguments = {"warmup_steps": Arg(low=0, integer=True), "start": Arg(low=0)}

    def __post_init__(self) -> None:
        check_schedule("schedule", self.schedule)
        super().__post_init__()

    def value(self, step: float) -> float:
        if step >= self.warmup_steps:
            return float(self.schedule(step - self.warmup_steps))
        target = float(self.schedule(0))
        return self.start + (target - self.start) * (step / self.warmup_steps)


def join(schedules: Sequence[Callable[[float], float]], boundaries: Sequence[int]) -> Join:
    """Run ``schedules[0]`` until ``boundaries[0]``, then ``schedules[1]``, and so on.

    .. math::
        \\eta(t) = s_i(t - b_{i-1}) \\quad \\text{for } b_{i-1} \\le t < b_i
        \\qquad (b_{-1} = 0,\\; b_n = \\infty)

    Each schedule restarts its own count at its boundary: at step :math:`b_{i-1}` the rate is
    :math:`s_i(0)`. (A boundary here belongs to the interval on its right, unlike
    :func:`~optimbook.schedules.piecewise.piecewise_constant`'s, since it is the first step of the
    next schedule.)

    Args:
        schedules: :math:`n + 1` schedules (callables ``step -> rate``).
        boundaries: :math:`n` strictly increasing integer steps :math:`\\ge 0`.

    >>> from optimbook.schedules import constant
    >>> s = join([constant(0.1), constant(0.01)], [5])
    >>> s(4), s(5)
    (0.1, 0.01)
    """
    return Join(schedules, boundaries)  # type: ignore[arg-type]


def linear_warmup(
    schedule: Callable[[float], float], warmup_steps: int, start: float = 0.0
) -> LinearWarmup:
    """Linear warmup (学习率预热, Goyal et al. 2017) in front of ``schedule``.

    .. math::
        \\eta(t) = \\begin{cases}
        \\eta_s + (s(0) - \\eta_s)\\, t / w & t < w \\\\
        s(t - w) & t \\ge w \\end{cases}

    It equals ``join([ramp, schedule], [warmup_steps])`` with ``ramp`` the linear
    ``polynomial_decay(start, warmup_steps, schedule(0), power=1)``: the schedule starts its own
    decay after the warmup, so a cosine decay over :math:`T` steps ends at step :math:`w + T`.

    Args:
        schedule: the schedule that follows the warmup.
        warmup_steps: :math:`w \\ge 0` (0: no warmup).
        start: :math:`\\eta_s \\ge 0`, the rate at step 0.

    >>> from optimbook.schedules import constant
    >>> s = linear_warmup(constant(1.0), warmup_steps=4)
    >>> [s(t) for t in range(6)]
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    return LinearWarmup(schedule, warmup_steps, start)
