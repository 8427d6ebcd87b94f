"""Chapter 3 explorer: input mean and noise against the raster and the population rate."""
from __future__ import annotations

import numpy as np

from ..population import CLIFPopulation
from ._base import Explorer, Param

__all__ = ["PopulationExplorer"]


class PopulationExplorer(Explorer):
    """Chapter 3: input mean and noise (OU, per neuron) against the raster and population rate."""

    params = (
        Param("mu", 2.2, 0.0, 5.0, 0.1, (1.0, 1.6, 2.0, 2.4, 3.0, 4.0), "nA", "mean μ"),
        Param("sigma", 0.5, 0.0, 2.0, 0.05, (0.0, 0.25, 0.5, 1.0, 2.0), "nA", "noise σ"),
    )
    N, STEPS, SEED = 100, 2000, 7

    def compute(self, mu=2.2, sigma=0.5) -> dict:
        from ..inputs import ornstein_uhlenbeck

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
