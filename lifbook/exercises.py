"""Exercise checks with feedback, and the mystery neuron.

Each ``check_*`` function compares a student's answer with the value lifbook computes (never a
typed-in number), recognises typical mistakes, and returns a :class:`Feedback`, which prints
as one line and is truthy when the answer is right::

    >>> check_rheobase(2.0)
    correct: the LIF rheobase is 2 nA ((u_th - u_rest)/R).
    >>> check_rheobase(1.5)
    too low by 25%: that is (u_th - u_reset)/R. The rheobase is about the resting state: ...

:class:`MysteryNeuron` hides seeded parameters behind the public population API, for the
"identify the neuron" exercise (after neurodynex3's ``neuron_type`` exercise).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import theory
from .params import CLIFParams, ELIFParams
from .population import CLIFPopulation, ELIFPopulation

__all__ = [
    "Feedback", "check_value", "check_rheobase", "check_rate", "check_time_to_threshold",
    "check_fixed_points", "check_order", "MysteryNeuron",
]


@dataclass(frozen=True)
class Feedback:
    """Result of a check: ``correct`` (also the truth value) and a one-line ``message``."""

    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return self.message

    def _repr_markdown_(self) -> str:
        mark = "&#9989;" if self.correct else "&#10060;"
        return f"{mark} {self.message}"


def _number(name: str, answer) -> float:
    if answer is Ellipsis or answer is None:
        raise ValueError(f"{name}: no answer yet (replace ... with your value)")
    if isinstance(answer, (str, bytes, bool)):
        raise TypeError(f"{name}: expected a number, got {answer!r}")
    try:
        value = float(np.asarray(answer, dtype=np.float64))
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a single number, got {answer!r}") from None
    if not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value}")
    return value


def check_value(answer, expected: float, *, what: str, unit: str, rtol: float = 0.02, atol: float = 0.0,
                explain: str = "", mistakes: dict[str, float] | None = None, hint: str = "") -> Feedback:
    """Generic check: ``|answer - expected| <= atol + rtol |expected|``.

    ``mistakes`` maps a message to the value a typical mistake gives; an answer within the same
    tolerance of one of them gets that message. ``hint`` is appended to other wrong answers.
    """
    a = _number(what, answer)
    tol = atol + rtol * abs(expected)
    shown = f"{expected:.4g} {unit}".strip()
    if abs(a - expected) <= tol:
        return Feedback(True, f"correct: {what} is {shown}{f' ({explain})' if explain else ''}.")
    direction = "high" if a > expected else "low"
    if expected != 0:
        size = f"too {direction} by {abs(a - expected) / abs(expected):.0%}"
    else:
        size = f"too {direction} by {abs(a - expected):.3g} {unit}".rstrip()
    for message, wrong in (mistakes or {}).items():
        if abs(a - wrong) <= atol + rtol * abs(wrong) and abs(wrong - expected) > tol:
            return Feedback(False, f"{size}: {message}")
    return Feedback(False, f"{size}.{' ' + hint if hint else ''}")


def check_rheobase(answer, model: str = "LIF", params=None, rtol: float = 0.02, **overrides) -> Feedback:
    """Check a rheobase (nA) for the LIF (``(u_th - u_rest)/R``) or the EIF (``(theta_rh - u_rest - delta_T)/R``)."""
    model = model.upper()
    if model in ("LIF", "CLIF"):
        p = (params or CLIFParams()).replace(**overrides)
        expected = float(theory.lif_rheobase(p))
        mistakes = {
            "that is (u_th - u_reset)/R. The rheobase is about the resting state: the smallest constant "
            "current whose steady state u_rest + R I reaches u_th.": (p.u_th - p.u_reset) / p.R,
            "that is a voltage (u_th - u_rest, in mV); divide by R (MOhm) to get nA.": p.u_th - p.u_rest,
            "check the sign: the current must lift u from u_rest up to u_th.": -(p.u_th - p.u_rest) / p.R,
            "remember the leak: without it any current would reach threshold, but with it a current I "
            "only lifts u to u_rest + R I.": 0.0,
        }
        explain = "(u_th - u_rest)/R"
    elif model in ("EIF", "ELIF"):
        p = (params or ELIFParams()).replace(**overrides)
        expected = float(theory.eif_rheobase(p))
        mistakes = {
            "that is the LIF formula with threshold theta_rh. The exponential term adds depolarisation: "
            "the fixed points merge where dF/du = 0, at u = theta_rh, which subtracts delta_T.":
                (p.theta_rh - p.u_rest) / p.R,
            "that uses the cut-off u_th, which only decides when a spike is registered; the rheobase "
            "is set by theta_rh and delta_T.": (p.u_th - p.u_rest) / p.R,
            "the sign of delta_T: the exponential term helps the current, so the rheobase is below "
            "(theta_rh - u_rest)/R.": (p.theta_rh - p.u_rest + p.delta_T) / p.R,
        }
        explain = "(theta_rh - u_rest - delta_T)/R"
    else:
        raise ValueError(f"model: expected 'LIF' or 'EIF', got {model!r}")
    hint = ("Remember the leak: in steady state u = u_rest + R I." if model in ("LIF", "CLIF")
            else "Where do the fixed points of du/dt disappear?")
    return check_value(answer, expected, what=f"the {model} rheobase", unit="nA", rtol=rtol, explain=explain,
                       mistakes=mistakes, hint=hint)


def check_rate(answer, I: float, model: str = "LIF", params=None, rtol: float = 0.02, **overrides) -> Feedback:
    """Check a stationary firing rate (Hz) under constant current ``I`` (nA)."""
    model = model.upper()
    if model in ("LIF", "CLIF"):
        p = (params or CLIFParams()).replace(**overrides)
        expected = float(theory.lif_rate(I, p))
        T = float(theory.lif_time_to_threshold(I, p))
        no_ref = 1e3 / T if np.isfinite(T) else 0.0
    elif model in ("EIF", "ELIF"):
        p = (params or ELIFParams()).replace(**overrides)
        expected = float(theory.eif_rate(I, p))
        T = float(theory.eif_time_to_threshold(I, p))
        no_ref = 1e3 / T if np.isfinite(T) else 0.0
    else:
        raise ValueError(f"model: expected 'LIF' or 'EIF', got {model!r}")
    mistakes = {}
    if expected > 0:
        mistakes = {
            "you left out the refractory period t_ref: the interval is t_ref + T.": no_ref,
            "that looks like the interspike interval in ms; the rate is 1000 / ISI in Hz.": 1e3 / expected,
            "that looks like a rate in spikes per ms; multiply by 1000 for Hz.": expected / 1e3,
        }
    return check_value(answer, expected, what=f"the {model} rate at I = {I:g} nA", unit="Hz", rtol=rtol,
                       atol=1e-9, mistakes=mistakes, explain="1/(t_ref + T)" if expected > 0 else "below rheobase",
                       hint="Integrate from u_reset to u_th, then add t_ref.")


def check_time_to_threshold(answer, I: float, params=None, rtol: float = 0.01, **overrides) -> Feedback:
    """Check the LIF time (ms) from ``u_reset`` to ``u_th`` under constant ``I``."""
    p = (params or CLIFParams()).replace(**overrides)
    expected = float(theory.lif_time_to_threshold(I, p))
    if not np.isfinite(expected):
        raise ValueError(f"I: {I} nA is not above rheobase ({theory.lif_rheobase(p):g} nA); the neuron never fires")
    RI = p.R * I
    from_rest = p.tau_m * np.log(RI / (RI - (p.u_th - p.u_rest)))
    mistakes = {"that starts from u_rest; after a spike u starts from u_reset.": from_rest,
                "that includes t_ref; the question asks for the free run from reset.": expected + p.t_ref}
    return check_value(answer, expected, what=f"the time to threshold at I = {I:g} nA", unit="ms", rtol=rtol,
                       mistakes=mistakes, explain="tau_m ln((RI - (u_reset - u_rest))/(RI - (u_th - u_rest)))")


def check_fixed_points(u_stable, u_unstable, I: float, params=None, atol: float = 0.1, **overrides) -> Feedback:
    """Check the two EIF fixed points (mV) under constant ``I`` below rheobase."""
    p = (params or ELIFParams()).replace(**overrides)
    us, uu = theory.eif_fixed_points(I, p)
    if not np.isfinite(us):
        raise ValueError(f"I: {I} nA is above the rheobase ({theory.eif_rheobase(p):.3g} nA): there are no fixed points")
    a, b = _number("u_stable", u_stable), _number("u_unstable", u_unstable)
    if abs(a - uu) <= atol and abs(b - us) <= atol:
        return Feedback(False, "swapped: the stable fixed point is the lower one (F decreases through it), "
                               "the unstable one lies above theta_rh.")
    fa = check_value(a, us, what="the stable fixed point", unit="mV", rtol=0, atol=atol)
    fb = check_value(b, uu, what="the unstable fixed point", unit="mV", rtol=0, atol=atol)
    return Feedback(fa.correct and fb.correct, f"{fa.message} {fb.message}")


def check_order(slope, method: str = "euler", tol: float = 0.15) -> Feedback:
    """Check a measured convergence order (the slope of log error against log dt)."""
    expected = {"euler": 1.0, "expeuler": 1.0}.get(method)
    if expected is None:
        raise ValueError(f"method: expected 'euler' or 'expeuler', got {method!r}")
    return check_value(slope, expected, what=f"the order of {method}", unit="", rtol=0, atol=tol,
                       mistakes={"that is the error's slope against the number of steps; against dt it is "
                                 "positive.": -expected,
                                 "second order would need an error that shrinks 4x when dt halves.": 2.0},
                       explain="the global error shrinks in proportion to dt")


class MysteryNeuron:
    """A neuron with hidden, seeded parameters, to identify from experiments.

    ``MysteryNeuron(seed)`` draws ``tau_m`` (5-25 ms), ``R`` (5-30 MOhm), ``u_th`` (-55 to -45 mV)
    and, for ``kind="ELIF"``, ``theta_rh`` and ``delta_T`` as well; ``u_rest = -70`` mV,
    ``u_reset = -70`` mV (``-65`` for ELIF) and ``t_ref = 2`` ms are known. Experiment through
    :meth:`inject` (a population's ``run``: potential and spikes), then call :meth:`check` with
    your estimates. Reading the hidden attributes is cheating, and pointless: the seed is yours.
    """

    def __init__(self, seed: int = 0, kind: str = "CLIF", n: int = 1):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed: expected an int, got {seed!r}")
        if kind not in ("CLIF", "ELIF"):
            raise ValueError(f"kind: expected 'CLIF' or 'ELIF', got {kind!r}")
        rng = np.random.default_rng([int(seed), 7919])
        hidden = dict(tau_m=round(float(rng.uniform(5, 25)), 2), R=round(float(rng.uniform(5, 30)), 2),
                      u_rest=-70.0, t_ref=2.0)
        if kind == "CLIF":
            hidden.update(u_th=round(float(rng.uniform(-55, -45)), 2), u_reset=-70.0)
            self.__p = CLIFParams(**hidden)
        else:
            theta = round(float(rng.uniform(-58, -50)), 2)
            hidden.update(theta_rh=theta, delta_T=round(float(rng.uniform(0.8, 3.0)), 2), u_th=-30.0, u_reset=-65.0)
            self.__p = ELIFParams(**hidden)
        self.kind, self.seed, self.n = kind, int(seed), n
        self.known = {"u_rest": -70.0, "u_reset": self.__p.u_reset, "t_ref": 2.0, "dt": self.__p.dt}

    def __repr__(self) -> str:
        return f"MysteryNeuron(seed={self.seed}, kind={self.kind!r}; known: {self.known})"

    def inject(self, current, steps: int | None = None, record=("spikes", "v")):
        """Run a fresh neuron (or ``n`` identical ones) from rest with ``current`` (as ``run``)."""
        Model = CLIFPopulation if self.kind == "CLIF" else ELIFPopulation
        return Model(n=self.n, params=self.__p).run(current, steps=steps, record=record)

    def _truth(self) -> dict:
        p = self.__p
        out = {"tau_m": p.tau_m, "R": p.R}
        if self.kind == "CLIF":
            out.update(u_th=p.u_th, rheobase=float(theory.lif_rheobase(p)))
        else:
            out.update(theta_rh=p.theta_rh, delta_T=p.delta_T, rheobase=float(theory.eif_rheobase(p)))
        return out

    def check(self, **estimates) -> Feedback:
        """Check any of ``tau_m`` (ms), ``R`` (MOhm), ``rheobase`` (nA), ``u_th`` / ``theta_rh`` /
        ``delta_T`` (mV); within 5% (0.5 mV for potentials, 20% for ``delta_T``)."""
        truth = self._truth()
        unknown = set(estimates) - set(truth)
        if unknown or not estimates:
            raise ValueError(f"estimates: give some of {sorted(truth)}, got {sorted(estimates) or 'none'}")
        units = {"tau_m": "ms", "R": "MOhm", "rheobase": "nA", "u_th": "mV", "theta_rh": "mV", "delta_T": "mV"}
        hints = {"tau_m": "Fit the rise to a small step current: u(t) - u_rest = R I (1 - exp(-t/tau_m)).",
                 "R": "Below threshold the steady depolarisation is R I.",
                 "rheobase": "Bisect on the current between 'no spike' and 'spikes' with a long step.",
                 "u_th": "Look at the highest potential reached just before a spike.",
                 "theta_rh": "For the EIF, theta_rh = u_rest + R I_rh + delta_T.",
                 "delta_T": "The rheobase and the subthreshold resistance together give theta_rh - delta_T."}
        parts, ok = [], True
        for name, value in estimates.items():
            rtol, atol = (0.2, 0.0) if name == "delta_T" else ((0.0, 0.5) if name in ("u_th", "theta_rh") else (0.05, 0.0))
            f = check_value(value, truth[name], what=name, unit=units[name], rtol=rtol, atol=atol, hint=hints[name])
            ok &= f.correct
            parts.append(f.message)
        return Feedback(ok, " ".join(parts))
