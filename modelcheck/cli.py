"""Command line: parse arguments, run the checks, hand findings to a formatter, exit code."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import IO, TYPE_CHECKING, Any, Sequence

from modelcheck import __version__
from modelcheck.findings import Finding, Severity
from modelcheck.report import FORMATS

if TYPE_CHECKING:
    from modelcheck.runner import Result
    from modelcheck.settings import Settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _codes(text: str) -> tuple[str, ...]:
    return tuple(part.strip().upper() for part in text.split(",") if part.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelcheck",
        description="Lint Keras transfer-learning setups: model files (.keras, .h5), training scripts (.py) and training configs (YAML/TOML/JSON).",
        epilog="Also: 'modelcheck rules' lists the rules, 'modelcheck rule MC101' explains one. Settings: [tool.modelcheck] in pyproject.toml (see docs/ci.md).",
    )
    parser.add_argument("paths", nargs="*", help="files or directories to check (only these: named files are checked even if a directory scan would skip them)")
    parser.add_argument("--format", choices=FORMATS, default="console", help="output format (default: console)")
    parser.add_argument("--fail-on", choices=("error", "warning", "info"), default=None, help="lowest severity that makes the exit code 1 (default: warning)")
    parser.add_argument("--select", type=_codes, default=None, help="comma-separated codes or prefixes to check (default: all)")
    parser.add_argument("--extend-select", type=_codes, default=None, help="codes to add to the selection")
    parser.add_argument("--ignore", type=_codes, default=None, help="comma-separated codes or prefixes to skip (replaces the configured list)")
    parser.add_argument("--extend-ignore", type=_codes, default=None, help="codes to skip in addition to the configured ones")
    parser.add_argument("--exclude", action="append", default=None, help="glob of files to skip in directory scans (repeatable)")
    parser.add_argument("--pretrained", action="store_true", default=None, help="treat backbones in saved model files as carrying pretrained weights")
    parser.add_argument("--config", metavar="FILE", help="read settings from FILE (a pyproject.toml with [tool.modelcheck], or a TOML file of those keys) instead of the nearest pyproject.toml")
    parser.add_argument("--no-config", action="store_true", help="ignore pyproject.toml settings")
    parser.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in FILE (see --write-baseline)")
    parser.add_argument("--write-baseline", metavar="FILE", help="record the current findings in FILE and exit 0")
    parser.add_argument("--files-from", metavar="FILE", help="also check the files listed in FILE, one per line ('-': stdin), e.g. `git diff --name-only | modelcheck --files-from -`; "
                        "missing files and unknown suffixes are skipped (implies --skip-unrecognized)")
    parser.add_argument("--skip-unrecognized", action="store_true", help="skip named files that hold no model or training setup silently, as a directory scan does (no MC002; for pre-commit)")
    parser.add_argument("--show-layers", action="store_true", help="print each model's layers with trainable/frozen marks")
    parser.add_argument("--statistics", action="store_true", help="add counts per rule code (console: a table; json: \"statistics\"; sarif: run properties; github: a notice)")
    parser.add_argument("--no-color", action="store_true", help="plain console output")
    parser.add_argument("--output", "-o", help="write the report to this file instead of stdout")
    parser.add_argument("--version", action="version", version=f"modelcheck {__version__}")
    from modelcheck.probe.cli_hook import add_probe_arguments  # no Keras import until --probe runs

    add_probe_arguments(parser)
    from modelcheck.fix.cli_hook import add_fix_arguments

    add_fix_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in ("rule", "rules"):
            from modelcheck.cli_rules import rules_command

            return rules_command(argv)
        return _check(argv)
    except KeyboardInterrupt:
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK


def _usage_error(message: str) -> int:
    print(f"modelcheck: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _check(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    paths = list(args.paths)
    if args.files_from:
        try:
            paths += _listed_files(args.files_from)
        except OSError as error:
            return _usage_error(f"--files-from {args.files_from}: {error.strerror or error}")
    elif not paths:
        parser.print_usage(sys.stderr)
        return _usage_error("give at least one file or directory to check")
    from modelcheck.baseline import BaselineError
    from modelcheck.project_config import ConfigError, load_settings
    from modelcheck.runner import check_paths
    from modelcheck.settings import Settings, flag_overrides

    try:
        settings = Settings() if args.no_config else load_settings(args.config, paths)
    except ConfigError as error:
        return _usage_error(str(error))
    settings = settings.with_overrides(**flag_overrides(args))
    result = check_paths(paths, settings)
    if args.skip_unrecognized or args.files_from:
        result.findings = [f for f in result.findings if f.code != "MC002"]
    if args.fix or args.diff:
        from modelcheck.fix.cli_hook import run_fixes

        code = run_fixes(args, result, settings)
        if code is not None:
            return code
    extra: dict[str, Any] = {}
    reports: list[Any] = []
    if args.probe:
        from modelcheck.engine import filter_findings
        from modelcheck.probe.cli_hook import run_probe

        probed, reports = run_probe(args, result)
        result.findings = sorted(set(result.findings) | set(filter_findings(probed, settings)))
        extra["probe"] = [report.to_dict() for report in reports]
    try:
        if args.write_baseline:
            from modelcheck.baseline import write_baseline

            count = write_baseline(args.write_baseline, result.findings, result.sources())
            print(f"modelcheck: recorded {count} finding{'s' if count != 1 else ''} in {args.write_baseline}", file=sys.stderr)
            return EXIT_OK
        if args.baseline:
            _apply_baseline(args, result, extra)
    except BaselineError as error:
        return _usage_error(str(error))
    if args.statistics:
        extra["statistics"] = statistics(result.findings)
    stream = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        _emit(args, result, stream, extra)
        if args.format == "console":
            for report in reports:
                report.render(stream, color=False if args.no_color else None)
    finally:
        if args.output:
            stream.close()
    from modelcheck.probe.cli_hook import counts_for_exit  # MC510/MC511 never change the exit code

    failing = any(f.severity >= settings.fail_on and counts_for_exit(f) for f in result.findings)
    return EXIT_FINDINGS if failing else EXIT_OK


def _apply_baseline(args: argparse.Namespace, result: Result, extra: dict[str, Any]) -> None:
    """Keep only the findings not recorded in --baseline FILE."""
    from modelcheck.baseline import new_findings

    result.findings, hidden = new_findings(result.findings, args.baseline, result.sources())
    extra["baseline"] = {"file": args.baseline, "hidden": hidden}
    if hidden and args.format == "console":
        print(f"modelcheck: {hidden} finding{'s' if hidden != 1 else ''} recorded in {args.baseline} not shown", file=sys.stderr)


def _listed_files(source: str) -> list[str]:
    """Existing files with a suffix modelcheck reads, from a list file or stdin."""
    from pathlib import Path

    from modelcheck.inputs import KNOWN_SUFFIXES

    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    names = [line.strip() for line in text.splitlines() if line.strip()]
    return [name for name in names if Path(name).suffix.lower() in KNOWN_SUFFIXES and Path(name).is_file()]


def statistics(findings: list[Finding]) -> list[dict[str, Any]]:
    """Counts per rule code, most frequent first."""
    counts = Counter((f.code, f.name, str(f.severity)) for f in findings)
    return [
        {"code": code, "name": name, "severity": severity, "count": count}
        for (code, name, severity), count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _emit(args: argparse.Namespace, result: Result, stream: IO[str], extra: dict[str, Any]) -> None:
    if args.format == "json":
        from modelcheck.report.json_format import render as render_json

        print(render_json(result.findings, len(result.files), extra or None), file=stream)
    elif args.format == "sarif":
        import json

        from modelcheck.report.sarif import render as render_sarif

        text = render_sarif(result.findings)
        if extra:  # SARIF keeps tool-specific data in a property bag
            document = json.loads(text)
            document["runs"][0].setdefault("properties", {}).update({"modelcheck": extra})
            text = json.dumps(document, indent=2)
        print(text, file=stream)
    elif args.format == "github":
        from modelcheck.report.github import render as render_github

        text = render_github(result.findings)
        if text:
            print(text, file=stream)
        if args.statistics and result.findings:
            counts = "%0A".join(f"{row['count']:>5}  {row['code']}  {row['name']} ({row['severity']})" for row in extra["statistics"])
            print(f"::notice title=modelcheck statistics::{counts}", file=stream)
    else:
        from modelcheck.report.console import render as render_console

        render_console(
            result.findings,
            len(result.files),
            sources=result.sources(),
            setups=result.setups,
            show_layers=args.show_layers,
            statistics=args.statistics,
            stream=stream,
            color=False if args.no_color else None,
        )
