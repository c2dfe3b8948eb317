"""Looking inside optimizers: the rate each element actually receives, and lockstep comparisons.

- :func:`record_applied_rates` hooks an optimizer and records, at every step, the *applied rate*
  (θ_t − θ_{t+1}) / g_t of a fixed random sample of parameter elements: the effective per-element
  learning rate of any rule, measured from outside, whatever its formula.
- :func:`max_difference` runs two optimizers in lockstep on a small fixed problem and returns their
  largest parameter difference (a quick numerical check shown in the chapters; the real
  verification is the test suite's conformance table).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from optimlab.runtime import check_number
from optimlab.training.loop import train_step

__all__ = ["max_difference", "record_applied_rates"]


def record_applied_rates(
    optimizer: torch.optim.Optimizer, n_sample: int = 2000, seed: int = 0
) -> list[torch.Tensor]:
    """Record the applied rate (θ_t − θ_{t+1}) / g_t of ``n_sample`` elements at every step.

    Registers step pre- and post-hooks on ``optimizer``. Each step appends one CPU tensor of length
    ``n_sample`` (NaN where g_t = 0) to the returned list. The sample is drawn once, uniformly over
    all elements of all param groups, with ``seed``. Use float64 parameters when the steps are small
    relative to the parameters, so the subtraction keeps its precision.
    """
    check_number("n_sample", n_sample, low=1, integer=True)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    total = sum(p.numel() for p in params)
    idx = torch.randperm(total, generator=torch.Generator().manual_seed(seed))[: min(n_sample, total)]
    rows: list[torch.Tensor] = []
    saved: dict[str, torch.Tensor] = {}

    def flat(tensors) -> torch.Tensor:
        return torch.cat([t.detach().reshape(-1).cpu() for t in tensors])[idx]

    def before(opt, args, kwargs) -> None:
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        saved["theta"], saved["grad"] = flat(params), flat(grads)

    def after(opt, args, kwargs) -> None:
        g = saved["grad"]
        rate = (saved["theta"] - flat(params)) / g
        rate[g == 0] = float("nan")
        rows.append(rate)

    optimizer.register_step_pre_hook(before)
    optimizer.register_step_post_hook(after)
    return rows


def max_difference(
    make_a: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    make_b: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    steps: int = 25,
    seed: int = 0,
) -> float:
    """Largest parameter difference after ``steps`` lockstep steps of two optimizers (float64).

    The problem has three tensors (a matrix, a vector, another matrix) and the loss
    Σ_i (1 + i) ‖θ_i − target_i‖² + 0.01 Σ θ³, so gradients differ in scale between tensors and
    change along the run. Each step is :func:`~optimlab.training.loop.train_step`.
    """
    check_number("steps", steps, low=0, integer=True)
    g = torch.Generator().manual_seed(seed)
    shapes = [(5, 3), (3,), (4, 2)]
    targets = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    start = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    runs = []
    for make in (make_a, make_b):
        params = [s.clone().requires_grad_() for s in start]
        opt = make(params)

        def loss(params=params):
            return sum(((p - q) ** 2 * (1 + i)).sum() + 0.01 * (p**3).sum()
                       for i, (p, q) in enumerate(zip(params, targets)))

        for _ in range(steps):
            train_step(opt, loss, params=params)
        runs.append(params)
    return max((a - b).abs().max().item() for a, b in zip(*runs))
