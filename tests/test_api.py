"""The Python API: modelcheck.check() on live Keras models, paths and lists, and its Report."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from modelcheck.engine import report
from modelcheck.findings import Severity
from modelcheck.ir import Location
from modelcheck.settings import Settings

EXAMPLE = "examples/seed000/train_functional.py"


def test_import_stays_light_and_checking_a_path_imports_no_keras():
    code = (
        "import sys, json\n"
        "import modelcheck\n"
        "light = sorted(m for m in sys.modules if m.startswith('modelcheck.'))\n"
        f"report = modelcheck.check({EXAMPLE!r})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'jax', 'torch'))\n"
        "print(json.dumps({'light': light, 'heavy': heavy, 'codes': report.codes}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["light"] == []  # `import modelcheck` loads nothing but the package itself
    assert outcome["heavy"] == []
    assert "MC101" in outcome["codes"]


def test_paths_lists_and_directories(monkeypatch):
    import modelcheck

    monkeypatch.chdir(ROOT)
    one = modelcheck.check(EXAMPLE, config=Settings())
    hidden = [f for f in one.findings if f.code == "MC101"]
    assert [(f.location.path, f.location.line, f.location.column) for f in hidden] == [(EXAMPLE, 28, 5)]
    assert not one.ok and one.files == 1

    both = modelcheck.check([EXAMPLE, "examples/seed001/train.py"], config=Settings())
    assert {f.location.path for f in both.findings} == {EXAMPLE, "examples/seed001/train.py"}
    assert both.files == 2
    folder = modelcheck.check(ROOT / "examples" / "seed000", config=Settings(select=("MC101",)))
    assert folder.codes == ["MC101"] and folder.files == 4  # three scripts and a notebook

    document = json.loads(one.to_json())
    assert document["version"] == 1 and document["summary"]["findings"] == len(one.findings)
    sarif = json.loads(one.to_sarif())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == set(one.codes)
    assert "28 | x = Dense(256, activation='softmax')(x)" in str(one)  # console text with the excerpt


def test_data_directory_joins_a_script_without_a_pipeline(tmp_path, monkeypatch):
    import modelcheck

    for name in ("a", "b", "c", "d", "e"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(ROOT)
    script = "examples/seed003/train_vgg.py"  # Dense(3, activation='softmax'), no data pipeline in the script
    assert "MC103" not in modelcheck.check(script, config=Settings()).codes
    joined = modelcheck.check(script, data=str(tmp_path), config=Settings())
    (finding,) = [f for f in joined.findings if f.code == "MC103"]
    assert finding.location.path == script


def test_report_renders_escaped_html_and_rich():
    from modelcheck.api import Report

    bad = report("MC101", "layer '<script>alert(1)</script>' is hidden & soft", Location("t.py", line=3, column=1), "Use 'relu' <b>")
    info = report("MC002", "nothing here", Location("u.py"))
    shown = Report((bad, info), fail_on=Severity.ERROR, files=2)
    html_text = shown._repr_html_()
    assert "<script>" not in html_text and "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert "&amp; soft" in html_text and "Use &#x27;relu&#x27; &lt;b&gt;" in html_text
    assert "MC101" in html_text and "t.py:3:1" in html_text and ">error<" in html_text
    assert not shown.ok and Report((info,), fail_on=Severity.WARNING).ok
    assert "MC101" in repr(shown) and "failing" in repr(shown)

    from rich.console import Console

    console = Console(record=True, width=200, color_system=None)
    console.print(shown)
    text = console.export_text()
    assert "MC101" in text and "hint: Use 'relu' <b>" in text and "2 problems (1 error, 1 info)" in text
    assert "All checks passed" in Report(()).summary() and "All checks passed" in Report(())._repr_html_()


def test_bad_input_types():
    import modelcheck

    with pytest.raises(TypeError):
        modelcheck.check(42)
    with pytest.raises(TypeError):
        modelcheck.check(EXAMPLE, config=3.5)


# --- live models -----------------------------------------------------------------------------

def _cnn(keras, hidden: str = "softmax", units: int = 5, name: str = "cnn"):
    layers = keras.layers
    return keras.Sequential(
        [keras.Input((32, 32, 3)), layers.Conv2D(4, 3, activation="relu"), layers.GlobalAveragePooling2D(),
         layers.Dense(16, activation=hidden, name="hidden_dense"), layers.Dense(units, activation="softmax", name="out")],
        name=name,
    )


def test_live_model_with_a_hidden_softmax_in_a_notebook(keras):
    import modelcheck

    model = _cnn(keras)
    result = modelcheck.check(model, config=Settings())
    (finding,) = [f for f in result.findings if f.code == "MC101"]
    assert finding.location.layer == "hidden_dense" and "'hidden_dense'" in finding.message
    assert finding.location.path == "<live model 'cnn'>"
    html_text = result._repr_html_()
    assert "MC101" in html_text and "hidden_dense" in html_text
    assert result.setups[0].kind == "live" and result.setups[0].compile is None  # not compiled yet: no Compile
    assert modelcheck.check(_cnn(keras, "relu"), config=Settings()).ok


def test_live_compile_trainable_flags_and_input_shape(keras):
    import modelcheck

    layers = keras.layers
    base = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(4, 3, name="conv_a"), layers.Conv2D(4, 3, name="conv_b")], name="base")
    base.trainable = False
    base.layers[1].trainable = True  # its own flag says trainable; inside a frozen container it is frozen in effect
    inputs = keras.Input((32, 32, 3))
    x = layers.GlobalAveragePooling2D()(base(inputs))
    outputs = layers.Dense(3, activation="softmax", name="out")(x)
    model = keras.Model(inputs, outputs, name="wrapped")
    model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True), optimizer=keras.optimizers.SGD(learning_rate=0.05),
                  metrics=["accuracy"])
    setup = modelcheck.check(model, config=Settings()).setups[0]
    compiled = setup.compile
    assert compiled.loss.name == "categorical_crossentropy" and compiled.loss.from_logits is True
    assert compiled.optimizer.class_name == "SGD" and compiled.optimizer.learning_rate == pytest.approx(0.05)
    assert compiled.metrics == ("accuracy",)
    flags = {layer.name: layer.trainable for _, layer in setup.model.walk()}
    assert base.layers[1].trainable is True and flags["conv_a"] is False and flags["conv_b"] is False
    assert flags["out"] is True
    assert setup.model.input_shapes == ((32, 32, 3),)
    codes = modelcheck.check(model, config=Settings()).codes
    assert "MC102" in codes  # softmax output under from_logits=True, read from the live loss object


def test_live_model_joined_with_a_data_directory(tmp_path, keras):
    import modelcheck

    for name in ("a", "b", "c", "d", "e"):
        (tmp_path / name).mkdir()
    model = _cnn(keras, "relu", units=3)
    result = modelcheck.check(model, data=tmp_path, config=Settings())
    (finding,) = [f for f in result.findings if f.code == "MC103"]
    assert "5" in finding.message and "3" in finding.message
    labels = modelcheck.check(model, data=(__import__("numpy").zeros((4, 32, 32, 3)), __import__("numpy").eye(3)[[0, 1, 2, 0]]),
                              config=Settings())
    assert "MC103" not in labels.codes


def test_subclassed_model_without_a_layer_graph_stays_silent_on_the_head(keras):
    import modelcheck

    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden = keras.layers.Dense(8, activation="softmax", name="h")
            self.out = keras.layers.Dense(3, activation="softmax", name="o")

        def call(self, x):
            return self.out(self.hidden(x))

    net = Net()
    net(keras.ops.zeros((1, 4)))
    net.compile(loss="categorical_crossentropy", optimizer="adam")
    result = modelcheck.check(net, config=Settings())
    assert [layer.name for layer in result.setups[0].model.layers] == ["h", "o"]
    assert result.setups[0].compile.loss.name == "categorical_crossentropy"
    assert "MC101" not in result.codes  # call order unknown: which layer is the output is not guessed


@pytest.mark.tf
def test_tf_keras_models_are_read_too():
    import tf_keras

    import modelcheck

    layers = tf_keras.layers
    model = tf_keras.Sequential([tf_keras.Input((8, 8, 3)), layers.Flatten(), layers.Dense(8, activation="softmax", name="mid"),
                                 layers.Dense(5, activation="sigmoid", name="out")])
    model.compile(loss=tf_keras.losses.CategoricalCrossentropy(), optimizer=tf_keras.optimizers.SGD(0.01), metrics=["acc"])
    result = modelcheck.check(model, config=Settings())
    compiled = result.setups[0].compile
    assert (compiled.loss.name, compiled.optimizer.class_name, compiled.metrics) == ("categorical_crossentropy", "SGD", ("acc",))
    assert compiled.optimizer.learning_rate == pytest.approx(0.01)
    assert {"MC101", "MC102"} <= set(result.codes)
    assert result.setups[0].model.keras_version.startswith("2.")


def test_sarif_fingerprints_of_a_notebook_match_the_cli(tmp_path):
    import modelcheck
    from conftest import run_cli
    from notebook_factory import COMPILE, SMALL_CNN, code, write

    path = write(tmp_path / "small.ipynb", [code("import numpy as np"), code(SMALL_CNN), code(COMPILE)])
    api = json.loads(modelcheck.check(str(path), config=Settings()).to_sarif())
    cli = json.loads(run_cli("--format", "sarif", "--no-config", str(path)).stdout)

    def prints(log):
        return sorted((r["ruleId"], json.dumps(r["partialFingerprints"], sort_keys=True)) for r in log["runs"][0]["results"])

    assert prints(api) and prints(api) == prints(cli)
