"""Real training code as it is written (issue 13): several models per file, training in
functions nobody calls here, NumPy arrays, import spellings, loops over stages, guarded
resizing, legacy configuration calls, multi-output compiles, and an honest MC003 when the
reader does not follow something. Each test is a small script written for it, with the
exact (code, line) findings it must give and those it must not."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from modelcheck.readers.script.reader import read_script, read_script_setups
from modelcheck.runner import check_paths

ROOT = Path(__file__).resolve().parents[1]


def findings(tmp_path: Path, source: str, name: str = "train.py") -> set[tuple[str, int | None]]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return {(f.code, f.location.line) for f in check_paths([str(path)]).findings}


def line(source: str, snippet: str, nth: int = 1) -> int:
    hits = [i + 1 for i, text in enumerate(textwrap.dedent(source).splitlines()) if snippet in text]
    assert len(hits) >= nth, snippet
    return hits[nth - 1]


def codes(found: set[tuple[str, int | None]]) -> set[str]:
    return {code for code, _ in found}


# -- more than one model per file -----------------------------------------------------------------

TWO_MODELS = """\
from tensorflow import keras
from tensorflow.keras import layers

(x_train, y_train), _ = keras.datasets.mnist.load_data()
y_train = keras.utils.to_categorical(y_train, 10)

baseline = keras.Sequential([
    layers.Flatten(input_shape=(28, 28)),
    layers.Dense(128, activation="softmax"),
    layers.Dense(10, activation="softmax"),
])
baseline.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
baseline.fit(x_train / 255.0, y_train, epochs=2)

model = keras.Sequential([
    layers.Flatten(input_shape=(28, 28)),
    layers.Dense(128, activation="relu"),
    layers.Dense(10, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train / 255.0, y_train, epochs=2)
"""


def test_every_compiled_model_is_checked_at_its_own_lines(tmp_path):
    found = findings(tmp_path, TWO_MODELS)
    # The baseline's hidden softmax (first model) and the second model's sigmoid under
    # categorical cross-entropy: each at its own line, none of them swapped.
    assert found == {("MC101", line(TWO_MODELS, 'Dense(128, activation="softmax")')),
                     ("MC102", line(TWO_MODELS, 'Dense(10, activation="sigmoid")'))}


def test_each_setup_has_its_own_compile_and_fit():
    setups = read_script_setups("train.py", TWO_MODELS)
    assert [s.compile.location.line for s in setups] == [line(TWO_MODELS, "model.compile("), line(TWO_MODELS, "baseline.compile(")]
    assert [[f.location.line for f in s.fits] for s in setups] == [[line(TWO_MODELS, "model.fit(")], [line(TWO_MODELS, "baseline.fit(")]]
    assert read_script("train.py", TWO_MODELS).compile.location.line == line(TWO_MODELS, "model.compile(")


BUILT_TWICE = """\
from tensorflow import keras

def build():
    model = keras.Sequential([keras.layers.Dense(64, activation="softmax", input_shape=(8,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model

first = build()
first.fit(None, epochs=1)
second = build()
second.fit(None, epochs=1)
"""


def test_the_same_finding_from_two_setups_is_reported_once(tmp_path):
    assert len(read_script_setups("train.py", BUILT_TWICE)) == 2
    path = tmp_path / "train.py"
    path.write_text(BUILT_TWICE, encoding="utf-8")
    result = check_paths([str(path)])
    assert [(f.code, f.location.line) for f in result.findings] == [("MC101", line(BUILT_TWICE, "Dense(64"))]


def test_pipelines_belong_to_the_model_trained_on_them(tmp_path):
    source = """\
    from tensorflow import keras
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    scratch_gen = ImageDataGenerator(rescale=1 / 255.).flow_from_directory("data/train", target_size=(64, 64))
    scratch = keras.Sequential([keras.layers.Flatten(input_shape=(64, 64, 3)), keras.layers.Dense(2, activation="softmax")])
    scratch.compile(optimizer="adam", loss="categorical_crossentropy")
    scratch.fit(scratch_gen, epochs=1)

    raw_gen = ImageDataGenerator().flow_from_directory("data/train", target_size=(64, 64))
    other = keras.Sequential([keras.layers.Flatten(input_shape=(64, 64, 3)), keras.layers.Dense(2, activation="softmax")])
    other.compile(optimizer="adam", loss="categorical_crossentropy")
    other.fit(raw_gen, epochs=1)
    """
    setups = read_script_setups("train.py", textwrap.dedent(source))
    assert [[p.location.line for p in s.pipelines] for s in setups] == [[line(source, "raw_gen =")], [line(source, "scratch_gen =")]]


# -- training inside functions this file never calls -----------------------------------------------

ENTRY = """\
from tensorflow import keras
from tensorflow.keras import layers


def build(num_classes):
    return keras.Sequential([layers.Flatten(input_shape=(32, 32, 3)), layers.Dense(num_classes, activation="softmax")])


def train(args, lr=0.01):
    model = build(args.classes)
    model.add(layers.Activation("softmax"))
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(args.data, epochs=args.epochs)
"""


def test_an_uncalled_training_function_is_an_entry_point(tmp_path):
    found = findings(tmp_path, ENTRY)
    # Parameters are unknown (no MC103 on args.classes); the default lr and the layers are known.
    assert found == {("MC106", line(ENTRY, 'layers.Activation("softmax")'))}
    assert "MC002" not in codes(found)
    [setup] = read_script_setups("train.py", ENTRY)
    assert setup.compile.optimizer.learning_rate == 0.01 and setup.model.layers[1].units is None


def test_a_function_the_script_calls_is_not_run_again_as_an_entry_point():
    source = ENTRY + "\n\nclass Args:\n    classes = 3\n\nif __name__ == '__main__':\n    train(Args())\n"
    [setup] = read_script_setups("train.py", source)
    assert setup.compile.location.line == line(source, "model.compile(")


def test_a_builder_called_by_another_script_of_the_project_is_checked_through_it(tmp_path):
    (tmp_path / "nets.py").write_text(textwrap.dedent("""\
        from tensorflow import keras

        def small(n):
            return keras.Sequential([keras.layers.Dense(n, activation="softmax", input_shape=(4,))])

        def unused():
            return keras.Sequential([keras.layers.Dense(8, activation="softmax", input_shape=(4,)), keras.layers.Dense(2)])
        """), encoding="utf-8")
    (tmp_path / "train.py").write_text(
        "from nets import small\nmodel = small(3)\nmodel.compile(optimizer='adam', loss='categorical_crossentropy')\n", encoding="utf-8")
    result = check_paths([str(tmp_path)])
    nets = [s for s in result.setups if s.path.endswith("nets.py")]
    assert [s.model.location.line for s in nets] == [7]  # only `unused`, which nobody calls
    assert {(f.code, Path(f.location.path).name, f.location.line) for f in result.findings} == {("MC101", "nets.py", 7)}


# -- NumPy arrays instead of generators --------------------------------------------------------------

CIFAR = """\
from tensorflow import keras
from tensorflow.keras.applications import ResNet50
from tensorflow.keras.applications.resnet50 import preprocess_input

(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
PREPARE
base = ResNet50(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
base.trainable = False
inputs = keras.Input(shape=(32, 32, 3))
x = base(inputs, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
outputs = keras.layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=3, validation_data=(x_test, y_test))
"""


def test_raw_cifar_arrays_into_a_pretrained_resnet50_are_mc201(tmp_path):
    source = CIFAR.replace("PREPARE\n", "")
    assert findings(tmp_path, source) == {("MC201", line(source, "load_data()"))}


def test_arrays_already_preprocess_input_ed_are_not_mc201(tmp_path):
    source = CIFAR.replace("PREPARE", "x_train = preprocess_input(x_train.astype('float32'))\nx_test = preprocess_input(x_test.astype('float32'))")
    assert findings(tmp_path, source) == set()


def test_arrays_divided_by_255_are_unit_range(tmp_path):
    source = CIFAR.replace("PREPARE", "x_train = x_train.astype('float32') / 255\nx_test = x_test / 255.0")
    assert findings(tmp_path, source) == {("MC201", line(source, "x_train = x_train.astype"))}
    [train] = [p for p in read_script("train.py", textwrap.dedent(source)).pipelines if p.role == "train"]
    assert (train.source, train.scaling.kind, train.scaling.mode()) == ("arrays", "rescale", "unit")


def test_preprocess_input_before_image_data_generator_flow(tmp_path):
    source = CIFAR.replace("PREPARE", "x_train = preprocess_input(x_train)\nx_test = preprocess_input(x_test)\n"
                                      "flow = keras.preprocessing.image.ImageDataGenerator(horizontal_flip=True).flow(x_train, y_train)")
    source = source.replace("model.fit(x_train, y_train,", "model.fit(flow,")
    assert findings(tmp_path, source) == set()
    source = source.replace("x_train = preprocess_input(x_train)\n", "")
    # Raw arrays through a generator that only flips: MC201 at the flow, and MC303 as the
    # validation arrays (preprocess_input-ed) differ from them.
    assert findings(tmp_path, source) == {("MC201", line(source, "flow = ")), ("MC303", line(source, "x_test = preprocess_input"))}


def test_np_load_arrays_have_unknown_scaling(tmp_path):
    source = """\
    import numpy as np
    from tensorflow import keras
    x = np.load("x.npy")
    model = keras.Sequential([keras.layers.Flatten(input_shape=(32, 32, 3)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, None, validation_data=(x / 255.0, None))
    """
    [train, validation] = read_script("train.py", textwrap.dedent(source)).pipelines
    assert (train.role, train.source, train.scaling.kind) == ("train", "arrays", "unknown")
    assert (validation.role, validation.scaling.kind) == ("validation", "unknown")
    assert findings(tmp_path, source) == set()


def test_test_arrays_scaled_unlike_the_training_arrays_are_mc303(tmp_path):
    source = """\
    from tensorflow import keras
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train / 255
    model = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=1)
    model.evaluate(x_test, y_test)
    """
    assert findings(tmp_path, source) == {("MC303", line(source, "load_data()"))}
    fixed = source.replace("x_train = x_train / 255", "x_train, x_test = x_train / 255, x_test / 255")
    assert findings(tmp_path, fixed) == set()


# -- import spellings ----------------------------------------------------------------------------------

HIDDEN_SOFTMAX = """\
model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(128, activation="softmax"),
    tf.keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy")
"""


@pytest.mark.parametrize("imports", ["import tensorflow.compat.v1 as tf\n", "import tensorflow.compat.v2 as tf\n",
                                     "import tensorflow as tf\n"])
def test_tensorflow_compat_imports_are_keras(tmp_path, imports):
    source = imports + HIDDEN_SOFTMAX
    assert findings(tmp_path, source) == {("MC101", line(source, "Dense(128"))}


@pytest.mark.parametrize("imports", ["from tensorflow.python.keras.models import Sequential\nfrom tensorflow.python.keras.layers import Dense, Flatten\n",
                                     "from keras.models import Sequential\nfrom keras.layers import *\n"])
def test_python_keras_and_star_imports_are_keras(tmp_path, imports):
    source = imports + HIDDEN_SOFTMAX.replace("tf.keras.Sequential", "Sequential").replace("tf.keras.layers.", "")
    assert findings(tmp_path, source) == {("MC101", line(source, "Dense(128"))}


STAR_UNKNOWN = """\
from keras.models import Sequential
from keras.layers import Dense, Activation
from mylayers import *

model = Sequential()
model.add(Conv1D(32, 2, input_shape=(32, 1)))
model.add(Activation("relu"))
model.add(Conv1D(32, 2))
model.add(Activation("relu"))
model.add(Conv1D(32, 2))
model.add(Activation("relu"))
model.add(Dense(10, activation="softmax"))
model.add(Activation("softmax"))
model.compile(optimizer="adam", loss="categorical_crossentropy")
"""


def test_names_from_an_unknown_star_import_keep_the_chain_unknown(tmp_path):
    # The Conv1D layers are unknown, not dropped: the relu activations are not adjacent
    # (no MC106 there), while the known softmax pair still is.
    assert findings(tmp_path, STAR_UNKNOWN) == {("MC106", line(STAR_UNKNOWN, 'model.add(Activation("softmax"))'))}
    setup = read_script("train.py", STAR_UNKNOWN)
    assert [layer.class_name for layer in setup.model.layers][:3] == ["Unknown", "Activation", "Unknown"]


def test_a_layer_added_on_some_paths_only_is_unknown(tmp_path):
    source = STAR_UNKNOWN.replace("from mylayers import *\n", "from keras.layers import BatchNormalization\nimport sys\n")
    source = source.replace("model.add(Conv1D(32, 2))", "if len(sys.argv) > 1:\n    model.add(BatchNormalization())")
    source = source.replace("model.add(Conv1D(32, 2, input_shape=(32, 1)))", "model.add(Dense(32, input_shape=(32,)))")
    assert findings(tmp_path, source) == {("MC106", line(source, 'model.add(Activation("softmax"))'))}


# -- loops over stages -------------------------------------------------------------------------------

STAGES = """\
from tensorflow import keras

base = keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
inputs = keras.Input(shape=(224, 224, 3))
x = keras.applications.vgg16.preprocess_input(inputs)
x = base(x, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
outputs = keras.layers.Dense(5, activation="softmax")(x)
model = keras.Model(inputs, outputs)
train_ds = keras.utils.image_dataset_from_directory("data/train", image_size=(224, 224), label_mode="categorical")
for lr, n_frozen in [(1e-3, 19), (LATE_LR, 15)]:
    for layer in base.layers[:n_frozen]:
        layer.trainable = False
    for layer in base.layers[n_frozen:]:
        layer.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_ds, epochs=3)
"""


def test_a_correct_two_stage_fine_tune_in_a_loop_is_not_mc206(tmp_path):
    source = STAGES.replace("LATE_LR", "1e-5")
    assert findings(tmp_path, source) == set()
    setup = read_script("train.py", source)
    assert [c.optimizer.learning_rate for c in setup.compiles] == [1e-3, 1e-5]
    assert len(setup.fits) == 2
    assert [op.trainable for op in setup.freeze_ops] == [False, False, True]


def test_a_wrong_second_stage_in_a_loop_is_mc206(tmp_path):
    source = STAGES.replace("LATE_LR", "1e-3")
    assert findings(tmp_path, source) == {("MC206", line(source, "model.compile("))}


def test_a_loop_repeating_the_same_call_records_it_once():
    source = "import keras\nm = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])\nm.compile(loss='mse')\nfor i in range(50):\n    m.train_on_batch(None, None)\n"
    assert len(read_script("train.py", source).fits) == 1


# -- guards and re-shaping ---------------------------------------------------------------------------

GUARD = """\
import numpy as np
from PIL import Image
from tensorflow import keras

train = keras.preprocessing.image.ImageDataGenerator(rescale=1.0 / 255).flow_from_directory("data", target_size=(224, 224))
model = keras.Sequential([keras.layers.Flatten(input_shape=(224, 224, 3)), keras.layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(train, epochs=1)
img = Image.open("x.jpg")
if img.size != (224, 224):
    img = img.resize((224, 224))
x = np.expand_dims(np.array(img) / 255.0, 0)
print(model.predict(x))
"""


def test_a_guarded_resize_is_not_not_resized(tmp_path):
    assert findings(tmp_path, GUARD) == set()
    predict = read_script("train.py", GUARD).pipeline("predict")
    assert (predict.resized, predict.target_size, predict.scaling.kind) == (None, None, "rescale")
    # What the branches agree on is still known: the scaling.
    unscaled = GUARD.replace("np.array(img) / 255.0", "np.array(img)")
    assert findings(tmp_path, unscaled) == {("MC303", line(unscaled, "img = Image.open"))}


def test_a_conditional_cv2_resize_is_not_not_resized(tmp_path):
    source = GUARD.replace("from PIL import Image", "import cv2").replace('img = Image.open("x.jpg")', 'img = cv2.cvtColor(cv2.imread("x.jpg"), cv2.COLOR_BGR2RGB)')
    source = source.replace("if img.size != (224, 224):\n    img = img.resize((224, 224))", "if img.shape[0] != 224:\n    img = cv2.resize(img, (224, 224))")
    assert findings(tmp_path, source) == set()


def test_a_sequential_block_applied_to_pixels_is_not_a_prediction(tmp_path):
    source = """\
    import tensorflow as tf
    from tensorflow import keras

    train = keras.utils.image_dataset_from_directory("data", image_size=(224, 224))
    augment = keras.Sequential([keras.layers.RandomFlip("horizontal")])
    identity = keras.Sequential([])
    train = train.map(lambda x, y: (identity(augment(x)), y))
    prep = keras.Sequential([keras.layers.Lambda(lambda t: t)])
    train = train.map(lambda x, y: (prep(x), y))
    model = keras.Sequential([keras.layers.Rescaling(1 / 255.), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(train, epochs=1)
    """
    setup = read_script("train.py", textwrap.dedent(source))
    assert [p.role for p in setup.pipelines] == ["train"]
    assert findings(tmp_path, source) == set()


# -- legacy configuration calls ------------------------------------------------------------------------

CHANNELS_FIRST = """\
from keras import backend as K
from keras.applications import VGG16
from keras.layers import Dense, Flatten
from keras.models import Model

SETTING
base = VGG16(weights="imagenet", include_top=False, input_shape=(3, 224, 224))
base.trainable = False
out = Dense(5, activation="softmax")(Flatten()(base.output))
model = Model(inputs=base.input, outputs=out)
model.compile(optimizer="adam", loss="categorical_crossentropy")
"""


def test_set_image_data_format_channels_first_is_known_to_mc204(tmp_path):
    source = CHANNELS_FIRST.replace("SETTING", "K.set_image_data_format('channels_first')")
    assert findings(tmp_path, source) == set()
    plain = CHANNELS_FIRST.replace("SETTING\n", "")
    assert findings(tmp_path, plain) == {("MC204", line(plain, "base = VGG16("))}


def test_set_image_dim_ordering_th_is_known_to_mc204(tmp_path):
    source = CHANNELS_FIRST.replace("SETTING", "K.set_image_dim_ordering('th')")
    assert findings(tmp_path, source) == {("MC402", line(source, "set_image_dim_ordering"))}


def test_image_data_format_and_floatx_calls():
    source = ("import keras\nfrom keras import backend as K\nK.set_floatx('float16')\nK.set_image_data_format('channels_first')\n"
              "shape = (3, 8, 8) if K.image_data_format() == 'channels_first' else (8, 8, 3)\n"
              "m = keras.Sequential([keras.layers.Conv2D(4, 3, input_shape=shape)])\n")
    setup = read_script("train.py", source)
    assert setup.model.input_shapes == ((3, 8, 8),)
    assert setup.model.layers[0].config["data_format"] == "channels_first"


# -- multi-output models ---------------------------------------------------------------------------

MULTI = """\
from tensorflow import keras
from tensorflow.keras import layers

inputs = keras.Input(shape=(64, 64, 3))
x = layers.GlobalAveragePooling2D()(layers.Conv2D(16, 3, activation="relu")(inputs))
age = layers.Dense(10, activation="softmax", name="age")(x)
gender = layers.Dense(2, activation="softmax", name="gender")(x)
model = keras.Model(inputs, [age, gender])
model.compile(optimizer="adam", loss={"age": "categorical_crossentropy", "gender": "categorical_crossentropy"},
              metrics=METRICS)
cb = keras.callbacks.EarlyStopping(monitor="MONITOR")
model.fit(None, epochs=2, validation_split=0.1, callbacks=[cb])
"""


@pytest.mark.parametrize("metrics,monitor", [('{"age": "accuracy", "gender": "accuracy"}', "val_age_accuracy"),
                                             ('["accuracy"]', "val_gender_accuracy"),
                                             ('["accuracy"]', "val_age_loss")])
def test_multi_output_metric_names_are_known_to_mc401(tmp_path, metrics, monitor):
    source = MULTI.replace("METRICS", metrics).replace("MONITOR", monitor)
    assert findings(tmp_path, source) == set()


def test_multi_output_unknown_monitor_is_mc401(tmp_path):
    source = MULTI.replace("METRICS", '{"age": "accuracy", "gender": "accuracy"}').replace("MONITOR", "val_accuracy")
    assert findings(tmp_path, source) == {("MC401", line(source, 'monitor="val_accuracy"'))}


# -- honesty: MC003 and deterministic budgets --------------------------------------------------------

BUDGET = """\
from tensorflow import keras

def f(n):
    if n == 0:
        return 1
    return f(n - 1) + f(n - 1)

total = f(15)
model = keras.Sequential([keras.layers.Dense(8, activation="softmax", input_shape=(4,)), keras.layers.Dense(2)])
"""


def test_a_statement_cut_by_the_step_budget_is_mc003_and_the_rest_is_still_checked(tmp_path):
    assert findings(tmp_path, BUDGET) == {("MC003", line(BUDGET, "total = f(15)")), ("MC101", line(BUDGET, "Dense(8"))}


def test_mc003_is_in_the_json_report(tmp_path, capsys):
    from modelcheck.cli import main

    path = tmp_path / "train.py"
    path.write_text(BUDGET, encoding="utf-8")
    main([str(path), "--format", "json", "--fail-on", "error"])
    report = json.loads(capsys.readouterr().out)
    items = report["findings"] if isinstance(report, dict) else report
    [gap] = [item for item in items if item["code"] == "MC003"]
    where = gap.get("location", gap)
    assert where["line"] == line(BUDGET, "total = f(15)")
    assert "step budget" in gap["message"] and "total" in gap["message"]


def test_the_budget_is_counted_in_steps_not_seconds():
    from modelcheck.readers.script.core import interpreter, values

    assert not hasattr(values, "MAX_SECONDS") and not hasattr(interpreter, "time")
    first = read_script("train.py", BUDGET)
    second = read_script("train.py", BUDGET)
    assert first.gaps == second.gaps and first.gaps[0].location.line == line(BUDGET, "total = f(15)")


def _own_scripts() -> list[Path]:
    folders = [ROOT / "tests" / "fixtures" / "scripts", ROOT / "examples"]
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def test_no_fixture_or_example_is_analysed_incompletely():
    scripts = _own_scripts()
    assert len(scripts) >= 10
    result = check_paths([str(p) for p in scripts])
    assert [f for f in result.findings if f.code == "MC003"] == []


# -- a name bound to different models on different paths ---------------------------------------------

CHOICE = """\
import os
from tensorflow import keras
from tensorflow.keras.preprocessing.image import ImageDataGenerator

def create():
    base = keras.applications.InceptionV3(include_top=False, weights="imagenet", input_shape=(299, 299, 3))
    x = keras.layers.GlobalAveragePooling2D()(base.output)
    return keras.Model(base.input, keras.layers.Dense(5, activation="softmax")(x))

if os.path.exists("model.h5"):
    model = keras.models.load_model("model.h5")
else:
    model = create()
model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
train = ImageDataGenerator(rescale=1. / 255).flow_from_directory("data", target_size=(299, 299))
model.fit(train, epochs=1)
"""


def test_a_model_chosen_at_run_time_is_checked_on_every_path(tmp_path):
    # On the path that builds the model, InceptionV3 gets [0, 1] pixels and is fine-tuned whole
    # at 1e-3; the loaded model is unknown and gives nothing.
    assert findings(tmp_path, CHOICE) == {("MC201", line(CHOICE, "rescale=1. / 255")), ("MC205", line(CHOICE, "base = ")),
                                          ("MC206", line(CHOICE, "model.compile("))}
    setups = read_script_setups("train.py", CHOICE)
    assert sorted(s.model is not None for s in setups) == [False, True]
    assert all(s.compile.location.line == line(CHOICE, "model.compile(") for s in setups)


def test_a_fix_uses_the_setup_of_the_model_the_finding_is_about(tmp_path, monkeypatch):
    from modelcheck.fix import fix_files

    source = """\
from tensorflow import keras
from tensorflow.keras.preprocessing.image import ImageDataGenerator

tl_gen = ImageDataGenerator(rescale=1. / 255).flow_from_directory("data", target_size=(224, 224))
base = keras.applications.VGG16(include_top=False, weights="imagenet", input_shape=(224, 224, 3))
base.trainable = False
tl = keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
tl.compile(optimizer="adam", loss="categorical_crossentropy")
tl.fit(tl_gen, epochs=1)

scratch_gen = ImageDataGenerator(rescale=1. / 255).flow_from_directory("data", target_size=(64, 64))
scratch = keras.Sequential([keras.layers.Flatten(input_shape=(64, 64, 3)), keras.layers.Dense(2, activation="softmax")])
scratch.compile(optimizer="adam", loss="categorical_crossentropy")
scratch.fit(scratch_gen, epochs=1)
"""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    result = check_paths(["train.py"])
    assert {(f.code, f.location.line) for f in result.findings} == {("MC201", line(source, "tl_gen = "))}
    # The primary setup is the scratch model (compiled last); the fix still finds the VGG16 one.
    assert result.setups[0].model.backbones == ()
    outcome = fix_files(result.findings, write=False, setups=result.setups)
    assert [a.finding.code for a in outcome.applied] == ["MC201"], outcome.skipped
    assert "preprocessing_function=preprocess_input" in outcome.diff and "scratch_gen" not in outcome.diff


def test_a_pipeline_only_a_backbone_runs_on_belongs_to_every_setup():
    source = """\
from tensorflow import keras
gen = keras.preprocessing.image.ImageDataGenerator(rescale=1 / 255.).flow_from_directory("data", target_size=(64, 64), class_mode=None)
base = keras.applications.VGG16(include_top=False, weights="imagenet", input_shape=(64, 64, 3))
features = base.predict(gen)
first = keras.Sequential([keras.layers.Flatten(input_shape=(2, 2, 512)), keras.layers.Dense(2, activation="softmax")])
first.compile(optimizer="adam", loss="categorical_crossentropy")
first.fit(features, None)
second = keras.Sequential([keras.layers.Flatten(input_shape=(2, 2, 512)), keras.layers.Dense(3, activation="softmax")])
second.compile(optimizer="adam", loss="categorical_crossentropy")
second.fit(features, None)
"""
    setups = read_script_setups("train.py", source)
    assert [[p.location.line for p in s.pipelines] for s in setups] == [[2], [2]]
