"""The sync stage: Indico -> Meeting records -> `_data/meetings.yml`.

Reads like its steps: load the config and the stored meetings, fetch every source,
normalise, merge, diff, guard against data loss, write only if the bytes changed.
Any failure raises before the file is touched.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx

from indico_sync.config import Config, load_config
from indico_sync.indico import Window, check_token, fetch_sources, make_client
from indico_sync.meetings import Meeting, apply_overrides
from indico_sync.normalise import normalise_events
from indico_sync.snapshot import (
    SNAPSHOT_PATH,
    Changes,
    check_removals,
    diff_meetings,
    load_snapshot,
    merge_meetings,
    plural,
    render_snapshot,
)
from indico_sync.writer import write_text

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncResult:
    changes: Changes
    meetings: int
    written: bool
    path: Path


def sync(
    source_dir: Path,
    *,
    token: str | None,
    allow_removals: bool = False,
    today: date,
    client: httpx.Client | None = None,
) -> SyncResult:
    """Fetch every configured source and update the snapshot; raise on any failure."""
    with _collector_paused():
        config = load_config(source_dir)
        stored = load_snapshot(source_dir)
        window = sync_window(today, config)
        fetched = fetch_meetings(config, window=window, token=token, client=client)
        merged = merge_meetings(
            stored, fetched, window=(window.start, window.end), zone=config.timezone
        )
        changes = diff_meetings(stored, merged)
        check_removals(changes, stored=len(stored), allow=allow_removals)
        path = source_dir / SNAPSHOT_PATH
        written = False
        if merged != stored or not path.exists():  # most scheduled runs change nothing
            text = render_snapshot(merged)
            written = _current_text(path) != text
            if written:
                write_text(path, text)
    return SyncResult(changes=changes, meetings=len(merged), written=written, path=path)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the whole sync.

    A sync makes millions of objects (parsed JSON, meetings, the snapshot's text) and
    no reference cycles worth collecting, yet the new objects trigger full collections
    that each walk all of them: a third of a 10,000-event sync's time.
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
    """Every source's meetings, normalised and corrected, keyed by source."""
    indico = config.indico
    zone = config.timezone.key if config.timezone else None
    if token is not None:
        check_token(token, indico.sources)
    own_client = client is None
    http = client or make_client(timeout=indico.timeout, token=token)
    try:
        raw = fetch_sources(
            http,
            indico.sources,
            window=window,
            tz=zone,
            authenticated=token is not None,
            retries=indico.retries,
        )
    finally:
        if own_client:
            http.close()
    fetched = {}
    for source in indico.sources:
        meetings = normalise_events(
            raw[source.key],
            source=source.key,
            category_id=None if source.subcategories else source.category,
            default_type=indico.default_type,
            include_hidden=indico.include_hidden,
        )
        fetched[source.key] = apply_overrides(meetings, indico.overrides)
        log.info("%s: %s", source.key, plural(len(fetched[source.key]), "meeting"))
    return fetched


def _current_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
