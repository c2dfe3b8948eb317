"""Experiments as data: registries of configurations, one runner each, tidy result tables.

- :mod:`optimlab.experiments.classifier` -- optimizers and schedules head to head on an MNIST MLP;
- :mod:`optimlab.experiments.cache` -- the results cache (configuration + code version, atomic).
"""

from optimlab.experiments import cache, classifier
from optimlab.experiments.classifier import compare

__all__ = ["cache", "classifier", "compare"]
