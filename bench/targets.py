"""The targets RESULTS.md checks (from the issues), on the 1,000-meeting + 200-post site.

A pure function of the results mapping, as the rest of the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from bench.format import NAMES, TARGET_SIZE, mb, ratio, table, wall, x

# indico_sync cold ÷ Hugo cold at 1,000 meetings in bench/RESULTS.md before the meeting
# pages (2026-12-01, git 32cbb49): with twice the pages it must not fall further behind.
PREVIOUS_COLD_VS_HUGO = 1.30

Check = tuple[str, float | None, float, Callable[[float | None], str]]


def evaluate_targets(results: Mapping[str, Any]) -> list[tuple[str, str, bool | None, str]]:
    """(target, measured, met, caveat) on the 1,000-meeting site; met is None if not
    measured; caveat is "" or why a build figure does not compare like with like."""
    caveat = _caveat(results)
    builds = [(*check, caveat) for check in _build_checks(results)]
    rows = [*builds, *((*check, "") for check in _sync_checks(results))]
    return [(row[0], row[3](row[1]), _met(row[1], row[2]), row[4]) for row in rows]


def _caveat(results: Mapping[str, Any]) -> str:
    """Built sites that differ (a tool with fewer meeting pages): no build target counts."""
    tools = results["builds"].get(str(TARGET_SIZE), {})
    short = sorted(
        NAMES[tool]
        for tool, entry in tools.items()
        if entry["output"].get("meeting_pages", 0) < TARGET_SIZE
    )
    return f"not like for like: {', '.join(short)} built fewer meeting pages" if short else ""


def _build_checks(results: Mapping[str, Any]) -> list[Check]:
    size = TARGET_SIZE
    cold = wall(results, size, "indico_sync", "cold")
    vs_hugo = ratio(cold, wall(results, size, "hugo", "cold"))
    entry = results["builds"].get(str(size), {}).get("indico_sync")
    rss = max(entry[kind]["rss_mb"] for kind in ("cold", "rebuild")) if entry else None
    rss = None if rss is None or math.isnan(rss) else rss
    return [
        ("cold build ÷ Hugo ≤ 1.0 (the goal)", vs_hugo, 1.0, x),
        (
            f"cold build ÷ Hugo ≤ {PREVIOUS_COLD_VS_HUGO:.2f} (no further behind than before "
            "the meeting pages)",
            vs_hugo,
            PREVIOUS_COLD_VS_HUGO,
            x,
        ),
        (
            "cold build ≥ 5x faster than Jekyll",
            ratio(wall(results, size, "jekyll", "cold"), cold),
            -5.0,
            x,
        ),
        (
            "rebuild, nothing changed ≤ 0.5x own cold",
            ratio(wall(results, size, "indico_sync", "rebuild"), cold),
            0.5,
            x,
        ),
        (
            "rebuild after one meeting changed ≤ 0.3x own cold",
            ratio(wall(results, size, "indico_sync", "changed"), cold),
            0.3,
            _with_others(results, size),
        ),
        ("peak memory ≤ 100 MB", rss, 100.0, mb),
        (
            "10,000 meetings ≤ 12x the time of 1,000",
            ratio(wall(results, 10_000, "indico_sync", "cold"), cold),
            12.0,
            x,
        ),
    ]


def _with_others(results: Mapping[str, Any], size: int) -> Callable[[float | None], str]:
    """Show indico_sync's ratio with Hugo's and Jekyll's own beside it."""

    def show(value: float | None) -> str:
        others = [
            f"{NAMES[tool]} {x(ratio(wall(results, size, tool, 'changed'), own))}"
            for tool in ("hugo", "jekyll")
            if (own := wall(results, size, tool, "cold")) is not None
        ]
        return x(value) + (f" ({', '.join(others)})" if others and value is not None else "")

    return show


def _sync_checks(results: Mapping[str, Any]) -> list[Check]:
    normalise = results["normalise"]
    rate = normalise["median"] if normalise["events"] >= 10_000 else None
    rows = results.get("normalise_rows", [])
    recorded = rows[1]["median"] if len(rows) > 1 and rows[1]["events"] >= 10_000 else None
    sync = results.get("sync") or {"events": 0}
    runs = sync["runs"] if sync["events"] >= 10_000 else {}
    curl = runs.get("curl", {}).get("wall")
    fresh = runs.get("sync (no snapshot yet)", {}).get("wall")
    same = runs.get("sync (snapshot unchanged)", {}).get("wall")
    return [
        ("normalising ≥ 50,000 events/s (scaled events, 1-5 talks)", rate, -50_000.0, _rate),
        (
            "normalising ≥ 50,000 events/s (the recorded events, repeated)",
            recorded,
            -50_000.0,
            _rate,
        ),
        ("sync of 10,000 events ≤ 1.2x curl (no snapshot yet)", ratio(fresh, curl), 1.2, x),
        ("sync of 10,000 events ≤ 1.2x curl (snapshot unchanged)", ratio(same, curl), 1.2, x),
    ]


def _met(value: float | None, limit: float) -> bool | None:
    """A positive limit is an upper bound, a negative one a lower bound."""
    if value is None:
        return None
    return value <= limit if limit > 0 else value >= -limit


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}/s"


def render_targets(results: Mapping[str, Any]) -> str:
    marks = {True: "**met**", False: "**not met**", None: "not measured in this run"}
    rows = [
        (target, measured, marks[met] + (f" ({caveat})" if caveat and met is not None else ""))
        for target, measured, met, caveat in evaluate_targets(results)
    ]
    return (
        f"## Targets (on the {TARGET_SIZE:,}-meeting + {results['posts']}-post site)\n\n"
        + table(("target", "measured (median)", "status"), rows)
    )
