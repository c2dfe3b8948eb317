"""optimlab.presentation.plotting: alt text, legends clear of the data, smoke-scale RER figures, and
the prose of the Colab notebooks."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from optimlab.presentation import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# --- alt text -------------------------------------------------------------------------------------

def test_alt_text_has_no_tex_and_no_unit_placeholder():
    fig, axes = plotting.subplots(2)
    axes[0].plot([1, 2], [3, 4], label=r"$\eta = 0.1$")
    axes[0].legend()
    plotting.label(axes[0], "step t", r"excess loss $J(\theta)-J(\hat\theta)$")
    plotting.label(axes[1], r"momentum $\mu$ (1)", r"step length $\|\theta_{t+1}-\theta_t\|$ (1)",
                   r"$\log_{10}(\alpha / \eta_0)$")
    text = plotting.describe(fig)
    assert not re.search(r"[\\$^{}]|_\{|\(1\)", text), text
    assert "θ" in text and "μ" in text and "η" in text and "α" in text


def test_alt_text_of_untitled_panels_says_what_they_draw():
    fig, axes = plotting.subplots(2, 2)
    for ax in axes:
        ax.imshow(np.zeros((3, 3)))
        ax.axis("off")
    text = plotting.describe(fig)
    assert text != "Figure. 4 panels." and "image" in text


# --- legends --------------------------------------------------------------------------------------

def test_legend_covers_data_sees_a_legend_on_a_line():
    fig, ax = plotting.subplots(1)
    x = np.linspace(0, 1, 50)
    for k in range(6):
        ax.plot(x, np.full_like(x, k), label=f"curve {k}")
    shown = ax.legend(loc="center")
    assert plotting.legend_covers_data(ax, shown)
    shown.remove()
    below = ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2))
    assert not plotting.legend_covers_data(ax, below)


def test_legend_helper_never_covers_the_data():
    fig, ax = plotting.subplots(1)
    x = np.linspace(0, 1, 50)
    # curves everywhere: no free corner inside the axes
    for k in range(8):
        ax.plot(x, np.full_like(x, k), label=f"a rather long legend entry {k}")
    shown = plotting.legend(ax)
    assert shown is not None and not plotting.legend_covers_data(ax, shown)


def test_legend_helper_keeps_a_legend_inside_when_a_corner_is_free():
    fig, ax = plotting.subplots(1)
    ax.plot([0, 1], [0, 1], label="rising")
    shown = plotting.legend(ax)
    assert not plotting.legend_covers_data(ax, shown)


# --- RER figures at smoke scale ---------------------------------------------------------------------

def _frame(epochs):
    return pd.DataFrame([{"strategy": s, "seed": 0, "epoch": e, "test_rer": 80 - e - 3 * i}
                         for i, s in enumerate(["Cons", "AdaMix"]) for e in range(0, epochs + 1)])


PUBLISHED = pd.DataFrame({"strategy": ["Cons", "AdaMix"], "test_rer": [8.2, 7.8]})


def test_a_short_run_shows_the_published_values_as_references_on_its_own_epochs():
    fig, ax = plotting.subplots(1)
    target = plotting.rer_curves(ax, _frame(3), PUBLISHED)
    low, high = ax.get_xlim()
    assert high < 10, "the axis runs to the paper's 50 iterations"
    heights = {round(line.get_ydata()[0], 3) for line in target.lines
               if len(line.get_ydata()) and np.ptp(np.asarray(line.get_ydata(), dtype=float)) == 0}
    assert {8.2, 7.8} <= heights


def test_published_values_far_from_a_short_run_get_their_own_axis_and_fill_it():
    fig, ax = plotting.subplots(1)
    frame = _frame(3)
    right = plotting.rer_curves(ax, frame, PUBLISHED)
    assert right is not ax and "published" in right.get_ylabel()
    low, high = right.get_ylim()
    assert low < 7.8 and 8.2 < high and high - low < 2, "the published values fill their own axis"
    heights = {round(line.get_ydata()[0], 3) for line in right.lines
               if len(line.get_ydata()) and np.ptp(np.asarray(line.get_ydata(), dtype=float)) == 0}
    assert heights == {8.2, 7.8}
    ours_low, ours_high = ax.get_ylim()
    assert ours_low > 60, "our curves are not squeezed towards the published values"


def test_published_values_near_a_short_run_share_its_axis():
    fig, ax = plotting.subplots(1)
    near = PUBLISHED.assign(test_rer=[76.0, 74.0])
    assert plotting.rer_curves(ax, _frame(3), near) is ax


def test_a_full_run_marks_the_published_values_at_their_iteration():
    fig, ax = plotting.subplots(1)
    plotting.rer_curves(ax, _frame(50), PUBLISHED)
    marks = [line for line in ax.lines if list(line.get_xdata()) == [50]]
    assert len(marks) == 2


# --- the Colab notebooks' prose ---------------------------------------------------------------------

def test_fill_formats_glued_values_and_names_the_missing_ones():
    text = plotting.fill("RER {{ours:.2f}} ({{rel:+.1f}} %), {{order}}; {{later}}; $\\sqrt{K}$",
                         {"ours": 7.8234, "rel": -3.21, "order": "AdaMix < Cons"})
    assert text.startswith("RER 7.82 (-3.2 %), AdaMix < Cons; ")
    assert "later" in text and "{{" not in text and "$\\sqrt{K}$" in text


def test_prose_reads_what_glue_kept():
    plotting.glue("test_presentation_value", np.float64(0.125))
    shown = plotting.prose("value {{test_presentation_value:.3f}}")
    assert shown.data == "value 0.125"


@pytest.mark.parametrize("height", [1.2, 2.0, 4.0])
def test_a_legend_below_a_panel_stays_clear_of_its_x_label_whatever_the_panel_height(height):
    fig, ax = plotting.subplots(1, height=height)
    for k in range(3):
        ax.plot([0, 1], [k, k + 1], label=f"curve {k}")
    plotting.label(ax, "a long x label\non two lines", "y", "title")
    shown = plotting.legend(ax, outside=True)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert shown.get_window_extent(renderer).y1 <= ax.xaxis.get_tightbbox(renderer).y0 + 0.5


# --- log axes -------------------------------------------------------------------------------------

def _tick_labels(ax, which: str) -> list[str]:
    ax.figure.canvas.draw()
    axis = ax.yaxis if which == "y" else ax.xaxis
    return [t.get_text() for t in axis.get_majorticklabels() + axis.get_minorticklabels() if t.get_text()]


def test_a_log_axis_within_ordinary_magnitudes_is_labelled_in_plain_numbers():
    fig, ax = plotting.subplots(1)
    ax.plot([0.01, 0.1], [5.2, 6.6])  # a loss in nats: less than a decade, so minor ticks get labels
    plotting.label(ax, "peak rate", "loss (nats)", logx=True, logy=True)
    labels = _tick_labels(ax, "y")
    assert labels and not any("times" in t or "^" in t for t in labels), labels
    assert {"5.4", "6", "6.6"} <= set(labels)
    assert set(_tick_labels(ax, "x")) >= {"0.01", "0.1"}


def test_a_log_axis_over_extreme_magnitudes_keeps_powers_of_ten():
    fig, ax = plotting.subplots(1)
    ax.plot([1, 2], [1e-8, 1.0])
    plotting.label(ax, "step", "excess loss", logy=True)
    assert any("10^{" in t for t in _tick_labels(ax, "y"))
