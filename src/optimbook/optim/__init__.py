"""Every optimizer of the sources as a :class:`torch.optim.Optimizer`.

Where torch.optim has the same algorithm, the class takes the same argument names and defaults and
produces the same trajectory; the update functions are written with multi-tensor ``torch._foreach_*``
ops and read like the equations they cite.

The table of classes, sources, oracles and torch.optim counterparts is
:data:`optimbook.testing.REGISTRY`; every test, the step-time benchmark and chapter 8 read it.

A learning rate that varies is a schedule passed as ``lr`` (any ``step -> rate`` callable, e.g.
``optimbook.schedules.power_decay(0.1, 1000)``), evaluated at each parameter's step count.
"""

from optimbook.optim._base import Optimizer
from optimbook.optim.adadec import AdaDec
from optimbook.optim.adagrad import AdaGrad
from optimbook.optim.adam import Adam, AdamW, AMSGrad, Nadam
from optimbook.optim.adamix import AdaMix
from optimbook.optim.natural import NaturalGradient
from optimbook.optim.per_role import PerRole, Rule, split_by_role
from optimbook.optim.rmsprop import Adadelta, RMSProp
from optimbook.optim.roles import ROLES, role_of
from optimbook.optim.sgd import SGD, Momentum, Nesterov

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "AdaGrad",
    "AdaDec",
    "RMSProp",
    "Adadelta",
    "Adam",
    "AMSGrad",
    "AdamW",
    "Nadam",
    "NaturalGradient",
    "AdaMix",
    "PerRole",
    "Rule",
    "split_by_role",
    "ROLES",
    "role_of",
]
