"""[tool.modelcheck] in pyproject.toml, --config, and the command-line flags that override it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli, run_json

# A training config with two findings that need no knowledge base: MC401 (error) and MC402 (warning).
LEGACY = """\
[compile]
loss = "categorical_crossentropy"
optimizer = {class_name = "SGD", lr = 0.01}
metrics = ["accuracy"]

[data.train]
directory = "data/train"

[data.validation]
directory = "data/val"

[[callbacks]]
EarlyStopping = {monitor = "val_acc"}
"""


def _project(root: Path, settings: str | None, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if settings is not None:
        (root / "pyproject.toml").write_text(f"[project]\nname = \"demo\"\n\n[tool.modelcheck]\n{settings}")
    for name, text in (files or {"train.toml": LEGACY}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _codes(document: dict) -> list[tuple[str, str]]:
    return [(Path(f["path"]).as_posix(), f["code"]) for f in document["findings"]]


def test_defaults_without_a_table(tmp_path):
    root = _project(tmp_path / "p", None)
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")  # no [tool.modelcheck]: ignored
    assert _codes(run_json(".", cwd=root)[1]) == [("train.toml", "MC402"), ("train.toml", "MC401")]


def test_ignore_hides_a_code(tmp_path):
    root = _project(tmp_path / "p", 'ignore = ["MC402"]\n')
    status, document = run_json(".", cwd=root)
    assert _codes(document) == [("train.toml", "MC401")] and status == 1


def test_select_extend_select_and_fail_on(tmp_path):
    root = _project(tmp_path / "p", 'select = ["MC1"]\nextend-select = ["MC40"]\nfail-on = "error"\n')
    status, document = run_json(".", cwd=root)
    assert {code for _, code in _codes(document)} == {"MC401", "MC402"} and status == 1
    (root / "pyproject.toml").write_text('[tool.modelcheck]\nselect = ["MC402"]\nfail_on = "error"\n')  # underscores work too
    status, document = run_json(".", cwd=root)
    assert _codes(document) == [("train.toml", "MC402")] and status == 0  # a warning does not fail


def test_per_file_ignores_silence_one_file_only(tmp_path):
    files = {"legacy/train.toml": LEGACY, "current/train.toml": LEGACY}
    root = _project(tmp_path / "p", '[tool.modelcheck.per-file-ignores]\n"legacy/*" = ["MC402"]\n', files)
    expected = [("current/train.toml", "MC402"), ("current/train.toml", "MC401"), ("legacy/train.toml", "MC401")]
    assert _codes(run_json(".", cwd=root)[1]) == expected
    # From another folder the pattern still means <project>/legacy/*.
    (root / "tools").mkdir()
    _, document = run_json("../legacy", "../current", cwd=root / "tools")
    assert _codes(document) == [("../current/train.toml", "MC402"), ("../current/train.toml", "MC401"), ("../legacy/train.toml", "MC401")]


def test_exclude_and_thresholds_and_pretrained_are_read(tmp_path):
    from modelcheck.project_config import settings_from_table

    settings = settings_from_table({"exclude": ["notebooks/*"], "thresholds": {"oversized-head-params": 1000}, "pretrained": True}, tmp_path / "pyproject.toml")
    assert settings.threshold("oversized_head_params") == 1000 and settings.assume_pretrained is True
    assert "notebooks/*" in settings.exclude and settings.config_file.endswith("pyproject.toml")
    root = _project(tmp_path / "p", 'exclude = ["skipped/*"]\n', {"skipped/train.toml": LEGACY, "train.toml": LEGACY})
    assert {path for path, _ in _codes(run_json(".", cwd=root)[1])} == {"train.toml"}


def test_threshold_changes_a_rule(tmp_path, keras3_models):
    model = str(keras3_models / "seed000_functional.keras")
    assert "MC105" not in {f["code"] for f in run_json(model, cwd=tmp_path)[1]["findings"]}
    root = _project(tmp_path / "p", "thresholds = { oversized-head-params = 100_000 }\n", {})
    assert "MC105" in {f["code"] for f in run_json(model, cwd=root)[1]["findings"]}


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ('ignor = ["MC402"]\n', "unknown setting 'ignor' in [tool.modelcheck] in {file} (did you mean 'ignore'?)"),
        ('select = ["MC9"]\n', "no rule code or prefix 'MC9'"),
        ('ignore = ["MC4O2"]\n', "did you mean 'MC402'?"),
        ('fail-on = "fatal"\n', "fail-on in [tool.modelcheck]"),
        ("thresholds = { oversized-head = 1 }\n", "did you mean 'oversized-head-params'?"),
        ("pretrained = \"yes\"\n", "pretrained in [tool.modelcheck]"),
        ("ignore = [\n", "not valid TOML"),
    ],
)
def test_bad_settings_exit_2_naming_key_and_file(tmp_path, settings, words):
    root = _project(tmp_path / "p", settings)
    result = run_cli(".", cwd=root)
    assert result.returncode == 2, result.stdout
    assert words.format(file=root / "pyproject.toml") in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_flags_override_the_file(tmp_path):
    root = _project(tmp_path / "p", 'ignore = ["MC402"]\nfail-on = "error"\n')
    assert _codes(run_json("--ignore", "MC401", ".", cwd=root)[1]) == [("train.toml", "MC402")]
    assert _codes(run_json("--extend-ignore", "MC401", ".", cwd=root)[1]) == []
    assert _codes(run_json("--select", "MC402", "--ignore", "", ".", cwd=root)[1]) == [("train.toml", "MC402")]
    assert run_cli("--ignore", "MC401", ".", cwd=root).returncode == 0  # fail-on = error: a warning passes
    assert run_cli("--ignore", "MC401", "--fail-on", "warning", ".", cwd=root).returncode == 1
    assert len(_codes(run_json("--no-config", ".", cwd=root)[1])) == 2


def test_config_option_points_elsewhere(tmp_path):
    root = _project(tmp_path / "p", 'ignore = ["MC402"]\n')
    (tmp_path / "strict.toml").write_text('select = ["MC402"]\n')  # a plain TOML file: top-level keys
    assert _codes(run_json("--config", str(tmp_path / "strict.toml"), ".", cwd=root)[1]) == [("train.toml", "MC402")]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    result = run_cli("--config", str(tmp_path / "other" / "pyproject.toml"), ".", cwd=root)
    assert result.returncode == 2 and "no [tool.modelcheck] table" in result.stderr
    result = run_cli("--config", str(tmp_path / "missing.toml"), ".", cwd=root)
    assert result.returncode == 2 and "no such file" in result.stderr


def test_nearest_config_above_the_first_path_wins(tmp_path):
    outer = _project(tmp_path / "outer", 'ignore = ["MC401"]\n', {})
    inner = _project(outer / "inner", 'ignore = ["MC402"]\n')
    assert _codes(run_json(str(inner / "train.toml"), cwd=tmp_path)[1]) == [("outer/inner/train.toml", "MC401")]
    (inner / "pyproject.toml").unlink()
    assert _codes(run_json(str(inner / "train.toml"), cwd=tmp_path)[1]) == [("outer/inner/train.toml", "MC402")]


def test_statistics_in_every_format(tmp_path):
    root = _project(tmp_path / "p", None)
    document = run_json("--statistics", ".", cwd=root)[1]
    assert document["statistics"] == [
        {"code": "MC401", "name": "monitor-unknown-metric", "severity": "error", "count": 1},
        {"code": "MC402", "name": "removed-api", "severity": "warning", "count": 1},
    ]
    sarif = json.loads(run_cli("--format", "sarif", "--statistics", ".", cwd=root).stdout)
    assert sarif["runs"][0]["properties"]["modelcheck"]["statistics"][0]["code"] == "MC401"
    github = run_cli("--format", "github", "--statistics", ".", cwd=root).stdout.splitlines()
    assert github[-1].startswith("::notice title=modelcheck statistics::") and "MC402" in github[-1]
    console = run_cli("--statistics", ".", cwd=root).stdout
    assert "MC401  monitor-unknown-metric (error)" in console


def test_files_from_checks_only_listed_existing_files(tmp_path):
    root = _project(tmp_path / "p", None, {"train.toml": LEGACY, "other/train.toml": LEGACY, "utils.py": "x = 1\n"})
    (root / "changed.txt").write_text("train.toml\nutils.py\nREADME.md\ndeleted_train.yaml\n")
    _, document = run_json("--files-from", "changed.txt", cwd=root)
    assert {path for path, _ in _codes(document)} == {"train.toml"} and document["summary"]["files"] == 2
    import os
    import subprocess
    import sys

    from conftest import ROOT

    piped = subprocess.run([sys.executable, "-m", "modelcheck", "--format", "json", "--files-from", "-"], input="other/train.toml\nnotes.md\n",
                           capture_output=True, text=True, cwd=root, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert {path for path, _ in _codes(json.loads(piped.stdout))} == {"other/train.toml"}
    empty = subprocess.run([sys.executable, "-m", "modelcheck", "--files-from", "-"], input="", capture_output=True, text=True,
                           cwd=root, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert empty.returncode == 0  # an empty change list: nothing to check
    named = run_json("utils.py", cwd=root)[1]
    assert _codes(named) == [("utils.py", "MC002")]
    assert run_json("--skip-unrecognized", "utils.py", cwd=root)[1]["findings"] == []
