"""Rule documentation: ``rules/MCxxx.md`` holds each rule's identity and prose."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from modelcheck.findings import Severity

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
_CODE_BLOCK = re.compile(r"```([^\n`]*)\n(.*?)```", re.S)


def rules_dir() -> Path:
    """The folder holding rule docs and backbones.json (installed copy first, then the repo's)."""
    here = Path(__file__).resolve().parent
    installed = here / "_rules"
    return installed if installed.is_dir() else here.parent / "rules"


@dataclass(frozen=True)
class RuleDoc:
    code: str
    name: str
    severity: Severity
    """The default: what a finding of this rule has unless the rule says otherwise."""
    summary: str
    body: str
    sections: dict[str, str]
    path: Path
    severities: tuple[Severity, ...] = ()
    """Every severity the rule reports, lowest first (front matter ``severities:``; else the default)."""

    def __post_init__(self) -> None:
        if not self.severities:
            object.__setattr__(self, "severities", (self.severity,))

    def code_blocks(self, section: str) -> list[tuple[str, str]]:
        """(info string, code) of each fenced block in a section."""
        return [(m.group(1).strip(), m.group(2)) for m in _CODE_BLOCK.finditer(self.sections.get(section, ""))]


def parse_doc(path: Path) -> RuleDoc:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n(.*)", text, re.S)
    if not match:
        raise ValueError(f"{path}: no front matter")
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, _, value = line.partition(":")
        meta[key.strip()] = value.strip().strip('"')
    body = match.group(2)
    sections: dict[str, str] = {}
    current = None
    for line in body.splitlines(keepends=True):
        heading = re.match(r"## (.+?)\s*$", line)
        if heading:
            current = heading.group(1)
            sections[current] = ""
        elif current is not None:
            sections[current] += line
    return RuleDoc(
        code=meta["code"],
        name=meta["name"],
        severity=Severity.parse(meta["severity"]),
        summary=meta.get("summary", ""),
        severities=tuple(sorted({Severity.parse(part) for part in meta.get("severities", "").split(",") if part.strip()})),
        body=body.strip(),
        sections={k: v.strip() for k, v in sections.items()},
        path=path,
    )


@lru_cache(maxsize=1)
def all_docs() -> dict[str, RuleDoc]:
    """Every rule doc keyed by code."""
    docs = {}
    for path in sorted(rules_dir().glob("MC[0-9][0-9][0-9].md")):
        doc = parse_doc(path)
        docs[doc.code] = doc
    return docs


@lru_cache(maxsize=None)
def doc_for(code: str) -> RuleDoc:
    """One rule's doc (``KeyError`` when there is none): a finding needs only its own rule's
    name and severity, so a check reads the few docs it reports, not all forty."""
    if all_docs.cache_info().currsize:
        return all_docs()[code]
    path = rules_dir() / f"{code}.md"
    if not re.fullmatch(r"MC\d{3}", code) or not path.is_file():
        raise KeyError(code)
    doc = parse_doc(path)
    if doc.code != code:
        raise KeyError(code)
    return doc


REPOSITORY_URL = "https://github.com/modelcheck/modelcheck"
"""The project's repository: rule pages, docs and the pre-commit hook live there."""
RULE_URL = REPOSITORY_URL + "/blob/main/rules/{code}.md"
"""Each rule's page (``rules/MCxxx.md``): the one base every link to a rule uses (SARIF helpUri, HTML, ``rule``)."""


def rule_url(code: str) -> str:
    """The web page of a rule's documentation."""
    return RULE_URL.format(code=code)
