"""Pages and posts: front matter, {{ site.x }}, includes, Markdown, links under a baseurl."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from helpers import EXAMPLE_SITE, alias_bomb

from indico_sync.config import load_config
from indico_sync.errors import ContentError
from indico_sync.site.links import excerpt, prefix_root_links, url_to_path
from indico_sync.site.liquid import include_marker
from indico_sync.site.markup import new_markdown
from indico_sync.site.pages import (
    Page,
    SourceFile,
    check_permalink,
    parse_page,
    parse_sources,
    split_front_matter,
)

ZURICH = ZoneInfo("Europe/Zurich")
SITE = {"title": "GNN ML WG", "mattermost_id": "gnn-ml-wg", "nested": {"key": "deep"}, "on": True}


def parse(text: str, name: str = "about.md", *, baseurl: str = "", site: Any = None) -> Page:
    file = SourceFile(path=Path("site_src") / name, name=name, text=text)
    page = parse_page(
        file, site=SITE if site is None else site, baseurl=baseurl, zone=ZURICH, md=new_markdown
    )
    assert page is not None
    return page


def test_front_matter_keys_become_fields_and_unknown_keys_are_kept() -> None:
    """Known keys are typed fields; anything else lands in `extra`, nothing is lost."""
    page = parse(
        "---\nlayout: home\ntitle: Home\norder: 1\ndisplay_title: A <br> B\n"
        "list_title: News\ndescription: About us\nhero_image: /x.png\ntags: [a, b]\n---\nHi\n",
        name="index.md",
    )
    assert (page.layout, page.title, page.order, page.url) == ("home", "Home", 1, "/")
    assert (page.display_title, page.list_title, page.description) == (
        "A <br> B",
        "News",
        "About us",
    )
    assert page.extra == {"hero_image": "/x.png", "tags": ["a", "b"]}
    assert page.html == "<p>Hi</p>"
    assert page.source == "site_src/index.md" and not page.is_post


def test_the_example_pages_parse() -> None:
    """The example site's Home and About pages parse with its config values."""
    root = EXAMPLE_SITE
    site = load_config(root).site
    home = parse((root / "index.md").read_text(encoding="utf-8"), "index.md", site=site)
    about = parse((root / "about.md").read_text(encoding="utf-8"), "about.md", site=site)
    assert home.layout == "home" and home.order == 1 and home.url == "/"
    assert 'href="https://mattermost.web.cern.ch/gnn-ml-wg"' in home.html
    assert include_marker("meetings.html") in home.html
    assert about.url == "/about/" and about.order == 2
    assert '<h1 id="coordinators">Coordinators</h1>' in about.html
    assert "Søgaard" in about.html and "Ã" not in about.html
    assert about.html.count("<li>") == 7  # the list right after a paragraph is a list


def test_a_page_without_front_matter_is_a_plain_page() -> None:
    """No front matter: layout page, URL from the file name."""
    page = parse("# Notes\n", "notes/intro.md")
    assert (page.layout, page.url, page.title) == ("page", "/notes/intro/", "")


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("index.md", "/"),
        ("about.md", "/about/"),
        ("docs/index.md", "/docs/"),
        ("a/b.markdown", "/a/b/"),
    ],
)
def test_urls_follow_the_file_path(name: str, url: str) -> None:
    """index.md is the folder's URL; other files get a folder of their own."""
    assert parse("---\n---\nx\n", name).url == url


@pytest.mark.parametrize(
    ("permalink", "url"),
    [("/about/", "/about/"), ("/about", "/about/"), ("/feed.html", "/feed.html"), ("/", "/")],
)
def test_permalink_sets_the_url(permalink: str, url: str) -> None:
    """A permalink without an extension is served as a folder."""
    assert parse(f"---\npermalink: {permalink}\n---\nx\n").url == url


@pytest.mark.parametrize(
    "permalink",
    ["../../x", "/../../x", "/a/../../b", "//evil.example/x", "/a\\b", "/a b", "/x?y", 3, "about"],
)
def test_a_hostile_permalink_is_refused_naming_the_file(permalink: object) -> None:
    """Nothing in front matter can point a page outside the output folder."""
    with pytest.raises(ContentError, match=r"site_src/about\.md:2: permalink: "):
        parse(f"---\npermalink: {permalink!r}\n---\nx\n")


def test_check_permalink_reports_through_the_callback() -> None:
    """The validator returns None and says why."""
    said: list[str] = []
    assert check_permalink("/ok/", said.append) == "/ok/" and said == []
    assert check_permalink("../x", said.append) is None and "starting with '/'" in said[0]


def test_posts_take_date_slug_and_title_from_the_file_name() -> None:
    """_posts/YYYY-MM-DD-slug.md: /YYYY/MM/DD/slug/, midnight in the site's zone."""
    page = parse("---\nlayout: post\n---\nBody.\n", "_posts/2026-11-22-website-now-live.md")
    assert page.url == "/2026/11/22/website-now-live/"
    assert page.date == datetime(2026, 11, 22, tzinfo=ZURICH)
    assert page.title == "Website now live" and page.is_post and page.layout == "post"


def test_a_post_date_in_front_matter_wins() -> None:
    """`date:` may be a date or a date-time; a naive time is in the site's zone."""
    page = parse("---\ndate: 2026-11-23 10:30:00\n---\nx\n", "_posts/2026-11-22-a.md")
    assert page.date == datetime(2026, 11, 23, 10, 30, tzinfo=ZURICH)
    assert page.url == "/2026/11/22/a/"


@pytest.mark.parametrize(
    "name", ["_posts/news.md", "_posts/2026-13-01-x.md", "_posts/2026-1-1-x.md"]
)
def test_a_badly_named_post_is_an_error(name: str) -> None:
    """Jekyll silently skips these; here the file is named and the fix shown."""
    with pytest.raises(ContentError, match=r"expected a post name like _posts/2026-11-22"):
        parse("---\n---\nx\n", name)


def test_drafts_are_left_out() -> None:
    """`published: false` keeps a page out of the site."""
    file = SourceFile(path=Path("x.md"), name="x.md", text="---\npublished: false\n---\nx\n")
    assert parse_page(file, site={}, baseurl="", zone=UTC, md=new_markdown) is None


def test_parse_sources_reads_pages_then_posts_with_one_markdown() -> None:
    """Heading ids start afresh on every page: Markdown is reset in between."""
    files = (
        SourceFile(path=Path("a.md"), name="a.md", text="## Intro\n"),
        SourceFile(path=Path("p.md"), name="_posts/2026-01-02-p.md", text="## Intro\n"),
    )
    pages = parse_sources(files, site={}, baseurl="", zone=UTC)
    assert [p.html for p in pages] == ['<h2 id="intro">Intro</h2>'] * 2
    assert [p.url for p in pages] == ["/a/", "/2026/01/02/p/"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "---\ntitle: [unclosed\n---\nx\n",
            r"site_src/about\.md:3: front matter is not valid YAML",
        ),
        (
            "---\ntitle: About\nx\n",
            r"site_src/about\.md:1: front matter opens with '---' but never",
        ),
        ("---\n- a list\n---\nx\n", r"site_src/about\.md: front matter must be a mapping"),
        ("---\nlayout: nope\n---\nx\n", r"about\.md:2: layout: unknown layout 'nope' \("),
        ("---\ntitle: x\norder: first\n---\nx\n", r"about\.md:3: order: expected a whole number"),
        ("---\ntitle: {a: 1}\n---\nx\n", r"about\.md:2: title: expected text, got dict"),
    ],
)
def test_malformed_front_matter_names_file_and_line(text: str, message: str) -> None:
    """Each front matter mistake is one message with the file, line and key."""
    with pytest.raises(ContentError, match=message):
        parse(text)


def test_every_front_matter_problem_is_reported_at_once() -> None:
    """Two bad keys: both in the one message."""
    with pytest.raises(ContentError, match=r"about\.md:2: layout: .*; \S*about\.md:3: order: "):
        parse("---\nlayout: x\norder: y\n---\nz\n")


def test_site_variables_are_filled_before_markdown() -> None:
    """{{ site.x }} in a link target works, as in Jekyll; nested keys, page keys, booleans."""
    page = parse(
        "---\ntitle: About\n---\n[Chat](https://chat.example/{{ site.mattermost_id }}) "
        "{{site.nested.key}} {{ page.title }} {{ site.on }}\n"
    )
    assert page.html == '<p><a href="https://chat.example/gnn-ml-wg">Chat</a> deep About true</p>'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "a\n\nb {{ site.nope }}\n",
            r"site_src/about\.md:6: \{\{ site\.nope \}\} is not defined in _config\.yml",
        ),
        ("{{ site.nested.nope }}\n", r":4: \{\{ site\.nested\.nope \}\} is not defined"),
        ("{{ page.nope }}\n", r":4: \{\{ page\.nope \}\} is not defined in the front matter"),
        ("{{ site.title | upcase }}\n", r":4: unsupported expression"),
        ("{{ site.nested }}\n", r":4: \{\{ site\.nested \}\} is a dict, not text"),
        ("x\n{% if site.x %}y{% endif %}\n", r":5: unsupported Liquid tag \{% if site\.x %\}"),
        ("{% include footer.html %}\n", r":4: unknown include 'footer\.html'"),
        ("Text {% include meetings.html %}\n", r":4: put \{% include meetings\.html %\} on a line"),
    ],
)
def test_template_mistakes_name_file_and_line(body: str, message: str) -> None:
    """Jekyll prints nothing for an undefined variable; here it is an error with its line."""
    with pytest.raises(ContentError, match=message):
        parse(f"---\ntitle: About\n---\n{body}")


def test_include_leaves_a_marker_in_its_own_block() -> None:
    """The meetings include becomes a marker between blocks, never inside a <p>."""
    page = parse("---\n---\nBefore\n{% include meetings.html %}\nAfter\n")
    assert page.html.startswith(f"<p>Before</p>\n{include_marker('meetings.html')}\n")
    assert page.html.endswith("\n<p>After</p>")


def test_markdown_tables_ids_raw_html_and_fences() -> None:
    """Python-Markdown with tables, heading ids, raw HTML and fenced code."""
    page = parse(
        "---\n---\n## How to join\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n"
        'Line<br>break <span class="x">raw</span>\n\n```\n{not liquid here? * no list}\n```\n'
    )
    assert '<h2 id="how-to-join">How to join</h2>' in page.html
    assert "<td>1</td>" in page.html
    assert 'Line<br>break <span class="x">raw</span>' in page.html
    assert "<pre><code>{not liquid here? * no list}\n</code></pre>" in page.html


def test_a_list_right_after_a_paragraph_is_a_list_as_in_jekyll() -> None:
    """kramdown needs no blank line before a list; neither do we. Code is left alone."""
    page = parse("---\n---\nWe focus on:\n* one\n* two\n\n```\ntext\n* not a list\n```\n")
    assert "<p>We focus on:</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in page.html
    assert "* not a list" in page.html


def test_root_relative_links_get_the_baseurl() -> None:
    """/about/#x works on a project site; //host, relative and absolute links stay."""
    page = parse(
        "---\n---\n[A](/about/#coordinators) [B](about/) [C](https://x.org/) "
        "<img src='/img/a.png'> [D](//cdn.example/x)\n",
        baseurl="/wg-site",
    )
    assert 'href="/wg-site/about/#coordinators"' in page.html
    assert 'href="about/"' in page.html and 'href="https://x.org/"' in page.html
    assert "src='/wg-site/img/a.png'" in page.html and 'href="//cdn.example/x"' in page.html
    assert prefix_root_links('<a href="/x">', "") == '<a href="/x">'


def test_split_front_matter_reports_where_the_body_starts() -> None:
    """The body's first line number is what error messages count from."""
    meta, body, line = split_front_matter("---\na: 1\n---\nbody\n", where=Path("x.md"))
    assert (meta, body, line) == ({"a": 1}, "body\n", 4)
    assert split_front_matter("no front matter", where=Path("x.md")) == ({}, "no front matter", 1)
    hr = "----\nA rule, not front matter\n"
    assert split_front_matter(hr, where=Path("x.md")) == ({}, hr, 1)


def test_excerpt_is_the_first_paragraph_as_plain_text() -> None:
    """Tags dropped, entities decoded, long text cut at a word."""
    assert excerpt("<h2>T</h2><p>One <b>bold</b> &amp; more</p><p>Two</p>") == "One bold & more"
    assert excerpt("<ul><li>x</li></ul>") == ""
    long = excerpt("<p>" + "word " * 100 + "</p>", limit=30)
    assert long.endswith("…") and len(long) <= 30


@pytest.mark.parametrize(
    ("url", "path"),
    [("/", "index.html"), ("/about/", "about/index.html"), ("/404.html", "404.html")],
)
def test_url_to_path(url: str, path: str) -> None:
    """Folder URLs are written as index.html inside the folder."""
    assert url_to_path(url) == path


def test_an_alias_bomb_in_front_matter_is_one_quick_error() -> None:
    """`order: *a8` once hung the build while the message formatted a billion items."""
    started = time.perf_counter()
    with pytest.raises(ContentError) as caught:
        parse(f"---\ntitle: Bomb\n{alias_bomb()}---\nx\n")
    assert time.perf_counter() - started < 1
    assert str(caught.value) == (
        "site_src/about.md:4: front matter: YAML aliases (*name) are not accepted; "
        "write the value out"
    )


def test_a_bad_value_is_quoted_short() -> None:
    """A long bad value is cut in the message, not printed whole."""
    expected = r"order: expected a whole number, got 'x+\.\.\.x+'$"
    with pytest.raises(ContentError, match=expected) as caught:
        parse("---\norder: " + "x" * 5000 + "\n---\n")
    assert len(str(caught.value)) < 200
