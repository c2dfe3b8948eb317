"""The runner as plan → execute → collect.

:func:`plan` turns experiments (their strategies, data fractions, readings) and seeds into one
:class:`Plan`: the pretraining jobs (one per distinct RBM stack) and the fine-tuning jobs (one per
distinct run), each with its cache key. Jobs that several experiments share — Cons+Cons of Exp. 2,
3 and 4, Exp. 1's strategies under the default reading of the ``readings`` experiment — are one job.
:func:`execute` fills the cache for the jobs not in it (serially, strategies that share a
pretrained network in lockstep, or over worker processes as one schedule: a fine-tuning starts when
its stack exists, the longest chain first, see :func:`schedule_order`); :func:`collect` reads the
tables from the cache. :func:`run` is the three in a row. :func:`merge` joins plans (what several
chapters need, :func:`book_plan`) so that they execute as one schedule. :func:`schedule_bound` is the
lower bound on such a schedule from the counted work, :func:`schedule_measured` the schedule the
cached runs were made in, from their records.

Nothing is left half-done:

- A cache entry is a unit, ``runs/<digest>.json`` (the record) and ``runs/<digest>.pt`` (the
  fine-tuned network). It is used only when both are whole: the record parses, is the record of its
  key, holds every field :func:`collect` and :func:`run_info` read (every recorded epoch, finite
  RERs, the work done) and the tensors pass their CRC-32 checks and have the network's shapes.
  Anything else moves the whole entry aside (``<name>.corrupt``, with a warning naming it) and the
  run is made again, by :func:`run` as by ``run(cache=False)``. Temporary files that killed writers
  left are swept from every folder a run reads.
- A run's products use one thread on the CPU, batched with other strategies or alone, in this
  process or in a worker: a batched product then computes each replica as the run alone does, so a
  run's numbers do not depend on how its entry was made, and nothing about the execution enters its
  key. The cores are used by workers, one run each.
- Workers only compute: the parent writes every entry. A worker watches its parent and exits at
  once when the parent dies (its parent pid changes), so a killed run leaves no process behind and
  nothing is written after its death.

Every run records its floating-point work with the meter :mod:`optimlab.training.work`, from the
closed forms its record holds (``"flop"``, and its stack's ``"pretraining"["flop"]``), under its
cache entry's path: a stack or fine-tuning made as done work (``"AdaMix pretraining"``, ``"AdaMix
fine-tuning"``), one read from the cache instead as reused. The parent records the work of its
workers, once, from the records they return; a worker records nothing (its meter writes no log).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from optimlab.training import work
from optimlab.training.finetuning import finetune
from optimlab.training.flops import Count
from optimlab.training.models.autoencoder import DeepAutoencoder
from optimlab.training.models.rbm import RBM
from optimbook.optim import PerRole
from optimlab.training.pretraining import pretrain_stack
from optimlab.runtime import check_number, check_scale, cpu_count, resolve_device
from optimlab.storage import DamagedFileError, clean_partial, load_torch, quarantine_entry, read_torch
from optimlab.experiments.cache import atomic_torch_save, atomic_write_text, code_version, key_digest, results_root
from optimlab.experiments.adamix.registry import READINGS, Reading, Strategy, experiment
from optimlab.experiments.adamix.setup import SETUPS, Setup, strategy_rules

__all__ = [
    "COLUMNS",
    "FinetuneJob",
    "Plan",
    "PretrainJob",
    "collect",
    "default_workers",
    "describe_schedule",
    "book_plan",
    "claim_plans",
    "claim_runs",
    "explanation_plan",
    "explanation_seeds",
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
    "schedule_bound",
    "schedule_measured",
    "schedule_order",
    "trained_model",
    "workers_from_env",
    "writable_folders",
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
    #: the stacks whose reuse this plan recorded with the work meter (each once)
    reused_stacks: set[str] = field(default_factory=set, repr=False, compare=False)

    def missing(self) -> list[FinetuneJob]:
        """Fine-tuning jobs whose entry is not whole in the cache (a defective entry is moved aside,
        with a warning naming it, and counts as missing). Sweeps stale temporary files first.

        A run found whole is read (once per plan) and recorded with the work meter as reused, and so
        is its stack unless a missing run needs it (:func:`execute` records that stack when it reads
        or makes it)."""
        sweep(self.scale)
        todo, found = [], []
        for job in self.finetune:
            if str(job.path) in self.loaded:
                continue
            saved = _saved(job)
            if saved is None:
                todo.append(job)
            else:
                self.loaded[str(job.path)] = saved["records"]
                found.append((job, saved))
        needed = {str(j.pretrain.path) for j in todo}
        for job, saved in found:
            self._reused(job, saved, stack=str(job.pretrain.path) not in needed)
        return todo

    def _reused(self, job: FinetuneJob, saved: dict, *, stack: bool = True) -> None:
        """Record with the work meter that ``job``'s run (and, if ``stack``, its stack, once per
        plan) was read from the cache: the work its record says its maker did."""
        work.reuse(Count.from_record(saved["flop"]), "AdaMix fine-tuning", key=str(job.path))
        if stack and str(job.pretrain.path) not in self.reused_stacks:
            self.reused_stacks.add(str(job.pretrain.path))
            work.reuse(Count.from_record(saved["pretraining"]["flop"]), "AdaMix pretraining",
                       key=str(job.pretrain.path))

    def missing_pretraining(self) -> list[PretrainJob]:
        needed = {j.pretrain for j in self.missing()}
        return [p for p in self.pretrain if p in needed and _stack(p, "cpu") is None]


def writable_folders(scale: str) -> list[Path]:
    """Every folder a run of ``scale`` writes: ``results/<scale>`` (the CSVs) and its ``runs``,
    ``pretrained`` and ``checkpoints``."""
    root = results_root() / check_scale(scale)
    return [root, root / "runs", root / "pretrained", root / "checkpoints"]


def sweep(scale: str) -> None:
    """Remove the temporary files killed writers left in every folder a run of ``scale`` reads."""
    for folder in writable_folders(scale):
        clean_partial(folder)


# --- cache entries as units ----------------------------------------------------------------------
class _Defect(ValueError):
    """What makes a cache entry unusable (the message says what)."""


def _number(what: str, value, *, finite: bool = True) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (finite and not math.isfinite(value)):
        raise _Defect(f"{what} is {value!r}, not a finite number")


def _check_flop(what: str, flop) -> None:
    if not isinstance(flop, dict):
        raise _Defect(f"{what} is {flop!r}, not {{'total', 'matmul'}}")
    _number(f"{what}['total']", flop.get("total"))
    _number(f"{what}['matmul']", flop.get("matmul"))


def _check_record(job: FinetuneJob, record) -> None:
    """Raise :class:`_Defect` unless ``record`` is the whole record of ``job``."""
    if not isinstance(record, dict):
        raise _Defect(f"the record is a {type(record).__name__}, not an object")
    if not isinstance(record.get("key"), dict) or key_digest(record["key"]) != job.path.stem:
        raise _Defect("it is not the record of its key")
    records = record.get("records")
    expected = sorted({0, *job.setup.finetuning().eval_epochs()})
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise _Defect("'records' is not a list of objects")
    epochs = [r.get("epoch") for r in records]
    if epochs != expected:
        raise _Defect(f"'records' has the epochs {epochs}, expected {expected}")
    for r in records:
        for name in ("test_rer", "train_rer", "seconds"):
            _number(f"epoch {r['epoch']}'s {name}", r.get(name))
    _number("'wall_seconds'", record.get("wall_seconds"))
    replicas = record.get("replicas")
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise _Defect(f"'replicas' is {replicas!r}, not an integer >= 1")
    for name in ("started", "finished"):
        _number(f"'{name}'", record.get(name))
    _check_flop("'flop'", record.get("flop"))
    pre = record.get("pretraining")
    if not isinstance(pre, dict):
        raise _Defect("'pretraining' is not an object")
    _number("'pretraining'['seconds']", pre.get("seconds"))
    _check_flop("'pretraining'['flop']", pre.get("flop"))


def _unrolled(sizes: Sequence[int]) -> list[int]:
    return [*sizes, *reversed(sizes[:-1])]


def _check_network(job: FinetuneJob, saved) -> None:
    """Raise :class:`_Defect` unless ``saved`` holds the fine-tuned network of ``job``."""
    full = _unrolled(job.setup.sizes)
    if not isinstance(saved, dict) or not isinstance(saved.get("state"), dict) \
            or not isinstance(saved.get("activations"), list):
        raise _Defect("its tensors are not {'state', 'activations'}")
    if len(saved["activations"]) != len(full) - 1:
        raise _Defect(f"its network has {len(saved['activations'])} layers, expected {len(full) - 1}")
    for i, (a, b) in enumerate(zip(full[:-1], full[1:])):
        for name, shape in ((f"weights.{i}", (a, b)), (f"biases.{i}", (b,))):
            t = saved["state"].get(name)
            if not isinstance(t, torch.Tensor) or tuple(t.shape) != shape:
                got = tuple(t.shape) if isinstance(t, torch.Tensor) else t
                raise _Defect(f"its tensor {name} is {got}, expected shape {shape}")


#: entries found whole in this process: run path -> (record, the two files' (size, mtime))
_whole: dict[str, tuple[dict, tuple]] = {}


def _stamp(*paths: Path) -> tuple:
    return tuple((p.stat().st_size, p.stat().st_mtime_ns) for p in paths)


def _set_aside(job: FinetuneJob, reason: str) -> None:
    _whole.pop(str(job.path), None)
    quarantine_entry([job.path, job.path.with_suffix(".pt")], reason)


def _saved(job: FinetuneJob) -> dict | None:
    """The record of a finished run if its entry is whole, else None (an entry that is not whole —
    a defect in the record or in the tensors, or one of the two missing — is moved aside, with a
    warning naming it)."""
    record_path, tensors_path = job.path, job.path.with_suffix(".pt")
    if not record_path.exists():
        if tensors_path.exists():
            _set_aside(job, "its record is missing")
        return None
    try:
        stamp = _stamp(record_path, tensors_path) if tensors_path.exists() else None
        known = _whole.get(str(job.path))
        if known is not None and stamp is not None and known[1] == stamp:
            return known[0]
        try:
            record = json.loads(record_path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            raise _Defect(f"its record does not parse: {err}") from None
        _check_record(job, record)
        if stamp is None:
            raise _Defect("its tensors are missing")
        try:
            saved = read_torch(tensors_path, map_location="cpu", weights_only=True)
        except DamagedFileError as err:
            raise _Defect(f"its tensors: {err}") from None
        _check_network(job, saved)
    except _Defect as err:
        _set_aside(job, str(err))
        return None
    except FileNotFoundError:  # removed meanwhile (another process set it aside)
        return None
    _whole[str(job.path)] = (record, stamp)
    return record


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
    experiment's readings or the given ``readings``: every (fraction, reading, strategy) of
    ``Experiment.runs`` (for ``explanations``, its declared
    cells, each reading a hypothesis's setup overrides)."""
    check_scale(scale)
    names = [names] if isinstance(names, str) else list(names)
    base = setup or SETUPS[scale]
    dev = resolve_device(device).type
    folder = results_root() / scale
    pretrain: dict[str, PretrainJob] = {}
    jobs: dict[str, FinetuneJob] = {}
    rows: dict = {}
    for name in names:
        cells = experiment(name).runs(strategies, fractions, readings)
        for fraction in dict.fromkeys(f for f, _, _ in cells):
            for seed in dict.fromkeys(int(s) for s in seeds):
                for reading, strategy in [(r, st) for f, r, st in cells if f == fraction]:
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


def claim_runs(scale: str) -> dict:
    """What the claims are tested on at ``scale``: experiment -> (the experiment run, seeds, readings).

    Every experiment runs under every reading (``READINGS``). Exp. 1 runs as the ``readings``
    experiment, Exp. 2-4 as themselves, all with the same seeds (five at paper scale, two at smoke);
    Exp. 5, whose full-data runs cost the most, with three seeds at paper scale (two at smoke).
    """
    many = (0, 1) if scale == "smoke" else (0, 1, 2, 3, 4)
    data = (0, 1) if scale == "smoke" else (0, 1, 2)
    return {"fig4": ("readings", many, None), "fig5": ("fig5", many, READINGS),
            "fig6": ("fig6", many, READINGS), "fig7": ("fig7", many, READINGS),
            "fig8": ("fig8", data, READINGS)}


def claim_plans(scale: str, device="auto") -> list:
    """The plans of :func:`claim_runs` (for the report's ``compute``)."""
    return [plan(e, scale, seeds, device, readings=r) for e, seeds, r in claim_runs(scale).values()]


def explanation_seeds(scale: str) -> tuple[int, ...]:
    """The seeds the ``explanations`` experiment runs with at ``scale``: Exp. 5's of
    :func:`claim_runs` (three at paper scale, two at smoke), so that a hypothesis that is a reading
    points at runs the claims already made."""
    return tuple(claim_runs(scale)["fig8"][1])


def explanation_plan(scale: str, device: str | torch.device = "auto") -> Plan:
    """The runs that test the ``HYPOTHESES`` (the
    ``explanations`` experiment, :func:`explanation_seeds`)."""
    return plan("explanations", scale, explanation_seeds(scale), device)


def book_plans(scale: str = "paper", device: str | torch.device = "auto") -> list[Plan]:
    """The plans the book's chapters execute, in book order: Exp. 1-5 with one seed (chapters 13-17;
    chapter 12 reads Exp. 1's), then every run the replication report (chapter 18) reads — Exp. 1-5
    under every reading over several seeds (:func:`claim_runs`), the runs that test the hypotheses for
    the published values we miss (:func:`explanation_plan`) — and the ``beyond`` comparison. (The
    chapters' small ablations are not included.)"""
    seeds = claim_runs(scale)["fig4"][1]
    chapters = [plan(name, scale, (0,), device) for name in ("fig4", "fig5", "fig6", "fig7", "fig8")]
    return (chapters + claim_plans(scale, device) + [explanation_plan(scale, device)]
            + [plan("beyond", scale, seeds, device)])


def book_plan(scale: str = "paper", device: str | torch.device = "auto") -> Plan:
    """:func:`book_plans` as one plan: the bulk of a cold book build, as one schedule."""
    return merge(book_plans(scale, device))


# --- execute ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def _one_thread(device: str | torch.device) -> Iterator[None]:
    """A run's products on one thread on the CPU (see the module docstring); the caller's thread
    count is restored after."""
    if torch.device(device).type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _count(count) -> dict[str, float]:
    """A :class:`optimlab.training.flops.Count` as a record stores it."""
    return {"total": float(count.total), "matmul": float(count.matmul)}


def _stack_flop(job: PretrainJob) -> dict[str, float]:
    from optimlab.training import flops

    s = job.setup
    return _count(flops.pretraining_run(s.sizes, s.numbers(job.fraction)[0], s.pretrain_epochs, s.batch_size))


def _run_flop(job: FinetuneJob) -> dict[str, float]:
    """The work of one fine-tuning run by the closed forms: its products, evaluations and optimizer
    updates (:func:`optimlab.training.flops.finetuning_run`)."""
    from optimlab.training import flops

    s = job.setup
    n_train, n_test = s.numbers(job.fraction)
    weight, bias = strategy_rules(job.strategy, s, job.steps_per_epoch)
    return _count(flops.finetuning_run(s.sizes, n_train, n_test, s.finetuning().epochs, s.batch_size,
                                       len(s.finetuning().eval_epochs()),
                                       flops.update_ops_per_element(weight, "weight") if weight else 0.0,
                                       flops.update_ops_per_element(bias, "bias") if bias else 0.0))


def _stack(job: PretrainJob, device) -> dict | None:
    """The cached stack of ``job`` if it is whole (a damaged one is moved aside, with a warning)."""
    saved = load_torch(job.path, map_location=device, weights_only=True)
    if saved is None:
        return None
    n = len(job.setup.sizes) - 1
    try:
        if key_digest(saved["key"]) != job.path.stem:
            raise _Defect("it is not the stack of its key")
        if len(saved["rbms"]) != n or len(saved["hidden"]) != n:
            raise _Defect(f"it holds {len(saved['rbms'])} RBMs, expected {n}")
        for i, state in enumerate(saved["rbms"]):
            shape = (job.setup.sizes[i], job.setup.sizes[i + 1])
            if tuple(state["W"].shape) != shape:
                raise _Defect(f"RBM {i}'s W is {tuple(state['W'].shape)}, expected {shape}")
        _number("its log's 'seconds'", saved["log"]["seconds"])
    except (_Defect, KeyError, TypeError, AttributeError) as err:
        from optimlab.storage import quarantine

        quarantine(job.path, f"{type(err).__name__}: {err}" if not isinstance(err, _Defect) else str(err))
        return None
    return saved


def _pretrain(job: PretrainJob, train_x: torch.Tensor) -> dict:
    """Pretrain the stack of ``job``; return what its cache entry holds."""
    s = job.setup
    started, tic = time.time(), time.perf_counter()
    with _one_thread(train_x.device):
        rbms, layers = pretrain_stack(train_x, s.sizes, s.pretraining(), seed=job.seed,
                                      init_std=s.init_std, first_visible_bias=s.first_visible_bias)
        if s.stack_weights == "initial":  # the weights as drawn (the same stack with no epochs), biases pretrained
            drawn, _ = pretrain_stack(train_x, s.sizes, [replace(c, epochs=0) for c in s.pretraining()],
                                      seed=job.seed, init_std=s.init_std, first_visible_bias=s.first_visible_bias)
            for rbm, start in zip(rbms, drawn):
                rbm.W.copy_(start.W)
    log = {"layers": layers, "seconds": time.perf_counter() - tic, "device": train_x.device.type,
           "flop": _stack_flop(job), "started": started, "finished": time.time()}
    return {"key": job.key, "rbms": [r.state_dict() for r in rbms], "hidden": [r.hidden for r in rbms], "log": log}


def _rbms(saved: dict, device) -> list[RBM]:
    rbms = []
    for state, hidden in zip(saved["rbms"], saved["hidden"]):
        rbm = RBM(state["W"].shape[0], state["W"].shape[1], hidden=hidden).to(device)
        rbm.load_state_dict(state)
        rbms.append(rbm)
    return rbms


def pretrained(job: PretrainJob, train_x: torch.Tensor, cache: bool = True, *,
               write: bool = True) -> tuple[list[RBM], dict]:
    """The RBM stack of ``job``: from the cache (``cache``), or pretrained (and cached if ``write``).

    Its work is recorded with the work meter: as done when it is pretrained here (under its cache
    path if it is written, else without a key: no one else reads it), as reused when it is read."""
    saved = _stack(job, train_x.device) if cache else None
    made = saved is None
    if made:
        saved = _pretrain(job, train_x)
        if write:
            atomic_torch_save(job.path, saved)
    flop = saved["log"].get("flop") or _stack_flop(job)  # a stack saved before logs held their work
    (work.add if made else work.reuse)(Count.from_record(flop), "AdaMix pretraining",
                                       key=str(job.path) if (write or not made) else None)
    return _rbms(saved, train_x.device), saved["log"]


def _write_entry(job: FinetuneJob, record: dict, tensors: dict) -> None:
    """Write a run's entry: its tensors, then its record (an entry without its record is not whole)."""
    atomic_torch_save(job.path.with_suffix(".pt"), tensors)
    atomic_write_text(job.path, json.dumps(record))


def _finetune_group(group: list[FinetuneJob], cache: bool, progress=None, *,
                    write: bool = True) -> dict[str, tuple[dict, dict]]:
    """Fine-tune ``group`` (jobs of one lockstep group) as replicas of one network; return each job's
    record and tensors by its path, and write them into the cache if ``write``. ``cache``: reuse a
    cached stack and checkpoint."""
    first = group[0]
    dev = torch.device(first.device)
    started = time.time()
    train_x, test_x = first.setup.images(first.fraction, dev)
    rbms, pre_log = pretrained(first.pretrain, train_x, cache, write=write)
    model = DeepAutoencoder.unroll(rbms, replicas=len(group)).to(dev)
    optimizers, labels = [], []
    for k, job in enumerate(group):
        weight, bias = strategy_rules(job.strategy, job.setup, job.steps_per_epoch)
        optimizers.append(PerRole(model.replica_parameters(k), weight=weight, bias=bias))
        labels.append(f"{job.strategy.label} (fraction {job.fraction}, seed {job.seed})")
    group_key = key_digest({"group": [job.key for job in group]})
    checkpoint = first.path.parent.parent / "checkpoints" / f"{group_key}.pt"
    tic = time.perf_counter()
    with _one_thread(dev):
        records = finetune(model, optimizers, labels, train_x, test_x, first.setup.finetuning(),
                           seed=first.seed, checkpoint=checkpoint if cache else None, key=group_key,
                           progress=progress)
    wall = time.perf_counter() - tic
    out = {}
    for k, (job, recs) in enumerate(zip(group, records)):
        record = {"key": job.key, "records": recs, "replicas": len(group), "wall_seconds": wall,
                  "pretraining": pre_log, "torch": torch.__version__, "flop": _run_flop(job),
                  "started": started, "finished": time.time(), "process": os.getpid()}
        tensors = {"key": job.key, "state": model.replica_state(k), "activations": model.activations}
        if write:
            _write_entry(job, record, tensors)
        work.add(Count.from_record(record["flop"]), "AdaMix fine-tuning", key=str(job.path) if write else None)
        out[str(job.path)] = (record, tensors)
    return out


def _lockstep_groups(jobs: list[FinetuneJob], lockstep: bool) -> list[list[FinetuneJob]]:
    groups: dict[str, list[FinetuneJob]] = {}
    for job in jobs:
        if lockstep and job.setup.lockstep:
            groups.setdefault(job.lockstep_group(), []).append(job)
        else:
            groups[str(job.path)] = [job]
    return list(groups.values())


def workers_from_env() -> int | None:
    """``$OPTIMBOOK_WORKERS`` checked (None when unset or empty).

    Raises:
        ValueError: it is not an integer >= 1 (the message names the variable).
    """
    env = os.environ.get("OPTIMBOOK_WORKERS", "").strip()
    if not env:
        return None
    try:
        value = int(env)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"OPTIMBOOK_WORKERS must be an integer >= 1, got {env!r}")
    return value


def default_workers(scale: str, device: torch.device) -> int:
    """Processes :func:`execute` uses when not told: ``$OPTIMBOOK_WORKERS`` if set
    (``workers_from_env``); else one per CPU core at paper scale on the CPU (each run on one
    thread), and one on a GPU or at smoke scale (where starting processes would cost more than it
    saves)."""
    env = workers_from_env()
    if env is not None:
        return env
    if device.type != "cpu" or scale == "smoke":
        return 1
    return max(1, cpu_count())


#: How often (seconds) a worker checks that its parent is alive.
PARENT_WATCH_SECONDS = 0.05


def _watch_parent(parent: int) -> None:
    """Exit this worker at once, writing nothing and running no cleanup, when ``parent`` dies (this
    process is then re-parented, so its parent pid changes)."""
    while os.getppid() == parent:
        time.sleep(PARENT_WATCH_SECONDS)
    os._exit(1)


def _init_worker(root: str, parent: int) -> None:
    os.environ["OPTIMBOOK_RESULTS"] = root
    os.environ["OPTIMBOOK_WORKERS"] = "1"
    # the parent records a worker's work from the records it returns: the worker's meter logs nothing
    os.environ.pop(work.ENV, None)
    torch.set_num_threads(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _pretrain_work(job: PretrainJob, device: str) -> dict:
    train_x, _ = job.setup.images(job.fraction, torch.device(device))
    return _pretrain(job, train_x)


def _finetune_work(job: FinetuneJob) -> tuple[dict, dict, bool]:
    """A fine-tuning in a worker: its record, its tensors, and whether the worker had to pretrain
    its stack itself (not found in the cache: that stack is not written, and its work is the
    worker's)."""
    before = len(work.entries())
    record, tensors = _finetune_group([job], cache=True, write=False)[str(job.path)]
    made_stack = any(e.what == "AdaMix pretraining" and not e.reused for e in work.entries()[before:])
    return record, tensors, made_stack


def job_flop(job: PretrainJob | FinetuneJob) -> float:
    """The matrix-product work of a job (the closed forms of :mod:`optimlab.training.flops`): the scheduler's
    estimate of its length."""
    from optimlab.training import flops
    s = job.setup
    n_train, n_test = s.numbers(job.fraction)
    if isinstance(job, PretrainJob):
        return flops.pretraining_run(s.sizes, n_train, s.pretrain_epochs, s.batch_size).matmul
    return flops.finetuning_run(s.sizes, n_train, n_test, s.finetuning().epochs, s.batch_size,
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


def schedule_bound(plans: Sequence[Plan], workers: int = 2) -> dict[str, float]:
    """The lower bound on the time to execute ``plans`` as one schedule over ``workers`` workers, in
    counted work (:func:`job_flop`: matrix products, every job at one rate): the larger of the whole
    work shared evenly and the longest chain (a stack's pretraining and then its longest
    fine-tuning), which no number of workers shortens.

    Returns ``{"plans", "jobs", "TFLOP", "bound TFLOP", "longest chain / bound"}``: the distinct jobs
    of the merged plans, their work, the bound (in work per worker), and the chain's share of it (1:
    the chain decides; below 1: the work shared evenly does).

    Raises:
        ValueError: ``workers`` is not an integer >= 1, or ``plans`` is empty.
    """
    check_number("workers", workers, low=1, integer=True)
    merged = merge(plans)
    jobs = [*merged.pretrain, *merged.finetune]
    total = sum(job_flop(j) for j in jobs)
    chain = max((job_flop(j.pretrain) + job_flop(j) for j in merged.finetune), default=0.0)
    bound = max(total / workers, chain)
    return {"plans": len(plans), "jobs": len(jobs), "TFLOP": total / 1e12, "bound TFLOP": bound / 1e12,
            "longest chain / bound": chain / bound if bound else math.nan}


def _busy(intervals: list[tuple[float, float]]) -> float:
    """The length of the union of ``intervals``."""
    busy, end = 0.0, -math.inf
    for a, b in sorted(intervals):
        if b > end:
            busy += b - max(a, end)
            end = b
    return busy


def schedule_measured(plans: Sequence[Plan], workers: int = 2) -> dict[str, float]:
    """The schedule the cached runs of ``plans`` were made in, measured from their records (the
    ``started``/``finished`` times of every fine-tuning and of its stack's pretraining, where they
    were made), against the lower bound of any schedule of those jobs over ``workers`` workers.

    Returns, in seconds:

    - ``runs``, ``cached``: the distinct fine-tunings of the plans, and how many the cache holds
      (the rest are left out: every figure is NaN when none is cached);
    - ``span``: from the first start to the last finish;
    - ``idle``: the time in the span when none of these jobs ran (between builds, say);
    - ``jobs``: the jobs' own times summed (each stack's pretraining once, each lockstep group's
      fine-tuning once), and ``parallel``: ``jobs`` / (``span`` - ``idle``), the jobs running at once
      on average;
    - ``chain``: the longest stack's pretraining plus one of its fine-tunings;
    - ``bound``: the larger of ``jobs`` / ``workers`` and ``chain`` (no schedule of these jobs over
      ``workers`` workers is shorter), and ``span / bound``.
    """
    check_number("workers", workers, low=1, integer=True)
    merged = merge(plans)
    intervals, stacks, groups, chains, cached = [], {}, {}, [], 0
    for job in merged.finetune:
        saved = _saved(job) if job.path.exists() else None
        if saved is None:
            continue
        cached += 1
        pre = saved["pretraining"]
        intervals.append((saved["started"], saved["finished"]))
        if math.isfinite(pre.get("started", math.nan)) and math.isfinite(pre.get("finished", math.nan)):
            intervals.append((pre["started"], pre["finished"]))
        stacks[str(job.pretrain.path)] = pre["seconds"]
        groups[(saved.get("process"), saved["started"])] = saved["wall_seconds"]
        chains.append(pre["seconds"] + saved["wall_seconds"])
    out = {"runs": len(merged.finetune), "cached": cached}
    if not cached:
        return {**out, **dict.fromkeys(("span", "idle", "jobs", "parallel", "chain", "bound", "span / bound"),
                                       math.nan)}
    span = max(b for _, b in intervals) - min(a for a, _ in intervals)
    busy = _busy(intervals)
    jobs = sum(stacks.values()) + sum(groups.values())
    bound = max(jobs / workers, max(chains))
    return {**out, "span": span, "idle": span - busy, "jobs": jobs, "parallel": jobs / busy if busy else math.nan,
            "chain": max(chains), "bound": bound, "span / bound": span / bound if bound else math.nan}


def describe_schedule(measured: dict[str, float], workers: int, what: str = "these runs") -> str:
    """What :func:`schedule_measured` found (``measured``, over ``workers`` workers), in sentences a
    chapter can glue; they hold whether none, some or all of ``what`` are cached."""
    runs, cached = int(measured["runs"]), int(measured["cached"])
    if not cached:
        return (f"None of the {runs} fine-tunings of {what} is in the results cache here, so no build of them "
                "was measured on this machine: the bound is all this page can give.")
    if cached < runs:
        return (f"Only {cached} of the {runs} fine-tunings of {what} are in the results cache here, so their "
                "measured times are not a build of them all, and are not compared with the bound.")
    m = {k: measured[k] / 60 for k in ("span", "idle", "jobs", "chain", "bound")}
    return (f"The {runs} cached fine-tunings of {what} and their stacks were made within {m['span']:.1f} minutes "
            f"from the first start to the last finish, {m['idle']:.1f} of them with none of these jobs running "
            f"(between builds, say); the jobs took {m['jobs']:.1f} minutes together, {measured['parallel']:.2f} "
            f"of them running at a time on average. From those measured times, no schedule over {workers} "
            f"worker{'s' if workers != 1 else ''} finishes them in under {m['bound']:.1f} minutes (the longest "
            f"chain took {m['chain']:.1f}), so the measured span is {measured['span / bound']:.2f} times that bound.")


def _list_schedule(order: Sequence, workers: int, after: dict[str, object], start, wait_any) -> None:
    """List scheduling, the policy of :func:`execute` over workers: ``order`` holds the jobs, highest
    priority first; whenever fewer than ``workers`` jobs run, the first job whose prerequisite
    (``after[str(job.path)]``, if it is a job of ``order``) has finished is started. ``start(job)``
    starts a job and returns a handle; ``wait_any(running)`` waits until at least one of
    ``running`` (handle -> job) has finished and returns the finished handles."""
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


def _pool_execute(pretrain: list[PretrainJob], finetune: list[FinetuneJob], workers: int, device: str,
                  bar=None) -> dict[str, list[dict]]:
    """Make ``pretrain`` and ``finetune`` over ``workers`` spawned processes, one job each at a
    time, as one schedule (:func:`_list_schedule` in :func:`schedule_order`): a fine-tuning starts
    as soon as its pretrained stack exists (not when a phase ends), and a free worker takes the
    ready job of highest priority. Workers compute, on one thread each; this process writes every
    entry as its job finishes. A worker exits when this process dies; if this process fails or is
    interrupted, it kills its workers. Returns the records made, by run path."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    order = [job for _, _, job in schedule_order(pretrain, finetune)]
    pool = ProcessPoolExecutor(min(workers, len(order)), mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(str(results_root()), os.getpid()))
    made: dict[str, list[dict]] = {}
    stacks = set()  # the stacks this pool made or recorded as read

    def record_work(job: FinetuneJob, record: dict, made_stack: bool) -> None:
        """The work of a worker's fine-tuning, recorded once, here (the worker's meter logs nothing)."""
        work.add(Count.from_record(record["flop"]), "AdaMix fine-tuning", key=str(job.path))
        pre = Count.from_record(record["pretraining"]["flop"])
        if made_stack:  # pretrained by the worker, not written
            work.add(pre, "AdaMix pretraining")
        elif str(job.pretrain.path) not in stacks:
            stacks.add(str(job.pretrain.path))
            work.reuse(pre, "AdaMix pretraining", key=str(job.pretrain.path))

    def start(job):
        if isinstance(job, PretrainJob):
            return pool.submit(_pretrain_work, job, device)
        return pool.submit(_finetune_work, replace(job, setup=replace(job.setup, lockstep=False)))

    def wait_any(running):
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            job = running[future]
            result = future.result()  # a failed job raises here, naming itself
            if isinstance(job, PretrainJob):
                atomic_torch_save(job.path, result)
                stacks.add(str(job.path))
                work.add(Count.from_record(result["log"]["flop"]), "AdaMix pretraining", key=str(job.path))
            else:
                record, tensors, made_stack = result
                _write_entry(job, record, tensors)
                record_work(job, record, made_stack)
                made[str(job.path)] = record["records"]
                if bar is not None:
                    bar.update(job.setup.finetuning().epochs)
        return done

    try:
        _list_schedule(order, workers, {str(j.path): j.pretrain for j in finetune}, start, wait_any)
    except BaseException:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()  # a worker's job is lost with this run: it must not outlive it
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return made


def execute(the_plan: Plan, *, workers: int | None = None, cache: bool = True,
            progress: bool = False) -> dict[str, list[dict]]:
    """Make every job of ``the_plan`` whose entry is not whole in the cache (all of them without
    ``cache``, replacing their entries), and write its entry.

    With one worker, strategies that share a pretrained network and a fine-tuning loop train in
    lockstep as replicas of one batched network; with more, each job trains alone in a spawned
    process, all jobs as one schedule (``runner.schedule_order``). On the CPU every run computes on
    one thread (the cores are used by the workers), so its numbers are the same either way.
    Returns the records made, by run path.
    """
    todo = the_plan.missing() if cache else list(the_plan.finetune)
    if not todo:
        return {}
    dev = torch.device(the_plan.device)
    workers = default_workers(the_plan.scale, dev) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers}")
    parallel = workers > 1 and len(todo) > 1
    groups = [[j] for j in todo] if parallel else _lockstep_groups(todo, lockstep=True)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(g[0].setup.finetuning().epochs for g in groups), desc=f"fine-tuning ({the_plan.scale})",
                   unit="epoch")
    try:
        if parallel:
            needed = {j.pretrain for j in todo}
            stacks = [p for p in the_plan.pretrain if p in needed and (not cache or _stack(p, "cpu") is None)]
            return _pool_execute(stacks, todo, workers, the_plan.device, bar)
        made: dict[str, list[dict]] = {}
        for group in groups:
            out = _finetune_group(group, cache, (lambda e: bar.update(1)) if bar else None)
            made.update({path: record["records"] for path, (record, _) in out.items()})
        return made
    finally:
        if bar is not None:
            bar.close()


# --- collect ---------------------------------------------------------------------------------------
def collect(the_plan: Plan, made: dict[str, list[dict]] | None = None, strategies_order=None):
    """The tidy table of ``the_plan``'s rows (``COLUMNS``), read from ``made`` or the cache."""
    import pandas as pd

    sweep(the_plan.scale)
    made = {**the_plan.loaded, **(made or {})}
    rows = []
    for (name, reading, label, fraction, seed), job in the_plan.rows.items():
        records = made.get(str(job.path))
        if records is None:
            saved = _saved(job)
            if saved is not None:  # read from the cache here: recorded as reused, once per plan
                records = the_plan.loaded[str(job.path)] = saved["records"]
                the_plan._reused(job, saved)
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
    """Run experiment ``name`` ("fig4" … "fig8", "beyond", "readings", "explanations") and return its
    tidy table.

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
    """The fine-tuned network of a finished run (from the cache), as a one-replica autoencoder; the
    run and its stack are recorded with the work meter as reused.

    ``device`` is the device the run was made on (part of its cache key), where the network is
    loaded. Raises ``FileNotFoundError`` if that run has not been made (``run(name, ...)`` makes it).
    """
    job = _job(name, strategy, scale, seed, fraction, setup, device, reading)
    path = job.path.with_suffix(".pt")
    sweep(scale)
    record = _saved(job)
    saved = read_torch(path, map_location=job.device, weights_only=True) if record is not None else None
    if saved is None:
        raise FileNotFoundError(f"no finished run of {name}/{strategy} (seed {seed}) at {path}; "
                                f"run({name!r}, ...) makes it")
    Plan(scale, job.device, [job.pretrain], [job], {})._reused(job, record)  # read from the cache: reused work
    state = saved["state"]
    n = len(saved["activations"])
    return DeepAutoencoder([state[f"weights.{i}"] for i in range(n)],
                           [state[f"biases.{i}"] for i in range(n)], saved["activations"])


def pretraining_log(setup: Setup, fraction: float, seed: int, *, scale: str = "paper") -> dict:
    """The log of a cached pretraining (``{"layers": [...], "seconds", "device"}``).

    Raises ``FileNotFoundError`` if that stack has not been pretrained yet (:func:`run` does it).
    """
    key = _pretrain_key(setup, fraction, seed)
    path = results_root() / scale / "pretrained" / f"{key_digest(key)}.pt"
    sweep(scale)
    saved = _stack(PretrainJob(setup, fraction, seed, key, path), "cpu")
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
    size), ``pretraining_seconds``, ``device``, ``torch``, ``flop`` (the run's work, by the closed
    forms), and ``started``/``finished`` and ``pretraining_started``/``pretraining_finished`` (Unix
    times of the run and of its stack's pretraining where they were made: the measured schedule).
    Runs not made yet are left out."""
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
                     "torch": saved.get("torch"), "flop": saved["flop"]["total"],
                     "started": saved["started"], "finished": saved["finished"],
                     "pretraining_started": saved["pretraining"].get("started", math.nan),
                     "pretraining_finished": saved["pretraining"].get("finished", math.nan)})
    return pd.DataFrame(rows)


def runs_to_csv(frame, name: str, scale: str):
    """Write ``results/<scale>/<name>.csv`` atomically; return its path."""
    path = results_root() / scale / f"{name}.csv"
    atomic_write_text(path, frame.to_csv(index=False))
    return path
