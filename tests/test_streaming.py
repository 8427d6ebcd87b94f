"""run() streams its input (project issue 12): input forms, separable currents, OU noise, memory, interrupts."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import lifbook.engine as engine_mod
from lifbook import CLIFPopulation, ELIFPopulation, inputs
from lifbook.engine import cpu

torch = pytest.importorskip("torch")

N, T = 5000, 120


def _series(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(2.0, 6.0, (T, N)).astype(dtype)


def _run(Model, x, record=("spikes", "v", "count"), **kw):
    m = Model(n=N, **kw)
    return m.run(x, record=record), m


@pytest.mark.parametrize("Model", [CLIFPopulation, ELIFPopulation])
@pytest.mark.parametrize("form", ["float32", "int16", "fortran", "every_other", "broadcast_time", "broadcast_neuron",
                                  "negative_stride", "readonly"])
def test_array_forms_equal_contiguous_exactly(Model, form):
    x64 = _series()
    forms = {
        "float32": lambda: x64.astype(np.float32),
        "int16": lambda: np.round(x64).astype(np.int16),
        "fortran": lambda: np.asfortranarray(x64),
        "every_other": lambda: np.repeat(x64, 2, axis=1)[:, ::2],
        "broadcast_time": lambda: np.broadcast_to(x64[0], (T, N)),
        "broadcast_neuron": lambda: np.broadcast_to(x64[:, :1], (T, N)),
        "negative_stride": lambda: x64[::-1],
        "readonly": lambda: _readonly(x64),
    }
    x = forms[form]()
    got, m = _run(Model, x)
    want, _ = _run(Model, np.ascontiguousarray(np.asarray(x, dtype=np.float64)))
    assert got.spikes.sum() > 0
    np.testing.assert_array_equal(got.spikes, want.spikes)
    np.testing.assert_array_equal(got.v, want.v)
    np.testing.assert_array_equal(m.v, want.v[-1])


def _readonly(x):
    y = x.copy()
    y.flags.writeable = False
    return y


def test_float64_into_float32_population_converts_like_numpy():
    x64 = _series()
    got, _ = _run(CLIFPopulation, x64, dtype="float32", backend="numpy")
    want, _ = _run(CLIFPopulation, x64.astype(np.float32), dtype="float32", backend="numpy")
    np.testing.assert_array_equal(got.spikes, want.spikes)
    np.testing.assert_array_equal(got.v, want.v)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "expanded"])
def test_torch_cpu_tensors_equal_contiguous(layout):
    x32 = _series(np.float32)
    t = torch.from_numpy(x32)
    t = {"contiguous": t, "transposed": t.t().contiguous().t(), "expanded": t[:1].expand(T, N)}[layout]
    got, m = _run(CLIFPopulation, t)
    assert m.backend.name == "torch"
    want, _ = _run(CLIFPopulation, torch.from_numpy(np.ascontiguousarray(t.numpy())))
    assert torch.equal(got.spikes, want.spikes) and torch.equal(got.v, want.v)


def test_numpy_population_reads_tensor_without_copy():
    x32 = _series(np.float32)
    got, _ = _run(CLIFPopulation, torch.from_numpy(x32), backend="numpy")
    want, _ = _run(CLIFPopulation, x32.astype(np.float64), backend="numpy")
    np.testing.assert_array_equal(got.v, want.v)


@pytest.mark.parametrize("Model", [CLIFPopulation, ELIFPopulation])
@pytest.mark.parametrize("name", ["step", "step_baseline", "ramp", "sine", "scaled_step", "sum", "constant"])
def test_separable_currents_equal_materialised(Model, name):
    amp = np.linspace(2.0, 8.0, N)
    cur = {"step": inputs.step(amp, 2.0, 11.0),
           "step_baseline": inputs.step(amp, 2.0, 8.0, baseline=0.5),
           "ramp": inputs.ramp(0.0, amp, 1.0, 9.0),
           "sine": inputs.sine(amp, 80.0, offset=1.0, start=1.0),
           "scaled_step": 1.3 * inputs.step(amp, 2.0, 11.0),
           "sum": inputs.sine(1.0, 60.0, offset=1.5) + inputs.step(amp, 2.0, 11.0),
           "constant": inputs.constant(amp)}[name]
    m = Model(n=N)
    t = m.time + m.dt * np.arange(T)
    sep = cur.separable(t)
    assert sep is not None and sep.amplitudes.nbytes <= 4 * 8 * N  # O(K N), never (T, N)
    np.testing.assert_array_equal(sep.materialise(), np.broadcast_to(cur(t), (T, N)))
    got = m.run(cur, steps=T, record=("spikes", "v"))
    want, _ = _run(Model, cur(t), record=("spikes", "v"))
    assert got.spikes.sum() > 0
    np.testing.assert_array_equal(got.spikes, want.spikes)
    np.testing.assert_array_equal(got.v, want.v)


def test_separable_current_reference_engine_agrees():
    amp = np.linspace(1.0, 3.5, 300)
    cur = inputs.step(amp, 2.0, 8.0) + 0.5 * inputs.sine(1.0, 60.0)
    a = CLIFPopulation(n=300, engine="reference").run(cur, steps=T, record=("spikes", "v"))
    b = CLIFPopulation(n=300).run(cur, steps=T, record=("spikes", "v"))
    np.testing.assert_array_equal(a.spikes, b.spikes)
    np.testing.assert_array_equal(a.v, b.v)


# -- Ornstein-Uhlenbeck noise -------------------------------------------------------------------
def test_counter_normal_moments_and_independence():
    z = inputs.counter_normal(7, np.arange(400)[:, None], np.arange(500)[None, :])
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert abs(np.mean(z ** 3)) < 0.03 and abs(np.mean(z ** 4) - 3) < 0.06  # skewness 0, kurtosis 3
    assert abs(np.corrcoef(z[1:].ravel(), z[:-1].ravel())[0, 1]) < 0.01  # successive steps
    assert abs(np.corrcoef(z[:, 1:].ravel(), z[:, :-1].ravel())[0, 1]) < 0.01  # neighbouring neurons
    other = inputs.counter_normal(8, np.arange(400)[:, None], np.arange(500)[None, :])
    assert abs(np.corrcoef(z.ravel(), other.ravel())[0, 1]) < 0.01  # seeds
    # a pure function of the counter: one at a time equals all at once
    assert inputs.counter_normal(7, 3, 11) == z[3, 11]


def test_ou_block_size_and_thread_independent(monkeypatch):
    cur = inputs.constant(2.0) + inputs.ornstein_uhlenbeck(0.0, 1.0, 5.0, shape=N, seed=3)
    t = 0.1 * np.arange(T)
    whole = cur(t)
    assert abs(whole.std() - 1.0) < 0.05
    stream = inputs.Streamed(cur, t, (N,))
    np.testing.assert_array_equal(np.concatenate([stream.block(0, 7), stream.block(7, 50), stream.block(50, T)]),
                                  whole)
    runs = []
    for threads, block in (("1", 1 << 20), ("2", 8 * N * 3)):
        monkeypatch.setenv("LIFBOOK_NUM_THREADS", threads)
        monkeypatch.setattr(cpu, "STREAM_BYTES", block)
        runs.append(CLIFPopulation(n=N).run(cur, steps=T, record=("spikes", "v")))
    want, _ = _run(CLIFPopulation, whole, record=("spikes", "v"))
    for r in runs:
        np.testing.assert_array_equal(r.v, want.v)
    ref = CLIFPopulation(n=N, engine="reference").run(cur, steps=T, record=("spikes", "v"))
    np.testing.assert_array_equal(ref.spikes, want.spikes)


def test_ou_seed_reproducible_and_stationary():
    a = inputs.ornstein_uhlenbeck(1.0, 0.5, 5.0, shape=2000, seed=1).sample(400)
    b = inputs.ornstein_uhlenbeck(1.0, 0.5, 5.0, shape=2000, seed=1).sample(400)
    c = inputs.ornstein_uhlenbeck(1.0, 0.5, 5.0, shape=2000, seed=2).sample(400)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert abs(a.mean() - 1.0) < 0.02 and abs(a.std() - 0.5) < 0.02
    lag = 50  # 5 ms = tau: correlation e^-1
    r = np.corrcoef((a[lag:] - 1).ravel(), (a[:-lag] - 1).ravel())[0, 1]
    assert abs(r - np.exp(-1)) < 0.03


# -- memory, refusal, interrupt, engine ----------------------------------------------------------
@pytest.mark.parametrize("timing", ["grid", "precise"])
@pytest.mark.parametrize("make", ["float32", "broadcast", "current", "ou"])
def test_run_memory_is_o_n(make, timing):
    n, steps = 20000, 400
    amp = np.linspace(1.0, 3.0, n)
    x = {"float32": lambda: np.tile(amp.astype(np.float32), (steps, 1)),
         "broadcast": lambda: np.broadcast_to(amp, (steps, n)),
         "current": lambda: inputs.step(amp, 1.0, 30.0) + inputs.sine(0.5, 50.0),
         "ou": lambda: inputs.ornstein_uhlenbeck(2.0, 0.5, 5.0, shape=n, seed=0)}[make]()
    kw = {"steps": steps} if make in ("current", "ou") else {}
    CLIFPopulation(n=n, spike_timing=timing).run(x, record=("count",), **kw)  # compile first
    m = CLIFPopulation(n=n, spike_timing=timing)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    rec = m.run(x, record=("count",), **kw)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    full = steps * n * 8  # the (T, N) float64 array that is never made
    # O(N): state copies, counts, amplitudes; for noise (grid) and for any converted input (precise) a block
    # of STREAM_BYTES and its temporaries
    limit = 16 * n * 8 + (4 * cpu.STREAM_BYTES if make == "ou" or timing == "precise" else 0)
    if timing == "precise":
        assert rec.count.sum() > 0
    assert limit < full / 2
    assert peak < limit, (peak, full)


def test_record_memory_refused(monkeypatch):
    monkeypatch.setattr(engine_mod, "available_memory", lambda: 1 << 30)
    m = CLIFPopulation(n=1_000_000)
    assert m.record_bytes(5000) == 5000 * 1_000_000 * 9
    with pytest.raises(MemoryError, match=r"41\.9 GiB.*record=\('count',\).*chunks"):
        m.run(2.5, steps=5000)
    assert m.steps == 0
    monkeypatch.setattr(engine_mod, "available_memory", lambda: 64 << 30)
    assert CLIFPopulation(n=10).record_bytes(10, ("count",)) == 80


@pytest.mark.parametrize("engine", ["numba", "reference"])
def test_interrupt_between_blocks_rolls_back(engine, monkeypatch):
    monkeypatch.setattr(cpu, "BLOCK_BYTES", 8 * N * 10)  # blocks of 10 steps
    m = CLIFPopulation(n=N, engine=engine)
    x = _series()
    m.run(x[:20], record=("count",))
    v0, steps0, s0 = m.v.copy(), m.steps, m.s.copy()
    calls = []

    def hook(done, total):
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    m._on_block = hook
    with pytest.raises(KeyboardInterrupt):
        m.run(x, record=("spikes", "v"))
    assert len(calls) == 2 and calls[0] < T
    np.testing.assert_array_equal(m.v, v0)
    np.testing.assert_array_equal(m.s, s0)
    assert m.steps == steps0
    m._on_block = None
    a = m.run(x, record=("v",))
    b = CLIFPopulation(n=N, engine=engine)
    b.run(x[:20], record=("count",))
    np.testing.assert_array_equal(a.v, b.run(x, record=("v",)).v)


def test_bad_values_found_in_stream_and_state_unchanged():
    m = CLIFPopulation(n=N)
    x = _series(np.float32)
    x[70, 5] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        m.run(x, record=("count",))
    assert m.steps == 0 and np.all(m.v == m.params.u_rest)


def test_reference_engine_is_correct_and_says_why(monkeypatch):
    monkeypatch.setenv("LIFBOOK_ENGINE", "reference")
    x = _series(np.float32)[:, :300]
    m = CLIFPopulation(n=300)
    rec = m.run(x, record=("spikes", "v"))
    assert rec.meta["engine"] == "reference" and "LIFBOOK_ENGINE=reference" in rec.meta["engine_note"]
    assert "engine='reference'" in repr(m) and "slower" in repr(m)
    monkeypatch.delenv("LIFBOOK_ENGINE")
    m2 = CLIFPopulation(n=300)
    rec2 = m2.run(x, record=("spikes", "v"))
    assert rec2.meta["engine"] == "numba" and "engine_note" not in rec2.meta and "engine='numba'" in repr(m2)
    np.testing.assert_array_equal(rec.spikes, rec2.spikes)
    np.testing.assert_array_equal(rec.v, rec2.v)


def test_progress_only_in_notebooks(monkeypatch):
    from lifbook import progress

    monkeypatch.delenv("LIFBOOK_PROGRESS", raising=False)
    assert not progress.in_notebook()  # pytest is not an IPython kernel
    monkeypatch.setenv("LIFBOOK_PROGRESS", "1")
    assert progress.in_notebook()
    p = progress.Progress("run")
    p.start -= 10.0  # as if the run had lasted 10 s
    p(50, 100)
    assert p.shown == 1 and "50/100 steps (50%)" in p.text(50, 100, 10.0)


def test_compile_notice(capsys, monkeypatch):
    from lifbook.engine import kernels

    monkeypatch.setattr(kernels, "COMPILE_NOTICE_S", 0.0)
    kernel = kernels.run_kernel(False, True, False, False, False, True)
    monkeypatch.delenv("LIFBOOK_PROGRESS", raising=False)
    kernels._say_compiling(kernel)
    assert "compiling numba kernel" in capsys.readouterr().err
    monkeypatch.setenv("LIFBOOK_PROGRESS", "0")  # builds and tests (the Makefile) silence it
    kernels._say_compiling(kernel)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("Model", [CLIFPopulation, ELIFPopulation])
def test_reference_blocked_equals_whole_array_loop(Model, monkeypatch):
    from lifbook.engine import reference

    n = 3 * reference.NEURON_BLOCK // 2 + 7  # more than one block, a ragged last one
    x = np.random.default_rng(1).uniform(4.0, 8.0, (100, 2, n)).astype(np.float32)
    kw = dict(n=n, engine="reference", tau_m=np.linspace(8.0, 12.0, n))

    def run():
        m = Model(**kw)
        m.set_batch_size(2)
        return m.run(x, record=("spikes", "v", "count")), m

    a, ma = run()
    monkeypatch.setattr(reference, "NEURON_BLOCK", 10 ** 9)  # the whole-array loop
    b, mb = run()
    assert a.spikes.sum() > 0
    np.testing.assert_array_equal(a.spikes, b.spikes)
    np.testing.assert_array_equal(a.v, b.v)
    np.testing.assert_array_equal(a.count, b.count)
    np.testing.assert_array_equal(ma.v, mb.v)
    np.testing.assert_array_equal(ma.s, mb.s)


# -- precise spike timing (the numba engine streams its input too) --------------------------------
def _precise(Model, **kw):
    kw = dict(dict(t_ref=0.5) if Model is CLIFPopulation else {}, **kw)
    return Model(n=N, spike_timing="precise", **kw)


def _same_precise(got, want):
    got, want = got.numpy(), want.numpy()
    assert got.spikes.sum() > 0
    np.testing.assert_array_equal(got.spikes, want.spikes)
    np.testing.assert_array_equal(got.offsets, want.offsets)
    np.testing.assert_array_equal(got.v, want.v)


@pytest.mark.parametrize("Model", [CLIFPopulation, ELIFPopulation])
@pytest.mark.parametrize("form", ["float32", "every_other", "broadcast_time", "negative_stride", "readonly", "torch"])
def test_precise_array_forms_equal_contiguous_exactly(Model, form, monkeypatch):
    monkeypatch.setattr(cpu, "STREAM_BYTES", 8 * N * 7)  # converted blocks of 7 steps
    x64 = _series() * (0.4 if Model is ELIFPopulation else 1.0)
    forms = {
        "float32": lambda: x64.astype(np.float32),
        "every_other": lambda: np.repeat(x64, 2, axis=1)[:, ::2],
        "broadcast_time": lambda: np.broadcast_to(x64[0], (T, N)),
        "negative_stride": lambda: x64[::-1],
        "readonly": lambda: _readonly(x64),
        "torch": lambda: torch.from_numpy(x64.astype(np.float32)).t().contiguous().t(),
    }
    x = forms[form]()
    m = _precise(Model, backend="numpy")
    assert m.engine == "numba"
    got = m.run(x, record=("spikes", "v", "count"))
    want = _precise(Model, backend="numpy").run(np.ascontiguousarray(np.asarray(x, dtype=np.float64)),
                                                record=("spikes", "v", "count"))
    _same_precise(got, want)
    np.testing.assert_array_equal(m.v, want.v[-1])


@pytest.mark.parametrize("Model", [CLIFPopulation, ELIFPopulation])
@pytest.mark.parametrize("name", ["step", "sum", "ou"])
def test_precise_currents_equal_materialised(Model, name, monkeypatch):
    monkeypatch.setattr(cpu, "STREAM_BYTES", 8 * N * 9)  # blocks of 9 steps
    scale = 0.4 if Model is ELIFPopulation else 1.0
    amp = np.linspace(2.0, 8.0, N) * scale
    cur = {"step": inputs.step(amp, 2.0, 11.0),
           "sum": inputs.sine(scale, 60.0, offset=1.5 * scale) + inputs.step(amp, 2.0, 11.0),
           "ou": inputs.ornstein_uhlenbeck(5.0 * scale, 1.0 * scale, 5.0, shape=N, seed=3)}[name]
    m = _precise(Model)
    t = m.time + m.dt * np.arange(T)
    got = m.run(cur, steps=T, record=("spikes", "v", "i"))
    want = _precise(Model).run(cur(t), record=("spikes", "v", "i"))
    _same_precise(got, want)
    np.testing.assert_array_equal(got.i, want.i)


def test_precise_bad_values_found_in_stream_and_state_unchanged():
    m = ELIFPopulation(n=N, spike_timing="precise")
    x = _series(np.float32) * 0.4
    x[70, 5] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        m.run(x, record=("count",))
    assert m.steps == 0 and np.all(m.v == m.params.u_rest)


@pytest.mark.parametrize("form", ["contiguous", "float32", "transposed", "broadcast_time"])
@pytest.mark.parametrize("record", [("count",), ("spikes", "v")])
def test_grouped_and_tiled_reads_equal_reference(form, record):
    """Many groups of blocks (GROUP * BLOCK neurons each), a last block of a few neurons, transposed tiles
    with a partial last tile: the numba engine gives the reference's spikes and state, bitwise (CLIF)."""
    from lifbook.engine import kernels

    n = 2 * kernels.GROUP * kernels.BLOCK + 10
    steps = 3 * kernels.TILE_T + 7
    rng = np.random.default_rng(3)
    x64 = rng.uniform(3.0, 8.0, (steps, n))
    x = {"contiguous": lambda: x64, "float32": lambda: x64.astype(np.float32),
         "transposed": lambda: np.ascontiguousarray(x64.T).T,
         "broadcast_time": lambda: np.broadcast_to(x64[0], (steps, n))}[form]()
    want_x = np.ascontiguousarray(np.asarray(x, dtype=np.float64))
    a, b = CLIFPopulation(n=n), CLIFPopulation(n=n, engine="reference")
    got, want = a.run(x, record=record), b.run(want_x, record=record)
    for key in record:
        np.testing.assert_array_equal(getattr(got, key), getattr(want, key))
    np.testing.assert_array_equal(a.v, b.v)
    assert np.sum(a.s) + (got.count.sum() if "count" in record else got.spikes.sum()) > 0
