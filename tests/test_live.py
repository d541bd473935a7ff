"""indico_sync against a real Indico, named by INDICO_LIVE_URL (opt-in, never in CI).

    INDICO_LIVE_URL=http://127.0.0.1:8000 [INDICO_LIVE_CATEGORY=1] [INDICO_TOKEN=indp_...] \\
        pytest -m live tests/test_live.py
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from helpers import EXAMPLE_SITE

from indico_sync.cli import main
from indico_sync.config import Source
from indico_sync.errors import IndicoAuthError
from indico_sync.snapshot import SNAPSHOT_PATH, load_snapshot
from indico_sync.sync.indico import FetchOptions, Window, fetch_category, make_client

ROOT = Path(__file__).parent.parent

LIVE_URL = os.environ.get("INDICO_LIVE_URL", "").rstrip("/")
TOKEN = os.environ.get("INDICO_TOKEN") or None
WINDOW = Window(start=date.today() - timedelta(days=3650), end=date.today() + timedelta(days=365))

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not LIVE_URL, reason="set INDICO_LIVE_URL to run against a real Indico"),
]


@pytest.fixture
def source() -> Source:
    return Source(url=LIVE_URL, category=int(os.environ.get("INDICO_LIVE_CATEGORY", "1")))


def client_for(token: str | None) -> httpx.Client:
    return make_client(timeout=30.0, token=token)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with client_for(TOKEN) as live_client:
        yield live_client


def test_fetches_a_real_category_in_small_pages(client: httpx.Client, source: Source) -> None:
    """Paging by 2 returns a non-empty list of distinct event dicts, each with an id and URL."""
    options = FetchOptions(window=WINDOW, authenticated=TOKEN is not None, page_size=2)
    events = fetch_category(client, source, options)
    assert events, f"no events in {source.key} between {WINDOW.start} and {WINDOW.end}"
    assert all(isinstance(event, dict) for event in events)
    event_ids = [event["id"] for event in events]
    assert all(isinstance(event_id, str) and event_id for event_id in event_ids)
    assert len(set(event_ids)) == len(event_ids)
    assert all(str(event["url"]).startswith(("http://", "https://")) for event in events)


def test_a_bad_token_is_an_auth_error(source: Source) -> None:
    """A well-formed but unknown personal token is rejected with IndicoAuthError."""
    bad_token = "indp_" + "x" * 42
    with client_for(bad_token) as bad_client, pytest.raises(IndicoAuthError) as caught:
        fetch_category(
            bad_client, source, FetchOptions(window=WINDOW, authenticated=True, retries=0)
        )
    assert bad_token not in str(caught.value)


def test_cli_sync_then_build_against_the_real_server(
    tmp_path: Path, source: Source, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real CLI syncs the category, a re-sync changes nothing, and the site builds."""
    site = tmp_path / "site_src"
    shutil.copytree(EXAMPLE_SITE, site)
    (site / SNAPSHOT_PATH).unlink()
    config = (site / "_config.yml").read_text(encoding="utf-8")
    config = config.replace("url: https://indico.cern.ch", f"url: {source.url}")
    config = config.replace("category: 14703", f"category: {source.category}")
    (site / "_config.yml").write_text(config, encoding="utf-8")
    assert main(["sync", "--source", str(site)]) == 0
    meetings = load_snapshot(site)
    assert meetings and all(m.source == source.key for m in meetings)
    first = (site / SNAPSHOT_PATH).read_bytes()
    assert main(["sync", "--source", str(site)]) == 0
    assert (site / SNAPSHOT_PATH).read_bytes() == first
    assert "0 added, 0 updated, 0 removed" in capsys.readouterr().out
    out = tmp_path / "_site"
    args = [
        "build",
        "--source",
        str(site),
        "--out",
        str(out),
        "--templates",
        str(ROOT / "templates"),
    ]
    assert main(args) == 0
    home = (out / "index.html").read_text(encoding="utf-8")
    assert all(m.url in home for m in meetings)


def test_materials_synced_from_the_real_server_hold_nothing_protected(
    tmp_path: Path, client: httpx.Client, source: Source
) -> None:
    """Every attachment Indico flags `is_protected` (or lists in a protected folder), and
    every non-http(s) link, is missing from the snapshot; the rest is in it."""
    events = fetch_category(client, source, FetchOptions(window=WINDOW, authenticated=bool(TOKEN)))
    holders = [h for e in events for h in (e, *(e.get("contributions") or []))]
    public: set[str] = set()
    secret: set[str] = set()
    for folder in (f for h in holders for f in h.get("folders") or []):
        for item in folder["attachments"]:
            url = item.get("link_url") or item.get("download_url") or ""
            hidden = folder["is_protected"] or item["is_protected"] or not url.startswith("http")
            (secret if hidden else public).add(url)
    site = tmp_path / "site_src"
    site.mkdir()
    (site / "_config.yml").write_text(
        f"title: Live\nindico:\n  sources:\n    - url: {source.url}\n"
        f"      category: {source.category}\n      subcategories: true\n",
        encoding="utf-8",
    )
    assert main(["sync", "--source", str(site), "--allow-removals"]) == 0
    stored = {m.url for meeting in load_snapshot(site) for m in meeting.materials}
    stored |= {m.url for mt in load_snapshot(site) for t in mt.talks for m in t.materials}
    protected_events = {e["url"] for e in events if e.get("hasAnyProtection")}
    assert not secret & stored
    assert {u for u in public if not any(u.startswith(e) for e in protected_events)} <= stored
