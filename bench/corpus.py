"""Benchmark corpora, generated into a folder (never committed as files).

- ``seed_corpus``: 17 copies of every script under examples/seed*/ (272 scripts, about
  50 lines each), folder structure kept, so predict.py still sits beside train.py.
- ``real_corpus``: projects written the way teams write them: a utility module, a data
  loader, a model builder, a training script with functions and argparse, a predict
  script, an evaluation script. Varied deterministically (backbone, image size, head,
  freezing, learning rate), so the rules have real work and real findings.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_COPIES = 17

BACKBONES = [
    ("ResNet50", "resnet50", 224), ("MobileNetV2", "mobilenet_v2", 160), ("EfficientNetB0", "efficientnet", 224),
    ("VGG16", "vgg16", 224), ("Xception", "xception", 299), ("DenseNet121", "densenet", 224),
]


def seed_corpus(target: Path, copies: int = SEED_COPIES) -> int:
    """Copy every examples/seed*/ script ``copies`` times under ``target``; returns the number of files."""
    if target.exists():
        shutil.rmtree(target)
    sources = sorted(p for p in (ROOT / "examples").glob("seed*/**/*.py"))
    for copy in range(copies):
        for source in sources:
            out = target / f"copy{copy:02d}" / source.relative_to(ROOT / "examples")
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, out)
    return copies * len(sources)


def real_corpus(target: Path, projects: int = 60) -> int:
    """Write ``projects`` generated projects of six scripts each under ``target``; returns the number of files."""
    if target.exists():
        shutil.rmtree(target)
    count = 0
    for index in range(projects):
        rng = random.Random(index)
        folder = target / f"project{index:03d}"
        for relative, text in _project(rng, index).items():
            out = folder / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            count += 1
    return count


def _project(rng: random.Random, index: int) -> dict[str, str]:
    backbone, module, size = rng.choice(BACKBONES)
    classes = rng.choice([2, 5, 10, 37, 120])
    facts = {
        "backbone": backbone, "module": module, "size": rng.choice([size, size, 128, 96]), "classes": classes,
        "rescale": rng.random() < 0.4, "freeze": rng.choice(["all", "none", "prefix", "loop"]),
        "lr": rng.choice(["1e-3", "1e-4", "3e-4", "0.01"]), "activation": "sigmoid" if classes == 2 and rng.random() < 0.5 else "softmax",
        "loss": rng.choice(["categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy"]),
        "epochs": rng.choice([5, 10, 30]), "batch": rng.choice([16, 32, 64]), "index": index,
    }
    return {
        "src/utils/io.py": UTILS,
        "src/data/loader.py": LOADER.format(**facts),
        "src/models/build.py": BUILD.format(**facts, freeze_code=_freeze(facts["freeze"])),
        "train.py": TRAIN.format(**facts),
        "predict.py": PREDICT.format(**facts),
        "evaluate.py": EVALUATE.format(**facts),
    }


def _freeze(kind: str) -> str:
    return {
        "all": "    base.trainable = False\n",
        "none": "    base.trainable = True\n",
        "prefix": "    base.trainable = True\n    for layer in base.layers[:-20]:\n        layer.trainable = False\n",
        "loop": "    for layer in base.layers:\n        if not isinstance(layer, keras.layers.BatchNormalization):\n            layer.trainable = False\n",
    }[kind]


UTILS = '''"""Small helpers shared by the training and evaluation scripts."""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

log = logging.getLogger(__name__)


@dataclass
class RunLog:
    name: str
    started: float = field(default_factory=time.time)
    metrics: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, value: float) -> None:
        self.metrics.setdefault(key, []).append(float(value))

    def best(self, key: str, mode: str = "max") -> float | None:
        values = self.metrics.get(key)
        if not values:
            return None
        return max(values) if mode == "max" else min(values)

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / f"{{self.name}}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({{"name": self.name, "metrics": self.metrics}}, indent=2))
        return path


def ensure_dir(path: str | os.PathLike) -> Path:
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chunked(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_labels(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith("#")]


def timed(func):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            log.info("%s took %.2f s", func.__name__, time.perf_counter() - start)
    return wrapper
'''.replace("{{", "{").replace("}}", "}")

LOADER = '''"""Input pipelines: image folders to batched, augmented tf.data datasets."""
import os

import tensorflow as tf
from tensorflow import keras

IMG_SIZE = ({size}, {size})
BATCH_SIZE = {batch}
AUTOTUNE = tf.data.AUTOTUNE


def augmenter():
    return keras.Sequential([
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(0.1),
        keras.layers.RandomZoom(0.1),
    ], name="augment")


def load_split(root, subset, seed=1337):
    return keras.utils.image_dataset_from_directory(
        os.path.join(root, "train"),
        validation_split=0.2,
        subset=subset,
        seed=seed,
        image_size=IMG_SIZE,
        batch_size=BATCH_SIZE,
        label_mode="categorical",
    )


def prepare(ds, training=False):
    if training:
        ds = ds.shuffle(1000)
    return ds.cache().prefetch(buffer_size=AUTOTUNE)


def class_weights(counts):
    total = sum(counts.values())
    return {{label: total / (len(counts) * count) for label, count in counts.items() if count}}
'''

BUILD = '''"""Model definition: a pretrained {backbone} with a new classification head."""
import keras
from keras import layers

NUM_CLASSES = {classes}
IMG_SHAPE = ({size}, {size}, 3)


def build_head(x, units=256, dropout=0.3):
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(units, activation="relu")(x)
    x = layers.Dropout(dropout)(x)
    return layers.Dense(NUM_CLASSES, activation="{activation}", name="predictions")(x)


def build_model(learning_rate={lr}):
    base = keras.applications.{backbone}(weights="imagenet", include_top=False, input_shape=IMG_SHAPE)
{freeze_code}    inputs = keras.Input(shape=IMG_SHAPE)
    x = keras.applications.{module}.preprocess_input(inputs)
    x = base(x, training=False)
    outputs = build_head(x)
    model = keras.Model(inputs, outputs, name="classifier_{index}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="{loss}",
        metrics=["accuracy"],
    )
    return model, base


def unfreeze_top(model, base, count=30, learning_rate=1e-5):
    base.trainable = True
    for layer in base.layers[:-count]:
        layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="{loss}", metrics=["accuracy"])
    return model
'''

TRAIN = '''"""Train the {backbone} classifier: head first, then fine-tune the top of the backbone."""
import argparse
import os

import tensorflow as tf
import keras
from keras import layers

IMG_SIZE = ({size}, {size})
NUM_CLASSES = {classes}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="data")
    parser.add_argument("--epochs", type=int, default={epochs})
    parser.add_argument("--out", default="model_{index}.keras")
    return parser.parse_args()


def datasets(root):
    train = keras.utils.image_dataset_from_directory(
        os.path.join(root, "train"), image_size=IMG_SIZE, batch_size={batch}, label_mode="categorical")
    val = keras.utils.image_dataset_from_directory(
        os.path.join(root, "val"), image_size=IMG_SIZE, batch_size={batch}, label_mode="categorical")
    if {rescale}:
        scale = layers.Rescaling(1.0 / 255)
        train = train.map(lambda x, y: (scale(x), y))
        val = val.map(lambda x, y: (scale(x), y))
    return train.prefetch(tf.data.AUTOTUNE), val.prefetch(tf.data.AUTOTUNE)


def build():
    base = keras.applications.{backbone}(weights="imagenet", include_top=False, input_shape=IMG_SIZE + (3,))
    base.trainable = False
    inputs = keras.Input(shape=IMG_SIZE + (3,))
    x = keras.applications.{module}.preprocess_input(inputs)
    x = base(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="{activation}")(x)
    return keras.Model(inputs, outputs), base


def callbacks(out):
    return [
        keras.callbacks.ModelCheckpoint(out, monitor="val_accuracy", save_best_only=True),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2),
    ]


def main():
    args = parse_args()
    train, val = datasets(args.data)
    model, base = build()
    model.compile(optimizer=keras.optimizers.Adam({lr}), loss="{loss}", metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=args.epochs, callbacks=callbacks(args.out))
    base.trainable = True
    for layer in base.layers[:-20]:
        layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="{loss}", metrics=["accuracy"])
    model.fit(train, validation_data=val, epochs=args.epochs // 2, callbacks=callbacks(args.out))
    model.save(args.out)
    for key, values in history.history.items():
        print(key, ["%.3f" % v for v in values])


if __name__ == "__main__":
    main()
'''

PREDICT = '''"""Classify the images named on the command line with the trained model."""
import sys

import numpy as np
import keras

IMG_SIZE = ({size}, {size})


def load_image(path):
    image = keras.utils.load_img(path, target_size=IMG_SIZE)
    array = keras.utils.img_to_array(image)
    return np.expand_dims(array, axis=0)


def main(paths):
    model = keras.models.load_model("model_{index}.keras")
    for path in paths:
        scores = model.predict(load_image(path) / 255.0)
        best = int(np.argmax(scores[0]))
        print(f"{{path}}: class {{best}} ({{scores[0][best]:.2%}})")


if __name__ == "__main__":
    main(sys.argv[1:])
'''

EVALUATE = '''"""Evaluate a saved model on the test split and write a confusion matrix."""
import json
import os

import numpy as np
import tensorflow as tf
import keras

IMG_SIZE = ({size}, {size})


def confusion(labels, predictions, classes={classes}):
    matrix = np.zeros((classes, classes), dtype=int)
    for truth, guess in zip(labels, predictions):
        matrix[truth, guess] += 1
    return matrix


def evaluate(model_path, root="data/test"):
    model = keras.models.load_model(model_path)
    test = keras.utils.image_dataset_from_directory(root, image_size=IMG_SIZE, shuffle=False, label_mode="int")
    labels, predictions = [], []
    for images, batch_labels in test:
        scores = model.predict(images, verbose=0)
        predictions.extend(np.argmax(scores, axis=1).tolist())
        labels.extend(batch_labels.numpy().tolist())
    matrix = confusion(labels, predictions)
    accuracy = float(np.trace(matrix)) / max(1, matrix.sum())
    return {{"accuracy": accuracy, "confusion": matrix.tolist()}}


if __name__ == "__main__":
    report = evaluate(os.environ.get("MODEL", "model_{index}.keras"))
    with open("report.json", "w") as handle:
        json.dump(report, handle, indent=2)
'''
