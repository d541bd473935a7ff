"""The only code that writes files. Every write is atomic.

A single file is written to a temporary sibling and renamed over the target. A whole
site is written to a temporary sibling folder (a `Stage`, filled while the site
renders) and swapped in with two renames. When most of the previous output stays as it
is, only the changed files are moved into it, each by one rename, and put back if a
later one fails (`site_files.update_in_place`). Either way a failed build leaves the
previous output exactly as it was. Which folder may be replaced at all is
`output_check.check_output_folder`'s call, asked before anything is touched.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import stat
import tempfile
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path, PurePosixPath

from indico_sync.errors import RenderError
from indico_sync.output_check import MARKER, MARKER_TEXT, check_output_folder
from indico_sync.site_files import (
    Kept,
    Staged,
    keep,
    mostly_kept,
    put,
    remove_detached,
    update_in_place,
)

__all__ = [
    "MARKER",
    "CacheFile",
    "Kept",
    "Stage",
    "Staged",
    "check_output_folder",
    "safe_join",
    "write_site",
    "write_text",
]


def write_text(path: Path, text: str, *, durable: bool = True) -> None:
    """Replace `path` with `text` (UTF-8, `\\n` line ends) atomically.

    `durable` waits until the bytes are on disk before the rename (fsync), so a crash
    leaves the old file or the new one, never an empty one. Skip it for files that are
    only a cache: on ext4 an fsync also flushes every other pending change, such as a
    whole site just written, which can take longer than the build.

    The file keeps its permissions, or gets the usual ones for a new file (0644 under
    the common umask), not the private 0600 of a temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class CacheFile:
    """A file written piece by piece into a temporary sibling of `path`, which `keep`
    renames over `path` (atomic) and `discard` deletes. Only for caches: no fsync."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self.path, self.tmp = path, Path(tmp)
        self.handle = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.handle.write(data)

    def flush(self) -> None:
        """Out of this process's buffer: a forked child writing here ends with this."""
        self.handle.flush()

    def keep(self) -> None:
        self.handle.close()
        self.tmp.chmod(0o666 & ~_umask())
        self.tmp.replace(self.path)

    def discard(self) -> None:
        self.handle.close()
        self.tmp.unlink(missing_ok=True)


def safe_join(root: Path, relative: str) -> Path:
    """`root / relative`, refusing anything that would land outside `root`."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or not relative or ".." in pure.parts or "\\" in relative:
        raise RenderError(f"refusing to write {relative!r}: outside the output folder")
    return root.joinpath(*pure.parts)


class Stage:
    """The new output's folder, a hidden sibling of the output, filled as the site renders.

    Made before rendering, so pages go to disk as soon as they are made (by this process
    and by the forked ones, `worker`), not held in memory. `write_site` then swaps it in,
    or moves only its files into the previous output; `remove` drops it after a failure.
    """

    def __init__(self, out: Path) -> None:
        self.out = out.absolute()
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.root = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.new-", dir=self.out.parent))
            self.root.chmod(0o777 & ~_umask())  # a web server must be able to read the site
        except OSError as exc:
            raise _write_error(self.out, exc) from exc
        self.folders: set[str] = set()

    def put(self, name: str, content: bytes) -> Staged:
        """Write `content` as `name` (a relative POSIX path) into the stage."""
        target = _target(name)
        path = f"{self.root}/{target}"
        try:
            self._folder(target.rpartition("/")[0])
            try:
                info = put(path, content)
            except FileExistsError:  # written before by a child that failed later on
                Path(path).unlink()
                info = put(path, content)
        except OSError as exc:
            raise _write_error(self.out, exc) from exc
        return Staged((info.st_size, info.st_mtime_ns))

    def put_pieces(self, name: str, pieces: Iterable[str], *, block: int = 2**18) -> Staged:
        """Write the text `pieces` (UTF-8) as `name`, a block at a time: a big page is
        never whole in memory. An error while they are made leaves no file."""
        target = _target(name)
        path = self.root / target
        try:
            self._folder(target.rpartition("/")[0])
            with path.open("wb") as handle:
                buffer: list[str] = []
                size = 0
                for piece in pieces:
                    buffer.append(piece)
                    size += len(piece)
                    if size >= block:
                        handle.write("".join(buffer).encode())
                        buffer, size = [], 0
                handle.write("".join(buffer).encode())
            info = path.stat()
        except OSError as exc:
            raise _write_error(self.out, exc) from exc
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Staged((info.st_size, info.st_mtime_ns))

    def keep(self, name: str, content: Kept) -> tuple[int, int]:
        """Link (or copy) the previous output's file into the stage as `name`."""
        target = _target(name)
        self._folder(target.rpartition("/")[0])
        info = keep(content.source, f"{self.root}/{target}")
        return (info.st_size, info.st_mtime_ns)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _folder(self, folder: str) -> None:
        if folder and folder not in self.folders:
            self._folder(folder.rpartition("/")[0])
            with contextlib.suppress(FileExistsError):  # made by another process, or a file
                (self.root / folder).mkdir()
            self.folders.add(folder)


def write_site(
    out_dir: Path,
    files: Mapping[str, bytes],
    *,
    stage: Stage | None = None,
    previous: Mapping[str, tuple[int, int]] | None = None,
    protect: Mapping[str, Path] | None = None,
    known: Collection[str] = (),
    detach: bool = False,
    hashes: tuple[Mapping[str, str], Mapping[str, str]] = ({}, {}),
) -> dict[str, tuple[int, int]]:
    """Make `out_dir` hold exactly `files` (relative POSIX paths -> bytes, `Kept` or
    `Staged`: already in `stage`), atomically; return each file's (size, mtime_ns).

    `previous`: the state of `out_dir` as the last build left it, checked unchanged since.
    Given, and when at most half of the files look changed, only the changed files are
    moved into `out_dir` (`site_files.update_in_place`); otherwise the whole stage is swapped in.
    `protect` and `known` are as in `check_output_folder`, which runs before a swap. `detach`:
    the old output is deleted by another process after a swap (`remove_detached`).
    `hashes`: the last build's and these files' digests, for an update in place.
    """
    given, out_dir = out_dir, out_dir.absolute()
    in_place = previous is not None and mostly_kept(files, out_dir, previous)
    if not in_place:  # all of it is replaced: checked (again) just before
        check_output_folder(given, protect=protect, known=known)
    stage = stage or Stage(out_dir)
    try:
        if previous is not None and in_place:
            return update_in_place(out_dir, files, stage, previous, hashes)  # only its own files
        state = {}
        for name, content in files.items():
            if isinstance(content, Staged):
                state[name] = content.state
            elif isinstance(content, Kept):
                state[name] = stage.keep(name, content)
            else:
                state[name] = stage.put(name, content).state
        (stage.root / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        _swap_in(stage.root, out_dir, detach=detach)
    except OSError as exc:
        stage.remove()
        raise _write_error(out_dir, exc) from exc
    except BaseException:
        stage.remove()
        raise
    return state


def _write_error(out_dir: Path, exc: OSError) -> RenderError:
    reason = exc.strerror or str(exc)
    where = f": {exc.filename}" if exc.filename else ""
    return RenderError(f"cannot write the site to {out_dir}: {reason}{where}")


def _target(name: str) -> str:
    """`name` as a path under the output folder; anything that would leave it is refused."""
    if "//" in name or "/." in name or name.startswith(".") or name.endswith("/"):
        return safe_join(Path(), name).as_posix()  # unusual: the thorough check
    if not name or name.startswith("/") or "\\" in name:
        raise RenderError(f"refusing to write {name!r}: outside the output folder")
    return name


def _remove(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _swap_in(staging: Path, out_dir: Path, *, detach: bool) -> None:
    """Two renames: the old folder aside, the new one in. Then drop the old one."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    old.rmdir()
    out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except OSError:
        old.rename(out_dir)
        raise
    if detach:
        remove_detached(old)
    else:
        shutil.rmtree(old, ignore_errors=True)


@functools.cache
def _umask() -> int:
    """The process's umask (reading it means setting it, so once, and put back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
