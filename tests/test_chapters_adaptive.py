"""The harnesses of chapters 5-7 (:mod:`optimlab.experiments.adaptive`) and their figures
(:mod:`optimlab.presentation.adaptive_figures`): each against an independent oracle (a hand-driven
loop, a closed form, the definition of the quantity) or an invariant, plus the error paths."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch

matplotlib.use("Agg")

from optimbook.optim import SGD, AdaMix, Adam, AMSGrad, NaturalGradient  # noqa: E402
from optimlab.cost.timing import StepTimes  # noqa: E402
from optimlab.experiments import adaptive  # noqa: E402
from optimlab.presentation import adaptive_figures as figures  # noqa: E402
from optimlab.presentation import plotting  # noqa: E402
from optimlab.training.landscapes import LANDSCAPES, trajectory  # noqa: E402
from optimlab.training.losses import cross_entropy  # noqa: E402
from optimlab.training.loop import fit  # noqa: E402
from optimlab.training.models import mlp  # noqa: E402


@pytest.fixture
def digits():
    """A tiny MNIST-shaped classification set (random pixels in [0, 1), ten classes)."""
    g = torch.Generator().manual_seed(3)
    x = torch.rand(60, 784, generator=g)
    x[:, :28] = 0.0  # a blank border row, as in MNIST
    return x, torch.randint(0, 10, (60,), generator=g)


# ---------------------------------------------------------------------------------- chapter 5

def test_adam_bias_state_is_the_moving_average_of_the_same_stream():
    steps, n, mean, std, seed = 40, 50, 0.5, 1.0, 7
    frame = adaptive.adam_bias(steps, n=n, mean=mean, std=std, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    m = torch.zeros(n, dtype=torch.float64)
    v = torch.zeros(n, dtype=torch.float64)
    expected_m, expected_v = [], []
    for _ in range(steps):
        c = mean + std * torch.randn(n, generator=gen, dtype=torch.float64)
        m = 0.9 * m + 0.1 * c
        v = 0.999 * v + 0.001 * c * c
        expected_m.append(m.mean().item())
        expected_v.append(v.mean().item())
    t = np.arange(1, steps + 1)
    assert list(frame["t"]) == list(t)
    np.testing.assert_allclose(frame["m"], expected_m, rtol=1e-12)
    np.testing.assert_allclose(frame["v"], expected_v, rtol=1e-12)
    np.testing.assert_allclose(frame["m_hat"], np.array(expected_m) / (1 - 0.9**t), rtol=1e-12)
    np.testing.assert_allclose(frame["v_hat"], np.array(expected_v) / (1 - 0.999**t), rtol=1e-12)


@pytest.mark.parametrize("cls", [Adam, AMSGrad])
def test_reddi_run_regret_follows_its_definition(cls):
    C, steps = 3.0, 60
    frame = adaptive.reddi_run(cls, steps, C=C)
    x = frame["x"].to_numpy()
    assert ((x >= -1) & (x <= 1)).all()  # the projection
    before = np.concatenate([[1.0], x[:-1]])  # x_t, the iterate the loss f_t is evaluated at
    c = np.array([C if t % 3 == 1 else -1.0 for t in range(1, steps + 1)])
    np.testing.assert_allclose(frame["regret"], np.cumsum(c * (before + 1)) / np.arange(1, steps + 1), rtol=1e-12)


def test_reddi_runs_amsgrad_ends_with_less_regret_than_adam():
    frame = adaptive.reddi_runs(600)
    final = frame.groupby("optimizer").tail(1).set_index("optimizer")
    assert set(final.index) == {"Adam", "AMSGrad"}
    assert final.loc["AMSGrad", "regret"] < final.loc["Adam", "regret"]


def test_decay_run_adamw_decays_idle_weights_by_exactly_one_minus_eta_lambda():
    lr, lam, steps = 0.01, 0.1, 50
    means = adaptive.decay_run("AdamW", steps, n=20, lr=lr, lam=lam)
    assert means.shape == (steps, 2)
    np.testing.assert_allclose(means[:, 0], (1 - lr * lam) ** np.arange(1, steps + 1), rtol=1e-12)


def test_decay_run_l2_moves_idle_weights_by_about_eta_per_step():
    means = adaptive.decay_run("Adam + L2", 20, n=20, lr=0.01, lam=0.1)
    # the L2 gradient λθ is normalised by its own root mean square: a first step of exactly η (bias
    # correction), then steps of about η whatever λ is
    assert 1 - means[0, 0] == pytest.approx(0.01, rel=1e-6)
    np.testing.assert_allclose(np.diff(means[:, 0]), -0.01, rtol=0.05)


def test_decay_run_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        adaptive.decay_run("SGD", 3)


def test_mlp_runs_equals_a_hand_driven_fit(digits):
    x, y = digits
    evaluate = adaptive.mnist_metrics(x, y)
    frame = adaptive.mlp_runs({"Adam": lambda p: Adam(p, lr=1e-3)}, x, y, batch_size=20, epochs=2, seed=5,
                              evaluate=evaluate)
    model = mlp(784, 100, 10, seed=5)
    hand = fit(model, cross_entropy, Adam(model.parameters(), lr=1e-3), x, y, batch_size=20, epochs=2, seed=5,
               evaluate=evaluate).to_frame()
    assert list(frame["run"].unique()) == ["Adam"] and not frame["diverged"].any()
    for column in ("step", "loss", "test_loss", "test_accuracy", "weight_norm"):
        np.testing.assert_allclose(frame[column], hand[column], rtol=1e-6, equal_nan=True)
    norm = torch.sqrt(sum(p.detach().pow(2).sum() for p in model.parameters())).item()
    assert frame["weight_norm"].iloc[-1] == pytest.approx(norm, rel=1e-6)


def test_mlp_runs_keeps_a_diverged_run_as_one_flagged_row(digits):
    x, y = digits
    frame = adaptive.mlp_runs({"huge": lambda p: SGD(p, lr=1e30), "fine": lambda p: SGD(p, lr=0.01)}, x, y,
                              batch_size=20, epochs=2)
    assert frame.loc[frame["run"] == "huge", "diverged"].tolist() == [True]
    assert not frame.loc[frame["run"] == "fine", "diverged"].any()


def test_clipping_runs_record_every_step_and_global_clipping_caps_the_norm(digits):
    x, y = digits
    frame, norms = adaptive.clipping_runs(x, y, lr=0.5, batch_size=20, epochs=2, evaluate=adaptive.mnist_metrics(x, y))
    assert set(frame["run"]) == set(adaptive.CLIP_RUNS)
    assert all(len(v) == 6 for v in norms.values())  # 3 steps per epoch, 2 epochs
    # the hook sees the gradient after clipping
    assert (norms["global_clipnorm = 1"] <= 1 + 1e-5).all()
    facts = adaptive.clipping_facts(frame, norms)
    assert facts["clip_raw_first"] == norms["no clipping"][0]
    assert facts["clip_raw_max_step"] == int(np.argmax(norms["no clipping"])) + 1
    assert facts["clip_best"] in adaptive.CLIP_RUNS


def test_clipped_path_without_clipping_is_plain_gradient_descent():
    f = LANDSCAPES["rosenbrock"].f
    path = adaptive.clipped_path(f, (-1.5, 2.0), lr=1e-4, steps=30)
    expected = trajectory(lambda p: SGD(p, lr=1e-4), f, (-1.5, 2.0), 30)
    torch.testing.assert_close(path, expected)


def test_clipped_path_steps_are_bounded_by_the_threshold_and_divergence_stops_it():
    f = LANDSCAPES["rosenbrock"].f
    lr, c = 1.5e-3, 10.0
    path = adaptive.clipped_path(f, (-2.0, -1.0), lr=lr, steps=100, clipnorm=c)
    assert len(path) == 101
    assert (path.diff(dim=0).norm(dim=1) <= lr * c * (1 + 1e-12)).all()
    wild = adaptive.clipped_path(f, (-2.0, -1.0), lr=lr, steps=100)
    assert len(wild) < 101 and torch.isfinite(wild).all() and wild.abs().max() <= 1e6


def test_wall_paths_has_one_path_per_option():
    paths = adaptive.wall_paths(steps=5)
    assert list(paths) == list(adaptive.WALL_OPTIONS)


def test_clipping_directions_global_keeps_the_direction(digits):
    x, y = digits
    frame, norms = adaptive.clipping_directions(mlp(784, 100, 10, seed=0), x[:20], y[:20])
    assert list(frame.index) == ["clipnorm", "global_clipnorm", "clipvalue"] and len(norms) == 4
    assert frame.loc["global_clipnorm", "cosine with raw gradient"] == pytest.approx(1.0, abs=1e-5)
    assert frame.loc["global_clipnorm", "clipped norm"] == pytest.approx(0.1 * min(norms), rel=1e-4)
    # per tensor: every tensor ends at the threshold, so the clipped norm is √4 times it
    assert frame.loc["clipnorm", "clipped norm"] == pytest.approx(2 * 0.1 * min(norms), rel=1e-4)
    assert frame.loc["clipnorm", "cosine with raw gradient"] < 1 - 1e-3


def test_torch_agreement_lists_every_pair_and_adam_matches_torch():
    checks = adaptive.torch_agreement()
    assert len(checks) == 7
    assert (checks[~checks.index.str.startswith("Nadam")] < 1e-12).all()


def test_adam_family_paths_first_adam_step_is_eta_per_coordinate():
    paths = adaptive.adam_family_paths(0.05, 3)
    assert list(paths) == ["RMSProp (γ = 0.9)", "Adam", "AMSGrad", "Nadam"]
    assert all(p.shape == (4, 2) for p in paths.values())
    np.testing.assert_allclose((paths["Adam"][1] - paths["Adam"][0]).abs().numpy(), 0.05, rtol=1e-6)
    start = LANDSCAPES["rosenbrock"].start
    torch.testing.assert_close(paths["Adam"], trajectory(lambda p: Adam(p, lr=0.05), LANDSCAPES["rosenbrock"].f,
                                                         start, 3))


def _results(seeds):
    rows = [{"label": label, "seed": s, "epoch": e, "train_loss": 1.0 / (e + 1) + s, "test_loss": 2.0 + s,
             "test_accuracy": 0.5 + 0.1 * s} for label in ("A", "B") for s in seeds for e in (0, 1)]
    return pd.DataFrame(rows)


def test_seed_summary_shows_a_range_only_with_several_seeds():
    one = adaptive.seed_summary(_results([0]))
    assert list(one.columns) == ["train_loss", "test_loss", "test_accuracy"]
    assert one.loc["A", "train_loss"] == pytest.approx(0.5)
    three = adaptive.seed_summary(_results([0, 1, 2]))
    assert three.columns.nlevels == 2
    assert three.loc["A", ("test_loss", "mean")] == pytest.approx(3.0)
    assert three.loc["A", ("test_loss", "min")] == 2.0 and three.loc["A", ("test_loss", "max")] == 4.0


def test_final_by_takes_each_runs_last_record():
    frame = pd.DataFrame({"run": ["a", "a", "b"], "step": [0, 5, 3], "loss": [1.0, 0.5, 0.7]})
    last = adaptive.final_by(frame, "run", ["step", "loss"])
    assert last.loc["a", "step"] == 5 and last.loc["b", "loss"] == 0.7


def test_weight_decay_facts_factor_follows_the_steps():
    frame = pd.DataFrame([{"run": r, "step": s, "weight_norm": 1.0 + s, "test_accuracy": 0.5}
                          for r in adaptive.WEIGHT_DECAY_RUNS for s in (0, 10)])
    facts = adaptive.weight_decay_facts(frame, lr=1e-3, lam=0.01)
    assert facts["wdm_steps"] == 10 and facts["wdm_start"] == 1.0 and facts["wdm_adam"] == 11.0
    assert facts["wdm_factor"] == pytest.approx((1 - 1e-5) ** 10)


# ---------------------------------------------------------------------------------- chapter 6

def _hand_online(make, run_seed, steps, output_fisher):
    """The chapter's original loop: p.grad = (f − y) ∇f set by hand, then step."""
    net = adaptive.teacher()
    student = adaptive.two_layer(1000 + run_seed)
    params = list(student.parameters())
    opt = make(params)
    xs, ys = adaptive.stream(net, run_seed, steps)
    a_max = 0.0
    for t in range(steps):
        f = student(xs[t:t + 1])[0, 0]
        jac = torch.autograd.grad(f, params)
        residual = (f - ys[t]).detach()
        if output_fisher:
            v = torch.cat([j.reshape(-1) for j in jac])
            a_max = max(a_max, torch.dot(v, opt.natural_direction(v)).item())
            opt.update_fisher(v)
        for p, j in zip(params, jac):
            p.grad = residual * j
        opt.step()
    x_test, y_test = adaptive.held_out(net)
    with torch.no_grad():
        error = 0.5 * (student(x_test)[:, 0] - y_test).pow(2).mean().item()
    return error, a_max


@pytest.mark.parametrize("natural", [False, True])
def test_online_run_equals_the_hand_driven_loop(natural):
    make = adaptive.angd(0.005, 0.005, "exact") if natural else (lambda p: SGD(p, lr=0.1))
    frame = adaptive.online_run(make, run_seed=2, steps=40, evals=5, output_fisher=natural)
    error, a_max = _hand_online(make, 2, 40, natural)
    assert frame["step"].iloc[0] == 0 and frame["step"].iloc[-1] == 40
    assert frame["error"].iloc[-1] == pytest.approx(error, rel=1e-10)
    if natural:
        assert frame["a_max"].iloc[-1] == pytest.approx(a_max, rel=1e-10)
        assert (frame["mean_eig"] > 0).all()
    else:
        assert "a_max" not in frame


def test_teacher_is_orthonormal_and_stream_is_seeded():
    net = adaptive.teacher()
    w = net[0].weight.detach()
    torch.testing.assert_close(w @ w.T, torch.eye(adaptive.N_HID, dtype=adaptive.DT))
    a, b = adaptive.stream(net, 4, 10), adaptive.stream(net, 4, 10)
    torch.testing.assert_close(a[1], b[1])
    x, y = a
    noise = y - net(x)[:, 0].detach()
    assert noise.abs().max() < 10 * adaptive.SIGMA and noise.abs().max() > 0


def test_online_runs_has_every_method_and_seed():
    methods = adaptive.plateau_methods()
    frame = adaptive.online_runs(methods, steps=10, evals=3, seeds=[0, 1])
    assert set(zip(frame["method"], frame["seed"])) == {(m, s) for m in methods for s in (0, 1)}


def test_fisher_at_teacher_is_the_mean_outer_product_of_output_gradients():
    V, G = adaptive.fisher_at_teacher(16, seed=0)
    net = adaptive.teacher()
    x = torch.randn(16, adaptive.N_IN, generator=torch.Generator().manual_seed(7), dtype=adaptive.DT)
    rows = []
    for xi in x:
        net.zero_grad()
        net(xi[None])[0, 0].backward()
        rows.append(torch.cat([p.grad.reshape(-1) for p in net.parameters()]))
    torch.testing.assert_close(V, torch.stack(rows))
    torch.testing.assert_close(G, V.T @ V / 16)


def test_inverse_estimates_exact_update_converges_and_stays_positive_definite():
    V, _ = adaptive.fisher_at_teacher(256, seed=0)
    est = adaptive.inverse_estimates(V, 2000, rates=(0.01,), checkpoints=10)
    assert set(est["update"]) == {"amari", "exact"}
    exact = est[est["update"] == "exact"]
    assert exact["positive_definite"].all()
    assert exact["rel_error"].iloc[-1] < exact["rel_error"].iloc[0]
    assert (exact["asymmetry"] == 0).all()  # the library symmetrises after every update
    facts = adaptive.estimate_facts(V, est)
    assert facts["fisher_P"] == 10 and facts["a_true_mean"] == pytest.approx(10.0, rel=1e-9)  # E[vᵀG⁻¹v] = P
    assert facts["est_broken"] == "none" and facts["est_updates"] == "2,000"
    assert "stays symmetric" in facts["drift_note"]


def test_escape_summary_and_plateau_facts():
    rows = []
    for method, errors in zip(adaptive.plateau_methods(), ([0.1, 0.05], [0.1, 0.001], [0.1, 0.0001], [0.1, 0.0002])):
        rows += [{"method": method, "seed": 0, "step": s, "error": e} for s, e in zip((0, 100), errors)]
    summary = adaptive.escape_summary(pd.DataFrame(rows), threshold=0.005)
    assert summary["median step below threshold"].tolist() == ["not reached", 100, 100, 100]
    facts = adaptive.plateau_facts(summary)
    assert facts["escape_sgd_small"] == "does not leave it within the run"
    assert facts["escape_amari"] == "leaves it after 100 examples"
    assert facts["plateau_takeaway"].startswith("the natural gradient leaves the plateau with a step size smaller")
    assert "and ends lower than" in facts["plateau_takeaway"]
    summary.iloc[3, 1] = 0.01  # exact ANGD ends above SGD's 0.001
    assert "does not end lower than" in adaptive.plateau_facts(summary)["plateau_takeaway"]


def test_stability_sweep_reuses_the_plateau_runs_and_has_one_row_per_setting():
    plateau = adaptive.online_runs(adaptive.plateau_methods(), steps=20, evals=4, seeds=[0])
    sweep = adaptive.stability_sweep(plateau, rates=(adaptive.ANGD_LR, 0.02), steps=20, evals=4, seeds=[0])
    assert list(zip(sweep["η = ε"], sweep["update"])) == [(adaptive.ANGD_LR, "amari"), (adaptive.ANGD_LR, "exact"),
                                                          (0.02, "amari"), (0.02, "exact")]
    amari = plateau[plateau["method"] == "ANGD (amari)"]
    assert sweep["largest a"].iloc[0] == amari["a_max"].max()
    np.testing.assert_allclose(sweep["ε × largest a"], sweep["η = ε"] * sweep["largest a"])
    facts = adaptive.sweep_facts(sweep, big=0.02)
    assert set(facts) == {f"sweep_{k}_{u}_{w}" for k in ("main", "big") for u in ("amari", "exact")
                          for w in ("eps_a", "fate")}


def test_empirical_runs_relabels_the_output_fisher_runs():
    plateau = adaptive.online_runs(adaptive.plateau_methods(), steps=10, evals=3, seeds=[0])
    frame = adaptive.empirical_runs(plateau, steps=10, evals=3, seeds=[0])
    assert list(dict.fromkeys(frame["method"])) == ["output Fisher (exact)", "empirical Fisher, η = 0.005",
                                                    "empirical Fisher, η = 0.0005"]


# ---------------------------------------------------------------------------------- chapter 7

def test_constant_gradient_rates_match_the_closed_forms():
    magnitudes, steps = [0.01, 0.5, 1.0], 300
    rate_mix, rate_ada = adaptive.constant_gradient_rates(magnitudes, steps)
    closed_mix, closed_ada = adaptive.closed_form_rates(magnitudes, steps)
    np.testing.assert_allclose(rate_mix, closed_mix, rtol=1e-10)
    np.testing.assert_allclose(rate_ada, closed_ada, rtol=1e-10)
    facts = adaptive.rate_agreement(magnitudes, steps)
    assert facts["rate_mix_below_ada"] is True and facts["closed_mix_dev"] < 1e-10


def test_halving_table_is_the_first_step_where_the_closed_form_halves():
    magnitudes = [0.1, 0.5, 1.0]
    half = adaptive.halving_table(magnitudes)
    closed_mix, _ = adaptive.closed_form_rates(magnitudes, 1000)
    for k, m in enumerate(magnitudes):
        n = half.loc[m, "AdaMix: steps to halve"]
        assert closed_mix[n - 1, k] <= 0.5 < closed_mix[n - 2, k] if n > 1 else closed_mix[0, k] <= 0.5
    assert half.dtypes.map(lambda d: d.kind == "i").all()


def test_weight_rates_reads_the_state_of_either_rule():
    w = torch.zeros(3, 4, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    opt = AdaMix([w, b], lr=0.1, total_steps=10)
    torch.testing.assert_close(adaptive.weight_rates(opt), torch.full((12,), 0.1))
    w.grad, b.grad = torch.ones(3, 4), torch.ones(3)
    opt.step()
    torch.testing.assert_close(adaptive.weight_rates(opt), torch.full((12,), 0.1 / math.sqrt(2)))
    active = torch.tensor([True, False, True, False])
    assert adaptive.weight_rates(opt, active).numel() == 6


def test_loss_scale_runs_have_four_runs_with_ordered_quantiles(digits):
    x, y = digits
    frame, optimizers = adaptive.loss_scale_runs(x, y, epochs=1, batch=20, lr_mean=0.1)
    assert list(dict.fromkeys(frame["run"])) == ["AdaMix, mean loss", "AdaMix, sum loss",
                                                 "AdaGrad, mean loss", "AdaGrad, sum loss"]
    assert list(optimizers) == list(dict.fromkeys(frame["run"]))
    assert ((frame["q10"] <= frame["q50"]) & (frame["q50"] <= frame["q90"])).all()
    start = frame[frame["step"] == 0]
    np.testing.assert_allclose(start["q50"], 0.1, rtol=1e-6)  # every run starts at η(0) on the mean scale
    facts = adaptive.loss_scale_facts(frame, optimizers, lr_mean=0.1, batch=20)
    assert 0 <= facts["scale_tiny_share"] <= 100 and facts["scale_steps"] == 3


def test_summed_cross_entropy_is_batch_times_the_mean(digits):
    x, y = digits
    logits = mlp(784, 100, 10, seed=0)(x)
    torch.testing.assert_close(adaptive.summed_cross_entropy(logits, y), len(y) * cross_entropy(logits, y))


def test_per_role_checks_compose_adamix_and_freeze_weights(digits):
    x, y = digits
    checks, facts = adaptive.per_role_checks(x[:16], y[:16], steps=3)
    assert len(checks) == 4
    assert facts["per_same"] == 0.0 and facts["per_frozen"] == 0.0 and facts["per_bias_moved"] > 0
    assert facts["per_weights_adagrad"] and facts["per_biases_plain"]
    assert 0 < facts["per_bias_rate_min"] <= 1


def test_role_table_and_operations_table():
    roles = adaptive.role_table(mlp(784, 100, 10))
    assert roles["role"].tolist() == ["weight", "bias", "weight", "bias"]
    ops = adaptive.operations_table()
    assert (ops["element-wise operations"] == [len(v) for v in adaptive.OPERATIONS.values()]).all()


def test_autoencoder_shaped_has_the_papers_layers():
    net = adaptive.autoencoder_shaped()
    sizes = adaptive.AUTOENCODER_SIZES
    assert sum(p.numel() for p in net.parameters()) == sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    assert net(torch.zeros(2, 784)).shape == (2, 784)


def _measured(mix_over_ada):
    base = {"Cons (SGD)": 1.0, "AdaGrad": 2.0, "AdaDec": 3.0, "AdaDec (recursive)": 2.5, "AdaMix": 2.0 * mix_over_ada}
    return StepTimes(steps={k: [v * 1e-3] * 5 for k, v in base.items()}, forward_backward=[4e-3] * 5,
                     clock="test clock", n_weights=90, n_biases=10)


@pytest.mark.parametrize("ratio, verdict", [(0.8, "cheaper than"), (1.0, "within 5 % of"),
                                            (1.3, "more expensive than")])
def test_cost_table_and_facts(ratio, verdict):
    measured = _measured(ratio)
    timing = adaptive.cost_table(measured)
    assert timing.loc["AdaGrad", "step / AdaGrad step"] == 1.0
    assert timing.loc["AdaMix", "step / AdaGrad step"] == pytest.approx(ratio)
    assert timing.loc["Cons (SGD)", "training step / Cons (ours)"] == 1.0
    assert timing.loc["AdaDec", "training step / Cons (ours)"] == pytest.approx((4 + 3) / (4 + 1))
    assert math.isnan(timing.loc["AdaDec (recursive)", "wall time / Cons (He & Li)"])
    facts = adaptive.cost_facts(measured, timing, "cpu")
    assert facts["cost_verdict"] == verdict and facts["cost_repeats"] == 5
    assert facts["cost_bias_share"] == pytest.approx(10.0)
    assert ("is the cheaper" in facts["cost_ours_sentence"]) == (verdict == "cheaper than")


def test_kernel_facts_reads_the_weight_column():
    kernels = pd.DataFrame({"kernels per weight": [1, 3, 6, 5, 5]},
                           index=["Cons (SGD)", "AdaGrad", "AdaDec", "AdaDec (recursive)", "AdaMix"])
    assert adaptive.kernel_facts(kernels) == {"cost_sgd_kernels": 1, "cost_ada_kernels": 3, "cost_dec_kernels": 6,
                                              "cost_decr_kernels": 5, "cost_mix_kernels": 5}


# ---------------------------------------------------------------------------------- figures

def test_glue_all_glues_every_value():
    figures.glue_all({"adaptive_test_a": np.float64(1.5), "adaptive_test_b": "x"})
    assert plotting.GLUED["adaptive_test_a"] == 1.5 and type(plotting.GLUED["adaptive_test_a"]) is float
    assert plotting.GLUED["adaptive_test_b"] == "x"


def test_figures_draw_one_curve_per_run():
    import matplotlib.pyplot as plt

    fig = figures.reddi_figure(adaptive.reddi_runs(30), C=3.0)
    assert len(fig.axes[1].lines) == 2
    fig = figures.decay_figure(adaptive.decay_runs(10, n=5), lr=0.01, lam=0.1)
    assert len(fig.axes[0].lines) == 5  # two groups × two kinds, and the prediction
    frame = pd.DataFrame([{"run": r, "step": s, "a": 1.0 + s, "b": 2.0} for r in "xyz" for s in (1, 2)])
    fig = figures.two_panels(frame, x="step", hue="run", left=("a", "A", "a", True), right=("b", "B", "b"))
    assert [len(ax.lines) for ax in fig.axes] == [3, 3] and fig.axes[0].get_yscale() == "log"
    fig = figures.paths_figure(adaptive.adam_family_paths(0.05, 5), title="t")
    assert len(fig.axes[1].lines) == 4
    plt.close("all")
