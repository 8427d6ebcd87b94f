"""Analytic results, by concept: LIF closed forms (:mod:`~lifbook.theory.lif`), EIF results
(:mod:`~lifbook.theory.eif`), the diffusion approximation and shot noise (:mod:`~lifbook.theory.noise`)
and the mean-field rate of a network (:mod:`~lifbook.theory.mean_field`).

Every public name is available here, ``lifbook.theory.lif_rate`` as ``lifbook.theory.lif.lif_rate``.
The single-neuron functions take a parameter set (``params``, default: the model's defaults) and
keyword overrides, e.g. ``lif_rate(2.5, tau_m=10.0)``. Currents in nA, times in ms, rates in Hz.
Results follow Gerstner et al. (2014), *Neuronal Dynamics*, ch. 1.3 (LIF) and ch. 5.2 (EIF),
Fourcaud-Trocme et al. (2003) for the exponential model, and Brunel (2000) for noise and networks.
"""
from __future__ import annotations

from . import eif, lif, mean_field, noise
from ._common import _integrate  # noqa: F401  (used by tests and lifbook.network.theory)
from .eif import (eif_bistable_range, eif_du_dt, eif_fixed_points, eif_rate, eif_rheobase,  # noqa: F401
                  eif_subthreshold, eif_time_to_threshold)
from .lif import (conductance_steady_state, conductance_time_constant, lif_chronaxie,  # noqa: F401
                  lif_current_for_rate, lif_du_dt, lif_psp_peak_time, lif_rate, lif_rate_on_grid, lif_rheobase,
                  lif_spike_times, lif_strength_duration, lif_subthreshold, lif_syn_step_response,
                  lif_time_to_threshold, lif_trajectory)
from .mean_field import brunel_mu_sigma, brunel_rate, siegert_rate  # noqa: F401
from .noise import (_siegert_integral, _siegert_rate, eif_rate_diffusion, isi_cv_diffusion,  # noqa: F401
                    lif_cv_diffusion, lif_rate_diffusion, shot_noise)

#: How far above a barrier a Brownian path checked only at discrete times effectively has to
#: go, in units of the standard deviation of one step, ``-zeta(1/2) / sqrt(2 pi)`` (Broadie,
#: Glasserman & Kou 1997); used by :func:`lif_rate_diffusion` with ``on_grid=True``.
DISCRETE_BARRIER_SHIFT = noise.DISCRETE_BARRIER_SHIFT

__all__ = [*lif.__all__, *eif.__all__, *noise.__all__, *mean_field.__all__]
