"""The figures of the adaptive-rate chapters (5: the Adam family, 6: ANGD, 7: AdaMix), one function
per figure, drawn from the data the harnesses of :mod:`optimlab.experiments.adaptive` return, and
:func:`glue_all` for a chapter's dict of glued values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.ticker import NullFormatter

from optimlab.presentation import plotting
from optimlab.training.landscapes import LANDSCAPES

__all__ = [
    "glue_all", "bias_figure", "reddi_figure", "decay_figure", "two_panels", "paths_figure",
    "estimator_figure", "rates_figure", "loss_scale_figure", "cost_figure",
]


from optimlab.presentation.plotting import glue_all  # noqa: E402,F401  (the one shared glue_all)


def _no_minor(axes) -> None:
    for ax in np.atleast_1d(axes):
        ax.xaxis.set_minor_formatter(NullFormatter())


def bias_figure(frame, *, mean: float, std: float, beta1: float = 0.9, beta2: float = 0.999):
    """Adam's raw and bias-corrected moments (an :func:`~optimlab.experiments.adaptive.adam_bias`
    frame) against the step, with the targets and the prediction ``(1 − β2^t) E[g²]``."""
    fig, axes = plotting.subplots(2)
    t = frame["t"].to_numpy()
    axes[0].plot(t, frame["m"], label=r"$m_t$ (mean over coordinates)")
    axes[0].plot(t, frame["m_hat"], label=r"$\hat m_t = m_t/(1-\beta_1^t)$")
    axes[0].axhline(mean, color="k", ls=":", lw=1, label=r"$\mathbb{E}[g]$")
    axes[1].plot(t, frame["v"], label=r"$v_t$")
    axes[1].plot(t, frame["v_hat"], label=r"$\hat v_t = v_t/(1-\beta_2^t)$")
    axes[1].plot(t, (1 - beta2**t) * (mean**2 + std**2), "k--", lw=1, label=r"$(1-\beta_2^t)\,\mathbb{E}[g^2]$")
    axes[1].axhline(mean**2 + std**2, color="k", ls=":", lw=1, label=r"$\mathbb{E}[g^2]$")
    plotting.label(axes[0], "step t", "first moment", rf"$\beta_1 = {beta1:g}$", logx=True)
    plotting.label(axes[1], "step t", "second moment", rf"$\beta_2 = {beta2:g}$", logx=True)
    _no_minor(axes)
    for ax in axes:
        plotting.legend(ax)
    return fig


def reddi_figure(frame, *, C: float):
    """The iterate and the average regret of each optimizer of a
    :func:`~optimlab.experiments.adaptive.reddi_runs` frame."""
    fig, axes = plotting.subplots(2)
    for name, sub in frame.groupby("optimizer", sort=False):
        axes[0].plot(sub["step"], sub["x"], lw=0.8, label=name)
        axes[1].plot(sub["step"], sub["regret"], label=name)
    axes[0].axhline(-1, color="k", ls=":", lw=1, label="minimum x* = −1")
    plotting.label(axes[0], "step t", r"$x_t$", f"Reddi et al.'s example, C = {C:g}", logx=True)
    plotting.label(axes[1], "step t", r"average regret $R_t/t$", "average regret", logx=True, logy=True)
    _no_minor(axes)
    for ax in axes:
        plotting.legend(ax)
    return fig


def decay_figure(decay: Mapping[str, np.ndarray], *, lr: float, lam: float):
    """Mean idle and busy weights under each kind of decay (a
    :func:`~optimlab.experiments.adaptive.decay_runs` dict), with ``(1 − ηλ)^t``."""
    fig, ax = plotting.subplots(1, width=6.5)
    steps = len(next(iter(decay.values())))
    t = np.arange(1, steps + 1)
    for (kind, means), color in zip(decay.items(), plotting.distinct_colors(len(decay))):
        ax.plot(t, means[:, 0], color=color, ls="-", label=f"{kind}: idle weights")
        ax.plot(t, means[:, 1], color=color, ls="--", label=f"{kind}: busy weights")
    ax.plot(t, (1 - lr * lam) ** t, "k:", lw=1, label=r"$(1-\eta\lambda)^t$")
    plotting.label(ax, "step t", "mean weight", f"η = {lr}, λ = {lam}")
    plotting.legend(ax)
    return fig


def two_panels(frame, *, x: str, hue: str, left: Sequence[Any], right: Sequence[Any], xlabel: str | None = None,
               order: Sequence[str] | None = None, marker: str | None = None, logx: bool = False,
               suptitle: str | None = None):
    """Two panels of :func:`~optimlab.presentation.plotting.mean_band` curves, one per ``hue``
    level (mean and min-max band over seeds where a ``seed`` column has several). ``left`` and
    ``right`` are ``(column, y label, title[, log y])``."""
    fig, axes = plotting.subplots(2)
    for ax, (y, ylabel, title, *log) in zip(axes, (left, right)):
        plotting.mean_band(ax, frame, x=x, y=y, hue=hue, order=order, marker=marker)
        plotting.label(ax, xlabel or x, ylabel, title, logx=logx, logy=bool(log and log[0]))
    plotting.legend(axes[0])
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def paths_figure(paths: Mapping[str, Any], *, title: str, landscape: str = "rosenbrock",
                 xlim: tuple[float, float] | None = None, ylim: tuple[float, float] | None = None,
                 count_steps: bool = False):
    """Paths on a landscape's contours (left) and the loss along them (right). ``count_steps``
    adds each path's number of steps to its label."""
    land = LANDSCAPES[landscape]
    fig, axes = plotting.subplots(2)
    plotting.contour(axes[0], land.f, xlim or land.xlim, ylim or land.ylim)
    axes[0].plot(*land.minimum, "k+", ms=10)
    for name, path in paths.items():
        shown = f"{name} ({len(path) - 1} steps)" if count_steps else name
        plotting.trajectory(axes[0], np.asarray(path), label=shown)
        axes[1].plot(land.f(path).numpy(), label=name)
    plotting.label(axes[0], "x", "y", title)
    plotting.label(axes[1], "step t", r"$f(\theta_t)$", "loss", logy=True)
    plotting.legend(axes[0])
    return fig


def estimator_figure(estimates):
    """The inverse-Fisher estimates of :func:`~optimlab.experiments.adaptive.inverse_estimates`:
    relative error against the truth while positive definite (left) and asymmetry (right)."""
    fig, axes = plotting.subplots(2)
    rates = list(dict.fromkeys(estimates["eps"]))
    colors = dict(zip(rates, plotting.distinct_colors(len(rates))))
    for (eps, update), sub in estimates.groupby(["eps", "update"], sort=False):
        style = {"color": colors[eps], "ls": "-" if update == "exact" else "--", "label": f"{update}, ε = {eps:g}"}
        good = sub[sub["positive_definite"]]
        axes[0].plot(good["updates"], good["rel_error"], **style)
        finite = sub[np.isfinite(sub["asymmetry"])]
        axes[1].plot(finite["updates"], finite["asymmetry"].clip(lower=1e-18), **style)
    plotting.label(axes[0], "examples fed to the estimate", r"$\|\hat G^{-1}-G^{-1}\|_F\,/\,\|G^{-1}\|_F$",
                   "estimate vs truth", logx=True, logy=True)
    plotting.label(axes[1], "examples fed to the estimate",
                   r"$\|\hat G^{-1}-\hat G^{-\top}\|_F\,/\,\|\hat G^{-1}\|_F$",
                   "asymmetry of the library's estimate", logx=True, logy=True)
    plotting.legend(axes[0], ncol=2)
    return fig


def rates_figure(rate_mix: np.ndarray, rate_ada: np.ndarray, magnitudes: Sequence[float]):
    """AdaMix's (solid) and AdaGrad's (dashed) rate on constant gradients, one colour per magnitude."""
    fig, ax = plotting.subplots(1)
    steps = np.arange(1, len(rate_mix) + 1)
    for k, (m, color) in enumerate(zip(magnitudes, plotting.distinct_colors(len(magnitudes)))):
        ax.plot(steps, np.where(rate_mix[:, k] > 0, rate_mix[:, k], np.nan), color=color, label=f"AdaMix, |g| = {m:g}")
        ax.plot(steps, rate_ada[:, k], color=color, ls="--", label=f"AdaGrad, |g| = {m:g}")
    ax.set_ylim(1e-12, 2)
    plotting.label(ax, "step t", r"learning rate $\alpha(t)/\eta(0)$", "constant gradient, K = 1",
                   logx=True, logy=True)
    plotting.legend(ax, outside=True, ncol=4)
    return fig


def loss_scale_figure(frame, *, images: int, batch: int, lr_mean: float):
    """The effective weight rates (median and 10-90 % band, left) and the training loss (right) of
    each run of :func:`~optimlab.experiments.adaptive.loss_scale_runs`."""
    fig, axes = plotting.subplots(2)
    runs = list(dict.fromkeys(frame["run"]))
    for run, color in zip(runs, plotting.distinct_colors(len(runs))):
        sub = frame[frame["run"] == run]
        ls = "-" if run.startswith("AdaMix") else "--"  # on the mean loss the two coincide
        step = sub["step"].clip(lower=1)
        axes[0].plot(step, sub["q50"], color=color, ls=ls, label=run)
        axes[0].fill_between(step, sub["q10"], sub["q90"], color=color, alpha=0.2, lw=0)
        axes[1].plot(step, sub["train_loss"], color=color, ls=ls, label=run)
    plotting.label(axes[0], "step", "effective weight rate (mean-loss scale)", "rates: median, 10-90 %",
                   logx=True, logy=True)
    plotting.label(axes[1], "step", "training cross-entropy (nats)", "loss", logx=True)
    plotting.legend(axes[1])
    fig.suptitle(f"MLP 784-100-10, {images:,} MNIST images, batches of {batch}, η(0) = {lr_mean} on the mean scale")
    return fig


def cost_figure(measured, timing, *, cpu: bool):
    """The time of one optimizer step per rule (box plots, left) and the training cost relative to
    Cons, ours beside the paper's (right), from a :class:`~optimlab.cost.timing.StepTimes` and a
    :func:`~optimlab.experiments.adaptive.cost_table`."""
    fig, axes = plotting.subplots(2)
    names = list(measured.steps)
    axes[0].boxplot([np.array(measured.steps[n]) * 1e3 for n in names], showfliers=False)
    axes[0].set_xticks(range(1, len(names) + 1), [n.replace(" (", "\n(") for n in names], fontsize="small")
    plotting.label(axes[0], "rule", "time of one step (ms)" + (", one thread" if cpu else ""),
                   f"optimizer step, {measured.n_weights + measured.n_biases:,} parameters")
    paper = timing[timing["wall time / Cons (He & Li)"].notna()]
    xs = np.arange(len(paper))
    axes[1].bar(xs - 0.2, paper["training step / Cons (ours)"], 0.4, label="ours: forward + backward + step")
    axes[1].bar(xs + 0.2, paper["wall time / Cons (He & Li)"], 0.4, label="He & Li, Exp. 1 wall time")
    axes[1].set_xticks(xs, [n.replace(" (", "\n(") for n in paper.index], fontsize="small")
    axes[1].set_ylim(0.9, None)
    plotting.label(axes[1], "rule", "time relative to Cons", "training cost relative to a constant rate")
    plotting.legend(axes[1])
    return fig
