"""Input currents as functions of time: step, ramp, sine, Ornstein-Uhlenbeck noise; white noise on the grid.

Each generator returns a :class:`Current`, a vectorised function ``I(t)`` (nA) of a NumPy
array of times ``t`` (ms, shape ``(T,)``) returning shape ``(T, *s)``, where ``s`` is the shape
of its amplitude (``()`` for a scalar: one current for every neuron). Currents add and scale
(``step(1.0, 10, 50) + 0.5 * sine(0.2, 10)``); shapes after the time axis broadcast as NumPy
does. Pass a current to :meth:`CLIFPopulation.run <lifbook.CLIFPopulation.run>` with ``steps``, or sample it with
:meth:`Current.sample`.

Separable currents (:func:`constant`, :func:`step`, :func:`ramp`, :func:`sine`, their sums and
scalings) are amplitudes per neuron times profiles in time; :meth:`Current.separable` gives them as
a :class:`Separable`, which :meth:`~lifbook.CLIFPopulation.run` evaluates inside the kernel, step by step,
without an array of shape ``(T, N)``. A single generator (scaled or not) gives bitwise the values
of its materialised evaluation; a sum of generators gives the same values summed term by term left
to right (within a few ulp of the materialised sum, whose parentheses may differ).

Noise is reproducible: an :func:`ornstein_uhlenbeck` current with a ``seed`` returns the same
values every time it is evaluated on the same time grid.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["Current", "Separable", "Streamed", "counter_normal", "constant", "step", "ramp", "sine",
           "ornstein_uhlenbeck", "from_function", "white_noise"]


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


class Separable:
    """A current on a time grid as a sum of separable terms: ``x[k] = sum_m amplitudes[m] * profiles[k, m]``.

    ``amplitudes``: float64 of shape ``(K, *s)`` (nA, broadcast to a common shape ``s``);
    ``profiles``: float64 of shape ``(T, K)`` (dimensionless). The sum runs left to right in
    float64 (``x = a0 p0; x += a1 p1; ...``), in the kernels and in ``__getitem__`` alike.
    Memory O(K N + T K), never O(T N). ``shape`` and ``len`` are those of the materialised input.
    """

    def __init__(self, amplitudes, profiles):
        self.amplitudes = np.ascontiguousarray(amplitudes, dtype=np.float64)
        self.profiles = np.ascontiguousarray(profiles, dtype=np.float64)
        if self.profiles.ndim != 2 or self.profiles.shape[1] != self.amplitudes.shape[0]:
            raise ValueError(f"profiles: expected shape (T, {self.amplitudes.shape[0]}), got {self.profiles.shape}")
        self.shape = (self.profiles.shape[0], *self.amplitudes.shape[1:])
        self.ndim = len(self.shape)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, k):
        """The input of step ``k`` (float64, shape ``s``)."""
        p = self.profiles[k]
        x = self.amplitudes[0] * p[0]
        for m in range(1, len(p)):
            x = x + self.amplitudes[m] * p[m]
        return x

    def peak(self) -> float:
        """``max |x|`` over the grid: exact over the distinct time profiles when there are few, else a bound."""
        rows = np.unique(self.profiles, axis=0)
        if len(rows) <= 64:
            return max(float(np.max(np.abs(self._at(r)))) for r in rows)
        amp = np.abs(self.amplitudes).reshape(len(self.amplitudes), -1).max(axis=1)
        return float(np.sum(amp * np.abs(self.profiles).max(axis=0)))

    def _at(self, p):
        x = self.amplitudes[0] * p[0]
        for m in range(1, len(p)):
            x = x + self.amplitudes[m] * p[m]
        return x

    def materialise(self) -> np.ndarray:
        """The whole input, shape ``(T, *s)`` (for tests and engines without separable support)."""
        return np.stack([self[k] for k in range(len(self))]) if len(self) else np.zeros(self.shape)


class Streamed:
    """A current on a time grid, evaluated block by block in order (noise with its state carried over).

    ``block(k0, k1)`` gives steps ``k0 <= k < k1`` (float64, shape ``(k1 - k0, *s)``), equal to
    the same rows of the whole-grid evaluation; blocks are asked for in order from step 0
    (``__getitem__(k)`` keeps a block of :data:`STREAM_BLOCK` steps). Memory: one block.
    """

    STREAM_BLOCK = 16

    def __init__(self, current, t, shape):
        self.current, self.t = current, np.asarray(t, dtype=np.float64)
        self.shape = (len(self.t), *shape)
        self.ndim = len(self.shape)
        self._ctx: dict = {}
        self._cache = (0, 0, None)

    def __len__(self):
        return self.shape[0]

    #: ``(max_abs, name)``: each block is checked (finite, ``|x| <= max_abs``) when it is made.
    check = None

    def block(self, k0, k1):
        if k0 == 0:
            self._ctx = {}
        values = np.broadcast_to(self.current._block(self.t, k0, k1, self._ctx), (k1 - k0, *self.shape[1:]))
        if self.check is not None and values.size:
            lo, hi = float(values.min()), float(values.max())
            if not (np.isfinite(lo) and np.isfinite(hi)) or max(-lo, hi) > self.check[0]:
                raise ValueError(f"{self.check[1]}: the current reaches {lo if -lo > hi else hi!r} nA at steps "
                                 f"{k0}..{k1 - 1}; currents must be finite with |x| <= {self.check[0]:.3g} nA")
        if k1 > k0:
            self._tail = (k1 - 1, values[-1])
        return values

    _tail = (-1, None)

    def __getitem__(self, k):
        if k == self._tail[0]:  # the last step made (the population keeps it as its last input)
            return self._tail[1]
        c0, c1, values = self._cache
        if not c0 <= k < c1:
            c0, c1 = k, min(k + self.STREAM_BLOCK, len(self))
            values = self.block(c0, c1)
            self._cache = (c0, c1, values)
        return values[k - c0]


class Current:
    """A current ``I(t)`` in nA; call it on an array of times (ms)."""

    def _terms(self, t):
        """``[(amplitude, profile(t)), ...]`` if the current is separable, else ``None``."""
        return None

    def _block(self, t, k0, k1, ctx):
        """Steps ``k0 <= k < k1`` of this current on the grid ``t``: pointwise in time by default."""
        return self._eval(t[k0:k1])

    def _streamable(self) -> bool:
        """True if :meth:`_block` gives exactly the whole-grid values block by block."""
        return True

    def separable(self, t) -> Separable | None:
        """This current on the times ``t`` (ms) as a :class:`Separable`, or ``None`` (noise, custom functions)."""
        terms = self._terms(_times(t))
        if not terms:
            return None
        shape = np.broadcast_shapes(*(a.shape for a, _ in terms))
        amps = np.stack([np.broadcast_to(a, shape) for a, _ in terms])
        return Separable(amps, np.stack([np.broadcast_to(p, t.shape) for _, p in terms], axis=1))

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

    def _terms(self, t):
        a, b = self.a._terms(t), self.b._terms(t)
        return None if a is None or b is None else a + b

    def _streamable(self):
        return self.a._streamable() and self.b._streamable()

    def _block(self, t, k0, k1, ctx):
        x, y = self.a._block(t, k0, k1, ctx), self.b._block(t, k0, k1, ctx)
        nd = max(x.ndim, y.ndim)
        return _align(x, nd) + _align(y, nd)

    def _eval(self, t):
        x, y = self.a._eval(t), self.b._eval(t)
        nd = max(x.ndim, y.ndim)
        return _align(x, nd) + _align(y, nd)

    def __repr__(self):
        return f"({self.a!r} + {self.b!r})"


class _Scaled(Current):
    def __init__(self, a: Current, k):
        self.a, self.k = a, np.asarray(k, dtype=np.float64)

    def _terms(self, t):
        a = self.a._terms(t)
        return None if a is None else [(amp * self.k, p) for amp, p in a]

    def _streamable(self):
        return self.a._streamable()

    def _block(self, t, k0, k1, ctx):
        x = self.a._block(t, k0, k1, ctx)
        nd = max(x.ndim, self.k.ndim + 1)
        return _align(x, nd) * self.k

    def _eval(self, t):
        x = self.a._eval(t)
        nd = max(x.ndim, self.k.ndim + 1)
        return _align(x, nd) * self.k

    def __repr__(self):
        return f"{self.k.tolist()!r} * {self.a!r}"


class _Function(Current):
    def __init__(self, f: Callable, name: str, shape: tuple[int, ...], terms: Callable | None = None):
        self.f, self.name, self.shape, self.terms = f, name, shape, terms

    def _terms(self, t):
        return None if self.terms is None else self.terms(t)

    def _streamable(self):
        return self.terms is not None  # lifbook's generators are pointwise in time; custom functions may not be

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
    return _Function(lambda t: np.broadcast_to(a, t.shape + a.shape).copy(), f"constant({amplitude!r})", a.shape,
                     lambda t: [(a, np.ones_like(t))])


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

    def terms(t):
        on = ((t >= start) & (t < stop)).astype(np.float64)
        return [(a, on)] + ([(b, 1.0 - on)] if np.any(b != 0) else [])

    return _Function(f, f"step({amplitude!r}, start={start:g}, stop={stop:g})", shape, terms)


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

    def terms(t):
        on = ((t >= start) & ((t < stop) | hold)).astype(np.float64)
        frac = np.clip((t - start) / (stop - start), 0.0, 1.0)
        return [(a0, on), (a1 - a0, frac * on)]

    return _Function(f, f"ramp({start_amplitude!r}->{end_amplitude!r}, {start:g}..{stop:g} ms)", shape, terms)


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

    def terms(t):
        osc = np.sin(2 * np.pi * freq * (t - start) * 1e-3 + phase)
        return [(o, np.ones_like(t)), (a, np.where(t >= start, osc, 0.0))]

    return _Function(f, f"sine({amplitude!r}, {freq:g} Hz)", shape, terms)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (a bijection of uint64 with full avalanche), element-wise."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def counter_normal(seed: int, step, neuron) -> np.ndarray:
    """Standard normal numbers as a pure function of ``(seed, step, neuron)`` (a counter-based generator).

    The counter ``step * 2**32 + neuron`` (``step`` and ``neuron`` below ``2**32``) is hashed
    with the seed by SplitMix64's finaliser into two 53-bit uniforms ``u1`` in ``(0, 1]`` and
    ``u2`` in ``[0, 1)``, and ``z = sqrt(-2 ln u1) cos(2 pi u2)`` (Box-Muller): one N(0, 1) number
    per counter, independent of how many are drawn at once, in which order or by how many
    threads. ``step`` and ``neuron`` broadcast against each other (integer arrays).
    """
    with np.errstate(over="ignore"):
        key = _mix64(np.asarray(np.uint64(int(seed) & 0xFFFFFFFFFFFFFFFF) * _GOLDEN + _GOLDEN))
        counter = (np.asarray(step, dtype=np.uint64) << np.uint64(32)) | np.asarray(neuron, dtype=np.uint64)
        z1 = _mix64(counter ^ key)
        z2 = _mix64(z1 + _GOLDEN)
    u1 = ((z1 >> np.uint64(11)).astype(np.float64) + 1.0) * 2.0 ** -53
    u2 = (z2 >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


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

    def _grid(self, t):
        T = len(t)
        if T > 1:
            dts = np.diff(t)
            dt = dts[0]
            if dt <= 0 or not np.allclose(dts, dt, rtol=1e-9, atol=1e-12):
                raise ValueError("t: Ornstein-Uhlenbeck noise needs a uniform, increasing time grid")
        else:
            dt = 1.0
        return dt

    def _block(self, t, k0, k1, ctx):
        """Steps ``k0 <= k < k1`` of the grid ``t``; ``ctx`` carries the process between blocks."""
        st = ctx.get(id(self))
        if st is None or st["next"] != k0:
            if k0 != 0:
                raise ValueError("Ornstein-Uhlenbeck noise is generated in order, from the first step")
            dt = self._grid(t)
            seed = self.seed if self.seed is not None else int(np.random.SeedSequence().entropy % (1 << 63))
            st = ctx[id(self)] = {"next": 0, "x": None, "a": np.exp(-dt / self.tau),
                                  "b": np.sqrt(-np.expm1(-2 * dt / self.tau)), "seed": seed}
        neuron = np.arange(int(np.prod(self.shape)), dtype=np.uint64).reshape(self.shape)
        out = np.empty((k1 - k0, *self.shape))
        x, a, b = st["x"], st["a"], st["b"]
        for k in range(k0, k1):
            xi = counter_normal(st["seed"], k, neuron)
            x = xi if x is None else a * x + b * xi  # the first step: the stationary distribution
            out[k - k0] = x
        st["x"], st["next"] = x, k1
        return self.mean + self.sigma * out

    def _eval(self, t):
        if len(t) == 0:
            return np.zeros((0, *self.shape))
        return self._block(t, 0, len(t), {})

    def __repr__(self):
        return (f"ornstein_uhlenbeck(mean={self.mean.tolist()!r}, sigma={self.sigma.tolist()!r}, "
                f"tau={self.tau:g}, shape={self.shape}, seed={self.seed})")


def ornstein_uhlenbeck(mean=0.0, sigma=1.0, tau: float = 5.0, shape=(), seed: int | None = None) -> Current:
    """Ornstein-Uhlenbeck (coloured) noise: ``tau dI = -(I - mean) dt + sigma sqrt(2 tau) dW``.

    Stationary mean ``mean`` and standard deviation ``sigma`` (nA), correlation time ``tau``
    (ms), independent for each of ``shape`` neurons. Sampled with the exact update
    ``I' = mean + (I - mean) e^{-dt/tau} + sigma sqrt(1 - e^{-2 dt/tau}) xi`` on the grid the
    current is evaluated on, starting in the stationary distribution. With ``seed`` the values
    are a fixed function of the seed and the grid: the normal numbers ``xi`` of step ``k`` and
    neuron ``j`` (flat index in ``shape``) are :func:`counter_normal` ``(seed, k, j)``, so a run
    that generates the noise block by block (:meth:`~lifbook.CLIFPopulation.run` never holds more than a block
    of steps) gives the same values as one evaluation on the whole grid, whatever the block size
    or the number of threads. (lifbook before 0.x drew them from ``np.random.default_rng(seed)``:
    the same distribution, other numbers.)
    """
    return _OrnsteinUhlenbeck(mean, sigma, tau, shape, seed)


def from_function(f: Callable, name: str = "custom") -> Current:
    """Wrap a vectorised function ``f(t) -> array (T, ...)`` as a :class:`Current`."""
    if not callable(f):
        raise TypeError(f"f: expected a callable, got {type(f).__name__}")
    return _Function(lambda t: np.asarray(f(t), dtype=np.float64), name, ())


def white_noise(I, sigma, steps: int, shape=(), *, params=None, seed: int | None = None,
                **overrides) -> np.ndarray:
    """Input current (nA), shape ``(steps, *shape)``: mean ``I`` plus white noise of amplitude ``sigma``.

    The continuous-time input is ``I + sigma sqrt(tau_m) xi(t)`` (``I``, ``sigma`` in nA; ``xi``
    Gaussian white noise), the input of :func:`lifbook.theory.lif_rate_diffusion`. On lifbook's
    grid each step gets ``I + sigma_x xi_k`` with independent standard normal ``xi_k`` (one per
    step and neuron) and ``sigma_x = sigma sqrt((1 + a) / (2 (1 - a)))``, ``a = exp(-dt/tau_m)``:
    with the exact integrator the free potential on the grid is then exactly the
    Ornstein-Uhlenbeck process ``tau_m du/dt = -(u - u_rest) + R I + R sigma sqrt(tau_m) xi(t)``
    sampled every ``dt`` (mean ``u_rest + R I``, standard deviation ``R sigma / sqrt(2)``).
    ``sigma_x`` is about ``sigma sqrt(tau_m / dt)``: white noise is large on each step.

    ``I`` may be a scalar or an array that broadcasts to ``shape``; ``params`` (default
    :class:`~lifbook.params.CLIFParams`) and ``overrides`` give ``tau_m`` and ``dt``.
    """
    from .params import CLIFParams
    from .validate import nonnegative, positive_int

    p = (params or CLIFParams()).replace(**overrides) if overrides else (params or CLIFParams())
    steps = positive_int("steps", steps)
    nonnegative("sigma", sigma, "nA")
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    a = np.exp(-p.dt / np.asarray(p.tau_m, dtype=np.float64))
    sigma_x = np.asarray(sigma, dtype=np.float64) * np.sqrt((1 + a) / (2 * (1 - a)))
    xi = np.random.default_rng(seed).standard_normal((int(steps), *shape))
    return np.asarray(I, dtype=np.float64) + sigma_x * xi
