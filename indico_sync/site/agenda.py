"""Meetings as the tables show them: every display string computed once, in Python.

Pure: meetings, "now" and the site's zone go in; an `Agenda` of `MeetingRow`s comes
out, split into upcoming (soonest first) and past (newest first), with the next
meeting picked out. Dates are in the site's zone (or the event's own) with the
abbreviation the tz database gives for that very day, so the templates only loop.
Indico text stays plain strings for the templates to escape; only descriptions,
after the nh3 sanitiser, are marked safe. Separate from `render.py` because turning
Indico data into display strings is its own stage, tested with plain data, while
`render.py` assembles pages, feeds and files around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import nh3
from markupsafe import Markup

from indico_sync.meetings import Material, Meeting, Minutes, Status, Talk, sort_meetings

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
DASH = "\u2013"  # en dash, for date ranges
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CLEANER = nh3.Cleaner(
    tags={"a", "p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "code", "pre", "blockquote"},
    attributes={"a": {"href", "title"}},
    url_schemes={"http", "https"},
    link_rel="nofollow noopener",
    attribute_filter=lambda tag, name, value: (
        value if name != "href" or value.startswith(("https://", "http://")) else None
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingRow:
    """One meeting as the tables show it: every string ready, nothing left to compute."""

    url: str  # "" when Indico's URL is not http(s): no link then
    title: str
    day: str  # "Friday"
    date: str  # "8 April 2022", or a range for a multi-day event
    time: str  # "15:00 (CEST)"
    iso: str  # the start, ISO 8601 with offset, for <time datetime> and the script
    talks: tuple[Talk, ...]
    description: Markup  # sanitised; only shown when there are no talks
    type: str
    location: str
    status: str  # "" when scheduled, else "Cancelled", "Postponed" or Indico's label
    status_message: str  # Indico's label message ("Postponed to next month") with the status
    protected: bool
    is_next: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Agenda:
    upcoming: tuple[MeetingRow, ...]  # soonest first
    past: tuple[MeetingRow, ...]  # newest first
    next: MeetingRow | None
    zone_note: str


def build_agenda(meetings: Sequence[Meeting], *, now: datetime, zone: ZoneInfo | None) -> Agenda:
    """Upcoming (not yet over) soonest first, past newest first; the next meeting is the
    first upcoming one that is not cancelled or postponed."""
    ordered = sort_meetings(meetings)
    upcoming = [m for m in ordered if max(m.start, m.end) > now]
    upcoming_keys = {id(m) for m in upcoming}
    following = next((m for m in upcoming if m.status is Status.SCHEDULED), None)
    rows = tuple(build_row(m, zone=zone, is_next=m is following) for m in upcoming)
    return Agenda(
        upcoming=rows,
        past=tuple(
            build_row(m, zone=zone, is_next=False)
            for m in reversed(ordered)
            if id(m) not in upcoming_keys
        ),
        next=next((row for row in rows if row.is_next), None),
        zone_note=zone_note(zone, now),
    )


def build_row(meeting: Meeting, *, zone: ZoneInfo | None, is_next: bool) -> MeetingRow:
    """Display strings for one meeting, in `zone` or else the event's own zone."""
    tz = zone or meeting.zone
    start = meeting.start.astimezone(tz)
    end = max(meeting.end.astimezone(tz), start)
    label = meeting.label or meeting.status.value.capitalize()
    return MeetingRow(
        url=meeting.url if meeting.url.startswith(("https://", "http://")) else "",
        title=meeting.title,
        day=WEEKDAYS[start.weekday()],
        date=format_days(start, end),
        time=format_time(start),
        iso=start.isoformat(timespec="minutes"),
        talks=meeting.talks,
        # A protected event reaches this point without its description unless the
        # config says `indico.protected: full` (see meetings.protect_meetings).
        description=sanitise(meeting.description) if not meeting.talks else Markup(),
        type=meeting.type.label if meeting.type else "—",
        location=_location(meeting),
        status="" if meeting.status is Status.SCHEDULED else label,
        status_message="" if meeting.status is Status.SCHEDULED else meeting.label_message,
        protected=meeting.protected,
        is_next=is_next,
    )


def format_day(moment: datetime) -> str:
    """'8 April 2022': no leading zero, English month names whatever the locale."""
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def format_days(start: datetime, end: datetime) -> str:
    """One day, or a range for an event that ends on a later day ('14-16 June 2027')."""
    last = (end - timedelta(microseconds=1)).date() if end > start else start.date()
    if last <= start.date():
        return format_day(start)
    if (last.year, last.month) == (start.year, start.month):
        return f"{start.day}{DASH}{last.day} {MONTHS[last.month - 1]} {last.year}"
    head = (
        format_day(start) if last.year != start.year else f"{start.day} {MONTHS[start.month - 1]}"
    )
    return f"{head} {DASH} {last.day} {MONTHS[last.month - 1]} {last.year}"


def format_time(moment: datetime) -> str:
    """'15:00 (CEST)': the abbreviation the tz database gives for that very date."""
    name = moment.tzname() or ""
    return f"{moment:%H:%M} ({'UTC' + name if name[:1] in '+-' else name})"


def zone_note(zone: ZoneInfo | None, now: datetime) -> str:
    """A line above the tables saying which zone the times are in."""
    if zone is None:
        return "Times are in each meeting's own time zone."
    names = dict.fromkeys(
        datetime(now.year, month, 1, tzinfo=zone).tzname() or "" for month in (1, 7)
    )
    return f"Times are in {zone.key.replace('_', ' ')} time ({'/'.join(names)})."


def _location(meeting: Meeting) -> str:
    """The venue line under the type, unless it only repeats it ("Zoom" / "Zoom")."""
    label = meeting.type.label if meeting.type else ""
    return "" if meeting.location.casefold() == label.casefold() else meeting.location


def sanitise(description: str) -> Markup:
    """Indico's description HTML, reduced to safe text markup; links only http(s)."""
    return Markup(_CLEANER.clean(description).strip()) if description.strip() else Markup()  # noqa: S704


@dataclass(frozen=True, slots=True, kw_only=True)
class MaterialView:
    """One material as a compact link: "Slides", its title, its URL, "PDF, 1.2 MB"."""

    label: str
    title: str
    url: str
    hint: str


def material_views(materials: Sequence[Material]) -> list[MaterialView]:
    """The links to show, in the order given; only http(s) URLs (the sync keeps only those)."""
    return [
        MaterialView(label=m.kind.value.capitalize(), title=m.title, url=m.url, hint=_hint(m))
        for m in materials
        if m.url.startswith(("https://", "http://"))
    ]


def _hint(material: Material) -> str:
    kind = material.filename.rpartition(".")[2].upper() if "." in material.filename else ""
    size = f"{material.size / 1e6:.1f} MB" if material.size else ""
    return ", ".join(part for part in (kind, size) if part)


def minutes_view(minutes: Minutes | None, *, title: str, url: str) -> MaterialView | None:
    """A "Minutes" link to `url`, or None without minutes or an http(s)/site URL."""
    if minutes is None or not minutes.html.strip():
        return None
    if not url.startswith(("https://", "http://", "/")) or url.startswith("//"):
        return None
    return MaterialView(label="Minutes", title=title, url=url, hint="")
