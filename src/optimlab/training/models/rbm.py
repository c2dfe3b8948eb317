"""Restricted Boltzmann machines: the layers the deep autoencoder is pretrained from.

An RBM with visible units v, hidden units h, weights W (visible × hidden), visible biases b and
hidden biases c (He & Li's θ = {ω_ij, b_1i, b_2j}). Its conditionals:

    binary hidden units:             p(h_j = 1 | v) = σ(c_j + Σ_i v_i W_ij)
    Gaussian (linear) hidden units:  h_j | v ~ N(c_j + Σ_i v_i W_ij, 1)
    logistic visible units:          p(v_i = 1 | h) = σ(b_i + Σ_j W_ij h_j)

Contrastive divergence with one Gibbs step (CD-1; Hinton 2002) estimates the log-likelihood gradient
by the difference of data and one-step reconstruction statistics, He & Li's eq. (1)-(3):

    ΔW ∝ <v hᵀ>_data − <v hᵀ>_recon,   Δb ∝ <v>_data − <v>_recon,   Δc ∝ <h>_data − <h>_recon,

computed as in Hinton & Salakhutdinov's code (rbm.m, rbmhidlinear.m): positive statistics use the
hidden probabilities (means), the hidden states driving the reconstruction are sampled, the
reconstruction uses visible probabilities, and the negative statistics use hidden probabilities.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from optimlab.runtime import check_number
from optimlab.training.losses import reconstruction_error

__all__ = ["RBM", "data_visible_bias"]

HIDDEN_UNITS = ("binary", "gaussian")


def data_visible_bias(data: torch.Tensor, clip: float = 1e-3) -> torch.Tensor:
    """log(p / (1 − p)) of the mean of each visible unit over the data, p clipped to [clip, 1 − clip].

    The visible biases that make the RBM with zero weights reproduce the data's marginals (Hinton's
    practical guide, §8.1); He & Li initialise the first layer's biases "from the training data".
    """
    check_number("clip", clip, low=0.0, high=0.5, low_open=True, high_open=True)
    p = data.mean(dim=0).clamp(clip, 1.0 - clip)
    return torch.log(p / (1.0 - p))


class RBM(nn.Module):
    """An RBM with logistic visible units and binary or Gaussian (linear) hidden units.

    Args:
        n_visible, n_hidden: layer sizes.
        hidden: ``"binary"`` (logistic) or ``"gaussian"`` (linear mean, unit-variance noise; the
            autoencoder's 30-unit code layer).
        init_std: weights start as N(0, init_std²) (He & Li: variance 0.001; Hinton's code: std 0.1).
        visible_bias: initial visible biases (default zeros), e.g. :func:`data_visible_bias`.
        generator: the torch generator for the initial weights.
    """

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        *,
        hidden: str = "binary",
        init_std: float = math.sqrt(0.001),
        visible_bias: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        check_number("n_visible", n_visible, low=1, integer=True)
        check_number("n_hidden", n_hidden, low=1, integer=True)
        check_number("init_std", init_std, low=0.0)
        if hidden not in HIDDEN_UNITS:
            raise ValueError(f"hidden must be one of {HIDDEN_UNITS}, got {hidden!r}")
        self.hidden = hidden
        w = torch.randn(n_visible, n_hidden, generator=generator, dtype=torch.float64) * init_std
        self.W = nn.Parameter(w.to(dtype), requires_grad=False)
        b = torch.zeros(n_visible, dtype=dtype) if visible_bias is None else visible_bias.to(dtype).clone()
        if b.shape != (n_visible,):
            raise ValueError(f"visible_bias must have shape ({n_visible},), got {tuple(b.shape)}")
        self.b = nn.Parameter(b, requires_grad=False)
        self.c = nn.Parameter(torch.zeros(n_hidden, dtype=dtype), requires_grad=False)

    @property
    def n_visible(self) -> int:
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[1]

    def hidden_mean(self, v: torch.Tensor) -> torch.Tensor:
        """E[h | v]: σ(c + vW) for binary units, c + vW for Gaussian units."""
        pre = torch.addmm(self.c, v, self.W)
        return pre if self.hidden == "gaussian" else torch.sigmoid(pre)

    def visible_mean(self, h: torch.Tensor) -> torch.Tensor:
        """p(v = 1 | h) = σ(b + h Wᵀ)."""
        return torch.sigmoid(torch.addmm(self.b, h, self.W.T))

    def sample_hidden(self, mean: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """Binary states (mean > uniform) or Gaussian states (mean + N(0, 1))."""
        if self.hidden == "gaussian":
            return mean + torch.randn(mean.shape, generator=generator, dtype=mean.dtype, device=mean.device)
        noise = torch.rand(mean.shape, generator=generator, dtype=mean.dtype, device=mean.device)
        return (mean > noise).to(mean.dtype)

    @torch.no_grad()
    def cd1(self, v: torch.Tensor, generator: torch.Generator | None = None):
        """One CD-1 step on the batch ``v``: the statistics of He & Li eq. (1)-(3), summed over the
        batch, and the squared reconstruction error: ``(dW, db, dc, error)``."""
        pos_h = self.hidden_mean(v)
        states = self.sample_hidden(pos_h, generator)
        recon = self.visible_mean(states)
        neg_h = self.hidden_mean(recon)
        dW = (v.T @ pos_h).addmm_(recon.T, neg_h, alpha=-1.0)  # <v hᵀ>_data − <v hᵀ>_recon   (1)
        db = v.sum(0) - recon.sum(0)  # visible biases   (2)
        dc = pos_h.sum(0) - neg_h.sum(0)  # hidden biases   (3)
        err = reconstruction_error(recon, v)
        return dW, db, dc, err
