"""Facts about an image data directory laid out as Keras expects (one sub-folder per class).

Shared by the script reader and the training-config reader. Reads directory
listings and, lazily with Pillow, the header of one image; bounded so that a
huge dataset costs milliseconds, not minutes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# The extensions Keras's directory iterators accept.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff", ".gif")
MAX_FILES = 200_000
# Entries listed (files of any kind and folders): the bound on the work, counted, not timed, so
# that a slow disk and a fast one give the same facts and the same findings.
MAX_ENTRIES = 400_000
_CHANNELS = {"1": 1, "L": 1, "P": None, "LA": 2, "RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3, "RGBA": 4, "CMYK": 4,
             "I": 1, "F": 1, "I;16": 1, "I;16B": 1, "I;16L": 1}


@dataclass(frozen=True)
class DirectoryFacts:
    """What a class-per-folder image directory holds."""

    path: str
    num_classes: int
    """Non-hidden sub-folders (Keras's class folders)."""
    num_samples: int | None
    """Image files inside the class folders (recursively); None when counting was cut short."""
    image_channels: int | None
    """Channels of the first image found (from its mode), None if unknown."""
    class_names: tuple[str, ...] = ()


def inspect_directory(path: str) -> DirectoryFacts | None:
    """Count class folders and images under ``path``; None when it is not a directory."""
    try:
        if not os.path.isdir(path):
            return None
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError:
        return None
    classes = [e for e in entries if not e.name.startswith(".") and _is_dir(e)]
    listed = len(entries)
    count: int | None = 0
    first_image: str | None = None
    for entry in classes:
        for root, dirs, files in os.walk(entry.path, followlinks=False):
            listed += len(dirs) + len(files)
            if listed > MAX_ENTRIES:
                count = None
                break
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.lower().endswith(IMAGE_EXTENSIONS):
                    count += 1
                    if first_image is None:
                        first_image = os.path.join(root, name)
            if count > MAX_FILES:
                count = None
                break
        if count is None:
            break
    return DirectoryFacts(
        path=path,
        num_classes=len(classes),
        num_samples=count,
        image_channels=_channels(first_image) if first_image else None,
        class_names=tuple(e.name for e in classes),
    )


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:
        return False


def _channels(path: str) -> int | None:
    """Channels from the image header only (Pillow reads no pixel data for .mode).

    PNG and JPEG headers are read here, as Pillow reads them, so that the common
    case never imports Pillow (a fifth of a one-script run); other formats, and
    headers not understood here, go to Pillow.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEADER_BYTES)
    except OSError:
        return None
    known = _png_channels(head) if head.startswith(_PNG) else _jpeg_channels(head) if head.startswith(b"\xff\xd8") else None
    if known is not None:
        return known or None  # 0: a palette image, whose channel count Pillow leaves unknown too
    try:
        from PIL import Image  # lazy: only when a data directory is actually inspected
    except ImportError:
        return None
    try:
        with Image.open(path) as image:
            return _CHANNELS.get(image.mode)
    except Exception:  # corrupt or unsupported image: the channel count is unknown
        return None


_HEADER_BYTES = 65_536  # a JPEG's frame header follows its EXIF/ICC segments, rarely beyond 64 KB
_PNG = b"\x89PNG\r\n\x1a\n"
# PNG colour type -> channels of the mode Pillow opens it in (0 L/1/I;16, 2 RGB, 3 P: unknown, 4 LA, 6 RGBA).
_PNG_CHANNELS = {0: 1, 2: 3, 3: 0, 4: 2, 6: 4}
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _png_channels(head: bytes) -> int | None:
    """The colour type in IHDR, the first chunk (signature, length, b'IHDR', width, height, depth, type)."""
    if len(head) < 26 or head[12:16] != b"IHDR":
        return None
    return _PNG_CHANNELS.get(head[25])


def _jpeg_channels(head: bytes) -> int | None:
    """The component count of the first frame header (SOFn): 1 L, 3 RGB/YCbCr, 4 CMYK."""
    position = 2
    while position + 4 <= len(head):
        if head[position] != 0xFF:
            return None
        marker = head[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = int.from_bytes(head[position + 2:position + 4], "big")
        if marker in _JPEG_FRAMES:
            if position + 10 > len(head) or length < 8:
                return None
            components = head[position + 9]
            return components if components in (1, 3, 4) else None
        if marker == 0xDA or length < 2:  # scan data before any frame header: not understood here
            return None
        position += 2 + length
    return None
