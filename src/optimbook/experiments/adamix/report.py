"""Our numbers beside the paper's: the comparison table and the values a chapter quotes."""

from __future__ import annotations

import math

from .registry import EXPERIMENTS

__all__ = ["comparison", "glue_key", "summary"]


def comparison(frame):
    """Our final-epoch test RER (mean over seeds) beside every published value in ``frame``'s
    experiments: ``experiment, strategy, data_fraction, published, ours, seeds, relative_difference``
    (ours / published − 1)."""
    import pandas as pd

    if "reading" in frame.columns:  # the published values are compared under the default reading
        frame = frame[frame["reading"] == "default"]
    last = frame[frame["epoch"] == frame["epoch"].max()]
    ours = last.groupby(["experiment", "strategy", "data_fraction"], sort=False)["test_rer"].agg(["mean", "count"])
    rows = []
    for name in dict.fromkeys(frame["experiment"]):
        for (label, fraction), value in EXPERIMENTS[name].published.items():
            mean, count = ours.loc[(name, label, fraction)] if (name, label, fraction) in ours.index else (math.nan, 0)
            rows.append({"experiment": name, "strategy": label, "data_fraction": fraction, "published": value,
                         "ours": mean, "seeds": int(count), "relative_difference": mean / value - 1.0})
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
