"""optimlab.presentation.tables.table: one rule for every number the book shows in a table."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

pytest.importorskip("jinja2")
from optimlab.presentation.tables import DASH, column_format, table  # noqa: E402


def _cells(frame, **kw):
    return table(frame, **kw).cells()


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def test_a_float_column_has_one_number_of_decimals_and_no_six_decimal_floats():
    shown = _cells(pd.DataFrame({"loss": [0.312345678, 7.8, 83.8212345]}))["loss"]
    assert len({_decimals(v) for v in shown}) == 1
    assert all(_decimals(v) <= 4 for v in shown)
    # every value keeps at least two significant digits, and reads back close to the value
    for text, value in zip(shown, [0.312345678, 7.8, 83.8212345]):
        assert math.isclose(float(text), value, rel_tol=0.05)


def test_one_column_never_mixes_plain_and_exponent_notation():
    # chapter 1's mix: 2663, 2.18e+04, 1.193e+05 in one column
    shown = list(_cells(pd.DataFrame({"updates": [2663.0, 21800.0, 119300.0]}))["updates"])
    assert not any("e" in v or "×" in v for v in shown)
    assert shown == ["2,663", "21,800", "119,300"]


def test_an_integer_count_shows_no_decimals_even_in_a_float_column_with_gaps():
    shown = _cells(pd.DataFrame({"steps": [3.0, None, 12.0]}))["steps"]
    assert list(shown) == ["3", DASH, "12"]


def test_a_huge_count_is_scientific_not_a_sixteen_digit_integer():
    # chapter 7's "steps to 1e-6": 9999999999990000
    shown = list(_cells(pd.DataFrame({"steps": [3, 9999999999990000]}))["steps"])
    assert shown[0] == "3"
    assert "×" in shown[1] and len(shown[1]) < 12 and not re.search(r"\d{5}", shown[1])


def test_a_column_spanning_many_orders_of_magnitude_is_scientific_throughout():
    shown = list(_cells(pd.DataFrame({"gap": [1e-12, 1e-3, 0.5]}))["gap"])
    assert all("× 10" in v for v in shown)


def test_no_none_and_no_nan_but_a_dash_and_its_footnote():
    t = table(pd.DataFrame({"a": ["x", None], "b": [1.5, float("nan")]}), missing="not run")
    text = repr(t)
    assert "None" not in text and "nan" not in text.lower()
    assert DASH in text and "not run" in t._repr_html_()


@pytest.mark.parametrize("spec", ["{:.2f}", "{:+.2f}", "{:+.1%}"])
def test_a_number_that_rounds_to_zero_has_no_sign(spec):
    # chapter 18's -0.00 and +0.00 seconds
    shown = list(_cells(pd.DataFrame({"d": [-0.0001, 0.0002, -0.5]}), formats={"d": spec})["d"])
    assert not any(re.match(r"^[+-]0[.,]?0*\s*%?$", v) for v in shown)
    assert shown[2].startswith("-")


def test_default_rule_never_shows_negative_zero():
    shown = list(_cells(pd.DataFrame({"d": [-0.00001, 12.5]}))["d"])
    assert not any(v.startswith("-0") and not re.search(r"[1-9]", v) for v in shown)


def _seed_table(seeds):
    rows = [{"label": lab, "seed": s, "loss": 0.3 + 0.01 * s + (lab == "b"), "acc": 0.9 - 0.01 * s}
            for lab in ("a", "b") for s in seeds]
    return pd.DataFrame(rows).groupby("label")[["loss", "acc"]].agg(["mean", "min", "max"])


def test_a_seed_table_with_one_seed_shows_the_value_not_mean_min_max():
    shown = _cells(_seed_table([0]))
    assert list(shown.columns) == ["label", "loss", "acc"]


def test_a_seed_table_with_several_seeds_shows_mean_and_range_in_one_column_per_quantity():
    shown = _cells(_seed_table([0, 1, 2]))
    assert len(shown.columns) == 3
    cell = shown.iloc[0, 1]
    mean, low, high = (float(x) for x in re.findall(r"[\d.]+", cell))
    assert low <= mean <= high and "–" in cell


def test_text_columns_stay_text():
    fmt = column_format(["AdaMix", "Cons", None])
    assert [fmt(v) for v in ["AdaMix", None]] == ["AdaMix", DASH]


def test_html_table_sits_in_its_scrolling_box():
    html = table(pd.DataFrame({"a": [1.0, 2.5]}))._repr_html_()
    assert html.startswith('<div class="optimbook-table">')


def test_book_css_keeps_wide_tables_and_equations_inside_their_box():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[1] / "book" / "_static" / "optimbook.css").read_text()
    rules = dict(re.findall(r"([^{}]+)\{([^{}]*)\}", re.sub(r"/\*.*?\*/", "", css, flags=re.S)))
    table_box = next(body for sel, body in rules.items() if sel.strip() == "div.optimbook-table")
    assert "overflow-x: auto" in table_box and "max-width: 100%" in table_box
    math_box = next(body for sel, body in rules.items() if "div.math" in sel and "mjx-container" in sel)
    assert "overflow-x: auto" in math_box


def test_a_table_with_many_columns_is_marked_wide_and_a_narrow_one_is_not():
    import pandas as pd

    from optimlab.presentation.tables import WIDE, table

    narrow = pd.DataFrame({f"c{i}": [1.5] for i in range(WIDE)})
    wide = pd.DataFrame({f"c{i}": [1.5] for i in range(WIDE + 1)})
    assert "optimbook-wide" not in table(narrow)._repr_html_()
    assert "optimbook-wide" in table(wide)._repr_html_()


def test_a_docstring_literal_in_a_text_cell_shows_as_code_and_the_rest_is_escaped():
    # Setup's field docs use reST literals (``epochs``); a reader sees code, never the backticks,
    # and text such as "a < b & c" is shown as written, not read as markup
    frame = pd.DataFrame({"field": ["stop_early_epochs"],
                          "decides": ["stops before ``epochs`` when a < b & c"]})
    shown = table(frame)
    html = shown._repr_html_()
    assert "``" not in html
    assert "<code>epochs</code>" in html
    assert "a &lt; b &amp; c" in html
    assert shown.cells()["decides"].tolist() == ["stops before epochs when a < b & c"]


def test_a_yes_or_no_column_reads_yes_and_no_not_pythons_true_and_false():
    import numpy as np

    shown = _cells(pd.DataFrame({"within": [True, False, None], "np": np.array([True, False, True]),
                                 "mixed": [True, "maybe", 1.5]}))
    assert shown["within"].tolist() == ["yes", "no", DASH]
    assert shown["np"].tolist() == ["yes", "no", "yes"]
    assert shown["mixed"].tolist() == ["yes", "maybe", "1.5"]
