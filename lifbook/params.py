"""Parameter sets for the CLIF and ELIF models: defaults, units, sources and validation.

Units used throughout lifbook: time in ms, potential in mV, resistance in MOhm,
current in nA (so ``R * I`` is in mV), rates in Hz.

Defaults (one place, printable with :func:`print_default_parameters`):

=========  ========  ========  ======  ===========================================
name       CLIF      ELIF      unit    source
=========  ========  ========  ======  ===========================================
tau_m      8.0       12.0      ms      neurodynex3 ``LIF`` / ``exponential_integrate_fire``
u_rest     -70.0     -65.0     mV      neurodynex3 (Gerstner et al. 2014, ch. 1 and 5)
u_reset    -65.0     -60.0     mV      neurodynex3
u_th       -50.0     -30.0     mV      CLIF: firing threshold; ELIF: numerical cut-off
                                       ``v_spike`` (neurodynex3)
R          10.0      20.0      MOhm    neurodynex3
t_ref      2.0       2.0       ms      neurodynex3 ``LIF``; for ELIF lifbook uses the
                                       same 2 ms (neurodynex3's EIF has none)
tau_syn    0.0       0.0       ms      lifbook: 0 means no synaptic filter, ``I = x``
theta_rh   --        -55.0     mV      neurodynex3 ``v_rheobase``
delta_T    --        2.0       mV      neurodynex3 ``delta_T``
dt         0.1       0.1       ms      lifbook (see below)
=========  ========  ========  ======  ===========================================

Why ``dt = 0.1`` ms: it is 80 times (CLIF) and 120 times (ELIF) below the membrane time
constant, so the leak is resolved with room to spare (the CLIF's exact propagator does not
need it at all). For the ELIF the time scale that matters is the spike onset, a few
``delta_T`` above ``theta_rh``, where the potential runs away: at 4 nA (a rate of about
240 Hz) the run-up from ``theta_rh + 2 delta_T`` to the cut-off lasts 0.63 ms, about six
steps (:func:`lifbook.theory.eif_time_to_threshold` from that potential;
``tests/test_params.py`` checks these numbers). The error this leaves in the spike times is
measured in :mod:`lifbook.accuracy` and chapter 5.

Every parameter except ``dt`` may be a scalar or an array of the population's
shape (a heterogeneous population). ``dt`` is one clock for the population.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from .validate import param_names

__all__ = [
    "CLIFParams",
    "ELIFParams",
    "LIFCoefficients",
    "EXP_ARG_CAP",
    "MAX_ABS_DRIVE",
    "print_default_parameters",
    "refractory_steps",
]

#: Largest exponent used in the ELIF term ``exp((u - theta_rh)/delta_T)``. Above
#: ``u_cap = theta_rh + 30 delta_T`` the uncapped potential reaches infinity within
#: ``tau_m e^-30 ~ 1e-13 tau_m``; the capped one rises at least at ``delta_T e^30 / tau_m`` and
#: reaches the cut-off within ``tau_m (u_th - u_cap) / (delta_T e^30)`` (1e-10 ms for
#: ``delta_T = 0.2`` mV and ``u_th = 0`` mV). That bounds the change of a spike time, and the term
#: stays finite in float32 for every ``u`` (NEST caps the exponent's ``V`` at ``V_peak`` for the
#: same reason).
EXP_ARG_CAP = 30.0

#: Largest accepted input drive ``|R * x|`` in mV. Larger values are a unit error
#: (1e12 mV), and bounding them keeps every state finite in float32.
MAX_ABS_DRIVE = 1e12

_UNITS = {
    "tau_m": "ms", "u_rest": "mV", "u_reset": "mV", "u_th": "mV", "R": "MOhm",
    "t_ref": "ms", "tau_syn": "ms", "theta_rh": "mV", "delta_T": "mV", "dt": "ms",
}

_DOC = {
    "tau_m": "membrane time constant",
    "u_rest": "resting potential",
    "u_reset": "reset potential",
    "u_th": "firing threshold (ELIF: numerical cut-off)",
    "R": "membrane resistance",
    "t_ref": "absolute refractory period",
    "tau_syn": "synaptic current time constant (0: no filter)",
    "theta_rh": "rheobase threshold",
    "delta_T": "sharpness of spike initiation (slope factor)",
    "dt": "time step",
}


def _as_param(name: str, value: Any) -> float | np.ndarray:
    """Convert one parameter to a float or a float64 array; reject non-finite and non-real."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name}: expected a real number or an array of real numbers ({_UNITS[name]}), "
                        f"got {type(value).__name__} {value!r}")
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a real number ({_UNITS[name]}), got bool {value!r}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - exotic objects
        raise TypeError(f"{name}: cannot convert {type(value).__name__} to a number ({exc})") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected real numbers ({_UNITS[name]}), got dtype {arr.dtype} "
                        f"from {type(value).__name__}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite ({_UNITS[name]}), got {value!r}")
    if arr.ndim == 0:
        return float(arr)
    arr.setflags(write=False)
    return arr


def _fmt(value: float | np.ndarray) -> str:
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, min={value.min():g}, max={value.max():g})"
    return f"{value:g}"


def refractory_steps(t_ref: float | np.ndarray, dt: float) -> int | np.ndarray:
    """Number of steps ``n_ref = round(t_ref / dt)`` a neuron is held at ``u_reset`` after a spike.

    Rounds to the nearest integer (half-way cases to even, as :func:`numpy.rint`), after
    removing float noise (``0.3 / 0.1`` is ``2.9999999999999996``). The refractory time is
    therefore ``n_ref * dt``, which differs from ``t_ref`` when ``t_ref`` is not a multiple
    of ``dt``.
    """
    ratio = np.round(np.asarray(t_ref, dtype=np.float64) / dt, 9)
    steps = np.rint(ratio).astype(np.int64)
    return int(steps) if steps.ndim == 0 else steps


class LIFCoefficients:
    """Per-step propagator coefficients shared by both models (float64 NumPy, before backend cast).

    One step of length ``dt`` with input ``x`` held constant maps ``(u, I)`` to::

        A  = u_rest + a_m (u - u_rest) + b_m x + c_syn (I - x) [+ k_nl E(u)]
        u' = A [+ k_nl2 (E(A) - E(u))]                       (the bracket: ELIF, method "etd2")
        I' = x + a_syn (I - x)

    with ``E(u) = delta_T exp(min((u - theta_rh)/delta_T, arg_cap))`` (mV), the ELIF term
    (see :func:`lifbook.dynamics.neuron_update`).

    ``method="exact"``: ``a_m = exp(-dt/tau_m)``, ``b_m = R (1 - a_m)``,
    ``a_syn = exp(-dt/tau_syn)`` (0 without filter) and
    ``c_syn = R a_m (dt/tau_m) phi(dt/tau_m - dt/tau_syn)`` with ``phi(z) = expm1(z)/z``
    (``phi(0) = 1``, the case ``tau_syn = tau_m``). This is the exact solution of the linear
    system for constant ``x`` (the matrix exponential; NEST's ``iaf_psc_exp`` propagator).

    ``method="euler"``: forward Euler, ``a_m = 1 - dt/tau_m``, ``b_m = R dt/tau_m``,
    ``a_syn = 1 - dt/tau_syn``, ``c_syn = R dt/tau_m`` (0 without filter), so that ``u'`` uses
    the current at the start of the step.

    ELIF uses the exact linear coefficients with ``"etd2"`` and ``"expeuler"``, and adds the
    exponential term:

    * ``"expeuler"`` (exponential Euler, first order): ``k_nl = 1 - exp(-dt/tau_m)``, the
      exponential frozen at its value at the start of the step (``u' = A``);
    * ``"etd2"`` (ETD2RK, Cox & Matthews 2002, second order): the same ``A``, then
      ``u' = A + k_nl2 (E(A) - E(u))`` with ``k_nl2 = (exp(-z) - 1 + z)/z``, ``z = dt/tau_m``
      (in the notation of Cox & Matthews, ``c2 = (e^{hL} - 1 - hL)/(h L^2)`` with
      ``L = -1/tau_m``, ``h = dt`` and the nonlinear term as a rate ``E(u)/tau_m``). With a synaptic
      filter the linear system is triangular (``I`` does not depend on ``u``), so the same scalar
      coefficients apply to ``u``. ``k_nl2`` is computed from its Taylor series for ``z <= 0.5``
      (no cancellation), and is 0 for every other method;
    * ``"euler"``: ``k_nl = dt/tau_m``.
    """

    def __init__(self, params: "CLIFParams", method: str):
        p = params
        dt = p.dt
        tau_m = np.asarray(p.tau_m, dtype=np.float64)
        R = np.asarray(p.R, dtype=np.float64)
        tau_syn = np.asarray(p.tau_syn, dtype=np.float64)
        has_syn = tau_syn > 0
        safe_syn = np.where(has_syn, tau_syn, 1.0)
        if method in ("exact", "expeuler", "etd2"):
            a_m = np.exp(-dt / tau_m)
            b_m = R * -np.expm1(-dt / tau_m)
            a_syn = np.where(has_syn, np.exp(-dt / safe_syn), 0.0)
            # c_syn = R (dt/tau_m) (a_syn - a_m) / z with z = dt/tau_m - dt/tau_syn, written as
            # R (dt/tau_m) a_m expm1(z)/z where |z| <= 1 (no cancellation as tau_syn -> tau_m) and
            # as the difference elsewhere (no overflow of expm1 for huge dt).
            z = dt / tau_m - dt / safe_syn
            small = np.abs(z) <= 1.0
            z_small = np.where(small & (z != 0.0), z, 1.0)
            phi = np.where(z == 0.0, 1.0, np.expm1(z_small) / z_small)
            z_big = np.where(small, 1.0, z)
            diff = np.where(small, a_m * phi, (np.where(has_syn, np.exp(-dt / safe_syn), 0.0) - a_m) / z_big)
            c_syn = np.where(has_syn, R * (dt / tau_m) * diff, 0.0)
            k_nl = -np.expm1(-dt / tau_m)
        elif method == "euler":
            a_m = 1.0 - dt / tau_m
            b_m = R * dt / tau_m
            a_syn = np.where(has_syn, 1.0 - dt / safe_syn, 0.0)
            c_syn = np.where(has_syn, R * dt / tau_m, 0.0)
            k_nl = dt / tau_m
        else:  # pragma: no cover - validated by the caller
            raise ValueError(method)
        self.method = method
        self.has_syn = bool(np.any(has_syn))
        self.a_m = _simplify(a_m)
        self.b_m = _simplify(b_m)
        self.a_syn = _simplify(a_syn)
        self.c_syn = _simplify(c_syn)
        self.k_nl = _simplify(k_nl)
        self.k_nl2 = _simplify(_etd2_weight(dt / tau_m) if method == "etd2" else np.zeros_like(tau_m))
        self.n_ref = refractory_steps(p.t_ref, dt)


def _etd2_weight(z: np.ndarray) -> np.ndarray:
    """``(exp(-z) - 1 + z)/z`` for ``z = dt/tau_m > 0``, to full float64 precision.

    For ``z <= 0.5`` the Taylor series ``sum_n (-1)^n z^(n-1) / n!`` (n = 2..19, ``z/2 - z^2/6 + ...``;
    the first omitted term is below 1e-23 relative), where the closed form would lose digits to cancellation;
    above, the closed form (relative error a few ulp).
    """
    z = np.asarray(z, dtype=np.float64)
    zs = np.minimum(z, 0.5)
    series = np.zeros_like(zs)
    term = zs * 0.5  # z / 2!
    for k in range(1, 19):
        series = series + term
        term = term * (-zs) / (k + 2)
    zb = np.where(z > 0.5, z, 1.0)
    closed = (np.expm1(-zb) + zb) / zb
    return np.where(z > 0.5, closed, series)


def _simplify(a: np.ndarray) -> float | np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return float(a) if a.ndim == 0 else a


@dataclass(frozen=True)
class CLIFParams:
    """Current-based leaky integrate-and-fire parameters (ms, mV, MOhm, nA).

    ``tau_m du/dt = -(u - u_rest) + R I(t)``; if ``u >= u_th``: spike, ``u <- u_reset``, held
    for ``t_ref``. With ``tau_syn > 0``, ``tau_syn dI/dt = -I + x(t)``; with ``tau_syn = 0``,
    ``I = x``. See the module docstring for the defaults and their sources.

    Parameters
    ----------
    tau_m : float or array_like
        Membrane time constant (ms).
    u_rest, u_reset, u_th : float or array_like
        Resting potential, reset potential and threshold (mV).
    R : float or array_like
        Membrane resistance (MOhm); ``R I`` is in mV for ``I`` in nA.
    t_ref : float or array_like
        Refractory period (ms).
    tau_syn : float or array_like
        Synaptic time constant (ms); 0 (default) feeds the input straight into the membrane.
    dt : float
        Time step (ms).

    Raises
    ------
    ValueError
        A value out of range (e.g. ``tau_m <= 0``, ``u_reset >= u_th``), naming the field.

    Examples
    --------
    >>> from lifbook.params import CLIFParams
    >>> p = CLIFParams()
    >>> p.tau_m, p.u_th, p.R
    (8.0, -50.0, 10.0)
    >>> p.replace(tau_m=10.0).tau_m
    10.0
    """

    tau_m: Any = 8.0
    u_rest: Any = -70.0
    u_reset: Any = -65.0
    u_th: Any = -50.0
    R: Any = 10.0
    t_ref: Any = 2.0
    tau_syn: Any = 0.0
    dt: Any = 0.1

    model = "CLIF"

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, _as_param(f.name, getattr(self, f.name)))
        self._check()

    # -- validation -----------------------------------------------------------------
    def _check(self):
        if not isinstance(self.dt, float):
            raise ValueError(f"dt: must be a scalar (one clock per population, ms), got {_fmt(self.dt)}")
        if self.dt <= 0:
            raise ValueError(f"dt: must be > 0 ms, got {self.dt:g}")
        self._positive("tau_m")
        self._positive("R")
        self._nonnegative("t_ref")
        self._nonnegative("tau_syn")
        bad = np.asarray(self.u_th) <= np.asarray(self.u_reset)
        if np.any(bad):
            raise ValueError(f"u_th: must be > u_reset (the reset must lie below the threshold), "
                             f"got u_th={_fmt(self.u_th)} mV, u_reset={_fmt(self.u_reset)} mV")

    def _positive(self, name):
        v = getattr(self, name)
        if np.any(np.asarray(v) <= 0):
            raise ValueError(f"{name}: must be > 0 {_UNITS[name]}, got {_fmt(v)}")

    def _nonnegative(self, name):
        v = getattr(self, name)
        if np.any(np.asarray(v) < 0):
            raise ValueError(f"{name}: must be >= 0 {_UNITS[name]}, got {_fmt(v)}")

    def check_shape(self, shape: tuple[int, ...]) -> None:
        """Every array parameter must have exactly the population's ``shape`` (no silent broadcast)."""
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray) and v.shape != tuple(shape):
                raise ValueError(f"{f.name}: a per-neuron parameter must have the population's shape "
                                 f"{tuple(shape)} (or be a scalar), got shape {v.shape}")

    # -- convenience ------------------------------------------------------------------
    def replace(self, **changes) -> "CLIFParams":
        """A copy with some parameters changed (validated again; unknown names are a ``TypeError``)."""
        self.check_names(changes)
        return replace(self, **changes)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The parameter names, in order (``tau_m``, ``u_rest``, ...)."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def check_names(cls, given) -> None:
        """``TypeError`` naming the first unknown parameter in ``given``, the closest valid name and all of them."""
        notes = {}
        if cls.model == "CLIF":
            notes = {k: "an ELIF parameter: use ELIFParams or ELIFPopulation" for k in ("theta_rh", "delta_T")}
        param_names(given, cls.names(), f"a{'n' if cls.model[0] in 'AEFHILMNORSX' else ''} {cls.model} parameter",
                    notes)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def coefficients(self, method: str) -> LIFCoefficients:
        return LIFCoefficients(self, method)

    @property
    def n_ref(self):
        """Refractory steps, ``round(t_ref / dt)``."""
        return refractory_steps(self.t_ref, self.dt)

    def describe(self) -> str:
        lines = [f"{self.model} parameters:"]
        for f in fields(self):
            lines.append(f"  {f.name:<8} = {_fmt(getattr(self, f.name)):>10} {_UNITS[f.name]:<5} {_DOC[f.name]}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ELIFParams(CLIFParams):
    """Exponential leaky integrate-and-fire parameters (Fourcaud-Trocme et al. 2003).

    ``tau_m du/dt = -(u - u_rest) + delta_T exp((u - theta_rh)/delta_T) + R I(t)``; a spike is
    registered when ``u >= u_th`` (the numerical cut-off, which must lie above ``theta_rh``),
    then ``u <- u_reset`` for ``t_ref``.

    Parameters
    ----------
    theta_rh : float or array_like
        Rheobase threshold (mV): where the exponential term takes over.
    delta_T : float or array_like
        Slope factor (mV): how sharp the spike onset is.
    **others
        As :class:`CLIFParams` (different defaults: ``tau_m = 12`` ms, ``R = 20`` MOhm,
        ``u_th = -30`` mV is the numerical cut-off).

    Examples
    --------
    >>> from lifbook.params import ELIFParams
    >>> p = ELIFParams()
    >>> p.theta_rh, p.delta_T, p.u_th
    (-55.0, 2.0, -30.0)
    """

    tau_m: Any = 12.0
    u_rest: Any = -65.0
    u_reset: Any = -60.0
    u_th: Any = -30.0
    R: Any = 20.0
    t_ref: Any = 2.0
    tau_syn: Any = 0.0
    dt: Any = 0.1
    theta_rh: Any = -55.0
    delta_T: Any = 2.0

    model = "ELIF"

    def _check(self):
        super()._check()
        self._positive("delta_T")
        bad = np.asarray(self.u_th) <= np.asarray(self.theta_rh)
        if np.any(bad):
            raise ValueError(f"u_th: the ELIF cut-off must be > theta_rh, got u_th={_fmt(self.u_th)} mV, "
                             f"theta_rh={_fmt(self.theta_rh)} mV")

    @property
    def exp_arg_cap(self):
        """Cap on ``(u - theta_rh)/delta_T``, the cut-off's value and at most :data:`~lifbook.params.EXP_ARG_CAP`."""
        cap = np.minimum((np.asarray(self.u_th) - np.asarray(self.theta_rh)) / np.asarray(self.delta_T),
                         EXP_ARG_CAP)
        return _simplify(cap)


def _check_names_first(cls):
    """Wrap the dataclass ``__init__``: unknown keywords get :meth:`CLIFParams.check_names`'s message."""
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if kwargs:
            type(self).check_names(kwargs)
        init(self, *args, **kwargs)

    cls.__init__ = __init__
    return cls


_check_names_first(CLIFParams)
_check_names_first(ELIFParams)


def print_default_parameters() -> None:
    """Print the default CLIF and ELIF parameters with units."""
    print(CLIFParams().describe())
    print(ELIFParams().describe())
