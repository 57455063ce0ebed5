"""Check a set of inputs: read them, run the rules, collect sorted findings."""

from __future__ import annotations

from dataclasses import dataclass, field

from modelcheck.engine import filter_findings, run_rules
from modelcheck.findings import Finding
from modelcheck.inputs import load
from modelcheck.ir import TrainingSetup
from modelcheck.settings import Settings


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    setups: list[TrainingSetup] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def sources(self) -> dict[str, tuple[str, ...]]:
        """Source lines by ``Location.source_name`` (a notebook gives one entry per code cell)."""
        return {name: lines for setup in self.setups for name, lines in setup.sources().items()}


def check_paths(paths: list[str], settings: Settings | None = None) -> Result:
    """Read every path (files or directories) and check it; never raises for bad input."""
    settings = settings or Settings()
    loaded = load(paths, exclude=settings.exclude, assume_pretrained=settings.assume_pretrained)
    findings = set(filter_findings(loaded.findings, settings))
    for setup in loaded.setups:
        findings.update(run_rules(setup, settings))
    checked = set(loaded.files)
    for companion in loaded.companions:  # a training script read for a predict.py checked alone
        findings.update(f for f in run_rules(companion, settings) if f.location.path in checked)
    return Result(findings=sorted(findings), setups=loaded.setups, files=loaded.files)
