"""Small statistics for reporting results over seeds: Student-t intervals, without scipy.

The replication report states a mean over seeds with a 95 % confidence interval, and whether a
paired difference between two strategies (same seeds, same pretrained networks) excludes zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from optimlab.runtime import check_number

__all__ = ["student_t_cdf", "student_t_quantile", "mean_interval"]


def student_t_cdf(x: float, df: int) -> float:
    """P(T ≤ x) for Student's t with ``df`` degrees of freedom (Simpson's rule on the density)."""
    check_number("df", df, low=1, integer=True)
    if x == 0:
        return 0.5
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def pdf(t: float) -> float:
        return math.exp(log_c - (df + 1) / 2 * math.log1p(t * t / df))

    # integrate 0..|x| with the substitution t = tan(u) to tame the heavy tails
    upper = math.atan(abs(x))
    n = 2000
    h = upper / n
    total = 0.0
    for i in range(n + 1):
        u = i * h
        w = 1 if i in (0, n) else (4 if i % 2 else 2)
        total += w * pdf(math.tan(u)) / math.cos(u) ** 2
    area = total * h / 3
    return 0.5 + math.copysign(area, x)


def student_t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (bisection on the CDF)."""
    check_number("p", p, low=0.0, high=1.0, low_open=True, high_open=True)
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -student_t_quantile(1 - p, df)
    lo, hi = 0.0, 1.0
    while student_t_cdf(hi, df) < p:
        hi *= 2
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if student_t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the mean of ``values`` and its two-sided Student-t confidence interval.

    With one value the interval is (nan, nan): one seed says nothing about the spread.
    """
    check_number("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("values must hold at least one number")
    mean = sum(xs) / len(xs)
    if len(xs) == 1:
        return mean, math.nan, math.nan
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
    half = student_t_quantile(0.5 + level / 2, len(xs) - 1) * sd / math.sqrt(len(xs))
    return mean, mean - half, mean + half
