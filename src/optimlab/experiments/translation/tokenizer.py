"""Subword vocabularies from Hugging Face's ``tokenizers``: byte-level BPE, one per language.

Byte-level BPE (the GPT-2 pre-tokenizer with a BPE model, Sennrich et al. 2016) starts from the 256
byte symbols and merges the most frequent pairs until the vocabulary has ``vocab_size`` entries, so
every string encodes (no unknown token) and decoding gives back the text exactly. The first ids are
the special tokens :data:`SPECIALS`: padding, beginning and end of sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from optimlab.runtime import check_number

__all__ = ["BOS", "EOS", "PAD", "SPECIALS", "decode", "encode", "from_json", "train_tokenizer"]

#: The special tokens, with ids 0, 1, 2.
SPECIALS = ("<pad>", "<s>", "</s>")
PAD, BOS, EOS = 0, 1, 2


def train_tokenizer(texts: Iterable[str], vocab_size: int):
    """A byte-level BPE :class:`tokenizers.Tokenizer` trained on ``texts`` with at most
    ``vocab_size`` entries (:data:`SPECIALS` first).

    Raises:
        ValueError: ``vocab_size`` below 256 + the special tokens (the byte alphabet must fit).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    check_number("vocab_size", vocab_size, low=len(alphabet) + len(SPECIALS), integer=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=int(vocab_size), special_tokens=list(SPECIALS),
                                  initial_alphabet=alphabet, show_progress=False)
    tok.train_from_iterator(list(texts), trainer)
    for i, special in enumerate(SPECIALS):
        assert tok.token_to_id(special) == i, "special tokens must come first"
    return tok


def from_json(text: str):
    """A tokenizer saved with ``tokenizer.to_str()``."""
    from tokenizers import Tokenizer

    return Tokenizer.from_str(text)


def encode(tok, texts: Sequence[str]) -> list[list[int]]:
    """The token ids of each text (no special tokens)."""
    return [e.ids for e in tok.encode_batch(list(texts), add_special_tokens=False)]


def decode(tok, ids: Sequence[Sequence[int]]) -> list[str]:
    """The texts of id sequences: each cut at its first end-of-sentence token, special tokens
    dropped."""
    out = []
    for seq in ids:
        seq = [int(i) for i in seq]
        if EOS in seq:
            seq = seq[:seq.index(EOS)]
        out.append(tok.decode([i for i in seq if i >= len(SPECIALS)], skip_special_tokens=True))
    return out
