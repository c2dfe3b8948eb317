"""AdaDec (Senior, Heigold, Ranzato & Yang 2013) as He & Li (2016) write it, eq. (13)-(15):

    η(t) = p(t) / sqrt(K + G(t)),                                     (13)
    G(t) = ξ g(t−1)² + g(t)²,                                          (14)
    p(t) = η(0) (1 + t/R)^(−q),                                        (15)

with K = 1, ξ = 0.999, q = 0.75, R the total number of steps, and t the number of steps already taken
(t = 0 on the first step, g(−1) = 0). Eq. (14) as printed keeps only the last two gradients; Senior et
al.'s own AdaDec accumulates all of them with decay ξ, G(t) = ξ G(t−1) + g(t)² (``recursive=True``).

p(t) is a schedule: ``AdaDec(params, lr=η0, q=q, total_steps=R)`` is shorthand for
``AdaDec(params, lr=optimbook.schedules.power_decay(η0, R, q))``, and any other schedule can be
given as ``lr`` instead (e.g. p(t) with t counting epochs, ``per_epoch(power_decay(η0, R, q), n)``).
"""

from __future__ import annotations

import functools

import torch

from optimbook.optim._base import Optimizer, check_flag, check_number, check_rate, is_schedule

__all__ = ["AdaDec", "adadec_update"]


@functools.lru_cache(maxsize=64)
def unit_power_decay(total_steps: int, q: float):
    """(1 + t/R)^(−q) as a schedule: ``power_decay(1.0, R, q)``, the factor of He & Li eq. (15) and
    (17)-(18) (``lr * unit_power_decay(R, q)(t)`` equals ``power_decay(lr, R, q)(t)`` bit for bit)."""
    from optimbook.schedules import power_decay

    return power_decay(1.0, total_steps, q)


def check_total_steps(total_steps, scheduled: bool, left_out: str, required: str) -> int | None:
    """R of the power-decay shorthand: ``None`` when the rate is a schedule (``total_steps`` must
    then be left out, else ``ValueError(left_out)``), otherwise an integer >= 1 (``None`` raises
    ``ValueError(required)``)."""
    if scheduled:
        if total_steps is not None:
            raise ValueError(left_out)
        return None
    if total_steps is None:
        raise ValueError(required)
    return check_number("total_steps", total_steps, low=1, integer=True)


def adadec_update(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    accumulators: list[torch.Tensor],
    *,
    rate: float,
    K: float,
    xi: float,
    recursive: bool,
    grad_scale: float = 1.0,
) -> list[torch.Tensor] | None:
    """θ ← θ − p(t) g / sqrt(K + G(t)) (He & Li eq. (13)-(15)).

    ``accumulators`` hold g(t−1)² (literal eq. (14)) or G(t−1) (``recursive``). The recursive form
    updates them in place and returns ``None``; the literal form overwrites them with scratch values
    and returns the new g(t)² tensors, which the caller stores for the next step. ``grad_scale`` s
    puts s·g in place of g inside G (not in the update).
    """
    if recursive:
        torch._foreach_mul_(accumulators, xi)  # G(t) = ξ G(t−1) + g(t)²
        torch._foreach_addcmul_(accumulators, grads, grads, value=grad_scale * grad_scale)
        denom = torch._foreach_add(accumulators, K)
        new_squares = None
    else:
        new_squares = torch._foreach_mul(grads, grads)  # g(t)², kept for the next step
        if grad_scale != 1.0:
            torch._foreach_mul_(new_squares, grad_scale * grad_scale)
        denom = accumulators  # g(t−1)² is not needed after this step: reuse its memory
        torch._foreach_mul_(denom, xi)  # G(t) = ξ g(t−1)² + g(t)²   (14)
        torch._foreach_add_(denom, new_squares)
        torch._foreach_add_(denom, K)
    torch._foreach_sqrt_(denom)  # sqrt(K + G(t))
    torch._foreach_addcdiv_(params, grads, denom, value=-rate)  # θ ← θ − p(t) g / sqrt(K + G(t))  (13)
    return new_squares


class AdaDec(Optimizer):
    """AdaDec: a power-decayed rate over the root of recent squared gradients (He & Li eq. (13)-(15)).

    Args:
        params: parameters or param groups.
        lr: η(0) ≥ 0, the rate at t = 0 (decayed by p(t) as below), or a schedule ``step -> p(t)``
            (then ``q`` and ``total_steps`` are not used and ``total_steps`` must be left out).
        K: constant inside the root, K > 0 (the paper: 1).
        xi: decay ξ in [0, 1] of the previous squared gradient (the paper: 0.999).
        q: exponent q ≥ 0 of the power decay p(t) (the paper: 0.75).
        total_steps: R ≥ 1, the number of steps of the run (required unless ``lr`` is a schedule).
        recursive: ``False`` (default) uses eq. (14) as printed, G(t) = ξ g(t−1)² + g(t)²;
            ``True`` uses Senior et al.'s recursion G(t) = ξ G(t−1) + g(t)².
        grad_scale: s > 0, the factor of the gradient inside G (default 1): with the loss summed
            over a mini-batch of N examples, ``1/N`` computes G from the gradient of the
            per-example mean loss while the update still uses the summed gradient.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        K: float = 1.0,
        xi: float = 0.999,
        q: float = 0.75,
        total_steps: int | None = None,
        recursive: bool = False,
        grad_scale: float = 1.0,
    ) -> None:
        lr = check_rate("lr", lr)
        K = check_number("K", K, low=0.0, low_open=True)
        xi = check_number("xi", xi, low=0.0, high=1.0)
        q = check_number("q", q, low=0.0)
        total_steps = check_total_steps(
            total_steps, is_schedule(lr),
            "total_steps (R of p(t) = lr (1 + t/R)^-q) must be left out when lr is a"
            " schedule: the schedule is p(t)",
            "total_steps (R in p(t) = lr (1 + t/R)^-q) is required, an integer >= 1"
            " (or give a schedule as lr)",
        )
        recursive = check_flag("recursive", recursive)
        grad_scale = check_number("grad_scale", grad_scale, low=0.0, low_open=True)
        defaults = {"lr": lr, "K": K, "xi": xi, "q": q, "total_steps": total_steps,
                    "recursive": recursive, "grad_scale": float(grad_scale)}
        super().__init__(params, defaults)

    def _init_state(self, group, p, state, rates) -> None:
        # g(−1)² = 0 (literal) or G(−1) = 0 (recursive)
        state["accumulator"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def _state_keys(self, group, p) -> dict[str, str]:
        return {**super()._state_keys(group, p), "accumulator": "like"}

    def _rates(self, group, t, where) -> dict[str, float]:
        rates = super()._rates(group, t, where)
        if group["total_steps"] is not None:  # p(t) = η(0) (1 + t/R)^(−q)  (15)
            rates["lr"] = rates["lr"] * unit_power_decay(group["total_steps"], group["q"])(t)
        return rates

    def _update(self, group, params, grads, states, t, rates) -> None:
        acc = [s["accumulator"] for s in states]
        squares = adadec_update(
            params, grads, acc, rate=rates["lr"], K=group["K"], xi=group["xi"], recursive=group["recursive"],
            grad_scale=group.get("grad_scale", 1.0),
        )
        if squares is not None:
            for state, sq in zip(states, squares):
                state["accumulator"] = sq
