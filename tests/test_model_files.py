"""Model files read without TensorFlow: the committed fixtures in tests/fixtures/models/.

Every fixture exists in three layouts: Keras 3 ``.keras`` (zip) and ``.h5``, and
tf-keras (Keras 2) ``.keras2.h5``. ``scripts/make_fixtures.py`` rebuilds them; the
tests here only read them, with the static readers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import pytest

from conftest import ROOT, run_json
from modelcheck.ir import ModelGraph, TrainingSetup
from modelcheck.readers.model.h5_file import _h5_extract
from modelcheck.readers.model.keras_file import read_model_file
from modelcheck.runner import check_paths
from modelcheck.settings import Settings

FIXTURES = ROOT / "tests" / "fixtures" / "models"
LAYOUTS = ("keras", "h5", "keras2.h5")
KERAS3 = ("keras", "h5")


def fixture(name: str, layout: str) -> Path:
    return FIXTURES / f"{name}.{layout}"


def read(name: str, layout: str) -> TrainingSetup:
    return read_model_file(str(fixture(name, layout)))


def rows(graph: ModelGraph) -> list[tuple]:
    """What a rule sees of each layer, nested layers with their path."""
    return [
        ("/".join(path + (layer.name,)), layer.class_name, layer.activation, layer.units, layer.trainable, layer.inbound, layer.is_output)
        for path, layer in graph.walk()
    ]


def findings(path: Path) -> list[tuple[str, str | None]]:
    result = check_paths([str(path)], Settings())
    return [(f.code, f.location.layer or f.location.key) for f in result.findings]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sequential_model_layers_and_compile(layout):
    setup = read("healthy_cnn", layout)
    graph = setup.model
    assert (setup.kind, graph.name, graph.class_name) == ("model", "healthy_cnn", "Sequential")
    # Sequential.layers has no InputLayer; the first layer reads from it.
    assert rows(graph) == [
        ("conv", "Conv2D", "relu", 4, True, ("image",), False),
        ("pool", "GlobalAveragePooling2D", None, None, True, ("conv",), False),
        ("hidden", "Dense", "relu", 8, True, ("pool",), False),
        ("output", "Dense", "softmax", 3, True, ("hidden",), True),
    ]
    assert graph.input_shapes == ((8, 8, 3),)
    assert graph.output_names == ("output",)
    assert graph.keras_version.split(".")[0] == ("2" if layout == "keras2.h5" else "3")
    [compiled] = setup.compiles
    assert (compiled.loss.name, compiled.loss.from_logits, compiled.loss.custom) == ("categorical_crossentropy", None, False)
    assert compiled.optimizer.class_name == "Adam" and compiled.optimizer.learning_rate == pytest.approx(1e-3)
    assert compiled.metrics == ("accuracy",)
    assert compiled.loss.location.key == "compile.loss" and compiled.optimizer.location.key == "compile.optimizer"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_functional_model_with_a_nested_frozen_submodel(layout):
    setup = read("functional_nested", layout)
    graph = setup.model
    assert graph.class_name == "Functional" and graph.input_shapes == ((8, 8, 3),)
    assert [row[:2] + row[4:] for row in rows(graph)] == [
        ("image", "InputLayer", True, (), False),
        # tf-keras does not store the nested model's own flag; its layers carry it
        ("extractor", "Sequential", layout == "keras2.h5", ("image",), False),
        ("extractor/inner_conv", "Conv2D", False, ("patch",), False),
        ("extractor/inner_bn", "BatchNormalization", False, ("inner_conv",), False),
        ("extractor/inner_pool", "GlobalAveragePooling2D", False, ("inner_bn",), True),
        ("head_dense", "Dense", True, ("extractor",), False),
        ("head_drop", "Dropout", True, ("head_dense",), False),
        ("predictions", "Dense", True, ("head_drop",), True),
    ]
    extractor = graph.layers[1]
    assert extractor.call_training is False  # called as extractor(inputs, training=False)
    assert [layer.name for layer in graph.output_layers()] == ["predictions"]
    [compiled] = setup.compiles
    # loss and metric objects, not strings
    assert (compiled.loss.name, compiled.loss.from_logits) == ("categorical_crossentropy", False)
    assert compiled.optimizer.class_name == "SGD" and compiled.optimizer.learning_rate == pytest.approx(0.01)
    assert compiled.metrics == ("accuracy", "auc")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_output_shapes_come_from_keras3_inbound_tensors_only(layout):
    shapes = {layer.name: layer.output_shape for layer in read("functional_nested", layout).model.layers}
    if layout in KERAS3:
        assert (shapes["image"], shapes["extractor"], shapes["head_dense"]) == ((8, 8, 3), (4,), (8,))
    else:
        assert set(shapes.values()) == {None}
    assert shapes["predictions"] is None  # nothing reads the output layer


@pytest.mark.parametrize("layout", LAYOUTS)
def test_two_inputs_two_outputs(layout):
    setup = read("two_outputs", layout)
    graph = setup.model
    assert graph.input_shapes == ((6,), (6,))
    assert graph.output_names == ("species", "is_wild")
    assert {layer.name: layer.inbound for layer in graph.layers}["merge"] == ("left", "right")
    assert [layer.name for layer in graph.output_layers()] == ["species", "is_wild"]
    assert setup.compiles[0].loss is None  # one loss per output: no single loss to reason about


@pytest.mark.parametrize("layout", LAYOUTS)
def test_uncompiled_model_has_no_compile(layout):
    setup = read("uncompiled_cnn", layout)
    assert setup.compiles == ()
    assert len(setup.model.layers) == 4


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    ("name", "nested_as", "layers", "input_shape"),
    [
        ("vgg16_flat", None, 19, (64, 64, 3)),
        ("vgg16_nested", "vgg16", 19, (32, 32, 3)),
        ("vgg16_rescaled", "vgg16", 19, (64, 64, 3)),
        ("mobilenet_nested", "mobilenet_0.25_32", 86, (32, 32, 3)),
    ],
)
def test_backbones_are_recognised_flat_and_nested(layout, name, nested_as, layers, input_shape):
    [backbone] = read(name, layout).model.backbones
    assert backbone.name == ("MobileNet" if name.startswith("mobilenet") else "VGG16")
    assert backbone.nested_as == nested_as
    assert backbone.container_path == ((nested_as,) if nested_as else ())
    assert len(backbone.layer_names) == layers and backbone.layer_names[1] in ("block1_conv1", "conv1")
    assert backbone.input_shape == input_shape
    # saved with frozen layers: the weights were pretrained by the look of it
    assert backbone.weights == "inferred"
    assert backbone.location.layer == "/".join(filter(None, (nested_as, backbone.layer_names[1])))


def test_flat_backbone_frozen_flags_follow_the_slice():
    graph = read("vgg16_flat", "keras").model
    flags = [layer.trainable for layer in graph.layers]
    # layers[:17] were frozen; an InputLayer config records no trainable flag
    assert flags[1:17] == [False] * 16 and all(flags[17:])
    assert graph.layers[17].name == "block5_conv3"


# What every fixture gives, by layout: (code, layer or config key).
EXPECTED = {
    "healthy_cnn": [],
    "uncompiled_cnn": [],
    "two_outputs": [],
    "functional_nested": [],
    "vgg16_nested": [],
    "hidden_softmax": [("MC101", "hidden")],
    "sigmoid_categorical": [("MC102", "output")],
    "single_unit_softmax": [("MC102", "output")],
    "softmax_binary_loss": [("MC102", "compile.loss")],
    "softmax_from_logits": [("MC102", "compile.loss")],
    "linear_output": [("MC102", "compile.loss")],
    "stacked_linear": [("MC104", "hidden")],
    "double_activation": [("MC106", "again")],
    "all_frozen": [("MC202", None)],
    "lambda_layer": [("MC601", "canary")],
    "vgg16_rescaled": [("MC201", "rescale")],
    "mobilenet_nested": [("MC205", "mobilenet_0.25_32/conv1"), ("MC202", "mobilenet_0.25_32/conv_pw_6")],
    "vgg16_flat": [("MC206", "compile.optimizer"), ("MC202", "block5_conv3"), ("MC105", "flatten")],
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_findings_of_each_fixture(name, layout):
    expected = EXPECTED[name]
    if layout == "keras2.h5":
        expected = [item for item in expected if item != ("MC105", "flatten")]  # tf-keras files store no tensor shapes
    assert findings(fixture(name, layout)) == expected


def test_every_fixture_is_in_the_findings_table():
    names = {path.name.split(".")[0] for path in FIXTURES.iterdir() if path.suffix in (".keras", ".h5")}
    assert names - set(EXPECTED) == {"custom_layer", "pickled_member"}  # tested on their own below
    for name in EXPECTED:
        assert all(fixture(name, layout).is_file() for layout in LAYOUTS), name


def test_custom_class_from_another_module_is_reported():
    setup = read("custom_layer", "keras")
    assert [(code.kind, code.detail, code.location.layer) for code in setup.code_objects] == [
        ("custom-module", "layer class 'Scale' comes from module 'acme_layers'", "scale")
    ]
    assert [layer.class_name for layer in setup.model.layers] == ["Scale", "Dense"]


@pytest.mark.parametrize("layout", ["h5", "keras2.h5"])
def test_registered_custom_class_in_hdf5_is_reported(layout):
    assert [code.kind for code in read("custom_layer", layout).code_objects] == ["custom-module"]


def test_pickled_archive_member_is_reported_with_what_it_imports():
    result = check_paths([str(fixture("pickled_member", "keras"))], Settings())
    [finding] = result.findings
    assert (finding.code, finding.location.layer) == ("MC601", None)
    assert "assets/class_index.pkl" in finding.message and "collections.OrderedDict" in finding.message


@pytest.mark.parametrize("layout", LAYOUTS)
def test_lambda_bytecode_is_reported_and_never_run(layout, tmp_path):
    copy = tmp_path / f"model.{layout}"
    shutil.copyfile(fixture("lambda_layer", layout), copy)
    status, document = run_json(copy.name, cwd=tmp_path)
    assert status == 1
    [finding] = document["findings"]
    assert (finding["code"], finding["layer"]) == ("MC601", "canary")
    # the names the bytecode would use, read from the marshal data without unmarshalling it
    assert "open" in finding["message"] and "MODELCHECK_LAMBDA_RAN" in finding["message"]
    assert not (tmp_path / "MODELCHECK_LAMBDA_RAN").exists()


def test_reading_every_fixture_imports_no_keras_or_tensorflow():
    code = (
        "import sys; from modelcheck.runner import check_paths; "
        f"check_paths([{str(FIXTURES)!r}]); "
        "print(sorted(m for m in ('tensorflow', 'keras', 'tf_keras', 'torch', 'jax') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_model_json_reads_like_the_archive(tmp_path):
    with zipfile.ZipFile(fixture("functional_nested", "keras")) as archive:
        config = json.loads(archive.read("config.json"))
    config.pop("compile_config")
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    result = check_paths([str(path)], Settings())
    [setup] = result.setups
    assert rows(setup.model) == rows(read("functional_nested", "keras").model)
    assert setup.compiles == ()  # model JSON holds no compile settings


def test_whole_save_and_stripped_save_read_the_same():
    # healthy_cnn keeps its weights; hidden_softmax is the same architecture, stripped
    whole, stripped = read("healthy_cnn", "h5").model, read("hidden_softmax", "h5").model
    assert [row[:2] + row[3:] for row in rows(whole)] == [row[:2] + row[3:] for row in rows(stripped)]


@pytest.mark.parametrize(("name", "weights"), [("healthy_cnn", True), ("hidden_softmax", False)])
def test_hdf5_facts_read_in_the_child(name, weights):
    facts = _h5_extract(str(fixture(name, "keras2.h5")))
    assert json.loads(facts["model_config"])["class_name"] == "Sequential"
    assert json.loads(facts["training_config"])["loss"] == "categorical_crossentropy"
    assert facts["keras_version"].startswith("2.")
    assert facts["weight_groups"] is weights
    assert facts["pickles"] == []


def test_weights_only_hdf5_is_no_setup(tmp_path):
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs["layer_names"] = [b"dense"]
        handle.create_group("dense")
    result = check_paths([str(path)], Settings())
    assert [(f.code, f.message) for f in result.findings] == [
        ("MC002", "weights-only HDF5 file (saved with save_weights): no model architecture to check")
    ]


def test_pickle_in_an_hdf5_attribute_is_reported(tmp_path):
    import pickle

    path = tmp_path / "model.h5"
    shutil.copyfile(fixture("healthy_cnn", "keras2.h5"), path)
    with h5py.File(path, "a") as handle:
        handle["model_weights"].attrs["extra"] = __import__("numpy").void(pickle.dumps({"labels": ["cat"]}, protocol=4))
    codes = [(code.kind, code.detail) for code in read_model_file(str(path)).code_objects]
    assert codes == [("pickle", "HDF5 attribute /model_weights@extra holds a pickled Python object (loading it reconstructs Python objects)")]
