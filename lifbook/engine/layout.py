"""How the numba engine lays out parameters for its kernels (shared by :mod:`.cpu` and :mod:`.kernels`).

Parameters travel as one float matrix ``P`` of shape ``(len(PARAMS), Np)`` with a row per name
below, and the refractory steps as an int32 vector ``Pn`` of shape ``(Np,)``: ``Np = 1`` when
every parameter is shared by all neurons, ``Np = N`` (one column per neuron) when any is not.
Rows a model does not use hold :data:`UNUSED` values, which the kernels never read.
"""
PARAMS = ("u_rest", "a_m", "b_m", "u_th", "u_reset", "a_syn", "c_syn", "k_nl", "theta_rh", "delta_T", "arg_cap")
(U_REST, A_M, B_M, U_TH, U_RESET, A_SYN, C_SYN, K_NL, THETA_RH, DELTA_T, ARG_CAP) = range(len(PARAMS))
UNUSED = {"a_syn": 0.0, "c_syn": 0.0, "k_nl": 0.0, "theta_rh": 0.0, "delta_T": 1.0, "arg_cap": 0.0}
