"""Student versions that a student can finish, for every chapter and the course template.

For each notebook, ``lifbook.course.student_version`` makes the student version, which is run
twice in a fresh kernel of this interpreter:

* as generated: the only errors are the stubs' ``NotImplementedError``; every other cell runs
  (no ``NameError`` anywhere: the stubs name what the checks read, the set-up cells stay), and
  every check answers "not answered yet";
* with every stub filled in from its solution (as a student who solved the exercise would):
  no error at all, and every check says "correct".

The student version must not need the book's tools either (no ``glue``, no ``myst_nb``).
"""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "book").glob("[0-9][0-9]-*.ipynb")) + sorted(
    (ROOT / "templates" / "course" / "notebooks").glob("*.ipynb"))


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _execute(nb: dict, cwd: Path) -> list:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from jupyter_client.manager import KernelManager

    class CurrentEnv(KernelManager):  # this interpreter (the project's environment), as nbval does
        def format_kernel_cmd(self, extra_arguments=None):
            return [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file]

    node = nbformat.reads(json.dumps(nb), as_version=4)  # sources as strings
    client = nbclient.NotebookClient(node, kernel_name="python3", timeout=600, allow_errors=True,
                                     record_timing=False, resources={"metadata": {"path": str(cwd)}})
    client.kernel_manager_class = CurrentEnv
    client.execute()
    return node.cells


def _text(cell) -> str:
    return "".join("".join(o.get("data", {}).get("text/plain", o.get("text", ""))) for o in cell.outputs)


def _errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_runs_to_its_stubs_and_runs_through_once_filled(path):
    from lifbook.course import STUB_MARK, solution_cells, strip_glue, student_version

    nb = json.loads(path.read_text(encoding="utf-8"))
    student = student_version(nb)
    code = [c for c in student["cells"] if c["cell_type"] == "code"]
    stubs = [c for c in code if _src(c).startswith(STUB_MARK)]
    assert len(stubs) == student["metadata"]["lifbook"]["stubs"] >= 2
    for c in code:  # the book's tools stay out of the students' notebooks
        assert "myst_nb" not in _src(c) and "glue(" not in _src(c), _src(c)

    # 1. as generated
    cells = _execute(student, path.parent)
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        errors = _errors(cell)
        if cell.source.startswith(STUB_MARK):
            assert [e.ename for e in errors] == ["NotImplementedError"], (i, errors)
        else:
            assert not errors, f"{path.name} cell {i} fails in the student version:\n{cell.source}\n" + \
                "\n".join(f"{e.ename}: {e.evalue}" for e in errors)
        if "check" in cell.metadata.get("tags", []):
            assert "not answered yet" in _text(cell), (i, cell.source, _text(cell))

    # 2. every stub filled in from its solution
    filled = copy.deepcopy(student)
    solutions = iter(solution_cells(nb))
    for cell in filled["cells"]:
        if cell["cell_type"] == "code" and _src(cell).startswith(STUB_MARK):
            cell["source"] = strip_glue(next(solutions))
    assert next(solutions, None) is None
    cells = _execute(filled, path.parent)
    checks = 0
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        errors = _errors(cell)
        assert not errors, f"{path.name} cell {i} fails once filled in:\n{cell.source}\n" + \
            "\n".join(f"{e.ename}: {e.evalue}" for e in errors)
        if "check" in cell.metadata.get("tags", []):
            checks += 1
            assert _text(cell).startswith("correct"), (i, cell.source, _text(cell))
    assert checks >= 1
