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
    "eif_bistable_range", "lif_strength_duration", "lif_chronaxie",
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

    Examples
    --------
    20 ms after the onset of 1 nA, from rest (-70 mV), towards ``u_rest + R I = -60`` mV:

    >>> from lifbook import theory
    >>> round(theory.lif_subthreshold(20.0, 1.0), 2)
    -60.82
    """
    p = _params(params, CLIFParams, overrides)
    u0 = p.u_rest if u0 is None else u0
    t = np.asarray(t, dtype=np.float64)
    u_inf = p.u_rest + p.R * np.asarray(I, dtype=np.float64)
    return _out(u_inf + (u0 - u_inf) * np.exp(-t / p.tau_m))


def lif_rheobase(params: CLIFParams | None = None, **overrides):
    """Smallest constant current that makes a LIF neuron fire: ``I_rh = (u_th - u_rest) / R`` (nA).

    Parameters
    ----------
    params : CLIFParams, optional
        Parameter set (default: :class:`~lifbook.params.CLIFParams`).
    **overrides
        Fields to change, e.g. ``u_th=-55.0``.

    Returns
    -------
    float or numpy.ndarray
        The rheobase (nA); an array where a parameter is one.

    Examples
    --------
    >>> from lifbook import theory
    >>> theory.lif_rheobase()
    2.0
    >>> theory.lif_rheobase(R=20.0)
    1.0
    """
    p = _params(params, CLIFParams, overrides)
    return _out((np.asarray(p.u_th) - p.u_rest) / p.R)


def lif_time_to_threshold(I, params: CLIFParams | None = None, **overrides):
    """Time (ms) from ``u_reset`` to ``u_th`` under constant ``I``; ``inf`` at or below rheobase.

    ``T = tau_m ln((R I - (u_reset - u_rest)) / (R I - (u_th - u_rest)))``.

    Examples
    --------
    >>> from lifbook import theory
    >>> round(theory.lif_time_to_threshold(2.5), 3)
    11.09
    >>> theory.lif_time_to_threshold(2.0)
    inf
    """
    p = _params(params, CLIFParams, overrides)
    drive = np.asarray(p.R, dtype=np.float64) * np.asarray(I, dtype=np.float64)
    above = drive > (np.asarray(p.u_th) - p.u_rest)
    num = np.where(above, drive - (np.asarray(p.u_reset) - p.u_rest), 1.0)
    den = np.where(above, drive - (np.asarray(p.u_th) - p.u_rest), 1.0)
    return _out(np.where(above, p.tau_m * np.log(num / den), np.inf))


def lif_strength_duration(duration, params: CLIFParams | None = None, **overrides):
    """Threshold current (nA) of a current pulse lasting ``duration`` ms, for a LIF neuron at rest.

    The strength-duration curve (Lapicque 1907): from ``u_rest`` the potential reaches
    ``u_th`` within ``duration`` if and only if ``I >= I_rh / (1 - exp(-duration / tau_m))``,
    with ``I_rh`` the rheobase (:func:`lif_rheobase`). Long pulses need the rheobase, short
    ones a current that grows like ``I_rh tau_m / duration``; ``inf`` for ``duration <= 0``.

    >>> round(lif_strength_duration(80.0), 5)   # an 80 ms step, default neuron (tau_m = 8 ms)
    2.00009
    """
    p = _params(params, CLIFParams, overrides)
    T = np.asarray(duration, dtype=np.float64)
    if np.any(np.isnan(T)):
        raise ValueError("duration: expected pulse durations in ms, got NaN")
    rh = (np.asarray(p.u_th) - p.u_rest) / p.R
    with np.errstate(divide="ignore"):
        frac = -np.expm1(-np.maximum(T, 0.0) / p.tau_m)
        return _out(np.where(T > 0, rh / np.where(T > 0, frac, 1.0), np.inf))


def lif_chronaxie(params: CLIFParams | None = None, **overrides):
    """Chronaxie (ms) of a LIF neuron: the pulse duration whose threshold current is twice the rheobase.

    Setting :func:`lif_strength_duration` to ``2 I_rh`` gives ``1 - exp(-T/tau_m) = 1/2``, so the
    chronaxie is ``tau_m ln 2`` (Lapicque 1907), whatever the threshold and resistance.

    >>> round(lif_chronaxie(), 3)   # tau_m = 8 ms
    5.545
    """
    p = _params(params, CLIFParams, overrides)
    return _out(np.asarray(p.tau_m, dtype=np.float64) * np.log(2.0))


def lif_rate(I, params: CLIFParams | None = None, **overrides):
    """Stationary LIF firing rate (Hz) under constant current ``I`` (nA).

    ``f = 1 / (t_ref + tau_m ln((R I - (u_reset - u_rest)) / (R I - (u_th - u_rest))))`` above
    rheobase, 0 below; for ``u_reset = u_rest`` this is ``1/(t_ref + tau_m ln(RI/(RI - (u_th - u_rest))))``.

    Parameters
    ----------
    I : float or array_like
        Constant input current (nA).
    params : CLIFParams, optional
        Parameter set (default: :class:`~lifbook.params.CLIFParams`).
    **overrides
        Fields to change, e.g. ``tau_m=10.0``.

    Returns
    -------
    float or numpy.ndarray
        Rate in Hz, the shape of ``I``.

    See Also
    --------
    lif_rate_on_grid : the rate a simulation on a time grid produces.
    lif_current_for_rate : the inverse, current for a given rate.

    Examples
    --------
    >>> from lifbook import theory
    >>> round(theory.lif_rate(2.5), 2)
    76.39
    >>> theory.lif_rate([1.0, 2.5]).round(2)
    array([ 0.  , 76.39])
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
    From another start, override ``u_reset`` (e.g. ``u_reset=-65.0`` for rest with the defaults).
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


# -- Closed-form trajectories and spike times (chapters 4 and 5) -------------------------------
def _scalar_params(p, names, what):
    if not all(np.ndim(getattr(p, k)) == 0 for k in names):
        raise ValueError(f"params: {what} needs scalar parameters (one neuron type)")


def _no_synaptic_filter(p, what):
    if np.any(np.asarray(p.tau_syn) > 0):
        raise ValueError(f"tau_syn: {what} is the closed form for tau_syn = 0 (I is the membrane current), "
                         f"got tau_syn={p.tau_syn}")


def lif_spike_times(I, duration, u0=None, params: CLIFParams | None = None, **overrides):
    """Spike times (ms) of a LIF neuron under constant ``I`` (nA) in continuous time, up to ``duration`` ms.

    The neuron starts at ``u0`` (mV, default ``u_rest``, below ``u_th``) at ``t = 0``; it reaches
    ``u_th`` first after ``tau_m ln((R I - (u0 - u_rest)) / (R I - (u_th - u_rest)))`` and then
    every ``t_ref + T`` with ``T`` from :func:`lif_time_to_threshold` (the refractory time is
    ``t_ref`` exactly: no time grid). Empty at or below rheobase. The reference against which
    the time grid's error is measured (chapter 5).
    """
    p = _params(params, CLIFParams, overrides)
    T0, period = _lif_first_spike_and_period(float(I), u0, p, "lif_spike_times")
    if not np.isfinite(T0) or T0 > duration:
        return np.zeros(0)
    n = int(np.floor((duration - T0) / period + 1e-12)) + 1
    return T0 + period * np.arange(n, dtype=np.float64)


def _lif_first_spike_and_period(I: float, u0, p, what: str):
    """``(T0, t_ref + T)``: time of the first spike from ``u0`` (default ``u_rest``) and the
    interspike interval, in continuous time (``inf`` at or below rheobase)."""
    _scalar_params(p, ("tau_m", "u_rest", "u_reset", "u_th", "R", "t_ref"), what)
    _no_synaptic_filter(p, what)
    u0 = p.u_rest if u0 is None else float(u0)
    if u0 >= p.u_th:
        raise ValueError(f"u0: must lie below u_th ({p.u_th:g} mV), got {u0:g} mV")
    T0 = float(lif_time_to_threshold(I, p, u_reset=u0))
    return T0, p.t_ref + float(lif_time_to_threshold(I, p))


def lif_trajectory(t, I, u0=None, params: CLIFParams | None = None, **overrides):
    """Membrane potential u(t) (mV) of a LIF neuron with threshold and reset, constant ``I`` (nA).

    The continuous-time solution from ``u0`` (default ``u_rest``) at ``t = 0``: closed-form
    relaxation towards ``u_rest + R I``, reset to ``u_reset`` at every spike time of
    :func:`lif_spike_times` and held there for ``t_ref``. At a spike time itself the value is
    the post-reset ``u_reset``, as in lifbook's records. ``t`` in ms (array or scalar, ``>= 0``).
    """
    p = _params(params, CLIFParams, overrides)
    I = float(I)
    T0, period = _lif_first_spike_and_period(I, u0, p, "lif_trajectory")
    t = np.asarray(t, dtype=np.float64)
    if np.any(t < 0):
        raise ValueError("t: times must be >= 0 ms")
    u0 = p.u_rest if u0 is None else float(u0)
    u_inf = p.u_rest + p.R * I
    before = u_inf + (u0 - u_inf) * np.exp(-t / p.tau_m)
    if not np.isfinite(T0):
        return _out(before)
    s = np.maximum(t - T0, 0.0)
    # Phase within the current interval; the 1e-12 guards against a spike time landing a rounding
    # error below a multiple of the period.
    k = np.floor(s / period + 1e-12)
    phase = np.maximum(s - k * period, 0.0)
    free = np.maximum(phase - p.t_ref, 0.0)
    after = u_inf + (p.u_reset - u_inf) * np.exp(-free / p.tau_m)
    return _out(np.where(t < T0, before, after))


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


__all__ += ["lif_spike_times", "lif_trajectory", "eif_subthreshold"]


# -- LIF: inverse f-I curve, synaptic filter, conductance input, white noise -------------------
# (Appended for chapters 2 and 3.)

def lif_current_for_rate(f, params: CLIFParams | None = None, **overrides):
    """Constant current (nA) at which the LIF neuron fires at rate ``f`` (Hz): the inverse of
    :func:`lif_rate`.

    With ``T = 1000/f - t_ref`` (ms) the free time from reset to threshold and
    ``E = exp(T / tau_m)``, solving ``T = tau_m ln((R I - (u_reset - u_rest))/(R I - (u_th - u_rest)))``
    for ``I`` gives ``R I = (E (u_th - u_rest) - (u_reset - u_rest)) / (E - 1)``. Defined for
    ``0 < f < 1000 / t_ref``; ``nan`` outside (no current gives 0 Hz exactly, only currents at
    or below the rheobase, and no current reaches ``1/t_ref``).

    Examples
    --------
    The current for 100 Hz with the default parameters (chapter 2):

    >>> from lifbook import theory
    >>> round(theory.lif_current_for_rate(100.0), 2)
    2.87
    >>> round(theory.lif_rate(theory.lif_current_for_rate(100.0)), 6)
    100.0
    """
    p = _params(params, CLIFParams, overrides)
    f = np.asarray(f, dtype=np.float64)
    ok = (f > 0) & (1e3 > f * np.asarray(p.t_ref))
    T = np.where(ok, 1e3 / np.where(ok, f, 1.0) - p.t_ref, 1.0)
    a, b = np.asarray(p.u_reset) - p.u_rest, np.asarray(p.u_th) - p.u_rest
    # (E b - a)/(E - 1) = b + (b - a)/(E - 1): finite for large E (low rates tend to the rheobase)
    RI = b + (b - a) / np.expm1(np.minimum(T / p.tau_m, 700.0))
    return _out(np.where(ok, RI / p.R, np.nan))


def lif_syn_step_response(t, x, params: CLIFParams | None = None, **overrides):
    """Subthreshold response ``(u, I)`` to a step of input ``x`` (nA) switched on at ``t = 0``, from rest.

    With the synaptic filter ``tau_syn dI/dt = -I + x`` and ``I(0) = 0``, ``u(0) = u_rest``::

        I(t) = x (1 - exp(-t/tau_syn))
        u(t) = u_rest + R x [1 - (tau_m exp(-t/tau_m) - tau_syn exp(-t/tau_syn)) / (tau_m - tau_syn)]

    (``tau_syn = tau_m``: ``u = u_rest + R x [1 - (1 + t/tau_m) exp(-t/tau_m)]``; ``tau_syn = 0``:
    ``I = x`` and :func:`lif_subthreshold`). No threshold. ``t`` in ms, returns mV and nA.
    The expression loses relative accuracy like ``1e-16 / |1 - tau_syn/tau_m|`` as the two time
    constants approach each other (exactly equal ones use the limit).
    """
    p = _params(params, CLIFParams, overrides)
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    tm, ts = np.asarray(p.tau_m, dtype=np.float64), np.asarray(p.tau_syn, dtype=np.float64)
    em = np.exp(-t / tm)
    has = ts > 0
    ts_safe = np.where(has, ts, 1.0)
    es = np.where(has, np.exp(-t / ts_safe), 0.0)
    same = has & (ts == tm)
    den = np.where(same | ~has, 1.0, tm - ts)
    shape = np.where(same, (1.0 + t / tm) * em, np.where(has, (tm * em - ts * es) / den, em))
    u = p.u_rest + p.R * x * (1.0 - shape)
    I = x * (1.0 - es)
    return _out(u), _out(I)


def lif_psp_peak_time(params: CLIFParams | None = None, **overrides):
    """Time (ms) at which the potential peaks after a brief current pulse, for ``tau_syn > 0``.

    The current after a pulse decays as ``exp(-t/tau_syn)``; the potential, a difference of
    exponentials, peaks at ``t* = tau_m tau_syn ln(tau_m / tau_syn) / (tau_m - tau_syn)``
    (``t* = tau_m`` when ``tau_syn = tau_m``; 0 without a filter: the jump is instantaneous).
    """
    p = _params(params, CLIFParams, overrides)
    tm, ts = np.asarray(p.tau_m, dtype=np.float64), np.asarray(p.tau_syn, dtype=np.float64)
    has = ts > 0
    same = has & (ts == tm)
    ts_safe = np.where(has & ~same, ts, 0.5 * tm)
    general = tm * ts_safe * np.log(tm / ts_safe) / (tm - ts_safe)
    return _out(np.where(same, tm, np.where(has, general, 0.0)))


def conductance_steady_state(g, E_syn, params: CLIFParams | None = None, **overrides):
    """Steady potential (mV) of the leaky membrane with a constant synaptic conductance.

    A conductance-based synapse injects ``g (E_syn - u)``: ``tau_m du/dt = -(u - u_rest) +
    R g (E_syn - u)``, so ``u_inf = (u_rest + R g E_syn) / (1 + R g)``, a weighted mean of
    ``u_rest`` and ``E_syn`` that never passes ``E_syn``. ``g`` in microsiemens (``R g`` is
    dimensionless with ``R`` in MOhm), ``E_syn`` in mV. No threshold. This is an illustration:
    lifbook's populations are current-based.
    """
    p = _params(params, CLIFParams, overrides)
    Rg = np.asarray(p.R, dtype=np.float64) * np.asarray(g, dtype=np.float64)
    return _out((p.u_rest + Rg * np.asarray(E_syn, dtype=np.float64)) / (1.0 + Rg))


def conductance_time_constant(g, params: CLIFParams | None = None, **overrides):
    """Effective membrane time constant (ms) with a constant synaptic conductance ``g`` (microsiemens).

    The conductance adds to the leak, ``1/R -> 1/R + g``: ``tau_eff = tau_m / (1 + R g)``.
    """
    p = _params(params, CLIFParams, overrides)
    return _out(np.asarray(p.tau_m) / (1.0 + np.asarray(p.R) * np.asarray(g, dtype=np.float64)))


#: ``-zeta(1/2) / sqrt(2 pi)``: how far above a barrier a Brownian path checked only at
#: discrete times effectively has to go, in units of the standard deviation of one step
#: (Broadie, Glasserman & Kou 1997).
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
    ``dt`` (:func:`lifbook.analysis.white_noise`): the threshold is checked only at the end of
    each step, which acts like a threshold raised by ``0.5826 R sigma sqrt(dt/tau_m)``
    (:data:`DISCRETE_BARRIER_SHIFT` times the standard deviation of the potential's noise over
    one step; Broadie, Glasserman & Kou 1997), and the refractory time is ``round(t_ref/dt) dt``
    (``sigma = 0``: :func:`lif_rate_on_grid`). The correction is first order in
    ``sqrt(dt/tau_m)``; for weak noise above the rheobase the deterministic grid delay of
    :func:`lif_rate_on_grid` (half a step per interval on average) dominates instead.

    For synaptically filtered (coloured) noise the formula holds to first order in
    ``sqrt(tau_syn/tau_m)`` with both thresholds shifted (Fourcaud & Brunel 2002); that is not
    applied here. Scalar parameters only; ``I`` and ``sigma`` broadcast.
    """
    p = _params(params, CLIFParams, overrides)
    names = ("tau_m", "u_rest", "u_reset", "u_th", "R", "t_ref")
    if not all(np.ndim(getattr(p, k)) == 0 for k in names):
        raise ValueError("params: lif_rate_diffusion needs scalar parameters (one neuron type)")
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


__all__ += ["lif_current_for_rate", "lif_syn_step_response", "lif_psp_peak_time", "conductance_steady_state",
            "conductance_time_constant", "lif_rate_diffusion", "DISCRETE_BARRIER_SHIFT"]


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
    second moment of the first-passage time (:func:`lifbook.network.theory.isi_cv_diffusion`,
    Brunel 2000 appendix A.1) with ``mu = R I`` and ``sigma_V = R sigma`` (mV), threshold and
    reset measured from ``u_rest``. ``on_grid=True``: for lifbook's simulation on a grid of
    ``dt``, the threshold raised by :data:`DISCRETE_BARRIER_SHIFT` ``R sigma sqrt(dt/tau_m)`` and
    ``t_ref`` rounded to whole steps, as in :func:`lif_rate_diffusion`. ``sigma = 0``: 0 above the
    rheobase (regular firing), NaN below (no intervals). Scalar parameters; ``I`` and ``sigma``
    broadcast.
    """
    from .network.theory import isi_cv_diffusion

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


__all__ += ["eif_rate_diffusion", "lif_cv_diffusion"]
