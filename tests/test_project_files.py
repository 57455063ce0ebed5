"""The README's two commands are the ones CI runs and users copy."""

from __future__ import annotations

import re

from conftest import ROOT


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text, re.S)[:2]


def test_readme_opens_with_the_run_and_test_commands():
    run, test = _commands()
    assert "modelcheck examples/" in run and "pip install ." in run
    assert "pytest" in test and '.[dev]' in test
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.index("```bash") < 300  # at the top, before any prose section


def test_ci_runs_the_readme_test_command():
    _, test = _commands()
    # .ci/run makes its own venv; from the README command it runs everything after activation.
    tail = test.split("&& ", 2)[-1]
    assert tail in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
