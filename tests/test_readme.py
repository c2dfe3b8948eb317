"""The README's Python blocks and the package's docstring examples run as written.

The README's blocks are pasted, in order, into one fresh interpreter (a subprocess, so nothing this
test session imported can hide a missing import), the way a reader would try them.
"""

from __future__ import annotations

import doctest
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def python_blocks(markdown: str) -> list[str]:
    """Every fenced ```python block of ``markdown``, in order."""
    return re.findall(r"^```python[ \t]*\n(.*?)^```[ \t]*$", markdown, flags=re.M | re.S)


def test_block_extraction_finds_python_blocks_only():
    text = "x\n```python\na = 1\n```\n```bash\nmake\n```\n```python\nb = a\n```\n"
    assert python_blocks(text) == ["a = 1\n", "b = a\n"]


def test_readme_python_blocks_run_in_a_fresh_interpreter(tmp_path):
    blocks = python_blocks((ROOT / "README.md").read_text())
    assert blocks, "the README has no ```python block"
    script = "\n".join(f"# --- README block {i + 1}\n{block}" for i, block in enumerate(blocks))
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"README example failed:\n{script}\n{result.stderr[-3000:]}"


def modules_with_examples() -> list[str]:
    names = []
    for path in sorted(SRC.rglob("*.py")):
        if ">>>" in path.read_text():
            parts = path.relative_to(SRC).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = modules_with_examples()
#: Modules whose ``>>>`` lines are illustrations, not runnable examples (to be made doctests).
NOT_YET_DOCTESTS: dict[str, str] = {}


def test_the_schedules_and_runtime_have_examples():
    assert {"optimbook._checks", "optimbook.schedules.exponential", "optimbook.schedules.cosine"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name in NOT_YET_DOCTESTS:
        pytest.skip(NOT_YET_DOCTESTS[name])
    module = importlib.import_module(name)
    examples = [e for t in doctest.DocTestFinder().find(module) for e in t.examples]
    if examples and all(e.options.get(doctest.SKIP) for e in examples):
        pytest.skip(f"every example of {name} is marked +SKIP (it spawns processes)")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False, report=True)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see the output above)"
