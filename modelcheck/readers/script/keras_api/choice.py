"""A name bound to different models on different paths (``model = load_model(f) if
os.path.exists(f) else build()``, ``if args.arch == 'vgg': … else: …``).

Which model runs is unknown, so none of them is picked: compile/fit/save calls made on
the name are recorded on every alternative, and each alternative becomes a setup of its
own. Anything else read from the name (its layers, its output) stays unknown.
"""

from __future__ import annotations

import ast
from typing import Any

from modelcheck.readers.script.core.interpreter import UNKNOWN, Arg, Interpreter, Obj

# Calls that record facts about the model they are made on, whichever model that is.
_RECORDED = {"compile", "fit", "fit_generator", "train_on_batch", "save", "save_weights", "load_weights",
             "predict", "predict_generator", "evaluate", "evaluate_generator", "summary"}
MAX_ALTERNATIVES = 8


class ModelChoice(Obj):
    """One of several models, depending on a condition the reader cannot decide."""

    merge_kind = "model"

    def __init__(self, alternatives: list[Any]):
        self.alternatives = alternatives

    def merge(self, others: list[Any]) -> Any:
        return choice_of([self] + others)

    def call_method(self, it: Interpreter, name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        if name in _RECORDED:
            for model in self.alternatives:
                model.call_method(it, name, args, kwargs, node)
        return UNKNOWN


def choice_of(values: list[Any]) -> Any:
    """The alternatives of ``values`` (models or choices of models), UNKNOWN when too many."""
    found: dict[int, Any] = {}
    for value in values:
        for model in value.alternatives if isinstance(value, ModelChoice) else [value]:
            found.setdefault(id(model), model)
    if len(found) > MAX_ALTERNATIVES:
        return UNKNOWN
    return ModelChoice(list(found.values()))
