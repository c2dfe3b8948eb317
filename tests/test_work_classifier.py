"""A classifier run (optimlab.experiments.classifier) records its work with the meter and in its cache
record; a run read from the cache records its maker's work as reused."""

from __future__ import annotations

import json

import pytest

from optimbook.optim import SGD
from optimlab.experiments import classifier
from optimlab.training import flops, work
from optimlab.training.flops import Count


@pytest.fixture
def meter(tmp_path, monkeypatch, mnist_root):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("OPTIMBOOK_DATA", str(mnist_root))
    monkeypatch.setenv(work.ENV, str(tmp_path / "work.jsonl"))
    work.reset()
    yield tmp_path
    work.reset()


@pytest.fixture
def fit_probe(monkeypatch):
    """What the training loop itself records while a classifier run trains (the loop's own work
    meter calls, whatever they are), gathered per call of ``fit``."""
    seen = []
    real = classifier.fit

    def probed(*args, **kwargs):
        with work.run("fit probe") as probe:  # gathered into the enclosing run, as fit's own adds are
            hist = real(*args, **kwargs)
        seen.append(probe.count)
        return hist

    monkeypatch.setattr(classifier, "fit", probed)
    return seen


def test_a_classifier_run_records_its_work_in_the_meter_and_in_its_record(meter, fit_probe):
    config = classifier.CONFIGS["smoke"]
    frame = classifier.compare({"SGD": (SGD, {"lr": 0.1})}, scale="smoke", seeds=(0,), epochs=1, device="cpu")
    (path,) = (meter / "results" / "smoke" / "classifier").glob("*.json")
    record = json.loads(path.read_text())
    # the evaluations: one forward pass over the test images at every record of the run
    n_test = round(10_000 * config.test_fraction)
    evaluation = flops.mlp_forward((784, config.hidden, 10), n_test) * len(frame)
    (fit_work,) = fit_probe
    expected = Count(evaluation) + fit_work
    assert Count.from_record(record["flop"]) == Count.from_record(expected.to_record())
    runs = [e for e in work.entries() if e.what == "classifier run"]
    assert [(e.key, e.reused) for e in runs] == [(str(path), False)]
    assert runs[0].count == expected
    # nothing else was recorded apart from the run's entry
    assert work.total() == expected

    work.reset()
    again = classifier.compare({"SGD": (SGD, {"lr": 0.1})}, scale="smoke", seeds=(0,), epochs=1, device="cpu")
    assert again.equals(frame)
    assert work.total() == Count() and len(fit_probe) == 1  # read, not trained again
    assert [(e.what, e.key, e.reused) for e in work.entries()] == [("classifier run", str(path), True)]
    assert work.total(reused=True) == Count.from_record(record["flop"])


def test_a_run_without_the_cache_is_done_work_without_a_key(meter, fit_probe):
    classifier.compare({"SGD": (SGD, {"lr": 0.1})}, scale="smoke", seeds=(0,), epochs=1, device="cpu",
                       cache=False)
    (entry,) = work.entries()
    assert (entry.what, entry.key, entry.reused) == ("classifier run", None, False)
    assert entry.count.matmul > fit_probe[0].matmul
    assert not (meter / "results" / "smoke" / "classifier").exists()


def test_a_cached_record_without_its_work_is_made_again(meter, fit_probe):
    classifier.compare({"SGD": (SGD, {"lr": 0.1})}, scale="smoke", seeds=(0,), epochs=1, device="cpu")
    (path,) = (meter / "results" / "smoke" / "classifier").glob("*.json")
    record = json.loads(path.read_text())
    del record["flop"]  # as written before runs recorded their work
    path.write_text(json.dumps(record))
    work.reset()
    classifier.compare({"SGD": (SGD, {"lr": 0.1})}, scale="smoke", seeds=(0,), epochs=1, device="cpu")
    assert len(fit_probe) == 2 and not any(e.reused for e in work.entries())
    assert "flop" in json.loads(path.read_text())
