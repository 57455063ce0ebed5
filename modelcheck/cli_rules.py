"""`modelcheck rules` and `modelcheck rule MC101`: the rule catalogue from rules/*.md."""

from __future__ import annotations

import sys

from modelcheck.ruledocs import RuleDoc, all_docs


def rules_command(argv: list[str]) -> int:
    docs = all_docs()
    if argv[0] == "rules":
        width = max(len(doc.name) for doc in docs.values())
        for code, doc in sorted(docs.items()):
            print(f"{code}  {doc.name:<{width}}  {_severities(doc):<7}  {doc.summary}")
        return 0
    if len(argv) != 2:
        print("usage: modelcheck rule CODE", file=sys.stderr)
        return 2
    code = argv[1].upper()
    doc = docs.get(code)
    if doc is None:
        print(f"modelcheck: no rule {code} (see 'modelcheck rules')", file=sys.stderr)
        return 2
    print(f"# {doc.code} {doc.name} ({_severities(doc)})\n\n{doc.summary}\n\n{doc.body}")
    return 0


def _severities(doc: RuleDoc) -> str:
    """'warning', or 'info/warning/error' for a rule that reports several (default first)."""
    others = [str(s) for s in doc.severities if s != doc.severity]
    return "/".join([str(doc.severity), *others])
