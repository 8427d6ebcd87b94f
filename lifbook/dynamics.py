"""THE equations: one step of one neuron, written once (:func:`neuron_update`), and its array form.

:func:`neuron_update` is the only statement of the update in lifbook, written as its two halves,
:func:`propagate` (step 2 below) and :func:`threshold_reset` (steps 1 and 3), which it calls;
:mod:`lifbook.network` calls the halves itself, adding synaptic input in between. The same Python
functions run

* on Python floats (with :data:`SCALAR_OPS`; ``tests/test_dynamics.py`` checks it without numba),
* on NumPy arrays or torch tensors (:func:`lif_step`, with the backend's ``ops``; the reference
  engine and CUDA populations), and
* compiled by numba for one neuron inside the fused loops of :mod:`lifbook.engine.kernels`.

Its coefficients are a :class:`StepCoefficients`, made from :class:`lifbook.params.LIFCoefficients`
(scalars, or arrays of the population's shape for heterogeneous parameters, which broadcast
against the state of shape ``(batch, *shape)``). The order of ``StepCoefficients._fields`` is the
one list of coefficients: the numba engine's parameter layout (:mod:`lifbook.engine.layout`) is
derived from it.

Semantics of one step from ``t`` to ``t + dt`` (input ``x`` held constant over the step):

1. If the neuron is refractory (``ref > 0``), ``u`` stays at ``u_reset`` and ``ref`` drops by 1.
2. Otherwise ``u`` is propagated over the step. The linear part is::

       A = u_rest + a_m (u - u_rest) + b_m x [+ c_syn (I - x)] [+ k_nl E(u)]

   with ``E(u) = delta_T exp(min((u - theta_rh)/delta_T, arg_cap))`` (ELIF only), and ``u' = A``,
   except for ELIF's ``"etd2"`` method, which adds the second-order correction::

       u' = A + k_nl2 (E(A) - E(u))

   (``exact``, ``etd2``, ``expeuler`` or ``euler`` coefficients, see
   :class:`lifbook.params.LIFCoefficients`).
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

import functools
import math
from typing import Any, NamedTuple

__all__ = ["LIFState", "StepCoefficients", "SCALAR_OPS", "propagate", "threshold_reset", "neuron_update", "lif_step"]


class LIFState(NamedTuple):
    """State of a population: arrays of shape ``(batch, *shape)`` (or ``shape`` unbatched)."""

    v: Any  #: membrane potential u (mV), post-reset after a step
    i: Any  #: synaptic current I (nA); ``None`` when no neuron has a synaptic filter
    ref: Any  #: refractory steps left (int32); ``None`` when ``t_ref`` rounds to 0 steps everywhere


class StepCoefficients(NamedTuple):
    """The coefficients of one step (``None`` for a term the model does not have).

    The field order is the one list of coefficients (see the module docstring); ``n_ref`` is the
    only integer one. Units: mV for ``u_*``, ``theta_rh``, ``delta_T``; MOhm for ``b_m`` and
    ``c_syn``; the others are dimensionless.
    """

    u_rest: Any
    u_reset: Any
    u_th: Any
    a_m: Any
    b_m: Any
    a_syn: Any = None  # with synaptic filter only
    c_syn: Any = None
    n_ref: Any = None  # with refractoriness only (int32)
    k_nl: Any = None  # ELIF only
    k_nl2: Any = None  # ELIF, method "etd2" only
    theta_rh: Any = None
    delta_T: Any = None
    arg_cap: Any = None


#: Coefficients held as integers (refractory steps); every other field is a float.
INT_FIELDS = ("n_ref",)


class _ScalarOps:
    """Array operations of :func:`neuron_update` for Python scalars (numba compiles these too)."""

    @staticmethod
    def where(cond, a, b):
        return a if cond else b

    @staticmethod
    def minimum(a, b):
        return min(a, b)

    @staticmethod
    def clamp_min(a, lo):
        return max(a, lo)

    exp = staticmethod(math.exp)


#: ``ops`` for :func:`neuron_update` on Python floats (``where``, ``minimum``, ``clamp_min``, ``exp``).
SCALAR_OPS = _ScalarOps


class _Compiled:
    """A function of this module that numba can also call from compiled code.

    Calls run the Python function. numba, compiling a caller (:func:`neuron_update` inside the
    engine's kernels, the network's loop), asks for ``_numba_type_`` and gets the function
    compiled by numba: so this module never imports numba, and the compiled engines run these
    very functions.
    """

    def __init__(self, fn):
        self.fn = fn
        self._jit = None
        functools.update_wrapper(self, fn)

    def __call__(self, *args):
        return self.fn(*args)

    @property
    def _numba_type_(self):
        if self._jit is None:
            import numba

            self._jit = numba.njit(inline="always", error_model="numpy")(self.fn)
        return self._jit._numba_type_


@_Compiled
def propagate(v, i, x, c, minimum, exp, SYN, EXP, ETD2):
    """Step 2 of the update (sub-threshold propagation over one step): ``(v, i, x) -> (v_free, i')``.

    ``v_free`` (mV) is the potential before the threshold test (it holds for a neuron that is not
    refractory), ``i'`` (nA) the synaptic current after the step (``i`` unchanged without
    ``SYN``). Arguments as in :func:`neuron_update`.
    """
    v_free = c.u_rest + c.a_m * (v - c.u_rest) + c.b_m * x
    i_new = i
    if SYN:
        v_free = v_free + c.c_syn * (i - x)
        i_new = x + c.a_syn * (i - x)
    if EXP:
        e_u = c.delta_T * exp(minimum((v - c.theta_rh) / c.delta_T, c.arg_cap))
        v_free = v_free + c.k_nl * e_u
        if ETD2:
            # ETD2RK (Cox & Matthews 2002): the exponential Euler value A corrected by the change of
            # the nonlinear term over the step; E(A) is finite for every A thanks to the cap.
            e_a = c.delta_T * exp(minimum((v_free - c.theta_rh) / c.delta_T, c.arg_cap))
            v_free = v_free + c.k_nl2 * (e_a - e_u)
    return v_free, i_new


@_Compiled
def threshold_reset(v_free, ref, c, where, clamp_min, REF):
    """Steps 1 and 3 of the update (refractoriness, threshold, reset): ``(v_free, ref) -> (v', ref', spike)``.

    ``v_free`` (mV): the propagated potential (:func:`propagate`, plus whatever a caller adds
    before the threshold, such as the network's delta-synapse jumps); ignored for a refractory
    neuron. Arguments as in :func:`neuron_update`.
    """
    if REF:
        active = ref == 0
        spike = (v_free >= c.u_th) & active
        v_new = where(active, where(spike, c.u_reset, v_free), c.u_reset)
        ref_new = where(spike, c.n_ref, clamp_min(ref - 1, 0))
    else:
        spike = v_free >= c.u_th
        v_new = where(spike, c.u_reset, v_free)
        ref_new = ref
    return v_new, ref_new, spike


def neuron_update(v, i, ref, x, c, where, minimum, clamp_min, exp, SYN, REF, EXP, ETD2):
    """One step of one neuron, or of arrays of neurons: ``(v, i, ref) -> (v', i', ref', spike)``.

    ``v`` (mV), ``i`` (nA), ``ref`` (steps) and the input ``x`` (nA): floats, or arrays that
    broadcast; ``c``: a :class:`StepCoefficients` of the same kind. ``where(cond, a, b)``,
    ``minimum``, ``clamp_min(a, lo)`` and ``exp`` are the operations on that kind of value
    (:data:`SCALAR_OPS`, a backend's ``ops``, or their numba versions). The flags say which terms
    exist: ``SYN`` synaptic filter (else ``i`` is returned unchanged), ``REF`` refractoriness
    (else ``ref`` is returned unchanged), ``EXP`` the ELIF term, ``ETD2`` its second-order
    correction (method ``"etd2"``). Fields of ``c`` for absent terms are not read. The order of
    the floating-point operations is part of the contract: every engine evaluates exactly these.

    It is :func:`propagate` followed by :func:`threshold_reset` (the network,
    :mod:`lifbook.network`, adds its synaptic ports' currents and jumps in between).
    """
    v_free, i_new = propagate(v, i, x, c, minimum, exp, SYN, EXP, ETD2)
    v_new, ref_new, spike = threshold_reset(v_free, ref, c, where, clamp_min, REF)
    return v_new, i_new, ref_new, spike


def lif_step(x, state: LIFState, c: StepCoefficients, ops) -> tuple[Any, LIFState]:
    """Advance ``state`` by one step of input ``x`` (nA); return ``(spikes, new_state)``.

    :func:`neuron_update` on whole arrays with the backend's ``ops`` (see
    :mod:`lifbook.backends`); the terms present follow from which fields of ``c`` and ``state``
    are ``None``. Pure: neither ``x`` nor ``state`` is modified.
    """
    syn, ref = state.i is not None, state.ref is not None
    v, i, r, spikes = neuron_update(state.v, state.i if syn else x, state.ref if ref else 0, x, c,
                                    ops.where, ops.minimum, ops.clamp_min, ops.exp,
                                    syn, ref, c.delta_T is not None, c.k_nl2 is not None)
    return spikes, LIFState(v, i if syn else None, r if ref else None)
