"""The optimizer registry is the only table: its readers (benchmark, chapter 8, the experiments) use
it, and no list of optimizer classes is kept anywhere else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from optimbook import optim as O
from optimbook.testing import REGISTRY, configs, families, lineup, optimizer_class

ROOT = Path(__file__).resolve().parents[1]


def test_every_bench_configuration_has_a_torch_oracle_and_every_counterpart_is_benched():
    benched = {info.name for info, c in configs("bench")}
    assert benched == {info.name for info in REGISTRY.values() if info.torch_counterpart}
    for info, config in configs("bench"):
        p = [torch.zeros(2, 2, requires_grad=True)]
        assert isinstance(config.oracle(p), torch.optim.Optimizer)
        assert isinstance(info.make([torch.zeros(2, 2, requires_grad=True)], config), info.cls)


def test_lineup_and_families_cover_every_optimizer_but_the_composition():
    labels = lineup(10)
    assert {cls for cls, _ in labels.values()} == {i.cls for i in REGISTRY.values()} - {O.PerRole}
    assert sorted(n for members in families().values() for n in members) == sorted(labels)
    for label, (cls, kwargs) in labels.items():
        cls([torch.zeros(2, 2, requires_grad=True)], lr=0.1, **kwargs)


def test_optimizer_class_names_the_registered_names():
    assert optimizer_class("AdaMix") is O.AdaMix
    with pytest.raises(ValueError, match="name must be one of"):
        optimizer_class("Adagrad")


def test_no_second_table_of_optimizer_classes():
    """The tests, the benchmark, chapter 8 and the experiments' rules name no list of optimizers."""
    listing = re.compile(r"(O\.|optim\.)?(SGD|Momentum|Nesterov|AdaGrad|AdaDec|RMSProp|Adadelta|Adam|"
                         r"AMSGrad|AdamW|Nadam|NaturalGradient|AdaMix)\b")
    for path in ["benchmarks/optimizer_step.py", "notebooks/08_optimizer_gallery.py",
                 "tests/test_optim_conformance.py"]:
        text = (ROOT / path).read_text()
        for line in text.splitlines():
            assert len(set(m.group(2) for m in listing.finditer(line))) < 4, (path, line)
