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
   :func:`lifbook.timing.clif_crossing`, branch-free), ELIF by :func:`_elif_rounds` (the
   sub-steps of :func:`lifbook.timing.elif_advance`, one round per sub-step for all neurons
   still integrating; the Newton search of a crossing stays scalar, one per spike). Same
   algorithm and constants as :mod:`lifbook.timing`; the results differ from the reference's by
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
_newton_crossing = _T._newton_crossing
_TAU_M, _R, _TAU_SYN, _T_REF = (timing.FIXUP_FIELDS.index(n) for n in ("tau_m", "R", "tau_syn", "t_ref"))


def _source_key() -> str:
    """:data:`.kernels._KEY` and a hash of :mod:`lifbook.timing` (the code these kernels inline)."""
    return hashlib.sha256((_KEY + inspect.getsource(timing)).encode()).hexdigest()


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
_U, _T0, _LEN, _X, _TAU, _UR, _RR, _TH, _DT, _CAP, _UTH, _UN, _HS = range(13)
# by flagged neuron (its place in the block's list of flagged neurons): the results.
_OU, _OS, _OH, _OT = range(13, 17)
_NROW = 17


@numba.njit(error_model="numpy", nogil=True, cache=True)
def _clif_flow(W, m):
    """The exact CLIF flow without a filter for ``m`` neurons (vectorised): :func:`lifbook.timing.fixup`.

    ``W[_OU]``: the potential after ``W[_LEN]`` ms; where it reaches ``u_th``, ``W[_OT]``: the
    crossing time of :func:`lifbook.timing.clif_crossing` (ms from the start of ``W[_LEN]``).
    """
    U, LEN, X, TAU, UR, RR, UTH, OU, OT = W[_U], W[_LEN], W[_X], W[_TAU], W[_UR], W[_RR], W[_UTH], W[_OU], W[_OT]
    for a in range(m):
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


@numba.njit(error_model="numpy", nogil=True, cache=True)
def _elif_rounds(W, m, lane, st_r, status):
    """The sub-steps of :func:`lifbook.timing.elif_advance` for ``m`` flagged neurons together (no filter).

    ``W``: the scratch (rows ``_U`` ... ``_UTH`` filled for neurons ``0 .. m-1``, ``W[_T0] = 0``);
    ``lane``: ``0 .. m-1`` on entry, then the neuron at each position. Each round takes one
    sub-step of every neuron still integrating (the sub-step of ``elif_advance``'s loop: its
    ``k``-th round is the ``k``-th sub-step), branch-free over contiguous rows, then moves those
    still integrating to the front. Per neuron ``j``: ``status[j]`` 0 (no crossing, ``W[_OU, j]``
    the potential at the end), 1 (already at ``u_th`` at ``W[_OT, j]`` ms: the crossing time) or
    2 (a crossing inside the sub-step of ``W[_OH, j]`` ms from ``W[_OS, j]`` at ``W[_OT, j]``,
    which ends at ``W[_OU, j]``: Newton locates it afterwards).
    """
    C = timing.ELIF_C
    last_round = timing.MAX_SUBSTEPS - 1
    U, T0, LEN, X, UN, HS = W[_U], W[_T0], W[_LEN], W[_X], W[_UN], W[_HS]
    TAU, UR, RR, TH, DT, CAP, UTH = W[_TAU], W[_UR], W[_RR], W[_TH], W[_DT], W[_CAP], W[_UTH]
    na = m
    k = 0
    while na > 0:
        for a in range(na):
            u = U[a]
            tau = TAU[a]
            dT = DT[a]
            th = TH[a]
            cap = CAP[a]
            ur = UR[a]
            rx = RR[a] * X[a]
            left = LEN[a] - T0[a]
            # reciprocals: two divisions instead of a dozen (the results differ from timing's by rounding)
            i_tau = 1.0 / tau
            i_dT = 1.0 / dT
            e = _exp64(min((u - th) * i_dT, cap))
            J = (e - 1.0) * i_tau
            drift = abs(-(u - ur) + rx + dT * e) * (i_tau * i_dT)
            rate = max(J, drift)
            sub = (rate * left > C) & (k < last_round)
            hs = C / rate if sub else left
            # timing._lawson without a filter, k1 = delta_T e / tau_m
            g = dT * i_tau
            k1 = g * e
            h2 = 0.5 * hs
            e2 = _exp64(-h2 * i_tau)
            e1 = e2 * e2
            u_inf = ur + rx
            P2 = u_inf + (u - u_inf) * e2
            P1 = u_inf + (u - u_inf) * e1
            k2 = g * _exp64(min((P2 + e2 * (h2 * k1) - th) * i_dT, cap))
            k3 = g * _exp64(min((P2 + h2 * k2 - th) * i_dT, cap))
            k4 = g * _exp64(min((P1 + e2 * (hs * k3) - th) * i_dT, cap))
            un = P1 + (hs * (1.0 / 6.0)) * (e1 * k1 + 2.0 * e2 * (k2 + k3) + k4)
            uth = UTH[a]
            # 0: done without a crossing, 1: at u_th at the start, 2: a crossing inside, 3: go on
            st_r[a] = 0 if left <= 0.0 else ((1 if u >= uth else 2) if un >= uth else (3 if sub else 0))
            UN[a] = un if left > 0.0 else u
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
                TAU[nb] = TAU[a]
                UR[nb] = UR[a]
                RR[nb] = RR[a]
                TH[nb] = TH[a]
                DT[nb] = DT[a]
                CAP[nb] = CAP[a]
                UTH[nb] = UTH[a]
                lane[nb] = j
                nb += 1
                continue
            status[j] = st
            W[_OU, j] = UN[a]
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
        lane = np.empty(BLOCK, dtype=np.int64)
        st_r = np.empty(BLOCK, dtype=np.int64)
        status = np.empty(BLOCK, dtype=np.int64)
        W = np.empty((_NROW, BLOCK), dtype=np.float64)
        TA = np.empty(BLOCK, dtype=np.float64)
        c = _coef_at(P, Pn, 0)
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
                        for w in range(nw):
                            if words[w] == 0:  # eight neurons at a time: few are flagged
                                continue
                            for j in range(w * 8, w * 8 + 8):
                                idx[m] = j
                                m += flags[j]
                        for a in range(m):
                            j = idx[a]
                            jq = j0 + j if HET else 0
                            if HET:
                                c = _coef_at(P, Pn, j0 + j)
                            r0 = f8(r_b[j])
                            ta = r0 if r0 > 0.0 else 0.0
                            TA[a] = ta
                            W[_U, a] = f8(c.u_reset) if r0 > 0.0 else f8(v_b[j])
                            W[_T0, a] = 0.0
                            W[_LEN, a] = h - ta
                            W[_X, a] = f8(x_t[j])
                            W[_TAU, a] = Q[_TAU_M, jq]
                            W[_UR, a] = f8(c.u_rest)
                            W[_RR, a] = Q[_R, jq]
                            W[_UTH, a] = f8(c.u_th)
                            if EXP:
                                W[_TH, a] = f8(c.theta_rh)
                                W[_DT, a] = f8(c.delta_T)
                                W[_CAP, a] = f8(c.arg_cap)
                                lane[a] = a
                        if EXP:
                            _elif_rounds(W, m, lane, st_r, status)
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
                                    s += _newton_crossing(W[_OS, a], xj, xj, W[_OH, a], u_end, Q[_TAU_M, jq],
                                                          f8(c.u_rest), f8(c.u_th), Q[_R, jq], 0.0,
                                                          f8(c.theta_rh), f8(c.delta_T), f8(c.arg_cap), True)
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

    return _jit(run)
