"""Numba kernels for precise spike timing (``spike_timing="precise"``, see :mod:`lifbook.timing`).

Like :mod:`.kernels` (whose helpers, block sizes and compilation they share), and with the two
passes of :mod:`lifbook.timing` per block of neurons and time step:

1. a vectorisable pass over the block: :func:`lifbook.timing.grid_pass` compiled for one neuron
   (the grid update, the synaptic current, the refractory countdown and the flag). A flagged
   neuron keeps its state from the start of the step (a select, no branch);
2. a scalar pass over the flagged neurons only (none in most steps):
   :func:`lifbook.timing.fixup`, compiled from the same code, in float64 whatever the state's
   dtype; the synaptic current's update is the grid pass's expression.

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
from .kernels import _KEY, BLOCK, CHUNK, SMALL, _coef_at, _exp, _jit, _minimum, _where, compile_for

__all__ = ["BLOCK", "CHUNK", "run_kernel", "step_kernel", "compile_for"]

_grid = numba.njit(inline="always", error_model="numpy")(timing.grid_pass)
assert BLOCK % 8 == 0  # the fix-up scans the flags of a block as 64-bit words
_T = timing.compiled()
_fixup = _T.fixup
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
                    if nflag:
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
                                i0 = i_b[j] if SYN else xj
                                v1, r1, s1, o1 = _fix(v_b[j], i0, r_b[j], xj, c, Q, jq, dt, EXP)
                                v_b[j] = v1
                                r_b[j] = r1
                                if SYN:
                                    i_b[j] = xj + c.a_syn * (i0 - xj)
                                s_t[j] = s1
                                if s1:
                                    o_t[j] = o1
                                    if COUNT:
                                        c_b[j] += 1
                    if rec_v:
                        v_rec[t, b, j0:j1] = v_b
                    if rec_i and SYN:
                        i_rec[t, b, j0:j1] = i_b

    return _jit(run)
