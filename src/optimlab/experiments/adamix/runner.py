"""The runner as plan → execute → collect.

:func:`plan` turns experiments (their strategies, data fractions, readings) and seeds into one
:class:`Plan`: the pretraining jobs (one per distinct RBM stack) and the fine-tuning jobs (one per
distinct run), each with its cache key. Jobs that several experiments share — Cons+Cons of Exp. 2,
3 and 4, Exp. 1's strategies under the default reading of the ``readings`` experiment — are one job.
:func:`execute` fills the cache for the jobs not in it (serially, strategies that share a
pretrained network in lockstep, or over worker processes as one schedule: a fine-tuning starts when
its stack exists, the longest chain first, see :func:`schedule_order`); :func:`collect` reads the
tables from the cache. :func:`run` is the three in a row. :func:`merge` joins plans (what several
chapters need, :func:`book_plan`) so that they execute as one schedule; :func:`simulate` gives the
length of a schedule from the counted work.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from optimlab.training.finetuning import finetune
from optimlab.training.models.autoencoder import DeepAutoencoder
from optimlab.training.models.rbm import RBM
from optimbook.optim import PerRole
from optimlab.training.pretraining import pretrain_stack
from optimlab.runtime import check_scale, cpu_count, resolve_device
from optimlab.storage import load_json, load_torch
from optimlab.experiments.cache import atomic_torch_save, atomic_write_text, code_version, key_digest, results_root
from optimlab.experiments.adamix.registry import Reading, Strategy, experiment
from optimlab.experiments.adamix.setup import SETUPS, Setup, strategy_rules

__all__ = [
    "COLUMNS",
    "FinetuneJob",
    "Plan",
    "PretrainJob",
    "collect",
    "default_workers",
    "book_plan",
    "book_plans",
    "execute",
    "job_flop",
    "merge",
    "plan",
    "pretrained",
    "pretraining_log",
    "run",
    "run_info",
    "runs_to_csv",
    "schedule_order",
    "schedule_summary",
    "simulate",
    "trained_model",
]

#: Columns of the tables :func:`run` returns.
COLUMNS = ["experiment", "reading", "strategy", "weight_rule", "bias_rule", "data_fraction", "seed",
           "epoch", "test_rer", "train_rer", "seconds"]

#: Modules whose code decides a run's numbers (the cache key includes their hash).
PRETRAIN_CODE = ["optimlab.training.pretraining", "optimlab.training.models.rbm", "optimlab.training.data", "optimlab.training.loop",
                 "optimlab.experiments.adamix.setup"]
FINETUNE_CODE = PRETRAIN_CODE + ["optimlab.training.finetuning", "optimlab.training.models.autoencoder",
                                 "optimbook.optim", "optimbook.schedules"]


# --- plan ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PretrainJob:
    """Pretrain the RBM stack of (setup, fraction, seed)."""

    setup: Setup
    fraction: float
    seed: int
    key: dict = field(compare=False, repr=False)
    path: Path = field(compare=False)


@dataclass(frozen=True)
class FinetuneJob:
    """Fine-tune one strategy from a pretrained stack; ``runs/<digest>.json`` holds its records."""

    strategy: Strategy
    setup: Setup
    fraction: float
    seed: int
    device: str
    pretrain: PretrainJob
    key: dict = field(compare=False, repr=False)
    path: Path = field(compare=False)

    @property
    def steps_per_epoch(self) -> int:
        return self.setup.steps_per_epoch(self.fraction)

    def lockstep_group(self) -> str:
        """Jobs with the same value may train as replicas of one network: same pretrained stack,
        same fine-tuning loop, same seed."""
        return key_digest({"pretrain": self.pretrain.key, "loop": self.setup.key("finetune"),
                           "seed": self.seed, "device": self.device})


@dataclass
class Plan:
    """What a set of experiments needs: its jobs, and which rows of which table each run fills."""

    scale: str
    device: str
    pretrain: list[PretrainJob]
    finetune: list[FinetuneJob]
    #: (experiment, reading, strategy label, fraction, seed) -> the job that makes it
    rows: dict[tuple[str, str, str, float, int], FinetuneJob]
    #: records already read from the cache, by run path (so collecting reads each file once)
    loaded: dict[str, list[dict]] = field(default_factory=dict, repr=False)

    def missing(self) -> list[FinetuneJob]:
        """Fine-tuning jobs whose result is not in the cache (a damaged entry is moved aside, with a
        warning naming it, and counts as missing)."""
        todo = []
        for job in self.finetune:
            records = self.loaded.get(str(job.path)) or _records(job)
            if records is None:
                todo.append(job)
            else:
                self.loaded[str(job.path)] = records
        return todo

    def missing_pretraining(self) -> list[PretrainJob]:
        needed = {j.pretrain for j in self.missing()}
        return [p for p in self.pretrain if p in needed and not p.path.is_file()]


def _saved(job: FinetuneJob) -> dict | None:
    """The cache entry of a fine-tuning run, or None (missing or damaged: moved aside)."""
    return load_json(job.path, validate=lambda d: (d["records"][-1]["test_rer"], d["wall_seconds"],
                                                    d["replicas"], d["pretraining"]["seconds"]))


def _records(job: FinetuneJob) -> list[dict] | None:
    saved = _saved(job)
    return None if saved is None else saved["records"]


def _pretrain_key(setup: Setup, fraction: float, seed: int) -> dict:
    return {"what": "pretrain", **setup.key("pretrain"), "fraction": fraction, "seed": seed,
            "code": code_version(PRETRAIN_CODE)}


def _finetune_key(strategy: Strategy, setup: Setup, fraction: float, seed: int, device: str) -> dict:
    weight, bias = strategy_rules(strategy, setup, setup.steps_per_epoch(fraction))
    return {"what": "finetune", "weight": repr(weight), "bias": repr(bias),
            "setup": setup.key("finetune"), "fraction": fraction, "seed": seed, "device": device,
            "code": code_version(FINETUNE_CODE)}


def apply_reading(setup: Setup, reading: Reading) -> Setup:
    """``setup`` with ``reading``'s fields set."""
    return replace(setup, **dict(reading.overrides)) if reading.overrides else setup


def plan(
    names: str | Sequence[str],
    scale: str = "paper",
    seeds: Sequence[int] = (0,),
    device: str | torch.device = "auto",
    *,
    setup: Setup | None = None,
    strategies: Sequence[Strategy] | None = None,
    fractions: Sequence[float] | None = None,
    readings: Sequence[Reading] | None = None,
) -> Plan:
    """The jobs of experiments ``names`` at ``scale`` over ``seeds`` (duplicates merged), under each
    experiment's readings or the given ``readings``."""
    check_scale(scale)
    names = [names] if isinstance(names, str) else list(names)
    base = setup or SETUPS[scale]
    dev = resolve_device(device).type
    folder = results_root() / scale
    pretrain: dict[str, PretrainJob] = {}
    jobs: dict[str, FinetuneJob] = {}
    rows: dict = {}
    for name in names:
        found = experiment(name)
        for fraction in (fractions or found.fractions):
            for seed in dict.fromkeys(int(s) for s in seeds):
                pairs = found.pairs(strategies) if readings is None else [
                    (r, st) for r in readings for st in (strategies or found.strategies)]
                for reading, strategy in pairs:
                    s = apply_reading(base, reading)
                    pkey = _pretrain_key(s, fraction, seed)
                    pdigest = key_digest(pkey)
                    pjob = pretrain.setdefault(pdigest, PretrainJob(
                        s, fraction, seed, pkey, folder / "pretrained" / f"{pdigest}.pt"))
                    fkey = _finetune_key(strategy, s, fraction, seed, dev)
                    fdigest = key_digest(fkey)
                    job = jobs.setdefault(fdigest, FinetuneJob(
                        strategy, s, fraction, seed, dev, pjob, fkey, folder / "runs" / f"{fdigest}.json"))
                    rows[(name, reading.name, strategy.label, fraction, seed)] = job
    return Plan(scale, dev, list(pretrain.values()), list(jobs.values()), rows)


def merge(plans: Sequence[Plan]) -> Plan:
    """One plan holding the jobs of ``plans`` (same scale and device), each distinct job once: what
    several chapters need, executed as one schedule."""
    if not plans:
        raise ValueError("merge needs at least one plan")
    first = plans[0]
    for other in plans[1:]:
        if (other.scale, other.device) != (first.scale, first.device):
            raise ValueError(f"cannot merge plans of scale/device {first.scale}/{first.device} and "
                             f"{other.scale}/{other.device}")
    pretrain = {str(p.path): p for pl in plans for p in pl.pretrain}
    finetune = {str(j.path): j for pl in plans for j in pl.finetune}
    rows = {k: v for pl in plans for k, v in pl.rows.items()}
    return Plan(first.scale, first.device, list(pretrain.values()), list(finetune.values()), rows,
                {k: v for pl in plans for k, v in pl.loaded.items()})


def book_plans(scale: str = "paper", device: str | torch.device = "auto") -> list[Plan]:
    """The plans the book's chapters execute, in book order: Exp. 1-5 with one seed (chapters 13-17;
    chapter 12 reads Exp. 1's), then every run the replication report (chapter 18) reads — Exp. 1
    under every reading over several seeds, Exp. 2-5 — and the ``beyond`` comparison. (The chapters'
    small ablations are not included.)"""
    from optimlab.experiments.adamix.report import claim_plans, claim_runs

    seeds = claim_runs(scale)["fig4"][1]
    chapters = [plan(name, scale, (0,), device) for name in ("fig4", "fig5", "fig6", "fig7", "fig8")]
    return chapters + claim_plans(scale, device) + [plan("beyond", scale, seeds, device)]


def book_plan(scale: str = "paper", device: str | torch.device = "auto") -> Plan:
    """:func:`book_plans` as one plan: the bulk of a cold book build, as one schedule."""
    return merge(book_plans(scale, device))


# --- execute ---------------------------------------------------------------------------------------
def pretrained(job: PretrainJob, train_x: torch.Tensor, cache: bool = True) -> tuple[list[RBM], dict]:
    """The RBM stack of ``job``: from the cache, or pretrained (and cached)."""
    saved = load_torch(job.path, map_location=train_x.device, weights_only=True) if cache else None
    if saved is not None:
        rbms = []
        for state, hidden in zip(saved["rbms"], saved["hidden"]):
            rbm = RBM(state["W"].shape[0], state["W"].shape[1], hidden=hidden).to(train_x.device)
            rbm.load_state_dict(state)
            rbms.append(rbm)
        return rbms, saved["log"]
    s = job.setup
    tic = time.perf_counter()
    rbms, layers = pretrain_stack(train_x, s.sizes, s.pretraining(), seed=job.seed,
                                  init_std=s.init_std, first_visible_bias=s.first_visible_bias)
    log = {"layers": layers, "seconds": time.perf_counter() - tic, "device": train_x.device.type}
    if cache:
        atomic_torch_save(job.path, {"key": job.key, "rbms": [r.state_dict() for r in rbms],
                                     "hidden": [r.hidden for r in rbms], "log": log})
    return rbms, log


def _finetune_group(group: list[FinetuneJob], cache: bool, progress=None) -> dict[str, list[dict]]:
    """Fine-tune ``group`` (jobs of one lockstep group) as replicas of one network; return the
    records of each job by its path (and cache them)."""
    first = group[0]
    dev = torch.device(first.device)
    train_x, test_x = first.setup.images(first.fraction, dev)
    rbms, pre_log = pretrained(first.pretrain, train_x, cache)
    model = DeepAutoencoder.unroll(rbms, replicas=len(group)).to(dev)
    optimizers, labels = [], []
    for k, job in enumerate(group):
        weight, bias = strategy_rules(job.strategy, job.setup, job.steps_per_epoch)
        optimizers.append(PerRole(model.replica_parameters(k), weight=weight, bias=bias))
        labels.append(f"{job.strategy.label} (fraction {job.fraction}, seed {job.seed})")
    group_key = key_digest({"group": [job.key for job in group]})
    checkpoint = first.path.parent.parent / "checkpoints" / f"{group_key}.pt"
    tic = time.perf_counter()
    records = finetune(model, optimizers, labels, train_x, test_x, first.setup.finetuning(),
                       seed=first.seed, checkpoint=checkpoint if cache else None, key=group_key,
                       progress=progress)
    wall = time.perf_counter() - tic
    out = {}
    for k, (job, recs) in enumerate(zip(group, records)):
        if cache:
            atomic_torch_save(job.path.with_suffix(".pt"), {
                "key": job.key, "state": model.replica_state(k), "activations": model.activations})
            atomic_write_text(job.path, json.dumps({
                "key": job.key, "records": recs, "replicas": len(group), "wall_seconds": wall,
                "pretraining": pre_log, "torch": torch.__version__}))
        out[str(job.path)] = recs
    return out


def _lockstep_groups(jobs: list[FinetuneJob], lockstep: bool) -> list[list[FinetuneJob]]:
    groups: dict[str, list[FinetuneJob]] = {}
    for job in jobs:
        if lockstep and job.setup.lockstep:
            groups.setdefault(job.lockstep_group(), []).append(job)
        else:
            groups[str(job.path)] = [job]
    return list(groups.values())


def default_workers(scale: str, device: torch.device) -> int:
    """Processes :func:`execute` uses when not told: ``$OPTIMBOOK_WORKERS`` if set; else one per
    CPU core at paper scale on the CPU (each single-threaded: small matrix products run more
    efficiently on one core each than split across cores), and one on a GPU or at smoke scale
    (where starting processes would cost more than it saves)."""
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


def _pretrain_work(job: PretrainJob, device: str) -> None:
    train_x, _ = job.setup.images(job.fraction, torch.device(device))
    pretrained(job, train_x)


def _finetune_work(job: FinetuneJob) -> None:
    _finetune_group([job], cache=True)


def job_flop(job: PretrainJob | FinetuneJob) -> float:
    """The matrix-product work of a job (the closed forms of :mod:`optimlab.training.flops`): the scheduler's
    estimate of its length."""
    from optimlab.training import flops
    s = job.setup
    n_train, n_test = s.numbers(job.fraction)
    if isinstance(job, PretrainJob):
        return flops.pretraining_run(s.sizes, n_train, s.pretrain_epochs, s.batch_size).matmul
    return flops.finetuning_run(s.sizes, n_train, n_test, s.epochs, s.batch_size,
                                 len(s.finetuning().eval_epochs())).matmul


def schedule_order(pretrain: Sequence[PretrainJob], finetune: Sequence[FinetuneJob]) -> list[tuple]:
    """Every job as ``(priority, kind, job)``, highest priority first: a pretraining's priority is
    its length plus that of its longest fine-tuning (the critical path through it), a fine-tuning's
    its own length. List scheduling by this priority starts the long chains first and leaves the
    short runs to fill the cores at the end."""
    longest: dict[PretrainJob, float] = {}
    for job in finetune:
        longest[job.pretrain] = max(longest.get(job.pretrain, 0.0), job_flop(job))
    items = [(job_flop(p) + longest.get(p, 0.0), "pretrain", p) for p in pretrain]
    items += [(job_flop(j), "finetune", j) for j in finetune]
    return sorted(items, key=lambda item: -item[0])


def _list_schedule(order: Sequence, workers: int, after: dict[str, object], start, wait_any) -> None:
    """List scheduling, the one policy of :func:`execute` and :func:`simulate`: ``order`` holds the
    jobs, highest priority first; whenever fewer than ``workers`` jobs run, the first job whose
    prerequisite (``after[str(job.path)]``, if it is a job of ``order``) has finished is started.
    ``start(job)`` starts a job and returns a handle; ``wait_any(running)`` waits until at least one
    of ``running`` (handle -> job) has finished and returns the finished handles."""
    listed = {str(job.path) for job in order}
    pending, running, finished = list(order), {}, set()
    while pending or running:
        for job in list(pending):
            if len(running) == workers:
                break
            before = after.get(str(job.path))
            if before is None or str(before.path) not in listed or str(before.path) in finished:
                pending.remove(job)
                running[start(job)] = job
        for handle in wait_any(running):
            finished.add(str(running.pop(handle).path))


def _simulated(order: Sequence, workers: int, after: dict[str, object]) -> float:
    """The finish time of :func:`_list_schedule` when a job lasts :func:`job_flop`."""
    import heapq
    import itertools

    now = 0.0
    ends: list[tuple[float, int]] = []  # (finish time, handle) of the running jobs
    handles = itertools.count()

    def start(job) -> int:
        handle = next(handles)
        heapq.heappush(ends, (now + job_flop(job), handle))
        return handle

    def wait_any(running) -> list[int]:
        nonlocal now
        now, handle = heapq.heappop(ends)
        done = [handle]
        while ends and ends[0][0] == now:
            done.append(heapq.heappop(ends)[1])
        return done

    _list_schedule(order, workers, after, start, wait_any)
    return now


def simulate(plans: Sequence[Plan], workers: int, *, one_schedule: bool = True) -> float:
    """The time, in units of :func:`job_flop` per worker, to make every job of ``plans`` from an
    empty cache over ``workers``: as one schedule (what :func:`execute` does with a merged plan), or
    plan after plan, each as a pretraining phase then a fine-tuning phase, largest job first (what
    executing the plans one by one does; a job an earlier plan made is not made again)."""
    if one_schedule:
        merged = merge(plans)
        order = [job for _, _, job in schedule_order(merged.pretrain, merged.finetune)]
        return _simulated(order, workers, {str(j.path): j.pretrain for j in merged.finetune})
    made: set[str] = set()
    total = 0.0
    for the_plan in plans:
        for jobs in (the_plan.pretrain, the_plan.finetune):
            phase = sorted((j for j in jobs if str(j.path) not in made), key=lambda j: -job_flop(j))
            made.update(str(j.path) for j in phase)
            total += _simulated(phase, workers, {}) if phase else 0.0
    return total


def schedule_summary(plans: Sequence[Plan], workers: int) -> dict[str, float]:
    """The schedules of ``plans`` over ``workers`` from an empty cache, against the lower bound (the
    larger of the work shared evenly and the longest pretraining-plus-fine-tuning chain):
    ``plans``, ``jobs``, ``TFLOP``, ``longest chain / bound``, ``one schedule / bound`` and
    ``plan by plan / bound`` (:func:`simulate`)."""
    merged = merge(plans)
    jobs = merged.pretrain + merged.finetune
    work = sum(job_flop(j) for j in jobs)
    chain = max(job_flop(j.pretrain) + job_flop(j) for j in merged.finetune)
    bound = max(work / workers, chain)
    return {"plans": len(plans), "jobs": len(jobs), "TFLOP": work / 1e12, "longest chain / bound": chain / bound,
            "one schedule / bound": simulate(plans, workers) / bound,
            "plan by plan / bound": simulate(plans, workers, one_schedule=False) / bound}


def _pool_execute(pretrain: list[PretrainJob], finetune: list[FinetuneJob], workers: int, device: str,
                  bar=None) -> None:
    """Make ``pretrain`` and ``finetune`` over ``workers`` spawned processes, one job each at a
    time, as one schedule (:func:`_list_schedule` in :func:`schedule_order`): a fine-tuning starts
    as soon as its pretrained stack exists (not when a phase ends), and a free worker takes the
    ready job of highest priority. Every job runs with the same number of threads (cores /
    workers), so its numbers do not depend on what else is running."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    order = [job for _, _, job in schedule_order(pretrain, finetune)]
    pool = ProcessPoolExecutor(min(workers, len(order)), mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker,
                               initargs=(str(results_root()), max(1, cpu_count() // workers)))

    def start(job):
        if isinstance(job, PretrainJob):
            return pool.submit(_pretrain_work, job, device)
        return pool.submit(_finetune_work, replace(job, setup=replace(job.setup, lockstep=False)))

    def wait_any(running):
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            future.result()  # a failed job raises here, naming itself
            if bar is not None and isinstance(running[future], FinetuneJob):
                bar.update(running[future].setup.epochs)
        return done

    try:
        _list_schedule(order, workers, {str(j.path): j.pretrain for j in finetune}, start, wait_any)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def execute(the_plan: Plan, *, workers: int | None = None, cache: bool = True,
            progress: bool = False) -> dict[str, list[dict]]:
    """Make every job of ``the_plan`` that the cache lacks (all of them without ``cache``).

    With one worker, strategies that share a pretrained network and a fine-tuning loop train in
    lockstep as replicas of one batched network; with more (needs ``cache``), each job trains alone
    in a spawned process with cores / workers threads, all jobs as one schedule
    (``runner.schedule_order``). Returns the records made, by run path.
    """
    todo = the_plan.missing() if cache else list(the_plan.finetune)
    if not todo:
        return {}
    dev = torch.device(the_plan.device)
    workers = default_workers(the_plan.scale, dev) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers}")
    parallel = cache and workers > 1 and len(todo) > 1
    groups = [[j] for j in todo] if parallel else _lockstep_groups(todo, lockstep=True)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(g[0].setup.epochs for g in groups), desc=f"fine-tuning ({the_plan.scale})",
                   unit="epoch")
    try:
        if parallel:
            _pool_execute(the_plan.missing_pretraining(), todo, workers, the_plan.device, bar)
            return {}
        made: dict[str, list[dict]] = {}
        for group in groups:
            made.update(_finetune_group(group, cache, (lambda e: bar.update(1)) if bar else None))
        return made
    finally:
        if bar is not None:
            bar.close()


# --- collect ---------------------------------------------------------------------------------------
def collect(the_plan: Plan, made: dict[str, list[dict]] | None = None, strategies_order=None):
    """The tidy table of ``the_plan``'s rows (``COLUMNS``), read from ``made`` or the cache."""
    import pandas as pd

    made = {**the_plan.loaded, **(made or {})}
    rows = []
    for (name, reading, label, fraction, seed), job in the_plan.rows.items():
        records = made.get(str(job.path))
        if records is None:
            records = _records(job)
        if records is None:
            raise FileNotFoundError(f"no finished run of {name}/{label} (seed {seed}) at {job.path}; "
                                    "execute(plan) makes it")
        s = job.strategy
        rows += [{"experiment": name, "reading": reading, "strategy": label, "weight_rule": s.weight_rule,
                  "bias_rule": s.bias_rule, "data_fraction": fraction, "seed": seed, "epoch": r["epoch"],
                  "test_rer": r["test_rer"], "train_rer": r["train_rer"], "seconds": r["seconds"]}
                 for r in records]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    order = {label: i for i, label in enumerate(strategies_order or dict.fromkeys(frame["strategy"]))}
    readings = {r: i for i, r in enumerate(dict.fromkeys(frame["reading"]))}
    frame = frame.sort_values(
        ["reading", "data_fraction", "seed", "strategy", "epoch"],
        key=lambda col: col.map(order) if col.name == "strategy" else (
            col.map(readings) if col.name == "reading" else col), kind="stable")
    return frame.reset_index(drop=True)


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
    readings: Sequence[Reading] | None = None,
):
    """Run experiment ``name`` ("fig4" … "fig8", "beyond", "readings") and return its tidy table.

    Args:
        name: the experiment.
        scale: ``"paper"`` (the paper's configuration) or ``"smoke"`` (seconds, for CI).
        seeds: training seeds (pretraining initialisation and sampling, mini-batch order); the data
            subset is fixed by ``Setup.data_seed``. Repeated seeds count once.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        setup: override the scale's :class:`Setup` (ablations).
        strategies, fractions: run only these (default: the experiment's own).
        cache: reuse finished runs and pretrained stacks from ``results/<scale>/``.
        progress: show a tqdm progress bar over fine-tuning epochs.
        workers: processes to spread independent pretrainings and fine-tunings over (default:
            :func:`default_workers`); see :func:`execute`.
        readings: run under these readings (default: the experiment's own, usually the default
            reading; e.g. ``READINGS`` for all of them).

    Returns:
        A :class:`pandas.DataFrame` with ``COLUMNS``, one row per reading, strategy, fraction, seed
        and recorded epoch (0, 5, …, 50 at paper scale).
    """
    the_plan = plan(name, scale, seeds, device, setup=setup, strategies=strategies, fractions=fractions,
                    readings=readings)
    made = execute(the_plan, workers=workers, cache=cache, progress=progress)
    chosen = strategies or experiment(name).strategies
    return collect(the_plan, made, [s.label for s in chosen])


def _job(name: str, strategy: str, scale: str, seed: int, fraction: float | None, setup: Setup | None,
         device, reading: str = "default") -> FinetuneJob:
    exp = experiment(name)
    labels = [s.label for s in exp.strategies]
    if strategy not in labels:
        raise ValueError(f"strategy must be one of {labels}, got {strategy!r}")
    fraction = exp.fractions[0] if fraction is None else fraction
    p = plan(name, scale, (seed,), device, setup=setup,
             strategies=[s for s in exp.strategies if s.label == strategy], fractions=[fraction])
    key = (name, reading, strategy, fraction, seed)
    if key not in p.rows:
        raise ValueError(f"reading must be one of {sorted({k[1] for k in p.rows})}, got {reading!r}")
    return p.rows[key]


def trained_model(
    name: str,
    strategy: str,
    *,
    scale: str = "paper",
    seed: int = 0,
    fraction: float | None = None,
    setup: Setup | None = None,
    device: str | torch.device = "auto",
    reading: str = "default",
) -> DeepAutoencoder:
    """The fine-tuned network of a finished run (from the cache), as a one-replica autoencoder.

    ``device`` is the device the run was made on (part of its cache key), where the network is
    loaded. Raises ``FileNotFoundError`` if that run has not been made (``run(name, ...)`` makes it).
    """
    job = _job(name, strategy, scale, seed, fraction, setup, device, reading)
    path = job.path.with_suffix(".pt")
    saved = load_torch(path, map_location=job.device, weights_only=True)
    if saved is None:
        raise FileNotFoundError(f"no finished run of {name}/{strategy} (seed {seed}) at {path}")
    state = saved["state"]
    n = len(saved["activations"])
    return DeepAutoencoder([state[f"weights.{i}"] for i in range(n)],
                           [state[f"biases.{i}"] for i in range(n)], saved["activations"])


def pretraining_log(setup: Setup, fraction: float, seed: int, *, scale: str = "paper") -> dict:
    """The log of a cached pretraining (``{"layers": [...], "seconds", "device"}``).

    Raises ``FileNotFoundError`` if that stack has not been pretrained yet (:func:`run` does it).
    """
    path = results_root() / scale / "pretrained" / f"{key_digest(_pretrain_key(setup, fraction, seed))}.pt"
    saved = load_torch(path, map_location="cpu", weights_only=True)
    if saved is None:
        raise FileNotFoundError(f"no pretrained stack for fraction {fraction}, seed {seed} at {path}")
    return saved["log"]


def run_info(
    name: str,
    scale: str = "paper",
    seeds: Sequence[int] = (0,),
    device: str | torch.device = "auto",
    *,
    setup: Setup | None = None,
):
    """Where and how long the cached runs of an experiment took: one row per reading, strategy,
    fraction and seed with ``wall_seconds`` (the lockstep group's fine-tuning), ``replicas`` (its
    size), ``pretraining_seconds``, ``device`` and ``torch``. Runs not made yet are left out."""
    import pandas as pd

    rows = []
    for (_, reading, label, fraction, seed), job in plan(name, scale, seeds, device, setup=setup).rows.items():
        saved = _saved(job)
        if saved is None:
            continue
        rows.append({"reading": reading, "strategy": label, "data_fraction": fraction, "seed": seed,
                     "wall_seconds": saved["wall_seconds"], "replicas": saved["replicas"],
                     "pretraining_seconds": saved["pretraining"]["seconds"],
                     "device": saved["pretraining"].get("device", job.device),
                     "torch": saved.get("torch")})
    return pd.DataFrame(rows)


def runs_to_csv(frame, name: str, scale: str):
    """Write ``results/<scale>/<name>.csv`` atomically; return its path."""
    path = results_root() / scale / f"{name}.csv"
    atomic_write_text(path, frame.to_csv(index=False))
    return path
