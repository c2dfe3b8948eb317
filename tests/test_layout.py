"""The library (optimbook) stands apart from the book's machinery (optimlab)."""

import subprocess
import sys

import pytest

PROBE = (
    "import sys, optimbook, optimbook.optim, optimbook.schedules\n"
    "print('\\n'.join(sorted(sys.modules)))\n"
)


def loaded_by(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("package", ["optimlab", "torchvision", "pandas", "matplotlib", "seaborn"])
def test_import_optimbook_loads_nothing_of_the_book(package):
    loaded = loaded_by(PROBE)
    assert "optimbook.optim" in loaded  # the probe ran
    assert not {m for m in loaded if m == package or m.startswith(package + ".")}


def test_the_registry_is_the_library_s_and_loads_on_first_use():
    loaded = loaded_by(PROBE)
    assert "optimbook.testing" not in loaded
    after = loaded_by("import sys, optimbook\noptimbook.testing.REGISTRY\nprint('\\n'.join(sys.modules))")
    assert "optimbook.testing" in after and not any(m.startswith("optimlab") for m in after)


def test_the_probe_would_see_a_book_import():
    # the check above can fail: importing the book's package shows up in the same listing
    assert "optimlab" in loaded_by("import sys, optimlab.runtime\nprint('\\n'.join(sys.modules))")
