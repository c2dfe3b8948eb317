"""Every optimizer under data parallelism: DDP and FSDP2 against one process on the full batch.

:func:`compare_ddp_fsdp` starts ``world_size`` CPU processes (gloo, 127.0.0.1, a free port), and in
each trains the same small network with every optimizer of the registry
(:data:`optimbook.testing.REGISTRY`, PerRole included) three ways: in one process on the full
batch (the reference), under :class:`~torch.nn.parallel.DistributedDataParallel` with each rank on
its share of the batch, and under FSDP2 (:func:`torch.distributed.fsdp.fully_shard`, parameters
sharded as DTensors). With the loss a mean over equal shares, averaging the ranks' gradients gives
the full batch's gradient, so the three trajectories agree to float32 rounding. It also saves the
FSDP2 optimizer's state with :mod:`torch.distributed.checkpoint`, loads it into a fresh optimizer,
and checks that both continue identically. It returns a table of the largest differences.

>>> compare_ddp_fsdp(["SGD"], steps=3)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import socket
import tempfile
from typing import Any

import torch
from torch import nn

from optimlab.training.loop import train_step

__all__ = ["compare_ddp_fsdp", "free_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))


def _data(n: int = 16):
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 4, generator=g), torch.randn(n, 3, generator=g)


def _train(model, opt, x, y, steps: int) -> None:
    """``steps`` full-batch steps of :func:`~optimlab.training.loop.train_step` on the mean squared error."""
    for _ in range(steps):
        train_step(opt, lambda: ((model(x) - y) ** 2).mean())


def _full(p: torch.Tensor) -> torch.Tensor:
    return (p.full_tensor() if hasattr(p, "full_tensor") else p).detach().clone()


def _max_diff(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    return max((x - y).abs().max().item() for x, y in zip(a, b))


def _worker(rank: int, world: int, port: int, names: list[str], steps: int, out: str) -> None:
    import torch.distributed as dist
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict, set_optimizer_state_dict
    from torch.distributed.fsdp import fully_shard
    from torch.nn.parallel import DistributedDataParallel

    from optimbook.testing import REGISTRY

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    try:
        x, y = _data()
        share = len(x) // world
        xs, ys = x[rank * share:(rank + 1) * share], y[rank * share:(rank + 1) * share]
        rows = []
        for name in names:
            info = REGISTRY[name]
            row: dict[str, Any] = {"optimizer": name}
            ref = _model()
            _train(ref, info.make(list(ref.parameters())), x, y, steps)
            expected = [p.detach().clone() for p in ref.parameters()]

            ddp = DistributedDataParallel(_model())
            _train(ddp, info.make(list(ddp.parameters())), xs, ys, steps)
            row["ddp_max_diff"] = _max_diff([p.detach() for p in ddp.module.parameters()], expected)

            sharded = fully_shard(_model())
            try:
                opt = info.make(list(sharded.parameters()))
            except NotImplementedError as err:  # refuses FSDP2 by name
                row.update(fsdp2_max_diff=float("nan"), fsdp2=f"refused: {str(err)[:80]}",
                           dcp_max_diff=float("nan"))
                rows.append(row)
                continue
            _train(sharded, opt, xs, ys, steps)
            row["fsdp2_max_diff"] = _max_diff([_full(p) for p in sharded.parameters()], expected)
            row["fsdp2"] = "trained"

            # torch.distributed.checkpoint: save, load into a fresh optimizer, continue alike
            folder = os.path.join(out + ".dcp", name)
            dcp.save({"optim": get_optimizer_state_dict(sharded, opt)}, checkpoint_id=folder)
            twin = fully_shard(_model())
            with torch.no_grad():
                for p, q in zip(twin.parameters(), sharded.parameters()):
                    p.copy_(q)
            twin_opt = info.make(list(twin.parameters()))
            state = {"optim": get_optimizer_state_dict(twin, twin_opt)}
            dcp.load(state, checkpoint_id=folder)
            set_optimizer_state_dict(twin, twin_opt, state["optim"])
            _train(sharded, opt, xs, ys, 3)
            _train(twin, twin_opt, xs, ys, 3)
            row["dcp_max_diff"] = _max_diff([_full(p) for p in twin.parameters()],
                                            [_full(p) for p in sharded.parameters()])
            rows.append(row)
        if rank == 0:
            torch.save(rows, out)
        dist.barrier()
    finally:
        dist.destroy_process_group()


def compare_ddp_fsdp(names: list[str] | None = None, steps: int = 5, world_size: int = 2):
    """Train every optimizer of the registry (or ``names``) under DDP and FSDP2 in ``world_size``
    gloo processes on CPU, and compare with one process on the full batch.

    Returns:
        A pandas DataFrame, one row per optimizer: ``ddp_max_diff`` and ``fsdp2_max_diff``, the
        largest absolute difference of any parameter from the single-process run after ``steps``
        steps (float32); ``fsdp2``, ``"trained"`` or the error of an optimizer that refuses FSDP2;
        ``dcp_max_diff``, the largest difference between the FSDP2 optimizer and a fresh one loaded
        from its :mod:`torch.distributed.checkpoint` after 3 more steps of both (0.0: identical).
    """
    import pandas as pd
    import torch.multiprocessing as mp

    from optimbook.testing import REGISTRY

    names = list(REGISTRY) if names is None else list(names)
    for n in names:
        if n not in REGISTRY:
            raise ValueError(f"names must be optimizers of the registry {sorted(REGISTRY)}, got {n!r}")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.pt")
        mp.spawn(_worker, args=(world_size, free_port(), names, steps, out), nprocs=world_size, join=True)
        rows = torch.load(out, weights_only=True)
    return pd.DataFrame(rows).set_index("optimizer")
