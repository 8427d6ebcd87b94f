"""Precise spike timing (``spike_timing="precise"``): accuracy, convergence, engines, records, errors.

The pure functions are tested in ``tests/test_timing.py``; here the populations.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from lifbook import CLIFPopulation, ELIFPopulation, engine, reference, theory
from lifbook.params import CLIFParams, ELIFParams

from _support import requires_cuda, requires_torch, to_np

# Several tests drive neurons with deliberately huge inputs (a spike every t_ref).
pytestmark = pytest.mark.filterwarnings("ignore::lifbook.UnitWarning")

pytest.importorskip("scipy")

#: The ELIF accuracy workload of issue 8 (R in MOhm, so R I is in mV for I in nA).
ELIF_WORKLOAD = dict(tau_m=10.0, u_rest=-65.0, u_reset=-65.0, theta_rh=-55.0, delta_T=2.0, u_th=-30.0, R=10.0,
                     t_ref=2.0, dt=0.1)
ELIF_CURRENTS = (0.85, 1.0, 2.0, 4.0)
HAVE_NUMBA = engine.numba_available()
ENGINES = ["reference"] + (["numba"] if HAVE_NUMBA else [])


def _run_constant(cls, currents, duration, eng="auto", record=("spikes",), **params):
    """One neuron per current, constant input for ``duration`` ms: ``(population, record)``."""
    currents = np.asarray(currents, dtype=np.float64)
    pop = cls(n=currents.size, spike_timing="precise", backend="numpy", dtype="float64", engine=eng, **params)
    rec = pop.run(currents, steps=int(round(duration / pop.dt)), record=record)
    return pop, rec


# -- accuracy ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("eng", ENGINES)
def test_clif_every_spike_within_1e_4_ms_of_the_closed_form(eng):
    p = CLIFParams()
    currents = [2.05, 2.5, 5.0, 12.0, 40.0, 1.5]  # the last is below rheobase (2 nA): no spike
    _, rec = _run_constant(CLIFPopulation, currents, 1000.0, eng)
    worst = 0.0
    for j, I in enumerate(currents):
        want = theory.lif_spike_times(I, 1000.0, params=p)
        got = rec.spike_times(j)
        assert got.size == want.size, (I, got.size, want.size)
        if want.size:
            worst = max(worst, float(np.max(np.abs(got - want))))
    assert 0 < worst < 1e-4
    assert worst < 1e-9  # in fact the closed form to rounding


@pytest.mark.parametrize("t_ref", [0.1, 1.234, 2.0])
def test_clif_refractory_period_is_exact(t_ref):
    # t_ref == dt, and a t_ref that is no multiple of dt: the grid would round it to steps
    p = CLIFParams(t_ref=t_ref)
    _, rec = _run_constant(CLIFPopulation, [6.0, 30.0], 300.0, t_ref=t_ref)
    for j, I in enumerate([6.0, 30.0]):
        want = theory.lif_spike_times(I, 300.0, params=p)
        got = rec.spike_times(j)
        assert got.size == want.size and np.max(np.abs(got - want)) < 1e-9
        assert np.min(np.diff(got)) >= t_ref


def test_clif_with_synaptic_filter_against_the_ode_reference():
    p = CLIFParams(tau_syn=3.0)
    currents = [2.5, 5.0, 20.0]
    _, rec = _run_constant(CLIFPopulation, currents, 500.0, tau_syn=3.0)
    for j, I in enumerate(currents):
        want = reference.spike_times(p, I, 500.0, rtol=1e-12, atol=1e-12)
        got = rec.spike_times(j)
        assert got.size == want.size and want.size > 10
        assert np.max(np.abs(got - want)) < 1e-7


@pytest.mark.slow
@pytest.mark.parametrize("eng", ENGINES)
def test_elif_workload_first_and_last_spike_and_counts(eng):
    p = ELIFParams(**ELIF_WORKLOAD)
    _, rec = _run_constant(ELIFPopulation, ELIF_CURRENTS, 1000.0, eng, **ELIF_WORKLOAD)
    for j, I in enumerate(ELIF_CURRENTS):
        want = reference.spike_times(p, I, 1000.0)
        got = rec.spike_times(j)
        assert got.size == want.size, (I, got.size, want.size)
        assert abs(got[0] - want[0]) < 0.01, (I, got[0] - want[0])
        assert abs(got[-1] - want[-1]) < 0.05, (I, got[-1] - want[-1])


def test_elif_precise_beats_the_grid():
    p = ELIFParams(**ELIF_WORKLOAD)
    want = reference.spike_times(p, 2.0, 200.0)
    _, rec = _run_constant(ELIFPopulation, [2.0], 200.0, **ELIF_WORKLOAD)
    grid = ELIFPopulation(n=1, backend="numpy", dtype="float64", **ELIF_WORKLOAD).run([2.0], steps=2000,
                                                                                     record=("spikes",))
    err_precise = np.max(np.abs(rec.spike_times(0) - want))
    err_grid = np.max(np.abs(grid.spike_times(0) - want))
    assert err_precise < err_grid / 10


@pytest.mark.slow
def test_elif_convergence_is_second_order():
    p = ELIFParams(**ELIF_WORKLOAD)
    dts = [0.4, 0.2, 0.1, 0.05]
    for I in (1.0, 2.0):
        want = reference.spike_times(p, I, 300.0, rtol=1e-12, atol=1e-12)
        errs = []
        for dt in dts:
            _, rec = _run_constant(ELIFPopulation, [I], 300.0, **dict(ELIF_WORKLOAD, dt=dt))
            got = rec.spike_times(0)
            assert got.size == want.size
            errs.append(np.max(np.abs(got - want)))
        slope = np.polyfit(np.log(dts), np.log(errs), 1)[0]
        assert slope >= 1.8, (I, errs, slope)


def test_clif_convergence_is_at_rounding_level_for_every_dt():
    p = CLIFParams(t_ref=0.4)
    want = theory.lif_spike_times(3.0, 200.0, params=p)
    for dt in (0.4, 0.2, 0.1, 0.05):
        _, rec = _run_constant(CLIFPopulation, [3.0], 200.0, t_ref=0.4, dt=dt)
        assert np.max(np.abs(rec.spike_times(0) - want)) < 1e-9


# -- engines agree ---------------------------------------------------------------------------------------
def _hetero(cls, backend="numpy", eng="reference", batch=3, syn=True, dtype="float64"):
    rng = np.random.default_rng(7)
    n = 24
    extra = dict(tau_m=rng.uniform(6.0, 14.0, n), t_ref=np.where(np.arange(n) % 4 == 0, 0.1,
                                                                    rng.uniform(0.1, 3.0, n)))
    if syn:
        extra["tau_syn"] = np.where(np.arange(n) % 3 == 0, 0.0, rng.uniform(0.5, 5.0, n))
    if cls is ELIFPopulation:
        extra.update(delta_T=rng.uniform(1.0, 3.0, n), u_reset=-65.0)
    return cls(n=n, batch_size=batch, spike_timing="precise", backend=backend, dtype=dtype, engine=eng, **extra)


def _input(pop, T=1500, seed=3):
    rng = np.random.default_rng(seed)
    base = 1.5 if isinstance(pop, ELIFPopulation) else 3.0
    return base + rng.normal(0.0, 1.5, (T, *pop.state_shape)) + 1e3 * (rng.random((T, *pop.state_shape)) < 1e-3)


def _same(a, b, tol=1e-9):
    a, b = a.numpy(), b.numpy()
    np.testing.assert_array_equal(a.spikes, b.spikes)
    np.testing.assert_allclose(a.offsets[a.spikes], b.offsets[b.spikes], rtol=0, atol=tol)
    np.testing.assert_allclose(a.v, b.v, rtol=0, atol=tol * 10)
    t_a, j_a = a.spike_events()
    t_b, j_b = b.spike_events()
    np.testing.assert_array_equal(j_a, j_b)
    np.testing.assert_allclose(t_a, t_b, rtol=0, atol=tol)


@pytest.mark.parametrize("syn", [True, False])  # with a filter the scalar fix-up, without it the vectorised one
@pytest.mark.parametrize("cls", [CLIFPopulation, ELIFPopulation])
@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")
def test_numba_agrees_with_the_reference(cls, syn):
    ref = _hetero(cls, syn=syn)
    fast = _hetero(cls, eng="numba", syn=syn)
    assert ref.engine == "reference" and fast.engine == "numba"
    xs = _input(ref)
    a = ref.run(xs, record=("spikes", "v", "i"))
    b = fast.run(xs, record=("spikes", "v", "i"))
    assert a.spikes.sum() > 50
    _same(a, b)
    np.testing.assert_allclose(to_np(ref.refractory), to_np(fast.refractory), rtol=0, atol=1e-9)


@requires_torch
@pytest.mark.parametrize("cls", [CLIFPopulation, ELIFPopulation])
@pytest.mark.parametrize("eng", ENGINES)
def test_torch_agrees_with_numpy(cls, eng):
    a_pop = _hetero(cls)
    b_pop = _hetero(cls, backend="torch", eng=eng)
    xs = _input(a_pop, T=600)
    a = a_pop.run(xs, record=("spikes", "v"))
    import torch

    b = b_pop.run(torch.as_tensor(xs), record=("spikes", "v"))
    assert isinstance(b.offsets, torch.Tensor)
    _same(a, b)


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")
def test_numba_threads_agree_with_the_reference(monkeypatch):
    # enough work for several threads (lifbook.engine.cpu.PARALLEL_MIN) and several blocks per row
    monkeypatch.setenv("LIFBOOK_NUM_THREADS", "3")
    rng = np.random.default_rng(11)
    n = 5000
    kw = dict(n=n, batch_size=2, spike_timing="precise", backend="numpy", dtype="float64",
              tau_m=rng.uniform(8.0, 16.0, n), t_ref=rng.uniform(0.1, 3.0, n))
    xs = 0.9 + rng.random((30, 2, n)) * 1.5
    xs[:, :, ::7] += 20.0
    a = ELIFPopulation(engine="reference", **kw).run(xs, record=("spikes", "v", "count"))
    fast = ELIFPopulation(engine="numba", **kw)
    b = fast.run(xs, record=("spikes", "v", "count"))
    assert a.spikes.sum() > 500
    _same(a, b)
    np.testing.assert_array_equal(a.count, b.count)


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")
@pytest.mark.parametrize("syn", [True, False])
@pytest.mark.parametrize("cls", [CLIFPopulation, ELIFPopulation])
def test_float32_numba_agrees_with_the_reference(cls, syn):
    # float32 states (the fix-up itself runs in float64): same spikes here, offsets within 1e-4 ms
    # (ELIF: the grid pass's exp is a float32 polynomial in the kernels, NumPy's exp in the reference)
    ref, fast = _hetero(cls, dtype="float32", syn=syn), _hetero(cls, eng="numba", dtype="float32", syn=syn)
    xs = _input(ref, T=800).astype(np.float32)
    a, b = ref.run(xs, record=("spikes", "v")).numpy(), fast.run(xs, record=("spikes", "v")).numpy()
    assert a.offsets.dtype == np.float32 and a.spikes.sum() > 50
    np.testing.assert_array_equal(a.spikes, b.spikes)
    np.testing.assert_allclose(a.offsets[a.spikes], b.offsets[b.spikes], rtol=0, atol=1e-4)


def test_compiled_functions_equal_the_python_ones():
    if not HAVE_NUMBA:
        pytest.skip("numba is not installed")
    from lifbook import timing as tm

    C = tm.compiled()
    cases = [(-50.05, 0.0, 0.0, 3.0, 0.0, False), (-65.0, 0.0, 0.04, 3.0, 0.0, False),
             (-55.1, 3.0, 0.0, 0.5, 2.0, False), (-45.0, 0.0, 0.0, 1.0, 0.0, True),
             (-64.0, 0.0, 0.07, 30.0, 0.0, True), (-40.0, 2.0, 0.0, 0.5, 3.0, True)]
    for v, i, ref, x, tau_syn, exp_ in cases:
        args = (v, i, ref, x, 0.1, 10.0, -65.0, -65.0, -30.0 if exp_ else -50.0, 10.0, 2.0, tau_syn, -55.0, 2.0,
                12.5, exp_)
        py, nb = tm.fixup(*args), C.fixup(*args)
        assert py[2] == nb[2] and abs(py[0] - nb[0]) < 1e-12 and abs(py[3] - nb[3]) < 1e-12 and py[1] == nb[1]


@requires_cuda
@pytest.mark.parametrize("cls", [CLIFPopulation, ELIFPopulation])
def test_cuda_agrees_with_numpy(cls):
    import torch

    a_pop = _hetero(cls)
    b_pop = cls(n=a_pop.n, batch_size=3, spike_timing="precise", device="cuda", dtype="float64",
                params=a_pop.params)
    assert b_pop.engine == "reference"
    xs = _input(a_pop, T=300)
    a = a_pop.run(xs, record=("spikes", "v"))
    b = b_pop.run(torch.as_tensor(xs, device="cuda"), record=("spikes", "v"))
    _same(a, b)


@pytest.mark.parametrize("cls", [CLIFPopulation, ELIFPopulation])
@pytest.mark.parametrize("eng", ENGINES)
def test_forward_equals_run_and_split_runs(cls, eng):
    xs = _input(_hetero(cls), T=400)
    whole = _hetero(cls, eng=eng).run(xs, record=("spikes", "v")).numpy()
    split = _hetero(cls, eng=eng)
    r1 = split.run(xs[:137], record=("spikes", "v")).numpy()
    r2 = split.run(xs[137:], record=("spikes", "v")).numpy()
    t = np.concatenate([r1.spike_events()[0], r2.spike_events()[0]])
    np.testing.assert_allclose(np.sort(t), whole.spike_events()[0], rtol=0, atol=1e-12)
    step = _hetero(cls, eng=eng)
    times = []
    for k in range(xs.shape[0]):
        s = step.forward(xs[k])
        assert s is step.s
        np.testing.assert_array_equal(to_np(s), whole.spikes[k])
        np.testing.assert_allclose(to_np(step.v), whole.v[k], rtol=0, atol=1e-12)
        off = to_np(step.spike_offset)
        assert np.all(off[~to_np(s)] == 0.0) and np.all((off >= 0) & (off <= step.dt))
        times.extend((k * step.dt + off[to_np(s)]).tolist())
    np.testing.assert_allclose(np.sort(times), whole.spike_events()[0], rtol=0, atol=1e-12)


# -- edge cases -------------------------------------------------------------------------------------------
def test_crossing_exactly_at_the_end_of_a_step():
    p = CLIFParams()
    T = 0.5  # choose the current whose first crossing from u_rest is at exactly 0.5 ms
    a = math.exp(-T / p.tau_m)
    x = (p.u_th - p.u_rest) / (p.R * (1.0 - a))
    _, rec = _run_constant(CLIFPopulation, [x], 20.0)
    want = theory.lif_spike_times(x, 20.0, params=p)
    got = rec.spike_times(0)
    assert got.size == want.size and abs(got[0] - 0.5) < 1e-12 and np.max(np.abs(got - want)) < 1e-9
    k = np.flatnonzero(rec.spikes[:, 0])[0]
    assert k in (4, 5)  # the step ending at 0.5 ms, or the next one starting there


def test_huge_input_spikes_every_t_ref():
    p = CLIFParams()
    pop, rec = _run_constant(CLIFPopulation, [1e5], 100.0, record=("spikes", "count"))
    want = theory.lif_spike_times(1e5, 100.0, params=p)
    got = rec.spike_times(0)
    assert got.size == want.size == int(rec.count[0])
    assert np.max(np.abs(got - want)) < 1e-9
    period = p.t_ref + float(theory.lif_time_to_threshold(1e5, p))
    assert np.max(np.abs(np.diff(got) - period)) < 1e-9 and period - p.t_ref < 1e-3


def test_refractory_neurons_at_the_start_of_a_run():
    # Some neurons are refractory when the second run starts; the state (ms left) carries over.
    pop = CLIFPopulation(n=3, spike_timing="precise", backend="numpy", dtype="float64", engine="reference")
    pop.run([5.0, 40.0, 0.0], steps=100, record=())
    left = pop.refractory.copy()
    assert left.dtype == np.float64 and left[1] > 0 and left[2] == 0
    assert np.all((left >= 0) & (left < pop.params.t_ref))
    rec = pop.run([5.0, 40.0, 0.0], steps=1000, record=("spikes",))
    want = theory.lif_spike_times(40.0, 110.0, params=pop.params)
    got = np.concatenate([want[want <= 10.0], rec.spike_times(1)])
    assert np.max(np.abs(got - want)) < 1e-9


# -- records and the population ----------------------------------------------------------------------------
def test_record_holds_offsets_and_precise_times():
    pop, rec = _run_constant(CLIFPopulation, [3.0, 8.0], 100.0, record=("spikes", "v", "count"))
    assert rec.precise and rec.meta["spike_timing"] == "precise"
    assert rec.offsets.shape == rec.spikes.shape and rec.offsets.dtype == np.float64
    assert np.all(rec.offsets[~rec.spikes] == 0.0)
    assert np.all((rec.offsets[rec.spikes] >= 0.0) & (rec.offsets[rec.spikes] <= pop.dt))
    k, j = np.nonzero(rec.spikes)
    assert np.all(rec.v[k, j] == pop.params.u_reset)  # v is the end-of-step state: still held at reset
    t, jj = rec.spike_events()
    assert np.all(np.diff(t) >= 0) and t.size == k.size
    np.testing.assert_array_equal(rec.spike_counts(), rec.count)
    # steady rates from the precise interspike intervals
    rate = 1e3 / (pop.params.t_ref + theory.lif_time_to_threshold(8.0, pop.params))
    assert abs(rec.steady_rates()[1] - rate) < 1e-6
    grid = CLIFPopulation(n=2).run([3.0, 8.0], steps=1000, record=("spikes",))
    assert not grid.precise and grid.offsets is None and grid.meta["spike_timing"] == "grid"


def test_count_only_record():
    _, full = _run_constant(CLIFPopulation, [3.0, 8.0], 100.0, record=("spikes",))
    _, cnt = _run_constant(CLIFPopulation, [3.0, 8.0], 100.0, record=("count",))
    assert cnt.offsets is None and cnt.spikes is None
    np.testing.assert_array_equal(cnt.count, full.spike_counts())


def test_repr_and_keyword():
    pop = ELIFPopulation(n=2, spike_timing="precise")
    assert "spike_timing='precise'" in repr(pop) and pop.spike_timing == "precise"
    assert "spike_timing='grid'" in repr(ELIFPopulation(n=2))
    assert CLIFPopulation(n=2).spike_timing == "grid"


def test_bad_spike_timing_is_refused():
    with pytest.raises(ValueError, match=r"spike_timing: expected one of \('grid', 'precise'\), got 'exact'"):
        CLIFPopulation(n=2, spike_timing="exact")
    with pytest.raises(ValueError, match=r"t_ref: spike_timing='precise' needs t_ref >= dt"):
        CLIFPopulation(n=2, spike_timing="precise", t_ref=0.05)
    with pytest.raises(ValueError, match=r"t_ref: spike_timing='precise' needs t_ref >= dt"):
        CLIFPopulation(n=2, spike_timing="precise", t_ref=np.array([2.0, 0.0]))
    with pytest.raises(ValueError, match="method='euler'"):
        CLIFPopulation(n=2, spike_timing="precise", method="euler")
    with pytest.raises(ValueError, match="method='etd2'"):
        ELIFPopulation(n=2, spike_timing="precise", method="expeuler")
    pop = CLIFPopulation(n=2, spike_timing="precise")
    with pytest.raises(ValueError, match="t_ref: spike_timing='precise' needs t_ref >= dt"):
        pop.set_params(dt=5.0)


@requires_torch
def test_float32_torch_precise_is_close_to_float64():
    import torch

    pop32 = ELIFPopulation(n=4, spike_timing="precise", backend="torch", **ELIF_WORKLOAD)
    assert pop32.backend.dtype == torch.float32
    r32 = pop32.run(torch.tensor(ELIF_CURRENTS), steps=2000, record=("spikes",)).numpy()
    _, r64 = _run_constant(ELIFPopulation, ELIF_CURRENTS, 200.0, **ELIF_WORKLOAD)
    for j in range(4):
        a, b = r32.spike_times(j), r64.spike_times(j)
        assert a.size == b.size and np.max(np.abs(a - b)) < 1e-2


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")
def test_vectorised_exp_and_log_of_the_kernels():
    # the float64 polynomials of the vectorised fix-up: within a few ulp of the C library's
    import numba

    from lifbook.engine import precise_kernels as K

    exp_ = numba.njit(lambda a: np.array([K._exp64(v) for v in a]))
    log_ = numba.njit(lambda a: np.array([K._log64(v) for v in a]))
    a = np.concatenate([np.linspace(-700.0, 700.0, 20001), np.linspace(-1.0, 1.0, 2001), [0.0, 1e-12, -1e-12]])
    assert np.max(np.abs(exp_(a) / np.exp(a) - 1.0)) < 1e-15
    y = np.concatenate([np.geomspace(1e-300, 1e300, 20001), np.linspace(0.5, 2.0, 2001), [1.0]])
    err = np.abs(log_(y) - np.log(y)) / np.maximum(np.abs(np.log(y)), 1.0)
    assert np.max(err) < 1e-15 and log_(np.array([1.0]))[0] == 0.0


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")
def test_vectorised_fixup_meets_the_accuracy_targets():
    # each current on 8 neurons: blocks larger than kernels.SMALL, so the numba engine takes the gathered
    # (vectorised) fix-up, not the scalar one of the few-neuron path used by the tests above
    p = ELIFParams(**ELIF_WORKLOAD)
    _, rec = _run_constant(ELIFPopulation, np.repeat(ELIF_CURRENTS, 8), 1000.0, "numba", **ELIF_WORKLOAD)
    for j, I in enumerate(ELIF_CURRENTS):
        want = reference.spike_times(p, I, 1000.0)
        for k in range(8 * j, 8 * j + 8):
            got = rec.spike_times(k)
            assert got.size == want.size, (I, got.size, want.size)
            assert abs(got[0] - want[0]) < 0.01 and abs(got[-1] - want[-1]) < 0.05, (I, got[0] - want[0])
    q = CLIFParams()
    currents = [2.05, 2.5, 5.0, 12.0, 40.0, 1.5]
    _, rec = _run_constant(CLIFPopulation, np.repeat(currents, 4), 1000.0, "numba")
    for j, I in enumerate(currents):
        want = theory.lif_spike_times(I, 1000.0, params=q)
        for k in range(4 * j, 4 * j + 4):
            got = rec.spike_times(k)
            assert got.size == want.size and (not want.size or np.max(np.abs(got - want)) < 1e-9)


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")
def test_exponential_capped_below_the_cut_off_takes_the_u_form():
    # u_th far above theta_rh: (u_th - theta_rh)/delta_T = 32.5 > the cap of 30, so the fix-up integrates u
    # (timing.elif_advance_u), in the kernels one neuron at a time; the numba engine agrees with the reference
    from lifbook import timing as tm

    kw = dict(u_th=10.0, theta_rh=-55.0, delta_T=2.0)
    pop = _hetero(ELIFPopulation, syn=False)
    assert not tm.w_form(10.0, -55.0, 2.0, 30.0)
    n = 24
    ref = ELIFPopulation(n=n, batch_size=3, spike_timing="precise", backend="numpy", dtype="float64",
                         engine="reference", params=pop.params, **kw)
    fast = ELIFPopulation(n=n, batch_size=3, spike_timing="precise", backend="numpy", dtype="float64",
                          engine="numba", params=pop.params, **kw)
    assert float(np.max(ref.params.exp_arg_cap)) == 30.0
    xs = np.repeat(_input(ref, T=400), 100, axis=2)[:, :, ::100]  # the same input, as a view
    a = ref.run(xs, record=("spikes", "v"))
    b = fast.run(xs, record=("spikes", "v"))
    assert a.spikes.sum() > 20
    _same(a, b)
