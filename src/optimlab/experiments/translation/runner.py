"""Run the translation comparison: data, jobs, cache, resume, work counted.

:func:`prepare` builds the data of a scale (the generated corpus, or a real ``eng-fra.txt`` file;
the splits; one byte-level BPE vocabulary per language, trained on the training split) and caches
it. A *job* is one training run: (optimizer, peak rate, seed, warmup or not). :func:`run` executes
the protocol of :mod:`~optimlab.experiments.translation.protocol`: the grid jobs of every budget
with the first seed, the choices, then every optimizer at each budget's choice over all seeds; it
returns one row per (optimizer, rate, seed, warmup, epoch).

Each finished job is one JSON file under ``results/<scale>/translation/runs/``, named by the hash of
its settings, the data and the code (:mod:`optimlab.experiments.cache`): rerunning recomputes only
what changed. A job checkpoints its model, optimizer, history and random state at the end of every
epoch (atomically); a killed run resumes from its last finished epoch and gives the rows an
uninterrupted one would (the mini-batches depend only on seed and epoch).

Work is counted with :class:`torch.utils.flop_counter.FlopCounterMode`: one training step
(forward and backward) on a full batch, times the number of steps, plus one evaluation (the
validation loss and the greedy decoding of the test split, which always runs the full length)
times the evaluations. The optimizers' element-wise updates are not counted (under 1 % here).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from optimlab.experiments.cache import code_version, key_digest, results_root
from optimlab.experiments.translation import corpus as corpus_module
from optimlab.experiments.translation import metrics, protocol, tokenizer
from optimlab.experiments.translation.engfra import read_pairs, write_pairs
from optimlab.experiments.translation.model import TranslationTransformer, sequence_loss
from optimlab.runtime import check_scale, cpu_count, resolve_device
from optimlab.storage import atomic_torch_save, atomic_write_text, load_json, load_torch
from optimlab.training import work as meter
from optimlab.training.flops import Count
from optimlab.training.loop import History, NonFiniteLossError, fit

__all__ = [
    "COLUMNS",
    "Data",
    "Job",
    "SEEDS",
    "SETTINGS",
    "Settings",
    "claim",
    "examples",
    "execute",
    "jobs_for",
    "prepare",
    "rate_schedule",
    "run",
    "train_job",
    "write_csv",
]

#: Columns of :func:`run`'s table (the first eight are the issue's; ``warmup`` is the warmup length
#: in steps, 0 without; ``flop`` the work done up to that epoch; ``seconds`` the training time).
COLUMNS = ["optimizer", "family", "lr", "seed", "epoch", "val_loss", "test_bleu", "test_chrf", "warmup",
           "step", "train_loss", "seconds", "flop", "diverged"]

#: Modules whose code decides a job's numbers (the cache key includes their hash).
CODE = ["optimbook.optim", "optimbook.schedules", "optimlab.training.loop",
        "optimlab.experiments.translation.corpus", "optimlab.experiments.translation.tokenizer",
        "optimlab.experiments.translation.model", "optimlab.experiments.translation.metrics",
        "optimlab.experiments.translation.runner"]


@dataclass(frozen=True)
class Settings:
    """Data, model and training settings of one scale."""

    pairs: int  #: sentence pairs in the corpus (before the split)
    valid: int  #: validation pairs (the choices)
    test: int  #: test pairs (BLEU and chrF; never a choice)
    vocab: int  #: BPE vocabulary size per language
    d_model: int
    heads: int
    layers: int  #: encoder layers (and as many decoder layers)
    ff: int
    dropout: float
    batch_size: int
    epochs: int
    warmup_fraction: float  #: warmup steps / total steps (when the budget warms up)
    grid: tuple[float, ...]
    small_grid: tuple[float, ...]
    max_words: int = 16  #: longer pairs of a real file are dropped (the tutorial keeps 10)
    corpus_seed: int = 0  #: the generated corpus's seed, and the shuffle of a real file

    def data_key(self) -> dict:
        return {k: getattr(self, k) for k in ("pairs", "valid", "test", "vocab", "max_words", "corpus_seed")}

    def train_key(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("grid", "small_grid")}


#: The settings of each scale. Smoke: seconds for every optimizer on CI. Paper: sized for about two
#: hours on two CPU cores (see the chapter's compute section).
SETTINGS = {
    "smoke": Settings(pairs=160, valid=30, test=30, vocab=600, d_model=16, heads=2, layers=1, ff=32,
                      dropout=0.1, batch_size=50, epochs=2, warmup_fraction=0.1, grid=(1e-2, 1e-1),
                      small_grid=(1e-1,)),
    "paper": Settings(pairs=7000, valid=500, test=500, vocab=2000, d_model=64, heads=4, layers=2, ff=256,
                      dropout=0.1, batch_size=32, epochs=7, warmup_fraction=0.1, grid=protocol.GRID,
                      small_grid=protocol.SMALL_GRID),
}


#: The seeds the chapter uses at each scale (the first one tunes).
SEEDS = {"smoke": (0, 1), "paper": (0, 1, 2, 3, 4)}


# --- data ------------------------------------------------------------------------------------------
@dataclass
class Data:
    """A prepared corpus: packed training and validation tensors, the test split as text."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    valid_x: torch.Tensor
    valid_y: torch.Tensor
    test_src: torch.Tensor
    test_sources: list[str]  #: French
    test_references: list[str]  #: English
    src_tok: object = field(repr=False)
    tgt_tok: object = field(repr=False)
    src_len: int = 0
    tgt_len: int = 0
    source: str = ""  #: where the pairs came from
    digest: str = ""

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train_x), "valid": len(self.valid_x), "test": len(self.test_src),
                "src_vocab": self.src_tok.get_vocab_size(), "tgt_vocab": self.tgt_tok.get_vocab_size(),
                "src_len": self.src_len, "tgt_len": self.tgt_len}

    def to(self, device) -> Data:
        return replace(self, train_x=self.train_x.to(device), train_y=self.train_y.to(device),
                       valid_x=self.valid_x.to(device), valid_y=self.valid_y.to(device),
                       test_src=self.test_src.to(device))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pairs(settings: Settings, corpus: str | os.PathLike | None) -> tuple[list[tuple[str, str]], str]:
    if corpus is None:
        pairs = corpus_module.generate(settings.pairs, settings.corpus_seed)
        return pairs, f"generated by pyrealb ({settings.pairs} pairs, seed {settings.corpus_seed})"
    path = Path(corpus)
    pairs = [p for p in read_pairs(path) if max(len(p[0].split()), len(p[1].split())) <= settings.max_words]
    seen, unique = set(), []
    for english, french in pairs:
        if french not in seen:
            seen.add(french)
            unique.append((english, french))
    random.Random(settings.corpus_seed).shuffle(unique)
    if len(unique) < settings.valid + settings.test + 1:
        raise ValueError(f"corpus: {path} has {len(unique)} distinct pairs of at most {settings.max_words} words;"
                         f" the scale needs more than {settings.valid + settings.test}")
    return unique[: settings.pairs], f"{path.name} ({len(unique[: settings.pairs])} of its pairs)"


def _pack(src_ids, tgt_ids, src_len: int, tgt_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = len(src_ids)
    x = torch.full((n, src_len + tgt_len), tokenizer.PAD, dtype=torch.long)
    y = torch.full((n, tgt_len), tokenizer.PAD, dtype=torch.long)
    for i, (s, t) in enumerate(zip(src_ids, tgt_ids)):
        s = s + [tokenizer.EOS]
        x[i, : len(s)] = torch.tensor(s)
        x[i, src_len: src_len + len(t) + 1] = torch.tensor([tokenizer.BOS] + t)
        y[i, : len(t) + 1] = torch.tensor(t + [tokenizer.EOS])
    return x, y


def _data_key(settings: Settings, corpus) -> dict:
    source = {"lexicon": _sha256(corpus_module.LEXICON)} if corpus is None else {"file": _sha256(Path(corpus))}
    return {"what": "translation-data", **settings.data_key(), **source,
            "code": code_version(["optimlab.experiments.translation.corpus",
                                  "optimlab.experiments.translation.tokenizer",
                                  "optimlab.experiments.translation.engfra"])}


def prepare(scale: str = "smoke", corpus: str | os.PathLike | None = None, *, settings: Settings | None = None,
            cache: bool = True) -> Data:
    """The data of ``scale`` (from the cache when made before).

    The pairs are the generated corpus (also written to ``results/<scale>/translation/eng-fra.txt``)
    or, with ``corpus``, the pairs of that ``eng-fra.txt``-style file with at most ``max_words``
    words a side, distinct by their French side, shuffled by ``corpus_seed``. The first ``test``
    pairs are the test split, the next ``valid`` the validation split, the rest the training split;
    the two vocabularies are trained on the training split. French is the source, English the
    target (the survey's 法-英 direction, and the tutorial's).
    """
    check_scale(scale)
    settings = settings or SETTINGS[scale]
    key = _data_key(settings, corpus)
    digest = key_digest(key)
    folder = results_root() / scale / "translation"
    path = folder / "data" / f"{digest}.pt"
    saved = load_torch(path, weights_only=True) if cache else None
    if saved is None:
        pairs, source = _pairs(settings, corpus)
        test, valid, train = (pairs[: settings.test], pairs[settings.test: settings.test + settings.valid],
                              pairs[settings.test + settings.valid:])
        src_tok = tokenizer.train_tokenizer([f for _, f in train], settings.vocab)
        tgt_tok = tokenizer.train_tokenizer([e for e, _ in train], settings.vocab)
        encoded = {name: (tokenizer.encode(src_tok, [f for _, f in split]), tokenizer.encode(tgt_tok, [e for e, _ in split]))
                   for name, split in (("train", train), ("valid", valid), ("test", test))}
        src_len = 1 + max(len(s) for s, _ in encoded.values() for s in s)
        tgt_len = 1 + max(len(t) for _, t in encoded.values() for t in t)
        tensors = {name: _pack(s, t, src_len, tgt_len) for name, (s, t) in encoded.items()}
        saved = {"key": key, "train_x": tensors["train"][0], "train_y": tensors["train"][1],
                 "valid_x": tensors["valid"][0], "valid_y": tensors["valid"][1],
                 "test_src": tensors["test"][0][:, :src_len].clone(),
                 "test_sources": [f for _, f in test], "test_references": [e for e, _ in test],
                 "src_tok": src_tok.to_str(), "tgt_tok": tgt_tok.to_str(), "src_len": src_len,
                 "tgt_len": tgt_len, "source": source}
        if cache:
            atomic_torch_save(path, saved)
            if corpus is None:
                write_pairs(folder / "eng-fra.txt", pairs)
    return Data(saved["train_x"], saved["train_y"], saved["valid_x"], saved["valid_y"], saved["test_src"],
                list(saved["test_sources"]), list(saved["test_references"]),
                tokenizer.from_json(saved["src_tok"]), tokenizer.from_json(saved["tgt_tok"]),
                int(saved["src_len"]), int(saved["tgt_len"]), str(saved["source"]), digest)


# --- jobs ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """One training run."""

    optimizer: str
    lr: float
    seed: int
    warmup: bool


def steps_per_epoch(settings: Settings, data: Data) -> int:
    return math.ceil(len(data.train_x) / settings.batch_size)


def warmup_steps(settings: Settings, data: Data, warmup: bool) -> int:
    """The warmup length: ``warmup_fraction`` of the run's steps (at least one), or 0."""
    total = settings.epochs * steps_per_epoch(settings, data)
    return max(1, round(settings.warmup_fraction * total)) if warmup else 0


def rate_schedule(peak: float, warmup: int, decay_steps: int):
    """The Transformer's rate (Vaswani et al. 2017, eq. (3)) as an ``optimbook.schedules``
    composition: a linear ramp to ``peak`` over ``warmup`` steps, then
    ``peak · (1 + s/decay_steps)^(−1/2)`` at ``s`` steps after it — with ``decay_steps = warmup``
    that is ``peak · sqrt(warmup / t)`` at step ``t``, the inverse square root. Without warmup
    (``warmup = 0``) the same decay starts at step 0."""
    from optimbook.schedules import linear_warmup, power_decay

    decay = power_decay(float(peak), decay_steps=int(decay_steps), power=0.5)
    return linear_warmup(decay, int(warmup)) if warmup else decay


def _job_key(job: Job, settings: Settings, data: Data, device: str) -> dict:
    return {"what": "translation-run", **asdict(job), "settings": settings.train_key(), "data": data.digest,
            "device": device, "code": code_version(CODE)}


def _paths(job: Job, settings: Settings, data: Data, device: str, scale: str) -> tuple[dict, Path, Path]:
    key = _job_key(job, settings, data, device)
    digest = key_digest(key)
    folder = results_root() / scale / "translation"
    return key, folder / "runs" / f"{digest}.json", folder / "checkpoints" / f"{digest}.pt"


def _saved(path: Path) -> dict | None:
    return load_json(path, validate=lambda d: (d["records"][-1]["epoch"], d["flop"], d["examples"]))


def _evaluator(data: Data, batch: int = 500):
    """``evaluate(model) -> {val_loss, test_bleu, test_chrf}``, and the last hypotheses."""
    last: dict[str, list[str]] = {}

    def evaluate(model: TranslationTransformer) -> dict[str, float]:
        total, tokens = 0.0, 0
        for i in range(0, len(data.valid_x), batch):
            y = data.valid_y[i: i + batch]
            logits = model(data.valid_x[i: i + batch])
            n = int((y != tokenizer.PAD).sum())
            total += float(sequence_loss(logits, y)) * n
            tokens += n
        ids = torch.cat([model.translate(data.test_src[i: i + batch]) for i in range(0, len(data.test_src), batch)])
        hyps = tokenizer.decode(data.tgt_tok, ids.tolist())
        last["hypotheses"] = hyps
        return {"val_loss": total / tokens, "test_bleu": metrics.bleu(hyps, data.test_references),
                "test_chrf": metrics.chrf(hyps, data.test_references)}

    return evaluate, last


def _model(settings: Settings, data: Data, seed: int, device) -> TranslationTransformer:
    torch.manual_seed(int(seed))
    return TranslationTransformer(data.src_tok.get_vocab_size(), data.tgt_tok.get_vocab_size(), data.src_len,
                                  data.tgt_len, d_model=settings.d_model, heads=settings.heads,
                                  layers=settings.layers, ff=settings.ff, dropout=settings.dropout).to(device)


_WORK: dict[tuple, tuple[float, float]] = {}


def work(settings: Settings, data: Data, device) -> tuple[float, float]:
    """FLOPs of one training step on a full batch (forward and backward) and of one evaluation,
    counted by :class:`~torch.utils.flop_counter.FlopCounterMode` on a scratch model."""
    from torch.utils.flop_counter import FlopCounterMode

    memo = (data.digest, json.dumps(settings.train_key(), sort_keys=True), str(device))
    if memo not in _WORK:
        with torch.random.fork_rng(devices=[]):
            model = _model(settings, data, 0, device)
            n = min(settings.batch_size, len(data.train_x))
            with FlopCounterMode(display=False) as counter:
                sequence_loss(model(data.train_x[:n]), data.train_y[:n]).backward()
            step = counter.get_total_flops() * settings.batch_size / n
            evaluate, _ = _evaluator(data)
            model.eval()
            with torch.no_grad(), FlopCounterMode(display=False) as counter:
                evaluate(model)
            _WORK[memo] = (float(step), float(counter.get_total_flops()))
    return _WORK[memo]


def _checkpoint(path: Path, key: dict, epoch: int, model, optimizer, history: History, hyps) -> None:
    """Save what a resumed job needs after ``epoch`` epochs (atomically)."""
    atomic_torch_save(path, {"key_digest": key_digest(key), "epoch": epoch, "model": model.state_dict(),
                             "optimizer": optimizer.state_dict()["state"], "records": history.records,
                             "rng": torch.get_rng_state(), "hypotheses": list(hyps)})


def train_job(job: Job, settings: Settings, data: Data, device, *, scale: str, cache: bool = True,
              on_epoch=None) -> dict:
    """Train ``job`` (resuming from its checkpoint when there is one); return its saved result
    ``{key, records, flop, examples, diverged, wall_seconds}`` (also written to the cache)."""
    from optimbook.testing import optimizer_class

    dev = torch.device(device)
    key, path, ckpt = _paths(job, settings, data, dev.type, scale)
    step_flop, eval_flop = work(settings, data, dev)
    per_epoch = steps_per_epoch(settings, data)
    w = warmup_steps(settings, data, job.warmup)
    decay = w if w else warmup_steps(settings, data, True)
    model = _model(settings, data, job.seed, dev)
    optimizer = optimizer_class(job.optimizer)(model.parameters(), lr=rate_schedule(job.lr, w, decay))
    history, start = History(), 0
    evaluate, last = _evaluator(data)
    saved = load_torch(ckpt, map_location=dev, weights_only=True) if cache else None
    if saved is not None and saved.get("key_digest") == key_digest(key):
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict({"state": saved["optimizer"],
                                   "param_groups": optimizer.state_dict()["param_groups"]})
        torch.set_rng_state(saved["rng"])
        history, start = History(list(saved["records"])), int(saved["epoch"])
        last["hypotheses"] = list(saved["hypotheses"])

    def on_epoch_end(epoch: int, hist: History) -> None:
        if cache:
            _checkpoint(ckpt, key, epoch, model, optimizer, hist, last.get("hypotheses", []))
        if on_epoch is not None:
            on_epoch()

    tic = time.perf_counter()
    diverged = False
    try:
        fit(model, sequence_loss, optimizer, data.train_x.to(dev), data.train_y.to(dev),
            batch_size=settings.batch_size, epochs=settings.epochs - start, start_epoch=start, seed=job.seed,
            evaluate=evaluate, on_epoch_end=on_epoch_end, history=history,
            name=f"{job.optimizer} (lr {job.lr:g}, seed {job.seed})", count_work=False)
    except NonFiniteLossError:
        diverged = True
    records = []
    for r in history.records:
        epoch = int(round(r["epoch"]))
        evals = epoch + 1
        records.append({"epoch": epoch, "step": int(r["step"]), "train_loss": r["loss"],
                        "val_loss": r["val_loss"], "test_bleu": r["test_bleu"], "test_chrf": r["test_chrf"],
                        "seconds": r["seconds"], "flop": step_flop * r["step"] * len(data.train_x)
                        / (per_epoch * settings.batch_size) + eval_flop * evals})
    done = {r["epoch"] for r in records}
    for epoch in range(settings.epochs + 1):  # a diverged run: the epochs it did not finish
        if epoch not in done:
            records.append({"epoch": epoch, "step": epoch * per_epoch, "train_loss": math.nan, "val_loss": math.nan,
                            "test_bleu": math.nan, "test_chrf": math.nan, "seconds": math.nan, "flop": math.nan})
    records.sort(key=lambda r: r["epoch"])
    hyps = last.get("hypotheses", []) if not diverged else []
    result = {"key": key, "records": records, "diverged": diverged, "warmup_steps": w,
              "flop": max((r["flop"] for r in records if not math.isnan(r["flop"])), default=0.0),
              "examples": [{"source": s, "reference": r, "hypothesis": h}
                           for s, r, h in zip(data.test_sources, data.test_references, hyps)][:20],
              "wall_seconds": time.perf_counter() - tic, "device": dev.type, "torch": torch.__version__}
    meter.add(Count(result["flop"]), "translation run", key=str(path) if cache else None)
    if cache:
        atomic_write_text(path, json.dumps(result, allow_nan=True))
        if ckpt.exists():
            ckpt.unlink()
    return result


# --- plan and execute ------------------------------------------------------------------------------
def jobs_for(settings: Settings, budgets: Sequence[protocol.Budget], seeds: Sequence[int],
             optimizers: Sequence[str], chosen: dict[str, dict[str, float]] | None = None) -> list[Job]:
    """The grid jobs of ``budgets`` with the first seed; with ``chosen`` (budget -> optimizer -> rate),
    also each optimizer at its chosen rate over every seed. Each distinct job once, in order."""
    jobs: dict[Job, None] = {}
    for b in budgets:
        grid = settings.grid if b.grid == "full" else settings.small_grid
        for name in optimizers:
            for lr in grid:
                jobs[Job(name, float(lr), int(seeds[0]), b.warmup)] = None
    for b in budgets:
        for name, lr in (chosen or {}).get(b.name, {}).items():
            for seed in seeds:
                jobs[Job(name, float(lr), int(seed), b.warmup)] = None
    return list(jobs)


def _init_worker(root: str) -> None:
    os.environ["OPTIMBOOK_RESULTS"] = root
    torch.set_num_threads(1)


def _work_one(job: Job, settings: Settings, scale: str, corpus, device: str) -> str:
    data = prepare(scale, corpus, settings=settings).to(device)
    train_job(job, settings, data, device, scale=scale)
    return job.optimizer


def default_workers(scale: str, device: torch.device) -> int:
    """``$OPTIMBOOK_WORKERS`` if set; else one per CPU core at paper scale on the CPU, one otherwise."""
    env = os.environ.get("OPTIMBOOK_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, cpu_count()) if device.type == "cpu" and scale == "paper" else 1


def execute(jobs: Sequence[Job], settings: Settings, data: Data, device, *, scale: str, corpus=None,
            cache: bool = True, workers: int = 1, progress: bool = False) -> dict[Job, dict]:
    """Make the jobs the cache lacks (all without ``cache``); return every job's result."""
    dev = torch.device(device)
    results, todo = {}, []
    for job in jobs:
        saved = _saved(_paths(job, settings, data, dev.type, scale)[1]) if cache else None
        if saved is None:
            todo.append(job)
        else:
            results[job] = saved
            meter.reuse(Count(saved["flop"]), "translation run", key=str(_paths(job, settings, data, dev.type, scale)[1]))
    if not todo:
        return results
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo) * settings.epochs, desc=f"translation ({scale})", unit="epoch")
    try:
        if cache and workers > 1 and len(todo) > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(min(workers, len(todo)), mp_context=multiprocessing.get_context("spawn"),
                                     initializer=_init_worker, initargs=(str(results_root()),)) as pool:
                futures = [pool.submit(_work_one, job, settings, scale, corpus, dev.type) for job in todo]
                for future in as_completed(futures):
                    future.result()
                    if bar is not None:
                        bar.update(settings.epochs)
            for job in todo:
                results[job] = _saved(_paths(job, settings, data, dev.type, scale)[1])
        else:
            on_epoch = (lambda: bar.update(1)) if bar is not None else None
            threads = torch.get_num_threads()
            if dev.type == "cpu":  # a small model steps faster on one core than split over several
                torch.set_num_threads(1)
            try:
                for job in todo:
                    results[job] = train_job(job, settings, data, dev, scale=scale, cache=cache,
                                             on_epoch=on_epoch)
            finally:
                torch.set_num_threads(threads)
    finally:
        if bar is not None:
            bar.close()
    return results


def _rows(results: dict[Job, dict]):
    import pandas as pd

    rows = []
    for job, result in results.items():
        for r in result["records"]:
            rows.append({"optimizer": job.optimizer, "family": protocol.family_of(job.optimizer), "lr": job.lr,
                         "seed": job.seed, "epoch": r["epoch"], "val_loss": r["val_loss"],
                         "test_bleu": r["test_bleu"], "test_chrf": r["test_chrf"],
                         "warmup": result["warmup_steps"], "step": r["step"], "train_loss": r["train_loss"],
                         "seconds": r["seconds"], "flop": r["flop"], "diverged": bool(result["diverged"])})
    return pd.DataFrame(rows, columns=COLUMNS)


def run(scale: str = "smoke", seeds: Sequence[int] = (0,), device: str | torch.device = "auto", *,
        corpus: str | os.PathLike | None = None, optimizers: Sequence[str] | None = None,
        budgets: Sequence[str] | None = None, cache: bool = True, progress: bool = False,
        workers: int | None = None, settings: Settings | None = None):
    """Run the protocol at ``scale`` and return its table (:data:`COLUMNS`).

    Args:
        scale: ``"smoke"`` (seconds) or ``"paper"`` (see :data:`SETTINGS`).
        seeds: the first tunes (the grid), all of them train each optimizer at its chosen rate.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        corpus: a real ``eng-fra.txt``-style file instead of the generated corpus.
        optimizers: a subset of :data:`~optimlab.experiments.translation.protocol.OPTIMIZERS`.
        budgets: names of :data:`~optimlab.experiments.translation.protocol.BUDGETS` (default all).
        cache: reuse finished runs (and resume interrupted ones) under ``results/<scale>/translation``.
        progress: a tqdm progress bar over epochs.
        workers: processes for independent runs (default :func:`default_workers`; needs ``cache``).
    """
    check_scale(scale)
    settings = settings or SETTINGS[scale]
    seeds = list(dict.fromkeys(int(s) for s in seeds))
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    names = list(optimizers) if optimizers is not None else list(protocol.OPTIMIZERS)
    for name in names:
        protocol.family_of(name)
    chosen_budgets = [protocol.budget(b) for b in (budgets or [b.name for b in protocol.BUDGETS])]
    dev = resolve_device(device)
    workers = default_workers(scale, dev) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers}")
    data = prepare(scale, corpus, settings=settings, cache=cache).to(dev)
    common = dict(scale=scale, corpus=corpus, cache=cache, workers=workers, progress=progress)
    grid = execute(jobs_for(settings, chosen_budgets, seeds, names), settings, data, dev, **common)
    frame = _rows(grid)
    chosen = {b.name: protocol.choices(frame, settings.grid if b.grid == "full" else settings.small_grid,
                                       b.warmup, seeds[0]) for b in chosen_budgets}
    everything = execute(jobs_for(settings, chosen_budgets, seeds, names, chosen), settings, data, dev, **common)
    return _rows({**grid, **everything})


def examples(scale: str, optimizer: str, lr: float, seed: int, warmup: bool, *, device: str | torch.device = "auto",
             corpus=None, settings: Settings | None = None) -> list[dict[str, str]]:
    """The first test translations of a finished run: ``{source, reference, hypothesis}`` each
    (``FileNotFoundError`` if the run has not been made)."""
    settings = settings or SETTINGS[scale]
    data = prepare(scale, corpus, settings=settings)
    _, path, _ = _paths(Job(optimizer, float(lr), int(seed), bool(warmup)), settings, data,
                        resolve_device(device).type, scale)
    saved = _saved(path)
    if saved is None:
        raise FileNotFoundError(f"no finished translation run of {optimizer} (lr {lr:g}, seed {seed}) at {path}")
    return saved["examples"]


def claim(frame, scale: str, budget: str = "protocol", settings: Settings | None = None, **kwargs):
    """:func:`~optimlab.experiments.translation.protocol.c7` with the grids of ``scale``."""
    settings = settings or SETTINGS[check_scale(scale)]
    return protocol.c7(frame, budget, full_grid=settings.grid, small_grid=settings.small_grid, **kwargs)


def write_csv(frame, scale: str) -> Path:
    """Write ``results/<scale>/translation.csv`` atomically; return its path."""
    check_scale(scale)
    path = results_root() / scale / "translation.csv"
    atomic_write_text(path, frame.to_csv(index=False))
    return path
