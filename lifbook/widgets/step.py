"""Chapter 1 explorer: a CLIF and an ELIF neuron under a step current."""
from __future__ import annotations

import numpy as np

from .. import theory
from ..population import CLIFPopulation, ELIFPopulation
from ._base import Explorer, Param, _spike_marks, _set_marks

__all__ = ["StepResponseExplorer"]


class StepResponseExplorer(Explorer):
    """Chapter 1: one CLIF and one ELIF neuron (default parameters) under a step current.

    The kernel-free grid steps by 0.1 nA around the CLIF rheobase (1.9 to 2.2 nA), so the
    chapter's exercise (the smallest amplitude that fires) can be solved without a kernel.
    """

    params = (Param("I", 2.5, 0.0, 5.0, 0.1, (0.0, 0.3, 0.6, 1.0, 1.5, 1.9, 2.0, 2.1, 2.2, 2.5, 3.0, 4.0, 5.0), "nA", "I"),)
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
