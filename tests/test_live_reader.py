"""The live reader's pure parts (data → pipelines, values, fit parameters) without TensorFlow,
and one check with Keras that a live model reads like its saved file."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from conftest import ROOT
from modelcheck.ir import Labels, Location, Scaling
from modelcheck.readers.model.live import pipeline_from_data, read_live_model
from modelcheck.readers.model.live_data import array_scaling
from modelcheck.readers.model.live_training import callbacks_from_objects, fit_from_params
from modelcheck.readers.model.live_values import as_int, plain_json, shape_of
from modelcheck.readers.model.model_config import setup_from_configs

FIXTURES = ROOT / "tests" / "fixtures" / "models"
WHERE = Location("<live model 'm'>", key="train_data")


def test_plain_json_turns_tuples_and_numpy_scalars_into_json_values():
    config = {"units": np.int64(5), "rate": np.float32(0.5), "kernel_size": (3, 3), "dtype": np.dtype("float32")}
    assert plain_json(config) == {"units": 5, "rate": 0.5, "kernel_size": [3, 3], "dtype": "dtype('float32')"}


def test_shape_of_reads_tuples_and_keeps_unknown_dimensions():
    assert shape_of((None, 224, 224, 3)) == (None, 224, 224, 3)
    assert shape_of(np.zeros((2, 5)).shape) == (2, 5)
    assert shape_of([None, True, 3]) == (None, None, 3)  # a boolean is no dimension
    assert shape_of(None) is None and shape_of(7) is None


def test_as_int_accepts_numpy_integers_and_refuses_booleans():
    assert (as_int(np.int32(4)), as_int("12"), as_int(True), as_int(None), as_int("many")) == (4, 12, None, None, None)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 255, Scaling("none")),
        (0, 1, Scaling("rescale", factor=1 / 255)),
        (-1, 1, Scaling("rescale", factor=2 / 255, offset=-1.0)),
    ],
)
def test_array_scaling_from_the_pixel_range(low, high, expected):
    x = np.linspace(low, high, 2 * 4 * 4 * 3, dtype="float32").reshape(2, 4, 4, 3)
    found = array_scaling(x, WHERE)
    assert (found.kind, found.factor, found.offset) == (expected.kind, expected.factor, expected.offset)
    assert found.location.key == "train_data.x"


def test_array_scaling_unknown_for_other_ranges_and_shapes():
    assert array_scaling(np.full((2, 4, 4, 3), 1000.0), WHERE) is None
    assert array_scaling(np.zeros((2, 4)), WHERE) is None


def test_one_hot_labels_give_a_categorical_pipeline():
    x = np.random.default_rng(0).integers(0, 256, (6, 32, 32, 3)).astype("float32")
    y = np.eye(4)[[0, 1, 2, 3, 0, 1]]
    pipeline, labels = pipeline_from_data((x, y), "train", "<live model 'm'>")
    assert (pipeline.source, pipeline.class_mode, pipeline.num_classes, pipeline.num_samples) == ("arrays", "categorical", 4, 6)
    assert (pipeline.target_size, pipeline.color_mode, pipeline.scaling.kind) == ((32, 32), "rgb", "none")
    assert labels == Labels("one-hot", 4, Location("<live model 'm'>", key="train_data.y"))


@pytest.mark.parametrize(
    ("y", "mode", "encoding"),
    [
        (np.array([0, 2, 1, 3]), "int", "int"),
        (np.array([[0], [1], [1], [0]]), "binary", None),
        (np.array([[0.2, 0.8], [0.5, 0.5], [1, 0], [0, 1]]), None, None),  # soft targets: unknown
        (np.array([-1, 0, 1, 2]), None, None),
    ],
)
def test_label_arrays(y, mode, encoding):
    pipeline, labels = pipeline_from_data((np.zeros((4, 8, 8, 1)), y), "validation", "p", name="val")
    assert pipeline.class_mode == mode and pipeline.color_mode == "grayscale"
    assert (labels.encoding if labels else None) == encoding


def test_images_alone_and_unknown_objects():
    pipeline, labels = pipeline_from_data(np.zeros((3, 16, 16, 4)), "predict", "p")
    assert (pipeline.class_mode, pipeline.color_mode, labels) == (None, "rgba", None)
    assert pipeline_from_data(object(), "train", "p") == (None, None)


def test_a_directory_of_class_folders(tmp_path):
    from PIL import Image

    for name in ("cats", "dogs", "owls"):
        (tmp_path / name).mkdir()
        for index in range(2):
            Image.new("L", (2, 2)).save(tmp_path / name / f"{index}.png")
    pipeline, labels = pipeline_from_data(tmp_path, "train", "p")
    assert (pipeline.source, pipeline.num_classes, pipeline.num_samples, pipeline.image_channels) == ("directory", 3, 6, 1)
    assert labels is None
    assert pipeline_from_data(str(tmp_path / "missing"), "train", "p") == (None, None)


def test_fit_parameters_from_keras_callback_params():
    fit = fit_from_params({"epochs": 3, "steps": 40, "do_validation": False}, "p", validation_given=False)
    assert (fit.epochs, fit.steps_per_epoch, fit.has_validation, fit.validation) == (3, 40.0, False, None)
    assert fit.steps_location == Location("p", key="fit.steps")
    unknown = fit_from_params({}, "p", validation_given=True)
    assert (unknown.epochs, unknown.steps_per_epoch, unknown.has_validation, unknown.steps_location) == (None, None, True, None)


def test_callbacks_are_read_by_their_monitor():
    class SaveBest:  # a user's own callback: only its class name and monitor matter
        monitor = "val_auc"

    class ModelCheck:  # modelcheck's own callback is not a training callback
        monitor = "loss"

    found = callbacks_from_objects([SaveBest(), ModelCheck(), object()], "p")
    assert [(c.class_name, c.monitor, c.location.key) for c in found] == [
        ("SaveBest", "val_auc", "callbacks[0] SaveBest"),
        ("object", None, "callbacks[2] object"),
    ]


def _layers(setup):
    return [(layer.name, layer.class_name, layer.activation, layer.units, layer.trainable, layer.inbound) for _, layer in setup.model.walk()]


@pytest.mark.tf
def test_a_live_model_reads_like_its_saved_file():
    keras = pytest.importorskip("keras")
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("make_fixtures", ROOT / "scripts" / "make_fixtures.py")
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.small_cnn(keras, "healthy_cnn")
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    live = read_live_model(model)
    with zipfile.ZipFile(FIXTURES / "healthy_cnn.keras") as archive:
        config = json.loads(archive.read("config.json"))
    saved = setup_from_configs("f", config, config["compile_config"])
    assert live.kind == "live" and _layers(live) == _layers(saved)
    assert live.model.input_shapes == saved.model.input_shapes == ((8, 8, 3),)
    [compiled] = live.compiles
    assert (compiled.loss.name, compiled.optimizer.class_name, compiled.metrics) == ("categorical_crossentropy", "Adam", ("accuracy",))
    assert compiled.optimizer.learning_rate == pytest.approx(1e-3)
