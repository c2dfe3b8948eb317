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

# %% tags=["setup"]
import matplotlib.pyplot as plt

from optimlab.presentation import replication
from optimlab.presentation.chapter import start
from optimlab.presentation.plotting import glue

ch = start(scale, device, seed)
setup = replication.adamix.SETUPS[scale]

# %%
frame = replication.rerun("fig5", ch)
replication.rerun_figure("fig5", frame, setup)
plt.show()

# %% [markdown] tags=["caption"]
# Fig. 5 rerun: test RER against fine-tuning iterations when the biases or the weights are frozen,
# with all three strategies (left) and without None+Cons (right); crosses mark the paper's values.


# %%
replication.glue_all(replication.numbers("fig5", frame, setup))
replication.comparison_table(frame)

# %% [markdown]
# All three strategies start from the same pretrained network, whose test RER is
# {glue:text}`start:.2f` before fine-tuning. After the last iteration: Cons+Cons
# {glue:text}`ours_Cons_Cons:.2f` (paper {glue:text}`published_Cons_Cons:.2f`,
# {glue:text}`rel_Cons_Cons:+.1f` %), Cons+None {glue:text}`ours_Cons_None:.2f`
# ({glue:text}`published_Cons_None:.2f`, {glue:text}`rel_Cons_None:+.1f` %) and None+Cons
# {glue:text}`ours_None_Cons:.2f` ({glue:text}`published_None_Cons:.2f`,
# {glue:text}`rel_None_Cons:+.1f` %). Training the biases alone {glue:text}`none_cons_direction` the
# error by {glue:text}`none_cons_change:.2f` from where it started.
#
# The paper's None+Cons value, {glue:text}`published_None_Cons:.2f`, is {glue:text}`none_cons_vs_start`
# the error our strategies start from ({glue:text}`start:.2f`). A network whose biases alone are
# fine-tuned cannot end worse than it started unless that training diverges; {glue:text}`none_cons_meaning`.
# The comparison above says whether our number matches.

# %% [markdown]
# ## Under the other readings
#
# This chapter's figures use the default readings of the paper's ambiguities (chapter 18 lists
# them: {ref}`the readings <readings>`). Run under the readings chapter 18 tests it with,
# {glue:text}`reading_note`.

# %%
glue("reading_note", replication.reading_note("fig5", ch))
