"""indico_sync.site.calendar: the meetings as an RFC 5545 calendar, checked by parsing it back."""

from __future__ import annotations

import random
import subprocess
import sys
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from indico_sync import __version__
from indico_sync.config import parse_config
from indico_sync.meetings import Meeting, MeetingType, Person, Status, Talk
from indico_sync.site.calendar import (
    _PREFIX,
    _STATUS,
    HeadStore,
    _fold,
    _text,
    build_description,
    build_location,
    event_uid,
    local_times,
    render_calendar,
    render_meetings_calendar,
    write_event,
)
from indico_sync.untrusted import is_web_url, one_line

ZURICH = ZoneInfo("Europe/Zurich")
CHICAGO = ZoneInfo("America/Chicago")
HOSTILE = '<script>alert("x")</script> & "quotes"'


def meeting(event_id: str = "1001", **changes: object) -> Meeting:
    start = changes.pop("start", datetime(2024, 7, 2, 15, 0, tzinfo=ZURICH))
    assert isinstance(start, datetime)
    fields: dict[str, object] = {
        "source": "https://indico.cern.ch",
        "id": event_id,
        "url": f"https://indico.cern.ch/event/{event_id}/",
        "title": f"Meeting {event_id}",
        "start": start,
        "end": start + timedelta(hours=2),
        "timezone": start.tzinfo.key if isinstance(start.tzinfo, ZoneInfo) else "UTC",
    }
    fields.update(changes)
    return Meeting(**fields)  # type: ignore[arg-type]


def render(meetings: list[Meeting]) -> bytes:
    return render_calendar(
        meetings, name="WG calendar", description="WG meetings", site_url="https://wg.example.org/"
    )


def events(ical: bytes) -> list[Event]:
    return list(Calendar.from_ical(ical).events)


def start_of(event: Event) -> tuple[str, timedelta | None]:
    """The parsed DTSTART's zone name and UTC offset."""
    start = event.start
    assert isinstance(start, datetime) and isinstance(start.tzinfo, ZoneInfo)
    return start.tzinfo.key, start.utcoffset()


def test_header_names_the_calendar_and_refresh_interval() -> None:
    """The VCALENDAR carries PRODID, VERSION, CALSCALE, METHOD, names and a 6-hour refresh."""
    calendar = Calendar.from_ical(render([meeting()]))
    assert calendar["PRODID"] == f"-//indico_sync//{__version__}//EN"
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "WG calendar"
    assert calendar["X-WR-CALDESC"] == "WG meetings"
    assert calendar["X-PUBLISHED-TTL"] == "PT6H"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in render([meeting()])


def test_a_description_over_several_lines_is_one_line_in_the_header() -> None:
    """`description: >` in _config.yml ends in a newline; icalendar failed on it with an
    AssertionError (NAME and X-WR-* are written unescaped), and so did the build."""
    ical = render_calendar(
        [meeting()], name="WG\ncalendar", description="Line one\nline two.\n", site_url=""
    )
    calendar = Calendar.from_ical(ical)
    assert calendar["X-WR-CALDESC"] == "Line one line two."
    assert calendar["X-WR-CALNAME"] == "WG calendar"


def test_one_event_per_meeting_including_two_on_the_same_day() -> None:
    """Two meetings on the same day are both present, with different UIDs."""
    morning = meeting("1", start=datetime(2024, 7, 2, 9, tzinfo=ZURICH))
    afternoon = meeting("2", start=datetime(2024, 7, 2, 15, tzinfo=ZURICH))
    parsed = events(render([morning, afternoon, meeting("3")]))
    assert len(parsed) == 3
    assert len({str(event["UID"]) for event in parsed}) == 3


def test_uid_comes_from_the_event_url_and_is_stable() -> None:
    """The UID is indico-<host>-<id>@indico_sync, the same in every build."""
    first = events(render([meeting("1234")]))[0]["UID"]
    second = events(render([meeting("1234", title="Renamed"), meeting("99")]))[0]["UID"]
    assert first == second == "indico-indico.cern.ch-1234@indico_sync"


def test_uid_is_made_safe_and_separates_instances() -> None:
    """Odd characters in host or id become dashes; the same id on two hosts differs."""
    assert event_uid("https://Indico.Example.org:8443/e/1", "a b/1") == (
        "indico-indico.example.org-8443-a-b-1@indico_sync"
    )
    assert event_uid("https://a.org/event/1/", "1") != event_uid("https://b.org/event/1/", "1")
    assert event_uid("https://user:secret@a.org/event/1/", "1") == "indico-a.org-1@indico_sync"


def test_summer_and_winter_offsets_in_zurich() -> None:
    """DTSTART keeps TZID Europe/Zurich: +02:00 in July, +01:00 in January."""
    summer = meeting("1", start=datetime(2024, 7, 2, 15, tzinfo=ZURICH))
    winter = meeting("2", start=datetime(2025, 1, 14, 15, tzinfo=ZURICH))
    ical = render([summer, winter])
    assert b"DTSTART;TZID=Europe/Zurich:20240702T150000\r\n" in ical
    assert [start_of(event) for event in events(ical)] == [
        ("Europe/Zurich", timedelta(hours=2)),
        ("Europe/Zurich", timedelta(hours=1)),
    ]


def test_chicago_meeting_keeps_its_zone() -> None:
    """A meeting in America/Chicago is written in Chicago time, not converted."""
    ical = render([meeting("1", start=datetime(2024, 3, 20, 10, tzinfo=CHICAGO))])
    assert b"DTSTART;TZID=America/Chicago:20240320T100000\r\n" in ical
    assert start_of(events(ical)[0]) == ("America/Chicago", timedelta(hours=-5))


def test_start_in_another_zone_is_shown_in_the_meeting_zone() -> None:
    """A start given in UTC is written in the meeting's own `timezone`."""
    start = datetime(2024, 7, 2, 13, tzinfo=ZoneInfo("UTC"))
    ical = render([meeting("1", start=start, timezone="Europe/Zurich")])
    assert b"DTSTART;TZID=Europe/Zurich:20240702T150000\r\n" in ical


def test_vtimezone_for_every_tzid_used_and_none_for_utc() -> None:
    """Each TZID has a VTIMEZONE, sorted by name; UTC times use Z and need none."""
    meetings = [
        meeting("1", start=datetime(2024, 7, 2, 15, tzinfo=ZURICH)),
        meeting("2", start=datetime(2024, 3, 20, 10, tzinfo=CHICAGO)),
        meeting("3", start=datetime(2024, 5, 1, 8, tzinfo=ZoneInfo("UTC"))),
    ]
    ical = render(meetings)
    calendar = Calendar.from_ical(ical)
    assert [zone.tz_name for zone in calendar.timezones] == ["America/Chicago", "Europe/Zurich"]
    assert calendar.get_missing_tzids() == set()
    assert b"DTSTART:20240501T080000Z\r\n" in ical


def test_unknown_timezone_falls_back_to_utc() -> None:
    """A zone name zoneinfo does not know (bad data) gives UTC times, not a crash."""
    start = datetime(2024, 5, 1, 8, tzinfo=ZoneInfo("UTC"))
    for zone in ("Mars/Olympus", "America"):  # "America" is a folder: an OSError
        ical = render([meeting("1", start=start, timezone=zone)])
        assert b"DTSTART:20240501T080000Z\r\n" in ical


def test_status_maps_to_ical_status_and_summary_prefix() -> None:
    """Scheduled → CONFIRMED; cancelled → CANCELLED + prefix; postponed → TENTATIVE + label."""
    meetings = [
        meeting("1", start=datetime(2024, 7, 1, 9, tzinfo=ZURICH)),
        meeting("2", start=datetime(2024, 7, 2, 9, tzinfo=ZURICH), status=Status.CANCELLED),
        meeting(
            "3",
            start=datetime(2024, 7, 3, 9, tzinfo=ZURICH),
            status=Status.POSTPONED,
            label="Postponed to September",
        ),
    ]
    parsed = events(render(meetings))
    assert [str(event["STATUS"]) for event in parsed] == ["CONFIRMED", "CANCELLED", "TENTATIVE"]
    assert [event["SUMMARY"] for event in parsed] == [
        "Meeting 1",
        "CANCELLED: Meeting 2",
        "POSTPONED: Meeting 3",
    ]
    assert str(parsed[2]["DESCRIPTION"]).startswith("Postponed to September.\n")


def test_hostile_title_round_trips_as_text() -> None:
    """Markup, ampersands, quotes, commas and semicolons come back exactly as written."""
    title = HOSTILE + "; a, b\\c"
    event = events(render([meeting(title=title, category="WG, plenary")]))[0]
    assert event["SUMMARY"] == title
    assert event.categories == ["WG, plenary"]


def test_control_characters_are_dropped() -> None:
    """Control characters from Indico never reach the file; they are invalid TEXT."""
    ical = render([meeting(title="A\x00B\x07C\x1b", location="Room\x0c 1")])
    assert all(byte >= 0x20 or byte in b"\r\n" for byte in ical)
    event = events(ical)[0]
    assert event["SUMMARY"] == "ABC"
    assert event["LOCATION"] == "Room 1"


def test_description_starts_with_the_label_and_its_message() -> None:
    """A cancelled meeting's DESCRIPTION says why, as plain text, markup and all."""
    off = meeting(
        "7", status=Status.CANCELLED, label="Not happening", label_message="Postponed; " + HOSTILE
    )
    assert str(events(render([off]))[0]["DESCRIPTION"]) == (
        f"Not happening: Postponed; {HOSTILE}\nIndico: https://indico.cern.ch/event/7/"
    )
    assert build_description(replace(off, label_message="")).startswith("Not happening.\n")


def test_description_lists_talks_and_link_without_html() -> None:
    """DESCRIPTION is plain text: one "• title: speakers" per talk, then the Indico link."""
    talks = (
        Talk(title="Status", speakers=(Person(name="Ada Lovelace"), Person(name="Alan Turing"))),
        Talk(title="AOB"),
    )
    ical = render([meeting("7", talks=talks, description="<p>Zoom: <b>link</b></p>")])
    assert str(events(ical)[0]["DESCRIPTION"]) == (
        "• Status: Ada Lovelace, Alan Turing\n• AOB\nIndico: https://indico.cern.ch/event/7/"
    )
    assert b"<p>" not in ical


def test_location_url_categories_and_stamp() -> None:
    """LOCATION adds the meeting type; URL is the event; DTSTAMP is the start, in UTC."""
    event = events(
        render([meeting("5", location="CERN, 4/3-006", type=MeetingType.HYBRID, category="WG1")])
    )[0]
    assert event["LOCATION"] == "CERN, 4/3-006 (Hybrid)"
    assert event["URL"] == "https://indico.cern.ch/event/5/"
    assert event.categories == ["WG1"]
    assert event.stamp == datetime(2024, 7, 2, 13, tzinfo=ZoneInfo("UTC"))
    only_type = events(render([meeting("6", type=MeetingType.ZOOM)]))[0]
    assert only_type["LOCATION"] == "Zoom"
    assert "LOCATION" not in events(render([meeting("8")]))[0]


def test_site_calendar_links_each_event_to_its_meeting_page() -> None:
    """The site's meetings.ics: URL is the meeting page; the Indico link stays in DESCRIPTION."""
    settings = parse_config(
        {"title": "WG", "url": "https://wg.example", "baseurl": "/site",
         "indico": {"sources": [{"url": "https://indico.cern.ch", "category": 1}]}},
        path=Path("src/_config.yml"),
    )  # fmt: skip
    event = events(render_meetings_calendar(settings, [meeting("5")]))[0]
    assert event["URL"] == "https://wg.example/site/meetings/indico-cern-ch-5/"
    assert "Indico: https://indico.cern.ch/event/5/" in str(event["DESCRIPTION"])
    no_url = parse_config({"title": "WG", "indico": settings.site["indico"]}, path=Path("c.yml"))
    assert events(render_meetings_calendar(no_url, [meeting("5")]))[0]["URL"] == (
        "https://indico.cern.ch/event/5/"
    )  # no site URL to link to: the Indico page


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)//event/5/", "data:text/html,<script>x</script>", "event/5/"]
)
def test_only_http_event_urls_are_written(url: str) -> None:
    """Indico's event URL is untrusted: anything but http(s) is left out, URL and description."""
    ical = render([meeting("5", url=url)])
    assert b"URL:http" not in ical.split(b"BEGIN:VEVENT")[1]
    assert url.split(":")[0].encode() not in ical.split(b"BEGIN:VEVENT")[1]
    event = events(ical)[0]
    assert "URL" not in event and "Indico:" not in str(event["DESCRIPTION"])
    assert ical == render([meeting("5", url=url)])  # still one stable UID
    assert ical.count(b"UID:") == 1


def test_end_before_start_does_not_crash() -> None:
    """Bad data with the end before the start gives a zero-length event."""
    start = datetime(2024, 7, 2, 15, tzinfo=ZURICH)
    event = events(render([meeting(start=start, end=start - timedelta(hours=1))]))[0]
    assert event.end == event.start


def test_events_sorted_by_start_then_url() -> None:
    """Events come in start order, same-time ones by URL, whatever the input order."""
    start = datetime(2024, 7, 2, 15, tzinfo=ZURICH)
    meetings = [
        meeting("b", start=start),
        meeting("c", start=start - timedelta(days=1)),
        meeting("a", start=start),
    ]
    uids = [str(event["UID"]) for event in events(render(meetings))]
    assert [uid.split("-")[-1] for uid in uids] == [
        "c@indico_sync",
        "a@indico_sync",
        "b@indico_sync",
    ]


def test_lines_folded_at_75_octets_with_crlf() -> None:
    """Every line ends in CRLF and is at most 75 octets, even with long multi-byte text."""
    ical = render([meeting(title="Réunion très longue " * 10 + HOSTILE)])
    assert ical.endswith(b"\r\n")
    lines = ical.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)
    assert events(ical)[0]["SUMMARY"] == "Réunion très longue " * 10 + HOSTILE


def test_same_meetings_give_identical_bytes() -> None:
    """Two builds of the same list, in any order, give the same bytes."""
    meetings = [
        meeting("1", start=datetime(2024, 7, 2, 15, tzinfo=ZURICH)),
        meeting("2", start=datetime(2024, 3, 20, 10, tzinfo=CHICAGO)),
    ]
    assert render(meetings) == render(meetings) == render(meetings[::-1])


def test_identical_bytes_across_processes() -> None:
    """Output does not depend on hash randomisation (e.g. VTIMEZONE order from a set)."""
    script = (
        "import sys\n"
        "from datetime import datetime\n"
        "from zoneinfo import ZoneInfo\n"
        "from tests.test_calendar import meeting, render\n"
        "zones = ['Europe/Zurich', 'America/Chicago', 'Asia/Tokyo', 'Australia/Sydney']\n"
        "ms = [meeting(str(i), start=datetime(2024, 7, 2, tzinfo=ZoneInfo(z)))"
        " for i, z in enumerate(zones)]\n"
        "sys.stdout.buffer.write(render(ms))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            check=True,
            cwd=Path(__file__).parents[1],
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": "."},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1


def test_vtimezone_covers_the_local_new_year() -> None:
    """A meeting ending on 1 January local time (still 31 December in UTC) is covered."""
    start = datetime(2024, 12, 31, 20, tzinfo=ZoneInfo("UTC"))  # 1 January 05:00 in Tokyo
    ical = render([meeting("1", start=start, timezone="Asia/Tokyo")])
    assert b"DTSTART;TZID=Asia/Tokyo:20250101T050000\r\n" in ical
    assert b"COMMENT:This timezone only works from 2025-01-01 to 2026-01-01." in ical


def icalendar_event(m: Meeting, page: str = "") -> bytes:
    """The reference: the same VEVENT built and serialised by the icalendar library."""
    zone = m.zone
    start, end = local_times(m, zone)
    event = Event.new(
        uid=event_uid(m.url, m.id),
        stamp=m.start.astimezone(UTC),
        start=start,
        end=end,
        summary=_text(_PREFIX[m.status] + m.title),
        description=build_description(m),
        location=_text(build_location(m)) or None,
        url=page or (m.url if is_web_url(m.url) else None),
        categories=[_text(m.category)] if m.category else (),
    )
    event.add("status", _STATUS[m.status])
    ical: bytes = event.to_ical()
    return ical


# Every kind of character the folding and escaping must get right: 1- to 4-byte UTF-8,
# TEXT escapes (\ ; , newline) and the caret. No "\N": icalendar reads it as a newline.
ZONES = [
    "Europe/Zurich",
    "America/Chicago",
    "Asia/Calcutta",
    "UTC",
    "Etc/UTC",
    "GMT",
    "Africa/Abidjan",
]
ALPHABET = 'abc xyz ÅéøŁ€あ𝔘\\;,^\n\r\x07\t:"<>&'


def random_text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(size)).replace("\\N", "\\n")


def random_meeting(index: int, rng: random.Random) -> Meeting:
    zone = rng.choice(ZONES)
    start = datetime(2020, 1, 1, tzinfo=ZoneInfo(zone)) + timedelta(minutes=137 * index)
    names = [random_text(rng, rng.randint(1, 30)) for _ in range(rng.randint(0, 3))]
    talks = tuple(
        Talk(
            title=random_text(rng, rng.randint(1, 90)),
            speakers=tuple(Person(name=n) for n in names),
        )
        for _ in range(rng.randint(0, 4))
    )
    return meeting(
        str(index),
        start=start,
        timezone=rng.choice([zone, zone, "Nowhere/Unknown"]),
        title=random_text(rng, rng.randint(1, 160)),
        talks=talks,
        location=random_text(rng, rng.randint(0, 40)),
        type=rng.choice([None, *MeetingType]),
        category=rng.choice(["", random_text(rng, 20)]),
        status=rng.choice(list(Status)),
        label=random_text(rng, 10),
    )


def test_events_are_byte_identical_to_icalendar() -> None:
    """write_event gives exactly icalendar's bytes: order, escaping, folding, zones."""
    rng = random.Random(5545)
    meetings = [random_meeting(index, rng) for index in range(400)]
    long_escape = meeting("e", title="x" * 72 + "\\;" + "é" * 40 + "^" + "あ" * 30)
    for m in [*meetings, long_escape]:
        assert write_event(m) == icalendar_event(m), m.id
        page = f"https://wg.example/site/meetings/{m.page_slug}/" + "p" * (m.start.minute % 70)
        assert write_event(m, url=page) == icalendar_event(m, page), m.id
    calendar = Calendar.from_ical(render(meetings))
    assert len(calendar.events) == len(meetings)
    assert calendar.get_missing_tzids() == set()  # every TZID used has its VTIMEZONE
    zones = sorted(zone.tz_name for zone in calendar.timezones)
    assert zones == ["America/Chicago", "Asia/Calcutta", "Europe/Zurich"]  # none for UTC


def test_fold_never_splits_a_character_or_an_escape() -> None:
    for size in range(60, 160):
        for filler in ("a", "é", "あ", "𝔘", "\\,"):
            line = ("DESCRIPTION:" + filler * size)[: size + 12]
            folded = _fold(line)
            parts = folded.split(b"\r\n ")
            assert all(len(part) <= 74 for part in parts)
            assert b"".join(parts).decode() == line  # each part ends on a character
            assert not any(part.endswith(b"\\") for part in parts[:-1])


def test_a_big_calendar_is_held_in_memory_about_once() -> None:
    """3,000 meetings with talks: the calendar is built in one buffer that becomes the
    result, so rendering allocates at most 1.5 times the calendar's size at its peak
    (holding the events in a list and joining them took twice as much)."""
    talks = tuple(Talk(title=f"Talk {n}", speakers=(Person(name="Søgaard"),)) for n in range(5))
    start = datetime(2024, 7, 2, 15, 0, tzinfo=ZURICH)
    meetings = [meeting(str(n), start=start + timedelta(days=n), talks=talks) for n in range(3000)]
    render(meetings[:2])  # the cached header and the imports, outside the measure
    tracemalloc.start()
    try:
        ical = render(meetings)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(events(ical)) == 3000
    assert peak < 1.5 * len(ical), (peak, len(ical))


def test_the_header_without_time_zones_is_what_icalendar_writes() -> None:
    """The one-meeting calendars' header (no VTIMEZONE) is written by hand; icalendar's own
    rendering of the same properties is the reference, for awkward names and long lines."""
    from icalendar import vDuration

    from indico_sync.site.calendar import REFRESH, calendar_head

    def reference(name: str, description: str, site_url: str) -> bytes:
        calendar = Calendar()
        calendar.add("prodid", f"-//indico_sync//{__version__}//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        calendar.add("description", description)
        calendar.add("x-wr-caldesc", description)
        calendar.add("url", site_url, parameters={"VALUE": "URI"})
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH))
        ical: bytes = calendar.to_ical()
        return ical.removesuffix(b"END:VCALENDAR\r\n")

    rng = random.Random(7)
    alphabet = "ab ,;:\\\"'é€日本\t"
    for _ in range(300):
        name, description = ("".join(rng.choices(alphabet, k=rng.randint(0, 120))) for _ in "ab")
        site_url = "https://wg.example.org/" + "".join(rng.choices("ab,;/é", k=rng.randint(0, 90)))
        expected = reference(one_line(name), one_line(description), site_url)
        assert calendar_head(name, description, site_url, ()) == expected, (name, description)


def test_the_header_is_kept_between_builds_under_a_key_of_all_it_depends_on(
    tmp_path: Path,
) -> None:
    """The header with its VTIMEZONEs (which needs icalendar) is made once and kept in a
    file; a later calendar takes it from there (shown by a line put into the kept copy)
    while nothing it depends on changed, and makes it again when something did or the
    file is damaged. The calendar is always what it is without the file."""
    meetings = [
        meeting("1"),
        meeting("2", start=datetime(2025, 3, 4, 9, tzinfo=UTC)),
        meeting("3", start=datetime(2026, 1, 5, 18, tzinfo=ZoneInfo("America/Chicago"))),
    ]
    path = tmp_path / "._site.calendar"

    def kept(description: str = "WG meetings") -> tuple[bytes, str]:
        store = HeadStore(path)
        ical = render_calendar(
            meetings, name="WG calendar", description=description, site_url="", store=store
        )
        assert ical == render_calendar(
            meetings, name="WG calendar", description=description, site_url=""
        )
        store.save()
        return ical, store.made

    first, made = kept()
    assert made and path.is_file() and first.count(b"BEGIN:VTIMEZONE") == 2
    second, made = kept()
    assert second == first and made == ""  # taken from the file
    path.write_bytes(path.read_bytes().replace(b"CALSCALE:", b"X-KEPT:1\r\nCALSCALE:", 1))
    marked = render_calendar(
        meetings, name="WG calendar", description="WG meetings", site_url="",
        store=HeadStore(path),
    )  # fmt: skip
    assert b"X-KEPT:1" in marked
    third, made = kept("Other meetings")  # another header: made again, and kept
    assert made and b"X-KEPT" not in path.read_bytes()
    path.write_bytes(b"damaged")
    assert kept("Other meetings") == (third, made)
