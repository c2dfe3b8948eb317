"""Experiments as data: registries of configurations, one runner each, tidy result tables.

- :mod:`optimbook.experiments.classifier` -- optimizers and schedules head to head on an MNIST MLP;
- :mod:`optimbook.experiments.cache` -- the results cache (configuration + code version, atomic).
"""

from . import cache, classifier
from .classifier import compare

__all__ = ["cache", "classifier", "compare"]
