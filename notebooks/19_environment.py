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
import json
import platform
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import torch

import optimbook
from optimbook import plotting
from optimbook.plotting import glue
from optimbook.runtime import check_scale, cpu_count, matmul_gflops, resolve_device

check_scale(scale)
dev = resolve_device(device)
plotting.use_style()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


versions = {"python": sys.version.split()[0], "torch": torch.__version__, "optimbook": optimbook.__version__}
for name in ["torchvision", "numpy", "pandas", "matplotlib", "seaborn", "papermill", "jupytext", "myst_nb"]:
    try:
        versions[name] = __import__(name).__version__
    except ImportError:
        versions[name] = "not installed"
machine = {
    "scale": scale,
    "device": str(dev),
    "GPU": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "none",
    "CPU": cpu_model(),
    "CPU cores available": cpu_count(),
    "torch threads": torch.get_num_threads(),
    "platform": platform.platform(),
}
pd.DataFrame({"value": {**machine, **versions}})

# %% [markdown]
# ## Measured matrix-multiply rate
#
# The rate of a dense fp32 matrix product is the ceiling for every experiment here: benchmarks
# report achieved FLOP rates against it.

# %%
sizes = [256, 512, 1024, 2048] if scale == "smoke" else [256, 512, 1024, 2048, 4096]
rates = pd.DataFrame({"size": sizes, "GFLOP/s": [matmul_gflops(s, device=dev, repeats=5) for s in sizes]})
glue("env_peak", rates["GFLOP/s"].max(), display=False)
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
rows = []
for path in sorted(executed.glob("[0-9][0-9]_*.ipynb")):
    meta = json.loads(path.read_text()).get("metadata", {}).get("papermill", {})
    if meta.get("duration") is not None:
        rows.append({"notebook": path.stem, "seconds": meta["duration"], "finished": meta.get("end_time")})
timings = pd.DataFrame(rows, columns=["notebook", "seconds", "finished"])
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
