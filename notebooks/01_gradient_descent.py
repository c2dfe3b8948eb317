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
# # Gradient descent: batch, stochastic and mini-batch
#
# Every optimizer in this book is a refinement of one rule: move the parameters a small step
# against the gradient of the loss. The survey {cite}`feng2018survey` introduces it on linear
# regression and distinguishes three forms by how much data each step looks at: **batch gradient
# descent** (批量梯度下降法, BGD), **stochastic gradient descent** (随机梯度下降法, SGD) and
# **mini-batch gradient descent** (小批量梯度下降法, MBGD). This chapter derives the three from the
# survey's formulation, shows the one library class that implements all of them, and measures what
# the choice costs and buys: loss per update, loss per second, and time per epoch.

# %% tags=["parameters"]
scale = "smoke"  # "smoke" (seconds, CI) or "paper" (full MNIST)
device = "auto"  # "auto" picks CUDA when available
seed = 0

# %% tags=["setup"]
from optimlab.experiments import first_order
from optimlab.presentation import first_order_figures as figures
from optimlab.presentation.chapter import start
from optimlab.presentation.tables import table

ch = start(scale, device, seed)

# %% [markdown]
# ## The survey's setting
#
# We have $m$ examples $(x_i, y_i)$, each input with $n$ features $x_{i1},\dots,x_{in}$, and add a
# constant feature $x_{i0}=1$ so that the hypothesis (假设函数) is linear in the parameters $\theta$:
#
# $$
# h_\theta(x_i) = \sum_{j=0}^{n} \theta_j x_{ij}.
# $$
#
# The loss (损失函数) is half the mean squared residual,
#
# $$
# J(\theta) = \frac{1}{2m}\sum_{i=1}^{m}\bigl(y_i - h_\theta(x_i)\bigr)^2 ,
# \qquad
# \frac{\partial J}{\partial \theta_j} = -\frac{1}{m}\sum_{i=1}^{m}\bigl(y_i - h_\theta(x_i)\bigr)x_{ij}.
# $$
#
# Gradient descent repeats $\theta_j \leftarrow \theta_j - \alpha\,\partial J/\partial\theta_j$ with a
# step size (learning rate, 学习率) $\alpha$. The three forms differ in which examples enter the sum.
#
# **Batch gradient descent**, the survey's eq. (1), uses all $m$ examples for every update:
#
# $$
# \theta_j \leftarrow \theta_j + \frac{\alpha}{m}\sum_{i=1}^{m}\bigl(y_i - h_\theta(x_i)\bigr)x_{ij}.
# $$ (eq-bgd)
#
# **Stochastic gradient descent**, eq. (2), uses one example $i$, drawn at random, per update:
#
# $$
# \theta_j \leftarrow \theta_j + \alpha\bigl(y_i - h_\theta(x_i)\bigr)x_{ij}.
# $$ (eq-sgd)
#
# **Mini-batch gradient descent**, eq. (3), uses a batch $B$ of $b$ consecutive examples of a
# shuffled order, $1 < b < m$:
#
# $$
# \theta_j \leftarrow \theta_j + \frac{\alpha}{b}\sum_{i\in B}\bigl(y_i - h_\theta(x_i)\bigr)x_{ij}.
# $$ (eq-mbgd)
#
# :::{note}
# Two misprints in the survey's equations (1)-(3): they write $\theta_j - \alpha\sum(y - h_\theta(x))x$,
# which with the residual $y - h$ climbs the loss instead of descending it (the gradient carries a
# minus sign, so the update is $+\alpha\sum(y-h)x$, as above), and they drop the $1/m$ (or $1/b$),
# which only rescales $\alpha$. Eq. (1) also sums from $j=0$ to $m$, one term too many. The equations
# above are the corrected forms; the code below follows them.
# :::
#
# Written for any differentiable loss, all three are the same update
# $\theta \leftarrow \theta - \alpha\, g$ with $g$ the gradient of the loss averaged over the
# examples of the step. The AdaMix paper {cite}`he2016adamix` writes the same rule as its eq. (4)-(6).
# So the library has one class, and the regime is a property of the data loop, not of the
# optimizer. Here is the whole update and the class that applies it to a model's parameters:
#
# ```{literalinclude} /src/optimbook/optim/sgd.py
# :pyobject: sgd_update
# ```
#
# ```{literalinclude} /src/optimbook/optim/sgd.py
# :pyobject: SGD
# ```
#
# `torch._foreach_add_` applies $\theta \leftarrow \theta - \alpha g$ to every parameter tensor in
# one multi-tensor call. `SGD` is a `torch.optim.Optimizer`, so it drops into any training loop;
# chapter 2 checks it against `torch.optim.SGD` step by step, along with every other optimizer.
#
# The loop that feeds it is {func}`optimlab.training.loop.fit`: it shuffles the examples with a permutation
# seeded by the epoch, cuts it into batches of `batch_size`, and for each batch computes the loss,
# back-propagates and steps. Batch size $m$ is BGD, $1$ is SGD, anything between is MBGD.
#
# ## Linear regression
#
# A synthetic problem with known optimum: $m$ examples with $d$ Gaussian features whose scales
# spread over a factor of $\sqrt{10}$ (so the loss is an elongated bowl with condition number about
# 10),
# targets $y = x\theta^\star + $ noise. The exact least-squares solution gives the floor
# $J(\hat\theta)$ against which we measure the excess loss $J(\theta) - J(\hat\theta)$.

# %%
regression = first_order.regression_regimes(ch)
figures.glue_all(regression.values)
figures.regression(regression);

# %% [markdown] tags=["caption"]
# Linear regression, the three regimes with the same time budget: excess loss against the number of
# updates (left) and against wall time (right). Batch descent falls steadily per update; the
# stochastic forms follow noisy gradients, which with a constant step size leave a noise floor.

# %%
table(regression.table, missing="the regime did not reach this excess loss within its time budget")

# %% [markdown]
# Each regime had the same budget of {glue:text}`reg_budget` s of training. Per update (left),
# batch descent makes the steadiest progress, since every step follows the exact gradient of $J$:
# after {glue:text}`reg_bgd_steps` updates its excess loss is {glue:text}`reg_bgd_excess:.1e`
# (distance to the least-squares solution {glue:text}`reg_bgd_dist:.1e`). Stochastic descent took
# {glue:text}`reg_sgd_steps` updates in the same time but never settles: with a constant $\alpha$ the
# single-example gradient keeps its variance at the optimum, so the iterate jitters in a ball around
# $\hat\theta$ whose size grows with $\alpha$, and its excess loss stalls near
# {glue:text}`reg_sgd_excess:.1e`. Mini-batches of 32 divide the gradient's variance by 32 and so
# shrink that ball ({glue:text}`reg_mbgd_steps` updates, final excess loss
# {glue:text}`reg_mbgd_excess:.1e`).
#
# Per second (right) what counts is the cost of an update. To reach an excess loss of
# {glue:text}`reg_rough:g`, stochastic descent needed {glue:text}`reg_sgd_rough`, mini-batch
# {glue:text}`reg_mbgd_rough` and batch descent {glue:text}`reg_bgd_rough`. A full gradient does the
# arithmetic of {glue:text}`reg_m` single-example ones, but here one full-batch update took only
# {glue:text}`reg_full_cost:.1f` times as long as a single-example update
# ({glue:text}`reg_bgd_rate:.0f` against {glue:text}`reg_sgd_rate:.0f` updates per second): the
# single-example rate is held down by a fixed cost of Python and kernel dispatch per step that no
# amount of parallel hardware removes. An excess loss of {glue:text}`reg_fine:g`
# {glue:text}`reg_fine_reached_by`.
# Removing the noise floor of the stochastic forms needs a decaying learning rate, the subject of
# part III.
#
# ## An MNIST classifier
#
# The same three regimes train a multilayer perceptron 784-100-10 (ReLU) with softmax
# cross-entropy on MNIST {cite}`lecun1998gradient`, pixels scaled to [0, 1]. The curves show the
# cross-entropy on the whole training subset, evaluated outside the timed loop.

# %%
mnist = first_order.mnist_regimes(ch)
figures.glue_all(mnist.values)
figures.mnist_regimes(mnist);

# %% [markdown] tags=["caption"]
# The MLP on MNIST, the three regimes with the same time budget: training cross-entropy against
# updates (left) and wall time (right).

# %% [markdown]
# With {glue:text}`mnist_budget` s each on {glue:text}`mnist_n` images, batch descent took
# {glue:text}`mnist_bgd_steps` updates ({glue:text}`mnist_bgd_epochs:.1f` epochs) and reached a
# cross-entropy of {glue:text}`mnist_bgd_loss:.3f`; single-example steps took
# {glue:text}`mnist_sgd_steps` updates ({glue:text}`mnist_sgd_epochs:.2f` epochs) to reach
# {glue:text}`mnist_sgd_loss:.3f`; mini-batches of 100 took {glue:text}`mnist_mbgd_steps` updates
# ({glue:text}`mnist_mbgd_epochs:.1f` epochs) to reach {glue:text}`mnist_mbgd_loss:.3f`. The lowest
# loss in the budget: {glue:text}`mnist_best`. A network adds one effect the regression hid: a step
# on one example cannot use the hardware's parallelism, which the next figure measures.
#
# ## Time per epoch against batch size
#
# One pass over the data costs $m/b$ updates. Each update has a fixed cost (Python, kernel
# launches, the optimizer step) plus work proportional to $b$, and matrix products run faster per
# example on larger batches. We time one epoch of the MLP for a range of batch sizes.

# %%
timing = first_order.batch_size_timing(ch)
figures.glue_all(timing.values)
figures.epoch_times(timing.data, timing.values["timing_n"]);

# %% [markdown] tags=["caption"]
# One epoch of the MLP for a range of batch sizes: time per epoch (left) and throughput in examples
# per second (right), both on log scales. Large batches use the hardware's parallelism; single
# examples pay a fixed cost per step.

# %%
table(timing.data)

# %% [markdown]
# On this machine ({glue:text}`timing_device`, {glue:text}`timing_threads` threads) an epoch of
# single-example steps takes {glue:text}`time_b1:.2f` s, and the fastest batch size,
# {glue:text}`time_best_b`, takes {glue:text}`time_best:.3f` s: {glue:text}`time_ratio:.0f` times
# less for the same number of examples. That gap, not the quality of each step, is why practice
# settled on mini-batches: large enough to keep the hardware busy, small enough to update often.
# Every later chapter uses mini-batch descent and changes only the step rule.
#
# ## What to take away
#
# - The three forms are one update, $\theta \leftarrow \theta - \alpha g$, applied to gradients
#   averaged over $m$, $1$ or $b$ examples; the library expresses this as one optimizer class and a
#   `batch_size` argument.
# - With a constant $\alpha$, stochastic and mini-batch descent stall at a noise floor; batch descent
#   does not, but pays $m$ gradient evaluations per step.
# - Per second of compute, the cost of an update decides: a large batch uses the hardware's
#   parallelism, a single example pays a fixed cost per step, and a mini-batch sits between.
