"""Fuzz every numeric argument of every optimizer of the registry (hypothesis).

Each argument gets NaN, ±inf, negatives, zero, huge integers (10**400), numpy scalars, fractions,
0-dim and 1-dim tensors, callables and wrong types (strings, None, lists, bools, complex). A value
must be accepted exactly when it lies in the argument's documented range (the registry's
:class:`~optimbook.testing.Range`, which the docstrings state); anything else must raise
``ValueError`` (a real number out of range) or ``TypeError`` (not a real number) with a message that
names the argument and says what it must be.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimbook.testing import REGISTRY

ARGUMENTS = [(info, name, rng) for info in REGISTRY.values() for name, rng in info.arguments.items()]

SPECIAL = [math.nan, math.inf, -math.inf, 0, 0.0, -0.0, -1, -1.0, -1e-300, 5e-324, 1e308, 10**400,
           -10**400, 2**53 + 1, 0.5, 1, 1.0, 3, 0.999999, True, False, "1", "0.1", None, [0.1], (0.1,),
           {"lr": 0.1}, complex(1, 0), b"1", np.float64(0.5), np.float64(math.nan), np.int64(3),
           np.bool_(True), Fraction(1, 3), Fraction(4, 1), torch.tensor(0.1), torch.tensor(-1.0),
           torch.tensor(math.nan), torch.tensor([0.1, 0.2]), torch.tensor(1), torch.tensor(1 + 1j)]
VALUES = st.one_of(
    st.sampled_from(SPECIAL),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.integers(min_value=-3, max_value=5),
    st.fractions(max_denominator=7),
    st.builds(lambda v: (lambda t: v), st.floats(0, 1)),  # a schedule
)


def expected(name: str, rng, value) -> type[Exception] | None:
    """The error the documented range implies for ``value`` (``None``: accepted)."""
    if rng.rate and callable(value) and not isinstance(value, (torch.Tensor, type)):
        return None
    if isinstance(value, torch.Tensor):
        if not rng.rate or value.ndim != 0 or not value.is_floating_point():
            return TypeError
        value = value.item()
    if value is None:
        return None if name == "bias_lr" else ValueError if name == "total_steps" else TypeError
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return TypeError
    try:
        v = float(value)
    except OverflowError:
        return ValueError
    if not math.isfinite(v):
        return ValueError
    if rng.integer and not (isinstance(value, numbers.Integral) or float(value).is_integer()):
        return ValueError
    if isinstance(value, numbers.Integral):  # exact comparison, as check_number does
        ok = ((rng.low is None or (value > rng.low if rng.low_open else value >= rng.low))
              and (rng.high is None or (value < rng.high if rng.high_open else value <= rng.high)))
        return None if ok else ValueError
    return None if rng.accepts(v) else ValueError


def build(info, name, rng, value):
    kwargs = dict(info.default.kwargs)
    if rng.index is not None:  # an element of a tuple argument (betas)
        key = name.split("[")[0]
        pair = list(kwargs.get(key, (0.9, 0.999)))
        pair[rng.index] = value
        kwargs[key] = tuple(pair)
    else:
        kwargs[name] = value
    if rng.rate and callable(value) and "total_steps" in kwargs:
        del kwargs["total_steps"]  # a schedule replaces the (lr, q, total_steps) shorthand
    params = [torch.zeros(3, 2, requires_grad=True), torch.zeros(2, requires_grad=True)]
    return info.cls(params, **kwargs)


@pytest.mark.parametrize("info,name,rng", ARGUMENTS, ids=[f"{i.name}-{n}" for i, n, _ in ARGUMENTS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES)
def test_each_argument_is_accepted_exactly_in_its_documented_range(info, name, rng, value):
    if name == "max_params":  # also at least the P = 8 parameters built here
        rng = dataclasses.replace(rng, low=8)
    error = expected(name, rng, value)
    if error is None:
        build(info, name, rng, value)
        return
    with pytest.raises(error) as caught:
        build(info, name, rng, value)
    message = str(caught.value)
    assert re.search(re.escape(name), message), f"{name!r} not named in: {message}"
    assert "must be" in message or "required" in message, message


def test_every_numeric_argument_of_every_optimizer_is_listed():
    """The registry's ranges cover each numeric keyword of each constructor (none is unfuzzed)."""
    import inspect

    skip = {"params", "rate", "form", "update", "recursive", "fisher_from_grad", "round_steps", "betas"}
    for info in REGISTRY.values():
        if info.name == "PerRole":
            continue
        names = set(inspect.signature(info.cls).parameters) - skip - set(info.flags)  # flags are not numbers
        listed = {n.split("[")[0] for n in info.arguments} - skip
        assert names == listed, (info.name, names ^ listed)
