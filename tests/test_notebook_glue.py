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
