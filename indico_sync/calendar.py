"""The meetings as an iCalendar feed (RFC 5545) that people subscribe to.

A pure function of the meetings: the same list always gives the same bytes, so a
rebuild with no new data changes nothing on disk. Everything is written through the
`icalendar` library (escaping, line folding, CRLF), never by hand. Calendar apps
match events across refreshes by UID, so the UID comes from the event URL and never
changes between builds or syncs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, Timezone, vDuration

from indico_sync import __version__
from indico_sync.meetings import Meeting, Status, sort_meetings

REFRESH = timedelta(hours=6)
"""How often subscribers should re-fetch: the site is rebuilt a few times a day."""

_STATUS = {
    Status.SCHEDULED: "CONFIRMED",
    Status.CANCELLED: "CANCELLED",
    Status.POSTPONED: "TENTATIVE",
}
_PREFIX = {Status.SCHEDULED: "", Status.CANCELLED: "CANCELLED: ", Status.POSTPONED: "POSTPONED: "}
# RFC 5545 TEXT allows no control characters except tab; newlines are escaped as \n.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_UNSAFE_UID = re.compile(r"[^A-Za-z0-9.-]+")


def render_calendar(
    meetings: Sequence[Meeting], *, name: str, description: str, site_url: str
) -> bytes:
    """The whole calendar: header, one VTIMEZONE per zone used, one VEVENT per meeting."""
    ordered = sort_meetings(meetings)
    calendar = Calendar()
    calendar.add("prodid", f"-//indico_sync//{__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", _text(name))
    calendar.add("x-wr-calname", _text(name))
    calendar.add("description", _text(description))
    calendar.add("x-wr-caldesc", _text(description))
    calendar.add("url", site_url, parameters={"VALUE": "URI"})
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for timezone in build_timezones(ordered):
        calendar.add_component(timezone)
    for meeting in ordered:
        calendar.add_component(build_event(meeting))
    ical: bytes = calendar.to_ical()  # icalendar leaves this untyped
    return ical


def build_timezones(meetings: Sequence[Meeting]) -> list[Timezone]:
    """VTIMEZONEs for every zone the events use, sorted by TZID for stable output.

    Each covers only the years its meetings span, which keeps the component short
    and still deterministic. UTC needs none: its times are written with a `Z`.
    """
    spans: dict[str, tuple[date, date]] = {}
    for meeting in meetings:
        zone = meeting_zone(meeting)
        if zone.key == "UTC":
            continue
        start, end = local_times(meeting, zone)
        first, last = date(start.year, 1, 1), date(end.year + 1, 1, 1)
        if zone.key in spans:
            first, last = min(first, spans[zone.key][0]), max(last, spans[zone.key][1])
        spans[zone.key] = (first, last)
    return [
        Timezone.from_tzid(key, first_date=first, last_date=last)
        for key, (first, last) in sorted(spans.items())
    ]


def build_event(meeting: Meeting) -> Event:
    """One meeting as a VEVENT, in the meeting's own time zone."""
    zone = meeting_zone(meeting)
    start, end = local_times(meeting, zone)
    event = Event.new(
        uid=event_uid(meeting.url, meeting.id),
        stamp=meeting.start.astimezone(UTC),  # deterministic: not the build time
        start=start,
        end=end,
        summary=_text(_PREFIX[meeting.status] + meeting.title),
        description=build_description(meeting),
        location=_text(build_location(meeting)) or None,
        url=meeting.url,
        categories=[_text(meeting.category)] if meeting.category else (),
    )
    event.add("status", _STATUS[meeting.status])
    return event


def event_uid(url: str, event_id: str) -> str:
    """A UID stable across builds and syncs: `indico-<host>-<event id>@indico_sync`."""
    host = urlsplit(url).netloc.rpartition("@")[2].lower() or "unknown"  # no user:password
    safe = _UNSAFE_UID.sub("-", f"indico-{host}-{event_id}").strip("-")
    return f"{safe}@indico_sync"


def build_location(meeting: Meeting) -> str:
    """Venue and how to attend, e.g. "CERN, 4/3-006 (Hybrid)"."""
    label = meeting.type.label if meeting.type else ""
    if meeting.location and label:
        return f"{meeting.location} ({label})"
    return meeting.location or label


def build_description(meeting: Meeting) -> str:
    """Plain text: status label, the talks one per line, then the Indico link.

    Indico's description is HTML and untrusted; it is left out rather than
    stripped, since calendar apps render this field in many different ways.
    """
    lines = []
    if meeting.label and meeting.status is not Status.SCHEDULED:
        lines.append(f"{meeting.label}.")
    for talk in meeting.talks:
        speakers = ", ".join(person.name for person in talk.speakers)
        lines.append(f"• {talk.title}: {speakers}" if speakers else f"• {talk.title}")
    lines.append(f"Indico: {meeting.url}")
    return _text("\n".join(lines))


def local_times(meeting: Meeting, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end in `zone`; an end before the start (bad data) becomes the start."""
    start = meeting.start.astimezone(zone)
    return start, max(meeting.end.astimezone(zone), start)


def meeting_zone(meeting: Meeting) -> ZoneInfo:
    """The meeting's own zone; an unknown name (bad data) falls back to UTC."""
    try:
        return ZoneInfo(meeting.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _text(value: str) -> str:
    """Drop control characters that RFC 5545 TEXT forbids (Indico text is untrusted)."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
