"""Chapter 8: the network explorer (Brunel's model A over g and nu_ext / nu_thr)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lifbook import widgets  # noqa: E402
from lifbook.network import theory as nt  # noqa: E402
from lifbook.widgets.network import classify_state  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_classify_state_rules():
    assert classify_state(0.57, 0.001) == "SR"
    assert classify_state(0.07, 0.44) == "AI"
    assert classify_state(0.25, 1.19) == "SI"
    assert classify_state(0.13, 0.21) == "AR"


def test_normalised_spectrum_is_one_for_independent_poisson_neurons():
    from lifbook.network import Network, PoissonDrive, Population
    from lifbook.widgets.network import normalised_spectrum

    # neurons that fire once per input spike (threshold below one jump), refractory 0.1 ms: Poisson
    P = Population("P", 400, tau_m=20.0, u_rest=0.0, u_th=0.5, u_reset=0.0, t_ref=0.0, R=1.0, dt=0.1)
    net = Network([P], drives=[PoissonDrive(P, rate=40.0, weight=1.0)], seed=4)
    rec = net.run(2000.0)
    tb, pr = rec.population_rate(bin_ms=0.5)
    f, S = normalised_spectrum(pr, rec.mean_rate(), 400, 0.5, 100.0)
    assert rec.mean_rate() == pytest.approx(40.0, rel=0.05)
    assert np.mean(S[1:]) == pytest.approx(1.0, abs=0.1)  # 20 segments, 50 bins: error about 5%


def test_network_explorer_ai_point_matches_mean_field_and_is_reproducible():
    e = widgets.NetworkExplorer()
    r = e.compute(g=5.0, nu_ext_ratio=2.0)
    assert r["n"] == 2500 and r["N_E"] == 2000
    assert r["rate_mean_field"] == pytest.approx(nt.brunel_rate(5.0, 2.0), rel=1e-12)
    # the reduced network fires within 10% of the mean field (measured +6.4%, seed 3)
    assert r["mean_rate"] == pytest.approx(r["rate_mean_field"], rel=0.10)
    # ...with a CV below the diffusion approximation's 0.675 (measured 0.44; the full network 0.40)
    assert r["cv_diffusion"] == pytest.approx(0.6753286, abs=1e-6)
    assert 0.3 < r["cv"] < r["cv_diffusion"]
    assert r["state"] == "AI" and r["peak_fraction"] < 0.2
    # raster: the first 50 neurons over the last 100 ms only
    assert np.all(r["t_events"] > e.DURATION - e.SHOW_MS) and np.all(r["neuron_events"] < e.N_SHOW)
    assert r["neuron_events"].size > 50
    # shared input (C_E / N_E = 0.5) correlates the neurons at all frequencies: well above Poisson
    assert np.median(r["power"][r["freq"] > 600]) > 5.0
    # a new explorer recomputes (cache aside) the same spikes under the seed
    from lifbook.widgets.network import _simulate
    _simulate.cache_clear()
    r2 = widgets.NetworkExplorer().compute(g=5.0, nu_ext_ratio=2.0)
    np.testing.assert_array_equal(r2["t_events"], r["t_events"])
    assert r2["mean_rate"] == r["mean_rate"]


def test_network_explorer_sr_state_and_bad_input():
    e = widgets.NetworkExplorer()
    r = e.compute(g=3.0, nu_ext_ratio=2.0)
    assert r["state"] == "SR" and r["cv"] < 0.05 and r["mean_rate"] > 300.0
    assert r["peak_fraction"] > 0.4
    with pytest.raises(ValueError, match="nu_ext_ratio"):
        e.compute(g=5.0, nu_ext_ratio=0.0)
    with pytest.raises(TypeError, match="g"):
        e.compute(g="5", nu_ext_ratio=2.0)
    with pytest.raises(TypeError, match="nu_ext_ratio"):
        e.figure(nu=2.0)  # not a parameter: a clear error, not a silent default


def test_network_explorer_faces():
    pytest.importorskip("ipywidgets")
    e = widgets.NetworkExplorer()
    box = e.static(grid={"g": [5.0], "nu_ext_ratio": [2.0]})
    frames = box.grid_frames
    assert len(frames) == 1 and next(iter(frames.values()))[:8] == b"\x89PNG\r\n\x1a\n"
    w = e.live()
    assert w.result is None or w.result["g"] == 5.0
    slider = next(c for c in w.children if getattr(c, "description", "").startswith("g"))
    slider.value = 3.0
    assert w.result["state"] == "SR" and len(w.timings) >= 1
