"""NaturalGradient (our reading of ANGD) against the exact natural gradient F⁻¹g."""

from __future__ import annotations

import pytest
import torch

from optimbook.optim import NaturalGradient
from optimbook.optim.natural import amari_inverse_update, exact_inverse_update


def logistic_problem(n=40, d=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = (torch.rand(n, generator=g, dtype=torch.float64) < torch.sigmoid(x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))).double()
    theta = torch.tensor([0.3, 0.1, -0.2], dtype=torch.float64, requires_grad=True)
    return x, y, theta


def test_exact_update_is_the_inverse_of_the_running_average():
    torch.manual_seed(0)
    P, eps, damping = 4, 0.1, 2.0
    theta = torch.zeros(P, dtype=torch.float64, requires_grad=True)
    opt = NaturalGradient([theta], eps=eps, damping=damping, update="exact", fisher_from_grad=False)
    vs = torch.randn(25, P, dtype=torch.float64)
    opt.update_fisher(vs)
    G = damping * torch.eye(P, dtype=torch.float64)
    for v in vs:  # the running average, formed explicitly
        G = (1 - eps) * G + eps * torch.outer(v, v)
    torch.testing.assert_close(opt.fisher_inverse, torch.linalg.inv(G), rtol=1e-10, atol=1e-12)
    g = torch.randn(P, dtype=torch.float64)
    torch.testing.assert_close(opt.natural_direction(g), torch.linalg.solve(G, g), rtol=1e-10, atol=1e-12)


def test_amari_recursion_is_first_order_in_eps():
    torch.manual_seed(1)
    P = 3
    vs = torch.randn(10, P, dtype=torch.float64)

    def gap(eps):
        a = torch.eye(P, dtype=torch.float64)
        e = torch.eye(P, dtype=torch.float64)
        for v in vs:
            amari_inverse_update(a, v, eps)
            exact_inverse_update(e, v, eps)
        return ((a - e).norm() / e.norm()).item()

    g1, g2 = gap(0.01), gap(0.005)
    assert g1 < 0.05 and 3.0 < g1 / g2 < 5.0  # halving ε quarters the O(ε²) per-step difference


def test_step_follows_the_exact_natural_gradient_of_logistic_regression():
    """F = (1/n) Σ σ(1−σ) x xᵀ is the Fisher of logistic regression; feeding sqrt(σ(1−σ)) x
    cyclically with a small ε makes the estimate F, and one step moves θ by −η F⁻¹ g."""
    x, y, theta = logistic_problem()
    with torch.no_grad():
        s = torch.sigmoid(x @ theta)
        F = (x.T * (s * (1 - s))) @ x / len(x)
        vectors = torch.sqrt(s * (1 - s))[:, None] * x
    opt = NaturalGradient([theta], lr=0.5, eps=1e-3, update="exact", fisher_from_grad=False)
    for _ in range(400):  # 16 000 updates; (1 − ε)^16000 ≈ 1e-7 of the initial damping remains
        opt.update_fisher(vectors)
    torch.testing.assert_close(opt.fisher_inverse, torch.linalg.inv(F), rtol=0.05, atol=0.05)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(x @ theta, y)
    loss.backward()
    g = theta.grad.detach().clone()
    before = theta.detach().clone()
    opt.step()
    expected = before - 0.5 * torch.linalg.solve(F, g)
    torch.testing.assert_close(theta.detach(), expected, rtol=0.05, atol=1e-3)


def test_natural_step_solves_gaussian_linear_regression_in_one_step():
    """With the exact Fisher (1/n) XᵀX of a unit-variance Gaussian model, θ − F⁻¹g is least squares."""
    g = torch.Generator().manual_seed(3)
    X = torch.randn(30, 3, generator=g, dtype=torch.float64) * torch.tensor([1.0, 3.0, 0.3], dtype=torch.float64)
    y = X @ torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64) + 0.1 * torch.randn(30, generator=g, dtype=torch.float64)
    theta = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = NaturalGradient([theta], lr=1.0, eps=1e-3, update="exact", fisher_from_grad=False, damping=1.0)
    for _ in range(500):
        opt.update_fisher(X)
    (0.5 * ((X @ theta - y) ** 2).mean()).backward()
    opt.step()
    lstsq = torch.linalg.lstsq(X, y.unsqueeze(1)).solution[:, 0]
    torch.testing.assert_close(theta.detach(), lstsq, rtol=0.02, atol=0.02)


@pytest.mark.parametrize("update", ["amari", "exact"])
def test_online_angd_with_the_output_fisher_trains_a_small_network(update):
    """Amari, Park & Fukumizu's setting: online regression, the Fisher estimated from ∇f(x)."""
    torch.manual_seed(0)
    x = torch.randn(64, 2, dtype=torch.float64)
    y = torch.sin(x[:, :1]) + 0.5 * x[:, 1:]
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    params = list(net.parameters())
    opt = NaturalGradient(params, lr=0.02, eps=0.01, update=update, fisher_from_grad=False)
    with torch.no_grad():
        first = 0.5 * (net(x) - y).pow(2).mean().item()
    for epoch in range(10):
        for i in range(len(x)):  # one example per step
            jac = torch.autograd.grad(net(x[i:i + 1]).sum(), params)
            opt.update_fisher(torch.cat([j.reshape(-1) for j in jac]))
            opt.zero_grad()
            (0.5 * (net(x[i:i + 1]) - y[i:i + 1]).pow(2).sum()).backward()
            opt.step()
    with torch.no_grad():
        final = 0.5 * (net(x) - y).pow(2).mean().item()
    assert final < 0.1 * first
    inv = opt.fisher_inverse
    torch.testing.assert_close(inv, inv.T, rtol=1e-8, atol=1e-10)
    assert torch.linalg.eigvalsh(inv).min() > 0


def test_default_feeds_the_step_gradient_into_the_estimate():
    theta = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    opt = NaturalGradient([theta], lr=0.1, eps=0.5, update="exact", damping=1.0)
    (theta ** 2).sum().backward()  # g = (2, 4)
    g = theta.grad.clone()
    opt.step()
    G = 0.5 * torch.eye(2, dtype=torch.float64) + 0.5 * torch.outer(g, g)
    torch.testing.assert_close(theta.detach(), torch.tensor([1.0, 2.0], dtype=torch.float64)
                               - 0.1 * torch.linalg.solve(G, g))


def test_too_many_parameters_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="max_params"):
        NaturalGradient([torch.zeros(200, 200, requires_grad=True)])


@pytest.mark.parametrize("update", ["exact", "amari"])
def test_estimate_stays_exactly_symmetric_over_a_long_run(update):
    """Reported by a chapter: rounding the rank-one term asymmetrically let an antisymmetric part
    grow by (1 + ε) per update until it swamped the estimate."""
    torch.manual_seed(0)
    P, eps = 10, 0.05 if update == "exact" else 0.002
    theta = torch.zeros(P, dtype=torch.float64, requires_grad=True)
    opt = NaturalGradient([theta], eps=eps, update=update, fisher_from_grad=False)
    G = torch.eye(P, dtype=torch.float64)
    for v in torch.randn(1500, P, dtype=torch.float64) * 0.3:
        opt.update_fisher(v)
        G = (1 - eps) * G + eps * torch.outer(v, v)
    inv = opt.fisher_inverse
    assert torch.equal(inv, inv.T)
    if update == "exact":
        torch.testing.assert_close(inv, torch.linalg.inv(G), rtol=1e-8, atol=1e-10)


# --- param groups added later ---------------------------------------------------------------------
def test_add_param_group_after_the_first_step_extends_the_estimate():
    """Reported: a group added after the first step broke the next one (shape '[-1, 3]' is invalid
    for input of size 5). The estimate grows block-diagonally: the new parameters start at
    damping · I, uncorrelated with the old ones, which is Ĝ⁻¹ of the running average in which the
    new coordinates have had no gradient yet."""
    a = torch.tensor([1.0, 2.0, -1.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.5, -0.5], dtype=torch.float64, requires_grad=True)
    eps, damping = 0.2, 2.0
    opt = NaturalGradient([a], lr=0.1, eps=eps, damping=damping, update="exact")
    (a ** 2).sum().backward()
    opt.step()
    G = damping * torch.eye(5, dtype=torch.float64)  # explicit running average over (a, b)
    ga = a.grad.clone()
    G[:3, :3] = (1 - eps) * damping * torch.eye(3, dtype=torch.float64) + eps * torch.outer(ga, ga)
    opt.add_param_group({"params": [b]})
    assert opt.fisher_inverse.shape == (5, 5)
    torch.testing.assert_close(opt.fisher_inverse, torch.linalg.inv(G), rtol=1e-12, atol=1e-14)
    opt.zero_grad()
    ((a ** 2).sum() + (b ** 3).sum()).backward()
    g = torch.cat([a.grad, b.grad])
    before = torch.cat([a.detach(), b.detach()])
    opt.step()
    G = (1 - eps) * G + eps * torch.outer(g, g)
    torch.testing.assert_close(torch.cat([a.detach(), b.detach()]), before - 0.1 * torch.linalg.solve(G, g))


def test_add_param_group_checks_max_params_dtype_and_device():
    opt = NaturalGradient([torch.zeros(3, requires_grad=True)], max_params=5)
    with pytest.raises(ValueError, match="max_params"):
        opt.add_param_group({"params": [torch.zeros(3, requires_grad=True)]})
    with pytest.raises(ValueError, match="one dtype"):
        opt.add_param_group({"params": [torch.zeros(2, dtype=torch.float64, requires_grad=True)]})
    with pytest.raises(ValueError, match="lr"):
        opt.add_param_group({"params": [torch.zeros(2, requires_grad=True)], "lr": -1.0})
    assert len(opt.param_groups) == 1  # a refused group is not kept
    opt.add_param_group({"params": [torch.zeros(2, requires_grad=True)]})
    assert sum(p.numel() for g in opt.param_groups for p in g["params"]) == 5


def test_lr_schedule_is_evaluated_at_the_step_count():
    theta = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    ref = theta.detach().clone().requires_grad_()
    rates = [0.1, 0.05, 0.01]
    opt = NaturalGradient([theta], lr=lambda t: rates[t], eps=0.5, update="exact")
    twin = NaturalGradient([ref], lr=0.1, eps=0.5, update="exact")
    for t in range(3):
        for p, o in ((theta, opt), (ref, twin)):
            o.zero_grad()
            (p ** 2).sum().backward()
        twin.param_groups[0]["lr"] = rates[t]
        opt.step()
        twin.step()
    assert torch.equal(theta, ref)
