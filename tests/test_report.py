"""The change report: `+ ~ -` lines with what changed, safe to print in a CI log."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from helpers import meeting

from indico_sync.cli import EXIT_OK, main
from indico_sync.meetings import MeetingType, Person, Talk
from indico_sync.sync.report import describe_update, printable, report_lines

ZURICH = ZoneInfo("Europe/Zurich")
CHICAGO = ZoneInfo("America/Chicago")
FIXTURES = Path(__file__).parent / "fixtures" / "indico"
EXPORT = "http://127.0.0.1:8000/export/categ/1.json"
HOSTILE_TITLE = "Evil \x1b]0;pwned\x07title\x1b[2J \u202eeman\u202c \x9b31m\r\n::add-mask::x"
HOSTILE_URL = "https://indico.example/event/1/\n::error::x"
SIGNS = ("+ ", "~ ", "- ")


def test_printable_strips_control_and_bidi_characters() -> None:
    """ESC, BEL, CR, LF, other C0 and C1 controls, DEL and bidi overrides all go."""
    assert printable(HOSTILE_TITLE) == "Evil ]0;pwnedtitle[2J eman 31m::add-mask::x"
    assert printable("tab\there\x7f\u2066x\u2069\u200f") == "tabherex"
    assert printable("Zoë Ó Briain-Müller — “GNN”") == "Zoë Ó Briain-Müller — “GNN”"


def test_hostile_titles_and_urls_stay_on_their_own_line() -> None:
    """No escape reaches the log, and no line can start a workflow command."""
    start = datetime(2026, 12, 8, 14, tzinfo=ZURICH)
    evil = meeting(1, start, title=HOSTILE_TITLE, url=HOSTILE_URL)
    renamed = replace(evil, title=HOSTILE_TITLE + "\n::error::y")
    lines = report_lines([evil], [renamed], [evil], [evil], zone=ZURICH)
    text = "\n".join(lines)
    assert len(text.splitlines()) == 3
    assert all(line.startswith(SIGNS) for line in text.splitlines())
    assert not any(c in text for c in "\x1b\x07\r\x9b\u202e\u202c")
    assert lines[0] == (
        "+ 2026-12-08 14:00 CET  Evil ]0;pwnedtitle[2J eman 31m::add-mask::x  "
        "https://indico.example/event/1/::error::x"
    )


def test_updates_say_what_changed_old_to_new_in_the_sites_zone() -> None:
    """`~` gives the time change and the talks added, removed or changed, in the site's zone."""
    start = datetime(2026, 12, 8, 7, tzinfo=CHICAGO)  # 14:00 in Zurich
    talk = Talk(title="Old talk", speakers=(Person(name="A"),))
    old = meeting(2, start, title="Title", talks=(talk, Talk(title="Kept")))
    new = replace(
        old,
        start=start.replace(hour=8),
        end=start.replace(hour=9),
        talks=(Talk(title="Kept", speakers=(Person(name="B"),)), Talk(title="X")),
        type=MeetingType.ZOOM,
        description="<p>new</p>",
    )
    [line] = report_lines([], [new], [old], [], zone=ZURICH)
    assert line == (
        "~ 2026-12-08 15:00 CET  Title  (time 14:00 → 15:00; ends 15:00 → 16:00; "
        "type none → Zoom; talks: + 'X', - 'Old talk', ~ 'Kept'; description added)  "
        "https://indico.example/event/2/"
    )


def test_update_details_cover_dates_titles_status_and_protection() -> None:
    """A move to another day shows dates; long titles are shortened; protected talks counted."""
    start = datetime(2026, 12, 8, 14, tzinfo=ZURICH)
    old = meeting(3, start, title="A" * 80, talks=(Talk(title="Members only"),))
    new = replace(old, start=start.replace(day=9), title="Short", protected=True, talks=())
    details = describe_update(old, new, zone=ZURICH)
    assert details.startswith(f"title '{'A' * 59}…' → 'Short'; date 2026-12-08 14:00 → ")
    assert "protected no → yes" in details and "talks 1 → 0" in details
    assert "Members only" not in details
    assert describe_update(old, replace(old, category_id=7), zone=None) == "details changed"


def test_times_without_a_site_zone_are_in_the_events_own_zone() -> None:
    """No `timezone` in the config: each meeting's own zone, as the site shows it then."""
    start = datetime(2026, 12, 6, 17, 30, tzinfo=CHICAGO)
    [line] = report_lines([meeting(5, start)], [], [], [], zone=None)
    assert line.startswith("+ 2026-12-06 17:30 CST  Meeting 5")


# --- the CLI: stdout and --report FILE ------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> Path:
    source = tmp_path / "site_src"
    source.mkdir()
    (source / "_config.yml").write_text(
        "title: T\ntimezone: Europe/Zurich\nindico:\n  sources:\n"
        "    - url: http://127.0.0.1:8000\n      category: 1\n  retries: 0\n",
        encoding="utf-8",
    )
    return source


def serve(results: list[dict[str, object]]) -> None:
    respx.get(EXPORT).mock(
        side_effect=lambda request: httpx.Response(
            200, json={"results": results if request.url.params["offset"] == "0" else []}
        )
    )


@respx.mock
def test_sync_report_file_is_a_commit_message(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--report FILE: a subject with the counts, a blank line, the same lines as stdout;
    the Chicago meeting at 17:30 CST is reported at 00:30 CET, as the site shows it."""
    events = json.loads((FIXTURES / "categ_reader_token_contribs.json").read_text("utf-8"))
    results = [e for e in events["results"] if e["id"] in {"4", "5"}]
    serve(results)
    report = tmp_path / "report.txt"
    assert main(["sync", "--source", str(site), "--report", str(report)]) == EXIT_OK
    out = capsys.readouterr().out
    text = report.read_text(encoding="utf-8")
    assert text.splitlines()[:2] == ["Sync meetings from Indico: 2 added, 0 updated, 0 removed", ""]
    assert "+ 2026-12-07 00:30 CET  GNN ML WG meeting #44 (Zoom, US-friendly time)" in text
    assert text.splitlines()[2:] == out.splitlines()[:2]
    results[0] = {**results[0], "title": HOSTILE_TITLE, "url": HOSTILE_URL}
    serve(results)
    assert main(["sync", "--source", str(site), "--report", str(report)]) == EXIT_OK
    text = report.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "Sync meetings from Indico: 1 added, 0 updated, 1 removed"
    assert all(line.startswith(SIGNS) for line in lines[2:]), lines
    assert "\x1b" not in text + capsys.readouterr().out
