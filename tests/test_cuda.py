"""The same code on CUDA: optimizer steps equal the CPU's to float32 tolerance, fine-tuning and
pretraining never wait for the device inside their step loops, and a lockstep epoch on the GPU
lands where the CPU's does. Skipped without a CUDA device.

No fixtures and no pytest import: ``benchmarks/gpu_check.sh`` runs these functions directly where
pytest is not installed (a skip is ``unittest.SkipTest``, which pytest reports as a skip too).
"""

from __future__ import annotations

import unittest
import warnings

import torch

from optimbook import optim as O
from optimlab.training.clock import Clock
from optimlab.training.finetuning import FineTuning, finetune, train_epoch
from optimlab.training.models.autoencoder import DeepAutoencoder
from optimbook.optim import PerRole, Rule
from optimlab.training.pretraining import RBMTraining, pretrain_stack, train_rbm
from optimlab.training.models.rbm import RBM
from optimbook.schedules import exponential_decay, power_decay
from optimlab.training.loop import batches


def cuda() -> torch.device:
    if not torch.cuda.is_available():
        raise unittest.SkipTest("no CUDA device")
    return torch.device("cuda")


OPTIMIZERS = {
    "SGD": lambda p: O.SGD(p, lr=1e-2),
    "Momentum": lambda p: O.Momentum(p, lr=1e-2),
    "Nesterov": lambda p: O.Nesterov(p, lr=1e-2),
    "AdaGrad": lambda p: O.AdaGrad(p, lr=1e-2, K=1.0, eps=0.0),
    "AdaDec": lambda p: O.AdaDec(p, lr=1e-2, total_steps=20),
    "AdaDec (recursive)": lambda p: O.AdaDec(p, lr=1e-2, total_steps=20, recursive=True),
    "AdaMix": lambda p: O.AdaMix(p, lr=1e-2, total_steps=20),
    "RMSProp": lambda p: O.RMSProp(p),
    "Adadelta": lambda p: O.Adadelta(p),
    "Adam": lambda p: O.Adam(p),
    "AMSGrad": lambda p: O.AMSGrad(p),
    "AdamW": lambda p: O.AdamW(p),
    "Nadam": lambda p: O.Nadam(p),
}


def _steps(make, device, steps=20):
    g = torch.Generator().manual_seed(0)
    params = [torch.randn(30, 20, generator=g).to(device).requires_grad_(), torch.randn(20, generator=g).to(device).requires_grad_()]
    grads = [[torch.randn(p.shape, generator=g).to(device) for p in params] for _ in range(steps)]
    opt = make(params)
    for step in grads:
        for p, grad in zip(params, step):
            p.grad = grad
        opt.step()
    return [p.detach().cpu() for p in params]


def test_every_optimizer_step_on_cuda_equals_the_cpu():
    dev = cuda()
    for name, make in OPTIMIZERS.items():
        for a, b in zip(_steps(make, dev), _steps(make, torch.device("cpu"))):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=lambda m, name=name: f"{name}: {m}")


def _strategies(model, steps):
    return [
        PerRole(model.replica_parameters(0), weight=Rule(O.SGD, {"lr": 1e-3}), bias=Rule(O.SGD, {"lr": 1e-3})),
        PerRole(model.replica_parameters(1), weight=Rule(O.SGD, {"lr": exponential_decay(1e-3, steps, 0.1)}),
                bias=Rule(O.SGD, {"lr": power_decay(1e-3, steps, 0.75)})),
        PerRole(model.replica_parameters(2), weight=Rule(O.AdaGrad, {"lr": 1e-3, "K": 1.0, "eps": 0.0}), bias=None),
        PerRole(model.replica_parameters(3), weight=Rule(O.AdaDec, {"lr": 1e-3, "total_steps": steps}),
                bias=Rule(O.AdaDec, {"lr": 1e-3, "total_steps": steps})),
        PerRole(model.replica_parameters(4), weight=Rule(O.AdaMix, {"lr": 1e-3, "total_steps": steps}),
                bias=Rule(O.AdaMix, {"lr": 1e-3, "total_steps": steps})),
    ]


def _problem(device, n=200):
    g = torch.Generator().manual_seed(0)
    train_x, test_x = torch.rand(n, 40, generator=g), torch.rand(50, 40, generator=g)
    rbms, _ = pretrain_stack(train_x, (40, 30, 20, 5), [RBMTraining(epochs=1, batch_size=20)] * 3, seed=0)
    model = DeepAutoencoder.unroll(rbms, replicas=5).to(device)
    return model, train_x.to(device), test_x.to(device)


def test_a_finetuning_epoch_on_cuda_never_synchronises_the_host():
    dev = cuda()
    model, train_x, _ = _problem(dev)
    optimizers = _strategies(model, steps=40)
    order = list(batches(len(train_x), 10, seed=0, epoch=0, device=dev))
    train_epoch(model, optimizers, train_x, order[:2], Clock(dev))  # first steps create the state
    clock = Clock(dev)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        losses = train_epoch(model, optimizers, train_x, order, clock)
    finally:
        torch.cuda.set_sync_debug_mode(0)
    parts = clock.read()
    assert len(losses) == len(order) and sorted(parts) == ["0", "1", "2", "3", "4", "shared"]
    assert all(t > 0 for t in parts.values())


def _sync_warnings(fn) -> int:
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn()
    finally:
        torch.cuda.set_sync_debug_mode(0)
    return sum("synchroniz" in str(w.message) for w in caught)


def test_host_synchronisations_do_not_grow_with_the_number_of_steps():
    """Whole runs (evaluations, checkpoints and per-epoch bookkeeping included): ten times as many
    steps, the same number of synchronisations."""
    dev = cuda()
    data = torch.rand(400, 40, generator=torch.Generator().manual_seed(1)).to(dev)
    counts = [_sync_warnings(lambda b=b: train_rbm(RBM(40, 30).to(dev), data, RBMTraining(epochs=2, batch_size=b)))
              for b in (400, 40)]
    assert counts[0] == counts[1], counts
    counts = []
    for b in (200, 20):
        model, train_x, test_x = _problem(dev)
        optimizers = _strategies(model, steps=2 * 200 // b)
        counts.append(_sync_warnings(lambda: finetune(model, optimizers, list("abcde"), train_x, test_x,
                                                      FineTuning(epochs=2, batch_size=b, eval_every=1))))
    assert counts[0] == counts[1], counts


def test_a_lockstep_epoch_on_cuda_lands_where_the_cpu_does():
    dev = cuda()
    results = []
    for device in (torch.device("cpu"), dev):
        model, train_x, test_x = _problem(device)
        optimizers = _strategies(model, steps=40)
        records = finetune(model, optimizers, list("abcde"), train_x, test_x, FineTuning(epochs=2, batch_size=10, eval_every=1))
        results.append([r[-1]["test_rer"] for r in records])
    torch.testing.assert_close(torch.tensor(results[1]), torch.tensor(results[0]), rtol=1e-4, atol=0.0)
