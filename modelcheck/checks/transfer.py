"""MC2xx: pretrained backbones and transfer learning."""

from __future__ import annotations

from typing import Iterator

from modelcheck.checks.freeze import BackboneView, boundary, view_of
from modelcheck.checks.graph import has_weights, named
from modelcheck.checks.scaling import describe_scaling, family_mode, mode_text, scaling_mode, short_mode_text
from modelcheck.engine import report, rule
from modelcheck.findings import Finding, FixSpec, Severity
from modelcheck.fix import specs
from modelcheck.ir import Backbone, Location, Pipeline, Scaling, TrainingSetup
from modelcheck.settings import Settings
from modelcheck.vocab import ADAPTIVE_OPTIMIZERS, OPTIMIZER_DEFAULT_LR


def _pretrained(backbone: Backbone, settings: Settings) -> bool:
    return bool(backbone.pretrained) or (settings.assume_pretrained is True and backbone.weights != "none")


def _views(setup: TrainingSetup) -> Iterator[BackboneView]:
    if setup.model is None:
        return
    for backbone in setup.model.backbones:
        view = view_of(setup.model, backbone)
        if view is not None:
            yield view


def _where(setup: TrainingSetup, *candidates: Location | None) -> Location:
    for candidate in candidates:
        if candidate is not None:
            return candidate
    return Location(setup.path)


# --- MC201 -------------------------------------------------------------------


def expected_mode(view: BackboneView) -> str | None:
    """The preprocessing mode the pretrained weights expect, given include_preprocessing."""
    if view.backbone.include_preprocessing is False and view.info.include_preprocessing_false:
        return view.info.include_preprocessing_false[0]
    return view.info.preprocessing


_ACCEPTS = {"caffe": {"caffe"}, "tf": {"tf"}, "torch": {"torch"}, "none": {"raw"}}


def _model_rescaling(setup: TrainingSetup, backbone: Backbone) -> Scaling | None:
    """A Rescaling layer the user put in front of the backbone, as a Scaling."""
    assert setup.model is not None
    own = set(backbone.layer_names)
    for _, layer in setup.model.walk():
        if layer.name in own or layer.name == backbone.nested_as:
            break
        if layer.class_name == "Rescaling":
            scale, offset = layer.config.get("scale"), layer.config.get("offset", 0.0)
            if isinstance(scale, (int, float)) and isinstance(offset, (int, float)):
                return Scaling("rescale", float(scale), float(offset), location=layer.location)
            return Scaling("unknown", location=layer.location)
    return None


def _compose(first: Scaling, then: Scaling) -> Scaling:
    if first.kind == "none":
        return then
    if first.kind == "rescale" and then.kind == "rescale" and None not in (first.factor, then.factor):
        factor = first.factor * then.factor
        offset = (first.offset or 0.0) * then.factor + (then.offset or 0.0)
        return Scaling("rescale", factor, offset, location=then.location)
    return Scaling("unknown", location=then.location)


@rule("MC201")
def preprocessing_mismatch(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    for view in _views(setup):
        backbone = view.backbone
        if not _pretrained(backbone, settings):
            continue
        expected = expected_mode(view)
        if expected not in _ACCEPTS:
            continue
        pipeline = _scaled_pipeline(setup)
        scaling = pipeline.scaling if pipeline else None
        in_model = _model_rescaling(setup, backbone)
        if in_model is not None:
            scaling = _compose(scaling or Scaling("none"), in_model) if (scaling is None or scaling.kind in ("none", "rescale")) else Scaling("unknown")
        if scaling is None:
            continue
        actual = scaling_mode(scaling)
        if actual == "unknown" or actual in _ACCEPTS[expected]:
            continue
        where = _where(setup, scaling.location, pipeline.location if pipeline else None, backbone.location)
        offer = specs.preprocessing(backbone.name, _preprocess_module(view, expected), where, in_model is not None)
        how = describe_scaling(scaling) if in_model is None else f"a Rescaling layer in the model ({describe_scaling(scaling)} overall)"
        if expected == "none":
            problem = (f"{backbone.name} rescales its input internally, but the pipeline rescales it too. "
                       f"Its ImageNet weights expect {mode_text('raw')}, but the pipeline applies {how}")
            hint = "Feed raw 0-255 pixels: drop rescale / the Rescaling layer (its preprocess_input is a no-op)."
        else:
            module = view.info.module
            own_function_fits = family_mode(module) == expected
            problem = (f"{backbone.name}'s weights expect {short_mode_text(expected)}, but the pipeline feeds {mode_text(actual)}. "
                       f"Its ImageNet weights expect {mode_text(expected)}; the pipeline applies {how}")
            if not own_function_fits:
                hint = f"Scale inputs to {mode_text(expected)} ({module}.preprocess_input does not, for this build), or keep include_preprocessing=True."
            elif setup.kind == "config":
                hint = f"Use `preprocessing: {module}` instead of `rescale`."
            else:
                hint = f"Use preprocessing_function=keras.applications.{module}.preprocess_input instead of {how}."
        yield report(
            "MC201",
            f"{problem}: the pretrained features see inputs unlike anything they were trained on, so they carry little signal "
            "and accuracy stalls (nothing crashes)",
            where,
            hint,
            fix=offer if isinstance(offer, FixSpec) else None,
        )


def _preprocess_module(view: BackboneView, expected: str) -> str | None:
    """The keras.applications module whose preprocess_input gives what the weights expect
    (the backbone's own module first)."""
    for module in view.info.modules:
        if family_mode(module) == expected:
            return module
    return None


def _scaled_pipeline(setup: TrainingSetup) -> Pipeline | None:
    train = setup.pipeline("train")
    if train is not None and train.scaling is not None:
        return train
    for pipeline in setup.pipelines:
        if pipeline.scaling is not None and pipeline.role != "predict":
            return pipeline
    return None


# --- MC202 -------------------------------------------------------------------

# Layer names of the classifier keras.applications builds with include_top=True.
_PRETRAINED_TOP = ("fc1", "fc2", "predictions")


@rule("MC202")
def nothing_trainable(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    """The 'nothing is trainable' and 'new head frozen' cases."""
    model = setup.model
    if model is None:
        return
    weighted = [layer for _, layer in model.walk() if layer.submodel is None and has_weights(layer)]
    if not weighted or any(layer.trainable is None for layer in weighted):
        return
    if all(layer.trainable is False for layer in weighted):
        yield report(
            "MC202",
            f"every layer of '{model.name}' is frozen: training updates no weight at all, so the loss cannot move "
            "and every epoch is wasted",
            _where(setup, model.location),
            "Unfreeze at least the new head (layers you added after the backbone) before compiling.",
            severity=Severity.ERROR,
        )
        return
    in_backbone = {name for backbone in model.backbones for name in backbone.layer_names}
    # An include_top=True backbone's own classifier layers carry pretrained weights: not a new head.
    in_backbone |= {name for backbone in model.backbones if backbone.include_top for name in _PRETRAINED_TOP}
    head = [layer for _, layer in model.walk() if layer.submodel is None and has_weights(layer) and layer.name not in in_backbone]
    frozen = [layer for layer in head if layer.trainable is False]
    if in_backbone and frozen:
        first = frozen[0]
        which = "the new head is frozen" if len(frozen) == len(head) else f"{len(frozen)} of the {len(head)} new head layers are frozen"
        yield report(
            "MC202",
            f"{which} ({named(first, setup)}" + (f" and {len(frozen) - 1} more)." if len(frozen) > 1 else ").")
            + " A head layer starts random and, frozen, stays random, so its output is noise the rest must learn around",
            _where(setup, first.location),
            "Keep the layers you add on top trainable; freeze only the pretrained backbone.",
            severity=Severity.ERROR,
        )


@rule("MC202")
def freeze_boundary(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    for view in _views(setup):
        cut = boundary(view)
        yield from _expectations(setup, view, cut)
        if cut is None or cut.aligned:
            continue
        names = view.layout.layers
        shift = view.backbone.offset
        block = cut.cut_block
        where_layer = view.layers[cut.index]
        parts = [
            f"the frozen/trainable boundary of {view.backbone.name} cuts through {block}: '{names[cut.index - 1]}' "
            f"(index {cut.index - 1 + shift}) is the last frozen layer and '{names[cut.index]}' (index {cut.index + shift}) "
            f"the first trainable one, so part of {block} is fine-tuned against a frozen rest"
        ]
        bn = [names[i] for i in cut.cut_block_trainable_batchnorm if view.layers[i] is not None and view.layers[i].trainable]
        bn_in_training_mode = bool(bn) and not _inference_mode(setup, view.backbone)
        if bn_in_training_mode:
            parts.append(f"its BatchNormalization layers {', '.join(bn)} are trainable and will update their statistics")
        if shift:
            parts.append(
                f"the '{view.container.name}' model's .layers "
                + ("has no InputLayer, so its indices are one less than the backbone's" if shift < 0 else f"has {shift} layer(s) before the backbone, so its indices are {shift} more than the backbone's")
            )
        yield report(
            "MC202",
            "; ".join(parts),
            _where(setup, _freeze_location(setup), where_layer.location if where_layer else None, view.backbone.location),
            _boundary_hint(setup, cut, names, shift),
            # A cut alone is advice (the TF tutorial's fine_tune_at = 100 is one); BatchNorm in
            # training mode or an index counted on a wrapper likely costs accuracy.
            severity=Severity.WARNING if bn_in_training_mode or shift else Severity.INFO,
        )


def _boundary_hint(setup: TrainingSetup, cut, names: tuple[str, ...], shift: int) -> str:
    if setup.kind == "config":
        return (
            f"Use `freeze: {cut.previous_aligned}` to fine-tune all of {cut.cut_block} ('{names[cut.previous_aligned]}' first), "
            f"or `freeze: {cut.next_aligned}` to keep it frozen."
        )
    return (
        f"Freeze layers[:{cut.previous_aligned + shift}] to fine-tune all of {cut.cut_block} ('{names[cut.previous_aligned]}' first), "
        f"or layers[:{cut.next_aligned + shift}] to keep it frozen."
    )


def _freeze_location(setup: TrainingSetup) -> Location | None:
    """Scripts: the freeze statement the user wrote (the last one that froze something)."""
    ops = [op for op in setup.freeze_ops if not op.trainable and op.location is not None]
    return ops[-1].location if ops else None


def _expectations(setup: TrainingSetup, view: BackboneView, cut) -> Iterator[Finding]:
    layers = view.layout.layers
    weighted_flags = [layer.trainable for i, layer in enumerate(view.layers) if layer is not None and view.weighted(i)]
    if cut is not None:
        frozen_count = cut.index
    elif weighted_flags and all(flag is False for flag in weighted_flags):
        frozen_count = len(layers)
    elif weighted_flags and all(flag is True for flag in weighted_flags):
        frozen_count = 0
    else:
        return
    for expectation in setup.expectations:
        where = _where(setup, expectation.location)
        if expectation.frozen_layers is not None and expectation.frozen_layers != frozen_count:
            yield report("MC202", f"{view.backbone.name} has {frozen_count} frozen layers but expect.frozen_layers declares {expectation.frozen_layers}", where,
                         f"Change the freeze setting so that {expectation.frozen_layers} layers are frozen, or update the expectation.")
        if expectation.trainable_from is not None:
            actual = layers[frozen_count] if frozen_count < len(layers) else None
            if actual != expectation.trainable_from:
                wanted = layers.index(expectation.trainable_from) if expectation.trainable_from in layers else None
                yield report(
                    "MC202",
                    f"{view.backbone.name} is trainable from '{actual}' (index {frozen_count}) but expect.trainable_from declares '{expectation.trainable_from}'"
                    + (f" (index {wanted})" if wanted is not None else " (no such layer in this backbone)"),
                    where,
                    f"Freeze the first {wanted} layers (freeze: {wanted})." if wanted is not None else "Use a layer name of this backbone.",
                )


# --- MC203 -------------------------------------------------------------------


@rule("MC203")
def trainable_changed_after_compile(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    events = sorted(
        [(c.order, "compile", c.location) for c in setup.compiles]
        + [(f.order, "fit", f.location) for f in setup.fits]
        + [(op.order, "freeze", op) for op in setup.freeze_ops],
        key=lambda event: event[0],
    )
    compiled = trained = False
    for position, (_, kind, payload) in enumerate(events):
        if kind == "compile":
            compiled, trained = True, False
        elif kind == "fit":
            trained = True
        elif compiled:
            later = [k for _, k, _ in events[position + 1 :] if k in ("compile", "fit")]
            if not later or later[0] != "fit":
                continue
            op = payload
            where = _where(setup, op.location)
            if trained:
                yield report(
                    "MC203",
                    f"`{op.target}` changes trainable after training, and fit() runs again without compile(): "
                    "Keras built the train function at the first fit, so this change has no effect on the next training",
                    where,
                    "Call model.compile(...) again (with a low learning rate for fine-tuning) after changing trainable.",
                )
            else:
                yield report(
                    "MC203",
                    f"`{op.target}` changes trainable after compile() and before the first fit(): Keras ≥ 2.4 and 3 honour it, "
                    "standalone Keras ≤ 2.3 silently ignored it, and the Keras guide asks for a recompile",
                    where,
                    "Set trainable before compile(), or call compile() again after the change.",
                    severity=Severity.WARNING,
                )


# --- MC204 -------------------------------------------------------------------


@rule("MC204")
def backbone_input_shape(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    model = setup.model
    if model is None:
        return
    reported_channels_first = False
    shape = model.input_shapes[0] if model.input_shapes else None
    if shape and _channels_first(shape) and not _declares_channels_first(model):
        reported_channels_first = True
        yield report(
            "MC204",
            f"input shape {tuple(shape)} is channels-first, but the model is channels-last (Keras' default): it is read as a "
            f"{shape[0]}-pixel-high image with {shape[-1]} channels; it builds, and trains on garbage",
            _where(setup, _input_location(model)),
            f"Use input_shape=({shape[1]}, {shape[2]}, {shape[0]}) and feed (height, width, channels) images.",
        )
    for view in _views(setup):
        backbone_shape = view.backbone.input_shape or shape
        if not backbone_shape or len(backbone_shape) != 3 or reported_channels_first:
            continue
        height, width, channels = backbone_shape
        if _declares_channels_first(model):  # set_image_data_format('channels_first'): (C, H, W)
            channels, height, width = backbone_shape
        where = _where(setup, view.backbone.location)
        if channels is not None and channels != 3 and _pretrained(view.backbone, settings):
            yield report(
                "MC204",
                f"{view.backbone.name} gets {channels}-channel input but its ImageNet weights have 3-channel first-layer filters: "
                "Keras refuses to load them, or the pretrained features do not apply",
                where,
                "Feed 3-channel images (color_mode='rgb', or repeat a grayscale channel three times).",
            )
        minimum = view.info.min_size
        small = [v for v in (height, width) if v is not None and minimum and v < minimum]
        if small:
            yield report(
                "MC204",
                f"{view.backbone.name} needs inputs of at least {minimum}×{minimum}, but gets {height}×{width}: "
                "its feature map shrinks to nothing before the last block",
                where,
                f"Resize images to at least {minimum}×{minimum} (its default is {view.info.default_size}).",
            )


def _channels_first(shape: tuple) -> bool:
    return len(shape) == 3 and shape[0] in (1, 3) and shape[-1] is not None and shape[-1] > 4 and shape[1] is not None and shape[1] > 4


def _declares_channels_first(graph) -> bool:
    return any(layer.config.get("data_format") == "channels_first" for _, layer in graph.walk())


def _input_location(graph) -> Location | None:
    for _, layer in graph.walk():
        if layer.location is not None:
            return layer.location
    return graph.location


# --- MC205 -------------------------------------------------------------------


def _call_training(setup: TrainingSetup, backbone: Backbone) -> bool | None:
    """The training= argument the nested backbone is called with (None: not given or unknown)."""
    if backbone.nested_as is None or setup.model is None:
        return None
    for path, layer in setup.model.walk():
        if layer.name == backbone.nested_as and path == backbone.container_path[:-1]:
            return layer.call_training
    return None


def _inference_mode(setup: TrainingSetup, backbone: Backbone) -> bool:
    """Whether the backbone is called with training=False."""
    return _call_training(setup, backbone) is False


@rule("MC205")
def batchnorm_training_mode(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    for view in _views(setup):
        if not _pretrained(view.backbone, settings) or _inference_mode(setup, view.backbone):
            continue
        if setup.kind == "config" and _call_training(setup, view.backbone) is None:
            continue  # a config that does not say how the backbone is called: unknown, stay silent
        indices = view.layout.batchnorm
        trainable_bn = [view.layers[i] for i in indices if view.layers[i] is not None and view.layers[i].trainable]
        if not trainable_bn:
            continue
        how = (
            f"nested as '{view.backbone.nested_as}' and called without training=False"
            if view.backbone.nested_as
            else "part of the model layer by layer, not called with training=False"
        )
        two_stage = _frozen_at_first_fit(setup, view)
        if two_stage is False:
            # Trainable from the first fit: BatchNorm adapting to the new data is common practice.
            yield report(
                "MC205",
                f"{view.backbone.name} trains {len(trainable_bn)} BatchNormalization layers in training mode from the first fit. "
                f"It is {how}, so the ImageNet statistics are replaced by those of your batches; "
                "that is common practice when training from the first fit, but small batches make the statistics noisy",
                _where(setup, view.backbone.location),
                "If the features drift, call the backbone as base(inputs, training=False) (Keras fine-tuning guide).",
                severity=Severity.INFO,
            )
            continue
        yield report(
            "MC205",
            (f"{len(trainable_bn)} BatchNormalization layers of {view.backbone.name} are trainable and run in training mode. "
             if len(trainable_bn) != 1 else f"1 BatchNormalization layer of {view.backbone.name} is trainable and runs in training mode. ")
            + f"{view.backbone.name} is {how}: "
            "during fit() they replace the ImageNet statistics with those of your small batches, and the pretrained features drift",
            _where(setup, view.backbone.location),
            "Call the backbone as base(inputs, training=False) in a functional model (Keras fine-tuning guide), or keep its BatchNormalization layers frozen.",
        )


def _frozen_at_first_fit(setup: TrainingSetup, view: BackboneView) -> bool | None:
    """Whether every weighted backbone layer was frozen when the first fit() ran (the two-stage
    recipe); None when the program order is unknown (a model file, no fit in the script)."""
    if setup.kind != "script" or not setup.fits:
        return None
    first_fit = min(fit.order for fit in setup.fits)
    weighted = [view.layers[i].name for i in view.layout.weighted if i < len(view.layers) and view.layers[i] is not None]
    trainable = dict.fromkeys(weighted, True)
    for op in sorted(setup.freeze_ops, key=lambda op: op.order):
        if op.order >= first_fit:
            break
        for name in op.layers:
            if name in trainable:
                trainable[name] = op.trainable
    return bool(weighted) and not any(trainable.values())


# --- MC206 -------------------------------------------------------------------


def trainable_pretrained_layers(setup: TrainingSetup, settings: Settings) -> int:
    """How many weighted layers of pretrained backbones are trainable (MC206, MC207)."""
    return sum(len(_trainable_weighted(view)) for view in _views(setup) if _pretrained(view.backbone, settings))


def _trainable_weighted(view: BackboneView) -> list:
    """The view's weighted layers that are trainable."""
    return [layer for i, layer in enumerate(view.layers) if layer is not None and view.weighted(i) and layer.trainable]


@rule("MC206")
def fine_tune_learning_rate(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    compiled = setup.compile
    if compiled is None or compiled.optimizer is None:
        return
    optimizer = compiled.optimizer
    rate = optimizer.learning_rate
    if rate is None:
        rate = OPTIMIZER_DEFAULT_LR.get(optimizer.class_name or "")
    if rate is None or optimizer.class_name is None:
        return
    limit = 1e-2 if optimizer.class_name == "SGD" else 1e-3 if optimizer.class_name in ADAPTIVE_OPTIMIZERS else None
    if limit is None or rate < limit * 0.999:
        return
    for view in _views(setup):
        if not _pretrained(view.backbone, settings):
            continue
        trainable = _trainable_weighted(view)
        if not trainable:
            continue
        yield report(
            "MC206",
            f"{len(trainable)} pretrained layers of {view.backbone.name} are trainable under {optimizer.class_name} with learning rate {rate:g}: "
            "updates this large wipe out the ImageNet features in the first few hundred steps, and the fine-tuned model ends up worse than the frozen one",
            _where(setup, optimizer.location, compiled.location),
            f"Fine-tune with {optimizer.class_name}(learning_rate=1e-5) (1e-5 to 1e-4), or freeze the backbone while the new head trains.",
        )
        return

