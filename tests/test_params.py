import numpy as np
import pytest

from lifbook import CLIFParams, ELIFParams, print_default_parameters
from lifbook.params import EXP_ARG_CAP, refractory_steps


def test_defaults_are_neurodynex3_values():
    p = CLIFParams()
    assert (p.tau_m, p.u_rest, p.u_reset, p.u_th, p.R, p.t_ref, p.tau_syn, p.dt) == \
        (8.0, -70.0, -65.0, -50.0, 10.0, 2.0, 0.0, 0.1)
    e = ELIFParams()
    assert (e.tau_m, e.u_rest, e.u_reset, e.u_th, e.R, e.theta_rh, e.delta_T) == \
        (12.0, -65.0, -60.0, -30.0, 20.0, -55.0, 2.0)


def test_print_default_parameters_lists_every_parameter_with_units(capsys):
    print_default_parameters()
    out = capsys.readouterr().out
    for name, unit in [("tau_m", "ms"), ("u_rest", "mV"), ("R", "MOhm"), ("theta_rh", "mV"), ("delta_T", "mV")]:
        assert name in out and unit in out
    assert "CLIF parameters" in out and "ELIF parameters" in out


@pytest.mark.parametrize("kwargs, match", [
    (dict(dt=0.0), "dt: must be > 0"),
    (dict(dt=-0.1), "dt: must be > 0"),
    (dict(tau_m=0.0), "tau_m: must be > 0"),
    (dict(tau_m=-1.0), "tau_m: must be > 0"),
    (dict(R=0.0), "R: must be > 0"),
    (dict(t_ref=-0.5), "t_ref: must be >= 0"),
    (dict(tau_syn=-1.0), "tau_syn: must be >= 0"),
    (dict(u_th=-70.0, u_reset=-65.0), "u_th: must be > u_reset"),
    (dict(u_th=-65.0, u_reset=-65.0), "u_th: must be > u_reset"),
    (dict(tau_m=float("nan")), "tau_m: must be finite"),
    (dict(u_rest=float("inf")), "u_rest: must be finite"),
    (dict(dt=[0.1, 0.2]), "dt: must be a scalar"),
])
def test_clif_parameter_errors_name_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CLIFParams(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(delta_T=0.0), "delta_T: must be > 0"),
    (dict(delta_T=-2.0), "delta_T: must be > 0"),
    (dict(u_th=-56.0), "u_th: the ELIF cut-off must be > theta_rh"),
    (dict(u_th=-55.0), "u_th: the ELIF cut-off must be > theta_rh"),
])
def test_elif_parameter_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ELIFParams(**kwargs)


@pytest.mark.parametrize("value", ["10", b"1", True, 1 + 2j, [1 + 1j]])
def test_non_real_parameters_are_type_errors(value):
    with pytest.raises(TypeError, match="tau_m"):
        CLIFParams(tau_m=value)


def test_per_neuron_parameters_keep_their_shape_and_are_checked_against_the_population():
    p = CLIFParams(tau_m=np.linspace(5, 20, 4))
    p.check_shape((4,))
    with pytest.raises(ValueError, match=r"tau_m: a per-neuron parameter must have the population's shape \(3,\)"):
        p.check_shape((3,))
    with pytest.raises(ValueError, match="tau_m: must be > 0"):
        CLIFParams(tau_m=np.array([5.0, 0.0]))
    # arrays are stored read-only so a population's parameters cannot drift behind its coefficients
    with pytest.raises(ValueError):
        p.tau_m[0] = 1.0


def test_refractory_steps_round_to_nearest_integer_despite_float_noise():
    assert 0.3 / 0.1 != 3.0 and 0.7 / 0.1 != 7.0  # float noise that must not change the count
    assert refractory_steps(0.3, 0.1) == 3 and refractory_steps(0.7, 0.1) == 7
    assert refractory_steps(2.0, 0.1) == 20
    assert refractory_steps(0.0, 0.1) == 0
    assert refractory_steps(0.14, 0.1) == 1
    assert refractory_steps(0.16, 0.1) == 2
    np.testing.assert_array_equal(refractory_steps(np.array([1.0, 2.0, 0.3]), 0.1), [10, 20, 3])
    assert CLIFParams(t_ref=1.0, dt=0.05).n_ref == 20


def test_replace_revalidates():
    p = CLIFParams()
    assert p.replace(tau_m=20.0).tau_m == 20.0
    with pytest.raises(ValueError, match="tau_m"):
        p.replace(tau_m=-1.0)


def test_exponent_cap():
    assert ELIFParams().exp_arg_cap == pytest.approx(12.5)  # (u_th - theta_rh)/delta_T = 25/2
    assert ELIFParams(u_th=100.0, delta_T=0.5).exp_arg_cap == EXP_ARG_CAP


def test_exact_coefficients_match_the_matrix_exponential_including_tau_syn_equal_tau_m():
    # The exact two-variable propagator must equal expm of the linear system, also at tau_syn == tau_m.
    def expm(A, terms=60):
        out, term = np.eye(len(A)), np.eye(len(A))
        for k in range(1, terms):
            term = term @ A / k
            out = out + term
        return out
    for tau_syn in (3.0, 8.0, 8.0 + 1e-9, 20.0):
        p = CLIFParams(tau_syn=tau_syn, dt=0.5)
        k = p.coefficients("exact")
        # state (w = u - u_rest, I - x): d/dt w = (-w + R (I-x) + R x)/tau_m, d/dt (I-x) = -(I-x)/tau_syn
        A = np.array([[-1 / p.tau_m, p.R / p.tau_m], [0.0, -1 / tau_syn]])
        E = expm(A * p.dt)
        assert k.a_m == pytest.approx(E[0, 0], rel=1e-12)
        assert k.c_syn == pytest.approx(E[0, 1], rel=1e-9)
        assert k.a_syn == pytest.approx(E[1, 1], rel=1e-12)


def test_dt_justification_in_the_module_docstring():
    """The numbers behind the default dt in lifbook.params' docstring."""
    from lifbook import params, theory
    c, e = CLIFParams(), ELIFParams()
    assert c.tau_m / c.dt == pytest.approx(80) and e.tau_m / e.dt == pytest.approx(120)
    assert "80 times (CLIF) and 120 times (ELIF)" in params.__doc__
    onset = theory.eif_time_to_threshold(4.0, u_reset=e.theta_rh + 2 * e.delta_T)
    assert round(onset, 2) == 0.63 and "lasts 0.63 ms, about six" in params.__doc__
    assert round(onset / e.dt) == 6
    assert round(theory.eif_rate(4.0), -1) == 240 and "about\n240 Hz" in params.__doc__

