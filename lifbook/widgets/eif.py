"""Chapter 4 explorer: current, delta_T and theta_rh against the phase plane and v(t)."""
from __future__ import annotations

import numpy as np

from .. import theory
from ..params import ELIFParams
from ..population import ELIFPopulation
from ._base import Explorer, Param, _set_marks, _spike_marks

__all__ = ["EIFExplorer"]


class EIFExplorer(Explorer):
    """Chapter 4: current, ``delta_T``, ``theta_rh`` against the phase plane and v(t).

    Left: ``du/dt = F(u)/tau_m`` under the constant current, the fixed points (filled: stable,
    open: unstable), arrows for the direction of flow on the u axis, ``theta_rh`` (dotted) and
    the cut-off ``u_th`` (dashed). Right: the potential of one neuron from rest for 200 ms, with
    ``theta_rh`` and, below the rheobase, the unstable fixed point; the title gives the
    interspike intervals (all equal: the ELIF has no adaptation).
    """

    params = (
        Param("I", 0.35, 0.0, 1.0, 0.01, (0.2, 0.35, 0.39, 0.45, 0.55, 0.6, 0.9), "nA", "I"),
        Param("delta_T", 2.0, 0.2, 4.0, 0.1, (0.5, 1.0, 2.0, 3.5), "mV", "Δ_T"),
        Param("theta_rh", -55.0, -60.0, -50.0, 0.5, (-57.0, -55.0, -52.0), "mV", "θ_rh"),
    )
    figsize = (8.0, 3.3)
    STEPS = 2000  # 200 ms at dt = 0.1 ms
    U = np.linspace(-70.0, -28.0, 400)
    ARROWS = np.linspace(-68.0, -32.0, 13)

    def compute(self, I=0.35, delta_T=2.0, theta_rh=-55.0) -> dict:
        p = ELIFParams(delta_T=delta_T, theta_rh=theta_rh)
        rec = ELIFPopulation(n=1, params=p, backend="numpy").run(I, steps=self.STEPS, record=("spikes", "v"))
        spikes = np.flatnonzero(rec.spikes[:, 0])
        us, uu = theory.eif_fixed_points(I, p)
        # Flow arrows on the u axis: a fixed grid (none on top of a fixed point), plus one between
        # the two fixed points, where the flow runs back down to the stable one.
        arrows = self.ARROWS
        if np.isfinite(us):
            arrows = arrows[(np.abs(arrows - us) > 1.2) & (np.abs(arrows - uu) > 1.2)]
            arrows = np.sort(np.append(arrows, 0.5 * (us + uu)))
        return {"I": I, "delta_T": delta_T, "theta_rh": theta_rh, "u_th": p.u_th,
                "t": rec.t, "v": rec.v[:, 0], "spikes": spikes, "count": int(len(spikes)),
                "isi": np.diff(rec.t[spikes]),
                "u": self.U, "du": theory.eif_du_dt(self.U, I, p),
                "arrows": arrows, "du_arrows": theory.eif_du_dt(arrows, I, p),
                "u_stable": float(us), "u_unstable": float(uu),
                "rheobase": float(theory.eif_rheobase(p))}

    def draw(self, fig):
        ax_p, ax_v = fig.subplots(1, 2)
        ax_p.axhline(0, color="0.5", lw=0.8)
        curve, = ax_p.plot([], [], color="C1", lw=1.6)
        right, = ax_p.plot([], [], ">", color="0.35", ms=5, ls="none")
        left, = ax_p.plot([], [], "<", color="0.35", ms=5, ls="none")
        stable, = ax_p.plot([], [], "o", color="C1", ms=7, ls="none", label="stable")
        unstable, = ax_p.plot([], [], "o", mfc="white", color="C1", ms=7, ls="none", label="unstable")
        theta = ax_p.axvline(-55, ls=":", color="0.3", lw=1.0)
        ax_p.axvline(-30, ls="--", color="0.4", lw=0.8)
        ax_p.annotate(r"$u_{th}$", (-30, 1.0), xycoords=("data", "axes fraction"), xytext=(-3, -12),
                      textcoords="offset points", ha="right", color="0.3")
        theta_label = ax_p.annotate(r"$\theta_{rh}$", (-55, 1.0), xycoords=("data", "axes fraction"),
                                    xytext=(-3, -12), textcoords="offset points", ha="right", color="0.3")
        ax_p.set_xlim(self.U[0], self.U[-1])
        ax_p.set_ylim(-1.5, 3.0)
        ax_p.set_xlabel("u (mV)")
        ax_p.set_ylabel("du/dt (mV/ms)")
        ax_p.legend(loc="lower right", fontsize=8)  # clear of the curve, theta_rh and its label

        line, = ax_v.plot([], [], color="C1", lw=1.2)
        marks = _spike_marks(ax_v, "C1")
        v_theta = ax_v.axhline(-55, ls=":", color="0.3", lw=1.0, label=r"$\theta_{rh}$")
        v_unst = ax_v.axhline(-52, ls="--", color="C1", lw=0.8, alpha=0.8, label="unstable fixed point")
        ax_v.axhline(-30, ls="--", lw=0.8, color="0.4")
        ax_v.set_xlim(0, self.STEPS * 0.1)
        ax_v.set_ylim(-70, 14)  # the band above the spike marks (up to u_th + 20) holds the legend
        ax_v.set_xlabel("time (ms)")
        ax_v.set_ylabel("u (mV)")
        ax_v.legend(loc="upper right", fontsize=7, framealpha=0.9, ncols=2)

        def update(r):
            curve.set_data(r["u"], r["du"])
            up = r["du_arrows"] > 0
            right.set_data(r["arrows"][up], np.zeros(up.sum()))
            left.set_data(r["arrows"][~up], np.zeros((~up).sum()))
            ok = np.isfinite(r["u_stable"])
            stable.set_data([r["u_stable"]] if ok else [], [0] if ok else [])
            unstable.set_data([r["u_unstable"]] if ok else [], [0] if ok else [])
            theta.set_xdata([r["theta_rh"]] * 2)
            theta_label.xy = (r["theta_rh"], 1.0)
            ax_p.set_title(f"I = {r['I']:g} nA, rheobase {r['rheobase']:.3g} nA: "
                           f"{'two fixed points' if ok else 'no fixed point'}", fontsize=9)
            line.set_data(r["t"], r["v"])
            _set_marks(marks, r["t"], r["v"], r["spikes"], r["u_th"])
            v_theta.set_ydata([r["theta_rh"]] * 2)
            v_unst.set_ydata([r["u_unstable"]] * 2 if ok else [np.nan] * 2)
            isi = r["isi"]
            if len(isi) >= 1 and np.ptp(isi) < 1e-9:
                extra = f"; every ISI {isi[0]:.1f} ms"
            elif len(isi) >= 1:
                extra = f"; ISIs {isi.min():.1f}-{isi.max():.1f} ms"
            else:
                extra = ""
            ax_v.set_title(f"{r['count']} spikes in {self.STEPS * 0.1:g} ms{extra}", fontsize=9)
        return update, [curve, right, left, stable, unstable, theta, theta_label, ax_p.title,
                        line, marks, v_theta, v_unst, ax_v.title]
