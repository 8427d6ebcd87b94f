"""Numba kernels for precise spike timing (``spike_timing="precise"``, see :mod:`lifbook.timing`).

Like :mod:`.kernels` (whose helpers, block sizes and compilation they share), and with the two
passes of :mod:`lifbook.timing` per block of neurons and time step:

1. a vectorisable pass over the block: :func:`lifbook.timing.grid_pass` compiled for one neuron
   (the grid update, the synaptic current, the refractory countdown and the flag). A flagged
   neuron keeps its state from the start of the step (a select, no branch);
2. the fix-up of the flagged neurons only (none in most steps), in float64 whatever the state's
   dtype. With a synaptic filter, one neuron at a time: :func:`lifbook.timing.fixup`, compiled
   from the same code; the synaptic current's update is the grid pass's expression. Without
   one (the common case), the flagged neurons of the block are gathered into a scratch ``W``
   (a column each) and advanced together in loops that LLVM vectorises, with float64
   polynomial ``exp`` and ``log`` (:func:`_exp64`, :func:`_log64`, a few ulp from the C
   library's): CLIF by :func:`_clif_flow` (the exact flow and the closed-form crossing of
   :func:`lifbook.timing.clif_crossing`, branch-free), ELIF by :func:`_elif_rounds` (the RK4
   sub-steps in ``w = exp(-(u - theta_rh)/delta_T)`` of :func:`lifbook.timing.elif_advance_w`,
   one round per sub-step for all neurons still integrating, about one per step; the Hermite
   search of a crossing, :func:`lifbook.timing.w_substep_crossing`, stays scalar, one per spike).
   The loops run in multiples of :data:`_PAD` lanes, so that a few flagged neurons still run in
   vector code. ELIF neurons whose exponential is capped below ``u_th`` take the scalar fix-up.
   Same algorithm and constants as :mod:`lifbook.timing`; the results differ from the reference's by
   rounding (the polynomials, reciprocals instead of divisions), far inside the tests' 1e-9 ms.
   The ``SMALL``-block path and :func:`step_kernel` keep the scalar fix-up.

Coefficients: ``P``/``Pn`` of the grid method as in :mod:`.layout`, and ``Q`` with a row per
name of :data:`lifbook.timing.FIXUP_FIELDS` (``(4, 1)`` or ``(4, N)``, float64); ``D`` holds
``(dt, tol)`` in the state's dtype. The refractory state ``r`` holds ms (the state's dtype).
"""
from __future__ import annotations

import functools
import hashlib
import inspect

import numba
import numpy as np

from .. import timing
from . import kernels as _kernels
from .kernels import _KEY, BLOCK, CHUNK, SMALL, _coef_at, _exp, _jit, _minimum, _where, compile_for

__all__ = ["BLOCK", "CHUNK", "run_kernel", "step_kernel", "compile_for"]

_grid = numba.njit(inline="always", error_model="numpy")(timing.grid_pass)
assert BLOCK % 8 == 0  # the fix-up scans the flags of a block as 64-bit words
_T = timing.compiled()
_fixup = _T.fixup
_w_crossing = _T.w_substep_crossing
_w_form = _T.w_form
_TAU_M, _R, _TAU_SYN, _T_REF = (timing.FIXUP_FIELDS.index(n) for n in ("tau_m", "R", "tau_syn", "t_ref"))


#: Vector iterations LLVM interleaves in the neuron loops of the precise ELIF run kernels (as
#: :data:`.kernels.RUN_INTERLEAVE_ELIF`, 8 for the grid kernels). The precise grid pass is longer (the
#: error term, the flags, the refractory clock): 8 vectors spill registers to the stack, 4 do not.
#: ``bench/bench_methods.py --N 1e5 --T 200 --threads 1``, CPU time, precise / grid per update on a loaded
#: 2-core machine (medians of 7 rounds, two runs each): 8: float32 1.43-1.46, float64 1.78-1.92; 6: 1.39, 1.79;
#: 4: 1.32-1.35, 1.60-1.62; 3: 1.42, 1.65; 2: 1.46, 1.88. The results are the same bits (the same operations
#: per neuron). CLIF's kernels keep LLVM's own choice (2, 4 and 8 measured no faster).
RUN_INTERLEAVE_ELIF = 4


def _source_key() -> str:
    """:data:`.kernels._KEY`, a hash of :mod:`lifbook.timing` (the code these kernels inline) and the
    interleave count (a compiler option, not part of numba's own cache key)."""
    return hashlib.sha256((_KEY + inspect.getsource(timing) + f"interleave={RUN_INTERLEAVE_ELIF}").encode()).hexdigest()


_PKEY = _source_key()


@numba.njit(inline="always", error_model="numpy")
def _fix(v0, i0, r0, x, c, Q, jq, dt, EXP):
    """:func:`lifbook.timing.fixup` for one neuron in float64: ``(v', ref', spike, offset)``."""
    f = np.float64
    if EXP:
        th, dT, cap = f(c.theta_rh), f(c.delta_T), f(c.arg_cap)
    else:
        th, dT, cap = 0.0, 1.0, 0.0
    return _fixup(f(v0), f(i0), f(r0), f(x), f(dt), Q[_TAU_M, jq], f(c.u_rest), f(c.u_reset), f(c.u_th), Q[_R, jq],
                  Q[_T_REF, jq], Q[_TAU_SYN, jq], th, dT, cap, EXP)


# -- the vectorised fix-up (no synaptic filter) ------------------------------------------------------------
# The float64 ``exp`` and the bit casts are the grid kernels' (:func:`.kernels._exp64`, vectorisable).
_exp64 = _kernels._exp64
_f64_bits, _f64_from_bits = _kernels._f64_bits, _kernels._f64_from_bits
_LN2_HI, _LN2_LO = _kernels._LN2_HI_64, _kernels._LN2_LO_64


_SQRT2 = 1.4142135623730951
_MANT = (1 << 52) - 1


@numba.njit(inline="always", error_model="numpy")
def _log64(y):
    """float64 ``log(y)`` for normal ``y > 0``, vectorisable (no call into the C library).

    ``y = 2**k m`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` from the bits; ``log(m) = 2 atanh(f)``,
    ``f = (m - 1)/(m + 1)``, ``|f| <= 0.172``, by its series to ``f**19/19`` (truncation error
    below 3e-17); a relative error of a few ulp.
    """
    bits = _f64_bits(y)
    k = (bits >> 52) - 1023
    m = _f64_from_bits((bits & _MANT) | (1023 << 52))
    big = m > _SQRT2
    m = 0.5 * m if big else m
    kf = np.float64(k + 1 if big else k)
    f = (m - 1.0) / (m + 1.0)
    f2 = f * f
    f4 = f2 * f2
    f8 = f4 * f4
    q01 = 1.0 + f2 * (1.0 / 3.0)
    q23 = 1.0 / 5.0 + f2 * (1.0 / 7.0)
    q45 = 1.0 / 9.0 + f2 * (1.0 / 11.0)
    q67 = 1.0 / 13.0 + f2 * (1.0 / 15.0)
    q89 = 1.0 / 17.0 + f2 * (1.0 / 19.0)
    q = ((q01 + f4 * q23) + f8 * (q45 + f4 * q67)) + (f8 * f8) * q89
    return kf * _LN2_HI + (kf * _LN2_LO + 2.0 * f * q)


# Rows of the scratch ``W`` (float64, a column per flagged neuron of a block). By position (moved to the
# front as neurons finish): the state and parameters of the neurons still integrating, and a round's values;
# ELIF holds ``w = exp(-(u - theta_rh)/delta_T)`` in ``_U`` and ``_UN``, ``w_min = exp(-cap)`` in ``_CAP`` and
# ``w_th`` in ``_UTH`` (:func:`lifbook.timing.elif_advance_w`).
_U, _T0, _LEN, _X, _TAU, _UR, _RR, _TH, _DT, _CAP, _UTH, _UN, _HS, _UU = range(14)
# by flagged neuron (its place in the block's list of flagged neurons): the results.
_OU, _OS, _OH, _OT, _OW = range(14, 19)
_NROW = 19


#: Lanes the vectorised fix-up loops run in multiples of (the float64 vector width of AVX-512): the
#: lanes past the last neuron hold values of earlier rounds (or zeros), computed and ignored, so that
#: a few flagged neurons run in vector code instead of LLVM's scalar remainder loop.
_PAD = 8
_SIG_CLIF = "void(float64[:, ::1], int64)"
_SIG_ELIF = "void(float64[:, ::1], int64, int64[::1], int64[::1], int64[::1], boolean)"


@numba.njit(_SIG_CLIF, error_model="numpy", nogil=True, cache=True)
def _clif_flow(W, m):
    """The exact CLIF flow without a filter for ``m`` neurons (vectorised): :func:`lifbook.timing.fixup`.

    ``W[_OU]``: the potential after ``W[_LEN]`` ms; where it reaches ``u_th``, ``W[_OT]``: the
    crossing time of :func:`lifbook.timing.clif_crossing` (ms from the start of ``W[_LEN]``).
    """
    U, LEN, X, TAU, UR, RR, UTH, OU, OT = W[_U], W[_LEN], W[_X], W[_TAU], W[_UR], W[_RR], W[_UTH], W[_OU], W[_OT]
    for a in range(-(-m // _PAD) * _PAD):
        u0 = U[a]
        L = LEN[a]
        tau = TAU[a]
        uth = UTH[a]
        u_inf = UR[a] + RR[a] * X[a]
        OU[a] = u_inf + (u0 - u_inf) * _exp64(-L / tau)
        # tau_m ln((u0 - u_inf)/(u_th - u_inf)) = tau_m ln(1 + z)
        z = (u0 - uth) / (uth - u_inf)
        s = tau * _log64(max(1.0 + z, 1e-300))
        s = L if u_inf <= uth else s
        s = 0.0 if u0 >= uth else s
        OT[a] = min(max(s, 0.0), L)


@numba.njit(_SIG_ELIF, error_model="numpy", nogil=True, cache=True)
def _elif_rounds(W, m, lane, st_r, status, het):
    """The sub-steps of :func:`lifbook.timing.elif_advance_w` for ``m`` flagged neurons together (no filter).

    ``W``: the scratch (rows ``_U`` ... ``_UTH`` filled for neurons ``0 .. m-1``, ``W[_T0] = 0``, ``W[_U]``
    the potential ``u0``, turned into ``w`` here); ``het``: whether the parameter rows differ by neuron
    (else they hold the same value in every column and are not moved);
    ``lane``: ``0 .. m-1`` on entry, then the neuron at each position. Each round takes one
    sub-step (classical RK4 in ``w``) of every neuron still integrating (its ``k``-th round is
    ``elif_advance_w``'s ``k``-th sub-step), branch-free over contiguous rows, then moves those
    still integrating to the front. Per neuron ``j``: ``status[j]`` 0 (no crossing, ``W[_OU, j]``
    the potential at the end), 1 (already at ``u_th`` at ``W[_OT, j]`` ms: the crossing time) or
    2 (a crossing inside the sub-step of ``W[_OH, j]`` ms from ``w = W[_OS, j]`` at ``W[_OT, j]``,
    which ends at ``w = W[_OW, j]``: located afterwards by :func:`lifbook.timing.w_substep_crossing`).
    """
    C = timing.ELIF_C_W
    last_round = timing.MAX_SUBSTEPS - 1
    U, T0, LEN, X, UN, HS, UU = W[_U], W[_T0], W[_LEN], W[_X], W[_UN], W[_HS], W[_UU]
    TAU, UR, RR, TH, DT, WMIN, WTH = W[_TAU], W[_UR], W[_RR], W[_TH], W[_DT], W[_CAP], W[_UTH]
    for a in range(-(-m // _PAD) * _PAD):  # w = exp(-(u0 - theta_rh)/delta_T), vectorised
        U[a] = _exp64(min(-(U[a] - TH[a]) / DT[a], 700.0))
    na = m
    k = 0
    while na > 0:
        for a in range(-(-na // _PAD) * _PAD):
            w = U[a]
            tau = TAU[a]
            dT = DT[a]
            th = TH[a]
            wmin = WMIN[a]
            ur = UR[a]
            rx = RR[a] * X[a]
            left = LEN[a] - T0[a]
            # reciprocals: two divisions instead of a dozen (the results differ from timing's by rounding)
            i_tau = 1.0 / tau
            i_dT = 1.0 / dT
            u = th - dT * _log64(max(w, wmin))
            rate = abs(u - ur - rx - dT) * (i_tau * i_dT)
            sub = (rate * left > C) & (k < last_round)
            hs = C / rate if sub else left
            h2 = 0.5 * hs
            # timing.w_rhs: -(w/delta_T)(-(u - u_rest) + R x)/tau_m - 1/tau_m, w held at w_min below it
            k1 = -(max(w, wmin) * i_dT) * ((-(u - ur) + rx) * i_tau) - i_tau
            y = max(w + h2 * k1, wmin)
            k2 = -(y * i_dT) * ((-(th - dT * _log64(y) - ur) + rx) * i_tau) - i_tau
            y = max(w + h2 * k2, wmin)
            k3 = -(y * i_dT) * ((-(th - dT * _log64(y) - ur) + rx) * i_tau) - i_tau
            y = max(w + hs * k3, wmin)
            k4 = -(y * i_dT) * ((-(th - dT * _log64(y) - ur) + rx) * i_tau) - i_tau
            wn = w + (hs * (1.0 / 6.0)) * (k1 + 2.0 * (k2 + k3) + k4)
            wth = WTH[a]
            # 0: done without a crossing, 1: at u_th at the start, 2: a crossing inside, 3: go on
            st_r[a] = 0 if left <= 0.0 else ((1 if w <= wth else 2) if wn <= wth else (3 if sub else 0))
            UN[a] = wn if left > 0.0 else w
            UU[a] = th - dT * _log64(max(wn, wmin)) if left > 0.0 else u
            HS[a] = hs
        nb = 0
        for a in range(na):
            st = st_r[a]
            j = lane[a]
            if st == 3:  # still integrating: to the front
                U[nb] = UN[a]
                T0[nb] = T0[a] + HS[a]
                LEN[nb] = LEN[a]
                X[nb] = X[a]
                if het:
                    TAU[nb] = TAU[a]
                    UR[nb] = UR[a]
                    RR[nb] = RR[a]
                    TH[nb] = TH[a]
                    DT[nb] = DT[a]
                    WMIN[nb] = WMIN[a]
                    WTH[nb] = WTH[a]
                lane[nb] = j
                nb += 1
                continue
            status[j] = st
            W[_OU, j] = UU[a]
            W[_OW, j] = UN[a]
            W[_OS, j] = U[a]
            W[_OH, j] = HS[a]
            W[_OT, j] = T0[a]
        na = nb
        k += 1


@functools.lru_cache(maxsize=None)
def step_kernel(SYN: bool, EXP: bool, HET: bool, dtype: str = "float64"):
    """``kernel(x, v, i, r, P, Pn, Q, D, s_out, o_out, v_out, i_out, r_out, limit, nbad, q0, q1)``: one step.

    As :func:`.kernels.step_kernel` (chunks ``q0 <= q < q1``, the input check counted in
    ``nbad``), plus ``o_out``: the spike offsets (ms after the start of the step, 0 where none).
    """
    key = _PKEY

    def step(x, v, i, r, P, Pn, Q, D, s_out, o_out, v_out, i_out, r_out, limit, nbad, q0, q1):
        assert key  # the source key is a closure constant: part of numba's cache key
        B, N = v.shape
        Bx, Nx = x.shape
        dt, tol = D[0], D[1]
        nch = (N + CHUNK - 1) // CHUNK
        flags = np.empty(CHUNK, dtype=np.bool_)
        c = _coef_at(P, Pn, 0)
        for q in range(q0, q1):
            b = q // nch
            j0 = (q - b * nch) * CHUNK
            j1 = min(j0 + CHUNK, N)
            n = j1 - j0
            bx = b if Bx > 1 else 0
            x_bad = 0
            nflag = 0
            for j in range(n):
                jj = j0 + j
                xj = x[bx, jj if Nx > 1 else 0]
                x_bad += not (abs(xj) <= limit)  # NaN, inf and too large
                if HET:
                    c = _coef_at(P, Pn, jj)
                v0 = v[b, jj]
                i0 = i[b, jj] if SYN else xj
                r0 = r[b, jj]
                v1, i1, r1, f1 = _grid(v0, i0, r0, xj, c, dt, tol, _where, _minimum, _exp, SYN, EXP)
                v_out[b, jj] = v1
                r_out[b, jj] = r1
                if SYN:
                    i_out[b, jj] = i1
                s_out[b, jj] = False
                o_out[b, jj] = 0.0
                flags[j] = f1
                nflag += f1
            nbad[q] = x_bad
            if nflag == 0:
                continue
            for j in range(n):
                if not flags[j]:
                    continue
                jj = j0 + j
                jq = jj if HET else 0
                if HET:
                    c = _coef_at(P, Pn, jj)
                xj = x[bx, jj if Nx > 1 else 0]
                v1, r1, s1, o1 = _fix(v[b, jj], i[b, jj] if SYN else xj, r[b, jj], xj, c, Q, jq, dt, EXP)
                v_out[b, jj] = v1
                r_out[b, jj] = r1
                s_out[b, jj] = s1
                o_out[b, jj] = o1

    return _jit(step)


@functools.lru_cache(maxsize=None)
def run_kernel(SYN: bool, EXP: bool, HET: bool, COUNT: bool, dtype: str = "float64"):
    """``kernel(xs, v, i, r, P, Pn, Q, D, T, tile, spikes, offsets, v_rec, i_rec, count, q0, q1)``: ``T`` steps.

    As :func:`.kernels.run_kernel` (the state advanced in place, blocks ``q0 <= q < q1``, tiles
    of ``tile`` steps, rows of ``spikes`` overwritten unless it has ``T`` of them), plus
    ``offsets``, the same shape as ``spikes``: the spike offsets (ms after the start of the
    step), written where a spike is (0 elsewhere when the caller zeroed it).
    """
    key = _PKEY

    def run(xs, v, i, r, P, Pn, Q, D, T, tile, spikes, offsets, v_rec, i_rec, count, q0, q1):
        assert key  # the source key is a closure constant: part of numba's cache key
        B, N = v.shape
        Tx, Bx, Nx = xs.shape
        dt, tol = D[0], D[1]
        nblk = (N + BLOCK - 1) // BLOCK
        rec_spikes, rec_v, rec_i = spikes.shape[0] == T, v_rec.shape[0] == T, i_rec.shape[0] == T
        x_fill = np.empty(BLOCK if Nx == 1 else 0, dtype=v.dtype)
        flags = np.zeros(BLOCK, dtype=np.bool_)
        words = flags.view(np.uint64)
        h = np.float64(dt)
        f8 = np.float64
        idx = np.empty(BLOCK, dtype=np.int64)
        wid = np.empty(BLOCK // 8, dtype=np.int64)
        lane = np.empty(BLOCK, dtype=np.int64)
        st_r = np.empty(BLOCK + _PAD, dtype=np.int64)
        status = np.empty(BLOCK, dtype=np.int64)
        W = np.zeros((_NROW, BLOCK + _PAD), dtype=np.float64)  # zeros in the padding lanes
        TA = np.empty(BLOCK, dtype=np.float64)
        c = _coef_at(P, Pn, 0)
        # ELIF: w_min = exp(-cap) and w_th = exp(-(u_th - theta_rh)/delta_T) of the fix-up (per neuron with HET)
        w_min0 = _exp64(-f8(c.arg_cap)) if EXP else 0.0
        w_th0 = _exp64(-(f8(c.u_th) - f8(c.theta_rh)) / f8(c.delta_T)) if EXP else 0.0
        w_form0 = _w_form(f8(c.u_th), f8(c.theta_rh), f8(c.delta_T), f8(c.arg_cap)) if EXP else False
        if EXP and not HET:
            # the parameter rows of the scratch: the same in every column (filled once, never moved)
            W[_TAU, :] = Q[_TAU_M, 0]
            W[_UR, :] = f8(c.u_rest)
            W[_RR, :] = Q[_R, 0]
            W[_TH, :] = f8(c.theta_rh)
            W[_DT, :] = f8(c.delta_T)
            W[_CAP, :] = w_min0
            W[_UTH, :] = w_th0
        for t0 in range(0, T, tile):
            t1 = min(t0 + tile, T)
            for q in range(q0, q1):
                b = q // nblk
                j0 = (q - b * nblk) * BLOCK
                j1 = min(j0 + BLOCK, N)
                n = j1 - j0
                bx = b if Bx > 1 else 0
                if n <= SMALL:
                    # A few neurons: time innermost, the state in registers.
                    for j in range(n):
                        jj = j0 + j
                        jq = jj if HET else 0
                        vj = v[b, jj]
                        ij = i[b, jj] if SYN else vj  # a placeholder without a filter
                        rj = r[b, jj]
                        cj = 0
                        cc = _coef_at(P, Pn, jj if HET else 0)
                        for t in range(t0, t1):
                            xj = xs[t if Tx > 1 else 0, bx, jj if Nx > 1 else 0]
                            i_in = ij if SYN else xj
                            v1, i1, r1, f1 = _grid(vj, i_in, rj, xj, cc, dt, tol, _where, _minimum, _exp, SYN, EXP)
                            sj = False
                            if f1:
                                v1, r1, sj, oj = _fix(vj, i_in, rj, xj, cc, Q, jq, dt, EXP)
                                if sj:
                                    offsets[t if rec_spikes else 0, b, jj] = oj
                            vj, rj = v1, r1
                            if SYN:
                                ij = i1
                            spikes[t if rec_spikes else 0, b, jj] = sj
                            cj += sj
                            if rec_v:
                                v_rec[t, b, jj] = vj
                            if rec_i and SYN:
                                i_rec[t, b, jj] = ij
                        v[b, jj] = vj
                        if SYN:
                            i[b, jj] = ij
                        r[b, jj] = rj
                        if COUNT:
                            count[b, jj] += cj
                    continue
                v_b = v[b, j0:j1]
                r_b = r[b, j0:j1]
                if SYN:
                    i_b = i[b, j0:j1]
                if COUNT:
                    c_b = count[b, j0:j1]
                for t in range(t0, t1):
                    s_t = spikes[t if rec_spikes else 0, b, j0:j1]
                    o_t = offsets[t if rec_spikes else 0, b, j0:j1]
                    if Nx == 1:
                        x_fill[:] = xs[t if Tx > 1 else 0, bx, 0]
                        x_t = x_fill[:n]
                    else:
                        x_t = xs[t if Tx > 1 else 0, bx, j0:j1]
                    s_t[:] = False
                    nflag = False
                    for j in range(n):
                        i_j = i_b[j] if SYN else x_t[j]
                        if HET:
                            c = _coef_at(P, Pn, j0 + j)
                        v1, i1, r1, f1 = _grid(v_b[j], i_j, r_b[j], x_t[j], c, dt, tol, _where, _minimum, _exp,
                                               SYN, EXP)
                        # a flagged neuron keeps the state of the start of the step for the fix-up
                        v_b[j] = v_b[j] if f1 else v1
                        r_b[j] = r_b[j] if f1 else r1
                        if SYN:
                            i_b[j] = i_b[j] if f1 else i1
                        flags[j] = f1
                        nflag |= f1
                    if not nflag:
                        pass
                    elif SYN:
                        nw = (n + 7) // 8
                        flags[n:nw * 8] = False
                        for w in range(nw):
                            if words[w] == 0:  # eight neurons at a time: few are flagged
                                continue
                            for j in range(w * 8, w * 8 + 8):
                                if not flags[j]:
                                    continue
                                jq = j0 + j if HET else 0
                                if HET:
                                    c = _coef_at(P, Pn, j0 + j)
                                xj = x_t[j]
                                i0 = i_b[j]
                                v1, r1, s1, o1 = _fix(v_b[j], i0, r_b[j], xj, c, Q, jq, dt, EXP)
                                v_b[j] = v1
                                r_b[j] = r1
                                i_b[j] = xj + c.a_syn * (i0 - xj)
                                s_t[j] = s1
                                if s1:
                                    o_t[j] = o1
                                    if COUNT:
                                        c_b[j] += 1
                    else:
                        # no filter: the flagged neurons gathered into W and advanced together
                        m = 0
                        nw = (n + 7) // 8
                        flags[n:nw * 8] = False
                        # the words (eight neurons each) holding a flag, listed without a branch: few are
                        # flagged (about 13 of 2048 per step in bench_methods' CLIF workload), and a test and
                        # branch per word costs a misprediction per flagged word
                        k = 0
                        for w in range(nw):
                            wid[k] = w
                            k += words[w] != 0
                        for a0 in range(k):
                            w = wid[a0]
                            for j in range(w * 8, w * 8 + 8):
                                idx[m] = j
                                m += flags[j]
                        m_all = m
                        m = 0
                        for a0 in range(m_all):
                            j = idx[a0]
                            jq = j0 + j if HET else 0
                            if HET:
                                c = _coef_at(P, Pn, j0 + j)
                            if EXP and not (_w_form(f8(c.u_th), f8(c.theta_rh), f8(c.delta_T), f8(c.arg_cap))
                                            if HET else w_form0):
                                # the exponential capped below u_th: timing.elif_advance_u, one neuron
                                xj = x_t[j]
                                v1, r1, s1, o1 = _fix(v_b[j], xj, r_b[j], xj, c, Q, jq, dt, EXP)
                                v_b[j] = v1
                                r_b[j] = r1
                                s_t[j] = s1
                                o_t[j] = o1
                                if COUNT:
                                    c_b[j] += s1
                                continue
                            a = m
                            idx[a] = j
                            m += 1
                            r0 = f8(r_b[j])
                            ta = r0 if r0 > 0.0 else 0.0
                            TA[a] = ta
                            u0 = f8(c.u_reset) if r0 > 0.0 else f8(v_b[j])
                            W[_U, a] = u0
                            W[_T0, a] = 0.0
                            W[_LEN, a] = h - ta
                            W[_X, a] = f8(x_t[j])
                            if not EXP:
                                W[_TAU, a] = Q[_TAU_M, jq]
                                W[_UR, a] = f8(c.u_rest)
                                W[_RR, a] = Q[_R, jq]
                                W[_UTH, a] = f8(c.u_th)
                            else:
                                # (w from W[_U] = u0 in _elif_rounds; without HET the parameter rows are filled)
                                if HET:
                                    th, dT = f8(c.theta_rh), f8(c.delta_T)
                                    W[_TAU, a] = Q[_TAU_M, jq]
                                    W[_UR, a] = f8(c.u_rest)
                                    W[_RR, a] = Q[_R, jq]
                                    W[_TH, a] = th
                                    W[_DT, a] = dT
                                    W[_CAP, a] = _exp64(-f8(c.arg_cap))
                                    W[_UTH, a] = _exp64(-(f8(c.u_th) - th) / dT)
                                lane[a] = a
                        if EXP:
                            _elif_rounds(W, m, lane, st_r, status, HET)
                        else:
                            _clif_flow(W, m)
                        for a in range(m):
                            j = idx[a]
                            jq = j0 + j if HET else 0
                            if HET:
                                c = _coef_at(P, Pn, j0 + j)
                            ta = TA[a]
                            u_end = W[_OU, a]
                            if EXP:
                                st = status[a]
                                crossed = st != 0
                                s = W[_OT, a]
                                if st == 2:
                                    xj = f8(x_t[j])
                                    th, dT = f8(c.theta_rh), f8(c.delta_T)
                                    s += _w_crossing(W[_OS, a], xj, xj, W[_OH, a], W[_OW, a], Q[_TAU_M, jq],
                                                     f8(c.u_rest), Q[_R, jq], 0.0, th, dT,
                                                     _exp64(-f8(c.arg_cap)) if HET else w_min0,
                                                     _exp64(-(f8(c.u_th) - th) / dT) if HET else w_th0)
                            else:
                                crossed = u_end >= f8(c.u_th)
                                s = W[_OT, a]
                            # selects, not branches (spikes and refractory ends alternate)
                            o1 = ta + s if crossed else 0.0
                            v_b[j] = c.u_reset if crossed else u_end
                            r_b[j] = Q[_T_REF, jq] - (h - o1) if crossed else 0.0
                            s_t[j] = crossed
                            o_t[j] = o1
                            if COUNT:
                                c_b[j] += crossed
                    if rec_v:
                        v_rec[t, b, j0:j1] = v_b
                    if rec_i and SYN:
                        i_rec[t, b, j0:j1] = i_b

    kernel = _jit(run)
    kernel.lifbook_interleave = RUN_INTERLEAVE_ELIF if EXP else 0
    return kernel
