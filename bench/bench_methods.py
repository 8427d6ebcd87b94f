"""Cost of each integration method: million neuron-updates per second of ``run()``.

    python bench/bench_methods.py                      # N = 2e5, T = 200, float32 and float64
    python bench/bench_methods.py --N 1e5 --T 100 --rounds 3 --dtype float32 --threads 1

Methods: CLIF ``exact`` and ``euler``; ELIF ``euler``, ``expeuler`` and ``etd2`` (the default);
each on the grid and, where it applies (CLIF ``exact``, ELIF ``etd2``), with
``spike_timing="precise"`` (printed: the ratio of the per-update costs precise / grid, target
at most 1.5).
Workloads from ``workload.py``: CLIF ``lif_ref`` (t_ref = 2 ms) and ELIF ``eif`` (lifbook's ELIF
defaults), each with its constant input spread around the rheobase, the method replaced; the
population starts at rest and records ``("count",)``. Each configuration is run once first (the
kernel compiled or loaded from numba's cache, not timed); then, in each round, every configuration
runs once in turn from a reset state, and the figure is ``N * T`` divided by the median wall time
of ``run()`` over the rounds. Printed: the table, the spike count of the population (a check that
the methods do the same work) and the ratio of the per-update costs of ``etd2`` and ``expeuler``
(target: at most 2).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import workload as wl  # noqa: E402

#: (model, workload, method) for every method lifbook offers.
METHODS = [
    ("CLIF", "lif_ref", "exact"),
    ("CLIF", "lif_ref", "euler"),
    ("ELIF", "eif", "euler"),
    ("ELIF", "eif", "expeuler"),
    ("ELIF", "eif", "etd2"),
]

#: Spike-timing modes: label -> extra keyword arguments of the population (``--timing`` selects).
TIMINGS: dict[str, dict] = {
    "grid": {},
    "precise": dict(spike_timing="precise"),
}

#: Methods that precise spike timing runs with (see ``lifbook.timing.check_spike_timing``).
PRECISE_METHODS = {("CLIF", "exact"), ("ELIF", "etd2")}


def _population(model: str, w, method: str, dtype: str, timing: dict, engine: str):
    import lifbook

    Model = lifbook.ELIFPopulation if model == "ELIF" else lifbook.CLIFPopulation
    params = dict(w.params, method=method)
    return Model(n=w.N, dtype=dtype, engine=engine, **params, **timing)


def measure(N: int, T: int, rounds: int, dtypes, timings, engine: str = "auto") -> list[dict]:
    """Median million updates/s for every (method, dtype, timing); one warm-up call each, not timed."""
    configs = []
    for model, name, method in METHODS:
        w = wl.make(name, N, T)
        for dtype in dtypes:
            for label in timings:
                if label == "precise" and (model, method) not in PRECISE_METHODS:
                    continue
                pop = _population(model, w, method, dtype, TIMINGS[label], engine)
                x = w.x.astype(dtype)
                pop.run(x, steps=T, record=("count",))  # compile or load the kernel
                configs.append(dict(model=model, method=method, dtype=dtype, timing=label, pop=pop, x=x,
                                    engine=pop.engine, times=[], cpu=[], spikes=None))
    for _ in range(rounds):
        for c in configs:
            pop = c["pop"]
            pop.reset_state_variables()
            t0, c0 = time.perf_counter(), time.thread_time()
            rec = pop.run(c["x"], steps=T, record=("count",))
            c["times"].append(time.perf_counter() - t0)
            c["cpu"].append(time.thread_time() - c0)
            c["spikes"] = int(np.asarray(rec.spike_counts()).sum())
    out = []
    for c in configs:
        med, cpu = statistics.median(c["times"]), statistics.median(c["cpu"])
        out.append(dict(model=c["model"], method=c["method"], dtype=c["dtype"], timing=c["timing"],
                        engine=c["engine"], N=N, T=T, seconds=med, mups=N * T / med / 1e6,
                        cpu_mups=N * T / cpu / 1e6 if cpu > 0 else float("nan"), spikes=c["spikes"]))
    return out


def report(results: list[dict]) -> str:
    """The table; with one thread also the figure from the thread's CPU time (robust on a loaded machine)."""
    from lifbook.engine.cpu import num_threads

    single = num_threads() == 1
    lines = [f"N = {results[0]['N']:,}, T = {results[0]['T']}, run(record=('count',)), median over rounds, "
             f"{num_threads()} thread(s) for the numba engine",
             "M updates/s: N T / wall time" + ("; CPU: N T / CPU time of the calling thread" if single else ""),
             "",
             f"{'model':<6}{'method':<10}{'dtype':<9}{'timing':<9}{'engine':<11}{'M updates/s':>12}"
             + (f"{'CPU':>8}" if single else "") + f"{'ms/run':>9}{'spikes':>10}"]
    for r in results:
        lines.append(f"{r['model']:<6}{r['method']:<10}{r['dtype']:<9}{r['timing']:<9}{r['engine']:<11}"
                     f"{r['mups']:>12,.0f}" + (f"{r['cpu_mups']:>8,.0f}" if single else "")
                     + f"{1e3 * r['seconds']:>9.1f}{r['spikes']:>10,}")
    lines.append("")
    by = {(r["method"], r["dtype"], r["timing"]): r for r in results if r["model"] == "ELIF"}
    for (method, dtype, timing), r in by.items():
        base = by.get(("expeuler", dtype, timing))
        if method == "etd2" and base is not None:
            cpu = f", CPU time {base['cpu_mups'] / r['cpu_mups']:.2f}" if single else ""
            lines.append(f"cost per update etd2 / expeuler ({dtype}, {timing}): wall time "
                         f"{base['mups'] / r['mups']:.2f}{cpu} (target <= 2)")
    allr = {(r["model"], r["method"], r["dtype"], r["timing"]): r for r in results}
    for (model, method, dtype, timing), r in allr.items():
        base = allr.get((model, method, dtype, "grid"))
        if timing == "precise" and base is not None:
            cpu = f", CPU time {base['cpu_mups'] / r['cpu_mups']:.2f}" if single else ""
            lines.append(f"cost per update precise / grid ({model} {method}, {dtype}): wall time "
                         f"{base['mups'] / r['mups']:.2f}{cpu} (target <= 1.5); spikes {r['spikes']:,} vs "
                         f"{base['spikes']:,}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--N", type=float, default=2e5, help="neurons (default 2e5)")
    ap.add_argument("--T", type=int, default=200, help="time steps per run (default 200)")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    ap.add_argument("--dtype", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    ap.add_argument("--timing", nargs="+", default=list(TIMINGS), choices=list(TIMINGS),
                    help="spike-timing modes to measure (default: all)")
    ap.add_argument("--engine", default="auto", choices=["auto", "numba", "reference"])
    ap.add_argument("--threads", type=int, default=None,
                    help="threads per run() (sets LIFBOOK_NUM_THREADS; default: one per available CPU)")
    args = ap.parse_args(argv)
    if args.threads is not None:
        os.environ["LIFBOOK_NUM_THREADS"] = str(args.threads)
    results = measure(int(args.N), args.T, args.rounds, args.dtype, args.timing, args.engine)
    print(report(results))
    return results


if __name__ == "__main__":
    main()
