"""The NumPy reference of :class:`lifbook.network.Network`: one vectorised step at a time.

The same operations in the same order as the numba loop (:mod:`lifbook.network._kernel`), so
both give bitwise the same state; see :class:`lifbook.network.Network` for the semantics.
"""
from __future__ import annotations

import numpy as np

from . import _rng


def _rows(indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions of the synapses of ``rows`` (in order, row by row) in a CSR ``indptr``."""
    a, b = indptr[rows], indptr[rows + 1]
    lens = b - a
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(a - (np.cumsum(lens) - lens), lens)
    return shift + np.arange(total, dtype=np.int64)


def run_steps(net, k_end, rec_spikes, out_step, out_id, n_out, sel, v_out, k_rec0):
    """Advance ``net`` from ``net.k`` to at most ``k_end``; same contract as the numba kernel."""
    L = net.ring.shape[0]
    cap = out_step.shape[0]
    pops = net.populations
    k = net.k
    drives = [net.drives[i] for i in net._drive_order]
    while k < k_end:
        if rec_spikes and n_out + net.n > cap:
            return k, n_out
        slot = (k + 1) % L
        spikes = []
        for pi, pop in enumerate(pops):
            start, stop = int(net.pop_start[pi]), int(net.pop_start[pi + 1])
            sl = slice(start, stop)
            ref = net.ref[sl]
            active = ref == 0
            vf = net.u_rest[sl] + net.a_m[sl] * (net.v[sl] - net.u_rest[sl]) + net.b_m[sl] * net.x[sl]
            q0, q1 = int(net.pop_port_ptr[pi]), int(net.pop_port_ptr[pi + 1])
            for q in range(q0, q1):
                if not net.port_delta[q]:
                    cols = slice(int(net.port_off[q]), int(net.port_off[q]) + pop.n)
                    vf = vf + net.c_col[cols] * net.g[cols]
            vf = np.where(active, vf, net.u_reset[sl])
            for q in range(q0, q1):
                cols = slice(int(net.port_off[q]), int(net.port_off[q]) + pop.n)
                inc = net.ring[slot, cols].copy()
                net.ring[slot, cols] = 0.0
                for d in range(int(net.port_drive_ptr[q]), int(net.port_drive_ptr[q + 1])):
                    lam = drives[d].mean_per_step
                    if net.drv_lamc[d] <= 0.0:
                        continue
                    counts = _rng.poisson_counts(int(net.drv_key[d]), k, pop.n, lam)
                    inc = inc + net.drv_w[d] * counts.astype(np.float64)
                if net.port_delta[q]:
                    vf = np.where(active, vf + inc, vf)
                else:
                    net.g[cols] = net.port_a[q] * net.g[cols] + inc
            spike = active & (vf >= net.u_th[sl])
            net.v[sl] = np.where(spike | ~active, net.u_reset[sl], vf)
            net.ref[sl] = np.where(spike, net.n_ref[sl], np.where(active, ref, ref - 1))
            spikes.append(np.flatnonzero(spike))
        for r in range(net.prj_src.shape[0]):
            p = int(net.prj_src[r])
            local = spikes[p]
            if local.size == 0:
                continue
            n_pre = pops[p].n
            base = int(net.prj_indptr_off[r])
            indptr = net.indptr[base: base + n_pre + 1]
            pos = _rows(indptr, local)
            cols = net.indices[pos]
            woff = int(net.prj_w_off[r])
            w = net.weights[woff] if net.prj_w_scalar[r] else net.weights[woff + pos]
            wslot = (k + 1 + int(net.prj_delay[r])) % L
            np.add.at(net.ring[wslot], cols, w)
        if rec_spikes:
            ids = np.concatenate([s + int(net.pop_start[i]) for i, s in enumerate(spikes)])
            out_step[n_out: n_out + ids.size] = k - k_rec0
            out_id[n_out: n_out + ids.size] = ids
            n_out += ids.size
        if sel.size:
            v_out[k - k_rec0] = net.v[sel]
        k += 1
    return k, n_out
