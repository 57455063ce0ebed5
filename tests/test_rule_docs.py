"""rules/MCxxx.md is each rule's identity: docs, the engine's registry and what the CLI
prints agree, and every doc's Example triggers its rule while its "Use instead" does not."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from modelcheck.cli import main
from modelcheck.engine import INPUT_CODES, registered_codes
from modelcheck.ruledocs import SECTIONS, all_docs
from modelcheck.runner import check_paths
from modelcheck.settings import Settings

DOCS = all_docs()
RULE_DOCS = {code: doc for code, doc in DOCS.items() if not code.startswith("MC0")}
# Probe rules (MC5xx) run only with --probe; they are registered by the probe, not the static engine.
STATIC_DOCS = {code for code in RULE_DOCS if not code.startswith("MC5")}


def test_every_static_rule_has_a_doc_and_every_doc_a_rule():
    assert set(registered_codes()) == STATIC_DOCS


def _probe_codes() -> set[str]:
    """The codes the probe reports: it has no registry, its modules name them in `report("MC5xx", ...)`."""
    found: set[str] = set()
    for path in (ROOT / "modelcheck" / "probe").rglob("*.py"):
        found |= set(re.findall(r"\breport\(\s*[\"'](MC5\d\d)[\"']", path.read_text(encoding="utf-8")))
    return found


def test_every_probe_code_has_a_doc_and_every_probe_doc_a_code():
    assert _probe_codes() == {code for code in RULE_DOCS if code.startswith("MC5")}


def test_input_codes_are_documented_with_the_engines_name_and_severity():
    documented = {code: (doc.name, doc.severity) for code, doc in DOCS.items() if code.startswith("MC0")}
    assert documented == INPUT_CODES


def test_rules_lists_every_doc_with_its_name_and_severity():
    result = run_cli("rule", "--all")  # `rules` would check the repository's rules/ folder here
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for code, doc in DOCS.items():
        assert any(code in line and doc.name in line and str(doc.severity) in line for line in lines), f"{code} {doc.name} {doc.severity}"


@pytest.mark.parametrize("code", sorted(DOCS))
def test_rule_shows_code_name_and_severity_from_the_doc(code, capsys):
    assert main(["rule", code.lower()]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    doc = DOCS[code]
    assert code in first and doc.name in first and str(doc.severity) in first, first


def test_multi_severity_front_matter_keeps_a_default():
    doc = DOCS["MC202"]
    assert str(doc.severity) == "warning"
    assert [str(s) for s in doc.severities] == ["info", "warning", "error"]
    assert doc.severity in doc.severities


@pytest.mark.parametrize("code", sorted(DOCS))
def test_doc_structure(code):
    doc = DOCS[code]
    assert doc.path.name == f"{code}.md"
    assert doc.summary
    headings = [h for h in doc.sections if h in SECTIONS]
    assert headings == list(SECTIONS), f"{code}: sections {list(doc.sections)}"
    if code in RULE_DOCS:
        assert doc.code_blocks("Example") and doc.code_blocks("Use instead")


def _case_id(code: str, section: str, number: int) -> str:
    return f"{code}-{section.split()[0]}-{number}"


def _example_cases():
    for code in sorted(RULE_DOCS):
        for section, expected in (("Example", True), ("Use instead", False)):
            for number, (info, _) in enumerate(RULE_DOCS[code].code_blocks(section)):
                if "probe" in info.split():
                    continue  # probe examples train a model: tests/test_probe_docs.py runs them
                marks = [pytest.mark.tf] if "save-model" in info else []  # Keras builds and saves the model
                yield pytest.param(code, section, number, expected, id=_case_id(code, section, number), marks=marks)


# Runs every `save-model` snippet (our own trusted docs) in one child process: Keras is imported once.
SAVER = textwrap.dedent(
    """
    import json, os, sys
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for case in json.load(open(sys.argv[1])):
        namespace = {"__name__": "__main__"}
        exec(compile(case["code"], case["id"], "exec"), namespace)
        folder = os.path.join(sys.argv[2], case["id"])
        os.makedirs(folder)
        namespace["model"].save(os.path.join(folder, "example.keras"))
        namespace["model"].save(os.path.join(folder, "example.h5"))
    """
)


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory) -> Path:
    """Folder per case id holding the `model` of each `save-model` snippet as .keras and .h5."""
    out = tmp_path_factory.mktemp("doc_models")
    cases = [
        {"id": _case_id(code, section, number), "code": snippet}
        for code, doc in sorted(RULE_DOCS.items())
        for section in ("Example", "Use instead")
        for number, (info, snippet) in enumerate(doc.code_blocks(section))
        if "save-model" in info
    ]
    (out / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    subprocess.run([sys.executable, "-c", SAVER, str(out / "cases.json"), str(out)], check=True, capture_output=True,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=600)
    return out


@pytest.mark.parametrize("code,section,number,expected", list(_example_cases()))
def test_doc_examples(code, section, number, expected, tmp_path, request):
    info, snippet = RULE_DOCS[code].code_blocks(section)[number]
    if "save-model" in info:
        folder = request.getfixturevalue("saved_models") / _case_id(code, section, number)
        targets = [folder / "example.keras", folder / "example.h5"]
    elif info.startswith("python"):
        target = tmp_path / "example.py"
        target.write_text(snippet, encoding="utf-8")
        targets = [target]
    elif info.startswith(("yaml", "toml", "json")):
        target = tmp_path / f"train.{info.split()[0]}"
        target.write_text(snippet, encoding="utf-8")
        targets = [target]
    else:
        pytest.fail(f"{code} {section}: code block with unknown info string {info!r}")
    for target in targets:
        result = check_paths([str(target)], Settings())
        found = [f.code for f in result.findings]
        assert not [f for f in result.findings if f.code in ("MC001", "MC003")], result.findings
        if expected:
            assert code in found, f"{code} {section} in {target.name}: found {found}"
        else:
            assert code not in found, f"{code} {section} in {target.name}: {[f.message for f in result.findings if f.code == code]}"


def test_rules_listing_and_sarif_show_every_severity_a_rule_reports():
    from modelcheck.report.sarif import _rule_entry

    listing = run_cli("rule", "--all").stdout.splitlines()  # `rules` would check the rules/ folder here
    [mc202] = [line for line in listing if line.startswith("MC202 ")]
    assert "warning/info/error" in mc202
    [mc306] = [line for line in listing if line.startswith("MC306 ")]
    assert "unscaled-input" in mc306 and " warning " in mc306
    entry = _rule_entry("MC202", fixable=False)
    assert entry["defaultConfiguration"]["level"] == "warning"
    assert entry["properties"]["severities"] == ["info", "warning", "error"]


def test_a_finding_reads_only_its_own_rules_doc():
    from modelcheck import ruledocs

    ruledocs.all_docs.cache_clear()
    ruledocs.doc_for.cache_clear()
    assert ruledocs.doc_for("MC101") == ruledocs.parse_doc(ruledocs.rules_dir() / "MC101.md")
    assert ruledocs.all_docs.cache_info().currsize == 0  # the other docs were not read
    for missing in ("MC999", "../README", "MC10"):
        with pytest.raises(KeyError):
            ruledocs.doc_for(missing)
    assert ruledocs.doc_for("MC303") == ruledocs.all_docs()["MC303"]
