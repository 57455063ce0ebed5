"""Command line: parse arguments, run the checks, hand findings to a formatter, exit code."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import IO, TYPE_CHECKING, Any, Sequence

from modelcheck import __version__
from modelcheck.findings import Finding
from modelcheck.report import FORMATS

if TYPE_CHECKING:
    from modelcheck.runner import Result
    from modelcheck.settings import Settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _codes(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


OUTPUT_FORMATS = (*FORMATS, "console")
"""``console`` is the old name of ``full``."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelcheck",
        usage="modelcheck [OPTIONS] [PATH ...]\n       modelcheck rules [PREFIX ...] [--output-format json]\n       modelcheck rule CODE|NAME|--all",
        description="Lint Keras transfer-learning setups: model files (.keras, .h5), training scripts (.py) and training configs (YAML/TOML/JSON).",
        epilog="Sub-commands: 'modelcheck rules [MC2]' lists the rules, 'modelcheck rule MC101' explains one "
               "('modelcheck rule --all' when a path named 'rules' exists: a path always wins). "
               "Settings: [tool.modelcheck] in pyproject.toml. Flags compared with ruff's: docs/cli.md.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories to check (default: '.'; '-': stdin, see --stdin-filename). Named files are checked even if a directory scan would skip them")
    parser.add_argument("--version", action="version", version=f"modelcheck {__version__}")
    rules = parser.add_argument_group("rule selection")
    rules.add_argument("--select", type=_codes, action="extend", default=None, metavar="CODES",
                       help="comma-separated codes, prefixes or rule names to check (default: all); repeated flags add up")
    rules.add_argument("--extend-select", type=_codes, action="extend", default=None, metavar="CODES", help="codes to add to the selection")
    rules.add_argument("--ignore", type=_codes, action="extend", default=None, metavar="CODES",
                       help="comma-separated codes, prefixes or rule names to skip (replaces the configured list); repeated flags add up")
    rules.add_argument("--extend-ignore", type=_codes, action="extend", default=None, metavar="CODES", help="codes to skip in addition to the configured ones")
    rules.add_argument("--fail-on", choices=("error", "warning", "info"), default=None, help="lowest severity that makes the exit code 1 (default: warning)")
    rules.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings are reported (usage errors still exit 2)")
    rules.add_argument("--pretrained", action="store_true", default=None, help="treat backbones in saved model files as carrying pretrained weights")
    output = parser.add_argument_group("output")
    output.add_argument("--output-format", "--format", dest="format", choices=OUTPUT_FORMATS, default="full", metavar="FORMAT",
                        help="full (default: source excerpt, explanation, hint), concise (one line per finding), json, sarif, github")
    output.add_argument("--output", "-o", metavar="FILE", help="write the report to this file instead of stdout")
    output.add_argument("--statistics", action="store_true", help="add counts per rule code (console: a table; json: \"statistics\"; sarif: run properties; github: a notice)")
    output.add_argument("-q", "--quiet", action="store_true", help="print the findings only: no summary line")
    output.add_argument("--color", choices=("auto", "always", "never"), default=None,
                        help="colour the console report (default auto: a terminal, unless NO_COLOR is set; FORCE_COLOR forces it)")
    output.add_argument("--no-color", action="store_const", const="never", dest="color", help="same as --color never")
    output.add_argument("--show-layers", action="store_true", help="print each model's layers with output shape, parameter count and trainable/frozen marks")
    from modelcheck.fix.cli_hook import add_fix_arguments

    add_fix_arguments(parser)
    from modelcheck.probe.cli_hook import add_probe_arguments  # no Keras import until --probe runs

    add_probe_arguments(parser)
    files = parser.add_argument_group("files and settings")
    files.add_argument("--exclude", action="append", default=None, metavar="GLOB", help="glob of files to skip in directory scans (repeatable)")
    files.add_argument("--force-exclude", action="store_true",
                       help="apply exclude patterns to files named on the command line too (for pre-commit, which names every file)")
    files.add_argument("--stdin-filename", metavar="NAME", help="the name of the file read from stdin with '-' (its suffix says what it is; default stdin.py)")
    files.add_argument("--files-from", metavar="FILE", help="also check the files listed in FILE, one per line ('-': stdin), e.g. `git diff --name-only | modelcheck --files-from -`; "
                       "missing files and unknown suffixes are skipped (implies --skip-unrecognized)")
    files.add_argument("--skip-unrecognized", action="store_true", help="skip named files that hold no model or training setup silently, as a directory scan does (no MC002; for pre-commit)")
    files.add_argument("--config", metavar="FILE", help="read settings from FILE (a pyproject.toml with [tool.modelcheck], or a TOML file of those keys) instead of the nearest pyproject.toml")
    files.add_argument("--no-config", action="store_true", help="ignore pyproject.toml settings")
    files.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in FILE (see --write-baseline)")
    files.add_argument("--write-baseline", metavar="FILE", help="record the current findings in FILE and exit 0")
    from modelcheck.parallel import add_jobs_argument

    add_jobs_argument(files)
    return parser


def run() -> None:
    """The ``modelcheck`` command: :func:`main`, then exit without tearing the interpreter down.

    Freeing every object one by one at exit took 20 ms and more after a large check, for an
    output already written (mypy exits the same way). Where Keras was imported (``--probe``),
    its exit handlers run as usual.
    """
    code = main()
    if "keras" in sys.modules or "tensorflow" in sys.modules:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken pipe: nothing more can be written
        pass
    import os

    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if _is_subcommand(argv):
            from modelcheck.cli_rules import rules_command

            return rules_command(argv)
        from modelcheck.parallel import fewer_collections

        # The whole run, sorting and reporting included: once the findings are in, a full
        # collection would walk every object read to free almost nothing (10 ms on 272 scripts).
        with fewer_collections():
            return _check(argv)
    except KeyboardInterrupt:
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK


def _is_subcommand(argv: list[str]) -> bool:
    """``rules``/``rule`` are sub-commands unless a path of that name exists: a path is never shadowed."""
    import os

    return bool(argv) and argv[0] in ("rule", "rules") and not os.path.exists(argv[0])


def _usage_error(message: str) -> int:
    print(f"modelcheck: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _check(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.format == "console":
        args.format = "full"
    paths = list(args.paths)
    if args.files_from:
        try:
            paths += _listed_files(args.files_from)
        except OSError as error:
            return _usage_error(f"--files-from {args.files_from}: {error.strerror or error}")
    elif not paths:
        paths = ["."]
    from modelcheck.codes import UnknownCodeError, resolve_all

    try:
        for flag in ("select", "extend_select", "ignore", "extend_ignore"):
            if getattr(args, flag):
                setattr(args, flag, resolve_all(getattr(args, flag), "--" + flag.replace("_", "-")))
    except UnknownCodeError as error:
        return _usage_error(str(error))
    if args.probe:
        problem = _probe_unavailable()
        if problem:
            return _usage_error(problem)
    else:
        _note_probe_only(args)
    from modelcheck.project_config import ConfigError, load_settings
    from modelcheck.settings import Settings, flag_overrides

    stdin_path = None
    if "-" in paths:
        stdin_path = args.stdin_filename or "stdin.py"
    try:
        settings = Settings() if args.no_config else load_settings(args.config, [stdin_path or p for p in paths if p != "-"] or paths)
    except ConfigError as error:
        if args.format == "json":  # stdout stays one JSON document, even when nothing was checked
            import json

            print(json.dumps({"version": 1, "error": {"kind": "settings", "message": str(error)}, "findings": []}, indent=2))
        return _usage_error(str(error))
    settings = settings.with_overrides(**flag_overrides(args))
    if args.force_exclude:
        from modelcheck.inputs import is_excluded

        paths = [p for p in paths if not is_excluded(stdin_path if p == "-" and stdin_path else p, settings.exclude)]
    try:
        # Reports need the findings and the source lines; showing layers, fixing and probing need the setups.
        keep_setups = bool(args.show_layers or args.fix or args.diff or args.probe)
        result = _run(paths, settings, stdin_path, args.jobs, keep_setups)
    except UnknownCodeError as error:  # an unknown code in an inline suppression
        return _usage_error(str(error))
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
    from modelcheck.baseline import BaselineError

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
        if args.format in ("full", "concise"):
            for report in reports:
                report.render(stream, color=_color(args, stream))
    finally:
        if args.output:
            stream.close()
    from modelcheck.probe.cli_hook import counts_for_exit  # MC510/MC511 never change the exit code

    failing = any(f.severity >= settings.fail_on and counts_for_exit(f) for f in result.findings)
    return EXIT_FINDINGS if failing and not args.exit_zero else EXIT_OK


def _run(paths: list[str], settings: Settings, stdin_path: str | None, jobs: int = 1, keep_setups: bool = True) -> Result:
    """Check the paths; ``-`` is stdin, checked as a file named ``stdin_path``."""
    from modelcheck.runner import check_paths

    if stdin_path is None:
        return check_paths(paths, settings, jobs=jobs, keep_setups=keep_setups)
    import os
    import tempfile
    from dataclasses import replace

    text = sys.stdin.read()
    with tempfile.TemporaryDirectory(prefix="modelcheck-stdin-") as folder:
        temporary = os.path.join(folder, os.path.basename(stdin_path) or "stdin.py")
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        result = check_paths([temporary if p == "-" else p for p in paths], settings, jobs=jobs, keep_setups=keep_setups)
        # Findings and sources name the file as the user did, not the temporary copy.
        rename = {os.path.relpath(temporary): stdin_path, temporary: stdin_path}
        result.findings = sorted(
            replace(f, location=replace(f.location, path=rename[f.location.path])) if f.location.path in rename else f
            for f in result.findings
        )
        result.setups = [replace(s, path=rename.get(s.path, s.path)) for s in result.setups]
        if result.texts is not None:
            result.texts = {_renamed(name, rename): lines for name, lines in result.texts.items()}
        result.files = [rename.get(name, name) for name in result.files]
    return result


def _renamed(source_name: str, rename: dict[str, str]) -> str:
    """A source name (a path, or a notebook cell's ``path:cell N``) with its path renamed."""
    for old, new in rename.items():
        if source_name == old or source_name.startswith(old + ":"):
            return new + source_name[len(old):]
    return source_name


def _probe_unavailable() -> str | None:
    """Why ``--probe`` cannot run here (no Keras, or Keras without a backend); None when it can."""
    import importlib.util

    def missing(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is None
        except (ImportError, ValueError):
            return True

    if missing("keras") or all(missing(backend) for backend in ("tensorflow", "jax", "torch")):
        return ("--probe trains the model and needs Keras: pip install \"modelcheck[tf]\" "
                "(or Keras 3 with JAX or PyTorch); the static checks need neither")
    return None


def _note_probe_only(args: argparse.Namespace) -> None:
    """``--select MC5…`` without ``--probe``: say that those rules run only under --probe."""
    from modelcheck.codes import probe_codes

    chosen = [code for code in (args.select or ()) + tuple(args.extend_select or ()) if code != "MC"]
    probe_only = sorted({code for code in chosen for probe in probe_codes() if probe.startswith(code) or code.startswith(probe)})
    if probe_only:
        print(f"modelcheck: note: {', '.join(probe_only)}: the MC5xx rules run only under --probe (they train the model briefly)",
              file=sys.stderr)


def _color(args: argparse.Namespace, stream: IO[str]) -> bool:
    from modelcheck.report.console import use_color

    return use_color(args.color, stream)


def _apply_baseline(args: argparse.Namespace, result: Result, extra: dict[str, Any]) -> None:
    """Keep only the findings not recorded in --baseline FILE."""
    from modelcheck.baseline import new_findings

    result.findings, hidden = new_findings(result.findings, args.baseline, result.sources())
    extra["baseline"] = {"file": args.baseline, "hidden": hidden}
    if hidden and args.format in ("full", "concise"):
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

        text = render_sarif(result.findings, result.sources())
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
            color=_color(args, stream),
            output_format=args.format,
            quiet=args.quiet,
            show_fixes=args.show_fixes,
        )
