"""MC402: APIs removed in Keras 3 that have an exact, one-to-one replacement.

Fixed: ``fit_generator(`` / ``predict_generator(`` / ``evaluate_generator(`` /
``predict_proba(`` → ``fit(`` / ``predict(`` / ``evaluate(`` / ``predict(``
(one positional argument at most: the later ones mean something else to
``fit``); keyword renames (``lr=`` → ``learning_rate=``, ``nb_epoch=`` →
``epochs=``, ``output_dim=`` → ``units=``, ``nb_filter=`` → ``filters=``,
``subsample=`` → ``strides=``, ``border_mode=`` → ``padding=``,
``W_regularizer=`` / ``b_regularizer=``, ``dim_ordering='tf'|'th'`` →
``data_format=…``, ``Model(input=, output=)`` → ``inputs=, outputs=``,
``period=1`` → ``save_freq='epoch'``); ``Convolution2D(64, 3, 3, …)`` →
``Conv2D(64, (3, 3), …)`` with the import following.

Refused, with the reason: anything whose unit or meaning changes
(``samples_per_epoch=``, ``nb_val_samples=``, ``decay=``, ``period=N``,
``init=``, ``nb_row=``/``nb_col=``), removed modules and classes, and
``predict_classes``.
"""

from __future__ import annotations

import ast

from modelcheck.findings import Finding
from modelcheck.fix import specs
from modelcheck.fix.base import Fix, FixContext, NameSwap, NotFixed, fact
from modelcheck.fix.specs import CONVOLUTION, KEYWORDS, METHODS
from modelcheck.fix.source import Edit, SourceFile, bound_names, string_quote

_DIM_ORDERING = {"tf": "channels_last", "th": "channels_first"}


def fix_removed_api(finding: Finding, ctx: FixContext) -> Fix:
    """Rewrite the removed API the rule's fix names (its ``api`` fact) at the finding's position."""
    if finding.fix is None:
        raise NotFixed(_why_not(finding, ctx))
    api = fact(finding.fix, specs.API)
    source = ctx.source(finding.location.path)
    offset = source.finding_offset(finding.location.line, finding.location.column)
    if api.endswith("(") and api[:-1] in METHODS:
        return _method(finding, source, offset, api[:-1])
    if api.endswith("="):
        return _keyword(finding, source, offset, api[:-1])
    conv = CONVOLUTION.match(api)
    if conv:
        return _convolution(finding, source, offset, conv.group(1), conv.group(2))
    raise NotFixed("no one-to-one rewrite")


def _why_not(finding: Finding, ctx: FixContext) -> str:
    """Why the rule offered no fix, asked of the same decision it made (for the API used at this place)."""
    for setup in ctx.setups:
        for use in setup.api_uses:
            if use.location == finding.location:
                offer = specs.removed_api(use.api, use.replacement, use.location)
                if isinstance(offer, str):
                    return offer
    return "the rule offers no automatic fix for this API"


def _method(finding: Finding, source: SourceFile, offset: int, name: str) -> Fix:
    attribute = source.attribute_named_at(offset, name)
    call = source.parent(attribute) if attribute is not None else None
    if attribute is None or not isinstance(call, ast.Call) or call.func is not attribute:
        raise NotFixed(f"no call of {name}( at this position (the file changed since it was checked?)")
    if any(isinstance(arg, ast.Starred) for arg in call.args) or len(call.args) > 1:
        raise NotFixed(f"{name}( is given positional arguments after the data, which {METHODS[name]}( reads as other "
                       "parameters (y, batch_size…): pass them by keyword first")
    new = METHODS[name]
    start = source.attr_name_start(attribute)
    edits = [Edit(source.path, start, start + len(name), new)]
    for keyword in call.keywords:
        if keyword.arg == "generator":  # fit_generator(generator=...) → fit(x=...)
            if any(k.arg == "x" for k in call.keywords):
                raise NotFixed("both generator= and x= are given")
            edits.append(_rename_keyword(source, keyword, "x"))
    return Fix(finding, f"{name}( → {new}(", edits)


def _keyword(finding: Finding, source: SourceFile, offset: int, key: str) -> Fix:
    keyword = source.keyword_at(offset, key)
    call = source.parent(keyword) if keyword is not None else None
    if keyword is None or not isinstance(call, ast.Call):
        raise NotFixed(f"no {key}= argument at this position (the file changed since it was checked?)")
    if key == "period":
        return _period(finding, source, call, keyword)
    new = KEYWORDS[key]  # specs.removed_api offers a fix only for these keys and period=
    if any(k.arg == new for k in call.keywords):
        raise NotFixed(f"both {key}= and {new}= are given: keep one by hand")
    edits = [_rename_keyword(source, keyword, new)]
    if key == "border_mode":
        if not (isinstance(keyword.value, ast.Constant) and keyword.value.value in ("same", "valid")):
            raise NotFixed("padding= takes only 'same' or 'valid' ('full' and variables need a look)")
    if key == "dim_ordering":
        value = keyword.value
        if not (isinstance(value, ast.Constant) and value.value in _DIM_ORDERING):
            raise NotFixed("dim_ordering is not the literal 'tf' or 'th'")
        edits.append(source.string_literal(value, _DIM_ORDERING[value.value]))
    return Fix(finding, f"{key}= → {new}=", edits)


def _period(finding: Finding, source: SourceFile, call: ast.Call, keyword: ast.keyword) -> Fix:
    value = keyword.value
    if not (isinstance(value, ast.Constant) and value.value == 1 and not isinstance(value.value, bool)):
        raise NotFixed("save_freq counts batches (or 'epoch'): period=N > 1 has no exact equivalent; write it by hand")
    if any(k.arg == "save_freq" for k in call.keywords):
        raise NotFixed("both period= and save_freq= are given: keep one by hand")
    quote = string_quote(source, call)
    return Fix(finding, "period=1 → save_freq='epoch'", [source.replace_node(keyword, f"save_freq={quote}epoch{quote}")])


def _rename_keyword(source: SourceFile, keyword: ast.keyword, new: str) -> Edit:
    start = source.start(keyword)
    assert keyword.arg is not None
    if source.text[start : start + len(keyword.arg)] != keyword.arg:
        raise NotFixed("unexpected text at the keyword")
    return Edit(source.path, start, start + len(keyword.arg), new)


def _convolution(finding: Finding, source: SourceFile, offset: int, old: str, rank: str) -> Fix:
    call = source.call_at(offset)
    if call is None:
        raise NotFixed(f"no {old}( call at this position (the file changed since it was checked?)")
    if any(isinstance(arg, ast.Starred) for arg in call.args) or len(call.args) != 3:
        raise NotFixed(f"{old}( has {len(call.args)} positional arguments; only {old}(filters, rows, cols) is rewritten")
    if any(k.arg in ("kernel_size", "nb_row", "nb_col") for k in call.keywords):
        raise NotFixed("the kernel size is also given by keyword")
    new = f"Conv{rank}D"  # rank is "2": specs.removed_api refuses Convolution1D/3D
    rows, cols = call.args[1], call.args[2]
    edits = [Edit(source.path, source.start(rows), source.start(rows), "("), Edit(source.path, source.end(cols), source.end(cols), ")")]
    swaps: list[NameSwap] = []
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == old:
        start = source.attr_name_start(func)
        edits.append(Edit(source.path, start, start + len(old), new))
    elif isinstance(func, ast.Name) and func.id == old and _imported_plainly(source, old):
        start = source.start(func)
        edits.append(Edit(source.path, start, start + len(old), new))
        swaps.append(NameSwap(source.path, old, new, start))
    # Otherwise (an alias, or a name bound some other way) the name stays: Keras 3 still exports Convolution2D.
    text = f"{old}({source.segment(call.args[0])}, {source.segment(rows)}, {source.segment(cols)})"
    return Fix(finding, f"{text} → {new}({source.segment(call.args[0])}, ({source.segment(rows)}, {source.segment(cols)}))", edits, swaps)


def _imported_plainly(source: SourceFile, name: str) -> bool:
    """``name`` comes from ``from … import name`` (no ``as``) or a star import, and nothing else binds it."""
    binders = bound_names(source.tree).get(name, [])
    if binders:
        return all(isinstance(node, ast.alias) and node.asname is None and node.name == name for node in binders)
    return any(isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names) for node in ast.walk(source.tree))


def import_swaps(source: SourceFile, swaps: list[NameSwap]) -> list[Edit]:
    """Make the file's imports follow renamed call sites: rename ``from … import old`` when no other
    use of ``old`` is left, else import ``new`` next to it."""
    edits: list[Edit] = []
    by_pair: dict[tuple[str, str], set[int]] = {}
    for swap in swaps:
        by_pair.setdefault((swap.old, swap.new), set()).add(swap.site)
    bound = bound_names(source.tree)
    for (old, new), sites in sorted(by_pair.items()):
        uses = {source.start(node) for node in ast.walk(source.tree)
                if isinstance(node, ast.Name) and node.id == old and isinstance(node.ctx, ast.Load)}
        aliases = [node for node in bound.get(old, []) if isinstance(node, ast.alias) and node.asname is None]
        if not aliases or new in bound:
            continue  # star import, or `new` already imported: nothing to add; a leftover `old` import still works
        for alias in aliases:
            start = source.start(alias)
            if uses <= sites:
                edits.append(Edit(source.path, start, start + len(old), new))
            else:
                end = source.end(alias)
                edits.append(Edit(source.path, end, end, f", {new}"))
    return edits
