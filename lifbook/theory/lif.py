"""LIF closed forms: subthreshold relaxation, rheobase, f-I curve and its inverse, spike times and
trajectories, strength-duration curve, synaptic filter and conductance input.

Gerstner et al. (2014), *Neuronal Dynamics*, ch. 1.3; Lapicque (1907). Currents in nA, times in
ms, potentials in mV, rates in Hz; every function takes a parameter set (``params``, default
:class:`~lifbook.params.CLIFParams`) and keyword overrides, e.g. ``lif_rate(2.5, tau_m=10.0)``.
"""
from __future__ import annotations

import numpy as np

from ..params import CLIFParams
from ._common import _no_synaptic_filter, _out, _params, _scalar_params

__all__ = ["lif_subthreshold", "lif_rheobase", "lif_time_to_threshold", "lif_rate", "lif_rate_on_grid", "lif_du_dt",
           "lif_strength_duration", "lif_chronaxie", "lif_spike_times", "lif_trajectory", "lif_current_for_rate",
           "lif_syn_step_response", "lif_psp_peak_time", "conductance_steady_state", "conductance_time_constant"]


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
