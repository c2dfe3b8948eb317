"""Execute one Jupytext notebook with papermill: ``notebooks/X.py`` -> an executed ``.ipynb``.

    python tools/execute_notebook.py notebooks/01_gradient_descent.py executed/smoke/01_gradient_descent.ipynb --scale smoke

The source is read with jupytext (papermill cannot read ``.py``), executed with papermill in
``notebooks/`` with the parameters ``scale`` and ``device`` injected, and written atomically: the
output appears only when every cell ran, so ``make`` never takes a failed run for a finished one.
A failing cell stops with a message naming the notebook, the cell and its line in the source.

Every run in the chapter's kernel (and in the processes it starts) records its floating-point work
with :mod:`optimlab.training.work`, into a log this script names in ``$OPTIMLAB_WORK_LOG``; the
executed notebook keeps the chapter's record in its metadata (``metadata.optimlab.work``), beside
papermill's ``duration``: :mod:`optimlab.cost.ledger` sums them per chapter.

The executed notebook is then prepared for the book (:func:`prepare_for_book`), one rule for every
chapter: the ``parameters`` cell and papermill's injected cell are removed from the page, so are
cells that only glue numbers for the prose (code cells whose only outputs are glue records), and
top-level ``glue(...)`` statements are dropped from the source the page shows (the Colab notebook
keeps them); a markdown cell tagged ``caption`` becomes the caption of the figure of the code cell
just before it (its ``alt`` metadata, else the figure's own description, the alt text); and at smoke
scale a banner under the title says that the numbers are not the paper's.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class NotebookFailed(RuntimeError):
    """A cell of a notebook raised; the message names the notebook, the cell and the error."""


def _source_line(source: Path, cell_source: str) -> int | None:
    """Line in the ``.py`` where a cell's first non-blank line appears (None if not found)."""
    first = next((ln.strip() for ln in cell_source.splitlines() if ln.strip()), None)
    if first is None:
        return None
    for number, line in enumerate(source.read_text().splitlines(), start=1):
        if line.strip() == first:
            return number
    return None


SMOKE_BANNER = """
:::{admonition} Built at smoke scale: numbers are not the paper's
:class: warning smoke-banner
This page was executed with `scale="smoke"`: small data and few iterations, so the figures and the
numbers in the text are a quick check of the code, not the results the prose discusses. Build with
`make book` (paper scale) for those.
:::
"""

#: Tags that remove a cell from the page (myst-nb's rule).
REMOVE = "remove-cell"


def _tags(cell) -> list:
    return cell.setdefault("metadata", {}).setdefault("tags", [])


def _tag(cell, tag: str) -> None:
    tags = _tags(cell)
    if tag not in tags:
        tags.append(tag)


def _is_glue_call(node) -> bool:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        return name in ("glue", "glue_all")  # glue_all: a harness's values for the prose
    return False


def _glue_only(statements) -> tuple[bool, bool]:
    """(only glue calls, assignments and loops or branches of them; at least one glue call)."""
    ok, glued = True, False
    for node in statements:
        if _is_glue_call(node):
            glued = True
        elif isinstance(node, (ast.For, ast.If)):
            inner_ok, inner_glued = _glue_only(node.body + node.orelse)
            ok, glued = ok and inner_ok, glued or inner_glued
        elif not isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            ok = False
    return ok, glued


def _is_glue_statement(node) -> bool:
    """A glue call, or a loop or branch that only computes values for glue and glues them."""
    if _is_glue_call(node):
        return True
    if isinstance(node, (ast.For, ast.If)):
        ok, glued = _glue_only([node])
        return ok and glued
    return False


def strip_glue(source: str) -> str:
    """``source`` without its top-level ``glue(...)`` statements (and loops of nothing else)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    drop = set()
    for node in tree.body:
        if _is_glue_statement(node):
            drop.update(range(node.lineno - 1, node.end_lineno))
    if not drop:
        return source
    lines = [line for i, line in enumerate(source.splitlines()) if i not in drop]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip("\n")


def _visible_outputs(cell) -> list:
    """Outputs a reader sees: everything but glue records (display=False glue)."""
    return [
        out
        for out in cell.get("outputs", [])
        if "scrapbook" not in out.get("metadata", {})
    ]


def _images(cell) -> list:
    return [out for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]


def _markdown_text(cell) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def prepare_for_book(notebook: dict, *, scale: str) -> list[str]:
    """Apply the book's page rules to an executed notebook (in place); return the problems found
    (a caption cell that does not follow a code cell showing exactly one figure)."""
    problems = []
    cells = notebook["cells"]
    for index, cell in enumerate(cells):
        tags = _tags(cell)
        if cell["cell_type"] == "code":
            source = _markdown_text(cell)
            if "parameters" in tags or "injected-parameters" in tags or "setup" in tags:
                _tag(cell, REMOVE)  # plumbing: the parameters, papermill's cell, the one setup call
                continue
            if "glue(" in source or "glue_all(" in source:
                if not _visible_outputs(cell):
                    _tag(cell, REMOVE)
                    continue
                shown = strip_glue(source)
                if not shown.strip():
                    _tag(cell, "remove-input")
                cell["source"] = shown
            images = _images(cell)
            for out in images:
                alt = out.get("metadata", {}).get("alt")
                if alt and len(images) == 1:
                    mystnb = cell["metadata"].setdefault("mystnb", {})
                    mystnb.setdefault("image", {}).setdefault("alt", alt)
        elif cell["cell_type"] == "markdown" and "caption" in tags:
            previous = cells[index - 1] if index else None
            if previous is None or previous["cell_type"] != "code":
                problems.append(f"caption cell {index} does not follow a code cell")
                continue
            others = [o for o in _visible_outputs(previous) if o["output_type"] in ("display_data", "execute_result") and "image/png" not in o.get("data", {})]
            if len(_images(previous)) != 1 or others:
                problems.append(
                    f"caption cell {index}: the code cell before it must show exactly one figure "
                    f"and no other display output (it shows {len(_images(previous))} figure(s) and "
                    f"{len(others)} other output(s))"
                )
                continue
            caption = " ".join(_markdown_text(cell).split())
            mystnb = previous["metadata"].setdefault("mystnb", {})
            mystnb["figure"] = {"caption": caption}
            if cell["metadata"].get("alt"):
                mystnb.setdefault("image", {})["alt"] = cell["metadata"]["alt"]
            _tag(cell, REMOVE)
    if scale == "smoke":
        for cell in cells:
            if cell["cell_type"] == "markdown" and REMOVE not in _tags(cell):
                text = _markdown_text(cell)
                lines = text.split("\n")
                if lines and lines[0].startswith("# "):
                    cell["source"] = "\n".join([lines[0], SMOKE_BANNER] + lines[1:])
                break
    return problems


def execute(
    source: Path,
    output: Path,
    *,
    scale: str,
    device: str = "auto",
    timeout: int | None = None,
    extra: dict | None = None,
) -> float:
    """Execute ``source`` into ``output``; return the wall time in seconds."""
    import jupytext
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source = Path(source).resolve()
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    partial = output.with_name(f".{output.stem}.partial.ipynb")
    log = output.with_name(f".{output.stem}.work.jsonl")  # the chapter's work (optimlab.training.work)
    log.unlink(missing_ok=True)
    parameters = {"scale": scale, "device": device, **(extra or {})}
    # The kernel runs this interpreter (jupyter_client maps "python" to sys.executable); make the
    # package importable from a source checkout even without installation.
    env_path = str(ROOT / "src")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [env_path] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    if env_path not in sys.path:  # this process reads the log with the package of the checkout
        sys.path.insert(0, env_path)
    from optimlab.training import work

    previous_log = os.environ.get(work.ENV)
    os.environ[work.ENV] = str(log)
    tic = time.perf_counter()
    try:
        papermill.execute_notebook(
            notebook,
            str(partial),
            parameters=parameters,
            cwd=str(source.parent),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
        )
    except PapermillExecutionError as err:
        rel = source.relative_to(ROOT) if source.is_relative_to(ROOT) else source
        line = _source_line(source, err.source)
        where = f"{rel}:{line}" if line else str(rel)
        raise NotebookFailed(
            f"notebook {rel} failed in cell {err.cell_index} (In [{err.exec_count}], {where}):\n"
            f"{err.ename}: {err.evalue}\n--- cell source ---\n{err.source}\n"
            f"(the partly executed notebook is {partial})"
        ) from None
    finally:
        if previous_log is None:
            os.environ.pop(work.ENV, None)
        else:
            os.environ[work.ENV] = previous_log
    seconds = time.perf_counter() - tic
    executed = json.loads(partial.read_text())
    executed.setdefault("metadata", {}).setdefault("optimlab", {})["work"] = work.summarize(work.read_log(log))
    log.unlink(missing_ok=True)
    problems = prepare_for_book(executed, scale=scale)
    if problems:
        rel = source.relative_to(ROOT) if source.is_relative_to(ROOT) else source
        raise NotebookFailed(f"notebook {rel}: " + "; ".join(problems))
    partial.write_text(json.dumps(executed, indent=1, ensure_ascii=False) + "\n")
    os.replace(partial, output)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--scale", choices=("smoke", "paper"), default="smoke")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds")
    args = parser.parse_args(argv)
    try:
        seconds = execute(
            args.source, args.output, scale=args.scale, device=args.device, timeout=args.timeout
        )
    except NotebookFailed as err:
        print(f"\nFAILED: {err}", file=sys.stderr)
        return 1
    print(f"executed {args.source} at scale={args.scale} in {seconds:.1f} s -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
