"""plot.psth draws each bin over the time it covers (appended for chapter 3)."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from lifbook import CLIFPopulation, plot  # noqa: E402


def test_psth_bins_cover_their_own_time():
    rec = CLIFPopulation(n=3).run(3.0, steps=200)  # first spike at 8.8 ms, in the bin [5, 10)
    assert rec.spike_times(0)[0] == 8.8
    ax = plot.psth(rec, bin_ms=5.0)
    (stairs,) = ax.patches
    values, edges, _ = stairs.get_data()
    np.testing.assert_array_equal(edges, [0.0, 5.0, 10.0, 15.0, 20.0])
    np.testing.assert_allclose(values, [0.0, 200.0, 0.0, 200.0])  # 3 of 3 neurons, 1 spike / 5 ms
    assert ax.get_ylabel() == "rate (Hz)"


def test_psth_of_a_batch_is_the_trial_average():
    m = CLIFPopulation(n=1, batch_size=4)
    x = np.zeros((100, 4, 1))
    x[:, :2] = 5.0  # two of four trials driven
    rec = m.run(x)
    values = plot.psth(rec, bin_ms=10.0).patches[0].get_data()[0]
    assert values[0] == rec.spike_counts().sum() / 4 / 0.01
