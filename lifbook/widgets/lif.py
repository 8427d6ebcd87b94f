"""Chapter 2 explorer: current, tau_m, u_th and t_ref against v(t) and the f-I curve."""
from __future__ import annotations

import numpy as np

from .. import theory
from ..params import CLIFParams
from ..population import CLIFPopulation
from ._base import Explorer, Param, _set_marks, _spike_marks

__all__ = ["LIFExplorer"]


class LIFExplorer(Explorer):
    """Chapter 2: current, ``tau_m``, ``u_th``, ``t_ref`` against v(t) and the f-I curve.

    One CLIF neuron (``u_rest = -70``, ``u_reset = -65`` mV, ``R = 10`` MOhm, ``dt = 0.1`` ms) under a
    constant current for 200 ms from rest. Left: its potential, the threshold and the level
    ``u_rest + R I`` it would settle at without a threshold. Right: the f-I curve in closed form
    (:func:`lifbook.theory.lif_rate`), the rate the time grid allows
    (:func:`lifbook.theory.lif_rate_on_grid`) and the simulated stationary rate at ``I``.
    The kernel-free grid has 8 x 2 x 3 x 2 = 96 frames; its currents are fine near 2.87 nA (100 Hz
    at the defaults, chapter 2's exercise) and its ``tau_m`` values are the default and its double.
    """

    params = (
        Param("I", 3.0, 0.0, 8.0, 0.1, (1.5, 2.2, 2.8, 2.85, 2.9, 3.0, 4.5, 8.0), "nA", "I"),
        Param("tau_m", 8.0, 2.0, 30.0, 1.0, (8.0, 16.0), "ms", "τ_m"),
        Param("u_th", -50.0, -60.0, -40.0, 1.0, (-55.0, -50.0, -45.0), "mV", "u_th"),
        Param("t_ref", 2.0, 0.0, 10.0, 0.5, (2.0, 5.0), "ms", "t_ref"),
    )
    figsize = (8.0, 3.3)
    I_MAX = 8.0
    STEPS = 2000  # 200 ms at dt = 0.1 ms
    RATE_MAX = 520.0  # Hz shown on the f-I axis (1/t_ref = 500 Hz at the default t_ref)
    U_LIM = (-72.0, -15.0)

    def compute(self, I=3.0, tau_m=8.0, u_th=-50.0, t_ref=2.0) -> dict:
        p = CLIFParams(tau_m=tau_m, u_th=u_th, t_ref=t_ref, u_reset=-65.0)
        rec = CLIFPopulation(n=1, params=p).run(I, steps=self.STEPS, record=("spikes", "v"))
        I_grid = np.linspace(0.0, self.I_MAX, 161)
        spikes = np.flatnonzero(rec.spikes[:, 0])
        return {
            "I": I, "tau_m": tau_m, "u_th": u_th, "t_ref": t_ref,
            "t": rec.t, "v": rec.v[:, 0], "spikes": spikes, "count": int(len(spikes)),
            "rate_sim": float(rec.steady_rates()[0]),
            "rate_theory": float(theory.lif_rate(I, p)),
            "rate_on_grid": float(theory.lif_rate_on_grid(I, p)),
            "time_to_threshold": float(theory.lif_time_to_threshold(I, p)),
            "rheobase": float(theory.lif_rheobase(p)),
            "u_inf": float(p.u_rest + p.R * I),
            "I_grid": I_grid, "rate_grid": theory.lif_rate(I_grid, p),
            "rate_grid_dt": theory.lif_rate_on_grid(I_grid, p),
        }

    def draw(self, fig):
        ax_v, ax_f = fig.subplots(1, 2, width_ratios=[1.6, 1])
        line, = ax_v.plot([], [], lw=1.2, label="u(t)")
        marks = _spike_marks(ax_v, line.get_color())
        th = ax_v.axhline(-50, ls="--", lw=0.8, color="0.4", label=r"$u_\mathrm{th}$")
        u_inf = ax_v.axhline(-40, ls=":", lw=1.2, color="C2", label=r"$u_\mathrm{rest} + RI$")
        ax_v.set_xlim(0, self.STEPS * 0.1)
        ax_v.set_ylim(*self.U_LIM)
        ax_v.set_xlabel("time (ms)")
        ax_v.set_ylabel("u (mV)")
        ax_v.legend(loc="upper right", fontsize=7, ncols=3, framealpha=0.9)
        curve, = ax_f.plot([], [], color="0.3", lw=1.2, label="closed form")
        curve_dt, = ax_f.plot([], [], color="C1", lw=0.9, ls="--", label="on the time grid")
        point, = ax_f.plot([], [], "o", color="C3", ms=6, label="simulated")
        rh = ax_f.axvline(2.0, ls=":", color="0.5", lw=0.8)
        ax_f.set_xlim(0, self.I_MAX)
        ax_f.set_ylim(0, self.RATE_MAX)
        ax_f.set_xlabel("I (nA)")
        ax_f.set_ylabel("rate (Hz)")
        ax_f.legend(loc="upper left", fontsize=7)

        def update(r):
            line.set_data(r["t"], r["v"])
            th.set_ydata([r["u_th"]] * 2)
            u_inf.set_ydata([r["u_inf"]] * 2)
            _set_marks(marks, r["t"], r["v"], r["spikes"], r["u_th"])
            curve.set_data(r["I_grid"], r["rate_grid"])
            curve_dt.set_data(r["I_grid"], r["rate_grid_dt"])
            point.set_data([r["I"]], [min(r["rate_sim"], self.RATE_MAX)])
            rh.set_xdata([r["rheobase"]] * 2)
            above = "" if r["u_inf"] <= self.U_LIM[1] else f" (u_rest + RI = {r['u_inf']:.0f} mV)"
            ax_v.set_title(f"I = {r['I']:g} nA: {r['count']} spikes in {self.STEPS * 0.1:g} ms{above}",
                           fontsize=9)
            ax_f.set_title(f"simulated {r['rate_sim']:.1f} Hz, closed form {r['rate_theory']:.1f} Hz",
                           fontsize=9)
        return update, [line, marks, th, u_inf, curve, curve_dt, point, rh, ax_v.title, ax_f.title]
