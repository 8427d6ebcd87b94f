"""Independent reference solutions: the model's differential equations integrated by scipy.

lifbook's engines integrate on a time grid (or, with ``spike_timing="precise"``, locate the
threshold crossing inside a step). To measure their error, this module solves the same
equations with an integrator that shares no code with them: scipy's DOP853 (an explicit
Runge-Kutta method of order 8 with error control, Hairer et al.) at ``rtol = atol = 1e-10``,
with the threshold crossing located by its event finder. After each spike the potential is set
to ``u_reset`` at the crossing time and held there for exactly ``t_ref`` ms (no time grid); the
synaptic current, when ``tau_syn > 0``, keeps relaxing towards the input during that time
(exactly, in closed form).

The equations are those of :mod:`lifbook.params` (CLIF, and ELIF with the exponent capped at
``min((u_th - theta_rh)/delta_T, 30)``, which is the model lifbook defines; below the cut-off
``u_th`` the cap only acts when ``(u_th - theta_rh)/delta_T > 30``).

scipy is needed (``pip install scipy``; it is part of the ``test``, ``book`` and ``notebooks``
extras). It is imported on first use, never by ``import lifbook``.
"""
from __future__ import annotations

import math

import numpy as np

from .params import CLIFParams, ELIFParams

__all__ = ["spike_times"]

#: Tolerances of the reference integration (relative and absolute, mV).
RTOL = 1e-10
ATOL = 1e-10


def _scipy_solve_ivp():
    try:
        from scipy.integrate import solve_ivp
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("lifbook.reference needs scipy: pip install scipy "
                          "(or pip install 'lifbook[test]')") from None
    return solve_ivp


def _scalar(p, name):
    value = getattr(p, name)
    if np.ndim(value) != 0:
        raise ValueError(f"{name}: the reference solves one neuron: expected a scalar, got an array of shape "
                         f"{np.shape(value)}")
    return float(value)


def spike_times(params: CLIFParams, I: float, duration: float, *, u0: float | None = None, i0: float = 0.0,
                rtol: float = RTOL, atol: float = ATOL) -> np.ndarray:
    """Spike times (ms) of one CLIF or ELIF neuron under a constant input ``I`` (nA) for ``duration`` ms.

    ``params``: :class:`~lifbook.params.CLIFParams` or :class:`~lifbook.params.ELIFParams` (scalars);
    the neuron starts at ``u0`` (mV, default ``u_rest``) with synaptic current ``i0`` (nA, used when
    ``tau_syn > 0``) at ``t = 0``. A spike is the time ``u`` reaches ``u_th`` (located to the
    integrator's tolerance); then ``u = u_reset`` for ``t_ref`` ms, after which integration resumes.
    ``dt`` is not used.

    >>> from lifbook.params import CLIFParams
    >>> spike_times(CLIFParams(), 2.5, 20.0).round(4)  # doctest: +SKIP
    array([12.8755])
    """
    if not isinstance(params, CLIFParams):
        raise TypeError(f"params: expected CLIFParams or ELIFParams, got {type(params).__name__}")
    try:
        I = float(I)
        duration = float(duration)
    except (TypeError, ValueError):
        raise TypeError(f"I, duration: expected numbers (nA, ms), got {I!r}, {duration!r}") from None
    if not (math.isfinite(I) and math.isfinite(duration)) or duration < 0:
        raise ValueError(f"I, duration: expected a finite current (nA) and a duration >= 0 ms, got {I}, {duration}")
    p = params
    tau_m, u_rest, u_reset, u_th, R, t_ref, tau_syn = (
        _scalar(p, k) for k in ("tau_m", "u_rest", "u_reset", "u_th", "R", "t_ref", "tau_syn"))
    elif_model = isinstance(p, ELIFParams)
    if elif_model:
        theta_rh, delta_T, cap = _scalar(p, "theta_rh"), _scalar(p, "delta_T"), float(p.exp_arg_cap)
    u = u_rest if u0 is None else float(u0)
    if u >= u_th:
        raise ValueError(f"u0: must lie below u_th ({u_th:g} mV), got {u:g} mV")
    syn = tau_syn > 0

    def rhs(t, y):
        cur = y[1] if syn else I
        du = -(y[0] - u_rest) + R * cur
        if elif_model:
            du += delta_T * math.exp(min((y[0] - theta_rh) / delta_T, cap))
        out = [du / tau_m]
        if syn:
            out.append((I - y[1]) / tau_syn)
        return out

    def crossing(t, y):
        return y[0] - u_th

    crossing.terminal = True
    crossing.direction = 1
    solve_ivp = _scipy_solve_ivp()
    t, cur = 0.0, float(i0)
    spikes = []
    while t < duration:
        y0 = [u, cur] if syn else [u]
        sol = solve_ivp(rhs, (t, duration), y0, method="DOP853", rtol=rtol, atol=atol, events=crossing)
        if sol.status == -1:  # pragma: no cover - scipy failure
            raise RuntimeError(f"reference integration failed at t = {t} ms: {sol.message}")
        if sol.t_events[0].size == 0:
            break
        t_spike = float(sol.t_events[0][0])
        spikes.append(t_spike)
        if syn:  # the current relaxes towards I during the refractory period (closed form)
            cur = I + (float(sol.y_events[0][0][1]) - I) * math.exp(-t_ref / tau_syn)
        t, u = t_spike + t_ref, u_reset
    return np.asarray([s for s in spikes if s <= duration], dtype=np.float64)
