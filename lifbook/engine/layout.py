"""How the numba engine lays out coefficients for its kernels (shared by :mod:`.cpu` and :mod:`.kernels`).

Derived from the one list of coefficients, :class:`lifbook.dynamics.StepCoefficients` (its field
order). The float coefficients travel as one matrix ``P`` of shape ``(len(PARAMS), Np)``, a row
per name of :data:`PARAMS` in that order, and the integer ones (``n_ref``) as an int32 vector
``Pn`` of shape ``(Np,)``: ``Np = 1`` when every coefficient is shared by all neurons, ``Np = N``
(one column per neuron) when any is not. Rows a model does not use hold :data:`UNUSED` values,
which the kernels never read.
"""
from ..dynamics import INT_FIELDS, StepCoefficients

#: Every coefficient, in the order of :class:`~lifbook.dynamics.StepCoefficients`.
FIELDS = StepCoefficients._fields
#: The float coefficients: the rows of ``P``.
PARAMS = tuple(name for name in FIELDS if name not in INT_FIELDS)
#: Row of ``P`` for each float coefficient.
ROW = {name: k for k, name in enumerate(PARAMS)}
#: Fill values for the rows of coefficients a model does not have (never read by the kernels).
UNUSED = {"a_syn": 0.0, "c_syn": 0.0, "k_nl": 0.0, "k_nl2": 0.0, "theta_rh": 0.0, "delta_T": 1.0, "arg_cap": 0.0}
assert set(INT_FIELDS) == {"n_ref"} and set(UNUSED) <= set(PARAMS)
