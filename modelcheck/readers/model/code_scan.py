"""The MC601 scan of model files for pickles: archive members, HDF5 attributes and datasets.

Pickles are read with ``pickletools`` (a disassembler), never loaded. Every
walk here is bounded in items, not in seconds, and says when a bound cut it
short (:class:`CodeObject` of kind ``incomplete``), so that a clean MC601 means
the whole file was looked at.
"""

from __future__ import annotations

import io
import itertools
import pickletools
import re
import struct
from typing import Any

from modelcheck.readers.model.safe_text import printable

# HDF5 objects looked at for pickles, and how much of each is read.
MAX_H5_OBJECTS = 50_000
MAX_ATTRIBUTES = 1000
MAX_PICKLE_SCAN_BYTES = 1024 * 1024
MAX_PICKLE_OPS = 200_000
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dill")
PICKLE_HEADER = re.compile(rb"\x80[\x02-\x05]")


def pickle_summary(data: bytes) -> str | None:
    """What a pickle would import when loaded, read with the ``pickletools`` disassembler.

    None when ``data`` does not start like a pickle of protocol 2-5. Opcodes run
    in order when unpickling, so a pickle that breaks off after importing
    something (damaged, or only partly read here) still counts; bytes that merely
    start with the header and fail within a few opcodes do not.
    """
    if not PICKLE_HEADER.match(data):
        return None
    imports: list[str] = []
    strings: list[str] = []
    ops = 0
    try:
        for opcode, arg, _ in pickletools.genops(io.BytesIO(data)):
            ops += 1
            if opcode.name in ("GLOBAL", "INST") and isinstance(arg, str):
                imports.append(arg.replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                imports.append(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str):
                strings.append(arg)
            if ops > MAX_PICKLE_OPS:
                break
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, struct.error, UnicodeDecodeError, EOFError):
        if not imports and ops < 16:
            return None
    names = ", ".join(dict.fromkeys(printable(name, 60) for name in imports[:12]))
    return f"loading it imports {names}" if names else "loading it reconstructs Python objects"



def h5_pickles(handle: Any) -> tuple[list[str], str | None]:
    """Attributes and byte datasets whose content is a pickle, over every object reachable by hard links.

    The walk is the HDF5 library's own (``H5Ovisit``: each object once, soft and
    external links never followed, so no other file is opened) and costs a
    callback per object; only objects with attributes, and datasets, are opened.
    It is bounded in items, never in seconds (a deadline made findings come and go
    under load): at most MAX_H5_OBJECTS objects and MAX_ATTRIBUTES attributes per
    object. Returns the finds and, when a bound cut the scan short, why: the MC601
    check then says it is incomplete.
    """
    import h5py

    found: list[str] = []
    cut: list[str] = []
    visited = [0]

    def look(name: bytes, info: Any) -> Any:
        visited[0] += 1
        if visited[0] > MAX_H5_OBJECTS:
            cut.append(f"the scan stopped after {MAX_H5_OBJECTS} HDF5 objects, its bound")
            return True  # stops the visit
        is_dataset = info.type == h5py.h5o.TYPE_DATASET
        if not info.num_attrs and not is_dataset:
            return None
        try:
            node = handle[name.decode("utf-8", "surrogateescape")] if name != b"." else handle
        except (KeyError, OSError, ValueError, RuntimeError, TypeError, UnicodeDecodeError):
            return None
        if info.num_attrs:
            attributes, more = _pickled_attributes(node)
            found.extend(attributes)
            if more and not cut:
                cut.append(f"an HDF5 object has more than {MAX_ATTRIBUTES} attributes, the bound of the scan")
        if is_dataset:
            summary = _pickled_dataset(node)
            if summary is not None:
                found.append(f"HDF5 dataset {printable(node.name or '?')} holds a pickled Python object ({summary})")
        return None

    try:
        look(b".", h5py.h5o.get_info(handle.id))  # H5Ovisit does not call back for the root itself
        h5py.h5o.visit(handle.id, look, info=True)
    except (KeyError, OSError, ValueError, RuntimeError, TypeError):
        cut.append("the HDF5 library stopped the walk over the file's objects (a damaged file?)")
    return found, (cut[0] if cut else None)


def _pickled_attributes(node: Any) -> tuple[list[str], bool]:
    """Pickles among a node's attributes, and whether it has more attributes than were looked at."""
    found: list[str] = []
    try:
        attrs = node.attrs
        names = list(itertools.islice(iter(attrs), MAX_ATTRIBUTES + 1))
    except (KeyError, OSError, ValueError, RuntimeError, TypeError):
        return found, False
    for name in names[:MAX_ATTRIBUTES]:
        try:
            attr = attrs.get_id(name)
            if attr.get_storage_size() > MAX_PICKLE_SCAN_BYTES or not _may_hold_bytes(attr.dtype):
                continue
            value = attrs[name]
        except (KeyError, OSError, ValueError, RuntimeError, TypeError):
            continue
        summary = pickle_summary(_as_bytes(value))
        if summary is not None:
            where = f"{node.name or ''}@{name}"
            found.append(f"HDF5 attribute {printable(where)} holds a pickled Python object ({summary})")
    return found, len(names) > MAX_ATTRIBUTES


def _pickled_dataset(dataset: Any) -> str | None:
    try:
        if dataset.external or dataset.is_virtual or not _may_hold_bytes(dataset.dtype):
            return None  # external and virtual datasets live in other files: never opened
        if dataset.dtype.itemsize == 1:
            flat = dataset.shape is not None and len(dataset.shape) == 1
            value = dataset[: MAX_PICKLE_SCAN_BYTES] if flat else (dataset[()] if dataset.size <= MAX_PICKLE_SCAN_BYTES else None)
            return pickle_summary(_as_bytes(value))
        if dataset.size == 1 and dataset.dtype.itemsize <= MAX_PICKLE_SCAN_BYTES:
            return pickle_summary(_as_bytes(dataset[()]))
    except (KeyError, OSError, ValueError, RuntimeError, TypeError, IndexError):
        return None
    return None


def _may_hold_bytes(dtype: Any) -> bool:
    """Opaque, byte-string and one-byte integer types: where a pickle can be stored."""
    kind = getattr(dtype, "kind", "")
    return kind in ("V", "S", "O") or (kind in ("u", "i") and dtype.itemsize == 1)


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    size = getattr(value, "size", None)
    if size == 1 and hasattr(value, "item"):
        try:
            inner = value.item() if getattr(value, "dtype", None) is None or value.dtype.kind != "V" else value.tobytes()
        except (ValueError, TypeError):
            return b""
        if isinstance(inner, (bytes, bytearray)):
            return bytes(inner)
    tobytes = getattr(value, "tobytes", None)
    if callable(tobytes) and getattr(getattr(value, "dtype", None), "kind", "") in ("u", "i", "V", "S"):
        return tobytes()[:MAX_PICKLE_SCAN_BYTES]
    return b""
