"""--fix / --diff: exact edits at the findings' positions, every other byte unchanged."""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from modelcheck.fix import FIXABLE_CODES, fix_files
from modelcheck.fix.cli_hook import add_fix_arguments, run_fixes
from modelcheck.runner import check_paths
from modelcheck.settings import Settings

IMPORT_LINE = re.compile(r"^from (keras|tensorflow\.keras|tf_keras)\.applications\.\w+ import preprocess_input( as \w+)?\r?\n$")


def _check(paths):
    return check_paths([str(p) for p in paths], Settings())


def _fixable(findings):
    return {(f.code, f.location.path, f.message) for f in findings if f.code in FIXABLE_CODES}


def _write(path: Path, text: str, newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def _changed_lines(before: str, after: str) -> tuple[list[tuple[int, str, str]], list[str]]:
    """(replaced lines as (old line number, old, new)), inserted lines) between two texts."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    replaced: list[tuple[int, str, str]] = []
    inserted: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert":
            inserted.extend(new[j1:j2])
        elif tag == "replace" and i2 - i1 == j2 - j1:
            replaced.extend((i1 + k + 1, old[i1 + k], new[j1 + k]) for k in range(i2 - i1))
        else:
            pytest.fail(f"unexpected {tag} of lines {i1 + 1}-{i2}: {old[i1:i2]} -> {new[j1:j2]}")
    return replaced, inserted


@pytest.fixture
def examples_copy(tmp_path, monkeypatch) -> Path:
    """A copy of examples/ (the repository's own files are never modified), as the working directory."""
    target = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", target)
    monkeypatch.chdir(tmp_path)
    return target


def test_fixing_a_copy_of_the_examples_leaves_only_the_refused_findings(examples_copy):
    first = _check(["examples"])
    originals = {str(p.relative_to(examples_copy.parent)): p.read_text(encoding="utf-8") for p in examples_copy.rglob("*.py")}
    outcome = fix_files(first.findings, write=True, setups=first.setups)
    assert {a.finding.code for a in outcome.applied} == {"MC101", "MC201", "MC401", "MC402"}
    assert set(outcome.written) == set(outcome.diffs)

    second = _check(["examples"])
    # Nothing fixed comes back; what is left of the fixable codes is exactly what was refused, with a reason.
    assert _fixable(second.findings) == {(s.finding.code, s.finding.location.path, s.finding.message) for s in outcome.skipped}
    assert all(s.reason for s in outcome.skipped)
    assert fix_files(second.findings, write=False, setups=second.setups).applied == []
    # No finding of any code appears that was not there before (messages may name the new activation).
    before = {(f.code, f.location.path) for f in first.findings}
    assert {(f.code, f.location.path) for f in second.findings} <= before

    # Only the intended lines changed: the finding lines (and the sibling pipelines a fix names),
    # the imports it adds, and the import of a renamed class.
    for path, old_text in originals.items():
        new_text = (examples_copy.parent / path).read_text(encoding="utf-8")
        ast.parse(new_text)
        if path not in outcome.diffs:
            assert new_text == old_text
            continue
        intended = {a.finding.location.line for a in outcome.applied if a.finding.location.path == path}
        for applied in outcome.applied:
            intended |= {int(line) for file, line in re.findall(r"(\S+\.py):(\d+)", applied.description) if file == path}
        replaced, inserted = _changed_lines(old_text, new_text)
        assert all(IMPORT_LINE.match(line) for line in inserted), inserted
        for number, old, new in replaced:
            renamed_import = "import" in old and old.replace("Convolution2D", "Conv2D") == new
            assert number in intended or renamed_import, (path, number, old, new)


def test_expected_edits_on_the_examples(examples_copy):
    first = _check(["examples"])
    outcome = fix_files(first.findings, write=True, setups=first.setups)
    functional = (examples_copy / "seed000" / "train_functional.py").read_text()
    assert "x = Dense(256, activation='relu')(x)" in functional
    assert "x = Dense(5, activation='softmax', name='predictions')(x)" in functional  # the output keeps softmax
    assert "optimizers.SGD(learning_rate=1e-3, momentum=0.9)" in functional
    assert "history = vgg_model.fit(\n" in functional
    assert "ImageDataGenerator(preprocessing_function=preprocess_input, zoom_range=0.2, horizontal_flip=True)" in functional
    assert "validation_datagen = ImageDataGenerator(preprocessing_function=preprocess_input)" in functional  # kept in step (MC303)
    assert "from keras import optimizers\nfrom keras.applications.vgg16 import preprocess_input\n\n" in functional

    resnet = (examples_copy / "seed002" / "train_resnet.py").read_text()
    assert "from tensorflow.keras.applications.resnet import preprocess_input\n" in resnet  # the file's tf.keras spelling

    seed001 = (examples_copy / "seed001" / "train.py").read_text()
    assert "ModelCheckpoint(model_name, monitor='val_accuracy', verbose=1" in seed001
    assert "save_weights_only=False, mode='auto', save_freq='epoch')" in seed001
    assert "EarlyStopping(monitor='val_accuracy'" in seed001
    assert "SGD(learning_rate=0.001, decay=1e-6" in seed001  # lr renamed, decay refused
    assert "samples_per_epoch=nb_train_samples" in seed001
    refused = {s.finding.location.line: s.reason for s in outcome.skipped if s.finding.location.path.endswith("seed001/train.py")}
    assert "unit changes" in refused[76] and "learning-rate schedule" in refused[40]

    finetune = (examples_copy / "seed004" / "finetune.py").read_text()
    assert "from keras.layers import Conv2D, MaxPooling2D, ZeroPadding2D\n" in finetune
    assert "model.add(Conv2D(64, (3, 3), activation='relu', name='conv1_1'))" in finetune
    assert "    epochs=nb_epoch,\n" in finetune


def test_diff_prints_the_fixes_and_changes_nothing_on_disk(examples_copy):
    snapshot = {p: p.read_bytes() for p in examples_copy.rglob("*") if p.is_file()}
    result = _check(["examples"])
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*")
    add_fix_arguments(parser)
    args = parser.parse_args(["--diff", "examples"])
    out, err = io.StringIO(), io.StringIO()
    assert run_fixes(args, result, Settings(), stdout=out, stderr=err) == 1
    assert {p: p.read_bytes() for p in examples_copy.rglob("*") if p.is_file()} == snapshot
    diff = out.getvalue()
    assert "--- examples/seed000/train_functional.py\n+++ examples/seed000/train_functional.py\n" in diff
    assert "-x = Dense(256, activation='softmax')(x)\n+x = Dense(256, activation='relu')(x)\n" in diff
    assert "not fixed: the unit changes" in err.getvalue()


def test_fix_writes_and_rechecks_through_the_cli_hook(examples_copy):
    result = _check(["examples/seed001"])
    args = argparse.Namespace(fix=True, diff=False, paths=["examples/seed001"])
    err = io.StringIO()
    assert run_fixes(args, result, Settings(), stdout=io.StringIO(), stderr=err) is None
    assert "monitor='val_accuracy'" in (examples_copy / "seed001" / "train.py").read_text()
    # The result now holds the re-check: no MC401 left, the refused MC402s still there.
    assert not [f for f in result.findings if f.code == "MC401"]
    assert {f.message.split("`")[1] for f in result.findings if f.code == "MC402"} >= {"samples_per_epoch=", "decay="}
    assert "fixed" in err.getvalue()
    assert run_fixes(argparse.Namespace(fix=False, diff=False), result) is None


TF_KERAS_SCRIPT = """\
# -*- coding: utf-8 -*-
\"\"\"Fine-tune VGG16 (tf.keras spelling, CRLF endings, non-ASCII before a fixed call).\"\"\"
import tensorflow as tf
from tensorflow.keras.applications import VGG16
from tensorflow.keras.preprocessing.image import ImageDataGenerator
from tensorflow.keras import layers, models, optimizers
from tensorflow.keras.callbacks import EarlyStopping

base = VGG16(weights='imagenet', include_top=False, input_shape=(64, 64, 3))
base.trainable = False
model = models.Sequential([base, layers.Flatten(name='aplati_é'), layers.Dense(64, activation="softmax"), layers.Dense(2, activation='softmax')])
model.compile(loss='categorical_crossentropy', optimizer=optimizers.Adam(lr=1e-4), metrics=['accuracy'])
gen = ImageDataGenerator(rescale=1./255)
train = gen.flow_from_directory('data', target_size=(64, 64), class_mode='categorical')
stop = EarlyStopping(monitor="val_acc", patience=3)
model.fit_generator(train, epochs=2, validation_data=train, callbacks=[stop])
"""


def _folders(root: Path) -> None:
    for name in ("a", "b"):
        (root / "data" / name).mkdir(parents=True)


def test_fixes_keep_crlf_quotes_encoding_and_spelling(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _folders(tmp_path)
    script = _write(tmp_path / "train.py", TF_KERAS_SCRIPT, newline="\r\n")
    before = script.read_bytes()
    result = _check([script.name])
    outcome = fix_files(result.findings, write=True, setups=result.setups)
    assert {a.finding.code for a in outcome.applied} == {"MC101", "MC201", "MC401", "MC402"}, outcome.skipped
    after = script.read_bytes()
    text = after.decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")  # CRLF everywhere, including the new import
    assert "layers.Flatten(name='aplati_é'), layers.Dense(64, activation=\"relu\")" in text  # quote style kept
    assert "EarlyStopping(monitor=\"val_accuracy\", patience=3)" in text
    assert "from tensorflow.keras.callbacks import EarlyStopping\r\nfrom tensorflow.keras.applications.vgg16 import preprocess_input\r\n\r\n" in text
    assert "ImageDataGenerator(preprocessing_function=preprocess_input)" in text
    assert "model.fit(train, epochs=2" in text
    replaced, inserted = _changed_lines(before.decode("utf-8"), text)
    assert len(inserted) == 1 and {number for number, _, _ in replaced} == {11, 12, 13, 15, 16}
    assert not _fixable(_check([script.name]).findings)


def test_refusals_say_why(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _folders(tmp_path)
    script = _write(tmp_path / "train.py", """\
import numpy as np
import keras
from keras.applications import VGG16
from keras.layers import Convolution2D
from keras.preprocessing.image import load_img, img_to_array

metric = 'val_acc'
base = VGG16(weights='imagenet', include_top=False, input_shape=(64, 64, 3))
base.trainable = False
model = keras.Sequential([base, keras.layers.Softmax(), Convolution2D(8, 3, 3), Convolution2D(8, (3, 3)),
                          keras.layers.Flatten(), keras.layers.Dense(2, activation='softmax')])
model.compile(loss='categorical_crossentropy', optimizer=keras.optimizers.SGD(lr=0.01, decay=1e-6), metrics=['accuracy'])
gen = keras.preprocessing.image.ImageDataGenerator(rescale=1./255)
train = gen.flow_from_directory('data', target_size=(64, 64), class_mode='categorical')
stop = keras.callbacks.EarlyStopping(monitor=metric)
model.fit_generator(train, 10, 2, validation_data=train, callbacks=[stop])
x = img_to_array(load_img('x.png', target_size=(64, 64))) / 255.
print(model.predict(np.expand_dims(x, 0)))
""")
    result = _check([script.name])
    outcome = fix_files(result.findings, write=False, setups=result.setups)
    reasons = {(s.finding.code, s.finding.location.line): s.reason for s in outcome.skipped}
    assert "Softmax() layer" in reasons[("MC101", 10)]
    assert "learning-rate schedule" in reasons[("MC402", 12)]
    assert "predict pipeline" in reasons[("MC201", 13)] and "MC303" in reasons[("MC201", 13)]
    assert "not a string literal" in reasons[("MC401", 15)]
    assert "positional arguments" in reasons[("MC402", 16)]
    applied = {a.finding.code for a in outcome.applied}
    assert applied == {"MC402"}  # lr= and the Keras 1 Convolution2D
    diff = outcome.diff
    # Convolution2D(8, (3, 3)) still uses the old name, so Conv2D is imported next to it.
    assert "+from keras.layers import Convolution2D, Conv2D\n" in diff
    assert "Conv2D(8, (3, 3)), Convolution2D(8, (3, 3))," in diff
    assert script.read_text().count("Convolution2D(8, 3, 3)") == 1  # write=False: untouched


def test_without_setups_the_scripts_are_reread(examples_copy):
    first = _check(["examples/seed000", "examples/seed004"])
    with_setups = fix_files(first.findings, write=False, setups=first.setups)
    reread = fix_files(first.findings, write=False)
    assert reread.diffs == with_setups.diffs and reread.applied == with_setups.applied


def test_findings_of_other_codes_and_model_files_are_left_alone(tmp_path):
    from modelcheck.engine import report
    from modelcheck.ir import Location

    untouched = report("MC105", "oversized head", Location("train.py", line=1, column=1))
    layer = report("MC101", "hidden softmax", Location("model.keras", layer="dense"))
    outcome = fix_files([untouched, layer], write=False, setups=[])
    assert outcome.applied == [] and outcome.diffs == {}
    assert [s.finding for s in outcome.skipped] == [layer]
    assert "not a position in a Python script" in outcome.skipped[0].reason


def test_cli_diff_then_fix_on_a_copy_of_the_examples(tmp_path):
    import shutil

    from conftest import ROOT, run_cli

    copy = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", copy)
    before = {p: p.read_bytes() for p in copy.rglob("*.py")}
    diff = run_cli("--diff", str(copy))
    assert diff.returncode == 1 and "+x = Dense(256, activation='relu')(x)" in diff.stdout
    assert {p: p.read_bytes() for p in copy.rglob("*.py")} == before  # --diff writes nothing
    run_cli("--fix", str(copy))
    again = run_cli("--format", "json", str(copy))
    import json

    codes = {f["code"] for f in json.loads(again.stdout)["findings"]}
    assert not codes & {"MC101", "MC401"}


def test_the_cli_lists_the_fixable_codes_the_fixer_has():
    from modelcheck.fix.apply import FIXABLE_CODES as fixer_codes
    from modelcheck.fix.cli_hook import FIXABLE_CODES as cli_codes

    assert tuple(cli_codes) == tuple(fixer_codes)


def test_rewording_every_message_and_hint_changes_no_fix(examples_copy):
    # Fixes read the facts a rule attached (Finding.fix), never the prose: "x" everywhere fixes the same.
    import dataclasses

    first = _check(["examples"])
    plain = fix_files(first.findings, write=False, setups=first.setups)
    reworded = fix_files([dataclasses.replace(f, message="x", hint="x") for f in first.findings], write=False, setups=first.setups)
    assert plain.applied and reworded.diffs == plain.diffs
    assert [(a.finding.code, a.finding.location, a.description) for a in reworded.applied] == [
        (a.finding.code, a.finding.location, a.description) for a in plain.applied
    ]
    assert [(s.finding.code, s.finding.location, s.reason) for s in reworded.skipped] == [
        (s.finding.code, s.finding.location, s.reason) for s in plain.skipped
    ]


def test_rules_attach_their_fix_only_where_it_applies(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _folders(tmp_path)
    _write(tmp_path / "train.py", TF_KERAS_SCRIPT)
    findings = {f.code: f for f in _check(["train.py"]).findings if f.code in FIXABLE_CODES and f.location.line in (11, 13, 15, 16)}
    facts = {code: dict(f.fix.facts) for code, f in findings.items()}
    assert facts == {
        "MC101": {"activation": "relu"},
        "MC201": {"module": "vgg16", "backbone": "VGG16"},
        "MC401": {"monitor": "val_accuracy"},
        "MC402": {"api": "fit_generator(", "replacement": "fit("},
    }
    assert findings["MC101"].fix.message == "Replace `activation='softmax'` with `'relu'`"
    # The Softmax() layer, decay= and a monitor with no close logged name: reported, with no fix offered.
    _write(tmp_path / "train.py", TF_KERAS_SCRIPT.replace('layers.Dense(64, activation="softmax")', "layers.Softmax()")
           .replace("lr=1e-4", "decay=1e-4").replace('"val_acc"', '"recall_at_precision"'))
    refused = [f for f in _check(["train.py"]).findings if f.code in ("MC101", "MC401", "MC402")]
    assert {(f.code, f.location.line) for f in refused} >= {("MC101", 11), ("MC401", 15), ("MC402", 12)}
    assert all(f.fix is None for f in refused if f.location.line in (11, 12, 15))
