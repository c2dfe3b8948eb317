"""The figures of chapters 1-4, one function per figure, drawn from the harnesses'
:class:`~optimlab.experiments.first_order.Run` data; and :func:`glue_all` for their values.

Each function draws one figure with the book's helpers (:mod:`optimlab.presentation.plotting`) and
returns it; a chapter cell calls one of them (its trailing ``;`` keeps the figure from showing twice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import NullFormatter

from optimlab.experiments.first_order import BOWL
from optimlab.presentation import plotting

__all__ = ["glue_all", "regimes", "regression", "mnist_regimes", "epoch_times", "bowl", "rate_maps",
           "rate_slice", "lr_drop", "mnist", "two_bowls", "applied_rates", "cycle", "paths_loss_steps",
           "masked"]

_XY = ("x (1)", "y (1)")
_LOSS = r"$f(\theta_t)$ (1)"


from optimlab.presentation.plotting import glue_all  # noqa: E402,F401  (the one shared glue_all)


def _loss(path: torch.Tensor, f=BOWL.f) -> np.ndarray:
    return f(path).numpy()


def regimes(frame, metric: str, ylabel: str, *, title: str, legend_title: str, logy: bool = False):
    """Two panels of ``metric`` per regime (column ``regime``): against updates (log scale) and
    against wall time."""
    fig, axes = plotting.subplots(2)
    for regime, sub in frame.groupby("regime", sort=False):
        axes[0].plot(sub["step"].clip(lower=1), sub[metric], label=regime)
        axes[1].plot(sub["seconds"], sub[metric], label=regime)
    plotting.label(axes[0], "updates (steps)", ylabel, "per update", logx=True, logy=logy)
    plotting.label(axes[1], "wall time (s)", ylabel, "per second", logy=logy)
    plotting.legend(axes[0], title=legend_title)
    fig.suptitle(title)
    return fig


def epoch_times(timing, n: str):
    """Time per epoch and throughput against the batch size (both log scales)."""
    fig, axes = plotting.subplots(2)
    axes[0].plot(timing["batch_size"], timing["seconds_per_epoch"], marker="o")
    plotting.label(axes[0], "batch size b (examples)", "time per epoch (s)", f"one epoch of {n} images",
                   logx=True, logy=True)
    axes[1].plot(timing["batch_size"], timing["examples_per_second"], marker="o", color="C1")
    plotting.label(axes[1], "batch size b (examples)", "throughput (examples/s)", "throughput",
                   logx=True, logy=True)
    return fig


def bowl(paths: Mapping[str, torch.Tensor], *, title: str, on_map: Sequence[str] | None = None,
         dotted: Sequence[str] = (), ylim: tuple[float, float] | None = None, loss_title: str = "loss"):
    """Paths on :data:`~optimlab.experiments.first_order.BOWL` (left; ``on_map`` selects them, default
    all) and the loss along every path (right; the names in ``dotted`` dotted)."""
    fig, axes = plotting.subplots(2)
    plotting.contour(axes[0], BOWL.f, BOWL.xlim, BOWL.ylim)
    for name in on_map if on_map is not None else paths:
        plotting.trajectory(axes[0], paths[name].numpy(), label=name)
    for name, path in paths.items():
        axes[1].plot(_loss(path), ls=":" if name in dotted else "-", label=name)
    plotting.label(axes[0], *_XY, title)
    plotting.label(axes[1], "step t", _LOSS, loss_title, logy=True)
    if ylim is not None:
        axes[1].set_ylim(*ylim)
    plotting.legend(axes[0])
    plotting.legend(axes[1])
    return fig


def rate_maps(grid: Mapping[str, Any], eta_mark: float):
    """The rate of momentum and Nesterov over (ηL, μ) (grey: diverges), the best point starred and
    the step size ``eta_mark`` dashed."""
    E, M, L = grid["eta"], grid["mu"], grid["L"]
    fig, axes = plotting.subplots(2, height=3.6)
    cmap = plt.get_cmap("viridis").with_extremes(bad="0.85")  # divergence (ρ ≥ 1) in grey
    for ax, kind in zip(axes, ("momentum", "Nesterov")):
        R = grid[kind]
        im = ax.pcolormesh(E * L, M, np.ma.masked_where(R >= 1.0, R), cmap=cmap, vmin=0.7, vmax=1.0,
                           shading="auto")
        ax.contour(E * L, M, R, levels=[1.0], colors="white", linewidths=1.2)
        i = np.unravel_index(np.argmin(R), R.shape)
        ax.plot(E[i] * L, M[i], "r*", ms=10)
        ax.axvline(eta_mark * L, color="w", ls="--", lw=1)
        plotting.label(ax, r"step size $\eta L$ (1)", r"momentum $\mu$ (1)", kind)
    fig.colorbar(im, ax=axes, label=r"rate $\rho$ per step (grey: ≥ 1, diverges)")
    return fig


def rate_slice(measured, eta: float, kappa: float):
    """Theoretical rate against μ at step size ``eta`` (lines) and the rates measured on the library's
    iterates (circles), for momentum and Nesterov."""
    from optimlab.experiments.first_order import rate

    fig, ax = plotting.subplots(1, width=6.0)
    mus = np.linspace(0.0, 0.95, 400)
    for color, kind in zip(("C0", "C1"), ("momentum", "Nesterov")):
        ax.plot(mus, rate(kind, eta, mus), color=color, label=f"{kind}: theory")
        sub = measured[measured.method == kind]
        ax.plot(sub["mu"], sub["measured"], "o", color=color, mfc="none", label=f"{kind}: library, measured")
    plotting.label(ax, r"momentum $\mu$ (1)", r"rate $\rho$ per step (1)", f"η = {eta}, κ = {kappa:.0f}")
    plotting.legend(ax)
    return fig


def lr_drop(data: Mapping[str, Any], *, drop_at: int, eta: float):
    """Step length and loss of both forms of momentum and Nesterov when η drops at ``drop_at``."""
    fig, axes = plotting.subplots(2)
    for (name, form), path in data["drop"].items():
        style = "-" if form == "torch" else "--"
        color = "C0" if name == "Momentum" else "C1"
        lengths = (path[1:] - path[:-1]).norm(dim=1).numpy()
        axes[0].plot(np.arange(len(lengths)), lengths, style, color=color, label=f"{name}, {form}")
        axes[1].plot(_loss(path), style, color=color, label=f"{name}, {form}")
    for ax in axes:
        ax.axvline(drop_at, color="grey", lw=1)
    plotting.label(axes[0], "step t", r"step length $\|\theta_{t+1}-\theta_t\|$ (1)",
                   f"η: {eta} → {eta / 10:g} at t = {drop_at}", logy=True)
    plotting.label(axes[1], "step t", _LOSS, "loss", logy=True)
    plotting.legend(axes[0])
    return fig


def mnist(results):
    """Training loss and test accuracy per epoch of :func:`~optimlab.experiments.classifier.compare`'s
    table (bands over seeds)."""
    fig, axes = plotting.subplots(2)
    shown = results[results.epoch > 0]
    plotting.mean_band(axes[0], shown, x="epoch", y="train_loss", hue="label", marker="o")
    plotting.mean_band(axes[1], shown, x="epoch", y="test_accuracy", hue="label", marker="o")
    plotting.label(axes[0], "epoch", "training cross-entropy (nats)", "training loss (mean over the epoch)")
    plotting.label(axes[1], "epoch", "test accuracy (1)", "test accuracy")
    plotting.legend(axes[0], fontsize="x-small")
    return fig


def two_bowls(data: Mapping[str, Any]):
    """The paths on each bowl of ``data["bowls"]`` (one panel each) and every loss (last panel)."""
    bowls, paths = data["bowls"], data["paths"]
    methods = list(dict.fromkeys(name for _, name in paths))
    fig, axes = plotting.subplots(len(bowls) + 1, height=3.3)
    for ax, (bowl_name, f) in zip(axes, bowls.items()):
        plotting.contour(ax, f, BOWL.xlim, BOWL.ylim)
        for name in methods:
            plotting.trajectory(ax, paths[(bowl_name, name)].numpy(), label=name)
        plotting.label(ax, *_XY, bowl_name)
    for (bowl_name, name), path in paths.items():
        axes[-1].plot(bowls[bowl_name](path).numpy(), ls="-" if bowl_name == list(bowls)[0] else ":",
                      color=f"C{methods.index(name)}", label=f"{name.split(',')[0]}, {bowl_name}")
    plotting.label(axes[-1], "step t", _LOSS, "loss", logy=True)
    plotting.legend(axes[0], fontsize="x-small")
    plotting.legend(axes[-1], fontsize="x-small")
    return fig


def applied_rates(rates: Mapping[str, np.ndarray], names: Sequence[str], *,
                  ceilings: Sequence[tuple[np.ndarray, str]] = (), jumps: bool = True,
                  reference: bool = False):
    """The applied rate per element (median and 10-90 % band) of the runs ``names`` against the step,
    with ``ceilings`` as black lines ``(curve, style)``; with ``jumps`` a second panel of each
    element's step-to-step change of rate; with ``reference`` a line ∝ t^(−1/2)."""
    fig, axes = plotting.subplots(2, height=3.6) if jumps else plotting.subplots(1, width=6.5, height=3.8)
    axes = list(np.atleast_1d(axes))
    steps = len(rates[names[0]])
    t = np.arange(1, steps + 1)
    for i, name in enumerate(names):
        A, color = rates[name], f"C{i}"
        lo, med, hi = np.nanpercentile(A, [10, 50, 90], axis=1)
        axes[0].plot(t, med, color=color, label=name)
        axes[0].fill_between(t, lo, hi, color=color, alpha=0.15, lw=0)
        if jumps:
            axes[1].plot(t[1:], np.nanmedian(np.abs(np.diff(np.log(A), axis=0)), axis=1), color=color, lw=1)
    for curve, style in ceilings:
        axes[0].plot(t, np.broadcast_to(curve, t.shape), "k" + style, lw=1)
    if reference:
        axes[0].plot(t, 1.0 / np.sqrt(t), "k:", lw=1, label=r"$\propto t^{-1/2}$")
    plotting.label(axes[0], "step t", r"applied rate $\eta_{\mathrm{eff}}$ (1)",
                   "median and 10–90 % of the elements", logx=True, logy=True)
    if jumps:
        plotting.label(axes[1], "step t", r"median $|\Delta \log \eta_{\mathrm{eff}}|$ per step (1)",
                       "step-to-step change of each element's rate", logx=True, logy=True)
    plotting.legend(axes[0], fontsize="x-small", outside=jumps)
    for ax in axes:
        ax.xaxis.set_minor_formatter(NullFormatter())
    return fig


def cycle(data: Mapping[str, Any]):
    """AdaDec's two forms on the axis-aligned bowl: paths, the steep coordinate with the predicted
    amplitude of the cycle (dotted), and the loss."""
    f, paths, amplitude = data["f"], data["paths"], data["amplitude"]
    fig, axes = plotting.subplots(3, height=3.3)
    plotting.contour(axes[0], f, BOWL.xlim, BOWL.ylim)
    for form, path in paths.items():
        plotting.trajectory(axes[0], path.numpy(), label=f"AdaDec, {form}")
        axes[1].plot(path[:, 1].numpy(), label=f"AdaDec, {form}")
        axes[2].plot(f(path).numpy(), label=f"AdaDec, {form}")
    t = np.arange(1, len(amplitude) + 1)
    axes[1].plot(t, amplitude, "k:", lw=1, label="predicted amplitude of the cycle")
    axes[1].plot(t, -amplitude, "k:", lw=1)
    plotting.label(axes[0], *_XY, "axis-aligned bowl")
    plotting.label(axes[1], "step t", "y, the steep coordinate (1)", "steep coordinate")
    plotting.label(axes[2], "step t", _LOSS, "loss", logy=True)
    plotting.legend(axes[0], fontsize="x-small")
    plotting.legend(axes[1], fontsize="x-small")
    return fig


def paths_loss_steps(paths: Mapping[Any, torch.Tensor], *, title: str, labels: Sequence[str] | None = None):
    """Paths on :data:`~optimlab.experiments.first_order.BOWL`, the loss and the step length along
    each (three panels); ``labels`` name the paths (default: their keys)."""
    labels = list(labels) if labels is not None else [str(k) for k in paths]
    fig, axes = plotting.subplots(3, height=3.3)
    plotting.contour(axes[0], BOWL.f, BOWL.xlim, BOWL.ylim)
    for name, path in zip(labels, paths.values()):
        plotting.trajectory(axes[0], path.numpy(), label=name)
        axes[1].plot(_loss(path), lw=1.2, label=name)
        axes[2].plot((path[1:] - path[:-1]).norm(dim=1).numpy(), lw=1.2, label=name)
    plotting.label(axes[0], *_XY, title)
    plotting.label(axes[1], "step t", _LOSS, "loss", logy=True)
    plotting.label(axes[2], "step t", r"step length $\|\theta_{t+1}-\theta_t\|$ (1)", "step length", logy=True)
    plotting.legend(axes[0], fontsize="x-small")
    return fig


def masked(data: Mapping[str, tuple[torch.Tensor, torch.Tensor]], *, phase: int):
    """RMSProp with y frozen for ``phase`` steps, three ways: paths, the average of y's squared
    gradient, and the steps of y."""
    fig, axes = plotting.subplots(3, height=3.3)
    plotting.contour(axes[0], BOWL.f, BOWL.xlim, BOWL.ylim)
    for (how, (path, avg)), color in zip(data.items(), ("C0", "C1", "C7")):
        plotting.trajectory(axes[0], path.numpy(), label=how, color=color)
        axes[1].plot(np.arange(1, len(avg) + 1), avg[:, 1].numpy(), color=color, label=how)
        axes[2].plot((path[1:, 1] - path[:-1, 1]).abs().numpy(), color=color, label=how)
    for ax in axes[1:]:
        ax.axvline(phase, color="grey", lw=1)
    plotting.label(axes[0], *_XY, "y frozen for the first steps")
    plotting.label(axes[1], "step t", r"$v$ of the y coordinate (1)", "the average of y", logy=True)
    plotting.label(axes[2], "step t", r"$|y_{t+1} - y_t|$ (1)", "steps of y", logy=True)
    plotting.legend(axes[0], fontsize="x-small")
    return fig


def regression(run):
    """Chapter 1's regression regimes (:func:`~optimlab.experiments.first_order.regression_regimes`)."""
    v = run.values
    return regimes(run.data, "excess_loss", r"excess loss $J(\theta)-J(\hat\theta)$", logy=True,
                   title=f"Linear regression, m = {v['reg_m']}, d = {v['reg_d']}, {v['reg_budget']:g} s per regime",
                   legend_title=f"α = {v['reg_lr']}")


def mnist_regimes(run):
    """Chapter 1's MNIST regimes (:func:`~optimlab.experiments.first_order.mnist_regimes`)."""
    v = run.values
    return regimes(run.data, "train_loss", "training cross-entropy (nats)", legend_title=f"α = {v['mnist_lr']}",
                   title=f"MLP 784-100-10 on {v['mnist_n']} MNIST images, {v['mnist_budget']:g} s per regime")
