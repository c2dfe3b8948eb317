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
# # ANGD read as adaptive natural gradient descent
#
# The survey {cite}`feng2018survey` closes its list of optimizers with **ANGD**, right after Nadam.
# It names the method only by this abbreviation, in its Chinese abstract as in its English one; its
# introduction lists the methods it covers only as far as Nadam ("Adam、Nadam 等"), and its body text,
# where a definition would be, could not be retrieved. No source we could read defines ANGD. This
# chapter says how we read it, why, and what the other reading would be, and then derives, implements
# and tests the method we chose.
#
# **Our reading: adaptive natural gradient descent** (Amari, Park & Fukumizu
# {cite}`amari2000adaptive`, building on Amari's natural gradient {cite}`amari1998natural`), which
# we would render in Chinese as 自适应自然梯度下降 (our translation; the survey gives no Chinese
# name). The reasons:
#
# - *The acronym.* "Adaptive Natural Gradient Descent" spells A-N-G-D letter for letter, and
#   "adaptive natural gradient" is the name Amari, Park & Fukumizu gave their method; later authors
#   abbreviate it much the same way ("ANGL", adaptive natural gradient *learning*
#   {cite}`bastian2011simplified`).
# - *Its position.* ANGD comes after the whole Adam family (Adam, then Nadam), as the last and most
#   expensive method. The survey's introduction lists the remedies for slow training in the same
#   order: a better way of updating with the gradient, division by the L2 norm of earlier gradients,
#   "and even second-order algorithms of greater computational cost" (甚至还可以选用计算代价较大的
#   二阶算法). The natural gradient, which preconditions the gradient with the inverse of a
#   $P\times P$ curvature matrix, is such a method.
# - *It adds something.* The alternative would duplicate an entry already on the list.
#
# **The alternative reading** expands the N as *Nesterov*: an "adaptive Nesterov gradient descent",
# that is, an adaptive-rate method with Nesterov's look-ahead momentum. That method exists and is on
# the survey's list under its usual name: it is Nadam (Dozat's Nesterov-accelerated Adam
# {cite}`dozat2016incorporating`, chapter 5). A reader who prefers that reading will find it there;
# we found no source that uses "ANGD" for it.
#
# The rest of the chapter derives the natural gradient from the previous chapter's Adam, derives the
# Fisher matrix of a regression network and the recursive estimate of its inverse (Amari's first-order
# recursion and the exact Sherman-Morrison form, both in the library), and measures three things:
# how fast the estimate converges to the true inverse, how natural gradient escapes the plateau that
# traps plain gradient descent in a small network, and why the cheap "empirical Fisher" shortcut fails
# near a good fit.

# %% tags=["parameters"]
scale = "smoke"  # "smoke" (seconds, CI) or "paper" (longer runs, three seeds)
device = "auto"  # "auto" picks CUDA when available
seed = 0

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display
from torch import nn
from torch.func import functional_call, grad, vmap

import optimbook
from optimlab.presentation import plotting
from optimlab.training.models import mlp
from optimbook.optim import SGD, NaturalGradient
from optimbook.optim.natural import amari_inverse_update, exact_inverse_update
from optimlab.presentation.plotting import glue
from optimlab.presentation.tables import table
from optimlab.runtime import check_scale, resolve_device

check_scale(scale)
dev = resolve_device(device)
plotting.use_style()
print(f"optimbook {optimbook.__version__}, torch {torch.__version__}, device {dev}, scale {scale}")

cfg = {
    "smoke": dict(steps=2000, evals=25, seeds=[seed], fisher_updates=4000, pool=2048,
                  sweep=[0.005, 0.02]),
    "paper": dict(steps=12000, evals=60, seeds=[seed, seed + 1, seed + 2], fisher_updates=30000,
                  pool=8192, sweep=[0.005, 0.01, 0.02]),
}[scale]

# %% [markdown]
# ## From Adam's diagonal to the natural gradient
#
# Adam (chapter 5) divides each coordinate of the (averaged) gradient by $\sqrt{\hat v}$, where
# $\hat v$ is a running average of $g \odot g$, the diagonal of the matrix $\mathbb{E}[g g^\top]$ of
# squared loss gradients:
#
# $$
# \theta \leftarrow \theta - \eta\, \operatorname{diag}\bigl(\mathbb{E}[g g^\top]\bigr)^{-1/2}\, \hat m .
# $$
#
# Three things in that preconditioner are heuristic: only the diagonal is used, it is raised to the
# power $-\tfrac12$, and the matrix is built from the *loss* gradients. The natural gradient replaces
# all three by one principle: take the steepest step not in the Euclidean length of $\delta\theta$
# but in the distance between the *distributions* the model defines before and after the step.
#
# Steepest descent under a metric $G(\theta)$ minimises the linearised loss over a small ball,
#
# $$
# \delta^\star = \arg\min_{\delta}\; \nabla L^\top \delta
# \quad\text{subject to}\quad \tfrac12\, \delta^\top G\, \delta = r^2
# \;\Longrightarrow\; \nabla L + \lambda G \delta = 0
# \;\Longrightarrow\; \delta^\star \propto -G^{-1}\nabla L .
# $$ (eq-angd-steepest)
#
# With $G = I$ this is ordinary gradient descent. For a model $p(y\mid x;\theta)$, Amari
# {cite}`amari1998natural` takes the distance to be the Kullback-Leibler divergence, whose
# second-order expansion defines the metric:
#
# $$
# \mathrm{KL}\bigl(p_\theta \,\|\, p_{\theta+\delta}\bigr)
# = \tfrac12\, \delta^\top F(\theta)\, \delta + O(\|\delta\|^3),
# \qquad
# F(\theta) = \mathbb{E}_{x}\,\mathbb{E}_{y\sim p(\cdot\mid x;\theta)}
# \bigl[\nabla_\theta \log p(y\mid x;\theta)\, \nabla_\theta \log p(y\mid x;\theta)^\top\bigr],
# $$ (eq-angd-fisher)
#
# the Fisher information matrix. The **natural gradient** is $\tilde\nabla L = F^{-1}\nabla L$ and
# natural gradient descent is
#
# $$
# \theta_{t+1} = \theta_t - \eta\, F(\theta_t)^{-1}\, \nabla L(\theta_t).
# $$ (eq-angd-natural)
#
# The step no longer depends on how the model is parametrised (to first order), and Amari shows that
# the online version is Fisher-efficient: it reaches the best accuracy an unbiased estimator can
# have from the same examples.
#
# ## The Fisher matrix of a regression network
#
# Amari, Park & Fukumizu {cite}`amari2000adaptive` treat a network $f(x;\theta)$ with one output and
# Gaussian noise, $y = f(x;\theta) + n$, $n\sim\mathcal N(0,\sigma^2)$. Then
#
# $$
# \log p(y\mid x;\theta) = -\frac{(y - f(x;\theta))^2}{2\sigma^2} + \text{const},
# \qquad
# \nabla_\theta \log p = \frac{y - f}{\sigma^2}\, \nabla_\theta f ,
# $$
#
# and since $\mathbb{E}_{y\mid x}[(y-f)^2] = \sigma^2$ under the model, eq. {eq}`eq-angd-fisher` becomes
#
# $$
# F(\theta) = \frac{1}{\sigma^2}\, \mathbb{E}_x\bigl[\nabla_\theta f(x;\theta)\, \nabla_\theta f(x;\theta)^\top\bigr]
# \;=\; \frac{1}{\sigma^2}\, G(\theta).
# $$ (eq-angd-gaussian-fisher)
#
# The loss of one example, $\ell = \tfrac12 (y - f)^2$, has gradient $\nabla\ell = -(y-f)\nabla f$, so
# the natural step is $-\eta\sigma^2 G^{-1}\nabla\ell$: the noise variance only rescales $\eta$, and
# what must be estimated is $G$, the second moment of the **output** gradient $\nabla f$. It needs no
# targets at all.
#
# ## Estimating the inverse online
#
# Forming $G$ and inverting it costs $O(P^3)$ per step. Amari, Park & Fukumizu instead track a running
# average with rate $\varepsilon$ over the output gradients $v_t = \nabla_\theta f(x_t;\theta_t)$ of the
# examples as they arrive,
#
# $$
# \hat G_{t+1} = (1-\varepsilon)\, \hat G_t + \varepsilon\, v_t v_t^\top ,
# $$ (eq-angd-running-average)
#
# and update its inverse directly. The update is a rank-one change, so Sherman-Morrison gives the
# inverse exactly: with $u = \hat G_t^{-1} v_t$,
#
# $$
# \hat G_{t+1}^{-1} = \frac{1}{1-\varepsilon}\left[\hat G_t^{-1}
# - \frac{\varepsilon\, u u^\top}{1 - \varepsilon + \varepsilon\, v_t^\top u}\right].
# $$ (eq-angd-sherman-morrison)
#
# Expanding in $\varepsilon$, $\tfrac{1}{1-\varepsilon} = 1 + \varepsilon + O(\varepsilon^2)$ and the
# fraction is $\varepsilon u u^\top + O(\varepsilon^2)$, which leaves Amari, Park & Fukumizu's recursion
#
# $$
# \hat G_{t+1}^{-1} = (1+\varepsilon)\, \hat G_t^{-1} - \varepsilon\, u u^\top ,
# \qquad
# \theta_{t+1} = \theta_t - \eta\, \hat G_{t+1}^{-1} \nabla \ell(x_t, y_t; \theta_t).
# $$ (eq-angd-amari)
#
# Both cost $O(P^2)$ per example (a matrix-vector product and a rank-one update). They differ in
# what the dropped terms do. The neglected terms are of order $\varepsilon^2\, v^\top \hat G^{-1} v$, so
# the first-order recursion is accurate only while $\varepsilon\, a \ll 1$ with
# $a = v^\top \hat G_t^{-1} v$; and along $v$ it gives
# $v^\top \hat G_{t+1}^{-1} v = (1+\varepsilon) a - \varepsilon a^2$, which turns negative once
# $a > (1+\varepsilon)/\varepsilon$: the estimate stops being positive definite and the "descent"
# direction can point uphill. The exact form inverts a positive-definite average and cannot fail
# that way.
#
# :::{admonition} Algorithm: adaptive natural gradient descent (ANGD, our reading)
# :class: note
# **Require:** step size $\eta$, averaging rate $\varepsilon \in (0, 1)$, damping $d > 0$, a model
# $f(x;\theta)$ with $P$ parameters.
#
# 1. $\hat G^{-1} \leftarrow I / d$ (a $P\times P$ matrix)
# 2. **for** $t = 0, 1, 2, \dots$ **do**
# 3. &nbsp;&nbsp; draw one example $(x_t, y_t)$
# 4. &nbsp;&nbsp; $v \leftarrow \nabla_\theta f(x_t;\theta)$ (output gradient, eq. {eq}`eq-angd-gaussian-fisher`)
# 5. &nbsp;&nbsp; $\hat G^{-1} \leftarrow$ eq. {eq}`eq-angd-amari` (`update="amari"`) or eq.
#    {eq}`eq-angd-sherman-morrison` (`update="exact"`)
# 6. &nbsp;&nbsp; $\theta \leftarrow \theta - \eta\, \hat G^{-1} \nabla\ell(x_t, y_t;\theta)$
#
# **Constants.** No source gives defaults for ANGD: the survey does not define it and Amari, Park &
# Fukumizu choose $\eta$ and $\varepsilon$ per experiment. The library's defaults are $\eta = 0.01$,
# $\varepsilon = 0.01$, $d = 1$, `update="amari"`; this chapter uses $\eta = \varepsilon = 0.005$,
# for the stability reason measured below.
# :::
#
# ## The library's code
#
# The two inverse updates, each one line of in-place linear algebra:

# %%
display(Markdown(f"```python\n{inspect.getsource(amari_inverse_update)}\n"
                 f"{inspect.getsource(exact_inverse_update)}```"))

# %% [markdown]
# {class}`~optimbook.optim.natural.NaturalGradient` keeps $\hat G^{-1}$ over all its parameters,
# flattened in param-group order. {meth}`~optimbook.optim.natural.NaturalGradient.update_fisher`
# feeds it vectors $v$ (one per row); `step` applies $\theta \leftarrow \theta - \eta\,\hat G^{-1} g$.
# With `fisher_from_grad=True` (the default) `step` first feeds the loss gradient it is about to use,
# the "empirical Fisher" discussed at the end of the chapter; Amari et al.'s output-gradient Fisher
# needs `fisher_from_grad=False` and a call to `update_fisher` with $\nabla f$ before each step.

# %%
display(Markdown(f"```python\n{inspect.getsource(NaturalGradient.update_fisher)}\n"
                 f"{inspect.getsource(NaturalGradient.step)}```"))

# %% [markdown]
# The estimate is a dense $P\times P$ matrix, so the class refuses models above `max_params`
# (10 000 by default). The MNIST classifier of chapter 1 shows why:

# %%
P_mnist = sum(p.numel() for p in mlp(784, 100, 10).parameters())
gib_mnist = P_mnist**2 * 4 / 2**30
glue("P_mnist", f"{P_mnist:,}", display=False)
glue("gib_mnist", gib_mnist, display=False)
print(f"MLP 784-100-10: P = {P_mnist:,}; a float32 P x P matrix takes {gib_mnist:.1f} GiB")

# %% [markdown]
# The 784-100-10 network has $P$ = {glue:text}`P_mnist` parameters, and its inverse Fisher would take
# {glue:text}`gib_mnist:.1f` GiB in float32, with $O(P^2)$ work per example. ANGD in this form is a
# method for small networks, which is the setting of Amari et al.'s paper and of the experiments
# below; chapter 8 leaves it out of the MNIST comparison for this reason.
#
# ## The problem: a small teacher-student network
#
# The classic demonstration of the natural gradient is the *plateau* of a two-layer network
# {cite}`amari2000adaptive`. A teacher network $y = \sum_{k=1}^{2} \tanh(w_k^{\star\top} x) + n$ with
# orthonormal $w_1^\star, w_2^\star \in \mathbb{R}^4$, $x \sim \mathcal N(0, I_4)$ and noise
# $\sigma = 0.1$ produces one fresh example per step; a student of the same shape,
# $f(x;\theta) = \sum_k c_k \tanh(w_k^\top x)$ ($P = 10$, no biases), starts from small random
# weights and learns online. Its error is the generalisation error
# $\tfrac12\,\mathbb{E}_x[(f(x;\theta) - f(x;\theta^\star))^2]$ on 2 000 held-out inputs.
#
# The loop below is the online regression loop of the paper. One backward pass gives $\nabla f$; the
# loss gradient is $\nabla\ell = (f - y)\nabla f$ by the chain rule, so the output-gradient Fisher
# costs no extra backward pass. These networks have ten parameters: they run on the CPU whatever
# `device` says (a GPU would only add launch latency).

# %%
DT = torch.float64
N_IN, N_HID, SIGMA = 4, 2, 0.1


def two_layer(init_seed: int, init_scale: float = 0.1) -> nn.Sequential:
    """Student (or teacher) network x -> sum_k c_k tanh(w_k . x), without biases."""
    net = nn.Sequential(nn.Linear(N_IN, N_HID, bias=False), nn.Tanh(),
                        nn.Linear(N_HID, 1, bias=False)).to(DT)
    g = torch.Generator().manual_seed(init_seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=DT) * init_scale)
    return net


teacher = two_layer(0)
with torch.no_grad():
    teacher[0].weight.copy_(torch.eye(N_HID, N_IN, dtype=DT))  # orthonormal w*
    teacher[2].weight.fill_(1.0)
x_test = torch.randn(2000, N_IN, generator=torch.Generator().manual_seed(10_000), dtype=DT)
with torch.no_grad():
    y_test = teacher(x_test)[:, 0]


def stream(data_seed: int, steps: int):
    """The online examples (x_t, y_t = teacher(x_t) + noise) of one run."""
    g = torch.Generator().manual_seed(data_seed)
    xs = torch.randn(steps, N_IN, generator=g, dtype=DT)
    with torch.no_grad():
        ys = teacher(xs)[:, 0] + SIGMA * torch.randn(steps, generator=g, dtype=DT)
    return xs, ys


def online_run(make_optimizer, *, run_seed: int, steps: int, evals: int, output_fisher: bool):
    """Train a student one example per step; return a tidy table of diagnostics.

    ``output_fisher``: feed v = grad f into the optimizer's Fisher estimate before each step
    (Amari, Park & Fukumizu's ANGD); otherwise the optimizer only sees the loss gradient.
    """
    student = two_layer(1000 + run_seed)
    params = list(student.parameters())
    opt = make_optimizer(params)
    natural = isinstance(opt, NaturalGradient)
    xs, ys = stream(run_seed, steps)
    marks = set(np.unique(np.geomspace(1, steps, evals).astype(int))) | {0}
    rows, a_max = [], 0.0
    for t in range(steps + 1):
        if t in marks:
            if not all(torch.isfinite(p).all() for p in params):
                break
            with torch.no_grad():
                err = 0.5 * (student(x_test)[:, 0] - y_test).pow(2).mean().item()
                weaker = student[2].weight.abs().min().item()
            row = {"step": t, "error": err, "weaker_unit": weaker}
            if natural:
                row["mean_eig"] = opt.fisher_inverse.diagonal().mean().item()
                row["a_max"] = a_max  # largest a = v' G^-1 v met so far
            rows.append(row)
        if t == steps:
            break
        f = student(xs[t:t + 1])[0, 0]
        jac = torch.autograd.grad(f, params)  # v = grad f
        residual = (f - ys[t]).detach()
        if output_fisher:
            v = torch.cat([j.reshape(-1) for j in jac])
            a_max = max(a_max, torch.dot(v, opt.natural_direction(v)).item())
            opt.update_fisher(v)
        for p, j in zip(params, jac):
            p.grad = residual * j  # grad l = (f - y) grad f
        opt.step()
    return pd.DataFrame(rows)


# %% [markdown]
# ## How fast the estimate converges
#
# First the estimator alone. We fix the parameters at the teacher's, where the true matrix
# $G = \mathbb{E}_x[\nabla f \nabla f^\top]$ can be computed exactly for a finite pool of inputs
# (here from per-example gradients with `torch.func`), and stream output gradients of inputs drawn
# at random from that pool into a `NaturalGradient` with `fisher_from_grad=False`, one at a time. The
# left panel shows the relative error $\|\hat G^{-1} - G^{-1}\|_F / \|G^{-1}\|_F$ of both updates for
# three rates $\varepsilon$; the right panel is the numerical note below.

# %%
pool = torch.randn(cfg["pool"], N_IN, generator=torch.Generator().manual_seed(seed + 7), dtype=DT)
names = [n for n, _ in teacher.named_parameters()]
theta_star = {n: p.detach() for n, p in teacher.named_parameters()}


def output(params, x):
    return functional_call(teacher, params, (x.unsqueeze(0),))[0, 0]


per_example = vmap(grad(output), in_dims=(None, 0))(theta_star, pool)
V = torch.cat([per_example[n].reshape(len(pool), -1) for n in names], dim=1)  # [pool, P]
G_true = V.T @ V / len(pool)
G_inv_true = torch.linalg.inv(G_true)
eig = torch.linalg.eigvalsh(G_true)
a_true = (V @ G_inv_true * V).sum(dim=1)  # a = v' G^-1 v for every input of the pool
glue("fisher_cond", (eig.max() / eig.min()).item(), display=False)
glue("fisher_P", V.shape[1], display=False)
glue("a_true_max", a_true.max().item(), display=False)
glue("a_true_mean", a_true.mean().item(), display=False)

rates = [0.05, 0.01, 0.002]
checkpoints = set(np.unique(np.geomspace(1, cfg["fisher_updates"], 40).astype(int)).tolist())
order = torch.randint(len(pool), (cfg["fisher_updates"],), generator=torch.Generator().manual_seed(seed))
estimates, drift = [], []
for eps in rates:
    for update in ["amari", "exact"]:
        theta = torch.zeros(V.shape[1], dtype=DT, requires_grad=True)
        est = NaturalGradient([theta], eps=eps, update=update, fisher_from_grad=False)
        for i, idx in enumerate(order.tolist(), start=1):
            est.update_fisher(V[idx])
            if i in checkpoints:
                inv = est.fisher_inverse
                err = ((inv - G_inv_true).norm() / G_inv_true.norm()).item()
                pos = bool(torch.isfinite(inv).all()) and torch.linalg.eigvalsh(inv).min().item() > 0
                estimates.append({"eps": eps, "update": update, "updates": i, "rel_error": err,
                                  "positive_definite": pos})
                r = est.fisher_inverse
                drift.append({"eps": eps, "update": update, "updates": i,
                              "asymmetry": ((r - r.mT).norm() / r.norm()).item()})
estimates, drift = pd.DataFrame(estimates), pd.DataFrame(drift)
estimates.groupby(["eps", "update"]).tail(1)

# %%
fig, axes = plotting.subplots(2)
colors = dict(zip(rates, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
for (eps, update), sub in estimates.groupby(["eps", "update"], sort=False):
    sub = sub[sub["positive_definite"]]
    axes[0].plot(sub["updates"], sub["rel_error"], color=colors[eps],
                 ls="-" if update == "exact" else "--", label=f"{update}, ε = {eps:g}")
for (eps, update), sub in drift.groupby(["eps", "update"], sort=False):
    sub = sub[np.isfinite(sub["asymmetry"])]
    axes[1].plot(sub["updates"], sub["asymmetry"].clip(lower=1e-18), color=colors[eps],
                 ls="-" if update == "exact" else "--", label=f"{update}, ε = {eps:g}")
plotting.label(axes[0], "examples fed to the estimate", r"$\|\hat G^{-1}-G^{-1}\|_F\,/\,\|G^{-1}\|_F$",
               f"estimate vs truth (P = {V.shape[1]})", logx=True, logy=True)
plotting.label(axes[1], "examples fed to the estimate", r"$\|\hat G^{-1}-\hat G^{-\top}\|_F\,/\,\|\hat G^{-1}\|_F$",
               "asymmetry of the library's estimate", logx=True, logy=True)
axes[0].legend(ncol=2, fontsize="x-small")
plt.show()

# %% [markdown] tags=["caption"]
# The library's running estimate of the inverse Fisher matrix, exact and approximate updates, for
# several forgetting rates ε: relative error against the true inverse (left) and asymmetry (right),
# against the examples fed to it.


# %%
final_est = estimates.groupby(["eps", "update"]).tail(1).set_index(["eps", "update"])
for eps, key in zip(rates, ["e05", "e01", "e002"]):
    for update in ["amari", "exact"]:
        error = final_est.loc[(eps, update), "rel_error"]
        glue(f"est_{update}_{key}", f"{error:.2f}" if np.isfinite(error) else "no finite value (it diverged)",
             display=False)
broken = estimates[~estimates["positive_definite"]].groupby(["eps", "update"])["updates"].min()
glue("est_broken", "; ".join(f"{u} at ε = {e:g}, after {n:,} examples" for (e, u), n in broken.items())
     or "none", display=False)
glue("est_updates", f"{cfg['fisher_updates']:,}", display=False)
worst_drift = drift.replace([np.inf], np.nan).groupby(["eps", "update"])["asymmetry"].max()
blown = drift[~np.isfinite(drift["asymmetry"]) | (drift["asymmetry"] > 1e-3)]
if len(blown):
    first = blown.sort_values("updates").iloc[0]
    note = (f"the antisymmetric part exceeded 0.1 % of the norm after {int(first['updates']):,} "
            f"examples ({first['update']}, ε = {first['eps']:g})")
else:
    note = (f"the estimate stays symmetric to {drift['asymmetry'].max():.1e} (relative) over these runs")
glue("drift_note", note, display=False)
table(final_est, formats={"rel_error": "{:.3g}"},
      missing="the estimate diverged (it left the positive-definite matrices) before the end")

# %% [markdown]
# The matrix $G$ at the teacher has condition number {glue:text}`fisher_cond:.0f`. After
# {glue:text}`est_updates` examples the exact (Sherman-Morrison) estimate is within
# {glue:text}`est_exact_e05`, {glue:text}`est_exact_e01` and {glue:text}`est_exact_e002`
# (relative error) of the true inverse for $\varepsilon$ = 0.05, 0.01 and 0.002; Amari's first-order
# recursion reaches {glue:text}`est_amari_e05`, {glue:text}`est_amari_e01` and
# {glue:text}`est_amari_e002`. Estimates that lost positive definiteness (dropped from the figure
# from that point on): {glue:text}`est_broken`. Over the pool, $a = v^\top G^{-1} v$ averages
# {glue:text}`a_true_mean:.1f` (it must average $P$: $\mathbb{E}[v^\top G^{-1}v] = \operatorname{tr}(G^{-1}G)$)
# but reaches {glue:text}`a_true_max:.0f`, so $\varepsilon a$ exceeds Amari's limit
# $1 + \varepsilon$ on some inputs unless $\varepsilon$ is about $1/\max a$ or smaller.
#
# The shape of the curves is the bias-variance trade of any running average. The damping $I/d$ is
# forgotten at the rate $(1-\varepsilon)^t$, so a small $\varepsilon$ takes about $1/\varepsilon$
# examples before the estimate means anything; after that the estimate averages only about
# $1/\varepsilon$ recent examples, and inverting amplifies their noise along the small eigenvalues of
# $G$, so its error settles at a floor that grows with $\varepsilon$. The first-order recursion adds its
# own $O(\varepsilon)$ bias and, with a large $\varepsilon$, leaves the positive-definite matrices.
# A small $\varepsilon$ suits a slowly moving $\theta$; while training, $\theta$ moves and the estimate
# must track it, so $\varepsilon$ cannot be made arbitrarily small either.
#
# **A numerical note.** Both recursions multiply the whole matrix by $1/(1-\varepsilon)$ or
# $1+\varepsilon$ at every step and subtract a symmetric rank-one term. Any antisymmetric part of the
# stored matrix, such as the rounding error of one floating-point rank-one update, is never subtracted
# and so grows by that factor at every step, like $(1+\varepsilon)^t$, until it swamps the estimate.
# Writing this chapter exposed exactly that in the first version of the library, whose estimate lost its
# symmetry after some thousands of updates. The library now replaces the estimate by its symmetric
# part, $(\hat G^{-1} + \hat G^{-\top})/2$, after every rank-one update (exactly symmetric, since
# floating-point addition commutes), at the cost of one $P\times P$ addition; the right panel measures
# the result on the same stream: {glue:text}`drift_note`.
#
# ## The plateau: gradient descent stalls, the natural gradient does not
#
# Now the student learns. With small initial weights, one hidden unit grows first and learns the best
# one-unit approximation of the teacher, while the other stays small. The network then sits near the
# singular set $c_k = 0$ of the parameter space: there $\partial f/\partial w_k = c_k\,(1 -
# \tanh^2(w_k^\top x))\,x$ vanishes, the Fisher matrix is singular and the loss surface is almost flat
# in the directions that would recruit the second unit. Plain gradient descent crawls out, producing
# the long plateau of the error curve; the natural gradient divides by the small curvature there and
# leaves quickly {cite}`amari2000adaptive`. We compare SGD at two step sizes with ANGD (both inverse
# updates), on the same examples and initialisations. The right panel follows the weaker unit's output
# weight $\min_k |c_k|$.

# %%
angd_lr, angd_eps = 0.005, 0.005
sgd_rates = [0.02, 0.1]
methods = {
    **{f"SGD, η = {lr:g}": (lambda p, lr=lr: SGD(p, lr=lr), False) for lr in sgd_rates},
    "ANGD (amari)": (lambda p: NaturalGradient(p, lr=angd_lr, eps=angd_eps, update="amari",
                                               fisher_from_grad=False), True),
    "ANGD (exact)": (lambda p: NaturalGradient(p, lr=angd_lr, eps=angd_eps, update="exact",
                                               fisher_from_grad=False), True),
}
plateau = pd.concat([
    online_run(make, run_seed=s, steps=cfg["steps"], evals=cfg["evals"], output_fisher=fisher)
    .assign(method=name, seed=s)
    for name, (make, fisher) in methods.items() for s in cfg["seeds"]
], ignore_index=True)
plateau.groupby(["method", "seed"]).tail(1)[["method", "seed", "step", "error", "weaker_unit"]]

# %%
fig, axes = plotting.subplots(2)
order_m = list(methods)
plotting.mean_band(axes[0], plateau, x="step", y="error", hue="method", order=order_m)
plotting.mean_band(axes[1], plateau, x="step", y="weaker_unit", hue="method", order=order_m)
plotting.label(axes[0], "examples seen (steps)", "generalisation error", "error", logx=True, logy=True)
plotting.label(axes[1], "examples seen (steps)", r"weaker unit's $\min_k |c_k|$", "second hidden unit",
               logx=True, logy=True)
axes[0].legend(fontsize="small")
n_seeds = len(cfg["seeds"])
fig.suptitle(f"Teacher-student network 4-2-1, σ = {SIGMA}, "
             + (f"mean and range over {n_seeds} seeds" if n_seeds > 1 else "one seed"))
plt.show()

# %% [markdown] tags=["caption"]
# The teacher-student network with SGD and natural-gradient descent: generalisation error (left)
# and the weaker hidden unit's smallest output weight (right), against the examples seen. The
# plateau is where that unit stays near zero.


# %%
threshold = 0.005


def first_step_below(sub, level):
    hit = sub[sub["error"] < level]
    return int(hit["step"].iloc[0]) if len(hit) else None


escape = {}
for name in order_m:
    steps_ = [first_step_below(sub, threshold) for _, sub in plateau[plateau["method"] == name].groupby("seed")]
    escape[name] = None if any(s is None for s in steps_) else int(np.median(steps_))
tail = plateau.groupby(["method", "seed"]).tail(1).groupby("method")["error"].mean()
summary = pd.DataFrame({"median step below threshold": {k: ("not reached" if v is None else v)
                                                        for k, v in escape.items()},
                        "final error (mean over seeds)": tail})
glue("plateau_threshold", threshold, display=False)
glue("plateau_steps", f"{cfg['steps']:,}", display=False)
for name, key in zip(order_m, ["sgd_small", "sgd_large", "amari", "exact"]):
    glue(f"escape_{key}", "does not leave it within the run" if escape[name] is None
         else f"leaves it after {escape[name]:,} examples", display=False)
    glue(f"tail_{key}", tail[name], display=False)
glue("sgd_small", sgd_rates[0], display=False)
glue("sgd_large", sgd_rates[1], display=False)
glue("angd_lr", angd_lr, display=False)
summary

# %% [markdown]
# Every method first learns the part of the teacher that a single hidden unit can represent, and then
# stalls on the plateau while the second unit's output weight (right) stays small. Taking "error below
# {glue:text}`plateau_threshold`" as having left the plateau, in runs of {glue:text}`plateau_steps`
# examples:
#
# - SGD with $\eta$ = {glue:text}`sgd_small` {glue:text}`escape_sgd_small`, and ends the run at an
#   error of {glue:text}`tail_sgd_small:.2e`;
# - SGD with the larger $\eta$ = {glue:text}`sgd_large` {glue:text}`escape_sgd_large`, and ends at
#   {glue:text}`tail_sgd_large:.2e`;
# - ANGD with the still smaller $\eta$ = {glue:text}`angd_lr`, with Amari's recursion,
#   {glue:text}`escape_amari`, and with the exact update {glue:text}`escape_exact`; it ends at
#   {glue:text}`tail_amari:.2e` and {glue:text}`tail_exact:.2e`.
#
# ANGD starts slowly: until the estimate has seen about $1/\varepsilon$ examples it is still close to
# the damping $I/d$, and ANGD is gradient descent with the small step $\eta$. Once the estimate has
# formed, it rescales the flat directions. Gradient descent can leave the plateau too, but only with a
# step size large enough to cross the flat region quickly, and that step size then keeps it noisier
# near the solution, where the curvature is orders of magnitude larger. This is Amari et al.'s
# argument: the natural gradient rescales by the local Fisher matrix, so one small $\eta$ serves both
# places.
#
# ### Why this η and ε: two stability conditions
#
# Write $a = v^\top \hat G_t^{-1} v$ for the example about to be fed. Amari's recursion keeps the
# estimate positive definite along $v$ only while $\varepsilon\, a < 1 + \varepsilon$ (above). The
# exact update has a guarantee of its own: $\hat G_{t+1} \succeq \varepsilon\, v v^\top$, so after
# feeding $v$, $v^\top \hat G_{t+1}^{-1} v \le 1/\varepsilon$, and the step changes the output on the
# current example by $\delta f \approx -\eta\,(f - y)\, v^\top \hat G_{t+1}^{-1} v$, at most
# $\eta/\varepsilon$ times the residual: with $\eta \le \varepsilon$ no example is over-corrected.
# The table gives the largest $a$ each run met, for a short sweep of $\eta = \varepsilon$ on the same
# problem.

# %%
sweep_rows = []
for rate in cfg["sweep"]:
    for update in ["amari", "exact"]:
        name = f"ANGD ({update})"
        if rate == angd_lr:
            runs_ = plateau[plateau["method"] == name]
        else:
            make = lambda p, rate=rate, update=update: NaturalGradient(
                p, lr=rate, eps=rate, update=update, fisher_from_grad=False)
            runs_ = pd.concat([online_run(make, run_seed=s, steps=cfg["steps"], evals=cfg["evals"],
                                          output_fisher=True).assign(seed=s) for s in cfg["seeds"]])
        last = runs_.groupby("seed").tail(1)
        late = runs_[runs_["step"] >= 0.5 * cfg["steps"]]["error"]
        sweep_rows.append({"η = ε": rate, "update": update, "largest a": runs_["a_max"].max(),
                           "ε × largest a": rate * runs_["a_max"].max(),
                           "stayed finite": bool((last["step"] == cfg["steps"]).all()),
                           "median error, second half": late.median() if len(late) else np.nan})
sweep = pd.DataFrame(sweep_rows)
at = sweep.set_index(["η = ε", "update"])
for rate, key in [(angd_lr, "main"), (max(cfg["sweep"]), "big")]:
    for update in ["amari", "exact"]:
        row = at.loc[(rate, update)]
        glue(f"sweep_{key}_{update}_eps_a", row["ε × largest a"], display=False)
        glue(f"sweep_{key}_{update}_fate", (f"stayed finite, with a median error of "
                                            f"{row['median error, second half']:.2e} in the second half"
                                            if row["stayed finite"] else "diverged"), display=False)
glue("sweep_big", max(cfg["sweep"]), display=False)
glue("angd_eps", angd_eps, display=False)
sweep

# %% [markdown]
# With $\eta = \varepsilon$ = {glue:text}`angd_eps`, the largest $\varepsilon a$ met along the runs was
# {glue:text}`sweep_main_amari_eps_a:.2f` (Amari's recursion) and {glue:text}`sweep_main_exact_eps_a:.2f`
# (exact update). With $\eta = \varepsilon$ = {glue:text}`sweep_big` it was
# {glue:text}`sweep_big_amari_eps_a:.2f` and {glue:text}`sweep_big_exact_eps_a:.2f`; the runs with
# Amari's recursion {glue:text}`sweep_big_amari_fate`, and the runs with the exact update
# {glue:text}`sweep_big_exact_fate`. The first-order recursion needs $\varepsilon$ small against
# $1/\max a$; for the exact update, $\eta \le \varepsilon$ already rules out over-correcting the
# current example. This chapter uses $\eta = \varepsilon$ =
# {glue:text}`angd_eps` so that both updates can be compared at the same settings.
#
# ## The empirical-Fisher shortcut and why it fails near a fit
#
# Feeding the loss gradient $\nabla\ell = (f - y)\nabla f$ into the estimate instead of $\nabla f$ is
# tempting: it is already computed, and it is the library's default (`fisher_from_grad=True`), the
# only option when there is no probabilistic model at all (as on the test functions of chapter 8).
# It estimates the **empirical Fisher**
#
# $$
# \hat G_{\text{emp}} \approx \mathbb{E}\bigl[(f - y)^2\, \nabla f \nabla f^\top\bigr],
# $$
#
# which is $\sigma^2 G$ only when the residuals have exactly the noise variance. Its scale follows the
# residuals: when the model fits well, $(f-y)^2$ is small, so $\hat G_{\text{emp}}$ is small and its
# inverse large, and the step $\hat G_{\text{emp}}^{-1}\nabla\ell \sim (f-y)\nabla f / ((f-y)^2\|\nabla f\|^2)$
# grows like $1/|f - y|$: *the better the fit, the larger the step*. On noise-free data the empirical
# Fisher tends to zero at the solution. On our noisy problem it can shrink only to about
# $\sigma^2 G$, so with the same $\eta$ the steps become up to $1/\sigma^2$ times larger than with the
# output-gradient estimate. The figure compares the two estimates at the same $\eta$, and the
# empirical one also with $\eta$ divided by ten.

# %%
emp_methods = {
    f"empirical Fisher, η = {angd_lr:g}": lambda p: NaturalGradient(
        p, lr=angd_lr, eps=angd_eps, update="exact", fisher_from_grad=True),
    f"empirical Fisher, η = {angd_lr / 10:g}": lambda p: NaturalGradient(
        p, lr=angd_lr / 10, eps=angd_eps, update="exact", fisher_from_grad=True),
}
empirical = pd.concat(
    [plateau[plateau["method"] == "ANGD (exact)"].assign(method="output Fisher (exact)")]
    + [online_run(make, run_seed=s, steps=cfg["steps"], evals=cfg["evals"], output_fisher=False)
       .assign(method=name, seed=s) for name, make in emp_methods.items() for s in cfg["seeds"]],
    ignore_index=True)
emp_order = ["output Fisher (exact)", *emp_methods]

fig, axes = plotting.subplots(2)
plotting.mean_band(axes[0], empirical, x="step", y="error", hue="method", order=emp_order)
plotting.mean_band(axes[1], empirical, x="step", y="mean_eig", hue="method", order=emp_order)
plotting.label(axes[0], "examples seen (steps)", "generalisation error", "error", logx=True, logy=True)
plotting.label(axes[1], "examples seen (steps)", r"$\mathrm{tr}(\hat G^{-1})/P$", "size of the inverse estimate",
               logx=True, logy=True)
axes[0].legend(fontsize="small")
plt.show()

# %% [markdown] tags=["caption"]
# The same network with the empirical Fisher matrix: generalisation error (left) and the size of
# the inverse estimate (right).


# %%
emp_tail = empirical[empirical["step"] >= 0.5 * cfg["steps"]].groupby("method")[["error", "mean_eig"]].median()
glue("emp_tail_out", emp_tail.loc["output Fisher (exact)", "error"], display=False)
glue("emp_tail_same", emp_tail.loc[emp_order[1], "error"], display=False)
glue("emp_tail_small", emp_tail.loc[emp_order[2], "error"], display=False)
glue("emp_eig_ratio", emp_tail.loc[emp_order[1], "mean_eig"] / emp_tail.loc[emp_order[0], "mean_eig"],
     display=False)
glue("inv_sigma2", 1 / SIGMA**2, display=False)
emp_tail

# %% [markdown]
# In the second half of the run the empirical estimate's inverse is {glue:text}`emp_eig_ratio:.0f`
# times larger (mean diagonal) than the output-gradient one; the argument above bounds the ratio by
# about $1/\sigma^2$ = {glue:text}`inv_sigma2:.0f`, reached when the residuals are pure noise. With the
# same $\eta$ the empirical variant's median error over the second half is
# {glue:text}`emp_tail_same:.2e`, against {glue:text}`emp_tail_out:.2e` for Amari et al.'s estimate;
# dividing $\eta$ by ten gives {glue:text}`emp_tail_small:.2e`, and a slower start. The scale of the
# empirical Fisher measures how badly the model currently fits, not how sensitive its outputs are to
# its parameters, and a preconditioner with that scale grows exactly when the steps should shrink.
# (Adam's $\sqrt{\hat v}$ is built from the same loss-gradient moments, but the square root makes its
# step scale-free, of order $\eta$ per coordinate, instead of growing like $1/|f-y|$.)
#
# ## What to take away
#
# - No retrievable source defines the survey's ANGD. We read it as adaptive natural gradient descent
#   (Amari, Park & Fukumizu 2000), from the acronym and its place at the end of the survey's list; the
#   alternative, a Nesterov-accelerated adaptive method, is Nadam (chapter 5).
# - The natural gradient is steepest descent in the KL geometry of the model, $F^{-1}\nabla L$; for a
#   regression network with Gaussian noise $F \propto \mathbb{E}[\nabla f \nabla f^\top]$, estimated
#   online from output gradients.
# - The inverse can be tracked without inversion: exactly (Sherman-Morrison) or to first order in
#   $\varepsilon$ (Amari's recursion, which loses positive definiteness once $\varepsilon a$ is not
#   small). Both cost $O(P^2)$ memory and work per example: small models only.
# - On the teacher-student plateau the natural gradient leaves the plateau with a step size at which
#   gradient descent stays on it, and ends lower than gradient descent run with a step large enough to
#   escape; the empirical-Fisher shortcut does not, because its scale follows the residuals.
