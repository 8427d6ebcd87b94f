"""Numba kernels for the CPU engine: :func:`lifbook.dynamics.neuron_update` compiled for one neuron, in fused loops.

This module imports numba; :mod:`lifbook.engine` imports it only when a population needs it.

The update of one neuron is :func:`lifbook.dynamics.neuron_update` itself, compiled by numba
(``inline="always"``) with scalar operations (``where`` as a select, ``min``/``max``, and
:func:`_exp`): the same floating-point operations in the same order as the NumPy and torch
reference (no ``fastmath``, so no fused multiply-adds), so CLIF results are bitwise those of
NumPy in float32 and float64. The ELIF exponential differs: float64 uses :func:`_exp64` (a
vectorisable polynomial, within 2 ulp of NumPy's ``exp``; the C library's scalar ``exp`` made
float64 ELIF runs several times slower), float32 uses :func:`_exp32`, a vectorisable polynomial
(relative error below 3e-7); both exponentials of method ``"etd2"`` use them.

Two kernels, specialised by closure constants (``SYN``: synaptic filter, ``REF``:
refractoriness, ``EXP``: ELIF term, ``ETD2``: its second-order correction, ``HET``: per-neuron
parameters, ``COUNT``: spike counts), are compiled on first use and cached on disk:

* :func:`step_kernel`: one step for all neurons into new arrays (``forward``), memory-bound;
* :func:`run_kernel`: ``T`` steps in place. Neurons are processed in blocks of :data:`BLOCK`,
  whose state stays in the L1 cache across time steps, so only the input (for a time series)
  and what is recorded travel to and from memory.

Both take a range ``q0 <= q < q1`` of blocks (or chunks) and release the GIL, so that threads
share a call (:mod:`lifbook.engine.cpu`). :func:`compile_for` compiles them with 512-bit vectors
on AVX-512 CPUs. Array conventions: the state has shape ``(B, N)``
(batch, neurons); an input step has shape ``(Bx, Nx)`` with ``Bx`` in ``{1, B}`` and ``Nx`` in
``{1, N}`` (broadcast); coefficients are ``P`` and ``Pn`` as described in :mod:`lifbook.engine.layout`.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import math
import types as types_
import os
import re
import sys
import threading

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from .. import dynamics
from . import cachedir, layout

cachedir.install()  # lifbook's kernels are cached in the user's cache directory (before any is compiled)
__all__ = ["BLOCK", "CHUNK", "step_kernel", "run_kernel", "compile_for", "cache_status"]


#: Neurons per block in :func:`run_kernel` (a block's state, tens of KiB, stays in L1/L2 for all its steps).
BLOCK = 2048
#: Blocks of at most this many neurons (one neuron behind a slider) run time-innermost in :func:`run_kernel`.
SMALL = 16
#: Neurons per parallel chunk in :func:`step_kernel`.
CHUNK = 16384
#: Blocks that advance together, one step at a time, when :func:`run_kernel` reads a time series whose rows
#: are contiguous: each step then reads ``GROUP * BLOCK`` consecutive inputs (256 KiB in float64), a run
#: long enough for the hardware prefetcher (a block's own rows, 16 KiB each and a row apart, are read at
#: about half the machine's bandwidth), while the group's state (512 KiB) stays in the L2 cache.
GROUP = 16
#: Time steps of a transposed tile in :func:`run_kernel`: an input whose neurons lie further apart in
#: memory than its time steps (the transpose of a C-contiguous ``(N, T)`` array) is read neuron by neuron,
#: ``TILE_T`` consecutive steps each, into a ``(TILE_T, BLOCK)`` buffer, so that each cache line is used whole.
TILE_T = 32

_OPTIONS = dict(error_model="numpy", nogil=True)
_cache_errors: list[str] = []


def _jit(fn):
    """``numba.njit`` with an on-disk cache where numba finds a writable place, else without one.

    The cache lives in ``NUMBA_CACHE_DIR`` if set, else in the user's cache directory
    (:mod:`lifbook.engine.cachedir`, e.g. ``~/.cache/lifbook/numba``), never in site-packages
    unless neither is writable. With no writable place numba refuses ``cache=True``; lifbook then
    compiles in memory each session.
    """
    try:
        return numba.njit(cache=True, **_OPTIONS)(fn)
    except RuntimeError as exc:  # "cannot cache function ...: no locator available"
        _cache_errors.append(str(exc))
        return numba.njit(cache=False, **_OPTIONS)(fn)


def _host_has_avx512() -> bool:
    if os.environ.get("NUMBA_CPU_NAME") or os.environ.get("NUMBA_CPU_FEATURES"):
        return False  # numba compiles for a CPU chosen by the user: leave its vector width alone
    try:
        import llvmlite.binding as llvm

        return bool(llvm.get_host_cpu_features().get("avx512f", False))
    except Exception:  # pragma: no cover - unusual llvmlite
        return False


_AVX512 = _host_has_avx512()
_DEFINE = re.compile(r"^(define [^\n]*?)\s*\{$", re.M)


@contextlib.contextmanager
def _wide_vectors():
    """Let LLVM use 512-bit vectors in the functions compiled inside this block.

    On AVX-512 CPUs LLVM prefers 256-bit vectors unless told otherwise, and numba has no
    per-function option for it; 512-bit vectors make these kernels 1.2-1.5x faster (half the
    instructions per neuron). So, while numba's compiler lock is held (no other compilation can
    see it), each function definition in the generated LLVM IR gets the attribute
    ``"prefer-vector-width"="512"`` (what clang's ``-mprefer-vector-width=512`` sets). If numba
    stops passing its IR through ``cgutils.normalize_ir_text``, this silently does nothing.
    """
    from numba.core import cgutils
    from numba.core.compiler_lock import global_compiler_lock

    original = cgutils.normalize_ir_text

    def widen(text):
        return _DEFINE.sub(r'\1 "prefer-vector-width"="512" {', original(text))

    with global_compiler_lock:
        cgutils.normalize_ir_text = widen
        try:
            yield
        finally:
            cgutils.normalize_ir_text = original


#: Vector iterations LLVM interleaves in the neuron loops of the ELIF run kernels (LLVM's option
#: ``-force-vector-interleave``). One ELIF update is a long chain of dependent operations (a division,
#: ``exp``, and for ``etd2`` both twice); interleaving 8 independent vectors lets the CPU overlap them.
#: Measured with ``bench/bench_methods.py --threads 1`` (N = 2e5, T = 200, CPU time), float32:
#: etd2 620-650 -> 970-1030 million updates/s, expeuler unchanged (1570-1680); float64: etd2 75 -> 92.
#: The same gain with 256-bit vectors (``NUMBA_CPU_NAME=haswell``).
RUN_INTERLEAVE_ELIF = 8


@contextlib.contextmanager
def _interleave(count: int):
    """Compile with LLVM's loop vectorizer interleaving ``count`` vectors (0: LLVM's own choice).

    The option is global to LLVM, so it is set while numba's compiler lock is held (no other
    compilation can see it) and reset to its default, 0, afterwards.
    """
    if not count:
        yield
        return
    import llvmlite.binding as llvm
    from numba.core.compiler_lock import global_compiler_lock

    with global_compiler_lock:
        llvm.set_option("lifbook", f"-force-vector-interleave={int(count)}")
        try:
            yield
        finally:
            llvm.set_option("lifbook", "-force-vector-interleave=0")


def compile_for(kernel, args) -> None:
    """Compile ``kernel`` for ``args`` (or load it from the disk cache) before its first call.

    Compiled inside :func:`_wide_vectors` on AVX-512 CPUs, and with the kernel's interleave count
    (:data:`RUN_INTERLEAVE_ELIF`) where it has one. The engine makes one kernel object per
    dtype and passes C-contiguous writable arrays, so each kernel sees one signature; a call with
    other argument types would still work (numba compiles it on the spot, with 256-bit vectors).
    """
    sig = tuple(numba.typeof(a) for a in args)
    if sig in kernel.overloads:
        return
    # Compiling takes seconds the first time on a machine (then the disk cache answers in ~0.1 s):
    # say so when it takes longer than COMPILE_NOTICE_S, instead of a silent pause.
    notice = threading.Timer(COMPILE_NOTICE_S, _say_compiling, (kernel,))
    notice.daemon = True
    notice.start()
    try:
        with _wide_vectors() if _AVX512 else contextlib.nullcontext():
            with _interleave(getattr(kernel, "lifbook_interleave", 0)):
                kernel.compile(sig)
    finally:
        notice.cancel()


#: Seconds after which a kernel still compiling prints a notice (on stderr; ``LIFBOOK_PROGRESS=0``
#: silences it, as it silences the progress display: the book's build and the tests set it).
COMPILE_NOTICE_S = 0.5


def _say_compiling(kernel) -> None:
    if os.environ.get("LIFBOOK_PROGRESS", "").strip() == "0":
        return
    name = getattr(getattr(kernel, "py_func", None), "__qualname__", "kernel").split(".")[0]
    print(f"lifbook: compiling numba kernel {name} for this input form (first use on this machine, "
          "about 5-10 s; cached for later sessions) ...", file=sys.stderr, flush=True)


def cache_status() -> str:
    """Where compiled kernels are cached (or why they are not)."""
    if _cache_errors:
        return f"not cached ({_cache_errors[-1]})"
    cache = getattr(step_kernel(False, False, False, False, False, "float64"), "_cache", None)
    return str(getattr(cache, "_cache_path", "unknown"))


# -- scalar helpers (inlined into the kernels) ---------------------------------------------------
@intrinsic
def _f32_from_bits(typingctx, bits):
    """The float32 whose bits are those of the int32 ``bits``."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


@intrinsic
def _f32_bits(typingctx, value):
    """The bits of the float32 ``value`` as an int32."""
    sig = types.int32(types.float32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return sig, codegen


_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693359375)  # ln 2 to 10 bits: k * _LN2_HI is exact for |k| < 2**14
_LN2_LO = np.float32(-2.12194440054690583e-4)  # ln 2 - _LN2_HI
_ROUND = np.float32(12582912.0)  # 1.5 * 2**23: y + _ROUND rounds y to an integer, held in the low mantissa bits
_EXP_LO = np.float32(-87.0)  # exp(-87) = 1.6e-38 is the smallest value returned (normal float32)


@numba.njit(inline="always", error_model="numpy")
def _exp32(a):
    """float32 ``exp(a)`` for ``a <= 88``, vectorisable (no call into the C library).

    ``exp(a) = 2**k exp(r)`` with ``k = round(a / ln 2)`` and ``|r| <= ln(2)/2`` (Cody-Waite
    reduction in two parts); ``exp(r)`` by its Taylor polynomial to ``r**7/7!`` (truncation error
    below 2**-27), evaluated in Estrin's scheme; ``2**k`` built from its exponent bits. Written
    for a short chain of dependent operations, so that the CPU overlaps many neurons. Relative
    error below 3e-7 (about 2 ulp); arguments below -87 give ``exp(-87)`` instead of smaller
    values (an absolute error below 2e-38, far below the resolution of any membrane potential).
    """
    a = max(a, _EXP_LO)
    t = a * _LOG2E + _ROUND
    k = _f32_bits(t) - _f32_bits(_ROUND)
    kf = t - _ROUND
    r = (a - kf * _LN2_HI) - kf * _LN2_LO
    r2 = r * r
    p01 = np.float32(1.0) + r
    p23 = np.float32(1.0 / 2.0) + r * np.float32(1.0 / 6.0)
    p45 = np.float32(1.0 / 24.0) + r * np.float32(1.0 / 120.0)
    p67 = np.float32(1.0 / 720.0) + r * np.float32(1.0 / 5040.0)
    p = (p01 + r2 * p23) + (r2 * r2) * (p45 + r2 * p67)
    return p * _f32_from_bits((k + np.int32(127)) << np.int32(23))


@intrinsic
def _f64_from_bits(typingctx, bits):
    """The float64 whose bits are those of the int64 ``bits``."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@intrinsic
def _f64_bits(typingctx, value):
    """The bits of the float64 ``value`` as an int64."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


_LOG2E_64 = 1.4426950408889634
_LN2_HI_64 = 0.6931471803691238  # ln 2 to 32 bits: k * _LN2_HI_64 is exact for |k| < 2**20
_LN2_LO_64 = 1.9082149292705877e-10  # ln 2 - _LN2_HI_64
_ROUND_64 = 6755399441055744.0  # 1.5 * 2**52
_EXP_LO_64 = -708.0  # exp(-708) = 3.3e-308 is the smallest value returned (normal float64)
_INV_FACT = tuple(1.0 / math.factorial(k) for k in range(14))


@numba.njit(inline="always", error_model="numpy")
def _exp64(a):
    """float64 ``exp(a)`` for ``a <= 709``, vectorisable (no call into the C library).

    As :func:`_exp32`: ``exp(a) = 2**k exp(r)``, ``k = round(a / ln 2)``, ``|r| <= ln(2)/2``
    (Cody-Waite reduction in two parts), ``exp(r)`` by its Taylor polynomial to ``r**13/13!``
    (truncation error below 2e-17) in Estrin's scheme, ``2**k`` from its exponent bits. Relative
    error below 5e-16 (measured 4.4e-16, 2 ulp of NumPy's ``exp``, on 1.1e6 arguments); arguments
    below -708 give ``exp(-708)``.
    """
    a = max(a, _EXP_LO_64)
    t = a * _LOG2E_64 + _ROUND_64
    k = _f64_bits(t) - _f64_bits(_ROUND_64)
    kf = t - _ROUND_64
    r = (a - kf * _LN2_HI_64) - kf * _LN2_LO_64
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    c = _INV_FACT
    p01 = c[0] + r * c[1]
    p23 = c[2] + r * c[3]
    p45 = c[4] + r * c[5]
    p67 = c[6] + r * c[7]
    p89 = c[8] + r * c[9]
    p1011 = c[10] + r * c[11]
    p1213 = c[12] + r * c[13]
    q0 = p01 + r2 * p23
    q1 = p45 + r2 * p67
    q2 = p89 + r2 * p1011
    p = (q0 + r4 * q1) + r8 * (q2 + r4 * p1213)
    return p * _f64_from_bits((k + np.int64(1023)) << np.int64(52))


def _exp(a):
    """``exp`` for the kernels: :func:`_exp32` on float32, :func:`_exp64` on float64 (both vectorisable)."""
    return math.exp(a)  # pragma: no cover - replaced by the overload below inside numba


@overload(_exp, inline="always")
def _exp_overload(a):
    if a == types.float32:
        return lambda a: _exp32(a)
    return lambda a: _exp64(a)


# The update of one neuron: lifbook.dynamics.neuron_update itself, with scalar operations.
# Its two parts (dynamics.propagate, dynamics.threshold_reset) are compiled here from the same
# functions and bound as the globals of a copy of neuron_update: numba's disk cache refuses a
# kernel that reaches them through the module's lazily compiled wrappers ("dynamic globals").
_update = numba.njit(inline="always", error_model="numpy")(types_.FunctionType(
    dynamics.neuron_update.__code__,
    dict(dynamics.neuron_update.__globals__,
         propagate=numba.njit(inline="always", error_model="numpy")(dynamics.propagate.fn),
         threshold_reset=numba.njit(inline="always", error_model="numpy")(dynamics.threshold_reset.fn)),
    dynamics.neuron_update.__name__))
_where = numba.njit(inline="always")(dynamics.SCALAR_OPS.where)
_minimum = numba.njit(inline="always")(dynamics.SCALAR_OPS.minimum)
_clamp_min = numba.njit(inline="always")(dynamics.SCALAR_OPS.clamp_min)


def _make_coef_at():
    """``coef_at(P, Pn, j)``: the :class:`~lifbook.dynamics.StepCoefficients` of parameter column ``j``.

    Generated from the one list of coefficients (``layout.FIELDS``), so that no kernel restates it.
    """
    args = ", ".join("Pn[j]" if name in dynamics.INT_FIELDS else f"P[{layout.ROW[name]}, j]"
                     for name in layout.FIELDS)
    namespace = {"StepCoefficients": dynamics.StepCoefficients}
    exec(f"def coef_at(P, Pn, j):\n    return StepCoefficients({args})\n", namespace)
    return numba.njit(inline="always", error_model="numpy")(namespace["coef_at"])


_coef_at = _make_coef_at()


def _source_key() -> str:
    """A hash of the code the kernels inline from other files (the update and the layout).

    numba's disk cache notices edits of this file only; the kernels hold this key as a closure
    constant, which is part of numba's cache key, so an edit of :mod:`lifbook.dynamics` or of
    :mod:`.layout` compiles them again.
    """
    h = hashlib.sha256()
    for module in (dynamics, layout):
        h.update(inspect.getsource(module).encode())
    return h.hexdigest()


_KEY = _source_key()


# -- kernels ---------------------------------------------------------------------------------------
# The loop over the neurons of a block is written out in each kernel so that numba compiles it once,
# specialised by the closure constants (a shared helper taking the features as arguments would be
# compiled for every combination of argument types, and would not be specialised by LLVM).

@functools.lru_cache(maxsize=None)
def step_kernel(SYN: bool, REF: bool, EXP: bool, ETD2: bool, HET: bool, dtype: str = "float64"):
    """``kernel(x, v, i, r, P, Pn, s_out, v_out, i_out, r_out, limit, nbad, q0, q1)``: one step into new arrays.

    Reads ``x (Bx, Nx)`` and the state ``v, i, r (B, N)``; writes ``s_out, v_out, i_out, r_out``
    (arrays that do not overlap the inputs) and, in the same pass over ``x``, ``nbad[q]``, the
    number of inputs that fail ``|x| <= limit`` (NaN included; the input check of ``forward``,
    an integer count so that the loop stays vectorised) for chunks
    ``q0 <= q < q1`` of :data:`CHUNK` neurons
    (chunk ``q`` is batch row ``q // nch``, neurons ``(q % nch) * CHUNK ...``, ``nch`` chunks per
    row), so that threads can share the work. ``i``/``r`` and their outputs are placeholders
    without ``SYN``/``REF``. One kernel object per ``dtype`` (see :func:`compile_for`).
    """
    key = _KEY

    def step(x, v, i, r, P, Pn, s_out, v_out, i_out, r_out, limit, nbad, q0, q1):
        assert key  # the source key is a closure constant: part of numba's cache key
        B, N = v.shape
        Bx, Nx = x.shape
        nch = (N + CHUNK - 1) // CHUNK
        x_fill = np.empty(CHUNK if Nx == 1 else 0, dtype=v.dtype)
        c = _coef_at(P, Pn, 0)
        for q in range(q0, q1):
            b = q // nch
            j0 = (q - b * nch) * CHUNK
            j1 = min(j0 + CHUNK, N)
            n = j1 - j0
            bx = b if Bx > 1 else 0
            if Nx == 1:
                x_fill[:] = x[bx, 0]
                x_b = x_fill[:n]
            else:
                x_b = x[bx, j0:j1]
            v_b, vo, so = v[b, j0:j1], v_out[b, j0:j1], s_out[b, j0:j1]
            if SYN:
                i_b, io = i[b, j0:j1], i_out[b, j0:j1]
            if REF:
                r_b, ro = r[b, j0:j1], r_out[b, j0:j1]
            x_bad = 0
            for j in range(n):
                x_bad += not (abs(x_b[j]) <= limit)  # NaN, inf and too large
                i_j = i_b[j] if SYN else x_b[j]
                r_j = r_b[j] if REF else np.int32(0)
                if HET:
                    c = _coef_at(P, Pn, j0 + j)
                v1, i1, r1, s1 = _update(v_b[j], i_j, r_j, x_b[j], c, _where, _minimum, _clamp_min, _exp,
                                         SYN, REF, EXP, ETD2)
                vo[j] = v1
                so[j] = s1
                if SYN:
                    io[j] = i1
                if REF:
                    ro[j] = r1
            nbad[q] = x_bad

    return _jit(step)


@functools.lru_cache(maxsize=None)
def run_kernel(SYN: bool, REF: bool, EXP: bool, ETD2: bool, HET: bool, COUNT: bool, dtype: str = "float64",
               FILL: bool = False, SEP: bool = False):
    """``kernel(xs, A, PT, v, i, r, P, Pn, T, tile, spikes, v_rec, i_rec, count, limit, nbad, q0, q1)``: ``T`` steps.

    ``xs (Tx, Bx, Nx)``: the input, ``Tx = 1`` for a constant input, else ``T``. The state
    ``v, i, r (B, N)`` is advanced in place (the caller passes copies) for blocks
    ``q0 <= q < q1`` of :data:`BLOCK` neurons (numbered as the chunks of :func:`step_kernel`).
    ``spikes`` has shape ``(T, B, N)`` when recorded, else ``(1, B, N)`` (row 0 is overwritten
    each step; the last step's spikes end up in the last row either way); ``v_rec``/``i_rec``
    are written when they have ``T`` rows; ``count (B, N)`` (int32, zeroed by the caller) is
    incremented when ``COUNT``.

    Input forms: with ``FILL`` the input may have any real dtype and any strides (a strided or
    stride-0 broadcast view, a float32 array into a float64 population): each step's values of a
    block are read into a block-sized buffer of the state's dtype (the conversion NumPy's
    ``astype`` does), so the input is never copied whole; an input whose neurons lie further apart
    than its steps (a transposed array) is read in tiles of :data:`TILE_T` steps per neuron, so that
    each cache line is used whole. A time series with contiguous rows is read :data:`GROUP` blocks
    at a time, one step for all of them, then the next. With ``SEP`` the input is separable,
    ``x[t, b, j] = A[0, b, j] PT[t, 0] + A[1, b, j] PT[t, 1] + ...`` (float64, summed left to
    right, then converted to the state's dtype; :class:`lifbook.inputs.Separable`), evaluated
    in the kernel (``xs`` is then a placeholder); without ``SEP``, ``A`` and ``PT`` are.

    Blocks advance ``tile`` steps at a time, all of them before the next ``tile`` steps: with a
    small tile the recorded rows are written almost sequentially; with ``tile = T`` a block's
    state stays in the L1 cache for the whole run. Within a block the loop over neurons is the
    inner one (vectorised); blocks of at most :data:`SMALL` neurons loop over time inside
    instead, with the state of each neuron in registers. One kernel object per ``dtype`` and input form.
    """
    key = _KEY

    def run(xs, A, PT, v, i, r, P, Pn, T, tile, spikes, v_rec, i_rec, count, limit, nbad, q0, q1):
        assert key  # the source key is a closure constant: part of numba's cache key
        B, N = v.shape
        if SEP:
            Tx, Bx, Nx = T, A.shape[1], A.shape[2]
            KS = A.shape[0]
        else:
            Tx, Bx, Nx = xs.shape
            KS = 0
        nblk = (N + BLOCK - 1) // BLOCK
        rec_spikes, rec_v, rec_i = spikes.shape[0] == T, v_rec.shape[0] == T, i_rec.shape[0] == T
        x_fill = np.empty(BLOCK if (Nx == 1 or FILL or SEP) else 0, dtype=v.dtype)
        x_one = np.empty(1, dtype=v.dtype)
        # a time series with neurons further apart than steps: read in transposed tiles (see TILE_T)
        transposed = FILL and not SEP and Tx > 1 and Nx > 1 and abs(xs.strides[0]) < abs(xs.strides[2])
        x_tile = np.empty((TILE_T if transposed else 0, BLOCK + 8), dtype=v.dtype)  # rows not 4 KiB apart
        # a time series with contiguous rows: GROUP blocks advance one step at a time (see GROUP)
        group = GROUP if (Tx > 1 and Nx > 1 and not SEP and not transposed) else 1
        c = _coef_at(P, Pn, 0)
        for tt0 in range(0, T, tile):
            tt1 = min(tt0 + tile, T)
            for g0 in range(q0, q1, group):
                for t0 in range(tt0, tt1, 1 if group > 1 else tile):
                    t1 = t0 + 1 if group > 1 else tt1
                    for q in range(g0, min(g0 + group, q1)):
                        b = q // nblk
                        j0 = (q - b * nblk) * BLOCK
                        j1 = min(j0 + BLOCK, N)
                        n = j1 - j0
                        bx = b if Bx > 1 else 0
                        if n <= SMALL:
                            # A few neurons (one behind a slider): time innermost, the state in registers.
                            for j in range(n):
                                jj = j0 + j
                                jx = jj if Nx > 1 else 0
                                vj = v[b, jj]
                                ij = i[b, jj] if SYN else vj  # a placeholder without a filter
                                rj = r[b, jj] if REF else np.int32(0)
                                cj = 0
                                cc = _coef_at(P, Pn, jj if HET else 0)
                                xbad = 0
                                for t in range(t0, t1):
                                    if SEP:
                                        acc = A[0, bx, jx] * PT[t, 0]
                                        for k in range(1, KS):
                                            acc += A[k, bx, jx] * PT[t, k]
                                        x_one[0] = acc
                                        xj = x_one[0]
                                    elif FILL:
                                        x_one[0] = xs[t if Tx > 1 else 0, bx, jx]
                                        xj = x_one[0]
                                    else:
                                        xj = xs[t if Tx > 1 else 0, bx, jx]
                                    xbad += not (abs(xj) <= limit)
                                    vj, ij, rj, sj = _update(vj, ij, rj, xj, cc, _where, _minimum, _clamp_min, _exp,
                                                             SYN, REF, EXP, ETD2)
                                    spikes[t if rec_spikes else 0, b, jj] = sj
                                    cj += sj
                                    if rec_v:
                                        v_rec[t, b, jj] = vj
                                    if rec_i and SYN:
                                        i_rec[t, b, jj] = ij
                                v[b, jj] = vj
                                if SYN:
                                    i[b, jj] = ij
                                if REF:
                                    r[b, jj] = rj
                                if COUNT:
                                    count[b, jj] += cj
                                nbad[q] += xbad
                            continue
                        v_b = v[b, j0:j1]
                        if SYN:
                            i_b = i[b, j0:j1]
                        if REF:
                            r_b = r[b, j0:j1]
                        if COUNT:
                            c_b = count[b, j0:j1]
                        for t in range(t0, t1):
                            s_t = spikes[t if rec_spikes else 0, b, j0:j1]
                            tx = t if Tx > 1 else 0
                            if SEP:
                                if Nx == 1:
                                    acc = A[0, bx, 0] * PT[t, 0]
                                    for k in range(1, KS):
                                        acc += A[k, bx, 0] * PT[t, k]
                                    x_fill[:] = acc
                                else:
                                    p0 = PT[t, 0]
                                    if KS == 1:
                                        for j in range(n):
                                            x_fill[j] = A[0, bx, j0 + j] * p0
                                    else:  # the same left-to-right sum in float64
                                        for j in range(n):
                                            acc = A[0, bx, j0 + j] * p0
                                            for k in range(1, KS):
                                                acc += A[k, bx, j0 + j] * PT[t, k]
                                            x_fill[j] = acc
                                x_t = x_fill[:n]
                            elif FILL and transposed:
                                kt = (t - t0) % TILE_T
                                if kt == 0:  # the next TILE_T steps of the block, neuron by neuron
                                    mt = min(TILE_T, t1 - t)
                                    for k in range(mt):
                                        for j in range(n):
                                            x_tile[k, j] = xs[t + k, bx, j0 + j]
                                x_t = x_tile[kt, :n]
                            elif FILL:
                                if Nx == 1:
                                    x_fill[:] = xs[tx, bx, 0]
                                else:
                                    for j in range(n):
                                        x_fill[j] = xs[tx, bx, j0 + j]
                                x_t = x_fill[:n]
                            elif Nx == 1:
                                x_fill[:] = xs[tx, bx, 0]
                                x_t = x_fill[:n]
                            else:
                                x_t = xs[tx, bx, j0:j1]
                            x_bad = 0
                            for j in range(n):
                                x_bad += not (abs(x_t[j]) <= limit)  # NaN, inf and too large (counted, vectorised)
                                i_j = i_b[j] if SYN else x_t[j]
                                r_j = r_b[j] if REF else np.int32(0)
                                if HET:
                                    c = _coef_at(P, Pn, j0 + j)
                                v1, i1, r1, s1 = _update(v_b[j], i_j, r_j, x_t[j], c, _where, _minimum, _clamp_min,
                                                         _exp, SYN, REF, EXP, ETD2)
                                v_b[j] = v1
                                s_t[j] = s1
                                if SYN:
                                    i_b[j] = i1
                                if REF:
                                    r_b[j] = r1
                                if COUNT:
                                    c_b[j] += s1
                            nbad[q] += x_bad
                            if rec_v:
                                v_rec[t, b, j0:j1] = v_b
                            if rec_i and SYN:
                                i_rec[t, b, j0:j1] = i_b

    kernel = _jit(run)
    kernel.lifbook_interleave = RUN_INTERLEAVE_ELIF if EXP else 0
    return kernel
