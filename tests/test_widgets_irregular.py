"""Chapter 7: the irregular-firing explorer."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lifbook import theory, widgets  # noqa: E402

ipywidgets = pytest.importorskip("ipywidgets")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _slider(w, name):
    return next(c for c in w.children if getattr(c, "description", "").startswith(name))


def test_irregular_explorer_mean_driven_is_regular_and_fluctuation_driven_irregular():
    e = widgets.IrregularExplorer()
    reg = e.compute(mu=3.0, sigma=0.1)
    irr = e.compute(mu=1.4, sigma=0.6)
    assert reg["cv"] < 0.1 and irr["cv"] > 0.6
    for r in (reg, irr):
        assert r["rate"] == pytest.approx(r["rate_theory"], rel=0.05)
        assert r["cv"] == pytest.approx(r["cv_theory"], rel=0.1)
        # the histogram is a density over the shown range (intervals beyond 150 ms are rare here)
        assert np.sum(r["density"]) * e.BIN_MS == pytest.approx(1.0, abs=0.05)
        assert r["rate_theory"] == pytest.approx(float(theory.lif_rate_diffusion(r["mu"], r["sigma"],
                                                                                 on_grid=True)))
    # the Poisson reference integrates to 1 and starts at the dead time
    assert np.trapezoid(irr["poisson"], irr["t_grid"]) == pytest.approx(1.0, abs=0.05)
    assert irr["poisson"][irr["t_grid"] < 2.0].max() == 0.0
    # mean free potential u_rest + R mu
    assert irr["u_mean"] == pytest.approx(-70.0 + 10.0 * 1.4)


def test_irregular_explorer_silent_below_threshold_without_noise():
    r = widgets.IrregularExplorer().compute(mu=1.0, sigma=0.1)
    assert r["rate"] == 0.0 and r["n_isi"] == 0 and np.isnan(r["cv"])
    assert r["rate_theory"] < 1e-6


def test_irregular_explorer_is_deterministic():
    e = widgets.IrregularExplorer()
    a, b = e.compute(mu=1.8, sigma=0.4), e.compute(mu=1.8, sigma=0.4)
    assert a["cv"] == b["cv"] and np.array_equal(a["v"], b["v"])


def test_irregular_explorer_live_and_static():
    e = widgets.IrregularExplorer()
    w = e.live()
    png0 = w.image.value
    _slider(w, "noise σ").value = 0.8
    assert w.result["sigma"] == 0.8 and w.image.value != png0
    _slider(w, "mean μ").value = 3.0
    assert w.result["mu"] == 3.0 and w.result["rate"] > 100
    assert len(w.timings) >= 2
    assert np.prod([len(p.grid) for p in e.params]) <= 100
    box = e.static(grid={"mu": (1.4, 3.0)})
    assert len(box.grid_frames) == 2 and box.grid_frames[(0,)] != box.grid_frames[(1,)]
    with pytest.raises(ValueError, match="grid"):
        e.static(grid={"tau": (1.0,)})
