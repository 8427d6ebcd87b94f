"""Shared test helpers (not a conftest: tests/book has its own): torch and CUDA detection that never fails without torch."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

HAVE_TORCH = importlib.util.find_spec("torch") is not None


def cuda_available() -> bool:
    if not HAVE_TORCH:
        return False
    import torch

    return torch.cuda.is_available()


requires_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed (pip install lifbook[torch])")
requires_cuda = pytest.mark.skipif(not cuda_available(),
                                   reason="no CUDA device here: CUDA tests run only on a machine with a GPU")


def to_np(a):
    if isinstance(a, np.ndarray) or a is None:
        return a
    return a.detach().cpu().numpy()


def engine_configs(n: int):
    """``(configs, ids)``: population classes and parameters covering every kernel variant (methods,
    synaptic filter, refractoriness, per-neuron parameters of length ``n``), for engine-agreement tests."""
    from lifbook import CLIFPopulation, ELIFPopulation

    configs = [
        (CLIFPopulation, {}),
        (CLIFPopulation, dict(method="euler", t_ref=0.0)),
        (CLIFPopulation, dict(tau_syn=3.0, t_ref=1.0)),
        (CLIFPopulation, dict(tau_m=np.linspace(5, 20, n), t_ref=np.linspace(0, 3, n), tau_syn=2.0,
                              method="euler")),
        (ELIFPopulation, {}),
        (ELIFPopulation, dict(method="euler", tau_syn=2.0)),
        (ELIFPopulation, dict(delta_T=np.linspace(0.5, 3, n), theta_rh=np.linspace(-58, -50, n), t_ref=0.0)),
        (ELIFPopulation, dict(method="expeuler", tau_syn=2.0, tau_m=np.linspace(8, 16, n))),
    ]
    ids = ["clif", "clif-euler-noref", "clif-syn", "clif-het-syn-euler", "elif", "elif-euler-syn", "elif-het-noref",
           "elif-expeuler-syn-het"]
    return configs, ids
