"""`--format github`: GitHub Actions workflow commands (annotations on the PR diff)."""

from __future__ import annotations

from modelcheck.findings import Finding, Severity
from modelcheck.report.escape import shown

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(findings: list[Finding]) -> str:
    lines = []
    for finding in findings:
        where = finding.location
        props = [f"file={_escape_property(shown(where.path))}"]
        if where.cell is not None:
            # A notebook: annotate the line of the .ipynb's JSON text holding the source line.
            if where.file_line:
                props.append(f"line={where.file_line}")
        elif where.line:
            props.append(f"line={where.line}")
            if where.column:
                props.append(f"col={where.column}")
        props.append(f"title={_escape_property(f'{finding.code} {finding.name}')}")
        message = finding.message
        if where.cell is not None:
            message = f"[{where.describe()}] {message}"
        elif where.layer:
            message = f"[layer {where.layer}] {message}"
        elif where.key:
            message = f"[{where.key}] {message}"
        if finding.hint:
            message += f"\nHint: {finding.hint}"
        lines.append(f"::{_LEVEL[finding.severity]} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(lines)
