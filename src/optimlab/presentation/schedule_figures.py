"""The figures of chapters 8 to 11, one function per figure (the chapter calls it once and shows it).

Chapter 8's gallery used to draw its 20 trajectory panels (4 landscapes × 5 families) in one figure,
unreadable at the page's width: :func:`landscape_paths` draws one landscape per figure, its five
families on a 2 × 3 grid whose sixth cell holds the one legend shared by all panels. The other
many-curve figures put one shared legend below the panels (:func:`_shared_legend`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch

from optimlab.presentation import plotting
from optimlab.presentation.plotting import WIDTH, distinct_colors, glue
from optimlab.training.landscapes import LANDSCAPES

__all__ = ["glue_all", "gallery_palette", "tuning_heatmaps", "landscape_paths", "value_curves",
           "mnist_tuning_heatmap", "head_to_head_curves", "curve_values", "schedules", "schedule_panels",
           "noise_floor_curves", "noisy_band", "decay_curves", "plateau_figure", "manual_figure",
           "adaptive_figure"]


from optimlab.presentation.plotting import glue_all  # noqa: E402,F401  (the one shared glue_all)


def _shared_legend(fig, axes, *, ncol: int = 4, fontsize: float | str = 8):
    """One legend below all panels, with each label once (the first handle that carries it)."""
    handles: dict[str, Any] = {}
    for ax in np.atleast_1d(axes):
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    if handles:
        fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=ncol, fontsize=fontsize)


def _legend_below(ax, *, ncol: int = 1, fontsize: float | str = 8):
    """The axes' legend below its x label."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(ncol=ncol, fontsize=fontsize, **plotting.below_label(ax))


def _legend(ax, *, ncol: int = 1, fontsize: float | str = 8):
    """A legend clear of the data: where ``loc="best"`` covers nothing
    (:func:`~optimlab.presentation.plotting.legend_covers_data`), else below the x label."""
    if not ax.get_legend_handles_labels()[0]:
        return
    shown = ax.legend(loc="best", ncol=ncol, fontsize=fontsize)
    if plotting.legend_covers_data(ax, shown):
        shown.remove()
        _legend_below(ax, ncol=max(ncol, 2), fontsize=fontsize)


# ----------------------------------------------------------------------------------------- chapter 8


def gallery_palette(names: Sequence[str]) -> dict[str, Any]:
    """One colour per optimizer, the same in every figure of the gallery: tab10, then Dark2 (so that
    neighbours in the registry's order, drawn in one panel, differ clearly)."""
    import seaborn as sns

    colors = sns.color_palette("tab10") + sns.color_palette("Dark2")
    return {n: colors[i % len(colors)] for i, n in enumerate(names)}


def _score(key: str, values) -> np.ndarray:
    """log10 of the final value, or of the depth below zero on the saddle (runs still above -1 score
    0; an overflow to -inf saturates)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if key == "saddle":
            return np.where(np.isneginf(v), 320.0, np.log10(np.clip(-v, 1.0, None)))
        return np.log10(np.clip(v, 1e-16, None))


def _heatmap(ax, fig, matrix, rows, cols, chosen, *, cmap, vmin=None, vmax=None, bar="", show_rows=True):
    im = ax.imshow(np.ma.masked_invalid(matrix), aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
    for i, lr in enumerate(chosen):
        if lr is not None and np.isfinite(lr):
            j = int(np.argmin(np.abs(np.log10(np.asarray(cols)) - np.log10(lr))))
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.5))
    ax.set_yticks(range(len(rows)), rows if show_rows else [""] * len(rows), fontsize="small")
    step = 1 if len(cols) <= 6 else 2
    ax.set_xticks(range(len(cols)), [f"{c:.0e}" if i % step == 0 else "" for i, c in enumerate(cols)],
                  fontsize="small", rotation=45)
    ax.grid(False)
    fig.colorbar(im, ax=ax, label=bar, shrink=0.9)
    return im


def tuning_heatmaps(tuning, best, landscapes, *, steps: int):
    """Chapter 8's tuning: per landscape (2 × 2 panels) the score of each optimizer (rows) at each
    rate (columns), the chosen rate boxed in red, blank where the run left the finite numbers."""
    names = list(best.index)
    grid = sorted(tuning["lr"].unique())
    fig, axes = plotting.subplots(2, 2, height=0.3 * len(names) + 1.6, width=WIDTH)
    for i, (ax, (key, land)) in enumerate(zip(axes, landscapes.items())):
        sub = tuning[tuning["landscape"] == key].pivot(index="optimizer", columns="lr", values="final_value")
        mat = _score(key, sub.reindex(index=names, columns=grid).to_numpy())
        if key == "saddle":
            vmin, vmax, cmap, bar = 0.0, 30.0, "viridis", "log10 max(1, −value)"
        else:  # from the best run to a little above the start (blow-ups saturate)
            start = float(land.f(torch.tensor(land.start)))
            vmin, vmax, cmap, bar = np.nanmin(mat), _score(key, [start])[0] + 2, "viridis_r", "log10 value"
        _heatmap(ax, fig, mat, names, grid, [best.loc[n, key] for n in names], cmap=cmap, vmin=vmin,
                 vmax=vmax, bar=bar, show_rows=i % 2 == 0)
        plotting.label(ax, "learning rate η", "", land.name)
    fig.suptitle(f"final value after {steps} steps (red box: chosen rate)")
    return fig


def landscape_paths(paths, best, key: str, families: Mapping[str, Sequence[str]], *,
                    landscapes: Mapping[str, Any] = LANDSCAPES, contour_n: int = 150,
                    palette: Mapping[str, Any] | None = None):
    """The trajectories on ``landscapes[key]`` at the tuned rates: one panel per family of optimizers
    (2 × 3 grid), the sixth cell holding the legend shared by all panels (optimizer, tuned rate)."""
    land = landscapes[key]
    names = [n for members in families.values() for n in members]
    palette = palette or gallery_palette(names)
    fig, axes = plotting.subplots(3, 2, height=2.9, width=WIDTH)
    for ax, (family, members) in zip(axes, families.items()):
        plotting.contour(ax, land.f, land.xlim, land.ylim, levels=25, n=contour_n)
        if land.minimum is not None:
            ax.plot(*land.minimum, "x", color="k", ms=7)
        for name in members:
            if (key, name) in paths:
                plotting.trajectory(ax, paths[key, name], label=f"{name} (η = {best.loc[name, key]:.0e})",
                                    color=palette[name])
            else:
                ax.plot([], [], color=palette[name], label=f"{name} (no finite run)")
        ax.set_xlim(*land.xlim)
        ax.set_ylim(*land.ylim)
        plotting.label(ax, "x", "y", family)
    spare = axes[len(families):]
    handles: dict[str, Any] = {}
    for ax in axes[:len(families)]:
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    for ax in spare:
        ax.axis("off")
    if len(spare):
        spare[0].legend(list(handles.values()), list(handles), loc="center", fontsize="small")
    fig.suptitle(f"{land.name}: trajectories at the tuned rates (circle: start, star: end, cross: minimum)")
    return fig


def value_curves(paths, landscapes, families: Mapping[str, Sequence[str]], *, palette=None):
    """The gallery's runs as value against step (log scale), 2 × 2 panels, one shared legend; on the
    saddle the distance from the saddle point instead."""
    names = [n for members in families.values() for n in members]
    palette = palette or gallery_palette(names)
    style = {n: plotting.LINESTYLES[k % len(plotting.LINESTYLES)]
             for k, members in enumerate(families.values()) for n in members}
    fig, axes = plotting.subplots(2, 2, height=3.0, width=WIDTH)
    for ax, (key, land) in zip(axes, landscapes.items()):
        for name in names:
            if (key, name) not in paths:
                continue
            path = paths[key, name]
            values = (np.linalg.norm(path, axis=1) if key == "saddle"
                      else np.clip(land.f(torch.from_numpy(path)).numpy(), 1e-16, None))
            ax.plot(np.arange(len(values)), values, color=palette[name], ls=style[name], label=name)
        plotting.label(ax, "step", "distance from the saddle point" if key == "saddle" else "f(x, y) − f*",
                       land.name, logy=True)
    _shared_legend(fig, axes, ncol=5)
    return fig


def mnist_tuning_heatmap(tuning, rates, *, epochs: int, seed: int):
    """Chapter 8's MNIST tuning: log10 of the last epoch's training loss per optimizer and rate, the
    chosen rate boxed."""
    names = list(rates.index)
    pivot = tuning.pivot(index="optimizer", columns="lr", values="train_loss").reindex(names)
    fig, ax = plotting.subplots(1, height=0.3 * len(names) + 1.4)
    with np.errstate(divide="ignore"):
        mat = np.log10(pivot.to_numpy())
    mat[~np.isfinite(mat)] = np.nan
    _heatmap(ax, fig, mat, names, list(pivot.columns), list(rates), cmap="viridis_r",
             bar="log10 training loss, last epoch")
    plotting.label(ax, "learning rate η", "", f"MNIST tuning: {epochs} epoch(s), seed {seed} (red box: chosen)")
    return fig


def head_to_head_curves(frame, order: Sequence[str], *, palette=None):
    """Training (top) and test (bottom) loss per epoch (left) and per second (right), mean and range
    over the seeds, one shared legend."""
    palette = palette or gallery_palette(order)
    curves = frame[frame["epoch"] > 0].copy()
    curves["mean_seconds"] = curves.groupby(["label", "epoch"])["seconds"].transform("mean")
    colors = [palette[n] for n in order]
    fig, axes = plotting.subplots(2, 2, height=3.2, width=WIDTH)
    for ax, (x, y, title) in zip(axes, [("epoch", "train_loss", "training loss per epoch"),
                                        ("mean_seconds", "train_loss", "training loss per second"),
                                        ("epoch", "test_loss", "test loss per epoch"),
                                        ("mean_seconds", "test_loss", "test loss per second")]):
        plotting.mean_band(ax, curves, x=x, y=y, hue="label", order=list(order), palette=colors)
        plotting.label(ax, "epoch" if x == "epoch" else "wall time (s)",
                       "training loss (nats)" if y == "train_loss" else "test loss (nats)", title, logy=True)
    _shared_legend(fig, axes, ncol=5)
    return fig


# ----------------------------------------------------------------------------------- chapters 9 to 11


def curve_values(curve, steps) -> np.ndarray:
    """A curve's values at ``steps``: ``curve`` is a schedule (any callable of the step) or the
    values themselves."""
    steps = np.asarray(steps)
    if callable(curve):
        return np.array([curve(int(t)) for t in steps], dtype=float)
    values = np.asarray(curve, dtype=float)
    if len(values) != len(steps):
        raise ValueError(f"curve has {len(values)} values for {len(steps)} steps")
    return values


def _draw(ax, curves: Mapping[str, Any], steps, *, stairs=(), dashed=(), per: float = 1.0, marker=None):
    steps = np.asarray(steps)
    for name, curve in curves.items():
        ax.plot(steps / per, curve_values(curve, steps), label=name,
                drawstyle="steps-post" if name in stairs else "default",
                ls="--" if name in dashed else "-", marker=marker, ms=3.5)


def schedules(curves: Mapping[str, Any], steps, *, title: str | None = None, logy: bool = False,
              stairs: Sequence[str] = (), dashed: Sequence[str] = (), marks: Sequence[float] = (),
              xlabel: str = "global step t", per: float = 1.0, marker: str | None = None, height: float = 3.0):
    """Learning rates against the step: each curve (a schedule or its values) by its label, ``stairs``
    drawn as steps, ``dashed`` dashed, vertical dotted lines at ``marks``; ``per`` divides the step
    axis (steps per epoch, with ``xlabel="epoch"``)."""
    fig, ax = plotting.subplots(height=height)
    _draw(ax, curves, steps, stairs=stairs, dashed=dashed, per=per, marker=marker)
    for m in marks:
        ax.axvline(m / per, color="0.7", lw=0.8, ls=":")
    plotting.label(ax, xlabel, "learning rate η(t)", title, logy=logy)
    if len(curves) > 1:
        _legend(ax)
    return fig


def schedule_panels(panels: Sequence[Mapping[str, Any]], steps, *, titles: Sequence[str],
                    logy: Sequence[bool] = (), stairs: Sequence[str] = (), dashed: Sequence[str] = (),
                    height: float = 3.2):
    """:func:`schedules` side by side, one panel per mapping of curves."""
    fig, axes = plotting.subplots(len(panels), height=height)
    for i, (ax, curves) in enumerate(zip(np.atleast_1d(axes), panels)):
        _draw(ax, curves, steps, stairs=stairs, dashed=dashed)
        plotting.label(ax, "global step t", "learning rate η(t)", titles[i],
                       logy=bool(logy[i]) if i < len(logy) else False)
        _legend_below(ax)
    return fig


def noise_floor_curves(frame, *, batch_size: int, lr0: float, dashed: Sequence[str] = ()):
    """Chapter 9's experiment: excess loss against the step (log-log), one curve per rule."""
    fig, ax = plotting.subplots(height=3.6)
    for name, sub in frame.groupby("rule", sort=False):
        ax.plot(sub["step"].clip(lower=1), sub["excess_loss"], label=name, ls="--" if name in dashed else "-")
    plotting.label(ax, "step t", "excess loss J(θ) − J(θ̂)", f"mini-batch SGD (b = {batch_size}), η0 = {lr0}",
                   logx=True, logy=True)
    _legend(ax, ncol=2)
    return fig


def noisy_band(cos, lin, noisy, steps, *, seed: int, lr0: float):
    """Chapter 10's survey figure: cosine, linear cosine and noisy linear cosine decay, with the ±2σ
    band of the noise around the noiseless linear cosine curve."""
    from optimbook.schedules import cosine as C

    steps = np.asarray(steps)
    fig, ax = plotting.subplots(height=3.4)
    _draw(ax, {"cosine_decay": cos, "linear_cosine_decay": lin}, steps)
    ax.plot(steps, curve_values(noisy, steps), lw=1.0, label=f"noisy_linear_cosine_decay (seed {seed})")
    band = np.array([2 * lr0 * np.sqrt(noisy.variance(int(t)))
                     * C._linear_cosine_parts(noisy.decay_steps, noisy.num_periods, int(t))[1] for t in steps])
    mid = curve_values(lin, steps)
    ax.fill_between(steps, mid - band, mid + band, color="C2", alpha=0.15, lw=0, label="±2σ of the noise")
    plotting.label(ax, "global step t", "learning rate η(t)", "cosine, linear cosine and noisy linear cosine decay")
    _legend(ax)
    return fig


def decay_curves(results):
    """Chapter 10's MNIST runs: mean training loss per epoch and test accuracy, mean and min-max band
    over the seeds, one shared legend."""
    fig, axes = plotting.subplots(2, height=3.6)
    plotting.mean_band(axes[0], results[results["epoch"] > 0], x="epoch", y="train_loss", hue="label")
    plotting.mean_band(axes[1], results, x="epoch", y="test_accuracy", hue="label")
    plotting.label(axes[0], "epoch", "training cross-entropy (nats)", "mean batch loss per epoch")
    plotting.label(axes[1], "epoch", "test accuracy (fraction)", "test accuracy")
    _shared_legend(fig, axes[:1], ncol=3)
    return fig


def plateau_figure(runs: Mapping[str, Any]):
    """Chapter 11's plateau runs: held-out loss after each epoch (left) and the rate during it (right)."""
    fig, axes = plotting.subplots(2, height=3.3)
    for name, frame in runs.items():
        axes[0].plot(frame["epoch"], frame["heldout_loss"], marker="o", ms=3, label=name)
        axes[1].plot(frame["epoch"], frame["lr"], marker="o", ms=3, drawstyle="steps-post", label=name)
    plotting.label(axes[0], "epoch", "held-out cross-entropy (nats)", "metric after each epoch")
    plotting.label(axes[1], "epoch", "learning rate during the epoch", "rate")
    _shared_legend(fig, axes[:1], ncol=3)
    return fig


def plateau_table(runs: Mapping[str, Any]):
    """Chapter 11's plateau runs as one table in long form (run, epoch, rate, held-out loss, the
    rule's action), narrow enough for the text column: one row per run and epoch."""
    import pandas as pd

    from optimlab.presentation.tables import table

    rows = pd.concat({name: frame[["epoch", "lr", "heldout_loss", "action"]] for name, frame in runs.items()},
                     names=["run", None]).reset_index(level=0)
    return table(rows.reset_index(drop=True),
                 columns={"lr": "rate during the epoch", "heldout_loss": "held-out loss after it",
                          "action": "the rule's action"},
                 formats={"lr": "{:.3g}", "heldout_loss": "{:.3f}"},
                 missing="no action: the rule kept the rate, or the run has no rule",
                 caption="Each run per epoch: the rate during the epoch, the held-out loss after it, "
                         "the rule's action.")


def manual_figure(study: Mapping[str, Any], schedule: Callable[[int], float], *, steps_per_epoch: int,
                  events: Mapping[int, str]):
    """Chapter 11's hand changes: the rate of the straight and the resumed run against the epoch, the
    schedule alone in grey, the events marked."""
    straight, resumed = study["straight"], study["resumed"]
    fig, ax = plotting.subplots(height=3.2)
    ax.plot(straight["step"] / steps_per_epoch, straight["lr"], label="straight through")
    ax.plot(resumed["step"] / steps_per_epoch, resumed["lr"], ls="--", label="stopped, then resumed")
    ax.plot(straight["step"] / steps_per_epoch, curve_values(schedule, straight["step"]), color="0.6", lw=1,
            label="the schedule alone")
    plotting.label(ax, "epoch", "learning rate η(t)", "hand changes on a running schedule", logy=True)
    top = ax.get_ylim()[1]
    for epoch, what in events.items():
        ax.axvline(epoch, color="0.5", ls=":", lw=0.8)
        ax.text(epoch, top * 0.95, f" {what}", fontsize=8, va="top")
    _legend(ax)
    return fig


def adaptive_figure(frame):
    """Chapter 11's optimizers × decays: RMS step relative to eta0 (left) and AdaGrad's median
    per-coordinate rate with a t^(-1/2) reference (right), log-log."""
    colors = dict(zip(dict.fromkeys(frame["optimizer"]), distinct_colors(frame["optimizer"].nunique())))
    fig, axes = plotting.subplots(2, height=3.4)
    for (name, decay), run in frame.groupby(["optimizer", "decay"], sort=False):
        ls = "-" if decay == "constant" else "--"
        axes[0].plot(run["step"], run["rms_step"] / run["lr0"], color=colors[name], lw=1, ls=ls,
                     label=f"{name}, {decay}")
        if run["adagrad_rate"].notna().any():
            axes[1].plot(run["step"], run["adagrad_rate"], color=colors[name], ls=ls, label=f"{name}, {decay}")
    ref = frame[(frame["optimizer"] == "AdaGrad") & (frame["decay"] == "constant")].dropna(subset=["adagrad_rate"])
    if len(ref):
        t = ref["step"].to_numpy()
        axes[1].plot(t, ref["adagrad_rate"].iloc[0] * (t / t[0]) ** -0.5, color="0.6", lw=1, ls=":",
                     label="∝ t^(−1/2)")
    plotting.label(axes[0], "step t", "RMS step / η0", "size of each step, relative to η0", logx=True, logy=True)
    plotting.label(axes[1], "step t", "median η_t / √(K + G_t,i)", "AdaGrad's per-coordinate rate",
                   logx=True, logy=True)
    _legend_below(axes[0], ncol=2)
    _legend_below(axes[1], ncol=2)
    return fig
