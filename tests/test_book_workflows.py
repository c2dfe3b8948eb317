"""The GitHub workflows (.github/workflows/*.yml) are valid against GitHub's workflow schema, checked
offline with check-jsonschema's vendored copy, and do what the README says: CI runs `.ci/run`, the
book workflow builds at paper scale with the results cache and deploys to GitHub Pages."""

from __future__ import annotations

import re
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


def _book() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())


def test_book_job_stays_under_the_hosted_six_hour_limit_and_saves_before_it():
    build = _book()["jobs"]["build"]
    assert build["timeout-minutes"] < 360
    step = next(s for s in build["steps"] if "make book" in s.get("run", ""))
    # the build step stops itself with time left for the steps after it
    assert step["timeout-minutes"] <= build["timeout-minutes"] - 20
    after = build["steps"][build["steps"].index(step) + 1:]
    saves = [s for s in after if s.get("uses", "").startswith("actions/cache/save")]
    assert {s["with"]["path"] for s in saves} >= {"results", "executed/paper"}
    assert all(s.get("if") == "always()" for s in saves)
    # each save has a key of its own run, so a failed or timed-out run's save is never refused
    assert all("github.run_id" in s["with"]["key"] and "github.run_attempt" in s["with"]["key"] for s in saves)


def test_book_resumes_from_the_saved_results_and_chapters():
    steps = _book()["jobs"]["build"]["steps"]
    restores = {s["with"]["path"]: s for s in steps if s.get("uses", "").startswith("actions/cache/restore")}
    saves = {s["with"]["path"]: s for s in steps if s.get("uses", "").startswith("actions/cache/save")}
    for path, save in saves.items():
        prefixes = restores[path]["with"]["restore-keys"].split()
        assert any(save["with"]["key"].startswith(prefix) for prefix in prefixes), path
    # restored chapters are touched after the environment exists, or make would rerun them
    names = [s.get("name", "") for s in steps]
    assert names.index("Environment") < names.index("Restore the chapters executed so far") < names.index(
        "Mark the restored chapters as up to date")


def test_book_workflow_caches_pip_downloads():
    steps = _book()["jobs"]["build"]["steps"]
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"].get("cache") == "pip"


def test_a_readme_edit_does_not_rebuild_the_book():
    import fnmatch

    data = _book()
    push = data[True]["push"] if True in data else data["on"]["push"]  # YAML 1.1 reads `on` as True
    patterns = push["paths"]

    def matches(path: str) -> bool:
        return any(fnmatch.fnmatch(path, p.replace("**", "*")) for p in patterns)

    assert not matches("README.md") and not matches("DEVELOPERS.md")
    for path in ("notebooks/13_experiment1_adamix.py", "src/optimlab/presentation/tables.py",
                 "book/_static/optimbook.css", "_toc.yml", "Makefile"):
        assert matches(path), path


def test_readme_says_how_to_switch_pages_on_and_how_long_commands_take():
    readme = (ROOT / "README.md").read_text()
    publishing = readme.split("## Publishing", 1)[1].split("\n## ", 1)[0]
    assert "Settings" in publishing and "Pages" in publishing and "GitHub Actions" in publishing
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    first = re.search(r"```bash\n(.*?)```", quick, re.S).group(1).strip().splitlines()[0]
    assert first.startswith("make test")
    assert "make book SCALE=smoke" in quick and "hours" in quick
