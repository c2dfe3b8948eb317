"""The measuring half of ``benchmarks/gpu_check.sh`` (run it through that script).

    python benchmarks/gpu_check.py tests  REPORT          # tests/test_cuda.py without pytest
    python benchmarks/gpu_check.py run    REPORT EXPERIMENT --scale paper --device cuda
    python benchmarks/gpu_check.py machine REPORT --device cuda
    python benchmarks/gpu_check.py compile REPORT --scale paper --device cuda

Each command appends a markdown section to REPORT. ``run`` times one experiment from an empty
results cache (pretraining and fine-tuning, one seed), and prints its floating-point work
(:mod:`optimlab.cost.ledger`) and the achieved rate against the measured fp32 matmul peak.
``compile`` runs the same lockstep fine-tuning steps (fig4's strategies on the paper's network) eager,
with the loss through ``torch.compile`` (``finetune(..., compile=True)``) and, on a GPU, with CUDA
graphs too (``compile="reduce-overhead"``): milliseconds per step, compilation seconds, and the
largest difference of the losses from the eager run's.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def append(report: Path, text: str) -> None:
    with report.open("a") as f:
        f.write(text.rstrip() + "\n\n")
    print(text)


def tests(report: Path) -> int:
    """Every ``test_*`` function of tests/test_cuda.py, without pytest."""
    sys.path.insert(0, str(ROOT / "tests"))
    module = importlib.import_module("test_cuda")
    from optimlab.training.clock import Clock

    rows, failed = [], 0
    for name in sorted(n for n in dir(module) if n.startswith("test_")):
        clock = Clock()
        clock.start()
        try:
            getattr(module, name)()
            outcome = "passed"
        except unittest.SkipTest as skip:
            outcome = f"skipped ({skip})"
        except Exception:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            outcome = "FAILED: " + traceback.format_exc().strip().splitlines()[-1]
            traceback.print_exc()
        clock.stop("test")
        rows.append(f"| `{name}` | {outcome} | {clock.total():.1f} |")
    append(report, "### tests/test_cuda.py (plain runner: pytest is not installed)\n\n| test | outcome | s |\n"
           "| --- | --- | --- |\n" + "\n".join(rows))
    return 1 if failed else 0


def machine(report: Path, device: str) -> int:
    import torch

    from optimlab.cost.machine import describe, peak_gflops

    info = describe(device)
    peak = peak_gflops(device)
    lines = [f"| {k} | {v} |" for k, v in info.items()]
    lines += [f"| torch | {torch.__version__} (CUDA {torch.version.cuda}) |",
              f"| fp32 matmul peak | {peak:.0f} GFLOP/s (TF32 {'on' if torch.backends.cuda.matmul.allow_tf32 else 'off'}) |"]
    append(report, "### Machine\n\n| | |\n| --- | --- |\n" + "\n".join(lines))
    (report.parent / "peak.json").write_text(json.dumps({"device": device, "peak_gflops": peak}))
    return 0


def run(report: Path, name: str, scale: str, device: str, after: list[str]) -> int:
    from optimlab.cost import ledger
    from optimlab.experiments import adamix
    from optimlab.training.clock import Clock

    results = Path(os.environ["OPTIMBOOK_RESULTS"])
    peak_file = report.parent / "peak.json"
    peak = json.loads(peak_file.read_text())["peak_gflops"] if peak_file.is_file() else float("nan")
    clock = Clock()  # the host's wall time of the whole run
    clock.start()
    frame = adamix.run(name, scale=scale, seeds=(0,), device=device, progress=False, workers=1)
    clock.stop("run")
    seconds = clock.total()
    try:  # the runner's own record of where the time went
        info = adamix.run_info(name, scale=scale, seeds=(0,), device=device)
        reused = {f for prior in after for f in adamix.experiment(prior).fractions}
        info = info[~info["data_fraction"].isin(reused)]  # runs an earlier experiment made (cached here)
        pre = info.drop_duplicates(["data_fraction"])["pretraining_seconds"].sum()
        fine = info.drop_duplicates(["data_fraction", "wall_seconds"])["wall_seconds"].sum()
    except Exception:  # noqa: BLE001 - the timing table is optional
        pre = fine = float("nan")
    # the work this run did: its own items, less those the experiments run before it left cached
    seen = {i.key for prior in after for i in ledger.adamix_items("gpu_check", prior, scale=scale)}
    work = ledger.Count()
    for item in ledger.adamix_items("gpu_check", name, scale=scale):
        if item.key not in seen:
            seen.add(item.key)
            work = work + item.count
    rate = work.total / seconds / 1e9
    final = frame[frame["epoch"] == frame["epoch"].max()]
    rers = ", ".join(f"{r.strategy} ({r.data_fraction:g}): {r.test_rer:.3f}" for r in final.itertuples())
    append(report, f"### {name} at {scale} scale on {device} (one seed, empty cache)\n\n"
           f"| wall s | pretraining s | fine-tuning s | TFLOP done | GFLOP/s | of peak | floor s |\n"
           f"| --- | --- | --- | --- | --- | --- | --- |\n"
           f"| {seconds:.1f} | {pre:.1f} | {fine:.1f} | {work.total / 1e12:.2f} | {rate:.0f} | {rate / peak:.1%} | "
           f"{work.total / peak / 1e9:.1f} |\n\nfinal test RER: {rers}\n\n(results in `{results}`)")
    return 0


def compiled(report: Path, scale: str, device: str) -> int:
    """The lockstep fine-tuning step eager and through torch.compile (and CUDA graphs on a GPU):
    one row per mode, appended to ``report`` as soon as it is measured."""
    import torch

    from optimbook.optim import PerRole
    from optimlab.experiments import adamix
    from optimlab.training.clock import Clock
    from optimlab.training.finetuning import train_epoch
    from optimlab.training.loop import batches
    from optimlab.training.models.autoencoder import DeepAutoencoder
    from optimlab.training.models.rbm import RBM

    dev = torch.device(device)
    if dev.type == "cpu":
        torch.set_num_threads(1)  # as the runner's workers
    setup = adamix.SETUPS["paper"]
    sizes = list(setup.sizes) if scale == "paper" else [setup.sizes[0], 64, 32, 16, 8]
    steps = 40 if scale == "paper" else 10
    g = torch.Generator().manual_seed(0)
    x = torch.rand(steps * setup.batch_size, sizes[0], generator=g).to(dev)
    order = list(batches(len(x), setup.batch_size, seed=0, epoch=0, device=dev))  # full batches: one shape
    rbms = [RBM(a, b, hidden="gaussian" if i == len(sizes) - 2 else "binary", generator=g)
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
    strategies = adamix.EXPERIMENTS["fig4"].strategies
    modes = [False, True] + (["reduce-overhead"] if dev.type == "cuda" else [])
    header = (f"### Compiled fine-tuning steps ({len(strategies)} strategies in lockstep, "
              f"{'-'.join(map(str, sizes))}, batch {setup.batch_size}, {steps} steps per pass, {device})\n\n"
              "| compile | first pass s (with compilation) | ms per step | largest relative difference of a loss from eager |\n"
              "| --- | --- | --- | --- |")
    with report.open("a") as f:
        f.write(header + "\n")
    print(header)
    reference = None
    failed = 0
    for mode in modes:
        try:
            model = DeepAutoencoder.unroll(rbms, replicas=len(strategies)).to(dev)
            opts = [PerRole(model.replica_parameters(k), weight=w, bias=b) for k, (w, b) in
                    enumerate(adamix.strategy_rules(s, setup, len(order)) for s in strategies)]
            first = Clock(dev)
            first.start()
            losses = torch.stack(train_epoch(model, opts, x, order, compile=mode))
            first.stop("first")
            clock = Clock(dev)
            train_epoch(model, opts, x, order, clock, compile=mode)
            per_step = clock.total() / len(order) * 1e3
            if reference is None:
                reference = losses
            diff = ((losses - reference).abs() / reference.abs()).max().item()
            row = f"| {mode} | {first.total():.1f} | {per_step:.2f} | {diff:.2e} |"
        except Exception as err:  # noqa: BLE001 - report the mode that failed, try the next
            failed += 1
            traceback.print_exc()
            row = f"| {mode} | failed: {type(err).__name__}: {str(err).splitlines()[0][:100]} | | |"
        with report.open("a") as f:
            f.write(row + "\n")
        print(row)
    with report.open("a") as f:
        f.write("\n")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("tests", "run", "machine", "compile"))
    parser.add_argument("report", type=Path)
    parser.add_argument("experiment", nargs="?")
    parser.add_argument("--scale", default="paper")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--after", nargs="*", default=[], help="experiments run before into the same cache")
    args = parser.parse_args(argv)
    if args.command == "tests":
        return tests(args.report)
    if args.command == "machine":
        return machine(args.report, args.device)
    if args.command == "compile":
        return compiled(args.report, args.scale, args.device)
    return run(args.report, args.experiment, args.scale, args.device, args.after)


if __name__ == "__main__":
    sys.exit(main())
