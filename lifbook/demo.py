"""``python -m lifbook.demo [OUTDIR]``: simulate a CLIF and an ELIF population and write plots.

Writes ``clif-v.png``, ``clif-raster.png``, ``elif-v.png``, ``elif-raster.png`` (and SVG copies)
and prints what was simulated, so a fresh checkout shows the library working in one command.
"""
from __future__ import annotations

import os
import sys

import numpy as np


def main(outdir: str = "demo") -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import CLIFPopulation, ELIFPopulation, inputs, plot, theory

    os.makedirs(outdir, exist_ok=True)
    n, steps = 50, 2000  # 200 ms at dt = 0.1 ms
    cases = [
        ("clif", CLIFPopulation, theory.lif_rheobase()),
        ("elif", ELIFPopulation, theory.eif_rheobase()),
    ]
    for name, Model, rheobase in cases:
        model = Model(n=n)
        # Heterogeneous drive: step currents from 0.8x to 2x rheobase plus seeded OU noise.
        amplitude = np.linspace(0.8, 2.0, n) * rheobase
        current = inputs.step(amplitude, start=20.0, stop=180.0) + \
            inputs.ornstein_uhlenbeck(0.0, 0.1 * rheobase, tau=5.0, shape=n, seed=1)
        rec = model.run(current, steps=steps, record=("spikes", "v", "i"))
        fig, axes = plt.subplots(2, 1, figsize=(7, 4.5), sharex=True, height_ratios=[3, 1])
        plot.voltage_trace(rec, index=n - 1, ax=axes[0])
        plot.current_trace(rec, index=n - 1, ax=axes[1])
        axes[0].set_title(f"{Model.__name__}: neuron {n - 1}, {rec.spike_counts()[n - 1]} spikes")
        fig.tight_layout()
        for ext in ("png", "svg"):
            fig.savefig(os.path.join(outdir, f"{name}-v.{ext}"), dpi=110)
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(7, 3.5))
        plot.raster(rec, ax=ax)
        ax.set_title(f"{Model.__name__}: {n} neurons, {int(rec.spike_counts().sum())} spikes")
        fig.tight_layout()
        for ext in ("png", "svg"):
            fig.savefig(os.path.join(outdir, f"{name}-raster.{ext}"), dpi=110)
        plt.close(fig)
        print(f"{Model.__name__}: rheobase {rheobase:.3f} nA, {n} neurons x {steps} steps, "
              f"{int(rec.spike_counts().sum())} spikes, mean rate {rec.rates().mean():.1f} Hz "
              f"-> {outdir}/{name}-v.png, {outdir}/{name}-raster.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
