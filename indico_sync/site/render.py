"""The whole site: pages, posts and meetings rendered into {path: bytes}.

Pure: the config, parsed pages, meetings, static files, one Jinja environment and
"now" go in; every output file comes out. Nothing here touches the disk, except the
new output's folder when a `Stage` is given (the meeting pages and Home's tables go
there as they are made: `tables.py`), which a failed build removes. Each meeting's
display strings come from `agenda.py`, computed once in Python, so the templates only
loop. Indico text reaches the templates as plain strings and is escaped there; only
descriptions, after the nh3 sanitiser, are marked safe.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from jinja2 import Environment
from markupsafe import Markup, escape

from indico_sync.config import Config
from indico_sync.errors import ContentError
from indico_sync.meetings import Meeting
from indico_sync.site.agenda import (
    format_day,
    format_time,
)
from indico_sync.site.feeds import build_feeds
from indico_sync.site.links import excerpt, url_to_path
from indico_sync.site.liquid import include_marker
from indico_sync.site.pages import Page
from indico_sync.site.tables import PLACE, RowCache, Tables
from indico_sync.site.templating import render_template
from indico_sync.site_files import Kept, Staged

if TYPE_CHECKING:
    from indico_sync.writer import Stage

MEETINGS_MARKER = include_marker("meetings.html")
_BR = re.compile(r"<br\s*/?>", re.I)


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    title: str
    url: str  # site path, for comparing with the current page
    href: str  # what goes into the HTML: baseurl-prefixed or absolute


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteView:
    """What every template sees as `site`; `config` is `_config.yml` as written."""

    title: str
    description: str
    lang: str
    baseurl: str
    home: str
    feed: str
    calendar: str
    nav: tuple[Link, ...]
    links: tuple[Link, ...]
    config: Mapping[str, object]
    updated: str = ""  # when the meetings last changed, from the snapshot; "" if unknown


@dataclass(frozen=True, slots=True, kw_only=True)
class PageView:
    """What a layout sees as `page`."""

    layout: str
    url: str
    href: str
    title: str
    head_title: str  # "About | GNN ML WG"
    heading: Markup  # display_title (its <br>s kept) or title
    description: str
    canonical: str  # absolute URL, or "" when the config has no `url`
    content: Markup
    list_title: str
    date: str = ""  # posts: "22 November 2026"
    iso: str = ""
    summary: str = ""
    published: datetime | None = None
    extra: Mapping[str, object] = field(default_factory=dict)


def render_site(
    *,
    config: Config,
    pages: Sequence[Page],
    meetings: Sequence[Meeting],
    static: Mapping[str, bytes],
    assets: Mapping[str, bytes],
    env: Environment,
    now: datetime,
    calendar: Callable[[], bytes],
    updated: datetime | None = None,
    reuse: Mapping[str, Sequence[bytes]] | None = None,
    stage: Stage | None = None,
    rows: RowCache | None = None,
) -> dict[str, bytes]:
    """Every output file: one HTML file per page and post, 404, feeds, assets, static.

    `calendar` gives `calendar.render_meetings_calendar`'s output. It is asked for last, so a
    caller that makes it in parallel (it is the slowest single file) has the most time.
    `updated` is when the snapshot's meetings last changed (the footer says it); never
    the build's own time, so a build with nothing new gives the same bytes. `reuse`: the
    meeting pages (and .ics) kept from the previous build, by slug (`meeting_pages`).
    `stage`: the meeting pages made here go there as soon as they are made, and a page
    with the meetings tables is written there piece by piece (never whole in memory); the
    result holds `Staged` in their place. `rows`: Home's rows kept from the last build.
    """
    from indico_sync.site.meeting_pages import render_meeting_pages

    site = build_site_view(config, pages, updated=updated)
    tables = Tables(env, site, config, meetings, now, rows)
    views = []
    for page in pages:
        marked = MEETINGS_MARKER in page.html
        streamed = marked and stage is not None and not page.is_post  # a post's is in the feed
        table = PLACE if streamed else tables.text() if marked else ""
        views.append(build_page_view(page, config=config, meetings=table))
    posts = sorted((v for v in views if v.published), key=_newest, reverse=True)
    files: dict[str, bytes] = {}
    origins: dict[str, tuple[str, str]] = {}  # folded path -> (origin, path)
    for page, view in zip(pages, views, strict=True):
        html = render_template(env, f"{view.layout}.html", site=site, page=view, posts=posts)
        path = url_to_path(view.url)
        if stage is not None and PLACE in view.content:
            html = tables.write(stage, path, html.decode(), count=page.html.count(MEETINGS_MARKER))
        _add(files, origins, path, html, origin=page.source)
    missing = replace(build_page_view(NOT_FOUND, config=config, meetings=""), canonical="")
    not_found = render_template(env, "404.html", site=site, page=missing)
    _add(files, origins, "404.html", not_found, "404")
    for meeting, path, content in render_meeting_pages(
        config=config, meetings=meetings, site=replace(site, updated=""), page=missing, env=env,
        reuse=reuse or {},
    ):  # fmt: skip  # the same values as `meeting_pages_only` gives the second core
        _add(files, origins, path, content, origin=f"the page of meeting {meeting.url}")
        if stage is not None and not isinstance(content, Kept | Staged):
            files[path] = stage.put(path, content)  # not held: a meeting page is seen once
    feeds = build_feeds(config, views, posts, meetings, now=now)  # lists the meeting pages
    for name, content in feeds.items():
        _add(files, origins, name, content, origin=f"the generated {name}")
    for name, content in sorted(assets.items()):
        _add(files, origins, f"assets/{name}", content, origin=f"templates/static/{name}")
    for name, content in sorted(static.items()):
        _add(files, origins, name, content, origin=f"{config.path.parent}/{name}")
    _add(files, origins, "meetings.ics", calendar(), origin="the generated meetings.ics")
    return dict(sorted(files.items()))


NOT_FOUND = Page(source="404", layout="page", url="/404.html", html="", title="Page not found")


def _newest(view: PageView) -> tuple[datetime, str]:
    assert view.published is not None
    return view.published, view.url


def _add(
    files: dict[str, bytes],
    origins: dict[str, tuple[str, str]],
    path: str,
    content: bytes,
    origin: str,
) -> None:
    """One output file; two sources for the same path is an error naming both.

    So are two paths that differ only in case or Unicode form (`/notes.html` and
    `/NOTES.html`): on macOS, Windows and some hosts they are one file, and one
    would silently replace the other. `origins` is keyed by the folded path.
    """
    folded = _folded(path)
    if folded in origins:
        other, first = origins[folded]
        where = path if first == path else f"{path} and {first}, one file where case is ignored"
        raise ContentError(
            f"{origin} and {other} would both be written to {where}; change one permalink"
        )
    files[path], origins[folded] = content, (origin, path)


def _folded(path: str) -> str:
    """The name a case-insensitive, normalising file system (APFS, NTFS) sees."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", path).casefold())


def build_site_view(
    config: Config, pages: Sequence[Page], *, updated: datetime | None = None
) -> SiteView:
    """Site-wide values; the nav lists pages with a title and an `order`, by order."""
    base = config.baseurl
    nav = sorted(
        (p for p in pages if p.title and p.order is not None), key=lambda p: (p.order, p.url)
    )
    links = []
    if isinstance(config.site.get("github_username"), str):
        user = config.site["github_username"]
        links.append(Link(title="GitHub", url="", href=f"https://github.com/{user}"))
    for source in config.indico.sources:
        links.append(Link(title="Indico", url="", href=f"{source.url}/category/{source.category}/"))
    return SiteView(
        title=config.title,
        description=config.description,
        lang=config.lang,
        baseurl=base,
        home=f"{base}/",
        feed=f"{base}/feed.xml",
        calendar=f"{base}/meetings.ics",
        nav=tuple(Link(title=p.title, url=p.url, href=base + p.url) for p in nav),
        links=tuple(links),
        config=config.site,
        updated=format_moment(updated.astimezone(config.timezone or UTC)) if updated else "",
    )


def format_moment(moment: datetime) -> str:
    """'22 November 2026, 13:00 (CET)'."""
    return f"{format_day(moment)}, {format_time(moment)}"


def build_page_view(page: Page, *, config: Config, meetings: str) -> PageView:
    """The page's values for its layout; the meetings tables go where the marker is."""
    content = page.html.replace(MEETINGS_MARKER, meetings)
    summary = page.description or excerpt(page.html) if page.is_post else ""
    published = page.date
    return PageView(
        layout=page.layout,
        url=page.url,
        href=config.baseurl + page.url,
        title=page.title,
        head_title=f"{page.title} | {config.title}" if page.title else config.title,
        heading=_heading(page.display_title or page.title),
        description=page.description or summary or config.description,
        canonical=f"{config.url}{config.baseurl}{page.url}" if config.url else "",
        content=Markup(content),  # the site's own Markdown: trusted  # noqa: S704
        list_title=page.list_title or "News",
        date=format_day(published) if published else "",
        iso=published.date().isoformat() if published else "",
        summary=summary,
        published=published,
        extra=page.extra,
    )


def _heading(text: str) -> Markup:
    """Escaped text whose `<br>`s (and only those) stay line breaks."""
    return Markup("<br>").join(escape(part.strip()) for part in _BR.split(text))
