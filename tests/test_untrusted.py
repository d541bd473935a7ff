"""Bounds for untrusted input: quoting, YAML aliases, URL checks and the safe file reader."""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from helpers import alias_bomb

from indico_sync.untrusted import (
    QUOTE_LIMIT,
    first_alias,
    is_loopback,
    is_web_url,
    load_regular,
    plural,
    quote,
)


def test_quote_is_short_and_never_expands_an_alias_bomb() -> None:
    """The bomb's value is quoted in well under a second, in at most ~60 characters."""
    bomb = yaml.load(alias_bomb(), Loader=yaml.CSafeLoader)["order"]
    started = time.perf_counter()
    text = quote(bomb)
    assert time.perf_counter() - started < 0.1
    assert len(text) <= QUOTE_LIMIT + 10 and text.startswith("[[[")
    assert len(quote("x" * 10_000)) <= QUOTE_LIMIT + 10
    assert quote("abc") == "'abc'" and quote(12) == "12" and quote(None) == "None"


def test_first_alias_names_the_line() -> None:
    """An alias is found with its line; '*' in a quoted string or broken YAML is not one."""
    assert first_alias(alias_bomb()) == 2
    assert first_alias("title: x\norder: 1\n") is None
    assert first_alias('title: "*bold*"\n') is None
    assert first_alias("a: &x 1\nb: [\n") is None  # the loader reports the syntax error


@pytest.mark.parametrize(
    ("url", "web"),
    [
        ("https://indico.cern.ch/event/1/", True),
        ("HTTP://indico.cern.ch/event/1/", True),
        ("javascript:alert(1)", False),
        ("data:text/html,x", False),
        ("https://", False),
        ("//indico.cern.ch/event/1/", False),
        ("http://[::1", False),
        (" https://indico.cern.ch/", False),
        ("https://indico.cern.ch/\n::error::x", False),
        ("\x01https://indico.cern.ch/", False),
    ],
)
def test_only_http_urls_with_a_host_are_web_urls(url: str, web: bool) -> None:
    """What may become a link: http(s) with a host, nothing else."""
    assert is_web_url(url) is web


def _web_url_by_urlsplit(url: str) -> bool:
    """`is_web_url` as it was before its fast path: every URL through `urlsplit`."""
    if not url.isprintable() or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def test_the_space_is_the_only_printable_white_space() -> None:
    """`is_web_url` looks for " " only, after `isprintable`: no other white space is printable."""
    spaces = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()]
    assert [c for c in spaces if c.isprintable()] == [" "]


_PIECES = (
    "http", "https", "HTTPS", "ftp", "javascript", ":", "//", "/", "///", "?", "#", "@", "[",
    "]", "::1", ":80", ":x", "\\", ".", "-", "_", "%20", " ", "\t", "\n", "\x00", "\u00a0",
    "\u2028", "\uff0e", "é", "a", "Z9", "indico.cern.ch", "www.", "user:pw@",
)  # fmt: skip


@pytest.mark.parametrize(
    "url",
    [
        "https://indico.cern.ch",
        "https://indico.cern.ch?x",
        "https://indico.cern.ch#x",
        "https://-/",
        "https://./",
        "https://a_b.example/",
        "https://a\\b/",
        "https://host:443/",
        "https://user@host/",
        "https://[::1]/",
        "https://é.example/",
        "https://a.example/ b",
        "https://a.example/\u00a0",
        "https://a.example/\u3000",
        "http:/a.example/",
        "https:///a.example/",
        "httpx://a.example/",
    ],
)
def test_web_url_edge_cases_agree_with_urlsplit(url: str) -> None:
    """Hosts with ports, users, brackets, odd characters: the same answer as `urlsplit` gives."""
    assert is_web_url(url) is _web_url_by_urlsplit(url)


def test_web_urls_agree_with_urlsplit_on_random_urls() -> None:
    """Thousands of URLs stuck together from awkward pieces: the fast path never disagrees."""
    rng = random.Random(20261202)
    urls = ["".join(rng.choices(_PIECES, k=rng.randint(1, 8))) for _ in range(20_000)]
    urls += [f"https://{tail}" for tail in urls[:5000]]
    assert {u for u in urls if is_web_url(u) is not _web_url_by_urlsplit(u)} == set()
    assert 100 < sum(map(is_web_url, urls)) < len(urls)  # both answers are well represented


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.1.2.3", True),
        ("http://[::1]:8000", True),
        ("http://localhost:8000", True),
        ("http://indico.example.org", False),
        ("http://10.0.0.1", False),
        ("http://localhost.example.org", False),
    ],
)
def test_loopback_hosts(url: str, loopback: bool) -> None:
    """Only this machine counts: 127.0.0.0/8, ::1 and localhost."""
    assert is_loopback(url) is loopback


def test_load_regular_reads_a_regular_file(tmp_path: Path) -> None:
    """A plain file's bytes, exactly."""
    (tmp_path / "a.bin").write_bytes(b"\x00\xffdata")
    assert load_regular(tmp_path / "a.bin") == b"\x00\xffdata"


def test_load_regular_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    """A FIFO would block the read for ever: refused at once, naming what it is."""
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ValueError, match="a FIFO, not a regular file"):
        load_regular(tmp_path / "pipe")


def test_load_regular_refuses_a_device() -> None:
    """/dev/zero never ends (the build cache read it until MemoryError)."""
    with pytest.raises(ValueError, match="a character device, not a regular file"):
        load_regular(Path("/dev/zero"))


def test_load_regular_never_follows_a_link(tmp_path: Path) -> None:
    """A link is refused even when its target is a harmless regular file."""
    (tmp_path / "target").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(ValueError, match="a symbolic link, not a regular file"):
        load_regular(tmp_path / "link")


def test_load_regular_refuses_a_file_over_the_limit(tmp_path: Path) -> None:
    """Size is checked before reading: a huge file cannot exhaust memory."""
    (tmp_path / "big").write_bytes(b"x" * (3 * 2**20))
    with pytest.raises(ValueError, match="3 MB, over the 2 MB limit"):
        load_regular(tmp_path / "big", limit=2 * 2**20)


def test_counts_are_pluralised() -> None:
    """'1 meeting', never '1 meetings'; zero and many take the plural."""
    assert [plural(n, "meeting") for n in (0, 1, 2)] == ["0 meetings", "1 meeting", "2 meetings"]


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux's /proc")
def test_load_regular_reads_past_a_size_that_was_too_small() -> None:
    """A file longer than its size said (one that grew; /proc says 0) is read whole,
    up to the limit, and over the limit is refused."""
    assert b"Name:" in load_regular(Path("/proc/self/status"), limit=2**20)
    with pytest.raises(ValueError, match="grew over"):
        load_regular(Path("/proc/self/status"), limit=10)
