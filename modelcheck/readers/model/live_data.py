"""Input pipelines of a live training run, read from the objects that feed the model.

A directory of class folders, a ``DirectoryIterator`` / ``DataFrameIterator`` /
``NumpyArrayIterator`` (tf.keras, Keras 3 legacy, tf-keras), a
``tf.data.Dataset`` (``element_spec``, ``class_names``) or NumPy ``(x, y)``
arrays, read by duck typing. Anything else is unknown, and rules stay silent.
"""

from __future__ import annotations

import os
from typing import Any

from modelcheck.ir import Labels, Location, Pipeline, Scaling
from modelcheck.readers.model.live_values import as_int, shape_of
from modelcheck.vocab import AUGMENTATION_ARGS, DATA_DEPENDENT_ARGS

_COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}
_ARRAY_SAMPLE = 64
"""Rows of an array inspected for its value range and label encoding (bounded cost)."""


def pipeline_from_data(data: Any, role: str, path: str, name: str | None = None) -> tuple[Pipeline | None, Labels | None]:
    """A Pipeline (and Labels for arrays) from whatever feeds the model.

    Accepts a directory of class folders (str or PathLike), a
    ``DirectoryIterator`` / ``DataFrameIterator`` / ``NumpyArrayIterator``, a
    ``tf.data.Dataset``, an ``(x, y)`` pair of arrays or ``x`` alone. Anything
    else gives ``(None, None)``: unknown, and rules stay silent.
    """
    key = name or f"{role}_data"
    where = Location(path, key=key)
    if isinstance(data, (str, os.PathLike)):
        return _directory_pipeline(os.fspath(data), role, where, key), None
    if hasattr(data, "image_data_generator"):
        return _iterator_pipeline(data, role, where, key)
    if hasattr(data, "element_spec"):
        return _dataset_pipeline(data, role, where, key), None
    if isinstance(data, (tuple, list)) and data and hasattr(data[0], "shape"):
        x = data[0]
        y = data[1] if len(data) > 1 else None
        return _array_pipeline(x, y, role, where, key)
    if hasattr(data, "shape") and hasattr(data, "dtype"):
        return _array_pipeline(data, None, role, where, key)
    return None, None


def _directory_pipeline(directory: str, role: str, where: Location, key: str) -> Pipeline | None:
    from modelcheck.readers.data_dir import inspect_directory

    facts = inspect_directory(directory)
    if facts is None:
        return None
    return Pipeline(
        role=role,
        source="directory",
        directory=directory,
        num_classes=facts.num_classes or None,
        num_samples=facts.num_samples,
        image_channels=facts.image_channels,
        location=where,
        name=key,
    )


def _iterator_pipeline(iterator: Any, role: str, where: Location, key: str) -> tuple[Pipeline, Labels | None]:
    generator = getattr(iterator, "image_data_generator", None)
    scaling = generator_scaling(generator, where) if generator is not None else None
    augmentation = generator_augmentation(generator) if generator is not None else ()
    image_shape = shape_of(getattr(iterator, "image_shape", None))
    target = getattr(iterator, "target_size", None)
    target_size = tuple(int(v) for v in target) if isinstance(target, (tuple, list)) and len(target) == 2 else None
    class_mode: str | None
    labels: Labels | None = None
    if hasattr(iterator, "class_mode"):
        mode = getattr(iterator, "class_mode")
        class_mode = "none" if mode is None else str(mode)
        source = "flow_from_dataframe" if hasattr(iterator, "x_col") else "flow_from_directory"
        num_classes = as_int(getattr(iterator, "num_classes", None))
    else:  # NumpyArrayIterator: the labels are arrays
        source = "flow"
        y = getattr(iterator, "y", None)
        class_mode, num_classes, labels = _label_facts(y, where) if y is not None else (None, None, None)
        x = getattr(iterator, "x", None)
        if image_shape is None and hasattr(x, "shape") and len(x.shape) == 4:
            image_shape = shape_of(x.shape[1:])
    if target_size is None and image_shape is not None and len(image_shape) == 3:
        target_size = (image_shape[0], image_shape[1]) if None not in image_shape[:2] else None  # type: ignore[assignment]
    channels = image_shape[-1] if image_shape else None
    color_mode = getattr(iterator, "color_mode", None)
    if not isinstance(color_mode, str):
        color_mode = _COLOR_MODES.get(channels) if isinstance(channels, int) else None
    pipeline = Pipeline(
        role=role,
        source=source,
        scaling=scaling,
        augmentation=augmentation,
        augmentation_location=Location(where.path, key=f"{key}.image_data_generator") if augmentation else None,
        target_size=target_size,
        color_mode=color_mode,
        class_mode=class_mode,
        class_mode_location=Location(where.path, key=f"{key}.class_mode") if class_mode is not None else None,
        directory=getattr(iterator, "directory", None) if isinstance(getattr(iterator, "directory", None), str) else None,
        num_classes=num_classes,
        num_samples=as_int(getattr(iterator, "samples", None) if hasattr(iterator, "samples") else getattr(iterator, "n", None)),
        image_channels=channels if isinstance(channels, int) else None,
        batch_size=as_int(getattr(iterator, "batch_size", None)),
        location=where,
        name=key,
    )
    return pipeline, labels


def generator_scaling(generator: Any, where: Location) -> Scaling:
    """What an ``ImageDataGenerator`` does to pixel values: ``rescale`` and/or ``preprocessing_function``."""
    location = Location(where.path, key=f"{where.key}.image_data_generator" if where.key else None)
    if any(bool(getattr(generator, name, False)) for name in DATA_DEPENDENT_ARGS):
        return Scaling("unknown", location=location)
    rescale = getattr(generator, "rescale", None)
    function = getattr(generator, "preprocessing_function", None)
    factor = float(rescale) if isinstance(rescale, (int, float)) and not isinstance(rescale, bool) and rescale else None
    if function is not None:
        family = function_family(function)
        if family is None or (factor is not None and factor != 1.0):
            return Scaling("unknown", location=location)
        return Scaling("preprocess_input", family=family, location=location)
    if factor is None or factor == 1.0:
        return Scaling("none", location=location)
    return Scaling("rescale", factor=factor, location=location)


def function_family(function: Any) -> str | None:
    """The keras.applications module a ``preprocess_input`` comes from, by its ``__module__``.

    ``keras.src.applications.vgg16`` / ``tf_keras.src.applications.vgg16`` /
    ``keras.applications.vgg16`` → ``'vgg16'``; None for any other function.
    """
    from modelcheck.knowledge import module_info

    module = getattr(function, "__module__", None)
    name = getattr(function, "__name__", None)
    if not isinstance(module, str) or name != "preprocess_input":
        return None
    parts = module.split(".")
    if "applications" not in parts:
        return None
    family = parts[-1]
    return family if module_info(family) is not None else None


def generator_augmentation(generator: Any) -> tuple[str, ...]:
    """The random transforms an ``ImageDataGenerator`` applies (non-default arguments)."""
    found: list[str] = []
    for name in AUGMENTATION_ARGS:
        value = getattr(generator, name, None)
        if name == "zoom_range":
            try:
                low, high = (float(v) for v in value)  # stored as [1 - z, 1 + z]
            except (TypeError, ValueError):
                continue
            if (low, high) != (1.0, 1.0):
                found.append(name)
        elif name == "brightness_range":
            if value is not None:
                found.append(name)
        elif isinstance(value, (list, tuple)):
            if any(v for v in value):
                found.append(name)
        elif value:
            found.append(name)
    return tuple(found)


def _dataset_pipeline(dataset: Any, role: str, where: Location, key: str) -> Pipeline | None:
    spec = dataset.element_spec
    if isinstance(spec, dict):
        return None
    parts = list(spec) if isinstance(spec, (tuple, list)) else [spec]
    x_shape = shape_of(getattr(parts[0], "shape", None)) if parts else None
    y_spec = parts[1] if len(parts) > 1 else None
    class_names = getattr(dataset, "class_names", None)
    num_classes = len(class_names) if isinstance(class_names, (list, tuple)) and class_names else None
    batched = x_shape is not None and len(x_shape) == 4
    image = x_shape[1:] if batched else x_shape
    target_size = None
    channels = None
    if image is not None and len(image) == 3:
        if image[0] is not None and image[1] is not None:
            target_size = (image[0], image[1])
        channels = image[2]
    class_mode = None
    if y_spec is not None and x_shape is not None:
        y_shape = shape_of(getattr(y_spec, "shape", None))
        dtype = str(getattr(getattr(y_spec, "dtype", None), "name", getattr(y_spec, "dtype", "")))
        batch_axes = 1 if batched else 0
        if y_shape is not None:
            label_axes = y_shape[batch_axes:]
            if len(label_axes) == 0:
                class_mode = "int"
            elif len(label_axes) == 1 and label_axes[0] is not None:
                width = label_axes[0]
                if width > 1:
                    class_mode = "categorical"
                    num_classes = num_classes or width
                elif width == 1:
                    class_mode = "int" if "int" in dtype else "binary"
    source = "image_dataset_from_directory" if num_classes is not None and class_names is not None else "dataset"
    return Pipeline(
        role=role,
        source=source,
        target_size=target_size,  # type: ignore[arg-type]
        color_mode=_COLOR_MODES.get(channels) if isinstance(channels, int) else None,
        class_mode=class_mode,
        class_mode_location=Location(where.path, key=f"{key}.element_spec") if class_mode else None,
        num_classes=num_classes,
        image_channels=channels if isinstance(channels, int) else None,
        location=where,
        name=key,
    )


def _array_pipeline(x: Any, y: Any, role: str, where: Location, key: str) -> tuple[Pipeline | None, Labels | None]:
    x_shape = shape_of(getattr(x, "shape", None))
    class_mode, num_classes, labels = _label_facts(y, where) if y is not None else (None, None, None)
    target_size = None
    channels = None
    if x_shape is not None and len(x_shape) == 4:
        if x_shape[1] is not None and x_shape[2] is not None:
            target_size = (x_shape[1], x_shape[2])
        channels = x_shape[3]
    pipeline = Pipeline(
        role=role,
        source="arrays",
        scaling=array_scaling(x, where),
        target_size=target_size,  # type: ignore[arg-type]
        color_mode=_COLOR_MODES.get(channels) if isinstance(channels, int) else None,
        class_mode=class_mode,
        class_mode_location=Location(where.path, key=f"{key}.y") if class_mode else None,
        num_classes=num_classes,
        num_samples=x_shape[0] if x_shape else None,
        image_channels=channels if isinstance(channels, int) else None,
        location=where,
        name=key,
    )
    return pipeline, labels


def array_scaling(x: Any, where: Location) -> Scaling | None:
    """The pixel range of image arrays (first rows only): raw 0-255, [0, 1] or [-1, 1]; None otherwise."""
    try:
        import numpy as np

        sample = np.asarray(x[:_ARRAY_SAMPLE])
        if sample.ndim != 4 or sample.size == 0 or not np.issubdtype(sample.dtype, np.number):
            return None
        low, high = float(sample.min()), float(sample.max())
    except Exception:  # noqa: BLE001 - tensors of another backend, generators…
        return None
    location = Location(where.path, key=f"{where.key}.x" if where.key else None)
    if low >= 0 and 1.0 < high <= 255.0:
        return Scaling("none", location=location)
    if low >= 0 and 0.0 < high <= 1.0:
        return Scaling("rescale", factor=1 / 255, location=location)
    if -1.0 <= low < 0 and high <= 1.0:
        return Scaling("rescale", factor=2 / 255, offset=-1.0, location=location)
    return None


def _label_facts(y: Any, where: Location) -> tuple[str | None, int | None, Labels | None]:
    """(class_mode, number of classes, Labels) from a label array: one-hot, integer ids or 0/1."""
    try:
        import numpy as np

        sample = np.asarray(y[:_ARRAY_SAMPLE * 16])
        shape = tuple(np.shape(y))
    except Exception:  # noqa: BLE001
        return None, None, None
    if sample.size == 0 or not np.issubdtype(sample.dtype, np.number):
        return None, None, None
    location = Location(where.path, key=f"{where.key}.y" if where.key else None)
    if len(shape) == 2 and shape[1] > 1:
        rows_are_one_hot = np.all((sample == 0) | (sample == 1)) and np.all(sample.sum(axis=1) == 1)
        if rows_are_one_hot:
            return "categorical", int(shape[1]), Labels("one-hot", int(shape[1]), location)
        return None, None, None  # multi-label or soft targets
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
        flat = sample.reshape(-1)
        if not np.all(np.equal(np.mod(flat, 1), 0)):
            return None, None, None
        distinct = np.unique(flat)
        if len(shape) == 2 and set(distinct.tolist()) <= {0, 1}:
            return "binary", 2, None
        if distinct.min() < 0:
            return None, None, None
        return "int", None, Labels("int", None, location)
    return None, None, None
