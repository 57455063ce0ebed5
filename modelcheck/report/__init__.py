"""Output formats: pure functions of the findings (and, for the console, the inputs' text)."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from modelcheck.findings import Finding, Severity

FORMATS = ("console", "json", "sarif", "github")


def summary(findings: Iterable[Finding], files: int) -> dict:
    """Counts by severity and by code, for every format."""
    findings = list(findings)
    by_severity = Counter(str(f.severity) for f in findings)
    return {
        "files": files,
        "findings": len(findings),
        "errors": by_severity.get("error", 0),
        "warnings": by_severity.get("warning", 0),
        "infos": by_severity.get("info", 0),
        "by_code": dict(sorted(Counter(f.code for f in findings).items())),
    }


def severity_word(severity: Severity) -> str:
    return str(severity)
