"""lifbook.timing: the pure functions of precise spike timing, on Python floats (no population, no numba)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lifbook import timing as tm
from lifbook.params import CLIFParams, ELIFParams

pytest.importorskip("scipy")
from scipy.integrate import solve_ivp  # noqa: E402

ELIF = dict(tau_m=10.0, u_rest=-65.0, u_th=-30.0, R=10.0, tau_syn=0.0, theta_rh=-55.0, delta_T=2.0)
CAP = (ELIF["u_th"] - ELIF["theta_rh"]) / ELIF["delta_T"]


def _elif_ode(u0, i0, x, t_end, p=ELIF, cap=CAP, dense=False):
    """DOP853 solution of ELIF (with the synaptic current as a second variable) from ``(u0, i0)``."""
    syn = p["tau_syn"] > 0

    def rhs(t, y):
        cur = y[1] if syn else x
        du = (-(y[0] - p["u_rest"]) + R_ * cur + p["delta_T"] * math.exp(min((y[0] - p["theta_rh"]) / p["delta_T"],
                                                                                cap))) / p["tau_m"]
        return [du, (x - y[1]) / p["tau_syn"]] if syn else [du]

    R_ = p["R"]
    ev = lambda t, y: y[0] - p["u_th"]  # noqa: E731
    ev.terminal, ev.direction = True, 1
    return solve_ivp(rhs, (0.0, t_end), [u0, i0] if syn else [u0], method="DOP853", rtol=1e-12, atol=1e-12,
                     events=ev, dense_output=dense)


def _args(p=ELIF, cap=CAP):
    return p["tau_m"], p["u_rest"], p["R"], p["tau_syn"], p["theta_rh"], p["delta_T"], cap


def test_propagator_matches_the_grid_coefficients():
    for tau_syn in (0.0, 3.0, 10.0, 10.0 * (1 + 1e-9), 0.05):
        p = CLIFParams(tau_m=10.0, R=10.0, tau_syn=tau_syn, dt=0.1)
        k = p.coefficients("exact")
        a_m, b_m, a_syn, c_syn = tm.propagator(0.1, 10.0, 10.0, tau_syn)
        np.testing.assert_allclose([a_m, b_m, a_syn, c_syn], [k.a_m, k.b_m, k.a_syn, k.c_syn], rtol=1e-15, atol=0)
    assert tm.propagator(0.0, 10.0, 10.0, 3.0) == (1.0, 0.0, 1.0, 0.0)


def test_clif_crossing_closed_form_lands_on_threshold():
    tau_m, u_rest, u_th, R = 8.0, -70.0, -50.0, 10.0
    for x, u0 in ((2.5, -50.05), (40.0, -54.0), (2.01, -50.0001), (1e4, -70.0)):
        a_m, b_m, _, _ = tm.propagator(0.1, tau_m, R, 0.0)
        u_end = u_rest + a_m * (u0 - u_rest) + b_m * x
        assert u_end >= u_th
        s = tm.clif_crossing(u0, 0.0, x, 0.1, u_end, tau_m, u_rest, u_th, R, 0.0)
        assert 0.0 <= s <= 0.1
        u_inf = u_rest + R * x
        assert abs(u_inf + (u0 - u_inf) * math.exp(-s / tau_m) - u_th) < 1e-11
    # already at threshold: a crossing at the start of the step
    assert tm.clif_crossing(-50.0, 0.0, 5.0, 0.1, -49.0, tau_m, u_rest, u_th, R, 0.0) == 0.0


def test_clif_crossing_with_synaptic_filter_by_newton():
    tau_m, u_rest, u_th, R, tau_syn = 10.0, -65.0, -55.0, 10.0, 2.0
    u0, i0, x, L = -55.15, 3.0, 0.5, 0.1  # rising on the decaying synaptic current
    u_end, _, _ = tm._flow(u0, i0, x, L, tau_m, u_rest, R, tau_syn)
    assert u_end >= u_th
    s = tm.clif_crossing(u0, i0, x, L, u_end, tau_m, u_rest, u_th, R, tau_syn)
    u_s, _, _ = tm._flow(u0, i0, x, s, tau_m, u_rest, R, tau_syn)
    assert 0 < s < L and abs(u_s - u_th) < 1e-12
    # against an ODE solver
    sol = solve_ivp(lambda t, y: [(-(y[0] - u_rest) + R * y[1]) / tau_m, (x - y[1]) / tau_syn], (0, L), [u0, i0],
                    method="DOP853", rtol=1e-13, atol=1e-13, events=lambda t, y: y[0] - u_th)
    assert abs(sol.t_events[0][0] - s) < 1e-10


def test_lawson_step_is_fourth_order_and_exact_without_the_exponential_term():
    u0, x = -56.0, 1.0
    exact = _elif_ode(u0, 0.0, x, 0.4, dense=True)
    assert exact.t_events[0].size == 0
    errs = [abs(tm.lawson_step(u0, 0.0, x, h, *_args()) - exact.sol(h)[0]) for h in (0.4, 0.2, 0.1)]
    orders = [math.log2(errs[k] / errs[k + 1]) for k in range(2)]
    assert min(orders) > 4.5  # local error O(h^5)
    # delta_T -> 0 leaves the linear flow, which Lawson integrates exactly
    p = dict(ELIF, delta_T=1e-3)
    u_lin = p["u_rest"] + (u0 - p["u_rest"]) * math.exp(-0.3 / 10.0) + p["R"] * x * -math.expm1(-0.3 / 10.0)
    assert abs(tm.lawson_step(u0, 0.0, x, 0.3, *_args(p, 1e4)) - u_lin) < 1e-12


def test_lawson_step_with_synaptic_current_against_ode():
    p = dict(ELIF, tau_syn=2.0)
    u0, i0, x = -50.0, 2.0, 0.5
    exact = _elif_ode(u0, i0, x, 0.1, p=p, dense=True)
    errs = [abs(tm.lawson_step(u0, i0, x, h, *_args(p)) - exact.sol(h)[0]) for h in (0.1, 0.05)]
    assert errs[1] < errs[0] / 20 and errs[0] < 1e-6


def test_etd2_step_is_the_grid_update_and_second_order():
    u0, x = -50.0, 1.0
    exact = _elif_ode(u0, 0.0, x, 0.2, dense=True)
    errs = [abs(tm.etd2_step(u0, 0.0, x, h, *_args())[0] - exact.sol(h)[0]) for h in (0.2, 0.1, 0.05)]
    assert min(math.log2(errs[k] / errs[k + 1]) for k in range(2)) > 2.5  # local error O(h^3)
    u1, A = tm.etd2_step(u0, 0.0, x, 0.1, *_args())
    assert 0 < u1 - A < 1.0  # the correction: the exponential term grows over the step


@pytest.mark.parametrize("x,u0", [(1.0, -40.0), (4.0, -60.0), (0.85, -46.0), (30.0, -64.0)])
def test_elif_advance_u_locates_the_crossing(x, u0):
    # the Lawson sub-steps in u (where the exponential is capped below u_th), over a long interval
    L = 0.5
    sol = _elif_ode(u0, 0.0, x, L)
    u, crossed, s = tm.elif_advance_u(u0, 0.0, x, L, ELIF["tau_m"], ELIF["u_rest"], ELIF["u_th"], ELIF["R"], 0.0,
                                      ELIF["theta_rh"], ELIF["delta_T"], CAP)
    if sol.t_events[0].size:
        assert crossed and abs(s - sol.t_events[0][0]) < 1e-5 and u == ELIF["u_th"]
    else:
        assert not crossed and abs(u - sol.y[0, -1]) < 1e-5


@pytest.mark.parametrize("x,u0", [(1.0, -40.0), (4.0, -60.0), (0.85, -46.0), (30.0, -64.0), (0.5, -30.5)])
@pytest.mark.parametrize("tau_syn", [0.0, 3.0])
def test_elif_advance_w_locates_the_crossing_step_by_step(x, u0, tau_syn):
    # the RK4 sub-steps in w (lifbook's defaults), one step of dt = 0.1 ms at a time as the fix-up takes them
    assert tm.w_form(ELIF["u_th"], ELIF["theta_rh"], ELIF["delta_T"], CAP)
    p = dict(ELIF, tau_syn=tau_syn)
    i0 = 0.5 * x if tau_syn else 0.0
    sol = _elif_ode(u0, i0, x, 0.5, p=p)
    u, cur, t, crossed = u0, i0, 0.0, False
    for _ in range(5):
        u, crossed, s = tm.elif_advance(u, cur, x, 0.1, p["tau_m"], p["u_rest"], p["u_th"], p["R"], tau_syn,
                                        p["theta_rh"], p["delta_T"], CAP)
        if crossed:
            t += s
            break
        cur = x + math.exp(-0.1 / tau_syn) * (cur - x) if tau_syn else x
        t += 0.1
    if sol.t_events[0].size:
        assert crossed and abs(t - sol.t_events[0][0]) < 1e-4 and u == p["u_th"]
    else:
        assert not crossed and abs(u - sol.y[0, -1]) < 1e-4


def test_hermite_crossing_of_a_cubic_is_exact():
    # u(s) = s^3 + s: the interpolant of a cubic is the cubic itself
    u = lambda s: s ** 3 + s  # noqa: E731
    du = lambda s: 3 * s ** 2 + 1  # noqa: E731
    h, s0 = 1.3, 0.77
    got = tm.hermite_crossing(u(0.0), du(0.0), u(h), du(h), h, u(s0))
    assert abs(got - s0) < 1e-12
    assert tm.hermite_crossing(-1.0, 1.0, 1.0, 1.0, 2.0, 1.0) == pytest.approx(2.0)  # at the end


def test_w_form_and_u_form_agree():
    # both integrators of elif_advance, over one step of 0.1 ms, against each other
    for x, u0 in [(1.0, -40.0), (2.0, -50.0), (0.3, -64.0), (5.0, -35.0)]:
        args = (u0, 0.0, x, 0.1, ELIF["tau_m"], ELIF["u_rest"], ELIF["u_th"], ELIF["R"], 0.0, ELIF["theta_rh"],
                ELIF["delta_T"], CAP)
        (uw, cw, sw), (uu, cu, su) = tm.elif_advance_w(*args), tm.elif_advance_u(*args)
        assert cw == cu and abs(uw - uu) < 1e-5 and abs(sw - su) < 5e-5
    # a cap below the cut-off: the u form
    assert not tm.w_form(-30.0, -55.0, 2.0, 10.0) and tm.w_form(-30.0, -55.0, 2.0, 12.5 * (1 - 1e-7))


def test_fixup_refractory_end_inside_the_step():
    tau_m, u_rest, u_reset, u_th, R, t_ref = 8.0, -70.0, -65.0, -50.0, 10.0, 2.0
    x, h, ref = 3.0, 0.1, 0.03
    v, r, s, off = tm.fixup(-65.0, 0.0, ref, x, h, tau_m, u_rest, u_reset, u_th, R, t_ref, 0.0, 0.0, 1.0, 0.0, False)
    u_inf = u_rest + R * x
    assert not s and r == 0.0 and off == 0.0
    assert abs(v - (u_inf + (u_reset - u_inf) * math.exp(-(h - ref) / tau_m))) < 1e-12
    # a huge input: the refractory period ends at 0.03 ms and the neuron crosses within the same step
    v, r, s, off = tm.fixup(-65.0, 0.0, ref, 1e4, h, tau_m, u_rest, u_reset, u_th, R, t_ref, 0.0, 0.0, 1.0, 0.0,
                            False)
    expect = ref + tau_m * math.log((u_reset - (u_rest + 1e5)) / (u_th - (u_rest + 1e5)))
    assert s and abs(off - expect) < 1e-12 and v == u_reset
    assert abs(r - (t_ref - (h - off))) < 1e-15  # exactly t_ref after the spike


def test_fixup_synaptic_current_at_the_refractory_end():
    # During the refractory period the current relaxes; integration resumes with I(ref), not I(0).
    p = dict(tau_m=10.0, u_rest=-65.0, u_reset=-65.0, u_th=-55.0, R=10.0, t_ref=2.0, tau_syn=1.0)
    i0, x, h, ref = 5.0, 0.0, 0.1, 0.04
    v, r, s, _ = tm.fixup(-65.0, i0, ref, x, h, p["tau_m"], p["u_rest"], p["u_reset"], p["u_th"], p["R"],
                          p["t_ref"], p["tau_syn"], 0.0, 1.0, 0.0, False)
    i_ref = i0 * math.exp(-ref / p["tau_syn"])
    want, _, _ = tm._flow(-65.0, i_ref, x, h - ref, p["tau_m"], p["u_rest"], p["R"], p["tau_syn"])
    assert not s and abs(v - want) < 1e-13 and v > -65.0


class _C:
    """Grid coefficients for :func:`tm.grid_pass` on floats."""

    def __init__(self, p, method):
        k = p.coefficients(method)
        self.u_rest, self.u_reset, self.u_th = p.u_rest, p.u_reset, p.u_th
        self.a_m, self.b_m, self.a_syn, self.c_syn, self.k_nl = k.a_m, k.b_m, k.a_syn, k.c_syn, k.k_nl
        if isinstance(p, ELIFParams):
            self.theta_rh, self.delta_T, self.arg_cap = p.theta_rh, p.delta_T, p.exp_arg_cap
            self.k_nl2 = k.k_nl2


def test_grid_pass_flags():
    p = ELIFParams(tau_m=10.0, u_rest=-65.0, u_reset=-65.0, u_th=-30.0, R=10.0, theta_rh=-55.0)
    c, dt = _C(p, "etd2"), p.dt
    tol = tm.elif_tol(dt)
    assert tol == pytest.approx(0.03)
    run = lambda v, ref, x=1.0: tm.grid_pass(v, 0.0, ref, x, c, dt, tol, lambda q, a, b: a if q else b,  # noqa: E731
                                             min, math.exp, False, True)
    v, _, r, f = run(-65.0, 0.0)
    assert not f and r == 0.0  # far below rheobase: the ETD2 step (and its tiny error term) stands
    v_etd2, _ = tm.etd2_step(-65.0, 0.0, 1.0, dt, *_args(dict(ELIF, u_rest=-65.0), p.exp_arg_cap))
    assert v != v_etd2 and v == pytest.approx(v_etd2, abs=1e-6)
    assert run(-40.0, 0.0)[3]  # the upswing: large correction
    assert run(-31.0, 0.0)[3]  # crossing
    v, _, r, f = run(-65.0, 1.5)  # held for the whole step
    assert not f and v == -65.0 and r == pytest.approx(1.4)
    assert run(-65.0, 0.05)[3]  # the refractory period ends inside the step
    assert not run(-65.0, 0.1)[3]  # ... or exactly at its end (held, then free)


@pytest.mark.parametrize("u0,x", [(-50.0, 1.0), (-52.0, 2.0), (-60.0, 3.0)])
def test_grid_pass_elif_step_is_third_order(u0, x):
    # ETD2 plus its leading error term: local error O(h^4) (ETD2 alone: O(h^3))
    errs, errs_etd2 = [], []
    for h in (0.1, 0.05, 0.025):
        p = ELIFParams(tau_m=10.0, u_rest=-65.0, u_reset=-65.0, u_th=-30.0, R=10.0, theta_rh=-55.0, dt=h)
        c = _C(p, "etd2")
        v = tm.grid_pass(u0, 0.0, 0.0, x, c, h, 1e9, lambda q, a, b: a if q else b, min, math.exp, False, True)[0]
        exact = _elif_ode(u0, 0.0, x, h).y[0, -1]
        errs.append(abs(v - exact))
        errs_etd2.append(abs(tm.etd2_step(u0, 0.0, x, h, *_args())[0] - exact))
    orders = [math.log2(errs[k] / errs[k + 1]) for k in range(2)]
    assert min(orders) > 3.6, (errs, orders)
    assert errs[0] < errs_etd2[0] / 3


def test_check_spike_timing_errors():
    assert tm.check_spike_timing("grid", "euler", 0.0, 0.1, "CLIF") == "grid"
    assert tm.check_spike_timing("precise", "exact", 0.1, 0.1, "CLIF") == "precise"
    with pytest.raises(ValueError, match=r"spike_timing: expected one of \('grid', 'precise'\), got 'exact'"):
        tm.check_spike_timing("exact", "exact", 2.0, 0.1, "CLIF")
    with pytest.raises(ValueError, match=r"t_ref: spike_timing='precise' needs t_ref >= dt.*0.05 ms < dt=0.1 ms"):
        tm.check_spike_timing("precise", "exact", np.array([2.0, 0.05]), 0.1, "CLIF")
    with pytest.raises(ValueError, match="method='euler'"):
        tm.check_spike_timing("precise", "euler", 2.0, 0.1, "CLIF")
    with pytest.raises(ValueError, match="method='etd2'"):
        tm.check_spike_timing("precise", "expeuler", 2.0, 0.1, "ELIF")
