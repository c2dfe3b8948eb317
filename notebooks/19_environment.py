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

# %% tags=["setup"]
from pathlib import Path

import matplotlib.pyplot as plt

from optimlab.cost import environment as env
from optimlab.presentation import environment_figures as figures
from optimlab.presentation.chapter import start
from optimlab.presentation.environment_figures import glue_all
from optimlab.presentation.tables import table

ch = start(scale, device)

# %%
table(env.machine_table(ch.scale, ch.device), caption="The machine and the software of this build.")

# %% [markdown]
# ## Measured matrix-multiply rate
#
# The rate of a dense fp32 matrix product is the ceiling for every experiment here: benchmarks
# report achieved FLOP rates against it.

# %%
rates, values = env.matmul_rates(ch.scale, ch.device)
glue_all(values)
figures.matmul_rates(rates)
plt.show()

# %% [markdown] tags=["caption"]
# The measured rate of a dense fp32 matrix product against the size of the square matrices.

# %%
table(rates, columns={"size": "matrix size n", "GFLOP/s": "rate (GFLOP/s, fp32)"}, formats={"GFLOP/s": "{:.1f}"})

# %% [markdown]
# The best fp32 matmul rate measured on {glue:text}`env_device` was
# {glue:text}`env_peak:.0f` GFLOP/s.
#
# ## Time per chapter

# %%
executed = Path("..") / "executed" / ch.scale
timings, values = env.chapter_times(executed)
glue_all(values)
figures.chapter_times(timings, ch.scale, executed)
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
book, values = env.ledger_section(ch.scale, executed, rates["GFLOP/s"].max(), ch.device)
glue_all(values)
table(book, keep=["chapter", "done", "reused", "cold", "needed", "matmul share"],
      formats={"done": "{:.3g}", "reused": "{:.3g}", "cold": "{:.3g}", "needed": "{:.3g}", "matmul share": "{:.1%}"},
      columns={"done": "TFLOP done", "reused": "TFLOP reused", "cold": "TFLOP cold", "needed": "TFLOP needed"},
      missing="not recorded (the chapter ran before runs recorded their work), or not defined (no work)",
      caption="The work of each chapter of this build, from its runs' records.")

# %%
table(book, keep=["chapter", "seconds", "GFLOP/s", "floor s", "× floor", "notes"],
      formats={"seconds": "{:.1f}", "GFLOP/s": "{:.1f}", "floor s": "{:.1f}", "× floor": "{:.1f}"},
      missing="not recorded (the chapter ran before runs recorded their work), or not defined (no work)",
      caption="The time of each chapter of this build beside its work: the rate achieved, and the floor "
              "(its work at the measured peak).")

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
bounds, values = env.schedule_section()
glue_all(values)
table(bounds, formats={"plans": "{:.0f}", "jobs": "{:.0f}", "TFLOP": "{:.0f}", "bound TFLOP": "{:.0f}",
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
scale_out, values = env.scale_out(steps=5, world_size=2)
glue_all(values)
table(scale_out,
      columns={"ddp_max_diff": "DDP: largest difference", "fsdp2_max_diff": "FSDP2: largest difference",
               "fsdp2": "FSDP2", "dcp_max_diff": "checkpoint: largest difference"},
      formats={"ddp_max_diff": "{:.1e}", "fsdp2_max_diff": "{:.1e}", "dcp_max_diff": "{:.1e}"},
      missing="the optimizer refused FSDP2",
      caption=f"The largest absolute difference of any parameter from the single-process run after "
              f"{values['ddp_steps']} steps, and between the FSDP2 optimizer and its reloaded checkpoint.")

# %% [markdown]
# With {glue:text}`ddp_world` processes and after {glue:text}`ddp_steps` steps, the
# {glue:text}`ddp_count` optimizers under DDP differ from the
# single process by at most {glue:text}`ddp_max:.1e` (largest for {glue:text}`ddp_worst`), and under
# FSDP2 by at most {glue:text}`fsdp_max:.1e`: {glue:text}`ddp_verdict`.
# {glue:text}`fsdp_refused_note` An optimizer restored from its FSDP2 checkpoint
# {glue:text}`dcp_note`.
