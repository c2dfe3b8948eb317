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

# %%
import inspect

import matplotlib.pyplot as plt
import pandas as pd
import torch
from IPython.display import Markdown, display

import optimbook
from optimlab.presentation import plotting
from optimlab.training.data import load_mnist, synthetic_regression
from optimlab.training.losses import cross_entropy, half_mse
from optimlab.training.models import LinearRegression, mlp
from optimbook.optim import SGD
from optimbook.optim.sgd import sgd_update
from optimlab.presentation.plotting import glue
from optimlab.presentation.tables import table
from optimlab.runtime import check_scale, resolve_device
from optimlab.training.loop import fit, log_steps

check_scale(scale)
dev = resolve_device(device)
plotting.use_style()
print(f"optimbook {optimbook.__version__}, torch {torch.__version__}, device {dev}, scale {scale}")

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

# %%
display(Markdown(f"```python\n{inspect.getsource(sgd_update)}```"))
display(Markdown(f"```python\n{inspect.getsource(SGD)}```"))

# %% [markdown]
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
cfg = {
    "smoke": dict(m=5_000, d=20, budget=0.6, mnist_fraction=0.02, mnist_budget=1.0,
                  timing_sizes=[1, 8, 64, 512, 1200], timing_fraction=0.02),
    "paper": dict(m=20_000, d=50, budget=4.0, mnist_fraction=1.0, mnist_budget=20.0,
                  timing_sizes=[1, 4, 16, 64, 256, 1024, 4096, 16384, 60000], timing_fraction=1.0),
}[scale]
regimes = {"batch": None, "stochastic": 1, "mini-batch": 32}  # None: the whole data set
lr = 0.002

x, y, theta_star = synthetic_regression(cfg["m"], cfg["d"], noise=0.5, condition=10.0, seed=seed,
                                        dtype=torch.float64)
x, y = x.to(dev), y.to(dev)
# The floor: the exact least-squares fit (with the intercept column x0 = 1).
x1 = torch.cat([torch.ones(len(x), 1, dtype=x.dtype, device=dev), x], dim=1)
theta_hat = torch.linalg.lstsq(x1.cpu(), y.cpu().unsqueeze(1)).solution[:, 0]
j_min = half_mse(x1.cpu() @ theta_hat, y.cpu()).item()


def excess_loss(model):
    return {"excess_loss": half_mse(model(x), y).item() - j_min}


runs, models = [], {}
for regime, b in regimes.items():
    torch.manual_seed(seed)
    model = LinearRegression(cfg["d"]).to(device=dev, dtype=torch.float64)
    hist = fit(model, half_mse, SGD(model.parameters(), lr=lr), x, y,
               batch_size=len(x) if b is None else b, epochs=10**9, max_seconds=cfg["budget"],
               seed=seed, evaluate=excess_loss, eval_every=log_steps(per_decade=30))
    runs.append(hist.to_frame().assign(regime=regime, batch_size=len(x) if b is None else b))
    models[regime] = model
regression = pd.concat(runs, ignore_index=True)
regression.groupby("regime", sort=False).tail(1)[
    ["regime", "batch_size", "step", "epoch", "seconds", "excess_loss"]]

# %%
fig, axes = plotting.subplots(2)
for regime, sub in regression.groupby("regime", sort=False):
    axes[0].plot(sub["step"].clip(lower=1), sub["excess_loss"], label=regime)
    axes[1].plot(sub["seconds"], sub["excess_loss"], label=regime)
plotting.label(axes[0], "updates (steps)", r"excess loss $J(\theta)-J(\hat\theta)$",
               "per update", logx=True, logy=True)
plotting.label(axes[1], "wall time (s)", r"excess loss $J(\theta)-J(\hat\theta)$",
               "per second", logy=True)
axes[0].legend(title=f"α = {lr}")
fig.suptitle(f"Linear regression, m = {len(x):,}, d = {cfg['d']}, {cfg['budget']} s per regime")
plt.show()

# %% [markdown] tags=["caption"]
# Linear regression, the three regimes with the same time budget: excess loss against the number of
# updates (left) and against wall time (right). Batch descent falls steadily per update; the
# stochastic forms take many more updates and stall at a noise floor set by the constant step size.



# %%
def time_to(frame, column, level):
    """First wall time at which ``column`` is at or below ``level`` (NaN if never)."""
    hit = frame[frame[column] <= level]
    return hit["seconds"].iloc[0] if len(hit) else float("nan")


final = regression.groupby("regime", sort=False).tail(1).set_index("regime")
dist = {r: (torch.cat([m.linear.bias.detach(), m.linear.weight.detach()[0]]).cpu() - theta_hat).norm().item()
        for r, m in models.items()}
rough, fine = 1.0, 1e-4
reach = pd.DataFrame({
    r: {"updates": int(final.loc[r, "step"]), "updates per second": final.loc[r, "step"] / final.loc[r, "seconds"],
        "final excess loss": final.loc[r, "excess_loss"], "‖θ − θ̂‖": dist[r],
        f"time to {rough:g} (s)": time_to(sub, "excess_loss", rough),
        f"time to {fine:g} (s)": time_to(sub, "excess_loss", fine)}
    for r, sub in regression.groupby("regime", sort=False)}).T
for r, key in [("batch", "bgd"), ("stochastic", "sgd"), ("mini-batch", "mbgd")]:
    glue(f"reg_{key}_excess", reach.loc[r, "final excess loss"], display=False)
    glue(f"reg_{key}_steps", int(reach.loc[r, "updates"]), display=False)
    glue(f"reg_{key}_rate", reach.loc[r, "updates per second"], display=False)
    seconds = reach.loc[r, f"time to {rough:g} (s)"]
    glue(f"reg_{key}_rough", f"{seconds:.2f} s" if pd.notna(seconds) else
         f"more than its budget of {cfg['budget']} s", display=False)
glue("reg_bgd_dist", dist["batch"], display=False)
glue("reg_m", f"{len(x):,}", display=False)
glue("reg_budget", cfg["budget"], display=False)
glue("reg_rough", rough, display=False)
glue("reg_fine", fine, display=False)
reached = [r for r in reach.index if pd.notna(reach.loc[r, f"time to {fine:g} (s)"])]
glue("reg_fine_reached_by", f"was reached within the budget by {' and '.join(reached)}" if reached
     else "was reached by none of the regimes within the budget", display=False)
table(reach.rename_axis("regime"), formats={"updates": "{:,.0f}", "updates per second": "{:,.0f}"},
      missing="the regime did not reach this excess loss within its time budget")

# %% [markdown]
# Each regime had the same budget of {glue:text}`reg_budget` s of training. Per update (left),
# batch descent makes the steadiest progress, since every step follows the exact gradient of $J$:
# after {glue:text}`reg_bgd_steps` updates its excess loss is {glue:text}`reg_bgd_excess:.1e`
# (distance to the least-squares solution {glue:text}`reg_bgd_dist:.1e`). Stochastic descent takes
# {glue:text}`reg_sgd_steps` updates in the same time but never settles: with a constant $\alpha$ the
# single-example gradient keeps its variance at the optimum, so the iterate jitters in a ball around
# $\hat\theta$ whose size grows with $\alpha$, and its excess loss stalls near
# {glue:text}`reg_sgd_excess:.1e`. Mini-batches of 32 average that noise down (final excess loss
# {glue:text}`reg_mbgd_excess:.1e`).
#
# Per second (right) the order depends on the accuracy asked for. To reach an excess loss of
# {glue:text}`reg_rough:g`, stochastic descent needed {glue:text}`reg_sgd_rough`, mini-batch
# {glue:text}`reg_mbgd_rough` and batch descent {glue:text}`reg_bgd_rough`: with
# {glue:text}`reg_m` examples a full gradient costs as much as thousands of single-example ones.
# An excess loss of {glue:text}`reg_fine:g` {glue:text}`reg_fine_reached_by`.
# Note also the rate: a step on one example ran at {glue:text}`reg_sgd_rate:.0f` updates per second,
# a fixed cost of Python and kernel dispatch per step that no amount of parallel hardware removes.
# Removing the noise floor of the stochastic forms needs a decaying learning rate, the subject of
# part III.
#
# ## An MNIST classifier
#
# The same three regimes train a multilayer perceptron 784-100-10 (ReLU) with softmax
# cross-entropy on MNIST {cite}`lecun1998gradient`, pixels scaled to [0, 1]. The curves show the
# cross-entropy on the whole training subset, evaluated outside the timed loop.

# %%
xm, ym = load_mnist("train", fraction=cfg["mnist_fraction"], seed=seed, device=dev)
mnist_regimes = {"batch": None, "stochastic": 1, "mini-batch": 100}
mnist_lr = 0.05


def train_loss(model):
    return {"train_loss": cross_entropy(model(xm), ym).item()}


mnist_runs = []
for regime, b in mnist_regimes.items():
    model = mlp(784, 100, 10, seed=seed).to(dev)
    hist = fit(model, cross_entropy, SGD(model.parameters(), lr=mnist_lr), xm, ym,
               batch_size=len(xm) if b is None else b, epochs=10**9, max_seconds=cfg["mnist_budget"],
               seed=seed, evaluate=train_loss, eval_every=log_steps(per_decade=15))
    mnist_runs.append(hist.to_frame().assign(regime=regime, batch_size=len(xm) if b is None else b))
mnist = pd.concat(mnist_runs, ignore_index=True)
mnist.groupby("regime", sort=False).tail(1)[["regime", "batch_size", "step", "epoch", "seconds", "train_loss"]]

# %%
fig, axes = plotting.subplots(2)
for regime, sub in mnist.groupby("regime", sort=False):
    axes[0].plot(sub["step"].clip(lower=1), sub["train_loss"], label=regime)
    axes[1].plot(sub["seconds"], sub["train_loss"], label=regime)
plotting.label(axes[0], "updates (steps)", "training cross-entropy (nats)", "per update", logx=True)
plotting.label(axes[1], "wall time (s)", "training cross-entropy (nats)", "per second")
axes[0].legend(title=f"α = {mnist_lr}")
fig.suptitle(f"MLP 784-100-10 on {len(xm):,} MNIST images, {cfg['mnist_budget']:g} s per regime")
plt.show()

# %% [markdown] tags=["caption"]
# The MLP on MNIST, the three regimes with the same time budget: training cross-entropy against
# updates (left) and wall time (right).


# %%
mfinal = mnist.groupby("regime", sort=False).tail(1).set_index("regime")
glue("mnist_n", f"{len(xm):,}", display=False)
glue("mnist_budget", cfg["mnist_budget"], display=False)
for regime, key in [("batch", "bgd"), ("stochastic", "sgd"), ("mini-batch", "mbgd")]:
    glue(f"mnist_{key}_loss", mfinal.loc[regime, "train_loss"], display=False)
    glue(f"mnist_{key}_steps", int(mfinal.loc[regime, "step"]), display=False)
    glue(f"mnist_{key}_epochs", mfinal.loc[regime, "epoch"], display=False)
glue("mnist_best", mfinal["train_loss"].idxmin(), display=False)

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
xt, yt = load_mnist("train", fraction=cfg["timing_fraction"], seed=seed, device=dev)
timing = []
for b in cfg["timing_sizes"]:
    b = min(b, len(xt))
    model = mlp(784, 100, 10, seed=seed).to(dev)
    opt = SGD(model.parameters(), lr=mnist_lr)
    fit(model, cross_entropy, opt, xt[:b], yt[:b], batch_size=b, epochs=1)  # warm-up
    hist = fit(model, cross_entropy, opt, xt, yt, batch_size=b, epochs=1, seed=seed)
    seconds = hist.records[-1]["seconds"]
    timing.append({"batch_size": b, "seconds_per_epoch": seconds, "updates": hist.records[-1]["step"],
                   "examples_per_second": len(xt) / seconds})
timing = pd.DataFrame(timing)
timing

# %%
fig, axes = plotting.subplots(2)
axes[0].plot(timing["batch_size"], timing["seconds_per_epoch"], marker="o")
plotting.label(axes[0], "batch size b (examples)", "time per epoch (s)", f"one epoch of {len(xt):,} images",
               logx=True, logy=True)
axes[1].plot(timing["batch_size"], timing["examples_per_second"], marker="o", color="C1")
plotting.label(axes[1], "batch size b (examples)", "throughput (examples/s)", "throughput",
               logx=True, logy=True)
plt.show()

# %% [markdown] tags=["caption"]
# One epoch of the MLP for a range of batch sizes: time per epoch (left) and throughput in examples
# per second (right), both on log scales. Large batches use the hardware's parallelism; single
# examples pay a fixed cost per step.


# %%
t1 = timing.iloc[0]
tbig = timing.loc[timing["seconds_per_epoch"].idxmin()]
glue("time_b1", t1["seconds_per_epoch"], display=False)
glue("time_best", tbig["seconds_per_epoch"], display=False)
glue("time_best_b", int(tbig["batch_size"]), display=False)
glue("time_ratio", t1["seconds_per_epoch"] / tbig["seconds_per_epoch"], display=False)
glue("timing_device", str(dev), display=False)
glue("timing_threads", torch.get_num_threads(), display=False)

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
# - Per second of compute, mini-batches win on parallel hardware.
