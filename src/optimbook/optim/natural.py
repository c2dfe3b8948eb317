"""Adaptive natural gradient descent: our reading of the survey's "ANGD".

The survey lists ANGD without a retrievable definition. We read it as the adaptive natural gradient
of Amari, Park & Fukumizu (2000): the natural gradient θ ← θ − η G⁻¹ g (Amari 1998), where G is the
Fisher information matrix, with G⁻¹ estimated recursively from the gradients seen so far instead
of being formed and inverted. Their update of the estimate (ε the averaging rate):

    Ĝ⁻¹ ← (1 + ε) Ĝ⁻¹ − ε (Ĝ⁻¹ v)(Ĝ⁻¹ v)ᵀ,        θ ← θ − η Ĝ⁻¹ g,

is the first-order expansion in ε of the exact inverse of the running average
Ĝ ← (1 − ε) Ĝ + ε v vᵀ, which ``update="exact"`` applies instead (Sherman-Morrison):

    Ĝ⁻¹ ← [Ĝ⁻¹ − ε u uᵀ / (1 − ε + ε vᵀu)] / (1 − ε),    u = Ĝ⁻¹ v.

In Amari et al.'s regression setting (Gaussian output noise) v is the gradient of the network's
output, v = ∇f(x), one example per step; feed such vectors with
:meth:`NaturalGradient.update_fisher` and ``fisher_from_grad=False``. By default
(``fisher_from_grad=True``) the optimizer feeds the loss gradient it steps with, the *empirical*
Fisher: convenient, but it vanishes where the fit is perfect, so its inverse grows and the step can
blow up late in training. The first-order recursion can also lose positive definiteness when
ε vᵀĜ⁻¹v is not small; the exact update cannot. The estimate is a dense P × P matrix over all
parameters, so this is for small models (``max_params``).
"""

from __future__ import annotations

from typing import Any

import torch

from optimbook._checks import _shown
from optimbook.optim._base import Optimizer, check_flag, check_number, check_rate, evaluate_closure

__all__ = ["NaturalGradient", "amari_inverse_update", "exact_inverse_update"]

UPDATES = ("amari", "exact")


def _subtract_outer(inv: torch.Tensor, u: torch.Tensor, alpha: float) -> None:
    """inv ← inv − α u uᵀ, then made exactly symmetric again.

    The rank-one update's rounding is not symmetric (entry (i, j) and (j, i) can be computed by
    different code paths), and the recursions multiply the estimate by 1 + ε or 1/(1 − ε) at every
    step, so an uncorrected antisymmetric part grows until it swamps the estimate. Averaging with
    the transpose, (A + Aᵀ)/2, is exactly symmetric because floating-point addition commutes.
    """
    inv.addr_(u, u, alpha=-alpha)
    inv.copy_(inv + inv.mT).mul_(0.5)


def amari_inverse_update(inv: torch.Tensor, v: torch.Tensor, eps: float) -> None:
    """Ĝ⁻¹ ← (1 + ε) Ĝ⁻¹ − ε (Ĝ⁻¹ v)(Ĝ⁻¹ v)ᵀ, in place (Amari, Park & Fukumizu 2000)."""
    u = inv @ v
    inv.mul_(1.0 + eps)
    _subtract_outer(inv, u, eps)


def exact_inverse_update(inv: torch.Tensor, v: torch.Tensor, eps: float) -> None:
    """Inverse of Ĝ ← (1 − ε) Ĝ + ε v vᵀ by Sherman-Morrison, in place (needs ε < 1)."""
    u = inv @ v
    denom = (1.0 - eps) + eps * torch.dot(v, u).item()
    _subtract_outer(inv, u, eps / denom)
    inv.div_(1.0 - eps)


def _is_dtensor(p: torch.Tensor) -> bool:
    try:
        from torch.distributed.tensor import DTensor
    except ImportError:  # pragma: no cover - torch built without distributed
        return False
    return isinstance(p, DTensor)


class NaturalGradient(Optimizer):
    """Adaptive natural gradient descent (ANGD; Amari, Park & Fukumizu 2000).

    Args:
        params: parameters or param groups (each group may have its own ``lr``; the Fisher options
            below are global and read from the first group); all parameters must share one device
            and dtype, and be real.
        lr: step size η ≥ 0, or a schedule ``step -> η`` (the step counts calls of :meth:`step`).
        eps: averaging rate ε of the Fisher estimate, in (0, 1).
        damping: the estimate starts at Ĝ = damping · I (damping > 0).
        update: ``"amari"`` (the paper's first-order recursion) or ``"exact"`` (Sherman-Morrison).
        fisher_from_grad: feed each step's gradient into the estimate before stepping (online
            ANGD); set ``False`` to drive the estimate with :meth:`update_fisher` only.
        max_params: refuse models with more parameters than this (the estimate is P × P).

    A param group added after the estimate exists extends it block-diagonally: the new parameters
    start with damping · I and no correlation with the old ones. Parameters sharded by FSDP2
    (DTensors) are refused: the estimate couples every pair of parameters, so each rank would need
    the whole gradient (use DDP, or gather the model).
    """

    _supports_complex = False

    def __init__(
        self,
        params,
        lr: float = 0.01,
        eps: float = 0.01,
        damping: float = 1.0,
        update: str = "amari",
        fisher_from_grad: bool = True,
        max_params: int = 10_000,
    ) -> None:
        lr = check_rate("lr", lr)
        eps = check_number("eps", eps, low=0.0, high=1.0, low_open=True, high_open=True)
        damping = check_number("damping", damping, low=0.0, low_open=True)
        self.max_params = check_number("max_params", max_params, low=1, integer=True)
        if not isinstance(update, str) or update not in UPDATES:
            raise ValueError(f"update must be one of {UPDATES}, got {update!r}")
        fisher_from_grad = check_flag("fisher_from_grad", fisher_from_grad)
        defaults = {"lr": lr, "eps": float(eps), "damping": float(damping), "update": update,
                    "fisher_from_grad": fisher_from_grad}
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group; checks the total size against ``max_params``, one device and dtype, no
        FSDP2 sharding, and extends an existing estimate with damping · I for the new parameters."""
        before = self._params()
        n_before = sum(p.numel() for p in before)
        super().add_param_group(param_group)
        new = self.param_groups[-1]["params"]
        try:
            for p in new:
                if _is_dtensor(p):
                    raise NotImplementedError(
                        "NaturalGradient does not support FSDP2 (fully_shard) or other DTensor"
                        " parameters: its P x P Fisher estimate couples every pair of parameters,"
                        " so each rank would need the whole gradient; use DDP instead"
                    )
            size = n_before + sum(p.numel() for p in new)
            if size > self.max_params:
                raise ValueError(
                    f"max_params must be >= P, the number of parameters, because NaturalGradient"
                    f" keeps a dense P x P inverse Fisher; P = {size} exceeds max_params ="
                    f" {self.max_params} (raise it if the memory, {size**2 * 4 / 2**20:.0f} MiB in"
                    " float32, is acceptable)"
                )
            if len({(p.device, p.dtype) for p in before + list(new)}) > 1:
                raise ValueError("NaturalGradient needs all parameters on one device with one dtype")
        except (ValueError, NotImplementedError):
            self.param_groups.pop()
            raise
        if before and "fisher_inverse" in self.state.get(before[0], {}):
            state = self.state[before[0]]
            old, m = state["fisher_inverse"], size - n_before
            grown = torch.zeros(size, size, dtype=old.dtype, device=old.device)
            grown[:n_before, :n_before] = old
            grown[n_before:, n_before:] = torch.eye(m, dtype=old.dtype, device=old.device) / (
                self.param_groups[0]["damping"])
            state["fisher_inverse"] = grown

    def _params(self) -> list[torch.Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    @property
    def fisher_inverse(self) -> torch.Tensor:
        """The current estimate Ĝ⁻¹ (P × P, parameters in param-group order)."""
        first = self._params()[0]
        state = self.state[first]
        if "fisher_inverse" not in state:
            n = sum(p.numel() for p in self._params())
            damping = self.param_groups[0]["damping"]
            state["fisher_inverse"] = torch.eye(n, dtype=first.dtype, device=first.device) / damping
            state["fisher_updates"] = 0
        return state["fisher_inverse"]

    @torch.no_grad()
    def update_fisher(self, vectors: torch.Tensor) -> None:
        """Feed per-example gradients (rows of ``vectors``, shape [n, P] or [P]) into Ĝ⁻¹."""
        inv = self.fisher_inverse
        vectors = vectors.reshape(-1, inv.shape[0]).to(inv)
        options = self.param_groups[0]  # the estimate is global: its options come from group 0
        apply = amari_inverse_update if options["update"] == "amari" else exact_inverse_update
        for v in vectors:
            apply(inv, v, options["eps"])
        self.state[self._params()[0]]["fisher_updates"] += len(vectors)

    @torch.no_grad()
    def natural_direction(self, grad: torch.Tensor) -> torch.Tensor:
        """Ĝ⁻¹ g for a flat gradient ``g`` (no update of the estimate)."""
        return self.fisher_inverse @ grad.reshape(-1).to(self.fisher_inverse)

    def _state_keys(self, group, p) -> dict[str, str]:
        # the estimate lives in the first parameter's state; the others keep none
        first = self._params()[0]
        if p is not first:
            return {}
        return {"fisher_inverse": "matrix", "fisher_updates": "count"}  # and "step" once stepped

    def _optional_state_keys(self, group, p) -> dict[str, str]:
        return {"step": "step"} if p is self._params()[0] else {}

    def _check_saved_state(self, group, p, state, what) -> None:
        super()._check_saved_state(group, p, state, what)
        inv = state.get("fisher_inverse")
        if inv is not None:
            n = sum(q.numel() for q in self._params())
            if not isinstance(inv, torch.Tensor) or inv.shape != (n, n):
                got = f"shape {tuple(inv.shape)}" if isinstance(inv, torch.Tensor) else _shown(inv)
                raise ValueError(f"{what}['fisher_inverse'] must be the {n} x {n} inverse Fisher"
                                 f" estimate, got {got}")

    @torch.no_grad()
    def step(self, closure=None) -> Any:
        """θ ← θ − η Ĝ⁻¹ g, after feeding g into Ĝ⁻¹ when ``fisher_from_grad`` (every group's
        rate computed and checked first: a failed step feeds nothing and moves nothing)."""
        loss = evaluate_closure(closure)
        params = self._params()
        if all(p.grad is None for p in params):
            return loss
        for p in params:
            if p.grad is not None and p.grad.is_sparse:
                raise RuntimeError("NaturalGradient does not support sparse gradients")
            if _is_dtensor(p):
                raise NotImplementedError("NaturalGradient does not support FSDP2 (DTensor) parameters")
        state = self.state.get(params[0])
        t = state.get("step", 0) if state else 0
        rates = [self._rates(group, t, f"param group {i}")["lr"] for i, group in enumerate(self.param_groups)]
        grad = torch.cat([
            (p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params
        ])
        if self.param_groups[0]["fisher_from_grad"]:
            self.update_fisher(grad)
        direction = self.natural_direction(grad)
        state = self.state[params[0]]
        offset = 0
        for group, lr in zip(self.param_groups, rates):
            for p in group["params"]:
                n = p.numel()
                if p.grad is not None:
                    p.add_(direction[offset:offset + n].view_as(p), alpha=-lr)
                offset += n
        state["step"] = t + 1
        return loss
