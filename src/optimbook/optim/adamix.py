"""AdaMix (He & Li 2016, eq. (16)-(18)): a per-element rate for weights, a shared power rate for biases.

Weights get a rate of their own, shrunk at every step by the current gradient alone:

    α_ij(t) = α_ij(t−1) / sqrt(K + g_ij(t)²),   α_ij(−1) = η(0),       θ_ij ← θ_ij − α_ij(t) g_ij(t)   (16)

and every bias (visible and hidden) shares one power-decayed rate:

    β(t) = β(0) (1 + t/R)^(−q),                 b ← b − β(t) g(t)                               (17)-(18)

with K = 1, q = 0.75, R the total number of steps and t the number of steps already taken. A tensor
with two or more dimensions is a weight and anything else a bias, unless its param group says
otherwise with ``role="weight"`` or ``role="bias"`` (the paper's Exp. 4 gives biases the weight rule;
the rule is :func:`~optimbook.optim.roles.role_of`).

β(t) is a schedule: with a constant bias rate, ``q`` and ``total_steps`` are shorthand for
``bias_lr=optimbook.schedules.power_decay(β(0), R, q)``, and any schedule can be given as ``bias_lr``
(or as ``lr``, which the biases then share) instead. A schedule given as ``lr`` scales the weights'
step as well: α_ij(t) = η(t) Π_{s≤t} (K + g_ij(s)²)^(−½) (the state ``rate`` then holds the product
without η).

The paper's words admit several readings of eq. (16); ``rate`` chooses one (see :data:`WEIGHT_RATES`):

- ``"literal"``: eq. (16) at every step, as above (the product over time of 1/sqrt(K + g²));
- ``"current"``: α_ij(t) = η(0) / sqrt(K + g_ij(t)²), no product over time;
- ``"per-round"``: a round is ``round_steps`` steps (one pass over the data); during round r the
  weights move with α(r−1), and at its end α(r) = α(r−1) / sqrt(K + Σ_{steps of round r} g²).

``grad_scale`` multiplies the gradient *inside the rate only* (g ↦ s·g in sqrt(K + g²)); the update
still uses the gradient as given. With the loss summed over a mini-batch of N examples (eq. (6)),
``grad_scale = 1/N`` computes the rate from the gradient of the per-example mean loss.

``compile=True`` runs the literal reading's weight update, :func:`adamix_weight_update`, through
:func:`torch.compile`: the same function, fused by the compiler into one loop over memory instead of
five ``_foreach_`` passes, on every device. The results agree with the eager ones to rounding (the
compiler may reorder a product). It compiles once per process and per set of weight shapes, ``K``
and ``grad_scale``; a schedule's η(t) reaches it as a 0-dim tensor, so a varying rate does not
recompile. The other readings run eagerly.
"""

from __future__ import annotations

import functools

import torch

from optimbook.optim._base import Optimizer, check_flag, check_number, check_rate, is_schedule
from optimbook.optim.adadec import check_total_steps, unit_power_decay
from optimbook.optim.roles import ROLES, check_role, role_of

__all__ = ["AdaMix", "adamix_weight_update", "compiled_weight_update", "ROLES", "WEIGHT_RATES", "role_of"]

#: The readings of eq. (16) :class:`AdaMix` implements (its ``rate`` argument).
WEIGHT_RATES = ("literal", "current", "per-round")


def _scaled_squares(grads: list[torch.Tensor], grad_scale: float) -> list[torch.Tensor]:
    """(s·g)² for every gradient (new tensors)."""
    squares = torch._foreach_mul(grads, grads)
    if grad_scale != 1.0:
        torch._foreach_mul_(squares, grad_scale * grad_scale)
    return squares


def adamix_weight_update(
    params: list[torch.Tensor], grads: list[torch.Tensor], rates: list[torch.Tensor], *, K: float,
    grad_scale: float = 1.0, step_scale: float = 1.0,
) -> None:
    """α ← α / sqrt(K + (s·g)²); θ ← θ − α g (He & Li eq. (16), the weight part of AdaMix).

    ``step_scale`` multiplies the step (η(t) when the rate is a schedule, else 1): a number, or a
    0-dim tensor, on which :func:`torch.compile` does not specialize (it would recompile for every
    new number)."""
    shrink = _scaled_squares(grads, grad_scale)
    torch._foreach_add_(shrink, K)
    torch._foreach_rsqrt_(shrink)  # 1 / sqrt(K + g(t)²)
    torch._foreach_mul_(rates, shrink)  # α(t) = α(t−1) / sqrt(K + g(t)²)
    if isinstance(step_scale, torch.Tensor):  # θ ← θ − η(t) α(t) g(t)
        steps = torch._foreach_mul(rates, grads)
        torch._foreach_mul_(steps, step_scale)
        torch._foreach_sub_(params, steps)
    else:
        torch._foreach_addcmul_(params, rates, grads, value=-step_scale)  # θ ← θ − α(t) g(t)


@functools.cache
def compiled_weight_update():
    """:func:`adamix_weight_update` through :func:`torch.compile` (made once per process), with
    static shapes (``dynamic=False``): a training run steps the same tensors every time, so each
    set of shapes gets its own specialized loop rather than one for symbolic sizes."""
    return torch.compile(adamix_weight_update, dynamic=False)


class AdaMix(Optimizer):
    """AdaMix: per-element current-gradient rates for weights, one power-decayed rate for biases.

    Args:
        params: parameters or param groups; a group may set ``role`` to ``"weight"`` or ``"bias"``.
        lr: η(0) ≥ 0, the initial weight rate α(−1), or a schedule η(t) (see the module docstring).
        K: constant in the root, K > 0 (the paper: 1).
        q: exponent q ≥ 0 of the bias rate's power decay (the paper: 0.75).
        total_steps: R ≥ 1, the number of steps of the run; required when the bias rate is a
            number, left out when it is a schedule (which is then β(t) itself).
        bias_lr: β(0) ≥ 0, the initial bias rate, or a schedule β(t) (default: ``lr``).
        rate: the reading of eq. (16) for the weights, one of :data:`WEIGHT_RATES`
            (default ``"literal"``).
        grad_scale: s > 0, the factor of the gradient inside the weight rate (default 1).
        round_steps: steps per round, an integer ≥ 1; required by ``rate="per-round"``.
        compile: run the literal reading's weight update through :func:`torch.compile`
            (:func:`compiled_weight_update`; default ``False``, eager).
    """

    _rate_keys = ("lr", "bias_lr")
    _supports_complex = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        K: float = 1.0,
        q: float = 0.75,
        total_steps: int | None = None,
        bias_lr: float | None = None,
        rate: str = "literal",
        grad_scale: float = 1.0,
        round_steps: int | None = None,
        compile: bool = False,
    ) -> None:
        lr = check_rate("lr", lr)
        K = check_number("K", K, low=0.0, low_open=True)
        q = check_number("q", q, low=0.0)
        if bias_lr is not None:
            bias_lr = check_rate("bias_lr", bias_lr)
        total_steps = check_total_steps(
            total_steps, is_schedule(lr if bias_lr is None else bias_lr),
            "total_steps (R of beta(t) = bias_lr (1 + t/R)^-q) must be left out when the"
            " bias rate (bias_lr, else lr) is a schedule: the schedule is beta(t)",
            "total_steps (R in beta(t) = bias_lr (1 + t/R)^-q) is required, an integer"
            " >= 1 (or give the bias rate as a schedule)",
        )
        if not isinstance(rate, str) or rate not in WEIGHT_RATES:
            raise ValueError(f"rate must be one of {WEIGHT_RATES}, got {rate!r}")
        grad_scale = check_number("grad_scale", grad_scale, low=0.0, low_open=True)
        if rate == "per-round":
            if round_steps is None:
                raise ValueError("round_steps (steps per round) is required by rate='per-round', an integer >= 1")
            round_steps = check_number("round_steps", round_steps, low=1, integer=True)
        elif round_steps is not None:
            raise ValueError(f"round_steps is used only by rate='per-round', got rate={rate!r}")
        compile = check_flag("compile", compile)
        defaults = {"lr": lr, "K": K, "q": q, "total_steps": total_steps, "bias_lr": bias_lr,
                    "rate": rate, "grad_scale": float(grad_scale), "round_steps": round_steps,
                    "compile": compile}
        super().__init__(params, defaults)

    def add_param_group(self, param_group) -> None:
        super().add_param_group(param_group)
        try:
            check_role(self.param_groups[-1].get("role"))
        except ValueError:
            self.param_groups.pop()
            raise

    def _init_state(self, group, p, state, rates) -> None:
        if role_of(p, group) == "weight":
            # α(−1) = η(0); with a schedule as lr the state holds the product alone (α(−1) = 1)
            start = 1.0 if is_schedule(group["lr"]) else rates["lr"]
            state["rate"] = torch.full_like(p, start, memory_format=torch.preserve_format)
            if group.get("rate", "literal") == "per-round":  # Σ (s·g)² over the current round
                state["round_sum"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def _state_keys(self, group, p) -> dict[str, str]:
        keys = super()._state_keys(group, p)
        if role_of(p, group) == "weight":
            keys["rate"] = "like"
            if group.get("rate", "literal") == "per-round":
                keys["round_sum"] = "like"
        return keys

    def _rates(self, group, t, where) -> dict[str, float]:
        """``lr`` and ``bias``, the biases' rate β(t): ``bias_lr`` (else ``lr``), power-decayed by
        the ``total_steps``/``q`` shorthand."""
        rates = super()._rates(group, t, where)
        bias = rates["lr" if group["bias_lr"] is None else "bias_lr"]
        if group["total_steps"] is not None:  # β(t) = β(0) (1 + t/R)^(−q)  (17)-(18)
            bias = bias * unit_power_decay(group["total_steps"], group["q"])(t)
        rates["bias"] = bias
        return rates

    def _update(self, group, params, grads, states, t, rates) -> None:
        w = [i for i, p in enumerate(params) if role_of(p, group) == "weight"]
        b = [i for i, p in enumerate(params) if role_of(p, group) != "weight"]
        if w:
            wp, wg, alphas = [params[i] for i in w], [grads[i] for i in w], [states[i]["rate"] for i in w]
            reading, scale = group.get("rate", "literal"), group.get("grad_scale", 1.0)
            # η(t) multiplies the step when lr is a schedule; a constant η(0) is inside α already
            eta = rates["lr"] if is_schedule(group["lr"]) else 1.0
            if reading == "literal" and group.get("compile", False):
                step = torch.tensor(eta, dtype=wp[0].dtype, device=wp[0].device) if is_schedule(group["lr"]) else eta
                compiled_weight_update()(wp, wg, alphas, K=group["K"], grad_scale=scale, step_scale=step)
            elif reading == "literal":
                adamix_weight_update(wp, wg, alphas, K=group["K"], grad_scale=scale, step_scale=eta)
            elif reading == "current":  # α(t) = η / sqrt(K + (s·g(t))²)
                shrink = _scaled_squares(wg, scale)
                torch._foreach_add_(shrink, group["K"])
                torch._foreach_rsqrt_(shrink)
                torch._foreach_mul_(shrink, rates["lr"])
                for rate, new in zip(alphas, shrink):
                    rate.copy_(new)
                torch._foreach_addcmul_(wp, alphas, wg, value=-1.0)
            else:  # per-round: move with the round's rate, accumulate, update α at the round's end
                torch._foreach_addcmul_(wp, alphas, wg, value=-eta)
                sums = [states[i]["round_sum"] for i in w]
                squares = _scaled_squares(wg, scale)
                torch._foreach_add_(sums, squares)
                if (t + 1) % group["round_steps"] == 0:  # α(r) = α(r−1) / sqrt(K + Σ_round g²)
                    torch._foreach_add_(sums, group["K"])
                    torch._foreach_rsqrt_(sums)
                    torch._foreach_mul_(alphas, sums)
                    torch._foreach_zero_(sums)
        if b:  # b ← b − β(t) g
            torch._foreach_add_([params[i] for i in b], [grads[i] for i in b], alpha=-rates["bias"])
