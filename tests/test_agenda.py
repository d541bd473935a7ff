"""Meeting display strings and the agenda split: dates, zones, sanitising, what is next."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from helpers import meeting

from indico_sync.meetings import (
    Material,
    MaterialKind,
    MeetingType,
    Minutes,
    Person,
    Protection,
    Status,
    Talk,
)
from indico_sync.policy import protect_meetings
from indico_sync.site.agenda import (
    build_agenda,
    build_row,
    format_days,
    format_time,
    sanitise,
    zone_note,
)
from indico_sync.untrusted import clean_html

ZURICH = ZoneInfo("Europe/Zurich")
CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


# --- display strings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        ((2022, 4, 8, 15), (2022, 4, 8, 16), "8 April 2022"),
        ((2027, 6, 14, 9), (2027, 6, 16, 17), "14–16 June 2027"),
        ((2027, 6, 30, 9), (2027, 7, 2, 17), "30 June – 2 July 2027"),
        ((2026, 12, 30, 9), (2027, 1, 2, 17), "30 December 2026 – 2 January 2027"),
        ((2026, 12, 4, 20), (2026, 12, 5, 0), "4 December 2026"),  # ends at midnight
        ((2026, 12, 4, 20), (2026, 12, 4, 19), "4 December 2026"),  # end before start
    ],
)
def test_dates_have_no_leading_zero_and_ranges_for_several_days(
    start: tuple[int, int, int, int], end: tuple[int, int, int, int], text: str
) -> None:
    """'8 April 2022' as in the seed table; multi-day events as a range."""
    assert format_days(datetime(*start, tzinfo=ZURICH), datetime(*end, tzinfo=ZURICH)) == text


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2022, 4, 8, 15, tzinfo=ZURICH), "15:00 (CEST)"),
        (datetime(2026, 12, 4, 15, tzinfo=ZURICH), "15:00 (CET)"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=ZURICH), "01:30 (CEST)"),  # the day it changes
        (datetime(2026, 10, 25, 3, 30, tzinfo=ZURICH), "03:30 (CET)"),
        (datetime(2027, 2, 4, 18, tzinfo=CHICAGO), "18:00 (CST)"),
        (datetime(2027, 2, 4, 18, tzinfo=ZoneInfo("America/Sao_Paulo")), "18:00 (UTC-03)"),
        (datetime(2027, 2, 4, 18, tzinfo=UTC), "18:00 (UTC)"),
    ],
)
def test_time_zone_abbreviation_comes_from_the_tz_database(moment: datetime, text: str) -> None:
    """CEST in summer, CET in winter, for that very date; numeric zones read 'UTC-03'."""
    assert format_time(moment) == text


def test_the_site_zone_wins_and_can_move_the_date() -> None:
    """18:00 in Chicago is 01:00 the next day in Zurich; without a site zone, Chicago's."""
    chicago = meeting(7, datetime(2027, 2, 4, 18, tzinfo=CHICAGO))
    in_zurich = build_row(chicago, zone=ZURICH, is_next=False)
    assert (in_zurich.date, in_zurich.time) == ("5 February 2027", "01:00 (CET)")
    assert in_zurich.iso == "2027-02-05T01:00+01:00" and in_zurich.day == "Friday"
    own = build_row(chicago, zone=None, is_next=False)
    assert (own.date, own.time, own.iso) == (
        "4 February 2027",
        "18:00 (CST)",
        "2027-02-04T18:00-06:00",
    )


def test_row_fields() -> None:
    """Type label or a dash; status label for cancelled/postponed; only http(s) links."""
    base = meeting(1, datetime(2026, 12, 4, 15, tzinfo=ZURICH), type=MeetingType.IN_PERSON)
    assert build_row(base, zone=ZURICH, is_next=True).type == "In person"
    assert build_row(replace(base, type=None), zone=None, is_next=False).type == "—"
    postponed = replace(base, status=Status.POSTPONED)
    assert build_row(postponed, zone=None, is_next=False).status == "Postponed"
    labelled = replace(base, status=Status.CANCELLED, label="Cancelled (room closed)")
    assert build_row(labelled, zone=None, is_next=False).status == "Cancelled (room closed)"
    assert build_row(base, zone=None, is_next=False).status == ""
    sneaky = replace(base, url="javascript:alert(1)")
    assert build_row(sneaky, zone=None, is_next=False).url == ""


def test_descriptions_are_sanitised() -> None:
    """Scripts, event handlers and non-http(s) links go; links get nofollow noopener."""
    html = sanitise(
        '<p onclick="x()">Hi <a href="https://ok.example/">ok</a> '
        '<a href="javascript:alert(1)">j</a> <a href="/relative">r</a></p>'
        "<script>alert(1)</script><img src=x onerror=alert(2)>"
        "<style>p{}</style><iframe src='https://x'></iframe>"
    )
    assert html == (
        '<p>Hi <a href="https://ok.example/" rel="nofollow noopener">ok</a> '
        '<a rel="nofollow noopener">j</a> <a rel="nofollow noopener">r</a></p>'
    )
    assert sanitise("  ") == ""


def test_headings_are_kept_two_levels_down_without_attributes() -> None:
    """Indico's editor makes <h2> of "Heading 1" (the recorded minutes start with one): kept
    as a heading under the page's own, never with attributes; stored at its own level."""
    raw = '<h1 onclick="x()">A</h1><h2 id="t" style="x">B</h2><h3>C</h3><h5>D</h5><h6>E</h6>'
    assert sanitise(raw) == "<h3>A</h3><h4>B</h4><h5>C</h5><h6>D</h6><h6>E</h6>"
    stored = clean_html(raw)  # what the sync keeps of minutes
    assert stored == "<h1>A</h1><h2>B</h2><h3>C</h3><h5>D</h5><h6>E</h6>"
    assert clean_html(stored) == stored and sanitise(stored) == sanitise(raw)
    assert sanitise("<p>&lt;h2&gt; is text</p>") == "<p>&lt;h2&gt; is text</p>"


def test_a_description_is_only_shown_without_talks() -> None:
    """With talks the table lists them; without, the sanitised description stands in."""
    talk = Talk(title="T", speakers=(Person(name="A"),))
    base = meeting(1, datetime(2026, 12, 4, 15, tzinfo=ZURICH), description="<p>About</p>")
    assert build_row(base, zone=None, is_next=False).description == "<p>About</p>"
    assert build_row(replace(base, talks=(talk,)), zone=None, is_next=False).description == ""


# --- the agenda ------------------------------------------------------------------------


def test_upcoming_soonest_first_past_newest_first_and_next_skips_cancelled() -> None:
    """The split uses 'now'; a meeting still running is upcoming; cancelled is never next."""
    past = meeting(1, datetime(2022, 4, 8, 15, tzinfo=ZURICH))
    running = meeting(2, datetime(2026, 11, 22, 12, 30, tzinfo=ZURICH), hours=2)  # 11:30Z-13:30Z
    cancelled = meeting(3, datetime(2026, 11, 27, 15, tzinfo=ZURICH), status=Status.CANCELLED)
    later = meeting(4, datetime(2027, 1, 15, 10, tzinfo=ZURICH))
    same_day = meeting(5, datetime(2027, 1, 15, 16, tzinfo=ZURICH))
    recent = meeting(6, datetime(2026, 10, 9, 16, tzinfo=ZURICH))
    agenda = build_agenda([later, recent, cancelled, same_day, past, running], now=NOW, zone=ZURICH)
    assert [r.title for r in agenda.upcoming] == [
        "Meeting 2",
        "Meeting 3",
        "Meeting 4",
        "Meeting 5",
    ]
    assert [r.title for r in agenda.past] == ["Meeting 6", "Meeting 1"]
    assert agenda.next is not None and agenda.next.title == "Meeting 2"
    assert [r.is_next for r in agenda.upcoming] == [True, False, False, False]
    only_cancelled = build_agenda([cancelled, past], now=NOW, zone=ZURICH)
    assert only_cancelled.next is None and len(only_cancelled.upcoming) == 1


def test_zone_note_names_the_zone_and_its_abbreviations() -> None:
    """The line above the tables says which zone the times are in."""
    assert zone_note(ZURICH, NOW) == "Times are in Europe/Zurich time (CET/CEST)."
    assert zone_note(ZoneInfo("America/Los_Angeles"), NOW).startswith(
        "Times are in America/Los Angeles"
    )
    assert zone_note(ZoneInfo("Asia/Tokyo"), NOW) == "Times are in Asia/Tokyo time (JST)."
    assert zone_note(None, NOW) == "Times are in each meeting's own time zone."


def test_protected_meetings_show_their_description_only_under_the_full_policy() -> None:
    """A login-only event's description (perhaps a passcode) is gone after the default
    policy; only `indico.protected: full` lets it through to the row."""
    secret = "<p>Passcode: 424242</p>"
    start = datetime(2026, 11, 22, 12, tzinfo=ZoneInfo("Europe/Zurich"))
    protected = replace(meeting(1, start), talks=(), description=secret, protected=True)
    [title] = protect_meetings([protected], Protection.TITLE)
    [full] = protect_meetings([protected], Protection.FULL)
    assert str(build_row(title, zone=None, is_next=False).description) == ""
    assert "424242" in build_row(full, zone=None, is_next=False).description
    assert build_row(title, zone=None, is_next=False).protected
    assert protect_meetings([protected], Protection.HIDE) == []


def test_location_that_repeats_the_type_is_not_shown_twice() -> None:
    """Venue "Zoom" under type Zoom would read "Zoom Zoom"; a real venue stays."""
    start = datetime(2026, 12, 6, 17, 30, tzinfo=ZoneInfo("America/Chicago"))
    zoom = replace(meeting(5, start), type=MeetingType.ZOOM, location="Zoom")
    room = replace(zoom, type=MeetingType.IN_PERSON, location="CERN, 4-3-006")
    assert build_row(zoom, zone=None, is_next=False).location == ""
    assert build_row(room, zone=None, is_next=False).location == "CERN, 4-3-006"


def test_a_label_message_goes_with_the_status() -> None:
    """The row carries Indico's label message next to the status; a scheduled one, none."""
    start = datetime(2026, 12, 4, 15, tzinfo=ZURICH)
    off = meeting(
        1,
        start,
        status=Status.CANCELLED,
        label="Not happening",
        label_message="Postponed to next month",
    )
    row = build_row(off, zone=ZURICH, is_next=False)
    assert (row.status, row.status_message) == ("Not happening", "Postponed to next month")
    on = replace(off, status=Status.SCHEDULED, label="Open")
    assert build_row(on, zone=ZURICH, is_next=False).status_message == ""


# --- materials and the meeting page ----------------------------------------------------


def test_rows_link_to_the_meeting_page_with_materials_and_minutes() -> None:
    """The page URL is under the baseurl; Home's minutes link goes to the page's #minutes;
    a talk's minutes link to its Indico note and come before its materials."""
    slides = Material(title="ORCA", url="https://indico.example/o.pdf", kind=MaterialKind.SLIDES)
    note = Minutes(html="<p>Notes</p>", url="https://indico.example/event/7/note/")
    talk = Talk(title="ORCA", materials=(slides,), minutes=note)
    base = meeting(7, datetime(2026, 12, 4, 15, tzinfo=ZURICH))
    full = replace(base, talks=(talk, Talk(title="Plain")), materials=(slides,), minutes=note)
    row = build_row(full, zone=None, is_next=False, baseurl="/wg")
    assert row.page_url == "/wg/meetings/indico-example-7/"
    assert row.minutes is not None
    assert (row.minutes.label, row.minutes.url) == ("Minutes", row.page_url + "#minutes")
    assert [m.label for m in row.materials] == ["Slides"]
    assert row.links == (row.minutes, *row.materials)  # what Home lists, the minutes first
    assert [(m.label, m.url) for m in row.talks[0].materials] == [
        ("Minutes", note.url),
        ("Slides", slides.url),
    ]
    assert row.talks[1].materials == ()
    bare = build_row(base, zone=None, is_next=False)
    assert (bare.page_url, bare.materials, bare.minutes, bare.links) == (
        "/meetings/indico-example-7/",
        (),
        None,
        (),
    )


def test_a_talks_minutes_without_a_note_url_link_to_the_meeting_page() -> None:
    """No (or no http(s)) note URL: the link goes to the minutes on the meeting page."""
    talk = Talk(title="T", minutes=Minutes(html="<p>x</p>", url="javascript:alert(1)"))
    start = datetime(2026, 12, 4, 15, tzinfo=ZURICH)
    row = build_row(meeting(7, start, talks=(talk,)), zone=None, is_next=False, baseurl="/wg")
    assert [m.url for m in row.talks[0].materials] == ["/wg/meetings/indico-example-7/#minutes"]


def test_the_agenda_passes_the_baseurl_to_every_row() -> None:
    """Upcoming and past rows alike link to their pages under the baseurl."""
    later = meeting(1, datetime(2026, 12, 4, 15, tzinfo=ZURICH))
    past = meeting(2, datetime(2026, 1, 4, 15, tzinfo=ZURICH))
    agenda = build_agenda([later, past], now=NOW, zone=ZURICH, baseurl="/wg")
    rows = (*agenda.upcoming, *agenda.past)
    assert [r.page_url for r in rows] == [
        "/wg/meetings/indico-example-1/",
        "/wg/meetings/indico-example-2/",
    ]
