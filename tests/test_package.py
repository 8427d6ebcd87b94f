import ast
import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import lifbook


def test_import_lifbook_loads_neither_torch_nor_matplotlib():
    code = ("import sys, lifbook; from lifbook import CLIFPopulation, ELIFPopulation; "
            "CLIFPopulation(n=3).forward([1, 2, 3]); "
            "print(sorted(m for m in ('torch', 'matplotlib', 'ipywidgets', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_public_names_and_lazy_modules():
    for name in ("CLIFPopulation", "ELIFPopulation", "CLIFParams", "ELIFParams", "Record"):
        assert hasattr(lifbook, name)
    assert lifbook.theory.lif_rheobase() == pytest.approx(2.0)
    assert callable(lifbook.inputs.step)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lifbook.nope  # noqa: B018


def test_old_import_paths_of_moved_names_still_work():
    """theory.py became the package lifbook.theory (lif, eif, noise, mean_field); the network theory and
    white_noise moved: every old path gives the same object, without a warning."""
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from lifbook import analysis, inputs, theory
        from lifbook.network import theory as network_theory
        from lifbook.theory import lif_rate  # noqa: F401  (the old form of import)
    expected = {"lif_subthreshold", "lif_rheobase", "lif_time_to_threshold", "lif_rate", "lif_rate_on_grid",
                "eif_rheobase", "eif_du_dt", "lif_du_dt", "eif_fixed_points", "eif_time_to_threshold", "eif_rate",
                "eif_bistable_range", "lif_strength_duration", "lif_chronaxie", "lif_spike_times",
                "lif_trajectory", "eif_subthreshold", "lif_current_for_rate", "lif_syn_step_response",
                "lif_psp_peak_time", "conductance_steady_state", "conductance_time_constant",
                "lif_rate_diffusion", "DISCRETE_BARRIER_SHIFT",  # the names of lifbook/theory.py
                "siegert_rate", "brunel_mu_sigma", "brunel_rate", "shot_noise", "isi_cv_diffusion",
                "eif_rate_diffusion", "lif_cv_diffusion"}
    assert set(theory.__all__) == expected and len(theory.__all__) == len(expected)
    homes = {}
    for sub in ("lif", "eif", "noise", "mean_field"):
        mod = importlib.import_module(f"lifbook.theory.{sub}")
        for name in mod.__all__:
            assert getattr(theory, name) is getattr(mod, name), name
            homes[name] = sub
    assert set(homes) == expected  # each name has exactly one home module
    assert theory.lif_rate.__module__ == "lifbook.theory.lif" and homes["brunel_rate"] == "mean_field"
    assert lifbook.theory is theory and lifbook.theory.lif_rate(2.5) == pytest.approx(76.39, abs=0.005)
    for name in network_theory.__all__:
        assert getattr(network_theory, name) is getattr(theory, name), name
    assert set(network_theory.__all__) == {"siegert_rate", "brunel_mu_sigma", "brunel_rate", "shot_noise",
                                           "isi_cv_diffusion"}
    assert lifbook.network.theory.brunel_rate(5.0, 2.0) == pytest.approx(37.95, abs=0.005)
    assert analysis.white_noise is inputs.white_noise and "white_noise" in inputs.__all__
    assert inputs.white_noise.__module__ == "lifbook.inputs"
    # private helpers other modules import by the old path
    assert callable(theory._integrate) and callable(theory._siegert_rate) and callable(theory._siegert_integral)


def test_demo_writes_plots(tmp_path):
    out = subprocess.run([sys.executable, "-m", "lifbook.demo", str(tmp_path)], capture_output=True, text=True,
                         check=True).stdout
    assert "CLIFPopulation" in out and "ELIFPopulation" in out
    for name in ("clif-v", "clif-raster", "elif-v", "elif-raster"):
        png = (tmp_path / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
        assert (tmp_path / f"{name}.svg").stat().st_size > 10_000


def test_getting_started_draws_both_models():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lifbook.getting_started()
    fig = plt.gcf()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("CLIFPopulation") and titles[1].startswith("ELIFPopulation")
    assert all(int(t.split(": ")[1].split()[0]) > 0 for t in titles)  # both fire under the step
    plt.close("all")


# -- packaging: metadata, one version, extras, what the wheel and the sdist hold -----------------------------------

ROOT = Path(__file__).resolve().parents[1]
PY_VERSIONS = ("3.10", "3.11", "3.12", "3.13")


def _pyproject() -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _names(requirements) -> set:
    return {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].strip().lower() for r in requirements}


def test_metadata_license_classifiers_authors_keywords():
    project = _pyproject()["project"]
    assert project["license"] == "MIT"  # an SPDX expression, not the deprecated table
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c) 2026 the lifbook authors" in text
    assert "Permission is hereby granted, free of charge" in text
    assert project["authors"] and all(a.get("name") for a in project["authors"])
    assert len(project["keywords"]) >= 5
    classifiers = project["classifiers"]
    assert not [c for c in classifiers if c.startswith("License ::")]  # superseded by the SPDX expression
    versions = sorted(c.rsplit(" ", 1)[1] for c in classifiers
                      if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert versions == sorted(PY_VERSIONS, key=lambda v: int(v.split(".")[1]))
    assert project["requires-python"] == ">=3.10"
    assert "Typing :: Typed" in classifiers and (ROOT / "lifbook" / "py.typed").is_file()
    assert "py.typed" in _pyproject()["tool"]["setuptools"]["package-data"]["lifbook"]


def test_the_version_is_written_once():
    config = _pyproject()
    assert "version" not in config["project"] and "version" in config["project"]["dynamic"]
    assert config["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "lifbook.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|rc\d+)?", lifbook.__version__)
    assert "version" not in json.loads((ROOT / "package.json").read_text())  # the book's JS assets
    assert not re.search(r"^version:", (ROOT / "CITATION.cff").read_text(), re.M)


def test_citation_and_changelog():
    cff = (ROOT / "CITATION.cff").read_text()
    for key in ("cff-version: 1.2.0", "message:", "title:", "authors:", "license: MIT", "type: software"):
        assert key in cff
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## Unreleased" in changelog and re.search(r"^## \d+\.\d+\.\d+ - \d{4}-\d\d-\d\d$", changelog, re.M)


def test_extras_numba_core_and_notebooks():
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    assert "numba" in _names(project["dependencies"])
    assert extras["fast"] == []  # kept so that `pip install lifbook[fast]` still works
    assert {"jupyterlab", "jupyterlab-myst", "ipywidgets", "ipykernel", "torch", "scipy"} <= _names(extras["notebooks"])
    assert "myst-nb" not in _names(extras["notebooks"])  # the chapters glue through lifbook.notebook
    (all_,) = extras["all"]
    assert set(re.search(r"\[(.*)\]", all_).group(1).split(",")) >= {"torch", "widgets", "notebooks", "test", "book"}


# Modules the chapters may import, and the distribution that provides each.
_PROVIDED_BY = {"numpy": "numpy", "matplotlib": "matplotlib", "numba": "numba", "torch": "torch",
                "scipy": "scipy", "ipywidgets": "ipywidgets", "IPython": "ipykernel", "lifbook": "lifbook"}


def test_core_and_notebooks_extra_cover_every_chapter_import():
    """What ``pip install "lifbook[notebooks]"`` installs is enough to run every chapter."""
    project = _pyproject()["project"]
    installed = _names(project["dependencies"]) | _names(project["optional-dependencies"]["notebooks"]) | {"lifbook"}
    chapters = sorted((ROOT / "book").glob("*.ipynb"))
    assert chapters
    for path in chapters:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse("".join(l for l in cell["source"] if not l.startswith(("%", "!"))))):
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    mods = [node.module]
                else:
                    continue
                for mod in mods:
                    top = mod.split(".")[0]
                    if top in sys.stdlib_module_names:
                        continue
                    assert top in _PROVIDED_BY, f"{path.name} imports {mod}: add its package to the notebooks extra"
                    assert _PROVIDED_BY[top] in installed, f"{path.name} imports {mod}, not in core or notebooks"


def _build(tmp_path):
    """Build the sdist and the wheel from a copy of what setuptools reads (offline, no build isolation)."""
    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip(f"setuptools {setuptools.__version__} < 77 (SPDX license expressions)")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "CHANGELOG.md", "CITATION.cff"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "lifbook", src / "lifbook", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(ROOT / "tests", src / "tests", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    code = ("from setuptools import build_meta as b; "
            "s = b.build_sdist('dist'); w = b.build_wheel('dist'); print('BUILT', s, w)")
    out = subprocess.run([sys.executable, "-c", code], cwd=src, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    sdist, wheel = out.stdout.rsplit("BUILT", 1)[1].split()
    return src / "dist" / sdist, src / "dist" / wheel


def test_wheel_and_sdist_contents(tmp_path):
    sdist, wheel = _build(tmp_path)
    version = lifbook.__version__
    assert wheel.name == f"lifbook-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(f"lifbook-{version}.dist-info/METADATA").decode()
    assert f"lifbook-{version}.dist-info/licenses/LICENSE" in names
    assert {"lifbook/py.typed", "lifbook/data/bench_results.json", "lifbook/notebook.py",
            "lifbook/engine/cachedir.py"} <= names
    modules = {str(p.relative_to(ROOT)).replace("\\", "/") for p in (ROOT / "lifbook").rglob("*.py")}
    assert modules <= names  # every module and subpackage
    assert not [n for n in names if n.startswith("tests/")]
    assert "License-Expression: MIT" in metadata and f"Version: {version}" in metadata
    assert "Requires-Dist: numba" in metadata and "Provides-Extra: notebooks" in metadata
    for v in PY_VERSIONS:
        assert f"Classifier: Programming Language :: Python :: {v}" in metadata
    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    assert {"LICENSE", "README.md", "CHANGELOG.md", "CITATION.cff", "pyproject.toml", "lifbook/py.typed",
            "lifbook/data/bench_results.json"} <= members
    assert not [m for m in members if m.startswith("tests")]  # the tests need a clone: left out
