"""Rebuild the committed model fixtures in ``tests/fixtures/models/``.

    python scripts/make_fixtures.py            # both Keras lines
    python scripts/make_fixtures.py keras3     # Keras 3 only (NAME.keras and NAME.h5)
    python scripts/make_fixtures.py keras2     # tf-keras only (NAME.keras2.h5)

Needs TensorFlow, Keras 3 and tf-keras; the tests that read the files need
none of them. Every model is tiny (a few KB) and built with ``weights=None``.

Every model but ``healthy_cnn`` (kept whole, so the readers also meet a
complete save) is saved, then stripped of its weights: the readers only look
at ``config.json`` / the ``model_config`` and ``training_config`` attributes,
the weights of even a small backbone are megabytes, and HDF5's own overhead
would make each small model 20 KB. A stripped ``.keras`` keeps ``config.json`` and
``metadata.json``; a stripped ``.h5`` keeps its root attributes and no groups.

The ``lambda_*`` models hold a Python lambda as bytecode. If anything ever ran
it, it would create the file ``MODELCHECK_LAMBDA_RAN`` in the working
directory; the tests run the checker in an empty folder and look for it.
Never load these files with ``safe_mode=False``.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import tempfile
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "models"
CANARY = "MODELCHECK_LAMBDA_RAN"
# Built by eval so that the bytecode names `open` and the canary file, as a hostile file would.
LAMBDA_SOURCE = f"lambda t: (open({CANARY!r}, 'w').write('ran'), t)[1]"
KEPT_WHOLE = {"healthy_cnn"}


def small_cnn(keras: Any, name: str, hidden: str = "relu", units: int = 3, out: str = "softmax") -> Any:
    """Conv2D → GlobalAveragePooling2D → Dense(8) → Dense(units): every layer named, so names never depend on a session counter."""
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((8, 8, 3), name="image"),
            layers.Conv2D(4, 3, activation="relu", name="conv"),
            layers.GlobalAveragePooling2D(name="pool"),
            layers.Dense(8, activation=hidden, name="hidden"),
            layers.Dense(units, activation=out, name="output"),
        ],
        name=name,
    )


def dense_net(keras: Any, name: str, stack: list[Any]) -> Any:
    return keras.Sequential([keras.Input((6,), name="features"), *stack], name=name)


def custom_scale_layer(keras: Any) -> type:
    """A registered custom layer whose class claims to live in module `acme_layers` (never importable)."""

    class Scale(keras.layers.Layer):
        def call(self, inputs: Any) -> Any:
            return inputs * 2.0

    Scale.__module__ = "acme_layers"
    Scale.__qualname__ = "Scale"
    return keras.saving.register_keras_serializable(package="Acme")(Scale) if hasattr(keras, "saving") else keras.utils.register_keras_serializable(package="Acme")(Scale)


def build(keras: Any, flavor: str) -> dict[str, Any]:
    """name -> compiled (or deliberately uncompiled) model."""
    layers = keras.layers
    losses = keras.losses
    optimizers = keras.optimizers
    models: dict[str, Any] = {}

    def add(name: str, model: Any, **compile_args: Any) -> None:
        if compile_args:
            model.compile(**compile_args)
        models[name] = model

    adam = lambda rate=1e-3: optimizers.Adam(learning_rate=rate)  # noqa: E731 - a fresh optimizer per model

    add("healthy_cnn", small_cnn(keras, "healthy_cnn"), loss="categorical_crossentropy", optimizer=adam(), metrics=["accuracy"])
    add("hidden_softmax", small_cnn(keras, "hidden_softmax", hidden="softmax"), loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    add("sigmoid_categorical", small_cnn(keras, "sigmoid_categorical", out="sigmoid"), loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    add("single_unit_softmax", small_cnn(keras, "single_unit_softmax", units=1), loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    add("softmax_binary_loss", small_cnn(keras, "softmax_binary_loss"), loss="binary_crossentropy", optimizer="rmsprop", metrics=["binary_accuracy"])
    add(
        "softmax_from_logits",
        small_cnn(keras, "softmax_from_logits"),
        loss=losses.CategoricalCrossentropy(from_logits=True),
        optimizer=optimizers.SGD(learning_rate=0.01, momentum=0.9),
        metrics=["accuracy"],
    )
    add("linear_output", small_cnn(keras, "linear_output", out="linear"), loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["sparse_categorical_accuracy"])
    add("uncompiled_cnn", small_cnn(keras, "uncompiled_cnn"))

    frozen = small_cnn(keras, "all_frozen")
    frozen.trainable = False
    add("all_frozen", frozen, loss="categorical_crossentropy", optimizer="adam")

    add(
        "double_activation",
        dense_net(keras, "double_activation", [layers.Dense(4, activation="relu", name="hidden"), layers.Dense(3, activation="softmax", name="output"), layers.Activation("softmax", name="again")]),
        loss="categorical_crossentropy",
        optimizer="adam",
    )
    add(
        "stacked_linear",
        dense_net(keras, "stacked_linear", [layers.Dense(4, name="hidden"), layers.Dropout(0.5, name="drop"), layers.Dense(3, activation="softmax", name="output")]),
        loss="categorical_crossentropy",
        optimizer="adam",
    )

    # Functional model with a nested Sequential feature extractor, frozen and called with training=False,
    # and a compile config of loss/metric/optimizer objects.
    extractor = keras.Sequential(
        [keras.Input((8, 8, 3), name="patch"), layers.Conv2D(4, 3, activation="relu", name="inner_conv"), layers.BatchNormalization(name="inner_bn"), layers.GlobalAveragePooling2D(name="inner_pool")],
        name="extractor",
    )
    extractor.trainable = False
    inputs = keras.Input((8, 8, 3), name="image")
    x = extractor(inputs, training=False)
    x = layers.Dense(8, activation="relu", name="head_dense")(x)
    x = layers.Dropout(0.2, name="head_drop")(x)
    outputs = layers.Dense(3, activation="softmax", name="predictions")(x)
    add(
        "functional_nested",
        keras.Model(inputs, outputs, name="functional_nested"),
        loss=losses.CategoricalCrossentropy(label_smoothing=0.1),
        optimizer=optimizers.SGD(learning_rate=0.01, momentum=0.9),
        metrics=["accuracy", keras.metrics.AUC(name="auc")],
    )

    # Two inputs, two named outputs: a multi-output head has no single output activation.
    image = keras.Input((6,), name="left")
    other = keras.Input((6,), name="right")
    merged = layers.Concatenate(name="merge")([image, other])
    out_a = layers.Dense(3, activation="softmax", name="species")(merged)
    out_b = layers.Dense(1, activation="sigmoid", name="is_wild")(merged)
    add(
        "two_outputs",
        keras.Model([image, other], [out_a, out_b], name="two_outputs"),
        loss=["categorical_crossentropy", "binary_crossentropy"],
        optimizer="adam",
    )

    add(
        "custom_layer",
        dense_net(keras, "custom_layer", [custom_scale_layer(keras)(name="scale"), layers.Dense(3, activation="softmax", name="output")]),
        loss="categorical_crossentropy",
        optimizer="adam",
    )

    lam = dense_net(keras, "lambda_layer", [layers.Lambda(eval(LAMBDA_SOURCE), name="canary"), layers.Dense(3, activation="softmax", name="output")])  # noqa: S307 - our own fixture
    add("lambda_layer", lam, loss="categorical_crossentropy", optimizer="adam")

    models.update(backbones(keras))
    return models


def backbones(keras: Any) -> dict[str, Any]:
    """Real keras.applications graphs (weights=None), stripped of weights when saved."""
    layers = keras.layers
    apps = keras.applications
    models: dict[str, Any] = {}

    # VGG16 nested, blocks 1-4 frozen, called with training=False, GAP head: the clean fine-tune.
    base = apps.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    for layer in base.layers[:15]:
        layer.trainable = False
    inputs = keras.Input((32, 32, 3), name="image")
    x = base(inputs, training=False)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(3, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="vgg16_nested")
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-5), metrics=["accuracy"])
    models["vgg16_nested"] = model

    # VGG16 flat (Model(base.input, head(base.output))), frozen up to block5_conv2: the boundary
    # cuts block5; a Rescaling(1/255) in front feeds caffe weights [0, 1] pixels; Flatten + a wide
    # Dense is an oversized head; Adam(1e-3) fine-tunes the pretrained layers.
    base = apps.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    for layer in base.layers[:17]:
        layer.trainable = False
    x = layers.Flatten(name="flatten")(base.output)
    x = layers.Dense(2600, activation="relu", name="wide")(x)
    outputs = layers.Dense(3, activation="softmax", name="predictions")(x)
    model = keras.Model(base.input, outputs, name="vgg16_flat")
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-3), metrics=["acc"])
    models["vgg16_flat"] = model

    inputs = keras.Input((64, 64, 3), name="image")
    x = layers.Rescaling(1 / 255, name="rescale")(inputs)
    base = apps.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    for layer in base.layers:
        layer.trainable = False
    x = base(x, training=False)
    outputs = layers.Dense(3, activation="softmax", name="predictions")(layers.GlobalAveragePooling2D(name="gap")(x))
    model = keras.Model(inputs, outputs, name="vgg16_rescaled")
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    models["vgg16_rescaled"] = model

    # MobileNet (BatchNormalization throughout) nested and called without training=False, half frozen.
    base = apps.MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.25)
    for layer in base.layers[:40]:
        layer.trainable = False
    inputs = keras.Input((32, 32, 3), name="image")
    x = base(inputs)
    outputs = layers.Dense(3, activation="softmax", name="predictions")(layers.GlobalAveragePooling2D(name="gap")(x))
    model = keras.Model(inputs, outputs, name="mobilenet_nested")
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-5), metrics=["accuracy"])
    models["mobilenet_nested"] = model
    return models


def strip_keras(path: Path) -> None:
    """Keep config.json and metadata.json of a .keras archive, drop the weights."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in ("metadata.json", "config.json")}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)


def strip_h5(path: Path) -> None:
    """Keep the root attributes of an .h5 model file (model_config, training_config, versions), drop the weights."""
    import h5py

    with h5py.File(path, "r") as source:
        attrs = {name: source.attrs[name] for name in source.attrs}
    path.unlink()
    with h5py.File(path, "w") as target:
        for name, value in attrs.items():
            target.attrs[name] = value


def add_pickle_member(source: Path, target: Path) -> None:
    """A copy of a .keras archive with a pickled member, as a file passed around with extra state might have."""
    shutil.copyfile(source, target)
    with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("assets/class_index.pkl", pickle.dumps(OrderedDict(cat=0, dog=1), protocol=4))


def save_all(flavor: str) -> None:
    if flavor == "keras2":
        import tf_keras as keras
    else:
        import keras
    OUT.mkdir(parents=True, exist_ok=True)
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # building the lambda model traces it once: the canary lands here, not in the repository
        try:
            models = build(keras, flavor)
        finally:
            os.chdir(here)
    for name, model in models.items():
        saved: list[tuple[Path, Callable[[Path], None]]] = []
        if flavor == "keras2":
            saved.append((OUT / f"{name}.keras2.h5", strip_h5))
        else:
            saved += [(OUT / f"{name}.keras", strip_keras), (OUT / f"{name}.h5", strip_h5)]
        for path, strip in saved:
            if path.exists():
                path.unlink()
            model.save(path)
            if name not in KEPT_WHOLE:
                strip(path)
    if flavor == "keras3":
        add_pickle_member(OUT / "healthy_cnn.keras", OUT / "pickled_member.keras")


def main(argv: list[str]) -> None:
    flavors = argv[1:] or ["keras3", "keras2"]
    if len(flavors) > 1:
        for path in OUT.glob("*"):
            if path.suffix in (".keras", ".h5"):
                path.unlink()  # a model removed from this script leaves no stale file behind
    for flavor in flavors:
        if flavor not in ("keras3", "keras2"):
            raise SystemExit(f"unknown flavor {flavor!r}: keras3 or keras2")
    for flavor in flavors:
        # Each Keras line in its own process: Keras 3 and tf-keras share TensorFlow's global state.
        if len(flavors) > 1:
            import subprocess

            subprocess.run([sys.executable, __file__, flavor], check=True)
        else:
            save_all(flavor)
    if len(flavors) == 1:
        return
    for path in sorted(OUT.iterdir()):
        print(f"{path.stat().st_size:>8}  {path.name}")


if __name__ == "__main__":
    main(sys.argv)
