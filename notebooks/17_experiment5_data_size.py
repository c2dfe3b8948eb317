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
# # Experiment 5: AdaMix with more data
#
# The last experiment (Fig. 8) trains AdaMix on 1/10, 3/10, 6/10 and all of MNIST: 6 000, 18 000,
# 36 000 and 60 000 training images, with 1 000 to 10 000 test images. The paper reports 7.81, 5.06,
# 4.06 and 3.56 after 50 iterations: more data, lower error and faster convergence. Each fraction
# needs its own pretraining (our subsets are nested: the 1/10 images are among the 3/10 ones), so
# this is the most expensive experiment of the paper: its compute grows with the data.

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
frame = replication.rerun("fig8", ch)
replication.rerun_figure("fig8", frame, setup)
plt.show()

# %% [markdown] tags=["caption"]
# Fig. 8 rerun: AdaMix's test RER against fine-tuning iterations for each fraction of the training
# data; crosses mark the paper's values.



# %%
replication.glue_all(replication.numbers("fig8", frame, setup))
replication.comparison_table(frame)

# %% [markdown]
# After the last iteration our AdaMix reaches {glue:text}`f1:.2f` on 1/10 (paper
# {glue:text}`p1:.2f`), {glue:text}`f3:.2f` on 3/10 ({glue:text}`p3:.2f`), {glue:text}`f6:.2f` on
# 6/10 ({glue:text}`p6:.2f`) and {glue:text}`f10:.2f` on all of MNIST ({glue:text}`p10:.2f`);
# {glue:text}`n_within` of the {glue:text}`n_rows` published values are within ±10 %. Does the error
# fall with every increase of the data, as in the paper? {glue:text}`monotone`. Fine-tuning on all
# of MNIST took {glue:text}`seconds_all:.3g` s. Note that an epoch over more data is also more
# updates: after {glue:text}`epochs` epochs the full-data run has taken {glue:text}`steps_all` steps
# against {glue:text}`steps_small` for the 1/10 run ({glue:text}`steps_ratio:.1f` times as many), so
# "more data" and "more optimization" are confounded here as they are in the paper.

# %% [markdown]
# ## Under the other readings
#
# This chapter's figures use the default readings of the paper's ambiguities (chapter 18 lists
# them: {ref}`the readings <readings>`). Run under the readings chapter 18 tests it with,
# {glue:text}`reading_note`.

# %%
glue("reading_note", replication.reading_note("fig8", ch))

# %% [markdown]
# AdaMix's final test RER on each fraction under each reading, the mean over its seeds with its
# Student-t confidence interval (chapter 18's level), below the paper's values:

# %%
table(replication.data_size(replication.claim_frame("fig8", ch)))
