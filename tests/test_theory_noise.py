"""lifbook.theory.noise: the diffusion approximation (Siegert rate, on the grid and off it, ISI CV)
against direct quadrature, the noiseless limit and simulations with white noise."""
import math

import numpy as np
import pytest

from lifbook import CLIFParams, ELIFParams, analysis, theory
from lifbook.theory.noise import _threshold_integration


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


# -- ISI coefficient of variation -------------------------------------------------------------------
def test_isi_cv_diffusion_limits():
    # strongly suprathreshold, weak noise: nearly regular; far below threshold: Poisson-like
    assert theory.isi_cv_diffusion(60.0, 0.5) < 0.05
    assert theory.isi_cv_diffusion(0.0, 4.0) == pytest.approx(1.0, abs=1e-6)
    assert theory.isi_cv_diffusion(15.0, 3.0) == pytest.approx(0.90728, abs=1e-4)
    # agrees with an independent evaluation (scipy, erfcx) at Brunel's AI point: 0.6753286
    assert theory.isi_cv_diffusion(21.025151456378808, 7.682907052444502) == pytest.approx(0.6753286, abs=1e-6)


# -- the EIF under white noise (threshold integration) and the LIF's ISI CV (chapter 7) --
@pytest.mark.parametrize("I, sigma", [(1.5, 0.4), (2.5, 0.2), (1.0, 0.8), (3.0, 0.05)])
def test_threshold_integration_with_the_lif_drift_reproduces_siegert(I, sigma):
    p = CLIFParams()
    s = p.R * sigma
    D = s * s / (2 * p.tau_m)
    rate = _threshold_integration(lambda u: (-(u - p.u_rest) + p.R * I) / p.tau_m, D, p.u_th, p.u_reset,
                                  min(p.u_reset, p.u_rest + p.R * I) - 10 * s, p.t_ref, 0.01)
    assert rate == pytest.approx(theory.lif_rate_diffusion(I, sigma), rel=1e-4)


def test_eif_rate_diffusion_converges_in_h_and_tends_to_the_deterministic_rate():
    r = [theory.eif_rate_diffusion(0.3, 0.2, h=h) for h in (0.04, 0.02, 0.01, 0.005)]
    d = np.abs(np.diff(r))
    assert d[1] < d[0] / 3 and d[2] < d[1] / 3  # second order in h
    assert abs(r[2] - r[3]) < 1e-4 * r[3]
    for I in (0.5, 0.8):
        assert theory.eif_rate_diffusion(I, 1e-3) == pytest.approx(theory.eif_rate(I), rel=1e-4)
    assert theory.eif_rate_diffusion(0.5, 0.0) == theory.eif_rate(0.5)
    assert theory.eif_rate_diffusion(0.0, 0.0) == 0.0


def test_eif_rate_diffusion_shape_and_monotonicity():
    I = np.linspace(0.0, 0.8, 9)
    f = theory.eif_rate_diffusion(I, 0.2)
    assert f.shape == (9,) and np.all(np.diff(f) > 0) and f[0] > 0  # noise makes it fire below the rheobase
    assert theory.eif_rate_diffusion(0.3, [0.1, 0.2, 0.4]).shape == (3,)
    # the noisier, the higher the rate below the rheobase (0.4 nA)
    assert np.all(np.diff(theory.eif_rate_diffusion(0.3, [0.1, 0.2, 0.4])) > 0)


def test_eif_rate_diffusion_against_simulation():
    """400 ELIF neurons for 2 s at dt = 0.02 ms: within 4 standard errors of the count plus 2% (integrator)."""
    p = ELIFParams(dt=0.02)
    f_sim = analysis.noisy_fi_curve([0.3, 0.5], 0.2, n=400, duration=2000.0, warmup=100.0, params=p,
                                    model="ELIF", seed=3)
    f_th = theory.eif_rate_diffusion([0.3, 0.5], 0.2, p)
    err = 4 * np.sqrt(f_th / (400 * 2.0)) + 0.02 * f_th
    assert np.all(np.abs(f_sim - f_th) < err), (f_sim, f_th)


def test_eif_rate_diffusion_rejects_bad_input():
    with pytest.raises(ValueError, match="sigma"):
        theory.eif_rate_diffusion(0.3, -0.1)
    with pytest.raises(ValueError, match="h"):
        theory.eif_rate_diffusion(0.3, 0.1, h=0.0)
    with pytest.raises(ValueError, match="I"):
        theory.eif_rate_diffusion(np.nan, 0.1)
    with pytest.raises(TypeError, match="ELIFParams"):
        theory.eif_rate_diffusion(0.3, 0.1, CLIFParams())


def test_lif_cv_diffusion_matches_the_network_form_and_the_limits():
    p = CLIFParams()
    cv = theory.lif_cv_diffusion(1.8, 0.4)
    assert cv == pytest.approx(theory.isi_cv_diffusion(18.0, 4.0, tau_m=8.0, theta=20.0, V_r=5.0, t_ref=2.0))
    # strongly mean-driven: regular; strongly subthreshold: Poisson
    assert theory.lif_cv_diffusion(4.0, 0.05) < 0.05
    assert theory.lif_cv_diffusion(0.5, 0.3) == pytest.approx(1.0, abs=0.02)
    assert theory.lif_cv_diffusion(3.0, 0.0) == 0.0 and np.isnan(theory.lif_cv_diffusion(1.0, 0.0))
    # the grid raises the effective threshold: a little more irregular at the same input
    assert theory.lif_cv_diffusion(1.4, 0.6, on_grid=True) > theory.lif_cv_diffusion(1.4, 0.6)
    assert theory.lif_cv_diffusion([1.4, 2.0], 0.4).shape == (2,)
    with pytest.raises(ValueError, match="sigma"):
        theory.lif_cv_diffusion(1.0, -1.0)
    with pytest.raises(ValueError, match="tau_syn"):
        theory.lif_cv_diffusion(1.0, 0.4, tau_syn=5.0)
    assert p.u_th == -50.0


def test_lif_cv_diffusion_against_simulation():
    """200 CLIF neurons for 4 s: the pooled CV within 6% of the theory on the grid."""
    from lifbook import CLIFPopulation
    for I, sigma in ((1.4, 0.6), (2.6, 0.2)):
        x = analysis.white_noise(I, sigma, 40000, 200, seed=5)
        rec = CLIFPopulation(n=200).run(x, record=("spikes",))
        t, j = rec.spike_events()
        keep = t > 100.0
        isi = np.concatenate(analysis.isi_intervals(t[keep], j[keep], 200))
        assert isi.std() / isi.mean() == pytest.approx(theory.lif_cv_diffusion(I, sigma, on_grid=True), rel=0.06)


def test_noisy_fi_curve_model_choice():
    with pytest.raises(ValueError, match="model"):
        analysis.noisy_fi_curve([0.3], 0.2, n=2, duration=10.0, model="AdEx")
    with pytest.raises(TypeError, match="ELIFParams"):
        analysis.noisy_fi_curve([0.3], 0.2, n=2, duration=10.0, model="ELIF", params=CLIFParams())
    a = analysis.noisy_fi_curve([0.5], 0.2, n=20, duration=200.0, model="ELIF", seed=1)
    b = analysis.noisy_fi_curve([0.5], 0.2, n=20, duration=200.0, model="ELIF", seed=1)
    assert a == b and a > 0
