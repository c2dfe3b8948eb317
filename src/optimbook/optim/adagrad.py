"""AdaGrad (Duchi, Hazan & Singer 2011) in the two forms of the sources.

He & Li (2016) write the per-parameter learning rate with a constant K inside the root, eq. (12):

    η(t) = η(0) / sqrt(K + Σ_{s≤t} g(s)²),            θ ← θ − η(t) g(t),

and the MindSpore chapter's algorithm 4.1 adds a small δ outside it, r ← r + g², Δθ = −ε g/(δ + √r).
The class takes both: the accumulator starts at K, and ``eps`` (δ) is added after the root:

    r ← r + g²   (r(−1) = K),        θ ← θ − η g / (√r + eps).

``AdaGrad(lr, K=0, eps=1e-10)`` is ``torch.optim.Adagrad(lr)`` and ``AdaGrad(lr, K=1, eps=0)`` is the
paper's eq. (12), equal to ``torch.optim.Adagrad(lr, initial_accumulator_value=1, eps=0)``.
"""

from __future__ import annotations

import torch

from optimbook.optim._base import Optimizer, check_number, check_rate, fused_kernels, step_tensors

__all__ = ["AdaGrad", "adagrad_update"]


def adagrad_update(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    sums: list[torch.Tensor],
    *,
    lr: float,
    eps: float,
    grad_scale: float = 1.0,
) -> None:
    """r ← r + (s·g)²; θ ← θ − η g / (√r + eps) (He & Li eq. (12) with K in r; MindSpore alg. 4.1)."""
    torch._foreach_addcmul_(sums, grads, grads, value=grad_scale * grad_scale)  # r ← r + (s·g)²
    denom = torch._foreach_sqrt(sums)  # √(K + Σ g²)
    if eps:
        torch._foreach_add_(denom, eps)
    torch._foreach_addcdiv_(params, grads, denom, value=-lr)  # θ ← θ − η g / denom


class AdaGrad(Optimizer):
    """AdaGrad with K inside the root (He & Li eq. (12)) and eps outside it (MindSpore alg. 4.1).

    Args:
        params: parameters or param groups.
        lr: global learning rate η(0) ≥ 0, or a schedule ``step -> η``.
        K: initial value of the squared-gradient accumulator, K ≥ 0 (the paper uses K = 1).
        eps: δ ≥ 0 added to the root (torch's default 1e-10; the MindSpore box uses 1e-7).
        grad_scale: s > 0, the factor of the gradient inside the accumulator (default 1): with the
            loss summed over a mini-batch of N examples, ``1/N`` accumulates the gradient of the
            per-example mean loss while the update still uses the summed gradient.

    With ``K = eps = 0`` an element whose gradients have all been zero gets 0/0; keep one of them
    positive.
    """

    _counts_steps = False

    def __init__(self, params, lr: float = 0.01, K: float = 0.0, eps: float = 1e-10,
                 grad_scale: float = 1.0) -> None:
        lr = check_rate("lr", lr)
        K = check_number("K", K, low=0.0)
        eps = check_number("eps", eps, low=0.0)
        grad_scale = check_number("grad_scale", grad_scale, low=0.0, low_open=True)
        super().__init__(params, {"lr": lr, "K": K, "eps": eps, "grad_scale": float(grad_scale)})

    def _init_state(self, group, p, state, rates) -> None:
        # K for every real coordinate: a complex element is two of them (K + iK)
        K = complex(group["K"], group["K"]) if p.is_complex() else group["K"]
        state["sum"] = torch.full_like(p, K, memory_format=torch.preserve_format)

    def _state_keys(self, group, p) -> dict[str, str]:
        return {**super()._state_keys(group, p), "sum": "like"}

    def _update(self, group, params, grads, states, t, rates) -> None:
        sums = [s["sum"] for s in states]
        if group.get("grad_scale", 1.0) == 1.0 and fused_kernels(params):  # torch's fused kernel
            torch._fused_adagrad_(params, grads, sums, step_tensors(params, 1), lr=rates["lr"],
                                  lr_decay=0.0, weight_decay=0.0, eps=group["eps"], maximize=False,
                                  grad_scale=None, found_inf=None)
            return
        adagrad_update(params, grads, sums, lr=rates["lr"], eps=group["eps"],
                       grad_scale=group.get("grad_scale", 1.0))
