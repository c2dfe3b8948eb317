"""The library (optimbook) stands apart from the book's machinery (optimlab)."""

import subprocess
import sys

import pytest

PROBE = (
    "import sys, optimbook, optimbook.optim, optimbook.schedules\n"
    "print('\\n'.join(sorted(sys.modules)))\n"
)


def loaded_by(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("package", ["optimlab", "torchvision", "pandas", "matplotlib", "seaborn"])
def test_import_optimbook_loads_nothing_of_the_book(package):
    loaded = loaded_by(PROBE)
    assert "optimbook.optim" in loaded  # the probe ran
    assert not {m for m in loaded if m == package or m.startswith(package + ".")}


def test_the_registry_is_the_library_s_and_loads_on_first_use():
    loaded = loaded_by(PROBE)
    assert "optimbook.testing" not in loaded
    after = loaded_by("import sys, optimbook\noptimbook.testing.REGISTRY\nprint('\\n'.join(sys.modules))")
    assert "optimbook.testing" in after and not any(m.startswith("optimlab") for m in after)


def test_the_probe_would_see_a_book_import():
    # the check above can fail: importing the book's package shows up in the same listing
    assert "optimlab" in loaded_by("import sys, optimlab.runtime\nprint('\\n'.join(sys.modules))")


def import_cycles(*packages: str) -> list[list[str]]:
    """Groups of modules that import one another in a cycle (imports inside functions included)."""
    import grimp

    graph = grimp.build_graph(*packages, cache_dir=None)
    modules = sorted(graph.modules)
    edges = {m: sorted(set(graph.find_modules_directly_imported_by(m)) & set(modules)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for m in modules:
        if m not in index:
            visit(m)
    return cycles


def test_no_module_imports_itself_through_others():
    assert import_cycles("optimbook", "optimlab") == []


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch):
    (tmp_path / "cyc").mkdir()
    (tmp_path / "cyc" / "__init__.py").write_text("")
    (tmp_path / "cyc" / "a.py").write_text("def f():\n    from cyc import b\n")
    (tmp_path / "cyc" / "b.py").write_text("from cyc import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyc") == [["cyc.a", "cyc.b"]]
