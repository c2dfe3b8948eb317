"""The book's FLOP ledger: the floating-point work of every chapter, counted from its models, data
sizes and steps (never inferred from time), beside the time each chapter took.

Counting conventions: :mod:`optimlab.training.flops`.

Chapters are described at both scales by the work their notebooks run (:func:`chapter_items`).
Work that the results cache shares between chapters (pretrained stacks, fine-tuning runs) carries a
key and is paid for by the first chapter in book order that needs it (``done``); ``needed`` is the
work a chapter would do alone, with a cold cache. Time-budgeted runs (chapter 1) and 2-D toy
problems are listed with zero work and a note.

    >>> from optimlab.cost import ledger
    >>> ledger.pretraining_run((784, 1000), 6000, 1, 100).matmul  # CD-1: 10·784·1000 per example
    47040000000

``ledger.table("paper")`` gives one row per chapter, with seconds from ``executed/paper`` when present.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "Count",
    "Item",
    "autoencoder_forward",
    "autoencoder_train",
    "cd1",
    "chapter_items",
    "classifier_run",
    "dense_products",
    "finetuning_run",
    "mlp_forward",
    "mlp_train",
    "notebook_seconds",
    "pretraining_run",
    "table",
    "update_ops_per_element",
]


from optimlab.training.flops import (  # noqa: F401  (the closed forms, re-exported)
    Count, autoencoder_forward, autoencoder_train, cd1, classifier_run, dense_products,
    finetuning_run, mlp_forward, mlp_train, pretraining_run, update_ops_per_element, _params,
    _update_ops,
)


@dataclass(frozen=True)
class Item:
    """One piece of a chapter's work. ``key`` identifies work the results cache shares between
    chapters (counted once, in the first chapter that needs it); ``None``: always done."""

    chapter: str
    what: str
    count: Count
    key: Hashable | None = None
    note: str = ""


#: The notebooks' own configurations (their ``cfg`` dicts, at both scales), for the chapters whose
#: work is not in the package's registries. ``tests/test_ledger.py`` checks them against the
#: notebooks' sources.
NOTEBOOK_CONFIGS: dict[str, dict[str, dict[str, Any]]] = {
    "01_gradient_descent": {
        "smoke": dict(m=5_000, d=20, budget=0.6, mnist_fraction=0.02, mnist_budget=1.0,
                      timing_sizes=[1, 8, 64, 512, 1200], timing_fraction=0.02),
        "paper": dict(m=20_000, d=50, budget=4.0, mnist_fraction=1.0, mnist_budget=20.0,
                      timing_sizes=[1, 4, 16, 64, 256, 1024, 4096, 16384, 60000], timing_fraction=1.0),
    },
    "02_momentum_nesterov": {
        "smoke": dict(seeds=(0,), epochs=None, slice_points=12, rate_steps=(100, 200)),
        "paper": dict(seeds=(0, 1, 2), epochs=5, slice_points=40, rate_steps=(200, 400)),
    },
    "03_adagrad_adadec": {
        "smoke": dict(seeds=(0,), epochs=None, rate_fraction=0.02, rate_epochs=3, rate_batch=50),
        "paper": dict(seeds=(0, 1, 2), epochs=4, rate_fraction=0.1, rate_epochs=5, rate_batch=100),
    },
    "04_rmsprop_adadelta": {
        "smoke": dict(seeds=(0,), epochs=None, rate_fraction=0.02, rate_epochs=3, rate_batch=50),
        "paper": dict(seeds=(0, 1, 2), epochs=4, rate_fraction=0.1, rate_epochs=10, rate_batch=100),
    },
    "05_adam_family": {
        "smoke": dict(seeds=(0,), epochs=None, bias_steps=2000, ams_steps=1500, decay_steps=1500,
                      fit_fraction=0.02, test_fraction=0.05, fit_epochs=3, fit_batch=50),
        "paper": dict(seeds=(0, 1, 2), epochs=3, bias_steps=5000, ams_steps=30000, decay_steps=3000,
                      fit_fraction=1.0, test_fraction=1.0, fit_epochs=2, fit_batch=100),
    },
    "07_adamix": {
        "smoke": dict(rate_steps=2000, mnist_fraction=0.02, epochs=10, timing_repeats=12),
        "paper": dict(rate_steps=30000, mnist_fraction=0.1, epochs=10, timing_repeats=60),
    },
    "08_optimizer_gallery": {
        "smoke": dict(steps=50, grid=[-3, -2, -1, 0], mnist_grid=[-2, -1, 0], tune_epochs=None,
                      epochs=None, seeds=(0, 1, 2), contour_n=100),
        "paper": dict(steps=300, grid=[k / 2 for k in range(-8, 2)], mnist_grid=[k / 2 for k in range(-8, 2)],
                      tune_epochs=2, epochs=None, seeds=(0, 1, 2), contour_n=250),
    },
    "09_step_decays": {
        "smoke": dict(m=2_000, d=10, steps=1_000, batch_size=8, lr=0.02),
        "paper": dict(m=20_000, d=20, steps=30_000, batch_size=8, lr=0.02),
    },
    "11_warmup_plateau_manual": {
        "smoke": dict(train_fraction=0.02, heldout_fraction=0.05, batch_size=50, plateau_epochs=8,
                      manual_epochs=5, adaptive_epochs=3),
        "paper": dict(train_fraction=1.0, heldout_fraction=1.0, batch_size=100, plateau_epochs=30,
                      manual_epochs=12, adaptive_epochs=10),
    },
}

MLP = (784, 100, 10)  # the chapters' MNIST classifier


def _n(split: str, fraction: float) -> int:
    return max(1, round(fraction * (60_000 if split == "train" else 10_000)))


def _ops(cls_name: str, **kwargs) -> float:
    from optimbook import optim
    return update_ops_per_element(getattr(optim, cls_name) if kwargs == {} else (getattr(optim, cls_name), kwargs))


def _compare(chapter: str, scale: str, what: str, optimizers: Sequence[tuple[str, dict]],
             seeds: Sequence[int], epochs: int | None) -> list[Item]:
    """Runs of :func:`optimlab.experiments.classifier.compare` (one per candidate and seed)."""
    from optimlab.experiments.classifier import CONFIGS

    c = CONFIGS[scale]
    e = c.epochs if epochs is None else epochs
    n_train, n_test = _n("train", c.train_fraction), _n("test", c.test_fraction)
    total = Count()
    for name, kw in optimizers:
        total = total + classifier_run((784, c.hidden, 10), n_train, e, c.batch_size, eval_examples=n_test,
                                       evaluations=e + 1, ops_per_element=_ops(name, **kw)) * len(seeds)
    return [Item(chapter, f"{what}: {len(optimizers)} optimizers × {len(seeds)} seeds × {e} epochs", total)]


def _ch01(scale):
    cfg = NOTEBOOK_CONFIGS["01_gradient_descent"][scale]
    ch = "01_gradient_descent"
    n = _n("train", cfg["timing_fraction"])
    sgd = _ops("SGD", lr=0.05)
    timing = Count()
    for b in cfg["timing_sizes"]:
        b = min(b, n)
        timing = timing + classifier_run(MLP, b, 1, b, ops_per_element=sgd)  # warm-up
        timing = timing + classifier_run(MLP, n, 1, b, ops_per_element=sgd)
    return [
        Item(ch, "synthetic regression, 3 regimes", Count(), note=f"time-budgeted ({cfg['budget']} s each): not counted"),
        Item(ch, "MNIST MLP, 3 regimes", Count(), note=f"time-budgeted ({cfg['mnist_budget']} s each): not counted"),
        Item(ch, f"batch-size timing: {len(cfg['timing_sizes'])} sizes × 1 epoch of {n} images", timing),
    ]


def _ch02(scale):
    cfg = NOTEBOOK_CONFIGS["02_momentum_nesterov"][scale]
    opts = [("SGD", {"lr": 0.1}), ("Momentum", {"lr": 0.01}), ("Momentum", {"lr": 0.1}), ("Nesterov", {"lr": 0.1})]
    return _compare("02_momentum_nesterov", scale, "MNIST comparison", opts, cfg["seeds"], cfg["epochs"]) + [
        Item("02_momentum_nesterov", "2-D bowl trajectories", Count(), note="toy problem: negligible")]


def _rate_runs(chapter, scale, cfg, names) -> Item:
    n = _n("train", cfg["rate_fraction"])
    total = Count()
    for name, kw in names:
        total = total + classifier_run(MLP, n, cfg["rate_epochs"], cfg["rate_batch"], ops_per_element=_ops(name, **kw))
    return Item(chapter, f"applied-rate runs (float64): {len(names)} × {cfg['rate_epochs']} epochs of {n} images", total)


def _ch03(scale):
    ch = "03_adagrad_adadec"
    cfg = NOTEBOOK_CONFIGS[ch][scale]
    rates = [("AdaGrad", {"lr": 0.1, "K": 1.0, "eps": 0.0})] * 2 + [("AdaDec", {"lr": 0.01, "total_steps": 100})] * 2
    return [_rate_runs(ch, scale, cfg, rates)] + _compare(ch, scale, "MNIST comparison", rates, cfg["seeds"], cfg["epochs"])


def _ch04(scale):
    ch = "04_rmsprop_adadelta"
    cfg = NOTEBOOK_CONFIGS[ch][scale]
    rates = [("AdaGrad", {"lr": 0.001}), ("RMSProp", {"lr": 0.001}), ("RMSProp", {"lr": 0.001})]
    cmp = [("AdaGrad", {}), ("RMSProp", {}), ("RMSProp", {}), ("Adadelta", {})]
    return [_rate_runs(ch, scale, cfg, rates)] + _compare(ch, scale, "MNIST comparison", cmp, cfg["seeds"], cfg["epochs"])


def _ch05(scale):
    ch = "05_adam_family"
    cfg = NOTEBOOK_CONFIGS[ch][scale]
    n, nt = _n("train", cfg["fit_fraction"]), _n("test", cfg["test_fraction"])
    e, b = cfg["fit_epochs"], cfg["fit_batch"]
    steps_per_epoch = math.ceil(n / b)
    adam = _ops("Adam")
    wd = classifier_run(MLP, n, e, b, eval_examples=nt, evaluations=e + 1, ops_per_element=adam) * 3
    evals = 1 + e * (steps_per_epoch // max(1, steps_per_epoch // 8)) + e  # step 0, every 1/8 epoch, epoch ends (upper bound)
    clip = classifier_run(MLP, n, e, b, eval_examples=nt, evaluations=evals, ops_per_element=adam) * 4
    cmp = [("Adam", {}), ("AMSGrad", {}), ("Nadam", {}), ("AdamW", {})]
    return [Item(ch, f"weight decay: 3 runs × {e} epochs", wd),
            Item(ch, f"gradient clipping: 4 runs × {e} epochs", clip, note="evaluations: an upper bound"),
            *_compare(ch, scale, "MNIST comparison", cmp, cfg["seeds"], cfg["epochs"]),
            Item(ch, "1-D and 2-D online problems", Count(), note="toy problems: negligible")]


def _ch06(scale):
    return [Item("06_angd", "teacher-student network (P = 10) and Fisher estimates", Count(),
                 note="toy problems: negligible (launch-bound)")]


def _ch07(scale):
    ch = "07_adamix"
    cfg = NOTEBOOK_CONFIGS[ch][scale]
    n = _n("train", cfg["mnist_fraction"])
    batch = 100
    spe = math.ceil(n / batch)
    evals = 1 + cfg["epochs"] * (spe // max(1, spe // 2)) + cfg["epochs"]
    runs = Count()
    for name, kw in [("AdaMix", {"total_steps": 1000}), ("AdaMix", {"total_steps": 1000}),
                     ("AdaGrad", {"K": 1.0, "eps": 0.0}), ("AdaGrad", {"K": 1.0, "eps": 0.0})]:
        runs = runs + classifier_run(MLP, n, cfg["epochs"], batch, eval_examples=n, evaluations=evals,
                                     ops_per_element=_ops(name, **kw))
    sizes = [784, 1000, 500, 250, 30, 250, 500, 1000, 784]
    reps = 3 + cfg["timing_repeats"]
    n_w, n_b = _params(sizes)
    steps = Count()
    for name, kw in [("SGD", {"lr": 1e-3}), ("AdaGrad", {"K": 1.0, "eps": 0.0}), ("AdaDec", {"total_steps": 10_000}),
                     ("AdaDec", {"total_steps": 10_000, "recursive": True}), ("AdaMix", {"total_steps": 10_000})]:
        from optimbook import optim
        rule = (getattr(optim, name), kw)
        steps = steps + Count(0, reps * (n_w * update_ops_per_element(rule, "weight")
                                         + n_b * update_ops_per_element(rule, "bias")))
    fb = Count(mlp_train(sizes, batch * reps))
    return [Item(ch, f"loss-scale runs: 4 × {cfg['epochs']} epochs of {n} images", runs),
            Item(ch, f"cost timing: 5 rules × {reps} steps on the autoencoder's shapes, {reps} forward-backward", steps + fb),
            Item(ch, "per-element rate simulations", Count(), note="toy problems: negligible")]


def _ch08(scale):
    from optimlab.experiments.classifier import CONFIGS

    ch = "08_optimizer_gallery"
    cfg = NOTEBOOK_CONFIGS[ch][scale]
    c = CONFIGS[scale]
    n_train, n_test = _n("train", c.train_fraction), _n("test", c.test_fraction)
    lineup = [("SGD", {}), ("Momentum", {}), ("Nesterov", {}), ("AdaGrad", {}), ("AdaDec", {"total_steps": 1000}),
              ("AdaMix", {"total_steps": 1000}), ("RMSProp", {}), ("Adadelta", {}), ("Adam", {}), ("AMSGrad", {}),
              ("AdamW", {}), ("Nadam", {})]
    tune_e = cfg["tune_epochs"] or c.epochs
    e = cfg["epochs"] or c.epochs
    grid = len(cfg["mnist_grid"])
    tune, h2h = Count(), Count()
    for name, kw in lineup:
        one = lambda epochs: classifier_run((784, c.hidden, 10), n_train, epochs, c.batch_size, eval_examples=n_test,  # noqa: E731
                                            evaluations=epochs + 1, ops_per_element=_ops(name, **kw))
        tune = tune + one(tune_e) * grid
        h2h = h2h + one(e) * len(cfg["seeds"])
    warm = classifier_run((784, c.hidden, 10), n_train, 1, c.batch_size, eval_examples=n_test, evaluations=2,
                          ops_per_element=_ops("SGD", lr=0.1))
    return [Item(ch, f"MNIST tuning: {len(lineup)} optimizers × {grid} rates × {tune_e} epochs", tune,
                 note="diverging runs stop early: an upper bound"),
            Item(ch, "warm-up run, 1 epoch", warm),
            Item(ch, f"head-to-head: {len(lineup)} optimizers × {len(cfg['seeds'])} seeds × {e} epochs", h2h,
                 note="step-downs after divergence not counted"),
            Item(ch, "2-D landscapes", Count(), note="toy problems: negligible")]


def _ch09(scale):
    ch = "09_step_decays"
    cfg = NOTEBOOK_CONFIGS[ch][scale]
    return [Item(ch, f"linear regression d = {cfg['d']}, {cfg['steps']} steps per rule", Count(),
                 note="toy problem: negligible")]


def _ch10(scale):
    from optimlab.experiments.classifier import CONFIGS

    ch = "10_smooth_decays"
    rules = 9 if scale == "paper" else 5
    return _compare(ch, scale, "MNIST decay rules", [("SGD", {"lr": 0.1})] * rules, (0, 1, 2), CONFIGS[scale].epochs)


def _ch11(scale):
    ch = "11_warmup_plateau_manual"
    cfg = NOTEBOOK_CONFIGS[ch][scale]
    n, nh, b = _n("train", cfg["train_fraction"]), _n("test", cfg["heldout_fraction"]), cfg["batch_size"]
    sgd = _ops("SGD", lr=0.5)
    pe = cfg["plateau_epochs"]
    plateau = classifier_run(MLP, n, pe, b, eval_examples=nh, evaluations=pe + 1, ops_per_element=sgd) * 3
    E = cfg["manual_epochs"]
    manual = classifier_run(MLP, n, E, b, ops_per_element=sgd) * 2  # straight run, then 3 + (E − 3) resumed
    E_ad = cfg["adaptive_epochs"]
    adaptive = Count()
    for name, kw in [("SGD", {"lr": 0.1}), ("Adam", {"lr": 1e-3}), ("AdaGrad", {"lr": 0.05})]:
        adaptive = adaptive + (classifier_run(MLP, n, E_ad, b, ops_per_element=_ops(name, **kw))
                               + Count(mlp_forward(MLP, n))) * 2
    return [Item(ch, f"plateau rule: 3 runs × {pe} epochs", plateau),
            Item(ch, f"manual changes: {E} epochs twice (straight, then split and resumed)", manual),
            Item(ch, f"adaptive optimizers and decay: 6 runs × {E_ad} epochs", adaptive)]


# ------------------------------------------------------------------------ the AdaMix experiments
_PRETRAIN_FIELDS = ("sizes", "fraction_scale", "subset", "data_seed", "init_std", "first_visible_bias",
                    "pretrain_epochs", "pretrain_lr", "top_lr", "weight_cost", "batch_size")


def adamix_items(chapter: str, name: str, setup=None, *, scale: str = "paper", seeds: Sequence[int] = (0,),
                 strategies: Iterable[str] | None = None, fractions: Sequence[float] | None = None,
                 cached: bool = True) -> list[Item]:
    """The work of ``adamix.run(name, scale, seeds, setup=setup, strategies=…, fractions=…)``: one
    pretraining per (fraction, seed) and one fine-tuning per strategy, fraction and seed, keyed as
    the results cache keys them (so chapters share them); ``cached=False``: a run outside the cache."""
    from optimlab.experiments import adamix
    from optimbook.optim import Rule

    setup = setup or adamix.SETUPS[scale]
    exp = adamix.experiment(name)
    chosen = [s for s in exp.strategies if strategies is None or s.label in set(strategies)]
    items = []
    ft = setup.finetuning()
    for fraction in fractions or exp.fractions:
        n_train, n_test = setup.numbers(fraction)
        spe = math.ceil(n_train / setup.batch_size)
        for seed in seeds:
            pkey = ("pretrain", tuple(getattr(setup, f) for f in _PRETRAIN_FIELDS), fraction, seed)
            items.append(Item(chapter, f"pretraining {'-'.join(map(str, setup.sizes))} on {n_train} images "
                              f"(fraction {fraction:g}, seed {seed})",
                              pretraining_run(setup.sizes, n_train, setup.pretrain_epochs, setup.batch_size), pkey))
            for strategy in chosen:
                weight, bias = adamix.strategy_rules(strategy, setup, spe)
                fields = {k: v for k, v in asdict(setup).items() if k != "lockstep"}
                fkey = ("finetune", repr(weight), repr(bias), tuple(sorted(fields.items())), fraction, seed)
                count = finetuning_run(setup.sizes, n_train, n_test, setup.epochs, setup.batch_size,
                                       len(ft.eval_epochs()),
                                       update_ops_per_element(weight, "weight") if isinstance(weight, Rule) else 0.0,
                                       update_ops_per_element(bias, "bias") if isinstance(bias, Rule) else 0.0)
                items.append(Item(chapter, f"{name}/{strategy.label}: {setup.epochs} epochs on {n_train} images "
                                  f"(seed {seed})", count, fkey if cached else None))
    return items


def _ch12(scale):
    from optimlab.experiments import adamix

    ch = "12_autoencoder_and_data"
    setup = adamix.SETUPS[scale]
    items = adamix_items(ch, "fig4", scale=scale)
    for variant in (replace(setup, subset="first"), replace(setup, first_visible_bias="zero")):
        items += adamix_items(ch, "fig4", variant, scale=scale, strategies=("Cons", "AdaMix"))
    return items


def _ch13(scale):
    from optimlab.experiments import adamix

    ch = "13_experiment1_adamix"
    setup = adamix.SETUPS[scale]
    items = adamix_items(ch, "fig4", scale=scale)
    n_train, n_test = setup.numbers(0.1)
    # AdaMix once more outside the cache, evaluated at epochs 0 and 50 only
    [item] = [i for i in adamix_items(ch, "fig4", replace(setup, eval_every=setup.epochs), scale=scale,
                                      strategies=("AdaMix",), cached=False) if i.key is None]
    items.append(replace(item, what=f"AdaMix's weight rates: {item.what}"))
    items += adamix_items(ch, "fig4", replace(setup, adadec_recursive=True), scale=scale, strategies=("AdaDec",))
    items += adamix_items(ch, "fig4", replace(setup, time_unit="epoch"), scale=scale, strategies=("AdaDec", "AdaMix"))
    return items


def _ch15(scale):
    from optimlab.experiments import adamix

    ch = "15_experiment3_weight_rules"
    setup = adamix.SETUPS[scale]
    items = adamix_items(ch, "fig6", scale=scale)
    for r in (0.1, 2 ** -0.75, 0.01):
        items += adamix_items(ch, "fig6", replace(setup, exp_decay_rate=r), scale=scale, strategies=("Exp+Cons",))
    return items


def _ch18(scale):
    ch = "18_replication_report"
    seeds = {"smoke": (0, 1), "paper": (0, 1, 2, 3, 4)}[scale]
    items = []
    for name in ("fig4", "fig5", "fig6", "fig7", "fig8"):
        items += adamix_items(ch, name, scale=scale)
    items += adamix_items(ch, "fig4", scale=scale, seeds=seeds)
    items += adamix_items(ch, "beyond", scale=scale, seeds=seeds)
    return items


def _ch19(scale):
    sizes = [256, 512, 1024, 2048] if scale == "smoke" else [256, 512, 1024, 2048, 4096]
    return [Item("19_environment", f"matmul rate: sizes {sizes}, 7 products each",
                 Count(sum(7 * 2 * s**3 for s in sizes)))]


CHAPTERS = {
    "01_gradient_descent": _ch01,
    "02_momentum_nesterov": _ch02,
    "03_adagrad_adadec": _ch03,
    "04_rmsprop_adadelta": _ch04,
    "05_adam_family": _ch05,
    "06_angd": _ch06,
    "07_adamix": _ch07,
    "08_optimizer_gallery": _ch08,
    "09_step_decays": _ch09,
    "10_smooth_decays": _ch10,
    "11_warmup_plateau_manual": _ch11,
    "12_autoencoder_and_data": _ch12,
    "13_experiment1_adamix": _ch13,
    "14_experiment2_weights_and_biases": lambda s: adamix_items("14_experiment2_weights_and_biases", "fig5", scale=s),
    "15_experiment3_weight_rules": _ch15,
    "16_experiment4_bias_rules": lambda s: adamix_items("16_experiment4_bias_rules", "fig7", scale=s),
    "17_experiment5_data_size": lambda s: adamix_items("17_experiment5_data_size", "fig8", scale=s),
    "18_replication_report": _ch18,
    "19_environment": _ch19,
}


def chapter_items(scale: str = "paper", chapters: Iterable[str] | None = None) -> list[Item]:
    """Every chapter's work at ``scale``, in book order."""
    from optimlab.runtime import check_scale

    check_scale(scale)
    names = list(CHAPTERS) if chapters is None else list(chapters)
    return [item for name in names for item in CHAPTERS[name](scale)]


# ---------------------------------------------------------------------------------------- timing
def notebook_seconds(folder: str | Path) -> dict[str, float]:
    """papermill's execution time of every executed notebook ``NN_*.ipynb`` in ``folder``."""
    out = {}
    for path in sorted(Path(folder).glob("[0-9][0-9]_*.ipynb")):
        try:
            meta = json.loads(path.read_text()).get("metadata", {}).get("papermill", {})
        except (OSError, ValueError):
            continue
        if meta.get("duration") is not None:
            out[path.stem] = float(meta["duration"])
    return out


def table(scale: str = "paper", *, executed: str | Path | None = None, peak_gflops: float | None = None,
          items: list[Item] | None = None):
    """The ledger: one row per chapter and a total row.

    Columns: ``TFLOP`` (the work the chapter does in book order from a cold cache: shared runs are
    paid by the first chapter that needs them), ``TFLOP needed`` (its work with nothing cached),
    ``matmul share`` (of ``TFLOP``), ``seconds`` (papermill's time from ``executed``, NaN if not
    run), ``GFLOP/s`` (achieved), ``floor s`` (``TFLOP`` at ``peak_gflops``) and ``× floor``
    (seconds / floor), and ``notes``.
    """
    import pandas as pd

    items = chapter_items(scale) if items is None else items
    seconds = notebook_seconds(executed) if executed is not None else {}
    seen: set = set()
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        row = rows.setdefault(item.chapter, {"done": Count(), "needed": Count(), "notes": []})
        row["needed"] = row["needed"] + item.count
        if item.key is None or item.key not in seen:
            row["done"] = row["done"] + item.count
        if item.key is not None:
            seen.add(item.key)
        if item.note and item.note not in row["notes"]:
            row["notes"].append(item.note)
    out = []
    for chapter, row in rows.items():
        out.append({"chapter": chapter, "TFLOP": row["done"].total / 1e12, "TFLOP needed": row["needed"].total / 1e12,
                    "matmul share": row["done"].matmul / row["done"].total if row["done"].total else float("nan"),
                    "seconds": seconds.get(chapter, float("nan")), "notes": "; ".join(row["notes"])})
    frame = pd.DataFrame(out)
    total = {"chapter": "total", "TFLOP": frame["TFLOP"].sum(), "TFLOP needed": frame["TFLOP needed"].sum(),
             "matmul share": float("nan"),
             "seconds": frame["seconds"].sum(min_count=1), "notes": ""}
    done = sum((r["done"] for r in rows.values()), Count())
    total["matmul share"] = done.matmul / done.total if done.total else float("nan")
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame["GFLOP/s"] = frame["TFLOP"] * 1e3 / frame["seconds"]
    if peak_gflops:
        frame["floor s"] = frame["TFLOP"] * 1e3 / peak_gflops
        frame["× floor"] = frame["seconds"] / frame["floor s"]
    cols = ["chapter", "TFLOP", "TFLOP needed", "matmul share", "seconds", "GFLOP/s"]
    cols += ["floor s", "× floor"] if peak_gflops else []
    return frame[cols + ["notes"]]

