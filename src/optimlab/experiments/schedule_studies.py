"""The harnesses of chapters 8 to 11: the optimizer gallery and the learning-rate-decay studies.

Each chapter makes one call per result; the loops over optimizers, learning rates, decay rules and
epochs live here, with the settings each scale uses next to the harness that reads them.

- Chapter 8 (the gallery): :data:`GALLERY`, :func:`capabilities`, :func:`gallery_tuning`,
  :func:`best_rates`, :func:`gallery_paths`, :func:`gallery_finals`, :func:`gallery_findings`,
  :func:`mnist_tuning`, :func:`chosen_rates`, :func:`head_to_head`, :func:`head_to_head_summary`,
  :func:`head_to_head_findings`.
- Chapter 9 (step-shaped decay): :data:`NOISE_FLOOR`, :func:`noise_floor_rules`,
  :func:`noise_floor_run`, :func:`noise_floor_summary`, :func:`noise_floor_findings`.
- Chapter 10 (smooth decay): :data:`SMOOTH`, :func:`run_length`, :func:`smooth_decay_rules`,
  :func:`tf_agreement`, :func:`decay_comparison`, :func:`decay_summary`.
- Chapter 11 (warmup, plateaus, hand changes, adaptive optimizers): :data:`WARMUP`,
  :func:`lr_trace`, :func:`sequential_warmup_trace`, :func:`chained_trace`, :func:`plateau_run`,
  :func:`torch_plateau_rates`, :func:`manual_run`, :func:`resume_study`, :func:`step_probe`,
  :func:`adaptive_grid`, :func:`adaptive_findings`.

Every training run goes through the book's one loop, :func:`optimlab.training.loop.fit`, every 2-D
path through :func:`optimlab.training.landscapes.trajectory`, every MNIST comparison through
:func:`optimlab.experiments.classifier.compare`, and every optimizer list comes from the registry
:mod:`optimbook.testing`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from optimbook import schedules as S
from optimbook import testing as registry
from optimbook.optim import SGD, AdaGrad, Adam, Rule
from optimbook.schedules import ReduceOnPlateau, ScheduleLR
from optimlab.experiments.classifier import CONFIGS, compare
from optimlab.runtime import check_scale, resolve_device
from optimlab.training.data import load_mnist, subset_indices, synthetic_regression
from optimlab.training.landscapes import LANDSCAPES, Landscape, trajectory, tune_lr
from optimlab.training.losses import cross_entropy, half_mse
from optimlab.training.loop import NonFiniteLossError, fit, log_steps
from optimlab.training.models import LinearRegression, mlp

__all__ = [
    "GallerySettings", "GALLERY", "capabilities", "gallery_tuning", "best_rates", "gallery_paths",
    "gallery_finals", "gallery_findings", "amari_first_steps", "mnist_tuning", "tuning_note", "chosen_rates",
    "head_to_head", "head_to_head_summary", "head_to_head_findings",
    "NoiseFloorSettings", "NOISE_FLOOR", "noise_floor_rules", "noise_floor_run", "noise_floor_summary",
    "noise_floor_findings",
    "SmoothSettings", "SMOOTH", "run_length", "smooth_decay_rules", "tf_agreement", "decay_comparison",
    "decay_summary",
    "WarmupSettings", "WARMUP", "mnist_split", "lr_trace", "sequential_warmup_trace", "chained_trace",
    "plateau_run", "torch_plateau_rates", "manual_run", "ManualRun", "resume_study", "step_probe",
    "adaptive_grid", "adaptive_findings",
]


def _listing(names: Sequence[str], k: int = 3) -> str:
    return ", ".join(list(names)[:k])


# --------------------------------------------------------------------------------------------------
# Chapter 8: the gallery
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GallerySettings:
    """Chapter 8 at one scale: ``steps`` on each landscape, the log10 exponents of the landscapes'
    and MNIST's learning-rate grids, the MNIST tuning epochs (None: the classifier's epochs), the
    head-to-head's seeds and the contour resolution."""

    steps: int
    grid_exponents: tuple[float, ...]
    mnist_exponents: tuple[float, ...]
    tune_epochs: int | None
    seeds: tuple[int, ...]
    contour_n: int

    @property
    def grid(self) -> list[float]:
        return [10.0**k for k in self.grid_exponents]

    @property
    def mnist_grid(self) -> list[float]:
        return [10.0**k for k in self.mnist_exponents]


_HALVES = tuple(k / 2 for k in range(-8, 2))
GALLERY = {
    "smoke": GallerySettings(steps=50, grid_exponents=(-3, -2, -1, 0), mnist_exponents=(-2, -1, 0),
                             tune_epochs=None, seeds=(0, 1, 2), contour_n=100),
    "paper": GallerySettings(steps=300, grid_exponents=_HALVES, mnist_exponents=_HALVES, tune_epochs=2,
                             seeds=(0, 1, 2), contour_n=250),
}


def capabilities():
    """The registry (:func:`optimbook.testing.table`) as a narrow table: optimizer, source, torch
    counterpart and one column naming what it supports (the capabilities that are True)."""
    import pandas as pd

    rows = []
    for row in registry.table():
        flags = [k for k, v in row.items() if isinstance(v, bool) and v]
        rows.append({"optimizer": row["optimizer"], "source": row["source"],
                     "torch.optim counterpart": row["torch.optim counterpart"],
                     "supports": ", ".join(flags) if flags else "--"})
    return pd.DataFrame(rows).set_index("optimizer")


def gallery_tuning(steps: int, grid: Sequence[float], *,
                   landscapes: Mapping[str, Landscape] = LANDSCAPES,
                   lineup: Mapping[str, tuple[type, dict]] | None = None):
    """Tune every optimizer of the line-up on every landscape (:func:`~optimlab.training.landscapes.tune_lr`):
    one row per (landscape, optimizer, lr) with the run's ``final_value`` (+inf: left the finite
    numbers). ``lineup`` defaults to the registry's, for a run of ``steps``."""
    import pandas as pd

    lineup = registry.lineup(steps) if lineup is None else lineup
    rows = []
    for key, land in landscapes.items():
        for name, (cls, kw) in lineup.items():
            _, runs = tune_lr(lambda p, lr, cls=cls, kw=kw: cls(p, lr=lr, **kw), land.f, land.start, steps, grid)
            rows += [{"landscape": key, "optimizer": name, **r} for r in runs]
    return pd.DataFrame(rows)


def best_rates(tuning):
    """The chosen rate per optimizer (rows, in the tuning's order) and landscape (columns, keys):
    the lowest finite final value, the smaller rate on a tie (as ``tune_lr``); NaN where no rate of
    the grid gave a finite run."""
    finite = tuning[np.isfinite(tuning["final_value"])]
    best = (finite.sort_values(["final_value", "lr"]).groupby(["optimizer", "landscape"]).head(1)
            .pivot(index="optimizer", columns="landscape", values="lr"))
    return best.reindex(index=list(dict.fromkeys(tuning["optimizer"])),
                        columns=list(dict.fromkeys(tuning["landscape"])))


def gallery_paths(best, steps: int, *, landscapes: Mapping[str, Landscape] = LANDSCAPES,
                  lineup: Mapping[str, tuple[type, dict]] | None = None) -> dict[tuple[str, str], np.ndarray]:
    """The path of every optimizer at its chosen rate on every landscape, ``{(key, name): [steps + 1, 2]}``
    (pairs without a chosen rate are left out)."""
    lineup = registry.lineup(steps) if lineup is None else lineup
    paths = {}
    for key in best.columns:
        land = landscapes[key]
        for name in best.index:
            lr = best.loc[name, key]
            if not np.isfinite(lr):
                continue
            cls, kw = lineup[name]
            paths[key, name] = trajectory(lambda p, cls=cls, kw=kw, lr=float(lr): cls(p, lr=lr, **kw),
                                          land.f, land.start, steps).numpy()
    return paths


def gallery_finals(paths, names: Sequence[str], *, landscapes: Mapping[str, Landscape] = LANDSCAPES):
    """Final value of each optimizer (rows) on each landscape (columns, by display name); NaN where
    there is no path."""
    import pandas as pd

    return pd.DataFrame({
        land.name: {n: (float(land.f(torch.from_numpy(paths[key, n][-1]))) if (key, n) in paths else np.nan)
                    for n in names}
        for key, land in landscapes.items()})


def amari_first_steps(eps: float = 0.01, *, landscapes: Mapping[str, Landscape] = LANDSCAPES) -> dict[str, float]:
    """``eps * |g0|^2`` at each landscape's start: Amari's recursion stays positive definite on the
    first step only while this is below ``1 + eps`` (chapter 6)."""
    out = {}
    for land in landscapes.values():
        z = torch.tensor(land.start, dtype=torch.float64, requires_grad=True)
        (g0,) = torch.autograd.grad(land.f(z), z)
        out[land.name] = eps * float(g0 @ g0)
    return out


def gallery_findings(final, best, *, landscapes: Mapping[str, Landscape] = LANDSCAPES) -> dict[str, Any]:
    """The numbers chapter 8's prose on the landscapes quotes: per landscape the three lowest and
    highest final values (``best_<key>``, ``worst_<key>``, ``bestval_<key>``), the mean ranks over the
    bounded landscapes, whether one optimizer was lowest on all of them, and which optimizers never
    had a finite run."""
    names = list(best.index)
    out: dict[str, Any] = {}
    for key, land in landscapes.items():
        col = final[land.name].dropna().sort_values()
        out[f"best_{key}"] = _listing(col.index)
        out[f"worst_{key}"] = _listing(col.index[::-1])
        out[f"bestval_{key}"] = float(col.min()) if len(col) else math.nan
    bounded = [land.name for land in landscapes.values() if land.minimum is not None]
    ranks = final[bounded].rank(na_option="bottom")
    mean_rank = ranks.mean(axis=1).sort_values()
    out["mean_rank_best"] = ", ".join(f"{n} ({r:.1f})" for n, r in mean_rank.iloc[:3].items())
    out["mean_rank_worst"] = ", ".join(f"{n} ({r:.1f})" for n, r in mean_rank.iloc[::-1].iloc[:3].items())
    winners = {final[b].idxmin() for b in bounded if final[b].notna().any()}
    out["one_winner"] = (f"{winners.pop()} is lowest on all of them" if len(winners) == 1
                         else "no optimizer is lowest on all of them")
    never = [n for n in names if best.loc[n].isna().all()]
    partly = {n: [landscapes[k].name for k in best.columns if np.isnan(best.loc[n, k])] for n in names}
    notes = [f"{', '.join(never)} left the finite numbers at every rate of the grid, on every landscape."] if never else []
    notes += [f"{n} left the finite numbers at every rate of the grid on {', '.join(ls)}."
              for n, ls in partly.items() if ls and n not in never]
    out["finite_note"] = (" ".join(notes) if notes
                          else "Every optimizer had a finite run at some rate of the grid on every landscape.")
    out["amari_first_step"] = ", ".join(f"{v:.3g} ({k})" for k, v in amari_first_steps(landscapes=landscapes).items())
    return out


def _one_run(label: str, rule: Rule, *, scale, seeds, epochs, device):
    """compare() for one candidate; None when a seed's loss overflows."""
    try:
        return compare({label: rule}, scale=scale, seeds=seeds, epochs=epochs, device=device)
    except NonFiniteLossError:
        return None


def mnist_tuning(names: Sequence[str], grid: Sequence[float], *, scale: str, seed: int = 0,
                 epochs: int | None = None, device="auto"):
    """Chapter 8's MNIST tuning: each optimizer of ``names`` (the registry's line-up) at each rate of
    ``grid``, one seed, ``epochs`` (default: the scale's). One row per (optimizer, lr): the last
    epoch's ``train_loss`` and ``test_loss`` (+inf for a run whose loss overflowed, flagged in
    ``diverged``)."""
    import pandas as pd

    check_scale(scale)
    epochs = epochs or CONFIGS[scale].epochs
    steps = epochs * math.ceil(round(CONFIGS[scale].train_fraction * 60_000) / CONFIGS[scale].batch_size)
    lineup = registry.lineup(steps)
    rows = []
    for name in names:
        cls, kw = lineup[name]
        for lr in grid:
            frame = _one_run(f"{name} @ {lr:.0e}", Rule(cls, {"lr": lr, **kw}), scale=scale, seeds=(seed,),
                             epochs=epochs, device=device)
            last = None if frame is None else frame[frame["epoch"] == epochs].iloc[0]
            rows.append({"optimizer": name, "lr": float(lr), "diverged": frame is None,
                         "train_loss": math.inf if last is None else float(last["train_loss"]),
                         "test_loss": math.inf if last is None else float(last["test_loss"])})
    return pd.DataFrame(rows)


def tuning_note(tuning) -> str:
    """A sentence naming the tuning runs whose loss overflowed (the blank cells of the heatmap)."""
    bad = tuning[tuning["diverged"]]
    if not len(bad):
        return "No tuning run overflowed."
    runs = ", ".join(f"{o} @ {lr:.0e}" for o, lr in zip(bad["optimizer"], bad["lr"]))
    return f"Blank cells are runs whose loss overflowed: {runs}."


def chosen_rates(tuning):
    """Per optimizer (in the tuning's order), the rate with the lowest finite training loss (the
    smaller rate on a tie); NaN where every rate overflowed."""
    finite = tuning[np.isfinite(tuning["train_loss"])]
    best = finite.sort_values(["train_loss", "lr"]).groupby("optimizer").head(1).set_index("optimizer")["lr"]
    return best.reindex(list(dict.fromkeys(tuning["optimizer"])))


def head_to_head(rates, grid: Sequence[float], *, scale: str, seeds: Sequence[int], epochs: int | None = None,
                 device="auto", warm_up: bool = True):
    """Every optimizer at its chosen rate (``rates``: Series name -> lr, NaN skipped), all ``seeds``;
    if a seed overflows at that rate, the next lower rate of ``grid`` is tried. Returns
    ``(frame, used, lowered)``: :func:`compare`'s tidy frame, the rate each optimizer ran at, and
    the ``"name (from lr)"`` notes of the rates stepped down. ``warm_up``: one untimed, uncached
    run first, so that the first timed run does not pay the process's one-time costs."""
    import pandas as pd

    check_scale(scale)
    if warm_up:
        compare({"warm-up": Rule(SGD, {"lr": 0.1})}, scale=scale, seeds=(0,), epochs=1, device=device, cache=False)
    config = CONFIGS[scale]
    epochs = epochs or config.epochs
    steps = epochs * math.ceil(round(config.train_fraction * 60_000) / config.batch_size)
    lineup = registry.lineup(steps)
    frames, used, lowered = [], {}, []
    for name, best in rates.items():
        if not np.isfinite(best):
            continue
        cls, kw = lineup[name]
        for lr in [lr for lr in sorted(grid, reverse=True) if lr <= best]:
            frame = _one_run(name, Rule(cls, {"lr": float(lr), **kw}), scale=scale, seeds=tuple(seeds),
                             epochs=epochs, device=device)
            if frame is None:
                lowered.append(f"{name} (from {lr:.0e})")
                continue
            frames.append(frame)
            used[name] = float(lr)
            break
    return pd.concat(frames, ignore_index=True), pd.Series(used, name="lr"), lowered


def head_to_head_summary(frame, used):
    """One row per optimizer at the last epoch, in ``used``'s order: its rate, mean training and test
    loss, mean test accuracy, its standard deviation over the seeds and mean wall time."""
    last = frame[frame["epoch"] == frame["epoch"].max()]
    summary = (last.groupby("label")
               .agg(train_loss=("train_loss", "mean"), test_loss=("test_loss", "mean"),
                    test_accuracy=("test_accuracy", "mean"), accuracy_sd=("test_accuracy", "std"),
                    seconds=("seconds", "mean"))
               .reindex(list(used.index)))
    summary.insert(0, "lr", used)
    return summary.rename_axis("optimizer")


def head_to_head_findings(frame, summary, tuning, rates) -> dict[str, Any]:
    """The numbers of chapter 8's MNIST prose: best and worst, spreads, time ratios, AdaMix against
    SGD, and the effect of the rate against the effect of the optimizer."""
    ranked = summary.sort_values("test_loss")
    out: dict[str, Any] = {
        "h2h_best": _listing(ranked.index), "h2h_worst": _listing(ranked.index[::-1]),
        "h2h_best_acc": float(ranked["test_accuracy"].iloc[0] * 100), "h2h_best_name": ranked.index[0],
        "h2h_spread": float((summary["test_accuracy"].max() - summary["test_accuracy"].min()) * 100),
        "h2h_fastest": summary["seconds"].idxmin(), "h2h_slowest": summary["seconds"].idxmax(),
        "h2h_time_ratio": float(summary["seconds"].max() / summary["seconds"].min()),
    }
    last = frame[frame["epoch"] == frame["epoch"].max()]
    out["h2h_threads"] = torch.get_num_threads()
    out["h2h_seed_spread"] = float(last.groupby("label")["seconds"].agg(lambda v: v.max() / v.min()).median())
    for name, key in [("AdaMix", "mix"), ("SGD", "sgd"), ("AdaGrad", "ada")]:
        out[f"h2h_{key}_lr"] = float(summary.loc[name, "lr"]) if name in summary.index else math.nan
        out[f"h2h_{key}_loss"] = float(summary.loc[name, "test_loss"]) if name in summary.index else math.nan
    ratio = out["h2h_mix_loss"] / out["h2h_sgd_loss"]
    out["h2h_mix_sgd"] = (
        "and here the two end within 5 % of each other" if abs(ratio - 1) <= 0.05
        else f"here AdaMix's final test loss is {ratio:.2f} times SGD's"
        + ("" if out["h2h_mix_lr"] == out["h2h_sgd_lr"] else ", and their tuned rates differ"))
    finite = tuning[np.isfinite(tuning["train_loss"])]
    out["lr_effect"] = float(finite.groupby("optimizer")["train_loss"].agg(lambda v: v.max() / v.min()).median())
    at_best = finite[finite["lr"] == finite["optimizer"].map(rates)]["train_loss"]
    out["opt_effect"] = float(at_best.max() / at_best.min())
    out["tune_first"] = ("tune the learning rate first" if out["lr_effect"] > out["opt_effect"]
                         else "here the choice of optimizer mattered as much as its rate")
    return out


# --------------------------------------------------------------------------------------------------
# Chapter 9: the noise floor under step-shaped decay
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoiseFloorSettings:
    """Chapter 9's regression at one scale: ``m`` examples of ``d`` features, ``steps`` = R, the
    mini-batch size and the initial rate."""

    m: int
    d: int
    steps: int
    batch_size: int
    lr: float


NOISE_FLOOR = {
    "smoke": NoiseFloorSettings(m=2_000, d=10, steps=1_000, batch_size=8, lr=0.02),
    "paper": NoiseFloorSettings(m=20_000, d=20, steps=30_000, batch_size=8, lr=0.02),
}


def noise_floor_rules(R: int, lr0: float) -> dict[str, S.Schedule]:
    """Chapter 9's experiment: every step-shaped rule from ``lr0``, its constants relative to ``R``."""
    return {
        "constant": S.constant(lr0),
        "piecewise constant": S.piecewise_constant([R // 2, 3 * R // 4], [lr0, lr0 / 10, lr0 / 100]),
        "step decay": S.step_decay(lr0, R // 4, 0.3),
        "exponential": S.exponential_decay(lr0, R, 0.01),
        "exponential, staircase": S.exponential_decay(lr0, R / 5, 0.01 ** (1 / 5), staircase=True),
        "natural exponential": S.natural_exp_decay(lr0, R, math.log(100)),
        "inverse time": S.inverse_time_decay(lr0, R / 10, 1.0),
        "power (AdaMix p(t))": S.power_decay(lr0, R, 0.75),
    }


def noise_floor_run(settings: NoiseFloorSettings, rules: Mapping[str, S.Schedule], *, seed: int = 0,
                    device="cpu", per_decade: int = 20):
    """Mini-batch SGD on the same linear regression (noise 0.5, condition about 10) for
    ``settings.steps`` steps under each rule; one row per (rule, recorded step) with the excess loss
    ``J(theta) - J(theta_hat)`` (``theta_hat`` by least squares), recorded at log-spaced steps."""
    import pandas as pd

    dev = resolve_device(device)
    x, y, _ = synthetic_regression(settings.m, settings.d, noise=0.5, condition=10.0, seed=seed,
                                   dtype=torch.float64)
    x1 = torch.cat([torch.ones(len(x), 1, dtype=x.dtype), x], dim=1)
    theta_hat = torch.linalg.lstsq(x1, y.unsqueeze(1)).solution[:, 0]
    j_min = half_mse(x1 @ theta_hat, y).item()
    x, y = x.to(dev), y.to(dev)

    def excess_loss(model):
        return {"excess_loss": half_mse(model(x), y).item() - j_min}

    runs = []
    for name, schedule in rules.items():
        torch.manual_seed(seed)
        model = LinearRegression(settings.d).to(device=dev, dtype=torch.float64)
        opt = SGD(model.parameters(), lr=schedule(0))
        hist = fit(model, half_mse, opt, x, y, batch_size=settings.batch_size, epochs=10**9,
                   max_steps=settings.steps, seed=seed, scheduler=ScheduleLR(opt, schedule),
                   evaluate=excess_loss, eval_every=log_steps(settings.steps, per_decade=per_decade))
        runs.append(hist.to_frame().assign(rule=name))
    return pd.concat(runs, ignore_index=True)


def noise_floor_summary(frame, rules: Mapping[str, S.Schedule], R: int):
    """Per rule: the final excess loss, the distance budget sum eta(t), the noise sum eta(t)^2 over
    the R steps, and the final rate eta(R)."""
    import pandas as pd

    final = frame.groupby("rule", sort=False).tail(1).set_index("rule")["excess_loss"]
    values = {name: np.array([s(t) for t in range(R + 1)]) for name, s in rules.items()}
    return pd.DataFrame({"final excess loss": final,
                         "Σ η(t)": {n: v[:R].sum() for n, v in values.items()},
                         "Σ η(t)²": {n: (v[:R] ** 2).sum() for n, v in values.items()},
                         "η(R)": {n: v[R] for n, v in values.items()}}).rename_axis("rule")


def noise_floor_findings(summary) -> dict[str, Any]:
    """The numbers and comparisons of chapter 9's prose on the experiment."""
    final = summary["final excess loss"]
    best = final.drop("constant").idxmin()
    gain = final["constant"] / final[best]
    return {
        "nf_constant": float(final["constant"]), "nf_best_rule": best, "nf_best": float(final[best]),
        "nf_gain": float(gain),
        "nf_gain_phrase": (f"{gain:.0f} times below the floor" if gain >= 1.5 else
                           f"{gain:.2f} times the constant rate's: no clear gain at this run length"),
        "nf_inverse": float(final["inverse time"]), "nf_inverse_sum": float(summary.loc["inverse time", "Σ η(t)"]),
        "nf_inverse_order": "above" if final["inverse time"] > final["exponential"] else "below",
        "nf_exp_sum": float(summary.loc["exponential", "Σ η(t)"]),
        "nf_constant_sum": float(summary.loc["constant", "Σ η(t)"]),
        "nf_power": float(final["power (AdaMix p(t))"]),
        "nf_power_ratio": float(final["power (AdaMix p(t))"] / final["constant"]),
        "nf_nat_vs_exp": float(abs(final["natural exponential"] - final["exponential"])),
    }


# --------------------------------------------------------------------------------------------------
# Chapter 10: smooth decay on MNIST
# --------------------------------------------------------------------------------------------------

#: Every rule of chapter 10's experiment, in the order of the chapter's list.
SMOOTH_RULES = ("constant", "piecewise constant", "exponential, staircase", "inverse time", "polynomial (linear)",
                "cosine", "cosine restarts", "linear cosine", "noisy linear cosine")


@dataclass(frozen=True)
class SmoothSettings:
    """Chapter 10's MNIST experiment at one scale: the seeds, the initial rate and the rules trained."""

    seeds: tuple[int, ...]
    lr: float
    rules: tuple[str, ...]


SMOOTH = {
    # at smoke scale (CI) five of the nine, the first of each family, to stay within seconds
    "smoke": SmoothSettings(seeds=(0, 1, 2), lr=0.1,
                            rules=("constant", "piecewise constant", "exponential, staircase", "cosine",
                                   "cosine restarts")),
    "paper": SmoothSettings(seeds=(0, 1, 2), lr=0.1, rules=SMOOTH_RULES),
}


def run_length(scale: str, epochs: int | None = None) -> dict[str, int]:
    """The MNIST classifier's run at ``scale`` (:data:`~optimlab.experiments.classifier.CONFIGS`):
    training images, batch size, epochs, steps per epoch and R = epochs x steps per epoch."""
    check_scale(scale)
    config = CONFIGS[scale]
    n = len(subset_indices(60_000, config.train_fraction))
    per_epoch = math.ceil(n / config.batch_size)
    epochs = epochs or config.epochs
    return {"n_train": n, "batch_size": config.batch_size, "epochs": epochs, "steps_per_epoch": per_epoch,
            "R": epochs * per_epoch}


def smooth_decay_rules(R: int, lr0: float, *, seed: int = 0) -> dict[str, S.Schedule]:
    """Chapter 10's experiment: every rule of chapters 9 and 10 from ``lr0``, constants relative to ``R``
    (keys: :data:`SMOOTH_RULES`)."""
    return {
        "constant": S.constant(lr0),
        "piecewise constant": S.piecewise_constant([R // 2, 3 * R // 4], [lr0, lr0 / 10, lr0 / 100]),
        "exponential, staircase": S.exponential_decay(lr0, R / 10, 0.01 ** 0.1, staircase=True),
        "inverse time": S.inverse_time_decay(lr0, R / 10, 1.0),
        "polynomial (linear)": S.polynomial_decay(lr0, R, lr0 / 100, 1.0),
        "cosine": S.cosine_decay(lr0, R),
        "cosine restarts": S.cosine_decay_restarts(lr0, R / 7, t_mul=2.0, m_mul=1.0),
        "linear cosine": S.linear_cosine_decay(lr0, R),
        "noisy linear cosine": S.noisy_linear_cosine_decay(lr0, R, initial_variance=0.01, variance_decay=0.1,
                                                           seed=seed),
    }


def tf_agreement(goldens: Mapping[str, Any]):
    """The library against TensorFlow's stored output (``tests/data/tf_schedule_goldens.json``): per
    rule and TensorFlow dtype, the number of values, the largest ``|ours - TF| / eta0`` and the count
    of steps where both are NaN. The noisy rule is built with ``seed=0`` (its cases switch the noise
    off)."""
    import pandas as pd

    rows = []
    for case in goldens["cases"]:
        kw = case["kwargs"]
        rule = getattr(S, case["rule"])(**kw, **({"seed": 0} if "noisy" in case["rule"] else {}))
        pairs = list(zip(case["steps"], case["values"]))
        err = max((abs(rule(t) - v) / kw.get("learning_rate", 1.0) for t, v in pairs if v is not None), default=0.0)
        nans = sum(v is None and math.isnan(rule(t)) for t, v in pairs)
        rows.append({"rule": case["rule"], "TensorFlow dtype": case["dtype"], "values": len(pairs),
                     "max |ours − TF| / η0": err, "NaN where TF is NaN": nans})
    return (pd.DataFrame(rows).groupby(["rule", "TensorFlow dtype"], sort=False)
            .agg({"values": "sum", "max |ours − TF| / η0": "max", "NaN where TF is NaN": "sum"}))


def decay_comparison(rules: Mapping[str, S.Schedule], *, scale: str, seeds: Sequence[int], device="auto"):
    """The MNIST MLP by SGD under each schedule (:func:`compare`; the schedule is SGD's ``lr``)."""
    return compare({name: Rule(SGD, {"lr": s}) for name, s in rules.items()}, scale=scale, seeds=tuple(seeds),
                   device=device)


def decay_summary(results):
    """Per rule at the last epoch, lowest mean training loss first: mean training loss, its spread
    (max - min) over the seeds, and mean test accuracy."""
    last = results[results["epoch"] == results["epoch"].max()]
    return (last.groupby("label", sort=False)
            .agg(train_loss=("train_loss", "mean"),
                 train_loss_spread=("train_loss", lambda v: v.max() - v.min()),
                 test_accuracy=("test_accuracy", "mean"))
            .sort_values("train_loss").rename_axis("rule"))


def decay_findings(summary) -> dict[str, Any]:
    """The numbers of chapter 10's prose on the MNIST experiment."""
    rank = list(summary.index).index("constant") + 1
    gap = summary["train_loss"].iloc[1] - summary["train_loss"].iloc[0] if len(summary) > 1 else math.inf
    return {
        "mnist_best": summary.index[0], "mnist_best_loss": float(summary["train_loss"].iloc[0]),
        "mnist_constant_loss": float(summary.loc["constant", "train_loss"]), "mnist_constant_rank": rank,
        "mnist_rules": len(summary), "mnist_best_acc": float(summary["test_accuracy"].max()),
        "mnist_best_acc_rule": summary["test_accuracy"].idxmax(),
        "mnist_spread": float(summary["train_loss_spread"].max()),
        "mnist_verdict": (
            ("In this run the constant rate has the lowest loss: over a run this long, decay did not pay."
             if rank == 1 else f"In this run {summary.index[0]} ends below the constant rate.")
            + (" The first two differ by less than the seeds' spread." if gap < summary["train_loss_spread"].max()
               else "")),
    }


# --------------------------------------------------------------------------------------------------
# Chapter 11: warmup, plateaus, hand changes, adaptive optimizers
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WarmupSettings:
    """Chapter 11 at one scale: the MNIST fractions (train; test as the held-out set), the batch size
    and the epochs of its three experiments."""

    train_fraction: float
    heldout_fraction: float
    batch_size: int
    plateau_epochs: int
    manual_epochs: int
    adaptive_epochs: int


WARMUP = {
    "smoke": WarmupSettings(train_fraction=0.02, heldout_fraction=0.05, batch_size=50, plateau_epochs=8,
                            manual_epochs=5, adaptive_epochs=3),
    "paper": WarmupSettings(train_fraction=1.0, heldout_fraction=1.0, batch_size=100, plateau_epochs=30,
                            manual_epochs=12, adaptive_epochs=10),
}


def mnist_split(settings: WarmupSettings, *, seed: int = 0, device="cpu"):
    """``(x_train, y_train, x_heldout, y_heldout)``: MNIST's train subset and a subset of its test split
    standing in for a validation set."""
    return (*load_mnist("train", fraction=settings.train_fraction, seed=seed, device=device),
            *load_mnist("test", fraction=settings.heldout_fraction, seed=seed, device=device))


def _probe_optimizer(lr: float = 0.1):
    return SGD([torch.zeros(1, requires_grad=True)], lr=lr)


def lr_trace(optimizer, scheduler, n: int) -> np.ndarray:
    """The rate of each of the first ``n`` optimizer steps (``optimizer.step()`` then
    ``scheduler.step()``, as in a training loop)."""
    out = []
    for _ in range(n):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(out)


def sequential_warmup_trace(base: S.Schedule, warmup_steps: int, start_factor: float, n: int) -> np.ndarray:
    """torch's warmup, ``SequentialLR([LinearLR(start_factor, warmup_steps), ScheduleLR(base)])``, on an
    optimizer whose rate is ``base(0)``: the rates of the first ``n`` steps."""
    from torch.optim import lr_scheduler as L

    opt = _probe_optimizer(base(0))
    seq = L.SequentialLR(opt, [L.LinearLR(opt, start_factor=start_factor, total_iters=warmup_steps),
                               ScheduleLR(opt, base)], milestones=[warmup_steps])
    return lr_trace(opt, seq, n)


def chained_trace(base: S.Schedule, gamma: float, n: int, *, schedule_first: bool = True) -> np.ndarray:
    """``ChainedScheduler`` of ``ScheduleLR(base)`` and ``ExponentialLR(gamma)`` (in either order):
    the rates of the first ``n`` steps."""
    from torch.optim import lr_scheduler as L

    opt = _probe_optimizer(base(0))
    ours, expo = ScheduleLR(opt, base), L.ExponentialLR(opt, gamma=gamma)
    chain = L.ChainedScheduler([ours, expo] if schedule_first else [expo, ours], opt)
    return lr_trace(opt, chain, n)


def _heldout(x, y):
    def evaluate(model):
        logits = model(x)
        return {"heldout_loss": cross_entropy(logits, y).item(),
                "heldout_accuracy": (logits.argmax(1) == y).float().mean().item()}
    return evaluate


def plateau_run(data, plateau_kw: Mapping[str, Any] | None, *, epochs: int, batch_size: int, lr: float = 0.5,
                seed: int = 0):
    """The MLP 784-100-10 by SGD from ``lr``, one epoch at a time, the held-out loss fed to
    ``ReduceOnPlateau(**plateau_kw)`` after each (``None``: a constant rate). One row per epoch: the
    rate during it, the held-out loss after it, the rule's action and the training loss."""
    import pandas as pd

    xtr, ytr, xho, yho = data
    model = mlp(784, 100, 10, seed=seed).to(xtr.device)
    opt = SGD(model.parameters(), lr=lr)
    plateau = ReduceOnPlateau(opt, **plateau_kw) if plateau_kw is not None else None
    rows, hist = [], None
    for epoch in range(epochs):
        rate = opt.param_groups[0]["lr"]
        hist = fit(model, cross_entropy, opt, xtr, ytr, batch_size=batch_size, epochs=1, start_epoch=epoch,
                   seed=seed, evaluate=_heldout(xho, yho), history=hist)
        metric = hist.records[-1]["heldout_loss"]
        action = plateau.step(metric) if plateau is not None else None
        rows.append({"epoch": epoch + 1, "lr": rate, "heldout_loss": metric, "action": action,
                     "train_loss": hist.records[-1]["loss"]})
    return pd.DataFrame(rows)


def torch_plateau_rates(metrics: Sequence[float], *, lr: float = 0.5, **kw) -> list[float]:
    """The oracle: the rate torch's ``ReduceLROnPlateau(**kw)`` sets before each of ``metrics``."""
    from torch.optim import lr_scheduler as L

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    oracle = L.ReduceLROnPlateau(opt, **kw)
    rates = []
    for metric in metrics:
        rates.append(opt.param_groups[0]["lr"])
        oracle.step(metric)
    return rates


def hand_changes(scheduler: ScheduleLR, changes: Mapping[int, tuple[str, Any]]) -> Callable[[int, Any], None]:
    """An ``on_epoch_end`` hook: after epoch ``e`` apply ``changes[e]``, ``("scale", f)`` or
    ``("switch", schedule)``."""
    def on_epoch_end(epoch, history):
        if epoch in changes:
            what, arg = changes[epoch]
            getattr(scheduler, what)(arg)
    return on_epoch_end


@dataclass
class ManualRun:
    """What :func:`manual_run` returns: the record (``step``, ``lr`` after each step), the model, the
    checkpoint at its end (as ``torch.load(weights_only=True)`` reads it back) and the scheduler."""

    frame: Any
    model: torch.nn.Module
    checkpoint: dict
    scheduler: ScheduleLR


def manual_run(data, schedule: S.Schedule, changes: Mapping[int, tuple[str, Any]], *, epochs: int,
               batch_size: int, seed: int = 0, stop_after: int | None = None, state: dict | None = None) -> ManualRun:
    """The MLP by SGD driven by ``ScheduleLR(schedule)`` with hand ``changes`` after given epochs
    (:func:`hand_changes`), recording the rate after every step; stops after epoch ``stop_after``
    (default ``epochs``); resumes from a checkpoint ``state`` in fresh objects."""
    xtr, ytr = data[0], data[1]
    model = mlp(784, 100, 10, seed=seed).to(xtr.device)
    opt = SGD(model.parameters(), lr=1.0)
    sched = ScheduleLR(opt, schedule)
    start = 0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start = state["epoch"]
    todo = (stop_after if stop_after is not None else epochs) - start
    hist = fit(model, cross_entropy, opt, xtr, ytr, batch_size=batch_size, epochs=todo, start_epoch=start,
               seed=seed, scheduler=sched, evaluate=lambda m: {"lr": opt.param_groups[0]["lr"]}, eval_every=1,
               on_epoch_end=hand_changes(sched, changes))
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "epoch": start + todo}, buffer)
    buffer.seek(0)
    return ManualRun(hist.to_frame(), model, torch.load(buffer, weights_only=True), sched)


def resume_study(data, schedule: S.Schedule, changes: Mapping[int, tuple[str, Any]], *, epochs: int,
                 batch_size: int, stop_after: int, seed: int = 0) -> dict[str, Any]:
    """:func:`manual_run` straight through, and stopped after epoch ``stop_after`` then resumed from its
    checkpoint. Returns ``straight`` and ``resumed`` (the two records, the resumed one joined),
    ``same`` (identical rates at every step and identical final parameters) and ``schedule`` (the
    schedule the straight run's scheduler ends with)."""
    import pandas as pd

    kw = dict(epochs=epochs, batch_size=batch_size, seed=seed)
    straight = manual_run(data, schedule, changes, **kw)
    first = manual_run(data, schedule, changes, stop_after=stop_after, **kw)
    second = manual_run(data, schedule, changes, state=first.checkpoint, **kw)
    resumed = pd.concat([first.frame, second.frame[second.frame["step"] > first.frame["step"].max()]],
                        ignore_index=True)
    same_lr = np.array_equal(straight.frame["lr"].to_numpy(), resumed["lr"].to_numpy())
    same_params = all(torch.equal(p, q) for p, q in zip(straight.model.parameters(), second.model.parameters()))
    return {"straight": straight.frame, "resumed": resumed, "same": same_lr and same_params,
            "schedule": straight.scheduler.schedules[0]}


def step_probe(optimizer) -> Callable[[torch.nn.Module], dict[str, float]]:
    """An ``evaluate`` hook for :func:`fit` with ``eval_every=1``: the RMS parameter change of the step
    just taken (``rms_step``, NaN at step 0) and, for AdaGrad, the median per-coordinate rate
    ``lr / (sqrt(sum of squared gradients) + eps)`` of that step over the coordinates that have had a
    non-zero gradient (``adagrad_rate``; NaN otherwise)."""
    state: dict[str, Any] = {"prev": None}

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
            sums = sums[sums > 0]  # coordinates that have had a non-zero gradient (MNIST's border pixels never do)
            # the rate of the step just taken: the scheduler has already set the next one
            out["adagrad_rate"] = (state["lr"] / (sums.sqrt() + group["eps"])).median().item()
        state["lr"] = optimizer.param_groups[0]["lr"]
        return out

    return evaluate


#: Chapter 11's optimizers and their initial rates.
ADAPTIVE = {"SGD": (SGD, 0.1), "Adam": (Adam, 1e-3), "AdaGrad": (AdaGrad, 0.05)}


def adaptive_grid(data, *, epochs: int, batch_size: int, seed: int = 0,
                  optimizers: Mapping[str, tuple[type, float]] = ADAPTIVE, decays: Sequence[str] = ("constant", "cosine")):
    """Each optimizer × decay (``"constant"`` or ``"cosine"`` over the run), the MLP from the same
    initialisation, :func:`step_probe` after every step. One row per (optimizer, decay, step) with
    ``rms_step``, ``adagrad_rate``, ``lr0`` and ``train_loss_final`` (the full training set's loss at
    the end)."""
    import pandas as pd

    xtr, ytr = data[0], data[1]
    R = epochs * math.ceil(len(xtr) / batch_size)
    frames = []
    for name, (cls, lr) in optimizers.items():
        for decay in decays:
            model = mlp(784, 100, 10, seed=seed).to(xtr.device)
            opt = cls(model.parameters(), lr=lr)
            schedule = {"constant": S.constant(lr), "cosine": S.cosine_decay(lr, R)}[decay]
            hist = fit(model, cross_entropy, opt, xtr, ytr, batch_size=batch_size, epochs=epochs, seed=seed,
                       scheduler=ScheduleLR(opt, schedule), evaluate=step_probe(opt), eval_every=1)
            frame = hist.to_frame().assign(optimizer=name, decay=decay, lr0=lr)
            with torch.no_grad():
                frame["train_loss_final"] = cross_entropy(model(xtr), ytr).item()
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _slope(run, column: str, lo: float, hi: float) -> float:
    """Least-squares slope of log(column) against log(step) over steps lo..hi."""
    part = run[(run["step"] >= lo) & (run["step"] <= hi)].dropna(subset=[column])
    return float(np.polyfit(np.log(part["step"]), np.log(part[column]), 1)[0])


def adaptive_findings(frame) -> tuple[dict[str, Any], Any]:
    """The numbers of chapter 11's prose on :func:`adaptive_grid`, and the table of final training
    losses (optimizer × decay)."""
    R = int(frame["step"].max())
    runs = {k: r.dropna(subset=["rms_step"]) for k, r in frame.groupby(["optimizer", "decay"], sort=False)}
    out: dict[str, Any] = {"ad_R": R}
    ada = runs[("AdaGrad", "constant")]
    out["adagrad_slope"] = _slope(ada, "adagrad_rate", R // 10, R)
    drop = ada["adagrad_rate"].iloc[0] / ada["adagrad_rate"].iloc[-1]
    out["adagrad_rate_drop"] = float(drop)
    out["adagrad_rate_moved"] = "fell" if drop > 1 else "rose"
    for (o, d), r in runs.items():
        rel = r["rms_step"] / r["lr0"]
        out[f"{o.lower()}_{d}_late"] = float(rel[r["step"] > 0.9 * R].mean())
        if d == "constant":
            out[f"{o.lower()}_early"] = float(rel[r["step"] <= max(5, R // 20)].mean())
    summary = frame.groupby(["optimizer", "decay"], sort=False)["train_loss_final"].first().unstack()
    for o in summary.index:
        out[f"{o.lower()}_loss_const"] = float(summary.loc[o, "constant"])
        out[f"{o.lower()}_loss_cos"] = float(summary.loc[o, "cosine"])
    out["cosine_helped"] = ", ".join(o for o in summary.index if summary.loc[o, "cosine"] < summary.loc[o, "constant"]) \
        or "none of the three"
    return out, summary
