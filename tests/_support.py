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
