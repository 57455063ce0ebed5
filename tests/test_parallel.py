"""--jobs N: a pool of forked workers gives byte-for-byte the output of --jobs 1."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from config_examples import EXAMPLE_YAML
from conftest import ROOT, run_cli

FORMATS = (["--format", "json"], ["--format", "sarif"], ["--format", "console", "--show-layers", "--statistics"])

TRAIN = """import keras
IMG = ({size}, {size})
base = keras.applications.ResNet50(weights="imagenet", include_top=False, input_shape=IMG + (3,))
base.trainable = False
inputs = keras.Input(shape=IMG + (3,))
x = base(inputs, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
outputs = keras.layers.Dense({classes}, activation="relu")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
train = keras.utils.image_dataset_from_directory("data", image_size=IMG, label_mode="categorical")
model.fit(train, epochs=5)
model.save("model.keras")
"""

# Predicts on pixels divided by 255 where training fed raw pixels: MC303, a finding that
# needs train.py read in the same task (predict.py is linked to the train.py beside it).
PREDICT = """import numpy as np
import keras
model = keras.models.load_model("model.keras")
image = keras.utils.img_to_array(keras.utils.load_img("cat.jpg", target_size=({size}, {size})))
print(model.predict(np.expand_dims(image, 0) / 255.0))
"""


# A setup without findings.
CLEAN = """import keras
base = keras.applications.MobileNetV2(weights="imagenet", include_top=False, input_shape=(160, 160, 3))
base.trainable = False
inputs = keras.Input(shape=(160, 160, 3))
x = keras.applications.mobilenet_v2.preprocess_input(inputs)
x = base(x, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
outputs = keras.layers.Dense(4, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
"""


def _corpus(root: Path, folders: int = 6) -> Path:
    """Folders of predict.py beside train.py, a utility module, a model file and a training config."""
    for index in range(folders):
        folder = root / f"team{index % 3}" / f"run{index}"
        folder.mkdir(parents=True)
        facts = {"size": 160 + 32 * index, "classes": 2 + index}
        (folder / "train.py").write_text(TRAIN.format(**facts))
        (folder / "predict.py").write_text(PREDICT.format(**facts))
        (folder / "utils.py").write_text("import os\n\ndef ensure(path):\n    os.makedirs(path, exist_ok=True)\n")
    for team in range(3):
        (root / f"team{team}").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "tests" / "fixtures" / "models" / "all_frozen.h5", root / "team0" / "all_frozen.h5")
    shutil.copy(ROOT / "tests" / "fixtures" / "models" / "functional_nested.keras", root / "team1" / "nested.keras")
    (root / "team2" / "train_config.yaml").write_text(EXAMPLE_YAML)
    return root


def _same_output(target: str, cwd: Path) -> None:
    for args in FORMATS:
        one = run_cli(target, "--jobs", "1", *args, cwd=cwd)
        two = run_cli(target, "--jobs", "2", *args, cwd=cwd)
        assert "Traceback" not in one.stderr + two.stderr
        assert one.stdout.strip(), args
        assert (two.stdout, two.returncode) == (one.stdout, one.returncode), args


def test_jobs_2_prints_exactly_what_jobs_1_prints_on_the_examples():
    _same_output("examples", ROOT)


def test_jobs_2_prints_exactly_what_jobs_1_prints_on_a_multi_folder_project(tmp_path):
    _corpus(tmp_path / "repo")
    _same_output("repo", tmp_path)


def _worker_pids(monkeypatch, tmp_path: Path) -> Path:
    """Record the process that checks each chunk (the real check still runs)."""
    from modelcheck import runner

    record = tmp_path / "pids"
    real = runner.check_files_here

    def recorded(files, settings):
        with open(record, "a") as handle:
            handle.write(f"{os.getpid()} {' '.join(Path(name).name for name, _ in files)}\n")
        return real(files, settings)

    monkeypatch.setattr(runner, "check_files_here", recorded)
    return record


def test_the_pool_checks_in_other_processes_and_keeps_predict_with_train(tmp_path, monkeypatch):
    from modelcheck.runner import check_paths

    repo = _corpus(tmp_path / "repo")
    record = _worker_pids(monkeypatch, tmp_path)
    pooled = check_paths([str(repo)], jobs=2)
    lines = record.read_text().splitlines()
    pids = [int(line.split()[0]) for line in lines]
    assert set(pids) - {os.getpid()}, "no chunk was checked in a worker"
    assert os.getpid() in pids, "this process did not take part (it works from the last chunk)"
    for line in lines:  # a chunk holds whole folders: every train.py comes with its predict.py
        names = line.split()[1:]
        assert names.count("train.py") == names.count("predict.py")
    serial = check_paths([str(repo)], jobs=1)
    assert pooled.findings == serial.findings
    assert [s.path for s in pooled.setups] == [s.path for s in serial.setups]
    # The finding only the pair gives: predict.py scales by 1/255 where train.py feeds raw pixels.
    paired = [f for f in pooled.findings if f.location.path.endswith("predict.py")]
    assert [(f.code, f.location.line) for f in paired] == [("MC303", 5)] * 6
    assert all("predict input differs from training" in f.message for f in paired)


def test_workers_send_back_only_source_lines_when_the_setups_are_not_kept(tmp_path):
    """What a report needs, not the setups (these pickled to 2 MB for 272 scripts): the lines of
    the files with findings."""
    from modelcheck.runner import check_paths

    repo = _corpus(tmp_path / "repo")
    clean = repo / "clean" / "train.py"
    clean.parent.mkdir()
    clean.write_text(CLEAN)
    kept = check_paths([str(repo)], jobs=1)
    assert str(clean) in kept.sources() and not [f for f in kept.findings if f.location.path == str(clean)]
    for jobs in (1, 2):
        light = check_paths([str(repo)], jobs=jobs, keep_setups=False)
        assert light.setups == [] and light.findings == kept.findings
        reported = {finding.location.path for finding in kept.findings}
        assert light.sources() == {name: lines for name, lines in kept.sources().items() if name in reported}
        assert str(clean) not in light.sources()  # no finding: its lines stay in the worker
    assert light.sources()[str(repo / "team0" / "run0" / "predict.py")][4] == PREDICT.format(size=160).splitlines()[4]


def test_one_task_starts_no_pool(tmp_path, monkeypatch):
    from modelcheck.runner import check_paths

    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "train.py").write_text(TRAIN.format(size=224, classes=3))
    (folder / "predict.py").write_text(PREDICT.format(size=224))
    record = _worker_pids(monkeypatch, tmp_path)
    check_paths([str(folder)], jobs=4)
    assert record.read_text().split() == [str(os.getpid()), "predict.py", "train.py"]


def test_a_script_out_of_time_in_a_worker_is_given_up_on(tmp_path, monkeypatch):
    from modelcheck.readers.script import reader as script
    from modelcheck.runner import check_paths

    repo = _corpus(tmp_path / "repo", folders=4)
    first = repo / "a_first"  # the first chunk: a worker's (this process works from the last)
    first.mkdir()
    (first / "train.py").write_text(TRAIN.format(size=224, classes=3))
    slow = first / "slow.py"
    slow.write_text("import keras\n")
    real = script._read
    spun = tmp_path / "spun"

    def spin(path, text, project_files):
        if path.endswith("slow.py"):
            spun.write_text(str(os.getpid()))
            deadline = time.monotonic() + 30  # without a working time limit: no MC001, a failure, not a hang
            while time.monotonic() < deadline:
                pass
        return real(path, text, project_files)

    monkeypatch.setattr(script, "_read", spin)
    monkeypatch.setenv("MODELCHECK_READ_TIMEOUT", "0.5")
    result = check_paths([str(repo)], jobs=2)
    assert int(spun.read_text()) != os.getpid()
    [gave_up] = [f for f in result.findings if f.location.path.endswith("slow.py")]
    assert gave_up.code == "MC001" and gave_up.message.startswith("gave up after 0.5 s reading this file")
    # The rest of its folder was still read: train.py's setup and its findings are there.
    assert any(s.path.endswith(os.path.join("a_first", "train.py")) for s in result.setups)


def test_the_tasks_of_a_worker_that_dies_are_checked_in_this_process(tmp_path, monkeypatch):
    from modelcheck import runner
    from modelcheck.runner import check_paths

    repo = _corpus(tmp_path / "repo")
    serial = check_paths([str(repo)], jobs=1)
    parent, real = os.getpid(), runner.check_files_here

    def dies_in_a_worker(files, settings):
        if os.getpid() != parent:
            os._exit(9)  # as the out-of-memory killer ends a process: no result, no exception
        return real(files, settings)

    monkeypatch.setattr(runner, "check_files_here", dies_in_a_worker)
    pooled = check_paths([str(repo)], jobs=3)
    assert pooled.findings == serial.findings
    assert [s.path for s in pooled.setups] == [s.path for s in serial.setups]


@pytest.mark.parametrize("value", ["0", "-3"])
def test_jobs_below_one_is_a_usage_error(value):
    result = run_cli("examples", "--jobs", value)
    assert result.returncode == 2
    assert f"argument --jobs/-j: give at least 1 process, not {int(value)}" in result.stderr
    assert result.stdout == ""

