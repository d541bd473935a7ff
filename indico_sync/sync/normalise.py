"""Normalising Indico's event JSON into Meeting records (pure functions).

Indico's JSON is untrusted: every field is read with a type check, and a missing or
odd field degrades to an empty value rather than a crash. Only names and affiliations
of people are kept: no e-mails, e-mail hashes, creators or internal ids.

A category export holds thousands of events whose places repeat: `normalise_place` is
memoised (a bounded `lru_cache` of immutable values; see the README's speed tricks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from indico_sync.errors import IndicoBadResponse
from indico_sync.meetings import (
    Meeting,
    MeetingType,
    Talk,
    find_zone,
    sort_meetings,
    zone_or_utc,
)
from indico_sync.sync.materials import MATERIALS, MaterialOptions, holder_materials
from indico_sync.sync.people import normalise_people
from indico_sync.sync.places import normalise_place, normalise_status
from indico_sync.untrusted import clean_text, quote

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
    materials: MaterialOptions = MATERIALS,
) -> list[Meeting]:
    """Turn the `results` of a category export into sorted Meeting records.

    `category_id` keeps only events directly in that category (None keeps the whole
    subtree, which is what Indico returns). Events no one may see listed
    (visibility "Nowhere") are dropped unless `include_hidden`. `materials` says whether
    to read materials and minutes, and whether to keep protected ones.
    """
    meetings: dict[str, Meeting] = {}
    for event in events:
        if category_id is not None and event.get("categoryId") != category_id:
            continue
        if not include_hidden and _is_hidden(event):
            continue
        meeting = normalise_event(
            event, source=source, default_type=default_type, materials=materials
        )
        meetings[meeting.key] = meeting
    return sort_meetings(meetings.values())


def normalise_event(
    event: Mapping[str, Any],
    *,
    source: str,
    default_type: MeetingType | None = None,
    materials: MaterialOptions = MATERIALS,
) -> Meeting:
    """One Indico event (detail=contributions) as a Meeting."""
    event_id = _text(event.get("id"))
    url = _text(event.get("url"))
    if not event_id or not url:
        raise IndicoBadResponse(f"{source}: an event has no 'id' or 'url': expected both")
    try:
        return _meeting(
            event, event_id=event_id, url=url, source=source, default=default_type, opts=materials
        )
    except IndicoBadResponse as exc:
        raise IndicoBadResponse(f"{source}: event {url}: {exc}") from exc


def _meeting(
    event: Mapping[str, Any],
    *,
    event_id: str,
    url: str,
    source: str,
    default: MeetingType | None,
    opts: MaterialOptions,
) -> Meeting:
    zone = zone_or_utc(_text(event.get("timezone")) or "UTC")
    start = _parse_datetime(event.get("startDate"))
    end = _parse_datetime(event.get("endDate"))
    if start is None or end is None:
        raise IndicoBadResponse("no startDate or endDate")
    title = clean_text(event.get("title"))
    status, label, label_message = normalise_status(event.get("label"), title)
    category_id = event.get("categoryId")
    description = _text(event.get("description"))
    meeting_type, location = normalise_place(
        _text(event.get("roomFullname")) or _text(event.get("room")),
        _text(event.get("location")),
        _text(event.get("address")),
        description,
    )
    materials, minutes = holder_materials(event, opts, where=url)
    return Meeting(
        source=source,
        id=event_id,
        url=url,
        title=title,
        start=start.astimezone(zone),
        end=end.astimezone(zone),
        timezone=zone.key,
        category=clean_text(event.get("category")),
        category_id=category_id if isinstance(category_id, int) else None,
        type=meeting_type or default,
        status=status,
        label=label,
        label_message=label_message,
        location=location,
        description=description.strip(),
        protected=event.get("hasAnyProtection") is True,
        talks=normalise_talks(event.get("contributions"), zone=zone, materials=opts, where=url)
        or _lecture(event, title),
        materials=materials,
        minutes=minutes,
    )


def _by_time(scheduled: tuple[float, Talk]) -> float:
    return scheduled[0]


def normalise_talks(
    contributions: object,
    *,
    zone: ZoneInfo,
    materials: MaterialOptions = MATERIALS,
    where: str = "",
) -> tuple[Talk, ...]:
    """Contributions in time order, unscheduled ones last (in Indico's order), each with
    its end, materials and minutes."""
    if not isinstance(contributions, list):
        return ()
    scheduled: list[tuple[float, Talk]] = []
    unscheduled: list[Talk] = []
    for contribution in contributions:
        if not isinstance(contribution, dict):
            continue
        start = _talk_start(contribution.get("startDate"), zone)
        speakers = normalise_people(
            contribution.get("speakers") or contribution.get("primaryauthors")
        )
        title = clean_text(contribution.get("title"))
        files, minutes = holder_materials(contribution, materials, where=f"{where} {title}")
        if start is None:
            unscheduled.append(
                Talk(title=title, speakers=speakers, materials=files, minutes=minutes)
            )
            continue
        end = _talk_end(contribution.get("endDate"), zone)
        talk = Talk(
            title=title,
            speakers=speakers,
            start=start[0],
            end=end[0] if end and end[1] >= start[1] else None,
            materials=files,
            minutes=minutes,
        )
        scheduled.append((start[1], talk))
    scheduled.sort(key=_by_time)  # stable: talks at the same time keep Indico's order
    return (*(talk for _, talk in scheduled), *unscheduled)


def _lecture(event: Mapping[str, Any], title: str) -> tuple[Talk, ...]:
    """A lecture (Indico's `simple_event`) is one talk, given by its chairs."""
    if event.get("type") != "simple_event":
        return ()
    speakers = normalise_people(event.get("chairs"))
    return (Talk(title=title, speakers=speakers),) if speakers else ()


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


def _talk_end(value: object, zone: ZoneInfo) -> tuple[datetime, float] | None:
    """A talk's end, or None when Indico's is missing or malformed (only a duration is lost)."""
    try:
        return _talk_start(value, zone)
    except IndicoBadResponse:
        return None


def _aware(date: object, time: object, tz: object) -> datetime:
    """`date`T`time` in the zone named `tz`; ValueError if either is not valid."""
    parsed = datetime.fromisoformat(f"{date}T{time}")
    if not YEARS[0] <= parsed.year <= YEARS[1]:  # also: no zone conversion can overflow
        raise ValueError(f"year {parsed.year} is not from {YEARS[0]} to {YEARS[1]}")
    zone = _zone(str(tz))
    return datetime.combine(parsed, parsed.time(), zone)  # parsed.replace(tzinfo=zone), 5x faster


def _zone(name: str) -> ZoneInfo:
    zone = find_zone(name)
    if zone is None:
        raise ValueError(f"unknown time zone {name!r}")
    return zone


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
