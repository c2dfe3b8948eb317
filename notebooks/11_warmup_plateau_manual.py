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

# %%
import inspect
import io
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display
from torch.optim import lr_scheduler as L

import optimbook
from optimlab.presentation import plotting
from optimbook import schedules as S
from optimlab.training.data import load_mnist
from optimlab.training.losses import cross_entropy
from optimlab.training.models import mlp
from optimbook.optim import SGD, AdaGrad, Adam
from optimlab.presentation.plotting import glue
from optimlab.runtime import check_scale, resolve_device
from optimbook.schedules import ReduceOnPlateau, ScheduleLR
from optimlab.training.loop import fit

check_scale(scale)
dev = resolve_device(device)
plotting.use_style()
print(f"optimbook {optimbook.__version__}, torch {torch.__version__}, device {dev}, scale {scale}")

cfg = {
    "smoke": dict(train_fraction=0.02, heldout_fraction=0.05, batch_size=50, plateau_epochs=8,
                  manual_epochs=5, adaptive_epochs=3),
    "paper": dict(train_fraction=1.0, heldout_fraction=1.0, batch_size=100, plateau_epochs=30,
                  manual_epochs=12, adaptive_epochs=10),
}[scale]


def show(obj):
    """Show the library's own source of ``obj``."""
    display(Markdown(f"```python\n{inspect.getsource(obj)}```"))


xtr, ytr = load_mnist("train", fraction=cfg["train_fraction"], seed=seed, device=dev)
xho, yho = load_mnist("test", fraction=cfg["heldout_fraction"], seed=seed, device=dev)
steps_per_epoch = math.ceil(len(xtr) / cfg["batch_size"])
print(f"{len(xtr):,} training and {len(xho):,} held-out images, {steps_per_epoch} steps per epoch")

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

# %%
show(S.Join.value)
show(S.LinearWarmup.value)

# %%
R_demo = 200
base = S.cosine_decay(0.1, R_demo - 20, alpha=0.05)
warm = S.linear_warmup(base, warmup_steps=20, start=0.001)
joined = S.join([S.constant(0.1), S.exponential_decay(0.1, 20, 0.5, staircase=True)], [60])
steps = np.arange(R_demo + 1)
fig, ax = plotting.subplots(height=3.0)
ax.plot(steps, [base(t) for t in steps], ls="--", label=repr(base))
ax.plot(steps, [warm(t) for t in steps], label="linear_warmup(…, warmup_steps=20, start=0.001)")
ax.plot(steps, [joined(t) for t in steps], label="join([constant, exponential staircase], [60])")
plotting.label(ax, "step t", "learning rate η(t)", "warmup and join")
ax.legend(fontsize=8)
plt.show()

# %% [markdown] tags=["caption"]
# A base schedule, the same with linear warmup, and a constant rate joined to an exponential
# staircase.


# %% [markdown]
# Torch builds the same warmup from two schedulers, `SequentialLR([LinearLR, scheduler], milestones)`.
# Driving an optimizer with `SequentialLR` over `LinearLR` and a `ScheduleLR` of the cosine gives the
# same rates as the single schedule `linear_warmup`:

# %%
def lr_trace(optimizer, scheduler, n):
    """The rate of each of the first n optimizer steps (optimizer.step() then scheduler.step())."""
    out = []
    for _ in range(n):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(out)


def fresh_optimizer(lr=0.1):
    return SGD([torch.zeros(1, requires_grad=True)], lr=lr)


opt = fresh_optimizer()
seq = L.SequentialLR(opt, [L.LinearLR(opt, start_factor=0.01, total_iters=20), ScheduleLR(opt, base)],
                     milestones=[20])
torch_warm = lr_trace(opt, seq, R_demo)
glue("R_demo", R_demo)
glue("seq_vs_warmup", np.abs(torch_warm - np.array([S.linear_warmup(base, 20, 0.001)(t) for t in range(R_demo)])).max())

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

# %%
show(ScheduleLR._absorb)
show(ScheduleLR._rates)

# %% [markdown]
# So inside torch's `ChainedScheduler`, which calls each scheduler's `step` in turn, a schedule
# combined with a multiplicative torch scheduler gives the product of the two rules; here the cosine
# above chained with `ExponentialLR(gamma=0.99)`, in both orders:

# %%
hand = np.array([base(t) * 0.99**t for t in range(R_demo)])
fig, ax = plotting.subplots(height=3.0)
chain_errors = {}
for order in ("ScheduleLR first", "ExponentialLR first"):
    opt = fresh_optimizer()
    ours = ScheduleLR(opt, base)
    expo = L.ExponentialLR(opt, gamma=0.99)
    chain = L.ChainedScheduler([ours, expo] if order == "ScheduleLR first" else [expo, ours], opt)
    trace = lr_trace(opt, chain, R_demo)
    chain_errors[order.split()[0]] = np.abs(trace - hand).max()
    ax.plot(np.arange(R_demo), trace, label=f"ChainedScheduler, {order}",
            ls="-" if order.startswith("ScheduleLR") else "--")
ax.plot(np.arange(R_demo), [base(t) for t in range(R_demo)], color="0.6", lw=1, label="cosine alone")
plotting.label(ax, "step t", "learning rate η(t)", r"ChainedScheduler: $\eta(t)\cdot 0.99^t$")
ax.legend(fontsize=8)
plt.show()

# %% [markdown] tags=["caption"]
# torch's ChainedScheduler applying a cosine schedule and an exponential factor in both orders,
# beside the product computed by hand.

# %%
for key, error in chain_errors.items():
    glue(f"chain_err_{key}", error)

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

# %%
show(S.plateau_update)

# %% [markdown]
# We train the MLP 784-100-10 by SGD from a deliberately high rate, $\eta_0 = 0.5$, measure the
# cross-entropy on held-out images after every epoch (a subset of MNIST's test split standing in for a
# validation set), and compare three runs: the constant rate; `ReduceOnPlateau(factor=0.5,
# patience=1)`; and the same with `increase=1.05`.

# %%
def heldout(model):
    logits = model(xho)
    return {"heldout_loss": cross_entropy(logits, yho).item(),
            "heldout_accuracy": (logits.argmax(1) == yho).float().mean().item()}


def plateau_run(plateau_kw):
    model = mlp(784, 100, 10, seed=seed).to(dev)
    opt = SGD(model.parameters(), lr=0.5)
    plateau = ReduceOnPlateau(opt, **plateau_kw) if plateau_kw is not None else None
    rows, hist = [], None
    for epoch in range(cfg["plateau_epochs"]):
        lr = opt.param_groups[0]["lr"]
        hist = fit(model, cross_entropy, opt, xtr, ytr, batch_size=cfg["batch_size"], epochs=1,
                   start_epoch=epoch, seed=seed, evaluate=heldout, history=hist)
        metric = hist.records[-1]["heldout_loss"]
        action = plateau.step(metric) if plateau is not None else None
        rows.append({"epoch": epoch + 1, "lr": lr, "heldout_loss": metric, "action": action,
                     "train_loss": hist.records[-1]["loss"]})
    return pd.DataFrame(rows)


plateau_runs = {
    "constant 0.5": plateau_run(None),
    "ReduceOnPlateau": plateau_run(dict(factor=0.5, patience=1)),
    "ReduceOnPlateau, increase=1.05": plateau_run(dict(factor=0.5, patience=1, increase=1.05, max_lr=1.0)),
}
fig, axes = plotting.subplots(2, height=3.3)
for name, frame in plateau_runs.items():
    axes[0].plot(frame["epoch"], frame["heldout_loss"], marker="o", ms=3, label=name)
    axes[1].plot(frame["epoch"], frame["lr"], marker="o", ms=3, drawstyle="steps-post", label=name)
plotting.label(axes[0], "epoch", "held-out cross-entropy (nats)", "metric after each epoch")
plotting.label(axes[1], "epoch", "learning rate during the epoch", "rate")
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown] tags=["caption"]
# Reduce-on-plateau on the MLP: the held-out loss after each epoch (left) and the learning rate
# during the epoch (right).


# %%
reduce_frame = plateau_runs["ReduceOnPlateau"]
oracle_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
oracle = L.ReduceLROnPlateau(oracle_opt, factor=0.5, patience=1)
oracle_lrs = []
for metric in reduce_frame["heldout_loss"]:
    oracle_lrs.append(oracle_opt.param_groups[0]["lr"])
    oracle.step(metric)
glue("plateau_same_as_torch", "the same" if oracle_lrs == list(reduce_frame["lr"]) else "different")
glue("plateau_reductions", int((reduce_frame["action"] == "reduce").sum()))
glue("plateau_epochs", cfg["plateau_epochs"])
final_losses = {k: v["heldout_loss"].iloc[-1] for k, v in plateau_runs.items()}
best_losses = {k: v["heldout_loss"].min() for k, v in plateau_runs.items()}
glue("plateau_final_const", final_losses["constant 0.5"])
glue("plateau_final_reduce", final_losses["ReduceOnPlateau"])
glue("plateau_final_bold", final_losses["ReduceOnPlateau, increase=1.05"])
glue("plateau_best_run", min(final_losses, key=final_losses.get))
glue("bold_max_lr", plateau_runs["ReduceOnPlateau, increase=1.05"]["lr"].max())
pd.concat({k: v.set_index("epoch")[["lr", "heldout_loss", "action"]] for k, v in plateau_runs.items()}, axis=1)

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

# %%
show(ScheduleLR.scale)
show(ScheduleLR.switch)

# %% [markdown]
# A cosine schedule over the run; after epoch 2 the rate is scaled by 0.3 by hand, and after epoch 4
# the run switches to a constant $10^{-3}$. The run is done twice: straight through, and interrupted
# after epoch 3 with everything saved through `torch.save`/`torch.load(weights_only=True)` (the
# scheduler's state is plain data) and resumed in fresh objects.

# %%
E = cfg["manual_epochs"]
R_manual = E * steps_per_epoch
cosine = S.cosine_decay(0.2, R_manual, alpha=0.05)


def hand_changes(scheduler):
    def on_epoch_end(epoch, history):
        if epoch == 2:
            scheduler.scale(0.3)
        if epoch == 4:
            scheduler.switch(S.constant(1e-3))
    return on_epoch_end


def record_lr(optimizer):
    return lambda model: {"lr": optimizer.param_groups[0]["lr"]}


def manual_run(stop_after=None, state=None):
    model = mlp(784, 100, 10, seed=seed).to(dev)
    opt = SGD(model.parameters(), lr=1.0)
    sched = ScheduleLR(opt, cosine)
    start = 0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start = state["epoch"]
    epochs = (stop_after if stop_after is not None else E) - start
    hist = fit(model, cross_entropy, opt, xtr, ytr, batch_size=cfg["batch_size"], epochs=epochs,
               start_epoch=start, seed=seed, scheduler=sched, evaluate=record_lr(opt), eval_every=1,
               on_epoch_end=hand_changes(sched))
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(), "epoch": start + epochs}, buffer)
    buffer.seek(0)
    return hist.to_frame(), model, torch.load(buffer, weights_only=True), sched


straight, straight_model, _, straight_sched = manual_run()
first, _, checkpoint, _ = manual_run(stop_after=3)
second, resumed_model, _, _ = manual_run(state=checkpoint)
resumed = pd.concat([first, second[second["step"] > first["step"].max()]], ignore_index=True)
same_lr = np.array_equal(straight["lr"].to_numpy(), resumed["lr"].to_numpy())
same_params = all(torch.equal(p, q) for p, q in zip(straight_model.parameters(), resumed_model.parameters()))
glue("manual_same", "identical" if same_lr and same_params else "different")
glue("manual_schedule", repr(straight_sched.schedules[0]))

fig, ax = plotting.subplots(height=3.0)
ax.plot(straight["step"] / steps_per_epoch, straight["lr"], label="straight through")
ax.plot(resumed["step"] / steps_per_epoch, resumed["lr"], ls="--", label="stopped after epoch 3, resumed")
ax.plot(straight["step"] / steps_per_epoch, [cosine(t) for t in straight["step"]], color="0.6", lw=1,
        label="the cosine alone")
for e, what in [(2, "scale(0.3)"), (3, "checkpoint"), (4, "switch(constant)")]:
    ax.axvline(e, color="0.5", ls=":", lw=0.8)
    ax.text(e, ax.get_ylim()[1] * 0.95, f" {what}", fontsize=8, va="top")
plotting.label(ax, "epoch", "learning rate η(t)", "hand changes on a running cosine schedule", logy=True)
ax.legend(fontsize=8, loc="lower left")
plt.show()

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

# %%
def step_probe(optimizer):
    """An evaluate() hook: the RMS parameter change of the step just taken and, for AdaGrad, the
    median per-coordinate rate lr / sqrt(sum of squared gradients)."""
    state = {"prev": None}

    def evaluate(model):
        params = [p.detach() for p in model.parameters()]
        out = {"rms_step": math.nan, "adagrad_rate": math.nan}
        if state["prev"] is not None:
            squares = sum(torch.sum((p - q) ** 2) for p, q in zip(params, state["prev"]))
            out["rms_step"] = math.sqrt(squares.item() / sum(p.numel() for p in params))
        state["prev"] = [p.clone() for p in params]
        if isinstance(optimizer, AdaGrad) and optimizer.state:
            group = optimizer.param_groups[0]
            sums = torch.cat([optimizer.state[p]["sum"].flatten() for p in group["params"]])
            sums = sums[sums > 0]  # coordinates that have had a non-zero gradient (MNIST's border
            # pixels never do: their rate stays lr / eps)
            # the rate of the step just taken: the scheduler has already set the next one
            out["adagrad_rate"] = (state["lr"] / (sums.sqrt() + group["eps"])).median().item()
        state["lr"] = optimizer.param_groups[0]["lr"]
        return out

    return evaluate


E_ad = cfg["adaptive_epochs"]
R_ad = E_ad * steps_per_epoch
optimizers = {"SGD": (SGD, {"lr": 0.1}), "Adam": (Adam, {"lr": 1e-3}), "AdaGrad": (AdaGrad, {"lr": 0.05})}
adaptive = []
for name, (cls, kw) in optimizers.items():
    for decay in ("constant", "cosine"):
        model = mlp(784, 100, 10, seed=seed).to(dev)
        opt = cls(model.parameters(), **kw)
        sched = ScheduleLR(opt, S.constant(kw["lr"]) if decay == "constant" else S.cosine_decay(kw["lr"], R_ad))
        hist = fit(model, cross_entropy, opt, xtr, ytr, batch_size=cfg["batch_size"], epochs=E_ad, seed=seed,
                   scheduler=sched, evaluate=step_probe(opt), eval_every=1)
        frame = hist.to_frame().assign(optimizer=name, decay=decay, lr0=kw["lr"])
        with torch.no_grad():
            frame["train_loss_final"] = cross_entropy(model(xtr), ytr).item()
        adaptive.append(frame)
adaptive = pd.concat(adaptive, ignore_index=True)

fig, axes = plotting.subplots(2, height=3.4)
for (name, decay), run in adaptive.groupby(["optimizer", "decay"], sort=False):
    color = {"SGD": "C0", "Adam": "C1", "AdaGrad": "C2"}[name]
    axes[0].plot(run["step"], run["rms_step"] / run["lr0"], color=color, lw=1,
                 ls="-" if decay == "constant" else "--", label=f"{name}, {decay}")
    if name == "AdaGrad":
        axes[1].plot(run["step"], run["adagrad_rate"], color=color, ls="-" if decay == "constant" else "--",
                     label=f"AdaGrad, {decay}")
ref = adaptive[(adaptive["optimizer"] == "AdaGrad") & (adaptive["decay"] == "constant")].dropna(subset=["adagrad_rate"])
t_ref = ref["step"].to_numpy()
axes[1].plot(t_ref, ref["adagrad_rate"].iloc[0] * (t_ref / t_ref[0]) ** -0.5, color="0.6", lw=1, ls=":",
             label=r"$\propto t^{-1/2}$")
plotting.label(axes[0], "step t", r"RMS step / $\eta_0$", "size of each step, relative to η0",
               logx=True, logy=True)
plotting.label(axes[1], "step t", r"median $\eta_t/\sqrt{K+G_{t,i}}$", "AdaGrad's per-coordinate rate",
               logx=True, logy=True)
axes[0].legend(fontsize=7, ncol=2)
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown] tags=["caption"]
# SGD, Adam and AdaGrad on the MLP with a constant and a cosine-decayed rate: the RMS size of each
# step relative to the initial rate (left) and AdaGrad's median per-coordinate rate (right).


# %%
def slope(run, column, lo, hi):
    """Least-squares slope of log(column) against log t over steps lo..hi."""
    part = run[(run["step"] >= lo) & (run["step"] <= hi)].dropna(subset=[column])
    return np.polyfit(np.log(part["step"]), np.log(part[column]), 1)[0]


runs = {(o, d): r.dropna(subset=["rms_step"]) for (o, d), r in adaptive.groupby(["optimizer", "decay"], sort=False)}
glue("ad_R", R_ad)
glue("adagrad_slope", slope(runs[("AdaGrad", "constant")], "adagrad_rate", R_ad // 10, R_ad))
glue("adagrad_rate_drop", runs[("AdaGrad", "constant")]["adagrad_rate"].iloc[0]
     / runs[("AdaGrad", "constant")]["adagrad_rate"].iloc[-1])


def late_rms(o, d):
    """Mean RMS step over the last tenth of the run, relative to the initial rate."""
    r = runs[(o, d)]
    return (r["rms_step"] / r["lr0"])[r["step"] > 0.9 * R_ad].mean()


def early_rms(o, d):
    r = runs[(o, d)]
    return (r["rms_step"] / r["lr0"])[r["step"] <= max(5, R_ad // 20)].mean()


for o in optimizers:
    for d in ("constant", "cosine"):
        glue(f"{o.lower()}_{d}_late", late_rms(o, d))
    glue(f"{o.lower()}_early", early_rms(o, "constant"))
summary = adaptive.groupby(["optimizer", "decay"], sort=False)["train_loss_final"].first().unstack()
for o in optimizers:
    glue(f"{o.lower()}_loss_const", summary.loc[o, "constant"])
    glue(f"{o.lower()}_loss_cos", summary.loc[o, "cosine"])
glue("cosine_helped", ", ".join(o for o in optimizers if summary.loc[o, "cosine"] < summary.loc[o, "constant"])
     or "none of the three")
summary

# %% [markdown]
# The left panel shows each step's size relative to the optimizer's initial rate $\eta_0$. Adam's
# steps with a constant rate measure {glue:text}`adam_early:.2f` $\eta_0$ on the first steps and still
# {glue:text}`adam_constant_late:.2f` $\eta_0$ over the last tenth of the {glue:text}`ad_R` steps;
# with cosine decay, {glue:text}`adam_cosine_late:.3f` $\eta_0$. SGD's steps are $\eta_t$ times its
# gradient and follow the gradient's size ({glue:text}`sgd_early:.3f` $\eta_0$ early,
# {glue:text}`sgd_constant_late:.3f` $\eta_0$ late with a constant rate). AdaGrad's median per-coordinate rate (right) fell by a factor of
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
