"""NumPy and PyTorch backends agree.

Stated tolerances (checked below, batched and unbatched):

* float64, NumPy vs torch CPU: identical spikes and ``|dv| <= 1e-9 mV`` (in practice bitwise equal:
  both evaluate the same expression in the same order).
* float32, NumPy vs torch CPU: identical spikes; ``|dv| <= 0.05 mV`` for ELIF (the two libraries'
  float32 ``exp`` differ in the last bit and the difference grows near a spike), bitwise for CLIF.
* float32 vs float64: a spike may move by one step when the crossing lies within float32 rounding of
  the threshold, so spike counts agree within 1 per neuron and spike trains in >= 99% of bins.
* CUDA (when a GPU is present): as float32/float64 above against the NumPy float64 reference.
"""
import numpy as np
import pytest

from _support import requires_cuda, requires_torch
from lifbook import CLIFPopulation, ELIFPopulation

CASES = [
    (CLIFPopulation, {}, 4.0),
    (CLIFPopulation, dict(tau_syn=4.0, t_ref=1.0), 5.0),
    (CLIFPopulation, dict(method="euler"), 4.0),
    (ELIFPopulation, {}, 1.0),
    (ELIFPopulation, dict(method="euler", tau_syn=2.0), 1.0),
    (ELIFPopulation, dict(delta_T=np.linspace(0.5, 3, 20), theta_rh=np.linspace(-58, -50, 20)), 1.0),
]


def _inputs(batch, x_max, steps=1500, seed=0):
    rng = np.random.default_rng(seed)
    shape = (steps, 20) if batch is None else (steps, batch, 20)
    return rng.uniform(0.0, x_max, size=shape)


@requires_torch
@pytest.mark.parametrize("Model, kw, x_max", CASES)
@pytest.mark.parametrize("batch", [None, 3])
def test_float64_numpy_and_torch_agree(Model, kw, x_max, batch):
    import torch

    x = _inputs(batch, x_max)
    a = Model(n=20, batch_size=batch, **kw).run(x, record=("spikes", "v", "i"))
    b = Model(n=20, batch_size=batch, backend="torch", dtype=torch.float64, **kw).run(
        torch.tensor(x), record=("spikes", "v", "i"))
    assert isinstance(b.v, torch.Tensor)
    b = b.numpy()
    assert a.spikes.sum() > 20
    np.testing.assert_array_equal(a.spikes, b.spikes)
    np.testing.assert_allclose(a.v, b.v, rtol=0, atol=1e-9)
    np.testing.assert_allclose(a.i, b.i, rtol=0, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("Model, kw, x_max", CASES)
def test_float32_numpy_and_torch_agree(Model, kw, x_max):
    import torch

    x = _inputs(2, x_max).astype(np.float32)
    a = Model(n=20, batch_size=2, dtype="float32", **kw).run(x)
    b = Model(n=20, batch_size=2, backend="torch", dtype=torch.float32, **kw).run(torch.from_numpy(x)).numpy()
    assert a.v.dtype == np.float32 and b.v.dtype == np.float32
    np.testing.assert_array_equal(a.spikes, b.spikes)
    np.testing.assert_allclose(a.v, b.v, rtol=0, atol=0.05 if Model is ELIFPopulation else 0.0)


@pytest.mark.parametrize("Model, kw, x_max", CASES)
def test_float32_against_float64(Model, kw, x_max):
    x = _inputs(2, x_max)
    a = Model(n=20, batch_size=2, **kw).run(x)
    b = Model(n=20, batch_size=2, dtype="float32", **kw).run(x.astype(np.float32))
    assert np.abs(a.spike_counts() - b.spike_counts()).max() <= 1
    assert (a.spikes == b.spikes).mean() >= 0.99


@requires_torch
def test_seed_input_int64_tensor_and_numpy_give_the_same_result():
    import torch

    a = CLIFPopulation(n=10, batch_size=10)
    b = CLIFPopulation(n=10, batch_size=10, dtype="float32")
    for _ in range(50):
        a.forward(torch.tensor([10 for _ in range(10)]))
        b.forward(np.full(10, 10.0))
    np.testing.assert_array_equal(a.v.numpy(), b.v)
    np.testing.assert_array_equal(a.s.numpy(), b.s)


@requires_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("Model, kw, x_max", CASES)
@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_cuda_agrees_with_numpy(Model, kw, x_max, dtype_name):
    import torch

    dtype = getattr(torch, dtype_name)
    x = _inputs(3, x_max)
    ref = Model(n=20, batch_size=3, **kw).run(x)
    m = Model(n=20, batch_size=3, device="cuda", dtype=dtype, **kw)
    rec = m.run(torch.tensor(x, dtype=dtype, device="cuda"))
    assert rec.v.device.type == "cuda" and m.v.device.type == "cuda"
    rec = rec.numpy()
    agree = (rec.spikes == ref.spikes).mean()
    assert agree >= (0.999 if dtype_name == "float64" else 0.99)
    assert np.abs(rec.spike_counts() - ref.spike_counts()).max() <= 1
    if dtype_name == "float64" and agree == 1.0:
        np.testing.assert_allclose(rec.v, ref.v, rtol=0, atol=1e-6)


@requires_cuda
@pytest.mark.cuda
def test_cuda_seed_usage_and_device_errors():
    import torch

    model = CLIFPopulation(n=10)
    model.set_batch_size(10)
    model.forward(torch.tensor([10 for _ in range(model.n)], device="cuda"))
    assert model.s.device.type == "cuda" and model.v.device.type == "cuda"
    cpu = CLIFPopulation(n=10, backend="torch")
    with pytest.raises(ValueError, match="tensor is on cuda:0 but the population lives on cpu"):
        cpu.forward(torch.ones(10, device="cuda"))
    with pytest.raises(ValueError, match="cannot enter a NumPy"):
        CLIFPopulation(n=10, backend="numpy").forward(torch.ones(10, device="cuda"))
