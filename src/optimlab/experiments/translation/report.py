"""What chapter 20 shows of the translation study, one call per result: the corpus and model in
numbers, the protocol's settings, the runs and their verdicts, the score table, the sensitivity to
the tuning budget, example translations and the compute.

Each function returns a table and/or the ``{name: value}`` numbers the chapter's prose glues.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optimlab.experiments.stats import mean_interval
from optimlab.experiments.translation import corpus, metrics, protocol, runner
from optimlab.runtime import check_scale, resolve_device

__all__ = ["Study", "compute", "corpus_numbers", "examples_table", "families_table", "model_table",
           "protocol_numbers", "score_table", "sensitivity", "study", "test_pairs"]


def corpus_numbers(scale: str, data: runner.Data) -> dict[str, Any]:
    """The corpus's sizes at ``scale`` (``n_pairs``, ``n_train``, ``n_valid``, ``n_test``,
    ``src_vocab``, ``tgt_vocab``, ``n_lexicon``), ``scale`` and ``scale_note`` (what the numbers can
    show at this scale)."""
    sizes = data.sizes
    return {
        "scale": scale, "n_pairs": runner.SETTINGS[check_scale(scale)].pairs, "n_train": sizes["train"],
        "n_valid": sizes["valid"], "n_test": sizes["test"], "src_vocab": sizes["src_vocab"],
        "tgt_vocab": sizes["tgt_vocab"], "n_lexicon": len(corpus.load_lexicon()),
        "scale_note": ("At smoke scale the corpus, the model and the training are far too small for any of this "
                       "chapter's numbers to be evidence about the claim: they show that the machinery runs."
                       if scale == "smoke" else "These are the paper-scale numbers."),
    }


def test_pairs(data: runner.Data, n: int = 5) -> pd.DataFrame:
    """The first ``n`` test pairs, French beside English."""
    return pd.DataFrame({"French (source)": data.test_sources[:n], "English (reference)": data.test_references[:n]})


def model_table(scale: str, data: runner.Data) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The model's shape and training settings at ``scale`` (one row) and ``n_params`` (counted from
    a built model) and ``signature`` (the metrics')."""
    settings = runner.SETTINGS[check_scale(scale)]
    n_params = sum(p.numel() for p in runner._model(settings, data, 0, "cpu").parameters())
    row = {"d_model": settings.d_model, "heads": settings.heads, "encoder layers": settings.layers,
           "decoder layers": settings.layers, "feed-forward": settings.ff, "dropout": settings.dropout,
           "parameters": n_params, "batch": settings.batch_size, "epochs": settings.epochs}
    return pd.DataFrame([row]), {"n_params": n_params, "signature": metrics.signature()}


def protocol_numbers(scale: str) -> dict[str, Any]:
    """The protocol's settings at ``scale``: ``warmup_pct``, ``grid``, ``small_grid``, ``n_seeds``,
    ``level``, ``tuning_seed``."""
    settings = runner.SETTINGS[check_scale(scale)]
    seeds = runner.SEEDS[scale]
    return {"warmup_pct": round(100 * settings.warmup_fraction),
            "grid": ", ".join(f"{lr:g}" for lr in settings.grid),
            "small_grid": ", ".join(f"{lr:g}" for lr in settings.small_grid),
            "n_seeds": len(seeds), "level": round(100 * protocol.LEVEL), "tuning_seed": seeds[0]}


def families_table() -> pd.DataFrame:
    """The optimizer families and their members."""
    return pd.DataFrame([{"family": family, "optimizers": ", ".join(members)}
                         for family, members in protocol.FAMILIES.items()])


@dataclass
class Study:
    """The chapter's runs (``frame``), their final rows, and C7's verdict under every budget."""

    scale: str
    frame: pd.DataFrame
    verdicts: dict  # budget name -> (verdict, paired differences, details)

    @property
    def ends(self) -> pd.DataFrame:
        return protocol.final(self.frame)

    @property
    def details(self) -> dict:
        return self.verdicts["protocol"][2]

    @property
    def chosen(self) -> dict[str, float]:
        """Each optimizer's chosen peak rate under the protocol."""
        return self.details["choices"]

    @property
    def best(self) -> dict[str, str]:
        """The best member of each family under the protocol."""
        return self.details["best"]

    @property
    def diffs(self) -> pd.DataFrame:
        return self.verdicts["protocol"][1]

    def tuning_runs(self) -> pd.DataFrame:
        """The final rows of the tuning seed's warm-up runs at the grid's rates."""
        ends, settings = self.ends, runner.SETTINGS[self.scale]
        return ends[(ends["seed"] == runner.SEEDS[self.scale][0]) & (ends["warmup"] > 0)
                    & ends["lr"].isin(settings.grid)]

    def at_choice(self) -> pd.DataFrame:
        """Every recorded row of the warm-up runs at each optimizer's chosen rate."""
        frame = self.frame
        chosen = frame["optimizer"].map(self.chosen)
        return frame[(frame["warmup"] > 0) & ((frame["lr"] - chosen).abs() < 1e-12)]

    def numbers(self) -> dict[str, Any]:
        """``verdict`` and ``verdict_<budget>``, ``best_moment``, ``best_gd``, ``best_ag``, ``n_runs``,
        ``n_diverged``, and ``edge_top`` / ``edge_bottom``: the optimizers whose chosen rate is the
        grid's largest / smallest (``"none"`` if none), whose tuning budget was binding."""
        ends, grid = self.ends, runner.SETTINGS[self.scale].grid
        top, bottom = (", ".join(m for m in protocol.OPTIMIZERS if math.isclose(self.chosen[m], edge, rel_tol=1e-9))
                       or "none" for edge in (max(grid), min(grid)))
        out = {"verdict": self.verdicts["protocol"][0], "best_moment": self.best[protocol.MOMENT],
               "best_gd": self.best["gradient descent"], "best_ag": self.best["adaptive gradient"],
               "n_runs": len(ends), "n_diverged": int(ends["diverged"].sum()),
               "edge_top": top, "edge_bottom": bottom}
        out.update({f"verdict_{name.replace(' ', '_')}": v for name, (v, _, _) in self.verdicts.items()})
        return out


def study(scale: str, device="auto") -> Study:
    """Run (or read from the cache) the chapter's runs at ``scale`` and test C7 under every budget."""
    frame = runner.run(scale, seeds=runner.SEEDS[check_scale(scale)], device=device)
    return Study(scale, frame, {b.name: runner.claim(frame, scale, b.name) for b in protocol.BUDGETS})


def _interval(found: tuple[float, float, float]) -> str | None:
    """An interval ``(mean, low, high)`` as the text a table shows, ``"low – high"`` to one decimal;
    ``None`` (shown as a dash) when it is not defined (one seed)."""
    _, low, high = found
    return None if not (math.isfinite(low) and math.isfinite(high)) else f"{low:.1f} – {high:.1f}"


def score_table(found: Study) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Final test BLEU and chrF at each optimizer's chosen rate: mean over seeds with a Student-t
    interval (a diverged run scores 0), ★ on the best of each family; and ``bleu_moment`` (the best
    adaptive-moment optimizer's mean BLEU)."""
    runs = protocol.chosen_runs(found.frame, found.chosen, True)
    best = set(found.best.values())
    rows = []
    for optimizer, g in runs.groupby("optimizer", sort=False):
        bleu = mean_interval(g["test_bleu"].fillna(0.0).tolist(), protocol.LEVEL)
        chrf = mean_interval(g["test_chrf"].fillna(0.0).tolist(), protocol.LEVEL)
        rows.append({"optimizer": optimizer + (" ★" if optimizer in best else ""),
                     "family": protocol.family_of(optimizer), "peak rate": found.chosen[optimizer],
                     "validation loss": g["val_loss"].mean(), "BLEU": bleu[0], "BLEU low": bleu[1],
                     "BLEU high": bleu[2], "BLEU interval": _interval(bleu), "chrF": chrf[0],
                     "chrF low": chrf[1], "chrF high": chrf[2], "chrF interval": _interval(chrf),
                     "diverged runs": int(g["diverged"].sum())})
    table = pd.DataFrame(rows)
    moment = table["optimizer"] == found.best[protocol.MOMENT] + " ★"
    return table, {"bleu_moment": float(table.loc[moment, "BLEU"].iloc[0]) if moment.any() else math.nan}


def sensitivity(found: Study) -> pd.DataFrame:
    """The paired differences of every budget, each row with its budget's verdict."""
    return pd.concat([t.assign(verdict=v) for v, t, _ in found.verdicts.values()], ignore_index=True)


def examples_table(found: Study, n: int = 5, device="auto") -> pd.DataFrame:
    """The first ``n`` test sentences as the best adaptive-moment and the best gradient-descent
    optimizers translate them (tuning seed, chosen rate, warm-up)."""
    seed = runner.SEEDS[found.scale][0]
    names = [found.best[protocol.MOMENT], found.best["gradient descent"]]
    made = {name: runner.examples(found.scale, name, found.chosen[name], seed, True, device=device)[:n]
            for name in names}
    first = made[names[0]]
    return pd.DataFrame({"French": [m["source"] for m in first], "reference": [m["reference"] for m in first],
                         **{name: [m["hypothesis"] for m in made[name]] for name in names}})


def compute(found: Study, device="auto") -> dict[str, Any]:
    """``tflop`` (all distinct runs' work), ``train_minutes`` (their training time) and ``device_name``."""
    per_run = found.frame.groupby(["optimizer", "lr", "seed", "warmup"])[["flop", "seconds"]].max()
    return {"tflop": float(per_run["flop"].sum()) / 1e12, "train_minutes": float(per_run["seconds"].sum()) / 60,
            "device_name": str(resolve_device(device))}
