"""How `writer.write_site` puts one file into a new site, drops the old one, or updates
the old one in place.

A file of the previous output that the new one holds unchanged (`Kept`) is hard-linked,
not read and written again: no bytes are held, and one link is cheaper than a write.
When at most half of the files change, `update_in_place` moves only those into the old
output, one rename each, and puts every moved file back if a later step fails. A file
whose bytes hash as the last build recorded (`digests`) is known unchanged without
reading it: after a while idle, reading the old pages back took 26-33 ms of a rebuild.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import struct
import tempfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from indico_sync.output_check import MARKER

if TYPE_CHECKING:
    from indico_sync.writer import Stage


class Kept(bytes):
    """In place of a file's bytes: `source`, a regular file of the previous output, which
    `write_site` hard-links into the new site (copies, where linking fails: across file
    systems) rather than read and write it. Its own bytes are empty: for `write_site` only.
    """

    source: str  # its path: a str, made for a thousand pages faster than a Path

    def __new__(cls, source: str | os.PathLike[str]) -> Kept:
        kept = super().__new__(cls)
        kept.source = os.fspath(source)
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


def digests(files: Mapping[str, bytes]) -> dict[str, str]:
    """A hash of each file given as bytes (not `Kept` or `Staged`), by name: the manifest
    keeps them, for the next `update_in_place`."""
    return {
        name: hashlib.blake2b(content, digest_size=16).hexdigest()
        for name, content in files.items()
        if not isinstance(content, Kept | Staged)
    }


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


def keep(source: str, path: str) -> os.stat_result:
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


def mostly_kept(
    files: Mapping[str, bytes], out_dir: Path, previous: Mapping[str, tuple[int, int]]
) -> bool:
    """Whether at most half of the files look changed: `Staged` ones, and bytes of
    another size than the previous output's file (those of the same size are compared
    when the update writes). Then an update in place writes less than a new folder."""
    changed, root = 0, os.fspath(out_dir)
    for name, content in files.items():
        if isinstance(content, Kept):
            changed += content.source != f"{root}/{name}"
        elif isinstance(content, Staged) or name not in previous:
            changed += 1
        else:
            changed += previous[name][0] != len(content)
    return changed * 2 <= len(files)


def update_in_place(
    out_dir: Path,
    files: Mapping[str, bytes],
    stage: Stage,
    previous: Mapping[str, tuple[int, int]],
    hashes: tuple[Mapping[str, str], Mapping[str, str]] = ({}, {}),
) -> dict[str, tuple[int, int]]:
    """Move the changed files into the previous output and delete the files it no longer
    has; if a step fails, put back every file already moved (an atomic update).

    `hashes`: `digests` of the files the last build wrote, as its manifest recorded them
    (trusted as `previous` is: the files still have the size and time it recorded), and
    of `files`. A file with the same digest in both is unchanged; others are compared."""
    state, changed, root = dict(previous), {}, os.fspath(out_dir)
    old, new = hashes
    for name, content in files.items():
        if isinstance(content, Staged):
            changed[name] = content.state
        elif isinstance(content, Kept) and content.source == f"{root}/{name}":
            continue  # the previous output's own file
        elif isinstance(content, Kept):
            changed[name] = stage.keep(name, content)
        elif name in old and old[name] == new.get(name):
            continue  # the same bytes as the last build wrote there
        elif not same_bytes(out_dir / name, content):
            changed[name] = stage.put(name, content).state
    gone = [name for name in previous if name not in files]
    gone += [name for name in _dot_files(out_dir) if name not in files and name != MARKER]
    _move_in(out_dir, stage.root, changed, gone)
    for name in gone:
        state.pop(name, None)
    state.update(changed)
    return state


def _dot_files(folder: Path) -> list[str]:
    """The hidden files at the top of `folder` (`.nojekyll`): not in a build's state."""
    with os.scandir(folder) as listing:
        return [e.name for e in listing if e.name.startswith(".") and not e.is_dir()]


def _move_in(out_dir: Path, staged: Path, changed: Collection[str], gone: Sequence[str]) -> None:
    """Rename each `changed` file from `staged` into `out_dir` and move each `gone` file
    out, keeping a link to every replaced file until all is done, to undo on failure."""
    backup = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    undo: list[tuple[Path, Path | None]] = []  # (target, its saved previous file, if any)
    made: list[Path] = []  # folders created, to remove on failure
    try:
        for number, name in enumerate(changed):
            target, saved = out_dir / name, backup / str(number)
            try:
                os.link(target, saved, follow_symlinks=False)
                undo_to: Path | None = saved
            except FileNotFoundError:  # a new file
                undo_to = None
                made += _make_folders(target.parent, stop=out_dir)
            (staged / name).replace(target)
            undo.append((target, undo_to))
        for number, name in enumerate(gone):
            target, saved = out_dir / name, backup / f"gone-{number}"
            target.replace(saved)
            undo.append((target, saved))
    except BaseException:
        _undo(undo, made)
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)
        shutil.rmtree(staged, ignore_errors=True)
    for folder in sorted({(out_dir / name).parent for name in gone}, reverse=True):
        _remove_empty(folder, stop=out_dir)


def _undo(moved: Sequence[tuple[Path, Path | None]], made: Sequence[Path]) -> None:
    """Put back what `_move_in` moved (new files deleted), then drop the folders it made."""
    for target, saved in reversed(moved):
        with contextlib.suppress(OSError):
            if saved is None:
                target.unlink()
            else:
                saved.replace(target)
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _make_folders(folder: Path, *, stop: Path) -> list[Path]:
    """Create `folder` (inside `stop`) and its missing parents; the ones made, outermost first."""
    if folder == stop or folder.is_dir():
        return []
    made = _make_folders(folder.parent, stop=stop)
    folder.mkdir()
    return [*made, folder]


def _remove_empty(folder: Path, *, stop: Path) -> None:
    """Remove `folder` and then its parents up to `stop`, for as long as they are empty."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
