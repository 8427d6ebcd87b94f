"""Chapter 4: the EIF explorer, the EIF subthreshold trajectory and the fixed-point diagram."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lifbook import ELIFParams, ELIFPopulation, plot, theory, widgets  # noqa: E402

ipywidgets = pytest.importorskip("ipywidgets")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _slider(w, name):
    return next(c for c in w.children if getattr(c, "description", "").startswith(name))


# -- EIFExplorer ------------------------------------------------------------------------------
def test_eif_explorer_compute_fixed_points_arrows_and_equal_isis():
    e = widgets.EIFExplorer()
    r = e.compute(I=0.3)
    us, uu = theory.eif_fixed_points(0.3)
    assert r["u_stable"] == pytest.approx(us) and r["u_unstable"] == pytest.approx(uu)
    assert r["rheobase"] == pytest.approx(0.4) and r["count"] == 0
    # the flow points right below u_s and above u_u, left in between (one arrow is placed there)
    a, d = r["arrows"], r["du_arrows"]
    assert np.all(d[a < us] > 0) and np.all(d[a > uu] > 0)
    between = (a > us) & (a < uu)
    assert between.sum() >= 1 and np.all(d[between] < 0)
    above = e.compute(I=0.6)
    assert np.isnan(above["u_stable"]) and np.all(above["du_arrows"] > 0)
    # tonic firing with identical intervals: no adaptation in a one-variable model
    assert above["count"] >= 5 and len(above["isi"]) == above["count"] - 1
    assert np.ptp(above["isi"]) < 1e-9
    # exponential Euler at dt = 0.1 ms: within 2% of the quadrature's interval (chapter 5: O(dt))
    T = float(theory.eif_time_to_threshold(0.6))
    assert above["isi"][0] == pytest.approx(2.0 + T, rel=0.02)


def test_eif_explorer_parameters_move_the_rheobase():
    e = widgets.EIFExplorer()
    for dT, th in ((0.5, -55.0), (3.5, -57.0), (1.0, -52.0)):
        r = e.compute(I=0.2, delta_T=dT, theta_rh=th)
        assert r["rheobase"] == pytest.approx((th + 65.0 - dT) / 20.0)
        assert (r["count"] > 0) == (0.2 > r["rheobase"])


def test_eif_explorer_live_sliders_change_the_result_and_are_timed():
    w = widgets.EIFExplorer().live()
    png0 = w.image.value
    _slider(w, "I").value = 0.6
    assert w.result["I"] == 0.6 and w.result["count"] > 0
    assert w.image.value != png0
    _slider(w, "Δ_T").value = 1.0
    assert w.result["rheobase"] == pytest.approx((-55.0 + 65.0 - 1.0) / 20.0)
    _slider(w, "θ_rh").value = -51.0
    assert w.result["rheobase"] == pytest.approx(0.65)
    assert w.result["count"] == 0 and np.isfinite(w.result["u_stable"])  # 0.6 nA < 0.65 nA
    assert len(w.timings) >= 4 and all(t > 0 for t in w.timings)


def test_eif_explorer_static_grid_is_small_and_frames_differ():
    e = widgets.EIFExplorer()
    n = np.prod([len(p.grid) for p in e.params])
    assert n <= 100
    box = e.static(grid={"I": (0.3, 0.6)})
    assert len(box.grid_frames) == 2 and box.grid_frames[(0,)] != box.grid_frames[(1,)]


# -- theory.eif_subthreshold -------------------------------------------------------------------
def test_eif_subthreshold_solves_the_ode():
    p = ELIFParams()
    t = np.array([0.0, 0.5, 3.0, 10.0, 40.0])
    for I in (0.0, 0.3, 0.39):
        u = theory.eif_subthreshold(t, I)
        assert u[0] == -65.0 and np.all(np.diff(u) > 0)
        # du/dt = F(u)/tau_m, by a centred difference of the solution itself
        h = 1e-3
        up, um = theory.eif_subthreshold(t[1:] + h, I), theory.eif_subthreshold(t[1:] - h, I)
        np.testing.assert_allclose((up - um) / (2 * h), theory.eif_du_dt(u[1:], I, p), rtol=1e-5, atol=1e-8)
        # it relaxes to the stable fixed point (at the rate -F'(u_s)/tau_m, slow near the rheobase)
        us, _ = theory.eif_fixed_points(I, p)
        assert abs(theory.eif_subthreshold(1000.0, I) - us) < 1e-6


def test_eif_subthreshold_agrees_with_fine_exponential_euler():
    t = np.array([5.0, 20.0])
    rec = ELIFPopulation(n=1, dt=0.002).run(0.35, steps=10000, record="v")
    sim = rec.v[[2499, 9999], 0]
    np.testing.assert_allclose(theory.eif_subthreshold(t, 0.35), sim, atol=5e-5)


def test_eif_subthreshold_above_rheobase_runs_away_and_then_is_nan():
    T = float(theory.eif_time_to_threshold(0.6, u_reset=-65.0))  # from rest to the cut-off
    u = theory.eif_subthreshold([T * 0.5, T * 0.999, T * 1.001], 0.6)
    assert -65.0 < u[0] < u[1] < -30.0 and np.isnan(u[2])
    # from between the fixed points it falls back; from above the unstable one it runs away
    us, uu = theory.eif_fixed_points(0.3)
    assert theory.eif_subthreshold(600.0, 0.3, u0=uu - 0.5) == pytest.approx(us, abs=1e-6)
    assert theory.eif_subthreshold(1.0, 0.3, u0=uu + 0.5) > uu + 0.5
    with pytest.raises(ValueError, match="u0"):
        theory.eif_subthreshold(1.0, 0.3, u0=-20.0)


# -- plot.fixed_points ---------------------------------------------------------------------------
def test_fixed_point_diagram_branches_meet_at_the_rheobase():
    I = np.linspace(0.0, 0.5, 101)
    ax = plot.fixed_points(I)
    stable, unstable = ax.lines[0], ax.lines[1]
    us, uu = theory.eif_fixed_points(I)
    np.testing.assert_allclose(stable.get_ydata(), us)
    np.testing.assert_allclose(unstable.get_ydata(), uu)
    assert np.all(np.isnan(stable.get_ydata()[I > 0.4]))
    mark = ax.lines[2]
    assert mark.get_xdata()[0] == pytest.approx(0.4) and mark.get_ydata()[0] == pytest.approx(-55.0)
