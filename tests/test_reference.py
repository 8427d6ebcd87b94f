"""lifbook.reference: the scipy DOP853 reference against closed forms (independent of the engines)."""
import numpy as np
import pytest

from lifbook import theory
from lifbook.params import CLIFParams, ELIFParams
from lifbook.reference import spike_times

pytest.importorskip("scipy")


@pytest.mark.parametrize("I", [2.1, 2.5, 4.0])
def test_clif_matches_closed_form(I):
    p = CLIFParams()
    ref = spike_times(p, I, 200.0)
    exact = theory.lif_spike_times(I, 200.0, params=p)
    assert ref.shape == exact.shape and ref.size > 0
    np.testing.assert_allclose(ref, exact, atol=1e-7)


def test_elif_first_spike_matches_quadrature():
    p = ELIFParams(u_rest=-60.0)  # start at u_reset so the first interval is eif_time_to_threshold
    ref = spike_times(p, 0.6, 300.0)
    T = theory.eif_time_to_threshold(0.6, params=p)
    assert ref[0] == pytest.approx(T, abs=1e-7)
    np.testing.assert_allclose(np.diff(ref), p.t_ref + T, atol=1e-7)


def test_below_rheobase_is_silent_and_synaptic_filter_delays():
    p = CLIFParams()
    assert spike_times(p, 1.9, 100.0).size == 0
    fast = spike_times(p, 3.0, 100.0)
    slow = spike_times(p.replace(tau_syn=5.0), 3.0, 100.0)
    assert slow[0] > fast[0] and slow.size <= fast.size


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="params"):
        spike_times({"tau_m": 10}, 1.0, 10.0)
    with pytest.raises(ValueError, match="u0"):
        spike_times(CLIFParams(), 1.0, 10.0, u0=-40.0)
    with pytest.raises(ValueError, match="tau_m"):
        spike_times(CLIFParams(tau_m=np.full(3, 10.0)), 1.0, 10.0)
