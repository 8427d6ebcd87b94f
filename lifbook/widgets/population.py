"""Chapter 3 explorer: input mean and noise against the raster, the population rate and the f-I curve."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import theory
from ..population import CLIFPopulation
from ._base import Explorer, Param

__all__ = ["PopulationExplorer"]


@lru_cache(maxsize=64)
def _curves(sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f-I curves of the default neuron: currents, noiseless rate, diffusion rate (on the grid)."""
    I = np.linspace(0.0, PopulationExplorer.I_MAX, 51)
    noiseless = theory.lif_rate_on_grid(I)
    noisy = theory.lif_rate_diffusion(I, sigma, on_grid=True)
    for a in (I, noiseless, noisy):
        a.setflags(write=False)
    return I, noiseless, noisy


class PopulationExplorer(Explorer):
    """Chapter 3: input mean and noise against the raster, population rate and f-I curve.

    ``N`` default CLIF neurons, each driven by the same mean current ``mu`` plus its own white
    noise of amplitude ``sigma`` (nA; :func:`lifbook.inputs.white_noise`: the free potential
    fluctuates with standard deviation ``R sigma / sqrt(2)``), for 200 ms from rest. Left: the
    raster and the population rate in 5 ms bins. Right: the noiseless f-I curve, the diffusion
    approximation for this ``sigma`` (:func:`lifbook.theory.lif_rate_diffusion`, on the grid)
    and the simulated mean rate.
    """

    params = (
        Param("mu", 2.0, 0.0, 5.0, 0.1, (1.0, 1.6, 2.0, 2.4, 3.0, 4.0), "nA", "mean μ"),
        Param("sigma", 0.2, 0.0, 1.0, 0.02, (0.0, 0.1, 0.2, 0.4, 0.8), "nA", "noise σ"),
    )
    N, STEPS, SEED = 100, 2000, 7
    BIN_MS = 5.0
    I_MAX = 5.0
    RATE_MAX = 250.0  # Hz, f-I axis
    POP_RATE_MAX = 210.0  # Hz, population-rate axis (synchronous firing in 5 ms bins: 200 Hz)
    figsize = (8.0, 3.8)

    def compute(self, mu=2.0, sigma=0.2) -> dict:
        from ..inputs import white_noise

        current = white_noise(mu, sigma, self.STEPS, self.N, seed=self.SEED)
        rec = CLIFPopulation(n=self.N).run(current, record=("spikes",))
        t_ev, j_ev = rec.spike_events()
        tb, rate = rec.population_rate(bin_ms=self.BIN_MS)
        I, noiseless, noisy = _curves(float(sigma))
        return {"mu": mu, "sigma": sigma, "t_events": t_ev, "neuron_events": j_ev, "bin_t": tb,
                "pop_rate": rate, "mean_rate": float(rec.rates().mean()),
                "active_fraction": float((rec.spike_counts() > 0).mean()),
                "rate_diffusion": float(theory.lif_rate_diffusion(mu, sigma, on_grid=True)),
                "rate_noiseless": float(theory.lif_rate_on_grid(mu)),
                "I_grid": I, "rate_grid": noiseless, "rate_grid_noisy": noisy}

    def draw(self, fig):
        axd = fig.subplot_mosaic([["raster", "fi"], ["rate", "fi"]], width_ratios=[1.7, 1],
                                 height_ratios=[2.2, 1])
        ax_r, ax_p, ax_f = axd["raster"], axd["rate"], axd["fi"]
        ax_r.sharex(ax_p)
        dots = ax_r.scatter([], [], s=3, marker="|", color="k", linewidths=0.8)
        ax_r.set_ylim(-0.5, self.N - 0.5)
        ax_r.set_ylabel("neuron")
        ax_r.tick_params(labelbottom=False)
        step_line, = ax_p.step([], [], where="post", color="C0")
        ax_p.set_xlim(0, self.STEPS * 0.1)
        ax_p.set_ylim(0, self.POP_RATE_MAX)
        ax_p.set_xlabel("time (ms)")
        ax_p.set_ylabel("rate (Hz)")
        noiseless, = ax_f.plot([], [], color="0.3", lw=1.2, label="no noise")
        noisy, = ax_f.plot([], [], color="C0", lw=1.2, label="diffusion approx.")
        point, = ax_f.plot([], [], "o", color="C3", ms=6, label="simulated")
        ax_f.set_xlim(0, self.I_MAX)
        ax_f.set_ylim(0, self.RATE_MAX)
        ax_f.set_xlabel("mean current μ (nA)")
        ax_f.set_ylabel("rate (Hz)")
        ax_f.legend(loc="upper left", fontsize=7)

        def update(r):
            dots.set_offsets(np.column_stack([r["t_events"], r["neuron_events"]]) if len(r["t_events"])
                             else np.zeros((0, 2)))
            step_line.set_data(r["bin_t"] - self.BIN_MS, r["pop_rate"])
            noiseless.set_data(r["I_grid"], r["rate_grid"])
            noisy.set_data(r["I_grid"], r["rate_grid_noisy"])
            point.set_data([r["mu"]], [min(r["mean_rate"], self.RATE_MAX)])
            ax_r.set_title(f"μ = {r['mu']:g} nA, σ = {r['sigma']:g} nA: "
                           f"{100 * r['active_fraction']:.0f}% of neurons fire", fontsize=9)
            ax_f.set_title(f"simulated {r['mean_rate']:.1f} Hz, theory {r['rate_diffusion']:.1f} Hz",
                           fontsize=9)
        return update, [dots, step_line, noiseless, noisy, point, ax_r.title, ax_f.title]
