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
import re
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
sys.modules.setdefault("colab", colab)  # dataclasses look their module up there
_spec.loader.exec_module(colab)

#: The chapter run in a fresh environment: it reads MNIST, trains at smoke scale in about a
#: minute, and its prose carries glued numbers.
FRESH_CHAPTER = "13_experiment1_adamix"

#: What MyST looks like and Jupyter does not render: roles, directive fences, equation labels,
#: targets.
MYST = {
    "role": re.compile(r"\{[A-Za-z][\w:.+-]*\}`"),
    "directive fence": re.compile(r"^[ \t>]*(:::|```\{)", re.MULTILINE),
    "equation label": re.compile(r"\$\$[ \t]*\([^()\s]+\)"),
    "target": re.compile(r"^\([^()\s]+\)=", re.MULTILINE),
}


def _reader_text(cell) -> str:
    """What a reader reads as prose: a markdown cell, or the paragraph a prose cell shows."""
    tags = cell["metadata"].get("tags", [])
    if cell["cell_type"] == "markdown" or "prose" in tags:
        return "".join(cell["source"])
    return ""


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


@pytest.mark.parametrize("source", colab.sources(), ids=[s.stem for s in colab.sources()])
def test_colab_notebook_has_no_myst_syntax(source):
    nb = json.loads(colab.target(source).read_text())
    found = [(what, m.group(0)) for cell in nb["cells"] for what, pattern in MYST.items()
             for m in pattern.finditer(_reader_text(cell))]
    assert found == []


# --- the conversion, on made-up text with known answers --------------------------------------------

def _context():
    return colab.Context(equations={"eq-a": "3.1", "eq-b": "3.2"},
                         citations={"he2016adamix": ("He and Li", "2016a"), "kingma": ("Kingma and Ba", "2015")},
                         targets={"readings": "The readings"})


def test_an_admonition_becomes_a_block_quote_with_its_title():
    text, _ = colab.myst_to_markdown(
        ":::{admonition} Algorithm 3.1: AdaGrad ({eq}`eq-a`)\n:class: tip\nstep 1\n\nstep 2\n:::\nafter",
        _context())
    assert text.splitlines() == ["> **Algorithm 3.1: AdaGrad ((3.1))**", ">", "> step 1", ">", "> step 2", "after"]
    note, _ = colab.myst_to_markdown(":::{note}\nmind the gap\n:::", _context())
    assert note.splitlines()[0] == "> **Note**" and note.splitlines()[-1] == "> mind the gap"


def test_a_labelled_equation_gets_its_number_and_references_show_it():
    text, _ = colab.myst_to_markdown("$$\nx = 1\n$$ (eq-b)\n\nso {eq}`eq-b` holds", _context())
    assert "\\tag{3.2}\n$$" in text and "so (3.2) holds" in text and "(eq-b)" not in text


def test_equations_are_numbered_per_chapter_in_order(tmp_path):
    source = tmp_path / "07_toy.py"
    source.write_text("# %% [markdown]\n# $$\n# a\n# $$ (eq-one)\n#\n# $$\n# b\n# $$\n#\n"
                      "# $$\n# c\n# $$ (eq-two)\n")
    context = colab.book_context([source])
    assert context.equations == {"eq-one": "7.1", "eq-two": "7.2"}


def test_citations_read_as_author_year():
    text, _ = colab.myst_to_markdown("as {cite:t}`he2016adamix` show {cite}`he2016adamix,kingma`", _context())
    assert text == "as He and Li (2016a) show (He and Li, 2016a; Kingma and Ba, 2015)"


def test_citation_labels_come_from_the_bibliography():
    labels = colab.citation_labels()
    assert labels["he2016adamix"] == ("He and Li", "2016a")


def test_cross_references_and_python_roles_become_plain_text():
    text, _ = colab.myst_to_markdown(
        "{ref}`the readings <readings>`, {ref}`readings`, {class}`~optimbook.optim.PerRole`, "
        "{func}`optimlab.experiments.adamix.run`", _context())
    assert text == "the readings, The readings, `PerRole`, `optimlab.experiments.adamix.run()`"


def test_glued_values_become_named_placeholders_and_only_their_paragraphs_become_code():
    text, glued = colab.myst_to_markdown(
        "## A heading\n\nAdaMix ends at {glue:text}`ours_AdaMix:.2f` and {glue:text}`best`.\n\n"
        "$$\na\n\nb\n$$\n\nplain", _context())
    assert glued == ["ours_AdaMix", "best"] and "{{ours_AdaMix:.2f}}" in text and "{{best}}" in text
    runs = colab._split_prose(text)
    assert [carries for carries, _ in runs] == [False, True, False]
    assert runs[2][1].startswith("$$") and runs[2][1].count("$$") == 2


TOY = '''# %% [markdown]
# # A toy chapter
#
# :::{note}
# A note citing {cite}`he2016adamix`.
# :::

# %%
from optimlab.presentation.plotting import glue
glue("toy_value", 0.123456)
glue("toy_words", "lower than the paper's")

# %% [markdown]
# Our value is {glue:text}`toy_value:.3f`, {glue:text}`toy_words`; {glue:text}`toy_later` comes later.
'''


def test_a_generated_notebook_shows_glued_values_once_the_cells_above_ran(tmp_path):
    """The toy chapter, converted and executed in a fresh kernel (this environment's packages,
    no network): its prose cell shows the values, and names the one computed further down."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    source = tmp_path / "01_toy.py"
    source.write_text(TOY)
    nb = nbformat.reads(colab.colab_notebook(source, colab.book_context([source])), as_version=4)
    prose_cells = [c for c in nb.cells if "prose" in c.metadata.get("tags", [])]
    assert len(prose_cells) == 1
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = "".join(o.get("data", {}).get("text/markdown", "") for o in prose_cells[0].outputs)
    assert shown.startswith("Our value is 0.123, lower than the paper's; ")
    assert "toy_later" in shown and "{{" not in shown


def test_a_failed_install_prints_one_sentence_not_a_traceback(tmp_path):
    # -S: no site-packages, so neither optimbook nor pip can be found and the install fails
    cell = colab.install_cell_source(prose=True)
    run = subprocess.run([sys.executable, "-S", "-c", cell], capture_output=True, text=True, cwd=tmp_path,
                         env={"OPTIMBOOK_SOURCE": "file:///nowhere", "PATH": os.environ.get("PATH", "")},
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stdout + run.stderr and run.stderr == ""
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and "file:///nowhere" in lines[0] and "run this cell again" in lines[0]


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
    # the prose shows the glued numbers as values: no placeholder is left, and the paragraph on
    # the final RERs shows numbers
    prose = ["".join(o.get("data", {}).get("text/markdown", "")) for c in nb["cells"]
             if "prose" in c["metadata"].get("tags", []) for o in c.get("outputs", [])]
    assert prose and not any("{{" in p for p in prose)
    first = next(p for p in prose if p.startswith("After the last iteration"))
    assert re.search(r"Cons \d+\.\d\d\s+\([+-]\d", first), first
