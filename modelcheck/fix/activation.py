"""MC101: a hidden ``activation='softmax'`` becomes ``'relu'``."""

from __future__ import annotations

import ast

from modelcheck.findings import Finding
from modelcheck.fix.base import Fix, FixContext, NotFixed, same_place


def fix_hidden_softmax(finding: Finding, ctx: FixContext) -> Fix:
    """``Dense(256, activation='softmax')`` / ``Activation('softmax')`` → ``'relu'`` at the finding's call."""
    source = ctx.source(finding.location.path)
    call = source.call_at(source.finding_offset(finding.location.line, finding.location.column))
    if call is None:
        raise NotFixed("no layer call at this position (the file changed since it was checked?)")
    setup = ctx.setup_for(finding.location)
    if setup.model is not None:
        for _, layer in setup.model.walk():
            if layer.is_output and same_place(layer.location, finding.location):
                raise NotFixed("the same line also builds an output layer (a helper called more than once): change it by hand")
    if "predictions" in finding.message and "include_top" in (finding.hint or ""):
        raise NotFixed("the softmax is an include_top=True backbone's ImageNet classifier: rebuild the backbone with include_top=False")
    name = _called_name(call)
    literal: ast.AST | None = None
    for keyword in call.keywords:
        if keyword.arg == "activation":
            literal = keyword.value
    if literal is None and name == "Activation" and call.args:
        literal = call.args[0]
    if literal is None:
        if name == "Softmax":
            raise NotFixed("a Softmax() layer: replace it with Activation('relu') (or remove it) by hand")
        raise NotFixed("the softmax does not come from an activation= argument here")
    if not (isinstance(literal, ast.Constant) and isinstance(literal.value, str) and literal.value.strip().lower() == "softmax"):
        raise NotFixed("the activation is not the string 'softmax' (a variable or a function object): change it by hand")
    edit = source.string_literal(literal, "relu")
    return Fix(finding, f"{name or 'layer'}(..., '{literal.value}') → 'relu'", [edit])


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None
