"""What decides the numbers of a run: the :class:`Setup` of a scale, and the optimizer rules of a
strategy under it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ...data import load_mnist
from ...finetuning import FineTuning
from ...optim import SGD, AdaDec, AdaGrad, Adam, AdaMix, AdamW, Nadam, RMSProp, Rule
from ...pretraining import RBMTraining
from .registry import Strategy

__all__ = ["SETUPS", "Setup", "strategy_rules"]


@dataclass(frozen=True)
class Setup:
    """Everything that decides the numbers of a run at one scale (and the readings of ambiguities).

    Paper scale follows He & Li where they speak (layer sizes, initial weights N(0, 0.001), first-layer
    biases from the data, pretraining rate 0.1, fine-tuning rate 0.001, 50 iterations, RER every 5,
    data fractions) and Hinton & Salakhutdinov's code where they are silent (CD-1, batches of 100,
    weight cost 0.0002, momentum 0.5 then 0.9, top-layer rate 0.001, 50 pretraining epochs, hidden
    probabilities passed upward, linear code layer).
    """

    sizes: tuple[int, ...] = (784, 1000, 500, 250, 30)
    fraction_scale: float = 1.0  # multiplies every experiment's data fraction (smoke: smaller data)
    subset: str = "hashed"  # how the subsets are drawn ("hashed": optimbook.data's seeded rule)
    data_seed: int = 0  # the subset does not change with the training seed
    init_std: float = math.sqrt(0.001)
    first_visible_bias: str = "data"
    pretrain_epochs: int = 50
    pretrain_lr: float = 0.1
    top_lr: float = 0.001
    weight_cost: float = 2e-4
    batch_size: int = 100
    lr: float = 0.001
    epochs: int = 50
    eval_every: int = 5
    time_unit: str = "step"  # what t and R count in p(t), β(t) and the decays
    adadec_recursive: bool = False  # eq. (14) as printed
    exp_decay_rate: float = 0.1  # Exp: the rate falls tenfold over the run
    q: float = 0.75
    K: float = 1.0
    xi: float = 0.999
    lockstep: bool = True  # train an experiment's strategies as replicas of one batched network

    def __post_init__(self) -> None:
        if self.time_unit not in ("step", "epoch"):
            raise ValueError(f"time_unit must be 'step' or 'epoch', got {self.time_unit!r}")
        if self.subset not in ("hashed", "first"):
            raise ValueError(f"subset must be 'hashed' or 'first', got {self.subset!r}")

    def pretraining(self) -> list[RBMTraining]:
        n = len(self.sizes) - 1
        return [RBMTraining(lr=self.top_lr if i == n - 1 else self.pretrain_lr,
                            weight_cost=self.weight_cost, epochs=self.pretrain_epochs,
                            batch_size=self.batch_size) for i in range(n)]

    def finetuning(self) -> FineTuning:
        return FineTuning(epochs=self.epochs, batch_size=self.batch_size, eval_every=self.eval_every)

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


SETUPS = {
    "paper": Setup(),
    "smoke": Setup(fraction_scale=0.03, pretrain_epochs=1, epochs=4, eval_every=2),
}


def strategy_rules(strategy: Strategy, setup: Setup, steps_per_epoch: int) -> tuple[Rule | None, Rule | None]:
    """The optimizer rules (weights, biases) of a strategy under ``setup``."""
    from ...schedules import exponential_decay, power_decay

    if setup.time_unit == "epoch":  # t and R count epochs: rates change once per epoch
        from ...schedules import per_epoch

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
            return Rule(SGD, {"lr": lr})
        if name == "Exp":
            return Rule(SGD, {"lr": lr}, staircase(exponential_decay(lr, total, setup.exp_decay_rate)))
        if name == "Power":
            return Rule(SGD, {"lr": lr}, staircase(power_decay(lr, total, setup.q)))
        if name == "AdaGrad":
            return Rule(AdaGrad, {"lr": lr, "K": setup.K, "eps": 0.0})
        if name == "AdaDec":
            if unit > 1:  # p(t) at the epoch count: the decay comes from a schedule, q = 0 inside
                return Rule(AdaDec, {"lr": lr, "K": setup.K, "xi": setup.xi, "q": 0.0, "total_steps": 1,
                                     "recursive": setup.adadec_recursive},
                            staircase(power_decay(lr, total, setup.q)))
            return Rule(AdaDec, {"lr": lr, "K": setup.K, "xi": setup.xi, "q": setup.q,
                                 "total_steps": total, "recursive": setup.adadec_recursive})
        if name == "AdaMix":
            kwargs = {"lr": lr, "K": setup.K, "q": setup.q, "total_steps": total}
            if role == "bias" and both:  # the strategy "AdaMix": biases get β(t), eq. (17)-(18)
                if unit > 1:
                    return rule("Power", role, both)  # β at the epoch count, via a schedule
                return Rule(AdaMix, kwargs)  # AdaMix itself: 1-D tensors take its bias rule
            # the per-element α(t) of eq. (16), for the weights or (Exp. 4) for the biases
            return Rule(AdaMix, kwargs, group={"role": "weight"})
        if name in ("Adam", "AdamW", "Nadam", "RMSProp"):
            return Rule({"Adam": Adam, "AdamW": AdamW, "Nadam": Nadam, "RMSProp": RMSProp}[name], {"lr": lr})
        raise ValueError(f"unknown rule {name!r}")

    both = strategy.weight_rule == strategy.bias_rule
    return rule(strategy.weight_rule, "weight", both), rule(strategy.bias_rule, "bias", both)
