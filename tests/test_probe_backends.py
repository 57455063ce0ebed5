"""The same probe cases give the same verdicts on every installed Keras 3 backend.

Each backend runs tests/probe_cases.py in a child process (KERAS_BACKEND is read once, at
import): four saved models, and a frozen MobileNetV2 rebuilt from a script's IR with and
without its ImageNet weights in the Keras cache, on real images. PyTorch runs where it is
installed (the GPU machine has it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from probe_cases import NO_NETWORK

EXPECTED = {
    "healthy": [],
    "hidden_softmax": ["MC502"],
    "sgd_1e4": ["MC504"],
    "all_frozen": ["MC502", "MC506"],
    "cached_backbone": ["MC508"],
    "random_backbone": ["MC508", "MC510"],
}


def _backend(name: str, module: str, *marks: pytest.MarkDecorator):
    missing = importlib.util.find_spec(module) is None
    return pytest.param(name, marks=[*marks, pytest.mark.skipif(missing, reason=f"{module} is not installed")], id=name)


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend",
    [_backend("tensorflow", "tensorflow", pytest.mark.tf), _backend("jax", "jax", pytest.mark.jax),
     _backend("torch", "torch")],
)
def test_probe_verdicts_are_the_same_on_each_backend(backend, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]), "KERAS_BACKEND": backend,
           "TF_CPP_MIN_LOG_LEVEL": "3", **NO_NETWORK}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "probe_cases.py"), str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert {name: result["codes"] for name, result in results.items()} == EXPECTED, results
    assert {result["backend"] for result in results.values()} == {backend}
    assert results["healthy"]["final_ratio"] < 0.5
    assert results["hidden_softmax"]["labels"] == ["as written", "with relu (MC101 fix)"]
    cached = results["cached_backbone"]
    assert cached["weights"].startswith("MobileNetV2: ImageNet weights from ")
    assert cached["labels"] == ["as written", "with mobilenet_v2.preprocess_input (MC201 fix)"]
    assert cached["final_ratio"] < 0.5
    assert results["random_backbone"]["labels"] == ["as written"]
    assert results["random_backbone"]["weights"].startswith("MobileNetV2: random weights (")
