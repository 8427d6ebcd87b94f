"""The simulator against closed forms and numerically exact results, each test asserting a number."""
import numpy as np
import pytest

from lifbook import CLIFParams, CLIFPopulation, ELIFParams, ELIFPopulation, theory
from lifbook.analysis import fi_curve


# -- LIF ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("I", [0.0, 0.7, 1.5, 1.99, -3.0])
@pytest.mark.parametrize("dt", [0.01, 0.1, 0.5])
def test_lif_subthreshold_equals_closed_form_to_float64_precision(I, dt):
    steps = int(round(100.0 / dt))
    rec = CLIFPopulation(n=1, dt=dt).run(I, steps=steps)
    exact = theory.lif_subthreshold(rec.t, I)
    assert rec.spikes.sum() == 0
    # The exact propagator's only error is float64 rounding, accumulated over the steps.
    assert np.max(np.abs(rec.v[:, 0] - exact)) < 1e-12 * steps ** 0.5 * 70 + 1e-13


def test_lif_subthreshold_from_another_start_and_with_heterogeneous_tau():
    tau = np.array([2.0, 8.0, 30.0])
    m = CLIFPopulation(n=3, tau_m=tau)
    m.run(1.0, steps=50)  # leaves v != u_rest
    v0 = m.v.copy()
    rec = m.run(1.5, steps=300)
    for j in range(3):
        exact = theory.lif_subthreshold(rec.t - rec.t[0] + rec.dt, 1.5, u0=v0[j], tau_m=tau[j])
        np.testing.assert_allclose(rec.v[:, j], exact, rtol=0, atol=1e-11)


@pytest.mark.parametrize("dt", [0.1, 0.05, 0.013])
@pytest.mark.parametrize("t_ref", [0.0, 2.0])
def test_lif_rate_matches_closed_form_within_grid_error(dt, t_ref):
    p = CLIFParams(u_reset=-70.0, t_ref=t_ref, dt=dt)  # u_reset = u_rest: the textbook formula
    I = np.linspace(2.05, 12.0, 30)
    sim = fi_curve("CLIF", I, 3000.0, params=p)
    # The textbook closed form, written out here as in the issue:
    RI, th = p.R * I, p.u_th - p.u_rest
    closed = 1e3 / (p.t_ref + p.tau_m * np.log(RI / (RI - th)))
    np.testing.assert_allclose(theory.lif_rate(I, p), closed, rtol=1e-13)
    # A spike can only be registered on the grid (the interval grows by less than one step), and
    # refractoriness lasts n_ref * dt with n_ref = round(t_ref/dt) (0.013 ms: 154 steps = 2.002 ms).
    isi_sim, isi_th = 1e3 / sim, 1e3 / closed
    excess = isi_sim - (isi_th + (p.n_ref * dt - t_ref))
    assert np.all(excess >= -1e-9) and np.all(excess <= dt + 1e-9), excess
    # ... and the grid formula is what the exact integrator produces, to rounding.
    np.testing.assert_allclose(sim, theory.lif_rate_on_grid(I, p), rtol=1e-9)


def test_lif_rate_general_reset_and_rheobase():
    p = CLIFParams()  # u_reset = -65 != u_rest
    assert theory.lif_rheobase(p) == pytest.approx(2.0)
    assert theory.lif_rate([0.0, 1.0, 2.0], p).tolist() == [0.0, 0.0, 0.0]
    I = np.array([2.2, 3.0, 6.0])
    sim = fi_curve("CLIF", I, 1000.0, params=p)
    np.testing.assert_allclose(sim, theory.lif_rate_on_grid(I, p), rtol=1e-9)
    # the grid rate converges to the continuous closed form as dt -> 0
    for dt, tol in ((0.1, 0.03), (0.001, 3e-4)):
        np.testing.assert_allclose(theory.lif_rate_on_grid(I, p, dt=dt), theory.lif_rate(I, p), rtol=tol)


def test_lif_below_and_just_above_rheobase():
    I_rh = theory.lif_rheobase()
    rates = fi_curve("CLIF", [I_rh * 0.999, I_rh * 1.02], 2000.0, steady=False)
    assert rates[0] == 0.0 and rates[1] > 0.0


@pytest.mark.parametrize("Model, I", [(CLIFPopulation, 1.5), (ELIFPopulation, 0.3)])
def test_euler_error_shrinks_as_order_one(Model, I):
    # Subthreshold voltage at t = 20 ms against a reference: the closed form (LIF) or a fine
    # exponential-Euler run, whose own error is far below Euler's (EIF).
    dts = np.array([0.2, 0.1, 0.05, 0.025, 0.0125])
    if Model is CLIFPopulation:
        ref = theory.lif_subthreshold(20.0, I)
    else:
        ref = Model(n=1, dt=1e-3).run(I, steps=20000, record="v").v[-1, 0]
    errs = []
    for dt in dts:
        rec = Model(n=1, dt=dt, method="euler").run(I, steps=int(round(20.0 / dt)), record=("v", "spikes"))
        assert rec.spikes.sum() == 0
        errs.append(abs(rec.v[-1, 0] - ref))
    slope = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert 0.95 < slope < 1.05, (slope, errs)
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    assert np.all((ratios > 1.85) & (ratios < 2.15)), ratios


def test_exact_method_error_does_not_depend_on_dt():
    errs = [abs(CLIFPopulation(n=1, dt=dt).run(1.5, steps=int(round(20 / dt))).v[-1, 0]
                - theory.lif_subthreshold(20.0, 1.5)) for dt in (1.0, 0.1, 0.01)]
    assert max(errs) < 1e-11


def test_synaptic_filter_exact_against_closed_form():
    # tau_syn > 0, constant x from rest: u(t) - u_rest = R x [1 - (ts e^{-t/ts} - tm e^{-t/tm})/(ts - tm)]
    tm, ts, x = 8.0, 3.0, 1.5
    rec = CLIFPopulation(n=1, tau_syn=ts).run(x, steps=500, record=("v", "i"))
    t = rec.t
    u = -70.0 + 10.0 * x * (1 - (ts * np.exp(-t / ts) - tm * np.exp(-t / tm)) / (ts - tm))
    I = x * (1 - np.exp(-t / ts))
    np.testing.assert_allclose(rec.v[:, 0], u, rtol=0, atol=1e-11)
    np.testing.assert_allclose(rec.i[:, 0], I, rtol=0, atol=1e-13)


# -- EIF ------------------------------------------------------------------------------------------
def test_eif_rheobase_closed_form_and_fixed_points():
    p = ELIFParams()
    I_rh = theory.eif_rheobase(p)
    assert I_rh == pytest.approx((p.theta_rh - p.u_rest - p.delta_T) / p.R) == pytest.approx(0.4)
    us, uu = theory.eif_fixed_points(np.array([0.0, 0.2, I_rh * 0.9999]), p)
    assert np.all(us < p.theta_rh) and np.all(uu > p.theta_rh)
    F = lambda u, I: theory.eif_du_dt(u, I, p)  # noqa: E731
    np.testing.assert_allclose(F(us, np.array([0.0, 0.2, I_rh * 0.9999])), 0.0, atol=1e-10)
    np.testing.assert_allclose(F(uu, np.array([0.0, 0.2, I_rh * 0.9999])), 0.0, atol=1e-10)
    assert uu[-1] - us[-1] < 0.2  # they merge at rheobase
    us2, uu2 = theory.eif_fixed_points(I_rh * 1.0001, p)
    assert np.isnan(us2) and np.isnan(uu2)


@pytest.mark.parametrize("dt", [0.1, 0.01])
def test_eif_below_rheobase_never_spikes_and_above_it_does(dt):
    I_rh = theory.eif_rheobase()
    I = np.array([0.0, 0.5, 0.9, 0.99, 0.995, 1.01, 1.05, 1.5]) * I_rh
    counts = fi_curve("ELIF", I, 1000.0, dt=dt, steady=False) * 1.0
    assert np.all(counts[I < I_rh] == 0)
    assert np.all(counts[I > I_rh] >= 1)


def test_eif_rate_simulation_converges_to_the_quadrature_as_order_one():
    # Exponential Euler (first order): the error halves with dt. (The default "etd2" is at 2.1%, 0.53%,
    # 0.21%, 0.21% for dt = 0.1, 0.04, 0.02, 0.01 ms: it levels off at this measurement's floor.)
    I = np.array([0.45, 0.6, 1.0, 2.0])
    exact = theory.eif_rate(I)
    errs = []
    for dt in (0.04, 0.02, 0.01):
        sim = fi_curve("ELIF", I, 1000.0, dt=dt, method="expeuler")
        errs.append(np.max(np.abs(sim - exact) / exact))
    assert errs[-1] < 0.01
    assert 1.6 < errs[0] / errs[1] < 2.4 and 1.6 < errs[1] / errs[2] < 2.4, errs


def test_eif_quadrature_against_the_lif_limit():
    # delta_T -> 0: the EIF becomes a LIF with threshold theta_rh. The run-up past theta_rh costs
    # about (tau_m delta_T / F(theta_rh)) ln(F(theta_rh)/delta_T), which vanishes with delta_T.
    I = np.array([0.6, 1.0, 3.0])
    lif = CLIFParams(tau_m=12.0, u_rest=-65.0, u_reset=-60.0, u_th=-55.0, R=20.0)
    T_lif = np.asarray(theory.lif_time_to_threshold(I, lif))
    gaps = []
    for dT in (0.02, 0.002, 0.0002):
        T_eif = np.asarray(theory.eif_time_to_threshold(I, ELIFParams(delta_T=dT, u_th=-54.0)))
        F0 = lif.R * I - (lif.u_th - lif.u_rest)
        runup = lif.tau_m * dT / F0 * np.log(F0 / dT)
        np.testing.assert_allclose(T_eif - T_lif, runup, rtol=0.1)
        gaps.append(np.max(np.abs(T_eif - T_lif) / T_lif))
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3
    assert theory.eif_rate(0.3) == 0.0
    assert np.isinf(theory.eif_time_to_threshold(0.3))


def test_elif_small_delta_T_gives_back_the_lif():
    I = np.array([0.6, 1.0, 2.0])
    e = fi_curve("ELIF", I, 500.0, delta_T=0.001, dt=0.02)
    lif = fi_curve("CLIF", I, 500.0, tau_m=12.0, u_rest=-65.0, u_reset=-60.0, u_th=-55.0, R=20.0, dt=0.02)
    np.testing.assert_allclose(e, lif, rtol=0.01)


def test_theory_rejects_wrong_parameter_types():
    with pytest.raises(TypeError, match="ELIFParams"):
        theory.eif_rheobase(CLIFParams())
    with pytest.raises(ValueError, match="tau_m: must be > 0"):
        theory.lif_rate(1.0, tau_m=-1.0)


# -- EIF bistability: a reset above the unstable fixed point ------------------------------------
HIGH_RESET = ELIFParams(u_reset=-50.0)  # above theta_rh = -55 mV: bistable below the rheobase


def test_eif_bistable_range_edges_are_where_the_orbit_and_the_rest_state_vanish():
    I_low, I_rh = theory.eif_bistable_range(HIGH_RESET)
    assert I_rh == pytest.approx(0.4)
    assert I_low == pytest.approx((15.0 - 2.0 * np.exp(2.5)) / 20.0, rel=1e-12)  # -0.468 nA
    # At I_low the unstable fixed point sits exactly at u_reset: the orbit's last exit closes.
    _, uu = theory.eif_fixed_points(I_low + 1e-9, HIGH_RESET)
    assert uu == pytest.approx(-50.0, abs=1e-6)
    assert theory.eif_rheobase(HIGH_RESET, start="reset") == I_low
    # A reset at or below theta_rh: no bistability, the interval is empty.
    for p in (ELIFParams(), ELIFParams(u_reset=-55.0)):
        lo, hi = theory.eif_bistable_range(p)
        assert lo == pytest.approx(hi) and hi == pytest.approx(0.4)
    # Per-neuron parameters broadcast.
    lo = theory.eif_rheobase(start="reset", u_reset=np.array([-60.0, -50.0]))
    np.testing.assert_allclose(lo, [0.4, I_low])


def test_eif_rate_depends_on_the_start_below_the_rheobase():
    # The example: u_reset = -50 mV, I = 0.35 nA (rheobase 0.4 nA).
    assert theory.eif_rate(0.35, HIGH_RESET) == 0.0  # from rest (the default)
    f = theory.eif_rate(0.35, HIGH_RESET, start="reset")
    assert f == pytest.approx(310.2531, rel=1e-6)
    assert theory.eif_rate(0.35, HIGH_RESET, start=-52.0) == f  # kicked above the unstable point (-53.28 mV)
    assert theory.eif_rate(0.35, HIGH_RESET, start=-54.0) == 0.0  # below it: back to rest
    I = np.array([-0.6, -0.46, 0.0, 0.35, 0.45, 1.0])
    rest, reset = theory.eif_rate(I, HIGH_RESET), theory.eif_rate(I, HIGH_RESET, start="reset")
    assert np.all(rest[:4] == 0) and reset[0] == 0 and np.all(reset[1:] > 100)
    np.testing.assert_array_equal(rest[4:], reset[4:])  # above the rheobase the start does not matter
    # Without bistability both starts agree everywhere (the default parameters).
    I2 = np.linspace(0.0, 1.0, 11)
    np.testing.assert_array_equal(theory.eif_rate(I2), theory.eif_rate(I2, start="reset"))


def test_eif_periodic_orbit_against_the_scipy_reference():
    pytest.importorskip("scipy")
    from lifbook.reference import spike_times
    for I in (-0.4, 0.0, 0.35):
        t = spike_times(HIGH_RESET, I, 60.0, u0=-50.0)
        assert t.size > 10
        isi = np.diff(t)
        np.testing.assert_allclose(1e3 / isi, theory.eif_rate(I, HIGH_RESET, start="reset"), rtol=1e-7)
        assert spike_times(HIGH_RESET, I, 60.0).size == 0  # from rest: silent


def test_elif_population_at_rest_stays_silent_and_kicked_fires_at_the_orbit_rate():
    I = np.array([-0.4, 0.0, 0.35])
    dt = 0.01
    rest = ELIFPopulation(n=3, params=HIGH_RESET, dt=dt).run(I, steps=int(200 / dt), record=("spikes", "v"))
    assert rest.spikes.sum() == 0
    # ... it settles at the stable fixed point (slowly at 0.35 nA, close to the saddle-node).
    np.testing.assert_allclose(rest.v[-1], theory.eif_fixed_points(I, HIGH_RESET)[0], atol=1e-3)
    kick = np.tile(I, (int(200 / dt), 1))
    kick[:int(3 / dt)] = 5.0  # 3 ms of 5 nA lifts u past the unstable fixed point
    rec = ELIFPopulation(n=3, params=HIGH_RESET, dt=dt).run(kick, record=("spikes",))
    rates = rec.steady_rates()
    exact = theory.eif_rate(I, HIGH_RESET, start="reset")
    # The grid delays each spike by part of a step, and the run-up is fast (1.2-2 ms): 2% at dt = 0.01 ms.
    assert np.all(rates < exact) and np.all(rates > 0.98 * exact), (rates, exact)


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


def test_eif_start_is_checked():
    with pytest.raises(ValueError, match="start: expected 'rest', 'reset' or a potential in mV"):
        theory.eif_rate(0.3, start="kick")
    with pytest.raises(ValueError, match="start: the potential must lie below the cut-off"):
        theory.eif_rate(0.3, start=-20.0)
    with pytest.raises(ValueError, match="start: expected 'rest' or 'reset'"):
        theory.eif_rheobase(start=-50.0)
    from lifbook.analysis import hysteresis_sweep
    with pytest.raises(ValueError, match="currents: expected a 1-d array of at least 2 increasing"):
        hysteresis_sweep([0.5, 0.2])


def test_strength_duration_against_simulation_and_limits():
    """A pulse of the strength-duration current fires within its duration; 0.1% less does not."""
    from lifbook import CLIFPopulation, inputs
    I_rh = theory.lif_rheobase()
    assert theory.lif_strength_duration(1e6) == pytest.approx(I_rh, rel=1e-12)
    assert theory.lif_strength_duration(0.0) == np.inf
    # short pulses: I T ~ I_rh tau_m (a fixed charge)
    assert theory.lif_strength_duration(0.01) * 0.01 == pytest.approx(I_rh * 8.0, rel=1e-3)
    for T in (2.0, 5.0, 20.0):
        I_th = theory.lif_strength_duration(T)
        amps = np.array([1.001, 0.999]) * I_th
        rec = CLIFPopulation(n=2, dt=0.01).run(inputs.step(amps, 0.0, T), steps=int(round(T / 0.01)) + 500,
                                               record="count")
        assert list(rec.spike_counts()) == [1, 0]
    assert theory.lif_chronaxie(tau_m=20.0) == pytest.approx(20.0 * np.log(2))
    with pytest.raises(ValueError, match="duration"):
        theory.lif_strength_duration(np.nan)

