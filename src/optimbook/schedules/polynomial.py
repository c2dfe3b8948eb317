"""Polynomial decay (多项式衰减), TensorFlow 1.x's ``tf.train.polynomial_decay``, with ``cycle``."""

from __future__ import annotations

import dataclasses
import math

from optimbook.schedules.base import Arg, DecaySchedule

__all__ = ["PolynomialDecay", "polynomial_decay"]


@dataclasses.dataclass(frozen=True, repr=False)
class PolynomialDecay(DecaySchedule):
    """:math:`(\\eta_0 - \\eta_{end})(1 - t/T)^{k} + \\eta_{end}` (see :func:`polynomial_decay`)."""

    name = "polynomial_decay"
    end_learning_rate: float = 1e-4
    power: float = 1.0
    cycle: bool = False

    arguments = {
        **DecaySchedule.arguments,
        "end_learning_rate": Arg(low=0),
        "power": Arg(low=0),
    }
    flags = ("cycle",)

    def value(self, step: float) -> float:
        decay_steps = float(self.decay_steps)
        if self.cycle:
            # the first multiple of decay_steps that is >= step; 1 at step 0
            multiplier = 1.0 if step == 0 else math.ceil(step / decay_steps)
            decay_steps = decay_steps * multiplier
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return (self.learning_rate - self.end_learning_rate) * (1 - p) ** self.power + (
            self.end_learning_rate
        )


def polynomial_decay(
    learning_rate: float,
    decay_steps: float,
    end_learning_rate: float = 1e-4,
    power: float = 1.0,
    cycle: bool = False,
) -> PolynomialDecay:
    """TensorFlow's ``tf.train.polynomial_decay``: from ``learning_rate`` to ``end_learning_rate``.

    .. math::
        \\eta(t) = (\\eta_0 - \\eta_{\\mathrm{end}})\\left(1 - \\frac{\\min(t, T)}{T}\\right)^{k}
        + \\eta_{\\mathrm{end}}

    With ``cycle=True`` the step is not clamped; instead the horizon grows to the first multiple of
    :math:`T` not below :math:`t`, :math:`T_t = T\\lceil t/T \\rceil` (:math:`T_0 = T`), and
    :math:`t / T_t` replaces :math:`\\min(t,T)/T`. The rate reaches :math:`\\eta_{\\mathrm{end}}`
    at every multiple of :math:`T` and jumps up on the next step, each cycle to a lower peak.

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.
        decay_steps: :math:`T > 0`.
        end_learning_rate: :math:`\\eta_{\\mathrm{end}} \\ge 0`.
        power: :math:`k \\ge 0` (1 is linear decay, 0.5 the survey's square root).
        cycle: restart as described above instead of staying at :math:`\\eta_{\\mathrm{end}}`.

    >>> s = polynomial_decay(0.1, decay_steps=10, end_learning_rate=0.0)
    >>> s(0), s(5), s(10), s(20)
    (0.1, 0.05, 0.0, 0.0)
    """
    return PolynomialDecay(learning_rate, decay_steps, end_learning_rate, power, cycle)
