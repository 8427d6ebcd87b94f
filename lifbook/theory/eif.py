"""EIF (exponential integrate-and-fire) results: rheobase, fixed points, bistability, time to the
cut-off, f-I curve (numerical quadrature) and the subthreshold trajectory.

Gerstner et al. (2014), *Neuronal Dynamics*, ch. 5.2; Fourcaud-Trocme et al. (2003). Currents in
nA, times in ms, potentials in mV, rates in Hz; every function takes a parameter set (``params``,
default :class:`~lifbook.params.ELIFParams`) and keyword overrides, e.g. ``eif_rate(0.6, delta_T=1.0)``.
"""
from __future__ import annotations

import numpy as np

from ..params import ELIFParams
from ._common import _integrate, _no_synaptic_filter, _out, _params, _scalar_params

__all__ = ["eif_rheobase", "eif_du_dt", "eif_fixed_points", "eif_time_to_threshold", "eif_rate",
           "eif_bistable_range", "eif_subthreshold"]


def eif_rheobase(params: ELIFParams | None = None, *, start: str = "rest", **overrides):
    """EIF rheobase current (nA): the current above which the neuron fires, from ``start``.

    ``start="rest"`` (default): the neuron starts at ``u_rest`` and fires tonically for
    ``I > I_rh = (theta_rh - u_rest - delta_T) / R``. ``F(u) = -(u - u_rest) + delta_T exp((u -
    theta_rh)/delta_T) + R I`` is convex with its minimum at ``u = theta_rh``, where ``F = R I -
    (theta_rh - u_rest - delta_T)``; the stable and the unstable fixed point merge and vanish when
    that minimum crosses 0 (a saddle-node bifurcation). Below ``I_rh`` the potential settles at the
    stable fixed point (for ``u_rest < theta_rh``): no spike.

    ``start="reset"``: the current above which the periodic orbit (reset, run-up to the cut-off
    ``u_th``, reset) exists, i.e. ``F > 0`` on ``[u_reset, u_th]``. With ``u_reset <= theta_rh``
    that is ``I_rh`` again. With ``u_reset > theta_rh`` it is lower,
    ``(u_reset - u_rest - delta_T exp((u_reset - theta_rh)/delta_T)) / R``: the orbit survives
    below ``I_rh`` because every reset lands above the unstable fixed point, and the neuron is
    bistable in between (:func:`eif_bistable_range`). Holds when the cut-off ``u_th`` lies above
    ``theta_rh`` (required by :class:`~lifbook.params.ELIFParams`).

    Parameters
    ----------
    params : ELIFParams, optional
        Parameter set (default: :class:`~lifbook.params.ELIFParams`).
    start : {"rest", "reset"}
        Where the neuron starts (see above).
    **overrides
        Fields to change, e.g. ``delta_T=1.0``.

    Returns
    -------
    float or numpy.ndarray
        The rheobase current (nA).

    Examples
    --------
    ``(theta_rh - u_rest - delta_T) / R = (-55 + 65 - 2) / 20`` nA:

    >>> from lifbook import theory
    >>> round(theory.eif_rheobase(), 6)
    0.4
    """
    p = _params(params, ELIFParams, overrides)
    _check_start(start, allow_number=False)
    theta = np.asarray(p.theta_rh, dtype=np.float64)
    u = theta if start == "rest" else np.maximum(np.asarray(p.u_reset, dtype=np.float64), theta)
    # max over [u, u_th] of (u - u_rest) - delta_T exp((u - theta_rh)/delta_T), concave with its top at theta_rh
    return _out((u - p.u_rest - p.delta_T * np.exp((u - theta) / p.delta_T)) / p.R)


def eif_bistable_range(params: ELIFParams | None = None, **overrides):
    """Currents ``(I_low, I_rh)`` (nA) for which rest and tonic firing coexist (bistability).

    For ``I_low < I <= I_rh`` the EIF has a stable fixed point (a neuron started at rest stays
    silent) and a periodic orbit (a neuron reset to ``u_reset``, or kicked above the unstable
    fixed point, fires tonically at :func:`eif_rate` with ``start="reset"``): this happens when
    ``u_reset`` lies above the unstable fixed point, which needs ``u_reset > theta_rh``.
    ``I_low = eif_rheobase(start="reset")``, ``I_rh = eif_rheobase()``; when ``u_reset <=
    theta_rh`` the interval is empty (``I_low == I_rh``). Sweeping the current up from rest the
    neuron starts to fire at ``I_rh``; sweeping it down it keeps firing down to ``I_low``, where
    the orbit's period diverges (logarithmically: the fixed point reaches ``u_reset``).
    """
    p = _params(params, ELIFParams, overrides)
    return eif_rheobase(p, start="reset"), eif_rheobase(p)


def _check_start(start, allow_number: bool = True):
    if isinstance(start, str):
        if start in ("rest", "reset"):
            return
    elif allow_number and isinstance(start, (int, float, np.floating, np.integer)) and not isinstance(start, bool) \
            and np.isfinite(start):
        return
    form = "'rest', 'reset' or a potential in mV" if allow_number else "'rest' or 'reset'"
    raise ValueError(f"start: expected {form}, got {start!r}")


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

    Examples
    --------
    >>> from lifbook import theory
    >>> [round(u, 2) for u in theory.eif_fixed_points(0.3)]
    [-58.68, -52.71]
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


def eif_time_to_threshold(I, params: ELIFParams | None = None, **overrides):
    """Time (ms) from ``u_reset`` to the cut-off ``u_th`` under constant ``I``: ``tau_m int du / F(u)``.

    ``inf`` when ``F`` has a zero between ``u_reset`` and ``u_th`` (a fixed point blocks the way).
    From another start, override ``u_reset`` (e.g. ``u_reset=-65.0`` for rest with the defaults).
    Computed by adaptive Gauss-Kronrod quadrature to a relative accuracy of about 1e-10.
    """
    p = _params(params, ELIFParams, overrides)
    _scalar_params(p, ("tau_m", "u_rest", "u_reset", "u_th", "R", "theta_rh", "delta_T"), "eif_time_to_threshold")
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


def eif_rate(I, params: ELIFParams | None = None, *, start="rest", **overrides):
    """Stationary EIF firing rate (Hz) under constant ``I`` (nA), for a neuron started at ``start``.

    The EIF with a reset above its unstable fixed point is bistable (:func:`eif_bistable_range`),
    so the rate depends on the initial condition, which ``start`` states: ``"rest"`` (default:
    ``u = u_rest`` at ``t = 0``, as lifbook's populations start), ``"reset"`` (``u = u_reset``,
    e.g. just after a spike: the rate of the periodic orbit, whenever it exists), or a potential
    ``u0`` in mV (a neuron kicked to ``u0 < u_th``).

    The neuron fires tonically iff the trajectory from the start reaches the cut-off ``u_th``
    (``F > 0`` on ``[u0, u_th]``) and so does the one from ``u_reset`` (the orbit exists); then the
    rate is ``1 / (t_ref + T(I))`` with ``T`` from :func:`eif_time_to_threshold` (continuous time,
    no time grid). Otherwise it is 0: the potential settles at the stable fixed point, at once or
    after a single spike. From ``"rest"`` that is 0 for ``I <= eif_rheobase()``; from ``"reset"``
    0 for ``I <= eif_rheobase(start="reset")``. Example (``u_reset = -50`` mV, other defaults,
    ``I = 0.35`` nA, below the rheobase 0.4 nA): 0 Hz from rest, 310.3 Hz from reset.
    """
    p = _params(params, ELIFParams, overrides)
    _check_start(start)
    T = np.asarray(eif_time_to_threshold(I, p), dtype=np.float64)
    if start != "reset":
        u0 = p.u_rest if start == "rest" else float(start)
        _scalar_params(p, ("u_rest", "u_th"), "eif_rate")
        if u0 >= p.u_th:
            raise ValueError(f"start: the potential must lie below the cut-off u_th ({p.u_th:g} mV), got {u0:g} mV")
        T_first = np.asarray(eif_time_to_threshold(I, p, u_reset=u0), dtype=np.float64)
        T = np.where(np.isfinite(T_first), T, np.inf)
    finite = np.isfinite(T)
    return _out(np.where(finite, 1e3 / (p.t_ref + np.where(finite, T, 0.0)), 0.0))


def eif_subthreshold(t, I, u0=None, params: ELIFParams | None = None, **overrides):
    """EIF membrane potential u(t) (mV) under constant ``I`` without threshold or reset, from ``u0``.

    Inverts ``t(u) = tau_m int_{u0}^{u} du' / F(u')`` (the exact solution of the one-variable
    ODE, by quadrature and bisection, to about 1e-9 mV): the EIF counterpart of
    :func:`lif_subthreshold`, used as the reference for time-stepping errors. ``u0`` defaults
    to ``u_rest``. The potential moves monotonically towards the stable fixed point if one lies
    ahead, else it runs away; times after it would have reached the cut-off ``u_th`` give NaN.
    """
    p = _params(params, ELIFParams, overrides)
    _scalar_params(p, ("tau_m", "u_rest", "u_th", "R", "theta_rh", "delta_T"), "eif_subthreshold")
    _no_synaptic_filter(p, "eif_subthreshold")
    I = float(I)
    u0 = p.u_rest if u0 is None else float(u0)
    if u0 >= p.u_th:
        raise ValueError(f"u0: must lie below the cut-off u_th ({p.u_th:g} mV), got {u0:g} mV")
    t_arr = np.asarray(t, dtype=np.float64)
    if np.any(t_arr < 0):
        raise ValueError("t: times must be >= 0 ms")
    F0 = float(_F(np.float64(u0), I, p))
    if F0 == 0.0:
        return _out(np.full(t_arr.shape, u0))
    us, uu = (float(v) for v in eif_fixed_points(I, p))
    if F0 > 0:  # upwards: to the stable point above u0 (u0 < u_s), else to the cut-off
        end = us if (np.isfinite(us) and u0 < us) else p.u_th
    else:  # downwards (u_s < u0 < u_u): F < 0 implies the fixed points exist
        end = us
    reach = np.inf
    if end == p.u_th:  # time to the cut-off, split where the integrand peaks (as in _eif_T)
        g = lambda u: p.tau_m / _F(u, I, p)  # noqa: E731
        mid = min(max(p.theta_rh, u0), p.u_th)
        reach = _integrate(g, u0, mid) + _integrate(g, mid, p.u_th) if u0 < mid < p.u_th else \
            _integrate(g, u0, p.u_th)
    out = np.empty(t_arr.shape)
    for idx, ti in np.ndenumerate(t_arr):
        out[idx] = np.nan if ti > reach else _eif_invert(float(ti), I, u0, end, p)
    return _out(out)


def _eif_invert(t: float, I: float, u0: float, end: float, p) -> float:
    """The u between ``u0`` and ``end`` with ``tau_m int_{u0}^{u} du/F = t`` (F has no zero in between).

    ``end`` is the cut-off (reached at a finite time >= t) or a fixed point (reached only as
    t -> inf). Bracket by halving the distance to ``end``, then bisect; every integral runs over
    a short piece from the current lower end, so the quadrature stays cheap and accurate.
    """
    if t == 0.0:
        return u0
    g = lambda u: p.tau_m / _F(u, I, p)  # noqa: E731
    lo, t_lo = u0, 0.0
    if end == p.u_th:
        hi = end
    else:
        while True:  # towards a fixed point: t(u) grows without bound, so this ends
            hi = lo + 0.5 * (end - lo)
            piece = _integrate(g, lo, hi)
            if t_lo + piece >= t or hi == lo:
                break
            lo, t_lo = hi, t_lo + piece
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid == lo or mid == hi or abs(hi - lo) < 1e-12:
            break
        piece = _integrate(g, lo, mid)
        if t_lo + piece < t:
            lo, t_lo = mid, t_lo + piece
        else:
            hi = mid
    return 0.5 * (lo + hi)
