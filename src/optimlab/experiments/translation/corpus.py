"""A French-English parallel corpus generated from sentence plans, realized by pyrealb.

No real French-English corpus installs from the package registries this project can reach, so
the chapter's numbers come from a generated one (a user with the network passes a real file in
the ``eng-fra.txt`` format instead: :mod:`~optimlab.experiments.translation.engfra`).

A :class:`SentencePlan` is one meaning: a subject (a noun phrase or a personal pronoun), a verb, an
object (a noun phrase, or the pronoun standing for it) for a transitive verb, an optional
prepositional phrase, a tense, negation and an optional question. :func:`draw_plan` draws one from
a seeded :class:`random.Random` over the bilingual lexicon (``lexicon.tsv``, a few hundred lemma
pairs kept beside this module), and :func:`realize` lets pyrealb (Lapalme 2023) write it in English
and in French, with the agreement, conjugation, elision, negation, inversion and clitic pronouns
of each language: the same plan gives "The cat ate a mouse." and "Le chat a mangé une souris.".

:func:`generate` is a pure function of ``(size, seed)``: the same arguments give the same pairs,
in the same order, on any machine. Pairs are distinct by their French side, so a test sentence is
never also a training sentence.

What such a corpus can show: whether an optimizer trains a Transformer to map one language's
syntax onto another's (word order, agreement, clitics, tense periphrasis) on a closed vocabulary.
What it cannot: anything about open-vocabulary, noisy, idiomatic text — the grammar is small, the
meanings are random (a clever church), and the sentences are exactly as pyrealb writes them (a few
are not idiomatic French: "ne veut pas des pommes" for "ne veut pas de pommes").
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from optimlab.runtime import check_number

__all__ = [
    "CATEGORIES",
    "Entry",
    "LEXICON",
    "Lexicon",
    "NounPhrase",
    "Pronoun",
    "SentencePlan",
    "TENSES",
    "draw_plan",
    "generate",
    "load_lexicon",
    "realize",
]

#: The bilingual lexicon shipped with the package.
LEXICON = Path(__file__).with_name("lexicon.tsv")

#: Lexicon categories and the classes each allows.
CATEGORIES = {
    "noun": ("animate", "thing", "place"),
    "adjective": ("-",),
    "verb": ("animate", "thing", "none"),
    "preposition": ("animate", "place"),
}

#: Tense name -> (pyrealb English tense, pyrealb French tense): simple past is rendered by the
#: French passé composé, as speech and the tutorial corpus do.
TENSES = {"present": ("p", "p"), "past": ("ps", "pc"), "future": ("f", "f")}

#: Determiner name -> (English lemma, French lemma).
DETERMINERS = {"definite": ("the", "le"), "indefinite": ("a", "un"), "demonstrative": ("this", "ce")}

#: Personal pronoun lemmas (pyrealb takes the first person singular lemma and a person).
PRONOUN_LEMMA = ("I", "je")

#: The grammar's probabilities.
P_PRONOUN_SUBJECT = 0.25
P_ADJECTIVE = 0.3
P_PLURAL = 0.3
P_OBJECT_PRONOUN = 0.15
P_PP = 0.25
P_PP_INTRANSITIVE = 0.6
P_NEGATION = 0.3
P_YES_NO = 0.15
P_WHO = 0.1


@dataclass(frozen=True)
class Entry:
    """One lemma pair of the lexicon."""

    category: str
    english: str
    french: str
    cls: str


@dataclass(frozen=True)
class Lexicon:
    """The lemma pairs, by category and class."""

    entries: tuple[Entry, ...]

    def of(self, category: str, cls: str | None = None) -> tuple[Entry, ...]:
        """The entries of ``category`` (and ``cls``), in file order."""
        return tuple(e for e in self.entries if e.category == category and (cls is None or e.cls == cls))

    def __len__(self) -> int:
        return len(self.entries)


def load_lexicon(path: str | Path = LEXICON) -> Lexicon:
    """Read a lexicon file: a header ``category english french class`` then one pair per line,
    tab-separated; lines starting with ``#`` are comments.

    Raises:
        ValueError: a line without four fields, an unknown category or class (naming the line), or
            a lexicon lacking one of the kinds the grammar draws from.
    """
    path = Path(path)
    entries = []
    header_seen = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if not header_seen:
            if fields != ["category", "english", "french", "class"]:
                raise ValueError(f"{path}:{number}: the header must be 'category\\tenglish\\tfrench\\tclass',"
                                 f" got {line!r}")
            header_seen = True
            continue
        if len(fields) != 4 or not all(f.strip() for f in fields):
            raise ValueError(f"{path}:{number}: a lexicon line has four non-empty tab-separated fields,"
                             f" got {line!r}")
        category, english, french, cls = (f.strip() for f in fields)
        if category not in CATEGORIES:
            raise ValueError(f"{path}:{number}: category must be one of {sorted(CATEGORIES)}, got {category!r}")
        if cls not in CATEGORIES[category]:
            raise ValueError(f"{path}:{number}: the class of a {category} must be one of"
                             f" {CATEGORIES[category]}, got {cls!r}")
        entries.append(Entry(category, english, french, cls))
    lexicon = Lexicon(tuple(entries))
    for category, cls in (("noun", "animate"), ("noun", "thing"), ("noun", "place"), ("adjective", None),
                          ("verb", "thing"), ("verb", "none"), ("preposition", "place")):
        if not lexicon.of(category, cls):
            raise ValueError(f"{path}: the lexicon needs at least one {category}"
                             + (f" of class {cls}" if cls else ""))
    return lexicon


@lru_cache(maxsize=4)
def _lexicon(path: str) -> Lexicon:
    return load_lexicon(path)


@dataclass(frozen=True)
class NounPhrase:
    """A determiner, an optional adjective and a noun, in a number (``"s"`` or ``"p"``)."""

    noun: Entry
    determiner: str
    number: str
    adjective: Entry | None = None


@dataclass(frozen=True)
class Pronoun:
    """A personal pronoun: person 1-3, number ``"s"``/``"p"``, gender ``"m"``/``"f"``."""

    person: int
    number: str
    gender: str


@dataclass(frozen=True)
class SentencePlan:
    """One meaning, realized in both languages by :func:`realize`.

    ``question`` is ``None``, ``"yes-no"`` or ``"who"`` (the subject questioned);
    ``object_pronoun`` replaces the object by its pronoun ("it", "la"); ``place`` is a preposition
    and its noun phrase.
    """

    subject: NounPhrase | Pronoun
    verb: Entry
    tense: str
    obj: NounPhrase | None = None
    object_pronoun: bool = False
    place: tuple[Entry, NounPhrase] | None = None
    negated: bool = False
    question: str | None = None


def _noun_phrase(rng: random.Random, nouns: Sequence[Entry], adjectives: Sequence[Entry],
                 plural: float = P_PLURAL) -> NounPhrase:
    noun = rng.choice(nouns)
    determiner = rng.choice(sorted(DETERMINERS))
    number = "p" if rng.random() < plural else "s"
    adjective = rng.choice(adjectives) if rng.random() < P_ADJECTIVE else None
    return NounPhrase(noun, determiner, number, adjective)


def draw_plan(rng: random.Random, lexicon: Lexicon) -> SentencePlan:
    """One sentence plan drawn with ``rng`` by the grammar (the module's probabilities)."""
    adjectives = lexicon.of("adjective")
    if rng.random() < P_PRONOUN_SUBJECT:
        subject: NounPhrase | Pronoun = Pronoun(rng.choice((1, 2, 3)), rng.choice(("s", "p")),
                                                rng.choice(("m", "f")))
    else:
        subject = _noun_phrase(rng, lexicon.of("noun", "animate"), adjectives)
    verb = rng.choice(lexicon.of("verb"))
    tense = rng.choice(sorted(TENSES))
    obj, object_pronoun = None, False
    if verb.cls != "none":
        obj = _noun_phrase(rng, lexicon.of("noun", verb.cls), adjectives)
        object_pronoun = rng.random() < P_OBJECT_PRONOUN
    place = None
    if rng.random() < (P_PP if obj is not None else P_PP_INTRANSITIVE):
        preposition = rng.choice(lexicon.of("preposition"))
        place = (preposition, _noun_phrase(rng, lexicon.of("noun", preposition.cls), adjectives,
                                           plural=0.15))
    negated = rng.random() < P_NEGATION
    u = rng.random()
    question = "yes-no" if u < P_YES_NO else ("who" if u < P_YES_NO + P_WHO and isinstance(subject, NounPhrase)
                                              else None)
    return SentencePlan(subject, verb, tense, obj, object_pronoun, place, negated, question)


def _build(plan: SentencePlan, french: bool):
    """The pyrealb constituent of ``plan`` in the language currently loaded."""
    from pyrealb import NP, PP, VP, A, D, N, P, Pro, S, V

    side = 1 if french else 0

    def word(entry: Entry) -> str:
        return entry.french if french else entry.english

    def noun_phrase(np: NounPhrase):
        parts = [D(DETERMINERS[np.determiner][side])]
        if np.adjective is not None:
            parts.append(A(word(np.adjective)))  # pyrealb places it (French: before or after the noun)
        parts.append(N(word(np.noun)))
        return NP(*parts).n(np.number)

    if isinstance(plan.subject, Pronoun):
        p = plan.subject
        subject = Pro(PRONOUN_LEMMA[side]).pe(p.person).n(p.number).g(p.gender)
    else:
        subject = noun_phrase(plan.subject)
    verb = V(word(plan.verb)).t(TENSES[plan.tense][side])
    parts = [verb]
    if plan.obj is not None:
        obj = noun_phrase(plan.obj)
        parts.append(obj.pro() if plan.object_pronoun else obj)
    if plan.place is not None:
        preposition, np = plan.place
        parts.append(PP(P(word(preposition)), noun_phrase(np)))
    sentence = S(subject, VP(*parts))
    types: dict[str, object] = {}
    if plan.negated:
        types["neg"] = True
    if plan.question == "yes-no":
        types["int"] = "yon"
    elif plan.question == "who":
        types["int"] = "wos"
    return sentence.typ(types) if types else sentence


def realize(plan: SentencePlan) -> tuple[str, str]:
    """``(english, french)``: the plan written by pyrealb in each language.

    Raises:
        ValueError: pyrealb did not know a word (it marks it ``[[word]]``), naming the sentence.
    """
    import pyrealb

    out = []
    for french, load in ((False, pyrealb.loadEn), (True, pyrealb.loadFr)):
        load()
        text = _build(plan, french).realize().strip()
        if "[[" in text:
            raise ValueError(f"pyrealb does not know a word of this plan: {text!r} ({plan})")
        out.append(text)
    return out[0], out[1]


def generate(size: int, seed: int = 0, lexicon: str | Path = LEXICON) -> list[tuple[str, str]]:
    """``size`` distinct ``(english, french)`` pairs drawn by the seeded grammar: a pure function of
    ``(size, seed)`` (and the lexicon file).

    Plans whose French sentence was already drawn are skipped (their draws still advance the
    generator, so the result does not depend on anything but the arguments).

    Raises:
        ValueError: ``size`` or ``seed`` out of range, or the grammar cannot give ``size`` distinct
            sentences (fewer than one new sentence in 50 draws).
    """
    check_number("size", size, low=1, integer=True)
    check_number("seed", seed, low=0, integer=True)
    lex = _lexicon(str(Path(lexicon).resolve()))
    rng = random.Random(int(seed))
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    draws = 0
    while len(pairs) < size:
        draws += 1
        if draws > 50 * size:
            raise ValueError(f"size: the grammar gave only {len(pairs)} distinct sentences in {draws - 1}"
                             f" draws; ask for fewer than {size}")
        english, french = realize(draw_plan(rng, lex))
        if french in seen:
            continue
        seen.add(french)
        pairs.append((english, french))
    return pairs
