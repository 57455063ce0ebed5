"""The pre-commit hook, installed by the real `pre-commit` from a copy of this working tree.

pre-commit installs hooks from a git repository at a commit, so the files git tracks
here, with their current content (local edits included, untracked files never: a
virtual environment or a build folder stays behind), are copied into a temporary
repository and committed there. The hook environment is built by pip from the
configured package index: no TensorFlow is installed into it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

BAD_CONFIG = """\
model:
  input_shape: [64, 64, 3]
  head:
    - Flatten: {}
    - Dense: {units: 64, activation: softmax}
    - Dense: {units: 5, activation: softmax}
compile:
  loss: categorical_crossentropy
  optimizer: adam
  metrics: [accuracy]
data:
  train: {directory: data/train, target_size: [64, 64], rescale: 1/255}
  validation: {directory: data/val, target_size: [64, 64], rescale: 1/255}
callbacks:
  - EarlyStopping: {monitor: val_acc, patience: 3}
"""
CLEAN_CONFIG = BAD_CONFIG.replace("units: 64, activation: softmax", "units: 64, activation: relu").replace("val_acc", "val_accuracy")

BAD_SCRIPT = """\
from keras import layers, models

model = models.Sequential([
    layers.Input(shape=(64, 64, 3)),
    layers.Conv2D(32, 3, activation="relu"),
    layers.Flatten(),
    layers.Dense(64, activation="softmax"),
    layers.Dense(5, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
"""
CLEAN_SCRIPT = BAD_SCRIPT.replace('Dense(64, activation="softmax")', 'Dense(64, activation="relu")')


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=True, timeout=120)
    return done.stdout.strip()


def _copy_tracked_files(target: Path) -> str:
    """Copy the files git tracks, as they are in the working tree now; commit them."""
    listed = subprocess.run(["git", "ls-files", "--cached", "-z"], cwd=ROOT, capture_output=True, check=True,
                            timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted locally stays deleted
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "snapshot of the working tree")
    return _git(target, "rev-parse", "HEAD")


def _pre_commit(project: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never"}
    env.pop("PYTHONPATH", None)  # the hook must run from its own environment, not this checkout
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=900)


def hook_project(tmp_path: Path) -> Path:
    """A git repository under ``tmp_path`` whose .pre-commit-config.yaml uses this working tree's hook."""
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    source = tmp_path / "modelcheck-src"
    source.mkdir()
    rev = _copy_tracked_files(source)

    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n      - id: modelcheck\n")
    return project


@pytest.mark.slow  # builds the hook's environment with pip
def test_hook_fails_on_bad_files_and_passes_on_clean_ones(tmp_path):
    project = hook_project(tmp_path)
    (project / "train_config.yaml").write_text(BAD_CONFIG)
    (project / "train_cnn.py").write_text(BAD_SCRIPT)
    (project / "utils.py").write_text("def area(w, h):\n    return w * h\n")  # no Keras: skipped silently
    (project / "notes.yaml").write_text("model: {backbone: ResNet50}\n")  # not a config name: not passed to the hook
    _git(project, "add", "-A")

    home = tmp_path / "pre-commit-home"
    failing = _pre_commit(project, home)
    output = failing.stdout + failing.stderr
    assert failing.returncode == 1, output
    assert "train_config.yaml:5:7 [model.head[1].Dense]: MC101" in output, output
    assert "train_config.yaml:15:21 [callbacks[0].EarlyStopping.monitor]: MC401" in output, output
    assert "train_cnn.py:7:5: MC101" in output, output
    assert "utils.py" not in output and "notes.yaml" not in output and "MC002" not in output, output

    environments = list(home.glob("repo*/py_env-*"))
    assert environments, f"no hook environment under {home}"
    installed = {p.name.lower() for env in environments for p in env.glob("lib/python*/site-packages/*")}
    assert any(name.startswith("modelcheck") for name in installed), installed
    assert not {"tensorflow", "keras", "tf_keras"} & installed, "the hook environment must not install TensorFlow or Keras"

    (project / "train_config.yaml").write_text(CLEAN_CONFIG)
    (project / "train_cnn.py").write_text(CLEAN_SCRIPT)
    _git(project, "add", "-A")
    passing = _pre_commit(project, home)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout
