"""The in-memory site: meeting display strings, the agenda split, escaping, whole-site files."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import Environment

from indico_sync.build import load_templates
from indico_sync.config import Config, parse_config
from indico_sync.errors import ContentError, RenderError
from indico_sync.meetings import Meeting, MeetingType, Person, Status, Talk
from indico_sync.pages import Page, include_marker
from indico_sync.site import (
    build_agenda,
    build_row,
    format_days,
    format_time,
    render_meetings_calendar,
    render_site,
    sanitise,
    zone_note,
)

TEMPLATES = Path(__file__).parent.parent / "templates"
ZURICH = ZoneInfo("Europe/Zurich")
CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & "quotes"'


def meeting(event: int, start: datetime, hours: float = 1, **changes: Any) -> Meeting:
    zone = start.tzinfo
    assert isinstance(zone, ZoneInfo)
    fields: dict[str, Any] = {
        "source": "https://indico.example/category/1",
        "id": str(event),
        "url": f"https://indico.example/event/{event}/",
        "title": f"Meeting {event}",
        "start": start,
        "end": start + timedelta(hours=hours),
        "timezone": zone.key,
    }
    return Meeting(**{**fields, **changes})


def config(**site: Any) -> Config:
    data = {
        "title": "GNN ML WG",
        "description": "A working group.",
        "url": "https://wg.example",
        "timezone": "Europe/Zurich",
        "indico": {"sources": [{"url": "https://indico.example", "category": 1}]},
        **site,
    }
    return parse_config(
        {k: v for k, v in data.items() if v is not None}, path=Path("src/_config.yml")
    )


def page(url: str = "/", **changes: Any) -> Page:
    fields: dict[str, Any] = {"source": "src/index.md", "layout": "home", "url": url, "html": ""}
    return Page(**{**fields, "title": "Home", "order": 1, **changes})


def render(
    pages: list[Page] | None = None,
    meetings: list[Meeting] | None = None,
    *,
    env: Environment | None = None,
    static: dict[str, bytes] | None = None,
    **site: Any,
) -> dict[str, bytes]:
    settings = config(**site)
    return render_site(
        config=settings,
        pages=pages if pages is not None else [page(html=include_marker("meetings.html"))],
        meetings=meetings or [],
        static=static or {},
        assets={"style.css": b"body{}"},
        env=env or load_templates(TEMPLATES),
        now=NOW,
        calendar=render_meetings_calendar(settings, meetings or []),
    )


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
    start: tuple[int, ...], end: tuple[int, ...], text: str
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


# --- the whole site --------------------------------------------------------------------


def test_indico_text_is_always_escaped() -> None:
    """A hostile title, talk and speaker come out as text, never as markup."""
    evil = meeting(
        1,
        datetime(2026, 12, 4, 15, tzinfo=ZURICH),
        title=HOSTILE,
        location="<b>room</b>",
        talks=(Talk(title="<i>t</i>", speakers=(Person(name="<img src=x>", affiliation="<u>"),)),),
    )
    home = render(meetings=[evil])["index.html"].decode()
    assert "<script>alert" not in home and "<img src=x>" not in home and "<b>room" not in home
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;" in home
    assert "&lt;i&gt;t&lt;/i&gt;: &lt;img src=x&gt;" in home


def test_home_shows_next_meeting_tables_and_calendar_link() -> None:
    """The marker becomes the meetings section; the next one is highlighted and linked."""
    nxt = meeting(2, datetime(2026, 12, 4, 15, tzinfo=ZURICH))
    old = meeting(1, datetime(2022, 4, 8, 15, tzinfo=ZURICH), protected=True)
    home = render(meetings=[old, nxt], baseurl="/wg-site")["index.html"].decode()
    assert include_marker("meetings.html") not in home
    assert home.count('<tr class="is-next">') == 1 and "Next meeting" in home
    assert "Friday 4 December 2026, 15:00 (CET)" in home
    assert '<a href="https://indico.example/event/2/">Indico<span class="visually-hidden">' in home
    assert 'href="/wg-site/meetings.ics"' in home and "(login required)" in home
    assert '<caption><h3 id="upcoming-meetings">Upcoming meetings</h3></caption>' in home
    assert '<th scope="col">Presentations</th>' in home and '<th scope="row">' in home
    assert '<time datetime="2026-12-04T15:00+01:00">15:00 (CET)</time>' in home


def test_no_upcoming_meetings_is_a_friendly_line_not_an_empty_table() -> None:
    """Only past meetings: one sentence for upcoming, the past table, no next card."""
    home = render(meetings=[meeting(1, datetime(2022, 4, 8, 15, tzinfo=ZURICH))])["index.html"]
    text = home.decode()
    assert "No upcoming meetings scheduled yet." in text and "Next meeting" not in text
    assert text.count("<table") == 1 and 'id="past-meetings"' in text


def test_layout_head_nav_and_baseurl() -> None:
    """Title 'Page | Site', canonical, OG, feeds, nav by order, every link under baseurl."""
    pages = [
        page(
            "/about/", source="src/about.md", layout="page", title="About", order=2, html="<p>A</p>"
        ),
        page(display_title="Global <br> Network", description="Home page text."),
        page("/hidden/", source="src/h.md", layout="page", title="Unlisted", order=None),
    ]
    files = render(pages, baseurl="/wg-site", lang="de")
    home, about = files["index.html"].decode(), files["about/index.html"].decode()
    assert '<html lang="de">' in home and "<title>Home | GNN ML WG</title>" in home
    assert '<h1 class="page-heading">Global<br>Network</h1>' in home
    assert '<meta name="description" content="Home page text.">' in home
    assert '<link rel="canonical" href="https://wg.example/wg-site/">' in home
    assert '<meta property="og:title" content="Home">' in home
    assert 'href="/wg-site/feed.xml"' in home and 'href="/wg-site/assets/style.css"' in home
    nav = home[home.index("<nav") : home.index("</nav>")]
    assert nav.index(">Home<") < nav.index(">About<") and "Unlisted" not in nav
    assert '<a href="/wg-site/" aria-current="page">Home</a>' in nav
    assert '<a href="/wg-site/about/" aria-current="page">About</a>' in about
    assert "<title>About | GNN ML WG</title>" in about
    assert '<meta name="description" content="A working group.">' in about
    assert 'class="skip-link" href="#content"' in about and '<main id="content"' in about


def test_posts_are_listed_newest_first_and_fed() -> None:
    """Home lists posts newest first under list_title; feed.xml, sitemap, robots follow."""
    day = datetime(2026, 11, 22, tzinfo=ZURICH)
    posts = [
        page("/2026/01/19/old/", source="p1", layout="post", title="Old", order=None,
             date=day.replace(month=1, day=19), html="<p>Older news.</p>"),
        page("/2026/11/22/new/", source="p2", layout="post", title="New", order=None,
             date=day, html="<p>Fresh <b>news</b>.</p>"),
    ]  # fmt: skip
    files = render([page(list_title="Updates"), *posts], baseurl="/wg-site")
    home = files["index.html"].decode()
    assert '<h2 id="news">Updates</h2>' in home
    assert home.index(">New</a>") < home.index(">Old</a>")
    assert '<time datetime="2026-11-22">22 November 2026</time>' in home
    post = files["2026/11/22/new/index.html"].decode()
    assert '<meta property="og:type" content="article">' in post
    assert '<meta name="description" content="Fresh news.">' in post
    feed = files["feed.xml"].decode()
    assert "<updated>2026-11-22T00:00:00+01:00</updated>" in feed
    assert feed.index("/2026/11/22/new/") < feed.index("/2026/01/19/old/")
    assert "https://wg.example/wg-site/2026/11/22/new/" in feed
    sitemap = files["sitemap.xml"].decode()
    assert "<loc>https://wg.example/wg-site/2026/11/22/new/</loc>" in sitemap
    assert "<lastmod>2026-11-22</lastmod>" in sitemap and "404" not in sitemap
    assert files["robots.txt"].endswith(b"Sitemap: https://wg.example/wg-site/sitemap.xml\n")


def test_every_file_of_a_site() -> None:
    """Pages, 404 (no canonical, noindex), feeds, calendar, assets and static files."""
    files = render(static={"images/a.png": b"\x89PNG"})
    assert sorted(files) == [
        "404.html",
        "assets/style.css",
        "feed.xml",
        "images/a.png",
        "index.html",
        "meetings.ics",
        "robots.txt",
        "sitemap.xml",
    ]
    missing = files["404.html"].decode()
    assert 'rel="canonical"' not in missing and '<meta name="robots" content="noindex">' in missing
    assert files["meetings.ics"].startswith(b"BEGIN:VCALENDAR")


def test_feed_updated_without_posts_is_the_latest_past_meeting() -> None:
    """No post: the newest meeting that has started, so rebuilds do not change it."""
    meetings = [
        meeting(1, datetime(2022, 4, 8, 15, tzinfo=ZURICH)),
        meeting(2, datetime(2026, 10, 9, 16, tzinfo=ZURICH)),
        meeting(3, datetime(2027, 1, 1, 16, tzinfo=ZURICH)),
    ]
    feed = render(meetings=meetings)["feed.xml"].decode()
    assert "<updated>2026-10-09T16:00:00+02:00</updated>" in feed
    assert "<updated>2026-11-22T12:00:00+00:00</updated>" in render()["feed.xml"].decode()


@pytest.mark.parametrize(
    ("pages", "static", "message"),
    [
        ([page(), page(source="src/other.md")], {}, r"src/other\.md and src/index\.md would both"),
        ([page()], {"index.html": b"x"}, r"src/index\.html and src/index\.md would both"),
        ([page()], {"feed.xml": b"x"}, r"src/feed\.xml and the generated feed\.xml"),
        ([page("/404.html", source="src/x.md")], {}, r"404 and src/x\.md would both"),
    ],
)
def test_two_sources_for_one_output_file_is_an_error(
    pages: list[Page], static: dict[str, bytes], message: str
) -> None:
    """Nothing is silently overwritten: both sources are named."""
    with pytest.raises(ContentError, match=message):
        render(pages, static=static)


def templates_with(folder: Path, changes: dict[str, str]) -> Environment:
    """A copy of the real templates with some files replaced."""
    shutil.copytree(TEMPLATES, folder)
    for name, text in changes.items():
        (folder / name).write_text(text, encoding="utf-8")
    return load_templates(folder)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"home.html": "\n{{ page.nope }}"}, r"home\.html:2: .*has no attribute 'nope'"),
        ({"partials/meetings.html": "{{ agenda.nope }}"}, r"partials/meetings\.html:1: "),
        ({"home.html": "{% if %}"}, r"home\.html:1: Expected an expression"),
        (
            {"home.html": "{% include 'partials/gone.html' %}"},
            r"/partials/gone\.html: template not",
        ),
    ],
)
def test_template_errors_are_one_render_error_line(
    tmp_path: Path, changes: dict[str, str], message: str
) -> None:
    """Undefined values, syntax errors and missing templates name the template and line."""
    with pytest.raises(RenderError, match=message):
        render(env=templates_with(tmp_path / "templates", changes))
