"""The harnesses and figures of chapters 8-11 (optimlab.experiments.schedule_studies and
optimlab.presentation.schedule_figures), against hand-driven runs, closed forms and torch's oracles."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from optimbook import schedules as S  # noqa: E402
from optimbook import testing as registry  # noqa: E402
from optimbook.optim import SGD, AdaGrad, Adam  # noqa: E402
from optimbook.schedules import ScheduleLR  # noqa: E402
from optimlab.experiments import schedule_studies as st  # noqa: E402
from optimlab.presentation import plotting  # noqa: E402
from optimlab.presentation import schedule_figures as figs  # noqa: E402
from optimlab.training.data import synthetic_regression  # noqa: E402
from optimlab.training.landscapes import LANDSCAPES, trajectory, tune_lr  # noqa: E402
from optimlab.training.losses import cross_entropy, half_mse  # noqa: E402
from optimlab.training.loop import NonFiniteLossError, fit, log_steps  # noqa: E402
from optimlab.training.models import LinearRegression, mlp  # noqa: E402

TWO = {"rosenbrock": LANDSCAPES["rosenbrock"], "quadratic": LANDSCAPES["quadratic"]}
LINEUP = {"SGD": (SGD, {}), "Adam": (Adam, {})}


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def tiny_mnist():
    """Random 784-pixel 'images' of 10 classes: the MLP harnesses' shapes, in milliseconds."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(60, 784, generator=g)
    y = torch.randint(0, 10, (60,), generator=g)
    return x[:40], y[:40], x[40:], y[40:]


# --- chapter 8 ------------------------------------------------------------------------------------


def test_capabilities_lists_exactly_the_true_flags_of_each_optimizer():
    table = st.capabilities()
    rows = registry.table()
    assert list(table.index) == [r["optimizer"] for r in rows]
    for row in rows:
        flags = {k for k, v in row.items() if v is True}
        shown = table.loc[row["optimizer"], "supports"]
        assert (set(shown.split(", ")) if shown != "--" else set()) == flags
        assert table.loc[row["optimizer"], "source"] == row["source"]


def test_gallery_tuning_has_one_row_per_landscape_optimizer_and_rate_and_best_is_tune_lrs_choice():
    grid = [1e-3, 1e-2, 1e-1]
    tuning = st.gallery_tuning(10, grid, landscapes=TWO, lineup=LINEUP)
    assert len(tuning) == len(TWO) * len(LINEUP) * len(grid)
    best = st.best_rates(tuning)
    assert list(best.index) == list(LINEUP) and list(best.columns) == list(TWO)
    for key, land in TWO.items():
        for name, (cls, kw) in LINEUP.items():
            lr, _ = tune_lr(lambda p, lr, cls=cls: cls(p, lr=lr), land.f, land.start, 10, grid)
            assert best.loc[name, key] == lr


def test_best_rates_is_nan_where_no_rate_is_finite():
    tuning = pd.DataFrame({"landscape": ["a", "a", "b", "b"], "optimizer": ["X"] * 4, "lr": [0.1, 1.0, 0.1, 1.0],
                           "final_value": [math.inf, math.inf, 2.0, 1.0]})
    best = st.best_rates(tuning)
    assert math.isnan(best.loc["X", "a"]) and best.loc["X", "b"] == 1.0


def test_best_rates_breaks_a_tie_towards_the_smaller_rate():
    tuning = pd.DataFrame({"landscape": ["a"] * 3, "optimizer": ["X"] * 3, "lr": [1.0, 0.01, 0.1],
                           "final_value": [0.5, 0.5, 0.7]})
    assert st.best_rates(tuning).loc["X", "a"] == 0.01


def test_gallery_paths_are_the_trajectories_at_the_chosen_rates_and_skip_missing_ones():
    best = pd.DataFrame({"rosenbrock": [1e-3, np.nan], "quadratic": [1e-2, 1e-1]}, index=["SGD", "Adam"])
    paths = st.gallery_paths(best, 8, landscapes=TWO, lineup=LINEUP)
    assert set(paths) == {("rosenbrock", "SGD"), ("quadratic", "SGD"), ("quadratic", "Adam")}
    by_hand = trajectory(lambda p: Adam(p, lr=1e-1), TWO["quadratic"].f, TWO["quadratic"].start, 8).numpy()
    np.testing.assert_array_equal(paths["quadratic", "Adam"], by_hand)
    final = st.gallery_finals(paths, ["SGD", "Adam"], landscapes=TWO)
    assert math.isnan(final.loc["Adam", "Rosenbrock"])
    assert final.loc["Adam", "ill-conditioned quadratic"] == pytest.approx(
        float(TWO["quadratic"].f(torch.from_numpy(by_hand[-1]))))


def test_gallery_findings_rank_by_final_value_and_name_the_never_finite():
    lands = {"rosenbrock": LANDSCAPES["rosenbrock"], "saddle": LANDSCAPES["saddle"]}
    final = pd.DataFrame({"Rosenbrock": [3.0, 1.0, 2.0, np.nan], "saddle": [-5.0, -1.0, -9.0, np.nan]},
                         index=["A", "B", "C", "D"])
    best = pd.DataFrame({"rosenbrock": [0.1, 0.1, 0.1, np.nan], "saddle": [0.1, np.nan, 0.1, np.nan]},
                        index=["A", "B", "C", "D"])
    out = st.gallery_findings(final, best, landscapes=lands)
    assert out["best_rosenbrock"] == "B, C, A" and out["worst_rosenbrock"] == "A, C, B"
    assert out["bestval_rosenbrock"] == 1.0 and out["best_saddle"] == "C, A, B"
    assert out["one_winner"] == "B is lowest on all of them"  # the only bounded landscape here
    assert "D left the finite numbers at every rate of the grid, on every landscape" in out["finite_note"]
    assert "B left the finite numbers at every rate of the grid on saddle" in out["finite_note"]


def test_amari_first_step_is_eps_times_the_squared_gradient_norm():
    # the quadratic 0.5 (u² + c v²) at a point: gradient by hand
    land = LANDSCAPES["quadratic"]
    x, y = land.start
    c, s, k = math.cos(math.pi / 6), math.sin(math.pi / 6), 50.0
    u, v = c * x + s * y, -s * x + c * y
    gx, gy = u * c - k * v * s, u * s + k * v * c
    out = st.amari_first_steps(0.01, landscapes={"quadratic": land})
    assert out[land.name] == pytest.approx(0.01 * (gx**2 + gy**2))


def _fake_compare(overflow_above: float, calls: list):
    """A stand-in for classifier.compare: overflows above a rate, else a loss that falls with lr."""
    def compare(candidates, *, scale, seeds, epochs=None, device="auto", cache=True):
        ((label, rule),) = candidates.items()
        lr = rule.kwargs["lr"]
        calls.append((label, lr, tuple(seeds)))
        if lr > overflow_above:
            raise NonFiniteLossError("overflow")
        e = epochs or 3
        return pd.DataFrame([{"label": label, "seed": s, "epoch": ep, "step": ep * 10, "seconds": 1.0 + s,
                              "train_loss": 1.0 / (lr * (ep + 1)), "test_loss": 2.0 / (lr * (ep + 1)),
                              "test_accuracy": 0.5} for s in seeds for ep in range(e + 1)])
    return compare


def test_mnist_tuning_marks_overflowing_runs_and_chosen_rates_skips_them(monkeypatch):
    calls = []
    monkeypatch.setattr(st, "compare", _fake_compare(0.5, calls))
    tuning = st.mnist_tuning(["SGD", "Adam"], [0.01, 0.1, 1.0], scale="smoke", seed=0, epochs=2)
    assert len(tuning) == 6 and len(calls) == 6
    assert tuning.loc[tuning["lr"] == 1.0, "diverged"].all()
    assert np.isinf(tuning.loc[tuning["lr"] == 1.0, "train_loss"]).all()
    rates = st.chosen_rates(tuning)
    assert list(rates.index) == ["SGD", "Adam"] and (rates == 0.1).all()
    assert st.tuning_note(tuning) == "Blank cells are runs whose loss overflowed: SGD @ 1e+00, Adam @ 1e+00."
    assert st.tuning_note(tuning[~tuning["diverged"]]) == "No tuning run overflowed."


def test_head_to_head_steps_down_the_grid_when_a_seed_overflows(monkeypatch):
    calls = []
    monkeypatch.setattr(st, "compare", _fake_compare(0.05, calls))
    frame, used, lowered = st.head_to_head(pd.Series({"SGD": 0.1, "Adam": np.nan}), [0.001, 0.01, 0.1],
                                           scale="smoke", seeds=(0, 1), epochs=2, warm_up=False)
    assert used.to_dict() == {"SGD": 0.01}
    assert lowered == ["SGD (from 1e-01)"]
    assert set(frame["seed"]) == {0, 1}
    summary = st.head_to_head_summary(frame, used)
    last = frame[frame["epoch"] == 2]
    assert summary.loc["SGD", "test_loss"] == pytest.approx(last["test_loss"].mean())
    assert summary.loc["SGD", "seconds"] == pytest.approx(1.5) and summary.loc["SGD", "lr"] == 0.01


def test_head_to_head_findings_compare_adamix_with_sgd():
    summary = pd.DataFrame({"lr": [0.1, 0.1, 0.01], "train_loss": [1, 2, 3], "test_loss": [0.5, 1.0, 0.8],
                            "test_accuracy": [0.9, 0.8, 0.85], "accuracy_sd": [0.0] * 3,
                            "seconds": [1.0, 4.0, 2.0]}, index=pd.Index(["AdaMix", "SGD", "AdaGrad"]))
    frame = pd.DataFrame({"label": ["SGD", "SGD"], "epoch": [3, 3], "seconds": [2.0, 6.0]})
    tuning = pd.DataFrame({"optimizer": ["SGD", "SGD", "AdaMix", "AdaMix"], "lr": [0.1, 1.0, 0.1, 1.0],
                           "train_loss": [1.0, 8.0, 2.0, 4.0]})
    out = st.head_to_head_findings(frame, summary, tuning, summary["lr"])
    assert out["h2h_best"] == "AdaMix, AdaGrad, SGD" and out["h2h_best_name"] == "AdaMix"
    assert out["h2h_mix_sgd"] == "here AdaMix's final test loss is 0.50 times SGD's"
    assert out["h2h_time_ratio"] == 4.0 and out["h2h_seed_spread"] == 3.0
    assert out["lr_effect"] == pytest.approx(5.0)  # median of 8 and 2
    assert out["opt_effect"] == 2.0 and out["tune_first"] == "tune the learning rate first"


# --- chapter 9 ------------------------------------------------------------------------------------

TINY_FLOOR = st.NoiseFloorSettings(m=200, d=3, steps=60, batch_size=8, lr=0.02)


def test_noise_floor_run_equals_a_hand_driven_fit_with_the_same_seed():
    rules = st.noise_floor_rules(TINY_FLOOR.steps, TINY_FLOOR.lr)
    frame = st.noise_floor_run(TINY_FLOOR, {"cosine-free step": rules["step decay"]}, seed=1)
    x, y, _ = synthetic_regression(200, 3, noise=0.5, condition=10.0, seed=1, dtype=torch.float64)
    torch.manual_seed(1)
    model = LinearRegression(3).to(torch.float64)
    opt = SGD(model.parameters(), lr=0.02)
    fit(model, half_mse, opt, x, y, batch_size=8, epochs=10**9, max_steps=60, seed=1,
        scheduler=ScheduleLR(opt, rules["step decay"]))
    x1 = torch.cat([torch.ones(200, 1, dtype=x.dtype), x], dim=1)
    j_min = half_mse(x1 @ torch.linalg.lstsq(x1, y.unsqueeze(1)).solution[:, 0], y).item()
    with torch.no_grad():
        expected = half_mse(model(x), y).item() - j_min
    assert frame["excess_loss"].iloc[-1] == pytest.approx(expected, rel=1e-12)
    assert frame["step"].iloc[-1] == 60
    assert set(frame["step"]) <= set(log_steps(60, per_decade=20)) | {0, 60}


def test_noise_floor_summary_sums_the_rates_in_closed_form():
    R, lr0 = 100, 0.02
    rules = st.noise_floor_rules(R, lr0)
    frame = pd.DataFrame({"rule": list(rules), "step": R, "excess_loss": np.linspace(1, 2, len(rules))})
    summary = st.noise_floor_summary(frame, rules, R)
    assert summary.loc["constant", "Σ η(t)"] == pytest.approx(R * lr0)
    r = 0.01 ** (1 / R)  # exponential decay to lr0/100 at R: a geometric series
    assert summary.loc["exponential", "Σ η(t)"] == pytest.approx(lr0 * (1 - r**R) / (1 - r))
    assert summary.loc["exponential", "Σ η(t)²"] == pytest.approx(lr0**2 * (1 - r ** (2 * R)) / (1 - r**2))
    assert summary.loc["exponential", "η(R)"] == pytest.approx(lr0 / 100)
    assert summary.loc["piecewise constant", "Σ η(t)"] == pytest.approx(
        lr0 * 51 + lr0 / 10 * 25 + lr0 / 100 * 24)  # t <= 50, 50 < t <= 75, t > 75


def test_noise_floor_findings_say_when_decay_does_not_beat_the_floor():
    rules = st.noise_floor_rules(100, 0.02)
    base = {n: 1.0 for n in rules}
    frame = pd.DataFrame({"rule": list(base), "step": 100, "excess_loss": list(base.values())})
    out = st.noise_floor_findings(st.noise_floor_summary(frame, rules, 100))
    assert "no clear gain" in out["nf_gain_phrase"] and out["nf_best_rule"] != "constant"
    frame.loc[frame["rule"] == "exponential", "excess_loss"] = 0.01
    out = st.noise_floor_findings(st.noise_floor_summary(frame, rules, 100))
    assert out["nf_best_rule"] == "exponential" and out["nf_gain_phrase"] == "100 times below the floor"


# --- chapter 10 -----------------------------------------------------------------------------------


def test_run_length_counts_the_classifiers_steps():
    from optimlab.experiments.classifier import CONFIGS

    out = st.run_length("smoke")
    c = CONFIGS["smoke"]
    n = round(c.train_fraction * 60_000)
    assert out["n_train"] == n and out["R"] == c.epochs * math.ceil(n / c.batch_size)
    with pytest.raises(ValueError, match="scale"):
        st.run_length("huge")


def test_smooth_decay_rules_start_at_lr0_and_reach_their_ends_at_R():
    R, lr0 = 700, 0.1
    rules = st.smooth_decay_rules(R, lr0)
    assert tuple(rules) == st.SMOOTH_RULES
    for name in ("constant", "piecewise constant", "exponential, staircase", "inverse time",
                 "polynomial (linear)", "cosine", "cosine restarts"):
        assert rules[name](0) == pytest.approx(lr0), name
    assert rules["polynomial (linear)"](R) == pytest.approx(lr0 / 100)
    assert rules["exponential, staircase"](R) == pytest.approx(lr0 / 100)
    assert rules["inverse time"](R) == pytest.approx(lr0 / 11)
    assert rules["cosine"](R) == pytest.approx(0.0, abs=1e-15)
    assert rules["cosine restarts"].restart(R)[0] == 3  # three periods R/7 + 2R/7 + 4R/7 end at R
    for key in ("smoke", "paper"):
        assert set(st.SMOOTH[key].rules) <= set(st.SMOOTH_RULES)


def test_tf_agreement_measures_the_largest_relative_difference():
    exact = S.exponential_decay(0.5, 10, 0.9)
    steps = [0, 5, 10, 20]
    values = [exact(t) for t in steps]
    goldens = {"cases": [
        {"rule": "exponential_decay", "dtype": "float64", "steps": steps, "values": values,
         "kwargs": {"learning_rate": 0.5, "decay_steps": 10, "decay_rate": 0.9}},
        {"rule": "exponential_decay", "dtype": "float64", "steps": [3], "values": [exact(3) + 0.005],
         "kwargs": {"learning_rate": 0.5, "decay_steps": 10, "decay_rate": 0.9}},
    ]}
    table = st.tf_agreement(goldens)
    row = table.loc[("exponential_decay", "float64")]
    assert row["values"] == 5
    assert row["max |ours − TF| / η0"] == pytest.approx(0.005 / 0.5)


def test_decay_summary_and_findings_rank_by_training_loss():
    results = pd.DataFrame({"label": ["constant"] * 2 + ["cosine"] * 2, "seed": [0, 1] * 2, "epoch": 3,
                            "train_loss": [0.5, 0.7, 0.4, 0.42], "test_accuracy": [0.8, 0.8, 0.9, 0.9]})
    summary = st.decay_summary(results)
    assert list(summary.index) == ["cosine", "constant"]
    assert summary.loc["constant", "train_loss_spread"] == pytest.approx(0.2)
    out = st.decay_findings(summary)
    assert out["mnist_constant_rank"] == 2 and out["mnist_best"] == "cosine"
    assert out["mnist_verdict"].startswith("In this run cosine ends below the constant rate.")
    assert "less than the seeds' spread" in out["mnist_verdict"]  # 0.6 - 0.41 = 0.19 < 0.2


# --- chapter 11 -----------------------------------------------------------------------------------


def test_torch_warmup_and_chained_schedulers_give_the_closed_forms():
    base = S.cosine_decay(0.1, 80, alpha=0.05)
    warm = S.linear_warmup(base, 20, 0.001)
    np.testing.assert_allclose(st.sequential_warmup_trace(base, 20, 0.01, 100), [warm(t) for t in range(100)],
                               rtol=0, atol=1e-15)
    hand = np.array([base(t) * 0.99**t for t in range(100)])
    for first in (True, False):
        np.testing.assert_allclose(st.chained_trace(base, 0.99, 100, schedule_first=first), hand, atol=1e-15)


def test_lr_trace_reads_the_rate_before_each_step():
    opt = SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    np.testing.assert_array_equal(st.lr_trace(opt, sched, 5), [1.0, 1.0, 0.5, 0.5, 0.25])


def test_plateau_run_sets_the_rates_torchs_reduce_lr_on_plateau_sets(tiny_mnist):
    kw = dict(factor=0.5, patience=0)
    frame = st.plateau_run(tiny_mnist, kw, epochs=5, batch_size=10, lr=0.5)
    assert list(frame["epoch"]) == [1, 2, 3, 4, 5]
    assert list(frame["lr"]) == st.torch_plateau_rates(frame["heldout_loss"], lr=0.5, **kw)
    constant = st.plateau_run(tiny_mnist, None, epochs=3, batch_size=10, lr=0.5)
    assert (constant["lr"] == 0.5).all() and constant["action"].isna().all()
    # the constant run's first epoch is the reduced run's first epoch (same seed, same rate)
    assert constant["heldout_loss"].iloc[0] == frame["heldout_loss"].iloc[0]


def test_torch_plateau_rates_reduce_after_patience_bad_epochs():
    assert st.torch_plateau_rates([1.0, 1.0, 1.0, 1.0], lr=1.0, factor=0.5, patience=1) == [1.0, 1.0, 1.0, 0.5]


def test_manual_run_applies_the_hand_changes_and_a_resumed_run_is_identical(tiny_mnist):
    per_epoch = 4  # 40 images in batches of 10
    cosine = S.cosine_decay(0.2, 5 * per_epoch, alpha=0.05)
    changes = {2: ("scale", 0.3), 4: ("switch", S.constant(1e-3))}
    study = st.resume_study(tiny_mnist, cosine, changes, epochs=5, batch_size=10, stop_after=3)
    assert study["same"]
    lr = study["straight"].set_index("step")["lr"]
    # recorded after each step: the rate of the next one
    assert lr[per_epoch] == pytest.approx(cosine(per_epoch))
    assert lr[2 * per_epoch + 1] == pytest.approx(0.3 * cosine(2 * per_epoch + 1))
    assert lr[5 * per_epoch] == pytest.approx(1e-3)  # switch: absolute rates, the factor reset
    assert "constant(learning_rate=0.001)" in repr(study["schedule"])


def test_resume_study_notices_a_different_run(tiny_mnist, monkeypatch):
    changes = {}
    cosine = S.cosine_decay(0.2, 20)
    real = st.manual_run

    def perturbed(data, schedule, changes, **kw):
        run = real(data, schedule, changes, **kw)
        if kw.get("state") is not None:
            with torch.no_grad():
                next(run.model.parameters()).add_(1e-3)
        return run

    monkeypatch.setattr(st, "manual_run", perturbed)
    assert not st.resume_study(tiny_mnist, cosine, changes, epochs=3, batch_size=10, stop_after=1)["same"]


def test_step_probe_measures_the_rms_step_and_adagrads_per_coordinate_rate():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = AdaGrad(model.parameters(), lr=0.05)
    probe = st.step_probe(opt)
    first = probe(model)
    assert math.isnan(first["rms_step"]) and math.isnan(first["adagrad_rate"])
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    before = [p.detach().clone() for p in model.parameters()]
    opt.zero_grad()
    grads = torch.autograd.grad(half_mse(model(x), y), list(model.parameters()))
    for p, g in zip(model.parameters(), grads):
        p.grad = g.clone()
    opt.step()
    out = probe(model)
    change = torch.cat([(p.detach() - q).flatten() for p, q in zip(model.parameters(), before)])
    assert out["rms_step"] == pytest.approx(change.norm().item() / math.sqrt(change.numel()))
    sums = torch.cat([g.flatten() ** 2 for g in grads])
    sums = sums[sums > 0]
    eps = opt.param_groups[0]["eps"]
    assert out["adagrad_rate"] == pytest.approx((0.05 / (sums.sqrt() + eps)).median().item())


def test_adaptive_grid_runs_each_optimizer_and_decay_from_the_same_start(tiny_mnist):
    frame = st.adaptive_grid(tiny_mnist, epochs=1, batch_size=10, optimizers={"SGD": (SGD, 0.1),
                                                                              "AdaGrad": (AdaGrad, 0.05)})
    runs = frame.groupby(["optimizer", "decay"]).size()
    assert set(runs.index) == {(o, d) for o in ("SGD", "AdaGrad") for d in ("constant", "cosine")}
    assert (runs == runs.iloc[0]).all()
    assert frame.loc[frame["optimizer"] == "SGD", "adagrad_rate"].isna().all()
    # the constant SGD run is the hand-driven fit
    model = mlp(784, 100, 10, seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    fit(model, cross_entropy, opt, tiny_mnist[0], tiny_mnist[1], batch_size=10, epochs=1, seed=0)
    with torch.no_grad():
        expected = cross_entropy(model(tiny_mnist[0]), tiny_mnist[1]).item()
    sgd = frame[(frame["optimizer"] == "SGD") & (frame["decay"] == "constant")]
    assert sgd["train_loss_final"].iloc[0] == pytest.approx(expected, rel=1e-6)
    out, summary = st.adaptive_findings(frame)
    assert out["ad_R"] == 4 and summary.shape == (2, 2)
    helped = [o for o in summary.index if summary.loc[o, "cosine"] < summary.loc[o, "constant"]]
    assert out["cosine_helped"] == (", ".join(helped) or "none of the three")


# --- figures --------------------------------------------------------------------------------------


def test_curve_values_evaluates_schedules_and_checks_lengths():
    s = S.exponential_decay(0.5, 10, 0.9)
    np.testing.assert_array_equal(figs.curve_values(s, range(5)), [s(t) for t in range(5)])
    with pytest.raises(ValueError, match="3 values for 5 steps"):
        figs.curve_values([1, 2, 3], range(5))


def test_schedules_draws_one_line_per_curve_and_marks():
    pc = S.piecewise_constant([10, 20], [0.1, 0.05, 0.01])
    fig = figs.schedules({"a": pc, "b": [0.1] * 30}, range(30), stairs=["a"], marks=pc.boundaries)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines[:2]] == ["a", "b"]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [pc(t) for t in range(30)])
    assert len(ax.lines) == 4  # two curves, two boundaries


def test_landscape_paths_has_one_panel_per_family_and_one_shared_legend():
    families = {"first": ["SGD"], "second": ["Adam"]}
    best = pd.DataFrame({"quadratic": [1e-2, np.nan]}, index=["SGD", "Adam"])
    paths = st.gallery_paths(best, 5, landscapes=TWO, lineup=LINEUP)
    fig = figs.landscape_paths(paths, best, "quadratic", families, landscapes=TWO, contour_n=20)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert len(legends) == 1
    texts = [t.get_text() for t in legends[0].get_texts()]
    assert texts == ["SGD (η = 1e-02)", "Adam (no finite run)"]
    assert [ax.get_title() for ax in fig.axes[:2]] == ["first", "second"]


def test_gallery_figures_draw_every_run():
    tuning = st.gallery_tuning(5, [1e-3, 1e-2], landscapes=LANDSCAPES, lineup=LINEUP)
    best = st.best_rates(tuning)
    fig = figs.tuning_heatmaps(tuning, best, LANDSCAPES, steps=5)
    assert len([ax for ax in fig.axes if ax.get_title()]) == 4
    paths = st.gallery_paths(best, 5, lineup=LINEUP)
    fig = figs.value_curves(paths, LANDSCAPES, {"all": list(LINEUP)})
    assert sum(len(ax.lines) for ax in fig.axes) == len(paths)
    assert len(fig.legends) == 1


def test_glue_all_glues_every_value():
    figs.glue_all({"chapters_test_a": 1.5, "chapters_test_b": "x"})
    assert plotting.GLUED["chapters_test_a"] == 1.5 and plotting.GLUED["chapters_test_b"] == "x"


def test_chapter_figures_of_the_mnist_studies_draw():
    frame = pd.DataFrame({"label": ["A"] * 4 + ["B"] * 4, "seed": [0, 0, 1, 1] * 2, "epoch": [0, 1] * 4,
                          "seconds": [0, 1, 0, 1.2] * 2, "train_loss": [2, 1, 2, 1.1, 2, 0.9, 2, 0.8],
                          "test_loss": [2, 1.5] * 4, "test_accuracy": [0.1, 0.8] * 4})
    fig = figs.head_to_head_curves(frame, ["A", "B"])
    assert len(fig.legends) == 1 and len(fig.axes) == 4
    fig = figs.decay_curves(frame)
    assert len(fig.legends) == 1
    tuning = pd.DataFrame({"optimizer": ["A", "A", "B", "B"], "lr": [0.1, 1.0] * 2,
                           "train_loss": [1.0, math.inf, 0.5, 0.7]})
    fig = figs.mnist_tuning_heatmap(tuning, pd.Series({"A": 0.1, "B": 0.1}), epochs=1, seed=0)
    assert len(fig.axes[0].patches) == 2  # the two chosen rates, boxed


def test_legends_of_the_schedule_figures_cover_no_data_and_no_axis_label():
    rules = st.noise_floor_rules(200, 0.02)
    fig = figs.schedules(rules, range(201), logy=True)
    ax = fig.axes[0]
    assert not plotting.legend_covers_data(ax)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.xaxis.label.get_window_extent(renderer))
    fig = figs.schedule_panels([{"a": rules["constant"], "b": rules["exponential"]}] * 2, range(201),
                               titles=["one", "two"])
    fig.canvas.draw()
    for ax in fig.axes:
        box = ax.get_legend().get_window_extent(renderer)
        assert not box.overlaps(ax.xaxis.label.get_window_extent(renderer))


def test_plateau_table_is_long_form_with_a_dash_for_no_action():
    runs = {
        "constant 0.5": pd.DataFrame({"epoch": [1, 2], "lr": [0.5, 0.5], "heldout_loss": [0.9, 0.8],
                                      "action": [None, None]}),
        "ReduceOnPlateau": pd.DataFrame({"epoch": [1, 2], "lr": [0.5, 0.25], "heldout_loss": [0.9, 0.95],
                                         "action": ["improve", "reduce"]}),
    }
    shown = figs.plateau_table(runs)
    cells = shown.cells()
    assert list(cells.columns) == ["run", "epoch", "rate during the epoch", "held-out loss after it",
                                   "the rule's action"]
    assert list(cells["run"]) == ["constant 0.5", "constant 0.5", "ReduceOnPlateau", "ReduceOnPlateau"]
    assert list(cells["the rule's action"]) == ["—", "—", "improve", "reduce"]
    assert list(cells["rate during the epoch"]) == ["0.5", "0.5", "0.5", "0.25"]
    assert "None" not in shown._repr_html_()
