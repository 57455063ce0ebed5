"""Generate ``rules/backbones.json`` from ``keras.applications`` itself.

Usage::

    python -m modelcheck.knowledge.build            # rewrite rules/backbones.json
    python -m modelcheck.knowledge.build --check    # exit 1 if the file is stale
    python -m modelcheck.knowledge.build --only VGG16 ResNet50 --no-keras2 --check

Every application is built with ``weights=None`` and ``include_top=False``
(nothing is downloaded), one at a time with ``clear_session()`` in between.
The tf-keras 2 half runs in a subprocess, concurrently with the Keras 3 half.

Facts come from Keras, not from hand tables: the application list from
``dir(keras.applications)``, the preprocessing mode by calling each module's
``preprocess_input`` on a probe image, min/default input size by intercepting
``imagenet_utils.obtain_input_shape``, the ``weights="imagenet"`` layer list by
building that code path with the download and the weight loading stubbed out.
Block conventions live in :mod:`modelcheck.knowledge.families`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from modelcheck.knowledge import families

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO_ROOT / "rules" / "backbones.json"

# NASNet builds a different (and at run time broken) graph when the input size
# is unknown; real models use the static default size (see shared/NOTES.md).
STATIC_INPUT_MODULES = frozenset({"nasnet"})
# mobilenet_v3.py checks sizes itself instead of calling obtain_input_shape:
# `rows < 32` raises, anything but 224 warns about the weights.
SIZE_FALLBACK = {"mobilenet_v3": (32, 224)}
INTERNAL_PREPROCESSING = frozenset({"Rescaling", "Normalization"})


class _SizeProbe(Exception):
    """Raised from the patched obtain_input_shape to stop a build early."""


class Lib:
    """Keras 3 (``keras``) or tf-keras 2 (``tf_keras``) behind one interface."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.package = "keras" if kind == "keras3" else "tf_keras"
        self.keras = importlib.import_module(self.package)
        self.imagenet_utils: Any = importlib.import_module(f"{self.package}.src.applications.imagenet_utils")

    @property
    def version(self) -> str:
        return str(self.keras.__version__)

    def apps(self) -> dict[str, tuple[Callable[..., Any], str]]:
        """Application constructors → their defining submodule's name."""
        prefix = f"{self.package}.src.applications."
        found = {}
        for name in dir(self.keras.applications):
            obj = getattr(self.keras.applications, name)
            module = getattr(obj, "__module__", "") or ""
            if name[:1].isupper() and callable(obj) and module.startswith(prefix):
                found[name] = (obj, module[len(prefix) :])
        return found

    def modules(self) -> dict[str, Any]:
        """Public ``<lib>.applications.<module>`` submodules with preprocess_input."""
        return {
            name: obj
            for name in dir(self.keras.applications)
            if inspect.ismodule(obj := getattr(self.keras.applications, name))
            and hasattr(obj, "preprocess_input")
        }

    def clear(self) -> None:
        self.keras.backend.clear_session()

    def sizes(self, fn: Callable[..., Any], module: str) -> tuple[int, int]:
        """(min_size, default_size) as the application passes them to Keras."""
        seen: dict[str, int] = {}

        def record(*args: Any, **kwargs: Any) -> Any:
            seen["min"], seen["default"] = kwargs["min_size"], kwargs["default_size"]
            raise _SizeProbe

        original = self.imagenet_utils.obtain_input_shape
        self.imagenet_utils.obtain_input_shape = record
        try:
            fn(weights=None, include_top=False)
        except _SizeProbe:
            pass
        finally:
            self.imagenet_utils.obtain_input_shape = original
            self.clear()
        if seen:
            return seen["min"], seen["default"]
        return SIZE_FALLBACK[module]

    @contextlib.contextmanager
    def imagenet_code_path(self) -> Iterator[None]:
        """Let ``weights="imagenet"`` build its graph without downloading."""
        files: Any
        if self.kind == "keras3":
            files = importlib.import_module("keras.src.utils.file_utils")
            model_cls = importlib.import_module("keras.src.models.model").Model
        else:
            files = importlib.import_module("tf_keras.src.utils.data_utils")
            model_cls = importlib.import_module("tf_keras.src.engine.training").Model
        saved = files.get_file, model_cls.load_weights
        files.get_file = lambda *a, **k: "/nonexistent/weights.h5"
        model_cls.load_weights = lambda self, *a, **k: None
        try:
            yield
        finally:
            files.get_file, model_cls.load_weights = saved


def _layer_list(model: Any) -> tuple[list[str], list[str]]:
    return [layer.name for layer in model.layers], [type(layer).__name__ for layer in model.layers]


def _imagenet_extras(
    lib: Lib, fn: Callable[..., Any], shape: Any, names: list[str], classes: list[str]
) -> list[dict[str, Any]]:
    """Layers a ``weights="imagenet"`` build has that a ``weights=None`` one lacks."""
    lib.clear()
    with lib.imagenet_code_path():
        model = fn(weights="imagenet", include_top=False, input_shape=shape)
    names2, classes2 = _layer_list(model)
    lib.clear()

    def key(name: str, cls: str) -> tuple[str, str]:
        return (cls if families.is_auto_named(name, cls) else name, cls)

    before = [key(n, c) for n, c in zip(names, classes, strict=True)]
    after = [key(n, c) for n, c in zip(names2, classes2, strict=True)]
    extras = []
    for op, i1, _, j1, j2 in SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op != "insert":
            raise RuntimeError(f"imagenet build of {fn.__name__} differs by {op} at {i1}")
        extras += [{"index": j, "name": names2[j], "class": classes2[j]} for j in range(j1, j2)]
    return extras


def describe_app(lib: Lib, name: str, imagenet: bool) -> dict[str, Any]:
    """Raw facts about one application, as built by ``lib``."""
    fn, module = lib.apps()[name]
    from modelcheck.knowledge import _introspect

    min_size, default_size = lib.sizes(fn, module)
    shape = (default_size, default_size, 3) if module in STATIC_INPUT_MODULES else None
    lib.clear()
    model = fn(weights=None, include_top=False, input_shape=shape)
    names, classes = _layer_list(model)
    config_ops, cuts = _introspect.graph_facts(model.get_config()["layers"], names)
    internal = [i for i, c in enumerate(classes) if c in INTERNAL_PREPROCESSING]
    raw: dict[str, Any] = {
        "module": module,
        "model_name": model.name,
        "input_shape": list(model.input_shape[1:]),
        "min_size": min_size,
        "default_size": default_size,
        "layers": names,
        "classes": classes,
        "weighted": [i for i, layer in enumerate(model.layers) if len(layer.weights) > 0],
        "cuts": cuts,
        "config_ops": config_ops,
        "internal_preprocessing": [names[i] for i in internal],
        "feature_map": _introspect.feature_map(model, default_size, min_size),
    }
    if "include_preprocessing" in inspect.signature(fn).parameters and internal:
        # Run the built-in preprocessing layers on the probe image: that is the
        # scaling a model built with include_preprocessing=False expects.
        x: Any = _introspect.PROBE.copy()
        for i in internal:
            x = model.layers[i](x)
        raw["include_preprocessing_false"] = {
            "mode": _introspect.classify(x, atol=0.02),
            "input_range": _introspect.output_range(x),
        }
    del model
    if imagenet:
        raw["imagenet_weights_extra_layers"] = _imagenet_extras(lib, fn, shape, names, classes)
    lib.clear()
    return raw


def describe_modules(lib: Lib) -> dict[str, Any]:
    """Preprocessing mode and exported applications of each public submodule."""
    from modelcheck.knowledge import _introspect

    out = {}
    for name, module in sorted(lib.modules().items()):
        mode, value_range = _introspect.probe_preprocess(module.preprocess_input)
        if mode is None:
            raise RuntimeError(f"{lib.package}.applications.{name}: unknown preprocessing")
        exports = sorted(n for n in dir(module) if n[:1].isupper() and callable(getattr(module, n)))
        out[name] = {"mode": mode, "input_range": value_range, "exports": exports}
    return out


def collect(kind: str, only: Sequence[str] | None, imagenet: Callable[[str], bool]) -> dict[str, Any]:
    """All raw facts one library can give, printing progress to stderr."""
    lib = Lib(kind)
    apps = sorted(name for name in lib.apps() if not only or name in only)
    raw: dict[str, Any] = {"version": lib.version, "modules": describe_modules(lib), "apps": {}}
    for name in apps:
        started = time.perf_counter()
        module = lib.apps()[name][1]
        raw["apps"][name] = describe_app(lib, name, imagenet(module))
        print(
            f"[{kind}] {name}: {len(raw['apps'][name]['layers'])} layers "
            f"({time.perf_counter() - started:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
    return raw


def _start_keras2_worker(only: Sequence[str] | None, out: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "modelcheck.knowledge.build", "--worker", "keras2", str(out)]
    if only:
        cmd += ["--only", *only]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(cmd, cwd=REPO_ROOT, env=env)


def generate(only: Sequence[str] | None, keras2: bool) -> dict[str, Any]:
    """Build every application and assemble the knowledge base."""
    from modelcheck.knowledge import _assemble

    with tempfile.TemporaryDirectory() as tmp:
        k2_path = Path(tmp) / "keras2.json"
        worker = _start_keras2_worker(only, k2_path) if keras2 else None
        raw3 = collect("keras3", only, imagenet=lambda module: True)
        raw2 = None
        if worker is not None:
            if worker.wait() != 0:
                raise SystemExit("tf-keras worker failed")
            raw2 = json.loads(k2_path.read_text())
            # Only modules whose Keras 3 imagenet build differs are probed in
            # tf-keras, to save minutes: a full tf-keras 2.21 sweep (RegNet and
            # ResNetRS included) found the same set, EfficientNet B0-B7 only.
            changed = {
                raw3["apps"][n]["module"]
                for n in raw3["apps"]
                if raw3["apps"][n]["imagenet_weights_extra_layers"]
            }
            lib2 = Lib("keras2")
            for name, app in raw2["apps"].items():
                if app["module"] in changed:
                    fn = lib2.apps()[name][0]
                    shape = (
                        (app["default_size"],) * 2 + (3,) if app["module"] in STATIC_INPUT_MODULES else None
                    )
                    app["imagenet_weights_extra_layers"] = _imagenet_extras(
                        lib2, fn, shape, app["layers"], app["classes"]
                    )
    return _assemble.assemble(raw3, raw2)


def dumps(data: dict[str, Any]) -> str:
    """Deterministic JSON: one line per field of each entry, compact values."""

    def compact(value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    parts = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, dict) and value:
            fields = ",\n".join(f"  {compact(k)}: {compact(value[k])}" for k in sorted(value))
            parts.append(f" {compact(key)}: {{\n{fields}\n }}")
        else:
            parts.append(f" {compact(key)}: {compact(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _merge(
    old: dict[str, Any], new: dict[str, Any], only: Sequence[str] | None, keras2: bool
) -> dict[str, Any]:
    """Update ``old`` with a partial regeneration."""
    merged = dict(old) if only else {}
    merged.update(new)
    if not keras2:
        if isinstance(old.get("_meta"), dict) and isinstance(new.get("_meta"), dict):
            # tf-keras was not run: its version is that of the facts kept from the old file.
            merged["_meta"] = {**new["_meta"], "tf_keras": old["_meta"].get("tf_keras")}
        for name, entry in old.items():
            if name.startswith("_"):
                continue
            if entry.get("keras2_only"):
                merged.setdefault(name, entry)
            elif name in merged and "keras2" in entry:
                merged[name] = {**merged[name], "keras2": entry["keras2"]}
    if only:
        merged["_auto_name_bases"] = sorted(
            set(old.get("_auto_name_bases", [])) | set(new["_auto_name_bases"])
        )
        merged["_modules"] = {**old.get("_modules", {}), **new["_modules"]}
    return merged


def _comparable(data: dict[str, Any], names: Sequence[str] | None, keras2: bool) -> dict[str, Any]:
    keys = [k for k in data if not names or k in names or k == "_modules"]
    if not keras2:
        keys = [k for k in keys if not (isinstance(data[k], dict) and data[k].get("keras2_only"))]
    out = {}
    for key in keys:
        value = data[key]
        if key == "_modules":
            value = {
                m: {f: v for f, v in info.items() if keras2 or not f.startswith("keras2")}
                for m, info in value.items()
                if keras2 or not info.get("keras2_only")
            }
        elif not keras2 and isinstance(value, dict):
            value = {f: v for f, v in value.items() if f != "keras2"}
        out[key] = value
    if not names:
        out.pop("_meta", None)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m modelcheck.knowledge.build", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these applications")
    parser.add_argument("--no-keras2", action="store_true", help="skip tf-keras (keep its committed facts)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # Size and weights warnings of the applications are expected here.
    warnings.filterwarnings("ignore", category=UserWarning)

    if args.worker:
        kind, out = args.worker
        Path(out).write_text(json.dumps(collect(kind, args.only, imagenet=lambda module: False)))
        return 0

    started = time.perf_counter()
    keras2 = not args.no_keras2
    new = generate(args.only, keras2)
    old = json.loads(args.output.read_text()) if args.output.exists() else {}
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    if args.check:
        want, have = _comparable(new, args.only, keras2), _comparable(old, args.only, keras2)
        stale = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
        for key in stale:
            fields = (
                sorted(
                    f
                    for f in set(want.get(key) or {}) | set(have.get(key) or {})
                    if (want.get(key) or {}).get(f) != (have.get(key) or {}).get(f)
                )
                if isinstance(want.get(key) or have.get(key), dict)
                else []
            )
            print(f"stale: {key} {' '.join(fields)}", file=sys.stderr)
        return 1 if stale else 0

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(dumps(_merge(old, new, args.only, keras2)))
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
