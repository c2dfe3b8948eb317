"""The training loop of the small networks, and the step every gradient-descent loop shares.

:func:`train_step` is one step of gradient descent with any torch optimizer: zero the gradients,
evaluate the loss, back-propagate (autograd), clip, step, advance the schedule. Every loop that
trains by gradient descent takes its steps with it: :func:`fit` (the chapters' networks and the
classifier experiments), :func:`optimlab.training.landscapes.trajectory` (paths on 2-D functions),
:func:`optimlab.training.diagnostics.max_difference` and the data-parallel comparison of
:mod:`optimlab.training.distributed`, the way d2l's chapters share ``train_ch11``. The lockstep
fine-tuning of autoencoders (:mod:`optimlab.training.finetuning`) and the CD-1 pretraining of RBMs
(:mod:`optimlab.training.pretraining`) are the two other kinds of model, each with its own loop.

:func:`fit` trains on tensors that already sit on the model's device (no DataLoader: MNIST fits in
memory, and indexing a mini-batch is the cheapest way to draw one). Mini-batches come from a
permutation seeded by ``(seed, epoch)``, so an interrupted run resumed at ``start_epoch`` sees exactly
the batches an uninterrupted one would. Wall time counts training only (:class:`~optimlab.training.clock.Clock`);
evaluations are timed apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from optimlab.runtime import check_number
from optimlab.training import flops, work
from optimlab.training.clock import Clock

__all__ = [
    "History",
    "NonFiniteLossError",
    "NonFiniteParameterError",
    "batches",
    "clip_gradients",
    "epoch_permutation",
    "fit",
    "log_steps",
    "train_step",
]


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


class NonFiniteParameterError(NonFiniteLossError):
    """A parameter became NaN or infinite (e.g. on the last step, whose loss was still finite).

    A subclass of :class:`NonFiniteLossError`, so code that catches a diverged run catches both.
    """


def _check_parameters(params: Sequence[torch.Tensor], label: str, step: int, epoch: int) -> None:
    """Raise :class:`NonFiniteParameterError` unless every parameter is finite."""
    with torch.no_grad():
        for i, p in enumerate(params):
            if not bool(torch.isfinite(p).all()):
                raise NonFiniteParameterError(
                    f"{label}parameters became non-finite (NaN or inf) at step {step}"
                    f" (epoch {epoch + 1}): parameter {i} of the optimizer, shape {tuple(p.shape)}"
                )


@dataclass
class History:
    """Tidy training records: one dict per logged point (step, epoch, seconds, metrics)."""

    records: list[dict[str, Any]] = field(default_factory=list)

    def append(self, **record: Any) -> None:
        self.records.append(record)

    def column(self, name: str) -> list[Any]:
        return [r.get(name) for r in self.records]

    def to_frame(self):
        """The records as a :class:`pandas.DataFrame` (needs pandas)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records)

    def __len__(self) -> int:
        return len(self.records)


def epoch_permutation(n: int, *, seed: int, epoch: int, device: torch.device | str = "cpu"):
    """The shuffling order of epoch ``epoch``: a permutation of ``range(n)`` seeded by (seed, epoch)."""
    g = torch.Generator().manual_seed((int(seed) * 1_000_003 + int(epoch)) % (2**63))
    return torch.randperm(n, generator=g).to(device)


def batches(
    n: int,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    epoch: int = 0,
    drop_last: bool = False,
    device: torch.device | str = "cpu",
) -> Iterator[torch.Tensor | slice]:
    """Yield the index sets of one epoch's mini-batches (slices when not shuffling)."""
    if shuffle:
        order = epoch_permutation(n, seed=seed, epoch=epoch, device=device)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        end = min(start + batch_size, n)
        yield order[start:end] if shuffle else slice(start, end)


def log_steps(max_step: int = 10**8, per_decade: int = 20) -> frozenset[int]:
    """Steps spaced evenly on a log scale (1, 2, 3, …, about ``per_decade`` per decade): for
    ``fit(eval_every=...)`` when the curve is plotted against log-steps or the run length is unknown."""
    check_number("max_step", max_step, low=1, integer=True)
    check_number("per_decade", per_decade, low=1, integer=True)
    count = int(per_decade * math.log10(max_step))
    steps = {int(round(10 ** (k / per_decade))) for k in range(count + 1)}
    return frozenset(s for s in steps if s <= max_step)


def clip_gradients(
    params: Sequence[torch.Tensor],
    *,
    clipnorm: float | None = None,
    global_clipnorm: float | None = None,
    clipvalue: float | None = None,
) -> None:
    """Clip gradients in place with torch's utilities, with the sources' (Keras) option names.

    ``clipnorm`` rescales each parameter's gradient to norm ≤ ``clipnorm`` on its own (Keras'
    semantics); ``global_clipnorm`` rescales all gradients together so their joint norm is ≤ the value
    (``torch.nn.utils.clip_grad_norm_``); ``clipvalue`` clamps every element to ±value.
    """
    with_grad = [p for p in params if p.grad is not None]
    if clipvalue is not None:
        torch.nn.utils.clip_grad_value_(with_grad, clipvalue)
    if clipnorm is not None:
        for p in with_grad:
            torch.nn.utils.clip_grad_norm_([p], clipnorm, foreach=False)
    if global_clipnorm is not None:
        torch.nn.utils.clip_grad_norm_(with_grad, global_clipnorm)


def train_step(
    optimizer: torch.optim.Optimizer,
    closure: Callable[[], torch.Tensor],
    *,
    params: Sequence[torch.Tensor] | None = None,
    clipnorm: float | None = None,
    global_clipnorm: float | None = None,
    clipvalue: float | None = None,
    scheduler: Any | None = None,
) -> torch.Tensor:
    """One step of gradient descent: zero the gradients, ``loss = closure()``, ``loss.backward()``,
    clip the gradients of ``params`` (default: the optimizer's; :func:`clip_gradients`) if a clipping
    option is given, ``optimizer.step()``, then ``scheduler.step()`` if given. Returns the loss,
    detached (on its device: nothing is read back to the host)."""
    optimizer.zero_grad(set_to_none=True)
    loss = closure()
    loss.backward()
    if clipnorm is not None or global_clipnorm is not None or clipvalue is not None:
        if params is None:
            params = [p for group in optimizer.param_groups for p in group["params"]]
        clip_gradients(params, clipnorm=clipnorm, global_clipnorm=global_clipnorm, clipvalue=clipvalue)
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    return loss.detach()


def fit(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor | None = None,
    *,
    batch_size: int,
    epochs: int = 1,
    start_epoch: int = 0,
    max_steps: int | None = None,
    max_seconds: float | None = None,
    shuffle: bool = True,
    seed: int = 0,
    drop_last: bool = False,
    scheduler: Any | None = None,
    clipnorm: float | None = None,
    global_clipnorm: float | None = None,
    clipvalue: float | None = None,
    evaluate: Callable[[torch.nn.Module], dict[str, float]] | None = None,
    eval_every: int | Collection[int] | None = None,
    on_epoch_end: Callable[[int, History], None] | None = None,
    history: History | None = None,
    name: str | None = None,
    on_step: Callable[[int, torch.Tensor], None] | None = None,
    count_work: bool = True,
) -> History:
    """Train ``model`` by mini-batch gradient descent with any torch optimizer.

    Each step draws a mini-batch and takes :func:`train_step` on ``loss_fn(model(xb), yb)`` (``yb =
    xb`` when ``y`` is ``None``: an autoencoder): back-propagation, optional clipping
    (:func:`clip_gradients`), ``optimizer.step()`` and then ``scheduler.step()`` if given.
    ``batch_size = len(x)`` is batch gradient descent, ``1`` stochastic, anything between mini-batch.

    Args:
        evaluate: ``evaluate(model) -> {metric: value}``, run without gradients (and excluded from
            the wall time) at step 0, at the steps ``eval_every`` selects and at every epoch end.
        eval_every: an interval in steps, or a collection of steps (e.g. :func:`log_steps`).
        on_epoch_end: called as ``on_epoch_end(epoch, history)`` after each epoch (checkpointing).
        start_epoch: first epoch to run (resuming: batches depend only on seed and epoch).
        max_steps: stop after this many optimizer steps in total.
        max_seconds: stop once the training wall time exceeds this budget (checked every step).
        name: a label for error messages (e.g. the strategy being trained).
        on_step: called as ``on_step(step, loss)`` after every step (``loss`` detached, on the
            device; the call is part of the timed training).
        count_work: add the run's work to the work meter (:mod:`optimlab.training.work`) by the
            closed form :func:`optimlab.training.flops.fit_run` (exact for a chain of dense layers);
            a caller that counts its model's work itself passes False.

    Returns:
        The :class:`History`: a record ``{step, epoch, seconds, loss, **metrics}`` at step 0 (when
        ``evaluate`` is given), every ``eval_every`` steps and at every epoch end. ``epoch`` is
        ``step / steps_per_epoch``; ``loss`` the mean training batch loss since the previous record
        (NaN at step 0); ``seconds`` the cumulative training time.

    Raises:
        NonFiniteLossError: the loss became NaN or ±inf (the message names ``name`` and the step).
            The step losses are read from the device once per record (no host synchronisation
            inside the step loop), so this is raised at the record that follows that step.
        NonFiniteParameterError: a parameter became NaN or ±inf (checked at the end of every
            epoch and of the run, before ``on_epoch_end``: a diverging last step is caught too).
    """
    check_number("batch_size", batch_size, low=1, integer=True)
    check_number("seed", seed, integer=True)
    check_number("epochs", epochs, low=0, integer=True)
    check_number("start_epoch", start_epoch, low=0, integer=True)
    if max_steps is not None:
        check_number("max_steps", max_steps, low=0, integer=True)
    if max_seconds is not None:
        check_number("max_seconds", max_seconds, low=0.0, low_open=True)
    if isinstance(eval_every, int):
        check_number("eval_every", eval_every, low=1, integer=True)
        interval = eval_every
        eval_steps: Collection[int] = ()
    else:
        interval = 0
        eval_steps = eval_every if eval_every is not None else ()
    if y is not None and len(y) != len(x):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    n = len(x)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    clip = {"clipnorm": clipnorm, "global_clipnorm": global_clipnorm, "clipvalue": clipvalue}
    hist = history if history is not None else History()
    steps_per_epoch = (n // batch_size) if drop_last else math.ceil(n / batch_size)
    step = start_epoch * steps_per_epoch
    base = hist.records[-1]["seconds"] if hist.records else 0.0  # seconds of the runs before
    clock = Clock(x.device)
    loss_sum, loss_count = 0.0, 0
    label = f"{name}: " if name else ""
    # The step losses stay on the device until the next record (one read for the stretch, so the
    # step loop never waits for a GPU); they are checked and summed there in step order.
    pending: list[torch.Tensor] = []

    def flush() -> None:
        nonlocal loss_sum, loss_count
        if not pending:
            return
        values = torch.stack(pending).tolist()
        pending.clear()
        first = step - len(values) + 1  # the step number of values[0]
        for i, value in enumerate(values):
            if not math.isfinite(value):
                raise NonFiniteLossError(f"{label}loss became {value} at step {first + i} "
                                         f"(epoch {(first + i - 1) // steps_per_epoch + 1})")
            loss_sum += value
            loss_count += 1

    def record() -> None:
        nonlocal loss_sum, loss_count
        flush()
        if hist.records and hist.records[-1]["step"] == step:
            return
        row = {"step": step, "epoch": step / steps_per_epoch, "seconds": base + clock.total()}
        row["loss"] = loss_sum / loss_count if loss_count else math.nan
        if evaluate is not None:
            was_training = model.training
            model.eval()
            with torch.no_grad():
                row.update(evaluate(model))
            model.train(was_training)
        hist.records.append(row)
        loss_sum, loss_count = 0.0, 0

    if evaluate is not None and not hist.records:
        record()

    def out_of_budget() -> bool:
        return (max_steps is not None and step >= max_steps) or (
            max_seconds is not None and base + clock.elapsed() >= max_seconds
        )

    model.train()
    first_step = step
    try:
        for epoch in range(start_epoch, start_epoch + epochs):
            if out_of_budget():
                break
            clock.start()
            for idx in batches(
                n, batch_size, shuffle=shuffle, seed=seed, epoch=epoch, drop_last=drop_last,
                device=x.device,
            ):
                xb = x[idx]
                yb = xb if y is None else y[idx]
                loss = train_step(optimizer, lambda: loss_fn(model(xb), yb), params=params,
                                  scheduler=scheduler, **clip)
                step += 1
                pending.append(loss.reshape(()))  # a one-element loss, as .item() required
                if on_step is not None:
                    on_step(step, loss)
                if (interval and step % interval == 0) or step in eval_steps:
                    clock.stop("train")
                    record()
                    clock.start()
                if out_of_budget():
                    break
            clock.stop("train")
            flush()
            _check_parameters(params, label, step, epoch)
            record()
            if on_epoch_end is not None and step % steps_per_epoch == 0:
                on_epoch_end(epoch + 1, hist)
    finally:  # the work done, by the closed forms of the model's dense layers (diverged runs too)
        if count_work:
            work.add(flops.fit_run(model, optimizer, n, batch_size, step - first_step, drop_last=drop_last),
                     "fit")
    return hist
