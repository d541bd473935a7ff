"""The build's steps that `build.py` runs in this process or in a forked child: each
takes what it needs and gives bytes (pickled where a child sends them back) or a
mapping, so `_in_memory` reads as the plan of who does what when.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from indico_sync.site.cache import (
    Manifest,
    calendar_path,
    code_fingerprint,
    events_path,
    fingerprint,
    load_entries,
    load_rows,
    reusable_pages,
    row_entry,
)
from indico_sync.site.sources import load_templates
from indico_sync.site.worker import Background
from indico_sync.writer import CacheFile, Stage

if TYPE_CHECKING:
    from indico_sync.config import Config
    from indico_sync.meetings import Meeting
    from indico_sync.site.pages import Page, SourceFile
    from indico_sync.site.tables import RowCache


def meeting_child(
    config: Config,
    pages: Sequence[Page],
    meetings: Sequence[Meeting],
    templates: Path,
    later: Sequence[str],
    stage: Stage | None,
) -> list[Background]:
    """The second child, rendering the meeting pages in `later` (none: no child)."""
    if not later:
        return []
    work = functools.partial(render_meeting_pages, config, pages, meetings, templates, later, stage)
    return [Background([work])]


def row_cache(
    keys: Mapping[str, str], out: Path | None, rows: CacheFile | None, *, reuse: bool
) -> RowCache | None:
    """Home's rows: those of the last build (beside an untouched output), and `rows` to
    keep this build's in."""
    from indico_sync.site.tables import RowCache

    if out is None or rows is None:
        return None
    return RowCache(keys, load_rows(out) if reuse else {}, _recorder(rows))


def keys_and_reuse(
    config: Config,
    pages: Sequence[Page],
    meetings: Sequence[Meeting],
    *,
    templates: Path,
    out: Path | None,
    old: Manifest | None,
    intact: bool = False,
    digests: Mapping[int, bytes] | None = None,
) -> tuple[dict[str, str], dict[str, tuple[bytes, ...]]]:
    """Each meeting page's key, and the previous output's files (to link) of those whose key is
    unchanged: a meeting page depends on the templates, the code, the config, the site's
    nav and links, its meeting and its neighbours (`meeting_pages.page_keys`)."""
    from indico_sync.site.meeting_pages import ICS, page_keys
    from indico_sync.site.render import build_site_view

    site = build_site_view(config, pages)
    where = replace(config, path=Path(config.path.name))  # not as spelled: the same pages
    salt = f"{fingerprint([templates], skip=None)}\0{where!r}\0{site!r}"
    keys = page_keys(meetings, salt=salt, digests=digests)
    if out is None:
        return keys, {}
    paths = ["meetings/{slug}/index.html", f"meetings/{{slug}}/{ICS}"]
    return keys, reusable_pages(out, old, keys, paths, intact=intact)


def markdown_keys(sources: Sequence[SourceFile], config: Config) -> dict[str, str]:
    """A key for each file's converted body, by file name: a hash of all it depends on
    (its text, the site's config and this code), to find it in the last build's manifest."""
    salt = f"{code_fingerprint()}\0{config.site!r}\0{config.baseurl}\0".encode()
    keys = {}
    for file in sources:
        digest = hashlib.blake2b(salt, digest_size=16)
        digest.update(f"{file.name}\0{file.text}".encode(errors="surrogatepass"))
        keys[file.name] = digest.hexdigest()
    return keys


def parse_pages(
    sources: Sequence[SourceFile], config: Config, converted: Mapping[str, str]
) -> list[Page]:
    from indico_sync.site.pages import parse_sources

    zone = config.timezone or UTC
    return parse_sources(
        sources, site=config.site, baseurl=config.baseurl, zone=zone, converted=converted
    )


def pickled_pages(
    sources: Sequence[SourceFile], config: Config, converted: Mapping[str, str]
) -> bytes:
    return pickle.dumps(parse_pages(sources, config, converted))


def render_meeting_pages(
    config: Config,
    pages: Sequence[Page],
    meetings: Sequence[Meeting],
    templates: Path,
    slugs: Sequence[str],
    stage: Stage | None,
) -> bytes:
    """The pages of the meetings in `slugs`, by slug: written to `stage` (`Staged`) if given."""
    from indico_sync.site.meeting_pages import meeting_pages_only

    env = load_templates(templates)
    made: dict[str, list[bytes]] = {}
    for meeting, path, content in meeting_pages_only(config, pages, meetings, env, set(slugs)):
        kept = stage.put(path, content) if stage else content
        made.setdefault(meeting.page_slug, []).append(kept)
    return pickle.dumps({slug: tuple(files) for slug, files in made.items()})


def render_calendar(
    config: Config,
    meetings: Sequence[Meeting],
    stage: Stage | None,
    out: Path | None,
    events: CacheFile | None = None,
    *,
    digests: Mapping[int, bytes] | None = None,
    reuse: bool = False,
) -> bytes:
    """meetings.ics, pickled: written to `stage` (`Staged`) if given, else its bytes; and the
    header to keep beside `out` for the next build, or "" (`calendar.stored_head`).

    `events`: where each event goes for the next build (`calendar.EventStore`), which takes
    those of the last one when `reuse` (beside an untouched output) and the meetings have
    their bytes' `digests`. Written here to the end: this may be a forked child."""
    from indico_sync.site.calendar import EventStore, HeadStore, render_meetings_calendar

    kept = None
    if events is not None and out is not None:
        old = load_entries(events_path(out)) if reuse else {}
        kept = EventStore(old, _recorder(events), digests or {})
    store = HeadStore(calendar_path(out), events=kept) if out is not None else None
    calendar = render_meetings_calendar(config, meetings, store=store)
    if events is not None:
        events.flush()
    made = stage.put("meetings.ics", calendar) if stage else calendar
    return pickle.dumps((made, store.made if store else ""))


def _recorder(file: CacheFile) -> Callable[[str, str], None]:
    """Each (key, text) it is given, written to `file` as a `cache.RowFile` entry."""

    def record(key: str, text: str) -> None:
        file.write(row_entry(key, text))

    return record
