"""Load and validate `_config.yml`: the site's keys plus the `indico:` section.

Every problem is collected and reported at once, each naming its key and what was
expected, so a user fixes the file in one go. Unknown top-level keys are kept (they
are the site's own variables, for `{{ site.x }}`); unknown keys under `indico:` are
errors, because there they are almost always typos.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

from indico_sync.errors import ConfigError
from indico_sync.meetings import MeetingType, Override, Protection, find_zone
from indico_sync.untrusted import ALIAS_HINT, first_alias, load_regular, quote

CONFIG_NAME = "_config.yml"
_TYPES = ", ".join(t.value for t in MeetingType)
_SOURCE_KEYS = {"url", "category", "subcategories"}
_INDICO_KEYS = {
    "sources",
    "past_days",
    "future_days",
    "timeout",
    "retries",
    "default_type",
    "include_hidden",
    "overrides",
    "protected",
    "anonymous",
}
_OVERRIDE_KEYS = {"type", "hidden", "title"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """One Indico category to follow."""

    url: str
    category: int
    subcategories: bool = False

    @property
    def key(self) -> str:
        """The name stored with each meeting, so the snapshot knows where it came from."""
        return f"{self.url}/category/{self.category}"


@dataclass(frozen=True, slots=True, kw_only=True)
class IndicoConfig:
    sources: tuple[Source, ...]
    past_days: int = 3650
    future_days: int = 365
    timeout: float = 30.0
    retries: int = 3
    default_type: MeetingType | None = None
    include_hidden: bool = False
    overrides: Mapping[str, Override] = field(default_factory=dict)
    protected: Protection = Protection.TITLE
    anonymous: bool = False  # the site is synced without a token, on purpose


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The validated configuration. `site` is the whole file, for `{{ site.x }}`."""

    path: Path
    site: Mapping[str, Any]
    title: str
    description: str
    url: str
    baseurl: str
    lang: str
    timezone: ZoneInfo | None
    indico: IndicoConfig


def load_config(source_dir: Path) -> Config:
    """Read `<source_dir>/_config.yml` and validate it."""
    path = source_dir / CONFIG_NAME
    try:
        text = load_regular(path).decode("utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: not found (is --source the site folder?)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except ValueError as exc:  # a link, FIFO or device
        raise ConfigError(f"{path}: {exc}") from exc
    if (line := first_alias(text)) is not None:
        raise ConfigError(f"{path}:{line}: {ALIAS_HINT}")
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506  # a CSafeLoader
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(exc, path)) from exc
    return parse_config(data if data is not None else {}, path=path)


class _UniqueKeyLoader(yaml.CSafeLoader):
    """libyaml's safe loader, refusing a key given twice in one mapping.

    Plain YAML loaders keep the last value silently, so a second `subcategories:`
    added under a source would quietly undo the first.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {quote(key)} given twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def parse_config(data: object, *, path: Path) -> Config:
    """Validate the parsed YAML; raise one ConfigError listing every problem."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    indico = _parse_indico(data.get("indico"), problems)
    config = Config(
        path=path,
        site=_site_keys(data, indico.sources, problems),
        title=_string(data, "title", problems, default="My working group"),
        description=_string(data, "description", problems, default=""),
        url=_site_url(data, problems),
        baseurl=_baseurl(data, problems),
        lang=_string(data, "lang", problems, default="en"),
        timezone=_timezone(data.get("timezone"), "timezone", problems),
        indico=indico,
    )
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    return config


def _site_keys(
    data: Mapping[str, Any], sources: tuple[Source, ...], problems: list[str]
) -> dict[str, Any]:
    """The file's keys for `{{ site.x }}`, plus the Indico category's id and link.

    Both are derived from `indico.sources[0]`, so a group sets its category once (in
    the sources, which the sync uses); a written key that disagrees is an error.
    """
    if not sources:
        return dict(data)
    first = sources[0]
    derived = {
        "indico_category_id": first.category,
        "indico_category_url": f"{first.url}/category/{first.category}/",
    }
    for key, value in derived.items():
        given = data.get(key)
        if given is not None and str(given).rstrip("/") != str(value).rstrip("/"):
            problems.append(
                f"{key}: {_quote(str(given))} disagrees with indico.sources[0], which gives "
                f"{value}; "
                f"remove {key}: it is derived from indico.sources[0]"
            )
    return {**data, **derived}


def _parse_indico(value: object, problems: list[str]) -> IndicoConfig:
    if not isinstance(value, dict):
        problems.append("indico: expected a mapping with 'sources'")
        return IndicoConfig(sources=())
    _unknown(value, _INDICO_KEYS, "indico", problems)
    raw_sources = value.get("sources")
    sources: list[Source] = []
    if not isinstance(raw_sources, list) or not raw_sources:
        problems.append("indico.sources: expected a list of {url, category}")
    else:
        for index, raw in enumerate(raw_sources):
            source = _parse_source(raw, f"indico.sources[{index}]", problems)
            if source is not None:
                sources.append(source)
    return IndicoConfig(
        sources=tuple(sources),
        past_days=_integer(value, "past_days", "indico", problems, default=3650),
        future_days=_integer(value, "future_days", "indico", problems, default=365),
        timeout=_timeout(value.get("timeout", 30.0), problems),
        retries=_integer(value, "retries", "indico", problems, default=3),
        default_type=_meeting_type(value.get("default_type"), "indico.default_type", problems),
        include_hidden=_boolean(value, "include_hidden", "indico", problems),
        overrides=_parse_overrides(value.get("overrides"), problems),
        protected=_protection(value.get("protected", "title"), problems),
        anonymous=_boolean(value, "anonymous", "indico", problems),
    )


def _protection(value: object, problems: list[str]) -> Protection:
    try:
        return Protection(value)
    except ValueError:
        options = ", ".join(policy.value for policy in Protection)
        problems.append(f"indico.protected: expected one of {options}, got {value!r}")
        return Protection.TITLE


def _parse_source(raw: object, where: str, problems: list[str]) -> Source | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a mapping {{url, category}}")
        return None
    _unknown(raw, _SOURCE_KEYS, where, problems)
    url = raw.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"{where}.url: expected an http(s) URL such as https://indico.cern.ch")
        url = None
    elif parts.query or parts.fragment:
        problems.append(f"{where}.url: expected the Indico base URL, without '?' or '#'")
        url = None
    category = raw.get("category")
    if isinstance(category, str) and category.isdigit():
        category = int(category)
    if not isinstance(category, int) or isinstance(category, bool) or category <= 0:
        problems.append(f"{where}.category: expected a positive category id, got {quote(category)}")
        category = None
    subcategories = _boolean(raw, "subcategories", where, problems)
    if url is None or category is None:
        return None
    return Source(url=url.rstrip("/"), category=category, subcategories=subcategories)


def _parse_overrides(value: object, problems: list[str]) -> dict[str, Override]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append("indico.overrides: expected a mapping of event URL -> settings")
        return {}
    overrides = {}
    for key, raw in value.items():
        where = f"indico.overrides[{quote(key)}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: expected a mapping such as {{type: zoom}}")
            continue
        _unknown(raw, _OVERRIDE_KEYS, where, problems)
        title = raw.get("title")
        if title is not None and not isinstance(title, str):
            problems.append(f"{where}.title: expected text")
            title = None
        overrides[str(key)] = Override(
            type=_meeting_type(raw.get("type"), f"{where}.type", problems),
            hidden=_boolean(raw, "hidden", where, problems),
            title=title,
        )
    return overrides


def _meeting_type(value: object, where: str, problems: list[str]) -> MeetingType | None:
    if value is None:
        return None
    try:
        return MeetingType(str(value).strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        problems.append(f"{where}: expected one of {_TYPES}, got {quote(value)}")
        return None


def _timezone(value: object, where: str, problems: list[str]) -> ZoneInfo | None:
    if value is None:
        return None
    zone = find_zone(str(value))
    if zone is None:
        problems.append(
            f"{where}: expected a tz database name such as Europe/Zurich, got {quote(value)}"
        )
    return zone


def _string(data: Mapping[str, Any], key: str, problems: list[str], *, default: str) -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        problems.append(f"{key}: expected text, got {type(value).__name__}")
        return default
    return str(value)


def _site_url(data: Mapping[str, Any], problems: list[str]) -> str:
    """`http(s)://host[:port]`: canonical, feed and sitemap URLs are built from it."""
    url = _string(data, "url", problems, default="").strip()
    if not url:
        return ""
    problem = _site_url_problem(url)
    if problem:
        problems.append(
            f"url: {problem}: expected http(s)://HOST such as https://gnn-ml-wg.github.io, "
            f"got {_quote(url)}"
        )
        return ""
    return url.rstrip("/")


def _site_url_problem(url: str) -> str:
    """What is wrong with the site `url`, or "" when it is a plain http(s) origin."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a valid host or port"
    if parts.scheme not in ("http", "https"):
        return "not an http(s) URL"
    if not parts.hostname:
        return "no host name"
    if parts.username is not None or not _valid_host(parts.hostname) or port == 0:
        return f"{_quote(parts.netloc)} is not a valid host name"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return "no '?' or '#' allowed"
    if parts.path not in ("", "/"):
        return f"no path allowed (a project site's path goes in baseurl: {parts.path.rstrip('/')})"
    return ""


_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def _valid_host(host: str) -> bool:
    """A DNS name (internationalised names too) or an IP address."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return len(ascii_host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


def _baseurl(data: Mapping[str, Any], problems: list[str]) -> str:
    """'' or `/a/b`: a trailing slash is dropped; '/' alone means ''."""
    baseurl = _string(data, "baseurl", problems, default="").strip()
    if baseurl in ("", "/"):
        return ""
    segments = baseurl.rstrip("/").split("/")
    if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+/?", baseurl) or any(
        segment in (".", "..") for segment in segments
    ):
        problems.append(
            "baseurl: expected '' or a path such as /wg-site (starting with '/'; letters, "
            f"digits, '.', '_', '~', '-'; no '?', '#', spaces or '..'), got {_quote(baseurl)}"
        )
        return ""
    return baseurl.rstrip("/")


def _integer(
    data: Mapping[str, Any], key: str, where: str, problems: list[str], *, default: int
) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        problems.append(f"{where}.{key}: expected a whole number >= 0, got {quote(value)}")
        return default
    return value


def _timeout(value: object, problems: list[str]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 600:
        problems.append(f"indico.timeout: expected seconds between 0 and 600, got {quote(value)}")
        return 30.0
    return float(value)


def _boolean(data: Mapping[str, Any], key: str, where: str, problems: list[str]) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        problems.append(f"{where}.{key}: expected true or false, got {quote(value)}")
        return False
    return value


def _unknown(data: Mapping[str, Any], known: set[str], where: str, problems: list[str]) -> None:
    for key in sorted(set(map(str, data)) - known):
        problems.append(f"{where}.{key}: unknown key (expected one of {', '.join(sorted(known))})")


def _yaml_problem(exc: yaml.YAMLError, path: Path) -> str:
    """`file:LINE: not valid YAML: problem`, as every other message gives a line."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is None or not problem:
        return f"{path}: not valid YAML: {_one_line(exc)}"
    return f"{path}:{mark.line + 1}: not valid YAML: {_one_line(Exception(problem))}"


def _quote(value: str) -> str:
    """`value` for a message: repr, cut short (a message never quotes a whole file)."""
    return repr(value if len(value) <= 100 else value[:100] + "...")


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
