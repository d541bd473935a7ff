"""indico_sync.site.feeds: Atom feed, sitemap and robots.txt, checked by parsing them back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from indico_sync.errors import RenderError
from indico_sync.site.feeds import (
    FeedEntry,
    render_atom,
    render_robots,
    render_sitemap,
    xml_text,
)

A = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ZURICH = ZoneInfo("Europe/Zurich")
UPDATED = datetime(2024, 7, 10, 12, 0, tzinfo=ZURICH)


def entry(day: int, **changes: str) -> FeedEntry:
    fields = {
        "title": f"Post {day}",
        "url": f"https://wg.example.org/news/post-{day}/",
        "summary": f"Summary {day}",
        "content_html": f"<p>Body {day}</p>",
    }
    fields.update(changes)
    return FeedEntry(published=datetime(2024, 7, day, 9, 30, tzinfo=ZURICH), **fields)


def atom(entries: list[FeedEntry], **changes: object) -> bytes:
    arguments: dict[str, object] = {
        "title": "WG news",
        "subtitle": "News of the working group",
        "site_url": "https://wg.example.org/",
        "feed_url": "https://wg.example.org/feed.xml",
        "updated": UPDATED,
    }
    arguments.update(changes)
    return render_atom(entries, **arguments)  # type: ignore[arg-type]


def test_atom_feed_header() -> None:
    """The feed's id is its URL, with self and alternate links, updated and an author."""
    data = atom([entry(1)])
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<feed ')
    assert b"\r" not in data and data.endswith(b"\n")
    feed = ET.fromstring(data)
    assert feed.tag == f"{A}feed"
    assert feed.findtext(f"{A}id") == "https://wg.example.org/feed.xml"
    assert feed.findtext(f"{A}title") == "WG news"
    assert feed.findtext(f"{A}subtitle") == "News of the working group"
    assert feed.findtext(f"{A}updated") == "2024-07-10T12:00:00+02:00"
    assert feed.findtext(f"{A}author/{A}name") == "WG news"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links == {
        "self": "https://wg.example.org/feed.xml",
        "alternate": "https://wg.example.org/",
    }


def test_atom_author_can_be_named() -> None:
    """An explicit `author` replaces the title as the feed's author name."""
    feed = ET.fromstring(atom([entry(1)], author="WG conveners"))
    assert feed.findtext(f"{A}author/{A}name") == "WG conveners"


def test_atom_entry_fields() -> None:
    """Each entry has its URL as id and link, RFC 3339 times, a summary and HTML content."""
    (element,) = ET.fromstring(atom([entry(3)])).findall(f"{A}entry")
    assert element.findtext(f"{A}id") == "https://wg.example.org/news/post-3/"
    assert element.findtext(f"{A}title") == "Post 3"
    link = element.find(f"{A}link")
    assert link is not None and link.get("href") == "https://wg.example.org/news/post-3/"
    assert element.findtext(f"{A}published") == "2024-07-03T09:30:00+02:00"
    assert element.findtext(f"{A}updated") == "2024-07-03T09:30:00+02:00"
    assert element.findtext(f"{A}summary") == "Summary 3"
    content = element.find(f"{A}content")
    assert content is not None and content.get("type") == "html"
    assert content.text == "<p>Body 3</p>"
    assert b"&lt;p&gt;Body 3&lt;/p&gt;" in atom([entry(3)])


def test_atom_entries_newest_first_and_at_most_20() -> None:
    """Entries are sorted newest first whatever the input order, and cut to 20."""
    entries = [entry(day) for day in (5, 1, 28, 12, *range(13, 28), 2, 3, 4)]
    ids = [e.findtext(f"{A}id") for e in ET.fromstring(atom(entries)).findall(f"{A}entry")]
    newest = [*range(28, 11, -1), 5, 4, 3]  # 22 posts in; the two oldest (1, 2) are cut
    assert ids == [f"https://wg.example.org/news/post-{day}/" for day in newest]


def test_atom_escapes_markup_in_titles() -> None:
    """A `<script>` title is escaped in the bytes and comes back as the same text."""
    title = '<script>alert("x")</script> & "quotes"'
    data = atom([entry(1, title=title)], title=title)
    assert b"<script>" not in data
    assert b"&lt;script&gt;" in data
    feed = ET.fromstring(data)
    assert feed.findtext(f"{A}title") == title
    assert feed.findtext(f"{A}entry/{A}title") == title


def test_atom_strips_control_characters() -> None:
    """Characters XML 1.0 forbids are dropped from every text, so the feed still parses."""
    dirty = "A\x00B\x08C\x1bD\ufffeE"
    data = atom([entry(1, title=dirty, summary=dirty, content_html=dirty)], subtitle=dirty)
    assert not any(byte < 0x20 and byte != 0x0A for byte in data)
    feed = ET.fromstring(data)
    assert feed.findtext(f"{A}subtitle") == "ABCDE"
    assert feed.findtext(f"{A}entry/{A}title") == "ABCDE"
    assert feed.findtext(f"{A}entry/{A}content") == "ABCDE"


def test_xml_text_keeps_exactly_the_characters_of_xml_1_0() -> None:
    """Every code point against XML 1.0's Char production: #x9 | #xA | #xD |
    [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF] (#xD becomes a line end)."""

    def allowed(code: int) -> bool:
        return (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or (0x10000 <= code <= 0x10FFFF)
        )

    everything = "".join(map(chr, range(0x110000)))
    kept = "".join("\n" if code == 0xD else chr(code) for code in range(0x110000) if allowed(code))
    assert xml_text(everything) == kept


def test_atom_same_time_posts_ordered_by_url() -> None:
    """Posts published at the same moment keep a stable order, by URL."""
    one, two = entry(1, url="https://wg.example.org/b/"), entry(1, url="https://wg.example.org/a/")
    assert atom([one, two]) == atom([two, one])


def test_atom_empty_feed_and_no_subtitle() -> None:
    """With no posts and no subtitle the feed is still valid and has no subtitle."""
    feed = ET.fromstring(atom([], subtitle=""))
    assert feed.find(f"{A}subtitle") is None
    assert feed.findall(f"{A}entry") == []


def test_atom_rejects_naive_times() -> None:
    """A naive timestamp cannot be written as RFC 3339: RenderError, not a guess."""
    with pytest.raises(RenderError, match="no time zone"):
        atom([], updated=datetime(2024, 7, 10, 12))


def test_atom_is_deterministic() -> None:
    """Same input, same bytes: nothing reads the clock."""
    entries = [entry(day) for day in (1, 2, 3)]
    assert atom(entries) == atom(entries[::-1])
    assert atom(entries, updated=UPDATED + timedelta(days=1)) != atom(entries)


def test_sitemap_lists_urls_in_order_with_lastmod() -> None:
    """The urlset keeps the given order; lastmod is YYYY-MM-DD and only when given."""
    urls = [("https://wg.example.org/", date(2024, 7, 1)), ("https://wg.example.org/b/", None)]
    data = render_sitemap(urls)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset ')
    urlset = ET.fromstring(data)
    assert urlset.tag == f"{SM}urlset"
    found = [(u.findtext(f"{SM}loc"), u.findtext(f"{SM}lastmod")) for u in urlset]
    assert found == [("https://wg.example.org/", "2024-07-01"), ("https://wg.example.org/b/", None)]


def test_sitemap_escapes_ampersands() -> None:
    """An `&` in a URL is escaped in the bytes and parses back to the same URL."""
    url = "https://wg.example.org/search?a=1&b=<2>"
    data = render_sitemap([(url, None)])
    assert b"a=1&amp;b=&lt;2&gt;" in data
    assert ET.fromstring(data).findtext(f"{SM}url/{SM}loc") == url


def test_sitemap_is_deterministic() -> None:
    """Same URLs, same bytes."""
    urls = [("https://wg.example.org/", date(2024, 7, 1))]
    assert render_sitemap(urls) == render_sitemap(list(urls))


def test_robots_allows_all_and_names_sitemap() -> None:
    """robots.txt is exactly the three lines, pointing at the sitemap."""
    assert render_robots("https://wg.example.org/sitemap.xml") == (
        b"User-agent: *\nAllow: /\nSitemap: https://wg.example.org/sitemap.xml\n"
    )


def test_robots_cannot_be_given_extra_lines() -> None:
    """A newline in the sitemap URL cannot add a directive."""
    data = render_robots("https://wg.example.org/sitemap.xml\nDisallow: /")
    assert data.count(b"\n") == 3
    assert b"\nDisallow" not in data


def test_sitemap_text_is_what_elementtree_writes() -> None:
    """The sitemap is written as text; ElementTree, which writes the feed, is the reference."""
    import random
    import xml.etree.ElementTree as ET
    from datetime import date

    def reference(urls: list[tuple[str, date | None]]) -> bytes:
        urlset = ET.Element("urlset", {"xmlns": SM[1:-1]})
        for url, lastmod in urls:
            element = ET.SubElement(urlset, "url")
            ET.SubElement(element, "loc").text = url
            if lastmod is not None:
                ET.SubElement(element, "lastmod").text = lastmod.strftime("%Y-%m-%d")
        ET.indent(urlset, space="  ")
        body = ET.tostring(urlset, encoding="unicode")
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()

    rng = random.Random(5)
    alphabet = "ab/&<>\"'é€ ;?=#%-_."
    for size in (0, 1, 2, 30):
        urls = [
            (
                "https://wg.example.org/" + "".join(rng.choices(alphabet, k=rng.randint(0, 20))),
                date(2026, rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.5 else None,
            )
            for _ in range(size)
        ]
        assert render_sitemap(urls) == reference(urls)
