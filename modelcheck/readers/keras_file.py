"""Read a Keras model file as data: `.keras` (zip), `.h5`/`.hdf5`, or model JSON.

Never imports TensorFlow or Keras, never unpickles, never unmarshals bytecode:
only ``zipfile``, ``json`` and ``h5py`` attribute reads. The weights are never
touched, so the cost does not grow with the file.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from modelcheck.errors import InputError, NoSetup
from modelcheck.ir import TrainingSetup
from modelcheck.readers.model_config import setup_from_configs

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
# Bounds for untrusted files: a config.json larger than this is not a real model config.
MAX_CONFIG_BYTES = 64 * 1024 * 1024
MAX_JSON_DEPTH = 200
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dill")


def read_model_file(path: str) -> TrainingSetup:
    """Read a `.keras`, `.h5`/`.hdf5` or model-JSON file into a TrainingSetup."""
    file = Path(path)
    if file.is_dir():
        raise InputError("is a directory, not a model file")
    with open(file, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK"):
        return _read_keras_zip(path)
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return _read_h5(path)
    if head.lstrip()[:1] in (b"{", b"["):
        return read_model_json(path, file.read_bytes())
    if file.suffix.lower() == ".keras":
        raise InputError("not a .keras archive (expected a zip file holding config.json)")
    if file.suffix.lower() in (".h5", ".hdf5"):
        raise InputError("not an HDF5 file (bad signature)")
    raise InputError("not a Keras model file (expected .keras zip, HDF5 or model JSON)")


def load_json(data: bytes | str, what: str) -> Any:
    """json.loads with a nesting bound (deep nesting makes json raise RecursionError)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    depth = 0
    deepest = 0
    in_string = False
    escaped = False
    # A cheap pre-scan: json's recursion limit would otherwise surface as a crash.
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                raise InputError(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels")
        elif char in "]}":
            depth -= 1
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise InputError(f"{what} is not valid JSON: {error}") from None


def _read_keras_zip(path: str) -> TrainingSetup:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InputError(f"not a readable .keras archive: {error}") from None
    with archive:
        names = archive.namelist()
        if "config.json" not in names:
            raise InputError("not a .keras archive: no config.json inside (expected Keras 3 `model.save('x.keras')` output)")
        info = archive.getinfo("config.json")
        if info.file_size > MAX_CONFIG_BYTES:
            raise InputError(f"config.json is {info.file_size} bytes, over the {MAX_CONFIG_BYTES}-byte bound")
        try:
            with archive.open(info) as member:
                raw = member.read(MAX_CONFIG_BYTES + 1)
            metadata = {}
            if "metadata.json" in names and archive.getinfo("metadata.json").file_size < 1_000_000:
                metadata = load_json(archive.read("metadata.json"), "metadata.json")
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as error:
            raise InputError(f"corrupt .keras archive: {error}") from None
        except UnicodeDecodeError:
            raise InputError("config.json is not UTF-8 text") from None
        if len(raw) > MAX_CONFIG_BYTES:
            raise InputError("config.json inflates beyond its declared size (zip bomb?)")
        pickles = [name for name in names if name.lower().endswith(_PICKLE_SUFFIXES)]
    try:
        config = load_json(raw, "config.json")
    except UnicodeDecodeError:
        raise InputError("config.json is not UTF-8 text") from None
    if not isinstance(config, dict):
        raise InputError("config.json does not hold a model config object")
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return setup_from_configs(
        path,
        config,
        config.get("compile_config"),
        keras_version=version if isinstance(version, str) else None,
        pickled_members=tuple(pickles),
    )


def _attr_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("HDF5 attribute is not UTF-8 text") from None
    if isinstance(value, str):
        return value
    # numpy scalars and arrays of strings appear in files written by old h5py versions
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return _attr_text(item())
        except ValueError:
            return None
    return None


def _read_h5(path: str) -> TrainingSetup:
    import h5py  # the one heavy-ish import of the static path (~0.1 s), only for HDF5 inputs

    try:
        with h5py.File(path, "r") as handle:
            attrs = handle.attrs
            model_config = _attr_text(attrs.get("model_config"))
            training_config = _attr_text(attrs.get("training_config"))
            version = _attr_text(attrs.get("keras_version"))
            weight_groups = "layer_names" in attrs or "model_weights" in handle
    except InputError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as error:
        raise InputError(f"corrupt or unreadable HDF5 file: {error}") from None
    if model_config is None:
        if weight_groups:
            raise NoSetup("weights-only HDF5 file (saved with save_weights): no model architecture to check")
        raise NoSetup("HDF5 file without a Keras model_config attribute")
    config = load_json(model_config, "model_config")
    training = load_json(training_config, "training_config") if training_config else None
    if not isinstance(config, dict):
        raise InputError("model_config does not hold a model config object")
    return setup_from_configs(path, config, training if isinstance(training, dict) else None, keras_version=version)


def read_model_json(path: str, data: bytes) -> TrainingSetup:
    """A `model.to_json()` file: the model config alone."""
    if len(data) > MAX_CONFIG_BYTES:
        raise InputError(f"JSON file is {len(data)} bytes, over the {MAX_CONFIG_BYTES}-byte bound")
    try:
        config = load_json(data, "model JSON")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text") from None
    if not looks_like_model_config(config):
        raise NoSetup("JSON file is not a Keras model config (no class_name/config with layers)")
    return setup_from_configs(path, config, None, keras_version=config.get("keras_version"))


def looks_like_model_config(config: Any) -> bool:
    return (
        isinstance(config, dict)
        and isinstance(config.get("class_name"), str)
        and isinstance(config.get("config"), dict)
        and isinstance(config["config"].get("layers"), list)
    )
