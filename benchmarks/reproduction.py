"""Wall time and FLOP rate of He & Li's five experiments at paper scale, against the machine's floor.

    .venv/bin/python benchmarks/reproduction.py [--scale paper] [--device cpu] [--sequential] [--no-compile]

Makes fig4 … fig8 (one seed) into a fresh, empty results folder, so everything is computed once:
one pretraining per data fraction and one fine-tuning per distinct (strategy, fraction), shared
between experiments as the results cache shares them in the book.

By default the five experiments are one plan (``adamix.plan([...])``) and one schedule
(``adamix.execute``): a fine-tuning starts as soon as its pretrained stack exists, and a free worker
takes the longest ready job. ``--sequential`` runs them as the book's chapters do, one
``adamix.run`` per experiment, each starting when the last job of the one before has finished
(with a row per experiment).

It prints every job group's work (matrix products, counted by :mod:`optimlab.cost.ledger` from the
layer sizes, data sizes and steps), its core-seconds (from the cache's own timings) and its rate per
core, then the total: wall time, the floor (the work at the machine's measured fp32 matmul peak over
all its threads), their ratio, and how busy the cores were (Σ job seconds / (wall × workers)).
Target on 2 CPU cores: wall within 1.25× of the floor. The peak is measured before the run and
again after it: on a shared virtual machine it moves between measurements (here 200-224 GFLOP/s),
and the two ratios show how much of a change in the ratio is the machine's.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import torch

from optimlab.experiments import adamix
from optimlab.experiments.adamix.runner import job_flop
from optimlab.cost.machine import peak_gflops
from optimlab.training.clock import Clock
from optimlab.runtime import resolve_device

EXPERIMENTS = ["fig4", "fig5", "fig6", "fig7", "fig8"]


def job_seconds(the_plan: adamix.Plan) -> tuple[dict, dict]:
    """(pretraining seconds by job, fine-tuning wall seconds by job) from the cache's records; the
    jobs of a lockstep group (one worker) share its wall time evenly."""
    pre, fine = {}, {}
    for job in the_plan.finetune:
        saved = json.loads(job.path.read_text())
        fine[job] = saved["wall_seconds"] / saved["replicas"]  # a lockstep group's wall, shared evenly
    for job in the_plan.pretrain:
        pre[job] = torch.load(job.path, weights_only=True)["log"]["seconds"]
    return pre, fine


def report(the_plan: adamix.Plan, wall: float, peak: float, workers: int, peak_after: float | None = None) -> None:
    pre, fine = job_seconds(the_plan)
    print(f"{'job group':<26} {'jobs':>4} {'core-s':>8} {'TFLOP':>7} {'GFLOP/s per core':>17}")
    busy = flop = 0.0
    for kind, seconds in (("pretraining", pre), ("fine-tuning", fine)):
        for fraction in sorted({job.fraction for job in seconds}):
            jobs = [job for job in seconds if job.fraction == fraction]
            s = sum(seconds[job] for job in jobs)
            f = sum(job_flop(job) for job in jobs)
            busy += s
            flop += f
            print(f"{kind + f' (fraction {fraction:g})':<26} {len(jobs):>4} {s:8.1f} {f / 1e12:7.1f} "
                  f"{f / s / 1e9 if s else 0.0:17.1f}")
    floor = flop / peak / 1e9
    print(f"{'all':<26} {len(pre) + len(fine):>4} {busy:8.1f} {flop / 1e12:7.1f}")
    print(f"wall {wall:.1f} s = {wall / 60:.1f} min; floor at the measured peak {floor:.1f} s = "
          f"{floor / 60:.1f} min; wall / floor = {wall / floor:.2f}; achieved {flop / wall / 1e9:.1f} "
          f"GFLOP/s ({flop / wall / 1e9 / peak:.0%} of peak); cores busy {busy / (wall * workers):.0%} "
          f"(Σ job seconds / (wall × {workers} workers))")
    if peak_after is not None:
        after = flop / peak_after / 1e9
        print(f"peak measured again after the run: {peak_after:.0f} GFLOP/s; floor {after:.1f} s; "
              f"wall / floor = {wall / after:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("paper", "smoke"), default="paper")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sequential", action="store_true",
                        help="one adamix.run per experiment, in order (each its own schedule)")
    parser.add_argument("--no-lockstep", action="store_true", help="fine-tune strategies one at a time")
    parser.add_argument("--no-compile", action="store_true",
                        help="AdaMix's weight update eager instead of torch.compile'd (Setup.compile_updates=False)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: the runner's)")
    parser.add_argument("--experiments", nargs="+", default=EXPERIMENTS)
    parser.add_argument("--results", type=Path, default=None, help="results folder (default: a fresh temp dir)")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    results = args.results or Path(tempfile.mkdtemp(prefix="optimbook-bench-"))
    os.environ["OPTIMBOOK_RESULTS"] = str(results)
    setup = adamix.SETUPS[args.scale]
    if args.no_lockstep:
        setup = replace(setup, lockstep=False)
    if args.no_compile:
        setup = replace(setup, compile_updates=False)
    workers = args.workers or adamix.default_workers(args.scale, device)
    peak = peak_gflops(device, repeats=10)
    print(f"device {device} ({torch.get_num_threads()} threads), torch {torch.__version__}, scale {args.scale}, "
          f"{workers} workers, {'sequential' if args.sequential else 'one schedule'}")
    print(f"measured fp32 matmul peak: {peak:.0f} GFLOP/s; results in {results}")
    the_plan = adamix.plan(args.experiments, args.scale, (0,), device, setup=setup)
    clock = Clock()  # the host's wall time: the work runs in the workers
    clock.start()
    if args.sequential:
        for name in args.experiments:
            adamix.run(name, scale=args.scale, seeds=(0,), device=device, setup=setup, workers=workers)
            clock.lap(name)
            print(f"  {name}: {clock.laps(name)[0]:.1f} s")
    else:
        adamix.execute(the_plan, workers=workers)
        clock.lap("all")
    wall = clock.total()
    peak_after = peak_gflops(device, repeats=10)
    report(the_plan, wall, peak, workers, peak_after)


if __name__ == "__main__":
    main()
