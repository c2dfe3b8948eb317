"""Losses and metrics the chapters and experiments share, each citing the equation it implements."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["cross_entropy", "half_mse", "reconstruction_error"]


def half_mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The survey's least-squares loss J(θ) = 1/(2m) Σ_i (y_i − h_θ(x_i))² (Feng & Li 2018, §2)."""
    return 0.5 * (prediction.reshape(target.shape) - target).pow(2).mean()


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean softmax cross-entropy (classification chapters)."""
    return F.cross_entropy(logits, labels)


def reconstruction_error(reconstruction: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Σ over the images and their pixels of (reconstruction − image)²: the autoencoder's loss (He &
    Li eq. (6), the mini-batch's squared error summed over the examples) and, divided by the number
    of images, its reconstruction error (RER). ``images`` is [batch, pixels]; ``reconstruction`` is
    [batch, pixels] (a scalar comes back) or [replicas, batch, pixels] (one sum per replica)."""
    if images.ndim != 2 or reconstruction.shape[-2:] != images.shape:
        raise ValueError(f"reconstruction {tuple(reconstruction.shape)} must end with the images' shape "
                         f"{tuple(images.shape)} ([batch, pixels])")
    return (reconstruction - images).pow(2).sum(dim=(-2, -1))
