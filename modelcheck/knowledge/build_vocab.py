"""Generate ``rules/vocab.json`` (the Keras vocabulary) from the installed Keras.

Usage::

    python -m modelcheck.knowledge.build_vocab            # rewrite rules/vocab.json
    python -m modelcheck.knowledge.build_vocab --check    # exit 1 if the file is stale

Facts come from Keras itself, never from hand tables: the names ``keras.losses.get``,
``keras.activations.get``, ``keras.optimizers.get`` and ``keras.metrics.get`` accept
(their ``ALL_OBJECTS_DICT``), the canonical function behind each loss class, the
default ``learning_rate`` in each optimizer's signature, the name each metric class
logs under, the augmentation layers (the image preprocessing layers that take a
``seed``: random at training time, identity at inference) and whether they keep the
image shape. The tf-keras 2 half records only where Keras 2 differs or adds names.
Hand-written knowledge (what a loss expects, Keras 1 names) stays in
:mod:`modelcheck.vocab`, apart from this file.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO_ROOT / "rules" / "vocab.json"
GENERATOR = "python -m modelcheck.knowledge.build_vocab"

# Arguments for the constructors that require some, only to ask for an output shape.
_REQUIRED_ARGS = {
    "height": 16, "width": 16, "factor": 0.1, "height_factor": 0.1, "width_factor": 0.1, "max_number": 1,
    "num_classes": 2, "target_class_ids": [0], "recall": 0.5, "precision": 0.5, "specificity": 0.5, "sensitivity": 0.5,
}
# A second try for constructors that want a whole number there (RandomPosterization's factor).
_RETRY_ARGS = {"factor": 4}
_PROBE_SHAPE = (None, 32, 32, 3)


def _required(cls: type) -> dict[str, Any] | None:
    """Values for the constructor's required parameters (None when one is not in _REQUIRED_ARGS)."""
    values: dict[str, Any] = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL) or param.default is not param.empty:
            continue
        if name not in _REQUIRED_ARGS:
            return None
        values[name] = _REQUIRED_ARGS[name]
    return values


def _instance(cls: type) -> Any:
    """``cls`` built with placeholder values for its required parameters (None when that fails)."""
    args = _required(cls)
    if args is None:
        return None
    for attempt in (args, {**args, **{k: v for k, v in _RETRY_ARGS.items() if k in args}}):
        try:
            return cls(**attempt)
        except Exception:  # noqa: BLE001 - these placeholders do not fit: try the next, else unknown
            continue
    return None


def _keeps_shape(cls: type) -> bool | None:
    layer = _instance(cls)
    if layer is None:
        return None
    return tuple(layer.compute_output_shape(_PROBE_SHAPE)) == _PROBE_SHAPE


def _image_layers(layers: Any, marker: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """(augmentation layers → {keeps_shape}, deterministic image preprocessing layers)."""
    augmentation: dict[str, dict[str, Any]] = {}
    fixed: list[str] = []
    for name in dir(layers):
        cls = getattr(layers, name)
        if not (inspect.isclass(cls) and marker in cls.__module__ and name == cls.__name__):
            continue
        if "Base" in name or name.endswith("PreprocessingLayer"):
            continue
        if "seed" in inspect.signature(cls.__init__).parameters:
            augmentation[name] = {"keeps_shape": _keeps_shape(cls)}
        else:
            fixed.append(name)
    return augmentation, sorted(fixed)


def _layer_aliases(layers: Any) -> dict[str, str]:
    """Names ``keras.layers`` exports for a class under another name (``Convolution2D`` → ``Conv2D``)."""
    aliases = {}
    for name in dir(layers):
        obj = getattr(layers, name)
        if inspect.isclass(obj) and name[:1].isupper() and obj.__name__ != name and hasattr(layers, obj.__name__):
            aliases[name] = obj.__name__
    return dict(sorted(aliases.items()))


def _function_names(table: dict[str, Any]) -> dict[str, str]:
    """Every string name a ``get()`` accepts for a function → the function's own name."""
    return dict(sorted((key, obj.__name__) for key, obj in table.items() if inspect.isfunction(obj)))


def _loss_classes(losses: Any) -> dict[str, str | None]:
    """Loss class ``keras.losses`` exports → the loss function it wraps (None when it wraps none)."""
    classes: dict[str, str | None] = {}
    for key in dir(losses):
        obj = getattr(losses, key)
        if not (inspect.isclass(obj) and issubclass(obj, losses.Loss) and obj is not losses.Loss and key == obj.__name__):
            continue
        fn = getattr(_instance(obj), "fn", None)
        classes[key] = fn.__name__ if inspect.isfunction(fn) else None
    return dict(sorted(classes.items()))


def _metric_classes(metrics: Any) -> dict[str, str]:
    """Metric class → the name Keras logs it under when built without ``name=``."""
    logged = {}
    for name in dir(metrics):
        cls = getattr(metrics, name)
        if not (inspect.isclass(cls) and name == cls.__name__ and issubclass(cls, metrics.Metric) and cls is not metrics.Metric):
            continue
        metric = _instance(cls)
        if metric is not None and isinstance(getattr(metric, "name", None), str):
            logged[name] = metric.name
    return dict(sorted(logged.items()))


def _optimizers(optimizers: Any) -> dict[str, float | None]:
    """Optimizer class → its default learning rate (None: it takes none, e.g. a wrapper)."""
    found: dict[str, float | None] = {}
    for name in dir(optimizers):
        cls = getattr(optimizers, name)
        if not (inspect.isclass(cls) and name == cls.__name__ and issubclass(cls, optimizers.Optimizer)):
            continue
        if cls is optimizers.Optimizer:
            continue
        param = inspect.signature(cls.__init__).parameters.get("learning_rate")
        default = param.default if param is not None else None
        found[name] = float(default) if isinstance(default, (int, float)) and not isinstance(default, bool) else None
    return dict(sorted(found.items()))


def _keras3() -> dict[str, Any]:
    keras = importlib.import_module("keras")
    losses_src = importlib.import_module("keras.src.losses")
    activations_src = importlib.import_module("keras.src.activations")
    metrics_src = importlib.import_module("keras.src.metrics")
    augmentation, fixed = _image_layers(keras.layers, ".image_preprocessing.")
    return {
        "version": keras.__version__,
        "augmentation_layers": augmentation,
        "image_layers": fixed,
        "layer_aliases": _layer_aliases(keras.layers),
        "activations": _function_names(activations_src.ALL_OBJECTS_DICT),
        "losses": _function_names(losses_src.ALL_OBJECTS_DICT),
        "loss_classes": _loss_classes(keras.losses),
        "optimizers": _optimizers(keras.optimizers),
        "metrics": sorted(metrics_src.ALL_OBJECTS_DICT),
        "metric_classes": _metric_classes(keras.metrics),
    }


def _keras2() -> dict[str, Any] | None:
    try:
        tf_keras = importlib.import_module("tf_keras")
    except ImportError:
        return None
    augmentation, fixed = _image_layers(tf_keras.layers, ".preprocessing.")
    augmentation = {k: v for k, v in augmentation.items() if k.startswith("Random")}  # not the text layers with seeds
    losses = {name: obj.__name__ for name in dir(tf_keras.losses) if inspect.isfunction(obj := getattr(tf_keras.losses, name))}
    activations = {name: obj.__name__ for name in dir(tf_keras.activations)
                   if inspect.isfunction(obj := getattr(tf_keras.activations, name)) and name not in ("get", "serialize", "deserialize")}
    generator = tf_keras.preprocessing.image.ImageDataGenerator
    return {
        "version": tf_keras.__version__,
        "augmentation_layers": augmentation,
        "layer_aliases": _layer_aliases(tf_keras.layers),
        "activations": dict(sorted(activations.items())),
        "losses": dict(sorted((k, v) for k, v in losses.items() if k not in ("get", "serialize", "deserialize"))),
        "optimizers": _optimizers(tf_keras.optimizers),
        "image_data_generator_args": [p for p in inspect.signature(generator.__init__).parameters if p != "self"],
    }


def _only_differences(keras2: dict[str, Any], keras3: dict[str, Any]) -> dict[str, Any]:
    """Keep of the Keras 2 tables only the entries Keras 3 lacks or answers differently."""
    out: dict[str, Any] = {"version": keras2["version"]}
    for key, value in keras2.items():
        if key == "version":
            continue
        if isinstance(value, dict) and isinstance(keras3.get(key), dict):
            value = {k: v for k, v in value.items() if keras3[key].get(k, object()) != v}
        out[key] = value
    return out


def generate() -> dict[str, Any]:
    """The vocabulary as ``rules/vocab.json`` holds it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras3 = _keras3()
        keras2 = _keras2()
    data: dict[str, Any] = {"_generated_by": GENERATOR, "keras3": keras3}
    if keras2 is not None:
        data["keras2"] = _only_differences(keras2, keras3)
    return data


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=False) + "\n"


def _versionless(data: dict[str, Any]) -> dict[str, Any]:
    return {key: ({k: v for k, v in value.items() if k != "version"} if isinstance(value, dict) else value)
            for key, value in data.items()}


def stale_entries(committed: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """'keras3.optimizers' style keys whose tables differ (versions aside). Only the halves
    this machine could generate are compared: without tf-keras the Keras 2 half is kept as is."""
    old, new = _versionless(committed), _versionless(fresh)
    stale = []
    for half in sorted(new):
        a, b = old.get(half), new.get(half)
        if not isinstance(a, dict) or not isinstance(b, dict):
            if a != b:
                stale.append(half)
            continue
        stale.extend(f"{half}.{key}" for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key))
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=GENERATOR, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file differs from the installed Keras")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    fresh = generate()
    if args.check:
        committed = json.loads(args.output.read_text(encoding="utf-8"))
        stale = stale_entries(committed, fresh)
        for key in stale:
            print(f"stale {key}", file=sys.stderr)
        return 1 if stale else 0
    args.output.write_text(render(fresh), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
