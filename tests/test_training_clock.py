"""optimlab.training.clock.Clock: laps by part, stretches excluded between stop and start, budgets."""

from __future__ import annotations

import time

import pytest

from optimlab.training.clock import Clock


class FakeHost:
    """A host clock that reads the times it is given, in order."""

    def __init__(self, *times: float) -> None:
        self.times = list(times)

    def __call__(self) -> float:
        return self.times.pop(0)


def test_laps_go_to_their_parts_and_the_time_between_stop_and_start_is_not_counted():
    # start 0, lap a at 1, lap b at 3, stop (no part); start 10, lap a at 14, stop with b at 15
    clock = Clock(host=FakeHost(0.0, 1.0, 3.0, 10.0, 14.0, 15.0))
    clock.start()
    clock.lap("a")
    clock.lap("b")
    clock.stop()
    clock.start()
    clock.lap("a")
    clock.stop("b")
    assert clock.laps("a") == [1.0, 4.0] and clock.laps("b") == [2.0, 1.0]
    assert clock.read() == {"a": 5.0, "b": 3.0}
    assert clock.total() == 8.0


def test_elapsed_counts_the_running_stretch_without_a_lap():
    clock = Clock(host=FakeHost(0.0, 2.0, 5.0, 7.5))
    clock.start()
    clock.lap()
    assert clock.elapsed() == 5.0  # 2 s lapped, 3 s running
    assert clock.read() == {"total": 2.0}
    clock.stop()
    assert clock.elapsed() == 2.0


def test_the_default_host_clock_measures_real_time():
    clock = Clock()
    clock.start()
    time.sleep(0.02)
    clock.stop("sleep")
    assert 0.02 <= clock.read()["sleep"] < 1.0


def test_a_lap_before_start_is_refused():
    with pytest.raises(RuntimeError, match="before Clock.start"):
        Clock().lap()
