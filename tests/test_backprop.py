"""DeepAutoencoder.backprop against autograd: the same numbers, bit for bit, in reused buffers."""

from __future__ import annotations

import pytest
import torch

from optimlab.training.finetuning import StepTimer, layer_parameters, train_epoch
from optimlab.training.models.autoencoder import DeepAutoencoder
from optimlab.training.models.rbm import RBM
from optimbook.optim import SGD, AdaGrad, AdaMix, PerRole, Rule
from optimlab.training.loop import batches


def autoencoder(sizes=(30, 20, 12, 4), replicas=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    rbms = [RBM(a, b, hidden="gaussian" if i == len(sizes) - 2 else "binary", generator=g, init_std=0.3)
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
    return DeepAutoencoder.unroll(rbms, replicas=replicas)


def reference_forward(model, x):
    """The network as written before backprop existed: matmul for the shared first layer."""
    h = x
    for i, (w, b, act) in enumerate(zip(model.weights, model.biases, model.activations)):
        h = torch.matmul(h, w) + b.unsqueeze(1) if i == 0 else torch.baddbmm(b.unsqueeze(1), h, w)
        if act == "sigmoid":
            h = torch.sigmoid(h)
    return h


def autograd_step(model, x):
    """The oracle: autograd on the loss of train_epoch as it was."""
    model.zero_grad(set_to_none=True)
    loss = (reference_forward(model, x) - x).pow(2).sum(dim=(1, 2))
    loss.sum().backward()
    return loss.detach(), [p.grad.clone() for p in model.parameters()]


def grads(model):
    return [None if p.grad is None else p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("replicas", [1, 3])
@pytest.mark.parametrize("batch", [1, 7, 100])
def test_loss_and_gradients_equal_autograd_bit_for_bit(replicas, batch):
    model = autoencoder(sizes=(784, 100, 50, 30), replicas=replicas)
    with torch.no_grad():  # replicas that differ, so a mix-up between them would show
        for k in range(replicas):
            for p in model.parameters():
                p[k].add_(0.01 * k)
    x = torch.rand(batch, 784, generator=torch.Generator().manual_seed(batch))
    want_loss, want = autograd_step(model, x)
    model.zero_grad(set_to_none=True)
    loss = model.backprop(x)
    assert torch.equal(loss, want_loss)
    for got, ref in zip(grads(model), want):
        assert torch.equal(got, ref)
    assert torch.equal(model(x), reference_forward(model, x))


def test_a_rounding_change_in_the_backward_pass_fails_the_comparison(monkeypatch):
    """The comparison sees rounding: σ'(z) as g·y·(1 − y), not torch's g·(1 − y)·y, is caught."""
    model = autoencoder(sizes=(784, 100, 50, 30))
    x = torch.rand(100, 784, generator=torch.Generator().manual_seed(0))
    _, want = autograd_step(model, x)

    def reordered(grad, y, *, grad_input):
        return torch.mul(grad * y, 1 - y, out=grad_input)

    monkeypatch.setattr(torch.ops.aten.sigmoid_backward, "grad_input", reordered)
    model.backprop(x)
    assert not all(torch.equal(got, ref) for got, ref in zip(grads(model), want))


#: the strategies of the trajectory test: the package's rules (each layer is updated inside the
#: backward pass), and one with a torch.optim rule (the optimizers step after the pass)
RULES = {
    "in backward": [(Rule(AdaMix, {"lr": 0.05, "total_steps": 40}), Rule(SGD, {"lr": 0.01})),
                    (Rule(AdaGrad, {"lr": 0.05, "K": 1.0, "eps": 0.0}), None)],
    "after the pass": [(Rule(AdaMix, {"lr": 0.05, "total_steps": 40}), Rule(torch.optim.SGD, {"lr": 0.01})),
                       (Rule(AdaGrad, {"lr": 0.05, "K": 1.0, "eps": 0.0}), None)],
}


@pytest.mark.parametrize("path", sorted(RULES))
def test_training_trajectories_equal_autograd_and_buffers_are_reused(path):
    sizes, rules = (30, 20, 12, 4), RULES[path]
    data = torch.rand(45, 30, generator=torch.Generator().manual_seed(1))  # batches of 10, the last of 5
    runs = []
    for use_backprop in (True, False):
        model = autoencoder(sizes, replicas=2)
        opts = [PerRole(model.replica_parameters(k), weight=w, bias=b) for k, (w, b) in enumerate(rules)]
        assert (layer_parameters(model, opts) is not None) == (path == "in backward")
        losses = []
        timer = StepTimer(torch.device("cpu"), 2)
        for epoch in range(4):
            order = list(batches(len(data), 10, seed=0, epoch=epoch))
            if use_backprop:
                losses += train_epoch(model, opts, data, order, timer)
                continue
            for idx in order:  # the loop of train_epoch before backprop, on autograd
                loss, _ = autograd_step(model, data[idx])
                model.share_gradients()
                for opt in opts:
                    opt.step()
                losses.append(loss)
        runs.append((model, torch.stack(losses), [opt.state_dict() for opt in opts], timer))
    (fast, fast_losses, fast_states, _), (slow, slow_losses, slow_states, _) = runs
    assert torch.equal(fast_losses, slow_losses)
    assert all(torch.equal(a, b) for a, b in zip(fast.parameters(), slow.parameters()))
    for a, b in zip(fast_states, slow_states):  # by parameter index (created in another order)
        assert sorted(a["state"]) == sorted(b["state"])
        for i, sa in a["state"].items():
            sb = b["state"][i]
            assert sorted(sa) == sorted(sb)
            assert all(torch.equal(torch.as_tensor(sa[k]), torch.as_tensor(sb[k])) for k in sa)
    shared, own = runs[0][3].totals()  # each part of the steps was timed
    assert shared > 0 and all(t > 0 for t in own)
    # the gradient buffers are the same memory at every step, one activation set per batch size
    before = [p.grad.data_ptr() for p in fast.parameters()]
    fast.backprop(data[:10])
    assert [p.grad.data_ptr() for p in fast.parameters()] == before
    assert sorted(k[0] for k in fast._backprop if k != "grads") == [5, 10]


def test_replica_views_see_their_slice_of_the_gradient():
    model = autoencoder(replicas=3)
    views = [model.replica_parameters(k) for k in range(3)]
    model.backprop(torch.rand(6, 30, generator=torch.Generator().manual_seed(0)))
    for k in range(3):
        for view, p in zip(views[k], model.parameters()):
            assert torch.equal(view.grad, p.grad[k])


def test_frozen_parameters_get_no_gradient_and_the_others_are_unchanged():
    model = autoencoder()
    x = torch.rand(6, 30, generator=torch.Generator().manual_seed(0))
    _, want = autograd_step(model, x)
    model.zero_grad(set_to_none=True)
    model.weights[0].requires_grad_(False)
    model.biases[2].requires_grad_(False)
    model.backprop(x)
    for p, ref in zip(model.parameters(), want):
        if p is model.weights[0] or p is model.biases[2]:
            assert p.grad is None
        else:
            assert torch.equal(p.grad, ref)


def test_buffers_follow_a_change_of_dtype():
    model = autoencoder()
    x = torch.rand(6, 30, generator=torch.Generator().manual_seed(0))
    model.backprop(x)
    model.double()
    model.zero_grad(set_to_none=True)
    _, want = autograd_step(model, x.double())
    model.zero_grad(set_to_none=True)
    model.backprop(x.double())
    assert all(p.grad.dtype == torch.float64 for p in model.parameters())
    assert all(torch.equal(p.grad, ref) for p, ref in zip(model.parameters(), want))


@pytest.mark.parametrize("shape", [(6,), (6, 29), (2, 6, 30)])
def test_a_batch_of_the_wrong_shape_is_refused(shape):
    with pytest.raises(ValueError, match=r"x must have shape \[batch, 30\]"):
        autoencoder().backprop(torch.rand(shape))


def test_after_layer_sees_each_layer_final_from_the_last_down():
    model = autoencoder(replicas=2)
    views = model.replica_parameters(1)
    x = torch.rand(6, 30, generator=torch.Generator().manual_seed(0))
    want_loss = model.backprop(x).clone()
    want, n = grads(model), len(model.weights)
    seen = []

    def after(i):
        seen.append(i)
        assert torch.equal(model.weights[i].grad, want[i])
        assert torch.equal(model.biases[i].grad, want[n + i])
        assert torch.equal(views[i].grad, want[i][1])

    model.zero_grad(set_to_none=True)
    assert torch.equal(model.backprop(x, after), want_loss)
    assert seen == list(reversed(range(n)))
    assert all(torch.equal(got, ref) for got, ref in zip(grads(model), want))


def test_layers_are_updated_inside_backward_only_where_every_optimizer_can():
    model = autoencoder(replicas=2)
    n = len(model.weights)
    ours = [PerRole(model.replica_parameters(k), weight=Rule(AdaMix, {"lr": 0.05, "total_steps": 40}),
                    bias=Rule(SGD, {"lr": 0.01})) for k in range(2)]
    layers = layer_parameters(model, ours)
    assert [[len(ps) for ps in row] for row in layers] == [[2, 2]] * n
    views = model.replica_parameters(1)
    assert layers[2][1][0] is views[2] and layers[2][1][1] is views[n + 2]
    # the stacked parameters of a one-replica model, held by one optimizer
    single = autoencoder()
    stacked = layer_parameters(single, [AdaMix(single.parameters(), lr=0.05, total_steps=40)])
    assert stacked[0][0][0] is single.weights[0] and stacked[0][0][1] is single.biases[0]
    # not where an optimizer couples parameters, counts its schedule per step(), or holds another tensor
    torch_rule = PerRole(model.replica_parameters(1), weight=Rule(torch.optim.SGD, {"lr": 0.1}), bias=None)
    assert layer_parameters(model, [ours[0], torch_rule]) is None
    extra = SGD([*model.replica_parameters(0), torch.zeros(3, requires_grad=True)], lr=0.1)
    assert layer_parameters(model, [extra]) is None
