"""The only code that writes files. Every write is atomic.

A single file is written to a temporary sibling and renamed over the target. A whole
site is written to a temporary sibling folder (a `Stage`, filled while the site
renders) and swapped in with two renames. When most of the previous output stays as it
is, only the changed files are moved into it, each by one rename, and put back if a
later one fails. Either way a failed build leaves the previous output exactly as it was.

Replacing a folder deletes what was in it, so the site only replaces a folder that is
missing, empty or a previous output: one holding the `MARKER` file every build writes
(or, from before the marker, only files the last build recorded). Anything else, and
any folder that is or holds the sources, the current directory, the home folder or a
git repository, is refused before anything is touched.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import stat
import tempfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from indico_sync.errors import OutputRefused, RenderError
from indico_sync.site_files import Kept, Staged, keep, put, remove_detached, same_bytes

__all__ = [
    "MARKER",
    "Kept",
    "Lines",
    "Stage",
    "Staged",
    "check_output_folder",
    "safe_join",
    "write_site",
    "write_text",
]

MARKER = ".indico_sync"
"""Written into every output folder: the next build may replace the folder."""
MARKER_TEXT = (
    "This folder was written by indico_sync. The next build replaces it and deletes\n"
    "everything in it: keep no files of your own here.\n"
)


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


class Lines:
    """A text file written line by line into a temporary sibling of `path`, which
    `keep` renames over `path` (atomic) and `discard` deletes. Only for caches: no fsync."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self.path, self.tmp = path, Path(tmp)
        self.handle = os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def write(self, line: str) -> None:
        self.handle.write(line + "\n")

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
) -> dict[str, tuple[int, int]]:
    """Make `out_dir` hold exactly `files` (relative POSIX paths -> bytes, `Kept` or
    `Staged`: already in `stage`), atomically; return each file's (size, mtime_ns).

    `previous`: the state of `out_dir` as the last build left it, checked unchanged since.
    Given, and when at most half of the files look changed, only the changed files are
    moved into `out_dir` (`_update`); otherwise the whole stage is swapped in.
    `protect` and `known` are as in `check_output_folder`, which runs before a swap. `detach`:
    the old output is deleted by another process after a swap (`remove_detached`).
    """
    if previous is None:
        check_output_folder(out_dir, protect=protect, known=known)
    given, out_dir = out_dir, out_dir.absolute()
    stage = stage or Stage(out_dir)
    try:
        if previous is not None and _mostly_kept(files, out_dir, previous):
            return _update(out_dir, files, stage, previous)  # touches only its own files
        if previous is not None:
            check_output_folder(given, protect=protect, known=known)  # all will be replaced
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


def _mostly_kept(
    files: Mapping[str, bytes], out_dir: Path, previous: Mapping[str, tuple[int, int]]
) -> bool:
    """Whether at most half of the files look changed: `Staged` ones, and bytes of
    another size than the previous output's file (those of the same size are compared
    when the update writes). Then an update in place writes less than a new folder."""
    changed, root = 0, os.fspath(out_dir)
    for name, content in files.items():
        if isinstance(content, Kept):
            changed += os.fspath(content.source) != f"{root}/{name}"
        elif isinstance(content, Staged) or name not in previous:
            changed += 1
        else:
            changed += previous[name][0] != len(content)
    return changed * 2 <= len(files)


def _update(
    out_dir: Path,
    files: Mapping[str, bytes],
    stage: Stage,
    previous: Mapping[str, tuple[int, int]],
) -> dict[str, tuple[int, int]]:
    """Move the changed files into the previous output and delete the files it no longer
    has; if a step fails, put back every file already moved (an atomic update)."""
    state, changed, root = dict(previous), {}, os.fspath(out_dir)
    for name, content in files.items():
        if isinstance(content, Staged):
            changed[name] = content.state
        elif isinstance(content, Kept) and os.fspath(content.source) == f"{root}/{name}":
            continue  # the previous output's own file
        elif isinstance(content, Kept):
            changed[name] = stage.keep(name, content)
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


def check_output_folder(
    out: Path,
    *,
    protect: Mapping[str, Path] | None = None,
    known: Collection[str] = (),
    walked: bool = False,
) -> None:
    """Raise OutputRefused unless a build may replace `out` (and delete what it holds).

    Allowed: a missing or empty folder, or a previous output: one holding `MARKER`, or
    (written before the marker existed) holding only files named in `known`, the
    outputs the last build recorded. Never allowed: a folder that is or contains one of
    `protect` (description -> folder, such as the site source), the current directory
    or the home folder, a symbolic link, a file, or a folder holding a git repository.
    `walked`: the caller has just walked `out` and found a marked output holding no git
    repository, as the last build left it (`cache.intact_state`): it is not walked again.
    """
    reason = _refusal(out, protect or {}, known, walked=walked)
    if reason:
        raise OutputRefused(f"refusing to replace {out}: {reason}")


def _refusal(
    out: Path, protect: Mapping[str, Path], known: Collection[str], *, walked: bool = False
) -> str:
    """Why `out` must not be replaced, or "" when it may."""
    target, protected = out.resolve(), _protected(protect)
    for what, folder in protected.items():
        if folder == target:
            return f"it is {what}; choose another --out, such as _site"
    for what, folder in protected.items():
        if target in folder.parents:
            return f"it contains {what} ({folder}); choose another --out, such as _site"
    if out.is_symlink():
        return "it is a symbolic link; choose another --out"
    if not out.exists():
        return ""
    if not out.is_dir():
        return "it is a file, not a folder; choose another --out"
    if walked and (out / MARKER).is_file():
        return ""
    entries = _entries(out)
    repository = next((name for name in entries if PurePosixPath(name).name == ".git"), None)
    if repository:
        return f"it holds a git repository ({out / repository}); choose another --out"
    if not entries or MARKER in entries:
        return ""
    foreign = sorted({name.split("/")[0] for name in entries if name not in known})
    if not foreign:
        return ""
    listed = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
    return (
        f"it holds files indico_sync did not write ({listed}); "
        "move them away or choose another --out"
    )


def _protected(protect: Mapping[str, Path]) -> dict[str, Path]:
    """The given folders plus the current directory and home, resolved."""
    folders = {}
    with contextlib.suppress(OSError):  # the working directory was deleted
        folders["the current directory"] = Path.cwd()
    folders.update(protect)
    with contextlib.suppress(KeyError, RuntimeError):  # no home directory for this user
        folders["your home folder"] = Path.home()
    return {what: folder.resolve() for what, folder in folders.items()}


def _entries(folder: Path) -> list[str]:
    """Every file, link, empty or unreadable folder under `folder` (relative POSIX
    paths), and every `.git` folder; links are not followed."""
    found: list[str] = []
    todo = [""]
    while todo:
        here = todo.pop()
        try:
            with os.scandir(folder / here if here else folder) as listing:
                entries = list(listing)
        except OSError:
            found.append(here or ".")
            continue
        if here and not entries:
            found.append(here)
        below = f"{here}/" if here else ""
        for entry in entries:
            name = below + entry.name
            if entry.name != ".git" and entry.is_dir(follow_symlinks=False):
                todo.append(name)
            else:
                found.append(name)
    return found


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
