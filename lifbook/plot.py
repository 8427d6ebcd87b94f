"""Plots with matplotlib: voltage trace with spikes, current, raster, population rate, f-I curve,
phase plane. Every function draws on ``ax`` (a new figure if ``None``) and returns the axes.
"""
from __future__ import annotations

import numpy as np

from . import theory
from .params import CLIFParams, ELIFParams
from .record import Record, _to_numpy

__all__ = ["voltage_trace", "current_trace", "raster", "population_rate", "fi_curve", "phase_plane"]

#: Height (mV) of the marks drawn above threshold at spike times. The models have no
#: action-potential shape: a spike is an event, and the mark only shows where it happened.
SPIKE_MARK_MV = 20.0


def _axes(ax, figsize=(7, 3)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _trace(rec: Record, name: str, index):
    a = getattr(rec, name)
    if a is None:
        raise ValueError(f"{name!r} was not recorded: run(..., record=(..., {name!r}))")
    a = _to_numpy(a)
    idx = index if isinstance(index, tuple) else (index,)
    tr = a[(slice(None),) + idx]
    if tr.ndim != 1:
        raise ValueError(f"index: {index!r} selects {tr.shape[1:]} neurons, not one; state shape {a.shape[1:]}")
    return tr


def voltage_trace(rec: Record, index=0, ax=None, threshold: bool = True, label: str | None = None,
                  color=None):
    """Membrane potential of one neuron against time, spikes marked above threshold.

    ``index`` selects the neuron in the state shape (``(trial, neuron)`` for batched runs; for a
    1-neuron population use 0). The dashed line is ``u_th`` (the ELIF cut-off).

    Parameters
    ----------
    rec : Record
        A run that recorded ``"v"`` (:class:`~lifbook.record.Record`).
    index : int or tuple
        Which neuron.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (default: a new figure).
    threshold : bool
        Draw ``u_th`` as a dashed line.
    label, color : optional
        Passed to matplotlib.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.

    Examples
    --------
    >>> from lifbook import CLIFPopulation, plot
    >>> rec = CLIFPopulation(n=1).run(2.5, steps=1000, record=("spikes", "v"))
    >>> ax = plot.voltage_trace(rec)
    >>> ax.get_xlabel()
    'time (ms)'
    """
    ax = _axes(ax)
    idx = _fix_index(rec, index)
    v = _trace(rec, "v", idx)
    u_th = _param_at(rec.params.u_th, idx, rec)
    line, = ax.plot(rec.t, v, lw=1.2, color=color, label=label)
    if rec.spikes is not None:
        k = np.flatnonzero(_trace(rec, "spikes", idx))
        if len(k):
            # From the last recorded subthreshold value (the step before the spike) to above threshold.
            before = np.where(k > 0, v[np.maximum(k - 1, 0)], v[k])
            ax.vlines(rec.t[k], before, u_th + SPIKE_MARK_MV, color=line.get_color(), lw=1.2)
    if threshold:
        ax.axhline(u_th, ls="--", lw=0.8, color="0.4")
        ax.annotate(r"$u_{th}$", (rec.t[0], u_th), xytext=(2, 2), textcoords="offset points", color="0.3")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("u (mV)")
    return ax


def _fix_index(rec, index):
    shape = rec.meta.get("state_shape")
    idx = index if isinstance(index, tuple) else (index,)
    if shape is not None and len(idx) < len(shape) and all(d == 1 for d in shape[: len(shape) - len(idx)]):
        idx = (0,) * (len(shape) - len(idx)) + idx
    return idx


def _param_at(value, idx, rec):
    a = np.asarray(value)
    if a.ndim == 0:
        return float(a)
    shape = rec.meta.get("state_shape", a.shape)
    return float(a[idx[len(shape) - a.ndim:]])


def current_trace(rec: Record, index=0, ax=None, label: str | None = None, color=None):
    """Current ``I`` (nA) of one neuron against time (needs ``record=(..., "i")``)."""
    ax = _axes(ax, figsize=(7, 1.8))
    ax.plot(rec.t, _trace(rec, "i", _fix_index(rec, index)), lw=1.2, label=label, color=color)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("I (nA)")
    return ax


def raster(rec: Record, ax=None, max_neurons: int | None = None, color="k", s: float = 2.0):
    """Spike raster: one row per neuron (flattened state index, or global index of a network), a dot per spike."""
    ax = _axes(ax)
    t, j = rec.spike_events()
    if max_neurons is not None:
        keep = j < max_neurons
        t, j = t[keep], j[keep]
    ax.scatter(t, j, s=s, marker="|" if s <= 4 else "o", color=color, linewidths=1.0)
    n = rec.n if hasattr(rec, "populations") else int(np.prod(rec.spikes.shape[1:]))  # a NetworkRecord: rec.n
    ax.set_ylim(-0.5, (min(n, max_neurons) if max_neurons else n) - 0.5)
    ax.set_xlim(rec.t[0] - rec.dt, rec.t[-1])
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    return ax


def population_rate(rec: Record, bin_ms: float = 1.0, ax=None, color=None, label=None):
    """Population rate (Hz): spikes per neuron per bin, averaged over all recorded neurons and trials.

    Each bin is drawn over the time it covers, ``[t_end - bin, t_end)`` with ``t_end`` the bin end
    times of :meth:`~lifbook.record.Record.population_rate` (``bin_ms`` rounded to whole steps). For a batched run
    of one neuron (state shape ``(trials, 1)``) this is the trial-averaged PSTH (see :func:`psth`).
    """
    ax = _axes(ax, figsize=(7, 2))
    t_end, r = rec.population_rate(bin_ms)
    width = t_end[0] - (rec.t[0] - rec.dt)  # the bin width after rounding to whole steps
    edges = np.append(t_end - width, t_end[-1])
    ax.stairs(r, edges, color=color, label=label, lw=1.2)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    return ax


def fi_curve(currents, rates, ax=None, label: str | None = None, marker=None, **kwargs):
    """Firing rate (Hz) against constant current (nA)."""
    ax = _axes(ax, figsize=(5, 3.5))
    ax.plot(np.asarray(currents), np.asarray(rates), marker=marker, label=label, **kwargs)
    ax.set_xlabel("I (nA)")
    ax.set_ylabel("rate (Hz)")
    return ax


def phase_plane(I, params: CLIFParams | None = None, ax=None, u_range=None, color=None):
    """``du/dt`` against ``u`` under constant ``I``, fixed points marked (filled: stable, open: unstable).

    For :class:`~lifbook.params.ELIFParams` (default) the EIF right-hand side; for
    :class:`~lifbook.params.CLIFParams` the LIF one. Arrows on the axis show the direction of flow.
    """
    ax = _axes(ax, figsize=(5, 3.5))
    p = ELIFParams() if params is None else params
    eif = isinstance(p, ELIFParams)
    if u_range is None:
        u_range = (min(p.u_rest, p.u_reset) - 10.0, p.u_th + (5.0 if eif else 5.0))
    u = np.linspace(*u_range, 600)
    du = theory.eif_du_dt(u, I, p) if eif else theory.lif_du_dt(u, I, p)
    line, = ax.plot(u, du, color=color, lw=1.5, label=f"I = {I:g} nA")
    ax.axhline(0, color="0.5", lw=0.8)
    if eif:
        us, uu = theory.eif_fixed_points(I, p)
        if np.isfinite(us):
            ax.plot([us], [0], "o", color=line.get_color(), ms=7)
            ax.plot([uu], [0], "o", mfc="white", color=line.get_color(), ms=7)
        ax.axvline(p.theta_rh, ls=":", color="0.5", lw=0.8)
    else:
        u_fp = p.u_rest + p.R * I
        if u_range[0] < u_fp < p.u_th:
            ax.plot([u_fp], [0], "o", color=line.get_color(), ms=7)
    ax.axvline(p.u_th, ls="--", color="0.4", lw=0.8)
    lim = np.percentile(np.abs(du), 90) * 1.5 + 1e-9
    ax.set_ylim(-lim, lim)
    ax.set_xlim(*u_range)
    ax.set_xlabel("u (mV)")
    ax.set_ylabel("du/dt (mV/ms)")
    return ax


def convergence(dts, errors, ax=None, label: str | None = None, marker="o", fit: bool = True, **kwargs):
    """Error against time step on log-log axes; with ``fit``, the fitted order joins the label.

    The order is the slope of ``log(error)`` against ``log(dt)`` (:func:`lifbook.analysis.fit_order`).
    """
    from .analysis import fit_order

    ax = _axes(ax, figsize=(5, 3.5))
    dts, errors = np.asarray(dts, dtype=float), np.asarray(errors, dtype=float)
    if fit:
        q = fit_order(dts, errors)
        label = f"{label + ': ' if label else ''}order {q:.2f}"
    ax.loglog(dts, errors, marker=marker, label=label, **kwargs)
    # Label the time steps themselves; log-scale minor labels (3e-2, 4e-2, ...) would collide.
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    ax.xaxis.set_major_locator(FixedLocator(np.unique(dts)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("dt (ms)")
    ax.set_ylabel("error")
    return ax


def fixed_points(currents, params: ELIFParams | None = None, ax=None, color=None):
    """EIF fixed points against constant current: the saddle-node bifurcation diagram.

    Stable branch solid, unstable branch dashed; they meet at the rheobase (marked), above
    which there is no fixed point and the neuron fires.
    """
    ax = _axes(ax, figsize=(5, 3.5))
    p = ELIFParams() if params is None else params
    I = np.asarray(currents, dtype=float)
    us, uu = theory.eif_fixed_points(I, p)
    line, = ax.plot(I, us, color=color, lw=1.6, label="stable")
    ax.plot(I, uu, color=line.get_color(), lw=1.6, ls="--", label="unstable")
    I_rh = float(theory.eif_rheobase(p))
    ax.plot([I_rh], [float(np.asarray(p.theta_rh))], "o", mfc="white", color=line.get_color(), ms=6)
    ax.axvline(I_rh, ls=":", color="0.5", lw=0.8)
    ax.axhline(float(np.asarray(p.theta_rh)), ls=":", color="0.5", lw=0.8)
    ax.set_xlabel("I (nA)")
    ax.set_ylabel("fixed point u* (mV)")
    return ax


def leak_factor(dt, tau_m: float = 8.0, ax=None):
    """Per-step factor on the deviation ``u - u_inf``: Euler ``1 - dt/tau_m`` and exact ``exp(-dt/tau_m)``.

    Shaded: ``|factor| > 1`` (Euler grows without bound). Between 0 and -1 Euler oscillates and
    decays; the exact factor lies in (0, 1) for every ``dt``.
    """
    ax = _axes(ax, figsize=(5, 3.2))
    dt = np.asarray(dt, dtype=float)
    ax.plot(dt, 1.0 - dt / tau_m, color="C3", lw=1.6, label=r"Euler $1 - \Delta t/\tau_m$")
    ax.plot(dt, np.exp(-dt / tau_m), color="C0", lw=1.6, label=r"exact $e^{-\Delta t/\tau_m}$")
    lo = min(-1.5, float(np.min(1.0 - dt / tau_m)))
    ax.axhspan(lo - 1.0, -1.0, color="C3", alpha=0.12, lw=0)
    ax.axhline(0.0, color="0.5", lw=0.8)
    for x, name in ((tau_m, r"$\tau_m$"), (2 * tau_m, r"$2\tau_m$")):
        ax.axvline(x, ls=":", color="0.5", lw=0.8)
        ax.text(x, 1.0, name, transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=8, color="0.3")
    ax.set_ylim(lo, 1.1)
    ax.set_xlim(float(dt.min()), float(dt.max()))
    ax.set_xlabel("dt (ms)")
    ax.set_ylabel("factor per step")
    return ax


__all__ += ["convergence", "fixed_points", "leak_factor"]


def psth(rec: Record, bin_ms: float = 5.0, ax=None, color=None, label=None):
    """Peri-stimulus time histogram: :func:`population_rate` with 5 ms bins by default."""
    return population_rate(rec, bin_ms=bin_ms, ax=ax, color=color, label=label)


__all__ += ["psth"]


def throughput(table: dict, ax=None, caches: dict | None = None, bytes_per_update: float | None = None,
               marker="o", **kwargs):
    """Million neuron-updates per second against population size, one line per implementation.

    ``table`` is ``{name: {N: M updates/s}}`` (:func:`lifbook.scale.throughput_table`, or
    measured with :func:`lifbook.scale.throughput`). With ``caches`` (``{"L2": bytes, ...}``,
    :func:`lifbook.scale.cache_sizes`) and ``bytes_per_update``, a dotted line marks the ``N``
    whose state (``bytes_per_update`` bytes per neuron) fills each cache.
    """
    ax = _axes(ax, figsize=(6, 3.5))
    for name, d in table.items():
        N = np.array(sorted(d), dtype=float)
        ax.loglog(N, [d[int(n)] for n in N], marker=marker, label=name, **kwargs)
    if caches and bytes_per_update:
        for level, size in caches.items():
            if level.startswith("L1"):
                continue
            ax.axvline(size / bytes_per_update, color="0.5", ls=":", lw=1)
            ax.text(size / bytes_per_update, 1.0, f" {level}", transform=ax.get_xaxis_transform(), va="top",
                    fontsize=8, color="0.4")
    ax.set_xlabel("neurons N")
    ax.set_ylabel("million updates / s")
    return ax


def benchmark_bars(rows, ax=None, color="C0", highlight: str = "lifbook", highlight_color="C3"):
    """Horizontal bars of a benchmark's medians with min-max ranges, on a log axis.

    ``rows`` are rows of the benchmark results (:func:`lifbook.scale.workload_rows` of
    :func:`lifbook.scale.load_benchmark`): ``impl``, ``mups_median``, ``mups_min``, ``mups_max``.
    Names containing ``highlight`` are drawn in ``highlight_color``.
    """
    ax = _axes(ax, figsize=(6, 0.35 * len(rows) + 1))
    names = [r["impl"] for r in rows]
    med = np.array([r["mups_median"] for r in rows])
    lo, hi = np.array([r["mups_min"] for r in rows]), np.array([r["mups_max"] for r in rows])
    colors = [highlight_color if highlight and highlight in n else color for n in names]
    y = np.arange(len(rows))
    ax.barh(y, med, color=colors, xerr=[med - lo, hi - med], error_kw=dict(lw=1, capsize=2, ecolor="0.3"))
    for k, v in enumerate(med):
        ax.text(hi[k] * 1.15, k, f"{v:,.0f}", va="center", fontsize=8)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(min(10.0, lo.min() / 2), hi.max() * 6)
    ax.invert_yaxis()
    ax.set_xlabel("million neuron-updates / s")
    return ax


__all__ += ["throughput", "benchmark_bars"]


def hysteresis(currents, rates_up, rates_down, params: ELIFParams | None = None, ax=None, theory_points: int = 400):
    """The EIF f-I curve swept up and down (markers) over the two theory branches (lines).

    ``rates_up``/``rates_down`` (Hz) as :func:`lifbook.analysis.hysteresis_sweep` returns them
    for ``currents`` (nA). Lines: :func:`lifbook.theory.eif_rate` from rest (solid) and from
    reset (dashed: the periodic orbit), on a fine grid over the same range; the bistable range
    (:func:`lifbook.theory.eif_bistable_range`) is shaded.
    """
    ax = _axes(ax, figsize=(6, 3.5))
    p = ELIFParams() if params is None else params
    I = np.asarray(currents, dtype=float)
    fine = np.linspace(I.min(), I.max(), theory_points)
    I_low, I_rh = (float(v) for v in theory.eif_bistable_range(p))
    if I_rh > I_low:
        ax.axvspan(max(I_low, I.min()), min(I_rh, I.max()), color="0.92", lw=0, label="bistable (theory)")
    ax.plot(fine, theory.eif_rate(fine, p), color="C0", lw=1.5, label="theory, from rest")
    ax.plot(fine, theory.eif_rate(fine, p, start="reset"), color="C3", lw=1.5, ls="--",
            label="theory, from reset (orbit)")
    ax.plot(I, np.asarray(rates_up), "^", color="C0", ms=6, mfc="none", label="sweep up")
    ax.plot(I, np.asarray(rates_down), "v", color="C3", ms=4, label="sweep down")
    ax.set_xlabel("I (nA)")
    ax.set_ylabel("rate (Hz)")
    return ax


__all__ += ["hysteresis"]
