"""The terminal report (rich): each finding with its code, place, source excerpt and hint."""

from __future__ import annotations

import re
from typing import IO, Mapping

from modelcheck.findings import Finding, Severity
from modelcheck.ir import ModelGraph, TrainingSetup
from modelcheck.report import summary
from modelcheck.report.escape import shown

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """Control characters from an input (an escape sequence in a string literal) shown, not obeyed."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


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
) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(file=stream, highlight=False, soft_wrap=True, force_terminal=color, no_color=color is False)
    sources = sources or {}
    for finding in findings:
        where = finding.location
        style = _STYLE[finding.severity]
        console.print(
            f"[bold]{escape(shown(where.describe()))}[/bold]: [{style}]{finding.code}[/{style}] "
            f"[{style}]{finding.severity}[/{style}] {escape(_printable(finding.message))}"
        )
        lines = sources.get(where.path, ())
        if where.line and 1 <= where.line <= len(lines):
            text = lines[where.line - 1].rstrip("\n")
            console.print(f"  [dim]{where.line:>4} |[/dim] {escape(_printable(text))}")
            if where.column:
                console.print(f"  [dim]     |[/dim] {' ' * (where.column - 1)}[{style}]^[/{style}]")
        if finding.hint:
            console.print(f"  [dim]= hint:[/dim] {escape(_printable(finding.hint))}")
    if show_layers:
        for setup in setups or []:
            if setup.model is not None:
                _layer_table(console, setup)
    counts = summary(findings, files)
    if statistics and findings:
        _statistics(console, findings)
    if findings:
        parts = [f"{counts[key]} {word}{'s' if counts[key] != 1 else ''}" for key, word in (("errors", "error"), ("warnings", "warning"), ("infos", "info")) if counts[key]]
        console.print(f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''} ({', '.join(parts)}) in {files} file{'s' if files != 1 else ''} checked.")
    else:
        console.print(f"[green]All checks passed[/green] ({files} file{'s' if files != 1 else ''} checked).")


def _statistics(console, findings: list[Finding]) -> None:
    from collections import Counter

    counts = Counter((f.code, f.name, f.severity) for f in findings)
    for (code, name, severity), count in sorted(counts.items()):
        console.print(f"{count:>5}  {code}  {name} ({severity})")


def _layer_table(console, setup: TrainingSetup) -> None:
    from rich.table import Table

    assert setup.model is not None
    table = Table(title=f"{setup.path}: {setup.model.name} ({setup.model.class_name})", show_lines=False)
    for column in ("#", "layer", "class", "units", "activation", "trainable"):
        table.add_column(column)
    _rows(table, setup.model, "")
    console.print(table)


def _rows(table, graph: ModelGraph, indent: str) -> None:
    for index, layer in enumerate(graph.layers):
        mark = {True: "[green]yes[/green]", False: "[red]frozen[/red]", None: "?"}[layer.trainable]
        table.add_row(
            str(index),
            indent + layer.name,
            layer.class_name,
            "" if layer.units is None else str(layer.units),
            layer.activation or "",
            mark,
        )
        if layer.submodel is not None:
            _rows(table, layer.submodel, indent + "  ")
