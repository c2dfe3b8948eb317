"""The comparison's protocol and the test of claim C7, fixed in code before any result.

Chang, Liang and Li (2024) report that the adaptive-moment optimizers (自适应矩估计类优化器)
"effectively improve" a Transformer's French-English translation over the gradient-descent and
adaptive-gradient families. The protocol that tests it here:

1. **Families**, with the survey's members (:data:`FAMILIES`); AdaDec and AdaMix, the book's own,
   join the adaptive-gradient family.
2. **Tuning**, the same for every optimizer: each peak learning rate of the grid (:data:`GRID` at
   paper scale), with the same warmup-then-inverse-square-root schedule, trained once (seed 0);
   the rate with the lowest final *validation* loss is chosen (:func:`choices`). A run that
   diverges ranks last.
3. **Seeds**: each optimizer at its chosen rate over all seeds (the same seeds for all).
4. **Best of a family**: the member with the lowest mean final validation loss at its chosen rate
   (:func:`family_best`). The test split is used for no choice.
5. **C7** (:func:`c7`): for each seed, the best adaptive-moment optimizer's final test BLEU minus
   the best of each other family's (paired: same seed, same data); the Student-t interval at
   :data:`LEVEL` over seeds. C7 **holds** if both intervals lie above zero, **does not hold** if
   either lies below zero or at it, and is **inconclusive** otherwise (an interval straddles zero,
   or one seed gives no interval) — :func:`verdict`.
6. **Budget sensitivity** (:data:`BUDGETS`): the same test after tuning on a smaller grid, and
   without warmup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from optimlab.experiments.stats import mean_interval

__all__ = [
    "BUDGETS",
    "Budget",
    "FAMILIES",
    "GRID",
    "LEVEL",
    "MOMENT",
    "OPTIMIZERS",
    "SMALL_GRID",
    "budget",
    "c7",
    "choices",
    "chosen_runs",
    "family_best",
    "family_of",
    "final",
    "paired_difference",
    "verdict",
]

#: The review's three families with the survey's members (and the book's AdaDec and AdaMix).
FAMILIES: dict[str, tuple[str, ...]] = {
    "gradient descent": ("SGD", "Momentum", "Nesterov"),
    "adaptive gradient": ("AdaGrad", "RMSProp", "Adadelta", "AdaDec", "AdaMix"),
    "adaptive moment": ("Adam", "AMSGrad", "AdamW", "Nadam"),
}
#: The family the claim is about.
MOMENT = "adaptive moment"
#: Every optimizer compared, in family order.
OPTIMIZERS: tuple[str, ...] = tuple(name for members in FAMILIES.values() for name in members)
#: Peak learning rates tried for every optimizer at paper scale: half-decades from 10^-3.5 to 1
#: (wide enough for Adam's usual 1e-3 and for plain SGD's and Adadelta's rates near 1).
GRID: tuple[float, ...] = tuple(round(10 ** (k / 2), 10) for k in range(-7, 1))
#: The smaller grid of the budget sensitivity: the whole decades of ``GRID``.
SMALL_GRID: tuple[float, ...] = tuple(round(10.0 ** k, 10) for k in range(-3, 1))
#: Confidence level of the paired intervals.
LEVEL = 0.95


@dataclass(frozen=True)
class Budget:
    """A tuning budget: which grid (``"full"`` or ``"small"``) and whether the rate warms up."""

    name: str
    grid: str
    warmup: bool


#: The protocol's budget first, then the sensitivity budgets.
BUDGETS: tuple[Budget, ...] = (
    Budget("protocol", "full", True),
    Budget("smaller grid", "small", True),
    Budget("no warmup", "small", False),
)


def budget(name: str) -> Budget:
    """The budget called ``name``."""
    for b in BUDGETS:
        if b.name == name:
            return b
    raise ValueError(f"budget must be one of {[b.name for b in BUDGETS]}, got {name!r}")


def family_of(optimizer: str) -> str:
    """The family of ``optimizer`` (``ValueError`` naming the compared optimizers otherwise)."""
    for family, members in FAMILIES.items():
        if optimizer in members:
            return family
    raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {optimizer!r}")


def final(frame):
    """The last epoch's row of every run (``optimizer, lr, seed, warmup``)."""
    keys = ["optimizer", "lr", "seed", "warmup"]
    last = frame.groupby(keys, sort=False)["epoch"].transform("max")
    return frame[frame["epoch"] == last].reset_index(drop=True)


def _score(value: float) -> float:
    """A validation loss as a ranking key: NaN (a diverged run) ranks last."""
    return math.inf if value is None or not math.isfinite(value) else float(value)


def choices(frame, grid: Sequence[float], warmup: bool, seed: int) -> dict[str, float]:
    """Each optimizer's chosen peak rate: the lowest final validation loss over ``grid`` (seed
    ``seed``, with or without warmup); ties go to the smaller rate."""
    ends = final(frame)
    ends = ends[(ends["seed"] == seed) & ((ends["warmup"] > 0) == warmup)]
    out = {}
    for optimizer, group in ends.groupby("optimizer", sort=False):
        group = group[group["lr"].map(lambda lr: any(math.isclose(lr, g, rel_tol=1e-9) for g in grid))]
        if group.empty:
            continue
        ranked = sorted(zip(group["val_loss"].map(_score), group["lr"]))
        out[optimizer] = float(ranked[0][1])
    return out


def chosen_runs(frame, chosen: Mapping[str, float], warmup: bool):
    """The final rows of the runs at the chosen rates (every seed)."""
    ends = final(frame)
    keep = ends.apply(lambda r: r["optimizer"] in chosen and math.isclose(r["lr"], chosen[r["optimizer"]],
                                                                           rel_tol=1e-9)
                      and (r["warmup"] > 0) == warmup, axis=1)
    return ends[keep].reset_index(drop=True)


def family_best(runs) -> dict[str, str]:
    """family -> its member with the lowest mean final validation loss in ``runs`` (chosen runs)."""
    means = runs.assign(score=runs["val_loss"].map(_score)).groupby("optimizer", sort=False)["score"].mean()
    out = {}
    for family, members in FAMILIES.items():
        present = [(means[m], m) for m in members if m in means.index]
        if present:
            out[family] = min(present)[1]
    return out


def paired_difference(a: Mapping[int, float], b: Mapping[int, float], level: float = LEVEL) -> dict:
    """Mean of ``a[seed] − b[seed]`` over the seeds both have, with its Student-t interval
    (NaN bounds with one seed)."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError("a and b must share at least one seed")
    diffs = [float(a[s]) - float(b[s]) for s in seeds]
    mean, low, high = mean_interval(diffs, level)
    return {"mean": mean, "low": low, "high": high, "seeds": len(seeds)}


def verdict(intervals: Sequence[Mapping[str, float]]) -> str:
    """C7's verdict from the paired intervals (moment minus each other family):
    ``"holds"`` if every interval lies above zero, ``"does not hold"`` if some interval lies at or
    below zero, else ``"inconclusive"`` (an interval straddles zero or is undefined)."""
    if not intervals:
        raise ValueError("intervals must hold at least one paired interval")
    lows = [i["low"] for i in intervals]
    highs = [i["high"] for i in intervals]
    if any(h is not None and math.isfinite(h) and h <= 0 for h in highs):
        return "does not hold"
    if all(lo is not None and math.isfinite(lo) and lo > 0 for lo in lows):
        return "holds"
    return "inconclusive"


def c7(frame, which: str | Budget = "protocol", *, full_grid: Sequence[float] = GRID,
       small_grid: Sequence[float] = SMALL_GRID, tuning_seed: int | None = None,
       metric: str = "test_bleu"):
    """Claim C7 under budget ``which``: returns ``(verdict, table, details)``.

    ``table`` has one row per other family: the two optimizers compared, the mean paired
    difference of ``metric`` and its interval. ``details`` holds the choices, the family bests and
    each family best's mean ``metric``. ``tuning_seed`` (the seed of the grid runs) defaults to the
    seed of the frame's first row (:func:`~optimlab.experiments.translation.runner.run` puts the
    grid runs first).
    """
    import pandas as pd

    b = budget(which) if isinstance(which, str) else which
    if tuning_seed is None:
        tuning_seed = int(frame["seed"].iloc[0])
    grid = full_grid if b.grid == "full" else small_grid
    chosen = choices(frame, grid, b.warmup, tuning_seed)
    runs = chosen_runs(frame, chosen, b.warmup)
    best = family_best(runs)
    if MOMENT not in best:
        raise ValueError(f"the frame has no {MOMENT} optimizer at its chosen rate under {b.name!r}")
    by_seed = {opt: dict(zip(g["seed"], g[metric])) for opt, g in runs.groupby("optimizer", sort=False)}
    rows = []
    for family, other in best.items():
        if family == MOMENT:
            continue
        diff = paired_difference(by_seed[best[MOMENT]], by_seed[other])
        rows.append({"budget": b.name, "other family": family, "moment": best[MOMENT], "other": other, **diff})
    table = pd.DataFrame(rows)
    result = verdict(rows) if rows else "inconclusive"
    means = {opt: float(sum(v.values()) / len(v)) for opt, v in by_seed.items()}
    return result, table, {"choices": chosen, "best": best, "means": means}
