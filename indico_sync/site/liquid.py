"""The little Liquid that Jekyll pages use: `{{ site.x }}`, `{{ page.x }}`, `{% include %}`.

Pure: a page body and its scope (`_config.yml` as `site`, the front matter as `page`)
go in; the body comes out with each variable filled and each `{% include NAME %}`
replaced by a marker that `render.py` later swaps for the rendered partial. It runs
before Markdown, as Jekyll's Liquid does, except that an undefined name or any other
tag is an error naming the file and line rather than an empty string. Separate from
`pages.py` because this small template language is its own step, with its own rules
and errors, between reading front matter and running Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from indico_sync.errors import ContentError

INCLUDES = ("meetings.html",)
_LIQUID = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}|\{%-?\s*(.*?)\s*-?%\}", re.S)
_VARIABLE = re.compile(r"(site|page)((?:\.[A-Za-z0-9_-]+)+)")


def include_marker(name: str) -> str:
    """What `{% include NAME %}` leaves in the HTML, for `render.py` to replace."""
    return f"<!--indico_sync include {name}-->"


def fill_liquid(body: str, scope: Mapping[str, Any], *, where: Path, first_line: int) -> str:
    """Replace `{{ site.x }}` / `{{ page.x }}` and mark `{% include NAME %}`, as Jekyll
    does before Markdown. Anything else in `{{ }}` / `{% %}` is an error with its line."""
    if "{{" not in body and "{%" not in body:
        return body
    pieces, end, line = [], 0, first_line
    for match in _LIQUID.finditer(body):
        _refuse_unclosed(body[end : match.start()], where=where, line=line)
        line += body.count("\n", end, match.start())
        pieces.append(body[end : match.start()])
        at = f"{where}:{line}"
        if match[1] is not None:
            pieces.append(_variable(match[1], scope, at=at))
        else:
            pieces.append(_tag(match[2], body, match, at=at))
        end = match.end()
        line += body.count("\n", match.start(), end)
    _refuse_unclosed(body[end:], where=where, line=line)
    pieces.append(body[end:])
    return "".join(pieces)


def _refuse_unclosed(text: str, *, where: Path, line: int) -> None:
    """A `{{` or `{%` left in the text between tags never closes: an error, as in Jekyll,
    rather than the raw `{{ site.title` copied into the page."""
    found = [(at, opener) for opener in ("{{", "{%") if (at := text.find(opener)) >= 0]
    if not found:
        return
    at, opener = min(found)
    closer = "}}" if opener == "{{" else "%}"
    start = text[at:].split("\n", 1)[0]
    shown = start if len(start) <= 40 else start[:40] + "..."
    raise ContentError(
        f"{where}:{line + text.count(chr(10), 0, at)}: {shown!r} is not closed: "
        f"expected {closer} after {opener}"
    )


def _variable(expression: str, scope: Mapping[str, Any], *, at: str) -> str:
    match = _VARIABLE.fullmatch(expression)
    if match is None:
        raise ContentError(
            f"{at}: unsupported expression {{{{ {expression} }}}} "
            "(only {{ site.KEY }} and {{ page.KEY }}, without filters)"
        )
    value: Any = scope[match[1]]
    for key in match[2][1:].split("."):
        if not isinstance(value, Mapping) or key not in value:
            where = "_config.yml" if match[1] == "site" else "the front matter"
            raise ContentError(f"{at}: {{{{ {expression} }}}} is not defined in {where}")
        value = value[key]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, str | int | float | date):
        return "" if value is None else str(value)
    raise ContentError(f"{at}: {{{{ {expression} }}}} is a {type(value).__name__}, not text")


def _tag(tag: str, body: str, match: re.Match[str], *, at: str) -> str:
    words = tag.split()
    if len(words) != 2 or words[0] != "include":
        raise ContentError(
            f"{at}: unsupported Liquid tag {{% {tag} %}} (only {{% include meetings.html %}})"
        )
    if words[1] not in INCLUDES:
        raise ContentError(
            f"{at}: unknown include {words[1]!r} (expected one of {', '.join(INCLUDES)})"
        )
    before = body[body.rfind("\n", 0, match.start()) + 1 : match.start()]
    after_end = body.find("\n", match.end())
    after = body[match.end() : after_end if after_end >= 0 else len(body)]
    if before.strip() or after.strip():
        raise ContentError(f"{at}: put {{% {tag} %}} on a line of its own")
    return f"\n{include_marker(words[1])}\n"
