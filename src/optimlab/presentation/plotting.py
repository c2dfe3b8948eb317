"""One figure style for the whole book, and the few plot helpers the chapters share.

Every chapter calls :func:`use_style` once and draws with these helpers, so the book's figures share
fonts, palette and sizes, and every axis carries a label with its unit. Needs matplotlib and seaborn
(the ``book`` extra); the rest of ``optimbook`` does not import this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import seaborn as sns

__all__ = [
    "WIDTH",
    "GLUED",
    "DISTINCT",
    "MARKERS",
    "LINESTYLES",
    "glue",
    "prose",
    "use_style",
    "legend",
    "legend_covers_data",
    "describe",
    "subplots",
    "label",
    "mean_band",
    "distinct_colors",
    "rer_curves",
    "paired_intervals",
    "published_two_ways",
    "contour",
    "trajectory",
]

#: Figure width in inches of a full-width figure.
WIDTH = 9.0

#: The colour-blind palette's colours in an order where neighbours differ clearly (seaborn's
#: "colorblind" has two near-identical oranges, #de8f05 and #d55e00; the second comes last).
DISTINCT = ["#0173b2", "#de8f05", "#029e73", "#cc78bc", "#56b4e9", "#ca9161", "#949494", "#ece133",
            "#d55e00", "#fbafe4"]
#: Markers and line styles that tell curves apart where colours alone would not.
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
LINESTYLES = ["-", "--", "-.", ":"]


def distinct_colors(n: int) -> list[str]:
    """``n`` colours from :data:`DISTINCT` (cycled past ten)."""
    return [DISTINCT[i % len(DISTINCT)] for i in range(n)]


#: Values glued in this session, by name (also where they end up without myst-nb, e.g. on Colab).
GLUED: dict[str, Any] = {}


def glue(name: str, value: Any, display: bool = False) -> None:
    """``myst_nb.glue`` for the book's numbers: numpy and torch scalars become Python numbers first,
    so a format spec like ``{glue:text}`name:.2f``` works in the prose.

    Without myst-nb (a Colab session, say) the value is only kept in :data:`GLUED`."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    GLUED[name] = value
    try:
        from myst_nb import glue as _glue
    except ImportError:
        return
    _glue(name, value, display=display)


#: A placeholder for a glued value in a paragraph of a Colab notebook: ``{{name}}`` or ``{{name:spec}}``.
_PLACEHOLDER = re.compile(r"\{\{([A-Za-z_][\w]*)(?::([^{}]*))?\}\}")



def glue_all(values: Mapping[str, Any]) -> None:
    """:func:`glue` every ``name: value`` of ``values`` (a harness's numbers for the prose); returns
    nothing, so a chapter cell that ends with it shows nothing."""
    for name, value in values.items():
        glue(name, value)

def prose(text: str, values: dict[str, Any] | None = None):
    """A paragraph of the book with its glued values filled in, as Markdown a notebook displays.

    The Colab notebooks (``tools/colab.py``) turn each paragraph that shows a glued value
    (``{glue:text}`name:.2f``` in the book) into a cell calling ``prose`` with ``{{name:.2f}}``
    in its place; the value comes from ``values`` (default :data:`GLUED`: what :func:`glue` kept in
    this session). A value not computed yet shows as its name and how to get it, never as an error.
    """
    from IPython.display import Markdown

    return Markdown(fill(text, GLUED if values is None else values).strip("\n"))


def fill(text: str, values: dict[str, Any]) -> str:
    """``text`` with every ``{{name:spec}}`` replaced by ``format(values[name], spec)`` (see :func:`prose`)."""

    def value(match: re.Match) -> str:
        name, spec = match.group(1), match.group(2) or ""
        if name not in values:
            return f"[{name}: not computed yet in this session]"
        try:
            return format(values[name], spec)
        except (TypeError, ValueError):
            return str(values[name])

    return _PLACEHOLDER.sub(value, text)


_GREEK = {name: chr(code) for name, code in [
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3B5),
    ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("iota", 0x3B9),
    ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0),
    ("rho", 0x3C1), ("sigma", 0x3C3), ("tau", 0x3C4), ("phi", 0x3C6), ("varphi", 0x3C6),
    ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394),
    ("Theta", 0x398), ("Lambda", 0x39B), ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Omega", 0x3A9)]}
_SYMBOLS = {"|": "‖", "cdot": "·", "times": "×", "sqrt": "√", "sum": "Σ", "prod": "Π", "le": "≤",
            "leq": "≤", "ge": "≥", "geq": "≥", "infty": "∞", "nabla": "∇", "approx": "≈", "to": "→",
            "partial": "∂", "pm": "±", "ell": "ℓ", ",": " ", ";": " ", "!": "", " ": " "}
_ACCENTS = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "dot": "\u0307", "vec": "\u20d7"}
_SUB = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUP = str.maketrans("0123456789+-=()inT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿᵀ")


def _script(body: str, table: dict, word: str) -> str:
    body = body.strip()
    if all(ord(c) in table for c in body):
        return body.translate(table)
    return f" {word} {body} "


def _tex(math: str) -> str:
    """One mathtext expression as plain Unicode: Greek letters, accents, sub- and superscripts."""
    text = math
    text = re.sub(r"\\(?:left|right|big|Big|displaystyle)\b", "", text)
    text = re.sub(r"\\(?:mathrm|mathbf|mathit|text|operatorname)\{([^{}]*)\}", r"\1", text)
    for accent, mark in _ACCENTS.items():
        text = re.sub(rf"\\{accent}\s*\{{([^{{}}]*)\}}", lambda m, k=mark: m.group(1) + k, text)
        text = re.sub(rf"\\{accent}\s*(\\[A-Za-z]+|\w)", lambda m, k=mark: m.group(1) + k, text)
    text = re.sub(r"\\([A-Za-z]+|[|,;! ])",
                  lambda m: _GREEK.get(m.group(1), _SYMBOLS.get(m.group(1), m.group(1))), text)
    text = re.sub(r"_\{([^{}]*)\}", lambda m: _script(m.group(1), _SUB, "sub"), text)
    text = re.sub(r"_(\w)", lambda m: _script(m.group(1), _SUB, "sub"), text)
    text = re.sub(r"\^\{([^{}]*)\}", lambda m: _script(m.group(1), _SUP, "to the power"), text)
    text = re.sub(r"\^(\w)", lambda m: _script(m.group(1), _SUP, "to the power"), text)
    return text.replace("{", "").replace("}", "").replace("\\", "")


def _plain(text: str) -> str:
    """A label as alt text: mathtext as Unicode (``$J(\\hat\\theta)$`` -> ``J(θ̂)``), no "(1)" unit
    placeholder (a dimensionless quantity), whitespace flattened."""
    parts = text.split("$")
    text = "".join(_tex(part) if i % 2 else part for i, part in enumerate(parts))
    text = re.sub(r"\s*\(1\)", "", text)
    return " ".join(text.split())


def describe(fig) -> str:
    """Alt text for a figure, from what it shows: its title, and each panel's title, axes (with
    scales) and legend entries.

    :func:`use_style` attaches it to every figure the notebook displays (the PNG output's
    ``alt`` metadata), and the book build uses it as the image's alt text unless the figure's
    caption cell gives one.
    """
    axes = [ax for ax in fig.get_axes() if ax.get_visible() and ax.get_label() != "<colorbar>"]
    parts = []
    title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    panels = f"{len(axes)} panels" if len(axes) > 1 else ""
    if title:
        head = f"Figure: {_plain(title)}." + (f" {panels}." if panels else "")
    else:
        head = f"Figure with {panels}." if panels else "Figure."
    parts.append(head)
    for number, ax in enumerate(axes, start=1):
        bits = []
        if ax.get_title():
            bits.append(f"'{_plain(ax.get_title())}'")
        y, x = _plain(ax.get_ylabel()), _plain(ax.get_xlabel())
        if y or x:
            ys = " (log scale)" if ax.get_yscale() == "log" else ""
            xs = " (log scale)" if ax.get_xscale() == "log" else ""
            bits.append(f"{y or 'value'}{ys} against {x or 'position'}{xs}")
        legend = ax.get_legend()
        if legend is not None:
            labels = [_plain(t.get_text()) for t in legend.get_texts() if t.get_text()]
            if labels:
                bits.append("legend: " + ", ".join(labels))
        if not bits:
            bits.append(_content(ax))
        if bits:
            prefix = f"Panel {number}: " if len(axes) > 1 else ""
            parts.append(prefix + "; ".join(bits) + ".")
    return " ".join(parts)


def _content(ax) -> str:
    """What an axes without title, labels or legend draws, in words."""
    if ax.images:
        return "an image"
    n = len([line for line in ax.lines if line.get_label() and not line.get_label().startswith("_")]) or len(ax.lines)
    if n:
        return f"{n} curve{'s' if n > 1 else ''}"
    if ax.patches:
        return f"{len(ax.patches)} bars"
    if ax.collections:
        return "scattered points"
    return "empty"


def _install_alt_text() -> None:
    """Make the notebook's output of every figure carry ``{"alt": describe(fig)}`` metadata.

    The inline backend displays a figure with the metadata of its ``_fetch_figure_metadata``;
    this wraps that function (nothing happens outside a Jupyter kernel)."""
    try:
        from matplotlib_inline import backend_inline
    except ImportError:
        return
    base = backend_inline._fetch_figure_metadata
    if getattr(base, "_optimbook_alt", False):
        return

    def with_alt(fig, _base=base):
        meta = _base(fig) or {}
        try:
            return {**meta, "alt": describe(fig)}
        except Exception:  # alt text must never break a figure
            return meta or None

    with_alt._optimbook_alt = True
    backend_inline._fetch_figure_metadata = with_alt


def use_style() -> None:
    """Apply the book's style (seaborn whitegrid, colour-blind palette, readable sizes); in a notebook,
    also give every displayed figure its alt text (:func:`describe`) and show every DataFrame through
    :func:`optimlab.presentation.tables.table`."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind", font_scale=0.95)
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "figure.autolayout": False,
            "figure.constrained_layout.use": True,
            "axes.titleweight": "bold",
            "legend.frameon": False,
            "lines.linewidth": 1.8,
        }
    )
    _install_alt_text()
    from optimlab.presentation import tables
    tables.install()


def subplots(ncols: int = 1, nrows: int = 1, *, height: float = 3.4, width: float = WIDTH, **kw):
    """``plt.subplots`` sized for the book: the full width split over ``ncols`` panels."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height * nrows), squeeze=False, **kw)
    return fig, (axes[0, 0] if axes.size == 1 else axes.ravel())


class _PlainLogFormatter(matplotlib.ticker.LogFormatterSciNotation):
    """Matplotlib's log-axis labels (the same ticks get one), written as plain numbers ("0.01", "6.5")
    while the axis's view lies within ``PLAIN`` and as powers of ten beyond it, where plain numbers
    would need many digits. The default writes "6.5×10⁰" on an axis spanning less than a decade."""

    PLAIN = (1e-3, 1e4)

    def __call__(self, x, pos=None):
        text = super().__call__(x, pos)
        low, high = sorted(self.axis.get_view_interval())
        if text and self.PLAIN[0] <= low and high <= self.PLAIN[1]:
            return f"{x:g}"
        return text


def label(ax, x: str, y: str, title: str | None = None, *, logx: bool = False, logy: bool = False):
    """Label both axes (with units, e.g. ``"wall time (s)"``), set log scales (labelled in plain
    numbers within ordinary magnitudes: ``_PlainLogFormatter``) and the title."""
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    for log, axis, scale in ((logx, ax.xaxis, ax.set_xscale), (logy, ax.yaxis, ax.set_yscale)):
        if log:
            scale("log")
            axis.set_major_formatter(_PlainLogFormatter())
            axis.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False))
    if title:
        ax.set_title(title)
    return ax


def legend_covers_data(ax, legend=None) -> bool:
    """Whether ``legend`` (default: the axes' legend) hides any drawn data of ``ax``: a point of a
    line (and of the straight segments between points), a scatter point, or a bar."""
    legend = legend if legend is not None else ax.get_legend()
    if legend is None:
        return False
    fig = ax.figure
    fig.canvas.draw()
    box = legend.get_window_extent(fig.canvas.get_renderer())
    inside_axes = ax.get_window_extent()
    points = []
    for line in ax.lines:
        xy = np.asarray(line.get_xydata(), dtype=float)
        if len(xy) == 0:
            continue
        if len(xy) > 1:  # the segments between points, too
            t = np.linspace(0.0, 1.0, 25)[:, None, None]
            xy = (xy[:-1][None] * (1 - t) + xy[1:][None] * t).reshape(-1, 2)
        points.append(line.get_transform().transform(xy))
    for collection in ax.collections:
        offsets = collection.get_offsets()
        if len(offsets):
            points.append(collection.get_offset_transform().transform(offsets))
    for patch in ax.patches:
        extent = patch.get_window_extent()
        if extent.width > 0 and extent.height > 0 and box.overlaps(extent):
            return True
    if not points:
        return False
    xy = np.concatenate(points)
    xy = xy[np.isfinite(xy).all(axis=1)]
    shown = ((xy[:, 0] >= inside_axes.x0) & (xy[:, 0] <= inside_axes.x1)
             & (xy[:, 1] >= inside_axes.y0) & (xy[:, 1] <= inside_axes.y1))
    xy = xy[shown]
    return bool(((xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1)
                 & (xy[:, 1] >= box.y0) & (xy[:, 1] <= box.y1)).any())


def below_label(ax, pad: float = 4.0) -> dict[str, Any]:
    """Where a legend below ``ax`` goes: its top centre ``pad`` points under the x axis's tick labels
    and label, as ``legend`` keyword arguments. The distance is in points, not a fraction of the
    axes' height, so a short panel's legend does not sit on its x label."""
    import matplotlib.transforms as mtransforms

    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    bottom = ax.get_window_extent(renderer).y0
    axis = ax.xaxis.get_tightbbox(renderer)
    drop = max(0.0, bottom - axis.y0) * 72 / fig.dpi + pad if axis is not None else pad
    shift = mtransforms.ScaledTranslation(0, -drop / 72, fig.dpi_scale_trans)
    return {"loc": "upper center", "bbox_to_anchor": (0.5, 0.0), "bbox_transform": ax.transAxes + shift}


def legend(ax, *, fontsize: float | str = 8, ncol: int | None = None, outside: bool = False, **kw):
    """A legend clear of the data: inside the axes where matplotlib's ``loc="best"`` finds a free
    corner (checked with :func:`legend_covers_data`), else below the axes (``outside=True``: always
    below)."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    if not outside:
        shown = ax.legend(fontsize=fontsize, loc="best", ncol=ncol or 1, **kw)
        if not legend_covers_data(ax, shown):
            return shown
        shown.remove()
    columns = ncol or min(len(labels), 3)
    return ax.legend(fontsize=fontsize, ncol=columns, **below_label(ax), **kw)


def mean_band(
    ax,
    frame,
    *,
    x: str,
    y: str,
    hue: str,
    unit: str = "seed",
    order: Sequence[str] | None = None,
    palette: Any = None,
    marker: str | Sequence[str] | None = None,
    distinguish: bool = False,
):
    """Plot the mean of ``y`` against ``x`` per ``hue`` level, with a band from min to max over ``unit``.

    ``frame`` is a tidy pandas table (one row per run and x value). With one run per level this is a
    plain line. Colours are :func:`distinct_colors` unless ``palette`` is given; ``marker`` is one
    marker or one per level, and ``distinguish`` also varies the line style, so that curves that
    coincide stay visible.
    """
    levels = list(order) if order is not None else list(dict.fromkeys(frame[hue]))
    colors = sns.color_palette(palette, len(levels)) if palette is not None else distinct_colors(len(levels))
    markers = [marker] * len(levels) if isinstance(marker, str) or marker is None else list(marker)
    for i, (level, color) in enumerate(zip(levels, colors)):
        sub = frame[frame[hue] == level]
        stats = sub.groupby(x)[y].agg(["mean", "min", "max", "count"]).reset_index()
        style = {"ls": LINESTYLES[i % len(LINESTYLES)], "ms": max(3.5, 8.0 - 1.5 * i)} if distinguish else {}
        # (with ``distinguish``, later curves are drawn with smaller markers on top of earlier ones,
        # so curves that coincide still show every marker)
        ax.plot(stats[x], stats["mean"], color=color, label=str(level), marker=markers[i % len(markers)],
                alpha=0.9, **style)
        if (stats["count"] > 1).any():
            ax.fill_between(stats[x], stats["min"], stats["max"], color=color, alpha=0.2, lw=0)
    return ax


def contour(
    ax,
    f: Callable[[np.ndarray], np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    *,
    levels: int | Sequence[float] = 30,
    log: bool = True,
    n: int = 300,
):
    """Contour lines of a function of points (last dimension 2, as in :mod:`optimlab.training.landscapes`)
    on an ``n`` × ``n`` grid (log-spaced levels by default)."""
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    Z = np.asarray(f(np.stack([X, Y], axis=-1)))
    if log:
        Zp = Z - Z.min() + 1e-3
        lev = np.geomspace(Zp.min(), Zp.max(), levels if isinstance(levels, int) else len(levels))
        ax.contour(X, Y, Zp, levels=lev, cmap="Greys", linewidths=0.6, alpha=0.7)
    else:
        ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.6, alpha=0.7)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return ax


def trajectory(ax, path: np.ndarray, *, label: str | None = None, color=None, marker: str = "."):
    """Draw an optimizer's path (an array of points ``[steps, 2]``) with its start and end marked."""
    path = np.asarray(path)
    (line,) = ax.plot(path[:, 0], path[:, 1], marker=marker, ms=2.5, lw=1.2, label=label, color=color)
    ax.plot(*path[0], "o", color=line.get_color(), ms=5)
    ax.plot(*path[-1], "*", color=line.get_color(), ms=9)
    return line


def rer_curves(
    ax,
    frame,
    published=None,
    *,
    hue: str = "strategy",
    order: Sequence[str] | None = None,
    y: str = "test_rer",
    first_epoch: int = 1,
    published_epoch: int = 50,
    reference: bool | None = None,
):
    """He & Li's figures 4-8: test RER against fine-tuning iterations for every strategy.

    ``frame`` is a results table of :func:`optimlab.experiments.adamix.run` (mean and min-max band
    over seeds); ``published`` (optional) a table with ``strategy`` (or ``hue``) and ``test_rer``: the
    paper's values after ``published_epoch`` iterations, in each strategy's colour.
    Epochs before ``first_epoch`` are left out, as in the paper (which starts at 5).

    Where our run reaches ``published_epoch`` the published values are ✕ markers at that epoch.
    Where it stops well before (a smoke run of a few epochs; ``reference=None`` decides: before
    half of ``published_epoch``), they are dashed horizontal reference lines across our epochs,
    each marked ✕ at its right end, and the axis stays on the epochs we ran. If the two sets of
    values are then far apart (one more than twice the other), the reference lines get their own
    axis on the right, labelled as the paper's, so that neither set is squeezed into a corner.
    Returns the axis of the published values (``ax`` itself unless they have their own).
    """
    shown = frame[frame["epoch"] >= first_epoch]
    levels = list(order) if order is not None else list(dict.fromkeys(shown[hue]))
    mean_band(ax, shown, x="epoch", y=y, hue=hue, order=levels, marker=MARKERS, distinguish=True)
    last = float(shown["epoch"].max()) if len(shown) else float(published_epoch)
    if reference is None:
        reference = last < published_epoch / 2
    target = ax
    if published is not None and len(published):
        colors = dict(zip(levels, distinct_colors(len(levels))))
        ours = shown[y].to_numpy(dtype=float)
        theirs = published["test_rer"].to_numpy(dtype=float)
        far = reference and len(ours) and (theirs.max() * 2 < ours.min() or theirs.min() > 2 * ours.max())
        if far:
            target = ax.twinx()
            target.set_ylabel("published (He & Li)", color="0.35")
            target.tick_params(axis="y", colors="0.35")
            spread = max(theirs.max() - theirs.min(), 0.05 * theirs.max())
            target.set_ylim(theirs.min() - 0.6 * spread, theirs.max() + 0.6 * spread)
        for _, row in published.iterrows():
            if row[hue] not in colors:
                continue
            if reference:
                target.axhline(row["test_rer"], color=colors[row[hue]], ls="--", lw=1.0, alpha=0.8)
                target.plot([last], [row["test_rer"]], marker="X", ms=8, mec="black", mew=0.6,
                            color=colors[row[hue]], ls="none", clip_on=False)
            else:
                ax.plot([published_epoch], [row["test_rer"]], marker="X", ms=9, mec="black", mew=0.6,
                        color=colors[row[hue]], ls="none")
        where = (f"dashed: published after {published_epoch} iterations (He & Li)"
                 + (", right axis" if far else "") if reference
                 else f"published (He & Li, {published_epoch} iterations)")
        ax.plot([], [], marker="X", ls="--" if reference else "none", color="0.5", mec="black", label=where)
    if len(shown) and reference:
        ax.set_xlim(max(first_epoch, float(shown["epoch"].min())) - 0.2, last + 0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    label(ax, "fine-tuning iterations (epochs)", "test RER (squared error per image)")
    # below the axes, where it cannot cover a curve
    ax.legend(fontsize=8, ncol=2, **below_label(ax))
    return target


def paired_intervals(ax, diffs, *, subject: str = "AdaMix", value: str = "final test RER"):
    """Chapter 18's C1 figure: ``subject − other`` (mean and paired interval over seeds) per reading,
    one marker colour per other strategy. ``diffs`` is a table of
    :func:`optimlab.experiments.adamix.report.paired` (``reading, other, mean, low, high``)."""
    readings = list(dict.fromkeys(diffs["reading"]))
    others = list(dict.fromkeys(diffs["other"]))
    for k, (other, color) in enumerate(zip(others, distinct_colors(len(others)))):
        sub = diffs[diffs["other"] == other].set_index("reading").reindex(readings)
        y = [i + (k - (len(others) - 1) / 2) * 0.22 for i in range(len(readings))]
        err = [(sub["mean"] - sub["low"]).fillna(0), (sub["high"] - sub["mean"]).fillna(0)]
        ax.errorbar(sub["mean"], y, xerr=err, fmt="o", capsize=3, color=color, label=f"{subject} − {other}")
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(range(len(readings)), readings)
    ax.invert_yaxis()
    label(ax, f"difference in {value} (negative: {subject} lower)", "reading",
          f"{subject} against each strategy, by reading")
    ax.legend(fontsize=8, ncol=len(others), **below_label(ax))
    return ax


def published_two_ways(axes, table, *, zoom: float, absolute: float, relative: float):
    """Chapter 18's comparison figure from :func:`optimlab.experiments.adamix.report.two_way_comparison`:
    left, ours against the published values below ``zoom`` (band ±``absolute``); right, each value
    relative to its experiment's baseline, ours against theirs, in percent (band ±``relative``)."""
    names = list(dict.fromkeys(table["experiment"]))
    for name, color in zip(names, distinct_colors(len(names))):
        sub = table[table["experiment"] == name]
        close = sub[sub["published"] < zoom]
        axes[0].scatter(close["published"], close["ours"], label=name, s=30, color=color)
        rel = sub.dropna(subset=["relative_to_baseline"])
        axes[1].scatter(rel["published"], 100 * rel["relative_to_baseline"], label=name, s=30, color=color)
    close = table[(table["published"] < zoom) & table["ours"].notna()]
    if len(close):
        lim = [min(close["published"].min(), close["ours"].min()) * 0.95,
               max(close["published"].max(), close["ours"].max()) * 1.05]
        axes[0].plot(lim, lim, color="0.3", lw=0.8)
        axes[0].fill_between(lim, [(1 - absolute) * v for v in lim], [(1 + absolute) * v for v in lim],
                             color="0.85", zorder=0)
        axes[0].set_xlim(lim)
        axes[0].set_ylim(lim)
    label(axes[0], "published test RER", "our test RER", "absolute (published values below the zoom limit)")
    axes[1].axhspan(-100 * relative, 100 * relative, color="0.85", zorder=0)
    axes[1].axhline(0, color="0.3", lw=0.8)
    label(axes[1], "published test RER", "relative difference to baseline (%)",
          "relative to each experiment's baseline")
    axes[1].legend(fontsize=8, ncol=len(names), **below_label(axes[1]))
    return axes
