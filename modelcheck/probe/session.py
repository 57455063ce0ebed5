"""One probe of one model, end to end: batch, cache, runs, A/B, verdict."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from modelcheck.findings import Finding
from modelcheck.ir import Location
from modelcheck.probe import ab, build, cache, data, expected, outcomes, run, verdict
from modelcheck.probe.data import DEFAULT_SIZE
from modelcheck.vocab import canonical_optimizer
from modelcheck.probe.report import ProbeReport, Trajectory

ADAPTIVE = {"Adam", "AdamW", "Nadam", "Adamax", "Lion"}


@dataclass(frozen=True)
class Options:
    data: Any = None
    """A directory of class folders, an (x, y) pair of arrays, or None (synthetic)."""
    steps: int = 100
    seconds: float = 30.0
    seed: int = 0
    batch_size: int = DEFAULT_SIZE
    ab: bool = True
    reference: bool = True
    cache: bool = True
    """Run a frozen prefix once (False: train the whole model every step, for comparisons)."""


def feature_problem(features: np.ndarray) -> str | None:
    """Why frozen features carry no signal, or None when they vary from image to image."""
    flat = features.reshape(len(features), -1).astype("float64")
    if not np.all(np.isfinite(flat)):
        return "the frozen layers output NaN/Inf"
    scale = float(np.mean(np.abs(flat)))
    spread = float(np.mean(np.std(flat, axis=0)))
    if scale < 1e-6:
        return f"the frozen layers output almost nothing (mean |feature| {scale:.1g})"
    if spread < 1e-3 * scale:
        return f"the frozen layers give every image the same features (spread {spread / scale:.1g} of their size)"
    return None


def assumed_scaling(model: Any, info: expected.BackboneInfo | None) -> data.InputScaling:
    """A neutral scaling when no pipeline is declared: the backbone's own, or raw for internal
    preprocessing, or [-1, 1]."""
    if info is not None and info.module:
        return data.InputScaling("preprocess_input", module=info.module)
    for _, layer in build.walk_layers(model)[:4]:
        if type(layer).__name__ in ("Rescaling", "Normalization"):
            return data.RAW
        if layer.weights:
            break
    return data.SYMMETRIC


def data_directory(pipeline: Any, setup: Any) -> str | None:
    """The pipeline's image directory as the static reader finds it: relative to the script, then the CWD.

    None when the pipeline names none, or none that exists (the probe then uses synthetic images).
    """
    declared = getattr(pipeline, "directory", None)
    if not declared:
        return None
    if os.path.isabs(declared):
        return declared if os.path.isdir(declared) else None
    script_dir = os.path.dirname(getattr(setup, "path", "") or "")
    for candidate in (os.path.join(script_dir, declared), declared):
        if os.path.isdir(candidate):
            return candidate
    return None


def weights_text(prepared: build.PreparedModel) -> str:
    """Which weights the probe trains from, for the report."""
    if prepared.weights:
        return "; ".join(prepared.weights)
    if prepared.origin == "file":
        return "the model file's own weights"
    if prepared.origin == "live":
        return "the live model's weights"
    return "rebuilt from the setup, no pretrained backbone"


def _adaptive_enough(optimizer: Any) -> bool:
    if not isinstance(optimizer, dict):
        return False
    rate = optimizer.get("config", {}).get("learning_rate")
    return canonical_optimizer(str(optimizer.get("class_name"))) in ADAPTIVE and isinstance(rate, (int, float)) and rate >= 5e-4


def _metric_for(batch: data.ProbeBatch, units: int) -> str:
    if batch.encoding != "given":
        return build.accuracy_metric(batch.encoding, units)
    y = np.asarray(batch.y)
    if y.ndim == 2 and y.shape[1] > 1:
        return "categorical_accuracy"
    return "binary_accuracy" if units == 1 else "sparse_categorical_accuracy"


def frozen_state(model: Any) -> tuple[bool, bool]:
    """(has frozen layers with weights, all of them still at their initial values).

    Keras initialises biases and BatchNorm beta/moving mean to exactly 0 and gamma/moving
    variance to exactly 1; trained (or pretrained) weights never keep all of them there.
    """
    import keras

    frozen = [layer for _, layer in build.walk_layers(model)
              if layer.weights and not layer.trainable_weights and not (hasattr(layer, "layers") and layer.layers)]
    if not frozen:
        return False, False
    checked = 0
    for layer in frozen:
        kind = type(layer).__name__
        if kind == "BatchNormalization":
            values = {v.path.rsplit("/", 1)[-1]: keras.ops.convert_to_numpy(v) for v in layer.weights}
            zero_ok = all(not np.any(values[k]) for k in ("beta", "moving_mean") if k in values)
            one_ok = all(np.all(values[k] == 1) for k in ("gamma", "moving_variance") if k in values)
            if not (zero_ok and one_ok):
                return True, False
            checked += 1
        elif getattr(layer, "bias", None) is not None:
            if np.any(keras.ops.convert_to_numpy(layer.bias)):
                return True, False
            checked += 1
    return True, checked > 0


def _bn_trains(model: Any) -> bool:
    return any(type(layer).__name__ == "BatchNormalization" and layer.trainable for _, layer in build.walk_layers(model))


def _locations(prepared: build.PreparedModel) -> tuple[Location, dict[str, Location]]:
    setup = prepared.setup
    if prepared.origin == "setup" and setup is not None:
        anchor = (setup.fits[-1].location if setup.fits else None) or (setup.compile.location if setup.compile else None)
        by_name = {}
        if setup.model is not None:
            for _, layer in setup.model.walk():
                if layer.location is not None:
                    by_name[layer.name] = layer.location
        paths = {path: by_name[path.rsplit("/", 1)[-1]] for path, _ in build.walk_layers(prepared.model) if path.rsplit("/", 1)[-1] in by_name}
        return anchor or Location(setup.path), paths
    paths = {path: Location(prepared.path, layer=path) for path, _ in build.walk_layers(prepared.model)}
    return Location(prepared.path), paths


def setup_freeze_location(prepared: build.PreparedModel) -> Location | None:
    """Where the last trainable change before the final fit happened (for a stale replay)."""
    setup = prepared.setup
    if setup is None or not setup.freeze_ops:
        return None
    last_fit = max((fit.order for fit in setup.fits), default=None)
    before = [op for op in setup.freeze_ops if last_fit is None or op.order < last_fit]
    return before[-1].location if before and before[-1].location else None


def probe_prepared(prepared: build.PreparedModel, options: Options, static_findings: Iterable[Finding] = ()) -> ProbeReport:
    """Probe one prepared model and judge it."""
    import keras

    run.quiet()
    started = time.perf_counter()
    backend, device = run.device_info()
    result = ProbeReport(prepared.path, backend, device, options.steps, options.seconds)
    result.weights = weights_text(prepared)
    result.notes.extend(prepared.notes)
    keras.utils.set_random_seed(options.seed)
    model = prepared.model
    setup = prepared.setup
    pipeline = setup.pipeline("train") if setup is not None else None
    info = expected.find_backbone(model, setup, prepared.origin)
    scaling = data.from_ir_scaling(pipeline.scaling) if pipeline is not None else None
    if scaling is None:
        scaling = assumed_scaling(model, info)
    directory = options.data if isinstance(options.data, str) else data_directory(pipeline, setup)
    arrays = options.data if isinstance(options.data, tuple) else None
    if prepared.stale:
        plan, cache_note = None, "not cached: the script's stale training function is replayed as is"
    elif not options.cache:
        plan, cache_note = None, "not cached: cache disabled"
    else:
        plan, cache_note = cache.plan(model)
    floats = run.activation_floats(model, skip={node.key for node in plan.prefix} if plan else set())
    size = run.safe_batch_size(options.batch_size, floats, device.startswith(("GPU", "CUDA")))
    if size < options.batch_size:
        result.notes.append(f"batch reduced to {size} so activations fit in memory")
    findings = list(static_findings)
    shape = prepared.input_shape
    if any(dim <= 0 for dim in shape):
        shape = tuple(dim if dim > 0 else (3 if index == len(shape) - 1 else 64) for index, dim in enumerate(shape))
        result.notes.append(f"the model's input size is not fixed: probed at {shape}")
    while True:
        batch = data.make_batch(
            shape, prepared.output_units, prepared.loss_name, scaling,
            directory=directory, arrays=arrays, class_mode=pipeline.class_mode if pipeline is not None else None,
            channel_order=pipeline.channel_order if pipeline is not None else None, size=size, seed=options.seed,
        )
        try:
            _probe_with(prepared, batch, plan, cache_note, options, result, findings, info)
            break
        except Exception as error:  # the probe reports what went wrong; it never takes the linter down
            if not isinstance(error, run.OutOfMemory) and not run.is_oom(error):
                result.findings.append(outcomes.failed(f"{backend} raised {outcomes.error_text(error, 400)}",
                                                       Location(prepared.path), outcomes.BACKEND_HINT))
                break
            if size <= 2:
                result.findings.append(outcomes.failed(
                    f"it ran out of memory on {device} even with a batch of 2 ({run.oom_line(error)})",
                    Location(prepared.path), outcomes.OOM_HINT if device.startswith(("GPU", "CUDA")) else outcomes.OOM_HINT_CPU))
                break
            size = max(2, size // 2)
            result.notes.append(f"out of memory: retried with a batch of {size}")
            result.trajectories.clear()
    result.elapsed = time.perf_counter() - started
    return result


def _probe_with(
    prepared: build.PreparedModel, batch: data.ProbeBatch, plan: cache.CachePlan | None, cache_note: str,
    options: Options, result: ProbeReport, static_findings: list[Finding], info: expected.BackboneInfo | None,
) -> None:
    import keras

    model = prepared.model
    units = prepared.output_units
    metric = _metric_for(batch, units)
    from_logits = bool(prepared.from_logits)
    known = len(prepared.notes)
    build.prepare_training(prepared, batch, metric)
    result.notes.extend(prepared.notes[known:])
    initial = model.get_weights()
    result.batch_size, result.num_classes, result.data = batch.size, batch.num_classes, batch.description
    result.notes.extend(n for n in batch.notes if n not in result.notes)
    budget = run.Budget(options.steps, options.seconds)
    optimizer_text = build.describe_optimizer(prepared.optimizer)
    try:
        train_model, x_train, problem = _trainable_part(model, plan, batch.x, prepared, metric, result, cache_note)
        main = run.train(train_model, model, x_train, batch.y, batch.labels, budget, label="as written",
                         optimizer=optimizer_text, metric=metric, from_logits=from_logits)
        result.trajectories.append(main)
        reference = None
        ratio = verdict._ratio(main)
        if (
            options.reference and not prepared.stale and ratio is not None and verdict.STUCK < ratio < 1.5
            and any(main.trainable.values()) and not _adaptive_enough(prepared.optimizer) and main.stopped != "error"
        ):
            model.set_weights(initial)
            keras.utils.set_random_seed(options.seed)
            adam = keras.optimizers.serialize(keras.optimizers.Adam(1e-3))
            build.compile_model(train_model, adam, prepared.loss, metric)
            reference = run.train(train_model, model, x_train, batch.y, batch.labels, budget, label="reference Adam(0.001)",
                                  optimizer="Adam(0.001)", metric=metric, from_logits=from_logits)
            result.trajectories.append(reference)
        ab_runs = _ab_runs(prepared, batch, plan, initial, options, static_findings, info, metric, from_logits, budget, result)
    except Exception:
        model.set_weights(initial)  # an out-of-memory retry starts from the same weights
        raise
    has_frozen, untouched = frozen_state(model)
    ctx = verdict.Context(
        path=prepared.path, main=main, num_classes=batch.num_classes, output_units=units, loss_name=prepared.loss_name,
        labels=batch.labels, data_source=batch.source, untrained=prepared.untrained,
        random_backbones=prepared.random_backbones, frozen_prefix=has_frozen, frozen_untrained=untouched,
        feature_problem=problem,
        reference=reference, ab=ab_runs, stale=prepared.stale, intended_trainable=prepared.intended_trainable,
        has_batchnorm_training=_bn_trains(train_model), input_check=expected.check_inputs(model, batch, info),
        stale_layers=list(prepared.stale_layers),
    )
    ctx.location, ctx.layer_locations = _locations(prepared)
    pipeline = prepared.setup.pipeline("train") if prepared.setup is not None else None
    if pipeline is not None and pipeline.scaling is not None:
        ctx.scaling_location = pipeline.scaling.location or pipeline.location
    if prepared.stale and setup_freeze_location(prepared) is not None:
        ctx.freeze_location = setup_freeze_location(prepared)
    findings, notes = verdict.judge(ctx)
    result.findings.extend(findings)
    result.notes.extend(notes)


def _trainable_part(
    model: Any, plan: cache.CachePlan | None, x: np.ndarray, prepared: build.PreparedModel, metric: str,
    result: ProbeReport, cache_note: str,
) -> tuple[Any, Any, str | None]:
    """(model to train, its input, feature problem): the rest after a cached frozen prefix, or the whole model."""
    if plan is None:
        result.cache, result.cache_note = False, cache_note
        return model, x, None
    started = time.perf_counter()
    features = cache.features(plan, x)
    rest = cache.rest_model(plan, tuple(features.shape[1:]))
    build.compile_model(rest, prepared.optimizer, prepared.loss, metric)
    result.cache = True
    result.cache_note = f"{plan.description} in {time.perf_counter() - started:.1f} s"
    return rest, features, feature_problem(features)


def _mc201_skip(prepared: build.PreparedModel, batch: data.ProbeBatch, info: expected.BackboneInfo | None) -> str | None:
    """Why an MC201 A/B run (inputs as written vs the backbone's preprocess_input) would say nothing, or None.

    On random backbone weights every scaling is as good as any other, and on synthetic images
    neither is what the weights were trained on: a comparison would only mislead.
    """
    name = info.name if info is not None else "the backbone"
    if prepared.random_backbones or info is None or info.pretrained is not True:
        return (f"{name} has random weights here, and which input scaling trains better on random features says "
                "nothing about pretrained ones. Put its ImageNet weights in the Keras cache (run the script once) "
                "or pass --probe-weights download / PATH")
    if batch.source != "images":
        return (f"no real images ({batch.source} inputs): pretrained features are only meaningful on images like "
                "the ones they were trained on. Pass --data DIR with a folder per class")
    return None


def _ab_runs(
    prepared: build.PreparedModel, batch: data.ProbeBatch, plan: cache.CachePlan | None, initial: list[Any],
    options: Options, static_findings: list[Finding], info: expected.BackboneInfo | None, metric: str,
    from_logits: bool, budget: run.Budget, result: ProbeReport,
) -> list[tuple[str, Trajectory]]:
    import keras

    if not options.ab:
        return []
    paths = {prepared.path, prepared.setup.path if prepared.setup is not None else prepared.path}
    detected = ab.detected_codes(prepared.model, prepared.loss_name)
    fixes = ab.fixes_for(static_findings, paths, info.module if info else None, detected)
    runs: list[tuple[str, Trajectory]] = []
    for fix in fixes:
        keras.utils.set_random_seed(options.seed)
        skip = _mc201_skip(prepared, batch, info) if fix.code == "MC201" else None
        if skip:
            result.notes.append(f"MC201: A/B skipped: {skip}")
            continue
        if fix.kind == "model":
            clone = ab.fixed_clone(prepared.model, fix, initial)
            x_fixed = batch.x
        elif batch.raw is not None:
            clone = ab.clone_as_is(prepared.model, initial)
            x_fixed = data.scale(batch.raw, data.InputScaling("preprocess_input", module=fix.module, declared=True))
        else:
            result.notes.append(f"{fix.code}: no raw pixels to rescale (arrays given), A/B skipped")
            continue
        if clone is None:
            result.notes.append(f"{fix.code}: nothing to change in the rebuilt model, A/B skipped")
            continue
        clone_plan = cache.plan(clone)[0] if plan is not None and options.cache else None
        scratch = ProbeReport(prepared.path)
        train_model, x_train, _ = _trainable_part(clone, clone_plan, x_fixed, prepared, metric, scratch, "")
        if train_model is clone:
            build.compile_model(clone, prepared.optimizer, prepared.loss, metric)
        fixed = run.train(train_model, clone, x_train, batch.y, batch.labels, budget, label=fix.label,
                          optimizer=build.describe_optimizer(prepared.optimizer), metric=metric, from_logits=from_logits)
        result.trajectories.append(fixed)
        runs.append((fix.code, fixed))
        main = result.trajectories[0]
        if main.initial_loss is not None and fixed.final_loss is not None and math.isfinite(fixed.final_loss):
            result.notes.append(f"A/B {fix.code}: {main.summary()} as written; {fixed.summary()} {fix.label}")
    return runs
