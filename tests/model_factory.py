"""Build the real Keras model files the tests check (run in a subprocess).

    python tests/model_factory.py OUTDIR keras3,keras2 [CANARY_PATH]

Each flavor named writes into OUTDIR/FLAVOR, all in this one process (TensorFlow is
imported once): Keras 3 writes NAME.keras and NAME.h5; tf-keras (the Keras 2 line) NAME.h5.
All backbones use weights=None: nothing is downloaded. Running this in a child
process keeps TensorFlow out of the test process, whose own imports the tests check.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def build_all(keras, canary: str) -> dict[str, object]:
    layers = keras.layers

    def small_cnn(hidden_activation: str = "relu", out_units: int = 5, out_activation: str = "softmax", name: str = "cnn"):
        return keras.Sequential(
            [
                keras.Input((32, 32, 3)),
                layers.Conv2D(8, 3, activation="relu"),
                layers.GlobalAveragePooling2D(),
                layers.Dense(64, activation=hidden_activation),
                layers.Dense(out_units, activation=out_activation),
            ],
            name=name,
        )

    models: dict[str, object] = {}

    hidden = small_cnn("softmax")
    hidden.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    models["hidden_softmax"] = hidden

    sigmoid = small_cnn(out_activation="sigmoid")
    sigmoid.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    models["sigmoid_categorical"] = sigmoid

    healthy = small_cnn()
    healthy.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    models["healthy_cnn"] = healthy

    # The seed-000 shape, fixed: nested VGG16 with blocks 1-4 frozen, called in inference mode.
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    for layer in base.layers[:15]:
        layer.trainable = False
    inputs = keras.Input((64, 64, 3), name="image_input")
    x = base(inputs, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(5, activation="softmax", name="predictions")(x)
    finetune = keras.Model(inputs, outputs, name="vgg_finetune")
    finetune.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-5), metrics=["accuracy"])
    models["clean_finetune"] = finetune

    # The seed-000 mistake as a saved file: VGG16 nested, hidden Dense(256, softmax) in the head.
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    for layer in base.layers[:15]:
        layer.trainable = False
    inputs = keras.Input((64, 64, 3), name="image_input")
    x = layers.Flatten(name="flatten")(base(inputs))
    x = layers.Dense(256, activation="softmax")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(5, activation="softmax", name="predictions")(x)
    seed = keras.Model(inputs, outputs)
    seed.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(1e-3, momentum=0.9), metrics=["accuracy"])
    models["seed000_functional"] = seed

    frozen = small_cnn(name="all_frozen")
    frozen.trainable = False
    frozen.compile(loss="categorical_crossentropy", optimizer="adam")
    models["all_frozen"] = frozen

    double = keras.Sequential(
        [keras.Input((16,)), layers.Dense(32, activation="relu"), layers.Dense(5, activation="softmax"), layers.Activation("softmax")],
        name="double",
    )
    double.compile(loss="categorical_crossentropy", optimizer="adam")
    models["double_activation"] = double

    stacked = keras.Sequential(
        [keras.Input((16,)), layers.Dense(32), layers.Dense(5, activation="softmax")], name="stacked"
    )
    stacked.compile(loss="categorical_crossentropy", optimizer="adam")
    models["stacked_linear"] = stacked

    # A Lambda whose bytecode writes the canary file if anything ever runs it.
    body = f"lambda t: (open({canary!r}, 'w').write('ran'), t)[1]"
    canary_lambda = eval(body)  # noqa: S307 - our own test fixture, built here on purpose
    lam = keras.Sequential([keras.Input((8,)), layers.Lambda(canary_lambda, name="canary"), layers.Dense(2, activation="softmax")], name="lam")
    lam.compile(loss="categorical_crossentropy", optimizer="adam")
    models["lambda_canary"] = lam
    if os.path.exists(canary):
        os.remove(canary)  # building the model traced the lambda once; the tests start clean
    return models


def main() -> None:
    out, flavors = sys.argv[1], sys.argv[2].split(",")
    canary = sys.argv[3] if len(sys.argv) > 3 else os.path.join(out, "CANARY")
    for flavor in flavors:
        folder = os.path.join(out, flavor)
        os.makedirs(folder, exist_ok=True)
        if flavor == "keras2":
            import tf_keras as keras
        else:
            import keras
        for name, model in build_all(keras, canary).items():
            if flavor == "keras2":
                model.save(os.path.join(folder, f"{name}.h5"))
            else:
                model.save(os.path.join(folder, f"{name}.keras"))
                model.save(os.path.join(folder, f"{name}.h5"))
    if os.path.exists(canary):
        os.remove(canary)


if __name__ == "__main__":
    main()
