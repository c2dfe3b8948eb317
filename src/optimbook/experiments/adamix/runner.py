"""The runner: pretrain once per (fraction, seed), fine-tune every strategy from that network, cache."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace

import torch

from ...finetuning import finetune
from ...models.autoencoder import DeepAutoencoder
from ...models.rbm import RBM
from ...optim import PerRole
from ...pretraining import pretrain_stack
from ...runtime import check_scale, cpu_count, resolve_device
from ..cache import atomic_torch_save, atomic_write_text, code_version, key_digest, results_root
from .registry import Strategy, experiment
from .setup import SETUPS, Setup, strategy_rules

__all__ = [
    "COLUMNS",
    "default_workers",
    "pretrained",
    "pretraining_log",
    "run",
    "run_info",
    "runs_to_csv",
    "trained_model",
]

#: Columns of the tables :func:`run` returns.
COLUMNS = ["experiment", "strategy", "weight_rule", "bias_rule", "data_fraction", "seed", "epoch",
           "test_rer", "train_rer", "seconds"]

#: Modules whose code decides a run's numbers (the cache key includes their hash).
PRETRAIN_CODE = ["optimbook.pretraining", "optimbook.models.rbm", "optimbook.data", "optimbook.train",
                 "optimbook.experiments.adamix.setup"]
FINETUNE_CODE = PRETRAIN_CODE + ["optimbook.finetuning", "optimbook.models.autoencoder",
                                 "optimbook.optim", "optimbook.schedules"]


def _pretrain_key(setup: Setup, fraction: float, seed: int) -> dict:
    fields = ("sizes", "fraction_scale", "subset", "data_seed", "init_std", "first_visible_bias",
              "pretrain_epochs", "pretrain_lr", "top_lr", "weight_cost", "batch_size")
    return {"what": "pretrain", **{f: getattr(setup, f) for f in fields}, "fraction": fraction,
            "seed": seed, "code": code_version(PRETRAIN_CODE)}


def pretrained(setup: Setup, fraction: float, seed: int, train_x: torch.Tensor, folder,
               cache: bool = True) -> tuple[list[RBM], dict]:
    """The RBM stack for (setup, fraction, seed): from the cache, or pretrained and cached."""
    key = _pretrain_key(setup, fraction, seed)
    path = folder / "pretrained" / f"{key_digest(key)}.pt"
    if cache and path.is_file():
        saved = torch.load(path, map_location=train_x.device, weights_only=True)
        rbms = []
        for state, hidden in zip(saved["rbms"], saved["hidden"]):
            rbm = RBM(state["W"].shape[0], state["W"].shape[1], hidden=hidden).to(train_x.device)
            rbm.load_state_dict(state)
            rbms.append(rbm)
        return rbms, saved["log"]
    tic = time.perf_counter()
    rbms, layers = pretrain_stack(train_x, setup.sizes, setup.pretraining(), seed=seed,
                                  init_std=setup.init_std, first_visible_bias=setup.first_visible_bias)
    log = {"layers": layers, "seconds": time.perf_counter() - tic, "device": train_x.device.type}
    if cache:
        atomic_torch_save(path, {"key": key, "rbms": [r.state_dict() for r in rbms],
                                 "hidden": [r.hidden for r in rbms], "log": log})
    return rbms, log


def pretraining_log(setup: Setup, fraction: float, seed: int, *, scale: str = "paper") -> dict:
    """The log of a cached pretraining (``{"layers": [...], "seconds", "device"}``).

    Raises ``FileNotFoundError`` if that stack has not been pretrained yet (:func:`run` does it).
    """
    path = results_root() / scale / "pretrained" / f"{key_digest(_pretrain_key(setup, fraction, seed))}.pt"
    if not path.is_file():
        raise FileNotFoundError(f"no pretrained stack for fraction {fraction}, seed {seed} at {path}")
    return torch.load(path, map_location="cpu", weights_only=True)["log"]


def _run_key(strategy: Strategy, setup: Setup, fraction: float, seed: int, device: torch.device,
             steps_per_epoch: int) -> dict:
    weight, bias = strategy_rules(strategy, setup, steps_per_epoch)
    return {"what": "finetune", "weight": repr(weight), "bias": repr(bias),
            "setup": {k: v for k, v in asdict(setup).items() if k != "lockstep"},
            "fraction": fraction, "seed": seed, "device": device.type,
            "code": code_version(FINETUNE_CODE)}


def _groups(items: list, lockstep: bool) -> Iterable[list]:
    if lockstep:
        if items:
            yield items
    else:
        for item in items:
            yield [item]


def default_workers(scale: str, device: torch.device) -> int:
    """Processes :func:`run` uses when not told: ``$OPTIMBOOK_WORKERS`` if set; else one per CPU core
    at paper scale on the CPU (each single-threaded: small matrix products run more efficiently on
    one core each than split across cores), and one on a GPU or at smoke scale (where starting
    processes would cost more than it saves)."""
    env = os.environ.get("OPTIMBOOK_WORKERS")
    if env:
        return max(1, int(env))
    if device.type != "cpu" or scale == "smoke":
        return 1
    return max(1, cpu_count())


def _init_worker(root: str, threads: int) -> None:
    os.environ["OPTIMBOOK_RESULTS"] = root
    os.environ["OPTIMBOOK_WORKERS"] = "1"
    torch.set_num_threads(threads)


def _pretrain_job(scale: str, setup: Setup, fraction: float, seed: int, device: str) -> None:
    dev = resolve_device(device)
    train_x, _ = setup.images(fraction, dev)
    pretrained(setup, fraction, seed, train_x, results_root() / scale)


def _finetune_job(name: str, scale: str, setup: Setup, fraction: float, seed: int,
                  strategy: Strategy, device: str) -> None:
    run(name, scale, seeds=(seed,), device=device, setup=setup, strategies=[strategy],
        fractions=[fraction], workers=1)


def _run_parallel(name, scale, setup, pending, device, workers, bar) -> None:
    """Fill the cache for ``pending`` with up to ``workers`` processes: first every missing
    pretrained stack, then every (fraction, seed, strategy) fine-tuning, largest first. A phase with
    fewer jobs than workers uses fewer processes with more threads each, so no core idles."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")

    def phase(calls):
        if not calls:
            return
        size = min(workers, len(calls))
        threads = max(1, cpu_count() // size)
        with ProcessPoolExecutor(size, mp_context=context, initializer=_init_worker,
                                 initargs=(str(results_root()), threads)) as pool:
            futures = [(pool.submit(fn, *args), done) for fn, args, done in calls]
            for future, done in futures:
                future.result()
                if done and bar is not None:
                    bar.update(done)

    folder = results_root() / scale / "pretrained"
    stacks = sorted({(f, s) for f, s, _, _ in pending
                     if not (folder / f"{key_digest(_pretrain_key(setup, f, s))}.pt").is_file()},
                    key=lambda j: -j[0])
    phase([(_pretrain_job, (scale, setup, f, s, device), 0) for f, s in stacks])
    solo = replace(setup, lockstep=False)
    tasks = sorted(((f, s, strategy) for f, s, _, todo in pending for strategy, _, _ in todo),
                   key=lambda t: -t[0])
    phase([(_finetune_job, (name, scale, solo, f, s, strategy, device), setup.epochs)
           for f, s, strategy in tasks])


def run(
    name: str,
    scale: str = "paper",
    seeds: Sequence[int] = (0,),
    device: str | torch.device = "auto",
    *,
    setup: Setup | None = None,
    strategies: Sequence[Strategy] | None = None,
    fractions: Sequence[float] | None = None,
    cache: bool = True,
    progress: bool = False,
    workers: int | None = None,
):
    """Run experiment ``name`` ("fig4" … "fig8") and return its tidy results table.

    Args:
        name: the experiment.
        scale: ``"paper"`` (the paper's configuration) or ``"smoke"`` (seconds, for CI).
        seeds: training seeds (pretraining initialisation and sampling, mini-batch order); the data
            subset is fixed by ``Setup.data_seed``.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        setup: override the scale's :class:`Setup` (ablations).
        strategies, fractions: run only these (default: the experiment's own).
        cache: reuse finished runs and pretrained stacks from ``results/<scale>/``.
        progress: show a tqdm progress bar over fine-tuning epochs.
        workers: processes to spread independent pretrainings and fine-tunings over (default:
            :func:`default_workers`). With more than one, each strategy fine-tunes alone in a
            worker and its ``seconds`` are measured there; the numbers do not depend on it beyond
            floating-point rounding. Needs ``cache`` (the workers hand results over through it).

    Returns:
        A :class:`pandas.DataFrame` with ``COLUMNS``, one row per strategy, fraction, seed and
        recorded epoch (0, 5, …, 50 at paper scale).
    """
    import pandas as pd

    check_scale(scale)
    found = experiment(name)
    setup = setup or SETUPS[scale]
    dev = resolve_device(device)
    folder = results_root() / scale
    strategies = list(strategies or found.strategies)
    fractions = list(fractions or found.fractions)
    ft = setup.finetuning()
    rows: list[dict] = []
    pending = []  # (fraction, seed, [(strategy, key, path)])
    for fraction in fractions:
        n_train, _ = setup.numbers(fraction)
        steps_per_epoch = math.ceil(n_train / setup.batch_size)
        for seed in seeds:
            todo = []
            for strategy in strategies:
                key = _run_key(strategy, setup, fraction, seed, dev, steps_per_epoch)
                path = folder / "runs" / f"{key_digest(key)}.json"
                if cache and path.is_file():
                    rows += _rows(name, strategy, fraction, seed, json.loads(path.read_text())["records"])
                else:
                    todo.append((strategy, key, path))
            if todo:
                pending.append((fraction, seed, steps_per_epoch, todo))
    workers = default_workers(scale, dev) if workers is None else int(workers)
    parallel = cache and workers > 1 and sum(len(todo) for *_, todo in pending) > 1
    bar = None
    if progress and pending:
        from tqdm.auto import tqdm

        groups = sum(len(todo) if parallel else len(list(_groups(todo, setup.lockstep)))
                     for *_, todo in pending)
        bar = tqdm(total=ft.epochs * groups, desc=f"{name} ({scale})", unit="epoch")
    if parallel:
        _run_parallel(name, scale, setup, pending, str(dev), workers, bar)
        if bar is not None:
            bar.close()
        return run(name, scale, seeds, dev, setup=setup, strategies=strategies, fractions=fractions,
                   workers=1)
    for fraction, seed, steps_per_epoch, todo in pending:
        train_x, test_x = setup.images(fraction, dev)
        rbms, pre_log = pretrained(setup, fraction, seed, train_x, folder, cache)
        for group in _groups(todo, setup.lockstep):
            model = DeepAutoencoder.unroll(rbms, replicas=len(group)).to(dev)
            optimizers, labels = [], []
            for k, (strategy, _, _) in enumerate(group):
                weight, bias = strategy_rules(strategy, setup, steps_per_epoch)
                optimizers.append(PerRole(model.replica_parameters(k), weight=weight, bias=bias))
                labels.append(f"{name}/{strategy.label} (fraction {fraction}, seed {seed})")
            group_key = key_digest({"group": [key for _, key, _ in group]})
            tic = time.perf_counter()
            records = finetune(
                model, optimizers, labels, train_x, test_x, ft, seed=seed,
                checkpoint=folder / "checkpoints" / f"{group_key}.pt" if cache else None,
                key=group_key, progress=(lambda e: bar.update(1)) if bar is not None else None,
            )
            wall = time.perf_counter() - tic
            for k, ((strategy, key, path), recs) in enumerate(zip(group, records)):
                if cache:
                    atomic_torch_save(path.with_suffix(".pt"), {
                        "key": key, "state": model.replica_state(k), "activations": model.activations})
                    atomic_write_text(path, json.dumps({
                        "key": key, "records": recs, "replicas": len(group), "wall_seconds": wall,
                        "pretraining": pre_log, "torch": torch.__version__}))
                rows += _rows(name, strategy, fraction, seed, recs)
    if bar is not None:
        bar.close()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    order = {s.label: i for i, s in enumerate(strategies)}
    frame = frame.sort_values(["data_fraction", "seed", "strategy", "epoch"],
                              key=lambda col: col.map(order) if col.name == "strategy" else col)
    return frame.reset_index(drop=True)


def trained_model(
    name: str,
    strategy: str,
    *,
    scale: str = "paper",
    seed: int = 0,
    fraction: float | None = None,
    setup: Setup | None = None,
    device: str | torch.device = "auto",
) -> DeepAutoencoder:
    """The fine-tuned network of a finished run (from the cache), as a one-replica autoencoder.

    ``device`` is the device the run was made on (part of its cache key), where the network is
    loaded. Raises ``FileNotFoundError`` if that run has not been made (``run(name, ...)`` makes it).
    """
    exp = experiment(name)
    found = [s for s in exp.strategies if s.label == strategy]
    if not found:
        raise ValueError(f"strategy must be one of {[s.label for s in exp.strategies]}, got {strategy!r}")
    setup = setup or SETUPS[scale]
    fraction = exp.fractions[0] if fraction is None else fraction
    dev = resolve_device(device)
    steps_per_epoch = math.ceil(setup.numbers(fraction)[0] / setup.batch_size)
    key = _run_key(found[0], setup, fraction, seed, dev, steps_per_epoch)
    path = results_root() / scale / "runs" / f"{key_digest(key)}.pt"
    if not path.is_file():
        raise FileNotFoundError(f"no finished run of {name}/{strategy} (seed {seed}) at {path}")
    saved = torch.load(path, map_location=dev, weights_only=True)
    state = saved["state"]
    n = len(saved["activations"])
    return DeepAutoencoder([state[f"weights.{i}"] for i in range(n)],
                           [state[f"biases.{i}"] for i in range(n)], saved["activations"])


def run_info(
    name: str,
    scale: str = "paper",
    seeds: Sequence[int] = (0,),
    device: str | torch.device = "auto",
    *,
    setup: Setup | None = None,
):
    """Where and how long the cached runs of an experiment took: one row per strategy, fraction and
    seed with ``wall_seconds`` (the lockstep group's fine-tuning), ``replicas`` (its size),
    ``pretraining_seconds``, ``device`` and ``torch``. Runs not made yet are left out."""
    import pandas as pd

    found = experiment(name)
    setup = setup or SETUPS[scale]
    dev = resolve_device(device)
    rows = []
    for fraction in found.fractions:
        steps_per_epoch = math.ceil(setup.numbers(fraction)[0] / setup.batch_size)
        for seed in seeds:
            for strategy in found.strategies:
                key = _run_key(strategy, setup, fraction, seed, dev, steps_per_epoch)
                path = results_root() / scale / "runs" / f"{key_digest(key)}.json"
                if not path.is_file():
                    continue
                saved = json.loads(path.read_text())
                rows.append({"strategy": strategy.label, "data_fraction": fraction, "seed": seed,
                             "wall_seconds": saved["wall_seconds"], "replicas": saved["replicas"],
                             "pretraining_seconds": saved["pretraining"]["seconds"],
                             "device": saved["pretraining"].get("device", dev.type),
                             "torch": saved.get("torch")})
    return pd.DataFrame(rows)


def _rows(name: str, strategy: Strategy, fraction: float, seed: int, records: list[dict]) -> list[dict]:
    return [{"experiment": name, "strategy": strategy.label, "weight_rule": strategy.weight_rule,
             "bias_rule": strategy.bias_rule, "data_fraction": fraction, "seed": seed,
             "epoch": r["epoch"], "test_rer": r["test_rer"], "train_rer": r["train_rer"],
             "seconds": r["seconds"]} for r in records]


def runs_to_csv(frame, name: str, scale: str):
    """Write ``results/<scale>/<name>.csv`` atomically; return its path."""
    path = results_root() / scale / f"{name}.csv"
    atomic_write_text(path, frame.to_csv(index=False))
    return path
