"""Argument checks shared by lifbook: one message form for every module.

Every message starts with the argument's name, then says what is expected and what was given::

    n: expected an int >= 1, got 2.5 (float)
    method: expected one of 'exact', 'euler', got 'rk4'
    tau: not a CLIF parameter; did you mean tau_m? Valid: tau_m, u_rest, u_reset, u_th, R, t_ref, tau_syn, dt

Types that cannot be right raise ``TypeError``, values of the right type that are out of range
``ValueError`` (Python's convention), in both cases without a chained traceback (``from None``),
so the message is the last, short line a student reads. :class:`UnitWarning` flags inputs that
are valid numbers but almost certainly in the wrong unit.
"""
from __future__ import annotations

import difflib
import math
import numbers
from typing import Iterable

import numpy as np

__all__ = ["UnitWarning", "int_at_least", "positive_int", "optional_positive_int", "choice", "param_names", "suggest",
           "real_array", "real_number", "nonnegative", "type_name"]


class UnitWarning(UserWarning):
    """An input that is valid but far outside the physiological range: most likely a unit slip
    (pA for nA, V for mV, s for ms). lifbook warns once per population and carries on."""


def type_name(value) -> str:
    return type(value).__name__


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def int_at_least(name: str, value, minimum: int, what: str = "") -> int:
    """``value`` as an ``int >= minimum``; ``TypeError`` for non-integers (``2.0``, ``True``), ``ValueError``
    below ``minimum``. ``what`` is added in parentheses (``"n: expected an int >= 3 (two intervals), got 2"``)."""
    w = f" ({what})" if what else ""
    if not _is_int(value):
        raise TypeError(f"{name}: expected an int >= {minimum}{w}, got {value!r} ({type_name(value)})")
    if value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}{w}, got {value!r}")
    return int(value)


def positive_int(name: str, value) -> int:
    """``value`` as an ``int >= 1`` (:func:`int_at_least`)."""
    return int_at_least(name, value, 1)


def optional_positive_int(name: str, value) -> int | None:
    """``None`` or an ``int >= 1`` (as :func:`positive_int`)."""
    if value is None:
        return None
    if not _is_int(value):
        raise TypeError(f"{name}: expected an int >= 1 or None, got {value!r} ({type_name(value)})")
    return positive_int(name, value)


def suggest(given: str, options: Iterable[str]) -> str | None:
    """The option closest to ``given`` (``difflib``, case-insensitive), or ``None`` if none is close.

    A name that differs only by a prefix or suffix (``tau`` for ``tau_m``, ``th`` for ``u_th``)
    counts as close too."""
    options = [str(o) for o in options]
    if not isinstance(given, str):
        return None
    low = {o.lower(): o for o in options}
    g = given.lower()
    if g in low:
        return low[g]
    close = difflib.get_close_matches(g, list(low), n=1, cutoff=0.6)
    if close:
        return low[close[0]]
    parts = [o for o in options if g and (o.lower().startswith(g) or o.lower().endswith(g)
                                          or g.startswith(o.lower()))]
    return parts[0] if len(parts) == 1 else None


def choice(name: str, value, options: Iterable):
    """``value`` if it is one of ``options``, else ``ValueError`` listing them (and the closest one)."""
    options = tuple(options)
    try:
        ok = value in options
    except TypeError:  # unhashable or incomparable
        ok = False
    if ok:
        return value
    shown = ", ".join(repr(o) for o in options)
    close = suggest(value, [o for o in options if isinstance(o, str)]) if isinstance(value, str) else None
    hint = f"; did you mean {close!r}?" if close is not None else ""
    raise ValueError(f"{name}: expected one of {shown}, got {value!r}{hint}")


def param_names(given: Iterable[str], valid: Iterable[str], what: str, notes: dict | None = None) -> None:
    """``TypeError`` (Python's error for an unexpected keyword) unless every name in ``given`` is in ``valid``.

    The message names the first unknown parameter, suggests the closest valid one (or gives
    ``notes[name]``, e.g. where that parameter belongs) and lists all::

        tau: not a CLIF parameter; did you mean tau_m? Valid: tau_m, u_rest, ...
    """
    valid = list(valid)
    unknown = [g for g in given if g not in valid]
    if not unknown:
        return
    first = unknown[0]
    close = None if notes and first in notes else suggest(first, valid)
    hint = f" ({notes[first]})." if notes and first in notes else (f"; did you mean {close}?" if close else ".")
    more = f" (also unknown: {', '.join(unknown[1:])})" if len(unknown) > 1 else ""
    raise TypeError(f"{first}: not {what}{hint} Valid: {', '.join(valid)}{more}")


def real_array(name: str, value, unit: str = "", *, ndim: int | None = None, nonempty: bool = True,
               finite: bool = True) -> np.ndarray:
    """``value`` as a float64 array (strings, booleans and complex numbers refused).

    ``ndim=1`` also accepts a scalar (as one element); ``nonempty`` refuses size 0; ``finite``
    refuses NaN and inf."""
    u = f" ({unit})" if unit else ""
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None or value is Ellipsis:
        raise TypeError(f"{name}: expected numbers{u}, got {value!r}")
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except Exception:
        raise TypeError(f"{name}: expected numbers{u}, got {type_name(value)}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected real numbers{u}, got {type_name(value)} of dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if ndim == 1 and arr.ndim == 0:
        arr = arr.reshape(1)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-d array{u}, got shape {arr.shape}")
    if nonempty and arr.size == 0:
        raise ValueError(f"{name}: expected at least one value{u}, got an empty array")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite numbers{u}, got {value!r:.80}")
    return arr


def real_number(name: str, value, unit: str, lo: float | None = None, strict: bool = False) -> float:
    """``value`` as a finite ``float``; ``TypeError`` for a non-number (``"1"``, ``True``), ``ValueError`` if not
    finite or below ``lo`` (``strict``: at or below)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number ({unit}), got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be finite ({unit}), got {value!r}")
    if lo is not None and (value <= lo if strict else value < lo):
        raise ValueError(f"{name}: must be {'>' if strict else '>='} {lo:g} {unit}, got {value:g}")
    return value


def nonnegative(name: str, value, unit: str = ""):
    """``ValueError`` if any element of ``value`` is negative (or NaN); returns ``value``."""
    a = np.asarray(value, dtype=np.float64)
    if not np.all(a >= 0):
        raise ValueError(f"{name}: must be >= 0{' ' + unit if unit else ''}, got {value!r:.80}")
    return value
