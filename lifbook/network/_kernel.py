"""The fused numba loop of :class:`lifbook.network.Network` (imported only when numba runs).

One call advances the network over steps ``k0 <= k < k1`` (global step numbers) with the
results of :func:`lifbook.network._reference.run_steps` (the NumPy reference, which the tests
hold it to, spike for spike and bit for bit): neuron update with delivery of the arrivals for
``t_{k+1}`` and threshold, then the CSR row walk of every projection for the step's spikes into
the delay ring buffer, the latter for a block of steps at once (up to the smallest delay; see
:func:`run_steps`). Each neuron sees the same floating-point operations in the same order as in
the reference (no ``fastmath``, so no reassociation or fused multiply-add), and every ring-buffer
column receives its additions in the same order, so the results are bitwise equal, with any
number of threads.

The neuron update of a chunk of neurons (a contiguous range within one population) is a few
passes, each a simple loop over contiguous arrays without branches, which LLVM compiles to SIMD
instructions (:func:`_update_chunk`): the free propagation of the membrane into a scratch array
``vf``; per exponential port (in port order) its current's contribution ``c_syn g`` to ``vf``
and its decay plus the arrivals of this step's ring-buffer row; per delta port the arrivals
added to ``vf``; threshold, reset and refractory count as selects. The Poisson drives' counts
(:mod:`lifbook.network._rng`'s counter-based hash, then the inversion of the Poisson CDF) are
two vectorised passes into a scratch row. The spiking neurons are then listed and propagated.
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
def _coefs(u_rest, u_reset, u_th, a_m, b_m, n_ref):
    return dynamics.StepCoefficients(u_rest, u_reset, u_th, a_m, b_m, 0.0, 0.0, n_ref, 0.0, 0.0, 0.0, 1.0, 0.0)


# The passes below loop over i = 0 .. n-1 and index arrays at ``o + i`` with unsigned offsets
# ``o``: numba then emits no negative-index wraparound, the addresses are affine in i and LLVM
# vectorises the loops; no slices are made (no reference counting per pass).
@numba.njit(inline="always")
def _u64(i):
    return np.uint64(i)


@numba.njit(inline="always")
def _uniforms(hk, m0, s, n, o, u):
    """``u[o + i]``: the uniform number of sub-draw ``s`` of a drive for neuron ``m0 + i`` of its
    population (``hk``: the drive's hash of this step; :mod:`lifbook.network._rng`); returns the largest."""
    hmax = np.uint64(0)
    for i in range(n):
        h = _mix(hk + (np.uint64(m0 + i) + _ONE) * _G)
        if s > 0:
            h = _mix(h + np.uint64(s) * _G)
        b = h >> _S11
        hmax = max(hmax, b)
        u[o + _u64(i)] = np.float64(b) * _INV53
    return np.float64(hmax) * _INV53


@numba.njit(inline="always")
def _count(cdf, n, o, u, u_max, tot):
    """``tot[o + i] += min(MAX_TERMS, smallest c with u[o + i] <= cdf[c])``, the inversion of
    :func:`lifbook.network._rng.poisson_counts`, branch-free: as ``cdf`` does not decrease, that
    count is the number of ``c < MAX_TERMS`` with ``cdf[c] < u``, and no ``c`` with
    ``cdf[c] >= u_max`` (the largest ``u``) contributes, so the sum stops there. Exact."""
    K = 0
    while K < _MAX_TERMS and u_max > cdf[K]:
        K += 1
    K4 = K - K % 4
    for c in range(0, K4, 4):
        t0, t1, t2, t3 = cdf[c], cdf[c + 1], cdf[c + 2], cdf[c + 3]
        for i in range(n):
            j = o + _u64(i)
            ui = u[j]
            tot[j] = tot[j] + (np.float64(ui > t0) + np.float64(ui > t1) + np.float64(ui > t2)
                               + np.float64(ui > t3))
    for c in range(K4, K):
        t0 = cdf[c]
        for i in range(n):
            j = o + _u64(i)
            tot[j] = tot[j] + np.float64(u[j] > t0)


@numba.njit(inline="always")
def _drive_counts(hk, m0, n_sub, cdf, n, o, u, tot):
    """``tot[o + i]`` (float64) = the Poisson count of a drive for neuron ``m0 + i`` of its population
    (``hk``: the drive's hash of this step): the sum of ``n_sub`` inversions; the same integers as
    :func:`lifbook.network._rng.poisson_counts` (sums of small integers are exact in float64)."""
    for i in range(n):
        tot[o + _u64(i)] = 0.0
    for s in range(n_sub):
        u_max = _uniforms(hk, m0, s, n, o, u)
        _count(cdf, n, o, u, u_max, tot)


@numba.njit(inline="always")
def _free(n, o, u_rest, a_m, b_m, x, v, vf):
    for i in range(n):
        j = o + _u64(i)
        c = _coefs(u_rest[j], 0.0, 0.0, a_m[j], b_m[j], 0)
        vf[j], _ = dynamics.propagate(v[j], 0.0, x[j], c, _minimum, _exp, False, False, False)


@numba.njit(inline="always")
def _add_current(n, o, oc, vf, c, g):
    for i in range(n):
        j = o + _u64(i)
        k = oc + _u64(i)
        vf[j] = vf[j] + c[k] * g[k]


@numba.njit(inline="always")
def _add_decay_arrive(n, o, oc, vf, c, a, g, row):
    for i in range(n):
        j = o + _u64(i)
        k = oc + _u64(i)
        gk = g[k]
        vf[j] = vf[j] + c[k] * gk
        g[k] = a * gk + row[k]
        row[k] = 0.0


@numba.njit(inline="always")
def _n_drives(q, port_drive_ptr, drv_lamc):
    """The number of drives into port ``q`` with a positive rate."""
    n = 0
    for d in range(port_drive_ptr[q], port_drive_ptr[q + 1]):
        if drv_lamc[d] > 0.0:
            n += 1
    return n


@numba.njit(inline="always")
def _jump_arrive(n, o, oc, vf, row):
    for i in range(n):
        j = o + _u64(i)
        k = oc + _u64(i)
        vf[j] = vf[j] + row[k]
        row[k] = 0.0


@numba.njit(inline="always")
def _take_row(n, o, oc, inc, row):
    for i in range(n):
        k = oc + _u64(i)
        inc[o + _u64(i)] = row[k]
        row[k] = 0.0


@numba.njit(inline="always")
def _add_counts(n, o, w, inc, tot):
    for i in range(n):
        j = o + _u64(i)
        inc[j] = inc[j] + w * tot[j]


@numba.njit(inline="always")
def _decay_add(n, o, oc, a, g, inc):
    for i in range(n):
        k = oc + _u64(i)
        g[k] = a * g[k] + inc[o + _u64(i)]


@numba.njit(inline="always")
def _jump_add(n, o, vf, inc):
    for i in range(n):
        j = o + _u64(i)
        vf[j] = vf[j] + inc[j]


@numba.njit(inline="always")
def _threshold(n, o, u_reset, u_th, n_ref, v, ref, vf, flag):
    """Threshold, reset, refractory count (:func:`lifbook.dynamics.threshold_reset`); the number of spikes."""
    cnt = 0
    for i in range(n):
        j = o + _u64(i)
        c = _coefs(0.0, u_reset[j], u_th[j], 0.0, 0.0, n_ref[j])
        v_new, r_new, spike = dynamics.threshold_reset(vf[j], ref[j], c, _where, _clamp_min, True)
        v[j] = v_new
        ref[j] = r_new
        flag[j] = spike
        cnt += np.int64(spike)
    return cnt


@numba.njit(inline="always")
def _update_chunk(lo, hi, m0, slot, q0, q1, neurons, ports, drives, drv_h, ring, scratch, spk_tmp):
    """Step the neurons ``lo <= j < hi`` (``m0``: the population index of ``lo``; ports ``q0..q1-1``).

    Per neuron, the operations of :func:`lifbook.network._reference.run_steps` in its order: the
    free membrane (:func:`lifbook.dynamics.propagate`), plus ``c_syn g`` of each exponential port in
    port order; each port's arrivals (ring-buffer row, then each drive's ``w * count``) decay into
    ``g`` or jump ``u`` (delta ports); :func:`lifbook.dynamics.threshold_reset`. A refractory
    neuron's ``vf`` is not read by the threshold (its ``u`` stays ``u_reset`` and it cannot spike),
    so the delta jumps need no test. Writes the spiking neurons to ``spk_tmp[lo:]``; returns their number.
    The arrays come in tuples (fewer than 30 arguments, so that numba can inline the call; an
    out-of-line call would take and drop a reference to every array argument, atomically, per call).
    """
    u_rest, a_m, b_m, u_th, u_reset, n_ref, x, v, ref = neurons
    port_off, port_delta, port_a, c_col, g, port_drive_ptr = ports
    drv_m, drv_lamc, drv_cdf, drv_w = drives
    vf, inc, tot, uu, flag = scratch
    row = ring[slot]
    n = hi - lo
    o = _u64(lo)
    _free(n, o, u_rest, a_m, b_m, x, v, vf)
    # exponential ports, in port order: vf += c_syn g (g at t); a port without drives is also
    # decayed and given its arrivals here, in the same pass (g's update does not touch vf)
    for q in range(q0, q1):
        if not port_delta[q]:
            oc = _u64(port_off[q] + m0)  # port column of neuron lo
            if _n_drives(q, port_drive_ptr, drv_lamc) == 0:
                _add_decay_arrive(n, o, oc, vf, c_col, port_a[q], g, row)
            else:
                _add_current(n, o, oc, vf, c_col, g)
    for q in range(q0, q1):
        oc = _u64(port_off[q] + m0)
        if _n_drives(q, port_drive_ptr, drv_lamc) == 0:
            if port_delta[q]:
                _jump_arrive(n, o, oc, vf, row)
            continue
        _take_row(n, o, oc, inc, row)
        for d in range(port_drive_ptr[q], port_drive_ptr[q + 1]):
            if drv_lamc[d] > 0.0:
                _drive_counts(drv_h[d], m0, drv_m[d], drv_cdf[d], n, o, uu, tot)
                _add_counts(n, o, drv_w[d], inc, tot)
        if port_delta[q]:
            _jump_add(n, o, vf, inc)
        else:
            _decay_add(n, o, oc, port_a[q], g, inc)
    n = _threshold(n, o, u_reset, u_th, n_ref, v, ref, vf, flag)
    cnt = 0
    if n > 0:
        for j in range(lo, hi):
            if flag[j]:
                spk_tmp[lo + cnt] = j
                cnt += 1
    return cnt


def run_steps(k0, k1, block,
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
              vf, inc, tot, uu, flag,
              # record
              rec_spikes, out_step, out_id, n_out, v_sel, sel_order, sel_ptr, v_out, k_rec0):
    """Advance from step ``k0`` to at most ``k1``; return ``(k_reached, n_out)``.

    Stops early (before a step) when the spike output might overflow: the caller grows the
    output and calls again from ``k_reached``. Per-synapse weights of projection ``r`` are
    ``weights[prj_w_off[r] + e]`` for synapse ``e`` of the concatenated ``indices`` (the offset
    is the weights' start minus the indices' start); a scalar weight is ``weights[prj_w_off[r]]``.
    ``vf``, ``inc``, ``tot``, ``uu`` (float64) and ``flag`` (bool): scratch of one value per neuron;
    ``drv_h`` (``(block, drives)``), ``spk``, ``spk_tmp`` (``(block, neurons)``), ``chunk_cnt``,
    ``pop_lo``, ``pop_hi``: scratch per step of a block. The potentials of neurons ``v_sel`` are
    recorded; ``sel_order`` sorts ``v_sel``, and ``sel_order[sel_ptr[c]:sel_ptr[c + 1]]`` are
    those in chunk ``c``.

    Blocks: no spike reaches its target in less than ``block`` steps (the smallest delay), so
    the neurons are updated for ``block`` steps before the spikes of those steps are propagated
    (step by step, in step order; Morrison et al. 2005's scheme, NEST's "min_delay"): the ring
    buffer slots written then are read only in later blocks, and every slot receives its
    additions in the order of a step-by-step run. How a run is cut into blocks does not change
    any result.

    The neuron update runs over chunks of neurons (``chunk_*``, each within one population; see
    :func:`_update_chunk`), each chunk listing its spikes in ``spk_tmp``; the lists are joined in
    chunk order, so the spikes are in ascending order. Compiled twice: :data:`run_steps` for one
    thread (plain loops) and :data:`run_steps_parallel` (numba's ``prange``): there the chunks
    run in parallel (each for all steps of the block), and the propagation runs over ranges of
    port columns (``col_parts``): each thread walks every spike's row but adds only into its own
    columns (rows are sorted by column; a binary search finds where a range starts), so every
    column receives its additions in the same order as with one thread. Two synchronisations per
    block. The results are bitwise independent of the number of threads.
    """
    L = ring.shape[0]
    n_pop = pop_start.shape[0] - 1
    n_total = pop_start[n_pop]
    cap = out_step.shape[0]
    n_chunks = chunk_lo.shape[0]
    n_parts = col_parts.shape[0] - 1
    n_prj = prj_src.shape[0]
    n_drv = drv_key.shape[0]
    neurons = (u_rest, a_m, b_m, u_th, u_reset, n_ref, x, v, ref)
    ports = (port_off, port_delta, port_a, c_col, g, port_drive_ptr)
    drives = (drv_m, drv_lamc, drv_cdf, drv_w)
    scratch = (vf, inc, tot, uu, flag)
    k = k0
    while k < k1:
        nb = min(block, k1 - k)
        if rec_spikes:
            room = (cap - n_out) // max(n_total, 1)
            if room < 1:
                return k, n_out
            nb = min(nb, room)
        for b in range(nb):
            for d in range(n_drv):
                drv_h[b, d] = _mix(drv_key[d] + np.uint64(k + b + 1) * _G)
        for c in numba.prange(n_chunks):
            pc = chunk_pop[c]
            clo = chunk_lo[c]
            chi = chunk_hi[c]
            for b in range(nb):
                chunk_cnt[b, c] = _update_chunk(clo, chi, clo - pop_start[pc], (k + b + 1) % L, pop_port_ptr[pc],
                                                pop_port_ptr[pc + 1], neurons, ports, drives, drv_h[b], ring,
                                                scratch, spk_tmp[b])
                for t in range(sel_ptr[c], sel_ptr[c + 1]):
                    s = sel_order[t]
                    v_out[k + b - k_rec0, s] = v[v_sel[s]]
        any_spk = False
        for b in range(nb):
            n_spk = 0
            for p in range(n_pop):
                pop_lo[b, p] = 0
                pop_hi[b, p] = 0
            for c in range(n_chunks):
                p = chunk_pop[c]
                if c == 0 or chunk_pop[c - 1] != p:
                    pop_lo[b, p] = n_spk
                lo = chunk_lo[c]
                for t in range(chunk_cnt[b, c]):
                    spk[b, n_spk] = spk_tmp[b, lo + t]
                    n_spk += 1
                pop_hi[b, p] = n_spk
            if n_spk > 0:
                any_spk = True
            if rec_spikes:
                for t in range(n_spk):
                    out_step[n_out] = k + b - k_rec0
                    out_id[n_out] = spk[b, t]
                    n_out += 1
        # propagation: step by step, projection by projection, spikes in ascending order, row by row
        if any_spk and n_prj > 0:
            for part in numba.prange(n_parts):
                c_lo = col_parts[part]
                c_hi = col_parts[part + 1]
                for b in range(nb):
                    for r in range(n_prj):
                        pr = prj_src[r]
                        plo = pop_lo[b, pr]
                        phi = pop_hi[b, pr]
                        if plo == phi:
                            continue
                        wrow = ring[(k + b + 1 + prj_delay[r]) % L]
                        pbase = prj_indptr_off[r]
                        pstart = pop_start[pr]
                        woff = prj_w_off[r]
                        scalar = prj_w_scalar[r]
                        wsc = weights[woff]
                        for tt in range(plo, phi):
                            ii = spk[b, tt] - pstart
                            ee = indptr[pbase + ii]
                            bb = indptr[pbase + ii + 1]
                            if n_parts > 1:
                                ee = ee + np.searchsorted(indices[ee:bb], c_lo)
                                bb = ee + np.searchsorted(indices[ee:bb], c_hi)
                            if scalar:
                                for e in range(ee, bb):
                                    wrow[np.uint32(indices[e])] += wsc
                            else:
                                for e in range(ee, bb):
                                    wrow[np.uint32(indices[e])] += weights[woff + e]
        k += nb
    return k, n_out


_run_steps_py = run_steps
run_steps = _jit(_run_steps_py, parallel=False)
run_steps_parallel = _jit(_run_steps_py, parallel=True)
