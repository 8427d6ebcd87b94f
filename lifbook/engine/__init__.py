"""Engines behind ``forward`` and ``run``: their contract, the fused kernels, and how a population picks one.

Engines:

* ``"numba"`` (:class:`lifbook.engine.cpu.NumbaEngine`): NumPy and torch CPU populations
  (numba is a dependency of lifbook). ``run`` keeps each block of neurons in the
  L1 cache for all its time steps (the fast path for large populations and for one neuron behind
  a slider); ``forward`` is one pass over the state. Large calls use one thread per CPU
  (``LIFBOOK_NUM_THREADS`` to change).
* ``"reference"`` (:class:`lifbook.engine.reference.ReferenceEngine`):
  :func:`lifbook.dynamics.lif_step`, one NumPy or torch expression per step. Always available;
  used for CUDA tensors when triton is not installed.
* ``"gpu"`` (:class:`lifbook.engine.gpu.TritonEngine`): torch tensors on CUDA, when triton is
  installed (``pip install 'lifbook[gpu]'``). ``run`` is one Triton kernel for all steps, with the
  numba engine's time-blocked design (state in registers across steps); ``forward`` one kernel
  per step. On CPU tensors it runs only in Triton's interpreter (``TRITON_INTERPRET=1``, for the
  ``gpu_sim`` tests); elsewhere asking for it is an error. Not yet measured on a GPU.

All three evaluate the one update of :func:`lifbook.dynamics.neuron_update` (numba and Triton
compile that same Python function), so they differ only where the ``exp`` of the numba kernels
(a vectorisable polynomial in float32 and float64, :mod:`lifbook.engine.kernels`) or of the GPU
differs from NumPy's and torch's.

Which engine ran is in ``Record.meta["engine"]`` and ``repr(population)``; a CPU population on
the reference engine says why (``Record.meta["engine_note"]``: asked for, ``LIFBOOK_ENGINE``, or
numba missing) and that it is slower.

Choice (:func:`select`, at construction and whenever the backend or parameters change): the
``engine=`` argument of the population if it is not ``"auto"``, else the environment variable
``LIFBOOK_ENGINE`` (``auto``, ``numba``, ``reference`` or ``gpu``), else ``"auto"``: numba on the
CPU (where it can be imported), the GPU engine for CUDA tensors (where triton can be imported and
the device has compute capability 7.0 or newer), the reference otherwise. Asking for ``"numba"``
or ``"gpu"`` where it cannot run is an error. ``import lifbook`` never imports numba (nor
triton): the kernels are imported (and compiled, or loaded from numba's on-disk cache) at the
first ``run``/``forward`` that uses them. Small CLIF populations (fewer than 4096 state
elements) step ``forward`` with the reference, bitwise the same, so that they never wait for numba.

First-call costs (see bench/RESULTS.md): importing numba takes about 0.5 s, compiling one kernel
a few seconds the first time on a machine (then it is loaded from the cache in ~0.1 s). The cache
lives in ``NUMBA_CACHE_DIR`` if set, else in the user's cache directory (``~/.cache/lifbook/numba``
on Linux; :mod:`lifbook.engine.cachedir`), not in site-packages; :func:`info` tells where.

Results: the same spikes as the reference; membrane potentials bitwise equal for CLIF (float32
and float64) and for ELIF (every method, ``etd2`` included) within 1e-9 mV in float64 (the C
library's ``exp`` and NumPy's differ by at most 1 ulp) and 0.05 mV in float32 (polynomial ``exp``
for both of ``etd2``'s exponentials); see ``tests/test_engine.py``.

Contract (every engine; like :mod:`scipy.integrate`'s solvers, an engine is an object with a
``name`` and two methods, and it is pure: it never sees or changes a population, and never
changes the arrays it is given; the population owns its state and writes it):

* ``name``: a short string, shown by ``Population.engine`` (``"reference"``, ``"numba"``, ``"gpu"``).
* ``step(x, state, coef, max_abs_x=None) -> (spikes, state)``: one step of
  :func:`lifbook.dynamics.lif_step` (same spikes; potentials within the tolerances above).
  ``x``: input of shape ``()``, ``shape`` or the state's shape (nA); ``state``: a
  :class:`~lifbook.dynamics.LIFState`; ``coef``: the population's
  :class:`~lifbook.dynamics.StepCoefficients` on the same backend (the terms present, and so the
  kernel, follow from which fields are ``None``). With ``max_abs_x``, first raise ``ValueError``
  (nothing returned) unless every input is finite with ``|x| <= max_abs_x``. It returns arrays
  that nobody else holds (fresh, or recycled once nobody holds them any more).
* ``run(xs, state, coef, record, *, steps=None) -> (spikes, state, record_dict)``: ``T`` steps,
  exactly ``T`` calls of ``step`` (same tolerances). With ``steps=None``, ``xs`` has a leading
  time axis, ``T = len(xs)``, step ``k`` gets ``xs[k]``; with ``steps=T``, ``xs`` is one step's
  input held for ``T`` steps. ``record``: a tuple of names from
  :data:`lifbook.record.RECORDABLE`; ``record_dict`` maps each to an array of shape
  ``(T, *state_shape)`` (``"count"``: int64 of shape ``state_shape``), on the backend. It returns
  the last step's spikes and the state after the last step, as ``step`` does, so that the
  population can set ``s``, ``v``, ``steps`` and the last input itself.
  Streaming (both engines): ``xs`` may have any real dtype and strides (stride-0 broadcast views
  included; the NumPy view of a CPU tensor) and is converted as it is read, never copied whole;
  it may also be a :class:`lifbook.inputs.Separable` (amplitudes times time profiles, evaluated
  in the kernel) or a :class:`lifbook.inputs.Streamed` current (made a block of steps at a time,
  ``block(k0, k1)``; both also give step ``k`` as ``xs[k]``, in order). Optional keywords:
  ``max_abs_x`` (check the input, finite and bounded, as it is read: ``ValueError``) and
  ``on_block(done, T)``, called between blocks of steps; an exception there (or a
  ``KeyboardInterrupt``) leaves the arrays given to the engine unchanged, so the population
  stays as it was before ``run``. The GPU engine reads a tensor on its device the same way (any
  real dtype and strides, converted in its kernel; ``max_abs_x`` counted in the same pass) and
  evaluates a :class:`lifbook.inputs.Separable` current in its kernel; it takes no ``on_block``
  (one launch) and gets a :class:`lifbook.inputs.Streamed` current's values (noise) whole.
* Precise spike timing: with ``coef`` a :class:`lifbook.timing.PreciseCoefficients`
  (``spike_timing="precise"``; ``state.ref`` holds refractory ms as floats) ``step`` returns
  ``(spikes, state, offsets)`` and ``run`` returns ``(spikes, state, record_dict, offsets)``, with
  ``offsets`` the last step's spike times after its start (ms, 0 where no spike), and
  ``record_dict["offsets"]`` of shape ``(T, *state_shape)`` whenever ``"spikes"`` is recorded.
  Both engines run :mod:`lifbook.timing`'s code (the numba engine its compiled kernels,
  :mod:`lifbook.engine.precise_kernels`); spikes equal, spike times within 1e-9 ms in float64
  (``tests/test_precise.py``). The numba engine streams a precise run's input as above (an
  array converted a block of steps at a time, a ``Separable`` or ``Streamed`` current evaluated
  per block: extra memory O(N) plus one block of ``cpu.STREAM_BYTES``; ``max_abs_x`` and
  ``on_block`` as above); the reference engine's precise run gets the input converted whole.

:func:`select` returns an engine object, never ``None``: :class:`~lifbook.engine.reference.ReferenceEngine`
(the step loop of :func:`lifbook.dynamics.lif_step`, any backend) or
:class:`~lifbook.engine.cpu.NumbaEngine` or :class:`~lifbook.engine.gpu.TritonEngine`. A new engine
implements the same two methods and is tested against the reference.
"""
from __future__ import annotations

import functools
import importlib.util
import os

__all__ = ["ENGINES", "ENV_VAR", "check_request", "select", "numba_available", "triton_available", "gpu_supported",
           "info", "explain", "available_memory"]

ENGINES = ("auto", "numba", "reference", "gpu")
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


@functools.lru_cache(maxsize=None)
def triton_available() -> bool:
    """True if triton is installed (checked without importing it): the GPU engine can run."""
    return importlib.util.find_spec("triton") is not None


#: Oldest CUDA compute capability the GPU engine is chosen for by ``"auto"`` (Triton's own minimum).
GPU_MIN_CAPABILITY = (7, 0)


def gpu_supported(backend) -> bool:
    """True if ``backend``'s CUDA device is one Triton compiles for (compute capability >= 7.0)."""
    try:
        return tuple(backend.torch.cuda.get_device_capability(backend.device)) >= GPU_MIN_CAPABILITY
    except Exception:  # no such device, or a build without CUDA: leave it to the reference
        return False


def _gpu_engine(backend, shape):
    """The Triton engine, or a clear error where it cannot run (see :mod:`lifbook.engine.gpu`)."""
    if not triton_available():
        raise ImportError("engine='gpu' needs triton: pip install 'lifbook[gpu]' (or use engine='auto')")
    if backend.name != "torch":
        raise ValueError("engine='gpu' runs torch tensors on CUDA; this population uses NumPy "
                         "(backend='torch', device='cuda', or engine='auto')")
    from .gpu import INTERPRET_VAR, TritonEngine, interpreter_on

    if backend.device.type != "cuda" and not (backend.device.type == "cpu" and interpreter_on()):
        raise ValueError(f"engine='gpu' runs torch tensors on CUDA; this population lives on {backend.device} "
                         f"(on the CPU only in Triton's interpreter, {INTERPRET_VAR}=1, for tests; "
                         "use engine='auto')")
    return TritonEngine(backend, shape)


def select(backend, shape: tuple[int, ...], request: str = "auto"):
    """The engine object for a population of ``shape`` on ``backend`` (a :class:`lifbook.backends.Backend`).

    ``request``: ``"auto"``, ``"numba"``, ``"reference"`` or ``"gpu"`` (see the module docstring).
    Never ``None``.
    """
    from .reference import ReferenceEngine

    want = _requested(request)
    if want == "reference":
        return ReferenceEngine(backend)
    if want == "gpu":
        return _gpu_engine(backend, shape)
    on_cpu = backend.name == "numpy" or backend.device.type == "cpu"
    if not on_cpu:
        if want == "numba":
            raise ValueError(f"engine='numba' runs on the CPU; this population lives on {backend.device} "
                             "(use engine='auto', 'gpu' or 'reference')")
        if backend.device.type == "cuda" and triton_available() and gpu_supported(backend):
            return _gpu_engine(backend, shape)
        return ReferenceEngine(backend)
    if not numba_available():
        if want == "numba":
            raise ImportError("engine='numba' needs numba, a dependency of lifbook: pip install numba "
                              "(or use engine='auto')")
        return ReferenceEngine(backend)
    from .cpu import NumbaEngine

    return NumbaEngine(backend, shape)


def explain(backend, request: str, name: str) -> str:
    """Why a CPU population runs the slower reference engine (``""`` when it runs numba or is on a GPU).

    Shown in ``repr(population)`` and ``Record.meta["engine_note"]``: the NumPy step loop is
    several times slower than the numba kernels for large populations.
    """
    if name != "reference":
        return ""
    on_cpu = backend.name == "numpy" or backend.device.type == "cpu"
    if not on_cpu:
        return ""
    slower = "the NumPy step loop, several times slower than engine='numba' for large populations"
    if request == "reference":
        return f"engine='reference' was asked for: {slower}"
    if _requested(request) == "reference":
        return f"{ENV_VAR}=reference is set: {slower}"
    return f"numba is not installed (pip install numba): {slower}"


def available_memory() -> int | None:
    """Bytes of memory a new allocation can get now (Linux ``MemAvailable``), or ``None`` if unknown.

    :meth:`Population.run` compares the size of its record with this before allocating it.
    """
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:
        return None


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
