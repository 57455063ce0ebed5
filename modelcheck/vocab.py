"""The Keras vocabulary every reader and rule shares: layer, activation, loss, optimizer and metric names.

Two parts, kept apart:

- **Generated** from the installed Keras into ``rules/vocab.json`` by
  ``python -m modelcheck.knowledge.build_vocab`` (a drift test regenerates and
  compares): augmentation layers, layer-class aliases, the names
  ``keras.losses/activations/optimizers/metrics.get`` accept, optimizers' default
  learning rates, metric classes' logged names, ImageDataGenerator's arguments.
  Keras 2 (tf-keras) entries are recorded where they differ or add names.
- **Hand-written** below: what the names mean to the rules (which losses expect
  probabilities, which layers pass values through), and names older Keras versions
  had that neither installed Keras knows.

Loading reads one JSON file; nothing here imports Keras or TensorFlow.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_FILE = "vocab.json"


def vocab_path() -> Path:
    """Where ``vocab.json`` lives: inside the wheel, else the repository's ``rules/``."""
    here = Path(__file__).resolve()
    for candidate in (here.parent / "_rules" / _FILE, here.parents[1] / "rules" / _FILE):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{_FILE} not found next to {here.parent}")


def _load() -> dict[str, Any]:
    with vocab_path().open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_GENERATED = _load()
_K3: dict[str, Any] = _GENERATED["keras3"]
_K2: dict[str, Any] = _GENERATED.get("keras2", {})

# --- generated (rules/vocab.json) ---------------------------------------------------------------

_AUGMENTATION = {**_K2.get("augmentation_layers", {}), **_K3["augmentation_layers"]}
AUGMENTATION_LAYERS: frozenset[str] = frozenset(_AUGMENTATION)
"""keras.layers that augment: random at training time, the identity at inference (Keras 3 and 2)."""
SHAPE_KEEPING_AUGMENTATION: frozenset[str] = frozenset(k for k, v in _AUGMENTATION.items() if v.get("keeps_shape") is True)
"""Augmentation layers whose output has their input's shape (not RandomCrop, RandomHeight, RandomWidth)."""
IMAGE_LAYERS: frozenset[str] = frozenset(_K3["image_layers"])
"""Deterministic image preprocessing layers (Resizing, CenterCrop, AutoContrast…)."""
LAYER_ALIASES: dict[str, str] = {**_K2.get("layer_aliases", {}), **_K3["layer_aliases"]}
"""A keras.layers name exported for a class under another name → the class (``Convolution2D`` → ``Conv2D``)."""
IMAGE_DATA_GENERATOR_ARGS: tuple[str, ...] = tuple(_K2.get("image_data_generator_args", ()))

ACTIVATION_ALIASES: dict[str, str] = dict(_K3["activations"])
"""Every name ``keras.activations.get`` accepts → the function's own name (``swish`` → ``silu``)."""

LOSS_CLASSES: dict[str, str] = {name: fn for name, fn in _K3["loss_classes"].items() if fn}
"""keras.losses class → the loss function it computes (``CategoricalCrossentropy`` → ``categorical_crossentropy``)."""
_LOSS_NAMES: dict[str, str] = {**_K2.get("losses", {}), **_K3["losses"]}
LOSS_ALIASES: dict[str, str] = {
    **{key.lower(): value for key, value in _LOSS_NAMES.items()},
    **{name.lower(): fn for name, fn in LOSS_CLASSES.items()},
    **{_snake(name): fn for name, fn in LOSS_CLASSES.items()},
}
"""Lower-cased loss name (Keras 3 or 2), class name or snake-cased class name → canonical loss function name."""

OPTIMIZER_DEFAULT_LR: dict[str, float] = {name: lr for name, lr in _K3["optimizers"].items() if lr is not None}
"""Keras 3 defaults for an optimizer given by name only (e.g. optimizer='adam')."""
KERAS2_OPTIMIZER_DEFAULT_LR: dict[str, float] = {
    **OPTIMIZER_DEFAULT_LR, **{name: lr for name, lr in _K2.get("optimizers", {}).items() if lr is not None}
}
"""The same in Keras 2 / tf-keras, where it differs (Lion: 1e-4)."""
OPTIMIZERS: tuple[str, ...] = tuple(sorted({*_K3["optimizers"], *_K2.get("optimizers", {})}))

METRIC_NAMES: frozenset[str] = frozenset(_K3["metrics"])
"""Every string ``keras.metrics.get`` accepts (compile() logs a string metric under that very string)."""
METRIC_LOGGED_NAMES: dict[str, str] = dict(_K3["metric_classes"])
"""keras.metrics class → the name it logs under when built without ``name=`` (``AUC`` → ``auc``)."""

# --- hand-written: what the names mean to the rules, and names no installed Keras has -------------

# Losses that expect probabilities unless from_logits=True.
PROBABILISTIC_LOSSES = {
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
}
CATEGORICAL_LOSSES = {"categorical_crossentropy", "categorical_focal_crossentropy"}
BINARY_LOSSES = {"binary_crossentropy", "binary_focal_crossentropy"}

# Layers that apply a fixed activation by their class.
ACTIVATION_LAYERS = {
    "Softmax": "softmax",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "PReLU": "prelu",
    "ELU": "elu",
    "ThresholdedReLU": "relu",
}

# Layers whose output is a linear map of their input (the ones MC104 collapses).
LINEAR_MAP_LAYERS = {"Dense", "Conv1D", "Conv2D", "Conv3D", "Convolution2D", "SeparableConv2D", "DepthwiseConv2D"}

# Layers that pass values through unchanged in inference (shape changes only).
PASS_THROUGH_LAYERS = {
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "Flatten",
    "Reshape",
    "ActivityRegularization",
    "InputLayer",
}

ADAPTIVE_OPTIMIZERS = {"Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion", "Lamb", "Adafactor", "Ftrl"}
# Keras 2 spelled the mixed-precision wrapper in snake case in configs.
OPTIMIZER_CLASSES: dict[str, str] = {name.lower(): name for name in OPTIMIZERS} | {"loss_scale_optimizer": "LossScaleOptimizer"}
# Class names (``LeakyReLU``) compared without underscores: ``leakyrelu`` → ``leaky_relu``.
_COMPACT_ACTIVATIONS = {name.replace("_", ""): canonical for name, canonical in ACTIVATION_ALIASES.items()}


def canonical_loss(name: str | None) -> tuple[str | None, bool]:
    """(canonical name, is_custom) for a loss given by string or class name."""
    if not name:
        return None, False
    key = name.strip().lower().replace("-", "_")
    if key in LOSS_ALIASES:
        return LOSS_ALIASES[key], False
    snake = _snake(name.strip())
    if snake in LOSS_ALIASES:
        return LOSS_ALIASES[snake], False
    return name, True


def canonical_activation(value: object) -> str | None:
    """Canonical activation name from a config value (string or serialized object)."""
    if value is None:
        return "linear"
    if isinstance(value, dict):
        value = value.get("config") if value.get("class_name") == "function" else value.get("class_name")
        if isinstance(value, dict):
            value = value.get("name")
    if not isinstance(value, str):
        return None
    key = value.strip().lower()
    return ACTIVATION_ALIASES.get(key, _COMPACT_ACTIVATIONS.get(key.replace("_", ""), key))


def canonical_optimizer(name: str | None) -> str | None:
    """The optimizer class a string or dotted name stands for ('adam' → 'Adam')."""
    if not name:
        return None
    short = name.split(">")[-1].split(".")[-1]
    return OPTIMIZER_CLASSES.get(short.lower(), short)


def canonical_metric(name: object) -> str | None:
    """The name Keras logs a metric under (it keeps 'acc' as 'acc')."""
    if isinstance(name, str):
        return name
    if isinstance(name, dict):
        config = name.get("config")
        if isinstance(config, dict) and isinstance(config.get("name"), str):
            return config["name"]
        if isinstance(config, str):
            return config
        class_name = name.get("class_name")
        return metric_logged_name(class_name) if isinstance(class_name, str) else None
    return None


def metric_logged_name(class_name: str) -> str:
    """The name a keras.metrics class built without ``name=`` logs under (``LogCoshError`` → ``logcosh``)."""
    return METRIC_LOGGED_NAMES.get(class_name, _snake(class_name))


# ImageDataGenerator arguments (and attributes) that make every batch random.
AUGMENTATION_ARGS = (
    "rotation_range",
    "width_shift_range",
    "height_shift_range",
    "shear_range",
    "zoom_range",
    "horizontal_flip",
    "vertical_flip",
    "brightness_range",
    "channel_shift_range",
)
# ImageDataGenerator arguments that only configure the random transforms.
AUGMENTATION_SETTINGS = ("fill_mode", "cval", "interpolation_order")
# ImageDataGenerator standardisation that depends on the data: the scaling is unknown statically.
DATA_DEPENDENT_ARGS = (
    "featurewise_center",
    "samplewise_center",
    "featurewise_std_normalization",
    "samplewise_std_normalization",
    "zca_whitening",
)
