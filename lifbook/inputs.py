"""Input currents as functions of time: step, ramp, sine, Ornstein-Uhlenbeck noise.

Each generator returns a :class:`Current`, a vectorised function ``I(t)`` (nA) of a NumPy
array of times ``t`` (ms, shape ``(T,)``) returning shape ``(T, *s)``, where ``s`` is the shape
of its amplitude (``()`` for a scalar: one current for every neuron). Currents add and scale
(``step(1.0, 10, 50) + 0.5 * sine(0.2, 10)``); shapes after the time axis broadcast as NumPy
does. Pass a current to :meth:`CLIFPopulation.run <lifbook.CLIFPopulation.run>` with ``steps``, or sample it with
:meth:`Current.sample`.

Noise is reproducible: an :func:`ornstein_uhlenbeck` current with a ``seed`` returns the same
values every time it is evaluated on the same time grid.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["Current", "constant", "step", "ramp", "sine", "ornstein_uhlenbeck", "from_function"]


def _amp(name, value) -> np.ndarray:
    if isinstance(value, (str, bytes, bool)):
        raise TypeError(f"{name}: expected a number or array of numbers (nA), got {value!r}")
    a = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    return a


def _scalar(name, value, unit, minimum=None, strict=False) -> float:
    if isinstance(value, (str, bytes, bool)) or np.ndim(value) != 0:
        raise TypeError(f"{name}: expected a number ({unit}), got {value!r}")
    v = float(value)
    if np.isnan(v):
        raise ValueError(f"{name}: expected a number ({unit}), got nan")
    if minimum is not None and (v <= minimum if strict else v < minimum):
        raise ValueError(f"{name}: must be {'>' if strict else '>='} {minimum} {unit}, got {v:g}")
    return v


def _times(t) -> np.ndarray:
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError(f"t: expected a 1-d array of times (ms), got shape {t.shape}")
    return t


def _align(a: np.ndarray, ndim: int) -> np.ndarray:
    """Insert singleton axes after the time axis so the non-time shapes broadcast right-aligned."""
    return a.reshape(a.shape[:1] + (1,) * (ndim - a.ndim) + a.shape[1:])


class Current:
    """A current ``I(t)`` in nA; call it on an array of times (ms)."""

    def __call__(self, t) -> np.ndarray:
        t = _times(t)
        return self._eval(t)

    def _eval(self, t: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample(self, steps: int, dt: float = 0.1, t0: float = 0.0) -> np.ndarray:
        """Values at the step start times ``t0 + dt * arange(steps)``; shape ``(steps, *s)``."""
        return self(t0 + dt * np.arange(int(steps)))

    # algebra
    def __add__(self, other):
        return _Sum(self, _lift(other))

    __radd__ = __add__

    def __sub__(self, other):
        return _Sum(self, _Scaled(_lift(other), -1.0))

    def __rsub__(self, other):
        return _Sum(_lift(other), _Scaled(self, -1.0))

    def __mul__(self, k):
        if isinstance(k, Current):
            raise TypeError("a current can be scaled by a number or array, not multiplied by another current")
        return _Scaled(self, _amp("scale", k))

    __rmul__ = __mul__

    def __neg__(self):
        return _Scaled(self, -1.0)


def _lift(x) -> Current:
    return x if isinstance(x, Current) else constant(x)


class _Sum(Current):
    def __init__(self, a: Current, b: Current):
        self.a, self.b = a, b

    def _eval(self, t):
        x, y = self.a._eval(t), self.b._eval(t)
        nd = max(x.ndim, y.ndim)
        return _align(x, nd) + _align(y, nd)

    def __repr__(self):
        return f"({self.a!r} + {self.b!r})"


class _Scaled(Current):
    def __init__(self, a: Current, k):
        self.a, self.k = a, np.asarray(k, dtype=np.float64)

    def _eval(self, t):
        x = self.a._eval(t)
        nd = max(x.ndim, self.k.ndim + 1)
        return _align(x, nd) * self.k

    def __repr__(self):
        return f"{self.k.tolist()!r} * {self.a!r}"


class _Function(Current):
    def __init__(self, f: Callable, name: str, shape: tuple[int, ...]):
        self.f, self.name, self.shape = f, name, shape

    def _eval(self, t):
        return self.f(t)

    def __repr__(self):
        return self.name


def constant(amplitude) -> Current:
    """``I(t) = amplitude`` (nA).

    Examples
    --------
    >>> import numpy as np
    >>> from lifbook import inputs
    >>> inputs.constant(1.5)(np.array([0.0, 5.0]))
    array([1.5, 1.5])
    """
    a = _amp("amplitude", amplitude)
    return _Function(lambda t: np.broadcast_to(a, t.shape + a.shape).copy(), f"constant({amplitude!r})", a.shape)


def step(amplitude, start: float = 0.0, stop: float = np.inf, baseline=0.0) -> Current:
    """A step current: ``I(t) = amplitude`` for ``start <= t < stop`` (ms), ``baseline`` otherwise.

    Parameters
    ----------
    amplitude : float or array_like
        Current during the step (nA); an array gives one amplitude per neuron.
    start, stop : float
        Start and end of the step (ms); ``stop`` defaults to never.
    baseline : float or array_like
        Current outside the step (nA).

    Returns
    -------
    Current
        A function of time (ms) that :meth:`CLIFPopulation.run <lifbook.CLIFPopulation.run>`
        accepts; currents add and scale (``step(...) + 0.5``, ``2 * step(...)``).

    Examples
    --------
    >>> import numpy as np
    >>> from lifbook import inputs
    >>> I = inputs.step(2.5, start=10.0, stop=90.0)
    >>> I(np.array([0.0, 50.0, 95.0]))
    array([0. , 2.5, 0. ])
    """
    a, b = _amp("amplitude", amplitude), _amp("baseline", baseline)
    start = _scalar("start", start, "ms")
    stop = _scalar("stop", stop, "ms")
    if stop <= start:
        raise ValueError(f"stop: must be > start, got start={start:g} ms, stop={stop:g} ms")
    shape = np.broadcast_shapes(a.shape, b.shape)

    def f(t):
        on = ((t >= start) & (t < stop)).reshape(t.shape + (1,) * len(shape))
        return np.where(on, a, b) + np.zeros(shape)

    return _Function(f, f"step({amplitude!r}, start={start:g}, stop={stop:g})", shape)


def ramp(start_amplitude, end_amplitude, start: float, stop: float, hold: bool = True) -> Current:
    """Linear ramp from ``start_amplitude`` at ``start`` to ``end_amplitude`` at ``stop`` (ms, nA).

    Before ``start`` the current is 0; after ``stop`` it stays at ``end_amplitude`` if ``hold``,
    else 0.
    """
    a0, a1 = _amp("start_amplitude", start_amplitude), _amp("end_amplitude", end_amplitude)
    start = _scalar("start", start, "ms")
    stop = _scalar("stop", stop, "ms")
    if stop <= start:
        raise ValueError(f"stop: must be > start, got start={start:g} ms, stop={stop:g} ms")
    shape = np.broadcast_shapes(a0.shape, a1.shape)

    def f(t):
        tt = t.reshape(t.shape + (1,) * len(shape))
        frac = np.clip((tt - start) / (stop - start), 0.0, 1.0)
        value = a0 + (a1 - a0) * frac
        on = (tt >= start) & ((tt < stop) | hold)
        return np.where(on, value, 0.0) + np.zeros(shape)

    return _Function(f, f"ramp({start_amplitude!r}->{end_amplitude!r}, {start:g}..{stop:g} ms)", shape)


def sine(amplitude, frequency: float, offset=0.0, phase: float = 0.0, start: float = 0.0) -> Current:
    """``I(t) = offset + amplitude sin(2 pi frequency (t - start)/1000 + phase)`` for ``t >= start``.

    ``frequency`` in Hz, ``t`` in ms, ``phase`` in radians; before ``start`` the current is ``offset``.

    Examples
    --------
    A quarter period of 50 Hz is 5 ms:

    >>> import numpy as np
    >>> from lifbook import inputs
    >>> inputs.sine(1.0, 50.0, offset=2.0)(np.array([0.0, 5.0]))
    array([2., 3.])
    """
    a, o = _amp("amplitude", amplitude), _amp("offset", offset)
    freq = _scalar("frequency", frequency, "Hz", minimum=0.0)
    phase = _scalar("phase", phase, "rad")
    start = _scalar("start", start, "ms")
    shape = np.broadcast_shapes(a.shape, o.shape)

    def f(t):
        tt = t.reshape(t.shape + (1,) * len(shape))
        osc = np.sin(2 * np.pi * freq * (tt - start) * 1e-3 + phase)
        return o + np.where(tt >= start, a * osc, 0.0)

    return _Function(f, f"sine({amplitude!r}, {freq:g} Hz)", shape)


class _OrnsteinUhlenbeck(Current):
    def __init__(self, mean, sigma, tau, shape, seed):
        self.mean = _amp("mean", mean)
        self.sigma = _amp("sigma", sigma)
        if np.any(self.sigma < 0):
            raise ValueError(f"sigma: must be >= 0 nA, got {sigma!r}")
        self.tau = _scalar("tau", tau, "ms", minimum=0.0, strict=True)
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        self.shape = np.broadcast_shapes(tuple(shape), self.mean.shape, self.sigma.shape)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed: expected an int or None, got {seed!r}")
        self.seed = seed

    def _eval(self, t):
        T = len(t)
        if T == 0:
            return np.zeros((0, *self.shape))
        if T > 1:
            dts = np.diff(t)
            dt = dts[0]
            if dt <= 0 or not np.allclose(dts, dt, rtol=1e-9, atol=1e-12):
                raise ValueError("t: Ornstein-Uhlenbeck noise needs a uniform, increasing time grid")
        else:
            dt = 1.0
        rng = np.random.default_rng(self.seed)
        xi = rng.standard_normal((T, *self.shape))
        a = np.exp(-dt / self.tau)
        b = np.sqrt(-np.expm1(-2 * dt / self.tau))
        out = np.empty((T, *self.shape))
        x = xi[0]  # start in the stationary distribution
        out[0] = x
        for k in range(1, T):
            x = a * x + b * xi[k]
            out[k] = x
        return self.mean + self.sigma * out

    def __repr__(self):
        return (f"ornstein_uhlenbeck(mean={self.mean.tolist()!r}, sigma={self.sigma.tolist()!r}, "
                f"tau={self.tau:g}, shape={self.shape}, seed={self.seed})")


def ornstein_uhlenbeck(mean=0.0, sigma=1.0, tau: float = 5.0, shape=(), seed: int | None = None) -> Current:
    """Ornstein-Uhlenbeck (coloured) noise: ``tau dI = -(I - mean) dt + sigma sqrt(2 tau) dW``.

    Stationary mean ``mean`` and standard deviation ``sigma`` (nA), correlation time ``tau``
    (ms), independent for each of ``shape`` neurons. Sampled with the exact update
    ``I' = mean + (I - mean) e^{-dt/tau} + sigma sqrt(1 - e^{-2 dt/tau}) xi`` on the grid the
    current is evaluated on, starting in the stationary distribution. With ``seed`` the values
    are a fixed function of the seed and the grid.
    """
    return _OrnsteinUhlenbeck(mean, sigma, tau, shape, seed)


def from_function(f: Callable, name: str = "custom") -> Current:
    """Wrap a vectorised function ``f(t) -> array (T, ...)`` as a :class:`Current`."""
    if not callable(f):
        raise TypeError(f"f: expected a callable, got {type(f).__name__}")
    return _Function(lambda t: np.asarray(f(t), dtype=np.float64), name, ())
