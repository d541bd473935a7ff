"""The meeting pages: content, JSON-LD, escaping, neighbours, the one-meeting .ics,
sitemap entries, and the rebuild that renders only the meeting pages that changed."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from helpers import meeting, retitle
from icalendar import Calendar

from indico_sync.config import parse_config
from indico_sync.meetings import (
    Material,
    MaterialKind,
    Meeting,
    MeetingType,
    Minutes,
    Person,
    Protection,
    Status,
    Talk,
)
from indico_sync.policy import protect_meetings
from indico_sync.site.build import build
from indico_sync.site.cache import load_manifest
from indico_sync.site.calendar import render_meetings_calendar
from indico_sync.site.liquid import include_marker
from indico_sync.site.meeting_pages import page_keys
from indico_sync.site.pages import Page
from indico_sync.site.render import render_site
from indico_sync.site.sources import load_templates
from indico_sync.snapshot import SNAPSHOT_PATH, load_snapshot_file, render_snapshot

ROOT = Path(__file__).parent.parent
TEMPLATES = ROOT / "templates"
GOLDEN = Path(__file__).parent / "golden" / "source"
ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
SLIDES = Material(
    title="Slides <v2>", url="https://indico.example/event/1/a/slides.pdf",
    kind=MaterialKind.SLIDES, filename="slides.pdf", content_type="application/pdf", size=1_200_000,
)  # fmt: skip
ONLINE = {"@type": "VirtualLocation", "url": "https://indico.example/event/1/"}
PLACE = {"@type": "Place", "name": "CERN, 4/3-006", "address": "CERN, 4/3-006"}
VIDEO = Material(title="Recording", url="https://videos.example/1", kind=MaterialKind.RECORDING)


def render(meetings: list[Meeting], **site: Any) -> dict[str, bytes]:
    data = {
        "title": "GNN ML WG",
        "url": "https://wg.example",
        "baseurl": "/wg-site",
        "timezone": "Europe/Zurich",
        "indico": {"sources": [{"url": "https://indico.example", "category": 1}]},
        **site,
    }
    settings = parse_config(data, path=Path("src/_config.yml"))
    home = Page(source="src/index.md", layout="home", url="/", html=include_marker("meetings.html"))
    return render_site(
        config=settings,
        pages=[home],
        meetings=meetings,
        static={},
        assets={},
        env=load_templates(TEMPLATES),
        now=NOW,
        calendar=lambda: render_meetings_calendar(settings, meetings),
    )


def page_of(files: dict[str, bytes], m: Meeting) -> str:
    return files[f"meetings/{m.page_slug}/index.html"].decode()


def ld(html: str) -> dict[str, Any]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(found) == 1
    data: dict[str, Any] = json.loads(found[0])
    return data


def full_meeting(event: int = 1, **changes: Any) -> Meeting:
    start = datetime(2026, 12, 4, 15, tzinfo=ZURICH)
    talk = Talk(
        title="Transformers for ORCA",
        speakers=(Person(name="Zoë Müller", affiliation="CPPM"), Person(name="Dan G")),
        start=start + timedelta(minutes=10),
        end=start + timedelta(minutes=100),
        materials=(SLIDES, VIDEO),
        minutes=Minutes(html="<p>talk notes</p>", url="https://indico.example/event/1/note/7"),
    )
    fields: dict[str, Any] = {
        "type": MeetingType.HYBRID,
        "location": "CERN, 4/3-006",
        "talks": (talk,),
        "materials": (VIDEO,),
        "minutes": Minutes(
            html='<p>Decided <b>X</b></p><script>alert(1)</script><img src=x onerror="alert(2)">',
            url="https://indico.example/event/1/note/",
        ),
    }
    return meeting(event, start, 2, **{**fields, **changes})


def test_a_page_shows_the_whole_meeting() -> None:
    m = full_meeting()
    html = page_of(render([m]), m)
    assert '<h1 class="page-heading">Meeting 1</h1>' in html
    assert "<title>Meeting 1 | GNN ML WG</title>" in html
    assert '<time datetime="2026-12-04T15:00+01:00">15:00 (CET)</time>' in html
    assert "Friday 4 December 2026" in html and "Hybrid" in html and "CERN, 4/3-006" in html
    assert '<time datetime="2026-12-04T15:10+01:00">15:10 (CET)</time>' in html
    assert "(1 h 30 min)" in html and "Transformers for ORCA" in html
    assert 'Zoë Müller <span class="affiliation">(CPPM)</span>, Dan G' in html
    assert html.count('href="https://indico.example/event/1/a/slides.pdf"') == 1
    assert html.count('href="https://videos.example/1"') == 2  # the talk's and the event's
    assert "Slides &lt;v2&gt;" in html and "PDF, 1.2\u00a0MB" in html
    assert 'href="https://indico.example/event/1/note/7"' in html
    assert "<p>Decided <b>X</b></p>" in html  # the minutes, sanitised once more
    assert "alert(1)" not in html and "onerror" not in html
    assert '<a href="https://indico.example/event/1/">This meeting on Indico</a>' in html
    assert 'href="/wg-site/meetings/indico-example-1/meeting.ics"' in html
    assert (
        '<link rel="canonical" href="https://wg.example/wg-site/meetings/indico-example-1/">'
        in html
    )
    assert "/wg-site/assets/localtime.js" in html  # the reader's own time, as on Home


def test_the_page_links_materials_exactly_as_home_does() -> None:
    """meeting.html and partials/meetings.html each write the links out (for speed): the
    same talk gives the same list on both, and the same material the same link."""
    m = full_meeting()
    files = render([m])
    page, home = page_of(files, m), files["index.html"].decode()
    lists = re.findall(r'<ul class="materials">.*?</ul>', page)
    talk, materials = lists  # the talk's (minutes, slides, recording), the meeting's
    assert talk.count("<li>") == 3 and materials.count("<li>") == 1
    assert talk in home  # the talk's list under the meeting on Home
    minutes = re.findall(r'<a href="[^"]*#minutes".*?</a>', home)  # Home: to the page
    recording = materials.removeprefix('<ul class="materials">').removesuffix("</ul>")
    assert f'<ul class="materials"><li>{minutes[0]}</li>{recording}</ul>' in home
    note = "https://indico.example/event/1/note/"
    here = minutes[0].replace("/wg-site/meetings/indico-example-1/#minutes", note)
    assert len(minutes) == 1 and f"<p>{here} on Indico</p>" in page  # the page: to Indico


def test_json_ld_is_a_schema_org_event() -> None:
    m = full_meeting()
    data = ld(page_of(render([m]), m))
    assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
    assert data["name"] == "Meeting 1"
    assert data["startDate"] == "2026-12-04T15:00:00+01:00"
    assert data["endDate"] == "2026-12-04T17:00:00+01:00"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert data["location"] == [
        {"@type": "Place", "name": "CERN, 4/3-006", "address": "CERN, 4/3-006"},
        {"@type": "VirtualLocation", "url": "https://indico.example/event/1/"},
    ]
    assert data["organizer"] == {
        "@type": "Organization", "name": "GNN ML WG", "url": "https://wg.example/wg-site/",
    }  # fmt: skip
    assert data["url"] == "https://wg.example/wg-site/meetings/indico-example-1/"


@pytest.mark.parametrize(
    ("kind", "mode", "location"),
    [
        (MeetingType.ZOOM, "Online", ONLINE),
        (MeetingType.ONLINE, "Online", ONLINE),
        (MeetingType.IN_PERSON, "Offline", PLACE),
    ],
)
def test_json_ld_attendance_mode_and_location_follow_the_type(
    kind: MeetingType, mode: str, location: dict[str, str]
) -> None:
    m = full_meeting(type=kind)
    data = ld(page_of(render([m]), m))
    assert data["eventAttendanceMode"] == f"https://schema.org/{mode}EventAttendanceMode"
    assert data["location"] == location


def test_json_ld_without_a_type_or_site_url() -> None:
    """Unknown type: no attendance mode; no site `url`: the page's path."""
    m = full_meeting(type=None, location="")
    data = ld(page_of(render([m], url=None), m))
    assert "eventAttendanceMode" not in data
    assert data["location"] == {
        "@type": "VirtualLocation",
        "url": "https://indico.example/event/1/",
    }
    assert data["url"] == "/wg-site/meetings/indico-example-1/"


def test_a_hostile_title_cannot_leave_the_json_ld_script() -> None:
    evil = "</script><script>alert(1)</script> & <!--"
    m = full_meeting(title=evil, location=evil)
    html = page_of(render([m]), m)
    body = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert "<" not in body and ">" not in body and "&" not in body
    assert "\\u003c/script\\u003e" in body
    data = ld(html)
    assert data["name"] == evil and data["location"][0]["name"] == evil
    assert "<script>alert(1)" not in html  # escaped in the HTML too


def test_previous_and_next_are_chronological_across_all_meetings() -> None:
    day = datetime(2026, 1, 9, 15, tzinfo=ZURICH)
    first, middle, last = (meeting(n, day + timedelta(days=7 * n)) for n in (1, 2, 3))
    files = render([last, first, middle])
    page = page_of(files, middle)
    assert '<a rel="prev" href="/wg-site/meetings/indico-example-1/">← Previous: Meeting 1' in page
    assert '<a rel="next" href="/wg-site/meetings/indico-example-3/">Next: Meeting 3' in page
    assert 'rel="prev"' not in page_of(files, first) and 'rel="next"' in page_of(files, first)
    assert 'rel="next"' not in page_of(files, last) and 'rel="prev"' in page_of(files, last)


def test_a_cancelled_meeting_has_its_page_with_its_status() -> None:
    m = full_meeting(status=Status.CANCELLED, label="Cancelled", label_message="<b>sorry</b>")
    html = page_of(render([m]), m)
    assert '<span class="badge badge-status">Cancelled</span>' in html
    assert '<span class="status-message">&lt;b&gt;sorry&lt;/b&gt;</span>' in html
    assert ld(html)["eventStatus"] == "https://schema.org/EventCancelled"
    postponed = full_meeting(status=Status.POSTPONED)
    assert ld(page_of(render([postponed]), postponed))["eventStatus"].endswith("EventPostponed")


def test_a_protected_meeting_shows_only_what_may_be_shown() -> None:
    secret = full_meeting(protected=True, description="<p>SECRET agenda</p>", title="Closed")
    (m,) = protect_meetings([secret], Protection.TITLE)
    html = page_of(render([m]), m)
    assert "Closed" in html and "Friday 4 December 2026" in html and "(login required)" in html
    assert '<a href="https://indico.example/event/1/">This meeting on Indico</a>' in html
    for hidden in ("SECRET", "Transformers", "slides.pdf", "videos.example", "Decided", "CERN"):
        assert hidden not in html, hidden


def test_the_one_meeting_calendar_and_the_sitemap() -> None:
    m = full_meeting()
    files = render([m, meeting(2, datetime(2027, 1, 8, 15, tzinfo=ZURICH))])
    calendar = Calendar.from_ical(files["meetings/indico-example-1/meeting.ics"])
    (event,) = calendar.events
    assert event["SUMMARY"] == "Meeting 1"
    assert event["URL"] == "https://wg.example/wg-site/meetings/indico-example-1/"
    assert "Indico: https://indico.example/event/1/" in str(event["DESCRIPTION"])
    assert calendar.get_missing_tzids() == set()
    whole = Calendar.from_ical(files["meetings.ics"])
    assert [str(e["URL"]) for e in whole.events] == [
        "https://wg.example/wg-site/meetings/indico-example-1/",
        "https://wg.example/wg-site/meetings/indico-example-2/",
    ]
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text or "" for e in ET.fromstring(files["sitemap.xml"]).findall("s:url/s:loc", ns)]
    assert "https://wg.example/wg-site/meetings/indico-example-1/" in locs
    assert "https://wg.example/wg-site/meetings/indico-example-2/" in locs
    assert locs == sorted(locs)


# --- the rebuild --------------------------------------------------------------------------


def test_a_page_key_changes_with_every_field_of_its_meeting_and_its_neighbours_links() -> None:
    """Every Meeting field (a new one too: the test lists them all) changes the page's key,
    and so do the title, date and zone of the meetings before and after it; nothing else."""
    start = datetime(2026, 12, 4, 15, tzinfo=ZURICH)
    first, middle, last, far = (
        replace(
            full_meeting(event),
            start=start + timedelta(days=event),
            end=start + timedelta(days=event, hours=2),
        )
        for event in (1, 2, 3, 4)
    )
    changes: dict[str, Any] = {
        "source": "https://indico.example/category/2", "id": "2b",
        "url": "https://indico.example/event/2/?x", "title": "Renamed",
        "start": middle.start - timedelta(minutes=1), "end": middle.end + timedelta(minutes=1),
        "timezone": "UTC", "category": "Elsewhere", "category_id": 7, "type": MeetingType.ZOOM,
        "status": Status.CANCELLED, "label": "Off", "label_message": "Room closed",
        "location": "Bldg 40", "description": "<p>More</p>", "protected": True,
        "talks": (), "materials": (SLIDES,), "minutes": None,
    }  # fmt: skip
    fields = Meeting.__dataclass_fields__.values()
    assert set(changes) == {f.name for f in fields if f.compare}  # not `later`: where, not what
    keys = page_keys([first, middle, last, far], salt="s")
    assert page_keys([first, middle, last, far], salt="s") == keys  # the same input, same keys
    assert (
        page_keys([first, middle, last, far], salt="t")[middle.page_slug] != keys[middle.page_slug]
    )
    for name, value in changes.items():
        moved = replace(middle, **{name: value})  # a new id is a new slug: a new page
        changed = page_keys([first, moved, last, far], salt="s")
        assert changed[moved.page_slug] != keys[middle.page_slug], name
        assert changed[far.page_slug] == keys[far.page_slug], name  # not a neighbour
    shown: tuple[tuple[str, Any], ...] = (
        ("title", "Renamed"),
        ("timezone", "UTC"),
        ("start", start),
    )
    for name, value in shown:
        changed = page_keys([replace(first, **{name: value}), middle, last, far], salt="s")
        assert changed[middle.page_slug] != keys[middle.page_slug], name
        assert changed[last.page_slug] == keys[last.page_slug], name  # two meetings away
    renumbered = page_keys([first, middle, replace(last, id="3b"), far], salt="s")
    assert renumbered[middle.page_slug] != keys[middle.page_slug]  # the link to it changed


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_rebuild_renders_only_the_changed_meeting_and_its_neighbours(tmp_path: Path) -> None:
    source, out = tmp_path / "src", tmp_path / "_site"
    shutil.copytree(GOLDEN, source)
    first = build(source, out, templates=TEMPLATES, now=NOW)
    assert first.reused == 0
    before = load_manifest(out)
    retitle(source, "GNN ML WG meeting #42", "GNN ML WG meeting #42 (moved)")
    again = build(source, out, templates=TEMPLATES, now=NOW)
    after = load_manifest(out)
    assert before is not None and after is not None
    changed = {slug for slug, key in after.keys.items() if before.keys[slug] != key}
    assert changed == {
        "indico-cern-ch-1500002", "indico-cern-ch-1500003", "indico-cern-ch-1500004",
    }  # fmt: skip  # #42 and the meetings before and after it
    assert again.reused == len(after.keys) - 3
    cold = tmp_path / "cold"
    build(source, cold, templates=TEMPLATES, now=NOW)
    assert files_of(out) == files_of(cold)  # byte for byte what a cold build writes
    assert "meeting #42 (moved)" in (out / "meetings/indico-cern-ch-1500004/index.html").read_text()


def test_a_rebuild_updates_the_output_in_place_and_a_tampered_one_whole(tmp_path: Path) -> None:
    """After one meeting changed, the output folder and the unchanged pages stay the same
    files (only the changed ones are moved in); a meeting gone from the snapshot loses its
    page. An output changed by hand since is rebuilt whole, as a cold build would."""
    source, out = tmp_path / "src", tmp_path / "_site"
    shutil.copytree(GOLDEN, source)
    build(source, out, templates=TEMPLATES, now=NOW)
    unchanged = out / "meetings/indico-cern-ch-1141191/index.html"
    folder, page = out.stat().st_ino, unchanged.stat().st_ino
    retitle(source, "GNN ML WG meeting #42", "GNN ML WG meeting #42 (moved)")
    build(source, out, templates=TEMPLATES, now=NOW)
    assert out.stat().st_ino == folder and unchanged.stat().st_ino == page
    stored = load_snapshot_file(source)
    gone = next(m for m in stored.meetings if m.page_slug == "indico-cern-ch-1500002")
    rest = [m for m in stored.meetings if m is not gone]
    (source / SNAPSHOT_PATH).write_text(render_snapshot(rest, with_token=stored.with_token))
    build(source, out, templates=TEMPLATES, now=NOW)
    assert out.stat().st_ino == folder and not (out / gone.page_path).exists()
    (out / "about" / "index.html").write_text("edited by hand")
    build(source, out, templates=TEMPLATES, now=NOW)
    assert out.stat().st_ino != folder
    cold = tmp_path / "cold"
    build(source, cold, templates=TEMPLATES, now=NOW)
    assert files_of(out) == files_of(cold)


def test_an_output_given_as_a_relative_path_is_updated_in_place_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--out _site`, as the README runs it: the kept pages name the output by the path as
    given, the writer by its absolute path; the update in place must see they are one."""
    shutil.copytree(GOLDEN, tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    source, out = Path("src"), Path("_site")
    build(source, out, templates=TEMPLATES, now=NOW)
    folder = out.stat().st_ino
    retitle(source, "GNN ML WG meeting #42", "GNN ML WG meeting #42 (moved)")
    build(source, out, templates=TEMPLATES, now=NOW)
    assert out.stat().st_ino == folder  # not swapped for a new folder
    build(source, Path("cold"), templates=TEMPLATES, now=NOW)
    assert files_of(out) == files_of(Path("cold"))
    # The same folders spelled otherwise are the same inputs: nothing to do, or as little.
    templates = Path(os.path.relpath(TEMPLATES))
    assert build(source.absolute(), out.absolute(), templates=templates, now=NOW).fresh
    retitle(source, "GNN ML WG meeting #42 (moved)", "GNN ML WG meeting #42")
    again = build(source.absolute(), out, templates=templates, now=NOW)
    assert again.reused == again.meetings - 3


def test_a_page_edited_by_hand_or_a_template_change_is_rendered_again(tmp_path: Path) -> None:
    source, out, templates = tmp_path / "src", tmp_path / "_site", tmp_path / "templates"
    shutil.copytree(GOLDEN, source)
    shutil.copytree(TEMPLATES, templates)
    build(source, out, templates=templates, now=NOW)
    tampered = out / "meetings/indico-cern-ch-1141191/index.html"
    tampered.write_bytes(tampered.read_bytes().replace(b"Indico", b"Idnoci"))
    retitle(source, "GNN ML WG meeting #42", "GNN ML WG meeting #42b")
    result = build(source, out, templates=templates, now=NOW)
    assert b"Idnoci" not in tampered.read_bytes()
    assert result.reused == result.meetings - 4  # three changed, one edited by hand
    meeting_html = templates / "meeting.html"
    meeting_html.write_text(meeting_html.read_text().replace("Add to calendar", "Add it"))
    retitle(source, "GNN ML WG meeting #42b", "GNN ML WG meeting #42c")
    assert build(source, out, templates=templates, now=NOW).reused == 0
    assert "Add it" in tampered.read_text()


def test_the_second_core_renders_most_meeting_pages_to_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.generate import generate_site

    build_module = sys.modules[build.__module__]  # the package exports the function as `build`

    count = 3 * build_module.SPLIT_MEETINGS
    source = generate_site(tmp_path / "src", meetings=count, posts=2)
    split = build(source, tmp_path / "split", templates=TEMPLATES, now=NOW)
    monkeypatch.setattr(build_module, "SPLIT_MEETINGS", 10**9)
    alone = build(source, tmp_path / "alone", templates=TEMPLATES, now=NOW)
    assert split == alone and split.meetings == count
    assert files_of(tmp_path / "split") == files_of(tmp_path / "alone")


def test_a_changed_override_reaches_the_pages_of_unchanged_meetings(tmp_path: Path) -> None:
    """Page keys hash each meeting's bytes in the snapshot; the config, which can change
    a meeting on its way to the site (an override), is in every key too."""
    source, out = tmp_path / "src", tmp_path / "_site"
    shutil.copytree(GOLDEN, source)
    build(source, out, templates=TEMPLATES, now=NOW)
    config = source / "_config.yml"
    config.write_text(
        config.read_text().replace(
            '"1500005": {type: in_person}', '"1500005": {type: in_person, title: "Renamed"}'
        )
    )
    build(source, out, templates=TEMPLATES, now=NOW)
    page = (out / "meetings/indico-cern-ch-1500005/index.html").read_text()
    assert "<title>Renamed | " in page and ">Renamed</a>" in (out / "index.html").read_text()
