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

from ..runtime import check_number
from .base import Schedule, plain

__all__ = ["PerEpoch", "per_epoch"]


@dataclasses.dataclass(frozen=True, repr=False)
class PerEpoch(Schedule):
    """``schedule`` evaluated at the number of completed epochs (see :func:`per_epoch`)."""

    name = "per_epoch"
    schedule: Callable[[float], float]
    steps_per_epoch: int

    def __post_init__(self) -> None:
        if not callable(self.schedule):
            raise ValueError(f"schedule must be a schedule (a callable step -> rate), got {self.schedule!r}")
        check_number("steps_per_epoch", self.steps_per_epoch, low=1, integer=True)
        object.__setattr__(self, "steps_per_epoch", int(plain(self.steps_per_epoch)))

    def value(self, step: float) -> float:
        return float(self.schedule(math.floor(step / self.steps_per_epoch)))


def per_epoch(schedule: Callable[[float], float], steps_per_epoch: int) -> PerEpoch:
    """η(step) = schedule(⌊step / steps_per_epoch⌋): a schedule in epochs driven by step counts.

    Args:
        schedule: a schedule whose argument counts epochs (e.g. ``power_decay(lr, 50)``).
        steps_per_epoch: optimizer steps in one epoch (≥ 1).
    """
    return PerEpoch(schedule, steps_per_epoch)
