"""The chapters' Colab notebooks (book/chapters/NN_x.ipynb, the launch buttons' targets).

They are generated from notebooks/NN_x.py by `make colab` (tools/colab.py) and committed without
outputs: a stale one fails here. One of them runs in a fresh virtual environment where optimbook is
not importable until its first cell installs it (from a copy of this checkout, through the
OPTIMBOOK_SOURCE variable that cell reads instead of the repository URL).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("colab", ROOT / "tools" / "colab.py")
colab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab)

#: The chapter run in a fresh environment: quick at smoke scale, and it reads MNIST.
FRESH_CHAPTER = "01_gradient_descent"


def test_every_chapter_has_a_colab_notebook_in_sync():
    assert colab.out_of_sync() == [], "run `make colab` (then commit book/chapters/)"


def test_colab_notebooks_are_tracked_by_git():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *[str(colab.target(s)) for s in colab.sources()]],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert ignored.stdout == "", f"gitignored, so a clone would lack them: {ignored.stdout}"


@pytest.mark.parametrize("source", colab.sources(), ids=[s.stem for s in colab.sources()])
def test_colab_notebook_shape(source):
    nb = json.loads(colab.target(source).read_text())
    first = nb["cells"][0]
    assert first["cell_type"] == "code" and "remove-cell" in first["metadata"]["tags"]
    text = "".join(first["source"])
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert f"git+{url}" in text and 'find_spec("optimbook") is None' in text
    assert nb["metadata"]["accelerator"] == "GPU"
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    params = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    assert 'device = "auto"' in "".join(params["source"])


def _site_view(tmp_path: Path) -> Path:
    """This environment's site-packages without optimbook: a folder of links to every entry
    except optimbook's distribution and its editable-install hooks."""
    site = Path(sysconfig.get_paths()["purelib"])
    view = tmp_path / "site-view"
    view.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("optimbook", "__editable__")) or "optimbook" in name:
            continue
        (view / entry.name).symlink_to(entry)
    return view


@pytest.mark.notebook
def test_colab_notebook_runs_in_a_fresh_environment(tmp_path, mnist_root):
    # A copy of the package sources (pip builds in the source tree; keep the checkout clean).
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, checkout / name)
    shutil.copytree(ROOT / "src", checkout / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))

    venv = tmp_path / "venv"
    # No pip or setuptools of its own: those of this environment (seen through the view below)
    # install optimbook into it.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                   check=True)
    python = venv / "bin" / "python"
    fresh_site = Path(subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    # torch, jupyter and the rest come from this environment's packages, optimbook does not.
    (fresh_site / "_test_packages.pth").write_text(f"{_site_view(tmp_path)}\n")
    kernels = venv / "share" / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh venv", "language": "python"}))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_"))}
    env.update({
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "JUPYTER_PATH": str(venv / "share" / "jupyter"),
        "OPTIMBOOK_SOURCE": checkout.as_uri(),
        "OPTIMBOOK_DATA": str(mnist_root),
        # offline: the build backend and torch are already there
        "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull, "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    })
    before = subprocess.run([python, "-c", "import optimbook"], env=env, cwd=tmp_path,
                            capture_output=True, text=True)
    assert before.returncode != 0, "optimbook is importable before the setup cell"
    for module in ("torch", "papermill", "ipykernel", "pip"):
        subprocess.run([python, "-c", f"import {module}"], env=env, cwd=tmp_path, check=True)

    notebook = colab.target(ROOT / "notebooks" / f"{FRESH_CHAPTER}.py")
    output = tmp_path / "out.ipynb"
    run = subprocess.run(
        [python, "-m", "papermill", str(notebook), str(output), "-k", "python3",
         "-p", "scale", "smoke", "--cwd", str(tmp_path), "--no-progress-bar"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    where = subprocess.run([python, "-c", "import optimbook; print(optimbook.__file__)"], env=env,
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert str(venv) in where, f"optimbook came from {where}, not the setup cell's install"
    nb = json.loads(output.read_text())
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
