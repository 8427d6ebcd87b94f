"""Spike-timing accuracy: lifbook's spike times against an independent reference.

The measurement behind chapter 5's accuracy table and ``tests/test_accuracy.py``: one neuron
per constant current, simulated by a population with a given ``method`` and ``spike_timing``,
its spike times compared spike by spike (the k-th with the k-th) with the reference:

* ELIF: :func:`lifbook.reference.spike_times` (scipy DOP853 at ``rtol = atol = 1e-10``, the
  crossing located by its event finder, exact reset and refractory period);
* CLIF: the closed form :func:`lifbook.theory.lif_spike_times` (``tau_syn = 0``).

Both start at ``u_rest`` at ``t = 0`` and hold ``u_reset`` for exactly ``t_ref`` after each
spike. A spike registered on the grid carries the time of the end of its step
(:class:`~lifbook.record.Record`), so grid spikes are late by up to one step plus the
integrator's own delay.

The standard workload (:data:`WORKLOAD`, :data:`CURRENTS`, :data:`DURATION`) is the one of the
project's accuracy targets: ``tau_m`` = 10 ms, ``u_rest = u_reset`` = -65 mV, ``theta_rh`` =
-55 mV, ``delta_T`` = 2 mV, ``u_th`` = -30 mV, ``R`` = 10 MOhm, ``t_ref`` = 2 ms, ``dt`` = 0.1 ms,
1000 ms of constant current, ``I`` in {0.85, 1, 2, 4} nA (rheobase 0.8 nA). The CLIF workload
is its LIF limit (threshold at ``theta_rh``: ``u_th`` = -55 mV, rheobase 1 nA) with
:data:`CLIF_CURRENTS`.

The reference needs scipy (the ``test`` and ``book`` extras).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import CLIFParams, ELIFParams
from .population import CLIFPopulation, ELIFPopulation

__all__ = ["WORKLOAD", "CURRENTS", "CLIF_CURRENTS", "DURATION", "workload_params", "reference_spike_times",
           "simulated_spike_times", "SpikeTimeErrors", "spike_time_errors", "convergence"]

#: Parameters of the accuracy workload (ms, mV, MOhm).
WORKLOAD = dict(tau_m=10.0, u_rest=-65.0, u_reset=-65.0, theta_rh=-55.0, delta_T=2.0, u_th=-30.0, R=10.0,
                t_ref=2.0, dt=0.1)
#: Currents of the ELIF workload (nA); the rheobase is 0.8 nA.
CURRENTS = (0.85, 1.0, 2.0, 4.0)
#: Currents of the CLIF workload (nA); the rheobase is 1 nA.
CLIF_CURRENTS = (1.1, 1.5, 2.0, 4.0)
#: Duration of the workload (ms).
DURATION = 1000.0

_MODELS = {"ELIF": (ELIFParams, ELIFPopulation), "CLIF": (CLIFParams, CLIFPopulation)}


def _model(model: str):
    if model not in _MODELS:
        raise ValueError(f"model: expected 'ELIF' or 'CLIF', got {model!r}")
    return _MODELS[model]


def workload_params(model: str = "ELIF", **overrides):
    """The workload's parameters as :class:`~lifbook.params.ELIFParams`.

    With ``model="CLIF"``, :class:`~lifbook.params.CLIFParams` with ``u_th = theta_rh`` = -55 mV;
    ``overrides`` (e.g. ``dt``) applied."""
    Params, _ = _model(model)
    values = dict(WORKLOAD)
    if model == "CLIF":
        values["u_th"] = values.pop("theta_rh")
        values.pop("delta_T")
    values.update(overrides)
    return Params(**values)


def _params_of(model, params, overrides):
    Params, _ = _model(model)
    if params is None:
        return workload_params(model, **overrides)
    if type(params) is not Params:
        raise TypeError(f"params: model {model!r} needs {Params.__name__}, got {type(params).__name__}")
    return params.replace(**overrides) if overrides else params


def reference_spike_times(model: str, I: float, duration: float = DURATION, *, params=None,
                          **overrides) -> np.ndarray:
    """Reference spike times (ms) of one neuron from rest under constant ``I`` (nA), up to ``duration`` ms.

    ELIF: :func:`lifbook.reference.spike_times` (scipy DOP853); CLIF: the closed form
    :func:`lifbook.theory.lif_spike_times`. ``params`` defaults to :func:`workload_params`.
    """
    p = _params_of(model, params, overrides)
    if model == "ELIF":
        from .reference import spike_times
        return spike_times(p, float(I), float(duration))
    from .theory import lif_spike_times
    return lif_spike_times(float(I), float(duration), params=p)


def simulated_spike_times(model: str, currents, duration: float = DURATION, *, params=None,
                          method: str | None = None, spike_timing: str = "grid", backend: str | None = None,
                          dtype=None, engine: str = "auto", **overrides) -> list:
    """Spike times (ms) of lifbook's populations, one neuron per current in ``currents`` (nA), from rest.

    One population of ``len(currents)`` neurons runs ``round(duration / dt)`` steps with the
    ``method``, ``spike_timing``, ``backend``, ``dtype`` and ``engine`` given (``None``/``"auto"``:
    the population's defaults; NumPy, float64, numba where installed); returns one array of times per current (:meth:`~lifbook.record.Record.spike_times`).
    """
    p = _params_of(model, params, overrides)
    _, Population = _model(model)
    I = np.atleast_1d(np.asarray(currents, dtype=np.float64))
    if I.ndim != 1 or I.size == 0:
        raise ValueError(f"currents: expected a non-empty 1-d array of currents (nA), got {currents!r}")
    kw = {} if spike_timing == "grid" else {"spike_timing": spike_timing}  # "grid": also before precise timing
    pop = Population(n=I.size, params=p, method=method, backend=backend, dtype=dtype, engine=engine, **kw)
    steps = int(round(duration / p.dt))
    rec = pop.run(pop.backend.as_input(I, "currents", np.inf, check=False), steps=steps, record=("spikes",))
    rec = rec.numpy()
    return [np.asarray(rec.spike_times(j), dtype=np.float64) for j in range(I.size)]


@dataclass
class SpikeTimeErrors:
    """Spike times of a simulation against the reference, per current (times in ms).

    ``first``: first spike, simulated minus reference (positive: late; NaN if either has none);
    ``last``: the same for the last spike both have (index ``min(count, count_ref) - 1``: the
    drift accumulated over the run); ``max_abs``: the largest ``|error|`` over those matched
    spikes; ``count``, ``count_ref``: spikes in the run.
    """

    model: str
    method: str
    spike_timing: str
    currents: np.ndarray
    first: np.ndarray
    last: np.ndarray
    max_abs: np.ndarray
    count: np.ndarray
    count_ref: np.ndarray
    times: list
    ref_times: list

    @property
    def count_error(self) -> np.ndarray:
        """``count - count_ref`` per current."""
        return self.count - self.count_ref

    def rows(self) -> list[dict]:
        """One dict per current: ``I``, ``first``, ``last``, ``max_abs`` (ms), ``count``, ``count_ref``."""
        return [dict(I=float(i), first=float(f), last=float(la), max_abs=float(m), count=int(c), count_ref=int(r))
                for i, f, la, m, c, r in zip(self.currents, self.first, self.last, self.max_abs, self.count,
                                             self.count_ref)]


def _compare(sim: np.ndarray, ref: np.ndarray):
    m = min(sim.size, ref.size)
    if m == 0:
        return np.nan, np.nan, np.nan
    d = sim[:m] - ref[:m]
    return d[0], d[-1], np.max(np.abs(d))


def spike_time_errors(model: str = "ELIF", currents=None, duration: float = DURATION, *, params=None,
                      method: str | None = None, spike_timing: str = "grid", backend: str | None = None,
                      dtype=None, engine: str = "auto", reference: list | None = None,
                      **overrides) -> SpikeTimeErrors:
    """Measure lifbook's spike times against the reference on the workload (see the module docstring).

    ``currents`` (nA) default to :data:`CURRENTS` (ELIF) or :data:`CLIF_CURRENTS`; ``params`` to
    :func:`workload_params` with ``overrides`` (e.g. ``dt=0.05``); ``method``,
    ``spike_timing``, ``backend``, ``dtype``, ``engine`` go to the population. ``reference``: precomputed
    reference spike times, one array per current (they do not depend on ``dt``, ``method`` or
    the timing mode, so a study over many settings computes them once).
    """
    p = _params_of(model, params, overrides)
    if currents is None:
        currents = CURRENTS if model == "ELIF" else CLIF_CURRENTS
    I = np.atleast_1d(np.asarray(currents, dtype=np.float64))
    sims = simulated_spike_times(model, I, duration, params=p, method=method, spike_timing=spike_timing,
                                 backend=backend, dtype=dtype, engine=engine)
    if reference is None:
        reference = [reference_spike_times(model, i, duration, params=p) for i in I]
    elif len(reference) != I.size:
        raise ValueError(f"reference: expected one array of spike times per current ({I.size}), got {len(reference)}")
    cmp = np.array([_compare(s, r) for s, r in zip(sims, reference)], dtype=np.float64).reshape(-1, 3)
    _, Population = _model(model)
    return SpikeTimeErrors(model=model, method=method or Population.default_method, spike_timing=spike_timing,
                           currents=I, first=cmp[:, 0], last=cmp[:, 1], max_abs=cmp[:, 2],
                           count=np.array([s.size for s in sims]), count_ref=np.array([r.size for r in reference]),
                           times=sims, ref_times=[np.asarray(r) for r in reference])


def convergence(model: str = "ELIF", dts=(0.2, 0.1, 0.05, 0.025), currents=None, duration: float = 100.0, *,
                params=None, method: str | None = None, spike_timing: str = "grid", **overrides):
    """Spike-time error against ``dt`` and its fitted order: ``(errors, order)``.

    The error at each ``dt`` (ms) is the mean, over ``currents`` and over the matched spikes of
    each (see :class:`SpikeTimeErrors`) within ``duration`` ms, of ``|t_sim - t_ref|``. Averaging
    over spikes and currents smooths the grid's sawtooth (each grid spike is late by a fraction
    of a step that jumps with ``I`` and ``dt``). ``order`` is the slope of ``log error`` against
    ``log dt`` (:func:`lifbook.analysis.fit_order`): about 1 on the grid, 2 or more with
    precise timing. ``currents`` default to 8 currents from 0.9 to 4 nA (ELIF) or 1.2 to 4 nA
    (CLIF).
    """
    from .analysis import fit_order

    p = _params_of(model, params, overrides)
    if currents is None:
        currents = np.linspace(0.9, 4.0, 8) if model == "ELIF" else np.linspace(1.2, 4.0, 8)
    I = np.atleast_1d(np.asarray(currents, dtype=np.float64))
    dts = np.asarray(dts, dtype=np.float64)
    ref = [reference_spike_times(model, i, duration, params=p) for i in I]
    errors = []
    for dt in dts:
        sims = simulated_spike_times(model, I, duration, params=p.replace(dt=float(dt)), method=method,
                                     spike_timing=spike_timing)
        per = []
        for s, r in zip(sims, ref):
            m = min(s.size, r.size)
            if m:
                per.append(np.mean(np.abs(s[:m] - r[:m])))
        if not per:
            raise ValueError("currents: no current made the neuron fire within the duration")
        errors.append(float(np.mean(per)))
    errors = np.array(errors)
    return errors, fit_order(dts, errors)


def local_errors(u, I: float, *, method: str | None = None, params=None, **overrides) -> np.ndarray:
    """One step's error (mV): lifbook's ELIF update from ``u`` (mV, array) minus the exact solution.

    Each neuron starts a step of ``dt`` at one potential of ``u`` (below the cut-off, not
    refractory) under constant ``I`` (nA); the update is lifbook's own (:func:`lifbook.dynamics.lif_step`
    with the coefficients of ``method``), the exact value :func:`lifbook.theory.eif_subthreshold`
    at ``t = dt``. Positive: the method runs ahead; negative: it lags. ``params`` defaults to
    :func:`workload_params` (ELIF) with ``overrides`` (e.g. ``dt``).
    """
    from .dynamics import LIFState, lif_step
    from .theory import eif_subthreshold

    p = _params_of("ELIF", params, overrides).replace(t_ref=0.0)
    u = np.atleast_1d(np.asarray(u, dtype=np.float64))
    if u.ndim != 1 or np.any(u >= p.u_th):
        raise ValueError(f"u: expected a 1-d array of potentials below the cut-off u_th = {p.u_th:g} mV")
    pop = ELIFPopulation(n=u.size, params=p, method=method, backend="numpy", engine="reference")
    _, state = lif_step(np.full(u.size, float(I)), LIFState(u.copy(), None, None), pop._coef, pop.backend.ops)
    exact = np.array([eif_subthreshold(p.dt, float(I), u0=float(v), params=p) for v in u])
    return state.v - exact


__all__ += ["local_errors"]


def markdown_table(results, digits: int = 3) -> str:
    """A Markdown table of :class:`SpikeTimeErrors` (one row each, the same currents), with the reference.

    Columns: method, timing, first-spike error (ms, positive: late), last-spike error (ms, the
    last spike both have), and the spike counts, each listed over the currents as ``a / b / ...``.
    Errors have ``digits`` decimals, or two significant digits when smaller than ``10**(1 - digits)`` ms.
    The first row is the reference's counts.
    """
    results = list(results)
    if not results or not all(isinstance(r, SpikeTimeErrors) for r in results):
        raise TypeError("results: expected a non-empty list of SpikeTimeErrors")
    I = results[0].currents
    if any(r.currents.shape != I.shape or np.any(r.currents != I) for r in results):
        raise ValueError("results: every row must use the same currents")

    def join(values, fmt):
        return " / ".join(fmt(v) for v in values)

    def ms(v):  # fixed point, or two significant digits below 10**-(digits - 1) ms
        if not np.isfinite(v):
            return "-"
        return f"{v:+.{digits}f}" if abs(v) >= 10.0 ** (1 - digits) or v == 0 else f"{v:+.1e}"

    currents = join(I, lambda v: f"{v:g}")
    lines = ["| method | timing | first spike (ms) | last spike (ms) | spikes |",
             "|---|---|---|---|---|",
             f"| *I (nA)* | | *{currents}* | *{currents}* | *{currents}* |",
             f"| reference | | | | {join(results[0].count_ref, str)} |"]
    for r in results:
        lines.append(f"| {r.method} | {r.spike_timing} | {join(r.first, ms)} | {join(r.last, ms)} | "
                     f"{join(r.count, str)} |")
    return "\n".join(lines)


__all__ += ["markdown_table"]
