"""The conventions linters share (issue 15): fix marks, concise/full output, first sentences,
--statistics / --exit-zero / --quiet / --show-fixes, stdin, the default path, suppressions
(noqa, unused ones as MC004), SARIF for code scanning, the Python API and notebook HTML,
--show-layers columns, and predict.py checked alone."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT, run_cli
from modelcheck.findings import Finding, FixSpec, Severity
from modelcheck.ir import Location
from modelcheck.report.console import render
from modelcheck.report.json_format import render as render_json
from modelcheck.report.sarif import render as render_sarif
from modelcheck.ruledocs import all_docs
from modelcheck.runner import check_paths
from modelcheck.settings import Settings

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
EXAMPLES = ROOT / "examples"

SCRIPT = """\
from keras import layers, models, optimizers
model = models.Sequential([
    layers.Input(shape=(64, 64, 3)),
    layers.Flatten(),
    layers.Dense(64, activation="softmax"),{comment}
    layers.Dense(5, activation="softmax"),
])
model.compile(optimizer=optimizers.Adam(lr=0.001), loss="categorical_crossentropy", metrics=["accuracy"])
"""


def _fixable_finding() -> Finding:
    return Finding("MC101", "hidden-softmax", Severity.ERROR, "`Dense(64)` is a hidden layer: softmax squeezes it",
                   Location("train.py", 5, 5), "Use relu.", FixSpec("change the activation to 'relu'", (("activation", "relu"),)))


def _plain_finding() -> Finding:
    return Finding("MC103", "output-class-mismatch", Severity.ERROR, "the output has 3 units but the data has 5 classes. Details",
                   Location("train.py", 6, 5))


# --- fixability ---------------------------------------------------------------------------------

def test_fixable_findings_are_marked_counted_and_carried_in_json_and_sarif():
    findings = [_fixable_finding(), _plain_finding()]
    buffer = io.StringIO()
    render(findings, 1, stream=buffer, color=False)
    text = buffer.getvalue()
    assert "train.py:5:5: MC101 error [*] `Dense(64)` is a hidden layer" in text
    assert "train.py:6:5: MC103 error the output has 3 units" in text  # no mark: nothing to fix
    assert "[*] 1 fixable with `--fix`." in text
    document = json.loads(render_json(findings, 1))
    assert document["findings"][0]["fix"] == {"applicable": True, "message": "change the activation to 'relu'"}
    assert document["findings"][1]["fix"] is None
    sarif = json.loads(render_sarif(findings))
    jsonschema.validate(sarif, SCHEMA)
    first, second = sarif["runs"][0]["results"]
    assert first["fixes"][0]["description"]["text"].startswith("change the activation to 'relu'")
    assert first["fixes"][0]["artifactChanges"][0]["artifactLocation"]["uri"] == "train.py"
    assert "fixes" not in second


def test_examples_mark_every_finding_that_fix_repairs(tmp_path):
    """End to end: the [*] marks are exactly the findings `--fix` fixes (needs rules that attach fixes)."""
    from modelcheck.fix.apply import fix_files

    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    result = check_paths([str(copy)], Settings())
    fixed = {(a.finding.location.path, a.finding.location.line, a.finding.code) for a in fix_files(result.findings, write=False, setups=result.setups).applied}
    assert fixed
    marked = {(f.location.path, f.location.line, f.code) for f in result.findings if f.fix is not None}
    assert marked == fixed


def test_rules_listing_shows_which_rules_fix(tmp_path):
    from modelcheck.fix.apply import FIXABLE_CODES

    listing = run_cli("rules", cwd=tmp_path).stdout
    marked = set(re.findall(r"^(MC\d{3})\s+\S+\s+\w+\s+\[\*\]", listing, re.M))
    assert marked == set(FIXABLE_CODES)


# --- output formats ----------------------------------------------------------------------------

def _project(tmp_path: Path, comment: str = "") -> Path:
    (tmp_path / "train.py").write_text(SCRIPT.format(comment=comment))
    return tmp_path


def test_concise_is_one_line_per_finding_with_the_first_sentence(tmp_path):
    _project(tmp_path)
    result = run_cli("--output-format", "concise", "train.py", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0] == "train.py:5:5: MC101 [*] `Dense(64, activation='softmax')` is a hidden layer"
    assert lines[1].startswith("train.py:8:41: MC402 [*] `lr=` was removed in Keras 3") and lines[1].endswith("2.16")
    assert lines[2].startswith("Found 2 problems")
    assert run_cli("--format", "concise", "train.py", cwd=tmp_path).stdout == result.stdout  # --format: the old name
    full = run_cli("--output-format", "full", "train.py", cwd=tmp_path).stdout
    assert "  softmax squeezes its 64 outputs" in full and "   5 |" in full


def test_first_sentences_read_alone_in_100_characters(tmp_path):
    """Every finding of the examples and of the rule docs' examples leads with a short sentence."""
    from modelcheck.report import headline

    findings = list(check_paths([str(EXAMPLES)], Settings()).findings)
    for code, doc in sorted(all_docs().items()):
        for section in ("Example", "Use instead"):
            for number, (info, snippet) in enumerate(doc.code_blocks(section)):
                if "save-model" in info or "probe" in info.split():
                    continue  # model files need Keras; probe examples train
                folder = tmp_path / f"{code}-{section[0]}{number}"
                folder.mkdir()
                kind = info.split()[0]
                target = folder / ("example.py" if kind.startswith("python") else f"train.{kind}")
                target.write_text(snippet, encoding="utf-8")
                findings += check_paths([str(target)], Settings()).findings
    assert len({f.code for f in findings}) >= 15
    for finding in findings:
        first = headline(finding.message)
        assert 10 <= len(first) <= 100, (finding.code, len(first), first)
        assert not first.endswith((":", ";", ",")), first


def test_split_message_keeps_code_and_abbreviations_together():
    from modelcheck.report import split_message

    assert split_message("`x[:, 0]` is wrong: because") == ("`x[:, 0]` is wrong", "because")
    assert split_message("holds 10 images, i.e. 1 step: asked for more") == ("holds 10 images, i.e. 1 step", "asked for more")
    assert split_message("a {'k': 1} dict. Then more") == ("a {'k': 1} dict", "Then more")
    assert split_message("no explanation") == ("no explanation", "")


def test_statistics_exit_zero_quiet_and_show_fixes(tmp_path):
    _project(tmp_path)
    failing = run_cli("train.py", cwd=tmp_path)
    assert failing.returncode == 1
    assert run_cli("--exit-zero", "train.py", cwd=tmp_path).returncode == 0
    quiet = run_cli("-q", "--output-format", "concise", "train.py", cwd=tmp_path).stdout
    assert quiet.splitlines()[-1].startswith("train.py:8:41: MC402") and "Found" not in quiet
    stats = run_cli("--statistics", "train.py", cwd=tmp_path).stdout
    assert "    1  MC101  hidden-softmax (error)" in stats and "    1  MC402  removed-api (warning)" in stats
    shown = run_cli("--show-fixes", "train.py", cwd=tmp_path).stdout
    assert "No fixes available." in shown or "Fixable with `--fix`" in shown


def test_default_path_is_the_working_directory(tmp_path):
    _project(tmp_path)
    result = run_cli("--output-format", "concise", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout.startswith("train.py:5:5: MC101")


def test_stdin_is_checked_under_the_given_name(tmp_path):
    result = run_cli("--output-format", "concise", "--stdin-filename", "models/train.py", "-",
                     input=SCRIPT.format(comment=""), cwd=tmp_path, timeout=120)
    assert result.stdout.splitlines()[0] == "models/train.py:5:5: MC101 [*] `Dense(64, activation='softmax')` is a hidden layer"
    assert "1 file checked" in result.stdout
    full = run_cli("--stdin-filename", "models/train.py", "-", input=SCRIPT.format(comment=""), cwd=tmp_path, timeout=120)
    assert full.stdout.splitlines()[:3] == [
        "models/train.py:5:5: MC101 error [*] `Dense(64, activation='softmax')` is a hidden layer",
        full.stdout.splitlines()[1],
        '     5 |     layers.Dense(64, activation="softmax"),',
    ]


def test_a_notebook_from_stdin_shows_its_cells_under_the_given_name(tmp_path):
    import json as json_module

    from notebook_factory import SMALL_CNN, code, notebook

    document = json_module.dumps(notebook([code("import keras"), code(SMALL_CNN)]))
    result = run_cli("--stdin-filename", "nb/train.ipynb", "-", input=document, cwd=tmp_path, timeout=120)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("nb/train.ipynb:cell 2:8:5: MC101 error")
    assert '     8 |     layers.Dense(64, activation="softmax"),' in lines[:4]


# --- suppressions ------------------------------------------------------------------------------

def test_noqa_suppresses_and_unused_suppressions_are_mc004(tmp_path):
    _project(tmp_path, comment="  # noqa: MC101")
    codes = run_cli("--output-format", "concise", "train.py", cwd=tmp_path).stdout
    assert "MC101" not in codes.split("MC004")[0] and "train.py:8:41: MC402" in codes
    _project(tmp_path, comment="  # noqa: E501, MC402")  # a noqa for MC402 on a line without MC402
    unused = run_cli("--output-format", "concise", "train.py", cwd=tmp_path).stdout
    assert "train.py:5:46: MC004 unused suppression `# noqa: E501, MC402` (MC402)" in unused
    assert "train.py:5:5: MC101" in unused


def test_mc004_is_silent_for_codes_that_did_not_run(tmp_path):
    _project(tmp_path, comment="  # modelcheck: ignore[MC402]")
    assert "MC004" in run_cli("--output-format", "concise", "train.py", cwd=tmp_path).stdout
    for flags in (["--select", "MC1"], ["--ignore", "MC402"], ["--extend-ignore", "MC004"]):
        assert "MC004" not in run_cli("--output-format", "concise", *flags, "train.py", cwd=tmp_path).stdout, flags


# --- SARIF -------------------------------------------------------------------------------------

def test_sarif_model_file_results_have_a_line_and_the_layer_as_logical_location():
    from modelcheck.ruledocs import rule_url

    finding = Finding("MC101", "hidden-softmax", Severity.ERROR, "`Dense(64)` is a hidden layer", Location("model.keras", layer="head/dense"))
    document = json.loads(render_sarif([finding]))
    jsonschema.validate(document, SCHEMA)
    [result] = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "head/dense"
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["helpUri"] == rule_url("MC101")


def test_sarif_fingerprints_survive_lines_moving(tmp_path):
    _project(tmp_path)
    before = json.loads(run_cli("--output-format", "sarif", "train.py", cwd=tmp_path).stdout)
    (tmp_path / "train.py").write_text("# a header comment\n\n" + SCRIPT.format(comment=""))
    after = json.loads(run_cli("--output-format", "sarif", "train.py", cwd=tmp_path).stdout)
    jsonschema.validate(after, SCHEMA)
    lines = [[r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in d["runs"][0]["results"]] for d in (before, after)]
    assert lines == [[5, 8], [7, 10]]
    prints = [[r["partialFingerprints"] for r in d["runs"][0]["results"]] for d in (before, after)]
    assert prints[0] == prints[1] and prints[0][0] != prints[0][1]


def test_rule_links_point_at_the_rule_page_and_keras_io():
    from modelcheck.ruledocs import rule_url

    assert rule_url("MC101").endswith("/rules/MC101.md")
    for code, page in (("MC201", "https://keras.io/api/applications/"), ("MC205", "https://keras.io/guides/transfer_learning/"),
                       ("MC401", "https://keras.io/api/callbacks/")):
        assert f"({page})" in all_docs()[code].sections["References"], code


def test_docs_links_resolve_inside_the_repository():
    for page in sorted((ROOT / "docs").glob("*.md")):
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), (page.name, target)


# --- Python API and notebook HTML ---------------------------------------------------------------

def test_api_check_takes_selection_fail_on_and_settings(tmp_path):
    import modelcheck

    _project(tmp_path)
    path = str(tmp_path / "train.py")
    assert modelcheck.check(path).codes == ["MC101", "MC402"]
    assert modelcheck.check(path, select=["hidden-softmax"]).codes == ["MC101"]
    assert modelcheck.check(path, ignore="MC1").codes == ["MC402"]
    assert modelcheck.check(path, select="MC402", fail_on="error").ok is True
    assert modelcheck.check(path, settings=Settings(select=("MC4",))).codes == ["MC402"]
    with pytest.raises(ValueError, match="did you mean 'MC101'"):
        modelcheck.check(path, select=["MC1O1"])


def test_notebook_html_renders_code_spans_and_links_codes(tmp_path):
    from modelcheck.ruledocs import rule_url

    import modelcheck

    _project(tmp_path)
    html = modelcheck.check(str(tmp_path / "train.py"))._repr_html_()
    assert "<code>Dense(64, activation=&#x27;softmax&#x27;)</code> is a hidden layer" in html
    assert "`" not in re.sub(r"<[^>]+>", "", html)
    assert f'<a href="{rule_url("MC101")}"' in html


# --- --show-layers ------------------------------------------------------------------------------

def test_show_layers_has_output_shape_and_param_columns():
    result = run_cli("--show-layers", "--output-format", "concise", "examples/seed000/train_sequential.py")
    table = result.stdout
    assert re.search(r"^\s*#\s+layer\s+class\s+Output Shape\s+Param #\s+activation\s+trainable$", table, re.M), table
    assert re.search(r"^\s*0\s+flatten\s+Flatten\s+\(41472,\)\s+0\b", table, re.M), table
    assert re.search(r"^\s*1\s+dense\s+Dense\s+\(256,\)\s+10,617,088\b", table, re.M), table  # 41472 * 256 + 256
    assert re.search(r"^\s*1\s+block1_conv1\s+Conv2D\s{10,}frozen$", table, re.M), table  # unknown count: blank, not a guess


# --- predict.py checked alone ---------------------------------------------------------------------

def test_predict_script_checked_alone_is_compared_with_its_training_script(tmp_path):
    copy = tmp_path / "seed001"
    shutil.copytree(EXAMPLES / "seed001", copy)
    result = run_cli("--output-format", "concise", "predict.py", cwd=copy)
    assert [line.split(" ")[0:2] for line in result.stdout.splitlines() if ": MC" in line] == [["predict.py:11:9:", "MC303"]]
    assert "1 file checked" in result.stdout


def test_ci_docs_show_a_rev_that_works():
    """The `rev:` in docs/ci.md is a full commit SHA with instructions, or a tag the repository has."""
    import subprocess

    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    [rev] = re.findall(r"^\s+rev:\s*(\S+)", text, re.M)
    tags = subprocess.run(["git", "tag"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert rev in tags or (re.fullmatch(r"[0-9a-f]{40}", rev) and "autoupdate --freeze" in text), rev
    assert "[training-config.md](training-config.md)" in text


def test_cli_docs_table_covers_every_flag():
    from modelcheck.cli import build_parser

    table = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    flags = {option for action in build_parser()._actions for option in action.option_strings if option.startswith("--")}
    missing = sorted(flag for flag in flags - {"--help", "--version"} if f"`{flag}" not in table and f"{flag}`" not in table
                     and not flag.startswith(("--probe-", "--data", "--trust-model-code")))
    assert missing == []
