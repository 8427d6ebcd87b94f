"""lifbook.theory.eif: the EIF rheobase, fixed points, bistability and f-I curve (quadrature) against
the simulator and independent computations, each test asserting a number."""
import numpy as np
import pytest

from lifbook import CLIFParams, ELIFParams, ELIFPopulation, theory
from lifbook.analysis import fi_curve


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
