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
# # AdaGrad and AdaDec: one learning rate per parameter
#
# Momentum (chapter 2) smooths the direction of the steps but still scales every parameter by the
# same learning rate. The MindSpore chapter on adaptive learning rates {cite}`mindspore2020adaptive`
# states the problem plainly: at a given moment some parameters are already near their minimum while
# others have barely moved from their start, so a single rate is too large for the first (they become
# unstable) or too small for the second (they converge slowly). **AdaGrad** (自适应梯度算法,
# {cite:t}`duchi2011adaptive`) gives every parameter its own rate, shrinking it by the size of that
# parameter's past gradients. He and Li's AdaMix paper {cite}`he2016adamix` builds on AdaGrad and on
# **AdaDec** {cite}`senior2013empirical`, which forgets old gradients and supplies the decrease
# through a power schedule instead. This chapter derives both in the forms the sources print them,
# shows where the printed form of AdaDec differs from its authors', and measures the per-parameter
# rates the two produce.

# %% tags=["parameters"]
scale = "smoke"  # "smoke" (seconds, CI) or "paper" (full MNIST)
device = "auto"  # "auto" picks CUDA when available
seed = 0

# %%
import functools
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
from optimlab.training.diagnostics import max_difference, record_applied_rates
from optimlab.experiments import compare
from optimlab.experiments.classifier import CONFIGS
from optimlab.training.landscapes import LANDSCAPES, quadratic, trajectory
from optimlab.training.losses import cross_entropy
from optimlab.training.models import mlp
from optimbook.optim import SGD, AdaDec, AdaGrad
from optimbook.optim.adadec import adadec_update, unit_power_decay
from optimbook.optim.adagrad import adagrad_update
from optimlab.presentation.plotting import glue
from optimlab.runtime import check_scale, resolve_device
from optimlab.training.loop import fit

check_scale(scale)
dev = resolve_device(device)
plotting.use_style()
print(f"optimbook {optimbook.__version__}, torch {torch.__version__}, device {dev}, scale {scale}")

cfg = {
    # rate_*: the single-seed runs whose per-parameter rates are recorded (float64, a data subset)
    "smoke": dict(seeds=(0,), epochs=None, rate_fraction=0.02, rate_epochs=3, rate_batch=50),
    "paper": dict(seeds=(0, 1, 2), epochs=4, rate_fraction=0.1, rate_epochs=5, rate_batch=100),
}[scale]

land = LANDSCAPES["quadratic"]



# %% [markdown]
# ## AdaGrad
#
# Gradient descent on the axis-aligned bowl $f(\theta) = \tfrac12\sum_i \lambda_i\theta_i^2$ has
# gradient $g_i = \lambda_i\theta_i$, and the ideal step $\theta_i \leftarrow \theta_i - g_i/\lambda_i$
# would divide each coordinate by its own curvature. A first-order method does not know $\lambda_i$,
# but it sees how large the gradients of each coordinate have been. AdaGrad divides by the root of
# their sum of squares, coordinate by coordinate. He & Li write the resulting per-parameter rate as
# their eq. (12):
#
# $$
# \eta(t) = \frac{\eta(0)}{\sqrt{K + \sum_{s=1}^{t} g(s)^2}}, \qquad \theta \leftarrow \theta - \eta(t)\, g(t),
# $$ (eq-ada-he-li-12)
#
# with every operation elementwise and a constant $K$, "usually $K = 1$". The MindSpore chapter's
# algorithm 4.1 accumulates $r \leftarrow r + g\odot g$ from $r = 0$ and steps by
# $-\frac{\varepsilon}{\delta + \sqrt{r}}\odot g$, with a global rate $\varepsilon$ and a small
# $\delta = 10^{-7}$ "to keep the denominator from being 0". The two differ only in where the
# safeguard sits: $K$ inside the root (it also sets a scale, see below), $\delta$ outside it.
# The library takes both, the accumulator starting at $K$ and `eps` ($\delta$) added after the root:
#
# $$
# r_t = K + \sum_{s \le t} g_s^2 ,\qquad
# \theta_{t+1} = \theta_t - \frac{\eta}{\sqrt{r_t} + \delta}\, g_t .
# $$ (eq-ada-adagrad)
#
# On the axis-aligned bowl, $\sum_s g_{s,i}^2 = \lambda_i^2\sum_s\theta_{s,i}^2$, so the step of
# coordinate $i$ is $\eta\,\theta_{t,i}/\sqrt{\sum_s\theta_{s,i}^2}$ once $K$ is negligible: the
# curvature cancels, and every coordinate moves as if the bowl were round.
#
# :::{note}
# **Which gradients are in the sum.** He & Li say that $\eta(t)$ is the rate of iteration $t+1$ and
# $g(s)$ the gradient of iteration $s$; read literally, eq. (12) would exclude the current gradient
# from its own denominator (and the first step would use $\eta(0)/\sqrt{K} = \eta(0)$ when $K = 1$,
# consistent with their calling $\eta(0)$ the first rate). Duchi et al., the MindSpore algorithm
# (step 5 accumulates before step 6 updates) and torch all include the current gradient. We follow
# them: in {eq}`eq-ada-adagrad` the sum runs to the current step $t$.
# :::
#
# :::{admonition} Algorithm 3.1: AdaGrad (MindSpore alg. 4.1 with He & Li's $K$)
# :class: note
# **Input:** global learning rate $\varepsilon$ (He & Li: $\eta(0) = 0.001$ for fine-tuning; torch's
# default 0.01); $\delta$ (MindSpore: $10^{-7}$; torch: $10^{-10}$; He & Li: none, $\delta = 0$);
# $K$ (He & Li: 1; MindSpore and torch: 0); initial parameters $\theta_0$.
#
# 1. $r \leftarrow K$
# 2. **while** not converged: compute $g \leftarrow \nabla_\theta L(\theta)$ on a mini-batch
# 3. $\quad r \leftarrow r + g \odot g$
# 4. $\quad \theta \leftarrow \theta - \dfrac{\varepsilon}{\delta + \sqrt{r}} \odot g$
# :::
#
# The library's update function and class:

# %%
display(Markdown(f"```python\n{inspect.getsource(adagrad_update)}```"))
display(Markdown(f"```python\n{inspect.getsource(AdaGrad)}```"))

# %% [markdown]
# Since the accumulator simply starts at $K$, He & Li's form is torch's `Adagrad` with
# `initial_accumulator_value=K` and `eps=0`. A demonstration on a small least-squares problem
# (the test suite checks this and every other optimizer with more settings):

# %%
checks = {
    "AdaGrad(lr=0.1, K=1, eps=0) vs Adagrad(lr=0.1, initial_accumulator_value=1, eps=0)":
        max_difference(lambda p: AdaGrad(p, lr=0.1, K=1.0, eps=0.0),
                       lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=1.0, eps=0.0)),
    "AdaGrad() vs Adagrad() (defaults)":
        max_difference(lambda p: AdaGrad(p), lambda p: torch.optim.Adagrad(p)),
    "AdaDec(lr=0.1, K=1, xi=1, q=0, recursive=True) vs Adagrad(lr=0.1, initial_accumulator_value=1, eps=0)":
        max_difference(lambda p: AdaDec(p, lr=0.1, K=1.0, xi=1.0, q=0.0, total_steps=25, recursive=True),
                       lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=1.0, eps=0.0)),
}
glue("check_adagrad", max(list(checks.values())[:2]))
glue("check_adadec_special", list(checks.values())[2])
pd.Series(checks, name="max |θ_ours − θ_torch| after 25 steps").to_frame()

# %% [markdown]
# The two AdaGrad forms agree with torch to {glue:text}`check_adagrad:.1e`. (The third row anticipates
# AdaDec below: with $\xi = 1$ and $q = 0$ its recursive form is AdaGrad, and agrees with torch to
# {glue:text}`check_adadec_special:.1e`.)
#
# ## Per-parameter rates on the bowl
#
# The curvature cancels *per coordinate*, so AdaGrad's benefit depends on whether the bowl's axes
# are the coordinate axes. Below, the book's ill-conditioned quadratic ($\kappa = 50$) twice: with its
# axes along the coordinates, and rotated by 30° as in chapter 2. Gradient descent uses a step just
# inside its stability limit, AdaGrad He & Li's $K = 1$ and $\eta(0) = 0.5$.

# %%
steps = 100
bowls = {"axis-aligned": functools.partial(quadratic, angle=0.0), "rotated 30°": land.f}
makers = {"gradient descent, η = 0.035": lambda p: SGD(p, lr=0.035),
          "AdaGrad, η(0) = 0.5, K = 1": lambda p: AdaGrad(p, lr=0.5, K=1.0, eps=0.0)}
paths = {(bowl, name): trajectory(make, f, land.start, steps)
         for bowl, f in bowls.items() for name, make in makers.items()}

fig, axes = plotting.subplots(3, height=3.3)
for ax, (bowl, f) in zip(axes[:2], bowls.items()):
    plotting.contour(ax, f, land.xlim, land.ylim)
    for name in makers:
        plotting.trajectory(ax, paths[(bowl, name)].numpy(), label=name)
    plotting.label(ax, "x (1)", "y (1)", bowl)
for (bowl, name), path in paths.items():
    axes[2].plot(bowls[bowl](path).numpy(), ls="-" if bowl == "axis-aligned" else ":",
                 color="C0" if name.startswith("gradient") else "C1", label=f"{name.split(',')[0]}, {bowl}")
plotting.label(axes[2], "step t", r"$f(\theta_t)$ (1)", "loss", logy=True)
axes[2].legend(fontsize="x-small")
axes[0].legend(fontsize="x-small", loc="lower right")
plt.show()

# %% [markdown] tags=["caption"]
# AdaGrad and its variants on two bowls, an axis-aligned and a rotated one (left, middle), and the
# loss along each path (right).

# %%
final = {key: float(bowls[key[0]](path[-1])) for key, path in paths.items()}
glue("bowl_gd_aligned", final[("axis-aligned", "gradient descent, η = 0.035")])
glue("bowl_ada_aligned", final[("axis-aligned", "AdaGrad, η(0) = 0.5, K = 1")])
glue("bowl_gd_rotated", final[("rotated 30°", "gradient descent, η = 0.035")])
glue("bowl_ada_rotated", final[("rotated 30°", "AdaGrad, η(0) = 0.5, K = 1")])
glue("bowl_steps", steps)

# %% [markdown]
# On the axis-aligned bowl AdaGrad reaches a loss of {glue:text}`bowl_ada_aligned:.1e` in
# {glue:text}`bowl_steps` steps, against {glue:text}`bowl_gd_aligned:.1e` for gradient descent:
# the first steps have nearly the same length along both axes, and the path heads straight for the
# minimum.
# Rotated, the per-coordinate rates no longer match the curvatures (each coordinate mixes both), and
# AdaGrad ends at {glue:text}`bowl_ada_rotated:.1e` against gradient descent's
# {glue:text}`bowl_gd_rotated:.1e`. AdaGrad is a *diagonal* preconditioner; whatever it gains comes
# from the scale differences between individual parameters, which in a network are large (weights
# of rarely active inputs, biases, layers of different width).
#
# ## The ever-shrinking rate, and the scale set by $K$
#
# The sum in {eq}`eq-ada-adagrad` never decreases, so every rate does nothing but shrink. When the
# gradients of a parameter keep a roughly constant size, as stochastic gradients do near a minimum,
# $r_t \approx K + t\,\mathbb E[g^2]$ and the rate decays like $1/\sqrt t$: that satisfies the
# conditions of eq. (7) in He & Li ($\eta \to 0$, $\sum\eta = \infty$) but it is fixed in advance by
# the data, not chosen; the MindSpore chapter names it AdaGrad's "obvious drawback", a rate that
# becomes "infinitely small" until the weights no longer move.
#
# $K$ adds a second effect that is easy to miss: it is not scale-free. A parameter whose accumulated
# squared gradient is small compared with $K$ gets the rate $\eta(0)/\sqrt K$ whatever its gradients
# are, so with $K = 1$ AdaGrad is plain SGD for every parameter whose gradients sum (in squares) to
# much less than 1. How large the gradients are depends on the loss: He & Li's eq. (6) *sums* the
# per-example losses of a mini-batch of $N$ examples, while our classifier averages them, which divides
# every gradient by $N$. From {eq}`eq-ada-adagrad`, $(\eta, K)$ on the summed loss is exactly
# $(\eta, K/N^2)$ on the averaged one, so the paper's $K = 1$ corresponds to $K = 1/N^2$ here.
#
# We measure the rates on the MNIST classifier directly. Two step hooks (`register_step_pre_hook`
# and `register_step_post_hook`, which every `torch.optim.Optimizer` offers) record, for a fixed
# random sample of parameter elements, the rate each step actually applied,
# $\eta_{\text{eff}} = (\theta_t - \theta_{t+1})/g_t$ (elements with $g_t = 0$ are skipped). The runs use
# float64 so that the subtraction does not lose the small differences. This measurement knows nothing
# about the optimizer; it works for AdaDec below as well.

# %%


xr, yr = load_mnist("train", fraction=cfg["rate_fraction"], seed=seed, device=dev)
xr = xr.double()
b = cfg["rate_batch"]
rate_steps = math.ceil(len(xr) / b) * cfg["rate_epochs"]
K_mean = 1.0 / b**2  # He & Li's K = 1 on a summed loss, moved to our averaged loss


def rate_run(cls, **kwargs):
    torch.manual_seed(seed)
    model = mlp(784, 100, 10, seed=seed).to(device=dev, dtype=torch.float64)
    opt = cls(model.parameters(), **kwargs)
    rows = record_applied_rates(opt)
    hist = fit(model, cross_entropy, opt, xr, yr, batch_size=b, epochs=cfg["rate_epochs"], seed=seed)
    return torch.stack(rows).numpy(), hist.records[-1]["loss"]


rate_runs = {
    "AdaGrad, K = 1, η(0) = 0.1": (AdaGrad, dict(lr=0.1, K=1.0, eps=0.0)),
    f"AdaGrad, K = 1/{b}², η(0) = 0.01": (AdaGrad, dict(lr=0.01, K=K_mean, eps=0.0)),
    f"AdaDec as printed, K = 1/{b}², η(0) = 0.01": (AdaDec, dict(lr=0.01, K=K_mean, total_steps=rate_steps)),
    f"AdaDec recursive, K = 1/{b}², η(0) = 0.01": (AdaDec, dict(lr=0.01, K=K_mean, total_steps=rate_steps,
                                                              recursive=True)),
}
rates, rate_losses = {}, {}
for name, (cls, kw) in rate_runs.items():
    rates[name], rate_losses[name] = rate_run(cls, **kw)
names = list(rate_runs)


def rate_figure(selected, ceilings):
    fig, axes = plotting.subplots(2, height=3.6)
    t = np.arange(1, rate_steps + 1)
    for (name, color) in zip(selected, ("C0", "C1", "C2", "C3")):
        A = rates[name]
        lo, med, hi = np.nanpercentile(A, [10, 50, 90], axis=1)
        axes[0].plot(t, med, color=color, label=name)
        axes[0].fill_between(t, lo, hi, color=color, alpha=0.15, lw=0)
        jump = np.nanmedian(np.abs(np.diff(np.log(A), axis=0)), axis=1)
        axes[1].plot(t[1:], jump, color=color, lw=1)
    for curve, style in ceilings:
        axes[0].plot(t, curve, "k" + style, lw=1)
    plotting.label(axes[0], "step t", r"applied rate $\eta_{\mathrm{eff}}$ (1)",
                   "median and 10–90 % of the elements", logx=True, logy=True)
    plotting.label(axes[1], "step t", r"median $|\Delta \log \eta_{\mathrm{eff}}|$ per step (1)",
                   "step-to-step change of each element's rate", logx=True, logy=True)
    axes[0].legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.22))
    for ax in axes:
        ax.xaxis.set_minor_formatter(NullFormatter())
    return fig


rate_figure(names[:2], [(np.full(rate_steps, 0.01 / math.sqrt(K_mean)), ":")])
plt.show()

# %% [markdown] tags=["caption"]
# The rate AdaGrad applies per element of the MLP, for two values of K: its distribution over the
# elements against the step (left) and its change from one step to the next (right), with the
# ceiling the derivation predicts.

# %%
ada_K1 = rates[names[0]]
ada_Kn = rates[names[1]]
glue("K1_median_last", np.nanmedian(ada_K1[-1]))
glue("K1_p10_last", np.nanpercentile(ada_K1[-1], 10))
glue("Kn_median_first", np.nanmedian(ada_Kn[0]))
glue("Kn_median_last", np.nanmedian(ada_Kn[-1]))
glue("Kn_p10_last", np.nanpercentile(ada_Kn[-1], 10))
glue("Kn_p90_last", np.nanpercentile(ada_Kn[-1], 90))
glue("Kn_ceiling", 0.01 / math.sqrt(K_mean))
glue("rate_steps", rate_steps)
glue("rate_batch", b)
glue("rate_images", f"{len(xr):,}")

# %% [markdown]
# ({glue:text}`rate_images` training images, batches of {glue:text}`rate_batch`,
# {glue:text}`rate_steps` steps, one seed.) With $K = 1$ on our averaged loss, the rates barely leave
# $\eta(0)$: after the last step the median applied rate is {glue:text}`K1_median_last:.5f` and even the
# 10th percentile is {glue:text}`K1_p10_last:.5f`, for $\eta(0) = 0.1$. Every squared gradient is far
# below 1, so this "AdaGrad" is SGD. With the paper's scale, $K = 1/N^2$, the rates spread over the
# parameters and shrink: the median starts at {glue:text}`Kn_median_first:.3f` (the ceiling
# $\eta(0)/\sqrt K =$ {glue:text}`Kn_ceiling:.2f`, dotted, is reached only by elements whose gradient is
# still negligible against $\sqrt K$) and ends at {glue:text}`Kn_median_last:.3f`, with 80 % of the
# elements between {glue:text}`Kn_p10_last:.3f` and {glue:text}`Kn_p90_last:.3f`. The right panel
# shows how much each element's rate moves from one step to the next; for AdaGrad it can only go
# down, and it moves less and less as the sum grows.
#
# ## AdaDec
#
# {cite:t}`senior2013empirical` proposed AdaDec for large-vocabulary speech recognition, as a variant
# of AdaGrad "that decouples long-term learning-rate scheduling from per-parameter learning rate
# variation" (their abstract): let old gradients fade from the denominator, so that it tracks the
# recent gradient scale, and make the rate decrease with an explicit schedule instead. He & Li describe it
# as a simplification of AdaGrad in which "the gradient part of the denominator is determined only by
# the previous and the current gradient, and has nothing to do with earlier gradients", with a
# numerator that decays as a power of the iteration count so that the rate still falls over a long
# run. Their eq. (13)-(15):
#
# $$
# \eta(t) = \frac{p(t)}{\sqrt{K + G(t)}} ,
# $$ (eq-ada-he-li-13)
#
# $$
# G(t) = \xi\, g(t-1)^2 + g(t)^2 ,
# $$ (eq-ada-he-li-14)
#
# $$
# p(t) = \eta(0)\Bigl(1 + \frac{t}{R}\Bigr)^{-q} ,
# $$ (eq-ada-he-li-15)
#
# with $R$ the maximum number of iterations, $q = 0.75$, the decay factor $\xi = 0.999$ and $K = 1$.
# The library counts $t$ as the number of steps already taken ($t = 0$ on the first step, so
# $p(0) = \eta(0)$, and $g(-1) = 0$).
#
# **As printed, and as Senior et al. wrote it.** A decay factor of $0.999$ applied to a *single*
# previous gradient barely does anything: $\xi g(t-1)^2$ and $g(t-1)^2$ differ by 0.1 %. It makes
# sense in the recursion that Senior et al. use,
#
# $$
# G(t) = \xi\, G(t-1) + g(t)^2 ,
# $$ (eq-ada-senior)
#
# an exponentially decaying sum whose memory is about $1/(1-\xi) = 1000$ steps. Eq. (14) is what
# {eq}`eq-ada-senior` becomes if $G(t-1)$ is misread as $g(t-1)^2$; but He & Li's text describes the
# two-gradient form explicitly (and their case for AdaMix rests on dropping "historical gradient
# data"), so the printed form may well be what they ran, and we do not treat it as a misprint. The
# library implements both: `AdaDec(..., recursive=False)` (the default) is
# eq. (14) as printed, `recursive=True` is {eq}`eq-ada-senior`. The recursive form generalises
# AdaGrad: with $\xi = 1$ and $q = 0$ it is {eq}`eq-ada-adagrad` with $\delta = 0$ (the third check
# above).
#
# :::{admonition} Algorithm 3.2: AdaDec (He & Li eq. (13)-(15); `recursive=True`: Senior et al.)
# :class: note
# **Input:** $\eta(0)$ (He & Li: 0.001 for fine-tuning); $K = 1$; $\xi = 0.999$; $q = 0.75$; $R$, the
# number of steps of the run; initial parameters $\theta_0$.
#
# 1. $a \leftarrow 0$ (holds $g(t-1)^2$, or $G(t-1)$ in the recursive form); $t \leftarrow 0$
# 2. **while** $t < R$: compute $g \leftarrow \nabla_\theta L(\theta)$ on a mini-batch
# 3. $\quad G \leftarrow \xi a + g\odot g$
# 4. $\quad \theta \leftarrow \theta - \eta(0)\,(1 + t/R)^{-q}\, g / \sqrt{K + G}$
# 5. $\quad a \leftarrow g\odot g$ (as printed) or $a \leftarrow G$ (recursive); $t \leftarrow t + 1$
# :::

# %%
display(Markdown(f"```python\n{inspect.getsource(unit_power_decay)}\n\n{inspect.getsource(adadec_update)}```"))
display(Markdown(f"```python\n{inspect.getsource(AdaDec)}```"))

# %% [markdown]
# ### Where the two-gradient denominator matters
#
# With only two gradients in $G$, the denominator forgets a large gradient one step after it has
# seen it. Near a minimum the gradients are small, the rate climbs back to its ceiling
# $p(t)/\sqrt K$, and if that ceiling is too large for the local curvature $\lambda$
# ($p(t)\lambda/\sqrt K > 2$) the iterate cannot settle. It is pushed out until the gradients are large
# enough to hold the rate down. In one dimension, $f = \tfrac12\lambda\theta^2$, a steady two-step
# cycle $\theta \to -\theta$ has $|g(t)| = |g(t-1)| = \lambda|\theta|$ and needs
# $\eta(t)\lambda = 2$, that is
#
# $$
# |\theta| = \frac{1}{\lambda}\sqrt{\frac{(p(t)\lambda/2)^2 - K}{1 + \xi}} ,
# $$ (eq-ada-cycle)
#
# an amplitude that shrinks only as fast as $p(t)$ does. The recursive form accumulates the large
# gradients of the cycle, its rate keeps falling, and it converges. Both forms on the axis-aligned
# bowl, $\eta(0) = 0.3$, $R = 100$, the paper's other constants:

# %%
R2 = 100
aligned = bowls["axis-aligned"]
dec_paths = {form: trajectory(lambda p, rec=rec: AdaDec(p, lr=0.3, total_steps=R2, recursive=rec),
                              aligned, land.start, R2)
             for form, rec in (("as printed", False), ("recursive", True))}

fig, axes = plotting.subplots(3, height=3.3)
plotting.contour(axes[0], aligned, land.xlim, land.ylim)
for form, path in dec_paths.items():
    plotting.trajectory(axes[0], path.numpy(), label=f"AdaDec, {form}")
    axes[1].plot(path[:, 1].numpy(), label=f"AdaDec, {form}")
    axes[2].plot(aligned(path).numpy(), label=f"AdaDec, {form}")
lam_y, xi, K = 50.0, 0.999, 1.0  # the steep axis of the aligned bowl; the paper's ξ and K
p_t = 0.3 * np.array([unit_power_decay(R2, 0.75)(t) for t in range(R2)])
amplitude = np.sqrt(np.maximum((p_t * lam_y / 2) ** 2 - K, 0) / (1 + xi)) / lam_y
axes[1].plot(np.arange(1, R2 + 1), amplitude, "k:", lw=1, label="predicted amplitude of the cycle")
axes[1].plot(np.arange(1, R2 + 1), -amplitude, "k:", lw=1)
plotting.label(axes[0], "x (1)", "y (1)", "axis-aligned bowl")
plotting.label(axes[1], "step t", "y, the steep coordinate (1)", "steep coordinate")
plotting.label(axes[2], "step t", r"$f(\theta_t)$ (1)", "loss", logy=True)
axes[0].legend(fontsize="x-small", loc="lower right")
axes[1].legend(fontsize="x-small")
plt.show()

# %% [markdown] tags=["caption"]
# AdaDec's decay factor as printed in the paper and in its recursive reading, on the axis-aligned
# bowl: paths (left), the steep coordinate (middle) and the loss (right).

# %%
printed = dec_paths["as printed"]
glue("cycle_measured", printed[-10:, 1].abs().mean().item())
glue("cycle_predicted", float(amplitude[-10:].mean()))
glue("cycle_x_printed", abs(printed[-1, 0].item()))
glue("cycle_x_recursive", abs(dec_paths["recursive"][-1, 0].item()))
glue("cycle_f_printed", float(aligned(printed[-1])))
glue("cycle_f_recursive", float(aligned(dec_paths["recursive"][-1])))

# %% [markdown]
# The printed form falls into the cycle: over the last ten steps $|y|$ averages
# {glue:text}`cycle_measured:.3f`, where {eq}`eq-ada-cycle` predicts {glue:text}`cycle_predicted:.3f`
# (final loss {glue:text}`cycle_f_printed:.2e`). The recursive form settles (final loss
# {glue:text}`cycle_f_recursive:.1e`). The short memory has an upside too: along the flat axis the
# printed form keeps its large rate and ends at $|x| =$ {glue:text}`cycle_x_printed:.1e`, while the
# recursive form, its rate worn down by the accumulated gradients, is still at
# {glue:text}`cycle_x_recursive:.1e`.
#
# ### The two forms on MNIST
#
# The same rate measurement as for AdaGrad, now for both forms of AdaDec with the paper's $K$ moved
# to our averaged loss ($K = 1/N^2$), the same $\eta(0)$, and $R$ the length of the run. The dashed
# line is the ceiling $p(t)/\sqrt K$ common to both.

# %%
ceiling = 0.01 / math.sqrt(K_mean) * np.array([unit_power_decay(rate_steps, 0.75)(t)
                                                for t in range(rate_steps)])
rate_figure(names[1:], [(ceiling, "--"), (np.full(rate_steps, 0.01 / math.sqrt(K_mean)), ":")])
plt.show()

# %% [markdown] tags=["caption"]
# The same for AdaGrad with the small K and for AdaDec in both readings, with AdaDec's ceiling
# (dashed) and AdaGrad's (dotted).

# %%
printed_r, recursive_r = rates[names[2]], rates[names[3]]
last = slice(-max(1, rate_steps // 10), None)  # the last tenth of the run


def median_over(A, rows):
    return float(np.nanmedian(A[rows]))


def mean_jump(A, rows):
    return float(np.nanmean(np.nanmedian(np.abs(np.diff(np.log(A), axis=0)), axis=1)[rows]))


glue("dec_printed_median", median_over(printed_r, last))
glue("dec_recursive_median", median_over(recursive_r, last))
glue("dec_printed_p10", float(np.nanpercentile(printed_r[-1], 10)))
glue("dec_recursive_p10", float(np.nanpercentile(recursive_r[-1], 10)))
glue("dec_ceiling_last", ceiling[-1])
glue("dec_printed_jump", mean_jump(printed_r, last))
glue("dec_recursive_jump", mean_jump(recursive_r, last))
glue("dec_jump_ratio", mean_jump(printed_r, last) / mean_jump(recursive_r, last))
glue("dec_adagrad_median", median_over(ada_Kn, last))
for name, key in zip(names, ("ada_K1", "ada_Kn", "dec_printed", "dec_recursive")):
    glue(f"{key}_loss", rate_losses[name])
pd.DataFrame({"final training loss (last epoch's mean)": rate_losses}).rename_axis("run")

# %% [markdown]
# Over the last tenth of the run, the printed form's median rate is
# {glue:text}`dec_printed_median:.3f`, close to the ceiling ({glue:text}`dec_ceiling_last:.3f` at the
# last step), and its 10th percentile at the end is {glue:text}`dec_printed_p10:.3f`: with two
# gradients in the denominator, few elements ever see a $G$ comparable with $K$, and eq. (13)-(15) as
# printed behaves for most parameters like SGD with the power decay $p(t)/\sqrt K$. The recursive
# form sums the squared gradients with a memory of about a thousand steps (in a run of
# {glue:text}`rate_steps` steps, nearly all of them), and its rates are spread out and lower
# (median {glue:text}`dec_recursive_median:.3f`, 10th percentile {glue:text}`dec_recursive_p10:.3f`;
# AdaGrad's median over the same steps: {glue:text}`dec_adagrad_median:.3f`). The right panel shows
# the second difference, how much an element's rate moves from one step to the next. Under the
# printed form it is set by the latest pair of gradients alone, and can move as much late in the run
# as early; under the recursive form each new gradient is one of about a thousand terms once the
# sum has filled. Over the last tenth of this run the median change per step is
# {glue:text}`dec_printed_jump:.1e` for the printed form and {glue:text}`dec_recursive_jump:.1e` for
# the recursive one (ratio {glue:text}`dec_jump_ratio:.2f`; early in a run, before the recursive
# sum has accumulated much, the two behave alike). Final training losses of these four single-seed
# runs are in the table; the comparison over seeds follows.
#
# ## On MNIST, over seeds
#
# The book's MNIST classifier ({func}`optimlab.experiments.compare <optimlab.experiments.classifier.compare>`) with four strategies: AdaGrad
# with the paper's constant $K = 1$ taken literally on our averaged loss, and AdaGrad and the two
# forms of AdaDec with the paper's $K$ moved to our loss scale, $K = 1/N^2$ for the batch size $N$.

# %%
cc = CONFIGS[scale]
epochs = cfg["epochs"] or cc.epochs
n_train = round(cc.train_fraction * 60_000)
R_mnist = math.ceil(n_train / cc.batch_size) * epochs
K_cmp = 1.0 / cc.batch_size**2
candidates = {
    "AdaGrad, K = 1, η(0) = 0.1": (AdaGrad, {"lr": 0.1, "K": 1.0, "eps": 0.0}),
    "AdaGrad, K = 1/N², η(0) = 0.01": (AdaGrad, {"lr": 0.01, "K": K_cmp, "eps": 0.0}),
    "AdaDec as printed, K = 1/N²": (AdaDec, {"lr": 0.01, "K": K_cmp, "total_steps": R_mnist}),
    "AdaDec recursive, K = 1/N²": (AdaDec, {"lr": 0.01, "K": K_cmp, "total_steps": R_mnist, "recursive": True}),
}
results = compare(candidates, scale=scale, seeds=cfg["seeds"], epochs=cfg["epochs"], device=dev)

fig, axes = plotting.subplots(2)
plotting.mean_band(axes[0], results[results.epoch > 0], x="epoch", y="train_loss", hue="label", marker="o")
plotting.mean_band(axes[1], results[results.epoch > 0], x="epoch", y="test_accuracy", hue="label", marker="o")
plotting.label(axes[0], "epoch", "training cross-entropy (nats)", "training loss (mean over the epoch)")
plotting.label(axes[1], "epoch", "test accuracy (1)", "test accuracy")
axes[0].legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
plt.show()

# %% [markdown] tags=["caption"]
# The MLP on MNIST with AdaGrad and AdaDec: training loss per epoch (left) and test accuracy
# (right).

# %%
final_cmp = results[results.epoch == results.epoch.max()].groupby("label", sort=False)[
    ["train_loss", "test_loss", "test_accuracy"]].agg(["mean", "min", "max"])
for key, label in zip(("K1", "Kn", "printed", "recursive"), candidates):
    glue(f"mnist_{key}_acc", final_cmp.loc[label, ("test_accuracy", "mean")])
    glue(f"mnist_{key}_loss", final_cmp.loc[label, ("train_loss", "mean")])
glue("mnist_epochs", int(results.epoch.max()))
glue("mnist_seeds", "one seed" if len(cfg["seeds"]) == 1 else f"mean of {len(cfg['seeds'])} seeds")
glue("mnist_N", cc.batch_size)
glue("mnist_best", final_cmp[("train_loss", "mean")].idxmin())
final_cmp

# %% [markdown]
# After {glue:text}`mnist_epochs` epochs ({glue:text}`mnist_seeds`, $N =$
# {glue:text}`mnist_N`), the training losses are {glue:text}`mnist_K1_loss:.3f` for AdaGrad with
# $K = 1$, {glue:text}`mnist_Kn_loss:.3f` with $K = 1/N^2$, {glue:text}`mnist_printed_loss:.3f` for
# AdaDec as printed and {glue:text}`mnist_recursive_loss:.3f` for the recursive form (test accuracies
# {glue:text}`mnist_K1_acc:.3f`, {glue:text}`mnist_Kn_acc:.3f`, {glue:text}`mnist_printed_acc:.3f`,
# {glue:text}`mnist_recursive_acc:.3f`); lowest training loss: {glue:text}`mnist_best`. For comparison,
# the single-seed rate measurement above found median rates, over the last tenth of its run, of
# {glue:text}`dec_printed_median:.3f` for the printed form, {glue:text}`dec_recursive_median:.3f` for
# the recursive one and {glue:text}`dec_adagrad_median:.3f` for AdaGrad with $K = 1/N^2$. The ranking
# depends on $\eta(0)$, which we did not tune per method; what the chapter establishes is the
# mechanism behind it: how much of each rate the gradients actually decide.
#
# ## What to take away
#
# - AdaGrad divides each parameter's step by the root of its accumulated squared gradients: a
#   diagonal preconditioner that removes scale differences between parameters (not rotations), with
#   a rate that can only shrink.
# - He & Li's $K$ inside the root and MindSpore's $\delta$ outside it are both safeguards, but $K$
#   also sets a scale: parameters whose squared gradients sum to much less than $K$ get plain SGD with
#   rate $\eta(0)/\sqrt K$. The paper's $K = 1$ belongs to its summed loss; on an averaged loss over
#   $N$ examples it is $K = 1/N^2$.
# - AdaDec as He & Li print it keeps two gradients in the denominator; Senior et al.'s recursion keeps
#   a decaying sum of about a thousand. The printed form's rates stay near the power-decay ceiling,
#   and on a sharp enough minimum it settles into a cycle whose size {eq}`eq-ada-cycle` predicts; the
#   recursive form behaves like a forgetful AdaGrad.
# - Chapter 4 replaces the sum by an exponential *average* and drops the schedule: RMSProp.
