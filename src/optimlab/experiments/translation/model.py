"""A small encoder-decoder Transformer (Vaswani et al. 2017) on :class:`torch.nn.Transformer`.

The book's training loop (:func:`optimlab.training.loop.fit`) draws mini-batches from one tensor,
so a batch of sentence pairs travels as one *packed* tensor: each row is the source ids (padded to
``src_len``) followed by the decoder's input ids (``<s>`` and the target, padded). The model splits
it; the loss compares its logits with the target ids followed by ``</s>``
(:func:`sequence_loss`), ignoring padding.

Embeddings are scaled by sqrt(d_model) and added to sinusoidal positions; the Transformer is
torch's own, post-layer-norm as in the original, with causal masking of the decoder and padding
masks on both sides. :meth:`TranslationTransformer.translate` decodes greedily.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from optimlab.experiments.translation.tokenizer import BOS, EOS, PAD
from optimlab.runtime import check_number

__all__ = ["TranslationTransformer", "sequence_loss"]


def _positions(length: int, d_model: int) -> torch.Tensor:
    """The sinusoidal position table (length × d_model) of Vaswani et al., sec. 3.5."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency[: d_model // 2])
    return table


class TranslationTransformer(nn.Module):
    """Encoder-decoder Transformer over packed ``[source | decoder input]`` rows.

    Args:
        src_vocab, tgt_vocab: vocabulary sizes (ids ``PAD``, ``BOS``, ``EOS`` are special).
        src_len, tgt_len: padded lengths of the source and of the decoder input.
        d_model, heads, layers, ff, dropout: the Transformer's sizes (``layers`` encoder and
            ``layers`` decoder layers, feed-forward width ``ff``).
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, src_len: int, tgt_len: int, *, d_model: int = 64,
                 heads: int = 4, layers: int = 2, ff: int = 128, dropout: float = 0.1) -> None:
        super().__init__()
        for name, value in (("src_vocab", src_vocab), ("tgt_vocab", tgt_vocab), ("src_len", src_len),
                            ("tgt_len", tgt_len), ("d_model", d_model), ("heads", heads), ("layers", layers),
                            ("ff", ff)):
            check_number(name, value, low=1, integer=True)
        check_number("dropout", dropout, low=0.0, high=1.0, high_open=True)
        if d_model % heads or d_model % 2:
            raise ValueError(f"d_model must be even and divisible by heads, got d_model={d_model}, heads={heads}")
        self.src_len, self.tgt_len, self.d_model = int(src_len), int(tgt_len), int(d_model)
        self.src_embed = nn.Embedding(src_vocab, d_model, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(tgt_vocab, d_model, padding_idx=PAD)
        self.register_buffer("positions", _positions(max(src_len, tgt_len), d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)
        encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(d_model, heads, ff, dropout, batch_first=True), layers,
            nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.transformer = nn.Transformer(d_model, heads, layers, layers, ff, dropout, batch_first=True,
                                          custom_encoder=encoder)
        self.out = nn.Linear(d_model, tgt_vocab)
        causal = torch.ones(tgt_len, tgt_len, dtype=torch.bool).triu(1)  # True: may not attend
        self.register_buffer("causal", causal, persistent=False)

    def _embed(self, embed: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
        x = embed(ids) * math.sqrt(self.d_model) + self.positions[: ids.shape[1]]
        return self.dropout(x)

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's output for source ids, and the source padding mask."""
        src_pad = src == PAD
        memory = self.transformer.encoder(self._embed(self.src_embed, src), src_key_padding_mask=src_pad)
        return memory, src_pad

    def decode(self, memory: torch.Tensor, src_pad: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Logits (batch × length × tgt_vocab) of the next token after each prefix of ``tgt_in``."""
        length = tgt_in.shape[1]
        hidden = self.transformer.decoder(
            self._embed(self.tgt_embed, tgt_in), memory, tgt_mask=self.causal[:length, :length],
            tgt_is_causal=True, tgt_key_padding_mask=tgt_in == PAD, memory_key_padding_mask=src_pad)
        return self.out(hidden)

    def forward(self, packed: torch.Tensor) -> torch.Tensor:
        """Logits for packed rows ``[source (src_len) | decoder input (tgt_len)]``."""
        if packed.ndim != 2 or packed.shape[1] != self.src_len + self.tgt_len:
            raise ValueError(f"packed must have shape (batch, {self.src_len + self.tgt_len}), got"
                             f" {tuple(packed.shape)}")
        memory, src_pad = self.encode(packed[:, : self.src_len])
        return self.decode(memory, src_pad, packed[:, self.src_len:])

    @torch.no_grad()
    def translate(self, src: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
        """Greedy decoding: the target ids (batch × max_len, ``EOS`` then ``PAD`` after the end).

        Always runs ``max_len`` decoder steps (default ``tgt_len``), so its work does not depend on
        what the model has learnt.
        """
        max_len = self.tgt_len if max_len is None else int(max_len)
        was_training = self.training
        self.eval()
        memory, src_pad = self.encode(src)
        ys = torch.full((src.shape[0], 1), BOS, dtype=torch.long, device=src.device)
        done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
        for _ in range(max_len):
            nxt = self.decode(memory, src_pad, ys)[:, -1].argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)
            done = done | (nxt == EOS)
            ys = torch.cat([ys, nxt.unsqueeze(1)], dim=1)
        self.train(was_training)
        return ys[:, 1:]


def sequence_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per target token (nats), padding ignored."""
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                       ignore_index=PAD)
