"""Input pipelines as the script interpreter sees them.

``ImageDataGenerator`` + ``flow_from_directory``, ``image_dataset_from_directory``
(+ ``.map``), label arrays from ``to_categorical``, and the Keras image
functions (``load_img``, ``preprocess_input``). Pixels in hand-written code
(``cv2.imread``, PIL) are tracked in :mod:`.pixels`.
"""

from __future__ import annotations

import ast
import copy
import os
from typing import Any

from modelcheck.vocab import AUGMENTATION_ARGS, AUGMENTATION_LAYERS, DATA_DEPENDENT_ARGS
from modelcheck.ir import Location, Scaling
from modelcheck.readers.script.core.interpreter import (
    UNKNOWN,
    Arg,
    Interpreter,
    ModuleRef,
    Obj,
    UserFunction,
    as_float,
    as_int,
    as_str,
    is_number,
)
from modelcheck.readers.script.keras_api.pixels import PixelVal, _hw, family_of, first_pixels

# Layers in front of a network that keep the pixel scale: augmentation and resizing.
SCALE_KEEPING_LAYERS = AUGMENTATION_LAYERS | {"Resizing", "CenterCrop"}
PIXEL_LAYERS = SCALE_KEEPING_LAYERS | {"Rescaling", "Normalization"}
_DATASET_PASS_THROUGH = {"prefetch", "cache", "shuffle", "batch", "repeat", "unbatch", "with_options", "apply"}
TENSOR_PASS_THROUGH = {"tensorflow.cast", "tensorflow.identity", "tensorflow.convert_to_tensor", "keras.ops.cast"}


def scaling_from_function(world: Any, func: Any, location: Location) -> Scaling:
    """What a ``preprocessing_function=`` does to 0-255 pixels."""
    if isinstance(func, ModuleRef):
        rest = world.keras_rest(func.path)
        family = family_of(rest)
        if family is not None:
            return Scaling("preprocess_input", family=family, location=location)
        return Scaling("unknown", location=location)
    if isinstance(func, UserFunction):
        probe = PixelVal(None, None)
        result = world.it.call_function(func, [Arg(probe, None)], {}, None)
        if isinstance(result, PixelVal):
            scaling = result.scaling()
            return Scaling(scaling.kind, scaling.factor, scaling.offset, scaling.family, location)
    return Scaling("unknown", location=location)


class DataGenObj(Obj):
    """An ``ImageDataGenerator``: scaling and augmentation shared by the pipelines it makes."""

    def __init__(self, world: Any, kwargs: dict[str, Arg], node: ast.Call):
        it = world.it
        self.world = world
        self.location = it.loc(node)
        self.var_name: str | None = None
        self.augmentation: list[str] = []
        self.augmentation_location: Location | None = None
        for key, arg in kwargs.items():
            if key not in AUGMENTATION_ARGS:
                continue
            value = arg.value
            active = (value is True) or (is_number(value) and value != 0) or (
                isinstance(value, (tuple, list)) and len(value) > 0 and not _neutral_range(key, value))
            if active:
                self.augmentation.append(key)
                if self.augmentation_location is None:
                    self.augmentation_location = it.loc(arg.at)
        rescale = kwargs.get("rescale")
        prep = kwargs.get("preprocessing_function")
        factor = as_float(rescale.value) if rescale is not None else None
        data_dependent = any(kwargs.get(k) is not None and kwargs[k].value is not False for k in DATA_DEPENDENT_ARGS)
        if data_dependent or (rescale is not None and rescale.value is not None and factor is None):
            self.scaling = Scaling("unknown", location=it.loc((rescale or prep).at) if (rescale or prep) else self.location)
        elif prep is not None and prep.value is not None:
            scaling = scaling_from_function(world, prep.value, it.loc(prep.at))
            if factor not in (None, 0.0, 1.0):
                # Both: ImageDataGenerator applies preprocessing_function first, then rescale.
                then = Scaling("rescale", factor=factor, offset=0.0, location=it.loc(rescale.at))
                scaling = Scaling("unknown", location=scaling.location, steps=(scaling, then))
            self.scaling = scaling
        elif factor not in (None, 0.0):
            self.scaling = Scaling("rescale", factor=factor, offset=0.0, location=it.loc(rescale.at))
        else:
            self.scaling = Scaling("none", location=self.location)

    def call_method(self, it: Interpreter, name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        if name in ("flow_from_directory", "flow_from_dataframe", "flow"):
            return make_flow(self.world, self, name, args, kwargs, node)
        return UNKNOWN


def _neutral_range(key: str, value: Any) -> bool:
    """zoom_range=[1, 1] and brightness_range=(1, 1) do nothing."""
    return key in ("zoom_range", "brightness_range") and len(value) == 2 and value[0] == value[1] == 1


class PipelineObj(Obj):
    """One input pipeline (generator or tf.data dataset)."""

    def __init__(self, source: str, location: Location):
        self.source = source
        self.location = location
        self.scaling: Scaling | None = None
        self.augmentation: list[str] = []
        self.augmentation_location: Location | None = None
        self.target_size: tuple[int, int] | None = None
        self.color_mode: str | None = None
        self.channel_order: str | None = "RGB"
        self.resized: bool | None = True
        self.class_mode: str | None = None
        self.class_mode_location: Location | None = None
        self.directory: str | None = None
        self.num_classes: int | None = None
        self.num_samples: int | None = None
        self.image_channels: int | None = None
        self.batch_size: int | None = None
        self.var_name: str | None = None
        self.datagen_name: str | None = None
        self.role_usage: str | None = None
        self.role_hint: str | None = None
        self.superseded = False
        self.registry: list[PipelineObj] | None = None
        """The world's list of pipelines, which derived pipelines join."""

    def derive(self) -> "PipelineObj":
        other = copy.copy(self)
        other.augmentation = list(self.augmentation)
        other.var_name = None
        other.role_usage = None
        self.superseded = True
        if self.registry is not None:
            self.registry.append(other)
        return other

    def get_attr(self, it: Interpreter, name: str, node: ast.AST) -> Any:
        if name in ("samples", "n") and self.num_samples is not None:
            return self.num_samples
        if name == "num_classes" and self.num_classes is not None:
            return self.num_classes
        if name == "batch_size" and self.batch_size is not None:
            return self.batch_size
        return UNKNOWN

    def call_method(self, it: Interpreter, name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        if name in _DATASET_PASS_THROUGH:
            return self
        if name in ("take", "skip"):
            return self.derive()
        if name == "map" and args:
            return self._map(it, args[0].value, node)
        return UNKNOWN

    def _map(self, it: Interpreter, func: Any, node: ast.Call) -> "PipelineObj":
        result = self.derive()
        pixels = PixelVal(self.source, self.location)
        pixels.factor, pixels.offset = 1.0, 0.0
        if self.scaling is not None and self.scaling.kind == "rescale":
            pixels.factor, pixels.offset = self.scaling.factor or 1.0, self.scaling.offset or 0.0
        elif self.scaling is not None and self.scaling.kind == "preprocess_input":
            pixels.family = self.scaling.family
        elif self.scaling is None or self.scaling.kind != "none":
            pixels.unknown_scaling = True
        output: Any = UNKNOWN
        if isinstance(func, UserFunction):
            params = func.node.args.args
            args = [Arg(pixels, None)] + [Arg(UNKNOWN, None) for _ in params[1:]]
            output = it.call_function(func, args, {}, None)
        elif isinstance(func, ModuleRef):
            output = it.world.call_module(func, [Arg(pixels, None)], {}, node)
        if isinstance(output, tuple) and output:
            output = output[0]
        if isinstance(output, PixelVal):
            scaling = output.scaling()
            if scaling.location is None:
                scaling = Scaling(scaling.kind, scaling.factor, scaling.offset, scaling.family, it.loc(node))
            result.scaling = scaling
            new = [a for a in output.augmentation if a not in result.augmentation]
            if new and result.augmentation_location is None:
                result.augmentation_location = it.loc(node)
            result.augmentation.extend(new)
        else:
            result.scaling = Scaling("unknown", location=it.loc(node))
        return result


def _positional(args: list[Arg], kwargs: dict[str, Arg], names: list[str]) -> dict[str, Arg]:
    found: dict[str, Arg] = {}
    for index, arg in enumerate(args):
        if index < len(names):
            found[names[index]] = arg
    for key, arg in kwargs.items():
        found[key] = arg
    return found


_FLOW_DIR = ["directory", "target_size", "color_mode", "classes", "class_mode", "batch_size", "shuffle"]
_FLOW = ["x", "y", "batch_size", "shuffle"]
_DATASET = ["directory", "labels", "label_mode", "class_names", "color_mode", "batch_size", "image_size"]


def make_flow(world: Any, gen: DataGenObj | None, method: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> PipelineObj:
    """A pipeline from ``datagen.flow_from_directory(...)`` (or ``flow``/``flow_from_dataframe``)."""
    it = world.it
    source = {"flow": "arrays", "flow_from_dataframe": "dataframe"}.get(method, method)
    pipe = register(world, PipelineObj(source, it.loc(node)))
    params = _positional(args, kwargs, _FLOW_DIR if method == "flow_from_directory" else _FLOW if method == "flow" else [])
    if gen is not None:
        pipe.scaling = gen.scaling
        pipe.augmentation = list(gen.augmentation)
        pipe.augmentation_location = gen.augmentation_location
        pipe.datagen_name = gen.var_name
    if method == "flow":
        pipe.resized = None
        pipe.channel_order = None
        x = params.get("x")
        pixels = x.value if x is not None and isinstance(x.value, PixelVal) else None
        if pixels is not None:  # the arrays' own scaling comes first, then the generator's
            from modelcheck.readers.script.keras_api.arrays import then

            pipe.scaling = then(pixels.scaling(), pipe.scaling, pipe.location)
        elif x is not None and gen is not None and pipe.scaling is not None and pipe.scaling.kind == "none":
            pipe.scaling = Scaling("unknown", location=pipe.location)  # arrays of unknown range, passed on as they are
        labels = params.get("y")
        if labels is not None and getattr(labels.value, "encoding", None):
            pipe.class_mode = {"one-hot": "categorical", "int": "sparse"}.get(labels.value.encoding)
        _batch(pipe, params)
        return pipe
    return _from_directory(world, pipe, params, ("target_size", "class_mode", "categorical", "classes"))


def register(world: Any, pipe: PipelineObj) -> PipelineObj:
    """Record a new pipeline in the world (derived pipelines join the same list)."""
    pipe.registry = world.pipelines
    world.pipelines.append(pipe)
    return pipe


def _batch(pipe: PipelineObj, params: dict[str, Arg]) -> None:
    batch = params.get("batch_size")
    pipe.batch_size = as_int(batch.value) if batch is not None else 32


def _directory(world: Any, pipe: PipelineObj, directory: Any) -> None:
    if not isinstance(directory, str):
        return
    pipe.directory = directory
    from modelcheck.readers.data_dir import inspect_directory

    for base in (world.script_dir, os.getcwd()):
        candidate = directory if os.path.isabs(directory) else os.path.join(base, directory)
        facts = inspect_directory(candidate)
        if facts is not None:
            if pipe.num_classes is None:
                pipe.num_classes = facts.num_classes
            pipe.num_samples = facts.num_samples
            pipe.image_channels = facts.image_channels
            return


def make_dataset(world: Any, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> PipelineObj:
    """``image_dataset_from_directory(...)``: raw 0-255 float pixels, integer labels by default."""
    it = world.it
    pipe = register(world, PipelineObj("image_dataset_from_directory", it.loc(node)))
    params = _positional(args, kwargs, _DATASET)
    pipe.scaling = Scaling("none", location=pipe.location)
    return _from_directory(world, pipe, params, ("image_size", "label_mode", "int", "class_names"))


def _from_directory(world: Any, pipe: PipelineObj, params: dict[str, Arg], keys: tuple[str, str, str, str]) -> PipelineObj:
    """What ``flow_from_directory`` and ``image_dataset_from_directory`` share, under their own argument names.

    ``keys``: the size argument, the label-mode argument, its default, and the class-list argument.
    """
    size_key, mode_key, default_mode, classes_key = keys
    it = world.it
    pipe.target_size = _hw(params[size_key].value) if size_key in params else (256, 256)
    color = params.get("color_mode")
    pipe.color_mode = as_str(color.value) if color is not None else "rgb"
    mode = params.get(mode_key)
    if mode is None:
        pipe.class_mode, pipe.class_mode_location = default_mode, pipe.location
    else:
        pipe.class_mode = "none" if mode.value is None else as_str(mode.value)
        pipe.class_mode_location = it.loc(mode.at)
    classes = params.get(classes_key)
    if classes is not None and isinstance(classes.value, (list, tuple)):
        pipe.num_classes = len(classes.value)
    subset = params.get("subset")
    if subset is not None:
        pipe.role_hint = {"validation": "validation", "training": "train"}.get(as_str(subset.value) or "")
    _batch(pipe, params)
    directory = params.get("directory")
    _directory(world, pipe, directory.value if directory is not None else None)
    return pipe


class LabelsObj(Obj):
    """A label array whose encoding is known (``to_categorical``)."""

    def __init__(self, encoding: str, num_classes: int | None, location: Location):
        self.encoding = encoding
        self.num_classes = num_classes
        self.location = location


def keras_data_call(world: Any, canon: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    """Keras data functions; None when ``canon`` is not one of them."""
    it = world.it
    values = [a.value for a in args]
    if canon == "ImageDataGenerator":
        return DataGenObj(world, kwargs, node)
    if canon == "image_dataset_from_directory":
        return make_dataset(world, args, kwargs, node)
    if canon == "to_categorical":
        count = values[1] if len(values) > 1 else (kwargs["num_classes"].value if "num_classes" in kwargs else
                                                   kwargs["nb_classes"].value if "nb_classes" in kwargs else None)
        labels = LabelsObj("one-hot", as_int(count), it.loc(node))
        world.labels.append(labels)
        return labels
    if canon == "load_img":
        result = PixelVal("load_img", it.loc(node))
        size = kwargs.get("target_size")
        color = kwargs.get("color_mode")
        grayscale = kwargs.get("grayscale")
        if size is None or size.value is None:
            result.resized = False
        else:
            result.resized = True if size.value is not UNKNOWN else None
        result.target_size = _hw(size.value) if size is not None else None
        result.color_mode = as_str(color.value) if color is not None else ("grayscale" if grayscale is not None and grayscale.value is True else "rgb")
        return result
    if canon in ("img_to_array", "array_to_img", "smart_resize"):
        pixels = first_pixels(values)
        if pixels is not None and canon == "smart_resize":
            pixels = pixels.derive()
            pixels.resized = True
            pixels.target_size = _hw(values[1]) if len(values) > 1 else None
        return pixels if pixels is not None else UNKNOWN
    family = family_of(canon)
    if family is not None:
        pixels = first_pixels(values)
        if pixels is None:
            return UNKNOWN
        result = pixels.derive()
        if pixels.family is not None or pixels.unknown_scaling or abs(pixels.factor - 1) > 1e-12 or abs(pixels.offset) > 1e-12:
            result.unknown_scaling = True
        result.family = family
        result.scaling_location = it.loc(node)
        return result
    return None
