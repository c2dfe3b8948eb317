"""Per chapter: code lines, markdown lines, ``for`` loops in code cells and visible plumbing lines.

    python tools/chapter_counts.py [notebooks/NN_*.py ...]

Code and markdown lines are non-blank lines of the Jupytext cells (markdown without its ``# ``);
the parameters cell and cells tagged ``setup`` (both hidden on the page) are left out of the code
count. A loop is a ``for`` statement at any depth of a code cell (comprehensions are not counted).
Plumbing is a visible code line that imports, checks, formats or decorates rather than computes a
result: imports, ``glue(`` lines, ``display(`` / ``inspect.getsource`` wrappers, matplotlib
decoration (``ax.set_*``, ``plt.*``, ``legend``, ``tight_layout``), and ``for`` loops.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CELL = re.compile(r"^# %%(?P<rest>.*)$")
PLUMBING = re.compile(r"^\s*(import |from \S+ import |glue\(|display\(|.*inspect\.getsource|.*\.set_(x|y|title|xlabel|ylabel|xlim|ylim|xscale|yscale|xticks|yticks)|plt\.|.*\.legend\(|.*tight_layout|for )")


def cells(path: Path) -> list[tuple[str, list[str], str]]:
    out, kind, tags, lines = [], None, "", []
    for line in path.read_text().splitlines():
        m = CELL.match(line)
        if m:
            if kind is not None:
                out.append((kind, lines, tags))
            rest = m.group("rest")
            kind = "markdown" if "[markdown]" in rest else "code"
            tags, lines = rest, []
        elif kind is not None:
            lines.append(line)
    if kind is not None:
        out.append((kind, lines, tags))
    return out


def counts(path: Path) -> dict[str, int]:
    code = markdown = loops = plumbing = 0
    for kind, lines, tags in cells(path):
        body = [l for l in lines if l.strip()]
        if kind == "markdown":
            markdown += len(body)
            continue
        if "parameters" in tags or "setup" in tags:
            continue
        code += len(body)
        plumbing += sum(bool(PLUMBING.match(l)) for l in body)
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        loops += sum(isinstance(n, (ast.For, ast.AsyncFor, ast.While)) for n in ast.walk(tree))
    return {"code": code, "markdown": markdown, "loops": loops, "plumbing": plumbing}


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    print(f"{'chapter':<40} {'code':>5} {'markdown':>8} {'loops':>5} {'plumbing':>8}")
    total = dict.fromkeys(("code", "markdown", "loops", "plumbing"), 0)
    for path in paths:
        c = counts(path)
        total = {k: total[k] + c[k] for k in total}
        flag = "" if c["code"] <= c["markdown"] and not c["loops"] else "  <-"
        print(f"{path.stem:<40} {c['code']:>5} {c['markdown']:>8} {c['loops']:>5} {c['plumbing']:>8}{flag}")
    print(f"{'total':<40} {total['code']:>5} {total['markdown']:>8} {total['loops']:>5} {total['plumbing']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
