"""Rebuild a setup read from a script or config as a Keras model, and replay its order.

Layers come back from ``Layer.class_name`` + ``Layer.config`` (``keras.layers``
only, deserialised in safe mode; a Lambda is never rebuilt), backbones from
``keras.applications.<Name>(weights=…, include_top=…, input_shape=…)`` with
the IR's trainable flags. A backbone the script loads with ``weights='imagenet'``
gets the file from Keras's weights cache when it is there (``weights.choose``);
otherwise it is random, its features carry no pretrained signal, and the
report says so. Loss, optimizer class and learning rate come from the IR.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelcheck.ir import Backbone, Compile, Layer, ModelGraph, TrainingSetup
from modelcheck.vocab import LOSS_CLASSES, PROBABILISTIC_LOSSES
from modelcheck.probe.build import (
    PreparedModel,
    ProbeUnsupported,
    compile_model,
    default_loss,
    describe_optimizer,
    load_file,
    loss_identity,
    walk_layers,
)
from modelcheck.probe.weights import WeightsChoice, choose, served_from


def from_setup(setup: TrainingSetup, trust_model_code: bool = False, weights_mode: str = "cache") -> PreparedModel:
    """Rebuild the setup's model from the IR (or load the model file a config points at).

    ``weights_mode`` is ``--probe-weights``: where ImageNet backbone weights may come from.
    """
    graph = setup.model
    if graph is None:
        raise ProbeUnsupported(f"{setup.path} describes no model the probe can build")
    linked = graph.location.path if graph.location else None
    if linked and linked != setup.path and Path(linked).suffix.lower() in (".keras", ".h5", ".hdf5") and Path(linked).is_file():
        prepared = load_file(linked, setup if setup.code_objects else None, trust_model_code)
        prepared.setup, prepared.path = setup, setup.path
        _apply_ir_compile(prepared, setup.compile)
        return prepared
    import keras

    built = _GraphBuilder(keras, graph, weights_mode).build()
    random = [choice.backbone for choice in built.weights if not choice.pretrained]
    prepared = PreparedModel(built.model, setup.path, "setup", None, None, None, None, setup=setup,
                             random_backbones=random, untrained=True, notes=built.notes,
                             weights=[choice.description for choice in built.weights])
    _apply_ir_compile(prepared, setup.compile)
    if random:
        prepared.notes.append(
            f"backbone{'s' if len(random) > 1 else ''} {', '.join(random)} rebuilt with random weights, "
            "so its features carry no pretrained signal"
        )
    return prepared


def _apply_ir_compile(prepared: PreparedModel, compiled: Compile | None) -> None:
    import keras

    loss, optimizer = None, None
    if compiled is not None and compiled.loss is not None and compiled.loss.name and not compiled.loss.custom:
        loss = ir_loss(compiled.loss.name, compiled.loss.from_logits)
    if compiled is not None and compiled.optimizer is not None and compiled.optimizer.class_name:
        cls = getattr(keras.optimizers, compiled.optimizer.class_name, None)
        if cls is not None:
            rate = compiled.optimizer.learning_rate
            optimizer = keras.optimizers.serialize(cls(learning_rate=rate) if rate is not None else cls())
            prepared.notes.append(f"optimizer rebuilt from the setup as {describe_optimizer(optimizer)} (other arguments at Keras defaults)")
    if loss is None:
        if prepared.loss is None:
            loss = default_loss(prepared.model)
            prepared.notes.append(f"loss unknown: probed with {loss}")
        else:
            loss = prepared.loss
    if optimizer is None:
        if prepared.optimizer is None:
            optimizer = keras.optimizers.serialize(keras.optimizers.Adam(1e-3))
            prepared.notes.append("optimizer unknown: probed with Adam(0.001)")
        else:
            optimizer = prepared.optimizer
    prepared.loss, prepared.optimizer = loss, optimizer
    prepared.loss_name, prepared.from_logits = loss_identity(loss)


def ir_loss(name: str, from_logits: bool | None) -> Any:
    import keras

    classes = {fn: cls for cls, fn in LOSS_CLASSES.items() if fn in PROBABILISTIC_LOSSES}
    if from_logits and name in classes:
        return getattr(keras.losses, classes[name])(from_logits=True)
    return name


@dataclass
class _Built:
    model: Any
    weights: list[WeightsChoice]
    """One per backbone: what it was built with."""
    notes: list[str]


class _GraphBuilder:
    """IR ModelGraph -> keras.Model (functional), backbones from keras.applications."""

    def __init__(self, keras: Any, graph: ModelGraph, weights_mode: str = "cache"):
        self.keras = keras
        self.graph = graph
        self.weights_mode = weights_mode
        self.weights: list[WeightsChoice] = []
        self.notes: list[str] = []

    def build(self) -> _Built:
        model = self._graph_model(self.graph, self.graph.input_shapes[0] if self.graph.input_shapes else None)
        return _Built(model, self.weights, self.notes)

    def _graph_model(self, graph: ModelGraph, input_shape: Any) -> Any:
        keras = self.keras
        flat = {bb.offset: bb for bb in graph.backbones if bb.nested_as is None and bb.layer_names}
        nested = {bb.nested_as: bb for bb in graph.backbones if bb.nested_as}
        tensors: dict[str, Any] = {}
        inputs: list[Any] = []
        previous: Any = None
        last_name: str | None = None
        skip_until = -1
        for index, layer in enumerate(graph.layers):
            if index < skip_until:
                continue
            bb = flat.get(index) or (flat.get(-1) if index == 0 else None)
            if bb is not None:
                start_input = previous
                if start_input is None:
                    start_input = keras.Input(shape=_concrete(bb.input_shape or input_shape, bb.name))
                    inputs.append(start_input)
                members = graph.layers[max(bb.offset, 0) : bb.offset + len(bb.layer_names)]
                application = self._application(bb, tuple(start_input.shape[1:]), members)
                previous = application(start_input)
                for member in members:
                    tensors[member.name] = previous
                last_name = members[-1].name if members else last_name
                skip_until = bb.offset + len(bb.layer_names)
                continue
            if layer.class_name == "InputLayer":
                shape = layer.config.get("batch_shape") or layer.config.get("batch_input_shape")
                shape = tuple(shape[1:]) if shape else input_shape
                tensor = keras.Input(shape=_concrete(shape, layer.name), name=layer.name)
                tensors[layer.name] = previous = tensor
                inputs.append(tensor)
                last_name = layer.name
                continue
            if previous is None:
                previous = keras.Input(shape=_concrete(input_shape, layer.name))
                inputs.append(previous)
            if layer.name in nested:
                sources = [tensors[n] for n in layer.inbound if n in tensors] or [previous]
                obj = self._application(nested[layer.name], tuple(sources[0].shape[1:]),
                                        layer.submodel.layers if layer.submodel else (), name=layer.name)
            elif layer.submodel is not None:
                sources = [tensors[n] for n in layer.inbound if n in tensors] or [previous]
                obj = self._graph_model(layer.submodel, tuple(sources[0].shape[1:]))
            else:
                obj = self._layer(layer)
            missing = [n for n in layer.inbound if n not in tensors]
            if missing:
                raise ProbeUnsupported(f"layer {layer.name!r} reads {missing[0]!r}, which the probe cannot rebuild")
            args = [tensors[n] for n in layer.inbound] or [previous]
            kwargs = {"training": layer.call_training} if layer.call_training is not None else {}
            previous = obj(args[0] if len(args) == 1 else args, **kwargs)
            if layer.trainable is False:
                obj.trainable = False
            tensors[layer.name] = previous
            last_name = layer.name
        outputs = [tensors[n] for n in graph.output_names if n in tensors]
        if not outputs and last_name:
            outputs = [tensors[last_name]]
        if not inputs or not outputs:
            raise ProbeUnsupported(f"model {graph.name!r} has no layers the probe can rebuild")
        return keras.Model(inputs[0] if len(inputs) == 1 else inputs, outputs[0] if len(outputs) == 1 else outputs, name=graph.name)

    def _application(self, bb: Backbone, shape: tuple[int, ...], members: Any, name: str | None = None) -> Any:
        keras = self.keras
        factory = getattr(keras.applications, bb.name, None)
        if factory is None:
            raise ProbeUnsupported(f"backbone {bb.name} is not in keras.applications of Keras {keras.__version__}")
        choice = choose(bb.name, bool(bb.include_top), shape, bb.weights, self.weights_mode)
        kwargs: dict[str, Any] = {"weights": choice.keras_argument, "include_top": bool(bb.include_top), "input_shape": shape}
        accepted = inspect.signature(factory).parameters
        if bb.include_preprocessing is not None and "include_preprocessing" in accepted:
            kwargs["include_preprocessing"] = bb.include_preprocessing
        if name and "name" in accepted:
            kwargs["name"] = name
        try:
            application = self._pretrained(factory, kwargs, choice)
        except Exception as error:  # a weights file of another input size or variant: say so, build it random
            if choice.weights is None:
                raise
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            self.notes.append(f"{bb.name}: the weights file could not be loaded ({message[:200]}); rebuilt with random weights")
            choice = WeightsChoice(bb.name, None, f"{bb.name}: random weights ({choice.weights} could not be loaded)")
            application = factory(**{**kwargs, "weights": None})
        flags = {m.name: m.trainable for m in members if m.trainable is not None}
        for sub in application.layers:
            if flags.get(sub.name) is False:
                sub.trainable = False
        self.weights.append(choice)
        return application

    @staticmethod
    def _pretrained(factory: Any, kwargs: dict[str, Any], choice: WeightsChoice) -> Any:
        """Build with the chosen weights; ConvNeXt refuses ImageNet weights under a name without its variant."""
        with served_from(choice):
            try:
                return factory(**kwargs)
            except ValueError:
                if choice.weights is None or "name" not in kwargs:
                    raise
                return factory(**{k: v for k, v in kwargs.items() if k != "name"})

    def _layer(self, layer: Layer) -> Any:
        keras = self.keras
        if layer.class_name == "Lambda":
            raise ProbeUnsupported(f"layer {layer.name!r} is a Lambda: the probe does not run code from your script")
        cls = getattr(keras.layers, layer.class_name, None)
        if cls is None or not isinstance(cls, type):
            raise ProbeUnsupported(f"layer {layer.name!r}: {layer.class_name} is not a keras.layers class")
        config = {k: v for k, v in dict(layer.config).items() if k not in ("batch_input_shape", "batch_shape", "input_shape")}
        config["name"] = layer.name
        try:
            return keras.saving.deserialize_keras_object(
                {"module": "keras.layers", "class_name": layer.class_name, "config": config, "registered_name": None},
                safe_mode=True,
            )
        except Exception:
            accepted = inspect.signature(cls.__init__).parameters
            known = {k: v for k, v in config.items() if k in accepted or k in ("name", "trainable", "dtype")}
            try:
                return cls(**known)
            except Exception as error:
                raise ProbeUnsupported(f"layer {layer.name!r} ({layer.class_name}) cannot be rebuilt: {error}") from None


def _concrete(shape: Any, what: str) -> tuple[int, ...]:
    if not shape or any(v is None for v in shape):
        raise ProbeUnsupported(f"{what}: the input shape {shape} is not fully known; give the model a fixed input size")
    return tuple(int(v) for v in shape)


# --- program order ---------------------------------------------------------------


def replay(prepared: PreparedModel, setup: TrainingSetup, batch: Any, metric: str | None) -> None:
    events: list[tuple[int, int, str, Any]] = [(op.order, 0, "freeze", op) for op in setup.freeze_ops]
    events += [(c.order, 1, "compile", c) for c in setup.compiles]
    events += [(f.order, 2, "fit", f) for f in setup.fits]
    events.sort(key=lambda e: (e[0], e[1]))
    fits = [e for e in events if e[2] == "fit"]
    last_fit = fits[-1] if fits else None
    model = prepared.model
    compiled = fitted = stale = False
    unmatched: list[str] = []
    for event in events:
        if event is last_fit:
            break
        kind, item = event[2], event[3]
        if kind == "freeze":
            if not _set_trainable(model, item.layers, item.trainable):
                unmatched.append(item.target)
            if compiled and fitted:
                stale = True
                prepared.stale_layers.extend(name for name in item.layers if name not in prepared.stale_layers)
        elif kind == "compile":
            optimizer, loss = _ir_compile_parts(item, prepared)
            compile_model(model, optimizer, loss, metric)
            compiled, fitted, stale = True, False, False
            prepared.stale_layers.clear()
        elif compiled:
            model.train_on_batch(batch.x, batch.y)
            fitted = True
    if not compiled:
        compile_model(model, prepared.optimizer, prepared.loss, metric)
    prepared.replayed = True
    prepared.stale = stale
    prepared.intended_trainable = {path: bool(layer.trainable) for path, layer in walk_layers(model)}
    if unmatched:
        prepared.notes.append(f"could not apply trainable changes to {', '.join(unmatched[:3])}: no such layers in the rebuilt model")
    if stale:
        prepared.notes.append("replayed the script's order: trainable was changed after a fit with no compile() before the next fit")


def _set_trainable(model: Any, names: tuple[str, ...], value: bool) -> bool:
    wanted = set(names)
    hit = False
    for path, layer in walk_layers(model):
        if layer.name in wanted or path in wanted:
            layer.trainable = value
            hit = True
    if not names:
        model.trainable = value
        hit = True
    return hit


def _ir_compile_parts(compiled: Compile, prepared: PreparedModel) -> tuple[Any, Any]:
    import keras

    optimizer, loss = prepared.optimizer, prepared.loss
    if compiled.optimizer is not None and compiled.optimizer.class_name:
        cls = getattr(keras.optimizers, compiled.optimizer.class_name, None)
        if cls is not None:
            rate = compiled.optimizer.learning_rate
            optimizer = keras.optimizers.serialize(cls(learning_rate=rate) if rate is not None else cls())
    if compiled.loss is not None and compiled.loss.name and not compiled.loss.custom:
        loss = ir_loss(compiled.loss.name, compiled.loss.from_logits)
    return optimizer, loss
