"""The figures of chapter 19 (Environment and timings), one function per figure, from plain data
(the DataFrames of :mod:`optimlab.cost.environment`; presentation and cost are one layer and do not
import each other)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from optimlab.presentation import plotting
from optimlab.presentation.plotting import glue

__all__ = ["chapter_times", "glue_all", "matmul_rates"]


from optimlab.presentation.plotting import glue_all  # noqa: E402,F401  (the one shared glue_all)


def matmul_rates(rates):
    """The measured fp32 matmul rate (``rates``: ``size``, ``GFLOP/s``) against the matrix size."""
    fig, ax = plotting.subplots(1, height=3.0, width=5.5)
    ax.plot(rates["size"], rates["GFLOP/s"], marker="o")
    plotting.label(ax, "matrix size n (n × n @ n × n)", "rate (GFLOP/s, fp32)", logx=True)
    return fig


def chapter_times(timings, scale: str, executed: str | Path):
    """One bar per notebook (``timings``: ``notebook``, ``seconds``), top to bottom in book order; a
    note instead when ``executed`` held none (a run outside the book build, e.g. on Colab)."""
    fig, ax = plotting.subplots(1, height=0.3 * max(len(timings), 1) + 1.2, width=7)
    if len(timings):
        ax.barh(timings["notebook"], timings["seconds"])
        ax.invert_yaxis()
    else:
        ax.text(0.5, 0.5, f"no executed notebooks in {executed}", ha="center", va="center", transform=ax.transAxes)
    plotting.label(ax, "execution time (s)", "notebook", f"scale = {scale}")
    return fig
