"""The only code that writes files. Every write is atomic.

A single file is written to a temporary sibling and renamed over the target. A whole
site is written to a temporary sibling folder and swapped in with two renames, so a
failed build leaves the previous output exactly as it was.

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
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path, PurePosixPath

from indico_sync.errors import OutputRefused, RenderError
from indico_sync.site_files import Kept, keep, put, remove_detached

__all__ = ["MARKER", "Kept", "check_output_folder", "safe_join", "write_site", "write_text"]

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


def safe_join(root: Path, relative: str) -> Path:
    """`root / relative`, refusing anything that would land outside `root`."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or not relative or ".." in pure.parts or "\\" in relative:
        raise RenderError(f"refusing to write {relative!r}: outside the output folder")
    return root.joinpath(*pure.parts)


def write_site(
    out_dir: Path,
    files: Mapping[str, bytes],
    *,
    protect: Mapping[str, Path] | None = None,
    known: Collection[str] = (),
    detach: bool = False,
) -> dict[str, tuple[int, int]]:
    """Make `out_dir` hold exactly `files` (relative POSIX paths -> bytes, or `Kept`),
    atomically; return each file's (size, mtime_ns) as written.

    `protect` and `known` are as in `check_output_folder`, which runs first. `detach`:
    the old output is deleted by another process after the swap (`remove_detached`).
    """
    check_output_folder(out_dir, protect=protect, known=known)
    targets = {name: safe_join(Path(), name).as_posix() for name in files}
    out_dir = out_dir.absolute()
    staging: Path | None = None
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
        staging.chmod(0o777 & ~_umask())  # a web server must be able to read the site
        root = os.fspath(staging)
        for folder in sorted(_folders(targets.values())):  # parents sort before children
            (staging / folder).mkdir()
        state = {}
        for name, content in files.items():
            path = f"{root}/{targets[name]}"
            info = keep(content.source, path) if isinstance(content, Kept) else put(path, content)
            state[name] = (info.st_size, info.st_mtime_ns)
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        _swap_in(staging, out_dir, detach=detach)
    except OSError as exc:
        _remove(staging)
        reason = exc.strerror or str(exc)
        where = f": {exc.filename}" if exc.filename else ""
        raise RenderError(f"cannot write the site to {out_dir}: {reason}{where}") from exc
    except BaseException:
        _remove(staging)
        raise
    return state


def _folders(targets: Iterable[str]) -> set[str]:
    """Every folder that holds one of `targets` (relative POSIX paths), not the root."""
    folders: set[str] = set()
    for target in targets:
        folder = target.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return folders


def check_output_folder(
    out: Path, *, protect: Mapping[str, Path] | None = None, known: Collection[str] = ()
) -> None:
    """Raise OutputRefused unless a build may replace `out` (and delete what it holds).

    Allowed: a missing or empty folder, or a previous output: one holding `MARKER`, or
    (written before the marker existed) holding only files named in `known`, the
    outputs the last build recorded. Never allowed: a folder that is or contains one of
    `protect` (description -> folder, such as the site source), the current directory
    or the home folder, a symbolic link, a file, or a folder holding a git repository.
    """
    reason = _refusal(out, protect or {}, known)
    if reason:
        raise OutputRefused(f"refusing to replace {out}: {reason}")


def _refusal(out: Path, protect: Mapping[str, Path], known: Collection[str]) -> str:
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
