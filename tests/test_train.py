"""optimlab.training.loop.fit: regimes, determinism, exact resume, budgets, clipping, the NaN error."""

from __future__ import annotations

import math

import pytest
import torch

from optimlab.training.losses import half_mse
from optimlab.training.models import LinearRegression, mlp
from optimbook.optim import SGD
from optimlab.training.loop import NonFiniteLossError, batches, clip_gradients, fit, log_steps, train_step


def problem(n=64, d=3):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64) + 0.3
    return x, y


def model_and_opt(lr=0.05):
    model = LinearRegression(3).double()
    return model, SGD(model.parameters(), lr=lr)


def test_batch_regime_is_one_exact_gradient_step_per_epoch():
    x, y = problem()
    model, opt = model_and_opt(0.1)
    fit(model, half_mse, opt, x, y, batch_size=len(x), epochs=1)
    # closed form: θ ← θ − α ∇J(θ) from θ = 0, J = 1/(2m) Σ (h − y)²
    x1 = torch.cat([torch.ones(len(x), 1, dtype=x.dtype), x], 1)
    grad = -(x1.T @ y) / len(x)
    expected = -0.1 * grad
    got = torch.cat([model.linear.bias, model.linear.weight[0]]).detach()
    assert torch.allclose(got, expected)


def test_stochastic_regime_takes_one_step_per_example():
    x, y = problem(n=10)
    model, opt = model_and_opt()
    hist = fit(model, half_mse, opt, x, y, batch_size=1, epochs=2)
    assert hist.records[-1]["step"] == 20 and hist.records[-1]["epoch"] == 2.0


def test_minibatch_sequence_matches_a_hand_written_loop():
    x, y = problem()
    model, opt = model_and_opt()
    fit(model, half_mse, opt, x, y, batch_size=16, epochs=3, seed=7)
    ref, ref_opt = model_and_opt()
    for epoch in range(3):
        for idx in batches(len(x), 16, seed=7, epoch=epoch):
            ref_opt.zero_grad()
            half_mse(ref(x[idx]), y[idx]).backward()
            ref_opt.step()
    for a, b in zip(model.parameters(), ref.parameters()):
        assert torch.equal(a, b)


def test_epoch_permutations_cover_every_example_once_and_differ_between_epochs():
    e0 = torch.cat(list(batches(50, 8, seed=1, epoch=0)))
    e1 = torch.cat(list(batches(50, 8, seed=1, epoch=1)))
    assert sorted(e0.tolist()) == list(range(50)) == sorted(e1.tolist())
    assert not torch.equal(e0, e1)
    assert [len(b) for b in batches(50, 8, seed=1, drop_last=True)] == [8] * 6


def test_resume_from_an_epoch_gives_the_uninterrupted_result():
    x, y = problem()
    full, opt = model_and_opt()
    fit(full, half_mse, opt, x, y, batch_size=8, epochs=4, seed=3)
    part, opt2 = model_and_opt()
    fit(part, half_mse, opt2, x, y, batch_size=8, epochs=2, seed=3)
    state = ({k: v.clone() for k, v in part.state_dict().items()}, opt2.state_dict())
    resumed, opt3 = model_and_opt()
    resumed.load_state_dict(state[0])
    opt3.load_state_dict(state[1])
    fit(resumed, half_mse, opt3, x, y, batch_size=8, epochs=2, start_epoch=2, seed=3)
    for a, b in zip(full.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


def test_history_records_evaluations_and_time():
    x, y = problem()
    model, opt = model_and_opt()
    hist = fit(model, half_mse, opt, x, y, batch_size=8, epochs=2, eval_every=4,
               evaluate=lambda m: {"full": half_mse(m(x), y).item()})
    steps = hist.column("step")
    assert steps == [0, 4, 8, 12, 16]
    assert math.isnan(hist.records[0]["loss"])
    seconds = hist.column("seconds")
    assert seconds == sorted(seconds) and seconds[0] == 0.0
    assert hist.records[-1]["full"] < hist.records[0]["full"]
    frame = hist.to_frame()
    assert list(frame.columns[:4]) == ["step", "epoch", "seconds", "loss"]


def test_budgets_stop_the_run():
    x, y = problem()
    model, opt = model_and_opt()
    hist = fit(model, half_mse, opt, x, y, batch_size=8, epochs=100, max_steps=11)
    assert hist.records[-1]["step"] == 11
    hist = fit(model, half_mse, opt, x, y, batch_size=1, epochs=10**6, max_seconds=0.05)
    assert 0.05 <= hist.records[-1]["seconds"] < 1.0


def test_log_steps_are_log_spaced():
    steps = sorted(log_steps(1000, per_decade=10))
    assert steps[:4] == [1, 2, 3, 4] and steps[-1] == 1000
    assert all(b > a for a, b in zip(steps, steps[1:]))


def test_nonfinite_loss_names_the_run_and_step():
    x, y = problem()
    model, opt = model_and_opt(lr=1e6)
    with pytest.raises(NonFiniteLossError, match=r"my-strategy: loss became (nan|inf) at step \d+"):
        fit(model, half_mse, opt, x, y, batch_size=8, epochs=50, name="my-strategy")


def test_the_step_loop_reads_no_loss_back_and_names_the_first_nonfinite_step(monkeypatch):
    """The losses are read once per record, not per step; a loss that turns infinite at step 13 of
    epoch 2 (of 8-step epochs) is named with that step and epoch, the steps after it notwithstanding."""
    x, y = problem()
    reads = []
    item = torch.Tensor.item
    monkeypatch.setattr(torch.Tensor, "item", lambda t: reads.append(1) or item(t))
    model, opt = model_and_opt(lr=0.01)
    calls = []

    def loss(out, target):
        calls.append(1)
        value = half_mse(out, target)
        return value * float("inf") if len(calls) == 13 else value

    with pytest.raises(NonFiniteLossError, match=r"^loss became (inf|nan) at step 13 \(epoch 2\)$"):
        fit(model, loss, opt, x, y, batch_size=8, epochs=3)
    assert len(calls) == 16  # epoch 2 ran to its end: the check is at the record
    assert reads == []  # no per-step .item()


def test_a_one_element_loss_of_any_shape_is_recorded_as_before():
    x, y = problem()
    runs = []
    for shape in ((), (1,), (1, 1)):
        model, opt = model_and_opt(lr=0.01)
        hist = fit(model, lambda out, t, s=shape: half_mse(out, t).reshape(s), opt, x, y, batch_size=8, epochs=2)
        runs.append([r["loss"] for r in hist.records])
    assert runs[0] == runs[1] == runs[2] and len(runs[0]) == 2


def test_autoencoder_target_defaults_to_input():
    x = torch.rand(32, 6)
    model = mlp(6, 3, 6, seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    hist = fit(model, lambda out, t: (out - t).pow(2).sum(1).mean(), opt, x, batch_size=8, epochs=30,
               evaluate=lambda m: {"rec": (m(x) - x).pow(2).sum(1).mean().item()})
    assert hist.records[-1]["rec"] < hist.records[0]["rec"]


def test_invalid_arguments_name_the_argument():
    x, y = problem()
    model, opt = model_and_opt()
    with pytest.raises(ValueError, match="batch_size"):
        fit(model, half_mse, opt, x, y, batch_size=0)
    with pytest.raises(ValueError, match="same length"):
        fit(model, half_mse, opt, x, y[:-1], batch_size=4)
    with pytest.raises(ValueError, match="max_seconds"):
        fit(model, half_mse, opt, x, y, batch_size=4, max_seconds=0)


def grads_of(*shapes):
    params = [torch.zeros(s, requires_grad=True) for s in shapes]
    for i, p in enumerate(params):
        p.grad = torch.full(s if isinstance(s := shapes[i], tuple) else (s,), 3.0 * (i + 1))
    return params


def test_clipvalue_clamps_elements():
    params = grads_of((2, 2), 3)
    clip_gradients(params, clipvalue=4.0)
    assert params[0].grad.max().item() == 3.0 and params[1].grad.max().item() == 4.0


def test_clipnorm_is_per_tensor_and_global_clipnorm_is_joint():
    params = grads_of(4, 4)  # norms 6 and 12
    clip_gradients(params, clipnorm=6.0)
    assert [p.grad.norm().item() for p in params] == pytest.approx([6.0, 6.0], rel=1e-6)
    params = grads_of(4, 4)
    clip_gradients(params, global_clipnorm=6.0)
    joint = torch.cat([p.grad for p in params]).norm().item()
    assert abs(joint - 6.0) < 1e-5
    ratio = params[1].grad.norm() / params[0].grad.norm()
    assert abs(ratio.item() - 2.0) < 1e-6  # direction kept


def test_fit_applies_clipping():
    x, y = problem()
    model, opt = model_and_opt(lr=1.0)
    seen = []
    orig = opt.step

    def spy(*a, **k):
        seen.append(max(p.grad.abs().max().item() for p in model.parameters()))
        return orig(*a, **k)

    opt.step = spy
    fit(model, half_mse, opt, x * 100, y * 100, batch_size=8, epochs=1, clipvalue=0.5)
    assert max(seen) <= 0.5


def test_divergence_on_the_last_step_is_caught():
    """The loss of the last step is finite, but that step sends the parameters to inf: fit must not
    return normally with non-finite parameters."""
    x, y = problem()
    model, opt = model_and_opt(lr=1e308)
    with pytest.raises(NonFiniteLossError, match=r"^last-step: parameters became non-finite .*step 1\b"):
        fit(model, half_mse, opt, x, y, batch_size=64, max_steps=1, name="last-step")


def test_divergence_is_caught_before_an_epoch_checkpoint_is_written():
    from optimlab.training.loop import NonFiniteParameterError

    x, y = problem()
    model, opt = model_and_opt(lr=1e308)
    saved = []
    with pytest.raises(NonFiniteParameterError, match=r"\(epoch 1\)"):
        fit(model, half_mse, opt, x, y, batch_size=64, epochs=1, on_epoch_end=lambda e, h: saved.append(e))
    assert saved == []
    assert issubclass(NonFiniteParameterError, NonFiniteLossError)  # callers that catch divergence keep working


@pytest.mark.parametrize("kw,name", [
    ({"batch_size": math.nan}, "batch_size"), ({"batch_size": 10**400}, "batch_size"),
    ({"epochs": math.inf}, "epochs"), ({"max_steps": math.nan}, "max_steps"),
    ({"max_seconds": math.inf}, "max_seconds"), ({"batch_size": "8"}, "batch_size"),
    ({"eval_every": 0}, "eval_every"), ({"seed": math.nan}, "seed"),
])
def test_nan_inf_and_wrong_types_are_refused_by_name(kw, name):
    x, y = problem()
    model, opt = model_and_opt()
    with pytest.raises((ValueError, TypeError), match=rf"^{name} must be "):
        fit(model, half_mse, opt, x, y, **{"batch_size": 8, **kw})


def test_train_step_is_one_autograd_step_with_clipping_and_schedule():
    """The oracle: torch's own steps written out (zero_grad, backward, clip_grad_norm_, step, scheduler)."""
    x, y = problem()
    runs = []
    for shared in (True, False):
        model, _ = model_and_opt()
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        losses = []
        for _ in range(5):
            if shared:
                losses.append(train_step(opt, lambda: half_mse(model(x), y), global_clipnorm=0.3, scheduler=sched))
                continue
            opt.zero_grad()
            loss = half_mse(model(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(model.parameters()), 0.3)
            opt.step()
            sched.step()
            losses.append(loss.detach())
        runs.append((torch.stack(losses), [p.detach().clone() for p in model.parameters()]))
    assert torch.equal(runs[0][0], runs[1][0]) and not runs[0][0].requires_grad
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))


def test_on_step_sees_every_step_and_its_loss():
    x, y = problem()
    model, opt = model_and_opt()
    seen = []
    hist = fit(model, half_mse, opt, x, y, batch_size=16, epochs=2, on_step=lambda s, loss: seen.append((s, loss)))
    assert [s for s, _ in seen] == list(range(1, 9))
    # the epoch-2 record's loss is the mean of the losses on_step saw in epoch 2
    assert hist.records[-1]["loss"] == pytest.approx(torch.stack([loss for _, loss in seen[4:]]).mean().item())
