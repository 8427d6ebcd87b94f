"""Measurements on simulated populations: the simulated f-I curve, and spike-train statistics.

Chapters compare these measurements with :mod:`lifbook.theory` (and :mod:`lifbook.network.theory`).
The spike-train statistics (:func:`isi_cv`, :func:`isi_histogram`, :func:`fano_factor`,
:func:`spike_count_correlations`, :func:`rate_spectrum`) take spike events, ``(times_ms, index)``
as :meth:`lifbook.network.NetworkRecord.spike_events` or :meth:`lifbook.record.Record.spike_events` return them.
"""
from __future__ import annotations

import numpy as np

from .population import CLIFPopulation, ELIFPopulation
from . import validate
from .inputs import white_noise  # moved to lifbook.inputs; lifbook.analysis.white_noise stays the same function
from .validate import choice, positive_int, real_array

__all__ = ["fi_curve"]

_MODELS = {"CLIF": CLIFPopulation, "ELIF": ELIFPopulation, "LIF": CLIFPopulation, "EIF": ELIFPopulation}


def fi_curve(model, currents, duration: float = 1000.0, *, steady: bool = True, params=None,
             method: str | None = None, backend: str | None = None, **overrides) -> np.ndarray:
    """Simulated firing rate (Hz) for each constant current in ``currents`` (nA).

    One neuron per current, all simulated together for ``duration`` ms from rest. ``model`` is
    ``"CLIF"``/``"ELIF"`` or a population class. With ``steady`` the rate is measured from the
    interspike intervals (the stationary rate, see :meth:`~lifbook.record.Record.steady_rates`),
    else as spike count / duration.

    Parameters
    ----------
    model : {"CLIF", "ELIF"} or type
        The model, or a population class.
    currents : array_like
        Constant currents (nA), one neuron each.
    duration : float
        Simulated time (ms).
    steady : bool
        Rate from the interspike intervals (default) or from the spike count.
    params, method, backend, **overrides
        As for the population (:class:`~lifbook.CLIFPopulation`).

    Returns
    -------
    numpy.ndarray
        Rates (Hz), the shape of ``currents``.

    See Also
    --------
    lifbook.theory.lif_rate : the closed form it approaches as ``dt`` shrinks.
    lifbook.plot.fi_curve : plots it.

    Examples
    --------
    >>> from lifbook import analysis
    >>> analysis.fi_curve("CLIF", [1.0, 2.5, 4.0], duration=500.0).round(1)
    array([  0. ,  76.3, 153.8])
    """
    cls = _MODELS[choice("model", model, _MODELS)] if isinstance(model, str) else model
    if not (isinstance(cls, type) and issubclass(cls, (CLIFPopulation, ELIFPopulation))):
        raise ValueError(f"model: expected 'CLIF', 'ELIF' or a population class, got {model!r}")
    I = real_array("currents", currents, "nA", ndim=1)
    pop = cls(n=I.size, params=params, method=method, backend=backend, **overrides)
    steps = int(round(duration / pop.dt))
    if steps < 1:
        raise ValueError(f"duration: must be at least one step ({pop.dt} ms), got {duration}")
    rec = pop.run(I, steps=steps, record=("spikes",)).numpy()
    rates = rec.steady_rates() if steady else rec.rates()
    return rates.reshape(np.shape(currents)) if np.ndim(currents) else rates[0]


# -- the noisy f-I curve (chapter 3) ---------------------------------------------------------------

def noisy_fi_curve(currents, sigma, n: int = 200, duration: float = 1000.0, warmup: float = 100.0, *,
                   params=None, seed: int = 0, chunk_steps: int = 500, model: str = "CLIF",
                   **overrides) -> np.ndarray:
    """Simulated mean rate (Hz) of CLIF (or ELIF) neurons driven by white noise of mean ``currents``.

    For each mean current (nA) ``n`` neurons, each with its own noise of amplitude ``sigma`` (nA,
    :func:`~lifbook.inputs.white_noise`),
    run from rest; spikes are counted over ``duration`` ms after ``warmup`` ms and averaged over
    the neurons. The simulation runs in chunks of ``chunk_steps`` steps, so memory stays at
    ``chunk_steps * len(currents) * n`` numbers. Compare with
    :func:`lifbook.theory.lif_rate_diffusion` (``on_grid=True``); the statistical error of each
    rate is about ``sqrt(rate / (n * duration))`` (Poisson-like counts).

    ``model="ELIF"`` runs :class:`lifbook.ELIFPopulation` neurons (``params`` an
    :class:`~lifbook.params.ELIFParams`, default the ELIF defaults) under the same noise (its
    ``sigma_x`` uses the ELIF's ``tau_m``); compare with :func:`lifbook.theory.eif_rate_diffusion`,
    which is continuous in time (the simulation adds the integrator's error at ``dt``).
    """
    from .params import CLIFParams, ELIFParams

    model = choice("model", model, ("CLIF", "ELIF"))
    default = ELIFParams() if model == "ELIF" else CLIFParams()
    p = (params or default).replace(**overrides) if overrides else (params or default)
    if model == "ELIF" and not isinstance(p, ELIFParams):
        raise TypeError(f"params: model='ELIF' needs ELIFParams, got {type(p).__name__}")
    I = real_array("currents", currents, "nA", ndim=1)
    n = positive_int("n", n)
    cls = ELIFPopulation if model == "ELIF" else CLIFPopulation
    pop = cls(shape=(I.size, int(n)), params=p, backend="numpy")
    n_warm = int(round(warmup / p.dt))
    n_count = int(round(duration / p.dt))
    if n_count < 1 or n_warm < 0:
        raise ValueError(f"duration, warmup: need duration >= dt and warmup >= 0 ms, got {duration}, {warmup}")
    rng = np.random.default_rng(seed)
    count = np.zeros((I.size, int(n)), dtype=np.int64)
    done = 0
    total = n_warm + n_count
    while done < total:
        k = min(chunk_steps, total - done)
        if done < n_warm:
            k = min(k, n_warm - done)
        x = white_noise(I[:, None], sigma, k, (I.size, int(n)), params=p, seed=int(rng.integers(2**63)))
        rec = pop.run(x, record=("count",))
        if done >= n_warm:
            count += rec.spike_counts()
        done += k
    rates = count.mean(axis=1) / (n_count * p.dt * 1e-3)
    return rates.reshape(np.shape(currents)) if np.ndim(currents) else rates[0]


# -- Convergence and the time grid (chapter 5) -------------------------------------------------
def fit_order(dts, errors) -> float:
    """Convergence order: the slope of ``log(error)`` against ``log(dt)`` (least squares).

    An error proportional to ``dt**q`` gives ``q`` (Euler: 1). Zero errors (an exact method)
    have no order; they raise ``ValueError``.
    """
    dts = np.asarray(dts, dtype=np.float64)
    errors = np.abs(np.asarray(errors, dtype=np.float64))
    if dts.shape != errors.shape or dts.ndim != 1 or dts.size < 2:
        raise ValueError(f"dts, errors: expected two 1-d arrays of the same length >= 2, got shapes "
                         f"{dts.shape} and {errors.shape}")
    if np.any(dts <= 0) or np.any(errors <= 0) or not np.all(np.isfinite(errors)):
        raise ValueError("errors: need positive, finite errors and time steps to fit an order on a log scale")
    return float(np.polyfit(np.log(dts), np.log(errors), 1)[0])


def interpolated_spike_times(currents, duration: float = 1000.0, *, params=None, **overrides) -> list:
    """Spike times (ms) of CLIF neurons under constant currents, with the crossing time interpolated.

    The remedy for the time grid's O(dt) error (Hansel et al. 1998; Shelley & Tao 2001): each
    step is the exact propagator (as ``CLIFPopulation``), but when ``u`` ends a step at or above
    ``u_th`` the spike time is estimated by linear interpolation between the start and the end
    of the step, ``t* = t0 + h (u_th - u0) / (u1 - u0)``; the neuron is reset at ``t*``, held
    for exactly ``t_ref`` (continuous time, not rounded to steps) and integrated exactly over
    the rest of the step. The interspike interval's error is then O(dt**2) instead of O(dt).

    One neuron per current (``currents`` in nA, 1-d), from ``u_rest`` at ``t = 0``, for
    ``duration`` ms; ``params``/``overrides`` as in :func:`fi_curve` (``tau_syn`` must be 0).
    Returns a list with one array of spike times per current.
    """
    from .params import CLIFParams

    p = (params or CLIFParams()).replace(**overrides) if overrides else (params or CLIFParams())
    if not isinstance(p, CLIFParams) or type(p).model != "CLIF":
        raise TypeError("params: interpolated_spike_times simulates CLIF neurons (CLIFParams)")
    if any(np.ndim(getattr(p, k)) != 0 for k in ("tau_m", "u_rest", "u_reset", "u_th", "R", "t_ref")):
        raise ValueError("params: interpolated_spike_times needs scalar parameters")
    if np.any(np.asarray(p.tau_syn) > 0):
        raise ValueError("tau_syn: interpolated_spike_times needs tau_syn = 0")
    I = real_array("currents", currents, "nA", ndim=1)
    dt, tau, u_inf = p.dt, p.tau_m, p.u_rest + p.R * I
    steps = int(round(duration / dt))
    u = np.full(I.shape, p.u_rest)
    free_at = np.zeros(I.shape)  # time from which each neuron integrates (after its refractory time)
    times: list[list[float]] = [[] for _ in I]
    for k in range(steps):
        a, b = k * dt, (k + 1) * dt
        start = np.maximum(a, free_at)
        todo = start < b
        while np.any(todo):  # more than one pass only when a neuron spikes twice within a step
            h = np.where(todo, b - start, 0.0)
            u1 = u_inf + (u - u_inf) * np.exp(-h / tau)
            spike = todo & (u1 >= p.u_th)
            u = np.where(todo & ~spike, u1, u)
            if not np.any(spike):
                break
            t_star = start + h * (p.u_th - u) / np.where(spike, u1 - u, 1.0)
            for j in np.flatnonzero(spike):
                times[j].append(float(t_star[j]))
            u = np.where(spike, p.u_reset, u)
            free_at = np.where(spike, t_star + p.t_ref, free_at)
            start = np.where(spike, free_at, start)
            todo = spike & (start < b)
    return [np.asarray(t) for t in times]


def interpolated_fi_curve(currents, duration: float = 1000.0, *, params=None, **overrides) -> np.ndarray:
    """Stationary rate (Hz) from :func:`interpolated_spike_times`: ``(n - 1) / (t_last - t_first)``.

    Neurons with fewer than two spikes get ``count / duration``. Compare with
    :func:`lifbook.theory.lif_rate` (continuous time) and :func:`fi_curve` (spikes on the grid).
    """
    times = interpolated_spike_times(currents, duration, params=params, **overrides)
    rates = np.array([(len(t) - 1) / (t[-1] - t[0]) * 1e3 if len(t) >= 2 else len(t) / duration * 1e3
                      for t in times])
    return rates.reshape(np.shape(currents)) if np.ndim(currents) else rates[0]


__all__ += ["fit_order", "interpolated_spike_times", "interpolated_fi_curve"]


__all__ += ["noisy_fi_curve"]


# -- Spike-train statistics for networks (spike events: times in ms, neuron indices) -----------------------------
def _events(times, index, n=None):
    t = np.asarray(times, dtype=np.float64)
    i = np.asarray(index)
    if t.ndim != 1 or i.ndim != 1 or t.shape != i.shape:
        raise ValueError(f"times, index: expected two 1-d arrays of the same length (spike events), got shapes "
                         f"{t.shape} and {i.shape}")
    if i.size and i.dtype.kind not in "iu":
        raise TypeError(f"index: expected integer neuron indices, got dtype {i.dtype}")
    i = i.astype(np.int64)
    if i.size and i.min() < 0:
        raise ValueError("index: neuron indices must be >= 0")
    n_min = int(i.max()) + 1 if i.size else 0
    if n is None:
        n = n_min
    elif isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < n_min:
        raise ValueError(f"n: expected an int >= {n_min} (the number of neurons), got {n!r}")
    return t, i, int(n)


def isi_intervals(times, index, n=None) -> list:
    """Interspike intervals (ms) of every neuron: a list of ``n`` arrays (spike events ``times``, ``index``)."""
    t, i, n = _events(times, index, n)
    order = np.lexsort((t, i))
    t, i = t[order], i[order]
    bounds = np.searchsorted(i, np.arange(n + 1))
    return [np.diff(t[bounds[j]: bounds[j + 1]]) for j in range(n)]


def isi_cv(times, index, n=None, min_spikes: int = 3) -> np.ndarray:
    """Coefficient of variation ``std(ISI) / mean(ISI)`` per neuron (NaN with fewer than ``min_spikes`` spikes).

    A Poisson process has CV 1, a regular train 0. Take ``np.nanmean`` for the population's mean CV.
    """
    validate.int_at_least("min_spikes", min_spikes, 3, "two intervals at least")
    out = []
    for isi in isi_intervals(times, index, n):
        if isi.size + 1 < min_spikes or isi.mean() <= 0:
            out.append(np.nan)
        else:
            out.append(isi.std() / isi.mean())
    return np.array(out)


def isi_histogram(times, index, n=None, bin_ms: float = 1.0, max_ms: float | None = None):
    """Histogram of all interspike intervals pooled over neurons: ``(bin_edges_ms, density per ms)``."""
    isi = np.concatenate(isi_intervals(times, index, n) or [np.zeros(0)])
    if not bin_ms > 0:
        raise ValueError(f"bin_ms: must be > 0 ms, got {bin_ms!r}")
    top = (isi.max() if isi.size else bin_ms) if max_ms is None else max_ms
    edges = np.arange(0.0, top + bin_ms, bin_ms)
    hist, edges = np.histogram(isi, bins=edges, density=bool(isi.size))
    return edges, hist.astype(np.float64)


def _binned_counts(times, index, n, bin_ms, t_start, t_stop):
    t, i, n = _events(times, index, n)
    if not bin_ms > 0:
        raise ValueError(f"bin_ms: must be > 0 ms, got {bin_ms!r}")
    if not t_stop > t_start:
        raise ValueError(f"t_start, t_stop: need t_stop > t_start (ms), got {t_start}, {t_stop}")
    n_bins = int(np.floor((t_stop - t_start) / bin_ms + 1e-9))
    if n_bins < 2:
        raise ValueError(f"bin_ms: need at least 2 windows of {bin_ms} ms in [{t_start}, {t_stop}] ms")
    keep = (t > t_start) & (t <= t_start + n_bins * bin_ms)
    b = np.minimum(((t[keep] - t_start) / bin_ms - 1e-9).astype(np.int64), n_bins - 1)
    counts = np.zeros((n, n_bins), dtype=np.int64)
    np.add.at(counts, (i[keep], b), 1)
    return counts


def fano_factor(times, index, n=None, *, window_ms: float = 100.0, t_start: float = 0.0,
                t_stop: float | None = None) -> np.ndarray:
    """Fano factor ``var(count) / mean(count)`` of spike counts in consecutive windows, per neuron.

    Windows of ``window_ms`` tile ``(t_start, t_stop]`` (default: up to the last spike). NaN for a
    neuron without spikes. A Poisson process has Fano factor 1 in every window.
    """
    t = np.asarray(times, dtype=np.float64)
    t_stop = (float(t.max()) if t.size else t_start + 2 * window_ms) if t_stop is None else t_stop
    counts = _binned_counts(times, index, n, window_ms, t_start, t_stop)
    mean = counts.mean(axis=1)
    var = counts.var(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mean > 0, var / np.where(mean > 0, mean, 1.0), np.nan)


def spike_count_correlations(times, index, n=None, *, bin_ms: float = 5.0, t_start: float = 0.0,
                             t_stop: float | None = None, neurons=None) -> np.ndarray:
    """Pearson correlation coefficients of the spike counts of pairs of neurons in bins of ``bin_ms``.

    Returns the matrix for ``neurons`` (indices; default all), NaN for a neuron whose count does
    not vary. The mean pairwise correlation is the mean of the off-diagonal entries
    (``np.nanmean(c[np.triu_indices_from(c, 1)])``).
    """
    t = np.asarray(times, dtype=np.float64)
    t_stop = (float(t.max()) if t.size else t_start + 2 * bin_ms) if t_stop is None else t_stop
    counts = _binned_counts(times, index, n, bin_ms, t_start, t_stop).astype(np.float64)
    if neurons is not None:
        counts = counts[np.asarray(neurons, dtype=np.int64)]
    z = counts - counts.mean(axis=1, keepdims=True)
    sd = np.sqrt((z * z).mean(axis=1))
    ok = sd > 0
    z[ok] /= sd[ok, None]
    c = z @ z.T / counts.shape[1]
    c[~ok, :] = np.nan
    c[:, ~ok] = np.nan
    return c


def rate_spectrum(rate, dt_ms: float, *, segment_ms: float | None = None):
    """Power spectrum of a population rate (Hz) sampled every ``dt_ms``: ``(freq_hz, power)``.

    Welch's method without overlap: the mean is removed, the signal cut into segments of
    ``segment_ms`` (default: the whole signal), each Hann-windowed, and the periodograms averaged;
    power in Hz^2/Hz (one-sided). A peak far above the background at ``f > 0`` marks an
    oscillation of the population (Brunel's synchronous states); the asynchronous state has a
    flat spectrum.
    """
    x = np.asarray(rate, dtype=np.float64)
    if x.ndim != 1 or x.size < 4:
        raise ValueError(f"rate: expected a 1-d array of at least 4 samples, got shape {x.shape}")
    if not dt_ms > 0:
        raise ValueError(f"dt_ms: must be > 0 ms, got {dt_ms!r}")
    seg = x.size if segment_ms is None else int(round(segment_ms / dt_ms))
    if seg < 4 or seg > x.size:
        raise ValueError(f"segment_ms: need 4 <= segment samples <= {x.size}, got {seg}")
    n_seg = x.size // seg
    w = np.hanning(seg)
    fs = 1e3 / dt_ms
    acc = np.zeros(seg // 2 + 1)
    for s in range(n_seg):
        y = x[s * seg: (s + 1) * seg]
        y = (y - y.mean()) * w
        acc += np.abs(np.fft.rfft(y)) ** 2
    power = acc / n_seg / (fs * np.sum(w * w))
    power[1:-1] *= 2.0
    return np.fft.rfftfreq(seg, d=dt_ms * 1e-3), power


__all__ += ["isi_intervals", "isi_cv", "isi_histogram", "fano_factor", "spike_count_correlations", "rate_spectrum"]


# -- Bistability: the f-I curve swept up and down (chapter 4) -----------------------------------
def hysteresis_sweep(currents, hold: float = 200.0, *, params=None, method: str | None = None,
                     backend: str | None = None, **overrides) -> tuple[np.ndarray, np.ndarray]:
    """Rates (Hz) of one ELIF neuron as a constant current is stepped up, then back down.

    The neuron starts at rest (``u_rest``) and gets each current of ``currents`` (nA, 1-d,
    increasing) for ``hold`` ms in turn, then the same currents in reverse order, continuing from
    its state each time (no reset in between). The rate at each level is the spike count over the
    second half of its ``hold`` ms (the first half lets the neuron settle): from the interspike
    intervals there, ``(n - 1) / (t_last - t_first)``, or count / time with fewer than two spikes.
    Returns ``(rates_up, rates_down)``, both ordered like ``currents``.

    With ``u_reset`` above the unstable fixed point the two differ on the bistable range
    (:func:`lifbook.theory.eif_bistable_range`): on the way up the neuron stays at rest until the
    rheobase, on the way down it keeps firing down to the lower edge (compare with
    :func:`lifbook.theory.eif_rate` with ``start="rest"`` and ``start="reset"``). The rate
    ``params``/``overrides``/``method``/``backend`` as in
    :func:`fi_curve`.
    """
    I = np.asarray(currents, dtype=np.float64)
    if I.ndim != 1 or I.size < 2 or not np.all(np.diff(I) > 0):
        raise ValueError(f"currents: expected a 1-d array of at least 2 increasing currents (nA), got {currents!r}")
    pop = ELIFPopulation(n=1, params=params, method=method, backend=backend, **overrides)
    k = int(round(hold / pop.dt))
    if k < 2:
        raise ValueError(f"hold: must be at least two steps ({2 * pop.dt} ms), got {hold!r}")
    levels = np.concatenate([I, I[::-1]])
    x = np.repeat(levels, k)[:, None]
    rec = pop.run(x, record=("spikes",)).numpy()
    s = np.asarray(rec.spikes)[:, 0].reshape(levels.size, k)[:, k // 2:]
    rates = np.empty(levels.size)
    for j, row in enumerate(s):  # from the intervals where there are two spikes or more, else the count
        idx = np.flatnonzero(row)
        rates[j] = (idx.size - 1) / ((idx[-1] - idx[0]) * pop.dt) * 1e3 if idx.size >= 2 else \
            idx.size / (row.size * pop.dt) * 1e3
    return rates[:I.size], rates[I.size:][::-1]


__all__ += ["hysteresis_sweep"]
