"""The reference engines of :class:`lifbook.network.Network`: one vectorised step at a time, NumPy or torch.

The same operations in the same order as the numba loop (:mod:`lifbook.network._kernel`), so
NumPy and numba give bitwise the same state; torch on the CPU too (``index_add_`` adds in index
order there, like ``np.add.at``). On a CUDA device ``index_add_`` uses atomic additions, whose
order varies: potentials then agree to rounding (about 1e-12 mV), and a spike can differ when a
potential lands within that of the threshold. See :class:`lifbook.network.Network` for the
semantics. The Poisson counts are drawn by :func:`lifbook.network._rng.poisson_counts` (NumPy)
in both: torch has no unsigned 64-bit shifts.
"""
from __future__ import annotations

import numpy as np

from .. import dynamics
from . import _rng

#: Arrays of the network that the step reads or writes.
STATE = ("v", "ref", "g", "ring")
COEF = ("u_rest", "a_m", "b_m", "u_th", "u_reset", "n_ref", "x", "c_col", "indptr", "indices", "weights")


class _NumpyOps:
    name = "numpy"

    def __init__(self):
        self.where = np.where
        self.minimum, self.clamp_min, self.exp = np.minimum, np.maximum, np.exp

    @staticmethod
    def arrays(net):
        return {k: getattr(net, k) for k in STATE + COEF}

    @staticmethod
    def nonzero(mask):
        return np.flatnonzero(mask)

    @staticmethod
    def add_at(buf, idx, w):
        np.add.at(buf, idx, w)

    @staticmethod
    def rows(indptr, rows):
        a, b = indptr[rows], indptr[rows + 1]
        lens = b - a
        total = int(lens.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        return np.repeat(a - (np.cumsum(lens) - lens), lens) + np.arange(total, dtype=np.int64)

    @staticmethod
    def counts(c):
        return c.astype(np.float64)

    @staticmethod
    def host(a):
        return a

    @staticmethod
    def copy(a):
        return a.copy()

    def store(self, net, arrays):
        pass


class _TorchOps:
    name = "torch"

    def __init__(self, device):
        import torch

        self.torch = torch
        self.device = torch.device(device)
        self.where = torch.where
        self.minimum, self.clamp_min, self.exp = torch.minimum, torch.clamp_min, torch.exp

    def arrays(self, net):
        t = self.torch
        out = {}
        for k in STATE + COEF:
            a = t.from_numpy(np.ascontiguousarray(getattr(net, k)))
            out[k] = a if self.device.type == "cpu" else a.to(self.device)
        out["indices"] = out["indices"].long()
        return out

    def nonzero(self, mask):
        return self.torch.nonzero(mask).flatten()

    def add_at(self, buf, idx, w):
        if not isinstance(w, self.torch.Tensor):
            w = self.torch.full((idx.numel(),), float(w), dtype=buf.dtype, device=buf.device)
        buf.index_add_(0, idx, w)

    def rows(self, indptr, rows):
        t = self.torch
        a, b = indptr[rows], indptr[rows + 1]
        lens = b - a
        total = int(lens.sum())
        if total == 0:
            return t.zeros(0, dtype=t.int64, device=indptr.device)
        return t.repeat_interleave(a - (t.cumsum(lens, 0) - lens), lens) + t.arange(total, device=indptr.device)

    def counts(self, c):
        return self.torch.from_numpy(c.astype(np.float64)).to(self.device)

    @staticmethod
    def host(a):
        return a.cpu().numpy()

    @staticmethod
    def copy(a):
        return a.clone()

    def store(self, net, arrays):
        """Copy the state back into the network's NumPy arrays (a no-op for CPU tensors: they share memory)."""
        if self.device.type != "cpu":
            for k in STATE:
                getattr(net, k)[...] = arrays[k].cpu().numpy()


def make_ops(engine: str, device=None):
    if engine == "numpy":
        return _NumpyOps()
    return _TorchOps(device or "cpu")


def run_steps(net, ops, k_end, rec_spikes, out_step, out_id, n_out, sel, v_out, k_rec0):
    """Advance ``net`` from ``net.k`` to at most ``k_end``; same contract as the numba kernel."""
    A = ops.arrays(net)
    v, ref_all, g, ring = A["v"], A["ref"], A["g"], A["ring"]
    L = ring.shape[0]
    cap = out_step.shape[0]
    pops = net.populations
    k = net.k
    drives = [net.drives[i] for i in net._drive_order]
    sel_t = sel if ops.name == "numpy" else ops.torch.from_numpy(sel).to(ops.device)
    try:
        while k < k_end:
            if rec_spikes and n_out + net.n > cap:
                return k, n_out
            slot = (k + 1) % L
            spikes = []
            for pi, pop in enumerate(pops):
                start, stop = int(net.pop_start[pi]), int(net.pop_start[pi + 1])
                sl = slice(start, stop)
                ref = ref_all[sl]
                active = ref == 0
                c = dynamics.StepCoefficients(A["u_rest"][sl], A["u_reset"][sl], A["u_th"][sl], A["a_m"][sl],
                                              A["b_m"][sl], n_ref=A["n_ref"][sl])
                vf, _ = dynamics.propagate(v[sl], None, A["x"][sl], c, ops.minimum, ops.exp, False, False, False)
                q0, q1 = int(net.pop_port_ptr[pi]), int(net.pop_port_ptr[pi + 1])
                for q in range(q0, q1):
                    if not net.port_delta[q]:
                        cols = slice(int(net.port_off[q]), int(net.port_off[q]) + pop.n)
                        vf = vf + A["c_col"][cols] * g[cols]
                vf = ops.where(active, vf, A["u_reset"][sl])
                for q in range(q0, q1):
                    cols = slice(int(net.port_off[q]), int(net.port_off[q]) + pop.n)
                    inc = ops.copy(ring[slot, cols])
                    ring[slot, cols] = 0.0
                    for d in range(int(net.port_drive_ptr[q]), int(net.port_drive_ptr[q + 1])):
                        if net.drv_lamc[d] <= 0.0:
                            continue
                        counts = _rng.poisson_counts(int(net.drv_key[d]), k, pop.n, drives[d].mean_per_step)
                        inc = inc + float(net.drv_w[d]) * ops.counts(counts)
                    if net.port_delta[q]:
                        vf = ops.where(active, vf + inc, vf)
                    else:
                        g[cols] = float(net.port_a[q]) * g[cols] + inc
                v_new, ref_new, spike = dynamics.threshold_reset(vf, ref, c, ops.where, ops.clamp_min, True)
                v[sl] = v_new
                ref_all[sl] = ref_new
                spikes.append(ops.nonzero(spike))
            for r in range(net.prj_src.shape[0]):
                p = int(net.prj_src[r])
                local = spikes[p]
                if local.shape[0] == 0:
                    continue
                base = int(net.prj_indptr_off[r])
                pos = ops.rows(A["indptr"][base: base + pops[p].n + 1], local)
                cols = A["indices"][pos]
                woff = int(net.prj_w_off[r])
                w = float(net.weights[woff]) if net.prj_w_scalar[r] else A["weights"][woff + pos]
                wslot = (k + 1 + int(net.prj_delay[r])) % L
                ops.add_at(ring[wslot], cols, w)
            if rec_spikes:
                ids = np.concatenate([ops.host(s) + int(net.pop_start[i]) for i, s in enumerate(spikes)])
                out_step[n_out: n_out + ids.size] = k - k_rec0
                out_id[n_out: n_out + ids.size] = ids
                n_out += ids.size
            if sel.size:
                v_out[k - k_rec0] = ops.host(v[sel_t])
            k += 1
        return k, n_out
    finally:
        ops.store(net, A)
