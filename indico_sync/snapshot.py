"""The stored meetings (`_data/meetings.yml`): the file format, read and written.

The file is deterministic: the same meetings always give the same bytes, so the
scheduled job commits only real changes and git history is the meetings' history.
It is written in JSON syntax (which is also YAML: Jekyll and any YAML tool read it),
because a JSON parser loads it about 40x faster than PyYAML does a block-style file.
Each meeting is one block of four lines whose first line holds its id, start and
title, so every line a change can touch is within git's three lines of context of
the line that names the meeting. Beside the meetings the file records whether the
sync that made it used a token, and when its meetings last changed. A hand-edited
file in any YAML style is still accepted. Reading the file is `load_snapshot_file`
(the layout written here one meeting at a time, `read_canonical`: 10,000 meetings
then peak at about 70 MB, not 170); writing it, `writer.write_text`. What goes into
the file (merge, diff, the guards) is the sync's business: `sync/rules.py`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from indico_sync.errors import SnapshotError
from indico_sync.meetings import Meeting, sort_meetings
from indico_sync.policy import publishable, unmatched_overrides
from indico_sync.snapshot_fields import (
    Shared,
    header_from_dict,
    meeting_from_dict,
    meeting_held_back,
    meeting_to_dict,
)
from indico_sync.untrusted import ALIAS_HINT, first_alias, load_regular, one_line, quote

if TYPE_CHECKING:
    from indico_sync.config import IndicoConfig

log = logging.getLogger(__name__)

SNAPSHOT_PATH = Path("_data") / "meetings.yml"
FORMAT_VERSION = 1
HEADER = (
    "# Meetings synced from Indico by indico_sync (python -m indico_sync sync).\n"
    "# Do not edit by hand: the next sync rewrites this file. To correct a meeting,\n"
    "# use indico.overrides in _config.yml.\n"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """The stored file: its meetings and what it records about the sync that made it."""

    meetings: list[Meeting]
    with_token: bool | None = None  # None: not recorded (a file older than the field)
    updated: datetime | None = None  # when the meetings last changed; None: not recorded
    # A hash of each meeting's bytes in the file, by `id()` of its record in `meetings`
    # (read_canonical only): cheaper than hashing the record for the build's page keys.
    digests: Mapping[int, bytes] = field(default_factory=dict, compare=False, repr=False)

    @property
    def synced_with_token(self) -> bool:
        """Recorded, or else inferred: only a token can have fetched a protected meeting."""
        if self.with_token is not None:
            return self.with_token
        return any(meeting.protected for meeting in self.meetings)


# --- reading ---------------------------------------------------------------------------


def load_snapshot(source_dir: Path) -> list[Meeting]:
    """The stored meetings; a missing file is an empty list (a site with no meetings yet)."""
    return load_snapshot_file(source_dir).meetings


def load_snapshot_file(source_dir: Path, *, later: bool = False) -> Snapshot:
    """The stored file; a missing one is an empty snapshot with nothing recorded.

    `later`: each meeting's talks, materials, minutes and description are read when first
    used (`meetings.Later`), where the file is laid out as `render_snapshot` writes it.
    Their errors then come when they are read (`Meeting.read` reads them at once)."""
    path = source_dir / SNAPSHOT_PATH
    try:
        data = load_regular(path)
    except FileNotFoundError:
        return Snapshot(meetings=[])
    except (OSError, ValueError) as exc:  # also a link, FIFO or device
        raise SnapshotError(f"{path}: cannot read: {exc}") from exc
    return parse_snapshot_bytes(data, path=path, later=later)


def load_published(source_dir: Path, indico: IndicoConfig, *, later: bool = False) -> Snapshot:
    """The stored file with the meetings as the site shows them: the protected-meetings
    policy and the overrides applied again (the config may have changed since the sync).

    Warns, one line each, about overrides that match no stored meeting. `later`: see
    `load_snapshot_file`.
    """
    snapshot = load_snapshot_file(source_dir, later=later)
    for key in unmatched_overrides(snapshot.meetings, indico.overrides):
        log.warning(
            "warning: indico.overrides: no stored meeting has the event %r; "
            "check the event URL or id (the override does nothing)",
            key,
        )
    return replace(snapshot, meetings=publishable(snapshot.meetings, indico))


def parse_snapshot_bytes(data: bytes, *, path: Path, later: bool = False) -> Snapshot:
    """The file's bytes: the layout `render_snapshot` writes is read meeting by meeting
    (`read_canonical`), anything else (hand-edited, broken) as a whole text; both give
    the same meetings and the same errors."""
    snapshot = read_canonical(data, later=path if later else None)
    if snapshot is not None:
        return snapshot
    try:
        text = data.decode("utf-8")
    except ValueError as exc:
        raise SnapshotError(f"{path}: cannot read: {exc}") from exc
    del data  # only the text from here: a big file is not held twice
    return parse_snapshot_file(text, path=path)


def parse_snapshot(text: str, *, path: Path) -> list[Meeting]:
    return parse_snapshot_file(text, path=path).meetings


def parse_snapshot_file(text: str, *, path: Path) -> Snapshot:
    """The file's text. Only `"meetings": []` means no meetings: an empty or cut-off
    file is an error, so a lost write never publishes an empty site."""
    data = _parse_data(text, path=path)
    if not isinstance(data, dict) or not isinstance(data.get("meetings"), list):
        raise SnapshotError(
            f"{path}: expected a mapping with a 'meetings' list{_restore(path)}"
            if data is not None
            else f"{path}: empty, expected a mapping with a 'meetings' list{_restore(path)}"
        )
    if data.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        raise SnapshotError(
            f"{path}: version {quote(data.get('version'))} is not {FORMAT_VERSION}; "
            "upgrade indico_sync or re-sync"
        )
    meetings, share = [], Shared()
    for index, raw in enumerate(data["meetings"]):
        where = f"{path}: meetings[{index}]"
        try:
            meetings.append(meeting_from_dict(raw, share=share))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise SnapshotError(f"{where}: {exc.args[0] if exc.args else exc}") from exc
    try:
        with_token, updated = header_from_dict(data)
    except (TypeError, ValueError, OverflowError) as exc:
        raise SnapshotError(f"{path}: {exc.args[0] if exc.args else exc}") from exc
    return Snapshot(meetings=sort_meetings(meetings), with_token=with_token, updated=updated)


# The head of the file `render_snapshot` writes, up to the meetings list's bracket.
_HEAD = re.compile(
    rb'\{\n  "version": [^\n]*,\n(?:  "(?:updated|with_token)": [^\n]*,\n)*  "meetings": \['
)
_NEXT = b",\n    {"  # between two meetings: a line never starts inside a JSON string
_DECODE = json.JSONDecoder().decode


def read_canonical(data: bytes, *, later: Path | None = None) -> Snapshot | None:
    """The file as `render_snapshot` writes it, decoded one meeting at a time, each
    turned into a `Meeting` at once: the file is never held as one text (2 or 4 bytes
    a character when it is not all ASCII) nor as all its mappings at once.

    None when the file is laid out otherwise or anything in it is wrong: the caller
    then reads it whole, which gives the same meetings, or the error in its terms.
    `later`: the file's path, to hold back each meeting's details until they are used
    (`snapshot_fields.meeting_held_back`) and name it in their errors.
    """
    start = 0
    while data.startswith(b"#", start):
        start = data.find(b"\n", start) + 1
        if start == 0:
            return None
    head = _HEAD.match(data, start)
    if head is None:
        return None
    first, last = head.end(), len(data) - len(b"\n  ]\n}\n")
    try:
        header = _DECODE(data[start : head.end()].decode() + "]}")
        if header.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            return None
        with_token, updated = header_from_dict(header)
        if data.startswith(b"]\n}\n", first) and len(data) == first + 4:
            return Snapshot(meetings=[], with_token=with_token, updated=updated)
        if not (data.startswith(b"\n", first) and data.endswith(b"\n  ]\n}\n")):
            return None
        meetings: list[Meeting] = []
        share, digests = Shared(), {}
        while first < last:
            end = data.find(_NEXT, first, last)
            end = last if end < 0 else end
            chunk = data[first:end]
            where = f"{later}: meetings[{len(meetings)}]"
            held = meeting_held_back(chunk, share=share, where=where) if later else None
            meeting = held or meeting_from_dict(_DECODE(chunk.decode()), share=share)
            meetings.append(meeting)
            digests[id(meeting)] = hashlib.blake2b(chunk, digest_size=16).digest()
            first = end + 2
    except (KeyError, TypeError, ValueError, OverflowError, RecursionError):
        return None
    ordered = sort_meetings(meetings)
    return Snapshot(meetings=ordered, with_token=with_token, updated=updated, digests=digests)


def _restore(path: Path) -> str:
    return f"; restore it from git: git checkout -- {path}"


def _parse_data(text: str, *, path: Path) -> object:
    """JSON first (what `render_snapshot` writes), then any YAML.

    A file that starts like JSON but is neither valid JSON nor YAML is reported in
    JSON's terms (line, column, cut off?), not in the YAML parser's.
    """
    body = text.lstrip()
    while body.startswith("#"):
        body = body.partition("\n")[2].lstrip()
    if not body:
        return None
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        json_error = exc
    except RecursionError as exc:
        raise SnapshotError(f"{path}: not a snapshot: nested too deeply") from exc
    if (line := first_alias(text)) is not None:
        raise SnapshotError(f"{path}:{line}: {ALIAS_HINT}")
    try:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        if body.startswith(("{", "[")):
            raise SnapshotError(_json_problem(json_error, text, body, path)) from json_error
        mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
        where = f"{path}:{mark.line + 1}" if mark is not None and problem else f"{path}"
        message = one_line(problem if mark is not None and problem else exc)
        raise SnapshotError(f"{where}: not valid YAML: {message}{_restore(path)}") from exc


def _json_problem(exc: json.JSONDecodeError, text: str, body: str, path: Path) -> str:
    """`file:line:column: ...`; an error on the last line means the file was cut off."""
    line = exc.lineno + text.count("\n", 0, len(text) - len(body))
    where = f"{path}:{line}:{exc.colno}"
    message = exc.msg.removesuffix(" starting at")
    if "\n" not in body[exc.pos :].strip():
        return f"{where}: the file ends early (cut off?): {message}{_restore(path)}"
    return f"{where}: not valid JSON: {message}{_restore(path)}"


# --- writing ---------------------------------------------------------------------------


def render_snapshot(
    meetings: Iterable[Meeting], *, with_token: bool | None = None, updated: datetime | None = None
) -> str:
    """The file's text: fixed key order, sorted meetings, UTF-8, `\\n` line ends.

    `with_token` and `updated` are written when given (see `Snapshot`). The text is
    joined once from its parts: 10,000 meetings (a 38 MB str) peak at 76 MB more, not 189.
    """
    parts = [HEADER, "{\n", f'  "version": {FORMAT_VERSION},\n']
    if updated is not None:
        parts.append(f'  "updated": {_ENCODE(updated.isoformat())},\n')
    if with_token is not None:
        parts.append(f'  "with_token": {_ENCODE(with_token)},\n')
    parts.append('  "meetings": [')
    start = len(parts)
    for meeting in sort_meetings(meetings):  # only hostile or broken text holds _NOT_YAML's
        parts += [",\n", _NOT_YAML.sub(_escape, _meeting_block(meeting))]
    if len(parts) > start:
        parts[start] = "\n"  # no comma before the first meeting
        parts.append("\n  ")
    parts.append("]\n}\n")
    return "".join(parts)


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
# What the JSON encoder writes as is but YAML reads differently or not at all: DEL and
# the C1 controls (not printable in YAML), NEL and the line and paragraph separators
# (line breaks in YAML 1.1), lone surrogates (not even UTF-8). They only occur inside
# strings, where a \uXXXX escape means the same in JSON and YAML.
_NOT_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _meeting_block(meeting: Meeting) -> str:
    """One meeting as four lines: id, start and title; the other fields; the agenda (the
    talks with their materials and minutes, then the event's own materials and minutes
    when it has any); the description (the keys and values of `meeting_to_dict`).

    Laid out by hand around the C encoder: `json.dumps(indent=...)` falls back to the
    pure-Python encoder, several times slower for thousands of meetings.
    """
    rest = meeting_to_dict(meeting)
    first = {key: rest.pop(key) for key in ("id", "start", "title")}
    talks, description = rest.pop("talks"), rest.pop("description")
    extra = "".join(
        f', "{key}": {_ENCODE(rest.pop(key))}' for key in ("materials", "minutes") if key in rest
    )
    return (
        f"    {_ENCODE(first)[:-1]},\n"
        f"     {_ENCODE(rest)[1:-1]},\n"
        f'     "talks": {_ENCODE(talks)}{extra},\n'
        f'     "description": {_ENCODE(description)}}}'
    )
