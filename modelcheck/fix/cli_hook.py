"""The command-line surface of the fixer: ``--fix`` and ``--diff``.

``cli.py`` calls :func:`add_fix_arguments` when it builds its parser and
:func:`run_fixes` right after the checks::

    code = run_fixes(args, result, settings)
    if code is not None:
        return code

``--diff`` prints a unified diff of every fix to stdout, writes nothing, and
ends the run (exit 1 when there is something to fix, else 0 — like ruff).
``--fix`` writes the fixes, re-checks the same inputs, puts the new findings
into ``result`` and returns None, so the usual report (and exit code) covers
what is left. Notes (``fixed …``, ``not fixed: why``) go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelcheck.fix.apply import FixResult

# Kept here, not imported from fix.apply: building the parser must not load the fixer.
FIXABLE_CODES = ("MC101", "MC201", "MC401", "MC402")


def add_fix_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --fix and --diff."""
    group = parser.add_argument_group("fixes (" + ", ".join(FIXABLE_CODES) + " in scripts; [*] marks a fixable finding)")
    group.add_argument("--fix", action="store_true",
                       help="apply the safe fixes to the scripts in place, then report what is left")
    group.add_argument("--diff", action="store_true",
                       help="print the fixes as a unified diff and change nothing (exit 1 if there is something to fix)")
    group.add_argument("--show-fixes", action="store_true", help="list what --fix would change, after the findings")


def run_fixes(args: argparse.Namespace, result: Any, settings: Any = None, *, stdout: IO[str] | None = None,
              stderr: IO[str] | None = None) -> int | None:
    """Run --diff or --fix over the runner's ``Result``; None when the normal report should follow.

    ``settings`` (the run's Settings) is used to re-check after ``--fix``; when
    it is not given it is rebuilt from ``args`` the way ``cli.py`` builds it.
    """
    diff_only = bool(getattr(args, "diff", False))
    fix = bool(getattr(args, "fix", False))
    if not (diff_only or fix):
        return None
    from modelcheck.fix.apply import fix_files

    out = stdout or sys.stdout
    err = stderr or sys.stderr
    outcome = fix_files(list(result.findings), write=not diff_only, setups=list(result.setups))
    if diff_only:
        if outcome.diff:
            out.write(outcome.diff)
        _notes(outcome, err, would=True)
        return 1 if outcome.diffs else 0
    _notes(outcome, err, would=False)
    if outcome.written:
        _recheck(args, result, settings)
    return None


def _notes(outcome: FixResult, stream: IO[str], *, would: bool) -> None:
    verb = "would fix" if would else "fixed"
    for applied in outcome.applied:
        print(f"modelcheck: {verb} {applied.finding.location.describe()}: {applied.finding.code} {applied.description}", file=stream)
    for skipped in outcome.skipped:
        print(f"modelcheck: {skipped}", file=stream)
    count = len(outcome.applied)
    files = len(outcome.diffs)
    summary = f"modelcheck: {verb} {count} problem{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}"
    if outcome.skipped:
        summary += f"; {len(outcome.skipped)} left to fix by hand"
    print(summary + ".", file=stream)


def _recheck(args: argparse.Namespace, result: Any, settings: Any) -> None:
    """Check the same inputs again and replace the result's findings, setups and files."""
    from modelcheck.runner import check_paths

    settings = settings if settings is not None else _settings_from(args)
    paths = _paths(args, result)
    fresh = check_paths(paths, settings)
    findings = fresh.findings
    if getattr(args, "skip_unrecognized", False) or getattr(args, "files_from", None):
        findings = [f for f in findings if f.code != "MC002"]
    result.findings = findings
    result.setups = fresh.setups
    result.files = fresh.files


def _paths(args: argparse.Namespace, result: Any) -> list[str]:
    """The named paths, plus files that came from --files-from (those outside the named paths)."""
    import os

    named = [str(p) for p in (getattr(args, "paths", None) or [])]
    roots = [os.path.abspath(p) for p in named]
    extra = []
    for name in result.files:
        full = os.path.abspath(name)
        if not any(full == root or full.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
            extra.append(name)
    return named + extra


def _settings_from(args: argparse.Namespace) -> Any:
    from modelcheck.project_config import load_settings
    from modelcheck.settings import Settings, flag_overrides

    paths = [str(p) for p in (getattr(args, "paths", None) or [])]
    settings = Settings() if getattr(args, "no_config", False) else load_settings(getattr(args, "config", None), paths)
    return settings.with_overrides(**flag_overrides(args))
