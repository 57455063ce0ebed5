"""--write-baseline / --baseline: old findings hidden, new ones shown, line moves tolerated."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli, run_json

CONFIG = """\
compile:
  loss: categorical_crossentropy
  optimizer: {class_name: SGD, lr: 0.01}
  metrics: [accuracy]
data:
  train: {directory: data/train}
  validation: {directory: data/val}
callbacks:
  - EarlyStopping: {monitor: val_acc}
"""
SCRIPT = """\
from keras import layers, models

model = models.Sequential([
    layers.Input(shape=(64, 64, 3)),
    layers.Flatten(),
    layers.Dense(64, activation="softmax"),
    layers.Dense(5, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
"""


def _setup(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "train.yaml").write_text(CONFIG)
    (root / "train_cnn.py").write_text(SCRIPT)
    return root


def _shown(root: Path, *args: str) -> list[tuple[str, str, int | None]]:
    _, document = run_json("--baseline", "baseline.json", *args, ".", cwd=root)
    return [(f["code"], Path(f["path"]).name, f["line"]) for f in document["findings"]]


def test_baseline_hides_recorded_findings(tmp_path):
    root = _setup(tmp_path / "p")
    before = run_json(".", cwd=root)[1]["findings"]
    assert {f["code"] for f in before} == {"MC101", "MC401", "MC402"}
    written = run_cli("--write-baseline", "baseline.json", ".", cwd=root)
    assert written.returncode == 0 and f"recorded {len(before)} findings" in written.stderr
    document = json.loads((root / "baseline.json").read_text())
    assert document["modelcheck_baseline"] == 1
    assert {(e["code"], e["path"]) for e in document["findings"]} == {("MC101", "train_cnn.py"), ("MC401", "train.yaml"), ("MC402", "train.yaml")}
    assert all("line" not in entry for entry in document["findings"])
    status, result = run_json("--baseline", "baseline.json", ".", cwd=root)
    assert (status, result["findings"], result["baseline"]["hidden"]) == (0, [], len(before))


def test_a_new_finding_shows(tmp_path):
    root = _setup(tmp_path / "p")
    run_cli("--write-baseline", "baseline.json", ".", cwd=root)
    (root / "train.yaml").write_text(CONFIG.replace("  train: {directory: data/train}", "  train: {directory: data/train}\n  test: {directory: data/test, augmentation: {horizontal_flip: true}}"))
    assert _shown(root) == [("MC302", "train.yaml", 7)]
    # A second copy of an accepted line is a new finding too.
    (root / "train_cnn.py").write_text(SCRIPT.replace('    layers.Dense(64, activation="softmax"),\n', '    layers.Dense(64, activation="softmax"),\n' * 2))
    assert ("MC101", "train_cnn.py", 7) in _shown(root) and len([s for s in _shown(root) if s[0] == "MC101"]) == 1


def test_moving_lines_keeps_findings_hidden(tmp_path):
    root = _setup(tmp_path / "p")
    run_cli("--write-baseline", "baseline.json", ".", cwd=root)
    callbacks_first = "# training setup\n\ncallbacks:\n  - EarlyStopping: {monitor: val_acc}\n" + CONFIG.split("callbacks:")[0]
    (root / "train.yaml").write_text(callbacks_first)
    (root / "train_cnn.py").write_text('"""A small CNN."""\n\nimport os\n\n' + SCRIPT)
    after = run_json(".", cwd=root)[1]["findings"]
    assert {(f["code"], f["line"]) for f in after} == {("MC401", 4), ("MC402", 7), ("MC101", 10)}  # every line moved
    assert _shown(root) == []
    # Editing the line itself is a change the baseline does not cover.
    (root / "train_cnn.py").write_text(SCRIPT.replace('Dense(64, activation="softmax")', 'Dense(128, activation="softmax")'))
    assert _shown(root) == [("MC101", "train_cnn.py", 6)]


def test_model_file_findings_and_any_working_directory(tmp_path, keras3_models):
    root = tmp_path / "p"
    root.mkdir()
    model = root / "hidden_softmax.keras"
    model.write_bytes((keras3_models / "hidden_softmax.keras").read_bytes())
    run_cli("--write-baseline", "ci/baseline.json", "hidden_softmax.keras", cwd=root)
    entry = json.loads((root / "ci" / "baseline.json").read_text())["findings"][0]
    assert (entry["code"], entry["path"]) == ("MC101", "../hidden_softmax.keras")
    status, document = run_json("--baseline", str(root / "ci" / "baseline.json"), str(model), cwd=tmp_path)
    assert (status, document["findings"]) == (0, [])


def test_bad_baseline_files_exit_2(tmp_path):
    root = _setup(tmp_path / "p")
    result = run_cli("--baseline", "missing.json", ".", cwd=root)
    assert result.returncode == 2 and "not found" in result.stderr and "--write-baseline" in result.stderr
    (root / "bad.json").write_text('{"findings": 3}')
    result = run_cli("--baseline", "bad.json", ".", cwd=root)
    assert result.returncode == 2 and "not a modelcheck baseline" in result.stderr


def test_sarif_and_github_respect_the_baseline(tmp_path):
    root = _setup(tmp_path / "p")
    run_cli("--write-baseline", "baseline.json", ".", cwd=root)
    sarif = json.loads(run_cli("--format", "sarif", "--baseline", "baseline.json", ".", cwd=root).stdout)
    assert sarif["runs"][0]["results"] == [] and sarif["runs"][0]["properties"]["modelcheck"]["baseline"]["hidden"] == 3
    github = run_cli("--format", "github", "--baseline", "baseline.json", ".", cwd=root)
    assert (github.returncode, github.stdout) == (0, "")
