"""`modelcheck rules [PREFIX ...]` and `modelcheck rule CODE|NAME|--all`: the rule catalogue from rules/*.md.

These are sub-commands only when no path of that name exists (see ``cli._is_subcommand``):
``modelcheck rules`` in a project with a ``rules/`` folder checks that folder, and
``modelcheck rule --all`` lists the rules there.
"""

from __future__ import annotations

import argparse
import json
import sys

from modelcheck.codes import UnknownCodeError, resolve
from modelcheck.ruledocs import RuleDoc, all_docs, rule_url


def _fixable() -> set[str]:
    from modelcheck.fix.cli_hook import FIXABLE_CODES  # a constant: the fixer itself is not loaded

    return set(FIXABLE_CODES)


def _parser(command: str) -> argparse.ArgumentParser:
    if command == "rules":
        parser = argparse.ArgumentParser(prog="modelcheck rules", description="List the rules (all, or those under the given codes, prefixes or names).")
        parser.add_argument("selectors", nargs="*", metavar="PREFIX", help="codes, prefixes or rule names, e.g. MC2 or hidden-softmax")
    else:
        parser = argparse.ArgumentParser(prog="modelcheck rule", description="Explain a rule: its documentation, as in rules/MCxxx.md.")
        parser.add_argument("selectors", nargs="*", metavar="CODE", help="a rule code or name, e.g. MC101 or hidden-softmax")
        parser.add_argument("--all", action="store_true", help="list every rule (as 'modelcheck rules')")
    parser.add_argument("--output-format", "--format", dest="format", choices=("text", "json"), default="text", help="text (default) or json")
    return parser


def rules_command(argv: list[str]) -> int:
    """Run ``rules``/``rule``; exit 0, or 2 for an unknown code or a bad flag."""
    command = argv[0]
    parser = _parser(command)
    try:
        args = parser.parse_args(argv[1:])
    except SystemExit as stop:  # --help (0) or a usage error (2)
        return int(stop.code or 0)
    docs = all_docs()
    try:
        wanted = [resolve(item) for item in args.selectors]
    except UnknownCodeError as error:
        print(f"modelcheck: error: {error} (see 'modelcheck rules')", file=sys.stderr)
        return 2
    if command == "rules" or getattr(args, "all", False):
        chosen = [doc for code, doc in sorted(docs.items()) if not wanted or any(code.startswith(w) for w in wanted)]
        _list(chosen, args.format)
        return 0
    if len(wanted) != 1 or wanted[0] not in docs:
        print("usage: modelcheck rule CODE|NAME (one rule; 'modelcheck rules PREFIX' lists several)", file=sys.stderr)
        return 2
    doc = docs[wanted[0]]
    if args.format == "json":
        print(json.dumps(_entry(doc, doc.code in _fixable()) | {"body": doc.body}, indent=2))
    else:
        fix = "\n\nFix: `modelcheck --fix` repairs this in scripts." if doc.code in _fixable() else ""
        print(f"# {doc.code} {doc.name} ({_severities(doc)})\n\n{doc.summary}\n\n{doc.body}{fix}\n\nDocs: {rule_url(doc.code)}")
    return 0


def _entry(doc: RuleDoc, fixable: bool) -> dict:
    return {"code": doc.code, "name": doc.name, "severity": str(doc.severity), "severities": [str(s) for s in doc.severities],
            "summary": doc.summary,
            "fixable": fixable, "probe_only": doc.code.startswith("MC5"), "url": rule_url(doc.code)}


def _list(docs: list[RuleDoc], fmt: str) -> None:
    fixable = _fixable()
    if fmt == "json":
        print(json.dumps([_entry(doc, doc.code in fixable) for doc in docs], indent=2))
        return
    width = max((len(doc.name) for doc in docs), default=0)
    for doc in docs:
        mark = "[*]" if doc.code in fixable else "   "
        print(f"{doc.code}  {doc.name:<{width}}  {_severities(doc):<7}  {mark}  {doc.summary}")
    if any(doc.code in fixable for doc in docs):
        print("\n[*] fixable with `modelcheck --fix`")


def _severities(doc: RuleDoc) -> str:
    """'warning', or 'warning/info/error' for a rule that reports several (default first)."""
    others = [str(s) for s in doc.severities if s != doc.severity]
    return "/".join([str(doc.severity), *others])
