"""Where a paper-scale step of the AdaMix reproduction spends its time (torch.profiler, CPU).

    .venv/bin/python benchmarks/profile_step.py [--what finetune|pretrain] [--strategy AdaMix]
                                                [--threads 1] [--steps 60] [--rows 12] [--plain]
                                                [--passes 5] [--compile [MODE]]

``finetune``: steps of one strategy on the 784-1000-500-250-30 autoencoder (batch 100, random
pretrained-like weights); ``pretrain``: CD-1 batches of the first RBM (784-1000). It prints the
milliseconds per step spent in matrix products (``mm``, ``bmm``, ``addmm``, ``baddbmm``) and in
everything else, the rate of the products against the single-core peak measured here, and the
operators that took the most time. Threads default to one: the runner's workers are single-threaded.

It also times the same products alone (each shape and memory layout repeated back to back, its
operands and output warm in the caches): the difference from the products inside the step is what
the step's other memory traffic (weights, gradients and optimizer state, on the order of the
last-level cache or larger) costs them. Timed alone again with the caches flushed before each call
(operands from memory, as a step's weights are), they show what the products cost when their
operands are not in the caches.

``--plain`` only times the steps (no profiler), ``--passes`` times, and prints for each pass the
milliseconds per step by the wall clock and by this thread's CPU time (``time.thread_time``, which
other processes on a shared machine do not inflate), then the minimum and median of each.
``--compile`` fine-tunes with the loss through ``torch.compile`` (``finetuning.loss_function``; its
compilation is done in the warm-up pass and reported apart).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.profiler import ProfilerActivity, profile

from optimbook.optim import PerRole
from optimlab.cost.machine import peak_gflops
from optimlab.experiments import adamix
from optimlab.training import flops
from optimlab.training.clock import Clock
from optimlab.training.finetuning import train_epoch
from optimlab.training.loop import batches
from optimlab.training.models.autoencoder import DeepAutoencoder
from optimlab.training.models.rbm import RBM
from optimlab.training.pretraining import RBMTraining, train_rbm

PRODUCTS = {"aten::mm", "aten::bmm", "aten::addmm", "aten::addmm_", "aten::baddbmm", "aten::baddbmm_"}


def alone(products: list[tuple[str, tuple[int, ...], tuple[int, ...], bool, bool]], repeats: int = 20,
          cold: bool = False) -> float:
    """Seconds of one pass over ``products`` (name, A's shape, B's shape, A transposed, B
    transposed), each timed alone: the best of ``repeats`` back-to-back calls, with its operands
    and output warm in the caches, or ``cold``: evicted before each call by writing a buffer twice
    the size of the last-level cache (so they come from memory, as the weights do in a step)."""
    g = torch.Generator().manual_seed(0)
    flush = torch.empty(16 << 20) if cold else None  # 64 MB of float32; the L3 here is 32 MB
    total = 0.0
    for _, a_shape, b_shape, ta, tb in products:
        a = torch.rand(a_shape[:-2] + a_shape[-2:][::-1] if ta else a_shape, generator=g)
        b = torch.rand(b_shape[:-2] + b_shape[-2:][::-1] if tb else b_shape, generator=g)
        a, b = (a.transpose(-1, -2) if ta else a), (b.transpose(-1, -2) if tb else b)
        out = torch.empty(a.shape[:-1] + b.shape[-1:])
        mul = torch.bmm if a.ndim == 3 else torch.mm
        clock = Clock()
        for k in range(repeats + 2):
            if flush is not None:
                flush.fill_(float(k))
            clock.start()
            mul(a, b, out=out)
            clock.stop("product")
        total += min(clock.laps("product"))
    return total


def step_products(what: str, sizes: list[int], n: int) -> list:
    """The matrix products of one fine-tuning step (replicas=1) or CD-1 batch, with their layouts."""
    if what == "pretrain":
        v, h = sizes[0], sizes[1]
        return [("v W", (n, v), (v, h), False, False), ("h Wᵀ", (n, h), (h, v), False, True),
                ("recon W", (n, v), (v, h), False, False), ("vᵀ h⁺", (v, n), (n, h), True, False),
                ("reconᵀ h⁻", (v, n), (n, h), True, False)]
    unrolled = sizes + sizes[-2::-1]
    out = []
    for i, (a, b) in enumerate(zip(unrolled[:-1], unrolled[1:])):
        out.append((f"forward {a}-{b}", (1, n, a), (1, a, b), False, False))
        out.append((f"dW {a}-{b}", (1, a, n), (1, n, b), True, False))
        if i:
            out.append((f"dX {a}-{b}", (1, n, b), (1, b, a), False, True))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--what", choices=("finetune", "pretrain"), default="finetune")
    parser.add_argument("--strategy", default="AdaMix", help="a strategy label of fig4-fig7")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rows", type=int, default=12)
    parser.add_argument("--plain", action="store_true",
                        help="only time the steps, without the profiler (e.g. two runs side by side)")
    parser.add_argument("--passes", type=int, default=5, help="timed passes with --plain")
    parser.add_argument("--compile", nargs="?", const=True, default=False,
                        help="the loss through torch.compile (optionally a mode, e.g. reduce-overhead)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    setup = adamix.SETUPS["paper"]
    g = torch.Generator().manual_seed(0)
    x = torch.rand(args.steps * setup.batch_size, setup.sizes[0], generator=g)
    order = list(batches(len(x), setup.batch_size, seed=0, epoch=0))
    if args.what == "finetune":
        rbms = [RBM(a, b, hidden="gaussian" if i == len(setup.sizes) - 2 else "binary", generator=g)
                for i, (a, b) in enumerate(zip(setup.sizes[:-1], setup.sizes[1:]))]
        model = DeepAutoencoder.unroll(rbms)
        strategies = {s.label: s for e in adamix.EXPERIMENTS.values() for s in e.strategies}
        weight, bias = adamix.strategy_rules(strategies[args.strategy], setup, len(order))
        opt = PerRole(model.replica_parameters(0), weight=weight, bias=bias)
        flop = flops.autoencoder_train(setup.sizes, setup.batch_size)

        def work():
            train_epoch(model, [opt], x, order, compile=args.compile)
    else:
        rbm = RBM(setup.sizes[0], setup.sizes[1], generator=g)
        flop = flops.cd1(setup.sizes[0], setup.sizes[1], setup.batch_size)

        def work():
            train_rbm(rbm, x, RBMTraining(epochs=1, batch_size=setup.batch_size))

    warm = Clock()
    warm.start()
    work()  # warm up (and compile, with --compile)
    warm.stop("warm-up")
    label = f"{args.what} ({args.strategy})" if args.what == "finetune" else "CD-1, RBM 784-1000"
    if args.what == "finetune" and args.compile:
        label += f", compiled ({'default' if args.compile is True else args.compile}; warm-up pass with "
        label += f"compilation {warm.total():.1f} s)"
    if args.plain:
        wall, cpu = Clock(), Clock(host=time.thread_time)
        for _ in range(args.passes):
            wall.start()
            cpu.start()
            work()
            cpu.stop("pass")
            wall.stop("pass")
        ms = {name: [t / len(order) * 1e3 for t in c.laps("pass")] for name, c in (("wall", wall), ("CPU", cpu))}
        print(f"{label}, {args.threads} thread(s), without the profiler, {args.passes} passes of {len(order)} steps:")
        for name, values in ms.items():
            print(f"  {name:>4} ms per step: {', '.join(f'{t:.2f}' for t in values)}; "
                  f"min {min(values):.2f}, median {statistics.median(values):.2f}")
        return
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        clock = Clock()
        clock.start()
        work()
        clock.stop("profiled")
        wall = clock.total() / len(order)
    events = prof.key_averages()
    products = sum(e.self_cpu_time_total for e in events if e.key in PRODUCTS) / 1e6 / len(order)
    total = sum(e.self_cpu_time_total for e in events) / 1e6 / len(order)
    peak = peak_gflops(sizes=(2048,))
    print(f"{label}, {args.threads} thread(s), {len(order)} steps of batch {setup.batch_size}")
    print(f"per step: {wall * 1e3:.2f} ms wall under the profiler, {total * 1e3:.2f} ms in operators: "
          f"{products * 1e3:.2f} ms in matrix products ({products / total:.0%}), "
          f"{(total - products) * 1e3:.2f} ms in everything else")
    print(f"matrix products: {flop / products / 1e9:.1f} GFLOP/s against a measured peak of {peak:.1f} "
          f"GFLOP/s ({flop / products / 1e9 / peak:.0%}); the whole step: {flop / total / 1e9:.1f} GFLOP/s "
          f"({flop / total / 1e9 / peak:.0%})")
    warm = alone(step_products(args.what, list(setup.sizes), setup.batch_size))
    print(f"the same products alone and warm: {warm * 1e3:.2f} ms per step ({flop / warm / 1e9:.1f} GFLOP/s, "
          f"{flop / warm / 1e9 / peak:.0%} of peak); inside the step they take {products / warm:.2f}× that")
    cold = alone(step_products(args.what, list(setup.sizes), setup.batch_size), cold=True)
    print(f"the same products alone with cold operands (caches flushed before each): {cold * 1e3:.2f} ms per "
          f"step ({flop / cold / 1e9 / peak:.0%} of peak); inside the step they take {products / cold:.2f}× that")
    print(events.table(sort_by="self_cpu_time_total", row_limit=args.rows, max_name_column_width=36))


if __name__ == "__main__":
    main()
