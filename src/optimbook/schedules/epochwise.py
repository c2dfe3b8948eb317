"""Schedules whose time counts epochs: :func:`per_epoch` evaluates a schedule at completed epochs.

The optimizers and :class:`~optimbook.schedules.torch_adapter.ScheduleLR` count optimizer steps.
When a paper's t counts epochs (one reading of He & Li's p(t) and β(t)), the rate must stay constant
within an epoch and move at epoch boundaries: ``per_epoch(s, steps_per_epoch)(step)`` is
``s(⌊step / steps_per_epoch⌋)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from optimbook.schedules.base import Arg, Schedule
from optimbook.schedules.compose import check_schedule

__all__ = ["PerEpoch", "per_epoch"]


@dataclasses.dataclass(frozen=True, repr=False)
class PerEpoch(Schedule):
    """``schedule`` evaluated at the number of completed epochs (see :func:`per_epoch`)."""

    name = "per_epoch"
    schedule: Callable[[float], float]
    steps_per_epoch: int

    arguments = {"steps_per_epoch": Arg(low=1, integer=True)}

    def __post_init__(self) -> None:
        check_schedule("schedule", self.schedule)
        super().__post_init__()

    def value(self, step: float) -> float:
        return float(self.schedule(math.floor(step / self.steps_per_epoch)))


def per_epoch(schedule: Callable[[float], float], steps_per_epoch: int) -> PerEpoch:
    """η(step) = schedule(⌊step / steps_per_epoch⌋): a schedule in epochs driven by step counts.

    Args:
        schedule: a schedule whose argument counts epochs (e.g. ``power_decay(lr, 50)``).
        steps_per_epoch: optimizer steps in one epoch (an integer ≥ 1).

    >>> from optimbook.schedules import power_decay
    >>> s = per_epoch(power_decay(0.01, 50), steps_per_epoch=100)
    >>> s(0) == s(99) == 0.01, s(100) == power_decay(0.01, 50)(1)
    (True, True)
    """
    return PerEpoch(schedule, steps_per_epoch)
