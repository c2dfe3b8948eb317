"""Invariants of optimbook.schedules (hypothesis), the seeded noise, and the API's contracts:
argument checks, purity, pickling, repr, equality and plain-data round trips."""

from __future__ import annotations

import math
import pickle
import random
import statistics

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import optimbook.schedules as S

# derandomize: the same examples on every run, so CI cannot flake (explored with 1500 random ones)
FAST = settings(max_examples=60, deadline=None, derandomize=True)
rate = st.floats(1e-6, 10.0)
steps_ = st.integers(1, 500)
frac = st.floats(0.0, 1.0)
decay = st.floats(0.01, 1.0)
STEPS = range(0, 400, 3)


def nonincreasing(schedule, steps=STEPS):
    values = [schedule(t) for t in steps]
    return all(b <= a * (1 + 1e-12) + 1e-300 for a, b in zip(values, values[1:]))


# --- monotone where the rule is ---------------------------------------------------------------
@FAST
@given(lr=rate, T=steps_, r=decay, staircase=st.booleans())
def test_exponential_family_is_nonincreasing(lr, T, r, staircase):
    assert nonincreasing(S.exponential_decay(lr, T, r, staircase))
    assert nonincreasing(S.natural_exp_decay(lr, T, r * 5, staircase))
    assert nonincreasing(S.inverse_time_decay(lr, T, r * 5, staircase))
    assert nonincreasing(S.power_decay(lr, T, r))
    assert nonincreasing(S.step_decay(lr, T, r))


@FAST
@given(lr=rate, T=steps_, end=frac, power=st.floats(0.0, 4.0), alpha=frac)
def test_polynomial_and_cosine_are_nonincreasing(lr, T, end, power, alpha):
    assert nonincreasing(S.polynomial_decay(lr, T, end * lr, power))
    assert nonincreasing(S.cosine_decay(lr, T, alpha))
    assert nonincreasing(S.linear_cosine_decay(lr, T, 0.5, alpha, end))  # half a period or less


@FAST
@given(values=st.lists(rate, min_size=1, max_size=6), gaps=st.lists(st.integers(1, 50), min_size=5, max_size=5))
def test_piecewise_constant_with_falling_values_is_nonincreasing(values, gaps):
    values = sorted(values, reverse=True)
    boundaries = list(np.cumsum(gaps[: len(values) - 1]))
    s = S.piecewise_constant(boundaries, values)
    assert nonincreasing(s, range(0, 300))
    assert {s(t) for t in range(0, 300)} <= set(values)


# --- bounds -----------------------------------------------------------------------------------
@FAST
@given(lr=rate, T=steps_, alpha=frac, t=st.integers(0, 2000))
def test_cosine_stays_between_alpha_lr_and_lr(lr, T, alpha, t):
    v = S.cosine_decay(lr, T, alpha)(t)
    assert alpha * lr * (1 - 1e-12) <= v <= lr * (1 + 1e-12)


@FAST
@given(lr=rate, T=steps_, t_mul=st.floats(0.5, 4.0), m_mul=frac, alpha=frac, t=st.integers(0, 5000))
def test_restarts_stay_between_alpha_lr_and_lr(lr, T, t_mul, m_mul, alpha, t):
    v = S.cosine_decay_restarts(lr, T, t_mul, m_mul, alpha)(t)
    if t_mul < 1 and t >= T / (1 - t_mul):
        assert math.isnan(v)  # beyond the finite total length, as TensorFlow
    else:
        assert alpha * lr * (1 - 1e-9) <= v <= lr * (1 + 1e-9)


@FAST
@given(lr=rate, T=steps_, end=rate, power=st.floats(0.0, 4.0), cycle=st.booleans(), t=st.integers(0, 3000))
def test_polynomial_stays_between_its_ends(lr, T, end, power, cycle, t):
    v = S.polynomial_decay(lr, T, end, power, cycle)(t)
    tol = 1e-12 * max(lr, end)  # TensorFlow's (lr - end) * x + end rounds at the scale of both
    assert min(lr, end) - tol <= v <= max(lr, end) + tol


@FAST
@given(lr=rate, T=steps_, n=st.floats(0.0, 3.0), alpha=frac, beta=frac, t=st.integers(0, 2000))
def test_linear_cosine_bounds(lr, T, n, alpha, beta, t):
    v = S.linear_cosine_decay(lr, T, n, alpha, beta)(t)
    assert beta * lr * (1 - 1e-12) <= v <= lr * (1 + alpha + beta) * (1 + 1e-12)


# --- periodicity and self-similarity ------------------------------------------------------------
@FAST
@given(T=st.integers(1, 40), m_mul=frac, alpha=frac, t=st.integers(0, 400))
def test_restarts_with_t_mul_1_are_periodic(T, m_mul, alpha, t):
    s = S.cosine_decay_restarts(1.0, T, 1.0, m_mul, alpha)
    assert s(t + T) - alpha == pytest.approx(m_mul * (s(t) - alpha), rel=1e-9, abs=1e-12)


@FAST
@given(T=st.integers(1, 30), t_mul=st.integers(2, 4), m_mul=frac, alpha=frac, i=st.integers(0, 4),
       u=st.integers(0, 29))
def test_each_restart_is_the_first_period_stretched(T, t_mul, m_mul, alpha, i, u):
    """Step S_i + u t^i of period i has the fraction u/T of the first period's step u."""
    u = u % T
    s = S.cosine_decay_restarts(1.0, T, float(t_mul), m_mul, alpha)
    start = T * (t_mul**i - 1) // (t_mul - 1)
    first = s(u) - alpha
    assert s(start + u * t_mul**i) - alpha == pytest.approx(m_mul**i * first, rel=1e-9, abs=1e-12)
    assert s.restart(start) == (i, 0.0)  # an exact boundary starts the new period


@FAST
@given(lr=rate, T=st.integers(2, 50), end=frac, power=st.floats(0.1, 3.0), k=st.integers(1, 8))
def test_polynomial_cycle_reaches_the_end_at_each_multiple(lr, T, end, power, k):
    s = S.polynomial_decay(lr, T, end * lr, power, cycle=True)
    assert s(k * T) == pytest.approx(end * lr, rel=1e-12, abs=1e-12 * lr)
    if end < 1 - 1e-9:
        assert s(k * T + 1) > s(k * T)  # the next cycle starts higher
        assert s((k + 1) * T + 1) <= s(k * T + 1) * (1 + 1e-12)  # each peak lower than the last


@FAST
@given(lr=rate, T=st.integers(1, 50), r=decay, k=st.integers(0, 20))
def test_staircase_is_flat_and_meets_the_curve_at_multiples(lr, T, r, k):
    for make in (S.exponential_decay, S.natural_exp_decay, S.inverse_time_decay):
        stair, smooth = make(lr, T, r, staircase=True), make(lr, T, r)
        assert stair(k * T) == pytest.approx(smooth(k * T), rel=1e-12)
        assert {stair(k * T + j) for j in range(T)} == {stair(k * T)}


# --- composition --------------------------------------------------------------------------------
@FAST
@given(lr=rate, w=st.integers(1, 30), start=frac, T=steps_, t=st.integers(0, 300))
def test_linear_warmup_is_a_join_with_a_linear_ramp(lr, w, start, T, t):
    decay = S.cosine_decay(lr, T)
    warm = S.linear_warmup(decay, w, start * lr)
    ramp = S.polynomial_decay(start * lr, w, decay(0), power=1.0)
    assert warm(t) == pytest.approx(S.join([ramp, decay], [w])(t), rel=1e-12, abs=1e-12 * lr)


def test_zero_warmup_steps_is_the_schedule():
    s = S.exponential_decay(1.0, 3, 0.5)
    assert [S.linear_warmup(s, 0)(t) for t in range(10)] == [s(t) for t in range(10)]


def test_join_switches_at_each_boundary():
    a, b, c = S.constant(3.0), S.exponential_decay(2.0, 1, 0.5), S.constant(1.0)
    s = S.join([a, b, c], [2, 5])
    assert [s(t) for t in range(7)] == [3.0, 3.0, 2.0, 1.0, 0.5, 1.0, 1.0]


# --- seeded noise -----------------------------------------------------------------------------
def test_noise_is_a_function_of_seed_and_step():
    s = S.noisy_linear_cosine_decay(0.1, 1000, seed=7)
    steps = list(range(300))
    forward = [s(t) for t in steps]
    shuffled = steps[:]
    random.Random(0).shuffle(shuffled)
    again = dict(zip(shuffled, [s(t) for t in shuffled]))
    assert forward == [again[t] for t in steps]
    assert forward == [S.noisy_linear_cosine_decay(0.1, 1000, seed=7)(t) for t in steps]
    other = [S.noisy_linear_cosine_decay(0.1, 1000, seed=8)(t) for t in steps]
    assert sum(a != b for a, b in zip(forward, other)) == len(steps)


def test_noise_is_the_linear_cosine_value_plus_the_noise_term():
    kw = dict(learning_rate=0.1, decay_steps=50, num_periods=0.2, alpha=0.5, beta=0.2)
    noisy = S.noisy_linear_cosine_decay(**kw, initial_variance=0.01, variance_decay=0.1, seed=3)
    plain = S.linear_cosine_decay(**kw)
    for t in range(0, 80):
        tau = min(t, 50)
        cos = 0.5 * (1 + math.cos(math.pi * 2 * 0.2 * tau / 50))
        assert noisy(t) == pytest.approx(plain(t) + 0.1 * noisy.noise(t) * cos, rel=1e-12)
        assert noisy.variance(t) == pytest.approx(0.01 / (1 + tau) ** 0.1)


@pytest.mark.parametrize("step", [0, 3, 20, 99, 500])
def test_noise_variance_across_seeds(step):
    """The noise term's variance is initial_variance / (1 + min(t, T))^variance_decay.

    4000 fixed seeds: the sample variance of N normal draws has relative standard deviation
    sqrt(2/(N-1)) = 0.022; the tolerance is 5 of those (fixed seeds, so it cannot flake).
    """
    n = 4000
    draws = [S.noisy_linear_cosine_decay(1.0, 100, 2.0, 0.55, seed=k).noise(step) for k in range(n)]
    expected = 2.0 / (1 + min(step, 100)) ** 0.55
    assert abs(statistics.fmean(draws)) < 5 * math.sqrt(expected / n)
    assert statistics.variance(draws) == pytest.approx(expected, rel=5 * math.sqrt(2 / (n - 1)))


def test_noise_along_one_run_is_white_and_standard():
    s = S.noisy_linear_cosine_decay(1.0, 10**6, 1.0, 0.55, seed=123)
    z = np.array([s.noise(t) / math.sqrt(s.variance(t)) for t in range(20000)])
    n = len(z)
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert abs(z.var() - 1) < 5 * math.sqrt(2 / n)
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 5 / math.sqrt(n)
    assert abs((np.abs(z) > 1.959964).mean() - 0.05) < 5 * math.sqrt(0.05 * 0.95 / n)  # normal tails


def test_unseeded_noise_draws_a_seed_once_and_shows_it():
    s = S.noisy_linear_cosine_decay(0.1, 100)
    assert isinstance(s.seed, int) and f"seed={s.seed}" in repr(s)
    assert [s(t) for t in range(20)] == [s(t) for t in range(20)]
    assert S.noisy_linear_cosine_decay(0.1, 100).seed != s.seed


# --- the API's contracts ------------------------------------------------------------------------
EXAMPLES = [
    S.constant(0.1),
    S.piecewise_constant([10, 20, 30], [0.1, 0.07, 0.025, 0.0125]),
    S.step_decay(0.1, 30, 0.1),
    S.exponential_decay(0.5, 10, 0.9, staircase=True),
    S.natural_exp_decay(0.5, 10, 0.9),
    S.inverse_time_decay(0.1, 5, 0.5, True),
    S.power_decay(0.01, 50),
    S.polynomial_decay(0.1, 50, 0.01, 0.5, cycle=True),
    S.cosine_decay(0.1, 50, 0.1),
    S.cosine_decay_restarts(0.1, 10, 2.0, 0.5, 0.1),
    S.linear_cosine_decay(0.1, 50, 0.2, 0.5, 0.2),
    S.noisy_linear_cosine_decay(0.1, 50, 0.01, 0.1, 0.2, 0.5, 0.2, seed=4),
    S.linear_warmup(S.cosine_decay(0.1, 50), 5, 0.01),
    S.join([S.constant(0.1), S.exponential_decay(0.1, 10, 0.5)], [7]),
]


@pytest.mark.parametrize("s", EXAMPLES, ids=[type(s).__name__ for s in EXAMPLES])
def test_pickle_repr_equality_and_plain_data(s):
    values = [s(t) for t in range(0, 120, 7)]
    for copy in (pickle.loads(pickle.dumps(s)), eval(repr(s), vars(S)), S.from_dict(s.to_dict())):
        assert copy == s and hash(copy) == hash(s)
        assert [copy(t) for t in range(0, 120, 7)] == values
    assert repr(s).startswith(s.name + "(")
    assert s != S.constant(12.0)


@pytest.mark.parametrize("s", EXAMPLES, ids=[type(s).__name__ for s in EXAMPLES])
def test_steps_are_nonnegative_reals(s):
    assert s(np.int64(3)) == s(3) == s(3.0) == s(np.array(3)) == s(torch.tensor(3))
    for bad in (-1, -0.5, float("nan"), float("inf"), -float("inf"), 10**400, torch.tensor(float("nan"))):
        with pytest.raises(ValueError, match=r"^step must be a finite real number >= 0, got "):
            s(bad)
    for bad in ("3", None, [3], True, torch.tensor([1, 2])):
        with pytest.raises(TypeError, match=r"^step must be a finite real number >= 0, got "):
            s(bad)


def test_factories_take_tensorflow_keyword_names():
    S.exponential_decay(learning_rate=0.1, decay_steps=10, decay_rate=0.9, staircase=False)
    S.natural_exp_decay(learning_rate=0.1, decay_steps=10, decay_rate=0.9, staircase=False)
    S.inverse_time_decay(learning_rate=0.1, decay_steps=10, decay_rate=0.9, staircase=False)
    S.polynomial_decay(learning_rate=0.1, decay_steps=10, end_learning_rate=1e-4, power=1.0, cycle=False)
    S.cosine_decay(learning_rate=0.1, decay_steps=10, alpha=0.0)
    S.cosine_decay_restarts(learning_rate=0.1, first_decay_steps=10, t_mul=2.0, m_mul=1.0, alpha=0.0)
    S.linear_cosine_decay(learning_rate=0.1, decay_steps=10, num_periods=0.5, alpha=0.0, beta=0.001)
    S.noisy_linear_cosine_decay(learning_rate=0.1, decay_steps=10, initial_variance=1.0, variance_decay=0.55,
                                num_periods=0.5, alpha=0.0, beta=0.001, seed=None)
    S.piecewise_constant(boundaries=[1], values=[0.1, 0.01])
    S.constant(learning_rate=0.1)
    S.power_decay(learning_rate=0.1, decay_steps=10, power=0.75)
    S.step_decay(learning_rate=0.1, step_size=10, gamma=0.1)
    S.linear_warmup(schedule=S.constant(0.1), warmup_steps=3, start=0.0)
    S.join(schedules=[S.constant(0.1)], boundaries=[])
    # and TensorFlow's defaults
    assert S.polynomial_decay(1.0, 10) == S.polynomial_decay(1.0, 10, 1e-4, 1.0, False)
    assert S.cosine_decay_restarts(1.0, 10) == S.cosine_decay_restarts(1.0, 10, 2.0, 1.0, 0.0)
    assert S.linear_cosine_decay(1.0, 10) == S.linear_cosine_decay(1.0, 10, 0.5, 0.0, 0.001)
    assert S.power_decay(1.0, 10) == S.power_decay(1.0, 10, 0.75)


INVALID = [
    (S.constant, dict(learning_rate=-0.1), "learning_rate"),
    (S.piecewise_constant, dict(boundaries=[10, 10], values=[1, 2, 3]), "boundaries"),
    (S.piecewise_constant, dict(boundaries=[20, 10], values=[1, 2, 3]), "boundaries"),
    (S.piecewise_constant, dict(boundaries=[10, 20], values=[1, 2]), "values"),
    (S.piecewise_constant, dict(boundaries=[10], values=[1, -2]), r"values\[1\]"),
    (S.piecewise_constant, dict(boundaries=[float("nan")], values=[1, 2]), r"boundaries\[0\]"),
    (S.step_decay, dict(learning_rate=1.0, step_size=0, gamma=0.5), "step_size"),
    (S.step_decay, dict(learning_rate=1.0, step_size=3, gamma=-0.5), "gamma"),
    (S.exponential_decay, dict(learning_rate=1.0, decay_steps=0, decay_rate=0.5), "decay_steps"),
    (S.exponential_decay, dict(learning_rate=1.0, decay_steps=-3, decay_rate=0.5), "decay_steps"),
    (S.exponential_decay, dict(learning_rate=-1.0, decay_steps=3, decay_rate=0.5), "learning_rate"),
    (S.exponential_decay, dict(learning_rate=1.0, decay_steps=3, decay_rate=-0.5), "decay_rate"),
    (S.exponential_decay, dict(learning_rate=1.0, decay_steps=3, decay_rate=0.5, staircase=1), "staircase"),
    (S.natural_exp_decay, dict(learning_rate=1.0, decay_steps=0, decay_rate=0.5), "decay_steps"),
    (S.inverse_time_decay, dict(learning_rate=1.0, decay_steps=3, decay_rate=float("nan")), "decay_rate"),
    (S.power_decay, dict(learning_rate=1.0, decay_steps=3, power=-1), "power"),
    (S.power_decay, dict(learning_rate=1.0, decay_steps=0), "decay_steps"),
    (S.polynomial_decay, dict(learning_rate=1.0, decay_steps=0), "decay_steps"),
    (S.polynomial_decay, dict(learning_rate=1.0, decay_steps=5, power=-0.5), "power"),
    (S.polynomial_decay, dict(learning_rate=1.0, decay_steps=5, end_learning_rate=-1), "end_learning_rate"),
    (S.polynomial_decay, dict(learning_rate=1.0, decay_steps=5, cycle="yes"), "cycle"),
    (S.cosine_decay, dict(learning_rate=1.0, decay_steps=0), "decay_steps"),
    (S.cosine_decay, dict(learning_rate=1.0, decay_steps=5, alpha=1.5), "alpha"),
    (S.cosine_decay_restarts, dict(learning_rate=1.0, first_decay_steps=0), "first_decay_steps"),
    (S.cosine_decay_restarts, dict(learning_rate=1.0, first_decay_steps=5, t_mul=0), "t_mul"),
    (S.cosine_decay_restarts, dict(learning_rate=1.0, first_decay_steps=5, t_mul=-2), "t_mul"),
    (S.cosine_decay_restarts, dict(learning_rate=1.0, first_decay_steps=5, m_mul=-1), "m_mul"),
    (S.linear_cosine_decay, dict(learning_rate=1.0, decay_steps=0), "decay_steps"),
    (S.linear_cosine_decay, dict(learning_rate=1.0, decay_steps=5, num_periods=-1), "num_periods"),
    (S.linear_cosine_decay, dict(learning_rate=1.0, decay_steps=5, beta=-1), "beta"),
    (S.noisy_linear_cosine_decay, dict(learning_rate=1.0, decay_steps=5, initial_variance=-1), "initial_variance"),
    (S.noisy_linear_cosine_decay, dict(learning_rate=1.0, decay_steps=5, variance_decay=-1), "variance_decay"),
    (S.noisy_linear_cosine_decay, dict(learning_rate=1.0, decay_steps=5, seed=-1), "seed"),
    (S.noisy_linear_cosine_decay, dict(learning_rate=1.0, decay_steps=5, seed=1.5), "seed"),
    (S.linear_warmup, dict(schedule=S.constant(1.0), warmup_steps=-1), "warmup_steps"),
    (S.linear_warmup, dict(schedule=S.constant(1.0), warmup_steps=2.5), "warmup_steps"),
    (S.linear_warmup, dict(schedule=0.1, warmup_steps=2), "schedule"),
    (S.linear_warmup, dict(schedule=S.constant(1.0), warmup_steps=2, start=-1), "start"),
    (S.join, dict(schedules=[S.constant(1.0)] * 2, boundaries=[]), "boundaries"),
    (S.join, dict(schedules=[S.constant(1.0)] * 3, boundaries=[5, 5]), "boundaries"),
    (S.join, dict(schedules=[S.constant(1.0)] * 2, boundaries=[-1]), r"boundaries\[0\]"),
    (S.join, dict(schedules=[], boundaries=[]), "schedules"),
    (S.join, dict(schedules=[S.constant(1.0), 3.0], boundaries=[2]), r"schedules\[1\]"),
    (S.piecewise_constant, dict(boundaries=None, values=(1,)), "boundaries"),
    (S.piecewise_constant, dict(boundaries=(1,), values=None), "values"),
    (S.piecewise_constant, dict(boundaries="12", values=(1, 2, 3)), "boundaries"),
    (S.piecewise_constant, dict(boundaries=[1], values=[0.1, math.inf]), r"values\[1\]"),
    (S.piecewise_constant, dict(boundaries=[10**400], values=[0.1, 0.2]), r"boundaries\[0\]"),
    (S.join, dict(schedules=None, boundaries=None), "schedules"),
    (S.join, dict(schedules=[S.constant(1.0)] * 2, boundaries=None), "boundaries"),
    (S.join, dict(schedules=[S.constant(1.0)] * 2, boundaries=[math.inf]), r"boundaries\[0\]"),
    (S.join, dict(schedules=[S.constant(1.0)] * 2, boundaries=[math.nan]), r"boundaries\[0\]"),
    (S.per_epoch, dict(schedule=S.constant(1.0), steps_per_epoch=math.nan), "steps_per_epoch"),
    (S.per_epoch, dict(schedule=S.constant(1.0), steps_per_epoch=math.inf), "steps_per_epoch"),
    (S.per_epoch, dict(schedule=None, steps_per_epoch=3), "schedule"),
    (S.linear_warmup, dict(schedule=S.constant(1.0), warmup_steps=math.inf), "warmup_steps"),
    (S.noisy_linear_cosine_decay, dict(learning_rate=1.0, decay_steps=5, seed=math.nan), "seed"),
    (S.noisy_linear_cosine_decay, dict(learning_rate=1.0, decay_steps=5, seed=2**63), "seed"),
    (S.exponential_decay, dict(learning_rate=1.0, decay_steps=3, decay_rate=0.5, staircase="no"), "staircase"),
    (S.cosine_decay_restarts, dict(learning_rate=1.0, first_decay_steps=5, m_mul=math.inf), "m_mul"),
]


@pytest.mark.parametrize("factory,kwargs,name", INVALID, ids=[f"{f.__name__}-{n}" for f, _, n in INVALID])
def test_invalid_arguments_name_the_argument_and_range(factory, kwargs, name):
    with pytest.raises((ValueError, TypeError), match=rf"^{name} must "):
        factory(**kwargs)


def test_messages_give_the_accepted_range():
    with pytest.raises(ValueError, match=r"^decay_steps must be a finite real number > 0, got 0$"):
        S.exponential_decay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match=r"^t_mul must be a finite real number > 0, got 0\.0$"):
        S.cosine_decay_restarts(0.1, 10, t_mul=0.0)
    with pytest.raises(ValueError, match=r"^alpha must be a finite real number in \[0, 1\], got 1\.5$"):
        S.cosine_decay(0.1, 10, alpha=1.5)
    with pytest.raises(ValueError, match=r"^learning_rate must be a finite real number >= 0, got inf$"):
        S.exponential_decay(math.inf, 10, 0.0)
    with pytest.raises(ValueError, match=r"^end_learning_rate must be a finite real number >= 0, got inf$"):
        S.polynomial_decay(0.1, 10, end_learning_rate=math.inf)
    with pytest.raises(ValueError, match="strictly increasing"):
        S.piecewise_constant([3, 2], [1, 1, 1])
    with pytest.raises(ValueError, match=r"len\(boundaries\) \+ 1 = 3"):
        S.piecewise_constant([1, 2], [1, 1])


def test_from_dict_rejects_unknown_data():
    for bad in ({"name": "no_such_rule"}, {"learning_rate": 0.1}, [1, 2]):
        with pytest.raises(ValueError, match="name"):
            S.from_dict(bad)


def test_schedules_are_immutable():
    s = S.cosine_decay(0.1, 10)
    with pytest.raises(AttributeError):
        s.learning_rate = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("factory,kwargs,name", [
    (S.piecewise_constant, dict(boundaries=None, values=(1,)), "boundaries"),
    (S.join, dict(schedules=None, boundaries=None), "schedules"),
    (S.linear_warmup, dict(schedule=0.1, warmup_steps=2), "schedule"),
    (S.exponential_decay, dict(learning_rate="0.1", decay_steps=3, decay_rate=0.5), "learning_rate"),
    (S.exponential_decay, dict(learning_rate=0.1, decay_steps=3, decay_rate=0.5, staircase="False"), "staircase"),
])
def test_wrong_types_are_type_errors_naming_the_argument(factory, kwargs, name):
    with pytest.raises(TypeError, match=rf"^{name} must be .*, got .* \(a \w+\)$"):
        factory(**kwargs)


@pytest.mark.parametrize("schedule", [
    S.exponential_decay(0.1, 1, 2.0), S.step_decay(0.1, 1, 2.0),
    S.cosine_decay_restarts(0.1, 1, t_mul=1.0, m_mul=2.0), S.exponential_decay(0.1, 1, 2.0, staircase=True),
])
def test_growing_schedules_give_inf_instead_of_overflowing(schedule):
    assert schedule(1000) > 1e300 and schedule(1100) == math.inf
    assert schedule(10**15) == math.inf


def test_zero_rate_stays_zero_where_the_factor_overflows():
    assert S.exponential_decay(0.0, 1, 2.0)(1100) == 0.0
    assert S.step_decay(0.0, 1, 2.0)(1100) == 0.0


def test_extreme_but_valid_arguments_never_raise_overflow_error():
    tiny = 1e-300
    cases = [
        S.exponential_decay(0.1, tiny, 0.5), S.exponential_decay(0.1, tiny, 0.5, staircase=True),
        S.natural_exp_decay(0.1, tiny, 0.5, staircase=True), S.inverse_time_decay(0.1, tiny, 0.0),
        S.inverse_time_decay(0.1, tiny, 2.0, staircase=True), S.step_decay(0.1, tiny, 0.5),
        S.power_decay(0.1, tiny, 1e300), S.cosine_decay_restarts(0.1, 1, t_mul=1e300),
        S.cosine_decay_restarts(0.1, 1, t_mul=3.0, m_mul=1e300),
        S.noisy_linear_cosine_decay(0.1, 1e300, variance_decay=1e300, seed=1),
        S.polynomial_decay(0.1, tiny, cycle=True), S.cosine_decay_restarts(0.1, tiny),
    ]
    for s in cases:
        for t in (0, 1, 2, 1e9, 1.7e308):
            try:
                v = s(t)
            except ValueError as err:  # a clear error naming the step is the other allowed answer
                assert str(err).startswith("step must be"), err
                continue
            assert isinstance(v, float) and not v < 0, (s, t, v)
    assert S.inverse_time_decay(0.1, tiny, 0.0)(1e10) == 0.1
    assert S.cosine_decay_restarts(0.1, 1, t_mul=1e300)(2.0) == pytest.approx(0.1)
    assert S.exponential_decay(0.1, tiny, 0.5)(1.0) == 0.0


@FAST
@given(lr=rate, R=st.integers(1, 10**6), q=st.floats(0.0, 3.0), t=st.integers(0, 10**7))
def test_power_decay_is_exactly_the_papers_formula_in_float64(lr, R, q, t):
    assert S.power_decay(lr, R, q)(t) == lr * (1 + t / R) ** (-q)
