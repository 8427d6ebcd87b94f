"""Fused kernels behind ``forward`` and ``run``, and how a population picks one.

Engines:

* ``"numba"`` (:class:`lifbook.engine.cpu.NumbaEngine`): NumPy and torch CPU populations
  (numba is a dependency of lifbook). ``run`` keeps each block of neurons in the
  L1 cache for all its time steps (the fast path for large populations and for one neuron behind
  a slider); ``forward`` is one pass over the state. Large calls use one thread per CPU
  (``LIFBOOK_NUM_THREADS`` to change).
* ``"reference"``: :func:`lifbook.dynamics.lif_step`, one NumPy or torch expression per step.
  Always available; used for CUDA tensors.

Choice (:func:`select`, at construction and whenever the backend or parameters change): the
``engine=`` argument of the population if it is not ``"auto"``, else the environment variable
``LIFBOOK_ENGINE`` (``auto``, ``numba`` or ``reference``), else ``"auto"``: numba where it
applies (and can be imported), the reference otherwise. Asking for ``"numba"`` where it cannot run
is an error. ``import lifbook`` never imports numba: the kernels are imported (and compiled, or
loaded from numba's on-disk cache) at the first ``run``/``forward`` that uses them. Small CLIF
populations (fewer than 4096 state elements) step ``forward`` with the reference, bitwise the
same, so that they never wait for numba.

First-call costs (see bench/RESULTS.md): importing numba takes about 0.5 s, compiling one kernel
a few seconds the first time on a machine (then it is loaded from the cache in ~0.1 s). The cache
lives in ``NUMBA_CACHE_DIR`` if set, else in the user's cache directory (``~/.cache/lifbook/numba``
on Linux; :mod:`lifbook.engine.cachedir`), not in site-packages; :func:`info` tells where.

Results: the same spikes as the reference; membrane potentials bitwise equal for CLIF (float32
and float64) and for ELIF within 1e-9 mV in float64 (the C library's ``exp`` and NumPy's differ
by at most 1 ulp) and 0.05 mV in float32 (polynomial ``exp``); see ``tests/test_engine.py``.

Contract for an engine object returned by :func:`select`:

* ``name``: a short string shown by ``Population.engine``;
* ``step(x, state, max_abs_x=None) -> (spikes, state)``: one step, the same result as
  :func:`lifbook.dynamics.lif_step`; with ``max_abs_x``, first raise ``ValueError`` (state
  untouched) unless every input is finite with ``|x| <= max_abs_x``. It returns arrays that
  nobody else holds (fresh, or recycled once the population and the user have let go of them)
  and never mutates arrays the user may hold;
* ``run(xs, constant, T, record, pop) -> dict | None``: ``T`` steps from ``pop._state`` that leave
  ``pop`` exactly as ``T`` calls of ``pop._advance`` would (``_state``, ``s``, ``_last_x``,
  ``steps``), returning the recorded arrays like ``Population._reference_loop``; ``None`` means
  "not supported here, use the reference loop".
"""
from __future__ import annotations

import functools
import importlib.util
import os

__all__ = ["ENGINES", "ENV_VAR", "check_request", "select", "numba_available", "info"]

ENGINES = ("auto", "numba", "reference")
#: Environment variable read when a population is created with ``engine="auto"``.
ENV_VAR = "LIFBOOK_ENGINE"


def check_request(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")
    return engine


def _requested(request: str) -> str:
    if request != "auto":
        return request
    env = os.environ.get(ENV_VAR, "").strip().lower() or "auto"
    if env not in ENGINES:
        raise ValueError(f"{ENV_VAR}: expected one of {ENGINES}, got {os.environ[ENV_VAR]!r}")
    return env


@functools.lru_cache(maxsize=None)
def numba_available() -> bool:
    """True if numba is installed (checked without importing it)."""
    return importlib.util.find_spec("numba") is not None


def select(pop, request: str):
    """The engine for ``pop``'s backend, dtype, device and model, or ``None`` (reference)."""
    want = _requested(request)
    if want == "reference":
        return None
    on_cpu = pop.backend.name == "numpy" or pop.backend.device.type == "cpu"
    if not on_cpu:
        if want == "numba":
            raise ValueError(f"engine='numba' runs on the CPU; this population lives on {pop.backend.device} "
                             "(use engine='auto' or 'reference')")
        return None
    if not numba_available():
        if want == "numba":
            raise ImportError("engine='numba' needs numba, a dependency of lifbook: pip install numba "
                              "(or use engine='auto')")
        return None
    from .cpu import NumbaEngine

    return NumbaEngine(pop)


def info() -> dict:
    """What the engines would use here: versions, threads and the kernel cache (imports numba).

    ``info()["numba"]["cache_dir"]`` is where lifbook caches compiled kernels
    (:func:`lifbook.engine.cachedir.cache_dir`); ``["cache"]`` where one compiled kernel actually
    lives (a directory under it), or why kernels are not cached.
    """
    out = {"default": _requested("auto"), "numba": None}
    if numba_available():
        import numba

        from . import cachedir, kernels
        from .cpu import num_threads

        out["numba"] = {"version": numba.__version__, "threads": num_threads(),
                        "cache_dir": (str(cachedir.cache_dir()) if cachedir.install_error is None
                                      else f"numba's default ({cachedir.install_error})"),
                        "cache": kernels.cache_status()}
    return out
