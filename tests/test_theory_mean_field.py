"""lifbook.theory.mean_field: the Siegert rate for an input in mV, the input statistics of Brunel's
model A and its self-consistent rate, against lifbook.theory.noise and the formulas written out.

(The mean field against network simulations: tests/test_network.py.)
"""
import math

import numpy as np
import pytest

from lifbook import CLIFParams, theory


@pytest.mark.parametrize("mu, sigma", [(15.0, 3.0), (21.0, 7.7), (25.0, 1.0), (5.0, 10.0)])
def test_siegert_rate_is_the_diffusion_rate_of_a_unit_resistance_neuron(mu, sigma):
    # siegert_rate(mu, sigma) in mV is lif_rate_diffusion(I = mu, sigma_I = sigma) with R = 1 MOhm
    p = CLIFParams(tau_m=20.0, u_rest=0.0, u_reset=10.0, u_th=20.0, R=1.0, t_ref=2.0)
    expected = float(theory.lif_rate_diffusion(mu, sigma, params=p))
    assert theory.siegert_rate(mu, sigma) == pytest.approx(expected, rel=1e-12)
    # a shifted resting potential shifts threshold and reset with it
    shifted = theory.siegert_rate(mu, sigma, theta=-50.0, V_r=-60.0, u_rest=-70.0)
    assert shifted == pytest.approx(theory.siegert_rate(mu, sigma), rel=1e-12)


def test_brunel_mu_sigma_follows_brunel_2000_eqs_4_and_5():
    nu, g, nu_ext = 30.0, 5.0, 15.0  # Hz
    mu, sigma = theory.brunel_mu_sigma(nu, g, nu_ext, C_E=800, gamma=0.25, J=0.2, tau_m=10.0)
    tau = 10.0e-3  # s
    assert mu == pytest.approx(800 * 0.2 * tau * (nu_ext + nu * (1 - g * 0.25)), rel=1e-14)
    assert sigma == pytest.approx(math.sqrt(0.2 ** 2 * 800 * tau * (nu_ext + nu * (1 + g * g * 0.25))), rel=1e-14)
    # without recurrent activity only the external drive is left: nu_ext = nu_thr gives mu = theta = 20 mV
    nu_thr = 20.0 / (0.1 * 1000 * 20e-3)
    assert theory.brunel_mu_sigma(0.0, g, nu_thr)[0] == pytest.approx(20.0, rel=1e-14)


def test_brunel_rate_is_self_consistent_and_falls_with_inhibition():
    nu = theory.brunel_rate(5.0, 2.0)
    assert nu == pytest.approx(37.95, abs=0.005)  # Brunel (2000), model A, AI state
    nu_ext = 2.0 * 20.0 / (0.1 * 1000 * 20e-3)
    mu, sigma = theory.brunel_mu_sigma(nu, 5.0, nu_ext)
    assert theory.siegert_rate(mu, sigma) == pytest.approx(nu, rel=1e-8)  # nu = phi(mu(nu), sigma(nu))
    rates = [theory.brunel_rate(g, 2.0) for g in (4.5, 5.0, 6.0, 8.0)]
    assert np.all(np.diff(rates) < 0), rates
    # C_E and gamma enter through mu and sigma: the reduced network's rate solves its own equation
    nu_small = theory.brunel_rate(5.0, 2.0, C_E=200)
    mu_s, sigma_s = theory.brunel_mu_sigma(nu_small, 5.0, 2.0 * 20.0 / (0.1 * 200 * 20e-3), C_E=200)
    assert theory.siegert_rate(mu_s, sigma_s) == pytest.approx(nu_small, rel=1e-8)


def test_mean_field_errors_name_the_parameter():
    with pytest.raises(ValueError, match="sigma: must be > 0 mV"):
        theory.siegert_rate(10.0, 0.0)
    with pytest.raises(TypeError, match="mu: expected a real number"):
        theory.siegert_rate("10", 1.0)
    with pytest.raises(ValueError, match="mu: must be finite"):
        theory.siegert_rate(math.nan, 1.0)
    with pytest.raises(ValueError, match="C_E: expected an int >= 1"):
        theory.brunel_rate(5.0, 2.0, C_E=0)
    with pytest.raises(ValueError, match="g: must be >= 0"):
        theory.brunel_rate(-1.0, 2.0)
