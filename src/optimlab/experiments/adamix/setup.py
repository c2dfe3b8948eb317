"""What decides the numbers of a run: the :class:`Setup` of a scale, its readings of the paper's
ambiguities, and the optimizer rules of a strategy under it.

Every field of :class:`Setup` declares, in its metadata, the *stage* whose numbers it decides:

- ``"pretrain"``: the data and the RBM stack (enters the pretraining key and the fine-tuning key);
- ``"finetune"``: the fine-tuning loop (enters the fine-tuning key);
- ``"rule"``: only the optimizer rules that :func:`strategy_rules` builds (enters the fine-tuning key
  through those rules, so a field that a strategy does not read does not change its key: Cons
  under AdaMix's four readings is one run);
- ``"execution"``: how the work is scheduled, not what it computes (enters no key).

A field that is one of the paper's ambiguities also carries ``reading``: the choices the text
allows, the default chosen from the text, and the sentences (Chinese and English) each rests on.
:func:`readings_table` lists them; the cache keys are built from the metadata, so a new field enters
them with no list to keep by hand.

A field that is a setting the text does not give, measured only to explain a published value we
miss, carries ``sensitivity`` instead: its default (the behaviour before the field existed, so the
default runs keep their numbers), the alternative measured, why it is measured, and the sentence of
the paper or of Hinton & Salakhutdinov's code it rests on. :func:`sensitivities_table` lists them;
the hypotheses that use them are ``HYPOTHESES``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import torch

from optimlab.training.data import load_mnist
from optimlab.training.finetuning import FineTuning
from optimbook.optim import Rule
from optimlab.training.pretraining import RBMTraining
from optimlab.experiments.adamix.registry import Strategy

__all__ = ["SETUPS", "STAGES", "Setup", "fields_of", "readings_table", "sensitivities_table", "strategy_rules"]

STAGES = ("pretrain", "finetune", "rule", "execution")


def _field(default, stage: str, doc: str, *, choices: tuple | None = None, reading: dict | None = None,
           sensitivity: dict | None = None):
    """A :class:`Setup` field with its stage, its documentation and (for an ambiguity) its reading, or
    (for a setting measured to explain a miss) its sensitivity."""
    assert stage in STAGES
    meta = {"stage": stage, "doc": doc, "choices": choices, "reading": reading, "sensitivity": sensitivity}
    return field(default=default, metadata=meta)


#: The paper's sentences the readings rest on (He & Li 2016, ``shared/seeds/000``).
#: The abstract: the Chinese sentence, and the authors' own English abstract (``shared/seeds/002``).
_ABSTRACT = ("为连接权重设计了一个仅与当前梯度有关的学习率",
             "the authors' English abstract: \"a learning rate form which is only based on the current"
             " epoch gradient is designed for the connection weights\"")
_ROUND = ("αij(t) 为连接权重下一回合的学习率, αij(t−1) 为当前回合连接权重的学习率, g(t)² 为当前回合的梯度的平方和",
          "α_ij(t) is the weights' rate for the next round, α_ij(t−1) the current round's, "
          "g(t)² the sum of squares of the current round's gradient")
_PREVIOUS = ("在上一回合的学习率的基础上利用当前的梯度去自适应调节学习率的大小",
             "adjusts the rate from the previous round's rate using the current gradient")
_SUMMED = ("∇Lm(θ) = Σ_{n=1}^{N} l_n(θ) (6), 其中 N 为第m 个批次数据集内样本的个数",
           "eq. (6): the mini-batch gradient sums the per-example terms over the N examples of batch m; "
           "K = 1 in eq. (12), (13), (16) has meaning only relative to that scale")


@dataclass(frozen=True)
class Setup:
    """Everything that decides the numbers of a run at one scale, the readings of ambiguities included.

    Paper scale follows He & Li where they speak (layer sizes, initial weights N(0, 0.001), first-layer
    biases from the data, pretraining rate 0.1, fine-tuning rate 0.001, 50 iterations, RER every 5,
    data fractions) and Hinton & Salakhutdinov's code where they are silent (CD-1, batches of 100,
    weight cost 0.0002, momentum 0.5 then 0.9, top-layer rate 0.001, hidden probabilities passed
    upward, linear code layer). The fields marked as readings are the paper's ambiguities:
    :func:`readings_table` lists their choices and the sentences behind them.
    """

    sizes: tuple[int, ...] = _field((784, 1000, 500, 250, 30), "pretrain", "layer widths of the autoencoder")
    fraction_scale: float = _field(1.0, "pretrain", "multiplies every experiment's data fraction (smoke: smaller data)")
    subset: str = _field("hashed", "pretrain", "how the 1/10 subsets are drawn", choices=("hashed", "first"),
                         reading={"default": "hashed", "why": "the paper says 1/10 of MNIST, not which tenth; "
                                  "a seeded draw is representative, the first rows are what many ports take",
                                  "source": ("实验数据为完整 MNIST 数据集的 1/10, 即训练样本集为 6 000 幅图像, 测试样本集为 1 000 幅图像",
                                             "the data are 1/10 of the full MNIST set: 6 000 training and 1 000 test images")})
    data_seed: int = _field(0, "pretrain", "the seed of the subsets (fixed: they do not change with the training seed)")
    init_std: float = _field(math.sqrt(0.001), "pretrain", "standard deviation of the initial weights (variance 0.001)")
    first_visible_bias: str = _field(
        "data", "pretrain", "the first RBM's visible biases", choices=("data", "zero"),
        reading={"default": "data", "why": "the paper sets them from the training data; zero is Hinton's code",
                 "source": ("第 1 层的初始偏置由训练数据决定, 其他层的初始偏置设置为 0",
                            "the first layer's initial biases are decided by the training data, the other layers' are 0")})
    pretrain_epochs: int = _field(
        50, "pretrain", "RBM pretraining epochs per layer", choices=(50, 10),
        reading={"default": 50, "why": "the paper does not say; 50 is Hinton & Salakhutdinov's Science paper "
                 "(the model the paper rebuilds), 10 their public code's default",
                 "source": ("(not stated)", "the paper gives no pretraining length")})
    pretrain_lr: float = _field(0.1, "pretrain", "RBM learning rate (the paper: 0.1)")
    top_lr: float = _field(0.001, "pretrain", "learning rate of the top, Gaussian-hidden RBM (Hinton's code)")
    weight_cost: float = _field(
        2e-4, "pretrain", "RBM weight decay (Hinton's code)", choices=(2e-4, 0.0),
        sensitivity={"default": 2e-4, "why": "the paper gives no weight cost; without it the RBMs' weights "
                     "grow freely, which changes the network fine-tuning starts from and so where Cons ends",
                     "source": "the paper: (not stated); Hinton & Salakhutdinov's rbm.m: weightcost = 0.0002"})
    pretrain_final_momentum: float = _field(
        0.9, "pretrain", "RBM momentum after the first five epochs (0.5 before)", choices=(0.9, 0.5),
        sensitivity={"default": 0.9, "why": "the paper gives no momentum; 0.5 throughout pretrains less far in "
                     "the same epochs, which changes the network fine-tuning starts from",
                     "source": "the paper: (not stated); Hinton & Salakhutdinov's rbm.m: initialmomentum = 0.5; "
                     "finalmomentum = 0.9; if epoch>5, momentum=finalmomentum"})
    untrained_top_layers: int = _field(
        0, "pretrain", "the top RBMs left at their initial weights (not pretrained)", choices=(0, 1),
        sensitivity={"default": 0, "why": "a network whose top layer was never trained passes almost nothing "
                     "through its 30-unit code: frozen weights then cannot fall far below the error of "
                     "predicting the mean image, a level like the paper's None+Cons",
                     "source": "the paper: 预处理阶段的学习率初始值为 0.1 (one pretraining rate, nothing on the "
                     "top layer); Hinton & Salakhutdinov's code trains the linear top layer in a file of its "
                     "own, rbmhidlinear.m, at epsilonw = 0.001"})
    stack_weights: str = _field(
        "pretrained", "pretrain", "the weights fine-tuning starts from: the pretrained ones, or the initial "
        "N(0, 0.001) draws (the stack pretrained as usual, its weights then reset; its biases kept)",
        choices=("pretrained", "initial"),
        sensitivity={"default": "pretrained", "why": "if a strategy's rates hold for both phases, \"None\" for "
                     "the weights is a zero rate in pretraining too: the weights never leave their initial draws",
                     "source": "the paper: 实验中所提到的方法均采用相同的学习率初始值, 预处理阶段的学习率初始值为 0.1, "
                     "反向微调阶段的学习率初始值为 0.001 (every method's rates are given for pretraining and "
                     "fine-tuning); 权重的学习率为零, 偏置的学习率为常数 (None + Cons)"})
    batch_size: int = _field(100, "pretrain", "mini-batch size N of pretraining and fine-tuning")
    lr: float = _field(0.001, "finetune", "the fine-tuning rate η(0) of every rule (the paper: 0.001)")
    epochs: int = _field(50, "finetune", "fine-tuning iterations (the paper's 'SGD iterations', read as epochs)")
    eval_every: int = _field(5, "finetune", "record the RER every this many epochs")
    stop_early_epochs: int = _field(
        0, "finetune", "fine-tuning stops this many epochs before ``epochs`` (the rates still count "
        "``epochs``): the last RER is recorded before the last epoch's updates", choices=(0, 1),
        sensitivity={"default": 0, "why": "if the RER of 'iteration 50' was measured before that iteration's "
                     "updates, the published value is our run one epoch earlier",
                     "source": "the paper: 迭代 50 次时 … 的重构误差为 8.37 (the error at 50 iterations); "
                     "Hinton & Salakhutdinov's backprop.m computes each epoch's errors at the top of the epoch "
                     "loop, before that epoch's updates"})
    time_unit: str = _field(
        "step", "rule", "what t and R count in p(t), β(t) and the decays", choices=("step", "epoch"),
        reading={"default": "step", "why": "the equations index t by update; R is 'the maximum number of "
                 "iterations', and every rule updates per mini-batch",
                 "source": ("R 为最大迭代次数; SGD 迭代次数为 5∼50, 步长为 5",
                            "R is the maximum number of iterations; the SGD iterations are 5 to 50 in steps of 5")})
    adamix_rate: str = _field(
        "literal", "rule", "AdaMix's weight rate, eq. (16)", choices=("literal", "current", "per-round"),
        reading={"default": "literal", "why": "eq. (16) as printed, α(t) from α(t−1), at every update "
                 "like every other rule of the paper; 'current' takes the abstract's 'only the current "
                 "gradient' literally; 'per-round' reads a round (回合) as one pass over the data",
                 "source": (_ROUND[0] + "; " + _ABSTRACT[0] + "; " + _PREVIOUS[0],
                            _ROUND[1] + "; " + _ABSTRACT[1] + "; " + _PREVIOUS[1])})
    rate_gradient: str = _field(
        "sum", "rule", "the gradient inside the adaptive rates' roots (AdaGrad, AdaDec, AdaMix)",
        choices=("sum", "mean"),
        reading={"default": "sum", "why": "eq. (6) defines g as the gradient of the loss summed over the "
                 "batch, and the rules are written in that g; 'mean' divides it by N inside the root only",
                 "source": _SUMMED})
    adadec_recursive: bool = _field(
        False, "rule", "AdaDec's G(t)", choices=(False, True),
        reading={"default": False, "why": "eq. (14) as printed keeps two gradients; Senior et al.'s AdaDec "
                 "accumulates all of them",
                 "source": ("G(t) 为当前梯度和上一次梯度的平方和",
                            "G(t) is the sum of squares of the current and the previous gradient")})
    exp_decay_rate: float = _field(
        0.1, "rule", "Exp: the factor the rate falls by over the run", choices=(0.1, 0.01),
        reading={"default": 0.1, "why": "the paper names an exponential rule without constants; tenfold over "
                 "the run is the gentlest common choice", "source": ("权重的学习率为指数 (Exponent), 偏置的学习率为常数 (Exp + Cons)",
                            "the weights' rate is exponential (Exponent), the biases' constant (Exp + Cons); no constants are given")})
    q: float = _field(
        0.75, "rule", "exponent of p(t) and β(t), also the Power rule's", choices=(0.75, 0.5),
        reading={"default": 0.75, "why": "the paper gives q = 0.75 for p(t) and β(t); its Power rule reuses it",
                 "source": ("q 为常数项, 通常取值为 0.75", "q is a constant, usually 0.75")})
    K: float = _field(1.0, "rule", "the constant in the roots of eq. (12), (13), (16) (the paper: 1)")
    compile_updates: bool = _field(
        True, "rule", "AdaMix's weight update through torch.compile (AdaMix(compile=True)): one loop over "
        "memory instead of five passes, the same code on every device; a speed choice, not a reading (the "
        "numbers agree to rounding)")
    xi: float = _field(0.999, "rule", "AdaDec's ξ (the paper: 0.999)")
    lockstep: bool = _field(True, "execution", "train an experiment's strategies as replicas of one batched network")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            choices = f.metadata.get("choices")
            if choices is not None and f.metadata.get("reading") is not None and f.name not in (
                    "exp_decay_rate", "q", "pretrain_epochs"):  # numeric readings accept any valid value
                if getattr(self, f.name) not in choices:
                    raise ValueError(f"{f.name} must be one of {choices}, got {getattr(self, f.name)!r}")
        from optimlab.runtime import check_number

        check_number("pretrain_epochs", self.pretrain_epochs, low=0, integer=True)
        check_number("epochs", self.epochs, low=1, integer=True)
        check_number("batch_size", self.batch_size, low=1, integer=True)
        check_number("exp_decay_rate", self.exp_decay_rate, low=0.0, low_open=True)
        check_number("q", self.q, low=0.0)
        check_number("weight_cost", self.weight_cost, low=0.0)
        check_number("pretrain_final_momentum", self.pretrain_final_momentum, low=0.0, high=1.0, high_open=True)
        check_number("untrained_top_layers", self.untrained_top_layers, low=0, high=len(self.sizes) - 1,
                     integer=True)
        check_number("stop_early_epochs", self.stop_early_epochs, low=0, high=self.epochs - 1, integer=True)
        if self.stack_weights not in ("pretrained", "initial"):
            raise ValueError(f"stack_weights must be one of ('pretrained', 'initial'), got {self.stack_weights!r}")

    def key(self, stage: str) -> dict:
        """The fields that decide ``stage``'s numbers: ``"pretrain"``, or ``"finetune"`` (which
        includes pretraining's; the rule fields enter a fine-tuning key through its rules)."""
        stages = {"pretrain": ("pretrain",), "finetune": ("pretrain", "finetune")}[stage]
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.metadata["stage"] in stages}

    def pretraining(self) -> list[RBMTraining]:
        """One ``RBMTraining`` per RBM, bottom up; the top ``untrained_top_layers`` get no epochs."""
        n = len(self.sizes) - 1
        return [RBMTraining(lr=self.top_lr if i == n - 1 else self.pretrain_lr,
                            weight_cost=self.weight_cost, final_momentum=self.pretrain_final_momentum,
                            epochs=0 if i >= n - self.untrained_top_layers else self.pretrain_epochs,
                            batch_size=self.batch_size) for i in range(n)]

    def finetuning(self) -> FineTuning:
        """The fine-tuning loop: ``epochs`` less ``stop_early_epochs`` epochs."""
        return FineTuning(epochs=self.epochs - self.stop_early_epochs, batch_size=self.batch_size,
                          eval_every=self.eval_every)

    def images(self, fraction: float, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """The training and test images [N, 784] at an experiment's data ``fraction``."""
        n_train, n_test = self.numbers(fraction)
        if self.subset == "first":
            x, _ = load_mnist("train", device=device)
            xt, _ = load_mnist("test", device=device)
            return x[:n_train], xt[:n_test]
        x, _ = load_mnist("train", fraction=n_train / 60_000, seed=self.data_seed, device=device)
        xt, _ = load_mnist("test", fraction=n_test / 10_000, seed=self.data_seed, device=device)
        return x, xt

    def numbers(self, fraction: float) -> tuple[int, int]:
        """Training and test images at an experiment's data ``fraction``."""
        f = fraction * self.fraction_scale
        return max(1, round(f * 60_000)), max(1, round(f * 10_000))

    def steps_per_epoch(self, fraction: float) -> int:
        """Mini-batches per fine-tuning epoch at ``fraction``."""
        return math.ceil(self.numbers(fraction)[0] / self.batch_size)

    def readings(self) -> dict[str, object]:
        """The value of every reading field, ``{field: value}``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.metadata.get("reading")}


def fields_of(stage: str | None = None) -> list[dataclasses.Field]:
    """The fields of :class:`Setup` (of one ``stage`` if given)."""
    return [f for f in dataclasses.fields(Setup) if stage is None or f.metadata["stage"] == stage]


def readings_table():
    """The paper's ambiguities as a table: field, what it decides, the default, the alternatives,
    why the default, and the sentence of the paper (Chinese, English) behind the choice."""
    import pandas as pd

    rows = []
    for f in dataclasses.fields(Setup):
        r = f.metadata.get("reading")
        if not r:
            continue
        rows.append({"field": f.name, "decides": f.metadata["doc"], "default": str(r["default"]),
                     "alternatives": ", ".join(str(c) for c in f.metadata["choices"] if c != r["default"]),
                     "why the default": r["why"], "source (Chinese)": r["source"][0],
                     "source (English)": r["source"][1]})
    return pd.DataFrame(rows)


def sensitivities_table():
    """The settings the text does not give that are measured to explain a published value we miss:
    field, what it decides, the default (the behaviour before the field existed), the alternative
    measured, why it is measured, and the sentence it rests on."""
    import pandas as pd

    rows = []
    for f in dataclasses.fields(Setup):
        r = f.metadata.get("sensitivity")
        if not r:
            continue
        rows.append({"field": f.name, "decides": f.metadata["doc"], "default": str(r["default"]),
                     "alternative": ", ".join(str(c) for c in f.metadata["choices"] if c != r["default"]),
                     "why it is measured": r["why"], "source": r["source"]})
    return pd.DataFrame(rows, columns=["field", "decides", "default", "alternative", "why it is measured", "source"])


SETUPS = {
    "paper": Setup(),
    "smoke": Setup(fraction_scale=0.03, pretrain_epochs=1, epochs=4, eval_every=2),
}


def _registry_kwargs(name: str, setup: Setup, total: int) -> dict:
    """The keyword arguments of registry optimizer ``name`` in a strategy: its paper configuration
    in the registry (tagged ``"paper"``; none: torch's defaults), at the fine-tuning rate
    ``setup.lr``, with every ``"rule"`` field of ``setup`` that the registry lists as one of its
    arguments (``K``, ``xi``, ``q``), ``total_steps`` = R, and under the ``"mean"`` reading of the
    gradient ``grad_scale`` = 1/N where the optimizer takes one."""
    from optimbook.testing import REGISTRY

    info = REGISTRY[name]
    paper = next((dict(c.kwargs) for c in info.configs if "paper" in c.tags), {})
    kwargs = {**paper, "lr": setup.lr}
    kwargs.update({f.name: getattr(setup, f.name) for f in fields_of("rule") if f.name in info.arguments})
    if "total_steps" in kwargs:
        kwargs["total_steps"] = total
    if setup.rate_gradient == "mean" and "grad_scale" in info.arguments:
        kwargs["grad_scale"] = 1.0 / setup.batch_size
    return kwargs


def strategy_rules(strategy: Strategy, setup: Setup, steps_per_epoch: int) -> tuple[Rule | None, Rule | None]:
    """The optimizer rules (weights, biases) of a strategy under ``setup``.

    A rate that varies is a schedule given as the rule's ``lr``. The paper's SGD rates (Cons, Exp,
    Power) are SGD with a schedule; every other rule is the registry's optimizer of that name with
    the registry's paper configuration (``_registry_kwargs``), and the paper's readings of AdaDec
    (p(t) as its rate) and AdaMix (its rate readings; β(t) for the biases) on top. Reads only the
    ``"rule"`` and ``"finetune"`` fields of ``setup`` (the cache key relies on it).
    """
    from optimbook.testing import optimizer_class
    from optimbook.schedules import exponential_decay, per_epoch, power_decay

    if setup.time_unit == "epoch":  # t and R count epochs: rates change once per epoch
        total, unit = setup.epochs, steps_per_epoch
    else:
        total, unit = setup.epochs * steps_per_epoch, 1
    lr = setup.lr

    def staircase(schedule):
        return per_epoch(schedule, steps_per_epoch) if unit > 1 else schedule

    def rule(name: str, role: str, both: bool) -> Rule | None:
        if name == "None":
            return None
        if name == "Cons":
            return Rule(optimizer_class("SGD"), {"lr": lr})
        if name == "Exp":
            return Rule(optimizer_class("SGD"), {"lr": staircase(exponential_decay(lr, total, setup.exp_decay_rate))})
        if name == "Power":
            return Rule(optimizer_class("SGD"), {"lr": staircase(power_decay(lr, total, setup.q))})
        kwargs = _registry_kwargs(name, setup, total)
        if name == "AdaDec":  # p(t) of eq. (15) is the rule's lr schedule (t in steps or epochs)
            for shorthand in ("total_steps", "q"):
                kwargs.pop(shorthand, None)
            kwargs["lr"] = staircase(power_decay(lr, total, setup.q))
            kwargs["recursive"] = setup.adadec_recursive
        if name == "AdaMix":
            kwargs["compile"] = setup.compile_updates
            if setup.adamix_rate != "literal":
                kwargs["rate"] = setup.adamix_rate
            if setup.adamix_rate == "per-round":
                kwargs["round_steps"] = steps_per_epoch
            if role == "bias" and both:  # the strategy "AdaMix": biases get β(t), eq. (17)-(18)
                if unit > 1:
                    return rule("Power", role, both)  # β at the epoch count, via a schedule
                return Rule(optimizer_class(name), kwargs)  # AdaMix itself: 1-D tensors take its bias rule
            # the per-element α(t) of eq. (16), for the weights or (Exp. 4) for the biases
            return Rule(optimizer_class(name), kwargs, group={"role": "weight"})
        return Rule(optimizer_class(name), kwargs)

    both = strategy.weight_rule == strategy.bias_rule
    return rule(strategy.weight_rule, "weight", both), rule(strategy.bias_rule, "bias", both)
