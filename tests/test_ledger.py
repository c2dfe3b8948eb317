"""The FLOP ledger against independent oracles: hand-computed closed forms, and
torch.utils.flop_counter.FlopCounterMode counting the matrix products of real runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from optimlab.cost import ledger
from optimlab.training.finetuning import FineTuning, finetune
from optimlab.training.losses import cross_entropy
from optimlab.training.models import mlp
from optimlab.training.models.autoencoder import DeepAutoencoder
from optimbook.optim import SGD, AdaGrad, PerRole
from optimlab.training.pretraining import RBMTraining, pretrain_stack
from optimlab.training.loop import fit

ROOT = Path(__file__).resolve().parents[1]


def _addmm_inplace(self_shape, mat1, mat2, *args, out_shape=None, **kwargs) -> int:
    m, k = mat1
    return 2 * m * k * mat2[1]  # as FlopCounterMode counts addmm: the product, not the add


def counted(fn) -> int:
    # FlopCounterMode knows addmm but not its in-place form (the CD-1 statistics use addmm_)
    with FlopCounterMode(display=False, custom_mapping={torch.ops.aten.addmm_: _addmm_inplace}) as counter:
        fn()
    return counter.get_total_flops()


def test_one_rbm_layer_one_epoch_by_hand():
    # 10 examples, batches of 5, one 6-4 RBM: 5 products of 2·6·4 per example; two increments of
    # 4·24 (W) + 3·6 (b) + 3·4 (c) element operations; no upward pass (it is the top layer).
    count = ledger.pretraining_run((6, 4), n_train=10, epochs=1, batch_size=5)
    assert count.matmul == 10 * 5 * 2 * 6 * 4
    assert count.elementwise == 2 * (4 * 24 + 3 * 6 + 3 * 4)


def test_autoencoder_by_hand():
    # 6-4-3 stack → 6-4-3-4-6; Σ in·out = 24 + 12 + 12 + 24 = 72; the first layer (24) needs no
    # input gradient: per example 2·72 (forward) + 2·72 (weights) + 2·48 (inputs) = 384.
    assert ledger.autoencoder_forward((6, 4, 3), 1) == 144
    assert ledger.autoencoder_train((6, 4, 3), 1) == 384
    assert ledger.autoencoder_train((6, 4, 3), 5, replicas=3) == 3 * 5 * 384


def test_pretraining_matches_flop_counter_on_a_real_stack():
    g = torch.Generator().manual_seed(0)
    data = torch.rand(23, 12, generator=g)  # 23 = 4 batches of 5 and one of 3
    sizes, epochs, batch = (12, 7, 5, 3), 2, 5
    configs = [RBMTraining(epochs=epochs, batch_size=batch)] * 3
    measured = counted(lambda: pretrain_stack(data, sizes, configs, seed=0))
    assert measured == ledger.pretraining_run(sizes, 23, epochs, batch).matmul


def test_finetuning_matches_flop_counter_on_a_real_run():
    g = torch.Generator().manual_seed(0)
    train_x, test_x = torch.rand(11, 12, generator=g), torch.rand(4, 12, generator=g)
    rbms, _ = pretrain_stack(train_x, (12, 7, 3), [RBMTraining(epochs=0)] * 2, seed=0)
    model = DeepAutoencoder.unroll(rbms, replicas=2)
    optimizers = [PerRole(model.replica_parameters(0), weight=SGD, bias=SGD),
                  PerRole(model.replica_parameters(1), weight=(AdaGrad, {"K": 1.0, "eps": 0.0}), bias=None)]
    config = FineTuning(epochs=3, batch_size=4, eval_every=2)  # evaluations at 0, 2, 3
    measured = counted(lambda: finetune(model, optimizers, ["a", "b"], train_x, test_x, config, seed=0))
    one = ledger.finetuning_run((12, 7, 3), 11, 4, 3, 4, len(config.eval_epochs()))
    assert len(config.eval_epochs()) == 3
    assert measured == 2 * one.matmul


def test_classifier_matches_flop_counter_on_a_real_fit():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(13, 20, generator=g), torch.randint(0, 4, (13,), generator=g)
    xt = torch.rand(6, 20, generator=g)
    model = mlp(20, 9, 4, seed=0)
    measured = counted(lambda: fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), x, y, batch_size=5,
                                   epochs=2, evaluate=lambda m: {"s": m(xt).sum().item()}))
    # evaluations: step 0 and the end of each epoch
    assert measured == ledger.classifier_run((20, 9, 4), 13, 2, 5, eval_examples=6, evaluations=3).matmul


def test_update_ops_are_counted_per_element():
    # SGD: one fused θ ← θ − η g; AdaGrad: s ← s + g², sqrt(s), θ ← θ − η g / sqrt(s); frozen: none.
    assert ledger.update_ops_per_element((SGD, {"lr": 0.1})) == 1.0
    assert ledger.update_ops_per_element((AdaGrad, {"K": 1.0, "eps": 0.0})) == 3.0
    assert ledger.update_ops_per_element(None) == 0.0
    # the elementwise term of a run is steps × elements × operations
    count = ledger.finetuning_run((6, 4), 10, 1, 2, 5, 0, weight_ops=3.0, bias_ops=1.0)
    steps, weights, biases = 2 * 2, 2 * 24, 4 + 6
    assert count.elementwise == steps * (3 * weights + biases)


def test_fig4_paper_work_equals_the_closed_form(tmp_path, monkeypatch):
    # an empty results cache: every job's work comes from the closed forms
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    from optimlab.experiments import adamix
    from optimlab.experiments.adamix import report

    setup = adamix.SETUPS["paper"]
    items = ledger.adamix_items("x", "fig4", scale="paper")
    pre = [i for i in items if i.what == "AdaMix pretraining"]
    fine = [i for i in items if i.what == "AdaMix fine-tuning"]
    assert len(pre) == 1 and len(fine) == 4
    assert len({i.key for i in items}) == 5
    s = 784 * 1000 + 1000 * 500 + 500 * 250 + 250 * 30
    n, nt = 6000, 1000
    assert pre[0].count.matmul == 10 * s * n * 50 + 2 * (784 * 1000 + 1000 * 500 + 500 * 250) * n
    per_example = 2 * 2 * s * 3 - 2 * 784 * 1000
    assert all(f.count.matmul == per_example * n * 50 + 11 * (n + nt) * 4 * s for f in fine)
    assert setup.epochs == 50 and len(setup.finetuning().eval_epochs()) == 11
    # report.compute sums the same jobs, each once
    frame = report.compute(adamix.plan("fig4", "paper", (0,), "cpu"))
    assert frame["TFLOP"].sum() == pytest.approx(ledger.total(items).total / 1e12)
    assert frame["cached"].sum() == 0
