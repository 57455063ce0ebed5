"""modelcheck.keras.ModelCheck: the live setup is checked at on_train_begin, before any batch runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT
from modelcheck.settings import Settings

# Every test here runs Keras in this process; Keras is imported inside them (the `keras`
# fixture, `_callback()`), so that `-m "not tf"` collects this file without TensorFlow.
pytestmark = pytest.mark.tf

CLASSES = ("daisy", "dandelion", "rose", "sunflower", "tulip")


@pytest.fixture(scope="module")
def flowers(tmp_path_factory):
    """5 class folders of 2 tiny RGB images each, written with Pillow."""
    root = tmp_path_factory.mktemp("flowers")
    rng = np.random.default_rng(0)
    for name in CLASSES:
        (root / name).mkdir()
        for index in range(2):
            Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(root / name / f"{index}.png")
    return root


def _callback():
    """modelcheck.keras's names (importing it imports Keras)."""
    from modelcheck.keras import ModelCheck, ModelCheckError, ModelCheckWarning

    return ModelCheck, ModelCheckError, ModelCheckWarning


def _flow(root, class_mode):
    import tensorflow as tf

    generator = tf.keras.preprocessing.image.ImageDataGenerator(rescale=1.0 / 255)
    return generator.flow_from_directory(str(root), target_size=(16, 16), class_mode=class_mode, batch_size=4, seed=0)


def _model(keras, units: int = 5, loss: str = "categorical_crossentropy"):
    layers = keras.layers
    model = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3, activation="relu"), layers.GlobalAveragePooling2D(),
                              layers.Dense(units, activation="softmax")], name="flowers")
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    return model


def _batch_counter(keras):
    """A callback that counts the training batches that began."""

    class BatchCounter(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches = 0

        def on_train_batch_begin(self, batch, logs=None):
            self.batches += 1

    return BatchCounter()


def test_binary_class_mode_over_five_folders_stops_training_before_the_first_batch(flowers, keras):
    ModelCheck, ModelCheckError, _ = _callback()
    iterator = _flow(flowers, "binary")
    model = _model(keras)
    weights = [w.copy() for w in model.get_weights()]
    counter = _batch_counter(keras)
    with pytest.raises(ModelCheckError) as raised:
        model.fit(iterator, epochs=1, verbose=0,
                  callbacks=[ModelCheck(train_data=iterator, config=Settings(), verbose=False), counter])
    codes = [f.code for f in raised.value.findings]
    assert "MC301" in codes
    (mc301,) = [f for f in raised.value.findings if f.code == "MC301"]
    assert "class_mode='binary' over 5 class folders" in mc301.message
    assert mc301.location.key == "train_data.class_mode"
    assert counter.batches == 0
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))


def test_a_clean_setup_trains_normally_and_prints_nothing(flowers, capsys, keras):
    ModelCheck, _, ModelCheckWarning = _callback()
    iterator = _flow(flowers, "categorical")
    model = _model(keras)
    check, counter = ModelCheck(train_data=iterator, validation_data=iterator, config=Settings()), _batch_counter(keras)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelCheckWarning)
        model.fit(iterator, epochs=1, verbose=0, callbacks=[check, counter])
    assert counter.batches == 3  # ceil(10 / 4)
    assert check.report is not None and check.report.ok and check.report.findings == ()
    setup = check.report.setups[0]
    train = setup.pipeline("train")
    assert (train.class_mode, train.num_classes, train.num_samples, train.batch_size, train.target_size) == ("categorical", 5, 10, 4, (16, 16))
    assert train.scaling.kind == "rescale" and train.scaling.factor == pytest.approx(1 / 255)
    assert setup.fits[0].epochs == 1 and setup.fits[0].has_validation is True
    assert "MC" not in capsys.readouterr().out


def test_monitors_of_the_other_callbacks_and_warn_only_mode(flowers, capsys, keras):
    ModelCheck, _, ModelCheckWarning = _callback()
    iterator = _flow(flowers, "categorical")
    model = _model(keras)
    stop = keras.callbacks.EarlyStopping(monitor="val_acc", patience=1)
    check, counter = ModelCheck(fail_on=None, train_data=iterator, callbacks=[stop], config=Settings()), _batch_counter(keras)
    with pytest.warns(ModelCheckWarning, match="MC401"):
        model.fit(iterator, epochs=1, verbose=0, callbacks=[check, counter])
    assert counter.batches > 0  # fail_on=None: findings are reported, training goes on
    (finding,) = check.report.findings
    assert finding.code == "MC401" and "val_accuracy" in finding.hint
    assert "MC401" in capsys.readouterr().out  # printed with rich


def test_datasets_and_arrays_give_label_encodings(flowers, keras):
    ModelCheck, ModelCheckError, _ = _callback()
    dataset = keras.utils.image_dataset_from_directory(str(flowers), image_size=(16, 16), batch_size=4, label_mode="int", verbose=False)
    with pytest.raises(ModelCheckError, match="MC301"):
        _model(keras).fit(dataset, epochs=1, verbose=0, shuffle=False, callbacks=[ModelCheck(train_data=dataset, config=Settings(), verbose=False)])

    x = np.random.default_rng(0).random((8, 16, 16, 3)).astype("float32")
    one_hot = np.eye(5, dtype="float32")[[0, 1, 2, 3, 4, 0, 1, 2]]
    model = _model(keras, loss="sparse_categorical_crossentropy")
    with pytest.raises(ModelCheckError, match="MC301") as raised:
        model.fit(x, one_hot, epochs=1, verbose=0, callbacks=[ModelCheck(train_data=(x, one_hot), config=Settings(), verbose=False)])
    assert any("one-hot" in f.message for f in raised.value.findings)


def test_the_keras_package_name_never_shadows_keras(keras):
    import modelcheck.keras

    assert keras.__name__ == "keras" and "modelcheck" not in keras.__file__
    assert issubclass(modelcheck.keras.ModelCheck, keras.callbacks.Callback)
    # Even with modelcheck/ itself on sys.path (a file run from inside the package), `import keras` is Keras.
    code = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(ROOT / 'modelcheck')!r})\n"
        "import keras\n"
        "print(json.dumps([keras.__file__, hasattr(keras, 'layers'), hasattr(keras.callbacks, 'Callback')]))\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT.parent, env=env, timeout=120)
    path, has_layers, has_callbacks = json.loads(done.stdout.strip().splitlines()[-1])
    assert "modelcheck" not in path and has_layers and has_callbacks


def test_generator_scaling_and_augmentation_are_read_from_the_iterator(keras):
    import tensorflow as tf

    from modelcheck.readers.model.live import pipeline_from_data

    x = np.zeros((6, 16, 16, 3), dtype="float32")
    y = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1, 2]]
    generator = tf.keras.preprocessing.image.ImageDataGenerator(
        preprocessing_function=keras.applications.resnet50.preprocess_input, zoom_range=0.2, horizontal_flip=True)
    pipeline, labels = pipeline_from_data(generator.flow(x, y, batch_size=2), "validation", "<live model 'm'>")
    assert (pipeline.scaling.kind, pipeline.scaling.family) == ("preprocess_input", "resnet")
    assert pipeline.augmentation == ("zoom_range", "horizontal_flip")
    assert (pipeline.class_mode, pipeline.num_classes, pipeline.num_samples, pipeline.batch_size) == ("categorical", 3, 6, 2)
    assert labels.encoding == "one-hot" and labels.num_classes == 3
    plain, _ = pipeline_from_data(tf.keras.preprocessing.image.ImageDataGenerator().flow(x, y), "train", "m")
    assert plain.scaling.kind == "none" and plain.augmentation == ()
