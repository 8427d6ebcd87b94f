"""Mean field: the stationary rate of a LIF neuron for a mean input and noise in mV (Siegert) and
the self-consistent rate of Brunel's (2000) sparse network, model A.

The diffusion approximation writes the input of a neuron as
``tau_m du/dt = -(u - u_rest) + mu + sigma sqrt(tau_m) xi(t)`` (``mu``, ``sigma`` in mV);
:func:`lifbook.theory.lif_rate_diffusion` is its stationary rate for a current input
(``mu = R I``, ``sigma = R sigma_I``), computed by the same Siegert integral. Units: ms, mV, Hz.
"""
from __future__ import annotations

import math

from .. import validate
from .noise import _siegert_rate

__all__ = ["siegert_rate", "brunel_mu_sigma", "brunel_rate"]


def siegert_rate(mu: float, sigma: float, *, tau_m: float = 20.0, theta: float = 20.0, V_r: float = 10.0,
                 t_ref: float = 2.0, u_rest: float = 0.0) -> float:
    """Stationary rate (Hz) of a LIF neuron with mean input ``mu`` and noise ``sigma`` (mV), white noise.

    ``1/nu = t_ref + tau_m sqrt(pi) int_{(V_r - u_rest - mu)/sigma}^{(theta - u_rest - mu)/sigma}
    exp(x^2) (1 + erf x) dx`` (Siegert 1951; Brunel 2000, eq. 21).

    Examples
    --------
    >>> from lifbook import theory
    >>> round(theory.siegert_rate(15.0, 3.0), 3)   # threshold 20 mV above rest
    2.288
    """
    mu = validate.real_number("mu", mu, "mV")
    sigma = validate.real_number("sigma", sigma, "mV", 0.0, strict=True)
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

    Examples
    --------
    The asynchronous irregular state of Brunel (2000), ``g = 5``, ``nu_ext = 2 nu_thr``:

    >>> from lifbook import theory
    >>> round(theory.brunel_rate(5.0, 2.0), 2)
    37.95
    """
    g = validate.real_number("g", g, "relative inhibition", 0.0)
    nu_ext_ratio = validate.real_number("nu_ext_ratio", nu_ext_ratio, "nu_ext / nu_thr", 0.0, strict=True)
    C_E = validate.int_at_least("C_E", C_E, 1)
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
