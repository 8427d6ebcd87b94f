"""The GPU engine: one fused Triton kernel per ``run`` (all ``T`` steps) and per ``forward`` step.

It follows the engine contract of :mod:`lifbook.engine` for torch tensors on CUDA. The kernel
(:mod:`lifbook.engine.gpu_kernels`) is :func:`lifbook.dynamics.neuron_update` compiled by
``triton.jit`` inside a time-blocked loop, the design of the numba engine: each program keeps a
block of neurons' state (and coefficients, and spike counts) in registers for all ``T`` steps,
reads the input of each step once, and writes the final state, the counts and the last spikes
once (spikes, ``v`` and ``i`` at every step only when recorded).

Results: the same spikes as the reference; floating-point contraction (FMA) is switched off
(``enable_fp_fusion=False``) so that the CLIF update is evaluated in the reference's order. On
a GPU the ELIF term uses Triton's ``exp`` (float32: the hardware's ``ex2.approx``; float64:
libdevice's ``__nv_exp``), which can differ from torch's by a few ulp, so that a spike whose
crossing lies within that rounding of the threshold may move by one step. Precise spike timing
(``spike_timing="precise"``) runs on the reference engine (:func:`lifbook.timing.precise_step` on
whole tensors): the GPU kernel is a grid kernel only.

Triton is optional (``pip install 'lifbook[gpu]'``); this module imports it only when a kernel is
first needed. For tests without a GPU the same kernel runs on torch CPU tensors in Triton's
interpreter when ``TRITON_INTERPRET=1`` is set (``tests/test_engine_gpu.py``, marker
``gpu_sim``): the kernels module is then loaded a second time, interpreted, so that the compiled
and the interpreted kernels never mix.

Inputs are read as they are: a tensor of any real dtype and strides through its strides, converted
in the kernel, and a :class:`lifbook.inputs.Separable` current evaluated in the kernel (no ``(T, N)``
tensor). ``run``'s input check (``max_abs_x``) is counted by the kernel in the same pass; ``forward``
uses the backend's check (two reductions and a synchronisation) before the kernel. Either way a bad
input leaves the state as it was.
"""
from __future__ import annotations

import importlib
import importlib.util
import math
import os
import sys
from typing import Any

from ..dynamics import INT_FIELDS, LIFState, StepCoefficients
from ..timing import PreciseCoefficients
from .layout import PARAMS, UNUSED
from .reference import ReferenceEngine

__all__ = ["TritonEngine", "triton_available", "interpreter_on"]

#: Environment variable that turns on Triton's interpreter (CPU tensors, for the ``gpu_sim`` tests).
INTERPRET_VAR = "TRITON_INTERPRET"

_modules: dict[bool, Any] = {}


def triton_available() -> bool:
    """True if triton is installed (checked without importing it)."""
    return importlib.util.find_spec("triton") is not None


def interpreter_on() -> bool:
    """True if ``TRITON_INTERPRET=1``: the GPU engine may then run on CPU tensors, in Triton's interpreter."""
    return os.environ.get(INTERPRET_VAR, "0").strip() == "1"


def kernels(interpret: bool):
    """The kernels module, compiled for the GPU (``interpret=False``) or for Triton's interpreter.

    The interpreted copy is a second module object loaded from the same file with
    ``TRITON_INTERPRET=1`` while it is imported (``triton.jit`` decides at decoration time).
    """
    mod = _modules.get(interpret)
    if mod is not None:
        return mod
    package = __name__.rpartition(".")[0]
    old = os.environ.get(INTERPRET_VAR)
    os.environ[INTERPRET_VAR] = "1" if interpret else "0"
    try:
        if interpret:
            name = package + ".gpu_kernels_interpreted"
            origin = importlib.util.find_spec(package + ".gpu_kernels").origin
            spec = importlib.util.spec_from_file_location(name, origin)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            try:
                spec.loader.exec_module(mod)
            except BaseException:
                del sys.modules[name]
                raise
        else:
            mod = importlib.import_module(package + ".gpu_kernels")
    finally:
        if old is None:
            del os.environ[INTERPRET_VAR]
        else:
            os.environ[INTERPRET_VAR] = old
    _modules[interpret] = mod
    return mod


class TritonEngine:
    """Fused Triton kernels for torch tensors on CUDA (or on the CPU in Triton's interpreter).

    ``backend``: a torch :class:`lifbook.backends.Backend`; ``shape``: the population's shape.
    The packed coefficients are kept for the last :class:`~lifbook.dynamics.StepCoefficients`
    object seen.
    """

    name = "gpu"

    def __init__(self, backend, shape):
        self.backend = backend
        self.torch = backend.torch
        self._reference = ReferenceEngine(backend)
        self.shape = tuple(shape)
        self.N = math.prod(self.shape)
        self._packed: tuple | None = None

    def _kernels(self, device):
        if device.type == "cpu":
            if not interpreter_on():
                raise ValueError(f"engine='gpu' runs torch tensors on CUDA; on the CPU only in Triton's interpreter "
                                 f"({INTERPRET_VAR}=1, for tests). Use engine='auto' on the CPU")
            return kernels(True)
        return kernels(False)

    def _prepared(self, c: StepCoefficients, device, dtype):
        """``(features, P, Pn, het)`` for ``c``: ``P`` ``(len(PARAMS), cols)``, ``Pn`` int32 ``(cols,)``."""
        packed = self._packed
        if packed is None or packed[0] is not c or packed[2].device != device or packed[2].dtype != dtype:
            torch = self.torch
            features = (c.a_syn is not None, c.n_ref is not None, c.delta_T is not None, c.k_nl2 is not None)
            values = []
            for name in PARAMS:
                a = getattr(c, name)
                values.append(torch.as_tensor(UNUSED[name] if a is None else a, dtype=dtype, device=device))
            (int_name,) = INT_FIELDS
            n_ref = getattr(c, int_name)
            n_ref = torch.as_tensor(0 if n_ref is None else n_ref, device=device).to(torch.int32)
            het = any(a.ndim for a in values) or n_ref.ndim > 0
            cols = self.N if het else 1
            P = torch.empty((len(PARAMS), cols), dtype=dtype, device=device)
            for k, a in enumerate(values):
                P[k] = a.reshape(-1) if a.ndim else a
            Pn = torch.empty(cols, dtype=torch.int32, device=device)
            Pn[:] = n_ref.reshape(-1) if n_ref.ndim else n_ref
            packed = self._packed = (c, features, P, Pn, bool(het))
        return packed[1:]

    def _input(self, x, v, lead: int | None):
        """``(x, x_st, x_sb, x_sn)``: the input on ``v``'s device, as it is, and its element strides.

        ``lead``: ``None`` for one step's input (held for every step), else ``T`` (a time series).
        One step's input has shape ``()``, ``shape`` or the state's shape; it keeps its dtype and
        strides (a strided view, a stride-0 broadcast, another float or integer dtype): the kernel
        reads it through its strides and converts each value as it loads it. Only an input whose
        neuron axes cannot be merged into one stride is copied (``reshape``), in its own dtype.
        """
        torch = self.torch
        x = torch.as_tensor(x, device=v.device)
        if x.dtype == torch.bool or x.is_complex():  # the backend rejects these before; never read as numbers
            x = x.to(v.dtype)
        step_ndim = x.ndim - (0 if lead is None else 1)
        per_step = 1 if step_ndim == 0 else x[0].numel() if lead is not None else x.numel()
        nx = 1 if step_ndim == 0 else self.N
        bx = per_step // nx
        shape3 = (1 if lead is None else lead, bx, nx)
        try:
            x3 = x.view(shape3)  # a view whenever the neuron axes can be merged (any strides, stride 0 included)
        except RuntimeError:
            x3 = x.reshape(shape3)
        x_st = x3.stride(0) if lead is not None else 0
        x_sb = x3.stride(1) if bx > 1 else 0
        x_sn = x3.stride(2) if nx > 1 else 0
        return x3, x_st, x_sb, x_sn

    def _separable(self, sep, v):
        """``(A, a_sk, a_sb, a_sn, PT, KS)`` of a :class:`lifbook.inputs.Separable` current on ``v``'s device."""
        torch = self.torch
        A = torch.as_tensor(sep.amplitudes, dtype=torch.float64, device=v.device)
        KS = A.shape[0]
        A = A.reshape((KS, 1, 1) if A.ndim == 1 else (KS, -1, self.N))
        PT = torch.as_tensor(sep.profiles, dtype=torch.float64, device=v.device).contiguous()
        return A, A.stride(0), A.stride(1) if A.shape[1] > 1 else 0, 1 if A.shape[2] > 1 else 0, PT, KS

    def _launch(self, xs, state: LIFState, coef, record, T: int, lead: int | None, max_abs_x=None):
        from ..inputs import Separable

        torch = self.torch
        v = state.v
        K = self._kernels(v.device)
        (syn, ref, exp, etd2), P, Pn, het = self._prepared(coef, v.device, v.dtype)
        shape = tuple(v.shape)
        BN = v.numel()
        sep = isinstance(xs, Separable)
        if sep:
            A, a_sk, a_sb, a_sn, PT, KS = self._separable(xs, v)
            x, x_st, x_sb, x_sn = v, 0, 0, 0  # a placeholder
        else:
            x, x_st, x_sb, x_sn = self._input(xs, v, lead)
            A, a_sk, a_sb, a_sn, PT, KS = v, 0, 0, 0, v, 1  # placeholders
        check = max_abs_x is not None
        v_in = v.contiguous()
        i_in = state.i.contiguous() if syn else v_in
        r_in = state.ref.contiguous() if ref else Pn
        v_out = torch.empty(shape, dtype=v.dtype, device=v.device)
        i_out = torch.empty_like(v_out) if syn else v_out
        r_out = torch.empty(shape, dtype=torch.int32, device=v.device) if ref else Pn
        s_out = torch.empty(shape, dtype=torch.uint8, device=v.device)
        rec_s, rec_v, rec_i, count = "spikes" in record, "v" in record, "i" in record and syn, "count" in record
        s_rec = torch.empty((T, *shape), dtype=torch.uint8, device=v.device) if rec_s else s_out
        v_rec = torch.empty((T, *shape), dtype=v.dtype, device=v.device) if rec_v else v_out
        i_rec = torch.empty((T, *shape), dtype=v.dtype, device=v.device) if rec_i else v_out
        counts = torch.empty(shape, dtype=torch.int64, device=v.device) if count else v_out
        x_full = not sep and x_sn == 1 and (x_sb == self.N or BN == self.N)
        grid = (_cdiv(BN, K.BLOCK),)
        nbad = torch.empty(BN if check else 1, dtype=torch.int8, device=v.device)
        if BN:
            K.lif_kernel[grid](x, x_st, x_sb, x_sn, v_in, i_in, r_in, P, Pn, P.shape[1],
                               v_out, i_out, r_out, s_out, s_rec, v_rec, i_rec, counts,
                               T, BN, self.N, A, a_sk, a_sb, a_sn, PT, KS,
                               float(max_abs_x) if check else 0.0, nbad,
                               SYN=syn, REF=ref, EXP=exp, ETD2=etd2, HET=het,
                               REC_S=rec_s, REC_V=rec_v, REC_I=rec_i, COUNT=count,
                               X_FULL=x_full, BLOCK=K.BLOCK, SEP=sep, CHECK=check,
                               num_warps=K.NUM_WARPS, enable_fp_fusion=False)
        if check and bool(nbad.any()):
            # the kernel wrote new tensors only: the state is as it was; the backend's check says what is wrong
            self.backend.check_values(x, "x", max_abs_x)
            raise AssertionError("the kernel's input check and the backend's disagree")  # pragma: no cover
        new_state = LIFState(v_out, i_out if syn else None, r_out if ref else None)
        rec: dict[str, Any] = {}
        if rec_s:
            rec["spikes"] = s_rec.view(torch.bool)
        if rec_v:
            rec["v"] = v_rec
        if "i" in record:
            if syn:
                rec["i"] = i_rec
            else:  # without a filter the current is the input itself
                src = torch.as_tensor(xs.materialise() if sep else xs, device=v.device).to(v.dtype)
                rec["i"] = _broadcast_input(src, lead, T, shape)
        if count:
            rec["count"] = counts
        return s_out.view(torch.bool), new_state, rec

    # -- the contract ------------------------------------------------------------------------
    def step(self, x, state: LIFState, coef: StepCoefficients, max_abs_x: float | None = None):
        """One step in one kernel: ``(spikes, state)``; with ``max_abs_x`` the input is checked first.

        Precise coefficients: the reference engine's step.
        """
        if isinstance(coef, PreciseCoefficients):
            return self._reference.step(x, state, coef, max_abs_x)
        if max_abs_x is not None:
            self.backend.check_values(x, "x", max_abs_x)
        spikes, new_state, _ = self._launch(x, state, coef, (), 1, None)
        return spikes, new_state

    def run(self, xs, state: LIFState, coef: StepCoefficients, record, *, steps: int | None = None,
            max_abs_x: float | None = None):
        """``T`` steps in one kernel launch: ``(spikes, state, record_dict)`` (see :mod:`lifbook.engine`).

        ``xs``: a tensor of any real dtype and strides (read through its strides, converted in the
        kernel) or a :class:`lifbook.inputs.Separable` current (evaluated in the kernel). With
        ``max_abs_x`` the kernel counts the inputs that are not finite or exceed it in its one pass
        over the input, and ``ValueError`` (the backend's message) is raised after it, the state
        unchanged. Precise coefficients: the reference engine's run.
        """
        if isinstance(coef, PreciseCoefficients):
            return self._reference.run(xs, state, coef, record, steps=steps)
        T = int(steps) if steps is not None else int(xs.shape[0])
        return self._launch(xs, state, coef, record, T, None if steps is not None else T, max_abs_x)


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _broadcast_input(x, lead, T, state_shape):
    """The input as a ``(T, *state_shape)`` tensor of its own (the current without a synaptic filter)."""
    if lead is None:
        x = x.expand(T, *x.shape) if x.ndim else x.expand(T)
    # (T, *step_shape) -> (T, 1, ..., *step_shape), then broadcast over the state's leading axes
    x = x.reshape(T, *([1] * (len(state_shape) - (x.ndim - 1))), *x.shape[1:])
    return x.expand(T, *state_shape).clone()
