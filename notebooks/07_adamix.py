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
# # AdaMix: one rule for the weights, another for the biases
#
# He & Li {cite}`he2016adamix` object to AdaGrad (自适应梯度算法) and AdaDec that they give every
# parameter of a network a learning rate of the *same form*, whether it is a connection weight or a
# bias. Their remedy is a **combinatory learning-rate strategy** (组合型学习率策略), AdaMix: each
# connection weight gets a rate of its own, shrunk at every step by its current gradient, and all
# biases share one power-decayed rate. This chapter derives AdaMix from AdaGrad and AdaDec (chapter 3),
# unrolls its weight rule to see what it really computes, shows the library's classes for it and for
# the paper's general "weights rule + biases rule" strategies, and checks the paper's claim that AdaMix
# costs less than AdaGrad and AdaDec. The reproduction of the paper's experiments, an autoencoder on
# MNIST, is Part IV of the book (chapters 12 to 18); here the models are small.

# %% tags=["parameters"]
scale = "smoke"  # "smoke" (seconds, CI) or "paper" (longer runs, more timing repeats)
device = "auto"  # "auto" picks CUDA when available
seed = 0

# %% tags=["setup"]
import pandas as pd
import torch

from optimlab.cost.timing import kernel_counts, step_times
from optimlab.experiments import adaptive
from optimlab.presentation import adaptive_figures as figures
from optimlab.presentation.adaptive_figures import glue_all
from optimlab.presentation.chapter import start
from optimlab.presentation.tables import table
from optimlab.training.data import load_mnist
from optimlab.training.models import mlp

ch = start(scale, device, seed)
cfg = ch.pick(adaptive.ADAMIX_SETTINGS)

# %% [markdown]
# ## From AdaGrad and AdaDec
#
# He & Li write both predecessors as a per-parameter learning rate $\eta(t)$ multiplying the
# mini-batch gradient $g(t)$ in $\theta(t+1) = \theta(t) - \eta(t)\, g(t)$ (their eq. (4)-(5)). AdaGrad
# divides the initial rate by the root of all squared gradients so far,
#
# $$
# \eta(t) = \frac{\eta(0)}{\sqrt{K + \sum_{s=1}^{t} g(s)^2}}, \qquad K = 1,
# $$ (eq-adamix-12)
#
# which is He & Li eq. (12). AdaDec (Senior et al. {cite}`senior2013empirical`) keeps only the last two
# squared gradients and lets a power law carry the long-term decay, He & Li eq. (13)-(15):
#
# $$
# \begin{aligned}
# \eta(t) &= \frac{p(t)}{\sqrt{K + G(t)}}, & G(t) &= \xi\, g(t-1)^2 + g(t)^2,\\
# p(t) &= \eta(0)\Bigl(1 + \frac{t}{R}\Bigr)^{-q},
# \end{aligned}
# $$ (eq-adamix-13-15)
#
# with $\xi = 0.999$, $K = 1$, $q = 0.75$ and $R$ the number of iterations. Chapter 3 derives both and
# the library's {class}`~optimbook.optim.adagrad.AdaGrad` and {class}`~optimbook.optim.adadec.AdaDec`.
#
# The paper's analysis (§2.3) finds fault with each: AdaGrad brings in too much gradient history
# (引入了过多的历史梯度数据), whose contribution to the current rate is limited, and every rate is
# computed afresh from the initial one, so it does not "reflect the state of the model"; AdaDec's
# long-term trend is a power function, "which is not the model's real convergence curve". Both give
# weights and biases the same form of rate.
#
# ## Weights and biases (§2.1)
#
# A unit computes $y_j = f(u_j)$ with $u_j = \sum_{i=1}^{I} \omega_{ij} x_i + b_j$ (He & Li eq.
# (10)-(11)). The paper's design principle: the weights carry the representation of the data and
# matter for every layer's features; a bias acts like one extra input dimension (a unit whose state is
# always 1) that helps to separate data of low dimension, but whose role "is weakened" when the input
# is high-dimensional, as MNIST's 784 pixels are. Hence weights should get individual, adaptive rates,
# and biases a decreasing rate chosen mainly for being cheap to compute, shared by all of them. Their
# Exp. 2 backs the asymmetry: freezing the biases costs little, freezing the weights ruins training.

# %%
# He & Li (2016), Exp. 2 (Fig. 5): test reconstruction error after 50 iterations, "weights + biases".
paper_exp2 = {"Cons + Cons": 8.37, "Cons + None": 9.09, "None + Cons": 51.40}
glue_all({f"exp2_{name.replace(' + ', '_').lower()}": value for name, value in paper_exp2.items()})
table(pd.Series(paper_exp2, name="RER (He & Li, Fig. 5)"))

# %% [markdown]
# With both rules constant ("Cons + Cons") the paper reports a reconstruction error of
# {glue:text}`exp2_cons_cons:.2f`; with the biases frozen ("Cons + None"),
# {glue:text}`exp2_cons_none:.2f`; with the weights frozen ("None + Cons"),
# {glue:text}`exp2_none_cons:.2f`. (Chapters 12 to 18 rerun these.)
#
# ## AdaMix, eq. (16)-(18)
#
# For the weight $\omega_{ij}$ the rate is the previous rate shrunk by the current gradient alone, and
# the visible and hidden biases share a power-decayed rate (He & Li eq. (16)-(18)):
#
# $$
# \begin{aligned}
# \alpha_{ij}(t) &= \frac{\alpha_{ij}(t-1)}{\sqrt{K + g_{ij}(t)^2}},\\
# \beta_i(t) &= \beta_i(0)\Bigl(1 + \frac{t}{R}\Bigr)^{-q},
# \qquad
# \gamma_j(t) = \gamma_j(0)\Bigl(1 + \frac{t}{R}\Bigr)^{-q},
# \end{aligned}
# $$ (eq-adamix-16-18)
#
# with $K = 1$ and $q = 0.75$. Three details are left open by the text, and the library reads them as
# follows.
#
# - *Which rate updates the weight at step $t$.* The paper calls $\alpha(t)$ "the rate of the next
#   round" and $\alpha(t-1)$ "the rate of the current round". We apply the rate that already includes
#   the current gradient, $\omega \leftarrow \omega - \alpha(t)\, g(t)$, as AdaGrad's eq. (12) does
#   with its current sum, and start from $\alpha(-1) = \eta(0)$.
# - *What $g(t)^2$ is.* The text says "the sum of squares of the current round's gradient"
#   (当前回合的梯度的平方和). We read it as the square of the element's own mini-batch gradient, which
#   by the paper's eq. (6) is itself a *sum* over the examples of the batch, not a mean. That choice of
#   scale matters a great deal, as shown below.
# - *Time.* $t$ counts the steps already taken ($t = 0$ on the first step) and $R$ is the total
#   number of steps of the run, as for AdaDec; the biases share one rate, $\beta(0) = \gamma(0)$.
#
# :::{admonition} Algorithm: AdaMix (He & Li 2016)
# :class: note
# **Require:** initial rate $\eta(0)$; $K = 1$; $q = 0.75$; $R$, the number of iterations;
# bias rate $\beta(0) = \eta(0)$ (the paper: the same initial value for every method, 0.1 in RBM
# pre-training and 0.001 in fine-tuning).
#
# 1. $\alpha \leftarrow \eta(0)$ for every weight element
# 2. **for** $t = 0, 1, \dots, R-1$ **do**
# 3. &nbsp;&nbsp; $g \leftarrow$ mini-batch gradient (summed over the batch, eq. (6))
# 4. &nbsp;&nbsp; weights: $\alpha \leftarrow \alpha / \sqrt{K + g^2}$, $\;\omega \leftarrow \omega - \alpha\, g$ (eq. (16))
# 5. &nbsp;&nbsp; biases: $\beta \leftarrow \beta(0)(1 + t/R)^{-q}$, $\;b \leftarrow b - \beta\, g$ (eq. (17)-(18))
# :::
#
# ## The library's code
#
# The weight rule is five multi-tensor operations; the bias rule is one scalar and one multi-tensor
# update. The same code runs on every device.
#
# ```{literalinclude} /src/optimbook/optim/adamix.py
# :pyobject: adamix_weight_update
# ```
#
# ```{literalinclude} /src/optimbook/optim/adadec.py
# :pyobject: unit_power_decay
# ```
#
# ```{literalinclude} /src/optimbook/optim/adamix.py
# :pyobject: AdaMix
# ```

# %% [markdown]
# ## Unrolling the weight rule
#
# Eq. (16) is a recursion, but it has a closed form. Starting from $\alpha(-1) = \eta(0)$,
#
# $$
# \begin{aligned}
# \alpha(t) &= \eta(0) \prod_{s=0}^{t} \bigl(K + g(s)^2\bigr)^{-1/2},\\
# \log \alpha(t) &= \log \eta(0) - \tfrac12 \sum_{s=0}^{t} \log\bigl(1 + g(s)^2\bigr) \quad (K = 1).
# \end{aligned}
# $$ (eq-adamix-unrolled)
#
# Compare AdaGrad with the same $K = 1$:
#
# $$
# \log \eta_{\text{AdaGrad}}(t) = \log\eta(0) - \tfrac12 \log\Bigl(1 + \sum_{s=0}^{t} g(s)^2\Bigr).
# $$ (eq-adamix-adagrad-log)
#
# So AdaMix does not discard the gradient history: its rate depends on every past gradient, exactly as
# AdaGrad's does, and keeps one number per weight, exactly as AdaGrad does. What differs is how the
# history is combined: a **sum of logarithms** (a product of factors) instead of the **logarithm of a
# sum**. Three consequences:
#
# 1. *While $\sum g^2 \ll 1$ the two agree*: both are $\log\eta(0) - \tfrac12\sum g^2$ to first order.
# 2. *AdaMix's rate is never above AdaGrad's*: $\prod_s (1 + g_s^2) \ge 1 + \sum_s g_s^2$ (expand the
#    product), so $\alpha(t) \le \eta_{\text{AdaGrad}}(t)$ at every step, for any gradients.
# 3. *With a steady gradient magnitude $|g|$, AdaMix decays geometrically*, as
#    $(1+g^2)^{-(t+1)/2}$, halving every $2\ln 2 / \ln(1 + g^2)$ steps, while AdaGrad decays like
#    $1/\sqrt{t}$. When $|g|$ is not small, AdaMix's rate collapses to zero within a few steps; when
#    $|g| \ll 1$ it barely moves for thousands of steps, and AdaMix is plain SGD.
#
# ($K = 1$ also makes every factor at most 1: with $K < 1$ a small gradient would *raise* the rate.)
#
# The figure drives the library's classes with constant gradients of four magnitudes (one weight
# element per magnitude, $\eta(0) = 1$) and plots the rate each holds: AdaMix's `rate` state, and
# AdaGrad's step divided by the gradient.

# %%
magnitudes = [0.01, 0.1, 0.5, 1.0]
rate_mix, rate_ada = adaptive.constant_gradient_rates(magnitudes, cfg["rate_steps"])
glue_all(adaptive.rate_agreement(magnitudes, cfg["rate_steps"]))
fig = figures.rates_figure(rate_mix, rate_ada, magnitudes)

# %% [markdown] tags=["caption"]
# AdaMix's learning rate relative to its initial value on a constant gradient, for several gradient
# magnitudes.


# %%
half = adaptive.halving_table(magnitudes)
glue_all({f"{name}_{key}": (f"{half.loc[m, column]:.1e}" if name == "tiny_ada" else f"{half.loc[m, column]:,}")
          for m, key in ((0.01, "001"), (1.0, "1"))
          for name, column in (("half_mix", "AdaMix: steps to halve"), ("half_ada", "AdaGrad: steps to halve"),
                               ("tiny_mix", "AdaMix: steps to 1e-6"), ("tiny_ada", "AdaGrad: steps to 1e-6"))})
table(half)

# %% [markdown]
# The library's rates match the closed forms to {glue:text}`closed_mix_dev:.1e` (AdaMix) and
# {glue:text}`closed_ada_dev:.1e` (AdaGrad) relative error, and AdaMix's rate never exceeds
# AdaGrad's (true at every step and magnitude: {glue:text}`rate_mix_below_ada`). The table (from the
# closed forms) puts numbers on the two regimes. With $|g| = 1$ AdaMix's rate halves every
# {glue:text}`half_mix_1` steps and falls by a factor of a million in {glue:text}`tiny_mix_1` steps,
# where AdaGrad would need {glue:text}`tiny_ada_1` steps; with $|g| = 0.01$ AdaMix needs
# {glue:text}`half_mix_001` steps merely to halve its rate (AdaGrad {glue:text}`half_ada_001`).
# Between these regimes there is little room: the rate is either essentially constant or gone.
#
# ## The scale of the loss decides which regime you are in
#
# The gradient's magnitude is not a property of the problem alone: it scales with the loss. He & Li's
# eq. (6) *sums* the loss over the mini-batch, so their gradients are $N$ times those of the mean loss
# that most code uses. For SGD this is only a change of units ($\eta$ on the sum is $N\eta$ on the
# mean). For AdaGrad it is almost harmless, since $\eta(0)\, g/\sqrt{K + \sum g^2}$ is nearly
# scale-free once $\sum g^2 \gg K$. For AdaMix it moves every weight from one regime to the other.
#
# We train the MNIST classifier of chapter 1 (784-100-10) with AdaMix and with AdaGrad ($K = 1$,
# no $\delta$), each on the mean and on the summed cross-entropy of batches of $N = 100$. The summed
# runs use $\eta(0)/N$ so that their first step equals the mean runs' first step. (The paper's
# fine-tuning rate 0.001 on a summed loss with batches of 100 corresponds to 0.1 on the mean.) The
# left panel shows the median and the 10-90 % range over the weight elements of the *effective*
# rate, the step divided by the mean-loss gradient, so the four runs share one scale. (First-layer
# weights of the pixels that are blank in every image never receive a gradient and keep their
# initial rate; they are left out of the statistics.)

# %%
xtr, ytr = load_mnist("train", fraction=cfg["mnist_fraction"], seed=seed, device=ch.device)
batch, lr_mean = 100, 0.1
scale_runs, final_opts = adaptive.loss_scale_runs(xtr, ytr, epochs=cfg["epochs"], batch=batch, lr_mean=lr_mean,
                                                  seed=seed)
fig = figures.loss_scale_figure(scale_runs, images=len(xtr), batch=batch, lr_mean=lr_mean)

# %% [markdown] tags=["caption"]
# AdaMix on the MLP with the rate measured on the mean-loss scale: the effective weight rates
# (median and 10-90 % band, left) and the training loss (right), for each run.


# %%
glue_all(adaptive.loss_scale_facts(scale_runs, final_opts, lr_mean=lr_mean, batch=batch))
table(adaptive.final_by(scale_runs, "run", ["step", "train_loss", "q50"]))

# %% [markdown]
# After {glue:text}`scale_steps` steps, the median weight rate of AdaMix on the mean loss is still
# {glue:text}`scale_mix_mean_rate:.3f` of its initial value: the per-element gradients of a mean loss
# are far below 1, so AdaMix's weights train almost exactly as with constant-rate SGD (and so do
# AdaGrad's: on the mean loss the two curves coincide). On the summed
# loss the same rule has shrunk the median rate to {glue:text}`scale_mix_sum_rate:.1e` of its initial
# value, and the training loss lags behind: {glue:text}`scale_mix_sum_loss:.3f` nats, against
# {glue:text}`scale_mix_mean_loss:.3f` on the mean loss. By the end, {glue:text}`scale_tiny_share:.1f` %
# of the weight rates of the summed run are below a millionth of their initial value, and
# {glue:text}`scale_zero_note`. AdaGrad's median rates end at
# {glue:text}`scale_ada_mean_rate:.3f` (mean) and {glue:text}`scale_ada_sum_rate:.3f` (sum) of the
# initial value, and its losses at {glue:text}`scale_ada_mean_loss:.3f` and
# {glue:text}`scale_ada_sum_loss:.3f`. AdaGrad's rate falls further on the summed loss too, but
# polynomially, and once $\sum g^2 \gg K$ its step $\eta(0)\, g/\sqrt{K + \sum g^2}$ no longer depends
# on the scale of $g$ at all; AdaMix's factors compound.
#
# AdaMix is therefore not "AdaGrad without history" but a different trade: a rate that stays put for
# small gradients and vanishes for large ones, with the boundary at $|g| \approx 1$ in whatever units
# the loss happens to use. Its behaviour in the paper's autoencoder depends on the per-weight
# gradient magnitudes of that model under its summed squared error; chapters 12 to 18 run that model.
#
# ## Roles: which tensor is a weight
#
# AdaMix, and the "X + Y" strategies below, need to know which parameters are weights. The library's
# rule: a tensor with two or more dimensions is a weight (a matrix $\omega_{ij}$ or a convolution
# kernel), anything else a bias; a param group may override it with `role="weight"` or
# `role="bias"`.
#
# ```{literalinclude} /src/optimbook/optim/roles.py
# :pyobject: role_of
# ```
#
# ```{literalinclude} /src/optimbook/optim/per_role.py
# :pyobject: split_by_role
# ```
#
# For the classifier of chapter 1:

# %%
table(adaptive.role_table(mlp(784, 100, 10, seed=seed)))

# %% [markdown]
# The paper names its strategies "weights rule + biases rule": "AdaGrad + Cons" is AdaGrad for the
# weights and a constant rate for the biases, "None + Cons" freezes the weights (Exp. 2-4).
# {class}`~optimbook.optim.per_role.PerRole` builds any of them from two ordinary optimizers, each
# described by a {class}`~optimbook.optim.per_role.Rule` (class, keyword arguments, optional schedule,
# extra param-group keys), or `None` to freeze that role:
#
# ```{literalinclude} /src/optimbook/optim/per_role.py
# :pyobject: Rule
# ```
#
# ```{literalinclude} /src/optimbook/optim/per_role.py
# :pyobject: PerRole.__init__
# :dedent:
# ```
#
# ```{literalinclude} /src/optimbook/optim/per_role.py
# :pyobject: PerRole.step
# :dedent:
# ```

# %% [markdown]
# Four checks on a tiny batch (summed cross-entropy, float64) make the composition concrete: AdaMix
# itself equals "AdaMix for both roles" built with `PerRole`; "AdaGrad + Cons" gives each role its own
# rule; "None + Cons" leaves the weights untouched. The paper's "Cons + AdaMix" (Exp. 4), which gives the
# *biases* AdaMix's weight rule, is a `Rule` with `group={"role": "weight"}`.

# %%
xb, yb = load_mnist("train", fraction=cfg["mnist_fraction"], seed=seed)
checks, facts = adaptive.per_role_checks(xb[:64], yb[:64], steps=20, lr=1e-3, seed=seed)
glue_all(facts)
table(checks)

# %% [markdown]
# The composed strategy reproduces AdaMix: the largest difference between the two models' parameters
# after the same steps is {glue:text}`per_same:.1e`. With "None + Cons" the weights moved by
# {glue:text}`per_frozen:.1e` while the biases moved by up to {glue:text}`per_bias_moved:.1e`; and with
# "Cons + AdaMix" each bias element carries its own AdaMix rate (the smallest is
# {glue:text}`per_bias_rate_min:.3g` times $\eta(0)$ after these steps on a summed loss).
#
# ## Is AdaMix cheaper than AdaGrad and AdaDec?
#
# The paper claims it is, in its abstract and conclusion, and reports the wall time of 50 fine-tuning
# iterations of its autoencoder (Exp. 1). Its stated reasons (§3.6): the weight rule drops the
# "unnecessary history" and the biases use a simple power function. Both deserve a count.
#
# **Arithmetic and state.** Per weight element and step, from the equations:

# %%
table(adaptive.operations_table())

# %% [markdown]
# Per element, AdaMix's weight rule does the same arithmetic as AdaGrad's (a square, an addition, a
# root, a product or quotient, the update) and keeps the same state, one number per weight:
# "dropping the history" saves neither memory nor arithmetic, because AdaGrad's history is also a
# single running sum. AdaDec as printed does two more operations. The biases are where AdaMix does
# save, a scalar rate instead of a per-element one, but biases are a tiny fraction of a network's
# parameters.
#
# **Passes over memory.** Element-wise updates this simple are limited by memory traffic, not
# arithmetic: what counts is how many times each step streams the parameter-sized tensors through
# memory, which is the number of multi-tensor kernels the update launches (torch fuses some pairs of
# operations, such as `addcmul` and `addcdiv`, into one kernel). We count the kernels each library
# class actually launches for one weight and for one bias, by intercepting torch's operator dispatch
# during a `step()`:

# %%
rules = adaptive.adamix_rules(total_steps=10_000)
kernels = kernel_counts(rules)
glue_all(adaptive.kernel_facts(kernels))
table(kernels)

# %% [markdown]
# The table lists the multi-tensor operators of each step (which ones, and how many): AdaGrad's
# update launches {glue:text}`cost_ada_kernels` of them, AdaMix's weight update
# {glue:text}`cost_mix_kernels` (torch has no fused kernel for "multiply by $1/\sqrt{K + g^2}$"),
# AdaDec {glue:text}`cost_dec_kernels` as printed and {glue:text}`cost_decr_kernels` recursive. The
# minimum traffic of the rules is the same (read
# $g$, the state and $\theta$; write the state and $\theta$), so this difference belongs to the
# implementation, not to the equations; but it is the implementation that runs.
#
# **Time.** One `step()` of each rule on a model with the autoencoder's shapes (784-1000-500-250-30
# and back: weights 784×1000, 1000×500, 500×250, 250×30 and their transposes, with all biases) and
# fixed random gradients, the rules interleaved round by round. The book is built on a machine shared
# with other work, where wall-clock times of a few milliseconds can vary twentyfold from one minute to
# the next; on the CPU we therefore time with one thread and measure the CPU time of that thread
# (`time.thread_time`), which other processes do not inflate. (On a GPU the cell measures wall-clock
# time between synchronisations.) For scale we also time one forward and backward pass of the network
# on a batch of 100, which every training step pays on top of the optimizer.

# %%
measured = step_times(rules, lambda: adaptive.autoencoder_shaped(device=ch.device),
                      torch.rand(batch, 784, device=ch.device), repeats=cfg["timing_repeats"], seed=seed)
timing = adaptive.cost_table(measured)
table(timing, missing="the paper times only Cons, AdaGrad, AdaDec and AdaMix")

# %%
fig = figures.cost_figure(measured, timing, cpu=ch.device.type == "cpu")

# %% [markdown] tags=["caption"]
# The cost of a step of each rule: time of one optimizer step (left) and the training cost relative
# to a constant rate, ours beside the paper's (right).


# %%
glue_all(adaptive.cost_facts(measured, timing, ch.device))

# %% [markdown]
# On this machine ({glue:text}`cost_device`; {glue:text}`cost_clock`, median of
# {glue:text}`cost_repeats` steps), for {glue:text}`cost_params` parameters of which
# {glue:text}`cost_bias_share:.2f` % are biases, one step takes {glue:text}`cost_sgd_ms:.2f` ms with a
# constant rate, {glue:text}`cost_ada_ms:.2f` ms with AdaGrad, {glue:text}`cost_dec_ms:.2f` ms with
# AdaDec as printed ({glue:text}`cost_decr_ms:.2f` ms recursive) and {glue:text}`cost_mix_ms:.2f` ms
# with AdaMix. AdaMix's step is {glue:text}`cost_verdict` AdaGrad's (ratio
# {glue:text}`cost_mix_rel:.2f`), AdaDec's is {glue:text}`cost_dec_rel:.2f` times AdaGrad's
# ({glue:text}`cost_decr_rel:.2f` recursive); compare the kernel counts above:
# {glue:text}`cost_ada_kernels` multi-tensor operators per weight tensor for AdaGrad, {glue:text}`cost_mix_kernels` for
# AdaMix, {glue:text}`cost_dec_kernels` and {glue:text}`cost_decr_kernels` for AdaDec.
# A constant-rate step costs {glue:text}`cost_sgd_rel:.2f` of an
# AdaGrad step.
#
# A training step adds a forward and backward pass of {glue:text}`cost_fb_ms:.1f` ms (batch of 100,
# same clock), which dilutes the differences: relative to a constant rate, a full step costs
# {glue:text}`cost_ada_train:.3f` (AdaGrad), {glue:text}`cost_dec_train:.3f` (AdaDec) and
# {glue:text}`cost_mix_train:.3f` (AdaMix) in our measurement. The paper's wall times give
# {glue:text}`paper_ada_rel:.3f`, {glue:text}`paper_dec_rel:.3f` and {glue:text}`paper_mix_rel:.3f`.
# Its ordering of AdaMix below AdaGrad is not explained by the update rules, whose arithmetic, state
# and minimal memory traffic per weight are the same; it must come from the implementation the authors
# timed, which the paper does not describe. {glue:text}`cost_ours_sentence`
#
# ## What to take away
#
# - AdaMix (组合型学习率策略) gives weights AdaGrad-like per-element rates
#   $\alpha(t) = \alpha(t-1)/\sqrt{1 + g(t)^2}$ and biases one shared power-decayed rate.
# - Unrolled, the weight rate is $\eta(0)\prod_s (1 + g(s)^2)^{-1/2}$: a product where AdaGrad has a
#   sum under a root. It is never above AdaGrad's rate, is constant in practice when $|g| \ll 1$
#   and collapses geometrically when $|g| \gtrsim 1$, so its behaviour depends on the units of the loss
#   (mean or sum over the batch).
# - `PerRole` composes any "weights rule + biases rule" strategy of the paper from ordinary optimizers;
#   roles come from tensor dimensions or a param group's `role`.
# - Per element AdaMix does the same arithmetic as AdaGrad and keeps the same state; measured here,
#   its step is {glue:text}`cost_verdict_short` (ratio {glue:text}`cost_mix_rel:.2f`), with the
#   torch code's passes counted above.
# - The paper's autoencoder experiments are reproduced in chapters 12 to 18.
