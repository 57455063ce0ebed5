"""`--format json`: one versioned JSON object (schema documented in README.md)."""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
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
    document: dict[str, Any] = {"version": SCHEMA_VERSION, "findings": [], "summary": summary(findings, files)}
    if extra:
        document.update(extra)
    text = json.dumps(document, indent=2, sort_keys=False)
    if not findings:
        return text
    # Each finding is written as json.dumps(indent=2) would write it, from C-encoded values:
    # the pure-Python indenting encoder took 10 ms for 800 findings.
    body = ",\n".join(_finding_text(finding_dict(finding)) for finding in findings)
    return text.replace('\n  "findings": [],\n', '\n  "findings": [\n' + body + "\n  ],\n", 1)


def _finding_text(fields: dict[str, Any]) -> str:
    lines = []
    for key, value in fields.items():
        if isinstance(value, dict) and value:
            inner = ",\n".join(f"        {_string(k)}: {_scalar(v)}" for k, v in value.items())
            lines.append(f"      {_string(key)}: {{\n{inner}\n      }}")
        else:
            lines.append(f"      {_string(key)}: {_scalar(value)}")
    return "    {\n" + ",\n".join(lines) + "\n    }"


_string = encode_basestring_ascii


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value)  # floats (and an empty dict) as the encoder writes them
