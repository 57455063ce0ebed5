"""Hardening II (issue 16): hangs, tracebacks, memory bombs and code from the working directory.

Each hostile input runs as a user would run it: ``python -m modelcheck --format json``
in a fresh process. A generous subprocess timeout stands between a hang and the
test run; when it fires, the test fails saying "hung". No test measures time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

HUNG_AFTER = 120  # seconds: far above what any of these inputs needs; reaching it means a hang


def modelcheck_json(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, dict, str]:
    """Exit code, JSON document and stderr of one run; fails the test as 'hung' past HUNG_AFTER."""
    done = run_cli("--format", "json", *args, cwd=cwd, env=env, timeout=HUNG_AFTER)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.returncode, json.loads(done.stdout), done.stderr


def codes_at(document: dict, name: str) -> list[tuple[str, int | None]]:
    return sorted((f["code"], f["line"]) for f in document["findings"] if Path(f["path"]).name == name)


TAIL = "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation='softmax')])\nmodel.compile(loss='categorical_crossentropy', optimizer='adam')\n"


# --- 1. values that are cheap to build and exponential to hash or compare ----------------------

SHARED_VALUES = {
    "tuple_as_dict_key": "t = (0,)\nfor i in range(90):\n    t = (t, t)\nd = {t: 1}\n",
    "list_count": "t = [0]\nfor i in range(90):\n    t = [t, t]\nn = [t, 1].count(t)\n",
    "zip_doubling": "t = (0,)\nfor i in range(90):\n    t = tuple(zip(t, t)) + (t,)\nok = t == t[:]\n",
    "varargs_doubling": "def pair(*a):\n    return a\nt = (1,)\nfor i in range(90):\n    t = pair(t, t)\nd = {}\nd[t] = 1\n",
    "dict_doubling": "d = {'a': 0}\nfor i in range(90):\n    d = {'a': d, 'b': d}\nk = {(d['a'] == d['b']): 1}\n",
    "comprehension_doubling": "t = (0,)\nfor i in range(90):\n    t = tuple([t for _ in range(2)])\ns = {t: 0}\n",
}


@pytest.mark.parametrize("name", sorted(SHARED_VALUES))
def test_a_value_shared_into_itself_is_unknown_past_the_size_bound(tmp_path, name):
    body = SHARED_VALUES[name]
    (tmp_path / "train.py").write_text("import keras\n" + body + TAIL)
    code, document, _ = modelcheck_json("train.py", cwd=tmp_path)
    assert code == 0
    # the doubling line is named; the rest of the script is still read (no MC002)
    doubling = next(number for number, line in enumerate(body.splitlines(), 2) if "range(90)" in line) + 1
    assert codes_at(document, "train.py") == [("MC003", doubling)]
    [finding] = document["findings"]
    assert "too large to analyse" in finding["message"]


def test_size_bound_holds_inside_check_called_from_python(tmp_path):
    from modelcheck.readers.script.reader import read_script

    # 24 doublings: past the bound, and still cheap enough to hash where the bound is missing
    body = SHARED_VALUES["tuple_as_dict_key"].replace("range(90)", "range(24)")
    setup = read_script(str(tmp_path / "x.py"), "import keras\n" + body + TAIL)
    assert [(gap.what.split(" is built")[0], gap.location.line) for gap in setup.gaps] == [("a value of more than 250000 parts", 4)]
    assert setup.model is not None and setup.model.layers[-1].units == 3


def test_large_flat_values_a_script_may_hold_stay_known():
    from modelcheck.readers.script.reader import read_script

    body = "zeros = [0] * 100000\nnames = tuple(str(i) for i in range(5000))\nlookup = {name: 1 for name in names}\nn = len(zeros) // 20000\n"
    setup = read_script("x.py", "import keras\n" + body + "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(n)])\n")
    assert setup.gaps == () and setup.model.layers[-1].units == 5


def test_weight_is_linear_in_distinct_objects_and_stops_at_the_bound():
    from modelcheck.readers.script.core.sizes import forget_weights, weight

    t: tuple = (0,)
    for _ in range(200):  # 2**200 leaves when unfolded: a walk of the tree would never end
        t = (t, t)
    assert weight(t, 1000) == 1001
    small = ((1, 2), (1, 2), "abc")
    assert weight(small) == 1 + 3 + 3 + 1
    cyclic: list = [1]
    cyclic.append(cyclic)
    assert weight(cyclic, 50) == 51
    forget_weights()


# --- 2. huge integer literals, and the rule guard --------------------------------------------


def test_huge_integer_literal_is_unknown_not_a_traceback(tmp_path):
    big = "0x" + "f" * 4000
    (tmp_path / "train.py").write_text(f"import keras\nmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense({big})])\nmodel.compile(loss='mse', optimizer='adam')\n")
    code, document, _ = modelcheck_json("train.py", cwd=tmp_path)
    assert code == 0
    assert codes_at(document, "train.py") == [("MC003", 2)]
    assert "integer literal of 16000 bits" in document["findings"][0]["message"]


@pytest.mark.parametrize(
    ("old", "new", "line", "key"),
    [
        ("input_shape: [224, 224, 3]", "input_shape: [{big}, 3, 3]", 4, "model.input_shape[0]"),
        ("units: 5,", "units: {big},", 11, "model.head[3].Dense.units"),
        ("rescale: 0.00392156862745098", "rescale: {big}", 22, "data.train.rescale"),
    ],
)
def test_huge_integer_in_a_yaml_config_is_mc001_at_its_key_and_the_run_goes_on(tmp_path, old, new, line, key):
    from config_examples import EXAMPLE_YAML

    text = EXAMPLE_YAML.replace(old, new.format(big="0x" + "f" * 4000), 1)
    (tmp_path / "train.yaml").write_text(text)
    (tmp_path / "other.py").write_text("import keras\n" + TAIL.replace("categorical_crossentropy", "binary_crossentropy"))
    code, document, _ = modelcheck_json("train.yaml", "other.py", cwd=tmp_path)
    assert code == 1
    [finding] = [f for f in document["findings"] if f["path"] == "train.yaml"]
    assert (finding["code"], finding["line"], finding["key"]) == ("MC001", line, key)
    assert "integer of 16000 bits" in finding["message"]
    assert codes_at(document, "other.py")  # the other file was still checked


def test_a_failing_rule_becomes_mc003_naming_the_rule_and_the_run_goes_on(tmp_path):
    from modelcheck import engine
    from modelcheck.ir import TrainingSetup
    from modelcheck.settings import Settings

    def broken(setup, settings):
        if setup.path:
            raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")
        yield from ()

    engine._load_checks()
    engine._REGISTRY["MC998"] = [broken]
    try:
        found = engine.run_rules(TrainingSetup(path="m.keras", kind="model"), Settings())
    finally:
        del engine._REGISTRY["MC998"]
    [finding] = [f for f in found if f.code == "MC003"]
    assert finding.location.path == "m.keras"
    assert "rule MC998 could not finish" in finding.message and "ValueError" in finding.message


# --- 5. a long string literal is counted in bounded memory ----------------------------------------


def test_token_count_skips_string_bodies_and_stops_at_the_limit():
    from modelcheck.limits import script_tokens

    literal = b'x = "' + b"a\\\\" * 200_000 + b'"\n'
    assert script_tokens(literal) == 3
    assert script_tokens(b'y = """a\n"b" \\""" c"""  # note\nz = f"{y}"\n') == 3 + 1 + 7
    assert script_tokens(b"a b c d e f", limit=3) == 4
    assert script_tokens(b"s = 'unterminated\nt = 1\n") == 3 + 3


@pytest.mark.slow
def test_nine_megabyte_string_literal_is_read(tmp_path):
    (tmp_path / "train.py").write_text("import keras\nBLOB = '" + "ab\\\\" * 2_300_000 + "'\n" + TAIL)
    code, document = capped_json("train.py", cwd=tmp_path, megabytes=600)  # the old count took 1.4 GB
    assert code == 0 and document["findings"] == []


# --- 3. the discovered pyproject.toml is hostile input too -------------------------------------


def _hostile_pyproject(folder: Path, kind: str) -> None:
    table = "[tool.modelcheck]\n"
    if kind == "utf16":
        (folder / "pyproject.toml").write_bytes((table + 'select = ["MC1"]\n').encode("utf-16"))
    elif kind == "latin1":
        (folder / "pyproject.toml").write_bytes(table.encode() + b'select = ["MC1\xe9"]\n')
    elif kind == "deep":
        (folder / "pyproject.toml").write_text(table + "thresholds = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n")
    elif kind == "huge_int":
        (folder / "pyproject.toml").write_text(table + "thresholds = {oversized-head-params = 1" + "0" * 400 + "}\n")
    elif kind == "huge_hex":
        (folder / "pyproject.toml").write_text(table + "select = 0x" + "f" * 4000 + "\n")
    elif kind == "sparse":
        with open(folder / "pyproject.toml", "wb") as handle:
            handle.write(table.encode())
            handle.truncate(2 * 1024**3)  # sparse: no disk used, 2 GB if read whole


PYPROJECT_REASONS = {
    "utf16": "not UTF-8 text (it looks like UTF-16)",
    "latin1": "not UTF-8 text",
    "deep": "nested deeper than 64 levels",
    "huge_int": "must be a positive number up to 1e+15, not an integer of 1329 bits",
    "huge_hex": "must be a list of strings, not an integer of 16000 bits",
    "sparse": "over the 1048576-byte bound for settings files",
}


@pytest.mark.parametrize("kind", sorted(PYPROJECT_REASONS))
def test_a_discovered_pyproject_that_cannot_be_used_is_one_line_and_exit_2(tmp_path, kind):
    _hostile_pyproject(tmp_path, kind)
    (tmp_path / "train.py").write_text("import keras\n" + TAIL)
    code, document, stderr = modelcheck_json("train.py", cwd=tmp_path)
    assert code == 2
    [line] = stderr.strip().splitlines()
    assert line.startswith("modelcheck: error: ") and "pyproject.toml" in line and PYPROJECT_REASONS[kind] in line
    assert document == {"version": 1, "error": {"kind": "settings", "message": line.removeprefix("modelcheck: error: ")}, "findings": []}


def test_a_symlink_loop_on_the_command_line_is_mc001_not_a_traceback(tmp_path):
    os.symlink("a.py", tmp_path / "a.py")
    code, document, _ = modelcheck_json("a.py", cwd=tmp_path)
    assert code == 1
    [finding] = document["findings"]
    assert (finding["code"], finding["path"]) == ("MC001", "a.py")


# --- 4. decompression bombs and the config scanner -------------------------------------------

from zip_members import BZIP2, DEFLATED, LZMA, STORED, compress, compress_zeros, honest, write_zip  # noqa: E402

MODEL_CONFIG = {
    "module": "keras", "class_name": "Functional",
    "config": {
        "name": "m",
        "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_shape": [None, 4]}, "inbound_nodes": []},
            {"module": "keras.layers", "class_name": "Dense", "name": "d", "config": {"name": "d", "units": 3, "activation": "softmax"},
             "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [None, 4], "keras_history": ["in", 0, 0]}}], "kwargs": {}}]},
        ],
        "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]],
    },
}


def keras_archive(path: Path, config: dict | bytes, *extra: tuple[str, int, bytes, int, int], method: int = DEFLATED) -> Path:
    data = config if isinstance(config, bytes) else json.dumps(config).encode()
    return write_zip(path, [honest("config.json", method, data), honest("metadata.json", STORED, b'{"keras_version": "3.5.0"}'), *extra])


def memory_capped(megabytes: int) -> dict[str, object]:
    """subprocess arguments that cap the child's address space: a bomb fails there, not on the machine."""
    import resource

    limit = megabytes * 1024 * 1024
    return {"preexec_fn": lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))}


def capped_json(*args: str, cwd: Path, megabytes: int) -> tuple[int, dict]:
    done = run_cli("--format", "json", *args, cwd=cwd, timeout=HUNG_AFTER, **memory_capped(megabytes))
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize("method", [DEFLATED, BZIP2, LZMA], ids=["deflate", "bzip2", "lzma"])
def test_a_member_inflating_past_its_declared_size_stops_at_the_bound(tmp_path, method):
    body = compress_zeros(method, 24 << 20, b'{"class_name": "Functional", "pad": "')
    write_zip(tmp_path / "bomb.keras", [("config.json", method, body, 100, 0)])
    code, document, _ = modelcheck_json("bomb.keras", cwd=tmp_path)
    assert code == 1
    [finding] = document["findings"]
    assert finding["code"] == "MC001" and finding["message"] == "config.json inflates beyond 16777216 bytes (a zip bomb?)"


@pytest.mark.parametrize("method", [STORED, DEFLATED, BZIP2, LZMA], ids=["stored", "deflate", "bzip2", "lzma"])
def test_every_compression_method_reads_the_model_and_finds_a_pickled_member(tmp_path, method):
    pickle_bytes = b"\x80\x04\x95\x15\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94."
    keras_archive(tmp_path / "m.keras", MODEL_CONFIG, honest("assets/state.bin", method, pickle_bytes), method=method)
    code, document, _ = modelcheck_json("m.keras", cwd=tmp_path)
    [finding] = document["findings"]
    assert (code, finding["code"]) == (1, "MC601")
    assert "assets/state.bin holds a pickled Python object (loading it imports os.system)" in finding["message"]


def test_a_lying_member_size_is_a_corrupt_archive(tmp_path):
    data = json.dumps(MODEL_CONFIG).encode()
    write_zip(tmp_path / "liar.keras", [("config.json", DEFLATED, compress(DEFLATED, data), 10, 0)])
    code, document, _ = modelcheck_json("liar.keras", cwd=tmp_path)
    [finding] = document["findings"]
    assert (code, finding["code"]) == (1, "MC001")
    assert finding["message"] == "corrupt .keras archive: config.json does not match its recorded size and checksum"


@pytest.mark.slow
def test_two_hundred_megabyte_bzip2_bombs_stay_under_a_small_memory_cap(tmp_path):
    bomb = compress_zeros(BZIP2, 200 << 20, b"\x80\x04")
    write_zip(tmp_path / "config_bomb.keras", [("config.json", BZIP2, bomb, 100, 0)])
    keras_archive(tmp_path / "asset_bomb.keras", MODEL_CONFIG, ("assets/blob.bin", BZIP2, bomb, 100, 0))
    code, document = capped_json("config_bomb.keras", "asset_bomb.keras", cwd=tmp_path, megabytes=160)
    found = {f["path"]: (f["code"], f["message"]) for f in document["findings"]}
    assert found["config_bomb.keras"] == ("MC001", "config.json inflates beyond 16777216 bytes (a zip bomb?)")
    assert "asset_bomb.keras" not in found  # its first megabyte was read: a pickle header, then nothing a pickle holds
    assert code == 1


def test_config_scan_is_linear_a_long_list_deep_inside_objects(tmp_path):
    nested: object = [0] * 4_000_000
    for _ in range(190):
        nested = {"a": nested}
    config = {**MODEL_CONFIG, "extra": nested}
    keras_archive(tmp_path / "deep_list.keras", json.dumps(config).encode())
    code, document = capped_json("deep_list.keras", cwd=tmp_path, megabytes=900)
    assert (code, document["findings"]) == (0, [])


def test_config_scan_past_its_item_bound_says_mc601_is_incomplete(tmp_path):
    config = {**MODEL_CONFIG, "extra": [[]] * 600_000}
    keras_archive(tmp_path / "many.keras", json.dumps(config).encode())
    code, document, _ = modelcheck_json("many.keras", cwd=tmp_path)
    [finding] = document["findings"]
    assert (code, finding["code"], finding["severity"]) == (1, "MC601", "error")
    assert finding["message"].startswith("this file could not be checked completely for code: the config holds more than 500000 objects and lists")


# --- 6. code from the working directory never runs ---------------------------------------------


def test_the_hdf5_child_interpreter_ignores_modules_planted_in_the_working_directory(tmp_path):
    h5py = pytest.importorskip("h5py")
    work = tmp_path / "work"
    work.mkdir()
    marker = tmp_path / "IMPORTED"
    for name in ("json", "h5py", "modelcheck", "numpy", "sitecustomize"):
        (work / f"{name}.py").write_text(f"open({str(marker)!r}, 'a').write({name!r} + '\\n')\n")
    with h5py.File(tmp_path / "model.h5", "w") as handle:
        handle.attrs["model_config"] = json.dumps(MODEL_CONFIG)
    # A worker thread is alive while check() runs (as in Jupyter): fork is unsafe, a fresh interpreter reads the file.
    program = (
        "import json, sys, threading\n"
        "import modelcheck\n"
        "out = {}\n"
        "def work():\n"
        "    out['report'] = modelcheck.check(sys.argv[1])\n"
        "worker = threading.Thread(target=work)\n"
        "worker.start(); worker.join()\n"
        "print(json.dumps([[f.code, f.message] for f in out['report'].findings]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        # -P: the test's own interpreter does not put the working directory first either
        done = subprocess.run([sys.executable, "-P", "-c", program, str(tmp_path / "model.h5")],
                              capture_output=True, text=True, cwd=work, env=env, timeout=HUNG_AFTER)
    except subprocess.TimeoutExpired:
        pytest.fail("check() hung reading an HDF5 file from a worker thread")
    assert done.returncode == 0, done.stderr[-3000:]
    assert not marker.exists(), f"imported from the working directory: {marker.read_text()}"
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []  # the model was read: no MC001, nothing to report


# --- 7. a named symlink to a directory is not walked ----------------------------------------------


def test_a_named_symlink_to_the_root_directory_is_not_walked(tmp_path):
    os.symlink("/", tmp_path / "root")
    os.symlink(tmp_path, tmp_path / "self")
    code, document, _ = modelcheck_json("root", "self", cwd=tmp_path)
    assert code == 1
    assert [(f["path"], f["code"], f["message"]) for f in document["findings"]] == [
        (name, "MC001", "is a symbolic link to a directory: not followed (name the directory itself)") for name in ("root", "self")
    ]
    assert document["summary"]["files"] == 0


# --- 8. the MC601 scan of HDF5 files is bounded in items and says when it stops early -------------


@pytest.mark.slow
def test_a_pickle_hidden_after_the_hdf5_scan_bound_makes_mc601_say_incomplete(tmp_path):
    h5py = pytest.importorskip("h5py")
    from modelcheck.readers.model.code_scan import MAX_H5_OBJECTS

    with h5py.File(tmp_path / "deep.h5", "w") as handle:
        handle.attrs["model_config"] = json.dumps(MODEL_CONFIG)
        group = handle.create_group("a_first")
        for index in range(MAX_H5_OBJECTS + 1):
            group.create_group(f"g{index}")
        handle.create_group("z_last").attrs["state"] = __import__("numpy").void(b"\x80\x04\x95\x15\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94.")
    for _ in range(2):  # the same answer every time: no deadline decides it
        code, document, _ = modelcheck_json("deep.h5", cwd=tmp_path, env={"MODELCHECK_READ_TIMEOUT": "0"})
        assert code == 1
        messages = [f["message"] for f in document["findings"] if f["code"] == "MC601"]
        assert any(m.startswith("this file could not be checked completely for code") for m in messages), messages


def test_the_hdf5_scan_finds_a_pickle_attribute_and_stays_complete(tmp_path):
    h5py = pytest.importorskip("h5py")
    numpy = pytest.importorskip("numpy")
    with h5py.File(tmp_path / "small.h5", "w") as handle:
        handle.attrs["model_config"] = json.dumps(MODEL_CONFIG)
        handle.create_group("extra").attrs["state"] = numpy.void(b"\x80\x04\x95\x15\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94.")
    code, document, _ = modelcheck_json("small.h5", cwd=tmp_path)
    [finding] = document["findings"]
    assert (code, finding["code"]) == (1, "MC601")
    assert finding["message"].startswith("HDF5 attribute /extra@state holds a pickled Python object (loading it imports os.system)")


# --- 9. model configs Keras refuses are MC001, naming the layer and the field -----------------------


def _layers_edited(edit) -> dict:
    config = json.loads(json.dumps(MODEL_CONFIG))
    edit(config["config"]["layers"])
    return config


def _feed(layer: dict, source: str) -> None:
    layer["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] = source


REFUSED = {
    "cycle": (lambda layers: (layers.append(json.loads(json.dumps(layers[1]) .replace('"d"', '"e"'))), _feed(layers[1], "e"), _feed(layers[2], "d")),
              "d.inbound_nodes", "the layer graph has a cycle ('d' -> 'e' -> 'd'): Keras cannot build it"),
    "self_loop": (lambda layers: _feed(layers[1], "d"), "d.inbound_nodes", "the layer graph has a cycle ('d' -> 'd'): Keras cannot build it"),
    "dangling": (lambda layers: _feed(layers[1], "ghost"), "d.inbound_nodes", "layer 'd' takes its input from layer 'ghost', which this model does not have"),
    "units_string": (lambda layers: layers[1]["config"].update(units="five"), "d.units", "layer 'd' has units 'five': Keras needs a positive integer"),
    "units_zero": (lambda layers: layers[1]["config"].update(units=0), "d.units", "layer 'd' has units 0: Keras needs a positive integer"),
    "units_bool": (lambda layers: layers[1]["config"].update(units=True), "d.units", "layer 'd' has units True: Keras needs a positive integer"),
    "no_class_name": (lambda layers: layers[1].pop("class_name"), "d.class_name", "layer 'd' has no class_name: Keras cannot rebuild it"),
    "activation_list": (lambda layers: layers[1]["config"].update(activation=[1]), "d.activation", "layer 'd' has activation list: Keras needs a name or a serialized function"),
    "entry_not_object": (lambda layers: layers.append("Dense"), "layers[2]", "layer 2 of the model is not an object: Keras cannot rebuild it"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_config_keras_refuses_is_mc001_naming_layer_and_field(tmp_path, case):
    edit, key, message = REFUSED[case]
    keras_archive(tmp_path / "m.keras", _layers_edited(edit))
    (tmp_path / "m.json").write_text(json.dumps(_layers_edited(edit)))
    code, document, _ = modelcheck_json("m.keras", "m.json", cwd=tmp_path)
    assert code == 1
    assert [(f["path"], f["code"], f["key"], f["message"]) for f in document["findings"]] == [
        (name, "MC001", key, message) for name in ("m.json", "m.keras")
    ]


def test_the_unedited_config_is_clean(tmp_path):
    keras_archive(tmp_path / "m.keras", MODEL_CONFIG)
    code, document, _ = modelcheck_json("m.keras", cwd=tmp_path)
    assert (code, document["findings"]) == (0, [])


# --- 10. UTF-16 model JSON, and file names that would steer a terminal ------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_model_json_is_mc001(tmp_path, encoding):
    (tmp_path / "model.json").write_bytes(json.dumps(MODEL_CONFIG).encode(encoding))
    code, document, _ = modelcheck_json("model.json", cwd=tmp_path)
    [finding] = document["findings"]
    assert (code, finding["code"], finding["message"]) == (1, "MC001", "JSON file is not UTF-8 text (it is UTF-16: save JSON as UTF-8)")


HOSTILE_NAME = "evil\nfake.py:1: MC101 error \u202egnp.keras\x1b[31m.keras"


def test_console_output_escapes_newlines_rtl_overrides_and_escapes_in_file_names(tmp_path):
    (tmp_path / HOSTILE_NAME).write_bytes(b"not a model")
    done = run_cli(HOSTILE_NAME, cwd=tmp_path, timeout=HUNG_AFTER)
    first = done.stdout.splitlines()[0]
    assert first.startswith("evil\\nfake.py:1: MC101 error \\u202egnp.keras\\x1b[31m.keras: MC001 error")
    assert "\u202e" not in done.stdout and "\x1b" not in done.stdout and len(done.stdout.splitlines()) == 2


def test_github_annotations_escape_control_characters_in_file(tmp_path):
    (tmp_path / HOSTILE_NAME).write_bytes(b"not a model")
    done = run_cli("--format", "github", HOSTILE_NAME, cwd=tmp_path, timeout=HUNG_AFTER)
    [line] = done.stdout.splitlines()
    assert line.startswith("::error file=evil\\nfake.py%3A1%3A MC101 error \\u202egnp.keras\\x1b[31m.keras,title=MC001")
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout


def test_the_escape_function_leaves_ordinary_names_alone():
    from modelcheck.report.escape import shown

    assert shown("models/résumé 模型.keras") == "models/résumé 模型.keras"
    assert shown("a\tb\u2028c\u200fd\x85") == "a\\tb\\u2028c\\u200fd\\x85"
