"""The rule engine: registry, selection, suppressions, deterministic order."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import replace
from typing import Callable, Iterable, Iterator

from modelcheck.findings import Finding, FixSpec, Severity
from modelcheck.ir import Location, TrainingSetup
from modelcheck.ruledocs import all_docs
from modelcheck.settings import Settings

RuleFunc = Callable[[TrainingSetup, Settings], Iterable[Finding]]
_REGISTRY: dict[str, list[RuleFunc]] = {}

# Codes that are input problems, not rules: always on, documented in the CLI.
INPUT_CODES = {
    "MC001": ("unreadable-input", Severity.ERROR),
    "MC002": ("no-training-setup", Severity.INFO),
    "MC003": ("analysis-incomplete", Severity.INFO),
    "MC004": ("unused-suppression", Severity.INFO),
}

_SUPPRESS = re.compile(r"#\s*modelcheck:\s*ignore(?:\[([A-Z0-9,\s]+)\])?", re.I)


def rule(code: str) -> Callable[[RuleFunc], RuleFunc]:
    """Register a rule function under its code (a code may have several functions)."""

    def register(func: RuleFunc) -> RuleFunc:
        _REGISTRY.setdefault(code, []).append(func)
        return func

    return register


def registered_codes() -> list[str]:
    _load_checks()
    return sorted(_REGISTRY)


def report(
    code: str,
    message: str,
    location: Location,
    hint: str | None = None,
    severity: Severity | None = None,
    fix: FixSpec | None = None,
) -> Finding:
    """Build a finding with the name and default severity from the rule's doc."""
    if code in INPUT_CODES:
        name, default = INPUT_CODES[code]
    else:
        doc = all_docs()[code]
        name, default = doc.name, doc.severity
    return Finding(code, name, severity or default, _printable(message), location, _printable(hint) if hint else hint, fix)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """Messages quote names from untrusted inputs: control characters are shown escaped, never emitted."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text) if _CONTROL.search(text) else text


def _load_checks() -> None:
    from modelcheck.checks import load_all

    load_all()


def run_rules(setup: TrainingSetup, settings: Settings) -> list[Finding]:
    """All selected rules over one setup, suppressions applied, sorted and de-duplicated."""
    _load_checks()
    ignored_here = _per_file_ignores(setup.path, settings)
    produced: list[Finding] = [report("MC003", why, where) for why, where in setup.incomplete]
    for code, funcs in _REGISTRY.items():
        if not settings.is_selected(code) or _matches(code, ignored_here):
            continue
        for func in funcs:
            produced.extend(_guarded(code, func, setup, settings))
    found = {
        finding
        for finding in produced
        if settings.is_selected(finding.code)
        and not _matches(finding.code, ignored_here)
        and not _suppressed(finding, setup.source_lines)
    }
    return sorted(found)


def _guarded(code: str, func: RuleFunc, setup: TrainingSetup, settings: Settings) -> list[Finding]:
    """A rule's findings, or one MC003 naming the rule when it fails: one rule's bug must not end the run.

    Rules are plain code over untrusted facts (a 5 000-digit integer makes ``str()``
    raise); their findings are collected whole so that a rule failing half-way
    reports nothing of that half.
    """
    try:
        return list(func(setup, settings))
    except Exception as error:  # noqa: BLE001 - the guard exists for errors nobody foresaw
        return [report("MC003", f"rule {code} could not finish on this file ({_describe(error)}); its findings here are missing", Location(setup.path))]


def _describe(error: BaseException) -> str:
    """``TypeName: message`` of an exception, one line and bounded, even if its ``str()`` fails."""
    try:
        text = " ".join(str(error).split())
    except Exception:  # noqa: BLE001 - str() of a hostile value may itself raise
        text = ""
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def filter_findings(findings: Iterable[Finding], settings: Settings) -> Iterator[Finding]:
    """Apply selection and per-file ignores to findings made outside the rules (MC0xx)."""
    for finding in findings:
        if settings.is_selected(finding.code) and not _matches(
            finding.code, _per_file_ignores(finding.location.path, settings)
        ):
            yield finding


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


def _per_file_ignores(path: str, settings: Settings) -> list[str]:
    codes: list[str] = []
    for pattern, ignored in settings.per_file_ignores:
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, f"*/{pattern}"):
            codes.extend(ignored)
    return codes


def _suppressed(finding: Finding, lines: tuple[str, ...]) -> bool:
    """`# modelcheck: ignore[MC101]` on the finding's line or the line above it."""
    line = finding.location.line
    if not line or not lines:
        return False
    for number in (line, line - 1):
        if not 1 <= number <= len(lines):
            continue
        match = _SUPPRESS.search(lines[number - 1])
        if not match:
            continue
        # A comment on the line above only counts when that line is a comment alone.
        if number == line - 1 and not lines[number - 1].lstrip().startswith("#"):
            continue
        if match.group(1) is None:
            return True
        codes = {c.strip().upper() for c in match.group(1).split(",") if c.strip()}
        if any(finding.code.startswith(c) for c in codes):
            return True
    return False


def with_location(finding: Finding, location: Location) -> Finding:
    return replace(finding, location=location)
