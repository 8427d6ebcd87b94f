"""The GPU engine (fused Triton kernel, lifbook.engine.gpu) against the reference engine.

``gpu_sim`` tests run the kernel in Triton's interpreter on torch CPU tensors
(``TRITON_INTERPRET=1``, set by a fixture for this module only and restored afterwards; the
interpreted kernels are a module of their own, so nothing compiled for a GPU is touched), and
compile it for CUDA (sm_80, sm_90) without a GPU to check that the real kernel builds from the
same source. ``cuda`` tests run the compiled kernel on a GPU (skipped without one).

Stated agreement (engine vs ``engine="reference"``, same dtype and input):

* Interpreter: identical spikes and counts; CLIF potentials and currents bitwise equal (float32 and
  float64: the same operations in the same order on NumPy); ELIF within 1e-9 mV (float64) and
  0.05 mV (float32), the difference between NumPy's and torch's ``exp``.
* CUDA: identical spikes on these workloads; CLIF potentials within 1e-4 mV in float32 and 1e-9 mV in
  float64 (no FMA contraction, but CUDA's division and the reference's kernels may round
  differently in ELIF); ELIF as above (Triton's float32 ``exp`` is the hardware's approximation).
"""
import numpy as np
import pytest

from _support import engine_configs, requires_cuda, requires_torch, to_np
from lifbook import CLIFPopulation, ELIFPopulation

pytest.importorskip("triton")
torch = pytest.importorskip("torch")

pytestmark = requires_torch

N = 37  # one program (BLOCK = 512), not a multiple of anything
T = 120  # the interpreter takes about 6 ms per step and program

CONFIGS, IDS = engine_configs(N)
FORMS = ["series-full", "const-scalar", "series-neuron", "const-full", "series-scalar", "const-neuron"]
RECORD = ("spikes", "v", "i", "count")


@pytest.fixture(scope="module", autouse=True)
def _interpreter():
    """``TRITON_INTERPRET=1`` while this module's tests run (restored after: no leak to other modules)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRITON_INTERPRET", "1")
        yield


def _tol(Model, dtype, device="cpu"):
    if Model is CLIFPopulation:
        if device == "cpu":
            return 0.0
        return 1e-9 if dtype == "float64" else 1e-4
    return 1e-9 if dtype == "float64" else 0.05


def _inputs(Model, batch, n=N, steps=T, seed=0):
    rng = np.random.default_rng(seed)
    hi = 10.0 if Model is CLIFPopulation else 3.0  # nA: both spike within the 12 ms
    x = rng.uniform(0.0, hi, size=(steps, batch or 1, n))
    if batch is None:
        x = x[:, 0]
    return {
        "const-scalar": (hi * 0.6, steps),
        "const-neuron": (x[0] if batch is None else x[0, 0], steps),
        "const-full": (x[0], steps),
        "series-scalar": (x[:, 0] if batch is None else x[:, 0, 0], None),
        "series-neuron": (x if batch is None else x[:, 0], None),
        "series-full": (x, None),
    }


def _make(Model, kw, engine, batch, dtype, device="cpu", n=N):
    return Model(n=n, batch_size=batch, engine=engine, backend="torch", device=device,
                 dtype=getattr(torch, dtype), **kw)


def _tensor(x, dtype, device="cpu"):
    return torch.as_tensor(np.asarray(x), dtype=getattr(torch, dtype), device=device)


def _compare(a, b, tol, what):
    a, b = to_np(a), to_np(b)
    assert a.shape == b.shape and a.dtype == b.dtype, what
    if tol == 0.0 or a.dtype == bool or a.dtype.kind in "iu":
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(a, b, rtol=0, atol=tol, err_msg=what)


def _check_run(Model, kw, batch, dtype, form, device="cpu", n=N, steps=T, record=RECORD):
    tol = _tol(Model, dtype, device)
    x, n_steps = _inputs(Model, batch, n, steps)[form]
    ref = _make(Model, kw, "reference", batch, dtype, device, n)
    eng = _make(Model, kw, "gpu", batch, dtype, device, n)
    assert ref.engine == "reference" and eng.engine == "gpu"
    xs = _tensor(x, dtype, device)
    ra, rb = ref.run(xs, steps=n_steps, record=record), eng.run(xs, steps=n_steps, record=record)
    for name in ("spikes", "v", "i", "count"):
        assert (getattr(rb, name) is None) == (name not in record), name
    if "spikes" in record:
        assert ra.spike_counts().sum() > 0, form
        _compare(ra.spikes, rb.spikes, 0.0, f"{form} spikes")
    if "count" in record:
        _compare(ra.count, rb.count, 0.0, f"{form} count")
    for name in ("v", "i"):
        if name in record:
            _compare(getattr(ra, name), getattr(rb, name), tol, f"{form} {name}")
    # the state left behind, then single steps (one kernel each) from it
    assert ref.steps == eng.steps == steps
    for k in range(3):
        _compare(ref.v, eng.v, tol, f"{form} v after {k}")
        _compare(ref.i, eng.i, tol, f"{form} i after {k}")
        _compare(ref.s, eng.s, 0.0, f"{form} s after {k}")
        _compare(ref.refractory, eng.refractory, 0.0, f"{form} ref after {k}")
        xk = xs if n_steps is not None else xs[-1 - k]
        ref.forward(xk), eng.forward(xk)


@pytest.mark.gpu_sim
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", range(len(CONFIGS)), ids=IDS)
def test_run_matches_the_reference_in_the_interpreter(k, dtype):
    Model, kw = CONFIGS[k]
    # each configuration with one input form (all forms: the next test), batched and not
    form = FORMS[(k + (dtype == "float32")) % len(FORMS)]
    _check_run(Model, kw, 2 if k % 2 == 0 else None, dtype, form)


@pytest.mark.gpu_sim
@pytest.mark.parametrize("form", FORMS)
def test_every_input_form(form):
    _check_run(*CONFIGS[7], 2, "float64", form)


@pytest.mark.gpu_sim
@pytest.mark.parametrize("record", [("spikes",), ("v",), ("i",), ("count",), ("v", "i")])
@pytest.mark.parametrize("k", [2, 6], ids=[IDS[2], IDS[6]])
def test_every_record_option(k, record):
    _check_run(*CONFIGS[k], 2, "float64", "series-full", steps=80, record=record)


@pytest.mark.gpu_sim
def test_several_programs_heterogeneous_and_a_short_last_block():
    # 2 x 600 elements: three programs of 512, the last one short; coefficients per neuron
    # cross the programs' boundaries (a program holds parts of two batch rows).
    n = 600
    kw = dict(tau_m=np.linspace(5, 20, n), t_ref=np.linspace(0, 3, n), tau_syn=2.0, delta_T=np.linspace(0.5, 3, n))
    _check_run(ELIFPopulation, kw, 2, "float32", "series-full", n=n, steps=70)


@pytest.mark.gpu_sim
def test_one_neuron_unbatched():
    _check_run(CLIFPopulation, dict(tau_syn=3.0, t_ref=1.0), None, "float32", "series-scalar", n=1)


@pytest.mark.gpu_sim
@pytest.mark.parametrize("k", [3, 4], ids=[IDS[3], IDS[4]])
def test_forward_matches_the_reference_and_run_matches_forward(k):
    Model, kw = CONFIGS[k]
    x = _tensor(_inputs(Model, 3)["series-full"][0][:70], "float32")
    ref, eng, eng2 = (_make(Model, kw, e, 3, "float32") for e in ("reference", "gpu", "gpu"))
    rec = eng2.run(x, record=("spikes", "v", "i"))
    for j in range(len(x)):
        ref.forward(x[j]), eng.forward(x[j])
        _compare(ref.s, eng.s, 0.0, f"s[{j}]")
        _compare(ref.v, eng.v, _tol(Model, "float32"), f"v[{j}]")
        _compare(ref.i, eng.i, _tol(Model, "float32"), f"i[{j}]")
        _compare(ref.refractory, eng.refractory, 0.0, f"ref[{j}]")
        # run() and forward() on the engine: bitwise the same
        _compare(rec.v[j], eng.v, 0.0, f"run v[{j}]")
        _compare(rec.spikes[j], eng.s, 0.0, f"run s[{j}]")
    assert rec.spike_counts().sum() > 0


@pytest.mark.gpu_sim
def test_engine_is_pure_and_a_bad_input_changes_nothing():
    m = _make(ELIFPopulation, dict(tau_syn=2.0), "gpu", 2, "float64")
    x = torch.full((2, N), 1.2, dtype=torch.float64)
    m.forward(x)
    held = (m.v, m.i, m.s, m.refractory)
    copies = [t.clone() for t in held]
    x_copy = x.clone()
    for _ in range(5):
        m.forward(x)
    for a, b in zip(held, copies):
        assert torch.equal(a, b)  # a step returns new tensors, never writes the old ones
    assert torch.equal(x, x_copy)
    steps, v = m.steps, m.v.clone()
    with pytest.raises(ValueError, match="x"):
        m.forward(torch.full((2, N), float("nan"), dtype=torch.float64))
    assert m.steps == steps and torch.equal(m.v, v)


# -- input forms read as they are (project issue 12) ------------------------------------------------------
def _series_tensor(steps=60, n=N, seed=1):
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.uniform(0.5, 9.0, (steps, n)))


@pytest.mark.gpu_sim
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("form", ["float32", "float64", "int16", "transposed", "expanded", "flipped", "every_other"])
def test_tensor_forms_are_read_through_strides_and_converted_in_the_kernel(form, dtype, monkeypatch):
    x64 = _series_tensor()
    x = {"float32": lambda: x64.to(torch.float32), "float64": lambda: x64,
         "int16": lambda: x64.round().to(torch.int16),
         "transposed": lambda: x64.t().contiguous().t(), "expanded": lambda: x64[:1].expand(len(x64), N),
         "flipped": lambda: x64.flip(0), "every_other": lambda: x64.repeat_interleave(2, dim=1)[:, ::2]}[form]()
    want_x = x.to(getattr(torch, dtype)).contiguous()
    ref = _make(CLIFPopulation, dict(t_ref=1.0), "reference", None, dtype)
    eng = _make(CLIFPopulation, dict(t_ref=1.0), "gpu", None, dtype)
    from lifbook.engine import gpu

    seen = []
    original = gpu.TritonEngine._input

    def spy(self, xs, v, lead):
        out = original(self, xs, v, lead)
        seen.append((xs, out[0]))
        return out

    monkeypatch.setattr(gpu.TritonEngine, "_input", spy)
    calls = []
    monkeypatch.setattr(type(eng.backend), "check_values", lambda *a: calls.append(a))
    got = eng.run(x, record=("spikes", "v", "count"))
    checks = len(calls)
    monkeypatch.undo()
    want = ref.run(want_x, record=("spikes", "v", "count"))
    assert want.spikes.sum() > 0
    _compare(want.spikes, got.spikes, 0.0, "spikes")
    _compare(want.count, got.count, 0.0, "count")
    _compare(want.v, got.v, 0.0, "v")
    _compare(ref.v, eng.v, 0.0, "final v")
    # the kernel read the caller's tensor: same memory, same dtype (no converted or contiguous copy) ...
    (xs, x3), = seen
    assert x3.dtype == x.dtype and x3.data_ptr() == x.data_ptr()
    # ... and checked it in the same pass (the backend's whole-tensor check never ran)
    assert checks == 0


@pytest.mark.gpu_sim
def test_a_bad_value_in_a_streamed_tensor_is_found_by_the_kernel_and_changes_nothing():
    x = _series_tensor().to(torch.float32)
    x[37, 5] = float("nan")
    m = _make(ELIFPopulation, {}, "gpu", None, "float64")
    m.run(x[:5], record=("count",))
    v, steps = m.v.clone(), m.steps
    with pytest.raises(ValueError, match="NaN or inf"):
        m.run(x, record=("count",))
    assert m.steps == steps and torch.equal(m.v, v)
    x[37, 5] = 1e15  # beyond max_abs_x (1e11 nA here)
    with pytest.raises(ValueError, match="x"):
        m.run(x, record=("count",))
    assert m.steps == steps


@pytest.mark.gpu_sim
@pytest.mark.parametrize("Model", [CLIFPopulation, ELIFPopulation])
@pytest.mark.parametrize("name", ["step", "sum", "ramp_batched"])
def test_separable_currents_are_evaluated_in_the_kernel(Model, name, monkeypatch):
    from lifbook import inputs

    amp = np.linspace(1.0, 9.0 if Model is CLIFPopulation else 6.0, N)
    cur = {"step": inputs.step(amp, 1.0, 9.0),
           "sum": inputs.sine(1.0, 60.0, offset=1.5) + 1.3 * inputs.step(amp, 2.0, 11.0),
           "ramp_batched": inputs.ramp(0.0, amp, 1.0, 9.0)}[name]
    batch = 2 if name == "ramp_batched" else None
    kw = dict(tau_syn=2.0) if name == "sum" else {}
    ref = _make(Model, kw, "reference", batch, "float64")
    eng = _make(Model, kw, "gpu", batch, "float64")
    from lifbook.inputs import Separable

    def no_materialise(self):
        raise AssertionError("a separable current was materialised")

    monkeypatch.setattr(Separable, "materialise", no_materialise)
    record = ("spikes", "v", "count")
    got, want = eng.run(cur, steps=90, record=record), ref.run(cur, steps=90, record=record)
    assert want.spikes.sum() > 0
    _compare(want.spikes, got.spikes, 0.0, "spikes")
    _compare(want.v, got.v, _tol(Model, "float64"), "v")
    _compare(ref.v, eng.v, _tol(Model, "float64"), "final v")
    monkeypatch.undo()
    # without a synaptic filter record["i"] is the current itself
    rec = _make(Model, {}, "gpu", None, "float32").run(cur, steps=20, record=("i",))
    t = 0.0 + ref.dt * np.arange(20)
    np.testing.assert_array_equal(to_np(rec.i), np.broadcast_to(cur(t), (20, N)).astype(np.float32))


@pytest.mark.gpu_sim
def test_precise_spike_timing_runs_on_the_reference_path():
    kw = dict(spike_timing="precise", t_ref=1.0)
    ref = _make(CLIFPopulation, kw, "reference", None, "float64")
    eng = _make(CLIFPopulation, kw, "gpu", None, "float64")
    x = _tensor(np.linspace(1.0, 6.0, N), "float64")
    ra, rb = ref.run(x, steps=50), eng.run(x, steps=50)
    _compare(ra.spikes, rb.spikes, 0.0, "spikes")
    _compare(ra.v, rb.v, 0.0, "v")


@pytest.mark.gpu_sim
def test_the_kernel_runs_the_one_update():
    from lifbook import dynamics
    from lifbook.engine import gpu

    K = gpu.kernels(True)
    assert K._update.fn.__code__ is dynamics.neuron_update.__code__
    assert K.__name__ != "lifbook.engine.gpu_kernels"  # the interpreted copy is a module of its own


def test_selection_and_clear_errors(monkeypatch):
    from lifbook.engine import select
    from lifbook.backends import make_backend

    cpu = make_backend("torch", "cpu", torch.float32)
    assert select(cpu, (4,), "gpu").name == "gpu"  # the interpreter is on in this module
    assert select(cpu, (4,), "auto").name == "numba"  # never chosen on the CPU by itself
    monkeypatch.setenv("LIFBOOK_ENGINE", "gpu")
    assert select(cpu, (4,), "auto").name == "gpu"
    monkeypatch.delenv("LIFBOOK_ENGINE")
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    with pytest.raises(ValueError, match="engine='gpu' runs torch tensors on CUDA"):
        CLIFPopulation(n=4, backend="torch", engine="gpu")
    with pytest.raises(ValueError, match="NumPy"):
        CLIFPopulation(n=4, backend="numpy", engine="gpu")
    with pytest.raises(ValueError, match="engine: expected one of"):
        CLIFPopulation(n=4, engine="cuda")


def _ptx(dtype, **flags):
    """The kernel compiled for CUDA here, without a GPU (Triton's compiler and ptxas are in its wheel)."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from lifbook.engine import gpu

    K = gpu.kernels(False)
    f = "*fp32" if dtype == "float32" else "*fp64"
    sig = dict(x_ptr=f, x_st="i32", x_sb="i32", x_sn="i32", v_ptr=f, i_ptr=f, r_ptr="*i32", P=f, Pn="*i32",
               cols="i32", v_out=f, i_out=f, r_out="*i32", s_out="*u8", s_rec="*u8", v_rec=f, i_rec=f,
               count="*i64", T="i32", BN="i64", N="i32", A_ptr="*fp64", a_sk="i32", a_sb="i32", a_sn="i32",
               PT_ptr="*fp64", KS="i32", limit="fp64", nbad="*i8")
    names = list(sig)
    # what Triton's launcher infers for 16-aligned tensors and sizes divisible by 16
    aligned = ["x_ptr", "x_st", "v_ptr", "i_ptr", "r_ptr", "P", "Pn", "v_out", "i_out", "r_out", "s_out", "s_rec",
               "v_rec", "i_rec", "count", "BN", "N"]
    attrs = {(names.index(a),): [["tt.divisibility", 16]] for a in aligned}
    constexprs = dict(SYN=False, REF=False, EXP=False, ETD2=False, HET=False, REC_S=False, REC_V=False,
                      REC_I=False, COUNT=False, X_FULL=False, BLOCK=K.BLOCK, SEP=False, CHECK=False)
    constexprs.update(flags)
    sig.update({k: "constexpr" for k in constexprs})
    out = {}
    for arch in (80, 90):
        c = triton.compile(ASTSource(fn=K.lif_kernel, signature=sig, constexprs=constexprs, attrs=attrs),
                           target=GPUTarget("cuda", arch, 32),
                           options=dict(num_warps=K.NUM_WARPS, enable_fp_fusion=False))
        out[arch] = c.asm["ptx"]
        assert "cubin" in c.asm
    return out


@pytest.mark.gpu_sim
def test_the_kernel_compiles_for_cuda_without_a_gpu():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRITON_INTERPRET", "0")
        mp.setenv("TRITON_DEFAULT_FP_FUSION", "0")
        every = dict(SYN=True, REF=True, EXP=True, ETD2=True, HET=True, REC_S=True, REC_V=True, REC_I=True,
                     COUNT=True)
        for dtype in ("float32", "float64"):
            assert all(".entry lif_kernel" in p for p in _ptx(dtype, **every).values())
            # a separable current evaluated in the kernel, the input check counted in the same pass
            assert all(".entry lif_kernel" in p for p in _ptx(dtype, SEP=True, CHECK=True, COUNT=True).values())
        # CLIF counts, the benchmark's case: no fused multiply-add (the reference's rounding), and the
        # input of a step read with 128-bit loads
        ptx = _ptx("float32", REF=True, COUNT=True, X_FULL=True)
        for p in ptx.values():
            assert "fma.rn" not in p
            assert "ld.global.v4.b32" in p


# -- on a GPU ---------------------------------------------------------------------------------------
@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", range(len(CONFIGS)), ids=IDS)
def test_cuda_run_matches_the_reference(k, dtype):
    Model, kw = CONFIGS[k]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRITON_INTERPRET", "0")
        for form in FORMS:
            _check_run(Model, kw, 2, dtype, form, device="cuda", steps=300)


@pytest.mark.cuda
@requires_cuda
def test_cuda_auto_selects_the_gpu_engine_and_large_runs_agree():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRITON_INTERPRET", "0")
        mp.delenv("LIFBOOK_ENGINE", raising=False)
        assert CLIFPopulation(n=4, backend="torch", device="cuda").engine == "gpu"
        n = 100_003
        kw = dict(tau_m=np.linspace(5, 20, n), tau_syn=2.0)
        _check_run(ELIFPopulation, kw, 3, "float32", "series-full", device="cuda", n=n, steps=200)
        _check_run(CLIFPopulation, {}, 3, "float64", "const-scalar", device="cuda", n=n, steps=200)

