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

t counts optimizer steps and R = epochs × steps per epoch (``Setup.time_unit = "step"``); the
book's ablation compares the reading where both count epochs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import torch

from ..data import load_mnist
from ..finetuning import FineTuning, finetune
from ..models.autoencoder import DeepAutoencoder
from ..models.rbm import RBM
from ..optim import SGD, AdaDec, AdaGrad, AdaMix, Adam, AdamW, Nadam, PerRole, RMSProp, Rule
from ..pretraining import RBMTraining, pretrain_stack
from ..runtime import check_scale, resolve_device
from .cache import atomic_torch_save, atomic_write_text, code_version, key_digest, results_root

__all__ = [
    "COLUMNS",
    "EXPERIMENTS",
    "EXTRA_EXPERIMENTS",
    "comparison",
    "glue_key",
    "run_info",
    "summary",
    "pretrained",
    "pretraining_log",
    "trained_model",
    "PUBLISHED_SECONDS",
    "RULES",
    "SETUPS",
    "Experiment",
    "Setup",
    "Strategy",
    "published",
    "run",
    "strategy_rules",
]

RULES = ("Cons", "Exp", "Power", "AdaGrad", "AdaDec", "AdaMix", "None",
         "Adam", "AdamW", "Nadam", "RMSProp")

#: Columns of the tables :func:`run` returns.
COLUMNS = ["experiment", "strategy", "weight_rule", "bias_rule", "data_fraction", "seed", "epoch",
           "test_rer", "train_rer", "seconds"]

#: Modules whose code decides a run's numbers (the cache key includes their hash).
PRETRAIN_CODE = ["optimbook.pretraining", "optimbook.models.rbm", "optimbook.data", "optimbook.train"]
FINETUNE_CODE = PRETRAIN_CODE + ["optimbook.finetuning", "optimbook.models.autoencoder",
                                 "optimbook.optim", "optimbook.schedules", "optimbook.experiments.adamix"]


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
class Experiment:
    """One of the paper's experiments: strategies, data fractions and published 50-epoch RERs."""

    name: str
    title: str
    strategies: tuple[Strategy, ...]
    fractions: tuple[float, ...] = (0.1,)
    published: dict[tuple[str, float], float] = field(default_factory=dict)


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

#: Not in the paper: the same task with newer optimizers, beside its constant rate and AdaMix.
EXTRA_EXPERIMENTS: dict[str, Experiment] = {
    "beyond": Experiment(
        "beyond", "Beyond the paper: Adam, AdamW, Nadam and RMSProp on the same task",
        tuple(_single(s) for s in ("Cons", "AdaMix", "Adam", "AdamW", "Nadam", "RMSProp")),
    ),
}

#: Exp. 1's wall time for 50 iterations (seconds), in the paper's order Cons, AdaGrad, AdaDec, AdaMix.
PUBLISHED_SECONDS = {"Cons": 693.54, "AdaGrad": 810.20, "AdaDec": 833.79, "AdaMix": 752.56}


@dataclass(frozen=True)
class Setup:
    """Everything that decides the numbers of a run at one scale (and the readings of ambiguities).

    Paper scale follows He & Li where they speak (layer sizes, initial weights N(0, 0.001), first-layer
    biases from the data, pretraining rate 0.1, fine-tuning rate 0.001, 50 iterations, RER every 5,
    data fractions) and Hinton & Salakhutdinov's code where they are silent (CD-1, batches of 100,
    weight cost 0.0002, momentum 0.5 then 0.9, top-layer rate 0.001, 50 pretraining epochs, hidden
    probabilities passed upward, linear code layer).
    """

    sizes: tuple[int, ...] = (784, 1000, 500, 250, 30)
    fraction_scale: float = 1.0  # multiplies every experiment's data fraction (smoke: smaller data)
    subset: str = "hashed"  # how the subsets are drawn ("hashed": optimbook.data's seeded rule)
    data_seed: int = 0  # the subset does not change with the training seed
    init_std: float = math.sqrt(0.001)
    first_visible_bias: str = "data"
    pretrain_epochs: int = 50
    pretrain_lr: float = 0.1
    top_lr: float = 0.001
    weight_cost: float = 2e-4
    batch_size: int = 100
    lr: float = 0.001
    epochs: int = 50
    eval_every: int = 5
    time_unit: str = "step"  # what t and R count in p(t), β(t) and the decays
    adadec_recursive: bool = False  # eq. (14) as printed
    exp_decay_rate: float = 0.1  # Exp: the rate falls tenfold over the run
    q: float = 0.75
    K: float = 1.0
    xi: float = 0.999
    lockstep: bool = True  # train an experiment's strategies as replicas of one batched network

    def __post_init__(self) -> None:
        if self.time_unit not in ("step", "epoch"):
            raise ValueError(f"time_unit must be 'step' or 'epoch', got {self.time_unit!r}")
        if self.subset not in ("hashed", "first"):
            raise ValueError(f"subset must be 'hashed' or 'first', got {self.subset!r}")

    def pretraining(self) -> list[RBMTraining]:
        n = len(self.sizes) - 1
        return [RBMTraining(lr=self.top_lr if i == n - 1 else self.pretrain_lr,
                            weight_cost=self.weight_cost, epochs=self.pretrain_epochs,
                            batch_size=self.batch_size) for i in range(n)]

    def finetuning(self) -> FineTuning:
        return FineTuning(epochs=self.epochs, batch_size=self.batch_size, eval_every=self.eval_every)

    def numbers(self, fraction: float) -> tuple[int, int]:
        """Training and test images at an experiment's data ``fraction``."""
        f = fraction * self.fraction_scale
        return max(1, round(f * 60_000)), max(1, round(f * 10_000))


SETUPS = {
    "paper": Setup(),
    "smoke": Setup(fraction_scale=0.03, pretrain_epochs=1, epochs=4, eval_every=2),
}


def strategy_rules(strategy: Strategy, setup: Setup, steps_per_epoch: int) -> tuple[Rule | None, Rule | None]:
    """The optimizer rules (weights, biases) of a strategy under ``setup``."""
    from ..schedules import exponential_decay, power_decay

    if setup.time_unit == "epoch":  # t and R count epochs: rates change once per epoch
        from ..schedules.epochwise import per_epoch

        total, unit = setup.epochs, steps_per_epoch
    else:
        total, unit = setup.epochs * steps_per_epoch, 1
    lr = setup.lr

    def staircase(schedule):
        return per_epoch(schedule, steps_per_epoch) if unit > 1 else schedule

    def rule(name: str, role: str, both: bool) -> Rule | None:
        if name == "None":
            return None
        if name == "Cons":
            return Rule(SGD, {"lr": lr})
        if name == "Exp":
            return Rule(SGD, {"lr": lr}, staircase(exponential_decay(lr, total, setup.exp_decay_rate)))
        if name == "Power":
            return Rule(SGD, {"lr": lr}, staircase(power_decay(lr, total, setup.q)))
        if name == "AdaGrad":
            return Rule(AdaGrad, {"lr": lr, "K": setup.K, "eps": 0.0})
        if name == "AdaDec":
            if unit > 1:  # p(t) at the epoch count: the decay comes from a schedule, q = 0 inside
                return Rule(AdaDec, {"lr": lr, "K": setup.K, "xi": setup.xi, "q": 0.0, "total_steps": 1,
                                     "recursive": setup.adadec_recursive},
                            staircase(power_decay(lr, total, setup.q)))
            return Rule(AdaDec, {"lr": lr, "K": setup.K, "xi": setup.xi, "q": setup.q,
                                 "total_steps": total, "recursive": setup.adadec_recursive})
        if name == "AdaMix":
            kwargs = {"lr": lr, "K": setup.K, "q": setup.q, "total_steps": total}
            if role == "bias" and both:  # the strategy "AdaMix": biases get β(t), eq. (17)-(18)
                if unit > 1:
                    return rule("Power", role, both)  # β at the epoch count, via a schedule
                return Rule(AdaMix, kwargs)  # AdaMix itself: 1-D tensors take its bias rule
            # the per-element α(t) of eq. (16), for the weights or (Exp. 4) for the biases
            return Rule(AdaMix, kwargs, group={"role": "weight"})
        if name in ("Adam", "AdamW", "Nadam", "RMSProp"):
            return Rule({"Adam": Adam, "AdamW": AdamW, "Nadam": Nadam, "RMSProp": RMSProp}[name], {"lr": lr})
        raise ValueError(f"unknown rule {name!r}")

    both = strategy.weight_rule == strategy.bias_rule
    return rule(strategy.weight_rule, "weight", both), rule(strategy.bias_rule, "bias", both)


def published(name: str | None = None):
    """The paper's 50-iteration test RERs as a table (``experiment, strategy, data_fraction, test_rer``)."""
    import pandas as pd

    names = [name] if name else list(EXPERIMENTS)
    rows = [{"experiment": n, "strategy": label, "data_fraction": fraction, "test_rer": value}
            for n in names for (label, fraction), value in EXPERIMENTS[n].published.items()]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# The runner.
# ---------------------------------------------------------------------------------------------
def _data(setup: Setup, fraction: float, device: torch.device):
    n_train, n_test = setup.numbers(fraction)
    if setup.subset == "first":
        x, _ = load_mnist("train", device=device)
        xt, _ = load_mnist("test", device=device)
        return x[:n_train], xt[:n_test]
    x, _ = load_mnist("train", fraction=n_train / 60_000, seed=setup.data_seed, device=device)
    xt, _ = load_mnist("test", fraction=n_test / 10_000, seed=setup.data_seed, device=device)
    return x, xt


def _pretrain_key(setup: Setup, fraction: float, seed: int) -> dict:
    fields = ("sizes", "fraction_scale", "subset", "data_seed", "init_std", "first_visible_bias",
              "pretrain_epochs", "pretrain_lr", "top_lr", "weight_cost", "batch_size")
    return {"what": "pretrain", **{f: getattr(setup, f) for f in fields}, "fraction": fraction,
            "seed": seed, "code": code_version(PRETRAIN_CODE)}


def pretrained(setup: Setup, fraction: float, seed: int, train_x: torch.Tensor, folder,
               cache: bool = True) -> tuple[list[RBM], dict]:
    """The RBM stack for (setup, fraction, seed): from the cache, or pretrained and cached."""
    key = _pretrain_key(setup, fraction, seed)
    path = folder / "pretrained" / f"{key_digest(key)}.pt"
    if cache and path.is_file():
        saved = torch.load(path, map_location=train_x.device, weights_only=True)
        rbms = []
        for state, hidden in zip(saved["rbms"], saved["hidden"]):
            rbm = RBM(state["W"].shape[0], state["W"].shape[1], hidden=hidden).to(train_x.device)
            rbm.load_state_dict(state)
            rbms.append(rbm)
        return rbms, saved["log"]
    tic = time.perf_counter()
    rbms, layers = pretrain_stack(train_x, setup.sizes, setup.pretraining(), seed=seed,
                                  init_std=setup.init_std, first_visible_bias=setup.first_visible_bias)
    log = {"layers": layers, "seconds": time.perf_counter() - tic, "device": train_x.device.type}
    if cache:
        atomic_torch_save(path, {"key": key, "rbms": [r.state_dict() for r in rbms],
                                 "hidden": [r.hidden for r in rbms], "log": log})
    return rbms, log


def pretraining_log(setup: Setup, fraction: float, seed: int, *, scale: str = "paper") -> dict:
    """The log of a cached pretraining (``{"layers": [...], "seconds", "device"}``).

    Raises ``FileNotFoundError`` if that stack has not been pretrained yet (:func:`run` does it).
    """
    path = results_root() / scale / "pretrained" / f"{key_digest(_pretrain_key(setup, fraction, seed))}.pt"
    if not path.is_file():
        raise FileNotFoundError(f"no pretrained stack for fraction {fraction}, seed {seed} at {path}")
    return torch.load(path, map_location="cpu", weights_only=True)["log"]


def _run_key(strategy: Strategy, setup: Setup, fraction: float, seed: int, device: torch.device,
             steps_per_epoch: int) -> dict:
    weight, bias = strategy_rules(strategy, setup, steps_per_epoch)
    return {"what": "finetune", "weight": repr(weight), "bias": repr(bias),
            "setup": {k: v for k, v in asdict(setup).items() if k != "lockstep"},
            "fraction": fraction, "seed": seed, "device": device.type,
            "code": code_version(FINETUNE_CODE)}


def _groups(items: list, lockstep: bool) -> Iterable[list]:
    if lockstep:
        if items:
            yield items
    else:
        for item in items:
            yield [item]


def run(
    name: str,
    scale: str = "paper",
    seeds: Sequence[int] = (0,),
    device: str | torch.device = "auto",
    *,
    setup: Setup | None = None,
    strategies: Sequence[Strategy] | None = None,
    fractions: Sequence[float] | None = None,
    cache: bool = True,
    progress: bool = False,
):
    """Run experiment ``name`` ("fig4" … "fig8") and return its tidy results table.

    Args:
        name: the experiment.
        scale: ``"paper"`` (the paper's configuration) or ``"smoke"`` (seconds, for CI).
        seeds: training seeds (pretraining initialisation and sampling, mini-batch order); the data
            subset is fixed by ``Setup.data_seed``.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        setup: override the scale's :class:`Setup` (ablations).
        strategies, fractions: run only these (default: the experiment's own).
        cache: reuse finished runs and pretrained stacks from ``results/<scale>/``.
        progress: show a tqdm progress bar over fine-tuning epochs.

    Returns:
        A :class:`pandas.DataFrame` with :data:`COLUMNS`, one row per strategy, fraction, seed and
        recorded epoch (0, 5, …, 50 at paper scale).
    """
    import json

    import pandas as pd

    check_scale(scale)
    experiment = EXPERIMENTS.get(name) or EXTRA_EXPERIMENTS.get(name)
    if experiment is None:
        raise ValueError(f"name must be one of {sorted(EXPERIMENTS) + sorted(EXTRA_EXPERIMENTS)}, got {name!r}")
    setup = setup or SETUPS[scale]
    dev = resolve_device(device)
    folder = results_root() / scale
    strategies = list(strategies or experiment.strategies)
    fractions = list(fractions or experiment.fractions)
    ft = setup.finetuning()
    rows: list[dict] = []
    pending = []  # (fraction, seed, [(strategy, key, path)])
    for fraction in fractions:
        n_train, _ = setup.numbers(fraction)
        steps_per_epoch = math.ceil(n_train / setup.batch_size)
        for seed in seeds:
            todo = []
            for strategy in strategies:
                key = _run_key(strategy, setup, fraction, seed, dev, steps_per_epoch)
                path = folder / "runs" / f"{key_digest(key)}.json"
                if cache and path.is_file():
                    rows += _rows(name, strategy, fraction, seed, json.loads(path.read_text())["records"])
                else:
                    todo.append((strategy, key, path))
            if todo:
                pending.append((fraction, seed, steps_per_epoch, todo))
    bar = None
    if progress and pending:
        from tqdm.auto import tqdm

        total = sum(ft.epochs * len(list(_groups(todo, setup.lockstep))) for *_, todo in pending)
        bar = tqdm(total=total, desc=f"{name} ({scale})", unit="epoch")
    for fraction, seed, steps_per_epoch, todo in pending:
        train_x, test_x = _data(setup, fraction, dev)
        rbms, pre_log = pretrained(setup, fraction, seed, train_x, folder, cache)
        for group in _groups(todo, setup.lockstep):
            model = DeepAutoencoder.unroll(rbms, replicas=len(group)).to(dev)
            optimizers, labels = [], []
            for k, (strategy, _, _) in enumerate(group):
                weight, bias = strategy_rules(strategy, setup, steps_per_epoch)
                optimizers.append(PerRole(model.replica_parameters(k), weight=weight, bias=bias))
                labels.append(f"{name}/{strategy.label} (fraction {fraction}, seed {seed})")
            group_key = key_digest({"group": [key for _, key, _ in group]})
            tic = time.perf_counter()
            records = finetune(
                model, optimizers, labels, train_x, test_x, ft, seed=seed,
                checkpoint=folder / "checkpoints" / f"{group_key}.pt" if cache else None,
                key=group_key, progress=(lambda e: bar.update(1)) if bar is not None else None,
            )
            wall = time.perf_counter() - tic
            for k, ((strategy, key, path), recs) in enumerate(zip(group, records)):
                if cache:
                    atomic_torch_save(path.with_suffix(".pt"), {
                        "key": key, "state": model.replica_state(k), "activations": model.activations})
                    atomic_write_text(path, json.dumps({
                        "key": key, "records": recs, "replicas": len(group), "wall_seconds": wall,
                        "pretraining": pre_log, "torch": torch.__version__}))
                rows += _rows(name, strategy, fraction, seed, recs)
    if bar is not None:
        bar.close()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    order = {s.label: i for i, s in enumerate(strategies)}
    frame = frame.sort_values(["data_fraction", "seed", "strategy", "epoch"],
                              key=lambda col: col.map(order) if col.name == "strategy" else col)
    return frame.reset_index(drop=True)


def trained_model(
    name: str,
    strategy: str,
    *,
    scale: str = "paper",
    seed: int = 0,
    fraction: float | None = None,
    setup: Setup | None = None,
    device: str | torch.device = "auto",
) -> DeepAutoencoder:
    """The fine-tuned network of a finished run (from the cache), as a one-replica autoencoder.

    ``device`` is the device the run was made on (part of its cache key), where the network is
    loaded. Raises ``FileNotFoundError`` if that run has not been made (``run(name, ...)`` makes it).
    """
    experiment = EXPERIMENTS.get(name) or EXTRA_EXPERIMENTS.get(name)
    if experiment is None:
        raise ValueError(f"name must be one of {sorted(EXPERIMENTS) + sorted(EXTRA_EXPERIMENTS)}, got {name!r}")
    found = [s for s in experiment.strategies if s.label == strategy]
    if not found:
        raise ValueError(f"strategy must be one of {[s.label for s in experiment.strategies]}, got {strategy!r}")
    setup = setup or SETUPS[scale]
    fraction = experiment.fractions[0] if fraction is None else fraction
    dev = resolve_device(device)
    steps_per_epoch = math.ceil(setup.numbers(fraction)[0] / setup.batch_size)
    key = _run_key(found[0], setup, fraction, seed, dev, steps_per_epoch)
    path = results_root() / scale / "runs" / f"{key_digest(key)}.pt"
    if not path.is_file():
        raise FileNotFoundError(f"no finished run of {name}/{strategy} (seed {seed}) at {path}")
    saved = torch.load(path, map_location=dev, weights_only=True)
    state = saved["state"]
    n = len(saved["activations"])
    return DeepAutoencoder([state[f"weights.{i}"] for i in range(n)],
                           [state[f"biases.{i}"] for i in range(n)], saved["activations"])


def comparison(frame):
    """Our final-epoch test RER (mean over seeds) beside every published value in ``frame``'s
    experiments: ``experiment, strategy, data_fraction, published, ours, seeds, relative_difference``
    (ours / published − 1)."""
    import pandas as pd

    last = frame[frame["epoch"] == frame["epoch"].max()]
    ours = last.groupby(["experiment", "strategy", "data_fraction"], sort=False)["test_rer"].agg(["mean", "count"])
    rows = []
    for name in dict.fromkeys(frame["experiment"]):
        for (label, fraction), value in EXPERIMENTS[name].published.items():
            mean, count = ours.loc[(name, label, fraction)] if (name, label, fraction) in ours.index else (math.nan, 0)
            rows.append({"experiment": name, "strategy": label, "data_fraction": fraction, "published": value,
                         "ours": mean, "seeds": int(count), "relative_difference": mean / value - 1.0})
    return pd.DataFrame(rows)


def run_info(
    name: str,
    scale: str = "paper",
    seeds: Sequence[int] = (0,),
    device: str | torch.device = "auto",
    *,
    setup: Setup | None = None,
):
    """Where and how long the cached runs of an experiment took: one row per strategy, fraction and
    seed with ``wall_seconds`` (the lockstep group's fine-tuning), ``replicas`` (its size),
    ``pretraining_seconds``, ``device`` and ``torch``. Runs not made yet are left out."""
    import json

    import pandas as pd

    experiment = EXPERIMENTS.get(name) or EXTRA_EXPERIMENTS.get(name)
    if experiment is None:
        raise ValueError(f"name must be one of {sorted(EXPERIMENTS) + sorted(EXTRA_EXPERIMENTS)}, got {name!r}")
    setup = setup or SETUPS[scale]
    dev = resolve_device(device)
    rows = []
    for fraction in experiment.fractions:
        steps_per_epoch = math.ceil(setup.numbers(fraction)[0] / setup.batch_size)
        for seed in seeds:
            for strategy in experiment.strategies:
                key = _run_key(strategy, setup, fraction, seed, dev, steps_per_epoch)
                path = results_root() / scale / "runs" / f"{key_digest(key)}.json"
                if not path.is_file():
                    continue
                saved = json.loads(path.read_text())
                rows.append({"strategy": strategy.label, "data_fraction": fraction, "seed": seed,
                             "wall_seconds": saved["wall_seconds"], "replicas": saved["replicas"],
                             "pretraining_seconds": saved["pretraining"]["seconds"],
                             "device": saved["pretraining"].get("device", dev.type),
                             "torch": saved.get("torch")})
    return pd.DataFrame(rows)


def glue_key(label: str) -> str:
    """A strategy label as a name usable in the book's glue keys ("AdaMix+Cons" -> "AdaMix_Cons")."""
    return label.replace("+", "_").replace(" ", "_").replace(".", "_")


def summary(frame) -> dict[str, object]:
    """The numbers a chapter quotes about one results table, keyed for ``glue``.

    ``ours_<label>`` and ``published_<label>`` (final test RER, mean over seeds),
    ``rel_<label>`` (ours / published − 1, in percent), ``n_within`` (published values matched within
    ±10 %), ``n_rows``, ``best_ours``, ``best_paper`` and ``order_ours``/``order_paper`` (strategies
    from best to worst), for the experiment's first data fraction.
    """
    table = comparison(frame)
    out: dict[str, object] = {}
    for _, row in table.iterrows():
        key = glue_key(row["strategy"]) + ("" if row["data_fraction"] == 0.1 else f"_{glue_key(str(row['data_fraction']))}")
        out[f"ours_{key}"] = float(row["ours"])
        out[f"published_{key}"] = float(row["published"])
        out[f"rel_{key}"] = float(100 * row["relative_difference"])
    first = table[table["data_fraction"] == table["data_fraction"].iloc[0]]
    ours = first.set_index("strategy")["ours"]
    paper = first.set_index("strategy")["published"]
    out["n_within"] = int((table["relative_difference"].abs() <= 0.10).sum())
    out["n_rows"] = len(table)
    out["best_ours"] = str(ours.idxmin())
    out["best_paper"] = str(paper.idxmin())
    out["order_ours"] = " < ".join(ours.sort_values().index)
    out["order_paper"] = " < ".join(paper.sort_values().index)
    return out


def _rows(name: str, strategy: Strategy, fraction: float, seed: int, records: list[dict]) -> list[dict]:
    return [{"experiment": name, "strategy": strategy.label, "weight_rule": strategy.weight_rule,
             "bias_rule": strategy.bias_rule, "data_fraction": fraction, "seed": seed,
             "epoch": r["epoch"], "test_rer": r["test_rer"], "train_rer": r["train_rer"],
             "seconds": r["seconds"]} for r in records]


def runs_to_csv(frame, name: str, scale: str):
    """Write ``results/<scale>/<name>.csv`` atomically; return its path."""
    path = results_root() / scale / f"{name}.csv"
    atomic_write_text(path, frame.to_csv(index=False))
    return path
