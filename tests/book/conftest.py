"""Book tests: the chapters under nbval, and the browser checks (test_browser.py).

How the chapters are collected
------------------------------
pytest only walks ``testpaths = ["tests"]`` (pyproject.toml), so it never
sees ``book/``. Instead, ``tests/book/chapters.nbval`` lists glob patterns
(relative to the repository root) of the notebooks to check, and the
``pytest_collect_file`` hook below turns that file into one nbval collector
per notebook. Hence every way of running the tests runs the chapters, with
no ``--nbval`` flag and nothing to remember:

    make test                                   # pytest -n 2 --dist loadfile
    .venv/bin/python -m pytest tests/book -n 2 --dist loadfile
    .venv/bin/python -m pytest tests/book -k 01-welcome     # one chapter

Items are named ``book/01-welcome.ipynb::Cell 3``, so ``--dist loadfile``
keeps each notebook (one kernel) on one xdist worker.
(``pytest --nbval book/x.ipynb`` also works, but is plain nbval: no
sanitizer, and the kernel named in the notebook.)

What is compared
----------------
nbval runs every code cell in a fresh kernel and compares its outputs with
the outputs stored in the .ipynb (``make book-outputs`` stores them). It
never compares images or widget views, so chapters print the numbers that
matter. Before comparing, text outputs are sanitized:

* patterns in ``tests/book/nbval_sanitize.cfg`` (memory addresses, paths, ...);
* every decimal number (``1.5``, ``-3.25e-4``; not integers) is rounded to
  ``FLOAT_SIGNIFICANT_DIGITS`` significant digits, and any ``|x| <
  FLOAT_ZERO_BELOW`` becomes ``0``, so last-digit noise (BLAS, threads,
  CPU) does not fail the comparison. Print a number with fewer digits
  when that is still too strict.

Cells whose output cannot be compared (widgets, timings, random draws
without a seed) start with ``# NBVAL_IGNORE_OUTPUT``: they still have to
run without error.

The kernel is always the Python running pytest (nbval's "current env"
kernel), i.e. ``.venv/bin/python`` under ``make test``, never a system
kernel that happens to be called python3.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SANITIZE_FILE = HERE / "nbval_sanitize.cfg"

FLOAT_SIGNIFICANT_DIGITS = 4
FLOAT_ZERO_BELOW = 1e-10

# A decimal number that is not part of a word, a version string or a
# longer number: 1.5, -0.25, .5, 3., 1e-3, 2.5E+04 (not 7, 3.11.2, x1.5).
FLOAT_RE = (
    r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])"
    r"|(?<![\w.])[-+]?\d+[eE][-+]?\d+(?![\w.])"
)


def round_float(match: re.Match) -> str:
    x = float(match.group())
    if abs(x) < FLOAT_ZERO_BELOW:
        return "0"
    return f"{x:.{FLOAT_SIGNIFICANT_DIGITS}g}"


try:
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, RunningKernel
    from nbval.plugin import IPyNbFile
except ImportError:  # nbval missing: the chapters are reported as skipped
    IPyNbFile = None


if IPyNbFile is not None:

    class ChapterNotebook(IPyNbFile):
        """nbval's notebook collector, with the book's kernel and sanitizer."""

        def setup(self):
            self.kernel = RunningKernel(
                CURRENT_ENV_KERNEL_NAME,  # ipykernel of sys.executable
                cwd=str(self.path.parent),  # book/, as in the book build
                startup_timeout=self.config.option.nbval_kernel_startup_timeout,
            )
            self.setup_sanitize_files()

        def get_sanitize_files(self):
            return [str(SANITIZE_FILE)] + list(super().get_sanitize_files())

        def setup_sanitize_files(self):
            super().setup_sanitize_files()
            # A callable replacement: re.sub() rounds each number.
            self.sanitize_patterns[FLOAT_RE] = round_float


class ChapterList(pytest.File):
    """``chapters.nbval``: glob patterns of the notebooks to run under nbval."""

    def collect(self):
        patterns = [
            line.strip()
            for line in self.path.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        notebooks = sorted({p for pat in patterns for p in ROOT.glob(pat) if p.is_file()})
        if not notebooks:
            raise pytest.UsageError(f"{self.path}: no notebook matches {patterns}")
        if IPyNbFile is None:
            pytest.skip("nbval is not installed: pip install lifbook[test]")
        for nb in notebooks:
            yield ChapterNotebook.from_parent(self, path=nb)


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".nbval" and file_path.parent == HERE:
        return ChapterList.from_parent(parent, path=file_path)
    return None
