"""Loading and validating _config.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from indico_sync.config import load_config, parse_config
from indico_sync.errors import ConfigError
from indico_sync.meetings import MeetingType, Protection

ROOT = Path(__file__).parent.parent

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


def test_the_committed_config_is_valid() -> None:
    """site_src/_config.yml as shipped loads without errors."""
    config = load_config(ROOT / "site_src")
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
        ("title: [unclosed", "not valid YAML"),
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
        f"{tmp_path / '_config.yml'}: not valid YAML: "
        "line 7: key 'subcategories' given twice (first on line 6)"
    )


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
