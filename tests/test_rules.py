"""The sync's rules: merging, diffing, and the guards against losing meetings."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from indico_sync.errors import SyncRefused
from indico_sync.meetings import Meeting
from indico_sync.snapshot import Snapshot
from indico_sync.sync.normalise import normalise_events
from indico_sync.sync.rules import check_removals, check_token_kept, diff_meetings, merge_meetings

FIXTURES = Path(__file__).parent / "fixtures" / "indico"
SOURCE = "http://127.0.0.1:8000/category/1"
ZURICH = ZoneInfo("Europe/Zurich")
WINDOW = (date(2026, 1, 1), date(2027, 12, 31))


def meetings() -> list[Meeting]:
    data = json.loads((FIXTURES / "categ_reader_token_contribs.json").read_text(encoding="utf-8"))
    return normalise_events(data["results"], source=SOURCE, category_id=None)


def test_diff_reports_added_updated_removed() -> None:
    """Changes are computed by event URL, and equal meetings are not 'updated'."""
    old = meetings()
    new = [replace(old[0], title="Renamed"), *old[2:]]
    new.append(replace(old[1], id="99", url="http://127.0.0.1:8000/event/99/"))
    changes = diff_meetings(old, new)
    assert [m.title for m in changes.updated] == ["Renamed"]
    assert [m.id for m in changes.added] == ["99"]
    assert [m.id for m in changes.removed] == [old[1].id]
    assert changes.summary() == "1 added, 1 updated, 1 removed"
    assert not diff_meetings(old, list(old))


def test_merge_keeps_old_meetings_outside_the_window() -> None:
    """A meeting older than the fetched window stays; one inside it that vanished goes."""
    old = meetings()
    ancient = replace(old[0], id="0", url="u0", start=old[0].start.replace(year=2019))
    merged = merge_meetings([ancient, *old], {SOURCE: old[1:]}, window=WINDOW, zone=ZURICH)
    assert [m.id for m in merged] == ["0", *(m.id for m in old[1:])]


def test_merge_drops_meetings_of_sources_no_longer_configured() -> None:
    """Meetings whose source left the config are dropped, even outside the window."""
    old = meetings()
    elsewhere = replace(
        old[0], source="https://other/category/2", url="x", start=old[0].start.replace(year=2019)
    )
    assert merge_meetings([elsewhere], {SOURCE: old}, window=WINDOW, zone=ZURICH) == old


def test_guard_refuses_losing_more_than_half() -> None:
    """Removing more than half of the stored meetings needs --allow-removals."""
    old = meetings()
    changes = diff_meetings(old, old[:3])
    with pytest.raises(SyncRefused, match=r"refusing to remove 5 of 8 stored meetings"):
        check_removals(changes, stored=len(old), allow=False)
    check_removals(changes, stored=len(old), allow=True)
    check_removals(diff_meetings(old, old[:4]), stored=len(old), allow=False)


def test_token_guard_refuses_an_anonymous_sync_over_a_token_snapshot() -> None:
    """Without a token over meetings synced with one: refused, naming INDICO_TOKEN."""
    stored = Snapshot(meetings=[], with_token=True)
    with pytest.raises(SyncRefused, match="INDICO_TOKEN") as caught:
        check_token_kept(stored, token=False, allow=False)
    assert "\n" not in str(caught.value)
    check_token_kept(stored, token=False, allow=True)
    check_token_kept(stored, token=True, allow=False)
    check_token_kept(Snapshot(meetings=[], with_token=False), token=False, allow=False)
