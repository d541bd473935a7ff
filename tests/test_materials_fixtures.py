"""What Indico 3.3.14 exports of materials and minutes, pinned against recorded responses.

The fixtures (tests/fixtures/indico/categ_materials_*.json, described in MATERIALS.md) are real
answers of the lab Indico to the same query made anonymously, with the reader's token and with the
manager's token. These tests use no project code: they pin the facts issue 12 builds on
(folders filtered by can_view, attachments by can_access, both flagged is_protected; notes not
filtered beyond the event), so a re-recording that contradicts them fails here first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "indico"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
READER_ONLY = {"Internal notes (WG members)", "Backup slides (WG only)", "Steering agenda"}
MANAGER_ONLY = {"Budget sheet", "Unreleased results", "Referee report"}
HOSTILE_MINUTES = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_bytes())
    return data


def event(data: dict[str, Any], event_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [e for e in data["results"] if e["id"] == event_id]
    assert len(found) == 1, f"event {event_id}: {len(found)} results"
    return found[0]


def contribution(data: dict[str, Any], event_id: str, contrib_id: str) -> dict[str, Any]:
    contribs: list[dict[str, Any]] = event(data, event_id)["contributions"]
    return next(c for c in contribs if c["id"] == contrib_id)


def holders(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every event and contribution of a response (the objects that carry folders and a note)."""
    for ev in data["results"]:
        yield ev
        yield from ev.get("contributions", [])


def folders(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for holder in holders(data):
        yield from holder["folders"]


def attachments(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Attachments by title (titles are unique in the lab data)."""
    found = [a for folder in folders(data) for a in folder["attachments"]]
    by_title = {a["title"]: a for a in found}
    assert len(by_title) == len(found)
    return by_title


def folder_titled(holder: dict[str, Any], title: str | None) -> dict[str, Any]:
    return next(f for f in holder["folders"] if f["title"] == title)


@pytest.mark.parametrize("name", ["categ_materials_anon", "categ_materials_events_anon"])
def test_anonymous_responses_hold_no_protected_attachment(name: str) -> None:
    """Anonymous: every attachment listed is public; nothing readable only by reader or manager."""
    listed = attachments(load(name))
    assert listed and not [t for t, a in listed.items() if a["is_protected"]]
    assert not (READER_ONLY | MANAGER_ONLY) & set(listed)
    assert "6" not in {e["id"] for e in load(name)["results"]}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("categ_materials_reader", READER_ONLY),
        # detail=events has no contributions, so no "Backup slides" of contribution 1
        ("categ_materials_events_reader", READER_ONLY - {"Backup slides (WG only)"}),
    ],
)
def test_the_reader_gets_protected_attachments_flagged_not_filtered(
    name: str, expected: set[str]
) -> None:
    """With the reader's token, what the reader may open comes back with is_protected true."""
    listed = attachments(load(name))
    assert {t for t, a in listed.items() if a["is_protected"]} == expected
    assert not MANAGER_ONLY & set(listed)


def test_the_manager_gets_what_the_reader_may_not_open() -> None:
    """The reader's response lacks the manager-only items because Indico filters them out."""
    listed = attachments(load("categ_materials_admin"))
    assert {t for t, a in listed.items() if a["is_protected"]} == READER_ONLY | MANAGER_ONLY


def test_attachments_are_filtered_by_access_not_by_their_folder() -> None:
    """A protected attachment in a public folder: listed to the reader, hidden from anonymous."""
    reader_default = folder_titled(contribution(load("categ_materials_reader"), "3", "1"), None)
    anon_default = folder_titled(contribution(load("categ_materials_anon"), "3", "1"), None)
    assert reader_default["is_protected"] is False and anon_default["is_protected"] is False
    reader_titles = [a["title"] for a in reader_default["attachments"]]
    anon_titles = [a["title"] for a in anon_default["attachments"]]
    assert reader_titles == ["Backup slides (WG only)", "Slides (PDF on external site)"]
    assert anon_titles == ["Slides (PDF on external site)"]


def test_folders_are_filtered_by_can_view() -> None:
    """Protected folders not always visible: the reader sees "Internal", the manager more."""
    titles = {
        name: [f["title"] for f in event(load(f"categ_materials_{name}"), "3")["folders"]]
        for name in ("anon", "reader", "admin")
    }
    assert titles["anon"] == [None, "Recordings", "Restricted (always visible)"]
    assert titles["reader"] == [None, "Internal", "Recordings", "Restricted (always visible)"]
    assert titles["admin"] == [
        None,
        "Conveners only",
        "Internal",
        "Recordings",
        "Restricted (always visible)",
    ]
    internal = folder_titled(event(load("categ_materials_reader"), "3"), "Internal")
    assert internal["is_protected"] is True
    assert [a["is_protected"] for a in internal["attachments"]] == [True]


@pytest.mark.parametrize("name", ["categ_materials_anon", "categ_materials_reader"])
def test_an_always_visible_protected_folder_is_listed_empty(name: str) -> None:
    """Indico's default "always visible" folder shows up protected and empty, not in material[]."""
    ev = event(load(name), "3")
    restricted = folder_titled(ev, "Restricted (always visible)")
    assert restricted["is_protected"] is True
    assert restricted["attachments"] == []
    assert "Restricted (always visible)" not in {m.get("title") for m in ev["material"]}


def test_the_protected_event_brings_its_minutes_and_materials_to_the_reader() -> None:
    """Event 6: absent anonymously; the reader gets its note and an inheriting attachment."""
    protected = event(load("categ_materials_reader"), "6")
    assert protected["note"]["html"] == (
        "<p>Steering minutes: budget 2027 agreed (confidential).</p>"
    )
    assert protected["note"]["url"] == "http://127.0.0.1:8000/event/6/note/"
    (default,) = protected["folders"]
    assert default["default_folder"] is True and default["is_protected"] is True
    assert [(a["title"], a["is_protected"]) for a in default["attachments"]] == [
        ("Steering agenda", True)
    ]
    anon_text = (FIXTURES / "categ_materials_anon.json").read_text(encoding="utf-8")
    assert "Steering" not in anon_text and "/event/6/" not in anon_text


@pytest.mark.parametrize("name", ["categ_materials_anon", "categ_materials_reader"])
def test_minutes_are_neither_filtered_nor_sanitised(name: str) -> None:
    """A note's HTML arrives as stored, <script> and <img onerror> included, to anyone."""
    html = event(load(name), "1")["note"]["html"]
    assert html.startswith("<h2>Minutes</h2>\n<p>Present: <strong>Andreas Søgaard</strong>")
    assert all(hostile in html for hostile in HOSTILE_MINUTES)
    talk_note = contribution(load(name), "3", "2")["note"]
    assert talk_note["url"] == "http://127.0.0.1:8000/event/3/contributions/2/note/"
    assert event(load(name), "4")["note"] == {}


def test_a_javascript_link_is_stored_as_typed() -> None:
    """link_url is stored as typed, javascript: included; download_url is the /go redirect."""
    link = attachments(load("categ_materials_anon"))["Click me"]
    assert link["type"] == "link" and link["is_protected"] is False
    assert link["link_url"] == "javascript:alert(1)"
    assert link["download_url"] == "http://127.0.0.1:8000/event/3/attachments/2/5/go"


def test_files_carry_name_type_size_and_an_absolute_download_url() -> None:
    """PDF and PowerPoint files: filename, content_type, size, md5 checksum, absolute URL."""
    listed = attachments(load("categ_materials_anon"))
    pdf, pptx = listed["GraphNeT status slides"], listed["Normalizing flows (PowerPoint)"]
    assert (pdf["type"], pdf["filename"], pdf["content_type"]) == (
        "file",
        "graphnet-status.pdf",
        "application/pdf",
    )
    assert (pptx["filename"], pptx["content_type"]) == ("normalizing-flows.pptx", PPTX)
    for file in (pdf, pptx):
        assert isinstance(file["size"], int) and file["size"] > 0
        assert len(file["checksum"]) == 32 and int(file["checksum"], 16) >= 0
        assert file["download_url"].startswith("http://127.0.0.1:8000/event/3/contributions/")
        assert file["download_url"].endswith("/" + file["filename"])
        assert "link_url" not in file


def test_folders_and_attachments_come_in_title_order() -> None:
    """Default folder first, then by title; attachments by title, not in creation order."""
    recordings = folder_titled(event(load("categ_materials_anon"), "3"), "Recordings")
    assert [(a["title"], a["link_url"]) for a in recordings["attachments"]] == [
        ("Video of the meeting", "https://www.youtube.com/watch?v=abcdefghijk"),
        ("Zoom recording", "https://zoom.us/rec/share/abc"),
    ]
    assert [a["id"] for a in recordings["attachments"]] == [7, 6]
    default = folder_titled(event(load("categ_materials_anon"), "3"), None)
    assert default["title"] is None and default["default_folder"] is True


def test_legacy_material_repeats_named_folders_and_adds_event_minutes() -> None:
    """material[] lists the same attachments again (no default folder) plus "Minutes" per event."""
    data = load("categ_materials_reader")
    for holder in holders(data):
        named = {
            f["title"]: [a.get("link_url") or a["download_url"] for a in f["attachments"]]
            for f in holder["folders"]
            if not f["default_folder"] and f["attachments"]
        }
        legacy = {
            m["title"]: [r["url"] for r in m["resources"]]
            for m in holder.get("material", [])
            if m["_type"] != "Minutes"
        }
        assert legacy == named, holder["title"]
        minutes = [m for m in holder.get("material", []) if m["_type"] == "Minutes"]
        is_event = holder.get("_type") == "Conference"
        if is_event and holder["note"]:
            assert [m["resources"][0]["url"] for m in minutes] == [holder["note"]["url"]]
        else:
            assert minutes == []
