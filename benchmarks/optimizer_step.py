"""Optimizer step time on a 10 M-parameter model: optimbook against torch.optim.

    .venv/bin/python benchmarks/optimizer_step.py [--device cuda] [--repeats 50]

For every optimizer with a torch.optim counterpart it prints the median time of one ``step()`` of
ours and of torch's default implementation (what ``torch.optim.X(params)`` picks on that device),
and the median of the step-by-step ratio of the two (target: ≤ 1.1). Then it prints AdaGrad, AdaDec and AdaMix side by side: the AdaMix
paper claims AdaMix costs less than AdaGrad and AdaDec. Gradients are fixed random tensors, so only
the update itself is timed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from optimbook import optim as O
from optimbook.runtime import resolve_device

PAIRS = {
    "SGD": (lambda p: O.SGD(p, lr=1e-3), lambda p: torch.optim.SGD(p, lr=1e-3)),
    "Momentum": (lambda p: O.Momentum(p, lr=1e-3), lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9)),
    "Nesterov": (lambda p: O.Nesterov(p, lr=1e-3),
                 lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True)),
    "AdaGrad": (lambda p: O.AdaGrad(p), lambda p: torch.optim.Adagrad(p)),
    "RMSProp": (lambda p: O.RMSProp(p), lambda p: torch.optim.RMSprop(p)),
    "Adadelta": (lambda p: O.Adadelta(p), lambda p: torch.optim.Adadelta(p)),
    "Adam": (lambda p: O.Adam(p), lambda p: torch.optim.Adam(p)),
    "AMSGrad": (lambda p: O.AMSGrad(p), lambda p: torch.optim.Adam(p, amsgrad=True)),
    "AdamW": (lambda p: O.AdamW(p), lambda p: torch.optim.AdamW(p)),
    "Nadam": (lambda p: O.Nadam(p), lambda p: torch.optim.NAdam(p)),
}
PAPER = {
    "AdaGrad (K=1)": lambda p: O.AdaGrad(p, lr=1e-3, K=1.0, eps=0.0),
    "AdaDec": lambda p: O.AdaDec(p, lr=1e-3, total_steps=10_000),
    "AdaDec (recursive)": lambda p: O.AdaDec(p, lr=1e-3, total_steps=10_000, recursive=True),
    "AdaMix": lambda p: O.AdaMix(p, lr=1e-3, total_steps=10_000),
}


def model_10m() -> nn.Module:
    """About 10 M parameters in weight matrices and bias vectors (9.5 M + 5.5 k)."""
    return nn.Sequential(nn.Linear(1000, 2500), nn.Linear(2500, 2000), nn.Linear(2000, 1000))


def _setup(make, device: torch.device):
    torch.manual_seed(0)
    params = list(model_10m().to(device).parameters())
    for p in params:
        p.grad = torch.randn_like(p) * 1e-2
    return make(params)


def _timed_step(opt, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    tic = time.perf_counter()
    opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - tic


def paired(make_a, make_b, device: torch.device, repeats: int, warmup: int = 10):
    """Median step times of A and B and the median of their per-iteration ratio.

    The two optimizers step alternately (A then B, then B then A, …), each on its own model, so that
    the drift of a shared machine hits both alike; the ratio is taken step by step.
    """
    a, b = _setup(make_a, device), _setup(make_b, device)
    ta, tb, ratios = [], [], []
    for i in range(warmup + repeats):
        if i % 2:
            x = _timed_step(a, device)
            y = _timed_step(b, device)
        else:
            y = _timed_step(b, device)
            x = _timed_step(a, device)
        if i >= warmup:
            ta.append(x)
            tb.append(y)
            ratios.append(x / y)
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    n = sum(p.numel() for p in model_10m().parameters())
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{n / 1e6:.2f} M parameters, median of {args.repeats} steps")
    print(f"{'optimizer':<12} {'optimbook (ms)':>15} {'torch.optim (ms)':>17} {'ratio':>7}")
    worst = 0.0
    for name, (ours, theirs) in PAIRS.items():
        a, b, ratio = paired(ours, theirs, device, args.repeats)
        worst = max(worst, ratio)
        print(f"{name:<12} {a * 1e3:15.2f} {b * 1e3:17.2f} {ratio:7.2f}")
    print(f"worst ratio {worst:.2f} (target <= 1.10)")
    print()
    print("He & Li's learning-rate rules (the paper: AdaMix costs less than AdaGrad and AdaDec)")
    names = list(PAPER)
    for name in names:
        t, base, ratio = paired(PAPER[name], PAPER[names[0]], device, args.repeats)
        print(f"{name:<20} {t * 1e3:8.2f} ms   {ratio:5.2f} x AdaGrad (K=1)")


if __name__ == "__main__":
    main()
