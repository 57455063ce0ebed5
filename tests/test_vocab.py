"""The one Keras vocabulary (modelcheck/vocab.py + rules/vocab.json): every reader answers alike."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modelcheck import vocab
from modelcheck.runner import check_paths
from modelcheck.settings import Settings

REPO = Path(__file__).resolve().parents[1]

SCRIPT = """\
import keras
from keras import layers

train = keras.utils.image_dataset_from_directory('data/train', image_size=(224, 224))
val = keras.utils.image_dataset_from_directory('data/val', image_size=(224, 224))
augment = keras.Sequential([layers.{layer}()])
train = train.map(lambda x, y: (augment(x), y))
val = val.map(lambda x, y: (augment(x), y))
model = keras.Sequential([keras.Input((224, 224, 3)), layers.Flatten(), layers.Dense(2, activation='softmax')])
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
model.fit(train, validation_data=val, epochs=3)
"""

CONFIG = """\
model:
  input_shape: [224, 224, 3]
  head:
    - Flatten: {{}}
    - Dense: {{units: 2, activation: softmax}}
compile:
  loss: sparse_categorical_crossentropy
  optimizer: adam
  metrics: [accuracy]
data:
  train:
    directory: data/train
    image_size: [224, 224]
    augmentation: [{layer}]
  validation:
    directory: data/val
    image_size: [224, 224]
    augmentation: [{layer}]
fit:
  epochs: 3
"""


def _mc302(tmp_path: Path, name: str, text: str, monkeypatch) -> list[tuple[str, int | None, int | None]]:
    for split in ("train", "val"):
        for label in ("a", "b"):
            (tmp_path / "data" / split / label).mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = check_paths([name], Settings())
    return [(f.location.path, f.location.line, f.location.column) for f in result.findings if f.code == "MC302"]


@pytest.mark.parametrize("layer", ["RandomGaussianBlur", "RandomFlip", "RandomErasing"])
def test_an_augmentation_layer_is_mc302_in_a_script_as_in_a_config(tmp_path, monkeypatch, layer):
    assert _mc302(tmp_path, "train.py", SCRIPT.format(layer=layer), monkeypatch) == [("train.py", 8, 7)]
    assert _mc302(tmp_path, "train.yaml", CONFIG.format(layer=layer), monkeypatch) == [("train.yaml", 18, 5)]


def test_a_deterministic_image_layer_is_not_augmentation(tmp_path, monkeypatch):
    assert _mc302(tmp_path, "train.py", SCRIPT.format(layer="AutoContrast"), monkeypatch) == []
    assert _mc302(tmp_path, "train.yaml", CONFIG.format(layer="AutoContrast"), monkeypatch) == []


def test_generated_names_resolve_like_keras():
    assert vocab.canonical_loss("CategoricalCrossentropy") == ("categorical_crossentropy", False)
    assert vocab.canonical_loss("bce") == ("binary_crossentropy", False)
    assert vocab.canonical_loss("kullback_leibler_divergence") == ("kl_divergence", False)  # Keras 2
    assert vocab.canonical_loss("cce") == ("cce", True)  # no Keras accepts it
    assert vocab.canonical_activation("swish") == "silu" and vocab.canonical_activation("LeakyReLU") == "leaky_relu"
    assert vocab.canonical_optimizer("adamw") == "AdamW" and vocab.canonical_optimizer("loss_scale_optimizer") == "LossScaleOptimizer"
    assert vocab.OPTIMIZER_DEFAULT_LR["SGD"] == 0.01 and vocab.OPTIMIZER_DEFAULT_LR["Adam"] == 0.001
    assert vocab.KERAS2_OPTIMIZER_DEFAULT_LR["Lion"] == 0.0001 and vocab.OPTIMIZER_DEFAULT_LR["Lion"] == 0.001
    assert vocab.metric_logged_name("AUC") == "auc" and vocab.metric_logged_name("LogCoshError") == "logcosh"
    assert {"RandomHeight", "RandomWidth", "RandomGaussianBlur"} <= vocab.AUGMENTATION_LAYERS
    assert vocab.AUGMENTATION_LAYERS - vocab.SHAPE_KEEPING_AUGMENTATION == {"RandomCrop", "RandomHeight", "RandomWidth"}
    assert not vocab.AUGMENTATION_LAYERS & vocab.IMAGE_LAYERS


def test_hand_written_generator_arguments_are_real_keras_arguments():
    known = set(vocab.IMAGE_DATA_GENERATOR_ARGS)
    assert known, "rules/vocab.json lacks the ImageDataGenerator signature"
    for group in (vocab.AUGMENTATION_ARGS, vocab.AUGMENTATION_SETTINGS, vocab.DATA_DEPENDENT_ARGS):
        assert set(group) <= known, set(group) - known


@pytest.mark.tf
@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras not installed")
def test_committed_vocabulary_matches_installed_keras():
    # A subprocess keeps Keras out of this session; --check regenerates and compares table by table.
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "modelcheck.knowledge.build_vocab", "--check"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    stale = [line for line in result.stderr.splitlines() if line.startswith("stale")]
    assert result.returncode == 0, stale or result.stderr[-3000:]


def test_the_check_names_each_stale_table(tmp_path):
    from modelcheck.knowledge.build_vocab import stale_entries

    committed = json.loads((REPO / "rules" / "vocab.json").read_text(encoding="utf-8"))
    edited = json.loads(json.dumps(committed))
    edited["keras3"]["optimizers"]["SGD"] = 0.1
    edited["keras3"]["version"] = "0.0"  # a version alone is not drift
    assert stale_entries(committed, edited) == ["keras3.optimizers"]


@pytest.mark.tf
def test_the_probe_never_caches_through_an_augmentation_layer():
    keras = pytest.importorskip("keras")
    from modelcheck.probe.cache import training_invariant

    # MixUp and AugMix do not start with "Random": the vocabulary, not the name, says they are random.
    for name in ("MixUp", "AugMix", "Solarization", "RandomFlip"):
        assert training_invariant(getattr(keras.layers, name)()) is False, name
    assert training_invariant(keras.layers.Resizing(8, 8)) is True
