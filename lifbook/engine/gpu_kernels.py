"""Triton kernel of the GPU engine: :func:`lifbook.dynamics.neuron_update` itself, jitted, in a time-blocked loop.

Imported only by :mod:`lifbook.engine.gpu` (this module imports triton). The update of one
neuron is :func:`lifbook.dynamics.neuron_update`, the one statement of the equations, passed to
``triton.jit`` as it is, with Triton's operations as its ``where``/``minimum``/``clamp_min``/``exp``
arguments and the model's terms (``SYN``, ``REF``, ``EXP``, ``ETD2``) as compile-time constants; the
coefficients reach it as a :class:`~lifbook.dynamics.StepCoefficients` built in the kernel.

One program handles ``BLOCK`` consecutive elements of the state viewed as ``(B, N)``, for all
``T`` steps: ``v``, ``i``, ``ref``, the coefficients and the spike count stay in registers, the
input is read once per step (strides make a constant, a per-neuron, a per-batch or a full
``(T, B, N)`` input one code path), and the records (spikes, ``v``, ``i``) are written per step
only when asked for; the final state, the last spikes and the counts are written once.

:mod:`lifbook.engine.gpu` loads this file twice at most: compiled for CUDA, and (for CPU tensors,
under ``TRITON_INTERPRET=1``) run by Triton's interpreter on NumPy, for the ``gpu_sim`` tests.
"""
import types

import triton
import triton.language as tl

from .. import dynamics
from ..dynamics import StepCoefficients
from .layout import PARAMS

#: Elements of the state per program (4 per thread with 4 warps).
BLOCK = 512
NUM_WARPS = 4

# The coefficients are loaded below in the order of StepCoefficients' fields; P holds the float
# ones in the order of layout.PARAMS (that order without n_ref), Pn the integer n_ref.
assert StepCoefficients._fields == ("u_rest", "u_reset", "u_th", "a_m", "b_m", "a_syn", "c_syn", "n_ref", "k_nl",
                                    "k_nl2", "theta_rh", "delta_T", "arg_cap"), "update _coef below"
assert PARAMS == tuple(f for f in StepCoefficients._fields if f != "n_ref")


def _with_triton_language(fn, **names):
    """``fn`` with ``tl`` (Triton's interpreter needs it visible to patch it) and ``names`` added to its globals."""
    return types.FunctionType(fn.__code__, dict(fn.__globals__, tl=tl, **names), fn.__name__, fn.__defaults__,
                              fn.__closure__)


#: THE update (lifbook.dynamics.neuron_update), compiled by Triton for a block of neurons; the two
#: parts it calls (dynamics.propagate, dynamics.threshold_reset) are jitted from the same functions.
_update = triton.jit(_with_triton_language(
    dynamics.neuron_update,
    propagate=triton.jit(_with_triton_language(dynamics.propagate.fn)),
    threshold_reset=triton.jit(_with_triton_language(dynamics.threshold_reset.fn))))


@triton.jit
def _clamp_min(a, lo):
    return tl.maximum(a, lo)


@triton.jit
def _coef(P, Pn, cols, col):
    """The :class:`StepCoefficients` of column ``col`` of ``P`` (rows in the order of layout.PARAMS)."""
    return StepCoefficients(tl.load(P + col), tl.load(P + cols + col), tl.load(P + 2 * cols + col),
                            tl.load(P + 3 * cols + col), tl.load(P + 4 * cols + col), tl.load(P + 5 * cols + col),
                            tl.load(P + 6 * cols + col), tl.load(Pn + col), tl.load(P + 7 * cols + col),
                            tl.load(P + 8 * cols + col), tl.load(P + 9 * cols + col), tl.load(P + 10 * cols + col),
                            tl.load(P + 11 * cols + col))


@triton.jit
def lif_kernel(x_ptr, x_st, x_sb, x_sn, v_ptr, i_ptr, r_ptr, P, Pn, cols,
               v_out, i_out, r_out, s_out, s_rec, v_rec, i_rec, count,
               T, BN, N, A_ptr, a_sk, a_sb, a_sn, PT_ptr, KS, limit, nbad,
               SYN: tl.constexpr, REF: tl.constexpr, EXP: tl.constexpr, ETD2: tl.constexpr, HET: tl.constexpr,
               REC_S: tl.constexpr, REC_V: tl.constexpr, REC_I: tl.constexpr, COUNT: tl.constexpr,
               X_FULL: tl.constexpr, BLOCK: tl.constexpr, SEP: tl.constexpr = False, CHECK: tl.constexpr = False):
    """``T`` steps of the elements ``[pid * BLOCK, (pid + 1) * BLOCK)`` of the ``(B, N)`` state.

    Input element ``(k, b, n)`` is ``x_ptr[k * x_st + b * x_sb + n * x_sn]`` (element strides, any
    sign; stride 0 broadcasts), of any dtype, converted to the state's dtype as it is loaded (the
    input is never copied or converted whole); ``X_FULL``: the input has the state's shape at every
    step (``x_sb = N``, ``x_sn = 1``), so that the loads of a step are contiguous (vectorised).
    ``SEP``: the input is separable (:class:`lifbook.inputs.Separable`), ``x[k, b, n] = A[0, b, n]
    PT[k, 0] + A[1, b, n] PT[k, 1] + ...`` summed left to right in float64 and then converted, with
    amplitude element ``(m, b, n)`` at ``A_ptr[m * a_sk + b * a_sb + n * a_sn]`` and ``PT`` float64
    ``(T, KS)``; ``x_ptr`` is then a placeholder. ``CHECK``: ``nbad`` (int8, ``(B, N)``) is 1 where an
    input read for that element failed ``|x| <= limit`` (NaN and inf included): the check in the same pass.
    Records are ``(T, B, N)``; ``count`` int64 ``(B, N)``. Pointers of absent terms are not read.
    """
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < BN
    b = offs // N
    n = offs - b * N
    if SEP:
        ap = A_ptr + (b * a_sb + n * a_sn)
        xp = x_ptr
    elif X_FULL:
        xp = x_ptr + offs
    else:
        xp = x_ptr + (b * x_sb + n * x_sn)
    v = tl.load(v_ptr + offs, mask=mask, other=0.0)
    if SYN:
        i = tl.load(i_ptr + offs, mask=mask, other=0.0)
    else:
        i = v
    if REF:
        r = tl.load(r_ptr + offs, mask=mask, other=0)
    else:
        r = tl.full([BLOCK], 0, tl.int32)
    if HET:
        c = _coef(P, Pn, cols, n)
    else:
        c = _coef(P, Pn, cols, 0)
    cnt = tl.full([BLOCK], 0, tl.int32)
    s = tl.full([BLOCK], 0, tl.int1)
    # pointers advanced by one step at the end of each (64-bit, whatever T * B * N)
    sp = s_rec + offs
    vp = v_rec + offs
    ip = i_rec + offs
    bad = tl.full([BLOCK], 0, tl.int32)
    for t in range(T):
        if SEP:
            pt = PT_ptr + t * KS
            acc = tl.load(ap, mask=mask, other=0.0) * tl.load(pt)
            for k in range(1, KS):
                acc = acc + tl.load(ap + k * a_sk, mask=mask, other=0.0) * tl.load(pt + k)
            x = acc.to(v.dtype)
        else:
            x = tl.load(xp, mask=mask, other=0).to(v.dtype)
        if CHECK:
            bad += (~(tl.abs(x) <= limit) & mask).to(tl.int32)
        if SYN:
            v, i, r, s = _update(v, i, r, x, c, tl.where, tl.minimum, _clamp_min, tl.exp, SYN, REF, EXP, ETD2)
        else:
            v, _i, r, s = _update(v, x, r, x, c, tl.where, tl.minimum, _clamp_min, tl.exp, SYN, REF, EXP, ETD2)
        if REC_S:
            tl.store(sp, s.to(tl.int8), mask=mask)
        if REC_V:
            tl.store(vp, v, mask=mask)
        if REC_I:
            tl.store(ip, i, mask=mask)
        if COUNT:
            cnt += s.to(tl.int32)
        xp += x_st
        if REC_S:
            sp += BN
        if REC_V:
            vp += BN
        if REC_I:
            ip += BN
    tl.store(v_out + offs, v, mask=mask)
    if SYN:
        tl.store(i_out + offs, i, mask=mask)
    if REF:
        tl.store(r_out + offs, r, mask=mask)
    tl.store(s_out + offs, s.to(tl.int8), mask=mask)
    if COUNT:
        tl.store(count + offs, cnt.to(tl.int64), mask=mask)
    if CHECK:
        tl.store(nbad + offs, (bad > 0).to(tl.int8), mask=mask)
