"""Precise (off-grid) spike timing: the threshold crossing located inside a time step.

With ``spike_timing="precise"`` a population still advances on the grid ``t_k = k dt`` (input
held constant over a step), but a spike is stamped with the time its neuron reaches ``u_th``
inside the step, the reset and the refractory period start there, and a refractory period that
ends inside a step is followed by integration from ``u_reset`` over the rest of the step (with
the synaptic current as it is at that moment). This follows NEST's precise models
(``iaf_psc_exp_ps``; Morrison et al. 2007, Hanuschkin et al. 2010).

A step runs in two passes (the numba kernels, and the NumPy/torch reference, alike):

1. the grid pass, a vectorised update of every neuron (CLIF: the exact propagator, the update of
   ``spike_timing="grid"``; ELIF: ETD2, :func:`etd2_step`, plus its leading local error term,
   below), which also raises a *flag* for the neurons that need more: a grid crossing
   (``u' >= u_th``), a refractory period that ends inside the step (``0 < ref < dt``), and for
   ELIF a step whose ETD2 correction ``|u' - A|`` (``A`` the exponential-Euler predictor)
   exceeds :func:`elif_tol` (``ELIF_TOL_K dt^2``, 0.03 mV at ``dt = 0.1`` ms) or where
   ``k_nl E(A) > delta_T`` (``dt`` times the slope ``dN/du`` of the exponential term above 1:
   the expansion behind the error term fails there);
2. the fix-up, :func:`fixup`, one neuron at a time for the flagged ones only.

ELIF's grid pass, the error term: for ``du/dt = -(u - u_inf)/tau_m + N(u)``,
``N(u) = (delta_T/tau_m) exp((u - theta_rh)/delta_T)``, ETD2's local error over a step ``h`` is
``h^3 (N_u dN/dt / 4 - d^2N/dt^2 / 12) + O(h^4)``, which, with ``N_u = N/delta_T``, is
``corr (h N + h (u - u_inf)/tau_m + h delta_T/tau_m) / (6 delta_T)`` with ``corr = u' - A``
(``~ h^2 N (du/dt) / (2 delta_T)``). The grid pass adds it, evaluated as
``corr (k_nl (E(u) + delta_T) + u - Phi(u)) / (6 delta_T)`` (``E(u) = delta_T exp(...)``, the
kernels' exponential term; ``Phi(u)`` the linear flow over the step, so ``u - Phi(u) ~ h (u -
u_inf)/tau_m``; ``k_nl ~ h/tau_m``): no further ``exp``, and the unflagged steps are third order.
With a synaptic filter the term of the current's own drift (``N_u R dI/dt / tau_m``) is left
out: second order while the current changes. The same expression, in the same order, runs in
NumPy, torch and the numba kernels (one function, :func:`grid_pass`).

The fix-up:

* CLIF without synaptic filter: the crossing time in closed form,
  ``s = tau_m ln((u0 - u_inf)/(u_th - u_inf))`` with ``u_inf = u_rest + R x``.
* CLIF with ``tau_syn > 0``: ``u(s)`` is a sum of exponentials (the exact propagator over a
  length ``s``, :func:`propagator`); the crossing by safeguarded Newton on it (bisection
  whenever Newton leaves the bracket) to :data:`T_TOL`.
* ELIF (:func:`elif_advance`): classical RK4 in ``w = exp(-(u - theta_rh)/delta_T)``
  (:func:`elif_advance_w`), where the upswing is not stiff (``dw/dt`` tends to ``-1/tau_m`` as
  ``u`` grows; the exponential term becomes a constant), in sub-steps of at most
  ``ELIF_C_W / |d(dw/dt)/dw|`` ms (``|u - u_rest - R I - delta_T| / (tau_m delta_T)``: one
  sub-step per step near the rheobase, more under a strong drive); the crossing
  ``w = exp(-(u_th - theta_rh)/delta_T)`` inside the last sub-step from its cubic Hermite
  interpolant (:func:`hermite_crossing`, with ``dw/dt`` at both ends; fourth order like the
  sub-step). Where the exponential is capped below ``u_th``
  (``(u_th - theta_rh)/delta_T > cap``) ``w`` does not reach the threshold: there
  :func:`elif_advance_u` integrates ``u`` with Lawson's integrating-factor RK4
  (:func:`lawson_step`) in sub-steps of at most ``ELIF_C / max(J(u), |du/dt|/delta_T)``,
  ``J(u) = (exp(min((u - theta_rh)/delta_T, cap)) - 1)/tau_m``, and the crossing by
  :func:`elif_substep_crossing` (the Hermite interpolant in ``u``).

The constants (measured on issue 8's workload: ``tau_m = 10``, ``u_rest = u_reset = -65``,
``theta_rh = -55``, ``delta_T = 2``, ``u_th = -30`` mV, ``R = 10`` MOhm, ``t_ref = 2`` ms,
``dt = 0.1`` ms, 1 s at 0.85, 1, 2 and 4 nA, against :func:`lifbook.reference.spike_times`
(DOP853)): ``ELIF_TOL_K = 3`` mV/ms^2 (0.03 mV at ``dt = 0.1``) gives first spikes within
3.5e-4 ms, last spikes within 0.012 ms and exact counts; spike-time errors converge with slopes
2.8-3.0 over dt = 0.4 ... 0.05 ms (at 1 and 2 nA over 300 ms); 1.4 % of the neuron-steps of
``bench/bench_methods.py``'s ELIF workload are flagged (a crossing, a refractory end, or the
upswing). For comparison on the same workload: plain ETD2 with ``ELIF_TOL_K = 0.1`` (the
previous criterion) flagged 8 % with last spikes within 0.025 ms; with the error term, 0.1 gives
errors 10-50x smaller at 8 %, 1 gives 2.4 % and last spikes within 0.0034 ms, 5 gives 1.2 % and
0.021 ms, 10 gives 0.9 % and 0.051 ms (over the target). ``ELIF_C = 0.5``; for ``u``-sub-steps
``1.0`` moved the last spikes by up to 0.3 ms.

Cost (``bench/bench_methods.py --N 1e5 --T 200 --threads 1``, CPU time of one thread): since the fix-up
lists the flagged 8-neuron words of a block without a test and branch per word (about 13 of 2048
neurons are flagged per step: a misprediction per flagged word), precise / grid per update measured
1.37-1.38 (CLIF float64) and 1.50-1.55 (ELIF float64) (``--dtype float64 --rounds 5``, three runs;
the code before it, in the same session: 1.53 and 1.57-1.70, two runs), 0.90 (CLIF float32) and
1.27 (ELIF float32) (one run); the same results to the bit. Before that change (median of
7 rounds, four runs on a shared and loaded 2-core machine): precise / grid per update
0.93-1.01 (CLIF float32), 1.56-1.61 (CLIF float64), 1.30-1.32 (ELIF float32) and 1.49-1.58
(ELIF float64); before the precise ELIF kernels interleaved 4 vectors instead of 8 (8 spilled
registers in the grid pass) and gathered their fix-up with less work, the same machine measured
0.97-0.98, 1.58-1.66, 1.44-1.46 and 1.83-1.92 (two runs; same results to the bit), and before the
error term, the ``w`` sub-steps and the Hermite crossing 1.01, 1.57, 3.26 and 3.04 (one run). So,
before the branch-free listing, the issue's 1.5x was met for CLIF float32 and ELIF float32, about met
for ELIF float64, and not for CLIF float64 (now met for CLIF float64 too; ELIF float64 about 1.5).
ELIF's flagged steps went from 8 % to 1.4 % of the neuron-steps, their sub-steps
from about 15 per upswing (``u`` sub-steps limited by the stiffness ``J(u)``, each a chain of five
dependent ``exp`` that no vector hides) to one, and the crossing from a Newton search on the RK4
map (five ``exp`` per iteration) to a cubic. What is left in float64 (measured with the fix-up
switched off): ELIF's grid pass itself (the error term, the flags, a float64 refractory clock,
the selects) costs about 1.2x the grid kernel's update, the fix-up about 100 ns per flagged ELIF
neuron (about 30 per block of 2048 and step); CLIF's grid pass costs 1.25x the grid kernel's
(float64; 0.53x in float32) and its fix-up about 33 ns per flagged neuron (0.6 % of the
neuron-steps: the crossing and the end of the refractory period of each spike), 4 ms of a 15 ms
run (before the branch-free listing). A scalar CLIF fix-up without the scratch measured slower
(1.75-1.83); 512-bit vectors in the fix-up loops, and interleaving 2, 4 or 8 vectors in CLIF's grid
pass, no faster.

Spikes are detected at the end of each step (ELIF: each sub-step), as in NEST: with
``tau_syn > 0`` a potential that rises above ``u_th`` and falls back below it within one step
is not a spike. At most one spike per step: precise mode requires ``t_ref >= dt``.

The refractory state is the time left in ms (a float): ``ref > 0`` means held at ``u_reset``;
a neuron with ``ref >= dt`` is held for the whole step and ``ref`` drops by ``dt``; with
``0 < ref < dt`` it integrates the last ``dt - ref`` ms of the step. After a spike at offset
``o`` within the step, ``ref = t_ref - (dt - o)`` (exactly ``t_ref`` from the spike).

Every function here is plain Python on floats (``math`` only), so that numba compiles the same
code for its kernels (:func:`compiled`) and the reference engine runs it as it is.
"""
from __future__ import annotations

import math
import types
from typing import Any, NamedTuple

import numpy as np

from .dynamics import LIFState

__all__ = ["SPIKE_TIMINGS", "ELIF_TOL_K", "ELIF_C", "ELIF_C_W", "PreciseCoefficients", "FIXUP_FIELDS",
           "elif_tol", "grid_pass", "precise_step", "T_TOL", "check_spike_timing", "propagator", "lawson_step",
           "etd2_step", "clif_crossing", "hermite_crossing", "elif_substep_crossing", "w_rhs", "w_substep_crossing",
           "w_form", "elif_advance", "elif_advance_w", "elif_advance_u", "fixup", "compiled"]

#: Accepted values of the ``spike_timing`` keyword.
SPIKE_TIMINGS = ("grid", "precise")

#: ELIF: a step whose ETD2 correction ``|u' - A|`` exceeds ``ELIF_TOL_K * dt**2`` is redone with
#: sub-steps (mV/ms^2: 0.03 mV at dt = 0.1 ms). Scaled with ``dt**2`` so that the set of refined
#: potentials does not depend on ``dt`` and the steps outside it keep their order (3, see above).
ELIF_TOL_K = 3.0

#: ELIF in ``u`` (:func:`elif_advance_u`): sub-steps of at most ``ELIF_C / max(J(u), |du/dt|/delta_T)`` ms
#: (1/ms rates: the stiffness of the exponential term, and how fast it changes along the trajectory).
ELIF_C = 0.5

#: ELIF in ``w`` (:func:`elif_advance_w`): sub-steps of at most ``ELIF_C_W / |d(dw/dt)/dw|`` ms. ``|d(dw/dt)/dw|``
#: is the linear drive's rate (1/ms); under a strong drive (30 nA from -64 mV) 0.5 left 0.01 mV per 0.1 ms,
#: 0.1 leaves 1e-5 mV; near the rheobase it allows sub-steps longer than ``dt`` (one per step).
ELIF_C_W = 0.1

#: Crossing times are located to this accuracy (ms).
T_TOL = 1e-13

#: At most this many Newton/bisection iterations per crossing (bisection alone halves a 0.1 ms
#: bracket to 1e-13 ms in 40).
MAX_ITER = 100

#: At most this many ELIF sub-steps per step; the rest of the step is then taken in one sub-step.
MAX_SUBSTEPS = 100000


class PreciseCoefficients(NamedTuple):
    """The coefficients of a precise step: the grid method's, and what the fix-up needs besides.

    ``tau_m`` (ms), ``R`` (MOhm), ``tau_syn`` (ms, 0: no filter) and ``t_ref`` (ms) are floats
    or NumPy float64 arrays of the population's shape (the fix-up runs on the CPU in float64
    whatever the backend); ``dt`` (ms) and ``tol`` (mV, :func:`elif_tol`) are floats.
    """

    grid: Any  #: :class:`lifbook.dynamics.StepCoefficients` of CLIF ``"exact"`` or ELIF ``"etd2"``
    tau_m: Any
    R: Any
    tau_syn: Any
    t_ref: Any
    dt: float
    tol: float


#: The per-neuron fields of :class:`PreciseCoefficients` the fix-up reads besides ``grid``.
FIXUP_FIELDS = ("tau_m", "R", "tau_syn", "t_ref")


def elif_tol(dt: float) -> float:
    """The ELIF refinement threshold (mV) at time step ``dt`` (ms): ``ELIF_TOL_K * dt**2``."""
    return ELIF_TOL_K * dt * dt


def check_spike_timing(spike_timing, method: str, t_ref, dt: float, model: str) -> str:
    """Validate the ``spike_timing`` keyword against the method and ``t_ref`` (ms); return it."""
    if not isinstance(spike_timing, str) or spike_timing not in SPIKE_TIMINGS:
        raise ValueError(f"spike_timing: expected one of {SPIKE_TIMINGS}, got {spike_timing!r}")
    if spike_timing == "precise":
        if method == "euler":
            raise ValueError("spike_timing='precise' locates the crossing on the exact solution (CLIF) or with "
                             "a higher-order integrator (ELIF); it does not combine with method='euler'; "
                             "use the default method")
        if model == "ELIF" and method != "etd2":
            raise ValueError(f"spike_timing='precise' integrates ELIF with method='etd2' (its error estimate "
                             f"decides which steps are refined), got method={method!r}")
        t_min = float(np.min(t_ref))
        if t_min < dt:
            raise ValueError(f"t_ref: spike_timing='precise' needs t_ref >= dt (at most one spike per step), "
                             f"got t_ref={t_min:g} ms < dt={dt:g} ms; use a smaller dt or spike_timing='grid'")
    return spike_timing


# -- the grid pass ---------------------------------------------------------------------------------------
def grid_pass(v, i, ref, x, c, dt, tol, where, minimum, exp, SYN, EXP):
    """Pass 1 of a precise step, for one neuron or arrays: ``(v', i', ref', flag)``.

    ``c``: a :class:`lifbook.dynamics.StepCoefficients` of the grid method (CLIF ``"exact"``,
    ELIF ``"etd2"``); ``ref``: refractory ms left; ``tol``: :func:`elif_tol`. A neuron with
    ``ref >= dt`` is held at ``u_reset`` (``ref' = ref - dt``); the others take the grid update
    (``ref' = 0``), and ``flag`` marks those whose step :func:`fixup` must redo: a grid crossing,
    a refractory period ending inside the step, and (ELIF) an ETD2 correction above ``tol``.
    ``i'`` is final. ``where``, ``minimum``, ``exp`` as in :func:`lifbook.dynamics.neuron_update`.
    """
    v_free = c.u_rest + c.a_m * (v - c.u_rest) + c.b_m * x
    i_new = i
    if SYN:
        v_free = v_free + c.c_syn * (i - x)
        i_new = x + c.a_syn * (i - x)
    zero = dt - dt  # 0 in the state's type (a float64 literal would widen float32 lanes in numba)
    free = ref < dt
    flag = ref > zero
    if EXP:
        q_u = (v - c.theta_rh) / c.delta_T
        x_u = exp(minimum(q_u, c.arg_cap))
        e_u = c.delta_T * x_u
        a = v_free + c.k_nl * e_u
        q_a = (a - c.theta_rh) / c.delta_T
        e_a = c.delta_T * exp(minimum(q_a, c.arg_cap))
        corr = c.k_nl2 * (e_a - e_u)
        # ETD2's leading local error corr (k_nl (E(u) + delta_T) + u - Phi(u))/(6 delta_T) (module docstring),
        # added as corr (2 k_nl E(u)/delta_T + k_nl - (a - u)/delta_T)/6: no further division per neuron.
        # 1/6 from dt/dt, in the state's type (a float64 literal would widen float32 lanes in numba).
        one = dt / dt
        three = one + one + one
        sixth = one / (three + three)
        v_free = a + corr + corr * ((c.k_nl * (x_u + x_u) + c.k_nl) - (q_a - q_u)) * sixth
        flag = flag | (corr > tol) | (corr < -tol) | (c.k_nl * e_a > c.delta_T)
    flag = flag | (v_free >= c.u_th)
    v_new = where(free, v_free, c.u_reset)
    ref_new = where(free, zero * ref, ref - dt)
    return v_new, i_new, ref_new, flag & free


def precise_step(x, state, pc: PreciseCoefficients, backend):
    """One precise step of whole arrays (the reference engine): ``(spikes, state, offsets)``.

    ``state``: a :class:`lifbook.dynamics.LIFState` whose ``ref`` holds refractory ms (float);
    ``x``: the input (broadcasts against the state); ``backend``: a
    :class:`lifbook.backends.Backend`. :func:`grid_pass` on the arrays with the backend's ``ops``,
    then :func:`fixup` on Python floats for each flagged neuron (on the CPU: a CUDA population
    copies the flagged neurons' values there and back). ``offsets``: ms from the start of the
    step to each spike (0 where none).
    """
    c = pc.grid
    ops = backend.ops
    syn = state.i is not None
    exp_ = c.delta_T is not None
    v, i, r, flag = grid_pass(state.v, state.i if syn else x, state.ref, x, c, pc.dt, pc.tol, ops.where,
                              ops.minimum, ops.exp, syn, exp_)
    shape = tuple(state.v.shape)
    spikes = backend.zeros_bool(shape)
    offsets = backend.full(shape, 0.0)
    fl = backend.to_numpy(flag)
    if fl.any():
        idx = np.nonzero(fl)

        def take(a):
            a = backend.to_numpy(a) if hasattr(a, "detach") else np.asarray(a)
            return np.broadcast_to(a, shape)[idx].astype(np.float64).tolist()

        cols = [take(a) for a in (state.v, state.i if syn else x, state.ref, x, pc.tau_m, c.u_rest, c.u_reset,
                                  c.u_th, pc.R, pc.t_ref, pc.tau_syn)]
        cols += [take(c.theta_rh), take(c.delta_T), take(c.arg_cap)] if exp_ else [[0.0] * len(idx[0])] * 3
        out = [fixup(*(col[k] for col in cols[:4]), pc.dt, *(col[k] for col in cols[4:]), exp_)
               for k in range(len(idx[0]))]
        v_f, r_f, s_f, o_f = (np.array(a) for a in zip(*out))
        if backend.name == "torch":
            t = backend.torch
            idx = tuple(t.as_tensor(a, device=backend.device) for a in idx)
            v_f, r_f, o_f = (t.as_tensor(a, dtype=backend.dtype, device=backend.device) for a in (v_f, r_f, o_f))
            s_f = t.as_tensor(s_f, device=backend.device)
        v[idx] = v_f
        r[idx] = r_f
        spikes[idx] = s_f
        offsets[idx] = o_f
    return spikes, LIFState(v, i if syn else None, r), offsets


# -- propagators ---------------------------------------------------------------------------------------
def propagator(s, tau_m, R, tau_syn):
    """Coefficients ``(a_m, b_m, a_syn, c_syn)`` of the exact linear flow over ``s`` ms.

    ``u(s) = u_rest + a_m (u0 - u_rest) + b_m x + c_syn (I0 - x)`` and
    ``I(s) = x + a_syn (I0 - x)`` (input ``x`` constant; ``a_syn = c_syn = 0`` without a
    filter). The same expressions as :class:`lifbook.params.LIFCoefficients` with ``dt = s``.
    """
    a_m = math.exp(-s / tau_m)
    b_m = R * -math.expm1(-s / tau_m)
    a_syn = 0.0
    c_syn = 0.0
    if tau_syn > 0.0:
        a_syn = math.exp(-s / tau_syn)
        z = s / tau_m - s / tau_syn
        if z == 0.0:
            diff = a_m
        elif abs(z) <= 1.0:
            diff = a_m * (math.expm1(z) / z)
        else:
            diff = (a_syn - a_m) / z
        c_syn = R * (s / tau_m) * diff
    return a_m, b_m, a_syn, c_syn


def _flow(u0, i0, x, s, tau_m, u_rest, R, tau_syn):
    """``(u(s), I(s), a_m(s))``: the linear flow over ``s`` ms (no threshold, no exponential term).

    Without a filter ``u_inf + (u0 - u_inf) a_m`` (one ``exp``), with one :func:`propagator`.
    """
    if tau_syn > 0.0:
        a_m, b_m, a_syn, c_syn = propagator(s, tau_m, R, tau_syn)
        u = u_rest + a_m * (u0 - u_rest) + b_m * x + c_syn * (i0 - x)
        return u, x + a_syn * (i0 - x), a_m
    a_m = math.exp(-s / tau_m)
    u_inf = u_rest + R * x
    return u_inf + (u0 - u_inf) * a_m, x, a_m


def _nl(u, tau_m, theta_rh, delta_T, cap):
    """The exponential term divided by ``tau_m``: ``delta_T exp(min((u - theta_rh)/delta_T, cap))/tau_m`` (mV/ms)."""
    return delta_T * math.exp(min((u - theta_rh) / delta_T, cap)) / tau_m


def _rhs(u, cur, tau_m, u_rest, R, theta_rh, delta_T, cap, EXP):
    """``du/dt`` (mV/ms) at potential ``u`` and current ``cur``."""
    d = (-(u - u_rest) + R * cur) / tau_m
    if EXP:
        d = d + _nl(u, tau_m, theta_rh, delta_T, cap)
    return d


def etd2_step(u0, i0, x, s, tau_m, u_rest, R, tau_syn, theta_rh, delta_T, cap):
    """One ETD2 (exponential time differencing, RK2) step of ELIF over ``s`` ms: ``(u', A)``.

    ``A = Phi_s(u0) + p1 N(u0)`` is the exponential-Euler predictor (``Phi_s``: the exact
    linear flow, ``N``: the exponential term over ``tau_m``, ``p1 = tau_m (1 - e^{-s/tau_m})``);
    ``u' = A + p2 (N(A) - N(u0))`` with ``p2 = tau_m (1 - p1/s)``. ``|u' - A|`` estimates
    the error of the step.
    """
    lin, _, a_m = _flow(u0, i0, x, s, tau_m, u_rest, R, tau_syn)
    p1 = -tau_m * math.expm1(-s / tau_m)
    p2 = tau_m * (1.0 - p1 / s)
    n0 = _nl(u0, tau_m, theta_rh, delta_T, cap)
    A = lin + p1 * n0
    return A + p2 * (_nl(A, tau_m, theta_rh, delta_T, cap) - n0), A


def lawson_step(u0, i0, x, s, tau_m, u_rest, R, tau_syn, theta_rh, delta_T, cap):
    """One Lawson (integrating-factor) RK4 step of ELIF over ``s`` ms from ``(u0, I0)``: ``u(s)``.

    With ``u(t) = Phi_t(u0) + r(t)`` (``Phi_t``: the exact linear flow with the synaptic current),
    classical RK4 is applied to ``e^{t/tau_m} r(t)``, whose derivative holds only the exponential
    term; order 4, and exact when that term is constant.
    """
    return _lawson(u0, i0, x, s, _nl(u0, tau_m, theta_rh, delta_T, cap), tau_m, u_rest, R, tau_syn, theta_rh,
                   delta_T, cap)


def _lawson(u0, i0, x, s, k1, tau_m, u_rest, R, tau_syn, theta_rh, delta_T, cap):
    """:func:`lawson_step` with its first stage ``k1 = N(u0)`` given (five exponentials without a filter)."""
    h2 = 0.5 * s
    if tau_syn > 0.0:
        P2, _, e2 = _flow(u0, i0, x, h2, tau_m, u_rest, R, tau_syn)
        P1, _, e1 = _flow(u0, i0, x, s, tau_m, u_rest, R, tau_syn)
    else:
        e2 = math.exp(-h2 / tau_m)
        e1 = e2 * e2
        u_inf = u_rest + R * x
        P2 = u_inf + (u0 - u_inf) * e2
        P1 = u_inf + (u0 - u_inf) * e1
    k2 = _nl(P2 + e2 * (h2 * k1), tau_m, theta_rh, delta_T, cap)
    k3 = _nl(P2 + h2 * k2, tau_m, theta_rh, delta_T, cap)
    k4 = _nl(P1 + e2 * (s * k3), tau_m, theta_rh, delta_T, cap)
    return P1 + (s / 6.0) * (e1 * k1 + 2.0 * e2 * (k2 + k3) + k4)


# -- crossings -----------------------------------------------------------------------------------------
def _newton_crossing(u0, i0, x, L, u_end, tau_m, u_rest, u_th, R, tau_syn, theta_rh, delta_T, cap, EXP):
    """``s`` in ``[0, L]`` where the map ``s -> u(s)`` (exact flow, or a Lawson step for ELIF) reaches ``u_th``.

    ``u0 < u_th <= u_end = u(L)``. Safeguarded Newton with ``du/ds`` from the differential
    equation; a bisection step whenever Newton would leave the bracket.
    """
    k1 = _nl(u0, tau_m, theta_rh, delta_T, cap) if EXP else 0.0
    lo = 0.0
    hi = L
    f_lo = u0 - u_th
    f_hi = u_end - u_th
    s = L * (-f_lo / (f_hi - f_lo)) if f_hi > f_lo else 0.5 * L  # regula falsi start
    for _ in range(MAX_ITER):
        if EXP:
            u = _lawson(u0, i0, x, s, k1, tau_m, u_rest, R, tau_syn, theta_rh, delta_T, cap)
            cur = x + math.exp(-s / tau_syn) * (i0 - x) if tau_syn > 0.0 else x
        else:
            u, cur, _ = _flow(u0, i0, x, s, tau_m, u_rest, R, tau_syn)
        f = u - u_th
        if f >= 0.0:
            hi = s
        else:
            lo = s
        d = _rhs(u, cur, tau_m, u_rest, R, theta_rh, delta_T, cap, EXP)
        new = s - f / d if d > 0.0 else -1.0
        if not (lo < new < hi):
            new = 0.5 * (lo + hi)
        if abs(new - s) <= T_TOL or hi - lo <= T_TOL:
            return min(max(new, 0.0), L)
        s = new
    return hi


def hermite_crossing(u0, f0, u1, f1, h, u_th):
    """``s`` in ``[0, h]`` where the cubic Hermite interpolant of ``u`` reaches ``u_th``.

    The interpolant matches ``u0``, ``du/dt = f0`` at 0 and ``u1``, ``f1`` at ``h`` (ms);
    ``u0 < u_th <= u1``. Safeguarded Newton on the cubic (bisection whenever Newton leaves the
    bracket) to :data:`T_TOL`, from the linear interpolant's root. No ``exp``: a few dozen flops.
    """
    d = u1 - u0
    a1 = h * f0
    a2 = 3.0 * d - 2.0 * a1 - h * f1
    a3 = -2.0 * d + a1 + h * f1
    g0 = u0 - u_th
    lo = 0.0
    hi = 1.0
    th = -g0 / d if d > 0.0 else 0.5
    tol = T_TOL / h if h > 0.0 else 1.0
    for _ in range(MAX_ITER):
        g = g0 + th * (a1 + th * (a2 + th * a3))
        if g >= 0.0:
            hi = th
        else:
            lo = th
        dg = a1 + th * (2.0 * a2 + 3.0 * th * a3)
        new = th - g / dg if dg > 0.0 else -1.0
        if not (lo < new < hi):
            new = 0.5 * (lo + hi)
        if abs(new - th) <= tol or hi - lo <= tol:
            return h * min(max(new, 0.0), 1.0)
        th = new
    return h * hi


def elif_substep_crossing(u0, i0, x, hs, u1, tau_m, u_rest, u_th, R, tau_syn, theta_rh, delta_T, cap):
    """The crossing time (ms) inside one ELIF sub-step of ``hs`` ms from ``(u0, I0)`` that ends at ``u1 >= u_th``.

    The RK4 sub-step's dense output: :func:`hermite_crossing` with ``du/dt`` of the differential
    equation at both ends (``O(hs^4)``, the order of the sub-step; the sub-steps at a crossing
    are short, ``hs <= ELIF_C / J(u)``).
    """
    cur1 = x + math.exp(-hs / tau_syn) * (i0 - x) if tau_syn > 0.0 else x
    f0 = _rhs(u0, i0 if tau_syn > 0.0 else x, tau_m, u_rest, R, theta_rh, delta_T, cap, True)
    f1 = _rhs(u1, cur1, tau_m, u_rest, R, theta_rh, delta_T, cap, True)
    return hermite_crossing(u0, f0, u1, f1, hs, u_th)


def clif_crossing(u0, i0, x, L, u_end, tau_m, u_rest, u_th, R, tau_syn):
    """Time (ms, in ``[0, L]``) at which the exact CLIF solution from ``(u0, I0)`` reaches ``u_th``.

    Needs ``u_end = u(L) >= u_th``. Closed form without a synaptic filter, Newton with one.
    """
    if u0 >= u_th:
        return 0.0
    if tau_syn > 0.0:
        return _newton_crossing(u0, i0, x, L, u_end, tau_m, u_rest, u_th, R, tau_syn, 0.0, 1.0, 0.0, False)
    u_inf = u_rest + R * x
    # tau_m ln((u0 - u_inf)/(u_th - u_inf)), as log1p for crossings close to the start.
    s = tau_m * math.log1p((u0 - u_th) / (u_th - u_inf)) if u_inf > u_th else L
    return min(max(s, 0.0), L)


def w_rhs(w, cur, tau_m, u_rest, R, theta_rh, delta_T, w_min):
    """``dw/dt`` (1/ms) of ELIF in ``w = exp(-(u - theta_rh)/delta_T)`` at current ``cur`` (nA).

    ``dw/dt = -(w/delta_T) (-(u - u_rest) + R I)/tau_m - 1/tau_m`` with ``u = theta_rh - delta_T ln w``
    (the exponential term becomes the constant ``-1/tau_m``); held at its value at ``w_min =
    exp(-cap)`` below it (the capped exponential; only the stages of a sub-step past ``u_th`` get there).
    """
    wc = max(w, w_min)
    u = theta_rh - delta_T * math.log(wc)
    return -(wc / delta_T) * ((-(u - u_rest) + R * cur) / tau_m) - 1.0 / tau_m


def w_substep_crossing(w0, i0, x, hs, w1, tau_m, u_rest, R, tau_syn, theta_rh, delta_T, w_min, w_th):
    """The crossing time (ms) inside one sub-step in ``w`` of ``hs`` ms from ``(w0, I0)`` that ends at ``w1 <= w_th``.

    The RK4 sub-step's dense output: :func:`hermite_crossing` on ``-w`` with :func:`w_rhs` at both ends.
    """
    cur1 = x + math.exp(-hs / tau_syn) * (i0 - x) if tau_syn > 0.0 else x
    g0 = w_rhs(w0, i0 if tau_syn > 0.0 else x, tau_m, u_rest, R, theta_rh, delta_T, w_min)
    g1 = w_rhs(w1, cur1, tau_m, u_rest, R, theta_rh, delta_T, w_min)
    return hermite_crossing(-w0, -g0, -w1, -g1, hs, -w_th)


def w_form(u_th, theta_rh, delta_T, cap):
    """Whether :func:`elif_advance` integrates in ``w``: ``(u_th - theta_rh)/delta_T <= cap`` (relative slack 1e-6).

    The slack keeps a cap that is the cut-off's own value, rounded (float32 parameters), in ``w``;
    there ``w`` ends a hair below ``w_min`` (the last stage's slope held at ``w_min``).
    """
    return (u_th - theta_rh) / delta_T <= cap * (1.0 + 1e-6)


def elif_advance(u0, i0, x, L, tau_m, u_rest, u_th, R, tau_syn, theta_rh, delta_T, cap):
    """Integrate ELIF over ``L`` ms from ``(u0, I0)``: ``(u, crossed, s)``.

    Returns the potential at ``L`` (if no crossing), whether ``u`` reached ``u_th``, and the
    crossing time ``s`` (ms from the start) if it did. In ``w = exp(-(u - theta_rh)/delta_T)``
    (:func:`elif_advance_w`) when ``(u_th - theta_rh)/delta_T <= cap`` (:func:`w_form`; the exponential is
    not capped below ``u_th``: lifbook's defaults), else in ``u`` (:func:`elif_advance_u`).
    """
    if w_form(u_th, theta_rh, delta_T, cap):
        return elif_advance_w(u0, i0, x, L, tau_m, u_rest, u_th, R, tau_syn, theta_rh, delta_T, cap)
    return elif_advance_u(u0, i0, x, L, tau_m, u_rest, u_th, R, tau_syn, theta_rh, delta_T, cap)


def elif_advance_w(u0, i0, x, L, tau_m, u_rest, u_th, R, tau_syn, theta_rh, delta_T, cap):
    """:func:`elif_advance` in ``w = exp(-(u - theta_rh)/delta_T)``: classical RK4 on :func:`w_rhs`.

    In ``w`` the upswing is not stiff (``dw/dt -> -1/tau_m`` as ``u`` grows): sub-steps of at most
    ``ELIF_C_W / |dg/dw|`` ms, ``|dg/dw| = |u - u_rest - R I - delta_T| / (tau_m delta_T)`` (one
    sub-step per step on issue 8's workload), and the crossing ``w = w_th`` by
    :func:`w_substep_crossing`. Needs ``(u_th - theta_rh)/delta_T <= cap``.
    """
    w_min = math.exp(-cap)
    w_th = math.exp(-(u_th - theta_rh) / delta_T)
    w = math.exp(min(-(u0 - theta_rh) / delta_T, 700.0))
    cur = i0 if tau_syn > 0.0 else x
    t = 0.0
    for k in range(MAX_SUBSTEPS):
        left = L - t
        if left <= 0.0:
            break
        u = theta_rh - delta_T * math.log(max(w, w_min))
        rate = abs(u - u_rest - R * cur - delta_T) / (tau_m * delta_T)
        hs = left
        last = True
        if rate * left > ELIF_C_W and k < MAX_SUBSTEPS - 1:
            hs = ELIF_C_W / rate
            last = False
        h2 = 0.5 * hs
        c2 = x + math.exp(-h2 / tau_syn) * (cur - x) if tau_syn > 0.0 else x
        c1 = x + math.exp(-hs / tau_syn) * (cur - x) if tau_syn > 0.0 else x
        k1 = w_rhs(w, cur, tau_m, u_rest, R, theta_rh, delta_T, w_min)
        k2 = w_rhs(w + h2 * k1, c2, tau_m, u_rest, R, theta_rh, delta_T, w_min)
        k3 = w_rhs(w + h2 * k2, c2, tau_m, u_rest, R, theta_rh, delta_T, w_min)
        k4 = w_rhs(w + hs * k3, c1, tau_m, u_rest, R, theta_rh, delta_T, w_min)
        wn = w + (hs / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
        if wn <= w_th:
            if w <= w_th:
                return u_th, True, t
            s = w_substep_crossing(w, cur, x, hs, wn, tau_m, u_rest, R, tau_syn, theta_rh, delta_T, w_min, w_th)
            return u_th, True, t + s
        cur = c1
        w = wn
        if last:
            break
        t = t + hs
    return theta_rh - delta_T * math.log(max(w, w_min)), False, 0.0


def elif_advance_u(u0, i0, x, L, tau_m, u_rest, u_th, R, tau_syn, theta_rh, delta_T, cap):
    """:func:`elif_advance` in ``u``, with stiffness-limited Lawson RK4 sub-steps (any ``cap``).

    Sub-steps of at most ``ELIF_C / max(J(u), |du/dt|/delta_T)`` ms, the crossing by
    :func:`elif_substep_crossing`.
    """
    u = u0
    cur = i0 if tau_syn > 0.0 else x
    t = 0.0
    for k in range(MAX_SUBSTEPS):
        left = L - t
        if left <= 0.0:
            break
        e = math.exp(min((u - theta_rh) / delta_T, cap))
        J = (e - 1.0) / tau_m
        # |du/dt| / delta_T: the rate at which the exponential term changes along the trajectory
        drift = abs(-(u - u_rest) + R * cur + delta_T * e) / (tau_m * delta_T)
        rate = max(J, drift)
        hs = left
        last = True
        if rate * left > ELIF_C and k < MAX_SUBSTEPS - 1:
            hs = ELIF_C / rate
            last = False
        un = _lawson(u, cur, x, hs, delta_T * e / tau_m, tau_m, u_rest, R, tau_syn, theta_rh, delta_T, cap)
        if un >= u_th:
            if u >= u_th:
                return u_th, True, t
            s = elif_substep_crossing(u, cur, x, hs, un, tau_m, u_rest, u_th, R, tau_syn, theta_rh, delta_T, cap)
            return u_th, True, t + s
        if tau_syn > 0.0:
            cur = x + math.exp(-hs / tau_syn) * (cur - x)
        u = un
        if last:
            break
        t = t + hs
    return u, False, 0.0


def fixup(v, i, ref, x, h, tau_m, u_rest, u_reset, u_th, R, t_ref, tau_syn, theta_rh, delta_T, cap, EXP):
    """The precise update of one flagged neuron over a step of ``h`` ms: ``(v', ref', spike, offset)``.

    ``v, i, ref``: state at the start of the step (``i``: synaptic current, ignored without a
    filter; ``ref``: refractory ms left, ``0 <= ref < h``); ``x``: the step's input (nA). If the
    refractory period ends inside the step, integration starts from ``u_reset`` at ``ref``.
    A spike at ``offset`` ms after the start of the step sets ``v' = u_reset`` and
    ``ref' = t_ref - (h - offset)``; otherwise ``offset = 0``, ``ref' = 0`` and ``v'`` is the
    potential at the end of the step. The synaptic current's update does not depend on spikes
    and is left to the grid pass.
    """
    t_a = 0.0
    u = v
    cur = i if tau_syn > 0.0 else x
    if ref > 0.0:
        t_a = ref
        u = u_reset
        if tau_syn > 0.0:
            cur = x + math.exp(-ref / tau_syn) * (i - x)
    L = h - t_a
    if EXP:
        u_end, crossed, s = elif_advance(u, cur, x, L, tau_m, u_rest, u_th, R, tau_syn, theta_rh, delta_T, cap)
    else:
        u_end, _, _ = _flow(u, cur, x, L, tau_m, u_rest, R, tau_syn)
        crossed = u_end >= u_th
        s = clif_crossing(u, cur, x, L, u_end, tau_m, u_rest, u_th, R, tau_syn) if crossed else 0.0
    if crossed:
        offset = t_a + s
        return u_reset, t_ref - (h - offset), True, offset
    return u_end, 0.0, False, 0.0


# -- numba ---------------------------------------------------------------------------------------------
#: The functions above, callees first (the order :func:`compiled` compiles them in).
_FUNCTIONS = ("propagator", "_flow", "_nl", "_rhs", "etd2_step", "_lawson", "lawson_step", "_newton_crossing",
              "hermite_crossing", "elif_substep_crossing", "w_rhs", "w_substep_crossing", "clif_crossing",
              "w_form", "elif_advance_w", "elif_advance_u", "elif_advance", "fixup")

#: Compiled as functions of their own (called, not inlined): the loops.
_CALLED = ("_newton_crossing", "hermite_crossing", "elif_advance_w", "elif_advance_u")

_compiled = None


def compiled():
    """This module's functions compiled by numba: a namespace with the same names (imports numba).

    Each function is compiled from its own code object with globals in which its callees are
    the compiled versions, so the kernels run exactly the code above.
    """
    global _compiled
    if _compiled is None:
        import numba

        g = dict(globals())
        for name in _FUNCTIONS:
            f = globals()[name]
            clone = types.FunctionType(f.__code__, g, name, f.__defaults__)
            clone.__qualname__ = f.__qualname__
            clone.__module__ = f.__module__
            # small helpers are inlined into their callers (a call costs as much as an exp here)
            inline = "never" if name in _CALLED else "always"
            g[name] = numba.njit(cache=True, error_model="numpy", inline=inline)(clone)
        _compiled = types.SimpleNamespace(**{name: g[name] for name in _FUNCTIONS})
    return _compiled
