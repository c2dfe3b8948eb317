"""optimbook: deep-learning optimizers and learning-rate schedules as torch-native code.

The package under the book *Optimizers and learning-rate schedules, derived and reproduced*:

- :mod:`optimbook.optim` -- every optimizer of the sources as a :class:`torch.optim.Optimizer`;
- :mod:`optimbook.schedules` -- every decay rule as a pure function of the step, and
  :class:`~optimbook.schedules.ScheduleLR` to drive any torch optimizer with one;
- :mod:`optimbook.data` -- MNIST as tensors, deterministic subsets, synthetic problems;
- :mod:`optimbook.train` -- the shared training loop;
- :mod:`optimbook.experiments`, :mod:`optimbook.plotting` and the other modules are imported on
  first use (``optimbook.experiments`` after ``import optimbook`` works; ``plotting`` needs the
  ``book`` extra).

The core needs torch only.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import data, optim, runtime, schedules, train

try:
    __version__ = version("optimbook")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

#: Submodules imported on first attribute access (they import more than torch, or are rarely used).
_LAZY = (
    "diagnostics",
    "diagrams",
    "experiments",
    "finetuning",
    "landscapes",
    "losses",
    "models",
    "plotting",
    "pretraining",
    "stats",
    "storage",
)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return import_module(f".{name}", __name__)  # also sets the attribute on the package
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["__version__", "data", "optim", "runtime", "schedules", "train"]
