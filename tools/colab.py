"""Generate the chapters' Colab notebooks: ``notebooks/NN_x.py`` -> ``book/chapters/NN_x.ipynb``.

    python tools/colab.py           # (re)write every notebook (``make colab``)
    python tools/colab.py --check   # exit 1 and name the notebooks that are out of sync

Each chapter's launch button in the book opens ``book/chapters/NN_x.ipynb`` of the repository in
Colab (Jupyter Book's launch buttons point at ``<path_to_book>/<page>.ipynb``). Those files are
committed, without outputs, and generated only by this script from the Jupytext sources: the
source's cells, preceded by one setup cell that installs ``optimbook`` from the repository named in
``_config.yml`` when it is not importable (tagged ``remove-cell``: never shown in the book). The
notebook asks Colab for a GPU runtime; the chapters use ``device="auto"`` and torchvision downloads
MNIST into ``./data``.

The book itself is built from executed copies staged under ``_build/source`` (see the Makefile),
so these tracked files are never overwritten by a build.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks"
TARGET = ROOT / "book" / "chapters"
#: Environment variable the setup cell reads to install from somewhere else than the repository
#: (a local checkout as ``file:///path``, a fork, a branch); the tests point it at a copy of this
#: checkout.
SOURCE_ENV = "OPTIMBOOK_SOURCE"


def repository() -> tuple[str, str]:
    """The repository URL and branch from ``_config.yml``."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return config["url"].rstrip("/"), config.get("branch", "main")


def install_cell_source() -> str:
    url, branch = repository()
    return f'''\
# Setup for Colab or any environment without optimbook: install the book's package from its
# repository (set {SOURCE_ENV} to install from a fork, a branch or a local checkout instead).
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("optimbook") is None:
    source = os.environ.get("{SOURCE_ENV}", "git+{url}.git@{branch}")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"optimbook @ {{source}}"],
                   check=True)
    importlib.invalidate_caches()'''


def sources() -> list[Path]:
    return sorted(SOURCES.glob("[0-9][0-9]_*.py"))


def colab_notebook(source: Path) -> str:
    """The Colab notebook of one Jupytext source, as the exact text written to disk."""
    import jupytext
    import nbformat

    notebook = jupytext.read(source)
    setup = nbformat.v4.new_code_cell(install_cell_source())
    setup.metadata["tags"] = ["remove-cell", "colab-setup"]
    cells = [setup] + list(notebook.cells)
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index:03d}"
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    out = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "accelerator": "GPU",
            "colab": {"provenance": [], "gpuType": "T4", "name": f"{source.stem}.ipynb"},
        },
    )
    out.nbformat_minor = 5
    nbformat.validate(out)
    return nbformat.writes(out) + "\n"


def target(source: Path) -> Path:
    return TARGET / f"{source.stem}.ipynb"


def out_of_sync() -> list[str]:
    """Problems: notebooks missing, stale, or without a source."""
    problems = []
    expected = {target(s): s for s in sources()}
    for path, source in expected.items():
        if not path.is_file():
            problems.append(f"{path.relative_to(ROOT)} is missing")
        elif path.read_text() != colab_notebook(source):
            problems.append(f"{path.relative_to(ROOT)} is out of sync with {source.relative_to(ROOT)}")
    for path in sorted(TARGET.glob("*.ipynb")):
        if path not in expected:
            problems.append(f"{path.relative_to(ROOT)} has no source in notebooks/")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = out_of_sync()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `make colab` and commit book/chapters/", file=sys.stderr)
        return 1 if problems else 0
    TARGET.mkdir(parents=True, exist_ok=True)
    for source in sources():
        text = colab_notebook(source)
        path = target(source)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    for path in sorted(TARGET.glob("*.ipynb")):
        if path.stem not in {s.stem for s in sources()}:
            path.unlink()
            print(f"removed {path.relative_to(ROOT)} (no source)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
