"""The book's FLOP ledger from records: work per chapter (summed from what its runs recorded), time
per chapter (papermill's), achieved rate and distance from the floor; then the AdaMix plans' work
from the runs' records in the results cache.

    .venv/bin/python benchmarks/book.py [--scale paper] [--executed executed/paper]
                                        [--peak GFLOPS | --device cpu] [--kinds]

Work comes from ``executed/<scale>/*.ipynb``: each executed notebook carries its chapter's record
(``metadata.optimlab.work``, written by ``tools/execute_notebook.py`` from
:mod:`optimlab.training.work`), seconds from papermill's ``duration``. "done" is the work a chapter
did in that build, "reused" what it read from the results cache, "cold" its work in a build from an
empty cache (chapters in book order, each shared run once), "needed" its work alone. A chapter
executed before runs recorded their work reads "not recorded". The floor is "done" at the measured
fp32 matmul peak of this machine (or ``--peak``); "× floor" is seconds / floor. The AdaMix plans'
work (``results/<scale>``) is read from each run's record, or counted by the closed forms for runs
the cache lacks. Counting conventions: :mod:`optimlab.training.flops`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

from optimlab.cost import ledger
from optimlab.cost.machine import peak_gflops
from optimlab.experiments.cache import results_root
from optimlab.runtime import resolve_device


def _fmt(x: float, spec: str, missing: str = "not recorded") -> str:
    return missing if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("paper", "smoke"), default="paper")
    parser.add_argument("--executed", type=Path, default=None, help="default: executed/<scale>")
    parser.add_argument("--peak", type=float, default=None, help="fp32 matmul peak in GFLOP/s (default: measure)")
    parser.add_argument("--device", default="cpu", help="device whose peak is measured and whose runs are read")
    parser.add_argument("--kinds", action="store_true", help="also sum the work by kind of run")
    args = parser.parse_args(argv)
    executed = args.executed or Path("executed") / args.scale
    device = resolve_device(args.device)
    peak = args.peak or peak_gflops(device)
    frame = ledger.table(args.scale, executed=executed, peak_gflops=peak)
    print(f"scale {args.scale}; records from {executed}{'' if executed.is_dir() else ' (absent)'}; "
          f"fp32 matmul peak {peak:.0f} GFLOP/s ({'given' if args.peak else f'measured on {device}, {torch.get_num_threads()} threads'})")
    print(f"{'chapter':<34} {'done':>9} {'reused':>9} {'cold':>9} {'needed':>9} {'matmul':>7} {'seconds':>9} "
          f"{'GFLOP/s':>8} {'floor s':>8} {'× floor':>8}   (TFLOP)")
    for row in frame.to_dict("records"):
        work = " ".join(f"{_fmt(row[k], '9.3f', '-'):>9}" for k in ("done", "reused", "cold", "needed"))
        print(f"{row['chapter']:<34} {work} {_fmt(row['matmul share'], '7.1%', '-'):>7} "
              f"{_fmt(row['seconds'], '9.1f', 'not run'):>9} {_fmt(row['GFLOP/s'], '8.1f', '-'):>8} "
              f"{_fmt(row['floor s'], '8.1f', '-'):>8} {_fmt(row['× floor'], '8.1f', '-'):>8}")
    notes = frame[frame["notes"] != ""][["chapter", "notes"]]
    if len(notes):
        print("\nnotes:")
        for row in notes.itertuples(index=False):
            print(f"  {row.chapter}: {row.notes}")
    if args.kinds:
        print("\nby kind of run (TFLOP):")
        for row in ledger.kinds(args.scale, executed=executed).itertuples(index=False):
            print(f"  {row.kind:<34} cold {row.cold:9.3f}  done {row.done:9.3f}  in {row.chapters} chapter(s)")

    from optimlab.experiments.adamix import report, runner

    plans = report.compute(*runner.book_plans(args.scale, device))
    print(f"\nthe AdaMix plans the chapters share (runner.book_plans), from the runs' records in "
          f"{results_root() / args.scale}:")
    print(plans.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"total: {plans['TFLOP'].sum():.3f} TFLOP ({plans['matmul TFLOP'].sum():.3f} in matrix products), "
          f"{plans['cached'].sum()} of {plans['distinct runs'].sum()} runs in the cache (the closed forms count the others)")


if __name__ == "__main__":
    main()
