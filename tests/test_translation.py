"""The translation experiment (chapter 20): corpus, file format, vocabulary, model, metrics, work
counted, the runner's table, cache and resume, and claim C7's test.

``tests/data/eng-fra-sample.txt`` is a sample written for these tests: invented sentences (a robot
painting the moon), in the tab-separated format of PyTorch's seq2seq tutorial, with a few lines
carrying the third (attribution) column of other exports and blank lines.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import torch

from optimlab.experiments.translation import corpus, engfra, metrics, protocol, runner, tokenizer
from optimlab.experiments.translation.model import TranslationTransformer, sequence_loss
from optimlab.training.loop import fit

SAMPLE = Path(__file__).parent / "data" / "eng-fra-sample.txt"

#: A few seconds for the whole protocol: every optimizer, one rate, one epoch.
TINY = replace(runner.SETTINGS["smoke"], epochs=1, grid=(0.1,), small_grid=(0.1,))


@pytest.fixture(autouse=True)
def one_thread():
    """Small models step fastest on one core (and the runner trains on one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / "results"))
    return tmp_path / "results"


# --- corpus ----------------------------------------------------------------------------------------
def test_corpus_is_a_pure_function_of_size_and_seed():
    first = corpus.generate(25, seed=3)
    assert corpus.generate(25, seed=3) == first
    assert corpus.generate(25, seed=4) != first
    assert len(first) == 25
    assert len({french for _, french in first}) == 25  # distinct by the French side
    assert all(english.strip() and french.strip() for english, french in first)


def test_the_issue_s_example_plan_realizes_in_both_languages():
    lex = corpus.load_lexicon()
    cat, mouse = (next(e for e in lex.of("noun") if e.english == w) for w in ("cat", "mouse"))
    eat = next(e for e in lex.of("verb", "thing") if e.english == "eat")
    plan = corpus.SentencePlan(corpus.NounPhrase(cat, "definite", "s"), eat, "past",
                               corpus.NounPhrase(mouse, "indefinite", "s"))
    assert corpus.realize(plan) == ("The cat ate a mouse.", "Le chat a mangé une souris.")
    negated = replace(plan, negated=True, object_pronoun=True, subject=corpus.NounPhrase(cat, "definite", "p"))
    assert corpus.realize(negated) == ("The cats did not eat it.", "Les chats ne l'ont pas mangée.")


def test_every_lexicon_word_is_known_to_pyrealb():
    import pyrealb

    lex = corpus.load_lexicon()
    assert len(lex) >= 200
    category = {"noun": "N", "adjective": "A", "verb": "V", "preposition": "P"}
    for load, side in ((pyrealb.loadEn, "english"), (pyrealb.loadFr, "french")):
        load()
        known = pyrealb.getLexicon()
        missing = [getattr(e, side) for e in lex.entries if category[e.category] not in known.get(getattr(e, side), {})]
        assert not missing, f"{side} lemmas pyrealb does not know: {missing}"


def test_lexicon_errors_name_the_line(tmp_path):
    bad = tmp_path / "lexicon.tsv"
    bad.write_text("category\tenglish\tfrench\tclass\nnoun\tcat\tchat\tanimate\nverb\teat\tmanger\tedible\n")
    with pytest.raises(ValueError, match=r"lexicon.tsv:3: the class of a verb"):
        corpus.load_lexicon(bad)
    with pytest.raises(ValueError, match="size"):
        corpus.generate(0)


# --- eng-fra.txt -----------------------------------------------------------------------------------
def test_eng_fra_round_trip(tmp_path):
    pairs = corpus.generate(12, seed=1)
    path = engfra.write_pairs(tmp_path / "eng-fra.txt", pairs)
    assert engfra.read_pairs(path) == pairs
    assert path.read_text(encoding="utf-8").splitlines()[0] == "\t".join(pairs[0])
    assert engfra.read_pairs(path, limit=5) == pairs[:5]


def test_reads_the_sample_in_the_tutorial_format():
    pairs = engfra.read_pairs(SAMPLE)
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(pairs) == len(lines)
    assert pairs[0] == ("The robot paints the moon.", "Le robot peint la lune.")
    with_third = [line for line in lines if line.count("\t") == 2]
    assert with_third and all(p[1].endswith((".", "?")) for p in pairs)  # the third column is dropped


def test_eng_fra_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("Go.\tVa !\nno tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt:2"):
        engfra.read_pairs(bad)
    with pytest.raises(ValueError, match=r"pairs\[0\]: the french sentence"):
        engfra.format_pairs([("Go.", "Va\t!")])


# --- vocabulary, model, metrics --------------------------------------------------------------------
def test_tokenizer_round_trip():
    texts = [f for _, f in corpus.generate(60, seed=2)]
    tok = tokenizer.train_tokenizer(texts, 400)
    assert [tok.token_to_id(s) for s in tokenizer.SPECIALS] == [tokenizer.PAD, tokenizer.BOS, tokenizer.EOS]
    unseen = ["Où est l'œuf ? « Ça » — naïve façon.", "Zoë a 3 chats."]
    ids = tokenizer.encode(tok, texts + unseen)
    assert tokenizer.decode(tok, ids) == texts + unseen
    assert tokenizer.decode(tok, [ids[0] + [tokenizer.EOS, 5, 6]]) == [texts[0]]  # cut at </s>
    with pytest.raises(ValueError, match="vocab_size"):
        tokenizer.train_tokenizer(texts, 100)


def test_model_overfits_a_handful_of_pairs():
    torch.manual_seed(0)
    pairs = corpus.generate(6, seed=7)
    src_tok = tokenizer.train_tokenizer([f for _, f in pairs], 300)
    tgt_tok = tokenizer.train_tokenizer([e for e, _ in pairs], 300)
    src, tgt = tokenizer.encode(src_tok, [f for _, f in pairs]), tokenizer.encode(tgt_tok, [e for e, _ in pairs])
    src_len, tgt_len = 1 + max(map(len, src)), 1 + max(map(len, tgt))
    x, y = runner._pack(src, tgt, src_len, tgt_len)
    model = TranslationTransformer(300, 300, src_len, tgt_len, d_model=32, heads=2, layers=1, ff=64, dropout=0.0)
    history = fit(model, sequence_loss, torch.optim.Adam(model.parameters(), lr=5e-3), x, y, batch_size=6,
                  epochs=120, evaluate=lambda m: {"fit": float(sequence_loss(m(x), y))})
    losses = history.column("fit")
    assert losses[-1] < 0.05 * losses[0]
    hyps = tokenizer.decode(tgt_tok, model.translate(x[:, :src_len]).tolist())
    assert metrics.bleu(hyps, [e for e, _ in pairs]) > 80


def test_model_refuses_a_wrongly_packed_batch():
    model = TranslationTransformer(300, 300, 5, 4, d_model=16, heads=2, layers=1, ff=32)
    with pytest.raises(ValueError, match=r"packed must have shape \(batch, 9\)"):
        model(torch.zeros(2, 8, dtype=torch.long))
    with pytest.raises(ValueError, match="d_model"):
        TranslationTransformer(300, 300, 5, 4, d_model=18, heads=4)


def test_perfect_and_empty_hypotheses():
    refs = ["The cat ate a mouse.", "Did the dogs not sleep?"]
    assert metrics.bleu(refs, refs) == pytest.approx(100.0)
    assert metrics.chrf(refs, refs) == pytest.approx(100.0)
    assert metrics.bleu(["", ""], refs) == 0.0
    with pytest.raises(ValueError, match="equal length"):
        metrics.bleu(refs, refs[:1])
    assert metrics.signature().count("nrefs:1") == 2 and "nc:6" in metrics.signature()


def test_rate_schedule_is_warmup_then_inverse_square_root():
    w, peak = 40, 0.3
    schedule = runner.rate_schedule(peak, w, w)
    for t in (0, 10, 39):
        assert schedule(t) == pytest.approx(peak * t / w)
    for t in (40, 41, 100, 1000):
        assert schedule(t) == pytest.approx(peak * math.sqrt(w / t))  # Vaswani et al. eq. (3), normalised
    no_warmup = runner.rate_schedule(peak, 0, w)
    assert no_warmup(0) == peak and no_warmup(3 * w) == pytest.approx(peak / 2)


def test_work_counted_matches_the_closed_form(results):
    """FlopCounterMode's count of a training step equals the matrix products' closed form:
    forward 2·(weights × tokens) for each linear map plus 2·L·d per query for QKᵀ and for AV,
    backward twice the forward."""
    data = runner.prepare("smoke")
    s = runner.SETTINGS["smoke"]
    step, _ = runner.work(s, data, torch.device("cpu"))
    d, ff, n = s.d_model, s.ff, s.batch_size
    ls, lt, vocab = data.src_len, data.tgt_len, data.tgt_tok.get_vocab_size()
    linear = s.layers * (n * ls * (4 * d * d + 2 * d * ff + 2 * d * d) + n * lt * (6 * d * d + 2 * d * ff)) \
        + n * lt * d * vocab
    attention = s.layers * n * d * (ls * ls + lt * lt + lt * ls)
    assert step == pytest.approx(3 * (2 * linear + 4 * attention))


# --- runner: table, cache, resume, real file -------------------------------------------------------
def test_the_table_has_every_optimizer_and_seed(results):
    frame = runner.run("smoke", seeds=(0, 1), settings=TINY)
    assert list(frame.columns[:8]) == ["optimizer", "family", "lr", "seed", "epoch", "val_loss", "test_bleu",
                                       "test_chrf"]
    assert set(frame["optimizer"]) == set(protocol.OPTIMIZERS)
    for optimizer, group in frame.groupby("optimizer"):
        assert set(group["seed"]) == {0, 1}, optimizer
        assert set(group["family"]) == {protocol.family_of(optimizer)}
    assert not frame.duplicated(["optimizer", "lr", "seed", "warmup", "epoch"]).any()
    assert set(frame["epoch"]) == {0, 1}
    ok = frame[~frame["diverged"]]
    assert ok["val_loss"].gt(0).all() and ok["test_bleu"].between(0, 100).all()
    assert (ok[ok["epoch"] == 1]["flop"] > ok[ok["epoch"] == 0]["flop"].max()).all()
    path = runner.write_csv(frame, "smoke")
    assert path == results / "smoke" / "translation.csv"
    assert pd.read_csv(path)[["optimizer", "seed", "epoch"]].equals(frame[["optimizer", "seed", "epoch"]])
    # a second call reads every run from the cache
    again = runner.run("smoke", seeds=(0, 1), settings=TINY, optimizers=["Adam", "SGD"])
    cached = frame.set_index(["optimizer", "lr", "seed", "warmup", "epoch"])
    assert again.set_index(["optimizer", "lr", "seed", "warmup", "epoch"])["val_loss"].equals(
        cached.loc[again.set_index(["optimizer", "lr", "seed", "warmup", "epoch"]).index, "val_loss"])
    assert runner.examples("smoke", "Adam", 0.1, 0, True, settings=TINY)[0]["reference"]


def test_resume_after_a_kill_gives_the_same_rows(tmp_path, monkeypatch):
    settings = replace(runner.SETTINGS["smoke"], epochs=3)
    job = runner.Job("Adam", 0.01, 0, True)
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / "clean"))
    data = runner.prepare("smoke", settings=settings)
    clean = runner.train_job(job, settings, data, "cpu", scale="smoke")

    class Killed(Exception):
        pass

    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / "killed"))
    data = runner.prepare("smoke", settings=settings)
    save = runner._checkpoint

    def save_then_die(path, key, epoch, *args):
        save(path, key, epoch, *args)
        if epoch == 2:
            raise Killed

    monkeypatch.setattr(runner, "_checkpoint", save_then_die)
    with pytest.raises(Killed):
        runner.train_job(job, settings, data, "cpu", scale="smoke")
    assert list((tmp_path / "killed" / "smoke" / "translation" / "checkpoints").glob("*.pt"))
    monkeypatch.setattr(runner, "_checkpoint", save)
    resumed = runner.train_job(job, settings, data, "cpu", scale="smoke")
    columns = ["epoch", "step", "train_loss", "val_loss", "test_bleu", "test_chrf", "flop"]
    assert pd.DataFrame(resumed["records"])[columns].equals(pd.DataFrame(clean["records"])[columns])
    assert resumed["examples"] == clean["examples"]
    assert not list((tmp_path / "killed" / "smoke" / "translation" / "checkpoints").glob("*.pt"))


def test_a_real_file_in_the_tutorial_format_trains(results):
    settings = replace(runner.SETTINGS["smoke"], pairs=40, valid=5, test=5, vocab=300, epochs=1)
    data = runner.prepare("smoke", corpus=SAMPLE, settings=settings)
    assert data.source.startswith("eng-fra-sample.txt")
    assert data.sizes["train"] == 30
    sample_french = {f for _, f in engfra.read_pairs(SAMPLE)}
    assert set(data.test_sources) <= sample_french
    frame = runner.run("smoke", corpus=SAMPLE, settings=settings, optimizers=["Adam", "SGD"], budgets=["protocol"])
    assert set(frame["optimizer"]) == {"Adam", "SGD"} and frame["val_loss"].notna().all()
    with pytest.raises(ValueError, match="corpus"):
        runner.prepare("smoke", corpus=SAMPLE, settings=replace(settings, valid=30, test=30))


# --- claim C7 --------------------------------------------------------------------------------------
def test_verdict_on_intervals():
    above = {"low": 0.5, "high": 2.0}
    straddle = {"low": -0.5, "high": 1.0}
    below = {"low": -2.0, "high": -0.1}
    undefined = {"low": math.nan, "high": math.nan}
    assert protocol.verdict([above, above]) == "holds"
    assert protocol.verdict([above, straddle]) == "inconclusive"
    assert protocol.verdict([above, undefined]) == "inconclusive"
    assert protocol.verdict([above, below]) == "does not hold"
    assert protocol.verdict([straddle, {"low": -1.0, "high": 0.0}]) == "does not hold"


def _synthetic(bleu_of, seeds=(0, 1, 2, 3, 4), grid=(0.01, 0.1)):
    """A frame of final rows: every optimizer at each rate (seed 0), then at its chosen rate (the
    lower validation loss: 0.01 here) over ``seeds``; BLEU from ``bleu_of(optimizer, seed)``."""
    rows = []
    for name in protocol.OPTIMIZERS:
        for lr in grid:
            rows.append({"optimizer": name, "lr": lr, "seed": 0, "warmup": 10, "epoch": 2,
                         "val_loss": 1.0 if lr == 0.01 else 2.0,
                         "test_bleu": bleu_of(name, 0) if lr == 0.01 else 99.0})
        for seed in seeds[1:]:
            rows.append({"optimizer": name, "lr": 0.01, "seed": seed, "warmup": 10, "epoch": 2,
                         "val_loss": 1.0, "test_bleu": bleu_of(name, seed)})
    frame = pd.DataFrame(rows)
    # the best of each family by validation loss: Adam, SGD, AdaGrad
    frame.loc[frame["optimizer"].isin(["Adam", "SGD", "AdaGrad"]), "val_loss"] -= 0.5
    return frame


@pytest.mark.parametrize("moment_gain, spread, expected", [
    (5.0, 0.5, "holds"), (-5.0, 0.5, "does not hold"), (0.2, 3.0, "inconclusive")])
def test_c7_on_synthetic_numbers(moment_gain, spread, expected):
    noise = [0.0, 1.0, -1.0, 0.5, -0.5]

    def bleu_of(name, seed):
        base = 20.0 + (moment_gain if protocol.family_of(name) == protocol.MOMENT else 0.0)
        return base + spread * noise[seed] * (1 if name == "Adam" else -1)

    result, table, details = protocol.c7(_synthetic(bleu_of), "protocol", full_grid=(0.01, 0.1), small_grid=(0.1,))
    assert result == expected
    assert details["best"] == {"gradient descent": "SGD", "adaptive gradient": "AdaGrad", "adaptive moment": "Adam"}
    assert set(details["choices"].values()) == {0.01}  # chosen by validation loss, not by test BLEU (99 at 0.1)
    assert list(table["other family"]) == ["gradient descent", "adaptive gradient"]
    assert (table["seeds"] == 5).all()


def test_a_diverged_run_is_never_chosen():
    frame = _synthetic(lambda name, seed: 20.0)
    frame.loc[(frame["lr"] == 0.01) & (frame["seed"] == 0), "val_loss"] = math.nan
    chosen = protocol.choices(frame, (0.01, 0.1), True, 0)
    assert set(chosen.values()) == {0.1}
    with pytest.raises(ValueError, match="budget"):
        protocol.budget("no such budget")


def test_the_grids_are_shared_and_nested():
    for settings in runner.SETTINGS.values():
        assert set(settings.small_grid) <= set(settings.grid)
        assert list(settings.grid) == sorted(settings.grid)
    assert runner.SETTINGS["paper"].grid == protocol.GRID
    assert set(protocol.OPTIMIZERS) == {n for members in protocol.FAMILIES.values() for n in members}
    assert len(protocol.OPTIMIZERS) == 12
