"""Check a set of inputs: read them, run the rules, collect sorted findings."""

from __future__ import annotations

from dataclasses import dataclass, field

from modelcheck.engine import check_setups, filter_findings, run_rules
from modelcheck.findings import Finding
from modelcheck.inputs import discover, read_files
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


def check_paths(paths: list[str], settings: Settings | None = None, jobs: int = 1) -> Result:
    """Read every path (files or directories) and check it; never raises for bad input.

    ``jobs``: processes to check in (see ``modelcheck.parallel``); the result is the same for any number.
    """
    from modelcheck.parallel import check_files, fewer_collections

    settings = settings or Settings()
    files, problems = discover(paths, settings.exclude)
    with fewer_collections():
        findings, setups = check_files(files, settings, jobs, check_files_here)
    findings.update(filter_findings(problems, settings))
    return Result(findings=sorted(findings), setups=setups, files=[name for name, _ in files])


def check_files_here(files: list[tuple[str, bool]], settings: Settings) -> tuple[set[Finding], list[TrainingSetup]]:
    """Read discovered files in this process and run the rules: the findings (a set) and the setups in reading order."""
    loaded = read_files(files)
    findings = set(filter_findings(loaded.findings, settings))
    findings.update(check_setups(loaded.setups, settings))
    checked = {name for name, _ in files}
    for companion in loaded.companions:  # a training script read for a predict.py checked alone
        findings.update(f for f in run_rules(companion, settings) if f.location.path in checked)
    return findings, loaded.setups
