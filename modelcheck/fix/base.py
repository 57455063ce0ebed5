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
        """The setup a finding at ``location`` was made from (its file's own setup first; of a
        file's several setups, one per model, the one with a fact at that line)."""
        own = [setup for setup in self.setups if setup.path == location.path]
        for setup in own:
            if location.line is not None and location.line in _fact_lines(setup):
                return setup
        if own:
            return own[0]
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


def _fact_lines(setup: TrainingSetup) -> set[int]:
    """Lines the setup's own facts come from (layers, backbones, compiles, fits, pipelines)."""
    found: list[Location | None] = []
    if setup.model is not None:
        found.extend(layer.location for _, layer in setup.model.walk())
        found.extend(backbone.location for backbone in setup.model.backbones)
    for compiled in setup.compiles:
        found.extend((compiled.location, compiled.loss.location if compiled.loss else None,
                      compiled.optimizer.location if compiled.optimizer else None))
    found.extend(fit.location for fit in setup.fits)
    for pipeline in setup.pipelines:
        found.extend((pipeline.location, pipeline.scaling.location if pipeline.scaling else None, pipeline.class_mode_location))
    return {where.line for where in found if where is not None and where.line is not None}
