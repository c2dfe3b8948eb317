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
name = "fig8"
frame = adamix.run(name, scale=scale, seeds=(seed,), device=device)
frame["data"] = frame["data_fraction"].map(lambda f: f"{f:g} of MNIST ({setup.numbers(f)[0]:,} images)")
published = adamix.published(name)
published["data"] = published["data_fraction"].map(lambda f: f"{f:g} of MNIST ({setup.numbers(f)[0]:,} images)")
fig, ax = plotting.subplots(1, height=3.8, width=7.5)
plotting.rer_curves(ax, frame, published, hue="data")
ax.set_title("Fig. 8 rerun: AdaMix with more data")
plt.show()

# %% [markdown] tags=["caption"]
# Fig. 8 rerun: AdaMix's test RER against fine-tuning iterations for each fraction of the training
# data; crosses mark the paper's values.


# %%
compared = adamix.comparison(frame)
for key, value in adamix.summary(frame).items():
    glue(key, value)
final = frame[frame["epoch"] == setup.epochs].set_index("data_fraction")["test_rer"]
glue("monotone", "yes" if final.is_monotonic_decreasing else "no")
for fraction, value in final.items():
    glue(f"f{int(round(10 * fraction))}", value)
    glue(f"p{int(round(10 * fraction))}", adamix.EXPERIMENTS[name].published[("AdaMix", fraction)])
seconds = frame[frame["epoch"] == setup.epochs].set_index("data_fraction")["seconds"]
glue("seconds_all", seconds.max())
glue("epochs", setup.epochs)
table(compared, **tables.COMPARISON)

# %% [markdown]
# After the last iteration our AdaMix reaches {glue:text}`f1:.2f` on 1/10 (paper
# {glue:text}`p1:.2f`), {glue:text}`f3:.2f` on 3/10 ({glue:text}`p3:.2f`), {glue:text}`f6:.2f` on
# 6/10 ({glue:text}`p6:.2f`) and {glue:text}`f10:.2f` on all of MNIST ({glue:text}`p10:.2f`);
# {glue:text}`n_within` of the {glue:text}`n_rows` published values are within ±10 %. Does the error
# fall with every increase of the data, as in the paper? {glue:text}`monotone`. Fine-tuning on all
# of MNIST took {glue:text}`seconds_all:.0f` s. Note that an epoch over more data is also more
# updates: after {glue:text}`epochs` epochs the full-data run has taken ten times as many steps as the
# 1/10 run, so
# "more data" and "more optimization" are confounded here as they are in the paper.

# %% [markdown]
# ## Under the other readings
#
# This chapter's figures use the default readings of the paper's ambiguities (chapter 18 lists
# them: {ref}`the readings <readings>`). Run under the readings chapter 18 tests it with,
# {glue:text}`reading_note`.

# %%
from optimlab.experiments.adamix import report

glue("reading_note", report.reading_note(name, report.claim_frame(name, scale, device)))
