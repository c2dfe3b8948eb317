"""The harnesses of the adaptive-rate chapters: 5 (the Adam family and gradient clipping), 6 (ANGD,
adaptive natural gradient descent) and 7 (AdaMix).

Each function runs one of the chapters' experiments and returns plain data (a tidy
:class:`pandas.DataFrame`, arrays or a dict of the values the prose quotes); the chapter makes one
call per result and draws it with :mod:`optimlab.presentation.adaptive_figures`. The settings that
change with the book's scale live here, next to the harness that reads them
(:data:`ADAM_SETTINGS`, :data:`ANGD_SETTINGS`, :data:`ADAMIX_SETTINGS`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from optimbook.optim import (SGD, AdaDec, AdaGrad, AdaMix, Adam, AdamW, AMSGrad, Nadam, NaturalGradient, PerRole,
                             RMSProp, Rule)
from optimbook.optim.adamix import role_of
from optimlab.training.diagnostics import max_difference
from optimlab.training.landscapes import LANDSCAPES, trajectory
from optimlab.training.losses import cross_entropy
from optimlab.training.loop import NonFiniteLossError, clip_gradients, fit, train_step
from optimlab.training.models import mlp

Maker = Callable[[list[torch.Tensor]], torch.optim.Optimizer]

# ----------------------------------------------------------------------------------------------
# Chapter 5: Adam, AMSGrad, AdamW, Nadam; gradient clipping
# ----------------------------------------------------------------------------------------------

#: Chapter 5's settings by scale: seeds and epochs of the MNIST comparison, lengths of the synthetic
#: runs, and the MNIST subset, epochs and batch of the runs that call ``fit`` directly.
ADAM_SETTINGS: dict[str, dict[str, Any]] = {
    "smoke": dict(seeds=(0,), epochs=None, bias_steps=2000, ams_steps=1500, decay_steps=1500,
                  fit_fraction=0.02, test_fraction=0.05, fit_epochs=3, fit_batch=50),
    "paper": dict(seeds=(0, 1, 2), epochs=3, bias_steps=5000, ams_steps=30000, decay_steps=3000,
                  fit_fraction=1.0, test_fraction=1.0, fit_epochs=2, fit_batch=100),
}


def mnist_metrics(x: torch.Tensor, y: torch.Tensor) -> Callable[[nn.Module], dict[str, float]]:
    """An ``evaluate`` for :func:`~optimlab.training.loop.fit`: test cross-entropy and accuracy on
    ``(x, y)`` and the Euclidean norm of all the model's parameters."""

    def evaluate(model: nn.Module) -> dict[str, float]:
        logits = model(x)
        return {"test_loss": cross_entropy(logits, y).item(),
                "test_accuracy": (logits.argmax(1) == y).float().mean().item(),
                "weight_norm": torch.sqrt(sum(p.detach().pow(2).sum() for p in model.parameters())).item()}

    return evaluate


def adam_bias(steps: int, *, n: int = 1000, mean: float = 0.5, std: float = 1.0,
              betas: tuple[float, float] = (0.9, 0.999), seed: int = 0):
    """Adam's moment estimates under random gradients of known moments.

    ``n`` independent coordinates, each with a fresh gradient ``g ~ N(mean, std²)`` per step (the loss
    ``Σ c_i θ_i`` with random ``c``), through the library's :class:`~optimbook.optim.adam.Adam`.
    Returns a frame with one row per step ``t`` (from 1): the coordinate means of Adam's state ``m``
    and ``v`` and their bias-corrected values ``m_hat``, ``v_hat``.
    """
    import pandas as pd

    beta1, beta2 = betas
    gen = torch.Generator().manual_seed(seed)
    theta = torch.zeros(n, dtype=torch.float64, requires_grad=True)
    opt = Adam([theta], lr=1e-3, betas=betas)
    m, v = np.empty(steps), np.empty(steps)
    for i in range(steps):
        c = mean + std * torch.randn(n, generator=gen, dtype=torch.float64)
        train_step(opt, lambda: (c * theta).sum())
        m[i] = opt.state[theta]["exp_avg"].mean().item()
        v[i] = opt.state[theta]["exp_avg_sq"].mean().item()
    t = np.arange(1, steps + 1)
    return pd.DataFrame({"t": t, "m": m, "v": v, "m_hat": m / (1 - beta1**t), "v_hat": v / (1 - beta2**t)})


def reddi_run(cls: type[torch.optim.Optimizer], steps: int, *, C: float = 3.0, lr: float = 0.5):
    """Reddi et al.'s online problem (Theorem 1): ``f_t(x) = C x`` when ``t mod 3 = 1``, else ``-x``,
    on ``[-1, 1]``, with ``β1 = 0``, ``β2 = 1/(1 + C²)``, step size ``lr/√t`` and projection.

    Returns a frame with ``step`` (1..steps), ``x`` (the iterate after the step) and ``regret`` (the
    average regret ``R_t/t`` with respect to the minimum ``x* = -1``).
    """
    import pandas as pd

    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = cls([x], lr=lr, betas=(0.0, 1 / (1 + C**2)), eps=1e-8)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 / math.sqrt(k + 1))  # η_t = η/√t
    xs, regret, total = np.empty(steps), np.empty(steps), 0.0
    for t in range(1, steps + 1):
        c = C if t % 3 == 1 else -1.0
        total += c * x.item() - c * (-1.0)  # f_t(x_t) − f_t(x*)
        train_step(opt, lambda: (c * x).sum(), scheduler=sched)
        with torch.no_grad():
            x.clamp_(-1.0, 1.0)  # projection onto the feasible set
        xs[t - 1], regret[t - 1] = x.item(), total / t
    return pd.DataFrame({"step": np.arange(1, steps + 1), "x": xs, "regret": regret})


def reddi_runs(steps: int, *, C: float = 3.0, lr: float = 0.5):
    """:func:`reddi_run` for Adam and AMSGrad, in one frame with an ``optimizer`` column."""
    import pandas as pd

    return pd.concat([reddi_run(cls, steps, C=C, lr=lr).assign(optimizer=cls.__name__)
                      for cls in (Adam, AMSGrad)], ignore_index=True)


def decay_run(kind: str, steps: int, *, n: int = 1000, lr: float = 0.01, lam: float = 0.1,
              sigma: float = 10.0, seed: int = 0) -> np.ndarray:
    """Weight decay in Adam: two groups of ``n`` weights starting at 1, *idle* (zero data gradient)
    and *busy* (pure noise ``N(0, sigma²)``), under ``kind`` = ``"Adam + L2"`` (``λ/2 ‖θ‖²`` added to
    the loss) or ``"AdamW"`` (decoupled decay ``λ``). Returns the mean of each group after every
    step, an array ``[steps, 2]`` (idle, busy)."""
    if kind not in ("Adam + L2", "AdamW"):
        raise ValueError(f"kind must be 'Adam + L2' or 'AdamW', got {kind!r}")
    gen = torch.Generator().manual_seed(seed)
    idle = torch.ones(n, dtype=torch.float64, requires_grad=True)
    busy = torch.ones(n, dtype=torch.float64, requires_grad=True)
    opt = AdamW([idle, busy], lr=lr, weight_decay=lam) if kind == "AdamW" else Adam([idle, busy], lr=lr)
    means = np.empty((steps, 2))

    def loss(noise):
        value = (noise * busy).sum() + 0.0 * idle.sum()  # idle: a zero (not a missing) gradient
        if kind == "Adam + L2":
            value = value + 0.5 * lam * (idle.pow(2).sum() + busy.pow(2).sum())
        return value

    for i in range(steps):
        noise = sigma * torch.randn(n, generator=gen, dtype=torch.float64)
        train_step(opt, lambda: loss(noise))
        means[i] = idle.mean().item(), busy.mean().item()
    return means


def decay_runs(steps: int, **kw) -> dict[str, np.ndarray]:
    """:func:`decay_run` for ``"Adam + L2"`` and ``"AdamW"``."""
    return {kind: decay_run(kind, steps, **kw) for kind in ("Adam + L2", "AdamW")}


def mlp_runs(
    optimizers: Mapping[str, Maker],
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int,
    epochs: int,
    seed: int = 0,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    eval_every: int | None = None,
    clip: Mapping[str, Mapping[str, float]] | None = None,
    grad_norms: dict[str, list[float]] | None = None,
):
    """Train the MNIST MLP (784-100-10, initialised with ``seed``) once per optimizer with
    :func:`~optimlab.training.loop.fit`; return the histories in one frame with a ``run`` column
    and a ``diverged`` flag.

    ``clip[name]`` gives that run's clipping options (``clipnorm``, ``global_clipnorm``,
    ``clipvalue``). A run whose loss leaves the finite numbers is kept as one row with ``diverged``
    set. With ``grad_norms`` (a dict), the global gradient norm each optimizer receives at every step
    is appended to ``grad_norms[name]``.
    """
    import pandas as pd

    device = x.device
    frames = []
    for name, make in optimizers.items():
        model = mlp(784, 100, 10, seed=seed).to(device)
        opt = make(model.parameters())
        if grad_norms is not None:
            seen = grad_norms.setdefault(name, [])
            opt.register_step_pre_hook(lambda o, a, k, out=seen: out.append(
                torch.sqrt(sum(p.grad.pow(2).sum() for g in o.param_groups for p in g["params"])).item()))
        try:
            hist = fit(model, cross_entropy, opt, x, y, batch_size=batch_size, epochs=epochs, seed=seed,
                       eval_every=eval_every, evaluate=evaluate, name=name, **dict((clip or {}).get(name, {})))
            frames.append(hist.to_frame().assign(run=name, diverged=False))
        except NonFiniteLossError:
            frames.append(pd.DataFrame([{"step": 0, "loss": math.nan, "test_accuracy": math.nan}]).assign(
                run=name, diverged=True))
    return pd.concat(frames, ignore_index=True)


#: Chapter 5's weight-decay runs on MNIST (torch's ``Adam(weight_decay=λ)`` is Adam + L2).
WEIGHT_DECAY_RUNS: dict[str, Maker] = {
    "Adam": lambda p: Adam(p, lr=1e-3),
    "AdamW, λ = 0.01": lambda p: AdamW(p, lr=1e-3, weight_decay=0.01),
    "Adam + L2, λ = 0.01": lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=0.01),
}

#: Chapter 5's clipping runs on MNIST: plain SGD at η = 1 with each option.
CLIP_RUNS: dict[str, dict[str, float]] = {
    "no clipping": {}, "clipnorm = 1": {"clipnorm": 1.0},
    "global_clipnorm = 1": {"global_clipnorm": 1.0}, "clipvalue = 0.05": {"clipvalue": 0.05},
}


def clipping_runs(x, y, *, lr: float = 1.0, batch_size: int, epochs: int, seed: int = 0, evaluate=None):
    """:func:`mlp_runs` of SGD at ``lr`` with every option of :data:`CLIP_RUNS`, about eight records
    per epoch. Returns ``(frame, grad_norms)``: the histories and, per run, the global gradient norm
    the optimizer received at every step."""
    norms: dict[str, list[float]] = {}
    per_epoch = math.ceil(len(x) / batch_size)
    frame = mlp_runs({name: (lambda p: SGD(p, lr=lr)) for name in CLIP_RUNS}, x, y, batch_size=batch_size,
                     epochs=epochs, seed=seed, evaluate=evaluate, eval_every=max(1, per_epoch // 8),
                     clip=CLIP_RUNS, grad_norms=norms)
    return frame, {name: np.array(v) for name, v in norms.items()}


def torch_agreement():
    """Each Adam-family class of the library against its torch counterpart: the largest parameter
    difference after 25 lockstep steps (:func:`~optimlab.training.diagnostics.max_difference`), as a
    Series indexed by the comparison. The last row repeats Nadam with torch's default dtype float64
    (torch keeps NAdam's product of μ's in the default dtype)."""
    import pandas as pd

    checks = {
        "Adam() vs Adam()": max_difference(lambda p: Adam(p), lambda p: torch.optim.Adam(p)),
        "Adam(eps=1e-7) vs Adam(eps=1e-7)  (MindSpore constants)":
            max_difference(lambda p: Adam(p, lr=1e-3, eps=1e-7), lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7)),
        "AMSGrad() vs Adam(amsgrad=True)":
            max_difference(lambda p: AMSGrad(p), lambda p: torch.optim.Adam(p, amsgrad=True)),
        "AdamW() vs AdamW()": max_difference(lambda p: AdamW(p), lambda p: torch.optim.AdamW(p)),
        "AdamW(lr=0.01, weight_decay=0.1) vs AdamW(same)":
            max_difference(lambda p: AdamW(p, lr=0.01, weight_decay=0.1),
                           lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
        "Nadam() vs NAdam()": max_difference(lambda p: Nadam(p), lambda p: torch.optim.NAdam(p)),
    }
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        checks["Nadam() vs NAdam(), torch's default dtype float64"] = max_difference(
            lambda p: Nadam(p), lambda p: torch.optim.NAdam(p))
    finally:
        torch.set_default_dtype(default_dtype)
    return pd.Series(checks, name="max |θ_ours − θ_torch| after 25 steps")


def adam_family_paths(lr: float = 0.05, steps: int = 500, landscape: str = "rosenbrock") -> dict[str, torch.Tensor]:
    """RMSProp (γ = 0.9) and the Adam family with one step size on a 2-D landscape, from its common
    start (:func:`~optimlab.training.landscapes.trajectory`): ``{name: path [steps + 1, 2]}``."""
    land = LANDSCAPES[landscape]
    makers = {"RMSProp (γ = 0.9)": lambda p: RMSProp(p, lr=lr, alpha=0.9, eps=1e-7),
              "Adam": lambda p: Adam(p, lr=lr), "AMSGrad": lambda p: AMSGrad(p, lr=lr),
              "Nadam": lambda p: Nadam(p, lr=lr)}
    return {name: trajectory(make, land.f, land.start, steps) for name, make in makers.items()}


#: Chapter 5's clipping options on Rosenbrock's steep wall.
WALL_OPTIONS: dict[str, dict[str, float]] = {
    "no clipping": {}, "clipnorm = 10": {"clipnorm": 10.0}, "clipvalue = 10": {"clipvalue": 10.0}}


def clipped_path(f: Callable, start: Sequence[float], *, lr: float, steps: int, limit: float = 1e6,
                 **clip: float) -> torch.Tensor:
    """Gradient descent (SGD at ``lr``) on ``f`` from ``start`` with the clipping options ``clip``
    (:func:`~optimlab.training.loop.clip_gradients`). Stops, without the offending point, once the
    iterate is not finite or a coordinate exceeds ``limit`` in size: the path's length minus one is
    the number of steps taken before divergence."""
    z = torch.tensor(list(start), dtype=torch.float64, requires_grad=True)
    opt = SGD([z], lr=lr)
    path = [z.detach().clone()]
    for _ in range(steps):
        train_step(opt, lambda: f(z), params=[z], **clip)
        if not torch.isfinite(z).all() or z.detach().abs().max() > limit:
            break  # diverged
        path.append(z.detach().clone())
    return torch.stack(path)


def wall_paths(start: Sequence[float] = (-2.0, -1.0), *, lr: float = 1.5e-3, steps: int = 1500):
    """:func:`clipped_path` on Rosenbrock for every option of :data:`WALL_OPTIONS`."""
    f = LANDSCAPES["rosenbrock"].f
    return {name: clipped_path(f, start, lr=lr, steps=steps, **opts) for name, opts in WALL_OPTIONS.items()}


def clipping_directions(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """The three clipping options on one mini-batch gradient of ``model``, with thresholds below the
    gradient's size (a tenth of the smallest tensor norm; a hundredth of that for ``clipvalue``).

    Returns ``(frame, norms)``: per option the threshold, the cosine between the clipped and the raw
    gradient and the clipped norm; and the raw gradient norm of every parameter tensor.
    """
    import pandas as pd

    params = list(model.parameters())
    model.zero_grad(set_to_none=True)
    cross_entropy(model(x), y).backward()
    raw = [p.grad.clone() for p in params]
    norms = [g.norm().item() for g in raw]
    c = 0.1 * min(norms)  # below every tensor's norm, so every option acts
    full = torch.cat([g.reshape(-1) for g in raw])
    rows = []
    for name, value in (("clipnorm", c), ("global_clipnorm", c), ("clipvalue", c / 100)):
        for p, g in zip(params, raw):
            p.grad = g.clone()
        clip_gradients(params, **{name: value})
        clipped = torch.cat([p.grad.reshape(-1) for p in params])
        rows.append({"option": name, "threshold": value,
                     "cosine with raw gradient": F.cosine_similarity(clipped, full, dim=0).item(),
                     "clipped norm": clipped.norm().item()})
    return pd.DataFrame(rows).set_index("option"), norms


#: Chapter 5's MNIST comparison (torch's default constants; Nadam at its own default rate).
ADAM_CANDIDATES = {
    "Adam": (Adam, {"lr": 1e-3}),
    "AMSGrad": (AMSGrad, {"lr": 1e-3}),
    "Nadam (η = 0.002)": (Nadam, {"lr": 2e-3}),
    "AdamW, λ = 0.01": (AdamW, {"lr": 1e-3, "weight_decay": 0.01}),
}


def final_by(frame, by: str, columns: Sequence[str]):
    """The last record of every ``by`` group (its run's end), indexed by ``by``, keeping ``columns``."""
    return frame.groupby(by, sort=False).tail(1).set_index(by)[list(columns)]


def seed_summary(results, columns: Sequence[str] = ("train_loss", "test_loss", "test_accuracy")):
    """The final epoch of a :func:`~optimlab.experiments.classifier.compare` table, per label: the
    mean of ``columns`` over seeds, and their range (``min``, ``max``) only when there are several."""
    last = results[results.epoch == results.epoch.max()]
    stats = ["mean", "min", "max"] if last["seed"].nunique() > 1 else ["mean"]
    out = last.groupby("label", sort=False)[list(columns)].agg(stats)
    return out if len(stats) > 1 else out.droplevel(1, axis=1)


# ----------------------------------------------------------------------------------------------
# Chapter 6: ANGD, adaptive natural gradient descent on a teacher-student network
# ----------------------------------------------------------------------------------------------

#: Chapter 6's settings by scale: steps and evaluations of the online runs, seeds, examples fed to
#: the inverse estimate, size of the input pool, and the η = ε values of the stability sweep.
ANGD_SETTINGS: dict[str, dict[str, Any]] = {
    "smoke": dict(steps=2000, evals=25, seeds=(0,), fisher_updates=4000, pool=2048, sweep=(0.005, 0.02)),
    "paper": dict(steps=12000, evals=60, seeds=(0, 1, 2), fisher_updates=30000, pool=8192,
                  sweep=(0.005, 0.01, 0.02)),
}

DT = torch.float64
N_IN, N_HID, SIGMA = 4, 2, 0.1


def two_layer(init_seed: int, init_scale: float = 0.1) -> nn.Sequential:
    """A student (or teacher) network ``x -> Σ_k c_k tanh(w_k·x)`` without biases (4-2-1, float64),
    with weights ``N(0, init_scale²)`` drawn from ``init_seed``."""
    net = nn.Sequential(nn.Linear(N_IN, N_HID, bias=False), nn.Tanh(), nn.Linear(N_HID, 1, bias=False)).to(DT)
    g = torch.Generator().manual_seed(init_seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=DT) * init_scale)
    return net


def teacher() -> nn.Sequential:
    """The teacher: orthonormal first-layer weights ``w*_k = e_k`` and output weights 1."""
    net = two_layer(0)
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(N_HID, N_IN, dtype=DT))
        net[2].weight.fill_(1.0)
    return net


def held_out(net: nn.Module, size: int = 2000, seed: int = 10_000):
    """``size`` held-out inputs ``x ~ N(0, I)`` and the noise-free outputs of ``net`` on them."""
    x = torch.randn(size, N_IN, generator=torch.Generator().manual_seed(seed), dtype=DT)
    with torch.no_grad():
        return x, net(x)[:, 0]


def stream(net: nn.Module, data_seed: int, steps: int):
    """The online examples ``(x_t, y_t = net(x_t) + σ n_t)`` of one run."""
    g = torch.Generator().manual_seed(data_seed)
    xs = torch.randn(steps, N_IN, generator=g, dtype=DT)
    with torch.no_grad():
        ys = net(xs)[:, 0] + SIGMA * torch.randn(steps, generator=g, dtype=DT)
    return xs, ys


def online_run(make_optimizer: Maker, *, run_seed: int, steps: int, evals: int, output_fisher: bool):
    """Train a student one example per step on the teacher's stream; return a tidy frame.

    Each step is :func:`~optimlab.training.loop.train_step` with the loss gradient
    ``∇ℓ = (f − y) ∇f`` of ``ℓ = ½ (f − y)²``, from one backward pass for ``∇f``. With
    ``output_fisher`` the closure first feeds ``v = ∇f`` into the optimizer's Fisher estimate (Amari,
    Park & Fukumizu's ANGD) and records the largest ``a = vᵀ Ĝ⁻¹ v`` met; otherwise the optimizer
    sees only the loss gradient. Records at about ``evals`` log-spaced steps: ``step``, the
    generalisation ``error`` on the held-out set, ``weaker_unit`` (``min_k |c_k|``) and, for a
    :class:`~optimbook.optim.natural.NaturalGradient`, ``mean_eig`` (``tr(Ĝ⁻¹)/P``) and ``a_max``.
    A run stops at the first record with a non-finite parameter.
    """
    import pandas as pd

    net = teacher()
    x_test, y_test = held_out(net)
    student = two_layer(1000 + run_seed)
    params = list(student.parameters())
    opt = make_optimizer(params)
    natural = isinstance(opt, NaturalGradient)
    xs, ys = stream(net, run_seed, steps)
    marks = set(np.unique(np.geomspace(1, steps, evals).astype(int)).tolist()) | {0}
    rows, a_max = [], 0.0

    def loss(t: int) -> torch.Tensor:
        # one backward pass through the network gives v = ∇f; the loss gradient is (f − y) ∇f by the
        # chain rule, so the returned loss is the linear form Σ_p <p, (f − y) ∇_p f> with that gradient
        nonlocal a_max
        f = student(xs[t:t + 1])[0, 0]
        jac = torch.autograd.grad(f, params)
        residual = (f - ys[t]).detach()
        if output_fisher:
            v = torch.cat([j.reshape(-1) for j in jac])
            a_max = max(a_max, torch.dot(v, opt.natural_direction(v)).item())
            opt.update_fisher(v)
        return sum((p * (residual * j)).sum() for p, j in zip(params, jac))

    for t in range(steps + 1):
        if t in marks:
            if not all(torch.isfinite(p).all() for p in params):
                break
            with torch.no_grad():
                row = {"step": t, "error": 0.5 * (student(x_test)[:, 0] - y_test).pow(2).mean().item(),
                       "weaker_unit": student[2].weight.abs().min().item()}
            if natural:
                row["mean_eig"] = opt.fisher_inverse.diagonal().mean().item()
                row["a_max"] = a_max  # largest a = v' G^-1 v met so far
            rows.append(row)
        if t < steps:
            train_step(opt, lambda: loss(t))
    return pd.DataFrame(rows)


def angd(lr: float, eps: float, update: str, *, fisher_from_grad: bool = False) -> Maker:
    """A maker of :class:`~optimbook.optim.natural.NaturalGradient` with these settings."""
    return lambda p: NaturalGradient(p, lr=lr, eps=eps, update=update, fisher_from_grad=fisher_from_grad)


#: Chapter 6's step size and averaging rate of ANGD, and SGD's two step sizes.
ANGD_LR, ANGD_EPS, SGD_RATES = 0.005, 0.005, (0.02, 0.1)


def plateau_methods() -> dict[str, tuple[Maker, bool]]:
    """Chapter 6's methods on the plateau: ``{name: (maker, output_fisher)}``."""
    return {
        **{f"SGD, η = {lr:g}": ((lambda p, lr=lr: SGD(p, lr=lr)), False) for lr in SGD_RATES},
        "ANGD (amari)": (angd(ANGD_LR, ANGD_EPS, "amari"), True),
        "ANGD (exact)": (angd(ANGD_LR, ANGD_EPS, "exact"), True),
    }


def online_runs(methods: Mapping[str, tuple[Maker, bool]], *, steps: int, evals: int, seeds: Sequence[int]):
    """:func:`online_run` for every method and seed, in one frame with ``method`` and ``seed``."""
    import pandas as pd

    return pd.concat([online_run(make, run_seed=s, steps=steps, evals=evals, output_fisher=fisher)
                      .assign(method=name, seed=s)
                      for name, (make, fisher) in methods.items() for s in seeds], ignore_index=True)


def fisher_at_teacher(pool: int, seed: int = 0):
    """The output-gradient matrix ``G = E[∇f ∇fᵀ]`` at the teacher's parameters over a pool of
    ``pool`` inputs (per-example gradients with ``torch.func``). Returns ``(V, G)`` with ``V`` the
    ``[pool, P]`` output gradients."""
    from torch.func import functional_call, grad, vmap

    net = teacher()
    xs = torch.randn(pool, N_IN, generator=torch.Generator().manual_seed(seed + 7), dtype=DT)
    theta = {n: p.detach() for n, p in net.named_parameters()}

    def output(params, x):
        return functional_call(net, params, (x.unsqueeze(0),))[0, 0]

    per_example = vmap(grad(output), in_dims=(None, 0))(theta, xs)
    V = torch.cat([per_example[n].reshape(pool, -1) for n in theta], dim=1)
    return V, V.T @ V / pool


def inverse_estimates(V: torch.Tensor, updates: int, *, rates: Sequence[float] = (0.05, 0.01, 0.002),
                      seed: int = 0, checkpoints: int = 40):
    """Stream rows of ``V`` drawn at random into a ``NaturalGradient`` (``fisher_from_grad=False``),
    for each rate ``ε`` and both inverse updates, and compare the estimate with the true inverse
    of ``G = VᵀV/len(V)`` at about ``checkpoints`` log-spaced counts.

    Returns a frame with ``eps``, ``update``, ``updates``, ``rel_error`` (relative Frobenius error),
    ``positive_definite`` and ``asymmetry`` (``‖Ĝ⁻¹ − Ĝ⁻ᵀ‖/‖Ĝ⁻¹‖``).
    """
    import pandas as pd

    G_inv = torch.linalg.inv(V.T @ V / len(V))
    marks = set(np.unique(np.geomspace(1, updates, checkpoints).astype(int)).tolist())
    order = torch.randint(len(V), (updates,), generator=torch.Generator().manual_seed(seed)).tolist()
    rows = []
    for eps in rates:
        for update in ("amari", "exact"):
            est = NaturalGradient([torch.zeros(V.shape[1], dtype=V.dtype, requires_grad=True)], eps=eps,
                                  update=update, fisher_from_grad=False)
            for i, idx in enumerate(order, start=1):
                est.update_fisher(V[idx])
                if i in marks:
                    inv = est.fisher_inverse
                    pos = bool(torch.isfinite(inv).all()) and torch.linalg.eigvalsh(inv).min().item() > 0
                    rows.append({"eps": eps, "update": update, "updates": i,
                                 "rel_error": ((inv - G_inv).norm() / G_inv.norm()).item(),
                                 "positive_definite": pos,
                                 "asymmetry": ((inv - inv.mT).norm() / inv.norm()).item()})
    return pd.DataFrame(rows)


def estimate_facts(V: torch.Tensor, estimates) -> dict[str, Any]:
    """The values chapter 6's prose quotes about the estimator: the condition number of ``G``,
    ``P``, the mean and largest ``a = vᵀG⁻¹v`` over the pool, the final relative errors per update
    and ``ε`` (``est_<update>_<e05|e01|e002>``, as text), where estimates broke and the drift note."""
    G = V.T @ V / len(V)
    eig = torch.linalg.eigvalsh(G)
    a = (V @ torch.linalg.inv(G) * V).sum(dim=1)
    facts: dict[str, Any] = {"fisher_cond": (eig.max() / eig.min()).item(), "fisher_P": V.shape[1],
                             "a_true_max": a.max().item(), "a_true_mean": a.mean().item()}
    final = estimates.groupby(["eps", "update"]).tail(1).set_index(["eps", "update"])
    keys = {0.05: "e05", 0.01: "e01", 0.002: "e002"}
    for (eps, update), row in final.iterrows():
        if eps in keys:
            err = row["rel_error"]
            facts[f"est_{update}_{keys[eps]}"] = (f"{err:.2f}" if np.isfinite(err)
                                                  else "no finite value (it diverged)")
    broken = estimates[~estimates["positive_definite"]].groupby(["eps", "update"])["updates"].min()
    facts["est_broken"] = "; ".join(f"{u} at ε = {e:g}, after {n:,} examples"
                                    for (e, u), n in broken.items()) or "none"
    facts["est_updates"] = f"{int(estimates['updates'].max()):,}"
    # an estimate that left the finite numbers has diverged (see est_broken); it says nothing on symmetry
    finite = estimates[np.isfinite(estimates["asymmetry"])]
    aside = " (the estimates that diverged aside)" if len(finite) < len(estimates) else ""
    blown = finite[finite["asymmetry"] > 1e-3]
    if len(blown):
        first = blown.sort_values("updates").iloc[0]
        facts["drift_note"] = (f"the antisymmetric part exceeded 0.1 % of the norm after "
                               f"{int(first['updates']):,} examples ({first['update']}, ε = {first['eps']:g}){aside}")
    else:
        facts["drift_note"] = (f"the estimate stays symmetric to {finite['asymmetry'].max():.1e} "
                               f"(relative) over these runs{aside}")
    return facts


def first_step_below(run, level: float) -> int | None:
    """The first recorded ``step`` of ``run`` whose ``error`` is below ``level`` (None if never)."""
    hit = run[run["error"] < level]
    return int(hit["step"].iloc[0]) if len(hit) else None


def escape_summary(runs, threshold: float = 0.005):
    """Per method of an :func:`online_runs` frame: the median over seeds of the first step with an
    error below ``threshold`` ("not reached" if a seed never gets there) and the final error (mean
    over seeds)."""
    import pandas as pd

    escape = {}
    for name, sub in runs.groupby("method", sort=False):
        steps = [first_step_below(run, threshold) for _, run in sub.groupby("seed")]
        escape[name] = "not reached" if any(s is None for s in steps) else int(np.median(steps))
    tail = runs.groupby(["method", "seed"], sort=False).tail(1).groupby("method", sort=False)["error"].mean()
    return pd.DataFrame({"median step below threshold": pd.Series(escape, dtype=object),
                         "final error (mean over seeds)": tail})


def stability_sweep(plateau, *, rates: Sequence[float], steps: int, evals: int, seeds: Sequence[int]):
    """ANGD with ``η = ε`` for each of ``rates`` and both inverse updates: the largest ``a`` met,
    ``ε × a``, whether every run stayed finite to the end and the median error over the second
    half. Runs at :data:`ANGD_LR` are read from ``plateau`` (an :func:`online_runs` frame)."""
    import pandas as pd

    rows = []
    for rate in rates:
        for update in ("amari", "exact"):
            name = f"ANGD ({update})"
            if rate == ANGD_LR and ANGD_EPS == ANGD_LR and name in set(plateau["method"]):
                runs = plateau[plateau["method"] == name]
            else:
                runs = online_runs({name: (angd(rate, rate, update), True)}, steps=steps, evals=evals, seeds=seeds)
            last = runs.groupby("seed").tail(1)
            late = runs[runs["step"] >= 0.5 * steps]["error"]
            rows.append({"η = ε": rate, "update": update, "largest a": runs["a_max"].max(),
                         "ε × largest a": rate * runs["a_max"].max(),
                         "stayed finite": bool((last["step"] == steps).all()),
                         "median error, second half": late.median() if len(late) else np.nan})
    return pd.DataFrame(rows)


def empirical_runs(plateau, *, steps: int, evals: int, seeds: Sequence[int]):
    """The exact-update ANGD runs of ``plateau`` (relabelled "output Fisher (exact)") beside the
    empirical-Fisher variant (``fisher_from_grad=True``) at the same η and at η/10."""
    import pandas as pd

    methods = {f"empirical Fisher, η = {lr:g}": (angd(lr, ANGD_EPS, "exact", fisher_from_grad=True), False)
               for lr in (ANGD_LR, ANGD_LR / 10)}
    return pd.concat([plateau[plateau["method"] == "ANGD (exact)"].assign(method="output Fisher (exact)"),
                      online_runs(methods, steps=steps, evals=evals, seeds=seeds)], ignore_index=True)


# ----------------------------------------------------------------------------------------------
# Chapter 7: AdaMix
# ----------------------------------------------------------------------------------------------

#: Chapter 7's settings by scale: steps of the constant-gradient run, MNIST subset and epochs of the
#: loss-scale runs, timing repeats.
ADAMIX_SETTINGS: dict[str, dict[str, Any]] = {
    "smoke": dict(rate_steps=2000, mnist_fraction=0.02, epochs=10, timing_repeats=12),
    "paper": dict(rate_steps=30000, mnist_fraction=0.1, epochs=10, timing_repeats=60),
}


def constant_gradient_rates(magnitudes: Sequence[float], steps: int):
    """Drive the library's AdaMix and AdaGrad (``η(0) = 1``, ``K = 1``, no δ) with constant
    gradients, one weight element per magnitude. Returns ``(adamix, adagrad)``, arrays
    ``[steps, len(magnitudes)]``: AdaMix's ``rate`` state, and AdaGrad's step divided by the gradient."""
    g = torch.tensor(list(magnitudes), dtype=torch.float64).unsqueeze(1)  # a [k, 1] weight: ndim 2
    w_mix = torch.zeros_like(g, requires_grad=True)
    w_ada = torch.zeros_like(g, requires_grad=True)
    mix = AdaMix([w_mix], lr=1.0, total_steps=steps)
    ada = AdaGrad([w_ada], lr=1.0, K=1.0, eps=0.0)
    rate_mix, rate_ada = np.empty((steps, len(g))), np.empty((steps, len(g)))
    for t in range(steps):
        w_mix.grad, w_ada.grad = g.clone(), g.clone()
        before = w_ada.detach().clone()
        mix.step()
        ada.step()
        rate_mix[t] = mix.state[w_mix]["rate"][:, 0].numpy()
        rate_ada[t] = ((before - w_ada.detach()) / g)[:, 0].numpy()
    return rate_mix, rate_ada


def closed_form_rates(magnitudes: Sequence[float], steps: int):
    """The closed forms (eq. ``eq-adamix-unrolled`` and ``eq-adamix-adagrad-log``) of the rates of
    :func:`constant_gradient_rates`: ``((1 + g²)^(-t/2), 1/√(1 + t g²))`` for ``t = 1..steps``."""
    t = np.arange(1, steps + 1)[:, None]
    g2 = np.asarray(magnitudes, dtype=float)[None, :] ** 2
    return (1 + g2) ** (-t / 2), 1 / np.sqrt(1 + t * g2)


def rate_agreement(magnitudes: Sequence[float], steps: int) -> dict[str, Any]:
    """How the library's rates compare with the closed forms: the largest relative deviation of
    AdaMix's (where the closed form has not underflowed) and AdaGrad's, and whether AdaMix's rate
    stays at or below AdaGrad's at every step and magnitude."""
    rate_mix, rate_ada = constant_gradient_rates(magnitudes, steps)
    closed_mix, closed_ada = closed_form_rates(magnitudes, steps)
    ok = closed_mix > 1e-300
    return {"closed_mix_dev": float(np.max(np.abs(rate_mix[ok] / closed_mix[ok] - 1))),
            "closed_ada_dev": float(np.max(np.abs(rate_ada / closed_ada - 1))),
            "rate_mix_below_ada": bool(np.all(rate_mix <= rate_ada * (1 + 1e-12)))}


def halving_table(magnitudes: Sequence[float]):
    """From the closed forms, with a constant ``|g|``: the steps each rule needs to halve its rate
    and to shrink it a millionfold (integers)."""
    import pandas as pd

    return pd.DataFrame({
        "|g|": list(magnitudes),
        "AdaMix: steps to halve": [math.ceil(2 * math.log(2) / math.log1p(m**2)) for m in magnitudes],
        "AdaGrad: steps to halve": [math.ceil(3 / m**2) for m in magnitudes],
        "AdaMix: steps to 1e-6": [math.ceil(2 * math.log(1e6) / math.log1p(m**2)) for m in magnitudes],
        "AdaGrad: steps to 1e-6": [math.ceil((1e12 - 1) / m**2) for m in magnitudes],
    }).set_index("|g|")


def summed_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy summed over the batch (He & Li's eq. (6)), not averaged."""
    return F.cross_entropy(logits, labels, reduction="sum")


def weight_rates(opt: torch.optim.Optimizer, active: torch.Tensor | None = None) -> torch.Tensor:
    """The per-element learning rates of the weight tensors (``ndim ≥ 2``) of an AdaMix (its
    ``rate`` state) or AdaGrad (``lr/√sum``) optimizer, flattened; ``lr`` where no state exists yet.
    ``active`` (a mask over a first layer's inputs) keeps only the columns of weights that can
    receive a gradient in a matrix with that many columns."""
    rates = []
    for group in opt.param_groups:
        for p in group["params"]:
            if p.ndim < 2:
                continue
            state = opt.state.get(p, {})
            if "rate" in state:
                r = state["rate"]
            elif "sum" in state:
                r = group["lr"] / state["sum"].sqrt()
            else:
                r = torch.full_like(p, group["lr"])
            if active is not None and p.shape[1] == active.numel():
                r = r[:, active]
            rates.append(r.reshape(-1))
    return torch.cat(rates)


def loss_scale_runs(x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch: int = 100, lr_mean: float = 0.1,
                    seed: int = 0):
    """AdaMix and AdaGrad (K = 1, no δ) on the MNIST MLP, each on the mean and on the summed
    cross-entropy (the summed runs at ``lr_mean / batch``). Two records per epoch of the training
    loss and of the 10 %, 50 % and 90 % quantiles of the effective weight rate on the mean-loss
    scale (weights of always-blank pixels left out). Returns ``(frame, optimizers)``: the histories
    with a ``run`` column, and each run's optimizer at the end."""
    import pandas as pd

    per_epoch = math.ceil(len(x) / batch)
    total = epochs * per_epoch
    active = (x != 0).any(dim=0)  # MNIST's border pixels are 0 in every image
    frames, final = [], {}
    for kind in ("AdaMix", "AdaGrad"):
        for reduction, loss_fn, factor in (("mean", cross_entropy, 1.0), ("sum", summed_cross_entropy, batch)):
            model = mlp(784, 100, 10, seed=seed).to(x.device)
            lr = lr_mean / factor
            opt = (AdaMix(model.parameters(), lr=lr, total_steps=total) if kind == "AdaMix"
                   else AdaGrad(model.parameters(), lr=lr, K=1.0, eps=0.0))

            def evaluate(m, opt=opt, factor=factor):
                r = (weight_rates(opt, active) * factor).float()
                q = torch.quantile(r[:: max(1, len(r) // 100_000)], torch.tensor([0.1, 0.5, 0.9], device=r.device))
                q10, q50, q90 = q.tolist()
                return {"train_loss": cross_entropy(m(x), y).item(), "q10": q10, "q50": q50, "q90": q90}

            hist = fit(model, loss_fn, opt, x, y, batch_size=batch, epochs=epochs, seed=seed,
                       evaluate=evaluate, eval_every=max(1, per_epoch // 2))
            name = f"{kind}, {reduction} loss"
            frames.append(hist.to_frame().assign(run=name))
            final[name] = opt
    return pd.concat(frames, ignore_index=True), final


def loss_scale_facts(frame, optimizers: Mapping[str, torch.optim.Optimizer], *, lr_mean: float = 0.1,
                     batch: int = 100) -> dict[str, Any]:
    """The values chapter 7's prose quotes about :func:`loss_scale_runs`: per run the final median
    rate relative to ``lr_mean`` and the final training loss, the steps, and for AdaMix on the summed
    loss the share (%) of weight rates below a millionth of the initial one and a note on those that
    underflowed to zero."""
    last = frame.groupby("run").tail(1).set_index("run")
    facts: dict[str, Any] = {"scale_steps": int(last["step"].max())}
    for run, key in [("AdaMix, mean loss", "mix_mean"), ("AdaMix, sum loss", "mix_sum"),
                     ("AdaGrad, mean loss", "ada_mean"), ("AdaGrad, sum loss", "ada_sum")]:
        facts[f"scale_{key}_rate"] = last.loc[run, "q50"] / lr_mean
        facts[f"scale_{key}_loss"] = last.loc[run, "train_loss"]
    rates = weight_rates(optimizers["AdaMix, sum loss"])
    zero = (rates == 0).float().mean().item()
    facts["scale_tiny_share"] = 100 * (rates < 1e-6 * lr_mean / batch).float().mean().item()
    facts["scale_zero_note"] = (f"{100 * zero:.2g} % of them have underflowed to exactly zero in float32, so "
                                "those weights can never move again" if zero > 0 else
                                "none has yet underflowed to exactly zero in float32")
    return facts


def role_table(model: nn.Module):
    """Every parameter of ``model`` with its shape and its role by the library's rule."""
    import pandas as pd

    return pd.DataFrame([{"parameter": name, "shape": tuple(p.shape), "role": role_of(p, {})}
                         for name, p in model.named_parameters()])


def train_copy(make: Callable[[nn.Module], torch.optim.Optimizer], x: torch.Tensor, y: torch.Tensor, *,
               steps: int, seed: int = 0):
    """The MNIST MLP in float64, trained ``steps`` full-batch steps on the summed cross-entropy of
    ``(x, y)`` with ``make(model)``; returns ``(model, optimizer)``."""
    model = mlp(784, 100, 10, seed=seed).double()
    opt = make(model)
    x = x.double()
    for _ in range(steps):
        train_step(opt, lambda: summed_cross_entropy(model(x), y))
    return model, opt


def _moved(model: nn.Module, start: nn.Module, suffix: str) -> float:
    return max((a - b).abs().max().item() for (n, a), b in zip(model.named_parameters(), start.parameters())
               if n.endswith(suffix))


def per_role_checks(x: torch.Tensor, y: torch.Tensor, *, steps: int = 20, lr: float = 1e-3, seed: int = 0):
    """Four checks of :class:`~optimbook.optim.per_role.PerRole` on a tiny batch (summed
    cross-entropy, float64): AdaMix against "AdaMix for both roles"; "AdaGrad + Cons" (which state
    each role carries); "None + Cons" (how far weights and biases moved); "Cons + AdaMix" (the
    biases' per-element AdaMix rates). Returns ``(table, facts)``: one row per check, and the
    values the prose quotes (``per_same``, ``per_frozen``, ``per_bias_moved``, ``per_bias_rate_min``)."""
    import pandas as pd

    def run(make):
        return train_copy(make, x, y, steps=steps, seed=seed)

    def adamix():
        return Rule(AdaMix, {"lr": lr, "total_steps": steps})

    m_mix, _ = run(lambda m: AdaMix(m.parameters(), lr=lr, total_steps=steps))
    m_per, _ = run(lambda m: PerRole(m, weight=adamix(), bias=adamix()))
    same = max((a - b).abs().max().item() for a, b in zip(m_mix.parameters(), m_per.parameters()))
    m_ag, o_ag = run(lambda m: PerRole(m, weight=Rule(AdaGrad, {"lr": lr, "K": 1.0, "eps": 0.0}),
                                       bias=Rule(SGD, {"lr": lr})))
    weights_adagrad = all("sum" in o_ag.state[p] for p in m_ag.parameters() if p.ndim >= 2)
    biases_plain = all(not o_ag.state.get(p) for p in m_ag.parameters() if p.ndim < 2)
    m_none, o_none = run(lambda m: PerRole(m, weight=None, bias=Rule(SGD, {"lr": lr})))
    start = mlp(784, 100, 10, seed=seed).double()
    frozen, bias_moved = _moved(m_none, start, "weight"), _moved(m_none, start, "bias")
    m_cm, o_cm = run(lambda m: PerRole(m, weight=Rule(SGD, {"lr": lr}),
                                       bias=Rule(AdaMix, {"lr": lr, "total_steps": steps}, group={"role": "weight"})))
    bias_rate_min = min(o_cm.state[p]["rate"].min().item() for p in m_cm.parameters() if p.ndim == 1) / lr
    checks = pd.DataFrame({
        "strategy": ["AdaMix vs PerRole(AdaMix + AdaMix)", "AdaGrad + Cons", "None + Cons", "Cons + AdaMix"],
        "optimizer": ["(max |difference| of the parameters)", repr(o_ag), repr(o_none), repr(o_cm)],
        "check": [f"{same:.1e}",
                  f"weights carry AdaGrad's sum: {weights_adagrad}; biases carry no state (SGD): {biases_plain}",
                  f"weights moved {frozen:.1e}, biases moved {bias_moved:.1e}",
                  f"per-element bias rates, smallest {bias_rate_min:.3g} × η(0)"],
    })
    facts = {"per_same": same, "per_frozen": frozen, "per_bias_moved": bias_moved,
             "per_bias_rate_min": bias_rate_min, "per_weights_adagrad": weights_adagrad,
             "per_biases_plain": biases_plain}
    return checks, facts


#: Element-wise operations per weight element and step, from the equations of He & Li.
OPERATIONS: dict[str, list[str]] = {
    "Cons (SGD)": ["θ − η·g"],
    "AdaGrad (12)": ["g²", "r + g²", "√r", "g / √r", "θ − η·(g/√r)"],
    "AdaDec (13)-(15)": ["g²", "ξ·g(t−1)²", "+ g²", "+ K", "√·", "g / √·", "θ − p(t)·(g/√·)"],
    "AdaMix weights (16)": ["g²", "K + g²", "1/√·", "α·(1/√·)", "θ − α·g"],
    "AdaMix biases (17)-(18)": ["θ − β(t)·g"],
}
#: State tensors each rule keeps per parameter tensor.
STATE = {"Cons (SGD)": 0, "AdaGrad (12)": 1, "AdaDec (13)-(15)": 1, "AdaMix weights (16)": 1,
         "AdaMix biases (17)-(18)": 0}


def operations_table():
    """:data:`OPERATIONS` and :data:`STATE` as one table: the count, the list, the state tensors."""
    import pandas as pd

    return pd.DataFrame({"element-wise operations": {k: len(v) for k, v in OPERATIONS.items()},
                         "which": {k: ", ".join(v) for k, v in OPERATIONS.items()},
                         "state tensors per parameter": STATE})


def adamix_rules(total_steps: int = 10_000) -> dict[str, Maker]:
    """The rules chapter 7 counts and times: Cons, AdaGrad, AdaDec (as printed and recursive), AdaMix."""
    return {
        "Cons (SGD)": lambda p: SGD(p, lr=1e-3),
        "AdaGrad": lambda p: AdaGrad(p, lr=1e-3, K=1.0, eps=0.0),
        "AdaDec": lambda p: AdaDec(p, lr=1e-3, total_steps=total_steps),
        "AdaDec (recursive)": lambda p: AdaDec(p, lr=1e-3, total_steps=total_steps, recursive=True),
        "AdaMix": lambda p: AdaMix(p, lr=1e-3, total_steps=total_steps),
    }


#: The autoencoder's layer sizes (He & Li): 784-1000-500-250-30 and back.
AUTOENCODER_SIZES = (784, 1000, 500, 250, 30, 250, 500, 1000, 784)


def autoencoder_shaped(sizes: Sequence[int] = AUTOENCODER_SIZES, device: str | torch.device = "cpu") -> nn.Sequential:
    """A chain of linear layers with sigmoids between them, in the autoencoder's shapes."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.Sigmoid())
    return nn.Sequential(*layers).to(device)


#: He & Li (2016), Exp. 1: seconds for 50 fine-tuning iterations.
PAPER_SECONDS = {"Cons (SGD)": 693.54, "AdaGrad": 810.20, "AdaDec": 833.79, "AdaMix": 752.56}


def cost_table(measured, paper_seconds: Mapping[str, float] = PAPER_SECONDS):
    """The timing table of chapter 7 from a :class:`~optimlab.cost.timing.StepTimes`: per rule the
    median step (ms), its 10-90 % range, the ratio to AdaGrad's step, a training step (forward +
    backward + step) relative to Cons, and the paper's wall time relative to Cons (NaN where the
    paper has no time)."""
    import pandas as pd

    step_ms = {name: statistics.median(v) * 1e3 for name, v in measured.steps.items()}
    fb_ms = statistics.median(measured.forward_backward) * 1e3
    return pd.DataFrame({
        "step (ms), median": step_ms,
        "step, 10-90 % (ms)": {n: f"{np.percentile(v, 10) * 1e3:.2f}-{np.percentile(v, 90) * 1e3:.2f}"
                               for n, v in measured.steps.items()},
        "step / AdaGrad step": {n: step_ms[n] / step_ms["AdaGrad"] for n in step_ms},
        "training step / Cons (ours)": {n: (fb_ms + step_ms[n]) / (fb_ms + step_ms["Cons (SGD)"]) for n in step_ms},
        "wall time / Cons (He & Li)": {n: paper_seconds[n] / paper_seconds["Cons (SGD)"] if n in paper_seconds
                                       else np.nan for n in step_ms},
    }).rename_axis("rule")


_COST_KEYS = {"Cons (SGD)": "sgd", "AdaGrad": "ada", "AdaDec": "dec", "AdaDec (recursive)": "decr", "AdaMix": "mix"}


def kernel_facts(kernels) -> dict[str, int]:
    """The kernels per weight of each rule of a :func:`~optimlab.cost.timing.kernel_counts` table
    of :func:`adamix_rules`, as ``cost_<sgd|ada|dec|decr|mix>_kernels``."""
    return {f"cost_{key}_kernels": int(kernels.loc[name, "kernels per weight"]) for name, key in _COST_KEYS.items()}


def cost_facts(measured, timing, device, paper_seconds: Mapping[str, float] = PAPER_SECONDS) -> dict[str, Any]:
    """The values chapter 7's prose quotes about the cost: per rule (``sgd``, ``ada``, ``dec``,
    ``decr``, ``mix``) the step in ms, its ratio to AdaGrad's and the training step relative to
    Cons; the paper's ratios; the forward-backward time; and the verdict on
    AdaMix against AdaGrad (within 5 % counts as neither cheaper nor dearer)."""
    n = measured.n_weights + measured.n_biases
    facts: dict[str, Any] = {
        "cost_device": str(device), "cost_clock": measured.clock, "cost_params": f"{n:,}",
        "cost_bias_share": 100 * measured.n_biases / n, "cost_repeats": len(next(iter(measured.steps.values()))),
        "cost_fb_ms": statistics.median(measured.forward_backward) * 1e3,
    }
    for name, key in _COST_KEYS.items():
        facts[f"cost_{key}_ms"] = timing.loc[name, "step (ms), median"]
        facts[f"cost_{key}_rel"] = timing.loc[name, "step / AdaGrad step"]
        facts[f"cost_{key}_train"] = timing.loc[name, "training step / Cons (ours)"]
    for name, key in (("AdaGrad", "ada"), ("AdaDec", "dec"), ("AdaMix", "mix")):
        facts[f"paper_{key}_rel"] = paper_seconds[name] / paper_seconds["Cons (SGD)"]
    ratio = facts["cost_mix_rel"]
    verdict = "cheaper than" if ratio < 0.95 else ("more expensive than" if ratio > 1.05 else "within 5 % of")
    facts["cost_verdict"] = verdict
    facts["cost_ours_sentence"] = ("With our implementation AdaMix is the cheaper of the two."
                                   if verdict == "cheaper than" else
                                   "With our implementation AdaMix is not the cheaper of the two.")
    facts["cost_verdict_short"] = {"cheaper than": "cheaper than AdaGrad's",
                                   "more expensive than": "more expensive than AdaGrad's, not cheaper",
                                   "within 5 % of": "within 5 % of AdaGrad's, not clearly cheaper"}[verdict]
    return facts


def clipping_facts(frame, norms: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The values chapter 5's prose quotes about :func:`clipping_runs`: per option the final test
    accuracy and training loss (``clip_<none|clipnorm|global|clipvalue>_<acc|loss>``), the best
    option, and the global gradient norms seen without clipping (first, largest, its step, the
    share above 1) and how often ``global_clipnorm = 1`` acted."""
    end = frame.groupby("run", sort=False).tail(1).set_index("run")
    facts: dict[str, Any] = {}
    for name, key in zip(CLIP_RUNS, ("none", "clipnorm", "global", "clipvalue")):
        facts[f"clip_{key}_acc"] = end.loc[name, "test_accuracy"]
        facts[f"clip_{key}_loss"] = end.loc[name, "loss"]
    facts["clip_best"] = end["test_accuracy"].idxmax()
    raw = np.asarray(norms["no clipping"])
    facts["clip_raw_first"] = float(raw[0])
    facts["clip_raw_max"] = float(raw.max())
    facts["clip_raw_max_step"] = int(raw.argmax()) + 1
    facts["clip_raw_frac_above"] = float((raw > 1.0).mean())
    facts["clip_global_frac_active"] = float((np.abs(np.asarray(norms["global_clipnorm = 1"]) - 1.0) < 1e-4).mean())
    return facts


def weight_decay_facts(frame, *, lr: float = 1e-3, lam: float = 0.01) -> dict[str, Any]:
    """The values chapter 5's prose quotes about the :data:`WEIGHT_DECAY_RUNS`: the parameter norm at
    the start and at the end of each run, the final test accuracies, the steps and AdamW's decay
    factor ``(1 − ηλ)^t`` over the run."""
    end = frame.groupby("run", sort=False).tail(1).set_index("run")
    start = frame.groupby("run", sort=False).head(1).set_index("run")
    steps = int(end.loc["Adam", "step"])
    facts: dict[str, Any] = {"wdm_start": start.loc["Adam", "weight_norm"], "wdm_steps": steps,
                             "wdm_factor": (1 - lr * lam) ** steps}
    for name, key in zip(WEIGHT_DECAY_RUNS, ("adam", "adamw", "l2")):
        facts[f"wdm_{key}"] = end.loc[name, "weight_norm"]
        facts[f"wdm_{key}_acc"] = end.loc[name, "test_accuracy"]
    return facts


#: Short keys of :func:`plateau_methods`, in order, for the glued values of chapter 6.
PLATEAU_KEYS = ("sgd_small", "sgd_large", "amari", "exact")


def sweep_facts(sweep, *, big: float) -> dict[str, Any]:
    """The values chapter 6's prose quotes about a :func:`stability_sweep`: ``ε × largest a`` and the
    fate of the runs, per update, at :data:`ANGD_LR` (``sweep_main_*``) and at ``big``
    (``sweep_big_*``)."""
    at = sweep.set_index(["η = ε", "update"])
    facts: dict[str, Any] = {}
    for rate, key in ((ANGD_LR, "main"), (big, "big")):
        for update in ("amari", "exact"):
            row = at.loc[(rate, update)]
            facts[f"sweep_{key}_{update}_eps_a"] = row["ε × largest a"]
            facts[f"sweep_{key}_{update}_fate"] = (
                f"stayed finite, with a median error of {row['median error, second half']:.2e} in the second half"
                if row["stayed finite"] else "diverged")
    return facts


def plateau_facts(summary) -> dict[str, Any]:
    """The values chapter 6's prose quotes about an :func:`escape_summary` of the
    :func:`plateau_methods` (in their order): per method (``sgd_small``, ``sgd_large``, ``amari``,
    ``exact``) whether and when it left the plateau (``escape_*``, as text) and its final error
    (``tail_*``), and ``plateau_takeaway``, the comparison of ANGD with SGD as this run found it."""
    escape = dict(zip(PLATEAU_KEYS, summary["median step below threshold"]))
    tail = dict(zip(PLATEAU_KEYS, summary["final error (mean over seeds)"]))
    facts: dict[str, Any] = {}
    for key in PLATEAU_KEYS:
        facts[f"escape_{key}"] = ("does not leave it within the run" if escape[key] == "not reached"
                                  else f"leaves it after {escape[key]:,} examples")
        facts[f"tail_{key}"] = tail[key]
    left = {key: escape[key] != "not reached" for key in PLATEAU_KEYS}
    if not (left["amari"] and left["exact"]):
        first = "the natural gradient does not leave the plateau within the run with both updates"
    elif left["sgd_small"]:
        first = "the natural gradient leaves the plateau, and so does gradient descent at both step sizes"
    else:
        first = "the natural gradient leaves the plateau with a step size smaller than one at which gradient descent stays on it"
    lower = max(tail["amari"], tail["exact"]) < tail["sgd_large"]
    facts["plateau_takeaway"] = (f"{first}, and {'ends lower than' if lower else 'does not end lower than'} "
                                 "gradient descent with the larger step size")
    return facts
