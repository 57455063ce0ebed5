"""What kind of file a path is, and opening only regular files, without importing any reader.

A directory scan asks for every file, and the settings reader opens pyproject.toml:
neither should pay for the model readers' imports.
"""

from __future__ import annotations

import os
import stat
from typing import IO

from modelcheck.errors import InputError


def describe_special_file(mode: int) -> str | None:
    """'a directory', 'a named pipe (FIFO)', ... for anything that is not a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def open_regular_file(path: str) -> IO[bytes]:
    """Open a path for reading only if it is a regular file (never block on a FIFO or a device)."""
    described = describe_special_file(os.stat(path).st_mode)
    if described:
        raise InputError(f"is {described}, not a regular file")
    # O_NONBLOCK: if the path was swapped for a FIFO since the stat, open() still returns at once.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        described = describe_special_file(os.fstat(fd).st_mode)
        if described:
            raise InputError(f"is {described}, not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
