"""Cosine decays: TensorFlow 1.x's ``cosine_decay``, ``cosine_decay_restarts``,
``linear_cosine_decay`` and ``noisy_linear_cosine_decay`` (the survey's 余弦衰减, 线性余弦衰减 and
噪声线性余弦衰减).

Cosine decay and its restarts are SGDR's annealing (Loshchilov & Hutter 2017); the linear cosine
forms are the schedules Bello et al. (2017) found by neural optimizer search.
"""

from __future__ import annotations

import dataclasses
import math
import secrets

from optimbook.schedules.base import Arg, DecaySchedule, Schedule, check_step, power
from optimbook.schedules.noise import standard_normal

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "LinearCosineDecay",
    "NoisyLinearCosineDecay",
    "cosine_decay",
    "cosine_decay_restarts",
    "linear_cosine_decay",
    "noisy_linear_cosine_decay",
]


def _half_cosine(fraction: float) -> float:
    """:math:`\\tfrac12(1 + \\cos \\pi f)`: 1 at :math:`f = 0`, 0 at :math:`f = 1`."""
    return 0.5 * (1.0 + math.cos(math.pi * fraction))


@dataclasses.dataclass(frozen=True, repr=False)
class CosineDecay(DecaySchedule):
    """:math:`\\eta_0[(1-\\alpha)\\tfrac12(1+\\cos\\pi t/T) + \\alpha]` (:func:`cosine_decay`)."""

    name = "cosine_decay"
    alpha: float = 0.0

    arguments = {**DecaySchedule.arguments, "alpha": Arg(low=0, high=1)}

    def value(self, step: float) -> float:
        completed_fraction = min(step, self.decay_steps) / self.decay_steps
        decayed = (1 - self.alpha) * _half_cosine(completed_fraction) + self.alpha
        return self.learning_rate * decayed


@dataclasses.dataclass(frozen=True, repr=False)
class CosineDecayRestarts(Schedule):
    """Cosine decay restarted, periods growing by ``t_mul`` (see :func:`cosine_decay_restarts`)."""

    name = "cosine_decay_restarts"
    learning_rate: float
    first_decay_steps: float
    t_mul: float = 2.0
    m_mul: float = 1.0
    alpha: float = 0.0

    arguments = {
        "learning_rate": Arg(low=0),
        "first_decay_steps": Arg(low=0, low_open=True),
        "t_mul": Arg(low=0, low_open=True),
        "m_mul": Arg(low=0),
        "alpha": Arg(low=0, high=1),
    }

    def period_start(self, i: int) -> float:
        """The step at which period ``i`` starts: :math:`T_0(1 + m + \\dots + m^{i-1})`, m = t_mul
        (``inf`` where that exceeds float's range)."""
        t = self.t_mul
        total = i if t == 1 else (1.0 - power(t, i)) / (1.0 - t)
        return self.first_decay_steps * total

    def restart(self, step: float) -> tuple[int, float]:
        """``(i, f)``: the period ``i`` that ``step`` falls in and the fraction ``f`` of it done.

        TensorFlow's closed form :math:`i = \\lfloor \\log(1 - c(1 - m)) / \\log m \\rfloor`
        (:math:`c = t/T_0`) can round to the wrong side of a period boundary; the index is corrected
        by comparing ``step`` with the period's start and end, so a step exactly at a boundary
        always starts the new period. Past the finite total length of all periods (``t_mul < 1``)
        the rule is undefined and, as in TensorFlow, gives NaN.
        """
        t = self.t_mul
        completed_fraction = step / self.first_decay_steps
        if math.isinf(completed_fraction):  # first_decay_steps below step / 1.8e308
            raise OverflowError("step / first_decay_steps overflows")
        if t == 1:
            i = math.floor(completed_fraction)
            return i, completed_fraction - i
        argument = 1.0 - completed_fraction * (1.0 - t)
        if argument <= 0.0:  # t_mul < 1 and step beyond the total length of all periods
            return 0, math.nan
        if math.isinf(argument):  # t_mul > 1: log(1 + c (m - 1)) = log c + log(m - 1) here
            log_argument = math.log(completed_fraction) + math.log(t - 1.0)
        else:
            log_argument = math.log(argument)
        i = max(0, math.floor(log_argument / math.log(t)))
        while i > 0 and step < self.period_start(i):
            i -= 1
        while step >= self.period_start(i + 1) and self.period_start(i + 1) > self.period_start(i):
            i += 1
        growth = power(t, i)
        if math.isinf(growth):  # the period is longer than float's range: divide by m^i first
            inverse = t ** (-i)
            return i, completed_fraction * inverse - (1.0 - inverse) / (t - 1.0)
        sum_r = (1.0 - growth) / (1.0 - t)
        return i, (completed_fraction - sum_r) / growth

    def value(self, step: float) -> float:
        i, completed_fraction = self.restart(step)
        if math.isnan(completed_fraction):
            return math.nan
        m_fac = power(self.m_mul, i)
        cosine_decayed = m_fac * _half_cosine(completed_fraction)
        decayed = (1 - self.alpha) * cosine_decayed + self.alpha
        return self.learning_rate * decayed


def _linear_cosine_parts(
    decay_steps: float, num_periods: float, step: float
) -> tuple[float, float]:
    """``(linear, cosine)`` at the clamped step :math:`\\tau = \\min(t, T)`:
    :math:`\\ell = (T - \\tau)/T` and :math:`c = \\tfrac12(1 + \\cos 2\\pi n \\tau/T)`."""
    step = min(step, decay_steps)
    linear_decayed = (decay_steps - step) / decay_steps
    completed_fraction = step / decay_steps
    fraction = 2.0 * num_periods * completed_fraction
    return linear_decayed, _half_cosine(fraction)


_LINEAR_COSINE_ARGUMENTS = {
    **DecaySchedule.arguments,
    "num_periods": Arg(low=0),
    "alpha": Arg(low=0),
    "beta": Arg(low=0),
}


@dataclasses.dataclass(frozen=True, repr=False)
class LinearCosineDecay(DecaySchedule):
    """:math:`\\eta_0[(\\alpha + \\ell(t))\\,c(t) + \\beta]` (see :func:`linear_cosine_decay`)."""

    name = "linear_cosine_decay"
    num_periods: float = 0.5
    alpha: float = 0.0
    beta: float = 0.001

    arguments = _LINEAR_COSINE_ARGUMENTS

    def value(self, step: float) -> float:
        linear_decayed, cosine_decayed = _linear_cosine_parts(
            self.decay_steps, self.num_periods, step
        )
        return self.learning_rate * ((self.alpha + linear_decayed) * cosine_decayed + self.beta)


@dataclasses.dataclass(frozen=True, repr=False)
class NoisyLinearCosineDecay(DecaySchedule):
    """Linear cosine decay with seeded Gaussian noise on the linear term
    (see :func:`noisy_linear_cosine_decay`)."""

    name = "noisy_linear_cosine_decay"
    initial_variance: float = 1.0
    variance_decay: float = 0.55
    num_periods: float = 0.5
    alpha: float = 0.0
    beta: float = 0.001
    seed: int | None = None

    arguments = {
        **_LINEAR_COSINE_ARGUMENTS,
        "initial_variance": Arg(low=0),
        "variance_decay": Arg(low=0),
        "seed": Arg(low=0, high=2**63 - 1, integer=True),
    }

    def __post_init__(self) -> None:
        if self.seed is None:
            object.__setattr__(self, "seed", secrets.randbits(63))
        super().__post_init__()

    def variance(self, step: float) -> float:
        """:math:`\\sigma^2(t) = v_0 / (1 + \\min(t, T))^{d}`, the noise's variance at ``step``."""
        step = min(float(step), self.decay_steps)
        return self.initial_variance / power(1.0 + step, self.variance_decay)

    def noise(self, step: int | float) -> float:
        """The noise :math:`\\varepsilon_t \\sim \\mathcal{N}(0, \\sigma^2(t))` on the linear term.

        A function of ``(seed, step)`` only: the same at a step whatever was called before.
        """
        step = check_step(step)
        return math.sqrt(self.variance(step)) * standard_normal(self.seed, step)

    def value(self, step: float) -> float:
        linear_decayed, cosine_decayed = _linear_cosine_parts(
            self.decay_steps, self.num_periods, step
        )
        noisy_linear_decayed = linear_decayed + self.noise(step)
        decayed = (self.alpha + noisy_linear_decayed) * cosine_decayed + self.beta
        return self.learning_rate * decayed


def cosine_decay(learning_rate: float, decay_steps: float, alpha: float = 0.0) -> CosineDecay:
    """TensorFlow's ``tf.train.cosine_decay`` (SGDR's annealing without restarts).

    .. math::
        \\eta(t) = \\eta_0\\left[(1 - \\alpha)\\,\\tfrac12
        \\left(1 + \\cos\\frac{\\pi \\min(t, T)}{T}\\right) + \\alpha\\right]

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.
        decay_steps: :math:`T > 0`; after :math:`T` steps the rate stays at :math:`\\alpha\\eta_0`.
        alpha: :math:`\\alpha \\in [0, 1]`, the final rate as a fraction of :math:`\\eta_0`.

    >>> s = cosine_decay(0.1, decay_steps=100, alpha=0.1)
    >>> s(0), round(s(50), 12), round(s(100), 12), round(s(1000), 12)
    (0.1, 0.055, 0.01, 0.01)
    """
    return CosineDecay(learning_rate, decay_steps, alpha)


def cosine_decay_restarts(
    learning_rate: float,
    first_decay_steps: float,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    alpha: float = 0.0,
) -> CosineDecayRestarts:
    """TensorFlow's ``tf.train.cosine_decay_restarts``: SGDR (Loshchilov & Hutter 2017, eq. (5)).

    Period :math:`i = 0, 1, \\dots` lasts :math:`T_0 m^i` steps (:math:`m` = ``t_mul``) and
    starts at :math:`S_i = T_0 (1 - m^i)/(1 - m)` (:math:`T_0 i` when :math:`m = 1`). Within it,
    with :math:`f = (t - S_i)/(T_0 m^i)`,

    .. math::
        \\eta(t) = \\eta_0\\left[(1 - \\alpha)\\, M^i\\, \\tfrac12(1 + \\cos \\pi f)
        + \\alpha\\right]

    (:math:`M` = ``m_mul``): each restart's peak is :math:`M` times the previous one, while the
    floor :math:`\\alpha\\eta_0` does not shrink. With ``t_mul < 1`` the periods add up to the finite
    length :math:`T_0/(1 - m)`; past it the rate is NaN, as in TensorFlow.

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.
        first_decay_steps: :math:`T_0 > 0`, the length of the first period.
        t_mul: :math:`m > 0`, the growth of each period's length.
        m_mul: :math:`M \\ge 0`, the factor applied to each restart's peak.
        alpha: :math:`\\alpha \\in [0, 1]`, the floor as a fraction of :math:`\\eta_0`.

    With ``m_mul > 1`` the peaks grow; past float64's range the value is ``inf`` (never an
    ``OverflowError``), which :class:`~optimbook.schedules.torch_adapter.ScheduleLR` refuses.

    >>> s = cosine_decay_restarts(0.1, first_decay_steps=10, t_mul=2.0)
    >>> s(0), s(10), s(30)
    (0.1, 0.1, 0.1)
    >>> cosine_decay_restarts(0.1, 1, t_mul=1.0, m_mul=2.0)(1100)
    inf
    """
    return CosineDecayRestarts(learning_rate, first_decay_steps, t_mul, m_mul, alpha)


def linear_cosine_decay(
    learning_rate: float,
    decay_steps: float,
    num_periods: float = 0.5,
    alpha: float = 0.0,
    beta: float = 0.001,
) -> LinearCosineDecay:
    """TensorFlow's ``tf.train.linear_cosine_decay`` (Bello et al. 2017).

    With :math:`\\tau = \\min(t, T)`, a linear decay :math:`\\ell = (T - \\tau)/T` and a cosine
    :math:`c = \\tfrac12(1 + \\cos 2\\pi n \\tau / T)` with :math:`n` periods,

    .. math:: \\eta(t) = \\eta_0\\left[(\\alpha + \\ell)\\,c + \\beta\\right]

    Args:
        learning_rate: :math:`\\eta_0 \\ge 0`.
        decay_steps: :math:`T > 0`.
        num_periods: :math:`n \\ge 0`, periods of the cosine over :math:`T` steps (0.5: half a
            wave).
        alpha: :math:`\\alpha \\ge 0`, added to the linear term.
        beta: :math:`\\beta \\ge 0`, the rate's floor as a fraction of :math:`\\eta_0`.

    >>> s = linear_cosine_decay(0.1, decay_steps=100)
    >>> round(s(0), 12), round(s(100), 12)
    (0.1001, 0.0001)
    """
    return LinearCosineDecay(learning_rate, decay_steps, num_periods, alpha, beta)


def noisy_linear_cosine_decay(
    learning_rate: float,
    decay_steps: float,
    initial_variance: float = 1.0,
    variance_decay: float = 0.55,
    num_periods: float = 0.5,
    alpha: float = 0.0,
    beta: float = 0.001,
    seed: int | None = None,
) -> NoisyLinearCosineDecay:
    """TensorFlow's ``tf.train.noisy_linear_cosine_decay`` (Bello et al. 2017), with a seed.

    Linear cosine decay whose linear term carries Gaussian noise of decaying variance:

    .. math::
        \\eta(t) = \\eta_0\\left[(\\alpha + \\ell + \\varepsilon_t)\\,c + \\beta\\right], \\qquad
        \\varepsilon_t \\sim \\mathcal{N}\\!\\left(0, \\frac{v_0}{(1 + \\tau)^{d}}\\right)

    with :math:`\\tau, \\ell, c` as in :func:`linear_cosine_decay`. TensorFlow draws
    :math:`\\varepsilon_t` from a stateful generator; here it is a pure function of
    ``(seed, step)`` (:func:`~optimbook.schedules.noise.standard_normal`), so the schedule stays
    a closed form.

    Args:
        learning_rate, decay_steps, num_periods, alpha, beta: as in :func:`linear_cosine_decay`.
        initial_variance: :math:`v_0 \\ge 0`.
        variance_decay: :math:`d \\ge 0`.
        seed: an integer in :math:`[0, 2^{63})`; ``None`` draws one once, at construction (it
            appears in the ``repr``, so the schedule can be rebuilt).

    >>> s = noisy_linear_cosine_decay(0.1, decay_steps=100, seed=7)
    >>> s(3) == s(3) == noisy_linear_cosine_decay(0.1, 100, seed=7)(3)
    True
    """
    return NoisyLinearCosineDecay(
        learning_rate, decay_steps, initial_variance, variance_decay, num_periods, alpha, beta, seed
    )
