"""Run settings: rule selection, thresholds and assumptions."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from modelcheck.findings import Severity

DEFAULT_THRESHOLDS = {
    # MC105: a Dense fed by Flatten over a pretrained feature map with more parameters than this.
    "oversized_head_params": 5_000_000,
}

DEFAULT_READ_TIMEOUT = 10.0
"""Seconds modelcheck spends reading one input file before it reports MC001 and moves on."""
READ_TIMEOUT_ENV = "MODELCHECK_READ_TIMEOUT"


def read_timeout() -> float:
    """The per-file read time limit: ``$MODELCHECK_READ_TIMEOUT`` seconds, else 10 (0 or less: no limit)."""
    raw = os.environ.get(READ_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_READ_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_READ_TIMEOUT
    return value if value == value and value != float("inf") else DEFAULT_READ_TIMEOUT


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("MC",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(glob pattern, codes) pairs."""
    fail_on: Severity = Severity.WARNING
    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    assume_pretrained: bool | None = None
    """--pretrained: treat backbones in saved model files as carrying pretrained weights."""
    exclude: tuple[str, ...] = ()
    config_file: str | None = None
    """The pyproject.toml (or --config file) these settings came from; None for defaults."""

    def threshold(self, name: str) -> float:
        return self.thresholds.get(name, DEFAULT_THRESHOLDS[name])

    def is_selected(self, code: str) -> bool:
        if code.startswith("MC0"):
            return True
        if not any(code.startswith(prefix) for prefix in self.select):
            return False
        return not any(code.startswith(prefix) for prefix in self.ignore)
