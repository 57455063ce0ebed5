"""The training-config schema (docs/training-config.md): allowed keys, value types, "did you mean".

A typo in a CI gate must not pass silently, so an unknown key is an error that
names the closest known key. Keys use Keras's own argument names.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from modelcheck.errors import InputError
from modelcheck.readers.config.text import ConfigText, KeyPath, key_text
from modelcheck.vocab import (
    AUGMENTATION_ARGS,
    AUGMENTATION_LAYERS,
    AUGMENTATION_SETTINGS,
    DATA_DEPENDENT_ARGS,
    IMAGE_LAYERS,
    LAYER_ALIASES,
    OPTIMIZERS,
)

SECTIONS = ("model", "compile", "data", "fit", "callbacks", "expect")
ROLES = ("train", "validation", "test")

# The keras.layers an `augmentation:` list may name (from modelcheck.vocab): the random ones and the
# deterministic image layers (which augment nothing: they never count as augmentation).
AUGMENT_LAYERS = tuple(sorted(AUGMENTATION_LAYERS | IMAGE_LAYERS))

# Keras 2 names removed in Keras 3 / TF >= 2.16: (replacement, the key whose value they carry).
LEGACY_FIT = {
    "nb_epoch": ("epochs=", "epochs"),
    "samples_per_epoch": ("steps_per_epoch= (a number of batches)", None),
    "nb_val_samples": ("validation_steps= (a number of batches)", None),
    "workers": ("a keras.utils.PyDataset(workers=...)", None),
    "use_multiprocessing": ("a keras.utils.PyDataset(use_multiprocessing=...)", None),
    "max_queue_size": ("a keras.utils.PyDataset(max_queue_size=...)", None),
}
LEGACY_OPTIMIZER = {
    "lr": "learning_rate=",
    # Legacy `decay` shrank the rate as lr / (1 + decay * iterations): exactly this schedule.
    "decay": "learning_rate: {class_name: InverseTimeDecay, config: {initial_learning_rate: <lr>, decay_steps: 1, decay_rate: <decay>}}",
}

HEAD_LAYERS = (*sorted(LAYER_ALIASES),
    "Dense", "Dropout", "Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
    "GlobalMaxPooling1D", "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
    "Activation", "Softmax", "ReLU", "LeakyReLU", "PReLU", "ELU", "Conv2D", "Conv1D", "SeparableConv2D",
    "DepthwiseConv2D", "MaxPooling2D", "AveragePooling2D", "Reshape", "SpatialDropout2D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Identity", "ZeroPadding2D", "Cropping2D",
    "UpSampling2D", "Permute", "EinsumDense", "MultiHeadAttention", "Attention", "Rescaling", "Normalization",
    *AUGMENT_LAYERS,
)
CALLBACKS = (
    "ModelCheckpoint", "EarlyStopping", "ReduceLROnPlateau", "TensorBoard", "CSVLogger", "LearningRateScheduler",
    "TerminateOnNaN", "BackupAndRestore", "RemoteMonitor", "LambdaCallback", "ProgbarLogger", "History",
    "SwapEMAWeights",
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fraction(value: Any) -> bool:
    """'1/255' or '1./255': YAML reads an unquoted division as a string."""
    return isinstance(value, str) and parse_fraction(value) is not None


def parse_fraction(text: str) -> float | None:
    """The value of 'a/b' with numeric a and b, or of a plain number string."""
    parts = text.replace(" ", "").split("/")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        return None
    if len(numbers) == 1:
        return numbers[0]
    if len(numbers) == 2 and numbers[1] != 0:
        return numbers[0] / numbers[1]
    return None


@dataclass(frozen=True)
class Kind:
    """A value check: a predicate and how to describe what it accepts."""

    test: Callable[[Any], bool]
    text: str


INT = Kind(_is_int, "an integer")
NUMBER = Kind(_is_number, "a number")
BOOL = Kind(lambda v: isinstance(v, bool), "true or false")
STR = Kind(lambda v: isinstance(v, str), "a string")
NULL = Kind(lambda v: v is None, "null")
ANY = Kind(lambda v: True, "anything")
MAP = Kind(lambda v: isinstance(v, dict), "a mapping")
LIST = Kind(lambda v: isinstance(v, list), "a list")
SIZE2 = Kind(lambda v: isinstance(v, list) and len(v) == 2 and all(_is_int(x) and x > 0 for x in v), "[height, width]")
SHAPE3 = Kind(lambda v: isinstance(v, list) and len(v) == 3 and all(x is None or (_is_int(x) and x > 0) for x in v), "[height, width, channels]")
FRACTION = Kind(_fraction, "a fraction like '1/255'")
STR_LIST = Kind(lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of strings")


def one_of(*choices: Any) -> Kind:
    words = ", ".join("null" if c is None else repr(c) for c in choices)
    return Kind(lambda v: v in choices and not (isinstance(v, bool) and not any(isinstance(c, bool) for c in choices)), f"one of {words}")


def either(*kinds: Kind) -> Kind:
    return Kind(lambda v: any(kind.test(v) for kind in kinds), " or ".join(kind.text for kind in kinds))


MODEL_KEYS: dict[str, Kind] = {
    "backbone": STR, "weights": either(STR, NULL), "input_shape": SHAPE3, "freeze": either(INT, STR, BOOL),
    "head": LIST, "file": STR, "backbone_training": either(BOOL, NULL),
    "include_top": Kind(lambda v: v is False, "false (put your classifier in model.head; the 1000-way ImageNet top cannot learn your classes)"),
    "pooling": one_of("avg", "max", None), "include_preprocessing": BOOL, "name": STR,
}
LOSS_KEYS: dict[str, Kind] = {
    "class_name": STR, "from_logits": BOOL, "label_smoothing": NUMBER, "axis": INT, "reduction": either(STR, NULL),
    "name": STR, "gamma": NUMBER, "alpha": NUMBER, "apply_class_balancing": BOOL, "ignore_class": either(INT, NULL),
}
OPTIMIZER_KEYS: dict[str, Kind] = {
    "class_name": STR, "learning_rate": either(NUMBER, MAP, STR), "lr": NUMBER, "decay": NUMBER, "momentum": NUMBER,
    "nesterov": BOOL, "beta_1": NUMBER, "beta_2": NUMBER, "epsilon": NUMBER, "amsgrad": BOOL, "weight_decay": either(NUMBER, NULL),
    "clipnorm": either(NUMBER, NULL), "clipvalue": either(NUMBER, NULL), "global_clipnorm": either(NUMBER, NULL), "rho": NUMBER,
    "centered": BOOL, "use_ema": BOOL, "ema_momentum": NUMBER, "ema_overwrite_frequency": either(INT, NULL),
    "initial_accumulator_value": NUMBER, "learning_rate_power": NUMBER, "l1_regularization_strength": NUMBER,
    "l2_regularization_strength": NUMBER, "beta_2_decay": NUMBER, "epsilon_1": NUMBER, "epsilon_2": NUMBER,
    "loss_scale_factor": either(NUMBER, NULL), "gradient_accumulation_steps": either(INT, NULL), "name": STR,
}
COMPILE_KEYS: dict[str, Kind] = {
    "loss": either(STR, MAP), "optimizer": either(STR, MAP), "metrics": either(LIST, STR), "loss_weights": ANY,
    "weighted_metrics": either(LIST, NULL), "run_eagerly": BOOL, "jit_compile": either(BOOL, STR), "steps_per_execution": INT,
}
PIPELINE_KEYS: dict[str, Kind] = {
    "directory": STR, "class_mode": one_of("categorical", "binary", "sparse", "input", "raw", "multi_output", None),
    "label_mode": one_of("categorical", "binary", "int", None), "target_size": SIZE2, "image_size": SIZE2,
    "color_mode": one_of("grayscale", "rgb", "rgba"), "rescale": either(NUMBER, FRACTION, NULL),
    "preprocessing": either(STR, NULL), "preprocessing_function": either(STR, NULL), "augmentation": either(MAP, LIST, NULL),
    "batch_size": INT, "classes": STR_LIST, "shuffle": BOOL, "seed": INT, "interpolation": STR,
    "subset": one_of("training", "validation", "both", None), "validation_split": NUMBER, "follow_links": BOOL,
    "crop_to_aspect_ratio": BOOL, "pad_to_aspect_ratio": BOOL, "data_format": STR, "dtype": STR,
    **{name: BOOL for name in DATA_DEPENDENT_ARGS},
}
AUGMENT_KEYS: dict[str, Kind] = {
    **{name: either(NUMBER, LIST, NULL) for name in AUGMENTATION_ARGS if name not in ("horizontal_flip", "vertical_flip")},
    "horizontal_flip": BOOL, "vertical_flip": BOOL, "fill_mode": STR, "cval": NUMBER, "interpolation_order": INT,
    **{name: either(MAP, BOOL, NUMBER, LIST, STR, NULL) for name in AUGMENT_LAYERS},
}
FIT_KEYS: dict[str, Kind] = {
    "epochs": INT, "batch_size": either(INT, NULL), "steps_per_epoch": either(INT, NULL), "validation_steps": either(INT, NULL),
    "validation_split": NUMBER, "validation_freq": either(INT, LIST), "shuffle": either(BOOL, STR), "initial_epoch": INT,
    "class_weight": either(MAP, NULL), "verbose": either(INT, STR), "nb_epoch": INT, "samples_per_epoch": INT,
    "nb_val_samples": INT, "workers": INT, "use_multiprocessing": BOOL, "max_queue_size": INT,
}
EXPECT_KEYS: dict[str, Kind] = {
    "num_classes": Kind(lambda v: _is_int(v) and v >= 1, "a positive integer"),
    "frozen_layers": Kind(lambda v: _is_int(v) and v >= 0, "a non-negative integer"),
    "trainable_from": STR,
}
LAYER_ARG_KEYS: dict[str, Kind] = {
    "units": INT, "filters": INT, "activation": either(STR, NULL), "rate": NUMBER, "trainable": BOOL, "name": STR,
}
CALLBACK_ARG_KEYS: dict[str, Kind] = {"monitor": STR, "mode": STR, "patience": INT, "filepath": STR}


def looks_like_config(data: Any) -> bool:
    """Whether a parsed YAML/TOML/JSON document is a training config at all.

    A section counts only with content of its own kind, so that other tools' files with a
    `data:` or `model:` key (Kubernetes ConfigMaps, Hydra configs) are not mistaken for one.
    """
    if not isinstance(data, dict):
        return False
    signs = {
        "model": ("backbone", "file", "head", "freeze", "input_shape"),
        "compile": ("loss", "optimizer", "metrics"),
        "data": ROLES,
        "fit": tuple(FIT_KEYS),
        "expect": tuple(EXPECT_KEYS),
    }
    for section, keys in signs.items():
        value = data.get(section)
        if (
            isinstance(value, dict)
            and any(key in value for key in keys)
            and (section != "data" or any(isinstance(value.get(role), dict) for role in ROLES))
        ):
            return True
    callbacks = data.get("callbacks")
    return isinstance(callbacks, list) and any(isinstance(item, (dict, str)) for item in callbacks) and any(
        section in data for section in ("model", "compile", "fit")
    )


def suggest(name: str, known: Any) -> str:
    """' (did you mean 'x'?)' for the closest known name, or ''."""
    match = closest(name, [str(k) for k in known], cutoff=0.6)
    return f" (did you mean '{match}'?)" if match else ""


def closest(name: str, known: list[str], cutoff: float) -> str | None:
    """The known name nearest to ``name``: fewest edits (a swap counts as one), then difflib's ratio."""
    scored = []
    for candidate in known:
        edits = _edits(name.lower(), candidate.lower())
        ratio = difflib.SequenceMatcher(None, name.lower(), candidate.lower()).ratio()
        if edits <= max(1, min(len(name), len(candidate)) // 3) or ratio >= cutoff:
            scored.append((edits, -ratio, candidate))
    return min(scored)[2] if scored else None


def _edits(a: str, b: str) -> int:
    """Optimal-string-alignment distance (Levenshtein plus adjacent swaps)."""
    if abs(len(a) - len(b)) > 8:
        return 99
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


class Validator:
    """Checks a parsed config against the schema; raises InputError at the offending key."""

    def __init__(self, doc: ConfigText):
        self.doc = doc

    def fail(self, keys: KeyPath, message: str) -> InputError:
        position = self.doc.position(keys)
        return InputError(message, line=position[0] if position else None, column=position[1] if position else None, key=key_text(keys) or None)

    def mapping(self, keys: KeyPath, value: Any, spec: Mapping[str, Kind], hints: Mapping[str, str] | None = None) -> dict:
        if not isinstance(value, dict):
            raise self.fail(keys, f"{key_text(keys)} must be a mapping, not {_type_word(value)}")
        for name, item in value.items():
            kind = spec.get(name)
            if kind is None:
                hint = (hints or {}).get(name) or suggest(name, spec)
                where = f" in {key_text(keys)}" if keys else " at the top level"
                raise self.fail(keys + (name,), f"unknown key '{name}'{where}{hint}")
            self.value(keys + (name,), item, kind)
        return value

    def value(self, keys: KeyPath, value: Any, kind: Kind) -> None:
        if not kind.test(value):
            raise self.fail(keys, f"{key_text(keys)} must be {kind.text}, not {_describe(value)}")

    def named(self, keys: KeyPath, item: Any, known: tuple[str, ...], what: str, args: Mapping[str, Kind]) -> tuple[str, dict]:
        """A `ClassName` string or `{ClassName: {kwargs}}` entry (layers, callbacks)."""
        kwargs: Any
        if isinstance(item, str):
            name, kwargs = item, {}
        elif isinstance(item, dict) and len(item) == 1:
            name, kwargs = next(iter(item.items()))
            kwargs = {} if kwargs is None else kwargs
            if not isinstance(kwargs, dict):
                raise self.fail(keys + (name,), f"{key_text(keys + (name,))} must map argument names to values, not {_describe(kwargs)}")
        else:
            raise self.fail(keys, f"{key_text(keys)} must be a {what} name or {{ClassName: {{arguments}}}} with one key, not {_describe(item)}")
        self.class_name(keys + (name,) if isinstance(item, dict) else keys, name, known, what)
        for arg, value in kwargs.items():
            if arg in args:
                self.value(keys + (name, arg), value, args[arg])
        return name, kwargs

    def class_name(self, keys: KeyPath, name: str, known: tuple[str, ...], what: str) -> None:
        """Known names pass; a near miss of one is a typo; anything else is a custom class."""
        if name in known or "." in name:
            return
        edits, nearest = min(((_edits(name.lower(), k.lower()), k) for k in known), default=(99, ""))
        if edits <= (1 if len(name) < 10 else 2):
            raise self.fail(keys, f"unknown {what} '{name}' (did you mean '{nearest}'?)")


def validate(doc: ConfigText) -> None:
    """Raise InputError (MC001) at the first key that breaks the schema."""
    check = Validator(doc)
    # `x-…` / `.…` top-level keys hold YAML anchors for reuse (docker-compose's convention).
    anchors = {name: ANY for name in doc.data if isinstance(name, str) and name.startswith(("x-", "."))}
    data = check.mapping((), doc.data, {**{name: ANY for name in SECTIONS}, **anchors})
    if "model" in data:
        _model(check, data["model"])
    if "compile" in data:
        _compile(check, data["compile"])
    if "data" in data:
        roles = check.mapping(("data",), data["data"], {role: MAP for role in ROLES}, {"val": " (did you mean 'validation'?)", "valid": " (did you mean 'validation'?)"})
        for role, pipeline in roles.items():
            _pipeline(check, ("data", role), pipeline)
    if "fit" in data:
        check.mapping(("fit",), data["fit"], FIT_KEYS)
    if "callbacks" in data:
        check.value(("callbacks",), data["callbacks"], LIST)
        for index, item in enumerate(data["callbacks"]):
            check.named(("callbacks", index), item, CALLBACKS, "callback", CALLBACK_ARG_KEYS)
    if "expect" in data:
        check.mapping(("expect",), data["expect"], EXPECT_KEYS)


def _model(check: Validator, model: Any) -> None:
    check.mapping(("model",), model, MODEL_KEYS, {"training": " (did you mean 'backbone_training'?)", "trainable": " (use 'freeze')"})
    if "file" in model:
        clash = [key for key in model if key not in ("file", "weights", "name")]
        if clash:
            raise check.fail(("model", clash[0]), f"model.{clash[0]} cannot be combined with model.file: the model file defines the model (only 'weights' may be declared with it)")
    for index, item in enumerate(model.get("head") or ()):
        check.named(("model", "head", index), item, HEAD_LAYERS, "layer", LAYER_ARG_KEYS)


def _compile(check: Validator, section: Any) -> None:
    check.mapping(("compile",), section, COMPILE_KEYS)
    for key, known, args, what in (("loss", (), LOSS_KEYS, "loss"), ("optimizer", OPTIMIZERS, OPTIMIZER_KEYS, "optimizer")):
        value = section.get(key)
        if isinstance(value, dict) and "class_name" in value:
            check.mapping(("compile", key), value, args)
            if known:
                check.class_name(("compile", key, "class_name"), value["class_name"], known + tuple(k.lower() for k in known), what)
        elif isinstance(value, dict):
            name, kwargs = check.named(("compile", key), value, known, what, {})
            check.mapping(("compile", key, name), kwargs, {k: v for k, v in args.items() if k != "class_name"})
        elif isinstance(value, str) and known:
            check.class_name(("compile", key), value, known + tuple(k.lower() for k in known), what)
    metrics = section.get("metrics")
    for index, item in enumerate(metrics if isinstance(metrics, list) else ()):
        if not isinstance(item, (str, dict)):
            raise check.fail(("compile", "metrics", index), f"compile.metrics[{index}] must be a metric name or mapping, not {_describe(item)}")


def _pipeline(check: Validator, keys: KeyPath, pipeline: Any) -> None:
    hints = {name: f" (augmentation goes under `augmentation:` — did you mean '{key_text(keys)}.augmentation.{name}'?)" for name in (*AUGMENTATION_ARGS, *AUGMENTATION_SETTINGS)}
    hints["image_size"] = ""
    check.mapping(keys, pipeline, PIPELINE_KEYS, hints)
    augmentation = pipeline.get("augmentation")
    if isinstance(augmentation, dict):
        check.mapping(keys + ("augmentation",), augmentation, AUGMENT_KEYS)
    elif isinstance(augmentation, list):
        for index, item in enumerate(augmentation):
            name, _ = check.named(keys + ("augmentation", index), item, AUGMENT_LAYERS + AUGMENTATION_ARGS, "augmentation", {})
            if name not in AUGMENT_LAYERS and name not in AUGMENTATION_ARGS and "." not in name:
                raise check.fail(keys + ("augmentation", index), f"unknown augmentation '{name}'{suggest(name, AUGMENT_LAYERS + AUGMENTATION_ARGS)}")


def _type_word(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        return _type_word(value)
    text = repr(value)
    return f"{_type_word(value)} ({text if len(text) <= 40 else text[:37] + '...'})"
