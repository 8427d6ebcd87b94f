"""Chapter 8's exercise checks: right answers pass, typical mistakes are named, non-answers are not errors."""
import numpy as np
import pytest

from lifbook import exercises as ex
from lifbook import network
from lifbook.network import theory as nt


def test_check_brunel_rate_against_mean_field_and_mistakes():
    nu = nt.brunel_rate(5.0, 2.0)
    assert ex.check_brunel_rate(nu * 1.1, 5.0, 2.0)
    assert not ex.check_brunel_rate(nu * 1.2, 5.0, 2.0)
    fb = ex.check_brunel_rate(20.0, 5.0, 2.0)  # nu_ext = 2 nu_thr = 20 Hz
    assert not fb and "external Poisson source" in fb.message
    fb = ex.check_brunel_rate(500.0, 5.0, 2.0)
    assert not fb and "1/t_ref" in fb.message
    fb = ex.check_brunel_rate(nu / 1e3, 5.0, 2.0)
    assert not fb and "per ms" in fb.message
    assert not ex.check_brunel_rate(..., 5.0, 2.0).answered
    assert not ex.check_brunel_rate(np.array([1.0, 2.0]), 5.0, 2.0)
    # model keywords reach the theory: C_E = 400, J = 0.25 (nu_thr stays 10 Hz)
    nu2 = nt.brunel_rate(5.0, 2.0, C_E=400, J=0.25)
    assert nu2 != pytest.approx(nu, rel=0.01)
    assert ex.check_brunel_rate(nu2, 5.0, 2.0, C_E=400, J=0.25)
    assert "external" in ex.check_brunel_rate(20.0, 5.0, 2.0, C_E=400, J=0.25).message


def test_check_balance_g():
    assert ex.check_balance_g(4.0)
    assert ex.check_balance_g(4, C_E=800, C_I=200)
    assert ex.check_balance_g(5.0, C_E=1000, C_I=200)
    fb = ex.check_balance_g(0.25)
    assert not fb and "gamma" in fb.message
    fb = ex.check_balance_g(5.0)
    assert not fb and "AI point" in fb.message
    assert not ex.check_balance_g("4").correct
    with pytest.raises(ValueError, match="C_E"):
        ex.check_balance_g(4.0, C_E=0)


def test_check_poisson_fed_cv():
    nu = nt.brunel_rate(5.0, 2.0)
    mu, sigma = nt.brunel_mu_sigma(nu, 5.0, 20.0)
    cv = nt.isi_cv_diffusion(mu, sigma)
    assert cv == pytest.approx(0.6753286, abs=1e-6)
    assert ex.check_poisson_fed_cv(0.642)  # the chapter's measurement
    assert not ex.check_poisson_fed_cv(0.44)  # the network's CV: recurrent input is not Poisson
    fb = ex.check_poisson_fed_cv(1.0)
    assert not fb and "Poisson process" in fb.message


def test_check_cuba_rate_reruns_the_seeded_network():
    rec = network.cuba(seed=3).run(200.0)
    rate = rec.mean_rate()
    assert ex.check_cuba_rate(rate, seed=3, duration=200.0)
    assert not ex.check_cuba_rate(rate * 1.05, seed=3, duration=200.0)
    fb = ex.check_cuba_rate(rate * 0.2, seed=3, duration=200.0)  # spikes per neuron in 200 ms
    assert not fb and "spikes per neuron" in fb.message
    assert not ex.check_cuba_rate(None, seed=3, duration=200.0).answered
