"""Per-rule case tables: every file in ``tests/rules/<CODE>/`` checked against its snapshot.

A ``fail_*`` case must give at least one finding of CODE, a ``pass_*`` case none;
no case may be unreadable or half-read (MC001, MC002, MC003). The findings of
CODE must equal the case's lines in ``snapshot.txt``. Rewrite the snapshots with
``MODELCHECK_UPDATE_SNAPSHOTS=1`` and review the diff. See ``tests/rules/README.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modelcheck.engine import registered_codes
from modelcheck.findings import Finding
from modelcheck.inputs import MODEL_SUFFIXES
from modelcheck.runner import check_paths
from modelcheck.settings import Settings

CASES = Path(__file__).resolve().parent / "rules"
SNAPSHOT = "snapshot.txt"
UPDATE = os.environ.get("MODELCHECK_UPDATE_SNAPSHOTS") == "1"
# A case that cannot be read (MC001), holds no setup (MC002) or is only partly understood
# (MC003) would pass or fail for the wrong reason.
INPUT_PROBLEMS = ("MC001", "MC002", "MC003")


def case_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.name.startswith(("fail_", "pass_")) and path.is_file())


def all_cases() -> list:
    return [
        pytest.param(folder.name, case, id=f"{folder.name}/{case.name}")
        for folder in sorted(CASES.glob("MC*"))
        for case in case_files(folder)
    ]


def snapshot_line(case: Path, finding: Finding) -> str:
    """``case.py:12:5: MC101 error`` for scripts and configs, ``case.keras [layer]: MC101 error`` for model files."""
    where = finding.location
    if Path(case).suffix.lower() in MODEL_SUFFIXES:
        return f"{case.name} [{where.layer or where.key or '-'}]: {finding.code} {finding.severity}"
    line = "-" if where.line is None else where.line
    column = "-" if where.column is None else where.column
    return f"{case.name}:{line}:{column}: {finding.code} {finding.severity}"


def read_snapshot(folder: Path) -> list[str]:
    path = folder / SNAPSHOT
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def case_of(line: str) -> str:
    """The case file a snapshot line belongs to."""
    return line.split(" [", 1)[0] if " [" in line.split(":", 1)[0] else line.split(":", 1)[0]


def write_snapshot(folder: Path, case: Path, lines: list[str]) -> None:
    """Replace the case's lines, keep the others; cases in name order, each case's lines in finding order."""
    kept = [line for line in read_snapshot(folder) if case_of(line) != case.name]
    merged = sorted(kept + lines, key=lambda line: case_of(line))  # stable: finding order within a case
    (folder / SNAPSHOT).write_text("".join(f"{line}\n" for line in merged), encoding="utf-8")


@pytest.mark.parametrize(("code", "case"), all_cases())
def test_case(code: str, case: Path) -> None:
    result = check_paths([str(case)], Settings())
    problems = [f"{f.code} {f.message}" for f in result.findings if f.code in INPUT_PROBLEMS]
    assert not problems, f"{case.name} is not fully read: {problems}"
    lines = [snapshot_line(case, finding) for finding in result.findings if finding.code == code]
    if case.name.startswith("fail_"):
        assert lines, f"{case.name} gives no {code} finding"
    else:
        assert not lines, f"{case.name} must give no {code} finding, got {lines}"
    if UPDATE:
        write_snapshot(case.parent, case, lines)
    expected = [line for line in read_snapshot(case.parent) if case_of(line) == case.name]
    assert sorted(lines) == sorted(expected), "rerun with MODELCHECK_UPDATE_SNAPSHOTS=1 and review the diff"


def test_every_rule_has_failing_and_passing_cases() -> None:
    missing = []
    for code in registered_codes():
        names = [case.name for case in case_files(CASES / code)] if (CASES / code).is_dir() else []
        if not any(name.startswith("fail_") for name in names) or not any(name.startswith("pass_") for name in names):
            missing.append(code)
    assert not missing, f"rules without a fail_ and a pass_ case in tests/rules/: {missing}"


def test_snapshot_lines_name_existing_cases() -> None:
    stale = []
    for folder in sorted(CASES.glob("MC*")):
        names = {case.name for case in case_files(folder)}
        lines = read_snapshot(folder)
        if UPDATE and any(case_of(line) not in names for line in lines):
            (folder / SNAPSHOT).write_text("".join(f"{line}\n" for line in lines if case_of(line) in names), encoding="utf-8")
            continue
        stale += [f"{folder.name}/{SNAPSHOT}: {line}" for line in lines if case_of(line) not in names]
    assert not stale, f"snapshot lines for cases that do not exist: {stale}"
