"""The hardening promise, end to end: modelcheck never executes anything from its inputs,
never crashes with a traceback, and always says which file it could not read and why.

One command line runs over a corpus of about a hundred corrupt and hostile files
(tests/hostile_corpus.py); the tests below read that one run. Further tests pin
the per-file time limit and the reader bounds in-process. How fast the bounds
are is measured in bench/hostile_bench.py, never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT, hang_guard, run_cli
from hostile_corpus import ANY, CODE, UNREADABLE, Entry, build_corpus, command_line_paths, payload_canary

# Small enough that the two HDF5 files which hang the C library cost seconds, not minutes.
CORPUS_TIME_LIMIT = "3"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, keras3_models, keras2_models, canary_path) -> tuple[Path, list[Entry]]:
    root = tmp_path_factory.mktemp("hostile")
    return root, build_corpus(root, keras3_models, keras2_models, canary_path)


@pytest.fixture(scope="module")
def corpus_run(corpus) -> dict:
    root, entries = corpus
    env = {"MODELCHECK_READ_TIMEOUT": CORPUS_TIME_LIMIT}
    # Bounded by the per-file limit (3 s each): 600 s for the whole corpus means a reader hung.
    result = run_cli("--format", "json", *command_line_paths(entries), cwd=root, env=env, timeout=600)
    return {"result": result, "document": json.loads(result.stdout) if result.stdout.strip() else None}


def _by_path(document: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for finding in document["findings"]:
        found.setdefault(finding["path"], []).append(finding)
    return found


def test_one_command_line_over_the_corpus_finishes_cleanly(corpus, corpus_run):
    _, entries = corpus
    result = corpus_run["result"]
    assert len(entries) >= 90
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert corpus_run["document"] is not None and corpus_run["document"]["version"] == 1


def test_every_unreadable_file_is_named_with_a_one_line_reason(corpus, corpus_run):
    _, entries = corpus
    by_path = _by_path(corpus_run["document"])
    missing = []
    for entry in entries:
        if entry.expect != UNREADABLE:
            continue
        input_findings = [f for f in by_path.get(entry.path, []) if f["code"] in ("MC001", "MC002")]
        if not input_findings:
            missing.append(f"{entry.path} ({entry.why}): {by_path.get(entry.path)}")
            continue
        message = " ".join(f["message"] for f in input_findings)
        for expected in entry.says:
            assert expected in message, (entry.path, message)
    assert not missing, "\n".join(missing)
    for finding in corpus_run["document"]["findings"]:
        # printable: no newline to split a finding, no escape sequence for a terminal or CI log
        assert finding["message"].strip() and finding["message"].isprintable(), finding
        assert (finding["layer"] or "").isprintable(), finding


def test_no_reader_failed_with_an_internal_error(corpus_run):
    internal = [f"{f['path']}: {f['message']}" for f in corpus_run["document"]["findings"] if "internal error" in f["message"]]
    assert not internal, "\n".join(internal)


def test_no_rule_failed_on_what_the_readers_built(corpus_run):
    failed = [f"{f['path']}: {f['message']}" for f in corpus_run["document"]["findings"] if f["code"] == "MC003" and "could not finish" in f["message"]]
    assert not failed, "\n".join(failed)


def test_shared_values_are_named_as_incomplete_analysis(corpus_run):
    by_path = _by_path(corpus_run["document"])
    for name, line in (("issue16/shared_tuple_key.py", 5), ("issue16/shared_list_count.py", 5), ("issue16/huge_hex_dense.py", 2)):
        assert [(f["code"], f["line"]) for f in by_path[name]] == [("MC003", line)], by_path[name]


def test_nothing_in_the_corpus_ran(corpus, corpus_run, canary_path):
    root, _ = corpus
    assert corpus_run["document"] is not None
    assert not canary_path.exists(), "a Lambda from a model file was executed"
    assert not payload_canary(root).exists(), "a pickle, YAML tag or script payload was executed"


def test_code_is_reported_wherever_it_hides(corpus, corpus_run):
    _, entries = corpus
    by_path = _by_path(corpus_run["document"])
    for entry in entries:
        if entry.expect != CODE:
            continue
        found = [f for f in by_path.get(entry.path, []) if f["code"] == "MC601"]
        assert found, f"{entry.path} ({entry.why}): {by_path.get(entry.path)}"
        if entry.layer is not None:
            assert entry.layer in [f["layer"] for f in found], (entry.path, found)
        messages = " ".join(f["message"] for f in found)
        for expected in entry.says:
            assert expected in messages, (entry.path, messages)


def test_hdf5_library_crash_and_hang_are_findings_about_their_files(corpus_run):
    by_path = _by_path(corpus_run["document"])
    [crash] = by_path["hdf5/library_crash.h5"]
    assert crash["code"] == "MC001" and "crashed" in crash["message"]
    [hang] = by_path["hdf5/library_hang.h5"]
    assert hang["code"] == "MC001" and f"gave up after {CORPUS_TIME_LIMIT} s" in hang["message"]


@pytest.mark.parametrize("isolation", ["fork", "subprocess"])
def test_hdf5_crash_and_hang_stay_in_the_child_process(corpus, monkeypatch, isolation):
    """In-process: the test process itself survives the segfault and the endless loop."""
    from modelcheck import inputs
    from modelcheck.readers.model import h5_file

    root, _ = corpus
    monkeypatch.setenv("MODELCHECK_READ_TIMEOUT", "2")
    if isolation == "subprocess":  # what a host with threads (the probe, a notebook) gets
        monkeypatch.setattr(h5_file, "_fork_is_safe", lambda: False)
    names = ["hdf5/library_crash.h5", "hdf5/library_hang.h5", "code/k2_lambda_canary.h5"]
    loaded = inputs.load([str(root / name) for name in names])
    messages = {Path(f.location.path).name: f.message for f in loaded.findings}
    assert "crashed" in messages["library_crash.h5"] and "SIGSEGV" in messages["library_crash.h5"]
    assert messages["library_hang.h5"].startswith("gave up after 2 s")
    [setup] = loaded.setups
    assert [code.location.layer for code in setup.code_objects] == ["canary"]


def test_zip_bomb_is_refused_by_its_declared_size(corpus_run):
    by_path = _by_path(corpus_run["document"])
    assert "over the" in by_path["zip/bomb.keras"][0]["message"]
    assert by_path["zip/lying_small_size.keras"][0]["code"] == "MC001"


def test_mutated_real_models_never_run_their_lambda(corpus, corpus_run, canary_path):
    _, entries = corpus
    damaged = [entry.path for entry in entries if entry.path.startswith("damaged/")]
    assert len(damaged) >= 20 and all(entry.expect == ANY for entry in entries if entry.path in damaged)
    assert not canary_path.exists()


# --- in-process: the time limit and the bounds ---------------------------------------------------


def test_time_limit_gives_up_on_a_reader_that_never_returns(tmp_path, monkeypatch):
    from modelcheck import inputs

    stuck = tmp_path / "stuck.keras"
    stuck.write_bytes(b"PK")
    fine = tmp_path / "fine.json"
    fine.write_text('{"notes": 1}')

    def spin(name: str, kind: str):
        if name.endswith("stuck.keras"):
            while True:
                pass
        return real(name, kind)

    real = inputs._read_file
    monkeypatch.setattr(inputs, "_read_file", spin)
    with hang_guard(60, "a reader that never returns, under a 0.5 s limit,"):
        loaded = inputs.load([str(stuck), str(fine)], time_limit=0.5)
    messages = {Path(f.location.path).name: f.message for f in loaded.findings}
    assert messages["stuck.keras"].startswith("gave up after 0.5 s reading")
    assert "MODELCHECK_READ_TIMEOUT" in messages["stuck.keras"]
    assert "fine.json" in messages  # the next file was still read (MC002: not a config)


def test_time_limit_comes_from_the_environment(tmp_path, monkeypatch):
    from modelcheck.settings import read_timeout

    monkeypatch.setenv("MODELCHECK_READ_TIMEOUT", "2.5")
    assert read_timeout() == 2.5
    monkeypatch.setenv("MODELCHECK_READ_TIMEOUT", "soon")
    assert read_timeout() == 60.0  # the safety net: a script reader bounded by steps never gets near it


def test_a_script_out_of_time_does_not_take_the_others_with_it(tmp_path, monkeypatch):
    from modelcheck import inputs
    from modelcheck.readers.script import reader as script

    (tmp_path / "slow.py").write_text("import keras\n")
    good = tmp_path / "train.py"
    good.write_text("import keras\nmodel = keras.Sequential([keras.layers.Dense(5, activation='softmax')])\n"
                    "model.compile(loss='categorical_crossentropy', optimizer='adam')\n")
    real = script._read

    def spin(path, text, project_files):
        if path.endswith("slow.py"):
            while True:
                pass
        return real(path, text, project_files)

    monkeypatch.setattr(script, "_read", spin)
    loaded = inputs.load([str(tmp_path / "slow.py"), str(good)], time_limit=0.5)
    assert [f.message.split(" reading")[0] for f in loaded.findings] == ["gave up after 0.5 s"]
    assert [Path(s.path).name for s in loaded.setups] == ["train.py"]


def test_a_script_reader_bug_is_reported_on_its_file_only(tmp_path, monkeypatch):
    from modelcheck import inputs
    from modelcheck.readers.script import reader as script

    (tmp_path / "buggy.py").write_text("import keras\n")
    good = tmp_path / "train.py"
    good.write_text("import keras\nmodel = keras.Sequential([keras.layers.Dense(5, activation='softmax')])\n")
    real = script._read

    def broken(path, text, project_files):
        if path.endswith("buggy.py"):
            raise KeyError("bug")
        return real(path, text, project_files)

    monkeypatch.setattr(script, "_read", broken)
    loaded = inputs.load([str(tmp_path / "buggy.py"), str(good)])
    [finding] = loaded.findings
    assert Path(finding.location.path).name == "buggy.py" and "internal error" in finding.message
    assert [Path(s.path).name for s in loaded.setups] == ["train.py"]


def test_time_limit_is_not_enforced_outside_the_main_thread(tmp_path):
    from modelcheck import inputs

    target = tmp_path / "notes.json"
    target.write_text('{"a": 1}')
    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("loaded", inputs.load([str(target)], time_limit=0.5)))
    thread.start()
    thread.join(30)
    assert [f.code for f in outcome["loaded"].findings] == ["MC002"]


def test_unreadable_file_is_permission_denied(tmp_path, monkeypatch):
    from modelcheck import inputs

    locked = tmp_path / "locked.keras"
    locked.write_bytes(b"PK\x03\x04")
    locked.chmod(0)
    real_open = os.open

    def deny(path, *args, **kwargs):  # the tests run as root, who may read a mode-000 file
        if str(path).endswith("locked.keras"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    [finding] = inputs.load([str(locked)]).findings
    assert (finding.code, finding.message) == ("MC001", "permission denied")


def test_json_depth_prescan_ignores_brackets_in_strings():
    from modelcheck.readers.model.keras_file import MAX_JSON_DEPTH, json_depth, load_json
    from modelcheck.errors import InputError

    assert json_depth(b'{"a": "[[[[\\"]]]]", "b": [[1]]}') == 3
    assert json_depth(b'["\\\\", ["\\\\\\"[", []]]') == 3
    assert load_json('{"name": "' + '[\\"' * 10_000 + '"}', "x") == {"name": '["' * 10_000}
    with pytest.raises(InputError, match="nested deeper"):
        load_json(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), "x")
    big = b"[" + b"[1, {\"k\": \"[\\\"]\"}]," * 1_000_000 + b"0]"  # 19 MB; its speed is in bench/hostile_bench.py
    assert json_depth(big) == 3


def test_bytecode_names_are_read_without_unmarshalling(keras3_models):
    import zipfile

    from modelcheck.readers.model.config_code import bytecode_strings

    config = json.loads(zipfile.ZipFile(keras3_models / "lambda_canary.keras").read("config.json"))
    lam = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Lambda")
    strings = bytecode_strings(lam["config"]["function"]["config"]["code"])
    assert {"open", "write"} <= set(strings)
    assert any(text.endswith("LAMBDA_RAN") for text in strings)
    assert bytecode_strings("%%%") == [] and bytecode_strings("") == []


# --- bugs the corpus found in other modules (fixed) ------------------------------------------


def test_toml_config_with_a_5000_digit_integer_is_mc001_not_an_internal_error(tmp_path):
    from modelcheck import inputs

    config = tmp_path / "train.toml"
    config.write_text("[fit]\nepochs = " + "9" * 5000 + "\n")
    [finding] = inputs.load([str(config)]).findings
    assert finding.code == "MC001" and "internal error" not in finding.message


def test_yaml_config_with_a_control_character_is_mc001_not_an_internal_error(tmp_path):
    from modelcheck import inputs

    config = tmp_path / "train.yaml"
    config.write_bytes(b"model:\x03 x\n")
    [finding] = inputs.load([str(config)]).findings
    assert finding.code == "MC001" and "internal error" not in finding.message


def test_rules_on_a_10000_layer_model_finish():
    from modelcheck.engine import run_rules
    from modelcheck.readers.model.model_config import setup_from_configs
    from modelcheck.settings import Settings

    layers = [{"class_name": "Dense", "config": {"name": f"d{i}", "units": 4, "activation": "linear"}} for i in range(10_000)]
    setup = setup_from_configs("many.keras", {"class_name": "Sequential", "config": {"layers": layers}}, None)

    with hang_guard(120, "the rules on a 10 000-layer model"):  # a quadratic rule would take hours
        findings = run_rules(setup, Settings())
    assert sorted((f.code, f.location.layer) for f in findings) == sorted(("MC104", f"d{i}") for i in range(9_999))  # each linear pair


def test_console_output_carries_no_control_characters_from_a_script(tmp_path):
    from conftest import run_cli

    script = tmp_path / "train.py"
    script.write_text("import keras\nmodel = keras.Sequential([keras.Input((8,)), keras.layers.Dense(64, activation='softmax', "
                      "name='x\x1b[2Jy'), keras.layers.Dense(2, activation='softmax')])\n")
    result = run_cli("--no-color", str(script))
    assert "MC101" in result.stdout
    assert "\x1b" not in result.stdout


def test_a_sibling_module_cannot_make_the_script_reader_use_a_gigabyte(tmp_path):
    (tmp_path / "Net.py").write_text("x = [" + ",".join(["0"] * 1_000_000) + "]\ndef build():\n    import keras\n    return keras.Sequential()\n")
    (tmp_path / "train.py").write_text("import keras\nfrom Net import build\nmodel = build()\nmodel.compile(loss='categorical_crossentropy')\n")
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) pytest process.
    probe = ("import re, sys; from modelcheck.inputs import load; load([sys.argv[1]]); "
             "print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024)")
    try:
        result = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "train.py")], capture_output=True, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.fail("reading a script beside a 1 000 000-element module hung: no result after 300 s", pytrace=False)
    assert int(result.stdout.strip().splitlines()[-1]) < 400, "peak memory in MB"


def test_a_control_character_in_a_config_key_is_shown_escaped(tmp_path):
    from modelcheck import inputs

    config = tmp_path / "train.yaml"
    config.write_text('model:\n  backbone: VGG16\n  "\\x1b": 1\n')
    [finding] = inputs.load([str(config)]).findings
    assert finding.code == "MC001" and finding.message.isprintable() and "\\x1b" in finding.message
