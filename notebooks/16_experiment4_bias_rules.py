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
# # Experiment 4: learning-rate rules for the biases
#
# The mirror image of experiment 3 (Fig. 7): the weights keep a constant rate and the biases get
# each of the six rules. For "Cons+AdaMix" the paper says the biases get "the learning rate of
# AdaMix's weight part", i.e. the per-element $\alpha(t)$ of eq. (16), not AdaMix's own bias rule;
# our {func}`~optimlab.experiments.adamix.strategy_rules` does the same (a param group with
# `role="weight"`). The paper finds the six close together (8.31 to 8.54) with the power rule
# slightly ahead, and reads this as support for giving biases a cheap power-decay rate.

# %% tags=["parameters"]
scale = "smoke"
device = "auto"
seed = 0

# %% tags=["setup"]
import matplotlib.pyplot as plt

from optimlab.presentation import replication
from optimlab.presentation.chapter import start
from optimlab.presentation.plotting import glue

ch = start(scale, device, seed)
setup = replication.adamix.SETUPS[scale]

# %%
frame = replication.rerun("fig7", ch)
replication.rerun_figure("fig7", frame, setup)
plt.show()

# %% [markdown] tags=["caption"]
# Fig. 7 rerun: test RER against fine-tuning iterations for the bias rules of Experiment 4; crosses
# mark the paper's values.



# %%
replication.glue_all(replication.numbers("fig7", frame, setup))
replication.comparison_table(frame)

# %% [markdown]
# Our final test RERs: Cons+Cons {glue:text}`ours_Cons_Cons:.2f`, Cons+Exp
# {glue:text}`ours_Cons_Exp:.2f`, Cons+Power {glue:text}`ours_Cons_Power:.2f`, Cons+AdaGrad
# {glue:text}`ours_Cons_AdaGrad:.2f`, Cons+AdaDec {glue:text}`ours_Cons_AdaDec:.2f`, Cons+AdaMix
# {glue:text}`ours_Cons_AdaMix:.2f`; {glue:text}`n_within` of {glue:text}`n_rows` are within ±10 %
# of the paper's. The six end within {glue:text}`spread:.3f` of each other (the paper's within
# {glue:text}`spread_paper:.2f`); ours from best to worst: {glue:text}`order_ours` (paper:
# {glue:text}`order_paper`). The biases are {glue:text}`n_biases` of the network's
# {glue:text}`n_params` parameters ({glue:text}`bias_share:.2%`), so one expects their rule to
# matter little, as the paper concludes; the spread above says how little it matters here.

# %% [markdown]
# ## Under the other readings
#
# This chapter's figures use the default readings of the paper's ambiguities (chapter 18 lists
# them: {ref}`the readings <readings>`). Run under the readings chapter 18 tests it with,
# {glue:text}`reading_note`.

# %%
glue("reading_note", replication.reading_note("fig7", ch))
