"""A page per meeting: `meetings/<slug>/index.html`, its one-meeting `.ics`, its JSON-LD
(`structured.py`).

Pure, like `render.py`: meetings, the site's values and a Jinja environment go in, files
come out. Each page depends only on its meeting, its previous and next meeting (title,
slug, date and zone), the templates and the config, never on "now" or on the other meetings:
`page_keys` hashes exactly that, so a rebuild can reuse the bytes of every page whose key
did not change (`build.py` finds them in the previous output) and render only the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from jinja2 import Environment
from markupsafe import Markup

from indico_sync.config import Config
from indico_sync.meetings import Meeting, Talk, sort_meetings
from indico_sync.site.agenda import (
    MaterialView,
    MeetingRow,
    TalkRow,
    assemble_row,
    format_day,
    format_time,
    links,
    material_views,
    minutes_view,
    sanitise,
    talk_minutes,
)
from indico_sync.site.calendar import render_calendar
from indico_sync.site.pages import Page
from indico_sync.site.render import (
    NOT_FOUND,
    PageView,
    SiteView,
    build_page_view,
    build_site_view,
)
from indico_sync.site.structured import json_ld
from indico_sync.site.templating import render_template

ICS = "meeting.ics"


@dataclass(frozen=True, slots=True, kw_only=True)
class Neighbour:
    """The previous or next meeting, as the page links to it."""

    title: str
    href: str
    date: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TalkView:
    title: str
    talk: Talk  # speakers with affiliations
    time: str  # "15:10 (CET)", or "" when unscheduled
    iso: str
    duration: str  # "20 min", "1 h 30 min", or ""
    materials: tuple[MaterialView, ...]
    minutes: MaterialView | None  # its note on Indico, else the page's minutes section
    links: tuple[MaterialView, ...]  # the minutes, then the materials: what the page lists
    minutes_html: Markup  # shown in the page's minutes section


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingView:
    """What `templates/meeting.html` sees as `meeting`."""

    row: MeetingRow  # date, time, type, location, status: as on Home
    talks: tuple[TalkView, ...]
    materials: tuple[MaterialView, ...]
    minutes: MaterialView | None  # the note on Indico, if its URL is http(s)
    minutes_html: Markup  # sanitised again here, as defence in depth
    has_minutes: bool  # the meeting's or any talk's: the page has a minutes section
    ics: str  # the href of the one-meeting calendar
    json_ld: Markup
    previous: Neighbour | None
    next: Neighbour | None


def page_keys(
    meetings: Sequence[Meeting], *, salt: str, digests: Mapping[int, bytes] | None = None
) -> dict[str, str]:
    """Each meeting page's key, by slug: a hash of all its bytes depend on: every field of
    its meeting, and what it shows of the meetings before and after it.

    `salt` stands for the templates, the code and the config (`build.py` makes it).
    `digests`: hashes of the meetings' bytes in the snapshot (`Snapshot.digests`, by
    `id()`), which stand for every field of a record read from them (the config, which
    may change a meeting on its way to the site, is in `salt`); others are hashed whole.
    """
    digests = digests or {}
    ordered = sort_meetings(meetings)
    slugs = [m.page_slug for m in ordered]
    none = repr(None).encode()  # no neighbour, at either end
    shown = zip(ordered, slugs, strict=True)
    seen = [none, *(repr((m.title, s, m.start, m.timezone)).encode() for m, s in shown), none]
    salted = hashlib.blake2b(salt.encode(), digest_size=16)
    keys = {}
    for index, meeting in enumerate(ordered):
        digest = salted.copy()
        raw = digests.get(id(meeting))
        digest.update(b"file:" + raw if raw else b"record:" + repr(meeting).encode())
        digest.update(seen[index])  # the one before (seen[0] is None)
        digest.update(seen[index + 2])  # the one after
        keys[slugs[index]] = digest.hexdigest()
    return keys


def render_meeting_pages(
    *,
    config: Config,
    meetings: Sequence[Meeting],
    site: SiteView,
    page: PageView,
    env: Environment,
    reuse: Mapping[str, Sequence[bytes]],
    only: Collection[str] | None = None,
) -> Iterator[tuple[Meeting, str, bytes]]:
    """(meeting, path, bytes) of every page and `.ics` (of the slugs in `only`, if given);
    `reuse` has the bytes (page, ics) by slug of pages made elsewhere: the previous
    build's whose key did not change, the second core's."""
    for meeting, _, path, html, ics in _render(
        config=config, meetings=meetings, site=site, page=page, env=env, reuse=reuse, only=only
    ):
        yield meeting, f"{path}index.html", html
        yield meeting, f"{path}{ICS}", ics


def meeting_pages_only(
    config: Config, pages: Sequence[Page], meetings: Sequence[Meeting], env: Environment,
    slugs: Collection[str],
) -> Iterator[tuple[Meeting, str, bytes]]:  # fmt: skip
    """(meeting, path, bytes) of the pages and .ics of the meetings in `slugs`, as
    `render_site` makes them, one at a time."""
    missing = replace(build_page_view(NOT_FOUND, config=config, meetings=""), canonical="")
    site = build_site_view(config, pages)
    yield from render_meeting_pages(
        config=config, meetings=meetings, site=site, page=missing, env=env, reuse={}, only=slugs
    )


def _render(
    *,
    config: Config,
    meetings: Sequence[Meeting],
    site: SiteView,
    page: PageView,
    env: Environment,
    reuse: Mapping[str, Sequence[bytes]],
    only: Collection[str] | None = None,
) -> Iterator[tuple[Meeting, str, str, bytes, bytes]]:
    """(meeting, slug, folder, page, ics) of every meeting (in `only`, if given)."""
    base = f"{config.baseurl}/"
    root = f"{config.url}{base}" if config.url else ""
    ordered = sort_meetings(meetings)
    paths = [m.page_path for m in ordered]  # each once: the neighbours link to them too
    for index, meeting in enumerate(ordered):
        path = paths[index]
        slug = meeting.page_slug
        if only is not None and slug not in only:
            continue
        if slug in reuse:
            html, ics = reuse[slug]
        else:
            url = f"{root or base}{path}"
            before = _neighbour(ordered, paths, index - 1, base=base, config=config)
            after = _neighbour(ordered, paths, index + 1, base=base, config=config)
            view = build_view(meeting, before, after, config=config, base=base, path=path, url=url)
            layout = _page(page, meeting, path=path, url=url, site=site.title)
            html = render_template(env, "meeting.html", site=site, page=layout, meeting=view)
            ics = render_calendar(  # in UTC: no VTIMEZONE to build, one cached header
                [replace(meeting, timezone="UTC")],
                name=config.title,
                description=config.description,
                site_url=f"{config.url}{config.baseurl}/",
                pages=root,
            )
        yield meeting, slug, path, html, ics


def _page(page: PageView, meeting: Meeting, *, path: str, url: str, site: str) -> PageView:
    """The layout's `page` for this meeting: its title, path and canonical URL."""
    return replace(
        page,
        url=f"/{path}",
        href=url,
        title=meeting.title,
        head_title=f"{meeting.title} | {site}",
        canonical=url if url.startswith(("https://", "http://")) else "",
    )


def build_view(
    meeting: Meeting,
    before: Neighbour | None,
    after: Neighbour | None,
    *,
    config: Config,
    base: str,
    path: str,
    url: str,
) -> MeetingView:
    """What the page shows; `path` is `meeting.page_path`, `url` the page's own URL."""
    zone = config.timezone or meeting.zone
    minutes = meeting.minutes
    page_url = f"{base}{path}"
    talks = tuple(_talk(talk, zone=zone, page_url=page_url) for talk in meeting.talks)
    materials = tuple(material_views(meeting.materials))
    rows = [TalkRow(title=t.title, speakers=t.talk.speakers, materials=t.links) for t in talks]
    return MeetingView(
        row=assemble_row(
            meeting,
            zone=config.timezone,
            is_next=False,
            page_url=page_url,
            talks=rows,
            materials=materials,
        ),
        talks=talks,
        materials=materials,
        minutes=minutes_view(minutes, title=meeting.title, url=minutes.url if minutes else ""),
        minutes_html=sanitise(minutes.html) if minutes else Markup(),
        has_minutes=bool(minutes and minutes.html.strip()) or any(t.minutes_html for t in talks),
        ics=f"{page_url}{ICS}",
        json_ld=json_ld(meeting, config=config, url=url),
        previous=before,
        next=after,
    )


def _talk(talk: Talk, *, zone: ZoneInfo, page_url: str) -> TalkView:
    start = talk.start.astimezone(zone) if talk.start else None
    minutes = 0
    if talk.start and talk.end and talk.end > talk.start:
        minutes = int((talk.end - talk.start).total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    duration = f"{hours} h {rest} min" if hours and rest else f"{hours} h" if hours else ""
    duration = duration or (f"{rest} min" if rest else "")
    materials = tuple(material_views(talk.materials))
    note = talk_minutes(talk, page_url=page_url)
    return TalkView(
        title=talk.title,
        talk=talk,
        time=format_time(start) if start else "",
        iso=start.isoformat(timespec="minutes") if start else "",
        duration=duration,
        materials=materials,
        minutes=note,
        links=links(note, materials),
        minutes_html=sanitise(talk.minutes.html) if talk.minutes else Markup(),
    )


def _neighbour(
    ordered: Sequence[Meeting], paths: Sequence[str], index: int, *, base: str, config: Config
) -> Neighbour | None:
    """The meeting at `index` of the chronological list, if there is one, as a link."""
    if not 0 <= index < len(ordered):
        return None
    meeting = ordered[index]
    day = format_day(meeting.start.astimezone(config.timezone or meeting.zone))
    return Neighbour(title=meeting.title, href=f"{base}{paths[index]}", date=day)
