"""Probe benchmark on whatever accelerator Keras sees (GPU, or the CPU when there is none).

    python bench/probe_gpu.py [--out FILE.md] [--cases vgg16_224,resnet50_224,...] [--steps 100]
                              [--seconds 60] [--epochs 3] [--no-training]
    KERAS_BACKEND=jax python bench/probe_gpu.py       # any Keras 3 backend

Cases (saved .keras models, 3 classes, Adam):
- ``vgg16_224``: VGG16 at 224×224, blocks 1–4 frozen, nested and called with training=False,
  GAP + Dense(256) + Dropout + softmax head (the seed-000 shape);
- ``vgg16_150``: the same at 150×150;
- ``resnet50_224``: ResNet50 at 224×224, frozen, called with training=False, GAP + softmax;
- ``hidden_softmax``: a small CNN (64×64) with a hidden Dense(64, softmax) (MC502 via MC101);
- ``diverging``: the same CNN with relu, compiled with SGD(learning_rate=1e4) (MC504).

Backbones get their ImageNet weights from the Keras cache when the file is there
(``$KERAS_HOME/models`` or ``~/.keras/models``; nothing is downloaded), else random weights;
the table says which. Each case is probed on a small image folder written here (3 classes × 8
images with distinct colour casts), then, unless ``--no-training``, the same model is trained
for ``--epochs`` epochs of ``model.fit`` on the same 24 images scaled the same way, and the
table says whether the training run agrees with the probe's verdict.

Writes a markdown table (backend, device, seconds to verdict, verdict, training) to stdout
and to ``--out``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CASES = ("vgg16_224", "vgg16_150", "resnet50_224", "hidden_softmax", "diverging")
CLASSES = 3
PER_CLASS = 8


def _backbone(keras, name: str, size: int) -> tuple[object, str]:
    """A keras.applications backbone with cached ImageNet weights when present, else random."""
    from modelcheck.probe.weights import choose, served_from

    choice = choose(name, False, (size, size, 3), "imagenet", "cache")
    with served_from(choice):
        model = getattr(keras.applications, name)(weights=choice.keras_argument, include_top=False,
                                                  input_shape=(size, size, 3))
    return model, choice.description.split(" (")[0]


def build(case: str, path: Path) -> tuple[int, str]:
    """Save the case's compiled model to ``path``; returns (input size, weights description)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    if case.startswith("vgg16"):
        size = int(case.split("_")[1])
        base, weights = _backbone(keras, "VGG16", size)
        for layer in base.layers[:15]:  # input + blocks 1-4
            layer.trainable = False
        inputs = keras.Input((size, size, 3))
        x = layers.GlobalAveragePooling2D()(base(inputs, training=False))
        x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(x))
        model = keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(x), name=case)
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="categorical_crossentropy", metrics=["accuracy"])
    elif case == "resnet50_224":
        size = 224
        base, weights = _backbone(keras, "ResNet50", size)
        base.trainable = False
        inputs = keras.Input((size, size, 3))
        x = layers.GlobalAveragePooling2D()(base(inputs, training=False))
        model = keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(x), name=case)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    else:
        size, weights = 64, "random initialisation (no backbone)"
        model = keras.Sequential([
            keras.Input((size, size, 3)), layers.Rescaling(1 / 255.0), layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(4), layers.Flatten(),
            layers.Dense(64, activation="softmax" if case == "hidden_softmax" else "relu"),
            layers.Dense(CLASSES, activation="softmax"),
        ], name=case)
        optimizer = keras.optimizers.SGD(1e4) if case == "diverging" else keras.optimizers.Adam(1e-3)
        model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    model.save(path)
    return size, weights


def write_images(root: Path, size: int = 224) -> Path:
    """3 class folders × 8 PNGs: a colour cast per class, smooth noise per image."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for index in range(CLASSES):
        folder = root / f"class_{index}"
        folder.mkdir(parents=True)
        colour = np.roll(np.array([190.0, 60.0, 60.0]), index)
        for number in range(PER_CLASS):
            low = rng.normal(0, 40, (8, 8, 3))
            pattern = np.kron(low, np.ones((size // 8, size // 8, 1)))
            pixels = np.clip(colour + pattern + rng.normal(0, 10, (size, size, 3)), 0, 255).astype("uint8")
            Image.fromarray(pixels).save(folder / f"{number}.png")
    return root


def verdict(result) -> str:
    codes = sorted({f.code for f in result.findings if f.code.startswith("MC5")})
    return ", ".join(codes) if codes else "learns (no MC5xx finding)"


def train(path: Path, images: Path, size: int, epochs: int) -> dict:
    """``epochs`` of model.fit on all images, scaled as the probe scaled them."""
    import keras
    import numpy as np

    from modelcheck.probe import data, expected, session

    model = keras.models.load_model(path)
    scaling = session.assumed_scaling(model, expected.find_backbone(model, None, "file"))
    raw, labels, _ = data.load_images(str(images), CLASSES * PER_CLASS, size, size, 3, np.random.default_rng(0), CLASSES)
    x, y = data.scale(raw, scaling), keras.utils.to_categorical(labels, CLASSES)
    start_loss = float(model.evaluate(x, y, verbose=0, batch_size=8)[0])
    started = time.perf_counter()
    history = model.fit(x, y, epochs=epochs, batch_size=8, shuffle=True, verbose=0)
    seconds = time.perf_counter() - started
    end_loss, accuracy = (float(v) for v in model.evaluate(x, y, verbose=0, batch_size=8)[:2])
    return {"seconds": seconds, "start": start_loss, "end": end_loss, "accuracy": accuracy, "images": len(labels),
            "epoch_losses": [float(v) for v in history.history["loss"]]}


def agreement(probe_verdict: str, trained: dict) -> str:
    """Does the training run show what the probe said?"""
    start, end = trained["start"], trained["end"]
    if not math.isfinite(end) or end > 3 * start:
        shows = "diverges"
    elif end <= 0.8 * start:
        shows = "learns"
    else:
        shows = "does not learn"
    if "MC504" in probe_verdict:
        agrees = shows == "diverges"
    elif "MC502" in probe_verdict or "MC510" in probe_verdict:
        agrees = shows == "does not learn"
    else:
        agrees = shows == "learns"
    return f"{shows}: {'agrees' if agrees else 'DISAGREES'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, from {', '.join(CASES)}")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0, help="time cap per probe run (default 60)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of real training to compare with (default 3)")
    parser.add_argument("--no-training", action="store_true", help="probe only")
    parser.add_argument("--out", default=None, help="also write the table to this markdown file")
    args = parser.parse_args()

    import keras

    from modelcheck.probe import probe
    from modelcheck.probe.run import device_info

    backend, device = device_info()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        images = write_images(Path(tmp) / "images")
        for case in [c.strip() for c in args.cases.split(",") if c.strip()]:
            path = Path(tmp) / f"{case}.keras"
            started = time.perf_counter()
            size, weights = build(case, path)
            built = time.perf_counter() - started
            result = probe(path, data=str(images), steps=args.steps, seconds=args.seconds)
            main_run = result.trajectory("as written")
            said = verdict(result)
            print("\n".join(result.console_lines()), file=sys.stderr)
            row = {"case": case, "weights": weights, "build": built, "probe": result.elapsed, "verdict": said,
                   "run": main_run.summary() if main_run else "no run", "cache": result.cache_note}
            if not args.no_training:
                trained = train(path, images, size, args.epochs)
                row["training"] = (f"{trained['seconds']:.1f} s, loss {trained['start']:.3g} → {trained['end']:.3g}, "
                                   f"accuracy {trained['accuracy']:.2f} ({trained['images']} images)")
                row["agrees"] = agreement(said, trained)
            rows.append(row)
            print(f"{case}: {row}", file=sys.stderr)
    lines = [
        f"Keras {keras.__version__}, backend {backend}, device {device}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; probe: {args.steps} steps, {args.seconds:g} s cap per run; its batch: 7 images per class of the "
        f"{CLASSES * PER_CLASS} images",
        "",
        "| case | backend | device | weights | seconds to verdict | verdict | probe run (as written) "
        + ("| " + f"{args.epochs} epochs of model.fit | training shows |" if not args.no_training else "|"),
        "|---|---|---|---|---:|---|---" + ("|---|---|" if not args.no_training else "|"),
    ]
    for row in rows:
        line = (f"| {row['case']} | {backend} | {device} | {row['weights']} | {row['probe']:.1f} | {row['verdict']} | "
                f"{row['run']} |")
        if not args.no_training:
            line += f" {row['training']} | {row['agrees']} |"
        lines.append(line)
    table = "\n".join(lines)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
