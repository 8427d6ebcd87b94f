"""Check functions give the right verdict and helpful feedback; the mystery neuron is solvable."""
import numpy as np
import pytest

from lifbook import ELIFParams, inputs, theory
from lifbook.exercises import (MysteryNeuron, check_chronaxie, check_fixed_points, check_order, check_rate,
                               check_rheobase, check_strength_duration, check_time_to_threshold)


def test_rheobase_right_and_typical_wrong_answers():
    assert check_rheobase(2.0) and check_rheobase(2.02)
    f = check_rheobase(1.5)
    assert not f and "too low by 25%" in f.message and "u_reset" in f.message
    assert "divide by R" in check_rheobase(20.0).message
    assert "leak" in check_rheobase(0.0).message
    f = check_rheobase(2.3)
    assert not f and f.message.startswith("too high by 15%") and "leak" in f.message
    assert check_rheobase(0.4, "EIF")
    assert "delta_T" in check_rheobase(0.5, "EIF").message
    assert "cut-off" in check_rheobase(1.75, "EIF").message
    # parameters change the expected value (computed, not typed)
    assert check_rheobase(1.0, R=20.0) and not check_rheobase(2.0, R=20.0)
    assert check_rheobase(theory.eif_rheobase(delta_T=1.0), "EIF", delta_T=1.0)


def test_rate_checks_recognise_units_and_refractoriness():
    r = float(theory.lif_rate(3.0))
    assert check_rate(r, 3.0) and check_rate(r * 1.01, 3.0)
    assert "ISI" in check_rate(1e3 / r, 3.0).message
    assert "per ms" in check_rate(r / 1e3, 3.0).message
    assert "t_ref" in check_rate(1e3 / float(theory.lif_time_to_threshold(3.0)), 3.0).message
    assert check_rate(0.0, 1.0)  # below rheobase
    assert check_rate(float(theory.eif_rate(0.8)), 0.8, "EIF")


def test_time_to_threshold_and_fixed_points_and_order():
    T = float(theory.lif_time_to_threshold(3.0))
    assert check_time_to_threshold(T, 3.0)
    assert "u_reset" in check_time_to_threshold(8.0 * np.log(30 / 10), 3.0).message
    with pytest.raises(ValueError, match="not above rheobase"):
        check_time_to_threshold(1.0, 1.0)
    us, uu = theory.eif_fixed_points(0.3)
    assert check_fixed_points(us, uu, 0.3)
    assert "swapped" in check_fixed_points(uu, us, 0.3).message
    assert not check_fixed_points(us + 1.0, uu, 0.3)
    assert check_order(1.04) and not check_order(2.0) and "4x" in check_order(2.0).message
    assert "positive" in check_order(-1.0).message


@pytest.mark.parametrize("bad, says", [
    (..., "not answered yet"), (None, "not answered yet"),
    ("2", "expected a number in nA, got the text '2'"), (b"2", "got the text"),
    ([1.0, 2.0], "expected a single number in nA, got an array of shape (2,)"),
    (np.zeros((2, 3)), "shape (2, 3)"), (np.array([]), "got an empty array"),
    (float("nan"), "expected a finite number"), (float("inf"), "expected a finite number"),
    (True, "a truth value"), (1 + 2j, "a complex number"), ({"I": 2.0}, "got a dict"), (object(), "got an object"),
])
def test_unanswered_or_malformed_answers_get_feedback_not_an_exception(bad, says):
    f = check_rheobase(bad)
    assert not f and says in f.message, f.message
    assert f.answered == (bad is not Ellipsis and bad is not None)
    assert f.message.startswith("not answered yet") or f.message.startswith("the LIF rheobase:")


def test_one_element_arrays_and_scalars_of_any_library_count_as_numbers():
    from lifbook import CLIFPopulation

    for a in (np.float32(2.0), np.int64(2), np.array(2.0), np.array([2.0]), np.array([[2.0]])):
        assert check_rheobase(a), a
    assert not check_rheobase(np.array([2.5]))
    # what the chapter's text points to: the steady rate of a one-neuron record, an array of shape (1,)
    rec = CLIFPopulation(n=1).run(3.0, steps=10_000, record=("spikes",))
    f = check_rate(rec.steady_rates(), 3.0)
    assert f and rec.steady_rates().shape == (1,)
    torch = pytest.importorskip("torch")
    assert check_rheobase(torch.tensor(2.0)) and check_rheobase(torch.tensor([2.0], dtype=torch.float32))
    assert "shape (2,)" in check_rheobase(torch.tensor([2.0, 2.0])).message


@pytest.mark.parametrize("answer, says", [
    (2000.0, "this looks like pA; lifbook uses nA (2 nA = 2000 pA)"),
    (0.002, "this looks like uA"),
])
def test_factor_1000_slips_are_named_as_units(answer, says):
    f = check_rheobase(answer)
    assert not f and says in f.message and "%" not in f.message, f.message


def test_unit_slips_in_time_and_potential():
    T = float(theory.lif_time_to_threshold(3.0))
    assert "looks like seconds; lifbook uses ms" in check_time_to_threshold(T / 1e3, 3.0).message
    us, uu = theory.eif_fixed_points(0.3)
    f = check_fixed_points(us / 1e3, uu, 0.3)
    assert not f and "looks like volts" in f.message and "unstable fixed point is" in f.message
    # a plain wrong answer far off is described by a factor, not a percentage in the hundred-thousands
    assert check_rheobase(77.0).message.startswith("too high: about 38.5 times the right value")


def test_fixed_points_partly_answered():
    us, uu = theory.eif_fixed_points(0.3)
    assert "not answered yet" in check_fixed_points(..., ..., 0.3).message
    f = check_fixed_points(us, ..., 0.3)
    assert not f and "u_unstable" in f.message and "not answered yet" in f.message
    assert "u_stable: expected a number in mV" in check_fixed_points("x", uu, 0.3).message


def test_feedback_displays_as_one_line():
    f = check_rheobase(2.0)
    assert repr(f) == f.message and "\n" not in f.message
    assert f._repr_markdown_() == "**Correct:** the LIF rheobase is 2 nA ((u_th - u_rest)/R)."


@pytest.mark.parametrize("f", [check_rheobase(2.0), check_rheobase(1.5), check_rheobase(...)])
def test_feedback_markdown_has_no_emoji_marks(f):
    """Emoji check marks render as empty boxes where no emoji font is installed: plain words only."""
    md = f._repr_markdown_()
    assert "&#" not in md and all(ord(c) < 0x2000 for c in md), md
    label = "**Correct:**" if f.correct else ("**Not answered yet:**" if not f.answered else "**Not yet:**")
    assert md.startswith(label) and md.count(label.strip("*:").lower()) <= 1


def test_strength_duration_right_and_typical_wrong_answers():
    p = theory.lif_rheobase()
    for T in (1.0, 5.0, 80.0):
        expected = p / (1 - np.exp(-T / 8.0))
        assert check_strength_duration(expected, T) and check_strength_duration(expected * 1.005, T)
        assert not check_strength_duration(expected * 1.05, T)
    f = check_strength_duration(2.0, 5.0)
    assert not f and "rheobase" in f.message
    assert "1 - exp" in check_strength_duration(2.0 / np.exp(-5.0 / 8.0), 5.0).message
    assert "u_reset" in check_strength_duration(1.5 / (1 - np.exp(-5.0 / 8.0)), 5.0).message
    assert not check_strength_duration(..., 5.0).answered
    # other parameters: tau_m = 16 ms doubles the time scale
    assert check_strength_duration(2.0 / (1 - np.exp(-0.5)), 8.0, tau_m=16.0)
    with pytest.raises(ValueError, match="duration"):
        check_strength_duration(2.0, 0.0)


def test_chronaxie_right_and_typical_wrong_answers():
    assert check_chronaxie(8.0 * np.log(2)) and check_chronaxie(5.55)
    assert check_chronaxie(16.0 * np.log(2), tau_m=16.0)
    assert not check_chronaxie(5.0)
    assert "tau_m;" in check_chronaxie(8.0).message
    assert "ln 2" in check_chronaxie(8.0 / np.log(2)).message
    assert "log10" in check_chronaxie(8.0 * np.log10(2)).message
    # the chronaxie is where the strength-duration curve reaches twice the rheobase
    T = theory.lif_chronaxie()
    assert theory.lif_strength_duration(T) == pytest.approx(2 * theory.lif_rheobase(), rel=1e-12)


def _bisect_rheobase(m, hi, steps, iterations):
    """Smallest constant current (nA, within hi / 2**iterations) that makes ``m`` fire in ``steps`` steps."""
    lo = 0.0
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if m.inject(mid, steps=steps, record="count").spike_counts().sum() > 0:
            hi = mid
        else:
            lo = mid
    return hi


def _solve_clif_mystery(m: MysteryNeuron) -> dict:
    """Identify a CLIF mystery neuron with public experiments only."""
    u_rest = m.known["u_rest"]
    # 1. a small step (0.1 nA) for 300 ms: steady state gives R, the rise gives tau_m
    rec = m.inject(inputs.step(0.1, start=0.0), steps=3000)
    v = rec.v[:, 0]
    assert rec.spike_counts().sum() == 0
    R = (v[-1] - u_rest) / 0.1
    frac = (v - u_rest) / (v[-1] - u_rest)
    tau_m = rec.t[np.argmax(frac >= 1 - np.exp(-1))]
    # 2. rheobase by bisection on a 500 ms constant current
    rheobase = _bisect_rheobase(m, 20.0, steps=5000, iterations=30)
    # 3. threshold: highest potential before a spike, under a slow ramp
    rec = m.inject(inputs.ramp(0.0, 2 * rheobase, start=0.0, stop=500.0), steps=5000)
    k = np.flatnonzero(rec.spikes[:, 0])[0]
    u_th = rec.v[k - 1, 0]
    return dict(tau_m=tau_m, R=R, rheobase=rheobase, u_th=u_th)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 42])
def test_clif_mystery_neuron_is_solvable_from_the_public_api(seed):
    m = MysteryNeuron(seed)
    est = _solve_clif_mystery(m)
    assert m.check(**est), m.check(**est).message
    wrong = dict(est, tau_m=est["tau_m"] * 1.5)
    f = m.check(**wrong)
    assert not f and "tau_m: too high, more than 20% off" in f.message


def test_elif_mystery_neuron_rheobase_and_theta_from_experiments():
    m = MysteryNeuron(5, kind="ELIF")
    hi = _bisect_rheobase(m, 5.0, steps=10000, iterations=25)
    # subthreshold R from a tiny step (the exponential term is negligible 10+ mV below theta_rh)
    rec = m.inject(0.05, steps=5000)
    R = (rec.v[-1, 0] - m.known["u_rest"]) / 0.05
    assert m.check(rheobase=hi, R=R)


def test_mystery_neurons_differ_by_seed_and_are_reproducible():
    a, b, a2 = MysteryNeuron(1), MysteryNeuron(2), MysteryNeuron(1)
    ra, rb, ra2 = (x.inject(3.0, steps=500).v for x in (a, b, a2))
    np.testing.assert_array_equal(ra, ra2)
    assert not np.array_equal(ra, rb)
    f = a.check(tau=3.0)
    assert not f and "tau: not an estimate this neuron checks; did you mean tau_m?" in f.message
    assert not a.check() and not a.check().answered
    with pytest.raises(TypeError, match="seed"):
        MysteryNeuron("x")
    assert "u_rest" in repr(a) and "tau_m" not in repr(a)
    assert isinstance(ELIFParams(), ELIFParams)


def test_bistable_edge_check():
    from lifbook.exercises import check_bistable_edge

    p = ELIFParams(u_reset=-48.0)
    low, rh = theory.eif_bistable_range(p)
    assert low < 0 < rh
    assert check_bistable_edge(low, p) and check_bistable_edge((17.0 - 2.0 * np.exp(3.5)) / 20.0, u_reset=-48.0)
    f = check_bistable_edge(rh, p)
    assert not f and "upper edge" in f.message
    assert "exponential term" in check_bistable_edge(17.0 / 20.0, p).message
    assert "signs" in check_bistable_edge(-low, p).message
    assert "divide by R" in check_bistable_edge(low * 20.0, p).message
    # no bistability with the default reset: the edge is the rheobase
    assert check_bistable_edge(0.4) and "no bistability" in check_bistable_edge(0.4).message
