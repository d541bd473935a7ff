"""The checks behind `config.py`: one function per kind of value, each appending a
problem (naming the key, what was expected and what was found) instead of raising,
so every problem of a file is reported at once. The site `url` and `baseurl` are
checked here in full: every page, feed and sitemap URL is built from them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

from indico_sync.meetings import MaterialKind, MeetingType, Protection, find_zone
from indico_sync.untrusted import one_line, quote

_TYPES = ", ".join(t.value for t in MeetingType)


class UniqueKeyLoader(yaml.CSafeLoader):
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


def read_meeting_type(value: object, where: str, problems: list[str]) -> MeetingType | None:
    if value is None:
        return None
    try:
        return MeetingType(str(value).strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        problems.append(f"{where}: expected one of {_TYPES}, got {quote(value)}")
        return None


def read_timezone(value: object, where: str, problems: list[str]) -> ZoneInfo | None:
    if value is None:
        return None
    zone = find_zone(str(value))
    if zone is None:
        problems.append(
            f"{where}: expected a tz database name such as Europe/Zurich, got {quote(value)}"
        )
    return zone


def read_string(data: Mapping[str, Any], key: str, problems: list[str], *, default: str) -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        problems.append(f"{key}: expected text, got {type(value).__name__}")
        return default
    return str(value)


def read_site_url(data: Mapping[str, Any], problems: list[str]) -> str:
    """`http(s)://host[:port]`: canonical, feed and sitemap URLs are built from it."""
    url = read_string(data, "url", problems, default="").strip()
    if not url:
        return ""
    problem = _site_url_problem(url)
    if problem:
        problems.append(
            f"url: {problem}: expected http(s)://HOST such as https://gnn-ml-wg.github.io, "
            f"got {quote_text(url)}"
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
        return f"{quote_text(parts.netloc)} is not a valid host name"
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
    try:  # the codec costs 6 ms of imports at every start: only for names that need it
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return len(ascii_host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


def read_baseurl(data: Mapping[str, Any], problems: list[str]) -> str:
    """'' or `/a/b`: a trailing slash is dropped; '/' alone means ''."""
    baseurl = read_string(data, "baseurl", problems, default="").strip()
    if baseurl in ("", "/"):
        return ""
    segments = baseurl.rstrip("/").split("/")
    if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+/?", baseurl) or any(
        segment in (".", "..") for segment in segments
    ):
        problems.append(
            "baseurl: expected '' or a path such as /wg-site (starting with '/'; letters, "
            f"digits, '.', '_', '~', '-'; no '?', '#', spaces or '..'), got {quote_text(baseurl)}"
        )
        return ""
    return baseurl.rstrip("/")


def read_integer(
    data: Mapping[str, Any], key: str, where: str, problems: list[str], *, default: int
) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        problems.append(f"{where}.{key}: expected a whole number >= 0, got {quote(value)}")
        return default
    return value


def read_boolean(data: Mapping[str, Any], key: str, where: str, problems: list[str]) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        problems.append(f"{where}.{key}: expected true or false, got {quote(value)}")
        return False
    return value


def check_unknown(
    data: Mapping[str, Any], known: set[str], where: str, problems: list[str]
) -> None:
    for key in sorted(set(map(str, data)) - known):
        problems.append(f"{where}.{key}: unknown key (expected one of {', '.join(sorted(known))})")


def yaml_problem(exc: yaml.YAMLError, path: Path) -> str:
    """`file:LINE: not valid YAML: problem`, as every other message gives a line."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is None or not problem:
        return f"{path}: not valid YAML: {one_line(exc)}"
    return f"{path}:{mark.line + 1}: not valid YAML: {one_line(Exception(problem))}"


def quote_text(value: str) -> str:
    """`value` for a message: repr, cut short (a message never quotes a whole file)."""
    return repr(value if len(value) <= 100 else value[:100] + "...")


def read_timeout(
    data: Mapping[str, Any], problems: list[str], *, default: float, limit: float
) -> float:
    value = data.get("timeout", default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= limit:
        problems.append(
            f"indico.timeout: expected seconds between 0 and {limit:g}, got {quote(value)}"
        )
        return default
    return float(value)


def read_material_kinds(value: object, problems: list[str]) -> dict[str, MaterialKind]:
    """`indico.material_kinds`: words of a material's or folder's title -> a display kind."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append("indico.material_kinds: expected a mapping such as {poster: other}")
        return {}
    kinds = {}
    for word, kind in value.items():
        if not isinstance(word, str) or not word.strip() or kind not in _KINDS:
            problems.append(
                f"indico.material_kinds[{quote(word)}]: expected a word and one of "
                f"{', '.join(_KINDS)}, got {quote(kind)}"
            )
            continue
        kinds[word.strip().casefold()] = MaterialKind(kind)
    return kinds


_KINDS = tuple(kind.value for kind in MaterialKind)


def read_protection(
    data: Mapping[str, Any], problems: list[str], *, default: Protection
) -> Protection:
    value = data.get("protected", default.value)
    try:
        return Protection(value)
    except ValueError:
        options = ", ".join(policy.value for policy in Protection)
        problems.append(f"indico.protected: expected one of {options}, got {value!r}")
        return default
