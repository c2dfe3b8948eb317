"""Rates that fall as a power of the step: exponential, natural exponential, inverse time, power.

The first three are TensorFlow 1.x's ``tf.train.exponential_decay``, ``natural_exp_decay`` and
``inverse_time_decay`` (the survey's 指数衰减, 自然指数衰减 and inverse time decay); all three take
``staircase=True`` to replace :math:`t / T` by :math:`\\lfloor t / T \\rfloor`. The fourth is the
AdaMix paper's power schedule :math:`p(t)` (He & Li 2016, eq. (15)).
"""

from __future__ import annotations

import dataclasses
import math

from optimbook.schedules.base import Arg, DecaySchedule, floor, power, scaled

__all__ = [
    "RateDecay",
    "ExponentialDecay",
    "NaturalExpDecay",
    "InverseTimeDecay",
    "PowerDecay",
    "exponential_decay",
    "natural_exp_decay",
    "inverse_time_decay",
    "power_decay",
]


@dataclasses.dataclass(frozen=True, repr=False)
class RateDecay(DecaySchedule):
    """Base of the three TensorFlow rules with ``decay_rate`` and ``staircase``: fields and checks."""

    decay_rate: float
    staircase: bool = False

    arguments = {**DecaySchedule.arguments, "decay_rate": Arg(low=0)}
    flags = ("staircase",)

    def progress(self, step: float) -> float:
        """:math:`p = t / T`, floored when ``staircase`` (TensorFlow's ``p``)."""
        p = step / self.decay_steps
        return floor(p) if self.staircase else p


@dataclasses.dataclass(frozen=True, repr=False)
class ExponentialDecay(RateDecay):
    """:math:`\\eta_0\\, r^{p}` (see :func:`exponential_decay`)."""

    name = "exponential_decay"

    def value(self, step: float) -> float:
        return scaled(self.learning_rate, power(self.decay_rate, self.progress(step)))


@dataclasses.dataclass(frozen=True, repr=False)
class NaturalExpDecay(RateDecay):
    """:math:`\\eta_0\\, e^{-r p}` (see :func:`natural_exp_decay`)."""

    name = "natural_exp_decay"

    def value(self, step: float) -> float:
        # TensorFlow computes ExponentialDecay with the base exp(-decay_rate): the same rounding.
        return scaled(self.learning_rate, math.exp(-self.decay_rate) ** self.progress(step))


@dataclasses.dataclass(frozen=True, repr=False)
class InverseTimeDecay(RateDecay):
    """:math:`\\eta_0 / (1 + r p)` (see :func:`inverse_time_decay`)."""

    name = "inverse_time_decay"

    def value(self, step: float) -> float:
        # decay_rate 0: no decay, even where the progress overflows to inf (0 * inf is NaN)
        growth = self.decay_rate * self.progress(step) if self.decay_rate else 0.0
        return self.learning_rate / (1.0 + growth)


@dataclasses.dataclass(frozen=True, repr=False)
class PowerDecay(DecaySchedule):
    """:math:`\\eta_0 (1 + t/T)^{-q}` (see :func:`power_decay`)."""

    name = "power_decay"
    power: float = 0.75

    arguments = {**DecaySchedule.arguments, "power": Arg(low=0)}

    def value(self, step: float) -> float:
        # exactly lr * (1 + t/T) ** (-q) in float64 (AdaDec's and AdaMix's p(t) are this schedule)
        return self.learning_rate * (1.0 + step / self.decay_steps) ** (-self.power)


def exponential_decay(
    learning_rate: float, decay_steps: float, decay_rate: float, staircase: bool = False
) -> ExponentialDecay:
    """TensorFlow's ``tf.train.exponential_decay``: times ``decay_rate`` per ``decay_steps`` steps.

    .. math::
        \\eta(t) = \\eta_0 \\cdot r^{\\,p}, \\qquad
        p = t / T \\;\\; (\\text{or } \\lfloor t / T \\rfloor \\text{ with staircase})

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.
        decay_steps: :math:`T > 0`, the steps over which the rate is multiplied by :math:`r`.
        decay_rate: :math:`r \\ge 0`.
        staircase: floor :math:`t/T`, so the rate drops once every :math:`T` steps.

    With :math:`r > 1` the rate grows; once it exceeds float64's range the value is ``inf``
    (never an ``OverflowError``), which :class:`~optimbook.schedules.torch_adapter.ScheduleLR`
    refuses to hand to an optimizer.

    >>> s = exponential_decay(0.1, decay_steps=10, decay_rate=0.5)
    >>> s(0), s(10), s(20)
    (0.1, 0.05, 0.025)
    >>> exponential_decay(0.1, 1, 2.0)(1100)
    inf
    """
    return ExponentialDecay(learning_rate, decay_steps, decay_rate, staircase)


def natural_exp_decay(
    learning_rate: float, decay_steps: float, decay_rate: float, staircase: bool = False
) -> NaturalExpDecay:
    """TensorFlow's ``tf.train.natural_exp_decay``: exponential decay with base :math:`e`.

    .. math::
        \\eta(t) = \\eta_0 \\cdot e^{-r\\,p}, \\qquad
        p = t / T \\;\\; (\\text{or } \\lfloor t / T \\rfloor \\text{ with staircase})

    It equals ``exponential_decay(learning_rate, decay_steps, exp(-decay_rate), staircase)``,
    which is how TensorFlow computes it (and so do we, for identical rounding).

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.
        decay_steps: :math:`T > 0`.
        decay_rate: :math:`r \\ge 0`, the decay of the exponent per :math:`T` steps.
        staircase: floor :math:`t/T`.

    >>> s = natural_exp_decay(0.1, decay_steps=10, decay_rate=1.0)
    >>> s(0), s(10) == 0.1 * math.exp(-1.0)
    (0.1, True)
    """
    return NaturalExpDecay(learning_rate, decay_steps, decay_rate, staircase)


def inverse_time_decay(
    learning_rate: float, decay_steps: float, decay_rate: float, staircase: bool = False
) -> InverseTimeDecay:
    """TensorFlow's ``tf.train.inverse_time_decay``: the rate falls as :math:`1/t`.

    .. math::
        \\eta(t) = \\frac{\\eta_0}{1 + r\\,p}, \\qquad
        p = t / T \\;\\; (\\text{or } \\lfloor t / T \\rfloor \\text{ with staircase})

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.
        decay_steps: :math:`T > 0`.
        decay_rate: :math:`r \\ge 0`.
        staircase: floor :math:`t/T`.

    >>> s = inverse_time_decay(0.1, decay_steps=10, decay_rate=1.0)
    >>> s(0), s(10), s(30)
    (0.1, 0.05, 0.025)
    """
    return InverseTimeDecay(learning_rate, decay_steps, decay_rate, staircase)


def power_decay(learning_rate: float, decay_steps: float, power: float = 0.75) -> PowerDecay:
    """The AdaMix paper's power schedule :math:`p(t)` (He & Li 2016, eq. (15)).

    .. math:: \\eta(t) = \\eta_0 \\left(1 + \\frac{t}{T}\\right)^{-q}

    With :math:`T = R`, the maximum number of iterations, and :math:`q = 0.75` it is the factor
    AdaDec and AdaMix's bias rule use (Senior et al. 2013).

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.
        decay_steps: :math:`T > 0` (the paper's :math:`R`).
        power: :math:`q \\ge 0`.

    >>> s = power_decay(0.01, decay_steps=50, power=0.75)
    >>> s(0), s(50) == 0.01 * 2 ** -0.75
    (0.01, True)
    """
    return PowerDecay(learning_rate, decay_steps, power)
