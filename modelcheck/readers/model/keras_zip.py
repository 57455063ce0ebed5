"""Read a `.keras` archive (a zip) as data, with bounded streaming decompression.

Python's ``zipfile`` inflates a bzip2 member in one call before any size check
(a 1.6 KB member declared as 100 bytes took 4 GB), so members are never read
through it: their compressed bytes are fed to a decompressor asked for at most
the bytes still allowed, whatever the header declares. Only the member list
comes from ``zipfile``, after a bound on its size.
"""

from __future__ import annotations

import bz2
import os
import struct
import zipfile
import zlib
from typing import IO, Any

from modelcheck.errors import InputError
from modelcheck.ir import CodeObject, Location, TrainingSetup
from modelcheck.readers.model.code_scan import (
    MAX_PICKLE_SCAN_BYTES,
    PICKLE_HEADER,
    PICKLE_SUFFIXES,
    pickle_summary,
)
from modelcheck.readers.model.config_code import incomplete
from modelcheck.readers.model.json_text import MAX_CONFIG_BYTES, load_json, one_line
from modelcheck.readers.model.model_config import setup_from_configs
from modelcheck.readers.model.safe_text import printable

MAX_METADATA_BYTES = 1_000_000
# zipfile parses the whole central directory up front (3 s and 200 MB for 300 000 entries);
# a .keras archive has a handful of members.
MAX_CENTRAL_DIRECTORY_BYTES = 4 * 1024 * 1024
# Decompressed bytes looked at for pickles over all members together.
MAX_SCANNED_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
# Everything zipfile and the decompressors raise on a damaged archive.
ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    struct.error,
    zlib.error,
    UnicodeDecodeError,
    OverflowError,
)
try:
    import lzma

    ZIP_ERRORS += (lzma.LZMAError,)
except ImportError:  # Python built without lzma
    lzma = None  # type: ignore[assignment]


def read_keras_zip(path: str, handle: IO[bytes]) -> TrainingSetup:
    """A `.keras` archive: config.json, metadata.json, and a scan of the other members for pickles."""
    directory = _central_directory_size(handle)
    if directory is not None and directory > MAX_CENTRAL_DIRECTORY_BYTES:
        raise InputError(f"the archive's member list is {directory} bytes, over the {MAX_CENTRAL_DIRECTORY_BYTES}-byte bound (a .keras file has a few members)")
    handle.seek(0)
    try:
        archive = zipfile.ZipFile(handle)
    except ZIP_ERRORS as error:
        raise InputError(f"not a readable .keras archive: {one_line(str(error))}") from None
    with archive:
        try:
            infos = archive.infolist()
            members = {info.filename: info for info in infos}  # the last of duplicate names wins, as in zipfile
        except ZIP_ERRORS as error:
            raise InputError(f"corrupt .keras archive: {one_line(str(error))}") from None
    info = members.get("config.json")
    if info is None:
        if "config.json/" in members:
            raise InputError("config.json in this .keras archive is a directory entry, not a file")
        raise InputError("not a .keras archive: no config.json inside (expected Keras 3 `model.save('x.keras')` output)")
    raw = read_member(handle, info, MAX_CONFIG_BYTES)
    metadata: Any = {}
    meta_info = members.get("metadata.json")
    if meta_info is not None and meta_info.file_size <= MAX_METADATA_BYTES:
        try:  # metadata only carries the Keras version: damage there must not hide the model
            metadata = load_json(read_member(handle, meta_info, MAX_METADATA_BYTES), "metadata.json")
        except InputError:
            metadata = {}
    pickles = zip_pickles(path, handle, infos)
    config = load_json(raw, "config.json")
    if not isinstance(config, dict):
        raise InputError("config.json does not hold a model config object")
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return setup_from_configs(
        path,
        config,
        config.get("compile_config") if isinstance(config.get("compile_config"), dict) else None,
        keras_version=version if isinstance(version, str) else None,
        extra_code=tuple(pickles),
    )


def _central_directory_size(handle: IO[bytes]) -> int | None:
    """The central directory's size from the end-of-archive record (zip64 too); None if not found."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    tail_size = min(size, 65_536 + 22)  # the record, after a comment of at most 64 KB
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    directory = struct.unpack_from("<I", tail, at + 12)[0]
    if directory == 0xFFFFFFFF and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
        handle.seek(struct.unpack_from("<Q", tail, at - 20 + 8)[0])
        record = handle.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            directory = struct.unpack_from("<Q", record, 40)[0]
    return directory


def read_member(handle: IO[bytes], info: zipfile.ZipInfo, bound: int) -> bytes:
    """A member's bytes, CRC-checked; InputError for encrypted members and anything that inflates past ``bound``."""
    name = printable(info.filename)
    if info.flag_bits & 0x1:
        raise InputError(f"{name} in this .keras archive is encrypted")
    if info.file_size > bound:
        raise InputError(f"{name} is {info.file_size} bytes, over the {bound}-byte bound")
    try:
        data = _inflate(handle, info, bound + 1)
    except ZIP_ERRORS as error:
        raise InputError(f"corrupt .keras archive: cannot read {name}: {one_line(str(error)) or type(error).__name__}") from None
    if len(data) > bound:
        raise InputError(f"{name} inflates beyond {bound} bytes (a zip bomb?)")
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise InputError(f"corrupt .keras archive: {name} does not match its recorded size and checksum")
    return data


def member_prefix(handle: IO[bytes], info: zipfile.ZipInfo, limit: int) -> bytes:
    """At most the first ``limit`` bytes of a member (b"" when it cannot be read): enough to recognise a pickle."""
    if info.flag_bits & 0x1:
        return b""
    try:
        return _inflate(handle, info, limit)
    except ZIP_ERRORS:
        return b""


def _inflate(handle: IO[bytes], info: zipfile.ZipInfo, limit: int) -> bytes:
    """Decompress a member's data, stopping at ``limit`` output bytes whatever its header says."""
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename!r}")
    fields = _LOCAL_HEADER.unpack(header)
    handle.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])
    remaining = info.compress_size
    decompressor = _decompressor(info.compress_type, handle, remaining)
    remaining -= decompressor.header_size
    out = bytearray()
    stalled = 0
    while len(out) < limit:
        if decompressor.has_more():
            produced = decompressor.feed(b"", limit - len(out))
        elif remaining > 0:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                raise EOFError("the archive ends inside a member")
            remaining -= len(chunk)
            produced = decompressor.feed(chunk, limit - len(out))
        else:
            break
        out += produced
        stalled = 0 if produced else stalled + 1
        if stalled > 2 and not remaining:
            break  # a decompressor claiming more output but giving none
    return bytes(out[:limit])


class _Stored:
    header_size = 0

    def has_more(self) -> bool:
        return False

    def feed(self, data: bytes, room: int) -> bytes:
        return data[:room]


class _Deflate:
    header_size = 0

    def __init__(self) -> None:
        self.inner = zlib.decompressobj(-15)
        self.pending = b""

    def has_more(self) -> bool:
        return bool(self.pending) and not self.inner.eof

    def feed(self, data: bytes, room: int) -> bytes:
        produced = self.inner.decompress(self.pending + data, room)
        self.pending = self.inner.unconsumed_tail
        return produced


class _Stream:
    """bzip2 and lzma: ``decompress(data, max_length)`` keeps the rest of the input inside."""

    def __init__(self, inner: Any, header_size: int = 0) -> None:
        self.inner = inner
        self.header_size = header_size

    def has_more(self) -> bool:
        return not self.inner.eof and not self.inner.needs_input

    def feed(self, data: bytes, room: int) -> bytes:
        if self.inner.eof:
            return b""
        return self.inner.decompress(data, room)


def _decompressor(method: int, handle: IO[bytes], compressed: int) -> Any:
    if method == zipfile.ZIP_STORED:
        return _Stored()
    if method == zipfile.ZIP_DEFLATED:
        return _Deflate()
    if method == zipfile.ZIP_BZIP2:
        return _Stream(bz2.BZ2Decompressor())
    if method == zipfile.ZIP_LZMA and lzma is not None:
        # zip's lzma: a 4-byte header (version, size of the properties), the properties, a raw LZMA1 stream
        head = handle.read(4)
        if len(head) < 4:
            raise EOFError("truncated lzma member")
        size = struct.unpack("<H", head[2:4])[0]
        props = handle.read(size)
        if len(props) != size or 4 + size > compressed:
            raise EOFError("truncated lzma member")
        filters = [lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)]  # type: ignore[attr-defined]
        return _Stream(lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters), header_size=4 + size)
    raise zipfile.BadZipFile(f"compression method {method} is not supported")


def zip_pickles(path: str, handle: IO[bytes], infos: list[zipfile.ZipInfo]) -> list[CodeObject]:
    """Members that hold pickles: by name (.pkl, .joblib, ...) or by a pickle protocol header.

    Every member is looked at (the member list is bounded by its size); at most
    MAX_SCANNED_BYTES are decompressed for that in all, and past them the scan
    says it is incomplete.
    """
    found: list[CodeObject] = []
    budget = MAX_SCANNED_BYTES
    for index, info in enumerate(infos):
        if info.is_dir() or info.filename in ("config.json", "metadata.json"):
            continue
        if budget <= 0:
            found.append(incomplete(path, f"the scan for pickles stopped at archive member {index + 1} of {len(infos)}: {MAX_SCANNED_BYTES} bytes were inflated, its bound"))
            break
        named = info.filename.lower().endswith(PICKLE_SUFFIXES)
        data = member_prefix(handle, info, 2)  # whatever size the header declares
        if PICKLE_HEADER.match(data):
            data = member_prefix(handle, info, min(MAX_PICKLE_SCAN_BYTES, budget))
        budget -= max(len(data), 1)
        summary = pickle_summary(data)
        if named or summary is not None:
            detail = f"archive member {printable(info.filename)} holds a pickled Python object"
            found.append(CodeObject("pickle", detail + (f" ({summary})" if summary else ""), Location(path)))
    return found
