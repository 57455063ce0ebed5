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

from modelcheck.knowledge.layout import apply_downsampling

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


# Layers that change the spatial size of a feature map, by how they do it.
_WINDOWED = frozenset(
    {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D", "Convolution2D"}
)
_SPATIAL_BREAKING = frozenset(
    {"Flatten", "Reshape", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "UpSampling2D", "Conv2DTranspose"}
)


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])


def _pad_totals(value: Any) -> tuple[int, int]:
    """Total rows and columns a ZeroPadding2D/Cropping2D ``padding`` adds."""
    if isinstance(value, int):
        return 2 * value, 2 * value
    rows, cols = value
    rows_total = 2 * rows if isinstance(rows, int) else int(rows[0]) + int(rows[1])
    cols_total = 2 * cols if isinstance(cols, int) else int(cols[0]) + int(cols[1])
    return rows_total, cols_total


def _first_source(obj: Any, pos: dict[str, int]) -> int | None:
    """The first tensor an ``inbound_nodes`` structure reads, in argument order."""
    if isinstance(obj, dict):
        history = obj.get("keras_history")
        if isinstance(history, (list, tuple)) and history and history[0] in pos:
            return pos[history[0]]
        values = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        if len(obj) >= 3 and isinstance(obj[0], str) and obj[0] in pos and isinstance(obj[1], int):
            return pos[obj[0]]
        values = list(obj)
    else:
        return None
    for value in values:
        found = _first_source(value, pos)
        if found is not None:
            return found
    return None


def downsampling(config_layers: Sequence[dict[str, Any]], output_name: str) -> list[list[Any]] | None:
    """The ops that change the spatial size on the path from the input to ``output_name``.

    Each op is ``["window", kh, kw, sh, sw, padding]`` (a convolution or
    pooling; ``kh``/``kw`` include dilation) or ``["pad", rows, cols]`` (a
    ZeroPadding2D, or a Cropping2D with negative totals).  Branches meet only
    where their sizes agree, so following the first input of every layer gives
    the size of the output for any input size.  None if the path breaks the
    spatial layout (Flatten, Reshape…).
    """
    pos = {entry["name"]: i for i, entry in enumerate(config_layers)}
    path: list[int] = []
    current: int | None = pos.get(output_name)
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        path.append(current)
        current = _first_source(config_layers[current].get("inbound_nodes", []), pos)
    ops: list[list[Any]] = []
    for index in reversed(path):
        entry_ops = _entry_ops(config_layers[index])
        if entry_ops is None:
            return None
        ops += entry_ops
    return ops


def _entry_ops(entry: dict[str, Any]) -> list[list[Any]] | None:
    """The size-changing ops of one config entry (a nested model contributes its own path)."""
    cls, cfg = entry["class_name"], entry.get("config", {})
    if cls in _SPATIAL_BREAKING:
        return None
    if cls == "Sequential":
        ops: list[list[Any]] = []
        for inner in cfg.get("layers", []):
            inner_ops = _entry_ops(inner)
            if inner_ops is None:
                return None
            ops += inner_ops
        return ops
    if cls in ("Functional", "Model"):
        outputs = cfg.get("output_layers") or []
        while isinstance(outputs, (list, tuple)) and outputs and isinstance(outputs[0], (list, tuple)):
            outputs = outputs[0]
        if not outputs or not isinstance(outputs[0], str):
            return None
        return downsampling(cfg.get("layers", []), outputs[0])
    if cls in _WINDOWED:
        kh, kw = _pair(cfg.get("kernel_size", cfg.get("pool_size")))
        sh, sw = _pair(cfg.get("strides") or (kh, kw))
        dh, dw = _pair(cfg.get("dilation_rate", 1))
        kh, kw = dh * (kh - 1) + 1, dw * (kw - 1) + 1
        padding = str(cfg.get("padding", "valid")).lower()
        if (sh, sw) == (1, 1) and (padding == "same" or (kh, kw) == (1, 1)):
            return []
        return [["window", kh, kw, sh, sw, padding]]
    if cls in ("ZeroPadding2D", "Cropping2D"):
        rows, cols = _pad_totals(cfg.get("padding", cfg.get("cropping")))
        sign = 1 if cls == "ZeroPadding2D" else -1
        return [["pad", sign * rows, sign * cols]]
    return []


def feature_map(model: Any, default_size: int, min_size: int) -> dict[str, Any]:
    """Output feature-map shape of an ``include_top=False`` build, and its size formula.

    ``default`` is the ``[h, w, channels]`` at the default input size; the
    ``downsampling`` ops give it at any size and are checked here against
    Keras' own ``compute_output_shape`` at several sizes (dropped if any
    disagrees).
    """
    config = model.get_config()
    outputs = config.get("output_layers") or []
    # Keras 3 writes a single output as one [name, node, index] triple.
    while isinstance(outputs, (list, tuple)) and outputs and isinstance(outputs[0], (list, tuple)):
        outputs = outputs[0]
    output_name = outputs[0] if outputs and isinstance(outputs[0], str) else None

    def measured(size: int) -> list[Any] | None:
        if model.input_shape[1] not in (None, size):
            return None
        try:
            shape = model.compute_output_shape((1, size, size, 3))
        except NotImplementedError:
            # tf-keras cannot infer shapes through TFOpLambda layers: run it.
            try:
                shape = model(np.zeros((1, size, size, 3), "float32")).shape
            except Exception:  # a size the graph cannot take
                return None
        except Exception:  # a size the graph cannot take (or a static graph)
            return None
        return [None if d is None else int(d) for d in tuple(shape)[1:]]

    default = measured(default_size)
    if default is None and model.input_shape[1] == default_size:
        default = [None if d is None else int(d) for d in model.output_shape[1:]]
    result: dict[str, Any] = {"channels": int(model.output_shape[-1]), "default": default}
    ops = downsampling(config["layers"], output_name) if output_name else None
    if ops is not None:
        checks = [default_size, min_size, default_size + 1, 2 * default_size - 3]
        for size in checks:
            shape = default if size == default_size else measured(size)
            if shape is not None and list(apply_downsampling(ops, size, size)) != shape[:2]:
                print(f"warning: {model.name}: downsampling gives a wrong size at {size}", flush=True)
                ops = None
                break
    if ops is not None:
        result["downsampling"] = ops
    return result
