"""Backends: NumPy (CPU) and PyTorch (CPU, CUDA). Choosing one, device and dtype, converting input.

``import lifbook`` never imports torch: a torch tensor can only reach lifbook if the caller
imported torch, so :func:`is_tensor` looks torch up in ``sys.modules``.

Input conversion rules (:meth:`Backend.as_input`):

* Python lists, NumPy arrays and torch tensors of any integer or floating dtype are
  converted to the population's dtype (chapter 1's ``torch.tensor([10, ...])`` is int64).
* Strings, bools, complex numbers and objects are rejected with a ``TypeError``.
* NaN or inf is rejected, and so is a drive ``|R x|`` above
  :data:`lifbook.params.MAX_ABS_DRIVE` (a unit error), with a ``ValueError``.
* A CUDA tensor is never moved silently: into a CPU population it is an error (move it with
  ``.cpu()``, or create the population with ``device="cuda"``). NumPy input into a CUDA
  population is copied to the device (that is what the user asked for by choosing the device).
"""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = ["Backend", "NumpyBackend", "TorchBackend", "is_tensor", "make_backend"]


def is_tensor(x: Any) -> bool:
    """True if ``x`` is a torch tensor (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _import_torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the torch backend needs PyTorch: pip install 'lifbook[torch]'") from None
    return torch


class _NumpyOps:
    where = staticmethod(np.where)
    exp = staticmethod(np.exp)
    minimum = staticmethod(np.minimum)

    @staticmethod
    def clamp_min(a, lo):
        return np.maximum(a, lo)


class Backend:
    """Common interface: ``name``, ``dtype``, ``device``, ``ops`` and array helpers."""

    name = "?"
    ops: Any

    def describe(self) -> str:
        return f"{self.name}({self.dtype}, {self.device})"

    # -- input ----------------------------------------------------------------------
    def _reject_type(self, x, name):
        if isinstance(x, (str, bytes)):
            raise TypeError(f"{name}: expected a current in nA as a number, list, NumPy array or torch tensor, "
                            f"got {type(x).__name__} {x!r:.40}")
        if isinstance(x, (bool, np.bool_)):
            raise TypeError(f"{name}: expected a current in nA, got bool {x!r}")

    @staticmethod
    def _check_kind(kind: str, dtype, name):
        if kind == "b":
            raise TypeError(f"{name}: expected real numbers (nA), got boolean dtype {dtype}; "
                            "convert explicitly if you mean 0/1 currents")
        if kind not in "iuf":
            raise TypeError(f"{name}: expected real numbers (nA), got dtype {dtype}")

    @staticmethod
    def _check_range(lo: float, hi: float, max_abs_x: float, name: str) -> float:
        """Raise unless ``lo`` and ``hi`` are finite and within ``max_abs_x``; return ``max(|lo|, |hi|)``."""
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"{name}: input contains NaN or inf (min={lo}, max={hi}); currents must be finite (nA)")
        if max(abs(lo), abs(hi)) > max_abs_x:
            raise ValueError(f"{name}: |x| up to {max(abs(lo), abs(hi)):.3g} nA gives a drive |R x| above "
                             f"1e12 mV; lifbook accepts |x| <= {max_abs_x:.3g} nA for this population. "
                             "Check the units (nA, MOhm).")
        return max(abs(lo), abs(hi))


class NumpyBackend(Backend):
    """NumPy arrays on the CPU; float64 by default."""

    name = "numpy"
    device = "cpu"
    ops = _NumpyOps
    int64 = np.int64

    def __init__(self, dtype=None):
        dtype = np.dtype(np.float64 if dtype is None else _numpy_dtype(dtype))
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype: expected float32 or float64, got {dtype}")
        self.dtype = dtype

    def asarray(self, a, dtype=None):
        return np.asarray(a, dtype=self.dtype if dtype is None else dtype)

    def full(self, shape, value, dtype=None):
        return np.full(shape, value, dtype=self.dtype if dtype is None else dtype)

    def zeros_bool(self, shape):
        return np.zeros(shape, dtype=bool)

    def to_numpy(self, a):
        return a

    def int_dtype(self):
        return np.int32

    def empty(self, shape, kind="float"):
        dt = {"float": self.dtype, "bool": bool, "int": np.int64}[kind]
        return np.empty(shape, dtype=dt)

    def as_input(self, x, name, max_abs_x, check=True):
        """Convert ``x`` to a NumPy array of the population's dtype (no copy when possible)."""
        self._reject_type(x, name)
        if is_tensor(x):
            if x.device.type != "cpu":
                raise ValueError(f"{name}: a tensor on {x.device} cannot enter a NumPy (CPU) population; "
                                 f"use x.cpu(), or create the population with backend='torch', device='{x.device}'")
            x = x.detach().numpy()
        try:
            arr = np.asarray(x)
        except Exception as exc:
            raise TypeError(f"{name}: cannot convert {type(x).__name__} to an array of currents ({exc})") from None
        self._check_kind(arr.dtype.kind, arr.dtype, name)
        arr = arr.astype(self.dtype, copy=False)
        if check:
            self.check_values(arr, name, max_abs_x)
        return arr

    def check_values(self, arr, name, max_abs_x):
        """Raise ``ValueError`` unless every value is finite and ``|x| <= max_abs_x`` (nA); return the largest
        ``|x|`` (``None`` for an empty input)."""
        if arr.size:
            return self._check_range(float(arr.min()), float(arr.max()), max_abs_x, name)
        return None

    def max_abs(self, arr) -> float:
        """The largest ``|x|`` of an input already checked (0 for an empty one)."""
        return float(np.max(np.abs(arr))) if arr.size else 0.0


def _numpy_dtype(dtype):
    if is_tensor_dtype(dtype):
        return {"torch.float32": np.float32, "torch.float64": np.float64}.get(str(dtype), str(dtype))
    return dtype


def is_tensor_dtype(dtype) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(dtype, torch.dtype)


class _TorchOps:
    def __init__(self, torch):
        self.where = torch.where
        self.exp = torch.exp
        self.minimum = torch.minimum
        self.clamp_min = torch.clamp_min


class TorchBackend(Backend):
    """PyTorch tensors on ``device``; ``torch.get_default_dtype()`` (float32) by default."""

    name = "torch"

    def __init__(self, device=None, dtype=None):
        torch = _import_torch()
        self.torch = torch
        try:
            self.device = torch.device("cpu" if device is None else device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:N', got {device!r} ({exc})") from None
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device: {device!r} was requested but torch.cuda.is_available() is False")
        if dtype is None:
            dtype = torch.get_default_dtype()
        elif not isinstance(dtype, torch.dtype):
            dtype = {"float32": torch.float32, "float64": torch.float64}.get(np.dtype(dtype).name, dtype)
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype: expected float32 or float64, got {dtype}")
        self.dtype = dtype
        self.int64 = torch.int64
        self.ops = _TorchOps(torch)

    def asarray(self, a, dtype=None):
        # np.array copies: parameter arrays are read-only, which torch.as_tensor warns about.
        return self.torch.as_tensor(np.array(a), dtype=self.dtype if dtype is None else dtype, device=self.device)

    def full(self, shape, value, dtype=None):
        return self.torch.full(shape, value, dtype=self.dtype if dtype is None else dtype, device=self.device)

    def zeros_bool(self, shape):
        return self.torch.zeros(shape, dtype=self.torch.bool, device=self.device)

    def to_numpy(self, a):
        return a.detach().cpu().numpy()

    def int_dtype(self):
        return self.torch.int32

    def empty(self, shape, kind="float"):
        t = self.torch
        dt = {"float": self.dtype, "bool": t.bool, "int": t.int64}[kind]
        return t.empty(shape, dtype=dt, device=self.device)

    def as_input(self, x, name, max_abs_x, check=True):
        """Convert ``x`` to a tensor of the population's dtype on its device."""
        torch = self.torch
        self._reject_type(x, name)
        if is_tensor(x):
            if x.device != self.device and not (x.device.type == self.device.type == "cpu"):
                raise ValueError(f"{name}: tensor is on {x.device} but the population lives on {self.device}; "
                                 f"move it with x.to('{self.device}') or create the population with "
                                 f"device='{x.device}'")
            if x.is_complex() or x.dtype == torch.bool or not (x.is_floating_point() or _is_int(torch, x.dtype)):
                self._check_kind("b" if x.dtype == torch.bool else "c", x.dtype, name)
            arr = x.detach().to(dtype=self.dtype)
        else:
            try:
                a = np.asarray(x)
            except Exception as exc:
                raise TypeError(f"{name}: cannot convert {type(x).__name__} to an array of currents ({exc})") from None
            self._check_kind(a.dtype.kind, a.dtype, name)
            arr = torch.as_tensor(a, dtype=self.dtype, device=self.device)
        if check:
            self.check_values(arr, name, max_abs_x)
        return arr

    def check_values(self, arr, name, max_abs_x):
        """Raise ``ValueError`` unless every value is finite and ``|x| <= max_abs_x`` (nA); return the largest
        ``|x|`` (``None`` for an empty input)."""
        if not arr.numel():
            return None
        if arr.device.type == "cpu":
            # NumPy on the tensor's memory: torch's reduction would start OpenMP threads that
            # keep spinning and slow down the engine's own threads.
            a = arr.numpy()
            return self._check_range(float(a.min()), float(a.max()), max_abs_x, name)
        lo, hi = self.torch.aminmax(arr)
        return self._check_range(float(lo), float(hi), max_abs_x, name)

    def max_abs(self, arr) -> float:
        """The largest ``|x|`` of an input already checked (0 for an empty one)."""
        if not arr.numel():
            return 0.0
        if arr.device.type == "cpu":
            return float(np.max(np.abs(arr.numpy())))
        return float(arr.abs().max())


def _is_int(torch, dtype) -> bool:
    return dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)


def make_backend(backend=None, device=None, dtype=None, example=None) -> Backend:
    """Choose a backend.

    ``backend`` is ``"numpy"``, ``"torch"`` or ``None``. With ``None``: a ``device`` other than
    CPU, or a torch ``dtype``, means torch; otherwise, if ``example`` (the first input) is a
    torch tensor, torch on the tensor's device (and its dtype if floating point), else NumPy.
    """
    if backend not in (None, "numpy", "torch"):
        raise ValueError(f"backend: expected 'numpy', 'torch' or None (automatic), got {backend!r}")
    if backend is None:
        if device is not None and str(device) != "cpu" or is_tensor_dtype(dtype):
            backend = "torch"
        elif is_tensor(example):
            backend = "torch"
            device = example.device if device is None else device
            if dtype is None and str(example.dtype) in ("torch.float32", "torch.float64"):
                dtype = example.dtype
        else:
            backend = "numpy"
    if backend == "numpy":
        if device is not None and str(device) != "cpu":
            raise ValueError(f"device: the NumPy backend runs on the CPU only, got device={device!r}; "
                             "use backend='torch' for CUDA")
        return NumpyBackend(dtype)
    return TorchBackend(device, dtype)
