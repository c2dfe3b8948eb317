"""The harnesses of the replication chapters (12-18): each result a chapter shows, as one call.

A chapter of the He & Li (2016) replication makes one call per result: the rerun of an experiment
and its figure (:func:`rerun`, :func:`rerun_figure`), the numbers its prose quotes
(:func:`numbers`, glued with :func:`glue_all`), the published-vs-ours table
(:func:`comparison_table`), and the chapter's own ablations. The loops over readings, strategies and
layers live here, once, where ``tests/test_chapters_replication.py`` covers them.

Every harness takes the chapter's :class:`~optimlab.presentation.chapter.Chapter` (scale, device and
seed) and an optional ``setup`` that replaces the scale's :class:`~optimlab.experiments.adamix.Setup`
(the tests use a tiny one).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from optimlab.experiments import adamix
from optimlab.experiments.adamix import report
from optimlab.presentation import plotting, tables
from optimlab.presentation.chapter import Chapter

__all__ = [
    "FIGURE_TITLES", "Claims", "claim_frame", "Explanations", "beyond_figure", "Subset",
    "adamix_rates", "beyond", "claims", "comparison_table", "compute", "cost", "data_size",
    "diagram_figure", "diagrams_figure", "exp_rate_ablation", "final_values", "glue_all",
    "numbers", "paired_figure", "pretraining", "readable", "pretraining_figure", "rates_figure",
    "reading_ablation", "reading_ablation_figure", "reading_note", "reconstructions_figure",
    "rer_scales", "rerun", "rerun_figure", "rule_readings", "rule_readings_figure", "runtime",
    "runtime_figure", "runtime_frame", "subset", "subset_figure", "two_way", "two_way_figure",
    "two_way_readings", "explanations", "weight_rule_rates", "bar_figure", "translation_panels",
    "tuning_figure", "training_figure", "translation_scores", "translation_diffs",
    "verdicts_table", "claims_table", "evidence_table", "paired_table", "two_way_table",
    "reading_counts_table", "values_by_reading_table", "misses_table", "cons_table",
    "outcomes_table"
]

#: The title of each experiment's rerun figure.
FIGURE_TITLES = {
    "fig4": "Fig. 4 rerun: test RER on 1/10 of MNIST",
    "fig5": "Fig. 5 rerun",
    "fig6": "Fig. 6 rerun",
    "fig7": "Fig. 7 rerun",
    "fig8": "Fig. 8 rerun: AdaMix with more data",
}

#: Exp. 3's simple and per-parameter (element-wise) weight rules.
SIMPLE = ("Cons+Cons", "Exp+Cons", "Power+Cons")
ELEMENTWISE = ("AdaGrad+Cons", "AdaDec+Cons", "AdaMix+Cons")


from optimlab.presentation.plotting import glue_all  # noqa: E402,F401  (the one shared glue_all)


def _setup(ch: Chapter, setup=None):
    return setup if setup is not None else adamix.SETUPS[ch.scale]


def _strategies(name: str, labels: Sequence[str]) -> list:
    found = [s for s in adamix.EXPERIMENTS[name].strategies if s.label in labels]
    missing = set(labels) - {s.label for s in found}
    if missing:
        raise ValueError(f"labels must be strategies of {name} "
                         f"({[s.label for s in adamix.EXPERIMENTS[name].strategies]}), got {sorted(missing)}")
    return found


def rerun(name: str, ch: Chapter, *, setup=None, strategies: Sequence[str] | None = None):
    """Experiment ``name`` at the chapter's scale, seed and device (from the cache where it was run):
    :func:`optimlab.experiments.adamix.run`'s table; ``strategies`` (labels) runs only those."""
    chosen = _strategies(name, strategies) if strategies is not None else None
    return adamix.run(name, scale=ch.scale, seeds=(ch.seed,), device=ch.device, setup=setup, strategies=chosen)


def final_values(frame, by: str = "strategy", value: str = "test_rer") -> pd.Series:
    """``value`` at the last recorded epoch, indexed by ``by`` (mean over seeds)."""
    return report.final(frame).groupby(by, sort=False)[value].mean()


def _order(name: str) -> list[str]:
    return [s.label for s in adamix.EXPERIMENTS[name].strategies]


def _data_label(setup, fraction: float) -> str:
    return f"{fraction:g} of MNIST ({setup.numbers(fraction)[0]:,} images)"


def weight_rule_rates(setup, labels: Sequence[str] = SIMPLE) -> pd.DataFrame:
    """The weight learning rate of each of Exp. 3's ``labels`` at every step of a run on 1/10 of the
    data: one column per rule (its name before "+"), indexed by the step in epochs."""
    per_epoch = setup.steps_per_epoch(0.1)
    steps = setup.epochs * per_epoch
    t = np.arange(steps + 1)
    columns = {}
    for strategy in _strategies("fig6", labels):
        lr = adamix.strategy_rules(strategy, setup, per_epoch)[0].kwargs["lr"]  # a number or a schedule
        columns[strategy.label.split("+")[0]] = [float(lr(int(s))) if callable(lr) else float(lr) for s in t]
    return pd.DataFrame(columns, index=pd.Index(t / per_epoch, name="epoch"))


def rerun_figure(name: str, frame, setup=None):
    """The rerun of He & Li's figure ``name`` ("fig4" … "fig8"), the published values marked: Fig. 5
    also without None+Cons (right); Fig. 6 beside the simple weight rules' rates (left); Fig. 8 one
    curve per data fraction."""
    published = adamix.published(name)
    if name == "fig5":
        fig, axes = plotting.subplots(2, height=3.6)
        plotting.rer_curves(axes[0], frame, published, order=_order(name))
        axes[0].set_title(FIGURE_TITLES[name])
        plotting.rer_curves(axes[1], frame[frame["strategy"] != "None+Cons"],
                            published.query("strategy != 'None+Cons'"))
        axes[1].set_title("without None+Cons")
        return fig
    if name == "fig6":
        fig, axes = plotting.subplots(2, height=3.2)
        weight_rule_rates(setup).plot(ax=axes[0])
        plotting.label(axes[0], "fine-tuning iterations (epochs)", "weight learning rate", "the simple weight rules")
        plotting.legend(axes[0])
        plotting.rer_curves(axes[1], frame, published, order=_order(name))
        axes[1].set_title(FIGURE_TITLES[name])
        return fig
    fig, ax = plotting.subplots(1, height=3.8, width=7.5)
    if name == "fig8":
        plotting.rer_curves(ax, frame.assign(data=frame["data_fraction"].map(lambda f: _data_label(setup, f))),
                            published.assign(data=published["data_fraction"].map(lambda f: _data_label(setup, f))),
                            hue="data")
    else:
        plotting.rer_curves(ax, frame, published, order=_order(name))
    ax.set_title(FIGURE_TITLES.get(name, name))
    return fig


def comparison_table(frame):
    """Our final test RER beside every published value of ``frame``'s experiment (a styled table)."""
    return tables.table(adamix.comparison(frame), **tables.COMPARISON)


def _parameter_counts(sizes: Sequence[int]) -> tuple[int, int]:
    """Weights and biases of the unrolled autoencoder: encoder and decoder weights, the biases of
    every layer but the input (encoder) and of every layer but the code (decoder)."""
    weights = 2 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    biases = sum(sizes[1:]) + sum(sizes[:-1])
    return weights, biases


def numbers(name: str, frame, setup) -> dict[str, Any]:
    """The numbers chapter ``name``'s prose quotes about its rerun ``frame``:
    :func:`optimlab.experiments.adamix.summary` and, per experiment,

    - fig5: ``start`` (the pretrained network's test RER), ``none_cons_drop`` (how much training
      the biases alone lowers it; ``none_cons_direction`` "lowers" or "raises" and
      ``none_cons_change`` its size), ``none_cons_vs_start`` and ``none_cons_meaning`` (the published
      None+Cons value against our start, in words);
    - fig6: ``best_simple``, ``best_adaptive``, ``adaptive_all_better`` ("yes"/"no");
    - fig7: ``spread`` (ours), ``spread_paper``, ``n_biases``, ``n_params``, ``bias_share``;
    - fig8: ``f1``, ``f3``, ``f6``, ``f10`` (ours per tenth of the data), ``p1`` … (the paper's),
      ``monotone``, ``seconds_all``, ``epochs``, ``steps_small``, ``steps_all``, ``steps_ratio``.
    """
    out = dict(adamix.summary(frame))
    published = adamix.EXPERIMENTS[name].published
    if name == "fig5":
        start = float(frame[frame["epoch"] == 0]["test_rer"].iloc[0])
        paper = published[("None+Cons", 0.1)]
        out["start"] = start
        out["none_cons_drop"] = start - float(final_values(frame)["None+Cons"])
        out["none_cons_direction"] = "lowers" if out["none_cons_drop"] >= 0 else "raises"
        out["none_cons_change"] = abs(out["none_cons_drop"])
        out["none_cons_vs_start"] = "above" if paper > start else "not above"
        out["none_cons_meaning"] = (
            "so here the paper's None+Cons run must have started from a different network (for instance, not "
            "pretrained, or not unrolled with the visible biases), or its \"None\" meant something other than a "
            "zero learning rate; we cannot tell which from the text"
            if paper > start else
            f"the published value is below our start, so it needs no other network: bias-only fine-tuning "
            f"would have to lower our error by {start - paper:.2f} to reach it")
    elif name == "fig6":
        final = final_values(frame)
        simple, adaptive = final[list(SIMPLE)], final[list(ELEMENTWISE)]
        out["best_simple"] = float(simple.min())
        out["best_adaptive"] = float(adaptive.min())
        out["adaptive_all_better"] = "yes" if adaptive.max() < simple.min() else "no"
    elif name == "fig7":
        final = final_values(frame)
        weights, biases = _parameter_counts(setup.sizes)
        out["spread"] = float(final.max() - final.min())
        out["spread_paper"] = max(published.values()) - min(published.values())
        out["n_biases"] = f"{biases:,}"
        out["n_params"] = f"{weights + biases:,}"
        out["bias_share"] = biases / (weights + biases)
    elif name == "fig8":
        final = final_values(frame, by="data_fraction")
        seconds = final_values(frame, by="data_fraction", value="seconds")
        steps = {f: setup.epochs * setup.steps_per_epoch(f) for f in final.index}
        out.update({f"f{round(10 * f)}": float(v) for f, v in final.items()})
        out.update({f"p{round(10 * f)}": published[("AdaMix", f)] for f in final.index})
        out["monotone"] = "yes" if final.sort_index().is_monotonic_decreasing else "no"
        out["seconds_all"] = float(seconds.max())
        out["epochs"] = setup.epochs
        out["steps_small"] = steps[min(steps)]
        out["steps_all"] = steps[max(steps)]
        out["steps_ratio"] = steps[max(steps)] / steps[min(steps)]
    return out


def claim_frame(name: str, ch: Chapter) -> pd.DataFrame:
    """Experiment ``name``'s runs under every reading chapter 18 tests it with, over its seeds
    (:func:`optimlab.experiments.adamix.report.claim_frame`), run or from the cache."""
    return report.claim_frame(name, ch.scale, ch.device)


def reading_note(name: str, ch: Chapter) -> str:
    """How experiment ``name``'s claims fare under the readings chapter 18 tests it with (one sentence)."""
    return report.reading_note(name, claim_frame(name, ch))


# --- chapter 13: AdaMix's weight rates, the runtime table, two readings of the rules ---------------


def adamix_rates(ch: Chapter, frame, *, setup=None) -> tuple[torch.Tensor, dict[str, Any]]:
    """Fine-tune the pretrained network of Exp. 1 with AdaMix for the whole run and return its weight
    elements' final learning rates relative to η₀, with the numbers the prose quotes: ``mix_steps``,
    ``mix_median``, ``mix_below_1pc`` and ``mix_below_1e6`` (percent of the weights), and
    ``mix_vs_cons`` (AdaMix's final RER in ``frame`` against Cons's, in words)."""
    from optimbook.optim import PerRole
    from optimlab.training.finetuning import FineTuning, finetune
    from optimlab.training.models.autoencoder import DeepAutoencoder

    setup = _setup(ch, setup)
    x_train, x_test = setup.images(0.1, ch.device)
    job = next(j for j in adamix.plan("fig4", ch.scale, (ch.seed,), ch.device, setup=setup).pretrain
               if j.fraction == 0.1)
    rbms, _ = adamix.pretrained(job, x_train)
    net = DeepAutoencoder.unroll(rbms).to(x_train.device)
    per_epoch = setup.steps_per_epoch(0.1)
    mix = _strategies("fig4", ["AdaMix"])[0]
    optimizer = PerRole(net.replica_parameters(0), *adamix.strategy_rules(mix, setup, per_epoch))
    finetune(net, [optimizer], ["AdaMix"], x_train, x_test,
             FineTuning(epochs=setup.epochs, batch_size=setup.batch_size, eval_every=setup.epochs), seed=ch.seed)
    rates = torch.cat([optimizer.state[p]["rate"].flatten() for p in net.replica_parameters(0)
                       if "rate" in optimizer.state[p]]).cpu() / setup.lr
    end = final_values(frame)
    return rates, {
        "mix_steps": per_epoch * setup.epochs,
        "mix_median": rates.median().item(),
        "mix_below_1pc": 100 * (rates < 1e-2).double().mean().item(),
        "mix_below_1e6": 100 * (rates < 1e-6).double().mean().item(),
        "mix_vs_cons": "with a higher (worse)" if end["AdaMix"] > end["Cons"] else "with a lower (better)",
    }


def rates_figure(rates: torch.Tensor):
    """The histogram of AdaMix's final weight rates (log₁₀ of α/η₀; counts on a log axis)."""
    fig, ax = plotting.subplots(1, height=3.0, width=6.5)
    ax.hist(torch.log10(rates.clamp(min=1e-30)).numpy(), bins=60)
    plotting.label(ax, r"$\log_{10}(\alpha / \eta_0)$ at the end of the run", "weight elements (log scale)",
                   "AdaMix's per-weight rates", logy=True)
    return fig


def runtime_frame(seconds: pd.Series, pretrain_seconds: float,
                  published: Mapping[str, float] = adamix.PUBLISHED_SECONDS) -> pd.DataFrame:
    """Each strategy's fine-tuning ``seconds`` beside the paper's, each relative to Cons, and with
    ``pretrain_seconds`` added to every strategy (index: strategy)."""
    paper = pd.Series(dict(published), dtype=float)
    with_pre = seconds + pretrain_seconds
    return pd.DataFrame({
        "ours (s)": seconds,
        "ours / Cons": seconds / seconds["Cons"],
        "paper (s)": paper,
        "paper / Cons": paper / paper["Cons"],
        "ours with pretraining (s)": with_pre,
        "with pretraining / Cons": with_pre / with_pre["Cons"],
    }).rename_axis("strategy")


def runtime(frame, ch: Chapter, *, setup=None, near: float = 0.1) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Exp. 1's runtime table (:func:`runtime_frame`, with the cached pretraining's seconds) and the
    numbers its prose quotes: ``ratio_<s>``, ``paper_ratio_<s>``, ``pretrain_seconds``,
    ``cons_seconds``, ``ratio_spread`` (the largest |ours / Cons − 1|), ``ratios_near_one`` (within
    ``near`` of 1, in words), ``cheaper_than_adagrad``/``_adadec``, ``paper_ratio_range`` and
    ``paper_vs_ours`` (whether the paper's ratios are further from 1 than all of ours, in words)."""
    setup = _setup(ch, setup)
    seconds = final_values(frame, value="seconds")
    pretrain_seconds = float(adamix.pretraining_log(setup, 0.1, ch.seed, scale=ch.scale)["seconds"])
    table = runtime_frame(seconds, pretrain_seconds)
    spread = float((table["ours / Cons"] - 1).abs().max())
    paper = table["paper / Cons"].drop("Cons").dropna()
    out: dict[str, Any] = {f"ratio_{s}": float(v) for s, v in table["ours / Cons"].items()}
    out.update({f"paper_ratio_{s}": float(v) for s, v in table["paper / Cons"].items()})
    out.update({
        "pretrain_seconds": pretrain_seconds,
        "cons_seconds": float(seconds["Cons"]),
        "ratio_spread": spread,
        "ratios_near_one": f"stay within {near:.0%} of 1" if spread <= near else "are not all near 1",
        "cheaper_than_adagrad": "cheaper" if seconds["AdaMix"] < seconds["AdaGrad"] else "more expensive",
        "cheaper_than_adadec": "cheaper" if seconds["AdaMix"] < seconds["AdaDec"] else "more expensive",
        "paper_ratio_range": f"{paper.min():.2f}-{paper.max():.2f}",
        "paper_vs_ours": (
            "are further from 1 than all of ours, which suggests an implementation in which the update rule "
            "was a much larger share of the work"
            if (paper - 1).abs().min() > spread else
            "are no further from 1 than ours: at this scale the update rules are a sizeable share of our run's "
            "time too, so the ratios alone do not point to a different implementation"),
    })
    return table, out


def runtime_figure(table: pd.DataFrame, epochs: int):
    """Bars of each strategy's wall time relative to Cons, ours beside the paper's."""
    fig, ax = plotting.subplots(1, height=3.0, width=6.5)
    table[["ours / Cons", "paper / Cons"]].plot.bar(ax=ax, rot=0)
    ax.axhline(1.0, color="0.3", lw=0.8)
    plotting.label(ax, "strategy", "wall time relative to Cons", f"cost of {epochs} iterations")
    plotting.legend(ax, outside=True)
    return fig


#: Chapter 13's readings of the rules: name -> (the Setup fields it sets, the strategies it reruns).
RULE_READINGS = {
    "as printed, t counts steps": ({}, ("AdaDec", "AdaMix")),
    "AdaDec recursive": ({"adadec_recursive": True}, ("AdaDec",)),
    "t and R count epochs": ({"time_unit": "epoch"}, ("AdaDec", "AdaMix")),
}


def rule_readings(ch: Chapter, *, setup=None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Exp. 1's AdaDec and AdaMix under each of :data:`RULE_READINGS`: the curves (a ``reading`` and a
    ``curve`` column added), the final test RER (strategy × reading; NaN where a reading does not
    apply) and ``adadec_printed``, ``adadec_recursive``, ``adadec_epochs``, ``adamix_epochs``,
    ``adamix_steps``."""
    setup = _setup(ch, setup)
    curves = []
    for reading, (fields, labels) in RULE_READINGS.items():
        run = rerun("fig4", ch, setup=replace(setup, **fields), strategies=labels)
        curves.append(run.assign(reading=reading, curve=run["strategy"] + ", " + reading))
    frame = pd.concat(curves, ignore_index=True)
    last = report.final(frame).groupby(["strategy", "reading"], sort=False)["test_rer"].mean()
    out = {
        "adadec_printed": float(last[("AdaDec", "as printed, t counts steps")]),
        "adadec_recursive": float(last[("AdaDec", "AdaDec recursive")]),
        "adadec_epochs": float(last[("AdaDec", "t and R count epochs")]),
        "adamix_epochs": float(last[("AdaMix", "t and R count epochs")]),
        "adamix_steps": float(last[("AdaMix", "as printed, t counts steps")]),
    }
    return frame, last.unstack(), out


def rule_readings_figure(frame):
    """Test RER against epochs for every strategy and reading of :func:`rule_readings`."""
    fig, ax = plotting.subplots(1, height=3.6, width=7.5)
    plotting.mean_band(ax, frame[frame["epoch"] >= 1], x="epoch", y="test_rer", hue="curve", marker="o")
    plotting.label(ax, "fine-tuning iterations (epochs)", "test RER", "ablation: AdaDec's G(t) and the unit of t")
    plotting.legend(ax, outside=True, ncol=2)
    return fig


# --- chapter 15: the exponential rule's constant --------------------------------------------------

#: The decay factors r of Exp+Cons's η r^(t/R) that chapter 15 compares.
EXP_RATES = {"r = 0.1 (ours)": 0.1, "r = 2^-0.75 (ends with Power)": 2 ** -0.75, "r = 0.01": 0.01}


def exp_rate_ablation(ch: Chapter, *, setup=None, rates: Mapping[str, float] = EXP_RATES):
    """Exp+Cons's final test RER under each decay factor of ``rates`` (a Series named
    "Exp+Cons final test RER", indexed by the reading) and ``exp_spread`` (its range)."""
    setup = _setup(ch, setup)
    ablation = pd.Series({label: float(final_values(rerun("fig6", ch, setup=replace(setup, exp_decay_rate=r),
                                                           strategies=["Exp+Cons"])).item())
                          for label, r in rates.items()}, name="Exp+Cons final test RER")
    return ablation.rename_axis("reading of the exponential rule"), {"exp_spread": float(ablation.max() - ablation.min())}


def bar_figure(values, xlabel: str, *, horizontal: bool = True, legend_outside: bool = False):
    """A bar chart of a Series (horizontal) or of a DataFrame's columns per row (grouped)."""
    fig, ax = plotting.subplots(1, height=3.0, width=6.5)
    if horizontal:
        values.plot.barh(ax=ax)
        plotting.label(ax, xlabel, "")
    else:
        values.plot.bar(ax=ax, rot=0)
        plotting.label(ax, values.index.name or "", xlabel)
        plotting.legend(ax, outside=legend_outside)
    return fig


# --- chapter 12: the data, pretraining, unrolling, reconstructions, two readings --------------------


def diagram_figure(sizes: Sequence[int]):
    """The paper's Fig. 1 redrawn: pretraining, unrolling, fine-tuning."""
    from optimlab.presentation import diagrams

    fig, ax = plt.subplots(figsize=(9, 4.2))
    diagrams.autoencoder_training(ax, sizes)
    ax.set_title("Fig. 1: pretraining, unrolling, fine-tuning")
    return fig


def diagrams_figure():
    """The paper's Fig. 2 (an RBM) and Fig. 3 (a neuron), side by side."""
    from optimlab.presentation import diagrams

    fig, axes = plt.subplots(1, 2, figsize=(9, 2.8))
    diagrams.rbm_graph(axes[0])
    axes[0].set_title("Fig. 2: an RBM")
    diagrams.neuron(axes[1])
    axes[1].set_title("Fig. 3: a neuron")
    return fig


@dataclass
class Subset:
    """Experiments 1-4's MNIST subset (images and labels) and its class balance against all of MNIST."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    balance: pd.DataFrame

    def numbers(self) -> dict[str, Any]:
        """``n_train``, ``n_test`` and ``balance_gap`` (the largest difference of a digit's share)."""
        gap = (self.balance["subset"] - self.balance["all of MNIST"]).abs().max()
        return {"n_train": f"{len(self.x_train):,}", "n_test": f"{len(self.x_test):,}", "balance_gap": float(gap)}


def subset(ch: Chapter, *, setup=None) -> Subset:
    """The 1/10 subset of Exp. 1-4 as the experiments draw it (``Setup.data_seed``), on the chapter's device."""
    from optimlab.training.data import load_mnist

    setup = _setup(ch, setup)
    n_train, n_test = setup.numbers(0.1)
    x_train, y_train = load_mnist("train", fraction=n_train / 60_000, seed=setup.data_seed, device=ch.device)
    x_test, y_test = load_mnist("test", fraction=n_test / 10_000, seed=setup.data_seed, device=ch.device)
    _, y_all = load_mnist("train")
    balance = pd.DataFrame({
        "subset": torch.bincount(y_train.cpu(), minlength=10).numpy() / len(y_train),
        "all of MNIST": torch.bincount(y_all, minlength=10).numpy() / len(y_all),
    }).rename_axis("digit")
    return Subset(x_train, y_train, x_test, y_test, balance)


def _strip(images: torch.Tensor) -> torch.Tensor:
    return torch.cat([im.view(28, 28) for im in images], 1).cpu()


def subset_figure(data: Subset, n: int = 12):
    """The subset's first ``n`` training images (left) and its class balance (right)."""
    fig, axes = plotting.subplots(2, height=2.8)
    axes[0].imshow(_strip(data.x_train[:n]), cmap="gray_r")
    axes[0].set_axis_off()
    axes[0].set_title("the first training images of the subset")
    data.balance.plot.bar(ax=axes[1], width=0.8)
    plotting.label(axes[1], "digit", "share of the images", "class balance")
    return fig


def pretraining(ch: Chapter, x_train: torch.Tensor, *, setup=None):
    """The RBM stack of the experiments' plan (the cached one chapters 13-17 fine-tune): ``(rbms, log,
    layers, numbers)`` with one row per layer (hidden units, epochs, seconds, final CD-1 error) and
    ``pretrain_seconds`` (the whole job), ``pretrain_layer_seconds`` (the layers' sum) and
    ``pretrain_epochs`` (the most epochs a layer had)."""
    setup = _setup(ch, setup)
    job = next(j for j in adamix.plan("fig4", ch.scale, (ch.seed,), ch.device, setup=setup).pretrain
               if j.fraction == 0.1)
    rbms, log = adamix.pretrained(job, x_train)
    layers = pd.DataFrame([{"layer": layer["layer"], "hidden units": layer["hidden"],
                            "epochs": len(layer["errors"]), "seconds": layer["seconds"],
                            "final reconstruction error": layer["errors"][-1] if layer["errors"] else math.nan}
                           for layer in log["layers"]])
    return rbms, log, layers, {"pretrain_seconds": float(log["seconds"]),
                               "pretrain_layer_seconds": float(layers["seconds"].sum()),
                               "pretrain_epochs": int(layers["epochs"].max())}


def pretraining_figure(log: dict):
    """Each RBM's CD-1 reconstruction error against its pretraining epochs; with one epoch per layer
    (smoke scale), one value per layer rather than points on an epoch axis."""
    fig, ax = plotting.subplots(1, height=3.0, width=6)
    layers = log["layers"]
    if max(len(layer["errors"]) for layer in layers) > 1:
        for layer in layers:
            errors = layer["errors"]
            ax.plot(range(1, len(errors) + 1), errors, marker="o" if len(errors) < 10 else None,
                    label=f"RBM {layer['layer']}")
        plotting.label(ax, "pretraining epoch", "CD-1 reconstruction error per example", logy=True)
        plotting.legend(ax)
    else:
        ax.plot([layer["layer"] for layer in layers], [layer["errors"][-1] for layer in layers], "o-")
        ax.set_xticks([layer["layer"] for layer in layers])
        plotting.label(ax, "RBM (layer)", "CD-1 reconstruction error per example",
                       "after one pretraining epoch per layer", logy=True)
    return fig


def rer_scales(ch: Chapter, unrolled, x_test: torch.Tensor, *, setup=None, pixels: int = 784):
    """The test RER of the unrolled network and of Exp. 1's Cons run, summed over the pixels (ours)
    and as eq. (8)-(9) print it (mean over pixels), with ``rer_unrolled``, ``rer_cons``, ``mse_cons``,
    ``smallest_published``, ``mse_orders`` (log₁₀ of the smallest published value over ``mse_cons``)
    and ``epochs``."""
    from optimlab.training.finetuning import reconstruction_errors

    setup = _setup(ch, setup)
    start = float(reconstruction_errors(unrolled, x_test)[0])
    cons = float(final_values(rerun("fig4", ch, setup=setup, strategies=["Cons"]))["Cons"])
    smallest = min(v for e in adamix.EXPERIMENTS.values() for v in e.published.values())
    table = pd.DataFrame({"RER, summed over pixels": [start, cons],
                          "eq. (8)-(9) as printed (mean over pixels)": [start / pixels, cons / pixels]},
                         index=["unrolled, before fine-tuning", f"after {setup.epochs} epochs of Cons"])
    return table, {"rer_unrolled": start, "rer_cons": cons, "mse_cons": cons / pixels,
                   "smallest_published": smallest, "mse_orders": math.log10(smallest / (cons / pixels)),
                   "epochs": setup.epochs}


def reconstructions_figure(ch: Chapter, unrolled, x_test: torch.Tensor, *, setup=None, n: int = 10,
                           labels: Sequence[str] = ("Cons", "AdaMix")):
    """The first ``n`` test images and their reconstructions by ``unrolled`` and by Exp. 1's
    fine-tuned networks of ``labels`` (made if the cache lacks them), one row each."""
    setup = _setup(ch, setup)
    rerun("fig4", ch, setup=setup, strategies=list(labels))  # the runs whose networks are shown
    nets = {"unrolled (no fine-tuning)": unrolled}
    nets.update({f"{label}, {setup.epochs} epochs": adamix.trained_model(
        "fig4", label, scale=ch.scale, seed=ch.seed, setup=setup, device=ch.device) for label in labels})
    digits = x_test[:n]
    rows = [("test images", digits)] + [(name, net(digits)[0].detach()) for name, net in nets.items()]
    fig, axes = plt.subplots(len(rows), 1, figsize=(9, 1.1 * len(rows)))
    for ax, (name, images) in zip(axes, rows):
        ax.imshow(_strip(images), cmap="gray_r", vmin=0, vmax=1)
        ax.set_axis_off()
        ax.set_title(name, fontsize=9, loc="left")
    return fig


#: Chapter 12's readings of the data and of the first layer's biases: name -> Setup fields.
DATA_READINGS = {
    "our reading": {},
    "first images of the files": {"subset": "first"},
    "first-layer biases zero": {"first_visible_bias": "zero"},
}


def reading_ablation(ch: Chapter, *, setup=None, labels: Sequence[str] = ("Cons", "AdaMix")):
    """Exp. 1's ``labels`` rerun under each of :data:`DATA_READINGS` (each its own pretraining): the
    final test RER (reading × strategy) and ``abl_first_<s>``, ``abl_bias_<s>`` (each alternative
    minus our reading)."""
    setup = _setup(ch, setup)
    ablation = pd.DataFrame({reading: final_values(rerun("fig4", ch, setup=replace(setup, **fields),
                                                         strategies=labels))
                             for reading, fields in DATA_READINGS.items()}).T.rename_axis("reading")
    base = ablation.loc["our reading"]
    out = {f"abl_first_{s}": float(ablation.loc["first images of the files", s] - base[s]) for s in labels}
    out.update({f"abl_bias_{s}": float(ablation.loc["first-layer biases zero", s] - base[s]) for s in labels})
    return ablation[list(labels)], out


def reading_ablation_figure(ablation: pd.DataFrame, epochs: int):
    """Grouped bars of :func:`reading_ablation`'s final test RERs."""
    return bar_figure(ablation, f"test RER after {epochs} epochs", horizontal=False, legend_outside=True)


# --- chapter 18: the claims, the published values two ways, beyond the paper, compute --------------


@dataclass
class Claims:
    """The runs chapter 18 tests the claims on (:func:`optimlab.experiments.adamix.report.claim_runs`)
    and the verdicts."""

    runs: dict
    frames: dict
    rows: pd.DataFrame
    verdicts: pd.DataFrame

    @property
    def seeds(self) -> tuple[int, ...]:
        """Exp. 1's seeds."""
        return tuple(self.runs["fig4"][1])

    def numbers(self, scale: str) -> dict[str, Any]:
        """The counts and settings the summary quotes (``n_seeds``: Exp. 1's seeds, ``seeds_by_experiment``
        in words, ``n_data_seeds``: Exp. 5's, ``n_readings``, ``readings_by_experiment``), and
        ``verdict_<claim>``."""
        names = {"fig4": "Exp. 1", "fig5": "Exp. 2", "fig6": "Exp. 3", "fig7": "Exp. 4", "fig8": "Exp. 5"}
        n_readings = {n: len(r if r is not None else adamix.experiment(e).readings) for n, (e, _, r) in self.runs.items()}
        out: dict[str, Any] = {
            "scale": scale, "n_seeds": len(self.runs["fig4"][1]), "n_other_seeds": len(self.runs["fig5"][1]),
            "n_data_seeds": len(self.runs["fig8"][1]),
            "seeds_by_experiment": ", ".join(f"{names[n]} {len(seeds)}" for n, (_, seeds, _) in self.runs.items()),
            "readings_by_experiment": ", ".join(f"{names[n]} {k}" for n, k in n_readings.items()),
            "n_readings": len(adamix.READINGS), "level": round(100 * report.LEVEL),
            "abs_band": round(100 * report.ABSOLUTE), "rel_band": round(100 * report.RELATIVE)}
        out.update({f"n_{v.replace(' ', '_')}": int((self.verdicts["verdict"] == v).sum())
                    for v in ("reproduced", "not reproduced", "depends on the reading", "inconclusive")})
        out.update({f"verdict_{c}": v for c, v in zip(self.verdicts["claim"], self.verdicts["verdict"])})
        return out


def claims(ch: Chapter) -> Claims:
    """Run (or read from the cache) every experiment the claims are tested on and test them."""
    runs = report.claim_runs(ch.scale)
    frames = {name: report.claim_frame(name, ch.scale, ch.device) for name in runs}
    rows = report.claims(frames)
    return Claims(runs, frames, rows, report.verdict_summary(rows))


def data_size(frame: pd.DataFrame) -> pd.DataFrame:
    """Exp. 5 (C6) by reading from its claim runs ``frame`` (:func:`claim_frame` of "fig8";
    :func:`optimlab.experiments.adamix.report.by_fraction`): one column per data fraction, each cell
    AdaMix's mean final test RER with its interval over seeds ("mean [low, high]", the mean alone
    with one seed), the paper's values in the first row and the seeds per reading (a range where
    fractions differ)."""
    long = report.by_fraction(frame)

    def cell(r) -> str:
        if r.seeds == 0:
            return "not run"
        return f"{r.mean:.2f}" + (f" [{r.low:.2f}, {r.high:.2f}]" if r.seeds > 1 else "")

    published = adamix.EXPERIMENTS["fig8"].published
    rows = [{"reading": "paper", "seeds": "", **{report.fraction_label(f): f"{p:.2f}" for (_, f), p in published.items()}}]
    for reading, sub in long.groupby("reading", sort=False):
        lo, hi = int(sub["seeds"].min()), int(sub["seeds"].max())
        rows.append({"reading": reading, "seeds": str(lo) if lo == hi else f"{lo}-{hi}",
                     **{report.fraction_label(r.data_fraction): cell(r) for r in sub.itertuples()}})
    return pd.DataFrame(rows, columns=["reading", "seeds", *(report.fraction_label(f) for _, f in published)])


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for a reader: experiments named as the paper names them ("Exp. 1",
    :func:`~optimlab.experiments.adamix.report.experiment_label`) and data fractions in tenths
    (:func:`~optimlab.experiments.adamix.report.fraction_label`), where it has those columns."""
    shown = frame.copy()
    if "experiment" in shown.columns:
        shown["experiment"] = shown["experiment"].map(report.experiment_label)
    if "data_fraction" in shown.columns:
        shown["data_fraction"] = shown["data_fraction"].map(report.fraction_label)
    return shown


def paired_figure(diffs):
    """C1's paired differences by reading (:func:`optimlab.presentation.plotting.paired_intervals`)."""
    fig, ax = plotting.subplots(1, height=3.6, width=7.5)
    plotting.paired_intervals(ax, diffs)
    return fig


def cost(found: Claims) -> tuple[pd.DataFrame, dict[str, Any]]:
    """C2: AdaMix's fine-tuning seconds minus AdaGrad's and AdaDec's, paired over seeds by reading,
    and ``ratio_ours``/``ratio_paper`` (AdaMix over AdaGrad under the default reading, ours and the
    paper's)."""
    readings = found.frames["fig4"]
    diffs = report.paired(readings, "AdaMix", ("AdaGrad", "AdaDec"), "seconds")
    seconds = report.final(readings[readings["reading"] == "default"]).groupby("strategy")["seconds"].mean()
    return diffs, {"ratio_ours": float(seconds["AdaMix"] / seconds["AdaGrad"]),
                   "ratio_paper": report.published_seconds_ratio("AdaMix", "AdaGrad")}


def _published_frame(found: Claims) -> pd.DataFrame:
    """Every claim run of Exp. 1-5 in one table, every reading, Exp. 1's (the ``readings`` experiment)
    under its own name."""
    return pd.concat([f.assign(experiment="fig4") if n == "fig4" else f for n, f in found.frames.items()],
                     ignore_index=True)


def two_way(ch: Chapter, found: Claims, *, zoom: float = 20.0) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every published value compared absolutely and relative to its experiment's baseline
    (:func:`optimlab.experiments.adamix.report.two_way_comparison`) under the default reading, each
    experiment over its claim seeds, with the counts the prose quotes (``n_values``, ``n_abs``,
    ``n_rel_rows``, ``n_rel``, ``n_baselines``, ``zoom``, ``n_outside_zoom``)."""
    table = report.two_way_comparison(_published_frame(found))
    relative = table.dropna(subset=["relative_to_baseline"])
    return table, {"n_values": len(table), "n_abs": int(table["within_absolute"].sum()),
                   "n_rel_rows": len(relative), "n_rel": int(relative["within_relative"].astype(bool).sum()),
                   "n_baselines": int(table["relative_to_baseline"].isna().sum()), "zoom": zoom,
                   "n_outside_zoom": int((table["published"] >= zoom).sum())}


def two_way_readings(found: Claims) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The published values two ways under every reading
    (:func:`optimlab.experiments.adamix.report.two_way_by_reading`), its per-reading counts
    (:func:`~optimlab.experiments.adamix.report.reading_counts`) and ``closest`` (the reading that comes
    closest, :func:`~optimlab.experiments.adamix.report.closest_reading`), ``closest_rel`` and
    ``closest_abs`` (its counts) and ``default_rel``, ``default_abs`` (the default's)."""
    by_reading = report.two_way_by_reading(_published_frame(found))
    counts = report.reading_counts(by_reading)
    closest = report.closest_reading(counts)
    first = closest.split(" and ")[0]
    row = counts.set_index("reading")
    return by_reading, counts, {"closest": closest, "closest_rel": int(row.loc[first, "within relative"]),
                                "closest_abs": int(row.loc[first, "within absolute"]),
                                "default_rel": int(row.loc["default", "within relative"]),
                                "default_abs": int(row.loc["default", "within absolute"])}


@dataclass
class Explanations:
    """The runs that test the hypotheses for the published values we miss, and what they show."""

    frame: pd.DataFrame
    outcomes: pd.DataFrame
    misses: pd.DataFrame
    cons: pd.DataFrame

    def numbers(self) -> dict[str, Any]:
        """``n_misses``, ``n_hypotheses``, ``n_into_band`` and ``n_toward`` (misses whose best outcome is
        that), ``n_unexplained`` (misses no hypothesis addresses), ``n_not_moved`` (the rest: a
        hypothesis that did not move the value, moved it away, or did not run), ``n_cons_hypotheses``,
        ``expl_seeds``, ``still_pct`` (the least move, in percent of the band, that counts as one)."""
        best = self.misses["outcome"]
        into = int((best == "moved into the band").sum())
        toward = int((best == "moved toward it").sum())
        unexplained = int((self.misses["hypothesis"] == "no hypothesis declared").sum())
        return {"n_misses": len(self.misses), "n_hypotheses": len(adamix.registry.HYPOTHESES),
                "n_into_band": into, "n_toward": toward, "n_unexplained": unexplained,
                "n_not_moved": len(self.misses) - into - toward - unexplained,
                "n_cons_hypotheses": len(self.cons), "expl_seeds": int(self.frame["seed"].nunique()),
                "still_pct": round(100 * report.STILL)}


def explanations(ch: Chapter, two_way_table: pd.DataFrame, *, setup=None) -> Explanations:
    """The ``explanations`` experiment (run or from the cache), every hypothesis's outcome
    (:func:`optimlab.experiments.adamix.report.outcomes`), one row per value outside the relative
    band of ``two_way_table`` (:func:`~optimlab.experiments.adamix.report.explanation_table`), and
    the sensitivity of our Cons (the hypotheses for its level, one setting at a time)."""
    frame = report.explanation_frame(ch.scale, ch.device, setup)
    rows = report.outcomes(frame)
    cons = rows[(rows["experiment"] == "fig4") & (rows["strategy"] == "Cons")]
    return Explanations(frame, rows, report.explanation_table(two_way_table, rows), cons.reset_index(drop=True))


def two_way_figure(table: pd.DataFrame, zoom: float):
    """:func:`two_way`'s table drawn (:func:`optimlab.presentation.plotting.published_two_ways`)."""
    fig, axes = plotting.subplots(2, height=4.0)
    plotting.published_two_ways(axes, readable(table), zoom=zoom, absolute=report.ABSOLUTE,
                                relative=report.RELATIVE)
    return fig


def beyond(ch: Chapter, seeds: Sequence[int]):
    """The "beyond" experiment (newer optimizers on the same task): its table, the final test RER per
    strategy (mean, min, max over seeds) and ``beyond_best`` (the lowest mean)."""
    frame = adamix.run("beyond", scale=ch.scale, seeds=seeds, device=ch.device)
    finals = report.final(frame).groupby("strategy", sort=False)["test_rer"].agg(["mean", "min", "max"])
    return frame, finals, {"beyond_best": str(finals["mean"].idxmin())}


def beyond_figure(frame):
    """Test RER against epochs for every strategy of the "beyond" experiment."""
    fig, ax = plotting.subplots(1, height=3.8, width=7.5)
    plotting.rer_curves(ax, frame, None, order=list(dict.fromkeys(frame["strategy"])))
    ax.set_title("the same task with newer optimizers")
    return fig


def compute(ch: Chapter, seeds: Sequence[int]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The work and wall time of every distinct run chapter 18 uses
    (:func:`optimlab.experiments.adamix.report.compute`) and ``total_tflop``, ``total_minutes``."""
    table = report.compute(*report.claim_plans(ch.scale, ch.device),
                           adamix.runner.explanation_plan(ch.scale, ch.device),
                           adamix.plan("beyond", ch.scale, seeds, ch.device))
    return table, {"total_tflop": float(table["TFLOP"].sum()),
                   "total_minutes": float(table["wall seconds"].sum()) / 60}


# --- chapter 20: the translation study's figures ---------------------------------------------------


def translation_panels(frame, *, x: str, y: str, xlabel: str, ylabel: str, title: str, logx: bool = False,
                       logy: bool = False, marker: str | None = None):
    """One panel per optimizer family of the translation protocol: ``y`` against ``x`` per optimizer
    (mean over seeds, band: their range). The panels share one y scale, labelled once: the claim
    compares the families' levels."""
    from optimlab.experiments.translation import protocol

    fig, axes = plotting.subplots(len(protocol.FAMILIES), height=3.2, sharey=True)
    for ax, (family, members) in zip(axes, protocol.FAMILIES.items()):
        present = [m for m in members if m in set(frame["optimizer"])]
        plotting.mean_band(ax, frame[frame["optimizer"].isin(members)], x=x, y=y, hue="optimizer",
                           order=present, marker=marker)
        plotting.label(ax, xlabel, ylabel if ax is axes[0] else "", family, logx=logx, logy=logy)
        plotting.legend(ax)
    fig.suptitle(title)
    return fig


def tuning_figure(study):
    """The translation protocol's tuning: each optimizer's final validation loss at every peak rate
    of the grid (one seed, with warmup), one panel per family, both axes logarithmic so that a rate
    too large does not flatten the other points."""
    return translation_panels(study.tuning_runs(), x="lr", y="val_loss", xlabel="peak learning rate",
                              ylabel="final validation loss (nats/token)", logx=True, logy=True, marker="o",
                              title="validation loss after tuning, by peak rate")


def training_figure(study):
    """Validation loss against epochs of every optimizer at its chosen peak rate (mean over seeds,
    band: their range), one panel per family."""
    return translation_panels(study.at_choice(), x="epoch", y="val_loss", xlabel="epoch",
                              ylabel="validation loss (nats/token)",
                              title="validation loss at each optimizer's chosen rate")


def translation_scores(scores: pd.DataFrame, level: int) -> tables.Table:
    """The translation protocol's test scores per optimizer
    (:func:`optimlab.experiments.translation.report.score_table`) with their ``level`` % intervals."""
    return tables.table(
        scores, keep=["optimizer", "family", "peak rate", "validation loss", "BLEU", "BLEU interval", "chrF",
                      "chrF interval", "diverged runs"],
        formats={"peak rate": "{:g}", "BLEU": "{:.1f}", "chrF": "{:.1f}"},
        columns={"BLEU interval": f"BLEU {level} % interval", "chrF interval": f"chrF {level} % interval"},
        missing="no interval with one seed; a diverged run's loss is not a number and its scores count as 0")


def translation_diffs(diffs: pd.DataFrame) -> tables.Table:
    """C7's paired differences of test BLEU, the best adaptive-moment optimizer minus each other
    family's best, with their intervals (and, for the budget sensitivity, the budget and verdict)."""
    keep = [c for c in ("budget", "other family", "moment", "other", "mean", "low", "high", "seeds", "verdict")
            if c in diffs.columns]
    return tables.table(
        diffs, keep=keep,
        columns={"moment": "adaptive moment", "other": "other family's best", "mean": "mean BLEU difference",
                 "low": "interval low", "high": "interval high"},
        formats={"mean": "{:+.2f}", "low": "{:+.2f}", "high": "{:+.2f}"})


# --- chapter 18's tables: which columns a reader sees, under which headers ------------------------
_INTERVAL = {"low": "interval low", "high": "interval high"}


def verdicts_table(found: Claims) -> tables.Table:
    """One verdict per claim, with the per-reading verdicts where they differ."""
    return tables.table(found.verdicts, columns={"by reading": "verdict by reading (where they differ)"},
                        missing="the verdict is the same under every reading")


def claims_table(found: Claims) -> tables.Table:
    """Every claim under every reading with its deciding paired statistic and interval, each to 3
    significant digits, trailing zeros kept (the column mixes seconds, RER and fractions of it, so
    no one scale of decimals fits)."""
    return tables.table(found.rows, keep=["claim", "reading", "verdict", "seeds", "statistic", "mean", "low", "high"],
                        columns={"mean": "mean over seeds", **_INTERVAL}, missing="one seed: no interval",
                        formats=dict.fromkeys(("mean", "low", "high"), "{:+#.3g}"))


def evidence_table(found: Claims, claims: Sequence[str] = ("C3", "C4", "C5", "C6")) -> tables.Table:
    """The evidence of ``claims`` under each reading: the means, and the deciding statistic."""
    return tables.table(found.rows[found.rows["claim"].isin(claims)], keep=["claim", "reading", "verdict", "evidence"])


def paired_table(diffs: pd.DataFrame, unit: str) -> tables.Table:
    """AdaMix minus each other strategy, paired over seeds, by reading
    (:func:`optimlab.experiments.adamix.report.paired`), in ``unit``."""
    return tables.table(diffs, keep=["reading", "other", "mean", "low", "high", "verdict"],
                        columns={"other": "AdaMix minus", "mean": f"mean difference ({unit})",
                                 "low": f"interval low ({unit})", "high": f"interval high ({unit})"},
                        missing="one seed: no interval")


def two_way_table(table: pd.DataFrame) -> tables.Table:
    """:func:`two_way`'s comparison, both ways, one row per published value."""
    return tables.table(
        readable(table), keep=["experiment", "strategy", "data_fraction", "published", "ours", "relative_difference",
                               "within_absolute", "relative_to_baseline", "within_relative"],
        columns={"relative_difference": "ours / published − 1", "within_absolute": "within (absolute)",
                 "relative_to_baseline": "relative to baseline − 1", "within_relative": "within (relative)"},
        formats={"published": "{:.2f}", "ours": "{:.2f}", "relative_difference": "{:+.1%}",
                 "relative_to_baseline": "{:+.1%}"},
        missing="the experiment's baseline: compared with itself it is 1 by construction")


def reading_counts_table(counts: pd.DataFrame) -> tables.Table:
    """:func:`two_way_readings`'s counts: the published values each reading matches, both ways."""
    return tables.table(counts, columns={"values": "published values",
                                         "within absolute": f"within ±{report.ABSOLUTE:.0%}",
                                         "relative rows": "values not a baseline",
                                         "within relative": f"within ±{report.RELATIVE:.0%} of the baseline"})


def values_by_reading_table(by_reading: pd.DataFrame) -> tables.Table:
    """Every published value beside ours under each reading (:func:`two_way_readings`'s first table):
    each cell our mean final test RER and, in brackets, the value relative to its experiment's
    baseline − 1 (the relative comparison; a baseline has none)."""
    def cell(r) -> str:
        if pd.isna(r.ours):
            return "not run"
        if pd.isna(r.relative_to_baseline):
            return f"{r.ours:.2f}"
        return f"{r.ours:.2f} ({tables.unsigned_zero(f'{r.relative_to_baseline:+.1%}')})"

    keys = ["experiment", "strategy", "data_fraction", "published"]
    wide = (by_reading.assign(cell=[cell(r) for r in by_reading.itertuples()])
            .pivot_table(index=keys, columns="reading", values="cell", aggfunc="first", sort=False)
            .reset_index())
    wide = wide[[*keys, *dict.fromkeys(by_reading["reading"])]]
    wide.columns.name = None
    return tables.table(readable(wide), formats={"published": "{:.2f}"})


def misses_table(expl: Explanations) -> tables.Table:
    """One row per published value outside the relative band, with its closest hypothesis's outcome."""
    return tables.table(
        readable(expl.misses), keep=["experiment", "strategy", "data_fraction", "published", "relative_to_baseline",
                                     "hypothesis", "run", "outcome"],
        columns={"relative_to_baseline": "relative to baseline − 1 (default)", "hypothesis": "closest hypothesis"},
        formats={"published": "{:.2f}", "relative_to_baseline": "{:+.1%}"})


def cons_table(expl: Explanations) -> tables.Table:
    """The hypotheses for our constant rate's level, one unstated setting at a time."""
    return tables.table(
        expl.cons, keep=["hypothesis", "statement", "default", "under hypothesis", "moved", "as predicted", "outcome"],
        columns={"default": "ours / published − 1 (default)",
                 "under hypothesis": "ours / published − 1 (hypothesis)"},
        formats={"default": "{:+.1%}", "under hypothesis": "{:+.1%}"})


def outcomes_table(expl: Explanations) -> tables.Table:
    """Every hypothesis against every published value it addresses."""
    return tables.table(
        readable(expl.outcomes), keep=["hypothesis", "experiment", "strategy", "data_fraction", "default",
                                       "under hypothesis", "predicts", "outcome"],
        columns={"default": "deviation (default)", "under hypothesis": "deviation (hypothesis)"},
        formats={"default": "{:+.1%}", "under hypothesis": "{:+.1%}"})
