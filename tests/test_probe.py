"""The training probe (MC5xx) on small, fast models built here (32×32 inputs)."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from probe_cases import cnn, image_folders
from modelcheck.findings import Severity
from modelcheck.ir import (
    Backbone, Compile, FreezeOp, Fit, Layer, Location, Loss, ModelGraph, Optimizer, Pipeline, Scaling, TrainingSetup,
)

STEPS = 60


_cnn = functools.partial(cnn, name="cnn")


@pytest.fixture(scope="module")
def models(tmp_path_factory, keras) -> Path:
    out = tmp_path_factory.mktemp("probe_models")
    keras.utils.set_random_seed(0)
    healthy = _cnn(keras)
    healthy.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    healthy.save(out / "healthy.keras")
    hidden = _cnn(keras, "softmax")
    hidden.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    hidden.save(out / "hidden_softmax.keras")
    sgd = _cnn(keras)
    sgd.compile(optimizer=keras.optimizers.SGD(1e4), loss="categorical_crossentropy")
    sgd.save(out / "sgd_1e4.keras")
    frozen = _cnn(keras)
    frozen.trainable = False
    frozen.compile(optimizer="adam", loss="categorical_crossentropy")
    frozen.save(out / "all_frozen.keras")
    healthy.save(out / "healthy.h5")
    sigmoid = _cnn(keras, output="sigmoid")
    sigmoid.compile(optimizer="adam", loss="categorical_crossentropy")
    sigmoid.save(out / "sigmoid_categorical.keras")
    three = _cnn(keras, classes=3)
    three.compile(optimizer="adam", loss="categorical_crossentropy")
    three.save(out / "three_classes.keras")
    # A frozen nested "backbone" called in inference mode, and a trainable head: cacheable.
    backbone = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 3, activation="relu"),
                                 keras.layers.MaxPooling2D(4)], name="features")
    backbone.trainable = False
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Flatten()(backbone(inputs, training=False))
    x = keras.layers.Dense(64, activation="relu")(x)
    wrapped = keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(x))
    wrapped.compile(optimizer="adam", loss="categorical_crossentropy")
    wrapped.save(out / "frozen_features.keras")
    return out


@pytest.fixture(scope="module")
def canary_model(tmp_path_factory, keras) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("probe_canary")
    canary = out / "LAMBDA_RAN"
    body = f"lambda t: (open({str(canary)!r}, 'w').write('ran'), t)[1]"
    lam = eval(body)  # noqa: S307 - our own canary, built here on purpose
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Lambda(lam, name="canary"), keras.layers.Flatten(),
                              keras.layers.Dense(5, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.save(out / "lambda.keras")
    if canary.exists():
        canary.unlink()  # building traced the lambda once; start clean
    return out / "lambda.keras", canary


@pytest.fixture
def empty_weights_cache(tmp_path, monkeypatch) -> Path:
    """KERAS_HOME at an empty folder (a user's real cache never changes a verdict here); downloads fail."""
    home = tmp_path / "keras_home"
    (home / "models").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    return home / "models"


def _probe(path, **kwargs):
    from modelcheck.probe import probe

    return probe(path, steps=kwargs.pop("steps", STEPS), seconds=30, **kwargs)


def _codes(result) -> list[str]:
    return sorted({f.code for f in result.findings})


@pytest.mark.parametrize("name", ["healthy.keras", "healthy.h5"])
def test_healthy_model_passes(models, name, keras):
    result = _probe(models / name)
    assert not [f for f in result.findings if f.code.startswith("MC5") and f.severity == Severity.ERROR], result.findings
    main = result.trajectory("as written")
    assert main.final_loss < 0.5 * main.initial_loss
    assert result.backend == keras.backend.backend() and result.device
    assert main.movement and all(value > 0 for value in main.movement.values())


def test_hidden_softmax_cannot_overfit_and_ab_shows_both_curves(models):
    path = models / "hidden_softmax.keras"
    result = _probe(path)
    assert "MC502" in _codes(result), result.console_lines()
    finding = next(f for f in result.findings if f.code == "MC502")
    assert finding.location.path == str(path)
    assert "MC101" in finding.message
    written, fixed = result.trajectory("as written"), result.trajectory("with relu")
    assert written is not None and fixed is not None
    assert written.losses and fixed.losses
    assert fixed.final_loss < 0.5 * written.final_loss
    assert any(note.startswith("A/B MC101") for note in result.notes)
    document = json.loads(result.to_json())
    assert [run["label"] for run in document["trajectories"]] == ["as written", "with relu (MC101 fix)"]


def test_sigmoid_output_still_fits_and_ab_compares_softmax(models):
    result = _probe(models / "sigmoid_categorical.keras")
    assert "MC502" not in _codes(result), result.console_lines()
    fixed = result.trajectory("with softmax output")
    assert fixed is not None and fixed.losses, result.console_lines()


def test_huge_learning_rate_diverges(models):
    result = _probe(models / "sgd_1e4.keras")
    assert "MC504" in _codes(result), result.console_lines()
    assert "MC502" not in _codes(result)


def test_everything_frozen_is_reported(models):
    result = _probe(models / "all_frozen.keras", steps=20)
    codes = _codes(result)
    assert "MC506" in codes and "MC502" in codes, result.console_lines()
    main = result.trajectory("as written")
    assert not any(main.trainable.values())
    assert all(value == 0.0 for value in main.movement.values())


def test_lambda_file_is_refused_and_never_executed(canary_model):
    path, canary = canary_model
    result = _probe(path)
    assert _codes(result) == ["MC601"]
    assert "trust-model-code" in (result.findings[0].hint or "")
    assert not result.trajectories
    assert not canary.exists(), "the probe ran the Lambda's code"


def test_same_seed_same_verdict(models):
    first = _probe(models / "hidden_softmax.keras", seed=3)
    second = _probe(models / "hidden_softmax.keras", seed=3)
    assert _codes(first) == _codes(second)
    np.testing.assert_allclose(first.trajectories[0].losses, second.trajectories[0].losses, rtol=1e-4)


def test_real_images_from_a_data_directory(models, tmp_path):
    data = _image_folders(tmp_path / "train")
    result = _probe(models / "three_classes.keras", data=data)
    assert result.trajectory("as written").losses
    assert str(data) in result.data and "images" in result.data
    assert result.batch_size == 12 and result.num_classes == 3
    assert not [f for f in result.findings if f.severity == Severity.ERROR], result.findings


def test_frozen_prefix_is_cached(models):
    result = _probe(models / "frozen_features.keras")
    assert result.cache and result.cache_note.startswith("frozen prefix up to flatten"), result.cache_note
    main = result.trajectory("as written")
    frozen = [path for path in main.trainable if path.startswith("features/")]
    assert frozen and not any(main.trainable[path] for path in frozen)
    assert all(main.movement[path] == 0.0 for path in frozen)
    assert main.final_loss < 0.5 * main.initial_loss


def test_live_model_is_probed_on_a_clone(keras):
    from modelcheck.probe import probe

    model = _cnn(keras)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    result = probe(model, steps=20, seconds=30)
    assert result.trajectory("as written").steps_done > 0
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def _script_setup(path: str) -> TrainingSetup:
    """The IR a script reader makes of: freeze conv, compile, fit, unfreeze conv, fit (no recompile)."""
    layers = (
        Layer("input", "InputLayer", {"batch_shape": [None, 32, 32, 3]}),
        Layer("conv", "Conv2D", {"filters": 8, "kernel_size": 3, "activation": "relu"}, inbound=("input",)),
        Layer("pool", "MaxPooling2D", {"pool_size": 4}, inbound=("conv",)),
        Layer("flatten", "Flatten", {}, inbound=("pool",)),
        Layer("hidden", "Dense", {"units": 64, "activation": "relu"}, inbound=("flatten",)),
        Layer("out", "Dense", {"units": 5, "activation": "softmax"}, inbound=("hidden",), is_output=True),
    )
    graph = ModelGraph("net", "Functional", layers, input_shapes=((32, 32, 3),), output_names=("out",))
    return TrainingSetup(
        path=path, kind="script", model=graph,
        compiles=(Compile(Loss("categorical_crossentropy"), Optimizer("Adam", 1e-3), location=Location(path, line=5), order=2),),
        freeze_ops=(FreezeOp("model.layers[1]", False, ("conv",), order=1, location=Location(path, line=4)),
                    FreezeOp("model.layers[1]", True, ("conv",), order=4, location=Location(path, line=7))),
        fits=(Fit("fit", order=3, location=Location(path, line=6)), Fit("fit", order=5, location=Location(path, line=8))),
    )


@pytest.mark.tf
def test_script_setup_replays_a_trainable_change_keras_ignores(tmp_path):
    from modelcheck.probe import probe

    result = probe(_script_setup(str(tmp_path / "train.py")), steps=20, seconds=30)
    assert "MC506" in _codes(result), result.console_lines() + [f.message for f in result.findings]
    finding = next(f for f in result.findings if f.code == "MC506")
    assert "conv" in finding.message and "compile()" in finding.message
    assert finding.location.path == str(tmp_path / "train.py")


def _image_folders(root: Path) -> Path:
    return image_folders(root, classes=3, per_class=4, size=12)


@pytest.mark.tf
def test_script_with_pretrained_backbone_and_wrong_scaling(tmp_path, empty_weights_cache):
    """A script's IR: frozen MobileNetV2(weights='imagenet') fed rescale=1/255 images, no weights in the cache.

    The probe rebuilds it with random weights: MC508 from the measured inputs, MC510 (never MC502)
    for the learning verdict, and no MC201 A/B run (on random features it would mislead).
    """
    from modelcheck.engine import report
    from modelcheck.probe import probe_setup

    path = str(tmp_path / "train.py")
    data = _image_folders(tmp_path / "data")
    layers = (
        Layer("input_layer", "InputLayer", {"batch_shape": [None, 32, 32, 3]}),
        Layer("mobilenetv2", "Functional", {}, inbound=("input_layer",), trainable=False, call_training=False),
        Layer("pool", "GlobalAveragePooling2D", {}, inbound=("mobilenetv2",)),
        Layer("out", "Dense", {"units": 3, "activation": "softmax"}, inbound=("pool",), is_output=True),
    )
    backbone = Backbone("MobileNetV2", weights="imagenet", include_top=False, nested_as="mobilenetv2", input_shape=(32, 32, 3))
    graph = ModelGraph("net", "Functional", layers, input_shapes=((32, 32, 3),), output_names=("out",), backbones=(backbone,))
    setup = TrainingSetup(
        path=path, kind="script", model=graph,
        compiles=(Compile(Loss("categorical_crossentropy"), Optimizer("Adam", 1e-3), location=Location(path, line=9)),),
        pipelines=(Pipeline("train", scaling=Scaling("rescale", factor=1 / 255), directory=str(data), class_mode="categorical"),),
        fits=(Fit("fit", location=Location(path, line=12)),),
    )
    static = [report("MC201", "rescale=1/255 into MobileNetV2", Location(path, line=5))]
    result = probe_setup(setup, static, steps=20, seconds=30)
    codes = _codes(result)
    assert codes == ["MC508", "MC510"], result.console_lines()
    message = next(f.message for f in result.findings if f.code == "MC508")
    assert "MobileNetV2" in message and "[0, 1]" in message
    inconclusive = next(f for f in result.findings if f.code == "MC510")
    assert inconclusive.severity == Severity.INFO and inconclusive.location == Location(path, line=12)
    assert "MobileNetV2" in inconclusive.message and "random weights" in inconclusive.message
    assert "--probe-weights download" in inconclusive.hint
    assert result.weights.startswith("MobileNetV2: random weights (mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5 is not in ")
    assert result.cache and result.data.startswith("12 images")
    assert [run.label for run in result.trajectories] == ["as written"]
    assert any(note.startswith("MC201: A/B skipped: MobileNetV2 has random weights") for note in result.notes), result.notes


def test_importing_the_probe_imports_no_keras():
    code = (
        "import sys, json\n"
        "import modelcheck.probe, modelcheck.probe.cli_hook, modelcheck.probe.report, modelcheck.probe.verdict\n"
        "import modelcheck.probe.build, modelcheck.probe.data, modelcheck.probe.run, modelcheck.probe.cache\n"
        "import modelcheck.probe.ab, modelcheck.probe.session, modelcheck.probe.expected, modelcheck.probe.rebuild\n"
        "import argparse\n"
        "parser = argparse.ArgumentParser(); modelcheck.probe.cli_hook.add_probe_arguments(parser)\n"
        "args = parser.parse_args(['--probe-steps', '5'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'jax', 'torch', 'tf_keras'))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_cli_hook_probes_each_model_setup(models, tmp_path):
    import argparse

    from modelcheck.probe.cli_hook import add_probe_arguments, run_probe
    from modelcheck.runner import Result

    parser = argparse.ArgumentParser()
    add_probe_arguments(parser)
    args = parser.parse_args(["--probe", "--probe-steps", "20", "--probe-plot", str(tmp_path / "curves.png")])
    path = str(models / "all_frozen.keras")
    # What the runner hands over for a model file (the static reader's graph is not needed here).
    result = Result(setups=[TrainingSetup(path=path, kind="model", model=ModelGraph("all_frozen", "Sequential", ()))],
                    files=[path])
    findings, reports = run_probe(args, result)
    assert len(reports) == 1 and "MC506" in {f.code for f in findings}
    assert reports[0].steps == 20
    assert (tmp_path / "curves.png").exists() or any("matplotlib" in note for note in reports[0].notes)
    off = parser.parse_args([])
    assert run_probe(off, result) == ([], [])
