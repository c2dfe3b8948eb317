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
# # Replication report
#
# This chapter collects the reruns of chapters 12-17: all 23 published reconstruction errors of
# He and Li {cite}`he2016adamix` beside ours, the spread between training seeds where we ran
# several, whether AdaMix beats the other strategies by more than that spread, and what newer
# optimizers do on the same task. The settings are the paper's where it gives them and Hinton and
# Salakhutdinov's {cite}`hinton2006reducing` where it does not (chapter 12); nothing was tuned to
# approach the published numbers.

# %% tags=["parameters"]
scale = "smoke"
device = "auto"

# %%
import matplotlib.pyplot as plt
import pandas as pd

from optimbook import plotting
from optimbook.experiments import adamix
from optimbook.plotting import glue
from optimbook.runtime import check_scale
from optimbook.stats import mean_interval

check_scale(scale)
plotting.use_style()
setup = adamix.SETUPS[scale]
cfg = {"smoke": dict(seeds=(0, 1)), "paper": dict(seeds=(0, 1, 2, 3, 4))}[scale]
glue("scale", scale)
glue("n_seeds", len(cfg["seeds"]))

# %% [markdown]
# ## All 23 published values
#
# One run per strategy (seed 0), the last of 50 fine-tuning iterations, test images. A value
# "matches" when ours is within ±10 % of the published one.

# %%
names = ["fig4", "fig5", "fig6", "fig7", "fig8"]
frames = {n: adamix.run(n, scale=scale, seeds=(0,), device=device) for n in names}
table = pd.concat([adamix.comparison(f) for f in frames.values()], ignore_index=True)
table["within 10 %"] = table["relative_difference"].abs() <= 0.10
glue("n_within", int(table["within 10 %"].sum()))
glue("n_total", len(table))
glue("n_below", int((table["relative_difference"] < -0.10).sum()))
glue("n_above", int((table["relative_difference"] > 0.10).sum()))
glue("median_rel", 100 * float(table["relative_difference"].median()))
fig, axes = plotting.subplots(2, height=4.0)
lim = [0, max(table["published"].max(), table["ours"].max()) * 1.05]
for name, sub in table.groupby("experiment", sort=False):
    axes[0].scatter(sub["published"], sub["ours"], label=name, s=30)
axes[0].plot(lim, lim, color="0.3", lw=0.8)
axes[0].fill_between(lim, [0.9 * v for v in lim], [1.1 * v for v in lim], color="0.85", zorder=0)
plotting.label(axes[0], "published test RER", "our test RER", "all 23 values (band: ±10 %)")
axes[0].legend(fontsize=8)
close = table[table["published"] < 20]
for name, sub in close.groupby("experiment", sort=False):
    axes[1].scatter(sub["published"], sub["ours"], label=name, s=30)
lim2 = [min(close["published"].min(), close["ours"].min()) * 0.95, max(close["published"].max(), close["ours"].max()) * 1.05]
axes[1].plot(lim2, lim2, color="0.3", lw=0.8)
axes[1].fill_between(lim2, [0.9 * v for v in lim2], [1.1 * v for v in lim2], color="0.85", zorder=0)
plotting.label(axes[1], "published test RER", "our test RER", "zoom: published below 20")
plt.show()
table.style.format({"published": "{:.2f}", "ours": "{:.2f}", "relative_difference": "{:+.1%}"})

# %% [markdown]
# At {glue:text}`scale` scale, {glue:text}`n_within` of the {glue:text}`n_total` published values
# are matched within ±10 %; {glue:text}`n_below` of ours are more than 10 % lower and
# {glue:text}`n_above` more than 10 % higher (median relative difference
# {glue:text}`median_rel:+.1f` %). The chapters of each experiment discuss their rows; the largest
# single gap is Exp. 2's None+Cons, whose published value lies above the error every strategy
# starts from (chapter 14).
#
# ## Seeds: is the ranking beyond noise?
#
# A seed fixes the pretraining (initial weights, contrastive-divergence samples) and the order of
# the fine-tuning mini-batches; the 1/10 data subset stays the same. For every seed all strategies
# fine-tune the same pretrained network, so differences between strategies are paired.

# %%
seeds = cfg["seeds"]
fig4 = adamix.run("fig4", scale=scale, seeds=seeds, device=device)
final = fig4[fig4["epoch"] == setup.epochs].pivot(index="seed", columns="strategy", values="test_rer")
rows = []
for label in final.columns:
    mean, low, high = mean_interval(final[label])
    rows.append({"strategy": label, "mean": mean, "95% low": low, "95% high": high,
                 "published": adamix.EXPERIMENTS["fig4"].published[(label, 0.1)]})
seed_table = pd.DataFrame(rows).set_index("strategy")
rank = seed_table["mean"].rank().astype(int)
glue("mix_rank", int(rank["AdaMix"]))
glue("mix_mean", seed_table.loc["AdaMix", "mean"])
glue("paper_rank", int(seed_table["published"].rank().astype(int)["AdaMix"]))
seconds = fig4[fig4["epoch"] == setup.epochs].groupby("strategy")["seconds"].mean()
order = list(adamix.PUBLISHED_SECONDS)
glue("ratios_ours", " : ".join(f"{seconds[s] / seconds['Cons']:.2f}" for s in order))
glue("ratios_paper", " : ".join(f"{adamix.PUBLISHED_SECONDS[s] / adamix.PUBLISHED_SECONDS['Cons']:.2f}"
                                for s in order))
glue("mix_cost", "cheaper" if seconds["AdaMix"] < seconds["AdaGrad"] else "not cheaper")
paired = []
for label in final.columns:
    if label == "AdaMix":
        continue
    diff = final["AdaMix"] - final[label]
    mean, low, high = mean_interval(diff)
    verdict = ("AdaMix better" if high < 0 else "AdaMix worse" if low > 0 else "no difference beyond noise")
    paired.append({"AdaMix minus": label, "mean": mean, "95% low": low, "95% high": high, "verdict": verdict})
    glue(f"verdict_{label}", verdict)
    glue(f"diff_{label}", mean)
paired = pd.DataFrame(paired).set_index("AdaMix minus")
fig, ax = plotting.subplots(1, height=3.8, width=7.5)
plotting.rer_curves(ax, fig4, adamix.published("fig4"), order=list(final.columns))
ax.set_title(f"Fig. 4 over {len(seeds)} seeds (band: min to max)")
plt.show()
display_tables = (seed_table.style.format("{:.3f}"), paired.style.format({c: "{:+.3f}" for c in ["mean", "95% low", "95% high"]}))
display_tables[0]

# %%
display_tables[1]

# %%
info = adamix.run_info("fig4", scale=scale, seeds=seeds, device=device)
glue("seeds_hours", (info["wall_seconds"].sum()
                     + info.drop_duplicates(["seed"])["pretraining_seconds"].sum()) / 3600)
glue("seeds_device", ", ".join(sorted(set(info["device"]))))
glue("seeds_replicas", int(info["replicas"].max()))
info

# %% [markdown]
# Over {glue:text}`n_seeds` seeds, AdaMix's final test RER differs from Cons by
# {glue:text}`diff_Cons:+.3f` on average ({glue:text}`verdict_Cons`), from AdaGrad by
# {glue:text}`diff_AdaGrad:+.3f` ({glue:text}`verdict_AdaGrad`) and from AdaDec by
# {glue:text}`diff_AdaDec:+.3f` ({glue:text}`verdict_AdaDec`); "beyond noise" means the paired 95 %
# interval over seeds excludes zero. These seed runs took {glue:text}`seeds_hours:.2f` hours of
# pretraining and fine-tuning on {glue:text}`seeds_device`, summed over the runs (at most
# {glue:text}`seeds_replicas` strategies trained together in one process). The other experiments were run with one seed: their
# differences smaller than the intervals above cannot be called.
#
# ## Beyond the paper: newer optimizers on the same task
#
# Adam {cite}`kingma2015adam`, AdamW {cite}`loshchilov2019decoupled`, Nadam
# {cite}`dozat2016incorporating` and RMSProp {cite}`tieleman2012rmsprop` at the paper's fine-tuning
# rate 0.001 (Adam's own default) with their other constants at torch.optim's defaults, for every
# parameter, beside the constant rate and AdaMix. These rules normalise the step by a running
# gradient magnitude, so unlike Cons they do not depend on the loss being summed over the batch.

# %%
beyond = adamix.run("beyond", scale=scale, seeds=seeds, device=device)
bfinal = beyond[beyond["epoch"] == setup.epochs].pivot(index="seed", columns="strategy", values="test_rer")
brows = []
for label in bfinal.columns:
    mean, low, high = mean_interval(bfinal[label])
    brows.append({"optimizer": label, "mean": mean, "95% low": low, "95% high": high})
    glue(f"beyond_{label}", mean)
btable = pd.DataFrame(brows).set_index("optimizer").sort_values("mean")
glue("beyond_best", btable.index[0])
fig, ax = plotting.subplots(1, height=3.8, width=7.5)
plotting.rer_curves(ax, beyond, None, order=list(bfinal.columns))
ax.set_title("the same task with newer optimizers")
plt.show()
btable.style.format("{:.3f}")

# %% [markdown]
# Final test RER (mean over {glue:text}`n_seeds` seeds): Adam {glue:text}`beyond_Adam:.2f`, AdamW
# {glue:text}`beyond_AdamW:.2f`, Nadam {glue:text}`beyond_Nadam:.2f`, RMSProp
# {glue:text}`beyond_RMSProp:.2f`, against Cons {glue:text}`beyond_Cons:.2f` and AdaMix
# {glue:text}`beyond_AdaMix:.2f`; the best is {glue:text}`beyond_best`.
#
# ## What we could not reproduce, and why
#
# - **The scale of RER.** The paper's formula (eq. (8)-(9)) is a per-pixel mean; its numbers are
#   per-image sums over 784 pixels. We report the sum (chapter 12).
# - **None+Cons (51.40).** Above the error of the network before any fine-tuning, in our runs; it
#   cannot come from fine-tuning only the biases of the pretrained network we build (chapter 14).
# - **Constants the paper does not give**: the Exp rule's rate (chapter 15), the unit of $t$ and $R$
#   (chapter 13), how the subsets are drawn and how the first biases start (chapter 12). The
#   ablations in those chapters show how much each moves the result.
# - **AdaMix's advantage.** Over the seeds of Exp. 1, AdaMix ranks {glue:text}`mix_rank` of 4 (mean
#   final RER {glue:text}`mix_mean:.2f`); in the paper it ranks {glue:text}`paper_rank`. Its weight
#   rates are products of factors $(1 + g^2)^{-1/2}$, and with the gradient of a loss summed over
#   the batch a large share of them collapses over the run (chapter 13, chapter 7).
# - **Runtime.** Fine-tuning times of Cons : AdaGrad : AdaDec : AdaMix, averaged over the seeds,
#   are {glue:text}`ratios_ours` here against {glue:text}`ratios_paper` in the paper: AdaMix is
#   {glue:text}`mix_cost` than AdaGrad here, and cheaper in the paper (chapter 13 gives the
#   per-step cost; chapter 7 times the update rules alone).
