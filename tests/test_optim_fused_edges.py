"""Edges of the dispatch to torch's fused kernels: every value of an argument the rule accepts."""

import pytest
import torch

from optimbook.optim import Momentum, Nesterov


@pytest.mark.parametrize("cls", [Momentum, Nesterov])
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_momentum_at_the_edge_of_its_range_steps_as_torch_sgd(cls, momentum):
    # μ = 0 is in range; torch's fused SGD kernel keeps no buffer there, so it must not be called
    torch.manual_seed(0)
    p = torch.randn(4, 3, requires_grad=True)
    q = p.detach().clone().requires_grad_()
    ours = cls([p], lr=0.1, momentum=momentum)
    theirs = torch.optim.SGD([q], lr=0.1, momentum=momentum, nesterov=cls is Nesterov and momentum > 0)
    for _ in range(3):
        g = torch.randn(4, 3)
        p.grad, q.grad = g.clone(), g.clone()
        ours.step()
        theirs.step()
    torch.testing.assert_close(p, q)
