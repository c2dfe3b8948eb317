"""Every optimizer of the sources as a :class:`torch.optim.Optimizer`.

Where torch.optim has the same algorithm, the class takes the same argument names and defaults and
produces the same trajectory; the update functions are written with multi-tensor ``torch._foreach_*``
ops and read like the equations they cite.

The table of classes, sources and torch.optim counterparts is :data:`optimbook.optim.registry.REGISTRY`
(printed below); every test, the step-time benchmark and chapter 8 read it.

A learning rate that varies is a schedule passed as ``lr`` (any ``step -> rate`` callable, e.g.
``optimbook.schedules.power_decay(0.1, 1000)``), evaluated at each parameter's step count.
"""

from ._base import Optimizer
from .adadec import AdaDec
from .adagrad import AdaGrad
from .adam import Adam, AdamW, AMSGrad, Nadam
from .adamix import AdaMix
from .natural import NaturalGradient
from .per_role import PerRole, Rule, split_by_role
from .rmsprop import Adadelta, RMSProp
from .roles import ROLES, role_of
from .sgd import SGD, Momentum, Nesterov
from . import registry  # noqa: E402  (reads the classes above)
from .registry import REGISTRY

__doc__ = (__doc__ or "") + "\n" + registry.rst_table()

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
    "REGISTRY",
    "registry",
]
