"""Normalising Indico's event JSON into Meeting records (pure functions).

Indico's JSON is untrusted: every field is read with a type check, and a missing or
odd field degrades to an empty value rather than a crash. Only names and affiliations
of people are kept: no e-mails, e-mail hashes, creators or internal ids.

A category export holds thousands of events whose talks, people and places repeat, so
the pure helpers behind them are memoised (bounded `lru_cache`s of immutable values).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from indico_sync.errors import IndicoBadResponse
from indico_sync.meetings import (
    Meeting,
    MeetingType,
    Person,
    Status,
    Talk,
    find_zone,
    sort_meetings,
    zone_or_utc,
)
from indico_sync.untrusted import quote

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
YEARS = (1900, 2199)
"""Dates outside these years are refused as bad data (0001-01-01 at +14:00 cannot even
be converted to UTC)."""


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
    zone = zone_or_utc(_text(event.get("timezone")) or "UTC")
    start = _parse_datetime(event.get("startDate"))
    end = _parse_datetime(event.get("endDate"))
    if start is None or end is None:
        raise IndicoBadResponse("no startDate or endDate")
    title = _clean(event.get("title"))
    status, label, label_message = _status(event.get("label"), title)
    category_id = event.get("categoryId")
    description = _text(event.get("description"))
    meeting_type, location = _place(
        _text(event.get("roomFullname")) or _text(event.get("room")),
        _text(event.get("location")),
        _text(event.get("address")),
        description,
    )
    return Meeting(
        source=source,
        id=event_id,
        url=url,
        title=title,
        start=start.astimezone(zone),
        end=end.astimezone(zone),
        timezone=zone.key,
        category=_clean(event.get("category")),
        category_id=category_id if isinstance(category_id, int) else None,
        type=meeting_type or default,
        status=status,
        label=label,
        label_message=label_message,
        location=location,
        description=description.strip(),
        protected=event.get("hasAnyProtection") is True,
        talks=normalise_talks(event.get("contributions"), zone=zone) or _lecture(event, title),
    )


def _by_time(scheduled: tuple[float, Talk]) -> float:
    return scheduled[0]


def normalise_talks(contributions: object, *, zone: ZoneInfo) -> tuple[Talk, ...]:
    """Contributions in time order, unscheduled ones last (in Indico's order)."""
    if not isinstance(contributions, list):
        return ()
    scheduled: list[tuple[float, Talk]] = []
    unscheduled: list[Talk] = []
    for contribution in contributions:
        if not isinstance(contribution, dict):
            continue
        start = _talk_start(contribution.get("startDate"), zone)
        speakers = _people(contribution.get("speakers") or contribution.get("primaryauthors"))
        if start is None:
            unscheduled.append(Talk(title=_clean(contribution.get("title")), speakers=speakers))
        else:
            talk = Talk(title=_clean(contribution.get("title")), speakers=speakers, start=start[0])
            scheduled.append((start[1], talk))
    scheduled.sort(key=_by_time)  # stable: talks at the same time keep Indico's order
    return (*(talk for _, talk in scheduled), *unscheduled)


@functools.lru_cache(maxsize=256)
def _place(
    room: str, location: str, address: str, description: str
) -> tuple[MeetingType | None, str]:
    """The meeting type and the location line (see `_location_line`).

    Zoom / Online / In person / Hybrid, from where the data really says it: a
    videoconference shows up as a link or a word in room, location or description; a
    physical place as a room or address that is not a link and not a VC word. The type
    is None when the data says nothing (the config's default applies).

    A category's meetings mostly share their room, venue and description, hence the cache.
    """
    virtual: MeetingType | None = None
    physical = False
    for text in (room, location, address):
        if not text:
            continue
        found = _vc_type(text, _VC_ANY)
        virtual = virtual or found
        physical = physical or (found is None and not _URL.match(text))
    virtual = virtual or _vc_type(description, _VC_LINK)
    return _meeting_type(virtual, physical), _location_line(_clean(location), _clean(room))


def _meeting_type(virtual: MeetingType | None, physical: bool) -> MeetingType | None:
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


def _location_line(venue: str, room: str) -> str:
    """Venue and room as one line, without videoconference links."""
    kept = [part for part in (venue, room) if part and not _URL.match(part)]
    return kept[0] if len(kept) == 2 and kept[0] == kept[1] else ", ".join(kept)


def _status(label: object, title: str) -> tuple[Status, str, str]:
    """(status, label, label message) from Indico's event label (3.2.6+); older
    servers: a "cancelled" title."""
    if isinstance(label, dict):
        text = _clean(label.get("title"))
        message = _clean(label.get("message"))
        if label.get("is_event_not_happening") is True:
            if "postpone" in text.lower():
                return Status.POSTPONED, text, message
            return Status.CANCELLED, text or "Cancelled", message
        return Status.SCHEDULED, text, message
    # A cheap test first. casefold() turns every character that re.IGNORECASE lets stand
    # for a letter of these words into that letter, so no title the pattern matches is lost.
    folded = title.casefold()
    if "cancel" not in folded and "postponed" not in folded:
        return Status.SCHEDULED, "", ""
    match = _NOT_HAPPENING.search(title)
    if match is None:
        return Status.SCHEDULED, "", ""
    if match.lastgroup == "postponed":
        return Status.POSTPONED, "Postponed", ""
    return Status.CANCELLED, "Cancelled", ""


def _lecture(event: Mapping[str, Any], title: str) -> tuple[Talk, ...]:
    """A lecture (Indico's `simple_event`) is one talk, given by its chairs."""
    if event.get("type") != "simple_event":
        return ()
    speakers = _people(event.get("chairs"))
    return (Talk(title=title, speakers=speakers),) if speakers else ()


def _people(people: object) -> tuple[Person, ...]:
    """Named people (see `person_name`), in Indico's order."""
    if not isinstance(people, list):
        return ()
    names = []
    for person in people:
        if isinstance(person, dict) and (name := person_name(person)):
            names.append((name, _clean(person.get("affiliation"))))
    return _persons(tuple(names))


@functools.lru_cache(maxsize=4096)
def _persons(names: tuple[tuple[str, str], ...]) -> tuple[Person, ...]:
    """The same people speak at many meetings: their (immutable) records are shared.

    Fewer long-lived objects also means fewer full garbage collections, each of which
    visits every object in the process, the caller's parsed JSON included.
    """
    return tuple(Person(name=name, affiliation=affiliation) for name, affiliation in names)


def person_name(person: Mapping[str, Any]) -> str:
    """ "First Last" from first_name/last_name; `fullName` ("Last, First") as a fallback.

    Older Indico servers (before 3.0) send only `fullName`, with the person's title in
    front: "Dr. BURKHARDT, Helmut" is shown as "Helmut BURKHARDT".
    """
    first = _clean(person.get("first_name"))
    last = _clean(person.get("last_name"))
    if first or last:
        return f"{first} {last}".strip()
    full = _clean(person.get("fullName"))
    if "," in full:
        last, _, first = full.partition(",")
        return f"{_untitled(first.strip())} {_untitled(last.strip())}".strip()
    return _untitled(full)


_HONORIFIC = re.compile(r"^(?:(?:dr|prof|mr|mrs|ms|mme|miss|mx)(?:\.\s*|\s+))+", re.IGNORECASE)


def _untitled(name: str) -> str:
    """`name` without leading honorifics ("Prof. Dr. Jane" -> "Jane"), unless that is all."""
    return _HONORIFIC.sub("", name) or name


def _is_hidden(event: Mapping[str, Any]) -> bool:
    visibility = event.get("visibility")
    name = visibility.get("name") if isinstance(visibility, dict) else None
    return isinstance(name, str) and name.startswith("Nowhere")


def _parse_datetime(value: object) -> datetime | None:
    """Indico's {date, time, tz}: `tz` is the request's zone, not the event's."""
    if not isinstance(value, dict):
        return None
    try:
        return _aware(value["date"], value.get("time") or "00:00:00", value.get("tz") or "UTC")
    except (KeyError, ValueError, TypeError) as exc:
        raise IndicoBadResponse(
            f"expected {{date, time, tz}} from {YEARS[0]} to {YEARS[1]}, got {quote(value)}"
        ) from exc


def _talk_start(value: object, zone: ZoneInfo) -> tuple[datetime, float] | None:
    """A talk's {date, time, tz} in the event's `zone`, and its POSIX timestamp to sort by."""
    start = _parse_datetime(value)
    return None if start is None else (start.astimezone(zone), start.timestamp())


def _aware(date: object, time: object, tz: object) -> datetime:
    """`date`T`time` in the zone named `tz`; ValueError if either is not valid."""
    parsed = datetime.fromisoformat(f"{date}T{time}")
    if not YEARS[0] <= parsed.year <= YEARS[1]:  # also: no zone conversion can overflow
        raise ValueError(f"year {parsed.year} is not from {YEARS[0]} to {YEARS[1]}")
    zone = _zone(str(tz))
    return datetime.combine(parsed, parsed.time(), zone)  # parsed.replace(tzinfo=zone), 5x faster


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    zone = find_zone(name)
    if zone is None:
        raise ValueError(f"unknown time zone {name!r}")
    return zone


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _clean(text: object) -> str:
    """Text with whitespace collapsed (Indico titles may carry newlines and tabs), or ""."""
    if not isinstance(text, str):
        return ""
    if "  " not in text and "\n" not in text and "\t" not in text and "\r" not in text:
        return text.strip()  # the usual case, without splitting
    return " ".join(text.split())
