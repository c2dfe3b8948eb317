"""Every optimizer of the sources as a :class:`torch.optim.Optimizer`.

Where torch.optim has the same algorithm, the class takes the same argument names and defaults and
produces the same trajectory; the update functions are written with multi-tensor ``torch._foreach_*``
ops and read like the equations they cite.

=================================================  ==========================================  ===========================
class                                              source                                      torch.optim counterpart
=================================================  ==========================================  ===========================
:class:`~optimbook.optim.sgd.SGD`                  survey eq. (1)-(3); He & Li eq. (4)         ``SGD``
:class:`~optimbook.optim.sgd.Momentum`             Polyak 1964; Sutskever et al. 2013          ``SGD(momentum=)``
:class:`~optimbook.optim.sgd.Nesterov`             Nesterov 1983; Sutskever et al. 2013        ``SGD(nesterov=True)``
:class:`~optimbook.optim.adagrad.AdaGrad`          He & Li eq. (12); MindSpore alg. 4.1        ``Adagrad``
:class:`~optimbook.optim.adadec.AdaDec`            He & Li eq. (13)-(15); Senior et al. 2013   --
:class:`~optimbook.optim.rmsprop.RMSProp`          MindSpore alg. 4.2; source 003 (masks)      ``RMSprop``
:class:`~optimbook.optim.rmsprop.Adadelta`         Zeiler 2012                                 ``Adadelta``
:class:`~optimbook.optim.adam.Adam`                MindSpore alg. 4.3; Kingma & Ba 2015        ``Adam``
:class:`~optimbook.optim.adam.AMSGrad`             Reddi et al. 2018                           ``Adam(amsgrad=True)``
:class:`~optimbook.optim.adam.AdamW`               Loshchilov & Hutter 2019                    ``AdamW``
:class:`~optimbook.optim.adam.Nadam`               Dozat 2016                                  ``NAdam``
:class:`~optimbook.optim.natural.NaturalGradient`  Amari, Park & Fukumizu 2000 ("ANGD")        --
:class:`~optimbook.optim.adamix.AdaMix`            He & Li eq. (16)-(18)                       --
:class:`~optimbook.optim.per_role.PerRole`         He & Li Exp. 2-4 ("weights + biases")       --
=================================================  ==========================================  ===========================
"""

from ._base import Optimizer
from .adadec import AdaDec
from .adagrad import AdaGrad
from .adam import Adam, AdamW, AMSGrad, Nadam
from .adamix import AdaMix
from .natural import NaturalGradient
from .per_role import PerRole, Rule, split_by_role
from .rmsprop import Adadelta, RMSProp
from .sgd import SGD, Momentum, Nesterov

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
]
