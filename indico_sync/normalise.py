"""Normalising Indico's event JSON into Meeting records (pure functions).

Indico's JSON is untrusted: every field is read with a type check, and a missing or
odd field degrades to an empty value rather than a crash. Only names and affiliations
of people are kept: no e-mails, e-mail hashes, creators or internal ids.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from indico_sync.errors import IndicoBadResponse
from indico_sync.meetings import Meeting, MeetingType, Person, Status, Talk, sort_meetings

# One pass per field: a named group per meeting type, links before words.
_ZOOM_LINK = r"zoom\.(?:us|com)/"
_ONLINE_LINK = (
    r"teams\.(?:microsoft|live)\.com/|meet\.google\.com/|webex\.com/|vidyo|"
    r"meet\.jit\.si/|bigbluebutton|skype\.com/"
)
_ONLINE_WORD = (
    r"\b(?:online|virtual|videoconference|video conference|remote|teams|webex|vidyo|"
    r"jitsi|skype)\b"
)
_VC_LINK = re.compile(f"(?P<zoom>{_ZOOM_LINK})|(?P<online>{_ONLINE_LINK})", re.IGNORECASE)
_VC_ANY = re.compile(
    f"(?P<zoom>{_ZOOM_LINK}|\\bzoom\\b)|(?P<online>{_ONLINE_LINK}|{_ONLINE_WORD})",
    re.IGNORECASE,
)
_NOT_HAPPENING = re.compile(r"\b(?P<cancelled>cancell?ed)\b|\b(?P<postponed>postponed)\b", re.I)
_URL = re.compile(r"^\s*https?://", re.IGNORECASE)


def normalise_events(
    events: Iterable[Mapping[str, Any]],
    *,
    source: str,
    category_id: int | None,
    default_type: MeetingType | None = None,
    include_hidden: bool = False,
) -> list[Meeting]:
    """Turn the `results` of a category export into sorted Meeting records.

    `category_id` keeps only events directly in that category (None keeps the whole
    subtree, which is what Indico returns). Events no one may see listed
    (visibility "Nowhere") are dropped unless `include_hidden`.
    """
    meetings: dict[str, Meeting] = {}
    for event in events:
        if category_id is not None and event.get("categoryId") != category_id:
            continue
        if not include_hidden and _is_hidden(event):
            continue
        meeting = normalise_event(event, source=source, default_type=default_type)
        meetings[meeting.key] = meeting
    return sort_meetings(meetings.values())


def normalise_event(
    event: Mapping[str, Any], *, source: str, default_type: MeetingType | None = None
) -> Meeting:
    """One Indico event (detail=contributions) as a Meeting."""
    event_id = _text(event.get("id"))
    url = _text(event.get("url"))
    if not event_id or not url:
        raise IndicoBadResponse(f"{source}: an event has no 'id' or 'url': expected both")
    try:
        return _meeting(event, event_id=event_id, url=url, source=source, default=default_type)
    except IndicoBadResponse as exc:
        raise IndicoBadResponse(f"{source}: event {url}: {exc}") from exc


def _meeting(
    event: Mapping[str, Any], *, event_id: str, url: str, source: str, default: MeetingType | None
) -> Meeting:
    zone_name = _text(event.get("timezone")) or "UTC"
    zone = _zone(zone_name, fallback="UTC")
    start = _parse_datetime(event.get("startDate"))
    end = _parse_datetime(event.get("endDate"))
    if start is None or end is None:
        raise IndicoBadResponse("no startDate or endDate")
    title = _clean(_text(event.get("title")))
    status, label = _status(event.get("label"), title)
    category_id = event.get("categoryId")
    return Meeting(
        source=source,
        id=event_id,
        url=url,
        title=title,
        start=start.astimezone(zone),
        end=end.astimezone(zone),
        timezone=zone_name if zone.key == zone_name else "UTC",
        category=_clean(_text(event.get("category"))),
        category_id=category_id if isinstance(category_id, int) else None,
        type=detect_type(event) or default,
        status=status,
        label=label,
        location=_location(event),
        description=_text(event.get("description")).strip(),
        protected=event.get("hasAnyProtection") is True,
        talks=normalise_talks(event.get("contributions"), zone=zone) or _lecture(event, title),
    )


_TALK_ORDER = operator.itemgetter(0, 1, 2)  # scheduled first, by time, then Indico's order


def normalise_talks(contributions: object, *, zone: ZoneInfo) -> tuple[Talk, ...]:
    """Contributions in time order, unscheduled ones last (in Indico's order)."""
    if not isinstance(contributions, list):
        return ()
    talks = []
    for position, contribution in enumerate(contributions):
        if not isinstance(contribution, dict):
            continue
        start = _parse_datetime(contribution.get("startDate"))
        talk = Talk(
            title=_clean(_text(contribution.get("title"))),
            speakers=_speakers(contribution),
            start=start.astimezone(zone) if start else None,
        )
        moment = start.timestamp() if start else 0.0
        talks.append((start is None, moment, position, talk))
    talks.sort(key=_TALK_ORDER)
    return tuple(item[3] for item in talks)


def detect_type(event: Mapping[str, Any]) -> MeetingType | None:
    """Zoom / Online / In person / Hybrid, from where the data really says it.

    A videoconference shows up as a link or a word in room, location or description;
    a physical place as a room or address that is not a link and not a VC word.
    Returns None when the data says nothing (the config's default applies).
    """
    room = _text(event.get("roomFullname")) or _text(event.get("room"))
    virtual: MeetingType | None = None
    physical = False
    for text in (room, _text(event.get("location")), _text(event.get("address"))):
        if not text:
            continue
        found = _vc_type(text, _VC_ANY)
        virtual = virtual or found
        physical = physical or (found is None and not _URL.match(text))
    virtual = virtual or _vc_type(_text(event.get("description")), _VC_LINK)
    if virtual and physical:
        return MeetingType.HYBRID
    if virtual:
        return virtual
    if physical:
        return MeetingType.IN_PERSON
    return None


def _vc_type(text: str, pattern: re.Pattern[str]) -> MeetingType | None:
    if not _has_vc_hint(text.lower()):
        return None  # a cheap test first: most text names no videoconference at all
    match = pattern.search(text)
    if match is None:
        return None
    return MeetingType.ZOOM if match.lastgroup == "zoom" else MeetingType.ONLINE


def _has_vc_hint(text: str) -> bool:
    return (
        "zoom" in text or "teams" in text or "meet." in text or "webex" in text
        or "vidyo" in text or "jit" in text or "bigblue" in text or "skype" in text
        or "online" in text or "virtual" in text or "video" in text or "remote" in text
    )  # fmt: skip


def _location(event: Mapping[str, Any]) -> str:
    """Venue and room as one line, without videoconference links."""
    venue = _clean(_text(event.get("location")))
    room = _clean(_text(event.get("roomFullname")) or _text(event.get("room")))
    kept = [part for part in (venue, room) if part and not _URL.match(part)]
    return kept[0] if len(kept) == 2 and kept[0] == kept[1] else ", ".join(kept)


def _status(label: object, title: str) -> tuple[Status, str]:
    """From Indico's event label (3.2.6+); older servers: a "cancelled" title."""
    if isinstance(label, dict):
        text = _clean(_text(label.get("title")))
        if label.get("is_event_not_happening") is True:
            if "postpone" in text.lower():
                return Status.POSTPONED, text
            return Status.CANCELLED, text or "Cancelled"
        return Status.SCHEDULED, text
    match = _NOT_HAPPENING.search(title)
    if match is None:
        return Status.SCHEDULED, ""
    if match.lastgroup == "postponed":
        return Status.POSTPONED, "Postponed"
    return Status.CANCELLED, "Cancelled"


def _lecture(event: Mapping[str, Any], title: str) -> tuple[Talk, ...]:
    """A lecture (Indico's `simple_event`) is one talk, given by its chairs."""
    if event.get("type") != "simple_event":
        return ()
    speakers = _people(event.get("chairs"))
    return (Talk(title=title, speakers=speakers),) if speakers else ()


def _speakers(contribution: Mapping[str, Any]) -> tuple[Person, ...]:
    return _people(contribution.get("speakers") or contribution.get("primaryauthors"))


def _people(people: object) -> tuple[Person, ...]:
    if not isinstance(people, list):
        return ()
    result = []
    for person in people:
        if isinstance(person, dict) and (name := person_name(person)):
            result.append(Person(name=name, affiliation=_clean(_text(person.get("affiliation")))))
    return tuple(result)


def person_name(person: Mapping[str, Any]) -> str:
    """ "First Last" from first_name/last_name; `fullName` ("Last, First") as a fallback."""
    first = _clean(_text(person.get("first_name")))
    last = _clean(_text(person.get("last_name")))
    if first or last:
        return f"{first} {last}".strip()
    full = _clean(_text(person.get("fullName")))
    if "," in full:
        last, _, first = full.partition(",")
        return f"{first.strip()} {last.strip()}".strip()
    return full


def _is_hidden(event: Mapping[str, Any]) -> bool:
    visibility = event.get("visibility")
    name = visibility.get("name") if isinstance(visibility, dict) else None
    return isinstance(name, str) and name.startswith("Nowhere")


def _parse_datetime(value: object) -> datetime | None:
    """Indico's {date, time, tz}: `tz` is the request's zone, not the event's."""
    if not isinstance(value, dict):
        return None
    try:
        parsed = datetime.fromisoformat(f"{value['date']}T{value.get('time') or '00:00:00'}")
        return parsed.replace(tzinfo=_zone(str(value.get("tz") or "UTC"), fallback=None))
    except (KeyError, ValueError, TypeError) as exc:
        raise IndicoBadResponse(f"expected {{date, time, tz}}, got {value!r}") from exc


@functools.lru_cache(maxsize=64)
def _zone(name: str, *, fallback: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        if fallback is None:
            raise ValueError(f"unknown time zone {name!r}") from exc
        return ZoneInfo(fallback)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _clean(text: str) -> str:
    """Collapse whitespace (Indico titles may carry newlines and tabs)."""
    if "  " not in text and "\n" not in text and "\t" not in text and "\r" not in text:
        return text.strip()  # the usual case, without splitting
    return " ".join(text.split())
