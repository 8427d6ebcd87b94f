"""Chapter 7 checks: the ISI CV under white noise and the variance of shot noise."""
import numpy as np

from lifbook import theory
from lifbook.exercises import check_isi_cv, check_membrane_variance


def test_check_isi_cv_accepts_the_theory_and_names_mistakes():
    cv = theory.lif_cv_diffusion(1.4, 0.6, on_grid=True)
    assert check_isi_cv(cv, 1.4, 0.6) and check_isi_cv(cv * 1.08, 1.4, 0.6)
    assert not check_isi_cv(cv * 1.2, 1.4, 0.6)
    assert "Poisson" in check_isi_cv(1.0, 1.4, 0.6).message
    assert "square root" in check_isi_cv(cv ** 2, 1.4, 0.6).message
    assert not check_isi_cv(..., 1.4, 0.6).answered
    assert "Poisson" not in check_isi_cv(1.0, 0.5, 0.3).message  # there the CV is about 1
    assert check_isi_cv(theory.lif_cv_diffusion(2.0, 0.4, on_grid=True, tau_m=10.0), 2.0, 0.4, tau_m=10.0)


def test_check_membrane_variance_campbell_and_mistakes():
    var = 800 * 10e-3 * 0.2 ** 2 * 8.0 / 2
    assert check_membrane_variance(var, 10.0, 0.2, n_sources=800)
    assert not check_membrane_variance(var * 1.05, 10.0, 0.2, n_sources=800)
    assert "twice" in check_membrane_variance(2 * var, 10.0, 0.2, n_sources=800).message
    assert "standard deviation" in check_membrane_variance(np.sqrt(var), 10.0, 0.2, n_sources=800).message
    assert "mean" in check_membrane_variance(800 * 10e-3 * 0.2 * 8.0, 10.0, 0.2, n_sources=800).message
    assert "w^2" in check_membrane_variance(var / 0.2, 10.0, 0.2, n_sources=800).message
    # exponential port: lambda w^2 tau_s^2 / (2 (tau_s + tau_m))
    lam = 1000 * 5e-3
    assert check_membrane_variance(lam * 0.5 ** 2 * 25.0 / (2 * 25.0), 5.0, 0.5, n_sources=1000, tau_m=20.0,
                                   tau_syn=5.0)


def test_check_dead_time_cv():
    from lifbook.exercises import check_dead_time_cv
    import pytest
    assert check_dead_time_cv(0.9, 50.0, 2.0) and not check_dead_time_cv(0.95, 50.0, 2.0)
    assert "without the dead time" in check_dead_time_cv(1.0, 50.0, 2.0).message
    assert "squared" in check_dead_time_cv(0.81, 50.0, 2.0).message
    assert "whole interval" in check_dead_time_cv(1 / 0.9, 50.0, 2.0).message
    assert not check_dead_time_cv(..., 50.0, 2.0).answered
    with pytest.raises(ValueError, match="rate"):
        check_dead_time_cv(0.5, 600.0, 2.0)
