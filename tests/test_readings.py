"""The readings of the AdaMix paper's ambiguities: each against a literal transcription of its
formula (float64, a few steps), the setup's cache keys, and the ``readings`` experiment."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import replace

import pytest
import torch

from optimlab.experiments import adamix
from optimlab.experiments.adamix import READINGS, SETUPS, Setup, Strategy, strategy_rules
from optimlab.experiments.adamix.registry import RULES
from optimlab.experiments.adamix.runner import _finetune_key, _pretrain_key
from optimlab.experiments.cache import key_digest
from optimbook.optim import AdaDec, AdaGrad, AdaMix

F64 = {"dtype": torch.float64}


def _grads(steps: int, shape=(3, 4), seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=g, dtype=torch.float64) * 3 for _ in range(steps)]


def _drive(opt_factory, grads, shape=(3, 4)):
    p = torch.nn.Parameter(torch.ones(shape, dtype=torch.float64))
    opt = opt_factory([p])
    out = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        out.append(p.detach().clone())
    return out


# --- the formulas ------------------------------------------------------------------------------------
@pytest.mark.parametrize("s", [1.0, 0.01])
def test_adamix_literal_is_eq_16_with_the_gradient_scaled_in_the_rate(s):
    grads, eta, K = _grads(6), 0.05, 1.0
    got = _drive(lambda ps: AdaMix(ps, lr=eta, K=K, total_steps=6, grad_scale=s), grads)
    theta, alpha = torch.ones(3, 4, **F64), torch.full((3, 4), eta, **F64)
    for g, p in zip(grads, got):
        alpha = alpha / torch.sqrt(K + (s * g) ** 2)  # α(t) = α(t−1) / sqrt(K + g(t)²)
        theta = theta - alpha * g  # the update uses the gradient as given
        torch.testing.assert_close(p, theta, rtol=1e-12, atol=0)


def test_adamix_current_has_no_product_over_time():
    grads, eta, K = _grads(5), 0.05, 1.0
    got = _drive(lambda ps: AdaMix(ps, lr=eta, K=K, total_steps=5, rate="current"), grads)
    theta = torch.ones(3, 4, **F64)
    for g, p in zip(grads, got):
        theta = theta - eta * g / torch.sqrt(K + g ** 2)  # α(t) = η(0) / sqrt(K + g(t)²)
        torch.testing.assert_close(p, theta, rtol=1e-12, atol=0)


def test_adamix_per_round_updates_the_rate_once_per_round():
    grads, eta, K, n = _grads(7), 0.05, 1.0, 3  # rounds of 3 steps: 0-2, 3-5, 6
    got = _drive(lambda ps: AdaMix(ps, lr=eta, K=K, total_steps=7, rate="per-round", round_steps=n,
                                   grad_scale=0.5), grads)
    theta, alpha, round_sum = torch.ones(3, 4, **F64), torch.full((3, 4), eta, **F64), torch.zeros(3, 4, **F64)
    for t, (g, p) in enumerate(zip(grads, got)):
        theta = theta - alpha * g  # the round moves with the rate the previous round left
        round_sum = round_sum + (0.5 * g) ** 2
        if (t + 1) % n == 0:  # α(r) = α(r−1) / sqrt(K + Σ_round g²)
            alpha, round_sum = alpha / torch.sqrt(K + round_sum), torch.zeros(3, 4, **F64)
        torch.testing.assert_close(p, theta, rtol=1e-12, atol=0)


def test_adamix_bias_rule_ignores_the_weight_reading():
    grads = _grads(4, shape=(5,))
    a = _drive(lambda ps: AdaMix(ps, lr=0.1, total_steps=4), grads, shape=(5,))
    b = _drive(lambda ps: AdaMix(ps, lr=0.1, total_steps=4, rate="per-round", round_steps=2,
                                 grad_scale=0.01), grads, shape=(5,))
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


@pytest.mark.parametrize("s", [1.0, 0.01])
def test_adagrad_gradient_scale_enters_the_accumulator_only(s):
    grads, eta, K = _grads(5), 0.05, 1.0
    got = _drive(lambda ps: AdaGrad(ps, lr=eta, K=K, eps=0.0, grad_scale=s), grads)
    theta, r = torch.ones(3, 4, **F64), torch.full((3, 4), K, **F64)
    for g, p in zip(grads, got):
        r = r + (s * g) ** 2  # eq. (12): η / sqrt(K + Σ g²), g of the chosen scale
        theta = theta - eta * g / torch.sqrt(r)
        torch.testing.assert_close(p, theta, rtol=1e-12, atol=0)


@pytest.mark.parametrize("recursive", [False, True])
@pytest.mark.parametrize("s", [1.0, 0.01])
def test_adadec_gradient_scale_enters_G_only(recursive, s):
    grads, eta, K, xi, q, R = _grads(5), 0.05, 1.0, 0.999, 0.75, 5
    got = _drive(lambda ps: AdaDec(ps, lr=eta, K=K, xi=xi, q=q, total_steps=R, recursive=recursive,
                                   grad_scale=s), grads)
    theta, G, previous = torch.ones(3, 4, **F64), torch.zeros(3, 4, **F64), torch.zeros(3, 4, **F64)
    for t, (g, p) in enumerate(zip(grads, got)):
        sq = (s * g) ** 2
        G = xi * G + sq if recursive else xi * previous + sq  # eq. (14) or Senior et al.
        previous = sq
        theta = theta - eta * (1 + t / R) ** (-q) * g / torch.sqrt(K + G)  # eq. (13), (15)
        torch.testing.assert_close(p, theta, rtol=1e-12, atol=0)


def test_bad_reading_arguments_are_refused_by_name():
    p = [torch.nn.Parameter(torch.ones(2, 2))]
    with pytest.raises(ValueError, match="rate must be one of"):
        AdaMix(p, total_steps=3, rate="sometimes")
    with pytest.raises(ValueError, match="round_steps"):
        AdaMix(p, total_steps=3, rate="per-round")
    with pytest.raises(ValueError, match="round_steps"):
        AdaMix(p, total_steps=3, round_steps=4)
    for cls, kw in ((AdaMix, {"total_steps": 3}), (AdaGrad, {}), (AdaDec, {"total_steps": 3})):
        with pytest.raises(ValueError, match="grad_scale"):
            cls(p, grad_scale=0.0, **kw)
    with pytest.raises(ValueError, match="adamix_rate must be one of"):
        Setup(adamix_rate="sometimes")
    with pytest.raises(ValueError, match="rate_gradient must be one of"):
        Setup(rate_gradient="median")


# --- the setup's readings and rules ---------------------------------------------------------------
def test_readings_choose_the_rules_they_name():
    paper = SETUPS["paper"]
    mix = Strategy("AdaMix", "AdaMix", "AdaMix")
    w, b = strategy_rules(mix, replace(paper, adamix_rate="per-round", rate_gradient="mean"), 60)
    assert w.kwargs["rate"] == "per-round" and w.kwargs["round_steps"] == 60
    assert w.kwargs["grad_scale"] == pytest.approx(1 / 100)
    w, _ = strategy_rules(Strategy("AdaGrad", "AdaGrad", "AdaGrad"), replace(paper, rate_gradient="mean"), 60)
    assert w.kwargs["grad_scale"] == pytest.approx(1 / 100)
    # the defaults build the same rules as before the readings existed (no extra arguments)
    w, _ = strategy_rules(mix, paper, 60)
    assert "rate" not in w.kwargs and "grad_scale" not in w.kwargs


def test_readings_table_quotes_the_paper_for_every_reading_field():
    table = adamix.readings_table()
    reading_fields = [f.name for f in dataclasses.fields(Setup) if f.metadata.get("reading")]
    assert table["field"].tolist() == reading_fields
    assert {"adamix_rate", "rate_gradient", "pretrain_epochs", "time_unit", "adadec_recursive",
            "exp_decay_rate", "q", "subset", "first_visible_bias"} <= set(reading_fields)
    assert table["source (English)"].str.len().min() > 10 and table["alternatives"].str.len().min() > 0
    for r in READINGS:
        for name, value in r.overrides:
            assert name in reading_fields, r.name
            Setup(**{name: value})  # a valid value of the field


def _other(f: dataclasses.Field, value):
    """A different valid value of a Setup field."""
    choices = f.metadata.get("choices")
    if choices:
        return next(c for c in choices if c != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, tuple):
        return value[:-1] + (value[-1] + 1,)
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 0.5
    raise AssertionError(f"no alternative for {f.name}")


ALL_STRATEGIES = [Strategy(f"{w}+{b}", w, b) for w in RULES for b in RULES]


@pytest.mark.parametrize("f", dataclasses.fields(Setup), ids=lambda f: f.name)
def test_every_setup_field_enters_the_cache_key_of_what_it_decides(f):
    base = replace(SETUPS["paper"], pretrain_epochs=50)
    changed = replace(base, **{f.name: _other(f, getattr(base, f.name))})
    stage = f.metadata["stage"]
    pre = key_digest(_pretrain_key(base, 0.1, 0)) != key_digest(_pretrain_key(changed, 0.1, 0))
    fine = {s.label for s in ALL_STRATEGIES
            if key_digest(_finetune_key(s, base, 0.1, 0, "cpu")) != key_digest(_finetune_key(s, changed, 0.1, 0, "cpu"))}
    if stage == "pretrain":
        assert pre and len(fine) == len(ALL_STRATEGIES)
    elif stage == "finetune":
        assert not pre and len(fine) == len(ALL_STRATEGIES)
    elif stage == "rule":  # enters through the rules of the strategies that read it
        assert not pre and fine, f"changing {f.name} changes no strategy's key"
        assert "Cons+Cons" not in fine
    else:
        assert stage == "execution" and not pre and not fine


# --- the readings experiment -------------------------------------------------------------------------
TINY = replace(SETUPS["smoke"], sizes=(784, 64, 32, 16, 8), fraction_scale=0.02, epochs=4, eval_every=2)


def test_readings_plan_shares_runs_with_fig4():
    p = adamix.plan(["fig4", "readings"], "smoke", (0, 1), "cpu", setup=TINY)
    fig4 = adamix.plan("fig4", "smoke", (0, 1), "cpu", setup=TINY)
    shared = {j.path for j in fig4.finetune}
    default = {job.path for (name, reading, *_), job in p.rows.items() if name == "readings" and reading == "default"}
    assert default == shared  # the default reading is Exp. 1 itself: no run twice
    # per seed: 4 default + 3 mean-gradient + current + per-round + 4 pretrain-10 = 13 distinct runs
    assert len(p.finetune) == 2 * 13
    assert len(p.pretrain) == 2 * 2  # 50-epoch-equivalent and 10-epoch stacks per seed
    cons = {job.path for (name, reading, label, *_), job in p.rows.items() if label == "Cons" and name == "readings"}
    assert len(cons) == 2 * 2  # Cons runs under the default stack and the 10-epoch stack, per seed


def test_readings_experiment_runs_and_reports_the_reading(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    frame = adamix.run("readings", scale="smoke", seeds=(0, 0), setup=TINY, device="cpu")
    last = frame[frame["epoch"] == frame["epoch"].max()]
    assert list(dict.fromkeys(last["reading"])) == [r.name for r in READINGS]
    assert len(last) == 4 * len(READINGS) and last["seed"].unique().tolist() == [0]  # seed 0 once
    assert last["test_rer"].notna().all()
    # a strategy a reading does not touch is the default run itself, shown under both
    table = last.set_index(["reading", "strategy"])["test_rer"]
    assert table[("current", "Cons")] == table[("default", "Cons")]
    assert table[("mean-gradient", "Cons")] == table[("default", "Cons")]
    assert table[("pretrain-10", "Cons")] != table[("default", "Cons")]
    # same pretrained network within a reading's stack: equal RER before fine-tuning
    start = frame[(frame["epoch"] == 0) & (frame["reading"] != "pretrain-10")]
    assert start["test_rer"].nunique() == 1
    # the readings differ where they should: the weight rate changes AdaMix's numbers
    mix = last[last["strategy"] == "AdaMix"].set_index("reading")["test_rer"]
    assert mix["current"] != mix["default"] and mix["per-round"] != mix["default"]


# --- the report's claims, on tables made up to have known answers ---------------------------------
def _frame(name: str, values: dict, seeds=(0, 1, 2), reading: str = "default", seconds=None):
    """A results table whose final test RER of (strategy, fraction) on seed s is values[...] + 0.01·s."""
    import pandas as pd

    rows = []
    for (label, fraction), v in values.items():
        for s in seeds:
            for epoch, rer in ((0, 100.0), (50, v + 0.01 * s)):
                rows.append({"experiment": name, "reading": reading, "strategy": label, "weight_rule": "",
                             "bias_rule": "", "data_fraction": fraction, "seed": s, "epoch": epoch,
                             "test_rer": rer, "train_rer": rer,
                             "seconds": (seconds or {}).get(label, 1.0) * epoch / 50 + 0.001 * s})
    return pd.DataFrame(rows)


def test_claim_verdicts_follow_the_documented_rules():
    import pandas as pd

    from optimlab.experiments.adamix import report

    good = _frame("fig4", {("Cons", 0.1): 8.4, ("AdaGrad", 0.1): 8.5, ("AdaDec", 0.1): 8.2, ("AdaMix", 0.1): 7.8},
                  seconds={"Cons": 7.0, "AdaGrad": 8.1, "AdaDec": 8.3, "AdaMix": 7.5})
    bad = _frame("fig4", {("Cons", 0.1): 8.4, ("AdaGrad", 0.1): 8.5, ("AdaDec", 0.1): 8.2, ("AdaMix", 0.1): 9.0},
                 reading="current", seconds={"Cons": 7.0, "AdaGrad": 8.1, "AdaDec": 8.3, "AdaMix": 9.5})
    fig5 = _frame("fig5", {("Cons+Cons", 0.1): 8.37, ("Cons+None", 0.1): 9.09, ("None+Cons", 0.1): 51.4}, seeds=(0,))
    fig6 = _frame("fig6", {(s.label, 0.1): v for s, v in zip(EXPERIMENTS6.strategies, (8.37, 8.67, 8.38, 8.28, 8.10, 7.88))},
                  seeds=(0,))
    fig7 = _frame("fig7", {(s.label, 0.1): v for s, v in zip(EXPERIMENTS7.strategies, (8.37, 8.49, 8.31, 8.54, 8.44, 8.45))},
                  seeds=(0,))
    fig8 = _frame("fig8", {("AdaMix", 0.1): 7.81, ("AdaMix", 0.3): 5.06, ("AdaMix", 0.6): 4.06, ("AdaMix", 1.0): 3.56},
                  seeds=(0,))
    rows = report.claims({"fig4": pd.concat([good, bad]), "fig5": fig5, "fig6": fig6, "fig7": fig7, "fig8": fig8})
    verdict = rows.set_index(["claim", "reading"])["verdict"]
    assert verdict[("C1", "default")] == "reproduced" and verdict[("C1", "current")] == "not reproduced"
    assert verdict[("C2", "default")] == "reproduced" and verdict[("C2", "current")] == "not reproduced"
    # the paper's own numbers satisfy its claims C3-C6
    assert {verdict[(c, "default")] for c in ("C3", "C4", "C5", "C6")} == {"reproduced"}
    summary = report.verdict_summary(rows).set_index("claim")
    assert summary.loc["C1", "verdict"] == "depends on the reading"
    assert "current: not reproduced" in summary.loc["C1", "by reading"]
    # a claim with one verdict under every reading has no per-reading detail: a missing value (the
    # book's tables show it as a dash with the reason), not an empty string shown as a blank cell
    assert pd.isna(summary.loc["C3", "by reading"])
    # a claim with no data is "not run"
    assert report.claims({})["verdict"].unique().tolist() == ["not run"]
    # overlapping intervals over seeds are inconclusive
    noisy = _frame("fig4", {("Cons", 0.1): 8.0, ("AdaGrad", 0.1): 8.0, ("AdaDec", 0.1): 8.0, ("AdaMix", 0.1): 8.0})
    noisy.loc[(noisy["strategy"] == "AdaMix") & (noisy["seed"] == 1), "test_rer"] -= 1.0
    assert report.claims({"fig4": noisy}).set_index("claim").loc["C1", "verdict"] == "inconclusive"


def test_two_way_comparison_separates_level_from_differences():
    from optimlab.experiments.adamix import report

    published = adamix.EXPERIMENTS["fig4"].published
    scaled = _frame("fig4", {k: 1.5 * v for k, v in published.items()})  # every value 50 % high
    table = report.two_way_comparison(scaled)
    assert not table["within_absolute"].any()
    relative = table.dropna(subset=["relative_to_baseline"])
    assert len(relative) == 3 and relative["within_relative"].all()  # the baseline (Cons) is left out
    assert relative["relative_to_baseline"].abs().max() < 0.01  # only the seeds' 0.01 offsets remain


EXPERIMENTS6 = adamix.EXPERIMENTS["fig6"]
EXPERIMENTS7 = adamix.EXPERIMENTS["fig7"]


# --- C3-C6 with several seeds: paired intervals (issue 23) ---------------------------------------
def _seeded(name: str, values: dict, shifts: dict | None = None, seeds=(0, 1, 2), reading: str = "default"):
    """:func:`_frame` with ``shifts[(label, fraction)] = [Δ per seed]`` added to those final RERs."""
    frame = _frame(name, values, seeds=seeds, reading=reading)
    for (label, fraction), deltas in (shifts or {}).items():
        for seed, delta in zip(seeds, deltas):
            at = ((frame["strategy"] == label) & (frame["data_fraction"] == fraction) & (frame["seed"] == seed)
                  & (frame["epoch"] == 50))
            frame.loc[at, "test_rer"] += delta
    return frame


@pytest.mark.parametrize("claim,name,clear,broken,noisy", [
    # C3: freezing the weights costs ten times what freezing the biases does
    ("C3", "fig5", ({}, {}), ({("Cons+None", 0.1): 20.0}, {}),
     ({("None+Cons", 0.1): 8.37, ("Cons+None", 0.1): 8.38}, {("None+Cons", 0.1): [1.0, -1.0, 0.5]})),
    # C4: every element-wise rule below every simple one
    ("C4", "fig6", ({}, {}), ({("AdaGrad+Cons", 0.1): 8.5}, {}),
     ({("AdaGrad+Cons", 0.1): 8.37}, {("AdaGrad+Cons", 0.1): [0.2, -0.2, -0.1]})),
    # C5: the bias rules span at most 5 % of Cons+Cons (8.31 + 0.4185 is exactly 5 % above the lowest)
    ("C5", "fig7", ({}, {}), ({("Cons+AdaGrad", 0.1): 9.0}, {}),
     ({("Cons+AdaGrad", 0.1): 8.31 + 0.05 * 8.37}, {("Cons+AdaGrad", 0.1): [0.2, -0.2, 0.0]})),
    # C6: AdaMix's RER falls at every step to more data
    ("C6", "fig8", ({}, {}), ({("AdaMix", 1.0): 4.5}, {}),
     ({("AdaMix", 1.0): 4.06}, {("AdaMix", 1.0): [0.3, -0.3, 0.1]})),
])
def test_claims_c3_to_c6_use_paired_intervals_over_seeds(claim, name, clear, broken, noisy):
    import pandas as pd

    from optimlab.experiments.adamix import report

    paper = dict(adamix.EXPERIMENTS[name].published)
    frames = [_seeded(name, {**paper, **values}, shifts, reading=reading)
              for reading, (values, shifts) in (("clear", clear), ("broken", broken), ("noisy", noisy))]
    rows = report.claims({name: pd.concat(frames)}).set_index(["claim", "reading"])
    assert rows.loc[(claim, "clear"), "verdict"] == "reproduced"
    assert rows.loc[(claim, "broken"), "verdict"] == "not reproduced"
    side = -1 if claim in ("C4", "C6") else 1  # the claimed side of zero
    assert side * rows.loc[(claim, "broken"), "high"] < 0 and side * rows.loc[(claim, "broken"), "low"] < 0
    assert rows.loc[(claim, "noisy"), "verdict"] == "inconclusive"
    noisy_row = rows.loc[(claim, "noisy")]
    assert noisy_row["seeds"] == 3 and noisy_row["low"] < 0 < noisy_row["high"]  # the deciding interval straddles
    assert "[" in noisy_row["evidence"]  # the evidence quotes the interval
    # one seed of the same tables: the values decide, as the documented rule on the means does
    one = report.claims({name: pd.concat(f[f["seed"] == 0] for f in frames)}).set_index(["claim", "reading"])
    assert one.loc[(claim, "clear"), "verdict"] == "reproduced"
    assert one.loc[(claim, "broken"), "verdict"] == "not reproduced"
    assert math.isnan(one.loc[(claim, "clear"), "low"])


def _rule_on_means(claim: str, v: dict) -> bool:
    """The claims' rules as the report's docstring states them, on one seed's values (the oracle)."""
    if claim == "C3":
        dw, db = v[("None+Cons", 0.1)] - v[("Cons+Cons", 0.1)], v[("Cons+None", 0.1)] - v[("Cons+Cons", 0.1)]
        return dw > 0 and abs(db) < dw / 10
    if claim == "C4":
        return max(v[(s, 0.1)] for s in ("AdaGrad+Cons", "AdaDec+Cons", "AdaMix+Cons")) < min(
            v[(s, 0.1)] for s in ("Cons+Cons", "Exp+Cons", "Power+Cons"))
    if claim == "C5":
        return (max(v.values()) - min(v.values())) / v[("Cons+Cons", 0.1)] <= 0.05
    values = [v[("AdaMix", f)] for f in (0.1, 0.3, 0.6, 1.0)]
    return all(b < a for a, b in zip(values, values[1:]))


@pytest.mark.parametrize("claim,name", [("C3", "fig5"), ("C4", "fig6"), ("C5", "fig7"), ("C6", "fig8")])
def test_with_one_seed_the_paired_test_is_the_rule_on_the_values(claim, name):
    import random

    from optimlab.experiments.adamix import report

    rng = random.Random(claim)
    paper = dict(adamix.EXPERIMENTS[name].published)
    verdicts = set()
    for _ in range(40):
        scale = {"C3": 0.6, "C4": 0.03, "C5": 0.03, "C6": 0.3}[claim]
        values = {k: v * (1 + rng.uniform(-scale, scale)) for k, v in paper.items()}
        got = report.claims({name: _frame(name, values, seeds=(0,))}).set_index("claim").loc[claim, "verdict"]
        want = "reproduced" if _rule_on_means(claim, {k: v for k, v in values.items()}) else "not reproduced"
        assert got == want, values
        verdicts.add(got)
    assert verdicts == {"reproduced", "not reproduced"}  # both outcomes were exercised


def test_claims_are_tested_on_every_experiment_under_every_reading_with_seeds():
    from optimlab.experiments.adamix import runner

    for scale in ("smoke", "paper"):
        runs = runner.claim_runs(scale)
        seeds = runs["fig4"][1]
        assert len(seeds) > 1 and runs["fig4"][0] == "readings"
        for name in ("fig5", "fig6", "fig7"):
            assert runs[name] == (name, seeds, READINGS)
        assert runs["fig8"][0] == "fig8" and runs["fig8"][2] == READINGS
    assert runner.claim_runs("paper")["fig8"][1] == (0, 1, 2) and len(runner.claim_runs("smoke")["fig8"][1]) == 2


def test_the_claims_intervals_are_the_stats_modules():
    from optimlab.experiments.adamix import report
    from optimlab.experiments.stats import mean_interval

    for xs in ([1.0, 2.0, 4.0], [0.3, -0.1], [2.0, 2.0, 2.0, 2.5, 1.0]):
        assert report._interval(xs) == pytest.approx(mean_interval(xs, report.LEVEL), rel=1e-12)
    mean, low, high = report._interval([3.0])
    assert mean == 3.0 and math.isnan(low) and math.isnan(high)


def test_exp5_by_fraction_gives_every_reading_a_mean_and_t_interval_per_fraction():
    import pandas as pd

    from optimlab.experiments.adamix import report

    paper = dict(adamix.EXPERIMENTS["fig8"].published)
    frame = pd.concat([_seeded("fig8", paper),  # seed s ends at the paper's value + 0.01·s
                       _seeded("fig8", {k: 2 * v for k, v in paper.items()}, seeds=(0,), reading="current")])
    table = report.by_fraction(frame).set_index(["reading", "data_fraction"])
    assert list(dict.fromkeys(table.index.get_level_values("reading"))) == ["default", "current"]
    t = 4.302652729911275  # Student's t, 2 degrees of freedom, 0.975 quantile
    for fraction, value in ((f, v) for (_, f), v in paper.items()):
        row = table.loc[("default", fraction)]
        assert row["published"] == value and row["seeds"] == 3
        assert row["mean"] == pytest.approx(value + 0.01)
        half = t * 0.01 / math.sqrt(3)  # the three seeds' sample standard deviation is 0.01
        assert (row["low"], row["high"]) == (pytest.approx(value + 0.01 - half), pytest.approx(value + 0.01 + half))
        one = table.loc[("current", fraction)]
        assert one["mean"] == pytest.approx(2 * value) and one["seeds"] == 1 and math.isnan(one["low"])
    with pytest.raises(ValueError, match="fig8"):
        report.by_fraction(_frame("fig4", {("AdaMix", 0.1): 8.0}))
