"""Benchmark the training probe on the seed-000 shape: VGG16 (weights=None) at 224×224,
blocks 1–4 frozen, nested and called with training=False, GAP + Dense head.

    python bench/probe_bench.py [--steps 100] [--epoch-images 320] [--skip-nocache]

Compares, on the same machine and the same synthetic images:
- the probe with the frozen-prefix cache (blocks 1–4 run once on the probe batch),
- the probe without it (every step runs blocks 1–4 forward),
- one training epoch of the same model with model.fit over --epoch-images images (batch 32).
Prints a markdown table. Not part of the test suite (it takes minutes on a laptop CPU).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def build(path: Path) -> None:
    import keras

    keras.utils.set_random_seed(0)
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    for layer in base.layers[:15]:  # input + blocks 1-4
        layer.trainable = False
    inputs = keras.Input((224, 224, 3))
    x = base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(256, activation="relu")(x)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(5, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="vgg16_finetune")
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="categorical_crossentropy", metrics=["accuracy"])
    model.save(path)


def one_epoch(path: Path, images: int) -> tuple[float, int]:
    import keras
    import numpy as np

    from modelcheck.probe.data import SYMMETRIC, scale, synthetic_images

    model = keras.models.load_model(path)
    rng = np.random.default_rng(0)
    x = scale(synthetic_images(images, 224, 224, 3, rng), SYMMETRIC)
    x = keras.applications.vgg16.preprocess_input(np.clip((x + 1) * 127.5, 0, 255))
    y = keras.utils.to_categorical(np.arange(images) % 5, 5)
    start = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    return time.perf_counter() - start, int(np.ceil(images / 32))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=3600.0, help="time cap per probe run (default: no practical cap)")
    parser.add_argument("--epoch-images", type=int, default=320)
    parser.add_argument("--skip-nocache", action="store_true")
    args = parser.parse_args()

    import keras

    from modelcheck.probe import probe

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vgg16_finetune.keras"
        started = time.perf_counter()
        build(path)
        print(f"built {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        variants = [("probe, frozen-prefix cache", True)] + ([] if args.skip_nocache else [("probe, no cache", False)])
        for label, use_cache in variants:
            started = time.perf_counter()
            result = probe(path, steps=args.steps, seconds=args.seconds, use_cache=use_cache)
            wall = time.perf_counter() - started
            main_run = result.trajectory("as written")
            steps = main_run.steps_done if main_run else 0
            train_seconds = sum(run.seconds for run in result.trajectories)
            rows.append((label, wall, f"{steps} steps × batch {result.batch_size}", train_seconds / max(1, sum(r.steps_done for r in result.trajectories)),
                         (result.cache_note or "") + "; " + (main_run.summary() if main_run else "")))
            print("\n".join(result.console_lines()), file=sys.stderr)
        wall, batches = one_epoch(path, args.epoch_images)
        rows.append((f"model.fit, 1 epoch of {args.epoch_images} images", wall, f"{batches} steps × batch 32", wall / batches, ""))

    print(f"\nVGG16 (weights=None) 224×224, blocks 1–4 frozen; Keras {keras.__version__} ({keras.backend.backend()}), "
          f"Python {platform.python_version()}, {os.cpu_count()} CPUs\n")
    print("| run | wall time (s) | work | s / step | notes |")
    print("|---|---:|---|---:|---|")
    for label, wall, work, per_step, notes in rows:
        print(f"| {label} | {wall:.1f} | {work} | {per_step:.3f} | {notes} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
