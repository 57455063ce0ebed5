"""NumPy arrays as pipelines: ``keras.datasets.X.load_data()`` (raw 0-255 pixels), arrays
passed straight to ``fit``/``evaluate``, and the scaling an array keeps through
``ImageDataGenerator().flow(x, y)``. The pixel arithmetic itself (``x / 255.0``,
``preprocess_input(x)``) is :class:`~modelcheck.readers.script.keras_api.data.PixelVal`'s.
"""

from __future__ import annotations

import ast
from typing import Any

from modelcheck.ir import Location, Scaling
from modelcheck.readers.script.core.interpreter import UNKNOWN
from modelcheck.readers.script.keras_api.data import PipelineObj, register
from modelcheck.readers.script.keras_api.pixels import PixelVal


def then(first: Scaling | None, second: Scaling | None, location: Location | None) -> Scaling | None:
    """``first`` applied to raw pixels, then ``second``: one scaling when both are affine
    maps or one of them does nothing; unknown otherwise."""
    if first is None or second is None:
        return None
    if first.kind == "none":
        return second
    if second.kind == "none":
        return first
    if first.kind == second.kind == "rescale" and first.factor is not None and second.factor is not None:
        factor = first.factor * second.factor
        offset = (first.offset or 0.0) * second.factor + (second.offset or 0.0)
        return Scaling("rescale", factor, offset, location=second.location or location)
    return Scaling("unknown", location=second.location or location)


def array_pipeline(world: Any, pixels: PixelVal, role: str) -> PipelineObj:
    """A pipeline made of pixel arrays passed straight to ``fit``/``evaluate`` (one per array and role)."""
    key = (id(pixels), role)
    pipe = world.array_pipes.get(key)
    if pipe is None:
        pipe = register(world, PipelineObj("arrays", pixels.location))
        pipe.scaling = pixels.scaling()
        pipe.augmentation = list(pixels.augmentation)
        pipe.resized = None if pixels.source in ("arrays", None) or not pixels.resized else True
        pipe.channel_order = pixels.channel_order
        pipe.color_mode = pixels.color_mode
        pipe.target_size = pixels.target_size
        pipe.var_name = pixels.var_name
        pipe.role_hint = role
        world.array_pipes[key] = pipe
    return pipe


def load_dataset(world: Any, rest: str, node: ast.Call) -> Any:
    """``keras.datasets.cifar10.load_data()``: ((x_train, y_train), (x_test, y_test)), uint8 pixels 0-255."""
    name = rest.split(".")[1] if rest.count(".") >= 2 else ""
    if name not in _IMAGE_DATASETS:
        return UNKNOWN
    arrays = []
    for _ in range(2):
        pixels = PixelVal("arrays", world.it.loc(node))
        pixels.resized, pixels.target_size = None, _IMAGE_DATASETS[name][0]
        pixels.channel_order = "RGB" if _IMAGE_DATASETS[name][1] == "rgb" else None
        pixels.color_mode = _IMAGE_DATASETS[name][1]
        pixels.scaling_location = world.it.loc(node)
        arrays.append((pixels, UNKNOWN))
    return tuple(arrays)


_IMAGE_DATASETS = {"mnist": ((28, 28), "grayscale"), "fashion_mnist": ((28, 28), "grayscale"),
                   "cifar10": ((32, 32), "rgb"), "cifar100": ((32, 32), "rgb")}


def array_call(world: Any, path: str, values: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
    """``np.load`` (arrays of unknown range) and ``train_test_split`` (keeps what the arrays hold);
    None when the call says nothing about pixels."""
    it = world.it
    if path in ("sklearn.model_selection.train_test_split", "sklearn.cross_validation.train_test_split"):
        # Splitting keeps what the arrays hold: (x_train, x_test, y_train, y_test).
        if not any(isinstance(value, PixelVal) for value in values) or "**unknown**" in kwargs:
            return None
        parts: list[Any] = []
        for value in values:
            parts.extend((value.derive(), value.derive()) if isinstance(value, PixelVal) else (UNKNOWN, UNKNOWN))
        return tuple(parts)
    if path == "numpy.load":  # arrays saved by another script: their range is unknown
        result = PixelVal("arrays", it.loc(node))
        result.resized, result.channel_order, result.color_mode = None, None, None
        result.unknown_scaling, result.scaling_location = True, it.loc(node)
        return result
    return None
