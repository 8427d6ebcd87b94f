"""Closed forms added for chapters 2 and 3 (inverse f-I curve, synaptic filter, conductance input,
white noise and the diffusion approximation), each checked against the simulator or an
independent computation."""
import math

import numpy as np
import pytest

from lifbook import CLIFParams, CLIFPopulation, analysis, theory


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


# -- white noise and the diffusion approximation ------------------------------------------------------
def test_white_noise_makes_the_free_potential_an_ornstein_uhlenbeck_process():
    p = CLIFParams(u_th=1000.0)  # no spikes: the free process
    I, sigma, n, steps = 1.0, 0.3, 400, 6000
    x = analysis.white_noise(I, sigma, steps, n, params=p, seed=3)
    assert x.shape == (steps, n)
    v = CLIFPopulation(n=n, params=p).run(x, record="v").v[1000:]  # after 12 tau_m
    assert v.mean() == pytest.approx(p.u_rest + p.R * I, abs=0.05)
    assert v.std() == pytest.approx(p.R * sigma / np.sqrt(2), rel=0.02)
    a = np.exp(-p.dt / p.tau_m)
    d = v - v.mean()
    lag1 = (d[1:] * d[:-1]).mean() / d.var()
    assert lag1 == pytest.approx(a, abs=0.003)
    # reproducible under a seed
    np.testing.assert_array_equal(analysis.white_noise(I, sigma, 5, 3, seed=1),
                                  analysis.white_noise(I, sigma, 5, 3, seed=1))


def _siegert_direct(y_th, y_r):
    """sqrt(pi) int_{y_r}^{y_th} exp(x^2)(1 + erf x) dx by the trapezoidal rule (moderate y only).

    ``1 + erf(x)`` is computed as ``erfc(-x)``: for x below about -6 the sum cancels to 0.
    """
    x = np.linspace(y_r, y_th, 200001)
    f = np.exp(x ** 2) * np.array([math.erfc(-v) for v in x])
    return math.sqrt(math.pi) * float(np.sum((f[1:] + f[:-1]) * np.diff(x)) / 2)


@pytest.mark.parametrize("I, sigma", [(1.0, 0.5), (1.8, 0.2), (2.5, 0.3), (3.0, 1.0)])
def test_diffusion_rate_is_the_siegert_formula(I, sigma):
    p = CLIFParams()
    s = p.R * sigma
    y_th, y_r = (p.u_th - p.u_rest - p.R * I) / s, (p.u_reset - p.u_rest - p.R * I) / s
    expected = 1e3 / (p.t_ref + p.tau_m * _siegert_direct(y_th, y_r))
    assert theory.lif_rate_diffusion(I, sigma) == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("y_th", [-2000.0, -100.0, -3.0, -0.5, 0.0, 1.0, 5.0, 25.9])
@pytest.mark.parametrize("d", [1e-3, 1.0, 30.0, 1000.0])
def test_siegert_integral_agrees_with_adaptive_quadrature(y_th, d):
    from lifbook.theory import _integrate, _siegert_integral

    def g(s):
        return np.exp(-s * s + 2.0 * y_th * s) * -np.expm1(-2.0 * d * s) / s

    top = max(y_th, 0.0) + 12.0 if y_th >= -1 else min(12.0, 70.0 / -y_th)
    edges = [0.0] + ([y_th] if 0 < y_th < top else []) + [top]
    ref = sum(_integrate(g, a, b) for a, b in zip(edges[:-1], edges[1:]))
    assert _siegert_integral(y_th, y_th - d) == pytest.approx(ref, rel=1e-11)


def test_diffusion_rate_tends_to_the_noiseless_rate():
    I = np.array([0.5, 1.9, 2.1, 3.0, 10.0, 100.0])
    np.testing.assert_allclose(theory.lif_rate_diffusion(I, 1e-4), theory.lif_rate(I), rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(theory.lif_rate_diffusion(I, 0.0), theory.lif_rate(I))
    np.testing.assert_array_equal(theory.lif_rate_diffusion(I, 0.0, on_grid=True), theory.lif_rate_on_grid(I))
    # noise raises the rate below the rheobase and changes it little far above
    r = theory.lif_rate_diffusion([1.5, 20.0], 0.3)
    assert r[0] > 1.0 and abs(r[1] / theory.lif_rate(20.0) - 1) < 1e-3
    with pytest.raises(ValueError, match="sigma"):
        theory.lif_rate_diffusion(1.0, -0.1)
    with pytest.raises(ValueError, match="scalar"):
        theory.lif_rate_diffusion(1.0, 0.1, tau_m=np.array([8.0, 9.0]))


def test_simulated_noisy_rates_match_the_diffusion_approximation_on_the_grid():
    I = np.array([1.5, 1.8, 2.0, 2.2, 3.0])
    n, duration = 200, 1000.0
    for sigma in (0.1, 0.3):
        sim = analysis.noisy_fi_curve(I, sigma, n=n, duration=duration, seed=11)
        grid = theory.lif_rate_diffusion(I, sigma, on_grid=True)
        plain = theory.lif_rate_diffusion(I, sigma)
        err = np.sqrt(np.maximum(grid, 0.5) / (n * duration * 1e-3))  # Poisson-like standard error
        assert np.all(np.abs(sim - grid) <= 4 * err + 0.005 * grid), (sigma, sim, grid)
        # without the grid correction the formula is off by much more where the rate is low
        low = (grid > 1.0) & (grid < 30.0)
        assert low.any() and np.all(plain[low] - sim[low] > 3 * err[low]), (sigma, sim, plain)


def test_noisy_fi_curve_input_checks_and_shape():
    assert analysis.noisy_fi_curve(3.0, 0.0, n=3, duration=50.0, warmup=0.0) == pytest.approx(
        theory.lif_rate_on_grid(3.0), rel=0.1)
    with pytest.raises(ValueError, match="currents"):
        analysis.noisy_fi_curve([], 0.1)
    with pytest.raises(ValueError, match="sigma"):
        analysis.white_noise(1.0, -1.0, 10)
