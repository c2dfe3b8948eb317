"""The two roles of He & Li's strategies, "weight" and "bias", and the rule that assigns them.

A tensor with two or more dimensions is a weight and anything else a bias, unless its param group
says otherwise with ``role="weight"`` or ``role="bias"`` (the paper's Exp. 4 gives biases the weight
rule). :class:`~optimbook.optim.adamix.AdaMix` and :class:`~optimbook.optim.per_role.PerRole` both
read this rule from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["ROLES", "role_of", "check_role"]

#: The roles a parameter can have.
ROLES = ("weight", "bias")


def check_role(role: Any) -> str | None:
    """``role`` if it is one of :data:`ROLES` or ``None``, else ``ValueError`` naming ``role``."""
    if role is not None and role not in ROLES:
        raise ValueError(f"role must be one of {ROLES} or absent, got {role!r}")
    return role


def role_of(p: torch.Tensor, group: Mapping[str, Any]) -> str:
    """``group["role"]`` if the group sets one, else ``"weight"`` for ndim ≥ 2 and ``"bias"`` otherwise."""
    role = group.get("role")
    if role is not None:
        return role
    return "weight" if p.ndim >= 2 else "bias"
