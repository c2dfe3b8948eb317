"""Command line: ``python -m optimbook run fig4 --scale paper [--seeds 0 1 2] [--device cuda]``.

Runs one of He & Li's experiments (fig4 … fig8, or ``all``), reusing finished runs from the cache,
and writes ``results/<scale>/<experiment>.csv``.
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    from .experiments import adamix

    parser = argparse.ArgumentParser(prog="python -m optimbook", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an AdaMix-paper experiment and write its CSV")
    run.add_argument("experiment", choices=sorted(adamix.EXPERIMENTS) + ["all"])
    run.add_argument("--scale", choices=("smoke", "paper"), default="paper")
    run.add_argument("--seeds", type=int, nargs="+", default=[0])
    run.add_argument("--device", default="auto")
    run.add_argument("--no-cache", action="store_true", help="recompute even finished runs")
    run.add_argument("--workers", type=int, default=None,
                     help="processes for independent runs (default: one per core at paper scale on CPU)")
    args = parser.parse_args(argv)
    names = sorted(adamix.EXPERIMENTS) if args.experiment == "all" else [args.experiment]
    for name in names:
        tic = time.perf_counter()
        frame = adamix.run(name, scale=args.scale, seeds=args.seeds, device=args.device,
                           cache=not args.no_cache, progress=True, workers=args.workers)
        path = adamix.runs_to_csv(frame, name, args.scale)
        final = frame[frame["epoch"] == frame["epoch"].max()]
        summary = final.groupby(["strategy", "data_fraction"], sort=False)["test_rer"].mean()
        print(f"{name}: {len(frame)} rows -> {path} ({time.perf_counter() - tic:.1f} s)")
        for (strategy, fraction), value in summary.items():
            print(f"  {strategy:<14} fraction {fraction:<4} test RER {value:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
