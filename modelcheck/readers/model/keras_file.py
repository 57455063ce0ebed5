"""Read a Keras model file as data: `.keras` (zip), `.h5`/`.hdf5`, or model JSON.

Never imports TensorFlow or Keras, never unpickles, never unmarshals bytecode.
The weights are never loaded, so the cost does not grow with the file. This
module sniffs the format and opens files safely; the readers live in
``keras_zip`` (bounded streaming decompression), ``h5_file`` (HDF5 in a child
process), ``json_text`` (JSON with a nesting bound) and ``code_scan`` (the
MC601 scan for pickles). Only one or two BatchNormalization statistics are read
(see :mod:`modelcheck.readers.model.weight_stats`), to tell pretrained from untrained backbones.
"""

from __future__ import annotations

from pathlib import Path

from modelcheck.errors import InputError
from modelcheck.filetypes import open_regular_file
from modelcheck.ir import TrainingSetup
from modelcheck.readers.model.h5_file import read_h5
from modelcheck.readers.model.json_text import (
    MAX_CONFIG_BYTES,
    MAX_JSON_DEPTH,
    json_depth,
    load_json,
    looks_like_utf16,
    read_model_json,
)
from modelcheck.readers.model.keras_zip import read_keras_zip
from modelcheck.readers.model.weight_stats import with_weight_facts

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

# json_depth, load_json and MAX_JSON_DEPTH stay importable from here: tests and benchmarks use them.
__all__ = ["MAX_JSON_DEPTH", "json_depth", "load_json", "read_model_file"]


def read_model_file(path: str) -> TrainingSetup:
    """Read a `.keras`, `.h5`/`.hdf5` or model-JSON file into a TrainingSetup."""
    with open_regular_file(path) as handle:
        head = handle.read(64)
        if head.startswith(b"PK"):
            handle.seek(0)
            return with_weight_facts(path, read_keras_zip(path, handle), zipped=True)
        if head.startswith(_HDF5_SIGNATURE):
            return with_weight_facts(path, read_h5(path), zipped=False)
        if head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"{", b"[") or looks_like_utf16(head):
            handle.seek(0)
            data = handle.read(MAX_CONFIG_BYTES + 1)
            return read_model_json(path, data)
    suffix = Path(path).suffix.lower()
    if suffix == ".keras":
        raise InputError("not a .keras archive (expected a zip file holding config.json)")
    if suffix in (".h5", ".hdf5"):
        raise InputError("not an HDF5 file (bad signature)")
    raise InputError("not a Keras model file (expected .keras zip, HDF5 or model JSON)")




