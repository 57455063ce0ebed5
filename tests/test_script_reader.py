"""The script reader: IR facts (with their lines) from the seed scripts and from small
scripts that exercise one construct each. Static only: nothing here imports Keras."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from conftest import hang_guard
from modelcheck.errors import InputError, NoSetup
from modelcheck.ir import Layer, ModelGraph, TrainingSetup
from modelcheck.readers.data_dir import inspect_directory
from modelcheck.readers.script.reader import read_project, read_script

FIXTURES = Path(__file__).parent / "fixtures" / "scripts"


def text_of(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def line_of(name_or_text: str, snippet: str, nth: int = 1) -> int:
    """1-based line of the nth line containing snippet."""
    text = text_of(name_or_text) if name_or_text.endswith(".py") else name_or_text
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if snippet in line]
    assert len(hits) >= nth, f"{snippet!r} not found {nth} times"
    return hits[nth - 1]


def read(name: str, **kwargs) -> TrainingSetup:
    return read_script(str(FIXTURES / name), **kwargs)


def seed001_files() -> dict[str, str]:
    return {"Net.py": text_of("seed001_Net.py"), "Loss.py": text_of("seed001_Loss.py")}


def layer(graph: ModelGraph, name: str) -> Layer:
    return next(item for item in graph.layers if item.name == name)


def script(body: str, name: str = "train.py", **kwargs) -> TrainingSetup:
    return read_script(name, body, **kwargs)


# -- seed 000: VGG16 + head, sequential and functional ---------------------------------------


def test_seed000_functional_hidden_softmax_and_nested_vgg16():
    setup = read("seed000_functional.py")
    model = setup.model
    assert setup.kind == "script" and model.class_name == "Functional"
    assert [item.name for item in model.layers] == ["image_input", "vgg16", "flatten", "dense", "dropout", "predictions"]
    hidden = layer(model, "dense")
    assert (hidden.activation, hidden.units, hidden.is_output) == ("softmax", 256, False)
    assert hidden.location.line == line_of("seed000_functional.py", "Dense(256, activation='softmax')")
    assert hidden.inbound == ("flatten",)
    output = layer(model, "predictions")
    assert (output.activation, output.units, output.is_output) == ("softmax", 5, True)
    assert layer(model, "flatten").output_shape == (9 * 9 * 512,)
    assert model.input_shapes == ((299, 299, 3),)

    [backbone] = model.backbones
    assert (backbone.name, backbone.weights, backbone.include_top, backbone.nested_as) == ("VGG16", "imagenet", False, "vgg16")
    assert backbone.location.line == line_of("seed000_functional.py", "VGG16(weights=")
    vgg = layer(model, "vgg16").submodel
    flags = [item.trainable for item in vgg.layers]
    assert flags == [False] * 15 + [True] * 4  # InputLayer..block4_pool frozen, block5 trainable
    assert vgg.layers[14].name == "block4_pool" and vgg.layers[15].name == "block5_conv1"

    [freeze] = setup.freeze_ops
    assert freeze.target == "model_vgg16_conv.layers[:15]" and freeze.trainable is False
    assert len(freeze.layers) == 15 and freeze.layers[-1] == "block4_pool"
    assert freeze.location.line == line_of("seed000_functional.py", "for layer in model_vgg16_conv.layers[:15]")


def test_seed000_functional_compile_fit_and_removed_apis():
    setup = read("seed000_functional.py")
    compile_fact = setup.compile
    assert compile_fact.loss.name == "categorical_crossentropy" and compile_fact.loss.from_logits is False
    assert compile_fact.optimizer.class_name == "SGD"
    assert compile_fact.optimizer.learning_rate == pytest.approx(1e-3)
    assert compile_fact.optimizer.legacy_kwargs == ("lr",)
    assert compile_fact.metrics == ("accuracy",)
    assert compile_fact.location.line == line_of("seed000_functional.py", "vgg_model.compile(")
    assert compile_fact.optimizer.location.line == line_of("seed000_functional.py", "optimizer=optimizers.SGD")
    [fit] = setup.fits
    assert fit.method == "fit_generator" and fit.epochs == 10
    assert (fit.steps_per_epoch, fit.validation_steps) == (100, 800)
    assert fit.steps_location.line == line_of("seed000_functional.py", "steps_per_epoch=nb_train_samples")
    assert fit.steps_expr == "nb_train_samples"
    assert (fit.train, fit.validation, fit.has_validation) == ("train_generator", "validation_generator", True)
    assert compile_fact.order < fit.order

    uses = {use.api: use for use in setup.api_uses}
    fit_line = line_of("seed000_functional.py", "vgg_model.fit_generator(")
    assert uses["fit_generator("].replacement == "fit("
    assert (uses["fit_generator("].location.line, uses["fit_generator("].location.column) == (fit_line, 21)
    assert uses["lr="].replacement == "learning_rate="
    assert uses["lr="].location.line == line_of("seed000_functional.py", "SGD(lr=1e-3")
    # Keras 3 has no keras.preprocessing.image.ImageDataGenerator (tf.keras still has it).
    assert uses["keras.preprocessing.image.ImageDataGenerator"].location.line == 2


def test_seed000_pipelines():
    setup = read("seed000_functional.py")
    train, validation = setup.pipeline("train"), setup.pipeline("validation")
    assert train.name == "train_generator" and validation.name == "validation_generator"
    for pipeline in (train, validation):
        assert pipeline.scaling.kind == "rescale"
        assert pipeline.scaling.factor == pytest.approx(1 / 255)
        assert pipeline.scaling.mode() == "unit"
        assert pipeline.target_size == (299, 299) and pipeline.color_mode == "rgb"
        assert pipeline.class_mode == "categorical" and pipeline.batch_size == 24
        assert pipeline.source == "flow_from_directory"
    assert train.augmentation == ("zoom_range", "horizontal_flip")
    datagen_line = line_of("seed000_functional.py", "train_datagen = ImageDataGenerator(")
    assert (train.augmentation_location.line, train.augmentation_location.column) == (datagen_line, 55)
    assert validation.augmentation == ()
    assert train.directory == "dataset/training_set" and validation.directory == "dataset/test_set"


def test_seed000_sequential_flat_vgg16_with_nested_top_model():
    setup = read("seed000_sequential.py")
    model = setup.model
    names = [item.name for item in model.layers]
    assert model.layers[0].class_name == "InputLayer" and names[1] == "block1_conv1"
    assert len(names) == 20 and model.layers[-1].class_name == "Sequential"
    flags = [item.trainable for item in model.layers]
    assert flags == [False] * 15 + [True] * 5  # vgg_model.layers[:15]: input..block4_pool
    assert names[14] == "block4_pool"
    top = model.layers[-1].submodel
    assert [(item.class_name, item.activation, item.units) for item in top.layers] == [
        ("Flatten", None, None), ("Dense", "relu", 256), ("Dropout", None, None), ("Dense", "softmax", 5)]
    assert top.layers[0].output_shape == (41472,)
    assert [item.name for item in model.output_layers()] == [top.layers[-1].name]
    [backbone] = model.backbones
    assert backbone.nested_as is None and backbone.offset == 0 and backbone.input_shape == (299, 299, 3)
    assert backbone.layer_names[0] == model.layers[0].name
    assert setup.num_classes == 5
    assert setup.num_classes_location.line == line_of("seed000_sequential.py", "nb_classes = 5")


# -- seed 001: helper modules, if-chain on a constant, focal loss, cv2 prediction ---------------


def test_seed001_type_1_builds_ovgg16_from_sibling_module():
    setup = read("seed001_train.py", project_files=seed001_files())
    model = setup.model
    assert model.class_name == "Sequential" and model.input_shapes == ((48, 48, 3),)
    assert "BatchNormalization" in [item.class_name for item in model.layers]  # OVGG16, not VGG16/MVGG16
    output = model.layers[-1]
    assert (output.class_name, output.units, output.activation, output.is_output) == ("Dense", 2, "softmax", True)
    assert output.location.path.endswith("Net.py")
    assert output.location.line == line_of("seed001_Net.py", 'model.add(Dense(units=num_classes, activation="softmax")) # VGG16为1000')
    assert setup.freeze_ops == ()
    assert setup.compile.loss.name == "binary_focal_loss" and setup.compile.loss.custom is True
    assert setup.compile.optimizer.legacy_kwargs == ("lr", "decay")
    assert setup.compile.optimizer.learning_rate == pytest.approx(1e-3)


def test_seed001_type_2_takes_the_mvgg16_branch():
    source = text_of("seed001_train.py").replace("type = 1", "type = 2")
    setup = read_script("seed001_train.py", source, project_files=seed001_files())
    assert "BatchNormalization" not in [item.class_name for item in setup.model.layers]
    [freeze] = setup.freeze_ops
    assert freeze.target == "model.layers[:13]" and len(freeze.layers) == 13
    assert [item.trainable for item in setup.model.layers][:14] == [False] * 13 + [True]


def test_seed001_callbacks_generators_and_api_uses():
    setup = read("seed001_train.py", project_files=seed001_files())
    monitors = {(cb.class_name, cb.monitor) for cb in setup.callbacks}
    assert monitors == {("ModelCheckpoint", "val_acc"), ("EarlyStopping", "val_acc")}
    checkpoint = next(cb for cb in setup.callbacks if cb.class_name == "ModelCheckpoint")
    assert checkpoint.location.line == line_of("seed001_train.py", "checkpoint = ModelCheckpoint(")
    validation = setup.pipeline("validation")
    assert validation.name == "validation_generator"  # built from test_datagen, passed as validation_data
    assert "rotation_range" in validation.augmentation and validation.target_size == (48, 48)
    [fit] = setup.fits
    assert fit.steps_per_epoch is None  # files counted with os.walk: unknown statically
    assert fit.steps_expr == "nb_train_samples" and fit.epochs == 1000
    uses = {use.api: use for use in setup.api_uses}
    assert uses["samples_per_epoch="].replacement == "steps_per_epoch=ceil(nb_train_samples / batch_size)"
    assert uses["nb_val_samples="].replacement == "validation_steps=ceil(nb_validation_samples / batch_size)"
    assert uses["period="].replacement == "save_freq="
    assert uses["period="].location.line == line_of("seed001_train.py", "period=1")
    assert uses["decay="].location.line == line_of("seed001_train.py", "decay=1e-6")


def test_seed001_predict_script_is_a_bgr_unresized_predict_pipeline():
    setup = read("seed001_predict.py", project_files=seed001_files())
    assert setup.model is None and setup.fits == ()
    [pipeline] = setup.pipelines
    assert (pipeline.role, pipeline.source, pipeline.channel_order, pipeline.resized) == ("predict", "cv2", "BGR", False)
    assert pipeline.scaling.kind == "rescale" and pipeline.scaling.factor == pytest.approx(1 / 255)
    assert pipeline.location.line == line_of("seed001_predict.py", "cv2.imread(path)")
    assert pipeline.scaling.location.line == line_of("seed001_predict.py", "img = image/255.")


def test_read_project_attaches_the_predict_pipeline_to_the_training_setup(tmp_path):
    for source, target in (("seed001_train.py", "train.py"), ("seed001_predict.py", "predict.py"),
                           ("seed001_Net.py", "Net.py"), ("seed001_Loss.py", "Loss.py")):
        shutil.copy(FIXTURES / source, tmp_path / target)
    shutil.copy(FIXTURES / "seed004_top.py", tmp_path / "other.py")
    results = read_project([str(tmp_path / name) for name in ("Loss.py", "Net.py", "other.py", "predict.py", "train.py")])
    # Net.py's builders that train.py never calls (VGG16, MVGG16) are entry points of their own;
    # OVGG16, which train.py calls, is checked through train.py only.
    net = results[str(tmp_path / "Net.py")]
    net_text = text_of("seed001_Net.py")
    assert sorted(s.model.location.line for s in net) == [line_of(net_text, "model = Sequential()", 1),
                                                           line_of(net_text, "model = Sequential()", 3)]
    [train] = results[str(tmp_path / "train.py")]
    assert train.pipeline("train") is not None and train.model is not None
    predict = train.pipeline("predict")
    assert predict is not None and predict.channel_order == "BGR"
    assert predict.location.path.endswith("predict.py")
    # predict.py loads 'opt.h5', which train.py's ModelCheckpoint writes and other.py does not.
    [other] = results[str(tmp_path / "other.py")]
    assert all(pipeline.location.path.endswith("other.py") for pipeline in other.pipelines)


def test_a_sibling_module_read_first_as_a_script_gives_train_py_the_same_setup(tmp_path):
    # read_project parses Net.py once for its own check and for train.py's `from Net import`:
    # train.py's setup (model from Net.OVGG16, its layers and places) is the one it has alone.
    for source, target in (("seed001_train.py", "train.py"), ("seed001_Net.py", "Net.py"), ("seed001_Loss.py", "Loss.py")):
        shutil.copy(FIXTURES / source, tmp_path / target)
    train = str(tmp_path / "train.py")
    [alone] = read_project([train])[train]
    [together] = read_project([str(tmp_path / "Loss.py"), str(tmp_path / "Net.py"), train])[train]
    assert together == alone
    assert [layer.name for layer in together.model.layers] == [layer.name for layer in alone.model.layers]
    assert together.model.location.path == str(tmp_path / "Net.py")


# -- seed 002: ResNet50 ------------------------------------------------------------------------


def test_seed002_resnet50_last_8_layers_trainable_and_rescale():
    setup = read("seed002_resnet.py")
    model = setup.model
    assert [item.class_name for item in model.layers][0] == "Functional"  # model.add(Conv_Base): nested
    assert model.layers[1].class_name == "Flatten" and model.layers[1].output_shape == (5 * 5 * 2048,)
    resnet = model.layers[0].submodel
    assert len(resnet.layers) == 175
    trainable = [item.name for item in resnet.layers if item.trainable]
    assert trainable == ["conv5_block3_1_relu", "conv5_block3_2_conv", "conv5_block3_2_bn", "conv5_block3_2_relu",
                         "conv5_block3_3_conv", "conv5_block3_3_bn", "conv5_block3_add", "conv5_block3_out"]
    [backbone] = model.backbones
    assert (backbone.name, backbone.nested_as, backbone.input_shape) == ("ResNet50", resnet.name, (150, 150, 3))
    train, validation = setup.pipeline("train"), setup.pipeline("validation")
    assert train.scaling.factor == pytest.approx(1 / 255) and validation.scaling.mode() == "unit"
    assert len(validation.augmentation) == 8 and validation.class_mode == "binary"
    assert validation.augmentation_location.line == line_of("seed002_resnet.py", "Val_Datagen = ImageDataGenerator(")
    assert train.directory == "Deep_Learning_With_Python_Book/Dogs_Vs_Cats_Small/train"
    assert setup.compile.optimizer.class_name == "Adam" and setup.compile.optimizer.learning_rate == 0.001


def test_seed002_fixed_uses_resnet_preprocess_input():
    setup = read("seed002_fixed.py")
    for role in ("train", "validation"):
        scaling = setup.pipeline(role).scaling
        assert (scaling.kind, scaling.family) == ("preprocess_input", "resnet")
        assert setup.pipeline(role).augmentation == ()
    assert setup.api_uses == ()  # tf.keras spelling: nothing removed


# -- seed 003: layers copied into a Sequential, everything frozen -------------------------------


def test_seed003_flat_copy_has_no_input_layer_and_everything_frozen():
    setup = read("seed003_vgg.py")
    model = setup.model
    assert model.layers[0].name == "block1_conv1"  # Sequential.layers has no InputLayer
    assert model.input_shapes == ((100, 100, 3),)
    assert [item.trainable for item in model.layers] == [False] * 18 + [True, True]
    [backbone] = model.backbones
    assert backbone.offset == -1 and backbone.nested_as is None and backbone.weights == "imagenet"
    assert layer(model, "flatten").output_shape == (3 * 3 * 512,)
    assert setup.compile.optimizer.learning_rate == pytest.approx(1e-5)
    assert [(labels.encoding, labels.num_classes) for labels in setup.labels] == [("one-hot", 3), ("one-hot", 3)]
    [fit] = setup.fits
    assert (fit.batch_size, fit.epochs, fit.has_validation) == (32, 20, True)


# -- seed 004: Keras 1 fine-tuning script and the 5-class top model -----------------------------


def test_seed004_finetune_keras1_forms():
    setup = read("seed004_finetune.py")
    model = setup.model
    assert model.input_shapes == ((3, 150, 150),)
    conv = layer(model, "conv1_1")
    assert (conv.class_name, conv.units, conv.activation, conv.config["kernel_size"]) == ("Conv2D", 64, "relu", (3, 3))
    top = model.layers[-1]
    assert top.class_name == "Sequential" and top.submodel.layers[-1].activation == "softmax"
    assert [item.trainable for item in model.layers] == [False] * 25 + [True] * 7
    convs = [use for use in setup.api_uses if use.api.startswith("Convolution2D(")]
    assert len(convs) == 13
    assert convs[0].api == "Convolution2D(64, 3, 3)" and convs[0].replacement == "Conv2D(64, (3, 3))"
    assert (convs[0].location.line, convs[0].location.column) == (line_of("seed004_finetune.py", "name='conv1_1'"), 11)
    uses = {use.api: use for use in setup.api_uses}
    assert uses["nb_epoch="].replacement == "epochs="
    assert uses["nb_epoch="].location.line == line_of("seed004_finetune.py", "nb_epoch=nb_epoch,")
    [fit] = setup.fits
    assert (fit.epochs, fit.steps_per_epoch, fit.validation_steps) == (50, 500, 972)  # as given
    assert setup.pipeline("validation").name == "validation_generator"


def test_seed004_top_sigmoid_with_categorical_and_one_hot_labels():
    setup = read("seed004_top.py")
    output = setup.model.layers[-1]
    assert (output.units, output.activation, output.is_output) == (5, "sigmoid", True)
    assert setup.compile.loss.name == "categorical_crossentropy"
    assert [(labels.encoding, labels.num_classes) for labels in setup.labels] == [("one-hot", 5), ("one-hot", 5)]
    assert setup.labels[0].location.line == line_of("seed004_top.py", "train_labels = to_categorical(")
    assert {pipeline.class_mode for pipeline in setup.pipelines if pipeline.source != "arrays"} == {"none"}
    # The np.load-ed bottleneck features trained on: arrays of unknown range.
    assert {(p.role, p.scaling.kind) for p in setup.pipelines if p.source == "arrays"} == {("train", "unknown"), ("validation", "unknown")}
    assert {p.role for p in setup.pipelines if p.source != "arrays"} == {"predict"}  # only fed to predict_generator
    apis = [use.api for use in setup.api_uses]
    assert "keras.utils.np_utils" in apis and apis.count("predict_generator(") == 2


# -- constructs -------------------------------------------------------------------------------


def test_dataset_map_rescaling_augmentation_and_backbone_called_with_training_false():
    setup = script(
        "import tensorflow as tf\n"
        "from tensorflow import keras\n"
        "from tensorflow.keras import layers\n"
        "import keras.layers as L\n"
        "IMG = (160, 160)\n"
        "train_ds = keras.utils.image_dataset_from_directory('data/train', image_size=IMG, label_mode='categorical')\n"
        "val_ds = tf.keras.utils.image_dataset_from_directory('data/val', image_size=IMG)\n"
        "rescale = layers.Rescaling(1./127.5, offset=-1)\n"
        "augment = keras.Sequential([layers.RandomFlip('horizontal'), layers.RandomRotation(0.1)])\n"
        "train_ds = train_ds.map(lambda x, y: (augment(rescale(x)), y)).prefetch(2)\n"
        "val_ds = val_ds.map(lambda x, y: (rescale(x), y))\n"
        "base = tf.keras.applications.mobilenet_v2.MobileNetV2(input_shape=IMG + (3,), include_top=False)\n"
        "base.trainable = False\n"
        "inputs = keras.Input(shape=IMG + (3,))\n"
        "x = base(inputs, training=False)\n"
        "x = L.GlobalAveragePooling2D()(x)\n"
        "outputs = L.Dense(4, activation='softmax')(x)\n"
        "model = keras.Model(inputs, outputs)\n"
        "model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.CategoricalCrossentropy(from_logits=True))\n"
        "model.fit(train_ds, validation_data=val_ds, epochs=5)\n"
    )
    train, validation = setup.pipeline("train"), setup.pipeline("validation")
    assert train.scaling.mode() == "tf" and validation.scaling.mode() == "tf"
    assert train.augmentation == ("RandomFlip", "RandomRotation") and validation.augmentation == ()
    assert (train.class_mode, validation.class_mode, train.target_size) == ("categorical", "int", (160, 160))
    nested = setup.model.layers[1]
    assert nested.submodel is not None and nested.call_training is False and nested.trainable is False
    assert setup.model.layers[2].output_shape == (1280,)
    assert setup.compile.loss.from_logits is True and setup.compile.optimizer.learning_rate == 1e-3
    [backbone] = setup.model.backbones
    assert backbone.name == "MobileNetV2" and backbone.weights == "imagenet"
    assert all(item.trainable is False for item in nested.submodel.layers)


def test_pixel_operations_inside_the_model_are_folded_into_the_pipelines():
    setup = script(
        "import tensorflow as tf\n"
        "from tensorflow import keras\n"
        "train_ds = keras.utils.image_dataset_from_directory('d/train', image_size=(160, 160))\n"
        "augment = keras.Sequential([keras.layers.RandomFlip('horizontal')])\n"
        "preprocess_input = tf.keras.applications.mobilenet_v2.preprocess_input\n"
        "base = tf.keras.applications.MobileNetV2(input_shape=(160, 160, 3), include_top=False)\n"
        "inputs = tf.keras.Input(shape=(160, 160, 3))\n"
        "x = preprocess_input(augment(inputs))\n"
        "x = base(x, training=False)\n"
        "outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling2D()(x))\n"
        "model = keras.Model(inputs, outputs)\n"
        "model.compile(optimizer='adam', loss='binary_crossentropy')\n"
        "model.fit(train_ds)\n"
    )
    scaling = setup.pipeline("train").scaling
    assert (scaling.kind, scaling.family, scaling.location.line) == ("preprocess_input", "mobilenet_v2", 8)
    assert [item.class_name for item in setup.model.layers] == [
        "InputLayer", "Sequential", "Functional", "GlobalAveragePooling2D", "Dense"]  # ops are not layers
    assert setup.model.layers[2].inbound == ("sequential",)
    lambda_model = script(
        "from tensorflow import keras\n"
        "ds = keras.utils.image_dataset_from_directory('d', image_size=(64, 64))\n"
        "m = keras.Sequential([keras.layers.Lambda(lambda t: t / 127.5 - 1.0), keras.layers.Dense(2)])\n"
        "m.compile(loss='mse')\n"
        "m.fit(ds)\n"
    )
    assert lambda_model.pipeline("train").scaling.mode() == "tf"


def test_functional_merge_functions_keep_the_graph():
    setup = script(
        "from keras import layers, Model, Input\n"
        "a = Input((8,))\n"
        "b = layers.Dense(4)(a)\n"
        "c = layers.Dense(4, activation='relu')(a)\n"
        "d = layers.add([b, c])\n"
        "o = layers.Dense(2, activation='softmax')(layers.Concatenate()([b, d]))\n"
        "m = Model(a, o)\n"
        "m.compile(loss='categorical_crossentropy', optimizer='adam')\n"
    )
    assert [(item.class_name, item.inbound) for item in setup.model.layers] == [
        ("InputLayer", ()), ("Dense", ("input_layer",)), ("Dense", ("input_layer",)), ("Add", ("dense", "dense_1")),
        ("Concatenate", ("dense", "add")), ("Dense", ("concatenate",))]
    assert setup.model.output_names == ("dense_2",)


def test_include_top_set_trainable_flag_and_isinstance_loops():
    source = (
        "from keras.applications import VGG16\n"
        "from keras.layers import Dense, BatchNormalization\n"
        "from keras.models import Model\n"
        "base = VGG16(weights=None)\n"
        "set_trainable = False\n"
        "for layer in base.layers:\n"
        "    if layer.name == 'block5_conv1':\n"
        "        set_trainable = True\n"
        "    layer.trainable = set_trainable\n"
        "for layer in base.layers:\n"
        "    if isinstance(layer, BatchNormalization) or 'pool' in layer.name:\n"
        "        layer.trainable = False\n"
        "out = Dense(3, activation='softmax')(base.output)\n"
        "model = Model(base.input, out)\n"
        "model.compile(loss='categorical_crossentropy', optimizer='sgd')\n"
    )
    setup = script(source)
    model = setup.model
    predictions = layer(model, "predictions")
    assert (predictions.activation, predictions.units, predictions.is_output) == ("softmax", 1000, False)
    assert model.layers[-1].is_output and model.layers[-1].inbound == ("predictions",)
    assert [item.name for item in model.layers[19:23]] == ["flatten", "fc1", "fc2", "predictions"]
    assert layer(model, "flatten").output_shape == (25088,)
    trainable = [item.name for item in model.layers if item.trainable]
    assert trainable[:3] == ["block5_conv1", "block5_conv2", "block5_conv3"] and "block5_pool" not in trainable
    [backbone] = model.backbones
    assert (backbone.weights, backbone.include_top, backbone.offset) == ("none", True, 0)
    ops = [(op.trainable, len(op.layers)) for op in setup.freeze_ops]
    assert ops == [(False, 15), (True, 8), (False, 5)]
    assert setup.compile.optimizer.class_name == "SGD" and setup.compile.optimizer.learning_rate == 0.01


def test_import_spellings_resolve_to_canonical_layers():
    setup = script(
        "import tensorflow as tf\n"
        "import keras.layers as L\n"
        "from keras.layers import Convolution2D, MaxPool2D\n"
        "from tensorflow.keras import layers, models\n"
        "m = models.Sequential()\n"
        "m.add(Convolution2D(8, (3, 3), input_shape=(32, 32, 3)))\n"
        "m.add(MaxPool2D())\n"
        "m.add(tf.keras.layers.Flatten())\n"
        "m.add(L.Dense(16))\n"
        "m.add(layers.Activation('relu'))\n"
        "m.add(tf.keras.layers.Dense(3))\n"
        "m.add(L.Softmax())\n"
        "m.compile(loss=tf.keras.losses.sparse_categorical_crossentropy, optimizer=tf.keras.optimizers.RMSprop())\n"
    )
    model = setup.model
    assert [item.class_name for item in model.layers] == [
        "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Activation", "Dense", "Softmax"]
    assert [item.activation for item in model.layers] == ["linear", None, None, "linear", "relu", "linear", "softmax"]
    assert [item.output_shape for item in model.layers[:3]] == [(30, 30, 8), (15, 15, 8), (1800,)]
    assert setup.compile.loss.name == "sparse_categorical_crossentropy"
    assert setup.compile.optimizer.class_name == "RMSprop" and setup.compile.optimizer.learning_rate == 0.001
    assert [item.name for item in model.layers[:2]] == ["conv2d", "max_pooling2d"]


def test_helper_functions_defaults_unknown_branches_and_channels_last():
    setup = script(
        "from keras import backend as K\n"
        "from keras.models import Sequential\n"
        "from keras.layers import Dense, Flatten\n"
        "import sys\n"
        "if K.image_data_format() == 'channels_first':\n"
        "    input_shape = (3, 64, 64)\n"
        "else:\n"
        "    input_shape = (64, 64, 3)\n"
        "if len(sys.argv) > 2:\n"
        "    lr = 0.1\n"
        "else:\n"
        "    lr = 0.001\n"
        "def head(model, units=64, act='relu', *, classes):\n"
        "    model.add(Dense(units, activation=act))\n"
        "    model.add(Dense(classes, activation='softmax'))\n"
        "    return model\n"
        "m = Sequential([Flatten(input_shape=input_shape)])\n"
        "m = head(m, act='tanh', classes=7)\n"
        "from keras.optimizers import Adam\n"
        "m.compile(optimizer=Adam(learning_rate=lr), loss='categorical_crossentropy')\n"
    )
    model = setup.model
    assert model.input_shapes == ((64, 64, 3),)
    assert [(item.units, item.activation) for item in model.layers[1:]] == [(64, "tanh"), (7, "softmax")]
    assert setup.compile.optimizer.learning_rate is None  # depends on sys.argv: unknown, not guessed


def test_predict_with_load_img_and_preprocess_input():
    setup = script(
        "import numpy as np\n"
        "from keras.models import load_model\n"
        "from keras.preprocessing import image\n"
        "from keras.applications.vgg16 import preprocess_input\n"
        "model = load_model('m.h5')\n"
        "img = image.load_img('cat.jpg', target_size=(224, 224))\n"
        "x = np.expand_dims(image.img_to_array(img), axis=0)\n"
        "print(model.predict(preprocess_input(x)))\n"
    )
    [pipeline] = setup.pipelines
    assert (pipeline.role, pipeline.source, pipeline.resized, pipeline.target_size) == ("predict", "load_img", True, (224, 224))
    assert (pipeline.scaling.kind, pipeline.scaling.family, pipeline.channel_order) == ("preprocess_input", "vgg16", "RGB")


def test_cv2_color_conversion_and_lambda_preprocessing_function():
    setup = script(
        "import cv2\n"
        "from tensorflow.keras.preprocessing.image import ImageDataGenerator\n"
        "from tensorflow.keras.models import load_model\n"
        "def prep(x):\n"
        "    return x / 255.0\n"
        "gen = ImageDataGenerator(preprocessing_function=lambda x: x / 127.5 - 1)\n"
        "gen2 = ImageDataGenerator(preprocessing_function=prep, rotation_range=0, horizontal_flip=False)\n"
        "train_flow = gen.flow_from_directory('d', class_mode=None)\n"
        "test_flow = gen2.flow_from_directory('t', target_size=(64, 64))\n"
        "m = load_model('x.keras')\n"
        "im = cv2.cvtColor(cv2.resize(cv2.imread('a.png'), (96, 128)), cv2.COLOR_BGR2RGB)\n"
        "m.predict(im[None] / 255.)\n"
    )
    train, test, predict = setup.pipeline("train"), setup.pipeline("test"), setup.pipeline("predict")
    assert train.scaling.mode() == "tf" and (train.class_mode, train.target_size) == ("none", (256, 256))
    assert test.scaling.mode() == "unit" and test.augmentation == ()
    assert (predict.channel_order, predict.resized, predict.target_size) == ("RGB", True, (128, 96))


def test_directory_facts_are_counted_on_disk(tmp_path):
    from PIL import Image

    for name in ("cats", "dogs", "birds"):
        (tmp_path / "data" / name).mkdir(parents=True)
        for index in range(2):
            Image.new("L", (8, 8)).save(tmp_path / "data" / name / f"{index}.png")
    (tmp_path / "data" / ".hidden").mkdir()
    facts = inspect_directory(str(tmp_path / "data"))
    assert (facts.num_classes, facts.num_samples, facts.image_channels) == (3, 6, 1)
    assert inspect_directory(str(tmp_path / "missing")) is None
    train = tmp_path / "train.py"
    train.write_text(
        "from tensorflow.keras.preprocessing.image import ImageDataGenerator\n"
        "flow = ImageDataGenerator(rescale=1/255.).flow_from_directory('data', classes=['cats', 'dogs'])\n"
    )
    pipeline = read_script(str(train)).pipeline("train")
    assert (pipeline.num_classes, pipeline.num_samples, pipeline.image_channels) == (2, 6, 1)


def test_columns_count_characters_not_bytes():
    setup = script("from keras.models import Sequential\nfrom keras.layers import Dense\nm = Sequential(); s = '中文'; m.add(Dense(3))\n")
    dense = setup.model.layers[0]
    assert (dense.location.line, dense.location.column) == (3, setup.source_lines[2].index("Dense(3)") + 1)
    assert dense.location.column == 35  # 3 bytes per Chinese character would give 39


# -- errors and hostile input ---------------------------------------------------------------------


def test_syntax_error_is_an_input_error_with_its_line():
    with pytest.raises(InputError) as caught:
        script("import keras\nmodel = keras.Sequential(\nx = 1 +\n")
    assert caught.value.line in (2, 3) and "syntax error" in str(caught.value)


def test_null_bytes_and_undecodable_files(tmp_path):
    with pytest.raises(InputError):
        script("import keras\x00\n")
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"# -*- coding: utf-8 -*-\nx = '\xff\xfe'\n")
    with pytest.raises(InputError):
        read_script(str(bad))


def test_pasted_snippet_without_imports_is_still_keras():
    setup = script("nb_train_samples = 2000\nmodel.fit(train_generator, steps_per_epoch=nb_train_samples, epochs=10)\n")
    [fit] = setup.fits
    assert (fit.steps_per_epoch, fit.epochs, fit.steps_expr) == (2000, 10, "nb_train_samples")
    snippet = script("model = Sequential()\nmodel.add(Dense(5, activation='sigmoid', input_shape=(8,)))\n")
    assert snippet.model.layers[0].activation == "sigmoid"
    with pytest.raises(NoSetup):
        script("from sklearn.svm import SVC\nclf = SVC()\nclf.fit(X, y)\n")


def test_script_without_keras_is_no_setup():
    with pytest.raises(NoSetup):
        script("import numpy as np\nprint(np.zeros(3))\n")
    with pytest.raises(NoSetup):
        script("import keras\n\ndef scale(x):\n    return x / 255\n")  # no model anywhere


@pytest.mark.parametrize(
    "body",
    [
        "while True:\n    pass\n",
        "x = 0\nfor i in range(10**12):\n    x += i\n",
        "x = 10**10**10\ny = 'a' * 10**9\nz = [0] * 10**9\n",
        "def f(n):\n    return f(n + 1)\nf(0)\n",
        "l = []\nwhile True:\n    l.append(len(l))\n",
        "".join(f"def f{i}(x):\n    return f{i - 1}(x) + f{i - 1}(x)\n" if i else "def f0(x):\n    return 1\n" for i in range(40))
        + "y = f39(1)\n",
    ],
)
def test_hostile_scripts_terminate_and_the_rest_is_still_read(body):
    with hang_guard(60, "reading a hostile script"):  # the interpreter's step budget ends each in well under a second
        setup = script("import keras\n" + body + "model = keras.Sequential([keras.layers.Dense(3)])\nmodel.compile(loss='mse')\n")
    assert setup.model is not None and setup.compile.loss.name == "mean_squared_error"


def test_deeply_nested_source_is_an_input_error_not_a_recursion_error():
    with pytest.raises(InputError):
        script("import keras\nx = " + "(" * 50_000 + "1" + ")" * 50_000 + "\n")
    with pytest.raises(InputError):
        script("import keras\nx = " + "not " * 100_000 + "1\n")


def test_loop_repeating_fit_records_one_fact_per_call_site():
    setup = script(
        "import keras\n"
        "m = keras.Sequential([keras.layers.Dense(2)])\n"
        "m.compile(loss='mse')\n"
        "for epoch in range(500):\n"
        "    m.train_on_batch(x, y)\n"
    )
    assert len(setup.fits) == 1 and setup.fits[0].method == "train_on_batch"
    assert math.isclose(setup.compile.optimizer.learning_rate, 0.001)


def test_each_scripts_interpreter_is_freed_as_soon_as_the_script_is_read(tmp_path):
    """World, interpreter and syntax tree hold each other in cycles: left to the automatic
    collections they were walked again and again while the next scripts were read."""
    import gc

    from modelcheck.parallel import fewer_collections
    from modelcheck.readers.script.keras_api.world import World

    paths = []
    for index in range(3):
        path = tmp_path / f"train{index}.py"
        path.write_text(
            "import keras\n"
            "base = keras.applications.MobileNetV2(include_top=False, input_shape=(96, 96, 3))\n"
            "base.trainable = False\n"
            f"model = keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense({index + 2}, activation='softmax')])\n"
            "model.compile(optimizer='adam', loss='categorical_crossentropy')\n"
        )
        paths.append(str(path))
    with fewer_collections():
        gc.collect()
        read = read_project(paths)
        alive = [obj for obj in gc.get_objects() if isinstance(obj, World)]
    assert alive == []
    assert [setup.model.layers[-1].units for path in paths for setup in read[path]] == [2, 3, 4]


def test_make_layer_builds_exactly_the_layer_the_dataclass_builds():
    import dataclasses
    import inspect

    from modelcheck.ir import Location, make_layer

    names = [field.name for field in dataclasses.fields(Layer)]
    assert list(inspect.signature(make_layer).parameters) == names  # a new field must be added to both
    values = ["conv1", "Conv2D", {"filters": 8}, "relu", 8, False, ("input",), True, None, (32, 32, 8), None, Location("t.py", line=4)]
    fast, slow = make_layer(*values), Layer(*values)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow) and fast.__dict__ == slow.__dict__
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.trainable = True


def test_counting_a_data_directory_is_bounded_by_entries_listed_not_by_time(tmp_path, monkeypatch):
    """The same folder gives the same facts (and findings) on a fast disk and a slow one."""
    from modelcheck.readers import data_dir

    for label in ("cats", "dogs"):
        folder = tmp_path / "data" / label
        folder.mkdir(parents=True)
        for index in range(5):
            (folder / f"{index}.jpg").write_bytes(b"")
            (folder / f"{index}.txt").write_bytes(b"")
    assert inspect_directory(str(tmp_path / "data")).num_samples == 10
    monkeypatch.setattr(data_dir, "MAX_ENTRIES", 15)  # 2 class folders + 10 files in the first + 10 in the second
    facts = inspect_directory(str(tmp_path / "data"))
    assert (facts.num_classes, facts.num_samples, facts.class_names) == (2, None, ("cats", "dogs"))
    monkeypatch.setattr(data_dir, "MAX_ENTRIES", 22)
    assert inspect_directory(str(tmp_path / "data")).num_samples == 10
