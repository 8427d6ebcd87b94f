"""Exercises in every chapter: four levels, folded solutions, checks that pass, student versions that run.

The instructor notebooks are the chapters; ``python -m lifbook.course student`` writes the
student versions. Checked here, per chapter:

* at least one exercise of each level (Reproduce, Explore, Derive, Build), each with a solution
  folded by default (``:class: dropdown``);
* every ``check`` cell's stored output says "correct" (nbval re-runs the cells and compares, so
  the solutions pass their checks when executed, not just when stored);
* the student versions run (``test_student_versions.py``: up to their stubs as generated, and
  through, with every check correct, once the stubs are filled in).
"""
from __future__ import annotations

import json
import re
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
