"""Chapter 5: the Euler voltage error, the exercise checks and the numerics explorer (the closed-form
spike times are tested in test_theory_lif.py, fit_order and the interpolation remedy in test_analysis.py)."""
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lifbook import CLIFPopulation, NumericalWarning, analysis, plot, theory, widgets  # noqa: E402
from lifbook.exercises import check_euler_stability, check_grid_isi, check_rate_order  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# -- the Euler voltage error ----------------------------------------------------------------------------
def test_euler_voltage_error_is_first_order_and_exact_is_rounding():
    dts = np.array([0.4, 0.2, 0.1, 0.05])
    ref = theory.lif_subthreshold(20.0, 1.5)
    err = {}
    for method in ("euler", "exact"):
        err[method] = np.array([abs(CLIFPopulation(n=1, dt=dt, method=method).run(
            1.5, steps=int(round(20.0 / dt)), record="v").v[-1, 0] - ref) for dt in dts])
    assert analysis.fit_order(dts, err["euler"]) == pytest.approx(1.0, abs=0.05)
    assert err["exact"].max() < 1e-12


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
