"""No typed measured number in the chapters' prose: numbers a run produces are glued.

The test scans the markdown cells of the Jupytext sources for digits outside math ($...$, $$...$$,
{math}), glue roles and directives, citations and cross-references, inline code, and the
allow-lists below: references to chapters, figures, equations and sections, the methods' constants
and the published values of the sources (which no run of ours can contradict). A new digit fails
with the chapter, the line and the number, so that it gets glued (or, when it is a constant of a
method, added to ALLOWED with a reason).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))

#: Chapters whose prose is not yet clean (owned elsewhere). Tell the lead when one passes.
TODO: set[str] = set()

#: Patterns removed before looking for digits: markup that holds numbers but is not prose.
MARKUP = [
    r"\$\$.*?\$\$(?:\s*\([\w-]+\))?",  # display math and its label
    r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}",  # amsmath environments
    r"\$[^$\n]+\$",  # inline math
    r"\{(?:math|glue:text|glue:md|glue:any|glue|cite|cite:p|cite:t|numref|ref|eq|doc|func|class|meth|mod|attr|data)\}`[^`]*`",
    r"`[^`\n]*`",  # inline code
    r"^\s*:::?\{[^}]*\}.*$",  # directive lines
    r"^\s*:[a-z_-]+:.*$",  # directive options
    r"\([a-z]+[-_][\w-]*\)=",  # MyST targets
    r"https?://\S+",
]

#: References and names that contain digits but are not measurements.
REFERENCES = [
    r"(?:\b(?:[Cc]hapters?|[Ff]igs?\.|[Ff]igures?|[Ee]qs?\.|[Ee]quations?|[Tt]ables?|[Ee]xp\.|"
    r"[Ee]xperiments?|[Ss]ections?|[Pp]arts?|[Aa]lgorithms?|[Ll]emmas?|[Tt]heorems?|[Ss]ources?|"
    r"[Pp]age|[Pp]p\.)|§)\s*\(?\d+(?:\.\d+)*\)?(?:\s*(?:-|–|,|and|or|to)\s*\(?\d+(?:\.\d+)*\)?)*",
    r"\b\d+/\d+\b",  # fractions of the data set (1/10 of MNIST)
    r"\b\d{4}[a-z]?\b(?=[)\],;.]|\s)",  # years (2016, 2018b)
    r"\b(?:MNIST|CIFAR-?\d+|float(?:32|64)|int(?:32|64)|L[12]|CD-\d+|Python\s*\d[\d.]*|torch\s*\d[\d.]*)",
    r"\b\d+(?:-\d+){2,}\b",  # architectures: 784-1000-500-250-30
    r"\b(?:1st|2nd|3rd|\d+th)\b",  # ordinals
    r"\b[A-Za-z]+\d+\b",  # identifiers such as fig4, β1, x0
    r"\d+\s*[×x]\s*\d+\s*(?:pixels|images)",
]

#: Constants of the methods and of the sources' setups, per chapter: values the prose states as
#: definitions (hyper-parameters, published settings and published results), never measurements.
#: Key "*" applies to every chapter.
ALLOWED: dict[str, set[str]] = {
    "*": {"0", "1", "2", "10"},
    # batch sizes of the regimes
    "01_gradient_descent": {"32", "100"},
    # the bowl's rotation, the fixed step counts of the demonstrations
    "02_momentum_nesterov": {"25", "30", "60"},
    # the rotation, a percentile band, the 0.1 % between ξ = 0.999 and 1
    "03_adagrad_adadec": {"30", "80", "0.1"},
    # the masked steps of the demonstration, Adadelta's default rate
    "04_rmsprop_adadelta": {"30", "1.0"},
    # fixed step counts of the demonstrations
    "05_adam_family": {"3", "300", "500"},
    # defaults and held-out sizes, the forgetting rates shown
    "06_angd": {"0.01", "0.05", "0.002", "2 000", "10 000"},
    # the autoencoder's layer sizes, the paper's batch and rates, a percentile band, the paper's iterations
    "07_adamix": {"3", "30", "50", "90", "0.1", "100", "250", "500", "784", "1000", "0.001"},
    # the survey's figure settings and the demonstrations' step counts
    "09_step_decays": {"40", "0.5", "200", "500"},
    # TensorFlow's arguments and the demonstrations' step counts
    "10_smooth_decays": {"4", "5", "30", "50", "51", "70", "0.0", "0.1", "0.2", "0.5", "1.0",
        "101", "150", "151", "200", "0.01", "0.55", "0.001", "20 000"},
    # the arguments of the demonstrations
    "11_warmup_plateau_manual": {"3", "4", "0.3", "0.5", "1.05"},
    # the paper's and Hinton and Salakhutdinov's settings and published errors
    "12_autoencoder_and_data": {"30", "50", "0.1", "0.5", "0.9", "100", "200", "250", "255",
        "784", "3.00", "3.56", "0.001", "1 000", "51.40", "6 000"},
    # the paper's published errors, times, ratios and its iterations
    "13_experiment1_adamix": {"5", "50", "1.1", "1.2", "7.82", "8.22", "8.47", "693.54", "752.56",
        "810.20", "833.79"},
    # the paper's published errors
    "14_experiment2_weights_and_biases": {"50", "784", "8.37", "9.09", "51.40"},
    # the paper's published errors
    "15_experiment3_weight_rules": {"7.88", "8.10", "8.28", "8.37", "8.38", "8.67"},
    # the paper's published errors
    "16_experiment4_bias_rules": {"8.31", "8.54"},
    # the paper's data sizes and published errors
    "17_experiment5_data_size": {"50", "3.56", "4.06", "5.06", "7.81", "1 000", "6 000", "10 000",
        "18 000", "36 000", "60 000"},
}


def markdown_cells(source: Path):
    """(first line number, text) of each markdown cell of a Jupytext percent source."""
    lines = source.read_text().splitlines()
    cells, current, start = [], None, 0
    for number, line in enumerate(lines, start=1):
        if line.startswith("# %%"):
            if current is not None:
                cells.append((start, "\n".join(current)))
            current = [] if "[markdown]" in line else None
            start = number + 1
        elif current is not None:
            current.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    if current is not None:
        cells.append((start, "\n".join(current)))
    return cells


def typed_numbers(source: Path) -> list[tuple[int, str, str]]:
    """(line, number, context) of every digit run left in the prose."""
    allowed = ALLOWED["*"] | ALLOWED.get(source.stem, set())
    found = []
    for start, text in markdown_cells(source):
        clean = text
        for pattern in MARKUP + REFERENCES:
            clean = re.sub(pattern, lambda m: re.sub(r"[^\n]", " ", m.group(0)), clean, flags=re.S | re.M)
        for m in re.finditer(r"(?<![\w.])[-+−±]?\d(?:\d|\.(?=\d)|\s(?=\d{3}\b))*(?:\s?%)?", clean):
            number = m.group(0).strip().rstrip(".,")
            bare = number.lstrip("+-−±").rstrip("% ").strip()
            if bare in allowed:
                continue
            line = start + clean[: m.start()].count("\n")
            context = text.splitlines()[clean[: m.start()].count("\n")].strip()
            found.append((line, number, context))
    return found


CHECKED = [p for p in NOTEBOOKS if p.stem not in TODO]


@pytest.mark.parametrize("source", CHECKED, ids=[p.stem for p in CHECKED])
def test_no_typed_numbers_in_prose(source):
    found = typed_numbers(source)
    report = "\n".join(f"  {source.name}:{line}: {number!r} in: {context}" for line, number, context in found)
    assert not found, f"typed numbers in the prose (glue them, or allow-list a constant):\n{report}"


def test_todo_chapters_exist():
    assert TODO <= {p.stem for p in NOTEBOOKS}
