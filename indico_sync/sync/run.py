"""The sync stage: Indico -> Meeting records -> `_data/meetings.yml`.

Reads like its steps: load the config and the stored meetings, refuse a sync without
a token over meetings synced with one, fetch every source, normalise, merge, apply
the protected-meetings policy and the overrides, diff, guard against data loss, write
only if the bytes changed. Any failure raises before the file is touched.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from indico_sync.config import Config, load_config
from indico_sync.meetings import Meeting, Protection
from indico_sync.policy import publishable
from indico_sync.snapshot import SNAPSHOT_PATH, Snapshot, load_snapshot_file, render_snapshot
from indico_sync.sync.indico import (
    FetchOptions,
    Window,
    check_token,
    fetch_sources,
    make_client,
)
from indico_sync.sync.materials import MaterialOptions
from indico_sync.sync.normalise import normalise_events
from indico_sync.sync.rules import (
    Changes,
    check_removals,
    check_token_kept,
    diff_meetings,
    merge_meetings,
)
from indico_sync.untrusted import plural
from indico_sync.writer import write_text

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncResult:
    changes: Changes
    meetings: int
    written: bool
    path: Path
    zone: ZoneInfo | None  # the site's zone, for reporting times as the site shows them


def sync(
    source_dir: Path,
    *,
    token: str | None,
    allow_removals: bool = False,
    today: date,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> SyncResult:
    """Fetch every configured source and update the snapshot; raise on any failure.

    `now` (default: the clock) is recorded as the time the meetings last changed,
    only when they did change.
    """
    with _collector_paused():
        config = load_config(source_dir)
        if config.indico.anonymous and token:
            log.info("indico.anonymous is true: INDICO_TOKEN is not used")
            token = None
        snapshot = load_snapshot_file(source_dir)
        stored = snapshot.meetings
        check_token_kept(
            snapshot, token=token is not None, allow=allow_removals or config.indico.anonymous
        )
        window = sync_window(today, config)
        fetched = fetch_meetings(config, window=window, token=token, client=client)
        merged = merge_meetings(
            stored, fetched, window=(window.start, window.end), zone=config.timezone
        )
        # Here so what must not be published (protected details, hidden events, materials
        # turned off) is never stored in git; `snapshot.load_published` applies the same
        # again at build, for a config changed since this sync.
        merged = publishable(merged, config.indico)
        changes = diff_meetings(stored, merged)
        check_removals(changes, stored=len(stored), allow=allow_removals)
        path = source_dir / SNAPSHOT_PATH
        written = _write(path, snapshot, merged, with_token=token is not None, now=now)
    return SyncResult(
        changes=changes,
        meetings=len(merged),
        written=written,
        path=path,
        zone=config.timezone,
    )


def _write(
    path: Path, stored: Snapshot, merged: list[Meeting], *, with_token: bool, now: datetime | None
) -> bool:
    """Write the new snapshot if its bytes differ; most scheduled runs change nothing."""
    changed = merged != stored.meetings
    if not changed and stored.with_token is with_token and path.exists():
        return False
    updated = (now or datetime.now(UTC)).replace(microsecond=0) if changed else stored.updated
    text = render_snapshot(merged, with_token=with_token, updated=updated)
    if _current_text(path) == text:
        return False
    write_text(path, text)
    return True


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the whole sync.

    A sync makes millions of objects (parsed JSON, meetings, the snapshot's text) and
    no reference cycles worth collecting, yet the new objects trigger full collections
    that each walk all of them: about 60 ms of a fresh 1,000-event sync (README, speed
    tricks).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sync_window(today: date, config: Config) -> Window:
    """From `past_days` before today to `future_days` after it (whole days)."""
    return Window(
        start=today - timedelta(days=config.indico.past_days),
        end=today + timedelta(days=config.indico.future_days),
    )


def fetch_meetings(
    config: Config, *, window: Window, token: str | None, client: httpx.Client | None
) -> dict[str, list[Meeting]]:
    """Every source's meetings, normalised, keyed by source.

    The policy for protected meetings and the overrides are applied by `sync`, to the
    merged meetings, so they hold for stored meetings outside the window too.
    """
    indico = config.indico
    options = FetchOptions(
        window=window,
        zone=config.timezone.key if config.timezone else None,
        authenticated=token is not None,
        retries=indico.retries,
        timeout=indico.timeout,
    )
    if token is not None:
        check_token(token, indico.sources)
    own_client = client is None
    http = client or make_client(timeout=options.timeout, token=token)
    try:
        raw = fetch_sources(http, indico.sources, options)
    finally:
        if own_client:
            http.close()
    fetched = {}
    for source in indico.sources:
        fetched[source.key] = normalise_events(
            raw[source.key],
            source=source.key,
            category_id=None if source.subcategories else source.category,
            default_type=indico.default_type,
            include_hidden=indico.include_hidden,
            materials=MaterialOptions(
                enabled=indico.materials,
                keep_protected=indico.protected is Protection.FULL,
                kinds=indico.material_kinds,
            ),
        )
        log.info("%s: %s", source.key, plural(len(fetched[source.key]), "meeting"))
    return fetched


def _current_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
