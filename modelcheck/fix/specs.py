"""The fixes rules offer, as data: which findings ``--fix`` can rewrite, and the facts it needs.

A rule calls these when it reports (so the decision is made from the IR, once)
and attaches the returned :class:`~modelcheck.findings.FixSpec` to its Finding;
a fixer reads the facts back with ``finding.fix.fact(...)`` and never parses a
message or hint. Where a rule offers no fix, the same functions say why, and the
fixer reports that reason. Only what can be decided without the file's text is
decided here; the fixer still refuses what the text shows it cannot rewrite
(a variable instead of a literal, a second positional argument).

This module is a leaf: rule modules import it without importing the fixer.
"""

from __future__ import annotations

import re

from modelcheck.findings import FixSpec
from modelcheck.ir import Layer, Location, TrainingSetup

# Fact keys: what a rule records and its fixer reads.
ACTIVATION = "activation"
MONITOR = "monitor"
MODULE = "module"
BACKBONE = "backbone"
API = "api"
REPLACEMENT = "replacement"

# --- MC402: removed APIs with an exact, one-to-one replacement ------------------------------

METHODS = {"fit_generator": "fit", "predict_generator": "predict", "evaluate_generator": "evaluate", "predict_proba": "predict"}
KEYWORDS = {
    "lr": "learning_rate",
    "nb_epoch": "epochs",
    "output_dim": "units",
    "nb_filter": "filters",
    "subsample": "strides",
    "border_mode": "padding",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "dim_ordering": "data_format",
    "input": "inputs",
    "output": "outputs",
}
REFUSED_KEYWORDS = {
    "samples_per_epoch": "the unit changes: it counted samples, steps_per_epoch counts batches — "
                         "write steps_per_epoch=math.ceil(<samples> / batch_size) by hand",
    "nb_val_samples": "the unit changes: it counted samples, validation_steps counts batches — "
                      "write validation_steps=math.ceil(<samples> / batch_size) by hand",
    "decay": "no argument replaces it: the decay becomes a learning-rate schedule "
             "(keras.optimizers.schedules.InverseTimeDecay reproduces the old behaviour)",
    "init": "Keras 1 initializer names differ ('normal', 'uniform'…): rename to kernel_initializer= and check the value by hand",
    "nb_row": "rows and columns become one kernel_size=(rows, cols) argument",
    "nb_col": "rows and columns become one kernel_size=(rows, cols) argument",
}
CONVOLUTION = re.compile(r"^(Convolution([123])D)\(")
_PREDICT_CLASSES = ("predict_classes depends on the output activation: use np.argmax(model.predict(x), axis=-1) (softmax) "
                    "or (model.predict(x) > 0.5).astype('int32') (sigmoid) by hand")


def is_source(path: str) -> bool:
    """A file the fixers edit: a script, or a notebook's code cells."""
    return path.lower().endswith((".py", ".ipynb"))


NOT_EDITABLE = "not a position in a Python script: change the code that builds it"
"""Why a finding at a position :func:`editable` refuses gets no fix."""


def editable(location: Location | None) -> bool:
    """A position ``--fix`` can edit: a line of a Python script or notebook cell (not a model file, not a config)."""
    return location is not None and location.line is not None and is_source(location.path)


def removed_api(api: str, replacement: str, location: Location | None) -> FixSpec | str:
    """The fix for a use of a removed API (MC402), or why there is none."""
    if not editable(location):
        return NOT_EDITABLE
    conv = CONVOLUTION.match(api)
    if api.endswith("(") and api[:-1] in METHODS:
        new = METHODS[api[:-1]] + "("
    elif api.endswith("=") and api[:-1] in REFUSED_KEYWORDS:
        return REFUSED_KEYWORDS[api[:-1]]
    elif api.endswith("=") and (api[:-1] in KEYWORDS or api == "period="):
        new = f"{KEYWORDS[api[:-1]]}=" if api != "period=" else "save_freq='epoch'"
    elif conv is not None and conv.group(2) == "2":
        new = replacement
    elif conv is not None:
        return f"{conv.group(1)}'s Keras 1 positional arguments differ from Conv{conv.group(2)}D's: rewrite by hand"
    elif api == "predict_classes(":
        return _PREDICT_CLASSES
    else:
        return f"no one-to-one rewrite: use {replacement} by hand" if replacement else "no one-to-one rewrite"
    return FixSpec(f"Replace `{api}` with `{new}`", ((API, api), (REPLACEMENT, replacement)))


# --- MC101: a hidden softmax ------------------------------------------------------------------


def hidden_softmax(setup: TrainingSetup, layer: Layer) -> FixSpec | str:
    """The fix for a hidden ``activation='softmax'`` (MC101), or why there is none."""
    if layer.class_name == "Softmax":
        return "a Softmax() layer: replace it with Activation('relu') (or remove it) by hand"
    if layer.name == "predictions" and layer.units == 1000:
        return "the softmax is an include_top=True backbone's ImageNet classifier: rebuild the backbone with include_top=False"
    if not editable(layer.location):
        return NOT_EDITABLE
    if setup.model is not None and any(other.is_output and same_place(other.location, layer.location) for _, other in setup.model.walk()):
        return "the same line also builds an output layer (a helper called more than once): change it by hand"
    return FixSpec("Replace `activation='softmax'` with `'relu'`", ((ACTIVATION, "relu"),))


# --- MC401: a monitored quantity the model never logs ----------------------------------------

NO_CLOSE_MONITOR = "no logged quantity is close to the monitored one (or fit() has no validation data): choose it by hand"


def monitor(old: str, new: str | None, location: Location | None) -> FixSpec | str:
    """The fix for ``monitor=`` naming a quantity that is never logged (MC401), or why there is none."""
    if new is None:
        return NO_CLOSE_MONITOR
    if not editable(location):
        return NOT_EDITABLE
    return FixSpec(f"Replace monitor '{old}' with '{new}'", ((MONITOR, new),))


# --- MC201: the backbone's own preprocess_input -----------------------------------------------

NO_PREPROCESS_MODULE = "no keras.applications preprocess_input produces the input {backbone} expects here: scale by hand"


def preprocessing(backbone: str, module: str | None, location: Location | None, in_model: bool) -> FixSpec | str:
    """The fix that feeds ``backbone`` through ``keras.applications.<module>.preprocess_input`` (MC201)."""
    if in_model:
        return "the scaling is a Rescaling layer in the model, not a rescale= argument: change it by hand"
    if module is None:
        return NO_PREPROCESS_MODULE.format(backbone=backbone)
    if not editable(location):
        return NOT_EDITABLE
    return FixSpec(f"Use `preprocessing_function=keras.applications.{module}.preprocess_input` instead of `rescale=`",
                   ((MODULE, module), (BACKBONE, backbone)))


def same_place(a: Location | None, b: Location | None) -> bool:
    """Two locations at the same character of the same file."""
    return a is not None and b is not None and (a.path, a.line, a.column) == (b.path, b.line, b.column)
