# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Environment and timings
#
# The machine, the software and the time each chapter took in the build you are reading. It is
# executed last, after every other notebook of the same scale, and reads their execution times
# from the executed notebooks papermill wrote.

# %% tags=["parameters"]
scale = "smoke"
device = "auto"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from optimlab.cost import ledger

from optimlab.presentation import plotting
from optimlab.training.distributed import compare_ddp_fsdp
from optimlab.cost.machine import describe, versions
from optimlab.presentation.plotting import glue
from optimlab.runtime import check_scale, matmul_gflops, resolve_device
from optimlab.presentation.tables import table

check_scale(scale)
dev = resolve_device(device)
plotting.use_style()
machine = describe(dev)
table(pd.DataFrame({"value": {"scale": scale, **machine, **versions()}}).rename_axis("item"),
      caption="The machine and the software of this build.")

# %% [markdown]
# ## Measured matrix-multiply rate
#
# The rate of a dense fp32 matrix product is the ceiling for every experiment here: benchmarks
# report achieved FLOP rates against it.

# %%
sizes = [256, 512, 1024, 2048] if scale == "smoke" else [256, 512, 1024, 2048, 4096]
rates = pd.DataFrame({"size": sizes, "GFLOP/s": [matmul_gflops(s, device=dev, repeats=5) for s in sizes]})
peak = rates["GFLOP/s"].max()
glue("env_peak", peak, display=False)
glue("env_device", machine["GPU"] if dev.type == "cuda" else machine["CPU"], display=False)
fig, ax = plotting.subplots(1, height=3.0, width=5.5)
ax.plot(rates["size"], rates["GFLOP/s"], marker="o")
plotting.label(ax, "matrix size n (n × n @ n × n)", "rate (GFLOP/s, fp32)", logx=True)
plt.show()

# %% [markdown] tags=["caption"]
# The measured rate of a dense fp32 matrix product against the size of the square matrices.

# %%
table(rates, columns={"size": "matrix size n", "GFLOP/s": "rate (GFLOP/s, fp32)"},
      formats={"GFLOP/s": "{:.1f}"})

# %% [markdown]
# The best fp32 matmul rate measured on {glue:text}`env_device` was
# {glue:text}`env_peak:.0f` GFLOP/s.
#
# ## Time per chapter

# %%
executed = Path("..") / "executed" / scale
# the other chapters (this notebook's own file, if any, is from its previous run)
seconds = {name: s for name, s in ledger.notebook_seconds(executed).items() if name != "19_environment"}
timings = pd.DataFrame({"notebook": list(seconds), "seconds": list(seconds.values())})
glue("env_total_minutes", timings["seconds"].sum() / 60 if len(timings) else 0.0, display=False)
glue("env_chapters", len(timings), display=False)
fig, ax = plotting.subplots(1, height=0.3 * max(len(timings), 1) + 1.2, width=7)
if len(timings):
    ax.barh(timings["notebook"], timings["seconds"])
    ax.invert_yaxis()
else:  # run outside the book build (e.g. on Colab): no executed notebooks to read
    ax.text(0.5, 0.5, f"no executed notebooks in {executed}", ha="center", va="center",
            transform=ax.transAxes)
plotting.label(ax, "execution time (s)", "notebook", f"scale = {scale}")
plt.show()

# %% [markdown] tags=["caption"]
# The execution time of each notebook of this build at this scale, as papermill measured it.

# %%
table(timings, formats={"seconds": "{:.1f}"}, columns={"seconds": "execution time (s)"})

# %% [markdown]
# The {glue:text}`env_chapters` notebooks executed before this one took
# {glue:text}`env_total_minutes:.1f` minutes together at this scale (papermill's own timing, kernel
# start included).
#
# ## The FLOP ledger of this build
#
# How much floating-point work each chapter of this build did, summed from the records its runs
# left. Every training run counts its own work once, by the closed forms of
# {mod}`optimlab.training.flops` (matrix products, and the element operations of the parameter
# updates; the conventions are in the module's documentation and are checked against PyTorch's FLOP
# counter on real runs), and a run read from the results cache brings the count its maker recorded.
# Executing a chapter stores its record in the executed notebook, beside papermill's time, and
# {mod}`optimlab.cost.ledger` sums them. "done" is the work a chapter did in this build (a cached run
# counts in the chapter that made it), "reused" the cached runs it read instead, "cold" its work in
# a build from an empty cache (its own runs and the cached runs no earlier chapter touched), and
# "needed" its work alone (done plus reused). The rate and the floor compare "done" with the
# chapter's time: the floor is that work at the peak rate measured above.

# %%
from optimlab.experiments.adamix import report, runner

book = ledger.table(scale, executed=executed, peak_gflops=peak)
plans = report.compute(*runner.book_plans(scale, dev))
glue("ledger_plans_tflop", float(plans["TFLOP"].sum()), display=False)
glue("ledger_plans_matmul", float(plans["matmul TFLOP"].sum()), display=False)
glue("ledger_plans_runs", int(plans["distinct runs"].sum()), display=False)
glue("ledger_plans_cached", int(plans["cached"].sum()), display=False)
glue("ledger_status", ledger.describe(book, ledger.kinds(scale, executed=executed)), display=False)
table(book, formats={"done": "{:.3g}", "reused": "{:.3g}", "cold": "{:.3g}", "needed": "{:.3g}",
                     "matmul share": "{:.1%}", "seconds": "{:.1f}", "GFLOP/s": "{:.1f}", "floor s": "{:.1f}",
                     "× floor": "{:.1f}"},
      columns={"done": "TFLOP done", "reused": "TFLOP reused", "cold": "TFLOP cold", "needed": "TFLOP needed"},
      missing="not recorded (the chapter ran before runs recorded their work), or not defined (no work)",
      caption="The work of each chapter of this build, from its runs' records, beside its time.")

# %% [markdown]
# {glue:text}`ledger_status`
#
# The same records, read from the results cache instead of from the chapters, give the work of the
# AdaMix plans the chapters share (`runner.book_plans`: Exp. 1-5, the replication report's runs under
# every reading and seed, and the comparison with newer optimizers; not the chapters' small
# ablations, which are in the chapters' totals only): {glue:text}`ledger_plans_tflop:.3g` TFLOP in
# {glue:text}`ledger_plans_runs` distinct fine-tunings and their pretrained stacks
# ({glue:text}`ledger_plans_cached` of these runs are in the cache; the closed forms count the
# others), of which {glue:text}`ledger_plans_matmul:.3g` TFLOP are matrix products. Work that no run
# records is not in the ledger: the matrix-product rate measured above, and the chapters' paths on
# two-dimensional functions, whose time goes to launching small operations and to Python rather
# than to arithmetic.

# %% [markdown]
# ## How the runs are scheduled
#
# The AdaMix chapters' runs are jobs of a plan: one pretraining per RBM stack, one fine-tuning per
# strategy, data fraction, seed and reading, each with its cache key. On the CPU, `execute` spreads a
# plan over one single-threaded worker per core: a fine-tuning starts as soon as its stack is
# pretrained, and a free worker takes the ready job of highest priority, where a pretraining's
# priority is its length plus that of its longest fine-tuning, so the longest chain (all of MNIST,
# Exp. 5) starts first and the short runs fill the cores at the end. Every job has the same number of
# threads whatever runs beside it, so its numbers do not depend on the schedule.
#
# No schedule of these jobs can finish before the larger of two bounds: the whole work shared evenly
# by the workers, and the longest chain of a pretraining and one of its fine-tunings, which no number
# of workers shortens. The table gives both for the paper-scale runs over
# {glue:text}`sched_workers` workers (`runner.default_workers`: one per core of this machine, unless
# `$OPTIMBOOK_WORKERS` says otherwise), in the work the ledger counts: each job's matrix products,
# every job at one rate.

# %%
sched_workers = runner.default_workers("paper", resolve_device("cpu"))
five = [runner.plan(name, "paper", (0,), "cpu") for name in ("fig4", "fig5", "fig6", "fig7", "fig8")]
bounds = pd.DataFrame({"He & Li's five experiments, one seed": runner.schedule_bound(five, sched_workers),
                       "the book's AdaMix runs (chapters 12-18)": runner.schedule_bound(
                           runner.book_plans("paper", "cpu"), sched_workers)}).T
measured = runner.schedule_measured(five, sched_workers)
glue("sched_workers", sched_workers, display=False)
glue("sched_five_tflop", float(bounds.iloc[0]["TFLOP"]), display=False)
glue("sched_five_chain", float(bounds.iloc[0]["longest chain / bound"]), display=False)
glue("sched_five_decides", "the chain decides it, so more workers would not finish sooner"
     if bounds.iloc[0]["longest chain / bound"] >= 1 else "the work shared evenly decides it", display=False)
glue("sched_measured_note", runner.describe_schedule(measured, sched_workers, "the five experiments at paper scale"),
     display=False)
table(bounds.rename_axis(f"paper-scale runs, {sched_workers} workers"),
      formats={"plans": "{:.0f}", "jobs": "{:.0f}", "TFLOP": "{:.0f}", "bound TFLOP": "{:.0f}",
               "longest chain / bound": "{:.2f}"},
      columns={"TFLOP": "work (TFLOP)", "bound TFLOP": "lower bound (TFLOP per worker)"},
      caption="The lower bound on the time to make the paper-scale AdaMix runs as one schedule, in their "
              "counted matrix-product work: the larger of the work shared evenly and the longest chain.")

# %% [markdown]
# He & Li's five experiments at paper scale are {glue:text}`sched_five_tflop:.0f` TFLOP of matrix
# products; their longest chain is {glue:text}`sched_five_chain:.2f` of the bound, so
# {glue:text}`sched_five_decides`.
#
# {glue:text}`sched_measured_note`

# %% [markdown]
# ## Scale-out: DDP and FSDP2
#
# Every optimizer of the package is meant to run unchanged under data parallelism. The check below
# ({func}`optimlab.training.distributed.compare_ddp_fsdp`) starts several processes on the CPU (the gloo
# backend) and trains the same small network with every optimizer of the registry three
# ways: in one process on the full batch, under `DistributedDataParallel` with each process on its
# share of the batch, and under FSDP2 (`fully_shard`, the parameters sharded across the processes).
# Since the loss is a mean over equal shares, the averaged gradient is the full batch's, so the three
# runs should agree to float32 rounding. It also saves each FSDP2 optimizer's state with
# `torch.distributed.checkpoint`, loads it into a fresh optimizer and checks that both continue
# identically.

# %%
ddp_world, ddp_steps = 2, 5
scale_out = compare_ddp_fsdp(steps=ddp_steps, world_size=ddp_world)
trained = scale_out[scale_out["fsdp2"] == "trained"]
refused = [n for n in scale_out.index if n not in trained.index]
glue("ddp_world", ddp_world, display=False)
glue("ddp_steps", ddp_steps, display=False)
glue("ddp_count", len(scale_out), display=False)
glue("ddp_max", float(scale_out["ddp_max_diff"].max()), display=False)
glue("ddp_worst", str(scale_out["ddp_max_diff"].idxmax()), display=False)
glue("fsdp_max", float(trained["fsdp2_max_diff"].max()) if len(trained) else 0.0, display=False)
dcp_max = float(trained["dcp_max_diff"].max()) if len(trained) else float("nan")
glue("dcp_note", "continued identically, to the last bit" if dcp_max == 0
     else f"continued within {dcp_max:.1e} of the original" if dcp_max == dcp_max
     else "was not checked (no optimizer trained under FSDP2)", display=False)
worst = max(float(scale_out["ddp_max_diff"].max()), float(trained["fsdp2_max_diff"].max()) if len(trained) else 0.0)
# float32 keeps about 7 significant digits: differences of that order are the reordered sums
glue("ddp_verdict", "float32 rounding, since the processes add the gradients in a different order"
     if worst < 1e-5 else "more than float32 rounding would explain", display=False)
glue("fsdp_refused_note", f"Under FSDP2, {', '.join(refused)} refused to run (the table gives the reason)."
     if refused else "Every optimizer trained under FSDP2.", display=False)
table(scale_out.rename_axis("optimizer"),
      columns={"ddp_max_diff": "DDP: largest difference", "fsdp2_max_diff": "FSDP2: largest difference",
               "fsdp2": "FSDP2", "dcp_max_diff": "checkpoint: largest difference"},
      formats={"ddp_max_diff": "{:.1e}", "fsdp2_max_diff": "{:.1e}", "dcp_max_diff": "{:.1e}"},
      missing="the optimizer refused FSDP2",
      caption=f"The largest absolute difference of any parameter from the single-process run after "
              f"{ddp_steps} steps, and between the FSDP2 optimizer and its reloaded checkpoint.")

# %% [markdown]
# With {glue:text}`ddp_world` processes and after {glue:text}`ddp_steps` steps, the
# {glue:text}`ddp_count` optimizers under DDP differ from the
# single process by at most {glue:text}`ddp_max:.1e` (largest for {glue:text}`ddp_worst`), and under
# FSDP2 by at most {glue:text}`fsdp_max:.1e`: {glue:text}`ddp_verdict`.
# {glue:text}`fsdp_refused_note` An optimizer restored from its FSDP2 checkpoint
# {glue:text}`dcp_note`.
