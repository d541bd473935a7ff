"""One Meeting as the snapshot stores it (`meeting_to_dict`), and back (`meeting_from_dict`).

The keys, their order and their types are the snapshot's format; `snapshot.py` lays
the values out in the file and reads the file. Reading checks every value's type, as
the file may have been edited by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from indico_sync.errors import SnapshotError
from indico_sync.meetings import (
    DETAILS,
    Material,
    MaterialKind,
    Meeting,
    MeetingType,
    Minutes,
    Person,
    Status,
    Talk,
    find_zone,
)
from indico_sync.untrusted import quote

T = TypeVar("T")


def meeting_to_dict(meeting: Meeting) -> dict[str, Any]:
    """A meeting as the file stores it, keys in the file's order."""
    return {
        "id": meeting.id,
        "start": meeting.start.isoformat(),
        "title": meeting.title,
        "end": meeting.end.isoformat(),
        "timezone": meeting.timezone,
        "url": meeting.url,
        "source": meeting.source,
        "category": meeting.category,
        "category_id": meeting.category_id,
        "type": meeting.type.value if meeting.type else None,
        "status": meeting.status.value,
        "label": meeting.label,
        **({"label_message": meeting.label_message} if meeting.label_message else {}),
        "location": meeting.location,
        "protected": meeting.protected,
        "talks": _talks(meeting),
        **({"materials": _materials(meeting.materials)} if meeting.materials else {}),
        **({"minutes": _minutes(meeting.minutes)} if meeting.minutes else {}),
        "description": meeting.description,
    }


def _talks(meeting: Meeting) -> list[dict[str, Any]]:
    """Each talk; `end`, `materials` and `minutes` only when it has them (no churn)."""
    talks = []
    for talk in meeting.talks:
        fields: dict[str, Any] = {
            "title": talk.title,
            "start": talk.start.isoformat() if talk.start else None,
            "speakers": [{"name": p.name, "affiliation": p.affiliation} for p in talk.speakers],
        }
        if talk.end is not None:
            fields["end"] = talk.end.isoformat()
        if talk.materials:
            fields["materials"] = _materials(talk.materials)
        if talk.minutes is not None:
            fields["minutes"] = _minutes(talk.minutes)
        talks.append(fields)
    return talks


def _materials(materials: tuple[Material, ...]) -> list[dict[str, Any]]:
    """Each material's fields in `Material`'s order, `kind` as its value, empty ones left out."""
    return [
        {
            "title": m.title,
            "url": m.url,
            "kind": m.kind.value,
            **({"link": True} if m.link else {}),
            **({"folder": m.folder} if m.folder else {}),
            **({"filename": m.filename} if m.filename else {}),
            **({"content_type": m.content_type} if m.content_type else {}),
            **({"size": m.size} if m.size is not None else {}),
            **({"protected": True} if m.protected else {}),
        }
        for m in materials
    ]


def _minutes(minutes: Minutes) -> dict[str, str]:
    return {"html": minutes.html, "url": minutes.url}


class Shared(dict[Any, Any]):
    """One object for each value met again while reading one file (speakers and their
    lists, the source URL, talk and file titles...): thousands of meetings repeat a few
    hundred of them. On the 10,000-meeting bench site the records take 23 MB, not 44.

    The getters check the common case (a value of exactly the right type) inline and
    leave the rest, a default or an error naming the key, to `_get`: a third of a
    rebuild's time went to reading the snapshot, most of it to checks like these."""

    def __init__(self) -> None:
        super().__init__()
        self.people: dict[tuple[str, str], Person] = {}

    def get_str(self, raw: Mapping[str, Any], key: str, *default: str) -> str:
        value = raw.get(key)
        if type(value) is not str:
            value = _get(raw, key, str, *default)
        shared: str = self.setdefault(value, value)
        return shared

    def get_tuple(self, items: Iterable[T]) -> tuple[T, ...]:
        value = tuple(items)
        shared: tuple[T, ...] = self.setdefault(value, value)
        return shared


def meeting_from_dict(raw: object, *, share: Shared | None = None) -> Meeting:
    """Rebuild a Meeting; raises KeyError/TypeError/ValueError naming the bad key.

    `share`: the values already read from the same file, to reuse."""
    if not isinstance(raw, dict):
        raise TypeError("expected a mapping")
    share = Shared() if share is None else share
    zone = find_zone(_get(raw, "timezone", str))
    if zone is None:
        raise ValueError(f"timezone: unknown time zone {quote(raw['timezone'])}")
    return Meeting(
        source=share.get_str(raw, "source"),
        id=str(_get(raw, "id", (str, int))),
        url=_get(raw, "url", str),
        title=share.get_str(raw, "title"),
        start=_datetime(raw, "start").astimezone(zone),
        end=_datetime(raw, "end").astimezone(zone),
        timezone=zone.key,
        category=share.get_str(raw, "category", ""),
        category_id=_get(raw, "category_id", (int, type(None)), None),
        type=_enum(MeetingType, raw.get("type"), "type"),
        status=_enum(Status, raw.get("status", "scheduled"), "status") or Status.SCHEDULED,
        label=share.get_str(raw, "label", ""),
        label_message=share.get_str(raw, "label_message", ""),
        location=share.get_str(raw, "location", ""),
        protected=_get(raw, "protected", bool, False),
        **_details(raw, zone, share),
    )


def _details(raw: Mapping[str, Any], zone: ZoneInfo, share: Shared) -> dict[str, Any]:
    """A meeting's `DETAILS`, from its mapping (whole, or its last two lines: `LaterDetails`)."""
    return {
        "description": _get(raw, "description", str, ""),
        "talks": tuple(_talk(talk, zone, share) for talk in _get(raw, "talks", list, [])),
        "materials": _read_materials(raw, share),
        "minutes": _read_minutes(raw),
    }


_DECODE = json.JSONDecoder().decode
# What `meeting_to_dict` writes before the talks: every field of the record but its details
_HEAD_KEYS = frozenset(f.name for f in fields(Meeting) if f.compare) - DETAILS
_AGENDA, _DESCRIPTION = b'     "talks": ', b'     "description": '


def meeting_held_back(chunk: bytes, *, share: Shared, where: str) -> Meeting | None:
    """The meeting in `chunk`, one meeting of the file as `snapshot.render_snapshot` lays
    it out (four lines), read but for its `DETAILS`: those are in its last two lines, left
    for when they are used (`LaterDetails`). None when the chunk is laid out otherwise.

    The head is checked as `meeting_from_dict` checks a whole meeting (raises as it does)."""
    lines = chunk.lstrip(b"\n").split(b"\n")
    if len(lines) != 4 or not lines[1].endswith(b",") or not lines[2].startswith(_AGENDA):
        return None
    if not lines[3].startswith(_DESCRIPTION) or b"\\u" in lines[2] or b"\\u" in lines[3]:
        return None  # with no \u escape, a key can only be spelled as `LaterDetails` looks for
    head = _DECODE((lines[0] + lines[1][:-1] + b"}").decode())
    if not isinstance(head, dict) or not DETAILS.isdisjoint(head):
        return None
    meeting = meeting_from_dict(head, share=share)
    later = LaterDetails(b"{" + lines[2] + lines[3], zone=meeting.zone, share=share, where=where)
    return meeting.hold_back(later)


class LaterDetails:
    """A meeting's `DETAILS` as the file holds them (`meeting_held_back`): a `Later`.

    The flags come from the bytes: a key's closing quote is never inside a JSON string
    (there a quote is escaped: `\\"`), and without \\u escapes a key is spelled as is, so
    the bytes hold `"protected"` or `"materials"` wherever the mapping has such a key."""

    __slots__ = ("data", "materials", "protected", "share", "where", "zone")

    def __init__(self, data: bytes, *, zone: ZoneInfo, share: Shared, where: str) -> None:
        self.data, self.zone, self.share, self.where = data, zone, share, where
        self.protected = b'"protected"' in data
        self.materials = b'"materials"' in data or b'"minutes"' in data

    def read(self) -> dict[str, Any]:
        try:
            raw = _DECODE(self.data.decode())
            if twice := sorted(raw.keys() & _HEAD_KEYS):  # the head's value is already read
                raise ValueError(f"{twice[0]}: given twice")
            return _details(raw, self.zone, self.share)
        except (KeyError, TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise SnapshotError(f"{self.where}: {exc.args[0] if exc.args else exc}") from exc


def header_from_dict(raw: Mapping[str, Any]) -> tuple[bool | None, datetime | None]:
    """The file's `with_token` and `updated`; None where not recorded."""
    with_token = _get(raw, "with_token", bool) if raw.get("with_token") is not None else None
    updated = _datetime(raw, "updated") if raw.get("updated") is not None else None
    return with_token, updated


def _talk(raw: object, zone: ZoneInfo, share: Shared) -> Talk:
    if not isinstance(raw, dict):
        raise TypeError("talks: expected a list of mappings")
    title, people = share.get_str(raw, "title"), raw.get("speakers")
    if type(people) is not list:
        people = _get(raw, "speakers", list, [])
    start, end = raw.get("start"), raw.get("end")
    return Talk(
        title=title,
        speakers=share.get_tuple([_person(p, share) for p in people]),
        start=_datetime(raw, "start").astimezone(zone) if start is not None else None,
        end=_datetime(raw, "end").astimezone(zone) if end is not None else None,
        materials=_read_materials(raw, share) if "materials" in raw else (),
        minutes=_read_minutes(raw) if "minutes" in raw else None,
    )


def _person(raw: Mapping[str, Any], share: Shared) -> Person:
    name = affiliation = None
    if type(raw) is dict:
        name, affiliation = raw.get("name"), raw.get("affiliation", "")
    if type(name) is not str or type(affiliation) is not str:
        name, affiliation = _get(raw, "name", str), _get(raw, "affiliation", str, "")
    found = share.people.get((name, affiliation))
    if found is None:
        found = share.people[name, affiliation] = Person(name=name, affiliation=affiliation)
    return found


def _read_materials(raw: Mapping[str, Any], share: Shared) -> tuple[Material, ...]:
    materials = []
    for item in _get(raw, "materials", list, []):
        if not isinstance(item, dict):
            raise TypeError("materials: expected a list of mappings")
        title, url, kind = share.get_str(item, "title"), item.get("url"), item.get("kind")
        if type(url) is not str:
            url = _get(item, "url", str)
        kind = _KINDS.get(kind) if type(kind) is str else None
        if kind is None:
            kind = _enum(MaterialKind, _get(item, "kind", str), "materials: kind")
        link = _get(item, "link", bool, False) if "link" in item else False
        folder, filename = share.get_str(item, "folder", ""), share.get_str(item, "filename", "")
        content_type, size = share.get_str(item, "content_type", ""), item.get("size")
        if size is not None and type(size) is not int:
            size = _get(item, "size", (int, type(None)), None)
        hidden = _get(item, "protected", bool, False) if "protected" in item else False
        material = Material(
            title=title, url=url, kind=kind, link=link, folder=folder, filename=filename,
            content_type=content_type, size=size, protected=hidden,
        )  # fmt: skip
        materials.append(material)
    return tuple(materials)


_KINDS: dict[str, MaterialKind] = {kind.value: kind for kind in MaterialKind}


def _read_minutes(raw: Mapping[str, Any]) -> Minutes | None:
    minutes = _get(raw, "minutes", (dict, type(None)), None)
    if minutes is None:
        return None
    return Minutes(html=_get(minutes, "html", str), url=_get(minutes, "url", str, ""))


def _get(raw: Mapping[str, Any], key: str, kind: Any, *default: Any) -> Any:
    if key not in raw:
        if default:
            return default[0]
        raise KeyError(f"{key}: missing")
    value = raw[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise TypeError(f"{key}: expected {_names(kind)}, got {quote(value)}")
    return value


def _names(kind: type | tuple[type, ...]) -> str:
    """`str`; `int or None` for `(int, NoneType)`."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join("None" if each is type(None) else each.__name__ for each in kinds)


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
