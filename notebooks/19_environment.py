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

from optimbook import ledger, plotting
from optimbook.machine import describe, versions
from optimbook.plotting import glue
from optimbook.runtime import check_scale, matmul_gflops, resolve_device

check_scale(scale)
dev = resolve_device(device)
plotting.use_style()
machine = describe(dev)
pd.DataFrame({"value": {"scale": scale, **machine, **versions()}})

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
rates

# %% [markdown]
# The best fp32 matmul rate measured on {glue:text}`env_device` was
# {glue:text}`env_peak:.0f` GFLOP/s.
#
# ## Time per chapter

# %%
executed = Path("..") / "executed" / scale
seconds = ledger.notebook_seconds(executed)
timings = pd.DataFrame({"notebook": list(seconds), "seconds": list(seconds.values())})
glue("env_total_minutes", timings["seconds"].sum() / 60 if len(timings) else 0.0, display=False)
glue("env_chapters", len(timings), display=False)
if len(timings):
    fig, ax = plotting.subplots(1, height=0.3 * len(timings) + 1.2, width=7)
    ax.barh(timings["notebook"], timings["seconds"])
    ax.invert_yaxis()
    plotting.label(ax, "execution time (s)", "notebook", f"scale = {scale}")
    plt.show()
timings

# %% [markdown]
# The {glue:text}`env_chapters` notebooks executed before this one took
# {glue:text}`env_total_minutes:.1f` minutes together at this scale (papermill's own timing, kernel
# start included).
#
# ## The FLOP ledger of the paper-scale book
#
# How much floating-point work each chapter does at paper scale, counted from its models, data
# sizes and steps by `optimbook.ledger` (matrix products, and the element operations of the
# parameter updates; the conventions are in the module's documentation and are checked against
# PyTorch's FLOP counter on real runs). Work that chapters share through the results cache (a
# pretrained stack, a fine-tuning run) is paid by the first chapter that needs it: "TFLOP" is what a
# chapter does in a build from an empty cache, "TFLOP needed" what it would do alone. Beside it, the
# time of the last paper-scale build found here, the rate it achieved, and how far that is from the
# floor: the work at the peak rate measured above.

# %%
paper_build = Path("..") / "executed" / "paper"
built = ledger.notebook_seconds(paper_build)
book = ledger.table("paper", executed=paper_build, peak_gflops=peak)
total = book.set_index("chapter").loc["total"]
glue("ledger_tflop", total["TFLOP"], display=False)
glue("ledger_needed", total["TFLOP needed"], display=False)
glue("ledger_floor_minutes", total["floor s"] / 60, display=False)
if built:
    timed = book[book["chapter"] != "total"].dropna(subset=["seconds"])
    glue("ledger_status", f"The last paper-scale build here executed {len(built)} chapters in "
         f"{sum(built.values()) / 60:.1f} minutes, {timed['seconds'].sum() / timed['floor s'].sum():.1f} times "
         f"the floor of the chapters it timed.", display=False)
else:
    glue("ledger_status", "No paper-scale build exists on this machine (there is no executed/paper "
         "folder), so the table shows the work only; `make book` fills in the times.", display=False)
book.style.format({"TFLOP": "{:.3f}", "TFLOP needed": "{:.3f}", "matmul share": "{:.1%}", "seconds": "{:.1f}",
                   "GFLOP/s": "{:.1f}", "floor s": "{:.1f}", "× floor": "{:.1f}"}, na_rep="not run")

# %% [markdown]
# The paper-scale book does {glue:text}`ledger_tflop:.0f` TFLOP of work from an empty cache
# ({glue:text}`ledger_needed:.0f` TFLOP if no chapter reused another's runs), a floor of
# {glue:text}`ledger_floor_minutes:.1f` minutes at the peak rate measured above.
# {glue:text}`ledger_status` Chapters whose work is negligible (two-dimensional test functions,
# the small networks of chapter 6) or bounded by time rather than steps (chapter 1's races) are
# listed with a note: their time is spent on launching small operations and on Python, not on
# arithmetic.
