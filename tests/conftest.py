"""Shared fixtures and helpers: real Keras model files (built once per session in child
processes), the CLI in a fresh process, and a generous bound for hostile inputs.

Markers (registered in pyproject.toml):
- ``tf``: needs TensorFlow/Keras/tf-keras (the ``[dev]`` extra). A test that takes the
  ``keras`` fixture or a model built by TensorFlow (``keras3_models``, ``keras2_models``,
  ``model_file``) gets it automatically; others say ``@pytest.mark.tf``. Without TensorFlow
  they are skipped with a reason that says so. Test modules import Keras only inside
  tests and fixtures, so that ``-m "not tf"`` collects them without TensorFlow.
- ``slow``: a few seconds or more each (installs an environment, builds models, long properties).
- ``fuzz``: a property test (hypothesis).

The fast lane, ``python -m pytest -m "not tf and not slow"``, needs no TensorFlow.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
FACTORY = ROOT / "tests" / "model_factory.py"
# Fixtures that need TensorFlow: a test that takes one, directly or through another fixture,
# is marked `tf`.
TF_FIXTURES = frozenset({"keras", "keras3_models", "keras2_models", "model_file", "bn_models"})
TF_MODULES = ("tensorflow", "keras", "tf_keras")


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that need TensorFlow; skip them, saying why, where it is not installed."""
    missing = [module for module in TF_MODULES if not _has(module)]
    skip = pytest.mark.skip(reason=f"needs TensorFlow ({', '.join(missing)} not installed): pip install -e '.[dev]'")
    for item in items:
        if TF_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.tf)
        if missing and item.get_closest_marker("tf"):
            item.add_marker(skip)


class Hung(BaseException):
    """A bounded step ran past its generous limit. A BaseException, so that code under test
    that degrades ``except Exception`` to "unknown" cannot swallow it."""


@contextmanager
def hang_guard(cpu_seconds: float, what: str) -> Iterator[None]:
    """Fail with "`what` hung" once the block has used ``cpu_seconds`` of CPU time.

    A bound for hostile inputs that would otherwise never return, never a speed check:
    pick a limit many times the normal cost. CPU time, so that a loaded machine never
    trips it while a loop that spins forever does. It uses ITIMER_PROF (SIGPROF): the
    real-time timer is modelcheck's own per-file limit, which steps aside when another
    real timer runs, and a watchdog thread would change how modelcheck reads HDF5 files
    (it forks only while the process has a single thread). A child process's time does
    not count: bound a child with its own timeout (``run_cli`` says "hung" too).
    """

    def hung(signum: int, frame: object) -> None:
        signal.setitimer(signal.ITIMER_PROF, 1.0)  # again in a second, in case a finalizer swallowed this one
        raise Hung(f"{what} hung: no result after {cpu_seconds:g} s of CPU time")

    previous = signal.signal(signal.SIGPROF, hung)
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300, **kwargs: Any) -> subprocess.CompletedProcess:
    """Run `python -m modelcheck ARGS` as a user would, in a fresh process; ``kwargs`` go to subprocess.run (input=, preexec_fn=)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})}
    try:
        return subprocess.run(
            [sys.executable, "-m", "modelcheck", *args], capture_output=True, text=True, cwd=cwd or ROOT, env=full_env, timeout=timeout,
            **kwargs,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`modelcheck {' '.join(args)}` hung: no result after {timeout:g} s", pytrace=False)


def run_json(*args: str, cwd: Path | None = None, timeout: float = 300) -> tuple[int, dict]:
    result = run_cli("--format", "json", *args, cwd=cwd, timeout=timeout)
    assert result.stderr.strip() == "" or "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.fixture(scope="session")
def keras():
    """The Keras 3 package, for tests that build live models in this process."""
    import keras

    return keras


@pytest.fixture(scope="session")
def canary_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("canary") / "LAMBDA_RAN"


@pytest.fixture(scope="session")
def _tf_models(tmp_path_factory, canary_path) -> Path:
    """Both flavors of fixture models, built in one child process (TensorFlow imported once)."""
    out = tmp_path_factory.mktemp("models")
    subprocess.run(
        [sys.executable, str(FACTORY), str(out), "keras3,keras2", str(canary_path)],
        check=True,
        capture_output=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=600,
    )
    return out


@pytest.fixture(scope="session")
def keras3_models(_tf_models) -> Path:
    return _tf_models / "keras3"


@pytest.fixture(scope="session")
def keras2_models(_tf_models) -> Path:
    return _tf_models / "keras2"


@pytest.fixture(params=["keras3.keras", "keras3.h5", "keras2.h5"])
def model_file(request, keras3_models, keras2_models):
    """A function NAME -> path of that fixture model in each format (parametrised)."""
    flavor, suffix = request.param.split(".")
    folder = keras3_models if flavor == "keras3" else keras2_models
    return lambda name: folder / f"{name}.{suffix}"
