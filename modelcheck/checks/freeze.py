"""A backbone as found in a model, aligned with the knowledge base, and its freeze boundary."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from modelcheck.checks.identity_cache import by_identity
from modelcheck.ir import Backbone, Layer, ModelGraph
from modelcheck.knowledge import Backbone as BackboneInfo
from modelcheck.knowledge import find_backbone
from modelcheck.knowledge.layout import FreezeBoundary, Layout


@dataclass(frozen=True)
class BackboneView:
    """The backbone's layers in the model; ``layers[i]`` is knowledge-base layer ``i``
    (None where the container lacks it, e.g. the InputLayer of a Sequential copy)."""

    backbone: Backbone
    layers: tuple[Layer | None, ...]
    layout: Layout
    info: BackboneInfo
    container: ModelGraph

    def weighted(self, index: int) -> bool:
        return index in self._weighted

    @cached_property
    def _weighted(self) -> frozenset[int]:
        return frozenset(self.layout.weighted)

    def name(self, index: int) -> str:
        return self.layout.layers[index]


@by_identity
def view_of(model: ModelGraph, backbone: Backbone) -> BackboneView | None:
    info = find_backbone(backbone.name)
    if info is None:
        return None
    layout = info.layout(keras=backbone.keras_major or 3, imagenet=backbone.imagenet_layout)
    container = _container(model, backbone.container_path)
    if container is None:
        return None
    by_name = {layer.name: layer for layer in container.layers}
    if backbone.layer_names and len(backbone.layer_names) >= len(layout.layers) - 1:
        # Saved files may carry session-numbered auto names: align by position, not by name.
        names = list(backbone.layer_names)
        if len(names) == len(layout.layers) - 1:
            names.insert(0, "")
        layers = tuple(by_name.get(name) for name in names[: len(layout.layers)])
    else:
        layers = tuple(by_name.get(name) for name in layout.layers)
    if sum(layer is None for layer in layers) > 1:
        return None
    return BackboneView(backbone, layers, layout, info, container)


def _container(model: ModelGraph, path: tuple[str, ...]) -> ModelGraph | None:
    graph = model
    for name in path:
        nested = next((layer.submodel for layer in graph.layers if layer.name == name and layer.submodel), None)
        if nested is None:
            return None
        graph = nested
    return graph


def boundary(view: BackboneView) -> FreezeBoundary | None:
    """The frozen→trainable boundary of a fine-tuning split, or None when there is none
    (all weighted layers agree, their state is unknown, or the front is trainable)."""
    batchnorm = set(view.layout.batchnorm)
    flags = [
        (index, layer.trainable)
        for index, layer in enumerate(view.layers)
        if layer is not None and view.weighted(index) and layer.trainable is not None
    ]
    frozen = [i for i, trainable in flags if not trainable]
    # Only BatchNormalization layers trainable ("freeze everything but BatchNorm"): no layer
    # that computes features is cut from the rest, so there is no boundary to judge.
    trainable = [i for i, trainable in flags if trainable and i not in batchnorm]
    if not frozen or not trainable:
        return None
    first_trainable_weighted = min(trainable)
    before = [i for i in frozen if i < first_trainable_weighted]
    if not before:
        return None
    index = max(before) + 1
    # The boundary sits right after the last frozen layer of any kind before the trainable part.
    for position in range(index, first_trainable_weighted):
        layer = view.layers[position]
        if layer is not None and layer.trainable is False:
            index = position + 1
    return view.layout.freeze_boundary(index)
