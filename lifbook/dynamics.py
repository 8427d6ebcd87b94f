"""Pure step functions: ``lif_step(x, state, coef, ops) -> (spikes, state)``.

One function serves CLIF and ELIF, NumPy and PyTorch: ``ops`` is the array namespace
(see :mod:`lifbook.backends`) and ``coef`` holds the per-step propagator coefficients of
:class:`lifbook.params.LIFCoefficients`, already cast to the backend (scalars as 0-d arrays,
heterogeneous parameters as arrays of the population's shape, which broadcast against the
state of shape ``(batch, *shape)``).

Semantics of one step from ``t`` to ``t + dt`` (input ``x`` held constant over the step):

1. If the neuron is refractory (``ref > 0``), ``u`` stays at ``u_reset`` and ``ref`` drops by 1.
2. Otherwise ``u`` is propagated over the step::

       u' = u_rest + a_m (u - u_rest) + b_m x [+ c_syn (I - x)] [+ k_nl delta_T exp(min((u - theta_rh)/delta_T, cap))]

   (``exact``/``expeuler`` or ``euler`` coefficients, see ``LIFCoefficients``).
3. A spike is emitted at ``t + dt`` if the neuron was not refractory and ``u' >= u_th``; then
   ``u' <- u_reset`` and ``ref <- n_ref = round(t_ref/dt)``. So the state after the step holds
   the post-reset potential, and the neuron is held at ``u_reset`` for exactly ``n_ref`` steps
   (``n_ref * dt`` ms) before it integrates again.
4. The synaptic current is propagated independently of spikes: ``I' = x + a_syn (I - x)``
   (``I' = x`` without a filter).

Under constant input the interspike interval on the grid is therefore exactly
``dt * (n_ref + ceil(T_free / dt))`` for the exact integrator, where ``T_free`` is the
continuous time from ``u_reset`` to ``u_th`` (see :func:`lifbook.theory.lif_rate_on_grid`).
"""
from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["LIFState", "StepCoefficients", "lif_step"]


class LIFState(NamedTuple):
    """State of a population: arrays of shape ``(batch, *shape)`` (or ``shape`` unbatched)."""

    v: Any  #: membrane potential u (mV), post-reset after a step
    i: Any  #: synaptic current I (nA); ``None`` when no neuron has a synaptic filter
    ref: Any  #: refractory steps left (int32); ``None`` when ``t_ref`` rounds to 0 steps everywhere


class StepCoefficients(NamedTuple):
    """Backend arrays used by :func:`lif_step` (``None`` for a term the model does not have)."""

    u_rest: Any
    u_reset: Any
    u_th: Any
    a_m: Any
    b_m: Any
    a_syn: Any = None  # with synaptic filter only
    c_syn: Any = None
    n_ref: Any = None  # with refractoriness only
    k_nl: Any = None  # ELIF only
    theta_rh: Any = None
    delta_T: Any = None
    arg_cap: Any = None


def lif_step(x, state: LIFState, c: StepCoefficients, ops) -> tuple[Any, LIFState]:
    """Advance ``state`` by one step of input ``x`` (nA); return ``(spikes, new_state)``.

    Pure: neither ``x`` nor ``state`` is modified. See the module docstring for the exact
    semantics (reset, refractoriness, order of operations).
    """
    v, i, ref = state
    v_free = c.u_rest + c.a_m * (v - c.u_rest) + c.b_m * x
    if i is not None:
        v_free = v_free + c.c_syn * (i - x)
        i = x + c.a_syn * (i - x)
    if c.delta_T is not None:
        arg = ops.minimum((v - c.theta_rh) / c.delta_T, c.arg_cap)
        v_free = v_free + c.k_nl * (c.delta_T * ops.exp(arg))
    if ref is None:
        spikes = v_free >= c.u_th
        v = ops.where(spikes, c.u_reset, v_free)
    else:
        active = ref == 0
        spikes = (v_free >= c.u_th) & active
        v = ops.where(spikes | ~active, c.u_reset, v_free)
        ref = ops.where(spikes, c.n_ref, ops.clamp_min(ref - 1, 0))
    return spikes, LIFState(v, i, ref)
