"""Materials and minutes through the real sync (`main(["sync", ...])`), the snapshot and the report.

The lab's recorded answers (categ_materials_*.json, MATERIALS.md) are served with respx,
anonymously and with the reader's token, under each `indico.protected` policy; then the
snapshot file is searched for what must and must not be in it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import respx
from helpers import LOCAL_INDICO, meeting, serve_category

from indico_sync.cli import EXIT_ERROR, EXIT_OK, main
from indico_sync.config import load_config
from indico_sync.errors import SnapshotError
from indico_sync.meetings import Material, MaterialKind, Minutes, Protection, Talk
from indico_sync.policy import protect_meetings
from indico_sync.snapshot import (
    SNAPSHOT_PATH,
    load_published,
    load_snapshot,
    parse_snapshot,
    render_snapshot,
)
from indico_sync.sync.report import describe_update

FIXTURES = Path(__file__).parent / "fixtures" / "indico"
TOKEN = "indp_" + "R3ad3r" * 7
START = datetime(2026, 11, 11, 16, tzinfo=ZoneInfo("Europe/Zurich"))
# `sync` syncs around today's date: a window wide enough for the recorded dates, any year.
WINDOW = "  past_days: 20000\n  future_days: 20000\n"
CONFIG = "title: Test WG\ntimezone: Europe/Zurich\n" + LOCAL_INDICO + WINDOW
PUBLIC = (
    "GraphNeT status slides",
    "https://zoom.us/rec/share/abc",
    "https://youtu.be/abcdefghijk",
    "normalizing-flows.pptx",
    "GraphNeT 2.0 release planned",  # event 3's minutes
    "Questions on the <em>flow</em> architecture",  # a talk's minutes
    "<strong>Andreas Søgaard</strong>",  # event 1's minutes
)
SECRET = (
    "Internal notes",  # att. 8: protected folder
    "internal-notes.pdf",
    "Backup slides",  # att. 12: protected attachment in a public folder
    "backup.pdf",
    "Steering agenda",  # att. 16: in the protected event 6
    "Steering minutes",  # event 6's minutes
    "confidential",
    "javascript:",
    "onerror",
    "<script>alert(1)",
)


def serve(name: str) -> respx.Route:
    return serve_category(json.loads((FIXTURES / f"{name}.json").read_bytes()))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "_config.yml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def configure(site: Path, extra: str) -> None:
    config = site / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")


def sync(site: Path, *args: str) -> str:
    assert main(["sync", "--source", str(site), *args]) == EXIT_OK
    return (site / SNAPSHOT_PATH).read_text(encoding="utf-8")


@respx.mock
@pytest.mark.parametrize(
    ("name", "token"), [("categ_materials_anon", None), ("categ_materials_reader", TOKEN)]
)
def test_the_snapshot_holds_every_public_material_and_nothing_protected(
    site: Path, monkeypatch: pytest.MonkeyPatch, name: str, token: str | None
) -> None:
    if token:
        monkeypatch.setenv("INDICO_TOKEN", token)
    else:
        monkeypatch.delenv("INDICO_TOKEN", raising=False)
        configure(site, "  anonymous: true\n")
    serve(name)
    text = sync(site)
    assert [p for p in PUBLIC if p not in text] == []
    assert [s for s in SECRET if s.casefold() in text.casefold()] == []
    assert TOKEN not in text
    steering = [m for m in load_snapshot(site) if m.id == "6"]
    assert len(steering) == (1 if token else 0)  # with the token: title only
    assert all(m.materials == () and m.minutes is None for m in steering)


@respx.mock
def test_full_mode_stores_what_the_reader_may_read(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    configure(site, "  protected: full\n")
    serve("categ_materials_reader")
    text = sync(site)
    for kept in ("Internal notes", "Backup slides", "Steering agenda", "Steering minutes"):
        assert kept in text, kept
    assert "javascript:" not in text and "onerror" not in text


@respx.mock
def test_a_build_after_leaving_full_mode_publishes_no_protected_material(
    site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Under `full` a protected attachment is stored flagged; a build after the policy went
    back to `title` (offline, before any sync) drops it, and a public one stays."""
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    configure(site, "  protected: full\n")
    serve("categ_materials_reader")
    sync(site)
    stored = load_snapshot(site)
    talks = [m for meeting in stored for talk in meeting.talks for m in talk.materials]
    flagged = {m.title for m in [*talks, *(m for x in stored for m in x.materials)] if m.protected}
    assert flagged == {"Internal notes (WG members)", "Backup slides (WG only)", "Steering agenda"}
    config = site / "_config.yml"
    config.write_text(config.read_text("utf-8").replace("protected: full", "protected: title"))
    out = tmp_path / "_site"
    templates = Path(__file__).parent.parent / "templates"
    built = ["build", "--source", str(site), "--out", str(out), "--templates", str(templates)]
    assert main(built) == EXIT_OK
    site_text = "\n".join(p.read_text("utf-8") for p in out.rglob("*") if p.is_file())
    assert [s for s in SECRET if s.casefold() in site_text.casefold()] == []
    assert "GraphNeT status slides" in site_text and "normalizing-flows.pptx" in site_text


@respx.mock
@pytest.mark.parametrize(
    "switch", ["  materials: false\n", "  protected: full\n  materials: false\n"]
)
def test_indico_materials_false_stores_none(
    site: Path, monkeypatch: pytest.MonkeyPatch, switch: str
) -> None:
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    configure(site, switch)
    serve("categ_materials_reader")
    text = sync(site)
    assert '"materials"' not in text and '"minutes"' not in text
    assert "GNN ML WG meeting #41" in text


@respx.mock
def test_an_override_hides_one_events_materials(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    configure(site, "  overrides:\n    http://127.0.0.1:8000/event/3/: {materials: false}\n")
    serve("categ_materials_reader")
    sync(site)
    by_id = {m.id: m for m in load_snapshot(site)}
    assert by_id["3"].materials == () and by_id["3"].minutes is None
    assert all(not t.materials and t.minutes is None for t in by_id["3"].talks)
    assert by_id["1"].minutes is not None  # the other events keep theirs


@pytest.mark.parametrize("bad", ["materials: maybe", "overrides: {'3': {materials: 1}}"])
def test_a_materials_switch_that_is_not_a_boolean_is_a_config_error(
    site: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    configure(site, f"  {bad}\n")
    assert main(["sync", "--source", str(site)]) == EXIT_ERROR
    assert "materials: expected true or false" in capsys.readouterr().err


@respx.mock
def test_the_report_names_new_materials_and_minutes(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    configure(site, "  materials: false\n")
    serve("categ_materials_reader")
    sync(site)
    config = site / "_config.yml"
    config.write_text(config.read_text("utf-8").replace("  materials: false\n", ""), "utf-8")
    capsys.readouterr()
    sync(site)
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "GNN ML WG meeting #41" in line]
    assert line.startswith("~ ")
    assert "+ slides 'GraphNeT status slides' for 'GraphNeT: status and plans'" in line
    assert "+ recording 'Zoom recording'" in line and "+ minutes" in line
    assert "more material changes" in line  # event 3 has 10: eight are named
    [first] = [line for line in out.splitlines() if "GNN ML WG meeting #39" in line]
    assert first.endswith("(+ minutes)  http://127.0.0.1:8000/event/1/")
    assert "steering" not in out.casefold()  # event 6: title only, nothing to report


def test_the_snapshot_block_and_its_round_trip() -> None:
    start = START
    slides = Material(
        title="Status", url="https://x.org/s.pdf", kind=MaterialKind.SLIDES, folder="Slides",
        filename="s.pdf", content_type="application/pdf", size=603,
    )  # fmt: skip
    video = Material(
        title="Video", url="https://youtu.be/x", kind=MaterialKind.RECORDING, link=True,
        protected=True,
    )  # fmt: skip
    talk = Talk(title="T", start=start, end=start.replace(hour=16, minute=20), materials=(slides,))
    bare = meeting(1, start)
    rich = meeting(
        1, start, talks=(talk,), materials=(video,), minutes=Minutes(html="<p>M</p>", url="")
    )
    assert parse_snapshot(render_snapshot([rich]), path=Path("m.yml")) == [rich]
    block = render_snapshot([rich]).split('"meetings": [\n', 1)[1].splitlines()
    assert len(block) == 6  # the four lines of the meeting, "]" and "}"
    assert block[2] == (
        '     "talks": [{"title": "T", "start": "2026-11-11T16:00:00+01:00", "speakers": [], '
        '"end": "2026-11-11T16:20:00+01:00", "materials": [{"title": "Status", '
        '"url": "https://x.org/s.pdf", "kind": "slides", "folder": "Slides", '
        '"filename": "s.pdf", "content_type": "application/pdf", "size": 603}]}], '
        '"materials": [{"title": "Video", "url": "https://youtu.be/x", "kind": "recording", '
        '"link": true, "protected": true}], "minutes": {"html": "<p>M</p>", "url": ""},'
    )
    # A meeting without materials is written as before: no new keys, no churn.
    plain = render_snapshot([bare])
    assert '"materials"' not in plain and '"minutes"' not in plain
    assert '"talks": [],\n     "description": ""}' in plain
    assert parse_snapshot(render_snapshot([bare]), path=Path("m.yml")) == [bare]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('"materials": [{"title": "x", "url": "https://x.org", "kind": "poster"}]', "kind"),
        ('"materials": [{"title": "x", "kind": "slides"}]', "url: missing"),
        ('"materials": {"title": "x"}', "materials: expected list"),
        (
            '"materials": [{"title": "x", "url": "https://x.org", "kind": "slides", '
            '"protected": "no"}]',
            "protected: expected bool, got 'no'",
        ),
        ('"minutes": {"url": ""}', "html: missing"),
        ('"minutes": "text"', "minutes: expected"),
    ],
)
def test_a_hand_edited_material_is_reported_by_key(entry: str, problem: str) -> None:
    text = render_snapshot([meeting(1, START)])
    broken = text.replace('"talks": []', f'"talks": [], {entry}')
    with pytest.raises(SnapshotError, match=problem):
        parse_snapshot(broken, path=Path("m.yml"))


@respx.mock
def test_material_kinds_in_the_config_come_first(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    configure(site, "  material_kinds:\n    Agenda: other\n    Video of: minutes\n")
    serve("categ_materials_reader")
    sync(site)
    [event] = [m for m in load_snapshot(site) if m.id == "3"]
    kinds = {m.title: m.kind for m in event.materials}
    assert kinds["Agenda (PDF)"] is MaterialKind.OTHER  # a PDF, but the config says "other"
    assert kinds["Video of the meeting"] is MaterialKind.MINUTES
    assert kinds["Zoom recording"] is MaterialKind.RECORDING  # no configured word: derived


@pytest.mark.parametrize("bad", ["[slides]", "{poster: posters}", "{'': slides}"])
def test_bad_material_kinds_are_a_config_error(
    site: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    configure(site, f"  material_kinds: {bad}\n")
    assert main(["sync", "--source", str(site)]) == EXIT_ERROR
    assert "indico.material_kinds" in capsys.readouterr().err


def test_a_protected_meetings_materials_are_only_said_to_change() -> None:
    slides = Material(title="Budget 2027", url="https://x.org/b.pdf", kind=MaterialKind.SLIDES)
    old = meeting(1, START, protected=True)
    new = meeting(1, START, protected=True, materials=(slides,), minutes=Minutes(html="s"))
    assert describe_update(old, new, zone=None) == "materials changed"
    public = describe_update(
        replace(old, protected=False), replace(new, protected=False), zone=None
    )
    assert public == "+ slides 'Budget 2027'; + minutes"


@respx.mock
def test_the_build_drops_stored_materials_once_the_config_turns_them_off(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    serve("categ_materials_reader")
    sync(site)
    configure(site, "  materials: false\n")
    published = load_published(site, load_config(site).indico).meetings
    assert published and not any(m.materials or m.minutes for m in published)
    assert not any(t.materials or t.minutes for m in published for t in m.talks)


def test_each_protection_policy_on_a_protected_meetings_materials() -> None:
    slides = Material(title="Budget 2027", url="https://x.org/b.pdf", kind=MaterialKind.SLIDES)
    talk = Talk(title="T", materials=(slides,), minutes=Minutes(html="<p>t</p>"))
    secret = meeting(
        1, START, protected=True, talks=(talk,), materials=(slides,), minutes=Minutes(html="m")
    )
    [title] = protect_meetings([secret], Protection.TITLE)
    assert (title.materials, title.minutes, title.talks) == ((), None, ())
    assert protect_meetings([secret], Protection.HIDE) == []
    assert protect_meetings([secret], Protection.FULL) == [secret]
