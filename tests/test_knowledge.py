"""Tests of the backbone knowledge base (rules/backbones.json and its loader)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from modelcheck import knowledge
from modelcheck.knowledge import (
    backbone_names,
    find_backbone,
    freeze_boundary,
    get_backbone,
    match_layer_sequence,
    match_layers,
    preprocessing_for_module,
)
from modelcheck.knowledge.layout import apply_downsampling

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("keras", "tensorflow", "tf_keras", "numpy", "h5py", "jax", "torch")

KERAS3_APPS = (
    "VGG16 VGG19 ResNet50 ResNet101 ResNet152 ResNet50V2 ResNet101V2 ResNet152V2 "
    "InceptionV3 InceptionResNetV2 Xception MobileNet MobileNetV2 MobileNetV3Small "
    "MobileNetV3Large DenseNet121 DenseNet169 DenseNet201 NASNetMobile NASNetLarge "
    + " ".join(f"EfficientNetB{i}" for i in range(8))
    + " EfficientNetV2B0 EfficientNetV2B1 EfficientNetV2B2 EfficientNetV2B3 "
    "EfficientNetV2S EfficientNetV2M EfficientNetV2L ConvNeXtTiny ConvNeXtSmall "
    "ConvNeXtBase ConvNeXtLarge ConvNeXtXLarge"
).split()


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


# (a) the loader stays off the heavy imports --------------------------------


def test_loader_imports_nothing_heavy() -> None:
    code = (
        "import sys, modelcheck.knowledge as k\n"
        "k.load_backbones(); k.find_backbone('vgg16'); k.preprocessing_for_module('resnet')\n"
        "k.match_layer_sequence(k.get_backbone('ResNet50').layers)\n"
        "k.freeze_boundary('ResNet50', 150); k.get_backbone('EfficientNetB0').layout(2, True)\n"
        f"print([m for m in sys.modules if m.split('.')[0] in {HEAVY!r}])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_json_is_where_the_loader_looks() -> None:
    assert knowledge.knowledge_path() == REPO / "rules" / "backbones.json"


# (b) facts from shared/NOTES.md hold in the committed JSON -----------------


def test_every_keras3_application_is_present() -> None:
    names = set(knowledge.backbone_names())
    assert set(KERAS3_APPS) <= names
    for name in KERAS3_APPS:
        assert not get_backbone(name).keras2_only, name


def test_resnet50_layer_count_and_input_layer() -> None:
    resnet = get_backbone("ResNet50")
    assert len(resnet.layers) == 175
    assert resnet.classes[0] == "InputLayer"


def test_resnet50_last_eight_layers_are_half_a_block() -> None:
    resnet = get_backbone("ResNet50")
    assert list(resnet.layers[-8:]) == [
        "conv5_block3_1_relu",
        "conv5_block3_2_conv",
        "conv5_block3_2_bn",
        "conv5_block3_2_relu",
        "conv5_block3_3_conv",
        "conv5_block3_3_bn",
        "conv5_block3_add",
        "conv5_block3_out",
    ]
    boundary = freeze_boundary("ResNet50", -8)
    assert boundary.index == 167
    assert not boundary.aligned
    assert boundary.cut_block == "conv5_block3"
    assert boundary.splits_connections
    bn = [resnet.layers[i] for i in boundary.cut_block_trainable_batchnorm]
    assert bn == ["conv5_block3_2_bn", "conv5_block3_3_bn"]
    assert boundary.trainable_batchnorm == boundary.cut_block_trainable_batchnorm


def test_resnet50_freeze_150_cuts_conv5_block1() -> None:
    resnet = get_backbone("ResNet50")
    assert resnet.layers[150] == "conv5_block1_3_conv"
    assert knowledge.block_of("ResNet50", 150) == "conv5_block1"
    start, end = resnet.layout().block_range("conv5_block1")
    assert (start, resnet.layers[start]) == (143, "conv5_block1_1_conv")
    assert resnet.layers[end] == "conv5_block1_out"
    boundary = freeze_boundary(resnet, 150)
    assert not boundary.aligned and boundary.cut_block == "conv5_block1"
    assert boundary.previous_aligned == 143
    assert resnet.layers[boundary.next_aligned] == "conv5_block2_1_conv"
    assert boundary.nearest_aligned == 155
    assert freeze_boundary(resnet, 143).aligned


def test_boundaries_next_to_weightless_layers_count_as_aligned() -> None:
    vgg = get_backbone("VGG16")
    assert vgg.layers[14:16] == ("block4_pool", "block5_conv1")
    assert freeze_boundary(vgg, 15).aligned
    assert freeze_boundary(vgg, 14).aligned  # only block4_pool (no weights) differs
    cut = freeze_boundary(vgg, 13)
    assert not cut.aligned and cut.cut_block == "block4"
    assert (cut.previous_aligned, cut.next_aligned, cut.nearest_aligned) == (11, 15, 11)
    # ResNet50: conv4_block6_add / _out hold no weights either.
    assert freeze_boundary("ResNet50", 141).aligned
    assert not freeze_boundary("ResNet50", 140).aligned
    assert freeze_boundary("ResNet50", 0).aligned and freeze_boundary("ResNet50", 175).aligned


PREPROCESSING = {
    "caffe": ["VGG16", "VGG19", "ResNet50", "ResNet101", "ResNet152"],
    "tf": [
        "Xception",
        "InceptionV3",
        "InceptionResNetV2",
        "MobileNet",
        "MobileNetV2",
        "NASNetMobile",
        "NASNetLarge",
        "ResNet50V2",
        "ResNet101V2",
        "ResNet152V2",
    ],
    "torch": ["DenseNet121", "DenseNet169", "DenseNet201"],
    "none": [n for n in KERAS3_APPS if n.startswith(("EfficientNet", "ConvNeXt", "MobileNetV3"))],
}


@pytest.mark.parametrize("mode", sorted(PREPROCESSING))
def test_preprocessing_modes(mode: str) -> None:
    for name in PREPROCESSING[mode]:
        backbone = get_backbone(name)
        assert backbone.preprocessing == mode, name
        assert bool(backbone.internal_preprocessing) == (mode == "none"), name


def test_input_ranges() -> None:
    assert get_backbone("VGG16").input_range == pytest.approx((-123.68, 151.061))
    assert get_backbone("MobileNetV2").input_range == (-1.0, 1.0)
    assert get_backbone("DenseNet121").input_range == pytest.approx((-2.118, 2.640), abs=1e-3)
    assert get_backbone("EfficientNetB0").input_range == (0.0, 255.0)


def test_input_sizes() -> None:
    assert get_backbone("InceptionV3").min_size == 75
    assert get_backbone("InceptionResNetV2").min_size == 75
    assert get_backbone("Xception").min_size == 71
    assert get_backbone("ResNet50").min_size == 32
    assert get_backbone("MobileNetV3Small").min_size == 32
    assert get_backbone("NASNetLarge").default_size == 331
    assert get_backbone("InceptionV3").default_size == 299
    assert get_backbone("EfficientNetV2L").default_size == 480


def test_efficientnet_imagenet_build_has_an_extra_rescaling() -> None:
    for i in range(8):
        backbone = get_backbone(f"EfficientNetB{i}")
        (extra,) = backbone.imagenet_extra()
        assert (extra.index, extra.class_name) == (3, "Rescaling")
        with_weights = backbone.layout(imagenet=True)
        assert len(with_weights) == len(backbone.layers) + 1
        assert with_weights.layers[4] == backbone.layers[3]
        assert with_weights.blocks[3] is None
    (k2_extra,) = get_backbone("EfficientNetB0").imagenet_extra(keras=2)
    assert (k2_extra.index, k2_extra.class_name) == (3, "TFOpLambda")
    assert not get_backbone("EfficientNetV2B0").imagenet_extra()


def test_include_preprocessing_false_expectations() -> None:
    # The EfficientNetV2 docstring says [-1, 1]; only S/M/L do that.
    for name in ("EfficientNetV2B0", "EfficientNetV2B3"):
        assert get_backbone(name).include_preprocessing_false[0] == "torch"
    for name in ("EfficientNetV2S", "EfficientNetV2L"):
        assert get_backbone(name).include_preprocessing_false[0] == "tf"
    assert get_backbone("MobileNetV3Large").include_preprocessing_false[0] == "tf"


def test_nasnet_uses_static_input_size() -> None:
    assert len(get_backbone("NASNetLarge").layers) == 1039
    assert get_backbone("NASNetLarge").raw["input_shape"] == [331, 331, 3]


def test_keras2_layer_lists() -> None:
    counts = {
        "ConvNeXtTiny": (133, 151),
        "ConvNeXtBase": (259, 295),
        "MobileNetV3Large": (187, 263),
        "MobileNetV3Small": (157, 229),
    }
    for name, (k3, k2) in counts.items():
        backbone = get_backbone(name)
        assert (len(backbone.layout(3)), len(backbone.layout(2))) == (k3, k2), name
    densenet = get_backbone("DenseNet121")
    assert len(densenet.layout(2)) == len(densenet.layout(3))
    assert densenet.layout(2).layers[2] == "conv1/conv" and densenet.layers[2] == "conv1_conv"
    assert get_backbone("ResNet50").layout(2) == get_backbone("ResNet50").layout(3)
    for name in ("RegNetX002", "RegNetY320", "ResNetRS50", "ResNetRS420"):
        assert get_backbone(name).keras2_only


def test_convnext_and_mobilenetv3_configs_list_ops() -> None:
    for name in ("ConvNeXtTiny", "MobileNetV3Small"):
        backbone = get_backbone(name)
        assert len(backbone.config_sequence()) > len(backbone.layers)
    assert get_backbone("ResNet50").config_sequence() is None


@pytest.mark.parametrize("name", knowledge.backbone_names())
def test_entries_are_consistent(name: str) -> None:
    backbone = get_backbone(name)
    for keras in backbone.keras_versions:
        layout = backbone.layout(keras)
        n = len(layout)
        assert len(layout.classes) == len(layout.blocks) == n
        assert layout.classes[0] == "InputLayer" and layout.blocks[0] is None
        assert layout.block_ends, "no blocks found"
        assert all(layout.classes[i] == "BatchNormalization" for i in layout.batchnorm)
        assert set(layout.batchnorm) <= set(layout.weighted)
        blocks = [layout.blocks[i] for i in layout.block_ends]
        assert len(blocks) == len(set(blocks)), "a block is split in several runs"
        if backbone.module != "nasnet":  # NASNet cells read the two previous cells
            assert all(i + 1 in layout.cuts for i in layout.block_ends if i + 1 < n)


# (c) drift against the installed Keras -------------------------------------


@pytest.mark.tf
@pytest.mark.slow  # builds five backbones with Keras
def test_committed_entries_match_installed_keras() -> None:
    # A subprocess keeps keras out of this test session's sys.modules.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelcheck.knowledge.build",
            "--check",
            "--no-keras2",
            "--only",
            "VGG16",
            "ResNet50",
            "MobileNetV2",
            "EfficientNetB0",
            "DenseNet121",
        ],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    stale = [line for line in result.stderr.splitlines() if line.startswith("stale")]
    assert result.returncode == 0, stale or result.stderr[-3000:]


# (d) find_backbone, preprocessing_for_module, match_layer_sequence ----------


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("vgg16", "VGG16"),
        ("VGG16", "VGG16"),
        ("resnet50", "ResNet50"),
        ("mobilenet_v2", "MobileNetV2"),
        ("MobileNetV2", "MobileNetV2"),
        ("efficientnet_b0", "EfficientNetB0"),
        ("EfficientNetV2-S", "EfficientNetV2S"),
        ("keras.applications.ResNet50", "ResNet50"),
        ("tf.keras.applications.vgg19", "VGG19"),
        ("inception_v3", "InceptionV3"),
        ("inception_resnet_v2", "InceptionResNetV2"),
        ("resnet50_v2", "ResNet50V2"),
        ("convnext_tiny", "ConvNeXtTiny"),
        ("mobilenetv2_1.00_224", "MobileNetV2"),
        ("mobilenet_0.25_128", "MobileNet"),
        ("nasnet_mobile", "NASNetMobile"),
        ("densenet121", "DenseNet121"),
        ("xception", "Xception"),
        ("resnet", None),
        ("efficientnet", None),
        ("mobilenet_v3", None),
        ("nasnet", None),
        ("not_a_model", None),
    ],
)
def test_find_backbone(spelling: str, expected: str | None) -> None:
    found = find_backbone(spelling)
    assert (found.name if found else None) == expected


@pytest.mark.parametrize(
    ("module", "mode"),
    [
        ("resnet", "caffe"),
        ("resnet50", "caffe"),
        ("vgg16", "caffe"),
        ("vgg19", "caffe"),
        ("imagenet_utils", "caffe"),
        ("resnet_v2", "tf"),
        ("inception_v3", "tf"),
        ("inception_resnet_v2", "tf"),
        ("mobilenet", "tf"),
        ("mobilenet_v2", "tf"),
        ("xception", "tf"),
        ("nasnet", "tf"),
        ("densenet", "torch"),
        ("efficientnet", "none"),
        ("efficientnet_v2", "none"),
        ("convnext", "none"),
        ("mobilenet_v3", "none"),
        ("regnet", "none"),
        ("keras.applications.resnet50.preprocess_input", "caffe"),
        ("tensorflow.keras.applications.mobilenet_v2", "tf"),
        ("no_such_module", None),
    ],
)
def test_preprocessing_for_module(module: str, mode: str | None) -> None:
    assert preprocessing_for_module(module) == mode


def _renumber(names: tuple[str, ...], auto: tuple[int, ...], by: int = 100) -> list[str]:
    """What a second model built in the same session would be called."""
    out = list(names)
    for i in auto:
        base, _, number = re.fullmatch(r"(.+?)(_(\d+))?", names[i]).groups()
        out[i] = f"{base}_{int(number or 0) + by}"
    return out


def test_match_complete_backbones() -> None:
    for name in ("VGG16", "VGG19", "ResNet50", "ResNet101", "ResNet152", "Xception", "NASNetLarge"):
        assert match_layer_sequence(get_backbone(name).layers) == (name, 0)


def test_match_inside_a_bigger_model() -> None:
    resnet = get_backbone("ResNet101").layout()
    names = ["image", "augment", *_renumber(resnet.layers, resnet.auto_named), "gap", "dense"]
    assert match_layer_sequence(names) == ("ResNet101", 2)


def test_match_without_input_layer() -> None:
    vgg = get_backbone("VGG16")
    assert match_layer_sequence([*vgg.layers[1:], "flatten", "dense"]) == ("VGG16", -1)


def test_match_renumbered_auto_names() -> None:
    for name in ("Xception", "InceptionV3", "InceptionResNetV2"):
        layout = get_backbone(name).layout()
        assert match_layer_sequence(_renumber(layout.layers, layout.auto_named)) == (name, 0)


def test_match_keras2_and_imagenet_variants() -> None:
    densenet = get_backbone("DenseNet169").layout(keras=2)
    match = match_layers(densenet.layers)
    assert (match.name, match.keras, match.variant) == ("DenseNet169", 2, "keras2")
    effnet = get_backbone("EfficientNetB3").layout(imagenet=True)
    match = match_layers(_renumber(effnet.layers, effnet.auto_named))
    assert (match.name, match.imagenet_weights, match.variant) == ("EfficientNetB3", True, "keras3+imagenet")
    convnext = get_backbone("ConvNeXtSmall")
    assert match_layers(convnext.layout(2).layers).keras == 2
    assert match_layers(list(convnext.config_sequence())).variant == "keras3+ops"


def test_match_truncated_backbone_only_when_asked() -> None:
    vgg = get_backbone("VGG16")
    truncated = list(vgg.layers[: vgg.layers.index("block4_pool") + 1])
    assert match_layer_sequence(truncated) is None
    match = match_layers(truncated, allow_partial=True)
    assert match is not None and not match.complete
    assert match.length == len(truncated) - 1
    assert "VGG16" in match.candidates and match.offset == 0


def test_no_match_for_a_plain_cnn() -> None:
    assert match_layer_sequence(["input_layer", "conv2d", "max_pooling2d", "flatten", "dense"]) is None


def test_json_is_deterministically_formatted() -> None:
    text = (REPO / "rules" / "backbones.json").read_text()
    data = json.loads(text)
    assert list(data) == sorted(data)
    for key, entry in data.items():
        if isinstance(entry, dict):
            assert list(entry) == sorted(entry), key


def test_backbone_reads_as_its_json_entry() -> None:
    densenet = get_backbone("DenseNet121")
    assert densenet["layers"] == list(densenet.layers)
    assert densenet.get("no_such_field") is None
    merged = {**densenet, **densenet["keras2"]}
    assert merged["layers"][2] == "conv1/conv"


# (e) feature-map shapes ------------------------------------------------------


# Feature maps are measured on Keras 3 builds; tf-keras-only applications (RegNet, ResNetRS)
# have none yet, and MC105 stays silent on them.
@pytest.mark.parametrize("name", [n for n in backbone_names() if not get_backbone(n).keras2_only])
def test_every_backbone_has_its_feature_map_and_the_formula_reproduces_it(name):
    backbone = get_backbone(name)
    facts = backbone["feature_map"]
    height, width, channels = facts["default"]
    assert channels == facts["channels"] > 0 and height >= 1 and width >= 1
    assert backbone.feature_map() == (height, width, channels)
    # The generated downsampling ops give the same size as Keras at the default input size.
    assert apply_downsampling(facts["downsampling"], backbone.default_size, backbone.default_size) == (height, width)


@pytest.mark.parametrize(
    ("name", "size", "shape"),
    [
        ("VGG16", 150, (4, 4, 512)),
        ("VGG16", 224, (7, 7, 512)),
        ("ResNet50", 224, (7, 7, 2048)),
        ("ResNet50", 150, (5, 5, 2048)),
        ("Xception", 299, (10, 10, 2048)),
        ("Xception", 150, (5, 5, 2048)),
        ("InceptionV3", 299, (8, 8, 2048)),
        ("DenseNet121", 224, (7, 7, 1024)),
        ("EfficientNetB0", 224, (7, 7, 1280)),
        ("ConvNeXtTiny", 224, (7, 7, 768)),
        ("NASNetLarge", 331, (11, 11, 4032)),
    ],
)
def test_feature_map_at_a_given_input_size(name, size, shape):
    assert get_backbone(name).feature_map(size, size) == shape


def test_a_backbone_without_feature_map_facts_stays_unknown():
    from modelcheck.knowledge import Backbone

    raw = {key: value for key, value in get_backbone("RegNetX002").raw.items() if key != "feature_map"}
    assert Backbone.from_json("RegNetX002", raw).feature_map(224, 224) is None


def test_tf_keras_only_families_are_sized_too():
    regnet, resnet_rs = get_backbone("RegNetX002"), get_backbone("ResNetRS50")
    assert regnet.keras2_only and regnet.feature_map(224, 224) == (7, 7, 368)
    assert resnet_rs.keras2_only and resnet_rs.feature_map(224, 224) == (7, 7, 2048)


def test_downsampling_formula_same_and_valid_padding():
    ops = [["window", 3, 3, 2, 2, "valid"], ["pad", 2, 2], ["window", 3, 3, 2, 2, "same"]]
    # valid: (150 - 3) // 2 + 1 = 74; pad: 76; same: ceil(76 / 2) = 38
    assert apply_downsampling(ops, 150, 150) == (38, 38)


# --- reading backbones.json field by field ------------------------------------------------------

def test_the_shipped_file_read_field_by_field_equals_the_json_parsed_whole():
    from modelcheck.knowledge.fields import Fields, load_file

    text = knowledge.knowledge_path().read_text(encoding="utf-8")
    lazy = load_file(knowledge.knowledge_path())
    assert sum(isinstance(value, Fields) for value in lazy.values()) == len(knowledge.backbone_names()) + 2  # + _meta, _modules
    plain = {key: dict(value) if isinstance(value, Fields) else value for key, value in lazy.items()}
    assert plain == json.loads(text)


def test_a_backbones_file_edited_out_of_its_layout_is_parsed_whole():
    from modelcheck.knowledge.build import dumps
    from modelcheck.knowledge.fields import Fields, load

    data = {"_modules": {"vgg16": {"mode": "caffe"}}, "VGG16": {"layers": ["input_layer", "block1_conv1"], "module": "vgg16"}}
    generated = load(dumps(data))
    assert isinstance(generated["VGG16"], Fields) and generated["VGG16"]["layers"] == ["input_layer", "block1_conv1"]
    with pytest.raises(KeyError):
        generated["VGG16"]["classes"]
    for edited in (json.dumps(data, indent=4), json.dumps(data), dumps(data).replace('  "module"', '   "module"')):
        assert load(edited) == data


def test_an_empty_backbones_file_is_a_json_error_not_a_mapping_error(tmp_path):
    from modelcheck.knowledge.fields import load_file

    empty = tmp_path / "backbones.json"
    empty.write_bytes(b"")
    with pytest.raises(json.JSONDecodeError):
        load_file(empty)
