"""The reference engine: :func:`lifbook.dynamics.lif_step` on whole arrays, one step at a time.

Runs on any backend (NumPy, torch on the CPU or CUDA) with the engine contract of
:mod:`lifbook.engine`. It is the definition the fused engines are tested against.
"""
from __future__ import annotations

from typing import Any

from ..dynamics import LIFState, StepCoefficients, lif_step

__all__ = ["ReferenceEngine"]


class ReferenceEngine:
    """The plain step loop on ``backend`` (a :class:`lifbook.backends.Backend`)."""

    name = "reference"

    def __init__(self, backend):
        self.backend = backend

    def step(self, x, state: LIFState, coef: StepCoefficients, max_abs_x: float | None = None):
        """One step: ``(spikes, state)``; with ``max_abs_x``, the input is checked first."""
        if max_abs_x is not None:
            self.backend.check_values(x, "x", max_abs_x)
        return lif_step(x, state, coef, self.backend.ops)

    def run(self, xs, state: LIFState, coef: StepCoefficients, record, *, steps: int | None = None):
        """``T`` calls of :meth:`step`, recording as it goes: ``(spikes, state, record_dict)``."""
        be, ops = self.backend, self.backend.ops
        T = int(xs.shape[0]) if steps is None else int(steps)
        shape = tuple(state.v.shape)
        out: dict[str, Any] = {}
        if "spikes" in record:
            out["spikes"] = be.empty((T, *shape), "bool")
        if "v" in record:
            out["v"] = be.empty((T, *shape))
        if "i" in record:
            out["i"] = be.empty((T, *shape))
        count = be.full(shape, 0, dtype=be.int64) if "count" in record else None
        spikes = None
        for k in range(T):
            x = xs if steps is not None else xs[k]
            spikes, state = lif_step(x, state, coef, ops)
            if "spikes" in out:
                out["spikes"][k] = spikes
            if "v" in out:
                out["v"][k] = state.v
            if "i" in out:
                out["i"][k] = state.i if state.i is not None else x
            if count is not None:
                count += spikes
        if count is not None:
            out["count"] = count
        return spikes, state, out
