"""Losses and metrics the chapters and experiments share, each citing the equation it implements."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["half_mse", "cross_entropy"]


def half_mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The survey's least-squares loss J(θ) = 1/(2m) Σ_i (y_i − h_θ(x_i))² (Feng & Li 2018, §2)."""
    return 0.5 * (prediction.reshape(target.shape) - target).pow(2).mean()


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean softmax cross-entropy (classification chapters)."""
    return F.cross_entropy(logits, labels)
