"""MC3xx: data pipeline and labels."""

from __future__ import annotations

import math
import re
from typing import Iterator

from modelcheck.checks.graph import head_of
from modelcheck.checks.scaling import describe_scaling, mode_text, scaling_mode
from modelcheck.engine import report, rule
from modelcheck.findings import Finding
from modelcheck.ir import Location, Pipeline, TrainingSetup
from modelcheck.settings import Settings
from modelcheck.vocab import CATEGORICAL_LOSSES

_ONE_HOT = {"categorical"}
_INTEGER = {"sparse", "int"}
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def _where(setup: TrainingSetup, *candidates: Location | None) -> Location:
    for candidate in candidates:
        if candidate is not None:
            return candidate
    return Location(setup.path)


def _training_pipelines(setup: TrainingSetup) -> list[Pipeline]:
    return [p for p in setup.pipelines if p.role in ("train", "validation")]


@rule("MC301")
def label_encoding_mismatch(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    compiled = setup.compile
    loss = compiled.loss.name if compiled and compiled.loss else None
    head = head_of(setup.model) if setup.model else None
    for pipeline in _training_pipelines(setup):
        mode = pipeline.class_mode
        if mode is None:
            continue
        where = _where(setup, pipeline.class_mode_location, pipeline.location)
        arg = "label_mode" if pipeline.source == "image_dataset_from_directory" else "class_mode"
        classes = pipeline.num_classes
        if mode == "none" and pipeline.role == "train" and setup.fits:
            yield report("MC301", f"{arg}=None yields images without labels, but this pipeline is used to train: the model gets no targets", where,
                         f"Use {arg}='categorical' (one-hot) or 'sparse'/'int' (integer labels) to match your loss.")
        elif mode == "binary" and classes is not None and classes > 2:
            yield report("MC301", f"{arg}='binary' over {classes} class folders: labels become 0/1 floats for only two classes, and the other "
                         f"{classes - 2} classes are mislabelled or rejected", where,
                         f"Use {arg}='categorical' with a {classes}-unit softmax output and categorical_crossentropy.")
        elif mode == "binary" and head and head[0] == "softmax" and head[1] and head[1] > 2:
            yield report("MC301", f"{arg}='binary' gives one 0/1 label per image, but the output is a {head[1]}-way softmax", where,
                         f"Use {arg}='categorical' for a {head[1]}-way softmax output.")
        elif mode in _ONE_HOT and loss == "sparse_categorical_crossentropy":
            yield report("MC301", f"{arg}={mode!r} yields one-hot labels but the loss is sparse_categorical_crossentropy. That loss expects integer class ids", where,
                         f"Use {arg}='{'int' if arg == 'label_mode' else 'sparse'}' or loss='categorical_crossentropy'.")
        elif mode in _INTEGER and loss in CATEGORICAL_LOSSES:
            yield report("MC301", f"{arg}={mode!r} yields integer class ids but the loss is {loss}. That loss expects one-hot labels", where,
                         f"Use {arg}='categorical' or loss='sparse_categorical_crossentropy'.")
        elif mode == "binary" and loss in CATEGORICAL_LOSSES and head and head[0] == "softmax" and head[1] == 2:
            yield report("MC301", f"{arg}='binary' yields one 0/1 label per image, but the output is a 2-unit softmax. {loss} expects one-hot pairs", where,
                         f"Use {arg}='categorical' with the 2-unit softmax, or a 1-unit sigmoid with binary_crossentropy.")
    for labels in setup.labels:
        if labels.encoding == "one-hot" and loss == "sparse_categorical_crossentropy":
            yield report("MC301", "labels are one-hot encoded (to_categorical) but the loss is sparse_categorical_crossentropy. That loss expects integer class ids",
                         _where(setup, labels.location), "Drop to_categorical, or use loss='categorical_crossentropy'.")


@rule("MC302")
def augmented_validation(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    for pipeline in setup.pipelines:
        if pipeline.role in ("validation", "test") and pipeline.augmentation:
            augmentations = ", ".join(pipeline.augmentation)
            yield report(
                "MC302",
                f"the {pipeline.role} pipeline{_name(pipeline)} applies random augmentation. It applies {augmentations}: every evaluation scores "
                "different, distorted images, so validation numbers are noisy, pessimistic and not comparable between epochs",
                _where(setup, pipeline.augmentation_location, pipeline.location),
                "Augment only the training pipeline; give validation/test the same scaling and size, nothing random.",
            )


def _name(pipeline: Pipeline) -> str:
    return f" '{pipeline.name}'" if pipeline.name else ""


@rule("MC303")
def train_eval_preprocessing_differs(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    train = setup.pipeline("train")
    if train is None:
        return
    for other in setup.pipelines:
        if other.role == "train" or other is train:
            continue
        where = _where(setup, other.location)
        problems = []
        mode_train, mode_other = scaling_mode(train.scaling), scaling_mode(other.scaling)
        if "unknown" not in (mode_train, mode_other) and mode_train != mode_other:
            problems.append(f"training scales pixels by {describe_scaling(train.scaling)} but this {other.role} pipeline by {describe_scaling(other.scaling)}")
            where = _where(setup, other.scaling.location if other.scaling else None, other.location)
        if train.target_size and other.target_size and train.target_size != other.target_size:
            problems.append(f"training resizes to {train.target_size} but {other.role} to {other.target_size}")
        if train.color_mode and other.color_mode and train.color_mode != other.color_mode:
            problems.append(f"training reads '{train.color_mode}' images but {other.role} reads '{other.color_mode}'")
        if other.role == "predict":
            if other.channel_order == "BGR" and train.channel_order != "BGR":
                problems.append("cv2.imread returns BGR but the model was trained on RGB images")
            if other.resized is False and train.target_size:
                problems.append(f"the image is not resized to the {train.target_size} the model was trained on")
        if problems:
            yield report(
                "MC303",
                f"{other.role} input differs from training{_name(other)}: " + "; ".join(problems)
                + ". The model sees inputs unlike anything it was trained on, and its accuracy there is silently lower",
                where,
                "Build every pipeline from one preprocessing function (same size, color order and scaling as training).",
            )


@rule("MC303")
def double_scaling(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    """`rescale` on top of a preprocessing_function that already scales the pixels."""
    seen: set[Location | None] = set()
    for pipeline in setup.pipelines:
        steps = pipeline.scaling.steps if pipeline.scaling else ()
        if len(steps) != 2 or steps[1].kind != "rescale" or steps[1].location in seen:
            continue  # one generator feeding several pipelines is one finding
        seen.add(steps[1].location)
        first, then = steps
        mode = scaling_mode(first)
        if mode in ("raw", "unknown"):
            continue  # the function leaves 0-255 pixels (or does something unknown): rescale may be right
        yield report(
            "MC303",
            f"the {pipeline.role} pipeline{_name(pipeline)} scales twice: {describe_scaling(first)}, then {describe_scaling(then)}. "
            f"The function already maps pixels to {mode_text(mode)}, and rescale shrinks them again, "
            "so the model sees inputs near zero that match neither the weights nor the other pipelines",
            _where(setup, then.location, pipeline.location),
            "Drop rescale= when preprocessing_function already scales the pixels.",
        )


@rule("MC304")
def steps_misuse(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    for fit in setup.fits:
        for value, expr, location, role, arg in (
            (fit.steps_per_epoch, fit.steps_expr, fit.steps_location, "train", "steps_per_epoch"),
            (fit.validation_steps, fit.validation_steps_expr, fit.validation_steps_location, "validation", "validation_steps"),
        ):
            if value is None and expr is None:
                continue
            if _legacy_sample_count(setup, location):
                continue  # Keras 1's samples_per_epoch counted samples; MC402 gives the conversion
            pipeline = _pipeline_named(setup, fit.train if role == "train" else fit.validation, role)
            samples = pipeline.num_samples if pipeline else None
            batch = (pipeline.batch_size if pipeline else None) or fit.batch_size
            where = _where(setup, location, fit.location)
            if samples and batch and value is not None:
                expected = math.ceil(samples / batch)
                if value > expected:
                    yield report("MC304", f"{arg}={value:g} but the {role} data holds {samples} images in batches of {batch}, i.e. {expected} step{'s' if expected != 1 else ''}: "
                                 "the generator is asked for batches it does not have (Keras stops early or loops the data)", where,
                                 f"Use {arg}=math.ceil({samples} / {batch}) = {expected}, or leave it out.")
                    continue
            if expr and re.search(r"sample|images|files|num_train|num_val|nb_train|nb_val", expr, re.I) and not re.search(r"/|//|ceil|len\(", expr):
                yield report("MC304", f"{arg}={expr} passes a number of samples where Keras expects a number of batches: "
                             f"each epoch runs batch_size times too many steps", where,
                             f"Use {arg}=math.ceil({expr} / batch_size), or leave it out and let Keras use the whole dataset.")


def _legacy_sample_count(setup: TrainingSetup, location: Location | None) -> bool:
    return location is not None and any(
        use.location == location and use.api.startswith(("samples_per_epoch", "nb_val_samples")) for use in setup.api_uses
    )


def _pipeline_named(setup: TrainingSetup, name: str | None, role: str) -> Pipeline | None:
    for pipeline in setup.pipelines:
        if name and pipeline.name == name:
            return pipeline
    return setup.pipeline(role)


@rule("MC305")
def pipeline_shape_mismatch(setup: TrainingSetup, settings: Settings) -> Iterator[Finding]:
    if setup.model is None or not setup.model.input_shapes:
        return
    shape = setup.model.input_shapes[0]
    if len(shape) != 3:
        return
    height, width, channels = shape
    if height in (1, 3) and channels is not None and channels > 4:
        return  # a channels-first input shape: MC204 reports that, the sizes here would only echo it
    for pipeline in setup.pipelines:
        if pipeline.role == "predict":
            continue
        problems = []
        if pipeline.target_size and height and width and tuple(pipeline.target_size) != (height, width):
            problems.append(f"resizes images to {tuple(pipeline.target_size)} but the model input is {height}×{width}")
        wanted = _CHANNELS.get(pipeline.color_mode or "")
        if wanted and channels and wanted != channels:
            problems.append(f"reads '{pipeline.color_mode}' images ({wanted} channel{'s' if wanted > 1 else ''}) but the model input has {channels}")
        if problems:
            yield report(
                "MC305",
                f"the {pipeline.role} pipeline{_name(pipeline)} " + " and ".join(problems) + ": Keras fails at the first batch or, for a flexible input, trains on a different image size than intended",
                _where(setup, pipeline.location),
                f"Make target_size {(height, width)} and color_mode match the model's input_shape {shape}.",
            )
