"""Recognise keras.applications backbones inside a model graph read from a file."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from modelcheck.checks.graph import has_weights
from modelcheck.ir import Backbone, ModelGraph
from modelcheck.knowledge.matching import match_layers


def attach_backbones(graph: ModelGraph, keras_version: str | None = None) -> ModelGraph:
    """Return the graph with every backbone found in it (nested or flat) recorded."""
    return replace(graph, backbones=tuple(_find(graph, ())))


def _find(graph: ModelGraph, path: tuple[str, ...]) -> Iterator[Backbone]:
    match = match_layers([layer.name for layer in graph.layers])
    if match is not None:
        start = max(match.offset, 0)
        end = match.offset + match.length + 1
        layers = graph.layers[start:end]
        after = graph.layers[end:]
        frozen = any(layer.trainable is False for layer in layers if has_weights(layer))
        yield Backbone(
            name=match.name,
            weights="inferred" if frozen or match.imagenet_weights else "unknown",
            include_top=any(layer.name == "predictions" and layer.units == 1000 for layer in after) or (False if not after else None),
            nested_as=path[-1] if path and match.offset <= 0 else None,
            offset=match.offset,
            container_path=path,
            layer_names=tuple(layer.name for layer in layers),
            input_shape=graph.input_shapes[0] if graph.input_shapes else None,
            location=layers[1].location if len(layers) > 1 else graph.location,
            keras_major=match.keras,
            imagenet_layout=match.imagenet_weights,
        )
    for layer in graph.layers:
        if layer.submodel is not None:
            yield from _find(layer.submodel, path + (layer.name,))
