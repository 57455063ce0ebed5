"""Probe cases shared by the probe tests and run as a script on one Keras backend.

    KERAS_BACKEND=jax python tests/probe_cases.py OUT_DIR

builds small models (32×32 inputs), a Keras weights cache and an image folder under OUT_DIR,
probes each case and prints one JSON object: case -> finding codes, trajectory labels,
weights. tests/test_probe_backends.py compares it across backends. No pytest here.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

from modelcheck.ir import Backbone, Compile, Fit, Layer, Location, Loss, ModelGraph, Optimizer, Pipeline, Scaling, TrainingSetup
from modelcheck.probe.weights import cache_file_name

NO_NETWORK = {name: "http://127.0.0.1:9" for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")}
"""Environment under which any download attempt fails at once (nothing listens on port 9)."""


def cache_backbone(folder: Path, backbone: str, shape: tuple[int, int, int], calibrate: bool = False) -> list[np.ndarray]:
    """Write a weights=None backbone under its cache file name (legacy HDF5 weights, as Keras ships them)."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    keras.utils.set_random_seed(1)
    application = getattr(keras.applications, backbone)(weights=None, include_top=False, input_shape=shape)
    if calibrate:
        # BatchNormalization statistics of one batch, as a trained network has (not the initial 0 / 1).
        norms = [layer for layer in application.layers if type(layer).__name__ == "BatchNormalization"]
        for layer in norms:
            layer.momentum = 0.0
        application(np.random.default_rng(0).uniform(-1, 1, (32, *shape)).astype("float32"), training=True)
        for layer in norms:
            layer.momentum = 0.99
    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / cache_file_name(backbone, False, shape), "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, application)
    return application.get_weights()


def backbone_setup(path: str, backbone: str, shape: tuple[int, int, int], nested: str, classes: int = 3,
                   directory: str | None = None) -> TrainingSetup:
    """The IR of `base = <backbone>(weights='imagenet', include_top=False); base.trainable = False; GAP; Dense`,
    trained on ``directory`` through `rescale=1/255` when one is given."""
    pipelines = (Pipeline("train", scaling=Scaling("rescale", factor=1 / 255), directory=directory, class_mode="categorical",
                          location=Location(path, line=5)),) if directory else ()
    layers = (
        Layer("input_layer", "InputLayer", {"batch_shape": [None, *shape]}),
        Layer(nested, "Functional", {}, inbound=("input_layer",), trainable=False, call_training=False),
        Layer("pool", "GlobalAveragePooling2D", {}, inbound=(nested,)),
        Layer("out", "Dense", {"units": classes, "activation": "softmax"}, inbound=("pool",), is_output=True),
    )
    bb = Backbone(backbone, weights="imagenet", include_top=False, nested_as=nested, input_shape=shape)
    graph = ModelGraph("net", "Functional", layers, input_shapes=(shape,), output_names=("out",), backbones=(bb,))
    return TrainingSetup(
        path=path, kind="script", model=graph,
        compiles=(Compile(Loss("categorical_crossentropy"), Optimizer("Adam", 1e-3), location=Location(path, line=9)),),
        fits=(Fit("fit", location=Location(path, line=12)),), pipelines=pipelines,
    )


def image_folders(root: Path, classes: int = 3, per_class: int = 6, size: int = 32) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for index in range(classes):
        folder = root / f"class_{index}"
        folder.mkdir(parents=True)
        colour = np.roll(np.array([200, 40, 40]), index)
        for number in range(per_class):
            pixels = np.clip(colour + rng.normal(0, 30, (size, size, 3)), 0, 255).astype("uint8")
            Image.fromarray(pixels).save(folder / f"{number}.png")
    return root




def cnn(keras, hidden: str = "relu", classes: int = 5, name: str | None = None, output: str = "softmax"):
    """A small CNN for 32×32 inputs; ``name=None`` is Keras's own default (an automatic name)."""
    layers = keras.layers
    return keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(4),
                             layers.Flatten(), layers.Dense(64, activation=hidden), layers.Dense(classes, activation=output)],
                            name=name)


def run_cases(out: Path, steps: int = 40) -> dict:
    """Probe every case on the current Keras backend: case -> codes, trajectory labels, weights."""
    import keras

    from modelcheck.engine import report
    from modelcheck.probe import probe, probe_setup

    keras.utils.set_random_seed(0)
    files = {}
    for name, hidden, optimizer, frozen in (("healthy", "relu", "adam", False), ("hidden_softmax", "softmax", "adam", False),
                                            ("sgd_1e4", "relu", keras.optimizers.SGD(1e4), False),
                                            ("all_frozen", "relu", "adam", True)):
        model = cnn(keras, hidden)
        model.trainable = not frozen
        model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
        files[name] = out / f"{name}.keras"
        model.save(files[name])
    results = {name: probe(path, steps=steps, seconds=60) for name, path in files.items()}
    images = image_folders(out / "images")
    cache_backbone(out / "keras_home" / "models", "MobileNetV2", (32, 32, 3), calibrate=True)
    script = str(out / "train.py")
    static = [report("MC201", "rescale=1/255 into MobileNetV2", Location(script, line=5))]
    setup = backbone_setup(script, "MobileNetV2", (32, 32, 3), "mobilenetv2_1.00_224", directory=str(images))
    os.environ["KERAS_HOME"] = str(out / "keras_home")
    results["cached_backbone"] = probe_setup(setup, static, steps=steps, seconds=60)
    os.environ["KERAS_HOME"] = str(out / "empty_home")
    results["random_backbone"] = probe_setup(setup, static, steps=steps, seconds=60)
    return {
        name: {"backend": result.backend, "codes": sorted({f.code for f in result.findings}),
               "labels": [run.label for run in result.trajectories], "weights": result.weights,
               "final_ratio": (result.trajectories[0].final_loss / result.trajectories[0].initial_loss)
               if result.trajectories else None}
        for name, result in results.items()
    }


if __name__ == "__main__":
    os.environ.update(NO_NETWORK)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    print(json.dumps(run_cases(target)))
