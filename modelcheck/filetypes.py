"""What kind of file a stat mode names, without importing any reader (a directory scan asks for every file)."""

from __future__ import annotations

import stat


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
