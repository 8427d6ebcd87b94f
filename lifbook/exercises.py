"""Exercise checks with feedback, and the mystery neuron.

Each ``check_*`` function compares a student's answer with the value lifbook computes (never a
typed-in number), recognises typical mistakes, and returns a :class:`Feedback`, which prints
as one line and is truthy when the answer is right::

    >>> check_rheobase(2.0)
    correct: the LIF rheobase is 2 nA ((u_th - u_rest)/R).
    >>> check_rheobase(1.5)
    too low by 25%: that is (u_th - u_reset)/R. The rheobase is about the resting state: ...

A check never raises on an answer: ``...`` (or ``None``) gives "not answered yet", text or an
array of several numbers says what is expected, a one-element array, a NumPy or a torch scalar
counts as its number, and an answer 1000 times off in the way of a unit slip is named::

    >>> check_rheobase(2000)
    the LIF rheobase: this looks like pA; lifbook uses nA (2 nA = 2000 pA).

(Errors in the *question's* arguments, such as a current below the rheobase for a rate, still
raise: they are the exercise author's mistake, not the student's.)

:class:`MysteryNeuron` hides seeded parameters behind the public population API, for the
"identify the neuron" exercise (after the LIF exercise of neurodynex3, "'Experimentally' estimate
the parameters of a LIF neuron", which hides a LIF neuron's parameters behind a random seed).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import theory
from .params import CLIFParams, ELIFParams
from .population import CLIFPopulation, ELIFPopulation
from .validate import choice, positive_int, suggest

__all__ = [
    "Feedback", "check_value", "check_rheobase", "check_rate", "check_time_to_threshold",
    "check_fixed_points", "check_order", "MysteryNeuron",
]


_MODELS = ("LIF", "CLIF", "EIF", "ELIF")


@dataclass(frozen=True)
class Feedback:
    """Result of a check: ``correct`` (also the truth value) and a ``message`` (one line, or one line per
    part of a multi-part answer). ``answered`` is ``False`` while the answer is still ``...``."""

    correct: bool
    message: str
    answered: bool = True

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return self.message

    def _repr_markdown_(self) -> str:
        # Plain words, not emoji: a check mark drawn from an emoji font shows as an empty box
        # where no such font is installed.
        if self.correct:
            mark, lead = "**Correct:**", "correct: "
        elif not self.answered:
            mark, lead = "**Not answered yet:**", "not answered yet: "
        else:
            mark, lead = "**Not yet:**", ""
        lines = self.message.split("\n")
        first = lines[0][len(lead):] if lead and lines[0].startswith(lead) else lines[0]
        return "  \n".join([f"{mark} {first}", *lines[1:]])


class _NotANumber(ValueError):
    """An answer that is not one finite number; ``feedback`` says what was expected. The checks turn it
    into their return value; a ``ValueError`` so that code calling ``_number`` directly still gets one."""

    def __init__(self, feedback: Feedback):
        super().__init__(feedback.message)
        self.feedback = feedback


def _not_answered(what: str, form: str = "your value") -> Feedback:
    return Feedback(False, f"not answered yet: replace ... with {form} ({what}).", answered=False)


def _number(what: str, answer, unit: str = "") -> float:
    """``answer`` as one finite float; one-element arrays, NumPy and torch scalars are accepted.

    Anything else raises :class:`_NotANumber` with the feedback for the student (checks turn it
    into their return value: a check never raises on an answer)."""
    u = f" in {unit}" if unit else ""
    if answer is Ellipsis or answer is None:
        raise _NotANumber(_not_answered(what))
    if isinstance(answer, (str, bytes)):
        raise _NotANumber(Feedback(False, f"{what}: expected a number{u}, got the text {answer!r:.40}; "
                                          "compute it in Python and store the number (no quotes)."))
    if isinstance(answer, (bool, np.bool_)):
        raise _NotANumber(Feedback(False, f"{what}: expected a number{u}, got {answer!r} (a truth value)."))
    if hasattr(answer, "detach") and hasattr(answer, "cpu"):  # a torch tensor, without importing torch
        answer = answer.detach().cpu().numpy()
    try:
        arr = np.asarray(answer)
    except Exception:
        arr = np.asarray(None, dtype=object)
    if arr.dtype.kind not in "iuf" or arr.dtype == object:
        kind = type(answer).__name__
        extra = " (a complex number)" if arr.dtype.kind == "c" else ""
        raise _NotANumber(Feedback(False, f"{what}: expected a single number{u}, got {_a(kind)}{extra}."))
    if arr.size != 1:
        shape = "an empty array" if arr.size == 0 else f"an array of shape {arr.shape}"
        raise _NotANumber(Feedback(False, f"{what}: expected a single number{u}, got {shape}; "
                                          "pick the element the question asks for (e.g. rates[0])."))
    value = float(arr.reshape(()))
    if not np.isfinite(value):
        raise _NotANumber(Feedback(False, f"{what}: expected a finite number{u}, got {value}; "
                                          "look for a division by zero or a log of a negative number."))
    return value


#: Factor-1000 slips, by unit: ``{unit: {answer / expected: what the answer looks like}}``.
_UNIT_SLIPS = {
    "nA": {1e3: "this looks like pA; lifbook uses nA ({e:.4g} nA = {a:.4g} pA)",
           1e-3: "this looks like uA; lifbook uses nA ({e:.4g} nA = {a:.4g} uA)"},
    "ms": {1e-3: "this looks like seconds; lifbook uses ms ({e:.4g} ms = {a:.4g} s)",
           1e3: "this looks like microseconds; lifbook uses ms ({e:.4g} ms = {a:.4g} us)"},
    "mV": {1e-3: "this looks like volts; lifbook uses mV ({e:.4g} mV = {a:.4g} V)",
           1e3: "this looks like microvolts; lifbook uses mV ({e:.4g} mV = {a:.4g} uV)"},
    "MOhm": {1e6: "this looks like Ohm; lifbook uses MOhm ({e:.4g} MOhm = {a:.4g} Ohm)",
             1e3: "this looks like kOhm; lifbook uses MOhm ({e:.4g} MOhm = {a:.4g} kOhm)",
             1e-3: "this looks like GOhm; lifbook uses MOhm ({e:.4g} MOhm = {a:.4g} GOhm)"},
    "Hz": {1e-3: "that looks like a rate in spikes per ms; multiply by 1000 for Hz."},
}


def _unit_slip(a: float, expected: float, unit: str, rtol: float, atol: float, reveal: bool = True) -> str | None:
    """The unit slip that turns ``expected`` into ``a`` (within tolerance), or ``None``. Without
    ``reveal`` the message leaves out the numbers (the mystery neuron's values are secret)."""
    for factor, message in _UNIT_SLIPS.get(unit, {}).items():
        wrong = expected * factor
        if expected != 0 and abs(a - wrong) <= atol * abs(factor) + max(rtol, 0.02) * abs(wrong):
            return message.format(e=expected, a=wrong) if reveal else message.split(" (")[0]
    return None


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _off_by(a: float, expected: float, unit: str) -> str:
    direction = "high" if a > expected else "low"
    if expected == 0:
        return f"too {direction} by {abs(a - expected):.3g} {unit}".rstrip()
    ratio = abs(a - expected) / abs(expected)
    times = a / expected
    if times >= 10:
        return f"too {direction}: about {times:.3g} times the right value"
    if 0 < times <= 0.1:
        return f"too {direction}: about {1 / times:.3g} times too small"
    return f"too {direction} by {ratio:.0%}"


def check_value(answer, expected: float, *, what: str, unit: str, rtol: float = 0.02, atol: float = 0.0,
                explain: str = "", mistakes: dict[str, float] | None = None, hint: str = "") -> Feedback:
    """Generic check: ``|answer - expected| <= atol + rtol |expected|``.

    Never raises on ``answer``: ``...`` or ``None`` gives "not answered yet", text and arrays of
    more than one number say what is expected; one-element arrays and NumPy or torch scalars
    count as numbers. ``mistakes`` maps a message to the value a typical mistake gives; an answer
    within the same tolerance of one of them gets that message. An answer 1000 times off in the
    way a unit slip gives (pA for nA, s for ms, V for mV) is named as such. ``hint`` is appended
    to other wrong answers.
    """
    try:
        a = _number(what, answer, unit)
    except _NotANumber as exc:
        return exc.feedback
    tol = atol + rtol * abs(expected)
    shown = f"{expected:.4g} {unit}".strip()
    if abs(a - expected) <= tol:
        return Feedback(True, f"correct: {what} is {shown}{f' ({explain})' if explain else ''}.")
    size = _off_by(a, expected, unit)
    for message, wrong in (mistakes or {}).items():
        if abs(a - wrong) <= atol + rtol * abs(wrong) and abs(wrong - expected) > tol:
            return Feedback(False, f"{size}: {message}")
    slip = _unit_slip(a, expected, unit, rtol, atol)
    if slip:
        return Feedback(False, f"{what}: {slip}.")
    return Feedback(False, f"{size}.{' ' + hint if hint else ''}")


def check_rheobase(answer, model: str = "LIF", params=None, rtol: float = 0.02, **overrides) -> Feedback:
    """Check a rheobase (nA) for the LIF (``(u_th - u_rest)/R``) or the EIF (``(theta_rh - u_rest - delta_T)/R``)."""
    model = choice("model", model.upper() if isinstance(model, str) else model, _MODELS)
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
    else:  # pragma: no cover - excluded by choice()
        raise AssertionError(model)
    hint = ("Remember the leak: in steady state u = u_rest + R I." if model in ("LIF", "CLIF")
            else "Where do the fixed points of du/dt disappear?")
    return check_value(answer, expected, what=f"the {model} rheobase", unit="nA", rtol=rtol, explain=explain,
                       mistakes=mistakes, hint=hint)


def check_rate(answer, I: float, model: str = "LIF", params=None, rtol: float = 0.02, **overrides) -> Feedback:
    """Check a stationary firing rate (Hz) under constant current ``I`` (nA)."""
    model = choice("model", model.upper() if isinstance(model, str) else model, _MODELS)
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
    else:  # pragma: no cover - excluded by choice()
        raise AssertionError(model)
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
    if u_stable is Ellipsis and u_unstable is Ellipsis:
        return _not_answered("u_stable and u_unstable, in mV", "your values")
    try:
        a, b = _number("u_stable", u_stable, "mV"), _number("u_unstable", u_unstable, "mV")
    except _NotANumber as exc:
        return exc.feedback
    if abs(a - uu) <= atol and abs(b - us) <= atol:
        return Feedback(False, "swapped: the stable fixed point is the lower one (F decreases through it), "
                               "the unstable one lies above theta_rh.")
    fa = check_value(a, us, what="the stable fixed point", unit="mV", rtol=0, atol=atol)
    fb = check_value(b, uu, what="the unstable fixed point", unit="mV", rtol=0, atol=atol)
    return Feedback(fa.correct and fb.correct, f"{fa.message} {fb.message}")


def check_order(slope, method: str = "euler", tol: float = 0.15) -> Feedback:
    """Check a measured convergence order (the slope of log error against log dt)."""
    expected = {"euler": 1.0, "expeuler": 1.0}[choice("method", method, ("euler", "expeuler"))]
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
        kind = choice("kind", kind, ("CLIF", "ELIF"))
        n = positive_int("n", n)
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

    #: Per estimate: unit, tolerance (relative, or absolute in the unit for potentials), the two
    #: outer band edges, and a hint for a wrong estimate.
    _SPECS = {
        "tau_m": ("ms", "rel", 0.05, 0.20,
                  "Fit the rise to a small step current: u(t) - u_rest = R I (1 - exp(-t/tau_m))."),
        "R": ("MOhm", "rel", 0.05, 0.20, "Below threshold the steady depolarisation is R I."),
        "rheobase": ("nA", "rel", 0.05, 0.20, "Find the smallest constant current that fires with a long step."),
        "u_th": ("mV", "abs", 0.5, 2.0, "Look at the highest potential reached just before a spike."),
        "theta_rh": ("mV", "abs", 0.5, 2.0, "For the EIF, theta_rh = u_rest + R I_rh + delta_T."),
        "delta_T": ("mV", "rel", 0.20, 0.50,
                    "The rheobase and the subthreshold resistance together give theta_rh - delta_T."),
    }

    def check(self, **estimates) -> Feedback:
        """Check any of ``tau_m`` (ms), ``R`` (MOhm), ``rheobase`` (nA), ``u_th`` / ``theta_rh`` /
        ``delta_T`` (mV): one line per estimate, naming it and saying whether it is within
        tolerance (5%; 0.5 mV for potentials; 20% for ``delta_T``), or in which band it is off
        and in which direction, never the hidden value or the exact error. Never raises."""
        truth = self._truth()
        names = list(truth)
        if not estimates:
            return Feedback(False, f"not answered yet: give some of {', '.join(names)}, "
                                   "e.g. neuron.check(tau_m=10.0, R=12.0).", answered=False)
        lines, ok, answered, bad = [], True, False, 0
        for name, value in estimates.items():
            if name not in truth:
                close = suggest(name, names)
                hint = f"did you mean {close}? " if close else ""
                lines.append(f"{name}: not an estimate this neuron checks; {hint}Give some of {', '.join(names)}.")
                ok, bad, answered = False, bad + 1, True
                continue
            unit, kind, tol, far, hint = self._SPECS[name]
            try:
                a = _number(name, value, unit)
            except _NotANumber as exc:
                lines.append(exc.feedback.message if exc.feedback.answered else f"{name}: not answered yet.")
                ok, bad = False, bad + 1
                answered |= exc.feedback.answered
                continue
            answered = True
            line, good = self._band(name, a, truth[name], unit, kind, tol, far, hint)
            ok &= good
            bad += not good
            lines.append(line)
        if ok:
            head = "correct: every estimate is within tolerance."
        elif not answered:
            head = "not answered yet:"
        else:
            head = f"{bad} of {len(lines)} estimates need work:"
        return Feedback(ok, "\n".join([head, *("  " + ln for ln in lines)]), answered=answered or ok)

    @staticmethod
    def _band(name, a, true, unit, kind, tol, far, hint) -> tuple[str, bool]:
        if kind == "rel":
            off = abs(a - true) / abs(true)
            bands = (f"within {tol:.0%}", f"{tol:.0%}-{far:.0%} off", f"more than {far:.0%} off")
        else:
            off = abs(a - true)
            bands = (f"within {tol:g} {unit}", f"{tol:g}-{far:g} {unit} off", f"more than {far:g} {unit} off")
        if off <= tol:
            return f"{name}: ok, {bands[0]}.", True
        direction = "too high" if a > true else "too low"
        slip = _unit_slip(a, true, unit, tol if kind == "rel" else 0.05, 0.0, reveal=False)
        if slip:
            return f"{name}: {slip}.", False
        band = bands[1] if off <= far else bands[2]
        return f"{name}: {direction}, {band}. {hint}", False


# -- Chapter 5: numerical methods --------------------------------------------------------------
def check_euler_stability(answer, kind: str = "stable", params=None, **overrides) -> Feedback:
    """Check a time step (ms) that bounds Euler's behaviour on the leak ``u' = -(u - u_rest)/tau_m``.

    Euler multiplies the deviation from the steady state by ``1 - dt/tau_m`` per step:
    ``kind="monotone"`` asks for the largest ``dt`` without oscillation (``tau_m``),
    ``kind="stable"`` for the largest ``dt`` whose deviation does not grow (``2 tau_m``).
    """
    p = (params or CLIFParams()).replace(**overrides)
    tau = float(np.min(p.tau_m))
    if kind == "monotone":
        expected, explain = tau, "1 - dt/tau_m >= 0"
        mistakes = {"that is where the deviation starts to grow; oscillation starts earlier, when the factor "
                    "1 - dt/tau_m turns negative.": 2 * tau}
    elif kind == "stable":
        expected, explain = 2 * tau, "|1 - dt/tau_m| <= 1"
        mistakes = {"that is where Euler starts to oscillate (1 - dt/tau_m < 0); the oscillation still decays "
                    "until |1 - dt/tau_m| > 1.": tau}
    else:
        choice("kind", kind, ("monotone", "stable"))
    return check_value(answer, expected, what=f"the largest {kind} Euler step", unit="ms", rtol=0.02,
                       explain=explain, mistakes=mistakes,
                       hint="Write one Euler step for the deviation u - u_inf and look at the factor.")


def check_grid_isi(answer, I: float, params=None, **overrides) -> Feedback:
    """Check the interspike interval (ms) that lifbook's exact integrator produces on its grid.

    ``dt (n_ref + ceil(T / dt))`` with ``n_ref = round(t_ref / dt)`` and ``T`` the continuous time
    from ``u_reset`` to ``u_th`` (:func:`lifbook.theory.lif_rate_on_grid`).
    """
    p = (params or CLIFParams()).replace(**overrides)
    rate = float(theory.lif_rate_on_grid(I, p))
    if rate == 0.0:
        raise ValueError(f"I: {I} nA is not above the rheobase ({theory.lif_rheobase(p):g} nA)")
    expected = 1e3 / rate
    T = float(theory.lif_time_to_threshold(I, p))
    mistakes = {
        "that is the continuous interval t_ref + T; on the grid a spike is registered only at the first "
        "grid point at or after the crossing.": p.t_ref + T,
        "round the crossing up (ceil), not to the nearest step: the potential is only compared with u_th "
        "at the end of a step.": p.dt * (p.n_ref + np.round(T / p.dt)),
        "you left out the refractory steps n_ref = round(t_ref/dt).": p.dt * np.ceil(T / p.dt),
    }
    return check_value(answer, expected, what=f"the grid interval at I = {I:g} nA, dt = {p.dt:g} ms", unit="ms",
                       rtol=1e-4, atol=1e-9, explain="dt (n_ref + ceil(T/dt))", mistakes=mistakes,
                       hint="Count steps: n_ref held, then ceil(T/dt) integrating.")


def check_rate_order(slope, scheme: str = "grid", tol: float = 0.25) -> Feedback:
    """Check the measured order of a firing-rate error (slope of log error against log dt).

    ``scheme="grid"``: spikes registered at grid points, first order (``O(dt)``) whatever the integrator;
    ``scheme="interpolated"``: the crossing time linearly interpolated
    (:func:`lifbook.analysis.interpolated_spike_times`), order 2.
    """
    expected = {"grid": 1.0, "interpolated": 2.0}[choice("scheme", scheme, ("grid", "interpolated"))]
    other = 2.0 if expected == 1.0 else 1.0
    why = ("the spike waits for the next grid point, an error of up to one step per interval"
           if scheme == "grid" else "linear interpolation misses the crossing by O(dt**2)")
    return check_value(slope, expected, what=f"the order of the rate error ({scheme})", unit="", rtol=0,
                       atol=tol, explain=why,
                       mistakes={"that is the order of the other scheme; which error dominates here?": other,
                                 "the slope against dt is positive: the error shrinks as dt shrinks.": -expected})


__all__ += ["check_euler_stability", "check_grid_isi", "check_rate_order"]


# -- checks appended for chapters 2 and 3 --------------------------------------------------------------

def check_current_for_rate(answer, f: float, params=None, rtol: float = 0.02, **overrides) -> Feedback:
    """Check the constant current (nA) at which the LIF neuron fires at ``f`` Hz (the inverse f-I curve)."""
    p = (params or CLIFParams()).replace(**overrides)
    expected = float(theory.lif_current_for_rate(f, p))
    if not np.isfinite(expected):
        raise ValueError(f"f: {f} Hz is not a rate the neuron can fire at (0 < f < 1000/t_ref = "
                         f"{1e3 / p.t_ref if p.t_ref > 0 else np.inf:g} Hz)")
    mistakes = {
        "you left out the refractory period: the free time to threshold is 1000/f - t_ref, not 1000/f.":
            float(theory.lif_current_for_rate(f, p.replace(t_ref=0.0))),
        "that starts the free run from u_rest; after a spike u starts from u_reset.":
            float(theory.lif_current_for_rate(f, p.replace(u_reset=p.u_rest))),
        "that is the rheobase: the current at which the rate starts to grow from 0.": float(theory.lif_rheobase(p)),
    }
    return check_value(answer, expected, what=f"the current for {f:g} Hz", unit="nA", rtol=rtol,
                       mistakes=mistakes, explain="solve 1000/f = t_ref + T(I) for I",
                       hint="Invert f = 1000/(t_ref + T(I)): first T = 1000/f - t_ref, then solve T(I) for I.")


def check_psp_peak_time(answer, params=None, rtol: float = 0.02, **overrides) -> Feedback:
    """Check the time (ms) at which the potential peaks after a brief pulse through the synaptic filter."""
    p = (params or CLIFParams()).replace(**overrides)
    if not np.all(np.asarray(p.tau_syn) > 0):
        raise ValueError("tau_syn: the peak time needs a synaptic filter, tau_syn > 0")
    expected = float(theory.lif_psp_peak_time(p))
    mistakes = {
        "that is tau_syn, the decay time of the current; the potential keeps rising while the current "
        "exceeds the leak.": float(p.tau_syn),
        "that is tau_m; the peak is where d u/dt = 0, i.e. where R I(t) = u(t) - u_rest.": float(p.tau_m),
    }
    return check_value(answer, expected, what="the peak time of the potential", unit="ms", rtol=rtol,
                       mistakes=mistakes, explain="tau_m tau_syn ln(tau_m/tau_syn)/(tau_m - tau_syn)",
                       hint="Write u(t) as a difference of two exponentials and set du/dt = 0.")


def check_mystery_neuron(neuron: "MysteryNeuron", answer) -> Feedback:
    """Check a dict of estimates for a :class:`MysteryNeuron` (``neuron.check(**answer)``); never raises on
    ``answer``."""
    example = "{'tau_m': 10.0, 'R': 12.0, 'rheobase': 1.5, 'u_th': -50.0}"
    if answer is Ellipsis or answer is None:
        return _not_answered("a dict of your estimates", f"a dict such as {example}")
    if not isinstance(answer, dict) or not all(isinstance(k, str) for k in answer):
        return Feedback(False, f"answer: expected a dict of estimates such as {example}, "
                               f"got {_a(type(answer).__name__)}.")
    return neuron.check(**answer)


__all__ += ["check_current_for_rate", "check_psp_peak_time", "check_mystery_neuron"]


def check_noisy_rate(answer, I: float, sigma: float, params=None, rtol: float = 0.15, **overrides) -> Feedback:
    """Check a rate (Hz) measured under white noise (mean ``I``, amplitude ``sigma``, both nA).

    Compared with the diffusion approximation on lifbook's grid
    (:func:`lifbook.theory.lif_rate_diffusion` with ``on_grid=True``); the default tolerance of
    15% allows for the statistical error of a short simulation of a small population.
    """
    p = (params or CLIFParams()).replace(**overrides)
    expected = float(theory.lif_rate_diffusion(I, sigma, p, on_grid=True))
    noiseless = float(theory.lif_rate(I, p))
    mistakes = {"that is the rate without noise: noise makes the neuron fire where the mean input alone "
                "would not.": noiseless} if noiseless != expected else {}
    mistakes["that looks like a rate in spikes per ms; multiply by 1000 for Hz."] = expected / 1e3
    return check_value(answer, expected, what=f"the rate at I = {I:g} nA with noise sigma = {sigma:g} nA",
                       unit="Hz", rtol=rtol, atol=1e-9, mistakes=mistakes,
                       explain="diffusion approximation on the grid",
                       hint="Average over many neurons (or a long time): the spike count is random.")


__all__ += ["check_noisy_rate"]


# -- checks for chapter 6 (populations at scale) -------------------------------------------------------
def check_bytes_per_update(answer, op: str = "forward", **kw) -> Feedback:
    """Check the bytes one neuron-update moves to or from memory (:func:`lifbook.scale.bytes_per_update`,
    whose keywords ``dtype``, ``refractory``, ``synaptic``, ``input_per_neuron`` and ``record``
    ``kw`` passes on)."""
    from .scale import bytes_per_update

    expected = bytes_per_update(op, **kw)
    x = expected - bytes_per_update(op, **{**kw, "input_per_neuron": False})  # the input's share
    if op == "forward":
        state_once = (expected - x - 1) // 2  # forward: x + 2 * state + 1 byte of spikes
        mistakes = {
            "the state is read *and* written every step: count v (and i, and the counter) twice.":
                expected - state_once,
            "the spikes count too: forward writes s, one byte (bool) per neuron.": expected - 1,
        }
        if x:
            mistakes["the input is read every step as well."] = expected - x
        explain = "input read, state read and written, spikes written"
    else:
        mistakes = {"that is forward's traffic; run keeps the state in the cache between steps, so only the "
                    "input and the records travel.": bytes_per_update(
                        "forward", **{k: v for k, v in kw.items() if k != "record"})}
        explain = "input and records only; the state stays in the cache"
    return check_value(answer, float(expected), what=f"the bytes per update of {op}", unit="bytes", rtol=0,
                       atol=0.01, mistakes=mistakes, explain=explain,
                       hint="Add up what one step reads and writes per neuron, with the size of each dtype.")


def check_record_steps(answer, N: int, budget_bytes: float, record=("spikes", "v"), dtype="float32") -> Feedback:
    """Check the largest number of steps ``T`` whose record (:func:`lifbook.scale.record_nbytes`) fits in
    ``budget_bytes`` bytes."""
    from .record import record_names
    from .scale import record_nbytes

    record = record_names(record)
    growing = tuple(r for r in record if r != "count")
    if not growing or not (per_step := record_nbytes(N, 1, growing, dtype=dtype)):
        raise ValueError(f"record: {record!r} does not grow with T; any number of steps fits")
    fixed = record_nbytes(N, 1, ("count",)) if "count" in record else 0
    expected = float((budget_bytes - fixed) // per_step)
    per_step64 = record_nbytes(N, 1, growing, dtype="float64")
    mistakes = {}
    if "spikes" in record:
        mistakes["a bool takes one byte in NumPy and torch, not one bit."] = float(
            (budget_bytes - fixed) // (per_step - 7 / 8 * N))
    if per_step64 != per_step:
        mistakes[f"that is the answer for float64; the record is {dtype}."] = float(
            (budget_bytes - fixed) // per_step64)
    return check_value(answer, expected, what=f"the longest run that fits ({N:.0e} neurons)", unit="steps",
                       rtol=0, atol=1.0, mistakes=mistakes, explain="budget / (N x bytes per neuron and step)",
                       hint="Bytes per step: N x (1 for spikes + itemsize for v).")


def check_chunked_counts(answer, n: int = 20_000, steps: int = 5_000) -> Feedback:
    """Check spike counts from a run done in pieces against one ``run`` of the whole simulation.

    The set-up of the chapter 6 "Build" exercise: ``CLIFPopulation(n=n)`` (float64, exact
    integrator) under the constant currents ``np.linspace(1.5, 4.0, n)`` nA for ``steps`` steps.
    """
    if answer is Ellipsis or answer is None:
        return _not_answered(f"the spike counts of the {n} neurons", "your array of counts")
    if hasattr(answer, "detach") and hasattr(answer, "cpu"):
        answer = answer.detach().cpu().numpy()
    counts = np.asarray(answer) if not isinstance(answer, (str, bytes)) else np.asarray(None, dtype=object)
    if counts.dtype.kind not in "iuf":
        return Feedback(False, f"answer: expected an array of {n} spike counts, got {_a(type(answer).__name__)}.")
    if counts.shape != (n,):
        return Feedback(False, f"answer: expected spike counts of shape ({n},) (one per neuron), "
                               f"got shape {counts.shape}.")
    if not np.all(np.isfinite(counts)) or np.any(counts != np.round(counts)):
        return Feedback(False, "answer: spike counts are whole numbers; did you store rates instead of counts?")
    expected = CLIFPopulation(n=n).run(np.linspace(1.5, 4.0, n), steps=steps, record="count").spike_counts()
    diff = counts.astype(np.int64) - np.asarray(expected, dtype=np.int64)
    if not diff.any():
        return Feedback(True, f"correct: the counts of all {n} neurons equal those of one run of {steps} steps.")
    wrong = int(np.count_nonzero(diff))
    if counts.sum() < expected.sum():
        why = ("fewer spikes than one run: does each piece start again from rest? run() continues from the "
               "current state; reset_state_variables() (or a new population) would start over.")
    elif counts.sum() > expected.sum():
        why = "more spikes than one run: did you run more steps than asked, or count a piece twice?"
    else:
        why = "give every piece the same currents and the same number of steps in all."
    return Feedback(False, f"{wrong} of {n} neurons differ from one run of {steps} steps: {why}")


__all__ += ["check_bytes_per_update", "check_record_steps", "check_chunked_counts"]


# -- chapter 4: the bistable EIF ---------------------------------------------------------------------
def check_bistable_edge(answer, params=None, rtol: float = 0.02, **overrides) -> Feedback:
    """Check the lower edge (nA) of the EIF's bistable range: the smallest current with tonic firing from reset.

    ``I_low = (u_reset - u_rest - delta_T exp((u_reset - theta_rh)/delta_T)) / R`` for
    ``u_reset > theta_rh`` (:func:`lifbook.theory.eif_bistable_range`); with ``u_reset <=
    theta_rh`` there is no bistability and the edge is the rheobase.
    """
    p = (params or ELIFParams()).replace(**overrides)
    low, rh = (float(v) for v in theory.eif_bistable_range(p))
    x = (p.u_reset - p.theta_rh) / p.delta_T
    mistakes = {
        "that is the rheobase, the upper edge: where the resting state vanishes. The lower edge is where "
        "the orbit vanishes, when the unstable fixed point reaches u_reset.": rh,
        "that leaves out the exponential term: at u_reset it is delta_T exp((u_reset - theta_rh)/delta_T), "
        "not negligible above theta_rh.": (p.u_reset - p.u_rest) / p.R,
        "check the signs: the orbit exists while F(u_reset) + R I > 0, so R I_low = -F(u_reset) = "
        "(u_reset - u_rest) - delta_T exp(...).": -low,
        "that is a voltage (mV); divide by R (MOhm) to get nA.": low * p.R,
    }
    return check_value(answer, low, what="the lower edge of the bistable range", unit="nA", rtol=rtol,
                       atol=1e-3, explain="(u_reset - u_rest - delta_T exp((u_reset - theta_rh)/delta_T))/R"
                       if x > 0 else "no bistability: u_reset <= theta_rh, so it is the rheobase",
                       mistakes=mistakes, hint="Where does the unstable fixed point reach u_reset?")


__all__ += ["check_bistable_edge"]


# -- Lapicque's strength-duration curve (chapter 2) ----------------------------------------------
def check_strength_duration(answer, duration: float, params=None, rtol: float = 0.01, **overrides) -> Feedback:
    """Check the threshold current (nA) of a pulse of ``duration`` ms for a LIF neuron at rest.

    Expected: :func:`lifbook.theory.lif_strength_duration`, ``I_rh / (1 - exp(-duration/tau_m))``.

    >>> check_strength_duration(4.0, 5.545)
    correct: the threshold current of a 5.545 ms pulse is 4 nA (I_rh / (1 - exp(-T/tau_m))).
    """
    p = (params or CLIFParams()).replace(**overrides)
    if not (np.isfinite(duration) and duration > 0):
        raise ValueError(f"duration: expected a pulse length > 0 in ms, got {duration!r}")
    expected = float(theory.lif_strength_duration(duration, p))
    rh = float(theory.lif_rheobase(p))
    x = np.exp(-duration / p.tau_m)
    mistakes = {
        "that is the rheobase, the threshold of an infinitely long pulse; a pulse of finite length "
        "needs more, because u has only that long to charge.": rh,
        "that uses exp(-T/tau_m) where the charged fraction is 1 - exp(-T/tau_m).": rh / x,
        "that starts from u_reset; the pulse finds the neuron at rest, u_rest.":
            (p.u_th - p.u_reset) / p.R / (1 - x),
        "that is I_rh (1 - exp(-T/tau_m)); the fraction divides the rheobase.": rh * (1 - x),
    }
    return check_value(answer, expected, what=f"the threshold current of a {duration:g} ms pulse", unit="nA",
                       rtol=rtol, explain="I_rh / (1 - exp(-T/tau_m))", mistakes=mistakes,
                       hint="Set u(T) = u_th in u(t) = u_rest + R I (1 - exp(-t/tau_m)) and solve for I.")


def check_chronaxie(answer, params=None, rtol: float = 0.01, **overrides) -> Feedback:
    """Check the chronaxie (ms) of a LIF neuron: the pulse length that needs twice the rheobase.

    Expected: :func:`lifbook.theory.lif_chronaxie`, ``tau_m ln 2``.

    >>> check_chronaxie(5.545)
    correct: the chronaxie is 5.545 ms (tau_m ln 2).
    """
    p = (params or CLIFParams()).replace(**overrides)
    expected = float(theory.lif_chronaxie(p))
    mistakes = {
        "that is tau_m; at T = tau_m the pulse needs I_rh / (1 - 1/e), about 1.58 times the rheobase.":
            float(p.tau_m),
        "that is tau_m / ln 2; solve 1 - exp(-T/tau_m) = 1/2 for T.": float(p.tau_m / np.log(2.0)),
        "that uses log10; the natural logarithm undoes exp.": float(p.tau_m * np.log10(2.0)),
    }
    return check_value(answer, expected, what="the chronaxie", unit="ms", rtol=rtol, explain="tau_m ln 2",
                       mistakes=mistakes, hint="Set the threshold current to 2 I_rh and solve for the duration.")


__all__ += ["check_strength_duration", "check_chronaxie"]


# -- checks for chapter 7 (irregular firing) ------------------------------------------------------
def check_isi_cv(answer, I: float, sigma: float, params=None, rtol: float = 0.1, **overrides) -> Feedback:
    """Check the CV of the interspike intervals of LIF neurons under white noise (mean ``I``, amplitude ``sigma``, nA).

    Expected: the diffusion approximation on lifbook's grid, :func:`lifbook.theory.lif_cv_diffusion`
    with ``on_grid=True``. The default tolerance of 10% allows for a CV measured from a
    simulation of about a hundred neurons for a second (a CV from few intervals per neuron is
    biased low).

    >>> check_isi_cv(0.76, 1.4, 0.6)
    correct: the ISI CV at I = 1.4 nA, sigma = 0.6 nA is 0.7644 (diffusion approximation on the grid).
    """
    p = (params or CLIFParams()).replace(**overrides)
    expected = float(theory.lif_cv_diffusion(I, sigma, p, on_grid=True))
    mistakes = {}
    if expected < 0.85:
        mistakes["that is the CV of a Poisson process; at this input the intervals are more regular than that."] = 1.0
    if expected > 0.3:
        mistakes["that looks like the variance of the intervals over their squared mean (CV squared); take the "
                 "square root."] = expected ** 2
    return check_value(answer, expected, what=f"the ISI CV at I = {I:g} nA, sigma = {sigma:g} nA", unit="",
                       rtol=rtol, explain="diffusion approximation on the grid", mistakes=mistakes,
                       hint="CV = std(ISI) / mean(ISI); pool many intervals (many neurons or a long run).")


def check_membrane_variance(answer, rate: float, weight: float, n_sources: int = 1, tau_m: float = 8.0,
                            tau_syn: float = 0.0, rtol: float = 0.02) -> Feedback:
    """Check the variance (mV^2) of the free potential under Poisson shot noise (Campbell's theorem).

    ``n_sources`` Poisson trains of ``rate`` Hz, weight ``weight`` mV, on a delta port
    (``tau_syn = 0``) or an exponential one; expected: ``var_u`` of
    :func:`lifbook.network.theory.shot_noise` (delta port: ``lambda w^2 tau_m / 2``).

    >>> check_membrane_variance(1.28, 10.0, 0.2, n_sources=800)
    correct: the variance of the potential is 1.28 mV^2 (Campbell's theorem: lambda int h^2).
    """
    from .network.theory import shot_noise

    s = shot_noise(rate, weight, n_sources=n_sources, tau_syn=tau_syn, tau_m=tau_m)
    expected = float(s["var_u"])
    mistakes = {
        "that is twice the variance: the integral of exp(-2t/tau_m) gives tau_m / 2.": 2.0 * expected,
        "that is the standard deviation (mV); square it for the variance.": float(np.sqrt(expected)),
        "that uses w instead of w^2 (Campbell: the variance is lambda times the integral of h squared).":
            float(expected / weight) if weight else float("nan"),
        "that is the mean of the potential (lambda w tau), not its variance.": float(s["mean_u"]),
    }
    return check_value(answer, expected, what="the variance of the potential", unit="mV^2", rtol=rtol,
                       explain="Campbell's theorem: lambda int h^2", mistakes=mistakes,
                       hint="The total input rate is n_sources * rate; convert Hz to 1/ms.")


__all__ += ["check_isi_cv", "check_membrane_variance"]


def check_dead_time_cv(answer, rate: float, t_ref: float, rtol: float = 0.01) -> Feedback:
    """Check the CV of a Poisson process with a dead time: ``1 - rate t_ref`` (``rate`` Hz, ``t_ref`` ms).

    Intervals are ``t_ref`` plus an exponential interval of mean ``1/rate - t_ref``: the standard
    deviation is that mean, so ``CV = (1/rate - t_ref) / (1/rate) = 1 - rate t_ref``.

    >>> check_dead_time_cv(0.9, 50.0, 2.0)
    correct: the CV of a Poisson process with dead time is 0.9 (1 - rate t_ref).
    """
    nu = rate * 1e-3  # 1/ms
    if not 0 < nu * t_ref < 1:
        raise ValueError(f"rate, t_ref: need 0 < rate t_ref < 1, got {rate} Hz and {t_ref} ms")
    expected = 1.0 - nu * t_ref
    mistakes = {"that is the CV without the dead time (a Poisson process).": 1.0,
                "that is the squared CV (variance over squared mean).": expected ** 2,
                "that is std / mean with the exponential part's own mean: use the mean of the whole interval.":
                    1.0 / (1.0 - nu * t_ref)}
    return check_value(answer, expected, what="the CV of a Poisson process with dead time", unit="", rtol=rtol,
                       explain="1 - rate t_ref", mistakes=mistakes,
                       hint="The dead time adds to the mean of the interval but not to its spread.")


__all__ += ["check_dead_time_cv"]


# -- chapter 8: networks of CLIF neurons ---------------------------------------------------------
def check_cuba_rate(answer, seed: int = 1, duration: float = 1000.0, rtol: float = 0.02) -> Feedback:
    """Check the mean rate (Hz) of the CUBA network :func:`lifbook.network.cuba` with ``seed``, run
    for ``duration`` ms: the check runs the same seeded network (a few seconds) and compares with
    its mean rate over all neurons and the whole run.
    """
    from . import network

    rec = network.cuba(seed=seed).run(duration)
    expected = rec.mean_rate()
    rate_e, rate_i = rec.mean_rate("E"), rec.mean_rate("I")
    mistakes = {"that looks like a rate in spikes per ms; multiply by 1000 for Hz.": expected / 1e3,
                "that is the number of spikes per neuron; divide by the duration in seconds.":
                    expected * duration / 1e3}
    return check_value(answer, expected, what=f"the mean rate of CUBA (seed {seed}, {duration:g} ms)",
                       unit="Hz", rtol=rtol, atol=1e-9, mistakes=mistakes,
                       explain=f"E {rate_e:.3g} Hz, I {rate_i:.3g} Hz",
                       hint="Count all spikes of all 4000 neurons, divide by 4000 and by the duration in s.")


def check_brunel_rate(answer, g: float = 5.0, nu_ext_ratio: float = 2.0, rtol: float = 0.15, **model) -> Feedback:
    """Check a rate (Hz) of Brunel's model A, simulated or computed, against the mean-field rate
    :func:`lifbook.network.theory.brunel_rate` (``model``: its keywords, ``C_E``, ``J``, ...).

    The default tolerance of 15% allows for the finite size of a scaled-down network (the
    chapter's reduced networks fire up to about 10% above the mean field in the AI state).
    """
    from .network import brunel_nu_thr
    from .network import theory as nt

    expected = nt.brunel_rate(g, nu_ext_ratio, **model)
    kw = {k: model[k] for k in ("J", "C_E", "theta", "tau_m") if k in model}
    nu_ext = nu_ext_ratio * brunel_nu_thr(**kw)
    t_ref = model.get("t_ref", 2.0)
    mistakes = {"that is nu_ext, the rate of each external Poisson source, not the network's rate.": nu_ext,
                "that is 1/t_ref, the largest rate a neuron can reach.": 1e3 / t_ref,
                "that looks like a rate in spikes per ms; multiply by 1000 for Hz.": expected / 1e3}
    return check_value(answer, expected, what=f"the rate at g = {g:g}, nu_ext = {nu_ext_ratio:g} nu_thr",
                       unit="Hz", rtol=rtol, atol=1e-9, mistakes=mistakes, explain="mean-field rate",
                       hint="Measure after the initial transient (100 ms) and average over all neurons.")


def check_balance_g(answer, C_E: int = 1000, C_I: int = 250) -> Feedback:
    """Check the relative inhibition ``g`` at which the mean recurrent input of Brunel's model A
    vanishes: ``C_E J nu - C_I g J nu = 0``, so ``g = C_E / C_I`` (4 for ``gamma = C_I / C_E = 1/4``).
    """
    if not (C_E >= 1 and C_I >= 1):
        raise ValueError(f"C_E, C_I: expected in-degrees >= 1, got {C_E!r}, {C_I!r}")
    expected = C_E / C_I
    mistakes = {"that is gamma = C_I / C_E; the inhibitory weight g J must make up for the larger number "
                "of excitatory inputs, so g = C_E / C_I.": C_I / C_E,
                "that is Brunel's AI point; the balance point is where the recurrent mean vanishes.": 5.0}
    return check_value(answer, expected, what="the balance point g", unit="", rtol=0.01,
                       explain="C_E / C_I", mistakes=mistakes,
                       hint="Write the mean recurrent input C_E J nu tau_m - C_I g J nu tau_m and set it to 0.")


def check_poisson_fed_cv(answer, g: float = 5.0, nu_ext_ratio: float = 2.0, rtol: float = 0.08) -> Feedback:
    """Check the ISI CV (no unit) of unconnected model-A neurons fed Poisson input at the mean-field
    rates: compared with the diffusion approximation :func:`lifbook.network.theory.isi_cv_diffusion`
    at the mean-field input (the chapter measures about 4% below it: jumps of 0.1 mV, the grid).
    """
    from .network import brunel_nu_thr
    from .network import theory as nt

    nu = nt.brunel_rate(g, nu_ext_ratio)
    mu, sigma = nt.brunel_mu_sigma(nu, g, nu_ext_ratio * brunel_nu_thr())
    expected = nt.isi_cv_diffusion(mu, sigma)
    mistakes = {"that is the CV of a Poisson process; these neurons are driven close to threshold and "
                "fire more regularly.": 1.0}
    return check_value(answer, expected, what=f"the CV under Poisson input (g = {g:g}, "
                       f"nu_ext = {nu_ext_ratio:g} nu_thr)", unit="", rtol=rtol,
                       explain="diffusion approximation at the mean-field input", mistakes=mistakes,
                       hint="Give each neuron C_E sources at nu_ext + nu (weight J) and C_I at nu (weight -g J).")


__all__ += ["check_cuba_rate", "check_brunel_rate", "check_balance_g", "check_poisson_fed_cv"]
