"""The fused GPU kernel (engine="gpu") against torch eager and against the HBM roofline, on CUDA.

    python bench/bench_gpu.py                  # N = 1e6, 1e7, 1e8 (needs a CUDA GPU and triton)
    python bench/bench_gpu.py --n 1e6 --steps 50 --json out.json

Workload: a CLIF population (defaults: exact method, refractoriness), float32, ``run()`` over an
input with a time axis, shape ``(T, N)`` (a new current for every neuron at every step, already
on the GPU), recording spike counts only. Two implementations on the same input:

* torch eager: ``engine="reference"`` (one torch expression per step: lifbook.dynamics.lif_step),
* fused: ``engine="gpu"`` (one Triton kernel for all ``T`` steps, lifbook.engine.gpu).

Spike counts of the two are compared neuron by neuron. Figures are neuron-updates per second
(``N * T / wall time`` of the whole ``run()`` call, best of ``--repeat`` after a warm-up).

Roofline: the fused kernel must read the input once per update (4 bytes in float32) and read and
write the state (``v`` 4 + ``ref`` 4 bytes, twice) and write the count (8 bytes) once per neuron:
``bytes/update = 4 + 24 / T``. The roofline is ``peak bandwidth / bytes per update`` updates/s;
the fraction printed is ``achieved updates/s * bytes/update / peak``. It is printed for the kernel
alone (the engine's ``run``, one launch) and for the whole ``run()``, whose input check (finite,
``|R x|`` bounded: ``torch.aminmax``) reads the input once more (``8 + 24 / T`` bytes/update). The
speedup is that of the whole ``run()`` calls. The peak bandwidth is taken both as
measured here (a device-to-device copy of 2 GiB, read + write bytes per second) and, where torch
reports the memory clock and bus width, as the nominal figure. Targets (project issue 12): >= 50 % of
the roofline at N = 1e7 and >= 30x torch eager.

Without a CUDA device (or without triton) it says so and exits 0: nothing is measured.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time


def _no_gpu_reason():
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA device"
    try:
        import triton  # noqa: F401
    except ImportError:
        return "triton is not installed (pip install 'lifbook[gpu]')"
    return None


def measured_copy_bandwidth(torch, nbytes: int = 2 << 30, repeat: int = 5) -> float:
    """Device-to-device copy bandwidth (bytes read + written per second), best of ``repeat``."""
    a = torch.empty(nbytes // 4, dtype=torch.float32, device="cuda")
    b = torch.empty_like(a)
    b.copy_(a)
    best = math.inf
    for _ in range(repeat):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        b.copy_(a)
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    del a, b
    return 2 * nbytes / best


def nominal_bandwidth(torch) -> float | None:
    """Peak DRAM bandwidth from the device's memory clock (kHz) and bus width (bits), if torch reports them."""
    p = torch.cuda.get_device_properties(0)
    clock = getattr(p, "memory_clock_rate", None)
    width = getattr(p, "memory_bus_width", None)
    if not clock or not width:
        return None
    return 2 * clock * 1e3 * width / 8  # double data rate


def _timed(torch, fn, repeat: int) -> tuple[float, object]:
    out = fn()  # warm-up (compiles the kernel the first time)
    torch.cuda.synchronize()
    best = math.inf
    for _ in range(repeat):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = fn()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_one(torch, N: int, T: int, repeat: int, eager_repeat: int) -> dict:
    from lifbook import CLIFPopulation

    gen = torch.Generator(device="cuda").manual_seed(0)
    x = torch.rand((T, N), generator=gen, device="cuda", dtype=torch.float32) * 4.0  # nA, mean 2 nA

    def runner(engine):
        def run():
            m = CLIFPopulation(n=N, backend="torch", device="cuda", dtype=torch.float32, engine=engine)
            assert m.engine == engine
            return m.run(x, record=("count",)).count
        return run

    m = CLIFPopulation(n=N, backend="torch", device="cuda", dtype=torch.float32, engine="gpu")
    x_checked = m._input(x)  # what run() hands the engine, after its input check

    def kernel_only():  # the engine's run (one kernel launch) without run()'s input check
        return m._engine.run(x_checked, m._state, m._coef, ("count",))[2]["count"]

    t_fused, c_fused = _timed(torch, runner("gpu"), repeat)
    t_kernel, c_kernel = _timed(torch, kernel_only, repeat)
    t_eager, c_eager = _timed(torch, runner("reference"), eager_repeat)
    mismatched = int((c_fused != c_eager).sum()) + int((c_kernel != c_eager).sum())
    return {"N": N, "T": T, "fused_s": t_fused, "kernel_s": t_kernel, "eager_s": t_eager,
            "fused_updates_per_s": N * T / t_fused, "kernel_updates_per_s": N * T / t_kernel,
            "eager_updates_per_s": N * T / t_eager, "speedup": t_eager / t_fused,
            # the kernel: input once, state and count once; run(): plus the input check's read of x
            "kernel_bytes_per_update": 4 + 24 / T, "run_bytes_per_update": 8 + 24 / T,
            "spikes": int(c_fused.sum()), "count_mismatches": mismatched}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=float, nargs="+", default=[1e6, 1e7, 1e8], help="population sizes")
    ap.add_argument("--steps", type=int, default=None,
                    help="T (default: 200, fewer for large N so that the input stays below 8 GB)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", default=None, help="write the figures to this file")
    args = ap.parse_args(argv)

    reason = _no_gpu_reason()
    if reason:
        print(f"bench_gpu: {reason}: nothing measured (the GPU engine is tested in Triton's interpreter "
              "by tests/test_engine_gpu.py; this benchmark needs a CUDA GPU).")
        return 0
    import torch
    import triton

    import lifbook

    name = torch.cuda.get_device_name(0)
    bw_meas = measured_copy_bandwidth(torch)
    bw_nom = nominal_bandwidth(torch)
    print(f"device: {name}; torch {torch.__version__}, triton {triton.__version__}, lifbook {lifbook.__version__}")
    print(f"peak bandwidth: measured copy {bw_meas / 1e9:.0f} GB/s"
          + (f", nominal {bw_nom / 1e9:.0f} GB/s" if bw_nom else ", nominal not reported by torch"))
    rows = []
    head = (f"{'N':>10} {'T':>5} {'eager Mupd/s':>13} {'run() Mupd/s':>13} {'kernel Mupd/s':>14} {'speedup':>8} "
            f"{'kern GB/s':>9} {'kern roof':>9} {'run() roof':>10} {'roof(nom)':>9} {'mismatch':>8}")
    print(head)
    for n in args.n:
        N = int(n)
        T = args.steps or max(10, min(200, int(8e9 / (4 * N))))
        r = bench_one(torch, N, T, args.repeat, eager_repeat=max(1, min(args.repeat, 3)))
        gbs = r["kernel_updates_per_s"] * r["kernel_bytes_per_update"]
        r["kernel_bytes_per_s"] = gbs
        r["roofline_fraction_kernel"] = gbs / bw_meas
        r["roofline_fraction_run"] = r["fused_updates_per_s"] * r["run_bytes_per_update"] / bw_meas
        r["roofline_fraction_kernel_nominal"] = gbs / bw_nom if bw_nom else None
        rows.append(r)
        nom = f"{r['roofline_fraction_kernel_nominal']:.0%}" if bw_nom else "-"
        print(f"{N:>10.0e} {T:>5} {r['eager_updates_per_s'] / 1e6:>13.0f} {r['fused_updates_per_s'] / 1e6:>13.0f} "
              f"{r['kernel_updates_per_s'] / 1e6:>14.0f} {r['speedup']:>7.1f}x {gbs / 1e9:>9.0f} "
              f"{r['roofline_fraction_kernel']:>9.0%} {r['roofline_fraction_run']:>10.0%} {nom:>9} "
              f"{r['count_mismatches']:>8}")
        torch.cuda.empty_cache()
    for r in rows:
        if r["N"] == int(1e7):
            ok_roof = r["roofline_fraction_kernel"] >= 0.5
            ok_speed = r["speedup"] >= 30
            print(f"targets at N = 1e7: kernel at {r['roofline_fraction_kernel']:.0%} of the roofline (>= 50%: "
                  f"{'met' if ok_roof else 'NOT met'}), {r['speedup']:.1f}x torch eager (>= 30x: "
                  f"{'met' if ok_speed else 'NOT met'})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": name, "torch": torch.__version__, "triton": triton.__version__,
                       "bandwidth_measured": bw_meas, "bandwidth_nominal": bw_nom, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
