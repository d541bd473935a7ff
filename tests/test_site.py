"""The in-memory site: escaping, the meetings section, layouts, feeds, whole-site files."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from helpers import meeting
from jinja2 import Environment

from indico_sync.config import Config, parse_config
from indico_sync.errors import ContentError, RenderError
from indico_sync.meetings import Meeting, Person, Status, Talk
from indico_sync.site.calendar import render_meetings_calendar
from indico_sync.site.liquid import include_marker
from indico_sync.site.pages import Page
from indico_sync.site.render import render_site
from indico_sync.site.sources import load_templates

TEMPLATES = Path(__file__).parent.parent / "templates"
ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & "quotes"'


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
        calendar=lambda: render_meetings_calendar(settings, meetings or []),
    )


# --- the whole site --------------------------------------------------------------------


def test_a_label_message_is_shown_escaped_next_to_the_label() -> None:
    """'Not happening' with its message, on the Home row, as text."""
    off = meeting(
        1,
        datetime(2026, 12, 4, 15, tzinfo=ZURICH),
        status=Status.CANCELLED,
        label="Not happening",
        label_message=HOSTILE,
    )
    html = render(meetings=[off])["index.html"].decode()
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;"
    assert (
        '<span class="badge badge-status">Not happening</span>'
        f'<span class="note status-message">{escaped}</span>'
    ) in html
    assert "<script>alert" not in html


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
        (  # one file on macOS and Windows: one page would silently replace the other
            [
                page(),
                page("/notes.html", source="src/a.md"),
                page("/NOTES.html", source="src/b.md"),
            ],
            {},
            r"src/b\.md and src/a\.md would both be written to NOTES\.html and notes\.html, "
            "one file where case is ignored; change one permalink",
        ),
        (
            [page(), page("/FEED.XML", source="src/feed.md")],
            {},
            r"the generated feed\.xml and src/feed\.md would both be written to feed\.xml and "
            r"FEED\.XML",
        ),
        ([page()], {"Images/Logo.PNG": b"x", "images/logo.png": b"y"}, r"images/logo\.png and "),
        (  # the same name in two Unicode forms (NFC and NFD): one file on macOS
            [page(), page("/caf\u00e9.html", source="src/a.md")],
            {"cafe\u0301.html": b"x"},
            r"cafe\u0301\.html and src/a\.md would both be written",
        ),
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


def test_a_lecture_names_its_speaker_without_repeating_the_title() -> None:
    """A one-talk lecture shows "Speaker (Affiliation)" under its title, not the title twice."""
    start = datetime(2026, 12, 1, 17, tzinfo=ZURICH)
    lecture = meeting(
        9,
        start,
        title="Seminar: Equivariant GNNs",
        talks=(
            Talk(
                title="Seminar: Equivariant GNNs",
                speakers=(Person(name="Jiří Novák", affiliation="Fermilab"),),
            ),
        ),
    )
    home = render(meetings=[lecture])["index.html"].decode()
    assert "<li>Seminar" not in home
    assert '<li>Jiří Novák <span class="affiliation">(Fermilab)</span></li>' in home
