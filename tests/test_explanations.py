"""Issue 23: the published values under every reading, the sensitivity fields of Setup, and the
hypotheses for the values we miss (their plan, the classification of an outcome, the tables).

The report's functions are checked on tables made up to have known answers; the sensitivity fields
against the pretraining they must reproduce (the same stack with no epochs, the default stack); the
``explanations`` experiment runs once on a tiny setup."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import replace

import pandas as pd
import pytest
import torch

from optimlab.experiments import adamix
from optimlab.experiments.adamix import HYPOTHESES, READINGS, SETUPS, Setup, report, runner
from optimlab.experiments.adamix.registry import BASELINES, EXPERIMENTS, Hypothesis, Reading
from optimlab.training.pretraining import RBMTraining, pretrain_stack

TINY = replace(SETUPS["smoke"], sizes=(784, 64, 32, 16, 8), fraction_scale=0.02, epochs=4, eval_every=2)


def _table(values: dict, *, reading: str = "default", experiment: str = "fig4", seeds=(0,), last: int = 50):
    """A results table: final test RER ``values[(label, fraction)]`` on every seed at epoch ``last``."""
    rows = []
    for (label, fraction), value in values.items():
        for seed in seeds:
            for epoch, rer in ((0, 100.0), (last, value)):
                rows.append({"experiment": experiment, "reading": reading, "strategy": label, "weight_rule": "",
                             "bias_rule": "", "data_fraction": fraction, "seed": seed, "epoch": epoch,
                             "test_rer": rer, "train_rer": rer, "seconds": 1.0})
    return pd.DataFrame(rows)


# --- the published values under every reading --------------------------------------------------------
def test_two_way_by_reading_counts_each_reading_and_names_the_closest():
    published = EXPERIMENTS["fig4"].published
    level = _table({k: 1.5 * v for k, v in published.items()})  # 50 % high, differences exact
    exact = _table(dict(published), reading="exact")
    skewed = _table({**published, ("AdaMix", 0.1): 2 * published[("AdaMix", 0.1)]}, reading="skewed")
    table = report.two_way_by_reading(pd.concat([level, exact, skewed]))
    assert table.columns[0] == "reading" and list(dict.fromkeys(table["reading"])) == ["default", "exact", "skewed"]
    counts = report.reading_counts(table).set_index("reading")
    n, rel = len(published), len(published) - 1  # the baseline (Cons) has no relative comparison
    assert counts.loc["default"].tolist() == [n, 0, rel, rel]
    assert counts.loc["exact"].tolist() == [n, n, rel, rel]
    assert counts.loc["skewed"].tolist() == [n, n - 1, rel, rel - 1]
    assert report.closest_reading(counts.reset_index()) == "exact"
    # a tie is named as one
    tied = report.reading_counts(report.two_way_by_reading(pd.concat([exact, exact.assign(reading="again")])))
    assert report.closest_reading(tied.drop(0)) == "again"
    assert report.closest_reading(pd.concat([tied, tied.iloc[:1].assign(reading="other")])) == "exact and again and other"


def test_the_default_comparison_is_unchanged_by_other_readings():
    published = EXPERIMENTS["fig4"].published
    frame = pd.concat([_table(dict(published)), _table({k: 2 * v for k, v in published.items()}, reading="x")])
    assert report.two_way_comparison(frame)["within_absolute"].all()
    assert not report.two_way_comparison(frame, reading="x")["within_absolute"].any()


# --- the classification of an outcome ----------------------------------------------------------------
@pytest.mark.parametrize("default,moved,expected", [
    (-0.76, -0.02, "moved into the band"),
    (-0.76, 0.04, "moved into the band"),
    (-0.76, -0.50, "moved toward it"),
    (-0.76, 0.60, "moved toward it"),  # across the published value, closer to it
    (-0.76, -0.755, "did not move"),  # less than STILL × band
    (-0.30, -0.50, "moved away"),
    (0.20, -0.30, "moved away"),
    (0.02, 0.03, "stayed in the band"),
    (0.02, 0.20, "moved out of the band"),
    (math.nan, 0.1, "not run"),
    (0.1, math.nan, "not run"),
])
def test_classify_against_the_band_and_the_default(default, moved, expected):
    assert report.classify(default, moved, 0.05) == expected
    assert expected in report.OUTCOMES


def test_classify_moves_are_measured_in_bands():
    # the same move is "did not move" in a wide band and a move in a narrow one
    assert report.classify(-0.5, -0.48, 0.2) == "did not move"
    assert report.classify(-0.5, -0.48, 0.05) == "moved toward it"
    assert report.classify(-0.5, -0.48, 0.05, still=1.0) == "did not move"


@pytest.mark.parametrize("kwargs,pattern", [({"band": 0.0}, "band"), ({"band": -1.0}, "band"),
                                            ({"band": 0.1, "still": -0.1}, "still")])
def test_classify_refuses_a_bad_band_by_name(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        report.classify(0.1, 0.2, **kwargs)


# --- the outcome table on a made-up explanations table --------------------------------------------
def _explanations_frame():
    """Made-up runs: None+Cons at 11 (default) and 50 (``no-pretraining``), Cons+Cons at 8 under both;
    Cons at 7.0 (default) and 8.4 (``eval-before-last``, stopped one epoch early); AdaMix 40 % high
    relative to Cons (default) and exactly the paper's ratio under ``current``."""
    p4, p5 = EXPERIMENTS["fig4"].published, EXPERIMENTS["fig5"].published
    cons = 7.0
    mix = cons * p4[("AdaMix", 0.1)] / p4[("Cons", 0.1)]
    return pd.concat([
        _table({("None+Cons", 0.1): 11.0, ("Cons+Cons", 0.1): 8.0, ("Cons", 0.1): cons,
                ("AdaMix", 0.1): 1.4 * mix}, seeds=(0, 1)),
        _table({("None+Cons", 0.1): 50.0, ("Cons+Cons", 0.1): 8.0}, reading="no-pretraining", seeds=(0, 1)),
        _table({("Cons", 0.1): 8.4}, reading="eval-before-last", seeds=(0, 1), last=49),
        _table({("Cons", 0.1): cons, ("AdaMix", 0.1): mix}, reading="current", seeds=(0, 1)),
    ], ignore_index=True), p5


def _hypotheses():
    by_name = {h.name: h for h in HYPOTHESES}
    return [by_name["no-pretraining"], by_name["eval-before-last"], by_name["current"]]


def test_outcomes_compare_each_hypothesis_with_the_default_in_the_right_band():
    frame, p5 = _explanations_frame()
    rows = report.outcomes(frame, _hypotheses())
    none = rows[(rows["hypothesis"] == "no-pretraining")].iloc[0]
    assert none["compared"] == "relative" and none["band"] == report.RELATIVE
    # independent oracle: (ours / our Cons+Cons) / (theirs / their Cons+Cons) − 1
    ratio = p5[("None+Cons", 0.1)] / p5[("Cons+Cons", 0.1)]
    assert none["default"] == pytest.approx(11.0 / 8.0 / ratio - 1)
    assert none["under hypothesis"] == pytest.approx(50.0 / 8.0 / ratio - 1)
    assert none["outcome"] == report.classify(none["default"], none["under hypothesis"], report.RELATIVE)
    assert none["moved"] == "raises" and none["as predicted"] == "yes" and none["seeds"] == 2
    # the baseline's own value is compared absolutely; a run stopped early is read at its own last epoch
    cons = rows[rows["hypothesis"] == "eval-before-last"].iloc[0]
    assert cons["compared"] == "absolute" and cons["band"] == report.ABSOLUTE
    assert cons["under hypothesis"] == pytest.approx(8.4 / 8.37 - 1) and cons["outcome"] == "moved into the band"
    # a hypothesis with an addressed value it has no run of says so
    current = rows[rows["hypothesis"] == "current"].set_index(["experiment", "strategy", "data_fraction"])
    assert current.loc[("fig4", "AdaMix", 0.1), "outcome"] == "moved into the band"
    assert current.loc[("fig4", "AdaMix", 0.1), "as predicted"] == "yes"
    assert current.loc[("fig8", "AdaMix", 1.0), "outcome"] == "not run"


def test_explanation_table_has_one_row_per_miss_with_its_best_hypothesis():
    frame, _ = _explanations_frame()
    rows = report.outcomes(frame, _hypotheses())
    two_way = pd.DataFrame([
        {"experiment": "fig5", "strategy": "None+Cons", "data_fraction": 0.1, "published": 51.4,
         "relative_to_baseline": -0.76, "within_relative": False},
        {"experiment": "fig4", "strategy": "AdaMix", "data_fraction": 0.1, "published": 7.82,
         "relative_to_baseline": 0.4, "within_relative": False},
        {"experiment": "fig6", "strategy": "Exp+Cons", "data_fraction": 0.1, "published": 8.67,
         "relative_to_baseline": 0.2, "within_relative": False},
        {"experiment": "fig4", "strategy": "AdaGrad", "data_fraction": 0.1, "published": 8.47,
         "relative_to_baseline": 0.01, "within_relative": True},
        {"experiment": "fig4", "strategy": "Cons", "data_fraction": 0.1, "published": 8.37,
         "relative_to_baseline": math.nan, "within_relative": math.nan},
    ])
    table = report.explanation_table(two_way, rows).set_index("strategy")
    assert list(table.index) == ["None+Cons", "AdaMix", "Exp+Cons"]  # the misses, in order; no baseline
    assert table.loc["AdaMix", "hypothesis"] == "current" and table.loc["AdaMix", "outcome"] == "moved into the band"
    assert table.loc["AdaMix", "run"] == "explanations under 'current'"
    assert table.loc["None+Cons", "hypothesis"] == "no-pretraining"
    assert table.loc["Exp+Cons", "hypothesis"] == "no hypothesis declared"


# --- the hypotheses as declared --------------------------------------------------------------------
def test_every_hypothesis_is_declared_with_a_valid_setup_and_published_values():
    names = [h.name for h in HYPOTHESES]
    assert len(set(names)) == len(names)
    readings = {}
    for h in HYPOTHESES:
        assert h.predicts in ("raises", "lowers") and len(h.rests_on) > 10 and h.addresses
        Setup(**dict(h.reading.overrides))  # a valid setup
        assert readings.setdefault(h.reading.name, h.reading) == h.reading  # one name, one setup
    known = {r.name: r for r in READINGS}
    for h in HYPOTHESES:  # a hypothesis named like a reading is that reading
        if h.reading.name in known:
            assert h.reading == known[h.reading.name]
    addressed = {a for h in HYPOTHESES for a in h.addresses}
    # the misses the issue names all have a hypothesis
    assert {("fig5", "None+Cons", 0.1), ("fig5", "Cons+None", 0.1), ("fig4", "Cons", 0.1),
            ("fig4", "AdaMix", 0.1), ("fig4", "AdaGrad", 0.1), ("fig8", "AdaMix", 1.0)} <= addressed
    none_cons = {h.name for h in HYPOTHESES if ("fig5", "None+Cons", 0.1) in h.addresses}
    assert len(none_cons) >= 3
    cons = {h.name for h in HYPOTHESES if ("fig4", "Cons", 0.1) in h.addresses}
    assert {"pretrain-10", "first-subset", "no-weight-cost", "momentum-0.5", "eval-before-last"} <= cons
    table = report.hypotheses_table()
    assert table["hypothesis"].tolist() == names and table["setup"].str.len().min() > 0


def test_a_hypothesis_refuses_what_it_cannot_test():
    with pytest.raises(ValueError, match="predicts"):
        Hypothesis("h", "s", Reading("h"), (("fig4", "Cons", 0.1),), "sideways", "a sentence")
    with pytest.raises(ValueError, match="addresses"):
        Hypothesis("h", "s", Reading("h"), (("fig4", "Adam", 0.1),), "raises", "a sentence")


def test_the_explanations_plan_runs_each_hypothesis_beside_the_default_and_shares_runs():
    plan = runner.explanation_plan("smoke", "cpu")
    seeds = runner.explanation_seeds("smoke")
    assert {row[4] for row in plan.rows} == set(seeds)
    for h in HYPOTHESES:
        for name, label, fraction in h.addresses:
            for lab, frac in ((label, fraction), BASELINES[name]):
                for reading in ("default", h.reading.name):
                    for seed in seeds:
                        assert ("explanations", reading, lab, frac, seed) in plan.rows
    claims = runner.merge(runner.claim_plans("smoke", "cpu"))
    shared = {str(j.path) for j in claims.finetune}
    rows = plan.rows
    # a hypothesis that is a reading points at that reading's claim runs; a sensitivity has runs of its own
    assert str(rows[("explanations", "per-round", "AdaMix", 1.0, seeds[0])].path) in shared
    assert str(rows[("explanations", "no-pretraining", "None+Cons", 0.1, seeds[0])].path) not in shared
    # pretraining sensitivities pretrain their own stack; the evaluation's does not
    default_stack = rows[("explanations", "default", "Cons", 0.1, seeds[0])].pretrain.path
    for name in ("no-pretraining", "untrained-top", "initial-weights", "momentum-0.5", "no-weight-cost",
                 "first-subset"):
        strategy = "None+Cons" if name in ("no-pretraining", "untrained-top", "initial-weights") else "Cons"
        assert rows[("explanations", name, strategy, 0.1, seeds[0])].pretrain.path != default_stack, name
    early = rows[("explanations", "eval-before-last", "Cons", 0.1, seeds[0])]
    assert early.pretrain.path == default_stack and str(early.path) not in shared
    # the book makes them
    book = runner.book_plan("smoke", "cpu")
    assert {str(j.path) for j in plan.finetune} <= {str(j.path) for j in book.finetune}


# --- the sensitivity fields of Setup ------------------------------------------------------------------
SENSITIVITY = [f for f in dataclasses.fields(Setup) if f.metadata.get("sensitivity")]


def test_sensitivity_fields_are_listed_with_their_sentences():
    table = adamix.sensitivities_table()
    assert table["field"].tolist() == [f.name for f in SENSITIVITY]
    assert {"weight_cost", "pretrain_final_momentum", "untrained_top_layers", "stack_weights",
            "stop_early_epochs"} <= set(table["field"])
    assert table["source"].str.len().min() > 20 and table["why it is measured"].str.len().min() > 20
    for f in SENSITIVITY:  # the default is the field's default, the alternative a valid value
        assert f.metadata["sensitivity"]["default"] == f.default
        for choice in f.metadata["choices"]:
            Setup(**{f.name: choice})


def test_sensitivity_defaults_keep_todays_pretraining_and_fine_tuning():
    paper = SETUPS["paper"]
    configs = paper.pretraining()
    n = len(paper.sizes) - 1
    expected = [RBMTraining(lr=paper.top_lr if i == n - 1 else paper.pretrain_lr, weight_cost=paper.weight_cost,
                            epochs=paper.pretrain_epochs, batch_size=paper.batch_size) for i in range(n)]
    assert configs == expected  # RBMTraining's own momentum schedule: 0.5, then 0.9
    assert paper.finetuning().epochs == paper.epochs


def test_sensitivity_fields_change_only_what_they_name():
    paper = SETUPS["paper"]
    top = replace(paper, untrained_top_layers=1).pretraining()
    assert [c.epochs for c in top] == [paper.pretrain_epochs] * 3 + [0]
    assert {c.final_momentum for c in replace(paper, pretrain_final_momentum=0.5).pretraining()} == {0.5}
    early = replace(paper, stop_early_epochs=1)
    assert early.finetuning().epochs == paper.epochs - 1 and early.finetuning().eval_epochs()[-1] == paper.epochs - 1
    # the rates still count the whole run: the Power rule's R is that of the default
    power = adamix.Strategy("Power+Cons", "Power", "Cons")
    rate = adamix.strategy_rules(power, early, 60)[0].kwargs["lr"]
    same = adamix.strategy_rules(power, paper, 60)[0].kwargs["lr"]
    assert [rate(t) for t in (0, 100, 2999)] == [same(t) for t in (0, 100, 2999)]


@pytest.mark.parametrize("field_name,value,pattern", [
    ("untrained_top_layers", 5, "untrained_top_layers"), ("untrained_top_layers", -1, "untrained_top_layers"),
    ("pretrain_final_momentum", 1.0, "pretrain_final_momentum"), ("stop_early_epochs", 50, "stop_early_epochs"),
    ("stop_early_epochs", 1.5, "stop_early_epochs"), ("stack_weights", "random", "stack_weights"),
    ("weight_cost", -1e-4, "weight_cost"),
])
def test_bad_sensitivity_values_are_refused_by_name(field_name, value, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        Setup(**{field_name: value})


def _stack(setup: Setup, x: torch.Tensor):
    job = runner.PretrainJob(setup, 0.1, 0, {}, None)
    saved = runner._pretrain(job, x)
    return saved["rbms"]


def test_initial_weights_keep_the_draws_and_the_pretrained_biases():
    x = torch.rand(40, 784, generator=torch.Generator().manual_seed(1))
    setup = replace(TINY, batch_size=10)
    pretrained = _stack(setup, x)
    initial = _stack(replace(setup, stack_weights="initial"), x)
    drawn, _ = pretrain_stack(x, setup.sizes, [replace(c, epochs=0) for c in setup.pretraining()], seed=0,
                              init_std=setup.init_std, first_visible_bias=setup.first_visible_bias)
    for a, b, d in zip(pretrained, initial, drawn):
        torch.testing.assert_close(b["W"], d.W, rtol=0, atol=0)  # the weights as drawn
        assert not torch.equal(a["W"], d.W)  # (pretraining moved them)
        torch.testing.assert_close(b["b"], a["b"], rtol=0, atol=0)  # the biases as pretrained
        torch.testing.assert_close(b["c"], a["c"], rtol=0, atol=0)


def test_an_untrained_top_layer_is_its_draw_and_the_rest_is_pretrained_as_before():
    x = torch.rand(40, 784, generator=torch.Generator().manual_seed(2))
    setup = replace(TINY, batch_size=10)
    pretrained = _stack(setup, x)
    top = _stack(replace(setup, untrained_top_layers=1), x)
    drawn, _ = pretrain_stack(x, setup.sizes, [replace(c, epochs=0) for c in setup.pretraining()], seed=0,
                              init_std=setup.init_std, first_visible_bias=setup.first_visible_bias)
    for a, b in zip(pretrained[:-1], top[:-1]):
        torch.testing.assert_close(a["W"], b["W"], rtol=0, atol=0)
    torch.testing.assert_close(top[-1]["W"], drawn[-1].W, rtol=0, atol=0)


# --- the explanations experiment, run at a tiny scale -------------------------------------------------
def test_explanations_run_and_every_addressed_value_gets_an_outcome(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    frame = adamix.run("explanations", scale="smoke", seeds=(0,), setup=TINY, device="cpu", workers=1)
    assert set(frame["reading"]) == {"default"} | {h.reading.name for h in HYPOTHESES}
    last = report.final_per_run(frame)
    early = last.loc[("eval-before-last", "Cons", 0.1)]
    assert early["seeds"] == 1
    ends = frame.groupby("reading")["epoch"].max()
    assert ends["eval-before-last"] == TINY.epochs - 1 and ends["default"] == TINY.epochs
    rows = report.outcomes(frame)
    assert len(rows) == sum(len(h.addresses) for h in HYPOTHESES)
    assert "not run" not in set(rows["outcome"]) and set(rows["outcome"]) <= set(report.OUTCOMES)
    # no pretraining: the start is the untrained network's, the same for every strategy under it
    start = frame[(frame["reading"] == "no-pretraining") & (frame["epoch"] == 0)]["test_rer"]
    assert start.nunique() == 1


def test_the_hypotheses_table_names_experiments_and_fractions_as_the_paper_does():
    shown = report.hypotheses_table().set_index("hypothesis")
    assert shown.loc["no-pretraining", "addresses"] == "Exp. 2 None+Cons"
    assert "Exp. 5 AdaMix on 3/10" in shown.loc["per-round", "addresses"]
    assert "Exp. 5 AdaMix on all" in shown.loc["per-round", "addresses"]
    assert [report.fraction_label(f) for f in (0.1, 0.3, 0.6, 1.0, 0.25)] == ["1/10", "3/10", "6/10", "all", "0.25"]
    assert report.experiment_label("fig4") == "Exp. 1"
    with pytest.raises(ValueError, match="name"):
        report.experiment_label("fig9")
