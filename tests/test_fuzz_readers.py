"""Property tests for every reader: whatever the input, a setup or an MC001/MC002 finding.

Bounded so that the file runs in well under a minute. For a long session:

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz_readers.py

(see docs/fuzzing.md). Every property also checks that nothing ran: neither the
Lambda canary of the fixture models nor the file the fuzzed `touch PAYLOAD`
snippets would create may appear.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, hang_guard

pytestmark = pytest.mark.fuzz
# The properties that take several seconds each are also marked slow, so that the fast lane
# (-m "not tf and not slow") keeps the quick ones.
slow = pytest.mark.slow

# --- profiles -----------------------------------------------------------------------------------

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "fuzz-short")
SCALE = {"long": 100}.get(PROFILE, 1)
_COMMON = dict(
    deadline=None,  # a wall-clock deadline flakes on loaded machines; a hung read fails through hang_guard
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
settings.register_profile("fuzz-short", **_COMMON)
settings.register_profile("long", **_COMMON)


def fuzz(examples: int) -> settings:
    """The settings of one property: ``examples`` in the short profile, 100 times more under ``long``."""
    return settings(settings.get_profile("long" if SCALE > 1 else "fuzz-short"), max_examples=examples * SCALE)


HUNG_AFTER = 60  # seconds: many times the per-file time limit, which is 3 s in these tests
TIME_LIMIT = 3.0

# --- strategies ---------------------------------------------------------------------------------

KEYS = [
    "class_name", "config", "layers", "name", "inbound_nodes", "module", "registered_name", "function", "function_type",
    "output_shape", "output_shape_type", "output_shape_module", "layer", "backward_layer", "forward_layer", "activation",
    "units", "filters", "trainable", "batch_shape", "batch_input_shape", "input_shape", "output_layers", "input_layers",
    "args", "kwargs", "keras_history", "shape", "training", "code", "compile_config", "loss", "optimizer", "metrics",
    "learning_rate", "lr", "decay", "from_logits", "optimizer_config", "build_config", "keras_version",
]
WORDS = [
    "Sequential", "Functional", "Model", "Dense", "InputLayer", "Lambda", "TimeDistributed", "Bidirectional", "Conv2D",
    "Activation", "Dropout", "Flatten", "GlobalAveragePooling2D", "BatchNormalization", "__lambda__", "__keras_tensor__",
    "keras", "keras.layers", "keras.src.models.functional", "evil.layers", "__main__", "builtins", "os", "lambda",
    "function", "raw", "softmax", "relu", "sigmoid", "linear", "categorical_crossentropy", "Adam", "Custom>Adam",
    "evil>Thing", "block1_conv1", "input_1", "dense", "predictions", "vgg16", "4wEAAAAAAAAAAAAAAAQAAAADAAAB81gAAAA=",
]
scalars = (
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12) | st.sampled_from(WORDS)
)
keys = st.sampled_from(KEYS) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=6),
    max_leaves=40,
)


@st.composite
def layer_entries(draw: Any, depth: int = 0) -> Any:
    """Something shaped like a layer entry, often, with any value anywhere."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    config = draw(st.dictionaries(keys, json_values, max_size=6))
    if draw(st.booleans()):
        config["name"] = draw(st.sampled_from(WORDS) | scalars)
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        config["layers"] = draw(st.lists(layer_entries(depth + 1), max_size=4))
    if depth < 2 and draw(st.integers(0, 6)) == 0:
        config[draw(st.sampled_from(["layer", "backward_layer", "forward_layer"]))] = draw(layer_entries(depth + 1))
    if draw(st.integers(0, 5)) == 0:
        config["function"] = draw(st.sampled_from([
            {"class_name": "__lambda__", "config": {"code": draw(st.text(max_size=40)), "defaults": None}},
            [draw(st.text(max_size=40)), None, None],
            draw(json_values),
        ]))
        config["function_type"] = draw(st.sampled_from(["lambda", "function", "raw", None, 3]))
        config["module"] = draw(st.sampled_from(WORDS) | scalars)
    entry = {"class_name": draw(st.sampled_from(WORDS) | scalars), "config": draw(st.just(config) | json_values)}
    if draw(st.booleans()):
        entry["inbound_nodes"] = draw(json_values | st.lists(st.fixed_dictionaries({
            "args": st.lists(st.fixed_dictionaries({"class_name": st.just("__keras_tensor__"), "config": st.fixed_dictionaries(
                {"keras_history": json_values | st.lists(st.sampled_from(WORDS) | scalars, max_size=3), "shape": json_values})}) | json_values, max_size=3),
            "kwargs": json_values | st.fixed_dictionaries({"training": scalars}),
        }), max_size=3))
    if draw(st.booleans()):
        entry["module"] = draw(st.sampled_from(WORDS) | scalars)
    if draw(st.booleans()):
        entry["registered_name"] = draw(st.sampled_from(WORDS) | scalars)
    return entry


@st.composite
def model_configs(draw: Any) -> Any:
    config = draw(st.dictionaries(keys, json_values, max_size=4))
    config["layers"] = draw(st.lists(layer_entries(), max_size=8) | json_values)
    if draw(st.booleans()):
        config["output_layers"] = draw(json_values)
    model: dict[str, Any] = {"class_name": draw(st.sampled_from(["Sequential", "Functional", "Model"]) | scalars), "config": config}
    if draw(st.booleans()):
        model["module"] = draw(st.sampled_from(WORDS) | scalars)
    if draw(st.booleans()):
        model["compile_config"] = draw(training_configs())
    return model


@st.composite
def training_configs(draw: Any) -> Any:
    training = draw(st.dictionaries(keys, json_values, max_size=4))
    for key in ("loss", "optimizer_config", "optimizer", "metrics"):
        if draw(st.booleans()):
            training[key] = draw(json_values | st.fixed_dictionaries({"class_name": st.sampled_from(WORDS) | scalars, "config": json_values,
                                                                      "module": st.sampled_from(WORDS) | scalars}))
    return training


# --- helpers ------------------------------------------------------------------------------------


def _assert_clean(loaded: Any) -> None:
    """Only MC001/MC002 (and never an internal error) may come out of reading hostile bytes."""
    for finding in loaded.findings:
        assert finding.code in ("MC001", "MC002"), finding
        assert "internal error" not in finding.message, finding.message
        assert finding.message.isprintable(), finding.message


def _load(path: Path) -> Any:
    from modelcheck.inputs import load

    with hang_guard(HUNG_AFTER, f"reading {path.name}"):
        loaded = load([str(path)], time_limit=TIME_LIMIT)
    _assert_clean(loaded)
    return loaded


@pytest.fixture(scope="module")
def seed_files(keras3_models, keras2_models) -> list[Path]:
    names = ("lambda_canary", "healthy_cnn", "hidden_softmax")
    return [keras3_models / f"{n}.keras" for n in names] + [keras3_models / f"{n}.h5" for n in names] + [keras2_models / f"{n}.h5" for n in names]


@pytest.fixture(scope="module")
def scratch() -> Any:
    with tempfile.TemporaryDirectory(prefix="modelcheck-fuzz-") as folder:
        yield Path(folder)


@pytest.fixture(autouse=True)
def nothing_ran(canary_path) -> Any:
    yield
    assert not canary_path.exists(), "a Lambda from a fuzzed model file was executed"
    assert not Path("PAYLOAD").exists(), "a fuzzed script or YAML tag ran `touch PAYLOAD`"


# --- model configs as data ----------------------------------------------------------------------


@slow
@fuzz(200)
@given(model_configs(), st.none() | training_configs(), st.none() | scalars)
def test_setup_from_configs_raises_nothing_but_input_error(model, training, version):
    from modelcheck.errors import InputError
    from modelcheck.readers.model.model_config import setup_from_configs

    try:
        setup = setup_from_configs("fuzz.keras", model, training, keras_version=version)
    except InputError as error:
        assert str(error)
        return
    assert setup.model is not None


@slow
@fuzz(100)
@given(model_configs(), st.none() | training_configs())
def test_rules_run_on_whatever_the_model_reader_builds(model, training):
    from modelcheck.engine import run_rules
    from modelcheck.errors import InputError
    from modelcheck.readers.model.model_config import setup_from_configs
    from modelcheck.settings import Settings

    try:
        setup = setup_from_configs("fuzz.keras", model, training)
    except InputError:
        return
    assert not [f for f in run_rules(setup, Settings()) if "could not finish" in f.message]


@st.composite
def configs_with_a_lambda_somewhere(draw: Any) -> tuple[Any, Any]:
    """A model config with Keras 3 lambda bytecode planted at a random place inside it."""
    model = draw(model_configs())
    planted = {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAAAAAAAAQAAAADAAAB", "defaults": None, "closure": None}}
    node: Any = model
    for _ in range(draw(st.integers(0, 6))):
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        children = [(key, value) for key, value in children if isinstance(value, (dict, list))]
        if not children:
            break
        _, node = draw(st.sampled_from(children))
    if isinstance(node, dict):
        node[draw(keys)] = planted
    elif isinstance(node, list):
        node.insert(draw(st.integers(0, len(node))), planted)
    return model, planted


@slow
@fuzz(150)
@given(configs_with_a_lambda_somewhere())
def test_lambda_bytecode_is_found_wherever_it_is_planted(case):
    from modelcheck.readers.model.config_code import _code_objects

    model, _ = case
    assert any(code.kind == "lambda-bytecode" for code in _code_objects("fuzz.keras", model))


@fuzz(300)
@given(json_values)
def test_json_depth_prescan_agrees_with_the_parsed_value(value):
    from modelcheck.readers.model.keras_file import json_depth

    def depth(item: Any) -> int:
        if isinstance(item, dict):
            return 1 + max((depth(v) for v in item.values()), default=0)
        if isinstance(item, list):
            return 1 + max((depth(v) for v in item), default=0)
        return 0

    text = json.dumps(value)
    assert json_depth(text.encode("utf-8", "surrogatepass")) == depth(value)


# --- bytes on disk ------------------------------------------------------------------------------


@fuzz(150)
@given(st.binary(max_size=4096), st.sampled_from([".keras", ".h5", ".hdf5", ".json", ".yaml", ".toml", ".py", ".bin"]),
       st.sampled_from([b"", b"PK\x03\x04", b"\x89HDF\r\n\x1a\n", b"{", b"[", b"\xef\xbb\xbf{"]))
def test_random_bytes_under_any_suffix(scratch, data, suffix, head):
    path = scratch / f"random{suffix}"
    path.write_bytes(head + data)
    _load(path)


@slow
@fuzz(200)
@given(st.data())
def test_mutated_real_model_files(scratch, seed_files, data):
    source = data.draw(st.sampled_from(seed_files))
    raw = bytearray(source.read_bytes())
    operation = data.draw(st.sampled_from(["flip", "truncate", "splice", "zero"]))
    window = min(len(raw), 8192) if data.draw(st.booleans()) else len(raw)
    if operation == "flip":
        for _ in range(data.draw(st.integers(1, 12))):
            raw[data.draw(st.integers(0, window - 1))] ^= 1 << data.draw(st.integers(0, 7))
    elif operation == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    elif operation == "splice":
        at = data.draw(st.integers(0, window))
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=64))
    else:
        at = data.draw(st.integers(0, window - 1))
        raw[at : at + data.draw(st.integers(1, 256))] = b"\x00" * 8
    path = scratch / f"mutated{source.suffix}"
    path.write_bytes(bytes(raw))
    _load(path)


@slow
@fuzz(80)
@given(st.data())
def test_real_archives_with_fuzzed_configs(scratch, seed_files, data):
    """Structure-aware: a real .keras or .h5 whose config JSON had one subtree replaced."""
    import h5py

    source = data.draw(st.sampled_from(seed_files))
    if source.suffix == ".keras":
        with zipfile.ZipFile(source) as archive:
            config = json.loads(archive.read("config.json"))
            members = {name: archive.read(name) for name in archive.namelist()}
    else:
        with h5py.File(source, "r") as handle:
            config = json.loads(handle.attrs["model_config"])
    node: Any = config
    for _ in range(data.draw(st.integers(0, 8))):
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        children = [(key, value) for key, value in children if isinstance(value, (dict, list))]
        if not children:
            break
        _, node = data.draw(st.sampled_from(children))
    if isinstance(node, dict) and node:
        node[data.draw(st.sampled_from(sorted(node)))] = data.draw(json_values)
    elif isinstance(node, list) and node:
        node[data.draw(st.integers(0, len(node) - 1))] = data.draw(json_values)
    text = json.dumps(config)
    path = scratch / f"fuzzed{source.suffix}"
    if source.suffix == ".keras":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as out:
            for name, content in members.items():
                out.writestr(name, text if name == "config.json" else content)
        path.write_bytes(buffer.getvalue())
    else:
        with h5py.File(path, "w") as handle:
            handle.attrs["model_config"] = text
    loaded = _load(path)
    if _has_lambda(config):
        assert loaded.findings or loaded.setups[0].code_objects


def _has_lambda(value: Any) -> bool:
    """Whether a config holds Lambda bytecode in the Keras 3 or the Keras 2 form."""
    if isinstance(value, dict):
        if value.get("class_name") == "__lambda__" or (value.get("function_type") == "lambda" and "function" in value):
            return True
        return any(_has_lambda(item) for item in value.values())
    return isinstance(value, list) and any(_has_lambda(item) for item in value)


# --- scripts ------------------------------------------------------------------------------------

PY_TOKENS = [
    "import keras\n", "from keras import layers\n", "import os\n", "model", "x", "base", "i", " = ", "(", ")", "[", "]", "{", "}",
    ", ", ": ", ".", "\n", "    ", "keras.Sequential(", "keras.Model(", "layers.Dense(", "keras.applications.VGG16(",
    "weights='imagenet'", "include_top=False", "activation='softmax'", "for i in range(", "while True:", "if x:", "else:",
    "def f(", "return ", "lambda t: ", "model.compile(", "loss='categorical_crossentropy'", "model.fit(", "epochs=",
    ".layers[:", "layer.trainable = False", "os.system('touch PAYLOAD')", "10**12", "'a' * ", "*", "+", "-", "**", "0", "1",
    "3.5", "None", "True", "'", '"', "#", "\\", "\x00", "yield ", "async ", "await ", "class C:", "global x", "del x", "@",
]


@pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")  # ast.parse warns about odd literals
@fuzz(200)
@given(st.lists(st.sampled_from(PY_TOKENS) | st.text(max_size=4), max_size=60))
def test_python_ish_text_reads_or_says_why(scratch, tokens):
    from modelcheck.errors import InputError, NoSetup
    from modelcheck.readers.script.reader import read_script

    source = "".join(tokens)
    with hang_guard(HUNG_AFTER, "reading a fuzzed script"):
        try:
            read_script(str(scratch / "fuzz_script.py"), source)
        except (InputError, NoSetup):
            pass


SEED_SCRIPTS = sorted((ROOT / "tests" / "fixtures" / "scripts").glob("*.py"))


@pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")
@fuzz(120)
@given(st.sampled_from(SEED_SCRIPTS), st.data())
def test_mutated_seed_scripts(scratch, seed, data):
    lines = seed.read_text().splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 6))):
        if not lines:
            break
        at = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "duplicate", "swap", "char", "insert"]))
        if action == "drop":
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, lines[at])
        elif action == "swap":
            other = data.draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif action == "char" and lines[at]:
            position = data.draw(st.integers(0, len(lines[at]) - 1))
            lines[at] = lines[at][:position] + data.draw(st.sampled_from(PY_TOKENS)) + lines[at][position + 1 :]
        else:
            lines.insert(at, data.draw(st.sampled_from(PY_TOKENS)) + "\n")
    path = scratch / seed.name
    path.write_text("".join(lines))
    _load(path)


# --- training configs ---------------------------------------------------------------------------

YAML_TOKENS = [
    "model:", "compile:", "data:", "fit:", "callbacks:", "expect:", "backbone:", "head:", "file:", "loss:", "optimizer:",
    "epochs:", "freeze:", " VGG16", " ResNet50", " 5", " 1e-3", " null", " true", " [", " ]", " {", " }", ", ", "\n", "  ", "- ",
    "&a", "*a", "<<: *a", "!!python/object/apply:os.system ['touch PAYLOAD']", "!!binary", "? ", "|", ">", "'", '"', "#", "\t",
    "%YAML 1.1\n", "---\n", "...\n", "Dense:", "units:", "activation:", " softmax", "train:", "directory:", " .",
]
TOML_TOKENS = [
    "[model]", "[compile]", "[fit]", "[[callbacks]]", "[data.train]", "backbone = ", "head = ", "loss = ", "epochs = ",
    "'VGG16'", '"x"', "5", "1e-3", "true", "[", "]", "{", "}", ", ", "\n", "=", ".", "1979-05-27", "inf", "nan", '"""', "#",
]


@fuzz(150)
@given(st.data())
def test_random_training_configs(scratch, data):
    import yaml

    fmt = data.draw(st.sampled_from(["yaml-data", "yaml-text", "toml-text", "json-data"]))
    document = data.draw(st.fixed_dictionaries({}, optional={section: json_values for section in ("model", "compile", "data", "fit", "callbacks", "expect")}))
    if fmt == "yaml-data":
        path, text = scratch / "train.yaml", yaml.safe_dump(document)
    elif fmt == "yaml-text":
        path, text = scratch / "train.yaml", "".join(data.draw(st.lists(st.sampled_from(YAML_TOKENS), max_size=50)))
    elif fmt == "toml-text":
        path, text = scratch / "train.toml", "".join(data.draw(st.lists(st.sampled_from(TOML_TOKENS), max_size=50)))
    else:
        path, text = scratch / "train.json", json.dumps(document)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _load(path)


# --- hostile structures (issue 16): shared values, huge literals, compressed members --------------

import faulthandler  # noqa: E402
import zlib  # noqa: E402

from zip_members import BZIP2, DEFLATED, LZMA, STORED, compress, compress_zeros, write_zip  # noqa: E402

HUNG_AFTER = 120  # a watchdog, not a time bound: hashing in C cannot be interrupted, so a hang ends the process

# Statements that double a value while sharing its parts (a DAG), and uses that walk it whole.
GROWERS = [
    "t = (t, t)", "t = [t, t]", "t = {'a': t, 'b': t}", "t = t + t", "t = t * 2", "t = (t,) * 3", "t = pair(t, t)",
    "t = tuple(zip(t, t))", "t = list(t) + [t]", "t = [x for x in (t, t)]", "t = {k: t for k in 'ab'}", "t = dict(a=t, b=t)",
]
USES = [
    "d = {t: 1}", "n = [t, 1].count(t)", "b = t == u", "s = str(t)", "m = len(t)", "c = t in [u, t]", "i = [u, t].index(t)",
    "e = {}.get(t)", "f = t if flag else u", "g = sorted([t, u])", "h = {t: 1}.get(u)", "k = max(t, u)",
]


@pytest.mark.fuzz
@fuzz(120)
@given(st.lists(st.sampled_from(GROWERS), min_size=1, max_size=3), st.integers(1, 120), st.lists(st.sampled_from(USES), max_size=4))
def test_shared_structures_never_hang_the_script_reader(growers, rounds, uses):
    from modelcheck.engine import run_rules
    from modelcheck.readers.script.reader import read_script
    from modelcheck.settings import Settings

    loop = "".join(f"    {line}\n" for line in growers)
    source = (
        "import keras\ndef pair(*a):\n    return a\nt = (0,)\nu = (0,)\n"
        f"for i in range({rounds}):\n{loop}    u = t\n" + "".join(f"{use}\n" for use in uses)
        + "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])\n"
    )
    faulthandler.dump_traceback_later(HUNG_AFTER, exit=True)
    try:
        setup = read_script("fuzz.py", source)
        findings = run_rules(setup, Settings())
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert setup.model is not None and setup.model.layers[-1].units == 3
    assert not [f for f in findings if "could not finish" in f.message], findings  # no rule failed on these values
    for gap in setup.gaps:
        assert gap.location.line is not None and 6 <= gap.location.line <= 6 + len(growers) + len(uses) + 1, gap


HUGE = st.one_of(
    st.integers(4097, 40_000).map(lambda bits: hex((1 << bits) - 1)),
    st.integers(200, 4200).map(lambda digits: "9" * digits),
    st.integers(1, 3).map(lambda n: "10**" * n + "9999"),
    st.integers(1, 3).map(lambda n: f"2 << {10 ** (n + 3)}"),
)


@pytest.mark.fuzz
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@fuzz(60)
@given(HUGE, st.sampled_from([
    "keras.layers.Dense({n})", "keras.layers.Dense(3)", "keras.layers.Dropout({n})", "keras.layers.Conv2D({n}, 3)",
    "keras.layers.Dense(units={n}, activation='softmax')",
]), st.sampled_from(["x = {n}", "model.fit(x, y, epochs={n}, batch_size={n})", "model.compile(loss='mse', optimizer=keras.optimizers.Adam({n}))", "pass"]))
def test_huge_literals_in_scripts_never_crash_a_rule(huge, layer, statement):
    from modelcheck.engine import run_rules
    from modelcheck.readers.script.reader import read_script
    from modelcheck.settings import Settings

    source = (
        "import keras\n"
        f"model = keras.Sequential([keras.Input((4,)), {layer.format(n=huge)}])\n"
        + statement.format(n=huge) + "\n"
    )
    setup = read_script("fuzz.py", source)
    findings = run_rules(setup, Settings())
    assert not [f for f in findings if "could not finish" in f.message], findings
    assert all(len(f.message) < 2000 for f in findings)


@pytest.mark.fuzz
@fuzz(60)
@given(HUGE.filter(lambda text: text[:1].isdigit() and "*" not in text and "<" not in text),
       st.sampled_from(["input_shape: [{n}, 224, 3]", "freeze: {n}", "num_classes: {n}", "rescale: {n}"]))
def test_huge_literals_in_configs_are_mc001_or_clean(scratch, huge, line):
    from modelcheck.engine import run_rules
    from modelcheck.settings import Settings

    path = scratch / "fuzz.yaml"
    path.write_text("model:\n  backbone: ResNet50\n  " + line.format(n=huge) + "\n  head: [{Dense: {units: 5, activation: softmax}}]\n")
    loaded = _load(path)
    for setup in loaded.setups:
        assert not [f for f in run_rules(setup, Settings()) if "could not finish" in f.message]


# YAML aliases make real DAGs: each level refers to the previous one twice.
@pytest.mark.fuzz
@fuzz(40)
@given(st.integers(2, 60), st.sampled_from(["[*a{p}, *a{p}]", "{{x: *a{p}, y: *a{p}}}"]))
def test_yaml_alias_dags_are_bounded(scratch, levels, shape):
    lines = ["a0: &a0 [1, 2]"] + [f"a{i}: &a{i} " + shape.format(p=i - 1) for i in range(1, levels)]
    path = scratch / "laughs.yaml"
    path.write_text("\n".join(lines) + f"\nmodel:\n  backbone: ResNet50\n  head: *a{levels - 1}\n")
    _load(path)


@st.composite
def compressed_members(draw: Any) -> tuple[str, int, bytes, int, int]:
    """An archive member compressed with any method, its header honest or lying about size and CRC."""
    name = draw(st.sampled_from(["assets/x.bin", "model.weights.h5", "state.pkl", "config.json", "metadata.json", "a/"]))
    method = draw(st.sampled_from([STORED, DEFLATED, BZIP2, LZMA]))
    data = draw(st.binary(max_size=64) | st.sampled_from([b"\x80\x04\x95", b"\x80\x02cos\nsystem\n.", b"{}"]))
    zeros = draw(st.sampled_from([0, 0, 1000, 17 << 20]))
    body = compress_zeros(method, zeros, data) if zeros else compress(method, data)
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]  # cut short
    size = draw(st.sampled_from([len(data) + zeros, 0, 100, 2**32 - 1]))
    crc = draw(st.sampled_from([zlib.crc32(data + b"\0" * zeros), 0]))
    return name, method, body, size, crc


@pytest.mark.fuzz
@pytest.mark.slow  # inflates up to four members per example
@fuzz(60)
@given(st.lists(compressed_members(), min_size=1, max_size=4), st.sampled_from([STORED, DEFLATED, BZIP2, LZMA]))
def test_compressed_members_with_any_header_are_read_or_refused(scratch, members, method):
    config = json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [None, 4]}},
        {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "softmax"}}]}}).encode()
    head = ("config.json", method, compress(method, config), len(config), zlib.crc32(config))
    path = write_zip(scratch / "fuzz.keras", [head, *members])
    loaded = _load(path)
    honest_config = not any(m[0] == "config.json" for m in members)  # zipfile: the last of duplicate names wins
    if honest_config:
        assert loaded.setups and loaded.setups[0].model.layers[-1].units == 3, loaded.findings
