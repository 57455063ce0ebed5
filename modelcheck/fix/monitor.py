"""MC401: a callback's ``monitor='val_acc'`` becomes the name the compiled model logs."""

from __future__ import annotations

import ast

from modelcheck.findings import Finding
from modelcheck.fix import specs
from modelcheck.fix.base import Fix, FixContext, NotFixed, fact, offered

# Position of `monitor` among the positional parameters of the callbacks MC401 knows.
_MONITOR_POSITION = {"ModelCheckpoint": 1, "EarlyStopping": 0, "ReduceLROnPlateau": 0}


def fix_monitor(finding: Finding, ctx: FixContext) -> Fix:
    """Replace the monitored name with the logged one the rule's fix names (``'val_acc'`` → ``'val_accuracy'``)."""
    spec = offered(finding, specs.NO_CLOSE_MONITOR)
    new = fact(spec, specs.MONITOR)
    source = ctx.source(finding.location.path)
    offset = source.finding_offset(finding.location.line, finding.location.column)
    keyword = source.keyword_at(offset, "monitor")
    value: ast.AST | None = keyword.value if keyword is not None else None
    if value is None:
        call = source.call_at(offset)
        if call is not None:
            value = next((k.value for k in call.keywords if k.arg == "monitor"), None)
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            position = _MONITOR_POSITION.get(name)
            if value is None and position is not None and len(call.args) > position:
                value = call.args[position]
    if value is None:
        raise NotFixed("no monitor= argument at this position (the file changed since it was checked?)")
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        raise NotFixed("monitor is not a string literal here (a variable may be used elsewhere too): change it by hand")
    edit = source.string_literal(value, new)
    return Fix(finding, f"monitor '{value.value}' → '{new}'", [edit])
