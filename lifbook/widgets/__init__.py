"""Explorers, one per chapter: a pure ``compute`` (unit-tested), a figure that updates in place,
a live face for a running kernel (``.live()``) and a kernel-free face for the rendered book
(``.static()``). The machinery is in :mod:`lifbook.widgets._base`.

``import lifbook.widgets`` imports neither matplotlib nor ipywidgets; building a face does.
"""
from ._base import LIVE_DPI, Explorer, Param, Renderer
from .eif import EIFExplorer
from .irregular import IrregularExplorer
from .lif import LIFExplorer
from .network import NetworkExplorer
from .numerics import NumericsExplorer
from .population import PopulationExplorer
from .scale import ScaleExplorer
from .step import StepResponseExplorer

__all__ = ["Param", "Explorer", "Renderer", "LIVE_DPI", "StepResponseExplorer", "LIFExplorer",
           "PopulationExplorer", "EIFExplorer", "NumericsExplorer", "ScaleExplorer", "IrregularExplorer",
           "NetworkExplorer"]
