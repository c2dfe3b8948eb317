"""python -m optimlab: every user error is one line on stderr and exit status 2, before any work."""

from __future__ import annotations

import pytest
import torch

from optimlab.__main__ import main
from optimlab.experiments import adamix


@pytest.fixture
def no_work(monkeypatch, tmp_path, mnist_root):
    """A valid environment (writable results, real MNIST) in which running anything fails the test."""
    calls = []
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("OPTIMBOOK_DATA", str(mnist_root))
    monkeypatch.setattr(adamix, "run", lambda *a, **k: calls.append((a, k)) or pytest.fail("work started"))
    monkeypatch.setattr(adamix, "execute", lambda *a, **k: calls.append((a, k)) or pytest.fail("work started"))
    return calls


def one_line_error(capsys, argv, pattern):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("python -m optimlab run: error: ")
    import re

    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]


@pytest.mark.parametrize("device", ["foo", "meta", "mps", "cuda:7", "tpu:0"] +
                         ([] if torch.cuda.is_available() else ["cuda", "cuda:0"]))
def test_an_unusable_device_is_one_line(no_work, capsys, device):
    one_line_error(capsys, ["run", "fig4", "--scale", "smoke", "--device", device],
                   rf"--device must be one of 'auto', 'cpu'.*got '{device}'")


@pytest.mark.parametrize("seed", ["99999999999999999999", "-1", str(2**63), "x", "1.5"])
def test_a_seed_outside_the_range_is_one_line(no_work, capsys, seed):
    one_line_error(capsys, ["run", "fig4", "--seeds", "0", seed],
                   r"seeds must be integers in \[0, 9223372036854775807\], got")


@pytest.mark.parametrize("workers", ["0", "-5", "two"])
def test_workers_below_one_is_one_line(no_work, capsys, workers):
    one_line_error(capsys, ["run", "fig4", "--workers", workers], r"workers must be an integer >= 1")


def test_an_unknown_experiment_is_one_line(no_work, capsys):
    one_line_error(capsys, ["run", "fig99"], r"invalid choice: 'fig99'")


def test_an_unwritable_results_folder_is_one_line(no_work, capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(blocker / "results"))
    one_line_error(capsys, ["run", "fig4", "--scale", "smoke", "--device", "cpu"],
                   rf"results folder {blocker / 'results' / 'smoke'} is not writable.*OPTIMBOOK_RESULTS")


def test_missing_mnist_is_one_line(no_work, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_DATA", str(tmp_path / "empty"))
    one_line_error(capsys, ["run", "fig4", "--scale", "smoke", "--device", "cpu"],
                   r"MNIST is missing from .*train-images-idx3-ubyte\.gz")


def test_corrupt_mnist_is_one_line_naming_the_file(no_work, capsys, tmp_path, monkeypatch, mnist_root):
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"):
        (raw / name).symlink_to(mnist_root / "MNIST" / "raw" / name)
    good = (mnist_root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(good[:1000])
    monkeypatch.setenv("OPTIMBOOK_DATA", str(tmp_path / "data"))
    one_line_error(capsys, ["run", "fig4", "--scale", "smoke", "--device", "cpu"],
                   rf"MNIST file {raw / 't10k-labels-idx1-ubyte.gz'} is corrupt")


def test_experiment_choices_come_from_the_registry():
    from optimlab.__main__ import experiment_choices

    choices = experiment_choices(adamix)
    names = adamix.experiment_names() if hasattr(adamix, "experiment_names") else \
        sorted(adamix.EXPERIMENTS) + sorted(adamix.EXTRA_EXPERIMENTS)
    assert choices == list(names) + ["all", "book", "translation"]
    assert set(adamix.EXPERIMENTS) | set(adamix.EXTRA_EXPERIMENTS) <= set(choices)


def test_seeds_are_deduplicated_in_order_and_all_means_the_papers_five(no_work, monkeypatch, capsys):
    import pandas as pd

    seen = []

    def fake_run(name, **kw):
        seen.append((name, kw["seeds"], kw["device"], kw["workers"]))
        return pd.DataFrame({"epoch": [1], "reading": ["default"], "strategy": ["Cons"], "data_fraction": [0.1], "test_rer": [1.0]})

    scheduled = []
    monkeypatch.setattr(adamix, "run", fake_run)
    monkeypatch.setattr(adamix, "execute", lambda plan, **kw: scheduled.append((plan, kw)) or {})
    monkeypatch.setattr(adamix, "runs_to_csv", lambda frame, name, scale: f"{scale}/{name}.csv")
    assert main(["run", "all", "--scale", "smoke", "--seeds", "2", "0", "2", "1", "0", "--device", "cpu",
                 "--workers", "3"]) == 0
    assert [s[0] for s in seen] == sorted(adamix.EXPERIMENTS)
    assert all(s[1:] == ([2, 0, 1], "cpu", 3) for s in seen)
    # the five are one schedule first (every run of every experiment, each shared run once)
    [(plan, kw)] = scheduled
    assert kw["workers"] == 3
    assert {row[0] for row in plan.rows} == set(adamix.EXPERIMENTS)
    assert {row[4] for row in plan.rows} == {0, 1, 2}
    assert len({str(j.path) for j in plan.finetune}) == len(plan.finetune) < len(plan.rows)
    assert capsys.readouterr().err == ""


def test_book_fills_the_cache_as_one_schedule_and_refuses_no_cache(no_work, monkeypatch, capsys):
    one_line_error(capsys, ["run", "book", "--scale", "smoke", "--no-cache"], r"'book' fills the results cache")
    scheduled = []
    monkeypatch.setattr(adamix, "execute", lambda plan, **kw: scheduled.append(plan) or {})
    assert main(["run", "book", "--scale", "smoke", "--device", "cpu"]) == 0
    [plan] = scheduled
    experiments = {row[0] for row in plan.rows}
    assert experiments == {"fig4", "readings", "fig5", "fig6", "fig7", "fig8", "explanations", "beyond"}
    for name in ("fig5", "fig6", "fig7", "fig8"):  # every experiment under every reading, with several seeds
        assert {row[1] for row in plan.rows if row[0] == name} == {r.name for r in adamix.READINGS}
        assert len({row[4] for row in plan.rows if row[0] == name}) > 1
    hypotheses = {row[1] for row in plan.rows if row[0] == "explanations"}
    assert hypotheses == {"default"} | {h.reading.name for h in adamix.HYPOTHESES}
    assert "fine-tunings at smoke scale in the cache" in capsys.readouterr().out


# --- environment variables and every folder a run writes: checked before any work ---------------
@pytest.mark.parametrize("variable,value,accepted", [
    ("OPTIMBOOK_WORKERS", "abc", r"an integer >= 1"),
    ("OPTIMBOOK_WORKERS", "0", r"an integer >= 1"),
    ("OPTIMBOOK_WORKERS", "-3", r"an integer >= 1"),
    ("OPTIMBOOK_WORKERS", "2.5", r"an integer >= 1"),
    ("OPTIMBOOK_CHECKPOINT_SECONDS", "abc", r">= 0"),
    ("OPTIMBOOK_CHECKPOINT_SECONDS", "-1", r">= 0"),
    ("OPTIMBOOK_CHECKPOINT_SECONDS", "nan", r">= 0"),
])
def test_a_bad_environment_variable_is_one_line_naming_it_and_its_range(no_work, capsys, monkeypatch,
                                                                        variable, value, accepted):
    monkeypatch.setenv(variable, value)
    line = one_line_error(capsys, ["run", "fig4", "--scale", "smoke", "--device", "cpu"],
                          rf"{variable} must be .*{accepted}")
    assert repr(value) in line or value in line


@pytest.mark.parametrize("variable", ["OPTIMBOOK_WORKERS", "OPTIMBOOK_CHECKPOINT_SECONDS"])
def test_a_bad_environment_variable_is_refused_before_any_work_as_a_process(tmp_path, variable, mnist_root):
    """The same through the console entry point: exit status 2, one line, no traceback."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "OPTIMBOOK_RESULTS": str(tmp_path / "results"),
           "OPTIMBOOK_DATA": str(mnist_root), variable: "abc"}
    result = subprocess.run([sys.executable, "-m", "optimlab", "run", "fig5", "--scale", "smoke", "--device", "cpu",
                             "--workers", "1"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert variable in result.stderr
    assert not (tmp_path / "results" / "smoke" / "runs").exists() or not any(
        (tmp_path / "results" / "smoke" / "runs").iterdir())


@pytest.mark.parametrize("folder", ["runs", "pretrained", "checkpoints"])
def test_every_folder_a_run_writes_is_checked_up_front(no_work, capsys, tmp_path, monkeypatch, folder):
    results = tmp_path / "results"
    (results / "smoke").mkdir(parents=True)
    (results / "smoke" / folder).write_text("")  # a file where the folder should be
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(results))
    one_line_error(capsys, ["run", "fig4", "--scale", "smoke", "--device", "cpu"],
                   rf"results folder {results / 'smoke' / folder} is not writable")


def test_translation_writes_every_optimizer_and_seed_through_the_console_script(tmp_path):
    """``optimbook run translation --scale smoke --seeds 0 1`` (the installed console script):
    results/smoke/translation.csv with every optimizer of the survey's three families, both seeds."""
    import os
    import shutil
    import subprocess

    import pandas as pd

    import sys
    from pathlib import Path

    beside = Path(sys.executable).with_name("optimbook")  # the venv's console script
    script = str(beside) if beside.is_file() else shutil.which("optimbook")
    assert script is not None, "the console script 'optimbook' is not installed (make env)"
    env = {**os.environ, "OPTIMBOOK_RESULTS": str(tmp_path / "results")}
    result = subprocess.run([script, "run", "translation", "--scale", "smoke", "--seeds", "0", "1",
                             "--device", "cpu"], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    frame = pd.read_csv(tmp_path / "results" / "smoke" / "translation.csv")
    assert {"optimizer", "family", "lr", "seed", "epoch", "val_loss", "test_bleu", "test_chrf"} <= set(frame.columns)
    wanted = {"SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adadelta", "AdaDec", "AdaMix",
              "Adam", "AMSGrad", "AdamW", "Nadam"}
    assert set(frame["optimizer"]) == wanted
    assert set(frame["seed"]) == {0, 1}
    assert frame.groupby("optimizer")["family"].nunique().eq(1).all() and frame["family"].nunique() == 3
    assert "C7" in result.stdout


# --- --readings: every experiment under every reading (issue 23) ---------------------------------
def _fake_runs(monkeypatch):
    import pandas as pd

    seen, scheduled = [], []

    def fake_run(name, **kw):
        seen.append((name, kw.get("readings")))
        names = [r.name for r in (kw.get("readings") or adamix.READINGS[:1])]
        return pd.DataFrame({"epoch": [1] * len(names), "reading": names, "strategy": ["Cons"] * len(names),
                             "data_fraction": [0.1] * len(names), "test_rer": [1.0] * len(names)})

    monkeypatch.setattr(adamix, "run", fake_run)
    monkeypatch.setattr(adamix, "execute", lambda plan, **kw: scheduled.append(plan) or {})
    monkeypatch.setattr(adamix, "runs_to_csv", lambda frame, name, scale: f"{scale}/{name}.csv")
    return seen, scheduled


def test_readings_all_runs_every_experiment_under_every_reading(no_work, monkeypatch, capsys):
    seen, scheduled = _fake_runs(monkeypatch)
    assert main(["run", "all", "--scale", "smoke", "--readings", "all", "--seeds", "0", "1", "--device", "cpu"]) == 0
    assert [name for name, _ in seen] == sorted(adamix.EXPERIMENTS)
    assert all(tuple(r) == adamix.READINGS for _, r in seen)
    [plan] = scheduled
    for experiment in adamix.EXPERIMENTS:
        assert {row[1] for row in plan.rows if row[0] == experiment} == {r.name for r in adamix.READINGS}
    out = capsys.readouterr().out
    assert all(r.name in out for r in adamix.READINGS)


def test_readings_by_name_keep_their_order_and_default_is_the_experiments_own(no_work, monkeypatch, capsys):
    seen, _ = _fake_runs(monkeypatch)
    names = [r.name for r in adamix.READINGS]
    assert main(["run", "fig5", "--scale", "smoke", "--readings", names[2], names[0], "--device", "cpu"]) == 0
    assert [r.name for r in seen[-1][1]] == [names[2], names[0]]
    assert main(["run", "fig5", "--scale", "smoke", "--device", "cpu"]) == 0
    assert seen[-1][1] is None


def test_an_unknown_reading_is_one_line_naming_the_choices(no_work, capsys):
    line = one_line_error(capsys, ["run", "fig5", "--scale", "smoke", "--readings", "bogus"],
                          r"--readings must be 'all' or among")
    assert all(r.name in line for r in adamix.READINGS)


@pytest.mark.parametrize("experiment", ["translation", "book"])
def test_readings_are_refused_where_they_mean_nothing(no_work, capsys, experiment):
    one_line_error(capsys, ["run", experiment, "--scale", "smoke", "--readings", "all"],
                   rf"--readings is not used by '{experiment}'")


def test_explanations_run_from_the_command_line_with_the_seeds_given(no_work, monkeypatch, capsys):
    seen, _ = _fake_runs(monkeypatch)
    assert main(["run", "explanations", "--scale", "smoke", "--seeds", "0", "1", "--device", "cpu"]) == 0
    assert [name for name, _ in seen] == ["explanations"] and seen[0][1] is None
    assert "explanations:" in capsys.readouterr().out
