"""What an optimizer step costs: the element-wise kernels it launches and the time it takes.

Two measurements the book's chapter on AdaMix makes, as one call each:

- :func:`kernel_counts`: the element-wise operators one ``step()`` of each rule calls on a weight
  matrix and on a bias vector: ``torch._foreach_*`` equations, or one of torch's fused optimizer
  kernels (``torch._fused_*``, one pass); the passes over the parameters its code makes;
- :func:`step_times`: the time of one ``step()`` of each rule on a model's parameters with fixed
  gradients, the rules interleaved round by round, and of one forward and backward pass of the
  model for scale, with the :class:`~optimlab.training.clock.Clock`. On the CPU it times with one
  thread and measures that thread's CPU time (``time.thread_time``), which other processes on a
  shared machine do not inflate; on a GPU it measures the device's time with CUDA events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from optimlab.training.clock import Clock
from optimlab.training.losses import reconstruction_error

__all__ = ["CountKernels", "kernel_counts", "StepTimes", "step_times"]


class CountKernels(TorchDispatchMode):
    """Record the name of every aten operator called while active."""

    def __init__(self):
        super().__init__()
        self.names: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.names.append(func.overloadpacket.__name__)
        return func(*args, **(kwargs or {}))


def kernel_counts(
    rules: Mapping[str, Callable[[list[torch.Tensor]], torch.optim.Optimizer]],
    shapes: Mapping[str, tuple[int, ...]] | None = None,
):
    """For each rule (a function ``params -> optimizer``), the ``_foreach``/``_fused`` operators of one step
    (after the first, which creates the state) on a tensor of each role's shape: a table with
    ``kernels per <role>`` (the count) and ``<role>: which`` (their names), one row per rule."""
    import pandas as pd

    shapes = dict(shapes or {"weight": (20, 30), "bias": (20,)})
    rows = {}
    for name, make in rules.items():
        row = {}
        for role, shape in shapes.items():
            p = torch.zeros(shape, requires_grad=True)
            opt = make([p])
            p.grad = torch.randn(shape)
            opt.step()  # the first step creates the state
            with CountKernels() as counter:
                opt.step()
            element_wise = [n for n in counter.names if n.startswith(("_foreach", "_fused"))]
            row[f"kernels per {role}"] = len(element_wise)
            row[f"{role}: which"] = ", ".join(n.removeprefix("_foreach_").removeprefix("_fused_") for n in element_wise)
        rows[name] = row
    return pd.DataFrame(rows).T


@dataclass
class StepTimes:
    """Seconds of each timed ``step()`` per rule, of each forward and backward pass, the clock used,
    and the model's parameter counts."""

    steps: dict[str, list[float]]
    forward_backward: list[float]
    clock: str
    n_weights: int
    n_biases: int


def step_times(
    rules: Mapping[str, Callable[[list[torch.Tensor]], torch.optim.Optimizer]],
    model: Callable[[], torch.nn.Module],
    batch: torch.Tensor,
    *,
    repeats: int,
    warmup: int = 3,
    seed: int = 0,
    grad_scale: float = 1e-2,
) -> StepTimes:
    """Time one ``step()`` of every rule on the parameters of ``model()`` (a fresh model per rule,
    with the same fixed random gradients), ``warmup + repeats`` rounds with the rules in
    alternating order, keeping the last ``repeats``; then one forward and backward pass of a fresh
    ``model()`` on ``batch`` with the summed squared reconstruction error
    (:func:`~optimlab.training.losses.reconstruction_error`). The device is the model's."""
    probe = model()
    device = next(probe.parameters()).device
    # one thread's CPU time on the CPU (other processes do not inflate it); CUDA events on a GPU
    clock = Clock(device, host=time.thread_time if device.type == "cpu" else time.perf_counter)
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)
    try:
        optimizers = {}
        for name, make in rules.items():
            torch.manual_seed(seed)
            params = list(model().parameters())
            for p in params:
                p.grad = torch.randn_like(p) * grad_scale
            optimizers[name] = make(params)
        n_weights = sum(p.numel() for p in params if p.ndim >= 2)
        n_biases = sum(p.numel() for p in params if p.ndim < 2)
        for i in range(warmup + repeats):
            for name in (list(rules) if i % 2 == 0 else list(reversed(rules))):
                clock.start()
                optimizers[name].step()
                clock.stop(name if i >= warmup else "warm-up")
        steps = {name: clock.laps(name) for name in rules}
        del optimizers
        net = model()
        for i in range(warmup + repeats):
            clock.start()
            net.zero_grad(set_to_none=True)
            reconstruction_error(net(batch), batch).backward()
            clock.stop("forward-backward" if i >= warmup else "warm-up")
        fb = clock.laps("forward-backward")
    finally:
        torch.set_num_threads(threads)
    name = "CPU time of one thread" if device.type == "cpu" else "wall-clock time"
    return StepTimes(steps, fb, name, n_weights, n_biases)
