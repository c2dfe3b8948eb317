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
# # RMSProp and Adadelta: averages instead of sums
#
# AdaGrad (chapter 3) divides by the root of a *sum* of squared gradients, so its rates can only
# shrink. The MindSpore chapter {cite}`mindspore2020adaptive` puts it as AdaGrad's obvious drawback: the
# accumulated sum keeps growing until the rate becomes "infinitely small" and the weights stop
# moving. **RMSProp** {cite}`tieleman2012rmsprop`, listed by the survey {cite}`feng2018survey` and
# given as algorithm 4.2 in the MindSpore chapter, replaces the sum by an exponential moving
# average. The RMSprop article of source 003 {cite}`compilation003` adds a *masked* ("sparse",
# 稀疏更新) update, in which the average sees every element but only selected elements move.
# **Adadelta** {cite}`zeiler2012adadelta`, also in the survey, goes one step further and removes the
# global learning rate, with an argument about units. This chapter derives both, shows the masked
# update, and measures what each rate does.

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
# ## RMSProp
#
# AdaGrad's accumulator $r_t = \sum_{s\le t} g_s^2$ gives the first gradient of a run the same weight
# as the last. RMSProp keeps a leaky average instead, with a decay $\gamma \in [0, 1)$:
#
# $$
# \begin{aligned}
# v_t &= \gamma\, v_{t-1} + (1-\gamma)\, g_t^2 = (1-\gamma)\sum_{s \le t}\gamma^{t-s} g_s^2 ,\\
# \theta_{t+1} &= \theta_t - \frac{\eta}{\sqrt{v_t} + \delta}\, g_t ,
# \end{aligned}
# $$ (eq-rms-rmsprop)
#
# elementwise, with $v_0 = 0$. The weights $(1-\gamma)\gamma^{t-s}$ sum to $1 - \gamma^t$, so once
# $t \gg 1/(1-\gamma)$, $v_t$ estimates the mean square of the recent gradients, over a memory of about
# $1/(1-\gamma)$ steps. The rate $\eta/\sqrt{v_t}$ then follows the current gradient scale, up or down,
# instead of shrinking for ever: the name is "divide the gradient by a running average of its recent
# magnitude" {cite}`tieleman2012rmsprop`, the root mean square (RMS) of the gradient.
#
# :::{note}
# **Two details of the sources.** The MindSpore text calls $v_t$ the "logarithmic average"
# (对数平均值) of the squared gradients and $\gamma$ its "proportion coefficient"; what it describes
# ("an average instead of AdaGrad's sum", discarding distant history) is the exponential moving
# average {eq}`eq-rms-rmsprop`, which we read it as. The formula images of algorithm 4.2 are missing
# from our copy; its text sets $\delta$ and $\varepsilon$ "as in AdaGrad", so we place $\delta$ as in
# algorithm 4.1, outside the root (torch does the same; some texts put it inside,
# $\sqrt{\delta + v}$, which differs only while $v \lesssim \delta$). The RMSprop article of source 003
# says the method uses a first moment and a "centered" second moment, but its formula, like ours,
# is the uncentered one (the centered variant subtracts the squared mean of $g$ inside the root).
# :::
#
# :::{admonition} Algorithm 4.1: RMSProp (MindSpore alg. 4.2)
# :class: note
# **Input:** global learning rate $\varepsilon$ (no default in MindSpore; torch 0.01); $\delta$
# (MindSpore $10^{-7}$; torch `eps` $10^{-8}$; source 003: "usually between $10^{-7}$ and
# $10^{-10}$"); decay $\gamma$ (MindSpore 0.9; torch calls it `alpha`, default 0.99; Keras and
# source 003 call it `rho`); initial parameters $\theta_0$.
#
# 1. $v \leftarrow 0$
# 2. **while** not converged: compute $g \leftarrow \nabla_\theta L(\theta)$ on a mini-batch
# 3. $\quad v \leftarrow \gamma v + (1-\gamma)\, g \odot g$
# 4. $\quad \theta \leftarrow \theta - \dfrac{\varepsilon}{\delta + \sqrt{v}} \odot g$
# :::
#
# The library's update function (it also applies the masked update described below) and class:
#
# ```{literalinclude} /src/optimbook/optim/rmsprop.py
# :pyobject: rmsprop_update
# ```
#
# ```{literalinclude} /src/optimbook/optim/rmsprop.py
# :pyobject: RMSProp
# ```

# %%
checks = first_order.rmsprop_conformance()
figures.glue_all(checks.values)
table(checks.table)

# %% [markdown]
# On a small least-squares problem (a demonstration; `tests/test_optim_conformance.py` is the real
# check), {class}`~optimbook.optim.rmsprop.RMSProp` follows `torch.optim.RMSprop` to
# {glue:text}`check_rmsprop:.1e` and {class}`~optimbook.optim.rmsprop.Adadelta` (below) follows
# `torch.optim.Adadelta` to {glue:text}`check_adadelta:.1e`.
#
# ### On the bowl
#
# AdaGrad and RMSProp with both sets of constants on the ill-conditioned quadratic of chapter 2
# (rotated, $\kappa = 50$). AdaGrad gets a larger $\eta$, since its rate starts out divided by the
# first gradient and only falls from there.

# %%
adaptive = first_order.adaptive_on_bowl()
figures.glue_all(adaptive.values)
figures.paths_loss_steps(adaptive.data, title=adaptive.title, labels=[name.split(" (")[0] for name in adaptive.data]);

# %% [markdown] tags=["caption"]
# AdaGrad, RMSProp and Adadelta on the quadratic bowl: paths (left), loss (middle) and step length
# (right).

# %% [markdown]
# Three things to see. First, RMSProp's very first step is long: $v_1 = (1-\gamma)g_1^2$, so each
# coordinate moves by $\eta/\sqrt{1-\gamma}$ in the direction of $-\operatorname{sign}(g)$, a step of
# length $\sqrt 2\,\eta/\sqrt{1-\gamma}$ in two dimensions: {glue:text}`first_step_ms:.3f` with
# $\gamma = 0.9$ and {glue:text}`first_step_torch:.3f` with $\gamma = 0.99$ (theory
# {glue:text}`first_step_ms_theory:.3f` and {glue:text}`first_step_torch_theory:.3f`). The average
# starts at zero and underestimates the gradient scale until it has filled; Adam's bias correction
# (chapter 5) removes exactly this. Second, AdaGrad's rate runs down: after {glue:text}`bowl_steps`
# steps it moves by {glue:text}`bowl_laststep_adagrad:.1e` per step and is still creeping towards the
# minimum (loss {glue:text}`bowl_final_adagrad:.1e`). Third, RMSProp's rate does not run down, and with
# a constant $\eta$ on a deterministic problem that has a cost of its own. When the average
# forgets fast ($\gamma = 0.9$), $\sqrt{v}$ tracks $|g|$, the step $\eta g/\sqrt v$ has length about
# $\eta$ whatever the gradient, and the iterate rattles around the minimum: the loss reached
# {glue:text}`bowl_min_ms:.1e` and ends at {glue:text}`bowl_final_ms:.1e`, with a last step of
# {glue:text}`bowl_laststep_ms:.1e`. With the slower average ($\gamma = 0.99$) the remembered larger
# gradients of the past hold the rate down for longer (final loss
# {glue:text}`bowl_final_torch:.1e`). A decaying $\eta$ (part III) or momentum on a stochastic problem
# changes this picture; the point here is what the normalisation alone does.
#
# ### The rates on MNIST
#
# The same measurement as in chapter 3: step hooks record, for a fixed random sample of parameter
# elements, the rate $\eta_{\text{eff}} = (\theta_t - \theta_{t+1})/g_t$ each step applied (float64,
# one seed). AdaGrad and RMSProp run with the same $\eta$.

# %%
rates = first_order.adagrad_rmsprop_rates(ch)
figures.glue_all(rates.values)
figures.applied_rates(rates.data["rates"], list(rates.data["rates"]), jumps=False, reference=True);

# %% [markdown] tags=["caption"]
# The rate AdaGrad and the two RMSProp variants apply to the MLP's parameters: median and the band
# from the 10th to the 90th percentile of the elements, against the step.

# %% [markdown]
# From step {glue:text}`quarter` to the last step {glue:text}`rate_steps`
# ({glue:text}`time_ratio:.0f` times as many steps), AdaGrad's median rate falls by a factor of
# {glue:text}`ada_rate_drop:.2f` (to {glue:text}`ada_rate_last:.3f`); a rate $\propto t^{-1/2}$ would
# fall by the square root of the step ratio. For RMSProp the same ratio, median rate at step
# {glue:text}`quarter` over median rate at the end, is {glue:text}`rms_rate_drop:.2f` with
# $\gamma = 0.99$ and {glue:text}`rms09_rate_drop:.2f` with $\gamma = 0.9$ (a ratio below 1 means
# the rate grew; final medians {glue:text}`rms_rate_last:.3f` and {glue:text}`rms09_rate_last:.3f`):
# RMSProp's rate follows the gradient scale, which can shrink as well as grow, while AdaGrad's sum
# only grows. The band of the 10th to 90th percentile shows how widely the per-element rates spread
# over the parameters.
#
# ## The masked ("sparse") update
#
# The RMSprop article of source 003 describes how to "update only part of the parameters, to reduce
# computation and storage": the average is updated with the full gradient, and an indicator (稀疏因子,
# a 0/1 mask $m$) selects the elements that move,
#
# $$
# v_t = \gamma\, v_{t-1} + (1-\gamma)\, g_t^2 ,\qquad
# \theta_{t+1} = \theta_t - \frac{\eta}{\sqrt{v_t} + \delta}\,(g_t \odot m).
# $$ (eq-rms-masked)
#
# {meth}`RMSProp.set_mask <optimbook.optim.rmsprop.RMSProp.set_mask>` attaches such a mask to a
# parameter (and `set_mask(p, None)` removes it). The average sees every element, so an element that
# was frozen by the mask resumes with a denominator that already knows its gradient scale. The
# obvious alternative, masking the *gradient* before the optimizer sees it (a gradient hook
# $g \leftarrow g\odot m$), freezes the average of the masked elements too, at zero, and when they are
# released their first step is the long uncalibrated step of an empty average.
#
# Both on the bowl: for the first 30 steps the mask lets only $x$ move; then it is removed.

# %%
masked = first_order.masked_runs()
figures.glue_all(masked.values)
figures.masked(masked.data, phase=masked.values["phase"]);

# %% [markdown] tags=["caption"]
# RMSProp with the y coordinate frozen for the first steps, three ways (a parameter mask, a
# gradient hook, no mask): paths (left), the running average of y's squared gradient (middle) and
# the steps taken in y (right).

# %% [markdown]
# With `set_mask`, $y$ stays exactly where it started for {glue:text}`phase` steps (largest move
# {glue:text}`mask_y_moved:.1e`) while its average builds up to {glue:text}`mask_v_y:.1f`; when the
# mask is removed, $y$'s first step is {glue:text}`mask_first_y_step:.3f`. With the gradient hook the
# average of $y$ is still {glue:text}`hook_v_y:.1f` at the end of the frozen phase, and the first step
# of $y$ is {glue:text}`hook_first_y_step:.3f`, the empty-average step $\eta/\sqrt{1-\gamma} =$
# {glue:text}`empty_step_theory:.3f` of a fresh optimizer. The mask lives in the optimizer's state
# (`state[p]["mask"]`), so `state_dict()` saves it with the average.
#
# ## Adadelta
#
# Zeiler's starting point {cite}`zeiler2012adadelta` is a units argument. If $\theta$ has units
# $[\theta]$ and the loss is dimensionless, a gradient has units $1/[\theta]$, and every update so far
# ($\eta g$, $\eta g/\sqrt{r}$, $\eta g/\sqrt{v}$) has the units of $\eta$ times $g$ divided by
# something with the units of $g$: the units of the update come from $\eta$ alone (for RMSProp,
# $\eta$ must carry the units of $\theta$). A Newton step $\Delta\theta = H^{-1}g$ has the right units
# by construction, and $H^{-1} = \Delta\theta / g$ suggests approximating the inverse curvature,
# per coordinate, by the ratio of two RMS values: that of recent *updates* over that of recent
# *gradients*. With $\operatorname{RMS}[x]_t = \sqrt{E[x^2]_t + \epsilon}$ and both averages
# decaying with $\rho$ (Zeiler's algorithm 1):
#
# $$
# \begin{aligned}
# E[g^2]_t &= \rho\, E[g^2]_{t-1} + (1-\rho)\, g_t^2 ,\\
# \Delta\theta_t &= -\frac{\operatorname{RMS}[\Delta\theta]_{t-1}}{\operatorname{RMS}[g]_t}\, g_t ,\\
# E[\Delta\theta^2]_t &= \rho\, E[\Delta\theta^2]_{t-1} + (1-\rho)\, \Delta\theta_t^2 ,\\
# \theta_{t+1} &= \theta_t + \Delta\theta_t .
# \end{aligned}
# $$ (eq-rms-adadelta)
#
# The numerator uses the updates up to $t-1$, since $\Delta\theta_t$ is what is being computed. There
# is no learning rate. torch (and the library) multiply $\Delta\theta_t$ by a global `lr` anyway,
# 1.0 by default, which is Zeiler's algorithm; the running average $E[\Delta\theta^2]$ accumulates
# the step *before* that factor.
#
# :::{admonition} Algorithm 4.2: Adadelta (Zeiler 2012, alg. 1)
# :class: note
# **Input:** decay $\rho$ (Zeiler 0.95; torch 0.9); $\epsilon$ (Zeiler and torch $10^{-6}$); torch's
# extra global rate `lr` = 1.0; initial parameters $\theta_0$. The survey lists Adadelta; no retrievable
# source gives its constants.
#
# 1. $E[g^2] \leftarrow 0$, $E[\Delta\theta^2] \leftarrow 0$
# 2. **while** not converged: compute $g \leftarrow \nabla_\theta L(\theta)$ on a mini-batch
# 3. $\quad E[g^2] \leftarrow \rho E[g^2] + (1-\rho) g\odot g$
# 4. $\quad \Delta \leftarrow -\sqrt{E[\Delta\theta^2] + \epsilon}\,/\,\sqrt{E[g^2] + \epsilon} \odot g$
# 5. $\quad E[\Delta\theta^2] \leftarrow \rho E[\Delta\theta^2] + (1-\rho)\Delta\odot\Delta$
# 6. $\quad \theta \leftarrow \theta + \mathrm{lr}\cdot\Delta$
# :::

# %% [markdown]
# ```{literalinclude} /src/optimbook/optim/rmsprop.py
# :pyobject: adadelta_update
# ```
#
# ```{literalinclude} /src/optimbook/optim/rmsprop.py
# :pyobject: Adadelta
# ```

# %% [markdown]
# ### The rate that $\epsilon$ sets
#
# "No learning rate" does not mean no scale. At the first step $E[\Delta\theta^2] = 0$ and the
# numerator is $\sqrt\epsilon$: the step is $\sqrt{\epsilon}\,g/\sqrt{(1-\rho)g^2 + \epsilon}$, about
# $\sqrt{\epsilon/(1-\rho)}$ per coordinate whenever $|g| \gg \sqrt\epsilon$. After that, while the
# gradient of a coordinate keeps its size, $g/\operatorname{RMS}[g] \approx \pm 1$, so
# $\Delta\theta^2 \approx E[\Delta\theta^2] + \epsilon$ and the average of squared steps grows by
# only $(1-\rho)\epsilon$ per step: the step length grows like $\sqrt{\epsilon\,(1 + (1-\rho)t)}$,
# from the scale $\sqrt\epsilon$. $\epsilon$ is the learning rate in disguise. Adadelta on the bowl
# with torch's $\rho = 0.9$ and three values of $\epsilon$:

# %%
adadelta = first_order.adadelta_eps()
figures.glue_all(adadelta.values)
figures.paths_loss_steps(adadelta.data, title=adadelta.title, labels=[f"ε = {eps:g}" for eps in adadelta.data]);

# %% [markdown] tags=["caption"]
# Adadelta for three values of its epsilon: paths (left), step length (middle) and loss (right).
# Epsilon sets the size of the first steps.

# %% [markdown]
# The first step has length {glue:text}`dd_first_6:.1e` for $\epsilon = 10^{-6}$ (the estimate
# $\sqrt 2\sqrt{\epsilon/(1-\rho)}$ gives {glue:text}`dd_first_6_theory:.1e`),
# {glue:text}`dd_first_4:.1e` for $10^{-4}$ and {glue:text}`dd_first_2:.1e` for $10^{-2}$. With the
# default $\epsilon$ the steps barely grow: the last of {glue:text}`dd_steps` steps has length
# {glue:text}`dd_last_6:.1e`, and the loss is still {glue:text}`dd_final_6:.1e`. (The $\sqrt{t}$
# estimate, {glue:text}`dd_last_6_theory:.1e`, assumes a gradient of constant size; here the
# gradients shrink on the way down, $|g|/\operatorname{RMS}[g] < 1$, and the steps grow even less.) With $\epsilon = 10^{-4}$ the loss reaches
# {glue:text}`dd_min_4:.1e` (final {glue:text}`dd_final_4:.1e`), and with $10^{-2}$ it gets down to
# {glue:text}`dd_min_2:.1e` quickly but ends at {glue:text}`dd_final_2:.1e`. Near the minimum the
# gradients shrink, $E[g^2]$ forgets the large ones within about $1/(1-\rho)$ steps while
# $E[\Delta\theta^2]$ still holds the large steps that brought the iterate there, the ratio
# $\operatorname{RMS}[\Delta\theta]/\operatorname{RMS}[g]$ jumps, and the iterate is thrown back up
# the walls (the jumps in the middle panel). $\epsilon$ trades speed at the start for stability at
# the end, as a learning rate does.
#
# ## On MNIST
#
# The book's classifier ({func}`optimlab.experiments.compare <optimlab.experiments.classifier.compare>`) with AdaGrad (torch's constants),
# RMSProp with both sets of constants at the same $\eta$, and Adadelta with torch's defaults.

# %%
mnist = first_order.rmsprop_mnist(ch)
figures.glue_all(mnist.values)
figures.mnist(mnist.data);

# %% [markdown] tags=["caption"]
# The MLP on MNIST with AdaGrad, the two RMSProp variants and Adadelta: training loss per epoch
# (left) and test accuracy (right).

# %%
table(mnist.table)

# %% [markdown]
# After {glue:text}`mnist_epochs` epochs ({glue:text}`mnist_seeds`): AdaGrad reaches a test accuracy
# of {glue:text}`mnist_ada_acc:.3f` (training loss {glue:text}`mnist_ada_loss:.3f`), RMSProp with
# torch's constants {glue:text}`mnist_rms_torch_acc:.3f` ({glue:text}`mnist_rms_torch_loss:.3f`), with
# MindSpore's {glue:text}`mnist_rms_ms_acc:.3f` ({glue:text}`mnist_rms_ms_loss:.3f`), and Adadelta
# {glue:text}`mnist_delta_acc:.3f` ({glue:text}`mnist_delta_loss:.3f`); highest test accuracy:
# {glue:text}`mnist_best`. None of the learning rates was tuned for this comparison; Adadelta had
# none to tune, only the $\epsilon$ that plays its part.
#
# ## What to take away
#
# - RMSProp divides by the root of an exponential moving average of squared gradients; its rate
#   follows the recent gradient scale instead of shrinking for ever. Its average starts at zero, which
#   makes the first steps long by $1/\sqrt{1-\gamma}$.
# - With a constant $\eta$ and a short memory, RMSProp's steps have length about $\eta$ whatever the
#   gradient, so it rattles around a minimum instead of settling.
# - The masked update of source 003 (`RMSProp.set_mask`) keeps every element's average current and
#   moves only the selected ones, so frozen elements resume with a calibrated step; masking the
#   gradient instead does not.
# - Adadelta replaces $\eta$ by the RMS of past updates; its $\epsilon$ sets the initial step scale
#   and acts as a learning rate. Chapter 5 adds momentum and a bias correction to RMSProp: Adam.
