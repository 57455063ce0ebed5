"""A/B confirmation: train the automatically fixed model next to the one as written.

For a static finding with a mechanical fix — MC101 hidden softmax → relu,
MC102 sigmoid output → softmax, MC201 wrong input scaling → the backbone's
``preprocess_input`` — the probe edits ``model.get_config()``, rebuilds with
``from_config``, copies the same initial weights, and trains the clone on the
same batch, so the report can say "loss 1.61 → 1.20 as written; 1.61 → 0.001
with relu".
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from modelcheck.findings import Finding

FIXABLE = ("MC101", "MC102", "MC201")


@dataclass(frozen=True)
class Fix:
    code: str
    label: str
    kind: str
    """'model' (edit the config) or 'data' (rescale the batch)."""
    module: str | None = None
    """keras.applications module whose preprocess_input the data fix uses."""


def detected_codes(model: Any, loss_name: str | None) -> set[str]:
    """MC101 / MC102 seen directly in the model's config (when no static finding is at hand)."""
    found = set()
    if hidden_softmax_to_relu({"config": copy.deepcopy(model.get_config())}):
        found.add("MC101")
    if loss_name == "categorical_crossentropy" and sigmoid_output_to_softmax({"config": copy.deepcopy(model.get_config())}):
        found.add("MC102")
    return found


def fixes_for(
    findings: Iterable[Finding], paths: Iterable[str], backbone_module: str | None, detected: Iterable[str] = ()
) -> list[Fix]:
    """The fixes the probe can try for the static findings about ``paths`` (and ``detected`` codes)."""
    wanted = set(paths)
    codes = sorted({f.code for f in findings if f.code in FIXABLE and f.location.path in wanted} | set(detected))
    fixes = []
    for code in codes:
        if code == "MC101":
            fixes.append(Fix(code, "with relu (MC101 fix)", "model"))
        elif code == "MC102":
            fixes.append(Fix(code, "with softmax output (MC102 fix)", "model"))
        elif code == "MC201" and backbone_module:
            fixes.append(Fix(code, f"with {backbone_module}.preprocess_input (MC201 fix)", "data", backbone_module))
    return fixes


def _entries(config: dict[str, Any]) -> Iterable[tuple[dict[str, Any], bool]]:
    """(layer entry, is a model output) for every layer, nested models included."""
    inner = config.get("config", config)
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(layers, list):
        return
    outputs = _output_names(inner, layers)
    for entry in layers:
        is_output = entry.get("config", {}).get("name", entry.get("name")) in outputs
        yield entry, is_output
        if isinstance(entry.get("config"), dict) and isinstance(entry["config"].get("layers"), list):
            # A nested model's output layer is a model output only when the nested model is one.
            yield from ((sub, sub_output and is_output) for sub, sub_output in _entries(entry))


def _output_names(inner: dict[str, Any], layers: list[Any]) -> set[str]:
    spec = inner.get("output_layers")
    if spec is None:
        last = layers[-1] if layers else {}
        return {last.get("config", {}).get("name", last.get("name"))}
    names: set[str] = set()

    def collect(item: Any) -> None:
        if isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
            names.add(item[0])
        elif isinstance(item, (list, tuple)):
            for sub in item:
                collect(sub)
        elif isinstance(item, dict):
            for sub in item.values():
                collect(sub)

    collect(spec)
    return names


def _activation(entry: dict[str, Any]) -> str | None:
    config = entry.get("config", {})
    if entry.get("class_name") == "Softmax":
        return "softmax"
    value = config.get("activation")
    if isinstance(value, dict):  # a serialized activation function
        value = value.get("config") if isinstance(value.get("config"), str) else value.get("class_name")
    return value if isinstance(value, str) else None


def hidden_softmax_to_relu(config: dict[str, Any]) -> int:
    """Turn every softmax that is not a model output into relu; returns how many changed."""
    changed = 0
    for entry, is_output in _entries(config):
        if is_output or _activation(entry) != "softmax":
            continue
        if entry.get("class_name") == "Softmax":
            name = entry["config"].get("name")
            entry["class_name"] = "Activation"
            entry["module"] = "keras.layers"
            entry["registered_name"] = None
            entry["config"] = {"name": name, "activation": "relu", "trainable": entry["config"].get("trainable", True),
                               "dtype": entry["config"].get("dtype", "float32")}
        else:
            entry["config"]["activation"] = "relu"
        changed += 1
    return changed


def sigmoid_output_to_softmax(config: dict[str, Any]) -> int:
    """Turn a sigmoid output layer with more than one unit into softmax."""
    changed = 0
    for entry, is_output in _entries(config):
        units = entry.get("config", {}).get("units")
        if is_output and _activation(entry) == "sigmoid" and (units is None or units > 1):
            entry["config"]["activation"] = "softmax"
            changed += 1
    return changed


EDITS: dict[str, Callable[[dict[str, Any]], int]] = {"MC101": hidden_softmax_to_relu, "MC102": sigmoid_output_to_softmax}


def fixed_clone(model: Any, fix: Fix, initial_weights: list[Any]) -> Any | None:
    """A rebuilt copy of ``model`` with the fix applied and the given initial weights (None if nothing to change)."""
    if fix.kind != "model":
        return None
    config = copy.deepcopy(model.get_config())
    wrapper = {"config": config}
    if EDITS[fix.code](wrapper) == 0:
        return None
    clone = type(model).from_config(config)
    clone.set_weights(initial_weights)
    return clone


def clone_as_is(model: Any, initial_weights: list[Any]) -> Any:
    """An unchanged rebuilt copy (for a data fix, so the original stays untouched)."""
    clone = type(model).from_config(copy.deepcopy(model.get_config()))
    clone.set_weights(initial_weights)
    return clone
