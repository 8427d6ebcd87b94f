"""Ready networks: the CUBA benchmark (Vogels & Abbott 2005; Brette et al. 2007) and Brunel (2000) model A."""
from __future__ import annotations

from ..params import CLIFParams
from .core import Network, PoissonDrive, Population, Projection, _int, _real

__all__ = ["cuba", "brunel", "brunel_nu_thr"]


def cuba(seed: int = 0, *, n: int = 4000, p: float = 0.02, dt: float = 0.1, engine: str = "auto",
         threads: int | None = None) -> Network:
    """Benchmark 2 of Brette et al. (2007), as in Brian2's ``examples/CUBA.py``.

    ``n`` neurons (80% excitatory, population ``"E"`` first, then ``"I"``), each pair connected
    with probability ``p`` (autapses allowed, as Brian2's ``connect(p=...)``), ``tau_m = 20`` ms,
    ``E_l = u_rest = -49`` mV (above the threshold: the network is self-driven),
    ``u_th = -50`` mV, ``u_reset = -60`` mV, ``t_ref = 5`` ms, exponential synapses on ports
    ``"exc"`` (``tau_syn = 5`` ms, ``w = 1.62`` mV) and ``"inh"`` (10 ms, ``w = -9`` mV), initial
    potentials uniform in ``[u_reset, u_th]``, ``dt = 0.1`` ms.

    Differences to Brian2's script: synaptic delay of one step (0.1 ms; lifbook's smallest
    delay, Brian2's is 0, its spikes act from the next step), threshold ``u >= u_th`` (Brian2
    ``v > Vt``), and of course other random numbers.
    """
    n = _int(n, "n", 5)
    params = CLIFParams(tau_m=20.0, u_rest=-49.0, u_th=-50.0, u_reset=-60.0, t_ref=5.0, R=1.0, dt=dt)
    n_e = int(round(0.8 * n))
    ports = {"exc": 5.0, "inh": 10.0}
    v0 = ("uniform", -60.0, -50.0)
    E = Population("E", n_e, params, ports=ports, v_init=v0)
    I = Population("I", n - n_e, params, ports=ports, v_init=v0)
    prj = [Projection(src, tgt, port=port, weight=w, p=p)
           for src, port, w in ((E, "exc", 60 * 0.27 / 10), (I, "inh", -20 * 4.5 / 10)) for tgt in (E, I)]
    return Network([E, I], prj, seed=seed, engine=engine, threads=threads)


def brunel_nu_thr(J: float = 0.1, C_E: int = 1000, theta: float = 20.0, tau_m: float = 20.0) -> float:
    """Brunel's threshold rate ``nu_thr = theta / (J C_E tau_m)`` (Hz): the external rate per
    source that brings the mean free potential to threshold."""
    return theta / (J * C_E * tau_m * 1e-3)


def brunel(g: float = 5.0, nu_ext_ratio: float = 2.0, *, N_E: int = 10000, N_I: int | None = None,
           epsilon: float = 0.1, C_E: int | None = None, C_I: int | None = None, J: float = 0.1,
           D: float = 1.5, tau_m: float = 20.0, theta: float = 20.0, V_r: float = 10.0, t_ref: float = 2.0,
           dt: float = 0.1, scale: float = 1.0, seed: int = 0, engine: str = "auto",
           threads: int | None = None) -> Network:
    """Brunel (2000) model A: sparse excitatory-inhibitory network of CLIF neurons with delta synapses.

    ``N_E = 10000`` excitatory and ``N_I = N_E / 4`` inhibitory neurons (times ``scale``), each
    receiving exactly ``C_E = epsilon N_E`` excitatory and ``C_I = epsilon N_I`` inhibitory
    synapses (fixed in-degree, no autapses; pass ``C_E``/``C_I`` to keep the in-degree while
    scaling ``N``), of weight ``J`` (mV) and ``-g J``, all with delay ``D`` (ms). Every neuron
    also receives ``C_E`` independent Poisson trains of rate ``nu_ext = nu_ext_ratio * nu_thr``
    with weight ``J`` (:func:`brunel_nu_thr`). Neurons: ``tau_m = 20`` ms, ``u_rest = 0``,
    ``u_th = theta = 20`` mV, ``u_reset = V_r = 10`` mV, ``t_ref = 2`` ms, initial potentials
    uniform in ``[V_r, theta]``. One delta port ``"syn"`` per population. Populations ``"E"``
    then ``"I"``.

    States (Brunel 2000, Fig. 8): asynchronous irregular (AI) at ``g = 5, nu_ext_ratio = 2``;
    synchronous regular (SR) at ``g = 3, nu_ext_ratio = 2``; synchronous irregular, fast
    oscillation, at ``g = 6, nu_ext_ratio = 4``; slow oscillation at ``g = 4.5, nu_ext_ratio = 0.9``.
    ``engine``, ``threads``, ``seed``: as :class:`Network`.
    """
    g = _real(g, "g", "relative inhibition", 0.0)
    nu_ext_ratio = _real(nu_ext_ratio, "nu_ext_ratio", "nu_ext / nu_thr", 0.0)
    scale = _real(scale, "scale", "factor", 0.0, strict=True)
    N_E = _int(N_E, "N_E", 1)
    N_I = N_E // 4 if N_I is None else _int(N_I, "N_I", 1)
    N_E = max(1, int(round(N_E * scale)))
    N_I = max(1, int(round(N_I * scale)))
    epsilon = _real(epsilon, "epsilon", "connection fraction", 0.0, strict=True)
    C_E = max(1, int(round(epsilon * N_E))) if C_E is None else _int(C_E, "C_E", 1)
    C_I = max(1, int(round(epsilon * N_I))) if C_I is None else _int(C_I, "C_I", 0)
    J = _real(J, "J", "mV", 0.0, strict=True)
    params = CLIFParams(tau_m=tau_m, u_rest=0.0, u_th=theta, u_reset=V_r, t_ref=t_ref, R=1.0, dt=dt)
    v0 = ("uniform", V_r, theta)
    E = Population("E", N_E, params, ports={"syn": 0.0}, v_init=v0)
    I = Population("I", N_I, params, ports={"syn": 0.0}, v_init=v0)
    prj = [Projection(src, tgt, weight=w, indegree=C, delay=D, autapses=False)
           for src, w, C in ((E, J, C_E), (I, -g * J, C_I)) for tgt in (E, I)]
    nu_ext = nu_ext_ratio * brunel_nu_thr(J, C_E, theta, tau_m)
    drives = [PoissonDrive(pop, rate=nu_ext, weight=J, n_sources=C_E) for pop in (E, I)]
    net = Network([E, I], prj, drives, seed=seed, engine=engine, threads=threads)
    net.meta = {"model": "brunel", "g": g, "nu_ext_ratio": nu_ext_ratio, "nu_ext": nu_ext, "C_E": C_E, "C_I": C_I,
                "J": J, "D": D, "tau_m": tau_m, "theta": theta, "V_r": V_r, "t_ref": t_ref}
    return net
