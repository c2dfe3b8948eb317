"""Learning-rate schedules: every decay rule of the sources as a pure function of the step.

A schedule is a :class:`~optimbook.schedules.base.Schedule`: ``schedule(step) -> rate`` for
``step = 0, 1, 2, …`` (the number of optimizer steps already taken), pure, picklable, comparable,
with a ``repr`` that rebuilds it. The factories take TensorFlow 1.x's argument names and return
TensorFlow's values (``tf.train.*_decay``), edge cases included; the values are computed in
float64. :class:`~optimbook.schedules.torch_adapter.ScheduleLR` drives any torch optimizer with
one; :class:`~optimbook.schedules.plateau.ReduceOnPlateau` lowers the rate when a validation
metric stalls.

=============================================================  ======================================
factory                                                        source
=============================================================  ======================================
:func:`~optimbook.schedules.piecewise.constant`                He & Li 2016 ("Cons")
:func:`~optimbook.schedules.piecewise.piecewise_constant`      ``tf.train.piecewise_constant``
:func:`~optimbook.schedules.piecewise.step_decay`              torch ``StepLR``
:func:`~optimbook.schedules.exponential.exponential_decay`     ``tf.train.exponential_decay``
:func:`~optimbook.schedules.exponential.natural_exp_decay`     ``tf.train.natural_exp_decay``
:func:`~optimbook.schedules.exponential.inverse_time_decay`    ``tf.train.inverse_time_decay``
:func:`~optimbook.schedules.exponential.power_decay`           He & Li 2016 eq. (15)
:func:`~optimbook.schedules.polynomial.polynomial_decay`       ``tf.train.polynomial_decay``
:func:`~optimbook.schedules.cosine.cosine_decay`               ``tf.train.cosine_decay``
:func:`~optimbook.schedules.cosine.cosine_decay_restarts`      ``tf.train.cosine_decay_restarts``
:func:`~optimbook.schedules.cosine.linear_cosine_decay`        ``tf.train.linear_cosine_decay``
:func:`~optimbook.schedules.cosine.noisy_linear_cosine_decay`  ``tf.train.noisy_linear_cosine_decay``
:func:`~optimbook.schedules.compose.linear_warmup`             Goyal et al. 2017
:func:`~optimbook.schedules.compose.join`                      optax ``join_schedules``
:func:`~optimbook.schedules.epochwise.per_epoch`               He & Li's p(t) with t in epochs
=============================================================  ======================================
"""

from optimbook.schedules.base import Schedule, from_dict
from optimbook.schedules.compose import Join, LinearWarmup, join, linear_warmup
from optimbook.schedules.cosine import (
    CosineDecay,
    CosineDecayRestarts,
    LinearCosineDecay,
    NoisyLinearCosineDecay,
    cosine_decay,
    cosine_decay_restarts,
    linear_cosine_decay,
    noisy_linear_cosine_decay,
)
from optimbook.schedules.epochwise import PerEpoch, per_epoch
from optimbook.schedules.exponential import (
    ExponentialDecay,
    InverseTimeDecay,
    NaturalExpDecay,
    PowerDecay,
    RateDecay,
    exponential_decay,
    inverse_time_decay,
    natural_exp_decay,
    power_decay,
)
from optimbook.schedules.piecewise import (
    Constant,
    PiecewiseConstant,
    StepDecay,
    constant,
    piecewise_constant,
    step_decay,
)
from optimbook.schedules.plateau import PlateauState, ReduceOnPlateau, plateau_update
from optimbook.schedules.polynomial import PolynomialDecay, polynomial_decay
from optimbook.schedules.torch_adapter import ScheduleLR

__all__ = [
    "Schedule",
    "from_dict",
    "constant",
    "piecewise_constant",
    "step_decay",
    "exponential_decay",
    "natural_exp_decay",
    "inverse_time_decay",
    "power_decay",
    "polynomial_decay",
    "cosine_decay",
    "cosine_decay_restarts",
    "linear_cosine_decay",
    "noisy_linear_cosine_decay",
    "linear_warmup",
    "join",
    "per_epoch",
    "ScheduleLR",
    "ReduceOnPlateau",
    "PlateauState",
    "plateau_update",
    "Constant",
    "PiecewiseConstant",
    "StepDecay",
    "ExponentialDecay",
    "NaturalExpDecay",
    "InverseTimeDecay",
    "PowerDecay",
    "RateDecay",
    "PolynomialDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "LinearCosineDecay",
    "NoisyLinearCosineDecay",
    "Join",
    "LinearWarmup",
    "PerEpoch",
]
