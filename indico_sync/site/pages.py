"""Pages and news posts: YAML front matter + Markdown, as Jekyll reads them.

Pure: the files' text comes in (`sources.load_site_files` reads the folder), `Page`
records go out. `parse_page` splits and validates the front matter (unknown keys are
kept in `extra`), has `liquid.py` fill `{{ site.x }}` and mark `{% include NAME %}`
before Markdown runs, as Jekyll's Liquid does, and prefixes root-relative links with
the baseurl so the site also works as a project site.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from indico_sync.errors import ContentError
from indico_sync.site.links import prefix_root_links
from indico_sync.site.liquid import fill_liquid
from indico_sync.untrusted import ALIAS_HINT, first_alias, one_line, quote

if TYPE_CHECKING:
    from markdown import Markdown

LAYOUTS = ("home", "page", "post")
MARKDOWN_SUFFIXES = (".md", ".markdown")
POSTS = "_posts"
_KNOWN = {"layout", "title", "permalink", "order", "display_title", "list_title", "description"}
_POST_NAME = re.compile(r"(\d{4})-(\d\d)-(\d\d)-(.+)\.(?:md|markdown)")
_OPENING = re.compile(r"---[ \t]*$", re.M)  # only a first line of exactly '---' opens
_FRONT = re.compile(r"---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*$\n?", re.S | re.M)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceFile:
    """One Markdown file: `name` is its path inside the site folder, `path` for messages."""

    path: Path
    name: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteFiles:
    """Everything in the site folder: pages, posts, and files copied as they are."""

    pages: tuple[SourceFile, ...]
    posts: tuple[SourceFile, ...]
    static: Mapping[str, bytes]


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """A page or post, rendered to HTML but not yet placed in a layout."""

    source: str
    layout: str
    url: str
    html: str
    title: str = ""
    order: int | None = None
    display_title: str = ""
    list_title: str = ""
    description: str = ""
    date: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_post(self) -> bool:
        return self.date is not None


def parse_sources(
    sources: Sequence[SourceFile],
    *,
    site: Mapping[str, Any],
    baseurl: str,
    zone: tzinfo,
    converted: Mapping[str, str] | None = None,
) -> list[Page]:
    """These pages; one Markdown instance serves them all (`reset` between).

    `converted`: the HTML of some files' bodies by file name, as an earlier parse of the
    very same text, site and code made it (`build.py` keeps them): not converted again.
    Markdown is loaded here, not at the top, and only when a body needs it: a build
    forks its helper process before loading it, so each process loads only what it uses.
    """
    converted = converted or {}
    markdown: list[Markdown] = []

    def md() -> Markdown:
        if not markdown:
            from indico_sync.site.markup import new_markdown

            markdown.append(new_markdown())
        return markdown[0]

    pages = (
        parse_page(f, site=site, baseurl=baseurl, zone=zone, md=md, html=converted.get(f.name))
        for f in sources
    )
    return [page for page in pages if page is not None]


def parse_page(
    file: SourceFile,
    *,
    site: Mapping[str, Any],
    baseurl: str,
    zone: tzinfo,
    md: Callable[[], Markdown],
    html: str | None = None,
) -> Page | None:
    """One page or post; None for a draft (`published: false`). `html`: its body as
    `parse_page` converted it before (Liquid, Markdown, links), not converted again."""
    meta, body, first_line = split_front_matter(file.text, where=file.path)
    if meta.get("published") is False:
        return None
    post = _post_name(file) if file.name.startswith(f"{POSTS}/") else None
    problems: list[str] = []
    lines = file.text.split("\n", 40)[:40]
    fields = _fields(meta, problems, post=post is not None)
    published = _post_date(meta, post, zone, problems) if post else None
    if problems:
        raise ContentError("; ".join(_at(file.path, lines, p) for p in problems))
    if html is None:
        page = {"site": site, "page": meta}
        body = fill_liquid(body, page, where=file.path, first_line=first_line)
        html = prefix_root_links(md().reset().convert(body), baseurl)
    return Page(
        source=str(file.path),
        url=fields.pop("permalink", None) or _default_url(file.name, post),
        html=html,
        date=published,
        extra={key: value for key, value in meta.items() if key not in _KNOWN},
        title=fields.pop("title", None) or (_title_from_slug(post[1]) if post else ""),
        **fields,
    )


def split_front_matter(text: str, *, where: Path) -> tuple[dict[str, Any], str, int]:
    """(front matter, body, line number of the body's first line)."""
    if _OPENING.match(text) is None:
        return {}, text, 1
    match = _FRONT.match(text)
    if match is None:
        raise ContentError(f"{where}:1: front matter opens with '---' but never closes")
    if (alias := first_alias(match[1])) is not None:
        raise ContentError(f"{where}:{alias + 1}: front matter: {ALIAS_HINT}")
    try:
        meta = yaml.load(match[1], Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or one_line(exc)
        raise ContentError(f"{where}{line}: front matter is not valid YAML: {problem}") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict) or not all(isinstance(key, str) for key in meta):
        raise ContentError(
            f"{where}: front matter must be a mapping of keys, such as 'title: About'"
        )
    return meta, text[match.end() :], text.count("\n", 0, match.end()) + 1


def _at(where: Path, lines: Sequence[str], problem: str) -> str:
    """`file:LINE: key: message`, the line being the key's in the front matter (if found)."""
    key = problem.partition(":")[0]
    line = next((n for n, text in enumerate(lines, 1) if text.startswith(f"{key}:")), None)
    return f"{where}:{line}: {problem}" if line else f"{where}: {problem}"


def _fields(meta: Mapping[str, Any], problems: list[str], *, post: bool) -> dict[str, Any]:
    """The known keys, validated; each problem starts with its key (`_at` adds the line)."""

    def problem(key: str, message: str) -> None:
        problems.append(f"{key}: {message}")

    fields: dict[str, Any] = {"layout": meta.get("layout", "post" if post else "page")}
    if fields["layout"] not in LAYOUTS:
        problem(
            "layout",
            f"unknown layout {quote(fields['layout'])} (expected one of {', '.join(LAYOUTS)})",
        )
    for key in ("title", "display_title", "list_title", "description"):
        value = meta.get(key)
        if value is not None and (
            not isinstance(value, str | int | float) or isinstance(value, bool)
        ):
            problem(key, f"expected text, got {type(value).__name__}")
        elif value is not None:
            fields[key] = str(value)
    order = meta.get("order")
    if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
        problem("order", f"expected a whole number, got {quote(order)}")
    elif order is not None:
        fields["order"] = order
    if "permalink" in meta:
        fields["permalink"] = check_permalink(
            meta["permalink"], lambda msg: problem("permalink", msg)
        )
    return fields


def check_permalink(value: object, report: Callable[[str], None]) -> str | None:
    """A site path such as `/about/`; anything that could leave the site is refused."""
    if not isinstance(value, str) or not value.startswith("/"):
        report(f"expected a path starting with '/', such as /about/, got {quote(value)}")
        return None
    parts = value.split("/")
    if any(p in (".", "..") for p in parts) or re.search(r"[\\?#\s\x00-\x1f]|//", value):
        report(
            f"{quote(value)} is not a plain path inside the site (no '..', '//', '\\', '?', '#')"
        )
        return None
    if parts[-1] and "." not in parts[-1]:
        return value + "/"  # `/about` is served as `/about/index.html`
    return value


def _default_url(name: str, post: tuple[date, str] | None) -> str:
    if post is not None:
        day, slug = post
        return f"/{day:%Y/%m/%d}/{slug}/"
    stem = name.rsplit(".", 1)[0]
    if stem == "index" or stem.endswith("/index"):
        return "/" + stem.removesuffix("index")
    return f"/{stem}/"


def _post_name(file: SourceFile) -> tuple[date, str]:
    match = _POST_NAME.fullmatch(file.name.removeprefix(f"{POSTS}/"))
    try:
        if match is None:
            raise ValueError("no date")
        return date(int(match[1]), int(match[2]), int(match[3])), match[4]
    except ValueError as exc:
        raise ContentError(
            f"{file.path}: expected a post name like {POSTS}/2026-11-22-my-news.md ({exc})"
        ) from exc


def _post_date(
    meta: Mapping[str, Any], post: tuple[date, str], zone: tzinfo, problems: list[str]
) -> datetime:
    """Midnight of the file name's date in the site's zone; front matter `date` wins."""
    value = meta.get("date", post[0])
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=zone)
    problems.append(f"date: expected a date such as 2026-11-22, got {quote(value)}")
    return datetime.combine(post[0], time(), tzinfo=zone)


def _title_from_slug(slug: str) -> str:
    return slug.replace("-", " ").replace("_", " ").capitalize()
