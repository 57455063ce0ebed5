"""The static path never imports TensorFlow or Keras (a pre-commit hook must answer fast)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT

PROBE = """
import sys, json
from modelcheck.cli import main
import io, contextlib
buffer = io.StringIO()
with contextlib.redirect_stdout(buffer):
    status = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'torch', 'jax'))
print(json.dumps({"status": status, "heavy": heavy}))
"""


def _imports_for(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_checking_model_files_imports_no_tensorflow(keras3_models, keras2_models):
    outcome = _imports_for(str(keras3_models), str(keras2_models))
    assert outcome["status"] == 1
    assert outcome["heavy"] == []


def test_checking_json_and_sarif_imports_no_tensorflow(keras3_models):
    for fmt in ("json", "sarif", "github"):
        assert _imports_for("--format", fmt, str(keras3_models / "clean_finetune.keras"))["heavy"] == []
