"""Cost of reading BatchNormalization statistics from model files (MC201 on model files).

    python bench/weight_stats_bench.py

Builds fine-tuning models (Rescaling, a frozen nested backbone built with weights=None, a
new head) into .bench/: "untrained" as built, and "pretrained" with every BatchNormalization
moving mean and variance perturbed, as ImageNet weights (or any training) leave them.
VGG16 has no BatchNormalization: nothing is read there, its row shows the cost of finding
that out. Prints a Markdown table: the read alone (in process), the whole `modelcheck` run
with and without the read, and `keras.models.load_model`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ENV, PY, WORK, measure  # noqa: E402

BUILD = """
import sys, numpy as np, keras
name, builder, out = sys.argv[1], sys.argv[2], sys.argv[3]
rng = np.random.default_rng(0)
for variant in ("untrained", "pretrained"):
    base = getattr(keras.applications, builder)(weights=None, include_top=False, input_shape=(224, 224, 3))
    base.trainable = False
    if variant == "pretrained":
        for layer in base.layers:
            if type(layer).__name__ == "BatchNormalization":
                gamma, beta, mean, var = layer.get_weights()
                layer.set_weights([gamma, beta, rng.normal(0, 1, mean.shape), rng.uniform(0.5, 2, var.shape)])
    inputs = keras.Input((224, 224, 3))
    x = keras.layers.Rescaling(1.0 / 255)(inputs)
    x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(x))
    for suffix in ("keras", "h5"):
        model.save(f"{out}/{name}_{variant}.{suffix}")
"""

WITHOUT_READ = (
    "import sys, modelcheck.readers.model.keras_file as k; k.with_weight_facts = lambda path, setup, zipped: setup; "
    "from modelcheck.cli import main; sys.exit(main(sys.argv[1:]))"
)

READ_ONLY = """
import statistics, sys, time
from modelcheck.readers.model import keras_file, weight_stats
path = sys.argv[1]
keras_file.with_weight_facts = lambda p, setup, zipped: setup
setup = keras_file.read_model_file(path)
times = []
for _ in range(15):
    start = time.perf_counter()
    marked = weight_stats.with_weight_facts(path, setup, zipped=path.endswith(".keras"))
    times.append(time.perf_counter() - start)
print(statistics.median(times), [b.weights for b in marked.model.backbones][0])
"""


def main() -> None:
    WORK.mkdir(exist_ok=True)
    for name, builder in (("vgg16_frozen", "VGG16"), ("resnet50_frozen", "ResNet50")):
        if not (WORK / f"{name}_pretrained.h5").exists():
            subprocess.run([PY, "-c", BUILD, name, builder, str(WORK)], check=True, env=ENV, capture_output=True)
    rows = [
        "| model file | size | backbone read as | read alone | modelcheck | without the read | keras.models.load_model | speed-up |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in ("vgg16_frozen", "resnet50_frozen"):
        for variant in ("untrained", "pretrained"):
            for suffix in ("keras", "h5"):
                path = WORK / f"{name}_{variant}.{suffix}"
                read = subprocess.run([PY, "-c", READ_ONLY, str(path)], env=ENV, capture_output=True, text=True, check=True)
                seconds, weights = read.stdout.split()
                ours, _ = measure([PY, "-m", "modelcheck", "--format", "json", str(path)], 5)
                without, _ = measure([PY, "-c", WITHOUT_READ, "--format", "json", str(path)], 5)
                theirs, _ = measure([PY, "-c", f"import keras; keras.models.load_model({str(path)!r}, compile=False)"], 1)
                rows.append(
                    f"| {path.name} | {path.stat().st_size / 1e6:.0f} MB | weights='{weights}' | {1000 * float(seconds):.1f} ms "
                    f"| {ours:.3f} s | {without:.3f} s | {theirs:.2f} s | {theirs / ours:.0f}× |"
                )
    print("\n".join(rows))


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(measured in {statistics.fmean([time.perf_counter() - started]):.0f} s)", file=sys.stderr)
