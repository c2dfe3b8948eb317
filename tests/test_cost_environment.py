"""Chapter 19's tables and glued values (optimlab.cost.environment) and its figures."""

from __future__ import annotations

import json
import math

import matplotlib
import pandas as pd
import pytest
import torch

from optimlab.cost import environment as env
from optimlab.experiments.adamix import runner
from optimlab.presentation import environment_figures as figures

matplotlib.use("Agg")


def executed_folder(tmp_path, durations):
    """A made-up folder of executed notebooks, ``name: papermill duration`` (None: no duration)."""
    for name, seconds in durations.items():
        meta = {"papermill": {} if seconds is None else {"duration": seconds}}
        (tmp_path / f"{name}.ipynb").write_text(json.dumps({"metadata": meta, "cells": []}))
    return tmp_path


def test_chapter_times_are_papermill_durations_of_the_other_chapters(tmp_path):
    durations = {"02_b": 90.5, "01_a": 3.25, "03_c": None, env.SELF: 7.0}
    folder = executed_folder(tmp_path, durations)
    (tmp_path / "notes.ipynb").write_text("{}")  # not a chapter
    timings, values = env.chapter_times(folder)
    assert list(timings["notebook"]) == ["01_a", "02_b"]  # book order, no 19, none without a time
    assert list(timings["seconds"]) == [durations["01_a"], durations["02_b"]]
    assert values == {"env_total_minutes": (durations["01_a"] + durations["02_b"]) / 60, "env_chapters": 2}


def test_chapter_times_of_an_empty_folder(tmp_path):
    timings, values = env.chapter_times(tmp_path / "absent")
    assert len(timings) == 0
    assert values == {"env_total_minutes": 0.0, "env_chapters": 0}
    fig = figures.chapter_times(timings, "smoke", tmp_path / "absent")
    assert "no executed notebooks" in fig.axes[0].texts[0].get_text()


def test_the_times_figure_has_one_bar_per_chapter(tmp_path):
    timings, _ = env.chapter_times(executed_folder(tmp_path, {"01_a": 1.0, "02_b": 2.0, "05_e": 4.0}))
    fig = figures.chapter_times(timings, "smoke", tmp_path)
    assert [p.get_width() for p in fig.axes[0].patches] == [1.0, 2.0, 4.0]


def test_matmul_rates_measure_each_size_alone(monkeypatch):
    calls = []

    def fake_peak(device, sizes, repeats):
        calls.append((sizes, repeats))
        return float(sizes[0]) / 10

    monkeypatch.setattr(env, "peak_gflops", fake_peak)
    rates, values = env.matmul_rates("smoke", "cpu", repeats=3)
    assert calls == [((s,), 3) for s in env.MATMUL_SIZES["smoke"]]
    assert list(rates["size"]) == list(env.MATMUL_SIZES["smoke"])
    assert values["env_peak"] == max(env.MATMUL_SIZES["smoke"]) / 10 == rates["GFLOP/s"].max()
    assert values["env_device"] == env.describe("cpu")["CPU"]
    fig = figures.matmul_rates(rates)
    assert list(fig.axes[0].lines[0].get_ydata()) == list(rates["GFLOP/s"])


def test_matmul_rates_reject_an_unknown_scale():
    with pytest.raises(ValueError, match="scale"):
        env.matmul_rates("huge", "cpu")
    with pytest.raises(ValueError, match="scale"):
        env.machine_table("huge", "cpu")


def test_machine_table_names_the_scale_and_the_software():
    table = env.machine_table("smoke", "cpu")
    assert table.loc["scale", "value"] == "smoke"
    assert table.loc["torch", "value"] == torch.__version__
    assert table.loc["device", "value"] == "cpu"


@pytest.mark.parametrize("workers", [1, 3, 1000])
def test_schedule_values_are_runner_schedule_bounds(tmp_path, monkeypatch, workers):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    bounds, values = env.schedule_section(workers)
    five = runner.schedule_bound([runner.plan(n, "paper", (0,), "cpu") for n in env.FIVE], workers)
    book = runner.schedule_bound(runner.book_plans("paper", "cpu"), workers)
    assert bounds.iloc[0].to_dict() == five
    assert bounds.iloc[1].to_dict() == book
    assert values["sched_workers"] == workers
    assert values["sched_five_tflop"] == five["TFLOP"]
    assert values["sched_five_chain"] == five["longest chain / bound"]
    chain_decides = five["longest chain / bound"] >= 1
    assert values["sched_five_decides"].startswith("the chain decides" if chain_decides else "the work shared")
    assert "None of the" in values["sched_measured_note"]  # an empty cache measured nothing


def test_schedule_decision_flips_with_the_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path))
    assert env.schedule_section(1)[1]["sched_five_decides"] == "the work shared evenly decides it"
    assert env.schedule_section(1000)[1]["sched_five_decides"].startswith("the chain decides")


def scale_out_frame(ddp=(1e-7, 3e-7), fsdp=(2e-7, 1e-7), status=("trained", "trained"), dcp=(0.0, 0.0)):
    return pd.DataFrame({"ddp_max_diff": ddp, "fsdp2_max_diff": fsdp, "fsdp2": status, "dcp_max_diff": dcp},
                        index=pd.Index(["sgd", "adamix"], name="optimizer"))


def test_scale_out_values_describe_the_frame():
    values = env.scale_out_values(scale_out_frame(), world_size=2, steps=5)
    assert (values["ddp_world"], values["ddp_steps"], values["ddp_count"]) == (2, 5, 2)
    assert values["ddp_max"] == 3e-7 and values["ddp_worst"] == "adamix"
    assert values["fsdp_max"] == 2e-7
    assert values["dcp_note"] == "continued identically, to the last bit"
    assert values["fsdp_refused_note"] == "Every optimizer trained under FSDP2."
    assert values["ddp_verdict"].startswith("float32 rounding")


@pytest.mark.parametrize("which", ["ddp", "fsdp"])
def test_scale_out_verdict_flips_at_the_rounding_threshold(which):
    below = math.nextafter(env.FLOAT32_ROUNDING, 0)

    def verdict(worst):
        frame = scale_out_frame(**{which: (worst, 0.0)})
        return env.scale_out_values(frame, 2, 5)["ddp_verdict"]

    assert verdict(below).startswith("float32 rounding")
    assert verdict(env.FLOAT32_ROUNDING) == "more than float32 rounding would explain"


def test_scale_out_values_name_the_refused_and_the_checkpoint_difference():
    frame = scale_out_frame(status=("trained", "RuntimeError: no DTensor"), fsdp=(1e-7, math.nan), dcp=(4e-9, math.nan))
    values = env.scale_out_values(frame, 2, 5)
    assert values["fsdp_refused_note"].startswith("Under FSDP2, adamix refused")
    assert values["fsdp_max"] == 1e-7
    assert values["dcp_note"] == "continued within 4.0e-09 of the original"
    none = env.scale_out_values(scale_out_frame(status=("x", "y"), fsdp=(math.nan,) * 2, dcp=(math.nan,) * 2), 2, 5)
    assert none["dcp_note"].startswith("was not checked") and none["fsdp_max"] == 0.0


def test_ledger_section_of_an_empty_build(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_RESULTS", str(tmp_path / "results"))
    book, values = env.ledger_section("smoke", tmp_path / "executed", 10.0, "cpu")
    assert set(values) == {"ledger_plans_tflop", "ledger_plans_matmul", "ledger_plans_runs", "ledger_plans_cached",
                           "ledger_status"}
    assert values["ledger_plans_cached"] == 0  # nothing in an empty cache
    assert 0 < values["ledger_plans_matmul"] <= values["ledger_plans_tflop"]
    assert values["ledger_plans_runs"] > 0
    assert isinstance(values["ledger_status"], str)
