"""Fused kernels behind ``forward`` and ``run`` (placeholder: the reference step function runs).

Contract for an engine object returned by :func:`select`:

* ``name``: a short string shown by ``Population.engine``;
* ``step(x, state) -> (spikes, state)``: one step, the same result as
  :func:`lifbook.dynamics.lif_step` (returns new arrays; never mutates arrays the user may hold);
* ``run(xs, constant, T, record, pop) -> dict | None``: ``T`` steps from ``pop._state`` that leave
  ``pop`` exactly as ``T`` calls of ``pop._advance`` would (``_state``, ``s``, ``_last_x``,
  ``steps``), returning the recorded arrays like ``Population._reference_loop``; ``None`` means
  "not supported here, use the reference loop".
"""
from __future__ import annotations

ENGINES = ("auto", "reference")


def check_request(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")
    return engine


def select(pop, request: str):
    """The engine for ``pop``'s backend, dtype, device and model, or ``None`` (reference)."""
    return None
