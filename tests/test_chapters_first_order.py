"""The harnesses and figures of chapters 1-4 (optimlab.experiments.first_order and
optimlab.presentation.first_order_figures): each against a hand-driven run, a closed form or an
invariant of the method it measures."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from optimbook.optim import SGD, AdaGrad, Momentum, Nesterov, RMSProp  # noqa: E402
from optimlab.experiments import first_order as fo  # noqa: E402
from optimlab.presentation import first_order_figures as figures  # noqa: E402
from optimlab.presentation import plotting  # noqa: E402
from optimlab.presentation.chapter import Chapter  # noqa: E402
from optimlab.training.landscapes import trajectory  # noqa: E402
from optimlab.training.losses import cross_entropy, half_mse  # noqa: E402
from optimlab.training.loop import fit, log_steps  # noqa: E402
from optimlab.training.models import LinearRegression, mlp  # noqa: E402

CH = Chapter("smoke", torch.device("cpu"), 0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ----------------------------------------------------------------------------------- shared pieces


def test_paths_equal_one_trajectory_per_factory():
    makers = {"sgd": lambda p: SGD(p, lr=0.01), "adagrad": lambda p: AdaGrad(p, lr=0.3)}
    got = fo.paths(makers, fo.BOWL.f, fo.BOWL.start, 12)
    assert list(got) == list(makers)
    for name, make in makers.items():
        assert torch.equal(got[name], trajectory(make, fo.BOWL.f, fo.BOWL.start, 12))


def test_final_value_skips_the_nan_tail_of_a_diverged_path():
    path = torch.tensor([[1.0, 1.0], [0.5, 0.25], [float("nan"), float("nan")]], dtype=torch.float64)
    assert fo.final_value(path, fo.BOWL.f) == pytest.approx(float(fo.BOWL.f(path[1])))
    with pytest.raises(ValueError, match="no finite point"):
        fo.final_value(torch.full((3, 2), float("nan")), fo.BOWL.f)


@pytest.mark.parametrize("kind", ["momentum", "Nesterov"])
def test_rates_are_the_largest_root_of_the_characteristic_polynomial(kind):
    rng = np.random.default_rng(0)
    for eta_lam, mu in zip(rng.uniform(0.0, 3.5, 50), rng.uniform(0.0, 0.99, 50)):
        if kind == "momentum":  # z² − (1 + μ − ηλ) z + μ (eq-mom-char)
            coeffs, fn = [1.0, -(1 + mu - eta_lam), mu], fo.rate_heavy_ball
        else:  # z² − (1 + μ)(1 − ηλ) z + μ(1 − ηλ) (eq-nag-char)
            coeffs, fn = [1.0, -(1 + mu) * (1 - eta_lam), mu * (1 - eta_lam)], fo.rate_nesterov
        assert float(fn(eta_lam, mu)) == pytest.approx(np.abs(np.roots(coeffs)).max(), rel=1e-9, abs=1e-12)


def test_rate_without_momentum_is_gradient_descents():
    etas = np.linspace(0.001, 0.05, 20)
    expected = np.maximum(abs(1 - etas * 1.0), abs(1 - etas * fo.KAPPA))
    np.testing.assert_allclose(fo.rate("momentum", etas, 0.0), expected, rtol=1e-12)
    np.testing.assert_allclose(fo.rate("Nesterov", etas, 0.0), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="kind"):
        fo.rate("adam", 0.01, 0.9)


def test_rate_grid_holds_the_rates_on_its_grid():
    grid = fo.rate_grid(etas=[0.01, 0.02], mus=[0.0, 0.5, 0.9])
    assert grid.data["momentum"].shape == (3, 2)
    assert grid.data["Nesterov"][2, 1] == pytest.approx(float(fo.rate("Nesterov", 0.02, 0.9)))
    assert grid.values["hb_best_rate"] == pytest.approx(grid.data["momentum"].min())


def test_conformance_is_zero_for_the_same_optimizer_and_not_for_another():
    table = fo.conformance({"same": (lambda p: SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
                            "other": (lambda p: SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.04))})
    assert list(table.index) == ["same", "other"]
    column = table.iloc[:, 0]
    assert column["same"] == 0.0 and column["other"] > 0.0


def _results(seeds):
    rows = [{"label": label, "seed": s, "epoch": e, "train_loss": 1.0 / (e + 1) + s + i,
             "test_loss": 2.0 + s, "test_accuracy": 0.5 + 0.1 * s}
            for i, label in enumerate(("a", "b")) for s in seeds for e in (0, 1, 2)]
    return pd.DataFrame(rows)


def test_final_epoch_averages_the_last_epoch_over_seeds():
    results = _results((0, 1, 2))
    summary = fo.final_epoch(results)
    assert list(summary.index) == ["a", "b"]
    last = results[results.epoch == 2]
    for label in ("a", "b"):
        sub = last[last.label == label]
        assert summary.loc[label, "train_loss (mean)"] == pytest.approx(sub.train_loss.mean())
        assert summary.loc[label, "test_accuracy (min)"] == pytest.approx(sub.test_accuracy.min())
        assert summary.loc[label, "test_accuracy (max)"] == pytest.approx(sub.test_accuracy.max())


def test_final_epoch_with_one_seed_shows_no_min_and_max():
    summary = fo.final_epoch(_results((0,)))
    assert list(summary.columns) == ["train_loss", "test_loss", "test_accuracy"]


def test_scheduled_calls_back_after_every_step():
    seen = []
    z = torch.zeros(2, requires_grad=True)
    opt = fo.Scheduled(SGD([z], lr=0.1), lambda t, o: seen.append(t))
    for _ in range(3):
        opt.zero_grad()
        (z - 1).pow(2).sum().backward()
        opt.step()
    assert seen == [1, 2, 3]


# ----------------------------------------------------------------------------------- chapter 1


def _regression(n=200, d=3):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = x @ torch.arange(1.0, d + 1, dtype=torch.float64) + 0.1 * torch.randn(n, generator=g, dtype=torch.float64)
    return x, y


def test_regimes_equal_hand_driven_fits_with_the_same_seed():
    x, y = _regression()

    def make():
        return LinearRegression(3).to(torch.float64)

    frame, models = fo.regimes(make, half_mse, x, y, {"batch": None, "stochastic": 1, "mini-batch": 16}, 0.05,
                               seed=3, max_steps=40)
    assert list(dict.fromkeys(frame.regime)) == ["batch", "stochastic", "mini-batch"]
    for name, b in (("batch", len(x)), ("stochastic", 1), ("mini-batch", 16)):
        torch.manual_seed(3)
        model = make()
        fit(model, half_mse, SGD(model.parameters(), lr=0.05), x, y, batch_size=b, epochs=10**9,
            max_steps=40, seed=3, eval_every=log_steps(per_decade=20))
        for got, want in zip(models[name].parameters(), model.parameters()):
            assert torch.equal(got, want)
        sub = frame[frame.regime == name]
        assert sub.step.iloc[-1] == 40 and (sub.batch_size == b).all()


def test_regimes_need_a_budget():
    x, y = _regression()
    with pytest.raises(ValueError, match="budget"):
        fo.regimes(lambda: LinearRegression(3).double(), half_mse, x, y, {"batch": None}, 0.1)


def test_regression_regimes_measure_the_excess_over_the_least_squares_floor():
    run = fo.regression_regimes(CH, max_steps=30, m=300, d=4)
    assert list(run.table.index) == ["batch", "stochastic", "mini-batch"]
    assert (run.data["excess_loss"] >= -1e-9).all()  # the exact least-squares fit is the floor
    assert (run.table["updates"] == 30).all()
    reached = run.table["time to 0.0001 (s)"].notna().any()
    assert run.values["reg_fine_reached_by"].startswith("was reached within" if reached else "was reached by none")
    assert run.values["reg_full_cost"] == pytest.approx(
        run.values["reg_sgd_rate"] / run.values["reg_bgd_rate"])


def test_epoch_times_one_row_per_batch_size(monkeypatch):
    x = torch.randn(50, 784)
    y = torch.randint(0, 10, (50,))
    timing = fo.epoch_times(lambda: mlp(784, 8, 10, seed=0), cross_entropy, x, y, [1, 7, 64], 0.05)
    assert list(timing.batch_size) == [1, 7, 50]  # 64 is cut to the data
    assert list(timing.updates) == [50, math.ceil(50 / 7), 1]
    np.testing.assert_allclose(timing.examples_per_second, 50 / timing.seconds_per_epoch)


def test_mnist_regimes_and_timing_glue_what_the_prose_reads(mnist_root):
    run = fo.mnist_regimes(CH, max_steps=5, fraction=0.005)
    assert {"mnist_bgd_loss", "mnist_sgd_steps", "mnist_mbgd_epochs", "mnist_best"} <= set(run.values)
    assert run.values["mnist_best"] in ("batch", "stochastic", "mini-batch")
    assert run.values["mnist_sgd_steps"] == 5
    timing = fo.batch_size_timing(CH, sizes=(1, 600), fraction=0.002)
    assert timing.values["time_best_b"] in (1, 120)
    assert timing.values["time_ratio"] >= 1.0


# ----------------------------------------------------------------------------------- chapter 2


def test_gradient_descent_and_nesterov_on_the_bowl_report_their_paths():
    gd = fo.gradient_descent_on_bowl(steps=10)
    assert gd.values["gd_final_small"] == pytest.approx(float(fo.BOWL.f(gd.data["η = 0.01"][-1])))
    assert gd.values["gd_rate_best"] == pytest.approx((fo.KAPPA - 1) / (fo.KAPPA + 1))
    nag = fo.nesterov_on_bowl(steps=10)
    expected = trajectory(lambda p: Nesterov(p, lr=0.02, momentum=0.9), fo.BOWL.f, fo.BOWL.start, 10)
    assert torch.equal(nag.data["Nesterov, η = 0.02"], expected)


def test_momentum_on_the_bowl_names_each_mu():
    run = fo.momentum_on_bowl(mus=(0.5, 0.9), steps=10)
    assert list(run.data)[:2] == ["μ = 0.5", "μ = 0.9"] and list(run.data)[-1].startswith("optimum")
    assert run.values["rate_mu09"] == pytest.approx(float(fo.rate("momentum", 0.01, 0.9)))
    assert run.values["rho_star"] == pytest.approx((math.sqrt(fo.KAPPA) - 1) / (math.sqrt(fo.KAPPA) + 1))


def test_measured_rates_follow_the_theory():
    run = fo.measured_rates(CH, slice_points=4)
    assert len(run.data) == 2 * 4
    assert run.values["rate_gap_median"] < 0.01


def _with_drop(cls, form, eta, drop_at, steps):
    """The hand-driven loop the chapter used to write: MultiStepLR after every step."""
    z = torch.tensor(fo.BOWL.start, dtype=torch.float64, requires_grad=True)
    opt = cls([z], lr=eta, momentum=0.9, form=form)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[drop_at], gamma=0.1)
    path = [z.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        fo.BOWL.f(z).backward()
        opt.step()
        sched.step()
        path.append(z.detach().clone())
    return torch.stack(path)


def test_lr_drop_equals_a_hand_driven_scheduler_loop():
    run = fo.lr_drop(drop_at=5, steps=12)
    for (name, form), path in run.data["drop"].items():
        cls = Momentum if name == "Momentum" else Nesterov
        torch.testing.assert_close(path, _with_drop(cls, form, 0.02, 5, 12), rtol=0, atol=1e-12)
    assert run.values["forms_diff_constant"] < 1e-12  # the two forms agree for a constant rate
    assert run.values["drop_ratio_torch"] < run.values["drop_ratio_sutskever"]


def test_conformance_harnesses_find_the_library_equal_to_torch():
    for harness, key in ((fo.momentum_conformance, "check_max_diff"), (fo.adagrad_conformance, "check_adagrad"),
                         (fo.rmsprop_conformance, "check_rmsprop")):
        run = harness()
        assert run.values[key] < 1e-12
        assert len(run.table) >= 3


def test_mnist_comparison_glues_the_table_it_shows(monkeypatch, mnist_root):
    monkeypatch.setitem(fo.MOMENTUM_SETTINGS, "smoke", dict(fo.MOMENTUM_SETTINGS["smoke"], epochs=1, seeds=(0, 1)))
    run = fo.momentum_mnist(CH, cache=False)
    assert len(run.table) == 4
    assert set(run.data.seed) == {0, 1}
    assert run.values["mnist_sgd_acc"] == pytest.approx(run.table.loc["SGD, η = 0.1", "test_accuracy (mean)"])
    assert run.values["mnist_seeds"] == "mean of 2 seeds"
    below = run.values["mnist_mom_loss"] < run.values["mnist_sgd_loss"]
    assert run.values["mnist_mom_vs_sgd"] == ("below" if below else "above")


# ----------------------------------------------------------------------------------- chapters 3-4


def test_applied_rates_of_sgd_are_its_learning_rate():
    x = torch.randn(40, 784)
    y = torch.randint(0, 10, (40,))
    rates, losses = fo.applied_rates({"sgd": (SGD, {"lr": 0.03})}, x, y, batch_size=10, epochs=2, hidden=5)
    assert rates["sgd"].shape[0] == 8
    finite = rates["sgd"][np.isfinite(rates["sgd"])]
    np.testing.assert_allclose(finite, 0.03, rtol=1e-9)
    assert math.isfinite(losses["sgd"])


def test_adagrad_rates_never_exceed_their_ceiling_and_only_fall(mnist_root):
    run = fo.adagrad_adadec_rates(CH, rate_fraction=0.002, rate_epochs=2, rate_batch=40)
    rates = run.data["rates"][run.data["names"][1]]  # AdaGrad with K = 1/N²
    assert np.nanmax(rates) <= run.data["ceiling"] * (1 + 1e-9)
    rises = np.diff(rates, axis=0)
    assert np.nanmax(rises) <= 1e-9 * run.data["ceiling"]  # its sum only grows
    assert run.data["steps"] == len(rates) == math.ceil(120 / 40) * 2
    assert run.values["dec_recursive_vs_printed"] in ("lower", "higher")


def test_cycle_amplitude_solves_the_cycle_condition():
    lam, K, xi = 50.0, 1.0, 0.999
    p = np.array([0.01, 0.04, 0.1, 0.3])
    amplitude = fo.cycle_amplitude(p, lam, K, xi)
    assert amplitude[0] == 0.0  # pλ/2 < √K: no cycle
    cycling = amplitude > 0
    # a steady cycle θ → −θ has G = (1 + ξ)(λθ)² and needs η λ = 2
    eta = p[cycling] / np.sqrt(K + (1 + xi) * (lam * amplitude[cycling]) ** 2)
    np.testing.assert_allclose(eta * lam, 2.0, rtol=1e-12)


def test_adadec_cycle_matches_its_prediction():
    run = fo.adadec_cycle()
    assert run.values["cycle_measured"] == pytest.approx(run.values["cycle_predicted"], rel=0.1)
    assert run.values["cycle_f_recursive"] < run.values["cycle_f_printed"]


def test_adagrad_on_bowls_runs_each_method_on_each_bowl():
    run = fo.adagrad_on_bowls(steps=5)
    assert len(run.data["paths"]) == 4 and all(p.shape == (6, 2) for p in run.data["paths"].values())


def test_first_steps_of_rmsprop_and_adadelta_follow_their_closed_forms():
    run = fo.adaptive_on_bowl(steps=5)
    assert run.values["first_step_ms"] == pytest.approx(run.values["first_step_ms_theory"], rel=1e-6)
    assert run.values["first_step_torch"] == pytest.approx(run.values["first_step_torch_theory"], rel=1e-6)
    dd = fo.adadelta_eps(steps=5)
    assert dd.values["dd_first_6"] == pytest.approx(dd.values["dd_first_6_theory"], rel=1e-3)


def test_masked_runs_freeze_y_three_ways():
    run = fo.masked_runs(phase=4, total=10)
    sm_path, sm_avg = run.data["set_mask"]
    hk_path, hk_avg = run.data["gradient hook"]
    assert (sm_path[:5, 1] == sm_path[0, 1]).all() and (hk_path[:5, 1] == hk_path[0, 1]).all()
    assert (sm_avg[:4, 1] > 0).all()  # the average sees y's gradient
    assert (hk_avg[:4, 1] == 0).all()  # the hook hides it
    assert sm_path[5, 1] != sm_path[4, 1]  # released after the phase
    plain = trajectory(lambda p: RMSProp(p, lr=0.05, alpha=0.9, eps=1e-7), fo.BOWL.f, fo.BOWL.start, 10)
    assert torch.equal(run.data["no mask"][0], plain)
    assert run.values["hook_first_y_step"] == pytest.approx(run.values["empty_step_theory"], rel=1e-6)


def test_adagrad_rmsprop_rates_compare_quarter_and_end(mnist_root):
    run = fo.adagrad_rmsprop_rates(CH, rate_fraction=0.002, rate_epochs=2, rate_batch=40)
    assert run.values["rate_steps"] == 6 and run.values["quarter"] == 1
    med = np.nanmedian(run.data["rates"]["AdaGrad, η = 0.001"], axis=1)
    assert run.values["ada_rate_drop"] == pytest.approx(med[0] / med[-1])
    assert run.values["ada_rate_drop"] >= 1.0  # AdaGrad's rates only fall


# ----------------------------------------------------------------------------------- figures


def test_glue_all_glues_every_value():
    figures.glue_all({"fo_test_a": 1.5, "fo_test_b": "x"})
    assert plotting.GLUED["fo_test_a"] == 1.5 and plotting.GLUED["fo_test_b"] == "x"


def test_bowl_figures_draw_one_curve_per_path():
    run = fo.nesterov_on_bowl(steps=5)
    fig = figures.bowl(run.data, title=run.title, on_map=list(run.data)[:2], dotted=list(run.data)[2:])
    loss_ax = fig.axes[1]
    labelled = [line for line in loss_ax.lines if not line.get_label().startswith("_")]
    assert [line.get_label() for line in labelled] == list(run.data)
    assert [line.get_linestyle() for line in labelled] == ["-", "-", ":", ":"]
    dd = fo.adadelta_eps(steps=5)
    fig = figures.paths_loss_steps(dd.data, title=dd.title, labels=["a", "b", "c"])
    assert len(fig.axes) == 3 and len(fig.axes[2].lines) == 3


def test_chapter_figures_draw():
    figures.lr_drop(fo.lr_drop(drop_at=3, steps=6).data, drop_at=3, eta=0.02)
    figures.rate_maps(fo.rate_grid(etas=np.linspace(0.001, 0.08, 5), mus=np.linspace(0, 0.9, 4)).data, 0.01)
    figures.cycle(fo.adadec_cycle(R=10).data)
    figures.two_bowls(fo.adagrad_on_bowls(steps=5).data)
    figures.masked(fo.masked_runs(phase=2, total=5).data, phase=2)
    falling = np.geomspace(0.2, 0.05, 6)[:, None] * np.ones((6, 3))
    rates = {"a": falling, "b": 2 * falling}
    fig = figures.applied_rates(rates, ["a", "b"], ceilings=[(np.full(6, 0.3), ":")])
    assert len(fig.axes) == 2
    fig = figures.applied_rates(rates, ["a"], jumps=False, reference=True)
    assert len(fig.axes) == 1
    results = _results((0, 1)).assign(test_accuracy=0.5)
    fig = figures.mnist(results)
    assert len(fig.axes) == 2
