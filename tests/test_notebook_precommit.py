"""The pre-commit hook on a notebook, installed by the real `pre-commit` in a temporary repository."""

from __future__ import annotations

import pytest

from notebook_factory import COMPILE, SMALL_CNN, code, markdown, write
from test_precommit import _git, _pre_commit, hook_project


@pytest.mark.slow  # builds the hook's environment with pip
def test_hook_checks_a_changed_notebook(tmp_path):
    project = hook_project(tmp_path)
    write(project / "explore.ipynb", [markdown("# CNN"), code("%matplotlib inline"), code(SMALL_CNN), code(COMPILE)])
    write(project / "notes.ipynb", [markdown("# notes"), code("print(1)")])  # no Keras: skipped silently
    _git(project, "add", "-A")
    home = tmp_path / "pre-commit-home"
    failing = _pre_commit(project, home)
    output = failing.stdout + failing.stderr
    assert failing.returncode == 1, output
    assert "explore.ipynb:cell 2:8:5: MC101" in output, output
    assert "notes.ipynb" not in output and "MC002" not in output, output

    fixed = SMALL_CNN.replace('Dense(64, activation="softmax")', 'Dense(64, activation="relu")')
    write(project / "explore.ipynb", [markdown("# CNN"), code("%matplotlib inline"), code(fixed), code(COMPILE)])
    _git(project, "add", "-A")
    passing = _pre_commit(project, home)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout
