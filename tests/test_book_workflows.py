"""The GitHub workflows (.github/workflows/*.yml) are valid against GitHub's workflow schema, checked
offline with check-jsonschema's vendored copy, and do what the README says: CI runs `.ci/run`, the
book workflow builds at paper scale with the results cache and deploys to GitHub Pages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _check_jsonschema() -> list[str]:
    exe = Path(sys.executable).with_name("check-jsonschema")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("check-jsonschema")
    if found:
        return [found]
    pytest.fail("check-jsonschema is missing: it is in the test extra (make env)")


def test_there_are_workflows():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "book.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflow_matches_githubs_schema(workflow):
    result = subprocess.run(
        [*_check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _steps(workflow: str) -> list[dict]:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / workflow).read_text())
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def test_ci_runs_the_ci_script():
    assert any(step.get("run", "").strip() == "bash .ci/run" for step in _steps("ci.yml"))
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_book_workflow_builds_at_paper_scale_with_cache_and_deploys():
    steps = _steps("book.yml")
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "make book SCALE=paper" in runs
    assert "actions/cache/restore" in uses and "actions/cache/save" in uses
    assert any(step.get("with", {}).get("path") == "results" for step in steps if "cache" in step.get("uses", ""))
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    data = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    assert "vars.GPU_RUNNER" in data["jobs"]["build"]["runs-on"]
