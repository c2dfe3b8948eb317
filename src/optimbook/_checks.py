"""Argument checks shared by the library's optimizers and schedules: a clear error naming the
argument and the accepted range."""

from __future__ import annotations

import math
from numbers import Integral, Real

__all__ = ["check_number", "check_flag", "describe_range"]


def _is_numpy_bool(value: object) -> bool:
    return type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_")


def _shown(value: object) -> str:
    """``repr(value)`` for an error message, short even for a huge integer or a long sequence."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 100:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def describe_range(
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    allow_inf: bool = False,
) -> str:
    """The accepted values in words, e.g. ``"a finite real number >= 0.0"`` or ``"an integer in
    [1, 10]"``; an infinite bound is never printed as a number.

    >>> describe_range(low=0.0, low_open=True)
    'a finite real number > 0.0'
    >>> describe_range(low=0, high=1, high_open=True)
    'a finite real number in [0, 1)'
    >>> describe_range(low=1, integer=True)
    'an integer >= 1'
    >>> describe_range(low=0.0, allow_inf=True)
    'a real number >= 0.0 (inf allowed)'
    """
    kind = "an integer" if integer else "a real number" if allow_inf else "a finite real number"
    if low is not None and high is not None:
        text = f"{kind} in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    elif low is not None:
        text = f"{kind} {'>' if low_open else '>='} {low}"
    elif high is not None:
        text = f"{kind} {'<' if high_open else '<='} {high}"
    else:
        text = kind
    if allow_inf and not integer:
        text += " (inf allowed)" if high is None else ""
    return text


def check_number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    allow_inf: bool = False,
) -> int | float:
    """Check that ``value`` is a number in the accepted range and return it as a plain number.

    ``low``/``high`` are the bounds (``None``: unbounded on that side); ``*_open`` makes a bound
    strict. NaN is always refused; so are ±inf, unless ``allow_inf`` (for the rare argument whose
    meaning includes infinity, e.g. a ceiling), and integers too large for a float. With
    ``integer=True`` the value must be integral (``3`` or ``3.0``, not ``2.5``). Booleans are not
    numbers here.

    Returns:
        ``value`` as a plain ``int`` (integral types and ``integer=True``) or ``float``.

    Raises:
        TypeError: ``value`` is not a real number (a string, ``None``, a list, a bool, a tensor).
        ValueError: ``value`` is a real number outside the range. Both messages name ``name`` and
            the accepted range.

    >>> check_number("lr", 0.1, low=0.0)
    0.1
    >>> check_number("lr", float("inf"), low=0.0)
    Traceback (most recent call last):
      ...
    ValueError: lr must be a finite real number >= 0.0, got inf
    >>> check_number("steps", "3", low=1, integer=True)
    Traceback (most recent call last):
      ...
    TypeError: steps must be an integer >= 1, got '3' (a str)
    """
    accepted = describe_range(
        low=low, high=high, low_open=low_open, high_open=high_open, integer=integer,
        allow_inf=allow_inf,
    )
    if isinstance(value, bool) or _is_numpy_bool(value) or not isinstance(value, Real):
        raise TypeError(f"{name} must be {accepted}, got {_shown(value)} (a {type(value).__name__})")
    try:
        v = float(value)
    except (OverflowError, ValueError, TypeError):  # an integer beyond float's range
        raise ValueError(f"{name} must be {accepted}, got {_shown(value)}") from None
    ok = not math.isnan(v) and (allow_inf and not integer or math.isfinite(v))
    if ok and integer:
        ok = v.is_integer() and (not isinstance(value, Integral) or int(value) == value)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if ok and isinstance(value, Integral):  # exact comparison for ints beyond 2**53
        if low is not None:
            ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value < high if high_open else value <= high
    if not ok:
        raise ValueError(f"{name} must be {accepted}, got {_shown(value)}")
    if integer or isinstance(value, Integral):
        return int(value) if isinstance(value, Integral) else int(v)
    return v


def check_flag(name: str, value: object) -> bool:
    """Check that ``value`` is a boolean (``bool`` or numpy's ``bool_``) and return it as a ``bool``.

    Strings, numbers and ``None`` are refused: ``"False"`` would otherwise be true.

    >>> check_flag("staircase", True)
    True
    >>> check_flag("staircase", "no")
    Traceback (most recent call last):
      ...
    TypeError: staircase must be True or False, got 'no' (a str)
    """
    if isinstance(value, bool) or _is_numpy_bool(value):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {_shown(value)} (a {type(value).__name__})")
