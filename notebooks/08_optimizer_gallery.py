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
# # A gallery of optimizers
#
# Chapters 1 to 7 derived thirteen optimizers one at a time. This chapter puts them side by side,
# first on four functions of two variables whose shapes isolate one difficulty each, then on the
# MNIST classifier of chapter 1. Every optimizer gets its own learning rate, tuned on a grid with the
# same budget for all, and the tuning itself is shown: a comparison at one shared learning rate
# would mostly measure whose default scale happens to suit the problem.

# %% tags=["parameters"]
scale = "smoke"  # "smoke" (seconds, CI) or "paper" (longer paths, finer grids, full MNIST)
device = "auto"  # "auto" picks CUDA when available
seed = 0

# %%
import inspect
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from IPython.display import Markdown, display

import optimbook
from optimbook import optim as O
from optimlab.presentation import plotting
from optimlab.presentation.tables import table
from optimlab.experiments.classifier import CONFIGS, compare
from optimlab.training.landscapes import LANDSCAPES, quadratic, trajectory, tune_lr
from optimlab.training.models import mlp
from optimbook import testing as registry
from optimbook.optim import Rule
from optimlab.presentation.plotting import glue
from optimlab.runtime import check_scale, resolve_device
from optimlab.training.loop import NonFiniteLossError

check_scale(scale)
dev = resolve_device(device)
plotting.use_style()
print(f"optimbook {optimbook.__version__}, torch {torch.__version__}, device {dev}, scale {scale}")

cfg = {
    "smoke": dict(steps=50, grid=[-3, -2, -1, 0], mnist_grid=[-2, -1, 0], tune_epochs=None,
                  epochs=None, seeds=(0, 1, 2), contour_n=100),
    "paper": dict(steps=300, grid=[k / 2 for k in range(-8, 2)], mnist_grid=[k / 2 for k in range(-8, 2)],
                  tune_epochs=2, epochs=None, seeds=(0, 1, 2), contour_n=250),
}[scale]
grid = [10.0**k for k in cfg["grid"]]
# the quadratic's settings (its defaults), for the prose
quad = inspect.signature(quadratic).parameters
glue("quad_condition", f"{quad['condition'].default:g}", display=False)
glue("quad_angle", f"{math.degrees(quad['angle'].default):g}", display=False)

# %% [markdown]
# ## The line-up
#
# Every optimizer of {mod}`optimbook.optim`, read from its registry
# ({data}`optimbook.testing.REGISTRY`, the table the tests, the benchmark and the experiments
# also read): its source, its torch.optim counterpart, and what it supports. Each runs with the
# defaults of its chapter; only the learning rate is tuned. AdaDec and AdaMix need the run length
# $R$ (`total_steps`). NaturalGradient appears twice: with Amari's first-order recursion (the
# library's default) and with the exact Sherman-Morrison update (chapter 6). On a function of two
# variables there is no probabilistic model, so its estimate is the *empirical* Fisher, the running
# average of $g g^\top$ (the default `fisher_from_grad=True`). PerRole, a composition of two of
# the others, is the subject of chapter 7.

# %%
table(pd.DataFrame(registry.table()).set_index("optimizer"),
      caption="Every optimizer of optimbook.optim: its source, its torch.optim counterpart and what "
              "it supports (True: supported).")


# %%
def lineup(R: int) -> dict:
    """name -> (optimizer class, keyword arguments other than lr), from the registry."""
    return registry.lineup(R)


families = registry.families()
names = [n for members in families.values() for n in members]
# one colour per optimizer in every figure, distinct within each family's panel
palette = dict(zip(names, sns.color_palette("tab10") + sns.color_palette("Dark2")[:4]))

# %% [markdown]
# ## Four landscapes
#
# {mod}`optimlab.training.landscapes` holds the test functions, each with a window, a common start and its
# minimum:
#
# - **Rosenbrock**, $(1-x)^2 + 100(y-x^2)^2$: a narrow curved valley; reaching the valley is easy,
#   following it to $(1, 1)$ is slow.
# - **Beale**: flat plateaus and steep walls, minimum at $(3, 0.5)$; the gradient's scale changes by
#   orders of magnitude along the way.
# - **A saddle**, $x^2 - y^2$, started almost exactly on its stable axis: a good optimizer leaves the
#   saddle point along $y$ instead of converging to it. It is unbounded below, so "lower" means
#   "escaped further".
# - **An ill-conditioned quadratic**, condition number
#   {glue:text}`quad_condition`, rotated by {glue:text}`quad_angle`°: the textbook case for
#   momentum; because of the rotation, the bowl's axes are not the coordinate axes that the
#   per-coordinate methods (AdaGrad to Adam) rescale.
#
# The tuning runs every optimizer for the same number of steps from the same start at each learning
# rate of a log-spaced grid and keeps the rate whose run ends lowest
# ({func}`~optimlab.training.landscapes.tune_lr`; a run that leaves the finite numbers scores $+\infty$):

# %%
display(Markdown(f"```python\n{inspect.getsource(tune_lr)}```"))

# %%
steps = cfg["steps"]
opts = lineup(steps)
rows, best = [], {}
for key, land in LANDSCAPES.items():
    for name in names:
        cls, kw = opts[name]
        lr, runs = tune_lr(lambda p, lr, cls=cls, kw=kw: cls(p, lr=lr, **kw), land.f, land.start, steps, grid)
        finite = [r for r in runs if math.isfinite(r["final_value"])]
        best[key, name] = lr if finite else None
        rows += [{"landscape": key, "optimizer": name, **r} for r in runs]
tuning = pd.DataFrame(rows)
best_table = pd.DataFrame({land.name: {n: best[key, n] for n in names} for key, land in LANDSCAPES.items()})
table(best_table.rename_axis("optimizer"), formats={land.name: "{:.0e}" for land in LANDSCAPES.values()},
      missing="no finite run at any rate of the grid",
      caption=f"The tuned learning rate of each optimizer on each landscape ({steps} steps).")

# %% [markdown]
# The tuning itself, one panel per landscape: the colour is the final value at each learning rate
# (for the saddle, how far below zero it ended), the box marks the chosen rate, and blank cells are
# runs that left the finite numbers. The colour scales saturate: runs that ended far above their
# starting value (or, on the saddle, below $-10^{30}$) all get the end colour.

# %%
def score(key, values):
    """log10 of the final value (bounded functions) or of its depth below zero (the saddle)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if key == "saddle":  # 0 for runs still above -1 (not escaped); -inf (overflow) saturates
            return np.where(np.isneginf(v), 320.0, np.log10(np.clip(-v, 1.0, None)))
        return np.log10(np.clip(v, 1e-16, None))


fig, axes = plotting.subplots(2, 2, height=4.2, width=12)
for ax, (key, land) in zip(axes, LANDSCAPES.items()):
    sub = tuning[tuning["landscape"] == key]
    mat = np.full((len(names), len(grid)), np.nan)
    for i, n in enumerate(names):
        vals = sub[sub["optimizer"] == n].sort_values("lr")["final_value"].to_numpy()
        mat[i] = score(key, vals)
    cmap = "viridis_r" if key != "saddle" else "viridis"
    start_value = float(land.f(torch.tensor(land.start)))
    # colour range: from the best run to a little above the starting value (blow-ups saturate)
    vmin, vmax = (np.nanmin(mat), score(key, [start_value])[()] + 2) if key != "saddle" else (0.0, 30.0)
    im = ax.imshow(np.ma.masked_invalid(mat), aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
    for i, n in enumerate(names):
        if best[key, n] is not None:
            j = int(np.argmin(np.abs(np.array(grid) - best[key, n])))
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.5))
    ax.set_yticks(range(len(names)), names, fontsize="x-small")
    ax.set_xticks(range(len(grid)), [f"{g:.0e}" if i % 2 == 0 or len(grid) <= 5 else "" for i, g in enumerate(grid)],
                  fontsize="x-small", rotation=45)
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="log10(max(1, −final value))" if key == "saddle" else "log10(final value)")
    plotting.label(ax, "learning rate η", "", land.name)
fig.suptitle(f"Learning-rate tuning: final value after {steps} steps (red box: chosen rate)")
plt.show()

# %% [markdown] tags=["caption"]
# Learning-rate tuning on the four landscapes: the final value of each optimizer (rows) at each
# learning rate of the grid (columns), the chosen rate boxed in red; blank cells are runs that left
# the finite numbers.

# %% [markdown]
# ## Trajectories at the tuned rates
#
# Each row is a landscape, each column a family; every path starts at the circle and ends at the star,
# after the same number of steps, each optimizer at its own tuned rate.

# %%
paths = {}
for key, land in LANDSCAPES.items():
    for name in names:
        lr = best[key, name]
        if lr is None:
            continue
        cls, kw = opts[name]
        paths[key, name] = trajectory(lambda p, cls=cls, kw=kw, lr=lr: cls(p, lr=lr, **kw),
                                      land.f, land.start, steps).numpy()

fig, axes = plotting.subplots(len(families), len(LANDSCAPES), height=2.6, width=13)
axes = axes.reshape(len(LANDSCAPES), len(families))
for r, (key, land) in enumerate(LANDSCAPES.items()):
    for c, (family, members) in enumerate(families.items()):
        ax = axes[r, c]
        plotting.contour(ax, land.f, land.xlim, land.ylim,
                         levels=25, n=cfg["contour_n"])
        if land.minimum is not None:
            ax.plot(*land.minimum, "x", color="k", ms=7)
        for name in members:
            if (key, name) in paths:
                plotting.trajectory(ax, paths[key, name], label=f"{name} ({best[key, name]:.0e})",
                                    color=palette[name])
        ax.set_xlim(*land.xlim)
        ax.set_ylim(*land.ylim)
        ax.legend(fontsize=6, loc="best")
        if r == 0:
            ax.set_title(family, fontsize="small")
        ax.set_xlabel("x" if r == len(LANDSCAPES) - 1 else "")
        ax.set_ylabel(f"{land.name}\ny" if c == 0 else "")
        ax.tick_params(labelsize=6)
plt.show()

# %% [markdown] tags=["caption"]
# Trajectories at the tuned rates: one row per landscape, one column per family of optimizers; the
# legend gives each optimizer's tuned learning rate, the cross marks the minimum.

# %% [markdown]
# And the same runs as value against step, all optimizers together (for the saddle, the distance
# from the saddle point instead: higher is further away).

# %%
fig, axes = plotting.subplots(2, 2, height=3.4, width=12)
for ax, (key, land) in zip(axes, LANDSCAPES.items()):
    for name in names:
        if (key, name) not in paths:
            continue
        path = paths[key, name]
        values = (np.linalg.norm(path, axis=1) if key == "saddle"
                  else np.clip(land.f(torch.from_numpy(path)).numpy(), 1e-16, None))
        family_index = [k for k, members in enumerate(families.values()) if name in members][0]
        ax.plot(np.arange(len(values)), values, color=palette[name],
                ls=["-", "--", ":", "-.", (0, (5, 1))][family_index], label=name)
    if key == "saddle":
        plotting.label(ax, "step", "distance from the saddle point", land.name, logy=True)
    else:
        plotting.label(ax, "step", "f(x, y) − f*", land.name, logy=True)
axes[1].legend(fontsize="x-small", ncol=2, loc="upper left", bbox_to_anchor=(1.02, 1.0))
plt.show()

# %% [markdown] tags=["caption"]
# The same runs as value against step (log scale), every optimizer at its tuned rate; on the saddle,
# the distance from the saddle point (higher: escaped further).

# %%
final = pd.DataFrame({
    land.name: {n: (float(land.f(torch.from_numpy(paths[key, n][-1]))) if (key, n) in paths else np.nan)
                for n in names}
    for key, land in LANDSCAPES.items()})
never = [n for n in names if all(best[k, n] is None for k in LANDSCAPES)]
partly = {n: [LANDSCAPES[k].name for k in LANDSCAPES if best[k, n] is None] for n in names}
partly = {n: ls for n, ls in partly.items() if ls and n not in never}
glue("gallery_steps", steps, display=False)
glue("gallery_grid", f"{grid[0]:.0e} to {grid[-1]:.0e} ({len(grid)} rates)", display=False)
bounded = [land.name for key, land in LANDSCAPES.items() if land.minimum is not None]
mean_rank = final[bounded].rank(na_option="bottom").mean(axis=1).sort_values()
glue("mean_rank_best", ", ".join(f"{n} ({r:.1f})" for n, r in mean_rank.iloc[:3].items()), display=False)
glue("mean_rank_worst", ", ".join(f"{n} ({r:.1f})" for n, r in mean_rank.iloc[::-1].iloc[:3].items()),
     display=False)
first = []
for key, land in LANDSCAPES.items():
    z = torch.tensor(land.start, dtype=torch.float64, requires_grad=True)
    (g0,) = torch.autograd.grad(land.f(z), z)
    first.append(f"{0.01 * float(g0 @ g0):.3g} ({land.name})")
glue("amari_first_step", ", ".join(first), display=False)
finite_notes = ([f"{', '.join(never)} left the finite numbers at every rate of the grid, on every landscape."]
                if never else [])
finite_notes += [f"{n} left the finite numbers at every rate of the grid on {', '.join(ls)}."
                 for n, ls in partly.items()]
glue("finite_note", " ".join(finite_notes) if finite_notes
     else "Every optimizer had a finite run at some rate of the grid on every landscape.", display=False)
for key, land in LANDSCAPES.items():
    col = final[land.name].dropna()
    order_ = col.sort_values().index.tolist()
    glue(f"best_{key}", ", ".join(order_[:3]), display=False)
    glue(f"worst_{key}", ", ".join(order_[-3:][::-1]), display=False)
    glue(f"bestval_{key}", col.min(), display=False)
table(final.rename_axis("optimizer"), formats={land.name: "{:.3g}" for land in LANDSCAPES.values()},
      missing="no finite run at any rate of the grid",
      caption=f"Final value of each optimizer on each landscape after {steps} steps at its tuned rate.")

# %% [markdown]
# With {glue:text}`gallery_steps` steps and learning rates from {glue:text}`gallery_grid`:
#
# - On **Rosenbrock** the lowest final values belong to {glue:text}`best_rosenbrock` (best
#   {glue:text}`bestval_rosenbrock:.2e`), the highest to {glue:text}`worst_rosenbrock`. Plain gradient
#   descent must keep its rate below the stability limit set by the valley's steep walls, and then
#   crawls along its flat floor.
# - On **Beale**: lowest {glue:text}`best_beale` (best {glue:text}`bestval_beale:.2e`), highest
#   {glue:text}`worst_beale`.
# - On the **saddle**, furthest below the saddle point: {glue:text}`best_saddle`; nearest to it:
#   {glue:text}`worst_saddle`. Two mechanisms compete. Gradient descent multiplies $y$ by
#   $1 + 2\eta$ per step: it starts from the tiny $y_0$ but then escapes geometrically. Methods that
#   divide by the root of the squared gradient move $y$ by about $\eta$ per step from the start,
#   however small the gradient, but only linearly. Over a long enough run, and with a learning rate
#   allowed to be large, the geometric escape wins.
# - On the **ill-conditioned quadratic**: lowest {glue:text}`best_quadratic` (best
#   {glue:text}`bestval_quadratic:.2e`), highest {glue:text}`worst_quadratic`.
#
# Averaged over the three functions with a minimum, the best mean ranks belong to
# {glue:text}`mean_rank_best` and the worst to {glue:text}`mean_rank_worst`; no optimizer is best on all
# of them. (AdamW differs from Adam only by its decoupled weight decay, $\lambda = 0.01$ by default,
# which pulls towards the origin: the minimum of the quadratic, but not of Rosenbrock or Beale.)
#
# {glue:text}`finite_note` Where NaturalGradient with Amari's recursion fails, the reason is in
# chapter 6: the recursion stays positive
# definite only while $\varepsilon\, a < 1 + \varepsilon$ with $a = g^\top \hat G^{-1} g$, and on the
# first step, where $\hat G^{-1} = I$, $a = \lVert g\rVert^2$. At the four starts
# $\varepsilon \lVert g_0\rVert^2$ is {glue:text}`amari_first_step` (the library's $\varepsilon = 0.01$),
# whatever the learning rate. The exact update has no such limit.
#
# Pictures like these are where intuitions about optimizers come from, and also where they can
# mislead: two dimensions, no noise, no curvature that changes with the data, and only
# {glue:text}`gallery_steps` steps.
# The classifier below is a better guide to training a network.
#
# ## MNIST: a head-to-head
#
# The classifier of chapter 1, a 784-100-10 multilayer perceptron with softmax cross-entropy,
# trained by {func}`optimlab.experiments.classifier.compare` with each optimizer: three seeds (each
# seed fixes the initialisation and the batch order), mean batch loss, the scale's epochs and batch
# size. NaturalGradient is left out: this network has $P$ = {glue:text}`mnist_P` parameters, and its
# dense $P \times P$ inverse Fisher would need {glue:text}`mnist_gib:.1f` GiB and $O(P^2)$ work per
# example (chapter 6).

# %%
config = CONFIGS[scale]
epochs = cfg["epochs"] or config.epochs
n_train = round(config.train_fraction * 60_000)
steps_per_epoch = math.ceil(n_train / config.batch_size)
P = sum(p.numel() for p in mlp(784, config.hidden, 10).parameters())
glue("mnist_P", f"{P:,}", display=False)
glue("mnist_gib", P**2 * 4 / 2**30, display=False)
glue("mnist_n", f"{n_train:,}", display=False)
glue("mnist_epochs", epochs, display=False)
glue("mnist_batch", config.batch_size, display=False)
mnist_names = [n for n in names if not n.startswith("NaturalGradient")]
table(pd.Series({"training images": n_train, "batch size": config.batch_size, "epochs": epochs,
                 "steps per epoch": steps_per_epoch, "parameters": P}, name="value").rename_axis("setting"),
      formats={"value": "{:,}"}, caption="The MNIST classifier's run at this scale.")

# %% [markdown]
# **Learning rates.** Defaults differ by orders of magnitude between optimizers (torch's Adam uses
# $10^{-3}$, Adadelta $1$) and SGD has none, so each optimizer gets the rate that does best in a short
# tuning run: one seed, the rates of a log-spaced grid, the shortest honest budget (the scale's
# epochs at smoke scale, two epochs at paper scale), chosen by the training loss of the last epoch.
# The test set plays no part in the choice. AdaDec and AdaMix get $R$ = epochs × steps per epoch of
# the run they are used in.

# %%
mnist_grid = [10.0**k for k in cfg["mnist_grid"]]
tune_epochs = cfg["tune_epochs"] or config.epochs
tune_opts = lineup(tune_epochs * steps_per_epoch)
candidates, meta = {}, {}
for n in mnist_names:
    for lr in mnist_grid:
        label = f"{n} @ {lr:.0e}"
        candidates[label] = Rule(tune_opts[n][0], {"lr": lr, **tune_opts[n][1]})
        meta[label] = (n, lr)  # the exact rate (the label rounds it)
frames, diverged = [], []
for label, rule in candidates.items():  # one at a time: a run whose loss overflows stops with an error
    try:
        frames.append(compare({label: rule}, scale=scale, seeds=(seed,), epochs=tune_epochs, device=device))
    except NonFiniteLossError:
        diverged.append(label)
        frames.append(pd.DataFrame([{"label": label, "seed": seed, "epoch": tune_epochs,
                                     "train_loss": np.inf, "test_loss": np.inf}]))
tuned = pd.concat(frames, ignore_index=True)
tuned["optimizer"] = tuned["label"].map(lambda label: meta[label][0])
tuned["lr"] = tuned["label"].map(lambda label: meta[label][1])
last_epoch = tuned[tuned["epoch"] == tune_epochs]
glue("tune_diverged_note", f"Blank cells are runs whose loss overflowed: {', '.join(diverged)}." if diverged
     else "No tuning run overflowed.", display=False)
mnist_best = (last_epoch.replace([np.inf], np.nan).dropna(subset=["train_loss"])
              .sort_values(["train_loss", "lr"]).groupby("optimizer").head(1).set_index("optimizer")["lr"])
mnist_best = mnist_best.reindex(mnist_names)
table(pd.DataFrame({"chosen lr": mnist_best}).rename_axis("optimizer"), formats={"chosen lr": "{:.0e}"},
      columns={"chosen lr": "chosen learning rate"}, missing="every rate of the grid overflowed",
      caption="The learning rate chosen for each optimizer by the MNIST tuning run.")

# %%
fig, ax = plotting.subplots(1, height=3.6)
pivot = last_epoch.pivot(index="optimizer", columns="lr", values="train_loss").reindex(mnist_names)
im = ax.imshow(np.ma.masked_invalid(np.log10(pivot.to_numpy())), aspect="auto", cmap="viridis_r")
for i, n in enumerate(mnist_names):
    if not np.isnan(mnist_best[n]):
        j = list(pivot.columns).index(mnist_best[n])
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.5))
ax.set_yticks(range(len(mnist_names)), mnist_names, fontsize="small")
ax.set_xticks(range(len(pivot.columns)), [f"{c:.0e}" for c in pivot.columns], fontsize="small", rotation=45)
ax.grid(False)
fig.colorbar(im, ax=ax, label="log10(training loss, last epoch)")
plotting.label(ax, "learning rate η", "", f"MNIST tuning: {tune_epochs} epoch(s), seed {seed} (red box: chosen)")
plt.show()

# %% [markdown] tags=["caption"]
# MNIST tuning: the training loss of the last epoch for each optimizer (rows) at each learning rate
# (columns), one seed; the chosen rate is boxed in red.

# %% [markdown]
# {glue:text}`tune_diverged_note` Now the comparison itself, every optimizer at its chosen rate,
# three seeds each.

# %%
# One untimed warm-up run, so that the first timed run does not pay the process's one-time costs.
compare({"warm-up": Rule(O.SGD, {"lr": 0.1})}, scale=scale, seeds=(seed,), epochs=1, device=device, cache=False)
run_opts = lineup(epochs * steps_per_epoch)
chosen, frames, lowered = {}, [], []
for n in mnist_names:
    if np.isnan(mnist_best[n]):
        continue
    rates = [lr for lr in sorted(mnist_grid, reverse=True) if lr <= mnist_best[n]]
    for lr in rates:  # if another seed diverges at the chosen rate, step down the grid
        rule = Rule(run_opts[n][0], {"lr": float(lr), **run_opts[n][1]})
        try:
            frames.append(compare({n: rule}, scale=scale, seeds=cfg["seeds"], epochs=epochs, device=device))
        except NonFiniteLossError:
            lowered.append(f"{n} (from {lr:.0e})")
            continue
        chosen[n], mnist_best[n] = rule, lr
        break
h2h = pd.concat(frames, ignore_index=True)
glue("h2h_lowered_note", "Optimizers whose chosen rate diverged for another seed, and which were run one "
     f"grid step lower: {', '.join(lowered)}." if lowered
     else "Every optimizer ran all its seeds at its chosen rate, none diverged.", display=False)
h2h["mean_seconds"] = h2h.groupby(["label", "epoch"])["seconds"].transform("mean")
summary = (h2h[h2h["epoch"] == epochs].groupby("label")
           .agg(lr=("label", lambda s: float(mnist_best[s.iloc[0]])),
                train_loss=("train_loss", "mean"), test_loss=("test_loss", "mean"),
                test_accuracy=("test_accuracy", "mean"), accuracy_sd=("test_accuracy", "std"),
                seconds=("seconds", "mean"))
           .reindex(list(chosen)))

# %% [markdown]
# {glue:text}`h2h_lowered_note`

# %%
fig, axes = plotting.subplots(2, 2, height=3.6, width=12)
order_ = list(chosen)
curves = h2h[h2h["epoch"] > 0]
h2h_colors = [palette[n] for n in order_]
plotting.mean_band(axes[0], curves, x="epoch", y="train_loss", hue="label", order=order_, palette=h2h_colors)
plotting.mean_band(axes[1], curves, x="mean_seconds", y="train_loss", hue="label", order=order_,
                   palette=h2h_colors)
plotting.mean_band(axes[2], curves, x="epoch", y="test_loss", hue="label", order=order_, palette=h2h_colors)
plotting.mean_band(axes[3], curves, x="mean_seconds", y="test_loss", hue="label", order=order_,
                   palette=h2h_colors)
plotting.label(axes[0], "epoch", "training loss (nats)", "training loss per epoch", logy=True)
plotting.label(axes[1], "wall time (s)", "training loss (nats)", "training loss per second", logy=True)
plotting.label(axes[2], "epoch", "test loss (nats)", "test loss per epoch", logy=True)
plotting.label(axes[3], "wall time (s)", "test loss (nats)", "test loss per second", logy=True)
axes[1].legend(fontsize="x-small", ncol=1, loc="upper left", bbox_to_anchor=(1.02, 1.0))
fig.suptitle(f"MLP 784-100-10 on {n_train:,} MNIST images: mean and range over {len(cfg['seeds'])} seeds")
plt.show()

# %% [markdown] tags=["caption"]
# The MNIST head-to-head, every optimizer at its chosen rate: training (top) and test (bottom) loss
# per epoch (left) and per second of wall time (right), mean and range over the seeds.

# %%
ranked = summary.sort_values("test_loss")
glue("h2h_best", ", ".join(ranked.index[:3]), display=False)
glue("h2h_worst", ", ".join(ranked.index[-3:][::-1]), display=False)
glue("h2h_best_acc", ranked["test_accuracy"].iloc[0] * 100, display=False)
glue("h2h_best_name", ranked.index[0], display=False)
glue("h2h_spread", (summary["test_accuracy"].max() - summary["test_accuracy"].min()) * 100, display=False)
glue("h2h_fastest", summary["seconds"].idxmin(), display=False)
glue("h2h_slowest", summary["seconds"].idxmax(), display=False)
glue("h2h_time_ratio", summary["seconds"].max() / summary["seconds"].min(), display=False)
glue("h2h_device", str(dev), display=False)
last_rows = h2h[h2h["epoch"] == epochs]
per_opt = last_rows.groupby("label")["seconds"].agg(lambda v: v.max() / v.min())
glue("h2h_seed_spread", float(per_opt.median()), display=False)
glue("h2h_threads", torch.get_num_threads(), display=False)
for n, key in [("AdaMix", "mix"), ("SGD", "sgd"), ("AdaGrad", "ada")]:
    glue(f"h2h_{key}_lr", float(mnist_best[n]), display=False)
    glue(f"h2h_{key}_loss", summary.loc[n, "test_loss"], display=False)
glue("h2h_epochs", epochs, display=False)
finite_tune = last_epoch[np.isfinite(last_epoch["train_loss"])]
lr_effect = finite_tune.groupby("optimizer")["train_loss"].agg(lambda v: v.max() / v.min()).median()
at_best = finite_tune[finite_tune.apply(lambda r: r["lr"] == mnist_best[r["optimizer"]], axis=1)]["train_loss"]
glue("lr_effect", float(lr_effect), display=False)
glue("opt_effect", float(at_best.max() / at_best.min()), display=False)
table(ranked.rename_axis("optimizer"),
      columns={"lr": "learning rate", "train_loss": "training loss (nats)", "test_loss": "test loss (nats)",
               "test_accuracy": "test accuracy", "accuracy_sd": "accuracy sd over seeds",
               "seconds": "wall time (s)"},
      formats={"lr": "{:.0e}", "train_loss": "{:.4f}", "test_loss": "{:.4f}", "test_accuracy": "{:.2%}",
               "accuracy_sd": "{:.2%}", "seconds": "{:.1f}"},
      missing="one seed only: no standard deviation",
      caption=f"The head-to-head after {epochs} epochs, best mean test loss first (means over the seeds).")

# %% [markdown]
# After {glue:text}`h2h_epochs` epochs on {glue:text}`mnist_n` images (batches of
# {glue:text}`mnist_batch`), the lowest mean test losses belong to {glue:text}`h2h_best` and the
# highest to {glue:text}`h2h_worst`; the best, {glue:text}`h2h_best_name`, reaches a test accuracy of
# {glue:text}`h2h_best_acc:.2f` %, and the whole field spans {glue:text}`h2h_spread:.2f` percentage
# points of mean test accuracy (the tuning heatmap shows how much of that each optimizer would lose or
# gain at a neighbouring learning rate).
#
# Per second ({glue:text}`h2h_device`, {glue:text}`h2h_threads` threads), the fastest optimizer on
# average was {glue:text}`h2h_fastest` and the slowest {glue:text}`h2h_slowest`,
# {glue:text}`h2h_time_ratio:.2f` times longer for the same number of steps. Runs of one optimizer
# with different seeds, which do identical work, differed in training time by a factor of up to
# {glue:text}`h2h_seed_spread:.2f` (median over the optimizers): that is the noise of this shared
# machine, and differences between optimizers smaller than it mean nothing. Chapter 7 times the
# update rules alone.
#
# AdaMix, on this mean loss, behaves as chapter 7 predicts: its per-element gradients are far below 1,
# so its weight rates barely move and it trains like SGD (chosen rates {glue:text}`h2h_mix_lr:.0e` and
# {glue:text}`h2h_sgd_lr:.0e`, final test losses {glue:text}`h2h_mix_loss:.3f` and
# {glue:text}`h2h_sgd_loss:.3f`). AdaGrad with the library's default $K = 0$ reached
# {glue:text}`h2h_ada_loss:.3f`.
#
# ## What to take away
#
# - On the test functions no optimizer wins everywhere: the ranking changes from one function to the
#   next, and each result holds for its tuned learning rate only (the heatmaps show how sharply some
#   optimizers depend on it).
# - On the saddle, a large learning rate lets plain gradient descent and momentum escape geometrically;
#   the root-of-squared-gradient methods move a fixed distance per step from the very start.
# - The natural gradient needs a model's Fisher matrix. On a deterministic function only the empirical
#   Fisher is available, and Amari's first-order recursion fails outright when $\varepsilon\lVert g\rVert^2$
#   is not small; the exact update does not fail, but its performance varies from function to function.
# - On MNIST, each optimizer at its own tuned rate, the best mean test losses came from
#   {glue:text}`h2h_best`. In the tuning run, an optimizer's final training loss varied by a factor of
#   {glue:text}`lr_effect:.1f` between its best and its worst learning rate on the grid (median over
#   the optimizers, diverged runs left out), against a factor of {glue:text}`opt_effect:.1f` between
#   the best and the worst optimizer at their chosen rates: tune the learning rate first.
