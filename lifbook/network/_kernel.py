"""The fused numba loop of :class:`lifbook.network.Network` (imported only when numba runs).

One call advances the network over steps ``k0 <= k < k1`` (global step numbers), in the order
of :func:`lifbook.network._reference.step` (the NumPy reference, which the tests hold it to,
spike for spike and bit for bit): neuron update with delivery of the arrivals for ``t_{k+1}``
and threshold, then the CSR row walk of every projection for this step's spikes into the delay
ring buffer. The same floating-point operations in the same order as the reference (no
``fastmath``), so the results are bitwise equal, with any number of threads (see
:func:`run_steps`).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from .. import dynamics
from . import _rng

_M1, _M2, _G = _rng.MIX1, _rng.MIX2, _rng.GOLDEN
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_INV53 = 2.0 ** -53
_MAX_TERMS = _rng.MAX_TERMS


@numba.njit(inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def _jit(fn, parallel=False):
    try:
        return numba.njit(cache=True, error_model="numpy", nogil=True, parallel=parallel)(fn)
    except RuntimeError:  # pragma: no cover - no writable cache location
        return numba.njit(cache=False, error_model="numpy", nogil=True, parallel=parallel)(fn)


_where = numba.njit(inline="always")(dynamics.SCALAR_OPS.where)
_minimum = numba.njit(inline="always")(dynamics.SCALAR_OPS.minimum)
_clamp_min = numba.njit(inline="always")(dynamics.SCALAR_OPS.clamp_min)


@numba.njit(inline="always")
def _exp(a):  # not called: CLIF has no exponential term
    return math.exp(a)


@numba.njit(inline="always")
def _neuron(j, m, slot, q0, q1, u_rest, a_m, b_m, u_th, u_reset, n_ref, x, v, ref,
            port_off, port_delta, port_a, c_col, g, port_drive_ptr, drv_h, drv_m, drv_lamc, drv_cdf, drv_w, ring):
    """One step of neuron ``j`` (index ``m`` in its population); True if it spikes.

    lifbook's update (:func:`lifbook.dynamics.propagate`, then
    :func:`lifbook.dynamics.threshold_reset`) with the ports' currents and delta jumps added in
    between; the coefficients of absent terms (filter, ELIF) are placeholders, never read.
    """
    c = dynamics.StepCoefficients(u_rest[j], u_reset[j], u_th[j], a_m[j], b_m[j], 0.0, 0.0, n_ref[j],
                                  0.0, 0.0, 0.0, 1.0, 0.0)
    r = ref[j]
    active = r == 0
    if active:
        vf, _ = dynamics.propagate(v[j], 0.0, x[j], c, _minimum, _exp, False, False, False)
        for q in range(q0, q1):
            if not port_delta[q]:
                col = port_off[q] + m
                vf = vf + c_col[col] * g[col]
    else:
        vf = u_reset[j]
    for q in range(q0, q1):
        col = port_off[q] + m
        inc = ring[slot, col]
        ring[slot, col] = 0.0
        for d in range(port_drive_ptr[q], port_drive_ptr[q + 1]):
            lam_c = drv_lamc[d]
            if lam_c <= 0.0:
                continue
            h0 = _mix(drv_h[d] + (np.uint64(m) + _ONE) * _G)
            total = 0
            for s in range(drv_m[d]):
                h = h0
                if s > 0:
                    h = _mix(h0 + np.uint64(s) * _G)
                u = np.float64(h >> _S11) * _INV53
                cnt = 0
                while cnt < _MAX_TERMS and u > drv_cdf[d, cnt]:
                    cnt += 1
                total += cnt
            inc = inc + drv_w[d] * np.float64(total)
        if port_delta[q]:
            if active:
                vf = vf + inc
        else:
            g[col] = port_a[q] * g[col] + inc
    v_new, r_new, spike = dynamics.threshold_reset(vf, r, c, _where, _clamp_min, True)
    v[j] = v_new
    ref[j] = r_new
    return spike


def run_steps(k0, k1,
              # neurons
              u_rest, a_m, b_m, u_th, u_reset, n_ref, x, v, ref,
              # populations and ports
              pop_start, pop_port_ptr, port_off, port_delta, port_a, c_col, g, port_drive_ptr,
              # drives (sorted by port)
              drv_key, drv_h, drv_m, drv_lamc, drv_cdf, drv_w,
              # projections
              prj_src, prj_delay, prj_indptr_off, prj_w_off, prj_w_scalar, indptr, indices, weights,
              # ring buffer and scratch
              ring, spk, pop_lo, pop_hi, chunk_pop, chunk_lo, chunk_hi, chunk_cnt, spk_tmp, col_parts,
              # record
              rec_spikes, out_step, out_id, n_out, v_sel, v_out, k_rec0):
    """Advance from step ``k0`` to at most ``k1``; return ``(k_reached, n_out)``.

    Stops early (before a step) when the spike output might overflow: the caller grows the
    output and calls again from ``k_reached``. Per-synapse weights of projection ``r`` are
    ``weights[prj_w_off[r] + e]`` for synapse ``e`` of the concatenated ``indices`` (the offset
    is the weights' start minus the indices' start); a scalar weight is ``weights[prj_w_off[r]]``.

    Threads (numba's ``prange``): the neuron update runs over chunks of neurons (``chunk_*``,
    each within one population), each chunk listing its spikes in ``spk_tmp``; the lists are
    joined in chunk order, so the spikes are in ascending order whatever the thread count. The
    propagation runs over ranges of port columns (``col_parts``): each thread walks every
    spike's row but adds only into its own columns (rows are sorted by column; a binary search
    finds where a range starts), so every column receives its additions in the same order as
    with one thread. The results are bitwise independent of the number of threads.
    """
    L = ring.shape[0]
    n_pop = pop_start.shape[0] - 1
    n_total = pop_start[n_pop]
    cap = out_step.shape[0]
    n_sel = v_sel.shape[0]
    n_chunks = chunk_lo.shape[0]
    n_parts = col_parts.shape[0] - 1
    n_prj = prj_src.shape[0]
    k = k0
    while k < k1:
        if rec_spikes and n_out + n_total > cap:
            return k, n_out
        slot = (k + 1) % L
        for d in range(drv_key.shape[0]):
            drv_h[d] = _mix(drv_key[d] + np.uint64(k + 1) * _G)
        for c in numba.prange(n_chunks):
            pc = chunk_pop[c]
            cstart = pop_start[pc]
            cq0 = pop_port_ptr[pc]
            cq1 = pop_port_ptr[pc + 1]
            clo = chunk_lo[c]
            cnt = 0
            for j in range(clo, chunk_hi[c]):
                if _neuron(j, j - cstart, slot, cq0, cq1, u_rest, a_m, b_m, u_th, u_reset, n_ref, x, v, ref,
                           port_off, port_delta, port_a, c_col, g, port_drive_ptr, drv_h, drv_m, drv_lamc,
                           drv_cdf, drv_w, ring):
                    spk_tmp[clo + cnt] = j
                    cnt += 1
            chunk_cnt[c] = cnt
        n_spk = 0
        for p in range(n_pop):
            pop_lo[p] = 0
            pop_hi[p] = 0
        for c in range(n_chunks):
            p = chunk_pop[c]
            if c == 0 or chunk_pop[c - 1] != p:
                pop_lo[p] = n_spk
            lo = chunk_lo[c]
            for t in range(chunk_cnt[c]):
                spk[n_spk] = spk_tmp[lo + t]
                n_spk += 1
            pop_hi[p] = n_spk
        # propagation: projection by projection, spikes in ascending order, row by row
        if n_spk > 0 and n_prj > 0:
            for part in numba.prange(n_parts):
                c_lo = col_parts[part]
                c_hi = col_parts[part + 1]
                for r in range(n_prj):
                    pr = prj_src[r]
                    plo = pop_lo[pr]
                    phi = pop_hi[pr]
                    if plo == phi:
                        continue
                    wslot = (k + 1 + prj_delay[r]) % L
                    pbase = prj_indptr_off[r]
                    pstart = pop_start[pr]
                    woff = prj_w_off[r]
                    scalar = prj_w_scalar[r]
                    wsc = weights[woff]
                    for tt in range(plo, phi):
                        ii = spk[tt] - pstart
                        ee = indptr[pbase + ii]
                        bb = indptr[pbase + ii + 1]
                        if n_parts > 1:
                            ee = ee + np.searchsorted(indices[ee:bb], c_lo)
                        while ee < bb:
                            pcol = indices[ee]
                            if pcol >= c_hi:
                                break
                            if scalar:
                                ring[wslot, pcol] += wsc
                            else:
                                ring[wslot, pcol] += weights[woff + ee]
                            ee += 1
        if rec_spikes:
            for t in range(n_spk):
                out_step[n_out] = k - k_rec0
                out_id[n_out] = spk[t]
                n_out += 1
        if n_sel > 0:
            for s in range(n_sel):
                v_out[k - k_rec0, s] = v[v_sel[s]]
        k += 1
    return k, n_out


run_steps = _jit(run_steps, parallel=True)
