"""Chapter 7 explorer: input mean and noise against the ISI histogram, the CV and the rate, with theory."""
from __future__ import annotations

import numpy as np

from .. import theory
from ..analysis import isi_histogram, isi_intervals, white_noise
from ..population import CLIFPopulation
from ._base import Explorer, Param

__all__ = ["IrregularExplorer"]


class IrregularExplorer(Explorer):
    """Chapter 7: input mean ``mu`` and noise ``sigma`` (nA) against the interspike intervals.

    ``N`` default CLIF neurons, each driven by the mean current ``mu`` plus its own white noise
    of amplitude ``sigma`` (:func:`lifbook.analysis.white_noise`; the free potential fluctuates
    around ``u_rest + R mu`` with standard deviation ``R sigma / sqrt(2)``), for ``STEPS`` steps
    from rest; intervals are counted after ``WARMUP_MS``. Left: the histogram of the intervals
    pooled over the neurons, and the interval density of a Poisson process with a dead time
    ``t_ref`` and the rate of the diffusion theory (dashed), the irregular reference. Right: the
    potential of one neuron over the first 200 ms, with the threshold and the mean free potential
    ``u_rest + R mu``. The titles give the simulated rate and the CV of the intervals pooled over
    the neurons (all alike, so pooling avoids the bias of a CV from a few intervals) next to the diffusion
    approximation (:func:`lifbook.theory.lif_rate_diffusion` and
    :func:`lifbook.theory.lif_cv_diffusion`, both on the grid).
    """

    params = (
        Param("mu", 1.8, 0.5, 4.0, 0.1, (1.0, 1.4, 1.8, 2.2, 2.6, 3.0, 4.0), "nA", "mean μ"),
        Param("sigma", 0.4, 0.05, 1.0, 0.05, (0.1, 0.2, 0.4, 0.6, 0.8), "nA", "noise σ"),
    )
    N, STEPS, SEED = 100, 10000, 11
    WARMUP_MS = 50.0
    TRACE_MS = 200.0
    BIN_MS = 2.0
    ISI_MAX_MS = 150.0
    figsize = (8.0, 3.3)

    def compute(self, mu=1.8, sigma=0.4) -> dict:
        p = CLIFPopulation(n=1).params
        current = white_noise(mu, sigma, self.STEPS, self.N, seed=self.SEED)
        rec = CLIFPopulation(n=self.N).run(current, record=("spikes", "v"))
        t_ev, j_ev = rec.spike_events()
        keep = t_ev > self.WARMUP_MS
        t_ev, j_ev = t_ev[keep], j_ev[keep]
        isi = np.concatenate(isi_intervals(t_ev, j_ev, self.N))
        edges, dens = isi_histogram(t_ev, j_ev, self.N, bin_ms=self.BIN_MS, max_ms=self.ISI_MAX_MS)
        span_s = (self.STEPS * p.dt - self.WARMUP_MS) * 1e-3
        rate = float(len(t_ev) / self.N / span_s)
        rate_th = float(theory.lif_rate_diffusion(mu, sigma, on_grid=True))
        cv_th = float(theory.lif_cv_diffusion(mu, sigma, on_grid=True))
        n_trace = int(round(self.TRACE_MS / p.dt))
        # Poisson process with dead time t_ref and the theory's rate: density r' exp(-r' (t - t_ref))
        t_dead = p.n_ref * p.dt
        mean_isi = 1e3 / rate_th if rate_th > 0 else np.inf
        t_grid = np.linspace(0.0, self.ISI_MAX_MS, 301)
        if np.isfinite(mean_isi) and mean_isi > t_dead:
            r = 1.0 / (mean_isi - t_dead)
            poisson = np.where(t_grid >= t_dead, r * np.exp(-r * (t_grid - t_dead)), 0.0)
        else:
            poisson = np.zeros_like(t_grid)
        n_isi = int(isi.size)
        return {"mu": mu, "sigma": sigma, "edges": edges, "density": dens, "n_isi": n_isi,
                "rate": rate, "rate_theory": rate_th,
                "cv": float(isi.std() / isi.mean()) if isi.size >= 2 else float("nan"),
                "cv_theory": cv_th, "t_grid": t_grid, "poisson": poisson,
                "t": rec.t[:n_trace], "v": rec.v[:n_trace, 0],
                "u_mean": float(p.u_rest + p.R * mu), "u_th": float(p.u_th), "u_rest": float(p.u_rest)}

    def draw(self, fig):
        ax_h, ax_v = fig.subplots(1, 2, width_ratios=[1.1, 1])
        bars = ax_h.stairs(np.zeros(int(self.ISI_MAX_MS / self.BIN_MS)),
                           np.arange(0.0, self.ISI_MAX_MS + self.BIN_MS, self.BIN_MS),
                           fill=True, color="C0", alpha=0.7, label="simulated")
        ref, = ax_h.plot([], [], "--", color="C3", lw=1.3, label="Poisson, same rate")
        ax_h.set_xlim(0, self.ISI_MAX_MS)
        ax_h.set_ylim(0, 0.12)
        ax_h.set_xlabel("interspike interval (ms)")
        ax_h.set_ylabel("density (1/ms)")
        ax_h.legend(loc="upper right", fontsize=7)
        line, = ax_v.plot([], [], color="C0", lw=0.9)
        ax_v.axhline(-50.0, ls="--", color="0.4", lw=0.8)
        mean = ax_v.axhline(-52.0, ls=":", color="C2", lw=1.2, label="mean free potential")
        ax_v.annotate(r"$u_{th}$", (1.0, -50.0), xycoords=("axes fraction", "data"), xytext=(-3, 2),
                      textcoords="offset points", ha="right", color="0.3")
        ax_v.set_xlim(0, self.TRACE_MS)
        ax_v.set_ylim(-80, -35)
        ax_v.set_xlabel("time (ms)")
        ax_v.set_ylabel("u (mV)")
        ax_v.legend(loc="lower right", fontsize=7)

        def update(r):
            d = r["density"]
            full = np.zeros(int(self.ISI_MAX_MS / self.BIN_MS))
            full[:min(d.size, full.size)] = d[:full.size]
            bars.set_data(full)
            ref.set_data(r["t_grid"], r["poisson"])
            ax_h.set_ylim(0, max(0.02, 1.1 * float(full.max()), 1.1 * float(r["poisson"].max())))
            cv = "-" if not np.isfinite(r["cv"]) else f"{r['cv']:.2f}"
            cv_th = "-" if not np.isfinite(r["cv_theory"]) else f"{r['cv_theory']:.2f}"
            ax_h.set_title(f"CV {cv} (theory {cv_th}), {r['n_isi']} intervals", fontsize=9)
            line.set_data(r["t"], r["v"])
            mean.set_ydata([min(r["u_mean"], -36.0)] * 2)
            ax_v.set_title(f"μ = {r['mu']:g} nA, σ = {r['sigma']:g} nA: {r['rate']:.1f} Hz "
                           f"(theory {r['rate_theory']:.1f} Hz)", fontsize=9)
        return update, None  # the density axis rescales: full redraws
