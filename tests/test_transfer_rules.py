"""MC201-MC206 on training scripts: every backbone family's preprocessing, and freeze
boundaries at, before and inside a block, counted on the backbone, a wrapper and a Sequential."""

from __future__ import annotations

import pytest

from conftest import ROOT
from modelcheck.knowledge import backbone_names, get_backbone
from modelcheck.runner import check_paths

KERAS3_BACKBONES = [name for name in backbone_names() if not get_backbone(name).keras2_only]


def check(tmp_path, source: str, name: str = "train.py") -> list:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return check_paths([str(path)]).findings


def codes(findings) -> list[str]:
    return [f.code for f in findings]


SCALING_SCRIPT = """\
from tensorflow.keras import applications
from tensorflow.keras.preprocessing.image import ImageDataGenerator
{imports}
base = applications.{name}(weights='imagenet', include_top=False, input_shape=({size}, {size}, 3))
datagen = ImageDataGenerator({scaling})
train_generator = datagen.flow_from_directory('data/train', target_size=({size}, {size}))
"""


def _scaling_script(name: str, scaling: str, imports: str = "") -> str:
    backbone = get_backbone(name)
    size = max(backbone.min_size, 96) if "NASNet" not in name else backbone.default_size
    return SCALING_SCRIPT.format(name=name, scaling=scaling, imports=imports, size=size)


@pytest.mark.parametrize("name", KERAS3_BACKBONES)
def test_own_preprocess_input_is_silent(tmp_path, name):
    module = get_backbone(name).module
    source = _scaling_script(name, "preprocessing_function=preprocess_input", f"from tensorflow.keras.applications.{module} import preprocess_input")
    assert "MC201" not in codes(check(tmp_path, source))


@pytest.mark.parametrize("name", KERAS3_BACKBONES)
def test_rescale_to_unit_range_fires_for_every_family(tmp_path, name):
    findings = [f for f in check(tmp_path, _scaling_script(name, "rescale=1./255")) if f.code == "MC201"]
    assert len(findings) == 1, name
    [finding] = findings
    assert finding.location.line == 5 and finding.location.column == 30  # the rescale= keyword
    mode = get_backbone(name).preprocessing
    expected_words = {"caffe": "caffe", "tf": "[-1, 1]", "torch": "torch", "none": "rescales its input internally"}[mode]
    assert expected_words in finding.message, (name, finding.message)


def test_weights_none_accepts_any_scaling(tmp_path):
    source = _scaling_script("ResNet50", "rescale=1./255").replace("weights='imagenet'", "weights=None")
    assert "MC201" not in codes(check(tmp_path, source))


def test_efficientnet_with_rescale_says_it_rescales_internally(tmp_path):
    [finding] = [f for f in check(tmp_path, _scaling_script("EfficientNetB0", "rescale=1./255")) if f.code == "MC201"]
    assert "rescales its input internally" in finding.message
    assert "raw 0-255" in finding.hint


def test_another_familys_preprocess_input(tmp_path):
    imports = "from tensorflow.keras.applications.vgg16 import preprocess_input"
    source = _scaling_script("MobileNetV2", "preprocessing_function=preprocess_input", imports)
    [finding] = [f for f in check(tmp_path, source) if f.code == "MC201"]
    assert "vgg16.preprocess_input" in finding.message and "[-1, 1]" in finding.message
    # resnet (caffe) and vgg16 (caffe) are the same maths: silent
    source = _scaling_script("ResNet50", "preprocessing_function=preprocess_input", imports)
    assert "MC201" not in codes(check(tmp_path, source))


def test_resnet_vs_resnet_v2_module(tmp_path):
    source = _scaling_script(
        "ResNet50V2", "preprocessing_function=tf.keras.applications.resnet.preprocess_input", "import tensorflow as tf"
    )
    assert "MC201" in codes(check(tmp_path, source))
    source = source.replace("applications.resnet.preprocess_input", "applications.resnet_v2.preprocess_input")
    assert "MC201" not in codes(check(tmp_path, source))


@pytest.mark.parametrize(
    "scaling,fires",
    [
        ("rescale=1./127.5", True),  # [0, 2]
        ("preprocessing_function=lambda x: x / 127.5 - 1.0", False),  # tf mode by hand
        ("preprocessing_function=lambda x: x / 255.0", True),
        ("", True),  # raw pixels into a [-1, 1] network
    ],
)
def test_arithmetic_scaling_into_mobilenet(tmp_path, scaling, fires):
    assert ("MC201" in codes(check(tmp_path, _scaling_script("MobileNetV2", scaling)))) is fires


def test_rescaling_layer_in_the_model(tmp_path):
    source = """\
from tensorflow import keras
base = keras.applications.ResNet50(weights='imagenet', include_top=False, input_shape=(224, 224, 3))
inputs = keras.Input((224, 224, 3))
x = keras.layers.Rescaling(1./255)(inputs)
x = base(x, training=False)
outputs = keras.layers.Dense(3, activation='softmax')(keras.layers.GlobalAveragePooling2D()(x))
model = keras.Model(inputs, outputs)
train_ds = keras.utils.image_dataset_from_directory('data/train', image_size=(224, 224), label_mode='categorical')
"""
    findings = [f for f in check(tmp_path, source) if f.code == "MC201"]
    assert findings and findings[0].location.line == 4


# --- freeze boundaries --------------------------------------------------------

FREEZE_CASES = [
    # backbone, first trainable index, block cut (None: aligned)
    ("VGG16", 15, None),  # block4 | block5
    ("VGG16", 14, None),  # block4_pool is weightless: aligned with block5
    ("VGG16", 16, "block5"),
    ("VGG16", 13, "block4"),
    ("ResNet50", 143, None),
    ("ResNet50", 142, None),  # conv4_block6_out (activation) trainable: still aligned
    ("ResNet50", 150, "conv5_block1"),
    ("ResNet50", 167, "conv5_block3"),  # layers[:-8]
    ("InceptionV3", 133, None),
    ("InceptionV3", 135, "mixed5"),
    ("MobileNetV2", 116, None),
    ("MobileNetV2", 118, "block_13"),
    ("DenseNet121", 313, None),
    ("DenseNet121", 315, "conv5_block1"),
    ("EfficientNetB0", 162, None),
    ("EfficientNetB0", 165, "block6a"),
]

NESTED = """\
from tensorflow import keras
base = keras.applications.{name}(weights='imagenet', include_top=False, input_shape=({size}, {size}, 3))
for layer in base.layers[:{index}]:
    layer.trainable = False
inputs = keras.Input(({size}, {size}, 3))
x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
model = keras.Model(inputs, keras.layers.Dense(3, activation='softmax')(x))
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss='categorical_crossentropy')
"""


def _size(name: str) -> int:
    return max(get_backbone(name).min_size, 96)


@pytest.mark.parametrize("name,index,block", FREEZE_CASES)
def test_freeze_boundary_on_the_backbone(tmp_path, name, index, block):
    findings = [f for f in check(tmp_path, NESTED.format(name=name, index=index, size=_size(name))) if f.code == "MC202"]
    if block is None:
        assert findings == [], findings[0].message if findings else ""
        return
    [finding] = findings
    layout = get_backbone(name).layout(imagenet=True)  # the script builds with weights='imagenet'
    layers = layout.layers
    assert f"cuts through {block}" in finding.message
    assert f"'{layers[index - 1]}' (index {index - 1})" in finding.message
    assert f"'{layers[index]}' (index {index})" in finding.message
    assert finding.location.line == 3  # the freeze loop
    start = layout.block_range(block)[0]
    assert f"layers[:{start}]" in finding.hint


def test_same_slice_on_a_wrapper_with_input_layer_is_aligned(tmp_path):
    # Model(vgg16.input, ...) keeps the InputLayer at index 0: layers[:15] means the same as on VGG16.
    source = """\
from tensorflow import keras
vgg16 = keras.applications.VGG16(weights='imagenet', include_top=False, input_shape=(224, 224, 3))
x = keras.layers.GlobalAveragePooling2D()(vgg16.output)
model = keras.Model(vgg16.input, keras.layers.Dense(5, activation='softmax')(x))
for layer in model.layers[:15]:
    layer.trainable = False
model.compile(optimizer=keras.optimizers.SGD(1e-4), loss='categorical_crossentropy')
"""
    assert "MC202" not in codes(check(tmp_path, source))


def test_same_slice_on_a_sequential_copy_is_shifted_by_one(tmp_path):
    # A Sequential built from VGG16's layers has no InputLayer: layers[:15] also freezes block5_conv1.
    source = """\
from tensorflow import keras
vgg16 = keras.applications.VGG16(weights='imagenet', include_top=False, input_shape=(224, 224, 3))
model = keras.Sequential()
for layer in vgg16.layers:
    model.add(layer)
model.add(keras.layers.GlobalAveragePooling2D())
model.add(keras.layers.Dense(5, activation='softmax'))
for layer in model.layers[:15]:
    layer.trainable = False
model.compile(optimizer=keras.optimizers.SGD(1e-4), loss='categorical_crossentropy')
"""
    [finding] = [f for f in check(tmp_path, source) if f.code == "MC202"]
    assert "cuts through block5" in finding.message
    assert "no InputLayer" in finding.message
    assert "layers[:14]" in finding.hint  # the Sequential's own index that aligns it


def test_unfreeze_from_a_named_layer(tmp_path):
    source = """\
from tensorflow import keras
base = keras.applications.ResNet50(weights='imagenet', include_top=False, input_shape=(224, 224, 3))
base.trainable = True
set_trainable = False
for layer in base.layers:
    if layer.name == 'conv5_block1_1_conv':
        set_trainable = True
    layer.trainable = set_trainable
inputs = keras.Input((224, 224, 3))
x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
model = keras.Model(inputs, keras.layers.Dense(3, activation='softmax')(x))
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss='categorical_crossentropy')
"""
    assert codes(check(tmp_path, source)) == []
    assert "cuts through conv5_block1" in check(tmp_path, source.replace("conv5_block1_1_conv", "conv5_block1_2_conv"))[0].message


def test_batchnorm_kept_frozen_in_the_trainable_part(tmp_path):
    source = NESTED.format(name="ResNet50", index=143, size=224).replace(
        "    layer.trainable = False\n",
        "    layer.trainable = False\nfor layer in base.layers:\n    if isinstance(layer, keras.layers.BatchNormalization):\n        layer.trainable = False\n",
    ).replace("base(inputs, training=False)", "base(inputs)")
    assert "MC205" not in codes(check(tmp_path, source))
    assert "MC205" in codes(check(tmp_path, NESTED.format(name="ResNet50", index=143, size=224).replace("base(inputs, training=False)", "base(inputs)")))


def test_nothing_trainable_and_frozen_head(tmp_path):
    source = NESTED.format(name="VGG16", index=15, size=96).replace(
        "model.compile", "for layer in model.layers:\n    layer.trainable = False\nmodel.compile"
    )
    findings = [f for f in check(tmp_path, source) if f.code == "MC202"]
    assert findings and str(findings[0].severity) == "error"


def test_trainable_after_fit_without_recompile(tmp_path):
    source = NESTED.format(name="VGG16", index=19, size=96) + """\
model.fit(x_train, y_train, epochs=3)
for layer in base.layers[15:]:
    layer.trainable = True
model.fit(x_train, y_train, epochs=3)
"""
    [finding] = [f for f in check(tmp_path, source) if f.code == "MC203"]
    assert str(finding.severity) == "error" and finding.location.line == 10
    fixed = source.replace("model.fit(x_train, y_train, epochs=3)\n", "", 1).replace(
        "    layer.trainable = True\n", "    layer.trainable = True\nmodel.compile(optimizer=keras.optimizers.Adam(1e-5), loss='categorical_crossentropy')\n"
    )
    assert "MC203" not in codes(check(tmp_path, fixed))


@pytest.mark.parametrize(
    "shape,message",
    [("(3, 150, 150)", "channels-first"), ("(50, 50, 3)", "at least 75"), ("(150, 150, 1)", "1-channel")],
)
def test_input_shape_problems(tmp_path, shape, message):
    source = f"""\
from tensorflow import keras
base = keras.applications.InceptionV3(weights='imagenet', include_top=False, input_shape={shape})
"""
    findings = [f for f in check(tmp_path, source) if f.code == "MC204"]
    assert findings and message in findings[0].message


@pytest.mark.parametrize("optimizer,fires", [("'adam'", True), ("keras.optimizers.Adam(1e-5)", False), ("keras.optimizers.SGD(learning_rate=0.01)", True), ("keras.optimizers.SGD(learning_rate=0.001)", False)])
def test_fine_tune_learning_rate(tmp_path, optimizer, fires):
    source = NESTED.format(name="VGG16", index=15, size=96).replace("keras.optimizers.Adam(1e-5)", optimizer)
    assert ("MC206" in codes(check(tmp_path, source))) is fires


def test_an_imagenet_efficientnet_read_from_a_script_is_aligned_with_its_extra_layer():
    """weights='imagenet' adds a layer near EfficientNet's input: the layer list the script
    reader builds has it, so the knowledge base's imagenet layout is the one to align with."""
    cases = ROOT / "tests" / "rules" / "MC202"
    [cut] = [f for f in check_paths([str(cases / "fail_efficientnet_imagenet_cut_in_block7.py")]).findings if f.code == "MC202"]
    assert "'block7a_expand_activation' (index 224) is the last frozen layer and 'block7a_dwconv' (index 225)" in cut.message
    assert "BatchNormalization" not in cut.message  # the loop kept them frozen
    assert cut.hint.startswith("Freeze layers[:222] to fine-tune all of block7a ('block7a_expand_conv' first)")
    assert check_paths([str(cases / "pass_efficientnet_imagenet_unfreeze_block7.py")]).findings == []
