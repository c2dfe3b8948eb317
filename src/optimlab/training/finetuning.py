"""Fine-tuning unrolled autoencoders: several strategies in lockstep, checkpointed as they go.

:func:`finetune` trains the replicas of a :class:`~optimlab.training.models.autoencoder.DeepAutoencoder`,
each with its own optimizer (a strategy), on the same mini-batches: the loss of replica k is the
squared reconstruction error summed over pixels and over the batch (He & Li eq. (6): the mini-batch
gradient is the sum of the per-example gradients). It records the reconstruction error (RER, the
per-image squared error summed over pixels, averaged over images) of the test and training images
every ``eval_every`` epochs, checkpoints at epoch ends (atomically, at most every 30 s by default),
and resumes from a checkpoint to exactly the numbers of an uninterrupted run: mini-batches depend
only on the seed and the epoch, and the checkpoint holds the weights and every optimizer's state.

Wall time: ``seconds`` is the cumulative fine-tuning time of each strategy, evaluations excluded. With
several replicas, the shared forward and backward pass is split evenly among them and each adds the
time of its own optimizer steps. The :class:`~optimlab.training.clock.Clock` times each part and is
read once per epoch, so the step loop (:func:`train_epoch`) never waits for a GPU. The first step
a process takes of a run (at its start, or after a resume) is taken but not timed: it pays one-time
costs, such as :func:`torch.compile` compiling an optimizer's update (AdaMix's ``compile=True``:
about 20 s), that would otherwise be charged to whichever run a worker happens to start with. One
step of the thousands of a run is left out of its seconds.
"""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from optimlab.runtime import check_number
from optimlab.storage import atomic_torch_save, load_torch
from optimlab.training.clock import Clock
from optimlab.training.loop import NonFiniteLossError, batches
from optimlab.training.losses import reconstruction_error
from optimlab.training.models.autoencoder import DeepAutoencoder

__all__ = ["FineTuning", "checkpoint_interval", "finetune", "loss_function", "reconstruction_errors", "train_epoch"]


@dataclass(frozen=True)
class FineTuning:
    """Fine-tuning settings (He & Li: learning rate 0.001, 50 iterations, RER every 5)."""

    epochs: int = 50
    batch_size: int = 100
    eval_every: int = 5

    def __post_init__(self) -> None:
        check_number("epochs", self.epochs, low=0, integer=True)
        check_number("batch_size", self.batch_size, low=1, integer=True)
        check_number("eval_every", self.eval_every, low=1, integer=True)

    def eval_epochs(self) -> list[int]:
        """Epochs after which the RER is recorded: 0, eval_every, 2·eval_every, …, epochs."""
        out = list(range(0, self.epochs + 1, self.eval_every))
        return out if out[-1] == self.epochs else out + [self.epochs]


@torch.no_grad()
def reconstruction_errors(model: DeepAutoencoder, x: torch.Tensor, chunk: int = 2000) -> list[float]:
    """RER of every replica on ``x``: :func:`~optimlab.training.losses.reconstruction_error` (Σ over
    pixels and images of (out − in)²) divided by the number of images."""
    total = torch.zeros(model.replicas, dtype=torch.float64, device=x.device)
    for i in range(0, len(x), chunk):
        xb = x[i:i + chunk]
        total += reconstruction_error(model(xb), xb).double()
    return (total / len(x)).tolist()


#: what ``compile=`` accepts: False (eager), True (torch.compile's default mode), or a mode
COMPILE_MODES = (False, True, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def loss_function(model: DeepAutoencoder, compile: bool | str = False) -> Callable[[torch.Tensor], torch.Tensor]:
    """``x -> reconstruction_error(model(x), x)`` (one loss per replica), eager or, with ``compile``,
    through :func:`torch.compile` (``True``: its default mode; or a mode such as
    ``"reduce-overhead"``, which adds CUDA graphs on a GPU). The compiled function is made once per
    model and mode; autograd differentiates it like the eager one (AOTAutograd compiles the
    backward pass too)."""
    if not (isinstance(compile, bool) or (isinstance(compile, str) and compile in COMPILE_MODES)):
        raise ValueError(f"compile must be one of {COMPILE_MODES}, got {compile!r}")

    def loss(x: torch.Tensor) -> torch.Tensor:
        return reconstruction_error(model(x), x)

    if not compile:
        return loss
    mode = "default" if compile is True else compile
    per_model = model.__dict__.setdefault("_compiled_losses", {})  # made once per model and mode
    if mode not in per_model:
        per_model[mode] = torch.compile(loss, mode=mode)
    return per_model[mode]


def train_epoch(
    model: DeepAutoencoder,
    optimizers: Sequence[torch.optim.Optimizer],
    train_x: torch.Tensor,
    order: Sequence[torch.Tensor],
    clock: Clock | None = None,
    *,
    compile: bool | str = False,
) -> list[torch.Tensor]:
    """One epoch of lockstep fine-tuning over the mini-batches ``order`` (index tensors on the
    device of ``train_x``); returns each step's per-replica loss (tensors on the device: nothing in
    this loop reads a value back to the host).

    Each step computes every replica's loss with the model's forward pass
    (:func:`~optimlab.training.losses.reconstruction_error` of the batch, [replicas]), their sum's
    gradients with autograd (``backward()``: the replicas are independent, so each stacked
    parameter's slice k holds replica k's gradient), shows each replica's parameters their slice
    (``DeepAutoencoder.share_gradients``), and steps every optimizer. The same code runs on
    every device. ``clock``, if given, times the shared forward-backward pass (part ``"shared"``)
    and each optimizer's step (part ``"0"``, ``"1"``, …). ``compile``: the loss through
    :func:`torch.compile` (:func:`loss_function`; off by default: on the CPU it did not pay, see
    ``benchmarks/profile_step.py --compile``).
    """
    loss_of = loss_function(model, compile)
    parts = [str(j) for j in range(len(optimizers))]
    losses = []
    for idx in order:
        x = train_x[idx]
        if clock is not None:
            clock.start()
        model.zero_grad(set_to_none=True)
        per_replica = loss_of(x)
        per_replica.sum().backward()
        model.share_gradients()
        if clock is not None:
            clock.lap("shared")
        for part, opt in zip(parts, optimizers):
            opt.step()
            if clock is not None:
                clock.lap(part)
        losses.append(per_replica.detach())
    if clock is not None:
        clock.stop()
    return losses


#: Seconds of fine-tuning between two checkpoints, unless ``finetune`` is told otherwise:
#: ``$OPTIMBOOK_CHECKPOINT_SECONDS``, else 30. Writing one (the weights and every optimizer's state,
#: about 20-35 MB at paper scale, synced to disk) takes 50-80 ms: after every epoch of a 1/10-MNIST
#: run (about 1.3 s) that was 4-6 % of its time; every 30 s it is 0.2 %, and a kill loses at most
#: 30 s of work.
DEFAULT_CHECKPOINT_SECONDS = 30.0


def checkpoint_interval(seconds: float | None = None) -> float:
    """``seconds`` checked, or the default interval (``$OPTIMBOOK_CHECKPOINT_SECONDS``, else 30)."""
    if seconds is None:
        env = os.environ.get("OPTIMBOOK_CHECKPOINT_SECONDS")
        seconds = float(env) if env else DEFAULT_CHECKPOINT_SECONDS
        name = "OPTIMBOOK_CHECKPOINT_SECONDS" if env else "checkpoint_seconds"
    else:
        name = "checkpoint_seconds"
    return check_number(name, seconds, low=0.0)


def _kill_hook(epoch: int) -> None:
    """Fault injection for the resume test: ``OPTIMBOOK_KILL_AFTER_EPOCH=n`` SIGKILLs this process
    right after epoch n's checkpoint is written (no cleanup runs, as with a real kill)."""
    target = os.environ.get("OPTIMBOOK_KILL_AFTER_EPOCH")
    if target is not None and int(target) == epoch:
        os.kill(os.getpid(), signal.SIGKILL)


def finetune(
    model: DeepAutoencoder,
    optimizers: Sequence[torch.optim.Optimizer],
    names: Sequence[str],
    train_x: torch.Tensor,
    test_x: torch.Tensor,
    config: FineTuning,
    *,
    seed: int = 0,
    checkpoint: Path | None = None,
    key: str = "",
    progress: Callable[[int], None] | None = None,
    checkpoint_seconds: float | None = None,
    compile: bool | str = False,
) -> list[list[dict[str, float]]]:
    """Fine-tune every replica of ``model`` with its optimizer; return one record list per replica.

    Args:
        model: the replicated autoencoder (replica k is trained by ``optimizers[k]``).
        optimizers: one optimizer per replica, built on ``model.replica_parameters(k)``.
        names: one label per replica (error messages name it).
        train_x, test_x: images [N, 784] on the model's device.
        config: epochs, batch size and evaluation interval.
        seed: mini-batch order (epoch e uses the permutation seeded by (seed, e)).
        checkpoint: file to checkpoint to and resume from if it exists (its ``key`` must match);
            removed when the run completes.
        checkpoint_seconds: write the checkpoint after the first epoch that ends at least this
            many seconds after the last one was written (0: after every epoch; default
            :func:`checkpoint_interval`).
        key: identifies the run in the checkpoint.
        progress: called with the number of epochs completed.
        compile: fine-tune with the loss through :func:`torch.compile` (:func:`loss_function`);
            the numbers may differ from eager ones in their last bits.

    Returns:
        For each replica, records ``{"epoch", "test_rer", "train_rer", "seconds", "train_loss"}``
        at the epochs of :meth:`FineTuning.eval_epochs`; ``train_loss`` is the mean per-image loss
        of the preceding epoch (NaN at epoch 0).

    Raises:
        NonFiniteLossError: a replica's loss became NaN or infinite (its name and step are given).
    """
    k = model.replicas
    loss_function(model, compile)  # checks compile before anything runs
    if not (len(optimizers) == len(names) == k):
        raise ValueError(f"need one optimizer and one name per replica ({k}), got "
                         f"{len(optimizers)} and {len(names)}")
    eval_at = set(config.eval_epochs())
    start = 0
    records: list[list[dict[str, float]]] = [[] for _ in range(k)]
    seconds = [0.0] * k
    # a damaged checkpoint is moved aside (with a warning naming it) and the run starts over
    state = load_torch(checkpoint, map_location=train_x.device, weights_only=True) if checkpoint is not None else None
    if state is not None:
        if state.get("key") == key:
            model.load_state_dict(state["model"])
            for opt, sd in zip(optimizers, state["optimizers"]):
                opt.load_state_dict(sd)
            start, records, seconds = state["epoch"], state["records"], state["seconds"]
    if start == 0 and not records[0]:
        test, train = reconstruction_errors(model, test_x), reconstruction_errors(model, train_x)
        for j in range(k):
            records[j].append({"epoch": 0, "test_rer": test[j], "train_rer": train[j],
                               "seconds": 0.0, "train_loss": math.nan})
    n = len(train_x)
    interval = checkpoint_interval(checkpoint_seconds)
    since_saved = Clock()  # the host's seconds since the last checkpoint
    since_saved.start()
    for epoch in range(start, config.epochs):
        order = list(batches(n, config.batch_size, seed=seed, epoch=epoch, device=train_x.device))
        clock = Clock(train_x.device)
        losses = []
        if epoch == start:  # the run's first step in this process, untimed (see the module docstring)
            losses, order = train_epoch(model, optimizers, train_x, order[:1], compile=compile), order[1:]
        losses += train_epoch(model, optimizers, train_x, order, clock, compile=compile)
        parts = clock.read()
        shared, own = parts.get("shared", 0.0), [parts.get(str(j), 0.0) for j in range(k)]
        losses_t = torch.stack(losses)  # [steps, replicas]
        finite = torch.isfinite(losses_t)
        if not finite.all():
            step_idx, j = (~finite).nonzero()[0].tolist()
            steps_per_epoch = len(losses)
            raise NonFiniteLossError(
                f"{names[j]}: loss became {losses_t[step_idx, j].item()} at step "
                f"{epoch * steps_per_epoch + step_idx + 1} (epoch {epoch + 1})"
            )
        epoch_loss = (losses_t.sum(0) / n).tolist()
        for j in range(k):
            seconds[j] += shared / k + own[j]
        if epoch + 1 in eval_at:
            test, train = reconstruction_errors(model, test_x), reconstruction_errors(model, train_x)
            for j in range(k):
                records[j].append({"epoch": epoch + 1, "test_rer": test[j], "train_rer": train[j],
                                   "seconds": seconds[j], "train_loss": epoch_loss[j]})
        if checkpoint is not None and epoch + 1 < config.epochs and since_saved.elapsed() >= interval:
            atomic_torch_save(Path(checkpoint), {
                "key": key, "epoch": epoch + 1, "model": model.state_dict(),
                "optimizers": [opt.state_dict() for opt in optimizers],
                "records": records, "seconds": seconds,
            })
            since_saved.start()
            _kill_hook(epoch + 1)
        if progress is not None:
            progress(epoch + 1)
    if checkpoint is not None and Path(checkpoint).is_file():
        Path(checkpoint).unlink()
    return records
