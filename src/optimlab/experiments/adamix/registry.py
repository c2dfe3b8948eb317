"""The paper's experiments as data: strategies, data fractions and the published numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "EXPERIMENTS",
    "EXTRA_EXPERIMENTS",
    "PUBLISHED_SECONDS",
    "RATE_RULES",
    "RULES",
    "Experiment",
    "READINGS",
    "Reading",
    "Strategy",
    "experiment",
    "experiment_names",
    "published",
    "rule_names",
]

#: The paper's rules that are rates of plain SGD rather than optimizers: constant, exponential and
#: power decay; ``None`` freezes the role.
RATE_RULES = ("Cons", "Exp", "Power", "None")


def rule_names() -> tuple[str, ...]:
    """The names a strategy's weight or bias rule may take: :data:`RATE_RULES`, then every optimizer
    of the registry (:data:`optimbook.testing.REGISTRY`) in its order, but PerRole (a composition of
    rules, what a strategy itself is)."""
    from optimbook.optim import PerRole
    from optimbook.testing import REGISTRY

    return RATE_RULES + tuple(name for name, info in REGISTRY.items() if info.cls is not PerRole)


#: The rule names a strategy's weight or bias rule may take (``rule_names``).
RULES = rule_names()

@dataclass(frozen=True)
class Strategy:
    """A row of a figure's legend: the paper's label and its weight and bias rules."""

    label: str
    weight_rule: str
    bias_rule: str

    def __post_init__(self) -> None:
        for role, rule in (("weight_rule", self.weight_rule), ("bias_rule", self.bias_rule)):
            if rule not in RULES:
                raise ValueError(f"{role} must be one of {RULES}, got {rule!r}")


def _pair(label: str) -> Strategy:
    weight, bias = label.split("+")
    return Strategy(label, weight, bias)


def _single(label: str) -> Strategy:
    return Strategy(label, label, label)


@dataclass(frozen=True)
class Reading:
    """A reading of the paper's ambiguities: ``Setup`` fields set away from their defaults.

    An experiment runs every strategy under every reading; a strategy the reading does not touch
    (Cons under AdaMix's weight-rate readings) has the same cache key as under the default reading,
    so the plan makes that run once and every reading's table shows it.
    """

    name: str
    overrides: tuple[tuple[str, object], ...] = ()
    description: str = ""


#: The default reading, the setup as it is.
DEFAULT_READING = Reading("default", description="the book's default readings (chapter 18's table)")


@dataclass(frozen=True)
class Experiment:
    """One of the paper's experiments: strategies, data fractions and published 50-epoch RERs, run
    under one or more readings (default: the setup as given)."""

    name: str
    title: str
    strategies: tuple[Strategy, ...]
    fractions: tuple[float, ...] = (0.1,)
    published: dict[tuple[str, float], float] = field(default_factory=dict)
    readings: tuple[Reading, ...] = (DEFAULT_READING,)

    def pairs(self, strategies=None):
        """(reading, strategy) for every reading and every strategy (or only ``strategies``)."""
        return [(r, s) for r in self.readings for s in (strategies or self.strategies)]


#: The paper's five experiments (Fig. 4-8), by name.
EXPERIMENTS: dict[str, Experiment] = {
    "fig4": Experiment(
        "fig4", "Exp. 1 (Fig. 4): AdaMix against constant, AdaGrad and AdaDec",
        tuple(_single(s) for s in ("Cons", "AdaGrad", "AdaDec", "AdaMix")),
        published={("Cons", 0.1): 8.37, ("AdaGrad", 0.1): 8.47, ("AdaDec", 0.1): 8.22,
                   ("AdaMix", 0.1): 7.82},
    ),
    "fig5": Experiment(
        "fig5", "Exp. 2 (Fig. 5): the roles of weights and biases",
        tuple(_pair(s) for s in ("Cons+Cons", "Cons+None", "None+Cons")),
        published={("Cons+Cons", 0.1): 8.37, ("Cons+None", 0.1): 9.09, ("None+Cons", 0.1): 51.40},
    ),
    "fig6": Experiment(
        "fig6", "Exp. 3 (Fig. 6): learning-rate rules for the weights (biases constant)",
        tuple(_pair(s) for s in ("Cons+Cons", "Exp+Cons", "Power+Cons", "AdaGrad+Cons",
                                 "AdaDec+Cons", "AdaMix+Cons")),
        published={("Cons+Cons", 0.1): 8.37, ("Exp+Cons", 0.1): 8.67, ("Power+Cons", 0.1): 8.38,
                   ("AdaGrad+Cons", 0.1): 8.28, ("AdaDec+Cons", 0.1): 8.10,
                   ("AdaMix+Cons", 0.1): 7.88},
    ),
    "fig7": Experiment(
        "fig7", "Exp. 4 (Fig. 7): learning-rate rules for the biases (weights constant)",
        tuple(_pair(s) for s in ("Cons+Cons", "Cons+Exp", "Cons+Power", "Cons+AdaGrad",
                                 "Cons+AdaDec", "Cons+AdaMix")),
        published={("Cons+Cons", 0.1): 8.37, ("Cons+Exp", 0.1): 8.49, ("Cons+Power", 0.1): 8.31,
                   ("Cons+AdaGrad", 0.1): 8.54, ("Cons+AdaDec", 0.1): 8.44,
                   ("Cons+AdaMix", 0.1): 8.45},
    ),
    "fig8": Experiment(
        "fig8", "Exp. 5 (Fig. 8): AdaMix on 1/10, 3/10, 6/10 and all of MNIST",
        (_single("AdaMix"),), fractions=(0.1, 0.3, 0.6, 1.0),
        published={("AdaMix", 0.1): 7.81, ("AdaMix", 0.3): 5.06, ("AdaMix", 0.6): 4.06,
                   ("AdaMix", 1.0): 3.56},
    ),
}

#: Not in the paper, the same task with newer optimizers, beside its constant rate and AdaMix.
EXTRA_EXPERIMENTS: dict[str, Experiment] = {
    "beyond": Experiment(
        "beyond", "Beyond the paper: Adam, AdamW, Nadam and RMSProp on the same task",
        tuple(_single(s) for s in ("Cons", "AdaMix", "Adam", "AdamW", "Nadam", "RMSProp")),
    ),
}

#: The readings of the paper's ambiguities that the ``readings`` experiment measures (Exp. 1's
#: strategies under each; see ``Setup`` and chapter 18).
READINGS: tuple[Reading, ...] = (
    DEFAULT_READING,
    Reading("mean-gradient", (("rate_gradient", "mean"),),
            "the adaptive rates' roots use the gradient of the per-example mean loss (g/N)"),
    Reading("current", (("adamix_rate", "current"),),
            "AdaMix's weight rate from the current gradient only: η(0)/sqrt(K + g(t)²)"),
    Reading("per-round", (("adamix_rate", "per-round"),),
            "AdaMix's weight rate updated once per epoch from that epoch's sum of squared gradients"),
    Reading("pretrain-10", (("pretrain_epochs", 10),),
            "10 RBM epochs per layer (Hinton & Salakhutdinov's code) instead of 50 (their paper)"),
)

EXTRA_EXPERIMENTS["readings"] = Experiment(
    "readings", "The readings: Exp. 1's strategies under every reading of the paper's ambiguities",
    tuple(_single(s) for s in ("Cons", "AdaGrad", "AdaDec", "AdaMix")),
    published=dict(EXPERIMENTS["fig4"].published), readings=READINGS,
)

#: Exp. 1's wall time for 50 iterations (seconds), in the paper's order Cons, AdaGrad, AdaDec, AdaMix.
PUBLISHED_SECONDS = {"Cons": 693.54, "AdaGrad": 810.20, "AdaDec": 833.79, "AdaMix": 752.56}


def experiment_names() -> list[str]:
    """Every experiment :func:`~optimlab.experiments.adamix.run` knows: the paper's five, then the
    book's own."""
    return sorted(EXPERIMENTS) + sorted(EXTRA_EXPERIMENTS)


def experiment(name: str) -> Experiment:
    """The experiment called ``name`` (one of ``EXPERIMENTS`` or ``EXTRA_EXPERIMENTS``)."""
    found = EXPERIMENTS.get(name) or EXTRA_EXPERIMENTS.get(name)
    if found is None:
        raise ValueError(f"name must be one of {experiment_names()}, got {name!r}")
    return found


def published(name: str | None = None):
    """The paper's 50-iteration test RERs as a table (``experiment, strategy, data_fraction, test_rer``)."""
    import pandas as pd

    names = [name] if name else list(EXPERIMENTS)
    rows = [{"experiment": n, "strategy": label, "data_fraction": fraction, "test_rer": value}
            for n in names for (label, fraction), value in EXPERIMENTS[n].published.items()]
    return pd.DataFrame(rows)
