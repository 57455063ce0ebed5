"""MC107, MC108: a loss that does not fit the labels the data provides."""

from __future__ import annotations

import re
from typing import Iterator

from modelcheck.checks.graph import head_of, named
from modelcheck.engine import report, rule
from modelcheck.findings import Finding
from modelcheck.ir import Location, TrainingSetup
from modelcheck.settings import Settings
from modelcheck.vocab import BINARY_LOSSES

# Class modes whose labels name exactly one class per image.
_SINGLE_LABEL_MODES = {"categorical", "sparse", "int"}
# Class modes that yield class labels at all (binary: one 0/1 label per image).
_CLASS_LABEL_MODES = _SINGLE_LABEL_MODES | {"binary"}
# Regression losses by string, class or function name, squashed to lower case without '_'.
_REGRESSION = {
    "mse": "mean_squared_error",
    "meansquarederror": "mean_squared_error",
    "mae": "mean_absolute_error",
    "meanabsoluteerror": "mean_absolute_error",
    "huber": "huber",
    "huberloss": "huber",
    "logcosh": "log_cosh",
}


def _single_label_source(setup: TrainingSetup) -> str | None:
    """How the data is provably single-label (one class per image), for the message; None if not."""
    for pipeline in setup.pipelines:
        if pipeline.role in ("train", "validation") and pipeline.class_mode in _SINGLE_LABEL_MODES:
            arg = "label_mode" if pipeline.source == "image_dataset_from_directory" else "class_mode"
            return f"{arg}={pipeline.class_mode!r}"
    for labels in setup.labels:
        if labels.encoding == "one-hot":
            return "to_categorical labels"
        if labels.encoding == "int":
            return "integer class labels"
    return None


def _class_label_source(setup: TrainingSetup) -> str | None:
    for pipeline in setup.pipelines:
        if pipeline.role in ("train", "validation") and pipeline.class_mode in _CLASS_LABEL_MODES:
            arg = "label_mode" if pipeline.source == "image_dataset_from_directory" else "class_mode"
            return f"{arg}={pipeline.class_mode!r}"
    return _single_label_source(setup)


def regression_loss(name: str | None) -> str | None:
    """Canonical name of a regression loss given by string, class or function name."""
    if not name:
        return None
    key = re.sub(r"[^a-z]", "", name.rsplit(".", 1)[-1].lower())
    return _REGRESSION.get(key)


@rule("MC107")
def single_label_data_multilabel_loss(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    compiled = setup.compile
    loss = compiled.loss if compiled else None
    if setup.model is None or loss is None or loss.name not in BINARY_LOSSES or loss.from_logits:
        return
    head = head_of(setup.model)
    if head is None or head[0] != "sigmoid" or head[1] is None or head[1] <= 1:
        return
    source = _single_label_source(setup)
    if source is None:
        return
    units = head[1]
    yield report(
        "MC107",
        f"{loss.name} on {units} sigmoid outputs, but the data is single-label ({source}). "
        f"The output is {named(head[2], setup)}; Keras then reports binary accuracy averaged over the {units} outputs: a model that predicts nothing scores "
        f"{1 - 1 / units:.2f}, and the {units} scores do not form a class distribution",
        loss.location or compiled.location or Location(setup.path),
        f"Use Dense({units}, activation='softmax') with categorical_crossentropy (one-hot labels) or "
        "sparse_categorical_crossentropy (integer labels).",
    )


@rule("MC108")
def regression_loss_on_classifier(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    compiled = setup.compile
    loss = compiled.loss if compiled else None
    canonical = regression_loss(loss.name if loss else None)
    if loss is None or canonical is None:
        return
    head = head_of(setup.model) if setup.model is not None else None
    if head is not None and head[0] == "softmax":
        what, why = "a softmax classifier", f"The output {named(head[2], setup)} gives class probabilities"
    else:
        source = _class_label_source(setup)
        if source is None:
            return
        what, why = "class labels", f"The pipeline gives class labels ({source})"
    yield report(
        "MC108",
        f"{canonical} is a regression loss, used on {what}. "
        f"{why}; a squared or absolute error on them gives tiny, flat gradients once outputs saturate, "
        "so training is slow and ends less accurate than with cross-entropy",
        loss.location or compiled.location or Location(setup.path),
        "Use categorical_crossentropy (one-hot labels), sparse_categorical_crossentropy (integer labels) or "
        "binary_crossentropy (one sigmoid unit).",
    )
