"""optimbook: deep-learning optimizers and learning-rate schedules as torch-native code.

The library under the book *Optimizers and learning-rate schedules, derived and reproduced*. It
needs torch only, and never imports the book's machinery (:mod:`optimlab`):

- :mod:`optimbook.optim` -- every optimizer of the sources as a :class:`torch.optim.Optimizer`;
- :mod:`optimbook.schedules` -- every decay rule as a pure function of the step, passed as ``lr``
  (and :class:`~optimbook.schedules.torch_adapter.ScheduleLR` to drive a torch.optim optimizer with one);
- :mod:`optimbook.testing` -- the registry of optimizers with their independent oracles, valid and
  invalid configurations and capabilities (after torch's ``OptimizerInfo``); imported on first use.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import optim, schedules

try:
    __version__ = version("optimbook")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "testing":
        return import_module(".testing", __name__)  # also sets the attribute on the package
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"testing"})


__all__ = ["__version__", "optim", "schedules", "testing"]
