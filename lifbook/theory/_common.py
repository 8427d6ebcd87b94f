"""Private helpers shared by the theory modules: parameter sets, outputs, adaptive quadrature."""
from __future__ import annotations

import numpy as np

from ..params import CLIFParams, ELIFParams


def _params(params, cls, overrides):
    if params is None:
        params = cls()
    if not isinstance(params, CLIFParams):
        raise TypeError(f"params: expected {cls.__name__}, got {type(params).__name__}")
    if cls is ELIFParams and not isinstance(params, ELIFParams):
        raise TypeError("params: the EIF results need ELIFParams (theta_rh, delta_T)")
    return params.replace(**overrides) if overrides else params


def _out(x):
    x = np.asarray(x, dtype=np.float64)
    return float(x) if x.ndim == 0 else x


def _scalar_params(p, names, what):
    if not all(np.ndim(getattr(p, k)) == 0 for k in names):
        raise ValueError(f"params: {what} needs scalar parameters (one neuron type)")


def _no_synaptic_filter(p, what):
    if np.any(np.asarray(p.tau_syn) > 0):
        raise ValueError(f"tau_syn: {what} is the closed form for tau_syn = 0 (I is the membrane current), "
                         f"got tau_syn={p.tau_syn}")


# Gauss-Kronrod 7-15 nodes and weights on [-1, 1].
_XK = np.array([0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                0.207784955007898467600689403773245, 0.0])
_WK = np.array([0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                0.204432940075298892414161999234649, 0.209482141084727828012999174891714])
_WG = np.array([0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                0.381830050505118944950369775488975, 0.417959183673469387755102040816327])
_NODES = np.concatenate([-_XK[:-1], _XK[::-1]])
_WEIGHTS_K = np.concatenate([_WK[:-1], _WK[::-1]])
_WEIGHTS_G = np.zeros(15)
_WEIGHTS_G[[1, 3, 5, 7, 9, 11, 13]] = np.concatenate([_WG[:-1], _WG[::-1]])


def _integrate(f, a: float, b: float, rtol: float = 1e-11, max_intervals: int = 4000) -> float:
    """Adaptive Gauss-Kronrod (7-15) quadrature of a smooth scalar function on [a, b]."""
    intervals = [(a, b)]
    total = 0.0
    done = 0
    while intervals:
        lo, hi = intervals.pop()
        half, mid = 0.5 * (hi - lo), 0.5 * (hi + lo)
        fx = f(mid + half * _NODES)
        k = half * np.dot(_WEIGHTS_K, fx)
        g = half * np.dot(_WEIGHTS_G, fx)
        done += 1
        if abs(k - g) <= rtol * max(abs(k), 1e-300) * 0.1 or done > max_intervals or hi - lo < 1e-12:
            total += k
        else:
            intervals += [(lo, mid), (mid, hi)]
    return total
