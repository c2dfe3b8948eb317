"""Constant and piecewise-constant rates: ``constant``, ``piecewise_constant``, ``step_decay``.

The survey's piecewise constant decay (分段常数衰减) is TensorFlow 1.x's
``tf.train.piecewise_constant(x, boundaries, values)``; step decay (阶梯衰减, torch's ``StepLR``)
multiplies the rate by ``gamma`` every ``step_size`` steps.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence

from optimbook.schedules.base import Arg, Schedule, floor, power, scaled, sequence

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

    arguments = {"learning_rate": Arg(low=0)}

    def value(self, step: float) -> float:
        return float(self.learning_rate)


@dataclasses.dataclass(frozen=True, repr=False)
class PiecewiseConstant(Schedule):
    """``values[i]`` on the i-th interval of ``boundaries`` (see :func:`piecewise_constant`)."""

    name = "piecewise_constant"
    boundaries: tuple[float, ...]
    values: tuple[float, ...]

    elements = {"boundaries": Arg(), "values": Arg(low=0)}

    def __post_init__(self) -> None:
        b_arg, v_arg = self.elements["boundaries"], self.elements["values"]
        boundaries = sequence("boundaries", self.boundaries, f"a sequence, each element {b_arg}")
        values = sequence("values", self.values, f"a sequence, each element {v_arg}")
        boundaries = tuple(b_arg.check(f"boundaries[{i}]", b) for i, b in enumerate(boundaries))
        for i in range(1, len(boundaries)):
            if not boundaries[i] > boundaries[i - 1]:
                raise ValueError(
                    f"boundaries must be strictly increasing, got boundaries[{i - 1}]="
                    f"{boundaries[i - 1]!r} >= boundaries[{i}]={boundaries[i]!r}"
                )
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"values must have len(boundaries) + 1 = {len(boundaries) + 1} entries,"
                f" got {len(values)}"
            )
        values = tuple(v_arg.check(f"values[{i}]", v) for i, v in enumerate(values))
        object.__setattr__(self, "boundaries", boundaries)
        object.__setattr__(self, "values", values)

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

    arguments = {
        "learning_rate": Arg(low=0),
        "step_size": Arg(low=0, low_open=True),
        "gamma": Arg(low=0),
    }

    def value(self, step: float) -> float:
        return scaled(self.learning_rate, power(self.gamma, floor(step / self.step_size)))


def constant(learning_rate: float) -> Constant:
    """The constant rate :math:`\\eta(t) = \\eta_0` (He & Li's "Cons").

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.

    >>> constant(0.1)(0), constant(0.1)(10**6)
    (0.1, 0.1)
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

    >>> s = piecewise_constant([10, 20], [0.1, 0.01, 0.001])
    >>> s(10), s(11), s(21)
    (0.1, 0.01, 0.001)
    """
    return PiecewiseConstant(boundaries, values)  # type: ignore[arg-type]


def step_decay(learning_rate: float, step_size: float, gamma: float) -> StepDecay:
    """Step decay (torch's ``StepLR``): multiply the rate by ``gamma`` every ``step_size`` steps.

    .. math:: \\eta(t) = \\eta_0\\,\\gamma^{\\lfloor t / s \\rfloor}

    This is ``exponential_decay(learning_rate, step_size, gamma, staircase=True)`` written with
    torch's names.

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.
        step_size: :math:`s > 0`, the length of each plateau in steps.
        gamma: :math:`\\gamma \\ge 0`, the factor applied at each drop.

    >>> s = step_decay(0.1, step_size=30, gamma=0.5)
    >>> s(29), s(30), s(60)
    (0.1, 0.05, 0.025)
    """
    return StepDecay(learning_rate, step_size, gamma)
