"""lifbook.network: semantics, engines in agreement, determinism, drives, ready models against theory, errors."""
import numpy as np
import pytest

from lifbook import CLIFPopulation, analysis, network
from lifbook.network import Network, PoissonDrive, Population, Projection, theory
from lifbook.network import _rng
from lifbook.params import CLIFParams

from _support import requires_cuda, requires_torch

BRUNEL_P = CLIFParams(tau_m=20.0, u_rest=0.0, u_th=20.0, u_reset=10.0, t_ref=2.0, R=1.0, dt=0.1)


def _mixed_network(seed=0, engine="numpy"):
    """Every feature at once: exponential and delta ports, several delays, per-synapse and scalar
    weights, explicit and random connectivity, Poisson drives, heterogeneous parameters, I_ext."""
    rng = np.random.default_rng(99)
    pa = CLIFParams(tau_m=rng.uniform(10, 30, 60), u_rest=-65.0, u_th=-50.0, u_reset=-70.0, t_ref=2.0, R=10.0)
    A = Population("A", 60, pa, ports={"exc": 5.0, "inh": 10.0, "fast": 0.0}, I_ext=rng.uniform(1.0, 1.8, 60),
                   v_init=("uniform", -70.0, -50.0))
    B = Population("B", 25, tau_m=15.0, u_rest=-60.0, u_th=-52.0, u_reset=-62.0, t_ref=1.0, R=1.0,
                   ports={"syn": 0.0}, v_init=-55.0)
    pre = rng.integers(0, 25, 80)
    post = rng.integers(0, 60, 80)
    prj = [
        Projection(A, A, port="exc", weight=lambda i, j, r: r.uniform(0.5, 1.5, i.size), p=0.1, delay=0.3,
                   autapses=False),
        Projection(A, B, weight=1.5, indegree=6, delay=1.0),
        Projection(B, A, port="inh", weight=-rng.uniform(0.5, 2.0, 80), pre=pre, post=post, delay=0.1),
        Projection(B, A, port="fast", weight=0.8, p=0.2, delay=2.0),
        Projection(B, B, weight=-0.5, indegree=3, delay=0.5, autapses=False),
    ]
    drives = [PoissonDrive(B, rate=900.0, weight=0.6, n_sources=3),
              PoissonDrive(A, port="exc", rate=50.0, weight=0.4, n_sources=20),
              PoissonDrive(A, port="fast", rate=200.0, weight=-0.3)]
    return Network([A, B], prj, drives, seed=seed, engine=engine)


# -- the snippet and the CUBA benchmark ----------------------------------------------------
def test_cuba_snippet_runs_as_written():
    from lifbook import network

    net = network.cuba(seed=1)
    rec = net.run(1000.0)            # ms
    t, i = rec.spike_events()        # ms, neuron index 0..3999
    assert i.min() >= 0 and i.max() <= 3999 and np.all(np.diff(t) >= 0)
    assert net.n == 4000 and abs(net.n_synapses - 0.02 * 4000 ** 2) < 5 * np.sqrt(0.02 * 4000 ** 2)
    # Self-sustained activity at a few Hz: measured 5.54 Hz for seed 1 (bench/NETWORK.md), 5.5-6.0 Hz
    # and CV 0.52-0.54 for seeds 1-5. Brian2 publishes no rate for its CUBA example.
    assert 3.0 < rec.mean_rate() < 9.0
    assert set(np.unique(i[i >= 3200])) and set(np.unique(i[i < 3200]))  # both populations fire
    cv = np.nanmean(analysis.isi_cv(t, i, 4000))
    assert 0.4 < cv < 1.5


# -- semantics ------------------------------------------------------------------------------------
def test_single_population_matches_clif_population_bitwise():
    """No synapses: the network's neuron step is lifbook's CLIF step (exact propagator, reset, t_ref)."""
    I = np.linspace(1.0, 4.0, 7)
    params = CLIFParams(t_ref=1.5, tau_m=np.linspace(5.0, 12.0, 7))  # heterogeneous
    pop = CLIFPopulation(n=7, params=params, backend="numpy", engine="reference")
    ref = pop.run(I, steps=800, record=("spikes", "v"))
    for engine in ("numpy", "numba"):
        net = Network([Population("P", 7, params, I_ext=I)], engine=engine)
        rec = net.run(80.0, record=("spikes", "v"), v_neurons=np.arange(7))
        np.testing.assert_array_equal(rec.v, ref.v)
        k, j = np.nonzero(ref.spikes)
        np.testing.assert_array_equal(rec.steps, k)
        np.testing.assert_array_equal(rec.ids, j)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_delay_and_ports_deliver_at_spike_time_plus_delay(engine):
    """One spike at t = 0.1 ms reaches a delta port as a jump at 0.1 + delay and an exponential
    port as the exact PSP ``w tau_s (e^{-s/tau_s} - e^{-s/tau_m}) / (tau_s - tau_m)``."""
    src = Population("S", 1, BRUNEL_P.replace(t_ref=1000.0), v_init=25.0)  # fires in its first step only
    tgt = Population("T", 2, BRUNEL_P.replace(u_th=1e6), ports={"d": 0.0, "e": 5.0})
    prj = [Projection(src, tgt, port="d", weight=2.0, pre=[0], post=[0], delay=1.0),
           Projection(src, tgt, port="e", weight=3.0, pre=[0], post=[1], delay=0.5)]
    net = Network([src, tgt], prj, engine=engine)
    rec = net.run(20.0, record=("spikes", "v"), v_neurons=net.index("T"))
    assert rec.spike_events()[0].tolist() == pytest.approx([0.1])
    t = rec.t
    jump_at = 0.1 + 1.0
    expected_d = np.where(t >= jump_at - 1e-9, 2.0 * np.exp(-(t - jump_at) / 20.0), 0.0)
    np.testing.assert_allclose(rec.v[:, 0], expected_d, atol=1e-12)
    s = t - (0.1 + 0.5)
    psp = np.where(s >= -1e-9, 3.0 * 5.0 * (np.exp(-s / 5.0) - np.exp(-s / 20.0)) / (5.0 - 20.0), 0.0)
    np.testing.assert_allclose(rec.v[:, 1], psp, atol=1e-12)


def test_delta_input_is_lost_while_refractory_and_can_trigger_a_spike():
    src = Population("S", 1, BRUNEL_P.replace(t_ref=1000.0), v_init=25.0)
    tgt = Population("T", 2, BRUNEL_P.replace(t_ref=5.0), v_init=np.array([19.0, 25.0]))
    # neuron 0 at 19 mV decays slightly, the 5 mV jump at 0.2 ms takes it over threshold in that step;
    # neuron 1 fires at 0.1 ms and is refractory when the jump arrives: it stays at u_reset.
    prj = [Projection(src, tgt, weight=5.0, pre=[0, 0], post=[0, 1], delay=0.1)]
    rec = Network([src, tgt], prj).run(3.0, record=("spikes", "v"), v_neurons=[1, 2])
    t, i = rec.spike_events()
    assert list(zip(np.round(t, 6), i)) == [(0.1, 0), (0.1, 2), (0.2, 1)]
    assert np.all(rec.v[:, 1][rec.t < 5.0] == 10.0)


@pytest.mark.parametrize("engine", ["numpy", "numba", pytest.param("torch", marks=requires_torch)])
def test_runs_in_pieces_equal_one_run(engine):
    whole = _mixed_network(engine=engine).run(60.0, record=("spikes", "v"), v_neurons=np.arange(85))
    net = _mixed_network(engine=engine)
    parts = [net.run(d, record=("spikes", "v"), v_neurons=np.arange(85)) for d in (0.1, 22.4, 7.5, 30.0)]
    steps = np.concatenate([p.steps + int(round(p.t_start / 0.1)) for p in parts])
    np.testing.assert_array_equal(steps, whole.steps)
    np.testing.assert_array_equal(np.concatenate([p.ids for p in parts]), whole.ids)
    np.testing.assert_array_equal(np.concatenate([p.v for p in parts]), whole.v)
    assert len(whole.ids) > 100


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_spike_output_grows(engine, monkeypatch):
    from lifbook.network import core

    full = _mixed_network(engine=engine).run(40.0)
    monkeypatch.setattr(core, "SPIKE_CAP_MIN", 1)
    monkeypatch.setattr(core, "SPIKE_CAP_MAX", 1)
    small = _mixed_network(engine=engine).run(40.0)  # starts with room for one step's spikes only
    np.testing.assert_array_equal(small.ids, full.ids)
    np.testing.assert_array_equal(small.steps, full.steps)
    assert len(full.ids) > 2 * 85  # the output of 85 events was doubled twice


def test_blocks_of_steps_change_nothing(monkeypatch):
    """The numba engine updates the neurons for a block of steps (up to the smallest delay: 15 for
    Brunel's 1.5 ms) before it propagates their spikes. Runs cut anywhere, a spike output that
    fills mid-block, one block of one step and the NumPy reference (step by step) all agree bitwise."""
    from lifbook.network import core

    sel = np.arange(0, 625, 5)
    ref = network.brunel(scale=0.05, seed=3, engine="numpy").run(40.0, record=("spikes", "v"), v_neurons=sel)
    net = network.brunel(scale=0.05, seed=3, engine="numba")
    assert net._block == 15
    parts = [net.run(d, record=("spikes", "v"), v_neurons=sel) for d in (0.1, 0.7, 13.3, 2.2, 23.7)]
    steps = np.concatenate([p.steps + int(round(p.t_start / 0.1)) for p in parts])
    np.testing.assert_array_equal(steps, ref.steps)
    np.testing.assert_array_equal(np.concatenate([p.ids for p in parts]), ref.ids)
    np.testing.assert_array_equal(np.concatenate([p.v for p in parts]), ref.v)
    monkeypatch.setattr(core, "SPIKE_CAP_MIN", 1)
    monkeypatch.setattr(core, "SPIKE_CAP_MAX", 1)  # room for 1, then 2, 4 steps' spikes: blocks cut short
    full = network.brunel(scale=0.05, seed=3, engine="numba").run(40.0, record=("spikes", "v"), v_neurons=sel)
    monkeypatch.setattr(core, "BLOCK_MAX", 1)
    one = network.brunel(scale=0.05, seed=3, engine="numba")
    assert one._block == 1
    small = one.run(40.0, record=("spikes", "v"), v_neurons=sel)
    for rec in (full, small):
        np.testing.assert_array_equal(rec.steps, ref.steps)
        np.testing.assert_array_equal(rec.ids, ref.ids)
        np.testing.assert_array_equal(rec.v, ref.v)
    assert len(ref.ids) > 3 * 625  # the output of 625 events grew twice


def test_numpy_reference_and_numba_agree_bitwise():
    a = _mixed_network(seed=4, engine="numpy")
    b = _mixed_network(seed=4, engine="numba")
    ra = a.run(80.0, record=("spikes", "v"), v_neurons=np.arange(85))
    rb = b.run(80.0, record=("spikes", "v"), v_neurons=np.arange(85))
    np.testing.assert_array_equal(ra.steps, rb.steps)
    np.testing.assert_array_equal(ra.ids, rb.ids)
    np.testing.assert_array_equal(ra.v, rb.v)
    for name in ("v", "ref", "g", "ring"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert len(ra.ids) > 200 and set(np.unique(ra.ids)) >= {0, 60}
    # switching engines mid-run continues the same trajectory
    c = _mixed_network(seed=4, engine="numba")
    c.run(30.0)
    rc = c.run(50.0, engine="numpy")
    np.testing.assert_array_equal(rc.ids, ra.ids[ra.steps >= 300])


@pytest.mark.slow  # threads on a busy machine wait for each other at every step
def test_thread_count_does_not_change_results():
    import numba

    recs = []
    for threads in sorted({1, 2, 3, numba.config.NUMBA_NUM_THREADS}):
        net = network.brunel(scale=0.05, seed=5, threads=threads, engine="numba")
        recs.append(net.run(25.0, record=("spikes", "v"), v_neurons=np.arange(0, 625, 7)))
    for r in recs[1:]:
        np.testing.assert_array_equal(r.ids, recs[0].ids)
        np.testing.assert_array_equal(r.steps, recs[0].steps)
        np.testing.assert_array_equal(r.v, recs[0].v)
    assert len(recs[0].ids) > 100


@requires_torch
def test_torch_reference_agrees_bitwise_on_the_cpu():
    a = _mixed_network(seed=4, engine="numpy")
    b = _mixed_network(seed=4, engine="torch")
    ra = a.run(60.0, record=("spikes", "v"), v_neurons=np.arange(85))
    rb = b.run(60.0, record=("spikes", "v"), v_neurons=np.arange(85))
    np.testing.assert_array_equal(ra.ids, rb.ids)
    np.testing.assert_array_equal(ra.steps, rb.steps)
    np.testing.assert_array_equal(ra.v, rb.v)
    for name in ("v", "ref", "g", "ring"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@requires_cuda
@pytest.mark.cuda
def test_torch_reference_on_cuda_agrees_with_numba():
    a = _mixed_network(seed=4, engine="numba")
    b = _mixed_network(seed=4, engine="torch", device="cuda")
    ra = a.run(60.0, record=("spikes", "v"), v_neurons=np.arange(85))
    rb = b.run(60.0, record=("spikes", "v"), v_neurons=np.arange(85))
    # atomic additions on the GPU change the order of the sums: potentials agree to rounding
    np.testing.assert_allclose(ra.v, rb.v, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(ra.ids, rb.ids)


def test_seed_fixes_everything_and_changes_everything():
    r1 = _mixed_network(seed=7, engine="numba").run(50.0)
    r2 = _mixed_network(seed=7, engine="numba").run(50.0)
    r3 = _mixed_network(seed=8, engine="numba").run(50.0)
    np.testing.assert_array_equal(r1.ids, r2.ids)
    np.testing.assert_array_equal(r1.steps, r2.steps)
    assert not (len(r1.ids) == len(r3.ids) and np.array_equal(r1.ids, r3.ids))
    n1, n3 = _mixed_network(seed=7), _mixed_network(seed=8)
    assert not np.array_equal(n1.indices, n3.indices)


def test_record_views():
    net = _mixed_network(seed=2, engine="numba")
    rec = net.run(50.0)
    t, i = rec.spike_events()
    tb, ib = rec.spike_events("B")
    assert np.all((ib >= 0) & (ib < 25))
    np.testing.assert_array_equal(np.sort(ib), np.sort(i[i >= 60] - 60))
    assert set(rec.spikes) == {"A", "B"} and rec.spikes["B"][0].size == tb.size
    assert rec.spike_counts().sum() == t.size and rec.spike_counts("A").shape == (60,)
    np.testing.assert_allclose(rec.rates("B").mean(), rec.mean_rate("B"))
    tt, r = rec.population_rate(5.0, pop="B")
    assert tt.size == 10 and tt[-1] == pytest.approx(50.0)
    # the rate integrates to the spike count: sum(rate * bin) * n = spikes
    assert np.sum(r) * 5e-3 * 25 == pytest.approx(tb.size)
    assert np.all(np.diff(t) >= 0) and t.min() >= 0.1 and t.max() <= 50.0 + 1e-9
    later = net.run(10.0)
    assert later.t_start == pytest.approx(50.0) and later.t[0] == pytest.approx(50.1)
    assert later.spike_events()[0].min() > 50.0


def test_plots_take_a_network_record():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lifbook import plot

    rec = _mixed_network(seed=2, engine="numba").run(30.0)
    ax = plot.raster(rec)
    assert ax.collections[0].get_offsets().shape[0] == rec.ids.size
    assert ax.get_ylim() == (-0.5, 84.5)
    ax = plot.population_rate(rec, bin_ms=1.0)
    assert ax is not None
    plt.close("all")


# -- connectivity ---------------------------------------------------------------------------------
def test_connectivity_rules():
    A = Population("A", 300, BRUNEL_P)
    B = Population("B", 200, BRUNEL_P, ports={"x": 0.0, "y": 3.0})
    p = Projection(A, B, port="x", weight=1.0, p=0.1)
    c = Projection(B, B, port="y", weight=1.0, indegree=17, autapses=False)
    net = Network([A, B], [p, c], seed=3)
    # Bernoulli: count ~ Binomial(60000, 0.1)
    n_p = int(net.indptr[300])
    assert abs(n_p - 6000) < 5 * np.sqrt(6000 * 0.9)
    # fixed in-degree: every target exactly 17 distinct sources, none itself
    base = int(net.prj_indptr_off[1])
    indptr = net.indptr[base: base + 201]
    cols = net.indices[indptr[0]: indptr[-1]] - net.port_off[2]
    pre = np.repeat(np.arange(200), np.diff(indptr))
    assert np.all(np.bincount(cols, minlength=200) == 17)
    assert not np.any(pre == cols)
    assert len(set(zip(pre.tolist(), cols.tolist()))) == pre.size
    # rows are sorted by target
    for r in range(200):
        row = net.indices[indptr[r]: indptr[r + 1]]
        assert np.all(np.diff(row) >= 0)
    mem = net.memory()
    assert mem["synapses"] == n_p + 200 * 17 and 4.0 <= mem["bytes_per_synapse"] < 5.0


# -- Poisson drive --------------------------------------------------------------------------------
def test_poisson_counts_are_poisson_and_reproducible():
    lam = 2.5
    c = np.array([_rng.poisson_counts(2024, k, 500, lam) for k in range(400)])
    n = c.size
    assert abs(c.mean() - lam) < 4 * np.sqrt(lam / n)
    assert abs(c.var() / c.mean() - 1.0) < 4 * np.sqrt(2.0 / n)
    # windows of 100 steps: count mean lam*100, Fano 1
    w = c.reshape(4, 100, 500).sum(axis=1).ravel()
    assert abs(w.var(ddof=1) / w.mean() - 1.0) < 4 * np.sqrt(2.0 / w.size)
    # large means are exact sums of chunks; the distribution stays Poisson
    big = np.array([_rng.poisson_counts(5, k, 2000, 40.0) for k in range(20)]).ravel()
    assert abs(big.mean() - 40.0) < 4 * np.sqrt(40.0 / big.size)
    assert abs(big.var() / 40.0 - 1.0) < 4 * np.sqrt(2.0 / big.size)
    np.testing.assert_array_equal(_rng.poisson_counts(11, 3, 50, 1.0), _rng.poisson_counts(11, 3, 50, 1.0))
    assert not np.array_equal(_rng.poisson_counts(11, 3, 50, 1.0), _rng.poisson_counts(11, 4, 50, 1.0))


@pytest.mark.parametrize("tau_syn", [0.0, 5.0])
def test_poisson_drive_moments_follow_campbell(tau_syn):
    """Free membrane (no threshold) under a Poisson drive: mean and variance of u (and of the port)
    against Campbell's theorem; the same realisation whatever the run's pieces."""
    rate, n_src, w = 40.0, 50, 0.4
    P = Population("P", 400, BRUNEL_P.replace(u_th=1e6), ports={"in": tau_syn})
    net = Network([P], drives=[PoissonDrive(P, rate=rate, weight=w, n_sources=n_src)], seed=5)
    net.run(100.0)
    rec = net.run(400.0, record="v", v_neurons=np.arange(400))
    th = theory.shot_noise(rate, w, n_sources=n_src, tau_syn=tau_syn, tau_m=20.0)
    u = rec.v[::50]  # samples 5 ms apart
    assert abs(u.mean() - th["mean_u"]) < 0.02 * th["mean_u"]
    assert abs(u.var() / th["var_u"] - 1.0) < 0.06
    if tau_syn:
        assert abs(net.g.mean() - th["mean_g"]) < 0.05 * th["mean_g"]
    piecewise = Network([P], drives=[PoissonDrive(P, rate=rate, weight=w, n_sources=n_src)], seed=5)
    for d in (33.3, 66.7, 0.1, 399.9):
        last = piecewise.run(d, record="v", v_neurons=np.arange(400))
    np.testing.assert_array_equal(last.v[-1], rec.v[-1])


# -- theory against simulation -------------------------------------------------------------------
def test_siegert_matches_lifbook_theory_and_isolated_neurons():
    """The diffusion approximation for a population driven by Poisson input of Brunel's AI state
    (the recurrent input replaced by Poisson trains at the mean-field rate): rate and CV."""
    from lifbook import theory as lt

    nu = theory.brunel_rate(5.0, 2.0)
    mu, sigma = theory.brunel_mu_sigma(nu, 5.0, 20.0)
    # the same Siegert integral as lifbook.theory.lif_rate_diffusion (R = 1, current = mV)
    p = BRUNEL_P
    assert theory.siegert_rate(mu, sigma) == pytest.approx(
        float(lt.lif_rate_diffusion(mu, sigma, params=p)), rel=1e-12)
    P = Population("P", 400, p, v_init=("uniform", 10.0, 20.0))
    d = [PoissonDrive(P, rate=20.0 + nu, weight=0.1, n_sources=1000),
         PoissonDrive(P, rate=nu, weight=-0.5, n_sources=250)]
    net = Network([P], drives=d, seed=1)
    net.run(100.0)
    rec = net.run(1500.0)
    t, i = rec.spike_events()
    assert rec.mean_rate() == pytest.approx(nu, rel=0.08)  # measured -4%: jumps of J = 0.1 mV, the grid
    cv = np.nanmean(analysis.isi_cv(t, i, 400))
    assert cv == pytest.approx(theory.isi_cv_diffusion(mu, sigma), rel=0.08)


def test_brunel_reduced_matches_mean_field():
    """Brunel model A at scale 0.2 (N = 2500, C_E = 200): rate against the mean field for that C_E."""
    net = network.brunel(g=5.0, nu_ext_ratio=2.0, scale=0.2, seed=2)
    assert net.n == 2500 and net.n_synapses == 2500 * 250
    rec = net.run(500.0)
    m = net.meta
    nu = theory.brunel_rate(5.0, 2.0, C_E=m["C_E"], gamma=m["C_I"] / m["C_E"])
    assert rec.mean_rate(t_min=100.0) == pytest.approx(nu, rel=0.05)


@pytest.mark.slow
def test_brunel_ai_state_irregularity_depends_on_the_synaptic_weight():
    """At g = 5, nu_ext = 2 nu_thr (N_E = 4000, C_E = 1000, C_I = 250) the AI state with J = 0.1 mV
    is mean-driven (mu = 21 mV > theta) with CV about 0.4 (Brian2 gives the same for the full network,
    bench/NETWORK.md); with J = 0.2 mV the mean input falls below threshold, the neurons are
    fluctuation-driven and fire with CV > 0.8 (measured 0.92 at 27.4 Hz), the rate within 10% of the
    mean field in both cases."""
    for J, lo, hi in ((0.1, 0.3, 0.5), (0.2, 0.8, 1.1)):
        net = network.brunel(g=5.0, nu_ext_ratio=2.0, J=J, N_E=4000, C_E=1000, C_I=250, seed=1)
        rec = net.run(600.0)
        t, i = rec.spike_events()
        keep = t > 100.0
        cv = np.nanmean(analysis.isi_cv(t[keep], i[keep], net.n))
        nu = theory.brunel_rate(5.0, 2.0, J=J)
        mu, _ = theory.brunel_mu_sigma(nu, 5.0, 2.0 * network.brunel_nu_thr(J=J), J=J)
        assert rec.mean_rate(t_min=100.0) == pytest.approx(nu, rel=0.10)
        assert lo < cv < hi
        assert (mu > 20.0) == (J == 0.1)


@pytest.mark.slow
def test_brunel_states_identified_by_rate_spectrum():
    """Brunel (2000) Fig. 8 at N = 2500 (C_E = 1000, C_I = 250): the synchronous regular state
    (g = 3) has one dominant peak in the population-rate spectrum, the AI state (g = 5) a broad
    one; the synchronous irregular fast state (g = 6, nu_ext = 4 nu_thr) oscillates near 180 Hz
    with irregular single neurons. Measured (seed 3): peak fractions 0.57 (SR), 0.10 (AI);
    SI fast at 170 Hz with CV 1.13."""
    def run(g, ratio):
        net = network.brunel(g=g, nu_ext_ratio=ratio, scale=0.2, C_E=1000, C_I=250, seed=3)
        rec = net.run(600.0)
        t, i = rec.spike_events()
        keep = t > 100.0
        _, r = rec.population_rate(bin_ms=0.5)
        f, P = analysis.rate_spectrum(r[200:], 0.5, segment_ms=100.0)
        cv = np.nanmean(analysis.isi_cv(t[keep], i[keep], net.n))
        return cv, f[1:][np.argmax(P[1:])], P[1:].max() / P[1:].sum()
    cv_ai, f_ai, frac_ai = run(5.0, 2.0)
    cv_sr, f_sr, frac_sr = run(3.0, 2.0)
    cv_si, f_si, frac_si = run(6.0, 4.0)
    assert frac_sr > 0.4 and frac_ai < 0.2 and f_sr > 300.0
    assert 120.0 < f_si < 250.0 and cv_si > 0.8
    assert cv_sr < 0.1 < cv_ai


# -- errors ---------------------------------------------------------------------------------------
def test_bad_input_errors_name_the_parameter():
    A = Population("A", 10, BRUNEL_P, ports={"e": 5.0, "i": 0.0})
    with pytest.raises(ValueError, match="p, indegree, pre/post"):
        Projection(A, A, port="e", weight=1.0)
    with pytest.raises(ValueError, match="delay"):
        Projection(A, A, port="e", weight=1.0, p=0.1, delay=0.05)
    with pytest.raises(ValueError, match="delay"):
        Projection(A, A, port="e", weight=1.0, p=0.1, delay=0.25)
    with pytest.raises(ValueError, match="port"):
        Projection(A, A, weight=1.0, p=0.1)
    with pytest.raises(ValueError, match="port"):
        Projection(A, A, port="x", weight=1.0, p=0.1)
    with pytest.raises(ValueError, match="weight"):
        Projection(A, A, port="e", weight=np.ones(5), p=0.1)
    with pytest.raises(ValueError, match="p: "):
        Projection(A, A, port="e", weight=1.0, p=1.5)
    with pytest.raises(ValueError, match="indegree"):
        Projection(A, A, port="e", weight=1.0, indegree=10, autapses=False)
    with pytest.raises(ValueError, match="post"):
        Projection(A, A, port="e", weight=1.0, pre=[0, 1], post=[3, 10])
    with pytest.raises(TypeError, match="weight"):
        Projection(A, A, port="e", weight="big", p=0.1)
    with pytest.raises(ValueError, match="tau_syn"):
        Population("B", 3, tau_syn=5.0)
    with pytest.raises(ValueError, match="ports"):
        Population("B", 3, ports={"e": -1.0})
    with pytest.raises(ValueError, match="I_ext"):
        Population("B", 3, I_ext=np.ones(4))
    with pytest.raises(ValueError, match="v_init"):
        Population("B", 3, v_init=("normal", 0, 1))
    with pytest.raises(ValueError, match="rate"):
        PoissonDrive(A, port="e", rate=-1.0, weight=1.0)
    with pytest.raises(ValueError, match="n_sources"):
        PoissonDrive(A, port="e", rate=1.0, weight=1.0, n_sources=0)
    B = Population("B", 3, BRUNEL_P.replace(dt=0.05))
    with pytest.raises(ValueError, match="dt"):
        Network([A, B])
    with pytest.raises(ValueError, match="names"):
        Network([A, Population("A", 2)])
    with pytest.raises(ValueError, match="not in the network"):
        Network([A], [Projection(B, B, weight=1.0, p=0.5)])
    with pytest.raises(ValueError, match="engine"):
        Network([A], engine="gpu")
    with pytest.raises(ValueError, match="device"):
        Network([A], engine="numba", device="cuda")
    net = Network([A])
    with pytest.raises(ValueError, match="duration"):
        net.run(1.05)
    with pytest.raises(ValueError, match="record"):
        net.run(1.0, record=("spikes", "i"))
    with pytest.raises(ValueError, match="v_neurons"):
        net.run(1.0, record="v", v_neurons=[10])
    rec = net.run(1.0)
    with pytest.raises(ValueError, match="pop"):
        rec.spike_events("X")
    with pytest.raises(ValueError, match="bin_ms"):
        rec.population_rate(bin_ms=5.0)
    with pytest.raises(ValueError, match="nu_ext_ratio"):
        theory.brunel_rate(5.0, -1.0)
    with pytest.raises(ValueError, match="times, index"):
        analysis.isi_cv(np.zeros(3), np.zeros(2, dtype=int))
