"""The ``model`` section of a training config: a ``keras.applications`` backbone plus a head,
or a saved model file (``model.file``) joined with the declared setup.

:class:`ModelSection` is the base class of the config reader's builder
(:mod:`modelcheck.readers.config.training_config`), which provides ``loc`` and ``fail``.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Any, Callable

from modelcheck.errors import InputError, NoSetup
from modelcheck.ir import Backbone, FreezeOp, Layer, Location, ModelGraph, TrainingSetup
from modelcheck.readers.config.schema import suggest
from modelcheck.readers.config.text import KeyPath
from modelcheck.vocab import ACTIVATION_LAYERS, LAYER_ALIASES, canonical_activation

# Program order of a config-driven run: the model (and its freeze) is built, compiled, then fit.
_FREEZE_ORDER, _COMPILE_ORDER, _FIT_ORDER = 0, 1, 2
_LINEAR_BY_DEFAULT = {"Dense", "Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D", "EinsumDense"}


class ModelSection:
    """Reads ``model``: the graph, its backbone and the freeze it declares."""

    # Provided by the builder: the config's path, where keys are in it, and the MC001 error for a key.
    path: str
    loc: Callable[..., Location]
    fail: Callable[[KeyPath, str], InputError]

    # --- model: backbone + head ----------------------------------------------------

    def _model(self, section: dict[str, Any]) -> tuple[ModelGraph, tuple[FreezeOp, ...]]:
        shape = tuple(section.get("input_shape") or (None, None, 3))
        top: list[Layer] = [Layer(name="input_layer", class_name="InputLayer", config={"batch_shape": [None, *shape]}, trainable=True,
                                  location=self.loc("model", "input_shape") if "input_shape" in section else self.loc("model"))]
        backbones: tuple[Backbone, ...] = ()
        freeze_ops: tuple[FreezeOp, ...] = ()
        if "backbone" in section:
            layer, backbone, freeze_ops = self._backbone(section, shape)
            top.append(layer)
            backbones = (backbone,)
        taken = {layer.name for layer in top}
        for index, item in enumerate(section.get("head") or ()):
            top.append(self._head_layer(index, item, taken, top[-1].name))
        top[-1] = replace(top[-1], is_output=True)
        graph = ModelGraph(
            name=str(section.get("name") or "model"),
            class_name="Functional",
            layers=tuple(top),
            input_shapes=(shape,),
            output_names=(top[-1].name,),
            backbones=backbones,
            location=self.loc("model"),
            keras_version=None,
        )
        return graph, freeze_ops

    def _backbone(self, section: dict[str, Any], shape: tuple) -> tuple[Layer, Backbone, tuple[FreezeOp, ...]]:
        from modelcheck.knowledge import find_backbone

        info = find_backbone(section["backbone"])
        if info is None:
            raise self.fail(("model", "backbone"), f"unknown backbone '{section['backbone']}'{suggest(section['backbone'], _backbone_names())}: use a keras.applications name such as ResNet50")
        name = info.name
        weights = _weights_kind(section.get("weights", "imagenet"))
        # An imagenet build of some backbones has extra layers (EfficientNet's second Rescaling):
        # `freeze: N` counts on the model the user's code really builds.
        layout = info.layout(keras=3, imagenet=weights == "imagenet")
        names, classes = list(layout.layers), list(layout.classes)
        if section.get("pooling"):  # keras.applications adds the pooling layer inside the backbone
            names.append(f"{section['pooling']}_pool")
            classes.append("GlobalAveragePooling2D" if section["pooling"] == "avg" else "GlobalMaxPooling2D")
        frozen = self._frozen_count(section, names)
        nested = info.model_name or name.lower()
        where = self.loc("model", "backbone")
        inner = []
        for index, (layer_name, class_name) in enumerate(zip(names, classes, strict=True)):
            inner.append(Layer(
                name=layer_name,
                class_name=class_name,
                activation=ACTIVATION_LAYERS.get(class_name),
                trainable=index >= frozen,
                is_output=index == len(names) - 1,
                location=replace(where, layer=f"{nested}/{layer_name}"),
            ))
        submodel = ModelGraph(name=nested, class_name="Functional", layers=tuple(inner), input_shapes=(shape,),
                              output_names=(names[-1],), location=replace(where, layer=nested))
        training = section.get("backbone_training")
        layer = Layer(name=nested, class_name="Functional", trainable=frozen < len(names), inbound=("input_layer",),
                      call_training=False if training is False else None, submodel=submodel, location=where)
        backbone = Backbone(
            name=name, weights=weights, include_top=False, nested_as=nested, offset=0,
            container_path=(nested,), layer_names=tuple(names), input_shape=shape, location=where, keras_major=3,
            imagenet_layout=weights == "imagenet", include_preprocessing=section.get("include_preprocessing"),
        )
        ops: tuple[FreezeOp, ...] = ()
        if frozen:
            ops = (FreezeOp(target=f"freeze: {section['freeze']}", trainable=False, layers=tuple(names[:frozen]),
                            order=_FREEZE_ORDER, location=self.loc("model", "freeze")),)
        return layer, backbone, ops

    def _frozen_count(self, section: dict[str, Any], names: list[str]) -> int:
        """How many leading backbone layers `freeze` leaves frozen (Keras default: none)."""
        value = section.get("freeze", "none")
        if value is True or value == "all":
            return len(names)
        if value is False or value == "none":
            return 0
        if isinstance(value, int):
            return len(names[:value])
        if value in names:
            return names.index(value) + 1
        raise self.fail(("model", "freeze"), f"model.freeze: no layer '{value}' in {section['backbone']}{suggest(value, names)}; use a layer count, a layer name, 'all' or 'none'")

    def _head_layer(self, index: int, item: Any, taken: set[str], previous: str) -> Layer:
        written, kwargs = (item, {}) if isinstance(item, str) else next(iter(item.items()))
        kwargs = dict(kwargs or {})
        class_name: str = LAYER_ALIASES.get(written, written)
        name = str(kwargs.get("name") or _unique(_snake(class_name.split(".")[-1]), taken))
        taken.add(name)
        activation: str | None
        if class_name in ACTIVATION_LAYERS:
            activation = ACTIVATION_LAYERS[class_name]
        elif "activation" in kwargs:
            activation = canonical_activation(kwargs["activation"])
        else:
            activation = "linear" if class_name in _LINEAR_BY_DEFAULT else None
        units = kwargs.get("units", kwargs.get("filters"))
        keys: KeyPath = ("model", "head", index) + ((written,) if isinstance(item, dict) else ())
        return Layer(name=name, class_name=class_name, config=kwargs, activation=activation,
                     units=units if isinstance(units, int) else None, trainable=kwargs.get("trainable", True) is not False,
                     inbound=(previous,), location=self.loc(*keys))

    # --- model: a saved file joined with the declared setup --------------------------

    def _read_model_file(self, section: dict[str, Any]) -> TrainingSetup:
        from modelcheck.readers.model.keras_file import read_model_file

        declared = section["file"]
        found = _resolve(self.path, declared, want_dir=False)
        if found is None:
            raise self.fail(("model", "file"), f"model.file '{declared}' not found (looked next to the config and in the current directory)")
        try:
            setup = read_model_file(_display(found))
        except (InputError, NoSetup) as error:
            raise self.fail(("model", "file"), f"model.file '{declared}': {error}") from None
        except OSError as error:
            raise self.fail(("model", "file"), f"model.file '{declared}': cannot read: {error.strerror or error}") from None
        if "weights" in section and setup.model is not None:
            weights = _weights_kind(section["weights"])
            backbones = tuple(replace(b, weights=weights) for b in setup.model.backbones)
            setup = replace(setup, model=replace(setup.model, backbones=backbones))
        return setup


def _weights_kind(value: Any) -> str:
    if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "")):
        return "none"
    return "imagenet" if str(value).lower() == "imagenet" else "file"


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _unique(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    number = 1
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


def _resolve(config_path: str, declared: str, want_dir: bool) -> str | None:
    """A path from the config: relative to the config's folder first, then to the CWD."""
    candidates = [declared] if os.path.isabs(declared) else [os.path.join(os.path.dirname(config_path) or ".", declared), declared]
    for candidate in candidates:
        if (os.path.isdir(candidate) if want_dir else os.path.isfile(candidate)):
            return candidate
    return None


def _display(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _backbone_names() -> list[str]:
    from modelcheck.knowledge import load_backbones

    return sorted(load_backbones())
