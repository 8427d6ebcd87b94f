"""Static checks of the chapters (fast, no kernel); nbval runs them (conftest.py)."""

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def toc_files():
    yaml = pytest.importorskip("yaml")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    # chapters at the top level, or grouped in parts (Chapters, Reference)
    chapters = toc.get("chapters", []) + [c for part in toc.get("parts", []) for c in part.get("chapters", [])]
    for chapter in chapters:
        files.append(chapter["file"])
        files.extend(s["file"] for s in chapter.get("sections", []))
    return files


def test_there_are_chapters():
    assert CHAPTERS, "no book/*.ipynb"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_is_in_the_toc(path):
    assert f"book/{path.stem}" in toc_files(), f"add `  - file: book/{path.stem}` to _toc.yml"


def test_toc_entries_exist():
    for entry in toc_files():
        matches = list(ROOT.glob(entry + ".*"))
        assert matches, f"_toc.yml lists {entry}, which does not exist"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_stored_outputs(path):
    """nbval compares against stored outputs: a chapter saved without them cannot pass."""
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    missing = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.execution_count is None]
    assert not missing, f"{path.name}: code cells {missing} have no stored outputs; run `make book-outputs`"
    # Widget state (every explorer frame) belongs in the built HTML, not in git.
    assert "widgets" not in nb.metadata, f"{path.name}: stored widget state; run `make book-outputs`"


def test_nbval_kernel_is_this_python():
    """The chapters run in the interpreter running pytest (.venv under make test)."""
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    spec = NbvalKernelspecManager().get_kernel_spec(CURRENT_ENV_KERNEL_NAME)
    assert spec.argv[0] == sys.executable


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(path):
    """book/STYLE.md: code lines of at most 79 characters (longer ones are cut off on the page)."""
    nb = nbformat.read(path, as_version=4)
    long = [(i, len(line)) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for line in c.source.splitlines() if len(line) > 79]
    assert not long, f"{path.name}: (cell, length) of lines over 79 characters: {long}"
