"""Facts about an image data directory laid out as Keras expects (one sub-folder per class).

Shared by the script reader and the training-config reader. Reads directory
listings and, lazily with Pillow, the header of one image; bounded so that a
huge dataset costs milliseconds, not minutes.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

# The extensions Keras's directory iterators accept.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff", ".gif")
MAX_FILES = 200_000
MAX_SECONDS = 1.0
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
    deadline = time.monotonic() + MAX_SECONDS
    count: int | None = 0
    first_image: str | None = None
    for entry in classes:
        for root, dirs, files in os.walk(entry.path, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.lower().endswith(IMAGE_EXTENSIONS):
                    count += 1
                    if first_image is None:
                        first_image = os.path.join(root, name)
            if count > MAX_FILES or time.monotonic() > deadline:
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
    """Channels from the image header only (Pillow reads no pixel data for .mode)."""
    try:
        from PIL import Image  # lazy: only when a data directory is actually inspected
    except ImportError:
        return None
    try:
        with Image.open(path) as image:
            return _CHANNELS.get(image.mode)
    except Exception:  # corrupt or unsupported image: the channel count is unknown
        return None
