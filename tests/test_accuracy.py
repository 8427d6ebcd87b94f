"""Spike-timing accuracy (lifbook.accuracy): every method and timing mode against the scipy reference.

The workload (lifbook.accuracy.WORKLOAD): tau_m = 10 ms, u_rest = u_reset = -65 mV, theta_rh = -55 mV,
delta_T = 2 mV, u_th = -30 mV, R = 10 MOhm, t_ref = 2 ms, dt = 0.1 ms, 1000 ms of constant current,
I in {0.85, 1, 2, 4} nA. Targets:

* grid timing, the ELIF default method (ETD2): first spike within 0.15 ms, spike count within
  max(1, 1.5 %) of the reference;
* precise timing, ELIF: first spike within 0.01 ms, last within 0.05 ms, counts exact; CLIF: every
  spike within 1e-4 ms of the closed form;
* the first-order methods (Euler, exponential Euler) on the grid, as they are: late by > 0.2 ms;
* convergence: grid O(dt) in spike time (fitted order 0.7-1.3), precise O(dt^2) or better (>= 1.8);
* NumPy, torch (CPU) and numba agree spike for spike in float64 in both timing modes.
"""
import numpy as np
import pytest

from lifbook import CLIFPopulation, ELIFPopulation, accuracy

from _support import requires_torch

pytest.importorskip("scipy")


@pytest.fixture(scope="module")
def ref():
    """Reference spike times of the ELIF workload (DOP853), one array per current."""
    return [accuracy.reference_spike_times("ELIF", i) for i in accuracy.CURRENTS]


def test_reference_counts_of_the_workload(ref):
    # The reference itself (independent of lifbook's engines): the numbers of the table.
    assert [r.size for r in ref] == [11, 25, 78, 147]


# -- the first-order methods, as they are ---------------------------------------------------------
@pytest.mark.parametrize("method", ["expeuler", "euler"])
def test_first_order_methods_are_late_on_the_grid(ref, method):
    e = accuracy.spike_time_errors(method=method, reference=ref)
    assert np.all(e.first > 0.2), e.first  # late by more than two steps' worth of the target
    assert np.all(e.last > e.first)  # the delay accumulates: every interval is too long
    assert np.all(e.count <= e.count_ref) and e.count_ref[-1] - e.count[-1] >= 4, (e.count, e.count_ref)
    if method == "expeuler":  # the numbers of the table: 0.79/0.54/0.31/0.29 ms, 11/25/77/141 spikes
        np.testing.assert_allclose(e.first, [0.7877, 0.5404, 0.3121, 0.2942], atol=5e-4)
        assert e.count.tolist() == [11, 25, 77, 141]


def test_euler_beats_expeuler_near_the_rheobase(ref):
    # Euler's leak error (+) cancels part of the frozen exponential's lag (-) where exp((u - theta_rh)/delta_T)
    # is of order 1, i.e. where a slow run-up near theta_rh spends its time: just above the rheobase.
    eu = accuracy.spike_time_errors(method="euler", reference=ref)
    ee = accuracy.spike_time_errors(method="expeuler", reference=ref)
    assert np.all(eu.first[:2] < 0.7 * ee.first[:2]), (eu.first, ee.first)
    assert np.all(np.abs(eu.last[:2]) < 0.7 * np.abs(ee.last[:2]))
    np.testing.assert_allclose(eu.first[2:], ee.first[2:], atol=0.05)  # far above it the grid dominates


# -- the new default on the grid ------------------------------------------------------------------
def test_default_grid_method_is_etd2_and_meets_the_targets(ref):
    assert ELIFPopulation(n=1).method == "etd2"
    e = accuracy.spike_time_errors(reference=ref)  # the default method, grid timing
    assert e.method == "etd2"
    assert np.all(np.abs(e.first) <= 0.15), e.first
    allowed = np.maximum(1, 0.015 * e.count_ref)
    assert np.all(np.abs(e.count_error) <= allowed), (e.count, e.count_ref)


# -- precise timing -----------------------------------------------------------------------------------
def test_precise_elif_meets_the_targets(ref):
    e = accuracy.spike_time_errors(spike_timing="precise", reference=ref)
    assert np.all(np.abs(e.first) <= 0.01), e.first
    assert np.all(np.abs(e.last) <= 0.05), e.last
    np.testing.assert_array_equal(e.count, e.count_ref)


def test_precise_clif_every_spike_within_1e_4_ms_of_the_closed_form():
    e = accuracy.spike_time_errors("CLIF", spike_timing="precise")
    np.testing.assert_array_equal(e.count, e.count_ref)
    assert np.all(e.max_abs <= 1e-4), e.max_abs


# -- convergence ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("model, method", [("ELIF", "etd2"), ("ELIF", "expeuler"), ("ELIF", "euler"),
                                           ("CLIF", "exact")])
def test_grid_timing_converges_as_order_one(model, method):
    errors, order = accuracy.convergence(model, method=method)
    assert 0.7 <= order <= 1.3, (order, errors)
    assert np.all(np.diff(errors) < 0), errors


def test_precise_timing_converges_as_order_two_or_better():
    errors, order = accuracy.convergence("ELIF", dts=(0.4, 0.2, 0.1, 0.05), spike_timing="precise")
    assert order >= 1.8, (order, errors)
    assert errors[-1] < 1e-3, errors


# -- backends -------------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("spike_timing", ["grid", "precise"])
@pytest.mark.parametrize("model", ["ELIF", "CLIF"])
def test_numpy_torch_and_numba_agree_spike_for_spike_in_float64(model, spike_timing):
    import torch

    currents = np.linspace(0.82, 4.0, 24) if model == "ELIF" else np.linspace(1.02, 4.0, 24)
    runs = {
        "numpy": dict(backend="numpy", engine="reference"),
        "torch": dict(backend="torch", dtype=torch.float64, engine="reference"),
        "numba": dict(backend="numpy", engine="numba"),
    }
    times = {k: accuracy.simulated_spike_times(model, currents, 300.0, spike_timing=spike_timing, **kw)
             for k, kw in runs.items()}
    for name in ("torch", "numba"):
        for a, b in zip(times["numpy"], times[name]):
            assert a.size == b.size and a.size > 0
            if spike_timing == "grid":
                np.testing.assert_array_equal(a, b)
            else:
                np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="model: expected 'ELIF' or 'CLIF'"):
        accuracy.workload_params("AdEx")
    with pytest.raises(TypeError, match="params: model 'ELIF' needs ELIFParams"):
        accuracy.spike_time_errors("ELIF", params=accuracy.workload_params("CLIF"))
    with pytest.raises(ValueError, match="reference: expected one array of spike times per current"):
        accuracy.spike_time_errors(reference=[np.zeros(0)])
    assert CLIFPopulation(n=1, params=accuracy.workload_params("CLIF")).params.u_th == -55.0


def test_local_errors_explain_when_euler_beats_exponential_euler():
    # One step from u at I = 1 nA against the exact solution: Euler runs ahead below theta_rh (its leak
    # overshoots) and lags above it (the frozen exponential), so its error changes sign at theta_rh;
    # exponential Euler (exact leak) lags everywhere; ETD2's error is second order.
    u = np.array([-64.0, -60.0, -56.0, -54.0, -50.0, -48.0])
    eu = accuracy.local_errors(u, 1.0, method="euler")
    ee = accuracy.local_errors(u, 1.0, method="expeuler")
    e2 = accuracy.local_errors(u, 1.0, method="etd2")
    assert np.all(eu[:3] > 0) and np.all(eu[3:] < 0)
    assert np.all(ee < 0)
    assert np.all(np.abs(e2) < 0.2 * np.abs(ee))
    # local errors O(dt^2) for the first-order methods, O(dt^3) for ETD2
    half = {m: accuracy.local_errors(u[:4], 1.0, method=m, dt=0.05) for m in ("euler", "expeuler", "etd2")}
    np.testing.assert_allclose(eu[:4] / half["euler"], 4.0, rtol=0.05)
    np.testing.assert_allclose(ee[:4] / half["expeuler"], 4.0, rtol=0.05)
    assert np.all(e2[2:4] / half["etd2"][2:4] > 7.0)
    with pytest.raises(ValueError, match="u: expected a 1-d array of potentials below the cut-off"):
        accuracy.local_errors([-20.0], 1.0)


def test_markdown_table_lists_every_row_and_the_reference(ref):
    rows = [accuracy.spike_time_errors(method=m, reference=ref) for m in ("euler", "expeuler")]
    table = accuracy.markdown_table(rows).splitlines()
    assert len(table) == 6 and table[3] == "| reference | | | | 11 / 25 / 78 / 147 |"
    assert table[5].startswith("| expeuler | grid | +0.788 / +0.540 / +0.312 / +0.294 |")
    assert table[5].endswith("| 11 / 25 / 77 / 141 |")
    precise = accuracy.spike_time_errors(spike_timing="precise", reference=ref)
    row = accuracy.markdown_table([precise]).splitlines()[-1]
    assert row.startswith("| etd2 | precise | +3.5e-04 / ") and "-0.000" not in row, row
    with pytest.raises(TypeError, match="results: expected a non-empty list of SpikeTimeErrors"):
        accuracy.markdown_table([])
