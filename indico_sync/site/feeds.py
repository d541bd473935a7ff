"""The machine-readable files next to the site: Atom feed, sitemap, robots.txt.

Pure functions from data to bytes. XML is built with ElementTree, so every piece of
text is escaped by the serialiser, never by hand; characters XML 1.0 cannot carry
at all (control characters in untrusted Indico or post text) are dropped first.
Output is deterministic: no clock is read, `updated` is passed in.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from indico_sync.errors import RenderError
from indico_sync.site.links import prefix_root_links

if TYPE_CHECKING:
    from indico_sync.config import Config
    from indico_sync.meetings import Meeting

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_ENTRIES = 20
"""Feed readers only need recent posts; older ones stay on the site."""

# The characters XML 1.0 forbids (what its Char production leaves out), listed rather than
# negated: a negated class up to U+10FFFF takes 7 ms to compile, at every start.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Listed(Protocol):
    """What the feed and the sitemap need of a page (`render.PageView` has it)."""

    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def summary(self) -> str: ...
    @property
    def content(self) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedEntry:
    """One post as the feed shows it."""

    title: str
    url: str  # absolute URL of the post
    published: datetime  # aware
    summary: str  # plain text
    content_html: str  # already-rendered HTML of the post


def render_atom(
    entries: Sequence[FeedEntry],
    *,
    title: str,
    subtitle: str,
    site_url: str,
    feed_url: str,
    updated: datetime,
    author: str | None = None,
) -> bytes:
    """An Atom feed (RFC 4287) of the newest `MAX_ENTRIES` posts, newest first.

    RFC 4287 requires an author; posts carry none, so the feed names `author`,
    or the site's title when none is given.
    """
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", feed_url)
    _sub(feed, "title", title)
    if subtitle:
        _sub(feed, "subtitle", subtitle)
    _link(feed, rel="self", href=feed_url, media_type="application/atom+xml")
    _link(feed, rel="alternate", href=site_url, media_type="text/html")
    _sub(feed, "updated", rfc3339(updated))
    _sub(ET.SubElement(feed, "author"), "name", author or title)
    for entry in newest_first(entries)[:MAX_ENTRIES]:
        feed.append(build_entry(entry))
    return _serialise(feed)


def newest_first(entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    """By publication time, newest first; same-time posts by URL, so order is stable."""
    by_url = sorted(entries, key=lambda entry: entry.url)
    return sorted(by_url, key=lambda entry: entry.published, reverse=True)


def build_entry(entry: FeedEntry) -> ET.Element:
    """One `<entry>`: its URL is its id, and posts are never edited after publishing."""
    element = ET.Element("entry")
    _sub(element, "id", entry.url)
    _sub(element, "title", entry.title)
    _link(element, rel="alternate", href=entry.url, media_type="text/html")
    _sub(element, "published", rfc3339(entry.published))
    _sub(element, "updated", rfc3339(entry.published))
    _sub(element, "summary", entry.summary)
    ET.SubElement(element, "content", {"type": "html"}).text = xml_text(entry.content_html)
    return element


def render_sitemap(urls: Sequence[tuple[str, date | None]]) -> bytes:
    """A sitemap (sitemaps.org 0.9) of absolute URLs, in the order given.

    Written as text, not with ElementTree (the feed's way): the same bytes, without an
    element per line for each of 10,000 meeting pages."""
    if not urls:
        return _serialise(ET.Element("urlset", {"xmlns": SITEMAP_NS}))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for url, lastmod in urls:
        lines += ["  <url>", f"    <loc>{_xml_escape(xml_text(url))}</loc>"]
        if lastmod is not None:
            lines.append(f"    <lastmod>{lastmod:%Y-%m-%d}</lastmod>")
        lines.append("  </url>")
    lines.append("</urlset>\n")
    return "\n".join(lines).encode()


def _xml_escape(text: str) -> str:
    """Element text as ElementTree writes it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_robots(sitemap_url: str) -> bytes:
    """robots.txt allowing everything and pointing at the sitemap."""
    # A newline in the URL would smuggle in extra directives: keep one clean line.
    url = "".join(xml_text(sitemap_url).split())
    return f"User-agent: *\nAllow: /\nSitemap: {url}\n".encode()


def rfc3339(moment: datetime) -> str:
    """RFC 3339 timestamp to the second; a naive time has no meaning in a feed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RenderError(f"feed timestamp {moment.isoformat()} has no time zone: expected aware")
    return moment.isoformat(timespec="seconds")


def xml_text(text: str) -> str:
    """Text XML 1.0 can carry: invalid characters dropped, line ends as `\\n`."""
    return _INVALID_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = xml_text(text)
    return element


def _link(parent: ET.Element, *, rel: str, href: str, media_type: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "type": media_type, "href": xml_text(href)})


def _serialise(root: ET.Element) -> bytes:
    """UTF-8 with an XML declaration, two-space indent, `\\n` line ends."""
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()


def build_feeds(
    config: Config,
    views: Sequence[Listed],
    posts: Sequence[Listed],
    meetings: Sequence[Meeting],
    *,
    now: datetime,
) -> dict[str, bytes]:
    """feed.xml, sitemap.xml and robots.txt, all with absolute URLs. The sitemap lists
    every page and post and every meeting's page (`meetings/<slug>/`)."""
    root = f"{config.url}{config.baseurl}"
    entries = [
        FeedEntry(
            title=p.title,
            url=root + p.url,
            published=p.published,
            summary=p.summary,
            content_html=prefix_root_links(str(p.content), config.url),
        )
        for p in posts
        if p.published
    ]
    past = [m.start for m in meetings if m.start <= now]
    updated = entries[0].published if entries else max(past, default=now)
    return {
        "feed.xml": render_atom(
            entries,
            title=config.title,
            subtitle=config.description,
            site_url=f"{root}/",
            feed_url=f"{root}/feed.xml",
            updated=updated,
        ),
        "sitemap.xml": render_sitemap(
            sorted(
                [(root + v.url, v.published.date() if v.published else None) for v in views]
                + [(f"{root}/{m.page_path}", None) for m in meetings]
            )
        ),
        "robots.txt": render_robots(f"{root}/sitemap.xml"),
    }
