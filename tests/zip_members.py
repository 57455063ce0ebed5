"""Build zip archives byte by byte, with any compression method and any declared sizes (for bombs and liars)."""

from __future__ import annotations

import bz2
import lzma
import struct
import zlib
from pathlib import Path

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14


def compress(method: int, data: bytes) -> bytes:
    """``data`` compressed as a zip member of ``method`` stores it."""
    return compress_zeros(method, 0, data)


def compress_zeros(method: int, zeros: int, data: bytes = b"") -> bytes:
    """``data`` then ``zeros`` zero bytes, compressed in 16 MiB pieces (never held whole in memory)."""
    if method == STORED:
        return data + b"\0" * zeros
    if method == DEFLATED:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    elif method == BZIP2:
        compressor = bz2.BZ2Compressor(9)
    elif method == LZMA:
        compressor = lzma.LZMACompressor(lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1}])
    else:
        raise ValueError(method)
    out = [compressor.compress(data)]
    piece = b"\0" * (16 << 20)
    while zeros > 0:
        out.append(compressor.compress(piece[:zeros]))
        zeros -= len(piece)
    out.append(compressor.flush())
    body = b"".join(out)
    if method == LZMA:  # zip's lzma header: version 9.20, the size and bytes of the properties
        props = lzma._encode_filter_properties({"id": lzma.FILTER_LZMA1})  # type: ignore[attr-defined]
        body = struct.pack("<BBH", 9, 20, len(props)) + props + body
    return body


def write_zip(path: Path, members: list[tuple[str, int, bytes, int, int]]) -> Path:
    """Members as (name, method, compressed bytes, declared uncompressed size, declared CRC-32)."""
    local, central = bytearray(), bytearray()
    for name, method, body, size, crc in members:
        encoded = name.encode()
        offset = len(local)
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 63, 0, method, 0, 0, crc, len(body), size, len(encoded), 0)
        local += encoded + body
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 63, 63, 0, method, 0, 0, crc, len(body), size, len(encoded), 0, 0, 0, 0, 0, offset
        )
        central += encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(bytes(local) + bytes(central) + end)
    return path


def honest(name: str, method: int, data: bytes) -> tuple[str, int, bytes, int, int]:
    """A member whose header tells the truth."""
    return (name, method, compress(method, data), len(data), zlib.crc32(data))
