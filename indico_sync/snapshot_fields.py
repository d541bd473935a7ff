"""One Meeting as the snapshot stores it (`meeting_to_dict`), and back (`meeting_from_dict`).

The keys, their order and their types are the snapshot's format; `snapshot.py` lays
the values out in the file and reads the file. Reading checks every value's type, as
the file may have been edited by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from indico_sync.meetings import Meeting, MeetingType, Person, Status, Talk, find_zone
from indico_sync.untrusted import quote


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
        "description": meeting.description,
    }


def _talks(meeting: Meeting) -> list[dict[str, Any]]:
    return [
        {
            "title": talk.title,
            "start": talk.start.isoformat() if talk.start else None,
            "speakers": [{"name": p.name, "affiliation": p.affiliation} for p in talk.speakers],
        }
        for talk in meeting.talks
    ]


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


def header_from_dict(raw: Mapping[str, Any]) -> tuple[bool | None, datetime | None]:
    """The file's `with_token` and `updated`; None where not recorded."""
    with_token = _get(raw, "with_token", bool) if raw.get("with_token") is not None else None
    updated = _datetime(raw, "updated") if raw.get("updated") is not None else None
    return with_token, updated


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
