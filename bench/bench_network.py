"""Networks: CUBA (Brette et al. 2007) and Brunel (2000) model A, wall time and memory, against theory.

    python bench/bench_network.py                 # CUBA 1 s and Brunel N = 12,500 1 s (about a minute)
    python bench/bench_network.py --quick         # CUBA and Brunel at scale 0.2 only
    python bench/bench_network.py --threads 2     # the numba engine on 2 threads (idle cores only)
    python bench/bench_network.py --markdown bench/NETWORK.md

For each model: the time to build the network (connectivity drawn), the wall time of simulating
1 s of biological time with a warm kernel (numba's compiled kernel loaded from its cache and run
once for one step before timing), spikes recorded, and the CPU time of the process over that
run (the wall time a single thread would take on an otherwise idle core); the connectivity's bytes per synapse (CSR:
int32 target column per synapse, int64 row pointers, weights per projection) and the process's
peak resident memory; the mean rate and ISI CV, and for Brunel the mean-field (Siegert) rate.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time

import numpy as np


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def measure(name: str, make, duration: float, t_min: float, theory_rate=None) -> dict:
    from lifbook import analysis

    t0 = time.perf_counter()
    net = make()
    build = time.perf_counter() - t0
    net.run(net.dt)  # loads (or compiles) the kernel: not part of the timing
    c0 = time.process_time()
    rec = net.run(duration)
    cpu = time.process_time() - c0
    t, i = rec.spike_events()
    keep = t > rec.t_start + t_min
    cv = float(np.nanmean(analysis.isi_cv(t[keep], i[keep], net.n)))
    mem = net.memory()
    out = {
        "model": name, "neurons": net.n, "synapses": net.n_synapses, "build_s": build, "sim_ms": duration,
        "wall_s": rec.wall_s, "cpu_s": cpu, "rate_hz": rec.mean_rate(t_min=t_min), "cv": cv, "spikes": int(len(rec.ids)),
        "bytes_per_synapse": mem["bytes_per_synapse"], "connectivity_mb": mem["connectivity_bytes"] / 2**20,
        "threads": net.threads, "engine": net.engine,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if theory_rate is not None:
        out["mean_field_hz"] = theory_rate(net)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="Brunel at scale 0.2 instead of full size")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--markdown", default=None, help="write the table to this file")
    args = ap.parse_args(argv)

    from lifbook import network
    from lifbook.network import theory

    def mf(net):
        m = net.meta
        return theory.brunel_rate(m["g"], m["nu_ext_ratio"], C_E=m["C_E"], gamma=m["C_I"] / m["C_E"], J=m["J"])

    scale = 0.2 if args.quick else 1.0
    rows = [
        measure("CUBA (4000)", lambda: network.cuba(seed=args.seed, threads=args.threads), 1000.0, 0.0),
        measure(f"Brunel A, g=5, nu_ext=2 nu_thr, scale {scale:g}",
                lambda: network.brunel(g=5.0, nu_ext_ratio=2.0, scale=scale, seed=args.seed, threads=args.threads),
                1000.0, 200.0, mf),
    ]
    head = (f"Machine: {_cpu()} ({len(os.sched_getaffinity(0))} CPUs available), Python "
            f"{platform.python_version()}, NumPy {np.__version__}; numba engine, {args.threads} thread(s); "
            f"load average before the run {os.getloadavg()[0]:.1f}.")
    lines = [head, "",
             "| model | neurons | synapses | build (s) | 1 s simulated: wall (s) | CPU (s) | rate (Hz) "
             "| mean field (Hz) | ISI CV | bytes/synapse | connectivity (MiB) | peak RSS (MiB) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        mfr = f"{r['mean_field_hz']:.2f}" if "mean_field_hz" in r else "-"
        lines.append(f"| {r['model']} | {r['neurons']} | {r['synapses']:,} | {r['build_s']:.2f} | {r['wall_s']:.2f} "
                     f"| {r['cpu_s']:.2f} "
                     f"| {r['rate_hz']:.2f} | {mfr} | {r['cv']:.3f} | {r['bytes_per_synapse']:.3f} "
                     f"| {r['connectivity_mb']:.1f} | {r['peak_rss_mb']:.0f} |")
    lines += ["", "Wall time depends on what else the machine runs (the load average above); the CPU time is what "
              "the process itself used, the wall time of the same run on an otherwise idle core. Bytes per "
              "synapse count the connectivity only (an int32 target column per synapse, int64 row pointers per "
              "source and projection, one float64 weight per projection here)."]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("# Network benchmark\n\nGenerated by `python bench/bench_network.py"
                    + (" --quick" if args.quick else "") + (f" --threads {args.threads}" if args.threads != 1 else "")
                    + f"` on {time.strftime('%Y-%m-%d %H:%M')}.\n\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
