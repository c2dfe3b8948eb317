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
# # Learning-rate decay III: warmup, plateaus, changes by hand, adaptive optimizers
#
# Chapters 9 and 10 fixed the whole schedule before training. The articles of source 003
# {cite}`compilation003` list three ways to depart from a fixed rule: **learning-rate warmup**
# (学习率预热, "at the start of training the rate grows gradually to a large value, and then
# decays"), **adjustment on validation performance** (基于验证集性能的自适应调整, "if performance
# on the validation set drops, lower the rate; if it improves, the rate may be raised"), and
# **changing the learning rate by hand during training** (在训练过程中手动更改学习率). This chapter
# builds each on the closed-form schedules of the previous chapters and on
# {class}`~optimbook.schedules.torch_adapter.ScheduleLR`, the adapter that lets a schedule drive a
# torch optimizer, and shows how the three compose with torch's own schedulers and with a restarted
# run. It ends with a question the sources raise but do not answer: what does decay do to an
# optimizer that already adapts its step, such as Adam or AdaGrad (自适应梯度算法)?

# %% tags=["parameters"]
scale = "smoke"  # "smoke" (seconds, CI) or "paper" (full MNIST)
device = "auto"  # "auto" picks CUDA when available
seed = 0

# %% tags=["setup"]
import math

import numpy as np

from optimbook import schedules as S
from optimlab.experiments import schedule_studies as studies
from optimlab.presentation import schedule_figures as figures
from optimlab.presentation.chapter import start
from optimlab.presentation.plotting import glue
from optimlab.presentation.tables import table

ch = start(scale, device, seed)

# %% [markdown]
# ## Warmup
#
# A large rate on the first steps can throw a freshly initialised network far from where it should go:
# its gradients are large and, for adaptive optimizers, their running statistics are not yet
# estimated. **Gradual warmup** {cite}`goyal2017accurate` raises the rate linearly from a small
# $\eta_s$ to the schedule's first value over $w$ steps and then hands over to the schedule:
#
# $$
# \eta(t) = \begin{cases}
#   \eta_s + \bigl(s(0) - \eta_s\bigr)\,\dfrac{t}{w} & t < w,\\[4pt]
#   s(t - w) & t \ge w.
# \end{cases}
# $$ (eq-warmup)
#
# This is not a new decay rule but a composition: a linear ramp joined to $s$ at step $w$, where $s$
# starts its own count, so a cosine decay over $T$ steps ends at step $w + T$. The library has the
# general join,
#
# $$
# \eta(t) = s_i(t - b_{i-1}) \quad \text{for } b_{i-1} \le t < b_i \qquad (b_{-1} = 0,\ b_n = \infty),
# $$ (eq-join)
#
# and `linear_warmup` as its most common case; the test suite checks that `linear_warmup(s, w, start)`
# equals `join([polynomial_decay(start, w, s(0), power=1), s], [w])`.
#
# ```{literalinclude} /src/optimbook/schedules/compose.py
# :pyobject: Join.value
# :dedent:
# ```
#
# ```{literalinclude} /src/optimbook/schedules/compose.py
# :pyobject: LinearWarmup.value
# :dedent:
# ```

# %%
R_demo = 200
base = S.cosine_decay(0.1, R_demo - 20, alpha=0.05)
warm = S.linear_warmup(base, warmup_steps=20, start=0.001)
joined = S.join([S.constant(0.1), S.exponential_decay(0.1, 20, 0.5, staircase=True)], [60])
figures.schedules({repr(base): base, "linear_warmup(…, warmup_steps=20, start=0.001)": warm,
                   "join([constant, exponential staircase], [60])": joined}, range(R_demo + 1),
                  dashed=[repr(base)], xlabel="step t", title="warmup and join");

# %% [markdown] tags=["caption"]
# A base schedule, the same with linear warmup, and a constant rate joined to an exponential
# staircase.

# %% [markdown]
# Torch builds the same warmup from two schedulers, `SequentialLR([LinearLR, scheduler], milestones)`.
# Driving an optimizer with `SequentialLR` over `LinearLR` and a `ScheduleLR` of the cosine gives the
# same rates as the single schedule `linear_warmup`:

# %%
torch_warm = studies.sequential_warmup_trace(base, warmup_steps=20, start_factor=0.01, n=R_demo)
glue("R_demo", R_demo)
glue("seq_vs_warmup", np.abs(torch_warm - figures.curve_values(warm, range(R_demo))).max())

# %% [markdown]
# Over the {glue:text}`R_demo` steps the largest difference is {glue:text}`seq_vs_warmup:.1e`.
#
# ## A schedule inside torch
#
# {class}`~optimbook.schedules.torch_adapter.ScheduleLR` is a
# `torch.optim.lr_scheduler.LRScheduler`. It computes each param group's rate from the closed form
# of the step count: after construction and $k$ calls of `scheduler.step()` the rate is $\eta(k)$, so
# in the usual loop (`optimizer.step()`, then `scheduler.step()`) the $t$-th optimizer step uses
# $\eta(t)$, and a scheduler restored from a checkpoint continues exactly. One rule makes it compose
# with everything else that changes a rate: before computing step $k$ it compares the group's current
# rate with the one it set at step $k-1$, and keeps any difference as a multiplicative factor $c$,
#
# $$
# \eta_{\text{group}}(k) = c_k\,\eta(k), \qquad
# c_k = c_{k-1}\,\frac{\text{current rate}}{\text{rate set at } k-1} .
# $$ (eq-factor)
#
# ```{literalinclude} /src/optimbook/schedules/torch_adapter.py
# :pyobject: ScheduleLR._absorb
# :dedent:
# ```
#
# ```{literalinclude} /src/optimbook/schedules/torch_adapter.py
# :pyobject: ScheduleLR._rates
# :dedent:
# ```

# %% [markdown]
# So inside torch's `ChainedScheduler`, which calls each scheduler's `step` in turn, a schedule
# combined with a multiplicative torch scheduler gives the product of the two rules; here the cosine
# above chained with `ExponentialLR(gamma=0.99)`, in both orders:

# %%
hand = figures.curve_values(lambda t: base(t) * 0.99**t, range(R_demo))
chained = {f"ChainedScheduler, {first} first": studies.chained_trace(base, 0.99, R_demo,
                                                                     schedule_first=first == "ScheduleLR")
           for first in ("ScheduleLR", "ExponentialLR")}
figures.schedules({**chained, "cosine alone": base}, range(R_demo), dashed=["ChainedScheduler, ExponentialLR first"],
                  xlabel="step t", title="ChainedScheduler: η(t) · 0.99^t");

# %% [markdown] tags=["caption"]
# torch's ChainedScheduler applying a cosine schedule and an exponential factor in both orders,
# beside the product computed by hand.

# %%
glue("chain_err_ScheduleLR", np.abs(chained["ChainedScheduler, ScheduleLR first"] - hand).max())
glue("chain_err_ExponentialLR", np.abs(chained["ChainedScheduler, ExponentialLR first"] - hand).max())

# %% [markdown]
# Both orders follow $\eta(t)\,0.99^t$ to within {glue:text}`chain_err_ScheduleLR:.1e` and
# {glue:text}`chain_err_ExponentialLR:.1e`. The same rule is what makes the next two sections work:
# a validation-based rule and a hand change both multiply the current rate, and the schedule carries
# the change forward.
#
# ## Lowering the rate on a plateau
#
# The validation-based rule watches a metric measured on held-out data after each epoch. A metric
# *improves* when it beats the best value so far by more than a threshold $\epsilon$ (relatively,
# $m < b(1-\epsilon)$ for a loss); each epoch without improvement is a *bad epoch*; after more than
# `patience` bad epochs the rate is multiplied by `factor` (never below `min_lr`), the count is
# cleared, and the next `cooldown` epochs are not counted. These are the decisions of torch's
# `ReduceLROnPlateau`, which the test suite uses as the oracle;
# {class}`~optimbook.schedules.plateau.ReduceOnPlateau` adds the other half of the sources'
# sentence as an option, `increase`: a factor applied on each improvement (the "bold driver" of
# {cite:t}`vogl1988accelerating`), capped by `max_lr`. The decision is a pure function of the state
# and the new metric:
#
# ```{literalinclude} /src/optimbook/schedules/plateau.py
# :pyobject: plateau_update
# ```

# %% [markdown]
# We train the MLP 784-100-10 by SGD from a deliberately high rate, $\eta_0 = 0.5$, measure the
# cross-entropy on held-out images after every epoch (a subset of MNIST's test split standing in for a
# validation set), and compare three runs: the constant rate; `ReduceOnPlateau(factor=0.5,
# patience=1)`; and the same with `increase=1.05`.

# %%
settings = ch.pick(studies.WARMUP)
data = studies.mnist_split(settings, seed=seed, device=ch.device)
run = dict(epochs=settings.plateau_epochs, batch_size=settings.batch_size, lr=0.5, seed=seed)
plateau_runs = {
    "constant 0.5": studies.plateau_run(data, None, **run),
    "ReduceOnPlateau": studies.plateau_run(data, dict(factor=0.5, patience=1), **run),
    "ReduceOnPlateau, increase=1.05": studies.plateau_run(data, dict(factor=0.5, patience=1, increase=1.05,
                                                                     max_lr=1.0), **run),
}
figures.plateau_figure(plateau_runs);

# %% [markdown] tags=["caption"]
# Reduce-on-plateau on the MLP: the held-out loss after each epoch (left) and the learning rate
# during the epoch (right).

# %%
reduce_frame = plateau_runs["ReduceOnPlateau"]
oracle = studies.torch_plateau_rates(reduce_frame["heldout_loss"], lr=0.5, factor=0.5, patience=1)
final_losses = {k: v["heldout_loss"].iloc[-1] for k, v in plateau_runs.items()}
figures.glue_all({
    "plateau_same_as_torch": "the same" if oracle == list(reduce_frame["lr"]) else "different",
    "plateau_reductions": int((reduce_frame["action"] == "reduce").sum()),
    "plateau_epochs": settings.plateau_epochs,
    "plateau_final_const": final_losses["constant 0.5"],
    "plateau_final_reduce": final_losses["ReduceOnPlateau"],
    "plateau_final_bold": final_losses["ReduceOnPlateau, increase=1.05"],
    "plateau_best_run": min(final_losses, key=final_losses.get),
    "bold_max_lr": plateau_runs["ReduceOnPlateau, increase=1.05"]["lr"].max(),
})
figures.plateau_table(plateau_runs)

# %% [markdown]
# Over {glue:text}`plateau_epochs` epochs the plateau rule lowered the rate
# {glue:text}`plateau_reductions` times; torch's `ReduceLROnPlateau`, fed the same metrics, sets
# {glue:text}`plateau_same_as_torch` rates. The final held-out losses: constant rate
# {glue:text}`plateau_final_const:.3f`, plateau rule {glue:text}`plateau_final_reduce:.3f`, plateau
# rule with increases {glue:text}`plateau_final_bold:.3f` (its rate reached at most
# {glue:text}`bold_max_lr:.3f`); the lowest is {glue:text}`plateau_best_run`. The rule needs no
# horizon $R$, which is its appeal, but it reacts one `patience` late, and a noisy metric can trigger
# it early; `threshold` and `cooldown` are there to damp both.
#
# ## Changing the rate by hand
#
# Source 003's simplest method is to change the rate by hand mid-training, for instance after seeing
# the loss stall or spike. With a running schedule this has to answer one question: what happens on the
# next step? `ScheduleLR` gives two answers, both saved in its `state_dict`:
#
# - `scheduler.scale(f)` (or assigning `group["lr"]` directly, which {eq}`eq-factor` picks up at the next
#   step) multiplies the current rate and every later one by `f`: the schedule keeps its shape at a
#   new level;
# - `scheduler.switch(s)` follows a new schedule `s` from the current step on, starting at its own
#   step 0: the group's schedule becomes `join([old, s], [k])`.
#
# ```{literalinclude} /src/optimbook/schedules/torch_adapter.py
# :pyobject: ScheduleLR.scale
# :dedent:
# ```
#
# ```{literalinclude} /src/optimbook/schedules/torch_adapter.py
# :pyobject: ScheduleLR.switch
# :dedent:
# ```

# %% [markdown]
# A cosine schedule over the run; after epoch 2 the rate is scaled by 0.3 by hand, and after epoch 4
# the run switches to a constant $10^{-3}$. The run is done twice: straight through, and interrupted
# after epoch 3 with everything saved through `torch.save`/`torch.load(weights_only=True)` (the
# scheduler's state is plain data) and resumed in fresh objects.

# %%
E = settings.manual_epochs
per_epoch = math.ceil(len(data[0]) / settings.batch_size)
cosine = S.cosine_decay(0.2, E * per_epoch, alpha=0.05)
manual = studies.resume_study(data, cosine, {2: ("scale", 0.3), 4: ("switch", S.constant(1e-3))}, epochs=E,
                              batch_size=settings.batch_size, stop_after=3, seed=seed)
glue("manual_same", "identical" if manual["same"] else "different")
glue("manual_schedule", repr(manual["schedule"]))
figures.manual_figure(manual, cosine, steps_per_epoch=per_epoch,
                      events={2: "scale(0.3)", 3: "checkpoint", 4: "switch(constant)"});

# %% [markdown] tags=["caption"]
# Hand changes to a running cosine schedule (a scale, a checkpoint and resume, a switch to a
# constant rate): the rate against the epoch, with the uninterrupted schedule in grey.

# %% [markdown]
# The interrupted and the uninterrupted run have {glue:text}`manual_same` rates at every step and
# parameters at the end. The schedule the scheduler finally holds, and saves, is
# {glue:text}`manual_schedule`. (The rates are recorded after each step, so each change shows one
# point late.)
#
# ## Decay and adaptive optimizers
#
# An adaptive optimizer divides the step by a running scale of the gradient. Does that make decay
# unnecessary? Two of the survey's optimizers answer differently.
#
# **Adam** {cite}`kingma2015adam` steps by $\eta_t\,\hat m_t/(\sqrt{\hat v_t} + \epsilon)$. The ratio
# $\hat m/\sqrt{\hat v}$ does not depend on the scale of the gradient: far from a minimum it is
# about $\pm 1$ per coordinate; near one, where the gradient is mostly noise of mean zero, $\hat m$
# averages the noise over about $1/(1-\beta_1)$ steps, and for independent noise the ratio settles
# near $\sqrt{(1-\beta_1)/(1+\beta_1)} \approx 0.23$ per coordinate ($\beta_1 = 0.9$): smaller, but
# not zero. The size of Adam's step is set by
# $\eta_t$ alone, so Adam has a noise floor like SGD's, and only a decaying $\eta_t$ removes it.
#
# **AdaGrad** {cite}`duchi2011adaptive` steps by $\eta\, g_t/\sqrt{K + \sum_{s \le t} g_s^2}$
# (He & Li eq. (12), {cite:t}`he2016adamix`). If the gradients' mean square stays near $\sigma^2$,
# the denominator grows like $\sigma\sqrt{t}$: AdaGrad has a decay of $1/\sqrt{t}$ built in, and a
# schedule on top decays twice.
#
# We train the MLP with SGD ($\eta_0 = 0.1$), Adam ($10^{-3}$) and AdaGrad ($0.05$, $K = 0$), each
# with a constant rate and with cosine decay over the run, and record after every step two
# quantities: the root-mean-square change of the parameters, $\lVert\theta_{t+1} - \theta_t\rVert /
# \sqrt{N}$ ($N$ parameters), and for AdaGrad the median over coordinates of its per-coordinate rate
# $\eta_t/\sqrt{K + G_{t,i}}$ over the coordinates that have had a non-zero gradient, read from the
# optimizer's state.
#
# ```{literalinclude} /src/optimlab/experiments/schedule_studies.py
# :pyobject: step_probe
# ```

# %%
adaptive = studies.adaptive_grid(data, epochs=settings.adaptive_epochs, batch_size=settings.batch_size, seed=seed)
figures.adaptive_figure(adaptive);

# %% [markdown] tags=["caption"]
# SGD, Adam and AdaGrad on the MLP with a constant and a cosine-decayed rate: the RMS size of each
# step relative to the initial rate (left) and AdaGrad's median per-coordinate rate (right).

# %%
findings, final_train_losses = studies.adaptive_findings(adaptive)
figures.glue_all(findings)
table(final_train_losses, caption="The full training set's loss at the end of each run (one seed each).")

# %% [markdown]
# The left panel shows each step's size relative to the optimizer's initial rate $\eta_0$. Adam's
# steps with a constant rate measure {glue:text}`adam_early:.2f` $\eta_0$ on the first steps and still
# {glue:text}`adam_constant_late:.2f` $\eta_0$ over the last tenth of the {glue:text}`ad_R` steps;
# with cosine decay, {glue:text}`adam_cosine_late:.3f` $\eta_0$. SGD's steps are $\eta_t$ times its
# gradient and follow the gradient's size ({glue:text}`sgd_early:.3f` $\eta_0$ early,
# {glue:text}`sgd_constant_late:.3f` $\eta_0$ late with a constant rate). AdaGrad's median per-coordinate rate (right) {glue:text}`adagrad_rate_moved` by a factor of
# {glue:text}`adagrad_rate_drop:.1f` from the first step to the last with no schedule at all; over the
# run it behaves as $t$ to the power {glue:text}`adagrad_slope:.2f` (a constant gradient scale would
# give $-0.5$). A cosine schedule multiplies that built-in decay by $\eta(t)/\eta_0$.
#
# The full-data training losses at the end (one seed each): SGD {glue:text}`sgd_loss_const:.3f`
# (constant) and {glue:text}`sgd_loss_cos:.3f` (cosine); Adam {glue:text}`adam_loss_const:.3f` and
# {glue:text}`adam_loss_cos:.3f`; AdaGrad {glue:text}`adagrad_loss_const:.3f` and
# {glue:text}`adagrad_loss_cos:.3f`. Cosine decay lowered the final loss for:
# {glue:text}`cosine_helped`. As in chapter 10, whether decay pays depends on whether the run is
# long enough to reach the constant rate's noise floor.
#
# ## What to take away
#
# - Warmup is a join, not a new rule: a ramp to the schedule's first value, then the schedule from
#   its own step 0.
# - `ScheduleLR` computes the rate from the step count and carries every outside change as a
#   multiplicative factor, so it composes with torch's `ChainedScheduler` and `SequentialLR`, with a
#   plateau rule and with changes by hand, and a restored checkpoint continues exactly.
# - The plateau rule needs no horizon but reacts late; its decisions equal torch's
#   `ReduceLROnPlateau`.
# - Adam's step is normalised, so its size is set by the learning rate and a schedule is what
#   shrinks it; AdaGrad's per-coordinate rate decays on its own, and a schedule on top decays twice.
