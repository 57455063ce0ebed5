"""Just enough of HDF5 to read a few small float datasets from a Keras weights file.

Keras 3 writes ``model.weights.h5`` inside a ``.keras`` zip with h5py's defaults:
superblock version 0, groups as symbol tables (version 1 B-trees and local heaps),
version 1 object headers, contiguous or compact datasets. Importing h5py (and NumPy)
costs more than the rest of a ``.keras`` read, so this module reads those structures
itself, in pure Python, from a seekable file object. Anything it does not know (a
newer superblock, filters, chunked storage, a damaged offset) gives None, never an
exception, and every walk is bounded: the input is untrusted.
"""

from __future__ import annotations

import struct
from typing import IO

_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_UNDEFINED = 0xFFFFFFFFFFFFFFFF
MAX_NODES = 10_000
"""B-tree and symbol-table nodes visited per lookup: a weights group holds a few hundred."""
MAX_MESSAGES = 256
MAX_ELEMENTS = 16_384
MAX_HEAP_BYTES = 1024 * 1024
"""A group's local heap holds its member names: a few KB for a few hundred layers."""


class _Bad(Exception):
    """The file is not what this reader understands: the caller gets None."""


class TinyHDF5:
    """A read-only view of a version-0 HDF5 file; :meth:`read_floats` is the only query."""

    def __init__(self, handle: IO[bytes], size: int) -> None:
        self._handle, self._size = handle, size
        self._heaps: dict[int, bytes] = {}
        head = self._read(0, 56)
        if head[:8] != _SIGNATURE or head[8] != 0 or head[13] != 8 or head[14] != 8:
            raise _Bad("not a version-0 HDF5 superblock with 8-byte offsets")
        entry = self._read(56, 40)
        cache_type = struct.unpack_from("<I", entry, 16)[0]
        header = struct.unpack_from("<Q", entry, 8)[0]
        self._root = struct.unpack_from("<QQ", entry, 24) if cache_type == 1 else self._symbol_table(header)
        self._nodes = 0

    @classmethod
    def open(cls, handle: IO[bytes], size: int) -> TinyHDF5 | None:
        try:
            return cls(handle, size)
        except (_Bad, struct.error, OSError, ValueError, IndexError, OverflowError):
            return None

    def read_floats(self, path: str) -> list[float] | None:
        """The values of the float dataset at ``path`` ('a/b/c'), or None."""
        try:
            self._nodes = 0
            group = self._root
            parts = [part for part in path.split("/") if part]
            for part in parts[:-1]:
                found = self._lookup(group, part)
                if found is None:
                    return None
                group = found[1] if found[1] is not None else self._symbol_table(found[0])
            found = self._lookup(group, parts[-1])
            return None if found is None else self._dataset(found[0])
        except (_Bad, struct.error, OSError, ValueError, IndexError, OverflowError, RecursionError):
            return None

    # -- file access -----------------------------------------------------------------------

    def _read(self, address: int, length: int) -> bytes:
        if address < 0 or length < 0 or address + length > self._size:
            raise _Bad("address out of the file")
        self._handle.seek(address)
        data = self._handle.read(length)
        if len(data) != length:
            raise _Bad("short read")
        return data

    def _count(self) -> None:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Bad("too many nodes")

    # -- groups ----------------------------------------------------------------------------

    def _heap_name(self, heap: int, offset: int) -> bytes:
        data = self._heaps.get(heap)
        if data is None:
            header = self._read(heap, 32)
            if header[:4] != b"HEAP":
                raise _Bad("no local heap")
            segment_size, _, segment = struct.unpack_from("<QQQ", header, 8)
            if segment_size > MAX_HEAP_BYTES:
                raise _Bad("local heap too large")
            data = self._heaps[heap] = self._read(segment, segment_size)
        if offset >= len(data):
            raise _Bad("name outside the heap")
        end = data.find(b"\0", offset)
        return data[offset:] if end < 0 else data[offset:end]

    def _lookup(self, group: tuple[int, int], name: str) -> tuple[int, tuple[int, int] | None] | None:
        """(object header address, cached (B-tree, heap) of a subgroup or None) of a child."""
        btree, heap = group
        wanted = name.encode("utf-8")
        pending = [btree]
        while pending:
            self._count()
            node = pending.pop()
            head = self._read(node, 24)
            if head[:4] != b"TREE" or head[4] != 0:
                raise _Bad("not a group B-tree node")
            level, used = head[5], struct.unpack_from("<H", head, 6)[0]
            body = self._read(node + 24, 8 + used * 16)
            children = [struct.unpack_from("<Q", body, 8 + 16 * i)[0] for i in range(used)]
            if level > 0:
                pending.extend(children)
                continue
            for child in children:
                found = self._in_symbol_node(child, heap, wanted)
                if found is not None:
                    return found
        return None

    def _in_symbol_node(self, node: int, heap: int, wanted: bytes) -> tuple[int, tuple[int, int] | None] | None:
        self._count()
        head = self._read(node, 8)
        if head[:4] != b"SNOD":
            raise _Bad("not a symbol table node")
        count = struct.unpack_from("<H", head, 6)[0]
        entries = self._read(node + 8, 40 * count)
        for i in range(count):
            name_offset, header, cache_type = struct.unpack_from("<QQI", entries, 40 * i)
            if self._heap_name(heap, name_offset) == wanted:
                cached = struct.unpack_from("<QQ", entries, 40 * i + 24) if cache_type == 1 else None
                return header, cached
        return None

    # -- object headers --------------------------------------------------------------------

    def _messages(self, address: int) -> list[tuple[int, bytes]]:
        head = self._read(address, 16)
        if head[0] != 1:
            raise _Bad("not a version-1 object header")
        count, _, size = struct.unpack_from("<HII", head, 2)
        if count > MAX_MESSAGES:
            raise _Bad("too many header messages")
        blocks = [(address + 16, size)]
        messages: list[tuple[int, bytes]] = []
        while blocks and len(messages) < count:
            start, length = blocks.pop(0)
            data = self._read(start, length)
            at = 0
            while at + 8 <= len(data) and len(messages) < count:
                kind, msg_size = struct.unpack_from("<HH", data, at)
                body = data[at + 8 : at + 8 + msg_size]
                messages.append((kind, body))
                if kind == 0x10:  # continuation: more messages elsewhere
                    blocks.append(struct.unpack_from("<QQ", body, 0))
                at += 8 + msg_size
        return messages

    def _symbol_table(self, address: int) -> tuple[int, int]:
        for kind, body in self._messages(address):
            if kind == 0x11:
                return struct.unpack_from("<QQ", body, 0)
        raise _Bad("a group without a symbol table")

    def _dataset(self, address: int) -> list[float] | None:
        shape: list[int] | None = None
        item: str | None = None
        raw: bytes | None = None
        for kind, body in self._messages(address):
            if kind == 0x01:
                shape = self._dataspace(body)
            elif kind == 0x03:
                item = self._float_type(body)
            elif kind == 0x0B:
                return None  # a filter pipeline: compressed data
            elif kind == 0x08:
                raw = self._layout(body)
        if shape is None or item is None or raw is None:
            return None
        count = 1
        for dim in shape:
            count *= dim
        if count > MAX_ELEMENTS or len(raw) < count * struct.calcsize(item):
            return None
        return list(struct.unpack_from(f"<{count}{item}", raw, 0))

    @staticmethod
    def _dataspace(body: bytes) -> list[int]:
        version, rank = body[0], body[1]
        start = 8 if version == 1 else 4
        return [struct.unpack_from("<Q", body, start + 8 * i)[0] for i in range(rank)]

    @staticmethod
    def _float_type(body: bytes) -> str | None:
        if body[0] & 0x0F != 1 or body[1] & 0x01:  # class 1 (floating point), little-endian
            return None
        size = struct.unpack_from("<I", body, 4)[0]
        return {4: "f", 8: "d"}.get(size)

    def _layout(self, body: bytes) -> bytes | None:
        if body[0] != 3:
            return None
        if body[1] == 0:  # compact: the data sits in the message
            size = struct.unpack_from("<H", body, 2)[0]
            return body[4 : 4 + size]
        if body[1] == 1:  # contiguous
            address, size = struct.unpack_from("<QQ", body, 2)
            if address == _UNDEFINED or size > MAX_ELEMENTS * 8:
                return None
            return self._read(address, size)
        return None
