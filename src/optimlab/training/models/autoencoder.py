"""The deep autoencoder of Hinton & Salakhutdinov (2006), unrolled from pretrained RBMs.

Unrolling a stack of RBMs 784-1000-500-250-30 gives the 784-1000-500-250-30-250-500-1000-784 network
of He & Li's Fig. 1: the encoder uses each RBM's weights W and hidden biases c, the decoder the
transposed weights Wᵀ and the visible biases b, in reverse order (the two halves are untied after
unrolling). Every unit is logistic except the 30 linear units of the code layer.

:class:`DeepAutoencoder` holds ``replicas`` independent copies of the network, stacked along a
leading dimension, so that several fine-tuning strategies can train in lockstep on the same
mini-batches with batched matrix products (one ``baddbmm`` per layer for all copies).
:meth:`DeepAutoencoder.replica_parameters` gives each copy's parameters as leaf tensors that share
memory with the stack, to hand to that copy's own optimizer. :meth:`DeepAutoencoder.backprop`
computes a fine-tuning step's loss and gradients with autograd's own operations (the same numbers),
into buffers kept between steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
        self._backprop: dict = {}  # backprop's buffers

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
        return self._layers(x)[-1]

    def _layers(self, x: torch.Tensor, out: Sequence[torch.Tensor] | None = None) -> list[torch.Tensor]:
        """Every layer's output, after its activation; written into the buffers ``out`` if given
        (then outside autograd: an ``out=`` operation records no graph)."""
        ys, h = [], x
        for i, (w, b, act) in enumerate(zip(self.weights, self.biases, self.activations)):
            o = None if out is None else out[i]
            if i == 0:  # the input is shared by all replicas: one batch of stride 0
                h = torch.bmm(x.expand(self.replicas, *x.shape), w, out=o)
                h = h + b.unsqueeze(1) if o is None else h.add_(b.unsqueeze(1))
            else:
                h = torch.baddbmm(b.unsqueeze(1), h, w, out=o)
            if act == "sigmoid":
                h = torch.sigmoid(h, out=o)
            ys.append(h)
        return ys

    @torch.no_grad()
    def backprop(self, x: torch.Tensor, after_layer: Callable[[int], None] | None = None) -> torch.Tensor:
        """The squared reconstruction error of the batch ``x`` [batch, in] by every replica, summed
        over the batch and the pixels ([replicas]), with its gradient in every parameter's ``.grad``.

        It runs, in the same order, the operations autograd runs for
        ``(self(x) - x).pow(2).sum(dim=(1, 2)).sum().backward()`` (the bias gradient is autograd's
        ``sum_to``, the weight gradients its ``bmm`` backward, ``sigmoid_backward`` the same
        kernel), so every number equals autograd's bit for bit (``tests/test_backprop.py``). It
        differs in where they go: each activation and gradient is written into a buffer kept
        between calls of the same batch size, so a fine-tuning step allocates nothing and builds no
        graph. ``.grad`` is overwritten, as after ``zero_grad(set_to_none=True)`` and
        ``backward()``: a gradient kept from an earlier call changes with the next one. A parameter
        with ``requires_grad=False`` gets no gradient. Replica views share the gradients
        (:meth:`share_gradients`).

        ``after_layer(i)``, if given, is called as soon as layer i's gradients are in ``.grad`` and
        its weights are no longer needed by the pass, from the last layer down to the first: an
        optimizer can update the layer there, while its weights and gradient are still in the
        cache (``finetuning.train_epoch`` does, with ``partial_step``). The loss and every
        gradient are the same with or without it.
        """
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"x must have shape [batch, {self.sizes[0]}], got {tuple(x.shape)}")
        buf = self._backprop_buffers(x)
        for p, g in zip([*self.weights, *self.biases], [*buf["dw"], *buf["db"]]):
            if p.requires_grad:  # filled layer by layer below
                p.grad = g
        self.share_gradients()
        ys = self._layers(x, buf["y"])
        diff = torch.sub(ys[-1], x, out=buf["diff"])
        loss = torch.pow(diff, 2, out=buf["sq"]).sum(dim=(1, 2))
        grad = torch.mul(diff, 2.0, out=buf["diff"])  # autograd's pow backward: grad · 2·diff¹, grad = 1
        for i in reversed(range(len(self.weights))):
            w, b = self.weights[i], self.biases[i]
            if self.activations[i] == "sigmoid":
                grad = torch.ops.aten.sigmoid_backward.grad_input(grad, ys[i], grad_input=buf["dz"][i])
            if b.requires_grad:
                torch.sum(grad, dim=1, out=buf["db"][i])
            if w.requires_grad:
                inp = x.expand(self.replicas, *x.shape) if i == 0 else ys[i - 1]
                torch.bmm(inp.transpose(1, 2), grad, out=buf["dw"][i])
            if i:
                grad = torch.bmm(grad, w.transpose(1, 2), out=buf["dy"][i - 1])
            if after_layer is not None:
                after_layer(i)
        return loss

    def _backprop_buffers(self, x: torch.Tensor) -> dict:
        """:meth:`backprop`'s buffers for a batch like ``x``, made on first use (the gradient
        buffers once, the activation buffers per batch size: an epoch's last batch may be smaller)."""
        like = {"device": x.device, "dtype": x.dtype}
        store = self._backprop
        params = [*self.weights, *self.biases]
        grads = store.get("grads")
        if grads is None or any(g.shape != p.shape or g.device != p.device or g.dtype != p.dtype
                                for g, p in zip(grads, params)):
            store.clear()
            store["grads"] = grads = [torch.empty_like(p) for p in params]
        key = (x.shape[0], x.device, x.dtype)
        if key not in store:
            outs = [(self.replicas, x.shape[0], s) for s in self.sizes[1:]]
            store[key] = {
                "y": [torch.empty(s, **like) for s in outs],
                "dz": [torch.empty(s, **like) for s in outs],
                "dy": [torch.empty(s, **like) for s in outs[:-1]],
                "diff": torch.empty(outs[-1], **like),
                "sq": torch.empty(outs[-1], **like),
            }
        return {**store[key], "dw": grads[: len(self.weights)], "db": grads[len(self.weights):]}

    def replica_parameters(self, k: int) -> list[torch.Tensor]:
        """Replica ``k``'s weights and biases as leaf tensors sharing memory with the stack.

        Hand them to that replica's optimizer; after ``loss.backward()`` call
        :meth:`share_gradients` so that each of them sees its slice of the stacked gradient
        (:meth:`backprop` calls it itself).
        """
        if not 0 <= k < self.replicas:
            raise ValueError(f"k must be in [0, {self.replicas}), got {k}")
        if self._views is None:
            self._views = [
                [p[j].detach() for p in list(self.weights) + list(self.biases)]
                for j in range(self.replicas)
            ]
        return self._views[k]

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
