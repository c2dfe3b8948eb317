"""RMSProp (Tieleman & Hinton 2012) and Adadelta (Zeiler 2012).

RMSProp replaces AdaGrad's sum of squared gradients by an exponential average (MindSpore alg. 4.2;
the RMSprop article of source 003):

    v ← α v + (1 − α) g²,            θ ← θ − η g / (√v + eps).

The same article describes a *masked* ("sparse") update: the average is kept for every element, but
only the elements an indicator selects move, θ ← θ − η (g ⊙ m) / (√v + eps). :meth:`RMSProp.set_mask`
attaches such an indicator to a parameter.

Adadelta removes the global rate by scaling each step with the RMS of past steps (Zeiler 2012,
alg. 1):

    v ← ρ v + (1 − ρ) g²,   Δ = sqrt(u + eps) / sqrt(v + eps) ⊙ g,   u ← ρ u + (1 − ρ) Δ²,   θ ← θ − η Δ.
"""

from __future__ import annotations

import torch

from optimbook.optim._base import Optimizer, check_number, check_rate

__all__ = ["RMSProp", "Adadelta", "rmsprop_update", "adadelta_update"]


def rmsprop_update(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    square_avgs: list[torch.Tensor],
    *,
    lr: float,
    alpha: float,
    eps: float,
    masks: list[torch.Tensor | None] | None = None,
) -> None:
    """v ← α v + (1 − α) g²; θ ← θ − η (g ⊙ m) / (√v + eps) (m = 1 without a mask)."""
    torch._foreach_mul_(square_avgs, alpha)  # v ← α v + (1 − α) g²
    torch._foreach_addcmul_(square_avgs, grads, grads, value=1.0 - alpha)
    denom = torch._foreach_sqrt(square_avgs)
    torch._foreach_add_(denom, eps)
    if masks is not None:
        grads = [g if m is None else g * m for g, m in zip(grads, masks)]  # g ⊙ m
    torch._foreach_addcdiv_(params, grads, denom, value=-lr)  # θ ← θ − η g / (√v + eps)


def adadelta_update(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    square_avgs: list[torch.Tensor],
    acc_deltas: list[torch.Tensor],
    *,
    lr: float,
    rho: float,
    eps: float,
) -> None:
    """Zeiler (2012) alg. 1 with torch's placement of eps and the extra global rate η."""
    torch._foreach_mul_(square_avgs, rho)  # v ← ρ v + (1 − ρ) g²
    torch._foreach_addcmul_(square_avgs, grads, grads, value=1.0 - rho)
    std = torch._foreach_add(square_avgs, eps)
    torch._foreach_sqrt_(std)  # RMS[g] = sqrt(v + eps)
    delta = torch._foreach_add(acc_deltas, eps)
    torch._foreach_sqrt_(delta)  # RMS[Δθ] = sqrt(u + eps)
    torch._foreach_div_(delta, std)
    torch._foreach_mul_(delta, grads)  # Δ = RMS[Δθ]/RMS[g] ⊙ g
    torch._foreach_mul_(acc_deltas, rho)  # u ← ρ u + (1 − ρ) Δ²
    torch._foreach_addcmul_(acc_deltas, delta, delta, value=1.0 - rho)
    torch._foreach_add_(params, delta, alpha=-lr)  # θ ← θ − η Δ


class RMSProp(Optimizer):
    """RMSProp, equal to ``torch.optim.RMSprop(params, lr, alpha, eps)``, with optional masks.

    Args:
        params: parameters or param groups.
        lr: learning rate η ≥ 0 or a schedule ``step -> η`` (torch's default 0.01; the MindSpore box leaves ε to the user).
        alpha: decay α in [0, 1) of the squared-gradient average (MindSpore's γ = 0.9; torch 0.99).
        eps: δ ≥ 0 added to the root (torch 1e-8; MindSpore 1e-7).
    """

    _counts_steps = False

    def __init__(self, params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8) -> None:
        lr = check_rate("lr", lr)
        alpha = check_number("alpha", alpha, low=0.0, high=1.0, high_open=True)
        eps = check_number("eps", eps, low=0.0)
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps})

    def set_mask(self, param: torch.Tensor, mask: torch.Tensor | None) -> None:
        """Move only the elements of ``param`` where ``mask`` is nonzero (``None`` removes the mask).

        The squared-gradient average still sees every element's gradient; the mask is kept in the
        optimizer's state, so it is saved by ``state_dict``.
        """
        if not any(param is p for group in self.param_groups for p in group["params"]):
            raise ValueError("param must be one of this optimizer's parameters")
        if param.is_complex() and mask is not None:
            raise TypeError("RMSProp.set_mask does not support complex parameters (a mask selects"
                            " real elements)")
        if mask is not None:
            mask = torch.as_tensor(mask, device=param.device)
            try:
                torch.broadcast_shapes(mask.shape, param.shape)
            except RuntimeError as err:
                raise ValueError(
                    f"mask of shape {tuple(mask.shape)} does not broadcast to {tuple(param.shape)}"
                ) from err
            mask = mask.to(param.dtype)
        self.state[param]["mask"] = mask

    def _init_state(self, group, p, state, rates) -> None:
        state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def _needs_state(self, state) -> bool:
        return "square_avg" not in state  # a mask set before the first step leaves it non-empty

    def _state_keys(self, group, p) -> dict[str, str]:
        return {**super()._state_keys(group, p), "square_avg": "like"}

    def _optional_state_keys(self, group, p) -> dict[str, str]:
        return {**super()._optional_state_keys(group, p), "mask": "mask"}

    def _update(self, group, params, grads, states, t, rates) -> None:
        masks = [s.get("mask") for s in states]
        rmsprop_update(
            params, grads, [s["square_avg"] for s in states], lr=rates["lr"], alpha=group["alpha"],
            eps=group["eps"], masks=masks if any(m is not None for m in masks) else None,
        )


class Adadelta(Optimizer):
    """Adadelta, equal to ``torch.optim.Adadelta(params, lr, rho, eps)``.

    Args:
        params: parameters or param groups.
        lr: global rate η ≥ 0 (or a schedule ``step -> η``) multiplying Zeiler's step (1.0 is Zeiler's algorithm).
        rho: decay ρ in [0, 1] of both running averages.
        eps: ε ≥ 0 inside both roots.
    """

    _counts_steps = False

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6) -> None:
        lr = check_rate("lr", lr)
        rho = check_number("rho", rho, low=0.0, high=1.0)
        eps = check_number("eps", eps, low=0.0)
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps})

    def _init_state(self, group, p, state, rates) -> None:
        state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["acc_delta"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def _state_keys(self, group, p) -> dict[str, str]:
        return {**super()._state_keys(group, p), "square_avg": "like", "acc_delta": "like"}

    def _update(self, group, params, grads, states, t, rates) -> None:
        adadelta_update(
            params, grads, [s["square_avg"] for s in states], [s["acc_delta"] for s in states],
            lr=rates["lr"], rho=group["rho"], eps=group["eps"],
        )
