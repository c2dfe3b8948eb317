"""One table style for the whole book: :func:`table` turns a pandas frame into what a reader sees.

Every table of the book goes through :func:`table`, which

- shows readable headers: the ``columns`` mapping names them, with their units
  (``{"seconds": "wall time (s)"}``); a column it does not name has its snake_case name spelled out
  (``relative_difference`` becomes "relative difference");
- never shows pandas' raw row numbers: a meaningful index (a named one, such as ``strategy``, or
  row labels) becomes the first column, an unnamed integer index (row numbers, also what is left
  after filtering or ``groupby().tail()``) is dropped;
- pads the cells, so neighbouring numbers never run together;
- formats numbers (``formats``, per column, a format spec such as ``"{:.2f}"`` or ``"{:+.1%}"``;
  floats default to 4 significant digits);
- shows a missing value (NaN, None) as "—" and adds a footnote saying why (``missing``: the reason;
  a generic one when a table has gaps and no reason is given).

Needs pandas and jinja2 (the ``book`` extra); the rest of ``optimbook`` does not import it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

__all__ = ["table", "Table", "DASH", "MAX_ROWS", "COMPARISON", "COMPARISON_ALL", "header",
           "install"]

#: What a missing value shows as.
DASH = "—"
_PADDING = [
    {"selector": "th, td", "props": "padding: 0.3em 0.9em; text-align: right;"},
    {"selector": "td", "props": "white-space: nowrap;"},
    {"selector": "th", "props": "font-weight: 600;"},
    {"selector": "th.col_heading", "props": "text-align: center;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; padding-bottom: 0.4em;"},
]
#: Rows shown at most (the rest elided, as pandas does).
MAX_ROWS = 60
_GENERIC_MISSING = "no value: not measured, or not defined, in this run"


def header(name: Any) -> str:
    """A column name as a reader sees it: snake_case spelled out (``test_rer`` -> ``test rer``)."""
    return str(name).replace("_", " ").strip()


def _is_missing(value: Any) -> bool:
    import pandas as pd

    try:
        return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))
    except (TypeError, ValueError):
        return False


class Table:
    """A formatted table: shows as styled HTML in a notebook or the book, as text elsewhere.

    ``frame`` is the displayed frame (renamed headers, index as a column), ``styler`` the pandas
    Styler, ``note`` the footnote (or None).
    """

    def __init__(self, frame, styler, note: str | None, caption: str | None):
        self.frame = frame
        self.styler = styler
        self.note = note
        self.caption = caption

    def _repr_html_(self) -> str:
        body = self.styler.to_html(max_rows=MAX_ROWS)
        if self.note:
            body += f'<p class="optimbook-table-note"><small>{DASH}: {html.escape(self.note)}</small></p>'
        return f'<div class="optimbook-table">{body}</div>'

    def __repr__(self) -> str:
        text = self.frame.to_string(index=False, na_rep=DASH)
        if self.caption:
            text = f"{self.caption}\n{text}"
        if self.note:
            text += f"\n{DASH}: {self.note}"
        return text


def table(
    frame,
    *,
    columns: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
    missing: str | None = None,
    caption: str | None = None,
    keep: list[str] | None = None,
) -> Table:
    """Format ``frame`` for the book (see the module's docstring).

    ``columns`` maps the frame's column (or index) names to headers with units; ``formats`` maps
    the same names to format specs; ``missing`` says why a cell may be empty; ``keep`` selects and
    orders the columns (by their original names, after the index became a column); ``caption`` is
    shown above the table.
    """
    import pandas as pd

    data = frame.to_frame() if isinstance(frame, pd.Series) else frame.copy()
    row_numbers = data.index.nlevels == 1 and data.index.name is None and (
        pd.api.types.is_integer_dtype(data.index.dtype))
    if not row_numbers:
        # an unnamed index (row labels) gets a blank header, not pandas' "index"
        data.index = data.index.set_names(
            [n if n is not None else " " * (i + 1) for i, n in enumerate(data.index.names)])
        data = data.reset_index()
    else:
        data = data.reset_index(drop=True)
    if keep is not None:
        data = data[list(keep)]
    columns = dict(columns or {})
    formats = dict(formats or {})
    names = {c: columns.get(c, header(c)) for c in data.columns}
    shown = data.rename(columns=names)

    def default(value):
        if _is_missing(value):
            return DASH
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)

    def fmt(spec):
        def apply(value):
            if _is_missing(value):
                return DASH
            return spec.format(value)

        return apply

    formatter = {names[c]: fmt(formats[c]) if c in formats else default for c in data.columns}
    has_missing = bool(data.map(_is_missing).to_numpy().any()) if len(data) else False
    note = (missing or _GENERIC_MISSING) if has_missing else None
    styler = shown.style.format(formatter).hide(axis="index").set_table_styles(_PADDING)
    # text reads from the left; long text wraps within the page instead of pushing columns off it
    text = [] if isinstance(shown.columns, pd.MultiIndex) else [
        names[c] for c in data.columns if not pd.api.types.is_numeric_dtype(data[c]) and not data[c].map(
            lambda v: isinstance(v, (int, float)) or _is_missing(v)).all()]
    for name in text:
        longest = int(shown[name].map(lambda v: len(str(v))).max()) if len(shown) else 0
        # !important: the table-wide "#T td" rules are more specific than a cell's id
        props = {"text-align": "left !important"}
        if longest > 24:
            props.update({"white-space": "normal !important", "min-width": "10em", "max-width": "26em"})
        styler = styler.set_properties(subset=[name], **props)
    if caption:
        styler = styler.set_caption(caption)
    return Table(shown, styler, note, caption)


def install() -> None:
    """Show every pandas DataFrame the notebook displays through :func:`table`, and pad every
    Styler's cells (called by :func:`optimlab.presentation.plotting.use_style`; nothing outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    import pandas as pd
    from pandas.io.formats.style import Styler

    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(pd.DataFrame, lambda frame: table(frame)._repr_html_())
    formatter.for_type(
        Styler,
        lambda styler: '<div class="optimbook-table">'
        + styler.set_table_styles(_PADDING, overwrite=False).to_html()
        + "</div>",
    )


#: Headers and formats of :func:`optimlab.experiments.adamix.report.comparison` (the
#: published-vs-ours tables of chapters 13-18), for one experiment: ``table(adamix.comparison(frame),
#: **tables.COMPARISON)``. :data:`COMPARISON_ALL` keeps the experiment and seed columns (several
#: experiments in one table).
COMPARISON_ALL = {
    "columns": {
        "experiment": "experiment",
        "strategy": "strategy (weights+biases)",
        "data_fraction": "share of MNIST",
        "published": "paper's test RER",
        "ours": "our test RER",
        "seeds": "seeds (runs)",
        "relative_difference": "ours vs paper (%)",
    },
    "formats": {"data_fraction": "{:g}", "published": "{:.2f}", "ours": "{:.2f}",
                "relative_difference": "{:+.1%}"},
    "missing": "no run of ours for this published value at this scale",
}
COMPARISON = {**COMPARISON_ALL,
              "keep": ["strategy", "data_fraction", "published", "ours", "relative_difference"]}
