"""Costs at scale: bytes moved per neuron-update, memory of a record, and the benchmark's results.

A step of a large population does a few floating-point operations per neuron and moves tens of
bytes, so its speed is set by memory traffic (a roofline argument, Williams et al. 2009):

    updates/s <= bandwidth (bytes/s) / bytes per update.

:func:`bytes_per_update` counts those bytes for ``forward`` (the whole state is read and written
every step) and for ``run`` (lifbook's engine keeps a block of neurons' state in the cache for
many steps, so only the input and what is recorded travel). :func:`stream_bandwidth` measures
the bandwidth of this machine with NumPy; :func:`load_benchmark` reads the committed benchmark
run (``lifbook/data/bench_results.json``, package data written by ``bench/bench_lifbook.py``),
and :func:`throughput_table` and :func:`workload_rows` pick the figures the book plots.
"""
from __future__ import annotations

import json
import os
import time
from importlib import resources
from pathlib import Path

import numpy as np

from .record import record_names
from .validate import choice, positive_int

__all__ = ["bytes_per_update", "record_nbytes", "stream_bandwidth", "cache_sizes", "throughput", "load_benchmark",
           "throughput_table", "workload_rows", "RESULTS_ENV", "RESULTS_FILE"]

#: Environment variable naming a ``results.json`` for :func:`load_benchmark`.
RESULTS_ENV = "LIFBOOK_BENCH_RESULTS"

_OPS = ("forward", "run")


def _bytes_per_neuron_and_step(record: tuple, size: int) -> int:
    """What a recorded step adds per neuron: 1 byte of spikes, ``size`` for ``v`` and for ``i``."""
    return ("spikes" in record) + size * ("v" in record) + size * ("i" in record)


def _itemsize(dtype) -> int:
    """Bytes per value of a floating ``dtype`` (NumPy or torch, or their names)."""
    try:
        dt = np.dtype(str(dtype).replace("torch.", ""))
    except TypeError:
        dt = None
    if dt is None or dt.kind != "f":
        raise ValueError(f"dtype: expected a floating dtype such as 'float32' or torch.float64, got {dtype!r}")
    return dt.itemsize


def bytes_per_update(op: str = "forward", *, dtype="float32", refractory: bool = True, synaptic: bool = False,
                     input_per_neuron: bool = True, record=("spikes",)) -> int:
    """Bytes that one neuron-update moves to or from memory (main memory, not the caches).

    ``op="forward"``: one step reads the input (``itemsize`` if ``input_per_neuron``, else a
    broadcast scalar, 0), reads and writes ``v`` (and ``i`` with a synaptic filter, ``synaptic``)
    in ``dtype``, reads and writes the refractory counter (int32, if ``refractory``) and writes
    the spikes (bool, 1 byte). ``record`` is ignored: ``forward`` returns ``s`` and ``v`` anyway.

    ``op="run"``: the state stays in the cache for the whole run, so a step moves the input (a
    time series of per-neuron values, ``itemsize``; a constant input, 0) and what ``record``
    keeps at every step: ``"spikes"`` 1 byte, ``"v"`` and ``"i"`` ``itemsize`` each (``"i"`` is
    the input itself where there is no synaptic filter); ``"count"``
    is written once per run (0 per update).

    For a CLIF population in float32 with refractoriness, ``forward`` moves
    4 + 2*4 + 2*4 + 1 = 21 bytes per update.
    """
    choice("op", op, _OPS)
    size = _itemsize(dtype)
    record = record_names(record)
    x = size if input_per_neuron else 0
    if op == "forward":
        return x + 2 * size + (2 * size if synaptic else 0) + (2 * 4 if refractory else 0) + 1
    return x + _bytes_per_neuron_and_step(record, size)


def record_nbytes(N: int, T: int, record=("spikes", "v"), *, dtype="float32") -> int:
    """Bytes of the arrays that ``run`` returns for ``N`` neurons over ``T`` steps.

    ``"spikes"``: ``T * N`` bools; ``"v"`` and ``"i"`` (the synaptic current, or the input where
    there is no filter): ``T * N`` values of ``dtype`` each; ``"count"``: ``N`` int64 counts.
    """
    N, T = positive_int("N", N), positive_int("T", T)
    record = record_names(record)
    return T * N * _bytes_per_neuron_and_step(record, _itemsize(dtype)) + 8 * N * ("count" in record)


def stream_bandwidth(nbytes: int = 1 << 28, repeats: int = 5, threads: int = 1) -> float:
    """Memory bandwidth of this machine in GB/s, measured with NumPy (best of ``repeats``).

    Copies an array of ``nbytes`` (default 256 MiB, far larger than any cache) into another,
    counting the bytes read and written (2 * ``nbytes`` per copy), as STREAM's "copy" kernel
    does (McCalpin 1995); with ``threads > 1`` the copy is split into that many parts copied at
    once (NumPy releases the GIL while it copies). Like STREAM, it does not count the extra read
    of each written cache line that most CPUs make, so the memory moves somewhat more.
    """
    if nbytes < 1 << 20:
        raise ValueError(f"nbytes: expected at least 1 MiB so that caches do not count, got {nbytes}")
    threads = positive_int("threads", threads)
    a = np.ones(nbytes // 8)
    b = np.empty_like(a)
    parts = [(b[k * a.size // threads:(k + 1) * a.size // threads], a[k * a.size // threads:(k + 1) * a.size // threads])
             for k in range(threads)]

    def copy(part):
        np.copyto(*part)

    from concurrent.futures import ThreadPoolExecutor

    best = np.inf
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(copy, parts))  # fault the pages in before timing
        for _ in range(max(1, repeats)):
            t0 = time.perf_counter()
            list(pool.map(copy, parts))
            best = min(best, time.perf_counter() - t0)
    return 2 * a.nbytes / best / 1e9


def cache_sizes() -> dict[str, int]:
    """Data cache sizes of this machine's first CPU in bytes, e.g. ``{"L1d": 49152, "L2": ..., "L3": ...}``.

    Read from Linux's ``/sys/devices/system/cpu/cpu0/cache``; empty elsewhere. L2 and L3 may be
    shared between cores (L3 usually is).
    """
    out: dict[str, int] = {}
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    for d in sorted(root.glob("index*")):
        try:
            kind = (d / "type").read_text().strip()
            level = (d / "level").read_text().strip()
            size = (d / "size").read_text().strip()
        except OSError:
            continue
        if kind == "Instruction" or not size:
            continue
        units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
        value = int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)
        out[f"L{level}{'d' if kind == 'Data' else ''}"] = value
    return out


def throughput(Model, N: int, op: str = "forward", *, steps: int | None = None, record="count",
               repeats: int = 3, seed: int = 0, **kw) -> float:
    """Million neuron-updates per second of ``Model(n=N, **kw)`` on this machine (best of ``repeats``).

    ``op="forward"``: ``steps`` calls of ``forward`` with a per-neuron input; ``op="run"``: one
    ``run`` of ``steps`` steps of that (constant) input keeping ``record``. The input is drawn
    around the rheobase (seeded), so that the neurons spike, and given in the population's dtype
    (a conversion per call would be timed too). ``steps`` defaults to about 2e8 updates' worth
    for ``forward`` and 5e8 for ``run`` (whose fixed cost per call, copying the state and
    allocating the record, must not dominate), between 5 and 5,000 (``forward``) or 20,000
    (``run``). The first call (compilation, cache loading) is not timed.
    ``kw`` goes to the population (``dtype``, ``backend``, ``device``, ``engine``, parameters).
    """
    choice("op", op, _OPS)
    N = positive_int("N", N)
    budget, cap = (2e8, 5_000) if op == "forward" else (5e8, 20_000)
    steps = min(max(5, int(budget // N)), cap) if steps is None else positive_int("steps", steps)
    model = Model(n=N, **kw)
    rheobase = _rheobase(model)
    x = model.backend.as_input(np.random.default_rng(seed).uniform(0.8 * rheobase, 2.0 * rheobase, N), "x",
                               np.inf, check=False)
    sync = _synchronizer(model)
    best = np.inf
    for k in range(max(1, repeats) + 1):
        model.reset_state_variables()
        t0 = time.perf_counter()
        if op == "forward":
            for _ in range(steps):
                model.forward(x)
        else:
            model.run(x, steps=steps, record=record)
        sync()
        if k:  # round 0 warms up
            best = min(best, time.perf_counter() - t0)
    return N * steps / best / 1e6


def _rheobase(model) -> float:
    from . import theory

    p = model.params
    if hasattr(p, "delta_T"):
        return float(np.max(theory.eif_rheobase(p)))
    return float(np.max(theory.lif_rheobase(p)))


def _synchronizer(model):
    be = model.backend
    if be.name == "torch" and str(be.device).startswith("cuda"):
        return be.torch.cuda.synchronize
    return lambda: None


#: The committed benchmark run, shipped with the package (written by ``bench/bench_lifbook.py --json``).
RESULTS_FILE = "data/bench_results.json"


def load_benchmark(path=None) -> dict:
    """The results of ``bench/bench_lifbook.py`` (its ``--json`` file) as a dict.

    ``path`` defaults to ``$LIFBOOK_BENCH_RESULTS`` if set, else the committed run shipped with
    the package (``lifbook/data/bench_results.json``, package data: found wherever lifbook is
    installed, whatever the working directory). The schema is described in ``bench/RESULTS.md``.
    """
    if path is None:
        path = os.environ.get(RESULTS_ENV) or None
    if path is None:
        p = resources.files(__package__).joinpath(RESULTS_FILE)
        where = f"lifbook/{RESULTS_FILE} (package data)"
    else:
        p = Path(path)
        where = str(p)
    try:
        with p.open() as f:
            res = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"path: no benchmark results file at {where}; write one with "
                                "`python bench/bench_lifbook.py --json FILE` in a clone of lifbook") from None
    missing = [k for k in ("machine", "workloads", "library") if not isinstance(res, dict) or k not in res]
    if missing:
        raise ValueError(f"path: {where} is not a results file of bench/bench_lifbook.py (no {missing})")
    return res


def throughput_table(results: dict, op: str = "run") -> dict[str, dict[int, float]]:
    """``{implementation: {N: million updates/s}}`` from the benchmark's library table for ``op``.

    The medians that ``bench_lifbook.py`` measured for ``forward`` or ``run`` per backend and
    engine, next to the naive NumPy loop, at each population size; the input of
    :class:`lifbook.widgets.ScaleExplorer`.
    """
    choice("op", op, _OPS)
    table: dict[str, dict[int, float]] = {}
    for row in results["library"]:
        if row.get("op") == op and "mups_median" in row:
            table.setdefault(row["impl"], {})[int(row["N"])] = float(row["mups_median"])
    if not table:
        raise ValueError(f"results: no measured rows for op={op!r} in the library table")
    return table


def workload_rows(results: dict, workload: str = "lif_ref", skipped: bool = False) -> list[dict]:
    """The rows of one headline workload (``"lif"``, ``"lif_ref"``, ``"eif"``), measured ones only
    unless ``skipped``; each has ``impl``, ``mups_median``, ``mups_min``, ``mups_max``,
    ``spikes_total`` and ``neurons_differing``."""
    workloads = results["workloads"]
    choice("workload", workload, sorted(workloads))
    return [r for r in workloads[workload] if skipped or "mups_median" in r]
