"""lifbook.theory.noise: the diffusion approximation (Siegert rate, on the grid and off it, ISI CV)
against direct quadrature, the noiseless limit and simulations with white noise."""
import math

import numpy as np
import pytest

from lifbook import CLIFParams, analysis, theory


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
