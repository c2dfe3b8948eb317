"""Translation quality with sacrebleu (Post 2018): corpus BLEU (Papineni et al. 2002) and chrF
(Popović 2015), each on a 0-100 scale, with sacrebleu's default settings (BLEU: 13a tokenization,
4-grams, exponential smoothing; chrF: character 6-grams, beta 2), so the scores compare with
published ones computed the same way."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["bleu", "chrf", "signature"]


def _check(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if len(hypotheses) != len(references) or not references:
        raise ValueError(f"hypotheses and references must be non-empty and of equal length, got"
                         f" {len(hypotheses)} and {len(references)}")


def bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU of ``hypotheses`` against one reference each (0-100)."""
    import sacrebleu

    _check(hypotheses, references)
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score)


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF of ``hypotheses`` against one reference each (0-100)."""
    import sacrebleu

    _check(hypotheses, references)
    return float(sacrebleu.corpus_chrf(list(hypotheses), [list(references)]).score)


def signature() -> str:
    """sacrebleu's signatures of the two metrics as configured here (for the chapter)."""
    from sacrebleu.metrics import BLEU, CHRF

    signatures = []
    for metric in (BLEU(), CHRF()):
        metric.corpus_score(["a"], [["a"]])  # a signature names the reference count: score once
        signatures.append(str(metric.get_signature()))
    return "; ".join(signatures)
