"""Chapter 6 explorer: population size against measured throughput."""
from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Explorer, Param

__all__ = ["ScaleExplorer"]


class ScaleExplorer(Explorer):
    """Chapter 6: population size against measured throughput of each implementation.

    ``results`` is the benchmark's table: ``{name: {N: million_updates_per_s}}``.
    """

    figsize = (7.0, 3.2)

    def __init__(self, results: dict[str, dict[Any, float]], sizes=None):
        self.results = {k: {int(float(n)): float(v) for n, v in d.items()} for k, d in results.items()}
        all_n = sorted({n for d in self.results.values() for n in d})
        if not all_n:
            raise ValueError("results: empty benchmark table")
        sizes = tuple(all_n if sizes is None else sizes)
        self.params = (Param("N", sizes[-1], sizes[0], sizes[-1], 1, sizes, "", "N neurons",
                             fmt="{:.0e}"),)

    def compute(self, N=None) -> dict:
        N = int(self.params[0].default if N is None else N)
        return {"N": N, "names": list(self.results),
                "values": [self.results[k].get(N, np.nan) for k in self.results]}

    def draw(self, fig):
        ax = fig.subplots(1, 1)
        names = list(self.results)
        vmax = max(v for d in self.results.values() for v in d.values())
        bars = ax.barh(names, [1.0] * len(names), color="C0")
        labels = [ax.text(1.0, i, "", va="center", fontsize=8) for i in range(len(names))]
        ax.set_xscale("log")
        ax.set_xlim(1, vmax * 8)
        ax.invert_yaxis()
        ax.set_xlabel("million neuron-updates per second")

        def update(r):
            for bar, label, v in zip(bars, labels, r["values"]):
                ok = np.isfinite(v)
                bar.set_width(v if ok else 1.0)
                bar.set_alpha(1.0 if ok else 0.0)
                label.set_position((v * 1.1 if ok else 1.1, label.get_position()[1]))
                label.set_text(f"{v:,.0f}" if ok else "not measured")
            ax.set_title(f"N = {r['N']:.0e} neurons", fontsize=9)
        return update, [*bars, *labels, ax.title]
