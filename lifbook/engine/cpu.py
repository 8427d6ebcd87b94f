"""The numba engine: NumPy or torch CPU arrays in, :mod:`lifbook.engine.kernels` run, arrays out.

It follows the engine contract of :mod:`lifbook.engine` (pure: it reads the state and the
coefficients it is given and returns new ones; it never sees the population).

This module does not import numba; the kernels module is imported at the first call that needs
it. torch tensors pass to the kernels as NumPy views (``Tensor.numpy()``, no copy) and results
come back as tensors sharing the NumPy arrays' memory (``torch.from_numpy``).

Shapes: the state ``(batch, *shape)`` or ``shape`` is viewed as ``(B, N)`` with ``N =
prod(shape)``; an input step of shape ``()``, ``shape`` or the state shape as ``(Bx, Nx)`` with
``Bx`` in ``{1, B}`` and ``Nx`` in ``{1, N}``; a time series adds a leading ``T``.

Threads: the kernels release the GIL and take a range of neuron blocks, so a call with enough
work is split into contiguous ranges run at once by the calling thread and a small pool
(one thread per available CPU, or ``LIFBOOK_NUM_THREADS``).
"""
from __future__ import annotations

import importlib
import math
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..dynamics import INT_FIELDS, LIFState, StepCoefficients
from ..timing import FIXUP_FIELDS, PreciseCoefficients
from .layout import PARAMS, UNUSED
from .reference import ReferenceEngine

__all__ = ["NumbaEngine", "num_threads"]

#: CLIF populations with fewer state elements step with the reference (bitwise the same result,
#: and tiny populations never import numba). ELIF populations always use the kernel for ``forward``
#: so that ``forward`` and ``run`` agree bitwise (the kernel's ``exp`` is not NumPy's).
STEP_MIN_CLIF = 4096

#: Time steps per tile in ``run`` when something is recorded at every step (see ``run_kernel``).
RECORD_TILE = 32

#: Bytes of input an array input's block of time steps reads (its steps run in one kernel call; a multiple
#: of the kernels' ``TILE_T`` steps when longer). Each call reads the state from memory and writes it back:
#: at 1e6 neurons, blocks of 4 steps (32 MiB) spent as much on the state as on the input.
BLOCK_BYTES = 512 << 20

#: Bytes (float64) of a block of steps of a current made block by block (:class:`lifbook.inputs.Streamed`,
#: noise): a few times this is allocated while the block is made.
STREAM_BYTES = 4 << 20

#: Neuron-updates per block of time steps for a constant or separable input.
BLOCK_UPDATES = 1 << 26

#: Neuron-updates below which a call runs in the calling thread only (thread start-up costs more).
PARALLEL_MIN = 1 << 18

#: Sets of ``forward`` output arrays an engine keeps for reuse (see :meth:`NumbaEngine._outputs`).
POOL_SIZE = 3

_modules: dict = {}  # kernel modules by name, imported at first use (None: numba unusable)
_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _load(name: str):
    """The kernels module ``name`` (``"kernels"`` or ``"precise_kernels"``), imported once, or ``None``
    if numba cannot be imported (then the reference runs)."""
    if name not in _modules:
        try:
            _modules[name] = importlib.import_module(f"{__package__}.{name}")
        except ImportError:  # pragma: no cover - a broken numba installation
            _modules[name] = None
    return _modules[name]


def _load_kernels():
    """The grid kernels (:mod:`.kernels`), or ``None``."""
    return _load("kernels")


def _load_precise_kernels():
    """The precise kernels (:mod:`.precise_kernels`), or ``None``."""
    return _load("precise_kernels")


def num_threads() -> int:
    """Threads a large call uses: ``LIFBOOK_NUM_THREADS``, else the CPUs this process may run on."""
    env = os.environ.get("LIFBOOK_NUM_THREADS", "").strip()
    if env:
        return max(1, int(env))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _executor(workers: int) -> ThreadPoolExecutor:
    """A pool with ``workers`` threads, made again after a fork (threads do not survive it)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid() or _pool[1]._max_workers < workers:
            if _pool is not None and _pool[0] == os.getpid():
                _pool[1].shutdown(wait=False)
            _pool = (os.getpid(), ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lifbook"))
        return _pool[1]


def _launch(K, kernel, args, n_items: int, work: int) -> None:
    """``kernel(*args, q0, q1)`` over ``0 <= q < n_items``, split into contiguous ranges across threads."""
    K.compile_for(kernel, args + (0, n_items))
    nt = min(num_threads(), n_items) if work >= PARALLEL_MIN else 1
    if nt <= 1:
        kernel(*args, 0, n_items)
        return
    bounds = [n_items * k // nt for k in range(nt + 1)]
    pool = _executor(nt - 1)
    futures = [pool.submit(kernel, *args, bounds[k], bounds[k + 1]) for k in range(1, nt)]
    kernel(*args, bounds[0], bounds[1])
    for f in futures:
        f.result()


class NumbaEngine:
    """Fused numba kernels for one backend (NumPy or torch on the CPU), dtype and population shape.

    The kernels for a set of coefficients are chosen from the terms present (synaptic filter,
    refractoriness, ELIF term, its ``etd2`` correction, per-neuron coefficients); the packed
    coefficients are kept for the last :class:`~lifbook.dynamics.StepCoefficients` object seen.
    """

    name = "numba"

    def __init__(self, backend, shape):
        self._reference = ReferenceEngine(backend)
        self._check_values = backend.check_values
        self._torch = backend.torch if backend.name == "torch" else None
        self.dtype = np.dtype(str(backend.dtype).replace("torch.", ""))
        self._dtype_name = self.dtype.name  # a str once: ``np.dtype.name`` costs microseconds per step
        self.shape = tuple(shape)
        self.N = math.prod(self.shape)
        self._packed: tuple | None = None
        self._pool: list[tuple] = []

    def _prepared(self, c: StepCoefficients):
        """``(features, P, Pn, het, step_min)`` for ``c``, packed once per coefficient object."""
        packed = self._packed
        if packed is None or packed[0] is not c:
            features = (c.a_syn is not None, c.n_ref is not None, c.delta_T is not None, c.k_nl2 is not None)
            P, Pn = self._pack(c)
            # CLIF steps of small populations go to the reference (bitwise the same); ELIF steps always
            # use the kernel, so that forward and run agree bitwise (the kernel's exp is not NumPy's).
            step_min = 0 if features[2] else STEP_MIN_CLIF
            packed = self._packed = (c, features, P, Pn, P.shape[1] > 1, step_min)
        return packed[1:]

    def _outputs(self, shape, syn: bool, ref: bool):
        """Arrays ``(s, v, i, r)`` for one ``forward`` step: a set nobody else holds any more, or new ones.

        Fresh arrays of millions of elements cost more than the step itself (the kernel's first
        write to each page faults it in), so up to :data:`POOL_SIZE` sets are recycled. A set is
        reused only when this pool holds its arrays' only references: no state, ``model.v``,
        ``model.s``, view or tensor (``torch.from_numpy`` holds a reference) of the user's still
        points at them, so recycling never changes an array that anyone can see.
        """
        for arrays in self._pool:
            # getrefcount counts the pool's tuple and its own argument; any view or tensor adds one.
            if (arrays[1].shape == shape and (arrays[2] is not None) == syn and (arrays[3] is not None) == ref
                    and all(arrays[j] is None or sys.getrefcount(arrays[j]) == 2 for j in range(4))):
                return arrays
        arrays = (np.empty(shape, dtype=bool), np.empty(shape, dtype=self.dtype),
                  np.empty(shape, dtype=self.dtype) if syn else None, np.empty(shape, dtype=np.int32) if ref else None)
        if len(self._pool) >= POOL_SIZE:
            self._pool.pop(0)
        self._pool.append(arrays)
        return arrays

    # -- conversion ---------------------------------------------------------------------
    def _np(self, a):
        return a.numpy() if self._torch is not None and isinstance(a, self._torch.Tensor) else a

    def _out(self, a):
        return self._torch.from_numpy(a) if self._torch is not None else a

    def _pack(self, c):
        """Coefficients as ``P`` and ``Pn`` (see :mod:`lifbook.engine.layout`)."""
        values = []
        for name in PARAMS:
            a = getattr(c, name)
            values.append(np.asarray(UNUSED[name] if a is None else self._np(a), dtype=self.dtype))
        (int_name,) = INT_FIELDS
        n_ref = getattr(c, int_name)
        n_ref = np.asarray(0 if n_ref is None else self._np(n_ref), dtype=np.int32)
        het = any(a.ndim for a in values) or n_ref.ndim
        cols = self.N if het else 1
        P = np.empty((len(PARAMS), cols), dtype=self.dtype)
        for k, a in enumerate(values):
            P[k] = a.reshape(-1) if a.ndim else a
        Pn = np.empty(cols, dtype=np.int32)
        Pn[:] = n_ref.reshape(-1) if n_ref.ndim else n_ref
        return P, Pn

    @staticmethod
    def _contiguous(x):
        """``x`` as a writable C-contiguous array (one kernel signature for every input), copied if needed."""
        x = np.ascontiguousarray(x)
        return x if x.flags.writeable else x.copy()

    def _as_2d(self, x):
        """An input step of shape ``()``, ``shape`` or ``(B, *shape)`` as a C-contiguous ``(Bx, Nx)``."""
        x = np.asarray(x, dtype=self.dtype)
        return self._contiguous(x).reshape((1, 1) if x.ndim == 0 else (-1, self.N))

    def _as_3d(self, xs, T):
        """A time series ``(T, *step_shape)`` as a C-contiguous ``(T, Bx, Nx)`` of the engine's dtype."""
        xs = np.asarray(xs, dtype=self.dtype)
        return self._contiguous(xs).reshape((T, 1, 1) if xs.ndim == 1 else (T, -1, self.N))

    # -- precise spike timing ----------------------------------------------------------------
    def _prepared_precise(self, pc: PreciseCoefficients):
        """``(syn, exp, het, P, Pn, Q, D)`` for precise coefficients, packed once per coefficient object."""
        packed = self._packed
        if packed is None or packed[0] is not pc:
            c = pc.grid
            P, Pn = self._pack(c)
            fix = [np.asarray(getattr(pc, name), dtype=np.float64) for name in FIXUP_FIELDS]
            het = P.shape[1] > 1 or any(a.ndim for a in fix)
            cols = self.N if het else 1
            if P.shape[1] != cols:
                P, Pn = np.ascontiguousarray(np.repeat(P, cols, axis=1)), np.repeat(Pn, cols)
            Q = np.empty((len(FIXUP_FIELDS), cols), dtype=np.float64)
            for k, a in enumerate(fix):
                Q[k] = a.reshape(-1) if a.ndim else a
            D = np.array([pc.dt, pc.tol], dtype=self.dtype)
            packed = self._packed = (pc, c.a_syn is not None, c.delta_T is not None, het, P, Pn, Q, D)
        return packed[1:]

    def _step_precise(self, x, state: LIFState, pc: PreciseCoefficients, max_abs_x):
        K = _load_precise_kernels()
        if K is None:
            return self._reference.step(x, state, pc, max_abs_x)
        syn, exp, het, P, Pn, Q, D = self._prepared_precise(pc)
        kernel = K.step_kernel(syn, exp, het, self._dtype_name)
        v = self._np(state.v)
        shape = v.shape
        v2 = v.reshape(-1, self.N)
        B = v2.shape[0]
        s_new, o_new = np.empty((B, self.N), dtype=bool), np.empty((B, self.N), dtype=self.dtype)
        v_new, r_new = np.empty((B, self.N), dtype=self.dtype), np.empty((B, self.N), dtype=self.dtype)
        i2, io = (self._np(state.i).reshape(B, self.N), np.empty((B, self.N), dtype=self.dtype)) if syn else (v2, v2)
        r2 = self._np(state.ref).reshape(B, self.N)
        nch = -(-self.N // K.CHUNK)
        nbad = np.zeros(B * nch, dtype=np.int64)
        limit = np.inf if max_abs_x is None else float(max_abs_x)
        args = (self._as_2d(self._np(x)), v2, i2, r2, P, Pn, Q, D, s_new, o_new, v_new, io, r_new, limit, nbad)
        _launch(K, kernel, args, B * nch, v.size)
        if max_abs_x is not None and nbad.any():
            self._check_values(x, "x", max_abs_x)
            raise AssertionError("the engine's input check and the backend's disagree")  # pragma: no cover
        out = self._out
        new_state = LIFState(out(v_new.reshape(shape)), out(io.reshape(shape)) if syn else None,
                             out(r_new.reshape(shape)))
        return out(s_new.reshape(shape)), new_state, out(o_new.reshape(shape))

    def _precise_input(self, xs, T, constant, B):
        """The input of a precise run, block by block: ``(x3, chunk, block)``.

        ``block(t0, t1)`` gives steps ``t0 <= k < t1`` as a C-contiguous writable ``(n, Bx, Nx)`` array
        of the state's dtype, so that nothing of size ``(T, N)`` is made: an array of the state's dtype
        that is C-contiguous is passed as views (blocks of :data:`BLOCK_BYTES`); any other dtype or
        layout (strided, stride-0 broadcast views, a CPU tensor's NumPy view) is converted one block of
        :data:`STREAM_BYTES` at a time (NumPy's conversion, as ``astype``); a
        :class:`lifbook.inputs.Separable` current is evaluated per block (float64, the amplitudes
        times the profiles summed left to right, then converted, as ``materialise()`` and the grid
        kernels do) and a :class:`lifbook.inputs.Streamed` current is made per block (``block(k0, k1)``).
        ``x3``: the input's ``(Tx, Bx, Nx)`` form for ``record["i"]`` (see :meth:`_input_record`).
        """
        from ..inputs import Separable, Streamed

        per_step = max(1, B * self.N)
        small = max(1, STREAM_BYTES // (per_step * 8))
        if constant:
            x3 = self._as_2d(self._np(xs))[None]
            return x3, T, lambda t0, t1: x3
        if isinstance(xs, Streamed):
            shape = xs.shape[1:]
            bx = 1 if len(shape) <= len(self.shape) else shape[0]
            nx = self.N if shape else 1

            def made(t0, t1):
                b = np.asarray(xs.block(t0, t1)).reshape(t1 - t0, bx, nx)
                return self._contiguous(b.astype(self.dtype, copy=False))

            return None, small, made
        if isinstance(xs, Separable):
            A = xs.amplitudes
            K = A.shape[0]
            A3 = A.reshape((K, 1, 1) if A.ndim == 1 else (K, -1, self.N))
            PT = xs.profiles

            def separable(t0, t1):
                acc = A3[0][None] * PT[t0:t1, 0, None, None]
                for k in range(1, K):
                    acc = acc + A3[k][None] * PT[t0:t1, k, None, None]
                return self._contiguous(acc.astype(self.dtype, copy=False))

            return None, small, separable
        x3, _, _, fill, _ = self._input_form(xs, T, False)
        if x3.shape[0] == 1 < T:  # a broadcast view, already one row of the state's dtype: repeated per block
            step = max(1, x3.shape[1] * x3.shape[2])
            return x3, max(1, STREAM_BYTES // (step * 8)), lambda t0, t1: np.repeat(x3, t1 - t0, axis=0)
        if not fill:  # the state's dtype, C-contiguous, writable: views
            step_bytes = max(1, x3.shape[1] * x3.shape[2] * x3.dtype.itemsize)
            return x3, max(1, BLOCK_BYTES // step_bytes), lambda t0, t1: x3[t0:t1]
        step = max(1, x3.shape[1] * x3.shape[2])
        return x3, max(1, STREAM_BYTES // (step * 8)), lambda t0, t1: np.array(x3[t0:t1], dtype=self.dtype, order="C")

    def _run_precise(self, xs, state: LIFState, pc: PreciseCoefficients, record, steps, on_block=None,
                     max_abs_x=None):
        K = _load_precise_kernels()
        if K is None:
            return self._reference.run(xs, state, pc, record, steps=steps)
        syn, exp, het, P, Pn, Q, D = self._prepared_precise(pc)
        constant = steps is not None
        T = int(steps) if constant else int(xs.shape[0])
        kernel = K.run_kernel(syn, exp, het, "count" in record, self._dtype_name)
        state_shape = tuple(state.v.shape)
        v = np.array(self._np(state.v), dtype=self.dtype, order="C").reshape(-1, self.N)
        B = v.shape[0]
        i = np.array(self._np(state.i), order="C").reshape(B, self.N) if syn else v
        r = np.array(self._np(state.ref), dtype=self.dtype, order="C").reshape(B, self.N)
        x3, chunk, block = self._precise_input(xs, T, constant, B)
        rec_spikes, rec_v, rec_i = "spikes" in record, "v" in record, "i" in record and syn
        none = np.empty((0, B, self.N), dtype=self.dtype)
        rows = T if rec_spikes else 1
        spikes = np.empty((rows, B, self.N), dtype=bool)
        # zeros (pages mapped lazily): the kernel writes the offsets of spikes only
        offsets = np.zeros((rows, B, self.N), dtype=self.dtype)
        v_rec = np.empty((T, B, self.N), dtype=self.dtype) if rec_v else none
        i_rec = np.empty((T, B, self.N), dtype=self.dtype) if rec_i else none
        counts = np.zeros((B, self.N), dtype=np.int32) if "count" in record else Pn[None]
        recording = rec_spikes or rec_v or rec_i
        nblk = -(-self.N // K.BLOCK)
        limit = np.inf if max_abs_x is None else float(max_abs_x)
        chunk = min(max(1, chunk), T)
        for t0 in range(0, T, chunk):
            t1 = min(t0 + chunk, T)
            n = t1 - t0
            xb = block(t0, t1)
            if max_abs_x is not None and not (constant and t0 > 0):
                # finite and bounded, a few steps at a time (temporaries of at most STREAM_BYTES)
                sub = max(1, STREAM_BYTES // max(1, xb[0].size * 8))
                for a in range(0, xb.shape[0], sub):
                    if not np.all(np.abs(xb[a:a + sub]) <= limit):
                        self._check_values(xb[a:a + sub], "x", limit)  # raises, naming the bad values
                        raise AssertionError("the engine's input check and the backend's disagree")  # pragma: no cover
            sb, ob = (spikes[t0:t1], offsets[t0:t1]) if rec_spikes else (spikes, offsets)
            vb = v_rec[t0:t1] if rec_v else none
            ib = i_rec[t0:t1] if rec_i else none
            tile = RECORD_TILE if recording else n
            _launch(K, kernel, (xb, v, i, r, P, Pn, Q, D, n, tile, sb, ob, vb, ib, counts), B * nblk, B * self.N * n)
            if on_block is not None:
                on_block(t1, T)
        out = self._out
        rec = {}
        if rec_spikes:
            rec["spikes"] = out(spikes.reshape(T, *state_shape))
            rec["offsets"] = out(offsets.reshape(T, *state_shape))
        if rec_v:
            rec["v"] = out(v_rec.reshape(T, *state_shape))
        if "i" in record:
            if syn:
                rec["i"] = out(i_rec.reshape(T, *state_shape))
            else:  # without a filter the current is the input itself
                rec["i"] = out(self._input_record(xs, x3, T, B, state_shape))
        if "count" in record:
            rec["count"] = out(counts.reshape(state_shape).astype(np.int64))
        new_state = LIFState(out(v.reshape(state_shape)), out(i.reshape(state_shape)) if syn else None,
                             out(r.reshape(state_shape)))
        last_s = spikes[-1].reshape(state_shape).copy()
        last_o = np.where(last_s, offsets[-1].reshape(state_shape), 0.0).astype(self.dtype)
        return out(last_s), new_state, rec, out(last_o)

    # -- forward -------------------------------------------------------------------------
    def step(self, x, state: LIFState, coef: StepCoefficients, max_abs_x: float | None = None):
        """One step: ``(spikes, state)``; with ``max_abs_x`` the input is validated in the same pass.

        Precise coefficients: ``(spikes, state, offsets)`` (see :mod:`lifbook.timing`).
        """
        if isinstance(coef, PreciseCoefficients):
            return self._step_precise(x, state, coef, max_abs_x)
        features, P, Pn, het, step_min = self._prepared(coef)
        v = self._np(state.v)
        K = _load_kernels() if v.size >= step_min else None
        if K is None:
            return self._reference.step(x, state, coef, max_abs_x)
        syn, ref, exp, etd2 = features
        kernel = K.step_kernel(syn, ref, exp, etd2, het, self._dtype_name)
        shape = v.shape
        v2 = v.reshape(-1, self.N)
        B = v2.shape[0]
        s_new, v_new, i_new, r_new = self._outputs(shape, syn, ref)
        i2, io = (self._np(state.i).reshape(B, self.N), i_new.reshape(B, self.N)) if syn else (v2, v2)
        r2, ro = (self._np(state.ref).reshape(B, self.N), r_new.reshape(B, self.N)) if ref else (Pn[None],) * 2
        nch = -(-self.N // K.CHUNK)
        nbad = np.zeros(B * nch, dtype=np.int64)  # per chunk: inputs failing |x| <= limit
        limit = np.inf if max_abs_x is None else float(max_abs_x)
        args = (self._as_2d(self._np(x)), v2, i2, r2, P, Pn, s_new.reshape(B, self.N),
                v_new.reshape(B, self.N), io, ro, limit, nbad)
        _launch(K, kernel, args, B * nch, v.size)
        if max_abs_x is not None and nbad.any():
            # Before anything is returned, so a bad input leaves the state as it was; the
            # backend's check finds the offending values again and says what they are.
            self._check_values(x, "x", max_abs_x)
            raise AssertionError("the engine's input check and the backend's disagree")  # pragma: no cover
        out = self._out
        return out(s_new), LIFState(out(v_new), out(i_new) if syn else None, out(r_new) if ref else None)

    # -- run -----------------------------------------------------------------------------
    def _input_form(self, xs, T, constant):
        """The input as the kernel reads it: ``(xs3, A, PT, fill, sep)`` (see :func:`.kernels.run_kernel`).

        Nothing is copied whole: an array keeps its dtype and strides (``fill`` when the kernel must
        convert it block by block), a :class:`lifbook.inputs.Separable` current passes its amplitudes
        and time profiles.
        """
        from ..inputs import Separable, Streamed

        dummy = np.zeros((1, 1, 1), dtype=np.float64)
        if isinstance(xs, Streamed):  # made block by block in run(); a placeholder of its dtype and form here
            shape = xs.shape[1:]
            form = (T, 1 if len(shape) <= len(self.shape) else shape[0], self.N if shape else 1)
            return (np.broadcast_to(np.zeros(1), form),
                    dummy, dummy[0], True, False)
        if isinstance(xs, Separable):
            A = np.ascontiguousarray(xs.amplitudes, dtype=np.float64)
            K = A.shape[0]
            A3 = A.reshape((K, 1, 1) if A.ndim == 1 else (K, -1, self.N))
            return np.zeros((1, 1, 1), dtype=self.dtype), A3, np.ascontiguousarray(xs.profiles), False, True
        x = self._np(xs)
        x = np.asarray(x)
        if constant:
            x3 = (x.reshape(1, 1) if x.ndim == 0 else x.reshape(-1, self.N))[None]
        elif x.ndim == 1:
            x3 = x.reshape(T, 1, 1)
        else:
            try:  # a view whenever the neuron axes can be merged (any strides, stride 0 included)
                x3 = np.reshape(x, (T, -1, self.N), copy=False) if _NP2 else _view_reshape(x, (T, -1, self.N))
            except (ValueError, AttributeError):  # neuron axes that cannot be merged (transposed): copied
                x3 = x.reshape(T, -1, self.N)
        if x3.shape[0] > 1 and x3.strides[0] == 0:
            # a broadcast view (stride 0 in time): one row, held for every step, read once per block of neurons
            # (converted to the population's dtype here: O(N))
            x3 = np.ascontiguousarray(x3[:1], dtype=self.dtype)
        fill = not (x3.dtype == self.dtype and x3.flags.c_contiguous and x3.flags.writeable)
        if x3.dtype.kind not in "fiu" or x3.dtype.kind == "f" and x3.dtype.itemsize > 8:
            x3 = x3.astype(np.float64)  # float16, longdouble: converted here (rare; NumPy's conversion)
        return x3, dummy, dummy[0], fill, False

    def run(self, xs, state: LIFState, coef: StepCoefficients, record, *, steps: int | None = None,
            on_block=None, max_abs_x: float | None = None):
        """``T`` steps by the kernel in blocks of time steps: ``(spikes, state, record_dict)`` (:mod:`lifbook.engine`).

        The input (an array of any real dtype and strides, or a :class:`lifbook.inputs.Separable`
        current) is read inside the kernel, converted block by block, never copied whole.
        ``on_block(done, T)`` (optional) is called after each block of steps, from the calling
        thread; an exception it raises (or a ``KeyboardInterrupt`` between blocks) leaves every
        array given to the engine unchanged: the state is the engine's own copy until the end.
        With ``max_abs_x`` the kernel also counts inputs that are not finite or exceed it, in its
        pass over the input, and a block with one raises ``ValueError`` (the backend's message).
        Precise coefficients: ``(spikes, state, record_dict, offsets)``, as the reference engine; the
        input streamed too, a block of steps at a time (:meth:`_precise_input`).
        """
        if isinstance(coef, PreciseCoefficients):
            return self._run_precise(xs, state, coef, record, steps, on_block, max_abs_x)
        K = _load_kernels()
        if K is None:
            return self._reference.run(xs, state, coef, record, steps=steps, on_block=on_block,
                                       max_abs_x=max_abs_x)
        from ..inputs import Streamed

        features, P, Pn, het, _ = self._prepared(coef)
        syn, ref, exp, etd2 = features
        constant = steps is not None
        T = int(steps) if constant else int(xs.shape[0])
        x3, A, PT, fill, sep = self._input_form(xs, T, constant)
        kernel = K.run_kernel(syn, ref, exp, etd2, het, "count" in record, self._dtype_name, fill, sep)
        state_shape = tuple(state.v.shape)
        v = np.array(self._np(state.v), dtype=self.dtype, order="C").reshape(-1, self.N)
        B = v.shape[0]
        i = np.array(self._np(state.i), order="C").reshape(B, self.N) if syn else v
        r = np.array(self._np(state.ref), order="C").reshape(B, self.N) if ref else Pn[None]
        rec_spikes, rec_v, rec_i = "spikes" in record, "v" in record, "i" in record and syn
        none = np.empty((0, B, self.N), dtype=self.dtype)
        spikes = np.empty((T if rec_spikes else 1, B, self.N), dtype=bool)
        v_rec = np.empty((T, B, self.N), dtype=self.dtype) if rec_v else none
        i_rec = np.empty((T, B, self.N), dtype=self.dtype) if rec_i else none
        counts = np.zeros((B, self.N), dtype=np.int32) if "count" in record else Pn[None]
        nblk = -(-self.N // K.BLOCK)
        per_step = B * self.N
        made = isinstance(xs, Streamed)
        streamed = x3.shape[0] > 1  # an input array with a time axis: blocks sized by the bytes they read
        if made:
            chunk = max(1, STREAM_BYTES // max(1, per_step * 8))
        elif streamed:
            chunk = max(1, BLOCK_BYTES // max(1, per_step * x3.dtype.itemsize))
            chunk -= chunk % K.TILE_T if chunk > K.TILE_T else 0
        else:
            chunk = max(RECORD_TILE, BLOCK_UPDATES // per_step)
        chunk = min(chunk, T)
        recording = rec_spikes or rec_v or rec_i
        nbad = np.zeros(B * nblk, dtype=np.int64)
        limit = np.inf if max_abs_x is None else float(max_abs_x)
        for t0 in range(0, T, chunk):
            t1 = min(t0 + chunk, T)
            n = t1 - t0
            if made:
                xb = xs.block(t0, t1).reshape(n, x3.shape[1], x3.shape[2])
            else:
                xb = x3[t0:t1] if streamed else x3
            PTb = PT[t0:t1] if sep else PT
            sb = spikes[t0:t1] if rec_spikes else spikes
            vb = v_rec[t0:t1] if rec_v else none
            ib = i_rec[t0:t1] if rec_i else none
            tile = RECORD_TILE if recording else n
            _launch(K, kernel, (xb, A, PTb, v, i, r, P, Pn, n, tile, sb, vb, ib, counts, limit, nbad), B * nblk,
                    per_step * n)
            if nbad.any():
                self._check_values(np.asarray(xb), "x", limit)
                raise AssertionError("the engine's input check and the backend's disagree")  # pragma: no cover
            if on_block is not None:
                on_block(t1, T)
        out = self._out
        rec = {}
        if rec_spikes:
            rec["spikes"] = out(spikes.reshape(T, *state_shape))
        if rec_v:
            rec["v"] = out(v_rec.reshape(T, *state_shape))
        if "i" in record:
            if syn:
                rec["i"] = out(i_rec.reshape(T, *state_shape))
            else:  # without a filter the current is the input itself
                rec["i"] = out(self._input_record(xs, x3, T, B, state_shape))
        if "count" in record:
            rec["count"] = out(counts.reshape(state_shape).astype(np.int64))
        new_state = LIFState(out(v.reshape(state_shape)), out(i.reshape(state_shape)) if syn else None,
                             out(r.reshape(state_shape)) if ref else None)
        return out(spikes[-1].reshape(state_shape).copy()), new_state, rec

    def _input_record(self, xs, x3, T, B, state_shape):
        """``record["i"]`` without a synaptic filter: the input, as the population's dtype."""
        from ..inputs import Separable, Streamed

        full = np.empty((T, B, self.N), dtype=self.dtype)
        if isinstance(xs, (Separable, Streamed)):
            for k in range(T):
                full[k].reshape(state_shape)[...] = xs[k]
        else:
            full[...] = np.broadcast_to(x3, (T, B, self.N)) if x3.shape[0] == T else x3[0]
        return full.reshape(T, *state_shape)


def _view_reshape(x, shape):
    """``x`` reshaped to ``shape`` without a copy (``ValueError`` if its strides do not allow it)."""
    y = x.view()
    y.shape = shape  # raises instead of copying
    return y


_NP2 = int(np.__version__.split(".")[0]) >= 2
