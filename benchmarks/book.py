"""The book's FLOP ledger: work per chapter (counted from models, data sizes and steps), time per
chapter (papermill's, from the executed notebooks), achieved rate and distance from the floor.

    .venv/bin/python benchmarks/book.py [--scale paper] [--executed executed/paper]
                                        [--peak GFLOPS | --device cpu] [--items]

TFLOP is the work a chapter does when the book is built in order from a cold results cache (runs
that chapters share are paid by the first one that needs them); "needed" is its work alone.
Seconds come from ``executed/<scale>/*.ipynb`` (papermill's ``duration``); a chapter not executed
there reads "not run". The floor is TFLOP at the measured fp32 matmul peak of this machine (or
``--peak``); "× floor" is seconds / floor. Counting conventions: :mod:`optimlab.cost.ledger`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

from optimlab.cost import ledger
from optimlab.cost.machine import peak_gflops
from optimlab.runtime import resolve_device


def _fmt(x: float, spec: str, missing: str = "not run") -> str:
    return missing if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("paper", "smoke"), default="paper")
    parser.add_argument("--executed", type=Path, default=None, help="default: executed/<scale>")
    parser.add_argument("--peak", type=float, default=None, help="fp32 matmul peak in GFLOP/s (default: measure)")
    parser.add_argument("--device", default="cpu", help="device whose peak is measured")
    parser.add_argument("--items", action="store_true", help="also list every chapter's items")
    args = parser.parse_args(argv)
    executed = args.executed or Path("executed") / args.scale
    device = resolve_device(args.device)
    peak = args.peak or peak_gflops(device)
    frame = ledger.table(args.scale, executed=executed, peak_gflops=peak)
    print(f"scale {args.scale}; seconds from {executed}{'' if executed.is_dir() else ' (absent)'}; "
          f"fp32 matmul peak {peak:.0f} GFLOP/s ({'given' if args.peak else f'measured on {device}, {torch.get_num_threads()} threads'})")
    print(f"{'chapter':<34} {'TFLOP':>8} {'needed':>8} {'matmul':>7} {'seconds':>9} {'GFLOP/s':>8} "
          f"{'floor s':>8} {'× floor':>8}")
    for row in frame.itertuples(index=False):
        print(f"{row.chapter:<34} {row.TFLOP:8.3f} {row[2]:8.3f} {_fmt(row[3], '7.1%', '-'):>7} "
              f"{_fmt(row.seconds, '9.1f'):>9} {_fmt(row[5], '8.1f', '-'):>8} {row[6]:8.1f} "
              f"{_fmt(row[7], '8.1f', '-'):>8}")
    notes = frame[frame["notes"] != ""][["chapter", "notes"]]
    if len(notes):
        print("\nnotes:")
        for row in notes.itertuples(index=False):
            print(f"  {row.chapter}: {row.notes}")
    if args.items:
        print("\nitems (TFLOP; * = shared through the results cache):")
        for item in ledger.chapter_items(args.scale):
            print(f"  {item.chapter:<34} {item.count.total / 1e12:9.4f} {'*' if item.key else ' '} {item.what}")


if __name__ == "__main__":
    main()
