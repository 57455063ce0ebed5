"""Keras vocabulary shared by every reader: canonical names of losses, activations, optimizers."""

from __future__ import annotations

import re

LOSS_ALIASES = {
    "categorical_crossentropy": "categorical_crossentropy",
    "categoricalcrossentropy": "categorical_crossentropy",
    "cce": "categorical_crossentropy",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
    "binary_crossentropy": "binary_crossentropy",
    "binarycrossentropy": "binary_crossentropy",
    "bce": "binary_crossentropy",
    "binary_focal_crossentropy": "binary_focal_crossentropy",
    "binaryfocalcrossentropy": "binary_focal_crossentropy",
    "categorical_focal_crossentropy": "categorical_focal_crossentropy",
    "categoricalfocalcrossentropy": "categorical_focal_crossentropy",
    "mean_squared_error": "mean_squared_error",
    "meansquarederror": "mean_squared_error",
    "mse": "mean_squared_error",
    "mean_absolute_error": "mean_absolute_error",
    "meanabsoluteerror": "mean_absolute_error",
    "mae": "mean_absolute_error",
    "hinge": "hinge",
    "categorical_hinge": "categorical_hinge",
    "kl_divergence": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
}

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

ACTIVATION_ALIASES = {
    "softmax": "softmax",
    "sigmoid": "sigmoid",
    "relu": "relu",
    "relu6": "relu6",
    "linear": "linear",
    "tanh": "tanh",
    "elu": "elu",
    "selu": "selu",
    "gelu": "gelu",
    "swish": "silu",
    "silu": "silu",
    "softplus": "softplus",
    "softsign": "softsign",
    "leaky_relu": "leaky_relu",
    "leakyrelu": "leaky_relu",
    "hard_sigmoid": "hard_sigmoid",
    "hard_swish": "hard_silu",
    "hard_silu": "hard_silu",
    "exponential": "exponential",
    "log_softmax": "log_softmax",
    "mish": "mish",
}

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

OPTIMIZER_CLASSES = {
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "nadam": "Nadam",
    "ftrl": "Ftrl",
    "lion": "Lion",
    "adafactor": "Adafactor",
    "lamb": "Lamb",
    "loss_scale_optimizer": "LossScaleOptimizer",
}
# Keras defaults for an optimizer given by name only (e.g. optimizer='adam').
OPTIMIZER_DEFAULT_LR = {
    "Adam": 0.001,
    "AdamW": 0.001,
    "SGD": 0.01,
    "RMSprop": 0.001,
    "Adagrad": 0.001,
    "Adadelta": 0.001,
    "Adamax": 0.001,
    "Nadam": 0.001,
    "Ftrl": 0.001,
    "Lion": 0.001,
    "Lamb": 0.001,
}
ADAPTIVE_OPTIMIZERS = {"Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion", "Lamb", "Adafactor", "Ftrl"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


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
    return ACTIVATION_ALIASES.get(key, ACTIVATION_ALIASES.get(key.replace("_", ""), key))


def canonical_optimizer(name: str | None) -> str | None:
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
        return _snake(class_name) if isinstance(class_name, str) else None
    return None


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
# ImageDataGenerator standardisation that depends on the data: the scaling is unknown statically.
DATA_DEPENDENT_ARGS = (
    "featurewise_center",
    "samplewise_center",
    "featurewise_std_normalization",
    "samplewise_std_normalization",
    "zca_whitening",
)
