"""RESULTS.md: the machine, a table per measurement (medians and ratios), the targets.

Everything here is a pure function of the results mapping that `bench/__main__.py`
collects (also saved as JSON next to it), so the report can be re-rendered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

TARGET_SIZE = 1000
TOOLS = ("indico_sync", "hugo", "jekyll")
NAMES = {"indico_sync": "indico_sync", "hugo": "Hugo", "jekyll": "Jekyll"}


def render_results(results: Mapping[str, Any]) -> str:
    parts = [
        "# Benchmark results: indico_sync vs Hugo vs Jekyll\n",
        f"Reproduce: `{results['command']}` (from the repository root; "
        f"took {results['duration_s'] / 60:.1f} min, started {results['started']}).\n",
        _machine(results["machine"]),
        _targets(results),
        _builds(results),
        _ratios(results),
        _scaling(results),
        _startup(results),
        _sync(results),
        _method(results),
    ]
    return "\n".join(part for part in parts if part)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _machine(machine: Mapping[str, str]) -> str:
    return "## Machine\n\n" + _table(("", ""), list(machine.items()))


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _wall(results: Mapping[str, Any], size: int, tool: str, kind: str) -> float | None:
    entry = results["builds"].get(str(size), {}).get(tool)
    return entry[kind]["wall"] if entry else None


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return None if top is None or bottom is None or bottom == 0 else top / bottom


def _builds(results: Mapping[str, Any]) -> str:
    rows = []
    for size, tools in results["builds"].items():
        for tool in TOOLS:
            if tool not in tools:
                continue
            cold, rebuild, out = tools[tool]["cold"], tools[tool]["rebuild"], tools[tool]["output"]
            rows.append(
                (
                    f"{int(size):,}",
                    NAMES[tool],
                    f"**{_s(cold['wall'])}** ({_s(cold['wall_min'])}-{_s(cold['wall_max'])})",
                    f"**{_s(rebuild['wall'])}** ({_s(rebuild['wall_min'])}-"
                    f"{_s(rebuild['wall_max'])})",
                    _s(cold["cpu"]),
                    f"{_rss(cold['rss_mb'])} / {_rss(rebuild['rss_mb'])}",
                    f"{out['files']} files, {out['kilobytes'] / 1000:.1f} MB",
                    f"{out['home_kilobytes']:.0f} KB, {out['meeting_rows']:,} rows",
                    out["post_pages"],
                    "; ".join(tools[tool]["problems"]) or "ok",
                )
            )
    header = (
        "meetings",
        "tool",
        "cold wall s, median (min-max)",
        "rebuild wall s, median (min-max)",
        "cold CPU s",
        "peak RSS MB cold / rebuild",
        "output",
        "home page",
        "post pages",
        "same content?",
    )
    return (
        f"## Builds ({results['runs']} interleaved runs each, {results['posts']} posts)\n\n"
        + _table(header, rows)
    )


def _ratios(results: Mapping[str, Any]) -> str:
    rows = []
    for size in results["builds"]:
        wall = {
            (tool, kind): _wall(results, int(size), tool, kind)
            for tool in TOOLS
            for kind in ("cold", "rebuild")
        }
        rows.append(
            (
                f"{int(size):,}",
                _x(_ratio(wall["indico_sync", "cold"], wall["hugo", "cold"])),
                _x(_ratio(wall["indico_sync", "cold"], wall["jekyll", "cold"])),
                _x(_ratio(wall["jekyll", "cold"], wall["indico_sync", "cold"])),
                _x(_ratio(wall["indico_sync", "rebuild"], wall["hugo", "rebuild"])),
                _x(_ratio(wall["indico_sync", "rebuild"], wall["jekyll", "rebuild"])),
                _x(_ratio(wall["indico_sync", "rebuild"], wall["indico_sync", "cold"])),
            )
        )
    header = (
        "meetings",
        "indico_sync ÷ Hugo, cold",
        "indico_sync ÷ Jekyll, cold",
        "Jekyll ÷ indico_sync, cold (speed-up)",
        "indico_sync ÷ Hugo, rebuild",
        "indico_sync ÷ Jekyll, rebuild",
        "indico_sync rebuild ÷ its cold",
    )
    return "## Ratios (medians; below 1x means indico_sync is faster)\n\n" + _table(header, rows)


def _scaling(results: Mapping[str, Any]) -> str:
    sizes = [int(size) for size in results["builds"]]
    base = TARGET_SIZE if TARGET_SIZE in sizes else min(sizes)
    rows = []
    for size in sizes:
        row: list[object] = [f"{size:,}"]
        for tool in TOOLS:
            wall = _wall(results, size, tool, "cold")
            row += [_s(wall), _x(_ratio(wall, _wall(results, base, tool, "cold")))]
        rows.append(row)
    header = ["meetings"]
    for tool in TOOLS:
        header += [f"{NAMES[tool]} cold s", f"÷ {base:,}"]
    return f"## Scaling with the number of meetings (cold, vs {base:,})\n\n" + _table(header, rows)


def _startup(results: Mapping[str, Any]) -> str:
    rows = [
        (f"`{entry['command']}`", _s(entry["wall"]), _rss(entry["rss_mb"]))
        for entry in results["startup"].values()
    ]
    return "## Start-up floor (no site built)\n\n" + _table(
        ("command", "wall s (median)", "peak RSS MB"), rows
    )


def _sync(results: Mapping[str, Any]) -> str:
    rows = [
        (
            f"`normalise_events`, in-process: {row['name']}",
            f"{row['events']:,}",
            f"{row['talks']:.1f}",
            f"**{row['median']:,.0f}**",
            f"{row['min']:,.0f}-{row['max']:,.0f}",
        )
        for row in results.get("normalise_rows", [results["normalise"]])
    ]
    header = ("measurement", "events", "talks per event", "median events/s", "min-max events/s")
    text = "## Sync\n\n" + _table(header, rows)
    sync = results.get("sync")
    if not sync:
        return text + f"\nWhole-process sync not measured: {results.get('sync_skipped')}.\n"
    curl = sync["runs"]["curl"]["wall"]
    rows = [
        (
            name,
            f"**{_s(entry['wall'])}** ({_s(entry['wall_min'])}-{_s(entry['wall_max'])})",
            _s(entry["cpu"]),
            _rss(entry["rss_mb"]),
            _x(_ratio(entry["wall"], curl)),
        )
        for name, entry in sync["runs"].items()
    ]
    return (
        text + f"\n{sync['events']:,} events in {len(sync['urls'])} requests (limit=500), "
        f"{sync['bytes'] / 1e6:.1f} MB of JSON, from a threaded `http.server` on 127.0.0.1; "
        f"the sync wrote {sync['meetings']:,} meetings. {sync['runs_each']} alternating runs.\n\n"
        + _table(("command", "wall s, median (min-max)", "CPU s", "peak RSS MB", "÷ curl"), rows)
    )


def evaluate_targets(results: Mapping[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) on the 1,000-meeting site; met is None if not measured."""
    size = TARGET_SIZE
    cold = _wall(results, size, "indico_sync", "cold")
    entry = results["builds"].get(str(size), {}).get("indico_sync")
    rss = max(entry["cold"]["rss_mb"], entry["rebuild"]["rss_mb"]) if entry else None
    rss = None if rss is None or math.isnan(rss) else rss
    normalise = results["normalise"]
    rate = normalise["median"] if normalise["events"] >= 10_000 else None
    rows = results.get("normalise_rows", [])
    recorded = rows[1]["median"] if len(rows) > 1 and rows[1]["events"] >= 10_000 else None
    sync = results.get("sync") or {"events": 0}
    runs = sync["runs"] if sync["events"] >= 10_000 else {}
    curl = runs.get("curl", {}).get("wall")
    fresh = runs.get("sync (no snapshot yet)", {}).get("wall")
    same = runs.get("sync (snapshot unchanged)", {}).get("wall")
    checks = (
        ("cold build ÷ Hugo ≤ 1.0", _ratio(cold, _wall(results, size, "hugo", "cold")), 1.0, _x),
        (
            "cold build ≥ 5x faster than Jekyll",
            _ratio(_wall(results, size, "jekyll", "cold"), cold),
            -5.0,
            _x,
        ),
        (
            "rebuild, nothing changed ≤ 0.5x own cold",
            _ratio(_wall(results, size, "indico_sync", "rebuild"), cold),
            0.5,
            _x,
        ),
        ("peak memory ≤ 100 MB", rss, 100.0, _mb),
        (
            "10,000 meetings ≤ 12x the time of 1,000",
            _ratio(_wall(results, 10_000, "indico_sync", "cold"), cold),
            12.0,
            _x,
        ),
        ("normalising ≥ 50,000 events/s (scaled events, 1-5 talks)", rate, -50_000.0, _rate),
        (
            "normalising ≥ 50,000 events/s (the recorded events, repeated)",
            recorded,
            -50_000.0,
            _rate,
        ),
        ("sync of 10,000 events ≤ 1.2x curl (no snapshot yet)", _ratio(fresh, curl), 1.2, _x),
        ("sync of 10,000 events ≤ 1.2x curl (snapshot unchanged)", _ratio(same, curl), 1.2, _x),
    )
    return [(label, show(value), _met(value, limit)) for label, value, limit, show in checks]


def _met(value: float | None, limit: float) -> bool | None:
    """A positive limit is an upper bound, a negative one a lower bound."""
    if value is None:
        return None
    return value <= limit if limit > 0 else value >= -limit


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{_rss(value)} MB"


def _rss(value: float) -> str:
    """Peak RSS, or n/a when GNU time was not there to measure it (NaN)."""
    return "n/a" if math.isnan(value) else f"{value:.0f}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}/s"


def _targets(results: Mapping[str, Any]) -> str:
    marks = {True: "**met**", False: "**not met**", None: "not measured in this run"}
    rows = [(target, measured, marks[met]) for target, measured, met in evaluate_targets(results)]
    return (
        f"## Targets (on the {TARGET_SIZE:,}-meeting + {results['posts']}-post site)\n\n"
        + _table(("target", "measured (median)", "status"), rows)
    )


def _method(results: Mapping[str, Any]) -> str:
    notes = "".join(f"- {note}\n" for note in results["notes"])
    return (
        "## How it was measured\n\n"
        "- Inputs from `bench/generate.py` (fixed seed): the repository's `index.md`, "
        "`about.md` and `_config.yml`, N meetings rendered by `indico_sync.snapshot."
        "render_snapshot` (1-5 talks, unicode names, 7 time zones) and 200 Markdown posts. "
        "Hugo and Jekyll get the same files, converted by `bench/hugo_site.py` / "
        "`bench/jekyll_site.py`.\n"
        "- Each build is a whole process. Wall time: `time.perf_counter()` around it; CPU and "
        "peak RSS: GNU `/usr/bin/time`. *cold* = the output folder, its hidden siblings "
        "`.<out>*` (indico_sync's build manifest) and everything a build left in the site "
        "folder (Jekyll's `.jekyll-cache`, Hugo's `resources/`) deleted first; "
        "*rebuild* = the same command again, nothing changed. One unrecorded warm-up "
        "build per tool, then rounds of `indico_sync, Hugo, Jekyll` cold, then the same "
        "order rebuilding.\n"
        "- Sync: `python -m indico_sync sync` (anonymous) against a threaded `http.server` "
        "on 127.0.0.1 serving the scaled recorded answer from precomputed bytes; curl "
        "fetches exactly the URLs the sync requested, one after another on one connection, "
        "in one process. Runs alternate sync (no snapshot), sync (snapshot unchanged), curl.\n"
        "- Python runs with its bytecode cache on (in `bench/out/pycache`, even if "
        "`PYTHONDONTWRITEBYTECODE` is set), as an installed package would.\n"
        "- *same content?* checks each output: every meeting on the home page (distinct "
        "event links), every post page, a feed and a sitemap.\n" + notes
    )
