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

# %% tags=["setup"]
from optimlab.experiments import adaptive
from optimlab.presentation import adaptive_figures as figures
from optimlab.presentation.adaptive_figures import glue_all
from optimlab.presentation.chapter import start
from optimlab.presentation.tables import table
from optimlab.training.models import mlp

ch = start(scale, device, seed)
cfg = ch.pick(adaptive.ANGD_SETTINGS)
seeds = [seed + s for s in cfg["seeds"]]

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
# \begin{aligned}
# &\delta^\star = \arg\min_{\delta}\; \nabla L^\top \delta
# \quad\text{subject to}\quad \tfrac12\, \delta^\top G\, \delta = r^2\\
# &\;\Longrightarrow\; \nabla L + \lambda G \delta = 0
# \;\Longrightarrow\; \delta^\star \propto -G^{-1}\nabla L .
# \end{aligned}
# $$ (eq-angd-steepest)
#
# With $G = I$ this is ordinary gradient descent. For a model $p(y\mid x;\theta)$, Amari
# {cite}`amari1998natural` takes the distance to be the Kullback-Leibler divergence, whose
# second-order expansion defines the metric:
#
# $$
# \begin{aligned}
# \mathrm{KL}\bigl(p_\theta \,\|\, p_{\theta+\delta}\bigr)
# &= \tfrac12\, \delta^\top F(\theta)\, \delta + O(\|\delta\|^3),\\
# F(\theta) &= \mathbb{E}_{x}\,\mathbb{E}_{y\sim p(\cdot\mid x;\theta)}
# \bigl[\nabla_\theta \log p(y\mid x;\theta)\, \nabla_\theta \log p(y\mid x;\theta)^\top\bigr],
# \end{aligned}
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
#
# ```{literalinclude} /src/optimbook/optim/natural.py
# :pyobject: amari_inverse_update
# ```
#
# ```{literalinclude} /src/optimbook/optim/natural.py
# :pyobject: exact_inverse_update
# ```

# %% [markdown]
# {class}`~optimbook.optim.natural.NaturalGradient` keeps $\hat G^{-1}$ over all its parameters,
# flattened in param-group order. {meth}`~optimbook.optim.natural.NaturalGradient.update_fisher`
# feeds it vectors $v$ (one per row); `step` applies $\theta \leftarrow \theta - \eta\,\hat G^{-1} g$.
# With `fisher_from_grad=True` (the default) `step` first feeds the loss gradient it is about to use,
# the "empirical Fisher" discussed at the end of the chapter; Amari et al.'s output-gradient Fisher
# needs `fisher_from_grad=False` and a call to `update_fisher` with $\nabla f$ before each step.
#
# ```{literalinclude} /src/optimbook/optim/natural.py
# :pyobject: NaturalGradient.update_fisher
# :dedent:
# ```
#
# ```{literalinclude} /src/optimbook/optim/natural.py
# :pyobject: NaturalGradient.step
# :dedent:
# ```

# %% [markdown]
# The estimate is a dense $P\times P$ matrix, so the class refuses models above `max_params`
# (10 000 by default). The MNIST classifier of chapter 1 shows why:

# %%
P_mnist = sum(p.numel() for p in mlp(784, 100, 10).parameters())
glue_all({"P_mnist": f"{P_mnist:,}", "gib_mnist": P_mnist**2 * 4 / 2**30})

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
# The book's `optimlab.experiments.adaptive.online_run` (below) is the online regression loop of
# the paper, one {func}`~optimlab.training.loop.train_step` per example. One backward pass gives $\nabla f$; the
# loss gradient is $\nabla\ell = (f - y)\nabla f$ by the chain rule, so the output-gradient Fisher
# costs no extra backward pass. These networks have ten parameters: they run on the CPU whatever
# `device` says (a GPU would only add launch latency).
#
# ```{literalinclude} /src/optimlab/experiments/adaptive.py
# :pyobject: online_run
# ```

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
V, G = adaptive.fisher_at_teacher(cfg["pool"], seed=seed)
estimates = adaptive.inverse_estimates(V, cfg["fisher_updates"], rates=(0.05, 0.01, 0.002), seed=seed)
fig = figures.estimator_figure(estimates)

# %% [markdown] tags=["caption"]
# The library's running estimate of the inverse Fisher matrix, exact and approximate updates, for
# several forgetting rates ε: relative error against the true inverse (left) and asymmetry (right),
# against the examples fed to it.


# %%
glue_all(adaptive.estimate_facts(V, estimates))
table(estimates.groupby(["eps", "update"]).tail(1).set_index(["eps", "update"]).drop(columns="asymmetry"),
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
methods = adaptive.plateau_methods()
plateau = adaptive.online_runs(methods, steps=cfg["steps"], evals=cfg["evals"], seeds=seeds)
fig = figures.two_panels(plateau, x="step", hue="method", logx=True, xlabel="examples seen (steps)",
                         left=("error", "generalisation error", "error", True),
                         right=("weaker_unit", r"weaker unit's $\min_k |c_k|$", "second hidden unit", True),
                         suptitle=f"Teacher-student network 4-2-1, σ = {adaptive.SIGMA}, "
                         + (f"mean and range over {len(seeds)} seeds" if len(seeds) > 1 else "one seed"))

# %% [markdown] tags=["caption"]
# The teacher-student network with SGD and natural-gradient descent: generalisation error (left)
# and the weaker hidden unit's smallest output weight (right), against the examples seen. The
# plateau is where that unit stays near zero.


# %%
threshold = 0.005
summary = adaptive.escape_summary(plateau, threshold)
glue_all({**adaptive.plateau_facts(summary), "plateau_threshold": threshold, "plateau_steps": f"{cfg['steps']:,}",
          "sgd_small": adaptive.SGD_RATES[0], "sgd_large": adaptive.SGD_RATES[1], "angd_lr": adaptive.ANGD_LR})
table(summary)

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
sweep = adaptive.stability_sweep(plateau, rates=cfg["sweep"], steps=cfg["steps"], evals=cfg["evals"], seeds=seeds)
glue_all({**adaptive.sweep_facts(sweep, big=max(cfg["sweep"])), "sweep_big": max(cfg["sweep"]),
          "angd_eps": adaptive.ANGD_EPS})
table(sweep)

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
empirical = adaptive.empirical_runs(plateau, steps=cfg["steps"], evals=cfg["evals"], seeds=seeds)
fig = figures.two_panels(empirical, x="step", hue="method", logx=True, xlabel="examples seen (steps)",
                         left=("error", "generalisation error", "error", True),
                         right=("mean_eig", r"$\mathrm{tr}(\hat G^{-1})/P$", "size of the inverse estimate", True))

# %% [markdown] tags=["caption"]
# The same network with the empirical Fisher matrix: generalisation error (left) and the size of
# the inverse estimate (right).


# %%
emp_tail = empirical[empirical["step"] >= 0.5 * cfg["steps"]].groupby("method", sort=False)[["error", "mean_eig"]].median()
out, same, small = emp_tail.index
glue_all({"emp_tail_out": emp_tail.loc[out, "error"], "emp_tail_same": emp_tail.loc[same, "error"],
          "emp_tail_small": emp_tail.loc[small, "error"],
          "emp_eig_ratio": emp_tail.loc[same, "mean_eig"] / emp_tail.loc[out, "mean_eig"],
          "inv_sigma2": 1 / adaptive.SIGMA**2,
          "emp_vs_out": "above" if emp_tail.loc[same, "error"] > emp_tail.loc[out, "error"] else "not above"})
table(emp_tail)

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
# - On the teacher-student plateau, in this run, {glue:text}`plateau_takeaway`. The empirical-Fisher
#   shortcut's scale follows the residuals: with the same step size its error over the second half is
#   {glue:text}`emp_vs_out` that of the output-gradient estimate.
