"""Populations, projections, Poisson drives and :class:`Network` (see :mod:`lifbook.network`)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import validate
from ..params import CLIFParams
from . import _rng

__all__ = ["Population", "Projection", "PoissonDrive", "Network", "NetworkRecord", "ENGINES"]

ENGINES = ("auto", "numba", "numpy", "torch")
#: Neurons per chunk of the neuron update with several threads, and with one (chunks never
#: straddle two populations; each chunk is one call of the kernel's passes per step).
CHUNK, CHUNK_SERIAL = 1024, 4096
#: Largest number of steps the numba engine updates the neurons for before it propagates their
#: spikes (a block never exceeds the smallest delay; see ``_kernel.run_steps``).
BLOCK_MAX = 16
#: Initial size of the spike output of one run (events), grown by doubling when a run needs more.
SPIKE_CAP_MIN, SPIKE_CAP_MAX = 1 << 16, 1 << 22


# -- validation helpers -----------------------------------------------------------------------
def _name(value, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{what}: expected a non-empty string, got {value!r}")
    return value


def _int(value, what: str, lo: int) -> int:
    return validate.int_at_least(what, value, lo)


def _real(value, what: str, unit: str, lo: float | None = None, strict: bool = False) -> float:
    return validate.real_number(what, value, unit, lo, strict)


def _per_neuron(value, n: int, what: str, unit: str) -> np.ndarray:
    """A scalar or an array of shape ``(n,)`` as a float64 array of shape ``(n,)`` (finite)."""
    if isinstance(value, (str, bytes, bool)):
        raise TypeError(f"{what}: expected a real number or an array of shape ({n},) ({unit}), got {value!r}")
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{what}: expected real numbers ({unit}), got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        raise ValueError(f"{what}: expected a scalar or an array of shape ({n},) ({unit}), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what}: must be finite ({unit})")
    return arr


# -- the pieces -------------------------------------------------------------------------------
class Population:
    """A named group of ``n`` CLIF neurons with named synaptic ports.

    Membrane equation (mV, ms): ``tau_m du/dt = -(u - u_rest) + R I_ext + sum_p g_p(t)`` with
    threshold ``u_th``, reset ``u_reset`` and refractory period ``t_ref`` as in
    :class:`lifbook.CLIFPopulation` (the same exact propagator, ``>=`` threshold and
    ``round(t_ref/dt)`` steps held at ``u_reset``). ``params`` is a :class:`~lifbook.CLIFParams`
    (or its fields as keywords); its ``tau_syn`` must be 0: synapses are ports here. Per-neuron
    arrays of shape ``(n,)`` are allowed for every parameter except ``dt``.

    ``ports`` maps a port name to its time constant ``tau_syn`` (ms):

    * ``tau_syn > 0``: a current-based exponential synapse. The port variable ``g_p`` is a
      current expressed as the potential it drives, ``R I_p`` in mV; an arriving spike of
      weight ``w`` (mV) adds ``w`` to ``g_p``, which decays as ``tau_syn dg_p/dt = -g_p``. (In
      nA: the spike adds ``w / R`` to ``I_p``.) This is Brian2's ``dv/dt = (ge - (v - El))/taum``
      with ``on_pre='ge += w'`` (the CUBA benchmark).
    * ``tau_syn = 0``: a delta synapse. An arriving spike of weight ``w`` (mV) makes ``u`` jump
      by ``w`` (Brunel 2000's ``J``), unless the neuron is refractory (then it is lost).

    ``I_ext`` is a constant external current (nA; scalar or per neuron). ``v_init`` (mV): the
    initial potential, ``None`` for ``u_rest``, a scalar, an array of shape ``(n,)`` or
    ``("uniform", low, high)`` for independent uniform draws (seeded by the network).
    """

    def __init__(self, name: str, n: int, params: CLIFParams | None = None, *, ports: dict | None = None,
                 I_ext=0.0, v_init=None, **param_values):
        self.name = _name(name, "name")
        self.n = _int(n, "n", 1)
        if params is None:
            params = CLIFParams(**param_values)
        elif param_values:
            params = params.replace(**param_values)
        if not isinstance(params, CLIFParams) or type(params).model != "CLIF":
            raise TypeError(f"params: expected CLIFParams (network neurons are CLIF), got {type(params).__name__}")
        if np.any(np.asarray(params.tau_syn) != 0):
            raise ValueError("tau_syn: a network population takes its synaptic time constants from its ports "
                             "(ports={'exc': 5.0, ...}); leave params.tau_syn at 0")
        params.check_shape((self.n,))
        self.params = params
        ports = {"syn": 0.0} if ports is None else ports
        if not isinstance(ports, dict) or not ports:
            raise TypeError(f"ports: expected a non-empty dict {{name: tau_syn (ms)}}, got {ports!r}")
        self.ports = {_name(k, "ports (a port name)"): _real(v, f"ports[{k!r}] (tau_syn)", "ms", 0.0)
                      for k, v in ports.items()}
        self.I_ext = _per_neuron(I_ext, self.n, "I_ext", "nA")
        if isinstance(v_init, tuple):
            if len(v_init) != 3 or v_init[0] != "uniform":
                raise ValueError(f"v_init: expected ('uniform', low, high) in mV, got {v_init!r}")
            lo = _real(v_init[1], "v_init (low)", "mV")
            hi = _real(v_init[2], "v_init (high)", "mV")
            if hi < lo:
                raise ValueError(f"v_init: high must be >= low, got {v_init!r}")
            self.v_init: Any = ("uniform", lo, hi)
        elif v_init is None:
            self.v_init = _per_neuron(params.u_rest, self.n, "u_rest", "mV")
        else:
            self.v_init = _per_neuron(v_init, self.n, "v_init", "mV")

    @property
    def dt(self) -> float:
        return self.params.dt

    def port(self, name: str | None) -> str:
        """The port called ``name`` (``None``: the only port)."""
        if name is None:
            if len(self.ports) != 1:
                raise ValueError(f"port: population {self.name!r} has ports {list(self.ports)}; name one")
            return next(iter(self.ports))
        if name not in self.ports:
            raise ValueError(f"port: population {self.name!r} has no port {name!r}; it has {list(self.ports)}")
        return name

    def __repr__(self) -> str:
        return f"Population({self.name!r}, n={self.n}, ports={self.ports})"


class Projection:
    """Synapses from ``source`` onto the port ``port`` of ``target`` (the same population is allowed).

    Connectivity (exactly one of):

    * ``p``: each pair (pre, post) independently with probability ``p`` (Bernoulli);
    * ``indegree``: each target neuron receives exactly ``indegree`` synapses from distinct
      sources drawn uniformly (Brunel's fixed in-degree ``C``);
    * ``pre``, ``post``: explicit index arrays (one synapse per pair, multapses allowed; stored
      sorted by source, then target).

    With ``autapses=False`` a population projecting onto itself has no synapse from a neuron to
    itself. Random connectivity is drawn from the network's seed (the projection's own stream).

    ``weight`` (mV, the jump of the port variable, see :class:`Population`): a scalar, an array
    with one value per synapse (explicit ``pre``/``post`` only, in their order), or a callable
    ``weight(pre, post, rng) -> array`` given the synapses' indices. ``delay`` (ms): the time from
    a spike to its arrival, a whole number of steps ``d >= 1`` (default one step, ``dt``): a spike
    emitted at ``t`` reaches the port at ``t + d dt``.
    """

    def __init__(self, source: Population, target: Population, *, weight, port: str | None = None,
                 delay: float | None = None, p: float | None = None, indegree: int | None = None,
                 pre=None, post=None, autapses: bool = True, name: str | None = None):
        for what, pop in (("source", source), ("target", target)):
            if not isinstance(pop, Population):
                raise TypeError(f"{what}: expected a lifbook.network.Population, got {type(pop).__name__}")
        self.source, self.target = source, target
        self.port = target.port(port)
        self.name = name if name is None else _name(name, "name")
        rules = [r for r, v in (("p", p), ("indegree", indegree), ("pre/post", pre if pre is not None else post))
                 if v is not None]
        if len(rules) != 1:
            raise ValueError(f"p, indegree, pre/post: give exactly one connectivity rule, got {rules or 'none'}")
        self.rule = rules[0]
        if p is not None:
            self.p = _real(p, "p", "probability", 0.0)
            if self.p > 1.0:
                raise ValueError(f"p: a connection probability must lie in [0, 1], got {self.p:g}")
        if indegree is not None:
            self.indegree = _int(indegree, "indegree", 0)
            limit = source.n - (0 if autapses or source is not target else 1)
            if self.indegree > limit:
                raise ValueError(f"indegree: {self.indegree} distinct sources requested, but {source.name!r} "
                                 f"offers {limit}")
        if self.rule == "pre/post":
            if pre is None or post is None:
                raise ValueError("pre, post: give both index arrays")
            self.pre = self._indices(pre, source.n, "pre")
            self.post = self._indices(post, target.n, "post")
            if self.pre.shape != self.post.shape:
                raise ValueError(f"pre, post: expected arrays of the same length, got {self.pre.size} and "
                                 f"{self.post.size}")
            if not autapses and source is target and np.any(self.pre == self.post):
                raise ValueError("pre, post: autapses=False but some pairs connect a neuron to itself")
        self.autapses = bool(autapses)
        if callable(weight):
            self.weight: Any = weight
        elif np.ndim(weight) == 0:
            self.weight = _real(weight, "weight", "mV")
        else:
            if self.rule != "pre/post":
                raise ValueError("weight: an array of weights needs explicit pre/post indices; for random "
                                 "connectivity give a scalar or a callable weight(pre, post, rng)")
            self.weight = _per_neuron(weight, self.pre.size, "weight", "mV (one per synapse)")
        dt = target.dt
        if source.dt != dt:
            raise ValueError(f"dt: source and target must share the time step, got {source.dt} and {dt} ms")
        delay = dt if delay is None else _real(delay, "delay", "ms", 0.0, strict=True)
        steps = int(round(delay / dt))
        if steps < 1 or abs(steps * dt - delay) > 1e-9 * max(1.0, delay):
            raise ValueError(f"delay: must be a whole number of steps >= 1 (dt = {dt} ms), got {delay} ms")
        self.delay = delay
        self.delay_steps = steps

    @staticmethod
    def _indices(a, n: int, what: str) -> np.ndarray:
        arr = np.asarray(a)
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise TypeError(f"{what}: expected a 1-d array of integer neuron indices, got {arr.dtype} "
                            f"shape {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise ValueError(f"{what}: indices must lie in [0, {n}), got [{arr.min()}, {arr.max()}]")
        return arr.astype(np.int64)

    def build(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, Any]:
        """``(indptr, post, weight)``: CSR rows by source neuron (int64 ``indptr`` of length
        ``n_pre + 1``, int64 target indices sorted within a row), weight a float or a float64 array."""
        n_pre, n_post = self.source.n, self.target.n
        own = self.source is self.target and not self.autapses
        order = None
        if self.rule == "p":
            rows, cols, counts = [], [], np.zeros(n_pre, dtype=np.int64)
            chunk = max(1, 4_000_000 // n_post)
            for a in range(0, n_pre, chunk):
                b = min(n_pre, a + chunk)
                hit = rng.random((b - a, n_post)) < self.p
                if own:
                    r = np.arange(a, b)
                    hit[r - a, r] = False
                counts[a:b] = hit.sum(axis=1)
                cols.append(np.nonzero(hit)[1])
            post = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        elif self.rule == "indegree":
            C = self.indegree
            pre_parts = []
            chunk = max(1, 4_000_000 // n_pre)
            for a in range(0, n_post, chunk):
                b = min(n_post, a + chunk)
                keys = rng.random((b - a, n_pre))
                if own:
                    r = np.arange(a, b)
                    keys[r - a, r] = 2.0  # never among the C smallest
                if C == 0:
                    pre_parts.append(np.zeros((b - a, 0), dtype=np.int32))
                    continue
                pre_parts.append(np.argpartition(keys, C - 1, axis=1)[:, :C].astype(np.int32))
            pre = np.concatenate(pre_parts).ravel()
            post_all = np.repeat(np.arange(n_post, dtype=np.int32), C)
            order = np.argsort(pre, kind="stable")
            post = post_all[order]
            counts = np.bincount(pre, minlength=n_pre)
            del pre_parts, post_all
        else:
            order = np.lexsort((self.post, self.pre))  # rows by source, each sorted by target
            post = self.post[order]
            counts = np.bincount(self.pre, minlength=n_pre)
        indptr = np.zeros(n_pre + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        weight = self.weight
        if callable(weight):
            pre_idx = np.repeat(np.arange(n_pre), counts)
            w = np.asarray(weight(pre_idx, post.astype(np.int64), rng))
            weight = _per_neuron(w, post.size, "weight (returned by the callable)", "mV, one per synapse")
        elif isinstance(weight, np.ndarray):
            weight = weight[order]
        return indptr, post, weight

    def __repr__(self) -> str:
        return (f"Projection({self.source.name!r} -> {self.target.name!r}:{self.port}, rule={self.rule}, "
                f"delay={self.delay} ms)")


class PoissonDrive:
    """Independent Poisson spike trains onto the port ``port`` of every neuron of ``target``.

    Each neuron receives ``n_sources`` independent trains of ``rate`` Hz, each spike of weight
    ``weight`` (mV, as a projection's); all arrive in the step they are drawn for, so a neuron
    gets a Poisson count of mean ``n_sources * rate * dt`` per step. The counts are a pure
    function of the network's seed, the drive's position in the network, the global step and
    the neuron (a counter-based generator, :mod:`lifbook.network._rng`): independent of how a
    run is cut into calls and identical for the NumPy and numba engines.
    """

    def __init__(self, target: Population, *, rate: float, weight: float, n_sources: int = 1,
                 port: str | None = None, name: str | None = None):
        if not isinstance(target, Population):
            raise TypeError(f"target: expected a lifbook.network.Population, got {type(target).__name__}")
        self.target = target
        self.port = target.port(port)
        self.rate = _real(rate, "rate", "Hz", 0.0)
        self.weight = _real(weight, "weight", "mV")
        self.n_sources = _int(n_sources, "n_sources", 1)
        self.name = name if name is None else _name(name, "name")

    @property
    def mean_per_step(self) -> float:
        """Expected number of input spikes per neuron and step, ``n_sources rate dt``."""
        return self.n_sources * self.rate * self.target.dt * 1e-3

    def __repr__(self) -> str:
        return (f"PoissonDrive(-> {self.target.name!r}:{self.port}, {self.n_sources} x {self.rate} Hz, "
                f"weight={self.weight} mV)")


# -- the record -------------------------------------------------------------------------------
@dataclass
class NetworkRecord:
    """What :meth:`Network.run` returns.

    Spikes are kept as events: ``steps`` (int64, the step of the run in which each spike was
    emitted, 0-based) and ``ids`` (int32, global neuron index: populations are numbered one after
    the other in the order given to :class:`Network`). A spike of step ``k`` is at
    ``t_start + (k + 1) dt`` ms, like :class:`lifbook.Record`. ``v`` (mV, shape ``(T, len(v_ids))``)
    holds the post-reset potential of the neurons ``v_ids`` at the end of every step, or ``None``.
    """

    dt: float
    t_start: float
    n_steps: int
    populations: dict  #: name -> (first global index, size)
    steps: np.ndarray
    ids: np.ndarray
    v_ids: np.ndarray | None = None
    v: np.ndarray | None = None
    wall_s: float = 0.0
    meta: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        """Duration of the run (ms)."""
        return self.n_steps * self.dt

    @property
    def t(self) -> np.ndarray:
        """Step end times (ms), shape ``(T,)``."""
        return self.t_start + self.dt * np.arange(1, self.n_steps + 1)

    @property
    def n(self) -> int:
        return sum(n for _, n in self.populations.values())

    def _pop(self, pop):
        if pop is None:
            return 0, self.n
        if pop not in self.populations:
            raise ValueError(f"pop: no population {pop!r}; the network has {list(self.populations)}")
        return self.populations[pop]

    def spike_events(self, pop: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(times_ms, index)``, time-ordered. Global indices; local ones with ``pop=name``."""
        start, n = self._pop(pop)
        sel = slice(None) if pop is None else (self.ids >= start) & (self.ids < start + n)
        t = self.t_start + (self.steps[sel] + 1) * self.dt
        return t, self.ids[sel].astype(np.int64) - start

    @property
    def spikes(self) -> dict:
        """``{population name: (times_ms, local index)}``."""
        return {name: self.spike_events(name) for name in self.populations}

    def spike_counts(self, pop: str | None = None) -> np.ndarray:
        """Spikes per neuron over the run (int64)."""
        _, i = self.spike_events(pop)
        return np.bincount(i, minlength=self._pop(pop)[1]).astype(np.int64)

    def rates(self, pop: str | None = None) -> np.ndarray:
        """Rate per neuron (Hz) over the run."""
        return self.spike_counts(pop) / (self.duration * 1e-3)

    def mean_rate(self, pop: str | None = None, t_min: float = 0.0) -> float:
        """Mean rate (Hz) over the neurons, counting spikes after ``t_start + t_min`` ms."""
        start, n = self._pop(pop)
        t, _ = self.spike_events(pop)
        span = self.duration - t_min
        if span <= 0:
            raise ValueError(f"t_min: must be shorter than the run ({self.duration} ms), got {t_min}")
        return float(np.sum(t > self.t_start + t_min) / n / (span * 1e-3))

    def population_rate(self, bin_ms: float | None = None, pop: str | None = None):
        """``(bin_end_times_ms, rate_hz)``: spikes per neuron per bin / bin width (bins of whole steps,
        default one step), over the network or population ``pop``; as
        :meth:`lifbook.record.Record.population_rate`."""
        start, n = self._pop(pop)
        k = 1 if bin_ms is None else max(1, int(round(_real(bin_ms, "bin_ms", "ms", 0.0, strict=True) / self.dt)))
        n_bins = self.n_steps // k
        if n_bins == 0:
            raise ValueError(f"bin_ms: {bin_ms} ms is longer than the run ({self.duration} ms)")
        sel = (self.ids >= start) & (self.ids < start + n)
        counts = np.bincount(self.steps[sel] // k, minlength=n_bins)[:n_bins]
        t = self.t_start + self.dt * k * np.arange(1, n_bins + 1)
        return t, counts / n / (k * self.dt * 1e-3)

    def __repr__(self) -> str:
        return (f"NetworkRecord({self.duration:g} ms, {len(self.ids)} spikes from {self.n} neurons in "
                f"{list(self.populations)}, v={'none' if self.v is None else self.v.shape})")


# -- the network ------------------------------------------------------------------------------
def _numba_kernel():
    """``(one thread, several threads)``: the two compilations of the fused loop, or None without numba."""
    try:
        from . import _kernel
    except ImportError:  # pragma: no cover - numba missing or broken
        return None
    return _kernel.run_steps, _kernel.run_steps_parallel


class Network:
    """Populations, projections and Poisson drives, simulated together on one clock.

    ``seed`` fixes everything random: the connectivity, ``("uniform", lo, hi)`` initial
    potentials and the Poisson drives. ``engine``: ``"numba"`` (the fused CPU loop),
    ``"numpy"`` (the reference, one vectorised NumPy step at a time), ``"torch"`` (the same
    reference step in torch, on ``device``, default ``"cpu"``) or ``"auto"`` (numba when it is
    installed, else NumPy). On the CPU all give the same spikes and bitwise the same potentials
    (on CUDA see :mod:`lifbook.network._reference`). The state lives in NumPy arrays between runs
    (``v``, ``ref``, ``g``, ``ring``); a CUDA run copies it to the device and back.
    ``threads``: threads of the numba engine (default 1, the fastest for small networks such as
    CUBA). The numba engine updates the neurons for a block of steps (as many as the smallest
    delay, at most 16 steps) before it propagates their spikes; more threads split each
    block into two parallel regions (neuron update by chunks of neurons, spike propagation by
    ranges of target columns), with a synchronisation after each: worth it on idle cores for
    large networks with long delays (Brunel's 1.5 ms is a block of 15 steps), and slower on a
    machine whose cores are busy with other work. The results do not depend on it.

    One step from ``t`` to ``t + dt``, for every neuron (see :class:`Population` for the model):

    1. not refractory: ``u`` is propagated exactly with the port currents at ``t`` (each
       ``g_p`` decays exponentially over the step; the propagator of
       :class:`lifbook.params.LIFCoefficients` with ``R = 1`` and that port's ``tau_syn``);
       refractory: ``u`` stays at ``u_reset``;
    2. the port currents decay to ``t + dt``; then the input arriving at ``t + dt`` is added:
       spikes from projections (``w`` per synapse, ``delay`` after they were emitted) and the
       Poisson drives' counts (``w`` per input spike), to ``g_p`` for an exponential port and to
       ``u`` for a delta port (not while refractory);
    3. threshold, reset and refractoriness as in :func:`lifbook.dynamics.neuron_update`: a spike
       at ``t + dt`` if ``u >= u_th`` and the neuron was not refractory; then ``u <- u_reset`` for
       ``round(t_ref/dt)`` steps;
    4. the spikes of this step are sent along every projection's CSR row into a ring buffer of
       ``max(delay steps) + 1`` slots per port column.

    Steps 1 and 3 are lifbook's CLIF update itself: the fused loop (``_kernel._update_chunk``,
    which runs each step as vectorised passes over contiguous arrays) and the NumPy/torch
    reference (``_reference``) call :func:`lifbook.dynamics.propagate` (the membrane over the step,
    with the ``"exact"`` coefficients of :class:`lifbook.params.LIFCoefficients`) and
    :func:`lifbook.dynamics.threshold_reset`, the two halves of :func:`lifbook.dynamics.neuron_update`;
    the ports' currents (step 1) and the delta jumps (step 2) are added in between.
    ``tests/test_network.py`` holds a network without synapses bitwise to :class:`lifbook.CLIFPopulation`.

    The state (potentials, port currents, refractory counters, spikes in flight, the step
    counter) carries over from one :meth:`run` to the next; ``run(a); run(b)`` equals
    ``run(a + b)`` spike for spike.
    """

    def __init__(self, populations, projections=(), drives=(), *, seed: int = 0, engine: str = "auto",
                 threads: int | None = None, device=None):
        t0 = time.perf_counter()
        pops = list(populations) if not isinstance(populations, Population) else [populations]
        if not pops or not all(isinstance(p, Population) for p in pops):
            raise TypeError("populations: expected a non-empty list of lifbook.network.Population")
        names = [p.name for p in pops]
        if len(set(names)) != len(names):
            raise ValueError(f"populations: names must be unique, got {names}")
        if len({id(p) for p in pops}) != len(pops):
            raise ValueError("populations: the same population is listed twice")
        dts = {p.dt for p in pops}
        if len(dts) != 1:
            raise ValueError(f"dt: all populations must share one time step, got {sorted(dts)} ms")
        self.dt = dts.pop()
        self.projections = list(projections)
        self.drives = list(drives)
        for r in self.projections:
            if not isinstance(r, Projection):
                raise TypeError(f"projections: expected Projection objects, got {type(r).__name__}")
            for pop in (r.source, r.target):
                if not any(pop is q for q in pops):
                    raise ValueError(f"projections: {r!r} uses population {pop.name!r}, which is not in the network")
        for d in self.drives:
            if not isinstance(d, PoissonDrive):
                raise TypeError(f"drives: expected PoissonDrive objects, got {type(d).__name__}")
            if not any(d.target is q for q in pops):
                raise ValueError(f"drives: {d!r} targets {d.target.name!r}, which is not in the network")
        if engine not in ENGINES:
            raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")
        if device is not None and engine != "torch":
            raise ValueError(f"device: only the torch engine takes a device, got engine={engine!r}")
        self.device = device
        self._kernel = _numba_kernel() if engine in ("auto", "numba") else None
        if engine == "numba" and self._kernel is None:
            raise ImportError("engine: 'numba' needs numba (pip install 'lifbook[fast]')")
        if engine == "torch":
            try:
                import torch  # noqa: F401
            except ImportError:
                raise ImportError("engine: 'torch' needs PyTorch (pip install 'lifbook[torch]')") from None
            self.engine = "torch"
        else:
            self.engine = "numba" if self._kernel is not None else "numpy"
        self.seed = _int(seed, "seed", 0)
        self.threads = 1 if threads is None else _int(threads, "threads", 1)
        self.populations = pops
        self.meta: dict = {}
        self._build(pops)
        self.build_s = time.perf_counter() - t0

    # -- construction ---------------------------------------------------------------------
    def _build(self, pops):
        n_pop = len(pops)
        children = np.random.SeedSequence(self.seed).spawn(n_pop + len(self.projections))
        self.pop_start = np.zeros(n_pop + 1, dtype=np.int64)
        np.cumsum([p.n for p in pops], out=self.pop_start[1:])
        N = int(self.pop_start[-1])
        self.n = N
        cat = lambda f: np.concatenate([f(p) for p in pops])  # noqa: E731
        full = lambda name: cat(lambda p: _per_neuron(getattr(p.params, name), p.n, name, ""))  # noqa: E731
        coefs = [p.params.coefficients("exact") for p in pops]
        self.u_rest, self.u_th, self.u_reset = full("u_rest"), full("u_th"), full("u_reset")
        self.a_m = np.concatenate([_per_neuron(c.a_m, p.n, "a_m", "") for c, p in zip(coefs, pops)])
        self.b_m = np.concatenate([_per_neuron(c.b_m, p.n, "b_m", "") for c, p in zip(coefs, pops)])
        self.n_ref = np.concatenate([np.broadcast_to(np.asarray(c.n_ref, dtype=np.int64), (p.n,))
                                     for c, p in zip(coefs, pops)])
        self.x = cat(lambda p: p.I_ext)
        # ports: global numbering, one column per (port, neuron)
        self.port_key = []  # (pop index, port name)
        port_off, port_delta, port_a, c_cols = [], [], [], []
        self.pop_port_ptr = np.zeros(n_pop + 1, dtype=np.int64)
        col = 0
        for pi, p in enumerate(pops):
            for name, tau_syn in p.ports.items():
                self.port_key.append((pi, name))
                port_off.append(col)
                port_delta.append(tau_syn == 0.0)
                if tau_syn > 0:
                    pc = p.params.replace(R=1.0, tau_syn=tau_syn).coefficients("exact")
                    port_a.append(float(np.asarray(pc.a_syn).ravel()[0]))
                    c_cols.append(_per_neuron(pc.c_syn, p.n, "c_syn", ""))
                else:
                    port_a.append(0.0)
                    c_cols.append(np.zeros(p.n))
                col += p.n
            self.pop_port_ptr[pi + 1] = len(self.port_key)
        self.n_cols = col
        self.port_off = np.array(port_off, dtype=np.int64)
        self.port_delta = np.array(port_delta, dtype=np.bool_)
        self.port_a = np.array(port_a, dtype=np.float64)
        self.c_col = np.concatenate(c_cols)
        pop_index = {id(p): i for i, p in enumerate(pops)}
        port_index = {k: i for i, k in enumerate(self.port_key)}
        # drives, grouped by port (their order kept within a port)
        d_port = [port_index[(pop_index[id(d.target)], d.port)] for d in self.drives]
        order = sorted(range(len(self.drives)), key=lambda i: (d_port[i], i))
        self._drive_order = order
        self.port_drive_ptr = np.zeros(len(self.port_key) + 1, dtype=np.int64)
        np.cumsum(np.bincount(np.array(d_port, dtype=np.int64), minlength=len(self.port_key))
                  if self.drives else np.zeros(len(self.port_key), dtype=np.int64), out=self.port_drive_ptr[1:])
        keys, ms, lamc, ws = [], [], [], []
        for i in order:
            d = self.drives[i]
            m, lc, _ = _rng.chunking(d.mean_per_step)
            keys.append(_rng.drive_key(self.seed, i))
            ms.append(m)
            lamc.append(lc)
            ws.append(d.weight)
        self.drv_key = np.array(keys, dtype=np.uint64)
        self.drv_m = np.array(ms, dtype=np.int64)
        self.drv_lamc = np.array(lamc, dtype=np.float64)
        self.drv_cdf = (np.array([_rng.cdf_table(lc) for lc in lamc]) if lamc
                        else np.zeros((0, _rng.MAX_TERMS + 1)))
        self.drv_w = np.array(ws, dtype=np.float64)
        # projections: concatenated CSR, target indices stored as port columns (int32)
        R = len(self.projections)
        self.prj_src = np.zeros(R, dtype=np.int64)
        self.prj_delay = np.zeros(R, dtype=np.int64)
        self.prj_indptr_off = np.zeros(R, dtype=np.int64)
        self.prj_w_off = np.zeros(R, dtype=np.int64)
        self.prj_w_scalar = np.zeros(R, dtype=np.bool_)
        indptrs, idx_parts, w_parts = [], [], []
        n_idx = n_ptr = n_w = 0
        self.prj_rows = []  # (indptr slice, indices slice, weights slice or scalar) per projection
        for r, proj in enumerate(self.projections):
            rng = np.random.default_rng(children[n_pop + r])
            indptr, post, weight = proj.build(rng)
            q = port_index[(pop_index[id(proj.target)], proj.port)]
            if self.n_cols >= 2**31:
                raise ValueError("populations: more than 2**31 port columns")
            idx_parts.append((post + self.port_off[q]).astype(np.int32))
            del post
            indptrs.append(indptr + n_idx)
            self.prj_src[r] = pop_index[id(proj.source)]
            self.prj_delay[r] = proj.delay_steps
            self.prj_indptr_off[r] = n_ptr
            if isinstance(weight, np.ndarray):
                w_parts.append(weight)
                self.prj_w_off[r] = n_w - n_idx
                n_w += weight.size
            else:
                w_parts.append(np.array([weight]))
                self.prj_w_off[r] = n_w
                self.prj_w_scalar[r] = True
                n_w += 1
            n_idx += int(indptr[-1])
            n_ptr += indptr.size
        self.indptr = np.concatenate(indptrs) if indptrs else np.zeros(1, dtype=np.int64)
        self.indices = np.concatenate(idx_parts) if idx_parts else np.zeros(0, dtype=np.int32)
        del idx_parts
        self.weights = np.concatenate(w_parts) if w_parts else np.zeros(1)
        self.n_synapses = int(self.indices.size)
        # state
        v0 = []
        for pi, p in enumerate(pops):
            if isinstance(p.v_init, tuple):
                _, lo, hi = p.v_init
                v0.append(np.random.default_rng(children[pi]).uniform(lo, hi, p.n))
            else:
                v0.append(p.v_init.copy())
        self.v = np.concatenate(v0)
        self.ref = np.zeros(N, dtype=np.int64)
        self.g = np.zeros(self.n_cols)
        L = int(self.prj_delay.max()) + 1 if R else 1
        self.ring = np.zeros((L, self.n_cols))
        self.k = 0
        # numba engine: blocks of steps (at most the smallest delay) and per-step scratch of a block
        d_min = int(self.prj_delay.min()) if R else BLOCK_MAX
        self._block = max(1, min(d_min, BLOCK_MAX, (1 << 22) // N))
        B = self._block
        self._drv_h = np.zeros((B, len(keys)), dtype=np.uint64)
        self._spk = np.zeros((B, N), dtype=np.int32)
        self._spk_tmp = np.zeros((B, N), dtype=np.int32)
        self._vf, self._inc, self._tot, self._u = np.zeros(N), np.zeros(N), np.zeros(N), np.zeros(N)
        self._flag = np.zeros(N, dtype=np.bool_)
        ch = CHUNK_SERIAL if self.threads == 1 else CHUNK
        lo = [np.arange(int(self.pop_start[i]), int(self.pop_start[i + 1]), ch) for i in range(n_pop)]
        self._chunk_pop = np.concatenate([np.full(c.size, i, dtype=np.int64) for i, c in enumerate(lo)])
        self._chunk_lo = np.concatenate(lo).astype(np.int64)
        self._chunk_hi = np.minimum(self._chunk_lo + ch, self.pop_start[1:][self._chunk_pop])
        self._chunk_cnt = np.zeros((B, self._chunk_lo.size), dtype=np.int64)
        self._pop_lo = np.zeros((B, n_pop), dtype=np.int64)
        self._pop_hi = np.zeros((B, n_pop), dtype=np.int64)

    # -- inspection -----------------------------------------------------------------------
    @property
    def t(self) -> float:
        """The network's time in ms, ``steps done * dt``."""
        return self.k * self.dt

    def index(self, pop: str, local=None) -> np.ndarray:
        """Global neuron indices of ``pop``'s neurons ``local`` (all by default)."""
        names = [p.name for p in self.populations]
        if pop not in names:
            raise ValueError(f"pop: no population {pop!r}; the network has {names}")
        i = names.index(pop)
        start, n = int(self.pop_start[i]), self.populations[i].n
        loc = np.arange(n) if local is None else np.atleast_1d(np.asarray(local, dtype=np.int64))
        if loc.size and (loc.min() < 0 or loc.max() >= n):
            raise ValueError(f"local: indices must lie in [0, {n}) for population {pop!r}")
        return start + loc

    def memory(self) -> dict:
        """Bytes held by the connectivity and the state (NumPy ``nbytes``; the state includes the numba
        engine's scratch), and bytes per synapse (connectivity only)."""
        conn = self.indptr.nbytes + self.indices.nbytes + self.weights.nbytes
        state = sum(a.nbytes for a in (self.v, self.ref, self.g, self.ring, self.u_rest, self.u_th, self.u_reset,
                                       self.a_m, self.b_m, self.n_ref, self.x, self.c_col, self._spk, self._spk_tmp,
                                       self._vf, self._inc, self._tot, self._u, self._flag))
        return {"synapses": self.n_synapses, "connectivity_bytes": int(conn), "state_bytes": int(state),
                "bytes_per_synapse": conn / max(1, self.n_synapses)}

    def __repr__(self) -> str:
        return (f"Network({[p.name for p in self.populations]}, n={self.n}, synapses={self.n_synapses}, "
                f"drives={len(self.drives)}, dt={self.dt} ms, engine={self.engine})")

    # -- simulation -----------------------------------------------------------------------
    def run(self, duration: float, record=("spikes",), v_neurons=None, engine: str | None = None) -> NetworkRecord:
        """Simulate ``duration`` ms (a whole number of steps) and return a :class:`NetworkRecord`.

        ``record``: ``"spikes"`` and/or ``"v"``. ``v_neurons``: global indices of the neurons whose
        potential is recorded with ``"v"`` (default: the first neuron of every population; see
        :meth:`index`). ``engine`` overrides the network's engine for this call.
        """
        duration = _real(duration, "duration", "ms", 0.0)
        steps = int(round(duration / self.dt))
        if abs(steps * self.dt - duration) > 1e-9 * max(1.0, duration):
            raise ValueError(f"duration: must be a whole number of steps (dt = {self.dt} ms), got {duration} ms")
        rec = (record,) if isinstance(record, str) else tuple(record)
        bad = [r for r in rec if r not in ("spikes", "v")]
        if bad:
            raise ValueError(f"record: unknown name(s) {bad}; choose from ('spikes', 'v')")
        eng = self.engine if engine is None else engine
        if eng not in ("numba", "numpy", "torch"):
            raise ValueError(f"engine: expected 'numba', 'numpy' or 'torch' for one run, got {eng!r}")
        if eng == "numba" and self._kernel is None:
            self._kernel = _numba_kernel()
            if self._kernel is None:
                raise ImportError("engine: 'numba' needs numba (pip install 'lifbook[fast]')")
        if "v" in rec:
            sel = self.pop_start[:-1].copy() if v_neurons is None else np.atleast_1d(np.asarray(v_neurons))
            if sel.ndim != 1 or sel.dtype.kind not in "iu" or (sel.size and (sel.min() < 0 or sel.max() >= self.n)):
                raise ValueError(f"v_neurons: expected global neuron indices in [0, {self.n}) (see Network.index)")
            sel = sel.astype(np.int64)
        else:
            if v_neurons is not None:
                raise ValueError("v_neurons: given, but 'v' is not in record")
            sel = np.zeros(0, dtype=np.int64)
        v_out = np.empty((steps if sel.size else 0, sel.size))
        rec_spikes = "spikes" in rec
        cap = max(SPIKE_CAP_MIN, self.n, min(self.n * steps, SPIKE_CAP_MAX)) if rec_spikes else 0
        out_step = np.empty(cap, dtype=np.int64)
        out_id = np.empty(cap, dtype=np.int32)
        n_out = 0
        k_rec0 = self.k
        k_end = self.k + steps
        if eng == "numba":
            import numba

            nt = max(1, min(self.threads, numba.config.NUMBA_NUM_THREADS))
            threads_before = numba.get_num_threads()
            numba.set_num_threads(nt)
            col_parts = (np.arange(nt + 1, dtype=np.int64) * self.n_cols) // nt
        t0 = time.perf_counter()
        try:
            out_step, out_id, n_out = self._loop(eng, k_end, rec_spikes, out_step, out_id, n_out, sel, v_out,
                                                 k_rec0, col_parts if eng == "numba" else None)
        finally:
            if eng == "numba":
                numba.set_num_threads(threads_before)
        wall = time.perf_counter() - t0
        return NetworkRecord(
            dt=self.dt, t_start=k_rec0 * self.dt, n_steps=steps,
            populations={p.name: (int(s), p.n) for p, s in zip(self.populations, self.pop_start[:-1])},
            steps=out_step[:n_out].copy(), ids=out_id[:n_out].copy(),
            v_ids=sel if sel.size else None, v=v_out if sel.size else None, wall_s=wall,
            meta={"engine": eng, "seed": self.seed, "threads": self.threads if eng == "numba" else 1})

    def _loop(self, eng, k_end, rec_spikes, out_step, out_id, n_out, sel, v_out, k_rec0, col_parts):
        if eng == "numba":  # the recorded neurons by chunk
            sel_order = np.argsort(sel, kind="stable").astype(np.int64)
            sel_ptr = np.searchsorted(sel[sel_order], np.append(self._chunk_lo, self.n)).astype(np.int64)
        while self.k < k_end:
            if eng == "numba":
                kernel = self._kernel[0 if col_parts.size == 2 else 1]
                k, n_out = kernel(
                    self.k, k_end, self._block, self.u_rest, self.a_m, self.b_m, self.u_th, self.u_reset,
                    self.n_ref, self.x,
                    self.v, self.ref, self.pop_start, self.pop_port_ptr, self.port_off, self.port_delta,
                    self.port_a, self.c_col, self.g, self.port_drive_ptr, self.drv_key, self._drv_h, self.drv_m,
                    self.drv_lamc, self.drv_cdf, self.drv_w, self.prj_src, self.prj_delay, self.prj_indptr_off,
                    self.prj_w_off, self.prj_w_scalar, self.indptr, self.indices, self.weights, self.ring,
                    self._spk, self._pop_lo, self._pop_hi, self._chunk_pop, self._chunk_lo, self._chunk_hi,
                    self._chunk_cnt, self._spk_tmp, col_parts, self._vf, self._inc, self._tot, self._u, self._flag,
                    rec_spikes, out_step, out_id, n_out, sel, sel_order, sel_ptr, v_out, k_rec0)
            else:
                from ._reference import make_ops, run_steps
                ops = make_ops(eng, self.device)
                k, n_out = run_steps(self, ops, k_end, rec_spikes, out_step, out_id, n_out, sel, v_out, k_rec0)
            self.k = int(k)
            if self.k < k_end:  # the spike output is full: grow it
                out_step = np.concatenate([out_step, np.empty_like(out_step)])
                out_id = np.concatenate([out_id, np.empty_like(out_id)])
        return out_step, out_id, n_out
