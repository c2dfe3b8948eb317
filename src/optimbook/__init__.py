"""optimbook: deep-learning optimizers and learning-rate schedules as torch-native code.

The package under the book *Optimizers and learning-rate schedules, derived and reproduced*:

- :mod:`optimbook.optim` -- every optimizer of the sources as a :class:`torch.optim.Optimizer`;
- :mod:`optimbook.data` -- MNIST as tensors, deterministic subsets, synthetic problems;
- :mod:`optimbook.train` -- the shared training loop;
- :mod:`optimbook.plotting` -- the book's figure style (needs the ``book`` extra).

The core needs torch only.
"""

from importlib.metadata import PackageNotFoundError, version

from . import data, optim, runtime, train

try:
    __version__ = version("optimbook")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "data", "optim", "runtime", "train"]
