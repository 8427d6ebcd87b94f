import subprocess
import sys

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
