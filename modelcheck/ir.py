"""The intermediate representation (IR) of a training setup.

Every reader (model file, training script, training config, live model) turns
its input into a :class:`TrainingSetup`; every rule reads only this IR.
Everything is a frozen dataclass holding plain data (no Keras objects). Every
fact is optional: ``None`` means "unknown", and rules stay silent on unknowns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class Location:
    """Where a fact came from: a script position, a config key or a model layer."""

    path: str
    line: int | None = None
    column: int | None = None
    layer: str | None = None
    """Slash-separated nesting path of a layer in a model file, e.g. ``vgg16/block5_conv1``."""
    key: str | None = None
    """Dotted key path in a training config, e.g. ``compile.optimizer.learning_rate``."""
    cell: int | None = None
    """In a notebook: the 1-based index of the code cell among the notebook's code cells
    (markdown and raw cells are not counted); ``line`` then counts within that cell."""
    file_line: int | None = field(default=None, compare=False)
    """In a notebook: the line of the ``.ipynb`` file's JSON text that holds this source line
    (for SARIF and GitHub annotations, which address the file as text)."""

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.cell or 0, self.line or 0, self.column or 0, self.layer or "", self.key or "")

    @property
    def source_name(self) -> str:
        """The name of the text ``line`` counts in: the path, or ``nb.ipynb:cell 3`` for a notebook cell."""
        return self.path if self.cell is None else f"{self.path}:cell {self.cell}"

    def describe(self) -> str:
        """Human-readable position: ``train.py:31:5``, ``nb.ipynb:cell 7:3:5`` or ``model.keras [vgg16/dense]``."""
        text = self.source_name
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        if self.layer:
            text += f" [{self.layer}]"
        elif self.key:
            text += f" [{self.key}]"
        return text


@dataclass(frozen=True)
class Layer:
    """One entry of a model's ``.layers`` as Keras sees it."""

    name: str
    class_name: str
    config: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    activation: str | None = None
    """Normalised activation applied by the layer ('softmax', 'relu', 'linear'…); None if unknown."""
    units: int | None = None
    """Dense units or Conv filters: the size of the layer's output feature axis."""
    trainable: bool | None = None
    inbound: tuple[str, ...] = ()
    """Names of the layers feeding this one (in the same container)."""
    is_output: bool = False
    call_training: bool | None = None
    """The ``training=`` argument this layer (usually a nested backbone) was called with."""
    output_shape: Shape | None = None
    submodel: ModelGraph | None = None
    location: Location | None = None

    @property
    def is_model(self) -> bool:
        return self.submodel is not None


def make_layer(
    name: str, class_name: str, config: Mapping[str, Any], activation: str | None, units: int | None,
    trainable: bool | None, inbound: tuple[str, ...], is_output: bool, call_training: bool | None,
    output_shape: Shape | None, submodel: ModelGraph | None, location: Location | None,
) -> Layer:
    """``Layer(...)`` for readers that build thousands: the frozen dataclass's ``__init__`` sets
    each field through ``object.__setattr__`` (1.7 µs a layer, a sixth of reading a ResNet50
    script); filling the instance dictionary directly builds the same object in a third of that."""
    layer = _new(Layer)
    layer.__dict__.update(
        name=name, class_name=class_name, config=config, activation=activation, units=units, trainable=trainable,
        inbound=inbound, is_output=is_output, call_training=call_training, output_shape=output_shape,
        submodel=submodel, location=location,
    )
    return layer


_new = object.__new__


@dataclass(frozen=True)
class Backbone:
    """A ``keras.applications`` network found inside a model."""

    name: str
    """Knowledge-base key, e.g. 'ResNet50'."""
    weights: str = "unknown"
    """'imagenet', 'file', 'none', 'inferred' (a saved model with frozen layers) or 'unknown'."""
    include_top: bool | None = None
    nested_as: str | None = None
    """Name of the sub-model layer when the backbone is nested; None when its layers sit flat."""
    offset: int = 0
    """Index in the container's ``.layers`` where the backbone's layer 0 sits (flat backbones)."""
    container_path: tuple[str, ...] = ()
    """Names of the models enclosing the backbone's layers (top model first)."""
    layer_names: tuple[str, ...] = ()
    """The backbone's own layer names as found, in order."""
    input_shape: Shape | None = None
    location: Location | None = None
    keras_major: int | None = None
    """2 when the layer names follow tf.keras 2, 3 for Keras 3, None if unknown."""
    imagenet_layout: bool = False
    """The layer list is that of a weights='imagenet' build (EfficientNet B0-B7 gain a Rescaling)."""
    include_preprocessing: bool | None = None
    """`include_preprocessing=` of EfficientNetV2 / MobileNetV3 (None: the default, True)."""

    @property
    def pretrained(self) -> bool | None:
        if self.weights in ("imagenet", "file", "inferred"):
            return True
        if self.weights == "none":
            return False
        return None


@dataclass(frozen=True)
class ModelGraph:
    """A model: its layers in ``.layers`` order, nested models kept as sub-graphs."""

    name: str
    class_name: str
    layers: tuple[Layer, ...]
    input_shapes: tuple[Shape, ...] = ()
    output_names: tuple[str, ...] = ()
    backbones: tuple[Backbone, ...] = ()
    location: Location | None = None
    keras_version: str | None = None

    def walk(self, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Layer]]:
        """Every layer, depth first, with the names of the models that contain it."""
        for layer in self.layers:
            yield path, layer
            if layer.submodel is not None:
                yield from layer.submodel.walk(path + (layer.name,))

    def output_layers(self) -> list[Layer]:
        """The layers whose outputs are model outputs (descending into a nested output model)."""
        found: list[Layer] = []
        for layer in self.layers:
            if layer.name in self.output_names or (not self.output_names and layer is self.layers[-1]):
                if layer.submodel is not None and layer.submodel.layers:
                    found.extend(layer.submodel.output_layers())
                else:
                    found.append(layer)
        return found


@dataclass(frozen=True)
class Loss:
    name: str | None
    """Canonical snake_case name ('categorical_crossentropy') or a custom function's name."""
    from_logits: bool | None = None
    custom: bool = False
    location: Location | None = None


@dataclass(frozen=True)
class Optimizer:
    class_name: str | None
    learning_rate: float | None = None
    legacy_kwargs: tuple[str, ...] = ()
    location: Location | None = None


@dataclass(frozen=True)
class Compile:
    loss: Loss | None = None
    optimizer: Optimizer | None = None
    metrics: tuple[str, ...] | None = None
    location: Location | None = None
    order: int = 0
    """Position in program order among compiles, fits and freeze operations."""


@dataclass(frozen=True)
class Scaling:
    """What a pipeline does to pixel values before the model sees them."""

    kind: str
    """'rescale' (x * factor + offset), 'preprocess_input' (a family's function), 'none' or 'unknown'."""
    factor: float | None = None
    offset: float | None = None
    family: str | None = None
    """keras.applications module whose preprocess_input is used, e.g. 'resnet50'."""
    location: Location | None = None
    steps: tuple["Scaling", ...] = ()
    """Scalings applied one after the other (a ``preprocessing_function`` then ``rescale``);
    ``kind`` is then 'unknown' unless they compose into one known scaling."""

    def mode(self, family_mode: str | None = None) -> str:
        """The input range this scaling produces from 0-255 pixels.

        'raw' (0-255), 'unit' ([0, 1]), 'tf' ([-1, 1]), 'caffe', 'torch' or 'unknown'.
        ``family_mode`` is the knowledge base's mode for ``family`` when kind is
        'preprocess_input'.
        """
        if self.kind == "none":
            return "raw"
        if self.kind == "preprocess_input":
            if family_mode is None:
                return "unknown"
            return "raw" if family_mode == "none" else family_mode
        if self.kind == "rescale" and self.factor is not None:
            offset = self.offset or 0.0
            low, high = offset, 255.0 * self.factor + offset
            if abs(low) < 1e-6 and abs(high - 1.0) < 1e-3:
                return "unit"
            if abs(low + 1.0) < 1e-3 and abs(high - 1.0) < 1e-3:
                return "tf"
            if abs(low) < 1e-6 and abs(high - 255.0) < 1e-3:
                return "raw"
            return f"range[{low:g}, {high:g}]"
        return "unknown"


@dataclass(frozen=True)
class Pipeline:
    """Input pipeline of one role: 'train', 'validation', 'test' or 'predict'."""

    role: str
    source: str | None = None
    """'flow_from_directory', 'image_dataset_from_directory', 'config', 'cv2', 'load_img', 'arrays'…"""
    scaling: Scaling | None = None
    augmentation: tuple[str, ...] = ()
    augmentation_location: Location | None = None
    target_size: tuple[int, int] | None = None
    color_mode: str | None = None
    channel_order: str | None = None
    """'RGB' or 'BGR' (cv2.imread without conversion)."""
    resized: bool | None = None
    class_mode: str | None = None
    """'categorical', 'binary', 'sparse', 'int', 'input', 'none' (class_mode=None) or None if unknown."""
    class_mode_location: Location | None = None
    directory: str | None = None
    num_classes: int | None = None
    """Class sub-folders counted on disk (or declared classes=[…])."""
    num_samples: int | None = None
    image_channels: int | None = None
    batch_size: int | None = None
    location: Location | None = None
    name: str | None = None
    """Variable name in a script, for messages."""


@dataclass(frozen=True)
class Labels:
    """Label arrays built in code (e.g. ``to_categorical(y, 5)``)."""

    encoding: str
    """'one-hot' or 'int'."""
    num_classes: int | None = None
    location: Location | None = None


@dataclass(frozen=True)
class FreezeOp:
    """A change of ``trainable`` flags, in program order."""

    target: str
    """The code or key that made it, e.g. 'vgg_model.layers[:15]'."""
    trainable: bool
    layers: tuple[str, ...] = ()
    order: int = 0
    location: Location | None = None


@dataclass(frozen=True)
class Callback:
    class_name: str
    monitor: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Fit:
    method: str
    """'fit', 'fit_generator', 'train_on_batch'…"""
    epochs: int | None = None
    steps_per_epoch: float | None = None
    validation_steps: float | None = None
    batch_size: int | None = None
    has_validation: bool | None = None
    train: str | None = None
    """Name of the training pipeline passed."""
    validation: str | None = None
    order: int = 0
    location: Location | None = None
    steps_location: Location | None = None
    validation_steps_location: Location | None = None
    steps_expr: str | None = None
    """Source text of the steps_per_epoch argument (e.g. 'nb_train_samples')."""
    validation_steps_expr: str | None = None


@dataclass(frozen=True)
class ApiUse:
    """A use of an API removed in Keras 3 / TF >= 2.16."""

    api: str
    replacement: str
    location: Location | None = None


@dataclass(frozen=True)
class CodeObject:
    """Executable content found in a model file (never run)."""

    kind: str
    """'lambda-bytecode', 'custom-module' or 'pickle'."""
    detail: str
    location: Location | None = None


@dataclass(frozen=True)
class Expectation:
    """What the author declares they mean (config ``expect:``)."""

    num_classes: int | None = None
    frozen_layers: int | None = None
    trainable_from: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class CellSpan:
    """One code cell of a notebook inside the program its code cells make."""

    cell: int
    """1-based index among the notebook's code cells."""
    first_line: int
    """Line of the program (and of ``TrainingSetup.source_lines``) where the cell begins."""
    lines: int
    """How many lines the cell has."""


@dataclass(frozen=True)
class Gap:
    """A part of the input the reader did not follow (an internal error, the step budget): MC003."""

    what: str
    location: Location | None = None


@dataclass(frozen=True)
class TrainingSetup:
    """Everything one input tells about a training setup."""

    path: str
    kind: str
    """'model', 'script', 'config' or 'live'."""
    model: ModelGraph | None = None
    compiles: tuple[Compile, ...] = ()
    pipelines: tuple[Pipeline, ...] = ()
    labels: tuple[Labels, ...] = ()
    freeze_ops: tuple[FreezeOp, ...] = ()
    callbacks: tuple[Callback, ...] = ()
    fits: tuple[Fit, ...] = ()
    api_uses: tuple[ApiUse, ...] = ()
    code_objects: tuple[CodeObject, ...] = ()
    expectations: tuple[Expectation, ...] = ()
    num_classes: int | None = None
    """Declared class count (script constant, config num_classes), when stated."""
    num_classes_location: Location | None = None
    gaps: tuple[Gap, ...] = ()
    """What the reader did not follow; rules never see facts from there."""
    source_lines: tuple[str, ...] = field(default=(), compare=False, repr=False)
    """The input's text lines (scripts and configs), for excerpts and suppressions.

    For a notebook: the lines of its code cells, one after the other (see ``cells``)."""
    cells: tuple[CellSpan, ...] = field(default=(), compare=False, repr=False)
    """For a notebook: where each code cell's lines sit in ``source_lines``."""

    def lines_of(self, location: Location) -> tuple[str, ...]:
        """The lines ``location.line`` counts in: a notebook cell's own lines, else the whole input's."""
        if location.cell is None or not self.cells:
            return self.source_lines
        for span in self.cells:
            if span.cell == location.cell:
                return self.source_lines[span.first_line - 1 : span.first_line - 1 + span.lines]
        return ()

    def line_location(self, line: int, column: int | None = None) -> Location:
        """The Location of line ``line`` of ``source_lines`` (in a notebook: its cell and the line in it).

        For findings made from the source text itself (a suppression comment, MC004).
        """
        for span in self.cells:
            if span.first_line <= line < span.first_line + span.lines:
                return Location(self.path, line=line - span.first_line + 1, column=column, cell=span.cell)
        return Location(self.path, line=line, column=column)

    def sources(self) -> dict[str, tuple[str, ...]]:
        """Every text a finding's line can count in, by ``Location.source_name`` (a notebook: one per cell)."""
        if not self.source_lines:
            return {}
        if not self.cells:
            return {self.path: self.source_lines}
        return {Location(self.path, cell=span.cell).source_name: self.lines_of(Location(self.path, cell=span.cell)) for span in self.cells}

    @property
    def compile(self) -> Compile | None:
        """The last compile: the one the model trains under."""
        return self.compiles[-1] if self.compiles else None

    def pipeline(self, role: str) -> Pipeline | None:
        for pipeline in self.pipelines:
            if pipeline.role == role:
                return pipeline
        return None
