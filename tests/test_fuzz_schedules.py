"""Fuzz every schedule factory's arguments (hypothesis): accepted exactly inside the documented range.

The factories are found from the package (``optimbook.schedules.__all__``: each function that
returns a :class:`~optimbook.schedules.base.Schedule`), and each numeric argument's documented range
is the rule's ``arguments``/``elements`` table (what its docstring and error messages state). Every
numeric argument, and every element of a numeric sequence, gets NaN, ±inf, negatives, zero, huge
integers (10**400), and wrong types (str, None, list, bool); the oracle below decides, independently
of ``check_number``, whether the value lies in the range. Inside: the factory builds a schedule
whose values are floats (never an ``OverflowError``). Outside: ``ValueError`` (a real number out of
range) or ``TypeError`` (not a real number) whose message names the argument and states the range.
"""

from __future__ import annotations

import inspect
import re
import math
import typing
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimbook.schedules as S
from optimbook.schedules.base import Arg, Schedule

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def factories() -> dict[str, tuple[typing.Callable[..., Schedule], type[Schedule]]]:
    found = {}
    for name in S.__all__:
        obj = getattr(S, name)
        if inspect.isfunction(obj):
            returns = typing.get_type_hints(obj).get("return")
            if isinstance(returns, type) and issubclass(returns, Schedule) and returns is not Schedule:
                found[name] = (obj, returns)
    return found


FACTORIES = factories()

#: Valid values of the non-numeric parameters, by parameter name (shared by all factories).
VALID_BY_NAME = {
    "schedule": S.constant(0.1),
    "schedules": (S.constant(0.1), S.constant(0.05)),
    "boundaries": (5,),
    "values": (0.1, 0.01),
}

SPECIAL = [math.nan, math.inf, -math.inf, -1, -1.0, -0.5, -(10**400), 0, 0.0, 5e-324, 0.5, 1, 1.0, 2.5,
           3, 7.0, 1e308, 10**400, 2**63 - 1, 2**63, "1", "", None, [1], (), True, False, 1 + 0j]
values_ = st.sampled_from(SPECIAL) | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**30, 10**30)
STEPS = (0, 1, 10, 12345.5, 10**9)


def inside(value: object, arg: Arg) -> bool:
    """The oracle: is ``value`` a number in ``arg``'s range? (exact arithmetic, no check_number)"""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if isinstance(value, int) and abs(value) > 2**1023:  # not representable as a float
        return False
    exact = Fraction(value)
    if arg.integer and exact.denominator != 1:
        return False
    if arg.low is not None and not (exact > Fraction(arg.low) if arg.low_open else exact >= Fraction(arg.low)):
        return False
    if arg.high is not None and not (exact < Fraction(arg.high) if arg.high_open else exact <= Fraction(arg.high)):
        return False
    return True


def a_valid_value(arg: Arg) -> int | float:
    if arg.low is not None and arg.high is not None:
        mid = (arg.low + arg.high) / 2
        return int(mid) if arg.integer else mid
    if arg.low is not None:
        return int(arg.low) + 1 if arg.integer else arg.low + 0.5
    return 0


def base_kwargs(factory, cls) -> dict[str, object]:
    kwargs = {}
    for name, param in inspect.signature(factory).parameters.items():
        if name in cls.arguments:
            kwargs[name] = a_valid_value(cls.arguments[name])
        elif name in cls.flags:
            kwargs[name] = False
        elif name in VALID_BY_NAME:
            kwargs[name] = VALID_BY_NAME[name]
        elif param.default is inspect.Parameter.empty:
            pytest.fail(f"{factory.__name__}: no valid value known for its parameter {name!r}")
    return kwargs


def targets(cls) -> list[tuple[str, Arg, bool]]:
    """(parameter, accepted values, is a sequence element) for every numeric thing to fuzz."""
    return [(n, a, False) for n, a in cls.arguments.items()] + [(n, a, True) for n, a in cls.elements.items()]


def assert_evaluates(schedule: Schedule) -> None:
    for t in STEPS:
        try:
            v = schedule(t)
        except ValueError as err:  # the one allowed refusal: a step the rule cannot resolve
            assert str(err).startswith("step must be"), err
            continue
        assert type(v) is float and not v < 0, (schedule, t, v)


def test_all_fifteen_factories_are_found_and_documented():
    assert len(FACTORIES) == 15, sorted(FACTORIES)
    for name, (factory, cls) in FACTORIES.items():
        doc = inspect.getdoc(factory)
        assert ">>>" in doc, f"{name} has no example"
        for param in inspect.signature(factory).parameters:
            assert re.search(rf"^\s*{param}\b.*:", doc, re.M) or re.search(rf"\b{param}\b", doc), (name, param)
        for field in list(cls.arguments) + list(cls.flags) + list(cls.elements):
            assert field in inspect.signature(factory).parameters, (name, field)


@pytest.mark.parametrize("name", sorted(FACTORIES))
@FUZZ
@given(data=st.data())
def test_numeric_arguments_are_accepted_exactly_inside_their_range(name, data):
    factory, cls = FACTORIES[name]
    kwargs = base_kwargs(factory, cls)
    field, arg, element = data.draw(st.sampled_from(targets(cls)), label="argument")
    value = data.draw(values_, label="value")
    if element:
        base = tuple(kwargs[field])
        kwargs[field] = base[:-1] + (value,)
        label = f"{field}[{len(base) - 1}]"
    else:
        kwargs[field] = value
        label = field
    if inside(value, arg):
        assert_evaluates(factory(**kwargs))
        return
    real = isinstance(value, (int, float)) and not isinstance(value, bool)
    with pytest.raises(ValueError if real else TypeError) as info:
        factory(**kwargs)
    assert str(info.value).startswith(f"{label} must be {arg}, got "), str(info.value)


@pytest.mark.parametrize("name", sorted(FACTORIES))
@FUZZ
@given(data=st.data())
def test_flags_schedules_and_sequences_refuse_wrong_types_by_name(name, data):
    factory, cls = FACTORIES[name]
    kwargs = base_kwargs(factory, cls)
    fields = list(cls.flags) + [n for n in VALID_BY_NAME if n in kwargs]
    if not fields:
        return
    field = data.draw(st.sampled_from(fields), label="argument")
    # neither booleans, nor callables, nor non-string iterables: wrong for a flag, a schedule and a sequence
    bad = data.draw(st.sampled_from(["yes", "False", 1, 0, None, 0.5, math.nan, object()]), label="value")
    kwargs[field] = bad
    with pytest.raises(TypeError) as info:
        factory(**kwargs)
    assert str(info.value).startswith(f"{field} must be "), str(info.value)


@pytest.mark.parametrize("name", sorted(FACTORIES))
@FUZZ
@given(step=values_)
def test_steps_are_finite_reals_at_least_zero(name, step):
    factory, cls = FACTORIES[name]
    schedule = factory(**base_kwargs(factory, cls))
    if inside(step, Arg(low=0)):
        assert_evaluates(schedule)
        try:
            v = schedule(step)
        except ValueError as err:
            assert str(err).startswith("step must be"), err
        else:
            assert type(v) is float and not v < 0
        return
    real = isinstance(step, (int, float)) and not isinstance(step, bool)
    with pytest.raises(ValueError if real else TypeError, match=r"^step must be a finite real number >= 0, got "):
        schedule(step)
