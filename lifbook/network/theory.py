"""Theory for networks: Brunel's mean-field rate, shot noise (Campbell's theorem), the ISI CV under white noise.

Units: ms, mV, Hz. The diffusion approximation writes the input of a neuron as
``tau_m du/dt = -(u - u_rest) + mu + sigma sqrt(tau_m) xi(t)`` (``mu``, ``sigma`` in mV);
:func:`lifbook.theory.lif_rate_diffusion` is its stationary rate for a current input
(``mu = R I``, ``sigma = R sigma_I``), computed here by the same Siegert integral.
"""
from __future__ import annotations

import math

import numpy as np

from ..theory import _siegert_rate
from .core import _int, _real

__all__ = ["siegert_rate", "brunel_mu_sigma", "brunel_rate", "shot_noise", "isi_cv_diffusion"]


def siegert_rate(mu: float, sigma: float, *, tau_m: float = 20.0, theta: float = 20.0, V_r: float = 10.0,
                 t_ref: float = 2.0, u_rest: float = 0.0) -> float:
    """Stationary rate (Hz) of a LIF neuron with mean input ``mu`` and noise ``sigma`` (mV), white noise.

    ``1/nu = t_ref + tau_m sqrt(pi) int_{(V_r - u_rest - mu)/sigma}^{(theta - u_rest - mu)/sigma}
    exp(x^2) (1 + erf x) dx`` (Siegert 1951; Brunel 2000, eq. 21).
    """
    mu = _real(mu, "mu", "mV")
    sigma = _real(sigma, "sigma", "mV", 0.0, strict=True)
    return _siegert_rate((theta - u_rest - mu) / sigma, (V_r - u_rest - mu) / sigma, tau_m, t_ref)


def brunel_mu_sigma(nu: float, g: float, nu_ext: float, *, C_E: int = 1000, gamma: float = 0.25, J: float = 0.1,
                    tau_m: float = 20.0) -> tuple[float, float]:
    """Mean and standard deviation (mV) of the input in Brunel's model A at network rate ``nu`` (Hz).

    ``mu = C_E J tau_m (nu_ext + nu (1 - g gamma))``, ``sigma^2 = J^2 C_E tau_m (nu_ext + nu (1 + g^2 gamma))``
    with ``gamma = C_I / C_E`` (Brunel 2000, eqs. 4-5; rates in Hz, ``tau_m`` in ms).
    """
    tau = tau_m * 1e-3
    mu = C_E * J * tau * (nu_ext + nu * (1.0 - g * gamma))
    var = J * J * C_E * tau * (nu_ext + nu * (1.0 + g * g * gamma))
    return mu, math.sqrt(var)


def brunel_rate(g: float = 5.0, nu_ext_ratio: float = 2.0, *, C_E: int = 1000, gamma: float = 0.25,
                J: float = 0.1, tau_m: float = 20.0, theta: float = 20.0, V_r: float = 10.0, t_ref: float = 2.0,
                tol: float = 1e-10) -> float:
    """Self-consistent rate (Hz) of Brunel's model A in the asynchronous irregular state.

    Solves ``nu = phi(mu(nu), sigma(nu))`` (:func:`siegert_rate` with :func:`brunel_mu_sigma`) by
    bisection on ``[0, 1000/t_ref]``; ``nu_ext = nu_ext_ratio * theta / (J C_E tau_m)``. For
    ``g gamma > 1`` (inhibition dominates) the right-hand side decreases with ``nu`` and the root
    is unique. The theory neglects the synaptic jumps' finite size (``J`` against
    ``theta - V_r``) and correlations between inputs (``C_E / N_E`` small).
    """
    g = _real(g, "g", "relative inhibition", 0.0)
    nu_ext_ratio = _real(nu_ext_ratio, "nu_ext_ratio", "nu_ext / nu_thr", 0.0, strict=True)
    C_E = _int(C_E, "C_E", 1)
    nu_ext = nu_ext_ratio * theta / (J * C_E * tau_m * 1e-3)

    def excess(nu):
        mu, sigma = brunel_mu_sigma(nu, g, nu_ext, C_E=C_E, gamma=gamma, J=J, tau_m=tau_m)
        return siegert_rate(mu, sigma, tau_m=tau_m, theta=theta, V_r=V_r, t_ref=t_ref) - nu

    lo, hi = 0.0, 1e3 / t_ref
    f_lo = excess(lo)
    if f_lo <= 0:
        return 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if excess(mid) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= tol * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def shot_noise(rate: float, weight: float, *, n_sources: int = 1, tau_syn: float = 0.0,
               tau_m: float = 20.0) -> dict:
    """Mean and variance of shot noise from Poisson input (Campbell's theorem), free membrane.

    ``n_sources`` Poisson trains of ``rate`` Hz, each spike of weight ``w`` (mV) on a port with
    ``tau_syn`` (ms), into ``tau_m du/dt = -(u - u_rest) + g`` without threshold. With total rate
    ``lambda = n_sources rate`` and the response ``h(t)`` to one spike, the stationary mean is
    ``lambda int h`` and the variance ``lambda int h^2``:

    * delta port (``tau_syn = 0``, ``h = w exp(-t/tau_m)``): mean ``lambda w tau_m``, variance
      ``lambda w^2 tau_m / 2``;
    * exponential port: the port variable ``g`` has mean ``lambda w tau_syn`` and variance
      ``lambda w^2 tau_syn / 2``; the potential ``u - u_rest`` has mean ``lambda w tau_syn`` and
      variance ``lambda w^2 tau_syn^2 / (2 (tau_syn + tau_m))``.

    Returns ``{"mean_u", "var_u", "mean_g", "var_g"}`` (mV, mV^2; ``g`` entries ``None`` for a
    delta port). Counts of input spikes in a window ``T`` are Poisson: mean = variance = ``lambda T``.
    """
    rate = _real(rate, "rate", "Hz", 0.0)
    w = _real(weight, "weight", "mV")
    n_sources = _int(n_sources, "n_sources", 1)
    tau_syn = _real(tau_syn, "tau_syn", "ms", 0.0)
    tau_m = _real(tau_m, "tau_m", "ms", 0.0, strict=True)
    lam = n_sources * rate * 1e-3  # per ms
    if tau_syn == 0.0:
        return {"mean_u": lam * w * tau_m, "var_u": lam * w * w * tau_m / 2.0, "mean_g": None, "var_g": None}
    return {"mean_u": lam * w * tau_syn, "var_u": lam * w * w * tau_syn ** 2 / (2.0 * (tau_syn + tau_m)),
            "mean_g": lam * w * tau_syn, "var_g": lam * w * w * tau_syn / 2.0}


def _erfcx(z: float) -> float:
    """Scaled complementary error function ``exp(z^2) erfc(z)`` for a float, without overflow for z >= 0."""
    if z < 0.0:
        return 2.0 * math.exp(z * z) - _erfcx(-z)
    if z < 25.0:
        return math.exp(z * z) * math.erfc(z)
    r = 1.0 / (z * z)  # asymptotic series, relative error below 1e-9 for z >= 25
    return (1.0 - 0.5 * r + 0.75 * r * r - 1.875 * r ** 3) / (z * math.sqrt(math.pi))


_erfcx_v = np.vectorize(_erfcx, otypes=[np.float64])


def _cv_inner(x: float) -> float:
    """``exp(x^2) int_{-inf}^{x} exp(y^2) (1 + erf y)^2 dy`` as ``int_0^inf erfcx(s - x)^2 exp(2 x s - s^2) ds``
    (``y = x - s``; finite for every ``x <= 10``, falling like ``1 / (2 pi |x|^3)`` for ``x -> -inf``)."""
    from ..theory import _integrate

    top = max(x, 0.0) + 10.0
    return _integrate(lambda s: _erfcx_v(s - x) ** 2 * np.exp(2.0 * x * s - s * s), 0.0, top, rtol=1e-10)


def isi_cv_diffusion(mu: float, sigma: float, *, tau_m: float = 20.0, theta: float = 20.0, V_r: float = 10.0,
                     t_ref: float = 2.0, u_rest: float = 0.0) -> float:
    """Coefficient of variation of the interspike intervals of a LIF neuron under white noise.

    Input as in :func:`siegert_rate` (mean ``mu``, noise ``sigma``, mV). From the second moment
    of the first-passage time (Brunel 2000, Appendix A.1; Tuckwell 1988)::

        CV^2 = 2 pi (nu tau_m)^2 int_{y_r}^{y_th} exp(x^2) dx int_{-inf}^{x} exp(y^2) (1 + erf y)^2 dy

    with ``nu`` the rate of :func:`siegert_rate` (refractory period included). Nested adaptive
    Gauss-Kronrod quadrature with the inner integral rewritten free of overflow. For ``y_th > 6``
    (rates below 1e-13 Hz for ``tau_m = 20`` ms) the output is a Poisson process: the CV is 1
    within 1e-8 (1 + 1.6e-8 at ``y_th = 5``) and 1.0 is returned.
    This is the CV for Poisson (white-noise) input; in a recurrent network whose neurons fire
    more regularly than Poisson, the input is less variable and the CV lower.
    """
    from ..theory import _integrate

    mu = _real(mu, "mu", "mV")
    sigma = _real(sigma, "sigma", "mV", 0.0, strict=True)
    y_th = (theta - u_rest - mu) / sigma
    y_r = (V_r - u_rest - mu) / sigma
    if y_th > 6.0:
        return 1.0
    nu = siegert_rate(mu, sigma, tau_m=tau_m, theta=theta, V_r=V_r, t_ref=t_ref, u_rest=u_rest) * 1e-3  # 1/ms
    inner = np.vectorize(_cv_inner, otypes=[np.float64])
    outer = _integrate(inner, y_r, y_th, rtol=1e-9)
    return math.sqrt(2.0 * math.pi * (nu * tau_m) ** 2 * outer)
