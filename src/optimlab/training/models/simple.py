"""Small models for the chapters: the survey's linear regression and multilayer perceptrons."""

from __future__ import annotations

import torch
from torch import nn

from optimlab.runtime import check_number

__all__ = ["LinearRegression", "mlp"]


class LinearRegression(nn.Module):
    """h_θ(x) = θ₀ + Σ_j θ_j x_j (the survey's hypothesis, with the bias θ₀ for x₀ = 1).

    Returns a vector ``[batch]``, not ``[batch, 1]``, so it compares directly with targets ``y``.
    """

    def __init__(self, d: int, *, bias: bool = True) -> None:
        super().__init__()
        check_number("d", d, low=1, integer=True)
        self.linear = nn.Linear(d, 1, bias=bias)
        nn.init.zeros_(self.linear.weight)
        if bias:
            nn.init.zeros_(self.linear.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).squeeze(-1)


def mlp(*sizes: int, activation: type[nn.Module] = nn.ReLU, seed: int | None = None) -> nn.Sequential:
    """A multilayer perceptron ``sizes[0] → … → sizes[-1]`` with ``activation`` between layers.

    ``mlp(784, 100, 10)`` is the MNIST classifier of the chapters. ``seed`` makes the (PyTorch default)
    initialisation reproducible without touching the global generator.
    """
    if len(sizes) < 2:
        raise ValueError(f"sizes must give at least an input and an output width, got {sizes}")
    for i, s in enumerate(sizes):
        check_number(f"sizes[{i}]", s, low=1, integer=True)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    model = nn.Sequential(*layers)
    if seed is not None:
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for layer in model:
                if isinstance(layer, nn.Linear):
                    bound = 1.0 / layer.in_features**0.5
                    layer.weight.uniform_(-bound, bound, generator=g)
                    layer.bias.uniform_(-bound, bound, generator=g)
    return model
