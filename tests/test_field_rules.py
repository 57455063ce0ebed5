"""Rules from the field (issue 14): the new rules' messages, the scripts written after the
official Keras/TensorFlow transfer-learning guides give no error or warning, and saved
models tell never-trained backbones (BatchNormalization statistics exactly 0/1) apart."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT
from modelcheck.findings import Severity
from modelcheck.runner import check_paths

CASES = ROOT / "tests" / "rules"
GUIDES = ROOT / "tests" / "data" / "guides"

# (code, case file, line, severity) of the new and changed rules' cases; tests/test_rule_cases.py
# pins every case's findings through tests/rules/<CODE>/snapshot.txt.
EXPECTED = [
    ("MC102", "fail_conv_head_sigmoid.py", 7, "error"),  # Conv2D(10, 1) -> GAP -> sigmoid under CCE
    ("MC102", "fail_sigmoid_sparse.py", 8, "error"),  # sigmoid(5) under sparse CCE
    ("MC102", "fail_softmax_three_units_bce.py", 10, "error"),  # 3-way softmax under BCE
    ("MC104", "fail_dense_batchnorm_dropout_dense.py", 8, "warning"),  # Dense -> BN -> Dropout -> Dense
    ("MC105", "fail_flatten_over_densenet.py", 7, "warning"),  # 7*7*1024 * 512
    ("MC105", "fail_flatten_over_xception.py", 9, "warning"),  # 10*10*2048 * 256
    ("MC107", "fail_sigmoid_bce_categorical_folders.py", 12, "error"),
    ("MC107", "fail_sigmoid_bce_int_labels.py", 12, "error"),
    ("MC108", "fail_huber_class_labels.py", 12, "error"),
    ("MC108", "fail_mse_softmax.py", 10, "error"),
    ("MC202", "fail_cut_inside_block_info.py", 12, "info"),  # the TF tutorial's fine_tune_at = 100
    ("MC202", "fail_cut_with_batchnorm_training.py", 11, "warning"),
    ("MC202", "fail_head_layer_frozen.py", 9, "error"),
    ("MC205", "fail_trainable_from_first_fit_info.py", 6, "info"),
    ("MC205", "fail_two_stage_sequential.py", 6, "warning"),
    ("MC207", "fail_adadelta_default.py", 6, "warning"),
    ("MC207", "fail_adam_learning_rate_0_1.py", 6, "warning"),
    ("MC207", "fail_sgd_learning_rate_1.py", 6, "warning"),
    ("MC303", "fail_config_rescale_after_preprocessing.yaml", 19, "error"),  # training config
    ("MC303", "fail_rescale_after_preprocess_input.py", 6, "error"),
    ("MC306", "fail_raw_dataset_weights_none_backbone.py", 4, "warning"),
    ("MC306", "fail_raw_pixels_from_scratch.py", 5, "warning"),
    ("MC402", "fail_checkpoint_weights_only_h5.py", 3, "warning"),
    ("MC402", "fail_class_weight_auto.py", 1, "warning"),
    ("MC402", "fail_decay.py", 3, "warning"),
]


def test_messages_say_what_happens_on_keras3():
    [decay] = [f for f in check_paths([str(CASES / "MC402" / "fail_decay.py")]).findings if f.code == "MC402"]
    assert "ignored" in decay.message and "InverseTimeDecay" in decay.message and "was removed" not in decay.message
    [flat] = [f for f in check_paths([str(CASES / "MC105" / "fail_flatten_over_xception.py")]).findings if f.code == "MC105"]
    assert "204,800 values" in flat.message and "52,429,056 parameters" in flat.message


def test_first_sentence_of_new_messages_reads_on_its_own():
    for code, name, _, _ in EXPECTED:
        for finding in check_paths([str(CASES / code / name)]).findings:
            if finding.code in ("MC107", "MC108", "MC207", "MC306"):
                first = finding.message.split(". ")[0]
                assert len(first) <= 100, finding.message


# -- guides ----------------------------------------------------------------------------------


@pytest.mark.parametrize("guide", sorted(GUIDES.glob("*.py")), ids=lambda p: p.stem)
def test_scripts_in_the_style_of_the_official_guides_give_no_error_or_warning(guide):
    result = check_paths([str(guide)])
    loud = [(f.code, f.location.line, f.message) for f in result.findings if f.severity >= Severity.WARNING]
    assert loud == []
    info = [(f.code, f.location.line) for f in result.findings]
    if guide.stem == "tf_transfer_learning_mobilenet_v2":
        assert info == [("MC202", 42)]  # fine_tune_at = 100 cuts block_11: advice only
    else:
        assert info == []


# -- MC201 on model files: BatchNormalization statistics ---------------------------------------

_BUILD = textwrap.dedent(
    """
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    flavor, out = sys.argv[1], sys.argv[2]
    keras = __import__("keras" if flavor == "keras3" else "tf_keras")
    for trained in (False, True):
        base = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.35)
        base.trainable = False
        if trained:  # what ImageNet weights (or any training) leave in the statistics
            bn = [l for l in base.layers if type(l).__name__ == "BatchNormalization"][0]
            gamma, beta, mean, var = bn.get_weights()
            bn.set_weights([gamma, beta, mean + 0.25, var * 2.0])
        inputs = keras.Input((32, 32, 3))
        x = keras.layers.Rescaling(1.0 / 255)(inputs)
        x = base(x, training=False)
        x = keras.layers.GlobalAveragePooling2D()(x)
        model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
        name = "trained" if trained else "untrained"
        model.save(os.path.join(out, f"{flavor}_{name}.h5"))
        if flavor == "keras3":
            model.save(os.path.join(out, f"{flavor}_{name}.keras"))
    """
)


@pytest.fixture(scope="module")
def bn_models(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bn_models")
    for flavor in ("keras3", "keras2"):
        subprocess.run([sys.executable, "-c", _BUILD, flavor, str(out)], check=True, capture_output=True,
                       env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=600)
    return out


@pytest.mark.parametrize("name", ["keras3_untrained.keras", "keras3_untrained.h5", "keras2_untrained.h5"])
def test_frozen_backbone_never_trained_is_weights_none_and_gets_no_mc201(bn_models, name):
    result = check_paths([str(bn_models / name)])
    [backbone] = result.setups[0].model.backbones
    assert (backbone.name, backbone.weights) == ("MobileNetV2", "none")
    assert "MC201" not in [f.code for f in result.findings]


@pytest.mark.parametrize("name", ["keras3_trained.keras", "keras3_trained.h5", "keras2_trained.h5"])
def test_frozen_backbone_with_trained_statistics_still_gets_mc201(bn_models, name):
    result = check_paths([str(bn_models / name)])
    [backbone] = result.setups[0].model.backbones
    assert backbone.weights == "inferred"
    [finding] = [f for f in result.findings if f.code == "MC201"]
    assert finding.location.layer == "rescaling" or finding.location.layer.startswith("rescaling")


def test_damaged_weights_never_break_the_read(bn_models, tmp_path):
    """Bytes flipped all over the weights member: the statistics become unknown or wrong, the
    model is still read (config.json is intact) and nothing raises."""
    from modelcheck.readers.model.weight_stats import _stored_member

    source = bn_models / "keras3_untrained.keras"
    start, size = _stored_member(str(source))
    data = source.read_bytes()
    for step in range(40):
        damaged = bytearray(data)
        at = start + (step * 7919) % min(size, 4096) if step % 2 else start + (step * 104_729) % size
        damaged[at] ^= 0xFF
        damaged[at + 1 : at + 9] = b"\xff" * 8
        target = tmp_path / f"damaged_{step}.keras"
        target.write_bytes(bytes(damaged))
        result = check_paths([str(target)])
        assert [f.code for f in result.findings if f.code == "MC001"] == []
        [backbone] = result.setups[0].model.backbones
        assert backbone.weights in ("none", "inferred")


def test_tiny_hdf5_reads_what_h5py_reads(bn_models):
    import io
    import zipfile

    from modelcheck.readers.model.tiny_hdf5 import TinyHDF5

    data = zipfile.ZipFile(bn_models / "keras3_trained.keras").read("model.weights.h5")
    reader = TinyHDF5.open(io.BytesIO(data), len(data))
    mean = reader.read_floats("layers/functional/layers/batch_normalization/vars/2")
    variance = reader.read_floats("layers/functional/layers/batch_normalization/vars/3")
    assert set(mean) == {0.25} and set(variance) == {2.0} and len(mean) == 16
    assert reader.read_floats("layers/functional/layers/no_such_layer/vars/2") is None
    assert TinyHDF5.open(io.BytesIO(b"not hdf5" * 10), 80) is None
