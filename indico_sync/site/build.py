"""The build stage: site source + meeting snapshot -> a finished static site.

`build` reads like its steps: load the config, pages, templates and meetings
(`sources`, the only disk reads), render the whole site (`render.render_site`, pure;
half of the pages, half of the meeting pages and the calendar on the second core,
`worker`), the meeting pages going to a new folder as they are made (`writer.Stage`),
then put it in place atomically (`writer.write_site`). Any error before that leaves the
previous output as it was. `check` runs the same steps without writing.
"""

from __future__ import annotations

import functools
import logging
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from indico_sync.site import steps
from indico_sync.site.cache import (
    Manifest,
    calendar_path,
    events_path,
    fingerprint,
    folder_state,
    intact_state,
    is_fresh,
    load_manifest,
    manifest_path,
    now_span,
    render_manifest,
    rows_path,
    written_state,
)
from indico_sync.site.sources import load_assets, load_site_files, load_templates
from indico_sync.site.worker import Background, Deferred
from indico_sync.site_files import digests
from indico_sync.writer import CacheFile, Stage, check_output_folder, write_site, write_text

if TYPE_CHECKING:
    pass

# The rendering pipeline (Jinja, Markdown, icalendar, YAML) is imported where it is
# used, not here: a rebuild with nothing to do then costs little more than start-up.

log = logging.getLogger(__name__)

SPLIT_PAGES = 20
"""From this many Markdown files on, half of them are rendered on the second core."""
SPLIT_MEETINGS = 40
"""From this many meeting pages to render on, the later ones are rendered by a second child."""
CHILD_SHARE = 0.75
"""The share of those the child renders: this process also makes Home, its tables (about
half a meeting page's work per meeting), the other pages and the keys."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    pages: int  # pages and posts rendered
    meetings: int
    files: int
    fresh: bool = field(default=False, compare=False)  # nothing to do: the output was current
    reused: int = field(default=0, compare=False)  # meeting pages kept from the last build
    keys: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    converted: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    head: str = field(default="", compare=False, repr=False)  # the calendar's, to keep


def build(
    source: Path, out: Path, *, templates: Path, now: datetime, detach: bool = False
) -> BuildResult:
    """Build the site from `source` into `out`, replacing `out` atomically.

    When no input changed since the last build and no meeting started or ended
    since, the output folder already is the result, and the build stops there.
    A folder that is not a previous output is refused before anything is rendered.
    `detach`: the replaced output is deleted by another process (`writer.write_site`).
    """
    print_ = fingerprint([source, templates], skip=out)
    previous = load_manifest(out)
    if previous is not None and is_fresh(previous, print_=print_, now=now, out=out):
        log.debug("%s is up to date", out)
        return _unchanged(previous)
    protect = _protected(source, templates)
    known = previous.outputs if previous else ()
    intact = intact_state(out, previous)  # walks it once, for both
    check_output_folder(out, protect=protect, known=known, walked=intact is not None)
    stage, rows, events = Stage(out), CacheFile(rows_path(out)), CacheFile(events_path(out))
    try:
        files, result, span = _in_memory(
            source, templates=templates, now=now, out=out, old=previous, stage=stage,
            intact=intact is not None, rows=rows, events=events,
        )  # fmt: skip
        hashes = digests(files)
        old_hashes = previous.digests if previous is not None and intact is not None else {}
        written = write_site(
            out, files, stage=stage, previous=intact, protect=protect, known=known,
            detach=detach, hashes=(old_hashes, hashes),
        )  # fmt: skip
    except BaseException:
        stage.remove()
        rows.discard()
        events.discard()
        raise
    log.debug("wrote %d files to %s", result.files, out)
    _write_manifest(out, print_=print_, span=span, result=result, written=written, hashes=hashes)
    rows.keep()
    events.keep()
    from indico_sync.site.calendar import HeadStore

    HeadStore(calendar_path(out), result.head).save()
    return result


def check_output(source: Path, out: Path, *, templates: Path) -> None:
    """Raise OutputRefused now if a build could not replace `out` (before a sync)."""
    previous = load_manifest(out)
    check_output_folder(
        out,
        protect=_protected(source, templates),
        known=previous.outputs if previous else (),
    )


def check(source: Path, *, templates: Path, now: datetime) -> BuildResult:
    """Everything `build` does except writing: for pull requests and editors."""
    return _in_memory(source, templates=templates, now=now)[1]


def _in_memory(
    source: Path,
    *,
    templates: Path,
    now: datetime,
    out: Path | None = None,
    old: Manifest | None = None,
    stage: Stage | None = None,
    intact: bool = False,
    rows: CacheFile | None = None,
    events: CacheFile | None = None,
) -> tuple[dict[str, bytes], BuildResult, tuple[float, float]]:
    """The whole site, and what it holds: in memory, except the meeting pages when
    `stage` is given (written there as they are made, by both processes: `Staged`).

    A forked child on the machine's second core (`worker.Background`) renders the second
    half of the pages, then the calendar, while this process renders the rest. Each
    process imports the libraries it needs after the fork (Markdown in both, icalendar
    only in the child, Jinja only here), so those imports also run in parallel.
    """
    from indico_sync.config import load_config
    from indico_sync.meetings import sort_meetings
    from indico_sync.snapshot import load_published

    config = load_config(source)
    site_files = load_site_files(source, skip=out)
    # After a build, each meeting's details are read when used: most are not (`Later`).
    snapshot = load_published(source, config.indico, later=old is not None)
    meetings = snapshot.meetings
    sources = (*site_files.pages, *site_files.posts)
    split = len(sources) // 2 if len(sources) >= SPLIT_PAGES else len(sources)
    markdown = steps.markdown_keys(sources, config)
    old_html = old.converted if old and intact else {}  # only beside an untouched output
    converted = {name: old_html[key] for name, key in markdown.items() if key in old_html}
    ics = functools.partial(
        steps.render_calendar, config, meetings, stage, out, events, digests=snapshot.digests,
        reuse=intact,
    )  # fmt: skip
    helper = Background(
        [functools.partial(steps.pickled_pages, sources[split:], config, converted), ics]
    )
    helpers = [helper]
    try:
        later: list[str] = []
        if old is None:  # nothing to reuse: the second child starts on the meeting pages at
            # once, given the pages' front matter only (all a meeting page shows of them)
            nav = steps.parse_pages(sources, config, dict.fromkeys(markdown, ""))
            later = _later([meeting.page_slug for meeting in sort_meetings(meetings)])
            helpers += steps.meeting_child(config, nav, meetings, templates, later, stage)
        pages = steps.parse_pages(sources[:split], config, converted)
        pages += pickle.loads(helper.next())  # noqa: S301  # our own child's bytes

        from indico_sync.site.render import render_site

        keys: dict[str, str] = {}
        reuse: dict[str, tuple[bytes, ...]] = {}
        if old is not None:
            keys, reuse = steps.keys_and_reuse(
                config, pages, meetings, templates=templates, out=out, old=old, intact=intact,
                digests=snapshot.digests,
            )  # fmt: skip
            for meeting in meetings:  # new to this code and config: read whole, fail here
                if keys[meeting.page_slug] != old.keys.get(meeting.page_slug):
                    meeting.read()
            later = _later([slug for slug in keys if slug not in reuse])  # chronological
            helpers += steps.meeting_child(config, pages, meetings, templates, later, stage)
        elif out is not None:  # for the next build, made while the child renders
            keys = steps.keys_and_reuse(
                config, pages, meetings, templates=templates, out=None, old=None,
                digests=snapshot.digests,
            )[0]  # fmt: skip
        made, calendar = Deferred(reuse, set(later), helpers[-1].next), _Calendar()
        files = render_site(
            config=config,
            pages=pages,
            meetings=meetings,
            static=site_files.static,
            assets=load_assets(templates),
            env=load_templates(templates),
            now=now,
            calendar=lambda: calendar.set(pickle.loads(helper.next())),  # noqa: S301  # ours
            updated=snapshot.updated,
            reuse=made,
            stage=stage,
            rows=steps.row_cache(keys, out, rows, reuse=intact),
        )
    finally:
        for each in helpers:
            each.cancel()  # only does something when rendering failed first
    names = {str(file.path): file.name for file in sources}
    result = BuildResult(
        pages=len(pages),
        meetings=len(meetings),
        files=len(files),
        reused=len(reuse),
        keys=keys,
        converted={markdown[names[page.source]]: page.html for page in pages},
        head=calendar.head,
    )
    return files, result, now_span(meetings, now)


class _Calendar:
    """The child's meetings.ics, and the header it made to keep for the next build."""

    head = ""

    def set(self, made: tuple[bytes, str]) -> bytes:
        content, self.head = made
        return content


def _later(todo: Sequence[str]) -> list[str]:
    """The meeting pages the second child renders: the later `CHILD_SHARE` of `todo`."""
    if len(todo) < SPLIT_MEETINGS:
        return []
    return list(todo[len(todo) - int(len(todo) * CHILD_SHARE) :])


def _protected(source: Path, templates: Path) -> dict[str, Path]:
    """The input folders a build must never replace, by the name an error shows."""
    return {"the site source": source, "the templates folder": templates}


def _unchanged(previous: Manifest) -> BuildResult:
    """What the current output holds, as the manifest of the build that wrote it says."""
    files = len(previous.outputs)
    return BuildResult(pages=previous.pages, meetings=previous.meetings, files=files, fresh=True)


def _write_manifest(
    out: Path,
    *,
    print_: str,
    span: tuple[float, float],
    result: BuildResult,
    written: dict[str, tuple[int, int]],
    hashes: dict[str, str],
) -> None:
    """Record this build beside `out`, so the next one can tell it has nothing to do."""
    manifest = Manifest(
        fingerprint=print_,
        valid_from=span[0],
        valid_until=span[1],
        outputs=written_state(written),
        pages=result.pages,
        meetings=result.meetings,
        keys=result.keys,
        converted=result.converted,
        folders=folder_state(out, written),
        digests=hashes,
    )
    write_text(manifest_path(out), render_manifest(manifest), durable=False)  # only a cache
