"""Head-to-head comparisons on one MNIST classifier: optimizers, schedules, seeds.

:func:`compare` trains the same multilayer perceptron (784-100-10, ReLU, softmax cross-entropy) once
per candidate and seed, and returns a tidy table with one row per (candidate, seed, epoch). The
chapters on optimizers and on learning-rate decay draw their MNIST figures from it. Each
(candidate, seed) run is cached (see :mod:`optimlab.experiments.cache`), so re-running a chapter
recomputes only new or changed candidates.

Every run records its floating-point work with the meter :mod:`optimlab.training.work`, as one
``"classifier run"`` entry under its cache path: what :func:`~optimlab.training.loop.fit` records of
its training, and the evaluations (a forward pass over the test images at every record). Its cache
record keeps that count (``"flop"``); a run read from the cache records it as reused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch

from optimlab.training import flops, work
from optimlab.training.data import load_mnist
from optimlab.training.losses import cross_entropy
from optimlab.training.models import mlp
from optimbook.optim.per_role import Rule, _as_rule
from optimlab.runtime import check_scale, resolve_device
from optimlab.training.loop import fit
from optimlab.experiments.cache import atomic_write_text, code_version, key_digest, results_root

__all__ = ["ClassifierConfig", "CONFIGS", "compare"]

#: Modules whose code determines a run's numbers (the cache key includes their hash).
CODE = ["optimbook.optim", "optimlab.training.loop", "optimlab.training.data", "optimlab.training.models",
        "optimlab.training.losses", "optimbook.schedules", "optimlab.experiments.classifier"]


@dataclass(frozen=True)
class ClassifierConfig:
    """Data and training settings of :func:`compare` at one scale."""

    train_fraction: float
    test_fraction: float
    hidden: int
    epochs: int
    batch_size: int


#: The settings of each scale.
CONFIGS = {
    "smoke": ClassifierConfig(train_fraction=0.02, test_fraction=0.05, hidden=100, epochs=3, batch_size=50),
    "paper": ClassifierConfig(train_fraction=1.0, test_fraction=1.0, hidden=100, epochs=10, batch_size=100),
}


def _run(rule: Rule, seed: int, config: ClassifierConfig, data, device) -> list[dict[str, Any]]:
    xtr, ytr, xte, yte = data
    model = mlp(784, config.hidden, 10, seed=seed).to(device)
    optimizer = rule.optimizer(
        [{"params": list(model.parameters()), **dict(rule.group)}], **dict(rule.kwargs)
    )

    def evaluate(m):
        logits = m(xte)
        return {
            "test_loss": cross_entropy(logits, yte).item(),
            "test_accuracy": (logits.argmax(1) == yte).float().mean().item(),
        }

    hist = fit(model, cross_entropy, optimizer, xtr, ytr, batch_size=config.batch_size,
               epochs=config.epochs, seed=seed, evaluate=evaluate)
    # fit counts its training; the evaluations are ours: one forward pass over xte per record
    work.add(flops.Count(flops.mlp_forward((784, config.hidden, 10), len(xte)) * len(hist.records)), "evaluation")
    return [
        {"epoch": int(round(r["epoch"])), "step": r["step"], "seconds": r["seconds"],
         "train_loss": r["loss"], "test_loss": r["test_loss"], "test_accuracy": r["test_accuracy"]}
        for r in hist.records
    ]


def _saved(path) -> dict[str, Any] | None:
    """The cached record at ``path`` if it holds its rows and its work, else None (made again: a
    record written before runs recorded their work, or one that does not parse)."""
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text())
        flops.Count.from_record(saved["flop"])
    except (ValueError, KeyError, TypeError):
        return None
    return saved if isinstance(saved.get("rows"), list) else None


def compare(
    candidates: Mapping[str, Any],
    *,
    scale: str = "smoke",
    seeds: Sequence[int] = (0, 1, 2),
    epochs: int | None = None,
    device: str | torch.device = "auto",
    cache: bool = True,
):
    """Train the MNIST MLP once per candidate and seed; return a tidy :class:`pandas.DataFrame`.

    Args:
        candidates: ``{label: rule}``; a rule is an :class:`~optimbook.optim.per_role.Rule` (optimizer class,
            kwargs, optional step schedule) or a tuple ``(class, kwargs[, schedule])``.
        scale: ``"smoke"`` or ``"paper"`` (see ``CONFIGS``).
        seeds: one run per seed (model initialisation and batch order).
        epochs: override the scale's number of epochs.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``.
        cache: reuse finished runs from ``results/<scale>/classifier/``.

    Returns:
        Columns ``label, seed, epoch, step, seconds, train_loss, test_loss, test_accuracy``;
        epoch 0 is the untrained model, ``seconds`` the cumulative training time.
    """
    import pandas as pd

    check_scale(scale)
    config = CONFIGS[scale]
    if epochs is not None:
        config = ClassifierConfig(**{**asdict(config), "epochs": int(epochs)})
    dev = resolve_device(device)
    rules = {label: _as_rule(f"candidates[{label!r}]", rule) for label, rule in candidates.items()}
    version = code_version(CODE)
    folder = results_root() / scale / "classifier"
    data = None
    frames = []
    for label, rule in rules.items():
        for seed in seeds:
            key = {"rule": repr(rule), "seed": int(seed), "config": asdict(config),
                   "device": dev.type, "code": version}
            path = folder / f"{key_digest(key)}.json"
            saved = _saved(path) if cache else None
            if saved is not None:
                rows = saved["rows"]
                work.reuse(flops.Count.from_record(saved["flop"]), "classifier run", key=str(path))
            else:
                if data is None:
                    data = (*load_mnist("train", fraction=config.train_fraction, device=dev),
                            *load_mnist("test", fraction=config.test_fraction, device=dev))
                tic = time.perf_counter()
                with work.run("classifier run", key=str(path) if cache else None) as done:
                    rows = _run(rule, int(seed), config, data, dev)
                if cache:
                    atomic_write_text(path, json.dumps(
                        {"key": key, "rows": rows, "wall_seconds": time.perf_counter() - tic,
                         "flop": done.count.to_record()}))
            frames.append(pd.DataFrame(rows).assign(label=label, seed=int(seed)))
    frame = pd.concat(frames, ignore_index=True)
    return frame[["label", "seed", "epoch", "step", "seconds", "train_loss", "test_loss", "test_accuracy"]]
