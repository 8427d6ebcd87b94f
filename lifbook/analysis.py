"""Measurements on simulated populations: the simulated f-I curve.

Chapters compare these measurements with :mod:`lifbook.theory`.
"""
from __future__ import annotations

import numpy as np

from .population import CLIFPopulation, ELIFPopulation

__all__ = ["fi_curve"]

_MODELS = {"CLIF": CLIFPopulation, "ELIF": ELIFPopulation, "LIF": CLIFPopulation, "EIF": ELIFPopulation}


def fi_curve(model, currents, duration: float = 1000.0, *, steady: bool = True, params=None,
             method: str | None = None, backend: str | None = None, **overrides) -> np.ndarray:
    """Simulated firing rate (Hz) for each constant current in ``currents`` (nA).

    One neuron per current, all simulated together for ``duration`` ms from rest. ``model`` is
    ``"CLIF"``/``"ELIF"`` or a population class. With ``steady`` the rate is measured from the
    interspike intervals (the stationary rate, see :meth:`Record.steady_rates`), else as
    spike count / duration.
    """
    cls = _MODELS.get(model, model) if isinstance(model, str) else model
    if not (isinstance(cls, type) and issubclass(cls, (CLIFPopulation, ELIFPopulation))):
        raise ValueError(f"model: expected 'CLIF', 'ELIF' or a population class, got {model!r}")
    I = np.atleast_1d(np.asarray(currents, dtype=np.float64))
    if I.ndim != 1 or I.size == 0:
        raise ValueError(f"currents: expected a non-empty 1-d array of currents (nA), got shape {I.shape}")
    pop = cls(n=I.size, params=params, method=method, backend=backend, **overrides)
    steps = int(round(duration / pop.dt))
    if steps < 1:
        raise ValueError(f"duration: must be at least one step ({pop.dt} ms), got {duration}")
    rec = pop.run(I, steps=steps, record=("spikes",)).numpy()
    rates = rec.steady_rates() if steady else rec.rates()
    return rates.reshape(np.shape(currents)) if np.ndim(currents) else rates[0]
