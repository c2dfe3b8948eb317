"""Every optimizer of the sources as a :class:`torch.optim.Optimizer`.

Where torch.optim has the same algorithm, the class takes the same argument names and defaults and
produces the same trajectory; the update functions are written with multi-tensor ``torch._foreach_*``
ops and read like the equations they cite.
"""

from ._base import Optimizer
from .sgd import SGD, Momentum, Nesterov

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov"]
