"""What a fixer gets (the context: files, setups) and returns (a Fix: edits plus a description)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from modelcheck.findings import Finding, FixSpec
from modelcheck.fix.source import Edit, NotFixed, SourceFile
from modelcheck.fix.specs import same_place
from modelcheck.ir import Location, TrainingSetup


@dataclass(frozen=True)
class NameSwap:
    """A call site now spells ``new`` where it said ``old``: the file's import of ``old`` follows."""

    path: str
    old: str
    new: str
    site: int
    """Character offset of the renamed name at the call site."""


@dataclass
class Fix:
    """The edits that fix one finding."""

    finding: Finding
    description: str
    edits: list[Edit]
    swaps: list[NameSwap] = field(default_factory=list)


class FixContext:
    """Files (each read and parsed once) and the setups the findings came from."""

    def __init__(self, setups: list[TrainingSetup]):
        self.setups = setups
        self._sources: dict[str, SourceFile | NotFixed] = {}

    def source(self, path: str) -> SourceFile:
        if path not in self._sources:
            try:
                self._sources[path] = SourceFile.read(path)
            except NotFixed as problem:
                self._sources[path] = problem
        found = self._sources[path]
        if isinstance(found, NotFixed):
            raise NotFixed(str(found))
        return found

    def loaded(self) -> dict[str, SourceFile]:
        return {path: source for path, source in self._sources.items() if isinstance(source, SourceFile)}

    def setup_for(self, location: Location) -> TrainingSetup:
        """The setup a finding at ``location`` was made from (its file's own setup first)."""
        for setup in self.setups:
            if setup.path == location.path:
                return setup
        for setup in self.setups:
            if any(p.location is not None and p.location.path == location.path for p in setup.pipelines):
                return setup
        raise NotFixed("the script could not be re-read to confirm the fix")



Fixer = Callable[[Finding, FixContext], Fix]


def offered(finding: Finding, why_not: str) -> FixSpec:
    """The fix the rule attached to the finding; without one, ``NotFixed(why_not)``."""
    if finding.fix is None:
        raise NotFixed(why_not)
    return finding.fix


def fact(spec: FixSpec, key: str) -> str:
    """A fact the fixer cannot work without (a rule that offers the fix always records it)."""
    value = spec.fact(key)
    if value is None:
        raise NotFixed(f"the rule's fix does not say which {key} to use; please report this")
    return value


__all__ = ["Edit", "Fix", "FixContext", "Fixer", "NameSwap", "NotFixed", "SourceFile", "fact", "offered", "same_place"]
