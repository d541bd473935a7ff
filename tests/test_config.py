"""Loading and validating _config.yml."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers import EXAMPLE_SITE, alias_bomb

from indico_sync.config import load_config, parse_config
from indico_sync.errors import ConfigError
from indico_sync.meetings import MeetingType, Protection

ROOT = Path(__file__).parent.parent
ALIAS_MESSAGE = "YAML aliases (*name) are not accepted; write the value out"

GOOD = """\
title: Test WG
url: https://example.org/
baseurl: /wg-site/
timezone: Europe/Zurich
mattermost_id: mm
indico:
  sources:
    - url: http://127.0.0.1:8000/
      category: 1
  default_type: In person
  overrides:
    "http://127.0.0.1:8000/event/3/": {type: hybrid}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "_config.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_example_config_is_valid() -> None:
    """The example site's _config.yml (site_src's as shipped) loads without errors."""
    config = load_config(EXAMPLE_SITE)
    assert config.indico.sources[0].url == "https://indico.cern.ch"
    assert config.timezone is not None and config.timezone.key == "Europe/Zurich"


def test_values_are_normalised(tmp_path: Path) -> None:
    """Trailing slashes go, types are parsed, unknown top-level keys stay for {{ site.x }}."""
    config = load_config(write(tmp_path, GOOD))
    assert (config.url, config.baseurl) == ("https://example.org", "/wg-site")
    source = config.indico.sources[0]
    assert (source.url, source.category, source.subcategories) == (
        "http://127.0.0.1:8000",
        1,
        False,
    )
    assert source.key == "http://127.0.0.1:8000/category/1"
    assert config.indico.default_type is MeetingType.IN_PERSON
    assert config.indico.overrides["http://127.0.0.1:8000/event/3/"].type is MeetingType.HYBRID
    assert config.site["mattermost_id"] == "mm"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """One error lists each bad key with what was expected."""
    text = """\
timezone: America
baseurl: "no slash"
indico:
  sources:
    - url: ftp://x
      category: abc
      subcategories: maybe
  past_days: -1
  default_type: teleport
  colour: blue
"""
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    for part in (
        "_config.yml",
        "timezone: expected a tz database name",
        "baseurl: expected",
        "indico.sources[0].url: expected an http(s) URL",
        "indico.sources[0].category: expected a positive category id, got 'abc'",
        "indico.sources[0].subcategories: expected true or false",
        "indico.past_days: expected a whole number",
        "indico.default_type: expected one of zoom, online, in_person, hybrid",
        "indico.colour: unknown key",
    ):
        assert part in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: [unclosed", r"_config\.yml:2: not valid YAML: did not find expected"),
        ("- a list", "expected a mapping"),
        ("title: x\n", "indico: expected a mapping with 'sources'"),
        ("indico:\n  sources: []\n", "indico.sources: expected a list"),
        ("indico:\n  sources:\n    - {url: 'https://x.org', category: 0}\n", "positive category"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, text: str, expected: str) -> None:
    """Each malformed file gives one line naming the file and the problem."""
    with pytest.raises(ConfigError, match=expected) as caught:
        load_config(write(tmp_path, text))
    assert str(tmp_path / "_config.yml") in str(caught.value)


def test_missing_file_says_where_it_looked(tmp_path: Path) -> None:
    """A missing config names the path and hints at --source."""
    with pytest.raises(ConfigError, match=r"_config.yml: not found \(is --source"):
        load_config(tmp_path)


def test_parse_config_accepts_string_category_ids() -> None:
    """A quoted category id ("14703") is accepted as a number."""
    data = {"indico": {"sources": [{"url": "https://indico.cern.ch", "category": "14703"}]}}
    assert parse_config(data, path=Path("x")).indico.sources[0].category == 14703


def test_a_key_given_twice_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    """YAML loaders keep the last of two equal keys silently; here it is an error."""
    text = """\
title: WG
indico:
  sources:
    - url: http://127.0.0.1:8000
      category: 1
      subcategories: true
      subcategories: false
"""
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert str(caught.value) == (
        f"{tmp_path / '_config.yml'}:7: not valid YAML: "
        "key 'subcategories' given twice (first on line 6)"
    )


def site_config(**keys: object) -> dict[str, object]:
    """A minimal valid config with `keys` added."""
    return {"indico": {"sources": [{"url": "http://127.0.0.1:8000", "category": 7}]}, **keys}


GOT = "expected http(s)://HOST such as https://gnn-ml-wg.github.io, got"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://not a url",
            f"url: 'not a url' is not a valid host name: {GOT} 'https://not a url'",
        ),
        ("https://", f"url: no host name: {GOT} 'https://'"),
        ("https://x.org?q=1#f", f"url: no '?' or '#' allowed: {GOT} 'https://x.org?q=1#f'"),
        ("https://x.org#", f"url: no '?' or '#' allowed: {GOT} 'https://x.org#'"),
        (
            "https://x.org/wg-site/",
            "url: no path allowed (a project site's path goes in baseurl: /wg-site): "
            f"{GOT} 'https://x.org/wg-site/'",
        ),
        ("ftp://x.org", f"url: not an http(s) URL: {GOT} 'ftp://x.org'"),
        ("x.org", f"url: not an http(s) URL: {GOT} 'x.org'"),
        ("https://x.org:99999", f"url: not a valid host or port: {GOT} 'https://x.org:99999'"),
        ("https://u@x.org", f"url: 'u@x.org' is not a valid host name: {GOT} 'https://u@x.org'"),
        ("https://-x.org", f"url: '-x.org' is not a valid host name: {GOT} 'https://-x.org'"),
        ("https://x..org", f"url: 'x..org' is not a valid host name: {GOT} 'https://x..org'"),
    ],
)
def test_a_bad_site_url_is_one_line_naming_the_key(url: str, expected: str) -> None:
    """The site url is an http(s) origin: a valid host, no path, query or fragment."""
    with pytest.raises(ConfigError) as caught:
        parse_config(site_config(url=url), path=Path("site_src/_config.yml"))
    assert str(caught.value) == f"site_src/_config.yml: {expected}"


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://x.org/", "https://x.org"),
        ("http://127.0.0.1:4000", "http://127.0.0.1:4000"),
        ("https://[::1]:8080", "https://[::1]:8080"),
        ("https://bücher.example", "https://bücher.example"),
        ("", ""),
    ],
)
def test_good_site_urls_are_kept(url: str, kept: str) -> None:
    """A host, IP address or internationalised name, with a port, is a site url."""
    assert parse_config(site_config(url=url), path=Path("x")).url == kept


@pytest.mark.parametrize(
    "baseurl", ["wg", "/wg?x", "/wg#x", "/a b", "/a/../b", "/..", "/./x", "//wg"]
)
def test_a_bad_baseurl_is_one_line_naming_the_key(baseurl: str) -> None:
    """baseurl is '' or a plain path from '/': no query, fragment, spaces or dot segments."""
    with pytest.raises(ConfigError) as caught:
        parse_config(site_config(baseurl=baseurl), path=Path("site_src/_config.yml"))
    assert str(caught.value) == (
        "site_src/_config.yml: baseurl: expected '' or a path such as /wg-site (starting with "
        "'/'; letters, digits, '.', '_', '~', '-'; no '?', '#', spaces or '..'), "
        f"got {baseurl!r}"
    )


@pytest.mark.parametrize(
    ("baseurl", "kept"), [("/", ""), ("/wg/", "/wg"), (" /a/b.c ", "/a/b.c"), (None, "")]
)
def test_baseurl_is_normalised(baseurl: str | None, kept: str) -> None:
    """A trailing slash goes; '/' alone is the root."""
    assert parse_config(site_config(baseurl=baseurl), path=Path("x")).baseurl == kept


def test_the_category_id_and_link_come_from_the_first_source() -> None:
    """Pages see the sync's category: {{ site.indico_category_id }} and _url, for any Indico."""
    config = parse_config(
        {
            "indico": {
                "sources": [
                    {"url": "http://127.0.0.1:8000/", "category": "42"},
                    {"url": "https://indico.cern.ch", "category": 14703},
                ]
            }
        },
        path=Path("x"),
    )
    assert config.site["indico_category_id"] == 42
    assert config.site["indico_category_url"] == "http://127.0.0.1:8000/category/42/"


def test_an_explicit_category_id_must_agree_with_the_sources() -> None:
    """The same id written twice is fine; a different one is an error naming both keys."""
    assert (
        parse_config(site_config(indico_category_id=7), path=Path("x")).site["indico_category_id"]
        == 7
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(site_config(indico_category_id=14703), path=Path("site_src/_config.yml"))
    assert str(caught.value) == (
        "site_src/_config.yml: indico_category_id: '14703' disagrees with indico.sources[0], "
        "which gives 7; remove indico_category_id: it is derived from indico.sources[0]"
    )
    with pytest.raises(ConfigError, match=r"indico_category_url: 'https://indico\.cern\.ch/"):
        parse_config(
            site_config(indico_category_url="https://indico.cern.ch/category/7/"), path=Path("x")
        )


def test_an_alias_bomb_is_one_quick_error(tmp_path: Path) -> None:
    """YAML aliases are refused (a bomb quoted in a message once hung the build for minutes)."""
    text = GOOD + alias_bomb()  # `order: *a8`, a key of the site's own
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert time.perf_counter() - started < 1
    message = str(caught.value)
    line = GOOD.count("\n") + 2  # the bomb's second line holds the first alias
    assert message == f"{tmp_path}/_config.yml:{line}: {ALIAS_MESSAGE}"
    assert "\n" not in message


def test_a_huge_value_is_quoted_short(tmp_path: Path) -> None:
    """An error message quotes at most about 60 characters of a bad value."""
    huge = "[" + ", ".join(["12345"] * 10_000) + "]"
    text = GOOD.replace("  default_type:", f"  past_days: {huge}\n  default_type:")
    expected = (
        r"past_days: expected a whole number >= 0, got \[12345, 12345, 12345, 12345, \.\.\.\]$"
    )
    with pytest.raises(ConfigError, match=expected) as caught:
        load_config(write(tmp_path, text))
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(
    ("extra", "policy", "anonymous"),
    [
        ("", Protection.TITLE, False),
        ("  protected: hide\n", Protection.HIDE, False),
        ("  protected: full\n  anonymous: true\n", Protection.FULL, True),
    ],
)
def test_protected_policy_and_anonymous(
    tmp_path: Path, extra: str, policy: Protection, anonymous: bool
) -> None:
    """`indico.protected` defaults to title; `indico.anonymous` to false."""
    config = load_config(write(tmp_path, GOOD + extra))
    assert (config.indico.protected, config.indico.anonymous) == (policy, anonymous)


def test_bad_protected_policy_and_anonymous_are_reported_together(tmp_path: Path) -> None:
    """Both keys are checked, and named, in one error."""
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, GOOD + "  protected: [title]\n  anonymous: maybe\n"))
    message = str(caught.value)
    assert "indico.protected: expected one of title, hide, full, got ['title']" in message
    assert "indico.anonymous: expected true or false, got 'maybe'" in message
