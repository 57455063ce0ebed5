"""Whether a saved backbone was ever trained, read from its BatchNormalization statistics.

A backbone built with ``weights=None`` holds BatchNormalization moving means of
exactly 0 and moving variances of exactly 1 until it is trained; ImageNet
weights (or any training) change them. Reading one or two of these small
tensors tells a never-trained backbone apart without loading the weights. For
``.keras`` the ``model.weights.h5`` member is read in place inside the zip (Keras
stores it uncompressed) by :mod:`modelcheck.readers.model.tiny_hdf5`, in pure
Python: importing h5py would cost more than the whole rest of the read. HDF5
model files are read the same way, and with h5py in a forked child (as every
other HDF5 read) where the small reader does not understand the file.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import replace
from typing import IO, Any

from modelcheck.ir import Backbone, ModelGraph, TrainingSetup

BATCHNORM = ("BatchNormalization", "SyncBatchNormalization")
BATCHNORM_LAYERS_READ = 2
# A BatchNormalization statistic has one value per channel: a few thousand at most.
MAX_STAT_ELEMENTS = 16_384
_WEIGHTS_MEMBER = "model.weights.h5"


class _Window:
    """A read-only file object over ``size`` bytes of ``handle`` from ``start`` (a stored zip member)."""

    def __init__(self, handle: IO[bytes], start: int, size: int) -> None:
        self._handle, self._start, self._size, self._pos = handle, start, size, 0

    def read(self, n: int = -1) -> bytes:
        n = self._size - self._pos if n is None or n < 0 else min(n, self._size - self._pos)
        self._handle.seek(self._start + self._pos)
        data = self._handle.read(max(n, 0))
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True


_NON_WORD = re.compile(r"\W+")
_CAMEL_1 = re.compile("(.)([A-Z][a-z]+)")
_CAMEL_2 = re.compile("([a-z])([A-Z])")


def _snake(name: str) -> str:
    # keras.src.utils.naming.to_snake_case, which names .keras weight groups.
    name = _CAMEL_1.sub(r"\1_\2", _NON_WORD.sub("", name))
    return _CAMEL_2.sub(r"\1_\2", name).lower()


def _keras_group_names(graph: ModelGraph) -> list[str]:
    """Weight-group names a .keras file gives the layers of one model: class names, numbered in order."""
    used: dict[str, int] = {}
    names = []
    for layer in graph.layers:
        base = _snake("Functional" if layer.submodel is not None and layer.class_name in ("Model", "Functional") else layer.class_name)
        count = used.get(base, 0)
        used[base] = count + 1
        names.append(base if count == 0 else f"{base}_{count}")
    return names


def _targets(graph: ModelGraph, backbone: Backbone, zipped: bool) -> list[list[str]] | None:
    """Where the backbone's first BatchNormalization statistics live in the weights file.

    For ``.keras``: the group path (``layers/functional/layers/batch_normalization``);
    for ``.h5``: ``[top-level group, layer name]``. None when the layers cannot be placed.
    """
    path: list[str] = []
    container = graph
    for name in backbone.container_path:
        index = next((i for i, layer in enumerate(container.layers) if layer.name == name and layer.submodel is not None), None)
        if index is None:
            return None
        path += ["layers", _keras_group_names(container)[index]] if zipped else [name]
        container = container.layers[index].submodel
    own = set(backbone.layer_names)
    groups = _keras_group_names(container) if zipped else []
    found = []
    for index, layer in enumerate(container.layers):
        if layer.class_name in BATCHNORM and layer.name in own:
            if zipped:
                found.append(path + ["layers", groups[index]])
            else:
                found.append([path[0] if path else layer.name, layer.name])
        if len(found) == BATCHNORM_LAYERS_READ:
            break
    return found or None


def _read_stat(dataset: Any) -> Any:
    import numpy as np

    if dataset.size > MAX_STAT_ELEMENTS or dataset.dtype.kind != "f":
        return None
    return np.asarray(dataset[()], dtype="float64")


def _pristine(mean: Any, variance: Any) -> bool | None:
    if mean is None or variance is None:
        return None
    return bool((mean == 0.0).all() and (variance == 1.0).all())


def _h5_verdict(handle: Any, target: list[str]) -> bool | None:
    group = handle.get(f"model_weights/{target[0]}")
    if group is None:
        return None
    names = [n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n) for n in group.attrs.get("weight_names", [])]
    prefix = f"{target[1]}/"
    mean = next((n for n in names if (n.startswith(prefix) or f"/{prefix}" in n) and "moving_mean" in n), None)
    variance = next((n for n in names if (n.startswith(prefix) or f"/{prefix}" in n) and "moving_variance" in n), None)
    if mean is None or variance is None or mean not in group or variance not in group:
        return None
    return _pristine(_read_stat(group[mean]), _read_stat(group[variance]))


def _stored_member(path: str) -> tuple[int, int] | None:
    """(offset, size) of an uncompressed ``model.weights.h5`` inside a .keras zip."""
    with open(path, "rb") as handle, zipfile.ZipFile(handle) as archive:
        info = next((i for i in archive.infolist() if i.filename == _WEIGHTS_MEMBER), None)
        if info is None or info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            return None
        handle.seek(info.header_offset)
        header = handle.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            return None
        name_length = int.from_bytes(header[26:28], "little")
        extra_length = int.from_bytes(header[28:30], "little")
        return info.header_offset + 30 + name_length + extra_length, info.file_size


def _statistics_paths_keras(target: list[str]) -> list[tuple[str, str]]:
    # The variables are gamma, beta (each only when enabled), moving_mean, moving_variance.
    base = "/".join(target) + "/vars"
    return [(f"{base}/{i - 1}", f"{base}/{i}") for i in (3, 2, 1)]


def _statistics_paths_h5(target: list[str]) -> list[tuple[str, str]]:
    group, layer = target
    base = f"model_weights/{group}/{layer}" if group != layer else f"model_weights/{layer}/{layer}"
    return [(f"{base}/moving_mean{suffix}", f"{base}/moving_variance{suffix}") for suffix in (":0", "")]


def _tiny_verdicts(handle: IO[bytes], start: int, size: int, targets: list[list[list[str]]], zipped: bool) -> list[bool | None] | None:
    """Per backbone as in :func:`_extract`, read without h5py; None when the file is not one it reads."""
    from modelcheck.readers.model.tiny_hdf5 import TinyHDF5

    reader = TinyHDF5.open(_Window(handle, start, size), size)
    if reader is None:
        return None
    paths = _statistics_paths_keras if zipped else _statistics_paths_h5
    verdicts: list[bool | None] = []
    for backbone_targets in targets:
        read = []
        for target in backbone_targets:
            for mean_path, variance_path in paths(target):
                mean = reader.read_floats(mean_path)
                if mean is not None:
                    variance = reader.read_floats(variance_path)
                    read.append(None if variance is None else all(v == 0.0 for v in mean) and all(v == 1.0 for v in variance))
                    break
        known = [v for v in read if v is not None]
        verdicts.append(None if not known else all(known))
    return verdicts


def _extract(path: str, targets: list[list[list[str]]]) -> dict[str, Any]:
    """Per backbone: True (every statistic read is 0/1), False (trained), None (unknown), with h5py."""
    import h5py

    with h5py.File(path, "r") as handle:
        verdicts = []
        for backbone_targets in targets:
            read = [_h5_verdict(handle, target) for target in backbone_targets]
            known = [v for v in read if v is not None]
            verdicts.append(None if not known else all(known))
    return {"pristine": verdicts}


def with_weight_facts(path: str, setup: TrainingSetup, zipped: bool) -> TrainingSetup:
    """Mark backbones whose BatchNormalization statistics were never trained as ``weights='none'``."""
    from modelcheck.errors import InputError
    from modelcheck.readers.model.h5_file import _fork_is_safe, _in_forked_child
    from modelcheck.readers.model.keras_zip import ZIP_ERRORS

    graph = setup.model
    if graph is None or not graph.backbones:
        return setup
    candidates = [b for b in graph.backbones if b.weights in ("inferred", "unknown")]
    targets = [_targets(graph, b, zipped) for b in candidates]
    if not any(targets):
        return setup
    wanted_targets = [t or [] for t in targets]
    try:
        member = _stored_member(path) if zipped else (0, os.path.getsize(path))
        if member is None:
            return setup
        with open(path, "rb") as handle:
            pristine = _tiny_verdicts(handle, *member, wanted_targets, zipped)
        if pristine is None or (not zipped and None in pristine):
            if zipped or not hasattr(os, "fork") or not _fork_is_safe():
                return setup
            from modelcheck.settings import read_timeout

            pristine = _in_forked_child(lambda p: _extract(p, wanted_targets), path, read_timeout()).get("pristine") or []
    except (InputError, ImportError, *ZIP_ERRORS):
        return setup  # the statistics stay unknown; the model was read
    never_trained = {id(b) for b, verdict in zip(candidates, pristine) if verdict is True}
    if not never_trained:
        return setup
    backbones = tuple(replace(b, weights="none") if id(b) in never_trained else b for b in graph.backbones)
    return replace(setup, model=replace(graph, backbones=backbones))
