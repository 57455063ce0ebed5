"""Findings: what a rule reports, immutable and totally ordered."""

from __future__ import annotations

from dataclasses import dataclass
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
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    hint: str | None = None

    def sort_key(self) -> tuple:
        return (*self.location.sort_key(), self.code, self.message)

    def __lt__(self, other: "Finding") -> bool:
        return self.sort_key() < other.sort_key()
