"""Wall time and FLOP rate of He & Li's five experiments at paper scale.

    .venv/bin/python benchmarks/reproduction.py [--scale paper] [--device cpu] [--no-lockstep]

Runs fig4 … fig8 (one seed) in order into a fresh, empty results folder, so everything is computed
once: pretraining once per data fraction, and each distinct (strategy, fraction) fine-tuning once
(Cons+Cons is shared by fig4-fig7, AdaMix on 1/10 by fig4 and fig8, as the cache shares them in the
book). For every experiment it prints the wall time, the floating-point work it did (counted from
the layer sizes: matrix products only) and the achieved rate against the machine's measured fp32
matmul peak. Target on 2 CPU cores: all five in 30 minutes; on one H100: 60 seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from optimbook.experiments import adamix
from optimbook.runtime import matmul_gflops, resolve_device


def layer_products(sizes) -> int:
    """Σ in × out over the RBMs, i.e. over one half of the unrolled autoencoder."""
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def pretraining_flop(setup: adamix.Setup, n_train: int) -> float:
    """CD-1: five products of the layer's size per example and epoch (v W, h Wᵀ, v' W, vᵀ h, v'ᵀ h'),
    plus one upward pass over the data per layer."""
    per_example = 10 * layer_products(setup.sizes)
    return per_example * n_train * setup.pretrain_epochs + 2 * layer_products(setup.sizes[:-1]) * n_train


def finetuning_flop(setup: adamix.Setup, n_train: int, n_test: int) -> float:
    """Forward (2·Σ in·out over 2(L−1) layers), backward (weight gradients everywhere, input gradients
    everywhere but the first layer), per image and epoch; plus the RER evaluations (forward only)."""
    forward = 2 * 2 * layer_products(setup.sizes)
    first = 2 * setup.sizes[0] * setup.sizes[1]
    step = 3 * forward - first
    evaluations = len(setup.finetuning().eval_epochs()) * (n_train + n_test) * forward
    return step * n_train * setup.epochs + evaluations


def new_files(folder: Path, before: set[Path]) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p not in before) if folder.is_dir() else []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("paper", "smoke"), default="paper")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-lockstep", action="store_true", help="fine-tune strategies one at a time")
    parser.add_argument("--experiments", nargs="+", default=["fig4", "fig5", "fig6", "fig7", "fig8"])
    parser.add_argument("--results", type=Path, default=None, help="results folder (default: a fresh temp dir)")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    results = args.results or Path(tempfile.mkdtemp(prefix="optimbook-bench-"))
    os.environ["OPTIMBOOK_RESULTS"] = str(results)
    setup = adamix.SETUPS[args.scale]
    if args.no_lockstep:
        setup = replace(setup, lockstep=False)
    peak = max(matmul_gflops(s, device=device) for s in (1024, 2048, 4096))
    print(f"device {device} ({torch.get_num_threads()} threads), torch {torch.__version__}, "
          f"scale {args.scale}, lockstep {setup.lockstep}")
    print(f"measured fp32 matmul peak: {peak:.0f} GFLOP/s; results in {results}")
    print(f"{'experiment':<10} {'seconds':>9} {'pretrain':>9} {'finetune':>9} {'TFLOP':>8} {'GFLOP/s':>8} {'of peak':>8}")
    total_s = total_flop = 0.0
    for name in args.experiments:
        folder = results / args.scale
        before = {d: set((folder / d).glob("*")) if (folder / d).is_dir() else set()
                  for d in ("runs", "pretrained")}
        tic = time.perf_counter()
        adamix.run(name, scale=args.scale, seeds=(0,), device=device, setup=setup)
        seconds = time.perf_counter() - tic
        flop = pre_s = fine_s = 0.0
        for path in new_files(folder / "pretrained", before["pretrained"]):
            saved = torch.load(path, weights_only=True)
            n_train = setup.numbers(saved["key"]["fraction"])[0]
            flop += pretraining_flop(setup, n_train)
            pre_s += saved["log"]["seconds"]
        groups = set()
        for path in new_files(folder / "runs", before["runs"]):
            if path.suffix != ".json":
                continue
            saved = json.loads(path.read_text())
            n_train, n_test = setup.numbers(saved["key"]["fraction"])
            flop += finetuning_flop(setup, n_train, n_test)
            groups.add((saved["key"]["fraction"], saved["wall_seconds"]))
        fine_s = sum(w for _, w in groups)
        total_s += seconds
        total_flop += flop
        rate = flop / seconds / 1e9 if seconds else 0.0
        print(f"{name:<10} {seconds:9.1f} {pre_s:9.1f} {fine_s:9.1f} {flop / 1e12:8.1f} {rate:8.1f} "
              f"{rate / peak:8.0%}")
    rate = total_flop / total_s / 1e9 if total_s else 0.0
    print(f"{'all':<10} {total_s:9.1f} {'':>9} {'':>9} {total_flop / 1e12:8.1f} {rate:8.1f} {rate / peak:8.0%}")
    print(f"all five: {total_s / 60:.1f} minutes (floor at the measured peak: "
          f"{total_flop / peak / 1e9 / 60:.1f} minutes)")


if __name__ == "__main__":
    main()
