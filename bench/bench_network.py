"""Networks: CUBA (Brette et al. 2007) and Brunel (2000) model A, wall time and memory, against theory.

    python bench/bench_network.py                 # CUBA 1 s and Brunel N = 12,500 1 s (about a minute)
    python bench/bench_network.py --quick         # CUBA and Brunel at scale 0.2 only
    python bench/bench_network.py --threads 1,2   # Brunel on 1 and on 2 threads (CUBA: the first count)
    python bench/bench_network.py --brian2-python /path/to/venv/bin/python --seeds 1,2,3   # + Brian2's CUBA
    python bench/bench_network.py --threads 1,2 --brian2-python /work/brian2venv/bin/python --markdown bench/NETWORK.md

With ``--brian2-python`` (an interpreter with brian2 installed; Brian2 2.9 needs NumPy < 2.4, so
usually its own venv) the script runs Brian2's ``examples/CUBA.py`` (same model and parameters,
1 s, spikes recorded) in that interpreter (``--brian2`` mode, which imports neither lifbook nor
anything but brian2 and NumPy) for each seed, on the runtime target ``cython`` (warm run: the
network is built, run for 1 s once to generate and compile the code, restored, and the second
1 s run is timed) and with ``cpp_standalone`` (Brian2's own measurement of the simulation loop,
``device._last_run_time``), and compares the mean rate and mean ISI CV with lifbook's
``network.cuba`` over the same seeds (different random numbers: statistics, not spikes).

For each model: the time to build the network (connectivity drawn), the wall time of simulating
1 s of biological time with a warm kernel (numba's compiled kernel loaded from its cache and run
once for one step before timing), spikes recorded, and the CPU time of the process over that
run (with one thread: the wall time it would take on an otherwise idle core; with several, the
sum over threads, waiting included), and the CPU time per neuron and step; the connectivity's
bytes per synapse (CSR: int32 target column per synapse, int64 row pointers, weights per
projection) and the process's peak resident memory; the mean rate and ISI CV, and for Brunel
the mean-field (Siegert) rate. One run of the script prints both tables (lifbook's models, and
with ``--brian2-python`` the CUBA comparison), so their figures share one machine state.
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


def _numba_version() -> str:
    try:
        import numba
    except ImportError:
        return "not installed"
    return numba.__version__


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
    steps = int(round(duration / net.dt))
    out = {
        "ns_per_neuron_step": cpu / (steps * net.n) * 1e9,
        "state_mb": mem["state_bytes"] / 2**20,
        "model": name, "neurons": net.n, "synapses": net.n_synapses, "build_s": build, "sim_ms": duration,
        "wall_s": rec.wall_s, "cpu_s": cpu, "rate_hz": rec.mean_rate(t_min=t_min), "cv": cv,
        "spikes": int(len(rec.ids)),
        "bytes_per_synapse": mem["bytes_per_synapse"], "connectivity_mb": mem["connectivity_bytes"] / 2**20,
        "threads": net.threads, "engine": net.engine,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if theory_rate is not None:
        out["mean_field_hz"] = theory_rate(net)
    return out


def _mean_cv(t, i, n) -> float:
    """Mean over neurons with >= 3 spikes of std(ISI)/mean(ISI) (as ``lifbook.analysis.isi_cv``)."""
    order = np.lexsort((t, i))
    t, i = np.asarray(t)[order], np.asarray(i)[order]
    bounds = np.searchsorted(i, np.arange(n + 1))
    cvs = []
    for j in range(n):
        isi = np.diff(t[bounds[j]: bounds[j + 1]])
        if isi.size >= 2 and isi.mean() > 0:
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


def brian2_cuba(seed: int, target: str, duration_ms: float = 1000.0) -> dict:
    """Brian2's ``examples/CUBA.py`` (Brette et al. 2007, benchmark 2), run here with brian2 (float64)."""
    import tempfile

    import brian2 as b2

    b2.start_scope()
    standalone = target == "cpp_standalone"
    workdir = None
    if standalone:
        workdir = tempfile.mkdtemp(prefix="lifbook-cuba-brian2-")
        b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
    else:
        b2.prefs.codegen.target = target
    b2.seed(seed)
    ms, mV = b2.ms, b2.mV
    b2.defaultclock.dt = 0.1 * ms
    ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, El=-49 * mV,
              we=(60 * 0.27 / 10) * mV, wi=(-20 * 4.5 / 10) * mV)
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = b2.NeuronGroup(4000, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="linear",
                       namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    Ce = b2.Synapses(P, P, on_pre="ge += we", namespace=ns)
    Ci = b2.Synapses(P, P, on_pre="gi += wi", namespace=ns)
    Ce.connect("i<3200", p=0.02)
    Ci.connect("i>=3200", p=0.02)
    mon = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, mon)
    t0 = time.perf_counter()
    if standalone:
        net.run(duration_ms * ms)
        b2.device.build(directory=workdir, compile=True, run=True)
        elapsed = wall = float(b2.device._last_run_time)
        first = time.perf_counter() - t0
    else:
        net.store()
        net.run(duration_ms * ms)  # code generation and compilation (cached on disk by cython)
        first = time.perf_counter() - t0
        net.restore()
        t0, c0 = time.perf_counter(), time.process_time()
        net.run(duration_ms * ms)
        wall = time.perf_counter() - t0
        elapsed = time.process_time() - c0
    t, i = np.asarray(mon.t / ms), np.asarray(mon.i, dtype=np.int64)
    n_syn = int(len(Ce)) + int(len(Ci))
    out = {"simulator": f"Brian2 {b2.__version__} {target}", "seed": seed, "run_s": elapsed, "wall_s": wall,
           "first_s": first,
           "rate_hz": len(t) / 4000 / (duration_ms * 1e-3), "cv": _mean_cv(t, i, 4000), "synapses": n_syn}
    if standalone:
        b2.device.reinit()
        b2.device.activate()
    return out


def brian2_brunel(seed: int, target: str, g: float = 5.0, nu_ext_ratio: float = 2.0, scale: float = 1.0,
                  duration_ms: float = 1000.0, t_min: float = 200.0) -> dict:
    """Brian2's ``examples/frompapers/Brunel_2000.py`` (Brunel 2000, model A, Fig. 8), all neurons recorded.

    As in that example: connections with probability ``epsilon = 0.1`` (not a fixed in-degree),
    threshold ``v > theta``, ``C_ext = C_E`` external Poisson inputs (``PoissonInput``) of weight
    ``J``, and input arriving during the refractory period is kept (``unless refractory`` only
    stops the leak integration). Rate and CV from spikes after ``t_min`` ms.
    """
    import brian2 as b2

    b2.start_scope()
    b2.prefs.codegen.target = target
    b2.seed(seed)
    ms, mV = b2.ms, b2.mV
    N_E = int(round(10000 * scale))
    N_I = int(round(0.25 * N_E))
    epsilon = 0.1
    C_E = epsilon * N_E
    ns = dict(tau=20 * ms, theta=20 * mV, V_r=10 * mV, J=0.1 * mV, g=g)
    nu_thr = ns["theta"] / (ns["J"] * C_E * ns["tau"])
    b2.defaultclock.dt = 0.1 * ms
    neurons = b2.NeuronGroup(N_E + N_I, "dv/dt = -v/tau : volt (unless refractory)", threshold="v > theta",
                             reset="v = V_r", refractory=2 * ms, method="exact", namespace=ns)
    neurons.v = "V_r + rand() * (theta - V_r)"
    exc = b2.Synapses(neurons[:N_E], neurons, on_pre="v += J", delay=1.5 * ms, namespace=ns)
    exc.connect(p=epsilon)
    inh = b2.Synapses(neurons[N_E:], neurons, on_pre="v += -g*J", delay=1.5 * ms, namespace=ns)
    inh.connect(p=epsilon)
    ext = b2.PoissonInput(neurons, "v", N=int(C_E), rate=nu_ext_ratio * nu_thr, weight=ns["J"])
    mon = b2.SpikeMonitor(neurons)
    net = b2.Network(neurons, exc, inh, ext, mon)
    t0 = time.perf_counter()
    net.run(duration_ms * ms, namespace=ns)
    elapsed = time.perf_counter() - t0
    t, i = np.asarray(mon.t / ms), np.asarray(mon.i, dtype=np.int64)
    keep = t > t_min
    n = N_E + N_I
    return {"simulator": f"Brian2 {b2.__version__} {target}", "seed": seed, "model": "brunel", "g": g,
            "nu_ext_ratio": nu_ext_ratio, "neurons": n, "synapses": int(len(exc)) + int(len(inh)),
            "run_s_incl_compile": elapsed, "rate_hz": int(keep.sum()) / n / ((duration_ms - t_min) * 1e-3),
            "cv": _mean_cv(t[keep], i[keep], n)}


def run_brian2(python: str, seed: int, target: str) -> dict:
    import json
    import subprocess

    res = subprocess.run([python, os.path.abspath(__file__), "--brian2", "--target", target, "--seed", str(seed)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"Brian2 ({python}, {target}) failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def cuba_comparison(brian2_python: str, seeds, threads: int) -> list[str]:
    """CUBA: lifbook against Brian2 (cython, cpp_standalone) over ``seeds``; Markdown lines."""
    from lifbook import analysis, network

    rows = []
    for seed in seeds:
        net = network.cuba(seed=seed, threads=threads)
        net.run(net.dt)  # kernel loaded (or compiled): not timed
        c0 = time.process_time()
        rec = net.run(1000.0)
        cpu = time.process_time() - c0
        t, i = rec.spike_events()
        rows.append({"simulator": f"lifbook (numba, {net.threads} thread)", "seed": seed, "run_s": cpu,
                     "wall_s": rec.wall_s,
                     "first_s": float("nan"), "rate_hz": len(t) / net.n, "synapses": net.n_synapses,
                     "cv": float(np.nanmean(analysis.isi_cv(t, i, net.n)))})
        for target in ("cython", "cpp_standalone"):
            rows.append(run_brian2(brian2_python, seed, target))
        for r in rows[-3:]:
            print(r, flush=True)
    lines = ["| simulator | seed | synapses | rate (Hz) | ISI CV | warm run, 1 s simulated: CPU (s) | wall (s) "
             "| first run, wall (s) |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        first = "-" if not np.isfinite(r["first_s"]) else f"{r['first_s']:.1f}"
        lines.append(f"| {r['simulator']} | {r['seed']} | {r['synapses']:,} | {r['rate_hz']:.2f} | {r['cv']:.3f} "
                     f"| {r['run_s']:.3f} | {r['wall_s']:.3f} | {first} |")
    lines.append("")
    sims = list(dict.fromkeys(r["simulator"] for r in rows))
    lines += ["| simulator | mean rate (Hz) | mean ISI CV | mean warm run, CPU (s; cpp_standalone: its loop timer) |",
              "|---|---:|---:|---:|"]
    for s in sims:
        rs = [r for r in rows if r["simulator"] == s]
        lines.append(f"| {s} | {np.mean([r['rate_hz'] for r in rs]):.2f} | {np.mean([r['cv'] for r in rs]):.3f} "
                     f"| {np.mean([r['run_s'] for r in rs]):.3f} |")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="Brunel at scale 0.2 instead of full size")
    ap.add_argument("--threads", default="1", help="thread counts for Brunel (comma-separated); CUBA: the first")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--markdown", default=None, help="write the table to this file")
    ap.add_argument("--brian2-python", default=None, help="interpreter with brian2: compare CUBA with Brian2's")
    ap.add_argument("--seeds", default="1,2,3", help="seeds of the Brian2 comparison (comma-separated)")
    ap.add_argument("--only-brian2", action="store_true", help="only the CUBA comparison with Brian2")
    ap.add_argument("--brian2", action="store_true", help="(internal) run Brian2's CUBA here, print JSON")
    ap.add_argument("--target", default="cython", help="(internal, with --brian2) cython, numpy or cpp_standalone")
    ap.add_argument("--brian2-model", default="cuba", help="(internal, with --brian2) cuba or brunel")
    ap.add_argument("--g", type=float, default=5.0, help="(with --brian2-model brunel) relative inhibition")
    ap.add_argument("--nu-ext-ratio", type=float, default=2.0, help="(with --brian2-model brunel) nu_ext/nu_thr")
    ap.add_argument("--scale", type=float, default=1.0, help="(with --brian2-model brunel) network size factor")
    args = ap.parse_args(argv)

    threads = [int(t) for t in str(args.threads).split(",")]
    if args.brian2:
        import json
        if args.brian2_model == "brunel":
            print(json.dumps(brian2_brunel(args.seed, args.target, args.g, args.nu_ext_ratio, args.scale)))
        else:
            print(json.dumps(brian2_cuba(args.seed, args.target)))
        return 0
    if args.only_brian2:
        if not args.brian2_python:
            ap.error("--only-brian2 needs --brian2-python")
        print("\n".join(cuba_comparison(args.brian2_python, [int(s) for s in args.seeds.split(",")], threads[0])))
        return 0

    from lifbook import network
    from lifbook.network import theory

    def mf(net):
        m = net.meta
        return theory.brunel_rate(m["g"], m["nu_ext_ratio"], C_E=m["C_E"], gamma=m["C_I"] / m["C_E"], J=m["J"])

    scale = 0.2 if args.quick else 1.0
    load0 = os.getloadavg()
    rows = [measure("CUBA (4000)", lambda: network.cuba(seed=args.seed, threads=threads[0]), 1000.0, 0.0)]
    for nt in threads:
        rows.append(measure(f"Brunel A, g=5, nu_ext=2 nu_thr, scale {scale:g}",
                            lambda: network.brunel(g=5.0, nu_ext_ratio=2.0, scale=scale, seed=args.seed,
                                                   threads=nt), 1000.0, 200.0, mf))
    for r in rows:
        print(r, flush=True)
    head = (f"Machine: {_cpu()} ({len(os.sched_getaffinity(0))} CPUs available), Python "
            f"{platform.python_version()}, NumPy {np.__version__}, numba {_numba_version()}; "
            f"load average (1, 5, 15 min) before the run {load0[0]:.1f}, {load0[1]:.1f}, {load0[2]:.1f}.")
    lines = [head, "",
             "| model | threads | neurons | synapses | build (s) | 1 s simulated: wall (s) | CPU (s) "
             "| CPU ns per neuron-step | rate (Hz) | mean field (Hz) | ISI CV | bytes/synapse | connectivity (MiB) "
             "| state (MiB) | peak RSS (MiB) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        mfr = f"{r['mean_field_hz']:.2f}" if "mean_field_hz" in r else "-"
        lines.append(f"| {r['model']} | {r['threads']} | {r['neurons']} | {r['synapses']:,} | {r['build_s']:.2f} "
                     f"| {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['ns_per_neuron_step']:.2f} "
                     f"| {r['rate_hz']:.2f} | {mfr} | {r['cv']:.3f} | {r['bytes_per_synapse']:.3f} "
                     f"| {r['connectivity_mb']:.1f} | {r['state_mb']:.1f} | {r['peak_rss_mb']:.0f} |")
    lines += ["", "CPU time is the fair figure on a shared machine: wall time depends on what else runs (the "
              "load average above and below). With one thread the CPU time is the wall time the run takes on "
              "an otherwise idle core; with several it sums the threads, their waiting included. Bytes per "
              "synapse count the connectivity only (an int32 target column per synapse, int64 row pointers "
              "per source and projection, one float64 weight per projection here); the state (potentials, "
              "port currents, refractory counts, the delay ring buffer, per-neuron coefficients, the numba "
              "engine's scratch) is per neuron, not per synapse."]
    if args.brian2_python:
        seeds = [int(x) for x in args.seeds.split(",")]
        lines += ["", f"### CUBA against Brian2 (seeds {args.seeds})", ""]
        lines += cuba_comparison(args.brian2_python, seeds, threads[0])
    load1 = os.getloadavg()
    lines += ["", f"Load average (1, 5, 15 min) after the run: {load1[0]:.1f}, {load1[1]:.1f}, {load1[2]:.1f}."]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        cmd = "python bench/bench_network.py" + (" --quick" if args.quick else "")
        cmd += f" --threads {args.threads}" if args.threads != "1" else ""
        cmd += f" --brian2-python {args.brian2_python} --seeds {args.seeds}" if args.brian2_python else ""
        with open(args.markdown, "w") as f:
            f.write(f"# Network benchmark\n\nGenerated by `{cmd}` on {time.strftime('%Y-%m-%d %H:%M')} UTC.\n\n"
                    + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
