"""Output formats: pure functions of the findings (and, for the console, the inputs' text)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from modelcheck.findings import Finding, Severity

FORMATS = ("full", "concise", "json", "sarif", "github")
"""Output formats of `--output-format` (`console` is accepted as the old name of `full`)."""


def summary(findings: Iterable[Finding], files: int) -> dict:
    """Counts by severity and by code, for every format."""
    findings = list(findings)
    by_severity = Counter(str(f.severity) for f in findings)
    return {
        "files": files,
        "findings": len(findings),
        "errors": by_severity.get("error", 0),
        "warnings": by_severity.get("warning", 0),
        "infos": by_severity.get("info", 0),
        "by_code": dict(sorted(Counter(f.code for f in findings).items())),
    }


def severity_word(severity: Severity) -> str:
    return str(severity)


# Where the explanation of a message starts: after the first ": ", "; " or ". " that is not
# inside backticks, quotes, brackets or parentheses (a dict literal, `x[:, 0]`, "e.g. ").
_ABBREVIATIONS = ("e.g", "i.e", "etc", "vs", "approx")


def split_message(message: str) -> tuple[str, str]:
    """``(headline, explanation)``: the first sentence of a message and what follows it.

    Messages state the problem first and explain after a colon, semicolon or full
    stop; the headline reads on its own (``--output-format concise`` prints only it).
    """
    # Jumps from one quote, bracket or stop to the next (a loop over every character
    # was most of the time a report took to render).
    depth = 0
    position = 0
    while (match := _SIGNIFICANT.search(message, position)) is not None:
        index = match.start()
        char = message[index]
        position = index + 1
        if char == "`" or (char == "'" and (index == 0 or not message[index - 1].isalnum())):
            end = message.find(char, position)  # a quote: nothing inside it counts
            if end < 0:
                break
            position = end + 1
        elif char == "'":
            continue  # an apostrophe inside a word
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and message[index + 1:index + 2] == " ":
            if char == "." and message[:index].lower().endswith(_ABBREVIATIONS):
                continue
            return message[:index].rstrip(), message[index + 2:].lstrip()
    return message.rstrip(". "), ""


_SIGNIFICANT = re.compile(r"[`'()\[\]{}:;.]")


def headline(message: str) -> str:
    """The first sentence of a message (see :func:`split_message`)."""
    return split_message(message)[0]


def is_fixable(finding: Finding) -> bool:
    """True when ``--fix`` can repair the finding: its rule attached a fix."""
    return finding.fix is not None
