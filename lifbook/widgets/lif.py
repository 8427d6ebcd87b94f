"""Chapter 2 explorer: current, tau_m, u_th and t_ref against v(t) and the f-I curve."""
from __future__ import annotations

import numpy as np

from .. import theory
from ..params import CLIFParams
from ..population import CLIFPopulation
from ._base import Explorer, Param, _spike_marks, _set_marks

__all__ = ["LIFExplorer"]


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
