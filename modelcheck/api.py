"""The Python API: ``modelcheck.check(...)`` for notebooks, scripts and tests.

    >>> import modelcheck
    >>> report = modelcheck.check(model)                  # a live keras.Model
    >>> report = modelcheck.check("train.py")             # a script, model file or config
    >>> report = modelcheck.check(["model.keras", "configs/"], data="data/train")
    >>> report.ok, [f.code for f in report.findings]
    >>> report                                            # a table in Jupyter and rich consoles
    >>> print(report.to_json())                           # or .to_sarif()

Checking paths never imports TensorFlow or Keras; only a live model brings
Keras in (it is already imported by whoever built the model).
"""

from __future__ import annotations

import html
import io
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

from modelcheck.findings import Finding, Severity
from modelcheck.ir import Pipeline, TrainingSetup
from modelcheck.settings import Settings

__all__ = ["check", "Report"]

_BADGE = {Severity.ERROR: "#c62828", Severity.WARNING: "#ef6c00", Severity.INFO: "#1565c0"}
_RICH_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


@dataclass(frozen=True)
class Report:
    """The findings of one check, with the renderers a notebook or a CI job wants."""

    findings: tuple[Finding, ...]
    """Sorted by place, then code."""
    fail_on: Severity = Severity.WARNING
    """The lowest severity that makes :attr:`ok` false (``fail-on`` of the settings)."""
    files: int = 0
    """Inputs checked (1 for a live model)."""
    setups: tuple[TrainingSetup, ...] = field(default=(), repr=False, compare=False)
    """What the readers understood (for layer tables and source excerpts)."""

    @property
    def ok(self) -> bool:
        """True when no finding is at or above :attr:`fail_on`."""
        return not any(finding.severity >= self.fail_on for finding in self.findings)

    @property
    def codes(self) -> list[str]:
        """The codes found, sorted and each once."""
        return sorted({finding.code for finding in self.findings})

    def __iter__(self):
        return iter(self.findings)

    def _sources(self) -> dict[str, tuple[str, ...]]:
        """Source lines by ``Location.source_name``, as the CLI keys them (a notebook: one per cell)."""
        return {name: lines for setup in self.setups for name, lines in setup.sources().items()}

    def to_json(self) -> str:
        """The ``--format json`` document (versioned schema, see README)."""
        from modelcheck.report.json_format import render

        return render(list(self.findings), self.files)

    def to_sarif(self) -> str:
        """A SARIF 2.1.0 log (for code-scanning upload)."""
        from modelcheck.report.sarif import render

        return render(list(self.findings), self._sources())

    def summary(self) -> str:
        """One line: ``2 problems (1 error, 1 warning)`` or ``All checks passed``."""
        if not self.findings:
            return "All checks passed"
        counts = {severity: sum(1 for f in self.findings if f.severity == severity) for severity in Severity}
        parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in sorted(Severity, reverse=True) if counts[s]]
        total = len(self.findings)
        return f"{total} problem{'s' if total != 1 else ''} ({', '.join(parts)})"

    def __repr__(self) -> str:
        status = "ok" if self.ok else "failing"
        codes = ", ".join(self.codes)
        return f"<modelcheck.Report {status}: {self.summary()}{f' [{codes}]' if codes else ''}; fail_on={self.fail_on}>"

    def __str__(self) -> str:
        """The console report as plain text (source excerpts and hints included)."""
        from modelcheck.report.console import render

        buffer = io.StringIO()
        render(list(self.findings), self.files, sources=self._sources(), stream=buffer, color=False)
        return buffer.getvalue()

    def _repr_html_(self) -> str:
        """A self-contained HTML table for Jupyter: severity badge, code, where, message, hint."""
        from modelcheck.ruledocs import rule_url

        esc = html.escape
        state = "ok" if self.ok else f"fails at fail-on={self.fail_on}"
        head = (
            f'<p style="margin:0 0 4px 0"><strong>modelcheck</strong>: {esc(self.summary())}'
            f' <span style="color:#666">({esc(state)})</span></p>'
        )
        if not self.findings:
            return f'<div class="modelcheck-report">{head}</div>'
        cell = 'style="text-align:left;vertical-align:top;padding:3px 8px;border-bottom:1px solid #ddd"'
        rows = []
        for finding in self.findings:
            color = _BADGE[finding.severity]
            badge = (
                f'<span style="background:{color};color:#fff;border-radius:3px;padding:1px 6px;'
                f'font-size:0.85em;font-weight:600">{esc(str(finding.severity))}</span>'
            )
            rows.append(
                "<tr>"
                f"<td {cell}>{badge}</td>"
                f'<td {cell}><a href="{esc(rule_url(finding.code))}" title="{esc(finding.name)}"><code>{esc(finding.code)}</code></a>'
                f'<br><span style="color:#666;font-size:0.85em">{esc(finding.name)}</span></td>'
                f"<td {cell}><code>{esc(finding.location.describe())}</code></td>"
                f"<td {cell}>{_html_text(finding.message)}{' <strong>[*]</strong>' if finding.fix is not None else ''}</td>"
                f"<td {cell}>{_html_text(finding.hint or '')}</td>"
                "</tr>"
            )
        header = "".join(f"<th {cell}>{name}</th>" for name in ("severity", "code", "where", "message", "hint"))
        return (
            f'<div class="modelcheck-report">{head}'
            f'<table style="border-collapse:collapse;font-size:0.9em"><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )

    def __rich__(self) -> Any:
        """A rich renderable (``rich.print(report)``, rich consoles, the Keras callback's output)."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        title = Text.assemble(("modelcheck", "bold"), ": ", self.summary())
        if not self.findings:
            return Text.assemble(title, " ✓", style="green")
        table = Table(show_lines=False, expand=False, pad_edge=False)
        for column in ("severity", "code", "where", "message"):
            table.add_column(column, overflow="fold")
        for finding in self.findings:
            style = _RICH_STYLE[finding.severity]
            message = Text(finding.message)
            if finding.hint:
                message.append("\nhint: ", style="dim")
                message.append(finding.hint)
            table.add_row(Text(str(finding.severity), style=style), Text(finding.code, style=style),
                          Text(finding.location.describe()), message)
        return Group(title, table)


_CODE_SPAN = re.compile(r"`([^`]+)`")


def _html_text(text: str) -> str:
    """Escaped text whose `code spans` become <code> elements (the messages write code in backticks)."""
    return _CODE_SPAN.sub(r"<code>\1</code>", html.escape(text))


def check(
    obj: Any,
    *,
    data: Any = None,
    config: Any = None,
    select: Iterable[str] | str | None = None,
    ignore: Iterable[str] | str | None = None,
    fail_on: str | Severity | None = None,
    settings: Settings | None = None,
) -> Report:
    """Check a live ``keras.Model``, a path (file or directory) or a list of paths.

    ``data``: what the model trains on, joined to each setup as its training
    pipeline — a directory of class folders, a ``DirectoryIterator``
    (``flow_from_directory``), a ``tf.data.Dataset`` or an ``(x, y)`` pair of
    arrays. Facts a script already states are kept; the data fills the unknown ones.

    ``settings``: a :class:`~modelcheck.settings.Settings` to use as is. ``config``: the
    path of a ``pyproject.toml`` (``[tool.modelcheck]``) / TOML file of those keys (a
    ``Settings`` is accepted too). By default the nearest ``pyproject.toml`` with a
    ``[tool.modelcheck]`` table above the first path (or the working directory) is used,
    as on the command line.

    ``select`` / ``ignore``: codes, prefixes or rule names (``"MC2"``, ``["hidden-softmax"]``),
    replacing the configured lists as ``--select`` / ``--ignore`` do; ``fail_on``:
    ``"error"``, ``"warning"`` or ``"info"`` (what makes :attr:`Report.ok` false). An
    unknown code raises :class:`modelcheck.codes.UnknownCodeError` (a ``ValueError``).

    A ``TrainingSetup`` (from any reader) is accepted too. Unreadable inputs
    are findings (MC001), not exceptions; a bad ``config`` raises ``ConfigError``.
    """
    overrides = _overrides(select, ignore, fail_on)
    if settings is not None:
        config = settings
    if isinstance(obj, TrainingSetup):
        chosen = _settings(config, []).with_overrides(**overrides)
        return _report([_with_data(obj, data)], [], chosen, files=1)
    paths = _as_paths(obj)
    if paths is not None:
        chosen = _settings(config, paths).with_overrides(**overrides)
        return _check_paths(paths, data, chosen)
    from modelcheck.readers.model.live import looks_like_model

    if looks_like_model(obj):
        return check_live(obj, data=data, config=_settings(config, []).with_overrides(**overrides))
    raise TypeError(
        f"modelcheck.check() takes a keras.Model, a path or a list of paths, not {type(obj).__name__}"
    )


def _overrides(select: Any, ignore: Any, fail_on: Any) -> dict[str, Any]:
    """``Settings.with_overrides`` arguments from the keyword arguments of :func:`check`."""
    from modelcheck.codes import resolve_all

    def codes(value: Any, name: str) -> tuple[str, ...] | None:
        if value is None:
            return None
        items = [part for part in value.split(",")] if isinstance(value, str) else list(value)
        return resolve_all([str(item) for item in items if str(item).strip()], f"{name}=")

    severity = fail_on if isinstance(fail_on, Severity) or fail_on is None else Severity.parse(str(fail_on))
    return {"select": codes(select, "select"), "ignore": codes(ignore, "ignore"), "fail_on": severity}


def check_live(model: Any, *, data: Any = None, config: Any = None, **run: Any) -> Report:
    """Check a live model; ``run`` holds what the Keras callback knows of the training run
    (``train_data``, ``validation_data``, ``callbacks``, ``fit_params``, ``training``; see
    :func:`modelcheck.readers.model.live.read_live_model`). A model that cannot be read is an MC001 finding."""
    from modelcheck.engine import report
    from modelcheck.errors import InputError
    from modelcheck.ir import Location
    from modelcheck.readers.model.live import live_path, read_live_model

    settings = _settings(config, [])
    try:
        setup = read_live_model(model, **run)
    except InputError as error:
        return _report([], [report("MC001", str(error), Location(live_path(model)))], settings, files=1)
    return _report([_with_data(setup, data)], [], settings, files=1)


def _as_paths(obj: Any) -> list[str] | None:
    if isinstance(obj, (str, os.PathLike)):
        return [os.fspath(obj)]
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(item, (str, os.PathLike)) for item in obj):
        return [os.fspath(item) for item in obj]
    return None


def _settings(config: Any, paths: Sequence[str]) -> Settings:
    if isinstance(config, Settings):
        return config
    from modelcheck.project_config import load_settings

    if config is None:
        return load_settings(None, paths)
    if isinstance(config, (str, os.PathLike)):
        return load_settings(os.fspath(config), paths)
    raise TypeError(f"config= takes a Settings or the path of a pyproject.toml, not {type(config).__name__}")


def _check_paths(paths: list[str], data: Any, settings: Settings) -> Report:
    if data is None:
        from modelcheck.runner import check_paths

        result = check_paths(paths, settings)
        return Report(tuple(result.findings), settings.fail_on, len(result.files), tuple(result.setups))
    from modelcheck.engine import filter_findings
    from modelcheck.inputs import load

    loaded = load(paths, exclude=settings.exclude, assume_pretrained=settings.assume_pretrained)
    setups = [_with_data(setup, data) for setup in loaded.setups]
    return _report(setups, list(filter_findings(loaded.findings, settings)), settings, files=len(loaded.files))


def _report(setups: list[TrainingSetup], findings: Iterable[Finding], settings: Settings, files: int) -> Report:
    from modelcheck.engine import check_setups

    found = set(findings) | check_setups(setups, settings)
    return Report(tuple(sorted(found)), settings.fail_on, files, tuple(setups))


_FILLABLE = ("scaling", "target_size", "color_mode", "class_mode", "class_mode_location", "directory",
             "num_classes", "num_samples", "image_channels", "batch_size")


def _with_data(setup: TrainingSetup, data: Any) -> TrainingSetup:
    """The setup with ``data`` as its training pipeline (unknown facts of an existing one filled in)."""
    if data is None:
        return setup
    from modelcheck.readers.model.live import pipeline_from_data

    pipeline, labels = pipeline_from_data(data, "train", setup.path, name="data")
    if pipeline is None:
        return setup
    existing = setup.pipeline("train")
    if existing is None:
        pipelines = setup.pipelines + (pipeline,)
    else:
        filled = _fill(existing, pipeline)
        pipelines = tuple(filled if p is existing else p for p in setup.pipelines)
    return replace(setup, pipelines=pipelines, labels=setup.labels + ((labels,) if labels else ()))


def _fill(existing: Pipeline, extra: Pipeline) -> Pipeline:
    changes = {name: getattr(extra, name) for name in _FILLABLE if getattr(existing, name) is None and getattr(extra, name) is not None}
    if not existing.augmentation and extra.augmentation:
        changes["augmentation"] = extra.augmentation
        changes["augmentation_location"] = extra.augmentation_location
    return replace(existing, **changes) if changes else existing
