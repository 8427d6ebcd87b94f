"""lifbook.analysis: spike-train statistics, the convergence order, the interpolated f-I curve, the
hysteresis sweep and the noisy f-I curve."""
import numpy as np
import pytest

from lifbook import ELIFParams, analysis, theory


# -- spike-train statistics -------------------------------------------------------------------------
def test_spike_train_statistics():
    rng = np.random.default_rng(0)
    T = 20000.0
    # neuron 0 regular at 10 ms, neurons 1..40 Poisson at 20 Hz, neuron 41 a copy of neuron 1
    times, ids = [np.arange(10.0, T, 10.0)], [np.zeros(int(T / 10) - 1, dtype=int)]
    for j in range(1, 41):
        t = np.sort(rng.uniform(0, T, rng.poisson(20 * T / 1e3)))
        times.append(t)
        ids.append(np.full(t.size, j))
    times.append(times[1])
    ids.append(np.full(times[1].size, 41))
    t, i = np.concatenate(times), np.concatenate(ids)
    cv = analysis.isi_cv(t, i)
    assert cv[0] == pytest.approx(0.0, abs=1e-9)
    assert np.mean(cv[1:41]) == pytest.approx(1.0, abs=0.03)
    ff = analysis.fano_factor(t, i, window_ms=100.0, t_stop=T)
    assert np.mean(ff[1:41]) == pytest.approx(1.0, abs=0.05) and ff[0] < 0.05
    c = analysis.spike_count_correlations(t, i, bin_ms=10.0, t_stop=T, neurons=[1, 2, 3, 41])
    assert c[0, 3] == pytest.approx(1.0) and abs(c[0, 1]) < 0.05
    edges, dens = analysis.isi_histogram(t[i > 0], i[i > 0], bin_ms=5.0)
    assert np.sum(dens * np.diff(edges)) == pytest.approx(1.0)
    # exponential ISI density 20/s: first bin ~ (1 - e^{-0.1}) / 5 ms
    assert dens[0] == pytest.approx((1 - np.exp(-0.1)) / 5.0, rel=0.05)
    dt = 0.5
    x = 10 + 5 * np.sin(2 * np.pi * 80.0 * np.arange(4000) * dt * 1e-3)
    f, P = analysis.rate_spectrum(x, dt, segment_ms=500.0)
    assert f[np.argmax(P)] == pytest.approx(80.0, abs=2.0)
    # Parseval: the one-sided spectrum integrates to the variance (Hann window, within leakage)
    assert np.sum(P) * (f[1] - f[0]) == pytest.approx(12.5, rel=0.05)


# -- fit_order and the interpolation remedy (chapter 5) ----------------------------------------------
def test_fit_order_recovers_a_power_law():
    dts = np.array([0.4, 0.2, 0.1, 0.05])
    assert analysis.fit_order(dts, 3.0 * dts) == pytest.approx(1.0)
    assert analysis.fit_order(dts, 0.5 * dts**2) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="positive"):
        analysis.fit_order(dts, [1.0, 0.5, 0.0, 0.1])


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


# -- hysteresis sweep (chapter 4) -------------------------------------------------------------------
HIGH_RESET = ELIFParams(u_reset=-50.0)  # above theta_rh = -55 mV: bistable below the rheobase


def test_hysteresis_sweep_follows_the_two_theory_branches():
    I_low, I_rh = theory.eif_bistable_range(HIGH_RESET)
    currents = np.round(np.arange(-0.7, 0.71, 0.05), 3)
    up, down = analysis_hysteresis(currents)
    rest = theory.eif_rate(currents, HIGH_RESET)
    reset = theory.eif_rate(currents, HIGH_RESET, start="reset")
    far = (np.abs(currents - I_low) > 0.03) & (np.abs(currents - I_rh) > 0.03)
    # Up from rest: silent until the rheobase; down: firing down to I_low (away from the edges).
    assert np.all((up > 0)[far] == (rest > 0)[far]) and np.all((down > 0)[far] == (reset > 0)[far])
    bistable = far & (currents > I_low) & (currents < I_rh)
    assert bistable.sum() >= 15 and np.all(up[bistable] == 0) and np.all(down[bistable] > 100)
    # Rates on the grid (dt = 0.02 ms) within 5% of the orbit's rate wherever it fires.
    fires = far & (reset > 0)
    np.testing.assert_allclose(down[fires], reset[fires], rtol=0.05)


def analysis_hysteresis(currents):
    from lifbook.analysis import hysteresis_sweep
    return hysteresis_sweep(currents, 100.0, params=HIGH_RESET, dt=0.02)


# -- noisy f-I curve (chapter 3) ----------------------------------------------------------------------
def test_noisy_fi_curve_input_checks_and_shape():
    assert analysis.noisy_fi_curve(3.0, 0.0, n=3, duration=50.0, warmup=0.0) == pytest.approx(
        theory.lif_rate_on_grid(3.0), rel=0.1)
    with pytest.raises(ValueError, match="currents"):
        analysis.noisy_fi_curve([], 0.1)
    with pytest.raises(ValueError, match="sigma"):
        analysis.white_noise(1.0, -1.0, 10)
