"""Model files (Keras 3 .keras/.h5 and Keras 2 .h5) checked end to end through the CLI."""

from __future__ import annotations

from conftest import run_cli, run_json


def codes(document: dict) -> list[tuple[str, str | None]]:
    return [(f["code"], f["layer"]) for f in document["findings"]]


def test_hidden_softmax_is_reported_on_its_layer(model_file):
    status, document = run_json(str(model_file("hidden_softmax")))
    assert status == 1
    assert codes(document) == [("MC101", "dense")]
    assert "Dense(64, activation='softmax')" in document["findings"][0]["message"]


def test_seed000_hidden_softmax_in_the_head_of_a_nested_vgg16(model_file):
    status, document = run_json(str(model_file("seed000_functional")))
    assert status == 1
    found = [f for f in document["findings"] if f["code"] == "MC101"]
    assert len(found) == 1 and "Dense(256, activation='softmax')" in found[0]["message"]


def test_sigmoid_over_five_classes_under_categorical_loss(model_file):
    status, document = run_json(str(model_file("sigmoid_categorical")))
    assert status == 1
    assert [f["code"] for f in document["findings"]] == ["MC102"]
    assert "do not sum to 1" in document["findings"][0]["message"]


def test_clean_models_exit_zero(model_file):
    for name in ("healthy_cnn", "clean_finetune"):
        result = run_cli(str(model_file(name)))
        assert result.returncode == 0, result.stdout
        assert "All checks passed" in result.stdout


def test_double_activation_is_one_finding_not_a_hidden_softmax(model_file):
    status, document = run_json(str(model_file("double_activation")))
    assert codes(document) == [("MC106", "activation")]


def test_stacked_linear_layers(model_file):
    status, document = run_json(str(model_file("stacked_linear")))
    assert [f["code"] for f in document["findings"]] == ["MC104"]


def test_everything_frozen_is_an_error(model_file):
    status, document = run_json(str(model_file("all_frozen")))
    assert status == 1
    [finding] = document["findings"]
    assert (finding["code"], finding["severity"]) == ("MC202", "error")
    assert "frozen" in finding["message"]


def test_lambda_is_reported_and_never_run(model_file, canary_path):
    assert not canary_path.exists()
    status, document = run_json(str(model_file("lambda_canary")))
    assert status == 1
    [finding] = document["findings"]
    assert finding["code"] == "MC601" and finding["layer"] == "canary"
    assert "open" in finding["message"]  # what the bytecode would have called
    assert not canary_path.exists()
