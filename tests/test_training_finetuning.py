"""Lockstep fine-tuning against an independent oracle: one plain torch model per replica.

The oracle knows nothing of the stacked weights, the replica views or ``share_gradients``: each
strategy trains its own ``nn.Sequential`` of ``nn.Linear`` layers (weights copied from the unrolled
stack) with its own optimizer, on the same mini-batches, with the summed squared error written out.
"""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from optimbook.optim import SGD, AdaGrad, AdaMix, PerRole, Rule
from optimlab.training.clock import Clock
from optimlab.training.finetuning import FineTuning, finetune, reconstruction_errors, train_epoch
from optimlab.training.loop import batches
from optimlab.training.losses import reconstruction_error
from optimlab.training.models.autoencoder import DeepAutoencoder
from optimlab.training.models.rbm import RBM

SIZES = (30, 20, 12, 4)

#: one strategy per replica: torch.optim rules and the library's, per role (weights, biases)
RULES = [
    (Rule(torch.optim.SGD, {"lr": 0.01}), Rule(torch.optim.SGD, {"lr": 0.02})),
    (Rule(torch.optim.Adagrad, {"lr": 0.05}), None),
    (Rule(AdaMix, {"lr": 0.05, "total_steps": 20}), Rule(SGD, {"lr": 0.01})),
    (Rule(AdaGrad, {"lr": 0.05, "K": 1.0, "eps": 0.0}), Rule(torch.optim.Adam, {"lr": 1e-3})),
]


def autoencoder(replicas: int) -> DeepAutoencoder:
    g = torch.Generator().manual_seed(0)
    rbms = [RBM(a, b, hidden="gaussian" if i == len(SIZES) - 2 else "binary", generator=g, init_std=0.3)
            for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:]))]
    return DeepAutoencoder.unroll(rbms, replicas=replicas)


def plain_network(model: DeepAutoencoder, k: int) -> nn.Sequential:
    """Replica k of ``model`` as a plain network of nn.Linear layers (weight = Wᵀ)."""
    layers = []
    for w, b, act in zip(model.weights, model.biases, model.activations):
        linear = nn.Linear(w.shape[1], w.shape[2])
        with torch.no_grad():
            linear.weight.copy_(w[k].T)
            linear.bias.copy_(b[k])
        layers += [linear] + ([nn.Sigmoid()] if act == "sigmoid" else [])
    return nn.Sequential(*layers)


def plain_optimizer(net: nn.Sequential, weight: Rule, bias: Rule | None) -> list[torch.optim.Optimizer]:
    linears = [m for m in net if isinstance(m, nn.Linear)]
    opts = [weight.optimizer([m.weight for m in linears], **weight.kwargs)]
    if bias is not None:
        opts.append(bias.optimizer([m.bias for m in linears], **bias.kwargs))
    else:
        for m in linears:
            m.bias.requires_grad_(False)
    return opts


def test_lockstep_steps_equal_separate_plain_models_trained_with_their_own_optimizers():
    data = torch.rand(45, SIZES[0], generator=torch.Generator().manual_seed(1))  # batches of 10, the last of 5
    model = autoencoder(replicas=len(RULES))
    nets = [plain_network(model, k) for k in range(len(RULES))]
    ours = [PerRole(model.replica_parameters(k), weight=w, bias=b) for k, (w, b) in enumerate(RULES)]
    theirs = [plain_optimizer(net, w, b) for net, (w, b) in zip(nets, RULES)]
    for epoch in range(3):
        order = list(batches(len(data), 10, seed=0, epoch=epoch))
        losses = train_epoch(model, ours, data, order)
        for step, idx in enumerate(order):
            x = data[idx]
            for k, (net, opts) in enumerate(zip(nets, theirs)):
                for opt in opts:
                    opt.zero_grad()
                loss = ((net(x) - x) ** 2).sum()
                loss.backward()
                for opt in opts:
                    opt.step()
                torch.testing.assert_close(losses[step][k], loss.detach(), rtol=1e-5, atol=1e-5)
    for k, net in enumerate(nets):
        linears = [m for m in net if isinstance(m, nn.Linear)]
        for i, m in enumerate(linears):
            torch.testing.assert_close(model.weights[i][k], m.weight.detach().T, rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(model.biases[i][k], m.bias.detach(), rtol=1e-5, atol=1e-6)
    # a replica whose bias has no rule kept its biases
    fresh = autoencoder(1)
    assert all(torch.equal(b[1], b0[0]) for b, b0 in zip(model.biases, fresh.biases))
    assert not torch.equal(model.biases[0][0], fresh.biases[0][0])


def test_a_wrong_gradient_fails_the_comparison():
    """The oracle sees a change of one replica's update: a lockstep run whose replica 1 takes SGD
    at 1.01 × the rate ends away from the plain model's weights."""
    data = torch.rand(20, SIZES[0], generator=torch.Generator().manual_seed(1))
    model = autoencoder(replicas=2)
    ours = [PerRole(model.replica_parameters(k), weight=Rule(torch.optim.SGD, {"lr": lr}), bias=None)
            for k, lr in enumerate((0.05, 0.0505))]
    net = plain_network(model, 1)
    (opt,) = plain_optimizer(net, Rule(torch.optim.SGD, {"lr": 0.05}), None)
    order = list(batches(len(data), 10, seed=0, epoch=0))
    train_epoch(model, ours, data, order)
    for idx in order:
        opt.zero_grad()
        ((net(data[idx]) - data[idx]) ** 2).sum().backward()
        opt.step()
    with pytest.raises(AssertionError):
        torch.testing.assert_close(model.weights[0][1], net[0].weight.detach().T, rtol=1e-5, atol=1e-6)


def test_the_clock_times_the_shared_pass_and_each_optimizer():
    data = torch.rand(40, SIZES[0], generator=torch.Generator().manual_seed(1))
    model = autoencoder(replicas=2)
    opts = [PerRole(model.replica_parameters(k), weight=Rule(SGD, {"lr": 0.01}), bias=None) for k in range(2)]
    clock = Clock()
    order = list(batches(len(data), 10, seed=0, epoch=0))
    train_epoch(model, opts, data, order, clock)
    assert sorted(clock.read()) == ["0", "1", "shared"]
    assert all(len(clock.laps(part)) == len(order) and all(t > 0 for t in clock.laps(part))
               for part in ("shared", "0", "1"))


def test_records_hold_the_rer_and_the_training_seconds():
    data = torch.rand(40, SIZES[0], generator=torch.Generator().manual_seed(1))
    test = torch.rand(15, SIZES[0], generator=torch.Generator().manual_seed(2))
    model = autoencoder(replicas=2)
    opts = [PerRole(model.replica_parameters(k), weight=Rule(SGD, {"lr": 0.01}), bias=None) for k in range(2)]
    records = finetune(model, opts, ["a", "b"], data, test, FineTuning(epochs=2, batch_size=10, eval_every=1))
    for k in range(2):
        assert [r["epoch"] for r in records[k]] == [0, 1, 2]
        seconds = [r["seconds"] for r in records[k]]
        assert seconds[0] == 0.0 and seconds[1] > 0 and seconds[2] > seconds[1]
        assert records[k][-1]["test_rer"] == pytest.approx(
            ((model(test)[k] - test) ** 2).sum(1).mean().item(), rel=1e-6)
    assert reconstruction_errors(model, test, chunk=4) == pytest.approx([r[-1]["test_rer"] for r in records])


class _SlowFirstStep(torch.optim.SGD):
    """SGD whose first step in this process costs ``delay`` seconds more (as a compilation would)."""

    def __init__(self, params, delay: float):
        super().__init__(params, lr=0.01)
        self.delay, self.steps = delay, 0

    def step(self, closure=None):
        if self.steps == 0:
            time.sleep(self.delay)
        self.steps += 1
        return super().step(closure)


def test_the_first_step_of_a_run_is_untimed_and_still_taken():
    """One-time costs of a process's first step (torch.compile's compilation, lazy state) would be
    charged to whichever run a worker happens to start with; the clock starts after that step. The
    step itself is taken: the weights are those of a run that times every step."""
    data = torch.rand(40, SIZES[0], generator=torch.Generator().manual_seed(1))
    test = torch.rand(15, SIZES[0], generator=torch.Generator().manual_seed(2))
    config = FineTuning(epochs=2, batch_size=10, eval_every=1)
    slow, plain = autoencoder(replicas=1), autoencoder(replicas=1)
    records = finetune(slow, [_SlowFirstStep(slow.replica_parameters(0), delay=0.5)], ["slow"], data, test, config)
    finetune(plain, [torch.optim.SGD(plain.replica_parameters(0), lr=0.01)], ["plain"], data, test, config)
    assert 0 < records[0][-1]["seconds"] < 0.5
    for a, b in zip(slow.parameters(), plain.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_reconstruction_error_is_the_sum_over_images_and_pixels():
    images = torch.rand(5, 7, generator=torch.Generator().manual_seed(0))
    out = torch.rand(3, 5, 7, generator=torch.Generator().manual_seed(1))
    literal = [sum(float((out[r, i, j] - images[i, j]) ** 2) for i in range(5) for j in range(7)) for r in range(3)]
    assert reconstruction_error(out, images).tolist() == pytest.approx(literal, rel=1e-6)
    assert reconstruction_error(out[1], images).item() == pytest.approx(literal[1], rel=1e-6)
    with pytest.raises(ValueError, match=r"must end with the images' shape \(5, 7\)"):
        reconstruction_error(out[:, :4], images)


@pytest.mark.parametrize("shape", [(6,), (6, 29), (2, 6, 30)])
def test_a_batch_of_the_wrong_shape_is_refused(shape):
    with pytest.raises(ValueError, match=r"x must have shape \[batch, 30\]"):
        autoencoder(1)(torch.rand(shape))


def test_a_compiled_loss_trains_like_the_eager_one():
    data = torch.rand(20, SIZES[0], generator=torch.Generator().manual_seed(1))  # one compiled shape
    runs = []
    for compile in (False, True):
        model = autoencoder(replicas=2)
        opts = [PerRole(model.replica_parameters(k), weight=w, bias=b) for k, (w, b) in enumerate(RULES[1:3])]
        losses = train_epoch(model, opts, data, list(batches(len(data), 10, seed=0, epoch=0)), compile=compile)
        runs.append((torch.stack(losses), [p.detach().clone() for p in model.parameters()]))
    torch.testing.assert_close(runs[1][0], runs[0][0], rtol=1e-5, atol=1e-5)
    for a, b in zip(runs[1][1], runs[0][1]):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("compile", ["fast", 1.0, None])
def test_compile_accepts_a_flag_or_a_torch_compile_mode(compile):
    with pytest.raises(ValueError, match=r"^compile must be one of \(False, True, 'default'"):
        train_epoch(autoencoder(1), [], torch.rand(4, SIZES[0]), [], compile=compile)
