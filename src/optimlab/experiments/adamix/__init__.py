"""He & Li (2016) as data: the five experiments, their strategies, the published numbers, one runner.

Every experiment pretrains the 784-1000-500-250-30 RBM stack once per (data fraction, seed), unrolls
it, and fine-tunes one copy per strategy from the identical pretrained network, recording the
reconstruction error every 5 of 50 epochs (He & Li's "SGD iterations" 5…50). A strategy is
"weight rule + bias rule" (the paper's Exp. 2-4 notation); Exp. 1 names single rules that apply to
both. The rules:

========  ======================================================================================
Cons      constant rate, θ ← θ − η g (SGD)
Exp       exponential decay η·r^(t/R) (the paper gives no constants; ``Setup.exp_decay_rate``)
Power     power decay η (1 + t/R)^(−q), q = 0.75 (the paper's p(t), eq. (15))
AdaGrad   eq. (12), K = 1
AdaDec    eq. (13)-(15), K = 1, ξ = 0.999, q = 0.75
AdaMix    eq. (16): per-element α(t) = α(t−1)/sqrt(1 + g²). As the whole strategy "AdaMix"
          (Exp. 1, 5), biases get AdaMix's own rule β(t) = β(0)(1 + t/R)^(−q), eq. (17)-(18);
          as a bias rule after another weight rule ("Cons+AdaMix", Exp. 4) biases get the
          weight part, as the paper says ("偏置为 AdaMix 的权重部分的学习率").
None      frozen (learning rate zero)
Adam,     not in the paper (the "beyond" experiment): torch.optim's defaults at the paper's rate
AdamW,    0.001
Nadam,
RMSProp
========  ======================================================================================

t counts optimizer steps and R = epochs × steps per epoch (``Setup.time_unit = "step"``). Every
ambiguity of the paper is a field of :class:`Setup` with its choices (:func:`readings_table`); the
``readings`` experiment runs Exp. 1's strategies under each (:data:`~optimlab.experiments.adamix.registry.READINGS`),
and the claims run every experiment under each. The settings the text does not give that are measured
only to explain a published value we miss are sensitivity fields of :class:`Setup`
(:func:`sensitivities_table`); the ``explanations`` experiment runs every hypothesis of
``HYPOTHESES`` (in ``optimlab.experiments.adamix.registry``).
"""

from optimlab.experiments.adamix import registry, report, runner, setup
from optimlab.experiments.adamix.registry import (
    BASELINES,
    EXPERIMENTS,
    EXTRA_EXPERIMENTS,
    PUBLISHED_SECONDS,
    READINGS,
    RULES,
    Experiment,
    HYPOTHESES,
    Hypothesis,
    Reading,
    Strategy,
    experiment,
    experiment_names,
    published,
)
from optimlab.experiments.adamix.report import comparison, glue_key, summary
from optimlab.experiments.adamix.runner import (
    COLUMNS,
    Plan,
    collect,
    default_workers,
    execute,
    plan,
    pretrained,
    pretraining_log,
    run,
    run_info,
    runs_to_csv,
    trained_model,
)
from optimlab.experiments.adamix.setup import SETUPS, Setup, readings_table, sensitivities_table, strategy_rules

__all__ = [
    "registry",
    "report",
    "runner",
    "setup",
    "BASELINES",
    "COLUMNS",
    "EXPERIMENTS",
    "EXTRA_EXPERIMENTS",
    "PUBLISHED_SECONDS",
    "READINGS",
    "RULES",
    "SETUPS",
    "Experiment",
    "HYPOTHESES",
    "Hypothesis",
    "Plan",
    "Reading",
    "Setup",
    "Strategy",
    "collect",
    "comparison",
    "default_workers",
    "execute",
    "experiment",
    "experiment_names",
    "glue_key",
    "plan",
    "published",
    "pretrained",
    "pretraining_log",
    "readings_table",
    "run",
    "run_info",
    "runs_to_csv",
    "sensitivities_table",
    "strategy_rules",
    "summary",
    "trained_model",
]
