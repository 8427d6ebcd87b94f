"""Counter-based random numbers for Poisson drives: the same draws in NumPy and in numba.

The count of drive ``d`` for neuron ``m`` (index within the target population) in step ``k``
(the network's global step counter) is a pure function of ``(key_d, k, m)``, drawn like
splitmix64 (Steele, Lea & Flood 2014): a per-step seed ``h_k = mix(key_d + (k + 1) G)`` and
for neuron ``m`` the value ``mix(h_k + (m + 1) G)`` of the splitmix64 sequence seeded with
``h_k`` (``G`` the golden-ratio increment, ``mix`` splitmix64's finaliser); its top 53 bits
give a uniform number in [0, 1), and inversion of the Poisson distribution gives the count.
Nothing depends on how the run is cut into calls, on the order in which neurons are visited
or on the number of threads.

A Poisson count with mean ``lam`` is drawn as the sum of ``m = ceil(lam / LAM_CHUNK)``
independent counts of mean ``lam / m``, so that inversion stays short and ``exp(-lam / m)``
never underflows; sub-draw ``s >= 1`` uses ``mix(h + s G)`` with ``h`` the neuron's value above
(sub-draw 0 uses ``h`` itself). Inversion: the count is the smallest ``c`` with ``u <= F(c)``,
``F`` the cumulative distribution tabulated once per drive (:func:`cdf_table`), at most
:data:`MAX_TERMS`.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["MIX1", "MIX2", "GOLDEN", "LAM_CHUNK", "MAX_TERMS", "mix", "drive_key", "poisson_counts",
           "chunking", "cdf_table"]

MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: Largest mean of one inversion (the sum of several covers larger means exactly).
LAM_CHUNK = 16.0
#: Cap on the terms of one inversion: P(count > 120 | mean <= 16) < 1e-60.
MAX_TERMS = 120
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_INV53 = 2.0 ** -53


def mix(z):
    """splitmix64's finaliser (a bijection of uint64) on a NumPy uint64 array."""
    z = (z ^ (z >> _S30)) * MIX1
    z = (z ^ (z >> _S27)) * MIX2
    return z ^ (z >> _S31)


def drive_key(seed: int, index: int) -> int:
    """The 64-bit key of drive number ``index`` in a network seeded with ``seed``."""
    ss = np.random.SeedSequence([int(seed), 0x6472697665, int(index)])  # "drive"
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def chunking(lam: float) -> tuple[int, float, float]:
    """``(m, lam_c, exp(-lam_c))``: the number of sub-draws and the mean of each."""
    m = max(1, int(math.ceil(lam / LAM_CHUNK)))
    lam_c = lam / m
    return m, lam_c, math.exp(-lam_c)


def cdf_table(lam_c: float) -> np.ndarray:
    """``F(c) = P(count <= c)`` for ``c = 0 .. MAX_TERMS`` of a Poisson count of mean ``lam_c`` (float64),
    by the recurrence ``p_c = p_{c-1} lam_c / c`` from ``p_0 = exp(-lam_c)``."""
    out = np.empty(MAX_TERMS + 1)
    p = math.exp(-lam_c)
    cdf = p
    out[0] = cdf
    for c in range(1, MAX_TERMS + 1):
        p = p * lam_c / c
        cdf = cdf + p
        out[c] = cdf
    return out


def poisson_counts(key: int, k: int, n: int, lam: float) -> np.ndarray:
    """Counts (int64, shape ``(n,)``) of a drive with mean ``lam`` per neuron in step ``k`` (NumPy)."""
    m_sub, lam_c, _ = chunking(lam)
    total = np.zeros(n, dtype=np.int64)
    if lam <= 0.0:
        return total
    table = cdf_table(lam_c)
    # uint64 arithmetic wraps modulo 2**64 on arrays (NumPy warns only for scalars).
    h_k = mix(np.array([key], dtype=np.uint64) + np.array([k + 1], dtype=np.uint64) * GOLDEN)
    h0 = mix(h_k + (np.arange(n, dtype=np.uint64) + np.uint64(1)) * GOLDEN)
    for s in range(m_sub):
        h = h0 if s == 0 else mix(h0 + np.full(n, s, dtype=np.uint64) * GOLDEN)
        u = (h >> _S11).astype(np.float64) * _INV53
        total += np.minimum(np.searchsorted(table, u, side="left"), MAX_TERMS)
    return total
