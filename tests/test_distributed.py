"""Every optimizer of the registry, PerRole included, under DDP and FSDP2 (2 gloo processes on CPU),
against one process on the full batch, and its state through torch.distributed.checkpoint.

One spawn of two processes runs all optimizers in a loop (:func:`optimlab.training.distributed.compare_ddp_fsdp`).
"""

from __future__ import annotations

import math

import pytest
import torch

from optimbook.testing import REGISTRY

pytestmark = pytest.mark.skipif(not torch.distributed.is_available() or
                                not torch.distributed.is_gloo_available(), reason="needs gloo")

TOL = 2e-5  # float32 over 5 steps: the ranks' averaged half-batch gradients vs the full batch's


@pytest.fixture(scope="module")
def table():
    from optimlab.training.distributed import compare_ddp_fsdp

    return compare_ddp_fsdp(steps=5)


def test_every_optimizer_is_compared(table):
    assert list(table.index) == list(REGISTRY)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_ddp_matches_one_process_on_the_full_batch(table, name):
    assert REGISTRY[name].capabilities.ddp
    assert table.loc[name, "ddp_max_diff"] < TOL


@pytest.mark.parametrize("name", list(REGISTRY))
def test_fsdp2_matches_or_is_refused_by_name(table, name):
    row = table.loc[name]
    if REGISTRY[name].capabilities.fsdp2:
        assert row["fsdp2"] == "trained"
        assert row["fsdp2_max_diff"] < TOL
    else:
        assert "FSDP2" in row["fsdp2"] and math.isnan(row["fsdp2_max_diff"])


@pytest.mark.parametrize("name", [n for n in REGISTRY if REGISTRY[n].capabilities.fsdp2])
def test_state_round_trips_through_distributed_checkpoint(table, name):
    assert table.loc[name, "dcp_max_diff"] == 0.0
