"""Execute one Jupytext notebook with papermill: ``notebooks/X.py`` -> an executed ``.ipynb``.

    python tools/execute_notebook.py notebooks/01_gradient_descent.py executed/smoke/01_gradient_descent.ipynb --scale smoke

The source is read with jupytext (papermill cannot read ``.py``), executed with papermill in
``notebooks/`` with the parameters ``scale`` and ``device`` injected, and written atomically: the
output appears only when every cell ran, so ``make`` never takes a failed run for a finished one.
A failing cell stops with a message naming the notebook, the cell and its line in the source.
"""

from __future__ import annotations

import argparse
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
    parameters = {"scale": scale, "device": device, **(extra or {})}
    # The kernel runs this interpreter (jupyter_client maps "python" to sys.executable); make the
    # package importable from a source checkout even without installation.
    env_path = str(ROOT / "src")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [env_path] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
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
    os.replace(partial, output)
    return time.perf_counter() - tic


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
