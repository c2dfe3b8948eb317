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

# %%
import matplotlib.pyplot as plt

from optimlab.presentation import plotting

from optimlab.presentation import tables
from optimlab.experiments import adamix
from optimlab.presentation.plotting import glue
from optimlab.presentation.tables import table
from optimlab.runtime import check_scale

check_scale(scale)
plotting.use_style()
setup = adamix.SETUPS[scale]
name = "fig7"
experiment = adamix.EXPERIMENTS[name]
frame = adamix.run(name, scale=scale, seeds=(seed,), device=device)
fig, ax = plotting.subplots(1, height=3.8, width=7.5)
plotting.rer_curves(ax, frame, adamix.published(name), order=[s.label for s in experiment.strategies])
ax.set_title("Fig. 7 rerun")
plt.show()

# %% [markdown] tags=["caption"]
# Fig. 7 rerun: test RER against fine-tuning iterations for the bias rules of Experiment 4; crosses
# mark the paper's values.


# %%
for key, value in adamix.summary(frame).items():
    glue(key, value)
final = frame[frame["epoch"] == setup.epochs]["test_rer"]
glue("spread", final.max() - final.min())
# The unrolled autoencoder: encoder and decoder weights, the biases of every layer but the input
# (encoder) and of every layer but the code (decoder).
sizes = setup.sizes
n_weights = 2 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
n_biases = sum(sizes[1:]) + sum(sizes[:-1])
glue("n_biases", f"{n_biases:,}")
glue("n_params", f"{n_weights + n_biases:,}")
glue("bias_share", n_biases / (n_weights + n_biases))
glue("spread_paper", max(adamix.EXPERIMENTS[name].published.values()) - min(adamix.EXPERIMENTS[name].published.values()))
table(adamix.comparison(frame), **tables.COMPARISON)

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
from optimlab.experiments.adamix import report

glue("reading_note", report.reading_note(name, report.claim_frame(name, scale, device)))
