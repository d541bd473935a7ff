"""The build cache: skip a rebuild when nothing that shapes the output has changed.

A build records a manifest beside the output folder (`.<out>.manifest.json`, never
published): a fingerprint of every input file (site source, templates, this
package's code), the output files it wrote, and the span of "now" for which the
output stays the same (upcoming/past only change when a meeting starts or ends).
A later build with the same fingerprint, an untouched output folder and a "now"
inside that span has nothing to do. Any other build still reuses each meeting page
whose key (`meeting_pages.page_keys`) is the one recorded here, if its files in the
output folder are untouched (`reusable_pages`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import indico_sync
from indico_sync.meetings import Meeting
from indico_sync.site.sources import walk_files
from indico_sync.untrusted import load_regular
from indico_sync.writer import MARKER, Kept

FORMAT = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    fingerprint: str
    valid_from: float  # POSIX seconds; the output is right for valid_from <= now < valid_until
    valid_until: float
    outputs: dict[str, tuple[int, int]]  # relative path -> (size, mtime_ns)
    pages: int
    meetings: int
    keys: dict[str, str] = field(default_factory=dict)  # meeting page slug -> its key
    converted: dict[str, str] = field(default_factory=dict)  # Markdown key -> its HTML
    # Each folder of the output ("" itself) -> its mtime_ns, as the build left it (`untouched`)
    folders: dict[str, int] = field(default_factory=dict)
    # The files written from bytes -> their hash (`site_files.digests`); none in older manifests
    digests: dict[str, str] = field(default_factory=dict)


def manifest_path(out: Path) -> Path:
    return out.absolute().parent / f".{out.absolute().name}.manifest.json"


def rows_path(out: Path) -> Path:
    """Home's rows as the last build made them (`tables.RowCache`), in `RowFile`'s format."""
    return out.absolute().parent / f".{out.absolute().name}.rows"


def calendar_path(out: Path) -> Path:
    """The calendar's header as the last build made it (`calendar.stored_head`)."""
    return out.absolute().parent / f".{out.absolute().name}.calendar"


def events_path(out: Path) -> Path:
    """The calendar's events as the last build wrote them (`calendar.EventStore`), in
    `RowFile`'s format."""
    return out.absolute().parent / f".{out.absolute().name}.events"


def load_rows(out: Path) -> Mapping[str, str]:
    """The last build's rows by key; none when the file is missing or damaged."""
    return load_entries(rows_path(out))


def load_entries(path: Path) -> Mapping[str, str]:
    """A `RowFile` by key; none when the file is missing or damaged."""
    try:
        return RowFile(path)
    except (OSError, ValueError):
        return {}


def row_entry(key: str, html: str) -> bytes:
    """One row as `RowFile` reads it: a line with its key and its size in bytes, its HTML
    as it is (no JSON: encoding and decoding each row took 5% of a one-change rebuild)."""
    data = html.encode()
    return b"%s %d\n%s\n" % (key.encode(), len(data), data)


class RowFile(Mapping[str, str]):
    """The rows file (`row_entry` after `row_entry`) as a mapping that reads a row from
    the file when it is asked for: only the keys and where each entry is are held (at
    10,000 meetings the rows are 17 MB of text, twice that as Python strings)."""

    def __init__(self, path: Path) -> None:
        self.where: dict[str, tuple[int, int]] = {}
        self.fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        weakref.finalize(self, os.close, self.fd)
        if not stat.S_ISREG(os.fstat(self.fd).st_mode):
            raise ValueError(f"{path}: not a regular file")
        with os.fdopen(os.dup(self.fd), "rb") as handle:
            while head := handle.readline():
                key, _, size = head.rstrip(b"\n").partition(b" ")
                if not (key and size.isdigit() and head.endswith(b"\n")):
                    raise ValueError(f"{path}: not a rows file")
                start = handle.tell() - len(head)
                handle.seek(int(size) + 1, os.SEEK_CUR)
                self.where[key.decode()] = (start, len(head) + int(size) + 1)

    def __getitem__(self, key: str) -> str:
        offset, size = self.where[key]
        try:
            entry = os.pread(self.fd, size, offset)
            head, _, html = entry.partition(b"\n")
            if len(entry) != size or head.partition(b" ")[0] != key.encode():
                raise ValueError
            return html[:-1].decode()
        except (OSError, ValueError):
            raise KeyError(key) from None  # changed since: the row is made again

    def __iter__(self) -> Iterator[str]:
        return iter(self.where)

    def __len__(self) -> int:
        return len(self.where)


def fingerprint(folders: Iterable[Path], *, skip: Path | None) -> str:
    """A hash of every input file's path and bytes (and of the package's own code).

    Paths count from their folder (the first, second... of `folders`): `--source src`
    and `--source /abs/src`, or a moved checkout, give the same fingerprint."""
    digest = hashlib.blake2b(code_fingerprint().encode(), digest_size=20)
    for number, folder in enumerate(folders):
        _add_files(digest, number, folder, skip=skip, read=True)
    return digest.hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """This package's version and code files (by stat), once a process: the code that
    renders is the code imported at start (a build asks four times, 2-3 ms each)."""
    digest = hashlib.blake2b(indico_sync.__version__.encode(), digest_size=20)
    _add_files(digest, 0, Path(indico_sync.__file__).parent, skip=None, read=False)
    return digest.hexdigest()


def _add_files(
    digest: hashlib.blake2b, number: int, folder: Path, *, skip: Path | None, read: bool
) -> None:
    for path in walk_files(folder, skip=skip):
        digest.update(f"{number}:{path.relative_to(folder)}\0".encode(errors="surrogateescape"))
        digest.update(_content(path, read=read))
        digest.update(b"\0")


def _content(path: Path, *, read: bool) -> bytes:
    """What of one file goes into the fingerprint: its bytes if `read` and it is a
    regular file of sane size; else its type, size and time. A link gives its target's
    name and is never followed (it may lead to `/dev/zero`, which never ends)."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return b"link:" + os.fsencode(path.readlink())
    if read:
        try:
            return load_regular(path)
        except (ValueError, OSError):
            pass  # not a regular file, too big or unreadable: the build itself says so
    return f"{info.st_mode}:{info.st_size}:{info.st_mtime_ns}".encode()


def now_span(meetings: Sequence[Meeting], now: datetime) -> tuple[float, float]:
    """The span around `now` in which the site renders the same.

    The site uses "now" to split upcoming from past meetings (each start and end is a
    boundary), to date the feed when there are no posts (a start), and for the zone
    note of the current year (bounded by the year's first and last day).
    """
    moment = now.timestamp()
    edges = {m.start.timestamp() for m in meetings} | {m.end.timestamp() for m in meetings}
    year_start = datetime(now.year, 1, 2, tzinfo=UTC).timestamp()
    year_end = datetime(now.year, 12, 31, tzinfo=UTC).timestamp()
    before = max((e for e in edges if e <= moment), default=year_start)
    after = min((e for e in edges if e > moment), default=year_end)
    return max(before, year_start), min(after, year_end)


def output_state(out: Path) -> dict[str, tuple[int, int]]:
    """Every file in the output folder, with its size and modification time: the files
    `walk_files` lists (no `.`-names, no Python caches, links to folders not entered),
    and any `.git` (which no build writes)."""
    state = {}
    todo = [("", os.fspath(out))]
    while todo:
        prefix, folder = todo.pop()
        with os.scandir(folder) as listing:
            for entry in listing:
                name = entry.name
                if name == ".git":  # never in a manifest: the output is not as written
                    state[prefix + name] = (-1, -1)
                if name[0] == "." or name == "__pycache__" or name.endswith(".pyc"):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    todo.append((f"{prefix}{name}/", entry.path))
                    continue
                try:
                    if entry.is_dir():  # a link to a folder
                        continue
                    info = entry.stat()
                except OSError:  # a dangling link: never what a build wrote
                    state[prefix + name] = (-1, -1)
                    continue
                state[prefix + name] = (info.st_size, info.st_mtime_ns)
    return state


def written_state(written: Mapping[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """`output_state` of a folder just written, from what the writer says it wrote
    (without a second walk): the same files, those `walk_files` lists."""
    return {
        name: state
        for name, state in written.items()
        if not any(part[0] == "." or part == "__pycache__" for part in name.split("/"))
        and not name.endswith(".pyc")
    }


def folder_state(out: Path, names: Iterable[str]) -> dict[str, int]:
    """The modification time of `out` ("") and of every folder in it that holds one of
    `names` (paths in `out`): adding, removing or renaming anything in a folder changes
    its time, so these and the files' own states tell an untouched output (`untouched`)."""
    folders = {""}
    for name in names:
        folder = name.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    root = os.fspath(out)
    return {name: os.lstat(f"{root}/{name}" if name else root).st_mtime_ns for name in folders}


def untouched(out: Path, manifest: Manifest) -> bool:
    """Whether the output folder is as the build that wrote `manifest` left it.

    Each recorded file and folder is looked at by its path (its size and time, its
    folders' times), not by listing the folders: after a while idle, a machine that
    reclaims its page cache must read every folder's entries from disk again (0.14 s for
    the 1,000-meeting site on the bench's VM), while the kernel still knows the paths
    (0.02 s). A manifest without folders (an earlier version's) has the output walked."""
    if not manifest.folders:
        return output_state(out) == manifest.outputs
    root = os.fspath(out)
    try:
        for name, time in manifest.folders.items():
            info = os.lstat(f"{root}/{name}" if name else root)
            if info.st_mtime_ns != time or not stat.S_ISDIR(info.st_mode):
                return False
        for name, (size, time) in manifest.outputs.items():
            info = os.lstat(f"{root}/{name}")
            if (info.st_size, info.st_mtime_ns) != (size, time) or not stat.S_ISREG(info.st_mode):
                return False
    except OSError:  # missing, or not a folder any more
        return False
    return True


def intact_state(out: Path, manifest: Manifest | None) -> dict[str, tuple[int, int]] | None:
    """The output folder's state as the last build recorded it, if nothing has changed
    it since (a build may then update it in place: `writer.write_site`); else None."""
    if manifest is None or not (out / MARKER).is_file():
        return None
    return manifest.outputs if untouched(out, manifest) else None


def is_fresh(manifest: Manifest | None, *, print_: str, now: datetime, out: Path) -> bool:
    """Whether the output folder already is what a build would write."""
    if manifest is None or manifest.fingerprint != print_:
        return False
    if not manifest.valid_from <= now.timestamp() < manifest.valid_until:
        return False
    return out.is_dir() and untouched(out, manifest)


def load_manifest(out: Path) -> Manifest | None:
    """The manifest of the last build, or None when missing or unreadable."""
    try:
        data = json.loads(load_regular(manifest_path(out), limit=2**26))
        if data.pop("format") != FORMAT:
            return None
        data["outputs"] = {k: (v[0], v[1]) for k, v in data["outputs"].items()}
        return Manifest(**data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def render_manifest(manifest: Manifest) -> str:
    data = {
        "format": FORMAT,
        "fingerprint": manifest.fingerprint,
        "valid_from": manifest.valid_from,
        "valid_until": manifest.valid_until,
        "pages": manifest.pages,
        "meetings": manifest.meetings,
        "outputs": dict(sorted(manifest.outputs.items())),
        "keys": dict(sorted(manifest.keys.items())),
        "converted": dict(sorted(manifest.converted.items())),
        "folders": dict(sorted(manifest.folders.items())),
        "digests": dict(sorted(manifest.digests.items())),
    }
    # No indent: json's C encoder (indent makes it use the Python one: 1 s and 12 MB
    # at 10,000 meetings). Only a cache, not read by people.
    return json.dumps(data, separators=(",", ":")) + "\n"


def reusable_pages(
    out: Path,
    manifest: Manifest | None,
    keys: Mapping[str, str],
    paths: Sequence[str],
    *,
    intact: bool = False,
) -> dict[str, tuple[bytes, ...]]:
    """The previous build's files of each meeting page whose key is unchanged, by slug
    (as `Kept`: the writer links them into the new output, nobody reads them).

    `paths` are the page's files with `{slug}` in place of the slug. A file changed by
    hand since (its size or time differs from the manifest's) is rendered again;
    `intact`: the whole output was just found as the manifest says (`intact_state`).
    """
    if manifest is None:
        return {}
    root = os.fspath(out.absolute())  # as `writer.write_site` names it, to see its own files
    found: dict[str, tuple[bytes, ...]] = {}
    for slug, key in keys.items():
        if manifest.keys.get(slug) != key:
            continue
        names = [path.format(slug=slug) for path in paths]
        if intact and all(name in manifest.outputs for name in names):
            found[slug] = tuple(Kept(f"{root}/{name}") for name in names)
            continue
        try:
            files = [f"{root}/{name}" for name in names]
            infos = list(map(os.lstat, files))
            states = [(info.st_size, info.st_mtime_ns) for info in infos]
            if all(stat.S_ISREG(info.st_mode) for info in infos) and all(
                manifest.outputs.get(n) == s for n, s in zip(names, states, strict=True)
            ):
                found[slug] = tuple(map(Kept, files))  # linked, not read: `writer.Kept`
        except OSError:
            continue
    return found
