"""optimbook.schedules against fixed values: TensorFlow's own output and hand-worked edge cases.

Provenance of every number:
- ``tests/data/tf_schedule_goldens.json``: TensorFlow's ``tf.compat.v1.train.*_decay`` output,
  generated once by ``tools/tf_schedule_goldens.py`` (the file records the TensorFlow version, and
  each case its dtype and why it is there). float64 cases must match to 1e-15 relative; the cosine
  family ran in float32 (TensorFlow's code there rejects float64), so it must match to 1e-6 of
  the learning rate.
- ``HAND``: worked by hand from TensorFlow's documented formulas; each row says how.
- The torch oracles at the end: torch.optim.lr_scheduler classes with the same rule.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import optimbook.schedules as S

GOLDENS = json.loads((Path(__file__).parent / "data" / "tf_schedule_goldens.json").read_text())


def build(rule: str, kwargs: dict):
    if rule == "noisy_linear_cosine_decay":
        return S.noisy_linear_cosine_decay(**kwargs, seed=0)  # golden cases have initial_variance 0
    return getattr(S, rule)(**kwargs)


def test_goldens_come_from_tensorflow():
    prov = GOLDENS["provenance"]
    assert prov["generator"] == "tools/tf_schedule_goldens.py"
    assert prov["tensorflow"].split(".")[0] == "2"
    rules = {c["rule"] for c in GOLDENS["cases"]}
    assert rules == {"piecewise_constant", "exponential_decay", "natural_exp_decay", "inverse_time_decay",
                     "polynomial_decay", "cosine_decay", "cosine_decay_restarts", "linear_cosine_decay",
                     "noisy_linear_cosine_decay"}


@pytest.mark.parametrize(
    "case", GOLDENS["cases"], ids=[f"{i}-{c['rule']}" for i, c in enumerate(GOLDENS["cases"])]
)
def test_matches_tensorflow(case):
    schedule = build(case["rule"], case["kwargs"])
    scale = case["kwargs"].get("learning_rate", 1.0)
    for step, expected in zip(case["steps"], case["values"]):
        ours = schedule(step)
        if expected is None:  # TensorFlow gave NaN
            assert math.isnan(ours), (case["why"], step, ours)
        elif case["dtype"] == "float64":
            assert ours == pytest.approx(expected, rel=1e-15, abs=1e-300), (case["why"], step)
        else:
            assert abs(ours - expected) <= 1e-6 * scale, (case["why"], step, ours, expected)


# (schedule, step, value, how the value was worked out)
HAND = [
    # staircase: floor(step / decay_steps)
    (S.exponential_decay(0.5, 10, 0.9, staircase=True), 9, 0.5, "floor(9/10) = 0"),
    (S.exponential_decay(0.5, 10, 0.9, staircase=True), 10, 0.45, "floor(10/10) = 1: 0.5 * 0.9"),
    (S.exponential_decay(0.5, 10, 0.9, staircase=True), 29, 0.5 * 0.81, "floor(29/10) = 2"),
    (S.natural_exp_decay(1.0, 4, 2.0, staircase=True), 8, math.exp(-4.0), "exp(-2 * floor(8/4))"),
    (S.natural_exp_decay(1.0, 4, 2.0, staircase=True), 7, math.exp(-2.0), "exp(-2 * floor(7/4))"),
    (S.inverse_time_decay(1.0, 4, 2.0, staircase=True), 7, 1 / 3, "1 / (1 + 2 * floor(7/4))"),
    (S.inverse_time_decay(1.0, 4, 2.0), 6, 1 / 4, "1 / (1 + 2 * 6/4)"),
    # polynomial: clamp without cycle; decay_steps * ceil(step / decay_steps) with it, 1 at step 0
    (S.polynomial_decay(1.0, 10, 0.0, 1.0), 25, 0.0, "min(25, 10) = 10"),
    (S.polynomial_decay(1.0, 10, 0.0, 1.0, cycle=True), 0, 1.0, "multiplier 1 at step 0"),
    (S.polynomial_decay(1.0, 10, 0.0, 1.0, cycle=True), 10, 0.0, "ceil(10/10) = 1: p = 1"),
    (S.polynomial_decay(1.0, 10, 0.0, 1.0, cycle=True), 11, 1 - 11 / 20, "ceil(11/10) = 2: p = 11/20"),
    (S.polynomial_decay(1.0, 10, 0.0, 2.0, cycle=True), 25, (1 - 25 / 30) ** 2, "ceil(2.5) = 3"),
    # cosine: clamped
    (S.cosine_decay(2.0, 10, alpha=0.25), 10, 0.5, "alpha * lr at decay_steps"),
    (S.cosine_decay(2.0, 10, alpha=0.25), 99, 0.5, "clamped beyond"),
    (S.cosine_decay(2.0, 10, alpha=0.25), 5, 2.0 * (0.75 * 0.5 + 0.25), "cos(pi/2) = 0"),
    # restarts: period i starts at T0 (1 - t^i) / (1 - t); m_mul^i scales the cosine part only
    (S.cosine_decay_restarts(1.0, 10, 2.0, 0.5, 0.1), 30, 0.9 * 0.25 + 0.1, "period 2 starts at 10 + 20"),
    (S.cosine_decay_restarts(1.0, 10, 2.0, 0.5, 0.1), 50, 0.9 * 0.25 * 0.5 + 0.1, "halfway through period 2"),
    (S.cosine_decay_restarts(1.0, 1, 3.0, 0.5, 0.1), 121, 0.9 * 0.5**5 + 0.1,
     "period 5 starts at (3^5 - 1)/2 = 121; float64 floor(log(243)/log(3)) is 4, corrected"),
    (S.cosine_decay_restarts(1.0, 1, 3.0, 0.5, 0.1), 120,
     0.9 * 0.5**4 * 0.5 * (1 + math.cos(math.pi * 80 / 81)) + 0.1, "period 4: 40..120, f = 80/81"),
    (S.cosine_decay_restarts(1.0, 1, 10.0), 111, 1.0,
     "period 3 starts at (10^3 - 1)/9 = 111; float64 floor(log(1000)/log(10)) is 2, corrected"),
    (S.cosine_decay_restarts(1.0, 16, 1.5), 211, 1.0,
     "t_mul 1.5: period 5 starts at 16 * 13.1875 = 211; float64 floor(log(7.59375)/log 1.5) is 4"),
    (S.cosine_decay_restarts(1.0, 16, 1.5), 210, 0.5 * (1 + math.cos(math.pi * 80 / 81)),
     "period 4 starts at 130 and lasts 16 * 1.5^4 = 81"),
    (S.cosine_decay_restarts(1.0, 7, 1.0, 0.8), 21, 0.8**3, "t_mul 1: period 3 starts at 21"),
    (S.cosine_decay_restarts(1.0, 16, 0.5), 31, 1.0, "t_mul 0.5: period 5 starts at 31"),
    # linear cosine at the survey's settings
    (S.linear_cosine_decay(0.1, 50, 0.2, 0.5, 0.2), 0, 0.1 * (1.5 + 0.2), "(alpha + 1) * 1 + beta"),
    (S.linear_cosine_decay(0.1, 50, 0.2, 0.5, 0.2), 50, 0.1 * (0.5 * 0.5 * (1 + math.cos(0.4 * math.pi)) + 0.2),
     "linear 0, cosine of 2 pi 0.2"),
    # the rest of the API
    (S.piecewise_constant([10, 20], [3.0, 2.0, 1.0]), 10, 3.0, "boundary belongs to the left"),
    (S.piecewise_constant([10, 20], [3.0, 2.0, 1.0]), 10.5, 2.0, "just after it"),
    (S.step_decay(1.0, 3, 0.5), 5, 0.5, "floor(5/3) = 1"),
    (S.step_decay(1.0, 3, 0.5), 6, 0.25, "floor(6/3) = 2"),
    (S.power_decay(0.1, 10), 10, 0.1 * 2**-0.75, "(1 + 10/10)^-0.75"),
    (S.constant(0.3), 10**9, 0.3, "constant"),
    (S.linear_warmup(S.constant(1.0), 4, start=0.2), 2, 0.6, "0.2 + 0.8 * 2/4"),
    (S.linear_warmup(S.exponential_decay(1.0, 1, 0.5), 4), 6, 0.25, "decay restarts at step 4"),
    (S.join([S.constant(1.0), S.exponential_decay(1.0, 1, 0.5)], [3]), 3, 1.0, "next schedule's step 0"),
    (S.join([S.constant(1.0), S.exponential_decay(1.0, 1, 0.5)], [3]), 5, 0.25, "its step 2"),
]


@pytest.mark.parametrize("schedule,step,expected,how", HAND, ids=[h[3][:40] for h in HAND])
def test_hand_worked_values(schedule, step, expected, how):
    assert schedule(step) == pytest.approx(expected, rel=1e-12, abs=1e-15), how


def test_the_restart_correction_is_needed():
    """The uncorrected formula (TensorFlow's, in float64) puts step 121 at the end of period 4."""
    cf, t = 121.0, 3.0
    assert math.floor(math.log(1 - cf * (1 - t)) / math.log(t)) == 4
    assert S.cosine_decay_restarts(1.0, 1, 3.0).restart(121) == (5, 0.0)


def test_power_decay_is_he_and_li_p_of_t():
    """He & Li eq. (15), p(t) = lr (1 + t/R)^(-q), written out: bit for bit in float64."""
    s = S.power_decay(0.01, 50, 0.75)
    for t in range(0, 200, 7):
        assert s(t) == 0.01 * (1 + t / 50) ** -0.75


# --- torch's schedulers as oracles ------------------------------------------------------------
def torch_lrs(make, n):
    """Learning rates of torch's scheduler for steps 0..n-1 (lr before each optimizer step)."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize(
    "ours,make",
    [
        (S.step_decay(1.0, 3, 0.7), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.7)),
        (S.exponential_decay(1.0, 1, 0.9), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
        (S.cosine_decay(1.0, 20, alpha=0.1),
         lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=0.1)),
        (S.polynomial_decay(1.0, 15, 0.0, 2.0),
         lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=15, power=2.0)),
        (S.cosine_decay_restarts(1.0, 5, 2.0, 1.0, 0.05),
         lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.05)),
        (S.linear_warmup(S.constant(1.0), 6, start=0.25),
         lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=6)),
    ],
    ids=["StepLR", "ExponentialLR", "CosineAnnealingLR", "PolynomialLR", "WarmRestarts", "LinearLR"],
)
def test_matches_torch_scheduler(ours, make):
    n = 40
    for t, lr in enumerate(torch_lrs(make, n)):
        if isinstance(ours, S.CosineDecay) and t > 20:
            break  # torch's cosine annealing does not clamp: it climbs back after T_max
        assert ours(t) == pytest.approx(lr, rel=1e-9, abs=1e-12), t
