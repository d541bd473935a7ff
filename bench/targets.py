"""The targets RESULTS.md checks (from the issues), on the 1,000-meeting + 200-post site
unless a row names another size (the issue sets the memory target at 10,000 meetings).

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

MEMORY_SIZE = 10_000  # "10,000 meetings: ... peak memory at most 100 MB"

Show = Callable[[float | None], str]
Check = tuple[str, float | None, float, Show]  # target, measured, limit, how to show it
SizedCheck = tuple[str, float | None, float, Show, int]  # + the size built like for like


def evaluate_targets(results: Mapping[str, Any]) -> list[tuple[str, str, bool | None, str]]:
    """(target, measured, met, caveat) on the 1,000-meeting site unless the target names
    another size; met is None if not measured; caveat is "" or why a build figure does not
    compare like with like."""
    rows = [
        (target, value, limit, show, _caveat(results, size))
        for target, value, limit, show, size in _build_checks(results)
    ]
    rows += [
        (target, value, limit, show, "") for target, value, limit, show in _sync_checks(results)
    ]
    return [
        (target, show(value), _met(value, limit), caveat)
        for target, value, limit, show, caveat in rows
    ]


def _caveat(results: Mapping[str, Any], size: int) -> str:
    """Built sites that differ (a tool with fewer meeting pages, or .ics when the results
    counted them): no build target at that size counts."""
    tools = results["builds"].get(str(size), {})
    found = []
    for key, what, unknown in (
        ("meeting_pages", "meeting pages", 0),
        ("meeting_calendars", "meeting .ics", size),  # not counted before: not held against
    ):
        short = sorted(
            NAMES[tool] for tool, entry in tools.items() if entry["output"].get(key, unknown) < size
        )
        if short:
            found.append(f"{', '.join(short)} built fewer {what}")
    return f"not like for like: {'; '.join(found)}" if found else ""


def _build_checks(results: Mapping[str, Any]) -> list[SizedCheck]:
    size = TARGET_SIZE
    cold = wall(results, size, "indico_sync", "cold")
    vs_hugo = ratio(cold, wall(results, size, "hugo", "cold"))
    return [
        ("cold build ÷ Hugo ≤ 1.0 (the goal)", vs_hugo, 1.0, x, size),
        (
            f"cold build ÷ Hugo ≤ {PREVIOUS_COLD_VS_HUGO:.2f} (no further behind than before "
            "the meeting pages)",
            vs_hugo,
            PREVIOUS_COLD_VS_HUGO,
            x,
            size,
        ),
        (
            "cold build ≥ 5x faster than Jekyll",
            ratio(wall(results, size, "jekyll", "cold"), cold),
            -5.0,
            x,
            size,
        ),
        (
            "rebuild, nothing changed ≤ 0.5x own cold",
            ratio(wall(results, size, "indico_sync", "rebuild"), cold),
            0.5,
            x,
            size,
        ),
        (
            "rebuild after one meeting changed ≤ 0.3x own cold",
            ratio(wall(results, size, "indico_sync", "changed"), cold),
            0.3,
            _with_others(results, size),
            size,
        ),
        (
            f"peak memory ≤ 100 MB ({MEMORY_SIZE:,} meetings, cold build: the issue's target)",
            _peak_rss(results, MEMORY_SIZE, ("cold",)),
            100.0,
            mb,
            MEMORY_SIZE,
        ),
        (
            f"peak memory ≤ 100 MB ({size:,} meetings, cold or rebuild)",
            _peak_rss(results, size, ("cold", "rebuild")),
            100.0,
            mb,
            size,
        ),
        (
            "10,000 meetings ≤ 12x the time of 1,000",
            ratio(wall(results, 10_000, "indico_sync", "cold"), cold),
            12.0,
            x,
            10_000,
        ),
    ]


def _peak_rss(results: Mapping[str, Any], size: int, kinds: tuple[str, ...]) -> float | None:
    """indico_sync's highest peak RSS (MB) over `kinds` of builds at `size` meetings; None
    when that size was not run or GNU time was not there to measure it (NaN)."""
    entry = results["builds"].get(str(size), {}).get("indico_sync")
    if not entry:
        return None
    peak = max(entry[kind]["rss_mb"] for kind in kinds)
    return None if math.isnan(peak) else float(peak)


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
        f"## Targets (on the {TARGET_SIZE:,}-meeting + {results['posts']}-post site unless "
        "the target names another size)\n\n"
        + table(("target", "measured (median)", "status"), rows)
    )
