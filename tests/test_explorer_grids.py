"""The kernel-free explorers hold the slider values their chapters' exercises need.

Each "Explore" exercise must be solvable with the pre-rendered (offline) explorer: the answer a
reader reads off its grid passes the chapter's check, and the grid is fine where it matters.
"""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from lifbook import theory, widgets  # noqa: E402
from lifbook.exercises import check_current_for_rate, check_rheobase  # noqa: E402


def _grid(explorer, name):
    return next(p.grid for p in explorer.params if p.name == name)


def test_chapter1_step_explorer_finds_the_rheobase_to_a_tenth_of_a_nA():
    step = widgets.StepResponseExplorer()
    grid = sorted(_grid(step, "I"))
    fires = [a for a in grid if step.compute(I=a)["clif"]["count"] > 0]
    answer = min(fires)
    assert check_rheobase(answer, "LIF", rtol=0.1)  # the chapter's check
    below = max(a for a in grid if a < answer)
    assert answer - below <= 0.1 + 1e-9  # the slider's spacing, the whole excess over 2 nA
    # the 80 ms step itself needs only 0.005% more than the rheobase
    assert theory.lif_strength_duration(80.0) < 1.0001 * theory.lif_rheobase() < answer


def test_chapter2_lif_explorer_finds_the_current_for_100_Hz_and_doubles_tau_m():
    lif = widgets.LIFExplorer()
    grid = _grid(lif, "I")
    best = min(grid, key=lambda a: abs(lif.compute(I=a)["rate_sim"] - 100.0))
    assert check_current_for_rate(best, 100.0)
    assert {8.0, 16.0} <= set(_grid(lif, "tau_m"))
    assert 2.0 in _grid(lif, "t_ref") and -50.0 in _grid(lif, "u_th")  # the defaults the exercise uses


def test_chapter4_eif_explorer_finds_the_rheobase_at_theta_52_delta_1():
    eif = widgets.EIFExplorer()
    assert -52.0 in _grid(eif, "theta_rh") and 1.0 in _grid(eif, "delta_T")
    grid = sorted(_grid(eif, "I"))
    vanished = [c for c in grid
                if not np.isfinite(eif.compute(I=c, delta_T=1.0, theta_rh=-52.0)["u_stable"])]
    answer = min(vanished)
    assert check_rheobase(answer, "EIF", theta_rh=-52.0, delta_T=1.0)
    below = max(c for c in grid if c < answer)
    assert answer - below <= 0.05 + 1e-9


def test_chapter5_numerics_explorer_shows_where_euler_starts_firing_below_the_rheobase():
    """At 1.5 nA Euler's first step overshoots to u_th only for dt > tau_m I_rh / I (10.7 ms)."""
    num = widgets.NumericsExplorer()
    grid = _grid(num, "dt")
    tau_m, I = 8.0, 1.5
    dt_fire = tau_m * theory.lif_rheobase() / I
    assert abs(dt_fire - 32.0 / 3.0) < 1e-12
    assert any(dt_fire - 1.0 < d < dt_fire for d in grid) and any(dt_fire < d < dt_fire + 1.0 for d in grid)
    for dt in grid:
        r = num.compute(dt=dt, I=I)
        assert r["reference_count"] == 0
        assert (r["euler"]["count"] > 0) == (dt > dt_fire), dt


def test_chapter3_population_explorer_has_the_exercise_values():
    from lifbook.exercises import check_noisy_rate
    pop = widgets.PopulationExplorer()
    assert 1.6 in _grid(pop, "mu") and {0.0, 0.4, 0.8} <= set(_grid(pop, "sigma"))
    assert check_noisy_rate(pop.compute(mu=1.6, sigma=0.4)["mean_rate"], 1.6, 0.4)


def test_chapter5_numerics_explorer_has_the_monotone_limit():
    from lifbook.exercises import check_euler_stability
    num = widgets.NumericsExplorer()
    monotone = [d for d in _grid(num, "dt") if num.compute(dt=d, I=1.5)["factor_euler"] >= 0]
    assert check_euler_stability(max(monotone), "monotone")


def test_chapter7_irregular_explorer_has_the_exercise_values():
    from lifbook.exercises import check_isi_cv
    irr = widgets.IrregularExplorer()
    assert 1.4 in _grid(irr, "mu") and 0.6 in _grid(irr, "sigma")
    assert check_isi_cv(irr.compute(mu=1.4, sigma=0.6)["cv"], 1.4, 0.6)


def test_chapter8_network_explorer_has_the_exercise_values():
    from lifbook.exercises import check_brunel_rate
    net = widgets.NetworkExplorer()
    assert 6.0 in _grid(net, "g") and 2.0 in _grid(net, "nu_ext_ratio")
    assert {3.0, 4.0, 5.0} <= set(_grid(net, "g"))  # where the SR state gives way
    assert check_brunel_rate(net.compute(g=6.0, nu_ext_ratio=2.0)["mean_rate"], g=6.0, nu_ext_ratio=2.0)
    assert len(_grid(net, "g")) * len(_grid(net, "nu_ext_ratio")) <= 100
