"""Explorers without a browser: set slider values, assert on the computed result and the frames."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lifbook import theory, widgets  # noqa: E402

ipywidgets = pytest.importorskip("ipywidgets")


def _slider(w, name):
    return next(c for c in w.children if getattr(c, "description", "").startswith(name))


def test_lif_explorer_moves_with_the_current_slider_and_matches_the_closed_form():
    w = widgets.LIFExplorer().live()
    s = _slider(w, "I")
    s.value = 1.5  # below rheobase (2 nA)
    assert w.result["rate_sim"] == 0.0 and len(w.result["spikes"]) == 0
    png_below = w.image.value
    s.value = 4.0
    r = w.result
    assert r["I"] == 4.0 and len(r["spikes"]) > 5
    # simulated rate within the time grid's error of the closed form (one dt per interval)
    isi_sim, isi_th = 1e3 / r["rate_sim"], 1e3 / r["rate_theory"]
    assert 0 <= isi_sim - isi_th <= 0.1 + 1e-9
    assert w.image.value != png_below and w.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    _slider(w, "t_ref").value = 5.0
    assert w.result["rate_theory"] == pytest.approx(float(theory.lif_rate(4.0, t_ref=5.0, u_reset=-65.0)))
    _slider(w, "u_th").value = -45.0
    assert w.result["rheobase"] == pytest.approx(2.5)
    assert len(w.timings) >= 4


def test_step_response_explorer_counts_spikes_above_rheobase_only():
    e = widgets.StepResponseExplorer()
    low, high = e.compute(I=0.3), e.compute(I=2.5)
    assert low["clif"]["count"] == 0 and low["elif"]["count"] == 0  # 0.3 nA < both rheobases
    assert high["clif"]["count"] > 0 and high["elif"]["count"] > 0
    # no spike outside the step (10-90 ms)
    t = high["clif"]["t"][high["clif"]["spikes"]]
    assert t.min() > 10.0 and t.max() <= 90.0 + 0.1


def test_population_explorer_mean_and_noise():
    e = widgets.PopulationExplorer()
    r0 = e.compute(mu=1.6, sigma=0.0)   # below rheobase, no noise: silent
    r1 = e.compute(mu=1.6, sigma=1.0)   # noise drives some spikes
    r2 = e.compute(mu=3.0, sigma=0.0)
    assert r0["mean_rate"] == 0.0 and r1["mean_rate"] > 0.0 and r2["mean_rate"] > r1["mean_rate"]
    assert r2["active_fraction"] == 1.0
    np.testing.assert_allclose(r1["pop_rate"].mean(), r1["mean_rate"], rtol=1e-9)
    # reproducible under its seed
    np.testing.assert_array_equal(e.compute(mu=1.6, sigma=1.0)["t_events"], r1["t_events"])


def test_eif_explorer_fixed_points_vanish_at_rheobase():
    e = widgets.EIFExplorer()
    below = e.compute(I=0.39)
    above = e.compute(I=0.41)
    assert np.isfinite(below["u_stable"]) and below["u_stable"] < -55.0 < below["u_unstable"]
    assert below["count"] == 0
    assert np.isnan(above["u_stable"]) and above["count"] > 0
    sharp = e.compute(I=0.39, delta_T=0.5)
    assert sharp["rheobase"] == pytest.approx((-55.0 + 65.0 - 0.5) / 20.0)


def test_numerics_explorer_exact_matches_fine_grid_and_euler_degrades():
    e = widgets.NumericsExplorer()
    small = e.compute(dt=0.1)
    assert abs(small["exact"]["count"] - small["reference_count"]) <= 1
    big = e.compute(dt=17.0)
    assert not big["stable"]
    assert big["euler"]["count"] != big["reference_count"]


def test_scale_explorer_reads_a_results_table():
    e = widgets.ScaleExplorer({"a": {"1000": 10.0, "1e6": 300.0}, "b": {"1e6": 2000.0}})
    r = e.compute(N=1000)
    assert r["values"][0] == 10.0 and np.isnan(r["values"][1])
    w = e.live()
    w.children[0].value = 1e6
    assert w.result["values"] == [300.0, 2000.0]


def test_unknown_parameter_is_a_clear_error():
    with pytest.raises(TypeError, match=r"^tau: not a parameter of LIFExplorer; did you mean tau_m\? Valid: I, tau_m"):
        widgets.LIFExplorer().figure(tau=3.0)


def test_static_explorer_frames_match_the_compute_results():
    e = widgets.LIFExplorer()
    box = e.static(grid={"I": (1.5, 4.0), "t_ref": (0.0, 5.0)})
    assert len(box.grid_frames) == 4
    rend = e.renderer(dpi=90)
    # the frame shown after moving the sliders is the one rendered for those values
    box.sliders[0].index = 1
    box.sliders[1].index = 1
    assert box.visible() == (1, 1)
    assert box.grid_frames[(1, 1)] == rend.png(e.compute(I=4.0, t_ref=5.0))
    assert box.grid_frames[(0, 0)] != box.grid_frames[(1, 1)]
    # initial position: the defaults (I = 3 nA is nearest to 4.0 of (1.5, 4.0); t_ref = 2 -> 0.0)
    fresh = e.static(grid={"I": (1.5, 4.0), "t_ref": (0.0, 5.0)})
    assert fresh.visible() == (1, 0)
