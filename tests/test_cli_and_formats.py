"""The command line as users and CI see it: formats, exit codes, selection, bad input."""

from __future__ import annotations

import json
import re

import jsonschema

from conftest import DATA, run_cli, run_json

SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def test_json_schema_shape(keras3_models):
    status, document = run_json(str(keras3_models / "hidden_softmax.keras"), str(keras3_models / "healthy_cnn.keras"))
    assert document["version"] == 1
    assert set(document["findings"][0]) >= {"code", "name", "severity", "message", "path", "line", "column", "layer", "hint"}
    assert document["summary"]["files"] == 2
    assert document["summary"]["errors"] == 1
    assert document["summary"]["by_code"] == {"MC101": 1}


def test_sarif_validates_against_the_schema_and_carries_rule_help(keras3_models):
    result = run_cli("--format", "sarif", str(keras3_models / "hidden_softmax.keras"), str(keras3_models / "lambda_canary.h5"))
    document = json.loads(result.stdout)
    jsonschema.validate(document, SARIF_SCHEMA)
    run = document["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert "Why is this bad?" in rules["MC101"]["help"]["markdown"]
    assert {r["ruleId"] for r in run["results"]} == {"MC101", "MC601"}
    for sarif_result in run["results"]:
        assert run["tool"]["driver"]["rules"][sarif_result["ruleIndex"]]["id"] == sarif_result["ruleId"]
        assert sarif_result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]


def test_sarif_of_scripts_validates_against_the_schema():
    """Script findings carry lines and columns: the regions the schema constrains."""
    result = run_cli("--format", "sarif", "examples/")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, SARIF_SCHEMA)
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in document["runs"][0]["results"] if r["ruleId"] == "MC101"]
    assert regions and all(region["startLine"] >= 1 and region["startColumn"] >= 1 for region in regions)


def test_github_annotations(keras3_models):
    result = run_cli("--format", "github", str(keras3_models / "hidden_softmax.keras"))
    assert result.returncode == 1
    [line] = result.stdout.splitlines()
    assert re.match(r"::error file=.*hidden_softmax\.keras,title=MC101 hidden-softmax::\[layer dense\] ", line)


def test_fail_on_error_ignores_warnings(keras3_models):
    stacked = str(keras3_models / "stacked_linear.keras")
    assert run_cli(stacked).returncode == 1
    assert run_cli("--fail-on", "error", stacked).returncode == 0


def test_select_and_ignore_by_code_and_prefix(keras3_models):
    target = str(keras3_models / "double_activation.keras")
    assert [f["code"] for f in run_json(target)[1]["findings"]] == ["MC106"]
    assert run_json("--ignore", "MC106", target)[1]["findings"] == []
    assert run_json("--select", "MC1", "--ignore", "MC10", target)[1]["findings"] == []
    assert run_json("--select", "MC6", target)[1]["findings"] == []


def test_directory_scan_recurses_and_sorts(keras3_models):
    status, document = run_json(str(keras3_models))
    paths = [f["path"] for f in document["findings"]]
    assert paths == sorted(paths)
    assert document["summary"]["files"] == len(list(keras3_models.glob("*.keras"))) + len(list(keras3_models.glob("*.h5")))
    again = run_json(str(keras3_models))[1]
    assert again == document  # deterministic


def test_bad_inputs_are_one_line_findings_and_the_rest_is_checked(tmp_path, keras3_models):
    (tmp_path / "corrupt.keras").write_bytes(b"PK\x03\x04 definitely not a zip")
    (tmp_path / "text.h5").write_text("hello")
    (tmp_path / "notes.json").write_text('{"a": 1}')
    result = run_cli(
        "--format", "json",
        str(tmp_path / "corrupt.keras"), str(tmp_path / "missing.keras"), str(tmp_path / "text.h5"),
        str(tmp_path / "notes.json"), str(keras3_models / "hidden_softmax.keras"),
    )
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    by_path = {f["path"].split("/")[-1]: f for f in document["findings"]}
    assert by_path["corrupt.keras"]["code"] == "MC001"
    assert by_path["missing.keras"]["code"] == "MC001" and "no such file" in by_path["missing.keras"]["message"]
    assert by_path["text.h5"]["code"] == "MC001"
    assert by_path["notes.json"]["code"] == "MC002" and by_path["notes.json"]["severity"] == "info"
    assert by_path["hidden_softmax.keras"]["code"] == "MC101"
    assert all("\n" not in f["message"] for f in document["findings"])


def test_console_report_names_layer_and_hint(keras3_models):
    result = run_cli("--show-layers", str(keras3_models / "clean_finetune.keras"))
    assert result.returncode == 0
    assert "block5_conv1" in result.stdout and "frozen" in result.stdout
    result = run_cli(str(keras3_models / "hidden_softmax.keras"))
    assert "MC101" in result.stdout and "[dense]" in result.stdout and "hint:" in result.stdout


def test_usage_errors_exit_2():
    assert run_cli("--select", "MC999").returncode == 2  # no path: "." is checked (as ruff does), so no longer a usage error
    assert run_cli("--format", "xml", "x.keras").returncode == 2
    assert run_cli("rule", "MC999").returncode == 2


def test_rule_and_rules_commands():
    result = run_cli("rule", "MC101")
    assert result.returncode == 0 and "## Why is this bad?" in result.stdout
    listing = run_cli("rule", "--all").stdout
    assert re.search(r"^MC601\s+code-in-model-file\s+error", listing, re.M)
