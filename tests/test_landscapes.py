"""optimlab.training.landscapes: the test functions' minima, trajectories and learning-rate tuning."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from optimlab.training.landscapes import LANDSCAPES, quadratic, trajectory, tune_lr
from optimbook.optim import SGD


@pytest.mark.parametrize("name", ["rosenbrock", "beale", "quadratic"])
def test_minimum_is_a_stationary_point_with_value_zero(name):
    land = LANDSCAPES[name]
    z = torch.tensor(land.minimum, dtype=torch.float64, requires_grad=True)
    value = land.f(z)
    value.backward()
    assert value.item() == pytest.approx(0.0, abs=1e-12)
    assert z.grad.abs().max().item() < 1e-9


def test_saddle_is_stationary_but_not_a_minimum():
    f = LANDSCAPES["saddle"].f
    z = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    f(z).backward()
    assert z.grad.abs().max() == 0
    assert f(torch.tensor([0.0, 0.1])) < 0 < f(torch.tensor([0.1, 0.0]))


def test_functions_accept_numpy_grids():
    X, Y = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 4))
    for land in LANDSCAPES.values():
        assert land.f(np.stack([X, Y], -1)).shape == (4, 5)


def test_quadratic_condition_number():
    H = torch.autograd.functional.hessian(lambda z: quadratic(z, condition=50.0), torch.zeros(2, dtype=torch.float64))
    eig = torch.linalg.eigvalsh(H)
    assert (eig.max() / eig.min()).item() == pytest.approx(50.0)


def test_trajectory_of_gradient_descent_matches_closed_form_on_quadratic():
    # on ½(u² + κv²) gradient descent scales each eigen-coordinate by (1 − η λ) per step
    path = trajectory(lambda p: SGD(p, lr=0.01), lambda z: quadratic(z, condition=50.0), (1.0, 1.0), 30)
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    u0, v0 = c + s, -s + c
    u, v = u0 * 0.99**30, v0 * 0.5**30
    expected = torch.tensor([c * u - s * v, s * u + c * v], dtype=torch.float64)
    torch.testing.assert_close(path[-1], expected)
    assert path.shape == (31, 2)


def test_diverging_run_is_padded_and_scores_infinity():
    f = LANDSCAPES["rosenbrock"].f
    path = trajectory(lambda p: SGD(p, lr=1.0), f, (-1.5, 2.0), 50)
    assert torch.isnan(path[-1]).all()
    best, table = tune_lr(lambda p, lr: SGD(p, lr=lr), f, (-1.5, 2.0), 200, [1.0, 1e-3, 1e-4])
    assert best == 1e-3
    assert [row["final_value"] for row in table][0] == math.inf
    with pytest.raises(ValueError, match="grid"):
        tune_lr(lambda p, lr: SGD(p, lr=lr), f, (0, 0), 5, [])
