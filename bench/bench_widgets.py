"""How fast the book's live explorers respond to a slider move, in a kernel (no browser).

    python bench/bench_widgets.py            # every explorer, 12 moves per slider
    python bench/bench_widgets.py --moves 30

For each explorer in ``lifbook.widgets`` it builds the live face (``Explorer.live()``), the
``ipywidgets.interactive`` that a reader's Jupyter shows, moves every slider across its range
(setting ``slider.value``, which runs the same callback as a drag) and reports the time of each
update as the widget measures it: ``compute`` (the simulation) plus the redraw into a PNG.
``compute`` alone is timed separately. The time the browser takes to show the PNG is not
included (a few ms for an image of this size). Target: well under 100 ms per move.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import platform
import statistics
import sys
import time

import numpy as np


def explorers():
    from lifbook import scale, widgets

    out = {name: getattr(widgets, name)() for name in
           ("StepResponseExplorer", "LIFExplorer", "PopulationExplorer", "EIFExplorer", "NumericsExplorer")}
    try:
        res = scale.load_benchmark()
        out["ScaleExplorer"] = widgets.ScaleExplorer(scale.throughput_table(res, "run"))
    except FileNotFoundError:
        pass
    return out


def measure(explorer, moves: int):
    with contextlib.redirect_stdout(io.StringIO()):
        w = explorer.live()
    sliders = [c for c in w.children if hasattr(c, "min") and hasattr(c, "max")]
    w.timings.clear()
    compute_ms = []
    for s in sliders:
        # Without a frontend, the widget's output area writes its clearing to stdout: drop it.
        with contextlib.redirect_stdout(io.StringIO()):
            for value in np.linspace(s.min, s.max, moves):
                s.value = float(value)
            s.value = s.min + 0.5 * (s.max - s.min)
        t0 = time.perf_counter()
        explorer.compute(**w.kwargs)  # the values the last move passed
        compute_ms.append((time.perf_counter() - t0) * 1e3)
    return list(w.timings), compute_ms, len(sliders)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--moves", type=int, default=12, help="values per slider")
    args = ap.parse_args(argv)
    import matplotlib

    import lifbook

    print(f"lifbook {lifbook.__version__}, matplotlib {matplotlib.__version__}, Python {platform.python_version()}, "
          f"{platform.processor() or platform.machine()}")
    print(f"{'explorer':22s} {'sliders':>7s} {'moves':>5s} {'median ms':>9s} {'p90 ms':>7s} {'max ms':>7s} "
          f"{'compute ms':>10s}")
    worst = 0.0
    for name, e in explorers().items():
        timings, compute_ms, n = measure(e, args.moves)
        t = np.array(timings)
        worst = max(worst, float(np.percentile(t, 90)))
        print(f"{name:22s} {n:7d} {t.size:5d} {np.median(t):9.1f} {np.percentile(t, 90):7.1f} {t.max():7.1f} "
              f"{statistics.median(compute_ms):10.1f}")
    print(f"worst 90th percentile: {worst:.1f} ms per slider move (simulation + redraw + PNG)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
