"""What :meth:`CLIFPopulation.run <lifbook.CLIFPopulation.run>` returns: the time grid and the recorded variables.

Time convention: step ``k`` (0-based) integrates from ``t0 + k dt`` to ``t0 + (k+1) dt``;
``t[k] = t0 + (k+1) dt`` is the time at its end, ``v[k]`` the (post-reset) potential then and
``spikes[k]`` the spikes emitted then. Arrays have shape ``(T, *state_shape)`` where
``state_shape`` is ``(batch, *shape)`` or ``shape`` for an unbatched population. They live on
the population's backend (NumPy arrays or torch tensors); :meth:`Record.numpy` converts.

Precise spike timing (``spike_timing="precise"``, see :mod:`lifbook.timing`): ``spikes[k]``
still marks the step in which a spike happened, and ``offsets`` (recorded with ``spikes``) holds
its time after the start of that step, in ms (``0 <= offsets[k] <= dt`` where ``spikes[k]``;
0 elsewhere), so the spike happened at ``t[k] - dt + offsets[k]``.
:meth:`~lifbook.record.Record.spike_times`, :meth:`~lifbook.record.Record.spike_events` and
:meth:`~lifbook.record.Record.steady_rates` use these times. ``offsets`` is a
dense array of the state's dtype, like ``v``: it costs as much memory as recording ``v``
(``T * state size * 4 or 8`` bytes); ``record=("count",)`` records neither.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .validate import suggest

__all__ = ["Record", "RECORDABLE", "record_names"]

#: Names accepted by ``run(record=...)``.
RECORDABLE = ("spikes", "v", "i", "count")


def record_names(record) -> tuple:
    """``record`` (one name or several) as a tuple, checked against :data:`RECORDABLE`."""
    record = (record,) if isinstance(record, str) else tuple(record)
    bad = [r for r in record if r not in RECORDABLE]
    if bad:
        close = suggest(bad[0], RECORDABLE)
        hint = f" (did you mean {close!r}?)" if close else ""
        raise ValueError(f"record: unknown name(s) {bad}{hint}; choose from {RECORDABLE}")
    return record


def _to_numpy(a):
    if a is None or isinstance(a, np.ndarray):
        return a
    return a.detach().cpu().numpy()


@dataclass
class Record:
    """Recorded run: ``t`` (ms, shape ``(T,)``) and the variables named in ``record``.

    ``spikes``: bool, ``v``: membrane potential (mV), ``i``: current ``I`` entering the membrane
    equation (nA; the synaptic current, or the input when ``tau_syn = 0``), ``count``: spikes per
    neuron over the run (int64, shape ``state_shape``), ``offsets``: precise mode only, the time of
    each spike after the start of its step (ms, see the module docstring). Variables that were not
    recorded are ``None``.

    Returned by :meth:`CLIFPopulation.run <lifbook.CLIFPopulation.run>`; not built by hand.

    Examples
    --------
    >>> from lifbook import CLIFPopulation
    >>> rec = CLIFPopulation(n=2).run([2.5, 4.0], steps=1000, record=("spikes", "v"))
    >>> rec.t.shape, rec.v.shape, rec.duration
    ((1000,), (1000, 2), 100.0)
    >>> rec.spike_counts()
    array([ 7, 15])
    """

    t: np.ndarray
    dt: float
    model: str
    params: Any
    spikes: Any = None
    v: Any = None
    i: Any = None
    count: Any = None
    offsets: Any = None
    meta: dict = field(default_factory=dict)

    # -- conversion -----------------------------------------------------------------
    def numpy(self) -> "Record":
        """A copy whose arrays are NumPy arrays (copied off the GPU if needed)."""
        return replace(self, spikes=_to_numpy(self.spikes), v=_to_numpy(self.v), i=_to_numpy(self.i),
                       count=_to_numpy(self.count), offsets=_to_numpy(self.offsets))

    # -- summaries --------------------------------------------------------------------
    @property
    def steps(self) -> int:
        return len(self.t)

    @property
    def duration(self) -> float:
        """Duration of the run in ms (``steps * dt``)."""
        return self.steps * self.dt

    def _need(self, name):
        if getattr(self, name) is None:
            raise ValueError(f"{name!r} was not recorded: pass record=(..., {name!r}) to run()")
        return _to_numpy(getattr(self, name))

    def spike_counts(self) -> np.ndarray:
        """Spikes per neuron over the run (NumPy int64, shape ``state_shape``)."""
        if self.count is not None:
            return _to_numpy(self.count)
        return self._need("spikes").sum(axis=0, dtype=np.int64)

    def rates(self) -> np.ndarray:
        """Mean firing rate per neuron over the whole run, in Hz (counts / duration)."""
        return self.spike_counts() / (self.duration * 1e-3)

    @property
    def precise(self) -> bool:
        """True if the spike times are off the grid (``spike_timing="precise"`` with spikes recorded)."""
        return self.offsets is not None

    def _times(self, k, offsets):
        """Spike times (ms) of spikes in steps ``k``: the step's end, or its start plus the offset."""
        if offsets is None:
            return self.t[k]
        return (self.t[k] - self.dt) + offsets

    def spike_times(self, index=()) -> np.ndarray:
        """Spike times (ms) of one neuron; ``index`` indexes ``state_shape`` (e.g. ``(trial, neuron)``).

        On the grid (step ends) by default; the located crossing times with ``spike_timing="precise"``.
        """
        s = self._need("spikes")
        idx = index if isinstance(index, tuple) else (index,)
        train = s[(slice(None),) + idx]
        if train.ndim != 1:
            raise ValueError(f"index: {index!r} selects {train.shape[1:]} neurons, not one; "
                             f"the state shape is {s.shape[1:]}")
        k = np.flatnonzero(train)
        off = None if self.offsets is None else _to_numpy(self.offsets)[(slice(None),) + idx][k]
        return self._times(k, off)

    def spike_events(self) -> tuple[np.ndarray, np.ndarray]:
        """All spikes as ``(times_ms, flat_neuron_index)`` arrays, time-ordered (for rasters).

        Precise times (``spike_timing="precise"``) are sorted by time (ties by neuron index).
        """
        s = self._need("spikes")
        k, j = np.nonzero(s.reshape(s.shape[0], -1))
        if self.offsets is None:
            return self.t[k], j
        times = self._times(k, _to_numpy(self.offsets).reshape(s.shape[0], -1)[k, j])
        order = np.lexsort((j, times))
        return times[order], j[order]

    def steady_rates(self) -> np.ndarray:
        """Rate per neuron from its interspike intervals, ``(n_spikes - 1)/(t_last - t_first)`` in Hz.

        Under constant input this is the stationary rate, free of the first interval's
        transient from rest; neurons with fewer than 2 spikes get ``count / duration``.
        """
        s = self._need("spikes")
        flat = s.reshape(s.shape[0], -1)
        count = flat.sum(axis=0)
        any_ = count > 0
        first = np.where(any_, flat.argmax(axis=0), 0)
        last = np.where(any_, flat.shape[0] - 1 - flat[::-1].argmax(axis=0), 0)
        span = (last - first) * self.dt
        if self.offsets is not None:
            off = _to_numpy(self.offsets).reshape(s.shape[0], -1)
            cols = np.arange(flat.shape[1])
            span = span + (off[last, cols] - off[first, cols])
        with np.errstate(divide="ignore", invalid="ignore"):
            isi_rate = np.where(count >= 2, (count - 1) / np.where(span > 0, span, 1.0) * 1e3, 0.0)
        fallback = count / (self.duration * 1e-3)
        return np.where(count >= 2, isi_rate, fallback).reshape(s.shape[1:])

    def population_rate(self, bin_ms: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Population rate in Hz: fraction of neurons spiking per bin / bin width.

        Returns ``(bin_end_times_ms, rate_hz)``. ``bin_ms`` defaults to ``dt`` and is rounded to
        a whole number of steps.
        """
        s = self._need("spikes")
        n_neurons = int(np.prod(s.shape[1:])) or 1
        per_step = s.reshape(s.shape[0], -1).sum(axis=1)
        k = 1 if bin_ms is None else max(1, int(round(bin_ms / self.dt)))
        n_bins = len(per_step) // k
        if n_bins == 0:
            raise ValueError(f"bin_ms: {bin_ms} ms is longer than the run ({self.duration} ms)")
        counts = per_step[: n_bins * k].reshape(n_bins, k).sum(axis=1)
        rate = counts / n_neurons / (k * self.dt * 1e-3)
        return self.t[k - 1: n_bins * k: k], rate

    def __repr__(self) -> str:
        have = [n for n in RECORDABLE if getattr(self, n) is not None]
        shape = None
        for n in ("spikes", "v", "i"):
            a = getattr(self, n)
            if a is not None:
                shape = tuple(a.shape)
                break
        return (f"Record({self.model}, steps={self.steps}, dt={self.dt} ms, recorded={have}, "
                f"shape={shape})")
