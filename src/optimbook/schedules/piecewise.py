"""Constant and piecewise-constant rates: ``constant``, ``piecewise_constant``, ``step_decay``.

The survey's piecewise constant decay (分段常数衰减) is TensorFlow 1.x's
``tf.train.piecewise_constant(x, boundaries, values)``; step decay (阶梯衰减, torch's ``StepLR``)
multiplies the rate by ``gamma`` every ``step_size`` steps.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Sequence

from ..runtime import check_number
from .base import Schedule, plain

__all__ = [
    "Constant",
    "PiecewiseConstant",
    "StepDecay",
    "constant",
    "piecewise_constant",
    "step_decay",
]


@dataclasses.dataclass(frozen=True, repr=False)
class Constant(Schedule):
    """:math:`\\eta(t) = \\eta_0` (see :func:`constant`)."""

    name = "constant"
    learning_rate: float

    def __post_init__(self) -> None:
        check_number("learning_rate", self.learning_rate, low=0.0)
        object.__setattr__(self, "learning_rate", plain(self.learning_rate))

    def value(self, step: float) -> float:
        return float(self.learning_rate)


@dataclasses.dataclass(frozen=True, repr=False)
class PiecewiseConstant(Schedule):
    """``values[i]`` on the i-th interval of ``boundaries`` (see :func:`piecewise_constant`)."""

    name = "piecewise_constant"
    boundaries: tuple[float, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if isinstance(self.boundaries, (str, bytes)) or not isinstance(self.boundaries, Sequence):
            raise ValueError(
                f"boundaries must be a sequence of real numbers, got {self.boundaries!r}"
            )
        if isinstance(self.values, (str, bytes)) or not isinstance(self.values, Sequence):
            raise ValueError(f"values must be a sequence of real numbers, got {self.values!r}")
        for i, b in enumerate(self.boundaries):
            check_number(f"boundaries[{i}]", b)
            if not math.isfinite(b):
                raise ValueError(f"boundaries[{i}] must be a finite real number, got {b!r}")
        for i in range(1, len(self.boundaries)):
            if not self.boundaries[i] > self.boundaries[i - 1]:
                raise ValueError(
                    f"boundaries must be strictly increasing, got boundaries[{i - 1}]="
                    f"{self.boundaries[i - 1]!r} >= boundaries[{i}]={self.boundaries[i]!r}"
                )
        if len(self.values) != len(self.boundaries) + 1:
            raise ValueError(
                f"values must have len(boundaries) + 1 = {len(self.boundaries) + 1} entries,"
                f" got {len(self.values)}"
            )
        for i, v in enumerate(self.values):
            check_number(f"values[{i}]", v, low=0.0)
        object.__setattr__(self, "boundaries", tuple(plain(b) for b in self.boundaries))
        object.__setattr__(self, "values", tuple(plain(v) for v in self.values))

    def value(self, step: float) -> float:
        # values[0] for step <= boundaries[0]; values[i] for boundaries[i-1] < step <= boundaries[i]
        return float(self.values[bisect.bisect_left(self.boundaries, step)])


@dataclasses.dataclass(frozen=True, repr=False)
class StepDecay(Schedule):
    """:math:`\\eta_0\\,\\gamma^{\\lfloor t/s \\rfloor}` (see :func:`step_decay`)."""

    name = "step_decay"
    learning_rate: float
    step_size: float
    gamma: float

    def __post_init__(self) -> None:
        check_number("learning_rate", self.learning_rate, low=0.0)
        check_number("step_size", self.step_size, low=0.0, low_open=True)
        check_number("gamma", self.gamma, low=0.0)
        for f in ("learning_rate", "step_size", "gamma"):
            object.__setattr__(self, f, plain(getattr(self, f)))

    def value(self, step: float) -> float:
        return self.learning_rate * self.gamma ** math.floor(step / self.step_size)


def constant(learning_rate: float) -> Constant:
    """The constant rate :math:`\\eta(t) = \\eta_0` (He & Li's "Cons").

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.
    """
    return Constant(learning_rate)


def piecewise_constant(boundaries: Sequence[float], values: Sequence[float]) -> PiecewiseConstant:
    """TensorFlow's ``tf.train.piecewise_constant``: a rate that is constant between boundaries.

    .. math::
        \\eta(t) = \\begin{cases} v_0 & t \\le b_0 \\\\ v_i & b_{i-1} < t \\le b_i \\\\
        v_n & t > b_{n-1} \\end{cases}

    Each boundary belongs to the interval on its left, as in TensorFlow: the rate at step
    ``boundaries[0]`` is still ``values[0]``.

    Args:
        boundaries: strictly increasing steps :math:`b_0 < \\dots < b_{n-1}`.
        values: the :math:`n + 1` rates (each ≥ 0).
    """
    return PiecewiseConstant(tuple(boundaries), tuple(values))


def step_decay(learning_rate: float, step_size: float, gamma: float) -> StepDecay:
    """Step decay (torch's ``StepLR``): multiply the rate by ``gamma`` every ``step_size`` steps.

    .. math:: \\eta(t) = \\eta_0\\,\\gamma^{\\lfloor t / s \\rfloor}

    This is ``exponential_decay(learning_rate, step_size, gamma, staircase=True)`` written with
    torch's names.

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.
        step_size: :math:`s > 0`, the length of each plateau in steps.
        gamma: :math:`\\gamma \\ge 0`, the factor applied at each drop.
    """
    return StepDecay(learning_rate, step_size, gamma)
