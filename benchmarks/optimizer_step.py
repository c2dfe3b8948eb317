"""Optimizer step time on a 10 M-parameter model: optimbook against torch.optim's best path.

    .venv/bin/python benchmarks/optimizer_step.py [--device cuda] [--repeats 60] [--only Adam SGD]

For every optimizer of the registry with a torch.optim counterpart (its ``"bench"`` configuration)
it prints the median time of one ``step()`` of ours, with a constant ``lr`` and with a schedule as
``lr`` (``power_decay``, evaluated at every step), and of torch's two fast paths for the same rule:
``foreach=True`` and, where torch has a fused kernel on that device, ``fused=True``. Each ratio is
the median of the step-by-step ratios of paired steps, with its interquartile range; the ratio to
torch's best path is the larger of the two (target: ≤ 1.10). Then it prints the AdaMix paper's
rules side by side (AdaMix also with ``compile=True``, as the book's experiments run it): the paper
claims AdaMix costs less than AdaGrad and AdaDec. Gradients are
fixed random tensors, so only the update itself is timed.
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import time

import torch
from torch import nn

from optimbook.testing import configs
from optimlab.runtime import resolve_device
from optimbook.schedules import power_decay

#: name -> (ours, ours with a schedule as lr, torch's oracle), from the registry's "bench" configurations
PAIRS = {}
for _info, _config in configs("bench"):
    _lr = _config.kwargs.get("lr", inspect.signature(_info.cls).parameters["lr"].default)
    PAIRS[_info.name] = (
        lambda p, i=_info, c=_config: i.make(p, c),
        lambda p, i=_info, c=_config, lr=_lr: i.make(p, c, lr=power_decay(lr, 10_000)),
        _config.oracle,
    )
#: the AdaMix paper's rules (the registry's "paper" configurations), the first is the baseline
PAPER = {c.name: (lambda p, i=i, c=c: i.make(p, c)) for i, c in configs("paper")}
#: AdaMix as the book's experiments run it: its weight update through torch.compile
PAPER.update({f"{c.name}, compiled": (lambda p, i=i, c=c: i.make(p, c, compile=True))
              for i, c in configs("paper") if "compile" in i.flags})


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
    """Median step times of A and B, and the median and interquartile range of their ratio.

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
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios), (q1, q3)


def torch_path(oracle, path: str):
    """The torch.optim oracle built with ``foreach=True`` or ``fused=True`` (its other arguments as
    the registry gives them)."""
    def make(params):
        ref = oracle(params)
        init = inspect.signature(type(ref)).parameters
        kwargs = {k: v for k, v in ref.defaults.items() if k in init and k not in ("foreach", "fused")}
        return type(ref)(params, **kwargs, **{path: True})
    return make


def torch_paths(oracle, device: torch.device) -> dict[str, object]:
    """torch's fast paths for the oracle's rule on ``device``: foreach, and fused where it exists."""
    out = {"foreach": torch_path(oracle, "foreach")}
    try:
        _setup(torch_path(oracle, "fused"), device).step()
        out["fused"] = torch_path(oracle, "fused")
    except (RuntimeError, TypeError, ValueError):  # no fused kernel for this rule or device
        pass
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--only", nargs="*", help="optimizers to time (default: all)")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    n = sum(p.numel() for p in model_10m().parameters())
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{n / 1e6:.2f} M parameters, median of {args.repeats} paired steps (IQR of the ratio)")
    print(f"{'optimizer':<10} {'path':<8} {'torch (ms)':>10} {'ours (ms)':>10} {'ratio [IQR]':>19} "
          f"{'ours, schedule lr (ms)':>23} {'ratio [IQR]':>19}")
    worst = 0.0
    for name, (ours, scheduled, oracle) in PAIRS.items():
        if args.only and name not in args.only:
            continue
        best = 0.0
        for path, theirs in torch_paths(oracle, device).items():
            a, b, ratio, (q1, q3) = paired(ours, theirs, device, args.repeats)
            s, b2, sratio, (s1, s3) = paired(scheduled, theirs, device, args.repeats)
            best = max(best, ratio, sratio)
            print(f"{name:<10} {path:<8} {(b + b2) / 2 * 1e3:10.2f} {a * 1e3:10.2f} {ratio:6.2f} "
                  f"[{q1:4.2f}, {q3:4.2f}] {s * 1e3:23.2f} {sratio:6.2f} [{s1:4.2f}, {s3:4.2f}]")
        print(f"{name:<10} ratio to torch's best path {best:.2f}")
        worst = max(worst, best)
    print(f"worst ratio to torch's best path {worst:.2f} (target <= 1.10)")
    if args.only:
        return
    print()
    print("He & Li's learning-rate rules (the paper: AdaMix costs less than AdaGrad and AdaDec)")
    names = list(PAPER)
    for name in names:
        t, base, ratio, _ = paired(PAPER[name], PAPER[names[0]], device, args.repeats)
        print(f"{name:<20} {t * 1e3:8.2f} ms   {ratio:5.2f} x {names[0]}")


if __name__ == "__main__":
    main()
