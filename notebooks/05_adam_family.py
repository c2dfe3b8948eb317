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

# %%
import inspect
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display
from matplotlib.ticker import NullFormatter

import optimbook
from optimlab.presentation import plotting
from optimlab.training.data import load_mnist
from optimlab.training.diagnostics import max_difference
from optimlab.experiments import compare
from optimlab.training.landscapes import LANDSCAPES, trajectory
from optimlab.training.losses import cross_entropy
from optimlab.training.models import mlp
from optimbook.optim import SGD, Adam, AdamW, AMSGrad, Nadam, RMSProp
from optimbook.optim.adam import adam_update, nadam_update
from optimlab.presentation.plotting import glue
from optimlab.runtime import check_scale, resolve_device
from optimlab.training.loop import NonFiniteLossError, clip_gradients, fit

check_scale(scale)
dev = resolve_device(device)
plotting.use_style()
print(f"optimbook {optimbook.__version__}, torch {torch.__version__}, device {dev}, scale {scale}")

cfg = {
    "smoke": dict(seeds=(0,), epochs=None, bias_steps=2000, ams_steps=1500, decay_steps=1500,
                  fit_fraction=0.02, test_fraction=0.05, fit_epochs=3, fit_batch=50),
    "paper": dict(seeds=(0, 1, 2), epochs=3, bias_steps=5000, ams_steps=30000, decay_steps=3000,
                  fit_fraction=1.0, test_fraction=1.0, fit_epochs=2, fit_batch=100),
}[scale]



# MNIST for the runs that call fit directly (compare loads its own)
xf, yf = load_mnist("train", fraction=cfg["fit_fraction"], seed=seed, device=dev)
xt, yt = load_mnist("test", fraction=cfg["test_fraction"], seed=seed, device=dev)


def test_metrics(m):
    logits = m(xt)
    return {"test_loss": cross_entropy(logits, yt).item(),
            "test_accuracy": (logits.argmax(1) == yt).float().mean().item(),
            "weight_norm": torch.sqrt(sum(p.detach().pow(2).sum() for p in m.parameters())).item()}




# %% [markdown]
# ## Adam
#
# Adam keeps two exponential moving averages per parameter, of the gradient (the first moment,
# 一阶矩估计) and of its square (the second moment, 二阶矩估计):
#
# $$
# m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t ,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 ,
# \qquad m_0 = v_0 = 0 .
# $$ (eq-adam-moments)
#
# $m$ is momentum's buffer of chapter 2 (scaled by $1-\beta_1$), $v$ is RMSProp's average of chapter 4.
# Both start at zero, and that biases them. Unrolling, $m_t = (1-\beta_1)\sum_{s\le t}\beta_1^{t-s}g_s$;
# if the gradients are drawn from a distribution that does not change, with mean $\mathbb E[g]$,
#
# $$
# \mathbb E[m_t] = (1-\beta_1)\sum_{s=1}^{t}\beta_1^{t-s}\,\mathbb E[g] = (1-\beta_1^t)\,\mathbb E[g] ,
# \qquad\text{and likewise}\qquad \mathbb E[v_t] = (1-\beta_2^t)\,\mathbb E[g^2] .
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

# %%
display(Markdown(f"```python\n{inspect.getsource(adam_update)}```"))
display(Markdown(f"```python\n{inspect.getsource(Adam)}```"))

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
beta1, beta2 = 0.9, 0.999
gen = torch.Generator().manual_seed(seed)
theta = torch.zeros(n, dtype=torch.float64, requires_grad=True)
opt = Adam([theta], lr=1e-3, betas=(beta1, beta2))
m_mean, v_mean = [], []
for t in range(cfg["bias_steps"]):
    c = mean_g + std_g * torch.randn(n, generator=gen, dtype=torch.float64)
    opt.zero_grad()
    (c * theta).sum().backward()
    opt.step()
    m_mean.append(opt.state[theta]["exp_avg"].mean().item())
    v_mean.append(opt.state[theta]["exp_avg_sq"].mean().item())
t = np.arange(1, cfg["bias_steps"] + 1)
m_mean, v_mean = np.array(m_mean), np.array(v_mean)
m_hat, v_hat = m_mean / (1 - beta1**t), v_mean / (1 - beta2**t)

fig, axes = plotting.subplots(2)
axes[0].plot(t, m_mean, label=r"$m_t$ (mean over coordinates)")
axes[0].plot(t, m_hat, label=r"$\hat m_t = m_t/(1-\beta_1^t)$")
axes[0].axhline(mean_g, color="k", ls=":", lw=1, label=r"$\mathbb{E}[g]$")
axes[1].plot(t, v_mean, label=r"$v_t$")
axes[1].plot(t, v_hat, label=r"$\hat v_t = v_t/(1-\beta_2^t)$")
axes[1].plot(t, (1 - beta2**t) * (mean_g**2 + std_g**2), "k--", lw=1, label=r"$(1-\beta_2^t)\,\mathbb{E}[g^2]$")
axes[1].axhline(mean_g**2 + std_g**2, color="k", ls=":", lw=1, label=r"$\mathbb{E}[g^2]$")
plotting.label(axes[0], "step t", "first moment (1)", r"$\beta_1 = 0.9$", logx=True)
plotting.label(axes[1], "step t", "second moment (1)", r"$\beta_2 = 0.999$", logx=True)
for ax in axes:
    ax.legend(fontsize="x-small")
    ax.xaxis.set_minor_formatter(NullFormatter())
plt.show()

# %% [markdown] tags=["caption"]
# Adam's moment estimates under random gradients with a fixed mean, raw and bias-corrected: first
# moment (left) and second moment (right), averaged over the coordinates, on a log step axis.

# %%
glue("bias_v10_ratio", v_mean[9] / (mean_g**2 + std_g**2))
glue("bias_vhat10_ratio", v_hat[9] / (mean_g**2 + std_g**2))
glue("bias_m3_ratio", m_mean[2] / mean_g)
glue("bias_mhat3_ratio", m_hat[2] / mean_g)
glue("bias_n", n)

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
C, eta_ams = 3.0, 0.5


def online_run(cls, steps):
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = cls([x], lr=eta_ams, betas=(0.0, 1 / (1 + C**2)), eps=1e-8)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 / math.sqrt(k + 1))  # η_t = η/√t
    xs, regret = [], []
    total = 0.0
    for t in range(1, steps + 1):
        c = C if t % 3 == 1 else -1.0
        total += c * x.item() - c * (-1.0)  # f_t(x_t) − f_t(x*)
        opt.zero_grad()
        (c * x).sum().backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            x.clamp_(-1.0, 1.0)  # projection onto the feasible set
        xs.append(x.item())
        regret.append(total / t)
    return np.array(xs), np.array(regret)


ams = {cls.__name__: online_run(cls, cfg["ams_steps"]) for cls in (Adam, AMSGrad)}
fig, axes = plotting.subplots(2)
steps_axis = np.arange(1, cfg["ams_steps"] + 1)
for name, (xs, regret) in ams.items():
    axes[0].plot(steps_axis, xs, lw=0.8, label=name)
    axes[1].plot(steps_axis, regret, label=name)
axes[0].axhline(-1, color="k", ls=":", lw=1, label="minimum x* = −1")
plotting.label(axes[0], "step t", r"$x_t$ (1)", f"Reddi et al.'s example, C = {C:g}", logx=True)
plotting.label(axes[1], "step t", r"average regret $R_t/t$ (1)", "average regret", logx=True, logy=True)
for ax in axes:
    ax.legend(fontsize="x-small")
    ax.xaxis.set_minor_formatter(NullFormatter())
plt.show()

# %% [markdown] tags=["caption"]
# Reddi et al.'s online problem: the iterate (left) and the average regret (right) of Adam and
# AMSGrad.

# %%
glue("ams_steps", cfg["ams_steps"])
glue("ams_adam_x", ams["Adam"][0][-300:].mean())
glue("ams_ams_x", ams["AMSGrad"][0][-300:].mean())
glue("ams_adam_regret", ams["Adam"][1][-1])
glue("ams_ams_regret", ams["AMSGrad"][1][-1])

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

# %%
display(Markdown(f"```python\n{inspect.getsource(AdamW)}```"))

# %% [markdown]
# The difference on the smallest possible example: two groups of {glue:text}`bias_n` weights, all
# starting at 1. The *idle* weights do not affect the loss (their data gradient is 0); the *busy*
# weights receive pure noise, $g \sim \mathcal N(0, 10^2)$, with mean zero, so that only the
# regularization pulls them anywhere. Same $\eta = 0.01$ and $\lambda = 0.1$ for Adam with the L2 term in
# the loss and for AdamW.

# %%
eta_wd, lam, sigma_busy = 0.01, 0.1, 10.0


def decay_run(kind):
    gen = torch.Generator().manual_seed(seed)
    idle = torch.ones(n, dtype=torch.float64, requires_grad=True)
    busy = torch.ones(n, dtype=torch.float64, requires_grad=True)
    if kind == "AdamW":
        opt = AdamW([idle, busy], lr=eta_wd, weight_decay=lam)
    else:
        opt = Adam([idle, busy], lr=eta_wd)
    means = []
    for _ in range(cfg["decay_steps"]):
        noise = sigma_busy * torch.randn(n, generator=gen, dtype=torch.float64)
        loss = (noise * busy).sum() + 0.0 * idle.sum()  # idle: a zero (not a missing) gradient
        if kind == "Adam + L2":
            loss = loss + 0.5 * lam * (idle.pow(2).sum() + busy.pow(2).sum())
        opt.zero_grad()
        loss.backward()
        opt.step()
        means.append((idle.mean().item(), busy.mean().item()))
    return np.array(means)


decay = {kind: decay_run(kind) for kind in ("Adam + L2", "AdamW")}
fig, ax = plotting.subplots(1, width=6.5)
td = np.arange(1, cfg["decay_steps"] + 1)
for (kind, means), color in zip(decay.items(), ("C0", "C1")):
    ax.plot(td, means[:, 0], color=color, ls="-", label=f"{kind}: idle weights")
    ax.plot(td, means[:, 1], color=color, ls="--", label=f"{kind}: busy weights")
ax.plot(td, (1 - eta_wd * lam) ** td, "k:", lw=1, label=r"$(1-\eta\lambda)^t$")
plotting.label(ax, "step t", "mean weight (1)", f"η = {eta_wd}, λ = {lam}")
ax.legend(fontsize="x-small")
plt.show()

# %% [markdown] tags=["caption"]
# The mean weight under L2 regularisation added to Adam's gradient and under AdamW's decoupled
# weight decay.

# %%
glue("wd_steps", cfg["decay_steps"])
glue("wd_l2_idle", decay["Adam + L2"][-1, 0])
glue("wd_l2_busy", decay["Adam + L2"][-1, 1])
glue("wd_w_idle", decay["AdamW"][-1, 0])
glue("wd_w_busy", decay["AdamW"][-1, 1])
glue("wd_theory", (1 - eta_wd * lam) ** cfg["decay_steps"])
glue("wd_l2_idle_zero_step", int(np.argmax(np.abs(decay["Adam + L2"][:, 0]) < 0.01)) + 1)

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
wd_runs = {"Adam": lambda p: Adam(p, lr=1e-3), "AdamW, λ = 0.01": lambda p: AdamW(p, lr=1e-3, weight_decay=0.01),
           "Adam + L2, λ = 0.01": lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=0.01)}
wd_frames = []
for name, make in wd_runs.items():
    model = mlp(784, 100, 10, seed=seed).to(dev)
    hist = fit(model, cross_entropy, make(model.parameters()), xf, yf, batch_size=cfg["fit_batch"],
               epochs=cfg["fit_epochs"], seed=seed, evaluate=test_metrics)
    wd_frames.append(hist.to_frame().assign(run=name))
wd = pd.concat(wd_frames, ignore_index=True)
fig, axes = plotting.subplots(2)
for name, sub in wd.groupby("run", sort=False):
    axes[0].plot(sub["epoch"], sub["weight_norm"], marker="o", label=name)
    axes[1].plot(sub["epoch"], sub["test_accuracy"], marker="o", label=name)
plotting.label(axes[0], "epoch", r"$\|\theta\|$ over all parameters (1)", "parameter norm")
plotting.label(axes[1], "epoch", "test accuracy (1)", "test accuracy")
axes[0].legend(fontsize="x-small")
plt.show()

# %% [markdown] tags=["caption"]
# The MLP on MNIST with the weight-decay variants: parameter norm (left) and test accuracy (right)
# per epoch.

# %%
wd_end = wd.groupby("run", sort=False).tail(1).set_index("run")
wd_start = wd.groupby("run", sort=False).head(1).set_index("run")
glue("wdm_start", wd_start.loc["Adam", "weight_norm"])
glue("wdm_adam", wd_end.loc["Adam", "weight_norm"])
glue("wdm_adamw", wd_end.loc["AdamW, λ = 0.01", "weight_norm"])
glue("wdm_l2", wd_end.loc["Adam + L2, λ = 0.01", "weight_norm"])
glue("wdm_adam_acc", wd_end.loc["Adam", "test_accuracy"])
glue("wdm_adamw_acc", wd_end.loc["AdamW, λ = 0.01", "test_accuracy"])
glue("wdm_l2_acc", wd_end.loc["Adam + L2, λ = 0.01", "test_accuracy"])
glue("wdm_steps", int(wd_end.loc["Adam", "step"]))
glue("wdm_factor", (1 - 1e-3 * 0.01) ** int(wd_end.loc["Adam", "step"]))

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

# %%
display(Markdown(f"```python\n{inspect.getsource(nadam_update)}```"))
mu = [beta1 * (1 - 0.5 * 0.96 ** (k * 4e-3)) for k in (1, 1000, 10000)]
glue("nadam_mu1", mu[0])
glue("nadam_mu1000", mu[1])
glue("nadam_mu10000", mu[2])

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
checks = {
    "Adam() vs Adam()": max_difference(lambda p: Adam(p), lambda p: torch.optim.Adam(p)),
    "Adam(eps=1e-7) vs Adam(eps=1e-7)  (MindSpore constants)":
        max_difference(lambda p: Adam(p, lr=1e-3, eps=1e-7), lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7)),
    "AMSGrad() vs Adam(amsgrad=True)": max_difference(lambda p: AMSGrad(p), lambda p: torch.optim.Adam(p, amsgrad=True)),
    "AdamW() vs AdamW()": max_difference(lambda p: AdamW(p), lambda p: torch.optim.AdamW(p)),
    "AdamW(lr=0.01, weight_decay=0.1) vs AdamW(same)":
        max_difference(lambda p: AdamW(p, lr=0.01, weight_decay=0.1),
                       lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
    "Nadam() vs NAdam()": max_difference(lambda p: Nadam(p), lambda p: torch.optim.NAdam(p)),
}
default_dtype = torch.get_default_dtype()
torch.set_default_dtype(torch.float64)  # torch keeps NAdam's product of μ's in the default dtype
try:
    checks["Nadam() vs NAdam(), torch's default dtype float64"] = max_difference(
        lambda p: Nadam(p), lambda p: torch.optim.NAdam(p))
finally:
    torch.set_default_dtype(default_dtype)
glue("check_max_diff_adam", max(v for k, v in checks.items() if not k.startswith("Nadam")))
glue("check_nadam", checks["Nadam() vs NAdam()"])
glue("check_nadam64", checks["Nadam() vs NAdam(), torch's default dtype float64"])
pd.Series(checks, name="max |θ_ours − θ_torch| after 25 steps").to_frame()

# %% [markdown]
# Adam, AMSGrad and AdamW agree to {glue:text}`check_max_diff_adam:.1e`. Nadam differs by
# {glue:text}`check_nadam:.1e`, more than float64 rounding, and the reason is on torch's side: torch
# keeps Nadam's running product $\prod_s\mu_s$ as a tensor of the *default* dtype, float32, even for
# float64 parameters. With the default dtype set to float64 the difference is
# {glue:text}`check_nadam64:.1e`. (The test suite's tolerance, $10^{-9}$ relative, covers the float32
# product.) On Rosenbrock's curved valley, from the book's common start, RMSProp (chapter 4) and the Adam family with one step
# size:

# %%
rosen = LANDSCAPES["rosenbrock"]
eta_2d, steps_2d = 0.05, 500
makers = {"RMSProp (γ = 0.9)": lambda p: RMSProp(p, lr=eta_2d, alpha=0.9, eps=1e-7),
          "Adam": lambda p: Adam(p, lr=eta_2d), "AMSGrad": lambda p: AMSGrad(p, lr=eta_2d),
          "Nadam": lambda p: Nadam(p, lr=eta_2d)}
paths = {name: trajectory(make, rosen.f, rosen.start, steps_2d) for name, make in makers.items()}
fig, axes = plotting.subplots(2)
plotting.contour(axes[0], rosen.f, rosen.xlim, rosen.ylim)
axes[0].plot(*rosen.minimum, "k+", ms=10)
for name, path in paths.items():
    plotting.trajectory(axes[0], path.numpy(), label=name)
    axes[1].plot(rosen.f(path).numpy(), label=name)
plotting.label(axes[0], "x (1)", "y (1)", f"Rosenbrock, η = {eta_2d}, {steps_2d} steps")
plotting.label(axes[1], "step t", r"$f(\theta_t)$ (1)", "loss", logy=True)
axes[0].legend(fontsize="x-small", loc="lower right")
plt.show()

# %% [markdown] tags=["caption"]
# RMSProp, Adam, AMSGrad and Nadam on the Rosenbrock function: paths (left) and loss (right).

# %%
for name, key in zip(makers, ("rms", "adam", "ams", "nadam")):
    glue(f"rosen_{key}", float(rosen.f(paths[name][-1])))
first = (paths["Adam"][1] - paths["Adam"][0]).abs()
glue("adam_first_step_max", first.max().item())
glue("adam_first_step_min", first.min().item())
glue("eta_2d", eta_2d)

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

# %%
display(Markdown(f"```python\n{inspect.getsource(clip_gradients)}```"))

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
wall_opts = {"no clipping": {}, "clipnorm = 10": {"clipnorm": 10.0}, "clipvalue = 10": {"clipvalue": 10.0}}


def wall_run(opts):
    z = torch.tensor(wall_start, dtype=torch.float64, requires_grad=True)
    opt = SGD([z], lr=eta_wall)
    path = [z.detach().clone()]
    for _ in range(wall_steps):
        opt.zero_grad()
        rosen.f(z).backward()
        clip_gradients([z], **opts)
        opt.step()
        if not torch.isfinite(z).all() or z.detach().abs().max() > 1e6:
            break  # diverged
        path.append(z.detach().clone())
    return torch.stack(path)


walls = {name: wall_run(opts) for name, opts in wall_opts.items()}
fig, axes = plotting.subplots(2)
plotting.contour(axes[0], rosen.f, (-2.5, 2.0), (-1.5, 3.0))
axes[0].plot(*rosen.minimum, "k+", ms=10)
for name, path in walls.items():
    plotting.trajectory(axes[0], path.numpy(), label=f"{name} ({len(path) - 1} steps)")
    axes[1].plot(rosen.f(path).numpy(), label=name)
plotting.label(axes[0], "x (1)", "y (1)", f"gradient descent, η = {eta_wall}")
plotting.label(axes[1], "step t", r"$f(\theta_t)$ (1)", "loss", logy=True)
axes[0].legend(fontsize="x-small", loc="upper right")
plt.show()

# %% [markdown] tags=["caption"]
# Gradient descent on the Rosenbrock function from a point on its steep wall, without clipping and
# with clipnorm or clipvalue: paths (left) and loss (right).

# %%
z0 = torch.tensor(wall_start, dtype=torch.float64, requires_grad=True)
rosen.f(z0).backward()
glue("wall_grad_norm", z0.grad.norm().item())
glue("wall_noclip_steps", len(walls["no clipping"]) - 1)
glue("wall_clipnorm_final", float(rosen.f(walls["clipnorm = 10"][-1])))
glue("wall_clipvalue_final", float(rosen.f(walls["clipvalue = 10"][-1])))
glue("wall_steps", wall_steps)

# %% [markdown]
# The gradient at the start has norm {glue:text}`wall_grad_norm:.0f`. Without clipping, the first step
# throws the iterate across the valley onto the opposite wall, where the gradient is larger still, and
# the iterates leave the finite numbers after {glue:text}`wall_noclip_steps` steps. With either kind of
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
model = mlp(784, 100, 10, seed=seed).to(dev)
params = list(model.parameters())
cross_entropy(model(xf[: cfg["fit_batch"]]), yf[: cfg["fit_batch"]]).backward()
raw = [p.grad.clone() for p in params]
norms = [g.norm().item() for g in raw]
clip_c = 0.1 * min(norms)  # below every tensor's norm, so every option acts
rows = []
for name, opts in {"clipnorm": {"clipnorm": clip_c}, "global_clipnorm": {"global_clipnorm": clip_c},
                   "clipvalue": {"clipvalue": clip_c / 100}}.items():
    for p, g in zip(params, raw):
        p.grad = g.clone()
    clip_gradients(params, **opts)
    clipped = torch.cat([p.grad.reshape(-1) for p in params])
    full = torch.cat([g.reshape(-1) for g in raw])
    rows.append({"option": name, "threshold": list(opts.values())[0],
                 "cosine with raw gradient": torch.nn.functional.cosine_similarity(clipped, full, dim=0).item(),
                 "clipped norm": clipped.norm().item()})
cosines = pd.DataFrame(rows).set_index("option")
for name in cosines.index:
    glue(f"cos_{name}", cosines.loc[name, "cosine with raw gradient"])
glue("tensor_norms", ", ".join(f"{v:.3f}" for v in norms))
cosines

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
eta_big = 1.0
clip_runs = {"no clipping": {}, "clipnorm = 1": {"clipnorm": 1.0},
             "global_clipnorm = 1": {"global_clipnorm": 1.0}, "clipvalue = 0.05": {"clipvalue": 0.05}}

steps_per_epoch = math.ceil(len(xf) / cfg["fit_batch"])
frames, grad_norms = [], {}
for name, opts in clip_runs.items():
    model = mlp(784, 100, 10, seed=seed).to(dev)
    opt = SGD(model.parameters(), lr=eta_big)
    grad_norms[name] = norms_seen = []
    opt.register_step_pre_hook(lambda o, a, k, out=norms_seen: out.append(
        torch.sqrt(sum(p.grad.pow(2).sum() for g in o.param_groups for p in g["params"])).item()))
    try:
        hist = fit(model, cross_entropy, opt, xf, yf,
                   batch_size=cfg["fit_batch"], epochs=cfg["fit_epochs"], seed=seed,
                   eval_every=max(1, steps_per_epoch // 8), evaluate=test_metrics, name=name, **opts)
        frames.append(hist.to_frame().assign(option=name, diverged=False))
    except NonFiniteLossError as err:
        print(err)
        frames.append(pd.DataFrame([{"step": 0, "loss": math.nan, "test_accuracy": math.nan}]).assign(
            option=name, diverged=True))
clipping = pd.concat(frames, ignore_index=True)

fig, axes = plotting.subplots(2)
for name, sub in clipping.groupby("option", sort=False):
    sub = sub[sub.step > 0]
    axes[0].plot(sub["step"], sub["loss"], marker=".", label=name)
    axes[1].plot(sub["step"], sub["test_accuracy"], marker=".", label=name)
plotting.label(axes[0], "step t", "training cross-entropy (nats)", f"SGD, η = {eta_big}", logy=True)
plotting.label(axes[1], "step t", "test accuracy (1)", "test accuracy")
axes[0].legend(fontsize="x-small")
plt.show()

# %% [markdown] tags=["caption"]
# SGD with a large step size on the MLP, with the three clipping options and without: training loss
# (left, log scale) and test accuracy (right) against the step.

# %%
end = clipping.groupby("option", sort=False).tail(1).set_index("option")
for name, key in zip(clip_runs, ("none", "clipnorm", "global", "clipvalue")):
    glue(f"clip_{key}_acc", end.loc[name, "test_accuracy"])
    glue(f"clip_{key}_loss", end.loc[name, "loss"])
glue("clip_best", end["test_accuracy"].idxmax())
raw_norms = np.array(grad_norms["no clipping"])
glue("clip_raw_first", raw_norms[0])
glue("clip_raw_max", raw_norms.max())
glue("clip_raw_max_step", int(raw_norms.argmax()) + 1)
glue("clip_raw_frac_above", float((raw_norms > 1.0).mean()))
glue("clip_global_frac_active", float((np.abs(np.array(grad_norms["global_clipnorm = 1"]) - 1.0) < 1e-4).mean()))
glue("clip_epochs", cfg["fit_epochs"])
end[["step", "loss", "test_loss", "test_accuracy"]]

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
candidates = {
    "Adam": (Adam, {"lr": 1e-3}),
    "AMSGrad": (AMSGrad, {"lr": 1e-3}),
    "Nadam (η = 0.002)": (Nadam, {"lr": 2e-3}),
    "AdamW, λ = 0.01": (AdamW, {"lr": 1e-3, "weight_decay": 0.01}),
}
results = compare(candidates, scale=scale, seeds=cfg["seeds"], epochs=cfg["epochs"], device=dev)

fig, axes = plotting.subplots(2)
plotting.mean_band(axes[0], results[results.epoch > 0], x="epoch", y="train_loss", hue="label", marker="o")
plotting.mean_band(axes[1], results[results.epoch > 0], x="epoch", y="test_accuracy", hue="label", marker="o")
plotting.label(axes[0], "epoch", "training cross-entropy (nats)", "training loss (mean over the epoch)")
plotting.label(axes[1], "epoch", "test accuracy (1)", "test accuracy")
axes[0].legend(fontsize="x-small")
plt.show()

# %% [markdown] tags=["caption"]
# The MLP on MNIST with the Adam family: training loss per epoch (left) and test accuracy (right).

# %%
final_cmp = results[results.epoch == results.epoch.max()].groupby("label", sort=False)[
    ["train_loss", "test_loss", "test_accuracy"]].agg(["mean", "min", "max"])
for key, label in zip(("adam", "ams", "nadam", "adamw"), candidates):
    glue(f"mnist_{key}_acc", final_cmp.loc[label, ("test_accuracy", "mean")])
    glue(f"mnist_{key}_loss", final_cmp.loc[label, ("train_loss", "mean")])
glue("mnist_epochs", int(results.epoch.max()))
glue("mnist_seeds", "one seed" if len(cfg["seeds"]) == 1 else f"mean of {len(cfg['seeds'])} seeds")
final_cmp

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
