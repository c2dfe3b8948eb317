"""Whether two results folders hold the same numbers: a speed change must not move a run.

    .venv/bin/python benchmarks/same_runs.py RESULTS_A RESULTS_B [--scale paper]

Matches the AdaMix fine-tuning runs of two results folders (e.g. two ``reproduction.py --results``
folders, made before and after a change) by what they ran (weight and bias rules, setup, data
fraction, seed; not the code version, which a change alters), and compares every recorded epoch's
test and train RER exactly. Prints one line per run that differs and a summary; exits 1 if any does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def runs(folder: Path, scale: str) -> dict[str, dict]:
    out = {}
    for path in sorted((folder / scale / "runs").glob("*.json")):
        saved = json.loads(path.read_text())
        key = {k: v for k, v in saved["key"].items() if k != "code"}
        out[json.dumps(key, sort_keys=True)] = saved
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--scale", default="paper")
    args = parser.parse_args(argv)
    a, b = runs(args.a, args.scale), runs(args.b, args.scale)
    common = sorted(set(a) & set(b))
    print(f"{len(a)} runs in {args.a}, {len(b)} in {args.b}, {len(common)} made in both")
    differ = 0
    for key in common:
        ra = [(r["epoch"], r["test_rer"], r["train_rer"]) for r in a[key]["records"]]
        rb = [(r["epoch"], r["test_rer"], r["train_rer"]) for r in b[key]["records"]]
        if ra != rb:
            differ += 1
            k = json.loads(key)
            print(f"differs: weight {k['weight']}, bias {k['bias']}, fraction {k['fraction']}, seed {k['seed']}: "
                  f"final test RER {ra[-1][1]!r} against {rb[-1][1]!r}")
    print(f"identical (every recorded RER): {len(common) - differ}; different: {differ}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
