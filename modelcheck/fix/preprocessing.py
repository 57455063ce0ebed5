"""MC201: ``rescale=1./255`` becomes the backbone's own ``preprocess_input``.

``ImageDataGenerator(rescale=1./255, …)`` → ``ImageDataGenerator(preprocessing_function=preprocess_input, …)``
with ``from keras.applications.vgg16 import preprocess_input`` added at the end
of the file's import block (spelled ``tensorflow.keras`` / ``tf_keras`` when
the file imports Keras that way). Every other pipeline of the setup that
scales the same way (validation, test, prediction) is changed with it, so
that training and evaluation keep seeing the same inputs (MC303); when one of
them scales by other means (arithmetic, a ``Rescaling`` layer) nothing is changed.
"""

from __future__ import annotations

import ast
import re

from modelcheck.checks.scaling import scaling_mode
from modelcheck.findings import Finding
from modelcheck.fix import specs
from modelcheck.fix.base import Fix, FixContext, NotFixed, fact, offered, same_place
from modelcheck.fix.source import Edit, SourceFile, bound_names
from modelcheck.ir import Location, TrainingSetup

_PREFIXES = (("tensorflow.python.keras", "tensorflow.keras"), ("tensorflow.keras", "tensorflow.keras"), ("tf_keras", "tf_keras"), ("keras", "keras"))


def fix_preprocessing(finding: Finding, ctx: FixContext) -> Fix:
    """``rescale=`` → ``preprocessing_function=<the module the rule's fix names>.preprocess_input``."""
    setup = ctx.setup_for(finding.location)
    sites = _rescale_sites(finding, setup, ctx)
    module = fact(offered(finding, specs.NO_PREPROCESS_MODULE.format(backbone="the backbone")), specs.MODULE)
    edits: list[Edit] = []
    names: dict[str, str] = {}
    for source, keyword in sites:
        if source.path not in names:
            name, import_edits = _import(source, module, before_line=keyword.lineno)
            names[source.path] = name
            edits.extend(import_edits)
        edits.append(source.replace_node(keyword, f"preprocessing_function={names[source.path]}"))
    first_source, first_keyword = sites[0]
    description = f"{first_source.segment(first_keyword)} → preprocessing_function={names[first_source.path]} ({module})"
    if len(sites) > 1:
        others = ", ".join(source.place(keyword.lineno) for source, keyword in sites[1:])
        description += f", also at {others}"
    return Fix(finding, description, edits)


def _rescale_sites(finding: Finding, setup: TrainingSetup, ctx: FixContext) -> list[tuple[SourceFile, ast.keyword]]:
    """The finding's ``rescale=`` and every other pipeline's ``rescale=`` that scales the same way."""
    first = _rescale_keyword(ctx, finding.location, "the training pipeline")
    if first is None:
        raise NotFixed("the scaling is not a rescale= argument here (arithmetic or a Rescaling layer): change it by hand")
    sites = [first]
    scaled = [p for p in setup.pipelines if p.scaling is not None and same_place(p.scaling.location, finding.location)]
    if not scaled:
        return sites
    mode = scaling_mode(scaled[0].scaling)
    seen = {(finding.location.path, finding.location.line, finding.location.column)}
    for pipeline in setup.pipelines:
        scaling = pipeline.scaling
        if scaling is None or scaling_mode(scaling) != mode:
            continue
        where = scaling.location
        key = (where.path, where.line, where.column) if where is not None else None
        if key in seen:
            continue
        label = f"the {pipeline.role} pipeline" + (f" '{pipeline.name}'" if pipeline.name else "")
        site = _rescale_keyword(ctx, where, label) if where is not None else None
        if site is None:
            place = f" ({where.describe()})" if where is not None else ""
            raise NotFixed(f"{label}{place} scales the same way without a rescale= argument; changing training alone "
                           "would make them differ (MC303): change both by hand")
        seen.add(key)
        sites.append(site)
    return sites


def _rescale_keyword(ctx: FixContext, where: Location, label: str) -> tuple[SourceFile, ast.keyword] | None:
    if not specs.editable(where):
        return None
    source = ctx.source(where.path)
    keyword = source.keyword_at(source.finding_offset(where.line, where.column), "rescale")
    if keyword is None:
        return None
    call = source.parent(keyword)
    if isinstance(call, ast.Call) and any(k.arg == "preprocessing_function" for k in call.keywords):
        raise NotFixed(f"{label} already sets preprocessing_function= next to rescale=: combine them by hand")
    return source, keyword


def keras_prefix(source: SourceFile) -> str:
    """How the file spells Keras in imports: 'keras', 'tensorflow.keras' or 'tf_keras'."""
    candidates: list[tuple[int, int, str]] = []
    uses_tf_keras = re.search(r"\b(?:tf|tensorflow)\.keras\b", source.text) is not None
    for node in ast.walk(source.tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [alias.name for alias in node.names]
            prefix = "tensorflow.keras" if node.module == "tensorflow" and "keras" in names else _prefix_of(node.module)
            weight = 2 if "applications" in node.module or "ImageDataGenerator" in names or "preprocessing" in node.module else 1
        elif isinstance(node, ast.Import):
            prefix = next((p for p in (_prefix_of(alias.name) for alias in node.names) if p), None)
            if prefix is None and uses_tf_keras and any(alias.name == "tensorflow" for alias in node.names):
                prefix = "tensorflow.keras"
            weight = 1
        else:
            continue
        if prefix is not None:
            candidates.append((-weight, node.lineno, prefix))
    return min(candidates)[2] if candidates else "keras"


def _prefix_of(module: str) -> str | None:
    for start, prefix in _PREFIXES:
        if module == start or module.startswith(start + "."):
            return prefix
    return None


def _import(source: SourceFile, module: str, before_line: int) -> tuple[str, list[Edit]]:
    """The name to call preprocess_input by in this file, and the import to add (none if it is there)."""
    bound = bound_names(source.tree)
    for node in ast.walk(source.tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.endswith(f"applications.{module}"):
            for alias in node.names:
                name = alias.asname or alias.name
                if alias.name == "preprocess_input" and len(bound.get(name, [])) == 1:
                    return name, []
    prefix = keras_prefix(source)
    for name in ("preprocess_input", f"{module}_preprocess_input"):
        if name not in bound:
            statement = f"from {prefix}.applications.{module} import preprocess_input"
            if name != "preprocess_input":
                statement += f" as {name}"
            return name, [import_insertion(source, statement, before_line)]
    raise NotFixed(f"the names preprocess_input and {module}_preprocess_input are both taken in this file")


def import_insertion(source: SourceFile, statement: str, before_line: int) -> Edit:
    """An edit adding ``statement`` on its own line after the file's leading import block."""
    body = source.tree.body
    start = 1 if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str) else 0
    last: ast.stmt | None = None
    for stmt in body[start:]:
        if not _is_import_block(stmt):
            break
        last = stmt
    if last is None:
        earlier = [s for s in body if isinstance(s, (ast.Import, ast.ImportFrom)) and (s.end_lineno or 0) < before_line]
        last = earlier[-1] if earlier else (body[0] if start else None)
    if last is None:
        line = 1
        while line <= len(source.lines) and source.lines[line - 1].startswith("#"):  # shebang, coding, header comments
            line += 1
    else:
        line = (last.end_lineno or last.lineno) + 1
    newline = source.newline(line - 1 if line > 1 else 1)
    if line > len(source.lines):
        end = len(source.text)
        lead = "" if source.text.endswith(("\n", "\r")) else newline
        return Edit(source.path, end, end, f"{lead}{statement}{newline if not lead else ''}")
    offset = source.line_starts[line - 1]
    return Edit(source.path, offset, offset, statement + newline)


def _is_import_block(stmt: ast.stmt) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(stmt, (ast.Try, ast.If)):  # try: import x / except ImportError: …, if TYPE_CHECKING: …
        return bool(stmt.body) and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in stmt.body)
    return False
