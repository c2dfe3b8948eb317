"""Read and write parallel corpora in the ``eng-fra.txt`` format of PyTorch's seq2seq tutorial.

The tutorial ("NLP From Scratch: Translation with a Sequence to Sequence Network and Attention")
downloads ``data/eng-fra.txt``: UTF-8 text, one pair per line, the English sentence, a tab, and its
French translation (``Go.\\tVa !``). Exports of the same Tatoeba pairs (``fra.txt``) add a third,
tab-separated attribution column, which :func:`read_pairs` ignores. The generated corpus is written
in this format (:func:`write_pairs`), so a user with the network passes the real file, or any such
file, in its place with one argument.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from optimlab.runtime import check_number
from optimlab.storage import atomic_write_text

__all__ = ["read_pairs", "write_pairs", "format_pairs"]


def read_pairs(path: str | os.PathLike, limit: int | None = None) -> list[tuple[str, str]]:
    """The ``(english, french)`` pairs of an ``eng-fra.txt``-style file, in file order.

    Blank lines are skipped; columns after the second are ignored; surrounding whitespace is
    stripped. ``limit`` keeps the first ``limit`` pairs.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: a line with fewer than two tab-separated fields or an empty side (naming the
            file and line), a file that is not UTF-8, or a file with no pair.
    """
    path = Path(path)
    if limit is not None:
        check_number("limit", limit, low=1, integer=True)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text ({err})") from None
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
            raise ValueError(f"{path}:{number}: a pair is 'english<TAB>french', got {line[:80]!r}")
        pairs.append((fields[0].strip(), fields[1].strip()))
        if limit is not None and len(pairs) == limit:
            break
    if not pairs:
        raise ValueError(f"{path} holds no pair (expected lines 'english<TAB>french')")
    return pairs


def format_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """The text of an ``eng-fra.txt`` file holding ``pairs``.

    Raises:
        ValueError: a sentence containing a tab or a line break, or an empty one (naming the pair).
    """
    lines = []
    for i, (english, french) in enumerate(pairs):
        for side, sentence in (("english", english), ("french", french)):
            if not sentence.strip() or any(c in sentence for c in "\t\r\n"):
                raise ValueError(f"pairs[{i}]: the {side} sentence must be non-empty text without tabs or"
                                 f" line breaks, got {sentence!r}")
        lines.append(f"{english}\t{french}\n")
    return "".join(lines)


def write_pairs(path: str | os.PathLike, pairs: Iterable[tuple[str, str]]) -> Path:
    """Write ``pairs`` to ``path`` in the ``eng-fra.txt`` format, atomically; return the path."""
    path = Path(path)
    atomic_write_text(path, format_pairs(pairs))
    return path
