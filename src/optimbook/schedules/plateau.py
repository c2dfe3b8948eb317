"""Validation-based adjustment (基于验证集性能的自适应调整): lower the rate when a metric stalls.

The sources describe it in one sentence: watch the model's performance on a validation set; when it
stops improving, lower the learning rate (and, optionally, raise it while it improves).
:class:`ReduceOnPlateau` is that rule with the knobs of torch's
:class:`~torch.optim.lr_scheduler.ReduceLROnPlateau` (``mode``, ``factor``, ``patience``,
``threshold``, ``threshold_mode``, ``cooldown``, ``min_lr``, ``eps``) and the same decisions, plus
an optional increase on improvement (the "bold driver" of Vogl et al. 1988). Its decision logic is
the pure function :func:`plateau_update`.

It multiplies each group's current ``lr``, so it composes with
:class:`~optimbook.schedules.torch_adapter.ScheduleLR`: a reduction made on a plateau is kept as a
factor on the running schedule.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import torch

from optimbook._checks import check_number

__all__ = ["PlateauState", "ReduceOnPlateau", "plateau_update"]


@dataclasses.dataclass(frozen=True)
class PlateauState:
    """What the rule remembers between validations."""

    best: float
    num_bad_epochs: int = 0
    cooldown_counter: int = 0


def _is_better(
    current: float, best: float, mode: str, threshold: float, threshold_mode: str
) -> bool:
    if mode == "min":
        bar = best * (1.0 - threshold) if threshold_mode == "rel" else best - threshold
        return current < bar
    bar = best * (threshold + 1.0) if threshold_mode == "rel" else best + threshold
    return current > bar


def plateau_update(
    state: PlateauState,
    metric: float,
    *,
    mode: str = "min",
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
) -> tuple[PlateauState, str | None]:
    """One validation: the new state and the action, ``"reduce"``, ``"improve"`` or ``None``.

    A metric *improves* when it beats the best so far by more than the threshold (relative:
    :math:`m < b(1 - \\epsilon)` in ``"min"`` mode; absolute: :math:`m < b - \\epsilon`). Each
    validation without improvement is a bad epoch; bad epochs during the cooldown after a
    reduction are not counted; after more than ``patience`` bad epochs the rate is reduced, the
    count is cleared and the cooldown starts (torch's ``ReduceLROnPlateau``).
    """
    best, bad, cool = state.best, state.num_bad_epochs, state.cooldown_counter
    improved = _is_better(metric, best, mode, threshold, threshold_mode)
    if improved:
        best, bad = metric, 0
    else:
        bad += 1
    if cool > 0:
        cool -= 1
        bad = 0  # bad epochs in the cooldown are ignored
    if bad > patience:
        return PlateauState(best, 0, cooldown), "reduce"
    return PlateauState(best, bad, cool), "improve" if improved else None


class ReduceOnPlateau:
    """Lower each param group's ``lr`` by ``factor`` when a validation metric stops improving.

    Call :meth:`step` with the metric after each validation (usually once per epoch, after the
    epoch's optimizer steps). With ``increase = 1`` (the default) the decisions and rates equal
    torch's :class:`~torch.optim.lr_scheduler.ReduceLROnPlateau` with the same arguments.

    Args:
        optimizer: the optimizer whose groups' ``lr`` are changed.
        mode: ``"min"`` (a loss) or ``"max"`` (an accuracy).
        factor: :math:`\\in [0, 1)`, the multiplier on a plateau.
        patience: bad epochs tolerated before a reduction (integer ≥ 0).
        threshold: :math:`\\epsilon \\ge 0`, the margin an improvement must exceed.
        threshold_mode: ``"rel"`` or ``"abs"`` (see :func:`plateau_update`).
        cooldown: validations to wait after a reduction before counting bad epochs again.
        min_lr: the floor of every group's rate, or one floor per group.
        eps: a reduction smaller than ``eps`` is skipped (torch's rule).
        increase: :math:`\\ge 1`, the multiplier applied on each improvement (1: never raise).
        max_lr: the ceiling of the raised rate (``math.inf``, the default: none).
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
        increase: float = 1.0,
        max_lr: float = math.inf,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        check_number("factor", factor, low=0.0, high=1.0, high_open=True)
        check_number("patience", patience, low=0, integer=True)
        check_number("threshold", threshold, low=0.0)
        check_number("cooldown", cooldown, low=0, integer=True)
        check_number("eps", eps, low=0.0)
        check_number("increase", increase, low=1.0)
        check_number("max_lr", max_lr, low=0.0, allow_inf=True)
        n = len(optimizer.param_groups)
        if isinstance(min_lr, Sequence) and not isinstance(min_lr, (str, bytes)):
            if len(min_lr) != n:
                raise ValueError(
                    f"min_lr must hold one value per param group ({n}), got {len(min_lr)}"
                )
            min_lrs = [check_number(f"min_lr[{i}]", v, low=0.0) for i, v in enumerate(min_lr)]
        else:
            min_lrs = [check_number("min_lr", min_lr, low=0.0)] * n
        self.optimizer = optimizer
        self.mode, self.threshold_mode = mode, threshold_mode
        self.factor, self.patience, self.threshold = float(factor), int(patience), float(threshold)
        self.cooldown, self.eps = int(cooldown), float(eps)
        self.increase, self.max_lr = float(increase), float(max_lr)
        self.min_lrs = [float(v) for v in min_lrs]
        self.state = PlateauState(best=math.inf if mode == "min" else -math.inf)
        self.last_epoch = 0
        self.num_reductions = 0
        self._last_lr = [float(g["lr"]) for g in optimizer.param_groups]

    @property
    def best(self) -> float:
        """The best metric so far."""
        return self.state.best

    @property
    def num_bad_epochs(self) -> int:
        return self.state.num_bad_epochs

    def step(self, metric: float | torch.Tensor) -> str | None:
        """Record one validation ``metric``; change the rates if due. Returns the action taken.

        ``metric`` is a finite real number (or a 0-d tensor of one): a NaN or infinite metric is
        refused, since no rate change could follow from it.
        """
        if isinstance(metric, torch.Tensor) and metric.numel() == 1 and not metric.is_complex():
            metric = metric.item()
        current = float(check_number("metric", metric))
        self.last_epoch += 1
        self.state, action = plateau_update(
            self.state, current, mode=self.mode, patience=self.patience,
            threshold=self.threshold, threshold_mode=self.threshold_mode, cooldown=self.cooldown,
        )
        if action == "reduce":
            self.num_reductions += 1
            for i, group in enumerate(self.optimizer.param_groups):
                old = float(group["lr"])
                new = max(old * self.factor, self.min_lrs[i])
                if old - new > self.eps:
                    self._set(group, new)
        elif action == "improve" and self.increase != 1.0:
            for group in self.optimizer.param_groups:
                self._set(group, min(float(group["lr"]) * self.increase, self.max_lr))
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]
        return action

    @staticmethod
    def _set(group: dict[str, Any], value: float) -> None:
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(value)
        else:
            group["lr"] = value

    def get_last_lr(self) -> list[float]:
        """The groups' rates after the last :meth:`step`."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as plain data."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "state")}
        out["state"] = dataclasses.asdict(self.state)
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        self.state = PlateauState(**state.pop("state"))
        self.__dict__.update(state)
