"""Shared fixtures: real Keras model files, built once per test session in child processes."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FACTORY = ROOT / "tests" / "model_factory.py"


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m modelcheck ARGS` as a user would, in a fresh process."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "modelcheck", *args], capture_output=True, text=True, cwd=cwd or ROOT, env=full_env, timeout=300
    )


def run_json(*args: str, cwd: Path | None = None) -> tuple[int, dict]:
    result = run_cli("--format", "json", *args, cwd=cwd)
    assert result.stderr.strip() == "" or "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.fixture(scope="session")
def canary_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("canary") / "LAMBDA_RAN"


def _build(tmp_path_factory, flavor: str, canary: Path) -> Path:
    module = "tf_keras" if flavor == "keras2" else "keras"
    if not _has(module):
        pytest.skip(f"{module} is not installed (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp(f"models_{flavor}")
    subprocess.run(
        [sys.executable, str(FACTORY), str(out), flavor, str(canary)],
        check=True,
        capture_output=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=600,
    )
    return out


@pytest.fixture(scope="session")
def keras3_models(tmp_path_factory, canary_path) -> Path:
    return _build(tmp_path_factory, "keras3", canary_path)


@pytest.fixture(scope="session")
def keras2_models(tmp_path_factory, canary_path) -> Path:
    return _build(tmp_path_factory, "keras2", canary_path)


@pytest.fixture(params=["keras3.keras", "keras3.h5", "keras2.h5"])
def model_file(request, keras3_models, keras2_models):
    """A function NAME -> path of that fixture model in each format (parametrised)."""
    flavor, suffix = request.param.split(".")
    folder = keras3_models if flavor == "keras3" else keras2_models
    return lambda name: folder / f"{name}.{suffix}"
