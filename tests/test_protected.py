"""Protected meetings end to end: the `indico.protected` policy and the missing-token guard.

The real sync and build run (`main(["run", ...])`) against the lab's category export
recorded with the reader's token (`categ_reader_token_contribs.json`), served with
respx. Event 6, "GNN ML WG steering group (restricted)", is the lab's protected event
(`hasAnyProtection: true`; anonymous exports omit it). The recording has its
description; the tests add talks, a Zoom room, minutes and materials to it, as a real
group's protected meeting would have, and look for every one of them in the whole
output tree: the snapshot, every built file and meetings.ics.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import respx
from helpers import LOCAL_INDICO, serve_category

from indico_sync.cli import EXIT_ERROR, EXIT_OK, EXIT_SYNC_FAILED, main
from indico_sync.snapshot import SNAPSHOT_PATH, load_snapshot_file, render_snapshot

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "indico"
NOW = "2026-11-22T12:00:00+00:00"  # event 6 (25 November) is the next meeting
TOKEN = "indp_" + "R3ad3r" * 7
TITLE = "GNN ML WG steering group (restricted)"
RECORDED = json.loads((FIXTURES / "categ_reader_token_contribs.json").read_text("utf-8"))
# What only members may see: the recorded description, and what the test adds.
SECRETS = (
    "Closed meeting of the conveners",
    "Budget for 2027",
    "Secret Speaker",
    "Hidden Institute",
    "zoom.us/j/999",
    "PASSCODE-31337",
    "Confidential slides",
    "secret minutes",
)
CONFIG = "title: Test WG\nurl: https://wg.example.org\ntimezone: Europe/Zurich\n" + LOCAL_INDICO
INDEX = "---\nlayout: home\ntitle: Home\n---\n# Meetings\n\n{% include meetings.html %}\n"


def with_secrets() -> dict[str, Any]:
    """The recorded export, event 6 given talks, a Zoom room, minutes and materials."""
    data: dict[str, Any] = copy.deepcopy(RECORDED)
    [event] = [e for e in data["results"] if e["id"] == "6"]
    assert event["hasAnyProtection"] is True and event["title"] == TITLE
    speaker = {"first_name": "Secret", "last_name": "Speaker", "affiliation": "Hidden Institute"}
    event["contributions"] = [
        {
            "title": "Budget for 2027",
            "startDate": {"date": "2026-11-25", "time": "10:00:00", "tz": "Europe/Zurich"},
            "speakers": [speaker],
        }
    ]
    event["room"] = event["roomFullname"] = "https://cern.zoom.us/j/999?pwd=PASSCODE-31337"
    event["location"] = "Zoom"
    event["note"] = {"html": "<p>The secret minutes</p>", "url": "http://127.0.0.1:8000/n"}
    event["folders"] = [
        {
            "title": "Confidential slides",
            "is_protected": True,
            "attachments": [{"title": "Confidential slides", "is_protected": True}],
        }
    ]
    return data


def serve(data: dict[str, Any]) -> respx.Route:
    return serve_category(data)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    source = tmp_path / "site_src"
    source.mkdir()
    (source / "_config.yml").write_text(CONFIG, encoding="utf-8")
    (source / "index.md").write_text(INDEX, encoding="utf-8")
    return source


def configure(site: Path, extra: str) -> None:
    config = site / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")


def run(site: Path, *args: str) -> int:
    paths = ["--source", str(site), "--out", str(site.parent / "_site")]
    return main(["run", *args, *paths, "--templates", str(ROOT / "templates"), "--now", NOW])


def output_tree(site: Path) -> dict[str, str]:
    """Every file the sync and the build wrote, as text."""
    files = {"snapshot": (site / SNAPSHOT_PATH).read_text(encoding="utf-8")}
    for path in sorted((site.parent / "_site").rglob("*")):
        if path.is_file() and path.suffix in {".html", ".ics", ".xml", ".txt"}:
            files[str(path.relative_to(site.parent))] = path.read_text(encoding="utf-8")
    return files


def found(files: dict[str, str], text: str) -> list[str]:
    return [name for name, content in files.items() if text in content]


def next_meeting(site: Path) -> str:
    home = (site.parent / "_site" / "index.html").read_text(encoding="utf-8")
    return home.split('<div class="next-meeting">', 1)[1].split("</div>", 1)[0]


@respx.mock
def test_title_policy_publishes_only_title_time_link_and_login_required(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default: title, date and time, link and "login required"; nothing else anywhere."""
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    serve(with_secrets())
    assert run(site) == EXIT_OK
    files = output_tree(site)
    assert {secret: found(files, secret) for secret in SECRETS} == {s: [] for s in SECRETS}
    [stored] = [m for m in load_snapshot_file(site).meetings if m.id == "6"]
    assert (stored.title, stored.protected, stored.url) == (
        TITLE,
        True,
        "http://127.0.0.1:8000/event/6/",
    )
    assert stored.start.isoformat() == "2026-11-25T10:00:00+01:00"
    assert (stored.talks, stored.description, stored.location, stored.type) == ((), "", "", None)
    banner = next_meeting(site)
    assert TITLE in banner and "25 November 2026, 10:00 (CET)" in banner
    assert "login required" in banner and "http://127.0.0.1:8000/event/6/" in banner
    assert "Login required.\\nIndico: http://127.0.0.1:8000/event/6/" in files["_site/meetings.ics"]
    assert "Søgaard" in files["_site/index.html"]  # public meetings keep their talks


@respx.mock
def test_recorded_event_under_the_title_policy_keeps_its_description_off_the_record(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lab's protected event exactly as recorded: its description is nowhere."""
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    serve(RECORDED)
    assert run(site) == EXIT_OK
    files = output_tree(site)
    assert found(files, TITLE) and not found(files, "Closed meeting of the conveners")
    assert '"description": ""' in files["snapshot"].split(TITLE, 1)[1].split("}", 1)[0] + "}"


@respx.mock
def test_hide_policy_lists_and_stores_nothing(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`hide`: the protected meeting is not listed, not in the calendar, not stored."""
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    configure(site, "  protected: hide\n")
    serve(with_secrets())
    assert run(site) == EXIT_OK
    files = output_tree(site)
    assert found(files, TITLE) == [] and found(files, "/event/6/") == []
    assert {secret: found(files, secret) for secret in SECRETS} == {s: [] for s in SECRETS}
    assert "GNN ML WG meeting #43 (in person)" in next_meeting(site)


@respx.mock
def test_full_policy_publishes_what_the_token_reads(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`full`: talks, speakers, the description and the minutes are stored and shown (the
    group chose it); the made-up attachment, which has neither a type nor a URL, is not."""
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    configure(site, "  protected: full\n")
    serve(with_secrets())
    assert run(site) == EXIT_OK
    files = output_tree(site)
    for secret in ("Budget for 2027", "Secret Speaker", "Closed meeting of the conveners"):
        assert "snapshot" in found(files, secret), secret
    assert "Budget for 2027" in files["_site/index.html"]
    assert "Budget for 2027: Secret Speaker" in files["_site/meetings.ics"]
    assert "login required" in next_meeting(site)
    assert "snapshot" in found(files, "secret minutes")
    assert found(files, "Confidential slides") == []


@respx.mock
def test_switching_to_the_title_policy_strips_what_a_full_sync_stored(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot made under `full` is cleaned by the next build and the next sync."""
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    configure(site, "  protected: full\n")
    serve(with_secrets())
    assert run(site) == EXIT_OK
    config = site / "_config.yml"
    config.write_text(config.read_text("utf-8").replace("protected: full", "protected: title"))
    out = site.parent / "_site"
    built = ["build", "--source", str(site), "--out", str(out), "--now", NOW]
    assert main([*built, "--templates", str(ROOT / "templates")]) == EXIT_OK
    assert "Budget for 2027" not in (out / "index.html").read_text("utf-8")
    assert "Budget for 2027" not in (out / "meetings.ics").read_text("utf-8")
    assert run(site) == EXIT_OK
    assert {secret: found(output_tree(site), secret) for secret in SECRETS} == {
        s: [] for s in SECRETS
    }


def test_an_unknown_policy_is_a_config_error(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in `indico.protected` is one error naming the key and the choices."""
    configure(site, "  protected: titel\n")
    assert main(["sync", "--source", str(site)]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "indico.protected: expected one of title, hide, full, got 'titel'" in err


# --- a missing token --------------------------------------------------------------------


@pytest.fixture
def synced(site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """The site after a sync with the reader's token; then the token goes missing."""
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    with respx.mock:
        serve(RECORDED)
        assert run(site) == EXIT_OK
    assert load_snapshot_file(site).with_token is True
    monkeypatch.setenv("INDICO_TOKEN", "")
    capsys.readouterr()
    return site


@respx.mock
def test_an_empty_token_is_refused_and_the_last_site_is_built(
    synced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """INDICO_TOKEN="" after a sync with a token: exit 3, one line naming INDICO_TOKEN,
    the snapshot untouched and the protected meeting still on the rebuilt site."""
    route = serve(copy.deepcopy({**RECORDED, "results": RECORDED["results"][:3]}))
    before = (synced / SNAPSHOT_PATH).read_bytes()
    assert run(synced) == EXIT_SYNC_FAILED
    err = capsys.readouterr().err
    [line] = [line for line in err.splitlines() if line.startswith("error: ")]
    assert "INDICO_TOKEN" in line and "refusing to sync without a token" in line
    assert not route.called  # refused before asking Indico anything
    assert (synced / SNAPSHOT_PATH).read_bytes() == before
    assert TITLE in (synced.parent / "_site" / "index.html").read_text("utf-8")


@respx.mock
def test_allow_removals_lets_an_anonymous_sync_drop_the_protected_meeting(
    synced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--allow-removals: the anonymous sync goes through and records it made no use of a token."""
    anonymous = {**RECORDED, "results": [e for e in RECORDED["results"] if e["id"] != "6"]}
    serve(anonymous)
    assert run(synced, "--allow-removals") == EXIT_OK
    out = capsys.readouterr().out
    assert f"- 2026-11-25 10:00 CET  {TITLE}  http://127.0.0.1:8000/event/6/" in out
    snapshot = load_snapshot_file(synced)
    assert snapshot.with_token is False and "6" not in {m.id for m in snapshot.meetings}
    assert run(synced) == EXIT_OK  # and from then on the site is anonymous


@respx.mock
def test_a_site_configured_as_anonymous_syncs_without_the_token(
    synced: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`indico.anonymous: true`: no refusal, and a token in the environment is not sent."""
    configure(synced, "  anonymous: true\n")
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    route = serve({**RECORDED, "results": [e for e in RECORDED["results"] if e["id"] != "6"]})
    assert run(synced) == EXIT_OK
    assert "Authorization" not in route.calls[0].request.headers
    assert load_snapshot_file(synced).with_token is False


@respx.mock
def test_an_old_snapshot_holding_a_protected_meeting_counts_as_synced_with_a_token(
    synced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A snapshot from before `with_token` was recorded: a protected meeting in it shows
    a token made it, so an anonymous sync over it is refused too."""
    meetings = load_snapshot_file(synced).meetings
    (synced / SNAPSHOT_PATH).write_text(render_snapshot(meetings), encoding="utf-8")
    route = serve(RECORDED)
    assert run(synced) == EXIT_SYNC_FAILED
    assert "INDICO_TOKEN" in capsys.readouterr().err and not route.called
