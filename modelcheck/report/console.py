"""The terminal report: each finding with its code, place, source excerpt and hint.

Lines are written as plain text, with ANSI styles only when colour is on. Nothing
is parsed as markup: a path, layer name or message from an input is printed as
it is (``train.py:100:17`` stays that, ``[bold]x[/]`` stays that). This is also
what keeps the console report about as fast as ``--output-format json``.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Mapping

from modelcheck.findings import Finding, Severity
from modelcheck.ir import Location, ModelGraph, TrainingSetup
from modelcheck.report import is_fixable, split_message, summary
from modelcheck.report.escape import shown


# SGR codes: bold red / yellow / cyan for the severities, as before with rich.
_SEVERITY_STYLE = {Severity.ERROR: "1;31", Severity.WARNING: "33", Severity.INFO: "36"}
BOLD, DIM, GREEN, RED = "1", "2", "32", "31"


def display_location(location: Location) -> str:
    """The one place where a finding's location becomes display text (path, line, column, layer)."""
    return shown(location.describe())


def use_color(choice: str | None, stream: IO[str] | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Colour or not: ``--color always|never`` first, then ``NO_COLOR``, ``FORCE_COLOR``, then a terminal.

    ``NO_COLOR`` (any non-empty value, https://no-color.org) wins over ``FORCE_COLOR``.
    """
    if choice == "always":
        return True
    if choice == "never":
        return False
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    try:
        return bool(isatty and isatty()) and env.get("TERM") != "dumb"
    except ValueError:  # a closed stream
        return False


class _Painter:
    """Wraps text in SGR codes when colour is on; the identity otherwise."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, style: str) -> str:
        return f"\x1b[{style}m{text}\x1b[0m" if self.color and text else text


def render(
    findings: list[Finding],
    files: int,
    *,
    sources: Mapping[str, tuple[str, ...]] | None = None,
    setups: list[TrainingSetup] | None = None,
    show_layers: bool = False,
    statistics: bool = False,
    stream: IO[str] | None = None,
    color: bool | None = None,
    output_format: str = "full",
    quiet: bool = False,
    show_fixes: bool = False,
) -> None:
    """Write the report. ``color`` None: decide from the environment and the stream (see :func:`use_color`).

    ``output_format`` ``full``: header, source excerpt, explanation and hint per finding;
    ``concise``: one line per finding with the message's first sentence. ``quiet``: the
    findings only, no summary line.
    """
    out = stream if stream is not None else sys.stdout
    paint = _Painter(use_color(None, out) if color is None else color)
    sources = sources or {}
    lines: list[str] = []
    for finding in findings:
        if output_format == "concise":
            lines.append(_concise(finding, paint))
        else:
            lines.extend(_full(finding, sources, paint))
    if show_layers:
        for setup in setups or []:
            if setup.model is not None:
                lines.extend(layer_table(setup, paint))
    if statistics and findings:
        lines.extend(_statistics(findings))
    if show_fixes:
        lines.extend(_fix_list(findings))
    if not quiet:
        lines.append(_summary_line(findings, files, paint))
    if lines:
        out.write("\n".join(lines) + "\n")


def _mark(finding: Finding) -> str:
    return " [*]" if is_fixable(finding) else ""


def _concise(finding: Finding, paint: _Painter) -> str:
    head, _ = split_message(shown(finding.message))
    style = _SEVERITY_STYLE[finding.severity]
    return f"{paint(display_location(finding.location), BOLD)}: {paint(finding.code, style)}{_mark(finding)} {head}"


def _full(finding: Finding, sources: Mapping[str, tuple[str, ...]], paint: _Painter) -> list[str]:
    where = finding.location
    style = _SEVERITY_STYLE[finding.severity]
    head, rest = split_message(shown(finding.message))
    out = [
        f"{paint(display_location(where), BOLD)}: {paint(finding.code, style)} {paint(str(finding.severity), style)}"
        f"{_mark(finding)} {head}"
    ]
    if rest:
        out.append(f"  {rest}")
    lines = sources.get(where.source_name, ())
    if where.line and 1 <= where.line <= len(lines):
        text = lines[where.line - 1].rstrip("\n")
        out.append(f"  {paint(f'{where.line:>4} |', DIM)} {shown(text)}")
        if where.column:
            out.append(f"  {paint('     |', DIM)} {' ' * (where.column - 1)}{paint('^', style)}")
    if finding.hint:
        out.append(f"  {paint('= hint:', DIM)} {shown(finding.hint)}")
    if finding.fix is not None:
        out.append(f"  {paint('= fix:', DIM)} {shown(finding.fix.message)} (--fix)")
    return out


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _summary_line(findings: list[Finding], files: int, paint: _Painter) -> str:
    checked = f"{_plural(files, 'file')} checked"
    if not findings:
        return f"{paint('All checks passed', GREEN)} ({checked})."
    counts = summary(findings, files)
    parts = [_plural(counts[key], word) for key, word in (("errors", "error"), ("warnings", "warning"), ("infos", "info")) if counts[key]]
    line = f"Found {_plural(len(findings), 'problem')} ({', '.join(parts)}) in {checked}."
    fixable = sum(1 for finding in findings if is_fixable(finding))
    if fixable:
        line += f"\n[*] {fixable} fixable with `--fix`."
    return line


def _statistics(findings: list[Finding]) -> list[str]:
    from collections import Counter

    counts = Counter((f.code, f.name, f.severity) for f in findings)
    fixable = {f.code for f in findings if is_fixable(f)}
    return [
        f"{count:>5}  {code}  {name} ({severity}){' [*]' if code in fixable else ''}"
        for (code, name, severity), count in sorted(counts.items())
    ]


def _fix_list(findings: list[Finding]) -> list[str]:
    """``--show-fixes``: what ``--fix`` would do, one line per fixable finding."""
    fixes = [f for f in findings if f.fix is not None]
    if not fixes:
        return ["No fixes available."]
    head = f"Fixable with `--fix` ({len(fixes)}):"
    return [head] + [f"  {display_location(f.location)}: {f.code} {shown(f.fix.message)}" for f in fixes]  # type: ignore[union-attr]


# --- --show-layers ------------------------------------------------------------------------

_COLUMNS = ("#", "layer", "class", "Output Shape", "Param #", "activation", "trainable")


def layer_table(setup: TrainingSetup, paint: _Painter | None = None) -> list[str]:
    """The model's layers as a text table, like ``model.summary()`` with trainable marks."""
    from modelcheck.report.params import fed_layers, layer_params

    paint = paint or _Painter(False)
    assert setup.model is not None
    rows: list[tuple[tuple[str, ...], bool | None]] = []

    def add(graph: ModelGraph, indent: str) -> None:
        for index, (layer, feeding) in enumerate(fed_layers(graph)):
            params = layer_params(layer, feeding)
            rows.append(((
                str(index),
                indent + shown(layer.name),
                shown(layer.class_name),
                _shape(layer.output_shape),
                "" if params is None else f"{params:,}",
                shown(layer.activation or ""),
                {True: "yes", False: "frozen", None: "?"}[layer.trainable],
            ), layer.trainable))
            if layer.submodel is not None:
                add(layer.submodel, indent + "  ")

    add(setup.model, "")
    widths = [max([len(column)] + [len(row[i]) for row, _ in rows]) for i, column in enumerate(_COLUMNS)]
    numeric = {0, 4}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip()

    title = f"{display_location(Location(setup.path))}: {shown(setup.model.name)} ({shown(setup.model.class_name)})"
    out = [paint(title, BOLD), paint(line(_COLUMNS), BOLD), "-" * len(line(_COLUMNS))]
    for cells, trainable in rows:
        text = line(cells)
        if trainable is False:
            text = paint(text, RED)
        out.append(text)
    return out


def _shape(shape: tuple | None) -> str:
    if shape is None:
        return ""
    return "(" + ", ".join("None" if dim is None else str(dim) for dim in shape) + ("," if len(shape) == 1 else "") + ")"
