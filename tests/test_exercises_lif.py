"""Checks added for chapters 2 and 3, and the chapter 2 mystery-neuron solution (public API only)."""
import re

import numpy as np
import pytest

from lifbook import inputs, theory
from lifbook.exercises import (MysteryNeuron, check_current_for_rate, check_mystery_neuron,
                               check_psp_peak_time)


def test_current_for_rate_right_and_typical_wrong_answers():
    I = float(theory.lif_current_for_rate(100.0))
    assert check_current_for_rate(I, 100.0) and check_current_for_rate(I * 1.015, 100.0)
    assert "refractory" in check_current_for_rate(float(theory.lif_current_for_rate(100.0, t_ref=0.0)),
                                                  100.0).message
    assert "u_reset" in check_current_for_rate(float(theory.lif_current_for_rate(100.0, u_reset=-70.0)),
                                               100.0).message
    assert "rheobase" in check_current_for_rate(2.0, 100.0).message
    assert check_current_for_rate(float(theory.lif_current_for_rate(50.0, tau_m=20.0)), 50.0, tau_m=20.0)
    with pytest.raises(ValueError, match="not a rate"):
        check_current_for_rate(1.0, 600.0)


def test_psp_peak_time_right_and_typical_wrong_answers():
    t = float(theory.lif_psp_peak_time(tau_syn=2.0))
    assert t == pytest.approx(8 * 2 * np.log(4) / 6)
    assert check_psp_peak_time(t, tau_syn=2.0)
    assert "tau_syn" in check_psp_peak_time(2.0, tau_syn=2.0).message
    assert "tau_m" in check_psp_peak_time(8.0, tau_syn=2.0).message
    with pytest.raises(ValueError, match="tau_syn"):
        check_psp_peak_time(1.0)


def solve_mystery(seed: int) -> dict:
    """The chapter 2 solution: identify a CLIF mystery neuron with `inject` and `known` only."""
    m = MysteryNeuron(seed)
    u_rest = m.known["u_rest"]
    # 1. a small step: the steady state gives R; any point of the exact rise gives tau_m
    rec = m.inject(0.1, steps=3000)
    v = rec.v[:, 0]
    R = (v[-1] - u_rest) / 0.1
    k = np.argmax(v - u_rest > 0.5 * (v[-1] - u_rest))
    tau_m = -rec.t[k] / np.log(1 - (v[k] - u_rest) / (v[-1] - u_rest))
    # 2. the rheobase: 201 identical neurons, one current each, twice
    many = MysteryNeuron(seed, n=201)
    lo, hi = 0.0, 10.0
    for _ in range(2):
        currents = np.linspace(lo, hi, 201)
        fired = many.inject(currents, steps=5000, record="count").spike_counts() > 0
        first = int(np.argmax(fired))
        lo, hi = currents[max(first - 1, 0)], currents[first]
    rheobase = hi
    # 3. the threshold: the highest potential before the first spike on a slow ramp
    rec = m.inject(inputs.ramp(0.0, 2 * rheobase, start=0.0, stop=500.0), steps=5000)
    first = np.flatnonzero(rec.spikes[:, 0])[0]
    u_th = rec.v[first - 1, 0]
    return dict(tau_m=tau_m, R=R, rheobase=rheobase, u_th=u_th)


@pytest.mark.parametrize("seed", [0, 3, 7, 2025])
def test_the_chapter_solution_identifies_the_mystery_neuron(seed):
    m = MysteryNeuron(seed)
    answer = solve_mystery(seed)
    f = check_mystery_neuron(m, answer)
    assert f, f.message
    assert not check_mystery_neuron(m, dict(answer, R=answer["R"] * 1.2))


def test_check_mystery_neuron_without_an_answer():
    m = MysteryNeuron(1)
    f = check_mystery_neuron(m, ...)
    assert not f and not f.answered and f.message.startswith("not answered yet")
    f = check_mystery_neuron(m, 3.0)
    assert not f and "expected a dict of estimates" in f.message and "got a float" in f.message
    f = check_mystery_neuron(m, {"tau_m": ..., "R": ...})
    assert not f and f.message.startswith("not answered yet") and "tau_m: not answered yet" in f.message


def _hidden(m):
    return m._truth()  # the test may look; the students' feedback may not


def test_mystery_feedback_names_each_parameter_in_bands_without_the_value():
    m = MysteryNeuron(11)
    t = _hidden(m)
    est = dict(tau_m=t["tau_m"] * 1.03, R=t["R"] * 0.9, rheobase=t["rheobase"] * 1.5, u_th=t["u_th"] + 1.0)
    f = m.check(**est)
    lines = f.message.split("\n")
    assert not f and lines[0] == "3 of 4 estimates need work:" and len(lines) == 5
    assert "tau_m: ok, within 5%." in lines[1]
    assert "R: too low, 5%-20% off." in lines[2]
    assert "rheobase: too high, more than 20% off." in lines[3]
    assert "u_th: too high, 0.5-2 mV off." in lines[4]
    for name, value in t.items():  # neither the hidden value nor a precise error is shown
        for shown in (f"{value:.2f}", f"{value:.3g}", f"{value:.4g}"):
            assert shown not in f.message, (name, shown)
    assert set(re.findall(r"\d+(?:\.\d+)?", f.message)) <= {"3", "4", "5", "20", "0.5", "2"}, f.message
    # a unit slip is named without the value either
    f = m.check(tau_m=t["tau_m"] / 1e3, R=t["R"] * 1e6)
    assert "tau_m: this looks like seconds; lifbook uses ms." in f.message
    assert "R: this looks like Ohm; lifbook uses MOhm." in f.message
    assert f"{t['tau_m'] / 1e3:.4g}" not in f.message
    # all right: truthy, one header line, a line per estimate
    f = m.check(**{k: v * 1.01 for k, v in t.items() if k != "u_th"}, u_th=t["u_th"] - 0.3)
    assert f and f.message.startswith("correct: every estimate is within tolerance.")
    assert f._repr_markdown_().count("  \n") == 4


def test_noisy_rate_check():
    from lifbook.exercises import check_noisy_rate

    r = float(theory.lif_rate_diffusion(1.6, 0.4, on_grid=True))
    assert check_noisy_rate(r * 1.1, 1.6, 0.4) and not check_noisy_rate(r * 1.3, 1.6, 0.4)
    assert "without noise" in check_noisy_rate(0.0, 1.6, 0.4).message
    assert "per ms" in check_noisy_rate(r / 1e3, 1.6, 0.4).message
