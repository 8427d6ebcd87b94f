"""Property-based tests: no finite input and valid parameter set produces NaN or inf.

Parameters range over several orders of magnitude (tau from 0.01 to 1000 ms, dt from 0.001 to
100 ms, so dt/tau_m up to 1e4 and Euler far beyond its stability limit), inputs up to the largest
accepted drive |R x| = 1e12 mV, both dtypes, both methods and both backends.
"""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support import HAVE_TORCH, to_np
from lifbook import CLIFPopulation, ELIFPopulation, NumericalWarning
from lifbook.params import MAX_ABS_DRIVE

# Drives up to 1e12 mV on purpose: the unit-slip warning (lifbook.UnitWarning) is expected here.
pytestmark = pytest.mark.filterwarnings("ignore::lifbook.UnitWarning")

pos = lambda lo, hi: st.floats(lo, hi, allow_nan=False, allow_infinity=False)  # noqa: E731


@st.composite
def model_and_input(draw):
    elif_ = draw(st.booleans())
    u_rest = draw(pos(-100.0, 50.0))
    u_reset = draw(pos(-150.0, 50.0))
    u_th = u_reset + draw(pos(1e-3, 200.0))
    kw = dict(
        tau_m=draw(pos(0.01, 1000.0)), R=draw(pos(1e-3, 1e3)), u_rest=u_rest, u_reset=u_reset, u_th=u_th,
        t_ref=draw(pos(0.0, 20.0)), dt=draw(pos(1e-3, 100.0)),
    )
    tau_syn = draw(st.one_of(st.just(0.0), pos(0.01, 1000.0)))
    method = draw(st.sampled_from(["default", "euler"]))
    if method == "euler" and tau_syn > 0 and kw["dt"] > 2 * tau_syn:
        tau_syn = 0.0  # refused by design (tested elsewhere)
    kw["tau_syn"] = tau_syn
    if elif_:
        kw["delta_T"] = draw(pos(1e-3, 50.0))
        kw["theta_rh"] = u_th - draw(pos(1e-3, 200.0))
    Model = ELIFPopulation if elif_ else CLIFPopulation
    if method == "euler":
        kw["method"] = "euler"
    dtype = draw(st.sampled_from(["float32", "float64"]))
    x_max = MAX_ABS_DRIVE / kw["R"] * 0.999
    scale = draw(st.sampled_from([1.0, 1e3, x_max]))
    n_steps = draw(st.integers(1, 40))
    x = draw(st.lists(pos(-1.0, 1.0), min_size=n_steps * 3, max_size=n_steps * 3))
    x = np.array(x).reshape(n_steps, 3) * min(scale, x_max)
    return Model, kw, dtype, x


def _check_finite(m, rec):
    for name in ("v", "i"):
        a = to_np(getattr(rec, name))
        assert np.all(np.isfinite(a)), (name, a)
    assert np.all(np.isfinite(to_np(m.v)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model_and_input())
def test_no_nan_or_inf_numpy(case):
    Model, kw, dtype, x = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalWarning)
        m = Model(n=3, dtype=dtype, **kw)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # not even an intermediate overflow
        rec = m.run(x.astype(dtype), record=("v", "i", "spikes"))
    _check_finite(m, rec)


@pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed")
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model_and_input())
def test_no_nan_or_inf_torch(case):
    import torch

    Model, kw, dtype, x = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalWarning)
        m = Model(n=3, backend="torch", dtype=getattr(torch, dtype), **kw)
    rec = m.run(torch.tensor(x, dtype=getattr(torch, dtype)), record=("v", "i", "spikes"))
    _check_finite(m, rec)


@settings(max_examples=100, deadline=None)
@given(st.floats(1e-3, 1e3), st.floats(-1e3, 1e3))
def test_elif_exponential_term_never_overflows_even_from_far_above_threshold(delta_T, offset):
    # Put the state far above the cut-off by hand: the capped exponent keeps the next step finite.
    m = ELIFPopulation(n=2, delta_T=delta_T, dtype="float32")
    m._state = m._state._replace(v=np.array([1e30, -1e30], dtype=np.float32))
    with np.errstate(over="raise", invalid="raise"):
        m.forward(offset / 20.0)
    assert np.all(np.isfinite(m.v))
