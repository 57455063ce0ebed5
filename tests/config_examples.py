"""The example of docs/training-config.md in YAML, TOML and JSON, and helpers to lay out a config project."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import ROOT

DOC = ROOT / "docs" / "training-config.md"


def doc_example() -> str:
    """The YAML block of docs/training-config.md: the example the tests hold the reader to."""
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, f"{DOC} should hold exactly one ```yaml block, the example"
    return blocks[0]


EXAMPLE_YAML = doc_example()

EXAMPLE_TOML = """\
[model]
backbone = "ResNet50"
weights = "imagenet"
input_shape = [224, 224, 3]
freeze = 150
head = [
  {GlobalAveragePooling2D = {}},
  {Dense = {units = 256, activation = "relu"}},
  {Dropout = {rate = 0.5}},
  {Dense = {units = 5, activation = "softmax"}},
]

[compile]
loss = "categorical_crossentropy"
optimizer = {class_name = "Adam", learning_rate = 0.001}
metrics = ["accuracy"]

[data.train]
directory = "data/train"
class_mode = "categorical"
target_size = [224, 224]
rescale = 0.00392156862745098
augmentation = {horizontal_flip = true, rotation_range = 20}

[data.validation]
directory = "data/val"
class_mode = "categorical"
target_size = [224, 224]
rescale = 0.00392156862745098
augmentation = {zoom_range = 0.2}

[fit]
epochs = 20
batch_size = 32

[[callbacks]]
ModelCheckpoint = {filepath = "best.keras", monitor = "val_acc", save_best_only = true}

[expect]
num_classes = 5
trainable_from = "conv5_block1_1_conv"
"""


def example_json() -> str:
    """The example as JSON, one key per line (as json.dumps(indent=2) writes it)."""
    import yaml

    return json.dumps(yaml.safe_load(EXAMPLE_YAML), indent=2) + "\n"


EXAMPLES = {"yaml": EXAMPLE_YAML, "toml": EXAMPLE_TOML, "json": None}

# What docs/training-config.md says the example produces, with the key each finding
# must point at. MC202 appears twice: the boundary cut (at `freeze`) and the declared
# expectation it contradicts (at `expect.trainable_from`).
EXPECTED = [
    ("MC201", "data.train.rescale"),
    ("MC202", "model.freeze"),
    ("MC202", "expect.trainable_from"),
    ("MC206", "compile.optimizer.learning_rate"),
    ("MC302", "data.validation.augmentation"),
    ("MC401", "callbacks[0].ModelCheckpoint.monitor"),
]
MC103 = ("MC103", "model.head[3].Dense")


def example_text(fmt: str) -> str:
    return example_json() if fmt == "json" else EXAMPLES[fmt]


def make_class_dirs(root: Path, count: int, images: int = 2) -> None:
    """`root/class_i/img_j.jpg` folders (tiny files: only names and counts matter)."""
    for index in range(count):
        folder = root / f"class_{index}"
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(images):
            (folder / f"img_{number}.jpg").write_bytes(b"\xff\xd8\xff\xd9")
