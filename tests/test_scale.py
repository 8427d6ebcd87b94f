"""lifbook.scale (bytes per update, record sizes, benchmark results) and the chapter 6 checks."""
import json
from pathlib import Path

import numpy as np
import pytest

from lifbook import CLIFPopulation, ELIFPopulation, exercises, scale

ROOT = Path(__file__).resolve().parents[1]


def test_bytes_per_update_counts_what_forward_and_run_move():
    assert scale.bytes_per_update() == 21  # x 4, v 4+4, ref 4+4, s 1
    assert scale.bytes_per_update(refractory=False) == 13
    assert scale.bytes_per_update(dtype="float64", synaptic=True) == 8 + 16 + 16 + 8 + 1
    assert scale.bytes_per_update(input_per_neuron=False) == 17
    assert scale.bytes_per_update("run", record="count", input_per_neuron=False) == 0
    assert scale.bytes_per_update("run", record=("spikes", "v")) == 4 + 1 + 4
    assert scale.bytes_per_update("run", record=("i",)) == 4 + 4  # without a filter, the input is recorded
    assert scale.bytes_per_update("run", record=("i",), synaptic=True, dtype="float64") == 8 + 8


def test_record_nbytes_equals_the_arrays_run_returns():
    n, T = 300, 40
    for Model, kw in ((CLIFPopulation, dict(tau_syn=2.0)), (ELIFPopulation, {})):
        for record in (("spikes",), ("spikes", "v"), ("v", "i"), ("count",), ("spikes", "v", "i", "count")):
            rec = Model(n=n, dtype="float32", **kw).run(1.0, steps=T, record=record)
            actual = sum(getattr(rec, name).nbytes for name in ("spikes", "v", "i", "count")
                         if getattr(rec, name, None) is not None)
            assert scale.record_nbytes(n, T, record, dtype="float32") == actual, record


@pytest.mark.parametrize("call, match", [
    (lambda: scale.bytes_per_update("backward"), "op: expected one of"),
    (lambda: scale.bytes_per_update(dtype="int32"), "dtype: expected a floating dtype"),
    (lambda: scale.bytes_per_update(dtype="banana"), "dtype: expected a floating dtype"),
    (lambda: scale.bytes_per_update("run", record=("voltage",)), "record: unknown"),
    (lambda: scale.record_nbytes(0, 10), "N: expected an int >= 1"),
    (lambda: scale.record_nbytes(10, 0), "T: expected an int >= 1"),
    (lambda: scale.stream_bandwidth(1000), "nbytes: expected at least 1 MiB"),
    (lambda: scale.throughput_table({"library": []}, "run"), "results: no measured rows"),
    (lambda: scale.workload_rows({"workloads": {"lif": []}}, "eif"), "workload: expected one of"),
])
def test_bad_arguments_name_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_non_integer_count_is_a_type_error_naming_the_parameter():
    with pytest.raises(TypeError, match=r"T: expected an int >= 1, got 2.5 \(float\)"):
        scale.record_nbytes(10, 2.5)


def test_stream_bandwidth_is_a_plausible_number():
    gbs = scale.stream_bandwidth(1 << 24, repeats=2)
    assert 0.5 < gbs < 2000


def test_the_committed_benchmark_results_load_and_are_consistent(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # package data: found from any working directory
    monkeypatch.delenv(scale.RESULTS_ENV, raising=False)
    res = scale.load_benchmark()
    assert res == json.loads((ROOT / "lifbook" / "data" / "bench_results.json").read_text())
    for op in ("run", "forward"):
        table = scale.throughput_table(res, op)
        assert {1000, 100_000, 1_000_000} <= set(table["numpy run (numba engine)" if op == "run"
                                                       else "numpy forward (numba engine)"])
        assert all(v > 0 for d in table.values() for v in d.values())
    rows = scale.workload_rows(res, "lif_ref")
    assert rows[0]["impl"].startswith("lifbook run")
    assert all(r["neurons_differing"] <= r["N"] // 1000 for r in rows)  # same spikes, up to rounding ties
    assert len(scale.workload_rows(res, "lif_ref", skipped=True)) >= len(rows)


def test_load_benchmark_explains_a_missing_or_wrong_file(tmp_path, monkeypatch):
    monkeypatch.setenv(scale.RESULTS_ENV, str(tmp_path / "none.json"))
    with pytest.raises(FileNotFoundError, match="path: no benchmark results file at .*none.json"):
        scale.load_benchmark()
    with pytest.raises(FileNotFoundError, match="bench_lifbook.py --json"):
        scale.load_benchmark(tmp_path / "other.json")
    (tmp_path / "r.json").write_text("{}")
    monkeypatch.setenv(scale.RESULTS_ENV, str(tmp_path / "r.json"))
    with pytest.raises(ValueError, match="not a results file"):
        scale.load_benchmark()
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a results file"):
        scale.load_benchmark(tmp_path / "list.json")


def test_check_bytes_per_update_right_and_wrong():
    assert exercises.check_bytes_per_update(21)
    assert "read *and* written" in repr(exercises.check_bytes_per_update(13))
    assert "spikes count too" in repr(exercises.check_bytes_per_update(20))
    assert "input is read" in repr(exercises.check_bytes_per_update(17))
    assert exercises.check_bytes_per_update(49, dtype="float64", synaptic=True)
    assert exercises.check_bytes_per_update(5, "run")
    assert "keeps the state in the cache" in repr(exercises.check_bytes_per_update(21, "run"))
    assert not exercises.check_bytes_per_update(3, "run")


def test_check_record_steps_right_and_wrong():
    assert exercises.check_record_steps(1600, 10**6, 8e9)
    assert "float64" in repr(exercises.check_record_steps(888, 10**6, 8e9))
    assert "one byte" in repr(exercises.check_record_steps(1939, 10**6, 8e9))
    assert not exercises.check_record_steps(1000, 10**6, 8e9)
    with pytest.raises(ValueError, match="does not grow with T"):
        exercises.check_record_steps(5, 10, 1e3, record="count")


def test_check_chunked_counts_right_and_wrong():
    n, steps = 2000, 600
    x = np.linspace(1.5, 4.0, n)
    m = CLIFPopulation(n=n)
    pieces = sum(m.run(x, steps=200, record="count").spike_counts() for _ in range(3))
    assert exercises.check_chunked_counts(pieces, n=n, steps=steps)
    restarted = sum(CLIFPopulation(n=n).run(x, steps=200, record="count").spike_counts() for _ in range(3))
    assert "start again from rest" in repr(exercises.check_chunked_counts(restarted, n=n, steps=steps))
    assert "more spikes" in repr(exercises.check_chunked_counts(pieces + 1, n=n, steps=steps))
    f = exercises.check_chunked_counts(pieces[:10], n=n, steps=steps)
    assert not f and f"expected spike counts of shape ({n},)" in f.message and "got shape (10,)" in f.message
    f = exercises.check_chunked_counts(..., n=n, steps=steps)
    assert not f and not f.answered and f.message.startswith("not answered yet")
    assert "whole numbers" in exercises.check_chunked_counts(pieces / 2.5, n=n, steps=steps).message
    assert "got a str" in exercises.check_chunked_counts("counts", n=n, steps=steps).message


@pytest.mark.parametrize("op", ["forward", "run"])
def test_throughput_measures_a_population_of_the_given_kind(op):
    r = scale.throughput(ELIFPopulation, 500, op, steps=20, repeats=1, dtype="float32")
    assert np.isfinite(r) and r > 0
    torch = pytest.importorskip("torch")
    assert scale.throughput(CLIFPopulation, 500, op, steps=20, repeats=1, backend="torch", dtype=torch.float32) > 0


def test_throughput_refuses_bad_arguments():
    with pytest.raises(ValueError, match="op: expected one of"):
        scale.throughput(CLIFPopulation, 10, "backward")
    with pytest.raises(ValueError, match="N: expected an int >= 1"):
        scale.throughput(CLIFPopulation, 0)
    with pytest.raises(ValueError, match="steps: expected an int >= 1"):
        scale.throughput(CLIFPopulation, 10, steps=0)


def test_stream_bandwidth_with_threads_and_cache_sizes():
    assert scale.stream_bandwidth(1 << 22, repeats=1, threads=2) > 0.5
    with pytest.raises(ValueError, match="threads: expected an int >= 1"):
        scale.stream_bandwidth(1 << 22, threads=0)
    caches = scale.cache_sizes()
    if Path("/sys/devices/system/cpu/cpu0/cache").is_dir():
        assert "L1d" in caches and all(v > 0 for v in caches.values())
