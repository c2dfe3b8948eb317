"""The harnesses of chapters 1-4: gradient descent, momentum, AdaGrad/AdaDec, RMSProp/Adadelta.

Each chapter cell makes one call here per result. A harness returns a :class:`Run`: the data a
figure draws (``data``), the values its prose quotes (``values``, glued by the chapter under these
names) and, where the chapter shows one, a ``table``. The settings that change with the scale sit
next to the harness that reads them (``*_SETTINGS``, keyed by scale). Training goes through the
book's one loop (:func:`optimlab.training.loop.fit`), 2-D paths through
:func:`optimlab.training.landscapes.trajectory`, MNIST comparisons through
:func:`optimlab.experiments.classifier.compare`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from optimbook.optim import SGD, AdaDec, Adadelta, AdaGrad, Momentum, Nesterov, RMSProp
from optimbook.optim.adadec import unit_power_decay
from optimlab.experiments.classifier import CONFIGS, compare
from optimlab.training.data import load_mnist, synthetic_regression
from optimlab.training.diagnostics import max_difference, record_applied_rates
from optimlab.training.landscapes import LANDSCAPES, quadratic, trajectory
from optimlab.training.loop import fit, log_steps
from optimlab.training.losses import cross_entropy, half_mse
from optimlab.training.models import LinearRegression, mlp

__all__ = [
    "Run", "paths", "final_value", "conformance", "final_epoch", "regimes", "epoch_times",
    "applied_rates", "rate_heavy_ball", "rate_nesterov", "rate", "Scheduled",
    # chapter 1
    "REGRESSION_SETTINGS", "MNIST_REGIME_SETTINGS", "EPOCH_TIME_SETTINGS",
    "regression_regimes", "mnist_regimes", "batch_size_timing",
    # chapter 2
    "BOWL", "KAPPA", "MOMENTUM_SETTINGS", "gradient_descent_on_bowl", "momentum_on_bowl", "rate_grid",
    "measured_rates", "nesterov_on_bowl", "lr_drop", "momentum_conformance", "momentum_mnist",
    # chapter 3
    "ADAGRAD_SETTINGS", "adagrad_conformance", "adagrad_on_bowls", "adagrad_adadec_rates",
    "adadec_cycle", "cycle_amplitude", "adagrad_adadec_mnist",
    # chapter 4
    "RMSPROP_SETTINGS", "rmsprop_conformance", "adaptive_on_bowl", "adagrad_rmsprop_rates",
    "masked_runs", "adadelta_eps", "rmsprop_mnist",
]


@dataclass
class Run:
    """What a harness returns: ``data`` for the figure, ``values`` for the prose, an optional ``table``."""

    data: Any
    values: dict[str, Any] = field(default_factory=dict)
    table: Any = None
    title: str = ""


def _seeds_phrase(seeds: Sequence[int]) -> str:
    return "one seed" if len(seeds) == 1 else f"mean of {len(seeds)} seeds"


# --------------------------------------------------------------------------------------------
# Shared pieces


def paths(
    makers: Mapping[str, Callable[[list[torch.Tensor]], Any]], f: Callable, start: Sequence[float], steps: int
) -> dict[str, torch.Tensor]:
    """``{name: trajectory(make, f, start, steps)}`` for every optimizer factory of ``makers``."""
    return {name: trajectory(make, f, start, steps) for name, make in makers.items()}


def final_value(path: torch.Tensor, f: Callable) -> float:
    """``f`` at the last finite point of ``path`` (a path that diverged stops before its NaNs)."""
    ok = torch.isfinite(path).all(dim=1)
    if not ok.any():
        raise ValueError("path has no finite point")
    return float(f(path[ok][-1]))


def conformance(pairs: Mapping[str, tuple[Callable, Callable]], steps: int = 25):
    """Largest parameter difference of each pair ``(ours, torch's)`` after ``steps`` lockstep steps
    (:func:`optimlab.training.diagnostics.max_difference`), as a one-column DataFrame."""
    import pandas as pd

    return pd.Series({label: max_difference(a, b, steps=steps) for label, (a, b) in pairs.items()},
                     name=f"max |θ_ours − θ_torch| after {steps} steps").rename_axis("comparison").to_frame()


def final_epoch(results):
    """The last epoch of :func:`~optimlab.experiments.classifier.compare`'s table, one row per label:
    the mean over seeds of the training loss, test loss and test accuracy, and with several seeds
    also their minimum and maximum (with one seed these equal the mean and are not shown)."""
    last = results[results.epoch == results.epoch.max()]
    metrics = ["train_loss", "test_loss", "test_accuracy"]
    grouped = last.groupby("label", sort=False)[metrics]
    if last["seed"].nunique() == 1:
        return grouped.mean().rename_axis("candidate")
    out = grouped.agg(["mean", "min", "max"])
    out.columns = [f"{metric} ({stat})" for metric, stat in out.columns]
    return out.rename_axis("candidate")


def _mnist(candidates: Mapping[str, Any], keys: Sequence[str], ch, settings: Mapping[str, Any], *,
           best_by: str | None = None, cache: bool = True) -> Run:
    """Run ``candidates`` with :func:`compare` at the chapter's scale; glue each final mean test
    accuracy and training loss as ``mnist_{key}_acc`` / ``mnist_{key}_loss``."""
    results = compare(candidates, scale=ch.scale, seeds=settings["seeds"], epochs=settings["epochs"],
                      device=ch.device, cache=cache)
    summary = final_epoch(results)
    mean = "" if "train_loss" in summary.columns else " (mean)"
    values: dict[str, Any] = {}
    for key, label in zip(keys, candidates):
        values[f"mnist_{key}_acc"] = float(summary.loc[label, f"test_accuracy{mean}"])
        values[f"mnist_{key}_loss"] = float(summary.loc[label, f"train_loss{mean}"])
    values["mnist_epochs"] = int(results.epoch.max())
    values["mnist_seeds"] = _seeds_phrase(settings["seeds"])
    if best_by == "train_loss":
        values["mnist_best"] = str(summary[f"train_loss{mean}"].idxmin())
    elif best_by == "test_accuracy":
        values["mnist_best"] = str(summary[f"test_accuracy{mean}"].idxmax())
    return Run(results, values, summary)


def regimes(
    make_model: Callable[[], torch.nn.Module],
    loss_fn: Callable,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_sizes: Mapping[str, int | None],
    lr: float,
    *,
    seed: int = 0,
    max_seconds: float | None = None,
    max_steps: int | None = None,
    evaluate: Callable | None = None,
    per_decade: int = 20,
):
    """Train a fresh ``make_model()`` with :class:`~optimbook.optim.SGD` once per regime
    (``{name: batch size}``, ``None`` = the whole data set) under the same budget (``max_seconds``
    and/or ``max_steps``); return ``(frame, models)``: the histories of
    :func:`~optimlab.training.loop.fit` stacked with columns ``regime`` and ``batch_size``, and the
    trained models by regime."""
    import pandas as pd

    if max_seconds is None and max_steps is None:
        raise ValueError("regimes needs a budget: max_seconds or max_steps")
    frames, models = [], {}
    for name, b in batch_sizes.items():
        torch.manual_seed(seed)
        model = make_model()
        size = len(x) if b is None else b
        hist = fit(model, loss_fn, SGD(model.parameters(), lr=lr), x, y, batch_size=size, epochs=10**9,
                   max_seconds=max_seconds, max_steps=max_steps, seed=seed, evaluate=evaluate,
                   eval_every=log_steps(per_decade=per_decade))
        frames.append(hist.to_frame().assign(regime=name, batch_size=size))
        models[name] = model
    return pd.concat(frames, ignore_index=True), models


def epoch_times(make_model: Callable[[], torch.nn.Module], loss_fn: Callable, x: torch.Tensor,
                y: torch.Tensor, batch_sizes: Sequence[int], lr: float, *, seed: int = 0):
    """Time one epoch of :func:`~optimlab.training.loop.fit` per batch size (after a warm-up step on
    one batch); one row per batch size: ``batch_size, seconds_per_epoch, updates,
    examples_per_second``. Batch sizes above ``len(x)`` are cut to ``len(x)``."""
    import pandas as pd

    rows = []
    for b in batch_sizes:
        b = min(int(b), len(x))
        model = make_model()
        opt = SGD(model.parameters(), lr=lr)
        fit(model, loss_fn, opt, x[:b], y[:b], batch_size=b, epochs=1, count_work=False)  # warm-up
        last = fit(model, loss_fn, opt, x, y, batch_size=b, epochs=1, seed=seed).records[-1]
        rows.append({"batch_size": b, "seconds_per_epoch": last["seconds"], "updates": last["step"],
                     "examples_per_second": len(x) / last["seconds"]})
    return pd.DataFrame(rows)


def applied_rates(runs: Mapping[str, tuple[type, Mapping[str, Any]]], x: torch.Tensor, y: torch.Tensor, *,
                  batch_size: int, epochs: int, seed: int = 0, hidden: int = 100):
    """Train the MLP 784-``hidden``-10 in float64 once per run ``{name: (optimizer class, kwargs)}``,
    recording the rate each step applied to a fixed sample of elements
    (:func:`~optimlab.training.diagnostics.record_applied_rates`). Returns ``(rates, losses)``:
    ``rates[name]`` an array ``[steps, elements]``, ``losses[name]`` the last epoch's mean batch loss."""
    x = x.double()
    rates, losses = {}, {}
    for name, (cls, kwargs) in runs.items():
        torch.manual_seed(seed)
        model = mlp(784, hidden, 10, seed=seed).to(device=x.device, dtype=torch.float64)
        opt = cls(model.parameters(), **kwargs)
        rows = record_applied_rates(opt)
        hist = fit(model, cross_entropy, opt, x, y, batch_size=batch_size, epochs=epochs, seed=seed)
        rates[name] = torch.stack(rows).numpy()
        losses[name] = hist.records[-1]["loss"]
    return rates, losses


class Scheduled:
    """An optimizer and a callback run after each of its steps, with the optimizer's interface as
    :func:`~optimlab.training.loop.train_step` uses it (``zero_grad``, ``step``), so that
    :func:`~optimlab.training.landscapes.trajectory` can drive a run whose setting changes on the way:
    ``after(step_count, optimizer)`` is called after every step (e.g. ``scheduler.step()``)."""

    def __init__(self, optimizer: torch.optim.Optimizer, after: Callable[[int, torch.optim.Optimizer], None]):
        self.optimizer, self.after, self.steps = optimizer, after, 0
        self.param_groups = optimizer.param_groups
        self.state = optimizer.state

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        self.optimizer.step()
        self.steps += 1
        self.after(self.steps, self.optimizer)


# --------------------------------------------------------------------------------------------
# Chapter 1: batch, stochastic and mini-batch gradient descent

#: The regression problem and each regime's time budget (s).
REGRESSION_SETTINGS = {"smoke": dict(m=5_000, d=20, budget=0.6), "paper": dict(m=20_000, d=50, budget=4.0)}
#: The MNIST subset and each regime's time budget (s).
MNIST_REGIME_SETTINGS = {"smoke": dict(fraction=0.02, budget=1.0), "paper": dict(fraction=1.0, budget=20.0)}
#: The batch sizes timed, and the MNIST subset.
EPOCH_TIME_SETTINGS = {
    "smoke": dict(sizes=(1, 8, 64, 512, 1200), fraction=0.02),
    "paper": dict(sizes=(1, 4, 16, 64, 256, 1024, 4096, 16384, 60000), fraction=1.0),
}
_KEYS = {"batch": "bgd", "stochastic": "sgd", "mini-batch": "mbgd"}


def _time_to(frame, column: str, level: float) -> float:
    """First wall time at which ``column`` is at or below ``level`` (NaN if never)."""
    hit = frame[frame[column] <= level]
    return float(hit["seconds"].iloc[0]) if len(hit) else math.nan


def regression_regimes(ch, *, lr: float = 0.002, rough: float = 1.0, fine: float = 1e-4,
                       max_steps: int | None = None, **override) -> Run:
    """Batch, stochastic (b = 1) and mini-batch (b = 32) gradient descent on a synthetic least-squares
    problem (:data:`REGRESSION_SETTINGS`), the same wall-time budget each (or ``max_steps``).
    ``data`` is the stacked history with the excess loss J(θ) − J(θ̂) over the exact least-squares
    floor; ``table`` one row per regime (updates, rate, final excess loss, distance to θ̂, time to
    ``rough`` and ``fine``)."""
    import pandas as pd

    s = {**REGRESSION_SETTINGS[ch.scale], **override}
    dev = ch.device
    x, y, _ = synthetic_regression(s["m"], s["d"], noise=0.5, condition=10.0, seed=ch.seed, dtype=torch.float64)
    x, y = x.to(dev), y.to(dev)
    x1 = torch.cat([torch.ones(len(x), 1, dtype=x.dtype), x.cpu()], dim=1)  # the intercept column x0 = 1
    theta_hat = torch.linalg.lstsq(x1, y.cpu().unsqueeze(1)).solution[:, 0]
    j_min = half_mse(x1 @ theta_hat, y.cpu()).item()

    def excess_loss(model):
        return {"excess_loss": half_mse(model(x), y).item() - j_min}

    frame, models = regimes(lambda: LinearRegression(s["d"]).to(device=dev, dtype=torch.float64), half_mse,
                            x, y, {"batch": None, "stochastic": 1, "mini-batch": 32}, lr, seed=ch.seed,
                            max_seconds=None if max_steps else s["budget"], max_steps=max_steps,
                            evaluate=excess_loss, per_decade=30)
    final = frame.groupby("regime", sort=False).tail(1).set_index("regime")
    rows = {}
    for r, model in models.items():
        theta = torch.cat([model.linear.bias.detach(), model.linear.weight.detach()[0]]).cpu()
        sub = frame[frame.regime == r]
        rows[r] = {"updates": int(final.loc[r, "step"]),
                   "updates per second": final.loc[r, "step"] / final.loc[r, "seconds"],
                   "final excess loss": final.loc[r, "excess_loss"], "‖θ − θ̂‖": (theta - theta_hat).norm().item(),
                   f"time to {rough:g} (s)": _time_to(sub, "excess_loss", rough),
                   f"time to {fine:g} (s)": _time_to(sub, "excess_loss", fine)}
    reach = pd.DataFrame.from_dict(rows, orient="index").rename_axis("regime")
    values: dict[str, Any] = {}
    for r, key in _KEYS.items():
        values[f"reg_{key}_excess"] = float(reach.loc[r, "final excess loss"])
        values[f"reg_{key}_steps"] = int(reach.loc[r, "updates"])
        values[f"reg_{key}_rate"] = float(reach.loc[r, "updates per second"])
        seconds = reach.loc[r, f"time to {rough:g} (s)"]
        values[f"reg_{key}_rough"] = (f"{seconds:.2f} s" if pd.notna(seconds)
                                      else f"more than its budget of {s['budget']} s")
    reached = [r for r in reach.index if pd.notna(reach.loc[r, f"time to {fine:g} (s)"])]
    values.update(
        reg_bgd_dist=float(reach.loc["batch", "‖θ − θ̂‖"]),
        reg_full_cost=float(reach.loc["stochastic", "updates per second"]
                            / reach.loc["batch", "updates per second"]),
        reg_m=f"{len(x):,}", reg_d=s["d"],
        reg_budget=s["budget"], reg_rough=rough, reg_fine=fine, reg_lr=lr,
        reg_fine_reached_by=(f"was reached within the budget by {' and '.join(reached)}" if reached
                             else "was reached by none of the regimes within the budget"))
    return Run(frame, values, reach)


def mnist_regimes(ch, *, lr: float = 0.05, max_steps: int | None = None, **override) -> Run:
    """The three regimes (b = all, 1, 100) training the MLP 784-100-10 on an MNIST subset
    (:data:`MNIST_REGIME_SETTINGS`) under the same time budget (or ``max_steps``); ``data`` the
    stacked history with the cross-entropy on the whole subset (``train_loss``)."""
    s = {**MNIST_REGIME_SETTINGS[ch.scale], **override}
    xm, ym = load_mnist("train", fraction=s["fraction"], seed=ch.seed, device=ch.device)

    def train_loss(model):
        return {"train_loss": cross_entropy(model(xm), ym).item()}

    frame, _ = regimes(lambda: mlp(784, 100, 10, seed=ch.seed).to(ch.device), cross_entropy, xm, ym,
                       {"batch": None, "stochastic": 1, "mini-batch": 100}, lr, seed=ch.seed,
                       max_seconds=None if max_steps else s["budget"], max_steps=max_steps,
                       evaluate=train_loss, per_decade=15)
    final = frame.groupby("regime", sort=False).tail(1).set_index("regime")
    values: dict[str, Any] = {"mnist_n": f"{len(xm):,}", "mnist_budget": s["budget"], "mnist_lr": lr,
                              "mnist_best": str(final["train_loss"].idxmin())}
    for r, key in _KEYS.items():
        values[f"mnist_{key}_loss"] = float(final.loc[r, "train_loss"])
        values[f"mnist_{key}_steps"] = int(final.loc[r, "step"])
        values[f"mnist_{key}_epochs"] = float(final.loc[r, "epoch"])
    return Run(frame, values)


def batch_size_timing(ch, *, lr: float = 0.05, **override) -> Run:
    """One epoch of the MLP per batch size of :data:`EPOCH_TIME_SETTINGS` (:func:`epoch_times`)."""
    s = {**EPOCH_TIME_SETTINGS[ch.scale], **override}
    xt, yt = load_mnist("train", fraction=s["fraction"], seed=ch.seed, device=ch.device)
    timing = epoch_times(lambda: mlp(784, 100, 10, seed=ch.seed).to(ch.device), cross_entropy, xt, yt,
                         s["sizes"], lr, seed=ch.seed)
    first, best = timing.iloc[0], timing.loc[timing["seconds_per_epoch"].idxmin()]
    values = {"time_b1": float(first["seconds_per_epoch"]), "time_b1_size": int(first["batch_size"]),
              "time_best": float(best["seconds_per_epoch"]), "time_best_b": int(best["batch_size"]),
              "time_ratio": float(first["seconds_per_epoch"] / best["seconds_per_epoch"]),
              "timing_device": str(ch.device), "timing_threads": torch.get_num_threads(),
              "timing_n": f"{len(xt):,}"}
    return Run(timing, values)


# --------------------------------------------------------------------------------------------
# Chapter 2: momentum and Nesterov

#: The book's ill-conditioned quadratic bowl (rotated 30°) and its condition number.
BOWL = LANDSCAPES["quadratic"]
KAPPA = 50.0
_ELL, _L = 1.0, KAPPA  # the bowl's two curvatures: the eigenvalues of its Hessian

#: MNIST seeds and epochs (None: the classifier's default), the slice's points and fit steps.
MOMENTUM_SETTINGS = {
    "smoke": dict(seeds=(0,), epochs=None, slice_points=12, rate_steps=(100, 200)),
    "paper": dict(seeds=(0, 1, 2), epochs=5, slice_points=40, rate_steps=(200, 400)),
}


def _largest_root(a, b):
    """Largest modulus of the roots of z² − a z + b = 0 (arrays broadcast)."""
    disc = np.sqrt(np.asarray(a) ** 2 - 4 * np.asarray(b) + 0j)
    return np.maximum(abs((a + disc) / 2), abs((a - disc) / 2))


def rate_heavy_ball(eta_lam, mu):
    """Largest root modulus of z² − (1 + μ − ηλ) z + μ = 0 (eq-mom-char)."""
    return _largest_root(1 + mu - eta_lam, mu + 0 * eta_lam)


def rate_nesterov(eta_lam, mu):
    """Largest root modulus of z² − (1 + μ)(1 − ηλ) z + μ(1 − ηλ) = 0 (eq-nag-char)."""
    return _largest_root((1 + mu) * (1 - eta_lam), mu * (1 - eta_lam))


def rate(kind: str, eta, mu, ell: float = _ELL, L: float = _L):
    """Convergence rate per step on a quadratic with curvatures in [ell, L]: the worse of the two ends
    (``kind`` "momentum" or "Nesterov")."""
    if kind not in ("momentum", "Nesterov"):
        raise ValueError(f"kind must be 'momentum' or 'Nesterov', got {kind!r}")
    fn = rate_heavy_ball if kind == "momentum" else rate_nesterov
    return np.maximum(fn(np.asarray(eta) * ell, mu), fn(np.asarray(eta) * L, mu))


def _key(mu: float) -> str:
    """A glue-name suffix for μ: 0 → "0", 0.5 → "05", 0.9 → "09"."""
    return f"{mu:g}".replace(".", "")


def _momentum(cls, lr, mu, form="torch"):
    return lambda p: cls(p, lr=lr, momentum=mu, form=form)


def gradient_descent_on_bowl(etas: Sequence[float] = (0.01, 0.038), steps: int = 60) -> Run:
    """Gradient descent on :data:`BOWL` with a small and an edge-of-stability step size."""
    small, edge = etas
    found = paths({f"η = {eta}": (lambda p, eta=eta: SGD(p, lr=eta)) for eta in etas}, BOWL.f, BOWL.start, steps)
    best = (KAPPA - 1) / (KAPPA + 1)
    values = {"kappa": KAPPA, "gd_rate_best": best, "gd_rate_gain": 1 - best, "gd_eta_limit": 2 / _L,
              "gd_final_small": final_value(found[f"η = {small}"], BOWL.f),
              "gd_final_edge": final_value(found[f"η = {edge}"], BOWL.f),
              "eta_small": small, "eta_edge": edge, "gd_steps": steps}
    return Run(found, values, title=f"gradient descent, {steps} steps")


def momentum_on_bowl(eta: float = 0.01, mus: Sequence[float] = (0.0, 0.5, 0.9), steps: int = 60) -> Run:
    """Momentum on :data:`BOWL` at step size ``eta`` for each μ of ``mus``, and at Polyak's optimum
    (eq-mom-optimum; the last entry of ``data``)."""
    eta_star = 4 / (math.sqrt(_L) + math.sqrt(_ELL)) ** 2
    mu_star = ((math.sqrt(KAPPA) - 1) / (math.sqrt(KAPPA) + 1)) ** 2
    runs = {f"μ = {mu}": (eta, mu) for mu in mus}
    runs[f"optimum (η = {eta_star:.3f}, μ = {mu_star:.3f})"] = (eta_star, mu_star)
    found = paths({name: _momentum(Momentum, e, m) for name, (e, m) in runs.items()}, BOWL.f, BOWL.start, steps)
    finals = [final_value(path, BOWL.f) for path in found.values()]
    values = {f"mom_final_{_key(mu)}": v for mu, v in zip(mus, finals)}
    values.update({f"rate_mu{_key(mu)}": float(rate("momentum", eta, mu)) for mu in mus})
    values.update(mom_final_opt=finals[-1], eta_star=eta_star, mu_star=mu_star, rho_star=math.sqrt(mu_star))
    return Run(found, values, title=f"momentum, η = {eta}, {steps} steps")


def rate_grid(etas=None, mus=None) -> Run:
    """The rate of momentum and Nesterov on :data:`BOWL` over a grid of step sizes and momenta:
    ``data = {"eta": E, "mu": M, "momentum": R, "Nesterov": R}`` (meshgrids)."""
    etas = np.linspace(1e-4, 4.2 / _L, 400) if etas is None else np.asarray(etas)
    mus = np.linspace(0.0, 0.99, 300) if mus is None else np.asarray(mus)
    E, M = np.meshgrid(etas, mus)
    data = {"eta": E, "mu": M, "momentum": rate("momentum", E, M), "Nesterov": rate("Nesterov", E, M), "L": _L}
    values = {"hb_best_rate": float(data["momentum"].min()), "nag_best_rate": float(data["Nesterov"].min()),
              "nag_limit_mu09": 2 * 1.9 / 2.8, "hb_limit_mu09": 2 * 1.9}
    return Run(data, values)


def measured_rates(ch, eta: float = 0.01, window: int = 70, **override) -> Run:
    """Fit the rate of :class:`Momentum` and :class:`Nesterov` on :data:`BOWL` from the envelope of
    the distance to the minimum (the largest over ``window`` steps ending at t1 and at t2), for
    ``slice_points`` values of μ in [0, 0.95] (:data:`MOMENTUM_SETTINGS`); one row per (method, μ)
    with the measured and the theoretical rate."""
    import pandas as pd

    s = {**MOMENTUM_SETTINGS[ch.scale], **override}
    t1, t2 = s["rate_steps"]
    rows = []
    for kind, cls in (("momentum", Momentum), ("Nesterov", Nesterov)):
        for mu in np.linspace(0.0, 0.95, s["slice_points"]):
            norms = trajectory(_momentum(cls, eta, float(mu)), BOWL.f, BOWL.start, t2).norm(dim=1)
            n1, n2 = norms[t1 - window + 1: t1 + 1].max().item(), norms[t2 - window + 1: t2 + 1].max().item()
            rows.append({"method": kind, "mu": float(mu), "measured": (n2 / n1) ** (1 / (t2 - t1)),
                         "theory": float(rate(kind, eta, mu))})
    frame = pd.DataFrame(rows)
    gap = (frame["measured"] - frame["theory"]).abs()
    values = {"rate_gap_max": float(gap.max()), "rate_gap_max_mu": float(frame.loc[gap.idxmax(), "mu"]),
              "rate_gap_median": float(gap.median()), "slice_theory_mu": (1 - math.sqrt(eta * _ELL)) ** 2,
              "window": window, "t1": t1, "t2": t2}
    return Run(frame, values)


def nesterov_on_bowl(etas: Sequence[float] = (0.02, 0.035), mu: float = 0.9, steps: int = 40) -> Run:
    """Momentum and Nesterov with momentum ``mu`` on :data:`BOWL` at two step sizes."""
    small, large = etas
    runs = {f"{name}, η = {eta}": _momentum(cls, eta, mu) for eta in etas
            for name, cls in (("momentum", Momentum), ("Nesterov", Nesterov))}
    found = paths(runs, BOWL.f, BOWL.start, steps)
    values = {"nag_mom002": final_value(found[f"momentum, η = {small}"], BOWL.f),
              "nag_nag002": final_value(found[f"Nesterov, η = {small}"], BOWL.f),
              "nag_mom0035": final_value(found[f"momentum, η = {large}"], BOWL.f),
              "nag_nag0035": final_value(found[f"Nesterov, η = {large}"], BOWL.f),
              "nag_steps": steps, "eta_L_0035": large * _L, "nag_f0": float(BOWL.f(torch.tensor(BOWL.start))),
              "nag_mom0035_rate": float(rate("momentum", large, mu))}
    return Run(found, values, title=f"μ = {mu}, {steps} steps")


def _drop(at: int, gamma: float = 0.1):
    """A factory wrapping an optimizer so that torch's ``MultiStepLR`` divides its rate at step ``at``."""

    def make(opt):
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[at], gamma=gamma)
        return Scheduled(opt, lambda t, o: sched.step())

    return make


def lr_drop(eta: float = 0.02, drop_at: int = 15, steps: int = 60, mu: float = 0.9) -> Run:
    """Both forms of :class:`Momentum` and :class:`Nesterov` on :data:`BOWL` when the learning rate
    falls tenfold after ``drop_at`` steps (torch's ``MultiStepLR``); ``data = {"drop": {(class
    name, form): path}, "constant": {form: path}}`` (the latter: momentum without the drop)."""
    forms = ("torch", "sutskever")
    wrap = _drop(drop_at)
    drop = {(cls.__name__, form): trajectory(lambda p, c=cls, f=form: wrap(c(p, lr=eta, momentum=mu, form=f)),
                                             BOWL.f, BOWL.start, steps)
            for cls in (Momentum, Nesterov) for form in forms}
    constant = {form: trajectory(_momentum(Momentum, eta, mu, form), BOWL.f, BOWL.start, steps) for form in forms}

    def ratio(path):
        lengths = (path[1:] - path[:-1]).norm(dim=1)
        return (lengths[drop_at] / lengths[drop_at - 1]).item()

    final = {key: final_value(path, BOWL.f) for key, path in drop.items()}
    values = {
        "forms_diff_constant": (constant["torch"] - constant["sutskever"]).abs().max().item(),
        "forms_diff_before": max((drop[(n, "torch")][: drop_at + 1] - drop[(n, "sutskever")][: drop_at + 1])
                                 .abs().max().item() for n in ("Momentum", "Nesterov")),
        "drop_ratio_torch": ratio(drop[("Momentum", "torch")]),
        "drop_ratio_sutskever": ratio(drop[("Momentum", "sutskever")]),
        "drop_final_torch": final[("Momentum", "torch")], "drop_final_sutskever": final[("Momentum", "sutskever")],
        "drop_final_torch_nag": final[("Nesterov", "torch")],
        "drop_final_sutskever_nag": final[("Nesterov", "sutskever")],
        "drop_lower": "torch's" if final[("Momentum", "torch")] < final[("Momentum", "sutskever")] else "Sutskever's",
        "drop_at": drop_at, "drop_steps": steps, "eta_drop": eta}
    return Run({"drop": drop, "constant": constant}, values)


def momentum_conformance() -> Run:
    """:class:`SGD`, :class:`Momentum` and :class:`Nesterov` against ``torch.optim.SGD``."""
    table = conformance({
        "SGD": (lambda p: SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
        "Momentum": (lambda p: Momentum(p, lr=0.05, momentum=0.9),
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
        "Nesterov": (lambda p: Nesterov(p, lr=0.05, momentum=0.9),
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    })
    worst = float(table.iloc[:, 0].max())
    return Run(None, {"check_max_diff": worst,
                      "check_verdict": "bitwise identical" if worst == 0 else "equal to rounding"}, table)


def momentum_mnist(ch, *, cache: bool = True) -> Run:
    """SGD (η = 0.1), momentum 0.9 with η = 0.01 and 0.1, Nesterov 0.9 with η = 0.1 on the MNIST
    classifier (:data:`MOMENTUM_SETTINGS`' seeds and epochs)."""
    candidates = {
        "SGD, η = 0.1": (SGD, {"lr": 0.1}),
        "momentum 0.9, η = 0.01": (Momentum, {"lr": 0.01, "momentum": 0.9}),
        "momentum 0.9, η = 0.1": (Momentum, {"lr": 0.1, "momentum": 0.9}),
        "Nesterov 0.9, η = 0.1": (Nesterov, {"lr": 0.1, "momentum": 0.9}),
    }
    run = _mnist(candidates, ("sgd", "mom_small", "mom", "nag"), ch, MOMENTUM_SETTINGS[ch.scale],
                 best_by="train_loss", cache=cache)
    run.values["mnist_mom_vs_sgd"] = "below" if run.values["mnist_mom_loss"] < run.values["mnist_sgd_loss"] else "above"
    return run


# --------------------------------------------------------------------------------------------
# Chapter 3: AdaGrad and AdaDec

#: MNIST seeds and epochs; the float64 runs whose applied rates are recorded (data fraction,
#: epochs, batch size).
ADAGRAD_SETTINGS = {
    "smoke": dict(seeds=(0,), epochs=None, rate_fraction=0.02, rate_epochs=3, rate_batch=50),
    "paper": dict(seeds=(0, 1, 2), epochs=4, rate_fraction=0.1, rate_epochs=5, rate_batch=100),
}


def adagrad_conformance() -> Run:
    """:class:`AdaGrad` (He & Li's and torch's constants) and the AdaGrad special case of
    :class:`AdaDec` against ``torch.optim.Adagrad``."""
    table = conformance({
        "AdaGrad(lr=0.1, K=1, eps=0) vs Adagrad(lr=0.1, initial_accumulator_value=1, eps=0)":
            (lambda p: AdaGrad(p, lr=0.1, K=1.0, eps=0.0),
             lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=1.0, eps=0.0)),
        "AdaGrad() vs Adagrad() (defaults)": (lambda p: AdaGrad(p), lambda p: torch.optim.Adagrad(p)),
        "AdaDec(lr=0.1, K=1, xi=1, q=0, recursive=True) vs Adagrad(lr=0.1, initial_accumulator_value=1, eps=0)":
            (lambda p: AdaDec(p, lr=0.1, K=1.0, xi=1.0, q=0.0, total_steps=25, recursive=True),
             lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=1.0, eps=0.0)),
    })
    diffs = table.iloc[:, 0].tolist()
    return Run(None, {"check_adagrad": max(diffs[:2]), "check_adadec_special": diffs[2]}, table)


_ALIGNED = functools.partial(quadratic, angle=0.0)


def adagrad_on_bowls(steps: int = 100) -> Run:
    """Gradient descent (η = 0.035) and AdaGrad (η(0) = 0.5, K = 1) on the bowl with its axes along
    the coordinates and rotated by 30°; ``data = {"bowls": {name: f}, "paths": {(bowl, method): path}}``."""
    bowls = {"axis-aligned": _ALIGNED, "rotated 30°": BOWL.f}
    makers = {"gradient descent, η = 0.035": lambda p: SGD(p, lr=0.035),
              "AdaGrad, η(0) = 0.5, K = 1": lambda p: AdaGrad(p, lr=0.5, K=1.0, eps=0.0)}
    found = {(bowl, name): trajectory(make, f, BOWL.start, steps)
             for bowl, f in bowls.items() for name, make in makers.items()}
    final = {key: final_value(path, bowls[key[0]]) for key, path in found.items()}
    gd, ada = makers
    values = {"bowl_gd_aligned": final[("axis-aligned", gd)], "bowl_ada_aligned": final[("axis-aligned", ada)],
              "bowl_gd_rotated": final[("rotated 30°", gd)], "bowl_ada_rotated": final[("rotated 30°", ada)],
              "bowl_steps": steps}
    return Run({"bowls": bowls, "paths": found}, values)


def _percentile(a, q) -> float:
    return float(np.nanpercentile(a, q))


def _jumps(A) -> np.ndarray:
    """Per step, the median over elements of |Δ log η_eff| (the change of each element's rate)."""
    return np.nanmedian(np.abs(np.diff(np.log(A), axis=0)), axis=1)


def adagrad_adadec_rates(ch, **override) -> Run:
    """The rates applied per element of the MLP (float64, :data:`ADAGRAD_SETTINGS`) by AdaGrad with
    K = 1 and with He & Li's K moved to the averaged loss (K = 1/N²), and by both forms of AdaDec.
    ``data``: ``rates`` by name, ``names`` in order, ``steps``, ``ceiling`` (AdaGrad's η(0)/√K) and
    ``adadec_ceiling`` (p(t)/√K per step); ``table`` the final training losses."""
    import pandas as pd

    s = {**ADAGRAD_SETTINGS[ch.scale], **override}
    xr, yr = load_mnist("train", fraction=s["rate_fraction"], seed=ch.seed, device=ch.device)
    b = s["rate_batch"]
    steps = math.ceil(len(xr) / b) * s["rate_epochs"]
    K = 1.0 / b**2  # He & Li's K = 1 on a summed loss, moved to our averaged loss
    runs = {
        "AdaGrad, K = 1, η(0) = 0.1": (AdaGrad, dict(lr=0.1, K=1.0, eps=0.0)),
        f"AdaGrad, K = 1/{b}², η(0) = 0.01": (AdaGrad, dict(lr=0.01, K=K, eps=0.0)),
        f"AdaDec as printed, K = 1/{b}², η(0) = 0.01": (AdaDec, dict(lr=0.01, K=K, total_steps=steps)),
        f"AdaDec recursive, K = 1/{b}², η(0) = 0.01": (AdaDec, dict(lr=0.01, K=K, total_steps=steps,
                                                                  recursive=True)),
    }
    rates, losses = applied_rates(runs, xr, yr, batch_size=b, epochs=s["rate_epochs"], seed=ch.seed)
    names = list(runs)
    ceiling = 0.01 / math.sqrt(K)
    decay = unit_power_decay(steps, 0.75)
    adadec_ceiling = ceiling * np.array([decay(t) for t in range(steps)])
    k1, kn, printed, recursive = (rates[n] for n in names)
    last = slice(-max(1, steps // 10), None)  # the last tenth of the run

    def mean_jump(A):
        return float(np.nanmean(_jumps(A)[last]))

    values = {
        "K1_median_last": _percentile(k1[-1], 50), "K1_p10_last": _percentile(k1[-1], 10),
        "Kn_median_first": _percentile(kn[0], 50), "Kn_median_last": _percentile(kn[-1], 50),
        "Kn_p10_last": _percentile(kn[-1], 10), "Kn_p90_last": _percentile(kn[-1], 90),
        "Kn_ceiling": ceiling, "rate_steps": steps, "rate_batch": b, "rate_images": f"{len(xr):,}",
        "dec_printed_median": float(np.nanmedian(printed[last])),
        "dec_recursive_median": float(np.nanmedian(recursive[last])),
        "dec_printed_p10": _percentile(printed[-1], 10), "dec_recursive_p10": _percentile(recursive[-1], 10),
        "dec_ceiling_last": float(adadec_ceiling[-1]),
        "dec_printed_jump": mean_jump(printed), "dec_recursive_jump": mean_jump(recursive),
        "dec_jump_ratio": mean_jump(printed) / mean_jump(recursive),
        "dec_adagrad_median": float(np.nanmedian(kn[last])),
        "dec_memory_phrase": "all of them" if steps <= 1000 else "about the last thousand of them",
    }
    values["dec_printed_ceiling_ratio"] = values["dec_printed_median"] / values["dec_ceiling_last"]
    values["dec_recursive_vs_printed"] = (
        "lower" if values["dec_recursive_median"] < values["dec_printed_median"] else "higher")
    values.update({f"{key}_loss": losses[n] for n, key in zip(names, ("ada_K1", "ada_Kn", "dec_printed",
                                                                     "dec_recursive"))})
    table = pd.DataFrame({"final training loss (last epoch's mean)": losses}).rename_axis("run")
    data = {"rates": rates, "names": names, "steps": steps, "ceiling": ceiling, "adadec_ceiling": adadec_ceiling}
    return Run(data, values, table)


def cycle_amplitude(p, lam: float, K: float = 1.0, xi: float = 0.999):
    """The amplitude |θ| of AdaDec's two-step cycle on f = ½λθ² (eq-ada-cycle) for the numerator
    ``p`` (array): √(max((pλ/2)² − K, 0) / (1 + ξ)) / λ (zero where no cycle exists)."""
    p = np.asarray(p, dtype=float)
    return np.sqrt(np.maximum((p * lam / 2) ** 2 - K, 0) / (1 + xi)) / lam


def adadec_cycle(lr: float = 0.3, R: int = 100) -> Run:
    """Both forms of :class:`AdaDec` (the paper's ξ, K, q; ``total_steps = R``) on the axis-aligned
    bowl for ``R`` steps; ``data = {"paths": {form: path}, "amplitude": predicted cycle amplitude
    per step, "f": the bowl}``."""
    found = {form: trajectory(lambda p, rec=rec: AdaDec(p, lr=lr, total_steps=R, recursive=rec),
                              _ALIGNED, BOWL.start, R)
             for form, rec in (("as printed", False), ("recursive", True))}
    decay = unit_power_decay(R, 0.75)
    amplitude = cycle_amplitude(lr * np.array([decay(t) for t in range(R)]), lam=KAPPA)
    printed, recursive = found["as printed"], found["recursive"]
    values = {"cycle_measured": printed[-10:, 1].abs().mean().item(),
              "cycle_predicted": float(amplitude[-10:].mean()),
              "cycle_x_printed": abs(printed[-1, 0].item()), "cycle_x_recursive": abs(recursive[-1, 0].item()),
              "cycle_f_printed": final_value(printed, _ALIGNED), "cycle_f_recursive": final_value(recursive, _ALIGNED)}
    return Run({"paths": found, "amplitude": amplitude, "f": _ALIGNED}, values)


def adagrad_adadec_mnist(ch, *, cache: bool = True) -> Run:
    """AdaGrad with K = 1 and K = 1/N², and both forms of AdaDec (K = 1/N², R the run's length) on
    the MNIST classifier (:data:`ADAGRAD_SETTINGS`' seeds and epochs)."""
    s = ADAGRAD_SETTINGS[ch.scale]
    cc = CONFIGS[ch.scale]
    epochs = s["epochs"] or cc.epochs
    R = math.ceil(round(cc.train_fraction * 60_000) / cc.batch_size) * epochs
    K = 1.0 / cc.batch_size**2
    candidates = {
        "AdaGrad, K = 1, η(0) = 0.1": (AdaGrad, {"lr": 0.1, "K": 1.0, "eps": 0.0}),
        "AdaGrad, K = 1/N², η(0) = 0.01": (AdaGrad, {"lr": 0.01, "K": K, "eps": 0.0}),
        "AdaDec as printed, K = 1/N²": (AdaDec, {"lr": 0.01, "K": K, "total_steps": R}),
        "AdaDec recursive, K = 1/N²": (AdaDec, {"lr": 0.01, "K": K, "total_steps": R, "recursive": True}),
    }
    run = _mnist(candidates, ("K1", "Kn", "printed", "recursive"), ch, s, best_by="train_loss", cache=cache)
    run.values["mnist_N"] = cc.batch_size
    return run


# --------------------------------------------------------------------------------------------
# Chapter 4: RMSProp and Adadelta

#: MNIST seeds and epochs; the float64 runs whose applied rates are recorded.
RMSPROP_SETTINGS = {
    "smoke": dict(seeds=(0,), epochs=None, rate_fraction=0.02, rate_epochs=3, rate_batch=50),
    "paper": dict(seeds=(0, 1, 2), epochs=4, rate_fraction=0.1, rate_epochs=10, rate_batch=100),
}


def rmsprop_conformance() -> Run:
    """:class:`RMSProp` and :class:`Adadelta` against torch's, with torch's and the sources' constants."""
    table = conformance({
        "RMSProp() vs RMSprop() (torch defaults)": (lambda p: RMSProp(p), lambda p: torch.optim.RMSprop(p)),
        "RMSProp(lr=0.01, alpha=0.9, eps=1e-7) vs RMSprop(same)  (MindSpore constants)":
            (lambda p: RMSProp(p, lr=0.01, alpha=0.9, eps=1e-7),
             lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-7)),
        "Adadelta() vs Adadelta() (torch defaults)": (lambda p: Adadelta(p), lambda p: torch.optim.Adadelta(p)),
        "Adadelta(rho=0.95) vs Adadelta(rho=0.95)  (Zeiler's constants)":
            (lambda p: Adadelta(p, rho=0.95), lambda p: torch.optim.Adadelta(p, rho=0.95)),
    })
    diffs = table.iloc[:, 0].tolist()
    return Run(None, {"check_rmsprop": max(diffs[:2]), "check_adadelta": max(diffs[2:])}, table)


def _step_lengths(path: torch.Tensor) -> torch.Tensor:
    return (path[1:] - path[:-1]).norm(dim=1)


def adaptive_on_bowl(steps: int = 300, lr: float = 0.05) -> Run:
    """AdaGrad (η = 0.5) and RMSProp (η = ``lr``) with MindSpore's and torch's constants on :data:`BOWL`."""
    runs = {
        "AdaGrad, η = 0.5": lambda p: AdaGrad(p, lr=0.5),
        f"RMSProp, η = {lr}, γ = 0.9, δ = 1e-7 (MindSpore)": lambda p: RMSProp(p, lr=lr, alpha=0.9, eps=1e-7),
        f"RMSProp, η = {lr}, γ = 0.99, δ = 1e-8 (torch)": lambda p: RMSProp(p, lr=lr, alpha=0.99, eps=1e-8),
    }
    found = paths(runs, BOWL.f, BOWL.start, steps)
    ada, ms, th = found.values()
    values = {"bowl_final_adagrad": final_value(ada, BOWL.f), "bowl_final_ms": final_value(ms, BOWL.f),
              "bowl_final_torch": final_value(th, BOWL.f), "bowl_min_ms": float(BOWL.f(ms).min()),
              "bowl_laststep_ms": _step_lengths(ms)[-1].item(), "bowl_laststep_adagrad": _step_lengths(ada)[-1].item(),
              "first_step_ms": _step_lengths(ms)[0].item(), "first_step_torch": _step_lengths(th)[0].item(),
              "first_step_ms_theory": lr * math.sqrt(2) / math.sqrt(1 - 0.9),
              "first_step_torch_theory": lr * math.sqrt(2) / math.sqrt(1 - 0.99), "bowl_steps": steps}
    return Run(found, values, title=f"{steps} steps")


def adagrad_rmsprop_rates(ch, **override) -> Run:
    """The rates AdaGrad and RMSProp (MindSpore's and torch's constants), all with η = 0.001, apply
    per element of the MLP (float64, :data:`RMSPROP_SETTINGS`); ``data`` = ``{"rates", "steps"}``."""
    s = {**RMSPROP_SETTINGS[ch.scale], **override}
    xr, yr = load_mnist("train", fraction=s["rate_fraction"], seed=ch.seed, device=ch.device)
    b = s["rate_batch"]
    steps = math.ceil(len(xr) / b) * s["rate_epochs"]
    runs = {
        "AdaGrad, η = 0.001": (AdaGrad, dict(lr=0.001)),
        "RMSProp, η = 0.001, γ = 0.9 (MindSpore)": (RMSProp, dict(lr=0.001, alpha=0.9, eps=1e-7)),
        "RMSProp, η = 0.001, γ = 0.99 (torch)": (RMSProp, dict(lr=0.001, alpha=0.99, eps=1e-8)),
    }
    rates, _ = applied_rates(runs, xr, yr, batch_size=b, epochs=s["rate_epochs"], seed=ch.seed)
    quarter = max(1, steps // 4)
    ada, ms, th = (np.nanmedian(A, axis=1) for A in rates.values())
    values = {"ada_rate_drop": float(ada[quarter - 1] / ada[-1]), "rms_rate_drop": float(th[quarter - 1] / th[-1]),
              "rms09_rate_drop": float(ms[quarter - 1] / ms[-1]), "ada_rate_last": float(ada[-1]),
              "rms_rate_last": float(th[-1]), "rms09_rate_last": float(ms[-1]), "quarter": quarter,
              "rate_steps": steps, "time_ratio": steps / quarter}
    return Run({"rates": rates, "steps": steps}, values)


def masked_runs(phase: int = 30, total: int = 120, lr: float = 0.05) -> Run:
    """RMSProp (MindSpore's constants) on :data:`BOWL` with y frozen for the first ``phase`` steps
    three ways: ``set_mask`` (the average sees every gradient), a gradient hook (the average sees
    the masked gradient) and no mask. ``data[how] = (path [total + 1, 2], square_avg [total, 2])``."""
    mask = torch.tensor([1.0, 0.0], dtype=torch.float64)

    def run(how):
        averages, hooks = [], []

        def after(t, opt):
            z = opt.param_groups[0]["params"][0]
            if t == phase and how == "set_mask":
                opt.set_mask(z, None)
            if t == phase and hooks:
                hooks.pop().remove()
            averages.append(opt.state[z]["square_avg"].clone())

        def make(params):
            opt = RMSProp(params, lr=lr, alpha=0.9, eps=1e-7)
            if how == "set_mask":
                opt.set_mask(params[0], mask)
            elif how == "gradient hook":
                hooks.append(params[0].register_hook(lambda g: g * mask))
            return Scheduled(opt, after)

        path = trajectory(make, BOWL.f, BOWL.start, total)
        return path, torch.stack(averages)

    found = {how: run(how) for how in ("set_mask", "gradient hook", "no mask")}
    sm_path, sm_avg = found["set_mask"]
    hk_path, hk_avg = found["gradient hook"]
    values = {"mask_y_moved": (sm_path[: phase + 1, 1] - sm_path[0, 1]).abs().max().item(),
              "mask_v_y": sm_avg[phase - 1, 1].item(), "hook_v_y": hk_avg[phase - 1, 1].item(),
              "mask_first_y_step": abs((sm_path[phase + 1, 1] - sm_path[phase, 1]).item()),
              "hook_first_y_step": abs((hk_path[phase + 1, 1] - hk_path[phase, 1]).item()),
              "empty_step_theory": lr / math.sqrt(1 - 0.9), "phase": phase}
    return Run(found, values)


def adadelta_eps(eps_values: Sequence[float] = (1e-6, 1e-4, 1e-2), steps: int = 300, rho: float = 0.9) -> Run:
    """:class:`Adadelta` (ρ = ``rho``) on :data:`BOWL` for each ε of ``eps_values``."""
    found = {eps: trajectory(lambda p, eps=eps: Adadelta(p, rho=rho, eps=eps), BOWL.f, BOWL.start, steps)
             for eps in eps_values}
    values: dict[str, Any] = {}
    for eps, path in found.items():
        key = f"{-math.log10(eps):.0f}"
        values[f"dd_first_{key}"] = _step_lengths(path)[0].item()
        values[f"dd_final_{key}"] = final_value(path, BOWL.f)
        values[f"dd_min_{key}"] = float(np.nanmin(BOWL.f(path).numpy()))
    first = found[eps_values[0]]
    values.update(dd_first_6_theory=math.sqrt(2) * math.sqrt(eps_values[0] / (1 - rho)),
                  dd_last_6=_step_lengths(first)[-1].item(),
                  dd_last_6_theory=math.sqrt(2) * math.sqrt(eps_values[0] * (1 + (1 - rho) * (steps - 1))),
                  dd_steps=steps)
    return Run(found, values, title=f"Adadelta, ρ = {rho}, {steps} steps")


def rmsprop_mnist(ch, *, cache: bool = True) -> Run:
    """AdaGrad (torch's constants), RMSProp with torch's and MindSpore's constants (η = 0.001) and
    Adadelta (torch's defaults) on the MNIST classifier (:data:`RMSPROP_SETTINGS`' seeds and epochs)."""
    candidates = {
        "AdaGrad, η = 0.01": (AdaGrad, {"lr": 0.01}),
        "RMSProp, η = 0.001, torch (γ = 0.99, δ = 1e-8)": (RMSProp, {"lr": 0.001}),
        "RMSProp, η = 0.001, MindSpore (γ = 0.9, δ = 1e-7)": (RMSProp, {"lr": 0.001, "alpha": 0.9, "eps": 1e-7}),
        "Adadelta (ρ = 0.9, ε = 1e-6, lr = 1)": (Adadelta, {}),
    }
    return _mnist(candidates, ("ada", "rms_torch", "rms_ms", "delta"), ch, RMSPROP_SETTINGS[ch.scale],
                  best_by="test_accuracy", cache=cache)
