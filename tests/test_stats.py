"""optimlab.experiments.stats against tabulated Student-t quantiles and closed forms."""

import math

import pytest

from optimlab.experiments.stats import mean_interval, student_t_cdf, student_t_quantile


@pytest.mark.parametrize("df,q975", [(1, 12.7062), (2, 4.3027), (4, 2.7764), (9, 2.2622), (30, 2.0423)])
def test_quantiles_match_the_tables(df, q975):
    assert student_t_quantile(0.975, df) == pytest.approx(q975, abs=2e-4)
    assert student_t_quantile(0.025, df) == pytest.approx(-q975, abs=2e-4)


def test_cdf_closed_forms():
    # df = 1 is the Cauchy distribution, df = 2 has F(x) = 1/2 + x / (2 sqrt(2 + x²))
    for x in (-3.0, -0.5, 0.0, 0.7, 5.0):
        assert student_t_cdf(x, 1) == pytest.approx(0.5 + math.atan(x) / math.pi, abs=1e-9)
        assert student_t_cdf(x, 2) == pytest.approx(0.5 + x / (2 * math.sqrt(2 + x * x)), abs=1e-9)


def test_mean_interval():
    mean, low, high = mean_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.7764 * math.sqrt(2.5) / math.sqrt(5)
    assert mean == 3.0 and low == pytest.approx(3 - half, abs=1e-3) and high == pytest.approx(3 + half, abs=1e-3)
    assert math.isnan(mean_interval([2.0])[1])
    with pytest.raises(ValueError, match="level"):
        mean_interval([1.0, 2.0], level=1.5)
