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
# # Experiment 2: what the weights and the biases each contribute
#
# Before comparing learning-rate rules for weights and biases separately, He and Li ask how much
# each kind of parameter matters (§2.1, Exp. 2, Fig. 5). Starting from the constant rate for both
# (Cons+Cons), they freeze the biases (Cons+None: learning rate zero for the biases) or the weights
# (None+Cons). Their result: freezing the biases costs little (9.09 against 8.37 after 50
# iterations, and "more iterations would close the gap"), while training the biases alone leaves the
# error "at a very high level" (51.40). Their reading: on high-dimensional data such as 784-pixel
# images, the weights decide convergence and the role of the biases is weakened. The notation
# "X+Y" is "rule X for the weights + rule Y for the biases"
# ({class}`~optimbook.optim.per_role.PerRole`; None means frozen).

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
name = "fig5"
experiment = adamix.EXPERIMENTS[name]
frame = adamix.run(name, scale=scale, seeds=(seed,), device=device)
fig, axes = plotting.subplots(2, height=3.6)
plotting.rer_curves(axes[0], frame, adamix.published(name), order=[s.label for s in experiment.strategies])
axes[0].set_title("Fig. 5 rerun")
plotting.rer_curves(axes[1], frame[frame["strategy"] != "None+Cons"],
                    adamix.published(name).query("strategy != 'None+Cons'"))
axes[1].set_title("without None+Cons")
plt.show()

# %% [markdown] tags=["caption"]
# Fig. 5 rerun: test RER against fine-tuning iterations when the biases or the weights are frozen,
# with all three strategies (left) and without None+Cons (right); crosses mark the paper's values.


# %%
for key, value in adamix.summary(frame).items():
    glue(key, value)
start = frame[frame["epoch"] == 0]["test_rer"].iloc[0]
glue("start", start)
published_none_cons = adamix.EXPERIMENTS[name].published[("None+Cons", 0.1)]
glue("none_cons_vs_start", "above" if published_none_cons > start else "not above")
glue("none_cons_drop", start - frame[(frame["strategy"] == "None+Cons") & (frame["epoch"] == setup.epochs)]["test_rer"].item())
table(adamix.comparison(frame), **tables.COMPARISON)

# %% [markdown]
# All three strategies start from the same pretrained network, whose test RER is
# {glue:text}`start:.2f` before fine-tuning. After the last iteration: Cons+Cons
# {glue:text}`ours_Cons_Cons:.2f` (paper {glue:text}`published_Cons_Cons:.2f`,
# {glue:text}`rel_Cons_Cons:+.1f` %), Cons+None {glue:text}`ours_Cons_None:.2f`
# ({glue:text}`published_Cons_None:.2f`, {glue:text}`rel_Cons_None:+.1f` %) and None+Cons
# {glue:text}`ours_None_Cons:.2f` ({glue:text}`published_None_Cons:.2f`,
# {glue:text}`rel_None_Cons:+.1f` %). Training the biases alone lowers the error by
# {glue:text}`none_cons_drop:.2f` from where it started.
#
# The paper's None+Cons value, {glue:text}`published_None_Cons:.2f`, is {glue:text}`none_cons_vs_start`
# the error our strategies start from ({glue:text}`start:.2f`). A network whose biases alone are
# fine-tuned cannot end worse than it started unless that training diverges, so a published value
# above our starting error means the paper's None+Cons run started from a different network (for
# instance, not pretrained, or not unrolled with the visible biases), or that its "None" meant
# something other than a zero learning rate. We cannot tell which from the text; the comparison
# above says whether our number matches.

# %% [markdown]
# ## Under the other readings
#
# This chapter's figures use the default readings of the paper's ambiguities (chapter 18 lists
# them: {ref}`the readings <readings>`). Run under the readings chapter 18 tests it with,
# {glue:text}`reading_note`.

# %%
from optimlab.experiments.adamix import report

glue("reading_note", report.reading_note(name, report.claim_frame(name, scale, device)))
