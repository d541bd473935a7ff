"""The only code that writes files. Every write is atomic.

A single file is written to a temporary sibling and renamed over the target. A whole
site is written to a temporary sibling folder and swapped in with two renames, so a
failed build leaves the previous output exactly as it was.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from indico_sync.errors import RenderError


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


def write_site(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Make `out_dir` hold exactly `files` (relative POSIX paths -> bytes), atomically."""
    out_dir = out_dir.absolute()
    targets = {name: safe_join(Path(), name) for name in files}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        staging.chmod(0o777 & ~_umask())  # a web server must be able to read the site
        folders = {folder for target in targets.values() for folder in target.parents}
        for folder in sorted(folders - {Path()}):  # parents sort before their children
            (staging / folder).mkdir()
        for name, content in files.items():
            (staging / targets[name]).write_bytes(content)
        _swap_in(staging, out_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise RenderError(f"cannot write the site to {out_dir}: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Two renames: the old folder aside, the new one in. Then drop the old one."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    if not out_dir.is_dir():
        raise RenderError(f"{out_dir} exists and is not a folder; refusing to replace it")
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    old.rmdir()
    out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except OSError:
        old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


@functools.cache
def _umask() -> int:
    """The process's umask (reading it means setting it, so once, and put back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
