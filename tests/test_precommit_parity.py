"""pre-commit names every file; `modelcheck .` walks the tree: with an `exclude` and a
`per-file-ignores` entry in pyproject.toml both must report exactly the same findings.

The real pre-commit runs the hook of `.pre-commit-hooks.yaml` as a `repo: local` hook (its
entry and `files:` taken from that file), with this checkout's Python, so no package index
is needed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, run_cli
from test_precommit import _git

SCRIPT = """\
from keras import layers, models, optimizers
model = models.Sequential([
    layers.Input(shape=(64, 64, 3)),
    layers.Flatten(),
    layers.Dense(64, activation="softmax"),
    layers.Dense(5, activation="softmax"),
])
model.compile(optimizer=optimizers.Adam(lr=0.001), loss="categorical_crossentropy", metrics=["accuracy"])
"""
CONFIG = """\
model: {input_shape: [64, 64, 3], head: [Flatten, {Dense: {units: 64, activation: softmax}}, {Dense: {units: 5, activation: softmax}}]}
compile: {loss: categorical_crossentropy, optimizer: adam, metrics: [accuracy]}
callbacks:
  - EarlyStopping: {monitor: val_acc}
"""
FINDING = re.compile(r"^\S+:\d+:\d+(?: \[.*?\])?: MC\d{3} .*$", re.M)


def _local_hook() -> str:
    """The published hook as a `repo: local` hook running this checkout."""
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    command, *arguments = shlex.split(hook["entry"])
    assert command == "modelcheck"
    entry = shlex.join([sys.executable, "-m", "modelcheck", *arguments, "--output-format", "concise"])
    return (
        "repos:\n  - repo: local\n    hooks:\n"
        f"      - id: {hook['id']}\n        name: {hook['name']}\n        entry: {entry}\n        language: system\n"
        f"        files: '{hook['files']}'\n        require_serial: {str(hook['require_serial']).lower()}\n"
    )


@pytest.mark.slow  # builds the hook's environment with pip
def test_pre_commit_reports_exactly_what_a_directory_run_reports(tmp_path):
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    project = tmp_path / "project"
    for name in ("train.py", "legacy/train_old.py", "experiments/train_exp.py", "nested/deep/train.py"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(SCRIPT)
    (project / "configs").mkdir()
    (project / "configs" / "train.yaml").write_text(CONFIG)
    (project / "utils.py").write_text("def area(w, h):\n    return w * h\n")
    (project / "pyproject.toml").write_text(
        '[tool.modelcheck]\nexclude = ["legacy/*"]\n\n[tool.modelcheck.per-file-ignores]\n"experiments/*" = ["MC101"]\n'
    )
    (project / ".pre-commit-config.yaml").write_text(_local_hook())
    _git(project, "init", "-q")
    _git(project, "add", "-A")

    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home"), "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    hook = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)
    direct = run_cli("--output-format", "concise", ".", cwd=project)

    from_hook = sorted(FINDING.findall(hook.stdout))
    from_walk = sorted(FINDING.findall(direct.stdout))
    assert hook.returncode == 1 and direct.returncode == 1, hook.stdout + hook.stderr
    assert from_hook == from_walk, hook.stdout
    # The settings did their work in both: legacy/ excluded, MC101 ignored under experiments/.
    assert not [line for line in from_walk if line.startswith("legacy/")]
    assert [line.split()[1] for line in from_walk if line.startswith("experiments/")] == ["MC402"]
    assert {line.split(" ")[0] for line in from_walk} >= {"train.py:5:5:", "nested/deep/train.py:5:5:", "configs/train.yaml:1:52"}
