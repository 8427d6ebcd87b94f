import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lifbook import CLIFPopulation, ELIFParams, ELIFPopulation, plot, theory  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_voltage_trace_marks_every_spike_and_the_threshold():
    rec = ELIFPopulation(n=1).run(0.8, steps=2000, record=("spikes", "v"))
    ax = plot.voltage_trace(rec)
    n_spikes = int(rec.spike_counts()[0])
    assert n_spikes > 3
    marks = [c for c in ax.collections if len(c.get_segments()) == n_spikes]
    assert marks, "one vertical mark per spike"
    seg = marks[0].get_segments()[0]
    assert seg[1, 1] == pytest.approx(-30.0 + plot.SPIKE_MARK_MV)
    assert any(np.allclose(l.get_ydata(), -30.0) for l in ax.lines if len(l.get_ydata()) == 2)


def test_raster_has_one_dot_per_spike():
    rec = CLIFPopulation(n=20).run(np.linspace(1, 6, 20), steps=1000, record="spikes")
    ax = plot.raster(rec)
    assert len(ax.collections[0].get_offsets()) == rec.spike_counts().sum()


def test_phase_plane_marks_two_fixed_points_below_rheobase_and_none_above():
    p = ELIFParams()
    ax = plot.phase_plane(0.2, p)
    pts = [l for l in ax.lines if len(l.get_xdata()) == 1]
    us, uu = theory.eif_fixed_points(0.2, p)
    assert sorted(l.get_xdata()[0] for l in pts) == pytest.approx(sorted([us, uu]))
    ax2 = plot.phase_plane(0.6, p)
    assert not [l for l in ax2.lines if len(l.get_xdata()) == 1]


def test_fi_curve_and_current_trace_and_population_rate():
    I = np.linspace(0, 5, 11)
    ax = plot.fi_curve(I, theory.lif_rate(I), label="theory")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), theory.lif_rate(I))
    rec = CLIFPopulation(n=5).run(3.0, steps=100, record=("spikes", "v", "i"))
    plot.current_trace(rec, index=1)
    plot.population_rate(rec, bin_ms=1.0)
    with pytest.raises(ValueError, match="'i' was not recorded"):
        plot.current_trace(CLIFPopulation(n=1).run(1.0, steps=3, record="v"))


def test_population_rate_bins_cover_the_time_they_count():
    # First spike at 8.8 ms with 3 nA: it must be drawn in the bin [5, 10), not [10, 15).
    rec = CLIFPopulation(n=1).run(3.0, steps=200, record="spikes")
    assert rec.spike_times(0)[0] == pytest.approx(8.8)
    ax = plot.population_rate(rec, bin_ms=5.0)
    values, edges = ax.patches[0].get_data()[:2]
    assert edges[0] == pytest.approx(0.0) and edges[1] == pytest.approx(5.0)
    assert values[0] == 0.0 and values[1] == pytest.approx(200.0)


def test_throughput_draws_one_line_per_implementation_and_the_cache_lines():
    table = {"run": {1000: 2000.0, 10**6: 5000.0}, "forward": {1000: 30.0, 10**5: 700.0, 10**6: 1000.0}}
    ax = plot.throughput(table, caches={"L1d": 48 << 10, "L2": 2 << 20, "L3": 100 << 20}, bytes_per_update=21)
    lines = [ln for ln in ax.get_lines() if ln.get_label() in table]
    assert [ln.get_label() for ln in lines] == ["run", "forward"]
    np.testing.assert_array_equal(lines[1].get_xdata(), [1000, 10**5, 10**6])
    np.testing.assert_array_equal(lines[1].get_ydata(), [30.0, 700.0, 1000.0])
    cache_x = sorted(ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_label() not in table)
    assert cache_x == pytest.approx([(2 << 20) / 21, (100 << 20) / 21])  # L2 and L3, not L1
    assert ax.get_xscale() == ax.get_yscale() == "log"
    plt.close("all")


def test_benchmark_bars_show_medians_with_ranges_on_a_log_axis():
    rows = [{"impl": "lifbook run (count)", "mups_median": 5000.0, "mups_min": 4000.0, "mups_max": 6000.0},
            {"impl": "numpy (naive loop)", "mups_median": 90.0, "mups_min": 80.0, "mups_max": 95.0}]
    ax = plot.benchmark_bars(rows)
    bars = ax.patches
    assert [b.get_width() for b in bars] == [5000.0, 90.0]
    assert bars[0].get_facecolor() != bars[1].get_facecolor()  # lifbook highlighted
    assert [t.get_text() for t in ax.get_yticklabels()] == ["lifbook run (count)", "numpy (naive loop)"]
    assert ax.get_xscale() == "log"
    assert {t.get_text() for t in ax.texts} == {"5,000", "90"}
    plt.close("all")


def test_hysteresis_draws_both_theory_branches_the_sweeps_and_the_bistable_range():
    p = ELIFParams(u_reset=-50.0)
    I = np.linspace(-0.6, 0.6, 7)
    up, down = np.zeros(7), np.arange(7.0)
    ax = plot.hysteresis(I, up, down, p)
    rest, reset, m_up, m_down = ax.lines
    np.testing.assert_allclose(rest.get_ydata(), theory.eif_rate(rest.get_xdata(), p))
    np.testing.assert_allclose(reset.get_ydata(), theory.eif_rate(reset.get_xdata(), p, start="reset"))
    np.testing.assert_array_equal(m_up.get_ydata(), up)
    np.testing.assert_array_equal(m_down.get_ydata(), down)
    low, rh = theory.eif_bistable_range(p)
    span = ax.patches[0]  # the shaded range (a Rectangle in data coordinates along x)
    assert (span.get_x(), span.get_x() + span.get_width()) == pytest.approx((low, rh))
    assert not plot.hysteresis(I, up, down).patches  # default reset: no bistable range
