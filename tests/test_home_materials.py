"""Home's tables with materials: links with accessible names and hints, all escaped."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from helpers import TEMPLATES, meeting

from indico_sync.config import parse_config
from indico_sync.meetings import Material, MaterialKind, Meeting, Minutes, Person, Talk
from indico_sync.site.calendar import render_meetings_calendar
from indico_sync.site.liquid import include_marker
from indico_sync.site.pages import Page
from indico_sync.site.render import render_site
from indico_sync.site.sources import load_templates

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
SLIDES = Material(
    title="Transformers for ORCA",
    url="https://indico.example/event/43/attachments/1/2/orca.pdf",
    kind=MaterialKind.SLIDES,
    filename="orca.pdf",
    content_type="application/pdf",
    size=1_234_567,
)
RECORDING = Material(
    title="Recording of the meeting",
    url="https://cern.zoom.us/rec/share/abc",
    kind=MaterialKind.RECORDING,
    link=True,
)
MINUTES = Minutes(html="<p>We decided things.</p>", url="https://indico.example/event/43/note/")
TALK = Talk(title="Transformers for ORCA", speakers=(Person(name="Zoë"),), materials=(SLIDES,))


def home(meetings: list[Meeting], *, baseurl: str = "/wg") -> str:
    """Home's HTML for these meetings, under `baseurl`."""
    settings = parse_config(
        {
            "title": "WG",
            "baseurl": baseurl,
            "timezone": "Europe/Zurich",
            "indico": {"sources": [{"url": "https://indico.example", "category": 1}]},
        },
        path=Path("src/_config.yml"),
    )
    html = include_marker("meetings.html")
    files = render_site(
        config=settings,
        pages=[Page(source="src/index.md", layout="home", url="/", html=html, title="Home")],
        meetings=meetings,
        static={},
        assets={"style.css": b"body{}"},
        env=load_templates(TEMPLATES),
        now=NOW,
        calendar=lambda: render_meetings_calendar(settings, meetings),
    )
    return files["index.html"].decode()


def row_of(html: str, title: str) -> str:
    """The table row whose meeting title is `title` (as it appears in the HTML)."""
    rows: list[str] = re.findall(r"<tr[ >].*?</tr>", html, flags=re.S)
    return next(row for row in rows if f">{title}</a>" in row)


def test_talk_and_meeting_materials_are_links_with_accessible_names_and_hints() -> None:
    """Under the talk 'Slides (PDF, 1.2 MB)' named by its title; per meeting 'Minutes'
    (to the meeting page) first, then the event's recording with its host."""
    full = meeting(
        43,
        datetime(2026, 12, 4, 15, tzinfo=ZURICH),
        title="Meeting 43",
        talks=(TALK,),
        materials=(RECORDING,),
        minutes=MINUTES,
    )
    row = row_of(home([full]), "Meeting 43")
    page = "/wg/meetings/indico-example-43/"
    assert f'<a class="meeting-title" href="{page}">Meeting 43</a>' in row
    assert (
        f'<ul class="materials"><li><a href="{page}#minutes" title="Meeting 43">Minutes'
        '<span class="visually-hidden">: Meeting 43</span></a></li>'
        f'<li><a href="{RECORDING.url}" title="Recording of the meeting">Recording'
        '<span class="visually-hidden">: Recording of the meeting</span>'
        ' <span class="hint">(cern.zoom.us)</span></a></li></ul>'
    ) in row
    assert (
        'Zoë<ul class="materials">'
        f'<li><a href="{SLIDES.url}" title="Transformers for ORCA">Slides'
        '<span class="visually-hidden">: Transformers for ORCA</span>'
        ' <span class="hint">(PDF, 1.2\u00a0MB)</span></a></li></ul></li>'
    ) in row
    assert 'href="https://indico.example/event/43/">Indico' in row  # the Indico link stays


def test_a_meeting_without_materials_has_no_empty_wrappers() -> None:
    """Only the title link changes: no list, no hint, no 'Minutes' (empty minutes too)."""
    plain = meeting(
        44,
        datetime(2026, 12, 4, 15, tzinfo=ZURICH),
        talks=(Talk(title="A talk", speakers=(Person(name="Ann"),)),),
        minutes=Minutes(html=" "),
    )
    row = row_of(home([plain]), "Meeting 44")
    assert "materials" not in row
    assert "Minutes" not in row
    assert "<li>A talk: Ann</li>" in row


def test_indico_strings_in_materials_are_escaped_and_unsafe_urls_dropped() -> None:
    """A `<script>` title, a `"` in a URL and an `&` are text; javascript: is no link."""
    hostile = Material(
        title='<script>alert("x")</script>',
        url='https://indico.example/f?a=1&b="><script>',
        kind=MaterialKind.OTHER,
        filename="<b>.pdf",
    )
    sneaky = Material(title="Click", url="javascript:alert(1)", kind=MaterialKind.SLIDES)
    talk = replace(TALK, materials=(hostile, sneaky))
    html = home([meeting(45, datetime(2026, 12, 4, 15, tzinfo=ZURICH), talks=(talk,))])
    assert "<script>alert" not in html
    assert 'title="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in html
    assert 'href="https://indico.example/f?a=1&amp;b=&#34;&gt;&lt;script&gt;"' in html
    assert "javascript:" not in html
    assert ">Click<" not in html


def test_the_next_meeting_title_links_to_its_page_too() -> None:
    """The 'Next meeting' box links its title to the meeting page, beside Indico's."""
    html = home([meeting(46, datetime(2026, 12, 4, 15, tzinfo=ZURICH))], baseurl="")
    assert '<p class="next-title"><a href="/meetings/indico-example-46/">Meeting 46</a></p>' in html
