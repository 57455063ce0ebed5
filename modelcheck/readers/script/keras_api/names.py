"""Keras names as a script spells them: the part after the Keras package, canonical class names,
Keras's automatic layer names."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from modelcheck.vocab import LAYER_ALIASES

# Keras's own aliases (from modelcheck.vocab), the Keras 1 name of Conv2DTranspose, and a saved model's class.
CLASS_ALIASES = {**LAYER_ALIASES, "Deconvolution2D": "Conv2DTranspose", "Functional": "Model"}


@lru_cache(maxsize=4096)  # asked for every attribute of an imported name
def keras_rest(path: str) -> str | None:
    """The part of a dotted path after the Keras package: 'tf.keras.layers.Dense' -> 'layers.Dense'."""
    parts = path.split(".")
    if parts[0] in ("tensorflow", "tf"):
        rest = parts[1:]
        if rest[:1] == ["python"]:
            rest = rest[1:]
        if rest[:1] == ["compat"] and rest[1:2] in (["v1"], ["v2"]):  # import tensorflow.compat.v1 as tf
            rest = rest[2:]
        if rest[:1] != ["keras"]:
            return None
        rest = rest[1:]
    elif parts[0] in ("keras", "tf_keras"):
        rest = parts[1:]
    else:
        return None
    if rest[:1] == ["src"]:
        rest = rest[1:]
    if rest[:2] == ["_tf_keras", "keras"]:
        rest = rest[2:]
    return ".".join(rest)


def canonical_name(rest: str, is_backbone: Any = None) -> str:
    """Canonical Keras name: 'Dense', 'Conv2D', 'applications.VGG16', 'applications.resnet.preprocess_input'."""
    parts = rest.split(".")
    last = parts[-1]
    if parts[0] == "applications" and len(parts) >= 2:
        if last[:1].isupper() and (is_backbone is None or is_backbone(last)):
            return "applications." + last
        return "applications." + ".".join(parts[1:])
    return CLASS_ALIASES.get(last, last)


@lru_cache(maxsize=1024)
def snake_case(name: str) -> str:
    """Keras's auto-name rule for a class name ('GlobalAveragePooling2D' -> 'global_average_pooling2d')."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
