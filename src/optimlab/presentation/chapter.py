"""The one call that starts a chapter.

Every chapter's first code cell after its parameters is::

    from optimlab.presentation.chapter import start
    ch = start(scale, device, seed)   # tagged "setup": the build hides it

which checks the scale, picks the device, applies the book's figure and table style and seeds torch.
What a chapter then varies with the scale is one of the package's settings tables, read with
``ch.pick({...})`` or, better, kept next to the harness that uses it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

import torch

from optimlab.runtime import check_scale, resolve_device

__all__ = ["Chapter", "start"]

T = TypeVar("T")


@dataclass(frozen=True)
class Chapter:
    """A chapter's run: its ``scale`` (``"smoke"`` or ``"paper"``), ``device`` and ``seed``."""

    scale: str
    device: torch.device
    seed: int = 0

    def pick(self, by_scale: Mapping[str, T]) -> T:
        """``by_scale[self.scale]`` (a KeyError names the missing scale)."""
        try:
            return by_scale[self.scale]
        except KeyError:
            raise KeyError(f"no setting for scale {self.scale!r} (have {sorted(by_scale)})") from None

    def __str__(self) -> str:
        import optimbook

        return f"optimbook {optimbook.__version__}, torch {torch.__version__}, device {self.device}, scale {self.scale}"


def start(scale: str, device: str | torch.device = "auto", seed: int = 0) -> Chapter:
    """Check ``scale``, resolve ``device`` ("auto": CUDA when available), apply the book's style
    (:func:`optimlab.presentation.plotting.use_style`) and seed torch; return the :class:`Chapter`.

    >>> start("smoke", "cpu").device
    device(type='cpu')
    """
    from optimlab.presentation import plotting

    check_scale(scale)
    dev = resolve_device(device)
    # A CUDA toolkit on a machine without a GPU makes torch log "No CUDA runtime is found" when
    # torch.compile imports its C++ helpers: a fact about the machine, printed under a figure.
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
    plotting.use_style()
    torch.manual_seed(seed)
    return Chapter(scale, dev, seed)
