"""Check a set of inputs: read them, run the rules, collect sorted findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

from modelcheck.engine import check_setups, filter_findings, run_rules
from modelcheck.findings import Finding
from modelcheck.inputs import discover, read_files
from modelcheck.ir import TrainingSetup
from modelcheck.settings import Settings


class Texts(NamedTuple):
    """A setup's source lines by source name, without the setup (sent back by a worker process)."""

    path: str
    lines: dict[str, tuple[str, ...]]


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    setups: list[TrainingSetup] = field(default_factory=list)
    """Every setup read, in reading order; empty when checked with ``keep_setups=False``."""
    files: list[str] = field(default_factory=list)
    texts: dict[str, tuple[str, ...]] | None = None
    """When the setups were not kept: the source lines of the files with findings."""

    def sources(self) -> dict[str, tuple[str, ...]]:
        """Source lines by ``Location.source_name`` (a notebook gives one entry per code cell)."""
        if self.texts is not None:
            return dict(self.texts)
        return _sources(self.setups)


def _sources(setups: list[TrainingSetup]) -> dict[str, tuple[str, ...]]:
    return {name: lines for setup in setups for name, lines in setup.sources().items()}


def check_paths(paths: list[str], settings: Settings | None = None, jobs: int = 1, keep_setups: bool = True) -> Result:
    """Read every path (files or directories) and check it; never raises for bad input.

    ``jobs``: processes to check in (see ``modelcheck.parallel``); the result is the same for any number.
    ``keep_setups=False``: keep only the findings and the source lines of the files they are in
    (``Result.texts``), which is all a report needs; worker processes then send back a tenth of
    the data (the setups of 272 scripts pickle to 2 MB and took the parent 0.14 s to unpickle,
    a fifth of the whole run).
    """
    from modelcheck.parallel import check_files, fewer_collections

    settings = settings or Settings()
    files, problems = discover(paths, settings.exclude)
    check = check_files_here if keep_setups else partial(check_files_here, texts_only=True)
    with fewer_collections():
        findings, setups = check_files(files, settings, jobs, check)
    findings.update(filter_findings(problems, settings))
    names = [name for name, _ in files]
    if keep_setups:
        return Result(findings=sorted(findings, key=Finding.sort_key), setups=setups, files=names)
    return Result(findings=sorted(findings, key=Finding.sort_key), files=names, texts={name: lines for part in setups for name, lines in part.lines.items()})


def check_files_here(files: list[tuple[str, bool]], settings: Settings, texts_only: bool = False) -> tuple[set[Finding], list]:
    """Read discovered files in this process and run the rules: the findings (a set) and the setups in reading order
    (``texts_only``: instead of each setup, its :class:`Texts`)."""
    loaded = read_files(files)
    findings = set(filter_findings(loaded.findings, settings))
    findings.update(check_setups(loaded.setups, settings))
    checked = {name for name, _ in files}
    for companion in loaded.companions:  # a training script read for a predict.py checked alone
        findings.update(f for f in run_rules(companion, settings) if f.location.path in checked)
    if texts_only:  # a report quotes the lines of its findings only: half the files of a repository have none
        reported = {finding.location.path for finding in findings}
        return findings, [Texts(setup.path, setup.sources()) for setup in loaded.setups if setup.path in reported]
    return findings, loaded.setups
