"""The benchmark workloads, defined once for lifbook and every peer (same model, parameters, dt, input, T).

Three workloads, all forward Euler, dt = 0.1 ms, float32, N neurons, T steps, constant
per-neuron input currents spread around the rheobase (seeded), starting at rest:

* ``lif``: CLIF with potentials measured from rest (``u_rest = u_reset = 0``, ``u_th = 20 mV``,
  ``tau_m = 10 ms``, ``R = 10 MOhm``, rheobase 2 nA), **no refractory period**. This is exactly
  snnTorch's ``Leaky(reset_mechanism="zero")`` with ``beta = 1 - dt/tau_m`` and input
  ``R dt/tau_m x`` (same float32 operations, so the same spikes; snnTorch's threshold is strict,
  ``>``, lifbook's inclusive, ``>=``, which differs only on exact ties), and Norse's
  ``LIFFeedForwardCell`` with ``tau_syn_inv = 1/dt`` (the synaptic current is the input) and
  ``v_leak = v_reset = 0``.
* ``lif_ref``: the same with ``t_ref = 2 ms`` (``n_ref = 20`` steps held at reset after the
  spike step). Brian2 holds a neuron for ``refractory`` including the spike's own step, so it
  gets ``refractory = t_ref + dt``; Norse's ``LIFRefracFeedForwardCell`` gets ``rho_reset = 20``.
* ``eif``: ELIF with lifbook's defaults (``tau_m = 12 ms``, ``u_rest = -65``, ``u_reset = -60``,
  cut-off ``u_th = -30``, ``theta_rh = -55``, ``delta_T = 2 mV``, ``R = 20 MOhm``,
  ``t_ref = 2 ms``), exponent capped as in lifbook (``min((v - theta_rh)/delta_T, 12.5)``).

Peers that evaluate the update in another algebraic form (Brian2 ``v + dt*(...)``, Norse) round
differently, so a few neurons near a threshold crossing may differ by one spike; the benchmark
prints how many.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DT = 0.1  # ms


@dataclass
class Workload:
    name: str  #: "lif", "lif_ref" or "eif"
    N: int
    T: int
    params: dict  #: lifbook keyword arguments (ms, mV, MOhm)
    x: np.ndarray = field(repr=False)  #: float32 input current per neuron (nA), constant over the run
    dt: float = DT
    dtype: str = "float32"

    @property
    def model(self) -> str:
        return "ELIF" if self.name == "eif" else "CLIF"

    @property
    def updates(self) -> int:
        return self.N * self.T

    @property
    def n_ref(self) -> int:
        return int(round(self.params.get("t_ref", 0.0) / self.dt))

    def coefficients(self):
        """Euler coefficients as float32, as lifbook casts them: ``a_m = 1 - dt/tau_m``, ``b_m = R dt/tau_m``."""
        p = self.params
        return np.float32(1.0 - self.dt / p["tau_m"]), np.float32(p["R"] * self.dt / p["tau_m"])


LIF = dict(method="euler", tau_m=10.0, u_rest=0.0, u_reset=0.0, u_th=20.0, R=10.0, t_ref=0.0)
EIF = dict(method="euler", tau_m=12.0, u_rest=-65.0, u_reset=-60.0, u_th=-30.0, R=20.0, t_ref=2.0,
           theta_rh=-55.0, delta_T=2.0)


def make(name: str, N: int, T: int, seed: int = 0) -> Workload:
    """A workload with input currents spread above and below the rheobase (most neurons fire, at 0-100 Hz).

    CLIF: uniform in [0.9, 1.6] x rheobase; ELIF: [0.9, 2.5] x rheobase (its f-I curve starts
    more slowly, and a neuron just above rheobase needs longer than 100 ms for its first spike).
    """
    rng = np.random.default_rng(seed)
    if name == "lif":
        params, rheobase, top = dict(LIF), 2.0, 1.6
    elif name == "lif_ref":
        params, rheobase, top = dict(LIF, t_ref=2.0), 2.0, 1.6
    elif name == "eif":
        # ELIF rheobase for these parameters: lifbook.theory.eif_rheobase() = 0.40 nA
        params, rheobase, top = dict(EIF), 0.40, 2.5
    else:
        raise ValueError(name)
    x = (rheobase * rng.uniform(0.9, top, N)).astype(np.float32)
    return Workload(name=name, N=N, T=T, params=params, x=x)
