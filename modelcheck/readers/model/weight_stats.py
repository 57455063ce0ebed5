"""Whether a saved backbone was ever trained, read from its BatchNormalization statistics.

A backbone built with ``weights=None`` holds BatchNormalization moving means of
exactly 0 and moving variances of exactly 1 until it is trained; ImageNet
weights (or any training) change them. Reading one or two of these small
tensors tells a never-trained backbone apart without loading the weights: the
reader opens the HDF5 file (for ``.keras``, the ``model.weights.h5`` member in
place inside the zip, which Keras stores uncompressed) and reads only the named
datasets, in a forked child like every other HDF5 read.
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


def _snake(name: str) -> str:
    # keras.src.utils.naming.to_snake_case, which names .keras weight groups.
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


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


def _keras_verdict(handle: Any, target: list[str]) -> bool | None:
    group = handle.get("/".join(target) + "/vars")
    if group is None or len(group) < 2:
        return None
    # gamma and beta come first when present: the moving statistics are always the last two.
    keys = sorted(group.keys(), key=lambda key: int(key) if key.isdigit() else -1)
    return _pristine(_read_stat(group[keys[-2]]), _read_stat(group[keys[-1]]))


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


def _extract(path: str, targets: list[list[list[str]]], member: tuple[int, int] | None) -> dict[str, Any]:
    """Per backbone: True (every statistic read is 0/1), False (trained), None (unknown)."""
    import h5py

    with open(path, "rb") as raw:
        source: Any = _Window(raw, *member) if member else raw
        with h5py.File(source, "r") as handle:
            verdicts = []
            for backbone_targets in targets:
                read = [(_keras_verdict if member else _h5_verdict)(handle, target) for target in backbone_targets]
                known = [v for v in read if v is not None]
                verdicts.append(None if not known else all(known))
    return {"pristine": verdicts}


def with_weight_facts(path: str, setup: TrainingSetup, zipped: bool) -> TrainingSetup:
    """Mark backbones whose BatchNormalization statistics were never trained as ``weights='none'``."""
    from modelcheck.readers.model.keras_file import InputError, _fork_is_safe, _in_forked_child

    graph = setup.model
    if graph is None or not graph.backbones or not hasattr(os, "fork") or not _fork_is_safe():
        return setup
    # Only where a rule would otherwise treat the backbone as pretrained ('inferred': frozen
    # layers or an imagenet layout). A .keras read needs h5py, which costs more than the rest
    # of the read; an HDF5 file has it loaded already, so there 'unknown' is settled too.
    wanted = ("inferred",) if zipped else ("inferred", "unknown")
    candidates = [b for b in graph.backbones if b.weights in wanted]
    targets = [_targets(graph, b, zipped) for b in candidates]
    if not any(targets):
        return setup
    try:
        member = _stored_member(path) if zipped else None
        if zipped and member is None:
            return setup
        import h5py  # noqa: F401 - loaded before the fork, as for the other HDF5 reads

        from modelcheck.settings import read_timeout

        facts = _in_forked_child(lambda p: _extract(p, [t or [] for t in targets], member), path, read_timeout())
    except (InputError, OSError, ValueError, zipfile.BadZipFile, ImportError):
        return setup  # the statistics stay unknown; the model was read
    pristine = facts.get("pristine") or []
    never_trained = {id(b) for b, verdict in zip(candidates, pristine) if verdict is True}
    if not never_trained:
        return setup
    backbones = tuple(replace(b, weights="none") if id(b) in never_trained else b for b in graph.backbones)
    return replace(setup, model=replace(graph, backbones=backbones))
