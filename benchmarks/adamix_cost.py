"""AdaMix against AdaGrad on the paper's autoencoder, per optimizer step and per fine-tuning run.

    .venv/bin/python benchmarks/adamix_cost.py [--device cpu] [--repeats 300] [--threads 1] [--batch 100]

The parameters are those of He & Li's network, 784-1000-500-250-30 and its mirror, weights and
biases (2.8 M), and the optimizers are the experiment's own (``strategy_rules`` of fig4's "AdaGrad"
and "AdaMix" at paper scale). Every iteration times one AdaGrad step, one AdaMix step and one
forward-backward pass of the network on a batch of 100 (the fine-tuning loss,
``finetuning.loss_function``, and autograd), in an order that alternates and rotates from one
iteration to the next, so that the drift of a shared machine hits all three alike; ratios are taken
iteration by iteration. The timer is :class:`optimlab.training.clock.Clock` (CUDA events on a GPU).

Per step: the median of the ratio AdaMix / AdaGrad, with a distribution-free 95 % interval for
that median (order statistics of the binomial), and the spread (quartiles) of each time. Per run:
a fine-tuning step is forward-backward plus the optimizer step (evaluations are the same for both
and left out), so the run ratio is the median of (fb + AdaMix) / (fb + AdaGrad); the paper's
wall times of 50 iterations, 752.56 s (AdaMix) and 810.20 s (AdaGrad), are printed beside it.
The runner trains each strategy in a single-threaded worker on the CPU: ``--threads 1`` by default.
Both rules run as the library's torch code (foreach operations), the one implementation on every
device.
"""

from __future__ import annotations

import argparse
import math
import statistics

import torch

from optimbook.optim import PerRole
from optimlab.experiments import adamix
from optimlab.runtime import resolve_device
from optimlab.training.clock import Clock
from optimlab.training.finetuning import loss_function
from optimlab.training.models.autoencoder import DeepAutoencoder

PAPER = adamix.PUBLISHED_SECONDS  # Exp. 1's wall times of 50 iterations


def median_interval(values: list[float], z: float = 1.96) -> tuple[float, float, float]:
    """Median and a distribution-free ~95 % confidence interval for it (binomial order statistics)."""
    xs = sorted(values)
    n = len(xs)
    lo = max(0, math.floor(n / 2 - z * math.sqrt(n) / 2) - 1)
    hi = min(n - 1, math.ceil(n / 2 + z * math.sqrt(n) / 2))
    return statistics.median(xs), xs[lo], xs[hi]


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=4)
    return q[0], q[1], q[2]


def build(strategy: str, setup, device: torch.device, steps_per_epoch: int):
    """A one-replica autoencoder with the paper's shapes, its optimizer, random gradients."""
    torch.manual_seed(0)
    sizes = list(setup.sizes)
    full = sizes + sizes[-2::-1]
    weights = [torch.randn(a, b) * 0.03 for a, b in zip(full[:-1], full[1:])]
    biases = [torch.zeros(b) for b in full[1:]]
    acts = ["linear" if i == len(sizes) - 2 else "sigmoid" for i in range(len(full) - 1)]
    model = DeepAutoencoder(weights, biases, acts).to(device)
    found = next(s for s in adamix.EXPERIMENTS["fig4"].strategies if s.label == strategy)
    weight, bias = adamix.strategy_rules(found, setup, steps_per_epoch)
    params = model.replica_parameters(0)
    for p in params:
        p.grad = torch.randn_like(p) * 1e-2
    return model, PerRole(params, weight=weight, bias=bias)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="torch threads on the CPU (the runner's workers use 1)")
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    setup = adamix.SETUPS["paper"]
    n_train, _ = setup.numbers(0.1)
    spe = math.ceil(n_train / setup.batch_size)
    model, ada = build("AdaGrad", setup, device, spe)
    _, mix = build("AdaMix", setup, device, spe)
    n = sum(p.numel() for p in model.parameters())
    x = torch.rand(args.batch, setup.sizes[0], device=device)

    loss_of = loss_function(model)

    def forward_backward():
        model.zero_grad(set_to_none=True)
        loss_of(x).sum().backward()

    parts = {"AdaGrad": ada.step, "AdaMix": mix.step, "forward-backward": forward_backward}
    order = list(parts)
    clock = Clock(device)
    for i in range(args.warmup + args.repeats):
        names = order if i % 2 == 0 else order[::-1]
        if i % 3 == 1:  # rotate too, so that no part always follows the same one
            names = names[1:] + names[:1]
        for name in names:
            clock.start()
            parts[name]()
            clock.stop(name if i >= args.warmup else "warm-up")
    times = {name: clock.laps(name) for name in parts}
    threads = torch.get_num_threads() if device.type == "cpu" else "-"
    print(f"device {device}, torch {torch.__version__}, threads {threads}, {n / 1e6:.2f} M parameters "
          f"({'-'.join(map(str, list(setup.sizes) + list(setup.sizes[-2::-1])))}), batch {args.batch}, "
          f"{args.repeats} paired iterations")
    print(f"{'part':<20} {'median ms':>10} {'q1 ms':>8} {'q3 ms':>8}")
    for name, ts in times.items():
        q1, q2, q3 = quartiles(ts)
        print(f"{name:<20} {statistics.median(ts) * 1e3:10.3f} {q1 * 1e3:8.3f} {q3 * 1e3:8.3f}")
    for base in [name for name in parts if name.startswith("AdaGrad")]:
        step_ratio = [m / a for m, a in zip(times["AdaMix"], times[base])]
        run_ratio = [(f + m) / (f + a) for f, m, a in zip(times["forward-backward"], times["AdaMix"], times[base])]
        share = [a / (f + a) for f, a in zip(times["forward-backward"], times[base])]
        print(f"against {base}:")
        med, lo, hi = median_interval(step_ratio)
        q1, _, q3 = quartiles(step_ratio)
        print(f"  per step:  AdaMix / AdaGrad = {med:.3f}  (95% CI of the median {lo:.3f}-{hi:.3f}; "
              f"quartiles of the ratio {q1:.3f}-{q3:.3f})")
        med_s, lo_s, hi_s = median_interval(share)
        print(f"  AdaGrad's share of a fine-tuning step: {med_s:.1%} (95% CI {lo_s:.1%}-{hi_s:.1%})")
        med, lo, hi = median_interval(run_ratio)
        q1, _, q3 = quartiles(run_ratio)
        print(f"  per run:   AdaMix / AdaGrad = {med:.3f}  (95% CI {lo:.3f}-{hi:.3f}; quartiles {q1:.3f}-{q3:.3f})")
    paper = PAPER["AdaMix"] / PAPER["AdaGrad"]
    print(f"the paper: AdaMix / AdaGrad = {PAPER['AdaMix']:.2f} s / {PAPER['AdaGrad']:.2f} s = {paper:.3f}")

if __name__ == "__main__":
    main()
