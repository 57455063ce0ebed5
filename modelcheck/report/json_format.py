"""`--format json`: one versioned JSON object (schema documented in README.md)."""

from __future__ import annotations

import json
from typing import Any

from modelcheck.findings import Finding
from modelcheck.report import summary

SCHEMA_VERSION = 1


def finding_dict(finding: Finding) -> dict[str, Any]:
    """One finding; in a notebook ``cell`` is the 1-based code cell and ``line`` counts within it."""
    where = finding.location
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": str(finding.severity),
        "message": finding.message,
        "path": where.path,
        "cell": where.cell,
        "line": where.line,
        "column": where.column,
        "layer": where.layer,
        "key": where.key,
        "hint": finding.hint,
        "fix": {"applicable": True, "message": finding.fix.message} if finding.fix is not None else None,
    }


def render(findings: list[Finding], files: int, extra: dict[str, Any] | None = None) -> str:
    document: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "findings": [finding_dict(f) for f in findings],
        "summary": summary(findings, files),
    }
    if extra:
        document.update(extra)
    return json.dumps(document, indent=2, sort_keys=False)
