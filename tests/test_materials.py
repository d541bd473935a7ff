"""Materials and minutes as the sync reads them (`sync/materials.py` through `normalise_events`).

The real lab responses (tests/fixtures/indico/categ_materials_*.json, MATERIALS.md) go
through the normaliser; made-up events cover the bad input of issue 12.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from indico_sync.meetings import Material, MaterialKind, Meeting
from indico_sync.sync.materials import MaterialOptions, material_kind
from indico_sync.sync.normalise import normalise_events

FIXTURES = Path(__file__).parent / "fixtures" / "indico"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
READER_ONLY = ("Internal notes (WG members)", "Backup slides (WG only)", "Steering agenda")
FULL = MaterialOptions(keep_protected=True)


def recorded(name: str) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = json.loads((FIXTURES / f"{name}.json").read_bytes())["results"]
    return results


def normalise(events: list[dict[str, Any]], **options: Any) -> dict[str, Meeting]:
    meetings = normalise_events(events, source="lab", category_id=None, **options)
    return {m.id: m for m in meetings}


def titles(materials: tuple[Material, ...]) -> list[str]:
    return [m.title for m in materials]


def every_title(meetings: dict[str, Meeting]) -> set[str]:
    return {m.title for m in every_material(meetings)}


def every_material(meetings: dict[str, Meeting]) -> list[Material]:
    talks = [m for meeting in meetings.values() for talk in meeting.talks for m in talk.materials]
    return [m for meeting in meetings.values() for m in meeting.materials] + talks


@pytest.mark.parametrize("name", ["categ_materials_anon", "categ_materials_reader"])
def test_event_3_has_its_public_materials_in_indicos_order(name: str) -> None:
    meeting = normalise(recorded(name))["3"]
    agenda, notes, video, zoom = meeting.materials
    assert agenda == Material(
        title="Agenda (PDF)",
        url="http://127.0.0.1:8000/event/3/attachments/2/4/agenda.pdf",
        kind=MaterialKind.SLIDES,
        filename="agenda.pdf",
        content_type="application/pdf",
        size=603,
    )
    assert notes == Material(
        title="Agenda notes",
        url="https://example.org/agenda-notes",
        kind=MaterialKind.OTHER,
        link=True,
    )
    # Indico's order: by title in the folder, "Video ..." before "Zoom ..."
    assert (video.title, video.folder, video.kind) == (
        "Video of the meeting",
        "Recordings",
        MaterialKind.RECORDING,
    )
    assert (zoom.url, zoom.kind) == ("https://zoom.us/rec/share/abc", MaterialKind.RECORDING)
    assert meeting.minutes is not None
    assert meeting.minutes.html == "<p>Minutes: GraphNeT 2.0 release planned.</p>"
    assert meeting.minutes.url == "http://127.0.0.1:8000/event/3/note/"
    graphnet, flows, edge = meeting.talks
    assert edge.materials == () and edge.minutes is None
    assert [(m.title, m.folder, m.kind) for m in graphnet.materials] == [
        ("Slides (PDF on external site)", "", MaterialKind.SLIDES),
        ("GraphNeT status slides", "Slides", MaterialKind.SLIDES),
    ]
    assert graphnet.minutes is None
    assert [(m.title, m.kind, m.content_type) for m in flows.materials] == [
        ("Talk recording", MaterialKind.RECORDING, ""),  # folder "Recordings" before "Slides"
        ("Normalizing flows (PowerPoint)", MaterialKind.SLIDES, PPTX),
    ]
    assert flows.minutes is not None and "<em>flow</em>" in flows.minutes.html
    assert graphnet.start is not None and graphnet.end is not None
    assert (graphnet.start.isoformat(), graphnet.end.isoformat()) == (
        "2026-11-11T16:00:00+01:00",
        "2026-11-11T16:20:00+01:00",
    )


def test_the_reader_gets_protected_attachments_flagged_and_the_sync_drops_them() -> None:
    """Indico's fact (pinned): the reader's answer holds att. 8, 12 and 16, each flagged
    `is_protected`; the anonymous one holds none. The sync stores the same for both."""
    raw = json.dumps(recorded("categ_materials_reader"))
    assert all(title in raw for title in READER_ONLY)
    assert not any(title in json.dumps(recorded("categ_materials_anon")) for title in READER_ONLY)
    reader = normalise(recorded("categ_materials_reader"))
    anon = normalise(recorded("categ_materials_anon"))
    assert every_title(reader) == every_title(anon)
    assert not set(READER_ONLY) & every_title(reader)
    assert "Click me" not in every_title(reader)  # link_url "javascript:alert(1)"
    assert not any(m.url.startswith("javascript") for m in reader["3"].materials)


def test_full_mode_keeps_what_the_token_reads() -> None:
    reader = normalise(recorded("categ_materials_reader"), materials=FULL)
    assert set(READER_ONLY) <= every_title(reader)
    assert "Click me" not in every_title(reader)  # never a javascript: link
    assert reader["6"].minutes is not None and "confidential" in reader["6"].minutes.html
    # flagged, so that a build under another policy drops them (`policy.protect_meetings`)
    assert {m.title for m in every_material(reader) if m.protected} == set(READER_ONLY)
    public = every_material(normalise(recorded("categ_materials_reader")))
    assert public and not any(m.protected for m in public)


def test_materials_come_from_folders_never_twice_from_the_legacy_view() -> None:
    events = recorded("categ_materials_admin")
    stored = normalise(events, materials=FULL)
    for event in events:
        in_folders = [a for f in event["folders"] for a in f["attachments"]]
        usable = [a for a in in_folders if a.get("link_url", "http").startswith("http")]
        assert len(stored[event["id"]].materials) == len(usable), event["id"]
    assert [m.title for m in stored["3"].materials].count("Zoom recording") == 1


def test_event_1_minutes_are_sanitised_and_keep_their_formatting() -> None:
    [event] = [e for e in recorded("categ_materials_anon") if e["id"] == "1"]
    assert "<script>alert(1)</script>" in event["note"]["html"]  # Indico does not clean it
    minutes = normalise([event])["1"].minutes
    assert minutes is not None
    assert "<script" not in minutes.html and "onerror" not in minutes.html
    assert "alert" not in minutes.html and "<img" not in minutes.html
    assert "<strong>Andreas Søgaard</strong>" in minutes.html
    assert "<li>GraphNeT 2.1 release &amp; tagging</li>" in minutes.html
    assert '<a href="https://example.org/wiki" rel="nofollow noopener">wiki</a>' in minutes.html


def test_indico_materials_false_reads_nothing() -> None:
    off = normalise(recorded("categ_materials_reader"), materials=MaterialOptions(enabled=False))
    assert not every_title(off)
    assert all(m.minutes is None for m in off.values())
    assert all(t.minutes is None for m in off.values() for t in m.talks)


@pytest.mark.parametrize(
    ("title", "folder", "url", "filename", "content_type", "kind"),
    [
        ("Talk", "", "https://x.org/a.pdf", "a.pdf", "application/pdf", "slides"),
        ("Talk", "", "https://x.org/a", "a.key", "application/octet-stream", "slides"),
        ("Talk", "", "https://x.org/a", "a.odp", "", "slides"),
        ("Talk", "", "https://x.org/a", "a.bin", "application/vnd.ms-powerpoint", "slides"),
        ("My slides", "", "https://example.org/drive", "", "", "slides"),
        ("Talk", "", "https://cern.zoom.us/rec/share/x", "", "", "recording"),
        ("Talk", "", "https://vimeo.com/123", "", "", "recording"),
        ("Talk", "", "https://cds.cern.ch/record/42", "", "", "recording"),
        ("Talk", "", "https://videos.cern.ch/record/42", "", "", "recording"),
        ("Talk", "Recordings", "https://example.org/x", "", "", "recording"),
        ("Video", "", "https://example.org/x", "", "", "recording"),
        ("Meeting minutes", "", "https://example.org/x", "", "", "minutes"),
        ("Code", "", "https://github.com/x", "", "", "other"),
        ("Data", "", "https://x.org/a.csv", "a.csv", "text/csv", "other"),
        ("Zoom link", "", "https://cern.zoom.us/j/123", "", "", "other"),  # a meeting, not a rec
    ],
)
def test_the_display_kind(
    title: str, folder: str, url: str, filename: str, content_type: str, kind: str
) -> None:
    derived = material_kind(title, folder, url, filename=filename, content_type=content_type)
    assert derived.value == kind


def an_event(**fields: Any) -> dict[str, Any]:
    """Event 3 of the anonymous answer, changed."""
    [event] = [e for e in recorded("categ_materials_anon") if e["id"] == "3"]
    return {**copy.deepcopy(event), **fields}


def attachment(title: str, n: int = 0, **fields: Any) -> dict[str, Any]:
    return {
        "title": title,
        "type": "file",
        "is_protected": False,
        "download_url": f"https://indico.example/event/3/attachments/1/{n}/f{n}.pdf",
        "filename": f"f{n}.pdf",
        "content_type": "application/pdf",
        "size": 10,
        **fields,
    }


def folder(*attachments: Any, **fields: Any) -> dict[str, Any]:
    default = {"title": None, "default_folder": True, "is_protected": False}
    return {**default, "attachments": list(attachments), **fields}


def test_bad_attachments_are_skipped_and_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    bad = [
        attachment(""),  # no title
        attachment("No URL", download_url=None),
        attachment("Relative", download_url="/event/3/a.pdf"),
        attachment("Odd type", type="folder"),
        attachment("Data URL", type="link", link_url="data:text/html,<b>x</b>"),
        attachment("File URL", type="link", link_url="file:///etc/passwd"),
        attachment("No protection flag", is_protected=None),
        attachment("Bad size", size="big"),
        "not a mapping",
        attachment("Good"),
    ]
    locked = folder(attachment("Locked"), is_protected=True)
    event = an_event(folders=[folder(*bad), "not a folder", locked])
    with caplog.at_level(logging.DEBUG, logger="indico_sync.sync.materials"):
        meeting = normalise([event])["3"]
    assert titles(meeting.materials) == ["Bad size", "Good"]
    assert meeting.materials[0].size is None
    messages = caplog.text
    for name in ("No URL", "Relative", "Odd type", "Data URL", "File URL", "not a mapping"):
        assert name in messages, name
    assert all(r.levelno == logging.DEBUG for r in caplog.records)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://x.org/my slides.pdf", "https://x.org/my%20slides.pdf"),
        ("  https://x.org/a b?q=c d#e f  ", "https://x.org/a%20b?q=c%20d#e%20f"),
        ("https://x.org/plain", "https://x.org/plain"),
        ("http://exa mple.org/a b", None),  # a space in the host: refused
        ("https ://x.org/a b", None),
        ("javascript: alert(1)//a b", None),
        ("https://x.org/tab\tin it", None),  # other white space: refused
    ],
)
def test_a_typed_link_with_spaces_is_kept_encoded(typed: str, stored: str | None) -> None:
    link = attachment("Typed link", type="link", link_url=typed)
    meeting = normalise([an_event(folders=[folder(link)])])["3"]
    assert [m.url for m in meeting.materials] == ([stored] if stored else [])


def test_a_folder_of_5000_attachments_is_kept_whole_and_fast() -> None:
    many = [attachment(f"Part {n:04}", n) for n in range(5000)]
    event = an_event(folders=[folder(*many, title="Parts", default_folder=False)])
    began = time.perf_counter()
    meeting = normalise([event])["3"]
    elapsed = time.perf_counter() - began
    assert len(meeting.materials) == 5000 and meeting.materials[-1].title == "Part 4999"
    assert {m.folder for m in meeting.materials} == {"Parts"}
    assert elapsed < 1.0, f"{elapsed:.2f} s"


@pytest.mark.parametrize(
    ("html", "kept", "gone"),
    [
        ("<p>Unclosed <b>bold <ul><li>item", "<b>bold", "<ul><li>item</li></ul>x"),
        ("<p>a</p></div></div><p>b", "<p>b</p>", "</div>"),
        ("<<script>>x<</script>><p>ok</p>", "<p>ok</p>", "<script"),
        ('<a href="javascript:alert(1)">x</a><p>y</p>', "<p>y</p>", "javascript"),
    ],
)
def test_malformed_minutes_are_sanitised(html: str, kept: str, gone: str) -> None:
    minutes = normalise([an_event(note={"html": html, "url": "javascript:x"})])["3"].minutes
    assert minutes is not None and kept in minutes.html and gone not in minutes.html
    assert minutes.url == ""  # only an http(s) URL is kept


def test_minutes_of_several_megabytes_are_cut_then_sanitised() -> None:
    html = "<p><strong>" + "word " * 1_000_000 + "</strong></p>"  # 5 MB
    began = time.perf_counter()
    minutes = normalise([an_event(note={"html": html})])["3"].minutes
    assert time.perf_counter() - began < 5
    assert minutes is not None and len(minutes.html) <= 1_000_100
    assert minutes.html.startswith("<p><strong>word") and minutes.html.endswith("</strong></p>")


@pytest.mark.parametrize(
    "note", [{}, None, [], {"html": ""}, {"html": 5}, {"html": "<script>x</script>"}]
)
def test_empty_or_odd_notes_are_no_minutes(note: object) -> None:
    assert normalise([an_event(note=note)])["3"].minutes is None


def test_an_unscheduled_talk_keeps_its_materials() -> None:
    event = an_event()
    [talk] = [c for c in event["contributions"] if c["id"] == "1"]
    talk["startDate"] = talk["endDate"] = None
    meeting = normalise([event])["3"]
    unscheduled = meeting.talks[-1]  # unscheduled talks come last
    assert unscheduled.title == talk["title"] and unscheduled.start is unscheduled.end is None
    assert "GraphNeT status slides" in titles(unscheduled.materials)


def test_a_talk_ending_before_it_starts_has_no_end() -> None:
    event = an_event()
    [talk] = [c for c in event["contributions"] if c["id"] == "1"]
    talk["endDate"] = {"date": "2026-11-10", "time": "10:00:00", "tz": "UTC"}
    graphnet = normalise([event])["3"].talks[0]
    assert graphnet.start is not None and graphnet.end is None


@pytest.mark.parametrize("end", [None, "soon", {"date": "2026-13-40", "time": "x", "tz": "UTC"}])
def test_a_talk_with_a_missing_or_malformed_end_is_kept_without_one(end: object) -> None:
    event = an_event()
    [talk] = [c for c in event["contributions"] if c["id"] == "1"]
    talk["endDate"] = end
    graphnet = normalise([event])["3"].talks[0]
    assert graphnet.title == "GraphNeT: status and plans" and graphnet.end is None
