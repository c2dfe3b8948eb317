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
# # Learning-rate decay II: polynomial and cosine rules
#
# Chapter 9's rules fall in plateaus or as powers of the step and never end: the rate keeps
# shrinking however long the run. The rules of this chapter are written for a run of known length:
# they reach their final value at a given step `decay_steps` and stay there (or start again). The
# survey {cite}`feng2018survey` lists four of them, in TensorFlow 1.x's form
# {cite}`abadi2016tensorflow`: **polynomial decay** (多项式衰减) with its `cycle` option, **cosine
# decay** (余弦衰减), **linear cosine decay** (线性余弦衰减) and **noisy linear cosine decay**
# (噪声线性余弦衰减); to these we add **cosine decay with restarts** (学习率重启, the "restart"
# strategy of source 003 {cite}`compilation003`), TensorFlow's `cosine_decay_restarts`. Each is
# derived, shown as library code and drawn; the survey's two figures for these rules are regenerated
# with its settings; the library is compared with TensorFlow's own output; and one experiment trains
# the same MNIST classifier under every rule of chapters 9 and 10.

# %% tags=["parameters"]
scale = "smoke"  # "smoke" (seconds, CI) or "paper" (full MNIST)
device = "auto"  # "auto" picks CUDA when available
seed = 0

# %% tags=["setup"]
import json
import math
from pathlib import Path

import numpy as np

from optimbook import schedules as S
from optimbook.schedules.noise import standard_normal
from optimlab.experiments import schedule_studies as studies
from optimlab.presentation import schedule_figures as figures
from optimlab.presentation.chapter import start
from optimlab.presentation.plotting import glue
from optimlab.presentation.tables import table

ch = start(scale, device, seed)
steps200 = range(201)

# %% [markdown]
# ## Polynomial decay
#
# TensorFlow's `polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001,
# power=1.0, cycle=False)` moves from $\eta_0$ to $\eta_{\text{end}}$ along a power $k$ of the
# remaining fraction of the run, and stops there:
#
# $$
# \eta(t) = (\eta_0 - \eta_{\text{end}})\left(1 - \frac{\min(t, T)}{T}\right)^{k} + \eta_{\text{end}}.
# $$ (eq-polynomial)
#
# $k = 1$ is a straight line, $k > 1$ falls fast and then flattens, $k < 1$ holds high and then drops.
# With `cycle=True` the step is not clamped; the horizon grows instead to the first multiple of $T$
# not below $t$,
#
# $$
# T_t = T \left\lceil t / T \right\rceil \quad (T_0 = T), \qquad
# \eta(t) = (\eta_0 - \eta_{\text{end}})\left(1 - \frac{t}{T_t}\right)^{k} + \eta_{\text{end}},
# $$ (eq-polynomial-cycle)
#
# so the rate reaches $\eta_{\text{end}}$ at every multiple of $T$ and jumps up on the next step, each
# time to a lower peak: at $t = cT + 1$ the rate is
# $(\eta_0 - \eta_{\text{end}})(1 - \frac{cT + 1}{(c + 1)T})^k + \eta_{\text{end}}$. The special case
# $t = 0$, where $\lceil 0 \rceil = 0$ would make $T_t = 0$, is TensorFlow's multiplier 1.
#
# ```{literalinclude} /src/optimbook/schedules/polynomial.py
# :pyobject: PolynomialDecay.value
# :dedent:
# ```

# %% [markdown]
# The survey's figure: $\eta_0 = 0.1$, $T = 50$, $\eta_{\text{end}} = 0.01$, $k = 0.5$, without and with
# `cycle`, over 200 steps:

# %%
poly_kw = dict(learning_rate=0.1, decay_steps=50, end_learning_rate=0.01, power=0.5)
poly, poly_cycle = S.polynomial_decay(**poly_kw), S.polynomial_decay(**poly_kw, cycle=True)
figures.schedules({"cycle=True": poly_cycle, "cycle=False": poly}, steps200, dashed=["cycle=False"],
                  title="polynomial_decay(0.1, decay_steps=50, end_learning_rate=0.01, power=0.5)");

# %% [markdown] tags=["caption"]
# Polynomial decay with and without the cycle option.

# %%
figures.glue_all({f"poly_peak_{c}": poly_cycle(50 * c + 1) for c in (1, 2, 3)})
glue("poly_at_50", poly_cycle(50))

# %% [markdown]
# With `cycle=True` the rate touches {glue:text}`poly_at_50:.2f` at step 50 and restarts at
# {glue:text}`poly_peak_1:.4f` (step 51), {glue:text}`poly_peak_2:.4f` (step 101) and
# {glue:text}`poly_peak_3:.4f` (step 151): each cycle is longer, $T_t$ grows by $T$, so each restart
# begins lower.
#
# ## Cosine decay
#
# TensorFlow's `cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0)` follows half a
# cosine wave from $\eta_0$ down to the floor $\alpha\eta_0$ over $T$ steps and stays there; it is
# the annealing of SGDR {cite}`loshchilov2017sgdr`:
#
# $$
# \eta(t) = \eta_0\left[(1 - \alpha)\,\frac{1}{2}\left(1 + \cos\frac{\pi\min(t, T)}{T}\right) + \alpha\right].
# $$ (eq-cosine)
#
# The rate stays near $\eta_0$ for the first part of the run, falls fastest at $t = T/2$ and flattens
# again near the end. (Source 003 prints the rule as $0.5\,\eta_0(1 + \cos(\text{epoch}/T))$, without
# the $\pi$: read literally it would go from $\eta_0$ at epoch 0 only to
# $0.5\,\eta_0(1 + \cos 1) \approx 0.77\,\eta_0$ at epoch $T$. We read it as {eq}`eq-cosine` with
# $\alpha = 0$.)
#
# ```{literalinclude} /src/optimbook/schedules/cosine.py
# :pyobject: CosineDecay.value
# :dedent:
# ```

# %% [markdown]
# ## Cosine decay with restarts
#
# SGDR {cite}`loshchilov2017sgdr` repeats the cosine: period $i = 0, 1, 2, \dots$ lasts
# $T_0 m^i$ steps, $m$ being `t_mul`, and starts from a peak $M^i$ times the first, $M$ being `m_mul`.
# Period $i$ starts at step
#
# $$
# S_i = T_0\,(1 + m + \dots + m^{i-1}) = T_0\,\frac{1 - m^i}{1 - m} \qquad (S_i = iT_0 \text{ if } m = 1),
# $$ (eq-restart-start)
#
# and within it, with $f = (t - S_i)/(T_0 m^i)$ the fraction of the period done,
#
# $$
# \eta(t) = \eta_0\left[(1 - \alpha)\, M^i\, \frac{1}{2}(1 + \cos\pi f) + \alpha\right].
# $$ (eq-restarts)
#
# Note where $M^i$ sits, as in TensorFlow: it shrinks the cosine part but not the floor $\alpha\eta_0$.
# To find $i$ from $t$, TensorFlow solves $S_i \le t$ for $i$ in closed form: with
# $c = t/T_0$ and $m \ne 1$,
#
# $$
# i = \left\lfloor \frac{\log\bigl(1 - c(1 - m)\bigr)}{\log m} \right\rfloor .
# $$ (eq-restart-index)
#
# At an exact period start the ratio of logarithms is an integer in exact arithmetic, and in floating
# point it may land just below it. The library computes {eq}`eq-restart-index` and then corrects $i$
# by comparing $t$ with $S_i$ and $S_{i+1}$, so a step exactly at a boundary always starts the new
# period:
#
# ```{literalinclude} /src/optimbook/schedules/cosine.py
# :pyobject: CosineDecayRestarts.restart
# :dedent:
# ```

# %%
r3 = S.cosine_decay_restarts(1.0, first_decay_steps=1, t_mul=3.0)
glue("restart_naive", math.floor(math.log(1 - 121 * (1 - 3.0)) / math.log(3.0)))
glue("restart_fixed", r3.restart(121)[0])
glue("restart_naive_value", 0.5 * (1 + math.cos(math.pi * (121 - 40) / 81)))
glue("restart_value", r3(121))

# %% [markdown]
# For example with $T_0 = 1$ and $m = 3$, period 5 starts at $S_5 = (3^5 - 1)/2 = 121$. In float64,
# {eq}`eq-restart-index` at $t = 121$ gives $i =$ {glue:text}`restart_naive`, which would put the step
# at the very end of period 4 ($f = 1$) with rate {glue:text}`restart_naive_value:.1f`; the corrected
# index is {glue:text}`restart_fixed` and the rate {glue:text}`restart_value:.1f`, the new peak. With
# $m < 1$ the periods shrink and add up to the finite length $T_0/(1 - m)$; beyond it
# {eq}`eq-restart-index` takes the logarithm of a non-positive number, TensorFlow returns NaN, and so
# does the library.

# %%
restarts = S.cosine_decay_restarts
figures.schedule_panels(
    [{"t_mul=2, m_mul=1, alpha=0": restarts(0.1, 10, t_mul=2.0, m_mul=1.0, alpha=0.0),
      "t_mul=2, m_mul=0.5, alpha=0.1": restarts(0.1, 10, t_mul=2.0, m_mul=0.5, alpha=0.1)},
     {"t_mul=1, m_mul=0.8": restarts(0.1, 40, t_mul=1.0, m_mul=0.8),
      "t_mul=1.5, m_mul=0.8": restarts(0.1, 40, t_mul=1.5, m_mul=0.8)}],
    range(320), titles=["first_decay_steps = 10", "first_decay_steps = 40"]);

# %% [markdown] tags=["caption"]
# Cosine decay with restarts for two first periods and several period and height multipliers.

# %% [markdown]
# In the left panel the periods start at steps 10, 30, 70 and 150. With $M = 0.5$ and $\alpha = 0.1$
# each peak's distance above the floor halves, while the floor stays at $0.01$.
#
# ## Linear cosine decay
#
# {cite:t}`bello2017neural` found, by searching over update rules with reinforcement learning, a
# decay that multiplies a linear decay by a cosine with `num_periods` $n$ periods over the run.
# TensorFlow's `linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods=0.5,
# alpha=0.0, beta=0.001)` computes, with $\tau = \min(t, T)$,
#
# $$
# \begin{aligned}
# \ell(t) &= \frac{T - \tau}{T}, \qquad
# c(t) = \frac{1}{2}\left(1 + \cos\frac{2\pi n \tau}{T}\right),\\
# \eta(t) &= \eta_0\bigl[(\alpha + \ell(t))\,c(t) + \beta\bigr].
# \end{aligned}
# $$ (eq-linear-cosine)
#
# $\beta\eta_0$ is the floor. With $n = 0.5$ the cosine makes one half wave and the rate falls
# monotonically; with more periods it oscillates under the linear envelope $(\alpha + \ell)\eta_0$.
# Note that $\eta(0) = (1 + \alpha + \beta)\eta_0$, above $\eta_0$ when $\alpha$ or $\beta$ is positive.
#
# ```{literalinclude} /src/optimbook/schedules/cosine.py
# :pyobject: _linear_cosine_parts
# ```
#
# ```{literalinclude} /src/optimbook/schedules/cosine.py
# :pyobject: LinearCosineDecay.value
# :dedent:
# ```

# %% [markdown]
# ## Noisy linear cosine decay
#
# The noisy variant adds Gaussian noise of decaying variance to the linear term:
#
# $$
# \eta(t) = \eta_0\bigl[(\alpha + \ell(t) + \varepsilon_t)\,c(t) + \beta\bigr], \qquad
# \varepsilon_t \sim \mathcal{N}\!\left(0,\ \frac{v_0}{(1 + \tau)^{d}}\right),
# $$ (eq-noisy-linear-cosine)
#
# with `initial_variance` $v_0$ (default 1) and `variance_decay` $d$ (default 0.55). TensorFlow draws
# $\varepsilon_t$ from a stateful random generator, without a seed: the rate at step $t$ depends on
# how many times the schedule was called before, and no two runs agree. The library keeps the
# schedule a function of the step: $\varepsilon_t = \sigma(t)\,z(\text{seed}, t)$, where $z$ is a
# standard normal number computed from the pair (seed, step) alone, by hashing the pair into two
# uniform numbers and applying the Box-Muller transform {cite}`box1958note`. `seed=None` draws a seed once, when the
# schedule is built, and records it in the schedule's `repr`.
#
# ```{literalinclude} /src/optimbook/schedules/noise.py
# :pyobject: standard_normal
# ```
#
# ```{literalinclude} /src/optimbook/schedules/cosine.py
# :pyobject: NoisyLinearCosineDecay.noise
# :dedent:
# ```

# %%
noisy = S.noisy_linear_cosine_decay(0.1, 50, initial_variance=0.01, variance_decay=0.1, num_periods=0.2,
                                    alpha=0.5, beta=0.2, seed=seed)
forward = [noisy(t) for t in range(200)]
backward = [noisy(t) for t in reversed(range(200))][::-1]
glue("noise_order_same", "identical" if forward == backward else "different")
glue("noise_repr", repr(noisy))
z = np.array([standard_normal(seed, t) for t in range(20_000)])
glue("noise_z_mean", z.mean())
glue("noise_z_var", z.var())

# %% [markdown]
# Evaluated forwards and backwards over 200 steps, the seeded schedule gives {glue:text}`noise_order_same`
# values. Over 20 000 steps the draws $z$ have mean {glue:text}`noise_z_mean:.3f` and variance
# {glue:text}`noise_z_var:.3f`; the test suite checks the variance of $\varepsilon_t$ against
# $v_0/(1+\tau)^d$ at several steps over thousands of seeds.
#
# ## The survey's figure
#
# The survey draws the three cosine rules on one plot: cosine decay ($\eta_0 = 0.1$, $T = 50$,
# $\alpha = 0$), linear cosine decay (`num_periods` 0.2, $\alpha = 0.5$, $\beta = 0.2$) and noisy linear
# cosine decay (the same, with `initial_variance` 0.01 and `variance_decay` 0.1), over 200 steps.
# The band is $\pm 2\sigma(t)$ of the noise around the noiseless linear cosine curve.

# %%
cos = S.cosine_decay(learning_rate=0.1, decay_steps=50, alpha=0.0)
lin = S.linear_cosine_decay(learning_rate=0.1, decay_steps=50, num_periods=0.2, alpha=0.5, beta=0.2)
figures.noisy_band(cos, lin, noisy, steps200, seed=seed, lr0=0.1);

# %% [markdown] tags=["caption"]
# Cosine, linear cosine and noisy linear cosine decay.

# %%
glue("lin_at_0", lin(0))
glue("lin_floor", lin(200))
glue("cos_floor", cos(200))

# %% [markdown]
# With these settings linear cosine decay starts at {glue:text}`lin_at_0:.2f`, above $\eta_0 = 0.1$
# (because $\alpha + \beta > 0$), and settles at {glue:text}`lin_floor:.4f` after step 50, while cosine
# decay settles at {glue:text}`cos_floor:.1f`. Since $n = 0.2 < 0.5$ the cosine factor never reaches
# its minimum, and after step 50 the clamp $\tau = \min(t, T)$ holds the rate constant.
#
# ## Agreement with TensorFlow
#
# The test suite compares every rule with TensorFlow's own output, generated once by
# `tools/tf_schedule_goldens.py` (calling `tf.compat.v1.train.*_decay`) and stored with the
# TensorFlow version in `tests/data/`: the survey's settings at every plotted step, and edge cases
# (step 0, exactly at `decay_steps`, beyond it, staircase and cycle boundaries, restarts with
# $m \ne 1$ and $M < 1$). TensorFlow runs the cosine family only in float32 (its code multiplies by a
# float32 $\pi$), the others in float64. The largest differences, relative to $\eta_0$:

# %%
goldens = json.loads((Path("..") / "tests" / "data" / "tf_schedule_goldens.json").read_text())
agreement = studies.tf_agreement(goldens)
glue("tf_version", goldens["provenance"]["tensorflow"])
glue("tf_values", int(agreement["values"].sum()))
glue("tf_err64", agreement.xs("float64", level=1)["max |ours − TF| / η0"].max())
glue("tf_err32", agreement.xs("float32", level=1)["max |ours − TF| / η0"].max())
table(agreement, caption="The library against TensorFlow's stored output, per rule and TensorFlow dtype.")

# %% [markdown]
# Over {glue:text}`tf_values` values from TensorFlow {glue:text}`tf_version`, the float64 rules agree
# to {glue:text}`tf_err64:.1e` of $\eta_0$ and the float32 ones to {glue:text}`tf_err32:.1e`, the
# rounding of float32 (the library computes in float64). The noisy rule is compared with its noise
# switched off (`initial_variance=0`), since TensorFlow's noise cannot be reproduced.
#
# ## The same classifier under every rule
#
# Finally we train one MNIST model, the multilayer perceptron 784-100-10 of chapter 1, by mini-batch
# SGD under each rule of chapters 9 and 10, with {func}`optimlab.experiments.classifier.compare`
# (three seeds: initialisation and batch order). Every rule starts from $\eta_0 = 0.1$; its constants
# are set relative to the run's length $R$, the number of optimizer steps (epochs times
# $\lceil n / b \rceil$ for $n$ training images in batches of $b$):
#
# - constant: $\eta_0$;
# - piecewise constant: $\eta_0$, then $\eta_0/10$ after $R/2$, $\eta_0/100$ after $3R/4$;
# - exponential decay with `staircase`, one drop per $R/10$ steps, from $\eta_0$ to $\eta_0/100$:
#   $T = R/10$, $r = 0.01^{1/10}$;
# - inverse time decay with $T = R/10$, $r = 1$ (ending at $\eta_0/11$);
# - polynomial decay, linear ($k = 1$), from $\eta_0$ to $\eta_0/100$ over $T = R$;
# - cosine decay over $T = R$, $\alpha = 0$;
# - cosine decay with restarts, $T_0 = R/7$, $m = 2$, $M = 1$: three periods, $R/7 + 2R/7 + 4R/7 = R$;
# - linear cosine decay over $T = R$ with TensorFlow's defaults ($n = 0.5$, $\alpha = 0$,
#   $\beta = 0.001$);
# - noisy linear cosine decay, the same with the survey's noise ($v_0 = 0.01$, $d = 0.1$).
#
# (At smoke scale, the quick build for CI, only the first rule of each family is trained: constant,
# piecewise constant, exponential with staircase, cosine and cosine with restarts.)
#
# TensorFlow's default noise, $v_0 = 1$, would have a standard deviation of 1 at step 0, as large as
# the linear term itself: the rate could be negative early in the run (see the count below).

# %%
run = studies.run_length(scale)
settings = ch.pick(studies.SMOOTH)
R, lr0 = run["R"], settings.lr
candidates = studies.smooth_decay_rules(R, lr0, seed=seed)
glue("negative_default_noise", sum(S.noisy_linear_cosine_decay(lr0, R, seed=seed)(t) < 0 for t in range(R)))
figures.glue_all({"mnist_R": f"{R:,}", "mnist_epochs": run["epochs"], "mnist_n": f"{run['n_train']:,}",
                  "mnist_b": run["batch_size"]})
figures.schedules(candidates, range(R + 1), per=run["steps_per_epoch"], xlabel="epoch", height=3.4,
                  title=f"the rules of the experiment (R = {R:,} steps)");

# %% [markdown] tags=["caption"]
# The smooth-decay rules of the experiment, against the epoch.

# %% [markdown]
# The run is {glue:text}`mnist_epochs` epochs over {glue:text}`mnist_n` images in batches of
# {glue:text}`mnist_b`: $R$ = {glue:text}`mnist_R` steps. With TensorFlow's default noise the rate
# would be negative at {glue:text}`negative_default_noise` of these steps.

# %%
results = studies.decay_comparison({name: candidates[name] for name in settings.rules}, scale=scale,
                                   seeds=settings.seeds, device=ch.device)
figures.decay_curves(results);

# %% [markdown] tags=["caption"]
# The MLP on MNIST with SGD under each smooth-decay rule: training loss (left) and test accuracy
# (right) per epoch, mean and min-max band over seeds.

# %%
summary = studies.decay_summary(results)
figures.glue_all(studies.decay_findings(summary))
table(summary, columns={"train_loss": "training loss (nats)", "train_loss_spread": "spread over seeds (nats)"},
      caption="Each rule after the last epoch, lowest mean training loss first (means over the seeds).")

# %% [markdown]
# After {glue:text}`mnist_epochs` epochs the lowest mean training loss,
# {glue:text}`mnist_best_loss:.3f`, comes from {glue:text}`mnist_best`; the constant rate reaches
# {glue:text}`mnist_constant_loss:.3f` and ranks {glue:text}`mnist_constant_rank` of
# {glue:text}`mnist_rules`. The best mean test accuracy, {glue:text}`mnist_best_acc:.3f`, comes from
# {glue:text}`mnist_best_acc_rule`. The largest spread between the seeds of one rule is
# {glue:text}`mnist_spread:.3f` nats: differences between rules smaller than that are not resolved by
# three seeds. Decay pays when the run is long enough for the constant rate to reach its noise floor;
# before that, lowering the rate only slows the descent. {glue:text}`mnist_verdict` Since every
# constant here is a fraction of $R$, the same comparison at another run length moves every rule
# with it.
#
# ## What to take away
#
# - Polynomial, cosine and linear cosine decay reach their final rate at `decay_steps` and stay there;
#   `cycle=True` and `cosine_decay_restarts` start again, each time lower or longer.
# - In `cosine_decay_restarts`, `m_mul` shrinks each restart's peak but not the floor $\alpha\eta_0$;
#   the period index needs exact arithmetic at boundaries.
# - Noisy linear cosine decay is only reproducible with seeded noise that depends on the step alone;
#   TensorFlow's default variance can make the rate negative.
# - All rules agree with TensorFlow's own output to the rounding of its arithmetic.
