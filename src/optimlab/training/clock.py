"""The one timer of the book's machinery: seconds spent in the named parts of a loop.

:class:`Clock` is used by every loop and measurement that reports time (:func:`~optimlab.training.loop.fit`,
fine-tuning, pretraining, :func:`optimlab.cost.timing.step_times`, the benchmarks). A loop calls
:meth:`Clock.start` where a timed stretch begins and :meth:`Clock.lap` where a part of it ends (the
next part begins there); :meth:`Clock.read` gives the seconds of each part.

Where the work runs decides how it is timed, inside the clock only (the loops are the same on every
device):

- on the CPU the host clock (``time.perf_counter``, or another such as ``time.thread_time``) is read
  at each mark: the work is done when the call returns;
- on a GPU each mark records a CUDA event on the current stream, and :meth:`Clock.read` resolves
  them after one synchronisation with the last event: the loop itself never waits for the device.
  :meth:`Clock.elapsed` gives a running total without waiting (the host's view, for budgets).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

__all__ = ["Clock"]


class Clock:
    """Seconds of the named parts of a loop, per lap, without waiting for the device.

    Args:
        device: where the timed work runs (``"cuda…"``: CUDA events; anything else: the host clock).
        host: the host clock (default ``time.perf_counter``; ``time.thread_time`` measures the CPU
            time of this thread, which other processes on a shared machine do not inflate).
    """

    def __init__(self, device: torch.device | str = "cpu", *,
                 host: Callable[[], float] = time.perf_counter) -> None:
        self.cuda = torch.device(device).type == "cuda"
        self.host = host
        self._laps: dict[str, list[float]] = {}
        self._events: list[tuple[str | None, object]] = []  # CUDA: (part ending here, event)
        self._tic: float | None = None
        self._host_total = 0.0

    def start(self) -> None:
        """Begin a timed stretch now (time since the last lap, if any, is not counted)."""
        self._tic = self.host()
        if self.cuda:
            self._events.append((None, self._record()))

    def lap(self, part: str = "total") -> None:
        """End ``part`` now (the time since :meth:`start` or the last lap goes to it); the next part
        begins here."""
        if self._tic is None:
            raise RuntimeError("Clock.lap called before Clock.start")
        toc = self.host()
        self._host_total += toc - self._tic
        if self.cuda:
            self._events.append((part, self._record()))
        else:
            self._laps.setdefault(part, []).append(toc - self._tic)
        self._tic = toc

    def stop(self, part: str | None = None) -> None:
        """End the stretch: :meth:`lap` of ``part`` if given; nothing is counted until the next
        :meth:`start`."""
        if part is not None:
            self.lap(part)
        self._tic = None

    @staticmethod
    def _record():
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        return event

    def _resolve(self) -> None:
        if not self._events:
            return
        self._events[-1][1].synchronize()
        previous = None
        for part, event in self._events:
            if part is not None and previous is not None:
                self._laps.setdefault(part, []).append(previous.elapsed_time(event) / 1e3)
            previous = event
        self._events = [] if self._tic is None else [(None, self._events[-1][1])]

    def laps(self, part: str = "total") -> list[float]:
        """The seconds of every lap of ``part`` so far (on a GPU: one synchronisation)."""
        self._resolve()
        return list(self._laps.get(part, []))

    def read(self) -> dict[str, float]:
        """Seconds of each part so far (on a GPU: one synchronisation, with the last event)."""
        self._resolve()
        return {part: sum(laps) for part, laps in self._laps.items()}

    def total(self) -> float:
        """Seconds of all parts together (:meth:`read` summed)."""
        return sum(self.read().values())

    def elapsed(self) -> float:
        """All the laps' seconds and the running stretch's, by the host clock, without waiting for the
        device (on a GPU: the time the host spent launching; for budgets, not for reports)."""
        running = 0.0 if self._tic is None else self.host() - self._tic
        return self._host_total + running
