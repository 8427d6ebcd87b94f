"""lifbook's ``run()`` on the input forms users pass, next to a naive in-place NumPy loop reading the same input.

The workload of project issue 12: N neurons, T steps, the default float64 ``CLIFPopulation``
(exact method, ``t_ref = 2`` ms) and ``ELIFPopulation`` (``etd2``), ``record=("count",)``, starting
at rest, inputs around the rheobase (seeded). Input forms:

* ``constant``: a per-neuron array of shape ``(N,)`` held for ``T`` steps (``run(x, steps=T)``);
* ``float64 (T, N)``: a C-contiguous float64 time series (the population's dtype);
* ``float32 (T, N)``: the same values in float32 (converted on the fly, never whole);
* ``strided (T, N)``: a float64 view with a neuron stride of ``T`` elements (the transpose of a
  C-contiguous ``(N, T)`` array);
* ``broadcast view``: ``np.broadcast_to(x, (T, N))`` of a per-neuron ``(N,)`` array (stride 0 in time);
* ``torch float32 tensor``: a CPU tensor (shares the float32 array's memory);
* ``inputs.step``: ``inputs.step(amplitude=I_per_neuron, start, stop)`` (a separable current).

The naive loop is NumPy in place (``out=`` buffers, no per-step allocation), one expression per
step over all neurons, reading ``x[k]`` (NumPy converts float32 and strided rows as it reads them)
or ``amplitude * on[k]`` for the current. Times are wall-clock medians of ``rounds`` runs, with the
process's CPU time of the same runs (``*_cpu_s``: all threads; lifbook's kernels use every core the
process may run on, the naive loop one); ``peak_MiB`` is the most memory Python allocations held
during one ``run()`` beyond what they held before it (``tracemalloc``: NumPy's and torch's CPU
allocations; the kernels' block buffers are a few KiB). ``read_GBps`` is this machine's read
bandwidth (one thread, ``np.sum`` over the float64 input, best of three passes), ``input_bound_s``
the time to read each form's bytes once at that rate and ``bandwidth_frac`` that time over
lifbook's (1: the run reads its input as fast as ``np.sum`` does; the target is 0.7). ``load``: the
machine's load average (1 minute) before and after the section.
"""
from __future__ import annotations

import gc
import os
import statistics
import time
import tracemalloc

import numpy as np

from lifbook import CLIFPopulation, ELIFPopulation, inputs

__all__ = ["measure_input_forms", "print_input_forms", "naive_loop"]

START, STOP = 2.0, 1e9  # ms: the step current switches on after 20 steps and stays on


def _coefs(model):
    p = model.params
    k = p.coefficients(model.method)
    c = dict(u_rest=float(p.u_rest), u_reset=float(p.u_reset), u_th=float(p.u_th), a_m=float(k.a_m),
             b_m=float(k.b_m), n_ref=int(np.max(k.n_ref)))
    if model.Params.model == "ELIF":
        c.update(k_nl=float(k.k_nl), k_nl2=float(k.k_nl2), theta_rh=float(p.theta_rh), delta_T=float(p.delta_T),
                 cap=float(p.exp_arg_cap))
    return c


def naive_loop(model, get_x, T):
    """Spike counts of ``T`` steps of ``model``'s update (CLIF exact or ELIF etd2) in place with NumPy."""
    c = _coefs(model)
    N = model.n
    v = np.full(N, c["u_rest"])
    tmp, e_u, e_a = np.empty(N), np.empty(N), np.empty(N)
    ref = np.zeros(N, dtype=np.int32)
    spk, inact = np.empty(N, dtype=bool), np.empty(N, dtype=bool)
    count = np.zeros(N, dtype=np.int64)
    elif_ = "k_nl" in c
    for k in range(T):
        x = get_x(k)
        if elif_:
            np.subtract(v, c["theta_rh"], out=e_u)
            e_u /= c["delta_T"]
            np.minimum(e_u, c["cap"], out=e_u)
            np.exp(e_u, out=e_u)
            e_u *= c["delta_T"]
        np.subtract(v, c["u_rest"], out=tmp)
        tmp *= c["a_m"]
        tmp += c["u_rest"]
        np.multiply(x, c["b_m"], out=v)  # v is free now
        tmp += v
        if elif_:
            np.multiply(e_u, c["k_nl"], out=v)
            tmp += v
            np.subtract(tmp, c["theta_rh"], out=e_a)
            e_a /= c["delta_T"]
            np.minimum(e_a, c["cap"], out=e_a)
            np.exp(e_a, out=e_a)
            e_a *= c["delta_T"]
            e_a -= e_u
            e_a *= c["k_nl2"]
            tmp += e_a
        np.greater(ref, 0, out=inact)
        np.greater_equal(tmp, c["u_th"], out=spk)
        spk &= ~inact
        np.copyto(tmp, c["u_reset"], where=inact)
        np.copyto(tmp, c["u_reset"], where=spk)
        v, tmp = tmp, v
        ref -= 1
        np.maximum(ref, 0, out=ref)
        np.copyto(ref, c["n_ref"], where=spk)
        count += spk
    return count


def _forms(N, T, seed=0):
    """``{name: (make, naive_get_x_factory, bytes_read_per_run)}``; ``make()`` builds the input (and frees it)."""
    rng = np.random.default_rng(seed)
    amp = rng.uniform(1.0, 3.0, N)  # nA, around the CLIF rheobase (1.5 nA) and the ELIF one

    def series64():
        # a time series: the per-neuron amplitude, modulated slowly in time (deterministic)
        mod = 1.0 + 0.2 * np.sin(np.arange(T) * 0.05)
        return np.multiply.outer(mod, amp)

    forms = {
        "constant": (lambda: (amp, True), 8 * N),
        "float64 (T, N)": (lambda: (series64(), False), 8 * N * T),
        "float32 (T, N)": (lambda: (series64().astype(np.float32), False), 4 * N * T),
        "strided (T, N)": (lambda: (np.ascontiguousarray(series64().T).T, False), 8 * N * T),
        "broadcast view": (lambda: (np.broadcast_to(amp, (T, N)), False), 8 * N),
        "torch float32 tensor": (lambda: (_torch_tensor(series64()), False), 4 * N * T),
        "inputs.step": (lambda: (inputs.step(amplitude=amp, start=START, stop=STOP), "current"), 8 * N),
    }
    return forms, amp


def _torch_tensor(x64):
    import torch

    return torch.from_numpy(x64.astype(np.float32))


def _getter(x, kind, amp, dt, T):
    if kind is True:
        return lambda k: x
    if kind == "current":
        on = ((dt * np.arange(T) >= START) & (dt * np.arange(T) < STOP)).astype(np.float64)
        return lambda k: amp * on[k]
    if not isinstance(x, np.ndarray):  # torch: the naive loop reads the tensor's NumPy view
        x = x.numpy()
    return lambda k: x[k]


def measure_input_forms(N=1_000_000, T=200, rounds=3, naive_rounds=2, models=("CLIF", "ELIF"), forms=None,
                        log=print):
    """Rows ``{model, form, N, T, lifbook_s, naive_s, speedup, peak_MiB, input_MiB, ...}`` (module docstring)."""
    Models = {"CLIF": CLIFPopulation, "ELIF": ELIFPopulation}
    all_forms, amp = _forms(N, T)
    names = list(all_forms) if forms is None else list(forms)
    x64 = all_forms["float64 (T, N)"][0]()[0]
    load0 = os.getloadavg()[0]
    passes = []
    for _ in range(3):
        t = time.perf_counter()
        float(np.sum(x64))
        passes.append(time.perf_counter() - t)
    read_GBps = x64.nbytes / min(passes) / 1e9
    del x64
    gc.collect()
    rows = []
    for model_name in models:
        Model = Models[model_name]
        Model(n=1000).run(np.full(1000, 2.0), steps=10, record=("count",))  # load the kernels
        for name in names:
            make, nbytes = all_forms[name]
            x, kind = make()

            def run_lifbook(m=None):
                m = Model(n=N) if m is None else m
                if kind is True:
                    return m.run(x, steps=T, record=("count",))
                if kind == "current":
                    return m.run(x, steps=T, record=("count",))
                return m.run(x, record=("count",))

            run_lifbook()  # compiles the kernel for this form (or loads it)
            times, cpu = [], []
            for _ in range(rounds):
                t, c = time.perf_counter(), time.process_time()
                rec = run_lifbook()
                times.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            counts = np.asarray(rec.count).reshape(-1)
            gc.collect()
            model = Model(n=N)  # made before: its state is not part of what run() allocates
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            run_lifbook(model)
            peak = tracemalloc.get_traced_memory()[1] - base
            tracemalloc.stop()
            get = _getter(x, kind, amp, Model(n=1).dt, T)
            ntimes, ncpu = [], []
            for _ in range(naive_rounds):
                t, c = time.perf_counter(), time.process_time()
                ncount = naive_loop(Model(n=N), get, T)
                ntimes.append(time.perf_counter() - t)
                ncpu.append(time.process_time() - c)
            lb, nv = statistics.median(times), statistics.median(ntimes)
            lbc, nvc = statistics.median(cpu), statistics.median(ncpu)
            input_mib = (nbytes if kind is not True else 8 * N) / 2**20
            bound = nbytes / (read_GBps * 1e9)
            row = dict(model=model_name, form=name, N=N, T=T, lifbook_s=lb, naive_s=nv, speedup=nv / lb,
                       lifbook_cpu_s=lbc, naive_cpu_s=nvc, speedup_cpu=nvc / lbc,
                       lifbook_mups=N * T / lb / 1e6, naive_mups=N * T / nv / 1e6, peak_MiB=peak / 2**20,
                       input_MiB=input_mib, peak_limit_MiB=0.1 * input_mib + 64,
                       input_bound_s=bound, bandwidth_frac=bound / lb if nbytes >= 8 * N * T // 2 else None,
                       spikes=int(counts.sum()),
                       neurons_differing=int(np.count_nonzero(counts != ncount)), read_GBps=read_GBps,
                       load=(load0, os.getloadavg()[0]))
            rows.append(row)
            log(_fmt(row))
            del x, get
            gc.collect()
    return rows


def _fmt(r):
    frac = "   -" if r.get("bandwidth_frac") is None else f"{r['bandwidth_frac']:4.2f}"
    return (f"{r['model']:<5} {r['form']:<22} lifbook {r['lifbook_s']:7.3f} s ({r['lifbook_mups']:6.0f} M/s, "
            f"cpu {r['lifbook_cpu_s']:6.3f} s)  naive {r['naive_s']:6.3f} s (cpu {r['naive_cpu_s']:6.3f})  "
            f"x{r['speedup']:5.1f} (cpu x{r['speedup_cpu']:5.1f})  bandwidth {frac}  peak {r['peak_MiB']:6.1f} MiB "
            f"(limit {r['peak_limit_MiB']:.0f})  differing {r['neurons_differing']}")


def print_input_forms(rows, lead=None):
    if not rows:
        return
    r0 = rows[0]
    print(f"\ninput forms: N = {r0['N']:,}, T = {r0['T']}, float64, record=('count',); read bandwidth "
          f"{r0['read_GBps']:.1f} GB/s (one thread); load average {r0['load'][0]:.1f} -> {rows[-1]['load'][1]:.1f}")
    for r in rows:
        print("  " + _fmt(r))
    for model, d in (lead or {}).items():
        if "skipped" in d:
            print(f"  constant-input lead over Brian2 cpp_standalone, {model}: skipped ({d['skipped']})")
            continue
        print(f"  constant-input lead over Brian2 cpp_standalone, {model} ({d['workload']}, float32 Euler, "
              f"N = {d['N']:,}, T = {d['T']}): lifbook {d['lifbook_mups']:.0f} M/s, Brian2 {d['brian2_mups']:.0f} "
              f"M/s: x{d['lead']:.1f}")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--N", type=float, default=1e5)
    ap.add_argument("--T", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print_input_forms(measure_input_forms(int(args.N), args.T, args.rounds))
