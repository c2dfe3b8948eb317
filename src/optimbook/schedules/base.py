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
from numbers import Integral, Real
from typing import Any, ClassVar

from ..runtime import check_number

__all__ = ["Schedule", "from_dict", "check_step", "check_flag"]

_REGISTRY: dict[str, type[Schedule]] = {}


def check_step(step: object) -> float:
    """Validate a step count (a real number ≥ 0) and return it as a float."""
    if type(step) is int and step >= 0:  # the common case, kept cheap
        return float(step)
    if not isinstance(step, Real) and getattr(step, "ndim", None) == 0 and hasattr(step, "item"):
        step = step.item()  # a 0-d torch tensor or numpy array
    check_number("step", step, low=0.0)
    if not math.isfinite(float(step)):  # type: ignore[arg-type]
        raise ValueError(f"step must be a real number in [0, inf), got {step!r}")
    return float(step)  # type: ignore[arg-type]


def check_flag(name: str, value: object) -> bool:
    """Validate a boolean argument (``bool`` or numpy's ``bool_``) and return it as a ``bool``."""
    if isinstance(value, bool) or type(value).__name__ in ("bool", "bool_"):  # numpy booleans
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {value!r}")


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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _REGISTRY[cls.name] = cls

    def __call__(self, step: int | float) -> float:
        """The learning rate after ``step`` optimizer steps (``step`` a real number ≥ 0)."""
        return self.value(check_step(step))

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
