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
# # Momentum and Nesterov's accelerated gradient
#
# Chapter 1 ended with one rule, $\theta \leftarrow \theta - \alpha g$, and one step size for every
# direction of parameter space. This chapter starts from what that costs on an elongated bowl, then
# derives the survey's second optimizer {cite}`feng2018survey`, **momentum** (动量法,
# {cite:t}`polyak1964some`), and its variant **Nesterov momentum** (Nesterov 动量,
# {cite:t}`nesterov1983method`), which the articles of source 003 describe as the optimizer
# parameters `momentum` and `nesterov` {cite}`compilation003`: "Nesterov momentum is a variant of
# momentum: before updating the weights it first predicts where the next step will land and corrects
# the update from that position". Both methods come in two algebraic forms, torch's and
# {cite:t}`sutskever2013importance`'s; we derive both and show where they part.

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

import optimbook
from optimlab.presentation import plotting
from optimlab.training.diagnostics import max_difference
from optimlab.experiments import compare
from optimlab.training.landscapes import LANDSCAPES, trajectory
from optimbook.optim import SGD, Momentum, Nesterov
from optimbook.optim.sgd import momentum_update
from optimlab.presentation.plotting import glue
from optimlab.runtime import check_scale, resolve_device

check_scale(scale)
dev = resolve_device(device)
plotting.use_style()
print(f"optimbook {optimbook.__version__}, torch {torch.__version__}, device {dev}, scale {scale}")

cfg = {
    "smoke": dict(seeds=(0,), epochs=None, slice_points=12, rate_steps=(100, 200)),
    "paper": dict(seeds=(0, 1, 2), epochs=5, slice_points=40, rate_steps=(200, 400)),
}[scale]

land = LANDSCAPES["quadratic"]
kappa = 50.0  # the condition number of LANDSCAPES["quadratic"] (its default)
ell, L = 1.0, kappa  # its two curvatures: the eigenvalues of the Hessian



# %% [markdown]
# ## The weakness: one step size for every direction
#
# Take the quadratic bowl $f(\theta) = \tfrac12\theta^\top A\theta$ whose Hessian $A$ has eigenvalues
# $\ell \le \lambda \le L$ (here the book's ill-conditioned test function,
# {func}`optimlab.training.landscapes.quadratic`, with $\ell = 1$ and $L = \kappa = 50$, rotated by 30°).
# Gradient descent $\theta \leftarrow \theta - \eta A\theta$ acts on each eigendirection separately: the
# error component $e$ along an eigenvector with eigenvalue $\lambda$ obeys
#
# $$
# e_{t+1} = (1 - \eta\lambda)\, e_t .
# $$ (eq-mom-gd)
#
# It converges only if $|1-\eta\lambda| < 1$ for every $\lambda$, that is $\eta < 2/L$; and then the
# flat direction shrinks by the factor $1 - \eta\ell \ge 1 - 2/\kappa$ per step. The best constant step,
# $\eta = 2/(\ell + L)$, balances the two ends and gives the rate $(\kappa - 1)/(\kappa + 1)$: with
# $\kappa =$ {glue:text}`kappa:.0f`, each step removes only {glue:text}`gd_rate_gain:.1%` of the error.
# A step small enough for the steep
# direction is far too small for the flat one, and a step near $2/L$ makes the steep direction
# zigzag.

# %%
eta_small, eta_edge = 0.01, 0.038  # well inside, and close to, the stability limit 2/L = 0.04
steps = 60
gd_paths = {eta: trajectory(lambda p, eta=eta: SGD(p, lr=eta), land.f, land.start, steps)
            for eta in (eta_small, eta_edge)}

fig, axes = plotting.subplots(2)
plotting.contour(axes[0], land.f, land.xlim, land.ylim)
for eta, path in gd_paths.items():
    plotting.trajectory(axes[0], path.numpy(), label=f"η = {eta}")
plotting.label(axes[0], "x (1)", "y (1)", f"gradient descent, {steps} steps")
axes[0].legend(loc="lower right")
for eta, path in gd_paths.items():
    axes[1].plot(land.f(path).numpy(), label=f"η = {eta}")
plotting.label(axes[1], "step t", r"$f(\theta_t)$ (1)", "loss", logy=True)
axes[1].legend()
plt.show()

# %% [markdown] tags=["caption"]
# Gradient descent on the elongated quadratic bowl: paths for a small and an edge-of-stability step
# size (left) and the loss along them (right).

# %%
gd_rate_best = (kappa - 1) / (kappa + 1)
glue("kappa", kappa)
glue("gd_rate_best", gd_rate_best)
glue("gd_rate_gain", 1 - gd_rate_best)
glue("gd_eta_limit", 2 / L)
glue("gd_final_small", float(land.f(gd_paths[eta_small][-1])))
glue("gd_final_edge", float(land.f(gd_paths[eta_edge][-1])))
glue("eta_small", eta_small)
glue("eta_edge", eta_edge)

# %% [markdown]
# With $\eta =$ {glue:text}`eta_small` the path creeps along the valley floor (loss
# {glue:text}`gd_final_small:.2e` after 60 steps); with $\eta =$ {glue:text}`eta_edge`, close to the
# limit $2/L =$ {glue:text}`gd_eta_limit:.3f`, it bounces from wall to wall (loss
# {glue:text}`gd_final_edge:.2e`). Neither can beat the rate {glue:text}`gd_rate_best:.3f` per step
# that $\kappa =$ {glue:text}`kappa:.0f` imposes on any constant step.
#
# ## Momentum
#
# The zigzag suggests the fix. Along the steep direction successive gradients alternate in sign; along
# the flat direction they point the same way. Averaging the recent gradients cancels the first and
# accumulates the second. Momentum keeps that average in a buffer $b$, a leaky sum of past gradients,
# and steps along it:
#
# $$
# b_{t+1} = \mu\, b_t + g_t, \qquad \theta_{t+1} = \theta_t - \eta\, b_{t+1},
# \qquad b_0 = 0,
# $$ (eq-mom-torch)
#
# with the momentum coefficient $\mu \in [0, 1)$. Unrolled, $b_{t+1} = \sum_{s\le t}\mu^{t-s} g_s$: a
# gradient that stays constant builds up to $g/(1-\mu)$, so in a consistent direction the effective
# step is $\eta/(1-\mu)$, ten times $\eta$ for $\mu = 0.9$. Subtracting two consecutive updates
# eliminates $b$ and gives Polyak's "heavy ball" form {cite}`polyak1964some`,
#
# $$
# \theta_{t+1} = \theta_t - \eta\, g_t + \mu\,(\theta_t - \theta_{t-1}),
# $$ (eq-mom-heavy-ball)
#
# a gradient step plus a fraction $\mu$ of the previous displacement: the inertia of a heavy ball
# rolling in the loss surface.
#
# **Rate on the quadratic.** With $g_t = \lambda e_t$ along one eigendirection, {eq}`eq-mom-heavy-ball`
# is the two-term recurrence $e_{t+1} = (1 + \mu - \eta\lambda)\,e_t - \mu\, e_{t-1}$. Its solutions
# are combinations of $z^t$ with $z$ a root of
#
# $$
# z^2 - (1 + \mu - \eta\lambda)\, z + \mu = 0 ,
# $$ (eq-mom-char)
#
# and the error shrinks like $\rho^t$ with $\rho = \max_\lambda \max|z|$. When the roots are complex,
# $|z| = \sqrt{\mu}$ whatever $\lambda$ is: momentum turns the spread of curvatures into a common
# oscillation that decays at the same speed in every direction. The roots are complex for every
# $\lambda \in [\ell, L]$ when $(1-\sqrt{\eta\lambda})^2 \le \mu \le (1+\sqrt{\eta\lambda})^2$, and the
# smallest $\mu$ that achieves it at both ends gives Polyak's optimum
#
# $$
# \eta^\star = \frac{4}{(\sqrt{L} + \sqrt{\ell})^2},\qquad
# \mu^\star = \Bigl(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\Bigr)^2,\qquad
# \rho^\star = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1},
# $$ (eq-mom-optimum)
#
# a rate governed by $\sqrt\kappa$ instead of $\kappa$. The recurrence is stable exactly when
# $0 < \eta\lambda < 2(1+\mu)$ (both roots inside the unit circle), so momentum also tolerates larger
# steps than gradient descent.
#
# :::{admonition} Algorithm 2.1: momentum (torch's form, {eq}`eq-mom-torch`)
# :class: note
# **Input:** learning rate $\eta$; momentum $\mu \in [0, 1)$ (the library's default 0.9, the value
# {cite:t}`sutskever2013importance` use late in training; source 003 says only that it lies
# between 0 and 1, higher values moving faster at the cost of adaptivity; Hinton & Salakhutdinov's
# pretraining code uses 0.5, then 0.9); initial parameters $\theta_0$.
#
# 1. $b \leftarrow 0$
# 2. **while** not converged: draw a mini-batch, compute $g \leftarrow \nabla_\theta L(\theta)$
# 3. $\quad b \leftarrow \mu b + g$
# 4. $\quad \theta \leftarrow \theta - \eta\, b$
# :::
#
# The library's update function implements {eq}`eq-mom-torch` and, with `nesterov=True`, the
# look-ahead form derived below; `form="sutskever"` selects the second algebraic form of the last
# section. The classes only hold the buffers:

# %%
display(Markdown(f"```python\n{inspect.getsource(momentum_update)}```"))
display(Markdown(f"```python\n{inspect.getsource(Momentum)}\n\n{inspect.getsource(Nesterov)}```"))

# %% [markdown]
# Here is momentum on the same bowl, at the step size that made gradient descent crawl
# ($\eta =$ {glue:text}`eta_small`), for three values of $\mu$, and at Polyak's optimum
# {eq}`eq-mom-optimum`.

# %%
eta_star = 4 / (math.sqrt(L) + math.sqrt(ell)) ** 2
mu_star = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
mom_runs = {f"μ = {mu}": (eta_small, mu) for mu in (0.0, 0.5, 0.9)}
mom_runs[f"optimum (η = {eta_star:.3f}, μ = {mu_star:.3f})"] = (eta_star, mu_star)
mom_paths = {name: trajectory(lambda p, e=e, m=m: Momentum(p, lr=e, momentum=m), land.f, land.start, steps)
             for name, (e, m) in mom_runs.items()}

fig, axes = plotting.subplots(2)
plotting.contour(axes[0], land.f, land.xlim, land.ylim)
for name, path in mom_paths.items():
    if not name.startswith("optimum"):  # its first steps leave the window (see the loss panel)
        plotting.trajectory(axes[0], path.numpy(), label=name)
    axes[1].plot(land.f(path).numpy(), label=name)
plotting.label(axes[0], "x (1)", "y (1)", f"momentum, η = {eta_small}, {steps} steps")
axes[0].legend(loc="lower right", fontsize="small")
plotting.label(axes[1], "step t", r"$f(\theta_t)$ (1)", "loss", logy=True)
axes[1].legend(fontsize="small")
plt.show()

# %% [markdown] tags=["caption"]
# Momentum on the same bowl with the small step size and several momentum coefficients: paths
# (left) and loss (right).

# %%
final = {name: float(land.f(path[-1])) for name, path in mom_paths.items()}
glue("mom_final_0", final["μ = 0.0"])
glue("mom_final_05", final["μ = 0.5"])
glue("mom_final_09", final["μ = 0.9"])
glue("mom_final_opt", final[list(mom_runs)[-1]])
glue("eta_star", eta_star)
glue("mu_star", mu_star)
glue("rho_star", math.sqrt(mu_star))

# %% [markdown]
# At the same $\eta$, $\mu = 0.5$ takes the loss from {glue:text}`mom_final_0:.2e` (plain gradient
# descent, $\mu = 0$) to {glue:text}`mom_final_05:.2e` in 60 steps. $\mu = 0.9$ overshoots: the ball
# carries so much inertia that it spirals around the minimum (loss {glue:text}`mom_final_09:.2e`).
# Its asymptotic rate, $\sqrt{0.9} =$ {glue:text}`rate_mu09:.3f` per step, is still better than
# those of $\mu = 0.5$ ({glue:text}`rate_mu05:.3f`) and $\mu = 0$ ({glue:text}`rate_mu0:.3f`), but
# the spiral's loss oscillates by orders of magnitude from step to step. At Polyak's optimum,
# $\eta^\star =$ {glue:text}`eta_star:.4f` and $\mu^\star =$ {glue:text}`mu_star:.3f`, the loss first
# rises (the step is beyond gradient descent's limit $2/L$ and the steep direction overshoots)
# and then falls to {glue:text}`mom_final_opt:.1e`.
#
# ## The classic convergence-rate picture
#
# The rate $\rho$ of {eq}`eq-mom-char` as a function of the step size and of $\mu$ is the classic
# picture of momentum (Polyak's analysis; {cite:t}`goh2017why` made the picture popular). The left
# panel computes it from the roots of {eq}`eq-mom-char`; the second panel does the same for
# Nesterov's method (its characteristic equation {eq}`eq-nag-char` is derived in the next section).
# The dashed line is the step size $\eta =$ {glue:text}`eta_small` of the trajectories above.

# %%
def rate_heavy_ball(eta_lam, mu):
    """Largest root modulus of z² − (1 + μ − ηλ) z + μ = 0 (eq-mom-char)."""
    a, b = 1 + mu - eta_lam, mu
    disc = np.sqrt(a * a - 4 * b + 0j)
    return np.maximum(abs((a + disc) / 2), abs((a - disc) / 2))


def rate_nesterov(eta_lam, mu):
    """Largest root modulus of z² − (1 + μ)(1 − ηλ) z + μ(1 − ηλ) = 0 (eq-nag-char)."""
    a, b = (1 + mu) * (1 - eta_lam), mu * (1 - eta_lam)
    disc = np.sqrt(a * a - 4 * b + 0j)
    return np.maximum(abs((a + disc) / 2), abs((a - disc) / 2))


def rate(kind, eta, mu):
    """Convergence rate on the bowl: the worst of its two curvatures ℓ and L."""
    fn = rate_heavy_ball if kind == "momentum" else rate_nesterov
    return np.maximum(fn(eta * ell, mu), fn(eta * L, mu))


etas = np.linspace(1e-4, 4.2 / L, 400)
mus = np.linspace(0.0, 0.99, 300)
E, M = np.meshgrid(etas, mus)
fig, axes = plotting.subplots(2, height=3.6)
cmap = plt.get_cmap("viridis").copy()
cmap.set_bad("0.85")  # divergence (ρ ≥ 1) in grey
for ax, kind in zip(axes, ("momentum", "Nesterov")):
    R = rate(kind, E, M)
    im = ax.pcolormesh(E * L, M, np.ma.masked_where(R >= 1.0, R), cmap=cmap, vmin=0.7, vmax=1.0,
                       shading="auto")
    ax.contour(E * L, M, R, levels=[1.0], colors="white", linewidths=1.2)
    i = np.unravel_index(np.argmin(R), R.shape)
    ax.plot(E[i] * L, M[i], "r*", ms=10)
    ax.axvline(eta_small * L, color="w", ls="--", lw=1)
    plotting.label(ax, r"step size $\eta L$ (1)", r"momentum $\mu$ (1)", kind)
fig.colorbar(im, ax=axes, label=r"rate $\rho$ per step (grey: ≥ 1, diverges)")
plt.show()

# %% [markdown] tags=["caption"]
# Convergence rate per step of momentum (left) and Nesterov's method (right) over the plane of step
# size and momentum coefficient, on the quadratic bowl.

# %%
R_hb = rate("momentum", E, M)
R_nag = rate("Nesterov", E, M)
glue("hb_best_rate", R_hb.min())
glue("nag_best_rate", R_nag.min())
for mu, key in ((0.0, "rate_mu0"), (0.5, "rate_mu05"), (0.9, "rate_mu09")):
    glue(key, float(rate("momentum", eta_small, mu)))
glue("nag_limit_mu09", 2 * 1.9 / 2.8)
glue("hb_limit_mu09", 2 * 1.9)

# %% [markdown]
# Gradient descent is the bottom edge ($\mu = 0$); the white curve bounds the region of
# convergence (grey: divergence), and the red star marks the best rate on the grid: {glue:text}`hb_best_rate:.3f` for
# momentum, within the grid's resolution of $\rho^\star =$ {glue:text}`rho_star:.3f`, against
# {glue:text}`gd_rate_best:.3f` for the best gradient descent. The valley of fast rates is narrow
# and bends upward: the larger the step, the more momentum it needs, and too much momentum is as
# slow as too little.
#
# The theory is a statement about the library's iterates, so we can measure it: run
# {class}`~optimbook.optim.sgd.Momentum` and {class}`~optimbook.optim.sgd.Nesterov` along the dashed
# line and fit the rate from the distance to the minimum. Complex roots make that distance oscillate,
# so the fit compares its envelope, the largest distance over a window of $w$ steps ending at $t_1$
# and at $t_2$: $\rho \approx (\max_{t_2 - w < t \le t_2}\lVert\theta_t\rVert /
# \max_{t_1 - w < t \le t_1}\lVert\theta_t\rVert)^{1/(t_2 - t_1)}$.

# %%
t1, t2 = cfg["rate_steps"]
window = 70  # longer than the slowest oscillation period on this slice
slice_mus = np.linspace(0.0, 0.95, cfg["slice_points"])
measured = []
for kind, cls in (("momentum", Momentum), ("Nesterov", Nesterov)):
    for mu in slice_mus:
        path = trajectory(lambda p, mu=mu: cls(p, lr=eta_small, momentum=float(mu)), land.f, land.start, t2)
        norms = path.norm(dim=1)
        n1, n2 = norms[t1 - window + 1: t1 + 1].max().item(), norms[t2 - window + 1: t2 + 1].max().item()
        measured.append({"method": kind, "mu": mu, "measured": (n2 / n1) ** (1 / (t2 - t1)),
                         "theory": float(rate(kind, eta_small, mu))})
measured = pd.DataFrame(measured)

fig, ax = plotting.subplots(1, width=6.0)
fine_mus = np.linspace(0.0, 0.95, 400)
for color, kind in zip(("C0", "C1"), ("momentum", "Nesterov")):
    ax.plot(fine_mus, rate(kind, eta_small, fine_mus), color=color, label=f"{kind}: theory")
    sub = measured[measured.method == kind]
    ax.plot(sub["mu"], sub["measured"], "o", color=color, mfc="none", label=f"{kind}: library, measured")
plotting.label(ax, r"momentum $\mu$ (1)", r"rate $\rho$ per step (1)", f"η = {eta_small}, κ = {kappa:.0f}")
ax.legend(fontsize="small")
plt.show()

# %% [markdown] tags=["caption"]
# A slice of the previous figure at the small step size: rate per step against the momentum
# coefficient, for momentum and Nesterov's method.

# %%
gap = (measured["measured"] - measured["theory"]).abs()
glue("rate_gap_max", gap.max())
glue("rate_gap_max_mu", measured.loc[gap.idxmax(), "mu"])
glue("rate_gap_median", gap.median())
glue("slice_theory_mu", (1 - math.sqrt(eta_small * ell)) ** 2)
glue("window", window)
glue("t1", t1)
glue("t2", t2)

# %% [markdown]
# The measured rates (steps {glue:text}`t1` to {glue:text}`t2`, window {glue:text}`window`) follow
# the theory: median gap {glue:text}`rate_gap_median:.1e`, largest {glue:text}`rate_gap_max:.1e`
# (at $\mu =$ {glue:text}`rate_gap_max_mu:.2f`). Where the roots are real, one mode dominates
# after a few steps and the fit is exact to rounding; where they are complex, the envelope of a
# finite window is only approximately geometric, and near the kink, where the two roots
# coincide, the error decays like $t\rho^t$ rather than $\rho^t$. For momentum the kink sits at
# $\mu = (1 - \sqrt{\eta\ell})^2 =$ {glue:text}`slice_theory_mu:.3f`: below it the flat direction
# is overdamped and limits the rate, above it both directions oscillate and the rate is
# $\sqrt\mu$.
#
# ## Nesterov's look-ahead
#
# Momentum computes the gradient where the ball *is* and then adds the inertia. Since the inertia
# step $\mu v$ will be taken anyway, Nesterov's method evaluates the gradient where the ball is
# *about to be*, and corrects from there. In Sutskever et al.'s notation, with a velocity
# $v$ in parameter units {cite}`sutskever2013importance` (eq. (3)-(4)):
#
# $$
# v_{t+1} = \mu\, v_t - \eta\, \nabla f(\theta_t + \mu v_t), \qquad \theta_{t+1} = \theta_t + v_{t+1}.
# $$ (eq-nag-sutskever)
#
# A gradient at a shifted point does not fit the interface of an optimizer, which receives the
# gradient at the current parameters. The change of variables $\phi_t = \theta_t + \mu v_t$
# {cite}`bengio2013advances` removes the shift: with $g_t = \nabla f(\phi_t)$,
#
# $$
# \phi_{t+1} = \theta_{t+1} + \mu v_{t+1} = \phi_t - \mu v_t + (1+\mu) v_{t+1}
#            = \phi_t + \mu\, v_{t+1} - \eta\, g_t .
# $$ (eq-nag-phi)
#
# The optimizer stores $\phi$ as the parameters. With the buffer $b$ of {eq}`eq-mom-torch` and a constant $\eta$,
# $v = -\eta b$, which turns {eq}`eq-nag-phi` into torch's form of Nesterov momentum:
#
# $$
# b_{t+1} = \mu\, b_t + g_t, \qquad \theta_{t+1} = \theta_t - \eta\,(g_t + \mu\, b_{t+1}).
# $$ (eq-nag-torch)
#
# Compared with {eq}`eq-mom-torch`, the current gradient enters the step twice: once through
# the buffer and once directly, as the correction measured at the look-ahead point. Eliminating $b$ as
# before gives, along an eigendirection, $e_{t+1} = (1+\mu)(1-\eta\lambda)e_t - \mu(1-\eta\lambda)e_{t-1}$
# and the characteristic equation
#
# $$
# z^2 - (1+\mu)(1-\eta\lambda)\, z + \mu(1-\eta\lambda) = 0 .
# $$ (eq-nag-char)
#
# The factor $1 - \eta\lambda$ on the momentum term damps it where the curvature is high: the
# look-ahead sees the far wall coming and brakes. The price is a smaller stable range. The Jury
# conditions for {eq}`eq-nag-char` give $0 < \eta\lambda < 2(1+\mu)/(1+2\mu)$, which is
# {glue:text}`nag_limit_mu09:.2f` for $\mu = 0.9$, against $2(1+\mu) =$ {glue:text}`hb_limit_mu09:.1f`
# for momentum: the right edge of the Nesterov panel above. Its best rate on the grid is
# {glue:text}`nag_best_rate:.3f`.
#
# :::{admonition} Algorithm 2.2: Nesterov momentum (torch's form, {eq}`eq-nag-torch`)
# :class: note
# **Input:** learning rate $\eta$; momentum $\mu \in [0, 1)$ (default 0.9); initial parameters $\theta_0$.
#
# 1. $b \leftarrow 0$
# 2. **while** not converged: compute $g \leftarrow \nabla_\theta L(\theta)$ on a mini-batch
# 3. $\quad b \leftarrow \mu b + g$
# 4. $\quad \theta \leftarrow \theta - \eta\,(g + \mu b)$
# :::

# %%
nag_steps = 40
nag_runs = {"momentum, η = 0.02": (Momentum, 0.02), "Nesterov, η = 0.02": (Nesterov, 0.02),
            "momentum, η = 0.035": (Momentum, 0.035), "Nesterov, η = 0.035": (Nesterov, 0.035)}
nag_paths = {name: trajectory(lambda p, c=c, e=e: c(p, lr=e, momentum=0.9), land.f, land.start, nag_steps)
             for name, (c, e) in nag_runs.items()}

fig, axes = plotting.subplots(2)
plotting.contour(axes[0], land.f, land.xlim, land.ylim)
for name in ("momentum, η = 0.02", "Nesterov, η = 0.02"):
    plotting.trajectory(axes[0], nag_paths[name].numpy(), label=name)
plotting.label(axes[0], "x (1)", "y (1)", f"μ = 0.9, {nag_steps} steps")
axes[0].legend(loc="upper right", fontsize="small")
for name, path in nag_paths.items():
    axes[1].plot(land.f(path).numpy(), label=name, ls="-" if "0.02" in name else ":")
plotting.label(axes[1], "step t", r"$f(\theta_t)$ (1)", "loss (dotted: η = 0.035)", logy=True)
axes[1].set_ylim(1e-8, 1e6)
axes[1].legend(fontsize="small")
plt.show()

# %% [markdown] tags=["caption"]
# Momentum and Nesterov's method with a high momentum coefficient: paths (left) and loss (right);
# the dotted curves use a larger step size, where Nesterov's look-ahead keeps the iteration stable.

# %%
def last_finite_loss(path):
    ok = torch.isfinite(path).all(dim=1)
    return float(land.f(path[ok][-1])), int(ok.sum()) - 1


glue("nag_mom002", last_finite_loss(nag_paths["momentum, η = 0.02"])[0])
glue("nag_nag002", last_finite_loss(nag_paths["Nesterov, η = 0.02"])[0])
glue("nag_mom0035", last_finite_loss(nag_paths["momentum, η = 0.035"])[0])
glue("nag_nag0035", last_finite_loss(nag_paths["Nesterov, η = 0.035"])[0])
glue("nag_steps", nag_steps)
glue("eta_L_0035", 0.035 * L)
glue("nag_f0", float(land.f(torch.tensor(land.start))))
glue("nag_mom0035_rate", float(rate("momentum", 0.035, 0.9)))

# %% [markdown]
# With $\mu = 0.9$ and $\eta = 0.02$ the look-ahead damps the oscillation across the valley:
# after {glue:text}`nag_steps` steps the loss is {glue:text}`nag_nag002:.1e` for Nesterov against
# {glue:text}`nag_mom002:.1e` for momentum. At $\eta = 0.035$ ($\eta L =$ {glue:text}`eta_L_0035:.2f`,
# beyond Nesterov's limit but well inside momentum's) the order flips: momentum's iterates still
# contract (loss {glue:text}`nag_mom0035:.1e` after {glue:text}`nag_steps` steps, from
# {glue:text}`nag_f0:.0f` at the start; its rate there is {glue:text}`nag_mom0035_rate:.3f` per step),
# while Nesterov's grow (loss {glue:text}`nag_nag0035:.1e` at the last step shown). The look-ahead is not a free improvement; it trades stable step size for damping.
#
# ## Two forms: torch's and Sutskever et al.'s
#
# Torch's form {eq}`eq-mom-torch` keeps a buffer of *gradients* and applies the current learning rate to all of it;
# Sutskever et al. keep a *velocity* into which each step's own learning rate was multiplied when
# the gradient arrived:
#
# $$
# \text{torch:}\quad \theta_{t+1} - \theta_t = -\eta_t \sum_{s \le t} \mu^{t-s} g_s ,
# \qquad
# \text{Sutskever:}\quad \theta_{t+1} - \theta_t = v_{t+1} = -\sum_{s \le t} \mu^{t-s} \eta_s\, g_s .
# $$ (eq-mom-forms)
#
# For a constant $\eta$ the two sums are equal ($v = -\eta b$) and so are the iterates. When the
# learning rate changes they are not: after a drop from $\eta$ to $\eta/10$, torch's form shrinks the
# whole accumulated step tenfold at once, while Sutskever's form keeps moving with the old velocity,
# which decays by $\mu$ per step. The library implements both
# (`Momentum(..., form="sutskever")`, `Nesterov(..., form="sutskever")`, the latter in the variables
# $\phi$ of {eq}`eq-nag-phi`). Below both run on the bowl with $\mu = 0.9$ and a learning rate divided
# by 10 after a few steps, driven by torch's own `MultiStepLR` scheduler.

# %%
drop_at, drop_steps, eta_drop = 15, 60, 0.02


def run_with_drop(cls, form):
    """Iterates of ``cls`` on the bowl when the learning rate falls tenfold after ``drop_at`` steps."""
    z = torch.tensor(land.start, dtype=torch.float64, requires_grad=True)
    opt = cls([z], lr=eta_drop, momentum=0.9, form=form)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[drop_at], gamma=0.1)
    path = [z.detach().clone()]
    for _ in range(drop_steps):
        opt.zero_grad()
        land.f(z).backward()
        opt.step()
        sched.step()
        path.append(z.detach().clone())
    return torch.stack(path)


forms = {(cls.__name__, form): run_with_drop(cls, form)
         for cls in (Momentum, Nesterov) for form in ("torch", "sutskever")}
constant = {form: trajectory(lambda p, form=form: Momentum(p, lr=eta_drop, momentum=0.9, form=form),
                             land.f, land.start, drop_steps) for form in ("torch", "sutskever")}

fig, axes = plotting.subplots(2)
for (name, form), path in forms.items():
    style = "-" if form == "torch" else "--"
    color = "C0" if name == "Momentum" else "C1"
    step_len = (path[1:] - path[:-1]).norm(dim=1).numpy()
    axes[0].plot(np.arange(drop_steps), step_len, style, color=color, label=f"{name}, {form}")
    axes[1].plot(land.f(path).numpy(), style, color=color, label=f"{name}, {form}")
for ax in axes:
    ax.axvline(drop_at, color="grey", lw=1)
plotting.label(axes[0], "step t", r"step length $\|\theta_{t+1}-\theta_t\|$ (1)",
               f"η: {eta_drop} → {eta_drop / 10:g} at t = {drop_at}", logy=True)
plotting.label(axes[1], "step t", r"$f(\theta_t)$ (1)", "loss", logy=True)
axes[0].legend(fontsize="small")
plt.show()

# %% [markdown] tags=["caption"]
# The two ways of writing momentum (torch's and Sutskever's) when the step size drops mid-run: step
# length (left) and loss (right).

# %%
same_before = max((forms[(n, "torch")][: drop_at + 1] - forms[(n, "sutskever")][: drop_at + 1]).abs().max().item()
                  for n in ("Momentum", "Nesterov"))
same_constant = (constant["torch"] - constant["sutskever"]).abs().max().item()


def drop_ratio(path):
    steps_ = (path[1:] - path[:-1]).norm(dim=1)
    return (steps_[drop_at] / steps_[drop_at - 1]).item()


glue("forms_diff_constant", same_constant)
glue("forms_diff_before", same_before)
glue("drop_ratio_torch", drop_ratio(forms[("Momentum", "torch")]))
glue("drop_ratio_sutskever", drop_ratio(forms[("Momentum", "sutskever")]))
final_drop = {key: float(land.f(path[-1])) for key, path in forms.items()}
glue("drop_final_torch", final_drop[("Momentum", "torch")])
glue("drop_final_sutskever", final_drop[("Momentum", "sutskever")])
glue("drop_final_torch_nag", final_drop[("Nesterov", "torch")])
glue("drop_final_sutskever_nag", final_drop[("Nesterov", "sutskever")])
glue("drop_lower", "torch's" if final_drop[("Momentum", "torch")] < final_drop[("Momentum", "sutskever")]
     else "Sutskever's")
glue("drop_at", drop_at)
glue("drop_steps", drop_steps)

# %% [markdown]
# With a constant rate the two forms agree to {glue:text}`forms_diff_constant:.1e` over
# {glue:text}`drop_steps` steps (rounding), and with the drop they agree up to step
# {glue:text}`drop_at` ({glue:text}`forms_diff_before:.1e`). At the drop, torch's form multiplies the
# step length by {glue:text}`drop_ratio_torch:.3f` in one step; Sutskever's form by
# {glue:text}`drop_ratio_sutskever:.3f`, coasting on its velocity, which here carries it up the
# walls of the valley again. At the end of the run, {glue:text}`drop_lower` form has the lower loss
# with momentum ({glue:text}`drop_final_torch:.1e` for torch's form against
# {glue:text}`drop_final_sutskever:.1e`; with Nesterov {glue:text}`drop_final_torch_nag:.1e` against
# {glue:text}`drop_final_sutskever_nag:.1e`). Neither form is right or wrong, but a schedule that
# changes $\eta$ every step (the decay rules of part III) acts immediately on the whole momentum
# in torch's form, and only on new gradients in Sutskever's. Note that $\eta$ is not "the step size"
# of either form: the step length follows the buffer, and a schedule designed for plain gradient
# descent does not carry over unchanged.
#
# ## Checking the classes against torch.optim
#
# {class}`~optimbook.optim.sgd.SGD`, {class}`~optimbook.optim.sgd.Momentum` and
# {class}`~optimbook.optim.sgd.Nesterov` claim to equal `torch.optim.SGD` with `momentum` and
# `nesterov`. A demonstration on a small least-squares problem with three parameter tensors
# (the test suite, `tests/test_optim_conformance.py`, checks every optimizer this way, with more
# settings, param groups, state round trips and invalid arguments; the later chapters repeat this
# demonstration for their own optimizers):

# %%
checks = {
    "SGD": max_difference(lambda p: SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    "Momentum": max_difference(lambda p: Momentum(p, lr=0.05, momentum=0.9),
                               lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "Nesterov": max_difference(lambda p: Nesterov(p, lr=0.05, momentum=0.9),
                               lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
}
glue("check_max_diff", max(checks.values()))
glue("check_verdict", "bitwise identical" if max(checks.values()) == 0 else "equal to rounding")
pd.Series(checks, name="max |θ_ours − θ_torch| after 25 steps").to_frame()

# %% [markdown]
# After 25 steps in float64 the largest difference over the three classes is
# {glue:text}`check_max_diff:.1e`: the trajectories are {glue:text}`check_verdict`.
#
# ## On MNIST
#
# The real task is the book's MNIST classifier (a 784-100-10 perceptron, softmax cross-entropy,
# mini-batches; {func}`optimlab.experiments.compare <optimlab.experiments.classifier.compare>`). Four candidates: plain SGD with
# $\eta = 0.1$; momentum $\mu = 0.9$ with $\eta = 0.01$, whose effective step $\eta/(1-\mu)$ equals
# SGD's; and momentum and Nesterov with $\eta = 0.1$. With several seeds, bands span them.

# %%
candidates = {
    "SGD, η = 0.1": (SGD, {"lr": 0.1}),
    "momentum 0.9, η = 0.01": (Momentum, {"lr": 0.01, "momentum": 0.9}),
    "momentum 0.9, η = 0.1": (Momentum, {"lr": 0.1, "momentum": 0.9}),
    "Nesterov 0.9, η = 0.1": (Nesterov, {"lr": 0.1, "momentum": 0.9}),
}
results = compare(candidates, scale=scale, seeds=cfg["seeds"], epochs=cfg["epochs"], device=dev)

fig, axes = plotting.subplots(2)
plotting.mean_band(axes[0], results[results.epoch > 0], x="epoch", y="train_loss", hue="label", marker="o")
plotting.mean_band(axes[1], results[results.epoch > 0], x="epoch", y="test_accuracy", hue="label", marker="o")
plotting.label(axes[0], "epoch", "training cross-entropy (nats)", "training loss (mean over the epoch)")
plotting.label(axes[1], "epoch", "test accuracy (1)", "test accuracy")
axes[0].legend(fontsize="small")
plt.show()

# %% [markdown] tags=["caption"]
# The MLP on MNIST with SGD, momentum and Nesterov's method: training loss per epoch (left) and
# test accuracy (right).

# %%
last = results[results.epoch == results.epoch.max()].groupby("label", sort=False)[
    ["train_loss", "test_loss", "test_accuracy"]].agg(["mean", "min", "max"])
for key, label in (("sgd", "SGD, η = 0.1"), ("mom_small", "momentum 0.9, η = 0.01"),
                   ("mom", "momentum 0.9, η = 0.1"), ("nag", "Nesterov 0.9, η = 0.1")):
    glue(f"mnist_{key}_acc", last.loc[label, ("test_accuracy", "mean")])
    glue(f"mnist_{key}_loss", last.loc[label, ("train_loss", "mean")])
glue("mnist_epochs", int(results.epoch.max()))
glue("mnist_seeds", "one seed" if len(cfg["seeds"]) == 1 else f"mean of {len(cfg['seeds'])} seeds")
last

# %% [markdown]
# After {glue:text}`mnist_epochs` epochs ({glue:text}`mnist_seeds`), SGD reaches a
# test accuracy of {glue:text}`mnist_sgd_acc:.3f` and momentum with the same effective step
# ($\eta = 0.01$) {glue:text}`mnist_mom_small_acc:.3f`. Once its buffer has filled (about
# $1/(1-\mu) = 10$ steps), momentum with a small $\eta$ is expected to move much like SGD with the
# step $\eta/(1-\mu)$: on a noisy problem, averaging gradients over ten steps and taking one tenth of
# the step ten times is nearly the same thing. What momentum buys here is that the larger effective
# step stays usable: with $\eta = 0.1$ (effective step 1), momentum reaches
# {glue:text}`mnist_mom_acc:.3f` (training loss {glue:text}`mnist_mom_loss:.3f` against SGD's
# {glue:text}`mnist_sgd_loss:.3f`) and Nesterov {glue:text}`mnist_nag_acc:.3f` (training loss
# {glue:text}`mnist_nag_loss:.3f`).
#
# ## What to take away
#
# - A constant step size pays for ill-conditioning with a rate $(\kappa-1)/(\kappa+1)$; momentum
#   accumulates consistent gradient directions and cancels oscillating ones, and with the right
#   $(\eta, \mu)$ improves the rate to $(\sqrt\kappa-1)/(\sqrt\kappa+1)$.
# - Nesterov's method evaluates the gradient at the look-ahead point $\theta + \mu v$; after a change
#   of variables it is a one-line change of the momentum update that damps oscillations, at the cost
#   of a smaller range of stable step sizes.
# - torch's form (a buffer of gradients, the current $\eta$ applied to all of it) and Sutskever et
#   al.'s form (a velocity with each step's own $\eta$ inside) give the same iterates for a constant
#   learning rate and different ones when it changes.
# - Both methods still use one learning rate for every parameter; chapter 3 gives each parameter its
#   own.
