"""Gradient descent, momentum and Nesterov's accelerated gradient.

Plain gradient descent is the survey's eq. (1)-(3) (batch, stochastic and mini-batch forms differ only
in how many examples the gradient averages) and He & Li's eq. (4)-(5):

    θ ← θ − η g.

Momentum and Nesterov come in two algebraically different forms. torch.optim's (``form="torch"``,
the default) keeps a buffer of gradients and applies the current learning rate to all of it:

    b ← μ b + g,            θ ← θ − η b                  (momentum)
    b ← μ b + g,            θ ← θ − η (g + μ b)          (Nesterov)

Sutskever et al. (2013, eq. (1)-(4)) keep a velocity in parameter units, into which each step's own
learning rate has already been multiplied (``form="sutskever"``); Nesterov's look-ahead gradient is
taken at θ + μv, which after the change of variables φ = θ + μv (Bengio et al. 2013) reads:

    v ← μ v − η g,          θ ← θ + v                    (momentum)
    v ← μ v − η g,          φ ← φ + μ v − η g            (Nesterov)

With a constant η the two forms give the same iterates (v = −η b); they differ once η changes.
"""

from __future__ import annotations

import torch

from optimbook.optim._base import Optimizer, check_number, check_rate, fused_kernels

__all__ = ["SGD", "Momentum", "Nesterov", "sgd_update", "momentum_update"]

_FORMS = ("torch", "sutskever")


def sgd_update(params: list[torch.Tensor], grads: list[torch.Tensor], *, lr: float) -> None:
    """θ ← θ − η g (survey eq. (1)-(3); He & Li eq. (4))."""
    torch._foreach_add_(params, grads, alpha=-lr)


def momentum_update(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    buffers: list[torch.Tensor],
    *,
    lr: float,
    momentum: float,
    nesterov: bool,
    form: str,
) -> None:
    """One momentum or Nesterov step on buffers that already exist (see the module docstring)."""
    if form == "torch":
        torch._foreach_mul_(buffers, momentum)  # b ← μ b + g
        torch._foreach_add_(buffers, grads)
        if nesterov:  # θ ← θ − η (g + μ b)
            torch._foreach_add_(params, torch._foreach_add(grads, buffers, alpha=momentum), alpha=-lr)
        else:  # θ ← θ − η b
            torch._foreach_add_(params, buffers, alpha=-lr)
    else:
        torch._foreach_mul_(buffers, momentum)  # v ← μ v − η g
        torch._foreach_add_(buffers, grads, alpha=-lr)
        if nesterov:  # φ ← φ + μ v − η g
            torch._foreach_add_(params, buffers, alpha=momentum)
            torch._foreach_add_(params, grads, alpha=-lr)
        else:  # θ ← θ + v
            torch._foreach_add_(params, buffers)


class SGD(Optimizer):
    """Plain (stochastic, mini-batch or batch) gradient descent, θ ← θ − η g.

    Equals ``torch.optim.SGD(params, lr)``. Whether it is batch, stochastic or mini-batch gradient
    descent depends only on how many examples the loss behind ``g`` averages over.

    Args:
        params: parameters or param groups.
        lr: learning rate η ≥ 0, or a schedule ``step -> η`` (see :mod:`optimbook.optim._base`).
    """

    _counts_steps = False

    def __init__(self, params, lr: float = 1e-3) -> None:
        super().__init__(params, {"lr": check_rate("lr", lr)})

    def _update(self, group, params, grads, states, t, rates) -> None:
        sgd_update(params, grads, lr=rates["lr"])


class Momentum(Optimizer):
    """Gradient descent with (heavy-ball) momentum.

    ``form="torch"`` equals ``torch.optim.SGD(params, lr, momentum=momentum)``; ``form="sutskever"``
    is Sutskever et al. (2013)'s velocity form (same iterates for a constant learning rate).

    Args:
        params: parameters or param groups.
        lr: learning rate η ≥ 0, or a schedule ``step -> η``.
        momentum: μ in [0, 1).
        form: ``"torch"`` or ``"sutskever"``.
    """

    _nesterov = False

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.9, *, form: str = "torch"):
        lr = check_rate("lr", lr)
        momentum = check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)
        if not isinstance(form, str) or form not in _FORMS:
            raise ValueError(f"form must be one of {_FORMS}, got {form!r}")
        super().__init__(params, {"lr": lr, "momentum": momentum, "form": form})

    _counts_steps = False

    def _init_state(self, group, p, state, rates) -> None:
        # b = 0 (or v = 0), so the first step gives b = g (v = −η g), as torch.optim.SGD does.
        state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def _state_keys(self, group, p) -> dict[str, str]:
        return {**super()._state_keys(group, p), "momentum_buffer": "like"}

    def _update(self, group, params, grads, states, t, rates) -> None:
        bufs = [state["momentum_buffer"] for state in states]
        # torch's fused kernel of the same rule; it keeps no buffer at μ = 0, where the buffer the
        # state holds (b = g) is the equations' own, so that case stays with them
        if group["form"] == "torch" and group["momentum"] and fused_kernels(params):
            # b starts at 0, so the first step's b = μ·0 + g = g, as torch's first step sets it
            torch._fused_sgd_(params, grads, bufs, weight_decay=0.0, momentum=group["momentum"],
                              lr=rates["lr"], dampening=0.0, nesterov=self._nesterov, maximize=False,
                              is_first_step=False, grad_scale=None, found_inf=None)
            return
        momentum_update(
            params,
            grads,
            bufs,
            lr=rates["lr"],
            momentum=group["momentum"],
            nesterov=self._nesterov,
            form=group["form"],
        )


class Nesterov(Momentum):
    """Nesterov's accelerated gradient.

    ``form="torch"`` equals ``torch.optim.SGD(params, lr, momentum=momentum, nesterov=True)``;
    ``form="sutskever"`` is Sutskever et al. (2013, eq. (3)-(4)) after the change of variables
    φ = θ + μv (same iterates for a constant learning rate).
    """

    _nesterov = True

