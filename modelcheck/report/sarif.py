"""`--format sarif`: SARIF 2.1.0 for code-scanning upload, rules carrying their docs."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

from modelcheck import __version__
from modelcheck.findings import Finding, Severity
from modelcheck.ruledocs import all_docs

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
HELP_URI = "https://github.com/modelcheck/modelcheck/blob/main/rules/{code}.md"


def _rule_entry(code: str) -> dict[str, Any]:
    doc = all_docs().get(code)
    if doc is None:
        return {"id": code}
    return {
        "id": code,
        "name": doc.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.sections.get("What it does", doc.summary)},
        "help": {"text": doc.body, "markdown": doc.body},
        "helpUri": HELP_URI.format(code=code),
        "defaultConfiguration": {"level": _LEVEL[doc.severity]},
        "properties": {"tags": ["keras", "transfer-learning"], "severities": [str(s) for s in doc.severities]},
    }


def _uri(path: str) -> str:
    return PurePath(path).as_posix()


def render(findings: list[Finding]) -> str:
    codes = sorted({f.code for f in findings} | {c for c in all_docs()})
    index = {code: position for position, code in enumerate(codes)}
    results = []
    for finding in findings:
        where = finding.location
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(where.path)}}
        if where.line:
            region: dict[str, Any] = {"startLine": where.line}
            if where.column:
                region["startColumn"] = where.column
            physical["region"] = region
        location: dict[str, Any] = {"physicalLocation": physical}
        logical = where.layer or where.key
        if logical:
            location["logicalLocations"] = [{"fullyQualifiedName": logical, "kind": "member" if where.layer else "element"}]
        text = finding.message + (f" Hint: {finding.hint}" if finding.hint else "")
        results.append(
            {
                "ruleId": finding.code,
                "ruleIndex": index[finding.code],
                "level": _LEVEL[finding.severity],
                "message": {"text": text},
                "locations": [location],
            }
        )
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "modelcheck",
                        "version": __version__,
                        "informationUri": "https://github.com/modelcheck/modelcheck",
                        "rules": [_rule_entry(code) for code in codes],
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(document, indent=2)
