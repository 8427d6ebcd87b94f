"""lifbook.validate: one message form for argument errors; unknown names suggest the closest; unit slips warn."""
import warnings

import numpy as np
import pytest

from lifbook import CLIFParams, CLIFPopulation, ELIFParams, ELIFPopulation, UnitWarning, analysis, scale, theory
from lifbook.validate import choice, int_at_least, optional_positive_int, param_names, positive_int, real_array, suggest


def _short(exc_info):
    """The error is the whole story: no chained exception printed above it."""
    e = exc_info.value
    return e.__cause__ is None and (e.__context__ is None or e.__suppress_context__)


@pytest.mark.parametrize("value, err, says", [
    (0, ValueError, "n: expected an int >= 1, got 0"),
    (-2, ValueError, "n: expected an int >= 1, got -2"),
    (2.0, TypeError, "n: expected an int >= 1, got 2.0 (float)"),
    (True, TypeError, "n: expected an int >= 1, got True (bool)"),
    ("3", TypeError, "n: expected an int >= 1, got '3' (str)"),
    (None, TypeError, "n: expected an int >= 1, got None (NoneType)"),
])
def test_positive_int_one_message_for_every_caller(value, err, says):
    with pytest.raises(err) as info:
        positive_int("n", value)
    assert str(info.value) == says
    assert positive_int("n", np.int64(3)) == 3 and type(positive_int("n", np.int64(3))) is int
    assert optional_positive_int("batch_size", None) is None
    with pytest.raises(ValueError, match=r"^min_spikes: expected an int >= 3 \(two intervals\), got 2$"):
        int_at_least("min_spikes", 2, 3, "two intervals")


@pytest.mark.parametrize("call, err, says", [
    (lambda: CLIFPopulation(n=0), ValueError, "n: expected an int >= 1, got 0"),
    (lambda: CLIFPopulation(n=3).set_batch_size(0), ValueError, "batch_size: expected an int >= 1, got 0"),
    (lambda: CLIFPopulation(n=3).set_batch_size(2.0), TypeError, "batch_size: expected an int >= 1 or None"),
    (lambda: CLIFPopulation(n=3).run(1.0, steps=0), ValueError, "steps: expected an int >= 1, got 0"),
    (lambda: CLIFPopulation(n=3).run(1.0, steps=2.5), TypeError, "steps: expected an int >= 1, got 2.5"),
    (lambda: analysis.white_noise(0.0, 0.1, 0), ValueError, "steps: expected an int >= 1, got 0"),
    (lambda: analysis.noisy_fi_curve([1.0], 0.1, n=0), ValueError, "n: expected an int >= 1, got 0"),
    (lambda: scale.record_nbytes(0, 10), ValueError, "N: expected an int >= 1, got 0"),
    (lambda: scale.throughput(CLIFPopulation, 10, steps=0), ValueError, "steps: expected an int >= 1, got 0"),
])
def test_the_int_check_reads_the_same_everywhere(call, err, says):
    with pytest.raises(err) as info:
        call()
    assert str(info.value).startswith(says) and _short(info)


def test_choice_lists_the_options_and_suggests_the_closest():
    assert choice("op", "run", ("forward", "run")) == "run"
    with pytest.raises(ValueError, match=r"op: expected one of 'forward', 'run', got 'runn'; did you mean 'run'\?"):
        choice("op", "runn", ("forward", "run"))
    with pytest.raises(ValueError, match="model: expected one of 'CLIF', 'ELIF', 'LIF', 'EIF', got 'AdEx'$"):
        analysis.fi_curve("AdEx", [1.0])
    with pytest.raises(ValueError, match="got \\['a'\\]"):
        choice("x", ["a"], ("a", "b"))  # unhashable: refused, not a crash


@pytest.mark.parametrize("given, close", [("tau", "tau_m"), ("taum", "tau_m"), ("tau_M", "tau_m"), ("th", "u_th"),
                                          ("v_rest", "u_rest"), ("tref", "t_ref"), ("reset", "u_reset")])
def test_suggest_finds_the_intended_parameter(given, close):
    assert suggest(given, CLIFParams.names()) == close
    assert suggest("banana", CLIFParams.names()) is None


@pytest.mark.parametrize("call", [
    lambda: CLIFPopulation(n=3, tau=10.0),
    lambda: CLIFPopulation(n=3).set_params(tau=10.0),
    lambda: CLIFParams(tau=10.0),
    lambda: CLIFParams().replace(tau=10.0),
    lambda: theory.lif_rate(3.0, tau=10.0),
    lambda: analysis.fi_curve("CLIF", [3.0], tau=10.0),
])
def test_unknown_parameter_names_list_the_valid_ones_and_suggest_the_closest(call):
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value) == ("tau: not a CLIF parameter; did you mean tau_m? "
                               "Valid: tau_m, u_rest, u_reset, u_th, R, t_ref, tau_syn, dt")
    assert _short(info)


def test_unknown_names_for_elif_and_parameters_of_the_other_model():
    with pytest.raises(TypeError, match=r"^theta: not an ELIF parameter; did you mean theta_rh\? Valid: .*delta_T$"):
        ELIFPopulation(n=2, theta=-50.0)
    with pytest.raises(TypeError, match=r"delta_T: not a CLIF parameter \(an ELIF parameter: use ELIFParams or "
                                        r"ELIFPopulation\)\. Valid:"):
        CLIFPopulation(n=2, delta_T=2.0)
    with pytest.raises(TypeError, match=r"banana: not a CLIF parameter\. Valid: .* \(also unknown: kiwi\)"):
        param_names(["banana", "kiwi"], CLIFParams.names(), "a CLIF parameter")
    assert ELIFParams(theta_rh=-50.0).theta_rh == -50.0  # valid names still pass


def test_real_array():
    np.testing.assert_array_equal(real_array("currents", 2.0, "nA", ndim=1), [2.0])
    with pytest.raises(TypeError, match=r"currents: expected numbers \(nA\), got '2'"):
        real_array("currents", "2", "nA")
    with pytest.raises(ValueError, match=r"currents: expected a 1-d array \(nA\), got shape \(2, 2\)"):
        real_array("currents", np.ones((2, 2)), "nA", ndim=1)
    with pytest.raises(ValueError, match="currents: expected at least one value"):
        analysis.fi_curve("CLIF", [])
    with pytest.raises(ValueError, match="currents: expected finite numbers"):
        real_array("currents", [1.0, np.nan], "nA")


# -- the unit-slip warning ---------------------------------------------------------------------------
def test_a_pA_for_nA_slip_warns_once_per_population_with_the_likely_slip():
    m = CLIFPopulation(n=3)
    with pytest.warns(UnitWarning) as w:
        m.run(1000, steps=100)  # pA meant: saturates at 1000/t_ref
        m.run(1000, steps=100)
        m.forward(2000.0)
    assert len(w) == 1
    msg = str(w[0].message)
    assert "|R x| reaches 1e+04 mV" in msg and "1000 looks like pA (1000 pA = 1 nA)" in msg
    assert w[0].filename == __file__  # attributed to the caller's line, not to lifbook
    with pytest.warns(UnitWarning, match="2000 looks like pA"):
        CLIFPopulation(n=3).forward(np.full(3, 2000.0))
    with pytest.warns(UnitWarning, match="x\\(t\\): |R x| reaches"):
        CLIFPopulation(n=1).run(lambda t: np.full(t.shape, 500.0), steps=10)
    with pytest.warns(UnitWarning, match="with R = 20 MOhm"):  # the drive uses the population's R
        ELIFPopulation(n=1).run(100.0, steps=5)


def test_physiological_inputs_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnitWarning)
        CLIFPopulation(n=3).run(np.linspace(0, 8, 3), steps=10)
        CLIFPopulation(n=1).run(-90.0, steps=5)  # |R x| = 900 mV: strong, but no slip
        ELIFPopulation(n=10).forward(10.0)  # the seed code's 10 nA: 200 mV
        CLIFPopulation(n=1, dt=0.01, tau_syn=2.0).run(np.r_[100.0, np.zeros(9)], record="v")  # a 1 pC pulse
        CLIFPopulation(n=1, dt=0.002).run(np.r_[500.0, np.zeros(9)], record="v")  # the same charge, shorter


def test_forward_checks_the_drive_of_the_first_step_and_of_every_64th_after_it():
    with pytest.warns(UnitWarning):
        CLIFPopulation(n=10_000).forward(np.full(10_000, 500.0))  # first step: checked
    m = CLIFPopulation(n=100)
    m.forward(np.full(100, 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnitWarning)
        for _ in range(63):  # steps 2 to 64: not checked (no extra pass over x)
            m.forward(np.full(100, 500.0))
    with pytest.warns(UnitWarning):
        m.forward(np.full(100, 500.0))  # step 65
    m = CLIFPopulation(n=10_000)
    m.forward(np.full(10_000, 1.0))
    with pytest.warns(UnitWarning):
        m.run(500.0, steps=2)  # run checks its input once, in the same pass as the NaN/range check
