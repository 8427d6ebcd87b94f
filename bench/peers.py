"""Other ways to simulate the workloads of :mod:`workload`: naive NumPy, torch eager, Brian2, snnTorch, Norse.

Every runner takes a :class:`workload.Workload` and returns ``(seconds, counts)``: the wall time
of the ``T`` time steps (set-up and compilation excluded, counting spikes included) and the
spikes per neuron (int64). A runner raises :class:`Unavailable` when its package is missing or
cannot express the workload. Nothing here imports torch or brian2 at import time.

Brian2 2.9 (the last release for Python 3.11) does not import with NumPy >= 2.4; give the
benchmark another interpreter with ``--brian2-python`` (a venv with ``brian2==2.9.0`` and
``numpy<2.4``) and it runs :func:`brian2` there through ``python peers.py brian2 ...``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import workload as wl  # noqa: E402


class Unavailable(Exception):
    """This peer cannot run here (package missing) or cannot express the workload."""


# -- array libraries, one expression per step ---------------------------------------------------------
def _euler_step(xp, v, ref, x_term, w, c):
    """One naive Euler step in NumPy or torch (``xp``): the update, threshold, reset and refractoriness."""
    v_new = c["u_rest"] + c["a"] * (v - c["u_rest"]) + x_term
    if w.name == "eif":
        arg = xp.minimum((v - c["theta"]) / c["delta"], c["cap"])
        v_new = v_new + c["k"] * (c["delta"] * xp.exp(arg))
    if ref is None:
        s = v_new >= c["th"]
        return xp.where(s, c["reset"], v_new), None, s
    active = ref == 0
    s = (v_new >= c["th"]) & active
    v_new = xp.where(s | ~active, c["reset"], v_new)
    ref_left = np.maximum(ref - 1, 0) if xp is np else (ref - 1).clamp_min(0)
    return v_new, xp.where(s, c["n_ref"], ref_left), s


def _constants(w, as_scalar):
    p = w.params
    a, b = w.coefficients()
    c = dict(u_rest=p["u_rest"], a=a, b=b, th=p["u_th"], reset=p["u_reset"], n_ref=w.n_ref)
    if w.name == "eif":
        c.update(theta=p["theta_rh"], delta=p["delta_T"], k=w.dt / p["tau_m"],
                 cap=min((p["u_th"] - p["theta_rh"]) / p["delta_T"], 30.0))
    return {k: (v if k == "n_ref" else as_scalar(v)) for k, v in c.items()}


def naive_numpy(w: wl.Workload, count_spikes: bool = True):
    """A plain NumPy loop over time steps (what a course project writes first)."""
    c = _constants(w, np.float32)
    x_term = c["b"] * w.x
    v = np.full(w.N, c["u_rest"], dtype=np.float32)
    ref = np.zeros(w.N, dtype=np.int32) if w.n_ref else None
    count = np.zeros(w.N, dtype=np.int64)
    t0 = time.perf_counter()
    for _ in range(w.T):
        v, ref, s = _euler_step(np, v, ref, x_term, w, c)
        if count_spikes:
            count += s
    return time.perf_counter() - t0, count


def torch_eager(w: wl.Workload):
    """The same loop with torch tensors on the CPU (eager mode, torch's default threads)."""
    try:
        import torch
    except ImportError:
        raise Unavailable("torch is not installed") from None
    c = _constants(w, lambda a: torch.tensor(a, dtype=torch.float32))
    x_term = c["b"] * torch.from_numpy(w.x)
    v = torch.full((w.N,), float(c["u_rest"]), dtype=torch.float32)
    ref = torch.zeros(w.N, dtype=torch.int32) if w.n_ref else None
    count = torch.zeros(w.N, dtype=torch.int64)
    with torch.no_grad():
        t0 = time.perf_counter()
        for _ in range(w.T):
            v, ref, s = _euler_step(torch, v, ref, x_term, w, c)
            count += s
        elapsed = time.perf_counter() - t0
    return elapsed, count.numpy()


# -- SNN libraries ---------------------------------------------------------------------------------
def snntorch_leaky(w: wl.Workload):
    """snnTorch ``Leaky(beta, threshold, reset_mechanism="zero")``: the ``lif`` workload exactly."""
    if w.name != "lif":
        raise Unavailable("snnTorch's Leaky has no refractory period or exponential term")
    try:
        import snntorch
        import torch
    except ImportError:
        raise Unavailable("snntorch is not installed") from None
    a, b = w.coefficients()
    cell = snntorch.Leaky(beta=float(a), threshold=float(w.params["u_th"]), reset_mechanism="zero")
    inp = torch.from_numpy(b * w.x)  # the float32 product lifbook's kernel computes
    return _count_torch_cell(lambda mem: cell(inp, mem), torch.zeros(w.N, dtype=torch.float32), w)


def _count_torch_cell(step, state, w: wl.Workload):
    """Time ``w.T`` calls of ``step(state) -> (spikes, state)`` (a torch cell), counting spikes per neuron."""
    import torch

    count = torch.zeros(w.N, dtype=torch.float32)
    with torch.no_grad():
        t0 = time.perf_counter()
        for _ in range(w.T):
            z, state = step(state)
            count += z
        elapsed = time.perf_counter() - t0
    return elapsed, count.numpy().astype(np.int64)


def norse_lif(w: wl.Workload):
    """Norse ``LIFCell`` (``lif``) or ``LIFRefracCell`` (``lif_ref``) with the input as synaptic current."""
    if w.name not in ("lif", "lif_ref"):
        raise Unavailable("this benchmark runs Norse on the CLIF workloads only")
    try:
        import norse.torch as norse
        import torch
    except ImportError:
        raise Unavailable("norse is not installed") from None
    p = w.params
    lif = norse.LIFParameters(tau_syn_inv=torch.as_tensor(1.0 / w.dt), tau_mem_inv=torch.as_tensor(1.0 / p["tau_m"]),
                              v_leak=torch.as_tensor(p["u_rest"]), v_th=torch.as_tensor(p["u_th"]),
                              v_reset=torch.as_tensor(p["u_reset"]), method="heaviside")
    if w.n_ref:
        cell = norse.LIFRefracCell(norse.LIFRefracParameters(lif=lif, rho_reset=torch.as_tensor(float(w.n_ref))),
                                   dt=w.dt)
    else:
        cell = norse.LIFCell(lif, dt=w.dt)
    inp = torch.from_numpy(np.float32(p["R"]) * w.x)  # dv = dt/tau ((v_leak - v) + i): i = R x in mV
    return _count_torch_cell(lambda state: cell(inp, state), None, w)


# -- Brian2 ------------------------------------------------------------------------------------------
def brian2(w: wl.Workload, target: str = "cython", python: str | None = None, workdir: str | None = None):
    """Brian2 ``NeuronGroup`` (``method="euler"``, float32), ``target``: "cython", "numpy" or "cpp_standalone".

    Timing: runtime targets, the second ``run()`` of the same network (the first compiles);
    standalone, Brian2's own measurement of the simulation loop (``device._last_run_time``).
    """
    if w.name == "lif":
        raise Unavailable("the no-refractoriness workload is for snnTorch/Norse; Brian2 runs lif_ref and eif")
    if python is not None:
        return _brian2_subprocess(w, target, python)
    try:
        import brian2 as b2
    except Exception as exc:  # ImportError, or AttributeError with NumPy >= 2.4 (ndarray.ptp)
        raise Unavailable(f"brian2 does not import here ({type(exc).__name__}: {exc}); "
                          "pass --brian2-python") from None
    b2.start_scope()
    b2.prefs.core.default_float_dtype = np.float32
    b2.prefs.codegen.target = "numpy" if target == "cpp_standalone" else target
    standalone = target == "cpp_standalone"
    if standalone:
        workdir = workdir or tempfile.mkdtemp(prefix="lifbook-brian2-")
        b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
    p = w.params
    ms, mV, nA, Mohm = b2.ms, b2.mV, b2.nA, b2.Mohm
    b2.defaultclock.dt = w.dt * ms
    ns = dict(u_rest=p["u_rest"] * mV, u_reset=p["u_reset"] * mV, u_th=p["u_th"] * mV, R=p["R"] * Mohm,
              tau=p["tau_m"] * ms)
    if w.name == "eif":
        cap = min((p["u_th"] - p["theta_rh"]) / p["delta_T"], 30.0)
        ns.update(theta_rh=p["theta_rh"] * mV, delta_T=p["delta_T"] * mV, cap=cap)
        eqs = ("dv/dt = (-(v - u_rest) + delta_T*exp(clip((v - theta_rh)/delta_T, -inf, cap)) + R*I)/tau "
               ": volt (unless refractory)\nI : amp (constant)")
    else:
        eqs = "dv/dt = (-(v - u_rest) + R*I)/tau : volt (unless refractory)\nI : amp (constant)"
    group = b2.NeuronGroup(w.N, eqs, threshold="v >= u_th", reset="v = u_reset",
                           refractory=(p["t_ref"] + w.dt) * ms, method="euler", namespace=ns)
    group.v = p["u_rest"] * mV
    group.I = w.x.astype(np.float64) * nA
    mon = b2.SpikeMonitor(group, record=False)
    net = b2.Network(group, mon)
    if standalone:
        net.run(w.T * w.dt * ms, namespace=ns)
        b2.device.build(directory=workdir, compile=True, run=True)
        elapsed = float(b2.device._last_run_time)
        counts = np.asarray(mon.count, dtype=np.int64)
        b2.device.reinit()
        b2.device.activate()
        return elapsed, counts
    net.run(1 * w.dt * ms, namespace=ns)  # code generation and compilation
    first = np.asarray(mon.count, dtype=np.int64).copy()
    t0 = time.perf_counter()
    net.run((w.T - 1) * w.dt * ms, namespace=ns)
    elapsed = (time.perf_counter() - t0) * w.T / (w.T - 1)
    del first
    return elapsed, np.asarray(mon.count, dtype=np.int64)


def _brian2_subprocess(w: wl.Workload, target: str, python: str):
    with tempfile.TemporaryDirectory(prefix="lifbook-bench-") as tmp:
        path = os.path.join(tmp, "workload.npz")
        np.savez(path, x=w.x, name=w.name, N=w.N, T=w.T)
        cmd = [python, os.path.join(HERE, "peers.py"), "brian2", target, path]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
            raise Unavailable(f"brian2 in {python} failed: {tail[0]}")
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        if "unavailable" in out:
            raise Unavailable(out["unavailable"])
        return out["seconds"], np.load(os.path.join(tmp, "counts.npy"))


def brian2_version(python: str | None = None) -> str | None:
    code = "import brian2; print(brian2.__version__)"
    if python is None:
        try:
            import brian2 as b2
            return b2.__version__
        except Exception:
            return None
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return proc.stdout.strip() or None


def _main(argv):
    """``python peers.py brian2 TARGET WORKLOAD.npz``: run Brian2 in this interpreter, print JSON."""
    kind, target, path = argv
    assert kind == "brian2"
    data = np.load(path)
    w = wl.make(str(data["name"]), int(data["N"]), int(data["T"]))
    w.x = data["x"]
    try:
        seconds, counts = brian2(w, target)
    except Unavailable as exc:
        print(json.dumps({"unavailable": str(exc)}))
        return
    np.save(os.path.join(os.path.dirname(path), "counts.npy"), counts)
    print(json.dumps({"seconds": seconds}))


RUNNERS = {
    "numpy (naive loop)": naive_numpy,
    "torch eager (CPU)": torch_eager,
    "snnTorch Leaky": snntorch_leaky,
    "Norse LIF(Refrac)Cell": norse_lif,
}

if __name__ == "__main__":
    _main(sys.argv[1:])
