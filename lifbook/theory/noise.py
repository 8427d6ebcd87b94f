"""Noise: the diffusion approximation of a LIF neuron under white noise (Siegert / Ricciardi rate,
ISI coefficient of variation) and shot noise from Poisson input (Campbell's theorem).

Brunel & Hakim (1999), Brunel (2000), Tuckwell (1988). Units: ms, mV, nA, Hz.
"""
from __future__ import annotations

import math

import numpy as np

from .. import validate
from ..params import CLIFParams, ELIFParams
from ._common import _integrate, _no_synaptic_filter, _out, _params, _scalar_params
from .eif import _F, eif_rate
from .lif import lif_rate, lif_rate_on_grid

__all__ = ["lif_rate_diffusion", "DISCRETE_BARRIER_SHIFT", "isi_cv_diffusion", "shot_noise", "eif_rate_diffusion",
           "lif_cv_diffusion"]

# -zeta(1/2) / sqrt(2 pi) (Broadie, Glasserman & Kou 1997); its doc comment is on the public name in __init__.py.
DISCRETE_BARRIER_SHIFT = 1.4603545088095868 / np.sqrt(2.0 * np.pi)


def lif_rate_diffusion(I, sigma, params: CLIFParams | None = None, *, on_grid: bool = False, **overrides):
    """Stationary rate (Hz) of a LIF neuron driven by white noise: the diffusion approximation.

    The input current is ``I + sigma sqrt(tau_m) xi(t)``, with mean ``I`` and noise amplitude
    ``sigma`` in nA and ``xi`` Gaussian white noise, so that
    ``tau_m du/dt = -(u - u_rest) + R I + R sigma sqrt(tau_m) xi(t)``: between spikes ``u`` is an
    Ornstein-Uhlenbeck process with mean ``u_rest + R I`` and standard deviation
    ``R sigma / sqrt(2)``. (Brunel & Hakim 1999 and Brunel 2000 write the same model with
    ``mu = R I`` and ``sigma_V = R sigma`` in mV.) The mean first-passage time from ``u_reset`` to ``u_th`` gives
    the Siegert / Ricciardi formula::

        1/f = t_ref + tau_m sqrt(pi) int_{y_r}^{y_th} exp(x^2) (1 + erf x) dx,
        y_th = (u_th - u_rest - R I) / (R sigma),  y_r = (u_reset - u_rest - R I) / (R sigma),

    evaluated as ``int_0^inf exp(-s^2) (exp(2 y_th s) - exp(2 y_r s)) / s ds``, which is free of
    overflow and cancellation. ``sigma = 0`` gives :func:`lif_rate`.

    ``on_grid=True`` gives the rate of lifbook's simulation with white noise on a grid of
    ``dt`` (:func:`lifbook.inputs.white_noise`): the threshold is checked only at the end of
    each step, which acts like a threshold raised by ``0.5826 R sigma sqrt(dt/tau_m)``
    (:data:`DISCRETE_BARRIER_SHIFT` times the standard deviation of the potential's noise over
    one step; Broadie, Glasserman & Kou 1997), and the refractory time is ``round(t_ref/dt) dt``
    (``sigma = 0``: :func:`lif_rate_on_grid`). The correction is first order in
    ``sqrt(dt/tau_m)``; for weak noise above the rheobase the deterministic grid delay of
    :func:`lif_rate_on_grid` (half a step per interval on average) dominates instead.

    For synaptically filtered (coloured) noise the formula holds to first order in
    ``sqrt(tau_syn/tau_m)`` with both thresholds shifted (Fourcaud & Brunel 2002); that is not
    applied here. Scalar parameters only; ``I`` and ``sigma`` broadcast.

    Examples
    --------
    Below the rheobase (2 nA with the defaults) the neuron is silent without noise; noise makes it fire:

    >>> from lifbook import theory
    >>> theory.lif_rate(1.8), round(theory.lif_rate_diffusion(1.8, 0.2), 2)
    (0.0, 17.49)
    """
    p = _params(params, CLIFParams, overrides)
    _scalar_params(p, ("tau_m", "u_rest", "u_reset", "u_th", "R", "t_ref"), "lif_rate_diffusion")
    I_arr, s_arr = np.broadcast_arrays(np.asarray(I, dtype=np.float64), np.asarray(sigma, dtype=np.float64))
    if np.any(s_arr < 0):
        raise ValueError(f"sigma: must be >= 0 nA, got {sigma!r}")
    shift = DISCRETE_BARRIER_SHIFT * np.sqrt(p.dt / p.tau_m) if on_grid else 0.0
    t_ref = p.n_ref * p.dt if on_grid else p.t_ref
    out = np.empty(I_arr.shape)
    for idx in np.ndindex(I_arr.shape):
        i, s = float(I_arr[idx]), float(p.R * s_arr[idx])  # s: noise of the potential, mV
        if s == 0.0:
            out[idx] = lif_rate_on_grid(i, p) if on_grid else lif_rate(i, p)
            continue
        mu = p.R * i
        y_th = (p.u_th - p.u_rest - mu) / s + shift
        y_r = (p.u_reset - p.u_rest - mu) / s
        out[idx] = _siegert_rate(y_th, y_r, p.tau_m, t_ref)
    return _out(out)


_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)


def _siegert_integral(y_th: float, y_r: float) -> float:
    """``int_0^inf exp(-s^2) (exp(2 y_th s) - exp(2 y_r s)) / s ds`` for ``y_r < y_th <= 26``.

    The integrand, written as ``exp(-s^2 + 2 y_th s) (1 - exp(-2 (y_th - y_r) s)) / s``, is entire
    and never overflows (its exponent peaks at ``y_th^2``). It varies on the scale
    ``1/(2|y_th| + 2 (y_th - y_r))`` near 0 and is a Gaussian of width ~1 around ``max(y_th, 0)``,
    so composite 16-point Gauss-Legendre on panels that double in width from that small scale up
    to 1 and then have unit width resolves it; the cut-off leaves out less than ``1e-60`` of it.
    Agrees with adaptive Gauss-Kronrod to ~1e-14 (tests/test_theory_noise.py).
    """
    d = y_th - y_r
    top = max(y_th, 0.0) + 12.0
    if y_th < -1.0:
        top = min(top, 70.0 / -y_th)
    small = 1e-2 / (1.0 + 2.0 * abs(y_th) + 2.0 * d)
    geo = small * 2.0 ** np.arange(60)
    edges = np.unique(np.concatenate([[0.0], geo[geo < min(1.0, top)], np.arange(1.0, np.ceil(top)), [top]]))
    edges = edges[edges <= top]
    lo, hi = edges[:-1, None], edges[1:, None]
    s = 0.5 * (hi + lo) + 0.5 * (hi - lo) * _GL_X
    g = np.exp(-s * s + 2.0 * y_th * s) * -np.expm1(-2.0 * d * s) / s
    return float(np.sum(0.5 * (hi - lo) * _GL_W * g))


def _siegert_rate(y_th: float, y_r: float, tau_m: float, t_ref: float) -> float:
    """``1e3 / (t_ref + tau_m * _siegert_integral(y_th, y_r))`` in Hz."""
    if y_th > 26.0:  # exp(y_th^2) > 1e293: the rate is below 1e-280 Hz
        return 0.0
    return 1e3 / (t_ref + tau_m * _siegert_integral(y_th, y_r))


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

    Examples
    --------
    1000 sources at 10 Hz, 0.1 mV each, into a delta port (``tau_m = 20`` ms):

    >>> from lifbook import theory
    >>> th = theory.shot_noise(10.0, 0.1, n_sources=1000)
    >>> round(th["mean_u"], 6), round(th["var_u"], 6)
    (20.0, 1.0)
    """
    rate = validate.real_number("rate", rate, "Hz", 0.0)
    w = validate.real_number("weight", weight, "mV")
    n_sources = validate.int_at_least("n_sources", n_sources, 1)
    tau_syn = validate.real_number("tau_syn", tau_syn, "ms", 0.0)
    tau_m = validate.real_number("tau_m", tau_m, "ms", 0.0, strict=True)
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

    Examples
    --------
    >>> from lifbook import theory
    >>> round(theory.isi_cv_diffusion(15.0, 3.0), 3)   # mean input 5 mV below threshold: irregular
    0.907
    """
    mu = validate.real_number("mu", mu, "mV")
    sigma = validate.real_number("sigma", sigma, "mV", 0.0, strict=True)
    y_th = (theta - u_rest - mu) / sigma
    y_r = (V_r - u_rest - mu) / sigma
    if y_th > 6.0:
        return 1.0
    nu = _siegert_rate(y_th, y_r, tau_m, t_ref) * 1e-3  # 1/ms: the rate of siegert_rate
    inner = np.vectorize(_cv_inner, otypes=[np.float64])
    outer = _integrate(inner, y_r, y_th, rtol=1e-9)
    return math.sqrt(2.0 * math.pi * (nu * tau_m) ** 2 * outer)


# -- Irregular firing: the EIF under white noise, the LIF's ISI CV (chapter 7) ----------------------------------
def _threshold_integration(drift, D: float, u_th: float, u_reset: float, u_lb: float, t_ref: float,
                           h: float) -> float:
    """Stationary rate (Hz) of ``du/dt = drift(u) + sqrt(2 D) xi(t)`` with threshold, reset and refractoriness.

    Richardson's (2007) threshold integration of the stationary Fokker-Planck equation: with
    the flux ``J = drift P - D dP/du`` equal to the rate ``nu`` between ``u_reset`` and ``u_th``
    and 0 below ``u_reset``, and ``P(u_th) = 0``, the density per unit rate ``p = P / nu`` obeys
    ``dp/du = (drift p - j) / D`` and is integrated from ``u_th`` down to ``u_lb``; then
    ``1/nu = t_ref + int p du``. On each step of ``h`` (mV) the drift is taken at the step's
    midpoint and the linear equation solved exactly (an exponential integrator: stable for any
    drift, second order in ``h``). ``drift`` (mV/ms) is a vectorised function of ``u`` (mV);
    ``D`` in mV^2/ms, times in ms.
    """
    n_up = max(1, int(np.ceil((u_th - u_reset) / h)))
    n_lo = max(1, int(np.ceil((u_reset - u_lb) / h)))
    # grid from u_th down to u_lb with u_reset on a node
    u = np.concatenate([np.linspace(u_th, u_reset, n_up + 1), np.linspace(u_reset, u_lb, n_lo + 1)[1:]])
    steps = -np.diff(u)  # > 0
    mid = 0.5 * (u[:-1] + u[1:])
    G = np.asarray(drift(mid), dtype=np.float64) / D  # 1/mV
    x = G * steps
    a = np.exp(np.clip(-x, -700.0, 700.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(np.abs(x) > 1e-8, -np.expm1(np.clip(-x, -700.0, 700.0)) / np.where(x == 0, 1.0, G), steps)
    j = np.zeros(x.size)
    j[:n_up] = 1.0 / D  # flux per unit rate over D, between u_reset and u_th
    b = j * e
    p = 0.0
    total = 0.0
    for k in range(x.size):  # backwards in u: p(u_k+1) = a p(u_k) + b; trapezoid for int p
        q = a[k] * p + b[k]
        total += 0.5 * (p + q) * steps[k]
        p = q
    return 1e3 / (t_ref + total)


def eif_rate_diffusion(I, sigma, params: ELIFParams | None = None, *, h: float = 0.01, **overrides):
    """Stationary rate (Hz) of an EIF neuron driven by white noise (the diffusion approximation).

    The input current is ``I + sigma sqrt(tau_m) xi(t)`` (``I``, ``sigma`` in nA), as in
    :func:`lif_rate_diffusion` and :func:`lifbook.analysis.white_noise`:
    ``tau_m du/dt = F(u) + R I + R sigma sqrt(tau_m) xi(t)`` with the EIF's ``F`` (eq. of
    Fourcaud-Trocme et al. 2003), threshold at the cut-off ``u_th``, reset to ``u_reset`` and
    ``t_ref`` (ms) refractoriness. There is no closed form: the stationary Fokker-Planck equation
    is solved by threshold integration (Richardson 2007) on a grid of ``h`` mV, from ``u_th``
    down to 10 standard deviations of the free potential below ``min(u_reset, u_rest + R I)``.
    The error is second order in ``h``; at the default ``h = 0.01`` mV the rate is within 1e-4
    (relative) of the converged value, and the same integration with the LIF's drift reproduces
    :func:`lif_rate_diffusion` to 1e-4 (both checked by the test suite). A small ``delta_T`` needs
    a finer grid (``h`` of about ``delta_T / 50``). ``sigma = 0`` gives
    :func:`eif_rate` (from rest). Continuous time: a simulation on a grid of ``dt`` differs by
    its integration error. Scalar parameters only; ``I`` and ``sigma`` broadcast.
    """
    p = _params(params, ELIFParams, overrides)
    _scalar_params(p, ("tau_m", "u_rest", "u_reset", "u_th", "R", "t_ref", "theta_rh", "delta_T"),
                   "eif_rate_diffusion")
    if not (isinstance(h, (int, float)) and 0 < h <= 0.5):
        raise ValueError(f"h: the grid spacing must be in (0, 0.5] mV, got {h!r}")
    I_arr, s_arr = np.broadcast_arrays(np.asarray(I, dtype=np.float64), np.asarray(sigma, dtype=np.float64))
    if np.any(s_arr < 0) or not np.all(np.isfinite(s_arr)):
        raise ValueError(f"sigma: must be finite and >= 0 nA, got {sigma!r}")
    if not np.all(np.isfinite(I_arr)):
        raise ValueError(f"I: must be finite (nA), got {I!r}")
    out = np.empty(I_arr.shape)
    for idx in np.ndindex(I_arr.shape):
        i, s = float(I_arr[idx]), float(p.R * s_arr[idx])  # s: noise of the potential (mV), std s/sqrt(2)
        if s == 0.0:
            out[idx] = float(eif_rate(i, p))
            continue
        D = s * s / (2.0 * p.tau_m)
        u_lb = min(p.u_reset, p.u_rest + p.R * i) - 10.0 * s
        out[idx] = _threshold_integration(lambda u: _F(u, i, p) / p.tau_m, D, p.u_th, p.u_reset, u_lb, p.t_ref, h)
    return _out(out)


def lif_cv_diffusion(I, sigma, params: CLIFParams | None = None, *, on_grid: bool = False, **overrides):
    """Coefficient of variation of the interspike intervals of a LIF neuron under white noise.

    Input as in :func:`lif_rate_diffusion` (mean ``I``, noise amplitude ``sigma``, nA): the
    second moment of the first-passage time (:func:`isi_cv_diffusion`,
    Brunel 2000 appendix A.1) with ``mu = R I`` and ``sigma_V = R sigma`` (mV), threshold and
    reset measured from ``u_rest``. ``on_grid=True``: for lifbook's simulation on a grid of
    ``dt``, the threshold raised by :data:`DISCRETE_BARRIER_SHIFT` ``R sigma sqrt(dt/tau_m)`` and
    ``t_ref`` rounded to whole steps, as in :func:`lif_rate_diffusion`. ``sigma = 0``: 0 above the
    rheobase (regular firing), NaN below (no intervals). Scalar parameters; ``I`` and ``sigma``
    broadcast.
    """
    p = _params(params, CLIFParams, overrides)
    _scalar_params(p, ("tau_m", "u_rest", "u_reset", "u_th", "R", "t_ref"), "lif_cv_diffusion")
    _no_synaptic_filter(p, "lif_cv_diffusion")
    I_arr, s_arr = np.broadcast_arrays(np.asarray(I, dtype=np.float64), np.asarray(sigma, dtype=np.float64))
    if np.any(s_arr < 0) or not np.all(np.isfinite(s_arr)):
        raise ValueError(f"sigma: must be finite and >= 0 nA, got {sigma!r}")
    if not np.all(np.isfinite(I_arr)):
        raise ValueError(f"I: must be finite (nA), got {I!r}")
    t_ref = p.n_ref * p.dt if on_grid else p.t_ref
    out = np.empty(I_arr.shape)
    for idx in np.ndindex(I_arr.shape):
        i, s = float(I_arr[idx]), float(p.R * s_arr[idx])
        if s == 0.0:
            out[idx] = 0.0 if p.R * i > p.u_th - p.u_rest else np.nan
            continue
        shift = DISCRETE_BARRIER_SHIFT * np.sqrt(p.dt / p.tau_m) * s if on_grid else 0.0
        out[idx] = isi_cv_diffusion(p.R * i, s, tau_m=float(p.tau_m), theta=float(p.u_th - p.u_rest + shift),
                                    V_r=float(p.u_reset - p.u_rest), t_ref=float(t_ref))
    return _out(out)
