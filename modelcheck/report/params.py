"""Parameter counts for ``--show-layers``, as ``model.summary()`` shows them, where the facts are known.

A count needs the layer's own sizes (units, filters, kernel size) and the width of
what feeds it; when either is unknown the count is None (a blank cell), never a guess.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from modelcheck.ir import Layer

# Layers without weights: their count is 0 whatever their inputs.
_WEIGHTLESS = {
    "InputLayer", "Flatten", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "Activation", "ReLU", "Softmax", "LeakyReLU", "ELU", "Reshape", "Permute",
    "RepeatVector", "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalMaxPooling3D", "Rescaling", "Resizing", "CenterCrop", "RandomFlip", "RandomRotation",
    "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness", "RandomCrop", "ZeroPadding2D",
    "Cropping2D", "UpSampling2D", "Lambda", "Identity", "TFOpLambda", "SlicingOpLambda",
}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _kernel(value: Any, dims: int) -> int | None:
    if _int(value) is not None:
        return value ** dims
    if isinstance(value, (tuple, list)) and value and all(_int(v) is not None for v in value):
        product = 1
        for v in value:
            product *= v
        return product
    return None


def _input_width(layer: Layer, feeding: Iterable[Layer | None]) -> int | None:
    """The last axis of what feeds the layer: the feeding layer's output, else the layer's own input_shape."""
    shapes = [f.output_shape for f in feeding if f is not None]
    if len(shapes) == 1 and shapes[0]:
        return _int(shapes[0][-1])
    for key in ("input_shape", "batch_input_shape", "batch_shape"):
        shape = layer.config.get(key)
        if isinstance(shape, (tuple, list)) and shape:
            return _int(shape[-1])
    return None


def layer_params(layer: Layer, feeding: Iterable[Layer | None] = ()) -> int | None:
    """The layer's weight count, or None when a size it depends on is not known."""
    if layer.submodel is not None:
        return _graph_params(layer.submodel)
    kind = layer.class_name
    if kind in _WEIGHTLESS:
        return 0
    config = layer.config
    bias = config.get("use_bias", True) is not False
    width = _input_width(layer, feeding)
    if kind == "Dense":
        units = _int(config.get("units", layer.units))
        return None if units is None or width is None else width * units + (units if bias else 0)
    if kind in ("Conv1D", "Conv2D", "Conv3D"):
        filters = _int(config.get("filters", layer.units))
        kernel = _kernel(config.get("kernel_size"), int(kind[-2]))
        groups = _int(config.get("groups", 1)) or 1
        if None in (filters, kernel, width):
            return None
        return kernel * (width // groups) * filters + (filters if bias else 0)  # type: ignore[operator]
    if kind == "DepthwiseConv2D":
        kernel = _kernel(config.get("kernel_size"), 2)
        multiplier = _int(config.get("depth_multiplier", 1))
        if None in (kernel, multiplier, width):
            return None
        return kernel * width * multiplier + (width * multiplier if bias else 0)  # type: ignore[operator]
    if kind == "BatchNormalization":
        return None if width is None else width * (2 + (config.get("center", True) is not False) + (config.get("scale", True) is not False))
    if kind == "LayerNormalization":
        return None if width is None else width * ((config.get("center", True) is not False) + (config.get("scale", True) is not False))
    if kind == "Embedding":
        rows, columns = _int(config.get("input_dim")), _int(config.get("output_dim"))
        return None if rows is None or columns is None else rows * columns
    return None


def fed_layers(graph: Any) -> Iterator[tuple[Layer, list[Layer]]]:
    """Each layer of the graph with what feeds it: its inbound layers, else the layer before it."""
    previous: Layer | None = None
    by_name = {layer.name: layer for layer in graph.layers}
    for layer in graph.layers:
        yield layer, [by_name[name] for name in layer.inbound if name in by_name] or ([previous] if previous is not None else [])
        previous = layer


def _graph_params(graph: Any) -> int | None:
    total = 0
    for layer, feeding in fed_layers(graph):
        count = layer_params(layer, feeding)
        if count is None:
            return None
        total += count
    return total
