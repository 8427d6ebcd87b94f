"""lifbook.theory.lif: the LIF closed forms against the simulator and independent computations.

The simulator against closed forms and numerically exact results (subthreshold relaxation, f-I curve,
inverse f-I curve, spike times and trajectories, strength-duration curve, synaptic filter, conductance
input), each test asserting a number.
"""
import numpy as np
import pytest

from lifbook import CLIFParams, CLIFPopulation, ELIFPopulation, theory
from lifbook.analysis import fi_curve


# -- subthreshold, f-I curve, rheobase ------------------------------------------------------------
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


def test_theory_rejects_wrong_parameter_types():
    with pytest.raises(TypeError, match="ELIFParams"):
        theory.eif_rheobase(CLIFParams())
    with pytest.raises(ValueError, match="tau_m: must be > 0"):
        theory.lif_rate(1.0, tau_m=-1.0)


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


# -- inverse f-I curve ------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides", [{}, {"u_reset": -70.0, "t_ref": 0.0}, {"tau_m": 20.0, "R": 5.0}])
def test_current_for_rate_inverts_the_rate(overrides):
    f = np.array([10.0, 50.0, 100.0, 300.0])
    I = theory.lif_current_for_rate(f, **overrides)
    # (at low rates the rate depends on I - I_rh only logarithmically: the inverse is ill-conditioned)
    np.testing.assert_allclose(theory.lif_rate(I, **overrides), f, rtol=1e-8)
    assert np.all(I > theory.lif_rheobase(**overrides))


def test_current_for_rate_outside_its_domain_is_nan():
    out = theory.lif_current_for_rate([0.0, -3.0, 500.0, 600.0])  # t_ref = 2 ms: f < 500 Hz
    assert np.all(np.isnan(out))
    # very low rates tend to the rheobase, without overflow
    assert theory.lif_current_for_rate(1e-6) == pytest.approx(theory.lif_rheobase(), rel=1e-12)


# -- synaptic filter ----------------------------------------------------------------------------------
@pytest.mark.parametrize("tau_syn", [0.0, 0.5, 2.0, 8.0, 20.0])  # 8.0 = tau_m: the limit case
def test_syn_step_response_equals_the_exact_simulation(tau_syn):
    x = 1.7  # nA, below rheobase in the steady state (17 mV < 20 mV)
    rec = CLIFPopulation(n=1, tau_syn=tau_syn).run(x, steps=1500, record=("v", "i", "spikes"))
    u, I = theory.lif_syn_step_response(rec.t, x, tau_syn=tau_syn)
    assert rec.spikes.sum() == 0
    np.testing.assert_allclose(rec.v[:, 0], u, rtol=0, atol=1e-11)
    np.testing.assert_allclose(rec.i[:, 0], I, rtol=0, atol=1e-13)


def test_syn_step_response_starts_smoothly_and_settles():
    u, I = theory.lif_syn_step_response([0.0, 1e-3, 500.0], 1.0, tau_syn=2.0)
    assert u[0] == -70.0 and I[0] == 0.0
    # with a filter the potential starts with zero slope: u - u_rest ~ R x t^2 / (2 tau_m tau_syn)
    assert u[1] + 70.0 == pytest.approx(10.0 * 1e-6 / (2 * 8.0 * 2.0), rel=1e-3)
    assert u[2] == pytest.approx(-60.0, abs=1e-12) and I[2] == pytest.approx(1.0)


def test_psp_peak_time_matches_a_fine_simulation():
    dt = 0.002
    tau_syn = np.array([0.5, 2.0, 8.0, 30.0])  # one heterogeneous population; 8.0 = tau_m
    m = CLIFPopulation(n=4, tau_syn=tau_syn, dt=dt)
    pulse = np.zeros(int(40.0 / dt))
    pulse[0] = 1.0 / dt  # a charge of 1 pC in one step
    rec = m.run(pulse, record="v")
    t_peak = rec.t[np.argmax(rec.v, axis=0)]
    # the pulse lasts one step: the peak moves by at most about a step
    np.testing.assert_allclose(t_peak, theory.lif_psp_peak_time(tau_syn=tau_syn), atol=2 * dt)
    assert theory.lif_psp_peak_time(tau_syn=8.0) == 8.0  # tau_syn = tau_m: the limit t* = tau_m
    assert theory.lif_psp_peak_time() == 0.0  # no filter: the jump is the peak


# -- conductance input (illustration) ------------------------------------------------------------------
def test_conductance_steady_state_is_a_fixed_point_between_rest_and_reversal():
    p = CLIFParams()
    g = np.array([0.0, 0.01, 0.1, 1.0, 100.0])  # microsiemens
    for E in (0.0, -80.0):
        u = theory.conductance_steady_state(g, E)
        residual = -(u - p.u_rest) + p.R * g * (E - u)  # tau_m du/dt at u
        np.testing.assert_allclose(residual, 0.0, atol=1e-9)
        assert u[0] == p.u_rest
        assert np.all(np.diff(u) > 0) if E > p.u_rest else np.all(np.diff(u) < 0)
        assert abs(u[-1] - E) < 0.02 * abs(E - p.u_rest)  # saturates at the reversal potential
    np.testing.assert_allclose(theory.conductance_time_constant(g), p.tau_m / (1 + p.R * g))


# -- spike times and trajectories in continuous time (chapter 5) ---------------------------------------
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
