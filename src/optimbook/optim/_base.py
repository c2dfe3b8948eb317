"""The base every ``optimbook`` optimizer shares with torch.optim's own classes.

An optimizer here is a :class:`torch.optim.Optimizer` whose ``step`` gathers, for each param group,
the parameters that have a gradient (a parameter whose ``grad`` is ``None`` is skipped and its state
does not advance) and hands them, bucketed by device, dtype and step count, to one update function
written with multi-tensor ``torch._foreach_*`` ops. The update functions live beside each class and
read like the equations they implement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..runtime import check_number

__all__ = ["Optimizer", "check_number"]


class Optimizer(torch.optim.Optimizer):
    """Template for the package's optimizers.

    Subclasses set ``defaults`` through ``super().__init__`` and implement
    ``_init_state`` (fill ``self.state[p]`` on the first step of ``p``) and
    ``_update`` (apply one step to a bucket of parameters that share a group, a device, a dtype
    and a step count ``t``, the number of steps those parameters have already taken).
    """

    #: Whether the update needs the per-parameter step count ``t`` (kept in ``state[p]["step"]``).
    _counts_steps: bool = True
    #: Largest number of elements handed to one multi-tensor call. Bigger lists save dispatches but
    #: make each temporary larger than the caches (and, on CPU, fresh memory pages on every step);
    #: measured with ``benchmarks/optimizer_step.py``.
    _chunk_numel: int = 1 << 20

    def _init_state(self, group: dict[str, Any], p: torch.Tensor, state: dict[str, Any]) -> None:
        """Create the state of ``p`` (called once, on its first step)."""

    def _update(
        self,
        group: dict[str, Any],
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        states: list[dict[str, Any]],
        t: int,
    ) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Take one optimization step; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group: dict[str, Any]) -> None:
        buckets: dict[tuple, tuple[list, list, list]] = {}
        sizes: dict[tuple, int] = {}
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            if grad.is_sparse:
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            state = self.state[p]
            if not state:
                if self._counts_steps:
                    state["step"] = 0
                self._init_state(group, p, state)
            t = state.get("step", 0)
            key = (p.device, p.dtype, t, 0)
            if sizes.get(key, 0) and sizes[key] + p.numel() > self._chunk_numel:
                # start a new chunk of this bucket
                n = 1
                while sizes.get((p.device, p.dtype, t, n), 0) and (
                    sizes[(p.device, p.dtype, t, n)] + p.numel() > self._chunk_numel
                ):
                    n += 1
                key = (p.device, p.dtype, t, n)
            sizes[key] = sizes.get(key, 0) + p.numel()
            bucket = buckets.setdefault(key, ([], [], []))
            bucket[0].append(p)
            bucket[1].append(grad)
            bucket[2].append(state)
        for (_, _, t, _), (params, grads, states) in buckets.items():
            self._update(group, params, grads, states, t)
            if self._counts_steps:
                for state in states:
                    state["step"] = t + 1

