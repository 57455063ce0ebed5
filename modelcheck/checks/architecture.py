"""MC1xx: model architecture and output head."""

from __future__ import annotations

from typing import Iterator

from modelcheck.checks.graph import (
    ACTIVATION_ONLY,
    LINEAR_AT_INFERENCE,
    containers,
    head_of,
    layer_label,
    named,
    next_layer,
    output_layer_ids,
)
from modelcheck.checks.identity_cache import by_identity
from modelcheck.engine import report, rule
from modelcheck.findings import Finding, FixSpec
from modelcheck.fix import specs
from modelcheck.ir import Location, TrainingSetup
from modelcheck.knowledge import find_backbone
from modelcheck.settings import Settings
from modelcheck.vocab import BINARY_LOSSES, CATEGORICAL_LOSSES, LINEAR_MAP_LAYERS, PROBABILISTIC_LOSSES


def _where(setup: TrainingSetup, location: Location | None) -> Location:
    return location or Location(setup.path)


@rule("MC101")
def hidden_softmax(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    if setup.model is None:
        return
    outputs = output_layer_ids(setup.model)
    for path, layer in setup.model.walk():
        if layer.activation != "softmax" or id(layer) in outputs or layer.submodel is not None:
            continue
        if _feeds_output_activation(setup, path, layer, outputs):
            continue  # a softmax repeated at the output is MC106's finding, not a hidden softmax
        size = f"its {layer.units} outputs" if layer.units else "its outputs"
        if layer.name == "predictions" and layer.units == 1000:
            message = (
                f"{named(layer, setup)} is the 1000-way ImageNet classifier of an include_top=True backbone, "
                "and further layers are stacked on it: they see only ImageNet class probabilities, not features"
            )
            hint = "Build the backbone with include_top=False (and pooling='avg' or a GlobalAveragePooling2D) and put your head on its features."
        else:
            message = (
                f"{named(layer, setup)} is a hidden layer: softmax squeezes {size} into one probability "
                "vector that sums to 1, so the layers after it see almost no signal and training stalls"
            )
            hint = "Use activation='relu' on hidden layers; keep softmax for the output layer only."
        offer = specs.hidden_softmax(setup, layer)
        fix = offer if isinstance(offer, FixSpec) else None
        yield report("MC101", message, _where(setup, layer.location), hint, fix=fix)


def _feeds_output_activation(setup: TrainingSetup, path: tuple[str, ...], layer, outputs: set[int]) -> bool:
    for container_path, container in containers(setup.model):
        if container_path == path:
            following = next_layer(container, layer)
            return following is not None and following.class_name in ACTIVATION_ONLY and id(following) in outputs
    return False


@rule("MC102")
def output_activation_loss(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    if setup.model is None:
        return
    head = head_of(setup.model)
    if head is None:
        return
    activation, units, layer = head
    where = _where(setup, layer.location)
    label = named(layer, setup)
    if activation == "softmax" and units == 1:
        yield report(
            "MC102",
            f"{label} applies softmax to a single unit: softmax over one value is always 1.0, so the model predicts the same thing for every input and cannot learn",
            where,
            "For two classes use Dense(1, activation='sigmoid') with binary_crossentropy, or Dense(2, activation='softmax') with categorical_crossentropy.",
        )
        return
    compiled = setup.compile
    loss = compiled.loss if compiled else None
    if loss is None or loss.name is None or loss.custom:
        return
    loss_where = loss.location or (compiled.location if compiled else None) or where
    single_label = CATEGORICAL_LOSSES | {"sparse_categorical_crossentropy"}
    if activation == "sigmoid" and units is not None and units > 1 and loss.name in single_label and not loss.from_logits:
        yield report(
            "MC102",
            f"{label} uses sigmoid over {units} classes under {loss.name}: Keras rescales the outputs inside the loss so training still runs, "
            "but predict() returns independent scores that do not sum to 1; they are not class probabilities, and any threshold or calibration built on them is wrong",
            where,
            f"Use Dense({units}, activation='softmax') for single-label classification (sigmoid + binary_crossentropy only for multi-label).",
        )
    elif activation == "softmax" and units is not None and units > 2 and loss.name in BINARY_LOSSES:
        # A 2-unit softmax under BCE is categorical cross-entropy in disguise: same loss, same accuracy.
        yield report(
            "MC102",
            f"{label} is a {units}-way softmax trained with {loss.name}: each output is scored as an independent yes/no, so the reported "
            "'accuracy' is binary accuracy averaged over units and looks far better than the real single-label accuracy",
            loss_where,
            "Use categorical_crossentropy (one-hot labels) or sparse_categorical_crossentropy (integer labels) with a softmax output.",
        )
    elif activation in ("softmax", "sigmoid") and loss.from_logits is True:
        yield report(
            "MC102",
            f"{label} already outputs probabilities ({activation}) but the loss is built with from_logits=True: the loss applies {activation} a second time, "
            "which flattens the gradients and slows or stalls learning",
            loss_where,
            "Either drop from_logits=True, or make the output layer linear (activation=None) and keep from_logits=True.",
        )
    elif activation in ("linear", "relu") and loss.name in PROBABILISTIC_LOSSES and loss.from_logits is not True:
        yield report(
            "MC102",
            f"{label} outputs unbounded {activation} values but {loss.name} expects probabilities (from_logits=False): "
            "the loss clips them into [eps, 1-eps], the gradients vanish and the numbers it reports are meaningless",
            loss_where,
            "Add activation='softmax' (or 'sigmoid' for one unit) to the output layer, or pass from_logits=True to the loss.",
        )


@rule("MC103")
def output_units_vs_classes(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    if setup.model is None:
        return
    head = head_of(setup.model)
    if head is None or head[1] is None:
        return
    activation, units, layer = head
    classes_out = 2 if units == 1 and activation == "sigmoid" else units
    if units == 1 and activation != "sigmoid":
        return
    for count, source, where in _class_counts(setup):
        if count != classes_out and count >= 2:
            yield report(
                "MC103",
                f"the output {named(layer, setup)} has {units} unit{'s' if units != 1 else ''} but {source} has {count} classes. "
                f"The output stands for {classes_out} classes: labels and outputs cannot line up, so the loss is wrong for every batch",
                _where(setup, layer.location),
                f"Make the output layer Dense({count}, activation='softmax')" + (" (or Dense(1, activation='sigmoid') for 2 classes)." if count == 2 else "."),
            )
            return


def _class_counts(setup: TrainingSetup) -> Iterator[tuple[int, str, Location | None]]:
    for expectation in setup.expectations:
        if expectation.num_classes:
            yield expectation.num_classes, "the declared expect.num_classes", expectation.location
    for pipeline in setup.pipelines:
        if pipeline.num_classes and pipeline.role in ("train", "validation", "test"):
            where = f"the {pipeline.role} data directory '{pipeline.directory}'" if pipeline.directory else f"the {pipeline.role} data"
            yield pipeline.num_classes, where, pipeline.location
    for labels in setup.labels:
        if labels.num_classes:
            yield labels.num_classes, "the label encoding", labels.location


@rule("MC104")
def stacked_linear_layers(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    if setup.model is None:
        return
    backbone_layers = _backbone_layer_ids(setup)
    for _, container in containers(setup.model):
        for layer in container.layers:
            if layer.class_name not in LINEAR_MAP_LAYERS or layer.activation != "linear" or id(layer) in backbone_layers:
                continue
            following = next_layer(container, layer, LINEAR_AT_INFERENCE)
            if following is None or following.class_name not in LINEAR_MAP_LAYERS:
                continue
            between = _between(container, layer, following)
            how = f"with only {', '.join(between)} between them" if between else "directly"
            yield report(
                "MC104",
                f"{named(layer, setup)} has no activation and feeds {named(following, setup)} {how}. "
                "Two linear maps in a row collapse into one, so the extra layer adds parameters but no capacity",
                _where(setup, layer.location),
                "Give the first layer a nonlinearity (activation='relu'), or remove one of the two layers.",
            )


def _between(container, first, last) -> list[str]:
    """Class names of the layers on the single path from ``first`` to ``last`` (exclusive)."""
    names: list[str] = []
    current = next_layer(container, first, set())
    while current is not None and current is not last and len(names) < len(container.layers):
        names.append(current.class_name)
        current = next_layer(container, current, set())
    return names


@by_identity
def _backbone_layer_ids(setup: TrainingSetup) -> frozenset[int]:
    """Layers that belong to a recognised backbone: their design is not the user's to lint."""
    ids: set[int] = set()
    if setup.model is None:
        return frozenset()
    for backbone in setup.model.backbones:
        names = set(backbone.layer_names)
        for path, layer in setup.model.walk():
            if (path[: len(backbone.container_path)] == backbone.container_path and layer.name in names) or (
                backbone.nested_as and backbone.nested_as in path
            ):
                ids.add(id(layer))
    return frozenset(ids)


@rule("MC105")
def oversized_head(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    if setup.model is None or not setup.model.backbones:
        return
    limit = settings.threshold("oversized_head_params")
    backbone_layers = _backbone_layer_ids(setup)
    for _, container in containers(setup.model):
        for layer in container.layers:
            if layer.class_name != "Flatten" or id(layer) in backbone_layers:
                continue
            dense = next_layer(container, layer)
            if dense is None or dense.class_name != "Dense" or dense.units is None or _vgg_top(setup, layer, dense):
                continue
            features = _flat_size(setup, container, layer)
            if features is None:
                continue
            params = features * dense.units + dense.units
            if params > limit:
                yield report(
                    "MC105",
                    f"{named(dense, setup)} after `Flatten()` has {params:,} parameters (over {int(limit):,}). "
                    f"`Flatten()` turns the backbone's feature map into {features:,} values: most of the model's trainable weights sit in one layer that overfits a small dataset",
                    _where(setup, layer.location),
                    "Replace Flatten() with GlobalAveragePooling2D() (or pooling='avg' on the backbone).",
                )


def _vgg_top(setup: TrainingSetup, flatten, dense) -> bool:
    """VGG's own include_top classifier (flatten → fc1), copied flat into a model."""
    return flatten.name == "flatten" and dense.name == "fc1" and any(b.name.startswith("VGG") for b in setup.model.backbones)


def _flat_size(setup: TrainingSetup, container, flatten) -> int | None:
    """Values a Flatten produces: its known output shape, else the backbone's feature map it flattens."""
    if flatten.output_shape and flatten.output_shape[-1] is not None:
        return flatten.output_shape[-1]
    by_name = {layer.name: layer for layer in container.layers}
    source = by_name.get(flatten.inbound[0]) if len(flatten.inbound) == 1 else None
    for backbone in setup.model.backbones:
        if source is None or backbone.nested_as != source.name or backbone.include_top:
            continue
        shape = backbone.input_shape or (setup.model.input_shapes[0] if setup.model.input_shapes else None)
        info = find_backbone(backbone.name)
        if info is None or not shape or len(shape) != 3 or None in shape[:2]:
            return None
        feature_map = info.feature_map(shape[0], shape[1], keras=backbone.keras_major or 3)
        if feature_map is None or None in feature_map:
            return None
        return feature_map[0] * feature_map[1] * feature_map[2]
    return None


@rule("MC106")
def double_activation(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    if setup.model is None:
        return
    for _, container in containers(setup.model):
        for layer in container.layers:
            if layer.activation in (None, "linear") or layer.submodel is not None:
                continue
            following = next_layer(container, layer)
            if following is None or following.class_name not in ACTIVATION_ONLY or following.activation != layer.activation:
                continue
            yield report(
                "MC106",
                f"{layer.activation} is applied twice. {named(layer, setup)} already applies it, and {named(following, setup)} applies it again: "
                + (
                    "a second softmax squashes the probabilities towards uniform and weakens the gradients"
                    if layer.activation == "softmax"
                    else "the second application is redundant at best and distorts the values at worst"
                ),
                _where(setup, following.location),
                f"Remove {layer_label(following)}, or make the first layer linear.",
            )

