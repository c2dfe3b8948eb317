"""Two-dimensional test functions and optimizer trajectories on them.

The chapters show each optimizer on pictures a reader can hold in mind: a path over the contours of
a function of two variables. The functions take a tensor whose last dimension has size 2 and work
on numpy arrays too (for contour grids).

- :func:`rosenbrock` (a curved valley; minimum 0 at (1, 1)),
- :func:`beale` (flat plateaus and steep walls; minimum 0 at (3, 0.5)),
- :func:`saddle` (x² − y², a saddle at the origin, unbounded below along y),
- :func:`quadratic` (an ill-conditioned bowl ½(x² + κ y²) … rotated; minimum 0 at the origin).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from optimlab.runtime import check_number
from optimlab.training.loop import train_step

__all__ = [
    "Landscape",
    "LANDSCAPES",
    "beale",
    "quadratic",
    "rosenbrock",
    "saddle",
    "trajectory",
    "tune_lr",
]


def _xy(z):
    return z[..., 0], z[..., 1]


def rosenbrock(z):
    """f(x, y) = (1 − x)² + 100 (y − x²)² (Rosenbrock 1960)."""
    x, y = _xy(z)
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def beale(z):
    """f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)² (Beale 1958)."""
    x, y = _xy(z)
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def saddle(z):
    """f(x, y) = x² − y²: a saddle point at the origin."""
    x, y = _xy(z)
    return x**2 - y**2


def quadratic(z, condition: float = 50.0, angle: float = math.pi / 6):
    """½ (u² + κ v²) in coordinates (u, v) rotated by ``angle``: condition number κ."""
    x, y = _xy(z)
    c, s = math.cos(angle), math.sin(angle)
    u, v = c * x + s * y, -s * x + c * y
    return 0.5 * (u**2 + condition * v**2)


@dataclass(frozen=True)
class Landscape:
    """A test function with the window to draw it in, a common start and its minimum."""

    name: str
    f: Callable
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    minimum: tuple[float, float] | None


LANDSCAPES = {
    "rosenbrock": Landscape("Rosenbrock", rosenbrock, (-1.5, 2.0), (-2.0, 2.0), (-1.0, 3.0), (1.0, 1.0)),
    "beale": Landscape("Beale", beale, (1.0, 1.4), (-0.5, 4.0), (-1.0, 2.0), (3.0, 0.5)),
    "saddle": Landscape("saddle", saddle, (-1.0, 1e-3), (-1.5, 1.5), (-1.5, 1.5), None),
    "quadratic": Landscape("ill-conditioned quadratic", quadratic, (-2.0, 1.5), (-2.5, 2.5),
                           (-2.0, 2.0), (0.0, 0.0)),
}


def trajectory(
    make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    f: Callable,
    start: Sequence[float],
    steps: int,
    *,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Run ``steps`` optimizer steps on ``f`` from ``start``; return the path ``[steps + 1, 2]``.

    ``make_optimizer([z])`` builds the optimizer for the single parameter ``z`` (a 2-vector); each
    step is :func:`~optimlab.training.loop.train_step` on ``f(z)``. The path stops early (and is
    padded with NaN) if the iterate leaves the finite numbers.
    """
    check_number("steps", steps, low=0, integer=True)
    z = torch.tensor(list(start), dtype=dtype, requires_grad=True)
    opt = make_optimizer([z])
    path = torch.full((steps + 1, 2), float("nan"), dtype=dtype)
    path[0] = z.detach()
    for i in range(steps):
        train_step(opt, lambda: f(z), params=[z])
        if not torch.isfinite(z).all():
            break
        path[i + 1] = z.detach()
    return path


def tune_lr(
    make_optimizer: Callable[[list[torch.Tensor], float], torch.optim.Optimizer],
    f: Callable,
    start: Sequence[float],
    steps: int,
    grid: Sequence[float],
):
    """Pick the learning rate of ``grid`` whose run ends at the lowest value of ``f``.

    ``make_optimizer(params, lr)`` builds the optimizer. Runs that leave the finite numbers score
    +inf. Returns ``(best_lr, table)`` with ``table`` a list of ``{"lr", "final_value"}`` rows (the
    tuning the gallery shows beside its pictures).
    """
    if not grid:
        raise ValueError("grid must hold at least one learning rate")
    table = []
    for lr in grid:
        path = trajectory(lambda p, lr=lr: make_optimizer(p, lr), f, start, steps)
        end = path[-1]
        value = float(f(end)) if torch.isfinite(end).all() else math.inf
        table.append({"lr": float(lr), "final_value": value})
    best = min(table, key=lambda row: (row["final_value"], row["lr"]))
    return best["lr"], table
