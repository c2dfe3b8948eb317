"""environment.yml (conda) lists the same packages, with the same bounds, as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's
CONDA_NAMES = {"torch": "pytorch"}


def _split(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    assert m, spec
    name = m.group(1).lower().replace("_", "-")
    constraint = m.group(2).replace(" ", "")
    return name, constraint


def pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(meta["dependencies"])
    for extra in ("book", "test"):
        specs += meta["optional-dependencies"][extra]
    out = {}
    for spec in specs:
        name, constraint = _split(spec)
        out[CONDA_NAMES.get(name, name)] = constraint
    return out


def conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # the pip: section installs the package itself
            assert dep == {"pip": ["-e ."]}, dep
            continue
        name, constraint = _split(dep)
        if name in {"python", "pip"}:
            continue
        out[name] = constraint
    return out


def test_environment_yml_agrees_with_pyproject():
    assert conda_requirements() == pyproject_requirements()


def test_core_dependency_is_torch_only():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert [_split(s)[0] for s in meta["dependencies"]] == ["torch"]


def test_python_floor_agrees():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert _split(python)[1] == meta["requires-python"]
