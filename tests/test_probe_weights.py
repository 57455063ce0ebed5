"""Pretrained backbone weights from the Keras cache, real images by default, MC510/MC511 (issue 17).

Every cache folder here is built by the test: a ``weights=None`` backbone written under the
exact file name ``keras.applications`` downloads to, with KERAS_HOME pointed at it. Downloads
are made to fail loudly (the proxy is an unused local port), so nothing is ever fetched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import ROOT, run_cli
from modelcheck.probe.weights import cache_file_name, choose
from probe_cases import NO_NETWORK, backbone_setup, cache_backbone, image_folders



@pytest.mark.parametrize(
    "backbone,include_top,shape,expected",
    [
        ("VGG16", False, (32, 32, 3), "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        ("VGG19", True, None, "vgg19_weights_tf_dim_ordering_tf_kernels.h5"),
        ("ResNet50", False, (150, 150, 3), "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        ("ResNet101V2", True, None, "resnet101v2_weights_tf_dim_ordering_tf_kernels.h5"),
        ("InceptionV3", False, (75, 75, 3), "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        ("InceptionResNetV2", False, None, "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        ("DenseNet121", False, (32, 32, 3), "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        ("EfficientNetB0", False, (32, 32, 3), "efficientnetb0_notop.h5"),
        ("EfficientNetB7", True, None, "efficientnetb7.h5"),
        ("EfficientNetV2S", False, None, "efficientnetv2-s_notop.h5"),
        ("ConvNeXtTiny", False, (32, 32, 3), "convnext_tiny_notop.h5"),
        ("MobileNetV2", False, (32, 32, 3), "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"),
        ("MobileNetV2", False, (96, 96, 3), "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5"),
        ("MobileNetV2", True, (160, 160, 3), "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160.h5"),
        ("MobileNet", False, (128, 128, 3), "mobilenet_1_0_128_tf_no_top.h5"),
        ("MobileNet", False, (96, 96, 3), "mobilenet_1_0_224_tf_no_top.h5"),
        ("MobileNetV3Small", False, (32, 32, 3), "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"),
        ("Xception", False, None, "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        ("NASNetMobile", False, None, "nasnet_mobile_no_top.h5"),
    ],
)
def test_cache_file_names_are_the_ones_keras_applications_download(backbone, include_top, shape, expected):
    assert cache_file_name(backbone, include_top, shape) == expected


def test_mobilenet_alpha_variants_have_their_own_files():
    assert cache_file_name("MobileNetV2", False, (128, 128, 3), alpha=0.35) == (
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_128_no_top.h5")
    assert cache_file_name("MobileNet", True, (224, 224, 3), alpha=0.25) == "mobilenet_2_5_224_tf.h5"


def test_weights_choice_follows_the_flag_and_the_script(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    name = cache_file_name("ResNet50", False, (150, 150, 3))
    missing = choose("ResNet50", False, (150, 150, 3), "imagenet")
    assert missing.weights is None
    assert missing.description == (f"ResNet50: random weights ({name} is not in {tmp_path / 'models'}; the probe downloads "
                                    "nothing: run the script once, or pass --probe-weights download)")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / name).write_bytes(b"")
    cached = choose("ResNet50", False, (150, 150, 3), "imagenet")
    assert cached.weights == str(tmp_path / "models" / name) and cached.keras_argument == "imagenet"
    assert choose("ResNet50", False, (150, 150, 3), "imagenet", "none").weights is None
    assert choose("ResNet50", False, (150, 150, 3), "imagenet", "download").weights == "imagenet"
    assert choose("ResNet50", False, (150, 150, 3), None).description == (
        "ResNet50: random weights (the script does not load ImageNet weights)")
    own = tmp_path / "mine.h5"
    own.write_bytes(b"")
    given = choose("ResNet50", False, (150, 150, 3), "imagenet", str(own))
    assert given.weights == str(own) and given.exact


# --- the rebuilt backbone loads the cached file, for each family -------------------------------

FAMILIES = [
    # (backbone, input shape, the name Keras gives the model: what a script nests it as)
    ("VGG16", (32, 32, 3), "vgg16"),
    ("ResNet50", (32, 32, 3), "resnet50"),
    ("MobileNetV2", (96, 96, 3), "mobilenetv2_1.00_96"),
    ("EfficientNetB0", (32, 32, 3), "efficientnetb0"),
    ("InceptionV3", (75, 75, 3), "inception_v3"),
    ("DenseNet121", (32, 32, 3), "densenet121"),
    ("ConvNeXtTiny", (32, 32, 3), "convnext_tiny"),
]


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("backbone,shape,nested", FAMILIES, ids=[name for name, _, _ in FAMILIES])
def test_rebuilt_backbone_loads_the_cached_imagenet_file(backbone, shape, nested, tmp_path, monkeypatch):
    pytest.importorskip("keras")
    from modelcheck.probe.rebuild import from_setup

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    for name, value in NO_NETWORK.items():
        monkeypatch.setenv(name, value)
    saved = cache_backbone(tmp_path / "keras_home" / "models", backbone, shape)
    prepared = from_setup(backbone_setup(str(tmp_path / "train.py"), backbone, shape, nested))
    cached = tmp_path / "keras_home" / "models" / cache_file_name(backbone, False, shape)
    assert prepared.weights == [f"{backbone}: ImageNet weights from {cached}"]
    assert prepared.random_backbones == []
    loaded = prepared.model.get_layer(nested).get_weights()
    assert len(loaded) == len(saved)
    for got, want in zip(loaded, saved):
        np.testing.assert_array_equal(got, want)


@pytest.mark.tf
def test_weights_none_flag_keeps_the_backbone_random(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    from modelcheck.probe.rebuild import from_setup

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    saved = cache_backbone(tmp_path / "keras_home" / "models", "MobileNetV2", (32, 32, 3))
    setup = backbone_setup(str(tmp_path / "train.py"), "MobileNetV2", (32, 32, 3), "mobilenetv2")
    prepared = from_setup(setup, weights_mode="none")
    assert prepared.weights == ["MobileNetV2: random weights (--probe-weights none)"]
    assert prepared.random_backbones == ["MobileNetV2"]
    loaded = prepared.model.get_layer("mobilenetv2").get_weights()
    assert not all(np.array_equal(got, want) for got, want in zip(loaded, saved))


# --- end to end: a script, its cached weights, its own images ---------------------------------

SCRIPT = textwrap.dedent(
    """
    from tensorflow.keras.applications import MobileNetV2
    from tensorflow.keras.preprocessing.image import ImageDataGenerator
    from tensorflow.keras import layers, models

    base = MobileNetV2(include_top=False, weights="imagenet", input_shape=(32, 32, 3))
    base.trainable = False
    model = models.Sequential([base, layers.GlobalAveragePooling2D(), layers.Dense(3, activation="softmax")])
    train = ImageDataGenerator(rescale=1./255).flow_from_directory("images/train", target_size=(32, 32),
                                                                   class_mode="categorical")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(train, epochs=3)
    """
)


@pytest.mark.tf
@pytest.mark.slow
def test_script_is_probed_with_its_cached_weights_and_its_own_images(tmp_path):
    """seed002's shape: the data folder is relative to the script, and modelcheck runs from elsewhere."""
    pytest.importorskip("keras")
    project = tmp_path / "project"
    image_folders(project / "images" / "train")
    script = project / "train.py"
    script.write_text(SCRIPT, encoding="utf-8")
    home = tmp_path / "keras_home"
    cache_backbone(home / "models", "MobileNetV2", (32, 32, 3), calibrate=True)
    env = {"KERAS_HOME": str(home), **NO_NETWORK}
    static = run_cli("--format", "json", str(script), cwd=tmp_path, env=env)
    probed = run_cli("--format", "json", "--probe", "--probe-steps", "40", str(script), cwd=tmp_path, env=env)
    assert "Traceback" not in probed.stderr, probed.stderr
    document = json.loads(probed.stdout)
    (report,) = document["probe"]
    cached = home / "models" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
    assert report["weights"] == f"MobileNetV2: ImageNet weights from {cached}"
    assert report["data"] == f"18 images from {os.path.join('project', 'images', 'train')} (3 classes), x / 255", report
    codes = {finding["code"] for finding in document["findings"]}
    assert "MC510" not in codes and "MC502" not in codes and "MC001" not in codes, report
    assert "MC201" in codes and "MC508" in codes
    labels = [run["label"] for run in report["trajectories"]]
    assert labels == ["as written", "with mobilenet_v2.preprocess_input (MC201 fix)"]
    main = report["trajectories"][0]
    assert len(main["losses"]) == main["steps_done"] == len(main["accuracies"]) > 0
    assert main["checkpoints"][-1]["loss"] < 0.5 * main["checkpoints"][0]["loss"]
    assert probed.returncode == static.returncode == 1


# --- MC511: the probe could not run; the exit code follows the static result ------------------


@pytest.mark.tf
def test_a_layer_the_probe_cannot_rebuild_is_mc511_not_mc001(tmp_path):
    pytest.importorskip("keras")
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(
        """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input((32, 32, 3)),
            layers.Lambda(lambda t: t * 2.0),
            layers.Flatten(),
            layers.Dense(5, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        """
    ), encoding="utf-8")
    static = run_cli("--format", "json", str(script), env=NO_NETWORK)
    probed = run_cli("--format", "json", "--probe", str(script), env=NO_NETWORK)
    findings = json.loads(probed.stdout)["findings"]
    failed = [f for f in findings if f["code"] == "MC511"]
    assert [f["code"] for f in findings if f["code"] in ("MC001", "MC511")] == ["MC511"], findings
    assert failed[0]["severity"] == "warning" and "Lambda" in failed[0]["message"]
    assert failed[0]["message"].startswith("the probe could not run: ")
    assert "model.save" in failed[0]["hint"]
    assert probed.returncode == static.returncode == 0


@pytest.mark.tf
@pytest.mark.slow
def test_out_of_memory_is_mc511_and_keeps_the_static_exit_code(tmp_path):
    """Activations of 100 GB per image: the allocation fails (address space capped for safety)."""
    pytest.importorskip("keras")
    path = tmp_path / "huge.keras"
    build = (
        "import keras\n"
        "m = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.UpSampling2D(size=(20000, 20000)),\n"
        "    keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, activation='softmax')])\n"
        "m.compile(optimizer='adam', loss='categorical_crossentropy')\n"
        f"m.save({str(path)!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "TF_CPP_MIN_LOG_LEVEL": "3", **NO_NETWORK}
    subprocess.run([sys.executable, "-c", build], check=True, capture_output=True, env=env, timeout=300)
    resource = pytest.importorskip("resource")  # POSIX: caps the address space of the probing process
    limit = 24 * 1024**3

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    static = subprocess.run([sys.executable, "-m", "modelcheck", "--format", "json", str(path)],
                            capture_output=True, text=True, env=env, timeout=300)
    probed = subprocess.run([sys.executable, "-m", "modelcheck", "--format", "json", "--probe", "--probe-steps", "3",
                             str(path)], capture_output=True, text=True, env=env, timeout=600, preexec_fn=cap)
    findings = json.loads(probed.stdout)["findings"]
    failed = [f for f in findings if f["code"] == "MC511"]
    assert len(failed) == 1 and not [f for f in findings if f["code"] == "MC001"], findings
    assert "ran out of memory" in failed[0]["message"] and "batch of 2" in failed[0]["message"]
    assert probed.returncode == static.returncode
