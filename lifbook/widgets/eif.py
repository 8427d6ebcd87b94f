"""Chapter 4 explorer: current, delta_T and theta_rh against the phase plane and v(t)."""
from __future__ import annotations

import numpy as np

from .. import theory
from ..params import ELIFParams
from ..population import ELIFPopulation
from ._base import Explorer, Param, _spike_marks, _set_marks

__all__ = ["EIFExplorer"]


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
