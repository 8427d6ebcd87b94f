"""Chapter 5 explorer: the time step against Euler and the exact propagator."""
from __future__ import annotations

import warnings

import numpy as np

from .. import theory
from ..params import CLIFParams
from ..population import CLIFPopulation, NumericalWarning
from ._base import Explorer, Param

__all__ = ["NumericsExplorer"]


class NumericsExplorer(Explorer):
    """Chapter 5: time step and current against Euler and the exact propagator (one CLIF neuron).

    Left: the potential at the grid points of both methods and the continuous-time solution
    (:func:`lifbook.theory.lif_trajectory`, threshold and reset included), with the spike times
    of all three in a strip above. Right: the factor by which one step multiplies the deviation
    from the steady state, Euler's ``1 - dt/tau_m`` against the exact ``exp(-dt/tau_m)``, at
    the chosen ``dt``. ``t_ref = 0`` so that only the integrators differ.
    """

    params = (
        Param("dt", 2.0, 0.05, 24.0, 0.05,
              (0.1, 0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 10.5, 11.0, 12.0, 14.0, 16.0, 18.0, 20.0, 24.0),
              "ms", "dt"),
        Param("I", 1.5, 0.0, 5.0, 0.1, (1.5, 3.0), "nA", "I"),
    )
    figsize = (8.0, 3.6)
    T_END = 80.0
    PARAMS = CLIFParams(t_ref=0.0)
    DT_AXIS = np.linspace(0.0, 26.0, 200)

    def compute(self, dt=2.0, I=1.5) -> dict:
        p = self.PARAMS.replace(dt=dt)
        steps = max(1, int(np.ceil(self.T_END / dt - 1e-9)))
        out = {"dt": dt, "I": I, "tau_m": p.tau_m, "u_th": p.u_th}
        t_fine = np.linspace(0.0, self.T_END, 1601)
        ref_spikes = theory.lif_spike_times(I, self.T_END, params=p)
        out["reference"] = {"t": t_fine, "v": theory.lif_trajectory(t_fine, I, params=p),
                            "spike_times": ref_spikes, "count": int(len(ref_spikes))}
        out["reference_count"] = out["reference"]["count"]
        for method in ("exact", "euler"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NumericalWarning)  # Euler beyond 2 tau_m: shown, not hidden
                m = CLIFPopulation(n=1, params=p, method=method, backend="numpy")
            rec = m.run(I, steps=steps, record=("spikes", "v"))
            t = np.concatenate([[0.0], rec.t])
            v = np.concatenate([[p.u_rest], rec.v[:, 0]])
            exact_v = theory.lif_trajectory(t, I, params=p)
            out[method] = {"t": t, "v": v, "spike_times": rec.spike_times(0),
                           "count": int(rec.spike_counts()[0]),
                           "max_error": float(np.max(np.abs(v - exact_v)))}
        out["factor_euler"] = 1.0 - dt / p.tau_m
        out["factor_exact"] = float(np.exp(-dt / p.tau_m))
        out["regime"] = ("monotone" if dt <= p.tau_m else
                         "oscillates, decays" if dt < 2 * p.tau_m else
                         "marginal" if dt == 2 * p.tau_m else "oscillates, grows")
        out["stable"] = dt <= 2 * p.tau_m
        return out

    def draw(self, fig):
        gs = fig.add_gridspec(2, 2, width_ratios=[1.7, 1], height_ratios=[1, 4.2])
        ax_s = fig.add_subplot(gs[0, 0])
        ax = fig.add_subplot(gs[1, 0], sharex=ax_s)
        ax_f = fig.add_subplot(gs[:, 1])
        tau = self.PARAMS.tau_m

        ref, = ax.plot([], [], color="0.75", lw=3, label="continuous")
        ex, = ax.plot([], [], "o-", ms=3, lw=1.1, color="C0", label="exact propagator")
        eu, = ax.plot([], [], "s--", ms=3, lw=1.1, color="C3", label="Euler")
        ax.axhline(self.PARAMS.u_th, ls="--", lw=0.8, color="0.4")
        ax.set_xlim(0, self.T_END)
        ax.set_ylim(-72, -47)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("u (mV)")

        rows = {"reference": 2, "exact": 1, "euler": 0}
        colors = {"reference": "0.45", "exact": "C0", "euler": "C3"}
        ticks = {k: ax_s.vlines([], [], [], color=colors[k], lw=1.2) for k in rows}
        ax_s.set_ylim(-0.6, 2.6)
        # The strip's row labels, in the traces' colours, double as the legend of the traces.
        ax_s.set_yticks([2, 1, 0], ["continuous", "exact", "Euler"], fontsize=7)
        for label, key in zip(ax_s.get_yticklabels(), ("reference", "exact", "euler")):
            label.set_color(colors[key] if key != "reference" else "0.35")
        ax_s.tick_params(axis="y", length=0)
        ax_s.tick_params(axis="x", labelbottom=False)
        ax_s.set_title("spike times", fontsize=8, loc="left")

        dts = self.DT_AXIS
        ax_f.plot(dts, 1.0 - dts / tau, color="C3", lw=1.4, label=r"Euler $1-\Delta t/\tau_m$")
        ax_f.plot(dts, np.exp(-dts / tau), color="C0", lw=1.4, label=r"exact $e^{-\Delta t/\tau_m}$")
        ax_f.axhspan(-3.0, -1.0, color="C3", alpha=0.12, lw=0)
        ax_f.axhline(0.0, color="0.5", lw=0.8)
        for x in (tau, 2 * tau):
            ax_f.axvline(x, ls=":", color="0.5", lw=0.8)
        ax_f.text(tau, 1.05, r"$\tau_m$", ha="center", va="bottom", fontsize=8, color="0.3")
        ax_f.text(2 * tau, 1.05, r"$2\tau_m$", ha="center", va="bottom", fontsize=8, color="0.3")
        ax_f.text(0.6, -1.12, "|factor| > 1: Euler grows", ha="left", va="top", fontsize=7, color="C3")
        ax_f.set_xlim(0, dts[-1])
        ax_f.set_ylim(-2.3, 1.3)
        ax_f.set_xlabel("dt (ms)")
        ax_f.set_ylabel("factor per step")
        ax_f.legend(loc="lower left", fontsize=7, framealpha=0.9)
        pt_eu, = ax_f.plot([], [], "s", color="C3", ms=7)
        pt_ex, = ax_f.plot([], [], "o", color="C0", ms=7)

        def update(r):
            ref.set_data(r["reference"]["t"], r["reference"]["v"])
            ex.set_data(r["exact"]["t"], r["exact"]["v"])
            eu.set_data(r["euler"]["t"], r["euler"]["v"])
            for k, row in rows.items():
                ticks[k].set_segments([[(s, row - 0.4), (s, row + 0.4)] for s in r[k]["spike_times"]])
            if r["reference"]["count"] == 0:
                detail = (f"largest error: exact {r['exact']['max_error']:.0e} mV, "
                          f"Euler {r['euler']['max_error']:.2g} mV")
            else:
                detail = (f"spikes: continuous {r['reference']['count']}, exact {r['exact']['count']}, "
                          f"Euler {r['euler']['count']}")
            ax.set_title(f"I = {r['I']:g} nA, dt = {r['dt']:g} ms; {detail}", fontsize=8)
            pt_eu.set_data([r["dt"]], [max(r["factor_euler"], -2.25)])
            pt_ex.set_data([r["dt"]], [r["factor_exact"]])
            ax_f.set_title(f"Euler {r['factor_euler']:+.2f}: {r['regime']}", fontsize=8)
        return update, [ref, ex, eu, *ticks.values(), ax.title, pt_eu, pt_ex, ax_f.title]
