"""MC306: raw 0-255 pixels into a model trained from scratch."""

from __future__ import annotations

from typing import Iterator

from modelcheck.checks.graph import WEIGHTED_CLASSES
from modelcheck.checks.scaling import scaling_mode
from modelcheck.engine import report, rule
from modelcheck.findings import Finding
from modelcheck.ir import Layer, Location, ModelGraph, TrainingSetup
from modelcheck.knowledge import find_backbone
from modelcheck.settings import Settings

# Layers in front of the first weighted layer that scale or standardise the input.
_SCALING_LAYERS = {"Rescaling", "Normalization", "BatchNormalization", "LayerNormalization", "GroupNormalization"}
# Layers that pass pixels on unchanged in value (shape, augmentation of geometry, dropout).
_VALUE_PRESERVING = {
    "InputLayer",
    "Resizing",
    "CenterCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
    "RandomCrop",
    "RandomHeight",
    "RandomWidth",
    "ZeroPadding2D",
    "Cropping2D",
    "Reshape",
    "Flatten",
    "Permute",
    "Dropout",
    "SpatialDropout2D",
    "GaussianNoise",
    "Activation",
    "MaxPooling2D",
    "AveragePooling2D",
}
_NORMALIZING = {"BatchNormalization", "LayerNormalization", "GroupNormalization", "Normalization"}


def _first_layers(graph: ModelGraph) -> Iterator[Layer]:
    """Layers in ``.layers`` order, nested models entered where they sit."""
    for layer in graph.layers:
        if layer.submodel is not None:
            yield from _first_layers(layer.submodel)
        else:
            yield layer


def _model_scales_input(graph: ModelGraph) -> bool | None:
    """True when the model rescales or normalises its input before the first weighted layer;
    False when it certainly does not; None when a layer there is unknown (it might)."""
    for layer in _first_layers(graph):
        if layer.class_name in _SCALING_LAYERS:
            return True
        if layer.class_name in WEIGHTED_CLASSES or layer.units is not None:
            return False
        if layer.class_name not in _VALUE_PRESERVING:
            return None  # a Lambda or custom layer may scale
    return None


def _trained_from_scratch(setup: TrainingSetup) -> bool:
    """No backbone, or only backbones built with weights=None and no internal preprocessing."""
    assert setup.model is not None
    for backbone in setup.model.backbones:
        if backbone.weights != "none":
            return False
        info = find_backbone(backbone.name)
        if info is None or (info.internal_preprocessing and backbone.include_preprocessing is not False):
            return False  # EfficientNet and friends rescale inside the model
    return True


@rule("MC306")
def unscaled_input(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    if setup.model is None or not _trained_from_scratch(setup):
        return
    train = setup.pipeline("train")
    if train is None or train.scaling is None or scaling_mode(train.scaling) != "raw":
        return
    if _model_scales_input(setup.model) is not False:
        return
    where = train.scaling.location or train.location or Location(setup.path)
    feeds = "arrays" if train.source == "arrays" else "pipeline"
    yield report(
        "MC306",
        "raw 0-255 pixels reach a model trained from scratch, with nothing in between to scale them. "
        f"The training {feeds}{_name(train)} leaves the pixels as they are and the model has no Rescaling layer; inputs this large saturate the first activations and make the initial gradients huge, so training is slow "
        "or unstable",
        where,
        "Scale the inputs: ImageDataGenerator(rescale=1./255), a keras.layers.Rescaling(1./255) first layer, or x / 255.0.",
    )


def _name(pipeline) -> str:
    return f" '{pipeline.name}'" if pipeline.name else ""
