"""Stateful populations with the seed documents' API: ``CLIFPopulation`` and ``ELIFPopulation``.

>>> model = CLIFPopulation(n=10)
>>> model.set_batch_size(10)
>>> s = model.forward([10.0] * model.n)   # one step of 10 nA to every neuron
>>> model.s.shape, model.v.shape
((10, 10), (10, 10))

State shape is ``(batch, *shape)`` after ``set_batch_size(batch)``, and ``shape`` for an
unbatched population (the default). The input of one step may have shape ``()`` (the same
current for every neuron), ``shape`` (per neuron, the same in every trial) or the full state
shape; anything else is an error, never a silent broadcast.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from . import engine as _engine
from . import inputs as _inputs
from . import progress as _progress
from . import timing as _timing
from .backends import Backend, is_tensor, make_backend
from .dynamics import LIFState, StepCoefficients
from .params import MAX_ABS_DRIVE, CLIFParams, ELIFParams
from .record import Record, record_names
from .validate import UnitWarning, optional_positive_int, positive_int

__all__ = ["CLIFPopulation", "ELIFPopulation", "NumericalWarning", "UnitWarning"]

#: ``|R x|`` (mV) above which an input is taken for a unit slip and warned about, once per population:
#: physiological drives are tens of mV; 1000 mV is 100 nA at the default R = 10 MOhm. The input must
#: also move ``u`` by more than ``WARN_STEP_JUMP`` mV in one step (``|R x| (1 - exp(-dt/tau_m))``), so
#: that a brief pulse (a charge ``q`` in one short step, ``x = q/dt``, which moves ``u`` by about
#: ``R q / tau_m`` however small ``dt``) is not taken for a slip.
WARN_ABS_DRIVE = 1000.0
WARN_STEP_JUMP = 10.0
#: ``forward`` checks the drive of the first step after a reset and of every ``_WARN_EVERY``-th step
#: after it (a unit slip repeats), so the check costs at most one pass over ``x`` in 64 steps;
#: ``run`` checks all of its input in the pass that already looks for NaN and inf.
_WARN_EVERY = 64
#: Records smaller than this (bytes) are not checked against the memory available.
RECORD_CHECK_MIN = 64 << 20


class NumericalWarning(UserWarning):
    """A numerical method is used outside its stable range (Euler with dt > 2 tau_m).

    The membrane potential stays bounded there (a large positive overshoot is a spike and is
    reset), so lifbook warns and lets the book show the instability; an unstable synaptic
    current has no reset and is refused with a ``ValueError``.
    """


def _resolve_shape(n, shape) -> tuple[int, ...]:
    if shape is None and n is None:
        raise ValueError("n: give the number of neurons n (an int >= 1) or a shape tuple")
    if shape is not None:
        if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
            shape = (int(shape),)
        try:
            shape = tuple(shape)
        except TypeError:
            raise TypeError(f"shape: expected a tuple of ints, got {type(shape).__name__} {shape!r}") from None
        if not shape or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1
                                for d in shape):
            raise ValueError(f"shape: expected a non-empty tuple of ints >= 1, got {shape!r}")
        shape = tuple(int(d) for d in shape)
    if n is not None:
        n = positive_int("n", n)
        if shape is not None and math.prod(shape) != n:
            raise ValueError(f"n: n={n} does not match shape={shape} (which holds {math.prod(shape)} neurons)")
        shape = shape if shape is not None else (int(n),)
    return shape


class _Population:
    """Shared machinery; use :class:`CLIFPopulation` or :class:`ELIFPopulation`."""

    Params = CLIFParams
    methods: tuple[str, ...] = ()
    default_method = ""

    def __init__(self, n: int | None = None, shape=None, *, params: CLIFParams | None = None,
                 method: str | None = None, backend: str | None = None, device=None, dtype=None,
                 batch_size: int | None = None, engine: str = "auto", spike_timing: str = "grid",
                 **param_values):
        self.shape = _resolve_shape(n, shape)
        if param_values:
            self.Params.check_names(param_values)
        if params is None:
            self.params = self.Params(**param_values)
        elif not isinstance(params, self.Params):
            raise TypeError(f"params: expected {self.Params.__name__}, got {type(params).__name__}")
        else:
            self.params = params.replace(**param_values) if param_values else params
        self.params.check_shape(self.shape)
        method = self.default_method if method is None else method
        if method not in self.methods:
            raise ValueError(f"method: expected one of {self.methods}, got {method!r}")
        self.method = method
        self.spike_timing = _timing.check_spike_timing(spike_timing, method, self.params.t_ref, self.params.dt,
                                                        self.Params.model)
        self._engine_request = _engine.check_request(engine)
        self._request = (backend, device, dtype)
        # With nothing chosen explicitly, the first input decides (torch tensor -> torch on its device).
        self._auto = backend is None and device is None and dtype is None
        self._bound = not self._auto
        self._drive_warned, self._warn_x = False, (None, np.inf)
        self._on_block = None  # a hook (done, T) called between blocks of steps of run() (tests)
        self._stream_check = False  # the next run's input array is checked by the engine
        self.backend: Backend = make_backend(backend, device, dtype)
        self.batch_size = None
        self._check_stability()
        self._prepare()
        if batch_size is not None:
            self.set_batch_size(batch_size)
        else:
            self.reset_state_variables()

    # -- properties -------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of neurons (``prod(shape)``)."""
        return math.prod(self.shape)

    @property
    def state_shape(self) -> tuple[int, ...]:
        return self.shape if self.batch_size is None else (self.batch_size, *self.shape)

    @property
    def dt(self) -> float:
        return self.params.dt

    @property
    def v(self):
        """Membrane potential u (mV) after the last step (post-reset for neurons that spiked)."""
        return self._state.v

    @property
    def i(self):
        """Current I (nA) that entered the last step (the synaptic current, or the input if ``tau_syn = 0``)."""
        return self._state.i if self._state.i is not None else self._last_x

    @property
    def precise(self) -> bool:
        """True with ``spike_timing="precise"`` (spike times off the grid, see :mod:`lifbook.timing`)."""
        return self.spike_timing == "precise"

    @property
    def spike_offset(self):
        """In precise mode, the time of each spike of the last step after the step's start (ms, 0 where no spike).

        The spike of neuron ``j`` in the last step happened at ``time - dt + spike_offset[j]``;
        ``None`` with ``spike_timing="grid"`` (spikes at the end of the step).
        """
        return self._offsets

    @property
    def refractory(self):
        """Refractory steps left per neuron (0 when integrating); ms left with ``spike_timing="precise"``."""
        if self._state.ref is None:
            return self.backend.full(self.state_shape, 0, dtype=self.backend.int_dtype())
        return self._state.ref

    @property
    def time(self) -> float:
        """Simulated time in ms since the last reset (``steps * dt``)."""
        return self.steps * self.params.dt

    # -- set-up ---------------------------------------------------------------------------
    def _check_stability(self):
        if self.method == "euler":
            p = self.params
            limit = 2.0 * float(np.min(p.tau_m))
            if p.dt > limit:
                warnings.warn(f"method='euler' with dt={p.dt} ms > 2*tau_m={limit} ms is unstable "
                              "(the discrete leak overshoots); use the default method", NumericalWarning,
                              stacklevel=4)
            if np.any(np.asarray(p.tau_syn) > 0):
                ts = float(np.min(np.where(np.asarray(p.tau_syn) > 0, p.tau_syn, np.inf)))
                if p.dt > 2.0 * ts:
                    # Nothing resets the synaptic current: Euler's growing oscillation would reach inf.
                    raise ValueError(f"tau_syn: method='euler' needs dt <= 2*tau_syn, got dt={p.dt} ms and "
                                     f"tau_syn={ts} ms (the synaptic current would grow without bound); "
                                     f"use the default method {self.default_method!r} or a smaller dt")

    def _prepare(self):
        """Cast the propagator coefficients to the backend."""
        p, be = self.params, self.backend
        k = p.coefficients(self.method)
        f = be.asarray
        has_ref = bool(np.any(np.asarray(k.n_ref) > 0))
        coef = dict(u_rest=f(p.u_rest), u_reset=f(p.u_reset), u_th=f(p.u_th), a_m=f(k.a_m), b_m=f(k.b_m))
        if k.has_syn:
            coef.update(a_syn=f(k.a_syn), c_syn=f(k.c_syn))
        if has_ref:
            coef.update(n_ref=f(k.n_ref, dtype=be.int_dtype()))
        if isinstance(p, ELIFParams):
            coef.update(k_nl=f(k.k_nl), theta_rh=f(p.theta_rh), delta_T=f(p.delta_T), arg_cap=f(p.exp_arg_cap))
            if self.method == "etd2":
                coef.update(k_nl2=f(k.k_nl2))
        if self.precise:
            # The refractory time is a float state (ms), not a step count: no n_ref.
            coef.pop("n_ref", None)
            elif_ = isinstance(p, ELIFParams)
            self._coef = _timing.PreciseCoefficients(
                grid=StepCoefficients(**coef), tau_m=p.tau_m, R=p.R, tau_syn=p.tau_syn, t_ref=p.t_ref, dt=p.dt,
                tol=_timing.elif_tol(p.dt) if elif_ else 0.0)
        else:
            self._coef = StepCoefficients(**coef)
        self._max_abs_x = MAX_ABS_DRIVE / float(np.max(p.R))
        # The engine object for this backend and shape (see lifbook.engine for the contract).
        self._engine = _engine.select(self.backend, self.shape, self._engine_request)
        self._engine_note = _engine.explain(self.backend, self._engine_request, self._engine.name)

    @property
    def engine(self) -> str:
        """Name of the engine that runs ``forward``/``run`` (``"reference"`` is :func:`lifbook.dynamics.lif_step`)."""
        return self._engine.name

    def _bind(self, x):
        """Fix the backend at the first input (automatic mode only); the state is still the reset state."""
        if self._bound:
            return
        self._bound = True
        if is_tensor(x):
            self.backend = make_backend(None, None, None, example=x)
            self._prepare()
            self.reset_state_variables()

    def set_batch_size(self, batch_size: int | None) -> None:
        """Give the state shape ``(batch_size, *shape)`` (``None``: unbatched) and reset the state."""
        self.batch_size = optional_positive_int("batch_size", batch_size)
        self.reset_state_variables()

    @property
    def _grid_coef(self) -> StepCoefficients:
        """The grid method's coefficients (those inside the precise ones in precise mode)."""
        return self._coef.grid if self.precise else self._coef

    def _new_ref(self):
        """A refractory state of zeros: int32 steps, or float ms in precise mode; ``None`` without one."""
        be = self.backend
        if self.precise:
            return be.full(self.state_shape, 0.0)
        if self._coef.n_ref is not None:
            return be.full(self.state_shape, 0, dtype=be.int_dtype())
        return None

    def reset_state_variables(self) -> None:
        """Reset every state variable: ``v = u_rest``, ``I = 0``, no refractoriness, no spikes, time 0."""
        be, c = self.backend, self._grid_coef
        shape = self.state_shape
        v = be.full(shape, 0.0) + c.u_rest
        i = be.full(shape, 0.0) if c.a_syn is not None else None
        self._state = LIFState(v, i, self._new_ref())
        self._offsets = be.full(shape, 0.0) if self.precise else None
        self.s = be.zeros_bool(shape)
        self._last_x = be.full(shape, 0.0)
        self.steps = 0

    def set_params(self, **changes) -> None:
        """Change parameters (validated again); the state is kept, new state variables start at 0."""
        self.Params.check_names(changes)
        new = self.params.replace(**changes)
        new.check_shape(self.shape)
        _timing.check_spike_timing(self.spike_timing, self.method, new.t_ref, new.dt, self.Params.model)
        self.params = new
        self._check_stability()
        self._prepare()
        be, c, st = self.backend, self._grid_coef, self._state
        i = st.i if c.a_syn is not None else None
        if c.a_syn is not None and i is None:
            i = be.full(self.state_shape, 0.0)
        ref = self._new_ref()
        if ref is not None and st.ref is not None:
            ref = st.ref
        self._state = LIFState(st.v, i, ref)

    # -- input ------------------------------------------------------------------------------
    def _allowed_shapes(self) -> list[tuple[int, ...]]:
        shapes = [(), self.shape]
        if self.batch_size is not None:
            shapes.append((self.batch_size, *self.shape))
        return shapes

    def _check_step_shape(self, shape, name="x", lead=()):
        allowed = self._allowed_shapes()
        if tuple(shape) not in allowed:
            forms = " or ".join(str(lead + a) for a in allowed)
            raise ValueError(f"{name}: expected shape {forms} for a population of shape {self.shape}"
                             f"{'' if self.batch_size is None else f' with batch size {self.batch_size}'}, "
                             f"got {tuple(lead) + tuple(shape) if lead else tuple(shape)}")

    def _input(self, x, name="x", check=True, stacklevel=5):
        self._bind(x)
        arr = self.backend.as_input(x, name, self._max_abs_x, check=False)
        if check:
            # One pass: the backend's range check returns the largest |x| it saw.
            self._warn_drive(self.backend.check_values(arr, name, self._max_abs_x), name, stacklevel)
        return arr

    def _warn_drive(self, peak, name, stacklevel):
        """Warn (:class:`UnitWarning`, once per population) when ``max |R x|`` exceeds ``WARN_ABS_DRIVE`` mV
        and one step of ``x`` moves ``u`` by more than ``WARN_STEP_JUMP`` mV."""
        if self._drive_warned or peak is None:
            return
        p = self.params
        if self._warn_x[0] is not p:  # the threshold in nA, computed once per parameter set
            R = float(np.max(p.R))
            jump = R * -math.expm1(-p.dt / float(np.min(p.tau_m)))
            self._warn_x = (p, max(WARN_ABS_DRIVE / R, WARN_STEP_JUMP / jump))
        if not peak > self._warn_x[1]:
            return
        R = float(np.max(p.R))
        drive = peak * R
        self._drive_warned = True
        warnings.warn(
            f"{name}: |R x| reaches {drive:.4g} mV (x up to {peak:.4g} nA with R = {R:g} MOhm), far beyond the "
            f"tens of mV that move a neuron. lifbook's currents are in nA: {peak:.4g} looks like pA "
            f"({peak:.4g} pA = {peak / 1e3:.4g} nA). Warned once per population.", UnitWarning, stacklevel=stacklevel)

    # -- simulation ------------------------------------------------------------------------------
    def forward(self, x) -> Any:
        """Advance one step of ``dt`` with input current ``x`` (nA) held over the step.

        ``x``: a number, list, NumPy array or torch tensor of shape ``()``, ``shape`` or
        ``(batch, *shape)``. Returns the spikes (also in ``self.s``); ``self.v`` holds the
        post-reset potential.
        """
        x = self._input(x, check=False)
        self._check_step_shape(tuple(x.shape))
        self._advance(x, check=True)
        if self.steps % _WARN_EVERY == 1 and not self._drive_warned:
            # After the step (which rejected NaN, inf and impossible drives), on a sample of steps.
            self._warn_drive(self.backend.max_abs(x), "x", stacklevel=3)
        return self.s

    __call__ = forward

    def _advance(self, x, check: bool = False):
        """One step. With ``check``, the input's values are validated first (finite, ``|R x|``
        bounded); the engine fuses that check into its pass over ``x``. The state changes only
        if the input is valid."""
        out = self._engine.step(x, self._state, self._coef, self._max_abs_x if check else None)
        if self.precise:
            self.s, self._state, self._offsets = out
        else:
            self.s, self._state = out
        self._last_x = x
        self.steps += 1

    def run(self, x, *, steps: int | None = None, record=("spikes", "v")) -> Record:
        """Simulate many steps and return a :class:`~lifbook.record.Record`.

        ``x`` is one of:

        * an array with a leading time axis, shape ``(T, *s)`` where ``s`` is a shape
          :meth:`forward` accepts: step ``k`` gets ``x[k]``;
        * a constant input of a shape :meth:`forward` accepts, held for ``steps`` steps;
        * a function of time ``x(t)``, called once with the NumPy array of step start times
          ``t = time + dt * arange(steps)`` (ms), returning shape ``(steps, *s)``
          (see :mod:`lifbook.inputs`).

        ``record`` names what to keep, from ``"spikes"``, ``"v"``, ``"i"``, ``"count"``; keep
        ``("spikes",)`` or ``("count",)`` for large populations. The population's state
        continues from where it was and ends where ``steps`` calls of :meth:`forward` would
        leave it (``self.v``, ``self.s``); the result is the same as those calls.
        """
        record = record_names(record)
        xs, constant, T = self._run_input(x, steps)
        self._check_record_memory(T, record)
        t0 = self.time
        rec = self._run_loop(xs, constant, T, record)
        t = t0 + self.params.dt * np.arange(1, T + 1)
        meta = {"method": self.method, "spike_timing": self.spike_timing, "backend": self.backend.describe(),
                "state_shape": self.state_shape, "engine": self.engine}
        if self._engine_note:
            meta["engine_note"] = self._engine_note
        return Record(t=t, dt=self.params.dt, model=self.Params.model, params=self.params, meta=meta, **rec)

    def record_bytes(self, steps: int, record=("spikes", "v")) -> int:
        """Bytes that ``run(..., steps=steps, record=record)`` allocates for its record (estimated before it runs)."""
        record = record_names(record)
        S = math.prod(self.state_shape)
        item = np.dtype(str(self.backend.dtype).replace("torch.", "")).itemsize
        per_step = {"spikes": 1 + (item if self.precise else 0), "v": item, "i": item}
        return int(steps) * S * sum(per_step.get(name, 0) for name in record) + (8 * S if "count" in record else 0)

    def _check_record_memory(self, T: int, record) -> None:
        """Refuse a run whose record would not fit in the memory available (before anything is allocated)."""
        need = self.record_bytes(T, record)
        if need < RECORD_CHECK_MIN:
            return
        if self.backend.name == "torch" and self.backend.device.type != "cpu":
            return  # device memory: torch raises its own clear out-of-memory error
        have = _engine.available_memory()
        if have is None or need <= have:
            return
        gib = 1 << 30
        raise MemoryError(
            f"record: run(steps={T}, record={record}) would record {need / gib:.1f} GiB for "
            f"{math.prod(self.state_shape)} neurons, more than the {have / gib:.1f} GiB of memory available. "
            "Record less: record=('count',) "
            f"(spike counts, {8 * math.prod(self.state_shape) / gib:.2g} GiB) or ('spikes',) (1 byte per neuron and "
            "step); run fewer steps; or run in chunks (call run() repeatedly: the state carries over) and keep "
            "what you need from each.")

    def _run_input(self, x, steps):
        if steps is not None:
            steps = positive_int("steps", steps)
        if callable(x) and not is_tensor(x) and not isinstance(x, np.ndarray):
            if steps is None:
                raise ValueError("steps: a current function x(t) needs the number of steps, run(x, steps=T)")
            t = self.time + self.params.dt * np.arange(steps)
            # Streamed forms: separable currents for every engine (evaluated in its kernel), currents made
            # block by block (noise) for the CPU engines (the GPU engine gets their values as before); in
            # precise mode the numba engine streams both.
            streams = isinstance(x, _inputs.Current) and (
                self._engine.name == "numba"
                or not self.precise and self._engine.name in ("reference", "gpu"))
            sep = x.separable(t) if streams else None
            if sep is not None:
                # Amplitudes times profiles, evaluated inside the engine step by step: no (T, N) array.
                self._check_step_shape(tuple(sep.shape[1:]), "x(t)", lead=(steps,))
                self._bind(0.0)
                peak = sep.peak()
                Backend._check_range(-peak, peak, self._max_abs_x, "x(t)")
                self._warn_drive(peak, "x(t)", 5)
                return sep, False, steps
            if streams and self._engine.name != "gpu" and x._streamable():
                # Noise and other currents made block by block (state carried over): no (T, N) array.
                self._bind(0.0)
                stream = _inputs.Streamed(x, t, np.shape(x._block(t, 0, 1, {}))[1:])
                self._check_step_shape(tuple(stream.shape[1:]), "x(t)", lead=(steps,))
                stream.check = (self._max_abs_x, "x(t)")
                return stream, False, steps
            values = x(t)
            arr = self._input(values, "x(t)")
            if arr.ndim == 0 or arr.shape[0] != steps:
                raise ValueError(f"x(t): the current function must be vectorised: for t of shape ({steps},) it "
                                 f"must return shape ({steps}, ...) , got {tuple(arr.shape)}. "
                                 "For a constant current use run(value, steps=T).")
            self._check_step_shape(tuple(arr.shape[1:]), "x(t)", lead=(steps,))
            return arr, False, steps
        arr = self._stream_input(x) if steps is None else self._input(x)
        if steps is not None:
            self._check_step_shape(tuple(arr.shape), "x (held constant for `steps` steps)")
            return arr, True, steps
        if arr.ndim == 0:
            raise ValueError("x: a scalar input needs the number of steps: run(x, steps=T); "
                             "an array input needs a leading time axis")
        if arr.shape[0] == 0:
            raise ValueError("x: the time axis is empty (T = 0)")
        self._check_step_shape(tuple(arr.shape[1:]), "x (with a leading time axis)", lead=(arr.shape[0],))
        return arr, False, int(arr.shape[0])

    def _stream_input(self, x):
        """A time series as the engine will read it: NumPy (or a CPU tensor's NumPy view) of any real
        dtype and strides, checked (finite, bounded) in place but never converted or copied whole."""
        self._bind(x)
        be = self.backend
        if self._engine.name == "gpu" and not self.precise and is_tensor(x) and (
                x.device == be.device or x.device.type == be.device.type == "cpu"):
            return self._gpu_stream_input(x)
        if be.name == "torch" and be.device.type != "cpu" or self.precise and self._engine.name != "numba" or \
                self._engine.name not in ("numba", "reference"):
            return self._input(x)
        if is_tensor(x):
            if x.device.type != "cpu":
                return self._input(x)
            try:
                arr = x.detach().numpy()
            except (TypeError, RuntimeError):  # bfloat16 and other dtypes NumPy lacks: converted
                return self._input(x)
        else:
            be._reject_type(x, "x")
            try:
                arr = np.asarray(x)
            except Exception as exc:
                raise TypeError(f"x: cannot convert {type(x).__name__} to an array of currents ({exc})") from None
        be._check_kind(arr.dtype.kind, arr.dtype, "x")
        if arr.size and arr.ndim:
            # The values are checked (finite, bounded) by the engine in its pass over the input; a unit
            # slip (pA for nA) shows in any step: the first and the last are looked at here.
            ends = np.stack([np.asarray(arr[0], dtype=np.float64), np.asarray(arr[-1], dtype=np.float64)])
            peak = Backend._check_range(float(ends.min()), float(ends.max()), self._max_abs_x, "x")
            self._warn_drive(peak, "x", 6)
        self._stream_check = True
        return arr

    def _gpu_stream_input(self, x):
        """A tensor on the GPU engine's device as the kernel will read it: its own dtype and strides, checked
        (finite, bounded) by the kernel in its one pass over it (the first and last steps are looked at here)."""
        torch = self.backend.torch
        t = x.detach()
        if t.is_complex() or t.dtype == torch.bool:
            return self._input(x)  # the backend's error
        if t.numel() and t.ndim:
            lo, hi = torch.aminmax(torch.stack([t[0], t[-1]]).to(torch.float64))
            peak = Backend._check_range(float(lo), float(hi), self._max_abs_x, "x")
            self._warn_drive(peak, "x", 7)
        self._stream_check = True
        return t

    def _run_loop(self, xs, constant: bool, T: int, record) -> dict:
        """``T`` steps by the engine; the population writes its state, spikes, last input and step count.

        In a notebook a run of more than a few seconds shows its progress (:mod:`lifbook.progress`).
        An interrupt (``KeyboardInterrupt``, the kernel's stop button) stops the engine between two
        blocks of steps and leaves the population as it was before ``run`` (state, spikes, time):
        the engine works on its own copy of the state until the last block is done.
        """
        kwargs = {}
        if self._stream_check:  # an input array not checked whole: the engine checks it as it reads it
            kwargs["max_abs_x"] = self._max_abs_x
            self._stream_check = False
        progress = None
        if not self.precise and self._engine.name in ("numba", "reference") and _progress.in_notebook():
            progress = kwargs["on_block"] = _progress.Progress(f"{type(self).__name__}.run")
        if self._on_block is not None:
            hook, shown = self._on_block, progress
            kwargs["on_block"] = (lambda d, t: (hook(d, t), shown(d, t))) if shown else hook
        try:
            out = self._engine.run(xs, self._state, self._coef, record, steps=T if constant else None, **kwargs)
        finally:
            if progress is not None:
                progress.close()
        if self.precise:
            self.s, self._state, rec, self._offsets = out
        else:
            self.s, self._state, rec = out
        last = xs if constant else xs[T - 1]
        self._last_x = self._step_value(last)
        self.steps += T
        return rec

    def _step_value(self, x):
        """One step's input as the backend's array (for ``self.i`` without a filter)."""
        be = self.backend
        if is_tensor(x):
            return x.to(dtype=be.dtype)
        return np.asarray(x, dtype=be.dtype) if be.name == "numpy" else be.asarray(x)

    def __repr__(self) -> str:
        note = f" [{self._engine_note}]" if self._engine_note else ""
        return (f"{type(self).__name__}(shape={self.shape}, batch_size={self.batch_size}, method={self.method!r}, "
                f"spike_timing={self.spike_timing!r}, backend={self.backend.describe()}, "
                f"engine={self.engine!r}{note})")


class CLIFPopulation(_Population):
    """Current-based leaky integrate-and-fire neurons (Gerstner et al. 2014, ch. 1.3).

    ``tau_m du/dt = -(u - u_rest) + R I(t)``; when ``u >= u_th`` a spike is emitted, ``u`` is
    set to ``u_reset`` and held there for ``round(t_ref/dt)`` steps. "Current-based": the input
    enters as a current independent of ``u`` (unlike conductance-based synapses, whose current
    ``g(t)(E - u)`` depends on it). With ``tau_syn > 0`` the input ``x`` is low-pass filtered,
    ``tau_syn dI/dt = -I + x``; with ``tau_syn = 0`` (default) ``I = x``.

    Parameters
    ----------
    n : int, optional
        Number of neurons of a one-dimensional population (or give ``shape``).
    shape : tuple of int, optional
        Shape of the population, e.g. ``(trials, neurons)``.
    params : CLIFParams, optional
        A parameter set (:class:`~lifbook.params.CLIFParams`); keyword values override its fields.
    method : {"exact", "euler"}, optional
        ``"exact"`` (default; exact for input held constant over a step) or ``"euler"`` (forward
        Euler, for teaching).
    backend : {"numpy", "torch"}, optional
        ``None`` (default): the first input decides. ``device`` and ``dtype`` as in torch.
    batch_size : int, optional
        Leading batch dimension of the state, ``(batch_size, *shape)``; see :meth:`set_batch_size`.
    engine : {"auto", "numba", "reference"}, optional
        Which kernel runs the steps (:mod:`lifbook.engine`); the results agree.
    spike_timing : {"grid", "precise"}, optional
        ``"grid"`` (default): spikes at the end of the step, ``t_ref`` rounded to steps.
        ``"precise"``: the crossing located inside the step on the exact solution, reset and an
        exactly ``t_ref`` long refractory period from there; needs ``t_ref >= dt`` and
        ``method="exact"`` (see :mod:`lifbook.timing`). ``model.s`` still marks the step,
        ``model.spike_offset`` holds the spike's time after the step's start, and :meth:`run`
        records the precise times (:class:`~lifbook.record.Record`).
    **param_values
        ``tau_m, u_rest, u_reset, u_th, R, t_ref, tau_syn, dt`` (ms, mV, MOhm, nA; defaults in
        :mod:`lifbook.params`), each a scalar or an array of the population's shape.

    Raises
    ------
    ValueError, TypeError
        A parameter out of range, of the wrong shape or of an unknown name, naming it.

    See Also
    --------
    ELIFPopulation : the exponential model.
    lifbook.theory.lif_rate : the firing rate in closed form.

    Examples
    --------
    Three neurons, one current each, 100 ms at ``dt = 0.1`` ms:

    >>> from lifbook import CLIFPopulation
    >>> model = CLIFPopulation(n=3)
    >>> rec = model.run([1.0, 2.5, 4.0], steps=1000)
    >>> rec.spike_counts()
    array([ 0,  7, 15])

    1 nA is below the rheobase, ``(u_th - u_rest) / R = 2`` nA: no spike.
    """

    Params = CLIFParams
    methods = ("exact", "euler")
    default_method = "exact"


class ELIFPopulation(_Population):
    """Exponential leaky integrate-and-fire neurons (Fourcaud-Trocme et al. 2003).

    ``tau_m du/dt = -(u - u_rest) + delta_T exp((u - theta_rh)/delta_T) + R I(t)``; a spike is
    registered when ``u`` reaches the numerical cut-off ``u_th`` (> ``theta_rh``), then
    ``u <- u_reset`` for ``round(t_ref/dt)`` steps. The exponent is capped at
    ``min((u_th - theta_rh)/delta_T, 30)`` so the term stays finite for every ``u`` and ``dt``.

    Parameters as :class:`CLIFPopulation` plus ``theta_rh`` (mV, the rheobase threshold) and
    ``delta_T`` (mV, the slope factor), with the defaults of :class:`~lifbook.params.ELIFParams`.
    ``method``:

    * ``"etd2"`` (default): second-order exponential time differencing (ETD2RK, Cox & Matthews
      2002) with the input held over the step: the exponential Euler value ``A``, corrected by
      ``k_nl2 (E(A) - E(u))`` where ``E(u) = delta_T exp(min((u - theta_rh)/delta_T, cap))`` and
      ``k_nl2 = (exp(-dt/tau_m) - 1 + dt/tau_m)/(dt/tau_m)``. Finite for every ``dt`` and input
      (``E`` is capped). Spikes stay on the grid (registered at the end of the step in which
      ``u`` reaches ``u_th``). Measured against the DOP853 reference (:mod:`lifbook.reference`)
      with ``tau_m = 10`` ms, ``u_rest = u_reset = -65``, ``theta_rh = -55``, ``delta_T = 2``,
      ``u_th = -30`` mV, ``R = 10`` MOhm, ``t_ref = 2`` ms, ``dt = 0.1`` ms and constant inputs of
      0.85, 1, 2 and 4 nA: the first spike is 0.09-0.14 ms late (``"expeuler"``: 0.29-0.79 ms) and
      the spike counts over 1000 ms are 11, 25, 78, 145 against 11, 25, 78, 147
      (``"expeuler"``: 11, 25, 77, 141). ``tests/test_dynamics.py`` checks the first spikes and the
      counts over 300 ms, and the second order of the potential's error below threshold.
    * ``"expeuler"``: exponential Euler (first order): the linear part exact, the exponential
      term held at its value at the start of the step (the teaching method of chapter 5).
    * ``"euler"``: forward Euler (teaching).

    See :class:`lifbook.params.LIFCoefficients` for the coefficients and
    :func:`lifbook.dynamics.neuron_update` for the one update all engines evaluate.

    ``spike_timing="precise"`` (with ``"etd2"``, ``t_ref >= dt``): the steps that need it are
    redone with integrating-factor RK4 sub-steps and the crossing of ``u_th`` is located inside
    the step (see :class:`CLIFPopulation` and :mod:`lifbook.timing`).

    See Also
    --------
    CLIFPopulation : the current-based LIF model.
    lifbook.theory.eif_rheobase : the current above which the model fires.

    Examples
    --------
    One neuron at 0.6 nA (above the rheobase of 0.4 nA) for 100 ms:

    >>> from lifbook import ELIFPopulation
    >>> model = ELIFPopulation(n=1)
    >>> rec = model.run(0.6, steps=1000)
    >>> rec.spike_counts()
    array([3])
    """

    Params = ELIFParams
    methods = ("etd2", "expeuler", "euler")
    default_method = "etd2"

