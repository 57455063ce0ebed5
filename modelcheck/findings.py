"""Findings: what a rule reports, immutable and totally ordered."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from modelcheck.ir import Location


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or info)") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class FixSpec:
    """A safe automatic fix a rule offers, carried as data (as ruff does).

    The rule that reports a finding knows the facts a fix needs (the new activation,
    the metric name the model logs, the backbone's ``preprocess_input``); it attaches
    them here, so ``--fix`` never parses message prose. ``message`` says what the fix
    does, for the console, JSON and SARIF.
    """

    message: str
    facts: tuple[tuple[str, str], ...] = ()

    def fact(self, key: str) -> str | None:
        return next((value for name, value in self.facts if name == key), None)


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    hint: str | None = None
    fix: FixSpec | None = field(default=None, compare=False)
    """The automatic fix ``--fix`` can apply, or None."""

    def sort_key(self) -> tuple:
        return (*self.location.sort_key(), self.code, self.message)

    def __lt__(self, other: "Finding") -> bool:
        return self.sort_key() < other.sort_key()
