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

import numpy as np

from ..backends import is_tensor
from ..dynamics import LIFState, StepCoefficients, lif_step
from ..timing import PreciseCoefficients, precise_step

__all__ = ["ReferenceEngine", "BLOCK_STEPS"]

#: Steps between two calls of ``run``'s ``on_block`` hook (progress, interruption).
BLOCK_STEPS = 16


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
