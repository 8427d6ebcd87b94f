"""lifbook's speed next to naive NumPy, torch eager, Brian2, snnTorch and Norse, measured in one run.

    python bench/bench_lifbook.py            # full: N = 1e6, T = 1000 (several minutes)
    python bench/bench_lifbook.py --quick    # N = 1e5, T = 200, no Brian2 standalone (under a minute)
    python bench/bench_lifbook.py --brian2-python /path/to/venv/bin/python \\
        --json lifbook/data/bench_results.json --markdown bench/RESULTS.md

Figures are million neuron-updates per second (N * T / wall time), median over rounds in which
every implementation runs once in turn (the machine's load changes between rounds, not within
one comparison). Ratios compare medians from the same run. Spike counts of every implementation
are compared with lifbook's, neuron by neuron. See workload.py for the workloads and the
semantic differences between the packages, RESULTS.md for a committed run and the JSON schema.

The "input forms" section (input_forms.py) times ``run()`` on the input forms users pass (constant,
float64/float32/strided/broadcast arrays, a torch tensor, an ``inputs.step`` current) against a
naive in-place NumPy loop, with the memory ``run()`` allocates; to refresh only it:

    python bench/bench_lifbook.py --skip headline,library,startup \
        --merge-json lifbook/data/bench_results.json
    python bench/bench_lifbook.py --from-json lifbook/data/bench_results.json --markdown bench/RESULTS.md
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import input_forms  # noqa: E402
import peers  # noqa: E402
import workload as wl  # noqa: E402


# -- timing ------------------------------------------------------------------------------------------
def _lifbook_runner(record: str, backend: str = "numpy", engine: str = "auto"):
    """``run()`` of a fresh population on the workload: the whole call, as a user sees it."""

    def run(w):
        import lifbook

        Model = lifbook.ELIFPopulation if w.model == "ELIF" else lifbook.CLIFPopulation
        x = w.x
        if backend == "torch":
            import torch

            kw = dict(backend="torch", dtype=torch.float32)
            x = torch.from_numpy(x)
        else:
            kw = dict(dtype="float32")
        m = Model(n=w.N, engine=engine, **kw, **w.params)
        t0 = time.perf_counter()
        rec = m.run(x, steps=w.T, record=(record,))
        elapsed = time.perf_counter() - t0
        return elapsed, np.asarray(rec.spike_counts(), dtype=np.int64)

    return run


def _compare_counts(counts, ref):
    if ref is None or counts is None:
        return {}
    return {"spikes_total": int(counts.sum()), "neurons_differing": int((counts != ref).sum()),
            "max_count_diff": int(np.abs(counts - ref).max())}


def measure(w, impls: dict, rounds: int, log=print):
    """Run every implementation once per round, in turn; return one row per implementation."""
    samples = {name: [] for name in impls}
    counts, skipped = {}, {}
    for r in range(rounds):
        for name, fn in impls.items():
            if name in skipped:
                continue
            try:
                sec, c = fn(w)
            except peers.Unavailable as exc:
                skipped[name] = str(exc)
                continue
            samples[name].append(sec)
            counts.setdefault(name, c)
        log(f"  round {r + 1}/{rounds} done", file=sys.stderr)
    ref = counts.get(next(iter(impls)))
    rows = []
    for name in impls:
        row = {"workload": w.name, "model": w.model, "N": w.N, "T": w.T, "impl": name}
        if name in skipped:
            row["skipped"] = skipped[name]
        else:
            mups = [w.updates / s / 1e6 for s in samples[name]]
            row.update(seconds=samples[name], mups_median=statistics.median(mups), mups_min=min(mups),
                       mups_max=max(mups), **_compare_counts(counts[name], ref))
        rows.append(row)
    return rows


def brian2_lead(N, T, rounds, brian2_python=None):
    """lifbook's ``run()`` (constant input, counts) against Brian2 cpp_standalone on the headline workloads
    ``lif_ref`` (CLIF) and ``eif`` (ELIF), in this run: ``{model: {lifbook_mups, brian2_mups, lead, ...}}``."""
    out = {}
    for name in ("lif_ref", "eif"):
        w = wl.make(name, N, T)
        _lifbook_runner("count")(wl.make(name, 1000, 10))  # load the kernels before timing
        impls = {"lifbook run (count)": _lifbook_runner("count"),
                 "Brian2 cpp_standalone": lambda w: peers.brian2(w, "cpp_standalone", python=brian2_python)}
        print(f"\nconstant-input lead, {name} ...", file=sys.stderr)
        rows = measure(w, impls, rounds)
        if "mups_median" not in rows[1]:
            out[w.model] = dict(workload=name, N=N, T=T, skipped=rows[1].get("skipped", "?"))
            continue
        out[w.model] = dict(workload=name, N=N, T=T, lifbook_mups=rows[0]["mups_median"],
                            brian2_mups=rows[1]["mups_median"], lead=rows[0]["mups_median"] / rows[1]["mups_median"],
                            neurons_differing=rows[1].get("neurons_differing"))
    return out


# -- the library table: forward and run per backend and size -------------------------------------
def library_table(sizes, T, forward_steps, rounds, log=print):
    import lifbook

    rows = []
    for N in sizes:
        w = wl.make("lif_ref", N, T)
        impls = {
            "numpy run (numba engine)": _lifbook_runner("count"),
            "numpy run (reference engine)": _lifbook_runner("count", engine="reference"),
            "torch run (numba engine)": _lifbook_runner("count", backend="torch"),
            "torch run (reference engine)": _lifbook_runner("count", backend="torch", engine="reference"),
            "naive NumPy Euler loop": peers.naive_numpy,
        }
        log(f"library: run, N = {N}", file=sys.stderr)
        for row in measure(w, impls, rounds, log):
            row["op"] = "run"
            rows.append(row)
        steps = forward_steps(N)
        fw = wl.make("lif_ref", N, steps)
        impls = {f"{b} forward ({e} engine)": _forward_runner(b, e) for b in ("numpy", "torch")
                 for e in ("numba", "reference")}
        impls["naive NumPy Euler loop"] = _timed_then_counted(lambda w: peers.naive_numpy(w, count_spikes=False),
                                                              peers.naive_numpy)
        log(f"library: forward, N = {N} (timed without counting spikes; counts from a second, untimed pass)",
            file=sys.stderr)
        for row in measure(fw, impls, rounds, log):
            row["op"] = "forward"
            rows.append(row)
    del lifbook
    return rows


def _timed_then_counted(timed, counted):
    """Time ``timed`` (which does not count spikes), then take the spike counts from an untimed ``counted``."""

    def run(w):
        seconds, _ = timed(w)
        return seconds, counted(w)[1]

    return run


def _forward_runner(backend, engine):
    """``T`` calls of ``forward(x)`` with a per-neuron input array, timed without spike counting."""
    return _timed_then_counted(_forward_loop(backend, engine, count=False), _forward_loop(backend, engine, count=True))


def _forward_loop(backend, engine, count):
    def run(w):
        import lifbook

        kw = dict(dtype="float32")
        x = w.x
        if backend == "torch":
            import torch

            kw = dict(backend="torch", dtype=torch.float32)
            x = torch.from_numpy(x)
        m = lifbook.CLIFPopulation(n=w.N, engine=engine, **kw, **w.params)
        m.forward(x)  # first call: the kernel is loaded (or compiled) here, not timed
        m.reset_state_variables()
        counts = np.zeros(w.N, dtype=np.int64)
        t0 = time.perf_counter()
        for _ in range(w.T):
            s = m.forward(x)
            if count:
                counts += np.asarray(s)
        return time.perf_counter() - t0, counts

    return run


# -- start-up costs -------------------------------------------------------------------------------------
def _subprocess_seconds(code: str, env=None) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, **(env or {})))
    return float(out.stdout.strip().splitlines()[-1])


def startup_costs(repeats: int = 5, cold: bool = True):
    """``import lifbook``, numba's import, and the first ``run()`` with a cold and a warm kernel cache."""
    imp = "import time; t = time.perf_counter(); import lifbook; print(time.perf_counter() - t)"
    imp_numba = "import time; t = time.perf_counter(); import numba; print(time.perf_counter() - t)"
    first = ("import time, lifbook\n"
             "m = lifbook.{model}(n=1, dtype='float32')\n"
             "t = time.perf_counter(); m.run(2.5, steps=2000, record=('spikes', 'v')); print(time.perf_counter() - t)")
    out = {"import_lifbook_s": statistics.median(_subprocess_seconds(imp) for _ in range(repeats)),
           "import_numba_s": statistics.median(_subprocess_seconds(imp_numba) for _ in range(repeats))}
    with tempfile.TemporaryDirectory(prefix="lifbook-numba-cache-") as cache:
        env = {"NUMBA_CACHE_DIR": cache} if cold else {}  # quick: the usual cache, warm from this run
        for model in ("CLIFPopulation", "ELIFPopulation"):
            code = first.format(model=model)
            if cold:
                out[f"first_run_cold_cache_s[{model}]"] = _subprocess_seconds(code, env)
            out[f"first_run_warm_cache_s[{model}]"] = statistics.median(
                _subprocess_seconds(code, env) for _ in range(repeats))
    return out


def single_neuron(repeats: int = 50):
    """One neuron, 200 ms at dt = 0.1 ms (2000 steps), the whole ``run()`` call (warm)."""
    import lifbook

    out = {}
    for Model, x in ((lifbook.CLIFPopulation, 2.5), (lifbook.ELIFPopulation, 0.6)):
        for dtype in ("float64", "float32"):
            m = Model(n=1, dtype=dtype)
            m.run(x, steps=2000, record=("spikes", "v"))
            times = []
            for _ in range(repeats):
                m.reset_state_variables()
                t0 = time.perf_counter()
                m.run(x, steps=2000, record=("spikes", "v"))
                times.append(time.perf_counter() - t0)
            out[f"{Model.__name__}[{dtype}]_ms"] = statistics.median(times) * 1e3
    return out


# -- environment -------------------------------------------------------------------------------------
def machine(brian2_python=None):
    def version(mod):
        try:
            return __import__(mod).__version__
        except Exception:
            return None

    cpu = platform.processor()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
        cpu = fields.get("Model name", cpu).strip()
        cores = f"{fields.get('CPU(s)', '?').strip()} CPUs, {fields.get('Thread(s) per core', '?').strip()} thread(s)/core"
        flags = fields.get("Flags", "")
        simd = "AVX-512" if "avx512f" in flags else ("AVX2" if "avx2" in flags else "SSE")
    except FileNotFoundError:  # pragma: no cover
        cores, simd = str(os.cpu_count()), "?"
    from lifbook.engine.cpu import num_threads

    return {"cpu": cpu, "cores": cores, "simd": simd, "lifbook_threads": num_threads(),
            "python": platform.python_version(), "numpy": np.__version__, "torch": version("torch"),
            "torch_threads": _torch_threads(), "numba": version("numba"), "lifbook": version("lifbook"),
            "snntorch": version("snntorch"), "norse": _norse_version(),
            "brian2": peers.brian2_version(brian2_python), "brian2_python": brian2_python}


def _torch_threads():
    try:
        import torch
        return torch.get_num_threads()
    except ImportError:
        return None


def _norse_version():
    try:
        from importlib.metadata import version
        return version("norse")
    except Exception:
        return None


# -- report ---------------------------------------------------------------------------------------------
def _fmt_row(row, base, label):
    if "skipped" in row:
        return f"  {row['impl']:<36} skipped: {row['skipped']}"
    ratio = (base / row["mups_median"] if label.startswith("lifbook") else row["mups_median"] / base) \
        if base else float("nan")
    counts = ""
    if "spikes_total" in row:
        counts = f"spikes {row['spikes_total']:>9}  differ {row['neurons_differing']:>4} (max {row['max_count_diff']})"
    return (f"  {row['impl']:<36} {row['mups_median']:>8.0f} M/s  [{row['mups_min']:>6.0f}-{row['mups_max']:>6.0f}]"
            f"  {label} {ratio:>6.1f}x  {counts}")


def print_rows(title, rows, base_impl, label):
    """``label``: "lifbook/this" (how much faster lifbook's first row is) or "this/naive"."""
    print(f"\n{title}")
    base = next((r.get("mups_median") for r in rows if r["impl"] == base_impl), None)
    for row in rows:
        print(_fmt_row(row, base, label))


def markdown(results) -> str:
    m = results["machine"]
    lines = ["# lifbook benchmark results", "",
             f"Generated by `python bench/bench_lifbook.py {results['args']}` on "
             f"{results['date']}.", "",
             f"Machine: {m['cpu']} ({m['cores']}, {m['simd']}), Python {m['python']}, NumPy {m['numpy']}, "
             f"torch {m['torch']} ({m['torch_threads']} threads), numba {m['numba']}, lifbook {m['lifbook']} "
             f"({m['lifbook_threads']} threads), snnTorch {m['snntorch']}, Norse {m['norse']}, "
             f"Brian2 {m['brian2']}.", "",
             "Million neuron-updates per second (median over rounds, [min-max]); `x` is lifbook's `run()` "
             "(spike counts recorded) divided by the row; `differ` counts neurons whose spike count differs "
             "from lifbook's.", ""]
    for key, rows in results["workloads"].items():
        first = rows[0]
        lines += [f"## {key}: N = {first['N']:,}, T = {first['T']}", "",
                  "| implementation | M updates/s | range | x | spikes | differ |", "|---|---:|---:|---:|---:|---:|"]
        base = rows[0].get("mups_median")
        for r in rows:
            if "skipped" in r:
                lines.append(f"| {r['impl']} | skipped: {r['skipped']} | | | | |")
                continue
            lines.append(f"| {r['impl']} | {r['mups_median']:.0f} | {r['mups_min']:.0f}-{r['mups_max']:.0f} | "
                         f"{base / r['mups_median']:.1f} | {r.get('spikes_total', '')} | {r.get('neurons_differing', '')} |")
        lines.append("")
    if results.get("library"):
        lines += ["## Library: `forward` and `run` per backend (lif_ref workload, float32)", "",
                  "`run`: T = 1000 steps of a constant input, spike counts recorded; `forward`: one call per step "
                  "with a per-neuron input array. `x naive` is the row divided by the naive NumPy loop.", "",
                  "| op | N | implementation | M updates/s | x naive |", "|---|---:|---|---:|---:|"]
        for r in results["library"]:
            val = r.get("mups_median")
            naive = next((q["mups_median"] for q in results["library"] if q["op"] == r["op"] and q["N"] == r["N"]
                          and q["impl"] == "naive NumPy Euler loop"), None)
            text = "skipped" if val is None else f"{val:.0f} | {val / naive:.1f}" if naive else f"{val:.0f} |"
            lines.append(f"| {r['op']} | {r['N']:,} | {r['impl']} | {text} |")
        lines.append("")
    if results.get("input_forms"):
        rows = results["input_forms"]
        r0 = rows[0]
        lines += [f"## Input forms: N = {r0['N']:,}, T = {r0['T']}, float64, `record=(\"count\",)`", "",
                  f"Measured {results.get('input_forms_run', '')}. {' '.join(input_forms.__doc__.split(chr(10) + chr(10))[1].split())}",
                  "", f"Read bandwidth of this machine: {r0['read_GBps']:.1f} GB/s (one thread). Load average "
                  f"{r0.get('load', (0, 0))[0]:.1f} before the section, {rows[-1].get('load', (0, 0))[1]:.1f} after "
                  "(other jobs shared the 2 cores). `x naive`: the naive loop's wall time over lifbook's "
                  "(`cpu`: the same with each one's CPU time, all threads); `bandwidth`: the input's bytes at the "
                  "read bandwidth over lifbook's time (array forms; target 0.7); `peak`: memory allocated during "
                  "`run()` (tracemalloc), against 10% of the input + 64 MiB.", "",
                  "| model | input | lifbook s | naive s | x naive | lifbook cpu s | naive cpu s | x naive (cpu) | "
                  "bandwidth | peak MiB | limit MiB | differ |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            frac = "" if r.get("bandwidth_frac") is None else f"{r['bandwidth_frac']:.2f}"
            lines.append(f"| {r['model']} | {r['form']} | {r['lifbook_s']:.3f} | {r['naive_s']:.3f} | "
                         f"{r['speedup']:.1f} | {r.get('lifbook_cpu_s', float('nan')):.3f} | "
                         f"{r.get('naive_cpu_s', float('nan')):.3f} | {r.get('speedup_cpu', float('nan')):.1f} | "
                         f"{frac} | {r['peak_MiB']:.1f} | {r['peak_limit_MiB']:.0f} | {r['neurons_differing']} |")
        lines.append("")
        lead = results.get("input_forms_brian2") or {}
        if lead:
            lines += ["Constant-input lead over Brian2 cpp_standalone in the same run (the headline workloads "
                      "`lif_ref` and `eif` at this N and T: float32, Euler, constant input, spike counts; "
                      "lifbook's `run()` against Brian2's own timing of its simulation loop):", ""]
            for model, d in lead.items():
                if "skipped" in d:
                    lines.append(f"- {model}: skipped ({d['skipped']})")
                else:
                    lines.append(f"- {model} (`{d['workload']}`): lifbook {d['lifbook_mups']:.0f} M updates/s, "
                                 f"Brian2 cpp_standalone {d['brian2_mups']:.0f}: **{d['lead']:.1f}x**")
            lines.append("")
    lines += ["## Start-up and one neuron", "",
              "Seconds for imports and for the first `run()` of a one-neuron population in a fresh process "
              "(cold: empty numba cache, so the kernel is compiled; warm: loaded from the cache); "
              "milliseconds for the whole `run()` call of one neuron for 2000 steps (200 ms at dt = 0.1 ms) "
              "once warm.", ""]
    for k, v in {**results.get("startup", {}), **results.get("single_neuron", {})}.items():
        lines.append(f"- `{k}`: {v:.4g}")
    lines += ["", "## Workloads and differences in semantics", "", wl.__doc__.strip(), "", _JSON_SCHEMA]
    return "\n".join(lines) + "\n"


_JSON_SCHEMA = """## bench_results.json (for the book's "Populations at scale" chapter)

`lifbook/data/bench_results.json` holds everything above: `machine` (CPU, versions, threads), `workloads` (a dict
`lif`/`lif_ref`/`eif` -> list of rows), `library` (list of rows with `op` = `run` or `forward`),
`startup` and `single_neuron` (dicts of numbers), `input_forms` (rows of the input-forms section: `model`, `form`,
`N`, `T`, `lifbook_s`, `naive_s`, `speedup`, `lifbook_cpu_s`, `naive_cpu_s`, `speedup_cpu`, `peak_MiB`,
`peak_limit_MiB`, `input_MiB`, `input_bound_s`, `bandwidth_frac` (null for inputs read once), `read_GBps`, `load`
(load average before and after), `neurons_differing`; `input_forms_run` says when and how; `input_forms_brian2`
maps `CLIF`/`ELIF` to the constant-input lead over Brian2 cpp_standalone in the same run: `workload`, `N`, `T`,
`lifbook_mups`, `brian2_mups`, `lead`, or `skipped`). A row of the others has `workload`, `model`, `N`, `T`, `impl`,
`seconds` (one per round), `mups_median`, `mups_min`, `mups_max` (million neuron-updates per second),
`spikes_total`, `neurons_differing` and `max_count_diff` (against the first row), or `skipped`
(the reason). To plot:

```python
import json
res = json.load(open("lifbook/data/bench_results.json"))
rows = [r for r in res["workloads"]["lif_ref"] if "mups_median" in r]
names, speed = [r["impl"] for r in rows], [r["mups_median"] for r in rows]
```
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N = 1e5, T = 200, fewer rounds (under a minute)")
    ap.add_argument("--N", type=float, default=None, help="neurons for the headline workloads")
    ap.add_argument("--T", type=int, default=None, help="time steps for the headline workloads")
    ap.add_argument("--rounds", type=int, default=None, help="rounds per comparison")
    ap.add_argument("--brian2-python", default=os.environ.get("LIFBOOK_BENCH_BRIAN2_PYTHON"),
                    help="interpreter with brian2 installed (default: this one)")
    ap.add_argument("--skip", default="", help="comma-separated sections to skip: headline,library,startup,inputs")
    ap.add_argument("--merge-json", default=None,
                    help="update this results file with the sections run (keep the others), e.g. "
                         "--skip headline,library,startup --merge-json lifbook/data/bench_results.json")
    ap.add_argument("--inputs-N", type=float, default=None, help="neurons for the input-forms section (1e6)")
    ap.add_argument("--json", default=None, help="write all results to this JSON file")
    ap.add_argument("--markdown", default=None, help="write a Markdown table to this file")
    ap.add_argument("--from-json", default=None, help="only write --markdown from this results file")
    args = ap.parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            results = json.load(f)
        with open(args.markdown, "w") as f:
            f.write(markdown(results))
        return
    quick = args.quick
    N = int(args.N or (1e5 if quick else 1e6))
    T = args.T or (200 if quick else 1000)
    rounds = args.rounds or (2 if quick else 3)
    skip = set(filter(None, args.skip.split(",")))
    results = {"args": " ".join(sys.argv[1:] if argv is None else argv),
               "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(args.brian2_python),
               "workloads": {}, "library": [], "startup": {}, "single_neuron": {}}
    print(json.dumps(results["machine"], indent=1))

    if "headline" not in skip:
        b2 = args.brian2_python
        b2_targets = ["cython"] if quick else ["cython", "cpp_standalone"]
        for name in ("lif", "lif_ref", "eif"):
            w = wl.make(name, N, T)
            impls = {"lifbook run (count)": _lifbook_runner("count"),
                     "lifbook run (spikes)": _lifbook_runner("spikes"),
                     "lifbook run, torch tensors (count)": _lifbook_runner("count", backend="torch")}
            impls.update(peers.RUNNERS)
            for target in b2_targets:
                impls[f"Brian2 {target}"] = (lambda t: lambda w: peers.brian2(w, t, python=b2))(target)
            _lifbook_runner("count")(wl.make(name, 1000, 10))  # load the kernels before timing
            print(f"\nworkload {name} ...", file=sys.stderr)
            rows = measure(w, impls, rounds)
            results["workloads"][name] = rows
            print_rows(f"{name}: N = {N:,}, T = {T} ({w.model}, Euler, float32, dt = {w.dt} ms)", rows,
                       "lifbook run (count)", "lifbook/this")

    if "library" not in skip:
        sizes = [1000, 100_000] if quick else [1000, 100_000, 1_000_000]
        steps = (lambda n: 200) if quick else (lambda n: 1000 if n <= 100_000 else 200)
        rows = library_table(sizes, 200 if quick else 1000, steps, rounds)
        results["library"] = rows
        for op in ("run", "forward"):
            for n in sizes:
                print_rows(f"library: {op}, N = {n:,}", [r for r in rows if r["op"] == op and r["N"] == n],
                           "naive NumPy Euler loop", "this/naive")

    if "startup" not in skip:
        results["startup"] = startup_costs(3 if quick else 5, cold=not quick)
        results["single_neuron"] = single_neuron(20 if quick else 50)
        print("\nstart-up and one neuron (2000 steps, whole run() call):")
        for k, v in {**results["startup"], **results["single_neuron"]}.items():
            print(f"  {k:<48} {v:.4g}")

    if "inputs" not in skip:
        n_in = int(args.inputs_N or (1e5 if quick else 1e6))
        results["input_forms"] = input_forms.measure_input_forms(n_in, 200, rounds, 1 if quick else 2)
        results["input_forms_run"] = (f"on {time.strftime('%Y-%m-%d %H:%M')} by `python bench/bench_lifbook.py "
                                      f"{results['args']}`")
        if not quick:
            results["input_forms_brian2"] = brian2_lead(n_in, 200, rounds, args.brian2_python)
        input_forms.print_input_forms(results["input_forms"], results.get("input_forms_brian2"))

    if args.merge_json:
        with open(args.merge_json) as f:
            merged = json.load(f)
        for key in ("workloads", "library", "startup", "single_neuron", "input_forms", "input_forms_run",
                    "input_forms_brian2"):
            if results.get(key):
                merged[key] = results[key]
        results = merged
        with open(args.merge_json, "w") as f:
            json.dump(results, f, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(results))


if __name__ == "__main__":
    main()
