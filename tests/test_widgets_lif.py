"""The chapter 2 and 3 explorers (LIFExplorer, PopulationExplorer): numbers, slider moves, frames."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lifbook import CLIFParams, theory, widgets  # noqa: E402

ipywidgets = pytest.importorskip("ipywidgets")

PNG = b"\x89PNG\r\n\x1a\n"


def _slider(w, name):
    return next(c for c in w.children if getattr(c, "description", "").startswith(name))


# -- LIFExplorer ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("values", [dict(), dict(I=2.2, tau_m=16.0), dict(I=8.0, tau_m=4.0, u_th=-55.0, t_ref=5.0),
                                    dict(I=4.0, t_ref=0.0)])
def test_lif_compute_is_the_closed_form_on_the_grid(values):
    e = widgets.LIFExplorer()
    r = e.compute(**e._check(values))
    v = e._check(values)
    p = CLIFParams(tau_m=v["tau_m"], u_th=v["u_th"], t_ref=v["t_ref"], u_reset=-65.0)
    # the simulated stationary rate is what the exact integrator gives on the time grid
    assert r["rate_sim"] == pytest.approx(float(theory.lif_rate_on_grid(v["I"], p)), rel=1e-9)
    assert r["rate_on_grid"] == pytest.approx(r["rate_sim"], rel=1e-9)
    assert r["rate_theory"] == pytest.approx(float(theory.lif_rate(v["I"], p)), rel=1e-12)
    assert r["rheobase"] == pytest.approx((v["u_th"] + 70.0) / 10.0)
    assert r["u_inf"] == pytest.approx(-70.0 + 10.0 * v["I"])
    assert r["count"] == len(r["spikes"]) > 0
    # every spike is followed by exactly n_ref + 1 samples at u_reset (the spike step, then the hold)
    k = r["spikes"][0]
    n_ref = p.n_ref
    assert np.all(r["v"][k:k + n_ref + 1] == -65.0) and r["v"][k + n_ref + 1] > -65.0


def test_lif_compute_below_rheobase_settles_at_u_inf():
    r = widgets.LIFExplorer().compute(I=1.5)
    assert r["count"] == 0 and r["rate_sim"] == 0.0 and r["rate_theory"] == 0.0
    assert np.isinf(r["time_to_threshold"])
    assert r["v"][-1] == pytest.approx(r["u_inf"], abs=1e-9)  # 200 ms = 25 tau_m


def test_lif_live_sliders_change_the_result_and_the_image():
    w = widgets.LIFExplorer().live()
    assert w.result["I"] == 3.0 and w.result["count"] == 21  # the first draw, at the defaults
    before = bytes(w.image.value)
    _slider(w, "τ_m").value = 16.0
    r = w.result
    assert r["tau_m"] == 16.0
    assert r["time_to_threshold"] == pytest.approx(16.0 * np.log(25.0 / 10.0))
    assert r["count"] < 21 and bytes(w.image.value) != before and bytes(w.image.value)[:8] == PNG
    _slider(w, "u_th").value = -45.0
    assert w.result["rheobase"] == pytest.approx(2.5)
    _slider(w, "t_ref").value = 0.0
    assert w.result["rate_theory"] == pytest.approx(1e3 / (16.0 * np.log(25.0 / 5.0)))
    _slider(w, "I").value = 2.4  # below the new rheobase
    assert w.result["count"] == 0
    assert len(w.timings) == 5 and all(t > 0 for t in w.timings)


def test_lif_static_face_has_about_a_hundred_frames_and_starts_at_the_defaults():
    e = widgets.LIFExplorer()
    n = int(np.prod([len(p.grid) for p in e.params]))
    assert n == 96
    box = e.static(grid={"I": (1.5, 3.0), "tau_m": (8.0,), "u_th": (-50.0,), "t_ref": (2.0,)})
    assert box.visible() == (1, 0, 0, 0)
    assert box.grid_frames[(1, 0, 0, 0)] == e.renderer(90).png(e.compute())


# -- PopulationExplorer ----------------------------------------------------------------------------------
def test_population_explorer_follows_the_diffusion_approximation():
    e = widgets.PopulationExplorer()
    for mu, sigma in ((2.0, 0.2), (1.6, 0.8), (3.0, 0.4)):
        r = e.compute(mu=mu, sigma=sigma)
        expected = float(theory.lif_rate_diffusion(mu, sigma, on_grid=True))
        assert r["rate_diffusion"] == expected
        # 100 neurons for 200 ms from rest: within 15% (statistics and the start from rest)
        assert r["mean_rate"] == pytest.approx(expected, rel=0.15), (mu, sigma)
    r0 = e.compute(mu=1.6, sigma=0.0)
    assert r0["mean_rate"] == 0.0 and r0["rate_diffusion"] == 0.0
    np.testing.assert_array_equal(r0["rate_grid"], r0["rate_grid_noisy"])  # no noise: one curve
    r = e.compute(mu=1.6, sigma=0.4)
    assert np.all(r["rate_grid_noisy"][r["I_grid"] < 2.0] > r["rate_grid"][r["I_grid"] < 2.0])


def test_population_live_sliders():
    w = widgets.PopulationExplorer().live()
    assert w.result["mu"] == 2.0 and w.result["sigma"] == 0.2
    first = bytes(w.image.value)
    _slider(w, "noise").value = 0.0
    assert w.result["mean_rate"] == 0.0  # exactly at the rheobase, no noise: silent
    _slider(w, "mean").value = 3.0
    assert w.result["active_fraction"] == 1.0
    assert w.result["mean_rate"] == pytest.approx(float(theory.lif_rate_on_grid(3.0)), rel=0.1)
    assert bytes(w.image.value) != first and len(w.timings) == 3
