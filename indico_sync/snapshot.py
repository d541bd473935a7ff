"""The stored meetings (`_data/meetings.yml`): render, parse, merge and diff them.

The file is deterministic: the same meetings always give the same bytes, so the
scheduled job commits only real changes and git history is the meetings' history.
It is written in JSON syntax (which is also YAML: Jekyll and any YAML tool read it),
one key per line so diffs stay readable, because a JSON parser loads it about 40x
faster than PyYAML does a block-style file. A hand-edited file in any YAML style is
still accepted. Reading the file is `load_snapshot`; writing it, `writer.write_text`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from indico_sync.errors import SnapshotError, SyncRefused
from indico_sync.meetings import (
    Meeting,
    MeetingType,
    Person,
    Status,
    Talk,
    find_zone,
    sort_meetings,
)
from indico_sync.untrusted import ALIAS_HINT, first_alias, load_regular, quote

SNAPSHOT_PATH = Path("_data") / "meetings.yml"
FORMAT_VERSION = 1
HEADER = (
    "# Meetings synced from Indico by indico_sync (python -m indico_sync sync).\n"
    "# Do not edit by hand: the next sync rewrites this file. To correct a meeting,\n"
    "# use indico.overrides in _config.yml.\n"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Changes:
    """What a sync changed, by meeting."""

    added: tuple[Meeting, ...] = ()
    updated: tuple[Meeting, ...] = ()
    removed: tuple[Meeting, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed"


def plural(count: int, noun: str) -> str:
    """'1 meeting', '2 meetings', '0 files': every count printed to a person."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --- reading ---------------------------------------------------------------------------


def load_snapshot(source_dir: Path) -> list[Meeting]:
    """The stored meetings; a missing file is an empty list (a site with no meetings yet),
    an empty one an error."""
    path = source_dir / SNAPSHOT_PATH
    try:
        text = load_regular(path).decode("utf-8")
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:  # also a link, FIFO or device; not UTF-8
        raise SnapshotError(f"{path}: cannot read: {exc}") from exc
    return parse_snapshot(text, path=path)


def parse_snapshot(text: str, *, path: Path) -> list[Meeting]:
    """The meetings in the file's text. Only `"meetings": []` means no meetings: an
    empty or cut-off file is an error, so a lost write never publishes an empty site."""
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
    meetings = []
    for index, raw in enumerate(data["meetings"]):
        where = f"{path}: meetings[{index}]"
        try:
            meetings.append(meeting_from_dict(raw))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise SnapshotError(f"{where}: {exc.args[0] if exc.args else exc}") from exc
    return sort_meetings(meetings)


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
        message = " ".join(str(problem if mark is not None and problem else exc).split())
        raise SnapshotError(f"{where}: not valid YAML: {message}{_restore(path)}") from exc


def _json_problem(exc: json.JSONDecodeError, text: str, body: str, path: Path) -> str:
    """`file:line:column: ...`; an error on the last line means the file was cut off."""
    line = exc.lineno + text.count("\n", 0, len(text) - len(body))
    where = f"{path}:{line}:{exc.colno}"
    message = exc.msg.removesuffix(" starting at")
    if "\n" not in body[exc.pos :].strip():
        return f"{where}: the file ends early (cut off?): {message}{_restore(path)}"
    return f"{where}: not valid JSON: {message}{_restore(path)}"


def meeting_from_dict(raw: object) -> Meeting:
    """Rebuild a Meeting; raises KeyError/TypeError/ValueError naming the bad key."""
    if not isinstance(raw, dict):
        raise TypeError("expected a mapping")
    zone = find_zone(_get(raw, "timezone", str))
    if zone is None:
        raise ValueError(f"timezone: unknown time zone {quote(raw['timezone'])}")
    return Meeting(
        source=_get(raw, "source", str),
        id=str(_get(raw, "id", (str, int))),
        url=_get(raw, "url", str),
        title=_get(raw, "title", str),
        start=_datetime(raw, "start").astimezone(zone),
        end=_datetime(raw, "end").astimezone(zone),
        timezone=zone.key,
        category=_get(raw, "category", str, ""),
        category_id=_get(raw, "category_id", (int, type(None)), None),
        type=_enum(MeetingType, raw.get("type"), "type"),
        status=_enum(Status, raw.get("status", "scheduled"), "status") or Status.SCHEDULED,
        label=_get(raw, "label", str, ""),
        label_message=_get(raw, "label_message", str, ""),
        location=_get(raw, "location", str, ""),
        description=_get(raw, "description", str, ""),
        protected=_get(raw, "protected", bool, False),
        talks=tuple(_talk(talk, zone) for talk in _get(raw, "talks", list, [])),
    )


def _talk(raw: object, zone: ZoneInfo) -> Talk:
    if not isinstance(raw, dict):
        raise TypeError("talks: expected a list of mappings")
    start = raw.get("start")
    return Talk(
        title=_get(raw, "title", str),
        speakers=tuple(
            Person(name=_get(p, "name", str), affiliation=_get(p, "affiliation", str, ""))
            for p in _get(raw, "speakers", list, [])
        ),
        start=_datetime(raw, "start").astimezone(zone) if start is not None else None,
    )


def _get(raw: Mapping[str, Any], key: str, kind: Any, *default: Any) -> Any:
    if key not in raw:
        if default:
            return default[0]
        raise KeyError(f"{key}: missing")
    value = raw[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise TypeError(f"{key}: expected {getattr(kind, '__name__', kind)}, got {quote(value)}")
    return value


def _datetime(raw: Mapping[str, Any], key: str) -> datetime:
    value = raw.get(key)
    parsed = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(f"{key}: expected a date-time with offset, got {quote(value)}")
    return parsed


def _enum(kind: Any, value: object, key: str) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        options = ", ".join(member.value for member in kind)
        raise ValueError(f"{key}: expected one of {options}, got {quote(value)}") from None


# --- writing ---------------------------------------------------------------------------


def render_snapshot(meetings: Iterable[Meeting]) -> str:
    """The file's text: fixed key order, sorted meetings, UTF-8, `\\n` line ends."""
    data = {
        "version": FORMAT_VERSION,
        "meetings": [meeting_to_dict(m) for m in sort_meetings(meetings)],
    }
    return HEADER + _dump(data)


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def _dump(data: dict[str, Any]) -> str:
    """JSON with one key of each meeting per line and one talk per line.

    Laid out by hand around the C encoder: `json.dumps(indent=...)` falls back to the
    pure-Python encoder, several times slower for thousands of meetings.
    """
    lines = ["{", f'  "version": {_ENCODE(data["version"])},', '  "meetings": [']
    meetings = data["meetings"]
    for index, meeting in enumerate(meetings):
        lines.append("    {")
        keys = list(meeting)
        for position, key in enumerate(keys):
            comma = "," if position < len(keys) - 1 else ""
            value = meeting[key]
            if key == "talks" and value:
                talks = [f"        {_ENCODE(talk)}" for talk in value]
                lines.append('      "talks": [\n' + ",\n".join(talks) + f"\n      ]{comma}")
            else:
                lines.append(f"      {_ENCODE(key)}: {_ENCODE(value)}{comma}")
        lines.append("    }," if index < len(meetings) - 1 else "    }")
    lines.extend(["  ]", "}"])
    return "\n".join(lines) + "\n"


def meeting_to_dict(meeting: Meeting) -> dict[str, Any]:
    """Fixed key order. `label_message` (added later) is written only when there is
    one, so snapshots from before it stay byte-identical and need no re-sync commit."""
    record = _record(meeting)
    if not meeting.label_message:
        del record["label_message"]
    return record


def _record(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "title": meeting.title,
        "start": meeting.start.isoformat(),
        "end": meeting.end.isoformat(),
        "timezone": meeting.timezone,
        "url": meeting.url,
        "source": meeting.source,
        "category": meeting.category,
        "category_id": meeting.category_id,
        "type": meeting.type.value if meeting.type else None,
        "status": meeting.status.value,
        "label": meeting.label,
        "label_message": meeting.label_message,
        "location": meeting.location,
        "protected": meeting.protected,
        "talks": [
            {
                "title": talk.title,
                "start": talk.start.isoformat() if talk.start else None,
                "speakers": [{"name": p.name, "affiliation": p.affiliation} for p in talk.speakers],
            }
            for talk in meeting.talks
        ],
        "description": meeting.description,
    }


# --- syncing ---------------------------------------------------------------------------


def merge_meetings(
    stored: Iterable[Meeting],
    fetched: Mapping[str, Sequence[Meeting]],
    *,
    window: tuple[date, date],
    zone: ZoneInfo | None,
) -> list[Meeting]:
    """The new snapshot: what Indico returned, plus stored meetings outside the window.

    `fetched` maps every configured source's key to its meetings. A stored meeting of
    a configured source that starts outside the fetched window is kept: old meetings
    stay on the site after they age out of the window. Meetings of sources no longer
    configured are dropped.
    """
    merged = {m.key: m for m in stored if m.source in fetched and not _inside(m, window, zone)}
    for meetings in fetched.values():
        merged.update((m.key, m) for m in meetings)
    return sort_meetings(merged.values())


def _inside(meeting: Meeting, window: tuple[date, date], zone: ZoneInfo | None) -> bool:
    day = (meeting.start.astimezone(zone) if zone else meeting.start).date()
    return window[0] <= day <= window[1]


def diff_meetings(old: Iterable[Meeting], new: Iterable[Meeting]) -> Changes:
    before = {m.key: m for m in old}
    after = {m.key: m for m in new}
    return Changes(
        added=tuple(sort_meetings(m for k, m in after.items() if k not in before)),
        updated=tuple(sort_meetings(m for k, m in after.items() if k in before and before[k] != m)),
        removed=tuple(sort_meetings(m for k, m in before.items() if k not in after)),
    )


def check_removals(changes: Changes, *, stored: int, allow: bool) -> None:
    """Refuse a sync that drops more than half of the stored meetings.

    An empty 200 for a wrong category id or a lost token looks exactly like "no
    events", so a big loss must be confirmed with --allow-removals.
    """
    removed = len(changes.removed)
    if allow or removed == 0 or removed * 2 <= stored:
        return
    raise SyncRefused(
        f"refusing to remove {removed} of {plural(stored, 'stored meeting')} (more than half); "
        "check the category id and INDICO_TOKEN, or re-run with --allow-removals "
        "if this is intended; the snapshot was not changed"
    )
