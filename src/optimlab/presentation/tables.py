"""One table style for the whole book: :func:`table` turns a pandas frame into what a reader sees.

Every table of the book goes through :func:`table`, which

- shows readable headers: the ``columns`` mapping names them, with their units
  (``{"seconds": "wall time (s)"}``); a column it does not name has its snake_case name spelled out
  (``relative_difference`` becomes "relative difference");
- never shows pandas' raw row numbers: a meaningful index (a named one, such as ``strategy``, or
  row labels) becomes the first column, an unnamed integer index (row numbers, also what is left
  after filtering or ``groupby().tail()``) is dropped;
- pads the cells, so neighbouring numbers never run together;
- formats numbers (``formats``, per column, a format spec such as ``"{:.2f}"`` or ``"{:+.1%}"``);
  a column without one gets one rule (:func:`column_format`): an integer count shows as an integer
  (thousands separated in a column that reaches 10 000), floats with the same number of decimals down the column, enough
  for 4 significant digits of its largest value and 2 of its smallest (at most 4 decimals), and a
  column spanning more than four orders of magnitude, or beyond 10⁷, as ``1.19 × 10⁵`` with 3
  significant digits; a number that rounds to zero never shows a sign (``-0.00`` is ``0.00``);
- shows a min-max summary over seeds (``groupby(...).agg(["mean", "min", "max"])``) as one column
  per quantity, "mean (min–max)", and as the plain value where every group had one run
  (min = max = mean); other multi-level headers are joined into one line;
- shows text as written (escaped, never read as HTML), a reST literal in it (a word between double
  backquotes, as in the setup's field docs) as code, and a boolean as "yes" or "no";
- shows a missing value (NaN, None) as "—" and adds a footnote saying why (``missing``: the reason;
  a generic one when a table has gaps and no reason is given).

The book's CSS (``book/_static/optimbook.css``) keeps a table that is still wider than the page
inside its own box, which scrolls sideways, and lets long headers wrap.

Needs pandas and jinja2 (the ``book`` extra); the rest of ``optimbook`` does not import it.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["table", "Table", "DASH", "unsigned_zero", "MAX_ROWS", "COMPARISON", "COMPARISON_ALL", "header",
           "install", "column_format"]

#: What a missing value shows as.
DASH = "—"
_PADDING = [
    {"selector": "th, td", "props": "padding: 0.3em 0.6em; text-align: right;"},
    {"selector": "td", "props": "white-space: nowrap;"},
    {"selector": "th.col_heading", "props": "white-space: normal; min-width: 4em; max-width: 11em;"},
    {"selector": "th", "props": "font-weight: 600;"},
    {"selector": "th.col_heading", "props": "text-align: center;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; padding-bottom: 0.4em;"},
]
#: A table with more columns than this is set in a smaller type (CSS class ``optimbook-wide``) so
#: that it fits the text column.
WIDE = 5
#: Rows shown at most (the rest elided, as pandas does).
MAX_ROWS = 60
_GENERIC_MISSING = "no value: not measured, or not defined, in this run"


def header(name: Any) -> str:
    """A column name as a reader sees it: snake_case spelled out (``test_rer`` -> ``test rer``)."""
    return str(name).replace("_", " ").strip()


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_SIGNED_ZERO = re.compile(r"^[+-](?=[^1-9]*$)")
#: Significant digits of a column's largest and smallest values (fixed-point), at most this many
#: decimals, and where a column switches to scientific notation.
SIGNIFICANT, SMALLEST_SIGNIFICANT, MAX_DECIMALS = 4, 2, 4
SPAN, LARGE = 1e4, 1e7


def _scientific(value: float, digits: int = 3) -> str:
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    exponent = int(exponent)
    if exponent == 0:
        return mantissa
    return f"{mantissa} × 10{str(exponent).translate(_SUPERSCRIPT)}"


def unsigned_zero(text: str) -> str:
    """``-0.00`` and ``+0.0 %`` lose their sign: a number that rounds to zero has none."""
    return _SIGNED_ZERO.sub("", text)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # Python's or numpy's


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def column_format(values) -> Callable[[Any], str]:
    """The format of a column without an explicit one (see the module's docstring): a function of a
    cell's value. Text, booleans and mixed columns show as text."""
    present = [v for v in values if not _is_missing(v)]
    if not present or not all(_is_number(v) for v in present):
        return lambda v: DASH if _is_missing(v) else ("yes" if v else "no") if _is_bool(v) else str(v)
    finite = [float(v) for v in present if math.isfinite(float(v))]
    magnitudes = [abs(v) for v in finite if v != 0]
    hi = max(magnitudes, default=0.0)
    lo = min(magnitudes, default=0.0)
    integral = all(float(v).is_integer() for v in finite)
    if hi >= LARGE or (lo and hi / lo > SPAN and not integral):
        def scientific(v):
            if _is_missing(v):
                return DASH
            v = float(v)
            if not math.isfinite(v):
                return str(v)
            return str(int(v)) if integral and abs(v) < SPAN else _scientific(v)

        return scientific
    if integral:
        def count(v):
            if _is_missing(v):
                return DASH
            return f"{int(v):,}" if hi >= SPAN else str(int(v))

        return count
    decimals = 0
    if hi:
        decimals = max(SIGNIFICANT - 1 - math.floor(math.log10(hi)),
                       SMALLEST_SIGNIFICANT - 1 - math.floor(math.log10(lo)))
    decimals = min(max(decimals, 0), MAX_DECIMALS)
    spec = f"{{:,.{decimals}f}}" if hi >= SPAN else f"{{:.{decimals}f}}"

    def fixed(v):
        if _is_missing(v):
            return DASH
        return unsigned_zero(spec.format(float(v))) if math.isfinite(float(v)) else str(v)

    return fixed


_STATS = ("mean", "min", "max")


def _flatten_columns(data):
    """Multi-level headers as one level: a (mean, min, max) triple as one "mean (min–max)" column
    (or the mean alone where every min equals its max: one run per group), other levels joined."""
    import pandas as pd

    if not isinstance(data.columns, pd.MultiIndex):
        return data
    out = {}
    tops = list(dict.fromkeys(data.columns.get_level_values(0)))
    for top in tops:
        sub = data[top]
        subs = list(sub.columns) if isinstance(sub, pd.DataFrame) else []
        if set(_STATS) <= {str(c) for c in subs} and sub.columns.nlevels == 1:
            mean, low, high = sub["mean"], sub["min"], sub["max"]
            fmt = column_format(list(mean) + list(low) + list(high))
            name = header(top)
            if all(_is_missing(a) and _is_missing(b) or a == b for a, b in zip(low, high)):
                out[name] = mean
            else:
                out[f"{name}, mean (min–max)"] = [
                    DASH if _is_missing(m) else f"{fmt(m)} ({fmt(a)}–{fmt(b)})"
                    for m, a, b in zip(mean, low, high)]
            for extra in (c for c in subs if str(c) not in _STATS):
                out[f"{name} {header(extra)}"] = sub[extra]
        else:
            for column in data.columns:
                if column[0] == top:
                    out[" ".join(header(c) for c in column if str(c))] = data[column]
    return pd.DataFrame(out, index=data.index)


def _is_missing(value: Any) -> bool:
    import pandas as pd

    try:
        return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))
    except (TypeError, ValueError):
        return False


#: A reST literal in a cell's text (Setup's field docs say ``epochs``).
_LITERAL = re.compile(r"``(.+?)``")


def _as_text(fmt: Callable[[Any], str]) -> Callable[[Any], str]:
    """``fmt`` with a reST literal shown as its bare text."""
    return lambda value: _LITERAL.sub(r"\1", fmt(value))


def _as_html(fmt: Callable[[Any], str]) -> Callable[[Any], str]:
    """``fmt`` as HTML: the text escaped (``a < b`` is text, not markup), a reST literal as code."""
    return lambda value: _LITERAL.sub(r"<code>\1</code>", html.escape(fmt(value), quote=False))


class Table:
    """A formatted table: shows as styled HTML in a notebook or the book, as text elsewhere.

    ``frame`` is the displayed frame (renamed headers, index as a column), ``styler`` the pandas
    Styler, ``note`` the footnote (or None).
    """

    def __init__(self, frame, styler, note: str | None, caption: str | None, formatter=None):
        self.frame = frame
        self.styler = styler
        self.note = note
        self.caption = caption
        self.formatter = formatter or {}

    def cells(self):
        """The displayed frame with every cell as the text the reader sees."""
        shown = self.frame.copy()
        for column in shown.columns:
            fmt = self.formatter.get(column)
            shown[column] = [fmt(v) if fmt else (DASH if _is_missing(v) else str(v)) for v in shown[column]]
        return shown

    def _repr_html_(self) -> str:
        body = self.styler.to_html(max_rows=MAX_ROWS)
        if self.note:
            body += f'<p class="optimbook-table-note"><small>{DASH}: {html.escape(self.note)}</small></p>'
        wide = " optimbook-wide" if len(self.frame.columns) > WIDE else ""
        return f'<div class="optimbook-table{wide}">{body}</div>'

    def __repr__(self) -> str:
        text = self.cells().to_string(index=False)
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
    data = _flatten_columns(data)
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

    def fmt(spec):
        def apply(value):
            if _is_missing(value):
                return DASH
            return unsigned_zero(spec.format(value))

        return apply

    cell = {names[c]: fmt(formats[c]) if c in formats else column_format(list(data[c])) for c in data.columns}
    formatter = {name: _as_text(f) for name, f in cell.items()}
    has_missing = bool(data.map(_is_missing).to_numpy().any()) if len(data) else False
    note = (missing or _GENERIC_MISSING) if has_missing else None
    styler = shown.style.format({name: _as_html(f) for name, f in cell.items()}).hide(axis="index")
    styler = styler.set_table_styles(_PADDING)
    # text reads from the left; long text wraps within the page instead of pushing columns off it
    text = [] if isinstance(shown.columns, pd.MultiIndex) else [
        names[c] for c in data.columns if not pd.api.types.is_numeric_dtype(data[c]) and not data[c].map(
            lambda v: isinstance(v, (int, float)) or _is_missing(v)).all()]
    for name in text:
        longest = int(shown[name].map(lambda v: len(str(v))).max()) if len(shown) else 0
        # !important: the table-wide "#T td" rules are more specific than a cell's id
        props = {"text-align": "left !important"}
        if longest > 24:
            props.update({"white-space": "normal !important", "min-width": "8em", "max-width": "26em"})
        styler = styler.set_properties(subset=[name], **props)
    if caption:
        styler = styler.set_caption(caption)
    return Table(shown, styler, note, caption, formatter)


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
