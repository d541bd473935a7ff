"""A page per meeting: `meetings/<slug>/index.html`, its one-meeting `.ics`, its JSON-LD
(`structured.py`).

Pure, like `render.py`: meetings, the site's values and a Jinja environment go in, files
come out. Each page depends only on its meeting, its previous and next meeting (title,
slug and date), the templates and the config, never on "now" or on the other meetings:
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
    build_row,
    format_day,
    format_time,
    material_views,
    minutes_view,
    sanitise,
)
from indico_sync.site.calendar import render_calendar
from indico_sync.site.pages import Page
from indico_sync.site.render import (
    NOT_FOUND,
    PageView,
    SiteView,
    build_page_view,
    build_site_view,
    render_template,
)
from indico_sync.site.structured import json_ld
from indico_sync.untrusted import is_web_url

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


def page_path(meeting: Meeting) -> str:
    return f"{meeting.page_path}index.html"


def ics_path(meeting: Meeting) -> str:
    return f"{meeting.page_path}{ICS}"


def page_keys(meetings: Sequence[Meeting], *, salt: str) -> dict[str, str]:
    """Each meeting page's key, by slug: a hash of all its bytes depend on.

    `salt` stands for the templates, the code and the config (`build.py` makes it).
    """
    keys = {}
    for meeting, before, after in _with_neighbours(meetings):
        digest = hashlib.blake2b(salt.encode(), digest_size=16)
        digest.update(repr(meeting).encode())
        for other in (before, after):
            digest.update(repr(other and (other.title, other.page_slug, other.start)).encode())
        keys[meeting.page_slug] = digest.hexdigest()
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
    base = f"{config.baseurl}/"
    root = f"{config.url}{base}" if config.url else ""
    for meeting, before, after in _with_neighbours(meetings):
        slug = meeting.page_slug
        if only is not None and slug not in only:
            continue
        if slug in reuse:
            html, ics = reuse[slug]
        else:
            url = f"{root or base}{meeting.page_path}"
            view = build_view(meeting, before, after, config=config, base=base, url=url)
            layout = _page(page, meeting, url, site=site.title)
            html = render_template(env, "meeting.html", site=site, page=layout, meeting=view)
            ics = render_calendar(  # in UTC: no VTIMEZONE to build, one cached header
                [replace(meeting, timezone="UTC")],
                name=config.title,
                description=config.description,
                site_url=f"{config.url}{config.baseurl}/",
                pages=root,
            )
        yield meeting, page_path(meeting), html
        yield meeting, ics_path(meeting), ics


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


def _page(page: PageView, meeting: Meeting, url: str, *, site: str) -> PageView:
    """The layout's `page` for this meeting: its title, path and canonical URL."""
    path = f"/{meeting.page_path}"
    return replace(
        page,
        url=path,
        href=url,
        title=meeting.title,
        head_title=f"{meeting.title} | {site}",
        canonical=url if url.startswith(("https://", "http://")) else "",
    )


def build_view(
    meeting: Meeting,
    before: Meeting | None,
    after: Meeting | None,
    *,
    config: Config,
    base: str,
    url: str,
) -> MeetingView:
    zone = config.timezone or meeting.zone
    minutes = meeting.minutes
    talks = tuple(
        _talk(talk, zone=zone, page=f"{base}{meeting.page_path}") for talk in meeting.talks
    )
    return MeetingView(
        row=build_row(meeting, zone=config.timezone, is_next=False),
        talks=talks,
        materials=tuple(material_views(meeting.materials)),
        minutes=minutes_view(minutes, title=meeting.title, url=minutes.url if minutes else ""),
        minutes_html=sanitise(minutes.html) if minutes else Markup(),
        has_minutes=bool(minutes and minutes.html.strip()) or any(t.minutes_html for t in talks),
        ics=f"{base}{meeting.page_path}{ICS}",
        json_ld=json_ld(meeting, config=config, url=url),
        previous=_neighbour(before, base=base, config=config),
        next=_neighbour(after, base=base, config=config),
    )


def _talk(talk: Talk, *, zone: ZoneInfo, page: str) -> TalkView:
    start = talk.start.astimezone(zone) if talk.start else None
    note = talk.minutes.url if talk.minutes and is_web_url(talk.minutes.url) else ""
    minutes = 0
    if talk.start and talk.end and talk.end > talk.start:
        minutes = int((talk.end - talk.start).total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    duration = f"{hours} h {rest} min" if hours and rest else f"{hours} h" if hours else ""
    duration = duration or (f"{rest} min" if rest else "")
    return TalkView(
        title=talk.title,
        talk=talk,
        time=format_time(start) if start else "",
        iso=start.isoformat(timespec="minutes") if start else "",
        duration=duration,
        materials=tuple(material_views(talk.materials)),
        minutes=minutes_view(talk.minutes, title=talk.title, url=note or f"{page}#minutes"),
        minutes_html=sanitise(talk.minutes.html) if talk.minutes else Markup(),
    )


def _neighbour(meeting: Meeting | None, *, base: str, config: Config) -> Neighbour | None:
    if meeting is None:
        return None
    day = format_day(meeting.start.astimezone(config.timezone or meeting.zone))
    return Neighbour(title=meeting.title, href=f"{base}{meeting.page_path}", date=day)


def _with_neighbours(
    meetings: Sequence[Meeting],
) -> Iterator[tuple[Meeting, Meeting | None, Meeting | None]]:
    """Each meeting with the one before and after it, in chronological order."""
    ordered = sort_meetings(meetings)
    for index, meeting in enumerate(ordered):
        before = ordered[index - 1] if index else None
        after = ordered[index + 1] if index + 1 < len(ordered) else None
        yield meeting, before, after
