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

# %% tags=["setup"]
import inspect
import math

import pandas as pd

from optimbook import testing as registry
from optimlab.experiments import schedule_studies as studies
from optimlab.experiments.classifier import CONFIGS
from optimlab.presentation import schedule_figures as figures
from optimlab.presentation.chapter import start
from optimlab.presentation.plotting import glue
from optimlab.presentation.tables import table
from optimlab.training.landscapes import LANDSCAPES, quadratic
from optimlab.training.models import mlp

ch = start(scale, device, seed)

# %% [markdown]
# ## The line-up
#
# Every optimizer of {mod}`optimbook.optim`, read from its registry
# ({data}`optimbook.testing.REGISTRY`, the table the tests, the benchmark and the experiments
# also read): its source, its torch.optim counterpart, and what it supports (among complex
# parameters, sparse gradients, `maximize`, `foreach` and the distributed wrappers DDP and FSDP2). Each runs with the
# defaults of its chapter; only the learning rate is tuned. AdaDec and AdaMix need the run length
# $R$ (`total_steps`). NaturalGradient appears twice: with Amari's first-order recursion (the
# library's default) and with the exact Sherman-Morrison update (chapter 6). On a function of two
# variables there is no probabilistic model, so its estimate is the *empirical* Fisher, the running
# average of $g g^\top$ (the default `fisher_from_grad=True`). PerRole, a composition of two of
# the others, is the subject of chapter 7.

# %%
table(studies.capabilities(), caption="Every optimizer of optimbook.optim: its source, its torch.optim "
      "counterpart and what it supports.")

# %%
settings = ch.pick(studies.GALLERY)
families = registry.families()
names = [n for members in families.values() for n in members]
palette = figures.gallery_palette(names)  # one colour per optimizer in every figure
quad = inspect.signature(quadratic).parameters  # the quadratic's settings (its defaults), for the prose
glue("quad_condition", f"{quad['condition'].default:g}")
glue("quad_angle", f"{math.degrees(quad['angle'].default):g}")

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
#
# ```{literalinclude} /src/optimlab/training/landscapes.py
# :pyobject: tune_lr
# ```

# %%
steps = settings.steps
tuning = studies.gallery_tuning(steps, settings.grid)
best = studies.best_rates(tuning)
table(best.rename(columns={k: land.name for k, land in LANDSCAPES.items()}).rename_axis(columns=None),
      formats={land.name: "{:.0e}" for land in LANDSCAPES.values()}, missing="no finite run at any rate of the grid",
      caption=f"The tuned learning rate of each optimizer on each landscape ({steps} steps).")

# %% [markdown]
# The tuning itself, one panel per landscape: the colour is the final value at each learning rate
# (for the saddle, how far below zero it ended), the box marks the chosen rate, and blank cells are
# runs that left the finite numbers. The colour scales saturate: runs that ended far above their
# starting value (or, on the saddle, below $-10^{30}$) all get the end colour.

# %%
figures.tuning_heatmaps(tuning, best, LANDSCAPES, steps=steps);

# %% [markdown] tags=["caption"]
# Learning-rate tuning on the four landscapes: the final value of each optimizer (rows) at each
# learning rate of the grid (columns), the chosen rate boxed in red; blank cells are runs that left
# the finite numbers.

# %% [markdown]
# ## Trajectories at the tuned rates
#
# One figure per landscape, one panel per family of optimizers; every path starts at the circle and
# ends at the star, after the same number of steps, each optimizer at its own tuned rate (named in the
# figure's last cell, with the rate).

# %%
paths = studies.gallery_paths(best, steps)
figures.landscape_paths(paths, best, "rosenbrock", families, contour_n=settings.contour_n, palette=palette);

# %% [markdown] tags=["caption"]
# Trajectories on Rosenbrock's curved valley at the tuned rates, one panel per family of optimizers;
# the last cell gives each optimizer's tuned learning rate, the cross marks the minimum.

# %%
figures.landscape_paths(paths, best, "beale", families, contour_n=settings.contour_n, palette=palette);

# %% [markdown] tags=["caption"]
# Trajectories on Beale's function at the tuned rates, one panel per family of optimizers;
# the last cell gives each optimizer's tuned learning rate, the cross marks the minimum.

# %%
figures.landscape_paths(paths, best, "saddle", families, contour_n=settings.contour_n, palette=palette);

# %% [markdown] tags=["caption"]
# Trajectories on the saddle at the tuned rates, one panel per family of optimizers;
# the last cell gives each optimizer's tuned learning rate.

# %%
figures.landscape_paths(paths, best, "quadratic", families, contour_n=settings.contour_n, palette=palette);

# %% [markdown] tags=["caption"]
# Trajectories on the ill-conditioned quadratic at the tuned rates, one panel per family of optimizers;
# the last cell gives each optimizer's tuned learning rate, the cross marks the minimum.

# %% [markdown]
# And the same runs as value against step, all optimizers together (for the saddle, the distance
# from the saddle point instead: higher is further away).

# %%
figures.value_curves(paths, LANDSCAPES, families, palette=palette);

# %% [markdown] tags=["caption"]
# The same runs as value against step (log scale), every optimizer at its tuned rate; on the saddle,
# the distance from the saddle point (higher: escaped further).

# %%
final = studies.gallery_finals(paths, names)
glue("gallery_steps", steps)
glue("gallery_grid", f"{settings.grid[0]:.0e} to {settings.grid[-1]:.0e} ({len(settings.grid)} rates)")
figures.glue_all(studies.gallery_findings(final, best))
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
# {glue:text}`mean_rank_best` and the worst to {glue:text}`mean_rank_worst`; on the final values
# themselves, {glue:text}`one_winner`. (AdamW differs from Adam only by its decoupled weight decay, $\lambda = 0.01$ by default,
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
config, run = CONFIGS[scale], studies.run_length(scale)
P = sum(p.numel() for p in mlp(784, config.hidden, 10).parameters())
figures.glue_all({"mnist_P": f"{P:,}", "mnist_gib": P**2 * 4 / 2**30, "mnist_n": f"{run['n_train']:,}",
                  "mnist_epochs": run["epochs"], "h2h_epochs": run["epochs"], "mnist_batch": run["batch_size"]})
mnist_names = [n for n in names if not n.startswith("NaturalGradient")]
table(pd.Series({"training images": run["n_train"], "batch size": run["batch_size"], "epochs": run["epochs"],
                 "steps per epoch": run["steps_per_epoch"], "parameters": P}, name="value").rename_axis("setting"),
      caption="The MNIST classifier's run at this scale.")

# %% [markdown]
# **Learning rates.** Defaults differ by orders of magnitude between optimizers (torch's Adam uses
# $10^{-3}$, Adadelta $1$) and SGD has none, so each optimizer gets the rate that does best in a short
# tuning run: one seed, the rates of a log-spaced grid, the shortest honest budget (the scale's
# epochs at smoke scale, two epochs at paper scale), chosen by the training loss of the last epoch.
# The test set plays no part in the choice. AdaDec and AdaMix get $R$ = epochs × steps per epoch of
# the run they are used in.

# %%
tune_epochs = settings.tune_epochs or config.epochs
mnist_tuning = studies.mnist_tuning(mnist_names, settings.mnist_grid, scale=scale, seed=seed, epochs=tune_epochs,
                                    device=ch.device)
rates = studies.chosen_rates(mnist_tuning)
glue("tune_diverged_note", studies.tuning_note(mnist_tuning))
table(pd.DataFrame({"chosen lr": rates}).rename_axis("optimizer"), formats={"chosen lr": "{:.0e}"},
      columns={"chosen lr": "chosen learning rate"}, missing="every rate of the grid overflowed",
      caption="The learning rate chosen for each optimizer by the MNIST tuning run.")

# %%
figures.mnist_tuning_heatmap(mnist_tuning, rates, epochs=tune_epochs, seed=seed);

# %% [markdown] tags=["caption"]
# MNIST tuning: the training loss of the last epoch for each optimizer (rows) at each learning rate
# (columns), one seed; the chosen rate is boxed in red.

# %% [markdown]
# {glue:text}`tune_diverged_note` Now the comparison itself, every optimizer at its chosen rate,
# three seeds each.

# %%
h2h, used, lowered = studies.head_to_head(rates, settings.mnist_grid, scale=scale, seeds=settings.seeds,
                                          device=ch.device)
summary = studies.head_to_head_summary(h2h, used)
glue("h2h_lowered_note", "Optimizers whose chosen rate diverged for another seed, and which were run one "
     f"grid step lower: {', '.join(lowered)}." if lowered
     else "Every optimizer ran all its seeds at its chosen rate, none diverged.")

# %% [markdown]
# {glue:text}`h2h_lowered_note`

# %%
figures.head_to_head_curves(h2h, list(used.index), palette=palette);

# %% [markdown] tags=["caption"]
# The MNIST head-to-head, every optimizer at its chosen rate: training (top) and test (bottom) loss
# per epoch (left) and per second of wall time (right), mean and range over the seeds.

# %%
figures.glue_all(studies.head_to_head_findings(h2h, summary, mnist_tuning, used))
glue("h2h_device", str(ch.device))
table(summary.sort_values("test_loss"),
      columns={"lr": "learning rate", "train_loss": "training loss (nats)", "test_loss": "test loss (nats)",
               "test_accuracy": "test accuracy", "accuracy_sd": "accuracy sd over seeds",
               "seconds": "wall time (s)"},
      formats={"lr": "{:.0e}", "test_accuracy": "{:.2%}", "accuracy_sd": "{:.2%}", "seconds": "{:.1f}"},
      missing="one seed only: no standard deviation",
      caption=f"The head-to-head after {run['epochs']} epochs, best mean test loss first (means over the seeds).")

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
# On this mean loss AdaMix's per-element gradients are far below 1, so chapter 7 predicts that its
# weight rates barely move and that it behaves like SGD at the same rate; {glue:text}`h2h_mix_sgd`
# (chosen rates {glue:text}`h2h_mix_lr:.0e` and {glue:text}`h2h_sgd_lr:.0e`, final test losses
# {glue:text}`h2h_mix_loss:.3f` and {glue:text}`h2h_sgd_loss:.3f`). AdaGrad with the library's default $K = 0$ reached
# {glue:text}`h2h_ada_loss:.3f`.
#
# ## What to take away
#
# - On the three test functions with a minimum, {glue:text}`one_winner`; the ranking is a ranking
#   of these functions, and each result holds for its tuned learning rate only (the heatmaps show how sharply some
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
#   the best and the worst optimizer at their chosen rates: {glue:text}`tune_first`.
