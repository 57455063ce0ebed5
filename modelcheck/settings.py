"""Run settings: rule selection, thresholds and assumptions."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from modelcheck.findings import Severity

DEFAULT_THRESHOLDS = {
    # MC105: a Dense fed by Flatten over a pretrained feature map with more parameters than this.
    "oversized_head_params": 5_000_000,
}

DEFAULT_READ_TIMEOUT = 60.0
"""Seconds modelcheck spends reading one input file before it reports MC001 and moves on.

Only a safety net: the script reader is bounded by evaluation steps (a few seconds at
most on a loaded machine), so its findings never depend on the machine's speed."""
READ_TIMEOUT_ENV = "MODELCHECK_READ_TIMEOUT"


def read_timeout() -> float:
    """The per-file read time limit: ``$MODELCHECK_READ_TIMEOUT`` seconds, else 60 (0 or less: no limit)."""
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
        if code in ("MC001", "MC002"):  # input problems: always reported (silenced only per file)
            return True
        if code.startswith("MC0"):  # MC003/MC004: on unless ignored
            return not any(code.startswith(prefix) for prefix in self.ignore if prefix != "MC")
        if not any(code.startswith(prefix) for prefix in self.select):
            return False
        return not any(code.startswith(prefix) for prefix in self.ignore)

    def with_overrides(
        self,
        *,
        select: tuple[str, ...] | None = None,
        extend_select: tuple[str, ...] | None = None,
        ignore: tuple[str, ...] | None = None,
        extend_ignore: tuple[str, ...] | None = None,
        fail_on: Severity | None = None,
        exclude: tuple[str, ...] | None = None,
        assume_pretrained: bool | None = None,
    ) -> "Settings":
        """These settings with command-line overrides applied (None: keep the configured value)."""
        changes: dict[str, object] = {}
        chosen = self.select if select is None else select
        if select is not None or extend_select:
            changes["select"] = tuple(chosen) + tuple(extend_select or ())
        skipped = self.ignore if ignore is None else ignore
        if ignore is not None or extend_ignore:
            changes["ignore"] = tuple(skipped) + tuple(extend_ignore or ())
        if fail_on is not None:
            changes["fail_on"] = fail_on
        if exclude:
            changes["exclude"] = tuple(exclude)
        if assume_pretrained:
            changes["assume_pretrained"] = True
        return replace(self, **changes)


def flag_overrides(args: object) -> dict[str, object]:
    """The keyword arguments of :meth:`Settings.with_overrides` from parsed command-line flags."""
    fail_on = getattr(args, "fail_on", None)
    exclude = getattr(args, "exclude", None)
    return {
        "select": getattr(args, "select", None),
        "extend_select": getattr(args, "extend_select", None),
        "ignore": getattr(args, "ignore", None),
        "extend_ignore": getattr(args, "extend_ignore", None),
        "fail_on": Severity.parse(fail_on) if fail_on else None,
        "exclude": tuple(exclude) if exclude else None,
        "assume_pretrained": getattr(args, "pretrained", None),
    }
