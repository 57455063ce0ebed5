"""``fix_files``: turn findings into exact edits, resolve conflicts, diff and (optionally) write."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from modelcheck.findings import Finding
from modelcheck.fix.activation import fix_hidden_softmax
from modelcheck.fix.base import Fix, FixContext, Fixer
from modelcheck.fix.monitor import fix_monitor
from modelcheck.fix.preprocessing import fix_preprocessing
from modelcheck.fix.renames import fix_removed_api, import_swaps
from modelcheck.fix.source import Edit, NotFixed
from modelcheck.fix.specs import NOT_EDITABLE, editable, is_source
from modelcheck.ir import TrainingSetup

FIXERS: dict[str, Fixer] = {
    "MC101": fix_hidden_softmax,
    "MC201": fix_preprocessing,
    "MC401": fix_monitor,
    "MC402": fix_removed_api,
}
FIXABLE_CODES = tuple(sorted(FIXERS))


@dataclass(frozen=True)
class AppliedFix:
    """A finding fixed (or, without ``write``, that would be fixed), and what changed."""

    finding: Finding
    description: str

    def __str__(self) -> str:
        return f"{self.finding.location.describe()}: {self.finding.code} fixed: {self.description}"


@dataclass(frozen=True)
class SkippedFix:
    """A finding of a fixable code left alone, and why."""

    finding: Finding
    reason: str

    def __str__(self) -> str:
        return f"{self.finding.location.describe()}: {self.finding.code} not fixed: {self.reason}"


@dataclass
class FixResult:
    diffs: dict[str, str] = field(default_factory=dict)
    """Unified diff per changed file (path → diff text), in path order."""
    applied: list[AppliedFix] = field(default_factory=list)
    skipped: list[SkippedFix] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    """Files written (``write=True`` only)."""

    @property
    def diff(self) -> str:
        return "".join(self.diffs.values())


def fix_files(findings: list[Finding], *, write: bool, setups: list[TrainingSetup] | None = None) -> FixResult:
    """Fix what can be fixed exactly: MC101, MC201, MC401 and the one-to-one MC402 renames.

    Each fix edits only the characters at the finding's position (plus an
    import line for MC201 and the import of a renamed class); every other
    byte of the file is kept. Findings of other codes are ignored; findings
    of these codes that cannot be fixed safely are returned in ``skipped``
    with the reason. ``setups`` are the runner's TrainingSetups (they tell
    output layers and sibling pipelines apart); without them the scripts are
    re-read. With ``write=False`` nothing on disk changes (``--diff``).
    """
    candidates = sorted({f for f in findings if f.code in FIXERS})
    result = FixResult()
    if not candidates:
        return result
    from modelcheck.readers.notebook.program import to_program_positions

    # A notebook's findings say (cell, line in cell); its fixes are made on the program of its cells.
    setups, candidates, as_given = to_program_positions(setups if setups is not None else _read_setups(candidates), candidates)
    ctx = FixContext(setups)
    fixes: list[Fix] = []
    for finding in candidates:
        if not editable(finding.location):
            result.skipped.append(SkippedFix(finding, NOT_EDITABLE))
            continue
        try:
            fixes.append(FIXERS[finding.code](finding, ctx))
        except NotFixed as why:
            result.skipped.append(SkippedFix(finding, str(why)))
    accepted = _without_conflicts(fixes, result)
    by_file: dict[str, list[Fix]] = {}
    for fix in accepted:
        for path in {edit.path for edit in fix.edits}:
            by_file.setdefault(path, [])
            if fix not in by_file[path]:
                by_file[path].append(fix)
    sources = ctx.loaded()
    failed: set[int] = set()
    new_texts: dict[str, str] = {}
    for path in sorted(by_file):
        source = sources[path]
        edits = sorted({edit for fix in by_file[path] for edit in fix.edits if edit.path == path})
        edits += import_swaps(source, [swap for fix in by_file[path] for swap in fix.swaps if swap.path == path])
        try:
            text = source.apply(edits)
            ast.parse(text)
        except NotFixed as why:  # a notebook edit that would touch a magic line or span two cells
            for fix in by_file[path]:
                failed.add(id(fix))
                result.skipped.append(SkippedFix(fix.finding, str(why)))
            continue
        except (SyntaxError, ValueError) as error:
            for fix in by_file[path]:
                failed.add(id(fix))
                result.skipped.append(SkippedFix(fix.finding, f"the edited file would not parse ({error.msg if isinstance(error, SyntaxError) else error}); please report this"))
            continue
        new_texts[path] = text
    # A fix spanning files (MC201 with a predict.py) stands or falls as a whole.
    for fix in accepted:
        if id(fix) not in failed and any(edit.path not in new_texts for edit in fix.edits):
            failed.add(id(fix))
            if not any(s.finding == fix.finding for s in result.skipped):
                result.skipped.append(SkippedFix(fix.finding, "another file it edits could not be changed"))
    for path in sorted(new_texts):
        if any(id(fix) in failed for fix in by_file[path]):
            keep = [fix for fix in by_file[path] if id(fix) not in failed]
            if not keep:
                continue
            source = sources[path]
            edits = sorted({edit for fix in keep for edit in fix.edits if edit.path == path})
            edits += import_swaps(source, [swap for fix in keep for swap in fix.swaps if swap.path == path])
            new_texts[path] = source.apply(edits)
        source = sources[path]
        text = new_texts[path]
        if text == source.text:
            continue
        result.diffs[path] = source.diff(text)
        if write:
            with open(path, "wb") as handle:
                handle.write(source.encode(text))
            result.written.append(path)
    result.applied.extend(AppliedFix(as_given.get(fix.finding, fix.finding), fix.description) for fix in accepted if id(fix) not in failed)
    result.skipped = [SkippedFix(as_given.get(s.finding, s.finding), s.reason) for s in result.skipped]
    result.skipped.sort(key=lambda s: s.finding)
    result.applied.sort(key=lambda a: a.finding)
    return result


def _without_conflicts(fixes: list[Fix], result: FixResult) -> list[Fix]:
    """Fixes whose edits do not overlap an earlier fix's (identical edits are shared, e.g. one import line)."""
    taken: dict[str, list[Edit]] = {}
    accepted: list[Fix] = []
    for fix in fixes:
        clash = None
        for edit in fix.edits:
            for other in taken.get(edit.path, []):
                if edit != other and _overlap(edit, other):
                    clash = other
                    break
            if clash:
                break
        if clash is not None:
            result.skipped.append(SkippedFix(fix.finding, "overlaps another fix in the same place: run --fix again"))
            continue
        accepted.append(fix)
        for edit in fix.edits:
            taken.setdefault(edit.path, []).append(edit)
    return accepted


def _overlap(a: Edit, b: Edit) -> bool:
    if a.start == a.end and b.start == b.end:
        return False  # two insertions at one point: applied one after the other
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def _read_setups(findings: list[Finding]) -> list[TrainingSetup]:
    from modelcheck.inputs import load

    paths = sorted({f.location.path for f in findings if is_source(f.location.path)})
    return load(paths).setups if paths else []


__all__ = ["AppliedFix", "FIXABLE_CODES", "FixResult", "SkippedFix", "fix_files"]
