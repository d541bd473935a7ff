"""The sync's rules, as pure functions of stored and fetched meetings.

What the new snapshot holds (`merge_meetings`), what changed (`diff_meetings`,
`Changes`), and the two guards that refuse a sync that would lose meetings
(`check_removals`, `check_token_kept`). The file they end up in is `snapshot.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from indico_sync.errors import SyncRefused
from indico_sync.meetings import Meeting, sort_meetings
from indico_sync.snapshot import Snapshot
from indico_sync.untrusted import plural


@dataclass(frozen=True, slots=True, kw_only=True)
class Changes:
    """What a sync changed, by meeting. `previous[i]` is `updated[i]` before the sync."""

    added: tuple[Meeting, ...] = ()
    updated: tuple[Meeting, ...] = ()
    removed: tuple[Meeting, ...] = ()
    previous: tuple[Meeting, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed"


def merge_meetings(
    stored: Iterable[Meeting],
    fetched: Mapping[str, Sequence[Meeting]],
    *,
    window: tuple[date, date],
    zone: ZoneInfo | None,
) -> list[Meeting]:
    """The new snapshot: what Indico returned, plus stored meetings outside the window.

    `fetched` maps every configured source's key to its meetings. A stored meeting of
    a configured source that starts outside the fetched window is kept: old meetings
    stay on the site after they age out of the window. Meetings of sources no longer
    configured are dropped.
    """
    merged = {m.key: m for m in stored if m.source in fetched and not _inside(m, window, zone)}
    for meetings in fetched.values():
        merged.update((m.key, m) for m in meetings)
    return sort_meetings(merged.values())


def _inside(meeting: Meeting, window: tuple[date, date], zone: ZoneInfo | None) -> bool:
    day = (meeting.start.astimezone(zone) if zone else meeting.start).date()
    return window[0] <= day <= window[1]


def diff_meetings(old: Iterable[Meeting], new: Iterable[Meeting]) -> Changes:
    before = {m.key: m for m in old}
    after = {m.key: m for m in new}
    updated = sort_meetings(m for k, m in after.items() if k in before and before[k] != m)
    return Changes(
        added=tuple(sort_meetings(m for k, m in after.items() if k not in before)),
        updated=tuple(updated),
        removed=tuple(sort_meetings(m for k, m in before.items() if k not in after)),
        previous=tuple(before[m.key] for m in updated),
    )


def check_removals(changes: Changes, *, stored: int, allow: bool) -> None:
    """Refuse a sync that drops more than half of the stored meetings.

    An empty 200 for a wrong category id or a lost token looks exactly like "no
    events", so a big loss must be confirmed with --allow-removals.
    """
    removed = len(changes.removed)
    if allow or removed == 0 or removed * 2 <= stored:
        return
    raise SyncRefused(
        f"refusing to remove {removed} of {plural(stored, 'stored meeting')} (more than half); "
        "check the category id and INDICO_TOKEN, or re-run with --allow-removals "
        "if this is intended; the snapshot was not changed"
    )


def check_token_kept(stored: Snapshot, *, token: bool, allow: bool) -> None:
    """Refuse a sync without a token over meetings that were synced with one.

    An empty or misnamed INDICO_TOKEN secret makes the sync anonymous, and an
    anonymous sync silently drops every protected meeting. `allow` is --allow-removals
    or `indico.anonymous: true` in the config.
    """
    if token or allow or not stored.synced_with_token:
        return
    raise SyncRefused(
        "refusing to sync without a token: INDICO_TOKEN is empty or unset, but the stored "
        "meetings were synced with one; set INDICO_TOKEN (the repository secret), or re-run "
        "with --allow-removals (or set indico.anonymous: true) to publish only public "
        "meetings; the snapshot was not changed"
    )
