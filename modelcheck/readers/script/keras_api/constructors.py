"""Layer constructor calls in a script: ``Dense(256, activation='relu')`` → a :class:`LayerObj`.

Positional parameters are mapped to Keras 3 names; Keras 1 keywords and the
Keras 1 ``Convolution2D(filters, rows, cols)`` form are recorded as removed API
uses (MC402) and read for what they meant.
"""

from __future__ import annotations

import ast
from typing import Any

from modelcheck.readers.script.core.interpreter import (
    MISSING,
    UNKNOWN,
    Arg,
    Interpreter,
    ModuleRef,
    UserFunction,
    as_int,
    as_shape,
    as_str,
    plain,
)
from modelcheck.readers.script.keras_api.layers import LayerObj
from modelcheck.vocab import ACTIVATION_LAYERS, canonical_activation

# Positional parameters of common layer constructors (Keras 3 order).
_CONV = ["filters", "kernel_size", "strides", "padding"]
_POOL = ["pool_size", "strides", "padding"]
POSITIONAL: dict[str, list[str]] = {
    "Dense": ["units", "activation"],
    "Conv1D": _CONV, "Conv2D": _CONV, "Conv3D": _CONV, "SeparableConv2D": _CONV, "Conv2DTranspose": _CONV,
    "DepthwiseConv2D": ["kernel_size", "strides", "padding"],
    "MaxPooling1D": _POOL, "MaxPooling2D": _POOL, "MaxPooling3D": _POOL,
    "AveragePooling1D": _POOL, "AveragePooling2D": _POOL, "AveragePooling3D": _POOL,
    "Dropout": ["rate"], "SpatialDropout2D": ["rate"], "GaussianDropout": ["rate"], "GaussianNoise": ["stddev"],
    "Activation": ["activation"], "LeakyReLU": ["negative_slope"], "Softmax": ["axis"], "ReLU": ["max_value"],
    "ZeroPadding2D": ["padding"], "Cropping2D": ["cropping"], "UpSampling2D": ["size"],
    "Flatten": ["data_format"], "Reshape": ["target_shape"],
    "BatchNormalization": ["axis", "momentum", "epsilon"],
    "Rescaling": ["scale", "offset"], "Resizing": ["height", "width"], "CenterCrop": ["height", "width"],
    "RandomFlip": ["mode"], "RandomRotation": ["factor"], "RandomZoom": ["height_factor", "width_factor"],
    "RandomTranslation": ["height_factor", "width_factor"], "RandomContrast": ["factor"], "RandomBrightness": ["factor"],
    "Lambda": ["function"], "Concatenate": ["axis"], "Embedding": ["input_dim", "output_dim"],
    "LSTM": ["units"], "GRU": ["units"], "SimpleRNN": ["units"], "InputLayer": ["shape"],
}
WITH_ACTIVATION = {"Dense", "Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "LSTM", "GRU", "SimpleRNN"}
# Keras 1 keyword arguments Keras 3 rejects, and what to write instead.
KERAS1_KWARGS = {
    "output_dim": "units=",
    "nb_filter": "filters=",
    "nb_row": "kernel_size=",
    "nb_col": "kernel_size=",
    "border_mode": "padding=",
    "subsample": "strides=",
    "init": "kernel_initializer=",
    "W_regularizer": "kernel_regularizer=",
    "b_regularizer": "bias_regularizer=",
    "dim_ordering": "data_format=",
}
_KERAS1_RENAME = {"output_dim": "units", "nb_filter": "filters", "border_mode": "padding", "subsample": "strides"}


def activation_name(value: Any) -> str | None:
    """Canonical activation from an evaluated ``activation=`` value."""
    if value is None:
        return "linear"
    if isinstance(value, str):
        return canonical_activation(value)
    if isinstance(value, ModuleRef):
        return canonical_activation(value.path.split(".")[-1])
    if isinstance(value, UserFunction):
        return canonical_activation(value.name)
    if isinstance(value, LayerObj) and value.activation:
        return value.activation
    return None


def build_layer(world: Any, canon: str, source_name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> LayerObj:
    """A layer object from a constructor call such as ``Dense(256, activation='relu')``."""
    it: Interpreter = world.it
    config: dict[str, Any] = {}
    raw: dict[str, Arg] = {}
    names = POSITIONAL.get(canon, [])
    keras1_conv = (
        source_name.startswith("Convolution")
        and canon in ("Conv1D", "Conv2D", "Conv3D")
        and len(args) >= 3
        and all(as_int(a.value) is not None or a.value is UNKNOWN for a in args[1:3])
    )
    if keras1_conv:
        # Keras 1: Convolution2D(filters, rows, cols) - Keras 3 reads the third as strides.
        raw["filters"] = args[0]
        config["kernel_size"] = (args[1].value, args[2].value) if args[1].value is not UNKNOWN and args[2].value is not UNKNOWN else UNKNOWN
        parts = [it.source(a.node) for a in args[:3]]
        world.api_use(f"{source_name}({', '.join(parts)})", f"Conv2D({parts[0]}, ({parts[1]}, {parts[2]}))", it.loc_of_name(node))
    else:
        for index, arg in enumerate(args):
            if index < len(names):
                raw[names[index]] = arg
    for key, arg in kwargs.items():
        if key == "**unknown**":
            continue
        if key in KERAS1_KWARGS:
            world.api_use(f"{key}=", KERAS1_KWARGS[key], it.loc(arg.at))
            if key in _KERAS1_RENAME:
                raw.setdefault(_KERAS1_RENAME[key], arg)
            if key in ("nb_row", "nb_col"):
                rows, cols = kwargs.get("nb_row"), kwargs.get("nb_col")
                if rows is not None and cols is not None:
                    config["kernel_size"] = (rows.value, cols.value)
            continue
        raw[key] = arg
    for key, arg in raw.items():
        config[key] = arg.value
    name = as_str(config.get("name")) or world.auto_name(canon)
    plain_config = {key: plain(value) for key, value in config.items()}
    layer = LayerObj(canon, name, it.loc(node), {k: v for k, v in plain_config.items() if v is not MISSING})
    layer.world = world
    trainable = config.get("trainable", True)
    layer.trainable = trainable if isinstance(trainable, bool) else None
    if canon in ACTIVATION_LAYERS:
        layer.activation = ACTIVATION_LAYERS[canon]
    elif canon == "Activation":
        layer.activation = activation_name(config.get("activation", UNKNOWN)) if "activation" in config else None
    elif canon in WITH_ACTIVATION:
        layer.activation = activation_name(config.get("activation")) if "activation" in config else "linear"
    unit_key = "units" if canon in ("Dense", "LSTM", "GRU", "SimpleRNN") else "filters" if canon in WITH_ACTIVATION else None
    if unit_key is not None:
        layer.units = as_int(config.get(unit_key))
        unit_arg = raw.get(unit_key)
        if unit_arg is not None and isinstance(unit_arg.node, ast.Name):
            layer.units_ref = (unit_arg.node.id, it.ctx)
    shape = config.get("input_shape")
    if shape is None and as_shape(config.get("batch_input_shape")) is not None:
        shape = config["batch_input_shape"][1:]
    if shape is None and as_int(config.get("input_dim")) is not None and canon != "Embedding":
        shape = (config["input_dim"],)
    if canon == "InputLayer":
        shape = config.get("shape", shape)
    layer.input_shape = as_shape(shape)
    if canon == "Lambda" and "function" in raw:
        layer.pixel_op = world.pixel_op_of(raw["function"].value, it.loc(raw["function"].at))
    return layer
