"""Which folder a build may replace: never one holding files the user did not let it own.

Replacing a folder deletes what was in it, so the site only replaces a folder that is
missing, empty or a previous output: one holding the `MARKER` file every build writes
(or, from before the marker, only files the last build recorded). Anything else, and
any folder that is or holds the sources, the current directory, the home folder or a
git repository, is refused before anything is touched (`writer.write_site` asks).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Mapping
from pathlib import Path, PurePosixPath

from indico_sync.errors import OutputRefused

MARKER = ".indico_sync"
"""Written into every output folder: the next build may replace the folder."""
MARKER_TEXT = (
    "This folder was written by indico_sync. The next build replaces it and deletes\n"
    "everything in it: keep no files of your own here.\n"
)


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
