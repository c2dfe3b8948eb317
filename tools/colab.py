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

Colab renders Markdown, not MyST, so the markdown cells are converted (:func:`myst_to_markdown`):
admonitions become block quotes, labelled equations carry their number (``\\tag{2.10}``) and
``{eq}`` shows it, ``{cite}`` reads "(He and Li, 2016a)" (the bibliography's labels), cross-references
and Python roles become plain text and code spans. A paragraph that shows glued values becomes a
code cell calling :func:`optimlab.presentation.plotting.prose`, which fills in the values that
the chapter's ``glue`` calls kept (a value not computed yet shows as its name). A failed install
prints one sentence saying what to do.

The book itself is built from executed copies staged under ``_build/source`` (see the Makefile),
so these tracked files are never overwritten by a build.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
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


def install_cell_source(prose: bool = False) -> str:
    """The first cell: install the package when it is not importable. A failed install prints one
    sentence saying what to do (no traceback). With ``prose``, it also imports
    :func:`optimlab.presentation.plotting.prose`, which the paragraphs carrying glued values call."""
    url, branch = repository()
    text = f'''\
# Setup for Colab or any environment without optimbook: install the book's package from its
# repository (set {SOURCE_ENV} to install from a fork, a branch or a local checkout instead).
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("optimbook") is None:
    source = os.environ.get("{SOURCE_ENV}", "git+{url}.git@{branch}")
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"optimbook @ {{source}}"],
                             capture_output=True, text=True)
    importlib.invalidate_caches()
    if install.returncode != 0:
        print(f"Could not install optimbook from {{source}}: check the network connection (or set "
              f"{SOURCE_ENV} to a reachable copy, e.g. file:///path/to/checkout), then run this cell again.")'''
    if prose:
        text += """

if importlib.util.find_spec("optimlab") is not None:
    # the paragraphs that carry this run's numbers are cells that call prose(...)
    from optimlab.presentation.plotting import prose"""
    return text


# --- MyST -> what Jupyter renders ---------------------------------------------------------------

#: A MyST role: ``{name}`content```.
ROLE = re.compile(r"\{([A-Za-z][\w:.+-]*)\}`([^`]*)`")
#: A labelled display equation's closing line: ``$$ (label)``.
EQUATION_LABEL = re.compile(r"\$\$[ \t]*\(([^()\s]+)\)[ \t]*$", re.MULTILINE)
#: A MyST target line, ``(label)=``, and a MyST comment line, ``% ...``.
TARGET_LINE = re.compile(r"^\(([^()\s]+)\)=[ \t]*$")
COMMENT_LINE = re.compile(r"^%( |$)")
#: A directive's opening fence (``:::{name} argument`` or a backtick fence), and the option lines
#: (``:key: value``) that may follow it.
FENCE_OPEN = re.compile(r"^(?P<fence>:{3,}|`{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<argument>.*)$")
OPTION_LINE = re.compile(r"^:[\w-]+:( |$)")
#: What a glued value becomes in a prose cell: ``{{name}}`` or ``{{name:spec}}`` (filled in by
#: :func:`optimlab.presentation.plotting.prose`).
PLACEHOLDER = "{{{{{name}{spec}}}}}"
PY_ROLES = {"class", "func", "meth", "mod", "data", "attr", "obj", "exc", "py:class", "py:func",
            "py:meth", "py:mod", "py:data", "py:attr", "py:obj", "py:exc"}


@dataclass
class Context:
    """What the conversion needs to know beyond one cell: equation numbers (label -> "2.10"),
    citation labels (key -> ("He and Li", "2016a")) and section titles (target -> title)."""

    equations: dict[str, str] = field(default_factory=dict)
    citations: dict[str, tuple[str, str]] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)


def _chapter_number(source: Path) -> str:
    return str(int(source.stem.split("_")[0]))


def citation_labels(bib: Path = ROOT / "book" / "references.bib") -> dict[str, tuple[str, str]]:
    """Each entry's authors and year as the book cites them (the book's bibliography style:
    ``book/_ext/optimbook_bibstyle.py``): ``{"he2016adamix": ("He and Li", "2016a")}``."""
    from pybtex.database import parse_file

    def last(person) -> str:
        return " ".join(person.prelast_names + person.last_names).replace("{", "").replace("}", "")

    labels = {}
    for key, entry in parse_file(str(bib)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        if not people:
            name = entry.fields.get("title", key).strip("{}").split("(")[0].strip().strip("{}")[:24]
        elif len(people) == 1:
            name = last(people[0])
        elif len(people) == 2 and "others" not in last(people[1]):
            name = f"{last(people[0])} and {last(people[1])}"
        else:
            name = f"{last(people[0])} et al."
        labels[key] = (name.replace("{", "").replace("}", ""), entry.fields.get("year", "n.d."))
    return labels


def book_context(paths: list[Path] | None = None) -> Context:
    """Equation numbers and section targets of every chapter, and the bibliography's labels."""
    import jupytext

    context = Context(citations=citation_labels())
    for source in paths if paths is not None else sources():
        _scan(jupytext.read(source), _chapter_number(source), context)
    return context


def _scan(notebook, chapter: str, context: Context) -> None:
    count = 0
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for label in EQUATION_LABEL.findall(cell.source):
            count += 1
            context.equations[label] = f"{chapter}.{count}"
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            match = TARGET_LINE.match(line)
            if match:
                heading = next((l for l in lines[i + 1:] if l.strip()), "")
                context.targets[match.group(1)] = heading.lstrip("#").strip() or match.group(1)


def source_of(path: str, pyobject: str | None) -> str:
    """The text a ``{literalinclude}`` of ``path`` (``/src/...``: from the repository's root) shows:
    the whole file, or the definition named by ``:pyobject:`` (``Class.method`` allowed), as Sphinx
    takes it: from its first decorator to its last line."""
    import ast

    file = ROOT / path.lstrip("/")
    text = file.read_text()
    if not pyobject:
        return text.rstrip("\n")
    body: list = ast.parse(text).body
    node = None
    for part in pyobject.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == part), None)
        if node is None:
            raise ValueError(f"{path}: no definition {pyobject!r} for a literalinclude")
        body = node.body
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    lines = text.splitlines()[start - 1:node.end_lineno]
    indent = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    return "\n".join(l[indent:] for l in lines)


def _literalincludes(text: str) -> str:
    """``{literalinclude}`` directives as fenced Python blocks holding the source they show."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE_OPEN.match(lines[i].strip())
        if not (opening and opening.group("name") == "literalinclude"):
            out.append(lines[i])
            i += 1
            continue
        path, options, i = opening.group("argument").strip(), {}, i + 1
        while i < len(lines) and OPTION_LINE.match(lines[i].strip()):
            key, _, value = lines[i].strip()[1:].partition(":")
            options[key.strip()] = value.strip()
            i += 1
        while i < len(lines) and lines[i].strip() != opening.group("fence"):
            i += 1
        i += 1  # the closing fence
        out += ["```python", source_of(path, options.get("pyobject")), "```"]
    return "\n".join(out)


def _fences(text: str) -> str:
    """Directives (admonitions and the like) as block quotes headed by their title."""
    text = _literalincludes(text)
    out: list[str] = []
    stack: list[str] = []  # the closing fence of every open directive
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        quote = "> " * len(stack)
        opening = FENCE_OPEN.match(line.strip())
        if opening:
            name, argument = opening.group("name"), opening.group("argument").strip()
            title = argument if name == "admonition" and argument else (
                name.replace("-", " ").capitalize() + (f": {argument}" if argument else ""))
            out.append(f"{quote}> **{title}**".rstrip())
            out.append(f"{quote}>")
            stack.append(opening.group("fence"))
            i += 1
            while i < len(lines) and OPTION_LINE.match(lines[i].strip()):
                i += 1  # :class: and other options
            continue
        if stack and line.strip() == stack[-1]:
            stack.pop()
            i += 1
            continue
        if TARGET_LINE.match(line.strip()) or COMMENT_LINE.match(line):
            i += 1
            continue
        out.append((quote + line).rstrip() if stack else line)
        i += 1
    return "\n".join(out)


def _py_name(content: str) -> str:
    name = content.strip()
    if name.startswith("~"):
        name = name[1:].rsplit(".", 1)[-1]
    return name


def _role(name: str, content: str, context: Context, glued: list[str]) -> str:
    base = name.split(":")[0]
    if base == "glue":
        key, _, spec = content.partition(":")
        glued.append(key.strip())
        return PLACEHOLDER.format(name=key.strip(), spec=f":{spec}" if spec else "")
    if base == "cite":
        keys = [k.strip() for k in content.split(",") if k.strip()]
        found = [context.citations.get(k, (k, "")) for k in keys]
        if name in ("cite:t", "cite:ts"):
            return "; ".join(f"{who} ({year})" if year else who for who, year in found)
        return "(" + "; ".join(f"{who}, {year}" if year else who for who, year in found) + ")"
    explicit = re.match(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", content.strip(), re.DOTALL)
    if base in ("eq", "math") or name == "math:numref":
        label = explicit.group("target") if explicit else content.strip()
        number = context.equations.get(label)
        if explicit:
            return explicit.group("text")
        return f"({number})" if number else f"equation {label}"
    if base in ("ref", "numref", "doc", "any", "term", "download", "std"):
        if explicit:
            return explicit.group("text")
        target = content.strip()
        return context.targets.get(target, target.replace("-", " "))
    if name in PY_ROLES:
        shown = _py_name(content)
        if name.split(":")[-1] in ("func", "meth"):
            shown += "()"
        return f"`{shown}`"
    return content


def myst_to_markdown(text: str, context: Context) -> tuple[str, list[str]]:
    """One markdown cell's MyST as plain Markdown (with MathJax), and the glued names it shows.

    Admonitions become block quotes, ``$$ (label)`` a ``\\tag`` with the equation's number,
    ``{eq}`` that number, ``{cite}`` "(Author, year)", cross-references their text, Python roles
    code spans, and ``{glue:text}`name:spec``` the placeholder ``{{name:spec}}`` (``glued``)."""
    text = _fences(text)
    text = EQUATION_LABEL.sub(
        lambda m: (f"\\tag{{{context.equations[m.group(1)]}}}\n$$"
                   if m.group(1) in context.equations else "$$"), text)
    glued: list[str] = []
    # roles may nest (a cite inside an admonition title): convert until none is left
    for _ in range(3):
        text, n = ROLE.subn(lambda m: _role(m.group(1), m.group(2), context, glued), text)
        if not n:
            break
    return text, glued


def _split_prose(text: str) -> list[tuple[bool, str]]:
    """A converted cell as runs of blocks: ``(True, text)`` for the paragraphs that carry a glued
    value (they become a prose cell), ``(False, text)`` for the rest (they stay Markdown). Blocks are
    separated by blank lines; a display equation is never split."""
    blocks: list[str] = []
    for chunk in re.split(r"\n[ \t]*\n", text):
        if blocks and blocks[-1].count("$$") % 2:
            blocks[-1] += "\n\n" + chunk
        else:
            blocks.append(chunk)
    runs: list[tuple[bool, str]] = []
    for block in blocks:
        carries = bool(re.search(r"\{\{[A-Za-z_]\w*(:[^{}]*)?\}\}", block))
        if runs and runs[-1][0] == carries:
            runs[-1] = (carries, runs[-1][1] + "\n\n" + block)
        else:
            runs.append((carries, block))
    return [(carries, part.strip("\n")) for carries, part in runs if part.strip()]


def prose_cell_source(text: str) -> str:
    """The code cell that shows a paragraph with glued values (:func:`optimlab.presentation.plotting.prose`)."""
    body = text.replace('\"\"\"', '\\"\\"\\"')
    return ("# This paragraph carries values computed above (the book shows it as text).\n"
            f'prose(r"""\n{body}\n""")')


def sources() -> list[Path]:
    return sorted(SOURCES.glob("[0-9][0-9]_*.py"))


def colab_notebook(source: Path, context: Context | None = None) -> str:
    """The Colab notebook of one Jupytext source, as the exact text written to disk.

    Markdown cells are turned from MyST into plain Markdown (:func:`myst_to_markdown`); a
    paragraph that shows glued values becomes a code cell that displays it with this run's values
    (:func:`prose_cell_source`)."""
    import jupytext
    import nbformat

    notebook = jupytext.read(source)
    if context is None:
        context = book_context()
    if not any(label.startswith(_chapter_number(source) + ".") for label in context.equations.values()):
        _scan(notebook, _chapter_number(source), context)
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            cells.append(cell)
            continue
        text, glued = myst_to_markdown(cell.source, context)
        if not glued:
            cell.source = text
            cells.append(cell)
            continue
        for carries, part in _split_prose(text):
            if carries:
                prose = nbformat.v4.new_code_cell(prose_cell_source(part))
                prose.metadata["tags"] = ["prose"]
                cells.append(prose)
            else:
                cells.append(nbformat.v4.new_markdown_cell(part, metadata=dict(cell.metadata)))
    has_prose = any("prose" in c.metadata.get("tags", []) for c in cells)
    setup = nbformat.v4.new_code_cell(install_cell_source(prose=has_prose))
    setup.metadata["tags"] = ["remove-cell", "colab-setup"]
    cells = [setup] + cells
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
    context = book_context()
    for path, source in expected.items():
        if not path.is_file():
            problems.append(f"{path.relative_to(ROOT)} is missing")
        elif path.read_text() != colab_notebook(source, context):
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
    context = book_context()
    for source in sources():
        text = colab_notebook(source, context)
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
