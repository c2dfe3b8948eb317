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

# %% tags=["setup"]
from optimlab.experiments import first_order
from optimlab.presentation import first_order_figures as figures
from optimlab.presentation.chapter import start
from optimlab.presentation.tables import table

ch = start(scale, device, seed)

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
gd = first_order.gradient_descent_on_bowl()
figures.glue_all(gd.values)
figures.bowl(gd.data, title=gd.title);

# %% [markdown] tags=["caption"]
# Gradient descent on the elongated quadratic bowl: paths for a small and an edge-of-stability step
# size (left) and the loss along them (right).

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
#
# ```{literalinclude} /src/optimbook/optim/sgd.py
# :pyobject: momentum_update
# ```
#
# ```{literalinclude} /src/optimbook/optim/sgd.py
# :pyobject: Momentum
# ```
#
# ```{literalinclude} /src/optimbook/optim/sgd.py
# :pyobject: Nesterov
# ```
#
# Here is momentum on the same bowl, at the step size that made gradient descent crawl
# ($\eta =$ {glue:text}`eta_small`), for three values of $\mu$, and at Polyak's optimum
# {eq}`eq-mom-optimum`.

# %%
momentum = first_order.momentum_on_bowl()
figures.glue_all(momentum.values)
figures.bowl(momentum.data, title=momentum.title, on_map=list(momentum.data)[:-1]);

# %% [markdown] tags=["caption"]
# Momentum on the same bowl with the small step size and several momentum coefficients: paths
# (left) and loss (right).

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
grid = first_order.rate_grid()
figures.glue_all(grid.values)
figures.rate_maps(grid.data, eta_mark=gd.values["eta_small"]);

# %% [markdown] tags=["caption"]
# Convergence rate per step of momentum (left) and Nesterov's method (right) over the plane of step
# size and momentum coefficient, on the quadratic bowl.

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
measured = first_order.measured_rates(ch)
figures.glue_all(measured.values)
figures.rate_slice(measured.data, eta=gd.values["eta_small"], kappa=first_order.KAPPA);

# %% [markdown] tags=["caption"]
# A slice of the previous figure at the small step size: rate per step against the momentum
# coefficient, for momentum and Nesterov's method.

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
nesterov = first_order.nesterov_on_bowl()
figures.glue_all(nesterov.values)
figures.bowl(nesterov.data, title=nesterov.title, on_map=list(nesterov.data)[:2], dotted=list(nesterov.data)[2:],
             ylim=(1e-8, 1e6), loss_title="loss (dotted: the larger η)");

# %% [markdown] tags=["caption"]
# Momentum and Nesterov's method with a high momentum coefficient: paths (left) and loss (right);
# the dotted curves use a larger step size, where Nesterov's look-ahead keeps the iteration stable.

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
# \begin{aligned}
# \text{torch:}\quad && \theta_{t+1} - \theta_t &= -\eta_t \sum_{s \le t} \mu^{t-s} g_s ,\\
# \text{Sutskever:}\quad && \theta_{t+1} - \theta_t &= v_{t+1} = -\sum_{s \le t} \mu^{t-s} \eta_s\, g_s .
# \end{aligned}
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
drop = first_order.lr_drop()
figures.glue_all(drop.values)
figures.lr_drop(drop.data, drop_at=drop.values["drop_at"], eta=drop.values["eta_drop"]);

# %% [markdown] tags=["caption"]
# The two ways of writing momentum (torch's and Sutskever's) when the step size drops mid-run: step
# length (left) and loss (right).

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
checks = first_order.momentum_conformance()
figures.glue_all(checks.values)
table(checks.table)

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
mnist = first_order.momentum_mnist(ch)
figures.glue_all(mnist.values)
figures.mnist(mnist.data);

# %% [markdown] tags=["caption"]
# The MLP on MNIST with SGD, momentum and Nesterov's method: training loss per epoch (left) and
# test accuracy (right).

# %%
table(mnist.table)

# %% [markdown]
# After {glue:text}`mnist_epochs` epochs ({glue:text}`mnist_seeds`), SGD reaches a
# test accuracy of {glue:text}`mnist_sgd_acc:.3f` and momentum with the same effective step
# ($\eta = 0.01$) {glue:text}`mnist_mom_small_acc:.3f`. Once its buffer has filled (about
# $1/(1-\mu) = 10$ steps), momentum with a small $\eta$ is expected to move much like SGD with the
# step $\eta/(1-\mu)$: on a noisy problem, averaging gradients over ten steps and taking one tenth of
# the step ten times is nearly the same thing (training losses {glue:text}`mnist_mom_small_loss:.3f`
# and SGD's {glue:text}`mnist_sgd_loss:.3f`; the two differ most while the buffer fills, early in
# the run). With $\eta = 0.1$ (effective step 1), momentum ends at a training loss of
# {glue:text}`mnist_mom_loss:.3f`, {glue:text}`mnist_mom_vs_sgd` SGD's, and Nesterov at
# {glue:text}`mnist_nag_loss:.3f` (test accuracies {glue:text}`mnist_mom_acc:.3f` and
# {glue:text}`mnist_nag_acc:.3f`).
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
