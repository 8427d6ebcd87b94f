"""Chapter 8 explorer: Brunel's model A over relative inhibition g and external drive nu_ext / nu_thr."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._base import Explorer, Param

__all__ = ["NetworkExplorer", "classify_state", "normalised_spectrum"]

#: Fraction of the population-rate spectrum's power (above 0 Hz) in its largest frequency bin
#: above which the explorer calls a state synchronous, and the mean ISI CV below which it calls the
#: single neurons regular. Chosen from the frames themselves (chapter 8 shows the values).
SYNC_FRACTION, REGULAR_CV = 0.2, 0.35


def classify_state(peak_fraction: float, cv: float) -> str:
    """Brunel's (2000) names of the state: ``"SR"``, ``"SI"``, ``"AR"`` or ``"AI"``.

    ``peak_fraction``: the fraction of the population-rate spectrum's power (0 Hz left out) in its
    largest frequency bin; synchronous when it exceeds ``SYNC_FRACTION`` (a flat, asynchronous
    spectrum spreads its power over all bins). ``cv``: the mean ISI CV; regular below ``REGULAR_CV``.
    """
    sync = "S" if peak_fraction > SYNC_FRACTION else "A"
    return sync + ("R" if cv < REGULAR_CV else "I")


def normalised_spectrum(pop_rate, rate: float, n: int, bin_ms: float, segment_ms: float):
    """``(freq_hz, power)``: :func:`lifbook.analysis.rate_spectrum` of a population rate (Hz, bins of
    ``bin_ms``) divided by ``2 rate / n``, the flat one-sided spectrum of ``n`` independent Poisson
    neurons firing at ``rate`` Hz. 1 at every frequency means no correlation between the neurons."""
    from ..analysis import rate_spectrum

    f, P = rate_spectrum(pop_rate, bin_ms, segment_ms=segment_ms)
    return f, P / (2.0 * rate / n if rate > 0 else 1.0)


@lru_cache(maxsize=64)
def _simulate(g: float, nu_ext_ratio: float, N_E: int, duration: float, t_min: float, seed: int) -> dict:
    """One run of Brunel's model A (C_E = 1000, C_I = 250 fixed), and everything the explorer shows."""
    from .. import analysis, network
    from ..network import theory as nt

    net = network.brunel(g=g, nu_ext_ratio=nu_ext_ratio, N_E=N_E, C_E=1000, C_I=250, seed=seed)
    rec = net.run(duration)
    t, i = rec.spike_events()
    keep = t > t_min
    cv_n = analysis.isi_cv(t[keep], i[keep], net.n)
    rate = rec.mean_rate(t_min=t_min)
    bin_ms = NetworkExplorer.SPECTRUM_BIN_MS
    tb, pr = rec.population_rate(bin_ms=bin_ms)
    f, P_norm = normalised_spectrum(pr[tb > t_min], rate, net.n, bin_ms, NetworkExplorer.SEGMENT_MS)
    j = 1 + int(np.argmax(P_norm[1:]))
    mf = nt.brunel_rate(g, nu_ext_ratio)
    mu, sigma = nt.brunel_mu_sigma(mf, g, nu_ext_ratio * network.brunel_nu_thr(), C_E=1000)
    cv_theory = nt.isi_cv_diffusion(mu, sigma) if mf > 0 else float("nan")
    shown_t0 = duration - NetworkExplorer.SHOW_MS
    sel = (t > shown_t0) & (i < NetworkExplorer.N_SHOW)
    tb1, pr1 = rec.population_rate(bin_ms=NetworkExplorer.RATE_BIN_MS)
    s1 = tb1 > shown_t0
    cv = float(np.nanmean(cv_n)) if np.any(np.isfinite(cv_n)) else float("nan")
    out = {"g": float(g), "nu_ext_ratio": float(nu_ext_ratio), "n": net.n, "N_E": N_E,
           "t_events": t[sel], "neuron_events": i[sel], "bin_t": tb1[s1], "pop_rate": pr1[s1],
           "freq": f, "power": P_norm, "peak_freq": float(f[j]), "peak": float(P_norm[j]),
           "peak_fraction": float(P_norm[j] / P_norm[1:].sum()),
           "mean_rate": float(rate), "cv": cv, "cv_neurons": int(np.sum(np.isfinite(cv_n))),
           "rate_mean_field": float(mf), "cv_diffusion": float(cv_theory), "mu": float(mu), "sigma": float(sigma),
           "state": classify_state(float(P_norm[j] / P_norm[1:].sum()), cv)}
    for v in out.values():
        if isinstance(v, np.ndarray):
            v.setflags(write=False)
    return out


class NetworkExplorer(Explorer):
    """Chapter 8: Brunel's model A, relative inhibition ``g`` against external drive ``nu_ext / nu_thr``.

    Brunel (2000) model A (:func:`lifbook.network.brunel`) scaled down to ``N_E = 2000``
    excitatory and 500 inhibitory neurons with the in-degrees kept (``C_E = 1000``, ``C_I = 250``,
    so the mean-field theory is that of the full network; the connection fraction is 0.5
    instead of 0.1), simulated for 800 ms (seed 3); statistics from 100 ms on. Left: raster of 50
    excitatory neurons and the population rate (1 ms bins) over the last 100 ms. Right: the
    population-rate spectrum (0.5 ms bins, 100 ms segments) divided by that of independent
    Poisson neurons at the same rate (1: no synchrony). Titles: the simulated rate and the
    mean-field rate (:func:`lifbook.network.theory.brunel_rate`), the mean ISI CV and the CV of
    the diffusion approximation at the mean-field input
    (:func:`lifbook.network.theory.isi_cv_diffusion`), and the state (``lifbook.widgets.network.classify_state``).
    """

    params = (
        Param("g", 5.0, 2.0, 8.0, 0.5, (3.0, 4.0, 5.0, 6.0, 7.0, 8.0), "", "g"),
        Param("nu_ext_ratio", 2.0, 0.5, 4.0, 0.5, (1.0, 2.0, 3.0, 4.0), "", "ν_ext/ν_thr"),
    )
    N_E, DURATION, T_MIN, SEED = 2000, 800.0, 100.0, 3
    SPECTRUM_BIN_MS, SEGMENT_MS, RATE_BIN_MS = 0.5, 100.0, 1.0
    N_SHOW, SHOW_MS = 50, 100.0
    POWER_LIM = (0.1, 1e6)
    figsize = (8.0, 3.8)

    def compute(self, g=5.0, nu_ext_ratio=2.0) -> dict:
        from ..network.core import _real

        g = _real(g, "g", "relative inhibition", 0.0)
        nu_ext_ratio = _real(nu_ext_ratio, "nu_ext_ratio", "nu_ext / nu_thr", 0.0, strict=True)
        return _simulate(g, nu_ext_ratio, self.N_E, self.DURATION, self.T_MIN, self.SEED)

    def draw(self, fig):
        axd = fig.subplot_mosaic([["raster", "spec"], ["rate", "spec"]], width_ratios=[1.4, 1],
                                 height_ratios=[1.6, 1])
        ax_r, ax_p, ax_s = axd["raster"], axd["rate"], axd["spec"]
        ax_r.sharex(ax_p)
        t0 = self.DURATION - self.SHOW_MS
        dots = ax_r.scatter([], [], s=4, marker="|", color="k", linewidths=0.8)
        ax_r.set_ylim(-0.5, self.N_SHOW - 0.5)
        ax_r.set_ylabel("neuron")
        ax_r.tick_params(labelbottom=False)
        line, = ax_p.plot([], [], color="C0", lw=0.8)
        ax_p.set_xlim(t0, self.DURATION)
        ax_p.set_ylim(0, 1000.0)
        ax_p.set_xlabel("time (ms)")
        ax_p.set_ylabel("rate (Hz)")
        spec, = ax_s.semilogy([], [], color="C3", lw=1.0)
        ax_s.axhline(1.0, color="0.5", lw=0.8, ls="--")
        ax_s.set_xlim(0, 500)
        ax_s.set_ylim(*self.POWER_LIM)
        ax_s.set_xlabel("frequency (Hz)")
        ax_s.set_ylabel("power / Poisson level")

        def update(r):
            dots.set_offsets(np.column_stack([r["t_events"], r["neuron_events"]]) if len(r["t_events"])
                             else np.zeros((0, 2)))
            line.set_data(r["bin_t"] - self.RATE_BIN_MS, r["pop_rate"])
            spec.set_data(r["freq"][1:], np.clip(r["power"][1:], *self.POWER_LIM))
            ax_r.set_title(f"g = {r['g']:g}, ν_ext = {r['nu_ext_ratio']:g} ν_thr: {r['state']}; "
                           f"rate {r['mean_rate']:.1f} Hz (mean field {r['rate_mean_field']:.1f} Hz)",
                           fontsize=9)
            ax_s.set_title(f"CV {r['cv']:.2f} (diffusion {r['cv_diffusion']:.2f}); "
                           f"peak {r['peak_freq']:.0f} Hz, {100 * r['peak_fraction']:.0f}% of power", fontsize=9)
        return update, [dots, line, spec, ax_r.title, ax_s.title]
