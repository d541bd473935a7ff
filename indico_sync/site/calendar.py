"""The meetings as an iCalendar feed (RFC 5545) that people subscribe to.

A pure function of the meetings: the same list always gives the same bytes, so a
rebuild with no new data changes nothing on disk. Calendar apps match events across
refreshes by UID, so the UID comes from the event URL and never changes between builds
or syncs.

The `icalendar` library writes the calendar's header and its VTIMEZONEs (the hard
part: transitions from the zone database). The VEVENTs, a thousand of them on a big
site, are written here, because icalendar folds lines one character at a time and
took 0.2 s for 1,000 meetings, the slowest step of a build. `write_event` writes
exactly the bytes icalendar's `Event.to_ical` gives for the same event (the same
property order, TEXT escaping and 75-octet folding); tests/test_calendar.py keeps
icalendar's own rendering as the reference and compares them byte for byte.

The header with its VTIMEZONEs is kept between builds (`stored_head`): after a sync that
changed one meeting it is the same, and making it again took a third of that rebuild's
critical path (importing icalendar, then the zones' transitions).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import json
import re
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from indico_sync import __version__
from indico_sync.meetings import Meeting, Status, sort_meetings
from indico_sync.untrusted import is_web_url, load_regular, one_line
from indico_sync.writer import write_text

if TYPE_CHECKING:
    from indico_sync.config import Config

_PRODID = f"-//indico_sync//{__version__}//EN"
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


def render_meetings_calendar(
    config: Config, meetings: Sequence[Meeting], *, store: HeadStore | None = None
) -> bytes:
    """meetings.ics: every meeting of the site, for calendar apps to subscribe to.

    Each event's URL is its meeting page on the site (when the config has a `url`); the
    Indico link stays in the description. `store`: where the header is kept between
    builds (`stored_head`)."""
    return render_calendar(
        meetings,
        name=f"{config.title} meetings",
        description=config.description,
        site_url=f"{config.url}{config.baseurl}/",
        pages=f"{config.url}{config.baseurl}/" if config.url else "",
        store=store,
    )


def render_calendar(
    meetings: Sequence[Meeting],
    *,
    name: str,
    description: str,
    site_url: str,
    pages: str = "",
    store: HeadStore | None = None,
) -> bytes:
    """The whole calendar: header, one VTIMEZONE per zone used, one VEVENT per meeting.

    `pages` is the site's absolute root URL (each event's URL is then its meeting page,
    `{pages}{page_path}`), or "" to use the Indico URL. `store`: see `stored_head`.

    Each VEVENT is appended to one buffer as soon as it is written, and the buffer becomes
    the result without a copy: the calendar is in memory once (7 MB for 10,000 meetings),
    not also as a list of its events."""
    ordered = sort_meetings(meetings)
    out = io.BytesIO()
    spans = zone_spans(ordered)
    key = None
    if store is None:
        out.write(calendar_head(name, description, site_url, _timezones(spans)))
    else:
        key = _head_key(name, description, site_url, spans)
        out.write(stored_head(store, key, name, description, site_url, spans))
    events = store.events if store is not None else None
    for meeting in ordered:
        url = f"{pages}{meeting.page_path}" if pages else ""
        if events is not None and key is not None:
            out.write(events.event(meeting, url, salt=key))
        else:
            out.write(write_event(meeting, url=url))
    out.write(b"END:VCALENDAR\r\n")
    return out.getvalue()


class HeadStore:
    """Where `stored_head` finds the header the last build kept (`path`), and the entry
    for a header made anew (`made`), to be saved once the build has succeeded (`save`):
    a failed build leaves nothing new beside its output. `events`: the events kept too."""

    def __init__(self, path: Path, made: str = "", *, events: EventStore | None = None) -> None:
        self.path, self.made, self.events = path, made, events

    def save(self) -> None:
        if self.made:
            write_text(self.path, self.made, durable=False)  # only a cache


class EventStore:
    """The VEVENTs the last build wrote, by key (`old`), and where this build's go (`record`).

    An event's key stands for all its bytes depend on: the header's key (the code, the
    calendar's name and URL, the zones' data: `stored_head`), the event's URL, and the
    meeting's bytes in the snapshot (`digests`, by `id()`, as `Snapshot.digests`), so a
    meeting whose bytes did not change is not read again (`meetings.Later`): its talks
    make the event's description, and reading every meeting's took 0.1-0.15 s of a
    rebuild after a sync. A meeting without bytes (changed by the config) is written anew."""

    def __init__(
        self,
        old: Mapping[str, str],
        record: Callable[[str, str], None],
        digests: Mapping[int, bytes],
    ) -> None:
        self.old, self.record, self.digests = old, record, digests

    def event(self, meeting: Meeting, url: str, *, salt: str) -> bytes:
        raw = self.digests.get(id(meeting))
        if raw is None:
            return write_event(meeting, url=url)
        key = hashlib.blake2b(f"{salt}\0{url}\0".encode() + raw, digest_size=16).hexdigest()
        kept = self.old.get(key)
        event = write_event(meeting, url=url) if kept is None else kept.encode()
        self.record(key, event.decode() if kept is None else kept)
        return event


def stored_head(
    store: HeadStore,
    key: str | None,
    name: str,
    description: str,
    site_url: str,
    spans: Mapping[str, tuple[date, date]],
) -> bytes:
    """`calendar_head`, kept in a file between builds, with which of the zones `is_utc`
    (both need icalendar, whose import alone takes 0.09-0.17 s).

    Its key stands for all the header depends on: the arguments, the zones and their
    years, this package's code, the installed icalendar and each zone's file in the tz
    database (a zone found only in the `tzdata` package is not kept). A missing, damaged
    or other key's file is made again, and replaced when the build succeeds. `key`:
    `_head_key`'s for these arguments."""
    if key is not None:
        try:
            stored_key, recorded, head = load_regular(store.path).split(b"\n", 2)
            known = json.loads(recorded)
            if stored_key == key.encode() and isinstance(known, dict) and set(known) == set(spans):
                _UTC.update((zone, bool(flag)) for zone, flag in known.items())
                return head
        except (OSError, ValueError):
            pass  # missing or damaged: made again below
    head = calendar_head(name, description, site_url, _timezones(spans))
    if key is not None:
        utc = json.dumps({zone: is_utc(zone) for zone in spans}, sort_keys=True)
        store.made = f"{key}\n{utc}\n{head.decode()}"
    return head


def _head_key(
    name: str, description: str, site_url: str, spans: Mapping[str, tuple[date, date]]
) -> str | None:
    """What `stored_head` keeps its header under; None when a zone's data is not a file."""
    from indico_sync.site.cache import code_fingerprint

    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr((name, description, site_url, sorted(spans.items()))).encode())
    digest.update(code_fingerprint().encode())
    digest.update(repr(_library_state("icalendar")).encode())
    for zone in sorted(spans):
        data = _zone_file(zone)
        if data is None:
            return None
        digest.update(b"\0" + data)
    return digest.hexdigest()


def _library_state(name: str) -> tuple[object, ...]:
    """An installed library's version, without importing it: its `.dist-info` folders'
    names beside it, and its `__init__.py`'s size and time."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return ()
    origin = Path(spec.origin)
    info = origin.stat()
    names = (entry.name for entry in origin.parent.parent.iterdir())
    found = sorted(each for each in names if each.startswith(f"{name}-") and "-info" in each)
    return (str(origin), info.st_size, info.st_mtime_ns, *found)


def _zone_file(zone: str) -> bytes | None:
    """The zone's TZif file as `zoneinfo` finds it first (its `TZPATH`), or None."""
    for root in zoneinfo.TZPATH:
        try:  # often a link (UTC -> Etc/UTC): followed, as zoneinfo does
            return Path(root, *zone.split("/")).read_bytes()
        except OSError:
            continue
    return None


@functools.lru_cache(maxsize=64)
def calendar_head(
    name: str, description: str, site_url: str, spans: tuple[tuple[str, tuple[date, date]], ...]
) -> bytes:
    """Everything before the first VEVENT; cached, since every one-meeting calendar of
    a zone and year has the same. The name and description as one line each (a YAML
    `description: >` ends in a newline): icalendar writes NAME and X-WR-* unescaped.

    Without VTIMEZONEs (the one-meeting calendars, in UTC) the header is written here,
    the same bytes icalendar writes (tested), so a process that renders meeting pages
    does not import icalendar (0.17 s)."""
    name, description = one_line(name), one_line(description)
    if not spans:
        lines = (
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:{_escape(_PRODID)}",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            f"DESCRIPTION:{_escape(_text(description))}",
            f"X-WR-CALDESC:{_text(description)}",
            f"NAME:{_text(name)}",
            f"X-WR-CALNAME:{_text(name)}",
            "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
            f"URL;VALUE=URI:{site_url}",
            "X-PUBLISHED-TTL:PT6H",
        )
        return b"".join(_fold(line) + b"\r\n" for line in lines)
    from icalendar import Calendar, Timezone, vDuration

    calendar = Calendar()
    calendar.add("prodid", _PRODID)
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
    for key, (first, last) in spans:
        calendar.add_component(Timezone.from_tzid(key, first_date=first, last_date=last))
    ical: bytes = calendar.to_ical()  # icalendar leaves this untyped
    return ical.removesuffix(b"END:VCALENDAR\r\n")


def zone_spans(meetings: Sequence[Meeting]) -> dict[str, tuple[date, date]]:
    """The years each zone's VTIMEZONE covers, by TZID, sorted: every zone the meetings
    use, UTC ones too (`_timezones` leaves those out: their times are written with a `Z`).

    Each covers only the years its meetings span, which keeps the component short
    and still deterministic.
    """
    spans: dict[str, tuple[date, date]] = {}
    for meeting in meetings:
        zone = meeting.zone
        start, end = local_times(meeting, zone)
        first, last = date(start.year, 1, 1), date(end.year + 1, 1, 1)
        if zone.key in spans:
            first, last = min(first, spans[zone.key][0]), max(last, spans[zone.key][1])
        spans[zone.key] = (first, last)
    return dict(sorted(spans.items()))


def _timezones(
    spans: Mapping[str, tuple[date, date]],
) -> tuple[tuple[str, tuple[date, date]], ...]:
    """The spans of the zones that get a VTIMEZONE: all but UTC."""
    return tuple((zone, span) for zone, span in spans.items() if not is_utc(zone))


def write_event(meeting: Meeting, *, url: str = "") -> bytes:
    """One meeting as a VEVENT, in its own zone; URL is `url` (its page on the site) or
    else the Indico URL (http(s) only)."""
    zone = meeting.zone
    start, end = local_times(meeting, zone)
    lines = [
        b"BEGIN:VEVENT",
        _fold("SUMMARY:" + _escape(_text(_PREFIX[meeting.status] + meeting.title))),
        _time_line("DTSTART", start, zone.key),
        _time_line("DTEND", end, zone.key),
        meeting.start.astimezone(UTC).strftime("DTSTAMP:%Y%m%dT%H%M%SZ").encode(),
        _fold("UID:" + _escape(event_uid(meeting.url, meeting.id))),
    ]
    if meeting.category:
        lines.append(_fold("CATEGORIES:" + _escape(_text(meeting.category))))
    lines.append(_fold("DESCRIPTION:" + _escape(build_description(meeting))))
    location = _text(build_location(meeting))
    if location:
        lines.append(_fold("LOCATION:" + _escape(location)))
    lines.append(b"STATUS:" + _STATUS[meeting.status].encode())
    link = url or (meeting.url if is_web_url(meeting.url) else "")  # never javascript:
    if link:
        lines.append(_fold("URL:" + _CONTROL.sub("", link.replace("\n", ""))))
    lines.append(b"END:VEVENT\r\n")
    return b"\r\n".join(lines)


def _time_line(name: str, moment: datetime, key: str) -> bytes:
    """`DTSTART;TZID=Europe/Zurich:20220408T150000`, or `DTSTART:20220408T130000Z` in UTC."""
    if is_utc(key):
        return moment.strftime(f"{name}:%Y%m%dT%H%M%SZ").encode()
    return moment.strftime(f"{name};TZID={key}:%Y%m%dT%H%M%S").encode()


def is_utc(key: str) -> bool:
    """UTC and zones that always were UTC (Etc/UTC, GMT, ...): times get a `Z`, no TZID.

    As icalendar judges it, once per zone (or as `stored_head` found it recorded)."""
    if key == "UTC":
        return True
    if key not in _UTC:
        from icalendar.timezone.tzid import tzid_from_tzinfo

        _UTC[key] = tzid_from_tzinfo(ZoneInfo(key)) == "UTC"
    return _UTC[key]


_UTC: dict[str, bool] = {}


def _escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon and comma escaped, newlines as \\n."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> bytes:
    """RFC 5545 folding as icalendar does it: at most 74 octets, then CRLF + space.

    Never inside a UTF-8 sequence, and never right after a backslash or caret, so an
    escape such as `\\,` stays on one line.
    """
    data = line.encode()
    if len(data) < 75:
        return data
    parts, start, size = [], 0, len(data)
    while size - start >= 75:
        cut = start + 74
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its start
            cut -= 1
        last = cut - 1
        while data[last] & 0xC0 == 0x80:
            last -= 1
        if data[last] in b"\\^" and last > start:
            cut = last
        parts.append(data[start:cut])
        start = cut
    parts.append(data[start:])
    return b"\r\n ".join(parts)


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
    """Plain text: status label (and its message), the talks one per line, "Login
    required." for a protected meeting, then the Indico link (http(s) only).

    Indico's description is HTML and untrusted; it is left out rather than
    stripped, since calendar apps render this field in many different ways.
    """
    lines = []
    if meeting.label and meeting.status is not Status.SCHEDULED:
        message = meeting.label_message
        lines.append(f"{meeting.label}: {message}" if message else f"{meeting.label}.")
    for talk in meeting.talks:
        speakers = ", ".join(person.name for person in talk.speakers)
        lines.append(f"• {talk.title}: {speakers}" if speakers else f"• {talk.title}")
    if meeting.protected:
        lines.append("Login required.")
    if is_web_url(meeting.url):
        lines.append(f"Indico: {meeting.url}")
    return _text("\n".join(lines))


def local_times(meeting: Meeting, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end in `zone`; an end before the start (bad data) becomes the start."""
    start = meeting.start.astimezone(zone)
    return start, max(meeting.end.astimezone(zone), start)


def _text(value: str) -> str:
    """Drop control characters that RFC 5545 TEXT forbids (Indico text is untrusted)."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
