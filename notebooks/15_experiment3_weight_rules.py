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
# # Experiment 3: learning-rate rules for the weights
#
# With the biases on a constant rate, the third experiment (Fig. 6) gives the weights six rules:
# constant, exponential (Exp), power (Power), AdaGrad, AdaDec and the weight part of AdaMix. The
# paper reports that the three per-parameter ("全参数") rules beat the three simple ones, AdaMix's
# weight rule most of all: Cons 8.37, Exp 8.67, Power 8.38, AdaGrad 8.28, AdaDec 8.10, AdaMix 7.88.
#
# The paper gives no constants for its exponential and power rules. The power rule is the paper's
# own $p(t) = \eta_0(1 + t/R)^{-q}$ with $q = 0.75$ (eq. (15)), which falls to
# $2^{-0.75}\eta_0 \approx 0.59\,\eta_0$ at the end of the run. For the exponential rule,
# $\eta(t) = \eta_0 r^{t/R}$, we choose $r = 0.1$: the rate falls by one order of magnitude over the
# run, the customary total decay of an exponential schedule, which makes Exp clearly different from
# Power. Both are kept fixed in every experiment; an ablation below shows what $r$ does.

# %% tags=["parameters"]
scale = "smoke"
device = "auto"
seed = 0

# %% tags=["setup"]
import matplotlib.pyplot as plt

from optimlab.presentation import replication
from optimlab.presentation.chapter import start
from optimlab.presentation.plotting import glue
from optimlab.presentation.tables import table

ch = start(scale, device, seed)
setup = replication.adamix.SETUPS[scale]

# %%
frame = replication.rerun("fig6", ch)
replication.rerun_figure("fig6", frame, setup)
plt.show()

# %% [markdown] tags=["caption"]
# The simple weight rules of Experiment 3: their learning rate against the iterations (left) and
# the Fig. 6 rerun, test RER per strategy with the paper's values as crosses (right).

# %%
replication.glue_all(replication.numbers("fig6", frame, setup))
replication.comparison_table(frame)

# %% [markdown]
# Our final test RERs: Cons+Cons {glue:text}`ours_Cons_Cons:.2f`, Exp+Cons
# {glue:text}`ours_Exp_Cons:.2f`, Power+Cons {glue:text}`ours_Power_Cons:.2f`, AdaGrad+Cons
# {glue:text}`ours_AdaGrad_Cons:.2f`, AdaDec+Cons {glue:text}`ours_AdaDec_Cons:.2f`, AdaMix+Cons
# {glue:text}`ours_AdaMix_Cons:.2f` ({glue:text}`n_within` of {glue:text}`n_rows` within ±10 % of the
# paper). From best to worst: {glue:text}`order_ours` (paper: {glue:text}`order_paper`). Is every
# per-parameter rule better than every simple rule, as the paper finds?
# {glue:text}`adaptive_all_better`; the best simple rule ends at {glue:text}`best_simple:.2f`, the
# best per-parameter rule at {glue:text}`best_adaptive:.2f`.
#
# ## How much the exponential rule's constant matters

# %%
ablation, exp_numbers = replication.exp_rate_ablation(ch)
replication.bar_figure(ablation, f"test RER after {setup.epochs} epochs")
plt.show()

# %% [markdown] tags=["caption"]
# The test RER of Exp+Cons at the end of the run under each reading of the exponential rule.

# %%
replication.glue_all(exp_numbers)
table(ablation)

# %% [markdown]
# Across these three choices of $r$ the final error of Exp+Cons varies by
# {glue:text}`exp_spread:.3f`.

# %% [markdown]
# ## Under the other readings
#
# This chapter's figures use the default readings of the paper's ambiguities (chapter 18 lists
# them: {ref}`the readings <readings>`). Run under the readings chapter 18 tests it with,
# {glue:text}`reading_note`.

# %%
glue("reading_note", replication.reading_note("fig6", ch))
