"""Chapter 7 theory: the EIF under white noise (threshold integration) and the LIF's ISI CV."""
import numpy as np
import pytest

from lifbook import CLIFParams, ELIFParams, analysis, theory
from lifbook.network import theory as ntheory
from lifbook.theory import _threshold_integration


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
    assert cv == pytest.approx(ntheory.isi_cv_diffusion(18.0, 4.0, tau_m=8.0, theta=20.0, V_r=5.0, t_ref=2.0))
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
