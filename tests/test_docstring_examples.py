"""The Examples in the docstrings (shown in the book's API reference) run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["lifbook", "lifbook.population", "lifbook.params", "lifbook.record", "lifbook.inputs",
           "lifbook.theory.lif", "lifbook.theory.eif", "lifbook.theory.noise", "lifbook.theory.mean_field",
           "lifbook.analysis", "lifbook.plot"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    mod = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(mod, name) if t.examples]
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {name} failed (see the output above)"
    if name != "lifbook":
        assert result.attempted > 0, f"{name}: no docstring examples"
