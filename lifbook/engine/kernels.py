"""Numba kernels for the CPU engine: :func:`lifbook.dynamics.lif_step` for one neuron, in fused loops.

This module imports numba; :mod:`lifbook.engine` imports it only when a population needs it.

The update of one neuron (``_lane``) is :func:`lif_step` written for scalars, with the same
floating-point operations in the same order (no ``fastmath``, so no fused multiply-adds)::

    v_free = u_rest + a_m (v - u_rest) + b_m x  [+ c_syn (i - x)]
             [+ k_nl (delta_T exp(min((v - theta_rh)/delta_T, arg_cap)))]
    i'     = x + a_syn (i - x)                        (with a synaptic filter)
    s      = v_free >= u_th  [and ref == 0]
    v'     = u_reset if s [or ref > 0] else v_free
    ref'   = n_ref if s else max(ref - 1, 0)          (with refractoriness)

so CLIF results are bitwise those of NumPy in float32 and float64. The ELIF exponential differs:
float64 uses the C library's ``exp`` (at most 1 ulp from NumPy's SIMD ``exp``), float32 uses
:func:`_exp32`, a vectorisable polynomial (relative error below 3e-7).

Two kernels, specialised by closure constants (``SYN``: synaptic filter, ``REF``:
refractoriness, ``EXP``: ELIF term, ``FASTEXP``: float32 polynomial ``exp``, ``HET``: per-neuron
parameters, ``COUNT``: spike counts), are compiled on first use and cached on disk:

* :func:`step_kernel`: one step for all neurons into new arrays (``forward``), memory-bound;
* :func:`run_kernel`: ``T`` steps in place. Neurons are processed in blocks of :data:`BLOCK`,
  whose state stays in the L1 cache across time steps, so only the input (for a time series)
  and what is recorded travel to and from memory.

Both take a range ``q0 <= q < q1`` of blocks (or chunks) and release the GIL, so that threads
share a call (:mod:`lifbook.engine.cpu`). :func:`compile_for` compiles them with 512-bit vectors
on AVX-512 CPUs. Array conventions: the state has shape ``(B, N)``
(batch, neurons); an input step has shape ``(Bx, Nx)`` with ``Bx`` in ``{1, B}`` and ``Nx`` in
``{1, N}`` (broadcast); parameters are ``P`` and ``Pn`` as described in :mod:`lifbook.engine.layout`.
"""
from __future__ import annotations

import contextlib
import functools
import math
import os
import re

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from . import cachedir, layout

cachedir.install()  # lifbook's kernels are cached in the user's cache directory (before any is compiled)
__all__ = ["BLOCK", "CHUNK", "step_kernel", "run_kernel", "compile_for", "cache_status"]


#: Neurons per block in :func:`run_kernel` (a block's state, tens of KiB, stays in L1/L2 for all its steps).
BLOCK = 2048
#: Blocks of at most this many neurons (one neuron behind a slider) run time-innermost in :func:`run_kernel`.
SMALL = 16
#: Neurons per parallel chunk in :func:`step_kernel`.
CHUNK = 16384

_OPTIONS = dict(error_model="numpy", nogil=True)
# Rows of the parameter matrix. The kernels take them as closure constants, not globals, so that
# they are part of numba's cache key (numba notices edits of this file, not of layout.py).
_ROWS = tuple(layout.PARAMS.index(name) for name in (
    "u_rest", "a_m", "b_m", "u_th", "u_reset", "a_syn", "c_syn", "k_nl", "theta_rh", "delta_T", "arg_cap"))
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


def compile_for(kernel, args) -> None:
    """Compile ``kernel`` for ``args`` (or load it from the disk cache) before its first call.

    Compiled inside :func:`_wide_vectors` on AVX-512 CPUs. The engine makes one kernel object per
    dtype and passes C-contiguous writable arrays, so each kernel sees one signature; a call with
    other argument types would still work (numba compiles it on the spot, with 256-bit vectors).
    """
    if kernel.overloads:
        return
    sig = tuple(numba.typeof(a) for a in args)
    with _wide_vectors() if _AVX512 else contextlib.nullcontext():
        kernel.compile(sig)


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


@numba.njit(inline="always", error_model="numpy")
def _lane(v, i, ref, x, u_rest, a_m, b_m, u_th, u_reset, a_syn, c_syn, n_ref, k_nl, theta_rh, delta_T, arg_cap,
          SYN, REF, EXP, FASTEXP):
    """One step of one neuron: ``(v, i, ref) -> (v', i', ref', spike)``, as :func:`lif_step`."""
    v_free = u_rest + a_m * (v - u_rest) + b_m * x
    i_new = i
    if SYN:
        v_free = v_free + c_syn * (i - x)
        i_new = x + a_syn * (i - x)
    if EXP:
        arg = min((v - theta_rh) / delta_T, arg_cap)
        e = _exp32(arg) if FASTEXP else math.exp(arg)
        v_free = v_free + k_nl * (delta_T * e)
    if REF:
        active = ref == 0
        s = (v_free >= u_th) & active
        v_new = u_reset if (s | (not active)) else v_free
        ref_new = n_ref if s else max(ref - 1, 0)
    else:
        s = v_free >= u_th
        v_new = u_reset if s else v_free
        ref_new = ref
    return v_new, i_new, ref_new, s


# -- kernels ---------------------------------------------------------------------------------------
# The loop over the neurons of a block is written out in each kernel so that numba compiles it once,
# specialised by the closure constants (a shared helper taking the features as arguments would be
# compiled for every combination of argument types, and would not be specialised by LLVM).

@functools.lru_cache(maxsize=None)
def step_kernel(SYN: bool, REF: bool, EXP: bool, FASTEXP: bool, HET: bool, dtype: str = "float64"):
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

    _U_REST, _A_M, _B_M, _U_TH, _U_RESET, _A_SYN, _C_SYN, _K_NL, _THETA, _DELTA, _CAP = _ROWS

    def step(x, v, i, r, P, Pn, s_out, v_out, i_out, r_out, limit, nbad, q0, q1):
        B, N = v.shape
        Bx, Nx = x.shape
        nch = (N + CHUNK - 1) // CHUNK
        x_fill = np.empty(CHUNK if Nx == 1 else 0, dtype=v.dtype)
        if not HET:
            u_rest, a_m, b_m, u_th, u_reset = P[_U_REST, 0], P[_A_M, 0], P[_B_M, 0], P[_U_TH, 0], P[_U_RESET, 0]
            a_syn, c_syn, k_nl = P[_A_SYN, 0], P[_C_SYN, 0], P[_K_NL, 0]
            theta_rh, delta_T, arg_cap, n_ref = P[_THETA, 0], P[_DELTA, 0], P[_CAP, 0], Pn[0]
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
            if HET:
                pu, pa, pb, pth, pre = (P[_U_REST, j0:j1], P[_A_M, j0:j1], P[_B_M, j0:j1], P[_U_TH, j0:j1],
                                        P[_U_RESET, j0:j1])
                pas, pcs, pk, pt, pd, pc, pn = (P[_A_SYN, j0:j1], P[_C_SYN, j0:j1], P[_K_NL, j0:j1],
                                                P[_THETA, j0:j1], P[_DELTA, j0:j1], P[_CAP, j0:j1], Pn[j0:j1])
            x_bad = 0
            for j in range(n):
                x_bad += not (abs(x_b[j]) <= limit)  # NaN, inf and too large
                i_j = i_b[j] if SYN else x_b[j]
                r_j = r_b[j] if REF else np.int32(0)
                if HET:
                    v1, i1, r1, s1 = _lane(v_b[j], i_j, r_j, x_b[j], pu[j], pa[j], pb[j], pth[j], pre[j], pas[j],
                                           pcs[j], pn[j], pk[j], pt[j], pd[j], pc[j], SYN, REF, EXP, FASTEXP)
                else:
                    v1, i1, r1, s1 = _lane(v_b[j], i_j, r_j, x_b[j], u_rest, a_m, b_m, u_th, u_reset, a_syn,
                                           c_syn, n_ref, k_nl, theta_rh, delta_T, arg_cap, SYN, REF, EXP, FASTEXP)
                vo[j] = v1
                so[j] = s1
                if SYN:
                    io[j] = i1
                if REF:
                    ro[j] = r1
            nbad[q] = x_bad

    return _jit(step)


@functools.lru_cache(maxsize=None)
def run_kernel(SYN: bool, REF: bool, EXP: bool, FASTEXP: bool, HET: bool, COUNT: bool, dtype: str = "float64"):
    """``kernel(xs, v, i, r, P, Pn, T, tile, spikes, v_rec, i_rec, count, q0, q1)``: ``T`` steps in place.

    ``xs (Tx, Bx, Nx)``: the input, ``Tx = 1`` for a constant input, else ``T``. The state
    ``v, i, r (B, N)`` is advanced in place (the caller passes copies) for blocks
    ``q0 <= q < q1`` of :data:`BLOCK` neurons (numbered as the chunks of :func:`step_kernel`).
    ``spikes`` has shape ``(T, B, N)`` when recorded, else ``(1, B, N)`` (row 0 is overwritten
    each step; the last step's spikes end up in the last row either way); ``v_rec``/``i_rec``
    are written when they have ``T`` rows; ``count (B, N)`` (int32, zeroed by the caller) is
    incremented when ``COUNT``.

    Blocks advance ``tile`` steps at a time, all of them before the next ``tile`` steps: with a
    small tile the recorded rows are written almost sequentially; with ``tile = T`` a block's
    state stays in the L1 cache for the whole run. Within a block the loop over neurons is the
    inner one (vectorised); blocks of at most :data:`SMALL` neurons loop over time inside
    instead, with the state of each neuron in registers. One kernel object per ``dtype``.
    """

    _U_REST, _A_M, _B_M, _U_TH, _U_RESET, _A_SYN, _C_SYN, _K_NL, _THETA, _DELTA, _CAP = _ROWS

    def run(xs, v, i, r, P, Pn, T, tile, spikes, v_rec, i_rec, count, q0, q1):
        B, N = v.shape
        Tx, Bx, Nx = xs.shape
        nblk = (N + BLOCK - 1) // BLOCK
        rec_spikes, rec_v, rec_i = spikes.shape[0] == T, v_rec.shape[0] == T, i_rec.shape[0] == T
        x_fill = np.empty(BLOCK if Nx == 1 else 0, dtype=v.dtype)
        if not HET:
            u_rest, a_m, b_m, u_th, u_reset = P[_U_REST, 0], P[_A_M, 0], P[_B_M, 0], P[_U_TH, 0], P[_U_RESET, 0]
            a_syn, c_syn, k_nl = P[_A_SYN, 0], P[_C_SYN, 0], P[_K_NL, 0]
            theta_rh, delta_T, arg_cap, n_ref = P[_THETA, 0], P[_DELTA, 0], P[_CAP, 0], Pn[0]
        for t0 in range(0, T, tile):
            t1 = min(t0 + tile, T)
            for q in range(q0, q1):
                b = q // nblk
                j0 = (q - b * nblk) * BLOCK
                j1 = min(j0 + BLOCK, N)
                n = j1 - j0
                bx = b if Bx > 1 else 0
                if n <= SMALL:
                    # A few neurons (one behind a slider): time innermost, the state in registers.
                    for j in range(n):
                        jj = j0 + j
                        jp = jj if HET else 0
                        vj = v[b, jj]
                        ij = i[b, jj] if SYN else vj  # a placeholder without a filter
                        rj = r[b, jj] if REF else np.int32(0)
                        cj = 0
                        pu, pa, pb, pth, pre = P[_U_REST, jp], P[_A_M, jp], P[_B_M, jp], P[_U_TH, jp], P[_U_RESET, jp]
                        pas, pcs, pk, pt, pd, pc = (P[_A_SYN, jp], P[_C_SYN, jp], P[_K_NL, jp], P[_THETA, jp],
                                                    P[_DELTA, jp], P[_CAP, jp])
                        pn = Pn[jp]
                        for t in range(t0, t1):
                            xj = xs[t if Tx > 1 else 0, bx, jj if Nx > 1 else 0]
                            vj, ij, rj, sj = _lane(vj, ij, rj, xj, pu, pa, pb, pth, pre, pas, pcs, pn, pk, pt, pd, pc,
                                                   SYN, REF, EXP, FASTEXP)
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
                    continue
                v_b = v[b, j0:j1]
                if SYN:
                    i_b = i[b, j0:j1]
                if REF:
                    r_b = r[b, j0:j1]
                if COUNT:
                    c_b = count[b, j0:j1]
                if HET:
                    pu, pa, pb, pth, pre = (P[_U_REST, j0:j1], P[_A_M, j0:j1], P[_B_M, j0:j1], P[_U_TH, j0:j1],
                                            P[_U_RESET, j0:j1])
                    pas, pcs, pk, pt, pd, pc, pn = (P[_A_SYN, j0:j1], P[_C_SYN, j0:j1], P[_K_NL, j0:j1],
                                                    P[_THETA, j0:j1], P[_DELTA, j0:j1], P[_CAP, j0:j1], Pn[j0:j1])
                for t in range(t0, t1):
                    s_t = spikes[t if rec_spikes else 0, b, j0:j1]
                    if Nx == 1:
                        x_fill[:] = xs[t if Tx > 1 else 0, bx, 0]
                        x_t = x_fill[:n]
                    else:
                        x_t = xs[t if Tx > 1 else 0, bx, j0:j1]
                    for j in range(n):
                        i_j = i_b[j] if SYN else x_t[j]
                        r_j = r_b[j] if REF else np.int32(0)
                        if HET:
                            v1, i1, r1, s1 = _lane(v_b[j], i_j, r_j, x_t[j], pu[j], pa[j], pb[j], pth[j], pre[j],
                                                   pas[j], pcs[j], pn[j], pk[j], pt[j], pd[j], pc[j],
                                                   SYN, REF, EXP, FASTEXP)
                        else:
                            v1, i1, r1, s1 = _lane(v_b[j], i_j, r_j, x_t[j], u_rest, a_m, b_m, u_th, u_reset,
                                                   a_syn, c_syn, n_ref, k_nl, theta_rh, delta_T, arg_cap,
                                                   SYN, REF, EXP, FASTEXP)
                        v_b[j] = v1
                        s_t[j] = s1
                        if SYN:
                            i_b[j] = i1
                        if REF:
                            r_b[j] = r1
                        if COUNT:
                            c_b[j] += s1
                    if rec_v:
                        v_rec[t, b, j0:j1] = v_b
                    if rec_i and SYN:
                        i_rec[t, b, j0:j1] = i_b

    return _jit(run)

