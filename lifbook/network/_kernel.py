"""The fused numba loop of :class:`lifbook.network.Network` (imported only when numba runs).

One call advances the network over steps ``k0 <= k < k1`` (global step numbers), in the order
of :func:`lifbook.network._reference.step` (the NumPy reference, which the tests hold it to,
spike for spike and bit for bit): neuron update with delivery of the arrivals for ``t_{k+1}``
and threshold, then the CSR row walk of every projection for this step's spikes into the delay
ring buffer. The same floating-point operations in the same order as the reference (no
``fastmath``), so the results are bitwise equal. Single-threaded: the scatter of a spike's
row into the ring buffer is a race between threads, and determinism matters more here.
"""
from __future__ import annotations

import numba
import numpy as np

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


def _jit(fn):
    try:
        return numba.njit(cache=True, error_model="numpy", nogil=True)(fn)
    except RuntimeError:  # pragma: no cover - no writable cache location
        return numba.njit(cache=False, error_model="numpy", nogil=True)(fn)


@_jit
def run_steps(k0, k1,
              # neurons
              u_rest, a_m, b_m, u_th, u_reset, n_ref, x, v, ref,
              # populations and ports
              pop_start, pop_port_ptr, port_off, port_delta, port_a, c_col, g, port_drive_ptr,
              # drives (sorted by port)
              drv_key, drv_m, drv_lamc, drv_e, drv_w,
              # projections
              prj_src, prj_delay, prj_indptr_off, prj_w_off, prj_w_scalar, indptr, indices, weights,
              # ring buffer and scratch
              ring, spk, pop_lo, pop_hi,
              # record
              rec_spikes, out_step, out_id, n_out, v_sel, v_out, k_rec0):
    """Advance from step ``k0`` to at most ``k1``; return ``(k_reached, n_out)``.

    Stops early (before a step) when the spike output might overflow: the caller grows the
    output and calls again from ``k_reached``. Per-synapse weights of projection ``r`` are
    ``weights[prj_w_off[r] + e]`` for synapse ``e`` of the concatenated ``indices`` (the offset
    is the weights' start minus the indices' start); a scalar weight is ``weights[prj_w_off[r]]``.
    """
    L = ring.shape[0]
    n_pop = pop_start.shape[0] - 1
    n_total = pop_start[n_pop]
    cap = out_step.shape[0]
    n_sel = v_sel.shape[0]
    k = k0
    while k < k1:
        if rec_spikes and n_out + n_total > cap:
            return k, n_out
        slot = (k + 1) % L
        n_spk = 0
        for p in range(n_pop):
            start = pop_start[p]
            stop = pop_start[p + 1]
            pop_lo[p] = n_spk
            q0 = pop_port_ptr[p]
            q1 = pop_port_ptr[p + 1]
            for j in range(start, stop):
                m = j - start
                active = ref[j] == 0
                if active:
                    vf = u_rest[j] + a_m[j] * (v[j] - u_rest[j]) + b_m[j] * x[j]
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
                        h1 = _mix(drv_key[d] + np.uint64(k + 1) * _G)
                        h2 = _mix(h1 + (np.uint64(m) + _ONE) * _G)
                        total = 0
                        for s in range(drv_m[d]):
                            h = _mix(h2 + np.uint64(s) * _G)
                            u = np.float64(h >> _S11) * _INV53
                            cnt = 0
                            pr = drv_e[d]
                            cdf = pr
                            while u > cdf and cnt < _MAX_TERMS:
                                cnt += 1
                                pr = pr * lam_c / np.float64(cnt)
                                cdf = cdf + pr
                            total += cnt
                        inc = inc + drv_w[d] * np.float64(total)
                    if port_delta[q]:
                        if active:
                            vf = vf + inc
                    else:
                        g[col] = port_a[q] * g[col] + inc
                if active and vf >= u_th[j]:
                    v[j] = u_reset[j]
                    ref[j] = n_ref[j]
                    spk[n_spk] = j
                    n_spk += 1
                elif active:
                    v[j] = vf
                else:
                    v[j] = u_reset[j]
                    ref[j] = ref[j] - 1
            pop_hi[p] = n_spk
        # propagation: projection by projection, spikes in ascending order, row by row
        for r in range(prj_src.shape[0]):
            p = prj_src[r]
            lo = pop_lo[p]
            hi = pop_hi[p]
            if lo == hi:
                continue
            wslot = (k + 1 + prj_delay[r]) % L
            base = prj_indptr_off[r]
            start = pop_start[p]
            woff = prj_w_off[r]
            if prj_w_scalar[r]:
                w = weights[woff]
                for t in range(lo, hi):
                    i = spk[t] - start
                    for e in range(indptr[base + i], indptr[base + i + 1]):
                        ring[wslot, indices[e]] += w
            else:
                for t in range(lo, hi):
                    i = spk[t] - start
                    for e in range(indptr[base + i], indptr[base + i + 1]):
                        ring[wslot, indices[e]] += weights[woff + e]
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
