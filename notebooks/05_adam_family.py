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
# # Adam and its family: AMSGrad, AdamW, Nadam; gradient clipping
#
# RMSProp (chapter 4) has no momentum, and its average of squared gradients starts at zero, which
# makes its first steps too long. **Adam** (Adaptive Moment Estimation, 自适应矩估计;
# {cite:t}`kingma2015adam`), algorithm 4.3 of the MindSpore chapter {cite}`mindspore2020adaptive`
# and listed by the survey {cite}`feng2018survey`, fixes both: it averages the gradient as momentum
# does, the squared gradient as RMSProp does, and corrects both averages for their start at zero.
# Three descendants appear in the sources: **AMSGrad** {cite}`reddi2018convergence`, which repairs a
# convergence failure of Adam; **AdamW** {cite}`loshchilov2019decoupled`, the subject of two articles
# in source 003 {cite}`compilation003`, which separates weight decay (权重衰减) from the gradient; and
# **Nadam** {cite}`dozat2016incorporating`, Adam with Nesterov's look-ahead, listed by the survey. The
# chapter ends with the two optimizer options of source 003 that are not optimizers at all:
# `clipnorm` and `clipvalue`, gradient clipping (梯度剪裁).

# %% tags=["parameters"]
scale = "smoke"  # "smoke" (seconds, CI) or "paper" (full MNIST)
device = "auto"  # "auto" picks CUDA when available
seed = 0

# %% tags=["setup"]
import torch

from optimlab.experiments import adaptive, compare
from optimlab.presentation import adaptive_figures as figures
from optimlab.presentation.adaptive_figures import glue_all
from optimlab.presentation.chapter import start
from optimlab.presentation.plotting import glue
from optimlab.presentation.tables import table
from optimlab.training.data import load_mnist
from optimlab.training.landscapes import LANDSCAPES
from optimlab.training.models import mlp

ch = start(scale, device, seed)
cfg = ch.pick(adaptive.ADAM_SETTINGS)
# MNIST for the runs that call fit directly (compare loads its own)
xf, yf = load_mnist("train", fraction=cfg["fit_fraction"], seed=seed, device=ch.device)
xt, yt = load_mnist("test", fraction=cfg["test_fraction"], seed=seed, device=ch.device)
metrics = adaptive.mnist_metrics(xt, yt)

# %% [markdown]
# ## Adam
#
# Adam keeps two exponential moving averages per parameter, of the gradient (the first moment,
# 一阶矩估计) and of its square (the second moment, 二阶矩估计):
#
# $$
# \begin{aligned}
# m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t , & m_0 &= 0,\\
# v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 , & v_0 &= 0 .
# \end{aligned}
# $$ (eq-adam-moments)
#
# $m$ is momentum's buffer of chapter 2 (scaled by $1-\beta_1$), $v$ is RMSProp's average of chapter 4.
# Both start at zero, and that biases them. Unrolling, $m_t = (1-\beta_1)\sum_{s\le t}\beta_1^{t-s}g_s$;
# if the gradients are drawn from a distribution that does not change, with mean $\mathbb E[g]$,
#
# $$
# \begin{aligned}
# \mathbb E[m_t] &= (1-\beta_1)\sum_{s=1}^{t}\beta_1^{t-s}\,\mathbb E[g] = (1-\beta_1^t)\,\mathbb E[g] ,\\
# \text{and likewise}\quad \mathbb E[v_t] &= (1-\beta_2^t)\,\mathbb E[g^2] .
# \end{aligned}
# $$ (eq-adam-bias)
#
# The averages underestimate their targets by the factors $1-\beta^t$, severely while $t$ is small
# compared with $1/(1-\beta)$: with $\beta_2 = 0.999$, $v_{10}$ is about 1 % of $\mathbb E[g^2]$. Dividing
# by those factors removes the bias (the bias correction, 偏差修正):
#
# $$
# \hat m_t = \frac{m_t}{1-\beta_1^t} ,\qquad \hat v_t = \frac{v_t}{1-\beta_2^t} ,\qquad
# \theta_{t+1} = \theta_t - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \delta} .
# $$ (eq-adam-update)
#
# In particular the first step is $\hat m_1/\sqrt{\hat v_1} = g_1/|g_1|$: exactly $\eta$ per
# coordinate, instead of RMSProp's $\eta/\sqrt{1-\gamma}$.
#
# :::{admonition} Algorithm 5.1: Adam (MindSpore alg. 4.3, whose $s$, $r$, $\gamma_1$, $\gamma_2$ are $m$, $v$, $\beta_1$, $\beta_2$ here)
# :class: note
# **Input:** global learning rate $\varepsilon$ (MindSpore 0.001; torch `lr` 0.001); $\delta$ (MindSpore
# $10^{-7}$; torch `eps` $10^{-8}$); $\gamma_1 = 0.9$; $\gamma_2 = 0.999$; initial parameters $\theta_0$.
#
# 1. $s \leftarrow 0$, $r \leftarrow 0$, $t \leftarrow 0$
# 2. **while** not converged: compute $g \leftarrow \nabla_\theta L(\theta)$ on a mini-batch; $t \leftarrow t+1$
# 3. $\quad s \leftarrow \gamma_1 s + (1-\gamma_1) g$
# 4. $\quad r \leftarrow \gamma_2 r + (1-\gamma_2) g\odot g$
# 5. $\quad \hat s \leftarrow s/(1-\gamma_1^t)$, $\hat r \leftarrow r/(1-\gamma_2^t)$
# 6. $\quad \theta \leftarrow \theta - \varepsilon\, \hat s / (\sqrt{\hat r} + \delta)$
# :::
#
# The Adam article of source 003 gives the same equations with bias correction. Its prose says the
# update "divides the gradient by the square root of its first-moment estimate"; the equations (and
# every other source) divide by the root of the *second* moment.
#
# The library's update function (it also serves AMSGrad below) and class:
#
# ```{literalinclude} /src/optimbook/optim/adam.py
# :pyobject: adam_update
# ```
#
# ```{literalinclude} /src/optimbook/optim/adam.py
# :pyobject: Adam
# ```

# %% [markdown]
# ### The bias, measured
#
# To see {eq}`eq-adam-bias` in the library's own state, feed {class}`~optimbook.optim.adam.Adam` a
# stream of gradients with known moments: $n$ independent coordinates, each receiving a fresh
# gradient $g \sim \mathcal N(0.5, 1)$ at every step (the loss $\sum_i c_i\theta_i$ with random
# coefficients $c$), so $\mathbb E[g] = 0.5$ and $\mathbb E[g^2] = 1.25$. The mean of $m_t$ and $v_t$
# over the coordinates estimates their expectation.

# %%
n, mean_g, std_g = 1000, 0.5, 1.0
bias = adaptive.adam_bias(cfg["bias_steps"], n=n, mean=mean_g, std=std_g, seed=seed)
fig = figures.bias_figure(bias, mean=mean_g, std=std_g)

# %% [markdown] tags=["caption"]
# Adam's moment estimates under random gradients with a fixed mean, raw and bias-corrected: first
# moment (left) and second moment (right), averaged over the coordinates, on a log step axis.

# %%
second, first = mean_g**2 + std_g**2, mean_g
glue_all({"bias_v10_ratio": bias.v[9] / second, "bias_vhat10_ratio": bias.v_hat[9] / second,
          "bias_m3_ratio": bias.m[2] / first, "bias_mhat3_ratio": bias.m_hat[2] / first, "bias_n": n})

# %% [markdown]
# At step 10, the mean of $v_t$ over the {glue:text}`bias_n` coordinates is
# {glue:text}`bias_v10_ratio:.3f` of $\mathbb E[g^2]$ and that of $\hat v_t$ is
# {glue:text}`bias_vhat10_ratio:.3f`; at step 3, $m_t$ is at {glue:text}`bias_m3_ratio:.2f` of
# $\mathbb E[g]$ and $\hat m_t$ at {glue:text}`bias_mhat3_ratio:.2f`. The dashed curve is the prediction
# {eq}`eq-adam-bias`. Without the correction the denominator would be far too small for the first
# few hundred steps (RMSProp's long first steps, with $\beta_2 = 0.999$ even longer); with it, the
# estimates are unbiased from the first step on, with a spread that shrinks as the averages fill.
#
# ## AMSGrad
#
# Adam's per-coordinate rate $\eta/\sqrt{\hat v_t}$ goes *up* whenever $v_t$ falls, that is whenever
# a large gradient has aged out of the average. {cite:t}`reddi2018convergence` show that this can make
# Adam converge to the worst point of a simple convex problem. Their online example (Theorem 1): on
# $x \in [-1, 1]$ the losses are
#
# $$
# f_t(x) = \begin{cases} C x, & t \bmod 3 = 1,\\ -x, & \text{otherwise,}\end{cases}\qquad C > 2 .
# $$ (eq-adam-reddi)
#
# Over each period of three steps the sum is $(C-2)x$, minimized at $x = -1$. The large gradient $C$
# comes once in three steps, the small gradients $-1$ twice. With $\beta_1 = 0$ and
# $\beta_2 = 1/(1+C^2)$, $v$ forgets the large gradient almost at once: the step taken on the $C$ is
# about $\eta\,C/\sqrt{C^2} = \eta$ towards $-1$, but each of the two steps on the $-1$s is almost as
# large, towards $+1$, and Adam drifts to $x = +1$. AMSGrad divides by the running maximum instead,
#
# $$
# v^{\max}_t = \max(v^{\max}_{t-1}, v_t),\qquad
# \theta_{t+1} = \theta_t - \eta\,\frac{m_t}{\sqrt{v^{\max}_t} + \delta}
# $$ (eq-adam-amsgrad)
#
# (torch's form, and the library's, applies Adam's bias corrections on top), so a coordinate's rate
# can only decrease, up to the fading bias correction: the two small gradients move it by about
# $\eta/C$ each, less than the large one moves it back.
#
# We run the library's {class}`~optimbook.optim.adam.Adam` and {class}`~optimbook.optim.adam.AMSGrad`
# on {eq}`eq-adam-reddi` with $C = 3$, $\beta_1 = 0$, $\beta_2 = 1/(1+C^2)$, Reddi et al.'s step size
# $\eta_t = \eta/\sqrt t$ (torch's `LambdaLR` scheduler), and the projection onto $[-1, 1]$ after each
# step. The average regret $R_T/T = \frac1T\sum_{t\le T}\bigl(f_t(x_t) - f_t(-1)\bigr)$ goes to 0
# for a method that converges to the minimum.

# %%
C = 3.0
ams = adaptive.reddi_runs(cfg["ams_steps"], C=C, lr=0.5)
fig = figures.reddi_figure(ams, C=C)

# %% [markdown] tags=["caption"]
# Reddi et al.'s online problem: the iterate (left) and the average regret (right) of Adam and
# AMSGrad.

# %%
late = ams.groupby("optimizer").tail(300).groupby("optimizer")["x"].mean()
regret = ams.groupby("optimizer").tail(1).set_index("optimizer")["regret"]
glue_all({"ams_steps": cfg["ams_steps"], "ams_adam_x": late["Adam"], "ams_ams_x": late["AMSGrad"],
          "ams_adam_regret": regret["Adam"], "ams_ams_regret": regret["AMSGrad"]})

# %% [markdown]
# Over the last 300 of {glue:text}`ams_steps` steps Adam's iterate averages
# {glue:text}`ams_adam_x:.3f`, the worst point of the interval, and its average regret stays at
# {glue:text}`ams_adam_regret:.3f`; AMSGrad's averages {glue:text}`ams_ams_x:.3f` and its average regret
# has fallen to {glue:text}`ams_ams_regret:.4f`. This construction uses a small $\beta_2$; Reddi et
# al. extend it (their Theorem 2) to any $\beta_1 < \sqrt{\beta_2}$, the defaults included, with a
# problem whose rare large gradient is rarer still.
#
# ## AdamW: decoupled weight decay
#
# L2 regularization adds $\tfrac{\lambda}{2}\lVert\theta\rVert^2$ to the loss, hence $\lambda\theta$ to
# the gradient. For plain gradient descent this is weight decay, since
# $\theta - \eta(g + \lambda\theta) = (1-\eta\lambda)\theta - \eta g$. In Adam it is not: the term
# $\lambda\theta$ enters $m$ and $v$ and is divided by $\sqrt{\hat v}$ like the rest of the gradient,
# so a weight with a large gradient history is barely decayed, and a weight with no data gradient
# at all is decayed at the full normalized speed, $\eta\,\lambda\theta/|\lambda\theta| = \eta$ per
# step, whatever $\lambda$ is. {cite:t}`loshchilov2019decoupled` decouple the two: shrink the weights
# directly and take the Adam step on the data gradient alone,
#
# $$
# \theta_{t+1} = (1 - \eta\lambda)\,\theta_t - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \delta} .
# $$ (eq-adam-adamw)
#
# :::{note}
# The two AdamW articles of source 003 contradict each other and themselves: one says AdamW decays
# the weights "at the parameter update instead of adding a regularization term to the loss" (that
# is {eq}`eq-adam-adamw`) and then that it "adds the weight decay to the gradient term"; the other
# says AdamW "adds the weight-decay term to the overall loss function". Adding to the gradient or to
# the loss is L2 regularization, the thing AdamW replaces. We follow Loshchilov and Hutter,
# {eq}`eq-adam-adamw`, as torch's `AdamW` does (default $\lambda = 0.01$).
# :::
#
# The library's class:
#
# ```{literalinclude} /src/optimbook/optim/adam.py
# :pyobject: AdamW
# ```

# %% [markdown]
# The difference on the smallest possible example: two groups of {glue:text}`bias_n` weights, all
# starting at 1. The *idle* weights do not affect the loss (their data gradient is 0); the *busy*
# weights receive pure noise, $g \sim \mathcal N(0, 10^2)$, with mean zero, so that only the
# regularization pulls them anywhere. Same $\eta = 0.01$ and $\lambda = 0.1$ for Adam with the L2 term in
# the loss and for AdamW.

# %%
eta_wd, lam = 0.01, 0.1
decay = adaptive.decay_runs(cfg["decay_steps"], n=n, lr=eta_wd, lam=lam, sigma=10.0, seed=seed)
fig = figures.decay_figure(decay, lr=eta_wd, lam=lam)

# %% [markdown] tags=["caption"]
# The mean weight under L2 regularisation added to Adam's gradient and under AdamW's decoupled
# weight decay.

# %%
l2, adamw = decay["Adam + L2"], decay["AdamW"]
glue_all({"wd_steps": cfg["decay_steps"], "wd_l2_idle": l2[-1, 0], "wd_l2_busy": l2[-1, 1],
          "wd_w_idle": adamw[-1, 0], "wd_w_busy": adamw[-1, 1],
          "wd_theory": (1 - eta_wd * lam) ** cfg["decay_steps"],
          "wd_l2_idle_zero_step": int((abs(l2[:, 0]) < 0.01).argmax()) + 1})

# %% [markdown]
# After {glue:text}`wd_steps` steps AdamW has shrunk both groups alike, to
# {glue:text}`wd_w_idle:.3f` (idle) and {glue:text}`wd_w_busy:.3f` (busy), as $(1-\eta\lambda)^t =$
# {glue:text}`wd_theory:.3f` predicts. Adam with L2 treats them in opposite ways: the idle weights
# fall by about $\eta$ per step and are near zero after {glue:text}`wd_l2_idle_zero_step` steps (mean
# {glue:text}`wd_l2_idle:.3f` at the end), whatever $\lambda$ is; the busy weights, whose $\sqrt{\hat v}$
# is about 10, feel a tenth of the decay (mean {glue:text}`wd_l2_busy:.3f`). The same $\lambda$ means a
# different regularizer for every weight. (One detail of torch's convention, which the library shares:
# a parameter whose `grad` is `None` is skipped entirely, decay included; the example gives the idle
# weights a zero gradient so that AdamW decays them.)
#
# On the MNIST classifier, the norm of all parameters during training with plain Adam, AdamW and
# Adam + L2 at torch's default $\lambda = 0.01$ and $\eta = 10^{-3}$ (one seed; the L2 version is
# torch's `Adam(weight_decay=λ)`, which adds $\lambda\theta$ to the gradient):

# %%
wd = adaptive.mlp_runs(adaptive.WEIGHT_DECAY_RUNS, xf, yf, batch_size=cfg["fit_batch"],
                       epochs=cfg["fit_epochs"], seed=seed, evaluate=metrics)
fig = figures.two_panels(wd, x="epoch", hue="run", marker="o",
                         left=("weight_norm", r"$\|\theta\|$ over all parameters", "parameter norm"),
                         right=("test_accuracy", "test accuracy", "test accuracy"))

# %% [markdown] tags=["caption"]
# The MLP on MNIST with the weight-decay variants: parameter norm (left) and test accuracy (right)
# per epoch.

# %%
glue_all(adaptive.weight_decay_facts(wd))

# %% [markdown]
# From a norm of {glue:text}`wdm_start:.2f` at initialisation, after {glue:text}`wdm_steps` steps the
# parameters have norm {glue:text}`wdm_adam:.2f` with Adam, {glue:text}`wdm_adamw:.2f` with AdamW and
# {glue:text}`wdm_l2:.2f` with Adam + L2 (test accuracies {glue:text}`wdm_adam_acc:.3f`,
# {glue:text}`wdm_adamw_acc:.3f`, {glue:text}`wdm_l2_acc:.3f`). AdamW's decay over the run is the factor
# $(1-\eta\lambda)^t =$ {glue:text}`wdm_factor:.3f`; the L2 term is divided by $\sqrt{\hat v}$, which is
# small for the many weights with small gradients (the input pixels that are almost always 0), so on
# those it acts at nearly the full step $\eta$: the same $\lambda$ is a different regularizer in the
# two methods.
#
# ## Nadam
#
# Chapter 2 turned momentum into Nesterov's method by taking the step along the look-ahead
# combination $g_t + \mu b_{t+1}$ instead of the buffer $b_{t+1}$ alone. {cite:t}`dozat2016incorporating`
# does the same to Adam's first moment: replace $\hat m_t$ in {eq}`eq-adam-update` by
# $\beta_1 \hat m_t + (1-\beta_1)\, g_t/(1-\beta_1^t)$, the bias-corrected moment as it will look one
# step later if the next gradient repeats this one. Dozat also lets the momentum coefficient vary with
# $t$; torch (and the library) use his schedule $\mu_t = \beta_1\bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr)$,
# $\psi = 0.004$, and the products $\prod_s \mu_s$ in place of $\beta_1^t$:
#
# $$
# \theta_{t+1} = \theta_t - \frac{\eta}{\sqrt{\hat v_t} + \delta}\Bigl(
# \frac{1-\mu_t}{1-\prod_{s\le t}\mu_s}\, g_t + \frac{\mu_{t+1}}{1-\prod_{s\le t+1}\mu_s}\, m_t\Bigr) .
# $$ (eq-adam-nadam)
#
# :::{admonition} Algorithm 5.2: Nadam (torch's form of Dozat 2016)
# :class: note
# **Input:** $\eta$ (torch 0.002), $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\delta = 10^{-8}$, momentum decay
# $\psi = 0.004$. As Adam, with step 6 replaced by {eq}`eq-adam-nadam`. The survey lists Nadam
# without constants.
# :::
#
# The library's update function:
#
# ```{literalinclude} /src/optimbook/optim/adam.py
# :pyobject: nadam_update
# ```

# %%
beta1 = 0.9
glue_all({f"nadam_mu{k}": beta1 * (1 - 0.5 * 0.96 ** (k * 4e-3)) for k in (1, 1000, 10000)})

# %% [markdown]
# With $\psi = 0.004$ the schedule starts at $\mu_1 =$ {glue:text}`nadam_mu1:.3f` and approaches
# $\beta_1$ only slowly ($\mu_{1000} =$ {glue:text}`nadam_mu1000:.3f`, $\mu_{10000} =$
# {glue:text}`nadam_mu10000:.3f`): early in training Nadam uses about half the momentum of Adam.
#
# ## The classes against torch.optim, and on a 2-D picture
#
# Each class claims to equal its torch counterpart (a demonstration; `tests/test_optim_conformance.py`
# is the real check):

# %%
checks = adaptive.torch_agreement()
glue_all({"check_max_diff_adam": checks[~checks.index.str.startswith("Nadam")].max(),
          "check_nadam": checks["Nadam() vs NAdam()"],
          "check_nadam64": checks["Nadam() vs NAdam(), torch's default dtype float64"]})
table(checks.to_frame())

# %% [markdown]
# Adam, AMSGrad and AdamW agree to {glue:text}`check_max_diff_adam:.1e`. Nadam differs by
# {glue:text}`check_nadam:.1e`, more than float64 rounding, and the reason is on torch's side: torch
# keeps Nadam's running product $\prod_s\mu_s$ as a tensor of the *default* dtype, float32, even for
# float64 parameters. With the default dtype set to float64 the difference is
# {glue:text}`check_nadam64:.1e`. (The test suite's tolerance, $10^{-9}$ relative, covers the float32
# product.) On Rosenbrock's curved valley, from the book's common start, RMSProp (chapter 4) and the Adam family with one step
# size:

# %%
eta_2d, steps_2d = 0.05, 500
paths = adaptive.adam_family_paths(eta_2d, steps_2d)
fig = figures.paths_figure(paths, title=f"Rosenbrock, η = {eta_2d}, {steps_2d} steps")

# %% [markdown] tags=["caption"]
# RMSProp, Adam, AMSGrad and Nadam on the Rosenbrock function: paths (left) and loss (right).

# %%
rosen = LANDSCAPES["rosenbrock"]
first = (paths["Adam"][1] - paths["Adam"][0]).abs()
glue_all({**{f"rosen_{key}": float(rosen.f(path[-1])) for key, path in zip(("rms", "adam", "ams", "nadam"),
                                                                          paths.values())},
          "adam_first_step_max": first.max().item(), "adam_first_step_min": first.min().item(), "eta_2d": eta_2d})

# %% [markdown]
# Adam's first step moves each coordinate by {glue:text}`adam_first_step_min:.4f` to
# {glue:text}`adam_first_step_max:.4f`, i.e. by $\eta =$ {glue:text}`eta_2d` as the bias correction
# promises. After 500 steps the losses are {glue:text}`rosen_rms:.1e` (RMSProp),
# {glue:text}`rosen_adam:.1e` (Adam), {glue:text}`rosen_ams:.1e` (AMSGrad) and
# {glue:text}`rosen_nadam:.1e` (Nadam). With momentum, the Adam family carries its speed along the
# valley floor; the gallery (chapter 8) tunes the step size of each optimizer on this and other
# landscapes.
#
# ## Gradient clipping: `clipnorm`, `global_clipnorm`, `clipvalue`
#
# Source 003 lists, among the parameters of an optimizer, `clipnorm` ("gradient clipping, a method
# against exploding gradients; it controls the size of the gradient") and `clipvalue` ("value
# clipping"). The names are those of Keras {cite}`chollet2015keras`, whose optimizers take three such
# options; the library
# provides them as options of {func}`optimlab.training.loop.fit`, implemented with torch's clipping
# utilities, with Keras's semantics:
#
# - `clipnorm=c`: each parameter tensor's gradient separately is rescaled to norm at most $c$,
#   $g_i \leftarrow g_i\,\min(1, c/\lVert g_i\rVert)$;
# - `global_clipnorm=c`: all gradients together, $g \leftarrow g\,\min(1, c/\lVert g\rVert)$ with the norm
#   over every tensor (torch's `clip_grad_norm_`);
# - `clipvalue=c`: every element is clamped to $[-c, c]$.
#
# Only `global_clipnorm` keeps the direction of the full gradient; `clipnorm` changes the relative
# weight of the tensors and `clipvalue` that of the elements. Source 003 describes `clipvalue` as
# "limiting the range of the weights"; in Keras it limits the gradient's elements, and so does the
# library.
#
# The library's clipping, used by the training loop:
#
# ```{literalinclude} /src/optimlab/training/loop.py
# :pyobject: clip_gradients
# ```

# %% [markdown]
# ### A steep wall
#
# Rosenbrock again, started high on the wall of the valley at $(-2, -1)$, where the gradient has
# norm in the thousands, with plain gradient descent at $\eta = 1.5\times10^{-3}$, a step size that
# suits the valley floor (the curvature at the minimum allows $\eta < 2/1001.6 \approx 2\times10^{-3}$).
# The point is a single tensor here, so `clipnorm` and `global_clipnorm` coincide; `clipvalue` clamps
# each coordinate.

# %%
wall_start, eta_wall, wall_steps = (-2.0, -1.0), 1.5e-3, 1500
walls = adaptive.wall_paths(wall_start, lr=eta_wall, steps=wall_steps)
fig = figures.paths_figure(walls, title=f"gradient descent, η = {eta_wall}", xlim=(-2.5, 2.0), ylim=(-1.5, 3.0),
                           count_steps=True)

# %% [markdown] tags=["caption"]
# Gradient descent on the Rosenbrock function from a point on its steep wall, without clipping and
# with clipnorm or clipvalue: paths (left) and loss (right).

# %%
z0 = torch.tensor(wall_start, dtype=torch.float64, requires_grad=True)
rosen.f(z0).backward()
glue_all({"wall_grad_norm": z0.grad.norm().item(), "wall_noclip_steps": len(walls["no clipping"]) - 1,
          "wall_clipnorm_final": float(rosen.f(walls["clipnorm = 10"][-1])),
          "wall_clipvalue_final": float(rosen.f(walls["clipvalue = 10"][-1])), "wall_steps": wall_steps})

# %% [markdown]
# The gradient at the start has norm {glue:text}`wall_grad_norm:.0f`. Without clipping, the first step
# throws the iterate across the valley onto the opposite wall, where the gradient is larger still, and
# the iterates grow past a million in size after {glue:text}`wall_noclip_steps` steps (where the run is stopped). With either kind of
# clipping each step is at most $\eta c$ long (per coordinate for `clipvalue`), the iterate walks down
# the wall, and once in the valley, where gradients are small, clipping stops acting: after
# {glue:text}`wall_steps` steps the loss is {glue:text}`wall_clipnorm_final:.1e` with `clipnorm` and
# {glue:text}`wall_clipvalue_final:.1e` with `clipvalue`. The paths differ on the wall: `clipnorm`
# follows the gradient's direction, `clipvalue` moves both coordinates by the same amount until one of
# them drops below the threshold, a direction that has nothing to do with the gradient's.
#
# ### Per tensor or global
#
# On the MNIST classifier (four tensors: two weight matrices, two bias vectors) the three options give
# different directions. For the first mini-batch of a freshly initialised model, the cosine between the
# clipped and the raw gradient, for thresholds well below the gradient's size:

# %%
model = mlp(784, 100, 10, seed=seed).to(ch.device)
cosines, norms = adaptive.clipping_directions(model, xf[: cfg["fit_batch"]], yf[: cfg["fit_batch"]])
glue_all({**{f"cos_{name}": value for name, value in cosines["cosine with raw gradient"].items()},
          "tensor_norms": ", ".join(f"{v:.3f}" for v in norms)})
table(cosines)

# %% [markdown]
# The four tensors' gradient norms are {glue:text}`tensor_norms` (first-layer weights and biases,
# second-layer weights and biases). `global_clipnorm` scales them together and keeps the direction
# (cosine {glue:text}`cos_global_clipnorm:.3f`); `clipnorm` scales each tensor to the same norm, which
# inflates the share of the small tensors (cosine {glue:text}`cos_clipnorm:.3f`); `clipvalue` clamps
# large elements (cosine {glue:text}`cos_clipvalue:.3f`).
#
# ### A learning rate too large for MNIST
#
# The last experiment trains the classifier with plain SGD at $\eta = 1$, a rate large enough to make
# training unstable, through {func}`optimlab.training.loop.fit` with each clipping option (one seed). A step
# hook records the global gradient norm that the optimizer receives.

# %%
clipping, grad_norms = adaptive.clipping_runs(xf, yf, lr=1.0, batch_size=cfg["fit_batch"],
                                              epochs=cfg["fit_epochs"], seed=seed, evaluate=metrics)
fig = figures.two_panels(clipping[clipping.step > 0], x="step", hue="run", marker=".", xlabel="step t",
                         left=("loss", "training cross-entropy (nats)", "SGD, η = 1", True),
                         right=("test_accuracy", "test accuracy", "test accuracy"))

# %% [markdown] tags=["caption"]
# SGD with a large step size on the MLP, with the three clipping options and without: training loss
# (left, log scale) and test accuracy (right) against the step.

# %%
glue_all({**adaptive.clipping_facts(clipping, grad_norms), "clip_epochs": cfg["fit_epochs"]})
table(adaptive.final_by(clipping, "run", ["step", "loss", "test_loss", "test_accuracy"]),
      missing="the run diverged")

# %% [markdown]
# After {glue:text}`clip_epochs` epochs, without clipping the test accuracy is
# {glue:text}`clip_none_acc:.3f` (last training loss {glue:text}`clip_none_loss:.3f`); with `clipnorm`
# {glue:text}`clip_clipnorm_acc:.3f`, with `global_clipnorm` {glue:text}`clip_global_acc:.3f`, with
# `clipvalue` {glue:text}`clip_clipvalue_acc:.3f`; best: {glue:text}`clip_best`. The gradients are
# not large at the start (global norm {glue:text}`clip_raw_first:.2f` at the first step); the large
# rate produces them. Without clipping the norm exceeded 1 in {glue:text}`clip_raw_frac_above:.0%` of
# the steps and peaked at {glue:text}`clip_raw_max:.1f` (step {glue:text}`clip_raw_max_step`); with
# `global_clipnorm = 1`, the clip was active in {glue:text}`clip_global_frac_active:.0%` of the
# steps. Clipping caps the steps of those spikes and leaves the others alone; a smaller learning
# rate would shorten every step.
#
# ## On MNIST
#
# The book's classifier ({func}`optimlab.experiments.compare <optimlab.experiments.classifier.compare>`)
# with the Adam family at torch's default constants (Adam + L2 was compared with AdamW above).

# %%
results = compare(adaptive.ADAM_CANDIDATES, scale=scale, seeds=cfg["seeds"], epochs=cfg["epochs"], device=ch.device)
fig = figures.two_panels(results[results.epoch > 0], x="epoch", hue="label", marker="o",
                         left=("train_loss", "training cross-entropy (nats)", "training loss (mean over the epoch)"),
                         right=("test_accuracy", "test accuracy", "test accuracy"))

# %% [markdown] tags=["caption"]
# The MLP on MNIST with the Adam family: training loss per epoch (left) and test accuracy (right).

# %%
final_cmp = adaptive.seed_summary(results)
mean = final_cmp.xs("mean", axis=1, level=1) if final_cmp.columns.nlevels > 1 else final_cmp
glue_all({**{f"mnist_{key}_acc": mean.loc[label, "test_accuracy"]
             for key, label in zip(("adam", "ams", "nadam", "adamw"), adaptive.ADAM_CANDIDATES)},
          **{f"mnist_{key}_loss": mean.loc[label, "train_loss"]
             for key, label in zip(("adam", "ams", "nadam", "adamw"), adaptive.ADAM_CANDIDATES)},
          "mnist_epochs": int(results.epoch.max()),
          "mnist_seeds": "one seed" if len(cfg["seeds"]) == 1 else f"mean of {len(cfg['seeds'])} seeds"})
table(final_cmp)

# %% [markdown]
# After {glue:text}`mnist_epochs` epochs ({glue:text}`mnist_seeds`) the test accuracies are
# {glue:text}`mnist_adam_acc:.3f` (Adam), {glue:text}`mnist_ams_acc:.3f` (AMSGrad),
# {glue:text}`mnist_nadam_acc:.3f` (Nadam) and {glue:text}`mnist_adamw_acc:.3f` (AdamW), with training
# losses {glue:text}`mnist_adam_loss:.3f`, {glue:text}`mnist_ams_loss:.3f`,
# {glue:text}`mnist_nadam_loss:.3f` and {glue:text}`mnist_adamw_loss:.3f`. None of the step sizes was tuned for this comparison; the
# gallery (chapter 8) puts every optimizer of the book side by side with tuned rates.
#
# ## What to take away
#
# - Adam = momentum's average of gradients + RMSProp's average of squared gradients + a bias
#   correction $1/(1-\beta^t)$ for their start at zero; the corrected first step is exactly $\eta$ per
#   coordinate.
# - A rate that can increase lets Adam fail on Reddi et al.'s example; AMSGrad's running maximum makes
#   each rate non-increasing and converges there.
# - L2 regularization inside Adam is normalized with the gradient and acts unevenly; AdamW shrinks
#   every weight by the same factor $(1-\eta\lambda)$ per step.
# - Nadam is Adam with Nesterov's look-ahead in the first moment.
# - `clipnorm` (per tensor), `global_clipnorm` (all tensors) and `clipvalue` (per element) are
#   options of the training loop, not of the update rule; only the global norm keeps the gradient's
#   direction.
