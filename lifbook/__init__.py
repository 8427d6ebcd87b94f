"""lifbook: current-based (CLIF) and exponential (ELIF) leaky integrate-and-fire neurons.

>>> from lifbook import CLIFPopulation
>>> model = CLIFPopulation(n=10)
>>> model.set_batch_size(10)
>>> _ = model.forward([10.0] * model.n)
>>> model.s.shape
(10, 10)

Units: ms, mV, MOhm, nA (``R * I`` in mV), Hz. ``import lifbook`` loads NumPy only; torch,
matplotlib and ipywidgets are imported by the parts that need them.
"""
from __future__ import annotations

import importlib

from .params import CLIFParams, ELIFParams, print_default_parameters
from .population import CLIFPopulation, ELIFPopulation, NumericalWarning
from .record import Record
from .validate import UnitWarning

__version__ = "0.1.0"

__all__ = [
    "CLIFPopulation", "ELIFPopulation", "CLIFParams", "ELIFParams", "Record", "NumericalWarning", "UnitWarning",
    "print_default_parameters", "getting_started",
    "inputs", "theory", "plot", "analysis", "widgets", "frames", "engine", "scale", "accuracy",
    "network",
]

_LAZY = {"inputs", "theory", "plot", "analysis", "widgets", "frames", "engine", "exercises", "demo", "scale",
         "accuracy", "network"}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lifbook' has no attribute {name!r}")


def getting_started() -> None:
    """Simulate one CLIF and one ELIF neuron under a step current and plot them."""
    import matplotlib.pyplot as plt

    from . import inputs, plot

    current = inputs.step(amplitude=2.5, start=10.0, stop=90.0)
    fig, axes = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    for ax, Model, amp in zip(axes, (CLIFPopulation, ELIFPopulation), (2.5, 0.6)):
        model = Model(n=1)
        rec = model.run(current * (amp / 2.5), steps=1000, record=("spikes", "v"))
        plot.voltage_trace(rec, ax=ax)
        ax.set_title(f"{Model.__name__}: {rec.spike_counts().item()} spikes")
    fig.tight_layout()
    plt.show()
