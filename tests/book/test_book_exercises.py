"""Exercises in every chapter: four levels, folded solutions, checks that pass, student versions that run.

The instructor notebooks are the chapters; ``python -m lifbook.course student`` writes the
student versions. Checked here, per chapter:

* at least one exercise of each level (Reproduce, Explore, Derive, Build), each with a solution
  folded by default (``:class: dropdown``);
* every ``check`` cell's stored output says "correct" (nbval re-runs the cells and compares, so
  the solutions pass their checks when executed, not just when stored);
* the student version executes: every error comes from a stub (``NotImplementedError``) or from a
  check cell waiting for its answer, and every other cell runs.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]-*.ipynb"))
LEVELS = ("Reproduce", "Explore", "Derive", "Build")


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_has_all_four_levels_with_folded_solutions(chapter):
    md = "\n".join(_src(c) for c in _cells(chapter) if c["cell_type"] == "markdown")
    titles = re.findall(r"^:::\{exercise-start\}\s*(.+)$", md, re.M)
    labels = re.findall(r"^:::\{exercise-start\}.*\n:label:\s*(\S+)", md, re.M)
    assert len(titles) >= 4 and len(labels) == len(titles), titles
    for level in LEVELS:
        assert any(t.startswith(level) for t in titles), f"{chapter.name}: no {level} exercise in {titles}"
    for label in labels:
        m = re.search(r"^:::\{solution-start\}\s*" + re.escape(label) + r"\s*\n((?::[a-z-]+:.*\n)*):::", md, re.M)
        assert m, f"{chapter.name}: exercise {label} has no solution"
        assert ":class: dropdown" in m.group(1), f"{chapter.name}: solution of {label} is not folded"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_stored_check_says_correct(chapter):
    checks = [c for c in _cells(chapter) if c["cell_type"] == "code" and "check" in c["metadata"].get("tags", [])]
    for cell in checks:
        text = "".join("".join(o.get("data", {}).get("text/plain", o.get("text", "")))
                       for o in cell["outputs"])
        assert text.startswith("correct"), f"{chapter.name}: check cell output {text!r}"


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_student_version_runs_up_to_its_stubs(chapter, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from lifbook.course import STUB_MARK, write_student_versions

    (path,) = write_student_versions([chapter], tmp_path)
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["lifbook"]["stubs"] >= 4
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=True,
                                     resources={"metadata": {"path": str(ROOT / "book")}})
    # Run with this interpreter (the project's environment), as nbval does.
    client.kernel_manager_class = _current_env_kernel_manager()
    client.execute()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        tags = set(cell.metadata.get("tags", []))
        if cell.source.startswith(STUB_MARK):
            assert errors and errors[0].ename == "NotImplementedError", (i, errors)
        elif "check" in tags:
            assert not errors or (errors[0].ename == "ValueError" and "no answer yet" in errors[0].evalue) \
                or errors[0].ename == "NameError", (i, cell.source, errors)
        else:
            assert not errors, f"{chapter.name} cell {i} fails in the student version:\n{cell.source}\n{errors}"


def _current_env_kernel_manager():
    from jupyter_client.manager import KernelManager

    class CurrentEnv(KernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            return [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file]

    return CurrentEnv
