"""The reference engine: :func:`lifbook.dynamics.lif_step` on whole arrays, one step at a time.

Runs on any backend (NumPy, torch on the CPU or CUDA) with the engine contract of
:mod:`lifbook.engine`. It is the definition the fused engines are tested against.

With :class:`lifbook.timing.PreciseCoefficients` (``spike_timing="precise"``) a step is
:func:`lifbook.timing.precise_step`: the grid pass on whole arrays, then the fix-up of the
flagged neurons one at a time in Python (correct everywhere, slow for large populations: the
numba engine runs the same code compiled).
"""
from __future__ import annotations

from typing import Any

import math

import numpy as np

from ..backends import is_tensor
from ..dynamics import LIFState, StepCoefficients, lif_step
from ..timing import PreciseCoefficients, precise_step

__all__ = ["ReferenceEngine", "BLOCK_STEPS"]

#: Steps between two calls of ``run``'s ``on_block`` hook (progress, interruption), and per block of steps
#: of a large NumPy population.
BLOCK_STEPS = 16
#: NumPy populations with more state elements run ``run`` in blocks of this many neurons (cache-sized).
NEURON_BLOCK = 8192


def _step_input(be, x):
    """One step's input on ``be`` in its dtype (a tensor is converted on its device)."""
    if is_tensor(x):
        return x.to(dtype=be.dtype)
    if be.name == "numpy":
        return np.asarray(x, dtype=be.dtype)
    return be.asarray(x)


class ReferenceEngine:
    """The plain step loop on ``backend`` (a :class:`lifbook.backends.Backend`)."""

    name = "reference"

    def __init__(self, backend):
        self.backend = backend

    def step(self, x, state: LIFState, coef: StepCoefficients, max_abs_x: float | None = None):
        """One step: ``(spikes, state)``; with ``max_abs_x``, the input is checked first.

        Precise coefficients: ``(spikes, state, offsets)``, offsets in ms from the start of the step.
        """
        if max_abs_x is not None:
            self.backend.check_values(x, "x", max_abs_x)
        if isinstance(coef, PreciseCoefficients):
            return precise_step(x, state, coef, self.backend)
        return lif_step(x, state, coef, self.backend.ops)

    def run(self, xs, state: LIFState, coef: StepCoefficients, record, *, steps: int | None = None,
            on_block=None, max_abs_x: float | None = None):
        """``T`` calls of :meth:`step`, recording as it goes: ``(spikes, state, record_dict)``.

        ``xs`` may have any real dtype and strides, or be a :class:`lifbook.inputs.Separable`
        current: each step's input is converted to the backend's dtype when it is used (never
        the whole input at once). ``on_block(done, T)`` is called every :data:`BLOCK_STEPS` steps
        and after the last; an exception it raises leaves the given state unchanged (the engine
        never writes into the arrays it is given).

        Precise coefficients: ``(spikes, state, record_dict, offsets)`` with the last step's offsets;
        the record holds ``"offsets"`` too when it holds ``"spikes"``.
        """
        be, ops = self.backend, self.backend.ops
        precise = isinstance(coef, PreciseCoefficients)
        T = int(xs.shape[0]) if steps is None else int(steps)
        shape = tuple(state.v.shape)
        if be.name == "numpy" and not precise and math.prod(shape) > NEURON_BLOCK:
            from ..inputs import Streamed

            if not isinstance(xs, Streamed):
                return self._run_blocked(xs, state, coef, record, T, steps is not None, on_block, max_abs_x)
        out: dict[str, Any] = {}
        if "spikes" in record:
            out["spikes"] = be.empty((T, *shape), "bool")
            if precise:
                out["offsets"] = be.empty((T, *shape))
        if "v" in record:
            out["v"] = be.empty((T, *shape))
        if "i" in record:
            out["i"] = be.empty((T, *shape))
        count = be.full(shape, 0, dtype=be.int64) if "count" in record else None
        spikes = offsets = None
        if steps is not None:
            xs = _step_input(be, xs)
            if max_abs_x is not None:
                be.check_values(xs, "x", max_abs_x)
        for k in range(T):
            x = xs if steps is not None else _step_input(be, xs[k])
            if max_abs_x is not None and steps is None:
                be.check_values(x, "x", max_abs_x)
            if precise:
                spikes, state, offsets = precise_step(x, state, coef, be)
            else:
                spikes, state = lif_step(x, state, coef, ops)
            if "spikes" in out:
                out["spikes"][k] = spikes
                if precise:
                    out["offsets"][k] = offsets
            if "v" in out:
                out["v"][k] = state.v
            if "i" in out:
                out["i"][k] = state.i if state.i is not None else x
            if count is not None:
                count += spikes
            if on_block is not None and ((k + 1) % BLOCK_STEPS == 0 or k + 1 == T):
                on_block(k + 1, T)
        if count is not None:
            out["count"] = count
        if precise:
            return spikes, state, out, offsets
        return spikes, state, out

    def _run_blocked(self, xs, state: LIFState, coef: StepCoefficients, record, T, constant, on_block, max_abs_x):
        """:meth:`run` for a large NumPy population: the same :func:`lif_step` on blocks of
        :data:`NEURON_BLOCK` neurons for :data:`BLOCK_STEPS` steps at a time, so that every temporary
        array of the update stays in the CPU cache (the whole-array loop sends each of them through
        memory). Same operations on the same values: the same result, bitwise."""
        from ..inputs import Separable

        be, ops = self.backend, self.backend.ops
        shape = tuple(state.v.shape)
        S = math.prod(shape)
        sizes = {np.size(a) for a in coef if a is not None and np.ndim(a)}
        N = sizes.pop() if sizes else S  # per-neuron coefficients have the population's shape
        B = S // N
        c2 = StepCoefficients(*(a if a is None or not np.ndim(a) else np.asarray(a).reshape(1, N) for a in coef))
        v = np.array(state.v, order="C").reshape(B, N)
        i = np.array(state.i, order="C").reshape(B, N) if state.i is not None else None
        r = np.array(state.ref, order="C").reshape(B, N) if state.ref is not None else None

        def as2(a):
            a = np.asarray(a)
            return a.reshape(1, 1) if a.ndim == 0 else a.reshape(-1, N)

        if isinstance(xs, Separable):
            A3 = as2(xs.amplitudes[0])[None] if xs.amplitudes.ndim == 1 else xs.amplitudes.reshape(len(xs.amplitudes),
                                                                                                   -1, N)
            x3 = None
        else:
            x_np = np.asarray(xs)
            x3 = as2(x_np)[None] if constant else (x_np.reshape(T, 1, 1) if x_np.ndim == 1 else
                                                   x_np.reshape(T, -1, N))
        out: dict[str, Any] = {}
        for name in ("spikes", "v", "i"):
            if name in record:
                out[name] = be.empty((T, *shape), "bool" if name == "spikes" else "float").reshape(T, B, N)
        count = np.zeros((B, N), dtype=np.int64) if "count" in record else None
        last_s = np.zeros((B, N), dtype=bool)
        for t0 in range(0, T, BLOCK_STEPS):
            t1 = min(t0 + BLOCK_STEPS, T)
            for j0 in range(0, N, NEURON_BLOCK):
                sl = slice(j0, min(j0 + NEURON_BLOCK, N))
                cb = StepCoefficients(*(a if a is None or not np.ndim(a) else a[:, sl] for a in c2))
                st = LIFState(v[:, sl], None if i is None else i[:, sl], None if r is None else r[:, sl])
                for k in range(t0, t1):
                    if x3 is None:
                        p = xs.profiles[k]
                        x = A3[0][:, sl if A3.shape[2] > 1 else slice(None)] * p[0]
                        for m in range(1, len(p)):
                            x = x + A3[m][:, sl if A3.shape[2] > 1 else slice(None)] * p[m]
                        x = np.asarray(x, dtype=be.dtype)
                    else:
                        xk = x3[0 if constant else k]
                        x = np.asarray(xk[:, sl] if xk.shape[1] > 1 else xk, dtype=be.dtype)
                        if max_abs_x is not None:
                            be.check_values(x, "x", max_abs_x)
                    spikes, st = lif_step(x, st, cb, ops)
                    if "spikes" in out:
                        out["spikes"][k][:, sl] = spikes
                    if "v" in out:
                        out["v"][k][:, sl] = st.v
                    if "i" in out:
                        out["i"][k][:, sl] = st.i if st.i is not None else x
                    if count is not None:
                        count[:, sl] += spikes
                    if k == T - 1:
                        last_s[:, sl] = spikes
                v[:, sl] = st.v
                if i is not None:
                    i[:, sl] = st.i
                if r is not None:
                    r[:, sl] = st.ref
            if on_block is not None:
                on_block(t1, T)
        rec = {name: a.reshape(T, *shape) for name, a in out.items()}
        if count is not None:
            rec["count"] = count.reshape(shape)
        new_state = LIFState(v.reshape(shape), None if i is None else i.reshape(shape),
                             None if r is None else r.reshape(shape))
        return last_s.reshape(shape), new_state, rec
