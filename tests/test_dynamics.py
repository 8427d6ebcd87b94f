"""lifbook.dynamics: the one per-neuron update, in plain Python, against its array form lif_step.

Runs without numba: ``neuron_update`` on Python floats (``SCALAR_OPS``) neuron by neuron must give
what ``lif_step`` gives on NumPy arrays (and torch tensors), which is what the engines evaluate.
Stated agreement: spikes, refractory counters and currents equal; potentials bitwise equal for
CLIF (the same IEEE operations in the same order), within 1e-12 mV for ELIF (``math.exp`` and
NumPy's ``exp`` may differ by 1 ulp).

Also the accuracy of ELIF's default method ``"etd2"`` on the grid against the DOP853 reference
(``lifbook.reference``).
"""
import math

import numpy as np
import pytest

from _support import requires_torch
from lifbook import CLIFPopulation, ELIFPopulation
from lifbook.dynamics import SCALAR_OPS, LIFState, StepCoefficients, lif_step, neuron_update
from lifbook.engine import layout
from lifbook.backends import NumpyBackend
from lifbook.params import ELIFParams, _etd2_weight

N = 400
NUMPY_OPS = NumpyBackend.ops

CASES = [
    ("CLIF", "exact", {}),
    ("CLIF", "euler", dict(tau_syn=3.0)),
    ("CLIF", "exact", dict(tau_syn=2.0, t_ref=0.0)),
    ("ELIF", "etd2", {}),
    ("ELIF", "etd2", dict(tau_syn=2.0, t_ref=0.0)),
    ("ELIF", "expeuler", dict(tau_syn=4.0)),
    ("ELIF", "euler", {}),
]


def _heterogeneous(model, rng):
    kw = dict(tau_m=rng.uniform(5, 20, N), R=rng.uniform(5, 25, N), t_ref=rng.choice([0.0, 0.5, 2.0], N),
              u_th=rng.uniform(-50, -25, N))
    if model == "ELIF":
        kw.update(theta_rh=rng.uniform(-58, -52, N), delta_T=rng.uniform(0.3, 3.0, N))
    return kw


def _coefficients(model, method, kw):
    """The population's StepCoefficients (NumPy float64) and its state layout."""
    Model = ELIFPopulation if model == "ELIF" else CLIFPopulation
    pop = Model(n=N, method=method, engine="reference", dtype="float64", **kw)
    return pop._coef


def _random_state(c, rng):
    v = rng.uniform(-75.0, -20.0, N)
    i = rng.uniform(-1.0, 3.0, N) if c.a_syn is not None else None
    ref = rng.integers(0, 4, N).astype(np.int32) if c.n_ref is not None else None
    x = rng.uniform(-1.0, 4.0, N)
    return LIFState(v, i, ref), x


def _at(a, j):
    """Element ``j`` of a coefficient or state array as a Python number."""
    if a is None:
        return None
    a = np.asarray(a)
    value = a[j] if a.ndim else a
    return int(value) if a.dtype.kind in "iu" else float(value)


def _plain_python(state, x, c, j):
    cj = StepCoefficients(*(_at(a, j) for a in c))
    syn, ref = state.i is not None, state.ref is not None
    ops = SCALAR_OPS
    return neuron_update(_at(state.v, j), _at(state.i, j) if syn else float(x[j]), _at(state.ref, j) if ref else 0,
                         float(x[j]), cj, ops.where, ops.minimum, ops.clamp_min, ops.exp,
                         syn, ref, c.delta_T is not None, c.k_nl2 is not None)


@pytest.mark.parametrize("heterogeneous", [False, True], ids=["shared", "heterogeneous"])
@pytest.mark.parametrize("model, method, kw", CASES, ids=[f"{m}-{me}-{'-'.join(k) or 'plain'}" for m, me, k in CASES])
def test_plain_python_update_matches_lif_step(model, method, kw, heterogeneous):
    rng = np.random.default_rng(7)
    if heterogeneous:
        kw = dict(_heterogeneous(model, rng), **kw)
    c = _coefficients(model, method, kw)
    assert (c.k_nl2 is not None) == (method == "etd2")
    tol = 0.0 if model == "CLIF" else 1e-12
    for _ in range(3):  # random states: potentials on both sides of the threshold, refractory or not
        state, x = _random_state(c, rng)
        spikes, new = lif_step(x, state, c, NUMPY_OPS)
        for j in range(N):
            v1, i1, r1, s1 = _plain_python(state, x, c, j)
            assert bool(s1) == bool(spikes[j]), j
            if tol:
                assert abs(v1 - new.v[j]) <= tol, (j, v1, new.v[j])
            else:
                assert v1 == new.v[j], (j, v1, new.v[j])
            if state.i is not None:
                assert i1 == new.i[j]
            if state.ref is not None:
                assert r1 == new.ref[j]
        assert spikes.any() and not spikes.all()
        if state.ref is not None:
            assert (new.ref > 0).any() and (new.ref == 0).any()


@requires_torch
def test_torch_lif_step_matches_numpy_for_etd2():
    import torch

    from lifbook.backends import TorchBackend

    rng = np.random.default_rng(1)
    kw = dict(_heterogeneous("ELIF", rng), tau_syn=2.0)
    c = _coefficients("ELIF", "etd2", kw)
    state, x = _random_state(c, rng)
    be = TorchBackend(dtype=torch.float64)
    ct = StepCoefficients(*(None if a is None else torch.as_tensor(np.array(a)) for a in c))
    st = LIFState(*(torch.as_tensor(a) for a in state))
    s_np, new_np = lif_step(x, state, c, NUMPY_OPS)
    s_t, new_t = lif_step(torch.as_tensor(x), st, ct, be.ops)
    np.testing.assert_array_equal(s_t.numpy(), s_np)
    np.testing.assert_allclose(new_t.v.numpy(), new_np.v, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(new_t.ref.numpy(), new_np.ref)


def test_one_list_of_coefficients():
    # The numba layout is derived from StepCoefficients: every float field a row, in order.
    fields = StepCoefficients._fields
    assert layout.FIELDS == fields
    assert layout.PARAMS == tuple(f for f in fields if f != "n_ref")
    assert [layout.ROW[f] for f in layout.PARAMS] == list(range(len(layout.PARAMS)))


def test_etd2_weight_is_accurate_and_matches_the_closed_form():
    # k_nl2 = (exp(-z) - 1 + z)/z: the closed form where it is accurate, the Taylor polynomial for
    # small z, the limit 1 for large z.
    z = np.array([1e-12, 1e-6, 1e-3, 0.01, 0.1, 0.4, 0.5, 0.6, 1.0, 5.0, 100.0, 1e9])
    w = _etd2_weight(z)
    closed = (np.expm1(-z) + z) / z
    ok = z >= 0.1  # the closed form loses about eps/z relative to cancellation below
    np.testing.assert_allclose(w[ok], closed[ok], rtol=1e-14)
    zs = z[:3]  # Taylor polynomial to z^5 (the next term is below 1e-18 relative here)
    np.testing.assert_allclose(w[:3], zs / 2 - zs ** 2 / 6 + zs ** 3 / 24 - zs ** 4 / 120 + zs ** 5 / 720, rtol=1e-15)
    assert w[-1] == pytest.approx(1.0, abs=1e-8) and np.all(np.diff(w) > 0)
    # the series and the closed form meet at z = 0.5 without a jump
    assert _etd2_weight(np.nextafter(0.5, 1)) - _etd2_weight(0.5) == pytest.approx(0.0, abs=1e-15)
    c = ELIFParams(tau_m=10.0, dt=0.1).coefficients("etd2")
    assert c.k_nl2 == pytest.approx((math.exp(-0.01) - 1 + 0.01) / 0.01, rel=1e-12)
    assert ELIFParams().coefficients("expeuler").k_nl2 == 0.0
    assert c.a_m == ELIFParams(tau_m=10.0, dt=0.1).coefficients("expeuler").a_m


@pytest.mark.filterwarnings("ignore::lifbook.UnitWarning")  # the huge inputs are the point
def test_etd2_is_finite_for_every_dt_and_input():
    for dt in (0.01, 1.0, 50.0):
        for dtype in ("float64", "float32"):
            m = ELIFPopulation(n=4, dt=dt, dtype=dtype, engine="reference", delta_T=0.2)
            r = m.run(np.array([-1e10, 0.0, 3.0, 1e10]), steps=50, record=("v", "spikes"))
            assert np.all(np.isfinite(r.v))


# -- accuracy of the grid default (workload of the issue: DOP853 reference) --------------------------
WORKLOAD = dict(tau_m=10.0, u_rest=-65.0, u_reset=-65.0, theta_rh=-55.0, delta_T=2.0, u_th=-30.0, R=10.0,
                t_ref=2.0, dt=0.1)


def test_etd2_first_spike_and_counts_against_the_reference():
    pytest.importorskip("scipy")
    from lifbook.reference import spike_times

    currents, duration = np.array([0.85, 1.0, 2.0, 4.0]), 300.0
    steps = int(round(duration / WORKLOAD["dt"]))
    refs = [spike_times(ELIFParams(**WORKLOAD), x, duration) for x in currents]
    for dtype in ("float64", "float32"):
        late = {}
        for method in ("etd2", "expeuler"):
            r = ELIFPopulation(n=4, method=method, dtype=dtype, **WORKLOAD).run(currents, steps=steps,
                                                                                  record=("spikes",))
            late[method] = np.array([r.spike_times(j)[0] - refs[j][0] for j in range(4)])
            if method == "etd2":
                counts = np.array([len(r.spike_times(j)) for j in range(4)])
                expected = np.array([len(t) for t in refs])
                assert np.all(np.abs(counts - expected) <= np.maximum(1, 0.015 * expected)), (counts, expected)
        # grid spikes are registered at the end of a step: never early, and within 0.15 ms
        assert np.all(late["etd2"] >= 0) and np.all(late["etd2"] <= 0.15), late["etd2"]
        assert np.all(late["expeuler"] > late["etd2"]), late  # the first-order method is later everywhere


def test_etd2_is_second_order_below_threshold_and_expeuler_first():
    # The potential at t = 12 ms under a constant input below the rheobase (no spike, so no grid
    # quantisation): the error against a DOP853 solution shrinks as dt^2 for etd2 and as dt for expeuler.
    solve_ivp = pytest.importorskip("scipy.integrate").solve_ivp
    from lifbook.analysis import fit_order

    p = ELIFParams(delta_T=2.0, t_ref=0.0)
    I, t_end = 0.39, 12.0  # rheobase 0.40 nA: the potential climbs into the exponential's range

    def rhs(t, u):
        return [(-(u[0] - p.u_rest) + p.delta_T * math.exp((u[0] - p.theta_rh) / p.delta_T) + p.R * I) / p.tau_m]

    exact = solve_ivp(rhs, (0.0, t_end), [p.u_rest], method="DOP853", rtol=1e-12, atol=1e-12).y[0, -1]
    dts = np.array([0.4, 0.2, 0.1, 0.05])
    for method, order in (("etd2", 2.0), ("expeuler", 1.0)):
        err = []
        for dt in dts:
            m = ELIFPopulation(n=1, params=p.replace(dt=float(dt)), method=method, engine="reference")
            r = m.run(I, steps=int(round(t_end / dt)), record=("v", "spikes"))
            assert not r.spikes.any()
            err.append(abs(float(r.v[-1, 0]) - exact))
        assert fit_order(dts, np.array(err)) == pytest.approx(order, abs=0.15), (method, err)
