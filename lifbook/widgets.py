"""Explorers: a pure compute function, a figure, and two faces for each chapter's slider widget.

Every explorer is a small class with

* ``params``: the sliders (name, default, range, unit, and the values the kernel-free face uses);
* ``compute(**values) -> dict``: the numbers the figure shows (pure: tests assert on it);
* ``draw(fig) -> (update, dynamic)``: builds the figure's artists once and returns
  ``update(result)``, which only changes their data, and the list of artists it changes; a
  :class:`Renderer` blits just those onto a saved background, so a slider move costs a few ms;
* ``live()``: an ``ipywidgets.interactive`` for a running kernel; its ``.result`` is the last
  ``compute`` result and ``.timings`` the measured milliseconds of each update;
* ``static()``: the kernel-free face for the rendered book (:func:`lifbook.frames.grid_explorer`),
  every combination of the ``grid`` values pre-rendered and switched in the browser.

``lifbook.widgets`` imports matplotlib and ipywidgets only when a face is built.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import theory
from .params import CLIFParams, ELIFParams
from .population import CLIFPopulation, ELIFPopulation

__all__ = [
    "Param", "Explorer", "StepResponseExplorer", "LIFExplorer", "PopulationExplorer", "EIFExplorer",
    "NumericsExplorer", "ScaleExplorer",
]

#: Resolution of live frames (the kernel-free frames use lifbook.frames.DEFAULT_DPI).
LIVE_DPI = 80


@dataclass(frozen=True)
class Param:
    """One slider: ``name`` (a keyword of ``compute``), ``default``, ``lo``/``hi``/``step`` for the live
    slider, ``grid`` for the kernel-free face, ``unit`` and ``label`` (LaTeX allowed)."""

    name: str
    default: float
    lo: float
    hi: float
    step: float
    grid: tuple
    unit: str = ""
    label: str = ""
    fmt: str = "{:g}"


class Explorer:
    """Base class; subclasses define ``params``, ``compute``, ``draw`` and ``figsize``."""

    params: tuple[Param, ...] = ()
    figsize = (8.0, 3.2)
    title = ""

    # -- the model side --------------------------------------------------------------------
    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}

    def compute(self, **values) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self, fig) -> tuple[Callable[[dict], None], list | None]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check(self, values: dict) -> dict:
        names = {p.name for p in self.params}
        unknown = set(values) - names
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown parameter(s) {sorted(unknown)}; "
                            f"expected {sorted(names)}")
        out = self.defaults()
        out.update(values)
        return out

    # -- rendering ---------------------------------------------------------------------------
    def figure(self, **values):
        """A new (pyplot-free) Figure for these values."""
        fig = _new_figure(self.figsize, 100)
        update, _ = self.draw(fig)
        update(self.compute(**self._check(values)))
        return fig

    def renderer(self, dpi: int = LIVE_DPI) -> "Renderer":
        """A :class:`Renderer`: ``renderer.png(result)`` redraws only what changed."""
        return Renderer(self, dpi)

    def live(self):
        """Sliders for a running kernel: ``ipywidgets.interactive`` plus an image of the figure.

        The figure is built once; each slider move calls ``compute``, updates the artists' data
        and blits them onto the saved background (one small PNG). ``.result`` holds the last
        result, ``.timings`` the milliseconds per update (compute + draw + PNG).
        """
        widgets = _ipywidgets()
        rend = self.renderer(LIVE_DPI)
        image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        timings: list[float] = []

        def show(**values):
            start = time.perf_counter()
            result = self.compute(**values)
            image.value = rend.png(result, fast=True)
            timings.append((time.perf_counter() - start) * 1e3)
            return result

        sliders = {p.name: widgets.FloatSlider(value=p.default, min=p.lo, max=p.hi, step=p.step,
                                               description=_describe(p), continuous_update=False,
                                               style={"description_width": "initial"})
                   for p in self.params}
        w = widgets.interactive(show, **sliders)
        w.children = tuple(w.children) + (image,)
        w.image = image
        w.timings = timings
        w.renderer = rend
        w.add_class("lifbook-live-explorer")
        return w

    def static(self, grid: dict | None = None, dpi: int | None = None):
        """The kernel-free face: every combination of the ``grid`` values, pre-rendered.

        ``grid`` maps parameter names to value lists (default: each ``Param.grid``); parameters
        left out stay at their defaults.
        """
        from .frames import DEFAULT_DPI, grid_explorer

        grid = {p.name: p.grid for p in self.params} if grid is None else grid
        specs = {p.name: p for p in self.params}
        unknown = set(grid) - set(specs)
        if unknown:
            raise ValueError(f"grid: unknown parameter(s) {sorted(unknown)}")
        axes = [(name, tuple(values), specs[name].label or name, specs[name].unit, specs[name].fmt)
                for name, values in grid.items()]
        rend = self.renderer(dpi or DEFAULT_DPI)

        def render(**values):
            return rend.png(self.compute(**self._check(values)))

        initial = {name: _nearest(values, specs[name].default) for name, values, *_ in axes}
        return grid_explorer(render, axes, initial=initial, dpi=dpi or DEFAULT_DPI)


class Renderer:
    """Draws an explorer's figure once and re-renders only its changing artists (blitting).

    ``explorer.draw(fig)`` returns ``(update, dynamic)``: the artists in ``dynamic`` are drawn
    on top of a background saved once (axes, ticks, labels); ``dynamic=None`` means a full
    redraw each time (for figures whose axes change).
    """

    def __init__(self, explorer: Explorer, dpi: int):
        self.fig = fig = _new_figure(explorer.figsize, dpi, layout="constrained")
        self.update, self.dynamic = explorer.draw(fig)
        self.update(explorer.compute(**explorer.defaults()))
        fig.canvas.draw()  # lays out once (constrained), then the layout is frozen
        fig.set_layout_engine("none")
        self.background = None
        if self.dynamic is not None:
            for a in self.dynamic:
                a.set_animated(True)
            fig.canvas.draw()
            self.background = fig.canvas.copy_from_bbox(fig.bbox)

    def png(self, result: dict, fast: bool = False) -> bytes:
        """PNG bytes of the figure showing ``result`` (``fast``: less compression, for live use)."""
        canvas = self.fig.canvas
        self.update(result)
        if self.dynamic is None:
            canvas.draw()
        else:
            canvas.restore_region(self.background)
            for a in self.dynamic:
                self.fig.draw_artist(a)
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB").save(
            buf, format="png", compress_level=1 if fast else 6)
        return buf.getvalue()


def _new_figure(figsize, dpi, layout="constrained"):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi, layout=layout, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _nearest(values, x) -> int:
    return int(np.argmin(np.abs(np.asarray(values, dtype=float) - x)))


def _describe(p: Param) -> str:
    return f"{p.label or p.name} ({p.unit})" if p.unit else (p.label or p.name)


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the explorers need ipywidgets: pip install 'lifbook[widgets]'") from None
    return ipywidgets


def _spike_marks(ax, color):
    return ax.vlines([], [], [], color=color, lw=1.2)


def _set_marks(marks, t, v, k, u_th, height=20.0):
    before = np.where(k > 0, v[np.maximum(k - 1, 0)], v[k]) if len(k) else np.zeros(0)
    marks.set_segments([[(t[j], b), (t[j], u_th + height)] for j, b in zip(k, before)])


# -- chapter 1 ---------------------------------------------------------------------------------
class StepResponseExplorer(Explorer):
    """Chapter 1: one CLIF and one ELIF neuron (default parameters) under a step current."""

    params = (Param("I", 2.5, 0.0, 5.0, 0.1, (0.0, 0.3, 0.6, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0), "nA", "I"),)
    title = "Step current into a CLIF and an ELIF neuron"

    def compute(self, I: float = 2.5) -> dict:
        current = lambda t: np.where((t >= 10.0) & (t < 90.0), I, 0.0)  # noqa: E731
        out = {"I": I}
        for key, Model in (("clif", CLIFPopulation), ("elif", ELIFPopulation)):
            rec = Model(n=1).run(current, steps=1000, record=("spikes", "v"))
            out[key] = {"t": rec.t, "v": rec.v[:, 0], "spikes": np.flatnonzero(rec.spikes[:, 0]),
                        "count": int(rec.spike_counts()[0]), "u_th": float(rec.params.u_th)}
        out["rheobase"] = {"clif": theory.lif_rheobase(), "elif": theory.eif_rheobase()}
        return out

    def draw(self, fig):
        axes = fig.subplots(1, 2, sharey=True)
        arts = {}
        for ax, key, name in zip(axes, ("clif", "elif"), ("CLIF", "ELIF")):
            line, = ax.plot([], [], lw=1.2, color="C0" if key == "clif" else "C1")
            marks = _spike_marks(ax, line.get_color())
            th = ax.axhline(0, ls="--", lw=0.8, color="0.4")
            ax.set_xlim(0, 100)
            ax.set_ylim(-75, 0)
            ax.set_xlabel("time (ms)")
            ax.axvspan(10, 90, color="0.9", zorder=0)
            arts[key] = (ax, line, marks, th, name)
        axes[0].set_ylabel("u (mV)")

        def update(r):
            for key, (ax, line, marks, th, name) in arts.items():
                d = r[key]
                line.set_data(d["t"], d["v"])
                th.set_ydata([d["u_th"], d["u_th"]])
                _set_marks(marks, d["t"], d["v"], d["spikes"], d["u_th"])
                ax.set_title(f"{name}: {d['count']} spikes (I = {r['I']:g} nA, rheobase "
                             f"{r['rheobase'][key]:.2g} nA)", fontsize=9)
        return update, [a for (ax, line, marks, th, _) in arts.values() for a in (line, marks, th, ax.title)]


# -- chapter 2 ---------------------------------------------------------------------------------
class LIFExplorer(Explorer):
    """Chapter 2: current, ``tau_m``, ``u_th``, ``t_ref`` against v(t) and the f-I curve."""

    params = (
        Param("I", 3.0, 0.0, 8.0, 0.1, (1.5, 2.2, 3.0, 4.0, 6.0, 8.0), "nA", "I"),
        Param("tau_m", 8.0, 2.0, 30.0, 1.0, (4.0, 8.0, 16.0), "ms", "τ_m"),
        Param("u_th", -50.0, -60.0, -40.0, 1.0, (-55.0, -50.0, -45.0), "mV", "u_th"),
        Param("t_ref", 2.0, 0.0, 10.0, 0.5, (0.0, 2.0, 5.0), "ms", "t_ref"),
    )
    I_MAX = 8.0

    def compute(self, I=3.0, tau_m=8.0, u_th=-50.0, t_ref=2.0) -> dict:
        p = CLIFParams(tau_m=tau_m, u_th=u_th, t_ref=t_ref, u_reset=-65.0)
        rec = CLIFPopulation(n=1, params=p).run(I, steps=2000, record=("spikes", "v"))  # 200 ms
        I_grid = np.linspace(0.0, self.I_MAX, 161)
        return {
            "t": rec.t, "v": rec.v[:, 0], "spikes": np.flatnonzero(rec.spikes[:, 0]), "u_th": u_th,
            "rate_sim": float(rec.steady_rates()[0]), "rate_theory": float(theory.lif_rate(I, p)),
            "rheobase": float(theory.lif_rheobase(p)), "I": I,
            "I_grid": I_grid, "rate_grid": theory.lif_rate(I_grid, p),
        }

    def draw(self, fig):
        ax_v, ax_f = fig.subplots(1, 2, width_ratios=[1.6, 1])
        line, = ax_v.plot([], [], lw=1.2)
        marks = _spike_marks(ax_v, line.get_color())
        th = ax_v.axhline(-50, ls="--", lw=0.8, color="0.4")
        ax_v.set_xlim(0, 200)
        ax_v.set_ylim(-72, -25)
        ax_v.set_xlabel("time (ms)")
        ax_v.set_ylabel("u (mV)")
        curve, = ax_f.plot([], [], color="0.3", lw=1.2, label="closed form")
        point, = ax_f.plot([], [], "o", color="C3", label="simulated")
        rh = ax_f.axvline(2.0, ls=":", color="0.5", lw=0.8)
        ax_f.set_xlim(0, self.I_MAX)
        ax_f.set_ylim(0, 420)
        ax_f.set_xlabel("I (nA)")
        ax_f.set_ylabel("rate (Hz)")
        ax_f.legend(loc="upper left", fontsize=8)

        def update(r):
            line.set_data(r["t"], r["v"])
            th.set_ydata([r["u_th"]] * 2)
            _set_marks(marks, r["t"], r["v"], r["spikes"], r["u_th"])
            curve.set_data(r["I_grid"], r["rate_grid"])
            point.set_data([r["I"]], [r["rate_sim"]])
            rh.set_xdata([r["rheobase"]] * 2)
            ax_v.set_title(f"{len(r['spikes'])} spikes in 200 ms", fontsize=9)
            ax_f.set_title(f"simulated {r['rate_sim']:.1f} Hz, closed form {r['rate_theory']:.1f} Hz",
                           fontsize=9)
        return update, [line, marks, th, curve, point, rh, ax_v.title, ax_f.title]


# -- chapter 3 ---------------------------------------------------------------------------------
class PopulationExplorer(Explorer):
    """Chapter 3: input mean and noise (OU, per neuron) against the raster and population rate."""

    params = (
        Param("mu", 2.2, 0.0, 5.0, 0.1, (1.0, 1.6, 2.0, 2.4, 3.0, 4.0), "nA", "mean μ"),
        Param("sigma", 0.5, 0.0, 2.0, 0.05, (0.0, 0.25, 0.5, 1.0, 2.0), "nA", "noise σ"),
    )
    N, STEPS, SEED = 100, 2000, 7

    def compute(self, mu=2.2, sigma=0.5) -> dict:
        from .inputs import ornstein_uhlenbeck

        model = CLIFPopulation(n=self.N, tau_syn=2.0)
        current = ornstein_uhlenbeck(mu, sigma, tau=5.0, shape=self.N, seed=self.SEED)
        rec = model.run(current, steps=self.STEPS, record=("spikes",))
        t_ev, j_ev = rec.spike_events()
        tb, rate = rec.population_rate(bin_ms=5.0)
        return {"mu": mu, "sigma": sigma, "t_events": t_ev, "neuron_events": j_ev, "bin_t": tb,
                "pop_rate": rate, "mean_rate": float(rec.rates().mean()),
                "active_fraction": float((rec.spike_counts() > 0).mean())}

    figsize = (8.0, 3.8)

    def draw(self, fig):
        ax_r, ax_p = fig.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
        dots = ax_r.scatter([], [], s=3, marker="|", color="k", linewidths=0.8)
        ax_r.set_ylim(-0.5, self.N - 0.5)
        ax_r.set_ylabel("neuron")
        step_line, = ax_p.step([], [], where="post", color="C0")
        ax_p.set_xlim(0, self.STEPS * 0.1)
        ax_p.set_ylim(0, 200)
        ax_p.set_xlabel("time (ms)")
        ax_p.set_ylabel("rate (Hz)")

        def update(r):
            dots.set_offsets(np.column_stack([r["t_events"], r["neuron_events"]]) if len(r["t_events"])
                             else np.zeros((0, 2)))
            step_line.set_data(r["bin_t"] - 5.0, r["pop_rate"])
            ax_r.set_title(f"μ = {r['mu']:g} nA, σ = {r['sigma']:g} nA: mean rate {r['mean_rate']:.1f} Hz, "
                           f"{100 * r['active_fraction']:.0f}% of neurons fire", fontsize=9)
        return update, [dots, step_line, ax_r.title]


# -- chapter 4 ---------------------------------------------------------------------------------
class EIFExplorer(Explorer):
    """Chapter 4: current, ``delta_T``, ``theta_rh`` against the phase plane and v(t)."""

    params = (
        Param("I", 0.35, 0.0, 1.0, 0.01, (0.2, 0.35, 0.39, 0.45, 0.6, 0.9), "nA", "I"),
        Param("delta_T", 2.0, 0.2, 4.0, 0.1, (0.5, 1.0, 2.0, 3.5), "mV", "Δ_T"),
        Param("theta_rh", -55.0, -60.0, -50.0, 0.5, (-57.0, -55.0, -52.0), "mV", "θ_rh"),
    )
    figsize = (8.0, 3.2)

    def compute(self, I=0.35, delta_T=2.0, theta_rh=-55.0) -> dict:
        p = ELIFParams(delta_T=delta_T, theta_rh=theta_rh)
        rec = ELIFPopulation(n=1, params=p).run(I, steps=2000, record=("spikes", "v"))
        u = np.linspace(-70.0, -28.0, 400)
        us, uu = theory.eif_fixed_points(I, p)
        return {"I": I, "t": rec.t, "v": rec.v[:, 0], "spikes": np.flatnonzero(rec.spikes[:, 0]),
                "u": u, "du": theory.eif_du_dt(u, I, p), "u_stable": float(us), "u_unstable": float(uu),
                "rheobase": float(theory.eif_rheobase(p)), "theta_rh": theta_rh, "u_th": p.u_th,
                "count": int(rec.spike_counts()[0])}

    def draw(self, fig):
        ax_p, ax_v = fig.subplots(1, 2)
        curve, = ax_p.plot([], [], color="C1", lw=1.5)
        ax_p.axhline(0, color="0.5", lw=0.8)
        stable, = ax_p.plot([], [], "o", color="C1", ms=7, label="stable")
        unstable, = ax_p.plot([], [], "o", mfc="white", color="C1", ms=7, label="unstable")
        theta = ax_p.axvline(-55, ls=":", color="0.5", lw=0.8)
        ax_p.set_xlim(-70, -28)
        ax_p.set_ylim(-2.5, 6)
        ax_p.set_xlabel("u (mV)")
        ax_p.set_ylabel("du/dt (mV/ms)")
        ax_p.legend(loc="upper left", fontsize=8)
        line, = ax_v.plot([], [], color="C1", lw=1.2)
        marks = _spike_marks(ax_v, "C1")
        ax_v.axhline(-30, ls="--", lw=0.8, color="0.4")
        ax_v.set_xlim(0, 200)
        ax_v.set_ylim(-70, -5)
        ax_v.set_xlabel("time (ms)")
        ax_v.set_ylabel("u (mV)")

        def update(r):
            curve.set_data(r["u"], r["du"])
            ok = np.isfinite(r["u_stable"])
            stable.set_data([r["u_stable"]] if ok else [], [0] if ok else [])
            unstable.set_data([r["u_unstable"]] if ok else [], [0] if ok else [])
            theta.set_xdata([r["theta_rh"]] * 2)
            ax_p.set_title(f"I = {r['I']:g} nA, rheobase {r['rheobase']:.3f} nA: "
                           f"{'two fixed points' if ok else 'no fixed point'}", fontsize=9)
            line.set_data(r["t"], r["v"])
            _set_marks(marks, r["t"], r["v"], r["spikes"], r["u_th"])
            ax_v.set_title(f"{r['count']} spikes in 200 ms", fontsize=9)
        return update, [curve, stable, unstable, theta, ax_p.title, line, marks, ax_v.title]


# -- chapter 5 ---------------------------------------------------------------------------------
class NumericsExplorer(Explorer):
    """Chapter 5: the time step against Euler and the exact propagator (LIF, subthreshold + spikes)."""

    params = (Param("dt", 1.0, 0.05, 20.0, 0.05, (0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 17.0), "ms", "dt"),)
    I, T_END = 3.0, 60.0

    def compute(self, dt=1.0) -> dict:
        import warnings

        from .population import NumericalWarning

        steps = max(1, int(round(self.T_END / dt)))
        out = {"dt": dt}
        for method in ("exact", "euler"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NumericalWarning)
                m = CLIFPopulation(n=1, method=method, dt=dt, t_ref=0.0)
            rec = m.run(self.I, steps=steps, record=("spikes", "v"))
            out[method] = {"t": np.concatenate([[0.0], rec.t]), "v": np.concatenate([[-70.0], rec.v[:, 0]]),
                           "count": int(rec.spike_counts()[0])}
        fine = CLIFPopulation(n=1, dt=0.01, t_ref=0.0).run(self.I, steps=int(self.T_END / 0.01), record="spikes")
        out["reference_count"] = int(fine.spike_counts()[0])
        t_free = np.linspace(0, self.T_END, 600)
        out["t_free"], out["v_free"] = t_free, theory.lif_subthreshold(t_free, self.I)
        out["stable"] = dt < 2 * CLIFParams().tau_m
        return out

    def draw(self, fig):
        ax = fig.subplots(1, 1)
        free, = ax.plot([], [], color="0.7", lw=3, label="no threshold (closed form)")
        ex, = ax.plot([], [], "o-", ms=3, lw=1.2, color="C0", label="exact propagator")
        eu, = ax.plot([], [], "s--", ms=3, lw=1.2, color="C3", label="Euler")
        ax.axhline(-50, ls="--", lw=0.8, color="0.4")
        ax.set_xlim(0, self.T_END)
        ax.set_ylim(-100, -20)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("u (mV)")
        ax.legend(loc="lower right", fontsize=8)

        def update(r):
            free.set_data(r["t_free"], r["v_free"])
            ex.set_data(r["exact"]["t"], r["exact"]["v"])
            eu.set_data(r["euler"]["t"], r["euler"]["v"])
            ax.set_title(f"dt = {r['dt']:g} ms: spikes exact {r['exact']['count']}, Euler {r['euler']['count']} "
                         f"(dt = 0.01 ms: {r['reference_count']})" + ("" if r["stable"] else "; Euler unstable"),
                         fontsize=9)
        return update, [free, ex, eu, ax.title]


# -- chapter 6 ---------------------------------------------------------------------------------
class ScaleExplorer(Explorer):
    """Chapter 6: population size against measured throughput of each implementation.

    ``results`` is the benchmark's table: ``{name: {N: million_updates_per_s}}``.
    """

    figsize = (7.0, 3.2)

    def __init__(self, results: dict[str, dict[Any, float]], sizes=None):
        self.results = {k: {int(float(n)): float(v) for n, v in d.items()} for k, d in results.items()}
        all_n = sorted({n for d in self.results.values() for n in d})
        if not all_n:
            raise ValueError("results: empty benchmark table")
        sizes = tuple(all_n if sizes is None else sizes)
        self.params = (Param("N", sizes[-1], sizes[0], sizes[-1], 1, sizes, "", "N neurons",
                             fmt="{:.0e}"),)

    def compute(self, N=None) -> dict:
        N = int(self.params[0].default if N is None else N)
        return {"N": N, "names": list(self.results),
                "values": [self.results[k].get(N, np.nan) for k in self.results]}

    def draw(self, fig):
        ax = fig.subplots(1, 1)
        names = list(self.results)
        vmax = max(v for d in self.results.values() for v in d.values())
        bars = ax.barh(names, [1.0] * len(names), color="C0")
        labels = [ax.text(1.0, i, "", va="center", fontsize=8) for i in range(len(names))]
        ax.set_xscale("log")
        ax.set_xlim(1, vmax * 8)
        ax.invert_yaxis()
        ax.set_xlabel("million neuron-updates per second")

        def update(r):
            for bar, label, v in zip(bars, labels, r["values"]):
                ok = np.isfinite(v)
                bar.set_width(v if ok else 1.0)
                bar.set_alpha(1.0 if ok else 0.0)
                label.set_position((v * 1.1 if ok else 1.1, label.get_position()[1]))
                label.set_text(f"{v:,.0f}" if ok else "not measured")
            ax.set_title(f"N = {r['N']:.0e} neurons", fontsize=9)
        return update, [*bars, *labels, ax.title]
