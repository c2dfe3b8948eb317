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
time of its own optimizer steps. On the CPU the host clock times each part; on a GPU CUDA events
recorded on the stream do, and are read once per epoch, so the step loop (:func:`train_epoch`) never
waits for the device.
"""

from __future__ import annotations

import math
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from optimlab.training.models.autoencoder import DeepAutoencoder
from optimlab.runtime import check_number
from optimlab.storage import atomic_torch_save, load_torch
from optimlab.training.loop import NonFiniteLossError, batches, gather

__all__ = ["FineTuning", "StepTimer", "checkpoint_interval", "finetune", "layer_parameters",
           "reconstruction_errors", "train_epoch"]


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
    """RER of every replica on ``x``: Σ_pixels (out − in)², averaged over the images."""
    total = torch.zeros(model.replicas, dtype=torch.float64, device=x.device)
    for i in range(0, len(x), chunk):
        xb = x[i:i + chunk]
        total += (model(xb) - xb).pow(2).sum(dim=(1, 2)).double()
    return (total / len(x)).tolist()


class StepTimer:
    """Times the shared forward-backward pass and each optimizer's step over one epoch.

    On the CPU it reads the host clock around each part (the work is done when the call returns).
    On a GPU it records CUDA events on the current stream instead and reads them in :meth:`totals`,
    after one synchronisation at the end of the epoch: the step loop never waits for the device.
    """

    def __init__(self, device: torch.device, replicas: int) -> None:
        self.cuda = torch.device(device).type == "cuda"
        self.replicas = replicas
        self.shared = 0.0
        self.own = [0.0] * replicas
        self._marks: list[list] = []  # CUDA: per step, [start, after backward, after optimizer j, …]
        self._tic = 0.0

    def start(self) -> None:
        if self.cuda:
            event = torch.cuda.Event(enable_timing=True)
            event.record()
            self._marks.append([event])
        else:
            self._tic = time.perf_counter()

    def mark(self, part: int) -> None:
        """End of part ``part`` of this step (-1: the shared pass, j: optimizer j), start of the next."""
        if self.cuda:
            event = torch.cuda.Event(enable_timing=True)
            event.record()
            self._marks[-1].append(event)
            return
        toc = time.perf_counter()
        if part < 0:
            self.shared += toc - self._tic
        else:
            self.own[part] += toc - self._tic
        self._tic = toc

    def totals(self) -> tuple[float, list[float]]:
        """(shared seconds, [seconds of optimizer j]) of the steps timed so far."""
        if self.cuda and self._marks:
            self._marks[-1][-1].synchronize()
            for marks in self._marks:
                self.shared += marks[0].elapsed_time(marks[1]) / 1e3
                for j in range(self.replicas):
                    self.own[j] += marks[j + 1].elapsed_time(marks[j + 2]) / 1e3
            self._marks = []
        return self.shared, list(self.own)


def train_epoch(
    model: DeepAutoencoder,
    optimizers: Sequence[torch.optim.Optimizer],
    train_x: torch.Tensor,
    order: Sequence[torch.Tensor],
    timer: StepTimer | None = None,
) -> list[torch.Tensor]:
    """One epoch of lockstep fine-tuning over the mini-batches ``order`` (index tensors on the
    device of ``train_x``); returns each step's per-replica loss (tensors on the device: nothing in
    this loop reads a value back to the host). The gradients come from
    :meth:`~optimlab.training.models.autoencoder.DeepAutoencoder.backprop`: autograd's numbers, computed
    into buffers kept between steps.

    On the CPU, when every optimizer can step some of its parameters alone (``partial_step``) and
    holds only the model's weights and biases, each layer is updated inside the backward pass, as
    soon as its gradient is computed (:func:`layer_parameters`): its weights and gradient are then
    read from the cache rather than from memory. Each parameter still takes one step per
    mini-batch, with the gradient of the weights before the step, so the numbers are those of
    ``backprop`` followed by every ``step()`` (``tests/test_backprop.py``).
    """
    layers = layer_parameters(model, optimizers) if train_x.device.type == "cpu" else None
    mark = timer.mark if timer is not None else (lambda part: None)

    def update(i: int) -> None:  # layer i's gradients are in .grad: step it now
        mark(-1)
        for j, (opt, params) in enumerate(zip(optimizers, layers[i])):
            if params:
                opt.partial_step(params)
            mark(j)

    losses, buffers = [], {}
    for idx in order:
        x = gather(train_x, idx, buffers)
        if timer is not None:
            timer.start()
        # Σ over the batch and the pixels; gradients in .grad (each layer stepped there if it can be)
        per_replica = model.backprop(x, None if layers is None else update)
        mark(-1)
        if layers is None:  # every optimizer steps after the pass
            for j, opt in enumerate(optimizers):
                opt.step()
                mark(j)
        losses.append(per_replica.detach())
    return losses


def layer_parameters(model: DeepAutoencoder,
                     optimizers: Sequence[torch.optim.Optimizer]) -> list[list[list[torch.Tensor]]] | None:
    """For each layer of ``model`` and each optimizer, the tensors of that layer (its stacked weight
    and bias, or a replica's views of them) the optimizer holds, so that the layer can be updated
    inside the backward pass; ``None`` where it cannot be: an optimizer without a separable
    ``partial_step``, or one holding a tensor that is not a layer's weight or bias."""
    if not all(getattr(opt, "separable", False) for opt in optimizers):
        return None
    n = len(model.weights)
    views = [model.replica_parameters(k) for k in range(model.replicas)]
    layer_of = {}
    for i in range(n):
        for t in (model.weights[i], model.biases[i], *(v[i] for v in views), *(v[n + i] for v in views)):
            layer_of[id(t)] = i
    out: list[list[list[torch.Tensor]]] = [[[] for _ in optimizers] for _ in range(n)]
    for j, opt in enumerate(optimizers):
        for group in opt.param_groups:
            for p in group["params"]:
                if id(p) not in layer_of:
                    return None
                out[layer_of[id(p)]][j].append(p)
    return out


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

    Returns:
        For each replica, records ``{"epoch", "test_rer", "train_rer", "seconds", "train_loss"}``
        at the epochs of :meth:`FineTuning.eval_epochs`; ``train_loss`` is the mean per-image loss
        of the preceding epoch (NaN at epoch 0).

    Raises:
        NonFiniteLossError: a replica's loss became NaN or infinite (its name and step are given).
    """
    k = model.replicas
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
    last_saved = time.perf_counter()
    for epoch in range(start, config.epochs):
        order = list(batches(n, config.batch_size, seed=seed, epoch=epoch, device=train_x.device))
        timer = StepTimer(train_x.device, k)
        losses = train_epoch(model, optimizers, train_x, order, timer)
        shared, own = timer.totals()
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
        if checkpoint is not None and epoch + 1 < config.epochs and time.perf_counter() - last_saved >= interval:
            atomic_torch_save(Path(checkpoint), {
                "key": key, "epoch": epoch + 1, "model": model.state_dict(),
                "optimizers": [opt.state_dict() for opt in optimizers],
                "records": records, "seconds": seconds,
            })
            last_saved = time.perf_counter()
            _kill_hook(epoch + 1)
        if progress is not None:
            progress(epoch + 1)
    if checkpoint is not None and Path(checkpoint).is_file():
        Path(checkpoint).unlink()
    return records
