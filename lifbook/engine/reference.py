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

from ..dynamics import LIFState, StepCoefficients, lif_step
from ..timing import PreciseCoefficients, precise_step

__all__ = ["ReferenceEngine"]


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

    def run(self, xs, state: LIFState, coef: StepCoefficients, record, *, steps: int | None = None):
        """``T`` calls of :meth:`step`, recording as it goes: ``(spikes, state, record_dict)``.

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
        for k in range(T):
            x = xs if steps is not None else xs[k]
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
        if count is not None:
            out["count"] = count
        if precise:
            return spikes, state, out, offsets
        return spikes, state, out
