"""Our numbers beside the paper's: the comparison tables, the claims and their verdicts, the values a
chapter quotes.

The replication report (chapter 18) tests six claims of He & Li (2016). Each claim's test is written
here, before any result was looked at, and applies unchanged under every reading:

- **C1** AdaMix has the lowest RER in Exp. 1: the paired differences AdaMix − Cons, AdaMix − AdaGrad
  and AdaMix − AdaDec (final test RER, same seeds, same pretrained networks) all lie below zero.
- **C2** AdaMix costs less time than AdaGrad and AdaDec: the paired differences of their fine-tuning
  seconds in Exp. 1 lie below zero.
- **C3** the weights decide convergence and the biases matter little (Exp. 2): freezing the weights
  (None+Cons) raises the final RER above Cons+Cons, by more than ten times what freezing the biases
  (Cons+None) changes it.
- **C4** element-wise weight rules beat simple ones (Exp. 3): each of AdaGrad+Cons, AdaDec+Cons and
  AdaMix+Cons ends below each of Cons+Cons, Exp+Cons and Power+Cons.
- **C5** the bias rule barely matters (Exp. 4): the six strategies' final RERs span at most 5 % of
  Cons+Cons's.
- **C6** AdaMix's RER falls with more data (Exp. 5): it decreases strictly from 1/10 to all of MNIST.

With several seeds, C1 and C2 use paired Student-t 95 % intervals: "reproduced" when every interval
lies below zero, "not reproduced" when one lies above, "inconclusive" otherwise; with one seed they
compare the values themselves. C3-C6 compare means over seeds. A claim tested under several readings
whose verdicts differ is "depends on the reading".
"""

from __future__ import annotations

import math

from optimlab.experiments.stats import mean_interval
from optimlab.experiments.adamix.registry import EXPERIMENTS, PUBLISHED_SECONDS
from optimlab.experiments.adamix.runner import claim_plans, claim_runs  # plan data, re-exported

__all__ = ["CLAIMS", "baseline", "claims", "comparison", "compute", "deviations", "final",
           "claim_frame", "claim_plans", "claim_runs", "glue_key", "job_work", "paired", "published_seconds_ratio", "ranks",
           "reading_note", "summary", "two_way_comparison", "verdict_summary"]

#: The claims' thresholds (fixed before any result was seen; see the module's docstring).
C3_FACTOR = 10  # freezing the weights must cost this many times what freezing the biases does
C5_SPREAD = 0.05  # the bias rules' final RERs may span this fraction of Cons+Cons's
ABSOLUTE = 0.10  # a published value is matched absolutely within ±10 %
RELATIVE = 0.05  # ... and relative to its experiment's baseline within ±5 %
LEVEL = 0.95  # the confidence level of the paired intervals

#: The claims that chapter 18 tests, as id -> (statement, experiment that tests it).
CLAIMS = {
    "C1": ("AdaMix has the lowest RER in Exp. 1", "fig4"),
    "C2": ("AdaMix costs less time than AdaGrad and AdaDec (Exp. 1)", "fig4"),
    "C3": ("the weights decide convergence, the biases matter little (Exp. 2)", "fig5"),
    "C4": ("element-wise weight rules beat simple ones (Exp. 3)", "fig6"),
    "C5": ("the bias rule barely matters (Exp. 4)", "fig7"),
    "C6": ("AdaMix's RER falls with more data (Exp. 5)", "fig8"),
}


def claim_frame(name: str, scale: str, device="auto"):
    """The table experiment ``name``'s claims are tested on (:func:`claim_runs`), run or from the cache."""
    from optimlab.experiments.adamix.runner import run

    experiment, seeds, readings = claim_runs(scale)[name]
    return run(experiment, scale=scale, seeds=seeds, device=device, readings=readings)


def final(frame):
    """The rows of ``frame`` at its last recorded epoch."""
    return frame[frame["epoch"] == frame["epoch"].max()]


def _readings(frame) -> list[str]:
    return list(dict.fromkeys(frame["reading"])) if "reading" in frame.columns else ["default"]


def _of_reading(frame, reading: str):
    return frame[frame["reading"] == reading] if "reading" in frame.columns else frame


def comparison(frame):
    """Our final-epoch test RER (mean over seeds) beside every published value in ``frame``'s
    experiments: ``experiment, strategy, data_fraction, published, ours, seeds, relative_difference``
    (ours / published − 1). Under several readings, the default reading's runs."""
    import pandas as pd

    frame = _of_reading(frame, "default")
    last = final(frame)
    ours = last.groupby(["experiment", "strategy", "data_fraction"], sort=False)["test_rer"].agg(["mean", "count"])
    rows = []
    for name in dict.fromkeys(frame["experiment"]):
        for (label, fraction), value in EXPERIMENTS[name].published.items():
            mean, count = ours.loc[(name, label, fraction)] if (name, label, fraction) in ours.index else (math.nan, 0)
            rows.append({"experiment": name, "strategy": label, "data_fraction": fraction, "published": value,
                         "ours": mean, "seeds": int(count), "relative_difference": mean / value - 1.0})
    return pd.DataFrame(rows)


def baseline(name: str) -> tuple[str, float]:
    """The (strategy, fraction) each experiment's values are compared relative to: its constant-rate
    run (Exp. 1-4), or AdaMix on 1/10 of the data (Exp. 5)."""
    if name == "fig8":
        return "AdaMix", 0.1
    return ("Cons" if name == "fig4" else "Cons+Cons"), 0.1


def two_way_comparison(frame, absolute: float = ABSOLUTE, relative: float = RELATIVE):
    """The published values compared two ways: absolute (ours / published − 1 within ±``absolute``)
    and relative to the same experiment's own baseline (:func:`baseline`): (ours / our baseline) /
    (published / published baseline) − 1 within ±``relative``. A baseline row is 1 against 1 by
    construction: its relative columns are NaN (not counted)."""
    table = comparison(frame)
    rel, ok_rel = [], []
    for _, row in table.iterrows():
        label, fraction = baseline(row["experiment"])
        base = table[(table["experiment"] == row["experiment"]) & (table["strategy"] == label)
                     & (table["data_fraction"] == fraction)]
        if (row["strategy"], row["data_fraction"]) == (label, fraction) or base.empty:
            rel.append(math.nan)
            ok_rel.append(math.nan)
            continue
        value = (row["ours"] / base["ours"].item()) / (row["published"] / base["published"].item()) - 1.0
        rel.append(value)
        ok_rel.append(abs(value) <= relative if math.isfinite(value) else math.nan)
    table["within_absolute"] = table["relative_difference"].abs() <= absolute
    table["relative_to_baseline"] = rel
    table["within_relative"] = ok_rel
    return table


def paired(frame, subject: str = "AdaMix", others=("Cons", "AdaGrad", "AdaDec"), value: str = "test_rer"):
    """``subject − other`` of the final ``value`` per reading, paired over seeds: ``reading, other,
    mean, low, high, seeds, verdict`` ("lower", "higher", or "within noise" when the interval
    straddles zero; with one seed "lower (one seed)" or "higher (one seed)")."""
    import pandas as pd

    rows = []
    for reading in _readings(frame):
        last = final(_of_reading(frame, reading))
        wide = last.pivot_table(index="seed", columns="strategy", values=value)
        for other in others:
            if subject not in wide or other not in wide:
                continue
            diff = (wide[subject] - wide[other]).dropna()
            mean, low, high = mean_interval(diff.tolist(), LEVEL)
            if len(diff) == 1:
                verdict = "lower (one seed)" if mean < 0 else "higher (one seed)"
            else:
                verdict = "lower" if high < 0 else "higher" if low > 0 else "within noise"
            rows.append({"reading": reading, "other": other, "mean": mean, "low": low, "high": high,
                         "seeds": len(diff), "verdict": verdict})
    return pd.DataFrame(rows, columns=["reading", "other", "mean", "low", "high", "seeds", "verdict"])


def ranks(frame, subject: str = "AdaMix"):
    """Per reading: the mean final test RER of every strategy and ``subject``'s rank (1 = lowest)."""
    last = final(frame)
    if "reading" not in last.columns:
        last = last.assign(reading="default")
    table = last.pivot_table(index="reading", columns="strategy", values="test_rer", aggfunc="mean", sort=False)
    table[f"{subject} rank"] = table.rank(axis=1)[subject].astype(int)
    return table


def _pair_verdict(rows) -> str:
    verdicts = list(rows["verdict"])
    if verdicts and all(v.startswith("lower") for v in verdicts):
        return "reproduced"
    if any(v.startswith("higher") for v in verdicts):
        return "not reproduced"
    return "inconclusive"


def _means(frame, reading: str):
    last = final(_of_reading(frame, reading))
    return last.groupby(["strategy", "data_fraction"])["test_rer"].mean()


def claims(frames: dict):
    """Test the six :data:`CLAIMS` on ``frames`` (experiment name -> its table, with a ``reading``
    column; an experiment missing is "not run"). One row per claim and reading: ``claim, statement,
    reading, verdict, evidence, seeds``."""
    import pandas as pd

    rows = []

    def add(claim, reading, verdict, evidence, seeds):
        rows.append({"claim": claim, "statement": CLAIMS[claim][0], "reading": reading,
                     "verdict": verdict, "evidence": evidence, "seeds": seeds})

    for claim, (_, name) in CLAIMS.items():
        frame = frames.get(name)
        if frame is None or frame.empty:
            add(claim, "—", "not run", "", 0)
            continue
        for reading in _readings(frame):
            sub = _of_reading(frame, reading)
            seeds = int(sub["seed"].nunique())
            m = _means(frame, reading)
            if claim in ("C1", "C2"):
                value = "test_rer" if claim == "C1" else "seconds"
                others = ("Cons", "AdaGrad", "AdaDec") if claim == "C1" else ("AdaGrad", "AdaDec")
                p = paired(sub, "AdaMix", others, value)
                add(claim, reading, _pair_verdict(p),
                    "; ".join(f"AdaMix − {r.other}: {r.mean:+.3g}" + (
                        f" [{r.low:+.3g}, {r.high:+.3g}]" if r.seeds > 1 else "") for r in p.itertuples()), seeds)
            elif claim == "C3":
                base = m[("Cons+Cons", 0.1)]
                dw, db = m[("None+Cons", 0.1)] - base, m[("Cons+None", 0.1)] - base
                ok = dw > 0 and abs(db) < dw / C3_FACTOR
                add(claim, reading, "reproduced" if ok else "not reproduced",
                    f"freeze weights: {dw:+.3g}; freeze biases: {db:+.3g}", seeds)
            elif claim == "C4":
                element = [m[(s, 0.1)] for s in ("AdaGrad+Cons", "AdaDec+Cons", "AdaMix+Cons")]
                simple = [m[(s, 0.1)] for s in ("Cons+Cons", "Exp+Cons", "Power+Cons")]
                add(claim, reading, "reproduced" if max(element) < min(simple) else "not reproduced",
                    f"element-wise worst {max(element):.3g}; simple best {min(simple):.3g}", seeds)
            elif claim == "C5":
                values = [m[(s.label, 0.1)] for s in EXPERIMENTS["fig7"].strategies]
                spread = (max(values) - min(values)) / m[("Cons+Cons", 0.1)]
                add(claim, reading, "reproduced" if spread <= C5_SPREAD else "not reproduced",
                    f"spread {100 * spread:.3g} % of Cons+Cons", seeds)
            else:
                values = [m[("AdaMix", f)] for f in EXPERIMENTS["fig8"].fractions]
                ok = all(b < a for a, b in zip(values, values[1:]))
                add(claim, reading, "reproduced" if ok else "not reproduced",
                    " > ".join(f"{v:.3g}" for v in values), seeds)
    return pd.DataFrame(rows, columns=["claim", "statement", "reading", "verdict", "evidence", "seeds"])


def verdict_summary(claim_rows):
    """One verdict per claim: the readings' common verdict, or "depends on the reading"."""
    import pandas as pd

    rows = []
    for claim, sub in claim_rows.groupby("claim", sort=False):
        verdicts = sorted(set(sub["verdict"]))
        overall = verdicts[0] if len(verdicts) == 1 else "depends on the reading"
        detail = "; ".join(f"{r}: {v}" for r, v in zip(sub["reading"], sub["verdict"])) if len(verdicts) > 1 else ""
        rows.append({"claim": claim, "statement": sub["statement"].iloc[0], "verdict": overall,
                     "readings": int(sub["reading"].nunique()), "seeds": int(sub["seeds"].max()),
                     "by reading": detail})
    return pd.DataFrame(rows)


def reading_note(name: str, frame) -> str:
    """One sentence on how the claims that experiment ``name`` tests fare under the readings in
    ``frame`` (its table run with ``readings=READINGS``), for a chapter to glue."""
    tested = [c for c, (_, n) in CLAIMS.items() if n == name]
    table = verdict_summary(claims({name: frame}))
    parts = []
    for _, row in table[table["claim"].isin(tested)].iterrows():
        if row["verdict"] == "depends on the reading":
            how = f"depends on the reading ({row['by reading']})"
        elif row["readings"] > 1 and row["verdict"] == "not reproduced":
            how = f"is not reproduced under any of the {row['readings']} readings"
        elif row["readings"] > 1:
            how = f"is {row['verdict']} under all {row['readings']} readings"
        else:
            how = f"is {row['verdict']} (tested under the default reading only)"
        parts.append(f"claim {row['claim']} ({row['statement']}) {how}")
    return "; ".join(parts)


def deviations():
    """Every place our setup differs from the paper or fills a gap in it, and why."""
    import pandas as pd

    rows = [
        ("RER", "eq. (8)-(9): mean over pixels", "sum over the 784 pixels, mean over images",
         "the published values are on the per-image sum scale (Hinton & Salakhutdinov's 3.00)"),
        ("pretraining", "not described", "Hinton & Salakhutdinov's code: CD-1, momentum 0.5 then 0.9, "
         "weight cost 0.0002, Gaussian top layer with rate 0.001", "the paper rebuilds their autoencoder"),
        ("pretraining length", "not stated", "50 epochs per layer (reading `pretrain_epochs`)",
         "their Science paper; 10 (their code) is measured as a reading"),
        ("fine-tuning loss", "not stated", "squared error summed over pixels and over the batch",
         "eq. (6) sums the per-example losses; RER is a squared error"),
        ("Exp rule", "no constants", "the rate falls tenfold over the run (reading `exp_decay_rate`)",
         "the gentlest common choice"),
        ("data subset", "1/10 of MNIST", "a seeded hashed draw (reading `subset`)", "representative of the whole"),
        ("mini-batch order", "not stated", "a permutation seeded by (seed, epoch)", "reproducible and resumable"),
        ("seeds", "one run, no spread", "several seeds, paired intervals", "separates effects from noise"),
        ("wall time", "their machine", "our CPU or GPU; the runtime claim is tested as a ratio",
         "absolute seconds do not transfer between machines"),
    ]
    return pd.DataFrame(rows, columns=["what", "paper", "ours", "why"])


def _recorded(record):
    """The Count a record's ``"flop"`` holds, or None (absent or not one)."""
    from optimlab.training.flops import Count

    try:
        return Count.from_record(record) if record is not None else None
    except ValueError:
        return None


def job_work(job) -> tuple:
    """The floating-point work of a fine-tuning job and of its pretrained stack, ``(fine-tuning,
    pretraining, recorded)``: from the run's record in the results cache (its ``"flop"`` and its
    pretraining's ``"flop"``) when it holds them (``recorded`` True), else counted by the closed
    forms of :mod:`optimlab.training.flops` (a run not made yet, or made before runs recorded their
    work)."""
    from optimlab.training import flops
    from optimlab.experiments.adamix.runner import _saved
    from optimlab.experiments.adamix.setup import strategy_rules

    saved = _saved(job) if job.path.is_file() else None
    fine = _recorded(saved.get("flop")) if saved else None
    pre = _recorded(saved["pretraining"].get("flop")) if saved else None
    if fine is not None and pre is not None:
        return fine, pre, True
    s = job.setup
    n_train, n_test = s.numbers(job.fraction)
    weight, bias = strategy_rules(job.strategy, s, job.steps_per_epoch)
    fine = fine or flops.finetuning_run(s.sizes, n_train, n_test, s.epochs, s.batch_size,
                                        len(s.finetuning().eval_epochs()),
                                        flops.update_ops_per_element(weight, "weight"),
                                        flops.update_ops_per_element(bias, "bias"))
    pre = pre or flops.pretraining_run(s.sizes, n_train, s.pretrain_epochs, s.batch_size)
    return fine, pre, False


def compute(*plans):
    """Per experiment of ``plans``: the distinct runs, their floating-point work (TFLOP and its
    matrix-product part; from the runs' records, :func:`job_work`), how many of them the cache
    holds, and the wall time those took (pretraining plus fine-tuning) on the device they ran on. A
    run or a pretrained stack shared by several experiments is counted once, in the first that
    needs it. The TFLOP column sums to the work of every distinct job of ``plans``."""
    import pandas as pd

    from optimlab.experiments.adamix.runner import _saved

    seen_runs, seen_stacks, timed_stacks, rows = set(), set(), set(), []
    by_name: dict[str, list] = {}
    for plan in plans:
        for (name, *_), job in plan.rows.items():
            by_name.setdefault(name, []).append(job)
    for name, jobs in by_name.items():
        flop = matmul = wall = 0.0
        devices, runs, cached = set(), 0, 0
        for job in jobs:
            if job.path in seen_runs:
                continue
            seen_runs.add(job.path)
            runs += 1
            fine, pre, _ = job_work(job)
            if job.pretrain.path not in seen_stacks:
                seen_stacks.add(job.pretrain.path)
                flop, matmul = flop + pre.total, matmul + pre.matmul
            flop, matmul = flop + fine.total, matmul + fine.matmul
            saved = _saved(job) if job.path.is_file() else None
            if saved is not None:
                cached += 1
                wall += saved["wall_seconds"] / saved["replicas"]
                devices.add(saved["pretraining"].get("device", job.device))
                if job.pretrain.path not in timed_stacks:
                    timed_stacks.add(job.pretrain.path)
                    wall += saved["pretraining"]["seconds"]
        rows.append({"experiment": name, "distinct runs": runs, "cached": cached, "TFLOP": flop / 1e12,
                     "matmul TFLOP": matmul / 1e12, "wall seconds": wall,
                     "device": ", ".join(sorted(devices)) or "not run"})
    return pd.DataFrame(rows, columns=["experiment", "distinct runs", "cached", "TFLOP", "matmul TFLOP",
                                       "wall seconds", "device"])


def glue_key(label: str) -> str:
    """A strategy label as a name usable in the book's glue keys ("AdaMix+Cons" -> "AdaMix_Cons")."""
    return label.replace("+", "_").replace(" ", "_").replace(".", "_").replace("-", "_")


def summary(frame) -> dict[str, object]:
    """The numbers a chapter quotes about one results table, keyed for ``glue``.

    ``ours_<label>`` and ``published_<label>`` (final test RER, mean over seeds),
    ``rel_<label>`` (ours / published − 1, in percent), ``n_within`` (published values matched within
    ±10 %), ``n_rows``, ``best_ours``, ``best_paper`` and ``order_ours``/``order_paper`` (strategies
    from best to worst), for the experiment's first data fraction.
    """
    table = comparison(frame)
    out: dict[str, object] = {}
    for _, row in table.iterrows():
        key = glue_key(row["strategy"]) + ("" if row["data_fraction"] == 0.1 else f"_{glue_key(str(row['data_fraction']))}")
        out[f"ours_{key}"] = float(row["ours"])
        out[f"published_{key}"] = float(row["published"])
        out[f"rel_{key}"] = float(100 * row["relative_difference"])
    first = table[table["data_fraction"] == table["data_fraction"].iloc[0]]
    ours = first.set_index("strategy")["ours"]
    paper = first.set_index("strategy")["published"]
    out["n_within"] = int((table["relative_difference"].abs() <= 0.10).sum())
    out["n_rows"] = len(table)
    out["best_ours"] = str(ours.idxmin())
    out["best_paper"] = str(paper.idxmin())
    out["order_ours"] = " < ".join(ours.sort_values().index)
    out["order_paper"] = " < ".join(paper.sort_values().index)
    return out


def published_seconds_ratio(numerator: str = "AdaMix", denominator: str = "AdaGrad") -> float:
    """The paper's Exp. 1 wall-time ratio (e.g. AdaMix 752.56 s / AdaGrad 810.20 s)."""
    return PUBLISHED_SECONDS[numerator] / PUBLISHED_SECONDS[denominator]
