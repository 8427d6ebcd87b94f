import numpy as np
import pytest

from lifbook import CLIFParams, CLIFPopulation, inputs


def test_step_ramp_sine_values():
    t = np.arange(0.0, 100.0, 0.5)
    s = inputs.step(2.0, start=10.0, stop=20.0, baseline=0.5)(t)
    assert s.shape == (200,)
    assert np.all(s[(t >= 10) & (t < 20)] == 2.0) and np.all(s[(t < 10) | (t >= 20)] == 0.5)
    r = inputs.ramp(0.0, 4.0, start=20.0, stop=60.0)(t)
    assert r[t == 40.0][0] == pytest.approx(2.0) and np.all(r[t < 20] == 0) and np.all(r[t >= 60] == 4.0)
    r2 = inputs.ramp(0.0, 4.0, start=20.0, stop=60.0, hold=False)(t)
    assert np.all(r2[t >= 60] == 0)
    w = inputs.sine(1.5, frequency=50.0, offset=2.0)(t)  # 50 Hz: period 20 ms
    assert w[t == 5.0][0] == pytest.approx(3.5) and w[t == 15.0][0] == pytest.approx(0.5)
    assert w.mean() == pytest.approx(2.0, abs=1e-9)


def test_per_neuron_amplitudes_and_algebra_shapes():
    t = np.arange(0.0, 10.0, 0.1)
    amps = np.linspace(0, 3, 5)
    s = inputs.step(amps, start=2.0)
    assert s(t).shape == (100, 5)
    both = s + 0.5 * inputs.sine(1.0, 100.0)
    assert both(t).shape == (100, 5)
    np.testing.assert_allclose(both(t)[:, 2], s(t)[:, 2] + 0.5 * np.sin(2 * np.pi * 0.1 * t))
    assert (2.0 - s)(t).shape == (100, 5)
    np.testing.assert_allclose((-s)(t), -s(t))
    batched = inputs.constant(np.ones((3, 5))) + s  # (T, 3, 5): per-neuron shape right-aligned
    assert batched(t).shape == (100, 3, 5)


def test_ornstein_uhlenbeck_statistics_and_reproducibility():
    t = np.arange(0.0, 20000.0, 0.1)  # 2e5 samples, correlation time 5 ms
    ou = inputs.ornstein_uhlenbeck(mean=1.0, sigma=0.5, tau=5.0, shape=4, seed=42)
    x = ou(t)
    assert x.shape == (len(t), 4)
    np.testing.assert_array_equal(x, ou(t))  # same seed, same grid: same values
    assert not np.array_equal(x, inputs.ornstein_uhlenbeck(1.0, 0.5, 5.0, shape=4, seed=43)(t))
    # mean and std within a few standard errors (effective samples ~ T / (2 tau))
    n_eff = 20000.0 / (2 * 5.0)
    assert np.all(np.abs(x.mean(0) - 1.0) < 4 * 0.5 / np.sqrt(n_eff))
    np.testing.assert_allclose(x.std(0), 0.5, rtol=0.06)
    # autocorrelation at lag tau is exp(-1)
    y = x[:, 0] - x[:, 0].mean()
    lag = 50
    rho = np.dot(y[:-lag], y[lag:]) / np.dot(y, y)
    assert rho == pytest.approx(np.exp(-1), abs=0.05)
    # independent across neurons
    assert abs(np.corrcoef(x[:, 0], x[:, 1])[0, 1]) < 0.05


@pytest.mark.parametrize("call, err, match", [
    (lambda: inputs.step("a"), TypeError, "amplitude"),
    (lambda: inputs.step(1.0, start=5.0, stop=5.0), ValueError, "stop: must be > start"),
    (lambda: inputs.ramp(0, 1, start=3.0, stop=1.0), ValueError, "stop: must be > start"),
    (lambda: inputs.sine(1.0, frequency=-1.0), ValueError, "frequency: must be >= 0"),
    (lambda: inputs.ornstein_uhlenbeck(0.0, -1.0), ValueError, "sigma: must be >= 0"),
    (lambda: inputs.ornstein_uhlenbeck(0.0, 1.0, tau=0.0), ValueError, "tau: must be > 0"),
    (lambda: inputs.ornstein_uhlenbeck(0.0, 1.0, seed=1.5), TypeError, "seed: expected an int"),
    (lambda: inputs.ornstein_uhlenbeck(0.0, 1.0, seed=1)(np.array([0.0, 1.0, 3.0])), ValueError, "uniform"),
    (lambda: inputs.step(np.nan), ValueError, "amplitude: must be finite"),
    (lambda: inputs.step(1.0)(np.zeros((2, 2))), ValueError, "t: expected a 1-d array"),
    (lambda: inputs.sine(1.0, 10.0) * inputs.sine(1.0, 10.0), TypeError, "scaled by a number"),
])
def test_generator_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_currents_drive_run_on_the_step_start_times():
    m = CLIFPopulation(n=3)
    cur = inputs.step(np.array([1.0, 2.5, 5.0]), start=10.0, stop=50.0)
    rec = m.run(cur, steps=800, record=("spikes", "i"))
    np.testing.assert_array_equal(rec.i, cur.sample(800, dt=0.1))
    counts = rec.spike_counts()
    assert counts[0] == 0 and 0 < counts[1] < counts[2]
    # the current is 0 before 10 ms: no spike before then
    assert rec.spikes[rec.t <= 10.0].sum() == 0


def test_white_noise_makes_the_free_potential_an_ornstein_uhlenbeck_process():
    p = CLIFParams(u_th=1000.0)  # no spikes: the free process
    I, sigma, n, steps = 1.0, 0.3, 400, 6000
    x = inputs.white_noise(I, sigma, steps, n, params=p, seed=3)
    assert x.shape == (steps, n)
    v = CLIFPopulation(n=n, params=p).run(x, record="v").v[1000:]  # after 12 tau_m
    assert v.mean() == pytest.approx(p.u_rest + p.R * I, abs=0.05)
    assert v.std() == pytest.approx(p.R * sigma / np.sqrt(2), rel=0.02)
    a = np.exp(-p.dt / p.tau_m)
    d = v - v.mean()
    lag1 = (d[1:] * d[:-1]).mean() / d.var()
    assert lag1 == pytest.approx(a, abs=0.003)
    # reproducible under a seed
    np.testing.assert_array_equal(inputs.white_noise(I, sigma, 5, 3, seed=1),
                                  inputs.white_noise(I, sigma, 5, 3, seed=1))
