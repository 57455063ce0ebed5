"""Read a YAML/TOML/JSON training config (docs/training-config.md) into the IR.

The config describes a model as ``model.backbone`` (any ``keras.applications``
name, its layers taken from the knowledge base) plus ``model.head``, or points
at a saved model with ``model.file``; ``compile``, ``data``, ``fit``,
``callbacks`` and ``expect`` use Keras's own argument names. Every fact keeps
the line of the key it came from, so findings point at the config.

Keys beyond the example are listed in docs/training-config.md; the one with new meaning is
``model.backbone_training``: ``false`` says the backbone is called as
``base(inputs, training=False)`` (the Keras fine-tuning guide's advice); ``true``
or absent says nothing is known about the call.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from modelcheck.errors import InputError, NoSetup
from modelcheck.ir import (
    ApiUse,
    Callback,
    Compile,
    Expectation,
    Fit,
    FreezeOp,
    Location,
    Loss,
    ModelGraph,
    Optimizer,
    Pipeline,
    Scaling,
    TrainingSetup,
)
from modelcheck.readers.config.schema import (
    LEGACY_FIT,
    LEGACY_OPTIMIZER,
    SECTIONS,
    looks_like_config,
    parse_fraction,
    suggest,
    validate,
)
from modelcheck.readers.config.text import ConfigText, KeyPath, key_text, parse_config
from modelcheck.readers.config.model_section import _COMPILE_ORDER, _FIT_ORDER, ModelSection, _resolve
from modelcheck.vocab import (
    AUGMENTATION_ARGS,
    DATA_DEPENDENT_ARGS,
    IMAGE_LAYERS,
    canonical_loss,
    canonical_metric,
    canonical_optimizer,
)

# Keras's default `monitor` for the callbacks that watch a quantity.
_DEFAULT_MONITOR = {"ModelCheckpoint": "val_loss", "EarlyStopping": "val_loss", "ReduceLROnPlateau": "val_loss"}


# Names the pre-commit hook treats as training configs (see .pre-commit-hooks.yaml).
CONFIG_NAME = re.compile(r"(^|[/\\])(train|finetune|fine[-_]tune)[^/\\]*\.(ya?ml|toml|json)$|\.modelcheck\.(ya?ml|toml|json)$", re.I)
_SECTION_LINE = re.compile(r"""^(?:\[{1,2}\s*)?["']?(?:model|compile|data|fit|callbacks|expect)["']?\s*[:=.\]]|"(?:model|compile|data|fit|callbacks|expect)"\s*:""", re.M)


def read_training_config(path: str, data: bytes) -> TrainingSetup:
    """Parse, validate and translate one training config. Raises InputError (MC001) or NoSetup."""
    try:
        doc = parse_config(path, data)
    except InputError as error:
        # Other tools' YAML (Helm templates, mkdocs.yml with !!python tags) must not make noise in
        # a directory scan: a file that cannot be parsed is reported only if it looks like ours.
        if CONFIG_NAME.search(path) or _SECTION_LINE.search(data[:200_000].decode("utf-8", "replace")):
            raise
        raise NoSetup(f"not a training config ({error})") from None
    if not looks_like_config(doc.data):
        raise NoSetup(f"not a training config: no {', '.join(SECTIONS)} section with training settings")
    validate(doc)
    return _Builder(doc).build()


class _Builder(ModelSection):
    def __init__(self, doc: ConfigText):
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.path = doc.path
        self.api_uses: list[ApiUse] = []

    # --- locations ---------------------------------------------------------------

    def loc(self, *keys: str | int, layer: str | None = None) -> Location:
        position = self.doc.position(keys)
        line, column = position if position else (None, None)
        return Location(self.path, line=line, column=column, key=key_text(keys) or None, layer=layer)

    def fail(self, keys: KeyPath, message: str) -> InputError:
        location = self.loc(*keys)
        return InputError(message, line=location.line, column=location.column, key=location.key)

    # --- the whole setup -----------------------------------------------------------

    def build(self) -> TrainingSetup:
        model_section = self.data.get("model") or {}
        graph: ModelGraph | None = None
        freeze_ops: tuple[FreezeOp, ...] = ()
        joined: TrainingSetup | None = None
        if "file" in model_section:
            joined = self._read_model_file(model_section)
            graph = joined.model
        elif "backbone" in model_section or "head" in model_section:
            graph, freeze_ops = self._model(model_section)
        compiles = self._compiles(joined)
        pipelines = tuple(self._pipeline(role, spec) for role, spec in (self.data.get("data") or {}).items())
        expectations, declared = self._expectations()
        callbacks, fits = self._callbacks(), self._fits()  # before api_uses: fits adds legacy arguments
        return TrainingSetup(
            path=self.path,
            kind="config",
            model=graph,
            compiles=compiles,
            pipelines=pipelines,
            freeze_ops=freeze_ops,
            callbacks=callbacks,
            fits=fits,
            api_uses=tuple(self.api_uses) + (joined.api_uses if joined else ()),
            code_objects=joined.code_objects if joined else (),
            expectations=expectations,
            num_classes=declared,
            num_classes_location=self.loc("expect", "num_classes") if declared is not None else None,
            source_lines=self.doc.lines,
        )

    # --- compile ---------------------------------------------------------------------

    def _compiles(self, joined: TrainingSetup | None) -> tuple[Compile, ...]:
        saved = joined.compile if joined else None
        section = self.data.get("compile")
        if section is None:
            return (replace(saved, order=_COMPILE_ORDER),) if saved else ()
        loss = self._loss(section["loss"]) if "loss" in section else (saved.loss if saved else None)
        optimizer = self._optimizer(section["optimizer"]) if "optimizer" in section else (saved.optimizer if saved else None)
        metrics: tuple[str, ...] | None
        if "metrics" in section:
            raw = section["metrics"]
            items = [raw] if isinstance(raw, str) else raw
            metrics = tuple(m for m in (canonical_metric(_as_class_config(item)) for item in items) if m)
        else:
            metrics = saved.metrics if saved else ()
        return (Compile(loss=loss, optimizer=optimizer, metrics=metrics, location=self.loc("compile"), order=_COMPILE_ORDER),)

    def _loss(self, value: Any) -> Loss:
        where = self.loc("compile", "loss")
        if isinstance(value, str):
            name, custom = canonical_loss(value)
            return Loss(name=name, custom=custom, location=where)
        class_name, config = (value["class_name"], value) if "class_name" in value else next(iter(value.items()))
        name, custom = canonical_loss(class_name)
        from_logits = (config or {}).get("from_logits")
        return Loss(name=name, custom=custom, from_logits=from_logits if isinstance(from_logits, bool) else None, location=where)

    def _optimizer(self, value: Any) -> Optimizer:
        if isinstance(value, str):
            return Optimizer(class_name=canonical_optimizer(value), location=self.loc("compile", "optimizer"))
        nested = "class_name" not in value
        class_name, config = next(iter(value.items())) if nested else (value["class_name"], value)
        config = config or {}
        base: KeyPath = ("compile", "optimizer") + ((class_name,) if nested else ())
        legacy = tuple(key for key in LEGACY_OPTIMIZER if key in config)
        for key in legacy:
            self.api_uses.append(ApiUse(f"{key}=", LEGACY_OPTIMIZER[key], self.loc(*base, key)))
        rate_key = "learning_rate" if "learning_rate" in config else "lr" if "lr" in config else None
        rate = _learning_rate(config.get(rate_key)) if rate_key else None
        where = self.loc(*base, rate_key) if rate_key else self.loc("compile", "optimizer")
        return Optimizer(class_name=canonical_optimizer(class_name), learning_rate=rate, legacy_kwargs=legacy, location=where)

    # --- data ------------------------------------------------------------------------

    def _pipeline(self, role: str, spec: dict[str, Any]) -> Pipeline:
        keys: KeyPath = ("data", role)
        facts = None
        if isinstance(spec.get("directory"), str):
            found = _resolve(self.path, spec["directory"], want_dir=True)
            facts = _inspect(found) if found else None
        classes = len(spec["classes"]) if spec.get("classes") else (facts.num_classes if facts and facts.num_classes else None)
        mode_key = "class_mode" if "class_mode" in spec else "label_mode" if "label_mode" in spec else None
        augmentation, aug_location = self._augmentation(keys, spec.get("augmentation"))
        size = spec.get("target_size") or spec.get("image_size")
        return Pipeline(
            role=role,
            source="config",
            scaling=self._scaling(keys, spec),
            augmentation=augmentation,
            augmentation_location=aug_location,
            target_size=tuple(size) if size else None,
            color_mode=spec.get("color_mode"),
            class_mode=("none" if spec[mode_key] is None else spec[mode_key]) if mode_key else None,
            class_mode_location=self.loc(*keys, mode_key) if mode_key else None,
            directory=spec.get("directory"),
            num_classes=classes,
            num_samples=facts.num_samples if facts else None,
            image_channels=facts.image_channels if facts else None,
            batch_size=spec.get("batch_size"),
            location=self.loc(*keys),
        )

    def _scaling(self, keys: KeyPath, spec: dict[str, Any]) -> Scaling:
        rescale = spec.get("rescale")
        factor: float | None = parse_fraction(rescale) if isinstance(rescale, str) else rescale
        family_key = "preprocessing" if "preprocessing" in spec else "preprocessing_function" if "preprocessing_function" in spec else None
        family = _family(spec[family_key]) if family_key else None
        if any(spec.get(name) for name in DATA_DEPENDENT_ARGS):
            return Scaling("unknown", location=self.loc(*keys))
        if factor not in (None, 1) and family and family_key:
            # Both: the preprocessing function runs first, then rescale (as ImageDataGenerator does).
            steps = (
                Scaling("preprocess_input", family=family, location=self.loc(*keys, family_key)),
                Scaling("rescale", float(factor), location=self.loc(*keys, "rescale")),
            )
            return Scaling("unknown", location=self.loc(*keys), steps=steps)
        if factor is not None and factor != 1:
            return Scaling("rescale", float(factor), location=self.loc(*keys, "rescale"))
        if family and family_key:
            from modelcheck.knowledge import preprocessing_for_module

            if preprocessing_for_module(family) is None:
                raise self.fail(keys + (family_key,), f"unknown preprocessing '{spec[family_key]}'{suggest(family, _module_names())}: use a keras.applications module name such as resnet50")
            return Scaling("preprocess_input", family=family, location=self.loc(*keys, family_key))
        return Scaling("none", location=self.loc(*keys, family_key) if family_key else self.loc(*keys))

    def _augmentation(self, keys: KeyPath, value: Any) -> tuple[tuple[str, ...], Location | None]:
        if not value:
            return (), None
        items = value.items() if isinstance(value, dict) else ((item, True) if isinstance(item, str) else next(iter(item.items())) for item in value)
        active = []
        for name, setting in items:
            if name in AUGMENTATION_ARGS:
                if setting not in (None, False, 0, 0.0, [], [1, 1], [1.0, 1.0]):
                    active.append(name)
            elif name[:1].isupper() and name not in IMAGE_LAYERS and setting is not False and setting is not None:
                active.append(name)
        return tuple(active), (self.loc(*keys, "augmentation") if active else None)

    # --- fit, callbacks, expectations ----------------------------------------------------

    def _fits(self) -> tuple[Fit, ...]:
        section = self.data.get("fit")
        data = self.data.get("data")
        if section is None and data is None:
            return ()
        section = section or {}
        for key, (replacement, _) in LEGACY_FIT.items():
            if key in section:
                self.api_uses.append(ApiUse(f"{key}=", replacement, self.loc("fit", key)))
        validation = bool(data and ("validation" in data)) or bool(section.get("validation_split"))
        train = (data or {}).get("train") or {}
        return (Fit(
            method="fit",
            epochs=section.get("epochs", section.get("nb_epoch")),
            steps_per_epoch=section.get("steps_per_epoch"),
            validation_steps=section.get("validation_steps"),
            batch_size=section.get("batch_size") or train.get("batch_size"),
            has_validation=True if validation else (False if data is not None else None),
            order=_FIT_ORDER,
            location=self.loc("fit") if "fit" in self.data else self.loc("data"),
            steps_location=self.loc("fit", "steps_per_epoch") if "steps_per_epoch" in section else None,
            validation_steps_location=self.loc("fit", "validation_steps") if "validation_steps" in section else None,
        ),)

    def _callbacks(self) -> tuple[Callback, ...]:
        found = []
        for index, item in enumerate(self.data.get("callbacks") or ()):
            class_name, kwargs = (item, {}) if isinstance(item, str) else next(iter(item.items()))
            kwargs = kwargs or {}
            base: KeyPath = ("callbacks", index) + ((class_name,) if isinstance(item, dict) else ())
            monitor = kwargs.get("monitor", _DEFAULT_MONITOR.get(class_name.split(".")[-1]))
            where = self.loc(*base, "monitor") if "monitor" in kwargs else self.loc(*base)
            found.append(Callback(class_name=class_name.split(".")[-1], monitor=monitor, location=where))
        return tuple(found)

    def _expectations(self) -> tuple[tuple[Expectation, ...], int | None]:
        section = self.data.get("expect") or {}
        found = tuple(Expectation(**{key: value}, location=self.loc("expect", key)) for key, value in section.items())
        return found, section.get("num_classes")


# --- helpers -----------------------------------------------------------------------------


def _learning_rate(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return parse_fraction(value)
    if isinstance(value, dict):  # a schedule: its starting rate is what fine-tuning starts with
        config = value["config"] if isinstance(value.get("config"), dict) else value
        return _learning_rate(config.get("initial_learning_rate"))
    return None


def _as_class_config(item: Any) -> Any:
    """`{CategoricalAccuracy: {name: acc}}` -> the `{class_name, config}` form Keras saves."""
    if isinstance(item, dict) and "class_name" not in item and len(item) == 1:
        class_name, config = next(iter(item.items()))
        return {"class_name": class_name, "config": config or {}}
    if isinstance(item, dict) and "class_name" in item and "config" not in item:
        return {"class_name": item["class_name"], "config": {k: v for k, v in item.items() if k != "class_name"}}
    return item


def _family(value: Any) -> str | None:
    """'resnet50', 'resnet50.preprocess_input' or 'keras.applications.resnet50.preprocess_input' -> 'resnet50'."""
    if not isinstance(value, str) or value.lower() in ("none", "null", ""):
        return None
    parts = [part for part in value.split(".") if part not in ("keras", "applications", "tf", "preprocess_input")]
    return parts[-1] if parts else None


def _inspect(directory: str) -> Any:
    from modelcheck.readers.data_dir import inspect_directory

    return inspect_directory(directory)


def _module_names() -> list[str]:
    from modelcheck.knowledge import load_backbones

    return sorted({entry.module for entry in load_backbones().values()})
