"""Load and validate `_config.yml`: the site's keys plus the `indico:` section.

Every problem is collected and reported at once, each naming its key and what was
expected, so a user fixes the file in one go. Unknown top-level keys are kept (they
are the site's own variables, for `{{ site.x }}`); unknown keys under `indico:` are
errors, because there they are almost always typos.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

from indico_sync.config_checks import (
    UniqueKeyLoader,
    check_unknown,
    quote_text,
    read_baseurl,
    read_boolean,
    read_integer,
    read_material_kinds,
    read_meeting_type,
    read_protection,
    read_site_url,
    read_string,
    read_timeout,
    read_timezone,
    yaml_problem,
)
from indico_sync.errors import ConfigError
from indico_sync.meetings import MaterialKind, MeetingType, Override, Protection
from indico_sync.untrusted import ALIAS_HINT, first_alias, load_regular, quote

CONFIG_NAME = "_config.yml"
# Defaults: the one place each is written (the records below and the parser use them).
DEFAULT_TITLE = "My working group"
DEFAULT_LANG = "en"
DEFAULT_PAST_DAYS = 3650
DEFAULT_FUTURE_DAYS = 365
DEFAULT_TIMEOUT = 30.0  # seconds per request
MAX_TIMEOUT = 600.0
DEFAULT_RETRIES = 3
DEFAULT_PROTECTION = Protection.TITLE


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
    past_days: int = DEFAULT_PAST_DAYS
    future_days: int = DEFAULT_FUTURE_DAYS
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    default_type: MeetingType | None = None
    include_hidden: bool = False
    overrides: Mapping[str, Override] = field(default_factory=dict)
    protected: Protection = DEFAULT_PROTECTION
    anonymous: bool = False  # the site is synced without a token, on purpose
    materials: bool = True  # store and publish materials and minutes
    material_kinds: Mapping[str, MaterialKind] = field(default_factory=dict)  # word -> kind


_SOURCE_KEYS = {f.name for f in fields(Source)}
_INDICO_KEYS = {f.name for f in fields(IndicoConfig)}
_OVERRIDE_KEYS = {f.name for f in fields(Override)}


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
        data = yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506  # a CSafeLoader
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_problem(exc, path)) from exc
    return parse_config(data if data is not None else {}, path=path)


def parse_config(data: object, *, path: Path) -> Config:
    """Validate the parsed YAML; raise one ConfigError listing every problem."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    indico = _parse_indico(data.get("indico"), problems)
    config = Config(
        path=path,
        site=_site_keys(data, indico.sources, problems),
        title=read_string(data, "title", problems, default=DEFAULT_TITLE),
        description=read_string(data, "description", problems, default=""),
        url=read_site_url(data, problems),
        baseurl=read_baseurl(data, problems),
        lang=read_string(data, "lang", problems, default=DEFAULT_LANG),
        timezone=read_timezone(data.get("timezone"), "timezone", problems),
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
                f"{key}: {quote_text(str(given))} disagrees with indico.sources[0], which gives "
                f"{value}; remove {key}: it is derived from indico.sources[0]"
            )
    return {**data, **derived}


def _parse_indico(value: object, problems: list[str]) -> IndicoConfig:
    if not isinstance(value, dict):
        problems.append("indico: expected a mapping with 'sources'")
        return IndicoConfig(sources=())
    check_unknown(value, _INDICO_KEYS, "indico", problems)
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
        past_days=read_integer(value, "past_days", "indico", problems, default=DEFAULT_PAST_DAYS),
        future_days=read_integer(
            value, "future_days", "indico", problems, default=DEFAULT_FUTURE_DAYS
        ),
        timeout=read_timeout(value, problems, default=DEFAULT_TIMEOUT, limit=MAX_TIMEOUT),
        retries=read_integer(value, "retries", "indico", problems, default=DEFAULT_RETRIES),
        default_type=read_meeting_type(value.get("default_type"), "indico.default_type", problems),
        include_hidden=read_boolean(value, "include_hidden", "indico", problems),
        overrides=_parse_overrides(value.get("overrides"), problems),
        protected=read_protection(value, problems, default=DEFAULT_PROTECTION),
        anonymous=read_boolean(value, "anonymous", "indico", problems),
        materials="materials" not in value or read_boolean(value, "materials", "indico", problems),
        material_kinds=read_material_kinds(value.get("material_kinds"), problems),
    )


def _parse_source(raw: object, where: str, problems: list[str]) -> Source | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a mapping {{url, category}}")
        return None
    check_unknown(raw, _SOURCE_KEYS, where, problems)
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
    subcategories = read_boolean(raw, "subcategories", where, problems)
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
        check_unknown(raw, _OVERRIDE_KEYS, where, problems)
        title = raw.get("title")
        if title is not None and not isinstance(title, str):
            problems.append(f"{where}.title: expected text")
            title = None
        overrides[str(key)] = Override(
            type=read_meeting_type(raw.get("type"), f"{where}.type", problems),
            hidden=read_boolean(raw, "hidden", where, problems),
            title=title,
            materials="materials" not in raw or read_boolean(raw, "materials", where, problems),
        )
    return overrides
