"""Models used by the chapters and the AdaMix reproduction."""

from .simple import LinearRegression, mlp

__all__ = ["LinearRegression", "mlp"]
