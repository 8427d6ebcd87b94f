"""Population API: the seed documents' usage, shapes, state semantics, input conversion and errors."""
import numpy as np
import pytest

from _support import requires_torch, to_np
from lifbook import CLIFPopulation, ELIFPopulation, NumericalWarning, UnitWarning

MODELS = [CLIFPopulation, ELIFPopulation]


@requires_torch
@pytest.mark.parametrize("Model", MODELS)
def test_seed_usage_runs_verbatim(Model):
    import torch

    # The seed documents' code, with only the import changed.
    model = Model(n=10)
    model.set_batch_size(10)
    model.forward(torch.tensor([10 for _ in range(model.n)]))
    print(model.s)  # Model spike trace
    print(model.v)  # Model membrane potential
    assert isinstance(model.s, torch.Tensor) and model.s.dtype == torch.bool
    assert tuple(model.s.shape) == (10, 10) and tuple(model.v.shape) == (10, 10)
    assert model.v.device.type == "cpu"
    # 10 nA is far above rheobase: every neuron spikes within a few ms, all alike.
    spikes = sum(int(model.forward(torch.tensor([10] * 10)).sum()) for _ in range(100))
    assert spikes > 100
    assert torch.all(model.v == model.v[0, 0]) or spikes % 100 == 0


@pytest.mark.parametrize("Model", MODELS)
def test_numpy_state_shapes_batched_and_unbatched(Model):
    m = Model(n=4)
    assert m.state_shape == (4,) and m.v.shape == (4,) and m.s.dtype == bool
    np.testing.assert_array_equal(m.v, m.params.u_rest)
    m.set_batch_size(3)
    assert m.v.shape == (3, 4) and m.s.shape == (3, 4)
    m2 = Model(shape=(2, 3))
    assert m2.n == 6 and m2.v.shape == (2, 3)
    m2.set_batch_size(5)
    assert m2.state_shape == (5, 2, 3)


def test_input_shapes_accepted_and_rejected():
    m = CLIFPopulation(n=4)
    m.set_batch_size(3)
    for ok in (2.0, [2.0] * 4, np.ones((3, 4))):
        m.forward(ok)
        assert m.v.shape == (3, 4)
    for bad in (np.ones(3), np.ones((4, 3)), np.ones((1, 4)), np.ones((3, 4, 1)), [[1.0, 2.0]]):
        with pytest.raises(ValueError, match=r"x: expected shape \(\) or \(4,\) or \(3, 4\)"):
            m.forward(bad)


@pytest.mark.parametrize("bad, err, match", [
    ("10", TypeError, "x: expected a current in nA"),
    (b"10", TypeError, "x: expected a current in nA"),
    (True, TypeError, "got bool"),
    (np.array([True] * 4), TypeError, "boolean dtype"),
    (np.array([1 + 1j] * 4), TypeError, "expected real numbers"),
    (np.array(["a"] * 4), TypeError, "expected real numbers"),
    ([1.0, float("nan"), 1.0, 1.0], ValueError, "x: input contains NaN or inf"),
    ([1.0, float("inf"), 1.0, 1.0], ValueError, "x: input contains NaN or inf"),
    ([1.0, -np.inf, 1.0, 1.0], ValueError, "NaN or inf"),
    ([1e12, 0.0, 0.0, 0.0], ValueError, "check the units|Check the units"),
])
def test_bad_input_gets_a_clear_error(bad, err, match):
    m = CLIFPopulation(n=4)
    with pytest.raises(err, match=match):
        m.forward(bad)
    # and the state was not touched
    np.testing.assert_array_equal(m.v, m.params.u_rest)
    assert m.steps == 0


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(n=0), ValueError, "n: expected an int >= 1, got 0"),
    (dict(n=-3), ValueError, "n: expected an int >= 1, got -3"),
    (dict(n=2.5), TypeError, "n: expected an int"),
    (dict(n=True), TypeError, "n: expected an int"),
    (dict(), ValueError, "n: give the number of neurons"),
    (dict(n=6, shape=(2, 2)), ValueError, r"n: n=6 does not match shape=\(2, 2\)"),
    (dict(shape=(2, 0)), ValueError, "shape: expected a non-empty tuple of ints >= 1"),
    (dict(shape="ab"), ValueError, "shape"),
    (dict(n=3, tau_m=np.ones(4)), ValueError, r"tau_m: a per-neuron parameter must have the population's shape \(3,\)"),
    (dict(n=3, dt=0.0), ValueError, "dt: must be > 0"),
    (dict(n=3, method="rk4"), ValueError, "method: expected one of"),
    (dict(n=3, backend="jax"), ValueError, "backend: expected 'numpy', 'torch' or None"),
    (dict(n=3, backend="numpy", device="cuda"), ValueError, "device: the NumPy backend runs on the CPU only"),
    (dict(n=3, dtype="float16"), ValueError, "dtype: expected float32 or float64"),
])
def test_bad_construction_gets_a_clear_error(kwargs, err, match):
    with pytest.raises(err, match=match):
        CLIFPopulation(**kwargs)


def test_elif_specific_construction_errors():
    with pytest.raises(ValueError, match="delta_T: must be > 0"):
        ELIFPopulation(n=2, delta_T=0.0)
    with pytest.raises(ValueError, match="u_th: the ELIF cut-off must be > theta_rh"):
        ELIFPopulation(n=2, u_th=-57.0)


def test_batch_size_errors():
    m = CLIFPopulation(n=2)
    with pytest.raises(ValueError, match="batch_size: expected an int >= 1"):
        m.set_batch_size(0)
    with pytest.raises(TypeError, match="batch_size: expected an int"):
        m.set_batch_size(2.0)


def test_any_real_dtype_is_converted():
    ref = CLIFPopulation(n=3)
    ref.forward(np.array([3.0, 3.0, 3.0]))
    for x in ([3, 3, 3], np.array([3, 3, 3], dtype=np.int8), np.array([3, 3, 3], dtype=np.uint16),
              np.array([3, 3, 3], dtype=np.float32), (3, 3, 3)):
        m = CLIFPopulation(n=3)
        m.forward(x)
        np.testing.assert_array_equal(m.v, ref.v)


@pytest.mark.parametrize("Model", MODELS)
def test_reset_state_variables_resets_everything(Model):
    m = Model(n=5, tau_syn=3.0)
    m.set_batch_size(2)
    for _ in range(300):
        m.forward(np.linspace(0, 5, 5))
    assert m.steps == 300 and np.any(to_np(m.refractory) > 0) or True
    m.reset_state_variables()
    np.testing.assert_array_equal(m.v, m.params.u_rest)
    np.testing.assert_array_equal(m.i, 0.0)
    np.testing.assert_array_equal(m.refractory, 0)
    assert not m.s.any() and m.steps == 0 and m.time == 0.0


def test_reset_and_refractory_semantics_exactly():
    # Strong input: the neuron crosses threshold in the first step after each refractory period.
    m = CLIFPopulation(n=1, t_ref=0.3, dt=0.1)  # n_ref = 3 steps
    s, v, ref = [], [], []
    with pytest.warns(UnitWarning, match="1000 looks like pA"):  # 10 V of drive: on purpose here, warned once
        for _ in range(9):
            m.forward(1000.0)
            s.append(bool(m.s[0])); v.append(float(m.v[0])); ref.append(int(m.refractory[0]))
    # spike, then held at u_reset for exactly 3 steps, then spike again
    assert s == [True, False, False, False, True, False, False, False, True]
    assert ref == [3, 2, 1, 0, 3, 2, 1, 0, 3]
    assert v == [-65.0] * 9  # post-reset potential after a spike, held while refractory


def test_threshold_is_inclusive():
    # u >= u_th spikes: choose x so that u' lands exactly on u_th with Euler from u_rest.
    p = dict(u_rest=0.0, u_reset=-1.0, u_th=1.0, R=1.0, tau_m=1.0, dt=0.5, t_ref=0.0)
    m = CLIFPopulation(n=1, method="euler", **p)
    m.forward(2.0)  # u' = 0 + 0.5 * (0 + 2) = 1.0 == u_th
    assert bool(m.s[0])
    m2 = CLIFPopulation(n=1, method="euler", **p)
    m2.forward(1.999999)
    assert not bool(m2.s[0])


@pytest.mark.parametrize("Model, kwargs", [
    (CLIFPopulation, {}), (CLIFPopulation, dict(tau_syn=5.0)), (CLIFPopulation, dict(method="euler")),
    (CLIFPopulation, dict(t_ref=0.0)), (ELIFPopulation, {}), (ELIFPopulation, dict(method="euler", tau_syn=2.0)),
    (CLIFPopulation, dict(tau_m=np.linspace(5, 20, 6), u_th=np.linspace(-55, -50, 6))),
])
@pytest.mark.parametrize("batch", [None, 3])
def test_run_equals_repeated_forward_exactly(Model, kwargs, batch):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 6, size=(400, 6)) if batch is None else rng.uniform(0, 6, size=(400, batch, 6))
    a, b = Model(n=6, **kwargs), Model(n=6, **kwargs)
    a.set_batch_size(batch); b.set_batch_size(batch)
    rec = a.run(x, record=("spikes", "v", "i", "count"))
    vs, ss, iis = [], [], []
    for k in range(len(x)):
        b.forward(x[k])
        vs.append(b.v.copy()); ss.append(b.s.copy()); iis.append(np.broadcast_to(b.i, b.state_shape).copy())
    np.testing.assert_array_equal(rec.v, np.stack(vs))
    np.testing.assert_array_equal(rec.spikes, np.stack(ss))
    np.testing.assert_array_equal(rec.i, np.stack(iis))
    np.testing.assert_array_equal(rec.count, np.stack(ss).sum(0))
    np.testing.assert_array_equal(a.v, b.v)
    assert rec.spikes.sum() > 0
    np.testing.assert_allclose(rec.t, 0.1 * np.arange(1, 401), rtol=0, atol=1e-12)


def test_run_input_forms_agree():
    cur = lambda t: 2.5 + 0.0 * t  # noqa: E731 - a vectorised current function
    r1 = CLIFPopulation(n=1).run(2.5, steps=400)
    r2 = CLIFPopulation(n=1).run(cur, steps=400)
    r3 = CLIFPopulation(n=1).run(np.full((400,), 2.5))
    r4 = CLIFPopulation(n=1).run(np.full((400, 1), 2.5))
    for r in (r2, r3, r4):
        np.testing.assert_array_equal(r.v, r1.v)
    assert r1.spikes.sum() >= 2


def test_run_continues_from_the_current_state_and_time():
    m = CLIFPopulation(n=1)
    r1 = m.run(3.0, steps=100)
    r2 = m.run(3.0, steps=100)
    one = CLIFPopulation(n=1).run(3.0, steps=200)
    np.testing.assert_array_equal(np.concatenate([r1.v, r2.v]), one.v)
    np.testing.assert_allclose(r2.t, one.t[100:], atol=1e-12)


def test_run_errors():
    m = CLIFPopulation(n=3)
    with pytest.raises(ValueError, match="record: unknown name"):
        m.run(1.0, steps=3, record=("voltage",))
    with pytest.raises(ValueError, match="steps: a current function x\\(t\\) needs the number of steps"):
        m.run(lambda t: t)
    with pytest.raises(ValueError, match="x\\(t\\): the current function must be vectorised"):
        m.run(lambda t: 1.0, steps=5)
    with pytest.raises(ValueError, match="x: a scalar input needs the number of steps"):
        m.run(1.0)
    with pytest.raises(ValueError, match=r"x \(with a leading time axis\): expected shape \(10,\) or \(10, 3\)"):
        m.run(np.ones((10, 4)))
    with pytest.raises(ValueError, match="steps: expected an int >= 1"):
        m.run(1.0, steps=0)
    with pytest.raises(ValueError, match="NaN or inf"):
        m.run(np.array([[1.0, np.nan, 1.0]] * 5))


def test_heterogeneous_parameters_behave_per_neuron():
    tau = np.array([5.0, 10.0, 20.0])
    m = CLIFPopulation(n=3, tau_m=tau)
    single = [CLIFPopulation(n=1, tau_m=t) for t in tau]
    x = 2.5
    rec = m.run(x, steps=500)
    for j, s in enumerate(single):
        r = s.run(x, steps=500)
        np.testing.assert_array_equal(rec.v[:, j], r.v[:, 0])


def test_set_params_keeps_state():
    m = CLIFPopulation(n=2)
    m.run(1.0, steps=50)
    v = m.v.copy()
    m.set_params(tau_m=20.0, tau_syn=3.0)
    np.testing.assert_array_equal(m.v, v)
    np.testing.assert_array_equal(m.i, 0.0)
    assert m.params.tau_m == 20.0


def test_euler_beyond_stability_warns():
    with pytest.warns(NumericalWarning, match="dt=20.0 ms > 2\\*tau_m=16.0 ms"):
        CLIFPopulation(n=1, method="euler", dt=20.0, t_ref=0.0)


@requires_torch
def test_automatic_backend_follows_torch_input_and_keeps_numpy_for_numpy_input():
    import torch

    m = CLIFPopulation(n=3)
    m.forward(np.ones(3))
    assert isinstance(m.v, np.ndarray)
    m2 = CLIFPopulation(n=3)
    m2.forward(torch.ones(3, dtype=torch.float64))
    assert isinstance(m2.v, torch.Tensor) and m2.v.dtype == torch.float64
    m3 = CLIFPopulation(n=3)
    m3.forward(torch.ones(3, dtype=torch.int64))
    assert m3.v.dtype == torch.get_default_dtype()


@requires_torch
def test_tensor_on_another_device_is_refused_with_a_clear_error():
    import torch

    # The 'meta' device stands in for CUDA on a machine without a GPU: same code path.
    x = torch.ones(3, device="meta")
    with pytest.raises(ValueError, match="x: a tensor on meta cannot enter a NumPy \\(CPU\\) population"):
        CLIFPopulation(n=3, backend="numpy").forward(x)
    with pytest.raises(ValueError, match="x: tensor is on meta but the population lives on cpu"):
        CLIFPopulation(n=3, backend="torch").forward(x)


@requires_torch
def test_torch_population_accepts_numpy_and_lists():
    import torch

    m = CLIFPopulation(n=3, backend="torch", dtype=torch.float64)
    m.forward(np.ones(3))
    m.forward([1, 2, 3])
    assert m.v.dtype == torch.float64 and m.steps == 2
    with pytest.raises(TypeError, match="boolean"):
        m.forward(torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match="NaN or inf"):
        m.forward(torch.tensor([1.0, float("nan"), 0.0]))


def test_euler_synaptic_instability_is_refused():
    with pytest.raises(ValueError, match="tau_syn: method='euler' needs dt <= 2\\*tau_syn"):
        CLIFPopulation(n=1, method="euler", tau_syn=1.0, dt=2.5)
    CLIFPopulation(n=1, tau_syn=1.0, dt=2.5)  # the exact propagator is stable for any dt


def test_huge_dt_coefficients_are_finite():
    from lifbook import CLIFParams

    for method in ("exact", "euler"):
        k = CLIFParams(tau_m=0.01, tau_syn=1000.0, dt=1000.0).coefficients(method) if method == "exact" else \
            CLIFParams(tau_m=0.01, tau_syn=1000.0, dt=1.0).coefficients(method)
        for name in ("a_m", "b_m", "a_syn", "c_syn"):
            assert np.isfinite(getattr(k, name)), name
