"""Models used by the chapters and the AdaMix reproduction."""

from optimlab.training.models.simple import LinearRegression, mlp

__all__ = ["LinearRegression", "mlp"]
