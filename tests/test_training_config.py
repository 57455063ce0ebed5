"""Training configs (docs/training-config.md) in YAML, TOML and JSON: findings at their keys' lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from config_examples import EXAMPLE_TOML, EXAMPLE_YAML, EXPECTED, MC103, example_text, make_class_dirs
from conftest import hang_guard, run_cli, run_json

FORMATS = ("yaml", "toml", "json")
# Where each expected finding sits, found in the text independently of the reader: the
# first line matching each pattern in turn, each search starting where the last one matched.
NEEDLES = {
    "data.train.rescale": ("train", "rescale"),
    "model.freeze": ("freeze",),
    "expect.trainable_from": ("expect", "trainable_from"),
    "compile.optimizer.learning_rate": ("compile", "learning_rate"),
    "data.validation.augmentation": ("validation", "augmentation"),
    "callbacks[0].ModelCheckpoint.monitor": ("callbacks", "monitor"),
    "model.head[3].Dense": ("head", "Dense", "Dropout", "Dense"),
}


def _line(text: str, key: str) -> int:
    lines = text.splitlines()
    start = 0
    for needle in NEEDLES[key]:
        pattern = re.compile(rf"""(^|[\s{{,\["'.]){re.escape(needle)}["']?\s*[:=\].]""")
        start = next(i for i in range(start, len(lines)) if pattern.search(lines[i]) and not lines[i].lstrip().startswith("#"))
        start += 0 if needle == NEEDLES[key][-1] else 1
    return start + 1


def _write(folder: Path, fmt: str, name: str = "train") -> Path:
    path = folder / f"{name}.{fmt}"
    path.write_text(example_text(fmt), encoding="utf-8")
    return path


def _found(document: dict) -> list[tuple[str, str, int]]:
    return sorted((f["code"], f["key"], f["line"]) for f in document["findings"])


def _expected(fmt: str, with_classes: bool = False) -> list[tuple[str, str, int]]:
    text = example_text(fmt)
    wanted = EXPECTED + ([MC103] if with_classes else [])
    return sorted((code, key, _line(text, key)) for code, key in wanted)


def test_the_toml_example_is_the_documents_yaml_example():
    import yaml

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    assert "ResNet50" in EXAMPLE_YAML
    assert tomllib.loads(EXAMPLE_TOML) == yaml.safe_load(EXAMPLE_YAML)


def test_yaml_lines_are_the_documents():
    assert _expected("yaml", with_classes=True) == sorted([
        ("MC103", "model.head[3].Dense", 11), ("MC201", "data.train.rescale", 22), ("MC202", "expect.trainable_from", 37),
        ("MC202", "model.freeze", 5), ("MC206", "compile.optimizer.learning_rate", 15),
        ("MC302", "data.validation.augmentation", 29), ("MC401", "callbacks[0].ModelCheckpoint.monitor", 34),
    ])


@pytest.mark.parametrize("fmt", FORMATS)
def test_example_gives_exactly_the_listed_findings(tmp_path, fmt):
    status, document = run_json(str(_write(tmp_path, fmt)))
    assert status == 1
    assert _found(document) == _expected(fmt)
    assert {f["code"] for f in document["findings"]} == {code for code, _ in EXPECTED}
    assert all(f["path"].endswith(f"train.{fmt}") for f in document["findings"])


def test_example_gives_no_mc205(tmp_path):
    _, document = run_json(str(_write(tmp_path, "yaml")))
    assert "MC205" not in {f["code"] for f in document["findings"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_class_folders_other_than_five_add_mc103_at_the_output_layer(tmp_path, fmt):
    make_class_dirs(tmp_path / "data" / "train", 3)
    make_class_dirs(tmp_path / "data" / "val", 3)
    _, document = run_json(str(_write(tmp_path, fmt)))
    assert _found(document) == _expected(fmt, with_classes=True)
    [mc103] = [f for f in document["findings"] if f["code"] == "MC103"]
    assert "'data/train'" in mc103["message"] and "3 classes" in mc103["message"]


def test_five_class_folders_add_nothing_and_dirs_resolve_next_to_the_config(tmp_path):
    configs = tmp_path / "configs"
    make_class_dirs(configs / "data" / "train", 5)
    make_class_dirs(configs / "data" / "val", 5)
    path = _write(configs, "yaml")
    _, document = run_json(str(path), cwd=tmp_path)  # the CWD has no data/: found next to the config
    assert _found(document) == _expected("yaml")
    make_class_dirs(configs / "data" / "train", 6)
    _, document = run_json(str(path), cwd=tmp_path)
    assert ("MC103", "model.head[3].Dense", 11) in _found(document)


def test_unknown_key_is_mc001_with_did_you_mean_at_its_line(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text(EXAMPLE_YAML.replace("    augmentation: {zoom_range: 0.2}", "    augmentaton: {zoom_range: 0.2}"))
    status, document = run_json(str(path))
    [finding] = document["findings"]
    assert status == 1
    assert (finding["code"], finding["line"], finding["key"]) == ("MC001", 29, "data.validation.augmentaton")
    assert "did you mean 'augmentation'?" in finding["message"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("fit:\n  epochs: twenty\n", 2, "fit.epochs must be an integer"),
        ("model:\n  backbone: ResNet05\n", 2, "did you mean 'ResNet50'?"),
        ("model:\n  backbone: ResNet50\n  freeze: conv5_block1_1_cnv\n", 3, "did you mean 'conv5_block1_1_conv'?"),
        ("compile:\n  optimizer: {class_name: Adma}\n", 2, "did you mean 'Adam'?"),
        ("callbacks:\n  - ModelCheckpiont: {monitor: val_loss}\nfit: {epochs: 1}\n", 2, "did you mean 'ModelCheckpoint'?"),
        ("data:\n  train:\n    directory: x\n    rotation_range: 20\n", 4, "augmentation goes under `augmentation:`"),
        ("data:\n  train:\n    class_mode: categorcal\n", 3, "data.train.class_mode must be one of"),
        ("model:\n  backbone: ResNet50\nfitt:\n  epochs: 3\n", 3, "unknown key 'fitt' at the top level (did you mean 'fit'?)"),
        ("model:\n  backbone: ResNet50\n  backbone: VGG16\n", 3, "duplicate key 'backbone'"),
        ("model:\n  file: missing.keras\n", 2, "model.file 'missing.keras' not found"),
        ("model:\n  file: m.keras\n  head: [Dense]\n", 3, "cannot be combined with model.file"),
    ],
)
def test_invalid_configs_are_mc001_at_the_offending_line(tmp_path, text, line, words):
    path = tmp_path / "train.yaml"
    path.write_text(text)
    _, document = run_json(str(path))
    [finding] = document["findings"]
    assert finding["code"] == "MC001" and finding["line"] == line, finding
    assert words in finding["message"]


def test_toml_and_json_errors_carry_lines(tmp_path):
    (tmp_path / "train.toml").write_text("[model]\nbackbone = ResNet50\n")
    (tmp_path / "train.json").write_text('{\n  "model": {"backbone": "ResNet50",}\n}\n')
    (tmp_path / "setup.json").write_text('{\n  "fit": {\n    "epochs": 3,\n    "batchsize": 32\n  }\n}\n')
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nmarkdown_extensions:\n  - emoji: {emoji_index: !!python/name:material.extensions.emoji.twemoji}\n")
    (tmp_path / "deployment.yaml").write_text("spec:\n  replicas: {{ .Values.replicas }}\n")  # a Helm template
    _, document = run_json(str(tmp_path))
    lines = {Path(f["path"]).name: (f["code"], f["line"]) for f in document["findings"]}
    # inputs.py parses every .json first (model JSON or not) and reports its syntax errors itself,
    # with the line in the message only.
    assert {name: code for name, (code, _) in lines.items()} == {"train.toml": "MC001", "train.json": "MC001", "setup.json": "MC001"}
    assert lines["train.toml"][1] == 2 and lines["setup.json"][1] == 4
    assert "line 2" in str(document) and "did you mean 'batch_size'?" in str(document)


BILLION_LAUGHS = "\n".join(
    [f"l0: &l0 [{', '.join(['lol'] * 10)}]"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    + ["model: {backbone: ResNet50, head: *l9}", ""]
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("model: !!python/object/apply:os.system ['touch {canary}']\n", "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
        ("model:\n  backbone: !!python/name:os.system\n", "is not allowed"),
        ("model: !!python/object/new:subprocess.Popen [['touch', '{canary}']]\n", "is not allowed"),
        (BILLION_LAUGHS, "aliases expand to more than 10000 values"),
        ("model: &a {backbone: ResNet50, head: [*a]}\n", "nested deeper than"),
    ],
)
def test_hostile_yaml_is_refused_and_never_executed(tmp_path, text, words):
    canary = tmp_path / "PWNED"
    path = tmp_path / "train.yaml"
    path.write_text(text.replace("{canary}", str(canary)))
    _, document = run_json(str(path), timeout=120)  # expanded, the aliases would never finish
    [finding] = document["findings"]
    assert finding["code"] == "MC001" and words in finding["message"]
    assert not canary.exists()


def test_alias_bound_in_process():
    from modelcheck.errors import InputError
    from modelcheck.readers.config.training_config import read_training_config

    with hang_guard(60, "reading a billion-laughs YAML"), pytest.raises(InputError, match="billion laughs"):
        read_training_config("train.yaml", BILLION_LAUGHS.encode())


def test_non_config_files_are_skipped_in_scans_and_mc002_when_named(tmp_path):
    (tmp_path / "docker-compose.yaml").write_text("services:\n  web: {image: nginx}\n")
    (tmp_path / "configmap.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  train: yes\n")
    (tmp_path / "hydra.yaml").write_text("model:\n  name: resnet\n  lr: 0.1\ntrainer: {gpus: 1}\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "package.json").write_text('{"name": "x", "version": "1.0.0"}\n')
    status, document = run_json(str(tmp_path))
    assert (status, document["findings"], document["summary"]["files"]) == (0, [], 5)
    status, document = run_json(str(tmp_path / "docker-compose.yaml"), str(tmp_path / "hydra.yaml"))
    assert status == 0
    assert [(f["code"], f["severity"]) for f in document["findings"]] == [("MC002", "info")] * 2


def test_keys_beyond_the_contract(tmp_path):
    """backbone_training: false (training=False), preprocessing, rescale as '1/255', optimizer by name."""
    path = tmp_path / "train.yaml"
    path.write_text(
        "model:\n  backbone: resnet50\n  input_shape: [224, 224, 3]\n  freeze: conv4_block6_out\n  backbone_training: false\n"
        "  head: [GlobalAveragePooling2D, {Dense: {units: 5, activation: softmax}}]\n"
        "compile:\n  loss: categorical_crossentropy\n  optimizer: {Adam: {learning_rate: 1.0e-5}}\n  metrics: [accuracy]\n"
        "data:\n  train: {preprocessing: resnet50, target_size: [224, 224], augmentation: [RandomFlip, {RandomRotation: {factor: 0.1}}]}\n"
        "  validation: {preprocessing: keras.applications.resnet50.preprocess_input, target_size: [224, 224]}\n"
        "callbacks:\n  - EarlyStopping: {monitor: val_accuracy, patience: 3}\n"
        "expect: {num_classes: 5, trainable_from: conv5_block1_1_conv, frozen_layers: 143}\n"
    )
    status, document = run_json(str(path))
    assert (status, document["findings"]) == (0, [])
    path.write_text(path.read_text().replace("preprocessing: resnet50,", "rescale: 1/255,"))
    _, document = run_json(str(path))
    assert [(f["code"], f["key"]) for f in document["findings"]] == [("MC201", "data.train.rescale"), ("MC303", "data.validation.preprocessing")]


def test_legacy_keras_arguments_are_mc402(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text('[compile]\nloss = "categorical_crossentropy"\noptimizer = {class_name = "SGD", lr = 0.01}\n\n[fit]\nnb_epoch = 10\n')
    _, document = run_json(str(path))
    assert [(f["code"], f["key"], f["line"]) for f in document["findings"]] == [
        ("MC402", "compile.optimizer.lr", 3), ("MC402", "fit.nb_epoch", 6),
    ]


def test_model_file_is_joined_with_the_declared_setup(tmp_path, keras3_models):
    make_class_dirs(tmp_path / "data" / "train", 3)
    model = keras3_models / "clean_finetune.keras"
    assert run_json(str(model))[1]["findings"] == []  # clean on its own
    path = tmp_path / "train.yaml"
    path.write_text(
        f"model:\n  file: {model}\n  weights: imagenet\n"
        "compile:\n  optimizer: {class_name: Adam, learning_rate: 0.001}\n"
        "data:\n  train:\n    directory: data/train\n    target_size: [128, 128]\n    rescale: 0.00392156862745098\n"
    )
    _, document = run_json(str(path), cwd=tmp_path)
    found = {(f["code"], f["key"] or f["layer"], f["line"]) for f in document["findings"]}
    assert found == {
        ("MC201", "data.train.rescale", 10),
        ("MC206", "compile.optimizer.learning_rate", 5),
        ("MC305", "data.train", 7),
        ("MC103", "predictions", None),
    }
    [mc103] = [f for f in document["findings"] if f["code"] == "MC103"]
    assert mc103["path"].endswith("clean_finetune.keras") and "3 classes" in mc103["message"]


def test_console_and_github_point_at_the_key(tmp_path):
    path = _write(tmp_path, "yaml")
    console = run_cli("--select", "MC302", str(path)).stdout
    assert "train.yaml:29:5 [data.validation.augmentation]: MC302" in console
    assert "augmentation: {zoom_range: 0.2}" in console  # the source excerpt
    github = run_cli("--format", "github", "--select", "MC401", str(path)).stdout
    assert github.startswith("::error file=") and ",line=34,col=45," in github and "[callbacks[0].ModelCheckpoint.monitor]" in github


def test_config_check_imports_no_tensorflow(tmp_path):
    path = _write(tmp_path, "yaml")
    probe = (
        "import sys, json\n"
        "from modelcheck.runner import check_paths\n"
        f"result = check_paths([{str(path)!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'))\n"
        "print(json.dumps({'heavy': heavy, 'codes': [f.code for f in result.findings]}))\n"
    )
    import os
    import subprocess
    import sys

    from conftest import ROOT

    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["heavy"] == [] and "MC201" in outcome["codes"]
