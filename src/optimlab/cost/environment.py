"""What chapter 19 (Environment and timings) shows, one function per table and its glued values.

Each function returns plain data (a pandas DataFrame, and a ``{glue name: value}`` dict for the
prose); the chapter formats the tables and draws the figures
(:mod:`optimlab.presentation.environment_figures`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from optimlab.cost import ledger
from optimlab.cost.machine import describe, peak_gflops, versions
from optimlab.runtime import check_scale, resolve_device

__all__ = [
    "FIVE",
    "FLOAT32_ROUNDING",
    "MATMUL_SIZES",
    "SELF",
    "chapter_times",
    "ledger_section",
    "machine_table",
    "matmul_rates",
    "scale_out",
    "scale_out_values",
    "schedule_section",
]

#: The matrix sizes of the matmul-rate sweep, by scale.
MATMUL_SIZES = {"smoke": (256, 512, 1024, 2048), "paper": (256, 512, 1024, 2048, 4096)}

#: This chapter's own notebook: its executed file, if any, is from its previous run.
SELF = "19_environment"

#: He & Li's five experiments (Exp. 1-5), as plan names.
FIVE = ("fig4", "fig5", "fig6", "fig7", "fig8")

#: The largest parameter difference that float32 rounding of reordered sums explains (float32
#: keeps about 7 significant digits).
FLOAT32_ROUNDING = 1e-5


def machine_table(scale: str, device: str | torch.device = "auto") -> pd.DataFrame:
    """The scale, the machine (:func:`~optimlab.cost.machine.describe`) and the software versions,
    one ``value`` per ``item``."""
    check_scale(scale)
    return pd.DataFrame({"value": {"scale": scale, **describe(device), **versions()}}).rename_axis("item")


def matmul_rates(scale: str, device: str | torch.device = "auto", repeats: int = 5
                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The fp32 matmul rate of each size of :data:`MATMUL_SIZES` (``size``, ``GFLOP/s``: each the
    :func:`~optimlab.cost.machine.peak_gflops` of that one size), and the glued values ``env_peak``
    (the best rate) and ``env_device`` (the GPU's name on CUDA, else the CPU's)."""
    check_scale(scale)
    dev = resolve_device(device)
    sizes = MATMUL_SIZES[scale]
    rates = pd.DataFrame({"size": sizes, "GFLOP/s": [peak_gflops(dev, sizes=(s,), repeats=repeats) for s in sizes]})
    machine = describe(dev)
    return rates, {"env_peak": float(rates["GFLOP/s"].max()),
                   "env_device": machine["GPU"] if dev.type == "cuda" else machine["CPU"]}


def chapter_times(executed: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """papermill's time of every chapter executed in ``executed`` but this one (``notebook``,
    ``seconds``, in book order), and the glued values ``env_total_minutes`` and ``env_chapters``."""
    seconds = {name: s for name, s in ledger.notebook_seconds(executed).items() if name != SELF}
    timings = pd.DataFrame({"notebook": list(seconds), "seconds": [float(s) for s in seconds.values()]})
    return timings, {"env_total_minutes": float(timings["seconds"].sum()) / 60, "env_chapters": len(timings)}


def ledger_section(scale: str, executed: str | Path, peak: float, device: str | torch.device = "auto"
                   ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The FLOP ledger of the chapters executed in ``executed`` (:func:`optimlab.cost.ledger.table`
    with the floor at ``peak`` GFLOP/s), and the glued values: the work of the shared AdaMix plans
    from the results cache (``ledger_plans_tflop``, ``ledger_plans_matmul``, ``ledger_plans_runs``,
    ``ledger_plans_cached``) and ``ledger_status``, the ledger's sentence on what it holds."""
    from optimlab.experiments.adamix import report, runner

    book = ledger.table(scale, executed=executed, peak_gflops=peak)
    plans = report.compute(*runner.book_plans(scale, device))
    return book, {
        "ledger_plans_tflop": float(plans["TFLOP"].sum()),
        "ledger_plans_matmul": float(plans["matmul TFLOP"].sum()),
        "ledger_plans_runs": int(plans["distinct runs"].sum()),
        "ledger_plans_cached": int(plans["cached"].sum()),
        "ledger_status": ledger.describe(book, ledger.kinds(scale, executed=executed)),
    }


def schedule_section(workers: int | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The lower bound (:func:`~optimlab.experiments.adamix.runner.schedule_bound`) on the time to
    make the paper-scale AdaMix runs over ``workers`` workers (default
    :func:`~optimlab.experiments.adamix.runner.default_workers` on the CPU): one row for He & Li's
    five experiments with one seed, one for the book's AdaMix runs; and the glued values
    ``sched_workers``, ``sched_five_tflop``, ``sched_five_chain``, ``sched_five_decides`` and
    ``sched_measured_note`` (the schedule the cache's runs were made in)."""
    from optimlab.experiments.adamix import runner

    workers = runner.default_workers("paper", resolve_device("cpu")) if workers is None else workers
    five = [runner.plan(name, "paper", (0,), "cpu") for name in FIVE]
    bounds = pd.DataFrame({
        "He & Li's five experiments, one seed": runner.schedule_bound(five, workers),
        "the book's AdaMix runs (chapters 12-18)": runner.schedule_bound(runner.book_plans("paper", "cpu"), workers),
    }).T.rename_axis(f"paper-scale runs, {workers} workers")
    chain = float(bounds.iloc[0]["longest chain / bound"])
    measured = runner.schedule_measured(five, workers)
    return bounds, {
        "sched_workers": workers,
        "sched_five_tflop": float(bounds.iloc[0]["TFLOP"]),
        "sched_five_chain": chain,
        "sched_five_decides": "the chain decides it, so more workers would not finish sooner"
        if chain >= 1 else "the work shared evenly decides it",
        "sched_measured_note": runner.describe_schedule(measured, workers, "the five experiments at paper scale"),
    }


def scale_out_values(frame: pd.DataFrame, world_size: int, steps: int,
                     rounding: float = FLOAT32_ROUNDING) -> dict[str, Any]:
    """The glued values of a :func:`~optimlab.training.distributed.compare_ddp_fsdp` ``frame``:
    its setting (``ddp_world``, ``ddp_steps``, ``ddp_count``), the largest differences (``ddp_max``,
    ``ddp_worst``, ``fsdp_max``), and sentences: ``ddp_verdict`` (rounding when the largest
    difference is below ``rounding``), ``fsdp_refused_note`` and ``dcp_note``."""
    trained = frame[frame["fsdp2"] == "trained"]
    refused = [n for n in frame.index if n not in trained.index]
    fsdp_max = float(trained["fsdp2_max_diff"].max()) if len(trained) else 0.0
    dcp_max = float(trained["dcp_max_diff"].max()) if len(trained) else math.nan
    worst = max(float(frame["ddp_max_diff"].max()), fsdp_max)
    return {
        "ddp_world": world_size,
        "ddp_steps": steps,
        "ddp_count": len(frame),
        "ddp_max": float(frame["ddp_max_diff"].max()),
        "ddp_worst": str(frame["ddp_max_diff"].idxmax()),
        "fsdp_max": fsdp_max,
        "dcp_note": "continued identically, to the last bit" if dcp_max == 0
        else f"continued within {dcp_max:.1e} of the original" if not math.isnan(dcp_max)
        else "was not checked (no optimizer trained under FSDP2)",
        "ddp_verdict": "float32 rounding, since the processes add the gradients in a different order"
        if worst < rounding else "more than float32 rounding would explain",
        "fsdp_refused_note": f"Under FSDP2, {', '.join(refused)} refused to run (the table gives the reason)."
        if refused else "Every optimizer trained under FSDP2.",
    }


def scale_out(steps: int = 5, world_size: int = 2) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every optimizer of the registry under DDP and FSDP2
    (:func:`~optimlab.training.distributed.compare_ddp_fsdp`), and its glued values
    (:func:`scale_out_values`)."""
    from optimlab.training.distributed import compare_ddp_fsdp

    frame = compare_ddp_fsdp(steps=steps, world_size=world_size).rename_axis("optimizer")
    return frame, scale_out_values(frame, world_size, steps)
