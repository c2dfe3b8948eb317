"""Losses and metrics the chapters and experiments share, each citing the equation it implements."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["half_mse", "sum_squared_error", "reconstruction_error", "cross_entropy"]


def half_mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The survey's least-squares loss J(θ) = 1/(2m) Σ_i (y_i − h_θ(x_i))² (Feng & Li 2018, §2)."""
    return 0.5 * (prediction.reshape(target.shape) - target).pow(2).mean()


def sum_squared_error(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Σ over pixels and over the batch of (out − in)²: the fine-tuning loss of the AdaMix runs.

    Summing over the batch (not averaging) follows He & Li's eq. (6), whose mini-batch gradient is the
    sum of the per-example gradients.
    """
    return (output - target).pow(2).sum()


def reconstruction_error(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """RER: squared error summed over the pixels of an image, averaged over images.

    He & Li (2016) write it as a per-pixel mean (eq. (8)-(9)), but their numbers (3.56 on all of MNIST)
    are on the scale of Hinton & Salakhutdinov's per-image sum over 784 pixels; see chapter 12.
    """
    return (output - target).pow(2).sum(dim=-1).mean()


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean softmax cross-entropy (classification chapters)."""
    return F.cross_entropy(logits, labels)
