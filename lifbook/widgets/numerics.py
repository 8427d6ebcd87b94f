"""Chapter 5 explorer: the time step against Euler and the exact propagator."""
from __future__ import annotations

import numpy as np

from .. import theory
from ..params import CLIFParams
from ..population import CLIFPopulation
from ._base import Explorer, Param

__all__ = ["NumericsExplorer"]


class NumericsExplorer(Explorer):
    """Chapter 5: the time step against Euler and the exact propagator (LIF, subthreshold + spikes)."""

    params = (Param("dt", 1.0, 0.05, 20.0, 0.05, (0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 17.0), "ms", "dt"),)
    I, T_END = 3.0, 60.0

    def compute(self, dt=1.0) -> dict:
        import warnings

        from ..population import NumericalWarning

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
