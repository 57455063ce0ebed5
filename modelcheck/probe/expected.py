"""What the backbone expects its inputs to look like, and whether the probe batch does (MC508).

The expected interval comes from the same images run through the backbone's
own ``preprocess_input`` when the raw pixels are known, otherwise from the
knowledge base's ``input_range`` (``rules/backbones.json``), otherwise from
``preprocess_input`` applied to 0 and 255. The measured interval is what
actually reaches the backbone: the declared pipeline's output passed through
any layers in front of the backbone (a ``Rescaling`` in the wrapper model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from modelcheck.probe.data import InputScaling, ProbeBatch, family_module, scale

MIN_OVERLAP = 0.6
"""Intersection over union of measured and expected intervals below which inputs mismatch.
[0, 1] into a [-1, 1] backbone gives 0.5, into caffe mode 0.004, into torch mode 0.2."""


@dataclass(frozen=True)
class BackboneInfo:
    name: str
    module: str | None
    pretrained: bool | None
    prefix: str | None
    """Path of the nested backbone in the Keras model (None: its layers sit in the top model)."""
    mode: str | None = None
    input_range: tuple[float, float] | None = None


def _knowledge(name: str) -> Any:
    try:
        from modelcheck.knowledge import find_backbone

        return find_backbone(name)
    except Exception:  # the knowledge base is optional for the probe
        return None


def find_backbone(model: Any, setup: Any, origin: str) -> BackboneInfo | None:
    """The first backbone in the model: from the static reader's IR, else guessed from nested model names."""
    graph = getattr(setup, "model", None)
    if graph is not None and graph.backbones:
        first = graph.backbones[0]
        pretrained = first.pretrained
        prefix = first.nested_as
        if origin == "setup":
            prefix = _nested_name(model, first.name, first.nested_as)
        return _info(first.name, pretrained, prefix)
    if origin == "setup":
        return None
    import keras

    names = {n.lower(): n for n in dir(keras.applications) if n[:1].isupper()}
    for layer in model.layers:
        if not (hasattr(layer, "layers") and layer.layers):
            continue
        stem = layer.name.lower().split("_")[0].replace(".", "")
        name = names.get(stem) or names.get(layer.name.lower())
        if name is None:
            continue
        frozen = any(not sub.trainable for sub in layer.layers if sub.weights) or not layer.trainable
        return _info(name, True if frozen else None, layer.name)
    return None


def _nested_name(model: Any, backbone: str, nested_as: str | None = None) -> str | None:
    """Name of the nested model that holds the backbone in a model the probe rebuilt."""
    def key(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            if layer.name == nested_as or key(layer.name).startswith(key(backbone)):
                return layer.name
    return None


def _info(name: str, pretrained: bool | None, prefix: str | None) -> BackboneInfo:
    known = _knowledge(name)
    if known is not None:
        return BackboneInfo(name, known.module, pretrained, prefix, known.preprocessing, tuple(known.input_range))
    return BackboneInfo(name, family_module(name), pretrained, prefix)


def expected_interval(info: BackboneInfo, raw: np.ndarray | None) -> tuple[float, float, float | None]:
    """(low, high, mean on these images or None) of what the backbone's weights were trained on."""
    if raw is not None and info.module:
        correct = scale(raw, InputScaling("preprocess_input", module=info.module))
        return float(correct.min()), float(correct.max()), float(correct.mean())
    if info.input_range is not None:
        return float(info.input_range[0]), float(info.input_range[1]), None
    if info.module:
        ends = np.array([[[[0.0, 0.0, 0.0], [255.0, 255.0, 255.0]]]], dtype="float32")
        edge = scale(ends, InputScaling("preprocess_input", module=info.module))
        return float(edge.min()), float(edge.max()), None
    return 0.0, 255.0, None


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 1.0


def check_inputs(model: Any, batch: ProbeBatch, info: BackboneInfo | None) -> dict[str, Any] | None:
    """MC508's measurement: None when it does not apply (no real inputs, no pretrained backbone)."""
    if info is None or info.pretrained is not True:
        return None
    real = batch.source == "arrays" or (batch.source == "images" and batch.scaling is not None and batch.scaling.declared)
    if not real:
        return None
    from modelcheck.probe.cache import value_before

    measured = value_before(model, info.prefix, batch.x) if info.prefix else None
    if measured is None:
        measured = batch.x
    measured = np.asarray(measured, dtype="float64")
    low, high, mean = expected_interval(info, batch.raw)
    seen = (float(measured.min()), float(measured.max()))
    score = overlap(seen, (low, high))
    how = f"{info.mode} preprocessing, " if info.mode else ""
    expected_text = f"{how}about [{low:.3g}, {high:.3g}]" + (f" (mean {mean:.3g} on these images)" if mean is not None else "")
    where = "the images reach" if batch.source == "images" else "the input batch reaches"
    via = f" after {batch.scaling.describe()}" if batch.scaling is not None and batch.source == "images" else ""
    return {
        "backbone": info.name,
        "measured": {"min": seen[0], "max": seen[1], "mean": float(measured.mean())},
        "expected": {"min": low, "max": high, "mean": mean},
        "overlap": score,
        "mismatch": score < MIN_OVERLAP,
        "message": (
            f"{where} {info.name} in [{seen[0]:.3g}, {seen[1]:.3g}] (mean {measured.mean():.3g}){via}, but its "
            f"pretrained weights expect {expected_text}: the intervals overlap {score:.0%}. The backbone's features "
            "are computed on inputs it has never seen, and fine-tuning starts from a broken feature extractor."
        ),
        "hint": f"Use keras.applications.{info.module}.preprocess_input (and nothing else) in the pipeline."
        if info.module else "Scale the inputs the way the backbone was trained.",
    }
