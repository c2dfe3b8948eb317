"""A results cache keyed by the full configuration and the code version, written atomically.

Every run of an experiment is stored as one small file under ``results/`` (``$OPTIMBOOK_RESULTS``
when set), named by the SHA-256 of a JSON description of the run: its configuration and the
*code version*, a hash of the abstract syntax trees (docstrings and comments stripped) of the modules
that compute it. Re-running the book therefore recomputes exactly the runs whose configuration or
code changed; editing prose or docstrings invalidates nothing. Files are written to a temporary name
in the same folder and renamed, so a killed run never leaves a half-written entry (and the next write
removes the partial file it may leave); an entry damaged on disk is detected when loaded with
:func:`~optimlab.storage.load_json` or :func:`~optimlab.storage.load_torch`, moved aside to
``<name>.corrupt`` with a warning naming it, and recomputed by the caller.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from optimlab.storage import (
    CorruptFileWarning,
    atomic_torch_save,
    atomic_write_bytes,
    atomic_write_text,
    clean_partial,
    load_json,
    load_torch,
)

__all__ = [
    "CorruptFileWarning",
    "atomic_torch_save",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_writable",
    "clean_partial",
    "code_version",
    "key_digest",
    "load_json",
    "load_torch",
    "results_root",
]


def results_root() -> Path:
    """``$OPTIMBOOK_RESULTS`` if set, else ``results/`` in the source checkout (or the cwd)."""
    env = os.environ.get("OPTIMBOOK_RESULTS")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    checkout = here.parents[3]
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "optimlab").is_dir():
        return checkout / "results"
    return Path.cwd() / "results"


def check_writable(folder: str | os.PathLike) -> Path:
    """Create ``folder`` if needed and check that files can be written there; return it.

    Raises:
        PermissionError: (an ``OSError``) the folder cannot be created or written; the message
            names it.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / ".write-check", b"")
        (folder / ".write-check").unlink()
    except OSError as err:
        raise PermissionError(
            f"results folder {folder} is not writable ({err.strerror or err}); set"
            " OPTIMBOOK_RESULTS to a writable folder"
        ) from err
    return folder


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


@functools.lru_cache(maxsize=None)
def _module_digest(name: str) -> str:
    module = importlib.import_module(name)
    paths = [Path(module.__file__)]
    if paths[0].name == "__init__.py":  # a package: every module in it
        paths = sorted(paths[0].parent.rglob("*.py"))
    digest = hashlib.sha256()
    for path in paths:
        tree = _strip_docstrings(ast.parse(path.read_text()))
        digest.update(path.name.encode())
        digest.update(ast.dump(tree, include_attributes=False).encode())
    return digest.hexdigest()


def code_version(modules: Iterable[str]) -> str:
    """A hash of the code of ``modules`` (package names include all their modules)."""
    digest = hashlib.sha256()
    for name in sorted(set(modules)):
        digest.update(name.encode())
        digest.update(_module_digest(name).encode())
    return digest.hexdigest()[:16]


def key_digest(key: dict[str, Any]) -> str:
    """The file stem of a cache entry: SHA-256 of the canonical JSON of ``key``."""
    text = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]
