"""Greedy layer-wise pretraining of a stack of RBMs with CD-1 (Hinton & Salakhutdinov 2006).

Each RBM is trained on the hidden probabilities of the one below it ("probabilities passed upward"),
with Hinton & Salakhutdinov's update (rbm.m): mini-batches of 100, momentum 0.5 for the first five
epochs and 0.9 after, an L2 weight cost of 0.0002 on the weights, and increments

    ΔW ← μ ΔW + ε (dW / m − λ W),   Δb ← μ Δb + (ε/m) db,   Δc ← μ Δc + (ε/m) dc,

where (dW, db, dc) are the CD-1 statistics of :meth:`optimlab.training.models.rbm.RBM.cd1` summed over the
m examples of the batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from optimlab.runtime import check_number
from optimlab.training.clock import Clock
from optimlab.training.loop import batches
from optimlab.training.models.rbm import RBM, data_visible_bias

__all__ = ["RBMTraining", "train_rbm", "pretrain_stack", "upward"]


@dataclass(frozen=True)
class RBMTraining:
    """Hyperparameters of CD-1 training of one RBM (defaults: Hinton & Salakhutdinov's rbm.m)."""

    lr: float = 0.1
    weight_cost: float = 2e-4
    initial_momentum: float = 0.5
    final_momentum: float = 0.9
    momentum_epochs: int = 5  # epochs that use the initial momentum
    epochs: int = 50
    batch_size: int = 100

    def __post_init__(self) -> None:
        check_number("lr", self.lr, low=0.0)
        check_number("weight_cost", self.weight_cost, low=0.0)
        check_number("initial_momentum", self.initial_momentum, low=0.0, high=1.0, high_open=True)
        check_number("final_momentum", self.final_momentum, low=0.0, high=1.0, high_open=True)
        check_number("momentum_epochs", self.momentum_epochs, low=0, integer=True)
        check_number("epochs", self.epochs, low=0, integer=True)
        check_number("batch_size", self.batch_size, low=1, integer=True)


@torch.no_grad()
def train_rbm(rbm: RBM, data: torch.Tensor, config: RBMTraining, *, seed: int = 0) -> list[float]:
    """Train ``rbm`` on ``data`` [N, n_visible] with CD-1; return the mean squared reconstruction
    error (summed over units, averaged over examples) of each epoch's CD-1 reconstructions."""
    generator = torch.Generator(device=data.device).manual_seed(seed)
    inc_W, inc_b, inc_c = torch.zeros_like(rbm.W), torch.zeros_like(rbm.b), torch.zeros_like(rbm.c)
    # each epoch's summed error stays on the device until the end: no host synchronisation in the loop
    totals = torch.zeros(config.epochs, dtype=data.dtype, device=data.device)
    n = len(data)
    for epoch in range(config.epochs):
        momentum = config.initial_momentum if epoch < config.momentum_epochs else config.final_momentum
        total = totals[epoch]
        for idx in batches(n, config.batch_size, seed=seed, epoch=epoch, device=data.device):
            v = data[idx]
            dW, db, dc, err = rbm.cd1(v, generator)
            m = len(v)
            momentum_step(rbm.W, inc_W, dW, momentum=momentum, lr=config.lr / m,
                          decay=config.lr * config.weight_cost)
            for param, inc, grad in ((rbm.b, inc_b, db), (rbm.c, inc_c, dc)):
                momentum_step(param, inc, grad, momentum=momentum, lr=config.lr / m, decay=0.0)
            total += err
    errors = [t / n for t in totals.tolist()]
    for epoch, error in enumerate(errors):
        if not math.isfinite(error):
            raise FloatingPointError(f"RBM {rbm.n_visible}-{rbm.n_hidden}: reconstruction error "
                                     f"became {error} in epoch {epoch + 1}")
    return errors


def momentum_step(param: torch.Tensor, inc: torch.Tensor, grad: torch.Tensor, *, momentum: float,
                  lr: float, decay: float) -> None:
    """inc ← momentum·inc + lr·grad − decay·param; param ← param + inc (CD learning with momentum
    and weight decay, Hinton 2010 §9-10)."""
    inc.mul_(momentum).add_(grad, alpha=lr)
    if decay:
        inc.add_(param, alpha=-decay)
    param.add_(inc)


@torch.no_grad()
def upward(rbm: RBM, data: torch.Tensor, chunk: int = 10_000) -> torch.Tensor:
    """Hidden means of ``rbm`` for every row of ``data`` (the next RBM's training data)."""
    return torch.cat([rbm.hidden_mean(data[i:i + chunk]) for i in range(0, len(data), chunk)])


def pretrain_stack(
    data: torch.Tensor,
    sizes: Sequence[int],
    configs: Sequence[RBMTraining],
    *,
    seed: int = 0,
    init_std: float = math.sqrt(0.001),
    first_visible_bias: str = "data",
    gaussian_top: bool = True,
) -> tuple[list[RBM], list[dict]]:
    """Pretrain RBMs ``sizes[0]-sizes[1]``, ``sizes[1]-sizes[2]``, … greedily, bottom up.

    Args:
        data: training images [N, sizes[0]] in [0, 1].
        sizes: layer widths, e.g. (784, 1000, 500, 250, 30).
        configs: one :class:`RBMTraining` per RBM.
        seed: seeds the initial weights and the CD sampling of every layer.
        init_std: standard deviation of the initial weights.
        first_visible_bias: ``"data"`` (log-odds of the pixel means; He & Li) or ``"zero"`` (Hinton's
            code); the other layers' biases start at zero.
        gaussian_top: the top RBM has linear Gaussian hidden units (the code layer).

    Returns:
        The trained RBMs and one log per layer ``{"layer", "errors", "seconds"}``.
    """
    if len(sizes) < 2 or len(configs) != len(sizes) - 1:
        raise ValueError(f"need len(configs) == len(sizes) - 1, got {len(configs)} and {len(sizes)}")
    if first_visible_bias not in ("data", "zero"):
        raise ValueError(f"first_visible_bias must be 'data' or 'zero', got {first_visible_bias!r}")
    rbms, logs = [], []
    layer_data = data
    for i, (n_vis, n_hid, config) in enumerate(zip(sizes[:-1], sizes[1:], configs)):
        generator = torch.Generator().manual_seed(seed * 1000 + i)
        bias = data_visible_bias(layer_data) if (i == 0 and first_visible_bias == "data") else None
        hidden = "gaussian" if (gaussian_top and i == len(sizes) - 2) else "binary"
        rbm = RBM(n_vis, n_hid, hidden=hidden, init_std=init_std, visible_bias=bias,
                  generator=generator, dtype=data.dtype).to(data.device)
        clock = Clock(data.device)
        clock.start()
        errors = train_rbm(rbm, layer_data, config, seed=seed * 1000 + i)
        clock.stop("train")
        seconds = clock.total()
        logs.append({"layer": f"{n_vis}-{n_hid}", "hidden": hidden, "errors": errors, "seconds": seconds})
        rbms.append(rbm)
        if i < len(sizes) - 2:
            layer_data = upward(rbm, layer_data)
    return rbms, logs
