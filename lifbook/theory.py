"""Analytic results: LIF closed forms, EIF rheobase, fixed points and f-I curve (numerical).

Every function takes a parameter set (``params``, default: the model's defaults) and keyword
overrides, e.g. ``lif_rate(2.5, tau_m=10.0)``. Currents in nA, times in ms, rates in Hz.
Results follow Gerstner et al. (2014), *Neuronal Dynamics*, ch. 1.3 (LIF) and ch. 5.2 (EIF),
and Fourcaud-Trocme et al. (2003) for the exponential model.
"""
from __future__ import annotations

import numpy as np

from .params import CLIFParams, ELIFParams

__all__ = [
    "lif_subthreshold", "lif_rheobase", "lif_time_to_threshold", "lif_rate", "lif_rate_on_grid",
    "eif_rheobase", "eif_du_dt", "lif_du_dt", "eif_fixed_points", "eif_time_to_threshold", "eif_rate",
]


def _params(params, cls, overrides):
    if params is None:
        params = cls()
    if not isinstance(params, CLIFParams):
        raise TypeError(f"params: expected {cls.__name__}, got {type(params).__name__}")
    if cls is ELIFParams and not isinstance(params, ELIFParams):
        raise TypeError("params: the EIF results need ELIFParams (theta_rh, delta_T)")
    return params.replace(**overrides) if overrides else params


def _out(x):
    x = np.asarray(x, dtype=np.float64)
    return float(x) if x.ndim == 0 else x


# -- LIF --------------------------------------------------------------------------------------
def lif_subthreshold(t, I, u0=None, params: CLIFParams | None = None, **overrides):
    """Membrane potential under constant current ``I`` without threshold (mV).

    ``u(t) = u_rest + R I + (u0 - u_rest - R I) exp(-t / tau_m)``, ``u0`` defaulting to ``u_rest``.
    """
    p = _params(params, CLIFParams, overrides)
    u0 = p.u_rest if u0 is None else u0
    t = np.asarray(t, dtype=np.float64)
    u_inf = p.u_rest + p.R * np.asarray(I, dtype=np.float64)
    return _out(u_inf + (u0 - u_inf) * np.exp(-t / p.tau_m))


def lif_rheobase(params: CLIFParams | None = None, **overrides):
    """Smallest constant current that makes a LIF neuron fire: ``I_rh = (u_th - u_rest) / R`` (nA)."""
    p = _params(params, CLIFParams, overrides)
    return _out((np.asarray(p.u_th) - p.u_rest) / p.R)


def lif_time_to_threshold(I, params: CLIFParams | None = None, **overrides):
    """Time (ms) from ``u_reset`` to ``u_th`` under constant ``I``; ``inf`` at or below rheobase.

    ``T = tau_m ln((R I - (u_reset - u_rest)) / (R I - (u_th - u_rest)))``.
    """
    p = _params(params, CLIFParams, overrides)
    drive = np.asarray(p.R, dtype=np.float64) * np.asarray(I, dtype=np.float64)
    above = drive > (np.asarray(p.u_th) - p.u_rest)
    num = np.where(above, drive - (np.asarray(p.u_reset) - p.u_rest), 1.0)
    den = np.where(above, drive - (np.asarray(p.u_th) - p.u_rest), 1.0)
    return _out(np.where(above, p.tau_m * np.log(num / den), np.inf))


def lif_rate(I, params: CLIFParams | None = None, **overrides):
    """Stationary LIF firing rate (Hz) under constant current ``I`` (nA).

    ``f = 1 / (t_ref + tau_m ln((R I - (u_reset - u_rest)) / (R I - (u_th - u_rest))))`` above
    rheobase, 0 below; for ``u_reset = u_rest`` this is ``1/(t_ref + tau_m ln(RI/(RI - (u_th - u_rest))))``.
    """
    p = _params(params, CLIFParams, overrides)
    T = np.asarray(lif_time_to_threshold(I, p))
    return _out(np.where(np.isfinite(T), 1e3 / (p.t_ref + T), 0.0))


def lif_rate_on_grid(I, params: CLIFParams | None = None, **overrides):
    """Rate (Hz) that lifbook's exact integrator produces on a grid of ``dt``.

    A spike is registered at the first grid point at or after the threshold crossing, and the
    neuron is held for ``n_ref = round(t_ref/dt)`` steps, so the interspike interval is
    ``dt (n_ref + ceil(T / dt))`` with ``T`` from :func:`lif_time_to_threshold`. The difference
    to :func:`lif_rate` is the time grid's error: at most one step per interval.
    """
    p = _params(params, CLIFParams, overrides)
    T = np.asarray(lif_time_to_threshold(I, p))
    finite = np.isfinite(T)
    steps = np.where(finite, np.ceil(np.where(finite, T, 0.0) / p.dt), 0.0)
    isi = p.dt * (np.asarray(p.n_ref) + steps)
    return _out(np.where(finite, 1e3 / np.where(finite, isi, 1.0), 0.0))


def lif_du_dt(u, I, params: CLIFParams | None = None, **overrides):
    """Right-hand side ``du/dt = (-(u - u_rest) + R I) / tau_m`` (mV/ms)."""
    p = _params(params, CLIFParams, overrides)
    u = np.asarray(u, dtype=np.float64)
    return _out((-(u - p.u_rest) + p.R * np.asarray(I)) / p.tau_m)


# -- EIF --------------------------------------------------------------------------------------
def eif_rheobase(params: ELIFParams | None = None, **overrides):
    """EIF rheobase current (nA): ``I_rh = (theta_rh - u_rest - delta_T) / R``.

    ``F(u) = -(u - u_rest) + delta_T exp((u - theta_rh)/delta_T) + R I`` is convex with its
    minimum at ``u = theta_rh``, where ``F = R I - (theta_rh - u_rest - delta_T)``; the two fixed
    points merge and vanish when that minimum crosses 0 (a saddle-node bifurcation). Holds when
    the cut-off ``u_th`` lies above ``theta_rh`` (required by :class:`ELIFParams`).
    """
    p = _params(params, ELIFParams, overrides)
    return _out((np.asarray(p.theta_rh) - p.u_rest - p.delta_T) / p.R)


def eif_du_dt(u, I, params: ELIFParams | None = None, **overrides):
    """Right-hand side ``du/dt = F(u)/tau_m`` of the EIF model (mV/ms), exponent capped at 700."""
    p = _params(params, ELIFParams, overrides)
    u = np.asarray(u, dtype=np.float64)
    return _out(_F(u, np.asarray(I, dtype=np.float64), p) / p.tau_m)


def _F(u, I, p):
    arg = np.minimum((u - p.theta_rh) / p.delta_T, 700.0)
    return -(u - p.u_rest) + p.delta_T * np.exp(arg) + p.R * I


def eif_fixed_points(I, params: ELIFParams | None = None, **overrides):
    """Fixed points ``(u_stable, u_unstable)`` in mV of the EIF under constant ``I``.

    Below rheobase there are two, on either side of ``theta_rh``; at and above rheobase none
    (returned as NaN). Found by bisection to ~1e-12 mV (``F`` is convex with its minimum at
    ``theta_rh``).
    """
    p = _params(params, ELIFParams, overrides)
    I = np.asarray(I, dtype=np.float64)
    theta, dT = p.theta_rh, p.delta_T
    exists = _F(np.asarray(theta, dtype=np.float64), I, p) < 0
    # Stable root in [u_rest + R I - 1, theta]: F > 0 at the left end (see docstring of eif_rheobase).
    lo = np.minimum(p.u_rest + p.R * I - 1.0, theta - 1.0) + 0.0 * I
    hi = np.full(np.shape(I), theta, dtype=np.float64) + 0.0 * lo
    u_s = _bisect(lambda u: _F(u, I, p), lo, hi, decreasing=True)
    # Unstable root in [theta, theta + k dT]: F grows like exp, so k = 60 always brackets it
    # for finite parameters (|R I| bounded by lifbook's input limit).
    lo2 = hi.copy()
    hi2 = hi + 60.0 * dT + np.abs(p.u_rest + p.R * I - theta)
    u_u = _bisect(lambda u: _F(u, I, p), lo2, hi2, decreasing=False)
    return _out(np.where(exists, u_s, np.nan)), _out(np.where(exists, u_u, np.nan))


def _bisect(f, lo, hi, decreasing: bool, iters: int = 200):
    lo, hi = np.array(lo, dtype=np.float64), np.array(hi, dtype=np.float64)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        fm = f(mid)
        go_right = fm > 0 if decreasing else fm < 0
        lo = np.where(go_right, mid, lo)
        hi = np.where(go_right, hi, mid)
        if np.all(hi - lo <= 1e-13 * np.maximum(1.0, np.abs(hi))):
            break
    return 0.5 * (lo + hi)


# Gauss-Kronrod 7-15 nodes and weights on [-1, 1].
_XK = np.array([0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                0.207784955007898467600689403773245, 0.0])
_WK = np.array([0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                0.204432940075298892414161999234649, 0.209482141084727828012999174891714])
_WG = np.array([0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                0.381830050505118944950369775488975, 0.417959183673469387755102040816327])
_NODES = np.concatenate([-_XK[:-1], _XK[::-1]])
_WEIGHTS_K = np.concatenate([_WK[:-1], _WK[::-1]])
_WEIGHTS_G = np.zeros(15)
_WEIGHTS_G[[1, 3, 5, 7, 9, 11, 13]] = np.concatenate([_WG[:-1], _WG[::-1]])


def _integrate(f, a: float, b: float, rtol: float = 1e-11, max_intervals: int = 4000) -> float:
    """Adaptive Gauss-Kronrod (7-15) quadrature of a smooth scalar function on [a, b]."""
    intervals = [(a, b)]
    total = 0.0
    done = 0
    while intervals:
        lo, hi = intervals.pop()
        half, mid = 0.5 * (hi - lo), 0.5 * (hi + lo)
        fx = f(mid + half * _NODES)
        k = half * np.dot(_WEIGHTS_K, fx)
        g = half * np.dot(_WEIGHTS_G, fx)
        done += 1
        if abs(k - g) <= rtol * max(abs(k), 1e-300) * 0.1 or done > max_intervals or hi - lo < 1e-12:
            total += k
        else:
            intervals += [(lo, mid), (mid, hi)]
    return total


def eif_time_to_threshold(I, params: ELIFParams | None = None, **overrides):
    """Time (ms) from ``u_reset`` to the cut-off ``u_th`` under constant ``I``: ``tau_m int du / F(u)``.

    ``inf`` when ``F`` has a zero between ``u_reset`` and ``u_th`` (a fixed point blocks the way).
    Computed by adaptive Gauss-Kronrod quadrature to a relative accuracy of about 1e-10.
    """
    p = _params(params, ELIFParams, overrides)
    if not all(np.ndim(getattr(p, k)) == 0 for k in ("tau_m", "u_rest", "u_reset", "u_th", "R",
                                                        "theta_rh", "delta_T")):
        raise ValueError("params: eif_time_to_threshold needs scalar parameters (one neuron type)")
    I_arr = np.asarray(I, dtype=np.float64)
    out = np.empty(I_arr.shape)
    for idx, i in np.ndenumerate(I_arr):
        out[idx] = _eif_T(float(i), p)
    return _out(out)


def _eif_T(I: float, p: ELIFParams) -> float:
    a, b = p.u_reset, p.u_th
    # Minimum of F on [a, b]: at theta_rh if inside, else at the nearer end.
    u_min = min(max(p.theta_rh, a), b)
    if _F(np.float64(u_min), I, p) <= 0 or _F(np.float64(a), I, p) <= 0:
        return np.inf
    def g(u):
        return p.tau_m / _F(u, I, p)
    # Split at theta_rh, where the integrand peaks (the bottleneck near rheobase).
    if a < p.theta_rh < b:
        return _integrate(g, a, p.theta_rh) + _integrate(g, p.theta_rh, b)
    return _integrate(g, a, b)


def eif_rate(I, params: ELIFParams | None = None, **overrides):
    """Stationary EIF firing rate (Hz) under constant ``I``: ``1 / (t_ref + T(I))``, 0 if no spike.

    ``T`` from :func:`eif_time_to_threshold` (continuous time, no time grid).
    """
    p = _params(params, ELIFParams, overrides)
    T = np.asarray(eif_time_to_threshold(I, p))
    return _out(np.where(np.isfinite(T), 1e3 / (p.t_ref + np.where(np.isfinite(T), T, 0.0)), 0.0))
