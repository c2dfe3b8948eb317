"""optimlab.training.diagnostics: applied rates measured from outside, lockstep differences."""

from __future__ import annotations

import math

import pytest
import torch

from optimlab.training.diagnostics import max_difference, record_applied_rates
from optimbook.optim import SGD, AdaGrad


def quadratic_run(opt_factory, steps=5):
    w = torch.tensor([1.0, -2.0, 0.5, 0.0], dtype=torch.float64, requires_grad=True)
    opt = opt_factory([w])
    rows = record_applied_rates(opt, n_sample=4)
    for _ in range(steps):
        opt.zero_grad()
        (w ** 2 * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
        opt.step()
    return rows


def test_sgd_applied_rate_is_its_learning_rate_and_nan_where_the_gradient_is_zero():
    rows = quadratic_run(lambda p: SGD(p, lr=0.05))
    assert len(rows) == 5
    for row in rows:
        finite = row[~torch.isnan(row)]
        assert torch.allclose(finite, torch.full_like(finite, 0.05))
        assert torch.isnan(row).sum() == 1  # the element that starts (and stays) at 0


def test_adagrad_applied_rate_matches_its_formula():
    rows = quadratic_run(lambda p: AdaGrad(p, lr=0.1, K=1.0, eps=0.0), steps=1)
    w0 = torch.tensor([1.0, -2.0, 0.5, 0.0], dtype=torch.float64)
    g = 2 * w0 * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    expected = 0.1 / torch.sqrt(1 + g**2)
    got = rows[0]
    perm = torch.randperm(4, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(got[~torch.isnan(got)], expected[perm][~torch.isnan(got)])


def test_max_difference_is_zero_for_equal_rules_and_not_for_different_ones():
    assert max_difference(lambda p: SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)) == 0.0
    assert max_difference(lambda p: SGD(p, lr=0.1), lambda p: SGD(p, lr=0.11)) > 1e-3
    with pytest.raises(ValueError, match="steps"):
        max_difference(lambda p: SGD(p), lambda p: SGD(p), steps=-1)
    assert math.isfinite(max_difference(lambda p: SGD(p), lambda p: SGD(p), steps=0))
