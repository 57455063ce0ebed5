"""The rule engine: registry, selection, suppressions, deterministic order."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

from modelcheck.findings import Finding, FixSpec, Severity
from modelcheck.ir import Location, TrainingSetup
from modelcheck.ruledocs import doc_for
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

# `# modelcheck: ignore`, `# modelcheck: ignore[MC101, hidden-softmax]`, `# noqa: MC402` (flake8 style;
# codes of other tools in the same noqa list are left to them).
_SUPPRESS = re.compile(r"#\s*modelcheck:\s*ignore(?:\[([^\]]*)\])?", re.I)
_NOQA = re.compile(r"#\s*noqa\s*:\s*([A-Za-z0-9_,\s-]+)", re.I)


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
        doc = doc_for(code)
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
    """All selected rules over one setup, suppressions applied, sorted and de-duplicated.

    Unused suppressions in the setup's source are reported as MC004. An unknown code in a
    suppression comment raises :class:`modelcheck.codes.UnknownCodeError` (a usage error).
    """
    return sorted(check_setups([setup], settings))


def check_setups(setups: Iterable[TrainingSetup], settings: Settings) -> set[Finding]:
    """The rules over several setups; a script with several models gives several setups of one file.

    A suppression comment is unused (MC004) only when it silenced nothing in any setup of its file.
    """
    _load_checks()
    found: set[Finding] = set()
    used: dict[str, set[int]] = {}
    first: dict[str, tuple[TrainingSetup, dict[int, Suppression]]] = {}
    for setup in setups:
        if setup.path not in first:  # the setups of one file share its text
            first[setup.path] = (setup, suppressions(setup.source_lines, setup.path))
        comments = first[setup.path][1]
        found.update(_rule_findings(setup, settings, comments, used.setdefault(setup.path, set())))
    for path, (setup, comments) in first.items():
        ignored_here = _per_file_ignores(path, settings)
        if settings.is_selected("MC004") and not _matches("MC004", ignored_here):
            found.update(_unused(comments, used[path], setup, settings, ignored_here))
    return found


def _rule_findings(setup: TrainingSetup, settings: Settings, comments: dict[int, Suppression], used: set[int]) -> set[Finding]:
    """The selected rules' findings on one setup that no comment suppresses (``used`` collects the comments that did)."""
    ignored_here = _per_file_ignores(setup.path, settings)
    found: set[Finding] = set()
    for code, funcs in _REGISTRY.items():
        if not settings.is_selected(code) or _matches(code, ignored_here):
            continue
        for func in funcs:
            for finding in _guarded(code, func, setup, settings):
                if not settings.is_selected(finding.code) or _matches(finding.code, ignored_here):
                    continue
                comment = _suppressing(finding, comments, setup)
                if comment is None:
                    found.add(finding)
                else:
                    used.add(comment.line)
    return found


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


@lru_cache(maxsize=4096)
def _real(path: str) -> str:
    return Path(os.path.realpath(path)).as_posix()


def _per_file_ignores(path: str, settings: Settings) -> list[str]:
    """Codes ignored for ``path``. Patterns from a pyproject.toml are absolute (rooted at its
    folder) and match the file's real path, so the working directory does not matter."""
    codes: list[str] = []
    for pattern, ignored in settings.per_file_ignores:
        if os.path.isabs(pattern):
            hit = fnmatch.fnmatch(_real(path), pattern) or fnmatch.fnmatch(Path(os.path.abspath(path)).as_posix(), pattern)
        else:
            hit = fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, f"*/{pattern}")
        if hit:
            codes.extend(ignored)
    return codes


@dataclass(frozen=True)
class Suppression:
    """A suppression comment: its line, the codes it names (None: all), and whether it stands alone."""

    line: int
    column: int
    codes: tuple[str, ...] | None
    alone: bool
    text: str


def suppressions(lines: tuple[str, ...], path: str) -> dict[int, Suppression]:
    """The suppression comments of a source, by line. Unknown MC codes raise UnknownCodeError."""
    from modelcheck.codes import resolve_all

    found: dict[int, Suppression] = {}
    for number, line in enumerate(lines, start=1):
        if "#" not in line:
            continue
        match = _SUPPRESS.search(line)
        if match:
            raw = match.group(1)
            items = [c.strip() for c in raw.split(",") if c.strip()] if raw is not None else None
        else:
            match = _NOQA.search(line)
            if not match:
                continue
            items = [c.strip() for c in match.group(1).split(",") if c.strip().upper().startswith("MC")]
            if not items:
                continue  # a noqa for other tools only
        codes = None if items is None else resolve_all(items, f"{path}:{number}: {match.group(0).strip()}")
        found[number] = Suppression(number, match.start() + 1, codes, line.lstrip().startswith("#"), match.group(0).strip())
    return found


def _suppressing(finding: Finding, comments: dict[int, Suppression], setup: TrainingSetup) -> Suppression | None:
    """The comment that silences ``finding``: on its line, or alone on the line above (in the same notebook cell)."""
    line = _source_line(finding.location, setup)
    if line is None or not comments:
        return None
    for number in (line, line - 1):
        comment = comments.get(number)
        if comment is None or (number == line - 1 and (not comment.alone or finding.location.line == 1 and finding.location.cell)):
            continue
        if comment.codes is None or _matches(finding.code, comment.codes):
            return comment
    return None


def _source_line(location: Location, setup: TrainingSetup) -> int | None:
    """The line of ``setup.source_lines`` a finding is on (a notebook finding counts lines in its cell)."""
    if location.line is None or location.path != setup.path:
        return None
    if location.cell is None:
        return location.line
    span = next((span for span in setup.cells if span.cell == location.cell), None)
    return None if span is None else span.first_line + location.line - 1


def _unused(comments: dict[int, Suppression], used: set[int], setup: TrainingSetup, settings: Settings,
            ignored_here: list[str]) -> Iterator[Finding]:
    """MC004 for each comment that silenced nothing, when every code it names was checked."""
    for number, comment in sorted(comments.items()):
        if number in used:
            continue
        if comment.codes is None:
            checked = settings.select == ("MC",) and not settings.ignore and not ignored_here
        else:
            checked = all(_checked(code, settings, ignored_here) for code in comment.codes)
        if checked:
            named = "" if comment.codes is None else f" ({', '.join(comment.codes)})"
            yield report("MC004", f"unused suppression `{comment.text}`{named}: nothing is reported on the line it covers",
                         setup.line_location(number, comment.column), hint="remove the comment, or the codes that no longer apply")


def _checked(code: str, settings: Settings, ignored_here: list[str]) -> bool:
    """True when every rule the code or prefix covers ran (selected, not ignored here, not probe-only)."""
    from modelcheck.codes import known_codes

    covered = [known for known in known_codes() if known.startswith(code)]
    return bool(covered) and all(
        settings.is_selected(known) and not _matches(known, ignored_here) and not known.startswith(("MC5", "MC0"))
        for known in covered
    )


def with_location(finding: Finding, location: Location) -> Finding:
    return replace(finding, location=location)
