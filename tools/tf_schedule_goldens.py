"""Write TensorFlow's own learning-rate decay values to ``tests/data/tf_schedule_goldens.json``.

Run once, in a throwaway environment that has TensorFlow (never the project's ``.venv``):

    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install --isolated tensorflow-cpu
    /tmp/tfenv/bin/python tools/tf_schedule_goldens.py

Every case calls a ``tf.compat.v1.train.*_decay`` function (in eager mode it returns a callable
bound to ``global_step``, which is called once per step) with the learning rate and every
hyperparameter as float64 tensors; the cosine family runs in float32, because its TensorFlow code
multiplies by a float32 ``pi`` and rejects float64. The JSON records the TensorFlow version, and
each case its function, arguments, dtype, steps, values and why it is there. NaN is written as
``null``. CI never runs this script; ``tests/test_schedules_golden.py`` compares
``optimbook.schedules`` with the file.
"""

from __future__ import annotations

import datetime
import inspect
import json
import math
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "tf_schedule_goldens.json"
V1 = tf.compat.v1.train

# (rule, kwargs, steps, why)
CASES: list[tuple[str, dict, list[int], str]] = []


def case(rule, kwargs, steps, why):
    CASES.append((rule, kwargs, sorted(set(steps)), why))


SURVEY = list(range(0, 201))

# --- the survey's five decay figures (settings from reference-facts.md), every plotted step -----
case("piecewise_constant", dict(boundaries=[10, 20, 30], values=[0.1, 0.07, 0.025, 0.0125]),
     list(range(40)) + [100], "survey figure: piecewise constant; each boundary belongs to the left interval")
for staircase in (False, True):
    case("exponential_decay", dict(learning_rate=0.5, decay_steps=10, decay_rate=0.9, staircase=staircase),
         SURVEY, "survey figure: exponential, staircase vs continuous")
    case("natural_exp_decay", dict(learning_rate=0.5, decay_steps=10, decay_rate=0.9, staircase=staircase),
         SURVEY, "survey figure: natural exponential beside exponential")
for cycle in (False, True):
    case("polynomial_decay", dict(learning_rate=0.1, decay_steps=50, end_learning_rate=0.01, power=0.5,
                                  cycle=cycle),
         SURVEY, "survey figure: polynomial, cycle False vs True (cycle boundaries at multiples of 50)")
case("cosine_decay", dict(learning_rate=0.1, decay_steps=50, alpha=0.0), SURVEY,
     "survey figure: cosine (clamped after decay_steps)")
case("linear_cosine_decay", dict(learning_rate=0.1, decay_steps=50, num_periods=0.2, alpha=0.5, beta=0.2),
     SURVEY, "survey figure: linear cosine")
case("noisy_linear_cosine_decay", dict(learning_rate=0.1, decay_steps=50, initial_variance=0.0,
                                       variance_decay=0.1, num_periods=0.2, alpha=0.5, beta=0.2),
     SURVEY, "survey figure's noisy linear cosine with the noise switched off (initial_variance=0): "
             "TensorFlow's noise is unseeded, so only its noiseless part can be a golden")

# --- edge cases with other settings ---------------------------------------------------------------
EDGES = [0, 1, 4, 5, 6, 9, 10, 11, 14, 15, 16, 99, 100, 101, 1000]
case("piecewise_constant", dict(boundaries=[3, 7], values=[1.0, 0.5, 0.25]), range(12),
     "two boundaries, values at, before and after each")
case("piecewise_constant", dict(boundaries=[0, 5], values=[0.3, 0.2, 0.1]), range(8),
     "a boundary at step 0: step 0 still takes values[0]")
for staircase in (False, True):
    case("exponential_decay", dict(learning_rate=0.1, decay_steps=5, decay_rate=0.5, staircase=staircase),
         EDGES, "staircase boundaries at multiples of decay_steps = 5")
    case("exponential_decay", dict(learning_rate=2.0, decay_steps=3, decay_rate=1.5, staircase=staircase),
         EDGES, "decay_rate > 1 grows")
    case("natural_exp_decay", dict(learning_rate=0.1, decay_steps=5, decay_rate=0.5, staircase=staircase),
         EDGES, "staircase boundaries at multiples of decay_steps = 5")
    case("inverse_time_decay", dict(learning_rate=0.1, decay_steps=5, decay_rate=0.5, staircase=staircase),
         EDGES, "staircase boundaries at multiples of decay_steps = 5")
case("polynomial_decay", dict(learning_rate=0.1, decay_steps=100), EDGES,
     "defaults end_learning_rate=1e-4, power=1: clamped at and beyond decay_steps")
case("polynomial_decay", dict(learning_rate=0.1, decay_steps=7, end_learning_rate=0.001, power=2.0,
                              cycle=True),
     [0, 1, 6, 7, 8, 13, 14, 15, 20, 21, 22, 70, 71],
     "cycle: multiplier 1 at step 0, end rate at every multiple of decay_steps, jump on the next step")
case("polynomial_decay", dict(learning_rate=0.01, decay_steps=10, end_learning_rate=0.1, power=1.0),
     [0, 5, 10, 20], "end_learning_rate above learning_rate: a ramp up")
case("cosine_decay", dict(learning_rate=0.1, decay_steps=50, alpha=0.3), [0, 1, 25, 49, 50, 51, 100],
     "alpha floor, clamped at and beyond decay_steps")
case("cosine_decay_restarts", dict(learning_rate=1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5, alpha=0.1),
     [0, 1, 5, 9, 10, 11, 29, 30, 31, 69, 70, 71, 149, 150, 151, 310, 311],
     "t_mul=2, m_mul<1: periods start at 10, 30, 70, 150, 310; m_mul scales the cosine part, not alpha")
case("cosine_decay_restarts", dict(learning_rate=0.1, first_decay_steps=7, t_mul=1.0, m_mul=0.8, alpha=0.0),
     [0, 1, 6, 7, 8, 13, 14, 15, 21, 70],
     "t_mul=1: restarts every 7 steps, peaks shrinking by m_mul")
case("cosine_decay_restarts", dict(learning_rate=0.1, first_decay_steps=8, t_mul=1.5, m_mul=0.9, alpha=0.05),
     [0, 7, 8, 9, 19, 20, 21, 37, 38, 39, 64, 65, 66, 105, 106],
     "t_mul=1.5: periods start at 8, 20, 38, 65, 105.5")
case("cosine_decay_restarts", dict(learning_rate=0.1, first_decay_steps=5, t_mul=3.0, m_mul=1.0, alpha=0.0),
     [0, 4, 5, 6, 19, 20, 21, 64, 65, 66, 199, 200, 201, 605],
     "t_mul=3: periods start at 5, 20, 65, 200, 605 (the log formula's floor at exact boundaries)")
case("cosine_decay_restarts", dict(learning_rate=0.1, first_decay_steps=16, t_mul=0.5, m_mul=1.0, alpha=0.0),
     [0, 8, 15, 16, 17, 23, 24, 27, 28, 29, 30, 31, 32, 40],
     "t_mul<1: periods start at 16, 24, 28, 30, 31, …; their total length is 32 (NaN beyond)")
case("cosine_decay_restarts", dict(learning_rate=1.0, first_decay_steps=1, t_mul=3.0, m_mul=0.5, alpha=0.1),
     [0, 1, 3, 4, 12, 13, 39, 40, 120, 121, 122],
     "t_mul=3 from step 1: at step 121 (period 5) float64 floor(log(1 + 2*121)/log 3) gives 4")
case("cosine_decay_restarts", dict(learning_rate=1.0, first_decay_steps=1, t_mul=10.0, m_mul=1.0, alpha=0.0),
     [0, 1, 10, 11, 110, 111, 112, 1110, 1111],
     "t_mul=10: at step 111 (period 3) float64 floor(log(1 + 9*111)/log 10) gives 2")
case("cosine_decay_restarts", dict(learning_rate=0.1, first_decay_steps=20), [0, 10, 19, 20, 21, 59, 60, 61, 140],
     "defaults t_mul=2, m_mul=1, alpha=0")
case("linear_cosine_decay", dict(learning_rate=0.1, decay_steps=100), [0, 1, 25, 50, 75, 99, 100, 101, 500],
     "defaults num_periods=0.5, alpha=0, beta=0.001; clamped beyond decay_steps")
case("linear_cosine_decay", dict(learning_rate=0.2, decay_steps=30, num_periods=2.0, alpha=0.1, beta=0.0),
     [0, 7, 8, 15, 22, 29, 30, 31], "two cosine periods")


def dtype_of(rule: str):
    """float64 where TensorFlow allows it. The cosine family multiplies by ``constant(math.pi)``, a
    float32 tensor, so a float64 learning rate fails there (``cannot compute Mul``): float32."""
    return tf.float32 if "cosine" in rule else tf.float64


def tf_value(rule: str, kwargs: dict, step_var):
    kw = dict(kwargs)
    dtype = dtype_of(rule)
    if rule == "piecewise_constant":
        values = [tf.constant(v, dtype=dtype) for v in kw["values"]]
        boundaries = [tf.constant(b, dtype=tf.int64) for b in kw["boundaries"]]
        return V1.piecewise_constant(step_var, boundaries, values)
    lr = tf.constant(kw.pop("learning_rate"), dtype=dtype)
    # Hyperparameters given as Python floats would become float32 tensors before TensorFlow casts
    # them to the rate's dtype (0.9 -> 0.899999976): pass them as tensors of that dtype.
    # TensorFlow's own float defaults are Python floats too: fill them in the same way.
    for name, p in inspect.signature(getattr(V1, rule)).parameters.items():
        if name not in kw and isinstance(p.default, float):
            kw[name] = p.default
    kw = {k: v if isinstance(v, bool) else tf.constant(v, dtype=dtype) for k, v in kw.items()}
    return getattr(V1, rule)(lr, step_var, **kw)


def main() -> None:
    step = tf.Variable(0, dtype=tf.int64)
    cases = []
    for rule, kwargs, steps, why in CASES:
        fn = tf_value(rule, kwargs, step)
        values = []
        for s in steps:
            step.assign(s)
            v = float(fn().numpy())
            values.append(None if math.isnan(v) else v)
        cases.append({
            "rule": rule, "kwargs": kwargs, "steps": steps, "values": values, "why": why,
            "dtype": dtype_of(rule).name,
            "provenance": f"tf.compat.v1.train.{rule}, TensorFlow {tf.__version__},"
                          f" {dtype_of(rule).name}, eager",
        })
    doc = {
        "provenance": {
            "generator": "tools/tf_schedule_goldens.py",
            "tensorflow": tf.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "date": datetime.date.today().isoformat(),
            "dtype": "float64 (learning_rate a tf.float64 constant, global_step int64), except the"
                     " cosine family: float32, since TensorFlow multiplies by a float32 pi",
            "null": "NaN",
        },
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # one case per line: readable in a diff, and the file stays small
    head = json.dumps(doc["provenance"], indent=2).replace("\n", "\n ")
    body = ",\n  ".join(json.dumps(c) for c in cases)
    OUT.write_text(f'{{\n "provenance": {head},\n "cases": [\n  {body}\n ]\n}}\n')
    print(f"wrote {len(cases)} cases to {OUT} (TensorFlow {tf.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
