"""Chapter 5: closed-form spike times and trajectories, convergence orders, the interpolation
remedy for the time grid, the new exercise checks and the numerics explorer."""
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lifbook import CLIFParams, CLIFPopulation, NumericalWarning, analysis, plot, theory, widgets  # noqa: E402
from lifbook.exercises import check_euler_stability, check_grid_isi, check_rate_order  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# -- theory.lif_spike_times / lif_trajectory ----------------------------------------------------------
def test_lif_spike_times_follow_the_closed_form():
    p = CLIFParams()
    s = theory.lif_spike_times(3.0, 200.0)
    T = float(theory.lif_time_to_threshold(3.0))
    first = float(theory.lif_time_to_threshold(3.0, u_reset=p.u_rest))  # from rest
    assert s[0] == pytest.approx(first)
    np.testing.assert_allclose(np.diff(s), p.t_ref + T, rtol=1e-12)
    assert s[-1] <= 200.0 < s[-1] + p.t_ref + T
    assert len(theory.lif_spike_times(1.9, 500.0)) == 0  # below the rheobase of 2 nA
    assert len(theory.lif_spike_times(3.0, first * 0.99)) == 0


def test_lif_spike_times_are_the_limit_of_the_grid():
    # the exact integrator registers each spike at the first grid point at or after the crossing
    dt = 0.01
    rec = CLIFPopulation(n=1, dt=dt, t_ref=0.0).run(3.0, steps=10000, record="spikes")
    grid = rec.spike_times(0)
    exact = theory.lif_spike_times(3.0, 100.0, t_ref=0.0)
    assert len(grid) == len(exact)
    lag = grid - exact
    assert np.all(lag >= -1e-9) and np.all(lag <= len(exact) * dt + 1e-9)


def test_lif_trajectory_matches_a_fine_simulation_and_resets():
    t = np.linspace(0.0, 60.0, 13)
    u = theory.lif_trajectory(t, 3.0)
    rec = CLIFPopulation(n=1, dt=1e-3).run(3.0, steps=60000, record="v")
    k = np.round(t[1:] / 1e-3).astype(int) - 1
    np.testing.assert_allclose(u[1:], rec.v[k, 0], atol=0.05)  # the grid lags by < 1e-3 ms per spike
    assert u[0] == -70.0
    s = theory.lif_spike_times(3.0, 60.0)
    assert theory.lif_trajectory(s[1], 3.0) == pytest.approx(-65.0)  # post-reset at a spike time
    # refractory: held at u_reset for t_ref after the spike
    assert theory.lif_trajectory(s[1] + 1.0, 3.0) == pytest.approx(-65.0)
    assert theory.lif_trajectory(s[1] + 2.5, 3.0) > -65.0
    # below the rheobase it is the subthreshold closed form
    np.testing.assert_allclose(theory.lif_trajectory(t, 1.5), theory.lif_subthreshold(t, 1.5), rtol=1e-14)
    with pytest.raises(ValueError, match="tau_syn"):
        theory.lif_trajectory(t, 3.0, tau_syn=2.0)


# -- analysis.fit_order ------------------------------------------------------------------------------
def test_fit_order_recovers_a_power_law():
    dts = np.array([0.4, 0.2, 0.1, 0.05])
    assert analysis.fit_order(dts, 3.0 * dts) == pytest.approx(1.0)
    assert analysis.fit_order(dts, 0.5 * dts**2) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="positive"):
        analysis.fit_order(dts, [1.0, 0.5, 0.0, 0.1])


def test_euler_voltage_error_is_first_order_and_exact_is_rounding():
    dts = np.array([0.4, 0.2, 0.1, 0.05])
    ref = theory.lif_subthreshold(20.0, 1.5)
    err = {}
    for method in ("euler", "exact"):
        err[method] = np.array([abs(CLIFPopulation(n=1, dt=dt, method=method).run(
            1.5, steps=int(round(20.0 / dt)), record="v").v[-1, 0] - ref) for dt in dts])
    assert analysis.fit_order(dts, err["euler"]) == pytest.approx(1.0, abs=0.05)
    assert err["exact"].max() < 1e-12


# -- the interpolation remedy --------------------------------------------------------------------------
def test_interpolated_rates_converge_as_dt_squared():
    I = np.linspace(2.5, 8.0, 8)
    exact = theory.lif_rate(I)
    dts = np.array([0.2, 0.1, 0.05])
    err = np.array([np.mean(np.abs(analysis.interpolated_fi_curve(I, 500.0, dt=dt) - exact) / exact)
                    for dt in dts])
    assert analysis.fit_order(dts, err) == pytest.approx(2.0, abs=0.1)
    assert err[-1] < 1e-5
    grid = np.mean(np.abs(analysis.fi_curve("CLIF", I, 500.0, dt=0.05) - exact) / exact)
    assert grid > 100 * err[-1]  # the grid's O(dt) error is far larger


def test_interpolated_spike_times_details():
    # the first spike from rest, interpolated: O(dt^2) from the closed form
    s = analysis.interpolated_spike_times([3.0], 100.0, dt=0.1)[0]
    exact = theory.lif_spike_times(3.0, 100.0)
    assert len(s) == len(exact)
    assert np.max(np.abs(s - exact)) < 0.01
    # t_ref not a multiple of dt: held for exactly t_ref (no rounding to steps)
    r = analysis.interpolated_fi_curve([4.0], 2000.0, dt=0.1, t_ref=0.33)
    assert r == pytest.approx(float(theory.lif_rate(4.0, t_ref=0.33)), rel=1e-3)
    # t_ref shorter than dt at a high rate: several spikes within one step are all kept
    r = analysis.interpolated_fi_curve([40.0], 200.0, dt=0.5, t_ref=0.1)
    assert r == pytest.approx(float(theory.lif_rate(40.0, t_ref=0.1)), rel=0.05)
    # below rheobase: silent
    assert len(analysis.interpolated_spike_times([1.9], 300.0)[0]) == 0
    with pytest.raises(ValueError, match="tau_syn"):
        analysis.interpolated_spike_times([3.0], 10.0, tau_syn=2.0)


# -- exercise checks --------------------------------------------------------------------------------------
def test_check_euler_stability():
    assert check_euler_stability(16.0)
    assert check_euler_stability(8.0, "monotone")
    wrong = check_euler_stability(8.0, "stable")
    assert not wrong and "oscillate" in wrong.message
    assert check_euler_stability(24.0, tau_m=12.0)
    with pytest.raises(ValueError):
        check_euler_stability(1.0, "other")


def test_check_grid_isi():
    isi = 1e3 / float(theory.lif_rate_on_grid(3.0))
    assert isi == pytest.approx(9.4)
    assert check_grid_isi(9.4, 3.0)
    cont = check_grid_isi(2.0 + float(theory.lif_time_to_threshold(3.0)), 3.0)
    assert not cont and "continuous" in cont.message
    assert check_grid_isi(1e3 / float(theory.lif_rate_on_grid(3.0, dt=0.5)), 3.0, dt=0.5)
    with pytest.raises(ValueError, match="rheobase"):
        check_grid_isi(10.0, 1.0)


def test_check_rate_order():
    assert check_rate_order(0.97) and check_rate_order(2.05, "interpolated")
    assert "other scheme" in check_rate_order(2.0).message
    with pytest.raises(ValueError):
        check_rate_order(1.0, "rk4")


# -- plots ------------------------------------------------------------------------------------------------------
def test_convergence_plot_labels_the_fitted_order():
    dts = np.array([0.4, 0.2, 0.1])
    ax = plot.convergence(dts, 2 * dts, label="Euler")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.lines[0].get_label() == "Euler: order 1.00"


def test_leak_factor_plot():
    dt = np.linspace(0, 24, 49)
    ax = plot.leak_factor(dt, tau_m=8.0)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 1 - dt / 8.0)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), np.exp(-dt / 8.0))


# -- NumericsExplorer ------------------------------------------------------------------------------------------
def test_numerics_explorer_regimes_and_errors():
    e = widgets.NumericsExplorer()
    small = e.compute(dt=0.1, I=1.5)
    assert small["exact"]["max_error"] < 1e-12  # the exact propagator: rounding only
    assert 0.0 < small["euler"]["max_error"] < 0.2
    assert small["regime"] == "monotone" and small["stable"]
    osc = e.compute(dt=12.0, I=1.5)
    assert osc["factor_euler"] == pytest.approx(-0.5) and osc["regime"] == "oscillates, decays"
    # Euler's overshoot crosses the threshold: spikes where the neuron is silent
    assert osc["reference"]["count"] == 0 and osc["exact"]["count"] == 0 and osc["euler"]["count"] > 0
    big = e.compute(dt=20.0, I=1.5)
    assert not big["stable"] and big["regime"] == "oscillates, grows"
    # suprathreshold: the exact integrator's spikes lag the continuous ones by less than one step each
    r = e.compute(dt=0.5, I=3.0)
    n = r["reference"]["count"]
    assert r["exact"]["count"] == n
    lag = r["exact"]["spike_times"] - r["reference"]["spike_times"]
    assert np.all(lag >= -1e-9) and np.all(lag <= 0.5 * np.arange(1, n + 1) + 1e-9)


def test_numerics_explorer_live_and_static():
    w = widgets.NumericsExplorer().live()
    dt_slider = next(c for c in w.children if getattr(c, "description", "").startswith("dt"))
    i_slider = next(c for c in w.children if getattr(c, "description", "").startswith("I"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumericalWarning)  # the explorer itself must not leak the warning
        dt_slider.value = 20.0
    assert w.result["dt"] == 20.0 and w.result["regime"] == "oscillates, grows"
    i_slider.value = 3.0
    assert w.result["I"] == 3.0 and w.result["reference"]["count"] > 0
    assert len(w.timings) >= 3
    e = widgets.NumericsExplorer()
    assert np.prod([len(p.grid) for p in e.params]) <= 100
    box = e.static(grid={"dt": (1.0, 12.0)})
    assert box.grid_frames[(0,)] != box.grid_frames[(1,)]
