"""rules/MCxxx.md is each rule's identity: docs, registry and the RULES.md contract agree,
and every doc's Example triggers its rule while its "Use instead" does not."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import SHARED, run_cli
from modelcheck.engine import registered_codes
from modelcheck.ruledocs import SECTIONS, all_docs
from modelcheck.runner import check_paths
from modelcheck.settings import Settings

DOCS = all_docs()
RULE_DOCS = {code: doc for code, doc in DOCS.items() if not code.startswith("MC0")}
# Probe rules (MC5xx) run only with --probe; they are registered by the probe, not the static engine.
STATIC_DOCS = {code for code in RULE_DOCS if not code.startswith("MC5")}


def test_every_static_rule_has_a_doc_and_every_doc_a_rule():
    assert set(registered_codes()) == STATIC_DOCS


def test_docs_match_the_rules_contract():
    contract = {}
    for line in (SHARED / "RULES.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*(MC\d{3})\s*\|\s*([a-z0-9-]+)\s*\|\s*((?:error|warning|info)(?:\s*/\s*(?:error|warning|info))*)\s*\|", line)
        if match:
            contract[match.group(1)] = (match.group(2), {part.strip() for part in match.group(3).split("/")})
    for code, doc in RULE_DOCS.items():
        assert code in contract, f"{code} is not in RULES.md"
        name, severities = contract[code]
        assert doc.name == name, code
        assert {str(s) for s in doc.severities} == severities, code
        assert doc.severity in doc.severities, code


def test_multi_severity_front_matter_keeps_a_default():
    doc = DOCS["MC202"]
    assert str(doc.severity) == "warning"
    assert [str(s) for s in doc.severities] == ["info", "warning", "error"]


@pytest.mark.parametrize("code", sorted(DOCS))
def test_doc_structure(code):
    doc = DOCS[code]
    assert doc.path.name == f"{code}.md"
    assert doc.summary
    headings = [h for h in doc.sections if h in SECTIONS]
    assert headings == list(SECTIONS), f"{code}: sections {list(doc.sections)}"
    if code in RULE_DOCS:
        assert doc.code_blocks("Example") and doc.code_blocks("Use instead")


def _example_cases():
    for code in sorted(RULE_DOCS):
        for section, expected in (("Example", True), ("Use instead", False)):
            for number, (info, _) in enumerate(RULE_DOCS[code].code_blocks(section)):
                if "probe" in info.split():
                    continue  # probe examples train a model: tests/test_probe_docs.py runs them
                yield pytest.param(code, section, number, expected, id=f"{code}-{section.split()[0]}-{number}")


def _save_model(snippet: str, folder: Path) -> list[Path]:
    """Run a doc's `save-model` snippet (our own trusted doc) with Keras and save `model`."""
    if not any(Path(p, "keras").is_dir() for p in sys.path if p):
        pytest.skip("keras not installed")
    script = snippet + textwrap.dedent(
        f"""
        model.save({str(folder / 'example.keras')!r})
        model.save({str(folder / 'example.h5')!r})
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
    return [folder / "example.keras", folder / "example.h5"]


@pytest.mark.parametrize("code,section,number,expected", list(_example_cases()))
def test_doc_examples(code, section, number, expected, tmp_path):
    info, snippet = RULE_DOCS[code].code_blocks(section)[number]
    if "save-model" in info:
        targets = _save_model(snippet, tmp_path)
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
        assert not [f for f in result.findings if f.code == "MC001"], result.findings
        if expected:
            assert code in found, f"{code} {section} in {target.name}: found {found}"
        else:
            assert code not in found, f"{code} {section} in {target.name}: {[f.message for f in result.findings if f.code == code]}"


def test_rules_listing_and_sarif_show_every_severity_a_rule_reports():
    from modelcheck.report.sarif import _rule_entry

    listing = run_cli("rules").stdout.splitlines()
    [mc202] = [line for line in listing if line.startswith("MC202 ")]
    assert "warning/info/error" in mc202
    [mc306] = [line for line in listing if line.startswith("MC306 ")]
    assert "unscaled-input" in mc306 and " warning " in mc306
    entry = _rule_entry("MC202")
    assert entry["defaultConfiguration"]["level"] == "warning"
    assert entry["properties"]["severities"] == ["info", "warning", "error"]
