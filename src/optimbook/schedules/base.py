"""The :class:`Schedule` every learning-rate rule is: a pure, picklable function of the step.

A schedule maps the number of optimizer steps already taken, ``step = 0, 1, 2, …``, to a learning
rate. It has no hidden state: the value at any step is a closed form of that step and of the
arguments the factory validated once (the style of optax's schedules), so resuming training or
plotting step 10⁶ costs nothing. Each rule is a frozen dataclass whose fields are the factory's
keyword arguments; this gives equality, hashing, pickling and a ``repr`` that is the call that
rebuilds it, e.g. ``exponential_decay(learning_rate=0.5, decay_steps=10, decay_rate=0.9,
staircase=False)``. :meth:`Schedule.to_dict` and :func:`from_dict` turn a schedule into plain data
and back (what :class:`~optimbook.schedules.torch_adapter.ScheduleLR` stores in its
``state_dict``, so ``torch.load(weights_only=True)`` can read a checkpoint).
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import pkgutil
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import Any, ClassVar

from optimbook._checks import _shown, check_flag, check_number, describe_range

# check_flag is runtime's, re-exported here (where it used to live) but documented there
__all__ = ["Arg", "Schedule", "DecaySchedule", "from_dict", "check_step", "power", "scaled", "floor", "sequence"]

_REGISTRY: dict[str, type[Schedule]] = {}


def check_step(step: object) -> float:
    """Validate a step count (a finite real number ≥ 0, or a 0-d tensor/array of one) and return
    it as a float.

    >>> check_step(3)
    3.0
    >>> check_step(-1)
    Traceback (most recent call last):
      ...
    ValueError: step must be a finite real number >= 0, got -1
    """
    if type(step) is int and 0 <= step < _EXACT_STEP_LIMIT:  # the common case, kept cheap
        return float(step)
    if not isinstance(step, Real) and getattr(step, "ndim", None) == 0 and hasattr(step, "item"):
        step = step.item()  # a 0-d torch tensor or numpy array
    return float(check_number("step", step, low=0))


def power(base: float, exponent: float) -> float:
    """``base ** exponent`` for ``base >= 0``, with ``inf`` where the true value exceeds float's range
    (Python's ``**`` raises ``OverflowError`` there): how a schedule that grows stays a function.

    >>> power(2.0, 1100)
    inf
    >>> power(0.5, 1100)
    0.0
    """
    try:
        return base**exponent
    except OverflowError:
        return math.inf


def scaled(rate: float, factor: float) -> float:
    """``rate * factor``, except that a zero ``rate`` stays 0 even when ``factor`` is inf."""
    return rate * factor if rate else 0.0 * rate


def floor(x: float) -> float:
    """``math.floor`` as a float, passing ``inf`` through instead of raising ``OverflowError``."""
    return float(math.floor(x)) if math.isfinite(x) else x


def sequence(name: str, value: object, what: str) -> tuple[Any, ...]:
    """``value`` (a list, tuple, array or other finite iterable, not a string or a mapping) as a
    tuple, or ``TypeError`` saying that ``name`` must be ``what``."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be {what}, got {_shown(value)} (a {type(value).__name__})")
    return tuple(value)


@dataclasses.dataclass(frozen=True)
class Arg:
    """The accepted values of one numeric argument of a schedule, as :func:`~optimbook._checks.check_number` takes
    them. ``str(arg)`` is the range in words, as the error messages and the docs state it."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False

    def check(self, name: str, value: object) -> int | float:
        """``value`` as a plain number, or ``ValueError``/``TypeError`` naming ``name``."""
        return check_number(name, value, **dataclasses.asdict(self))

    def __str__(self) -> str:
        return describe_range(**dataclasses.asdict(self))


#: Steps below this are turned into floats without a range check (``float`` is exact for them).
_EXACT_STEP_LIMIT = 1 << 53


def plain(value: Any) -> Any:
    """A number as a plain Python ``int`` (integral types) or ``float`` (other reals)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    return value


@dataclasses.dataclass(frozen=True, repr=False)
class Schedule:
    """Base of every learning-rate schedule: ``schedule(step) -> float``, pure and picklable.

    Subclasses are frozen dataclasses that validate their fields in ``__post_init__`` and implement
    :meth:`value`. ``name`` is the factory that builds them (and the ``repr``'s function name).
    """

    name: ClassVar[str] = "schedule"
    #: The numeric fields and their accepted values, checked in this order by ``__post_init__``,
    #: which stores each as a plain ``int`` or ``float``. The fuzz tests read it as the documented
    #: range.
    arguments: ClassVar[dict[str, Arg]] = {}
    #: The boolean fields (``True``/``False`` only).
    flags: ClassVar[tuple[str, ...]] = ()
    #: The sequence fields of numbers and the accepted values of each element (checked by the
    #: subclass, which also checks how the sequences fit together).
    elements: ClassVar[dict[str, Arg]] = {}

    def __post_init__(self) -> None:
        for field, arg in self.arguments.items():
            object.__setattr__(self, field, arg.check(field, getattr(self, field)))
        for field in self.flags:
            object.__setattr__(self, field, check_flag(field, getattr(self, field)))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _REGISTRY[cls.name] = cls

    def __call__(self, step: int | float) -> float:
        """The learning rate after ``step`` optimizer steps (``step`` a finite real number ≥ 0).

        Values are computed in float64. A rule that grows without bound (a ``decay_rate`` above 1,
        say) returns ``inf`` once the rate exceeds float's range, never an ``OverflowError``; a
        step at which a rule cannot be resolved in floating point raises ``ValueError`` naming
        ``step``.
        """
        t = check_step(step)
        try:
            return self.value(t)
        except OverflowError:
            raise ValueError(
                f"step must be a step at which {self!r} can be computed in float64, got"
                f" {_shown(step)} (an intermediate value overflows)"
            ) from None

    def value(self, step: float) -> float:
        """The rule's closed form at a validated ``step`` (a float ≥ 0)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr
        )
        return f"{self.name}({args})"

    def to_dict(self) -> dict[str, Any]:
        """Plain data (dicts, lists, numbers, strings); :func:`from_dict` rebuilds ``self`` from it."""
        out: dict[str, Any] = {"name": self.name}
        for f in dataclasses.fields(self):
            out[f.name] = _encode(getattr(self, f.name))
        return out


@dataclasses.dataclass(frozen=True, repr=False)
class DecaySchedule(Schedule):
    """Base of the rules that decay ``learning_rate`` over ``decay_steps``: those fields, checked."""

    learning_rate: float
    decay_steps: float

    arguments = {"learning_rate": Arg(low=0), "decay_steps": Arg(low=0, low_open=True)}


def _encode(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot turn {value!r} into plain data (only optimbook schedules can be)")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        return from_dict(value)
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


def _import_all_schedule_modules() -> None:
    package = importlib.import_module(__package__)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{__package__}.{module.name}")


def from_dict(data: dict[str, Any]) -> Schedule:
    """Rebuild a schedule from :meth:`Schedule.to_dict`'s output."""
    if isinstance(data, dict) and data.get("name") not in _REGISTRY:
        _import_all_schedule_modules()  # a rule registers itself when its module is imported
    if not isinstance(data, dict) or data.get("name") not in _REGISTRY:
        raise ValueError(
            f"data must be a dict made by Schedule.to_dict with 'name' one of {sorted(_REGISTRY)},"
            f" got {data!r}"
        )
    cls = _REGISTRY[data["name"]]
    return cls(**{k: _decode(v) for k, v in data.items() if k != "name"})
