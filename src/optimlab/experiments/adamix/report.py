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

Every claim is a set of statistics, each paired over seeds (the same seed's runs), that must lie on
one side of zero: C1 and C2 the differences above; C3 the weights' cost ``dw`` > 0 and
``dw/10 ∓ db`` > 0 (``|db| < dw/10``); C4 every element-wise minus simple difference < 0; C5
``5 % of Cons+Cons − (v_i − v_j)`` ≥ 0 for every pair of strategies (the spread at most 5 %); C6
every step to more data < 0. With several seeds each statistic gets a paired Student-t 95 % interval:
"reproduced" when every interval lies on the claimed side, "not reproduced" when one lies wholly on
the other, "inconclusive" otherwise; with one seed the values themselves decide (the same test on the
means). A claim tested under several readings whose verdicts differ is "depends on the reading".

The published values are compared under every reading (:func:`two_way_by_reading`,
:func:`reading_counts`), and each value we miss is set beside the hypotheses declared for it
(``HYPOTHESES``) and the outcome of the run that tests each
(:func:`outcomes`, :func:`classify`, :func:`explanation_table`).
"""

from __future__ import annotations

import functools
import math

from optimlab.experiments.stats import mean_interval, student_t_quantile
from optimlab.experiments.adamix.registry import BASELINES, EXPERIMENTS, HYPOTHESES, PUBLISHED_SECONDS
from optimlab.experiments.adamix.runner import claim_plans, claim_runs, explanation_seeds  # plan data, re-exported

__all__ = [
    "CLAIMS", "OUTCOMES", "STILL", "baseline", "by_fraction", "claims", "classify",
    "closest_reading", "comparison", "compute", "deviations", "experiment_label",
    "explanation_frame", "explanation_table", "final", "fraction_label", "final_per_run",
    "hypotheses_table", "claim_frame", "claim_plans", "claim_runs", "glue_key", "job_work",
    "outcomes", "paired", "published_seconds_ratio", "ranks", "reading_counts",
    "explanation_seeds", "reading_note", "summary", "two_way_by_reading", "two_way_comparison",
    "verdict_summary"
]

#: The claims' thresholds (fixed before any result was seen; see the module's docstring).
C3_FACTOR = 10  # freezing the weights must cost this many times what freezing the biases does
C5_SPREAD = 0.05  # the bias rules' final RERs may span this fraction of Cons+Cons's
ABSOLUTE = 0.10  # a published value is matched absolutely within ±10 %
RELATIVE = 0.05  # ... and relative to its experiment's baseline within ±5 %
LEVEL = 0.95  # the confidence level of the paired intervals
#: An explanation run's move of a deviation smaller than this fraction of the band's half-width is
#: "did not move" (fixed with the hypotheses, before their runs).
STILL = 0.2
#: The outcomes of an explanation run, best first (:func:`classify`).
OUTCOMES = ("moved into the band", "stayed in the band", "moved toward it", "did not move", "moved away",
            "moved out of the band", "not run")

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


def comparison(frame, reading: str = "default"):
    """Our final-epoch test RER (mean over seeds) beside every published value in ``frame``'s
    experiments: ``experiment, strategy, data_fraction, published, ours, seeds, relative_difference``
    (ours / published − 1). Under several readings, ``reading``'s runs (a value that reading has no
    run of is NaN, with 0 seeds)."""
    import pandas as pd

    frame = _of_reading(frame, reading)
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
    return BASELINES.get(name, ("Cons+Cons", 0.1))


def experiment_label(name: str) -> str:
    """The paper's name of experiment ``name``: "fig4" -> "Exp. 1" (its figure is Fig. 4)."""
    if name not in EXPERIMENTS:
        raise ValueError(f"name must be one of {sorted(EXPERIMENTS)}, got {name!r}")
    return EXPERIMENTS[name].title.split(" (")[0]


def fraction_label(fraction: float) -> str:
    """A fraction of MNIST in tenths, as the paper gives them ("1/10", "6/10", "all")."""
    tenths = 10 * fraction
    if fraction == 1:
        return "all"
    return f"{round(tenths)}/10" if math.isclose(tenths, round(tenths)) else f"{fraction:g}"


def two_way_comparison(frame, absolute: float = ABSOLUTE, relative: float = RELATIVE, reading: str = "default"):
    """The published values compared two ways under ``reading``: absolute (ours / published − 1
    within ±``absolute``) and relative to the same experiment's own baseline (:func:`baseline`):
    (ours / our baseline) / (published / published baseline) − 1 within ±``relative``. A baseline
    row is 1 against 1 by construction: its relative columns are NaN (not counted)."""
    table = comparison(frame, reading)
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


def two_way_by_reading(frame, absolute: float = ABSOLUTE, relative: float = RELATIVE):
    """:func:`two_way_comparison` under every reading of ``frame``, one table with ``reading`` first."""
    import pandas as pd

    tables = [two_way_comparison(frame, absolute, relative, r).assign(reading=r) for r in _readings(frame)]
    table = pd.concat(tables, ignore_index=True)
    return table[["reading", *[c for c in table.columns if c != "reading"]]]


def reading_counts(by_reading):
    """Per reading of :func:`two_way_by_reading`'s table: ``reading, values`` (published values with a
    run), ``within absolute``, ``relative rows`` (values that are not a baseline) and ``within relative``."""
    import pandas as pd

    rows = []
    for reading, sub in by_reading.groupby("reading", sort=False):
        ran = sub[sub["ours"].notna()]
        rel = ran.dropna(subset=["relative_to_baseline"])
        rows.append({"reading": reading, "values": len(ran), "within absolute": int(ran["within_absolute"].sum()),
                     "relative rows": len(rel), "within relative": int(rel["within_relative"].astype(bool).sum())})
    return pd.DataFrame(rows, columns=["reading", "values", "within absolute", "relative rows", "within relative"])


def closest_reading(counts) -> str:
    """The reading of :func:`reading_counts` that comes closest to the published values: the most
    within the relative band, ties broken by the absolute band; readings still tied are joined with
    "and"."""
    key = list(zip(counts["within relative"], counts["within absolute"]))
    best = max(key)
    return " and ".join(r for r, k in zip(counts["reading"], key) if k == best)


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


def _per_seed(frame, reading: str):
    """The final test RER of ``reading``'s runs, one row per seed, one column per (strategy, fraction)."""
    last = final(_of_reading(frame, reading))
    return last.pivot_table(index="seed", columns=["strategy", "data_fraction"], values="test_rer")


def by_fraction(frame):
    """Exp. 5 (``fig8``) per reading and data fraction: ``reading, data_fraction, published, mean,
    low, high, seeds``, AdaMix's final test RER with its ``LEVEL`` Student-t interval over seeds (NaN
    with one seed), the readings in ``frame``'s order."""
    import pandas as pd

    if set(frame["experiment"]) != {"fig8"}:
        raise ValueError(f"frame must hold Exp. 5's runs (experiment 'fig8'), got {sorted(set(frame['experiment']))}")
    rows = []
    for reading in _readings(frame):
        wide = _per_seed(frame, reading)
        for (label, fraction), value in EXPERIMENTS["fig8"].published.items():
            xs = wide[(label, fraction)].dropna().tolist() if (label, fraction) in wide.columns else []
            mean, low, high = _interval(xs) if xs else (math.nan,) * 3
            rows.append({"reading": reading, "data_fraction": fraction, "published": value, "mean": mean,
                         "low": low, "high": high, "seeds": len(xs)})
    return pd.DataFrame(rows)


@functools.lru_cache(maxsize=None)
def _t_quantile(df: int) -> float:
    return student_t_quantile(0.5 + LEVEL / 2, df)


def _interval(xs: list[float]) -> tuple[float, float, float]:
    """:func:`optimlab.experiments.stats.mean_interval` at ``LEVEL``, its t quantile computed once per
    number of seeds (a claim has up to 30 statistics per reading)."""
    mean = sum(xs) / len(xs)
    if len(xs) == 1:
        return mean, math.nan, math.nan
    half = _t_quantile(len(xs) - 1) * math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1) / len(xs))
    return mean, mean - half, mean + half


def _test(stats: dict, side: str, strict: bool = True) -> tuple[str, dict, dict]:
    """The verdict of a claim that every statistic of ``stats`` (name -> its values per seed, paired)
    lies ``side`` ("above" or "below") zero (strictly, or not), with the deciding statistic (when the
    claim is not reproduced, the one surest to lie on the other side; else the one nearest it) and
    every statistic's ``(mean, low, high, seeds)``.

    With several seeds, a statistic is on the claimed side when its ``LEVEL`` Student-t interval
    is, and on the other when its interval lies wholly there; with one seed its value decides. Every
    statistic on the claimed side: "reproduced"; one on the other: "not reproduced"; else
    "inconclusive"."""
    sign = 1.0 if side == "above" else -1.0
    found = {}
    for name, values in stats.items():
        xs = [float(v) for v in values if v == v]
        if not xs:
            continue
        mean, low, high = _interval(xs)
        found[name] = {"mean": mean, "low": low, "high": high, "seeds": len(xs)}
    if not found:
        return "not run", {"statistic": "", "mean": math.nan, "low": math.nan, "high": math.nan}, found

    def ok(y: float) -> bool:  # y: a value signed so that the claimed side is positive
        return y > 0 if strict else y >= 0

    def near(r):  # how far on the claimed side the statistic is sure to be
        return sign * r["mean"] if r["seeds"] == 1 else min(sign * r["low"], sign * r["high"])

    on = [ok(near(r)) for r in found.values()]
    wrong = [not ok(sign * r["mean"]) if r["seeds"] == 1 else max(sign * r["low"], sign * r["high"]) < 0
             for r in found.values()]
    verdict = "reproduced" if all(on) else "not reproduced" if any(wrong) else "inconclusive"
    if any(wrong):  # the statistic surest to lie on the other side
        far = {n: sign * r["mean"] if r["seeds"] == 1 else max(sign * r["low"], sign * r["high"])
               for (n, r), w in zip(found.items(), wrong) if w}
        name = min(far, key=far.get)
    else:
        name = min(found, key=lambda n: near(found[n]))
    return verdict, {"statistic": name, **{k: found[name][k] for k in ("mean", "low", "high")}}, found


def _iv(r: dict) -> str:
    """`` [low, high]`` of a statistic with several seeds, else nothing."""
    return f" [{r['low']:+.3g}, {r['high']:+.3g}]" if r["seeds"] > 1 else ""


def _claim_stats(claim: str, wide) -> tuple[dict, str, bool]:
    """The paired statistics of claim C3-C6 from the per-seed table ``wide`` (:func:`_per_seed`), the
    side of zero they must lie on, and whether strictly."""
    col = lambda label, fraction=0.1: wide[(label, fraction)]  # noqa: E731
    if claim == "C3":
        dw, db = col("None+Cons") - col("Cons+Cons"), col("Cons+None") - col("Cons+Cons")
        return {"freeze weights": dw, f"freeze weights / {C3_FACTOR} − freeze biases": dw / C3_FACTOR - db,
                f"freeze weights / {C3_FACTOR} + freeze biases": dw / C3_FACTOR + db}, "above", True
    if claim == "C4":
        return {f"{e} − {s}": col(e) - col(s) for e in ("AdaGrad+Cons", "AdaDec+Cons", "AdaMix+Cons")
                for s in ("Cons+Cons", "Exp+Cons", "Power+Cons")}, "below", True
    if claim == "C5":
        labels = [s.label for s in EXPERIMENTS["fig7"].strategies]
        return {f"{100 * C5_SPREAD:g} % of Cons+Cons − ({a} − {b})": C5_SPREAD * col("Cons+Cons") - (col(a) - col(b))
                for a in labels for b in labels if a != b}, "above", False
    fractions = EXPERIMENTS["fig8"].fractions
    return {f"AdaMix on {fraction_label(b)} − on {fraction_label(a)}": col("AdaMix", b) - col("AdaMix", a)
            for a, b in zip(fractions, fractions[1:])}, "below", True


def claims(frames: dict):
    """Test the six :data:`CLAIMS` on ``frames`` (experiment name -> its table, with a ``reading``
    column; an experiment missing is "not run"). One row per claim and reading: ``claim, statement,
    reading, verdict, evidence, seeds`` and the deciding paired statistic ``statistic, mean, low,
    high`` (one on the other side of zero when the claim is not reproduced, else the one nearest
    that side; its interval NaN with one seed)."""
    import pandas as pd

    columns = ["claim", "statement", "reading", "verdict", "evidence", "seeds", "statistic", "mean", "low", "high"]
    rows = []

    def add(claim, reading, verdict, evidence, seeds, deciding=None):
        deciding = deciding or {"statistic": "", "mean": math.nan, "low": math.nan, "high": math.nan}
        rows.append({"claim": claim, "statement": CLAIMS[claim][0], "reading": reading,
                     "verdict": verdict, "evidence": evidence, "seeds": seeds, **deciding})

    for claim, (_, name) in CLAIMS.items():
        frame = frames.get(name)
        if frame is None or frame.empty:
            add(claim, "—", "not run", "", 0)
            continue
        for reading in _readings(frame):
            sub = _of_reading(frame, reading)
            seeds = int(sub["seed"].nunique())
            if claim in ("C1", "C2"):
                value = "test_rer" if claim == "C1" else "seconds"
                others = ("Cons", "AdaGrad", "AdaDec") if claim == "C1" else ("AdaGrad", "AdaDec")
                p = paired(sub, "AdaMix", others, value)
                surest = (p["low"] if (p["seeds"] > 1).all() else p["mean"]) if _pair_verdict(p) == "not reproduced" \
                    else (p["high"] if (p["seeds"] > 1).all() else p["mean"])
                worst = p.loc[surest.idxmax()] if len(p) else None
                deciding = None if worst is None else {"statistic": f"AdaMix − {worst['other']}",
                                                       "mean": worst["mean"], "low": worst["low"], "high": worst["high"]}
                add(claim, reading, _pair_verdict(p),
                    "; ".join(f"AdaMix − {r.other}: {r.mean:+.3g}" + (
                        f" [{r.low:+.3g}, {r.high:+.3g}]" if r.seeds > 1 else "") for r in p.itertuples()), seeds,
                    deciding)
                continue
            wide = _per_seed(frame, reading)
            stats, side, strict = _claim_stats(claim, wide)
            verdict, deciding, found = _test(stats, side, strict)
            means = wide.mean()
            if claim == "C3":
                db = (wide[("Cons+None", 0.1)] - wide[("Cons+Cons", 0.1)]).dropna().tolist()
                m, lo, hi = _interval(db)
                evidence = (f"freeze weights: {found['freeze weights']['mean']:+.3g}{_iv(found['freeze weights'])}; "
                            f"freeze biases: {m:+.3g}{_iv({'low': lo, 'high': hi, 'seeds': len(db)})}")
            elif claim == "C4":
                element = [means[(s, 0.1)] for s in ("AdaGrad+Cons", "AdaDec+Cons", "AdaMix+Cons")]
                simple = [means[(s, 0.1)] for s in ("Cons+Cons", "Exp+Cons", "Power+Cons")]
                evidence = f"element-wise worst {max(element):.3g}; simple best {min(simple):.3g}"
            elif claim == "C5":
                values = [means[(s.label, 0.1)] for s in EXPERIMENTS["fig7"].strategies]
                evidence = f"spread {100 * (max(values) - min(values)) / means[('Cons+Cons', 0.1)]:.3g} % of Cons+Cons"
            else:
                evidence = " > ".join(f"{means[('AdaMix', f)]:.3g}" for f in EXPERIMENTS["fig8"].fractions)
            if seeds > 1 and deciding["statistic"]:
                evidence += f"; closest: {deciding['statistic']} {deciding['mean']:+.3g}{_iv(found[deciding['statistic']])}"
            add(claim, reading, verdict, evidence, seeds, deciding)
    return pd.DataFrame(rows, columns=columns)


def verdict_summary(claim_rows):
    """One verdict per claim: the readings' common verdict, or "depends on the reading"."""
    import pandas as pd

    rows = []
    for claim, sub in claim_rows.groupby("claim", sort=False):
        verdicts = sorted(set(sub["verdict"]))
        overall = verdicts[0] if len(verdicts) == 1 else "depends on the reading"
        detail = "; ".join(f"{r}: {v}" for r, v in zip(sub["reading"], sub["verdict"])) if len(verdicts) > 1 else None
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


# --- the misses explained: every hypothesis's run against the default's --------------------------
def classify(default: float, moved: float, band: float, still: float = STILL) -> str:
    """How a hypothesis's run moved a deviation from the published value (``default``: under the
    default reading; ``moved``: under the hypothesis; both as ours / theirs − 1) against the band
    ±``band``: "moved into the band", "stayed in the band", "moved out of the band", "did not move"
    (a move smaller than ``still`` × ``band``), "moved toward it" (closer to the published value),
    "moved away"; "not run" when either is not a finite number."""
    from optimlab.runtime import check_number

    check_number("band", band, low=0.0, low_open=True)
    check_number("still", still, low=0.0)
    if not (math.isfinite(default) and math.isfinite(moved)):
        return "not run"
    inside, was_inside = abs(moved) <= band, abs(default) <= band
    if inside:
        return "stayed in the band" if was_inside else "moved into the band"
    if was_inside:
        return "moved out of the band"
    if abs(moved - default) < still * band:
        return "did not move"
    return "moved toward it" if abs(moved) < abs(default) else "moved away"


def hypotheses_table(hypotheses=HYPOTHESES):
    """The declared hypotheses: ``hypothesis, statement, setup`` (the overrides of its run),
    ``addresses`` (the published values), ``predicts`` and ``rests on``."""
    import pandas as pd

    return pd.DataFrame([{"hypothesis": h.name, "statement": h.statement,
                          "setup": ", ".join(f"{k} = {v}" for k, v in h.reading.overrides),
                          "addresses": "; ".join(f"{experiment_label(n)} {lab}" + (
                              "" if f == 0.1 else f" on {fraction_label(f)}") for n, lab, f in h.addresses),
                          "predicts": f"{h.predicts} our value", "rests on": h.rests_on} for h in hypotheses],
                        columns=["hypothesis", "statement", "setup", "addresses", "predicts", "rests on"])


def explanation_frame(scale: str, device="auto", setup=None):
    """The ``explanations`` experiment at ``scale`` over :func:`explanation_seeds`, run or from the
    cache (``setup``: in place of the scale's)."""
    from optimlab.experiments.adamix.runner import run

    return run("explanations", scale=scale, seeds=explanation_seeds(scale), device=device, setup=setup)


def final_per_run(frame):
    """Each run's last recorded row (a run stopped early ends before the others): mean over seeds of
    the final test RER by ``reading, strategy, data_fraction``, with ``seeds``."""
    keys = ["reading", "strategy", "data_fraction", "seed"]
    last = frame.loc[frame.groupby(keys, sort=False)["epoch"].idxmax()]
    return last.groupby(keys[:-1], sort=False)["test_rer"].agg(["mean", "count"]).rename(
        columns={"mean": "test_rer", "count": "seeds"})


def _deviation(means, reading: str, name: str, label: str, fraction: float) -> tuple[float, float, str]:
    """(ours / theirs − 1, band, "absolute" or "relative") of published value (name, label, fraction)
    under ``reading``: a baseline absolutely, any other value relative to its baseline."""
    published = EXPERIMENTS[name].published
    base = baseline(name)

    def ours(lab, f):
        key = (reading, lab, f)
        return float(means.loc[key, "test_rer"]) if key in means.index else math.nan

    if (label, fraction) == base:
        return ours(label, fraction) / published[base] - 1.0, ABSOLUTE, "absolute"
    ratio = (ours(label, fraction) / ours(*base)) / (published[(label, fraction)] / published[base])
    return ratio - 1.0, RELATIVE, "relative"


def outcomes(frame, hypotheses=HYPOTHESES, still: float = STILL):
    """Every hypothesis against every published value it addresses, from ``frame`` (the
    ``explanations`` experiment's table: each addressed strategy and its baseline under the default
    reading and under the hypothesis's reading). One row each: ``hypothesis, statement, experiment,
    strategy, data_fraction, published, compared`` (absolute for a baseline, else relative to it),
    ``band, default, under hypothesis`` (ours / theirs − 1), ``predicts, moved`` ("raises"/"lowers"),
    ``as predicted`` ("yes"/"no"), ``outcome`` (:func:`classify`), ``run`` and ``seeds``."""
    import pandas as pd

    means = final_per_run(frame)
    rows = []
    for h in hypotheses:
        for name, label, fraction in h.addresses:
            d0, band, kind = _deviation(means, "default", name, label, fraction)
            d1, _, _ = _deviation(means, h.reading.name, name, label, fraction)
            key = (h.reading.name, label, fraction)
            moved = "raises" if d1 > d0 else "lowers" if d1 < d0 else "neither"
            rows.append({"hypothesis": h.name, "statement": h.statement, "experiment": name, "strategy": label,
                         "data_fraction": fraction, "published": EXPERIMENTS[name].published[(label, fraction)],
                         "compared": kind, "band": band, "default": d0, "under hypothesis": d1,
                         "predicts": h.predicts, "moved": moved if math.isfinite(d1 - d0) else "not run",
                         "as predicted": "yes" if moved == h.predicts else "no",
                         "outcome": classify(d0, d1, band, still),
                         "run": f"explanations under {h.reading.name!r}",
                         "seeds": int(means.loc[key, "seeds"]) if key in means.index else 0})
    return pd.DataFrame(rows)


def explanation_table(two_way, outcome_rows):
    """One row per published value outside the relative band in ``two_way`` (the default reading's
    :func:`two_way_comparison`): ``experiment, strategy, data_fraction, published,
    relative_to_baseline``, the hypothesis whose run came closest (``hypothesis``, its ``run`` and
    ``outcome``, best first in :data:`OUTCOMES`, then the smallest remaining deviation) and every
    hypothesis tested with its outcome (``all hypotheses``); "no hypothesis declared" where none
    addresses the value."""
    import pandas as pd

    flag = two_way["within_relative"]
    misses = two_way[flag.notna() & (flag == False)]  # noqa: E712  (True, False or NaN for a baseline)
    rank = {o: i for i, o in enumerate(OUTCOMES)}
    rows = []
    for _, miss in misses.iterrows():
        mine = outcome_rows[(outcome_rows["experiment"] == miss["experiment"])
                            & (outcome_rows["strategy"] == miss["strategy"])
                            & (outcome_rows["data_fraction"] == miss["data_fraction"])]
        row = {k: miss[k] for k in ("experiment", "strategy", "data_fraction", "published", "relative_to_baseline")}
        if mine.empty:
            rows.append({**row, "hypothesis": "no hypothesis declared", "run": "", "outcome": "", "all hypotheses": ""})
            continue
        best = mine.assign(rank=mine["outcome"].map(rank), left=mine["under hypothesis"].abs().fillna(math.inf)
                           ).sort_values(["rank", "left"], kind="stable").iloc[0]
        rows.append({**row, "hypothesis": best["hypothesis"], "run": best["run"], "outcome": best["outcome"],
                     "all hypotheses": "; ".join(f"{h}: {o}" for h, o in zip(mine["hypothesis"], mine["outcome"]))})
    return pd.DataFrame(rows, columns=["experiment", "strategy", "data_fraction", "published", "relative_to_baseline",
                                       "hypothesis", "run", "outcome", "all hypotheses"])


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
    fine = fine or flops.finetuning_run(s.sizes, n_train, n_test, s.finetuning().epochs, s.batch_size,
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
