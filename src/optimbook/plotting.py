"""One figure style for the whole book, and the few plot helpers the chapters share.

Every chapter calls :func:`use_style` once and draws with these helpers, so the book's figures share
fonts, palette and sizes, and every axis carries a label with its unit. Needs matplotlib and seaborn
(the ``book`` extra); the rest of ``optimbook`` does not import this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

__all__ = [
    "glue",
    "use_style",
    "subplots",
    "label",
    "mean_band",
    "rer_curves",
    "contour",
    "trajectory",
]

#: Figure width in inches of a full-width figure.
WIDTH = 9.0


def glue(name: str, value: Any, display: bool = False) -> None:
    """``myst_nb.glue`` for the book's numbers: numpy and torch scalars become Python numbers first,
    so a format spec like ``{glue:text}`name:.2f``` works in the prose."""
    from myst_nb import glue as _glue

    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    _glue(name, value, display=display)


def use_style() -> None:
    """Apply the book's style (seaborn whitegrid, colour-blind palette, readable sizes)."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind", font_scale=0.95)
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "figure.autolayout": False,
            "figure.constrained_layout.use": True,
            "axes.titleweight": "bold",
            "legend.frameon": False,
            "lines.linewidth": 1.8,
        }
    )


def subplots(ncols: int = 1, nrows: int = 1, *, height: float = 3.4, width: float = WIDTH, **kw):
    """``plt.subplots`` sized for the book: the full width split over ``ncols`` panels."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height * nrows), squeeze=False, **kw)
    return fig, (axes[0, 0] if axes.size == 1 else axes.ravel())


def label(ax, x: str, y: str, title: str | None = None, *, logx: bool = False, logy: bool = False):
    """Label both axes (with units, e.g. ``"wall time (s)"``), set log scales and the title."""
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    return ax


def mean_band(
    ax,
    frame,
    *,
    x: str,
    y: str,
    hue: str,
    unit: str = "seed",
    order: Sequence[str] | None = None,
    palette: Any = None,
    marker: str | None = None,
):
    """Plot the mean of ``y`` against ``x`` per ``hue`` level, with a band from min to max over ``unit``.

    ``frame`` is a tidy pandas table (one row per run and x value). With one run per level this is a
    plain line.
    """
    levels = list(order) if order is not None else list(dict.fromkeys(frame[hue]))
    colors = sns.color_palette(palette, len(levels))
    for level, color in zip(levels, colors):
        sub = frame[frame[hue] == level]
        stats = sub.groupby(x)[y].agg(["mean", "min", "max", "count"]).reset_index()
        ax.plot(stats[x], stats["mean"], color=color, label=str(level), marker=marker)
        if (stats["count"] > 1).any():
            ax.fill_between(stats[x], stats["min"], stats["max"], color=color, alpha=0.2, lw=0)
    return ax


def contour(
    ax,
    f: Callable[[np.ndarray], np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    *,
    levels: int | Sequence[float] = 30,
    log: bool = True,
    n: int = 300,
):
    """Contour lines of a function of points (last dimension 2, as in :mod:`optimbook.landscapes`)
    on an ``n`` × ``n`` grid (log-spaced levels by default)."""
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    Z = np.asarray(f(np.stack([X, Y], axis=-1)))
    if log:
        Zp = Z - Z.min() + 1e-3
        lev = np.geomspace(Zp.min(), Zp.max(), levels if isinstance(levels, int) else len(levels))
        ax.contour(X, Y, Zp, levels=lev, cmap="Greys", linewidths=0.6, alpha=0.7)
    else:
        ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.6, alpha=0.7)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return ax


def trajectory(ax, path: np.ndarray, *, label: str | None = None, color=None, marker: str = "."):
    """Draw an optimizer's path (an array of points ``[steps, 2]``) with its start and end marked."""
    path = np.asarray(path)
    (line,) = ax.plot(path[:, 0], path[:, 1], marker=marker, ms=2.5, lw=1.2, label=label, color=color)
    ax.plot(*path[0], "o", color=line.get_color(), ms=5)
    ax.plot(*path[-1], "*", color=line.get_color(), ms=9)
    return line


def rer_curves(
    ax,
    frame,
    published=None,
    *,
    hue: str = "strategy",
    order: Sequence[str] | None = None,
    y: str = "test_rer",
    first_epoch: int = 1,
    published_epoch: int = 50,
):
    """He & Li's figures 4-8: test RER against fine-tuning iterations for every strategy.

    ``frame`` is a results table of :func:`optimbook.experiments.adamix.run` (mean and min-max band
    over seeds); ``published`` (optional) a table with ``strategy`` (or ``hue``) and ``test_rer``: the
    paper's values after ``published_epoch`` iterations, drawn as ✕ markers in each strategy's
    colour.
    Epochs before ``first_epoch`` are left out, as in the paper (which starts at 5).
    """
    shown = frame[frame["epoch"] >= first_epoch]
    levels = list(order) if order is not None else list(dict.fromkeys(shown[hue]))
    mean_band(ax, shown, x="epoch", y=y, hue=hue, order=levels, marker="o")
    if published is not None and len(published):
        colors = dict(zip(levels, sns.color_palette(None, len(levels))))
        for _, row in published.iterrows():
            if row[hue] in colors:
                ax.plot([published_epoch], [row["test_rer"]], marker="X", ms=9, mec="black", mew=0.6,
                        color=colors[row[hue]], ls="none")
        ax.plot([], [], marker="X", ls="none", color="0.5", mec="black",
                label=f"published (He & Li, {published_epoch} iterations)")
    label(ax, "fine-tuning iterations (epochs)", "test RER (squared error per image)")
    ax.legend(fontsize=8, ncol=2)
    return ax
