"""Meetings as the tables show them: every display string computed once, in Python.

Pure: meetings, "now" and the site's zone go in; an `Agenda` of `MeetingRow`s comes
out, split into upcoming (soonest first) and past (newest first), with the next
meeting picked out. Dates are in the site's zone (or the event's own) with the
abbreviation the tz database gives for that very day, so the templates only loop.
Indico text stays plain strings for the templates to escape; only descriptions,
after the nh3 sanitiser, are marked safe; materials become `MaterialView`s
(`materials_view.py`) and each row knows its meeting page's URL. Separate from
`render.py` because turning Indico data into display strings is its own stage, tested
with plain data, while `render.py` assembles pages, feeds and files around it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import overload
from zoneinfo import ZoneInfo

from markupsafe import Markup

from indico_sync.meetings import Meeting, Person, Status, Talk, sort_meetings
from indico_sync.site.materials_view import MaterialView, material_views, minutes_view
from indico_sync.untrusted import clean_html, is_web_url

__all__ = [
    "Agenda",
    "MaterialView",
    "MeetingRow",
    "Rows",
    "TalkRow",
    "build_agenda",
    "material_views",
    "minutes_view",
]

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
DASH = "\u2013"  # en dash, for date ranges
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True, kw_only=True)
class TalkRow:
    """One talk under its meeting: title, speakers and its materials' links."""

    title: str
    speakers: tuple[Person, ...]
    materials: tuple[MaterialView, ...]  # a talk's minutes, if any, come first


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingRow:
    """One meeting as the tables show it: every string ready, nothing left to compute."""

    url: str  # "" when Indico's URL is not http(s): no link then
    title: str
    day: str  # "Friday"
    date: str  # "8 April 2022", or a range for a multi-day event
    time: str  # "15:00 (CEST)"
    iso: str  # the start, ISO 8601 with offset, for <time datetime> and the script
    page_url: str  # the meeting's own page: {baseurl}/{meeting.page_path}
    talks: tuple[TalkRow, ...]
    materials: tuple[MaterialView, ...]  # the event's own, not its talks'
    minutes: MaterialView | None  # a link to the minutes on the meeting page, if any
    links: tuple[MaterialView, ...]  # what Home lists: the minutes, then the materials
    description: Markup  # sanitised; only shown when there are no talks
    type: str
    location: str
    status: str  # "" when scheduled, else "Cancelled", "Postponed" or Indico's label
    status_message: str  # Indico's label message ("Postponed to next month") with the status
    protected: bool
    is_next: bool


class Rows(Sequence[MeetingRow]):
    """Meetings as rows, each row made when it is reached: a table is written row by row,
    so at 10,000 meetings the rows (15 MB) are never all in memory at once."""

    def __init__(
        self,
        meetings: Sequence[Meeting],
        make: Callable[[Meeting], MeetingRow],
        following: Meeting | None = None,
    ) -> None:
        self.meetings, self.make = meetings, make
        self.following = following  # the next meeting, whose row is marked

    @overload
    def __getitem__(self, index: int) -> MeetingRow: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[MeetingRow]: ...
    def __getitem__(self, index: int | slice) -> MeetingRow | Sequence[MeetingRow]:
        if isinstance(index, slice):
            return tuple(map(self.make, self.meetings[index]))
        return self.make(self.meetings[index])

    def __len__(self) -> int:
        return len(self.meetings)

    def __iter__(self) -> Iterator[MeetingRow]:
        return map(self.make, self.meetings)


@dataclass(frozen=True, slots=True, kw_only=True)
class Agenda:
    upcoming: Sequence[MeetingRow]  # soonest first
    past: Sequence[MeetingRow]  # newest first
    next: MeetingRow | None
    zone_note: str


def build_agenda(
    meetings: Sequence[Meeting], *, now: datetime, zone: ZoneInfo | None, baseurl: str = ""
) -> Agenda:
    """Upcoming (not yet over) soonest first, past newest first; the next meeting is the
    first upcoming one that is not cancelled or postponed. Meeting pages are under `baseurl`."""
    ordered = sort_meetings(meetings)
    upcoming = [m for m in ordered if max(m.start, m.end) > now]
    upcoming_keys = {id(m) for m in upcoming}
    past = [m for m in reversed(ordered) if id(m) not in upcoming_keys]
    following = next((m for m in upcoming if m.status is Status.SCHEDULED), None)

    def row(meeting: Meeting) -> MeetingRow:
        return build_row(meeting, zone=zone, is_next=meeting is following, baseurl=baseurl)

    return Agenda(
        upcoming=Rows(upcoming, row, following),
        past=Rows(past, row),
        next=row(following) if following else None,
        zone_note=zone_note(zone, now),
    )


def build_row(
    meeting: Meeting, *, zone: ZoneInfo | None, is_next: bool, baseurl: str = ""
) -> MeetingRow:
    """Display strings for one meeting, in `zone` or else the event's own zone."""
    page_url = f"{baseurl}/{meeting.page_path}"
    talks = [
        TalkRow(
            title=talk.title,
            speakers=talk.speakers,
            materials=links(talk_minutes(talk, page_url=page_url), material_views(talk.materials)),
        )
        for talk in meeting.talks
    ]
    materials = tuple(material_views(meeting.materials))
    return assemble_row(
        meeting, zone=zone, is_next=is_next, page_url=page_url, talks=talks, materials=materials
    )


def assemble_row(
    meeting: Meeting,
    *,
    zone: ZoneInfo | None,
    is_next: bool,
    page_url: str,
    talks: Sequence[TalkRow],
    materials: tuple[MaterialView, ...],
) -> MeetingRow:
    """`build_row` from the parts a meeting page has made already (its talks' and the
    meeting's material links), so that they are not made twice."""
    tz = zone or meeting.zone
    start = meeting.start.astimezone(tz)
    end = max(meeting.end.astimezone(tz), start)
    scheduled = meeting.status is Status.SCHEDULED
    # The minutes' text is on the meeting page; Home links to it there.
    minutes = minutes_view(meeting.minutes, title=meeting.title, url=page_url + "#minutes")
    return MeetingRow(
        url=meeting.url if meeting.url.startswith(("https://", "http://")) else "",
        title=meeting.title,
        day=WEEKDAYS[start.weekday()],
        date=format_days(start, end),
        time=format_time(start),
        iso=start.isoformat(timespec="minutes"),
        page_url=page_url,
        talks=tuple(talks),
        materials=materials,
        minutes=minutes,
        links=links(minutes, materials),
        # A protected event reaches this point without its description unless the
        # config says `indico.protected: full` (see meetings.protect_meetings).
        description=sanitise(meeting.description) if not meeting.talks else Markup(),
        type=meeting.type.label if meeting.type else "—",
        location=_location(meeting),
        status="" if scheduled else meeting.label or meeting.status.value.capitalize(),
        status_message="" if scheduled else meeting.label_message,
        protected=meeting.protected,
        is_next=is_next,
    )


def talk_minutes(talk: Talk, *, page_url: str) -> MaterialView | None:
    """A talk's minutes link: its note on Indico, else the meeting page's minutes."""
    note = talk.minutes.url if talk.minutes and is_web_url(talk.minutes.url) else ""
    return minutes_view(talk.minutes, title=talk.title, url=note or page_url + "#minutes")


def links(
    minutes: MaterialView | None, materials: Sequence[MaterialView]
) -> tuple[MaterialView, ...]:
    """A list of links as the pages show it: the minutes, if any, first."""
    return (minutes, *materials) if minutes else tuple(materials)


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
    # hour and minute by hand: strftime on an aware datetime costs 7 times as much
    return f"{moment.hour:02}:{moment.minute:02} ({'UTC' + name if name[:1] in '+-' else name})"


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
    """Indico's description or minutes HTML, reduced to safe text markup (links only
    http(s)), its headings two levels down: h1 -> h3, h2 -> h4 (Indico's editor makes `<h2>`
    of "Heading 1"), the rest h5 and h6, under the page's title and section headings."""
    clean = clean_html(description)
    return Markup(_HEADING.sub(_lower, clean) if "<h" in clean else clean)  # noqa: S704


_HEADING = re.compile(r"<(/?)h([1-6])>")  # in clean HTML: the sanitiser leaves them no attributes


def _lower(match: re.Match[str]) -> str:
    return f"<{match[1]}h{min(int(match[2]) + 2, 6)}>"
