"""Bounds for untrusted input: reading the site's files, quoting values, YAML aliases, URLs;
and the small text helpers every message uses (`quote`, `one_line`, `plural`).

Indico's JSON, pages, posts and even `_config.yml` (a merged pull request) are
untrusted. An error message quotes a value cut short without walking the whole of it,
YAML aliases are refused (nine levels of ten aliases load in a millisecond, then
expand to a billion items when anything prints them), and only http(s) URLs are
ever published as links. `load_regular` is the one disk read here (the site's own
files: only regular files, never through a link, of bounded size); the rest is pure.
"""

from __future__ import annotations

import ipaddress
import os
import re
import reprlib
import stat
from pathlib import Path
from urllib.parse import urlsplit

import nh3
import yaml

QUOTE_LIMIT = 60

_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
_REPR.maxstring = _REPR.maxother = QUOTE_LIMIT
_REPR.maxlong = 40


def quote(value: object) -> str:
    """`repr(value)` for a message, at most about QUOTE_LIMIT characters.

    Looks at a few items of a few levels only, so a value made of YAML aliases that
    would expand to gigabytes costs nothing to quote.
    """
    text = _REPR.repr(value)
    return text if len(text) <= QUOTE_LIMIT + 10 else text[:QUOTE_LIMIT] + "..."


def one_line(value: object) -> str:
    """`str(value)` with every run of whitespace (newlines too) made one space."""
    return " ".join(str(value).split())


def clean_text(text: object) -> str:
    """Indico text with whitespace collapsed (titles may carry newlines and tabs), or ""."""
    if not isinstance(text, str):
        return ""
    if "  " not in text and "\n" not in text and "\t" not in text and "\r" not in text:
        return text.strip()  # the usual case, without splitting (see the README's speed tricks)
    return one_line(text)


def plural(count: int, noun: str) -> str:
    """'1 meeting', '2 meetings', '0 files': every count printed to a person."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def first_alias(text: str) -> int | None:
    """The line (from 1) of the first YAML alias (`*name`) in `text`, or None.

    Text that is not valid YAML gives None: loading it reports the syntax error.
    """
    if "*" not in text:  # an alias starts with '*': most documents have none at all
        return None
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.AliasEvent):
                return int(event.start_mark.line) + 1 if event.start_mark else 1
    except yaml.YAMLError:
        return None
    return None


# Indico's HTML (descriptions, minutes) reduced to text markup and headings; links only http(s).
_CLEANER = nh3.Cleaner(
    tags={"a", "p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "code", "pre", "blockquote"}
    | {f"h{level}" for level in range(1, 7)},
    attributes={"a": {"href", "title"}},
    url_schemes={"http", "https"},
    link_rel="nofollow noopener",
    attribute_filter=lambda tag, name, value: (
        value if name != "href" or value.startswith(("https://", "http://")) else None
    ),
)


def clean_html(html: str) -> str:
    """Indico's HTML (a description, minutes) as safe text markup: the one policy for both.
    Cleaning clean HTML again gives it back unchanged (the build does, as defence in depth)."""
    return _CLEANER.clean(html).strip() if html.strip() else ""


ALIAS_HINT = "YAML aliases (*name) are not accepted; write the value out"


# `http(s)://host/...` with a plain host: the usual URL, judged without `urlsplit`.
_PLAIN_WEB_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#]|\Z)")


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host: the only kind ever published as a link.
    No white space or control characters anywhere (urlsplit would strip some).

    Called for every link of every page: the usual URL takes a regular expression,
    anything else `urlsplit` (the tests check that both always agree)."""
    if not url.isprintable() or " " in url:  # the space is the one printable white space
        return False
    if _PLAIN_WEB_URL.match(url):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def is_loopback(url: str) -> bool:
    """Whether `url`'s host is this machine (localhost, 127.0.0.0/8, ::1)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


MAX_FILE_BYTES = 100 * 2**20
"""A bigger file is refused (GitHub refuses one too): reading it must not exhaust memory."""

_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)  # a link swapped in after the check is not followed
    | getattr(os, "O_NONBLOCK", 0)  # nor does a FIFO swapped in block the open
    | getattr(os, "O_BINARY", 0)
)


def load_regular(path: Path, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of `path`, if it is a regular file (not a link) of at most `limit` bytes.

    The one reader of the site's own files. A committed link may lead anywhere
    (`/proc/self/environ` holds INDICO_TOKEN), a FIFO blocks for ever and `/dev/zero`
    never ends: each raises ValueError saying what the path is. OSError when it
    cannot be read (FileNotFoundError when missing).
    """
    _check_regular(os.lstat(path), limit)
    with os.fdopen(os.open(path, _OPEN_FLAGS), "rb") as file:
        info = os.fstat(file.fileno())
        _check_regular(info, limit)
        data = file.read(info.st_size + 1)  # not `limit`: read() allocates what it is asked
        if len(data) > info.st_size:  # it grew since
            data += file.read(limit + 1 - len(data))
    if len(data) > limit:
        raise ValueError(f"grew over {limit // 2**20} MB while read; the limit is that size")
    return data


def _check_regular(info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "a special file")
        raise ValueError(f"{kind}, not a regular file; only regular files are read")
    if info.st_size > limit:
        raise ValueError(f"{info.st_size / 2**20:.0f} MB, over the {limit // 2**20} MB limit")
