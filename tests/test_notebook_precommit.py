"""The pre-commit hook on a notebook, installed by the real `pre-commit` in a temporary repository."""

from __future__ import annotations

import shutil

import pytest

from notebook_factory import code, markdown, write
from test_precommit import _copy_working_tree, _git, _pre_commit

HEAD = """\
from keras import layers, models

model = models.Sequential([
    layers.Input(shape=(64, 64, 3)),
    layers.Conv2D(32, 3, activation="relu"),
    layers.Flatten(),
    layers.Dense(64, activation="softmax"),
    layers.Dense(5, activation="softmax"),
])"""


def test_hook_checks_a_changed_notebook(tmp_path):
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    source = tmp_path / "modelcheck-src"
    source.mkdir()
    rev = _copy_working_tree(source)
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n      - id: modelcheck\n")
    compile_cell = 'model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])'
    write(project / "explore.ipynb", [markdown("# CNN"), code("%matplotlib inline"), code(HEAD), code(compile_cell)])
    write(project / "notes.ipynb", [markdown("# notes"), code("print(1)")])  # no Keras: skipped silently
    _git(project, "add", "-A")
    home = tmp_path / "pre-commit-home"
    failing = _pre_commit(project, home)
    output = failing.stdout + failing.stderr
    assert failing.returncode == 1, output
    assert "explore.ipynb:cell 2:7:5: MC101" in output, output
    assert "notes.ipynb" not in output and "MC002" not in output, output

    write(project / "explore.ipynb", [markdown("# CNN"), code("%matplotlib inline"),
                                      code(HEAD.replace('Dense(64, activation="softmax")', 'Dense(64, activation="relu")')), code(compile_cell)])
    _git(project, "add", "-A")
    passing = _pre_commit(project, home)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout
