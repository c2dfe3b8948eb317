"""The harnesses of the replication chapters (12-18, 20): optimlab.presentation.replication and
optimlab.experiments.translation.report.

Each harness is checked against an oracle that does not share its code: a hand-driven run with the
same seed and setup, a closed form, a parameter count of a built network, or an invariant (AdaMix's
rates only shrink; adding the same pretraining time to every strategy pulls each ratio towards 1).
The runs use a tiny setup in a temporary results folder.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import replace

import matplotlib
import pandas as pd
import pytest
import torch

matplotlib.use("Agg")

from optimlab.experiments import adamix  # noqa: E402
from optimlab.experiments.stats import mean_interval  # noqa: E402
from optimlab.experiments.translation import protocol, runner  # noqa: E402
from optimlab.experiments.translation import report as treport  # noqa: E402
from optimlab.presentation import plotting, replication  # noqa: E402
from optimlab.presentation.chapter import Chapter  # noqa: E402
from optimlab.training.models.autoencoder import DeepAutoencoder  # noqa: E402
from optimlab.training.models.rbm import RBM  # noqa: E402

TINY = replace(adamix.SETUPS["smoke"], sizes=(784, 64, 32, 16, 8), fraction_scale=0.02, epochs=4, eval_every=2)
CH = Chapter("smoke", torch.device("cpu"), 0)


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    return tmp_path


def _frame(values: dict, epoch: int = 4, experiment: str = "fig6", by: str = "strategy") -> pd.DataFrame:
    """A results table with one final row per strategy (or data fraction) and a start row."""
    rows = []
    for key, value in values.items():
        strategy, fraction = (key, 0.1) if by == "strategy" else ("AdaMix", key)
        rows.append({"experiment": experiment, "reading": "default", "strategy": strategy,
                     "data_fraction": fraction, "seed": 0, "epoch": 0, "test_rer": 100.0, "seconds": 0.0})
        rows.append({"experiment": experiment, "reading": "default", "strategy": strategy,
                     "data_fraction": fraction, "seed": 0, "epoch": epoch, "test_rer": value,
                     "seconds": 10 * fraction})
    return pd.DataFrame(rows)


def test_glue_all_glues_every_value_and_shows_nothing():
    values = {"replication_test_a": 1.5, "replication_test_b": "yes"}
    assert replication.glue_all(values) is None  # a cell ending with it displays nothing
    assert {k: plotting.GLUED[k] for k in values} == values


def test_rerun_rejects_a_strategy_the_experiment_does_not_have():
    with pytest.raises(ValueError, match="labels must be strategies of fig4"):
        replication.rerun("fig4", CH, setup=TINY, strategies=["Nope"])


def test_weight_rule_rates_follow_the_closed_forms():
    rates = replication.weight_rule_rates(TINY)
    steps = TINY.epochs * TINY.steps_per_epoch(0.1)
    assert list(rates.columns) == ["Cons", "Exp", "Power"]
    assert len(rates) == steps + 1 and rates.index[-1] == pytest.approx(TINY.epochs)
    assert (rates["Cons"] == TINY.lr).all()
    # Power: η (1 + t/R)^(-q) with q = 0.75 ends at η 2^-0.75; Exp: η r^(t/R) ends at η r.
    assert rates["Power"].iloc[-1] == pytest.approx(TINY.lr * 2 ** -0.75)
    assert rates["Exp"].iloc[-1] == pytest.approx(TINY.lr * TINY.exp_decay_rate)
    assert rates["Exp"].is_monotonic_decreasing and rates["Power"].is_monotonic_decreasing


def test_numbers_of_exp3_compare_the_rule_groups():
    finals = {"Cons+Cons": 9.0, "Exp+Cons": 8.0, "Power+Cons": 8.5,
              "AdaGrad+Cons": 7.0, "AdaDec+Cons": 7.5, "AdaMix+Cons": 6.0}
    out = replication.numbers("fig6", _frame(finals), TINY)
    assert out["best_simple"] == 8.0 and out["best_adaptive"] == 6.0
    assert out["adaptive_all_better"] == "yes"
    assert replication.numbers("fig6", _frame({**finals, "AdaDec+Cons": 8.2}), TINY)["adaptive_all_better"] == "no"
    assert out["ours_AdaMix_Cons"] == 6.0  # the summary's keys are there too


def test_numbers_of_exp4_count_the_parameters_of_the_unrolled_network():
    sizes = TINY.sizes
    net = DeepAutoencoder.unroll([RBM(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
    params = list(net.replica_parameters(0))
    n_biases = sum(p.numel() for p in params if p.dim() == 1)
    n_total = sum(p.numel() for p in params)
    finals = {s.label: 5.0 + i for i, s in enumerate(adamix.EXPERIMENTS["fig7"].strategies)}
    out = replication.numbers("fig7", _frame(finals, experiment="fig7"), TINY)
    assert out["n_params"] == f"{n_total:,}"
    assert out["n_biases"] == f"{n_biases:,}"
    assert out["bias_share"] == pytest.approx(n_biases / n_total)
    assert out["spread"] == pytest.approx(len(finals) - 1)


def test_numbers_of_exp5_count_steps_per_fraction():
    fractions = adamix.EXPERIMENTS["fig8"].fractions
    falling = _frame({f: 10.0 - f for f in fractions}, experiment="fig8", by="fraction")
    out = replication.numbers("fig8", falling, TINY)
    assert out["monotone"] == "yes"
    assert out["steps_ratio"] == pytest.approx(TINY.steps_per_epoch(1.0) / TINY.steps_per_epoch(0.1))
    assert out["f1"] == pytest.approx(9.9) and out["p10"] == adamix.EXPERIMENTS["fig8"].published[("AdaMix", 1.0)]
    assert out["seconds_all"] == pytest.approx(10.0)
    rising = _frame({f: 10.0 + f for f in fractions}, experiment="fig8", by="fraction")
    assert replication.numbers("fig8", rising, TINY)["monotone"] == "no"


def test_runtime_frame_ratios_and_the_pull_of_pretraining_towards_one():
    seconds = pd.Series({"Cons": 2.0, "AdaGrad": 3.0, "AdaDec": 1.5, "AdaMix": 2.5})
    table = replication.runtime_frame(seconds, 4.0)
    assert table.loc["Cons", "ours / Cons"] == 1.0 and table.loc["Cons", "paper / Cons"] == 1.0
    assert table.loc["AdaGrad", "with pretraining / Cons"] == pytest.approx(7.0 / 6.0)
    assert table.loc["AdaMix", "paper (s)"] == adamix.PUBLISHED_SECONDS["AdaMix"]
    ours, pre = table["ours / Cons"], table["with pretraining / Cons"]
    assert ((pre - 1).abs() <= (ours - 1).abs() + 1e-12).all()


def test_exp_rate_ablation_equals_hand_driven_runs(results):
    rates = {"a": 0.1, "b": 0.5}
    ablation, out = replication.exp_rate_ablation(CH, setup=TINY, rates=rates)
    assert list(ablation.index) == list(rates)  # one row per configuration
    for label, r in rates.items():
        run = adamix.run("fig6", scale="smoke", setup=replace(TINY, exp_decay_rate=r), device="cpu",
                         strategies=[s for s in adamix.EXPERIMENTS["fig6"].strategies if s.label == "Exp+Cons"])
        assert ablation[label] == run[run["epoch"] == TINY.epochs]["test_rer"].item()
    assert out["exp_spread"] == pytest.approx(ablation.max() - ablation.min())


def test_fig5_rerun_numbers_and_figure(results):
    frame = replication.rerun("fig5", CH, setup=TINY)
    out = replication.numbers("fig5", frame, TINY)
    start = frame[frame["epoch"] == 0]["test_rer"]
    assert (start == start.iloc[0]).all()  # every strategy starts from the same pretrained network
    end = frame[(frame["strategy"] == "None+Cons") & (frame["epoch"] == TINY.epochs)]["test_rer"].item()
    assert out["none_cons_drop"] == pytest.approx(start.iloc[0] - end)
    assert out["none_cons_change"] == pytest.approx(abs(start.iloc[0] - end))
    assert out["none_cons_direction"] == ("lowers" if end <= start.iloc[0] else "raises")
    paper = adamix.EXPERIMENTS["fig5"].published[("None+Cons", 0.1)]
    assert out["none_cons_vs_start"] == ("above" if paper > start.iloc[0] else "not above")
    fig = replication.rerun_figure("fig5", frame, TINY)
    panels = [ax for ax in fig.axes if ax.get_title()]  # a published-values axis of its own has no title
    assert len(panels) == 2
    assert all("published" in ax.get_ylabel() for ax in fig.axes if not ax.get_title())
    assert {line.get_label() for line in fig.axes[1].lines} >= {"Cons+Cons", "Cons+None"}
    assert "None+Cons" not in {line.get_label() for line in fig.axes[1].lines}


def test_adamix_rates_only_shrink_and_cover_every_weight(results):
    frame = replication.rerun("fig4", CH, setup=TINY)
    rates, out = replication.adamix_rates(CH, frame, setup=TINY)
    sizes = TINY.sizes
    n_weights = 2 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    assert rates.numel() == n_weights
    assert bool((rates > 0).all()) and bool((rates <= 1).all())  # α(t) = α(t-1)/sqrt(1 + g²) ≤ η0
    assert out["mix_steps"] == TINY.epochs * TINY.steps_per_epoch(0.1)
    assert out["mix_median"] == pytest.approx(rates.median().item())
    fig = replication.rates_figure(rates)
    assert sum(p.get_height() for p in fig.axes[0].patches) == pytest.approx(n_weights)


def test_rule_readings_one_curve_per_strategy_and_reading(results):
    frame, last, out = replication.rule_readings(CH, setup=TINY)
    expected = {(s, r) for r, (_, labels) in replication.RULE_READINGS.items() for s in labels}
    assert set(zip(frame["strategy"], frame["reading"])) == expected
    assert math.isnan(last.loc["AdaMix", "AdaDec recursive"])  # a reading that does not apply
    printed = adamix.run("fig4", scale="smoke", setup=TINY, device="cpu",
                         strategies=[s for s in adamix.EXPERIMENTS["fig4"].strategies if s.label == "AdaDec"])
    assert out["adadec_printed"] == printed[printed["epoch"] == TINY.epochs]["test_rer"].item()


def test_pretraining_is_the_experiments_cached_stack_one_row_per_layer(results):
    x_train, _ = TINY.images(0.1)
    rbms, log, layers, out = replication.pretraining(CH, x_train, setup=TINY)
    assert len(layers) == len(rbms) == len(TINY.sizes) - 1
    assert list(layers["hidden units"]) == ["binary"] * (len(rbms) - 1) + ["gaussian"]  # a linear code layer
    assert out["pretrain_layer_seconds"] == pytest.approx(sum(layer["seconds"] for layer in log["layers"]))
    assert out["pretrain_epochs"] == TINY.pretrain_epochs
    # the stack fine-tuning starts from: a rerun reads the same pretrained file, not a new one
    replication.rerun("fig4", CH, setup=TINY, strategies=["Cons"])
    assert len(list((results / "smoke" / "pretrained").glob("*.pt"))) == 1


# --- chapter 20 ----------------------------------------------------------------------------------


def _study() -> treport.Study:
    members = [m for ms in protocol.FAMILIES.values() for m in ms]
    rows = []
    for i, optimizer in enumerate(members):
        for lr in (0.01, 0.1):
            for seed in (0, 1):
                bleu = math.nan if (optimizer == members[0] and seed == 1) else 10.0 * i + seed + lr
                rows.append({"optimizer": optimizer, "lr": lr, "seed": seed, "warmup": 5, "epoch": 2,
                             "val_loss": 1.0 + i, "test_bleu": bleu, "test_chrf": 2 * bleu,
                             "diverged": bool(math.isnan(bleu)), "flop": 1e12, "seconds": 36.0})
    frame = pd.DataFrame(rows)
    chosen = {m: 0.1 for m in members}
    best = {family: ms[0] for family, ms in protocol.FAMILIES.items()}
    diffs = pd.DataFrame({"other family": ["x"], "mean": [1.0]})
    verdicts = {b.name: ("holds" if b.name == "protocol" else "inconclusive", diffs, {"choices": chosen, "best": best})
                for b in protocol.BUDGETS}
    return treport.Study("smoke", frame, verdicts)


def test_score_table_means_and_intervals_over_seeds_with_diverged_runs_as_zero():
    study = _study()
    table, out = treport.score_table(study)
    assert len(table) == len(protocol.OPTIMIZERS)  # one row per optimizer
    first = protocol.OPTIMIZERS[0]
    row = table[table["optimizer"].str.startswith(first)].iloc[0]
    values = [0.0 + 0 + 0.1, 0.0]  # seed 1 diverged: scored 0
    assert row["BLEU"] == pytest.approx(statistics.mean(values))
    assert (row["BLEU low"], row["BLEU high"]) == pytest.approx(mean_interval(values, protocol.LEVEL)[1:])
    low, high = mean_interval(values, protocol.LEVEL)[1:]
    assert row["BLEU interval"] == f"{low:.1f} – {high:.1f}"
    assert row["diverged runs"] == 1
    starred = set(table.loc[table["optimizer"].str.endswith(" ★"), "optimizer"].str[:-2])
    assert starred == set(study.best.values())
    moment = table[table["optimizer"] == study.best[protocol.MOMENT] + " ★"]["BLEU"].item()
    assert out["bleu_moment"] == moment



def test_the_translation_tables_show_what_the_claim_compares():
    study = _study()
    scores, _ = treport.score_table(study)
    shown = replication.translation_scores(scores, level=95).cells()
    assert list(shown.columns) == ["optimizer", "family", "peak rate", "validation loss", "BLEU",
                                   "BLEU 95 % interval", "chrF", "chrF 95 % interval", "diverged runs"]
    assert len(shown) == len(protocol.OPTIMIZERS)
    diffs = pd.DataFrame({"other family": ["gradient descent"], "moment": ["Adam"], "other": ["SGD"],
                          "mean": [1.234], "low": [0.5], "high": [2.0], "seeds": [2], "budget": ["protocol"],
                          "verdict": ["holds"]})
    shown = replication.translation_diffs(diffs).cells()
    assert list(shown.columns) == ["budget", "other family", "adaptive moment", "other family's best",
                                   "mean BLEU difference", "interval low", "interval high", "seeds", "verdict"]
    assert shown["mean BLEU difference"].tolist() == ["+1.23"]
    # the protocol's own comparison has no budget or verdict column
    assert "budget" not in replication.translation_diffs(diffs.drop(columns=["budget", "verdict"])).cells().columns

def test_study_numbers_sensitivity_and_compute():
    study = _study()
    out = study.numbers()
    assert out["verdict"] == "holds" and out["verdict_protocol"] == "holds"
    assert out["n_runs"] == 2 * 2 * len(protocol.OPTIMIZERS) and out["n_diverged"] == 2  # seed 1 of the first optimizer, at both rates
    assert len(treport.sensitivity(study)) == len(protocol.BUDGETS)
    assert set(treport.sensitivity(study)["verdict"]) == {"holds", "inconclusive"}
    work = treport.compute(study, "cpu")
    assert work["tflop"] == pytest.approx(len(study.frame)) and work["train_minutes"] == pytest.approx(
        len(study.frame) * 36.0 / 60)
    assert len(study.at_choice()) == 2 * len(protocol.OPTIMIZERS)  # the chosen rate, every seed


def test_choices_at_an_end_of_the_grid_are_named():
    study = _study()  # smoke grid (0.01, 0.1); every optimizer chose 0.1
    first = protocol.OPTIMIZERS[0]
    study.chosen[first] = 0.01
    out = study.numbers()
    assert out["edge_bottom"] == first
    assert out["edge_top"] == ", ".join(m for m in protocol.OPTIMIZERS if m != first)
    study.chosen.update({m: 0.05 for m in protocol.OPTIMIZERS})  # inside the grid: none at an end
    assert (study.numbers()["edge_top"], study.numbers()["edge_bottom"]) == ("none", "none")


def test_the_tuning_figure_draws_every_rate_of_the_grid_on_log_axes():
    study = _study()
    fig = replication.tuning_figure(study)
    assert all(ax.get_yscale() == "log" and ax.get_xscale() == "log" for ax in fig.axes)
    for ax, members in zip(fig.axes, protocol.FAMILIES.values()):
        assert [line.get_label() for line in ax.lines] == list(members)
        assert all(sorted(line.get_xdata()) == sorted(set(study.tuning_runs()["lr"])) for line in ax.lines)


def test_protocol_numbers_and_families_follow_the_settings():
    settings = runner.SETTINGS["smoke"]
    out = treport.protocol_numbers("smoke")
    assert out["grid"].split(", ") == [f"{lr:g}" for lr in settings.grid]
    assert out["n_seeds"] == len(runner.SEEDS["smoke"]) and out["tuning_seed"] == runner.SEEDS["smoke"][0]
    assert list(treport.families_table()["family"]) == list(protocol.FAMILIES)
    with pytest.raises(ValueError, match="scale"):
        treport.protocol_numbers("huge")


def test_the_training_figure_has_one_panel_per_family():
    study = _study()
    fig = replication.training_figure(study)
    assert len(fig.axes) == len(protocol.FAMILIES)
    for ax, members in zip(fig.axes, protocol.FAMILIES.values()):
        assert [line.get_label() for line in ax.lines] == list(members)
    # one y scale for all families (the claim compares families), labelled once
    first = fig.axes[0]
    assert all(first.get_shared_y_axes().joined(first, ax) for ax in fig.axes[1:])
    assert [ax.get_ylabel() for ax in fig.axes] == ["validation loss (nats/token)"] + [""] * (len(fig.axes) - 1)


def test_the_reconstructions_figure_makes_the_runs_it_shows(results):
    """From an empty cache (a chapter run on its own, e.g. on Colab): the figure makes the runs whose
    networks it shows, and each row after the images is a network's reconstruction of them."""
    sizes = list(TINY.sizes) + list(reversed(TINY.sizes))[1:]
    weights = [torch.zeros(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    acts = ["linear" if i == len(TINY.sizes) - 2 else "sigmoid" for i in range(len(weights))]
    unrolled = DeepAutoencoder(weights, [torch.zeros(w.shape[1]) for w in weights], acts)
    assert not list(results.rglob("*.pt"))  # nothing cached yet
    fig = replication.reconstructions_figure(CH, unrolled, torch.rand(10, 784), setup=TINY)
    assert len(fig.axes) == 4  # the images, the unrolled network, Cons, AdaMix
    assert len(list((results / "smoke" / "runs").glob("*.pt"))) == 2  # the two runs it shows, made
    import matplotlib.pyplot as plt

    plt.close(fig)


# --- chapter 18: every reading, the misses explained (issue 23) -----------------------------------
def _claim_frames(scale: float = 1.0) -> dict:
    """Made-up claim tables: every experiment's published values (times ``scale``) under the default
    reading, and under "exact" the published values themselves; two seeds each."""
    frames = {}
    for name, exp in adamix.EXPERIMENTS.items():
        rows = []
        for reading, factor in (("default", scale), ("exact", 1.0)):
            for (label, fraction), value in exp.published.items():
                for seed in (0, 1):
                    for epoch, rer in ((0, 100.0), (4, value * factor)):
                        rows.append({"experiment": "readings" if name == "fig4" else name, "reading": reading,
                                     "strategy": label, "data_fraction": fraction, "seed": seed, "epoch": epoch,
                                     "test_rer": rer, "seconds": 1.0})
        frames[name] = pd.DataFrame(rows)
    return frames


def test_two_way_readings_counts_every_reading_and_glues_the_closest():
    frames = _claim_frames(scale=1.5)
    runs = adamix.report.claim_runs("smoke")
    rows = adamix.report.claims(frames)
    found = replication.Claims(runs, frames, rows, adamix.report.verdict_summary(rows))
    by_reading, counts, out = replication.two_way_readings(found)
    n = sum(len(e.published) for e in adamix.EXPERIMENTS.values())
    assert set(by_reading["reading"]) == {"default", "exact"} and len(by_reading) == 2 * n
    assert out["closest"] == "exact" and out["closest_abs"] == n and out["default_abs"] == 0
    assert out["default_rel"] == out["closest_rel"] == n - len(adamix.EXPERIMENTS)  # baselines left out
    numbers = found.numbers("smoke")
    assert numbers["n_seeds"] == len(runs["fig4"][1]) and numbers["n_data_seeds"] == len(runs["fig8"][1])
    assert numbers["seeds_by_experiment"].count("Exp.") == 5



def test_data_size_table_puts_the_paper_above_every_reading_one_column_per_fraction():
    frames = _claim_frames(scale=2.0)
    table = replication.data_size(frames["fig8"])
    published = adamix.EXPERIMENTS["fig8"].published
    assert list(table.columns) == ["reading", "seeds", "1/10", "3/10", "6/10", "all"]
    assert list(table["reading"]) == ["paper", "default", "exact"]
    assert list(table.iloc[0, 2:]) == [f"{v:.2f}" for v in published.values()]
    # two seeds with the same value: the interval is that value, twice
    assert list(table.iloc[1, 2:]) == [f"{2 * v:.2f} [{2 * v:.2f}, {2 * v:.2f}]" for v in published.values()]
    assert list(table["seeds"]) == ["", "2", "2"]


def test_readable_names_experiments_and_fractions_and_leaves_the_rest():
    frame = pd.DataFrame({"experiment": ["fig4", "fig8"], "data_fraction": [0.1, 1.0], "ours": [8.0, 3.5]})
    shown = replication.readable(frame)
    assert list(shown["experiment"]) == ["Exp. 1", "Exp. 5"]
    assert list(shown["data_fraction"]) == ["1/10", "all"] and list(shown["ours"]) == [8.0, 3.5]
    assert list(frame["experiment"]) == ["fig4", "fig8"]  # a copy: the harness's table is unchanged
    assert replication.readable(frame[["ours"]]).equals(frame[["ours"]])


def test_the_two_way_figure_names_the_experiments_as_the_paper_does():
    frames = _claim_frames(scale=1.5)
    rows = adamix.report.claims(frames)
    found = replication.Claims(adamix.report.claim_runs("smoke"), frames, rows, adamix.report.verdict_summary(rows))
    table, numbers = replication.two_way(Chapter("smoke", torch.device("cpu"), 0), found)
    fig = replication.two_way_figure(table, numbers["zoom"])
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == [f"Exp. {i}" for i in range(1, 6)]


def test_chapter_18s_tables_show_what_each_result_is_read_by():
    frames = _claim_frames(scale=1.5)
    rows = adamix.report.claims(frames)
    found = replication.Claims(adamix.report.claim_runs("smoke"), frames, rows, adamix.report.verdict_summary(rows))
    n = sum(len(e.published) for e in adamix.EXPERIMENTS.values())
    assert len(replication.verdicts_table(found).cells()) == len(adamix.report.CLAIMS)
    claims = replication.claims_table(found).cells()
    assert list(claims.columns) == ["claim", "reading", "verdict", "seeds", "statistic", "mean over seeds",
                                    "interval low", "interval high"]
    assert set(replication.evidence_table(found).cells()["claim"]) == {"C3", "C4", "C5", "C6"}
    paired = replication.paired_table(adamix.report.paired(frames["fig4"]), unit="s").cells()
    assert list(paired.columns) == ["reading", "AdaMix minus", "mean difference (s)", "interval low (s)",
                                    "interval high (s)", "verdict"]
    two_way, _ = replication.two_way(Chapter("smoke", torch.device("cpu"), 0), found)
    shown = replication.two_way_table(two_way).cells()
    assert len(shown) == n and shown["within (absolute)"].isin(["yes", "no"]).all()
    assert shown["experiment"].str.startswith("Exp. ").all() and "1/10" in set(shown["data fraction"])
    _, counts, _ = replication.two_way_readings(found)
    assert list(replication.reading_counts_table(counts).cells().columns) == [
        "reading", "published values", "within ±10%", "values not a baseline", "within ±5% of the baseline"]


def test_claims_table_shows_each_statistic_to_three_significant_digits_never_as_powers_of_ten():
    frames = _claim_frames(scale=1.5)
    rows = adamix.report.claims(frames)
    found = replication.Claims(adamix.report.claim_runs("smoke"), frames, rows, adamix.report.verdict_summary(rows))
    # one column holds statistics in seconds, RER and fractions: a column-wide rule would go scientific
    mixed = found.rows.head(3).assign(mean=[-0.0401, 10.93, -0.000258], low=[-0.0567, 0.557, -0.000367],
                                      high=[-0.0235, 21.29, -0.00015])
    shown = replication.claims_table(replace(found, rows=mixed)).cells()
    assert shown["mean over seeds"].tolist() == ["-0.0401", "+10.9", "-0.000258"]
    assert shown["interval low"].tolist() == ["-0.0567", "+0.557", "-0.000367"]
    assert shown["interval high"].tolist() == ["-0.0235", "+21.3", "-0.000150"]  # 3 digits, trailing zero kept


def test_every_published_value_under_every_reading_in_one_table():
    frames = _claim_frames(scale=1.5)
    rows = adamix.report.claims(frames)
    found = replication.Claims(adamix.report.claim_runs("smoke"), frames, rows, adamix.report.verdict_summary(rows))
    by_reading, _, _ = replication.two_way_readings(found)
    shown = replication.values_by_reading_table(by_reading).cells()
    n = sum(len(e.published) for e in adamix.EXPERIMENTS.values())
    assert len(shown) == n
    assert list(shown.columns) == ["experiment", "strategy", "data fraction", "published", "default", "exact"]
    none = shown[shown["strategy"] == "None+Cons"].iloc[0]
    # ours (every value 1.5 times the paper's under "default"), and relative to the baseline in brackets
    assert none["default"] == f"{1.5 * 51.40:.2f} (0.0%)" and none["exact"] == "51.40 (0.0%)"
    cons = shown[(shown["strategy"] == "Cons") & (shown["experiment"] == "Exp. 1")].iloc[0]
    assert cons["default"] == f"{1.5 * 8.37:.2f}"  # a baseline: compared with itself, no bracket

def test_explanations_harness_one_row_per_miss(results):
    two_way = pd.DataFrame([
        {"experiment": "fig5", "strategy": "None+Cons", "data_fraction": 0.1, "published": 51.4,
         "relative_to_baseline": -0.76, "within_relative": False},
        {"experiment": "fig6", "strategy": "Exp+Cons", "data_fraction": 0.1, "published": 8.67,
         "relative_to_baseline": 0.2, "within_relative": False},
    ])
    expl = replication.explanations(CH, two_way, setup=TINY)
    assert expl.misses["strategy"].tolist() == ["None+Cons", "Exp+Cons"]
    assert expl.misses.iloc[0]["outcome"] in adamix.report.OUTCOMES
    assert expl.misses.iloc[1]["hypothesis"] == "no hypothesis declared"
    assert set(expl.cons["strategy"]) == {"Cons"} and len(expl.cons) >= 5
    out = expl.numbers()
    assert out["n_misses"] == 2 and out["n_unexplained"] == 1
    assert out["n_hypotheses"] == len(adamix.HYPOTHESES) and out["expl_seeds"] == 2
    misses = replication.misses_table(expl).cells()
    assert misses["experiment"].tolist() == ["Exp. 2", "Exp. 3"] and "closest hypothesis" in misses.columns
    assert len(replication.cons_table(expl).cells()) == len(expl.cons)
    assert replication.outcomes_table(expl).cells()["experiment"].str.startswith("Exp. ").all()


def test_the_misses_sentence_counts_every_miss_once_by_its_best_outcome():
    outcomes = ["moved into the band", "moved toward it", "did not move", "moved away", "not run", ""]
    hypotheses = ["current", "untrained-top", "zero-first-biases", "no-pretraining", "per-round",
                  "no hypothesis declared"]
    misses = pd.DataFrame({"hypothesis": hypotheses, "outcome": outcomes})
    expl = replication.Explanations(frame=pd.DataFrame({"seed": [0, 1]}), outcomes=pd.DataFrame(), misses=misses,
                                    cons=pd.DataFrame())
    out = expl.numbers()
    assert (out["n_misses"], out["n_into_band"], out["n_toward"], out["n_not_moved"], out["n_unexplained"]) == (
        6, 1, 1, 3, 1)


def test_a_chapter_does_not_print_torchs_no_cuda_runtime_warning(caplog):
    """A CUDA toolkit on a machine without a GPU (this one, CI's) makes torch log "No CUDA runtime is
    found" when torch.compile imports its C++ helpers; the book showed it under five figures. It is
    about the machine, not the chapter: a chapter's start silences that logger, and only that one."""
    import logging

    from optimlab.presentation.chapter import start

    start("smoke", "cpu")
    with caplog.at_level(logging.WARNING):
        logging.getLogger("torch.utils.cpp_extension").warning("No CUDA runtime is found, using CUDA_HOME='%s'", "x")
        logging.getLogger("torch._inductor").warning("a warning that matters")
    assert [r.getMessage() for r in caplog.records] == ["a warning that matters"]
