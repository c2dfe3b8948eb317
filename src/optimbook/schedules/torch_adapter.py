""":class:`ScheduleLR`: any schedule as a :class:`torch.optim.lr_scheduler.LRScheduler`.

The adapter keeps no rate of its own: the learning rate of each param group is computed from the
closed form of the step count, so a scheduler restored from ``state_dict`` continues exactly where
the saved one stopped, and changes made by other schedulers or by hand are carried forward as a
multiplicative factor (see :class:`ScheduleLR`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler


from optimbook._checks import _shown, check_number
from optimbook.schedules.base import Schedule, from_dict
from optimbook.schedules.compose import check_schedule, join, schedule_value

__all__ = ["ScheduleLR"]

ScheduleLike = Callable[[int], float]


def _stored(slot: Any, value: float) -> float:
    """``value`` as a group's ``lr`` slot holds it (a tensor slot rounds to its dtype)."""
    if isinstance(slot, torch.Tensor):
        return float(torch.tensor(value, dtype=slot.dtype))
    return float(value)


class ScheduleLR(LRScheduler):
    """Set each param group's learning rate from a schedule of the step count.

    Args:
        optimizer: any :class:`torch.optim.Optimizer`.
        schedule_or_one_per_group: a schedule (``step -> rate``, e.g. from
            :func:`~optimbook.schedules.cosine.cosine_decay`) for every group, or a sequence with
            one schedule per param group.
        last_epoch: as in torch: ``-1`` starts at step 0.

    **Step count.** After construction and ``k`` calls of
    :meth:`~torch.optim.lr_scheduler.LRScheduler.step`, ``last_epoch == k`` and
    each group's ``lr == schedule(k)``. In the usual loop (``optimizer.step()`` then
    ``scheduler.step()``) the t-th optimizer step, t = 0, 1, …, therefore uses ``schedule(t)``: the
    same convention as :class:`~optimbook.optim.per_role.PerRole` and the chapters' formulas. The
    optimizer's own ``lr`` argument is replaced (a schedule gives absolute rates).

    **Composition and manual changes.** Before computing step ``k``, the scheduler compares each
    group's current ``lr`` with the value it set itself at step ``k - 1``. Any difference was made
    by something else (another scheduler in a :class:`~torch.optim.lr_scheduler.ChainedScheduler`,
    :class:`~optimbook.schedules.plateau.ReduceOnPlateau`, or code that assigned
    ``group["lr"]``) and is kept as a per-group factor :math:`c`: ``lr = c · schedule(k)``, with
    :math:`c` multiplied by ``current / previous`` at every step (left unchanged when the previous
    value was 0, where a ratio is undefined). Hence:

    - ``ChainedScheduler([ScheduleLR(s), ExponentialLR(γ)])`` gives ``s(k) γ^k``, in either order;
      with any of torch's multiplicative schedulers the result is the product of the two rules.
    - ``group["lr"] *= 0.1`` between steps lowers every later rate tenfold, keeping the shape of
      the schedule; so does :meth:`scale`. :meth:`switch` replaces the schedule from the current
      step on.
    - An initial step (construction, or :class:`~torch.optim.lr_scheduler.SequentialLR` starting
      this scheduler) and a jump to a given step (``SequentialLR`` at a milestone, or the
      deprecated ``step(epoch)``) reset :math:`c` to 1: ``SequentialLR([ScheduleLR(s1),
      ScheduleLR(s2)], milestones=[m])`` gives ``s1(k)`` for ``k < m`` and ``s2(k - m)`` after.

    **Checkpoints.** :meth:`state_dict` holds plain data only (schedules as
    :meth:`~optimbook.schedules.base.Schedule.to_dict`), so ``torch.load`` with
    ``weights_only=True`` reads it. Restore the optimizer's state as well, as for any torch
    scheduler: the factor is inferred from the group's ``lr``.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule_or_one_per_group: ScheduleLike | Sequence[ScheduleLike],
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        n = len(optimizer.param_groups)
        given = schedule_or_one_per_group
        if callable(given):
            schedules = [given] * n
        elif isinstance(given, Sequence) and not isinstance(given, (str, bytes)):
            schedules = list(given)
            if len(schedules) != n:
                raise ValueError(
                    f"schedule_or_one_per_group must hold one schedule per param group ({n}),"
                    f" got {len(schedules)}"
                )
        else:
            raise TypeError(
                "schedule_or_one_per_group must be a schedule (callable step -> rate) or a"
                f" sequence of them, got {_shown(given)} (a {type(given).__name__})"
            )
        for i, s in enumerate(schedules):
            check_schedule(f"schedule_or_one_per_group[{i}]", s)
        check_number("last_epoch", last_epoch, low=-1, integer=True)
        self.schedules: list[ScheduleLike] = schedules
        self._factors = [1.0] * n
        self._last_set = [float("nan")] * n
        super().__init__(optimizer, last_epoch)

    # -- the rule ------------------------------------------------------------------------------
    def _label(self, i: int) -> str:
        return f"lr of param group {i}"

    def _rate(self, i: int, k: int, factor: float | None = None, label: str | None = None) -> float:
        """Group i's rate at step k: the factor times the schedule's value, which must be a finite
        real number >= 0 (a negative, NaN or infinite rate is refused, naming the step)."""
        return schedule_value(self._label(i) if label is None else label, self.schedules[i], k,
                              self._factors[i] if factor is None else factor)

    def _change(self, i: int, group: dict[str, Any]) -> float:
        """The factor by which ``group["lr"]`` was changed since our last step (1 if it was not)."""
        current, previous = float(group["lr"]), self._last_set[i]
        if previous == previous and previous != 0.0 and current != previous:
            return current / previous
        return 1.0

    def _absorb(self, i: int, group: dict[str, Any]) -> None:
        """Fold a change of ``group["lr"]`` made since our last step into the factor of group i."""
        self._factors[i] *= self._change(i, group)

    def next_rates(self, label: Callable[[int], str] | None = None) -> list[float]:
        """The rates the next :meth:`step` will set, computed and checked; changes nothing.

        ``label(i)`` names group i in the error (default: "lr of param group i").
        Raises ``ValueError``/``TypeError`` as :meth:`step` would, naming the step.
        """
        k = self.last_epoch + 1
        return [self._rate(i, k, self._factors[i] * self._change(i, group),
                           None if label is None else label(i))
                for i, group in enumerate(self.optimizer.param_groups)]

    def step(self, epoch: int | None = None) -> None:
        """torch's ``step``, all or nothing: the next rates are computed and checked first, so a
        schedule that fails leaves the step count and the rates as they were."""
        if epoch is None and self._step_count > 0:
            self.next_rates()
        super().step(epoch)

    def _rates(self, absorb: bool) -> list[float]:
        k = self.last_epoch
        out = []
        for i, group in enumerate(self.optimizer.param_groups):
            if absorb:
                self._absorb(i, group)
            else:
                self._factors[i] = 1.0
            value = self._rate(i, k)
            self._last_set[i] = _stored(group["lr"], value)
            out.append(value)
        return out

    def get_lr(self) -> list[float]:
        """The rates for step ``last_epoch``, called by ``step()`` (read them: ``get_last_lr()``)."""
        if not getattr(self, "_get_lr_called_within_step", True):
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use "
                "`get_last_lr()`.",
                UserWarning,
                stacklevel=2,
            )
            return list(self.get_last_lr())
        initial = getattr(self, "_is_initial", False) or self._step_count <= 1
        return self._rates(absorb=not initial)

    def _get_closed_form_lr(self) -> list[float]:
        """The rates at ``last_epoch`` after a jump (a ``SequentialLR`` milestone, ``step(epoch)``).
        """
        return self._rates(absorb=False)

    # -- changing the rate by hand -------------------------------------------------------------
    def _groups(self, groups: int | Sequence[int] | None) -> list[int]:
        n = len(self.optimizer.param_groups)
        chosen = range(n) if groups is None else [groups] if isinstance(groups, int) else groups
        out = []
        for g in chosen:
            check_number("groups", g, low=0, high=n - 1, integer=True)
            out.append(int(g))
        return out

    def _apply(self, i: int) -> None:
        group = self.optimizer.param_groups[i]
        value = self._rate(i, self.last_epoch)
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(value)
        else:
            group["lr"] = value
        self._last_set[i] = _stored(group["lr"], value)
        self._last_lr = [
            g["lr"].clone() if isinstance(g["lr"], torch.Tensor) else g["lr"]
            for g in self.optimizer.param_groups
        ]

    def scale(self, factor: float, groups: int | Sequence[int] | None = None) -> None:
        """Multiply the current rate and every later one by ``factor`` (all groups, or ``groups``).

        The change takes effect at once (the next optimizer step uses it) and is saved in
        :meth:`state_dict`. Assigning ``group["lr"]`` by hand has the same effect from the next
        :meth:`~torch.optim.lr_scheduler.LRScheduler.step` on.
        """
        check_number("factor", factor, low=0.0)
        for i in self._groups(groups):
            self._absorb(i, self.optimizer.param_groups[i])
            self._factors[i] *= float(factor)
            self._apply(i)

    def switch(
        self, schedule: ScheduleLike, groups: int | Sequence[int] | None = None
    ) -> None:
        """Follow ``schedule`` from the current step on, starting at its own step 0.

        At step count ``k`` the group's schedule becomes ``join([old, schedule], [k])``: the next
        optimizer step uses ``schedule(0)``, the one after ``schedule(1)``, and so on. The factor
        of earlier changes is reset to 1 (``schedule`` gives absolute rates). Saved in
        :meth:`state_dict`.
        """
        check_schedule("schedule", schedule)
        k = self.last_epoch
        for i in self._groups(groups):
            old = self.schedules[i]
            self.schedules[i] = schedule if k <= 0 else join([old, schedule], [k])
            self._factors[i] = 1.0
            self._apply(i)

    # -- checkpoints ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The state as plain data: schedules as ``to_dict()``, ``None`` for other callables."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "schedules")}
        state["schedules"] = [
            s.to_dict() if isinstance(s, Schedule) else None for s in self.schedules
        ]
        state["_factors"] = list(self._factors)
        state["_last_set"] = list(self._last_set)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output (``None`` keeps the schedule given at construction)."""
        state = dict(state_dict)
        saved = state.pop("schedules", None)
        self.__dict__.update(state)
        self._factors = list(self._factors)
        self._last_set = list(self._last_set)
        if saved is not None:
            if len(saved) != len(self.schedules):
                raise ValueError(
                    f"state_dict holds {len(saved)} schedules, the optimizer has"
                    f" {len(self.schedules)} param groups"
                )
            self.schedules = [
                from_dict(s) if s is not None else current
                for s, current in zip(saved, self.schedules)
            ]

    def __repr__(self) -> str:
        if all(s is self.schedules[0] for s in self.schedules):
            return f"ScheduleLR({self.schedules[0]!r}, step={self.last_epoch})"
        return f"ScheduleLR({self.schedules!r}, step={self.last_epoch})"
