"""He & Li's three diagrams, redrawn with matplotlib (their Fig. 1-3).

- :func:`autoencoder_training`: pretraining a stack of RBMs, unrolling it into an autoencoder, and
  fine-tuning (Fig. 1, after Hinton & Salakhutdinov 2006);
- :func:`rbm_graph`: the bipartite graph of an RBM, visible and hidden units with their biases (Fig. 2);
- :func:`neuron`: an artificial neuron, y_j = f(Σ_i w_ij x_i + b_j) (Fig. 3, eq. (10)-(11)).

Each draws on a given matplotlib axis and returns it. Needs the ``book`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.patches as mpatches

__all__ = ["autoencoder_training", "neuron", "rbm_graph"]

_LAYER = "#dbe9f6"
_CODE = "#f6e3c5"
_EDGE = "#3b5b7a"


def _layer(ax, x, y, width, label, *, code=False, height=0.32):
    box = mpatches.FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                  boxstyle="round,pad=0.02", fc=_CODE if code else _LAYER, ec=_EDGE, lw=1.0)
    ax.add_patch(box)
    ax.text(x, y, label, ha="center", va="center", fontsize=8)


def _arrow(ax, x0, y0, x1, y1, text=None, side="right"):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops={"arrowstyle": "-|>", "color": _EDGE, "lw": 0.9})
    if text:
        dx = 0.08 if side == "right" else -0.08
        ax.text((x0 + x1) / 2 + dx, (y0 + y1) / 2, text, fontsize=7.5,
                ha="left" if side == "right" else "right", va="center", color=_EDGE)


def autoencoder_training(ax, sizes: Sequence[int] = (784, 1000, 500, 250, 30)):
    """Fig. 1: pretraining (RBMs), unrolling (encoder W, decoder Wᵀ) and fine-tuning (W + ε)."""
    n = len(sizes) - 1
    gap = 0.62
    # pretraining: one RBM per pair of layers, stacked
    for i in range(n):
        y = i * (2 * gap + 0.15)
        _layer(ax, 0.0, y, 1.1, f"{sizes[i]}")
        _layer(ax, 0.0, y + gap, 1.1, f"{sizes[i + 1]}", code=i == n - 1)
        ax.plot([0, 0], [y + 0.16, y + gap - 0.16], color=_EDGE, lw=2)
        ax.text(0.62, y + gap / 2, f"$W_{i + 1}$", fontsize=8, va="center")
        ax.text(-0.62, y + gap / 2, f"RBM {i + 1}", fontsize=8, va="center", ha="right")
    ax.text(0.0, -0.55, "pretraining", ha="center", fontsize=10, weight="bold")
    # unrolling and fine-tuning: the 2n+1 layers of the autoencoder
    for col, (x0, title, tweak) in enumerate([(2.6, "unrolling", ""), (5.0, "fine-tuning", r"+\varepsilon")]):
        widths = list(sizes) + list(reversed(sizes[:-1]))
        for j, width in enumerate(widths):
            y = j * gap * 0.92
            _layer(ax, x0, y, 1.1, f"{width}", code=(j == n))
            if j:
                k = j if j <= n else 2 * n - j + 1
                name = f"$W_{{{k}}}{tweak}$" if j <= n else f"$W_{{{k}}}^{{T}}{tweak}$"
                _arrow(ax, x0, (j - 1) * gap * 0.92 + 0.16, x0, y - 0.16, name)
        ax.text(x0, -0.55, title, ha="center", fontsize=10, weight="bold")
        ax.text(x0 - 0.75, n * gap * 0.92, "code", fontsize=8, ha="right", va="center")
        ax.text(x0 - 0.75, 0.0, "input", fontsize=8, ha="right", va="center")
        ax.text(x0 - 0.75, 2 * n * gap * 0.92, "output", fontsize=8, ha="right", va="center")
    ax.annotate("", xy=(1.9, 2.5), xytext=(0.9, 2.5), arrowprops={"arrowstyle": "-|>", "lw": 1.5, "color": "0.4"})
    ax.annotate("", xy=(4.3, 2.5), xytext=(3.3, 2.5), arrowprops={"arrowstyle": "-|>", "lw": 1.5, "color": "0.4"})
    top = max((n - 1) * (2 * gap + 0.15) + gap, 2 * n * gap * 0.92) + 0.35
    ax.set_xlim(-1.4, 6.0)
    ax.set_ylim(-0.8, top)
    ax.set_aspect("auto")
    ax.axis("off")
    return ax


def rbm_graph(ax, n_visible: int = 6, n_hidden: int = 4):
    """Fig. 2: visible units v_i (bottom) fully connected to hidden units h_j (top), weights ω_ij,
    biases b_1i and b_2j; no connections within a layer."""
    xs_v = [i - (n_visible - 1) / 2 for i in range(n_visible)]
    xs_h = [j - (n_hidden - 1) / 2 for j in range(n_hidden)]
    for xv in xs_v:
        for xh in xs_h:
            ax.plot([xv, xh], [0, 2], color="0.65", lw=0.7, zorder=1)
    for i, x in enumerate(xs_v):
        ax.add_patch(mpatches.Circle((x, 0), 0.22, fc=_LAYER, ec=_EDGE, zorder=2))
        ax.text(x, 0, f"$v_{i + 1}$", ha="center", va="center", fontsize=8, zorder=3)
    for j, x in enumerate(xs_h):
        ax.add_patch(mpatches.Circle((x, 2), 0.22, fc=_CODE, ec=_EDGE, zorder=2))
        ax.text(x, 2, f"$h_{j + 1}$", ha="center", va="center", fontsize=8, zorder=3)
    ax.text(xs_v[-1] + 0.6, 0, r"visible units, biases $b_{1i}$", va="center", fontsize=8)
    ax.text(xs_h[-1] + 0.6, 2, r"hidden units, biases $b_{2j}$", va="center", fontsize=8)
    ax.text(0.15, 1.0, r"$\omega_{ij}$", fontsize=9, color=_EDGE)
    ax.set_xlim(xs_v[0] - 0.6, xs_v[-1] + 3.4)
    ax.set_ylim(-0.6, 2.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def neuron(ax, n_inputs: int = 4):
    """Fig. 3: inputs x_i, weights w_ij, the sum u_j = Σ_i w_ij x_i + b_j, the activation y_j = f(u_j)."""
    ys = [1.5 - i for i in range(n_inputs)]
    for i, y in enumerate(ys):
        ax.add_patch(mpatches.Circle((0, y), 0.22, fc=_LAYER, ec=_EDGE))
        ax.text(0, y, f"$x_{i + 1}$", ha="center", va="center", fontsize=8)
        _arrow(ax, 0.24, y, 1.75, 0.0)
        ax.text(0.55, 0.62 * y + 0.18, f"$w_{{{i + 1}j}}$", fontsize=8, color=_EDGE)
    ax.add_patch(mpatches.Circle((2.1, 0), 0.36, fc=_CODE, ec=_EDGE))
    ax.text(2.1, 0, r"$\Sigma$", ha="center", va="center", fontsize=12)
    _arrow(ax, 2.1, 1.2, 2.1, 0.38)
    ax.text(2.1, 1.35, "$b_j$", ha="center", fontsize=9)
    ax.add_patch(mpatches.FancyBboxPatch((2.95, -0.3), 0.7, 0.6, boxstyle="round,pad=0.03", fc=_LAYER, ec=_EDGE))
    ax.text(3.3, 0, r"$f(\cdot)$", ha="center", va="center", fontsize=9)
    _arrow(ax, 2.46, 0, 2.95, 0)
    ax.text(2.7, 0.12, "$u_j$", ha="center", fontsize=8)
    _arrow(ax, 3.65, 0, 4.4, 0)
    ax.text(4.5, 0, "$y_j$", va="center", fontsize=10)
    ax.set_xlim(-0.5, 5.0)
    ax.set_ylim(-2.0, 1.9)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
