"""MC101: a hidden ``activation='softmax'`` becomes the activation the rule's fix names (``'relu'``)."""

from __future__ import annotations

import ast

from modelcheck.findings import Finding
from modelcheck.fix import specs
from modelcheck.fix.base import Fix, FixContext, NotFixed, fact, same_place


def fix_hidden_softmax(finding: Finding, ctx: FixContext) -> Fix:
    """``Dense(256, activation='softmax')`` / ``Activation('softmax')`` → ``'relu'`` at the finding's call."""
    if finding.fix is None:
        raise NotFixed(_why_not(finding, ctx))
    new = fact(finding.fix, specs.ACTIVATION)
    source = ctx.source(finding.location.path)
    call = source.call_at(source.finding_offset(finding.location.line, finding.location.column))
    if call is None:
        raise NotFixed("no layer call at this position (the file changed since it was checked?)")
    name = _called_name(call)
    literal: ast.AST | None = None
    for keyword in call.keywords:
        if keyword.arg == "activation":
            literal = keyword.value
    if literal is None and name == "Activation" and call.args:
        literal = call.args[0]
    if literal is None:
        raise NotFixed("the softmax does not come from an activation= argument here")
    if not (isinstance(literal, ast.Constant) and isinstance(literal.value, str) and literal.value.strip().lower() == "softmax"):
        raise NotFixed("the activation is not the string 'softmax' (a variable or a function object): change it by hand")
    edit = source.string_literal(literal, new)
    return Fix(finding, f"{name or 'layer'}(..., '{literal.value}') → '{new}'", [edit])


def _why_not(finding: Finding, ctx: FixContext) -> str:
    """Why the rule offered no fix, asked of the same decision it made (for the layer at this place)."""
    setup = ctx.setup_for(finding.location)
    for _, layer in setup.model.walk() if setup.model is not None else ():
        if layer.activation == "softmax" and same_place(layer.location, finding.location):
            offer = specs.hidden_softmax(setup, layer)
            if isinstance(offer, str):
                return offer
    return "the rule offers no automatic fix for this softmax"


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None
