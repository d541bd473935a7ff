"""Small builders shared by the tests (pytest puts this folder on sys.path)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import respx

from indico_sync.meetings import Meeting

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "templates"
# The example site (a copy of site_src/ as first shipped). Tests read this, never the
# repository's own site_src/, which every group replaces with its own config, pages and snapshot.
EXAMPLE_SITE = REPO / "tests" / "fixtures" / "site"
# The `indico:` section of a test config: one category on the respx-mocked 127.0.0.1.
LOCAL_INDICO = """\
indico:
  sources:
    - url: http://127.0.0.1:8000
      category: 1
  retries: 0
"""
LOCAL_EXPORT = "http://127.0.0.1:8000/export/categ/1.json"


def serve_category(data: dict[str, Any]) -> respx.Route:
    """The mocked category answers `data` at offset 0 and empty pages after it."""
    empty = {"count": 0, "results": [], "additionalInfo": {}}
    return respx.get(LOCAL_EXPORT).mock(
        side_effect=lambda request: httpx.Response(
            200, json=data if request.url.params["offset"] == "0" else empty
        )
    )


def meeting(event: int, start: datetime, hours: float = 1, **changes: Any) -> Meeting:
    """A Meeting with plausible defaults; `changes` override any field."""
    zone = start.tzinfo
    assert isinstance(zone, ZoneInfo)
    fields: dict[str, Any] = {
        "source": "https://indico.example/category/1",
        "id": str(event),
        "url": f"https://indico.example/event/{event}/",
        "title": f"Meeting {event}",
        "start": start,
        "end": start + timedelta(hours=hours),
        "timezone": zone.key,
    }
    return Meeting(**{**fields, **changes})


def retitle(source: Path, old: str, new: str) -> None:
    """Edit one meeting's title in a site's snapshot file, as a sync would."""
    snapshot = source / "_data" / "meetings.yml"
    text = snapshot.read_text()
    assert text.count(f'"title": "{old}"') == 1
    snapshot.write_text(text.replace(f'"title": "{old}"', f'"title": "{new}"'))


def alias_bomb(levels: int = 9) -> str:
    """YAML with nine levels of ten aliases and `order: *a8`: loads in a millisecond, but
    is a billion items to anything that walks it (such as an error message quoting it)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join([*lines, f"order: *a{levels - 1}", ""])
