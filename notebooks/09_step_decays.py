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
# # Learning-rate decay I: step-shaped and exponential rules
#
# Chapter 1 ended on a noise floor: with a constant learning rate, stochastic and mini-batch
# gradient descent stop improving at a distance from the optimum that grows with the rate. The cure
# the sources name is **learning-rate decay** (学习率衰减): a large rate early, for fast progress,
# and a small one late, to settle {cite}`compilation003`. The survey {cite}`feng2018survey` lists
# seven decay rules, in the form TensorFlow 1.x implements them {cite}`abadi2016tensorflow`:
# piecewise constant, polynomial, exponential, natural exponential, cosine, linear cosine and noisy
# linear cosine decay. This chapter takes the rules whose rate falls in steps or as a power of the
# step: **piecewise constant decay** (分段常数衰减), **step decay** (the "Step Decay" of source 003),
# **exponential decay** (指数衰减) with and without `staircase`, **natural exponential decay**
# (自然指数衰减), TensorFlow's **inverse time decay**, and the AdaMix paper's **power** schedule
# ("Power", 幂指数型, {cite:t}`he2016adamix`). Chapter 10 takes the smooth ones; chapter 11 warmup,
# validation-based and manual changes.
#
# Each rule is derived from its TensorFlow definition, shown as the library code that implements it,
# and drawn; the survey's figures for these rules are regenerated with its settings. The chapter
# ends with an experiment on the noise floor itself.

# %% tags=["parameters"]
scale = "smoke"  # "smoke" (seconds, CI) or "paper" (longer runs)
device = "auto"  # "auto" picks CUDA when available
seed = 0

# %% tags=["setup"]
import math

from optimbook import schedules as S
from optimbook.optim.adadec import unit_power_decay
from optimlab.experiments import schedule_studies as studies
from optimlab.presentation import schedule_figures as figures
from optimlab.presentation.chapter import start
from optimlab.presentation.plotting import glue
from optimlab.presentation.tables import table

ch = start(scale, device, seed)

# %% [markdown]
# ## A schedule is a function of the step
#
# TensorFlow passes every decay rule a `global_step`, the number of optimizer steps taken so far,
# and computes the rate from it in closed form. We keep that contract: a **schedule** is a pure
# function $\eta(t)$ of the step count $t = 0, 1, 2, \dots$, with no state. The $t$-th optimizer
# step (counting from 0) uses $\eta(t)$; resuming a run at step $t$ needs nothing but $t$, and any
# step can be evaluated directly, which is how every figure below is drawn. In `optimbook` each rule
# is a small frozen dataclass whose fields are the arguments of its factory (TensorFlow's names),
# validated once when it is built; calling it checks the step and evaluates the closed form:
#
# ```{literalinclude} /src/optimbook/schedules/base.py
# :pyobject: check_step
# ```
#
# ```{literalinclude} /src/optimbook/schedules/base.py
# :pyobject: Schedule.__call__
# :dedent:
# ```

# %% [markdown]
# {class}`optimbook.schedules.torch_adapter.ScheduleLR` turns any schedule into a torch learning-rate
# scheduler: after construction and $k$ calls of `scheduler.step()` every param group's rate is
# $\eta(k)$. Chapter 11 looks at it closely; here it only drives the experiment at the end.
#
# ## Piecewise constant decay
#
# TensorFlow's `piecewise_constant(x, boundaries, values)` holds the rate constant between
# boundaries $b_0 < b_1 < \dots < b_{n-1}$ and takes one of $n + 1$ values:
#
# $$
# \eta(t) = \begin{cases}
#   v_0 & t \le b_0,\\
#   v_i & b_{i-1} < t \le b_i \quad (1 \le i \le n-1),\\
#   v_n & t > b_{n-1}.
# \end{cases}
# $$ (eq-piecewise)
#
# Each boundary belongs to the interval on its **left**: at $t = b_0$ the rate is still $v_0$, and it
# drops on the next step. (Torch's `MultiStepLR` drops *at* the milestone, one step earlier.) The
# implementation is one binary search, `bisect_left`, which returns exactly the index of
# {eq}`eq-piecewise`:
#
# ```{literalinclude} /src/optimbook/schedules/piecewise.py
# :pyobject: PiecewiseConstant
# ```

# %% [markdown]
# The survey draws this rule with boundaries $[10, 20, 30]$ and values $[0.1, 0.07, 0.025, 0.0125]$
# over 40 steps. Here is that figure, regenerated from the library:

# %%
pc = S.piecewise_constant(boundaries=[10, 20, 30], values=[0.1, 0.07, 0.025, 0.0125])
figures.schedules({"piecewise_constant": pc}, range(40), stairs=["piecewise_constant"], marks=pc.boundaries,
                  marker="o", title="boundaries [10, 20, 30], values [0.1, 0.07, 0.025, 0.0125]");

# %% [markdown] tags=["caption"]
# A piecewise-constant schedule: the learning rate against the global step, with the boundaries
# marked.

# %%
glue("pc_at_10", pc(10))
glue("pc_at_11", pc(11))
glue("pc_at_31", pc(31))

# %% [markdown]
# At the boundary itself, $t = 10$, the rate is still {glue:text}`pc_at_10:.2f`; at $t = 11$ it is
# {glue:text}`pc_at_11:.2f`, and from $t = 31$ on {glue:text}`pc_at_31:.4f`. The rule is the most
# explicit of all: the user states the schedule. It is also the one that needs the most tuning, one
# boundary and one value per phase.
#
# ## Step decay
#
# The most common special case multiplies the rate by a factor $\gamma$ every $s$ steps (source 003:
# "every $n$ epochs the learning rate becomes $\gamma$ times what it was"); torch calls it `StepLR`:
#
# $$
# \eta(t) = \eta_0\,\gamma^{\lfloor t / s \rfloor}.
# $$ (eq-step)
#
# ```{literalinclude} /src/optimbook/schedules/piecewise.py
# :pyobject: StepDecay.value
# :dedent:
# ```

# %% [markdown]
# ## Exponential decay, continuous and staircase
#
# TensorFlow's `exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase)`
# multiplies the rate by `decay_rate` $r$ every `decay_steps` $T$ steps, continuously:
#
# $$
# \eta(t) = \eta_0\, r^{\,p}, \qquad
# p = \begin{cases} t / T & \texttt{staircase=False},\\ \lfloor t / T \rfloor & \texttt{staircase=True}.\end{cases}
# $$ (eq-exponential)
#
# With `staircase=True` the exponent is floored and the rate drops once every $T$ steps: this is step
# decay {eq}`eq-step` with $s = T$, $\gamma = r$. The continuous curve passes through the corners of
# the staircase, at $t = kT$. The continuous rate halves every $T \ln 2 / \ln(1/r)$ steps. The
# three TensorFlow rules that take `decay_rate` and `staircase` share one base class, which computes
# $p$:
#
# ```{literalinclude} /src/optimbook/schedules/exponential.py
# :pyobject: RateDecay.progress
# :dedent:
# ```
#
# ```{literalinclude} /src/optimbook/schedules/exponential.py
# :pyobject: ExponentialDecay
# ```

# %% [markdown]
# The survey's figure uses $\eta_0 = 0.5$, $T = 10$, $r = 0.9$ over 200 steps:

# %%
steps200 = range(201)
exp_kw = dict(learning_rate=0.5, decay_steps=10, decay_rate=0.9)
exp_cont, exp_stair = S.exponential_decay(**exp_kw), S.exponential_decay(**exp_kw, staircase=True)
figures.schedules({"staircase=True": exp_stair, "staircase=False": exp_cont}, steps200,
                  stairs=["staircase=True"], dashed=["staircase=False"],
                  title="exponential_decay(0.5, decay_steps=10, decay_rate=0.9)");

# %% [markdown] tags=["caption"]
# Exponential decay with and without the staircase option.

# %%
glue("exp_half_life", 10 * math.log(2) / math.log(1 / 0.9))
glue("exp_at_200", exp_cont(200))

# %% [markdown]
# The rate halves every {glue:text}`exp_half_life:.1f` steps and is {glue:text}`exp_at_200:.4f` at
# step 200.
#
# ## Natural exponential decay, and a misprint
#
# TensorFlow's `natural_exp_decay` takes the same arguments and uses base $e$:
#
# $$
# \eta(t) = \eta_0\, e^{-r\,p},
# $$ (eq-natural)
#
# with $p$ as in {eq}`eq-exponential`.
# Since $e^{-rp} = (e^{-r})^p$, it is exponential decay with `decay_rate` $e^{-r}$, and that is how
# TensorFlow computes it; the library does the same, so the two agree to the last bit. Source 003's
# "Exponential Decay", $\eta = \eta_0 e^{-k\cdot\text{epoch}}$, is this rule with $T = 1$ epoch.
#
# ```{literalinclude} /src/optimbook/schedules/exponential.py
# :pyobject: NaturalExpDecay
# ```

# %% [markdown]
# The web copy of the survey prints the formula as
# $\eta_0 \exp(-\texttt{decay\_rate} / \texttt{global\_step})$, dividing by the step instead of
# multiplying by $t/T$. That is a misprint: the survey's own figure shows a decreasing curve, and the
# misprinted expression *increases* with the step (from $0$ at $t = 0^+$ towards $\eta_0$), which no
# decay rule does. The left panel regenerates the survey's figure (natural exponential decay, both
# forms, beside ordinary exponential decay, with $\eta_0 = 0.5$, $T = 10$, $r = 0.9$); the right
# panel draws what the misprinted formula would have drawn, computed here with numpy (it is not a
# library rule, since it is not TensorFlow's).

# %%
nat_cont, nat_stair = S.natural_exp_decay(**exp_kw), S.natural_exp_decay(**exp_kw, staircase=True)
misprint = lambda t: 0.5 * math.exp(-0.9 / t) if t > 0 else math.nan  # lr * exp(-decay_rate / global_step)
figures.schedule_panels(
    [{"natural_exp_decay, staircase": nat_stair, "natural_exp_decay": nat_cont,
      "exponential_decay, staircase": exp_stair, "exponential_decay": exp_cont},
     {"misprint: 0.5 exp(−0.9 / t)": misprint, "TensorFlow: 0.5 exp(−0.9 t / 10)": nat_cont}],
    steps200, titles=["the survey's figure", "the printed formula"], logy=[True, False],
    stairs=["natural_exp_decay, staircase", "exponential_decay, staircase"], dashed=["natural_exp_decay"]);

# %% [markdown] tags=["caption"]
# Natural exponential decay beside exponential decay as the survey plots them (left, log scale) and
# the formula as printed (right).

# %%
glue("nat_at_200", nat_cont(200))
glue("nat_exp_equiv", max(abs(nat_cont(t) - S.exponential_decay(0.5, 10, math.exp(-0.9))(t)) for t in steps200))
glue("misprint_at_1", misprint(1))
glue("misprint_at_200", misprint(200))

# %% [markdown]
# With $r = 0.9$ in the exponent, natural exponential decay falls much faster than exponential decay
# with base $0.9$: {glue:text}`nat_at_200:.2e` at step 200 against {glue:text}`exp_at_200:.4f`. The
# largest difference between `natural_exp_decay(0.5, 10, 0.9)` and
# `exponential_decay(0.5, 10, exp(-0.9))` over the 200 steps is {glue:text}`nat_exp_equiv:.1e`.
# The misprinted formula rises from {glue:text}`misprint_at_1:.3f` at step 1 to
# {glue:text}`misprint_at_200:.3f` at step 200. This book follows TensorFlow's definition
# {eq}`eq-natural`, which is what the survey's figure shows.
#
# ## Inverse time decay
#
# TensorFlow's `inverse_time_decay` divides instead of multiplying:
#
# $$
# \eta(t) = \frac{\eta_0}{1 + r\,p},
# $$ (eq-inverse-time)
#
# again with $p$ as in {eq}`eq-exponential`.
# For large $t$ the rate falls as $1/t$, the classic schedule of stochastic approximation
# {cite}`robbins1951stochastic`: it satisfies both of Robbins and Monro's conditions,
# $\sum_t \eta(t) = \infty$ (the iterate can still travel any distance) and
# $\sum_t \eta(t)^2 < \infty$ (the accumulated gradient noise stays bounded). The term $rt/T$ keeps
# the rate above $\eta_0/2$ for the first $T/r$ steps, Darken and Moody's "search then converge"
# {cite}`darken1992learning`. Exponential decay, in contrast, has a finite sum: the iterate can
# travel at most $\sum_t \eta(t) \max_t \lVert g_t \rVert$, however long the run.
#
# ```{literalinclude} /src/optimbook/schedules/exponential.py
# :pyobject: InverseTimeDecay
# ```

# %% [markdown]
# ## The power schedule of the AdaMix paper
#
# He and Li's AdaDec and their AdaMix bias rule scale the rate by
# $p(t) = \eta_0 (1 + t/R)^{-q}$, He & Li eq. (15), with $R$ the maximum number of iterations and
# $q = 0.75$ {cite}`he2016adamix`, after {cite:t}`senior2013empirical`:
#
# $$
# \eta(t) = \eta_0 \left(1 + \frac{t}{T}\right)^{-q}.
# $$ (eq-power)
#
# With $q = 1$ it is inverse time decay with $r = 1$; with $q = 0.75$ it falls more slowly, as
# $t^{-0.75}$, which still satisfies both Robbins-Monro conditions.
#
# ```{literalinclude} /src/optimbook/schedules/exponential.py
# :pyobject: PowerDecay
# ```

# %%
p_check = S.power_decay(0.01, 50, 0.75)
glue("power_vs_adadec", max(abs(p_check(t) - 0.01 * unit_power_decay(50, 0.75)(t)) for t in range(500)))
glue("power_at_R", S.power_decay(1.0, 1.0)(1.0))

# %% [markdown]
# The factor AdaDec uses internally (`optimbook.optim.adadec.unit_power_decay`) and this
# schedule differ by at most {glue:text}`power_vs_adadec:.1e` over 500 steps. Note what $T = R$
# implies: at the end of the run the rate is still $2^{-0.75}$ = {glue:text}`power_at_R:.3f` of its
# initial value. The paper's power schedule hardly decays within a run.
#
# ## The noise floor, revisited
#
# Does decay remove chapter 1's noise floor? We train the same linear regression (Gaussian features
# with condition number about 10, noise 0.5) by mini-batch SGD for $R$ steps under each rule, all
# starting from the same $\eta_0$ and with constants chosen relative to $R$:
#
# - constant $\eta_0$;
# - piecewise constant: $\eta_0$, $\eta_0/10$ after $R/2$, $\eta_0/100$ after $3R/4$;
# - step decay: $\gamma = 0.3$ every $R/4$ steps;
# - exponential decay from $\eta_0$ to $\eta_0/100$ at $t = R$ ($T = R$, $r = 0.01$), continuous, and
#   with `staircase` in five steps ($T = R/5$, $r = 0.01^{1/5}$);
# - natural exponential decay with $T = R$, $r = \ln 100$: the same curve as the continuous
#   exponential one, a check of {eq}`eq-natural`;
# - inverse time decay with $T = R/10$, $r = 1$ (the rate falls to $\eta_0/11$);
# - the power schedule with $T = R$, $q = 0.75$, as in the paper.

# %%
settings = ch.pick(studies.NOISE_FLOOR)
R, lr0 = settings.steps, settings.lr
rules = studies.noise_floor_rules(R, lr0)
figures.schedules(rules, range(R + 1), logy=True, dashed=["natural exponential"], xlabel="step t",
                  title=f"the rules of the experiment (R = {R:,} steps)");

# %% [markdown] tags=["caption"]
# The step-decay rules of the experiment over its whole run.

# %%
noise_floor = studies.noise_floor_run(settings, rules, seed=seed, device=ch.device)
figures.noise_floor_curves(noise_floor, batch_size=settings.batch_size, lr0=lr0, dashed=["natural exponential"]);

# %% [markdown] tags=["caption"]
# Linear regression with SGD under each step-decay rule: excess loss against the step.

# %%
summary = studies.noise_floor_summary(noise_floor, rules, R)
glue("nf_R", f"{R:,}")
figures.glue_all(studies.noise_floor_findings(summary))
table(summary.sort_values("final excess loss"),
      caption="Each rule's final excess loss, distance budget Σ η(t), accumulated noise Σ η(t)² and final rate.")

# %% [markdown]
# After {glue:text}`nf_R` steps the constant rate ends at an excess loss of
# {glue:text}`nf_constant:.2e`: the noise floor. The lowest final excess loss of the decaying
# rules, {glue:text}`nf_best:.2e`, comes from {glue:text}`nf_best_rule`: {glue:text}`nf_gain_phrase`. The table shows how the rules differ. $\sum_t \eta(t)$ is the distance budget and
# $\sum_t \eta(t)^2$ the accumulated noise: a constant rate spends {glue:text}`nf_constant_sum:.1f`
# of budget, continuous exponential decay {glue:text}`nf_exp_sum:.1f` and inverse time decay
# {glue:text}`nf_inverse_sum:.1f`; inverse time decay ends at {glue:text}`nf_inverse:.2e`, with a
# final rate of $\eta_0/11$, {glue:text}`nf_inverse_order` continuous exponential decay, which ends at
# $\eta_0/100$. This is one seed on one problem, and the curves are jagged: small differences
# between the decaying rules are not a ranking. The power schedule with $T = R$ barely decays: it ends at
# {glue:text}`nf_power:.2e`, {glue:text}`nf_power_ratio:.2f` times the constant rate's final excess loss. The natural exponential and exponential runs follow the same rates and
# end within {glue:text}`nf_nat_vs_exp:.1e` of each other.
#
# ## What to take away
#
# - A schedule is a closed-form function of the step; `optimbook.schedules` gives each of
#   TensorFlow's rules with TensorFlow's argument names and values, checked against TensorFlow's own
#   output in the test suite.
# - Piecewise constant and step decay are explicit plateaus; TensorFlow's boundaries belong to the
#   interval on their left.
# - Exponential decay with `staircase=True` is step decay; natural exponential decay is exponential
#   decay with base $e^{-r}$. The survey's printed $e^{-r/t}$ is a misprint.
# - Decay removes the noise floor only if it leaves enough distance budget $\sum_t\eta(t)$ to reach
#   the optimum: the constants must be chosen relative to the length of the run.
