"""Turn the raw facts of :mod:`modelcheck.knowledge.build` into the JSON schema.

Pure Python: everything Keras-specific has been measured by then.  Schema of
``rules/backbones.json`` (keys starting with ``_`` are not applications):

``_meta``            format number and the Keras / tf-keras versions measured
``_modules``         ``keras.applications.<module>`` → preprocessing ``mode``,
                     ``input_range``, ``exports`` (``keras2_only`` for tf-keras
                     modules; ``keras2`` when tf-keras preprocesses differently)
``_auto_name_bases`` layer-name stems Keras numbers per session (``conv2d``,
                     ``add``, ``tf.__operators__.add`` …), for name matching
``<Application>``    one entry per application, see :func:`_layout` and
                     :func:`_entry` for the fields.

All index lists refer to ``model.layers`` of an ``include_top=False`` build.
``feature_map`` holds that build's output: ``channels``, ``default`` (``[h, w, c]``
at the default input size) and ``downsampling``, the size-changing ops on the path
from input to output (``["window", kh, kw, sh, sw, padding]``, ``["pad", rows,
cols]``) that :func:`modelcheck.knowledge.layout.apply_downsampling` turns into the
size for any input (checked against Keras at four sizes when generated).
"""

from __future__ import annotations

import re
import sys
from typing import Any

from modelcheck.knowledge import families

FORMAT = 1
BATCHNORM = frozenset({"BatchNormalization", "SyncBatchNormalization"})


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _layout(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Per-layer facts of one build: names, classes, blocks and index lists."""
    names, classes, cuts = raw["layers"], raw["classes"], raw["cuts"]
    family = families.family_for_module(raw["module"])
    if family is None:
        _warn(f"{name}: no block convention for module {raw['module']!r}")
    blocks = families.assign_blocks(family, names, classes, cuts)
    ends = families.block_ends(blocks)
    runs = [blocks[i] for i in ends]
    if len(runs) != len(set(runs)):
        _warn(
            f"{name}: blocks split into several runs: {sorted({str(b) for b in runs if runs.count(b) > 1})}"
        )
    return {
        "layers": names,
        "classes": classes,
        "blocks": blocks,
        "block_ends": ends,
        "batchnorm": [i for i, c in enumerate(classes) if c in BATCHNORM],
        "weighted": raw["weighted"],
        "cuts": cuts,
        "auto_named": [
            i for i, (n, c) in enumerate(zip(names, classes, strict=True)) if families.is_auto_named(n, c)
        ],
    }


def _signature(layout: dict[str, Any]) -> tuple[Any, ...]:
    """What must agree for two builds to count as the same layer list."""
    auto = set(layout["auto_named"])
    names = tuple(
        c if i in auto else n
        for i, (n, c) in enumerate(zip(layout["layers"], layout["classes"], strict=True))
    )
    return names, tuple(layout["classes"]), tuple(layout["weighted"]), tuple(layout["cuts"])


def _aliases(app: str, module: str, modules: dict[str, Any]) -> list[str]:
    exporting = {m for m, info in modules.items() if app in info["exports"]}
    exporting |= {m for m, info in modules.items() if app in info.get("keras2_exports", ())}
    return sorted(exporting - {module})


def _entry(name: str, raw: dict[str, Any], modules: dict[str, Any], keras2: bool) -> dict[str, Any]:
    module_info = modules[raw["module"]]
    if keras2 and "keras2" in module_info:
        module_info = module_info["keras2"]
    entry: dict[str, Any] = {
        "module": raw["module"],
        "aliases": _aliases(name, raw["module"], modules),
        "model_name": raw["model_name"],
        "input_shape": raw["input_shape"],
        "min_size": raw["min_size"],
        "default_size": raw["default_size"],
        "preprocessing": module_info["mode"],
        "input_range": module_info["input_range"],
        "internal_preprocessing": raw["internal_preprocessing"],
        "imagenet_weights_extra_layers": raw.get("imagenet_weights_extra_layers", []),
        "feature_map": raw["feature_map"],
        **_layout(name, raw),
    }
    if raw["config_ops"]:
        entry["config_ops"] = raw["config_ops"]
    if "include_preprocessing_false" in raw:
        entry["include_preprocessing_false"] = raw["include_preprocessing_false"]
    if (entry["preprocessing"] == "none") != bool(entry["internal_preprocessing"]):
        _warn(
            f"{name}: preprocessing {entry['preprocessing']!r} but internal {entry['internal_preprocessing']}"
        )
    return entry


def _modules(raw3: dict[str, Any], raw2: dict[str, Any] | None) -> dict[str, Any]:
    modules = {m: dict(info) for m, info in raw3["modules"].items()}
    for m, info in (raw2 or {}).get("modules", {}).items():
        if m not in modules:
            modules[m] = {**info, "keras2_only": True}
            continue
        if (info["mode"], info["input_range"]) != (modules[m]["mode"], modules[m]["input_range"]):
            modules[m]["keras2"] = {"mode": info["mode"], "input_range": info["input_range"]}
        if info["exports"] != modules[m]["exports"]:
            modules[m]["keras2_exports"] = info["exports"]
    return modules


def _auto_bases(entries: list[dict[str, Any]]) -> list[str]:
    bases = {"input", "input_layer"}
    for layout in entries:
        for i in layout["auto_named"]:
            if layout["classes"][i] != "InputLayer":
                bases.add(re.sub(r"_\d+$", "", layout["layers"][i]))
        for _, op_name, op_class in layout.get("config_ops", []):
            if families.is_auto_named(op_name, op_class):
                bases.add(re.sub(r"_\d+$", "", op_name))
    return sorted(bases)


def assemble(raw3: dict[str, Any], raw2: dict[str, Any] | None) -> dict[str, Any]:
    """The full knowledge base from Keras 3 (and optionally tf-keras) facts."""
    modules = _modules(raw3, raw2)
    out: dict[str, Any] = {
        "_meta": {
            "format": FORMAT,
            "keras": raw3["version"],
            "tf_keras": raw2["version"] if raw2 else None,
            "generator": "python -m modelcheck.knowledge.build",
        },
        "_modules": modules,
    }
    layouts: list[dict[str, Any]] = []
    for name, raw in sorted(raw3["apps"].items()):
        out[name] = _entry(name, raw, modules, keras2=False)
        layouts.append(out[name])
    for name, raw in sorted((raw2 or {}).get("apps", {}).items()):
        k2 = _entry(name, raw, modules, keras2=True)
        layouts.append(k2)
        if name not in out:
            out[name] = {**k2, "keras2_only": True}
            continue
        k3 = out[name]
        diff: dict[str, Any] = {}
        if _signature(k2) != _signature(k3):
            diff.update({key: k2[key] for key in _layout(name, raw)})
            diff["model_name"] = k2["model_name"]
        if (
            k2["imagenet_weights_extra_layers"]
            and k2["imagenet_weights_extra_layers"] != k3["imagenet_weights_extra_layers"]
        ):
            diff["imagenet_weights_extra_layers"] = k2["imagenet_weights_extra_layers"]
        for key in (
            "preprocessing",
            "input_range",
            "min_size",
            "default_size",
            "internal_preprocessing",
            "feature_map",
        ):
            if k2[key] != k3[key]:
                diff[key] = k2[key]
        if diff:
            k3["keras2"] = diff
    out["_auto_name_bases"] = _auto_bases(layouts)
    return out
