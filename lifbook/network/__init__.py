"""Networks of CLIF neurons: populations, sparse projections with delays, synaptic ports, Poisson drives.

>>> from lifbook import network
>>> net = network.cuba(seed=1)
>>> rec = net.run(1000.0)            # ms
>>> t, i = rec.spike_events()        # ms, neuron index 0..3999

Units: ms, mV, Hz; synaptic weights in mV (the jump of a port's ``R I`` for an exponential
port, the jump of the membrane potential for a delta port; see :class:`Population`), external
currents in nA. Building blocks: :class:`Population`, :class:`Projection`,
:class:`PoissonDrive`, :class:`Network` (``run`` returns a :class:`NetworkRecord`). Ready
models: :func:`cuba`, :func:`brunel`. Theory: :mod:`lifbook.network.theory` (Brunel's
mean-field rate, shot noise by Campbell's theorem).
"""
from __future__ import annotations

from .core import ENGINES, Network, NetworkRecord, PoissonDrive, Population, Projection
from .models import brunel, brunel_nu_thr, cuba
from . import theory

__all__ = ["Population", "Projection", "PoissonDrive", "Network", "NetworkRecord", "ENGINES",
           "cuba", "brunel", "brunel_nu_thr", "theory"]
