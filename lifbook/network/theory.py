"""Theory for networks, kept importable here: the functions live in :mod:`lifbook.theory`.

:func:`~lifbook.theory.siegert_rate`, :func:`~lifbook.theory.brunel_mu_sigma` and
:func:`~lifbook.theory.brunel_rate` in :mod:`lifbook.theory.mean_field` (Brunel's mean-field rate);
:func:`~lifbook.theory.shot_noise` (Campbell's theorem) and :func:`~lifbook.theory.isi_cv_diffusion`
in :mod:`lifbook.theory.noise`. ``lifbook.network.theory.brunel_rate is lifbook.theory.brunel_rate``.
"""
from __future__ import annotations

from ..theory.mean_field import brunel_mu_sigma, brunel_rate, siegert_rate
from ..theory.noise import isi_cv_diffusion, shot_noise

__all__ = ["siegert_rate", "brunel_mu_sigma", "brunel_rate", "shot_noise", "isi_cv_diffusion"]
