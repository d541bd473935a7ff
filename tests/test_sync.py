"""The sync stage end to end, with Indico mocked at the HTTP layer."""

from __future__ import annotations

import gc
import json
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
import respx
from helpers import LOCAL_INDICO

from indico_sync.errors import IndicoAuthError, IndicoHTTPError, SyncRefused
from indico_sync.snapshot import SNAPSHOT_PATH, load_snapshot, load_snapshot_file
from indico_sync.sync import sync

FIXTURES = Path(__file__).parent / "fixtures" / "indico"
EXPORT = "http://127.0.0.1:8000/export/categ/1.json"
TODAY = date(2026, 11, 22)
TOKEN = "indp_" + "s3cr3t" * 7
CONFIG = (
    "title: Test WG\ntimezone: Europe/Zurich\n"
    + LOCAL_INDICO
    + "  past_days: 400\n  future_days: 100\n"
)


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def paged(first: str) -> respx.Route:
    """The category answers `first` at offset 0 and an empty page after it."""

    def answer(request: httpx.Request) -> httpx.Response:
        name = first if request.url.params["offset"] == "0" else "err_categ_nonexistent.json"
        return httpx.Response(200, content=body(name), headers={"Content-Type": "application/json"})

    return respx.get(EXPORT).mock(side_effect=answer)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "_config.yml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


@respx.mock
def test_first_sync_writes_the_category_and_reports_additions(site: Path) -> None:
    """Six events directly in category 1 are stored; the subcategory's two are not."""
    route = paged("categ_reader_token_contribs.json")
    result = sync(site, token=TOKEN, today=TODAY)
    assert result.written and result.meetings == 6
    assert len(result.changes.added) == 6 and not result.changes.removed
    assert {m.id for m in load_snapshot(site)} == {"1", "3", "4", "5", "6", "7"}
    params = route.calls[0].request.url.params
    assert (params["from"], params["to"], params["tz"]) == (
        "2025-10-18",
        "2027-03-02",
        "Europe/Zurich",
    )
    assert params["onlyauthed"] == "yes"


@respx.mock
def test_resync_without_changes_is_byte_identical(site: Path) -> None:
    """A second sync of the same data leaves the file's bytes and mtime alone."""
    paged("categ_reader_token_contribs.json")
    sync(site, token=None, today=TODAY)
    path = site / SNAPSHOT_PATH
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    result = sync(site, token=None, today=TODAY)
    assert not result.written and not result.changes
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


@respx.mock
def test_token_never_reaches_the_snapshot(site: Path) -> None:
    """The Bearer token is sent but is nowhere in what is stored."""
    route = paged("categ_reader_token_contribs.json")
    sync(site, token=TOKEN, today=TODAY)
    assert route.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in (site / SNAPSHOT_PATH).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("status", "name", "content_type", "error"),
    [
        (400, "categ_bad_token.html", "text/html; charset=utf-8", IndicoAuthError),
        (404, "err_categ_negative.html", "text/html; charset=utf-8", IndicoHTTPError),
        (500, "err_categ_negative.html", "text/html; charset=utf-8", IndicoHTTPError),
    ],
)
@respx.mock
def test_failed_sync_leaves_the_snapshot_untouched(
    site: Path, status: int, name: str, content_type: str, error: type[Exception]
) -> None:
    """Any Indico failure raises, and the stored file keeps its bytes."""
    paged("categ_reader_token_contribs.json")
    sync(site, token=TOKEN, today=TODAY)
    before = (site / SNAPSHOT_PATH).read_bytes()
    respx.get(EXPORT).mock(
        return_value=httpx.Response(
            status, content=body(name), headers={"Content-Type": content_type}
        )
    )
    with pytest.raises(error):
        sync(site, token=TOKEN, today=TODAY)
    assert (site / SNAPSHOT_PATH).read_bytes() == before
    assert TOKEN not in before.decode()
    assert gc.isenabled()  # paused during the sync, on again even after a failure


@respx.mock
def test_empty_answer_is_refused_by_the_guard(site: Path) -> None:
    """An empty 200 (wrong id, lost token) cannot wipe the stored meetings."""
    paged("categ_reader_token_contribs.json")
    sync(site, token=None, today=TODAY)
    before = (site / SNAPSHOT_PATH).read_bytes()
    paged("err_categ_nonexistent.json")
    with pytest.raises(SyncRefused, match="refusing to remove 6 of 6"):
        sync(site, token=None, today=TODAY)
    assert (site / SNAPSHOT_PATH).read_bytes() == before
    result = sync(site, token=None, today=TODAY, allow_removals=True)
    assert result.meetings == 0 and len(result.changes.removed) == 6


@respx.mock
def test_changes_in_indico_show_as_updates(site: Path) -> None:
    """A renamed event is reported as updated, not as removed + added."""
    paged("categ_reader_token_contribs.json")
    sync(site, token=None, today=TODAY)
    data = json.loads(body("categ_reader_token_contribs.json"))
    data["results"][0]["title"] = "Renamed"
    respx.get(EXPORT).mock(
        side_effect=lambda request: httpx.Response(
            200, json=data if request.url.params["offset"] == "0" else {"results": []}
        )
    )
    result = sync(site, token=None, today=TODAY)
    assert [m.title for m in result.changes.updated] == ["Renamed"]
    assert not result.changes.added and not result.changes.removed


@respx.mock
def test_a_token_to_this_machine_over_http_is_sent_silently(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """http://127.0.0.1 (the lab, the tests) is not cleartext on a network: no warning."""
    route = paged("categ_reader_token_contribs.json")
    sync(site, token=TOKEN, today=TODAY)
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


@respx.mock
def test_the_snapshot_records_when_its_meetings_last_changed(site: Path) -> None:
    """`updated` is the time of the last sync that changed a meeting, not of every sync,
    so a scheduled run that finds nothing new leaves the file's bytes alone."""
    first, later = datetime(2026, 11, 22, 6, tzinfo=UTC), datetime(2026, 11, 22, 12, tzinfo=UTC)
    paged("categ_reader_token_contribs.json")
    sync(site, token=TOKEN, today=TODAY, now=first)
    snapshot = load_snapshot_file(site)
    assert (snapshot.updated, snapshot.with_token) == (first, True)
    assert not sync(site, token=TOKEN, today=TODAY, now=later).written
    assert load_snapshot_file(site).updated == first
    data = json.loads(body("categ_reader_token_contribs.json"))
    data["results"][0]["title"] = "Renamed"
    respx.get(EXPORT).mock(
        side_effect=lambda request: httpx.Response(
            200, json=data if request.url.params["offset"] == "0" else {"results": []}
        )
    )
    result = sync(site, token=TOKEN, today=TODAY, now=later)
    assert result.written and load_snapshot_file(site).updated == later
    assert [m.title for m in result.changes.previous] == ["GNN ML WG meeting #39"]


@respx.mock
def test_overrides_and_the_policy_apply_to_stored_meetings_outside_the_window(
    site: Path,
) -> None:
    """A meeting that aged out of the window is still corrected and still protected."""
    paged("categ_reader_token_contribs.json")
    sync(site, token=TOKEN, today=TODAY)
    (site / "_config.yml").write_text(
        CONFIG.replace("  past_days: 400", "  past_days: 0\n  protected: hide")
        + "  overrides:\n    '3': {title: Kick-off}\n",
        encoding="utf-8",
    )
    data = json.loads(body("categ_reader_token_contribs.json"))
    data["results"] = [e for e in data["results"] if e["id"] not in {"1", "3"}]  # too old now
    respx.get(EXPORT).mock(
        side_effect=lambda request: httpx.Response(
            200, json=data if request.url.params["offset"] == "0" else {"results": []}
        )
    )
    result = sync(site, token=TOKEN, today=TODAY)
    titles = {m.id: m.title for m in load_snapshot_file(site).meetings}
    assert titles["3"] == "Kick-off" and "6" not in titles
    assert [m.id for m in result.changes.removed] == ["6"]
