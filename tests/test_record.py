import numpy as np
import pytest

from lifbook import CLIFPopulation, theory


def test_spike_times_counts_rates():
    m = CLIFPopulation(n=3, u_reset=-70.0)
    I = np.array([1.0, 3.0, 6.0])
    rec = m.run(I, steps=5000)
    counts = rec.spike_counts()
    assert counts[0] == 0 and counts[1] < counts[2]
    np.testing.assert_allclose(rec.rates(), counts / 0.5)
    ts = rec.spike_times(2)
    assert len(ts) == counts[2]
    isi = np.diff(ts)
    np.testing.assert_allclose(isi, isi[0], atol=1e-9)  # periodic under constant input
    np.testing.assert_allclose(rec.steady_rates()[1:], theory.lif_rate_on_grid(I[1:], m.params), rtol=1e-9)
    t, j = rec.spike_events()
    assert len(t) == counts.sum() and set(j.tolist()) == {1, 2} and np.all(np.diff(t) >= 0)


def test_population_rate_bins():
    m = CLIFPopulation(n=100)
    rec = m.run(np.linspace(2.5, 6, 100), steps=2000)
    t, r = rec.population_rate(bin_ms=5.0)
    assert len(t) == 40 and t[0] == pytest.approx(5.0)
    # mean population rate equals the mean of single-neuron rates
    assert r.mean() == pytest.approx(rec.rates().mean(), rel=1e-12)
    with pytest.raises(ValueError, match="bin_ms"):
        rec.population_rate(1000.0)


def test_batched_indexing_and_missing_variables():
    m = CLIFPopulation(n=4, batch_size=2)
    rec = m.run(np.full((300, 2, 4), 4.0), record=("spikes",))
    assert len(rec.spike_times((1, 3))) > 0
    with pytest.raises(ValueError, match="selects"):
        rec.spike_times(1)
    assert rec.v is None
    rec2 = m.run(4.0, steps=10, record="count")
    with pytest.raises(ValueError, match="'spikes' was not recorded"):
        rec2.spike_times((0, 0))
    assert rec2.spike_counts().shape == (2, 4)
    assert "recorded=['count']" in repr(rec2)
