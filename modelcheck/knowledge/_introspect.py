"""Keras-side helpers of the generator: graph cuts and preprocessing probes.

Imported only by :mod:`modelcheck.knowledge.build`; needs NumPy, works on
Keras 3 and tf-keras models alike (it reads the model config, whose two
layouts it both understands).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# One black, one white and one coloured pixel: enough to tell the modes apart
# (channel order, scale, offset) and to read off the output range.
PROBE = np.array([[[[0.0, 0.0, 0.0], [255.0, 255.0, 255.0], [10.0, 100.0, 200.0]]]], "float32")

_CAFFE_MEAN = np.array([103.939, 116.779, 123.68], "float32")
_TORCH_MEAN = np.array([0.485, 0.456, 0.406], "float32")
_TORCH_STD = np.array([0.229, 0.224, 0.225], "float32")

MODES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none": lambda x: x,
    "tf": lambda x: x / 127.5 - 1.0,
    "torch": lambda x: (x / 255.0 - _TORCH_MEAN) / _TORCH_STD,
    "caffe": lambda x: x[..., ::-1] - _CAFFE_MEAN,
}


def classify(output: Any, atol: float = 1e-3) -> str | None:
    """The preprocessing mode whose formula maps :data:`PROBE` to ``output``."""
    out = np.asarray(output, dtype="float64")
    for mode, formula in MODES.items():
        expected = formula(PROBE.copy())
        if out.shape == expected.shape and np.allclose(out, expected, atol=atol, rtol=0):
            return mode
    return None


def output_range(output: Any) -> list[float]:
    """[min, max] the network sees for a black and a white image."""
    out = np.asarray(output, dtype="float64")
    return [round(float(out[..., 0, :].min()), 4), round(float(out[..., 1, :].max()), 4)]


def probe_preprocess(fn: Callable[..., Any]) -> tuple[str | None, list[float]]:
    """Call a ``preprocess_input`` on the probe image and classify the result."""
    # preprocess_input works in place on float arrays; never hand it PROBE.
    out = fn(PROBE.copy())
    return classify(out), output_range(out)


def _sources(obj: Any, pos: dict[str, int], out: set[int]) -> None:
    """Collect the config positions an ``inbound_nodes`` structure refers to.

    Keras 3 writes tensors as ``{"keras_history": [name, node, index]}``;
    Keras 2 as ``[name, node, index, kwargs]`` lists, whose kwargs may hold
    further tensors (``TFOpLambda``'s ``y``).
    """
    if isinstance(obj, dict):
        history = obj.get("keras_history")
        if isinstance(history, (list, tuple)) and history and history[0] in pos:
            out.add(pos[history[0]])
            return
        for value in obj.values():
            _sources(value, pos, out)
    elif isinstance(obj, (list, tuple)):
        if (
            len(obj) >= 3
            and isinstance(obj[0], str)
            and obj[0] in pos
            and isinstance(obj[1], int)
            and isinstance(obj[2], int)
        ):
            out.add(pos[obj[0]])
            obj = list(obj[3:])
        for value in obj:
            _sources(value, pos, out)


def graph_facts(
    config_layers: Sequence[dict[str, Any]], layer_names: Sequence[str]
) -> tuple[list[list[Any]], list[int]]:
    """Config entries that are not layers, and the single-tensor cuts.

    Returns ``(config_ops, cuts)``: ``config_ops`` lists ``[position, name,
    class]`` of saved-config entries missing from ``model.layers`` (Keras 3
    ``keras.ops`` calls); ``cuts`` lists every ``b`` in ``1..n-1`` such that
    exactly one tensor flows from ``layers[:b]`` into ``layers[b:]``.  A
    weightless op between two layers may sit on either side.
    """
    names = [entry["name"] for entry in config_layers]
    pos = {name: i for i, name in enumerate(names)}
    layer_pos = [pos[name] for name in layer_names]
    if layer_pos != sorted(layer_pos):
        raise RuntimeError("model.layers is not in saved-config order")
    layer_set = set(layer_names)
    config_ops = [
        [i, entry["name"], entry["class_name"]]
        for i, entry in enumerate(config_layers)
        if entry["name"] not in layer_set
    ]

    last_use = [-1] * len(names)
    for target, entry in enumerate(config_layers):
        sources: set[int] = set()
        _sources(entry.get("inbound_nodes", []), pos, sources)
        for source in sources:
            last_use[source] = max(last_use[source], target)

    config_cuts: set[int] = set()
    expiring: Counter[int] = Counter()
    active = 0
    for q in range(1, len(names)):
        source = q - 1
        if last_use[source] >= q:
            active += 1
            expiring[last_use[source] + 1] += 1
        active -= expiring.pop(q, 0)
        if active == 1:
            config_cuts.add(q)

    cuts = [
        b
        for b in range(1, len(layer_names))
        if any(q in config_cuts for q in range(layer_pos[b - 1] + 1, layer_pos[b] + 1))
    ]
    return config_ops, cuts
