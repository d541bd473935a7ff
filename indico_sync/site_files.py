"""How `writer.write_site` puts one file into a new site, and drops the old one.

A file of the previous output that the new one holds unchanged (`Kept`) is hard-linked,
not read and written again: no bytes are held, and one link is cheaper than a write.
"""

from __future__ import annotations

import os
import shutil
import stat
import struct
from pathlib import Path


class Kept(bytes):
    """In place of a file's bytes: `source`, a regular file of the previous output, which
    `write_site` hard-links into the new site (copies, where linking fails: across file
    systems) rather than read and write it. Its own bytes are empty: for `write_site` only.
    """

    source: Path

    def __new__(cls, source: Path) -> Kept:
        kept = super().__new__(cls)
        kept.source = source
        return kept


class Staged(bytes):
    """In place of a file's bytes: the file is already in the new output's folder
    (`writer.Stage.put`), with this (size, mtime_ns). Its bytes hold only that state,
    packed (no `__dict__`: 20,000 of them at 10,000 meetings), never the file's."""

    __slots__ = ()

    def __new__(cls, state: tuple[int, int]) -> Staged:
        return super().__new__(cls, _STATE.pack(*state))

    @property
    def state(self) -> tuple[int, int]:
        size, mtime = _STATE.unpack(self)
        return int(size), int(mtime)

    def __reduce__(self) -> tuple[type[Staged], tuple[tuple[int, int]]]:
        return (Staged, (self.state,))  # sent back by the forked child that wrote it


_STATE = struct.Struct("<qq")

_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def put(path: str, content: bytes) -> os.stat_result:
    """A new file (0666 less the umask, as `open` makes it); its state as written."""
    fd = os.open(path, _NEW, 0o666)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        return os.fstat(fd)
    finally:
        os.close(fd)


def same_bytes(path: Path, content: bytes) -> bool:
    """Whether `path` is a regular file holding exactly `content` (links not followed)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        return (
            stat.S_ISREG(info.st_mode)
            and info.st_size == len(content)
            and (handle.read() == content)
        )


def keep(source: Path, path: str) -> os.stat_result:
    """Link `source` as `path`, or copy it where a link cannot be made (never following
    a symbolic link: the previous output may have been changed since)."""
    try:
        os.link(source, path, follow_symlinks=False)
    except OSError:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            return put(path, handle.read())
    return os.lstat(path)


def remove_detached(folder: Path) -> None:
    """Remove `folder` in a grandchild process and return at once (the old output, after
    a swap: deleting a thousand folders can take longer than the build). The child exits
    at once and is reaped here, so a long-lived process (`serve`) gathers no zombies."""
    child = os.fork()
    if child == 0:  # pragma: no cover  # the child
        try:
            if os.fork() == 0:
                os.setsid()
                shutil.rmtree(folder, ignore_errors=True)
        finally:
            os._exit(0)
    os.waitpid(child, 0)
