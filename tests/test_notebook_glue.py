"""lifbook.notebook.glue: myst-nb's glue when it is installed, the same output bundle without it."""
import os
from pathlib import Path

import pytest

from lifbook import notebook

ROOT = Path(__file__).resolve().parents[1]


def test_outside_ipython_glue_does_nothing(capsys):
    assert notebook.glue("x", 1.5) is None
    assert capsys.readouterr() == ("", "")


def test_name_must_be_a_string():
    with pytest.raises(ValueError, match="name: expected a non-empty string"):
        notebook.glue("", 1)
    with pytest.raises(ValueError, match="name: expected a non-empty string"):
        notebook.glue(3, 1)


def test_glue_in_a_kernel_with_and_without_myst_nb(monkeypatch):
    """In a Jupyter kernel, with myst_nb importable and with it blocked (``sys.modules["myst_nb"] = None``,
    as in a kernel where it is not installed), the outputs are identical and myst-nb reads them back."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    glue_ext = pytest.importorskip("myst_nb.ext.glue")
    values = "import numpy as np\nfrom lifbook.notebook import glue\n"
    calls = 'glue("rate", np.float64(12.345))\nglue("hidden", [1, 2], display=False)\nglue("txt", "a <b>")'
    cells = [nbformat.v4.new_code_cell(values),
             nbformat.v4.new_code_cell(calls),
             nbformat.v4.new_code_cell('import sys\nsys.modules["myst_nb"] = None\n'
                                       'try:\n    import myst_nb\nexcept ImportError:\n    print("blocked")'),
             nbformat.v4.new_code_cell(calls)]
    nb = nbformat.v4.new_notebook(cells=cells)
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert nb.cells[2].outputs[0]["text"] == "blocked\n"
    with_myst, without = nb.cells[1].outputs, nb.cells[3].outputs
    assert [o["output_type"] for o in with_myst] == ["display_data"] * 3
    assert with_myst == without
    assert without[0]["metadata"]["scrapbook"] == {"name": "rate", "mime_prefix": ""}
    assert without[1]["data"] == {notebook.GLUE_PREFIX + "text/plain": "[1, 2]"}
    assert without[2]["data"]["text/plain"] == "'a <b>'"
    data = dict(glue_ext.extract_glue_data_cell(nb.cells[3]))  # what the book build reads
    assert set(data) == {"rate", "hidden", "txt"}
    assert data["rate"]["data"]["text/plain"] == "np.float64(12.345)"
    assert data["hidden"]["data"]["text/plain"] == "[1, 2]"


@pytest.mark.parametrize("x, digits, text", [
    (3.1e-13, 1, "3.1 × 10⁻¹³"), (1.2e-10, 0, "1 × 10⁻¹⁰"), (2.5, 1, "2.5"), (-4e5, 2, "-4.00 × 10⁵"),
    (0.0, 1, "0"), (9.96e-3, 1, "1.0 × 10⁻²"), (float("inf"), 1, "∞")])
def test_sci_text_prints_numbers_as_a_textbook_does(x, digits, text):
    assert notebook.sci_text(x, digits) == text


def test_sci_text_bad_digits_and_glue_sci_outside_ipython():
    with pytest.raises(ValueError, match="digits"):
        notebook.sci_text(1.0, -1)
    with pytest.raises(ValueError, match="digits"):
        notebook.sci_text(1.0, 1.5)
    assert notebook.glue("x", 3.1e-13, display=False, sci=1) is None


def test_myst_nb_pastes_a_sci_glue_without_quotes():
    """A glued string's text/plain is its repr; myst-nb's {glue:text} (and lifbook.course) drop the quotes."""
    variables = pytest.importorskip("myst_nb.core.variables")
    from lifbook.course import _fill_glue
    raw = repr(notebook.sci_text(3.1e-13))
    assert variables.format_plain_text(raw, "") == "3.1 × 10⁻¹³"
    assert _fill_glue("error {glue:text}`e` mV", {"e": raw}) == "error 3.1 × 10⁻¹³ mV"
