"""Adam (Kingma & Ba 2015) and its three descendants in the sources: AMSGrad, AdamW and Nadam.

Adam keeps exponential averages of the gradient and of its square and corrects their bias towards
zero (MindSpore alg. 4.3, whose γ1, γ2 are β1, β2 here):

    m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²,   m̂ = m / (1 − β1^t),   v̂ = v / (1 − β2^t),
    θ ← θ − η m̂ / (√v̂ + eps)                                           (t = 1 on the first step)

AMSGrad (Reddi, Kale & Kumar 2018) divides by the running maximum of v instead of v. AdamW
(Loshchilov & Hutter 2019) decays the weights directly, θ ← θ(1 − ηλ), before the Adam step, instead
of adding λθ to the gradient. Nadam (Dozat 2016) puts Nesterov's look-ahead into the first moment,
with torch's momentum-decay schedule μ_t = β1 (1 − ½·0.96^(t ψ)).
"""

from __future__ import annotations

import math

import torch

from optimbook.optim._base import Optimizer, check_number, check_rate, fused_kernels, step_tensors

__all__ = ["Adam", "AMSGrad", "AdamW", "Nadam", "adam_update", "nadam_update"]


def _check_betas(betas) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)):
        raise TypeError(f"betas must be a pair (beta1, beta2) in [0, 1), got {betas!r}")
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2) in [0, 1), got {betas!r}")
    b1, b2 = betas
    b1 = check_number("betas[0]", b1, low=0.0, high=1.0, high_open=True)
    b2 = check_number("betas[1]", b2, low=0.0, high=1.0, high_open=True)
    return float(b1), float(b2)


def _adam_defaults(lr, betas, eps, **extra) -> dict:
    """The checked defaults ``lr``, ``betas``, ``eps``, then each ``extra`` argument (a number >= 0)."""
    extra = {name: check_number(name, value, low=0.0) for name, value in extra.items()}
    lr = check_rate("lr", lr)
    b1, b2 = _check_betas(betas)
    eps = check_number("eps", eps, low=0.0)
    return {"lr": lr, "betas": (b1, b2), "eps": eps, **extra}


def adam_update(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    exp_avgs: list[torch.Tensor],
    exp_avg_sqs: list[torch.Tensor],
    max_exp_avg_sqs: list[torch.Tensor] | None,
    *,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> None:
    """One Adam step (AMSGrad when ``max_exp_avg_sqs`` is given); ``step`` counts from 1."""
    torch._foreach_lerp_(exp_avgs, grads, 1.0 - beta1)  # m ← β1 m + (1 − β1) g
    torch._foreach_mul_(exp_avg_sqs, beta2)  # v ← β2 v + (1 − β2) g²
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1.0 - beta2)
    bias_correction1 = 1.0 - beta1**step
    bias_correction2_sqrt = math.sqrt(1.0 - beta2**step)
    if max_exp_avg_sqs is not None:  # AMSGrad: v_max ← max(v_max, v)
        torch._foreach_maximum_(max_exp_avg_sqs, exp_avg_sqs)
        denom = torch._foreach_sqrt(max_exp_avg_sqs)
    else:
        denom = torch._foreach_sqrt(exp_avg_sqs)
    torch._foreach_div_(denom, bias_correction2_sqrt)  # √v̂ = √v / sqrt(1 − β2^t)
    torch._foreach_add_(denom, eps)
    # θ ← θ − η m̂ / (√v̂ + eps), with m̂ = m / (1 − β1^t) folded into the step size
    torch._foreach_addcdiv_(params, exp_avgs, denom, value=-lr / bias_correction1)


class Adam(Optimizer):
    """Adam, equal to ``torch.optim.Adam(params, lr, betas, eps)``.

    Args:
        params: parameters or param groups.
        lr: step size η ≥ 0 (MindSpore: 0.001), or a schedule ``step -> η``.
        betas: (β1, β2), each in [0, 1) (MindSpore: 0.9, 0.999).
        eps: δ ≥ 0 added to √v̂ (torch 1e-8; MindSpore 1e-7).
    """

    _amsgrad = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, _adam_defaults(lr, betas, eps))

    def _init_state(self, group, p, state, rates) -> None:
        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if self._amsgrad:
            state["max_exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def _state_keys(self, group, p) -> dict[str, str]:
        keys = {**super()._state_keys(group, p), "exp_avg": "like", "exp_avg_sq": "like"}
        return {**keys, "max_exp_avg_sq": "like"} if self._amsgrad else keys

    #: AdamW's decoupled decay (0 for Adam): the fused kernel applies θ ← θ(1 − ηλ) itself
    _decay_key: str | None = None

    def _update(self, group, params, grads, states, t, rates) -> None:
        beta1, beta2 = group["betas"]
        if fused_kernels(params):  # torch's fused kernel of the same rule (torch.optim's fused=True)
            decay = group[self._decay_key] if self._decay_key else 0.0
            kernel = torch._fused_adamw_ if decay else torch._fused_adam_
            kernel(params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                   [s["max_exp_avg_sq"] for s in states] if self._amsgrad else [],
                   step_tensors(params, t + 1), lr=rates["lr"], beta1=beta1, beta2=beta2,
                   weight_decay=decay, eps=group["eps"], amsgrad=self._amsgrad, maximize=False,
                   grad_scale=None, found_inf=None)
            return
        if self._decay_key and group[self._decay_key]:
            torch._foreach_mul_(params, 1.0 - rates["lr"] * group[self._decay_key])  # θ ← θ(1 − ηλ)
        adam_update(
            params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
            [s["max_exp_avg_sq"] for s in states] if self._amsgrad else None,
            step=t + 1, lr=rates["lr"], beta1=beta1,
            beta2=beta2, eps=group["eps"],
        )


class AMSGrad(Adam):
    """AMSGrad: Adam over the running maximum of v; equal to ``torch.optim.Adam(..., amsgrad=True)``."""

    _amsgrad = True


class AdamW(Adam):
    """AdamW, equal to ``torch.optim.AdamW(params, lr, betas, eps, weight_decay)``.

    Args:
        weight_decay: λ ≥ 0; each step first shrinks θ ← θ (1 − η λ), decoupled from the gradient.
    """

    def __init__(
        self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        defaults = _adam_defaults(lr, betas, eps, weight_decay=weight_decay)
        Optimizer.__init__(self, params, defaults)

    _decay_key = "weight_decay"  # θ ← θ(1 − ηλ) before the Adam step (see Adam._update)


def nadam_update(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    exp_avgs: list[torch.Tensor],
    exp_avg_sqs: list[torch.Tensor],
    *,
    step: int,
    mu_product: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    momentum_decay: float,
) -> float:
    """One Nadam step (torch's form of Dozat 2016); returns the new product Π μ_s."""
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))  # μ_t
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))  # μ_{t+1}
    mu_product *= mu
    torch._foreach_lerp_(exp_avgs, grads, 1.0 - beta1)  # m ← β1 m + (1 − β1) g
    torch._foreach_mul_(exp_avg_sqs, beta2)  # v ← β2 v + (1 − β2) g²
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1.0 - beta2)
    denom = torch._foreach_div(exp_avg_sqs, 1.0 - beta2**step)
    torch._foreach_sqrt_(denom)  # √v̂
    torch._foreach_add_(denom, eps)
    # θ ← θ − η [(1 − μ_t)/(1 − Π_{s≤t} μ_s) g + μ_{t+1}/(1 − Π_{s≤t+1} μ_s) m] / (√v̂ + eps)
    torch._foreach_addcdiv_(params, grads, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
    torch._foreach_addcdiv_(
        params, exp_avgs, denom, value=-lr * mu_next / (1.0 - mu_product * mu_next)
    )
    return mu_product


class Nadam(Optimizer):
    """Nadam, equal to ``torch.optim.NAdam(params, lr, betas, eps, momentum_decay=momentum_decay)``.

    Args:
        params: parameters or param groups.
        lr: step size η ≥ 0, or a schedule ``step -> η``.
        betas: (β1, β2), each in [0, 1).
        eps: ε ≥ 0 added to √v̂.
        momentum_decay: ψ ≥ 0 of the schedule μ_t = β1 (1 − ½·0.96^(t ψ)).
    """

    def __init__(
        self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
        momentum_decay: float = 4e-3,
    ) -> None:
        super().__init__(params, _adam_defaults(lr, betas, eps, momentum_decay=momentum_decay))

    def _init_state(self, group, p, state, rates) -> None:
        state["mu_product"] = 1.0
        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def _state_keys(self, group, p) -> dict[str, str]:
        return {**super()._state_keys(group, p), "mu_product": "number", "exp_avg": "like",
                "exp_avg_sq": "like"}

    def _update(self, group, params, grads, states, t, rates) -> None:
        beta1, beta2 = group["betas"]
        # Parameters of one bucket share their step count, hence their product of μ's.
        new_product = nadam_update(
            params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
            step=t + 1, mu_product=states[0]["mu_product"], lr=rates["lr"], beta1=beta1,
            beta2=beta2, eps=group["eps"], momentum_decay=group["momentum_decay"],
        )
        for s in states:
            s["mu_product"] = new_product
