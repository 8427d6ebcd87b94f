"""Static checks that keep issue 10's wording and page fixes fixed (fast, no kernel).

Each phrase below was wrong or unclear once; the checks read the chapters' markdown (and, where
named, library docstrings) so that it does not come back.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]-*.ipynb"))


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _markdown(path) -> str:
    return "\n".join(_src(c) for c in _cells(path) if c["cell_type"] == "markdown")


def _book_text() -> str:
    return "\n".join(_markdown(p) for p in CHAPTERS)


@pytest.mark.parametrize("phrase, why", [
    (r"order 1(?![0-9.])", 'reads as O(1): write "first order, O(dt)"'),
    (r"seed code|the seed's", 'readers never learn what it is: "the population API" (chapter 1)'),
    (r"million neurons on a GPU", "unmeasured: say what chapter 6 measures"),
    (r"neuron-type exercise|neuron_type", "the mystery neuron follows neurodynex3's LIF exercise"),
    (r"found exactly these two parts", 'Badel et al. (2008): "well described by"'),
    (r"richer than\s+the LIF", "the ELIF's effective time constant depends on the voltage"),
    (r"Both share their\s+defaults", "the ELIF's t_ref is not neurodynex3's"),
    (r"in the live explorer", "Explore exercises must be solvable with the offline explorer"),
    (r"The step lasts only 80 ms", "the excess over the rheobase is the slider's 0.1 nA spacing"),
    (r"nothing to measure", "the GPU section must read well without a GPU"),
])
def test_phrase_is_gone(phrase, why):
    hits = [m.group(0) for m in re.finditer(phrase, _book_text())]
    assert not hits, f"{hits}: {why}"


def test_exercises_docstring_names_the_lif_exercise():
    from lifbook import exercises

    assert "neuron_type" not in exercises.__doc__
    assert "'Experimentally' estimate" in " ".join(exercises.__doc__.split())


def test_small_numbers_in_prose_use_times_ten_notation():
    """{glue:text}`x:.1e` prints 3.1e-13 in a sentence; glue with sci= prints 3.1 × 10⁻¹³."""
    hits = re.findall(r"\{glue:text\}`[^`]*:\.[0-9]+[eE]`", _book_text())
    assert not hits, hits


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_figure_has_a_caption_a_label_and_alt_text(path):
    """book/STYLE.md: figure cells carry mystnb.figure (caption, name) and mystnb.image.alt."""
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        src = _src(cell)
        image = any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        if not (image or "plt.show()" in src):
            continue
        meta = cell.get("metadata", {}).get("mystnb", {})
        figure, alt = meta.get("figure", {}), meta.get("image", {}).get("alt", "")
        assert figure.get("caption") and figure.get("name", "").startswith("fig-"), (path.name, i)
        assert len(alt.split()) >= 12 and not re.search(r"\.(png|svg)\b", alt), (path.name, i, alt)


def test_figure_names_are_unique_across_the_book():
    names = [c["metadata"]["mystnb"]["figure"]["name"] for p in CHAPTERS for c in _cells(p)
             if c["cell_type"] == "code" and "figure" in c.get("metadata", {}).get("mystnb", {})]
    assert len(names) == len(set(names)) > 20


def test_stored_text_outputs_fit_the_page():
    """Printed tables of at most 90 characters a line (wider ones are cut off on desktop).

    Widget reprs and check feedback (rendered as wrapping markdown) are not printed text."""
    wide = []
    for path in CHAPTERS:
        for i, cell in enumerate(_cells(path)):
            for out in cell.get("outputs", []):
                if out.get("output_type") != "stream":
                    continue
                text = "".join(out["text"]) if isinstance(out["text"], list) else out["text"]
                wide += [(path.name, i, line) for line in text.splitlines() if len(line) > 90]
    assert not wide, wide


def test_strength_duration_exercise_follows_the_exercise_pattern():
    cells = _cells(ROOT / "book" / "02-lif.ipynb")
    text = [(c["cell_type"], c.get("metadata", {}).get("tags", []), _src(c)) for c in cells]
    start = next(i for i, (_, _, s) in enumerate(text) if "{exercise-start} Derive: the strength-duration" in s)
    tags = [t for _, t, _ in text[start + 1:start + 4]]
    assert tags == [["solution"], ["check"], ["check"]]
    assert "check_strength_duration(answer, 2.0)" in text[start + 2][2]
    assert "check_chronaxie(chronaxie)" in text[start + 3][2]
