"""The two element-wise updates of the AdaMix reproduction, eager against ``torch.compile``.

    .venv/bin/python benchmarks/compiled_updates.py [--threads 1] [--repeats 200] [--device cpu]

The hand-written C kernels that the one-compute-path change removed did each of these updates in
one pass over memory; torch runs them as several ``_foreach_``/in-place passes:

- AdaMix's weight update (``optimbook.optim.adamix.adamix_weight_update``) on the weights of the
  paper's unrolled 784-1000-500-250-30 autoencoder (2.8 M elements in eight tensors);
- the RBM's momentum step (``optimlab.training.pretraining.momentum_step``) on the first RBM's
  784 × 1000 weights.

For each it prints the median time of one call eager and compiled (``torch.compile``, default
mode; compile time apart) by this thread's CPU time (``time.thread_time``, which other processes on
a shared machine inflate less than the wall clock), and the largest difference between the two
results after one call. The AdaMix experiments compile the first of the two
(``AdaMix(..., compile=True)``, the ``compile_updates`` field of their ``Setup``), because compiling it
earned more than 5 % of the reproduction's wall time side by side (see the README); the RBM's
momentum step stays eager.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from optimbook.optim.adamix import adamix_weight_update
from optimlab.runtime import resolve_device
from optimlab.training.pretraining import momentum_step

SIZES = (784, 1000, 500, 250, 30)


def _weights(device) -> list[torch.Tensor]:
    shapes = [(a, b) for a, b in zip(SIZES[:-1], SIZES[1:])]
    shapes += [(b, a) for a, b in reversed(shapes)]
    generator = torch.Generator().manual_seed(0)
    return [torch.randn(s, generator=generator).to(device) for s in shapes]


def _time(fn, repeats: int, sync) -> float:
    times = []
    for _ in range(repeats):
        sync()
        tic = time.thread_time()
        fn()
        sync()
        times.append(time.thread_time() - tic)
    return 1e3 * statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    print(f"device {device}, {torch.get_num_threads()} thread(s), torch {torch.__version__}")

    params, grads = _weights(device), [0.01 * g for g in _weights(device)]
    rates = [torch.full_like(p, 1e-3) for p in params]

    def adamix(update, ps, rs):
        return lambda: update(ps, grads, rs, K=1.0)

    compiled_adamix = torch.compile(adamix_weight_update)
    eager_p, eager_r = [p.clone() for p in params], [r.clone() for r in rates]
    comp_p, comp_r = [p.clone() for p in params], [r.clone() for r in rates]
    adamix_weight_update(eager_p, grads, eager_r, K=1.0)
    tic = time.perf_counter()
    compiled_adamix(comp_p, grads, comp_r, K=1.0)
    compile_adamix = time.perf_counter() - tic
    diff = max(float((a - b).abs().max()) for a, b in zip(eager_p + eager_r, comp_p + comp_r))
    eager = _time(adamix(adamix_weight_update, eager_p, eager_r), args.repeats, sync)
    compiled = _time(adamix(compiled_adamix, comp_p, comp_r), args.repeats, sync)
    n = sum(p.numel() for p in params)
    print(f"AdaMix weight update ({n / 1e6:.2f} M elements): eager {eager:.2f} ms, compiled {compiled:.2f} ms "
          f"({eager / compiled:.1f}×; compile {compile_adamix:.1f} s; max difference {diff:.1e})")

    W = torch.randn(784, 1000, device=device) * 0.03
    inc, dW = torch.zeros_like(W), torch.randn_like(W)
    compiled_momentum = torch.compile(momentum_step)
    W_e, inc_e, W_c, inc_c = W.clone(), inc.clone(), W.clone(), inc.clone()
    kw = {"momentum": 0.9, "lr": 1e-3, "decay": 2e-5}
    momentum_step(W_e, inc_e, dW, **kw)
    tic = time.perf_counter()
    compiled_momentum(W_c, inc_c, dW, **kw)
    compile_momentum = time.perf_counter() - tic
    diff = max(float((W_e - W_c).abs().max()), float((inc_e - inc_c).abs().max()))
    eager = _time(lambda: momentum_step(W_e, inc_e, dW, **kw), args.repeats, sync)
    compiled = _time(lambda: compiled_momentum(W_c, inc_c, dW, **kw), args.repeats, sync)
    print(f"RBM momentum step (784 × 1000): eager {eager:.3f} ms, compiled {compiled:.3f} ms "
          f"({eager / compiled:.1f}×; compile {compile_momentum:.1f} s; max difference {diff:.1e})")


if __name__ == "__main__":
    main()
