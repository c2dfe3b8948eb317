"""The deep autoencoder of Hinton & Salakhutdinov (2006), unrolled from pretrained RBMs.

Unrolling a stack of RBMs 784-1000-500-250-30 gives the 784-1000-500-250-30-250-500-1000-784 network
of He & Li's Fig. 1: the encoder uses each RBM's weights W and hidden biases c, the decoder the
transposed weights Wᵀ and the visible biases b, in reverse order (the two halves are untied after
unrolling). Every unit is logistic except the 30 linear units of the code layer.

:class:`DeepAutoencoder` holds ``replicas`` independent copies of the network, stacked along a
leading dimension, so that several fine-tuning strategies can train in lockstep on the same
mini-batches with batched matrix products (one ``baddbmm`` per layer for all copies).
:meth:`DeepAutoencoder.replica_parameters` gives each copy's parameters as leaf tensors that share
memory with the stack, to hand to that copy's own optimizer; autograd computes the gradients of all copies in one
backward pass (:func:`optimlab.training.finetuning.train_epoch`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from optimlab.runtime import check_number
from optimlab.training.models.rbm import RBM

__all__ = ["DeepAutoencoder"]

ACTIVATIONS = ("sigmoid", "linear")


class DeepAutoencoder(nn.Module):
    """A multilayer autoencoder with ``replicas`` stacked copies of its weights.

    Args:
        weights: one [in, out] matrix per layer (the input side first).
        biases: one [out] vector per layer.
        activations: ``"sigmoid"`` or ``"linear"`` per layer.
        replicas: number of independent copies, all starting from these weights.
    """

    def __init__(
        self,
        weights: Sequence[torch.Tensor],
        biases: Sequence[torch.Tensor],
        activations: Sequence[str],
        *,
        replicas: int = 1,
    ) -> None:
        super().__init__()
        check_number("replicas", replicas, low=1, integer=True)
        if not (len(weights) == len(biases) == len(activations)) or not weights:
            raise ValueError("weights, biases and activations must be non-empty and of equal length")
        for i, (w, b, a) in enumerate(zip(weights, biases, activations)):
            if w.ndim != 2 or b.shape != (w.shape[1],):
                raise ValueError(f"layer {i}: weight {tuple(w.shape)} and bias {tuple(b.shape)} do not fit")
            if i and w.shape[0] != weights[i - 1].shape[1]:
                raise ValueError(f"layer {i}: input width {w.shape[0]} != previous output {weights[i - 1].shape[1]}")
            if a not in ACTIVATIONS:
                raise ValueError(f"activations[{i}] must be one of {ACTIVATIONS}, got {a!r}")
        self.activations = list(activations)
        self.replicas = int(replicas)
        self.weights = nn.ParameterList(
            [nn.Parameter(w.detach().unsqueeze(0).repeat(replicas, 1, 1).contiguous()) for w in weights]
        )
        self.biases = nn.ParameterList(
            [nn.Parameter(b.detach().unsqueeze(0).repeat(replicas, 1).contiguous()) for b in biases]
        )
        self._views: list[list[torch.Tensor]] | None = None

    @classmethod
    def unroll(cls, rbms: Sequence[RBM], *, replicas: int = 1) -> DeepAutoencoder:
        """Encoder (W, c) bottom up, then decoder (Wᵀ, b) top down; linear where an RBM's hidden
        units are Gaussian (the code layer), logistic elsewhere (Hinton & Salakhutdinov 2006)."""
        weights, biases, acts = [], [], []
        for rbm in rbms:
            weights.append(rbm.W.detach().clone())
            biases.append(rbm.c.detach().clone())
            acts.append("linear" if rbm.hidden == "gaussian" else "sigmoid")
        for rbm in reversed(rbms):
            weights.append(rbm.W.detach().T.contiguous())
            biases.append(rbm.b.detach().clone())
            acts.append("sigmoid")
        return cls(weights, biases, acts, replicas=replicas)

    @property
    def sizes(self) -> list[int]:
        return [self.weights[0].shape[1]] + [w.shape[2] for w in self.weights]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstructions of ``x`` [batch, in] by every replica: [replicas, batch, in]."""
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"x must have shape [batch, {self.sizes[0]}], got {tuple(x.shape)}")
        h = x
        for i, (w, b, act) in enumerate(zip(self.weights, self.biases, self.activations)):
            if i == 0:  # the input is shared by all replicas: one batch of stride 0
                h = torch.bmm(x.expand(self.replicas, *x.shape), w) + b.unsqueeze(1)
            else:
                h = torch.baddbmm(b.unsqueeze(1), h, w)
            if act == "sigmoid":
                h = torch.sigmoid(h)
        return h

    def replica_parameters(self, k: int) -> list[torch.Tensor]:
        """Replica ``k``'s weights and biases as leaf tensors sharing memory with the stack.

        Hand them to that replica's optimizer; after ``loss.backward()`` call
        :meth:`share_gradients` so that each of them sees its slice of the stacked gradient.
        """
        if not 0 <= k < self.replicas:
            raise ValueError(f"k must be in [0, {self.replicas}), got {k}")
        if self._views is None:
            self._views = [
                [p[j].detach() for p in list(self.weights) + list(self.biases)]
                for j in range(self.replicas)
            ]
        return self._views[k]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """:meth:`torch.nn.Module.zero_grad`, the replica views' gradients included (they see the new
        stacked gradients, or none: no view keeps a gradient of an earlier step alive)."""
        super().zero_grad(set_to_none)
        self.share_gradients()

    def share_gradients(self) -> None:
        """Point each replica parameter's ``.grad`` at its slice of the stacked gradient."""
        if self._views is None:
            return
        stacked = list(self.weights) + list(self.biases)
        for k, views in enumerate(self._views):
            for view, p in zip(views, stacked):
                view.grad = None if p.grad is None else p.grad[k]

    def replica_state(self, k: int) -> dict[str, torch.Tensor]:
        """A copy of replica ``k``'s weights and biases, as a state dict of an unreplicated model."""
        return {
            **{f"weights.{i}": w[k].detach().clone() for i, w in enumerate(self.weights)},
            **{f"biases.{i}": b[k].detach().clone() for i, b in enumerate(self.biases)},
        }
