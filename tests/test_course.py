"""The student-version generator on small synthetic notebooks."""
import json

import pytest

from lifbook.course import STUB_MARK, main, solution_cells, strip_glue, student_version


def _nb(*cells):
    out = []
    for kind, src, *tags in cells:
        cell = {"cell_type": kind, "metadata": {"tags": list(tags)} if tags else {}, "source": src}
        if kind == "code":
            cell.update(outputs=[{"output_type": "stream", "name": "stdout", "text": "42\n"}], execution_count=1)
        out.append(cell)
    return {"cells": out, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


EXERCISE = (":::{exercise-start} Derive: a number\n:label: ex-n\n:::\nCompute it; store it in `answer`.\n"
            ":::{exercise-end}\n:::\n\n:::{solution-start} ex-n\n:class: dropdown\n:::\nThe secret reasoning.")


def test_solutions_become_stubs_checks_stay_and_solution_text_goes():
    nb = _nb(("code", "x = 1\nprint(x)"),
             ("markdown", EXERCISE),
             ("code", "answer = 6 * 7\nprint(answer)", "solution"),
             ("code", "check(answer)", "check"),
             ("markdown", "More secret text.\n:::{solution-end}\n:::\n\nAfter the exercise."),
             ("code", "print('after')"))
    s = student_version(nb)
    cells = s["cells"]
    text = json.dumps(s)
    assert "secret" not in text and "6 * 7" not in text
    assert "### Exercise: Derive: a number" in "".join(cells[1]["source"]) and "{exercise-start}" not in text
    stub = cells[2]
    assert stub["source"].startswith(STUB_MARK) and "answer = ..." in stub["source"]
    assert "raise NotImplementedError" in stub["source"] and "ex-n" in stub["source"]
    assert stub["outputs"] == [] and "stub" in stub["metadata"]["tags"]
    assert cells[3]["source"] == "check(answer)" and cells[3]["outputs"] == []
    assert cells[4]["source"].strip() == "After the exercise."
    assert cells[0]["outputs"] and cells[5]["outputs"]  # untouched outside the solutions
    assert s["metadata"]["lifbook"] == {"version": "student", "stubs": 1}
    assert nb["cells"][2]["source"] == "answer = 6 * 7\nprint(answer)"  # input not modified


def test_stub_without_answer_and_glue_values():
    nb = _nb(("code", "glue('r', 2.0)"),
             ("markdown", "The rate is {glue:text}`r:.1f` Hz.\n\n" + EXERCISE),
             ("code", "print(3)", "solution"),
             ("markdown", ":::{solution-end}\n:::"))
    nb["cells"][0]["outputs"] = [{"output_type": "display_data", "metadata": {"scrapbook": {
        "name": "r", "mime_prefix": "application/papermill.record/"}},
        "data": {"application/papermill.record/text/plain": "2.0"}}]
    s = student_version(nb)
    assert "The rate is 2.0 Hz." in s["cells"][1]["source"]
    assert "answer" not in s["cells"][2]["source"].split("\n", 1)[1].split("raise")[0]


SOLUTION = ":::{solution-start} ex-n\n:class: dropdown\n:::"
END = ":::{solution-end}\n:::"


def test_stubs_name_every_variable_the_check_reads():
    nb = _nb(("code", "from lifbook import theory\nI = 0.2"),
             ("markdown", EXERCISE.split(":::{solution-start}")[0] + SOLUTION),
             ("code", "us, uu = theory.eif_fixed_points(I)\nscratch = 3", "solution"),
             ("code", "u_stable, u_unstable = us, uu\nprint(scratch)", "solution"),
             ("code", "from lifbook.exercises import check_fixed_points\n\n"
                      "check_fixed_points(u_stable, u_unstable, I)", "check"),
             ("markdown", END))
    s = student_version(nb)
    stubs = [c["source"] for c in s["cells"] if c["source"].startswith(STUB_MARK)]
    assert len(stubs) == 2
    assert "= ..." not in stubs[0]  # the first cell assigns nothing the check reads
    assert "u_stable = ...\nu_unstable = ...\nraise NotImplementedError" in stubs[1]
    assert "I = ..." not in "".join(stubs)  # defined before the exercise: kept, not stubbed
    assert solution_cells(nb) == [nb["cells"][2]["source"], nb["cells"][3]["source"]]


def test_a_check_on_an_object_only_the_solution_defines_is_refused():
    nb = _nb(("markdown", EXERCISE.split(":::{solution-start}")[0] + SOLUTION),
             ("code", "neuron = MysteryNeuron(1)\nhi = 1.3", "solution"),
             ("code", "neuron.check(rheobase=hi)", "check"),
             ("markdown", END))
    with pytest.raises(ValueError, match="check cell 2 uses neuron, which only the solution defines"):
        student_version(nb)


def test_glue_plumbing_is_dropped_from_kept_cells():
    nb = _nb(("code", "import numpy as np\nfrom myst_nb import glue\n\nx = 2.0\nglue('x', x, display=False)\n"
                      "for k in range(2):\n    glue(f'k{k}', k, display=False)\nprint(x)"),
             ("code", "from lifbook.book import glue as g, Figure\ng('y', 1.0, display=False)\n"
                      "lifbook.glue('z', 2, display=False)"),
             ("code", "glue('only', 1.0, display=False)"),
             ("code", "glue('shown', x * 2)"))
    s = student_version(nb)
    code = [c["source"] for c in s["cells"]]
    assert code[0] == "import numpy as np\n\nx = 2.0\nprint(x)"
    assert code[1] == "from lifbook.book import Figure"
    assert code[2] == "display(x * 2)" and len(code) == 3  # the glue-only cell is gone
    assert strip_glue("y = 2; glue('d', y, display=False)\n") == "y = 2; pass\n"
    assert strip_glue("if x:\n    glue('a', 1, display=False)\nelse:\n    print(1)\n") == \
        "if x:\n    pass\nelse:\n    print(1)\n"
    assert strip_glue("%%time\nglue('a', 1)\n") == "%%time\nglue('a', 1)\n"  # cell magic: untouched


def test_displayed_glue_values_fill_the_text_too():
    nb = _nb(("code", "from lifbook.notebook import glue\nglue('f', 12.5)"), ("markdown", "f = {glue:text}`f:.0f` Hz"))
    nb["cells"][0]["outputs"] = [{"output_type": "display_data", "data": {"text/plain": "12.5"},
                                  "metadata": {"scrapbook": {"name": "f", "mime_prefix": ""}}}]
    s = student_version(nb)
    assert s["cells"][0]["source"] == "display(12.5)" and s["cells"][1]["source"] == "f = 12 Hz\n"


def test_unclosed_solution_is_an_error():
    with pytest.raises(ValueError, match="no matching solution-end"):
        student_version(_nb(("markdown", EXERCISE), ("code", "x = 1", "solution")))


def test_command_line(tmp_path, capsys):
    src = tmp_path / "ch.ipynb"
    src.write_text(json.dumps(_nb(("markdown", EXERCISE), ("code", "answer = 1", "solution"),
                                  ("markdown", ":::{solution-end}\n:::"))))
    assert main(["student", str(src), "--out", str(tmp_path / "student")]) == 0
    assert "1 stubs" in capsys.readouterr().out
    assert (tmp_path / "student" / "ch.ipynb").exists()
    with pytest.raises(ValueError, match="refusing to overwrite"):
        main(["student", str(src), "--out", str(tmp_path)])


# -- the course template ---------------------------------------------------------------------------
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "course"


@pytest.mark.slow
def test_course_template_notebooks_pass_their_own_check_against_this_lifbook():
    # Exactly what the template's CI runs (python -m pytest in the template), with this
    # environment's lifbook installed.
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=TEMPLATE, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


def test_course_template_workflow_runs_the_same_check():
    yaml = pytest.importorskip("yaml")
    wf = yaml.safe_load((TEMPLATE / ".github" / "workflows" / "validate-notebooks.yml").read_text())
    steps = wf["jobs"]["nbval"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any(r.strip() == "python -m pytest" for r in runs)
    assert any("LIFBOOK_SOURCE" in r and "requirements.txt" in r for r in runs)
    assert any(s.get("uses", "").startswith("actions/checkout") for s in steps)
    ini = (TEMPLATE / "pytest.ini").read_text()
    assert "--nbval" in ini and "--nbval-sanitize-with sanitize.cfg" in ini


def test_course_template_notebook_has_outputs_and_a_student_version():
    path = TEMPLATE / "notebooks" / "week-01-rheobase.ipynb"
    nb = json.loads(path.read_text())
    assert all(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    s = student_version(nb)
    assert s["metadata"]["lifbook"]["stubs"] == 2
    assert all(c["outputs"] == [] for c in s["cells"] if "check" in c["metadata"].get("tags", []))
    code = ["".join(c["source"]) for c in s["cells"] if c["cell_type"] == "code"]
    # the exercise's set-up (the student's own mystery neuron) stays; the bisection does not
    assert any("neuron = MysteryNeuron(seed=" in c for c in code)
    assert "mid = 0.5" not in json.dumps(s) and "(p.u_th - p.u_rest) / p.R" not in json.dumps(s)
    stubs = [c for c in code if c.startswith(STUB_MARK)]
    assert all("answer = ..." in c for c in stubs)
    assert "### Exercise: Build: your mystery neuron" in json.dumps(s)


def test_template_readme_describes_the_exercise_pattern_it_uses():
    text = (TEMPLATE / "README.md").read_text()
    assert "exercise-start" in text and "solution-start" in text and "`check`" in text
    assert "python -m lifbook.course student notebooks/*.ipynb --out student/" in text
