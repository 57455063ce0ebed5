"""`--format sarif`: SARIF 2.1.0 for code-scanning upload, rules carrying their docs.

GitHub code scanning wants every result on a line: model-file findings point at
line 1 of the file, with the layer as a logical location. ``partialFingerprints``
hash what a finding is about (its source line's text, config key or layer, as
baselines do), not its line number, so alerts survive code moving up or down.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path, PurePath
from typing import Any, Mapping

from modelcheck import __version__
from modelcheck.findings import Finding, Severity
from modelcheck.ruledocs import REPOSITORY_URL, all_docs, rule_url

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "modelcheck/v1"


def _rule_entry(code: str, fixable: bool) -> dict[str, Any]:
    doc = all_docs().get(code)
    if doc is None:
        return {"id": code, "helpUri": rule_url(code)}
    return {
        "id": code,
        "name": doc.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.sections.get("What it does", doc.summary)},
        "help": {"text": doc.body, "markdown": doc.body},
        "helpUri": rule_url(code),
        "defaultConfiguration": {"level": _LEVEL[doc.severity]},
        "properties": {"tags": ["keras", "transfer-learning"] + (["fixable"] if fixable else []),
                       "severities": [str(s) for s in doc.severities]},
    }


def _uri(path: str) -> str:
    return PurePath(path).as_posix()


def _fixable_codes() -> set[str]:
    from modelcheck.fix.cli_hook import FIXABLE_CODES  # a constant: the fixer itself is not loaded

    return set(FIXABLE_CODES)


def _fix(finding: Finding, region: dict[str, Any]) -> dict[str, Any]:
    """A SARIF fix: what ``modelcheck --fix`` does at this place. The exact edit is made by
    ``--fix`` (``--diff`` shows it); the replacement here marks where, inserting nothing."""
    assert finding.fix is not None
    start = {"startLine": region["startLine"], "startColumn": region.get("startColumn", 1)}
    return {
        "description": {"text": f"{finding.fix.message} (apply with `modelcheck --fix`)"},
        "artifactChanges": [{
            "artifactLocation": {"uri": _uri(finding.location.path)},
            "replacements": [{"deletedRegion": {**start, "endLine": start["startLine"], "endColumn": start["startColumn"]}}],
        }],
    }


def _fingerprints(findings: list[Finding], sources: Mapping[str, tuple[str, ...]]) -> list[str]:
    from modelcheck.baseline import _Lines, finding_key

    lines = _Lines(sources)
    root = Path(os.getcwd())
    seen: Counter[tuple[str, str, str]] = Counter()
    prints = []
    for finding in findings:
        key = finding_key(finding, root, lines)
        seen[key] += 1
        prints.append(f"{key[2]}:{seen[key]}")  # the n-th identical finding keeps its own alert
    return prints


def render(findings: list[Finding], sources: Mapping[str, tuple[str, ...]] | None = None) -> str:
    """The SARIF log of the findings; ``sources`` are the checked files' lines (for fingerprints)."""
    codes = sorted({f.code for f in findings} | set(all_docs()))
    index = {code: position for position, code in enumerate(codes)}
    fixable = _fixable_codes()
    results = []
    for finding, fingerprint in zip(findings, _fingerprints(findings, sources or {})):
        where = finding.location
        # A result without a line is not shown on a file by code scanning: line 1 for whole-file findings.
        # A notebook: the region is the line of the .ipynb's JSON text holding the source line (what
        # GitHub shows of the file); the cell position goes in properties.
        line = where.file_line if where.cell is not None else where.line
        region: dict[str, Any] = {"startLine": line or 1}
        if where.cell is None and where.line and where.column:
            region["startColumn"] = where.column
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": _uri(where.path)}, "region": region}}
        if where.cell is not None:
            location["properties"] = {"cell": where.cell, "cellLine": where.line, "cellColumn": where.column}
            location["message"] = {"text": where.describe()}
        logical = where.layer or where.key
        if logical:
            location["logicalLocations"] = [{"fullyQualifiedName": logical, "name": logical.rsplit("/", 1)[-1],
                                             "kind": "member" if where.layer else "element"}]
        text = finding.message + (f" Hint: {finding.hint}" if finding.hint else "")
        if where.cell is not None:
            text = f"[{where.describe()}] {text}"
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": _LEVEL[finding.severity],
            "message": {"text": text},
            "locations": [location],
            "partialFingerprints": {FINGERPRINT: fingerprint},
        }
        if finding.fix is not None:
            result["fixes"] = [_fix(finding, region)]
        results.append(result)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "modelcheck",
                        "version": __version__,
                        "informationUri": REPOSITORY_URL,
                        "rules": [_rule_entry(code, code in fixable) for code in codes],
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(document, indent=2)
